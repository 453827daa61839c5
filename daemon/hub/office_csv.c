/*
 * office_csv.c - CSV export of a collection (OFFICE.md, "Export"), for
 * GET /export/COLLECTION.csv and `sambang-hub export --csv COLLECTION`:
 * UTF-8 with a BOM (so Excel reads it as UTF-8), CRLF line ends, a header
 * row "id" then the schema's fields, one row per live record in id order,
 * each field's winner value (lists joined with "; "), personal fields
 * only when asked (an admin's ?personal=1). A text cell starting with
 * = + - @ (or a tab or carriage return, which a spreadsheet may skip
 * before one) gets a leading ' so a spreadsheet never runs it as a formula.
 * The route makes its rows from the office's kept facts (office_tally.c:
 * no walk of the store after each change); the command walks the store.
 * Both go through csv_line, so the same records give the same bytes.
 */
#include "compat.h"

#include "office_int.h"

#include "buf.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_MAX 8192

struct csv_walk {
  const struct schema_collection *sc;
  const struct office_filter *f;
  bool personal;
  struct buf b;
  char *value; /* a cell's text, CELL_MAX bytes */
  int rc;
};

static void cell(struct buf *b, const char *s, bool text, bool first)
{
  bool quote = strpbrk(s, ",\"\r\n") != NULL;
  const char *p;

  if (!first)
    buf_adds(b, ",");
  if (quote)
    buf_adds(b, "\"");
  if (text && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
    buf_adds(b, "'");
  for (p = s; *p != '\0'; p++) {
    if (*p == '"')
      buf_adds(b, "\"");
    buf_add(b, p, 1);
  }
  if (quote)
    buf_adds(b, "\"");
}

/* One record's row: its id, then each field's winner (value(field) is
 * its JSON text, NULL if absent). */
static int csv_line(struct csv_walk *w, const char *id,
                    const char *(*value)(const void *rec, const char *field),
                    const void *rec)
{
  size_t i;

  cell(&w->b, id, true, true);
  for (i = 0; i < w->sc->nfields; i++) {
    const struct schema_field *f = &w->sc->fields[i];
    if (f->personal && !w->personal)
      continue;
    if (office_json_text(value(rec, f->name), w->value, CELL_MAX) != 0)
      w->rc = SB_ENOMEM;
    cell(&w->b, w->value, f->type == SCHEMA_STRING, false);
  }
  if (buf_adds(&w->b, "\r\n") != 0)
    w->rc = SB_ENOMEM;
  return w->rc;
}

static const char *record_value(const void *rec, const char *field)
{
  return office_winner(rec, field);
}

static const char *fact_value(const void *rec, const char *field)
{
  return office_fact_value(rec, field);
}

/* A row of the store's walk (office_csv_export). */
static int csv_row(const struct office_row *row, void *ctx)
{
  struct csv_walk *w = ctx;
  if (!office_filter_match(w->f, row))
    return 0;
  return csv_line(w, row->r->id, record_value, row->r);
}

/* A record's kept facts (the dashboard's route); NULL ends the walk. */
static int csv_fact(const struct office_fact *fact, void *ctx)
{
  struct csv_walk *w = ctx;
  if (fact == NULL || strcmp(fact->collection, w->f->collection) != 0 ||
      !office_filter_match_fact(w->f, fact))
    return 0;
  return csv_line(w, fact->id, fact_value, fact);
}

/* The CSV of f, its rows from the facts (o given) or from a walk of hs. */
static int csv_build(struct office *o, struct hub_store *hs,
                     const struct office_filter *f, bool personal, char **out,
                     size_t *len, struct sb_err *err)
{
  struct csv_walk w;
  size_t i;
  int rc;

  memset(&w, 0, sizeof(w));
  w.sc = schema_collection(hub_store_schema(hs), f->collection);
  if (w.sc == NULL)
    return sb_err_set(err, SB_ENOTFOUND, "no collection %.64s in the schema",
                      f->collection);
  w.f = f;
  w.personal = personal;
  if ((w.value = malloc(CELL_MAX)) == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory making the CSV");
  buf_init(&w.b);
  buf_adds(&w.b, "\xEF\xBB\xBF");
  cell(&w.b, "id", false, true);
  for (i = 0; i < w.sc->nfields; i++)
    if (!w.sc->fields[i].personal || personal)
      cell(&w.b, w.sc->fields[i].name, false, false);
  buf_adds(&w.b, "\r\n");
  rc = o != NULL ? office_tally_each(o, hs, csv_fact, &w, err)
                 : office_data_each(hs, csv_row, &w, err);
  /* (a walk stopped by a row's failure returns it; a filter that could
   * not read a value passed the row over: json_memory_failed) */
  if (w.rc != 0 || (rc == 0 && json_memory_failed()))
    rc = sb_err_set(err, SB_ENOMEM, "out of memory making the CSV");
  free(w.value);
  if (rc != 0) {
    buf_release(&w.b);
    return rc;
  }
  *out = buf_take(&w.b, len);
  return *out != NULL ? 0 : sb_err_set(err, SB_ENOMEM, NULL);
}

int office_csv_export(struct hub_store *hs, const struct office_filter *f,
                      bool personal, char **out, size_t *len,
                      struct sb_err *err)
{
  return csv_build(NULL, hs, f, personal, out, len, err);
}

/* csv_build through the view's cache (office_cache.c): *out is a copy. */
static int cached_csv(struct hub_call *c, struct hub_store *hs,
                      const struct office_filter *f, bool personal, char **out,
                      size_t *len, struct sb_err *err)
{
  char key[OFFICE_CACHE_KEY_MAX];
  struct office_cached *e = NULL;
  struct office_blob *b;
  uint64_t head = 0;
  bool keyed = office_cache_key(c, f->collection, !personal, key, sizeof(key));
  int rc = keyed ? office_cache_head(hs, &head, err) : 0;

  if (rc != 0)
    return rc;
  if (keyed)
    e = office_cache_get(c->office, OFFICE_VIEW_CSV, key, head);
  if (e == NULL) {
    rc = csv_build(c->office, hs, f, personal, out, len, err);
    if (rc != 0 || !keyed)
      return rc;
    b = office_blob_new(*out, *len);
    *out = NULL;
    e = b != NULL ? office_cache_put(c->office, OFFICE_VIEW_CSV, key, head, b,
                                     office_blob_drop)
                  : NULL;
    if (e == NULL) {
      office_blob_drop(b);
      return sb_err_set(err, SB_ENOMEM, "out of memory keeping the CSV");
    }
  }
  b = office_cache_data(e);
  *out = malloc(b->len + 1);
  if (*out != NULL) {
    memcpy(*out, b->body, b->len);
    *len = b->len;
  }
  office_cache_release(c->office, e);
  return *out != NULL ? 0 : sb_err_set(err, SB_ENOMEM, NULL);
}

/* The records of a CSV text: its CRLF-ended lines but the header, a line
 * break inside a quoted cell not counted (a doubled quote inside one
 * leaves the cell and enters it again). */
static size_t csv_rows(const char *body, size_t len)
{
  size_t n = 0, i;
  bool quoted = false;

  for (i = 0; i < len; i++) {
    if (body[i] == '"')
      quoted = !quoted;
    else if (!quoted && body[i] == '\n' && i > 0 && body[i - 1] == '\r')
      n++;
  }
  return n > 0 ? n - 1 : 0;
}

void office_csv_route(struct hub_call *c, const char *name)
{
  char collection[SB_NAME_MAX + 1], disposition[128];
  size_t n = strlen(name), len = 0;
  const char *p = office_q(c, OFFICE_Q_PERSONAL);
  bool personal = p != NULL && strcmp(p, "0") != 0;
  struct office_filter f;
  struct sb_err err = {0};
  struct hub_store *hs;
  char *body = NULL;
  int rc;

  if (n <= 4 || n - 4 > SB_NAME_MAX || strcmp(name + n - 4, ".csv") != 0) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "use /export/COLLECTION.csv");
    return;
  }
  snprintf(collection, sizeof(collection), "%.*s", (int)(n - 4), name);
  if (!office_query_ok(c, collection))
    return;
  if (personal && c->oreq->user.role != HUB_ROLE_ADMIN) {
    office_reply_error(c, OFFICE_ERR_FORBIDDEN,
                       "only an admin may export personal fields");
    return;
  }
  office_filter_from(c, collection, &f);
  hs = office_reader_lock(c);
  rc = cached_csv(c, hs, &f, personal, &body, &len, &err);
  office_reader_unlock(c);
  if (rc == SB_ENOTFOUND) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "%s", err.msg);
    return;
  }
  if (rc != 0) {
    office_reply_store(c, rc, &err);
    return;
  }
  snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s.csv\"",
           collection);
  office_header(c->oreq, "Content-Disposition", disposition, true);
  /* Data leaving the hub in bulk is in the audit trail, who and how much
   * (a data-protection officer's first question after a leak), never a
   * value. */
  office_audit(c, "exported %s as CSV%s (%zu rows)", collection,
               personal ? " with personal fields" : "", csv_rows(body, len));
  office_reply_body(c, 200, "text/csv; charset=utf-8", body, len);
}
