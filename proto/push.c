/*
 * push.c - POST /v1/push: the request (a batch of record states) and the
 * reply (one result per record, in request order).
 *
 * Request: {"records":[state, ...]}, at most PROTO_MAX_BATCH states, each
 * in the canonical export form (record_encode). A bad state refuses the
 * whole request: the hub applies nothing it could not read.
 * Reply: {"last_seq":N,"results":[{"collection","id","ok":true,"seq":N} |
 * {"collection","error":{"code","message"},"id","ok":false}]}.
 */
#include "compat.h"

#include "proto.h"

#include "buf.h"
#include "json.h"
#include "jcanon.h"
#include "json_strict.h"
#include "record_sax.h"
#include "wire.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- request ----------------------------------------------------------- */

void push_req_init(struct push_req *p)
{
  p->recs = NULL;
  p->n = 0;
}

void push_req_release(struct push_req *p)
{
  size_t i;
  for (i = 0; i < p->n; i++)
    record_release(&p->recs[i]);
  free(p->recs);
  push_req_init(p);
}

/* Decodes records[i], the text span, into p->recs[i]. */
static int push_req_record(struct push_req *p, size_t i, const char *text,
                           size_t len, struct sb_err *err)
{
  cJSON *j;
  int rc;

  record_init(&p->recs[i], "", "");
  /* The body passed the strict pass whole: no need to scan it again. */
  j = json_parse_checked(text, len, "record state", err);
  if (j == NULL)
    return wire_refuse_rc(err, err != NULL ? err->code : SB_EJSON);
  rc = wire_record(&p->recs[i], j, err);
  cJSON_Delete(j);
  return rc;
}

int push_req_decode_tree(struct push_req *p, const char *body, size_t len,
                         long *bad_record, struct sb_err *err)
{
  /* bad = SIZE_MAX: a body refused before the strict pass (not UTF-8, a
   * NUL byte) names no record (it named records[0]). */
  struct json_spans sp = {.key = "records",
                          .span_max = PROTO_MAX_STATE_TEXT,
                          .max_spans = PROTO_MAX_BATCH,
                          .bad = SIZE_MAX};
  const cJSON *records, *c;
  size_t n, i;
  cJSON *j;
  int rc;

  push_req_release(p);
  if (bad_record != NULL)
    *bad_record = -1;
  /* One record's tree at a time: a body of many small values (500k-element
   * arrays) never becomes one huge tree. */
  rc = wire_parse_spans(&j, body, len, "push request", &sp, err);
  if (rc != 0) {
    if (bad_record != NULL && sp.bad != SIZE_MAX && sp.bad < PROTO_MAX_BATCH)
      *bad_record = (long)sp.bad;
    return rc;
  }
  records = cJSON_GetObjectItemCaseSensitive(j, "records");
  if (!cJSON_IsArray(records)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "push request: \"records\" must be an array");
    goto out;
  }
  n = (size_t)cJSON_GetArraySize(records);
  if (n > PROTO_MAX_BATCH) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "push request: too many records (%zu, at most %d)", n,
                    PROTO_MAX_BATCH);
    goto out;
  }
  if (n > 0) {
    p->recs = calloc(n, sizeof(*p->recs));
    if (p->recs == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, NULL);
      goto out;
    }
  }
  if (n != sp.n) { /* "records" is not the array the scan saw */
    rc = sb_err_set(err, SB_EPROTOCOL, "push request: bad \"records\"");
    goto out;
  }
  for (i = 0, c = records->child; c != NULL; c = c->next, i++) {
    rc = push_req_record(p, i, body + sp.spans[i].off, sp.spans[i].len, err);
    if (rc != 0) {
      sb_err_prefix(err, "push request: records[%zu]", i);
      if (bad_record != NULL && rc == SB_EPROTOCOL)
        *bad_record = (long)i;
      goto out;
    }
    p->n = i + 1;
  }
  rc = 0;
