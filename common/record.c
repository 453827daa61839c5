/*
 * record.c - the record model and its merge (see record.h for the rules).
 *
 * Fields are sorted by name and entries by dot, so merging two states is
 * a walk over both in step, and the encoding is canonical without any
 * sorting at print time. Entry values are kept as canonical JSON text and
 * copied verbatim between replicas. The merge itself is in record_merge.c.
 */
#include "compat.h"

#include "record.h"
#include "record_int.h"

#include "buf.h"
#include "name_chars.h"
#include "json.h"
#include "record_sax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool record_name_valid(const char *s)
{
  return name_chars_valid(s, SB_NAME_MAX, NAME_CHAR);
}

bool record_id_valid(const char *s)
{
  return name_chars_valid(s, SB_ID_MAX, ID_CHAR);
}

/* --- entries and fields ------------------------------------------------ */

void record_entries_free(struct entry *e, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    free(e[i].value);
  free(e);
}

static void field_release(struct field *f)
{
  free(f->name);
  record_entries_free(f->e, f->n);
  f->name = NULL;
  f->e = NULL;
  f->n = 0;
}

void record_fields_free(struct field *f, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    field_release(&f[i]);
  free(f);
}

/* dst = a copy of src's entries; 0 or SB_ENOMEM (dst empty). */
static int entries_copy(struct entry **dst, const struct entry *src, size_t n)
{
  size_t i;
  *dst = NULL;
  if (n == 0)
    return 0;
  *dst = calloc(n, sizeof(**dst));
  if (*dst == NULL)
    return SB_ENOMEM;
  for (i = 0; i < n; i++) {
    (*dst)[i] = src[i];
    if (src[i].value != NULL) {
      (*dst)[i].value = strdup(src[i].value);
      if ((*dst)[i].value == NULL) {
        record_entries_free(*dst, i);
        *dst = NULL;
        return SB_ENOMEM;
      }
    }
  }
  return 0;
}

/* --- life cycle -------------------------------------------------------- */

