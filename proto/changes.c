/*
 * changes.c - GET /v1/changes: its query (since, limit, wait) and its reply,
 * one page of the hub's change feed.
 *
 * Page: {"changes":[{"record":state,"seq":N}, ...],"more":bool,"next":N,
 * "scope":TEXT}, seqs strictly increasing, at most PROTO_MAX_PAGE changes;
 * an entry {"gone":{"collection":C,"id":I},"seq":N} tells a device that a
 * record left its scope ("scope", optional: the device's scope). The hub keeps
 * each record's canonical state text, so the encoder splices those texts
 * in without parsing them again (the pull fast path).
 */
#include "compat.h"

#include "proto.h"

#include "buf.h"
#include "gzip.h"
#include "jcanon.h"
#include "json_strict.h"
#include "record_sax.h"
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- page -------------------------------------------------------------- */

void changes_page_init(struct changes_page *p)
{
  p->c = NULL;
  p->n = 0;
  p->more = false;
  p->next = 0;
  p->scope = NULL;
  p->horizon = 0;
  p->last = 0;
}

void changes_page_release(struct changes_page *p)
{
  size_t i;
  for (i = 0; i < p->n; i++)
    record_release(&p->c[i].rec);
  free(p->c);
  free(p->scope);
  changes_page_init(p);
}

/* Reads a gone entry's {"collection":C,"id":I} into c. */
static int gone_decode(struct change *c, const cJSON *g, struct sb_err *err)
{
  const cJSON *coll = cJSON_GetObjectItemCaseSensitive(g, "collection");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(g, "id");

  if (!cJSON_IsObject(g) || cJSON_GetArraySize(g) != 2 ||
      !cJSON_IsString(coll) || !cJSON_IsString(id) ||
      !record_name_valid(coll->valuestring) ||
      !record_id_valid(id->valuestring))
    return sb_err_set(err, SB_EPROTOCOL,
                      "\"gone\" must be {\"collection\":NAME,\"id\":ID}");
  record_init(&c->rec, coll->valuestring, id->valuestring);
  c->gone = true;
  return 0;
}

/* Reads {"record":state,"seq":N} (or a gone entry) into c; seq must
 * exceed prev. */
static int change_decode(struct change *c, const cJSON *j, uint64_t prev,
                         struct sb_err *err)
{
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
  const cJSON *gone = cJSON_GetObjectItemCaseSensitive(j, "gone");

  if (!cJSON_IsObject(j))
    return sb_err_set(err, SB_EPROTOCOL, "must be an object");
  if (!wire_u64(seq, &c->seq) || c->seq == 0)
    return sb_err_set(err, SB_EPROTOCOL,
                      "\"seq\" must be an integer from 1 to 2^53");
  if (c->seq <= prev)
    return sb_err_set(err, SB_EPROTOCOL,
                      "\"seq\" %llu does not follow %llu (seqs must increase)",
                      (unsigned long long)c->seq, (unsigned long long)prev);
  if (gone != NULL) {
    if (cJSON_GetArraySize(j) != 2)
      return sb_err_set(err, SB_EPROTOCOL,
                        "a gone entry has only \"gone\" and \"seq\"");
    return gone_decode(c, gone, err);
  }
  return wire_record(&c->rec, cJSON_GetObjectItemCaseSensitive(j, "record"),
                     err);
}

/* An optional number member of a page, name, into *out (absent: 0). */
static int page_u64_decode(const cJSON *page, const char *name, uint64_t *out,
                           struct sb_err *err)
{
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(page, name);

  if (h == NULL)
    return 0;
  if (!wire_u64(h, out))
    return sb_err_set(err, SB_EPROTOCOL,
                      "changes page: \"%s\" must be an integer from 0 "
                      "to 2^53",
                      name);
  return 0;
}

/* The optional "scope" of a page into p->scope. */
static int scope_decode(struct changes_page *p, const cJSON *scope,
                        struct sb_err *err)
{
  size_t len;

