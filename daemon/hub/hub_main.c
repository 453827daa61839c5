/*
 * hub_main.c - `sambang-hub`, the central office's hub.
 *
 *   sambang-hub [--db PATH] COMMAND ...
 *
 * The store is --db PATH, else $SAMBANG_HUB_DB. Exit codes follow the
 * sambang CLI: 0 ok, 1 failure, 2 usage, 3 not found, 4 invalid input,
 * 5 locked, 6 store unusable. Errors go to stderr in one line.
 */
#include "compat.h"

#include "hub_cmd.h"

#include "auth.h"
#include "date.h"
#include "exitcode.h"
#include "json.h"
#include "hlc.h"
#include "hub_proxy.h"
#include "hub_server.h"
#include "hub_store.h"
#include "log.h"
#include "office.h"
#include "schema.h"
#include "service.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#define DB_ENV "SAMBANG_HUB_DB"

#ifndef SAMBANG_VERSION
#define SAMBANG_VERSION "unknown"
#endif

static const char *const usage_main = N_(
    "usage: sambang-hub [--db PATH] COMMAND [ARGS]\n"
    "       sambang-hub --version\n"
    "\n"
    "The central hub of sambang: field devices push their records to it and\n"
    "pull everyone else's. The store is --db PATH, else $SAMBANG_HUB_DB.\n"
    "\n"
    "commands:\n"
    "  init [--schema FILE]      create the hub's store\n"
    "  serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
    "                            serve the sync protocol over HTTP(S)\n"
    "  export [--csv COLLECTION [FILTER]... [--personal]]\n"
    "                            print every record (JSON Lines), or one\n"
    "                            collection as CSV (as the dashboard's)\n"
    "  conflicts [--values|--no-values]\n"
    "                            list records in conflict (with the\n"
    "                            competing values and their devices)\n"
    "  check                     full integrity check of the store\n"
    "  device add NAME --scope all|PART[,PART...]\n"
    "                            enrol a device; prints its token\n"
    "  device list               list devices (with their scopes)\n"
    "  device scope NAME --set SCOPE\n"
    "                            change a device's scope\n"
    "  device rotate NAME        a new token (the old one stops at once)\n"
    "  device revoke NAME        refuse a device's token from now on\n"
    "  purge --older-than DAYS   remove tombstones every device has pulled\n"
    "  compact                   rewrite the records: erased values leave\n"
    "                            the files (PostgreSQL), free room returns\n"
    "  restored                  after putting back a copy of the store:\n"
    "                            devices push everything again\n"
    "  held                      pushes held aside until the devices whose\n"
    "                            writes they carry push theirs\n"
    "  user add NAME --role R    add an office user (password: stdin)\n"
    "  user list | remove NAME | passwd NAME\n"
    "                            office users of the dashboard\n"
    "  migrate --from PATH --to URI\n"
    "                            copy a hub store into a new PostgreSQL one\n"
    "\n"
    "Run `sambang-hub COMMAND --help` for the options of a command.\n");

static const char *const usage_migrate = N_(
    "usage: sambang-hub migrate --from PATH --to URI\n"
    "\n"
    "Copies the hub store PATH (SQLite) into a new store at URI\n"
    "(postgresql://...): the hub's replica id and schema, every record at\n"
    "its feed number (the cursors devices hold stay valid), every device\n"
    "with its token hash, binding and revocation. Devices carry on without\n"
    "re-enrolling and pull nothing twice. Refuses a URI that holds a store.\n");

static const char *const usage_init =
    N_("usage: sambang-hub [--db PATH] init [--schema FILE]\n"
       "\n"
       "Creates the hub's store with a new replica id. The schema (the\n"
       "collections and fields pushes are checked against) is FILE, else the\n"
       "one built in (deploy/schema.json). Refuses an existing store.\n");

