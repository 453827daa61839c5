/*
 * record_sax.c - a record state from SAX events (see record_sax.h). A
 * stack of contexts (the state, its fields, an entry list, an entry, a
 * dot, the vv, the withdrawals and their seen) follows the events;
 * members may come in any order, so the checks that need the whole state
 * (dots covered by the vv, fields sorted and unique, "deleted",
 * withdrawals) run at its end. Entry values and unknown members
 * go through jcanon: the first becomes the value's canonical text, the
 * second is only checked (duplicate keys) and dropped.
 */
#include "compat.h"

#include "record_sax.h"
#include "record_int.h"

#include "jcanon.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ctx {
  C_TOP,
  C_REC,
  C_FIELDS,
  C_ENTRIES,
  C_ENTRY,
  C_DOT,
  C_VV,
  C_WDS,    /* the withdrawals array */
  C_WD,     /* one withdrawal */
  C_SEEN,   /* its seen */
  C_AT,     /* the compact form's "at": [replica, counter, ts] */
  C_VALUES, /* its "values": field -> value */
};
enum key {
  K_NONE,
  K_COLL,
  K_ID,
  K_DEL,
  K_FIELDS,
  K_TOMBS,
  K_VV,
  K_DOT,
  K_TS,
  K_VALUE,
  K_OTHER,
  K_FIELD,
  K_REPLICA,
  K_WDS,
  K_SEEN,
  K_AT,
  K_VALUES
};

#define KEY_IS(e, lit)                                                         \
  ((e)->n == sizeof(lit) - 1 && memcmp((e)->s, lit, sizeof(lit) - 1) == 0)

struct record_sax {
  struct record *r;
  struct jcanon *jc;
  int depth;   /* open containers inside the state */
  int jc_kind; /* 0: none; 1: an entry's value; 2: a skipped member */
  enum ctx st[8];
  int sp;
  enum key key; /* the key whose value comes next */
  int rc;
  struct sb_err err;
  /* the state's members */
  struct buf rec_keys; /* the state's unknown keys */
  unsigned rec_seen;   /* its known keys (1 << enum key) */
  bool has_coll, has_id, has_del, has_fields, has_tombs, has_vv, deleted;
  bool has_at, has_values;
  struct entry at; /* "at"'s dot and time (no value) */
  int at_n;        /* its elements read */
  size_t values_n; /* fields read from "values" (dot not set yet) */
  char coll[SB_NAME_MAX + 1];
  char id[SB_ID_MAX + 1];
  bool coll_ok, id_ok; /* for the message prefix "record C/I" */
  enum key top_key;    /* the last key of the state object */
  /* the entry list being read */
  bool tomb_mode;
  struct entry *e;
  size_t ne, ecap;
  size_t fcap; /* room in r->f */
  /* the entry being read */
  struct buf ent_keys; /* the entry's unknown keys */
  unsigned ent_seen;   /* its known keys (1 << enum key) */
  struct entry cur;
  bool has_dot, has_ts;
  int dot_n;
  char replica[SB_REPLICA_MAX + 1];
  /* the withdrawal being read */
  size_t wdcap;     /* room in r->wd */
  unsigned wd_seen; /* its known keys (1 << enum key) */
};

/* Copies s[0..n) into out[size] if it fits; false if not. */
static bool copy_text(char *out, size_t size, const char *s, size_t n)
{
  if (n >= size)
    return false;
  memcpy(out, s, n);
  out[n] = '\0';
  return true;
}

struct record_sax *record_sax_new(void)
{
  struct record_sax *d = calloc(1, sizeof(*d));
  if (d == NULL)
    return NULL;
  d->jc = jcanon_new();
  if (d->jc == NULL) {
    free(d);
    return NULL;
  }
  buf_init(&d->rec_keys);
  buf_init(&d->ent_keys);
  return d;
}

static void entries_drop(struct record_sax *d)
{
  record_entries_free(d->e, d->ne);
  d->e = NULL;
  d->ne = d->ecap = 0;
  free(d->cur.value);
  d->cur.value = NULL;
}

void record_sax_free(struct record_sax *d)
{
  if (d == NULL)
    return;
  entries_drop(d);
  jcanon_free(d->jc);
  buf_release(&d->rec_keys);
  buf_release(&d->ent_keys);
  free(d);
}