  if (scope == NULL)
    return 0;
  if (!cJSON_IsString(scope) || (len = strlen(scope->valuestring)) == 0 ||
      len > PROTO_SCOPE_MAX || strspn(scope->valuestring, ",") > 0)
    return sb_err_set(err, SB_EPROTOCOL,
                      "changes page: \"scope\" must be a non-empty string "
                      "of at most %d bytes",
                      PROTO_SCOPE_MAX);
  p->scope = strdup(scope->valuestring);
  return p->scope == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
}

int changes_page_decode_tree(struct changes_page *p, const char *body,
                             size_t len, struct sb_err *err)
{
  const cJSON *changes, *more, *next, *c;
  uint64_t prev = 0;
  size_t n, i;
  cJSON *j;
  int rc;

  changes_page_release(p);
  rc = wire_parse(&j, body, len, "changes page", err);
  if (rc != 0)
    return rc;
  changes = cJSON_GetObjectItemCaseSensitive(j, "changes");
  more = cJSON_GetObjectItemCaseSensitive(j, "more");
  next = cJSON_GetObjectItemCaseSensitive(j, "next");
  if (!cJSON_IsBool(more)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "changes page: \"more\" must be true or false");
    goto out;
  }
  if (!wire_u64(next, &p->next)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "changes page: \"next\" must be an integer from 0 to "
                    "2^53");
    goto out;
  }
  p->more = cJSON_IsTrue(more);
  rc = scope_decode(p, cJSON_GetObjectItemCaseSensitive(j, "scope"), err);
  if (rc == 0)
    rc = page_u64_decode(j, "horizon", &p->horizon, err);
  if (rc == 0)
    rc = page_u64_decode(j, "last", &p->last, err);
  if (rc != 0)
    goto out;
  if (!cJSON_IsArray(changes)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "changes page: \"changes\" must be an array");
    goto out;
  }
  n = (size_t)cJSON_GetArraySize(changes);
  if (n > PROTO_MAX_PAGE) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "changes page: too many changes (%zu, at most %d)", n,
                    PROTO_MAX_PAGE);
    goto out;
  }
  if (n > 0) {
    p->c = calloc(n, sizeof(*p->c));
    if (p->c == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, NULL);
      goto out;
    }
  }
  for (i = 0, c = changes->child; c != NULL; c = c->next, i++) {
    record_init(&p->c[i].rec, "", "");
    rc = change_decode(&p->c[i], c, prev, err);
    if (rc != 0) {
      sb_err_prefix(err, "changes page: changes[%zu]", i);
      goto out;
    }
    prev = p->c[i].seq;
    p->n = i + 1;
  }
  rc = 0;
out:
  if (rc != 0)
    changes_page_release(p);
  cJSON_Delete(j);
  return rc;
}

/* --- page, without a tree --------------------------------------------- */

enum root_key {
  R_CHANGES,
  R_MORE,
  R_NEXT,
  R_SCOPE,
  R_HORIZON,
  R_LAST,
  R_OTHER
};
enum change_key { K_SEQ, K_GONE, K_RECORD, K_OTHER };

/* The decoder's state over the events of one page. */
struct page_sax {
  struct changes_page *p;
  size_t cap;
  struct record_sax *rs;
  struct jcanon *jc;
  struct sb_err err; /* the first refusal; the rest is ignored */
  struct buf root_keys, change_keys, gone_keys;
  bool root_open, in_jc, in_changes, in_change, in_gone, in_rec;
  bool has_changes, has_more, has_next;
  enum root_key rkey;
  /* the change being read: p->c[p->n] */
  bool cur_started, has_seq, has_gone, has_record, rec_ok, gone_coll, gone_id;
  enum change_key ckey;
  int gkey; /* 0: collection, 1: id */
  size_t members, gone_members;
  uint64_t prev;
  char coll[SB_NAME_MAX + 1];
  char id[SB_ID_MAX + 1];
};

