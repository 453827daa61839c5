/*
 * schema.h - the outreach data schema (deploy/schema.json).
 *
 * The office keeps the schema in one readable JSON file. It defines
 * collections and their fields, with a type each:
 *   string (max length), bool, int (min/max), date (YYYY-MM-DD),
 *   enum (one of "values"), enum_list (a non-empty array of distinct
 *   "values"), ref (the id of a record of collection "ref").
 * A field may be "required" (must be present once the record is written)
 * and "personal" (may be stored only while the collection's "consent"
 * field is true). A collection may name a string field as its "label":
 * what shows a record of it to people beside its id and what a ref option
 * may search by ("Ibu Sari" for a beneficiary). "option" names the CLI option
 * of the domain commands (default: the field name with '_' as '-'), "help"
 * describes it. Collections the schema does not define are free-form.
 */
#ifndef SAMBANG_SCHEMA_H
#define SAMBANG_SCHEMA_H

#include "compat.h"

#include "err.h"

#include <cjson/cJSON.h>

enum schema_type {
  SCHEMA_STRING,
  SCHEMA_BOOL,
  SCHEMA_INT,
  SCHEMA_DATE,
  SCHEMA_ENUM,
  SCHEMA_ENUM_LIST,
  SCHEMA_REF
};

/* A help text, in several languages if the schema gives them
 * (schema_help.c): "help" is a string, or {"en": ..., "id": ...}. */
struct schema_help_text {
  char lang[8]; /* "id", "en", "pt_BR" */
  char *text;
};
struct schema_help {
  char *text; /* the string, or the "en" text; NULL: none */
  struct schema_help_text *v;
  size_t n;
};

/* The help text (or title) in language lang ("id", "id_ID"...; NULL: the
 * default), else the default (English) one; NULL if there is none. */
const char *schema_help_in(const struct schema_help *h, const char *lang);

/* The labels of an enum's values in one language (schema_labels.c). */
struct schema_labels {
  char lang[8]; /* "id", "en", "pt_BR" */
  char **text;  /* indexed like values; NULL: no label for that value */
};

struct schema_field {
  char *name;
  enum schema_type type;
  bool required;
  bool personal;
  char *option; /* CLI option name without "--" */
  struct schema_help help;
  struct schema_help title; /* what people call it; none: its name */
  char **values;            /* enum and enum_list */
  size_t nvalues;
  struct schema_labels *labels; /* per language (enum, enum_list) */
  size_t nlabels;
  char *ref;        /* ref: the referenced collection */
  int64_t min, max; /* int: bounds; string: max length in max */
};

struct schema_collection {
  char *name;
  struct schema_help help;
  struct schema_help title; /* what people call it; none: its name */
  char *consent;            /* the consent field, or NULL */
  char *label;              /* the string field that names a record, or NULL */
  /* Scope (schema_scope.c): which devices hold its records. scope_field: an
   * enum field whose value is the record's scope part ("kecamatan");
   * scope_follows: a ref field, the record is where the one it refers to
   * is ("beneficiary"). Both NULL: unscoped, every device holds it. */
  char *scope_field;
  char *scope_follows;
  struct schema_field *fields;
  size_t nfields;
};

struct schema {
  struct schema_collection *c;
  size_t nc;
};

/* The schema compiled into the binaries (deploy/schema.json). */
extern const char schema_default_text[];

/*
 * Parses schema text. Refuses malformed schemas with SB_ESCHEMA and a
 * message naming the bad collection/field. *out is malloc'd.
 */
int schema_parse(const char *text, struct schema **out, struct sb_err *err);

/*
 * Reads the schema file at path ("-": standard input) for `init --schema`
 * into a malloc'd *text, checked by schema_parse: at most SB_RECORD_MAX
 * bytes, no NUL byte (the text is kept as a C string), a UTF-8 byte
 * order mark at its start left out (Windows editors save one; RFC 8259
 * lets a parser ignore it). Errors name the file.
 */
int schema_file_read(const char *path, char **text, struct sb_err *err);

/* Frees a schema (NULL is fine). */
void schema_free(struct schema *s);

/* The collection called name, or NULL if the schema leaves it free-form. */
const struct schema_collection *schema_collection(const struct schema *s,
                                                  const char *name);

/*
 * What people see for value of enum field f in language lang ("id",
 * "id_ID"...; NULL: none): its label in lang, else its English ("en")
 * label, else value itself (also for a value the field does not list).
 */
const char *schema_label(const struct schema_field *f, const char *value,
                         const char *lang);

