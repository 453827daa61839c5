/*
 * scope.c - the scope rule (scope.h): a device's scope parts, a record's,
 * and whether they meet.
 */
#include "compat.h"

#include "scope.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void scope_parts_init(struct scope_parts *p)
{
  memset(p, 0, sizeof(*p));
}

void scope_parts_release(struct scope_parts *p)
{
  size_t i;
  for (i = 0; i < p->n; i++)
    free(p->v[i]);
  free(p->v);
  scope_parts_init(p);
}

int scope_parts_add(struct scope_parts *p, const char *part)
{
  size_t i, at = p->n;
  char **v;

  for (i = 0; i < p->n; i++) {
    int c = strcmp(p->v[i], part);
    if (c == 0)
      return 0;
    if (c > 0) {
      at = i;
      break;
    }
  }
  v = realloc(p->v, (p->n + 1) * sizeof(*v));
  if (v == NULL)
    return SB_ENOMEM;
  p->v = v;
  memmove(v + at + 1, v + at, (p->n - at) * sizeof(*v));
  v[at] = strdup(part);
  if (v[at] == NULL) {
    memmove(v + at, v + at + 1, (p->n - at) * sizeof(*v));
    return SB_ENOMEM;
  }
  p->n++;
  return 0;
}

bool scope_meets(const struct scope_parts *dev, const struct scope_parts *rec)
{
  size_t i, k;

  if (dev->all || rec->all)
    return true;
  for (i = 0; i < dev->n; i++)
    for (k = 0; k < rec->n; k++)
      if (strcmp(dev->v[i], rec->v[k]) == 0)
        return true;
  return false;
}

bool scope_equal(const struct scope_parts *a, const struct scope_parts *b)
{
  size_t i;

  if (a->all != b->all || a->n != b->n)
    return false;
  for (i = 0; i < a->n; i++)
    if (strcmp(a->v[i], b->v[i]) != 0)
      return false;
  return true;
}

bool scope_text(const struct scope_parts *p, char *out, size_t size)
{
  size_t i, len = 0;
  int n;

  if (size == 0)
    return false;
  out[0] = '\0';
  if (p->all)
    return (size_t)snprintf(out, size, "all") < size;
  for (i = 0; i < p->n; i++) {
    n = snprintf(out + len, size - len, "%s%s", i > 0 ? "," : "", p->v[i]);
    if (n < 0 || (size_t)n >= size - len)
      return false;
    len += (size_t)n;
  }
  return true;
}

/* The schema's spelling of part, or NULL if no scope field allows it. */
static const char *schema_part(const struct schema *s, const char *part)
{
  size_t i, k;

  for (i = 0; s != NULL && i < s->nc; i++) {
    const struct schema_field *f = schema_field(&s->c[i], s->c[i].scope_field);
    for (k = 0; f != NULL && k < f->nvalues; k++)
      if (strcasecmp(f->values[k], part) == 0)
        return f->values[k];
  }
  return NULL;
}

/* The allowed parts of s, for a message. */
static void allowed_parts(const struct schema *s, char *out, size_t size)
{
  struct scope_parts all;
  size_t i, k;

  scope_parts_init(&all);
  for (i = 0; s != NULL && i < s->nc; i++) {
    const struct schema_field *f = schema_field(&s->c[i], s->c[i].scope_field);
    for (k = 0; f != NULL && k < f->nvalues; k++)
      (void)scope_parts_add(&all, f->values[k]);
  }
  if (all.n == 0 || !scope_text(&all, out, size))
    snprintf(out, size, "%s",
             all.n == 0 ? "none: the schema has no scope "
                          "field"
                        : "...");
  scope_parts_release(&all);
}

/* Splits text at commas into out; with s, checks each part against it. */
static int parts_split(const struct schema *s, const char *text,
                       struct scope_parts *out, struct sb_err *err)
{
  char buf[SCOPE_TEXT_MAX + 1], allowed[512], *part, *next;
  int rc = 0;