void record_sax_begin(struct record_sax *d, struct record *r)
{
  entries_drop(d);
  record_release(r);
  record_init(r, "", "");
  d->r = r;
  d->depth = 0;
  d->jc_kind = 0;
  d->fcap = 0;
  d->wdcap = 0;
  d->sp = 0;
  d->st[0] = C_TOP;
  d->key = K_NONE;
  d->rc = 0;
  d->err.code = 0;
  d->err.msg[0] = '\0';
  buf_reset(&d->rec_keys);
  d->rec_seen = 0;
  d->has_coll = d->has_id = d->has_del = false;
  d->has_fields = d->has_tombs = d->has_vv = false;
  d->has_at = d->has_values = false;
  d->at_n = 0;
  d->values_n = 0;
  d->coll_ok = d->id_ok = false;
  d->top_key = K_NONE;
}

/* Keeps the state's collection and id for messages, refused or not. */
static void track_key(struct record_sax *d, const struct json_event *e)
{
  if (e->ev == JSON_EV_KEY && d->depth == 1) {
    d->top_key = KEY_IS(e, "collection") ? K_COLL
                 : KEY_IS(e, "id")       ? K_ID
                                         : K_OTHER;
    return;
  }
  if (d->depth == 1 && e->ev == JSON_EV_STRING && d->top_key == K_COLL)
    d->coll_ok = copy_text(d->coll, sizeof(d->coll), e->s, e->n) &&
                 record_name_valid(d->coll);
  if (d->depth == 1 && e->ev == JSON_EV_STRING && d->top_key == K_ID)
    d->id_ok =
        copy_text(d->id, sizeof(d->id), e->s, e->n) && record_id_valid(d->id);
}

/* Notes a refusal (the first one counts); returns 0. */
SB_COLD static int fail(struct record_sax *d, int rc, const char *msg)
{
  if (d->rc == 0) {
    d->rc = rc;
    sb_err_set(&d->err, rc, "%s", msg != NULL ? msg : "out of memory");
  }
  return 0;
}

/* As fail, the message after where the entry list is ("field \"x\"" or
 * "\"tombstones\""), joined by sep (": " or " "). */
SB_COLD static int fail_at(struct record_sax *d, int rc, const char *sep,
                           const char *msg)
{
  char text[SB_ERR_MSG_MAX];
  if (d->tomb_mode)
    snprintf(text, sizeof(text), "\"tombstones\"%s%s", sep, msg);
  else
    snprintf(text, sizeof(text), "field \"%s\"%s%s",
             d->r->nf > 0 ? d->r->f[d->r->nf - 1].name : "", sep, msg);
  return fail(d, rc, text);
}

void record_sax_refuse(struct record_sax *d, int rc, const char *msg)
{
  (void)fail(d, rc, msg);
}

static void push(struct record_sax *d, enum ctx c)
{
  d->st[++d->sp] = c;
}

/* Starts jcanon on the value beginning with e (kind 1 keeps its text). */
static void canon_start(struct record_sax *d, int kind,
                        const struct json_event *e)
{
  int rc;
  if (kind == 1 && e->ev == JSON_EV_STRING) { /* most values: no jcanon */
    d->cur.value = jcanon_string_dup(e->s, e->n);
    if (d->cur.value == NULL)
      fail(d, SB_ENOMEM, NULL);
    return;
  }
  jcanon_begin(d->jc);
  d->jc_kind = kind;
  rc = jcanon_feed(d->jc, e);
  if (rc < 0)
    fail(d, rc, rc == SB_EJSON ? "has an object with a duplicate key" : NULL);
  else if (rc == 1)
    d->jc_kind = 0;
  if (rc == 1 && kind == 1) {
    d->cur.value = strdup(jcanon_text(d->jc, NULL));
    if (d->cur.value == NULL)
      fail(d, SB_ENOMEM, NULL);
  }
}

