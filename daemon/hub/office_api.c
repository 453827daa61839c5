/*
 * office_api.c - the dashboard's JSON API (OFFICE.md, "API"): session,
 * overview, records, one record, the conflict queue, resolutions written
 * as the hub's own replica, devices. Viewers read, reviewers also
 * resolve, admins also manage devices. No reply carries a personal field
 * (schema "personal": true) to a viewer.
 */
#include "compat.h"

#include "office_int.h"

#include "json.h"

#include "auth.h"
#include "hlc.h"
#include "hub_device_names.h"
#include "hub_push.h"
#include "log.h"
#include "wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STALE_DAYS_DEFAULT 3
#define DAY_MS (24ULL * 3600 * 1000)

enum hub_role office_role_of(const struct hub_call *c)
{
  return c->oreq->user.role;
}
#define role_of office_role_of

void office_audit(const struct hub_call *c, const char *fmt, ...)
{
  char what[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  log_msg(LOG_LEVEL_INFO, "office: audit: %s (%s) %s", c->oreq->user.name,
          hub_role_name(c->oreq->user.role), what);
}

bool office_allowed(struct hub_call *c, enum hub_role need)
{
  if (role_of(c) >= need)
    return true;
  office_reply_error(c, OFFICE_ERR_FORBIDDEN,
                     "a %s may not do this (%s or above only)",
                     hub_role_name(role_of(c)), hub_role_name(need));
  return false;
}

/* Counts key up by one in the object obj. */
static void bump(cJSON *obj, const char *key)
{
  cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (n == NULL)
    cJSON_AddNumberToObject(obj, key, 1);
  else
    cJSON_SetNumberValue(n, n->valuedouble + 1);
}

/* --- session ------------------------------------------------------------ */

/* A field's labels: {"id": {"anak": "Anak", ...}, "en": {...}} (values a
 * language does not label are left out: the page shows the value). */
static void labels_json(cJSON *out, const struct schema_field *f)
{
  size_t l, v;

  for (l = 0; l < f->nlabels; l++) {
    cJSON *lang = cJSON_AddObjectToObject(out, f->labels[l].lang);
    for (v = 0; v < f->nvalues; v++) {
      if (f->labels[l].text[v] != NULL)
        cJSON_AddStringToObject(lang, f->values[v], f->labels[l].text[v]);
    }
  }
}

/* A title in every language the schema gives: {"en": ..., "id": ...}; a
 * plain string serves every language, as the English one. Nothing if
 * there is none (the page shows the name). */
static void title_json(cJSON *obj, const struct schema_help *t)
{
  cJSON *j;
  size_t l;

  if (t->text == NULL)
    return;
  j = cJSON_AddObjectToObject(obj, "title");
  if (t->v == NULL)
    cJSON_AddStringToObject(j, "en", t->text);
  for (l = 0; t->v != NULL && l < t->n; l++)
    cJSON_AddStringToObject(j, t->v[l].lang, t->v[l].text);
}

static cJSON *schema_json(const struct schema *s, enum hub_role role)
{
  cJSON *j = cJSON_CreateObject();
  size_t i, k, v;

  for (i = 0; i < s->nc; i++) {
    const struct schema_collection *sc = &s->c[i];
    cJSON *col = cJSON_AddObjectToObject(j, sc->name);
    cJSON *fields = cJSON_AddArrayToObject(col, "fields");
    static const char *const types[] = {"string", "bool",      "int", "date",
                                        "enum",   "enum_list", "ref"};
    if (sc->label != NULL)
      cJSON_AddStringToObject(col, "label", sc->label);
    title_json(col, &sc->title);
    for (k = 0; k < sc->nfields; k++) {
      const struct schema_field *f = &sc->fields[k];
      cJSON *fj, *vals;
      if (f->personal && role == HUB_ROLE_VIEWER)
        continue;
      fj = cJSON_CreateObject();
      cJSON_AddStringToObject(fj, "name", f->name);
      title_json(fj, &f->title);
      cJSON_AddStringToObject(fj, "type", types[f->type]);
      cJSON_AddBoolToObject(fj, "personal", f->personal);
      cJSON_AddBoolToObject(fj, "required", f->required);
      if (f->ref != NULL)
        cJSON_AddStringToObject(fj, "ref", f->ref);
      vals = cJSON_AddArrayToObject(fj, "values");
      for (v = 0; v < f->nvalues; v++)
        cJSON_AddItemToArray(vals, cJSON_CreateString(f->values[v]));
      if (f->nlabels > 0)
        labels_json(cJSON_AddObjectToObject(fj, "labels"), f);
      cJSON_AddItemToArray(fields, fj);
    }
  }
  return j;
}

static void api_session(struct hub_call *c)
{
  cJSON *j = cJSON_CreateObject();
  const struct office_req *r = c->oreq;

  cJSON_AddStringToObject(j, "user", r->user.name);
  cJSON_AddStringToObject(j, "role", hub_role_name(r->user.role));
  cJSON_AddStringToObject(j, "csrf", r->session.csrf);
  cJSON_AddItemToObject(j, "collections",
                        schema_json(hub_store_schema(c->hs), r->user.role));
  office_reply_json(c, j);
}

/* --- overview ----------------------------------------------------------- */

struct overview {
  cJSON *per_collection, *by_kec, *by_group, *month_kec, *month_prog;
  unsigned conflicts, review;
};

static int overview_row(const struct office_fact *row, void *ctx)
{
  struct overview *o = ctx;
  const char *kec;
  char month[8];

  if (row == NULL)
    return 0;
  kec = row->kecamatan != NULL && row->kecamatan->str != NULL &&
                row->kecamatan->str[0] != '\0'
            ? row->kecamatan->str
            : "-";
  bump(o->per_collection, row->collection);
  o->conflicts += row->conflicted;
  o->review += row->review;
  if (row->sc != NULL && schema_field(row->sc, "groups") != NULL) {
    const cJSON *list = row->groups != NULL ? row->groups->list : NULL, *e;
    bump(o->by_kec, kec);
    cJSON_ArrayForEach(e, list)
    {
      if (cJSON_IsString(e))
        bump(o->by_group, e->valuestring);
    }
  }
  if (row->date != NULL && row->programme != NULL &&
      strlen(row->date->json) >= 8) {
    cJSON *m;
    snprintf(month, sizeof(month), "%.7s", row->date->json + 1);
    m = cJSON_GetObjectItemCaseSensitive(o->month_kec, month);
    if (m == NULL)
      m = cJSON_AddObjectToObject(o->month_kec, month);
    bump(m, kec);
    m = cJSON_GetObjectItemCaseSensitive(o->month_prog, month);
    if (m == NULL)
      m = cJSON_AddObjectToObject(o->month_prog, month);
    bump(m, row->programme->str != NULL ? row->programme->str : "");
  }
  return 0;
}

/* The record-derived part of the overview at the store's state (its
 * JSON text, malloc'd), from the tally's facts (office_tally.c). */
static int overview_compute(struct hub_call *c, struct hub_store *hs,
                            char **text, struct sb_err *err)
{
  cJSON *j = cJSON_CreateObject();
  struct overview o;
  int rc;

  o.per_collection = cJSON_AddObjectToObject(j, "records");
  o.by_kec = cJSON_AddObjectToObject(j, "beneficiaries_by_kecamatan");
  o.by_group = cJSON_AddObjectToObject(j, "beneficiaries_by_group");
  o.month_kec = cJSON_AddObjectToObject(j, "visits_by_month_kecamatan");
  o.month_prog = cJSON_AddObjectToObject(j, "visits_by_month_programme");
  o.conflicts = o.review = 0;
  rc = office_tally_each(c->office, hs, overview_row, &o, err);
  cJSON_AddNumberToObject(j, "open_conflicts", o.conflicts);
  cJSON_AddNumberToObject(j, "needs_review", o.review);
  *text = rc == 0 ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  if (rc == 0 && *text == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  return rc;
}

/* A view's JSON body through its cache (office_cache.c), held in *e: the
 * cached one for key at the store's head, else computed by fn and kept. */
static int cached_body(struct hub_call *c, struct hub_store *hs,
                       enum office_view v, const char *key,
                       int (*fn)(struct hub_call *c, struct hub_store *hs,
                                 char **text, struct sb_err *err),
                       struct office_cached **e, struct sb_err *err)
{
  struct office_blob *b;
  uint64_t head = 0;
  char *text = NULL;
  int rc = office_cache_head(hs, &head, err);

  *e = rc == 0 ? office_cache_get(c->office, v, key, head) : NULL;
  if (rc != 0 || *e != NULL)
    return rc;
  rc = fn(c, hs, &text, err);
  if (rc == 0 && json_memory_failed()) { /* never keep a view that lacks */
    free(text);
    rc = sb_err_set(err, SB_ENOMEM, "out of memory making a view");
  }
  if (rc != 0)
    return rc;
  b = office_blob_new(text, strlen(text));
  *e = b != NULL
           ? office_cache_put(c->office, v, key, head, b, office_blob_drop)
           : NULL;
  if (*e == NULL) {
    office_blob_drop(b);
    return sb_err_set(err, SB_ENOMEM, "out of memory keeping a view");
  }
  return 0;
}

static void api_overview(struct hub_call *c)
{
  cJSON *j = NULL;
  struct sb_err err = {0};
  unsigned days = office_query_num(c, OFFICE_Q_STALE_DAYS, STALE_DAYS_DEFAULT);
  cJSON *stale = cJSON_CreateArray();
  struct office_cached *e = NULL;
  struct hub_store *hs;
  uint64_t held = 0;
  int rc;

  hs = office_reader_lock(c);
  rc = cached_body(c, hs, OFFICE_VIEW_OVERVIEW, "", overview_compute, &e, &err);
  /* devices are not records: their staleness is looked at every time,
   * and so are the pushes held aside (refusals change no record) */
  if (rc == 0)
    rc = office_devices_list(c, hs, hlc_wall_ms() - (uint64_t)days * DAY_MS,
                             stale, &err);
  if (rc == 0)
    rc = hub_store_held_count(hs, &held, &err);
  office_reader_unlock(c);
  if (rc == 0) {
    j = cJSON_Parse(((struct office_blob *)office_cache_data(e))->body);
    if (j == NULL)
      rc = sb_err_set(&err, SB_ENOMEM, NULL);
  }
  office_cache_release(c->office, e);
  if (rc != 0) {
    cJSON_Delete(stale);
    office_reply_store(c, rc, &err);
    return;
  }
  cJSON_AddItemToObject(j, "stale_devices", stale);
  cJSON_AddNumberToObject(j, "stale_days", days);
  cJSON_AddNumberToObject(j, "held_pushes", (double)held);
  office_reply_json(c, j);
}

cJSON *office_row_json(const struct office_row *row, enum hub_role role)
{
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "collection", row->r->collection);
  cJSON_AddStringToObject(j, "id", row->r->id);
  cJSON_AddNumberToObject(j, "seq", (double)row->seq);
  cJSON_AddBoolToObject(j, "conflict", row->conflicted);
  cJSON_AddBoolToObject(j, "review", row->review);
  if (row->review)
    cJSON_AddStringToObject(j, "why", row->why);
  cJSON_AddItemToObject(j, "values", office_row_values(row, role));
  return j;
}

/* --- one record --------------------------------------------------------- */

/* Who wrote at replica, into j: "hub" for the office's own, "device"
 * (its name, or null for no enrolled device) and "replica". */
static void writer_json(cJSON *j, const char *replica,
                        const struct hub_device_names *nm,
                        const char *hub_replica)
{
  const char *device = hub_device_names_find(nm, replica);

  if (strcmp(replica, hub_replica) == 0)
    cJSON_AddBoolToObject(j, "hub", true);
  if (device != NULL)
    cJSON_AddStringToObject(j, "device", device);
  else
    cJSON_AddNullToObject(j, "device");
  cJSON_AddStringToObject(j, "replica", replica);
}

static cJSON *entry_json(const struct entry *e,
                         const struct hub_device_names *nm,
                         const char *hub_replica)
{
  cJSON *j = cJSON_CreateObject();

  if (e->value != NULL)
    cJSON_AddItemToObject(j, "value", cJSON_Parse(e->value));
  writer_json(j, e->dot.replica, nm, hub_replica);
  cJSON_AddNumberToObject(j, "counter", (double)e->dot.counter);
  cJSON_AddNumberToObject(j, "time_ms", (double)hlc_ms(e->ts));
  return j;
}

/* Field f's entries (its competing values when more than one), each as
 * entry_json gives it: the record page's and the conflict queue's. */
static cJSON *entries_json(const struct field *f,
                           const struct hub_device_names *nm,
                           const char *hub_replica)
{
  cJSON *list = cJSON_CreateArray();
  size_t k;

  for (k = 0; k < record_field_nentries(f); k++)
    cJSON_AddItemToArray(list,
                         entry_json(record_field_entry(f, k), nm, hub_replica));
  return list;
}

/* Who has written r and how often: its version vector, whose counter for
 * a replica is how many writes that replica made to r (the history the
 * hub holds beyond the entries that survive). */
static cJSON *writers_json(const struct record *r,
                           const struct hub_device_names *nm,
                           const char *hub_replica)
{
  cJSON *list = cJSON_CreateArray();
  size_t k;

  for (k = 0; k < r->vv.n; k++) {
    cJSON *w = cJSON_CreateObject();
    writer_json(w, r->vv.v[k].replica, nm, hub_replica);
    cJSON_AddNumberToObject(w, "writes", (double)r->vv.v[k].counter);
    cJSON_AddItemToArray(list, w);
  }
  return list;
}

/* The record page's view of r, as role may see it; NULL (err set) if the
 * devices that name its writes cannot be read. */
static cJSON *record_view(struct hub_call *c, struct hub_store *hs,
                          const struct record *r, uint64_t seq,
                          struct sb_err *err)
{
  struct office_row row;
  struct hub_device_names nm = {NULL, 0, 0};
  cJSON *j, *fields, *tombs;
  const char *hub = hub_store_replica(hs);
  size_t i, k;

  if (hub_device_names_load(hs, &nm, err) != 0) {
    hub_device_names_free(&nm);
    return NULL;
  }
  j = cJSON_CreateObject();
  memset(&row, 0, sizeof(row));
  row.r = r;
  row.sc = schema_collection(hub_store_schema(hs), r->collection);
  row.review = schema_review(row.sc, r, row.why, sizeof(row.why)) == 1;
  cJSON_AddStringToObject(j, "collection", r->collection);
  cJSON_AddStringToObject(j, "id", r->id);
  cJSON_AddNumberToObject(j, "seq", (double)seq);
  cJSON_AddBoolToObject(j, "deleted", record_deleted(r));
  cJSON_AddBoolToObject(j, "conflict", record_conflicted(r));
  cJSON_AddBoolToObject(j, "delete_conflict", record_delete_conflict(r));
  cJSON_AddBoolToObject(j, "review", row.review);
  if (row.review)
    cJSON_AddStringToObject(j, "why", row.why);
  fields = cJSON_AddObjectToObject(j, "fields");
  for (i = 0; i < record_nfields(r); i++) {
    const struct field *f = record_field_at(r, i);
    cJSON *fj;
    if (role_of(c) == HUB_ROLE_VIEWER &&
        office_field_personal(row.sc, record_field_name(f)))
      continue;
    fj = cJSON_AddObjectToObject(fields, record_field_name(f));
    cJSON_AddItemToObject(fj, "winner",
                          cJSON_Parse(record_field_winner(f)->value));
    cJSON_AddItemToObject(fj, "entries", entries_json(f, &nm, hub));
  }
  tombs = cJSON_AddArrayToObject(j, "tombstones");
  for (k = 0; k < record_ntombs(r); k++)
    cJSON_AddItemToArray(tombs, entry_json(record_tomb_at(r, k), &nm, hub));
  cJSON_AddItemToObject(j, "writers", writers_json(r, &nm, hub));
  hub_device_names_free(&nm);
  return j;
}

static void api_record(struct hub_call *c, const char *rest)
{
  char collection[SB_NAME_MAX + 1];
  const char *slash = strchr(rest, '/');
  struct record r;
  struct sb_err err = {0};
  struct hub_store *hs;
  uint64_t seq = 0;
  cJSON *view = NULL;
  int rc;

  if (slash == NULL || (size_t)(slash - rest) > SB_NAME_MAX) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND,
                       "use /api/record/COLLECTION/ID");
    return;
  }
  snprintf(collection, sizeof(collection), "%.*s", (int)(slash - rest), rest);
  record_init(&r, collection, "-");
  hs = office_reader_lock(c);
  rc = hub_store_get(hs, collection, slash + 1, &r, &seq, &err);
  if (rc == 0 && (view = record_view(c, hs, &r, seq, &err)) == NULL)
    rc = err.code;
  office_reader_unlock(c);
  record_release(&r);
  if (rc == SB_ENOTFOUND)
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "no record %s/%.128s",
                       collection, slash + 1);
  else if (rc != 0)
    office_reply_store(c, rc, &err);
  else
    office_reply_json(c, view);
}