/* Bytes schema_show_text writes at most (its terminating NUL included). */
#define SCHEMA_SHOWN_SIZE 72
/* s as a message shows a value it refuses: a quoted JSON string, cut at
 * 60 bytes (at a character's start) and "..." added. */
void schema_show_text(const char *s, char *out, size_t size);

/* The values of an enum or enum_list field joined by ", " for a message,
 * into out[size]: as the schema's own messages list them ("allowed: ..."),
 * cut at a whole value with "..." once long. */
void schema_values_text(const struct schema_field *f, char *out, size_t size);

/* The field called name in c, or NULL. */
const struct schema_field *schema_field(const struct schema_collection *c,
                                        const char *name);

/*
 * Checks the fields a write sets (a JSON object) against c: unknown fields,
 * wrong types, values outside an enum, unparseable dates, over-long strings.
 * Enum values that match case-insensitively are rewritten in place to the
 * schema's spelling. SB_ESCHEMA with a message that names the field, the bad
 * value and (for enums) the allowed values.
 */
int schema_check_write(const struct schema_collection *c, cJSON *fields,
                       struct sb_err *err);

/* schema_check_write's check of one field: name set to v (JSON null
 * clears it). */
int schema_check_field(const struct schema_collection *c, const char *name,
                       cJSON *v, struct sb_err *err);

/*
 * True if the canonical JSON text of a value of field name passes c the
 * plain way (no enum respelling, no message): true, false, or a string
 * without escapes, of the field's type, size and spelling; decided from
 * the text, with no parse. False says only "not decided here": the
 * caller checks the value with schema_check_field.
 */
bool schema_value_text_ok(const struct schema_collection *c, const char *name,
                          const char *text);

/*
 * Checks a record's values after the write (a JSON object of winner
 * values): required fields present, personal fields only with consent.
 */
int schema_check_record(const struct schema_collection *c, const cJSON *values,
                        struct sb_err *err);

struct record;
struct dot;

/*
 * Whether the merged state r of a record of collection c needs a person's
 * review: 1 if its winner values break a rule of schema_check_record (a
 * required field missing, personal details without consent), with the
 * rules broken in words in why[0..len) ("missing required field
 * \"groups\""); 0 if not, and always for a deleted record or c == NULL.
 * Computed from the state alone, so replicas holding it agree.
 */
int schema_review(const struct schema_collection *c, const struct record *r,
                  char *why, size_t len);

/*
 * True unless c has a consent field and no surviving value of it in r is
 * true (every one false, or none at all: a delete met an edit).
 */
bool schema_consented(const struct schema_collection *c,
                      const struct record *r);

/*
 * Consent withdrawal wins: when r is not schema_consented, drops every
 * entry of c's personal fields from r, and otherwise those that a
 * withdrawal r holds erases (written without having seen it: record.h,
 * record_withdrawn). r's vv still covers their dots, so any replica that
 * holds them drops them when it merges r. Part of every read-merge-write
 * (update_apply), so all replicas apply it alike. c NULL: nothing.
 * Returns the number of entries dropped.
 */
int schema_normalise(const struct schema_collection *c, struct record *r);

/* True if schema_normalise would drop the entry of dot d of field from r
 * (field personal in c, and r not consented or d withdrawn). */
bool schema_erases(const struct schema_collection *c, const struct record *r,
                   const char *field, const struct dot *d);

/* True if schema_normalise would leave r as it is. */
bool schema_normal(const struct schema_collection *c, const struct record *r);

/*
 * After a local write at dot d (the put or delete r just took): if it
 * withdrew consent (wrote c's consent field with a value other than true,
 * or deleted a record of a collection with one: deleted), notes it in r
 * (record_withdraw). SB_ENOMEM or 0.
 */
int schema_note_withdrawal(const struct schema_collection *c, struct record *r,
                           const struct dot *d, bool deleted);

/*
 * After a write of fields (a JSON object) left the record as next: a value
 * it set that next does not hold was dropped by schema_normalise, as
 * consent is not given. SB_ESCHEMA naming the field (the write must be
 * refused, never dropped silently); 0 if every value was kept or c has no
 * consent field.
 */
int schema_check_kept(const struct schema_collection *c, const cJSON *fields,
                      const struct record *next, struct sb_err *err);

/*
 * Converts a CLI option argument to the JSON value of field f ("yes" to
 * true, "3" to 3, "a,b" to ["a","b"] for enum_list...). NULL with
 * SB_ESCHEMA on a value that does not parse.
 */
cJSON *schema_value_from_arg(const struct schema_field *f, const char *arg,
                             struct sb_err *err);

#endif
