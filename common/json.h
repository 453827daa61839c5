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

/* Canonical text of j (keys sorted in place first); malloc'd, or NULL. */
char *json_canon(cJSON *j);

/*
 * Parses text[0..len) (need not be NUL-terminated) after checking it is
 * valid UTF-8. On error returns NULL and sets err (SB_EUTF8 or SB_EJSON,
 * with the byte offset) and what names the input in the message.
 */
cJSON *json_parse(const char *text, size_t len, const char *what,
                  struct sb_err *err);

/* True if j is a JSON number holding an integer in [min, max]. */
bool json_is_int(const cJSON *j, int64_t min, int64_t max);

#endif
