/*
 * store_records.c - one record's row (see store.h): read it, decode it,
 * write a new state with the next seq, count rows. A stored state must
 * hold the key of its row; anything else is reported as corruption, never
 * passed on.
 */
#include "compat.h"

#include "store_int.h"

#include "json.h"

#include <stdlib.h>
#include <string.h>

/* Checks (collection, id) before they reach SQL or record_init. */
int store_check_key(const char *collection, const char *id, struct sb_err *err)
{
  if (collection == NULL || !record_name_valid(collection))
    return sb_err_set(err, SB_EINVAL, "invalid collection name \"%s\"",
                      collection != NULL ? collection : "(null)");
  if (id == NULL || !record_id_valid(id))
    return sb_err_set(err, SB_EINVAL, "invalid record id \"%s\"",
                      id != NULL ? id : "(null)");
  return 0;
}

/*
 * Decodes a stored state into r, checking it holds the key of its row.
 * SB_ECORRUPT naming the record if not.
 */
int store_decode(struct store *s, const char *collection, const char *id,
                 const char *text, size_t len, struct record *r,
                 struct sb_err *err)
{
  struct sb_err why = {0};
  int rc = record_decode(r, text, len, &why);

  if (rc == SB_ENOMEM)
    return sb_err_set(err, rc, "out of memory reading %s/%s from store %s",
                      collection, id, s->path);
  if (rc != 0)
    return sb_err_set(err, SB_ECORRUPT,
                      "record %s/%s in store %s is corrupt: %s (`sambang "
                      "check` lists every such record; on a hub `sambang-hub "
                      "check`)",
                      collection, id, s->path, why.msg);
  if (!record_is(r, collection, id)) {
    rc = sb_err_set(err, SB_ECORRUPT,
                    "record %s/%s in store %s holds the state of %s/%s",
                    collection, id, s->path, r->collection, r->id);
    record_release(r);
    return rc;
  }
  return 0;
}

int store_get(struct store *s, const char *collection, const char *id,
              struct record *r, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_GET];
  int rc;

  record_release(r);
  rc = store_check_key(collection, id, err);
  if (rc != 0)
    return rc;
  sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *text = (const char *)sqlite3_column_text(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    if (text == NULL)
      rc = sb_err_set(err, SB_ECORRUPT, "record %s/%s in store %s has no state",
                      collection, id, s->path);
    else
      rc = store_decode(s, collection, id, text, len, r, err);
  } else if (rc == SQLITE_DONE) {
    rc = sb_err_set(err, SB_ENOTFOUND, "%s/%s not found", collection, id);
  } else {
    rc = store_sqlerr(s, rc, "reading a record", err);
  }
  store_stmt_done(st);
  if (rc != 0) {
    record_release(r);
    record_init(r, collection, id);
  }
  return rc;
}

int store_put(struct store *s, const struct record *r, struct sb_err *err)
{
  char *text;
  int rc;

  text = record_encode_compact(r);
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory encoding %s/%s",
                      r->collection, r->id);
  rc = store_put_encoded(s, r, text, strlen(text), err);
  free(text);
  return rc;
}

void store_absent_forget(struct store *s)
{
  s->absent[0].known = s->absent[1].known = false;
}

/* Remembers that (collection, id), checked by store_check_key, is absent. */
static void store_absent_note(struct store *s, const char *collection,
                              const char *id)
{
  struct store_absent *a = &s->absent[s->absent_next];

  s->absent_next ^= 1;
  a->known = true;
  memcpy(a->collection, collection, strlen(collection) + 1);
  memcpy(a->id, id, strlen(id) + 1);
}

/* True if (collection, id) is known absent (store_absent_note). */
static bool store_absent_is(const struct store *s, const char *collection,
                            const char *id)
{
  size_t k;

  for (k = 0; k < 2; k++) {
    const struct store_absent *a = &s->absent[k];
    if (a->known && strcmp(a->id, id) == 0 &&
        strcmp(a->collection, collection) == 0)
      return true;
  }
  return false;
}

/* Writes an encoded state with statement which (ST_PUT, ST_PUT_REMOTE,
 * ST_PUT_ECHO with echo and part, or ST_ADD_NEW: then *added says whether
 * the row was new; nothing is written if it was not). */
