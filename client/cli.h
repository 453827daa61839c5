/*
 * cli.h - what the files of the `sambang` CLI share.
 *
 * main.c parses the global options, finds the command and turns the
 * error a command returns into one line on stderr and an exit code. Each
 * cmd_*.c file holds a group of commands; a command gets its own argv
 * (argv[0] is the command word) and returns 0 or a negative code from
 * err.h, or CLI_EUSAGE for a wrong command line, with err filled.
 *
 * Every write goes through write.c: one transaction, schema checks,
 * record_put, store_put; on any error the transaction is rolled back and
 * the store is unchanged.
 */
#ifndef SAMBANG_CLI_H
#define SAMBANG_CLI_H

#include "compat.h"

#include "buf.h"
#include "err.h"
#include "exitcode.h"
#include "i18n.h"
#include "record.h"
#include "schema.h"
#include "store.h"
#include "value_view.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* A wrong command line (unknown command or option, wrong argument count). */
#define CLI_EUSAGE (-100)

/* The state of one run. */
struct cli {
  char *db;              /* path of the store (malloc'd) */
  bool json;             /* --json: machine output */
  struct store *store;   /* opened by util_open */
  struct schema *schema; /* parsed by util_schema */
  bool wrote;            /* a write committed: tell the daemon */
};

/* --- commands (argv[0] is the command word) ------------------------------ */

typedef int (*cmd_fn)(struct cli *cli, int argc, char **argv,
                      struct sb_err *err);

