/*
 * office_data.c - the records as the office's views see them: one row
 * per live record with the values the filters and charts use (a visit
 * takes its beneficiary's kecamatan and groups through its ref field),
 * its conflict and review state, and the filters of the records table.
 *
 * Everything is computed from a walk of the whole store (hub_store_each,
 * in (collection, id) order) on the readers' connection: simple and
 * right; OFFICE.md gives the cost with many records. The overview does
 * not walk: office_tally.c keeps its facts, lent the same way.
 */
#include "compat.h"

#include "office_int.h"

#include "buf.h"
#include "json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a referenced record lends to the records that point to it. */
struct lend {
  char *collection, *id, *kecamatan, *groups;
};

struct walk {
  const struct schema *schema;
  office_row_fn fn;
  void *ctx;
  struct lend *lends;
  size_t n, cap;
  int rc;
};

const char *office_winner(const struct record *r, const char *name)
{
  const struct field *f = record_field(r, name);
  return f != NULL ? record_field_winner(f)->value : NULL;
}

int office_ref_id(const struct record *r, const char *field, char **id)
{
  const char *text = office_winner(r, field);
  cJSON *v = NULL;
  int rc = text != NULL ? json_parse_held(text, &v) : 0;

  *id = NULL;
  if (rc == 0 && cJSON_IsString(v) && (*id = strdup(v->valuestring)) == NULL)
    rc = SB_ENOMEM;
  cJSON_Delete(v);
  return rc;
}

static int lend_cmp(const void *a, const void *b)
{
  const struct lend *x = a, *y = b;
  int c = strcmp(x->collection, y->collection);
  return c != 0 ? c : strcmp(x->id, y->id);
}

/* The lend of (collection, id), or NULL. Lends are added in walk order,
 * which is (collection, id) order, so they are sorted. */
static const struct lend *lend_find(const struct walk *w, const char *coll,
                                    const char *id)
{
  struct lend key = {(char *)coll, (char *)id, NULL, NULL};
  return w->n > 0 ? bsearch(&key, w->lends, w->n, sizeof(key), lend_cmp) : NULL;
}

static char *dup_or_null(const char *s)
{
  return s != NULL ? strdup(s) : NULL;
}

static int lend_add(struct walk *w, const struct record *r, const char *kec,
                    const char *groups)
{
  struct lend *l = array_grow(w->lends, &w->cap, w->n, sizeof(*l), 256);

  if (l == NULL)
    return SB_ENOMEM;
  w->lends = l;
  l = &w->lends[w->n];
  l->collection = strdup(r->collection);
  l->id = strdup(r->id);
  l->kecamatan = dup_or_null(kec);
  l->groups = dup_or_null(groups);
  w->n++;
  return l->collection != NULL && l->id != NULL ? 0 : SB_ENOMEM;
}

/* True if r shows in the views (a deleted record only while in
 * conflict); then row is r's, with its own values. */
static bool row_of(const struct record *r, uint64_t seq,
                   const struct schema *schema, struct office_row *row)
{
  if (record_deleted(r) && !record_conflicted(r))
    return false;
  memset(row, 0, sizeof(*row));
  row->r = r;
  row->seq = seq;
  row->sc = schema_collection(schema, r->collection);
  row->kecamatan = office_winner(r, "kecamatan");
  row->groups = office_winner(r, "groups");
  row->programme = office_winner(r, "programme");
  row->date = office_winner(r, "date");
  row->conflicted = record_conflicted(r);
  row->review = schema_review(row->sc, r, row->why, sizeof(row->why)) == 1;
  return true;
}

static int walk_one(const struct record *r, uint64_t seq, void *ctx)
{
  struct walk *w = ctx;
  struct office_row row;
  size_t i;
  int rc;

  if (!row_of(r, seq, w->schema, &row))
    return 0;
  /* A record without its own kecamatan takes its referenced record's. */
  for (i = 0; row.sc != NULL && i < row.sc->nfields; i++) {
    const struct schema_field *f = &row.sc->fields[i];
    char *id = NULL;
    const struct lend *l;
    if (f->type == SCHEMA_REF && office_ref_id(r, f->name, &id) != 0) {
      w->rc = SB_ENOMEM;
      return w->rc;
    }
    l = id != NULL ? lend_find(w, f->ref, id) : NULL;
    if (l != NULL && row.kecamatan == NULL)
      row.kecamatan = l->kecamatan;
    if (l != NULL && row.groups == NULL)
      row.groups = l->groups;
    free(id);
  }
  if (row.kecamatan != NULL || row.groups != NULL) {
    rc = lend_add(w, r, row.kecamatan, row.groups);
    if (rc != 0) {
      w->rc = rc;
      return rc;
    }
  }
  return w->fn(&row, w->ctx);
}

