/*
 * proto_err.h - the protocol's error codes, defined once (PROTOCOL.md,
 * "Errors").
 *
 * One table, PROTO_ERR_MAP, lists every code the hub sends or a device
 * keeps as a record's refusal reason: its enum name, its wire name, the
 * HTTP status of a whole reply refused with it (0: never a whole reply,
 * only a per-record refusal or a device's own mark), and its meaning. The
 * hub emits codes by enum; the field side parses the wire name back to the
 * enum and matches on that, never on text. A wire name this build does
 * not know (from a newer hub) parses to PROTO_ERR_UNKNOWN.
 */
#ifndef SAMBANG_PROTO_ERR_H
#define SAMBANG_PROTO_ERR_H

#include "compat.h"

/* X(NAME, wire name, HTTP status or 0, meaning) */
#define PROTO_ERR_MAP(X)                                                       \
  X(MALFORMED, "malformed", 400,                                               \
    "a body, record state or header cannot be read")                           \
  X(BAD_QUERY, "bad_query", 400, "a query parameter is out of range")          \
  X(UNAUTHORIZED, "unauthorized", 401, "no token, or an unknown token")        \
  X(REVOKED, "revoked", 403, "the token was revoked")                          \
  X(REPLICA_MISMATCH, "replica_mismatch", 403,                                 \
    "the token is bound to another replica id")                                \
  X(FORBIDDEN, "forbidden", 403,                                               \
    "the client's address may not read this path")                             \
  X(NOT_FOUND, "not_found", 404, "no such path")                               \
  X(METHOD_NOT_ALLOWED, "method_not_allowed", 405, "wrong method")             \
  X(LENGTH_REQUIRED, "length_required", 411,                                   \
    "a push without Content-Length or chunked encoding")                       \
  X(TOO_LARGE, "too_large", 413, "a request body or a record is too large")    \
  X(UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415,                     \
    "wrong Content-Type or Content-Encoding")                                  \
  X(URI_TOO_LONG, "uri_too_long", 414, "the request target is too long")       \
  X(HEADERS_TOO_LARGE, "headers_too_large", 431,                               \
    "the request's header fields are too large")                               \
  X(NOT_IMPLEMENTED, "not_implemented", 501,                                   \
    "a transfer coding the hub does not support")                              \
  X(SLOW_DOWN, "slow_down", 429, "too many requests at work")                  \
  X(INTERNAL, "internal", 500, "a hub bug")                                    \
  X(UNAVAILABLE, "unavailable", 503,                                           \
    "the hub cannot serve now (busy, full, shutting down)")                    \
  X(CURSOR_AHEAD, "cursor_ahead", 409,                                         \
    "the device's cursor is past the hub's feed: the hub's store went back "   \
    "(put back from a copy)")                                                  \
  X(COPIED_STORE, "copied_store", 409,                                         \
    "a push's chain is not the hub's: another store writes as this device "    \
    "(a copy of its store)")                                                   \
  X(SCHEMA, "schema", 0, "a value a record's push writes breaks the schema")   \
  X(FORGED_DOT, "forged_dot", 0,                                               \
    "a pushed record holds another replica's history the hub never saw")       \
  X(FORGED_ENTRY, "forged_entry", 0,                                           \
    "a pushed record changes or drops an entry it did not replace itself")     \
  X(DOT_REUSED, "dot_reused", 0,                                               \
    "a pushed record holds a dot the hub has with another value or time")      \
  X(FUTURE_TIMESTAMP, "future_timestamp", 0,                                   \
    "a record's timestamp is too far ahead of the hub's clock")                \
  X(OUT_OF_SCOPE, "out_of_scope", 0,                                           \
    "a pushed record is outside the pushing device's scope")                   \
  X(PURGED, "purged", 0,                                                       \
    "a pushed record's id was deleted and purged at the hub: it cannot "       \
    "come back")                                                               \
  X(MERGE_FAILED, "merge_failed", 0,                                           \
    "a pulled state cannot be merged into the device's store (device only)")

enum proto_err {
  PROTO_ERR_UNKNOWN = 0, /* a well-formed code this build does not know */
#define PROTO_ERR_ENUM(name, wire, status, meaning) PROTO_ERR_##name,
  PROTO_ERR_MAP(PROTO_ERR_ENUM)
#undef PROTO_ERR_ENUM
      PROTO_ERR_COUNT_
};

/* Wire names are 1..PROTO_ERR_NAME_MAX of [a-z0-9_]. */
#define PROTO_ERR_NAME_MAX 31

/* The wire name of code ("unknown" for PROTO_ERR_UNKNOWN or out of range);
 * a static string. */
const char *proto_err_name(enum proto_err code);

/* The code of a wire name; PROTO_ERR_UNKNOWN for any other text (never
 * fails; NULL is unknown too). */
enum proto_err proto_err_parse(const char *name);

/* The HTTP status of a whole reply refused with code: 0 for codes that are
 * never a whole reply (per-record or device-only), 500 for unknown. */
unsigned proto_err_status(enum proto_err code);

/* The meaning of code, for people (a static string). */
const char *proto_err_meaning(enum proto_err code);

#endif