static const char *const usage_export =
    N_("usage: sambang-hub [--db PATH] export\n"
       "       sambang-hub [--db PATH] export --csv COLLECTION [FILTER]...\n"
       "                                   [--personal]\n"
       "\n"
       "Prints every record, tombstones included, as canonical JSON Lines\n"
       "sorted by (collection, id): the same format as `sambang export`, so\n"
       "replicas that have seen the same writes print the same bytes.\n"
       "--csv: the live records of COLLECTION as CSV, byte for byte what the\n"
       "dashboard's GET /export/COLLECTION.csv gives with the same filters\n"
       "(UTF-8 with a BOM, one column per schema field, lists joined with\n"
       "\"; \"); personal fields only with --personal. FILTER, as the\n"
       "dashboard's: --kecamatan NAME, --group VALUE, --programme VALUE,\n"
       "--from YYYY-MM-DD, --to YYYY-MM-DD (on the record's date), --search\n"
       "TEXT (in the id or a value that is not personal), --conflict,\n"
       "--review; a visit has its beneficiary's kecamatan and groups. A\n"
       "kecamatan, group or programme the schema does not have is refused.\n");

static const char *const usage_check = N_(
    "usage: sambang-hub [--db PATH] check\n"
    "\n"
    "Runs SQLite's full integrity check on the hub's store, then reads every\n"
    "record state, and prints \"ok\", or each problem found, one per line.\n"
    "Exit 0 when the store is sound\n"
    "(a corruption mark left by an earlier failure is then removed and the\n"
    "hub takes writes again), 6 when it is corrupt: restore the store from a\n"
    "backup. `serve` runs a quick check at start, bounded by\n"
    "$SAMBANG_CHECK_MS (default 2000 ms; 0 skips it); a corrupt store is\n"
    "served read-only, with /v1/health answering 503.\n"
    "On PostgreSQL (the database keeps its own pages sound) check looks at\n"
    "the hub's data in it: the schema version, the hub's replica id and\n"
    "schema, the feed counter at or above every record's number, every\n"
    "device row (name, token hash, replica id, scope) and every record\n"
    "state; exit 6 lists each problem.\n");

/* --- commands ---------------------------------------------------------- */

static int hub_cmd_init(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs = NULL;
  const char *schema_path = NULL;
  char *schema_text = NULL;
  int i, rc;

  for (i = 0; i < argc; i++) {
    if (hub_cmd_is_help(argv[i])) {
      fputs(_(usage_init), stdout);
      return 0;
    }
    if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc)
      schema_path = argv[++i];
    else
      return hub_cmd_usage_error(usage_init, "init: unexpected argument %s",
                                 argv[i]);
  }
  if (schema_path != NULL) {
    rc = schema_file_read(schema_path, &schema_text, &err);
    if (rc != 0)
      return hub_cmd_fail(rc, &err);
  }
  rc = hub_store_create(db, schema_text ? schema_text : schema_default_text,
                        &hs, &err);
  free(schema_text);
  if (rc != 0)
    return hub_cmd_fail(rc, &err);
  printf("%s\n", hub_store_replica(hs));
  hub_store_close(hs);
  return 0;
}

static int print_record(const struct record *r, uint64_t seq, void *ctx)
{
  char *text = record_encode(r);
  (void)seq;
  (void)ctx;
  if (text == NULL)
    return SB_ENOMEM;
  fputs(text, stdout);
  fputc('\n', stdout);
  free(text);
  return 0;
}

/* The filter options of export --csv (the dashboard's query names), the
 * --personal flag, from argv[0..argc); a usage error names the bad one. */