  scope_parts_release(out);
  if (strlen(text) > SCOPE_TEXT_MAX)
    return sb_err_set(err, SB_EINVAL, "scope is too long (at most %d bytes)",
                      SCOPE_TEXT_MAX);
  if (strcmp(text, "all") == 0) {
    out->all = true;
    return 0;
  }
  snprintf(buf, sizeof(buf), "%s", text);
  /* Every part between commas, empty ones included (strtok would skip
   * them: "Setu,,Pamulang" is a typo to refuse, not to read). */
  for (part = buf; part != NULL && rc == 0; part = next) {
    const char *canon = part;
    char *end;
    if ((next = strchr(part, ',')) != NULL)
      *next++ = '\0';
    /* spaces around a part are not part of it ("Setu , Pamulang") */
    for (end = part + strlen(part); end > part && end[-1] == ' ';)
      *--end = '\0';
    while (*canon == ' ')
      canon++;
    if (canon[0] == '\0' && part == buf && next == NULL)
      break; /* "" (or spaces): the empty scope, refused below */
    if (s != NULL && canon[0] != '\0') {
      const char *spelt = schema_part(s, canon);
      if (spelt == NULL) {
        allowed_parts(s, allowed, sizeof(allowed));
        rc = sb_err_set(err, SB_EINVAL,
                        "scope part \"%.64s\" is not a value of a scope field "
                        "(use all, or some of: %s)",
                        canon, allowed);
        break;
      }
      canon = spelt;
    }
    if (canon[0] == '\0' || strcmp(canon, "all") == 0)
      rc = sb_err_set(err, SB_EINVAL,
                      "scope \"%.64s\": an empty part, or all among parts",
                      text);
    else if (scope_parts_add(out, canon) != 0)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  }
  if (rc == 0 && out->n == 0)
    rc = sb_err_set(err, SB_EINVAL,
                    "an empty scope (give all, or parts separated by commas)");
  if (rc != 0)
    scope_parts_release(out);
  return rc;
}

int scope_parse(const struct schema *s, const char *text,
                struct scope_parts *out, struct sb_err *err)
{
  return parts_split(s, text, out, err);
}

int scope_read(const char *text, struct scope_parts *out, struct sb_err *err)
{
  return parts_split(NULL, text, out, err);
}

/* Adds the string values of every entry of field f to out. */
static int field_values(const struct field *f, struct scope_parts *out,
                        bool (*each)(const char *v, void *ctx), void *ctx)
{
  size_t k;

  for (k = 0; f != NULL && k < record_field_nentries(f); k++) {
    const struct entry *e = record_field_entry(f, k);
    char plain[256];
    const char *v = NULL;
    cJSON *j = NULL;
    bool ok = true;
    if (json_plain_string(e->value, plain, sizeof(plain))) {
      v = plain; /* most values: no parse */
    } else if (json_parse_held(e->value, &j) != 0) {
      return SB_ENOMEM; /* never "no part": the record would leave */
    } else if (cJSON_IsString(j)) {
      v = j->valuestring;
    }
    if (v != NULL)
      ok = out != NULL ? scope_parts_add(out, v) == 0 : each(v, ctx);
    cJSON_Delete(j);
    if (!ok)
      return SB_ENOMEM;
  }
  return 0;
}

static int scope_at(const struct schema *s, const struct record *r,
                    scope_lookup_fn lookup, void *ctx, struct scope_parts *out,
                    int depth, struct sb_err *err);

/* A followed ref: the parts of the record it names, added to f->out. */
struct follow {
  const struct schema *s;
  const char *to;
  scope_lookup_fn lookup;
  void *ctx;
  struct scope_parts *out;
  int depth;
  struct sb_err *err;
  int rc;
};

static bool follow_one(const char *id, void *ctx)
{
  struct follow *f = ctx;
  struct scope_parts got;
  struct record ref;
  size_t i;

  if (!record_id_valid(id))
    return true;
  record_init(&ref, f->to, id);
  scope_parts_init(&got);
  f->rc = f->lookup(f->ctx, f->to, id, &ref, &got, f->err);
  if (f->rc == SB_ENOTFOUND || f->rc == SCOPE_KNOWN)
    f->rc = 0;
  else if (f->rc == 0)
    f->rc = scope_at(f->s, &ref, f->lookup, f->ctx, &got, f->depth + 1, f->err);
  for (i = 0; f->rc == 0 && i < got.n; i++)
    if (scope_parts_add(f->out, got.v[i]) != 0)
      f->rc = sb_err_set(f->err, SB_ENOMEM, NULL);
  f->out->all = f->out->all || got.all;
  scope_parts_release(&got);
  record_release(&ref);
  return f->rc == 0;
}

bool scope_collection_scoped(const struct schema *s, const char *collection)
{
  const struct schema_collection *c = schema_collection(s, collection);
  return c != NULL && (c->scope_field != NULL || c->scope_follows != NULL);
}

