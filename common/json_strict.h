/*
 * json_strict.h - a validating pass over JSON text, before cJSON sees it.
 *
 * cJSON loses some values without a word: a string is cut at an escaped
 * NUL ("a\u0000b" becomes "a"), a number that overflows a double becomes
 * null on printing, an integer beyond 2^53 is rounded. It also builds a tree
 * of any size. This pass reads the text with yajl (numbers as text, string
 * lengths) and refuses those values, and containers too large or too deep,
 * before any tree is built: whatever it accepts, cJSON parses and prints
 * back without a change.
 */
#ifndef SAMBANG_JSON_STRICT_H
#define SAMBANG_JSON_STRICT_H

#include "compat.h"

#include "err.h"

/* At most this many elements in one array or members in one object. */
#define JSON_MAX_ELEMENTS 10000
/* At most this deep (arrays and objects nested in one another). */
#define JSON_MAX_DEPTH 64
/* Integers are exact up to this magnitude (2^53); larger ones are refused. */
#define JSON_INT_MAX_TEXT "9007199254740992"

/* Byte range [off, off + len) of the text. */
struct json_span {
  size_t off;
  size_t len;
};

/*
 * Optional: report where the elements of the array that is the root
 * object's member `key` lie (e.g. "records"), so a caller can build one
 * element's tree at a time. Each element's text must be at most span_max
 * bytes, and there may be at most max_spans of them.
 */
struct json_spans {
  const char *key;
  size_t span_max;
  size_t max_spans;
  struct json_span *spans; /* out: malloc'd, the caller frees */
  size_t n;                /* out */
  size_t bad;              /* out: on refusal, index of the element at
                              fault (too big, or a hazard inside), or
                              SIZE_MAX (the fault is outside them) */
};

/*
 * Checks text[0..len) (valid UTF-8 already checked by the caller, or not:
 * yajl checks it too). Refuses, with SB_EJSON and a message naming the
 * hazard and its byte offset (what names the input): a NUL in a string or
 * key, a number that is not finite as a double (1e999) or a non-zero one
 * that rounds to zero (1e-999), an integer literal beyond +-2^53, a
 * container over JSON_MAX_ELEMENTS or deeper than JSON_MAX_DEPTH, and any
 * syntax error. spans may be NULL. SB_ENOMEM on allocation failure.
 */
int json_strict_check(const char *text, size_t len, const char *what,
                      struct json_spans *spans, struct sb_err *err);

/* One SAX event of the text, as the strict pass passed it on. */
enum json_ev {
  JSON_EV_NULL,
  JSON_EV_BOOL,
  JSON_EV_NUMBER, /* s[0..n): the literal as written */
  JSON_EV_STRING, /* s[0..n): the decoded bytes (no NUL) */
  JSON_EV_KEY,    /* as JSON_EV_STRING */
  JSON_EV_START_MAP,
  JSON_EV_END_MAP,
  JSON_EV_START_ARRAY,
  JSON_EV_END_ARRAY
};
struct json_event {
  enum json_ev ev;
  const char *s;
  size_t n;
  bool b;    /* JSON_EV_BOOL */
  bool ok;   /* false if cJSON would not read the token as yajl did (a
                string or key with a lone surrogate escape: jcanon.h) */
  size_t at; /* offset just past the event's token (a string's closing
                quote, a container's bracket) */
};

/*
 * A consumer of the events of json_strict_parse. fn sees each event after
 * the strict checks passed it; it cannot stop the pass (it notes its own
 * refusal and ignores the rest), so the strict pass always sees the whole
 * text and its refusals come first, as when it ran alone.
 */
struct json_sink {
  void (*fn)(void *ctx, const struct json_event *e);
  void *ctx;
};

/*
 * json_strict_check that also hands every event to sink (may be NULL).
 * Unlike cJSON, it takes \f and \v, and an unfinished string, after the
 * value: a caller that must refuse what json_parse refuses checks the
 * text after the root value (json_strict_tail_ok from *root_end, where
 * the root value ended: set when root_end is not NULL and the value was
 * complete, else left as it was).
 */
int json_strict_parse(const char *text, size_t len, const char *what,
                      struct json_spans *spans, const struct json_sink *sink,
                      size_t *root_end, struct sb_err *err);

/* True if text[end..len) is only what json_parse takes after a value. */
bool json_strict_tail_ok(const char *text, size_t end, size_t len);

#endif
