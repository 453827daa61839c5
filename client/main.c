/*
 * main.c - `sambang`: global options, the command table, help, and the
 * one place where an error becomes a line on stderr and an exit code.
 *
 *   sambang [--db PATH] [--json] COMMAND [ARGS]
 *
 * Generic commands (put, get, ...) come from the table below; any other
 * COMMAND is looked up among the collections of the store's schema
 * (`sambang beneficiary add ...`, cmd_domain.c). The generic names are
 * reserved: a collection cannot shadow them.
 */
#include "compat.h"

#include "cli.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SAMBANG_VERSION
#define SAMBANG_VERSION "unknown"
#endif

struct command {
  const char *name;
  cmd_fn run;
  const char *args;    /* after the command word, for the usage line */
  const char *summary; /* one line for `sambang --help` */
  const char *help;    /* the rest of `sambang COMMAND --help` */
};

static int cmd_help(struct cli *cli, int argc, char **argv, struct sb_err *err);

static const struct command commands[] = {
    {"init", cmd_init,
     "[--server URL] [--token-file F | --token - | --token T] [--schema FILE] "
     "[--ca-file FILE] [--pin sha256//KEY]",
     N_("create the store; prints the replica id"),
     N_("Creates the store (and its directory) with a fresh replica id and "
        "prints the id. --server keeps the hub's address for syncing. The "
        "device's token is read from --token-file F or, with --token -, from "
        "standard input (first line); --token T also works but leaves the "
        "token in the shell history and the process list. It is kept in "
        "STORE.token (mode 0600) beside the store, never in the store file, so "
        "a copy of the store alone does not hand it over. --schema uses an "
        "edited copy of the data schema instead of the built-in one (it is "
        "checked first). An https:// hub's certificate is verified (chain, "
        "host name, dates) against the system's CAs, or against --ca-file "
        "FILE, an office's own CA (PEM), which is kept in the store; --pin "
        "also requires the hub's public key to be the one given "
        "(sha256//BASE64, see deploy/make-certs.sh). Plain http:// is used "
        "only to this machine (localhost). Refuses to touch an existing "
        "store.")},
    {"put", cmd_put, "COLLECTION ID JSON_OBJECT",
     N_("set fields of a record; prints the id"),
     N_("Sets the fields given in JSON_OBJECT (e.g. '{\"name\":\"Siti\"}') and "
        "leaves the others. JSON_OBJECT - reads it from standard input; ID new "
        "makes a fresh id. A null value clears a field. Collections the schema "
        "defines are checked against it.")},
    {"get", cmd_get, "COLLECTION ID", N_("print a record's values"),
     N_("Prints the record's values as one line of canonical JSON. With "
        "--json: the full state (version vector, every field's entries with "
        "their dots and timestamps, tombstones) plus \"values\" and "
        "\"conflict\".")},
    {"rm", cmd_rm, "COLLECTION ID", N_("delete a record; prints the id"),
     N_("Deletes the record. The delete covers what this device has seen: an "
        "edit made elsewhere that it had not seen keeps the record alive, "
        "flagged as a conflict.")},
    {"list", cmd_list, "COLLECTION [--where FIELD=VALUE]...",
     N_("list the live records of a collection"),
     N_("Prints ID<TAB>values for each live record, in id order (--json: JSON "
        "Lines {\"conflict\",\"id\",\"values\"}). --where FIELD=VALUE keeps "
        "records whose FIELD is VALUE: text compares as text, other values as "
        "JSON (--where willing=true); a list matches when one of its items "
        "does. Several --where must all match. On a collection of the schema, "
        "FIELD must be one of its fields and VALUE one it could hold.")},
    {"import", cmd_import, "FILE",
     N_("write JSON Lines of records, all or nothing"),
     N_("Reads JSON Lines (FILE - is standard input), one record per line: "
        "{\"collection\": C, \"id\": ID or \"new\", \"fields\": {...}}. Each "
        "line is written like put, with the same checks; blank lines are "
        "skipped. All lines are written in one transaction: a bad line "
        "(reported with its number) leaves the store unchanged. Prints how "
        "many records it wrote and, apart, how many lines changed nothing "
        "(the store held their values already; --json: "
        "{\"imported\",\"unchanged\"}).")},
    {"export", cmd_export, "[--unsynced]",
     N_("print every record's full state"),
     N_("Prints one line of canonical JSON per record, deleted ones included, "
        "in (collection, id) order. Devices that have seen the same writes "
        "print the same bytes. With --unsynced: only the records holding "
        "changes the hub has not taken (still to push, or refused), as "
        "import reads them ({\"collection\",\"fields\",\"id\"}, their "
        "values now; deleted ones are counted on standard error, not "
        "printed): how a store the hub refuses as a copy of another "
        "device's moves its changes into a store of its own enrolment.")},
    {"conflicts", cmd_conflicts, "[--values | --no-values]",
     N_("list records in conflict or refused by the hub"),
     N_("Prints COLLECTION<TAB>ID<TAB>FIELDS for each record in conflict: the "
        "fields that hold concurrent values, and (deleted) when a delete met "
        "an edit it had not seen. With --values (the default when standard "
        "output is a terminal; --no-values turns it off) each such line is "
        "followed by indented lines, one per value: \"  FIELD [N] VALUE  "
        "(device REPLICA, YYYY-MM-DD HH:MM:SS)\", N numbering the values as "
        "resolve --pick N takes them, the value reads show now marked "
        "(shown), the time the device's (in local time); and \"  (deleted)  "
        "(device REPLICA, TIME)\" for each delete that met an edit. A device "
        "is named as the hub names it (learnt at a sync, this one's own "
        "too), else by its replica id. "
        "--json prints each record's conflicting "
        "entries (value, dot, ts; entry K of a field is --pick K+1). A live "
        "record whose merged values break "
        "a rule of the schema (a required field missing after a delete met an "
        "edit, personal details while consent is not true) needs review: "
        "COLLECTION<TAB>ID<TAB>(needs review) RULE, or with --json "
        "{\"collection\",\"id\",\"review\":RULE}; every device holding the "
        "same state lists it the same way. Then each record the hub refused: "
        "COLLECTION<TAB>ID<TAB>(rejected by the hub) CODE (MEANING): MESSAGE, "
        "the code's meaning in the user's language and the hub's words, or "
        "with "
        "--json {\"collection\",\"id\",\"rejected\":{\"code\",\"message\"}}; "
        "it "
        "is not sent again until it is edited. A record whose pulled state "
        "this device could not merge (too large, or its own row unreadable) "
        "is listed the same way as (not merged on this device) merge_failed.")},
    {"resolve", cmd_resolve,
     "COLLECTION ID FIELD VALUE | --json-value JSON | --pick N",
     N_("settle a conflicting field; prints the id"),
     N_("Writes VALUE to FIELD (e.g. resolve beneficiary ID kelurahan "
        "Kranggan). The write has seen every value the field holds here, so "
        "they all give way to it, on every device once it syncs. Writing a "
        "field of a record in a delete conflict keeps the record. VALUE is "
        "read like the domain commands' options read it (yes/no, numbers, "
        "a,b for a list, a record's name or id for a ref); a JSON value of the "
        "field's own type ('\"Siti\"', '[\"anak\"]') is read as JSON, as "
        "resolve always did. In a collection the schema does not define, "
        "VALUE is JSON when it is valid JSON (1, true, '\"1\"') and a plain "
        "string otherwise. --json-value JSON always takes JSON (null clears "
        "the field). --pick N writes value N of the field as conflicts "
        "--values numbers it (read and written in one transaction).")},
    {"sync", cmd_sync,
     "[--once [--server URL] [--token T] [--config F] [--ca-file F] "
     "[--pin P]] [--progress-every S]",
     N_("sync with the hub now; prints what moved"),
     N_("Asks the running sambangd for a sync cycle and waits for it: every "
        "local change is pushed and the hub's feed is drained. Progress "
        "shows on a terminal (stderr): records pushed of those due and "
        "pulled, the share of the feed read, records per second and the "
        "time left; when stderr is not a terminal, a line of it every 10 "
        "seconds (--progress-every S, 0: none), \"sambang: sync: ...\". "
        "The last line (stdout) is \"synced: pushed N, pulled M\" (--json: "
        "one object). --once runs "
        "the cycle in this process, with the same code, when no daemon runs: "
        "the hub and token come from the store (init --server --token), then "
        "--config FILE (see deploy/sambangd.conf.example), then --server, "
        "--token, --ca-file (replaces the store's office CA) and --pin. A hub "
        "whose certificate is refused gets nothing; the reason (curl's) is "
        "on stderr. Exit 0 only when everything was pushed and the feed was "
        "drained; 7 when the cycle completed but records were refused by "
        "the hub (listed by conflicts) or are still pending (the reason is "
        "on stderr and in status); 1 when "
        "the hub could not be reached or refused the device (or, without "
        "--once, no daemon runs); 4 when no hub or token is set; 5 with --once "
        "while a sambangd syncs the store (ask it instead).")},
    {"status", cmd_status, "",
     N_("replica id, record counts, unsynced changes, conflicts"),
     N_("Prints this device's replica id, the store, its records per "
        "collection, the changes not yet pushed to the hub and the records "
        "in conflict or needing review (see conflicts), and the records kept "
        "marked rejected: refused by the hub, or pulled states this device "
        "could not merge (\"not merged on this device\"). --json prints one "
        "object (\"rejected\" counts both kinds, \"not_merged\", present "
        "when above 0, the second).")},
    {"check", cmd_check, "", N_("full integrity check of the store"),
     N_("Runs SQLite's full integrity check on the store, then reads every "
        "record (a sound page may still hold a record no writer made), and "
        "prints \"ok\", "
        "or each problem found, one per line. Exit 0 when the store is sound "
        "(a corruption mark is then removed and writes are taken again), 6 "
        "when it is corrupt: then `sambang recover`. Every command runs a "
        "quick check first, bounded by $SAMBANG_CHECK_MS (default 2000 ms; 0 "
        "skips it); once damage is seen (there, or by any read) the store "
        "refuses every write (exit 6) until check passes; the mark is the "
        "file STORE.corrupt beside it.")},
    {"recover", cmd_recover, "", N_("rebuild a damaged store from the hub"),
     N_("Copies every record that can still be read from the store (the "
        "changes not yet pushed first) into a fresh store with the same "
        "replica id, hub and token, keeps the damaged file beside it as "
        "STORE.damaged-YYYYMMDD-HHMMSS (never deleted by sambang: it holds "
        "personal values no later erasure reaches, so delete it once the "
        "recovered store is checked), then syncs with the "
        "hub from the start (like sync --once): the kept changes are pushed "
        "and everything else is pulled back. Prints what it kept, then "
        "\"synced: pushed N, pulled M\". Refused while a sambangd runs on the "
        "store (exit 5), and when the store has no hub or token to sync "
        "with (exit 4): nothing is moved then; exit 1 if the hub cannot be "
        "reached (the rebuilt store is in place: run `sambang sync --once` "
        "later).")},
    {"token", cmd_token, "set --file F | set -",
     N_("give the store a new device token"),
     N_("Replaces the device token of an existing store (after sambang-hub "
        "device rotate, or when the device was enrolled again): the first "
        "line of file F, or of standard input with -. Never from the command "
        "line. Kept in STORE.token (0600), never in the store file; a running "
        "sambangd reads it at its next start.")},
    {"help", cmd_help, "[COMMAND]", N_("help on a command"),
     N_("Prints the help of COMMAND (the same as sambang COMMAND --help).")},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
  size_t i;
  for (i = 0; i < NCOMMANDS; i++) {
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  }
  return NULL;
}