out:
  if (rc != 0)
    push_req_release(p);
  free(sp.spans);
  cJSON_Delete(j);
  return rc;
}

/* --- request, without a tree ------------------------------------------ */

/* The decoder's state over the events of one body. */
struct push_sax {
  struct push_req *p;
  size_t cap;
  struct record_sax *rs;
  struct jcanon *jc;
  struct buf root_keys;
  bool root_open, in_jc, in_records, in_rec, key_records, seen_records;
  bool cur_started;      /* p->recs[p->n] (or scratch) is being read */
  struct record scratch; /* the records after a refused one go here */
  struct sb_err skel;    /* a refusal outside the records (first one) */
  struct sb_err rec_err; /* the first refused record's */
  long rec_bad;
};

static void skel_fail(struct push_sax *x, int rc, const char *msg)
{
  if (x->skel.code == 0)
    sb_err_set(&x->skel, rc, "push request %s", msg);
}

/* The record element that began with e: read into p->recs[p->n]. */
static void rec_start(struct push_sax *x, const struct json_event *e)
{
  struct record *r = &x->scratch;
  if (x->rec_err.code == 0) {
    struct record *g = array_grow(x->p->recs, &x->cap, x->p->n, sizeof(*g), 64);
    if (g == NULL) {
      skel_fail(x, SB_ENOMEM, "");
      return;
    }
    x->p->recs = g;
    r = &x->p->recs[x->p->n];
    record_init(r, "", "");
  }
  x->cur_started = true;
  record_sax_begin(x->rs, r);
  if (x->rec_err.code != 0)
    record_sax_refuse(x->rs, SB_EINVAL, "skipped");
  x->in_rec = true;
  if (!e->ok)
    record_sax_refuse(x->rs, SB_EJSON, "is not valid JSON");
  if (record_sax_feed(x->rs, e))
    x->in_rec = false;
}

/* The record element just ended: keep it or note the refusal. */
static void rec_done(struct push_sax *x)
{
  struct sb_err err = {0};
  bool counted = x->rec_err.code == 0;
  struct record *r = counted ? &x->p->recs[x->p->n] : &x->scratch;
  int rc = record_sax_end(x->rs, &err);

  x->cur_started = false;
  if (!counted) {
    record_release(r);
  } else if (rc == 0 && record_empty(r)) {
    rc = sb_err_set(&err, SB_EPROTOCOL,
                    "record %s/%s has no history (empty \"vv\")", r->collection,
                    r->id);
    record_release(r);
  }
  if (counted && rc != 0) {
    x->rec_err = err;
    x->rec_err.code = rc == SB_ENOMEM ? SB_ENOMEM : SB_EPROTOCOL;
    x->rec_bad = (long)x->p->n;
  } else if (counted) {
    x->p->n++;
  }
}

/* A member of the root object (or the root itself). */
static void push_root_event(struct push_sax *x, const struct json_event *e)
{
  int rc;
  if (!x->root_open) {
    if (e->ev == JSON_EV_START_MAP)
      x->root_open = true;
    else
      skel_fail(x, SB_EPROTOCOL, "must be a JSON object");
    return;
  }
  if (e->ev == JSON_EV_KEY) {
    rc = jcanon_key_add(&x->root_keys, e->s, e->n);
    if (rc <= 0)
      skel_fail(x, rc < 0 ? rc : SB_EPROTOCOL,
                "has an object with a duplicate key");
    x->key_records = e->n == 7 && memcmp(e->s, "records", 7) == 0;
    return;
  }
  if (e->ev == JSON_EV_END_MAP) {
    if (!x->seen_records)
      skel_fail(x, SB_EPROTOCOL, ": \"records\" must be an array");
    return;
  }
  if (x->key_records) {
    if (e->ev == JSON_EV_START_ARRAY)
      x->seen_records = x->in_records = true;
    else
      skel_fail(x, SB_EPROTOCOL, ": \"records\" must be an array");
    return;
  }
  jcanon_begin(x->jc);
  rc = jcanon_feed(x->jc, e);
  if (rc < 0)
    skel_fail(x, rc == SB_EJSON ? SB_EPROTOCOL : rc,
              "has an object with a duplicate key");
  x->in_jc = rc == 0;
}