/* --- the conflict queue ------------------------------------------------- */

struct queue_walk {
  cJSON *list;
  enum hub_role role;
  struct hub_store *hs;
  const struct hub_device_names *names;
  struct sb_err *err;
};

static int queue_row(const struct office_row *row, void *ctx)
{
  struct queue_walk *w = ctx;
  cJSON *j, *names, *siblings;
  size_t i;

  if (!row->conflicted && !row->review)
    return 0;
  j = office_row_json(row, w->role);
  names = cJSON_AddArrayToObject(j, "fields");
  siblings = cJSON_AddObjectToObject(j, "siblings");
  for (i = 0; i < record_nfields(row->r); i++) {
    const struct field *f = record_field_at(row->r, i);
    const char *name = record_field_name(f);
    if (record_field_nentries(f) > 1 &&
        !(w->role == HUB_ROLE_VIEWER && office_field_personal(row->sc, name))) {
      cJSON_AddItemToArray(names, cJSON_CreateString(name));
      cJSON_AddItemToObject(
          siblings, name, entries_json(f, w->names, hub_store_replica(w->hs)));
    }
  }
  cJSON_AddBoolToObject(j, "delete_conflict", record_delete_conflict(row->r));
  cJSON_AddItemToArray(w->list, j);
  return 0;
}

