/*
 * jcanon.h - canonical JSON text straight from json_strict_parse's events,
 * with no tree: the bytes json_canon (json.h) prints for the same value
 * after json_parse (object keys sorted by strcmp, cJSON's string escapes,
 * json_print's numbers), and its refusals of what cJSON would not read
 * back (duplicate keys, unpaired UTF-16 surrogates in \u escapes).
 */
#ifndef SAMBANG_JCANON_H
#define SAMBANG_JCANON_H

#include "compat.h"

#include "buf.h"
#include "err.h"
#include "json_strict.h"

struct jcanon;

/* A new encoder (NULL on ENOMEM); jcanon_free releases it. */
struct jcanon *jcanon_new(void);
void jcanon_free(struct jcanon *c);

/* Starts a new value: the next event fed is its first. */
void jcanon_begin(struct jcanon *c);

/*
 * Feeds one event of the value: 1 when it was the value's last (the text
 * is ready), 0 to go on, SB_EJSON on a duplicate key, SB_ENOMEM.
 */
int jcanon_feed(struct jcanon *c, const struct json_event *e);

/* The value's canonical text (NUL-terminated, owned by c). */
const char *jcanon_text(const struct jcanon *c, size_t *len);

/*
 * The canonical text of a value that is the string s[0..n) (a
 * JSON_EV_STRING event's bytes), as jcanon_text would hold it, malloc'd;
 * NULL on ENOMEM. One allocation, no jcanon: most values are strings.
 */
char *jcanon_string_dup(const char *s, size_t n);

/*
 * True if cJSON reads event e of text as yajl did: a string or key whose
 * \u escapes pair UTF-16 surrogates (checked only when has_u: text has a
 * "\u"); any other event.
 */
bool jcanon_token_ok(const char *text, const struct json_event *e, bool has_u);
/* True if text[0..len) holds a backslash followed by 'u' (jcanon_token_ok's
 * has_u), found with memchr: it runs once per body and per stored state. */
bool jcanon_has_u_escape(const char *text, size_t len);
/* True if every surrogate escape of the JSON text text[0..len) is paired
 * as cJSON requires: then text that yajl accepts, cJSON reads too, and a
 * parse of it that fails ran out of memory. */
bool jcanon_escapes_ok(const char *text, size_t len);

/*
 * Adds key s[0..n) to the set kept in b (the keys of one object); 1 if it
 * was new, 0 if already there (a duplicate), SB_ENOMEM.
 */
int jcanon_key_add(struct buf *b, const char *s, size_t n);

/*
 * If the number literal t[0..n) is an integer in [min, max] as json_is_int
 * reads it (strtod, finite, integral, within +-2^53), stores it in *out.
 */
bool jcanon_int(const char *t, size_t n, int64_t min, int64_t max,
                uint64_t *out);

#endif
