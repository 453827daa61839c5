/*
 * update.c - the one read-merge-write of a record (update.h): load,
 * check, change, normalise (consent), encode, skip an echo, check, save.
 */
#include "compat.h"

#include "update.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes the loaded state text of (collection, id) into cur. */
static int decode_current(const struct update_io *io, const char *collection,
                          const char *id, const char *text, size_t len,
                          struct record *cur, struct sb_err *err)
{
  struct sb_err why = {0};
  int rc = record_decode(cur, text, len, &why);

  if (rc == SB_ENOMEM)
    return sb_err_set(err, rc, "out of memory reading %s/%s from %s",
                      collection, id, io->where);
  if (rc == 0 && !record_is(cur, collection, id))
    rc = sb_err_set(&why, SB_ECORRUPT, "it holds the state of %s/%s",
                    cur->collection, cur->id);
  if (rc != 0) {
    sb_err_set(err, SB_ECORRUPT, "record %s/%s in %s is corrupt: %s",
               collection, id, io->where, why.msg);
    record_release(cur);
    record_init(cur, collection, id);
    return SB_ECORRUPT;
  }
  return 0;
}

/* True if putting value (a field of a put) into r changes nothing: its
 * field holds one entry of the same canonical text, and no delete met an
 * edit of r (a put is how such a record is kept: it must write). */
static bool put_same(const struct record *r, const cJSON *value)
{
  const struct field *f = record_field(r, value->string);
  const struct entry *e;
  char *text;
  bool same;

  if (f == NULL || record_field_nentries(f) != 1 || r->ntomb > 0)
    return false;
  e = record_field_entry(f, 0);
  text = json_print((cJSON *)value);
  same = text != NULL && e->value != NULL && strcmp(text, e->value) == 0;
  free(text);
  return same;
}

/*
 * A put writes only the fields it changes. A field already holding the
 * put's value, undisputed, is left as it was: a form saved again with its
 * other fields unchanged writes those alone, and two devices that both
 * "set" a field to the value it had do not make a conflict of it (each
 * would otherwise add an entry of its own, the same value twice). A put
 * that changes nothing leaves r as it was (update_apply: UNCHANGED).
 */
static int put_changes(const struct update_io *io,
                       const struct update_change *ch, struct record *r,
                       struct sb_err *err)
{
  cJSON *changed, *c;
  int rc;

  if (!cJSON_IsObject(ch->fields))
    return record_put(r, ch->replica, io->tick(io->ctx), ch->fields, err);
  for (c = ch->fields->child; c != NULL; c = c->next) {
    if (put_same(r, c))
      break;
  }
  if (c == NULL) /* every field changes: the put as it is */
    return record_put(r, ch->replica, io->tick(io->ctx), ch->fields, err);
  changed = cJSON_CreateObject();
  for (c = ch->fields->child; changed != NULL && c != NULL; c = c->next) {
    cJSON *copy;
    if (put_same(r, c))
      continue;
    copy = cJSON_Duplicate(c, true);
    if (copy == NULL || !cJSON_AddItemToObject(changed, c->string, copy)) {
      cJSON_Delete(copy);
      cJSON_Delete(changed);
      changed = NULL;
    }
  }
  if (changed == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = changed->child == NULL
           ? 0
           : record_put(r, ch->replica, io->tick(io->ctx), changed, err);
  cJSON_Delete(changed);
  return rc;
}

/*
 * A local write of ch (a put or a delete) to r. One that withdrew the
 * consent r had (a true value was there) is kept as a withdrawal
 * (record.h); a record never given consent, or withdrawn already, holds no
 * personal value to erase.
 */
static int local_write(const struct update_io *io,
                       const struct update_change *ch, struct record *r,
                       struct sb_err *err)
{
  const struct schema_collection *c =
      io->schema != NULL ? schema_collection(io->schema, r->collection) : NULL;
  bool consented = c != NULL && c->consent != NULL && schema_consented(c, r);
  uint64_t before = vv_get(&r->vv, ch->replica);
  struct dot d;
  int rc;

  if (ch->op == UPDATE_PUT)
    rc = put_changes(io, ch, r, err);
  else if (record_delete(r, ch->replica, io->tick(io->ctx)) != 0)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  else
    rc = 0;
  snprintf(d.replica, sizeof(d.replica), "%s", ch->replica);
  d.counter = vv_get(&r->vv, ch->replica);
  if (rc != 0 || !consented || d.counter == before) /* or nothing written */
    return rc;
  if (schema_note_withdrawal(c, r, &d, ch->op == UPDATE_DELETE) != 0)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

/* Applies ch to r in place. */
static int change_apply(const struct update_io *io,
                        const struct update_change *ch, struct record *r,
                        struct sb_err *err)
{
  int rc;