/* A record the tally counts as conflicted or needing review, as it is
 * now (read after the tally caught up: it may have changed since). */
static int queue_fact(const struct office_fact *f, void *ctx)
{
  struct queue_walk *w = ctx;

  if (f == NULL || (!f->conflicted && !f->review))
    return 0;
  return office_row_get(w->hs, f->collection, f->id, queue_row, w, w->err);
}

static int conflicts_compute(struct hub_call *c, struct hub_store *hs,
                             char **text, struct sb_err *err)
{
  struct hub_device_names nm = {NULL, 0, 0};
  struct queue_walk w = {cJSON_CreateArray(), role_of(c), hs, &nm, err};
  int rc = hub_device_names_load(hs, &nm, err);
  cJSON *j = cJSON_CreateObject();

  if (rc == 0)
    rc = office_tally_each(c->office, hs, queue_fact, &w, err);
  hub_device_names_free(&nm);
  cJSON_AddItemToObject(j, "records", w.list);
  *text = rc == 0 ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  if (rc == 0 && *text == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  return rc;
}

static void api_conflicts(struct hub_call *c)
{
  struct sb_err err = {0};
  struct office_cached *e = NULL;
  struct office_blob *b;
  struct hub_store *hs = office_reader_lock(c);
  /* personal fields shown or not, the language of the reasons */
  const char key[] = {role_of(c) == HUB_ROLE_VIEWER ? 'v' : 'p',
                      office_lang_id(c) ? 'i' : 'e', '\0'};
  int rc = cached_body(c, hs, OFFICE_VIEW_CONFLICTS, key, conflicts_compute, &e,
                       &err);
  char *body = NULL;

  office_reader_unlock(c);
  if (rc == 0) {
    b = office_cache_data(e);
    body = strdup(b->body);
    if (body == NULL)
      rc = sb_err_set(&err, SB_ENOMEM, NULL);
  }
  office_cache_release(c->office, e);
  if (rc != 0) {
    office_reply_store(c, rc, &err);
    return;
  }
  office_reply_body(c, 200, "application/json", body, strlen(body));
}

/* --- resolve ------------------------------------------------------------ */

/* The 409 reply: the error and the record's state now. */
static void reply_stale(struct hub_call *c, const char *collection,
                        const char *id, const char *message)
{
  struct record r;
  struct sb_err err = {0};
  uint64_t seq = 0;
  struct hub_store *hs;
  cJSON *j = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(j, "error");
  char *text;

  cJSON_AddStringToObject(e, "code", "stale");
  cJSON_AddStringToObject(e, "message", message);
  record_init(&r, collection, id);
  hs = office_reader_lock(c);
  /* Without the record's state the 409 still says why. */
  if (hub_store_get(hs, collection, id, &r, &seq, &err) == 0)
    cJSON_AddItemToObject(j, "record", record_view(c, hs, &r, seq, &err));
  office_reader_unlock(c);
  record_release(&r);
  text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  office_reply_body(c, 409, "application/json", text,
                    text != NULL ? strlen(text) : 0);
}

/* The audit line of a write: the record and its fields' names. */
static void audit_write(const struct hub_call *c, const char *collection,
                        const char *id, const cJSON *fields, uint64_t seq)
{
  char names[256] = "";
  size_t n = 0;
  const cJSON *f;

  cJSON_ArrayForEach(f, fields)
  {
    int k = snprintf(names + n, sizeof(names) - n, "%s%s", n > 0 ? "," : "",
                     f->string);
    if (k < 0 || (size_t)k >= sizeof(names) - n)
      break; /* cut: the line says the record, the store says the rest */
    n += (size_t)k;
  }
  office_audit(c, "wrote %s/%.128s (%s) at seq %llu", collection, id, names,
               (unsigned long long)seq);
}

static void api_resolve(struct hub_call *c)
{
  const cJSON *coll, *id, *seq;
  cJSON *req, *fields;
  struct sb_err err = {0};
  struct hub_store *hs;
  uint64_t now_seq = 0, loaded_seq = 0;
  int rc;

  if (!office_allowed(c, HUB_ROLE_REVIEWER) ||
      (req = office_body_json(c, "collection,id,seq,fields")) == NULL)
    return;
  coll = cJSON_GetObjectItemCaseSensitive(req, "collection");
  id = cJSON_GetObjectItemCaseSensitive(req, "id");
  seq = cJSON_GetObjectItemCaseSensitive(req, "seq");
  fields = cJSON_GetObjectItemCaseSensitive(req, "fields");
  /* seq: a whole number 0..2^53, as the protocol's integers are */
  if (!cJSON_IsString(coll) || !cJSON_IsString(id) ||
      !wire_u64(seq, &loaded_seq) || !cJSON_IsObject(fields) ||
      fields->child == NULL) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "send {\"collection\",\"id\",\"seq\",\"fields\":{...}} "
                       "(seq: the record's seq as loaded)");
    goto out;
  }
  hs = hub_call_writer_lock(c);
  rc = hub_store_hub_put(hs, coll->valuestring, id->valuestring, fields,
                         loaded_seq, &now_seq, &err);
  hub_call_writer_unlock(c);
  if (rc == SB_ECONFLICT) {
    reply_stale(c, coll->valuestring, id->valuestring, err.msg);
  } else if (rc == SB_ENOTFOUND) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "%s", err.msg);
  } else if (rc == SB_ESCHEMA || rc == SB_EINVAL) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST, "%s", err.msg);
  } else if (rc != 0) {
    office_reply_store(c, rc, &err);
  } else {
    cJSON *j = cJSON_CreateObject();
    audit_write(c, coll->valuestring, id->valuestring, fields, now_seq);
    cJSON_AddNumberToObject(j, "seq", (double)now_seq);
    c->committed = now_seq > 0;
    c->last_seq = now_seq;
    office_reply_json(c, j);
  }
out:
  cJSON_Delete(req);
}

void office_api(struct hub_call *c, const char *rest)
{
  bool get = strcmp(c->oreq->method, "GET") == 0;

  if (get && strcmp(rest, "session") == 0)
    api_session(c);
  else if (get && strcmp(rest, "overview") == 0) {
    if (office_query_ok(c, NULL))
      api_overview(c);
  } else if (get && strncmp(rest, "records/", 8) == 0)
    office_records_api(c, rest + 8);
  else if (get && strncmp(rest, "record/", 7) == 0)
    api_record(c, rest + 7);
  else if (get && strcmp(rest, "conflicts") == 0)
    api_conflicts(c);
  else if (!get && strcmp(rest, "resolve") == 0)
    api_resolve(c);
  else if (strcmp(rest, "devices") == 0 || strncmp(rest, "devices/", 8) == 0)
    office_devices_api(c, rest + 7);
  else if (strcmp(rest, "users") == 0 || strncmp(rest, "users/", 6) == 0)
    office_users_api(c, rest + 5);
  else
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "no such API: %s %.100s",
                       c->oreq->method, rest);
}
