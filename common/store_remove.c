/*
 * store_remove.c - rows that leave the store for good (store.h): a record
 * outside this device's scope, a meta setting no longer needed; and the
 * store's other rare statements, prepared per call (store_run_once).
 */
#include "compat.h"

#include "store_int.h"

#include <stdio.h>

int store_run_once(struct store *s, const char *sql, const char *a,
                   const char *b, int *changes, const char *what,
                   struct sb_err *err)
{
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

  if (changes != NULL)
    *changes = 0;
  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, what, err);
  if (a != NULL)
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
  if (b != NULL)
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    if (changes != NULL)
      *changes = sqlite3_changes(s->db);
    rc = 0;
  } else {
    rc = store_sqlerr(s, rc, what, err);
    store_tx_check(s);
  }
  sqlite3_finalize(st);
  return rc;
}

int store_remove(struct store *s, const char *collection, const char *id,
                 bool *removed, struct sb_err *err)
{
  int changes = 0, rc;

  if (removed != NULL)
    *removed = false;
  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: removing %s/%s outside a transaction", s->path,
                      collection, id);
  rc = store_run_once(s,
                      "DELETE FROM records WHERE collection = ?1 AND"
                      " id = ?2 AND seq NOT IN (SELECT seq FROM pending)",
                      collection, id, &changes, "removing a record", err);
  if (rc == 0 && changes > 0) {
    if (removed != NULL)
      *removed = true;
    s->erasing = true; /* the commit checkpoints the WAL */
    /* A state it pushed may be gone: its echoes are needed again. */
    rc = store_meta_write(s, STORE_META_HOLDS_OWN, "0", err);
  }
  return rc;
}

int store_meta_delete(struct store *s, const char *key, struct sb_err *err)
{
  return store_run_once(s, "DELETE FROM meta WHERE key = ?1", key, NULL, NULL,
                        "removing a setting", err);
}

int store_purge(struct store *s, const char *collection, const char *id,
                struct sb_err *err)
{
  char floor[24];
  int changes = 0, rc;

  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: purging %s/%s outside a transaction", s->path,
                      collection, id);
  rc = store_refs_drop(s, collection, id, err);
  if (rc == 0)
    rc = store_run_once(s,
                        "DELETE FROM records WHERE collection = ?1 AND id = ?2",
                        collection, id, &changes, "purging a record", err);
  if (rc == 0 && changes > 0)
    s->erasing = true; /* the commit checkpoints the WAL */
  /* The row may have held the newest seq: keep it, seqs never go back. */
  snprintf(floor, sizeof(floor), "%llu", (unsigned long long)s->seq);
  if (rc == 0)
    rc = store_meta_set(s, "seq_floor", floor, err);
  return rc;
}