static void canon_feed(struct record_sax *d, const struct json_event *e)
{
  int rc = jcanon_feed(d->jc, e);
  if (rc < 0) {
    fail(d, rc, rc == SB_EJSON ? "has an object with a duplicate key" : NULL);
    return;
  }
  if (rc == 1) {
    if (d->jc_kind == 1) {
      d->cur.value = strdup(jcanon_text(d->jc, NULL));
      if (d->cur.value == NULL)
        fail(d, SB_ENOMEM, NULL);
    }
    d->jc_kind = 0;
  }
}

/*
 * Refuses a key the object had already: a known key k by its bit in
 * *seen, any other key (K_OTHER) by its text in b. Known keys never reach
 * b, so the common object costs no search.
 */
static int new_key(struct record_sax *d, struct buf *b, unsigned *seen,
                   enum key k, const struct json_event *e)
{
  int rc;

  if (k != K_OTHER) {
    if (*seen & (1u << k))
      return fail(d, SB_EJSON, "has an object with a duplicate key");
    *seen |= 1u << k;
    return 1;
  }
  rc = jcanon_key_add(b, e->s, e->n);
  if (rc == 0)
    return fail(d, SB_EJSON, "has an object with a duplicate key");
  if (rc < 0)
    return fail(d, rc, NULL);
  return 1;
}

/* An event of the state object itself (keys and their values). */
static int on_rec(struct record_sax *d, const struct json_event *e);
/* Checks at the state's end; 0 or a refusal. */
static int rec_end(struct record_sax *d);

static int on_entries(struct record_sax *d, const struct json_event *e)
{
  if (e->ev == JSON_EV_START_MAP) {
    buf_reset(&d->ent_keys);
    d->ent_seen = 0;
    memset(&d->cur, 0, sizeof(d->cur));
    d->has_dot = d->has_ts = false;
    d->dot_n = 0;
    push(d, C_ENTRY);
    return 1;
  }
  if (e->ev != JSON_EV_END_ARRAY)
    return fail_at(d, SB_EINVAL, ": ", "entry must be an object");
  d->sp--;
  if (d->tomb_mode) {
    d->r->tomb = d->e;
    d->r->ntomb = d->ne;
  } else {
    struct field *f = &d->r->f[d->r->nf - 1];
    if (d->ne == 0)
      return fail_at(d, SB_EINVAL, " ", "has no entries");
    f->e = d->e;
    f->n = d->ne;
  }
  d->e = NULL;
  d->ne = d->ecap = 0;
  return 1;
}

/* The entry just read, checked and added to the list. */
static int entry_end(struct record_sax *d)
{
  struct entry *g;

  d->sp--;
  if (!d->has_dot || d->dot_n != 2)
    return fail_at(d, SB_EINVAL, ": ", "\"dot\" must be [replica, counter]");
  if (!d->has_ts)
    return fail_at(d, SB_EINVAL, ": ",
                   "\"ts\" must be an integer from 0 to 2^53");
  if (d->tomb_mode && d->cur.value != NULL)
    return fail_at(d, SB_EINVAL, ": ", "a tombstone has no value");
  if (!d->tomb_mode && d->cur.value == NULL)
    return fail_at(d, SB_EINVAL, ": ", "entry has no \"value\"");
  if (d->ne > 0 && vv_dot_cmp(&d->e[d->ne - 1].dot, &d->cur.dot) >= 0)
    return fail_at(d, SB_EINVAL, ": ",
                   "entries must be sorted by dot, without duplicates");
  g = array_grow(d->e, &d->ecap, d->ne, sizeof(*g), 2);
  if (g == NULL)
    return fail(d, SB_ENOMEM, NULL);
  d->e = g;
  d->e[d->ne++] = d->cur;
  d->cur.value = NULL;
  return 1;
}