int cmd_init(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_put(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_get(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_rm(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_list(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_import(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_export(struct cli *cli, int argc, char **argv, struct sb_err *err);
/* export --unsynced (cmd_export_unsynced.c), on the open store. */
int export_unsynced(struct cli *cli, struct sb_err *err);
int cmd_conflicts(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_resolve(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_status(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_sync(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_check(struct cli *cli, int argc, char **argv, struct sb_err *err);
int cmd_token(struct cli *cli, int argc, char **argv, struct sb_err *err);
/* A device token (cmd_token.c): the first line of path ("-": standard
 * input), without its line end, checked (*out malloc'd); the check alone,
 * naming source in its error. */
int cli_token_read(const char *path, char **out, struct sb_err *err);
int cli_token_check(const char *token, const char *source, struct sb_err *err);
int cmd_recover(struct cli *cli, int argc, char **argv, struct sb_err *err);

/* `sambang COLL add|list|show|edit ...` for a schema collection c. */
int cmd_domain(struct cli *cli, const struct schema_collection *c, int argc,
               char **argv, struct sb_err *err);

/*
 * The value of field f given on the command line as arg: a ref field
 * (with cli) names a record this device holds (ref_resolve), others are
 * converted and checked by schema_value_from_arg. NULL with err set.
 */
cJSON *cmd_domain_value(struct cli *cli, const struct schema_field *f,
                        const char *arg, struct sb_err *err);

/* enum_label.c: arg of field f into *out (malloc'd) with each word that
 * is a label of one of its values (any language, case and accents
 * ignored) given as that value; for an enum_list each comma-separated
 * word. A word that is neither a value nor a label is SB_ESCHEMA, the
 * message listing the values with their labels. Other fields' args pass
 * unchanged. */
int enum_label_values(const struct schema_field *f, const char *arg, char **out,
                      struct sb_err *err);

/* Appends the values of enum field f to b, ", " between them, each with
 * its label in the user's language after it when it has one:
 * "child-education (Pendidikan anak)". */
void enum_label_list(struct buf *b, const struct schema_field *f);

/* schema_value_from_arg of arg given by value or label (enum_label_values). */
cJSON *cmd_value_from_arg(const struct schema_field *f, const char *arg,
                          struct sb_err *err);

/* The field that defaults to today when add does not give it, or NULL. */
const struct schema_field *
cmd_domain_today_field(const struct schema_collection *c);

/* --- domain_check.c ----------------------------------------------------- */

/* add's required options and the consent rule of add and edit, worded in
 * the options (SB_ESCHEMA), before the write checks the same rules. */
int domain_check_add(const struct schema_collection *c, const cJSON *fields,
                     struct sb_err *err);
int domain_check_edit(struct cli *cli, const struct schema_collection *c,
                      const char *id, const cJSON *fields, struct sb_err *err);

/* --- cmd_domain_help.c -------------------------------------------------- */

/* Prints the help of a domain command (sub NULL: all of them). */
void cmd_domain_help(FILE *out, const struct schema_collection *c,
                     const char *sub);

/* --- control_client.c: sambangd's control socket (CONTROL.md) --------- */

/* Gets each reply line; returns 1 to read on, 0 to stop, < 0 an error. */
typedef int (*control_line_fn)(const char *line, void *ctx);

/*
 * Sends one request line to the daemon of the store db (its socket is
 * db + ".sock") and passes reply lines to fn until it stops. SB_ENOTFOUND
 * if no daemon answers; each wait is bounded by timeout_ms.
 */
int control_client_request(const char *db, const char *request, int timeout_ms,
                           control_line_fn fn, void *ctx, struct sb_err *err);

/* Tells a running daemon about a local write (silently, within 200 ms). */
void control_client_notify(const char *db);

/* --- util.c ----------------------------------------------------------------
 */

/*
 * The store path: given (--db), else $SAMBANG_DB, else
 * $XDG_DATA_HOME/sambang/store.db, else $HOME/.local/share/sambang/store.db.
 * *out is malloc'd.
 */
int util_db_path(const char *given, char **out, struct sb_err *err);

/* Creates the missing directories above path (mode 0700). */
int util_mkdir_parents(const char *path, struct sb_err *err);

/* Removes a store's files at path (the file, -wal, -shm, .token): one this
 * run made (init), or a scratch store of recover. */
void util_remove_store(const char *path);

/* Opens cli->store (once), after a quick check (noted when clean). */
int util_open(struct cli *cli, struct sb_err *err);
/* util_open for the hot path (`sync --once`): the quick check is skipped
 * for 10 minutes after one that ran clean to its end (meta
 * check.quick_ok_ms); the corruption mark is always read. */
int util_open_hot(struct cli *cli, struct sb_err *err);

/* Parses the store's schema into cli->schema (once; opens the store). */
int util_schema(struct cli *cli, struct sb_err *err);

/* Releases what cli holds (store, schema, path). */
void util_release(struct cli *cli);

/* sb_err_set with CLI_EUSAGE. */
int util_usage(struct sb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The exit code for an error code: exitcode_from_err, CLI_EUSAGE -> 2. */
int util_exit_code(int code);

/* Room for util_shown's text. */
#define UTIL_SHOWN_MAX 400
/*
 * s as a message can quote it: its first 80 bytes, with what a terminal
 * would act on or hide escaped (control bytes, quotes and backslashes as
 * \xNN, invisible formatting such as a right-to-left override as \uNNNN),
 * "..." if cut.
 */
void util_shown(const char *s, char out[UTIL_SHOWN_MAX]);

/* SB_EINVAL unless collection and id are well formed. */
int util_check_key(const char *collection, const char *id, struct sb_err *err);

/*
 * Matches argv[*i] against option --name (as "--name VALUE" or
 * "--name=VALUE"): 1 and *value set (and *i moved past the value),
 * 0 if it is another argument, CLI_EUSAGE if the value is missing.
 */
int util_opt(int argc, char **argv, int *i, const char *name,
             const char **value, struct sb_err *err);

/*
 * The error for an argument starting with '-' that cmd does not know
 * (pointing global options such as --json to their place).
 */
int util_bad_option(const char *cmd, const char *arg, struct sb_err *err);

/* The JSON type of j in words ("array", "string", ...). */
const char *util_json_type(const cJSON *j);
/* True if code (a rejected row's reason code) is this device's own refusal
 * of a pulled state it could not merge (merge_failed), not the hub's. */
bool util_not_merged(const char *code);

/* True if s has only printable ASCII other than space (a URL, a token). */
bool util_printable(const char *s);

/* Prints j canonically on one line of stdout (sorting j's keys). */
int util_print_json(cJSON *j, struct sb_err *err);

/*
 * The --json form of a record: record_to_json plus "values" and
 * "conflict" (get, show).
 */
int util_print_record_json(const struct record *r, struct sb_err *err);

/* One line of `list`: ID<TAB>values, or {"conflict","id","values"}. */
int util_print_list_line(const struct record *r, bool json, struct sb_err *err);

/* The error for a record that does not exist or is deleted. */
int util_not_found(const char *collection, const char *id, struct sb_err *err);

/* True if cli's store holds a live (not deleted) record (collection, id). */
bool util_live(struct cli *cli, const char *collection, const char *id);

/* --- write.c ----------------------------------------------------------------
 */

/*
 * Checks the COLLECTION and ID arguments of a write and resolves the id:
 * "new" makes a fresh UUIDv7. out holds SB_ID_MAX + 1 bytes.
 */
int write_id(const char *collection, const char *given, char *out,
             struct sb_err *err);

/*
 * Sets `fields` (a JSON object, changed in place: keys sorted, enum
 * spellings fixed) on (collection, id) inside the open transaction: the
 * schema checks of the collection, record_put, store_put. must_exist:
 * SB_ENOTFOUND unless the record exists and is not deleted. On error
 * nothing is written (the caller rolls back). *written (if not NULL):
 * false if the record held these values already (nothing was written).
 */
int write_fields(struct cli *cli, const char *collection, const char *id,
                 cJSON *fields, bool must_exist, bool *written,
                 struct sb_err *err);

/* Deletes the live record (collection, id) as this replica in a
 * transaction of its own (store opened); SB_ENOTFOUND if there is none,
 * and then nothing changed. */
int write_delete(struct cli *cli, const char *collection, const char *id,
                 struct sb_err *err);

/* write_fields in a transaction of its own (store opened, schema loaded). */
int write_one(struct cli *cli, const char *collection, const char *id,
              cJSON *fields, bool must_exist, struct sb_err *err);

/* Prints the result of a write: the id, or {"collection","id"} (--json). */
int write_print(const struct cli *cli, const char *collection, const char *id,
                struct sb_err *err);

/* --- filter.c ---------------------------------------------------------------
 */

enum filter_mode {
  FILTER_WHERE, /* --where: string compare, else JSON compare; arrays: any */
  FILTER_EQUAL, /* the value equals want (canonical JSON) */
  FILTER_ALL,   /* an array value holds every element of want */
  FILTER_TEXT,  /* a string value holds want, ignoring case and accents */
  FILTER_PREFIX /* a string value starts with want */
};

struct filter {
  char field[SB_NAME_MAX + 1];
  enum filter_mode mode;
  char *as_string; /* WHERE: VALUE as a JSON string; EQUAL: want; TEXT:
                      want folded (filter_fold); PREFIX: want */
  char *as_json;   /* WHERE: VALUE parsed as JSON (canonical), or NULL */
  cJSON *want;     /* ALL: the array of wanted elements */
};

/* A --where FIELD=VALUE filter. CLI_EUSAGE on bad syntax. */
int filter_where(struct filter *f, const char *arg, struct sb_err *err);

/* A --where filter on collection c (NULL: not in the schema, nothing to
 * check): SB_ESCHEMA unless c has the field and VALUE is one it could
 * hold. */
int filter_where_check(const struct filter *f,
                       const struct schema_collection *c, struct sb_err *err);

/* A filter on field equal to (or, for an array, holding all of) value. */
int filter_value(struct filter *f, const char *field, const cJSON *value,
                 struct sb_err *err);

/* A filter on a string field holding text, ignoring case and accents. */
int filter_text(struct filter *f, const char *field, const char *text,
                struct sb_err *err);

/* A filter on a string field starting with prefix (e.g. "2026-11-"). */
int filter_prefix(struct filter *f, const char *field, const char *prefix,
                  struct sb_err *err);

/* s lower-cased with the accents of Latin letters dropped ("Éva" -> "eva"),
 * malloc'd; NULL if out of memory. */
char *filter_fold(const char *s);

/* 1 if r passes all n filters, 0 if not, SB_ENOMEM if a value could not
 * be read (never "not": a list would leave r out without a word). */
int filter_match(const struct filter *f, size_t n, const struct record *r);

/* Frees what the n filters hold. */
void filter_release(struct filter *f, size_t n);

/* --- list_ref.c: list filters through a reference ---------------------- */

/* A filter on the record a ref field points at (visit --kecamatan). */
struct ref_filter {
  const struct schema_field *ref; /* the ref field of the listed collection */
  struct filter f;                /* on the referenced record */
};

/*
 * If argv[*i] is the option of a field of a collection that c refers to
 * and c has no such option (visit: --kecamatan, --group), reads it and its
 * value into *rf: 1 (*i past the value); 0 if it is no such option; a
 * negative code for a bad value.
 */
int list_ref_opt(const struct schema *s, const struct schema_collection *c,
                 int argc, char **argv, int *i, struct ref_filter *rf,
                 struct sb_err *err);

/*
 * 1 if a list shows r: live, passing the nf filters of its own fields
 * and the nr filters of the records it refers to (cli and rf: NULL if nr
 * is 0); 0 if not; or an error, with err naming r, if a value could not
 * be read (never "not": the list would leave r out without a word).
 */
int list_shows(struct cli *cli, const struct filter *f, size_t nf,
               const struct ref_filter *rf, size_t nr, const struct record *r,
               struct sb_err *err);

/* Frees what the n filters hold. */
void list_ref_release(struct ref_filter *rf, size_t n);

/* --- ref.c: what a ref option points at -----------------------------------
 */

/*
 * The id of the live record of collection f->ref that arg names: its id,
 * a unique id prefix, or (if that collection has a "label" field) its
 * label, the same ignoring case, else holding arg. out holds SB_ID_MAX + 1
 * bytes. SB_ENOTFOUND naming arg if none matches; SB_EINVAL listing the
 * candidates if several do.
 */
int ref_resolve(struct cli *cli, const struct schema_field *f, const char *arg,
                char *out, struct sb_err *err);

/*
 * Appends what id (a value of ref field f) points at, for people:
 * " (LABEL)", " (deleted)", " (not on this device)", or nothing for a
 * record without a label. 0 or SB_ENOMEM. Needs cli's store and schema.
 */
int ref_describe(struct cli *cli, const struct schema_field *f, const char *id,
                 struct buf *b);

/*
 * What people call a collection or field (name) in tables, show and
 * status: the name itself in English (it is what commands and options
 * spell: beneficiary, --group), else its schema title in the user's
 * language ("Penerima manfaat", "Kelompok"), if it has one (view.c).
 */
const char *view_title(const struct schema_help *title, const char *name);

/* --- scope_note.c -----------------------------------------------------------
 * A word on stderr when a single-record write (put, add, edit, resolve)
 * leaves a record outside this device's scope as the hub last stated it:
 * begin before the write, end after its commit. */
struct scope_note {
  bool looked;  /* its collection has a scope field of its own */
  bool existed; /* the record was live before the write */
};
void scope_note_begin(struct cli *cli, const char *collection, const char *id,
                      struct scope_note *n);
void scope_note_end(struct cli *cli, const char *collection, const char *id,
                    const struct scope_note *n);

/* --- view.c ----------------------------------------------------------------
 */

/* view_escape, view_json_text, view_value: common/value_view.h. */

/*
 * Appends an enum value (or list of them, canonical JSON) as the schema's
 * labels of the user's language; false (b unchanged) if value is neither.
 */
bool view_labels(struct buf *b, const struct schema_field *sf,
                 const char *value);

/* A table of malloc'd cells printed with aligned columns. */
struct view_table {
  size_t ncols, nrows, cap;
  char **cells;
  bool keep[8]; /* columns (of the first 8) never cut, e.g. ids */
};

void view_table_init(struct view_table *t, size_t ncols);

/* Appends a row of ncols cells, taking them (freed on failure too). */
int view_table_add(struct view_table *t, char **row);

/* Prints the rows on stdout, cutting cells at maxw code points (maxw > 3). */
void view_table_print(const struct view_table *t, size_t maxw);

void view_table_release(struct view_table *t);

/* Prints text word-wrapped at cols columns, each line indented. */
void view_wrap(FILE *out, const char *text, size_t indent, size_t cols);

#endif