static int export_csv_options(int argc, char **argv, struct office_filter *f,
                              bool *personal)
{
  const struct {
    const char *opt;
    const char **to;
  } texts[] = {
      {"--kecamatan", &f->kecamatan},
      {"--group", &f->group},
      {"--programme", &f->programme},
      {"--from", &f->from},
      {"--to", &f->to},
      {"--search", &f->text},
  };
  int i;
  size_t k;

  for (i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--personal") == 0) {
      *personal = true;
    } else if (strcmp(a, "--conflict") == 0) {
      f->conflict = true;
    } else if (strcmp(a, "--review") == 0) {
      f->review = true;
    } else {
      for (k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
        if (strcmp(a, texts[k].opt) == 0)
          break;
      if (k == sizeof(texts) / sizeof(texts[0]))
        return hub_cmd_usage_error(usage_export,
                                   "export: unexpected argument %s", a);
      if (i + 1 >= argc || argv[i + 1][0] == '\0')
        return hub_cmd_usage_error(usage_export, "export: %s needs a value", a);
      if (*texts[k].to != NULL)
        return hub_cmd_usage_error(usage_export, "export: %s is given twice",
                                   a);
      if ((texts[k].to == &f->from || texts[k].to == &f->to) &&
          !date_valid(argv[i + 1]))
        return hub_cmd_usage_error(
            usage_export,
            "export: %s takes a date YYYY-MM-DD that exists, not \"%.40s\"", a,
            argv[i + 1]);
      *texts[k].to = argv[++i];
    }
  }
  return 0;
}

/* export --csv COLLECTION [FILTERS] [--personal] */
static int export_csv(const char *db, const char *collection, int argc,
                      char **argv)
{
  struct office_filter f = {.collection = collection};
  struct sb_err err = {0};
  struct hub_store *hs;
  bool personal = false;
  char *text = NULL;
  size_t len = 0;
  int rc = export_csv_options(argc, argv, &f, &personal);

  if (rc != 0)
    return rc;
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc = office_filter_check(hub_store_schema(hs), &f, &err);
  if (rc == 0)
    rc = office_csv_export(hs, &f, personal, &text, &len, &err);
  hub_store_close(hs);
  if (rc == 0 && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0))
    rc = sb_err_set(&err, SB_EIO, "cannot write the export: %s",
                    strerror(errno));
  free(text);
  return rc != 0 ? hub_cmd_fail(rc, &err) : 0;
}

static int hub_cmd_export(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  int rc;

  if (argc > 0 && hub_cmd_is_help(argv[0])) {
    fputs(_(usage_export), stdout);
    return 0;
  }
  if (argc == 1 && strcmp(argv[0], "--csv") == 0)
    return hub_cmd_usage_error(usage_export, "export: --csv needs a COLLECTION "
                                             "(e.g. --csv visit)");
  if (argc >= 2 && strcmp(argv[0], "--csv") == 0)
    return export_csv(db, argv[1], argc - 2, argv + 2);
  if (argc > 0)
    return hub_cmd_usage_error(usage_export, "export: unexpected argument %s",
                               argv[0]);
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc = hub_store_each(hs, print_record, NULL, &err);
  hub_store_close(hs);
  if (rc == SB_ENOMEM)
    sb_err_set(&err, rc, "out of memory exporting");
  if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
    rc = sb_err_set(&err, SB_EIO, "cannot write the export: %s",
                    strerror(errno));
  return rc != 0 ? hub_cmd_fail(rc, &err) : 0;
}

static int print_problem(const char *problem, void *ctx)
{
  (void)ctx;
  printf("%s\n", problem);
  return 0;
}

static int hub_cmd_check(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs = NULL;
  bool done;
  int rc = hub_cmd_no_args("check", usage_check, argc, argv, &done);

  if (done)
    return rc;
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc =
      hub_store_check(hs, STORE_CHECK_FULL, 0, print_problem, NULL, NULL, &err);
  hub_store_close(hs);
  if (rc != 0)
    return hub_cmd_fail(rc, &err);
  printf("ok\n");
  return 0;
}