static int on_entry(struct record_sax *d, const struct json_event *e)
{
  uint64_t v;

  if (e->ev == JSON_EV_END_MAP)
    return entry_end(d);
  if (e->ev == JSON_EV_KEY) {
    d->key = KEY_IS(e, "dot")     ? K_DOT
             : KEY_IS(e, "ts")    ? K_TS
             : KEY_IS(e, "value") ? K_VALUE
                                  : K_OTHER;
    return new_key(d, &d->ent_keys, &d->ent_seen, d->key, e);
  }
  switch (d->key) {
  case K_DOT:
    if (e->ev != JSON_EV_START_ARRAY)
      return fail_at(d, SB_EINVAL, ": ", "\"dot\" must be [replica, counter]");
    d->has_dot = true;
    push(d, C_DOT);
    return 1;
  case K_TS:
    if (e->ev != JSON_EV_NUMBER ||
        !jcanon_int(e->s, e->n, 0, (int64_t)SB_COUNTER_MAX, &v))
      return fail_at(d, SB_EINVAL, ": ",
                     "\"ts\" must be an integer from 0 to 2^53");
    d->cur.ts = v;
    d->has_ts = true;
    return 1;
  case K_VALUE:
    if (d->tomb_mode)
      return fail_at(d, SB_EINVAL, ": ", "a tombstone has no value");
    canon_start(d, 1, e);
    return 1;
  default:
    canon_start(d, 2, e);
    return 1;
  }
}

static int on_dot(struct record_sax *d, const struct json_event *e)
{
  uint64_t v;

  if (e->ev == JSON_EV_END_ARRAY) {
    d->sp--;
    if (d->dot_n != 2)
      return fail_at(d, SB_EINVAL, ": ", "\"dot\" must be [replica, counter]");
    return 1;
  }
  if (d->dot_n == 0) {
    if (e->ev != JSON_EV_STRING ||
        !copy_text(d->cur.dot.replica, sizeof(d->cur.dot.replica), e->s,
                   e->n) ||
        !vv_replica_id_valid(d->cur.dot.replica))
      return fail_at(d, SB_EINVAL, ": ", "bad replica id in dot");
  } else if (d->dot_n == 1) {
    if (e->ev != JSON_EV_NUMBER ||
        !jcanon_int(e->s, e->n, 1, (int64_t)SB_COUNTER_MAX, &v))
      return fail_at(d, SB_EINVAL, ": ",
                     "dot counter must be an integer from 1 to 2^53");
    d->cur.dot.counter = v;
  } else {
    return fail_at(d, SB_EINVAL, ": ", "\"dot\" must be [replica, counter]");
  }
  d->dot_n++;
  return 1;
}

/* A version vector's events into vv (the state's, or a withdrawal's seen). */
static int vv_event(struct record_sax *d, struct vv *vv,
                    const struct json_event *e)
{
  uint64_t v;

  if (e->ev == JSON_EV_END_MAP) {
    d->sp--;
    return 1;
  }
  if (e->ev == JSON_EV_KEY) {
    if (!copy_text(d->replica, sizeof(d->replica), e->s, e->n) ||
        !vv_replica_id_valid(d->replica))
      return fail(d, SB_EINVAL, "version vector: bad replica id");
    return 1;
  }
  if (e->ev != JSON_EV_NUMBER ||
      !jcanon_int(e->s, e->n, 1, (int64_t)SB_COUNTER_MAX, &v))
    return fail(d, SB_EINVAL,
                "version vector: a counter must be an integer from 1 to 2^53");
  if (vv_get(vv, d->replica) != 0)
    return fail(d, SB_EINVAL, "has an object with a duplicate key");
  if (vv_set(vv, d->replica, v) != 0)
    return fail(d, SB_ENOMEM, NULL);
  return 1;
}

/* A new field named by key e, its entries to come (or, with one_entry,
 * one entry, whose value and dot come later: "values"). 1, or 0 once
 * refused. */
static int field_add(struct record_sax *d, const struct json_event *e,
                     bool one_entry)
{
  char name[SB_NAME_MAX + 1];
  struct field *f;

  if (!copy_text(name, sizeof(name), e->s, e->n) || !record_name_valid(name))
    return fail(d, SB_EINVAL, "bad field name");
  f = array_grow(d->r->f, &d->fcap, d->r->nf, sizeof(*f), 8);
  if (f == NULL)
    return fail(d, SB_ENOMEM, NULL);
  d->r->f = f;
  f = &d->r->f[d->r->nf];
  f->name = strdup(name);
  f->e = one_entry ? calloc(1, sizeof(*f->e)) : NULL;
  f->n = f->e != NULL ? 1 : 0;
  d->r->nf++;
  if (f->name == NULL || (one_entry && f->e == NULL))
    return fail(d, SB_ENOMEM, NULL);
  return 1;
}