static void page_fail(struct page_sax *x, int rc, const char *msg)
{
  if (x->err.code == 0)
    sb_err_set(&x->err, rc == SB_ENOMEM ? SB_ENOMEM : SB_EPROTOCOL,
               "changes page: %s", msg != NULL ? msg : "out of memory");
}

/* page_fail for changes[p->n]. */
static void change_fail(struct page_sax *x, int rc, const char *msg)
{
  char text[SB_ERR_MSG_MAX + 32];
  snprintf(text, sizeof(text), "changes[%zu]: %s", x->p->n,
           msg != NULL ? msg : "out of memory");
  page_fail(x, rc, text);
}

/* Adds key e to the set b; false (refused) on a duplicate. */
static bool page_key(struct page_sax *x, struct buf *b,
                     const struct json_event *e)
{
  int rc = jcanon_key_add(b, e->s, e->n);
  if (rc <= 0)
    page_fail(x, rc, "an object has a duplicate key");
  return rc > 0;
}

#define EV_KEY_IS(e, lit)                                                      \
  ((e)->n == sizeof(lit) - 1 && memcmp((e)->s, lit, sizeof(lit) - 1) == 0)

/* Skips (checks) the value beginning with e. */
static void page_skip(struct page_sax *x, const struct json_event *e)
{
  int rc;
  jcanon_begin(x->jc);
  rc = jcanon_feed(x->jc, e);
  if (rc < 0)
    page_fail(x, rc, "an object has a duplicate key");
  x->in_jc = rc == 0;
}

/* A page's member `name` that is an integer 0..2^53, into *out; false
 * (the page failed) if it is not. */
static bool page_u64(struct page_sax *x, const struct json_event *e,
                     const char *name, uint64_t *out)
{
  char msg[64];

  if (e->ev == JSON_EV_NUMBER &&
      jcanon_int(e->s, e->n, 0, (int64_t)SB_COUNTER_MAX, out))
    return true;
  snprintf(msg, sizeof(msg), "\"%s\" must be an integer from 0 to 2^53", name);
  page_fail(x, SB_EPROTOCOL, msg);
  return false;
}

static void page_root(struct page_sax *x, const struct json_event *e)
{
  if (!x->root_open) {
    if (e->ev != JSON_EV_START_MAP)
      page_fail(x, SB_EPROTOCOL, "must be a JSON object");
    x->root_open = true;
    return;
  }
  if (e->ev == JSON_EV_KEY) {
    if (page_key(x, &x->root_keys, e))
      x->rkey = EV_KEY_IS(e, "changes")   ? R_CHANGES
                : EV_KEY_IS(e, "more")    ? R_MORE
                : EV_KEY_IS(e, "next")    ? R_NEXT
                : EV_KEY_IS(e, "scope")   ? R_SCOPE
                : EV_KEY_IS(e, "horizon") ? R_HORIZON
                : EV_KEY_IS(e, "last")    ? R_LAST
                                          : R_OTHER;
    return;
  }
  if (e->ev == JSON_EV_END_MAP) {
    if (!x->has_changes || !x->has_more || !x->has_next)
      page_fail(x, SB_EPROTOCOL,
                "\"changes\", \"more\" and \"next\" are required");
    return;
  }
  switch (x->rkey) {
  case R_CHANGES:
    if (e->ev != JSON_EV_START_ARRAY) {
      page_fail(x, SB_EPROTOCOL, "\"changes\" must be an array");
      return;
    }
    x->has_changes = x->in_changes = true;
    return;
  case R_MORE:
    if (e->ev != JSON_EV_BOOL) {
      page_fail(x, SB_EPROTOCOL, "\"more\" must be true or false");
      return;
    }
    x->has_more = true;
    x->p->more = e->b;
    return;
  case R_NEXT:
    x->has_next = page_u64(x, e, "next", &x->p->next);
    return;
  case R_HORIZON: /* the purge horizon (absent: 0) */
    page_u64(x, e, "horizon", &x->p->horizon);
    return;
  case R_LAST: /* the feed's newest number (absent: 0) */
    page_u64(x, e, "last", &x->p->last);
    return;
  case R_SCOPE:
    if (e->ev != JSON_EV_STRING || e->n == 0 || e->n > PROTO_SCOPE_MAX ||
        e->s[0] == ',') {
      page_fail(x, SB_EPROTOCOL,
                "\"scope\" must be a non-empty string of at most "
                "1024 bytes");
      return;
    }
    free(x->p->scope);
    x->p->scope = strndup(e->s, e->n);
    if (x->p->scope == NULL)
      page_fail(x, SB_ENOMEM, NULL);
    return;
  default:
    page_skip(x, e);
  }
}