static int store_write(struct store *s, int which, const struct record *r,
                       const char *text, size_t len, const char *echo,
                       const char *part, bool *added, struct sb_err *err)
{
  bool add = store_absent_is(s, r->collection, r->id);
  sqlite3_stmt *st = s->st[add ? ST_ADD : which];
  int rc;

  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: writing %s/%s outside a transaction", s->path,
                      r->collection, r->id);
  rc = store_check_key(r->collection, r->id, err);
  if (rc != 0)
    return rc;
  {
    /* The limit is on the full form, whichever form text is. */
    size_t over = record_full_over(r, len, SB_RECORD_MAX);
    if (over == SIZE_MAX)
      return sb_err_set(err, SB_ENOMEM, NULL);
    if (over > 0)
      return sb_err_set(err, SB_ETOOBIG,
                        "record %s/%s is too large (%zu bytes, the limit is "
                        "%d)",
                        r->collection, r->id, over, SB_RECORD_MAX);
  }
  sqlite3_bind_text(st, 1, r->collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)(s->seq + 1));
  sqlite3_bind_int(st, 4, record_deleted(r) ? 1 : 0);
  sqlite3_bind_int(st, 5, record_conflicted(r) ? 1 : 0);
  sqlite3_bind_text(st, 6, text, (int)len, SQLITE_STATIC);
  if (which == ST_PUT_ECHO || add) { /* a NULL text binds NULL */
    sqlite3_bind_text(st, 7, echo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, part, -1, SQLITE_STATIC);
  }
  store_absent_forget(s);
  rc = store_run(s, add ? ST_ADD : which, "writing a record", err);
  if (added != NULL)
    *added = rc == 0 && (add || sqlite3_changes(s->db) > 0);
  if (rc == 0 && added != NULL && !*added)
    return 0;                       /* the key is there: nothing written */
  if (rc == 0 && which == ST_PUT) { /* a local write waits for its push */
    sqlite3_bind_int64(s->st[ST_PEND], 1, (sqlite3_int64)(s->seq + 1));
    rc = store_run(s, ST_PEND, "marking a record as pending", err);
  }
  if (rc == 0)
    s->seq++;
  /* A delete, a state without consent or one holding withdrawals (its
   * personal values, or some of them, erased by schema_normalise): the
   * commit checkpoints the WAL (store_tx.c). */
  if (rc == 0 && !s->erasing)
    s->erasing =
        record_deleted(r) || record_nwithdrawals(r) > 0 ||
        !schema_consented(schema_collection(store_schema(s), r->collection), r);
  store_tx_check(s);
  return rc;
}

int store_put_encoded(struct store *s, const struct record *r, const char *text,
                      size_t len, struct sb_err *err)
{
  return store_write(s, ST_PUT, r, text, len, NULL, NULL, NULL, err);
}

int store_put_echo(struct store *s, const struct record *r, const char *text,
                   size_t len, const char *echo, const char *part,
                   struct sb_err *err)
{
  return store_write(s, ST_PUT_ECHO, r, text, len, echo, part, NULL, err);
}

int store_put_remote(struct store *s, const struct record *r, const char *text,
                     size_t len, struct sb_err *err)
{
  return store_write(s, ST_PUT_REMOTE, r, text, len, NULL, NULL, NULL, err);
}

int store_add_remote(struct store *s, const struct record *r, const char *text,
                     size_t len, bool *added, struct sb_err *err)
{
  return store_write(s, ST_ADD_NEW, r, text, len, NULL, NULL, added, err);
}

int store_get_text(struct store *s, const char *collection, const char *id,
                   char **text, size_t *len, uint64_t *seq, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_GET];
  int rc;

  *text = NULL;
  *len = 0;
  *seq = 0;
  rc = store_check_key(collection, id, err);
  if (rc != 0)
    return rc;
  sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    sqlite3_int64 q = sqlite3_column_int64(st, 1);
    if (t == NULL || q < 0) {
      rc = sb_err_set(err, SB_ECORRUPT,
                      "record %s/%s in store %s has no state or a bad seq",
                      collection, id, s->path);
    } else if ((*text = malloc(n + 1)) == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, "out of memory reading %s/%s", collection,
                      id);
    } else {
      memcpy(*text, t, n + 1);
      *len = n;
      *seq = (uint64_t)q;
      rc = 0;
    }
  } else if (rc == SQLITE_DONE) {
    rc = sb_err_not_found(err, collection, id);
    if (s->in_tx)
      store_absent_note(s, collection, id);
  } else {
    rc = store_sqlerr(s, rc, "reading a record", err);
  }
  store_stmt_done(st);
  return rc;
}

int store_count(struct store *s, const char *collection,
                struct store_counts *out, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[collection != NULL ? ST_COUNT_COLL : ST_COUNT_ALL];
  int rc;

  memset(out, 0, sizeof(*out));
  if (collection != NULL)
    sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    out->records = (uint64_t)sqlite3_column_int64(st, 0);
    out->deleted = (uint64_t)sqlite3_column_int64(st, 1);
    out->conflicted = (uint64_t)sqlite3_column_int64(st, 2);
    out->pending = (uint64_t)sqlite3_column_int64(st, 3);
    out->rejected = (uint64_t)sqlite3_column_int64(st, 4);
    rc = 0;
  } else {
    rc = store_sqlerr(s, rc, "counting records", err);
  }
  store_stmt_done(st);
  return rc;
}

int store_count_marks(struct store *s, uint64_t *pending, uint64_t *rejected,
                      struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_COUNT_MARKS];
  int rc = sqlite3_step(st);

  *pending = *rejected = 0;
  if (rc == SQLITE_ROW) {
    *pending = (uint64_t)sqlite3_column_int64(st, 0);
    *rejected = (uint64_t)sqlite3_column_int64(st, 1);
    rc = 0;
  } else {
    rc = store_sqlerr(s, rc, "counting records", err);
  }
  store_stmt_done(st);
  return rc;
}