static int on_fields(struct record_sax *d, const struct json_event *e)
{
  if (e->ev == JSON_EV_END_MAP) {
    d->sp--;
    return 1;
  }
  if (e->ev == JSON_EV_KEY)
    return field_add(d, e, false);
  d->tomb_mode = false;
  if (e->ev != JSON_EV_START_ARRAY)
    return fail_at(d, SB_EINVAL, " ", "must be an array");
  push(d, C_ENTRIES);
  return 1;
}

/* The compact form's "at": [replica, counter, ts]. */
static int on_at(struct record_sax *d, const struct json_event *e)
{
  uint64_t v;

  if (e->ev == JSON_EV_END_ARRAY) {
    d->sp--;
    return d->at_n == 3 ? 1 : fail(d, SB_EINVAL, AT_SHAPE);
  }
  if (d->at_n == 0) {
    if (e->ev != JSON_EV_STRING ||
        !copy_text(d->at.dot.replica, sizeof(d->at.dot.replica), e->s, e->n) ||
        !vv_replica_id_valid(d->at.dot.replica))
      return fail(d, SB_EINVAL, AT_SHAPE);
  } else if (d->at_n == 1 || d->at_n == 2) {
    if (e->ev != JSON_EV_NUMBER || !jcanon_int(e->s, e->n, d->at_n == 1 ? 1 : 0,
                                               (int64_t)SB_COUNTER_MAX, &v))
      return fail(d, SB_EINVAL, AT_SHAPE);
    if (d->at_n == 1)
      d->at.dot.counter = v;
    else
      d->at.ts = v;
  } else {
    return fail(d, SB_EINVAL, AT_SHAPE);
  }
  d->at_n++;
  return 1;
}

/* Gives the value just read (d->cur.value) to the last "values" field. */
static void values_take(struct record_sax *d)
{
  if (d->cur.value != NULL && d->values_n > 0) {
    d->r->f[d->r->nf - 1].e[0].value = d->cur.value;
    d->cur.value = NULL;
  }
}

/*
 * The compact form's "values": each becomes a field of one entry, its dot
 * and time those of "at", set at the state's end (members come in any
 * order). Until then the entry's counter is 0, which no dot has: it tells
 * these fields from those of "fields".
 */
static int on_values(struct record_sax *d, const struct json_event *e)
{
  values_take(d);
  if (e->ev == JSON_EV_END_MAP) {
    d->sp--;
    return 1;
  }
  if (e->ev != JSON_EV_KEY) {
    canon_start(d, 1, e);
    return 1;
  }
  if (!field_add(d, e, true))
    return 0;
  d->values_n++;
  return 1;
}