static void command_help(const struct command *c)
{
  printf(_("usage: sambang [--db PATH] [--json] %s%s%s\n\n"), c->name,
         c->args[0] != '\0' ? " " : "", c->args);
  view_wrap(stdout, _(c->help), 0, 78);
}

/*
 * The schema for help and dispatch: the store's, else (no usable store)
 * the built-in one in *fallback. NULL if neither parses.
 */
static const struct schema *dispatch_schema(struct cli *cli,
                                            struct schema **fallback,
                                            int *store_rc,
                                            struct sb_err *store_err)
{
  *store_rc = cli->db != NULL
                  ? util_schema(cli, store_err)
                  : sb_err_set(store_err, SB_EINVAL, "no store path");
  if (*store_rc == 0)
    return cli->schema;
  if (schema_parse(schema_default_text, fallback, NULL) != 0)
    return NULL;
  return *fallback;
}

static void main_help(struct cli *cli)
{
  struct schema *fallback = NULL;
  struct sb_err ignored = {0};
  const struct schema *s;
  size_t i;
  int store_rc;

  printf(
      _("usage: sambang [--db PATH] [--json] COMMAND [ARGS] [--json]\n\n"
        "Field data of the outreach team, kept in a local store that works "
        "offline.\nEvery command has --help.\n\n"
        "Global options (before COMMAND; --json may also follow it):\n"
        "  --db PATH    the store; default $SAMBANG_DB, else\n"
        "               $XDG_DATA_HOME/sambang/store.db, else\n"
        "               ~/.local/share/sambang/store.db\n"
        "  --json       machine output (JSON), errors as one JSON object\n"
        "               on stderr: {\"error\":{\"code\":NAME,\"message\":M}}\n"
        "               (an option value \"--json\": write --OPTION=--json)\n"
        "  -h, --help   this help\n"
        "  --version    the version\n\n"
        "Commands:\n"));
  for (i = 0; i < NCOMMANDS; i++) {
    printf("  %-10s %s\n", commands[i].name, _(commands[i].summary));
    if (commands[i].args[0] != '\0')
      printf("  %-10s   %s %s\n", "", commands[i].name, commands[i].args);
  }
  s = dispatch_schema(cli, &fallback, &store_rc, &ignored);
  if (s != NULL && s->nc > 0) {
    printf(_("\nRecords of the schema (sambang COLLECTION --help):\n"));
    for (i = 0; i < s->nc; i++) {
      const char *help = schema_help_in(&s->c[i].help, i18n_lang());

      printf("  %s add|edit|list|show|rm\n", s->c[i].name);
      if (help != NULL)
        view_wrap(stdout, help, 6, 78);
    }
  }
  schema_free(fallback);
  printf(
      _("\nExit codes:\n"
        "  0  success\n"
        "  1  other failure (e.g. a store already exists)\n"
        "  2  usage: unknown command or option, wrong arguments\n"
        "  3  not found (the record, or the store)\n"
        "  4  invalid input: bad JSON or UTF-8, too large, not what the "
        "schema allows\n"
        "  5  the store is locked by another writer (waited "
        "$SAMBANG_BUSY_TIMEOUT_MS,\n"
        "     default %d ms)\n"
        "  6  the store is unusable: not a sambang store, corrupt, made by a "
        "newer\n"
        "     sambang, read-only, disk full, I/O error\n"
        "  7  sync: synced, but some records were refused by the hub or "
        "are still\n"
        "     pending (sambang status says why)\n"
        "Errors are one line on stderr: sambang: MESSAGE (--json: one JSON "
        "object)\n"),
      STORE_BUSY_TIMEOUT_MS);
}

