/*
 * schema_int.h - what the schema*.c files share and nobody else sees (the
 * public API is schema.h): limits, and the helpers that quote names and
 * show values in messages.
 */
#ifndef SAMBANG_SCHEMA_INT_H
#define SAMBANG_SCHEMA_INT_H

#include "schema.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Integers that survive a round trip through cJSON exactly: it prints
 * numbers with 15 significant digits when that reads back "close enough",
 * so 2^53 would come back as 9.00719925474099e+15.
 */
#define INT_LIMIT 999999999999999LL
/* Bytes of a bad value quoted in a message (schema.h's SCHEMA_SHOWN_SIZE
 * holds it). */
#define SHOW_MAX 60
_Static_assert(SHOW_MAX + 8 <= SCHEMA_SHOWN_SIZE, "SCHEMA_SHOWN_SIZE");
/* Bytes of a list ("allowed: ...") in a message. */
#define LIST_MAX 320

/* A comma-separated list for a message, ending in "..." once full. */
struct list {
  char s[LIST_MAX];
  size_t len;
  bool full;
};

/* Reads the "labels" of field f from its definition j (schema_labels.c);
 * where names the field in messages. */
int schema_labels_parse(struct schema_field *f, const cJSON *j,
                        const char *where, struct sb_err *err);

/* Frees f's labels. */
void schema_labels_free(struct schema_field *f);

/* True if s is a language code: ll or lll, optionally _CC. */
bool schema_lang_valid(const char *s);

/* Reads member "help" of obj into h (zeroed; absent: no help); where names
 * obj in messages (schema_help.c). */
int schema_help_parse(struct schema_help *h, const cJSON *obj,
                      const char *where, struct sb_err *err);

/* The same for member "title" (a name people read: the office
 * dashboard's headings), texts of at most 100 bytes. */
int schema_title_parse(struct schema_help *h, const cJSON *obj,
                       const char *where, struct sb_err *err);

/* Frees h's texts. */
void schema_help_free(struct schema_help *h);

/* ASCII-only case-insensitive equality (locale-independent). */
bool schema_ascii_ieq(const char *a, const char *b);

/* A name as a message can show it: quoted, non-printable bytes as \xNN. */
void schema_quote_name(const char *s, char *out, size_t size);

/* v as JSON text for a message, cut at SHOW_MAX bytes (UTF-8 safe). */
void schema_show_value(const cJSON *v, char *out, size_t size);

/* Appends item to l (", " between items; "..." once l is full). */
void schema_list_add(struct list *l, const char *item);

/* The allowed values of an enum or enum_list field, as a list. */
void schema_list_values(const struct schema_field *f, struct list *l);

/*
 * True if s is a valid calendar date YYYY-MM-DD (years 0001-9999,
 * Gregorian leap years), nothing before or after.
 */
bool schema_date_valid(const char *s);

/*
 * Reads collection c's "scope" key (absent: unscoped) into c->scope_field
 * or c->scope_follows, checking it names a field of c of the right type.
 */
int schema_scope_parse(struct schema_collection *c, const cJSON *j,
                       const char *where, struct sb_err *err);

/* After every collection is read: a followed ref must lead to a collection
 * with a scope field of its own. */
int schema_scope_check(const struct schema *s, struct sb_err *err);

#endif
