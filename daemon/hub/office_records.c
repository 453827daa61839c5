/*
 * office_records.c - the records table (GET /api/records/COLLECTION,
 * OFFICE.md "API"): every live record of a collection that matches the
 * query's filters, sorted by a field then id, one page of it. The rows
 * are chosen and sorted from the kept facts (office_tally.c: the
 * filters' values and each record's own values, for the text search and
 * the sort), brought up to the feed first (a push of 100 records: 100
 * decoded), and only the page's records are read from the store: no walk
 * of the store, whatever the query.
 */
#include "compat.h"

#include "office_int.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_DEFAULT 50

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

static bool is_digit(unsigned char c)
{
  return c >= '0' && c <= '9';
}

static int fold(unsigned char c)
{
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * The table's order of two sort keys, as an office reads a list: ASCII
 * letters without their case ("budi" beside "Budi"), a run of digits by
 * its number ("Warga 7" before "Warga 39"), every other byte as it is;
 * keys equal that way in their bytes (tests/tools/table_check.py says
 * the same in Python).
 */
static int natural_cmp(const char *a, const char *b)
{
  const unsigned char *p = (const unsigned char *)a;
  const unsigned char *q = (const unsigned char *)b;
  const unsigned char *pe, *qe;
  int c;

  while (*p != '\0' && *q != '\0') {
    if (is_digit(*p) && is_digit(*q)) {
      while (*p == '0' && is_digit(p[1]))
        p++;
      while (*q == '0' && is_digit(q[1]))
        q++;
      for (pe = p; is_digit(*pe); pe++)
        ;
      for (qe = q; is_digit(*qe); qe++)
        ;
      if (pe - p != qe - q)
        return pe - p < qe - q ? -1 : 1;
      if ((c = memcmp(p, q, (size_t)(pe - p))) != 0)
        return c;
      p = pe;
      q = qe;
    } else if (fold(*p) != fold(*q)) {
      return fold(*p) - fold(*q);
    } else {
      p++;
      q++;
    }
  }
  if (*p != *q)
    return *p == '\0' ? -1 : 1;
  return strcmp(a, b);
}

static int fact_match_cmp(const void *a, const void *b)
{
  return natural_cmp(((const struct fact_match *)a)->key,
                     ((const struct fact_match *)b)->key);
}

/* Each matching fact's id (and key); at the end, the page's rows. */
static int page_fact(const struct office_fact *fact, void *ctx)
{
  struct fact_page *p = ctx;
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
      if (!p->hide_sort &&
          office_json_text(office_fact_value(fact, p->sort), key,
                           sizeof(key) - SB_ID_MAX - 2) != 0)
        return sb_err_set(p->err, SB_ENOMEM, "out of memory listing records");
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

/* c's page, chosen and sorted from the facts. */
static void records_page(struct hub_call *c, const char *collection,
                         unsigned page, unsigned limit, bool desc)
{
  struct sb_err err = {0};
  struct fact_page p;
  struct hub_store *hs;
  size_t i;
  cJSON *j;
  int rc;

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
    return;
  }
  cJSON_AddNumberToObject(j, "total", (double)p.n);
  cJSON_AddNumberToObject(j, "page", page);
  cJSON_AddNumberToObject(j, "limit", limit);
  cJSON_AddItemToObject(j, "rows", p.rows);
  office_reply_json(c, j);
}

void office_records_api(struct hub_call *c, const char *collection)
{
  unsigned page = office_query_num(c, OFFICE_Q_PAGE, 1);
  unsigned limit = office_query_num(c, OFFICE_Q_LIMIT, PAGE_DEFAULT);
  bool desc = office_query_num(c, OFFICE_Q_DESC, 0) == 1;

  if (schema_collection(hub_store_schema(c->hs), collection) == NULL) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "no collection %.64s",
                       collection);
    return;
  }
  if (!office_query_ok(c, collection))
    return;
  records_page(c, collection, page, limit, desc);
}