static int cmd_help(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  const struct command *c;
  struct schema *fallback = NULL;
  struct sb_err ignored = {0};
  const struct schema *s;
  const struct schema_collection *coll;
  int store_rc;

  if (argc == 1) {
    main_help(cli);
    return 0;
  }
  if (argc > 2)
    return util_usage(err, "help takes one COMMAND");
  c = find_command(argv[1]);
  if (c != NULL) {
    command_help(c);
    return 0;
  }
  s = dispatch_schema(cli, &fallback, &store_rc, &ignored);
  coll = schema_collection(s, argv[1]);
  if (coll != NULL)
    cmd_domain_help(stdout, coll, NULL);
  schema_free(fallback);
  if (coll == NULL)
    return util_usage(err, "unknown command \"%.80s\" (see sambang --help)",
                      argv[1]);
  return 0;
}

/* True if an argument after the command asks for help. */
static bool wants_help(int argc, char **argv)
{
  int i;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return true;
  }
  return false;
}

/* Runs a command that is not in the table: a collection of the schema. */
static int run_domain(struct cli *cli, int argc, char **argv,
                      struct sb_err *err)
{
  struct schema *fallback = NULL;
  const struct schema *s;
  const struct schema_collection *c;
  int store_rc, rc;

  s = dispatch_schema(cli, &fallback, &store_rc, err);
  c = record_name_valid(argv[0]) ? schema_collection(s, argv[0]) : NULL;
  if (c == NULL)
    rc = util_usage(err, "unknown command \"%.80s\" (see sambang --help)",
                    argv[0]);
  else if (wants_help(argc, argv)) {
    cmd_domain_help(stdout, c, argc > 1 ? argv[1] : NULL);
    rc = 0;
  } else if (store_rc != 0)
    rc = store_rc; /* err holds the store's error */
  else
    rc = cmd_domain(cli, c, argc, argv, err);
  schema_free(fallback);
  return rc;
}