static int scope_at(const struct schema *s, const struct record *r,
                    scope_lookup_fn lookup, void *ctx, struct scope_parts *out,
                    int depth, struct sb_err *err)
{
  const struct schema_collection *c = schema_collection(s, r->collection);
  const struct schema_field *f;
  struct follow fw;
  int rc;

  scope_parts_release(out);
  if (!scope_collection_scoped(s, r->collection)) {
    out->all = true; /* unscoped: every device holds it */
    return 0;
  }
  if (record_deleted(r) || depth > SCOPE_DEPTH_MAX)
    return 0;
  if (c->scope_field != NULL) {
    rc = field_values(record_field(r, c->scope_field), out, NULL, NULL);
    return rc != 0 ? sb_err_set(err, rc, NULL) : 0;
  }
  f = schema_field(c, c->scope_follows);
  fw = (struct follow){s, f->ref, lookup, ctx, out, depth, err, 0};
  rc = field_values(record_field(r, c->scope_follows), NULL, follow_one, &fw);
  if (fw.rc != 0)
    return fw.rc;
  return rc != 0 ? sb_err_set(err, rc, NULL) : 0;
}

int scope_of(const struct schema *s, const struct record *r,
             scope_lookup_fn lookup, void *ctx, struct scope_parts *out,
             struct sb_err *err)
{
  int rc = scope_at(s, r, lookup, ctx, out, 0, err);
  if (rc != 0)
    scope_parts_release(out);
  return rc;
}

/* field_values' each for scope_refs: only valid ids go on. */
struct refs_walk {
  const struct record *r;
  scope_note_fn note;
  void *ctx;
  int rc;
};

static bool refs_one(const char *v, void *ctx)
{
  struct refs_walk *w = ctx;
  if (record_id_valid(v))
    w->rc = w->note(w->ctx, v, w->r->collection, w->r->id);
  return w->rc == 0;
}

int scope_refs(const struct schema *s, const struct record *r,
               scope_note_fn note, void *ctx, struct sb_err *err)
{
  const struct schema_collection *c = schema_collection(s, r->collection);
  struct refs_walk w = {r, note, ctx, 0};
  int rc;

  if (c == NULL || c->scope_follows == NULL)
    return 0;
  rc = field_values(record_field(r, c->scope_follows), NULL, refs_one, &w);
  if (w.rc != 0)
    return w.rc;
  return rc != 0 ? sb_err_set(err, rc, NULL) : 0;
}

const struct schema_collection *scope_follower(const struct schema *s,
                                               const char *of, size_t i)
{
  size_t k;

  for (k = 0; s != NULL && k < s->nc; k++) {
    const struct schema_collection *c = &s->c[k];
    const struct schema_field *f;
    if (c->scope_follows == NULL)
      continue;
    f = schema_field(c, c->scope_follows);
    if (f != NULL && strcmp(f->ref, of) == 0 && i-- == 0)
      return c;
  }
  return NULL;
}

static int id_order(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int scope_followers_visit(const struct record *r, uint64_t seq, void *ctx)
{
  struct scope_followers *f = ctx;
  const struct field *fl = record_field(r, f->field);
  size_t k;
  bool hit = false;

  (void)seq;
  for (k = 0; fl != NULL && !hit && k < record_field_nentries(fl); k++) {
    cJSON *j = NULL;
    if (json_parse_held(record_field_entry(fl, k)->value, &j) != 0) {
      f->nomem = true;
      return 1;
    }
    hit = cJSON_IsString(j) && bsearch(&j->valuestring, f->of, f->n_of,
                                       sizeof(*f->of), id_order) != NULL;
    cJSON_Delete(j);
  }
  if (!hit)
    return 0;
  if (strv_add(&f->ids, r->id) != 0) {
    f->nomem = true;
    return 1;
  }
  return 0;
}

void scope_followers_release(struct scope_followers *f)
{
  strv_free(&f->ids);
}

char *scope_parts_json(const char *const *parts, size_t n)
{
  cJSON *a = cJSON_CreateArray();
  char *json = NULL;
  size_t i;

  for (i = 0; a != NULL && i < n; i++)
    if (!cJSON_AddItemToArray(a, cJSON_CreateString(parts[i])))
      break;
  if (a != NULL && i == n)
    json = cJSON_PrintUnformatted(a);
  cJSON_Delete(a);
  return json;
}
