/*
 * push_reply.c - a push reply read straight from the strict pass's events
 * (push_reply_decode), without a cJSON tree: a device reads one result
 * per record it pushed, and the tree cost more than the rest of the ack.
 * It accepts exactly what push_reply_decode_tree (push.c) accepts: members
 * in any order, unknown members checked and skipped, duplicate keys
 * refused at every depth, a member the result does not need (the "seq"
 * of a refusal, the "error" of an accepted record) ignored whatever it
 * holds. So a result's members are noted as they come and judged at its
 * end. tests/fuzz/fuzz_push_reply.c holds the two to the same answers.
 */
#include "compat.h"

#include "proto.h"

#include "buf.h"
#include "jcanon.h"
#include "json_strict.h"
#include "record.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the decoder is. */
enum level { L_TOP, L_ROOT, L_RESULTS, L_RESULT, L_ERROR };
/* The known keys of each object (a bit each in *_seen). */
enum key {
  K_LAST_SEQ,
  K_RESULTS,
  K_COLLECTION,
  K_ID,
  K_OK,
  K_SEQ,
  K_ECHO,
  K_ERROR,
  K_CODE,
  K_MESSAGE,
  K_OTHER
};
/* What a result's member held. */
enum held { H_ABSENT, H_BAD, H_SET };

struct reply_sax {
  struct push_reply *p;
  size_t cap;
  struct jcanon *jc;
  bool in_jc; /* skipping a value through jc */
  struct sb_err err;
  enum level level;
  enum key key;
  unsigned seen[5];     /* known keys, per level */
  struct buf others[5]; /* unknown keys, per level */
  bool has_last, has_results;
  /* the result being read */
  struct push_result cur;
  enum held coll, id, ok, seq, echo, error, code, message;
};

static void reply_fail(struct reply_sax *x, int rc, const char *msg)
{
  if (x->err.code == 0)
    sb_err_set(&x->err, rc == SB_ENOMEM ? SB_ENOMEM : SB_EPROTOCOL,
               "push reply: %s", msg != NULL ? msg : "out of memory");
}

/* reply_fail for results[p->n]. */
static void result_fail(struct reply_sax *x, const char *msg)
{
  char text[SB_ERR_MSG_MAX];
  snprintf(text, sizeof(text), "results[%zu]: %s", x->p->n, msg);
  reply_fail(x, SB_EPROTOCOL, text);
}

#define EV_KEY_IS(e, lit)                                                      \
  ((e)->n == sizeof(lit) - 1 && memcmp((e)->s, lit, sizeof(lit) - 1) == 0)

/* The key e names at the current level, refused if the object had it. */
static enum key reply_key(struct reply_sax *x, const struct json_event *e)
{
  enum key k = K_OTHER;
  int rc;

  switch (x->level) {
  case L_ROOT:
    k = EV_KEY_IS(e, "last_seq")  ? K_LAST_SEQ
        : EV_KEY_IS(e, "results") ? K_RESULTS
                                  : K_OTHER;
    break;
  case L_RESULT:
    k = EV_KEY_IS(e, "collection") ? K_COLLECTION
        : EV_KEY_IS(e, "id")       ? K_ID
        : EV_KEY_IS(e, "ok")       ? K_OK
        : EV_KEY_IS(e, "seq")      ? K_SEQ
        : EV_KEY_IS(e, "echo")     ? K_ECHO
        : EV_KEY_IS(e, "error")    ? K_ERROR
                                   : K_OTHER;
    break;
  case L_ERROR:
    k = EV_KEY_IS(e, "code")      ? K_CODE
        : EV_KEY_IS(e, "message") ? K_MESSAGE
                                  : K_OTHER;
    break;
  default:
    break;
  }
  if (k != K_OTHER) {
    if (x->seen[x->level] & (1u << k))
      reply_fail(x, SB_EPROTOCOL, "an object has a duplicate key");
    x->seen[x->level] |= 1u << k;
    return k;
  }
  rc = jcanon_key_add(&x->others[x->level], e->s, e->n);
  if (rc <= 0)
    reply_fail(x, rc, "an object has a duplicate key");
  return k;
}

