/*
 * store_remove.c - rows that leave the store for good (store.h): a record
 * outside this device's scope, a meta setting no longer needed. Rare, so
 * the statements are prepared per call.
 */
#include "compat.h"

#include "store_int.h"

#include <stdio.h>

int store_remove(struct store *s, const char *collection, const char *id,
                 bool *removed, struct sb_err *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if (removed != NULL)
    *removed = false;
  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: removing %s/%s outside a transaction",
                      s->path, collection, id);
  rc = sqlite3_prepare_v2(s->db,
                          "DELETE FROM records WHERE collection = ?1 AND"
                          " id = ?2 AND pending = 0",
                          -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, "removing a record", err);
  sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    if (removed != NULL)
      *removed = sqlite3_changes(s->db) > 0;
    rc = 0;
    if (sqlite3_changes(s->db) > 0) {
      s->erasing = true; /* the commit checkpoints the WAL */
      /* A state it pushed may be gone: its echoes are needed again. */
      rc = store_meta_write(s, STORE_META_HOLDS_OWN, "0", err);
    }
  } else {
    rc = store_sqlerr(s, rc, "removing a record", err);
    store_tx_check(s);
  }
  sqlite3_finalize(st);
  return rc;
}

int store_meta_delete(struct store *s, const char *key, struct sb_err *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  rc = sqlite3_prepare_v2(s->db, "DELETE FROM meta WHERE key = ?1", -1, &st,
                          NULL);
  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, "removing a setting", err);
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  rc = rc == SQLITE_DONE ? 0 : store_sqlerr(s, rc, "removing a setting", err);
  sqlite3_finalize(st);
  return rc;
}

int store_purge(struct store *s, const char *collection, const char *id,
                struct sb_err *err)
{
  sqlite3_stmt *st = NULL;
  char floor[24];
  int rc;

  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: purging %s/%s outside a transaction",
                      s->path, collection, id);
  rc = sqlite3_prepare_v2(
      s->db, "DELETE FROM records WHERE collection = ?1 AND id = ?2", -1, &st,
      NULL);
  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, "purging a record", err);
  sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    if (sqlite3_changes(s->db) > 0)
      s->erasing = true; /* the commit checkpoints the WAL */
    rc = 0;
  } else {
    rc = store_sqlerr(s, rc, "purging a record", err);
    store_tx_check(s);
  }
  sqlite3_finalize(st);
  /* The row may have held the newest seq: keep it, seqs never go back. */
  snprintf(floor, sizeof(floor), "%llu", (unsigned long long)s->seq);
  if (rc == 0)
    rc = store_meta_set(s, "seq_floor", floor, err);
  return rc;
}