static int on_rec(struct record_sax *d, const struct json_event *e)
{
  if (e->ev == JSON_EV_END_MAP) {
    d->sp--;
    return rec_end(d);
  }
  if (e->ev == JSON_EV_KEY) {
    d->key = KEY_IS(e, "collection")    ? K_COLL
             : KEY_IS(e, "id")          ? K_ID
             : KEY_IS(e, "deleted")     ? K_DEL
             : KEY_IS(e, "fields")      ? K_FIELDS
             : KEY_IS(e, "tombstones")  ? K_TOMBS
             : KEY_IS(e, "vv")          ? K_VV
             : KEY_IS(e, "withdrawals") ? K_WDS
             : KEY_IS(e, "at")          ? K_AT
             : KEY_IS(e, "values")      ? K_VALUES
                                        : K_OTHER;
    return new_key(d, &d->rec_keys, &d->rec_seen, d->key, e);
  }
  switch (d->key) {
  case K_COLL:
    d->has_coll = true;
    if (e->ev != JSON_EV_STRING ||
        !copy_text(d->coll, sizeof(d->coll), e->s, e->n) ||
        !record_name_valid(d->coll))
      return fail(d, SB_EINVAL, "record state: bad \"collection\"");
    return 1;
  case K_ID:
    d->has_id = true;
    if (e->ev != JSON_EV_STRING ||
        !copy_text(d->id, sizeof(d->id), e->s, e->n) || !record_id_valid(d->id))
      return fail(d, SB_EINVAL, "record state: bad \"id\"");
    return 1;
  case K_DEL:
    if (e->ev != JSON_EV_BOOL)
      return fail(d, SB_EINVAL, "\"deleted\" must be true or false");
    d->has_del = true;
    d->deleted = e->b;
    return 1;
  case K_FIELDS:
    if (e->ev != JSON_EV_START_MAP)
      return fail(d, SB_EINVAL, "\"fields\" must be an object");
    d->has_fields = true;
    push(d, C_FIELDS);
    return 1;
  case K_TOMBS:
    if (e->ev != JSON_EV_START_ARRAY)
      return fail(d, SB_EINVAL, "\"tombstones\" must be an array");
    d->has_tombs = true;
    d->tomb_mode = true;
    push(d, C_ENTRIES);
    return 1;
  case K_VV:
    if (e->ev != JSON_EV_START_MAP)
      return fail(d, SB_EINVAL, "version vector must be an object");
    d->has_vv = true;
    push(d, C_VV);
    return 1;
  case K_WDS:
    if (e->ev != JSON_EV_START_ARRAY)
      return fail(d, SB_EINVAL, "\"withdrawals\" must be an array");
    push(d, C_WDS);
    return 1;
  case K_AT:
    if (e->ev != JSON_EV_START_ARRAY)
      return fail(d, SB_EINVAL, AT_SHAPE);
    d->has_at = true;
    push(d, C_AT);
    return 1;
  case K_VALUES:
    if (e->ev != JSON_EV_START_MAP)
      return fail(d, SB_EINVAL, "\"values\" must be an object");
    d->has_values = true;
    free(d->cur.value);
    d->cur.value = NULL;
    push(d, C_VALUES);
    return 1;
  default:
    canon_start(d, 2, e);
    return 1;
  }
}

/* The withdrawals array: objects, each read in C_WD. */
static int on_wds(struct record_sax *d, const struct json_event *e)
{
  struct withdrawal *w;

  if (e->ev == JSON_EV_END_ARRAY) {
    d->sp--;
    return 1;
  }
  if (e->ev != JSON_EV_START_MAP)
    return fail(d, SB_EINVAL, "a withdrawal must be an object");
  w = array_grow(d->r->wd, &d->wdcap, d->r->nwd, sizeof(*w), 2);
  if (w == NULL)
    return fail(d, SB_ENOMEM, NULL);
  d->r->wd = w;
  w = &d->r->wd[d->r->nwd++];
  memset(&w->dot, 0, sizeof(w->dot));
  vv_init(&w->seen);
  d->wd_seen = 0;
  d->dot_n = 0;
  memset(&d->cur, 0, sizeof(d->cur));
  push(d, C_WD);
  return 1;
}

/* One withdrawal: "dot" (read into d->cur.dot by on_dot) and "seen". */
static int on_wd(struct record_sax *d, const struct json_event *e)
{
  struct withdrawal *w = &d->r->wd[d->r->nwd - 1];

  if (e->ev == JSON_EV_END_MAP) {
    d->sp--;
    if (!(d->wd_seen & (1u << K_DOT)) || d->dot_n != 2)
      return fail(d, SB_EINVAL,
                  "withdrawal: \"dot\" must be [replica, counter]");
    if (!(d->wd_seen & (1u << K_SEEN)))
      return fail(d, SB_EINVAL, "withdrawal: no \"seen\"");
    w->dot = d->cur.dot;
    return 1;
  }
  if (e->ev == JSON_EV_KEY) {
    d->key = KEY_IS(e, "dot") ? K_DOT : KEY_IS(e, "seen") ? K_SEEN : K_OTHER;
    if (d->key == K_OTHER)
      return fail(d, SB_EINVAL, "a withdrawal has an unknown member");
    return new_key(d, NULL, &d->wd_seen, d->key, e);
  }
  if (d->key == K_DOT) {
    if (e->ev != JSON_EV_START_ARRAY)
      return fail(d, SB_EINVAL,
                  "withdrawal: \"dot\" must be [replica, counter]");
    push(d, C_DOT);
    return 1;
  }
  if (e->ev != JSON_EV_START_MAP)
    return fail(d, SB_EINVAL, "version vector must be an object");
  push(d, C_SEEN);
  return 1;
}

