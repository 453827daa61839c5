/*
 * store_sync.c - the per-record sync marks (see store.h). pending: a local
 * change the hub has not acknowledged; rejected: the hub's reason for
 * refusing the row's state. A mark names the row's seq, so an edit made
 * while a push was in flight is not marked by that push's answer.
 */
#include "compat.h"

#include "store_int.h"

#include <stdint.h>

int store_pending_text(struct store *s, uint64_t after, unsigned limit,
                       store_text_fn fn, void *ctx, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_PENDING];
  int rc = store_check_not_nested(s, st, err);

  if (rc != 0)
    return rc;
  store_bind_since(st, after);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
  return store_walk_text(s, st, fn, ctx, err);
}

/* Binds (collection, id, seq) as ?1..?3 of a mark statement. */
static void bind_mark(sqlite3_stmt *st, const char *collection, const char *id,
                      uint64_t seq)
{
  sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, seq > INT64_MAX ? -1 : (sqlite3_int64)seq);
}

int store_ack(struct store *s, const char *collection, const char *id,
              uint64_t seq, struct sb_err *err)
{
  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL, "store %s: ack outside a transaction",
                      s->path);
  bind_mark(s->st[ST_ACK], collection, id, seq);
  return store_run(s, ST_ACK, "marking a record as pushed", err);
}

int store_reject(struct store *s, const char *collection, const char *id,
                 uint64_t seq, const char *reason, struct sb_err *err)
{
  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL, "store %s: reject outside a transaction",
                      s->path);
  bind_mark(s->st[ST_REJECT], collection, id, seq);
  sqlite3_bind_text(s->st[ST_REJECT], 4, reason, -1, SQLITE_STATIC);
  return store_run(s, ST_REJECT, "marking a record as rejected", err);
}

int store_rejected_each(struct store *s, store_text_fn fn, void *ctx,
                        struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_REJECTED];
  int rc = store_check_not_nested(s, st, err);

  if (rc != 0)
    return rc;
  return store_walk_text(s, st, fn, ctx, err);
}

int store_pend_all(struct store *s, uint64_t *n, struct sb_err *err)
{
  int changes = 0, rc;

  *n = 0;
  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: marking rows pending outside a transaction",
                      s->path);
  rc = store_run_once(s,
                      "INSERT OR IGNORE INTO pending(seq)"
                      " SELECT seq FROM records",
                      NULL, NULL, &changes, "marking every row pending", err);
  *n = (uint64_t)changes;
  return rc;
}

int store_unreject(struct store *s, const char *code, uint64_t *n,
                   struct sb_err *err)
{
  int changes = 0, rc;

  *n = 0;
  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: unreject outside a transaction", s->path);
  /* Through the partial index of refused rows (as ST_COUNT_MARKS), not
   * a lookup of every pending seq. */
  rc = store_run_once(
      s,
      "UPDATE records SET rejected = NULL WHERE rejected IS NOT NULL"
      " AND EXISTS (SELECT 1 FROM pending p WHERE p.seq = records.seq)"
      " AND CASE WHEN json_valid(rejected) THEN"
      " json_extract(rejected, '$.code') END = ?1",
      code, NULL, &changes, "clearing refusals", err);
  *n = (uint64_t)changes;
  return rc;
}
