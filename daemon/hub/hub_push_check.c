/*
 * hub_push_check.c - every check of a pushed write against the hub's
 * state, the same on every backend: update_apply's hooks before and
 * after the merge (hub_push.c runs the merge), and the values' check
 * made on the pool before a batch is queued (hub_push_prepare).
 *
 * A push may add only the pusher's own writes, and the hub refuses a
 * write only for what is wrong in the write itself, never for the state
 * it merges into (daemon/hub/DESIGN.md, "Push"). Each pushed record (rec)
 * goes through update_apply (common/update.h), the read-merge-write every
 * writer shares; before the merge it is checked against the hub's state
 * (cur), per record, in this order:
 *   purged: a record the hub does not hold whose id its purge ledger
 *     names (a late push of a deleted record; hub_purge.h);
 *   out_of_scope: a record the hub holds outside the pushing device's
 *     scope (for a new record, its pushed scope values decide;
 *     hub_scope_may_push);
 *   forged_dot: a version-vector entry of another replica above cur's
 *     (the push is then held aside, and passes together with the held
 *     pushes of those replicas if each passes every check below against
 *     cur and the others: hub_push_held.c);
 *   dot_reused: a dot cur holds, pushed with another value or timestamp
 *     (or as a delete where cur holds a write, or the reverse);
 *   forged_entry: an entry cur holds that rec's vv covers but rec does not
 *     hold (rec dropped it), where no new write of the pusher explains the
 *     drop: a new entry of the pusher on that field, a new delete of the
 *     pusher, or (a put after a delete) a new dot of the pusher that rec no
 *     longer holds next to one it does; a dropped tombstone needs any new
 *     entry of the pusher. "New" is a dot of the pusher above cur's vv.
 *     Entries of other replicas that rec holds and cur does not are ones
 *     cur superseded (its vv covers them): the merge drops them; and a
 *     withdrawal (record.h) cur lacks that is not a new write of the
 *     pusher, or a "seen" of one that is not the pusher's own new write;
 *   future_timestamp: a new entry stamped above max_ts;
 *   too_large: the pushed state (and, after the merge, the merged one)
 *     encoded over SB_RECORD_MAX;
 *   schema: for collections the hub's schema defines, a value of a new
 *     entry of the pusher that does not have its field's type
 *     (schema_check_field; enum values spelled exactly as the schema
 *     spells them). Record rules (required fields, consent) are the
 *     writer's: a merged state that breaks one is stored as it is.
 */
#include "compat.h"

#include "hub_push.h"
#include "hub_push_int.h"