static void push_event(void *ctx, const struct json_event *e)
{
  struct push_sax *x = ctx;
  int rc;

  if (x->in_rec) {
    if (!e->ok)
      record_sax_refuse(x->rs, SB_EJSON, "is not valid JSON");
    if (record_sax_feed(x->rs, e)) {
      x->in_rec = false;
      rec_done(x);
    }
    return;
  }
  if (x->skel.code != 0)
    return;
  if (x->in_records) {
    if (e->ev == JSON_EV_END_ARRAY) {
      x->in_records = false;
    } else {
      rec_start(x, e);
      if (!x->in_rec && x->cur_started)
        rec_done(x);
    }
    return;
  }
  if (!e->ok) {
    skel_fail(x, SB_EPROTOCOL, "is not valid JSON");
    return;
  }
  if (x->in_jc) {
    rc = jcanon_feed(x->jc, e);
    if (rc < 0)
      skel_fail(x, rc == SB_EJSON ? SB_EPROTOCOL : rc,
                "has an object with a duplicate key");
    x->in_jc = rc == 0;
    return;
  }
  push_root_event(x, e);
}

int push_req_decode(struct push_req *p, const char *body, size_t len,
                    long *bad_record, struct sb_err *err)
{
  struct json_spans sp = {.key = "records",
                          .span_max = PROTO_MAX_STATE_TEXT,
                          .max_spans = PROTO_MAX_BATCH};
  struct push_sax x;
  int rc;

  push_req_release(p);
  if (bad_record != NULL)
    *bad_record = -1;
  memset(&x, 0, sizeof(x));
  x.p = p;
  record_init(&x.scratch, "", "");
  buf_init(&x.root_keys);
  x.rs = record_sax_new();
  x.jc = jcanon_new();
  if (x.rs == NULL || x.jc == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto out;
  }
  rc = wire_sax_run(body, len, "push request", &sp, push_event, &x, err);
  if (rc != 0) {
    if (bad_record != NULL && sp.bad != SIZE_MAX && sp.bad < PROTO_MAX_BATCH)
      *bad_record = (long)sp.bad;
  } else if (x.skel.code != 0) {
    rc = x.skel.code == SB_ENOMEM ? SB_ENOMEM : SB_EPROTOCOL;
    sb_err_set(err, rc, "%s", x.skel.msg);
  } else if (x.rec_err.code != 0) {
    rc = x.rec_err.code;
    sb_err_set(err, rc, "push request: records[%ld]: %s", x.rec_bad,
               x.rec_err.msg);
    if (bad_record != NULL && rc == SB_EPROTOCOL)
      *bad_record = x.rec_bad;
  }
out:
  if (x.cur_started && x.rec_err.code == 0 && p->recs != NULL)
    record_release(&p->recs[p->n]);
  if (rc != 0)
    push_req_release(p);
  record_release(&x.scratch);
  record_sax_free(x.rs);
  jcanon_free(x.jc);
  buf_release(&x.root_keys);
  free(sp.spans);
  return rc;
}

char *push_req_encode(const struct record *const *recs, size_t n)
{
  struct buf b;
  size_t i;

  buf_init(&b);
  buf_adds(&b, "{\"records\":[");
  for (i = 0; i < n; i++) {
    char *state = record_encode(recs[i]);
    if (state == NULL) {
      buf_release(&b);
      return NULL;
    }
    if (i > 0)
      buf_adds(&b, ",");
    buf_adds(&b, state);
    free(state);
  }
  buf_adds(&b, "]}");
  return buf_take(&b, NULL);
}

/* --- reply ------------------------------------------------------------- */

void push_reply_init(struct push_reply *p)
{
  p->res = NULL;
  p->n = 0;
  p->last_seq = 0;
}