/* Parses the global options; returns the index of the command word. */
static int global_options(struct cli *cli, int argc, char **argv,
                          const char **db, bool *help, bool *version,
                          struct sb_err *err)
{
  int i, rc;
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    const char *v = NULL;
    if (strcmp(argv[i], "--json") == 0) {
      cli->json = true;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      *help = true;
    } else if (strcmp(argv[i], "--version") == 0) {
      *version = true;
    } else if ((rc = util_opt(argc, argv, &i, "db", &v, err)) != 0) {
      if (rc < 0)
        return rc;
      if (*db != NULL)
        return util_usage(err, "--db is given twice");
      if (v[0] == '\0')
        return util_usage(err, "--db needs a path");
      *db = v;
    } else {
      char shown[UTIL_SHOWN_MAX];
      util_shown(argv[i], shown);
      return util_usage(err, "unknown option %s (see sambang --help)", shown);
    }
  }
  return i;
}

/*
 * Takes every "--json" after the global options out of argv (it is the
 * global option wherever it stands: `beneficiary list --json`); returns
 * the new argc.
 */
static int take_json(struct cli *cli, int argc, char **argv, int from)
{
  int i, o = from;
  for (i = from; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      cli->json = true;
    else
      argv[o++] = argv[i];
  }
  argv[o] = NULL;
  return o;
}