/* The start of changes[p->n]. */
static void change_start(struct page_sax *x, const struct json_event *e)
{
  struct changes_page *p = x->p;
  if (e->ev != JSON_EV_START_MAP) {
    page_fail(x, SB_EPROTOCOL, "a change must be an object");
    return;
  }
  if (p->n == PROTO_MAX_PAGE) {
    page_fail(x, SB_EPROTOCOL, "too many changes (at most 5000)");
    return;
  }
  {
    struct change *g = array_grow(p->c, &x->cap, p->n, sizeof(*g), 64);
    if (g == NULL) {
      page_fail(x, SB_ENOMEM, NULL);
      return;
    }
    p->c = g;
  }
  memset(&p->c[p->n], 0, sizeof(p->c[0]));
  record_init(&p->c[p->n].rec, "", "");
  x->cur_started = x->in_change = true;
  x->has_seq = x->has_gone = x->has_record = x->rec_ok = false;
  x->members = 0;
  buf_reset(&x->change_keys);
}

static void change_end(struct page_sax *x)
{
  struct change *c = &x->p->c[x->p->n];
  char text[128];
  x->in_change = false;
  if (!x->has_seq) {
    change_fail(x, SB_EPROTOCOL, "\"seq\" must be an integer from 1 to 2^53");
    return;
  }
  if (c->seq <= x->prev) {
    snprintf(text, sizeof(text),
             "\"seq\" %llu does not follow %llu (seqs must increase)",
             (unsigned long long)c->seq, (unsigned long long)x->prev);
    change_fail(x, SB_EPROTOCOL, text);
    return;
  }
  if (x->has_gone) {
    if (x->members != 2 || x->gone_members != 2 || !x->gone_coll ||
        !x->gone_id) {
      change_fail(x, SB_EPROTOCOL,
                  "a gone entry is {\"gone\":{\"collection\":NAME,"
                  "\"id\":ID},\"seq\":N}");
      return;
    }
    record_init(&c->rec, x->coll, x->id);
    c->gone = true;
  } else if (!x->has_record || !x->rec_ok) {
    {
      change_fail(x, SB_EPROTOCOL, "record state must be a JSON object");
      return;
    }
  }
  x->prev = c->seq;
  x->cur_started = false;
  x->p->n++;
}

/* The record of the current change ended. */
static void change_rec_done(struct page_sax *x)
{
  struct sb_err err = {0};
  struct record *r = &x->p->c[x->p->n].rec;
  x->in_rec = false;
  if (record_sax_end(x->rs, &err) != 0) {
    change_fail(x, err.code, err.msg);
    return;
  }
  if (record_empty(r)) {
    char text[SB_ERR_MSG_MAX];
    snprintf(text, sizeof(text), "record %s/%s has no history (empty \"vv\")",
             r->collection, r->id);
    change_fail(x, SB_EPROTOCOL, text);
    return;
  }
  x->rec_ok = true;
}

