/*
 * office_records.c - the records table (GET /api/records/COLLECTION,
 * OFFICE.md "API"): every live record of a collection that matches the
 * query's filters, sorted by a field then id, one page of it. The sorted
 * matches are the view's cached result (office_cache.c): paging through
 * them, or asking again, costs no walk of the store until the feed moves.
 *
 * Without a text search, in id order or sorted by a field the kept facts
 * hold (kecamatan, groups, programme, date: office_tally.c), no other
 * value decides which rows show or in what order: the facts select and
 * sort them and only the page's records are read, no walk at all (the
 * table as it opens, its filters, visits by date).
 */
#include "compat.h"

#include "office_int.h"

#include "buf.h"

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
  struct match *more;
  char key[512];
  cJSON *j;

  if (!office_filter_match(&w->f, row))
    return 0;
  more = array_grow(w->m, &w->cap, w->n, sizeof(*more), 256);
  if (more == NULL)
    return w->rc = SB_ENOMEM;
  w->m = more;
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

/* --- from the facts ------------------------------------------------------ */

/* A match: its record's id (the facts' own, valid until the end call) and,
 * when sorted, its sort key as records_row makes it (malloc'd). */
struct fact_match {
  const char *id;
  char *key;
};

struct fact_page {
  struct hub_store *hs;
  struct office_filter f;
  const char *sort; /* NULL: id order */
  bool hide_sort;   /* a viewer sorting by a personal field: no key */
  enum hub_role role;
  struct fact_match *m;
  size_t n, cap;
  size_t start, limit;
  bool desc;
  cJSON *rows;
  struct sb_err *err;
};

/* A row of the page, as its record is now. */
static int page_row(const struct office_row *row, void *ctx)
{
  struct fact_page *p = ctx;
  cJSON_AddItemToArray(p->rows, office_row_json(row, p->role));
  return 0;
}

static int fact_match_cmp(const void *a, const void *b)
{
  return strcmp(((const struct fact_match *)a)->key,
                ((const struct fact_match *)b)->key);
}

/* Each matching fact's id (and key); at the end, the page's rows. */
static int page_fact(const struct office_fact *fact, void *ctx)
{
  struct fact_page *p = ctx;
  const struct office_text *v = NULL;
  char key[512];
  size_t i;
  int rc = 0;

  if (fact != NULL) {
    if (!office_filter_match_fact(&p->f, fact))
      return 0;
    struct fact_match *more =
        array_grow(p->m, &p->cap, p->n, sizeof(*more), 256);
    if (more == NULL)
      return sb_err_set(p->err, SB_ENOMEM, "out of memory listing records");
    p->m = more;
    p->m[p->n].id = fact->id;
    p->m[p->n].key = NULL;
    if (p->sort != NULL) {
      key[0] = '\0';
      if (!p->hide_sort && office_fact_value(fact, p->sort, &v))
        office_json_text(v != NULL ? v->json : NULL, key,
                         sizeof(key) - SB_ID_MAX - 2);
      snprintf(key + strlen(key), sizeof(key) - strlen(key), "\x01%s",
               fact->id);
      p->m[p->n].key = strdup(key);
      if (p->m[p->n].key == NULL)
        return sb_err_set(p->err, SB_ENOMEM, "out of memory listing records");
    }
    p->n++;
    return 0;
  }
  if (p->sort != NULL && p->n > 1)
    qsort(p->m, p->n, sizeof(*p->m), fact_match_cmp);
  for (i = p->start; rc == 0 && i < p->n && i - p->start < p->limit; i++)
    rc = office_row_get(p->hs, p->f.collection,
                        p->m[p->desc ? p->n - 1 - i : i].id, page_row, p,
                        p->err);
  return rc;
}

/* True if the facts choose c's rows: no text search (facts hold no
 * values), and an order they hold (id, or a field they keep). */
static bool facts_choose(const struct hub_call *c)
{
  const char *sort = office_q(c, OFFICE_Q_SORT);
  struct office_fact none;
  const struct office_text *v;

  memset(&none, 0, sizeof(none));
  return office_q(c, OFFICE_Q_TEXT) == NULL &&
         (sort == NULL || office_fact_value(&none, sort, &v));
}

/* c's page chosen from the facts: true if it answered (facts_choose). */
static bool records_by_facts(struct hub_call *c, const char *collection,
                             unsigned page, unsigned limit, bool desc)
{
  struct sb_err err = {0};
  struct fact_page p;
  struct hub_store *hs;
  size_t i;
  cJSON *j;
  int rc;

  if (!facts_choose(c))
    return false;
  memset(&p, 0, sizeof(p));
  office_filter_from(c, collection, &p.f);
  p.sort = office_q(c, OFFICE_Q_SORT);
  p.role = office_role_of(c);
  p.hide_sort =
      p.sort != NULL && p.role == HUB_ROLE_VIEWER &&
      office_field_personal(
          schema_collection(hub_store_schema(c->hs), collection), p.sort);
  p.start = (size_t)(page - 1) * limit;
  p.limit = limit;
  p.desc = desc;
  p.err = &err;
  j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "collection", collection);
  p.rows = cJSON_CreateArray();
  hs = office_reader_lock(c);
  p.hs = hs;
  rc = office_tally_each(c->office, hs, page_fact, &p, &err);
  office_reader_unlock(c);
  for (i = 0; i < p.n; i++)
    free(p.m[i].key);
  free(p.m);
  if (rc != 0) {
    cJSON_Delete(p.rows);
    cJSON_Delete(j);
    office_reply_store(c, rc, &err);
    return true;
  }
  cJSON_AddNumberToObject(j, "total", (double)p.n);
  cJSON_AddNumberToObject(j, "page", page);
  cJSON_AddNumberToObject(j, "limit", limit);
  cJSON_AddItemToObject(j, "rows", p.rows);
  office_reply_json(c, j);
  return true;
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
  if (records_by_facts(c, collection, page, limit, desc))
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
