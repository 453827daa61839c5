/*
 * wire_sax.c - the one strict pass of a body that the tree-less decoders
 * (push_req_decode, changes_page_decode) read their records from: the
 * checks wire_parse_spans makes before any parsing, then yajl's events
 * through json_strict_parse straight to the decoder, each marked with
 * whether cJSON would read it the same (json_event.ok: the old path's
 * cJSON parse refused what it would not).
 */
#include "compat.h"

#include "wire.h"

#include "json_strict.h"
#include "proto.h"
#include "utf8.h"

#include <string.h>

int wire_sax_run(const char *body, size_t len, const char *what,
                 struct json_spans *sp, wire_sax_fn fn, void *ctx,
                 struct sb_err *err)
{
  struct json_sink sink = {fn, ctx};
  size_t end = 0; /* where the root value ended */
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
  rc = json_strict_parse(body, len, what, sp, &sink, &end, err);
  if (rc != 0)
    return wire_refuse_rc(err, rc);
  if (!json_strict_tail_ok(body, end, len))
    return sb_err_set(err, SB_EPROTOCOL,
                      "%s is not valid JSON (unexpected data at byte %zu)",
                      what, end);
  return 0;
}