#include "hub_purge.h"
#include "hub_scope.h"
#include "json.h"
#include "update.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks res refused with code and a message naming the record. */
static void refuse(struct push_result *res, enum proto_err code,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void refuse(struct push_result *res, enum proto_err code,
                   const char *fmt, ...)
{
  va_list ap;
  int n;

  res->ok = false;
  snprintf(res->code, sizeof(res->code), "%s", proto_err_name(code));
  n = snprintf(res->message, sizeof(res->message), "%s/%s: ", res->collection,
               res->id);
  if (n < 0 || (size_t)n >= sizeof(res->message))
    return;
  va_start(ap, fmt);
  vsnprintf(res->message + n, sizeof(res->message) - (size_t)n, fmt, ap);
  va_end(ap);
}

/* each_entry's step of check_future: the entries cur has not seen. */
static int future_entry(const char *field, const struct entry *e, void *ctx)
{
  struct push_one *p = ctx;

  if (vv_covers(hub_push_since(p, p->cur), &e->dot))
    return 0;
  if (e->ts > p->max_ts) {
    if (field != NULL)
      snprintf(p->what, sizeof(p->what), "field \"%s\" has timestamp %" PRIu64,
               field, e->ts);
    else
      snprintf(p->what, sizeof(p->what), "its delete has timestamp %" PRIu64,
               e->ts);
    return 1;
  }
  if (e->ts > p->newest)
    p->newest = e->ts;
  return 0;
}

/*
 * The newest timestamp among the entries rec adds (dots cur has not seen)
 * into p->newest; false (and p->what names it) if one is above max_ts.
 */
static bool check_future(struct push_one *p, const struct record *cur)
{
  p->newest = 0;
  p->cur = cur;
  return record_each_entry(p->rec, future_entry, p) == 0;
}

/*
 * An upper bound of the length of record_encode(r), without encoding it:
 * every entry is its value plus at most ENTRY_OVERHEAD bytes of dot, ts
 * and punctuation, every field its name plus FIELD_OVERHEAD, and so on.
 */
#define ENTRY_OVERHEAD (SB_REPLICA_MAX + 2 * 17 + 32)
#define FIELD_OVERHEAD (SB_NAME_MAX + 8)
#define RECORD_OVERHEAD (SB_NAME_MAX + SB_ID_MAX + 96)
struct bound_walk {
  size_t n;
  const char *field; /* the field counted last */
};

static int bound_entry(const char *field, const struct entry *e, void *ctx)
{
  struct bound_walk *w = ctx;

  if (field != NULL && field != w->field)
    w->n += FIELD_OVERHEAD;
  w->field = field;
  w->n += ENTRY_OVERHEAD + (e->value != NULL ? strlen(e->value) : 0);
  return 0;
}

static size_t encoded_bound(const struct record *r)
{
  struct bound_walk w = {RECORD_OVERHEAD + r->vv.n * (SB_REPLICA_MAX + 24),
                         NULL};
  record_each_entry(r, bound_entry, &w);
  return w.n;
}

/* Checks one value of field name of collection c (see the top comment). */
static int check_value(const struct schema_collection *c, const char *name,
                       const char *value, struct sb_err *err)
{
  const struct schema_field *f;
  cJSON *v;
  int rc;

  if (schema_value_text_ok(c, name, value))
    return 0; /* the common case, decided without a parse */
  f = schema_field(c, name);
  v = cJSON_Parse(value);
  if (v == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = schema_check_field(c, name, v, err);
  if (rc == 0 && f != NULL &&
      (f->type == SCHEMA_ENUM || f->type == SCHEMA_ENUM_LIST)) {
    /* schema_check_field respells case-insensitive matches in place. */
    char *after = json_canon(v);
    if (after == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    else if (strcmp(after, value) != 0)
      rc = sb_err_set(err, SB_ESCHEMA,
                      "field \"%s\": %s must be spelled as the schema does "
                      "(%s)",
                      name, value, after);
    free(after);
  }
  cJSON_Delete(v);
  return rc;
}

struct value_walk {
  const struct push_one *p;
  const struct schema_collection *c;
  struct own_new o;
  struct sb_err *err;
};

static int value_entry(const char *field, const struct entry *e, void *ctx)
{
  struct value_walk *w = ctx;
  if (field == NULL || !hub_push_entries_own_new_dot(w->p, &w->o, &e->dot))
    return 0;
  return check_value(w->c, field, e->value, w->err);
}

/*
 * Checks the values of the pusher's new entries in rec against c, the
 * write's own content: not the merged state's record rules.
 */
static int check_schema(const struct push_one *p, const struct record *cur,
                        const struct schema_collection *c, struct sb_err *err)
{
  struct value_walk w = {
      p, c, {vv_get(hub_push_since(p, cur), p->pusher), 0, 0, 0}, err};

  return record_each_entry(p->rec, value_entry, &w);
}

/* Refuses p's record with code and p->what; counts it. */
static int refuse_what(struct push_one *p, enum proto_err code)
{
  uint64_t *n = code == PROTO_ERR_FORGED_DOT ? &p->stats->refused_forged_dot
                : code == PROTO_ERR_FORGED_ENTRY
                    ? &p->stats->refused_forged_entry
                    : &p->stats->refused_dot_reused;
  refuse(p->res, code, "%s", p->what);
  (*n)++;
  return UPDATE_REFUSE;
}

/* The pushed state's size, if over SB_RECORD_MAX (else 0); SIZE_MAX on
 * ENOMEM. */
static size_t pushed_too_large(const struct record *rec)
{
  char *text;
  size_t len;

  if (encoded_bound(rec) <= SB_RECORD_MAX) /* rare: measure exactly */
    return 0;
  text = record_encode(rec);
  if (text == NULL)
    return SIZE_MAX;
  len = strlen(text);
  free(text);
  return len > SB_RECORD_MAX ? len : 0;
}

/*
 * The hub's state's scope parts into p->was (for the moves) and the scope
 * check: 0, UPDATE_REFUSE (out_of_scope) or an error.
 */
static int check_scope(struct push_one *p, const struct record *cur,
                       bool exists, struct sb_err *err)
{
  struct scope_parts pushed;
  int rc;

  /* A device of unknown scope is told of no echo (its feed is not
   * known here). */
  p->in_scope = p->ops->each_in == NULL || (p->dev != NULL && p->dev->all);
  if (p->ops->each_in == NULL)
    return 0; /* a backend without scopes yet */
  rc = hub_scope_of(p->ops, p->be, p->schema, cur, &p->was, err);
  if (rc != 0 || p->dev == NULL || p->dev->all)
    return rc;
  scope_parts_init(&pushed);
  rc = hub_scope_of(p->ops, p->be, p->schema, p->rec, &pushed, err);
  /* Moved out of the scope by this push: the device's feed has a gone
   * entry for it, which it must get. */
  p->in_scope = rc == 0 && scope_meets(p->dev, &pushed);
  if (rc == 0 && !hub_scope_may_push(p->dev, &p->was, exists, &pushed)) {
    refuse(p->res, PROTO_ERR_OUT_OF_SCOPE,
           "%s is outside this device's scope (%s); it stays on the device "
           "until it is in scope again",
           exists ? "the record, as the hub holds it," : "the new record",
           exists ? "moved away, or the scope changed" : "another area");
    p->stats->refused_out_of_scope++;
    rc = UPDATE_REFUSE;
  }
  scope_parts_release(&pushed);
  return rc;
}

/* A new record whose id the hub purged: refused (purged), so a late push
 * of a deleted record does not bring it back (hub_purge.h). A push of it
 * deleted asks for what holds already: ok, nothing stored (a device
 * pushing all it holds again to a hub put back from a copy sends the
 * tombstones it kept of purged records). */
static int check_purged(struct push_one *p, bool exists, struct sb_err *err)
{
  bool has = false;
  uint64_t seq = 0;
  int rc;

  if (exists || !p->ledger)
    return 0;
  rc = hub_purge_ledger_has(p->ops, p->be, p->rec->collection, p->rec->id, &has,
                            &seq, err);
  if (rc != 0 || !has)
    return rc;
  if (record_deleted(p->rec)) {
    p->res->ok = true;
    p->res->seq = seq;
    p->stats->unchanged++;
    return UPDATE_REFUSE; /* stores nothing; the result stays ok */
  }
  refuse(p->res, PROTO_ERR_PURGED,
         "the record was deleted and its tombstone purged at the hub (seq "
         "%" PRIu64 "); it cannot come back: record it again under a new id",
         seq);
  p->stats->refused_purged++;
  return UPDATE_REFUSE;
}

/* future_timestamp and too_large (of the pushed state): 0, UPDATE_REFUSE
 * with p->res filled, or an error. Sets p->newest. */
static int check_clock_and_size(struct push_one *p, const struct record *cur,
                                struct sb_err *err)
{
  size_t len;

  if (!check_future(p, cur)) {
    refuse(p->res, PROTO_ERR_FUTURE_TIMESTAMP,
           "%s, more than the allowed margin ahead of the hub's clock "
           "(at most %" PRIu64 "); fix the device's clock",
           p->what, p->max_ts);
    p->stats->refused_future++;
    return UPDATE_REFUSE;
  }
  len = pushed_too_large(p->rec);
  if (len == SIZE_MAX)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (len > 0) {
    refuse(p->res, PROTO_ERR_TOO_LARGE,
           "the record is too large (%zu bytes, at most %d)", len,
           SB_RECORD_MAX);
    p->stats->refused_too_large++;
    return UPDATE_REFUSE;
  }
  return 0;
}

int hub_push_check_write(struct push_one *p, const struct record *cur,
                         struct sb_err *err)
{
  const struct schema_collection *c;
  struct sb_err why = {0};
  int rc;

  rc = hub_push_entries_check(p, cur);
  if (rc < 0)
    return sb_err_set(err, rc, NULL);
  if (rc > 0)
    return refuse_what(p, (enum proto_err)rc);
  rc = check_clock_and_size(p, cur, err);
  if (rc != 0)
    return rc;
  c = schema_collection(p->schema, p->rec->collection);
  rc = c != NULL && !p->values_ok ? check_schema(p, cur, c, &why) : 0;
  if (rc == SB_ESCHEMA || rc == SB_EINVAL) {
    refuse(p->res, PROTO_ERR_SCHEMA, "%s", why.msg);
    p->stats->refused_schema++;
    return UPDATE_REFUSE;
  }
  if (rc != 0)
    return sb_err_set(err, rc, "checking %s/%s: %s", p->rec->collection,
                      p->rec->id, why.msg);
  return 0;
}

/* Refuses p's record forged_dot (p->what names the entry) and holds it
 * aside for a push that vouches for it (hub_push_held.c). */
static int push_hold(struct push_one *p)
{
  size_t n = strlen(p->what);

  p->hold = p->ops->meta_delete != NULL;
  if (p->hold)
    snprintf(p->what + n, sizeof(p->what) - n,
             "; held aside until that replica's own push vouches for it");
  return refuse_what(p, PROTO_ERR_FORGED_DOT);
}

/*
 * p's record passed with held pushes (hub_push_held_joint checked each):
 * their merge, p->joint, becomes the change update_apply merges. Checked
 * here as a whole: its timestamps (for p->newest) and its size.
 */
static int push_join(struct push_one *p, const struct record *cur,
                     struct sb_err *err)
{
  p->joined = true;
  p->rec = &p->joint;
  p->sent = NULL;
  p->ch->remote = &p->joint;
  p->ch->remote_text = NULL;
  return check_clock_and_size(p, cur, err);
}

/* update_apply's hook before the merge: every check of the write itself. */
int hub_push_before(void *ctx, const struct record *cur, bool exists,
                    struct sb_err *err)
{
  struct push_one *p = ctx;
  int rc;

  rc = check_purged(p, exists, err);
  if (rc == 0)
    rc = check_scope(p, cur, exists, err);
  if (rc != 0)
    return rc;
  if (hub_push_entries_forged_vv(p, cur))
    rc = hub_push_check_write(p, cur, err);
  else if ((rc = hub_push_held_joint(p, cur, err)) == 0)
    return push_hold(p);
  else if (rc == 1)
    rc = push_join(p, cur, err);
  if (rc != 0)
    return rc;
  p->was_conflicted = record_conflicted(cur);
  return 0;
}

/* update_apply's hook after the merge: the merged size only (the merged
 * state's record rules are not the push's to enforce). */
int hub_push_after(void *ctx, const struct record *next, size_t len,
                   struct sb_err *err)
{
  struct push_one *p = ctx;

  (void)err;
  p->is_conflicted = record_conflicted(next);
  len = record_full_over(next, len, SB_RECORD_MAX); /* len: its stored text */
  if (len == SIZE_MAX)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (len > 0) {
    refuse(p->res, PROTO_ERR_TOO_LARGE,
           "the merged record would be too large (%zu bytes, at most %d)", len,
           SB_RECORD_MAX);
    p->stats->refused_too_large++;
    return UPDATE_REFUSE;
  }
  return 0;
}

/* each_entry's step of values_pass: every value of a field. */
static int any_value(const char *field, const struct entry *e, void *ctx)
{
  struct sb_err ignored = {0};

  if (field == NULL)
    return 0;
  return check_value(ctx, field, e->value, &ignored) != 0;
}

/* True if every value of r passes c (so every new entry's does). */
static bool values_pass(const struct schema_collection *c,
                        const struct record *r)
{
  return c == NULL || record_each_entry(r, any_value, (void *)c) == 0;
}

int hub_push_prepare(const struct schema *schema, struct hub_push_batch *b)
{
  size_t i;

  hub_push_prepared_release(b);
  if (b->n == 0)
    return 0;
  b->sent = calloc(b->n, sizeof(*b->sent));
  b->values_ok = calloc(b->n, sizeof(*b->values_ok));
  if (b->sent == NULL || b->values_ok == NULL)
    goto nomem;
  for (i = 0; i < b->n; i++) {
    b->sent[i] = record_encode_compact(&b->recs[i]);
    if (b->sent[i] == NULL)
      goto nomem;
    b->values_ok[i] = values_pass(
        schema_collection(schema, b->recs[i].collection), &b->recs[i]);
  }
  return 0;
nomem:
  hub_push_prepared_release(b);
  return SB_ENOMEM;
}

void hub_push_prepared_release(struct hub_push_batch *b)
{
  size_t i;

  if (b->sent != NULL)
    for (i = 0; i < b->n; i++)
      free(b->sent[i]);
  free(b->sent);
  free(b->values_ok);
  b->sent = NULL;
  b->values_ok = NULL;
}
