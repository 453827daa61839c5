/*
 * wire_sax.c - the one strict pass of a body that the tree-less decoders
 * (push_req_decode, changes_page_decode) read their records from: the
 * checks wire_parse_spans makes before any parsing, then yajl's events
 * through json_strict_parse, each marked with whether cJSON would read it
 * the same (the old path's cJSON parse refused what it would not).
 */
#include "compat.h"

#include "wire.h"

#include "jcanon.h"
#include "json_strict.h"
#include "proto.h"
#include "utf8.h"

#include <string.h>

struct run {
  const char *body;
  size_t len;
  bool has_u;
  wire_sax_fn fn;
  void *ctx;
  int depth;
  size_t end; /* where the root value ended */
};

static void on_event(void *ctx, const struct json_event *e)
{
  struct run *r = ctx;
  if (e->ev == JSON_EV_START_MAP || e->ev == JSON_EV_START_ARRAY)
    r->depth++;
  else if (e->ev == JSON_EV_END_MAP || e->ev == JSON_EV_END_ARRAY)
    r->depth--;
  if (r->depth == 0 && e->ev != JSON_EV_KEY)
    r->end = json_strict_root_end(r->body, r->len, e);
  r->fn(r->ctx, e, jcanon_token_ok(r->body, e, r->has_u));
}

int wire_sax_run(const char *body, size_t len, const char *what,
                 struct json_spans *sp, wire_sax_fn fn, void *ctx,
                 struct sb_err *err)
{
  struct json_sink sink;
  struct run r;
  int rc;

  if (sp != NULL) {
    sp->spans = NULL;
    sp->n = 0;
    sp->bad = SIZE_MAX;
  }
  if (len > PROTO_MAX_BODY)
    return sb_err_set(err, SB_EPROTOCOL,
                      "%s is too large (%zu bytes, at most %d)", what, len,
                      PROTO_MAX_BODY);
  if (body == NULL && len > 0)
    return sb_err_set(err, SB_EPROTOCOL, "%s is missing", what);
  if (body == NULL)
    body = "";
  if (!utf8_valid(body, len))
    return sb_err_set(err, SB_EPROTOCOL, "%s is not valid UTF-8", what);
  if (memchr(body, '\0', len) != NULL)
    return sb_err_set(err, SB_EPROTOCOL, "%s contains a NUL byte", what);
  r.body = body;
  r.len = len;
  r.depth = 0;
  r.end = 0;
  r.has_u = jcanon_has_u_escape(body, len);
  r.fn = fn;
  r.ctx = ctx;
  sink.fn = on_event;
  sink.ctx = &r;
  rc = json_strict_parse(body, len, what, sp, &sink, err);
  if (rc != 0)
    return wire_refuse_rc(err, rc);
  if (!json_strict_tail_ok(body, r.end, len))
    return sb_err_set(err, SB_EPROTOCOL,
                      "%s is not valid JSON (unexpected data at byte %zu)",
                      what, r.end);
  return 0;
}
