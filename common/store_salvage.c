/*
 * store_salvage.c - reading what is left of a damaged store (see store.h).
 *
 * SQLite stops a scan at the first page it cannot trust, so one scan of a
 * damaged table can miss most of it. The row ids are gathered instead
 * from every b-tree that holds them: the pending marks (the local changes
 * not yet pushed, the rows nothing else can give back; a row counts as
 * pending if its mark could be read, and every row does when the marks
 * could not all be read: a row pushed again is a no-op at the hub, a
 * change never pushed would be lost), the seq index,
 * the (collection, id) index and the table itself, each scan going as far
 * as it can; then each row is read on its own by row id, so a bad page
 * loses only the rows on it. Nothing here writes, and SQLite's errors are
 * expected, so they are counted rather than translated.
 */
#include "compat.h"

#include "store_int.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

/* A growing set of row ids. */
struct rowids {
  sqlite3_int64 *v;
  size_t n, cap;
};

static int rowids_add(struct rowids *r, sqlite3_int64 id)
{
  sqlite3_int64 *v = array_grow(r->v, &r->cap, r->n, sizeof(*v), 256);

  if (v == NULL)
    return SB_ENOMEM;
  r->v = v;
  r->v[r->n++] = id;
  return 0;
}

static int cmp_id(const void *a, const void *b)
{
  sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
  return x < y ? -1 : x > y;
}

/* Sorts and removes duplicates from ids[from..]. */
static void rowids_unique(struct rowids *r, size_t from)
{
  size_t i, k;

  if (r->n - from < 2)
    return;
  qsort(r->v + from, r->n - from, sizeof(*r->v), cmp_id);
  for (i = from + 1, k = from + 1; i < r->n; i++) {
    if (r->v[i] != r->v[k - 1])
      r->v[k++] = r->v[i];
  }
  r->n = k;
}

/* Drops from ids[from..] those in the sorted ids[0..from). */
static void rowids_drop_seen(struct rowids *r, size_t from)
{
  size_t i, k = from;

  for (i = from; i < r->n; i++) {
    if (bsearch(&r->v[i], r->v, from, sizeof(*r->v), cmp_id) == NULL)
      r->v[k++] = r->v[i];
  }
  r->n = k;
}

/* Adds the row ids sql gives, as far as the pages allow; *whole tells
 * whether the scan reached its end (NULL: not asked). */
static int gather(struct store *s, const char *sql, struct rowids *r,
                  bool *whole)
{
  sqlite3_stmt *st = NULL;
  int rc = 0, step = SQLITE_ERROR;

  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
      rc = rowids_add(r, sqlite3_column_int64(st, 0));
  } /* else a damaged schema: the other scans may still work */
  sqlite3_finalize(st);
  if (whole != NULL)
    *whole = rc == 0 && step == SQLITE_DONE;
  return rc;
}

/* Reads the rows ids[from..to) one by one. */
static int read_rows(struct store *s, const struct rowids *r, size_t from,
                     size_t to, bool pending, store_row_fn fn, void *ctx,
                     uint64_t *unreadable)
{
  sqlite3_stmt *st = NULL;
  size_t i;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT collection, id, state, rejected"
                         " FROM records WHERE rowid = ?1",
                         -1, &st, NULL) != SQLITE_OK) {
    *unreadable += to - from;
    return 0;
  }
  for (i = from; rc == 0 && i < to; i++) {
    struct store_row row;
    sqlite3_bind_int64(st, 1, r->v[i]);
    if (sqlite3_step(st) != SQLITE_ROW) {
      (*unreadable)++;
    } else {
      row.collection = (const char *)sqlite3_column_text(st, 0);
      row.id = (const char *)sqlite3_column_text(st, 1);
      row.state = (const char *)sqlite3_column_text(st, 2);
      row.len = (size_t)sqlite3_column_bytes(st, 2);
      /* The rows read through the pending marks are the pending ones. */
      row.pending = pending;
      row.rejected = (const char *)sqlite3_column_text(st, 3);
      if (row.collection == NULL || row.id == NULL || row.state == NULL)
        (*unreadable)++;
      else
        rc = fn(&row, ctx);
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

int store_salvage(struct store *s, store_row_fn fn, void *ctx,
                  uint64_t *unreadable, struct sb_err *err)
{
  static const char *const scans[] = {
      "SELECT rowid FROM records INDEXED BY records_seq ORDER BY seq",
      ("SELECT rowid FROM records INDEXED BY sqlite_autoindex_records_1"
       " ORDER BY collection, id"),
      "SELECT rowid FROM records NOT INDEXED",
  };
  struct rowids r = {NULL, 0, 0};
  size_t i, npending;
  bool marks_whole = false;
  int rc;

  *unreadable = 0;
  if (s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: cannot salvage inside a "
                      "transaction",
                      s->path);
  /* The local changes first: nobody else holds them. */
  rc = gather(s,
              "SELECT r.rowid FROM pending p JOIN records r"
              " INDEXED BY records_seq ON r.seq = p.seq ORDER BY p.seq",
              &r, &marks_whole);
  npending = r.n;
  if (rc == 0)
    rc = read_rows(s, &r, 0, npending, true, fn, ctx, unreadable);
  for (i = 0; rc == 0 && i < sizeof(scans) / sizeof(scans[0]); i++)
    rc = gather(s, scans[i], &r, NULL);
  if (rc == 0) {
    if (npending > 1) /* r.v is NULL while nothing was found */
      qsort(r.v, npending, sizeof(*r.v), cmp_id);
    rowids_unique(&r, npending);
    rowids_drop_seen(&r, npending);
    rc = read_rows(s, &r, npending, r.n, !marks_whole, fn, ctx, unreadable);
  }
  free(r.v);
  if (rc == SB_ENOMEM)
    return sb_err_set(err, rc, "out of memory reading what is left of %s",
                      s->path);
  return rc;
}
