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
#include "json_strict.h"
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

int push_req_decode(struct push_req *p, const char *body, size_t len,
                    long *bad_record, struct sb_err *err)
{
  struct json_spans sp = {.key = "records",
                          .span_max = PROTO_MAX_STATE_TEXT,
                          .max_spans = PROTO_MAX_BATCH};
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
    if (bad_record != NULL && sp.bad != SIZE_MAX &&
        sp.bad < PROTO_MAX_BATCH)
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

int push_reply_decode(struct push_reply *p, const char *body, size_t len,
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

char *push_reply_encode(const struct push_reply *p)
{
  cJSON *j = cJSON_CreateObject(), *results;
  char *text = NULL;
  size_t i;

  if (j == NULL)
    return NULL;
  results = cJSON_AddArrayToObject(j, "results");
  if (results == NULL || !add_u64(j, "last_seq", p->last_seq))
    goto out;
  for (i = 0; i < p->n; i++) {
    if (!result_encode(results, &p->res[i]))
      goto out;
  }
  text = json_canon(j);
out:
  cJSON_Delete(j);
  return text;
}