static void change_event(struct page_sax *x, const struct json_event *e)
{
  struct change *c = &x->p->c[x->p->n];
  if (e->ev == JSON_EV_END_MAP) {
    change_end(x);
    return;
  }
  if (e->ev == JSON_EV_KEY) {
    if (page_key(x, &x->change_keys, e)) {
      x->members++;
      x->ckey = EV_KEY_IS(e, "seq")      ? K_SEQ
                : EV_KEY_IS(e, "gone")   ? K_GONE
                : EV_KEY_IS(e, "record") ? K_RECORD
                                         : K_OTHER;
    }
    return;
  }
  switch (x->ckey) {
  case K_SEQ:
    if (e->ev != JSON_EV_NUMBER ||
        !jcanon_int(e->s, e->n, 1, (int64_t)SB_COUNTER_MAX, &c->seq)) {
      change_fail(x, SB_EPROTOCOL, "\"seq\" must be an integer from 1 to 2^53");
      return;
    }
    x->has_seq = true;
    return;
  case K_GONE:
    if (e->ev != JSON_EV_START_MAP) {
      change_fail(x, SB_EPROTOCOL, "\"gone\" must be an object");
      return;
    }
    x->has_gone = x->in_gone = true;
    x->gone_members = 0;
    x->gone_coll = x->gone_id = false;
    buf_reset(&x->gone_keys);
    return;
  case K_RECORD:
    x->has_record = true;
    record_sax_begin(x->rs, &c->rec);
    x->in_rec = true;
    if (record_sax_feed(x->rs, e))
      change_rec_done(x);
    return;
  default:
    page_skip(x, e);
  }
}

static void gone_event(struct page_sax *x, const struct json_event *e)
{
  if (e->ev == JSON_EV_END_MAP) {
    x->in_gone = false;
    return;
  }
  if (e->ev == JSON_EV_KEY) {
    if (!page_key(x, &x->gone_keys, e))
      return;
    x->gone_members++;
    if (EV_KEY_IS(e, "collection"))
      x->gkey = 0;
    else if (EV_KEY_IS(e, "id"))
      x->gkey = 1;
    else
      change_fail(x, SB_EPROTOCOL, "\"gone\" has only collection and id");
    return;
  }
  if (e->ev == JSON_EV_STRING && x->gkey == 0 && e->n < sizeof(x->coll)) {
    memcpy(x->coll, e->s, e->n);
    x->coll[e->n] = '\0';
    x->gone_coll = record_name_valid(x->coll);
  } else if (e->ev == JSON_EV_STRING && x->gkey == 1 && e->n < sizeof(x->id)) {
    memcpy(x->id, e->s, e->n);
    x->id[e->n] = '\0';
    x->gone_id = record_id_valid(x->id);
  }
  if (e->ev != JSON_EV_STRING || !(x->gkey == 0 ? x->gone_coll : x->gone_id))
    change_fail(x, SB_EPROTOCOL, "bad \"gone\" collection or id");
}

static void page_event(void *ctx, const struct json_event *e)
{
  struct page_sax *x = ctx;
  int rc;

  if (x->err.code != 0)
    return;
  if (!e->ok) {
    page_fail(x, SB_EPROTOCOL, "is not valid JSON");
    return;
  }
  if (x->in_jc) {
    rc = jcanon_feed(x->jc, e);
    if (rc < 0)
      page_fail(x, rc, "an object has a duplicate key");
    x->in_jc = rc == 0;
  } else if (x->in_rec) {
    if (record_sax_feed(x->rs, e))
      change_rec_done(x);
  } else if (x->in_gone) {
    gone_event(x, e);
  } else if (x->in_change) {
    change_event(x, e);
  } else if (x->in_changes) {
    if (e->ev == JSON_EV_END_ARRAY)
      x->in_changes = false;
    else
      change_start(x, e);
  } else {
    page_root(x, e);
  }
}

int changes_page_decode(struct changes_page *p, const char *body, size_t len,
                        struct sb_err *err)
{
  struct page_sax x;
  int rc;