int office_data_each(struct hub_store *hs, office_row_fn fn, void *ctx,
                     struct sb_err *err)
{
  struct walk w = {hub_store_schema(hs), fn, ctx, NULL, 0, 0, 0};
  size_t i;
  int rc = hub_store_each(hs, walk_one, &w, err);

  if (w.rc == SB_ENOMEM)
    rc = sb_err_set(err, SB_ENOMEM, "out of memory reading records");
  for (i = 0; i < w.n; i++) {
    free(w.lends[i].collection);
    free(w.lends[i].id);
    free(w.lends[i].kecamatan);
    free(w.lends[i].groups);
  }
  free(w.lends);
  return rc;
}

int office_row_get(struct hub_store *hs, const char *collection, const char *id,
                   office_row_fn fn, void *ctx, struct sb_err *err)
{
  struct office_row row;
  struct record r;
  uint64_t seq = 0;
  int rc;

  record_init(&r, collection, id);
  rc = hub_store_get(hs, collection, id, &r, &seq, err);
  if (rc == 0 && row_of(&r, seq, hub_store_schema(hs), &row))
    rc = fn(&row, ctx);
  record_release(&r);
  return rc == SB_ENOTFOUND ? 0 : rc; /* purged since */
}

bool office_field_personal(const struct schema_collection *sc,
                           const char *field)
{
  const struct schema_field *f = sc != NULL ? schema_field(sc, field) : NULL;
  return f != NULL && f->personal;
}

int office_json_text(const char *text, char *buf, size_t size)
{
  cJSON *v = NULL;
  size_t n = 0;

  buf[0] = '\0';
  if (text == NULL || json_plain_string(text, buf, size))
    return 0; /* most values: no parse (every cell of a CSV comes here) */
  if (json_parse_held(text, &v) != 0)
    return SB_ENOMEM;
  if (cJSON_IsString(v)) {
    snprintf(buf, size, "%s", v->valuestring);
  } else if (cJSON_IsArray(v)) {
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
      const char *s = cJSON_IsString(e) ? e->valuestring : "";
      int k = snprintf(buf + n, size - n, "%s%s", n > 0 ? "; " : "", s);
      if (k < 0 || (size_t)k >= size - n)
        break;
      n += (size_t)k;
    }
  } else {
    snprintf(buf, size, "%s", text);
  }
  cJSON_Delete(v);
  return 0;
}

cJSON *office_row_values(const struct office_row *row, enum hub_role role)
{
  cJSON *j = cJSON_CreateObject();
  size_t i;

  for (i = 0; j != NULL && i < record_nfields(row->r); i++) {
    const struct field *f = record_field_at(row->r, i);
    const char *name = record_field_name(f);
    if (role == HUB_ROLE_VIEWER && office_field_personal(row->sc, name))
      continue;
    /* (a failure is caught by json_memory_failed before the reply) */
    cJSON_AddItemToObject(j, name, cJSON_Parse(record_field_winner(f)->value));
  }
  return j;
}

void office_filter_from(const struct hub_call *c, const char *collection,
                        struct office_filter *f)
{
  const char *v;

  memset(f, 0, sizeof(*f));
  f->collection = collection;
  f->kecamatan = office_q(c, OFFICE_Q_KECAMATAN);
  f->group = office_q(c, OFFICE_Q_GROUP);
  f->programme = office_q(c, OFFICE_Q_PROGRAMME);
  f->from = office_q(c, OFFICE_Q_FROM);
  f->to = office_q(c, OFFICE_Q_TO);
  f->text = office_q(c, OFFICE_Q_TEXT);
  v = office_q(c, OFFICE_Q_CONFLICT);
  f->conflict = v != NULL && strcmp(v, "0") != 0;
  v = office_q(c, OFFICE_Q_REVIEW);
  f->review = v != NULL && strcmp(v, "0") != 0;
}

