/*
 * store_tx.c - transactions and the clock of a store (see store.h).
 *
 * A writer takes the write lock first (BEGIN IMMEDIATE) and only then
 * reads seq and the HLC, so two processes sharing the file never hand out
 * the same seq or a timestamp that goes back. The HLC is written to meta
 * in the transaction that used it. Ticks follow the wall clock corrected
 * by the hub offset (meta clock_offset, loaded with the HLC). A relaxed
 * transaction (bulk pulls) commits with synchronous=NORMAL and the store goes
 * back to FULL before any other write.
 */
#include "compat.h"

#include "store_int.h"

#include <stdio.h>

static int store_load_seq(struct store *s, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_MAX_SEQ];
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    sqlite3_int64 n = sqlite3_column_int64(st, 0);
    s->seq = n > 0 ? (uint64_t)n : 0;
    rc = 0;
  } else {
    rc = store_sqlerr(s, rc, "reading the change sequence", err);
  }
  store_stmt_done(st);
  return rc;
}

/*
 * A relaxed transaction (a pulled page) checkpoints the WAL only past
 * STORE_BULK_CKPT_BYTES (SQLite's default is 1000 pages): the pages of a cold
 * pull are copied into the file in fewer, larger checkpoints, and the
 * index pages every page's transaction rewrites are copied once per
 * checkpoint instead of once per page. Any other commit checkpoints past
 * the default again.
 */
#define STORE_BULK_CKPT_BYTES (32L << 20)

/* SQLite's auto-checkpoint past pages, unless the store's checkpoints are
 * offloaded (store_ckpt_offload): sqlite3_wal_autocheckpoint installs
 * SQLite's own wal hook in place of the offload's, which would put every
 * checkpoint back on the writer's commits. */
static void store_ckpt_pages(struct store *s, int pages)
{
  if (s->ckpt == NULL)
    sqlite3_wal_autocheckpoint(s->db, pages);
}

/* Back to synchronous=FULL after a relaxed transaction. */
static void store_unrelax(struct store *s)
{
  if (s->relaxed)
    store_ckpt_pages(s, store_pages_of(s, STORE_CKPT_BYTES));
  /* If this fails the mark stays, and the next store_begin retries it
   * before it writes anything the user made. */
  if (s->relaxed && store_script(s, "PRAGMA synchronous = FULL",
                                 "restoring synchronous", NULL) == 0)
    s->relaxed = false;
}

static int store_begin_mode(struct store *s, bool relaxed, struct sb_err *err)
{
  int rc;

  if (s->in_tx)
    return sb_err_set(err, SB_EINVAL, "store %s: a transaction is already open",
                      s->path);
  rc = store_refuse_if_corrupt(s, err);
  if (rc != 0)
    return rc;
  if (!relaxed && s->relaxed) {
    store_unrelax(s);
    if (s->relaxed)
      return sb_err_set(err, SB_EIO,
                        "store %s: cannot restore synchronous=FULL", s->path);
  }
  if (relaxed) {
    rc = store_script(s, "PRAGMA synchronous = NORMAL", "relaxing synchronous",
                      err);
    if (rc != 0)
      return rc;
    s->relaxed = true;
    store_ckpt_pages(s, store_pages_of(s, STORE_BULK_CKPT_BYTES));
  }
  rc = store_run(s, ST_BEGIN, "starting a transaction", err);
  if (rc != 0) {
    store_unrelax(s);
    return rc;
  }
  s->in_tx = true;
  store_absent_forget(s);
  rc = store_load_hlc(s, err);
  if (rc == 0)
    rc = store_load_seq(s, err);
  if (rc != 0)
    store_rollback(s);
  return rc;
}

/*
 * After a commit that may have erased values (a delete, a state without
 * consent): copies the WAL into the file and truncates it, so the old
 * values' page images do not stay in the -wal file; secure_delete has
 * zeroed them in the file itself. A checkpoint a reader blocks past the
 * busy timeout is retried after the next commit (the mark stays).
 */
static void store_scrub(struct store *s)
{
  int rc;

  if (!s->erasing)
    return;
  rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                 NULL);
  if (rc == SQLITE_OK)
    s->erasing = false;
}

int store_begin(struct store *s, struct sb_err *err)
{
  return store_begin_mode(s, false, err);
}

int store_begin_relaxed(struct store *s, struct sb_err *err)
{
  return store_begin_mode(s, true, err);
}

int store_commit(struct store *s, struct sb_err *err)
{
  char hlc_text[24];
  int rc;

  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL, "store %s: no transaction to commit",
                      s->path);
  snprintf(hlc_text, sizeof(hlc_text), "%llu",
           (unsigned long long)s->clock.last);
  rc = store_meta_write(s, "hlc", hlc_text, err);
  if (rc == 0)
    rc = store_refs_drain(s, err);
  if (rc == 0) {
    rc = store_run(s, ST_COMMIT, "committing", err);
    store_tx_check(s);
  }
  if (rc != 0) {
    store_rollback(s);
    return rc;
  }
  s->in_tx = false;
  store_refs_committed(s);
  store_absent_forget(s);
  store_unrelax(s);
  store_scrub(s);
  return 0;
}

void store_rollback(struct store *s)
{
  store_tx_check(s);
  if (!s->in_tx) {
    store_unrelax(s);
    return;
  }
  /* A walk in progress goes on reading or fails; it is never restarted. */
  store_run(s, ST_ROLLBACK, "rolling back", NULL);
  s->in_tx = false;
  store_refs_rolled_back(s);
  store_absent_forget(s);
  store_unrelax(s);
}

uint64_t store_now_ms(struct store *s)
{
  return hlc_offset_apply(&s->offset, hlc_wall_ms());
}

uint64_t store_tick(struct store *s)
{
  return hlc_tick(&s->clock, store_now_ms(s));
}

void store_observe(struct store *s, uint64_t ts)
{
  hlc_observe(&s->clock, ts, store_now_ms(s));
}

int store_last_seq(struct store *s, uint64_t *seq, struct sb_err *err)
{
  int rc;

  if (s->in_tx) {
    *seq = s->seq;
    return 0;
  }
  rc = store_load_seq(s, err);
  *seq = rc == 0 ? s->seq : 0;
  return rc;
}