/* Refuses the first dot of e[0..n) that vv does not cover; 1 if none. */
static int covered(struct record_sax *d, const struct entry *e, size_t n,
                   const char *field)
{
  char text[SB_ERR_MSG_MAX];
  size_t i;
  for (i = 0; i < n; i++) {
    if (vv_covers(&d->r->vv, &e[i].dot))
      continue;
    snprintf(text, sizeof(text),
             "%s%s%s: dot [\"%s\",%llu] is not covered by the version "
             "vector",
             field ? "field \"" : "\"tombstones\"", field ? field : "",
             field ? "\"" : "", e[i].dot.replica,
             (unsigned long long)e[i].dot.counter);
    return fail(d, SB_EINVAL, text);
  }
  return 1;
}

SB_COLD static int fail_both(struct record_sax *d, const char *name)
{
  char text[SB_ERR_MSG_MAX];
  snprintf(text, sizeof(text), AT_BOTH_FMT, name);
  return fail(d, SB_EINVAL, text);
}

static int rec_end(struct record_sax *d)
{
  struct record *r = d->r;
  size_t i;

  if (!d->has_coll)
    return fail(d, SB_EINVAL, "record state: bad \"collection\"");
  if (!d->has_id)
    return fail(d, SB_EINVAL, "record state: bad \"id\"");
  if (!d->has_del)
    return fail(d, SB_EINVAL, "\"deleted\" must be true or false");
  if (!d->has_fields)
    return fail(d, SB_EINVAL, "\"fields\" must be an object");
  if (!d->has_vv)
    return fail(d, SB_EINVAL, "version vector must be an object");
  if (!d->has_tombs)
    return fail(d, SB_EINVAL, "\"tombstones\" must be an array");
  if (d->has_at != d->has_values)
    return fail(d, SB_EINVAL, AT_VALUES_TOGETHER);
  if (d->has_values && d->values_n == 0)
    return fail(d, SB_EINVAL, VALUES_EMPTY);
  for (i = 1; i < r->nf; i++) { /* canonical input is sorted already */
    if (strcmp(r->f[i - 1].name, r->f[i].name) >= 0)
      break;
  }
  if (i < r->nf) {
    qsort(r->f, r->nf, sizeof(*r->f), record_field_cmp);
    for (i = 1; i < r->nf; i++) {
      if (strcmp(r->f[i - 1].name, r->f[i].name) != 0)
        continue;
      /* One in "fields", one in "values" (two in one object are a
       * duplicate key, which the tree refuses as JSON first). */
      if ((r->f[i - 1].e[0].dot.counter == 0) !=
          (r->f[i].e[0].dot.counter == 0))
        return fail_both(d, r->f[i].name);
      return fail(d, SB_EJSON, "has an object with a duplicate key");
    }
  }
  for (i = 0; d->values_n > 0 && i < r->nf; i++) {
    if (r->f[i].e[0].dot.counter == 0) {
      r->f[i].e[0].dot = d->at.dot;
      r->f[i].e[0].ts = d->at.ts;
    }
  }
  if (!covered(d, r->tomb, r->ntomb, NULL))
    return 0;
  for (i = 0; i < r->nf; i++) {
    if (!covered(d, r->f[i].e, r->f[i].n, r->f[i].name))
      return 0;
  }
  if (d->deleted != record_deleted(r))
    return fail(d, SB_EINVAL,
                "\"deleted\" does not match the fields and tombstones");
  for (i = 0; i < r->nwd; i++) {
    struct sb_err why = {0};
    if (record_withdrawal_check(r, i, &why) != 0)
      return fail(d, why.code, why.msg);
  }
  memcpy(r->collection, d->coll, sizeof(r->collection));
  memcpy(r->id, d->id, sizeof(r->id));
  return 1;
}

