/*
 * json.h - canonical JSON on top of cJSON.
 *
 * Canonical form: object keys sorted by strcmp (recursively), no whitespace,
 * cJSON's number printing. Two replicas that hold the same value print the
 * same bytes, which is what makes exports comparable.
 */
#ifndef SAMBANG_JSON_H
#define SAMBANG_JSON_H

#include "compat.h"

#include "err.h"

#include <cjson/cJSON.h>

/* Largest record or input line we accept: 1 MiB. */
#define SB_RECORD_MAX (1024 * 1024)

/* Sorts the keys of every object inside j, in place. */
void json_sort_keys(cJSON *j);

/*
 * Unformatted text of j, every number printed so it reads back exactly
 * (cJSON alone prints 2^53 as 9.00719925474099e+15); malloc'd, or NULL.
 */
char *json_print(cJSON *j);

/* As json_print into buf[0..size); false if it does not fit (or ENOMEM). */
bool json_print_into(cJSON *j, char *buf, size_t size);

/* Canonical text of j (keys sorted in place first); malloc'd, or NULL. */
char *json_canon(cJSON *j);

/*
 * Parses text[0..len) (need not be NUL-terminated) after checking it is
 * valid UTF-8 and passes json_strict_check (no NUL in strings, numbers kept
 * exactly, containers of at most JSON_MAX_ELEMENTS, JSON_MAX_DEPTH deep).
 * On error returns NULL and sets err (SB_EUTF8, SB_EJSON or SB_ENOMEM, with
 * the byte offset) and what names the input in the message.
 */
cJSON *json_parse(const char *text, size_t len, const char *what,
                  struct sb_err *err);

/*
 * As json_parse, for text that is part of a text that passed json_parse's
 * checks already (UTF-8, no NUL byte, json_strict_check): a whole value of
 * it, e.g. one element found by json_strict_check's spans. Skips them.
 */
cJSON *json_parse_checked(const char *text, size_t len, const char *what,
                          struct sb_err *err);

/*
 * Parses text the project holds as valid JSON already (a record's field
 * value, decoded and checked when it came in, or printed by json_print):
 * cJSON reads any such text, so a NULL from it means memory ran out.
 * 0 and *out (cJSON_Delete it), or SB_ENOMEM and *out NULL: never read
 * as "not a string" or "absent", which would change what the value means.
 */
int json_parse_held(const char *text, cJSON **out);

/*
 * cJSON's allocations, watched: once json_memory_watch has run (at a
 * program's start, before any thread), every allocation cJSON makes that
 * fails is noted for the thread that made it. A reply built from many
 * cJSON calls checks json_memory_failed once, before it is kept or sent,
 * instead of each call: a member that could not be added is never sent
 * as a reply that lacks it. json_memory_reset starts a thread's count
 * over (at a request's start).
 */
void json_memory_watch(void);
void json_memory_reset(void);
bool json_memory_failed(void);

/*
 * After cJSON failed to parse text[0..len) that may be damaged (a setting
 * read back from a store): SB_ENOMEM if the text is sound JSON (cJSON ran
 * out of memory, which must not be taken for damage), else SB_EJSON.
 */
int json_parse_failure(const char *text, size_t len);

/*
 * If text is a canonical JSON string literal with no escape in it (the
 * common case of a stored value: canonical text escapes only what must
 * be), copies its characters into out[size] and returns true; false for
 * anything else (another type, an escape, too long for out), which the
 * caller then parses. Saves a parse where only a short string is wanted.
 */
bool json_plain_string(const char *text, char *out, size_t size);

/* True if j is a JSON number holding an integer in [min, max]. */
bool json_is_int(const cJSON *j, int64_t min, int64_t max);

#endif