void push_reply_release(struct push_reply *p)
{
  free(p->res);
  push_reply_init(p);
}

/* Adds key: v to obj as plain digits (never an exponent); false on ENOMEM. */
static bool add_u64(cJSON *obj, const char *key, uint64_t v)
{
  char digits[24];
  snprintf(digits, sizeof(digits), "%" PRIu64, v);
  return cJSON_AddRawToObject(obj, key, digits) != NULL;
}

/*
 * Copies the string member key of obj into out[0..size) if it is a string
 * of 1..size-1 bytes; otherwise sets SB_EPROTOCOL naming key and returns it.
 */
static int get_text(const cJSON *obj, const char *key, char *out, size_t size,
                    struct sb_err *err)
{
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);
  size_t len;

  if (!cJSON_IsString(s))
    return sb_err_set(err, SB_EPROTOCOL, "\"%s\" must be a string", key);
  len = strlen(s->valuestring);
  if (len == 0 || len >= size)
    return sb_err_set(err, SB_EPROTOCOL,
                      "\"%s\" must be 1 to %zu bytes long (got %zu)", key,
                      size - 1, len);
  memcpy(out, s->valuestring, len + 1);
  return 0;
}

/* Reads one result object into r. */
static int result_decode(struct push_result *r, const cJSON *j,
                         struct sb_err *err)
{
  const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
  const cJSON *echo = cJSON_GetObjectItemCaseSensitive(j, "echo");
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  int rc;

  if (!cJSON_IsObject(j))
    return sb_err_set(err, SB_EPROTOCOL, "must be an object");
  rc = get_text(j, "collection", r->collection, sizeof(r->collection), err);
  if (rc != 0)
    return rc;
  if (!record_name_valid(r->collection))
    return sb_err_set(err, SB_EPROTOCOL, "bad \"collection\" \"%s\"",
                      r->collection);
  rc = get_text(j, "id", r->id, sizeof(r->id), err);
  if (rc != 0)
    return rc;
  if (!record_id_valid(r->id))
    return sb_err_set(err, SB_EPROTOCOL, "bad \"id\" \"%s\"", r->id);
  if (!cJSON_IsBool(ok))
    return sb_err_set(err, SB_EPROTOCOL, "\"ok\" must be true or false");
  r->ok = cJSON_IsTrue(ok);
  if (r->ok) {
    if (!wire_u64(seq, &r->seq))
      return sb_err_set(err, SB_EPROTOCOL,
                        "\"seq\" must be an integer from 0 to 2^53");
    if (echo != NULL && !cJSON_IsBool(echo))
      return sb_err_set(err, SB_EPROTOCOL, "\"echo\" must be true or false");
    r->echo = cJSON_IsTrue(echo);
    return 0;
  }
  if (!cJSON_IsObject(e))
    return sb_err_set(err, SB_EPROTOCOL,
                      "a refused record needs an \"error\" object");
  rc = get_text(e, "code", r->code, sizeof(r->code), err);
  if (rc == 0 && !wire_code_valid(r->code))
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "bad \"code\" \"%s\" (use 1-%d of a-z, 0-9, '_')", r->code,
                    PROTO_ERR_NAME_MAX);
  if (rc == 0)
    rc = get_text(e, "message", r->message, sizeof(r->message), err);
  if (rc != 0)
    sb_err_prefix(err, "\"error\"");
  return rc;
}

int push_reply_decode_tree(struct push_reply *p, const char *body, size_t len,
                           struct sb_err *err)
{
  const cJSON *results, *last, *c;
  size_t n, i;
  cJSON *j;
  int rc;