int record_sax_feed(struct record_sax *d, const struct json_event *e)
{
  if (e->ev == JSON_EV_START_MAP || e->ev == JSON_EV_START_ARRAY)
    d->depth++;
  else if (e->ev == JSON_EV_END_MAP || e->ev == JSON_EV_END_ARRAY)
    d->depth--;
  if (d->depth == 1 || (d->depth == 0 && e->ev == JSON_EV_END_MAP))
    track_key(d, e);
  if (d->rc == 0 && d->jc_kind != 0)
    canon_feed(d, e);
  else if (d->rc == 0) {
    switch (d->st[d->sp]) {
    case C_TOP:
      if (e->ev != JSON_EV_START_MAP)
        fail(d, SB_EINVAL, "record state must be a JSON object");
      else
        push(d, C_REC);
      break;
    case C_REC:
      on_rec(d, e);
      break;
    case C_FIELDS:
      on_fields(d, e);
      break;
    case C_ENTRIES:
      on_entries(d, e);
      break;
    case C_ENTRY:
      on_entry(d, e);
      break;
    case C_DOT:
      on_dot(d, e);
      break;
    case C_VV:
      vv_event(d, &d->r->vv, e);
      break;
    case C_WDS:
      on_wds(d, e);
      break;
    case C_WD:
      on_wd(d, e);
      break;
    case C_SEEN: /* the seen of the withdrawal being read */
      vv_event(d, &d->r->wd[d->r->nwd - 1].seen, e);
      break;
    case C_AT:
      on_at(d, e);
      break;
    case C_VALUES:
      on_values(d, e);
      break;
    }
  }
  return d->depth == 0 && e->ev != JSON_EV_KEY && e->ev != JSON_EV_START_MAP &&
         e->ev != JSON_EV_START_ARRAY;
}

int record_sax_end(struct record_sax *d, struct sb_err *err)
{
  entries_drop(d);
  if (d->rc == 0)
    return 0;
  if (err != NULL) {
    *err = d->err;
    if (d->coll_ok && d->id_ok && d->rc != SB_ENOMEM &&
        strncmp(d->err.msg, "record state", 12) != 0)
      sb_err_prefix(err, "record %s/%s", d->coll, d->id);
  }
  record_release(d->r);
  return d->rc;
}

/* --- one state's text -------------------------------------------------- */

struct one {
  struct record_sax *d;
  bool done;
};

static void one_event(void *ctx, const struct json_event *e)
{
  struct one *o = ctx;
  if (!e->ok)
    record_sax_refuse(o->d, SB_EJSON, "record state is not valid JSON");
  if (record_sax_feed(o->d, e))
    o->done = true;
}

int record_sax_decode(struct record *r, const char *text, size_t len,
                      struct sb_err *err)
{
  struct json_sink sink = {one_event, NULL};
  struct one o = {NULL, false};
  size_t end = 0; /* where the value ended */
  int rc;

  record_release(r);
  if (!utf8_valid(text, len))
    return sb_err_set(err, SB_EUTF8, "record state is not valid UTF-8");
  if (memchr(text, '\0', len) != NULL)
    return sb_err_set(err, SB_EJSON, "record state contains a NUL byte");
  o.d = record_sax_new();
  if (o.d == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  sink.ctx = &o;
  record_sax_begin(o.d, r);
  rc = json_strict_parse(text, len, "record state", NULL, &sink, &end, err);
  if (rc == 0 && o.done && !json_strict_tail_ok(text, end, len))
    rc = sb_err_set(err, SB_EJSON,
                    "record state is not valid JSON (unexpected data at "
                    "byte %zu)",
                    end);
  if (rc == 0 && o.done)
    rc = record_sax_end(o.d, err);
  else if (rc == 0)
    rc = sb_err_set(err, SB_EJSON, "record state is not valid JSON");
  if (rc != 0) {
    o.d->rc = o.d->rc != 0 ? o.d->rc : rc;
    (void)record_sax_end(o.d, NULL);
    record_release(r);
  }
  record_sax_free(o.d);
  if (rc == SB_EINVAL) {
    /* The tree refuses a text's JSON (a duplicate key, a bad escape)
     * before any of its content, wherever it is: a refused state (rare,
     * a damaged row) is read again that way for the same code and
     * message. Should the tree take it, the refusal stands. */
    struct sb_err why = {0};
    int again = record_decode_tree(r, text, len, &why);
    if (again != 0) {
      rc = again;
      if (err != NULL)
        *err = why;
    }
    record_release(r);
  }
  return rc;
}
