/*
 * store_refs.c - a hub's scope reads (see store.h): which records follow
 * which (a hub whose beneficiary changes kecamatan re-saves that
 * beneficiary's visits, and finds them here by key instead of reading
 * every visit of the store), and a record's stored scope part (a visit's
 * is its beneficiary's, read here without decoding the beneficiary).
 */
#include "compat.h"

#include "scope.h"
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

int store_get_part(struct store *s, const char *collection, const char *id,
                   char *out, size_t size, bool *known, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_GET_PART];
  int rc;

  *known = false;
  sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *part = (const char *)sqlite3_column_text(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    *known = part != NULL && n < size;
    if (*known)
      memcpy(out, part, n + 1);
    rc = 0;
  } else if (rc == SQLITE_DONE) {
    rc = sb_err_not_found(err, collection, id);
  } else {
    rc = store_sqlerr(s, rc, "reading a record's scope part", err);
  }
  store_stmt_done(st);
  return rc;
}

int store_ref_add(struct store *s, const char *ref, const char *collection,
                  const char *id, struct sb_err *err)
{
  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: noting a ref outside a transaction", s->path);
  if (s->refs_held.defer)
    return store_refs_hold(s, ref, collection, id, err);
  return store_ref_write(s, ref, collection, id, err);
}

int store_ref_write(struct store *s, const char *ref, const char *collection,
                    const char *id, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_REF_ADD];

  sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
  return store_run(s, ST_REF_ADD, "noting a record's ref", err);
}

bool store_refs_complete(struct store *s)
{
  char *v = NULL;

  if (!s->refs_complete &&
      store_meta_get(s, STORE_META_REFS_COMPLETE, &v, NULL) == 0)
    s->refs_complete = v != NULL && strcmp(v, "1") == 0;
  free(v);
  return s->refs_complete;
}

int store_refs_each(struct store *s, const char *ref, const char *collection,
                    int (*fn)(const char *id, void *ctx), void *ctx,
                    struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_REFS_OF];
  bool trusted;
  int rc = 0, step;

  if (!store_refs_complete(s))
    return SB_ENOTFOUND;
  /* Notes held in memory go into the table first; outside a transaction
   * they cannot, and the caller reads the collection instead. */
  if (s->refs_held.defer && s->in_tx)
    rc = store_refs_flush(s, err);
  else if (store_refs_waiting(s))
    return SB_ENOTFOUND;
  if (rc == 0)
    rc = store_refs_trusted(s, &trusted, err);
  if (rc != 0)
    return rc;
  if (!trusted)
    return SB_ENOTFOUND;
  sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, collection, -1, SQLITE_STATIC);
  while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (id != NULL)
      rc = fn(id, ctx);
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = store_sqlerr(s, step, "reading the records that follow one", err);
  store_stmt_done(st);
  return rc;
}

/* A walk dropping a record's refs (scope_refs' note). */
struct walk {
  struct store *s;
  struct sb_err *err;
};

static int drop_note(void *ctx, const char *ref, const char *collection,
                     const char *id)
{
  struct walk *w = ctx;
  sqlite3_stmt *st = w->s->st[ST_REF_DROP];

  sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, collection, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
  return store_run(w->s, ST_REF_DROP, "dropping a record's ref", w->err);
}

int store_refs_drop(struct store *s, const char *collection, const char *id,
                    struct sb_err *err)
{
  struct walk w = {s, err};
  struct record r;
  int rc;

  /* Notes held in memory may name it: into the table first, so they go
   * too. */
  if (s->refs_held.defer) {
    rc = store_refs_flush(s, err);
    if (rc != 0)
      return rc;
  }
  record_init(&r, collection, id);
  /* Its refs are in its state: one that cannot be read keeps its notes,
   * which name no personal value and are checked by whoever reads them. */
  if (store_get(s, collection, id, &r, NULL) != 0) {
    record_release(&r);
    return 0;
  }
  rc = scope_refs(store_schema(s), &r, drop_note, &w, err);
  record_release(&r);
  return rc;
}