static int hub_cmd_migrate(int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *from = NULL, *to = NULL;
  const char *src = NULL, *dst = NULL;
  uint64_t records = 0, devices = 0;
  int i, rc;

  for (i = 0; i < argc; i++) {
    if (hub_cmd_is_help(argv[i])) {
      fputs(_(usage_migrate), stdout);
      return 0;
    }
    if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
      src = argv[++i];
    else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
      dst = argv[++i];
    else
      return hub_cmd_usage_error(usage_migrate,
                                 "migrate: unexpected argument %s", argv[i]);
  }
  if (src == NULL || dst == NULL)
    return hub_cmd_usage_error(usage_migrate, "migrate: give --from and --to");
  if (!hub_store_is_pg(dst))
    return hub_cmd_usage_error(usage_migrate,
                               "migrate: --to must be a "
                               "postgresql:// URI, not %s",
                               dst);
  rc = hub_cmd_open_store(src, &from);
  if (rc != 0)
    return rc;
  rc = hub_store_create(dst, hub_store_schema_text(from), &to, &err);
  if (rc == 0)
    rc = hub_store_copy(from, to, &records, &devices, &err);
  hub_store_close(to);
  hub_store_close(from);
  if (rc != 0)
    return hub_cmd_fail(rc, &err);
  printf("copied %llu records and %llu devices\n", (unsigned long long)records,
         (unsigned long long)devices);
  return 0;
}

/* --- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
  const char *db = getenv(DB_ENV);
  const char *cmd;
  int i = 1;

  i18n_init("sambang-hub");
  json_memory_watch(); /* the office's replies check it (office_http.c) */
  while (i < argc && argv[i][0] == '-') {
    if (hub_cmd_is_help(argv[i])) {
      fputs(_(usage_main), stdout);
      return 0;
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("sambang-hub %s\n", SAMBANG_VERSION);
      return 0;
    }
    if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
      db = argv[i + 1];
      i += 2;
    } else {
      return hub_cmd_usage_error(usage_main, "unknown option %s", argv[i]);
    }
  }
  if (i >= argc)
    return hub_cmd_usage_error(usage_main, "no command given");
  cmd = argv[i++];
  if (strcmp(cmd, "help") == 0) {
    fputs(_(usage_main), stdout);
    return 0;
  }
  if (strcmp(cmd, "migrate") == 0)
    return hub_cmd_migrate(argc - i, argv + i);
  if (db == NULL || db[0] == '\0') {
    bool help = false;
    int k;
    for (k = i; k < argc; k++)
      help = help || hub_cmd_is_help(argv[k]);
    if (!help)
      return hub_cmd_usage_error(
          usage_main, "no hub store: give --db PATH or set %s", DB_ENV);
  }
  if (strcmp(cmd, "init") == 0)
    return hub_cmd_init(db, argc - i, argv + i);
  if (strcmp(cmd, "serve") == 0)
    return hub_cmd_serve(db, argc - i, argv + i);
  if (strcmp(cmd, "export") == 0)
    return hub_cmd_export(db, argc - i, argv + i);
  if (strcmp(cmd, "conflicts") == 0)
    return hub_cmd_conflicts(db, argc - i, argv + i);
  if (strcmp(cmd, "check") == 0)
    return hub_cmd_check(db, argc - i, argv + i);
  if (strcmp(cmd, "device") == 0)
    return hub_cmd_device(db, argc - i, argv + i);
  if (strcmp(cmd, "user") == 0)
    return hub_cmd_user(db, argc - i, argv + i);
  if (strcmp(cmd, "purge") == 0)
    return hub_cmd_purge(db, argc - i, argv + i);
  if (strcmp(cmd, "compact") == 0)
    return hub_cmd_compact(db, argc - i, argv + i);
  if (strcmp(cmd, "restored") == 0)
    return hub_cmd_restored(db, argc - i, argv + i);
  if (strcmp(cmd, "held") == 0)
    return hub_cmd_held(db, argc - i, argv + i);
  return hub_cmd_usage_error(usage_main, "unknown command %s", cmd);
}