/* Copies src into dst[size], truncating; cheaper than snprintf here. */
static void copy_bounded(char *dst, size_t size, const char *src)
{
  size_t n = strnlen(src, size - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

bool record_is(const struct record *r, const char *collection, const char *id)
{
  return strcmp(r->collection, collection) == 0 && strcmp(r->id, id) == 0;
}

void record_init(struct record *r, const char *collection, const char *id)
{
  copy_bounded(r->collection, sizeof(r->collection), collection);
  copy_bounded(r->id, sizeof(r->id), id);
  vv_init(&r->vv);
  r->f = NULL;
  r->nf = 0;
  r->tomb = NULL;
  r->ntomb = 0;
  r->wd = NULL;
  r->nwd = 0;
}

void record_release(struct record *r)
{
  vv_release(&r->vv);
  record_fields_free(r->f, r->nf);
  record_entries_free(r->tomb, r->ntomb);
  record_withdrawals_free(r->wd, r->nwd);
  r->f = NULL;
  r->nf = 0;
  r->tomb = NULL;
  r->ntomb = 0;
  r->wd = NULL;
  r->nwd = 0;
}

int record_copy(struct record *r, const struct record *src)
{
  size_t i;
  record_init(r, src->collection, src->id);
  if (vv_copy(&r->vv, &src->vv) != 0)
    goto nomem;
  if (entries_copy(&r->tomb, src->tomb, src->ntomb) != 0)
    goto nomem;
  r->ntomb = src->ntomb;
  if (record_withdrawals_copy(&r->wd, src->wd, src->nwd) != 0)
    goto nomem;
  r->nwd = src->nwd;
  if (src->nf > 0) {
    r->f = calloc(src->nf, sizeof(*r->f));
    if (r->f == NULL)
      goto nomem;
  }
  for (i = 0; i < src->nf; i++) {
    r->f[i].name = strdup(src->f[i].name);
    if (r->f[i].name == NULL)
      goto nomem;
    r->nf = i + 1;
    if (entries_copy(&r->f[i].e, src->f[i].e, src->f[i].n) != 0)
      goto nomem;
    r->f[i].n = src->f[i].n;
  }
  return 0;
nomem:
  record_release(r);
  return SB_ENOMEM;
}

/* --- local writes ------------------------------------------------------ */

/* The dot of the next local write on replica; SB_EINVAL if exhausted. */
static int next_dot(const struct record *r, const char *replica, struct dot *d)
{
  uint64_t c = vv_get(&r->vv, replica) + 1;
  if (!vv_replica_id_valid(replica) || c > SB_COUNTER_MAX)
    return SB_EINVAL;
  snprintf(d->replica, sizeof(d->replica), "%s", replica);
  d->counter = c;
  return 0;
}

/* Index of field name in r, or where to insert it (*found tells). */
static size_t field_find(const struct record *r, const char *name, bool *found)
{
  size_t lo = 0, hi = r->nf;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(r->f[mid].name, name);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

/* Sets field name of r to the single entry e (taking e.value). */
static int field_set(struct record *r, const char *name, struct entry *e)
{
  bool found;
  size_t i = field_find(r, name, &found);
  struct entry *one = malloc(sizeof(*one));
  if (one == NULL)
    return SB_ENOMEM;
  *one = *e;
  if (found) {
    record_entries_free(r->f[i].e, r->f[i].n);
  } else {
    struct field *f = realloc(r->f, (r->nf + 1) * sizeof(*f));
    char *copy = strdup(name);
    if (f != NULL)
      r->f = f;
    if (f == NULL || copy == NULL) {
      free(copy);
      free(one);
      return SB_ENOMEM;
    }
    memmove(&r->f[i + 1], &r->f[i], (r->nf - i) * sizeof(*f));
    r->f[i].name = copy;
    r->nf++;
  }
  r->f[i].e = one;
  r->f[i].n = 1;
  e->value = NULL; /* taken */
  return 0;
}

int record_put(struct record *r, const char *replica, uint64_t ts,
               cJSON *fields, struct sb_err *err)
{
  struct record next;
  struct dot d;
  cJSON *c;
  int rc;

  if (!cJSON_IsObject(fields))
    return sb_err_set(err, SB_EINVAL, "fields must be a JSON object");
  if (fields->child == NULL)
    return sb_err_set(err, SB_EINVAL, "fields must not be empty");
  for (c = fields->child; c != NULL; c = c->next) {
    if (!record_name_valid(c->string))
      return sb_err_set(err, SB_EINVAL,
                        "bad field name \"%.80s\" (use 1-%d letters, digits, "
                        "'-' or '_')",
                        c->string, SB_NAME_MAX);
  }
  if (next_dot(r, replica, &d) != 0)
    return sb_err_set(err, SB_EINVAL, "cannot write as replica \"%.40s\"",
                      replica);

  /* Work on a copy so that r is unaltered on failure. */
  if (record_copy(&next, r) != 0)
    return sb_err_set(err, SB_ENOMEM, NULL);
  json_sort_keys(fields);
  for (c = fields->child; c != NULL; c = c->next) {
    struct entry e = {.dot = d, .ts = ts};
    e.value = json_print(c);
    if (e.value == NULL || field_set(&next, c->string, &e) != 0) {
      free(e.value);
      rc = sb_err_set(err, SB_ENOMEM, NULL);
      goto fail;
    }
  }
  record_entries_free(next.tomb, next.ntomb);
  next.tomb = NULL;
  next.ntomb = 0;
  if (vv_set(&next.vv, d.replica, d.counter) != 0 ||
      record_withdrawals_note(next.wd, next.nwd, &d) != 0) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto fail;
  }
  record_release(r);
  *r = next;
  return 0;
fail:
  record_release(&next);
  return rc;
}

int record_delete(struct record *r, const char *replica, uint64_t ts)
{
  struct withdrawal *wd = NULL;
  struct entry *tomb;
  struct dot d;

  if (next_dot(r, replica, &d) != 0)
    return SB_EINVAL;
  tomb = malloc(sizeof(*tomb));
  if (tomb == NULL)
    return SB_ENOMEM;
  tomb->value = NULL;
  tomb->dot = d;
  tomb->ts = ts;
  /* the withdrawals as they will be, on a copy: r is unaltered on failure */
  if (record_withdrawals_copy(&wd, r->wd, r->nwd) != 0 ||
      record_withdrawals_note(wd, r->nwd, &d) != 0 ||
      vv_set(&r->vv, d.replica, d.counter) != 0) {
    record_withdrawals_free(wd, wd != NULL ? r->nwd : 0);
    free(tomb);
    return SB_ENOMEM;
  }
  record_withdrawals_free(r->wd, r->nwd);
  r->wd = wd;
  record_fields_free(r->f, r->nf);
  r->f = NULL;
  r->nf = 0;
  record_entries_free(r->tomb, r->ntomb);
  r->tomb = tomb;
  r->ntomb = 1;
  return 0;
}

int record_drop_field(struct record *r, const char *name)
{
  bool found;
  size_t i = field_find(r, name, &found), n;

  if (!found)
    return 0;
  n = r->f[i].n;
  field_release(&r->f[i]);
  memmove(&r->f[i], &r->f[i + 1], (r->nf - i - 1) * sizeof(*r->f));
  r->nf--;
  return (int)n;
}

int record_drop_withdrawn(struct record *r, const char *name)
{
  bool found;
  size_t i = field_find(r, name, &found), k, kept = 0;
  struct field *f;
  int dropped = 0;

  if (!found || r->nwd == 0)
    return 0;
  f = &r->f[i];
  for (k = 0; k < f->n; k++) {
    if (record_withdrawn(r, &f->e[k].dot)) {
      free(f->e[k].value);
      dropped++;
    } else {
      f->e[kept++] = f->e[k];
    }
  }
  f->n = kept;
  if (kept == 0)
    record_drop_field(r, name);
  return dropped;
}

/* --- reading ----------------------------------------------------------- */

const struct field *record_field(const struct record *r, const char *name)
{
  bool found;
  size_t i = field_find(r, name, &found);
  return found ? &r->f[i] : NULL;
}

size_t record_nfields(const struct record *r)
{
  return r->nf;
}

const struct field *record_field_at(const struct record *r, size_t i)
{
  return &r->f[i];
}

const char *record_field_name(const struct field *f)
{
  return f->name;
}

size_t record_field_nentries(const struct field *f)
{
  return f->n;
}

const struct entry *record_field_entry(const struct field *f, size_t k)
{
  return &f->e[k];
}

const struct entry *record_field_winner(const struct field *f)
{
  const struct entry *w = &f->e[0];
  size_t i;
  for (i = 1; i < f->n; i++) {
    const struct entry *e = &f->e[i];
    if (e->ts > w->ts || (e->ts == w->ts && vv_dot_cmp(&e->dot, &w->dot) > 0))
      w = e;
  }
  return w;
}

size_t record_ntombs(const struct record *r)
{
  return r->ntomb;
}

const struct entry *record_tomb_at(const struct record *r, size_t k)
{
  return &r->tomb[k];
}

int record_each_entry(const struct record *r, record_entry_fn fn, void *ctx)
{
  size_t i, k;
  int rc;
  for (i = 0; i < r->nf; i++) {
    for (k = 0; k < r->f[i].n; k++) {
      rc = fn(r->f[i].name, &r->f[i].e[k], ctx);
      if (rc != 0)
        return rc;
    }
  }
  for (k = 0; k < r->ntomb; k++) {
    rc = fn(NULL, &r->tomb[k], ctx);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int max_ts_one(const char *field, const struct entry *e, void *ctx)
{
  uint64_t *max = ctx;
  (void)field;
  if (e->ts > *max)
    *max = e->ts;
  return 0;
}

uint64_t record_max_ts(const struct record *r)
{
  uint64_t max = 0;
  record_each_entry(r, max_ts_one, &max);
  return max;
}

bool record_deleted(const struct record *r)
{
  return r->ntomb > 0 && r->nf == 0;
}

bool record_delete_conflict(const struct record *r)
{
  return r->ntomb > 0 && r->nf > 0;
}

bool record_conflicted(const struct record *r)
{
  size_t i;
  if (record_delete_conflict(r))
    return true;
  for (i = 0; i < r->nf; i++) {
    if (r->f[i].n > 1)
      return true;
  }
  return false;
}

bool record_empty(const struct record *r)
{
  return r->vv.n == 0;
}

cJSON *record_values(const struct record *r)
{
  cJSON *o = cJSON_CreateObject();
  size_t i;
  if (o == NULL)
    return NULL;
  for (i = 0; i < r->nf; i++) {
    cJSON *v = cJSON_Parse(record_field_winner(&r->f[i])->value);
    if (v == NULL || !cJSON_AddItemToObject(o, r->f[i].name, v)) {
      cJSON_Delete(v); /* (cJSON copies the name: that may fail too) */
      cJSON_Delete(o);
      return NULL;
    }
  }
  return o;
}

/* --- encoding ---------------------------------------------------------- */

/*
 * Names, ids and replica ids are restricted to characters JSON needs no
 * escapes for, and values are canonical JSON already, so the canonical
 * encoding is written directly.
 */
static void entry_encode(struct buf *b, const struct entry *e)
{
  buf_adds(b, "{\"dot\":[\"");
  buf_adds(b, e->dot.replica);
  buf_adds(b, "\",");
  buf_addu(b, e->dot.counter);
  buf_adds(b, "],\"ts\":");
  buf_addu(b, e->ts);
  if (e->value != NULL) {
    buf_adds(b, ",\"value\":");
    buf_adds(b, e->value);
  }
  buf_adds(b, "}");
}

/* Appends [entry,entry...] of e[0..n). */
static void entries_encode(struct buf *b, const struct entry *e, size_t n)
{
  size_t k;
  buf_adds(b, "[");
  for (k = 0; k < n; k++) {
    if (k > 0)
      buf_adds(b, ",");
    entry_encode(b, &e[k]);
  }
  buf_adds(b, "]");
}

/* True if field f is one entry written at at's dot and time. */
static bool field_at(const struct field *f, const struct entry *at)
{
  return at != NULL && f->n == 1 && f->e[0].ts == at->ts &&
         f->e[0].dot.counter == at->dot.counter &&
         strcmp(f->e[0].dot.replica, at->dot.replica) == 0;
}

/* Appends {"name":[entries],...} of r's fields (or of those with siblings;
 * or of those not written at at: the compact form's "fields"). */
static void fields_encode_but(struct buf *b, const struct record *r,
                              bool siblings_only, const struct entry *at)
{
  bool first = true;
  size_t i;
  buf_adds(b, "{");
  for (i = 0; i < r->nf; i++) {
    if ((siblings_only && r->f[i].n < 2) || field_at(&r->f[i], at))
      continue;
    buf_adds(b, first ? "\"" : ",\"");
    first = false;
    buf_adds(b, r->f[i].name);
    buf_adds(b, "\":");
    entries_encode(b, r->f[i].e, r->f[i].n);
  }
  buf_adds(b, "}");
}

static void fields_encode(struct buf *b, const struct record *r,
                          bool siblings_only)
{
  fields_encode_but(b, r, siblings_only, NULL);
}

/* About the length of r's encoding (an entry's dot and ts take up to 80
 * bytes besides its value), so the buffer is allocated once, not grown
 * five times from 64 bytes. */
static size_t encoded_guess(const struct record *r)
{
  size_t n = 192 + 80 * r->ntomb + 40 * r->vv.n + 120 * r->nwd, i, k;

  for (i = 0; i < r->nf; i++) {
    n += 72;
    for (k = 0; k < r->f[i].n; k++)
      n += 80 + (r->f[i].e[k].value ? strlen(r->f[i].e[k].value) : 0);
  }
  return n;
}

void record_vv_encode(struct buf *b, const struct vv *vv)
{
  size_t k;

  buf_adds(b, "{");
  for (k = 0; k < vv->n; k++) {
    buf_adds(b, k ? ",\"" : "\"");
    buf_adds(b, vv->v[k].replica);
    buf_adds(b, "\":");
    buf_addu(b, vv->v[k].counter);
  }
  buf_adds(b, "}");
}

char *record_encode(const struct record *r)
{
  struct buf b;
  size_t room;

  buf_init(&b);
  (void)buf_space(&b, encoded_guess(r), &room); /* a failure fails below */
  buf_adds(&b, "{\"collection\":\"");
  buf_adds(&b, r->collection);
  buf_adds(&b,
           record_deleted(r) ? "\",\"deleted\":true" : "\",\"deleted\":false");
  buf_adds(&b, ",\"fields\":");
  fields_encode(&b, r, false);
  buf_adds(&b, ",\"id\":\"");
  buf_adds(&b, r->id);
  buf_adds(&b, "\",\"tombstones\":");
  entries_encode(&b, r->tomb, r->ntomb);
  buf_adds(&b, ",\"vv\":");
  record_vv_encode(&b, &r->vv);
  record_withdrawals_encode(&b, r);
  buf_adds(&b, "}");
  return buf_take(&b, NULL);
}

/* Orders candidates for "at": by dot, then by time. */
static int at_cmp(const struct entry *a, const struct entry *b)
{
  int c = vv_dot_cmp(&a->dot, &b->dot);
  return c != 0 ? c : (a->ts > b->ts) - (a->ts < b->ts);
}

/*
 * The entry whose (dot, ts) the most single-entry fields share, ties to
 * the smallest (at_cmp): a function of the state alone. NULL if no field
 * has a single entry. Usually every field shares one, found at once.
 */
static const struct entry *compact_at(const struct record *r)
{
  const struct entry *best = NULL;
  size_t best_n = 0, i, j;

  for (i = 0; i < r->nf && r->nf - i >= best_n; i++) {
    const struct entry *e = &r->f[i].e[0];
    size_t n = 0;
    if (r->f[i].n != 1)
      continue;
    for (j = 0; j < r->nf; j++)
      n += field_at(&r->f[j], e);
    if (n > best_n || (n == best_n && at_cmp(e, best) < 0)) {
      best = e;
      best_n = n;
    }
  }
  return best;
}

char *record_encode_compact(const struct record *r)
{
  const struct entry *at = compact_at(r);
  struct buf b;
  size_t room, i;
  bool first = true;

  if (at == NULL)
    return record_encode(r);
  buf_init(&b);
  (void)buf_space(&b, encoded_guess(r), &room); /* a failure fails below */
  buf_adds(&b, "{\"at\":[\"");
  buf_adds(&b, at->dot.replica);
  buf_adds(&b, "\",");
  buf_addu(&b, at->dot.counter);
  buf_adds(&b, ",");
  buf_addu(&b, at->ts);
  buf_adds(&b, "],\"collection\":\"");
  buf_adds(&b, r->collection);
  buf_adds(&b, "\",\"deleted\":false,\"fields\":");
  fields_encode_but(&b, r, false, at);
  buf_adds(&b, ",\"id\":\"");
  buf_adds(&b, r->id);
  buf_adds(&b, "\",\"tombstones\":");
  entries_encode(&b, r->tomb, r->ntomb);
  buf_adds(&b, ",\"values\":{");
  for (i = 0; i < r->nf; i++) {
    if (!field_at(&r->f[i], at))
      continue;
    buf_adds(&b, first ? "\"" : ",\"");
    first = false;
    buf_adds(&b, r->f[i].name);
    buf_adds(&b, "\":");
    buf_adds(&b, r->f[i].e[0].value);
  }
  buf_adds(&b, "},\"vv\":");
  record_vv_encode(&b, &r->vv);
  record_withdrawals_encode(&b, r);
  buf_adds(&b, "}");
  return buf_take(&b, NULL);
}

/* More than the full form adds to a value of the compact one:
 * [{"dot":["R",C],"ts":T,"value": and }], with C and T of up to 16 digits. */
#define ENTRY_OVERHEAD (SB_REPLICA_MAX + 2 * 17 + 64)

size_t record_full_over(const struct record *r, size_t text_len, size_t max)
{
  char *full;
  size_t len;

  if (text_len > max)
    return text_len; /* the text at hand is over already */
  if (text_len + r->nf * ENTRY_OVERHEAD <= max)
    return 0;
  full = record_encode(r);
  if (full == NULL)
    return SIZE_MAX;
  len = strlen(full);
  free(full);
  return len > max ? len : 0;
}

bool record_text_compact(const char *text, size_t len)
{
  static const char opening[] = "{\"at\":";
  return len >= sizeof(opening) - 1 &&
         memcmp(text, opening, sizeof(opening) - 1) == 0;
}

int record_text_full(const char *text, size_t len, char **full,
                     struct sb_err *err)
{
  struct record r;
  int rc;

  *full = NULL;
  if (!record_text_compact(text, len))
    return 0;
  record_init(&r, "", "");
  rc = record_decode(&r, text, len, err);
  if (rc == 0) {
    *full = record_encode(&r);
    if (*full == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  }
  record_release(&r);
  return rc;
}

int record_field_cmp(const void *a, const void *b)
{
  return strcmp(((const struct field *)a)->name,
                ((const struct field *)b)->name);
}

char *record_encode_conflict(const struct record *r)
{
  bool deleted = record_delete_conflict(r);
  struct buf b;

  buf_init(&b);
  buf_adds(&b, "{\"collection\":\"");
  buf_adds(&b, r->collection);
  buf_adds(&b, deleted ? "\",\"delete_conflict\":true"
                       : "\",\"delete_conflict\":false");
  buf_adds(&b, ",\"fields\":");
  fields_encode(&b, r, true);
  buf_adds(&b, ",\"id\":\"");
  buf_adds(&b, r->id);
  buf_adds(&b, "\",\"tombstones\":");
  entries_encode(&b, r->tomb, deleted ? r->ntomb : 0);
  buf_adds(&b, "}");
  return buf_take(&b, NULL);
}

cJSON *record_to_json(const struct record *r)
{
  char *text = record_encode(r);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  return j;
}

/* --- decoding ---------------------------------------------------------- */

int record_dot_from_json(struct dot *d, const cJSON *dot, const char *where,
                         struct sb_err *err)
{
  const cJSON *rep, *ctr;

  if (!cJSON_IsArray(dot) || cJSON_GetArraySize(dot) != 2)
    return sb_err_set(err, SB_EINVAL, "%s: \"dot\" must be [replica, counter]",
                      where);
  rep = dot->child;
  ctr = rep->next;
  if (!cJSON_IsString(rep) || !vv_replica_id_valid(rep->valuestring))
    return sb_err_set(err, SB_EINVAL, "%s: bad replica id in dot", where);
  if (!json_is_int(ctr, 1, (int64_t)SB_COUNTER_MAX))
    return sb_err_set(err, SB_EINVAL,
                      "%s: dot counter must be an integer from 1 to 2^53",
                      where);
  snprintf(d->replica, sizeof(d->replica), "%s", rep->valuestring);
  d->counter = (uint64_t)ctr->valuedouble;
  return 0;
}

/* A value's canonical text (malloc'd; NULL: out of memory). Values are
 * canonical in every state we make; re-printed to make sure. Most are
 * short: printed into a buffer of this thread, then copied at their size
 * (cJSON's own printing grows a 256-byte buffer each time). */
static char *value_text(const cJSON *value)
{
  static _Thread_local char small[1024];
  if (json_print_into((cJSON *)value, small, sizeof(small)))
    return strdup(small);
  return json_print((cJSON *)value);
}

/* Reads the compact form's "at", [replica, counter, ts], into e. */
static int at_from_json(struct entry *e, const cJSON *at, struct sb_err *err)
{
  const cJSON *rep = cJSON_GetArrayItem(at, 0),
              *ctr = cJSON_GetArrayItem(at, 1);
  const cJSON *ts = cJSON_GetArrayItem(at, 2);

  memset(e, 0, sizeof(*e));
  if (!cJSON_IsArray(at) || cJSON_GetArraySize(at) != 3 ||
      !cJSON_IsString(rep) || strlen(rep->valuestring) > SB_REPLICA_MAX ||
      !vv_replica_id_valid(rep->valuestring) ||
      !json_is_int(ctr, 1, (int64_t)SB_COUNTER_MAX) ||
      !json_is_int(ts, 0, (int64_t)SB_COUNTER_MAX))
    return sb_err_set(err, SB_EINVAL, AT_SHAPE);
  snprintf(e->dot.replica, sizeof(e->dot.replica), "%s", rep->valuestring);
  e->dot.counter = (uint64_t)ctr->valuedouble;
  e->ts = (uint64_t)ts->valuedouble;
  return 0;
}

/* Adds the compact form's "values" to r's fields (read from "fields"),
 * each one entry at at's dot and time, and sorts them all by name. */
static int values_from_json(struct record *r, const cJSON *values,
                            const struct entry *at, struct sb_err *err)
{
  const cJSON *c;
  size_t i;

  for (c = values->child; c != NULL; c = c->next) {
    struct field *f = &r->f[r->nf];
    if (!record_name_valid(c->string))
      return sb_err_set(err, SB_EINVAL, "bad field name \"%.80s\"", c->string);
    f->name = strdup(c->string);
    f->e = calloc(1, sizeof(*f->e));
    f->n = f->e != NULL ? 1 : 0;
    r->nf++;
    if (f->name == NULL || f->e == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
    f->e[0].dot = at->dot;
    f->e[0].ts = at->ts;
    f->e[0].value = value_text(c);
    if (f->e[0].value == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
  }
  qsort(r->f, r->nf, sizeof(*r->f), record_field_cmp);
  for (i = 1; i < r->nf; i++) {
    if (strcmp(r->f[i - 1].name, r->f[i].name) == 0)
      return sb_err_set(err, SB_EINVAL, AT_BOTH_FMT, r->f[i].name);
  }
  if (!vv_covers(&r->vv, &at->dot))
    return sb_err_set(err, SB_EINVAL,
                      "field \"%s\": dot [\"%s\",%llu] is not covered by the "
                      "version vector",
                      values->child->string, at->dot.replica,
                      (unsigned long long)at->dot.counter);
  return 0;
}

/* Reads one entry {"dot":[r,c],"ts":t[,"value":v]} into e. */
static int entry_from_json(struct entry *e, const cJSON *j, bool tombstone,
                           const char *where, struct sb_err *err)
{
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(j, "ts");
  const cJSON *value = cJSON_GetObjectItemCaseSensitive(j, "value");
  int rc;

  e->value = NULL;
  if (!cJSON_IsObject(j))
    return sb_err_set(err, SB_EINVAL, "%s: entry must be an object", where);
  rc = record_dot_from_json(&e->dot, cJSON_GetObjectItemCaseSensitive(j, "dot"),
                            where, err);
  if (rc != 0)
    return rc;
  if (!json_is_int(ts, 0, (int64_t)SB_COUNTER_MAX))
    return sb_err_set(err, SB_EINVAL,
                      "%s: \"ts\" must be an integer from 0 to 2^53", where);
  e->ts = (uint64_t)ts->valuedouble;
  if (tombstone) {
    if (value != NULL)
      return sb_err_set(err, SB_EINVAL, "%s: a tombstone has no value", where);
    return 0;
  }
  if (value == NULL)
    return sb_err_set(err, SB_EINVAL, "%s: entry has no \"value\"", where);
  e->value = value_text(value);
  if (e->value == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

/* Reads a sorted, duplicate-free array of entries all covered by vv. */
static int entries_from_json(struct entry **out, size_t *nout, const cJSON *arr,
                             bool tombstone, const struct vv *vv,
                             const char *where, struct sb_err *err)
{
  struct entry *e;
  const cJSON *c;
  size_t n = 0, cap;
  int rc;

  *out = NULL;
  *nout = 0;
  if (!cJSON_IsArray(arr))
    return sb_err_set(err, SB_EINVAL, "%s must be an array", where);
  cap = (size_t)cJSON_GetArraySize(arr);
  if (cap == 0)
    return tombstone ? 0
                     : sb_err_set(err, SB_EINVAL, "%s has no entries", where);
  e = calloc(cap, sizeof(*e));
  if (e == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (c = arr->child; c != NULL; c = c->next) {
    rc = entry_from_json(&e[n], c, tombstone, where, err);
    if (rc != 0) {
      free(e[n].value);
      goto fail;
    }
    n++;
    if (n > 1 && vv_dot_cmp(&e[n - 2].dot, &e[n - 1].dot) >= 0) {
      rc = sb_err_set(err, SB_EINVAL,
                      "%s: entries must be sorted by dot, without duplicates",
                      where);
      goto fail;
    }
    if (!vv_covers(vv, &e[n - 1].dot)) {
      rc = sb_err_set(err, SB_EINVAL,
                      "%s: dot [\"%s\",%llu] is not covered by the version "
                      "vector",
                      where, e[n - 1].dot.replica,
                      (unsigned long long)e[n - 1].dot.counter);
      goto fail;
    }
  }
  *out = e;
  *nout = n;
  return 0;
fail:
  record_entries_free(e, n);
  return rc;
}

int record_from_json(struct record *r, const cJSON *json, struct sb_err *err)
{
  const cJSON *coll = cJSON_GetObjectItemCaseSensitive(json, "collection");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
  const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(json, "deleted");
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(json, "fields");
  const cJSON *tombs = cJSON_GetObjectItemCaseSensitive(json, "tombstones");
  const cJSON *vv = cJSON_GetObjectItemCaseSensitive(json, "vv");
  const cJSON *wd = cJSON_GetObjectItemCaseSensitive(json, "withdrawals");
  const cJSON *at = cJSON_GetObjectItemCaseSensitive(json, "at");
  const cJSON *values = cJSON_GetObjectItemCaseSensitive(json, "values");
  const cJSON *c;
  struct entry at_e = {0};
  char where[SB_NAME_MAX + 32];
  int nf;
  int rc;

  record_release(r);
  if (!cJSON_IsObject(json))
    return sb_err_set(err, SB_EINVAL, "record state must be a JSON object");
  if (!cJSON_IsString(coll) || !record_name_valid(coll->valuestring))
    return sb_err_set(err, SB_EINVAL, "record state: bad \"collection\"");
  if (!cJSON_IsString(id) || !record_id_valid(id->valuestring))
    return sb_err_set(err, SB_EINVAL, "record state: bad \"id\"");
  record_init(r, coll->valuestring, id->valuestring);
  if (!cJSON_IsBool(deleted))
    return sb_err_set(err, SB_EINVAL,
                      "record %s/%s: \"deleted\" must be true or false",
                      r->collection, r->id);
  if (!cJSON_IsObject(fields))
    return sb_err_set(err, SB_EINVAL,
                      "record %s/%s: \"fields\" must be an object",
                      r->collection, r->id);
  rc = vv_from_json(&r->vv, vv, err);
  if (rc != 0) {
    sb_err_prefix(err, "record %s/%s", r->collection, r->id);
    return rc;
  }
  rc = entries_from_json(&r->tomb, &r->ntomb, tombs, true, &r->vv,
                         "\"tombstones\"", err);
  if (rc != 0)
    goto fail;
  if ((at != NULL) != (values != NULL)) {
    rc = sb_err_set(err, SB_EINVAL, AT_VALUES_TOGETHER);
    goto fail;
  }
  if (at != NULL) {
    rc = at_from_json(&at_e, at, err);
    if (rc == 0 && !cJSON_IsObject(values))
      rc = sb_err_set(err, SB_EINVAL, "\"values\" must be an object");
    if (rc == 0 && cJSON_GetArraySize(values) == 0)
      rc = sb_err_set(err, SB_EINVAL, VALUES_EMPTY);
    if (rc != 0)
      goto fail;
  }
  nf = cJSON_GetArraySize(fields) + (values ? cJSON_GetArraySize(values) : 0);
  if (nf > 0) {
    r->f = calloc((size_t)nf, sizeof(*r->f));
    if (r->f == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, NULL);
      goto fail;
    }
  }
  for (c = fields->child; c != NULL; c = c->next) {
    struct field *f = &r->f[r->nf];
    if (!record_name_valid(c->string)) {
      rc = sb_err_set(err, SB_EINVAL, "bad field name \"%.80s\"", c->string);
      goto fail;
    }
    /* json_parse sorted the keys and refused duplicates. */
    if (r->nf > 0 && strcmp(r->f[r->nf - 1].name, c->string) >= 0) {
      rc = sb_err_set(err, SB_EINVAL, "fields must be sorted by name");
      goto fail;
    }
    f->name = strdup(c->string);
    if (f->name == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, NULL);
      goto fail;
    }
    r->nf++;
    snprintf(where, sizeof(where), "field \"%s\"", c->string);
    rc = entries_from_json(&f->e, &f->n, c, false, &r->vv, where, err);
    if (rc != 0)
      goto fail;
  }
  if (values != NULL) {
    rc = values_from_json(r, values, &at_e, err);
    if (rc != 0)
      goto fail;
  }
  if (cJSON_IsTrue(deleted) != record_deleted(r)) {
    rc = sb_err_set(err, SB_EINVAL,
                    "\"deleted\" does not match the fields and tombstones");
    goto fail;
  }
  if (wd != NULL) {
    rc = record_withdrawals_from_json(r, wd, err);
    if (rc != 0)
      goto fail;
  }
  return 0;
fail:
  sb_err_prefix(err, "record %s/%s", r->collection, r->id);
  record_release(r);
  return rc;
}

int record_decode(struct record *r, const char *text, size_t len,
                  struct sb_err *err)
{
  return record_sax_decode(r, text, len, err);
}

int record_decode_tree(struct record *r, const char *text, size_t len,
                       struct sb_err *err)
{
  cJSON *j = json_parse(text, len, "record state", err);
  int rc;
  if (j == NULL) {
    record_release(r);
    return err ? err->code : SB_EJSON;
  }
  rc = record_from_json(r, j, err);
  cJSON_Delete(j);
  return rc;
}