/* Starts a new object at level l. */
static void open_object(struct reply_sax *x, enum level l)
{
  x->level = l;
  x->seen[l] = 0;
  buf_reset(&x->others[l]);
}

/* Feeds e to the value being skipped; in_jc until that value ends. */
static void skip_feed(struct reply_sax *x, const struct json_event *e)
{
  int rc = jcanon_feed(x->jc, e);
  if (rc < 0)
    reply_fail(x, rc, "an object has a duplicate key");
  x->in_jc = rc == 0;
}

/* Checks and skips the value beginning with e (whatever it holds). */
static void skip(struct reply_sax *x, const struct json_event *e)
{
  jcanon_begin(x->jc);
  skip_feed(x, e);
}

/* A string member into out[size]: set if 1 to size - 1 bytes. */
static enum held member_text(const struct json_event *e, char *out, size_t size)
{
  if (e->ev != JSON_EV_STRING || e->n == 0 || e->n >= size)
    return H_BAD;
  memcpy(out, e->s, e->n);
  out[e->n] = '\0';
  return H_SET;
}

/* The result just read, judged as push.c's result_decode judges it. */
static void result_end(struct reply_sax *x)
{
  struct push_result *r = &x->cur;

  x->level = L_RESULTS;
  if (x->coll != H_SET)
    return result_fail(x, "\"collection\" must be a string of 1 to 64 bytes");
  if (!record_name_valid(r->collection))
    return result_fail(x, "bad \"collection\"");
  if (x->id != H_SET)
    return result_fail(x, "\"id\" must be a string of 1 to 128 bytes");
  if (!record_id_valid(r->id))
    return result_fail(x, "bad \"id\"");
  if (x->ok != H_SET)
    return result_fail(x, "\"ok\" must be true or false");
  if (r->ok && x->seq != H_SET)
    return result_fail(x, "\"seq\" must be an integer from 0 to 2^53");
  if (r->ok && x->echo == H_BAD)
    return result_fail(x, "\"echo\" must be true or false");
  if (!r->ok && x->error != H_SET)
    return result_fail(x, "a refused record needs an \"error\" object");
  if (!r->ok && (x->code != H_SET || !wire_code_valid(r->code)))
    return result_fail(x, "\"error\": bad \"code\"");
  if (!r->ok && x->message != H_SET)
    return result_fail(x, "\"error\": \"message\" must be a string");
  if (!r->ok) {
    r->seq = 0;
    r->echo = false;
  } else
    r->code[0] = r->message[0] = '\0';
  x->p->res[x->p->n++] = *r;
}

/* The start of results[p->n]. */
static void result_start(struct reply_sax *x, const struct json_event *e)
{
  struct push_result *g;

  if (e->ev != JSON_EV_START_MAP)
    return result_fail(x, "must be an object");
  if (x->p->n == PROTO_MAX_BATCH)
    return reply_fail(x, SB_EPROTOCOL, "too many results");
  g = array_grow(x->p->res, &x->cap, x->p->n, sizeof(*g), 64);
  if (g == NULL)
    return reply_fail(x, SB_ENOMEM, NULL);
  x->p->res = g;
  memset(&x->cur, 0, sizeof(x->cur));
  x->coll = x->id = x->ok = x->seq = x->echo = H_ABSENT;
  x->error = x->code = x->message = H_ABSENT;
  open_object(x, L_RESULT);
}

/* A value of the result object (the key is x->key). */
static void result_value(struct reply_sax *x, const struct json_event *e)
{
  uint64_t v;

  switch (x->key) {
  case K_COLLECTION:
    x->coll = member_text(e, x->cur.collection, sizeof(x->cur.collection));
    break;
  case K_ID:
    x->id = member_text(e, x->cur.id, sizeof(x->cur.id));
    break;
  case K_OK:
    x->ok = e->ev == JSON_EV_BOOL ? H_SET : H_BAD;
    x->cur.ok = e->ev == JSON_EV_BOOL && e->b;
    break;
  case K_SEQ:
    x->seq = e->ev == JSON_EV_NUMBER &&
                     jcanon_int(e->s, e->n, 0, (int64_t)SB_COUNTER_MAX, &v)
                 ? H_SET
                 : H_BAD;
    x->cur.seq = x->seq == H_SET ? v : 0;
    break;
  case K_ECHO:
    x->echo = e->ev == JSON_EV_BOOL ? H_SET : H_BAD;
    x->cur.echo = e->ev == JSON_EV_BOOL && e->b;
    break;
  case K_ERROR:
    if (e->ev == JSON_EV_START_MAP) {
      x->error = H_SET;
      open_object(x, L_ERROR);
      return;
    }
    x->error = H_BAD;
    break;
  default:
    break;
  }
  if (e->ev == JSON_EV_START_MAP || e->ev == JSON_EV_START_ARRAY)
    skip(x, e);
}