  switch (ch->op) {
  case UPDATE_PUT:
  case UPDATE_DELETE:
    return local_write(io, ch, r, err);
  case UPDATE_MERGE:
    rc = record_merge(r, ch->remote);
    if (rc != 0)
      return sb_err_set(err, rc, "merging %s/%s: %s", r->collection, r->id,
                        sb_err_str(rc));
    return 0;
  }
  return sb_err_set(err, SB_EINVAL, "unknown update %d", (int)ch->op);
}

/*
 * True if merging remote into a record the store does not hold gives
 * exactly remote: every entry survives (the empty state has seen no dot)
 * and consent normalisation drops nothing. The merge and its copy of
 * every value are then skipped; remote is the new state as it is.
 */
static bool merge_gives_remote(const struct update_io *io,
                               const char *collection, const char *id,
                               const struct record *remote)
{
  size_t i;

  if (strcmp(remote->collection, collection) != 0 ||
      strcmp(remote->id, id) != 0)
    return false;
  for (i = 0; i < remote->nf; i++) {
    if (remote->f[i].n == 0) /* a merge drops an empty field */
      return false;
  }
  return io->schema == NULL ||
         schema_normal(schema_collection(io->schema, collection), remote);
}

/*
 * A merge into a record the store may not hold, tried as a new row first
 * (io->add): 1 if the store held the key (nothing written: merge as
 * usual), 0 with out filled if it was added, or an error.
 */
static int merge_as_new(const struct update_io *io, const char *collection,
                        const char *id, const struct update_change *ch,
                        struct update_result *out, struct sb_err *err)
{
  char *text;
  bool added = false;
  uint64_t seq = 0;
  int rc;

  if (!merge_gives_remote(io, collection, id, ch->remote))
    return 1;
  text = ch->remote_text != NULL ? (char *)ch->remote_text
                                 : record_encode_compact(ch->remote);
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = io->add(io->ctx, ch->remote, text, strlen(text), &seq, &added, err);
  if (text != ch->remote_text)
    free(text);
  if (rc != 0)
    return rc;
  if (!added)
    return 1;
  out->outcome = UPDATE_WRITTEN;
  out->seq = seq;
  return 0;
}

int update_apply(const struct update_io *io, const char *collection,
                 const char *id, const struct update_change *ch,
                 const struct update_hooks *hooks, struct update_result *out,
                 struct sb_err *err)
{
  struct record r;
  const struct record *next = &r; /* the new state */
  char *have = NULL, *text = NULL;
  const char *reused = NULL; /* ch->remote_text, borrowed as text */
  size_t have_len = 0, len;
  uint64_t seq = 0;
  int rc;

  memset(out, 0, sizeof(*out));
  if (ch->op == UPDATE_MERGE && io->add != NULL && hooks == NULL) {
    rc = merge_as_new(io, collection, id, ch, out, err);
    if (rc != 1)
      return rc;
  }
  record_init(&r, collection, id);
  rc = io->load(io->ctx, collection, id, &have, &have_len, &out->seq, err);
  if (rc == SB_ENOTFOUND) {
    free(have);
    have = NULL;
    rc = 0;
  } else if (rc == 0) {
    out->existed = true;
    rc = decode_current(io, collection, id, have, have_len, &r, err);
  }
  if (rc == 0 && hooks != NULL && hooks->before != NULL)
    rc = hooks->before(hooks->ctx, &r, out->existed, err);
  if (rc == 0 && ch->op == UPDATE_MERGE && !out->existed &&
      merge_gives_remote(io, collection, id, ch->remote))
    next = ch->remote;
  else if (rc == 0)
    rc = change_apply(io, ch, &r, err);
  if (rc != 0)
    goto done;
  if (next == &r && io->schema != NULL) {
    int n = schema_normalise(schema_collection(io->schema, collection), &r);
    out->erased = n > 0 ? (size_t)n : 0;
  }
  if (ch->op == UPDATE_MERGE && ch->remote_text != NULL && !out->existed &&
      out->erased == 0)
    reused = ch->remote_text;
  text = reused != NULL ? (char *)reused : record_encode_compact(next);
  if (text == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto done;
  }
  if (have != NULL && strcmp(have, text) == 0) {
    out->outcome = UPDATE_UNCHANGED;
    goto done;
  }
  len = strlen(text);
  if (hooks != NULL && hooks->after != NULL)
    rc = hooks->after(hooks->ctx, next, len, err);
  if (rc == 0)
    rc = io->save(io->ctx, next, text, len, &seq, err);
  if (rc == 0) {
    out->outcome = UPDATE_WRITTEN;
    out->seq = seq;
  }

done:
  if (rc == UPDATE_REFUSE) {
    out->outcome = UPDATE_REFUSED;
    rc = 0;
  }
  if (text != reused)
    free(text);
  free(have);
  record_release(&r);
  return rc;
}
