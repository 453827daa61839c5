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
  int64_t pages = 0, size = 0;
  int rc = store_pragma_i64(s, "page_count", &pages, err);

  if (rc == 0)
    rc = store_pragma_i64(s, "page_size", &size, err);
  if (rc == 0)
    *out = (uint64_t)(pages * size);
  return rc;
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
