/*
 * wire.h - helpers shared by the proto/ decoders and encoders (internal to
 * proto/; the public face is proto.h).
 *
 * Every refusal of the protocol is SB_EPROTOCOL, whatever the lower layer
 * said (json_parse's SB_EJSON/SB_EUTF8, record_from_json's SB_EINVAL), so
 * callers can map it to one HTTP status; SB_ENOMEM stays SB_ENOMEM.
 */
#ifndef SAMBANG_PROTO_WIRE_H
#define SAMBANG_PROTO_WIRE_H

#include "compat.h"

#include "err.h"
#include "record.h"

#include <cjson/cJSON.h>

/*
 * Parses a message body (at most PROTO_MAX_BODY bytes, valid UTF-8, no
 * duplicate keys; keys get sorted) into *out, a JSON object the caller
 * deletes. On error *out is NULL and the result SB_EPROTOCOL (or SB_ENOMEM);
 * what names the message in err.
 */
int wire_parse(cJSON **out, const char *body, size_t len, const char *what,
               struct sb_err *err);

struct json_spans;

/*
 * As wire_parse, for a body whose root member sp->key is a long array
 * (push "records"): the body is checked whole (json_strict_check, which also
 * finds each element's text, in sp->spans, and refuses one over
 * sp->span_max bytes with sp->bad set), but only the rest of it becomes
 * the tree *out, each element replaced by 0. The caller parses the elements
 * one at a time, so the largest tree is one element's, and frees sp->spans.
 */
int wire_parse_spans(cJSON **out, const char *body, size_t len,
                     const char *what, struct json_spans *sp,
                     struct sb_err *err);

/* True if j is an integer from 0 to 2^53; stores it in *out. */
bool wire_u64(const cJSON *j, uint64_t *out);

/*
 * Adds key: s to obj as a JSON string; bytes of s that are not valid UTF-8
 * (e.g. a message cut in the middle of a character) become '?', so the
 * output is always valid UTF-8. False on ENOMEM.
 */
bool wire_add_text(cJSON *obj, const char *key, const char *s);

/* True if s is a well-formed error code: 1..31 of [a-z0-9_]. */
bool wire_code_valid(const char *s);

/* Turns a lower layer's refusal rc (not SB_ENOMEM) into SB_EPROTOCOL,
 * in err too. */
int wire_refuse_rc(struct sb_err *err, int rc);

/*
 * Reads the record state j into r (initialised by the caller); refuses
 * what record_from_json refuses and a state with no history (empty vv).
 */
int wire_record(struct record *r, const cJSON *j, struct sb_err *err);

/*
 * The tree-less path (wire_sax.c): checks body as wire_parse_spans does
 * (size, UTF-8, NUL bytes, json_strict_parse with sp, which may be NULL)
 * and hands each event to fn, e->ok false if cJSON would not read it as
 * yajl did (jcanon_token_ok). Returns the refusals of those checks and of
 * text after the value that cJSON refuses (SB_EPROTOCOL or SB_ENOMEM); the
 * consumer keeps its own.
 */
struct json_event;
typedef void (*wire_sax_fn)(void *ctx, const struct json_event *e);
int wire_sax_run(const char *body, size_t len, const char *what,
                 struct json_spans *sp, wire_sax_fn fn, void *ctx,
                 struct sb_err *err);

#endif
