/*
 * store_feed.c - walking the records (see store.h): every record of a
 * collection in key order, or the local change feed (seq > since) in seq
 * order, as decoded records or as their stored text. The walking
 * statements are prepared once, so a callback must not start another walk.
 */
#include "compat.h"

#include "store_int.h"

#include "scope.h"

#include <stdint.h>
#include <stdlib.h>

/*
 * Steps a (collection, id, seq, state[, part]) query: fn for each row, or
 * part_fn with the fifth column when it is given. null_ok: a NULL state
 * comes as NULL.
 */
static int walk_rows(struct store *s, sqlite3_stmt *st, bool null_ok,
                     store_text_fn fn, store_part_text_fn part_fn, void *ctx,
                     struct sb_err *err)
{
  int rc;

  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *coll = (const char *)sqlite3_column_text(st, 0);
    const char *id = (const char *)sqlite3_column_text(st, 1);
    sqlite3_int64 seq = sqlite3_column_int64(st, 2);
    const char *text = (const char *)sqlite3_column_text(st, 3);
    size_t len = (size_t)sqlite3_column_bytes(st, 3);

    if (coll == NULL || id == NULL || (text == NULL && !null_ok) || seq < 0) {
      rc = sb_err_set(err, SB_ECORRUPT, "store %s has a malformed record row",
                      s->path);
      goto done;
    }
    rc = part_fn != NULL
             ? part_fn(coll, id, (uint64_t)seq,
                       (const char *)sqlite3_column_text(st, 4), text, len, ctx)
             : fn(coll, id, (uint64_t)seq, text, len, ctx);
    if (rc != 0)
      goto done;
  }
  rc = rc == SQLITE_DONE ? 0 : store_sqlerr(s, rc, "reading records", err);
done:
  store_stmt_done(st);
  return rc;
}

/* store_walk_text; null_ok: a NULL state comes to fn as NULL. */
static int walk_text(struct store *s, sqlite3_stmt *st, bool null_ok,
                     store_text_fn fn, void *ctx, struct sb_err *err)
{
  return walk_rows(s, st, null_ok, fn, NULL, ctx, err);
}

/* Steps a (collection, id, seq, state) query, calling fn for each row. */
int store_walk_text(struct store *s, sqlite3_stmt *st, store_text_fn fn,
                    void *ctx, struct sb_err *err)
{
  return walk_text(s, st, false, fn, ctx, err);
}

/* store_walk's adapter: decodes each row's state for a store_record_fn. */
struct walk_decode {
  struct store *s;
  struct record r;
  store_record_fn fn;
  void *ctx;
  struct sb_err *err;
};

static int walk_decode_row(const char *coll, const char *id, uint64_t seq,
                           const char *text, size_t len, void *ctx)
{
  struct walk_decode *w = ctx;
  int rc = store_decode(w->s, coll, id, text, len, &w->r, w->err);
  return rc != 0 ? rc : w->fn(&w->r, seq, w->ctx);
}

/* Like store_walk_text, with each row decoded into a record. */
static int store_walk(struct store *s, sqlite3_stmt *st, store_record_fn fn,
                      void *ctx, struct sb_err *err)
{
  struct walk_decode w = {.s = s, .fn = fn, .ctx = ctx, .err = err};
  int rc;

  record_init(&w.r, "", "");
  rc = store_walk_text(s, st, walk_decode_row, &w, err);
  record_release(&w.r);
  return rc;
}

/* Binds the "seq > since" of the changes statement. */
void store_bind_since(sqlite3_stmt *st, uint64_t since)
{
  if (since > INT64_MAX)
    since = INT64_MAX;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
}

/* The walking statements are shared: fn must not start another walk. */
int store_check_not_nested(struct store *s, sqlite3_stmt *st,
                           struct sb_err *err)
{
  if (sqlite3_stmt_busy(st))
    return sb_err_set(err, SB_EINVAL,
                      "store %s: records walked from inside a walk", s->path);
  return 0;
}

/* The statement of a walk in (collection, id) order, bound; NULL (err
 * set) if it is walking already. */
static sqlite3_stmt *each_stmt(struct store *s, const char *collection,
                               struct sb_err *err)
{
  sqlite3_stmt *st = s->st[collection != NULL ? ST_EACH_COLL : ST_EACH_ALL];