static int run(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  const struct command *c;
  const char *db = NULL;
  bool help = false, version = false;
  int first, rc;

  /* Before anything can fail, so that errors come out as JSON too. */
  argc = take_json(cli, argc, argv, 1);
  first = global_options(cli, argc, argv, &db, &help, &version, err);
  if (first < 0)
    return first;
  if (version) {
    printf("sambang %s\n", SAMBANG_VERSION);
    return 0;
  }
  rc = util_db_path(db, &cli->db, err);
  /* Help needs no store path (it shows the store's schema if there is one). */
  if (help || first == argc) {
    if (first < argc) {
      char word[] = "help";
      char *sub[] = {word, argv[first], NULL};
      return cmd_help(cli, 2, sub, err);
    }
    if (!help)
      return util_usage(err, "no command given (see sambang --help)");
    main_help(cli);
    return 0;
  }
  if (rc != 0)
    return rc;
  argc -= first;
  argv += first;
  c = find_command(argv[0]);
  if (c == NULL)
    return run_domain(cli, argc, argv, err);
  if (wants_help(argc, argv)) {
    command_help(c);
    return 0;
  }
  return c->run(cli, argc, argv, err);
}

/* The error line: "sambang: MESSAGE", control characters escaped. */
static void print_error(const char *msg)
{
  fputs("sambang: ", stderr);
  for (; *msg != '\0'; msg++) {
    unsigned char c = (unsigned char)*msg;
    if (c < 0x20 || c == 0x7f)
      fprintf(stderr, "\\x%02x", c);
    else
      fputc(c, stderr);
  }
  fputc('\n', stderr);
}

/* The --json error: {"error":{"code":NAME,"message":MSG}} on one line. */
static void print_error_json(int code, const char *msg)
{
  cJSON *j = cJSON_CreateObject();
  cJSON *e = cJSON_AddObjectToObject(j, "error");
  char *text = NULL;

  if (e != NULL &&
      cJSON_AddStringToObject(e, "code",
                              code == CLI_EUSAGE ? "USAGE"
                                                 : sb_err_name(code)) != NULL &&
      cJSON_AddStringToObject(e, "message", msg) != NULL)
    text = cJSON_PrintUnformatted(j);
  if (text != NULL)
    fprintf(stderr, "%s\n", text);
  else
    print_error(msg);
  cJSON_free(text);
  cJSON_Delete(j);
}

int main(int argc, char **argv)
{
  struct cli cli = {0};
  struct sb_err err = {0};
  int rc;

  i18n_init("sambang");
  json_memory_watch();
  rc = run(&cli, argc, argv, &err);
  /* A reading command whose cJSON calls ran out of memory may have left
   * a value, a row or a member out of what it printed: say so, never
   * exit 0. (A command that wrote keeps its 0: the write is kept, and a
   * script that tried again would write twice.) */
  if (rc == 0 && !cli.wrote && json_memory_failed())
    rc = sb_err_set(&err, SB_ENOMEM,
                    "out of memory: what was printed may be incomplete");

  /* A running daemon pushes the change within a second. */
  if (cli.wrote)
    control_client_notify(cli.db);
  util_release(&cli);
  if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
    rc = sb_err_set(&err, SB_EIO, "cannot write the output");
    if (cli.json)
      print_error_json(rc, err.msg);
    else
      print_error(err.msg);
    return EXITCODE_FAILURE;
  }
  if (rc != 0) {
    fflush(stdout);
    if (cli.json)
      print_error_json(rc, err.msg[0] != '\0' ? err.msg : sb_err_str(rc));
    else
      print_error(err.msg[0] != '\0' ? err.msg : sb_err_str(rc));
    return util_exit_code(rc);
  }
  return 0;
}