/* A value of the error object. */
static void error_value(struct reply_sax *x, const struct json_event *e)
{
  if (x->key == K_CODE)
    x->code = member_text(e, x->cur.code, sizeof(x->cur.code));
  else if (x->key == K_MESSAGE)
    x->message = member_text(e, x->cur.message, sizeof(x->cur.message));
  if (e->ev == JSON_EV_START_MAP || e->ev == JSON_EV_START_ARRAY)
    skip(x, e);
}

/* A value of the root object. */
static void root_value(struct reply_sax *x, const struct json_event *e)
{
  if (x->key == K_LAST_SEQ) {
    x->has_last =
        e->ev == JSON_EV_NUMBER &&
        jcanon_int(e->s, e->n, 0, (int64_t)SB_COUNTER_MAX, &x->p->last_seq);
  } else if (x->key == K_RESULTS && e->ev == JSON_EV_START_ARRAY) {
    x->has_results = true;
    x->level = L_RESULTS;
    return;
  }
  if (e->ev == JSON_EV_START_MAP || e->ev == JSON_EV_START_ARRAY)
    skip(x, e);
}

static void reply_event(void *ctx, const struct json_event *e)
{
  struct reply_sax *x = ctx;

  if (x->err.code != 0)
    return;
  if (!e->ok)
    return reply_fail(x, SB_EPROTOCOL, "is not valid JSON");
  if (x->in_jc)
    return skip_feed(x, e);
  if (e->ev == JSON_EV_KEY) {
    x->key = reply_key(x, e);
    return;
  }
  switch (x->level) {
  case L_TOP:
    if (e->ev != JSON_EV_START_MAP)
      return reply_fail(x, SB_EPROTOCOL, "must be a JSON object");
    return open_object(x, L_ROOT);
  case L_ROOT:
    if (e->ev != JSON_EV_END_MAP)
      return root_value(x, e);
    if (!x->has_last)
      return reply_fail(x, SB_EPROTOCOL,
                        "\"last_seq\" must be an integer from 0 to 2^53");
    if (!x->has_results)
      return reply_fail(x, SB_EPROTOCOL, "\"results\" must be an array");
    x->level = L_TOP;
    return;
  case L_RESULTS:
    if (e->ev == JSON_EV_END_ARRAY)
      x->level = L_ROOT;
    else
      result_start(x, e);
    return;
  case L_RESULT:
    if (e->ev == JSON_EV_END_MAP)
      result_end(x);
    else
      result_value(x, e);
    return;
  case L_ERROR:
    if (e->ev == JSON_EV_END_MAP)
      x->level = L_RESULT;
    else
      error_value(x, e);
    return;
  }
}

int push_reply_decode(struct push_reply *p, const char *body, size_t len,
                      struct sb_err *err)
{
  struct reply_sax x;
  size_t i;
  int rc;

  push_reply_release(p);
  memset(&x, 0, sizeof(x));
  x.p = p;
  for (i = 0; i < sizeof(x.others) / sizeof(x.others[0]); i++)
    buf_init(&x.others[i]);
  x.jc = jcanon_new();
  if (x.jc == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  else
    rc = wire_sax_run(body, len, "push reply", NULL, reply_event, &x, err);
  if (rc == 0 && x.err.code != 0) {
    rc = x.err.code;
    sb_err_set(err, rc, "%s", x.err.msg);
  }
  if (rc != 0)
    push_reply_release(p);
  jcanon_free(x.jc);
  for (i = 0; i < sizeof(x.others) / sizeof(x.others[0]); i++)
    buf_release(&x.others[i]);
  return rc;
}