  if (store_check_not_nested(s, st, err) != 0)
    return NULL;
  if (collection != NULL)
    sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
  return st;
}

int store_each(struct store *s, const char *collection, store_record_fn fn,
               void *ctx, struct sb_err *err)
{
  sqlite3_stmt *st = each_stmt(s, collection, err);
  return st != NULL ? store_walk(s, st, fn, ctx, err) : SB_EINVAL;
}

int store_each_text(struct store *s, const char *collection, store_text_fn fn,
                    void *ctx, struct sb_err *err)
{
  sqlite3_stmt *st = each_stmt(s, collection, err);
  return st != NULL ? store_walk_text(s, st, fn, ctx, err) : SB_EINVAL;
}

int store_changes(struct store *s, uint64_t since, store_record_fn fn,
                  void *ctx, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_CHANGES];
  int rc = store_check_not_nested(s, st, err);

  if (rc != 0)
    return rc;
  store_bind_since(st, since);
  return store_walk(s, st, fn, ctx, err);
}

int store_changes_text(struct store *s, uint64_t since, store_text_fn fn,
                       void *ctx, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_CHANGES];
  int rc = store_check_not_nested(s, st, err);

  if (rc != 0)
    return rc;
  store_bind_since(st, since);
  return store_walk_text(s, st, fn, ctx, err);
}

int store_changes_text_echo(struct store *s, uint64_t since, const char *holder,
                            store_text_fn fn, void *ctx, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_CHANGES_ECHO];
  int rc;

  if (holder == NULL)
    return store_changes_text(s, since, fn, ctx, err);
  rc = store_check_not_nested(s, st, err);
  if (rc != 0)
    return rc;
  store_bind_since(st, since);
  sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
  return walk_text(s, st, true, fn, ctx, err);
}

/* Runs an UPDATE of (collection, id) whose ?3 the caller bound. */
static int set_mark(struct store *s, int which, const char *collection,
                    const char *id, const char *what, struct sb_err *err)
{
  int rc;

  if (!s->in_tx) {
    store_stmt_done(s->st[which]);
    return sb_err_set(err, SB_EINVAL,
                      "store %s: %s of %s/%s outside a transaction", s->path,
                      what, collection, id);
  }
  sqlite3_bind_text(s->st[which], 1, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(s->st[which], 2, id, -1, SQLITE_STATIC);
  rc = store_run(s, which, what, err);
  store_tx_check(s);
  return rc;
}

int store_set_part(struct store *s, const char *collection, const char *id,
                   const char *part, struct sb_err *err)
{
  if (part != NULL)
    sqlite3_bind_text(s->st[ST_PART_SET], 3, part, -1, SQLITE_STATIC);
  return set_mark(s, ST_PART_SET, collection, id, "setting the scope part",
                  err);
}

int store_set_moved(struct store *s, const char *collection, const char *id,
                    uint64_t seq, struct sb_err *err)
{
  sqlite3_bind_int64(s->st[ST_MOVED_SET], 3,
                     (sqlite3_int64)(seq > INT64_MAX ? INT64_MAX : seq));
  return set_mark(s, ST_MOVED_SET, collection, id, "noting a move", err);
}

int store_changes_text_parts(struct store *s, uint64_t since,
                             const char *const *parts, size_t n, bool moved,
                             unsigned limit, const char *holder,
                             store_part_text_fn fn, void *ctx,
                             struct sb_err *err)
{
  sqlite3_stmt *st;
  char *json;
  int rc = store_stmt_lazy(s, ST_CHANGES_PARTS, err);

  if (rc != 0)
    return rc;
  st = s->st[ST_CHANGES_PARTS];
  rc = store_check_not_nested(s, st, err);
  if (rc != 0)
    return rc;
  json = scope_parts_json(parts, n);
  if (json == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory reading changes");
  store_bind_since(st, since);
  if (holder != NULL)
    sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
  sqlite3_bind_int64(
      st, 4, moved && since < INT64_MAX ? (sqlite3_int64)since : INT64_MAX);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)limit);
  rc = walk_rows(s, st, true, NULL, fn, ctx, err);
  free(json);
  return rc;
}