  changes_page_release(p);
  memset(&x, 0, sizeof(x));
  x.p = p;
  buf_init(&x.root_keys);
  buf_init(&x.change_keys);
  buf_init(&x.gone_keys);
  x.rs = record_sax_new();
  x.jc = jcanon_new();
  if (x.rs == NULL || x.jc == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto out;
  }
  rc = wire_sax_run(body, len, "changes page", NULL, page_event, &x, err);
  if (rc == 0 && x.err.code != 0) {
    rc = x.err.code;
    sb_err_set(err, rc, "%s", x.err.msg);
  }
out:
  if (x.cur_started)
    record_release(&p->c[p->n].rec);
  if (rc != 0)
    changes_page_release(p);
  record_sax_free(x.rs);
  jcanon_free(x.jc);
  buf_release(&x.root_keys);
  buf_release(&x.change_keys);
  buf_release(&x.gone_keys);
  return rc;
}

char *changes_gone_encode(const char *collection, const char *id)
{
  cJSON *j = cJSON_CreateObject();
  char *text = NULL;

  if (j != NULL && cJSON_AddStringToObject(j, "collection", collection) &&
      cJSON_AddStringToObject(j, "id", id))
    text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return text;
}

char *changes_page_encode(const uint64_t *seqs, const char *const *states,
                          size_t n, bool more, uint64_t next)
{
  return changes_page_encode_scoped(seqs, states, NULL, n, more, next, NULL);
}

char *changes_page_encode_scoped(const uint64_t *seqs,
                                 const char *const *states, const bool *gone,
                                 size_t n, bool more, uint64_t next,
                                 const char *scope)
{
  return changes_page_encode_horizon(seqs, states, gone, n, more, next, scope,
                                     0);
}

/* Where a page's text goes: b, or (gz not NULL) through b, a slice at a
 * time, into a gzip stream. */
struct page_out {
  struct buf b;
  struct gzip_stream *gz;
};

#define PAGE_SLICE (64 * 1024) /* text deflated at a time */

static void page_out_flush(struct page_out *o, bool all)
{
  if (o->gz != NULL && (all || o->b.len >= PAGE_SLICE)) {
    gzip_stream_write(o->gz, o->b.p, o->b.len);
    buf_reset(&o->b);
  }
}

/* The page's text into o; -1 when out of memory for the scope's. */
static int page_encode(struct page_out *o, const uint64_t *seqs,
                       const char *const *states, const bool *gone, size_t n,
                       const struct changes_page_head *h)
{
  struct buf *b = &o->b;
  size_t i;

  /* Keys in canonical order: changes, horizon, last, more, next, scope;
   * gone or record, seq. */
  buf_adds(b, "{\"changes\":[");
  for (i = 0; i < n; i++) {
    bool g = gone != NULL && gone[i];
    buf_adds(b, i > 0 ? ",{" : "{");
    buf_adds(b, g ? "\"gone\":" : "\"record\":");
    buf_adds(b, states[i]);
    buf_adds(b, ",\"seq\":");
    buf_addu(b, seqs[i]);
    buf_adds(b, "}");
    page_out_flush(o, false);
  }
  buf_adds(b, "]");
  if (h->horizon > 0) {
    buf_adds(b, ",\"horizon\":");
    buf_addu(b, h->horizon);
  }
  if (h->last > 0) {
    buf_adds(b, ",\"last\":");
    buf_addu(b, h->last);
  }
  buf_adds(b,
           h->more ? ",\"more\":true,\"next\":" : ",\"more\":false,\"next\":");
  buf_addu(b, h->next);
  if (h->scope != NULL) {
    cJSON *js = cJSON_CreateString(h->scope);
    char *q = js != NULL ? cJSON_PrintUnformatted(js) : NULL;
    cJSON_Delete(js);
    if (q == NULL)
      return -1;
    buf_adds(b, ",\"scope\":");
    buf_adds(b, q);
    free(q);
  }
  buf_adds(b, "}");
  page_out_flush(o, true);
  return 0;
}

char *changes_page_encode_head(const uint64_t *seqs, const char *const *states,
                               const bool *gone, size_t n,
                               const struct changes_page_head *head)
{
  struct page_out o = {{0}, NULL};

  buf_init(&o.b);
  if (page_encode(&o, seqs, states, gone, n, head) != 0) {
    buf_release(&o.b);
    return NULL;
  }
  return buf_take(&o.b, NULL);
}