  push_reply_release(p);
  rc = wire_parse(&j, body, len, "push reply", err);
  if (rc != 0)
    return rc;
  last = cJSON_GetObjectItemCaseSensitive(j, "last_seq");
  results = cJSON_GetObjectItemCaseSensitive(j, "results");
  if (!wire_u64(last, &p->last_seq)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "push reply: \"last_seq\" must be an integer from 0 to "
                    "2^53");
    goto out;
  }
  if (!cJSON_IsArray(results)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "push reply: \"results\" must be an array");
    goto out;
  }
  n = (size_t)cJSON_GetArraySize(results);
  if (n > PROTO_MAX_BATCH) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "push reply: too many results (%zu, at most %d)", n,
                    PROTO_MAX_BATCH);
    goto out;
  }
  if (n > 0) {
    p->res = calloc(n, sizeof(*p->res));
    if (p->res == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, NULL);
      goto out;
    }
  }
  for (i = 0, c = results->child; c != NULL; c = c->next, i++) {
    rc = result_decode(&p->res[i], c, err);
    if (rc != 0) {
      sb_err_prefix(err, "push reply: results[%zu]", i);
      goto out;
    }
  }
  p->n = n;
  rc = 0;
out:
  if (rc != 0)
    push_reply_release(p);
  cJSON_Delete(j);
  return rc;
}

/* Adds one result to the array out; false on ENOMEM. */
static bool result_encode(cJSON *out, const struct push_result *r)
{
  cJSON *o = cJSON_CreateObject(), *e;

  if (o == NULL)
    return false;
  cJSON_AddItemToArray(out, o);
  if (cJSON_AddStringToObject(o, "collection", r->collection) == NULL ||
      cJSON_AddStringToObject(o, "id", r->id) == NULL ||
      cJSON_AddBoolToObject(o, "ok", r->ok) == NULL)
    return false;
  if (r->ok && r->echo && cJSON_AddTrueToObject(o, "echo") == NULL)
    return false;
  if (r->ok)
    return add_u64(o, "seq", r->seq);
  e = cJSON_AddObjectToObject(o, "error");
  /* A reply must always decode: never send an empty code or message. */
  return e != NULL &&
         wire_add_text(e, "code",
                       r->code[0] ? r->code
                                  : proto_err_name(PROTO_ERR_INTERNAL)) &&
         wire_add_text(e, "message", r->message[0] ? r->message : "refused");
}

/* Appends one result's canonical JSON to b; false on ENOMEM. An accepted
 * record (nearly every one) is written directly (a valid name and id need
 * no escapes); a refusal, with its free-text message, or a name or id
 * that is not valid, through cJSON and json_canon. */
static bool result_append(struct buf *b, const struct push_result *r)
{
  cJSON *arr;
  char *text;
  bool ok;

  if (r->ok && record_name_valid(r->collection) && record_id_valid(r->id)) {
    buf_adds(b, "{\"collection\":\"");
    buf_adds(b, r->collection);
    buf_adds(b, r->echo ? "\",\"echo\":true,\"id\":\"" : "\",\"id\":\"");
    buf_adds(b, r->id);
    buf_adds(b, "\",\"ok\":true,\"seq\":");
    buf_addu(b, r->seq);
    return buf_adds(b, "}") == 0;
  }
  arr = cJSON_CreateArray();
  ok = arr != NULL && result_encode(arr, r) &&
       (text = json_canon(cJSON_GetArrayItem(arr, 0))) != NULL;
  if (ok) {
    ok = buf_adds(b, text) == 0;
    free(text);
  }
  cJSON_Delete(arr);
  return ok;
}

char *push_reply_encode(const struct push_reply *p)
{
  struct buf b;
  size_t i;

  buf_init(&b);
  /* Canonical: keys sorted, "last_seq" before "results". */
  buf_adds(&b, "{\"last_seq\":");
  buf_addu(&b, p->last_seq);
  buf_adds(&b, ",\"results\":[");
  for (i = 0; i < p->n; i++) {
    if (i > 0)
      buf_adds(&b, ",");
    if (!result_append(&b, &p->res[i])) {
      buf_release(&b);
      return NULL;
    }
  }
  buf_adds(&b, "]}");
  return buf_take(&b, NULL);
}