/* True if the JSON string text equals s. */
static bool json_str_is(const char *text, const char *s)
{
  cJSON *v = text != NULL ? cJSON_Parse(text) : NULL;
  bool eq = cJSON_IsString(v) && strcmp(v->valuestring, s) == 0;
  cJSON_Delete(v);
  return eq;
}

/* True if the JSON list text holds the string s. */
static bool json_list_has(const char *text, const char *s)
{
  cJSON *v = text != NULL ? cJSON_Parse(text) : NULL;
  const cJSON *e;
  bool has = false;

  cJSON_ArrayForEach(e, v)
  {
    if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
      has = true;
  }
  cJSON_Delete(v);
  return has;
}

/* True if needle is in hay, ASCII letters in any case (its first letter
 * looked for before the whole: it runs over every value of the table). */
static bool has_text(const char *hay, const char *needle)
{
  size_t n = strlen(needle);
  int first = tolower((unsigned char)needle[0]);

  if (n == 0)
    return true;
  for (; *hay != '\0'; hay++)
    if (tolower((unsigned char)*hay) == first &&
        strncasecmp(hay, needle, n) == 0)
      return true;
  return false;
}

/* True if a non-personal value or the id of row holds text (any case). */
static bool text_match(const struct office_row *row, const char *text)
{
  size_t i;

  if (has_text(row->r->id, text))
    return true;
  for (i = 0; i < record_nfields(row->r); i++) {
    const struct field *f = record_field_at(row->r, i);
    if (office_field_personal(row->sc, record_field_name(f)))
      continue;
    if (has_text(record_field_winner(f)->value, text))
      return true;
  }
  return false;
}

/* The filters but the collection and the text, on JSON texts (NULL:
 * absent) as the row or the facts hold them. */
static bool values_match(const struct office_filter *f,
                         const struct schema_collection *sc,
                         const char *kecamatan, const char *groups,
                         const char *programme, const char *date_text,
                         bool conflicted, bool review)
{
  char date[16] = "";

  if (f->kecamatan != NULL && !json_str_is(kecamatan, f->kecamatan))
    return false;
  if (f->group != NULL && !json_list_has(groups, f->group))
    return false;
  if (f->programme != NULL && !json_str_is(programme, f->programme))
    return false;
  if ((f->from != NULL || f->to != NULL) && date_text != NULL) {
    snprintf(date, sizeof(date), "%.10s", date_text + 1);
    if ((f->from != NULL && strcmp(date, f->from) < 0) ||
        (f->to != NULL && strcmp(date, f->to) > 0))
      return false;
  } else if ((f->from != NULL || f->to != NULL) && sc != NULL &&
             schema_field(sc, "date") != NULL) {
    return false;
  }
  if (f->conflict && !conflicted)
    return false;
  return !f->review || review;
}

bool office_filter_match(const struct office_filter *f,
                         const struct office_row *row)
{
  if (f->collection != NULL && strcmp(f->collection, row->r->collection) != 0)
    return false;
  if (!values_match(f, row->sc, row->kecamatan, row->groups, row->programme,
                    row->date, row->conflicted, row->review))
    return false;
  return f->text == NULL || text_match(row, f->text);
}

static const char *json_of(const struct office_text *x)
{
  return x != NULL ? x->json : NULL;
}

/* text_match on a fact's own values. */
static bool fact_text_match(const struct office_fact *fact, const char *text)
{
  size_t i;

  if (has_text(fact->id, text))
    return true;
  for (i = 0; i < fact->nvals; i++) {
    if (!office_field_personal(fact->sc, fact->vals[i].name) &&
        has_text(fact->vals[i].json, text))
      return true;
  }
  return false;
}

bool office_filter_match_fact(const struct office_filter *f,
                              const struct office_fact *fact)
{
  if (f->collection != NULL && strcmp(f->collection, fact->collection) != 0)
    return false;
  if (!values_match(f, fact->sc, json_of(fact->kecamatan),
                    json_of(fact->groups), json_of(fact->programme),
                    json_of(fact->date), fact->conflicted, fact->review))
    return false;
  return f->text == NULL || fact_text_match(fact, f->text);
}