char *changes_page_encode_horizon(const uint64_t *seqs,
                                  const char *const *states, const bool *gone,
                                  size_t n, bool more, uint64_t next,
                                  const char *scope, uint64_t horizon)
{
  struct changes_page_head h = {more, next, scope, horizon, 0};
  return changes_page_encode_head(seqs, states, gone, n, &h);
}

int changes_page_gzip(const uint64_t *seqs, const char *const *states,
                      const bool *gone, size_t n,
                      const struct changes_page_head *head, char **out,
                      size_t *out_len, struct sb_err *err)
{
  struct page_out o = {{0}, gzip_stream_new()};
  int rc;

  *out = NULL;
  *out_len = 0;
  if (o.gz == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory deflating a page");
  buf_init(&o.b);
  rc = page_encode(&o, seqs, states, gone, n, head);
  if (rc != 0 || o.b.failed) {
    buf_release(&o.b);
    (void)gzip_stream_end(o.gz, out, out_len, NULL);
    free(*out);
    *out = NULL;
    *out_len = 0;
    return sb_err_set(err, SB_ENOMEM, "out of memory encoding a page");
  }
  buf_release(&o.b);
  return gzip_stream_end(o.gz, out, out_len, err);
}

/* --- query ------------------------------------------------------------- */

/*
 * Reads the decimal text s (NULL: dflt) into *out, within [min, max].
 * Digits only: no sign, space, or empty value.
 */
static int query_number(uint64_t *out, const char *name, const char *s,
                        uint64_t dflt, uint64_t min, uint64_t max,
                        struct sb_err *err)
{
  unsigned long long v;
  size_t len;

  if (s == NULL) {
    *out = dflt;
    return 0;
  }
  len = strlen(s);
  if (len == 0 || strspn(s, "0123456789") != len)
    return sb_err_set(err, SB_EPROTOCOL,
                      "query parameter \"%s\": \"%.40s\" is not a decimal "
                      "number",
                      name, s);
  errno = 0;
  v = strtoull(s, NULL, 10);
  if (errno == ERANGE || v < min || v > max)
    return sb_err_set(err, SB_EPROTOCOL,
                      "query parameter \"%s\": %.40s is out of range (%llu "
                      "to %llu)",
                      name, s, (unsigned long long)min,
                      (unsigned long long)max);
  *out = v;
  return 0;
}

int changes_query_parse(struct changes_query *q, const char *since,
                        const char *limit, const char *wait, struct sb_err *err)
{
  uint64_t s = 0, l = 0, w = 0;
  int rc;

  rc = query_number(&s, "since", since, 0, 0, UINT64_MAX, err);
  if (rc == 0)
    rc = query_number(&l, "limit", limit, PROTO_DEFAULT_PAGE, 1, PROTO_MAX_PAGE,
                      err);
  if (rc == 0)
    rc = query_number(&w, "wait", wait, 0, 0, PROTO_MAX_WAIT_S, err);
  if (rc != 0)
    return rc;
  q->since = s;
  q->limit = (unsigned)l;
  q->wait_s = (unsigned)w;
  return 0;
}

int changes_query_form(const char *value, bool *compact, struct sb_err *err)
{
  *compact = value != NULL && strcmp(value, "compact") == 0;
  if (value == NULL || *compact || strcmp(value, "full") == 0)
    return 0;
  return sb_err_set(err, SB_EINVAL,
                    "query parameter \"form\": \"%.32s\" is not full or "
                    "compact",
                    value);
}

int changes_query_skip_own(const char *value, bool *skip, struct sb_err *err)
{
  *skip = false;
  if (value == NULL || strcmp(value, "0") == 0)
    return 0;
  if (strcmp(value, "1") == 0) {
    *skip = true;
    return 0;
  }
  return sb_err_set(err, SB_EINVAL,
                    "query parameter \"skip_own\": \"%.32s\" is not 0 or 1",
                    value);
}
