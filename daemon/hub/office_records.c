/*
 * office_records.c - the records table (GET /api/records/COLLECTION,
 * OFFICE.md "API"): every live record of a collection that matches the
 * query's filters, sorted by a field then id, one page of it. The sorted
 * matches are the view's cached result (office_cache.c): paging through
 * them, or asking again, costs no walk of the store until the feed moves.
 */
#include "compat.h"

#include "office_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_DEFAULT 50

/* --- records ------------------------------------------------------------ */

struct match {
  char *key; /* the sort key */
  char *row; /* the row's JSON text */
};

struct records_walk {
  struct office_filter f;
  const char *sort;
  enum hub_role role;
  struct match *m;
  size_t n, cap;
  int rc;
};

static int records_row(const struct office_row *row, void *ctx)
{
  struct records_walk *w = ctx;
  char key[512];
  cJSON *j;

  if (!office_filter_match(&w->f, row))
    return 0;
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 256;
    struct match *more = realloc(w->m, cap * sizeof(*more));
    if (more == NULL)
      return w->rc = SB_ENOMEM;
    w->m = more;
    w->cap = cap;
  }
  if (w->sort != NULL &&
      !(w->role == HUB_ROLE_VIEWER && office_field_personal(row->sc, w->sort)))
    office_value_text(row->r, w->sort, key, sizeof(key) - SB_ID_MAX - 2);
  else
    key[0] = '\0';
  snprintf(key + strlen(key), sizeof(key) - strlen(key), "\x01%s", row->r->id);
  j = office_row_json(row, w->role);
  w->m[w->n].key = strdup(key);
  w->m[w->n].row = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  w->n++;
  if (w->m[w->n - 1].key == NULL || w->m[w->n - 1].row == NULL)
    return w->rc = SB_ENOMEM;
  return 0;
}

static int match_cmp(const void *a, const void *b)
{
  return strcmp(((const struct match *)a)->key, ((const struct match *)b)->key);
}

/* A records view before paging: the sorted matches (cached). */
struct records_result {
  struct match *m;
  size_t n;
};

static void records_free_matches(struct records_result *r)
{
  size_t i;

  for (i = 0; i < r->n; i++) {
    free(r->m[i].key);
    free(r->m[i].row);
  }
  free(r->m);
}

static void records_drop(void *data)
{
  if (data == NULL)
    return;
  records_free_matches(data);
  free(data);
}

/* Every row of collection matching c's filters, sorted, into *out. */
static int records_compute(struct hub_call *c, struct hub_store *hs,
                           const char *collection, struct records_result **out,
                           struct sb_err *err)
{
  struct records_walk w;
  int rc;

  memset(&w, 0, sizeof(w));
  office_filter_from(c, collection, &w.f);
  w.sort = office_q(c, OFFICE_Q_SORT);
  w.role = office_role_of(c);
  rc = office_data_each(hs, records_row, &w, err);
  if (rc == 0 && w.rc != 0)
    rc = sb_err_set(err, w.rc, "out of memory listing records");
  *out = calloc(1, sizeof(**out));
  if (*out == NULL) {
    struct records_result t = {w.m, w.n};
    records_free_matches(&t);
    return rc != 0 ? rc : sb_err_set(err, SB_ENOMEM, NULL);
  }
  (*out)->m = w.m;
  (*out)->n = w.n;
  if (rc != 0) {
    records_drop(*out);
    *out = NULL;
    return rc;
  }
  if (w.n > 1) /* qsort wants a non-NULL array even when empty */
    qsort(w.m, w.n, sizeof(*w.m), match_cmp);
  return 0;
}

/* The records of c's query, through the view's cache: *e holds them
 * (NULL: not cached, *res is the caller's). */
static int records_of(struct hub_call *c, const char *collection,
                      struct office_cached **e, struct records_result **res,
                      struct sb_err *err)
{
  char key[OFFICE_CACHE_KEY_MAX];
  bool keyed = office_cache_key(
      c, collection, office_role_of(c) == HUB_ROLE_VIEWER, key, sizeof(key));
  struct hub_store *hs = office_reader_lock(c);
  uint64_t head = 0;
  int rc = keyed ? office_cache_head(hs, &head, err) : 0;

  *e = NULL;
  *res = NULL;
  if (rc == 0 && keyed)
    *e = office_cache_get(c->office, OFFICE_VIEW_RECORDS, key, head);
  if (rc == 0 && *e == NULL) {
    rc = records_compute(c, hs, collection, res, err);
    if (rc == 0 && keyed)
      *e = office_cache_put(c->office, OFFICE_VIEW_RECORDS, key, head, *res,
                            records_drop);
    if (*e != NULL)
      *res = NULL; /* the cache's now */
  }
  office_reader_unlock(c);
  return rc;
}

void office_records_api(struct hub_call *c, const char *collection)
{
  struct sb_err err = {0};
  struct office_cached *e;
  struct records_result *own, *res;
  unsigned page = office_query_num(c, OFFICE_Q_PAGE, 1);
  unsigned limit = office_query_num(c, OFFICE_Q_LIMIT, PAGE_DEFAULT);
  bool desc = office_query_num(c, OFFICE_Q_DESC, 0) == 1;
  cJSON *j, *rows;
  size_t i, start;
  int rc;

  if (schema_collection(hub_store_schema(c->hs), collection) == NULL) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "no collection %.64s",
                       collection);
    return;
  }
  if (!office_query_ok(c, collection))
    return;
  rc = records_of(c, collection, &e, &own, &err);
  if (rc != 0) {
    office_reply_store(c, rc, &err);
    return;
  }
  res = e != NULL ? office_cache_data(e) : own;
  j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "collection", collection);
  cJSON_AddNumberToObject(j, "total", (double)res->n);
  cJSON_AddNumberToObject(j, "page", page);
  cJSON_AddNumberToObject(j, "limit", limit);
  rows = cJSON_AddArrayToObject(j, "rows");
  start = (size_t)(page - 1) * limit;
  for (i = start; i < res->n && i < start + limit; i++) {
    size_t k = desc ? res->n - 1 - i : i;
    cJSON_AddItemToArray(rows, cJSON_Parse(res->m[k].row));
  }
  office_cache_release(c->office, e);
  records_drop(own);
  office_reply_json(c, j);
}
