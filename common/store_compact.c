/*
 * store_compact.c - store_compact (store.h): VACUUM, then the WAL copied
 * into the file and truncated. secure_delete already zeroes what a write
 * replaces, so this is about room, not erasure: the file shrinks to what
 * it holds, and no page image of an earlier version stays in the -wal.
 */
#include "compat.h"

#include "store.h"
#include "store_int.h"

#include <string.h>

/* The bytes the database's pages take (page_count x page_size). */
static int store_bytes(struct store *s, uint64_t *out, struct sb_err *err)
{
  static const char *const sql[] = {"PRAGMA page_count", "PRAGMA page_size"};
  sqlite3_int64 v[2] = {0, 0};
  size_t i;

  for (i = 0; i < 2; i++) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      v[i] = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
      return store_sqlerr(s, rc, "measuring the store", err);
  }
  *out = (uint64_t)(v[0] * v[1]);
  return 0;
}

int store_compact(struct store *s, struct store_compaction *out,
                  struct sb_err *err)
{
  int rc;

  memset(out, 0, sizeof(*out));
  if (s->in_tx)
    return sb_err_set(err, SB_EINVAL, "store %s: a transaction is open",
                      s->path);
  rc = store_refuse_if_corrupt(s, err);
  if (rc == 0)
    rc = store_bytes(s, &out->bytes_before, err);
  if (rc == 0)
    rc = store_script(s, "VACUUM", "compacting", err);
  if (rc == 0)
    rc = store_bytes(s, &out->bytes_after, err);
  if (rc != 0)
    return rc;
  /* A reader of another process (a serving hub's) may hold the WAL: then
   * it is truncated after a later write, as store_scrub retries. */
  out->wal_truncated =
      sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                NULL) == SQLITE_OK;
  return 0;
}
