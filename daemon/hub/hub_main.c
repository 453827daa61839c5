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

#include "auth.h"
#include "exitcode.h"
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

static const char usage_main[] =
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
    "  export [--csv COLLECTION [--personal]]\n"
    "                            print every record (JSON Lines), or one\n"
    "                            collection as CSV (as the dashboard's)\n"
    "  conflicts                 list records in conflict\n"
    "  check                     full integrity check of the store\n"
    "  device add NAME           enrol a device; prints its token\n"
    "  device list               list devices\n"
    "  device revoke NAME        refuse a device's token from now on\n"
    "  user add NAME --role R    add an office user (password: stdin)\n"
    "  user list | remove NAME | passwd NAME\n"
    "                            office users of the dashboard\n"
    "  migrate --from PATH --to URI\n"
    "                            copy a hub store into a new PostgreSQL one\n"
    "\n"
    "Run `sambang-hub COMMAND --help` for the options of a command.\n";

static const char usage_migrate[] =
    "usage: sambang-hub migrate --from PATH --to URI\n"
    "\n"
    "Copies the hub store PATH (SQLite) into a new store at URI\n"
    "(postgresql://...): the hub's replica id and schema, every record at\n"
    "its feed number (the cursors devices hold stay valid), every device\n"
    "with its token hash, binding and revocation. Devices carry on without\n"
    "re-enrolling and pull nothing twice. Refuses a URI that holds a store.\n";

static const char usage_init[] =
    "usage: sambang-hub [--db PATH] init [--schema FILE]\n"
    "\n"
    "Creates the hub's store with a new replica id. The schema (the\n"
    "collections and fields pushes are checked against) is FILE, else the\n"
    "one built in (deploy/schema.json). Refuses an existing store.\n";

static const char usage_serve[] =
    "usage: sambang-hub [--db PATH] serve [OPTIONS]\n"
    "\n"
    "Serves the sync protocol (proto/PROTOCOL.md) until SIGTERM or SIGINT,\n"
    "then stops accepting, finishes the requests in flight and closes the\n"
    "store. Prints \"listening on ADDR:PORT\" once ready. One log line per\n"
    "request on stderr.\n"
    "\n"
    "  --listen ADDR:PORT     IPv4 address and port (default 127.0.0.1:8080;\n"
    "                         port 0 picks a free one)\n"
    "  --max-future-ms N      refuse timestamps more than N ms ahead of the\n"
    "                         hub's clock (default 300000, 5 min)\n"
    "  --max-inflight N       requests at work at once; more get 429\n"
    "                         (default 1024)\n"
    "  --max-conns N          open connections (default 4000); over it,\n"
    "                         --reserve-conns more are let in for\n"
    "                         /v1/health only, others get 503\n"
    "  --reserve-conns N      connections kept for health under load\n"
    "                         (default 64; 2 s head deadline, one reply)\n"
    "  --max-conns-per-addr N open connections from one client address;\n"
    "                         more are closed at once (default 256)\n"
    "  --head-timeout S       a request head must arrive within S seconds\n"
    "                         of the connection or of the previous reply;\n"
    "                         idle keep-alive connections close then too\n"
    "                         (default 20)\n"
    "  --body-min-rate B      a body must arrive at B bytes per second on\n"
    "                         average once --head-timeout passed, else the\n"
    "                         connection is closed (default 1024; 0: off)\n"
    "  --tls-cert FILE        serve HTTPS (TLS 1.2 and 1.3 only) with this\n"
    "                         PEM certificate chain, leaf first (default\n"
    "                         $SAMBANG_HUB_TLS_CERT); SIGHUP rereads it\n"
    "  --tls-key FILE         the certificate's PEM private key (default\n"
    "                         $SAMBANG_HUB_TLS_KEY; keep it mode 600)\n"
    "  --trusted-proxy A[,A]  reverse proxies (IPv4) whose X-Forwarded-For\n"
    "                         names the client in the log; from any other\n"
    "                         peer the header is ignored\n"
    "  --insecure-http        allow plain HTTP on an address other than\n"
    "                         loopback (127.x): without TLS, tokens and\n"
    "                         records cross the network in clear text\n"
    "\n"
    "Without --tls-cert the hub serves plain HTTP, on loopback only (behind\n"
    "a TLS reverse proxy: deploy/nginx/sambang-hub.conf) unless\n"
    "--insecure-http is given.\n"
    "\n"
    "Authenticated requests are checked (token, path, method, length,\n"
    "media type) from their headers before any body byte is read.\n";

static const char usage_export[] =
    "usage: sambang-hub [--db PATH] export\n"
    "       sambang-hub [--db PATH] export --csv COLLECTION [--personal]\n"
    "\n"
    "Prints every record, tombstones included, as canonical JSON Lines\n"
    "sorted by (collection, id): the same format as `sambang export`, so\n"
    "replicas that have seen the same writes print the same bytes.\n"
    "--csv: the live records of COLLECTION as CSV, byte for byte what the\n"
    "dashboard's GET /export/COLLECTION.csv gives without filters (UTF-8\n"
    "with a BOM, one column per schema field, lists joined with \"; \");\n"
    "personal fields only with --personal.\n";

static const char usage_user[] =
    "usage: sambang-hub [--db PATH] user add NAME --role admin|reviewer|viewer\n"
    "       sambang-hub [--db PATH] user passwd NAME\n"
    "       sambang-hub [--db PATH] user remove NAME\n"
    "       sambang-hub [--db PATH] user list\n"
    "\n"
    "Office users of the dashboard (not devices). add and passwd read the\n"
    "password from the first line of standard input (at least 8\n"
    "characters); the hub keeps only its Argon2id hash. A new password\n"
    "ends the user's open sessions. Viewers read, reviewers also resolve\n"
    "conflicts, admins also manage devices and export personal fields.\n"
    "list: NAME, ROLE, created (UTC), separated by tabs.\n";

static const char usage_conflicts[] =
    "usage: sambang-hub [--db PATH] conflicts\n"
    "\n"
    "Lists the records in conflict, one per line: COLLECTION, ID and the\n"
    "fields holding several values (\"(deleted)\" when a delete met an edit\n"
    "it had not seen), separated by tabs. A live record whose merged values\n"
    "break a rule of the hub's schema (a required field missing, personal\n"
    "details while consent is not true) needs review: COLLECTION, ID and\n"
    "\"(needs review) RULE\"; devices holding the same state list it alike.\n";

static const char usage_check[] =
    "usage: sambang-hub [--db PATH] check\n"
    "\n"
    "Runs SQLite's full integrity check on the hub's store and prints \"ok\",\n"
    "or each problem found, one per line. Exit 0 when the store is sound\n"
    "(a corruption mark left by an earlier failure is then removed and the\n"
    "hub takes writes again), 6 when it is corrupt: restore the store from a\n"
    "backup. `serve` runs a quick check at start, bounded by\n"
    "$SAMBANG_CHECK_MS (default 2000 ms; 0 skips it); a corrupt store is\n"
    "served read-only, with /v1/health answering 503.\n";

static const char usage_device[] =
    "usage: sambang-hub [--db PATH] device add NAME --scope all|PART[,PART...]\n"
    "       sambang-hub [--db PATH] device scope NAME --set all|PART[,...]\n"
    "       sambang-hub [--db PATH] device rotate NAME\n"
    "       sambang-hub [--db PATH] device list\n"
    "       sambang-hub [--db PATH] device revoke NAME\n"
    "\n"
    "add: enrols a device and prints its token, alone on stdout, once (the\n"
    "hub keeps only a hash of it). The token binds to the replica id of its\n"
    "first use. NAME: 1 to 64 of A-Z a-z 0-9 - _ . (starting with a letter\n"
    "or digit). The scope is required: the parts (values of the schema's\n"
    "scope fields, e.g. kecamatan: --scope Setu,Pamulang) whose records the\n"
    "device holds, or all (office machines). A revoked device's NAME can be\n"
    "enrolled again (a new token; the old one stays refused).\n"
    "scope: changes a device's scope; records outside it leave the device\n"
    "at its next sync.\n"
    "rotate: prints a new token for the device; the old one stops working.\n"
    "list: NAME, REPLICA (- until first use), active or revoked, created\n"
    "(UTC), scope, separated by tabs.\n"
    "revoke: the device's token is refused from now on.\n";

/* Prints the error and returns the exit code for rc. */
static int fail(int rc, const struct sb_err *err)
{
  fprintf(stderr, "sambang-hub: %s\n",
          err->msg[0] != '\0' ? err->msg : sb_err_str(rc));
  return exitcode_from_err(rc);
}

static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *usage, const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "sambang-hub: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n%s", usage);
  return EXITCODE_USAGE;
}

static bool is_help(const char *arg)
{
  return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* Parses a decimal number in [min, max]. */
static bool parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
  unsigned long long v;
  char *end;

  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (*end != '\0' || errno != 0 || v < min || v > max)
    return false;
  *out = v;
  return true;
}

static int open_store(const char *db, struct hub_store **hs)
{
  struct sb_err err = {0};
  int rc = hub_store_open(db, hs, &err);
  if (rc == SB_ENOTFOUND)
    sb_err_set(&err, rc, "no hub store at %s (run `sambang-hub init`)", db);
  return rc != 0 ? fail(rc, &err) : 0;
}

/* Reads a whole file into a malloc'd NUL-terminated string. */
static int read_file(const char *path, char **out, struct sb_err *err)
{
  FILE *f = fopen(path, "rb");
  char *text = NULL;
  size_t len = 0, cap = 0, n;
  int rc = 0;

  *out = NULL;
  if (f == NULL)
    return sb_err_set(err, errno == ENOENT ? SB_ENOTFOUND : SB_EIO,
                      "cannot read %s: %s", path, strerror(errno));
  do {
    if (len + 4096 + 1 > cap) {
      char *more;
      cap = (cap + 4096) * 2;
      more = realloc(text, cap);
      if (more == NULL) {
        rc = sb_err_set(err, SB_ENOMEM, "out of memory reading %s", path);
        goto out;
      }
      text = more;
    }
    n = fread(text + len, 1, cap - len - 1, f);
    len += n;
  } while (n > 0);
  if (ferror(f)) {
    rc = sb_err_set(err, SB_EIO, "cannot read %s", path);
    goto out;
  }
  text[len] = '\0';
  *out = text;
  text = NULL;
out:
  free(text);
  fclose(f);
  return rc;
}

/* --- commands ---------------------------------------------------------- */

static int hub_cmd_init(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs = NULL;
  const char *schema_path = NULL;
  char *schema_text = NULL;
  int i, rc;

  for (i = 0; i < argc; i++) {
    if (is_help(argv[i])) {
      fputs(usage_init, stdout);
      return 0;
    }
    if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc)
      schema_path = argv[++i];
    else
      return usage_error(usage_init, "init: unexpected argument %s", argv[i]);
  }
  if (schema_path != NULL) {
    rc = read_file(schema_path, &schema_text, &err);
    if (rc != 0)
      return fail(rc, &err);
  }
  rc = hub_store_create(db, schema_text ? schema_text : schema_default_text,
                        &hs, &err);
  free(schema_text);
  if (rc != 0)
    return fail(rc, &err);
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

/* export --csv COLLECTION [--personal] */
static int export_csv(const char *db, const char *collection, bool personal)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  char *text = NULL;
  size_t len = 0;
  int rc = open_store(db, &hs);

  if (rc != 0)
    return rc;
  rc = office_csv_export(hs, collection, personal, &text, &len, &err);
  hub_store_close(hs);
  if (rc == 0 && (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0))
    rc = sb_err_set(&err, SB_EIO, "cannot write the export: %s",
                    strerror(errno));
  free(text);
  return rc != 0 ? fail(rc, &err) : 0;
}

static int hub_cmd_export(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  int rc;

  if (argc > 0 && is_help(argv[0])) {
    fputs(usage_export, stdout);
    return 0;
  }
  if (argc >= 2 && strcmp(argv[0], "--csv") == 0) {
    bool personal = argc == 3 && strcmp(argv[2], "--personal") == 0;
    if (argc > 3 || (argc == 3 && !personal))
      return usage_error(usage_export, "export: unexpected argument %s",
                         argv[argc - 1]);
    return export_csv(db, argv[1], personal);
  }
  if (argc > 0)
    return usage_error(usage_export, "export: unexpected argument %s", argv[0]);
  rc = open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc = hub_store_each(hs, print_record, NULL, &err);
  hub_store_close(hs);
  if (rc == SB_ENOMEM)
    sb_err_set(&err, rc, "out of memory exporting");
  if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
    rc = sb_err_set(&err, SB_EIO, "cannot write the export: %s",
                    strerror(errno));
  return rc != 0 ? fail(rc, &err) : 0;
}

/* A record's siblings line (see usage_conflicts), if it has siblings. */
static void print_siblings(const struct record *r)
{
  size_t i;
  bool first = true;

  if (!record_conflicted(r))
    return;
  printf("%s\t%s\t", r->collection, r->id);
  for (i = 0; i < record_nfields(r); i++) {
    const struct field *f = record_field_at(r, i);
    if (record_field_nentries(f) > 1) {
      printf("%s%s", first ? "" : ",", record_field_name(f));
      first = false;
    }
  }
  if (record_delete_conflict(r))
    printf("%s(deleted)", first ? "" : ",");
  putchar('\n');
}

/* ctx: the hub's schema. Siblings first, then the review line. */
static int print_conflict(const struct record *r, uint64_t seq, void *ctx)
{
  const struct schema *schema = ctx;
  char why[SB_ERR_MSG_MAX];

  (void)seq;
  print_siblings(r);
  if (schema_review(schema_collection(schema, r->collection), r, why,
                    sizeof(why)) == 1)
    printf("%s\t%s\t(needs review) %s\n", r->collection, r->id, why);
  return 0;
}

static int hub_cmd_conflicts(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  int rc;

  if (argc > 0 && is_help(argv[0])) {
    fputs(usage_conflicts, stdout);
    return 0;
  }
  if (argc > 0)
    return usage_error(usage_conflicts, "conflicts: unexpected argument %s",
                       argv[0]);
  rc = open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc = hub_store_each(hs, print_conflict, (void *)hub_store_schema(hs), &err);
  hub_store_close(hs);
  return rc != 0 ? fail(rc, &err) : 0;
}

static int print_device(const struct hub_device *d, void *ctx)
{
  char when[32] = "-";
  time_t t = (time_t)(d->created_ms / 1000);
  struct tm tm;

  (void)ctx;
  if (gmtime_r(&t, &tm) != NULL)
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("%s\t%s\t%s\t%s\t%s\n", d->name, d->replica[0] ? d->replica : "-",
         d->revoked ? "revoked" : "active", when, d->scope);
  return 0;
}

/* A new token into token and its hash into hash. */
static int new_token(char *token, char *hash, struct sb_err *err)
{
  int rc = auth_token_new(token);
  if (rc != 0)
    return sb_err_set(err, rc, "no randomness from the OS for a token");
  if (auth_token_hash(token, hash) != 0)
    return sb_err_set(err, SB_EINTERNAL, "cannot hash the token");
  return 0;
}

/* Checks device's arguments: the NAME, and --scope/--set where due;
 * *scope is the scope given (NULL if none). */
static int device_args(const char *sub, int argc, char **argv,
                       const char **scope)
{
  const char *want = strcmp(sub, "add") == 0     ? "--scope"
                     : strcmp(sub, "scope") == 0 ? "--set"
                                                 : NULL;
  *scope = NULL;
  if (strcmp(sub, "list") == 0)
    return argc == 1 ? 0
                     : usage_error(usage_device,
                                   "device list: unexpected argument %s",
                                   argv[1]);
  if (strcmp(sub, "revoke") != 0 && strcmp(sub, "rotate") != 0 && want == NULL)
    return usage_error(usage_device, "device: unknown subcommand %s", sub);
  if (want == NULL)
    return argc == 2 ? 0
                     : usage_error(usage_device, "device %s: give one NAME",
                                   sub);
  if (argc == 4 && strcmp(argv[2], want) == 0)
    *scope = argv[3];
  else if (argc == 4 && strcmp(argv[1], want) == 0)
    *scope = argv[2];
  if (*scope == NULL)
    return usage_error(usage_device,
                       "device %s: give NAME %s all|PART[,PART...] (a scope "
                       "is required)",
                       sub, want);
  return 0;
}

static int hub_cmd_device(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  const char *sub = argc > 0 ? argv[0] : NULL, *scope, *name;
  char token[AUTH_TOKEN_LEN + 1], hash[HUB_HASH_HEX_LEN + 1];
  int rc;

  if (sub == NULL)
    return usage_error(usage_device, "device: %s", "missing subcommand");
  if (is_help(sub) || (argc > 1 && is_help(argv[1]))) {
    fputs(usage_device, stdout);
    return 0;
  }
  rc = device_args(sub, argc, argv, &scope);
  if (rc != 0)
    return rc;
  name = argc > 1 ? argv[1] : "";
  if (argc == 4 && scope == argv[2])
    name = argv[3]; /* --scope PARTS NAME */
  rc = open_store(db, &hs);
  if (rc != 0)
    return rc;
  if (strcmp(sub, "list") == 0) {
    rc = hub_store_device_list(hs, print_device, NULL, &err);
  } else if (strcmp(sub, "revoke") == 0) {
    rc = hub_store_device_revoke(hs, name, &err);
    if (rc == 0)
      fprintf(stderr, "sambang-hub: device %s revoked\n", name);
  } else if (strcmp(sub, "scope") == 0) {
    rc = hub_store_device_set_scope(hs, name, scope, &err);
    if (rc == 0)
      fprintf(stderr, "sambang-hub: device %s: scope %s\n", name, scope);
  } else {
    rc = new_token(token, hash, &err);
    if (rc == 0 && strcmp(sub, "rotate") == 0)
      rc = hub_store_device_rotate(hs, name, hash, &err);
    else if (rc == 0)
      rc = hub_store_device_add(hs, name, hash, hlc_wall_ms(), scope, &err);
    if (rc == 0) {
      printf("%s\n", token);
      fflush(stdout);
    }
  }
  hub_store_close(hs);
  return rc != 0 ? fail(rc, &err) : 0;
}

/* --- office users ------------------------------------------------------ */

/* The first line of stdin as a password (8..1023 bytes) into pw. */
static int read_password(char *pw, size_t size, struct sb_err *err)
{
  size_t n;

  if (fgets(pw, (int)size, stdin) == NULL)
    return sb_err_set(err, SB_EINVAL,
                      "give the password on the first line of stdin");
  n = strcspn(pw, "\r\n");
  pw[n] = '\0';
  if (n < 8)
    return sb_err_set(err, SB_EINVAL,
                      "the password must have at least 8 characters");
  return 0;
}

static int print_user(const struct hub_user *u, void *ctx)
{
  char when[32] = "-";
  time_t t = (time_t)(u->created_ms / 1000);
  struct tm tm;

  (void)ctx;
  if (gmtime_r(&t, &tm) != NULL)
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("%s\t%s\t%s\n", u->name, hub_role_name(u->role), when);
  return 0;
}

/* user add / passwd: sets the password (and role) of u, then saves it. */
static int user_save(struct hub_store *hs, struct hub_user *u, bool create,
                     struct sb_err *err)
{
  char pw[1024];
  int rc = read_password(pw, sizeof(pw), err);

  if (rc == 0)
    rc = office_auth_hash_password(pw, u->pwhash, err);
  memset(pw, 0, sizeof(pw));
  u->changed_ms = hlc_wall_ms();
  if (create)
    u->created_ms = u->changed_ms;
  return rc != 0 ? rc : hub_store_user_put(hs, u, create, err);
}

static int hub_cmd_user(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  struct hub_user u;
  const char *sub = argc > 0 ? argv[0] : NULL;
  int role = -1, rc;

  if (sub == NULL)
    return usage_error(usage_user, "user: %s", "missing subcommand");
  if (is_help(sub) || (argc > 1 && is_help(argv[1]))) {
    fputs(usage_user, stdout);
    return 0;
  }
  memset(&u, 0, sizeof(u));
  if (strcmp(sub, "list") == 0) {
    if (argc != 1)
      return usage_error(usage_user, "user list: unexpected argument %s",
                         argv[1]);
  } else if (strcmp(sub, "add") == 0) {
    if (argc != 4 || strcmp(argv[2], "--role") != 0)
      return usage_error(usage_user, "user add: give NAME --role ROLE");
    role = hub_role_parse(argv[3]);
    if (role < 0)
      return usage_error(usage_user,
                         "user add: --role is admin, reviewer or viewer, "
                         "not %s", argv[3]);
  } else if (strcmp(sub, "remove") == 0 || strcmp(sub, "passwd") == 0) {
    if (argc != 2)
      return usage_error(usage_user, "user %s: give one NAME", sub);
  } else {
    return usage_error(usage_user, "user: unknown subcommand %s", sub);
  }
  rc = open_store(db, &hs);
  if (rc != 0)
    return rc;
  if (strcmp(sub, "list") == 0) {
    rc = hub_store_user_list(hs, print_user, NULL, &err);
  } else if (strcmp(sub, "remove") == 0) {
    rc = hub_store_user_remove(hs, argv[1], &err);
  } else if (strcmp(sub, "add") == 0) {
    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "%.64s", argv[1]);
    u.role = (enum hub_role)role;
    if (strlen(argv[1]) > HUB_USER_NAME_MAX)
      rc = sb_err_set(&err, SB_EINVAL, "bad user name (at most %d characters)",
                      HUB_USER_NAME_MAX);
    else
      rc = user_save(hs, &u, true, &err);
  } else {
    rc = hub_store_user_get(hs, argv[1], &u, &err);
    if (rc == 0)
      rc = user_save(hs, &u, false, &err);
  }
  hub_store_close(hs);
  return rc != 0 ? fail(rc, &err) : 0;
}

/* --- serve ------------------------------------------------------------- */

struct serve_state {
  uv_signal_t sigterm, sigint, sighup;
  struct hub_server *hub;
};

static void on_stopped(void *ctx)
{
  struct serve_state *st = ctx;
  uv_close((uv_handle_t *)&st->sigterm, NULL);
  uv_close((uv_handle_t *)&st->sigint, NULL);
  uv_close((uv_handle_t *)&st->sighup, NULL);
}

/* SIGHUP: reread the TLS certificate and key (nothing else to reload). */
static void on_sighup(uv_signal_t *sig, int signum)
{
  struct serve_state *st = sig->data;
  struct sb_err err = {0};

  (void)signum;
  if (hub_server_reload_tls(st->hub, &err) == 0)
    log_msg(LOG_LEVEL_INFO, "tls: certificate and key reloaded");
  else
    log_msg(LOG_LEVEL_ERROR, "tls: reload failed, the old certificate "
            "stays: %s", err.msg);
}

static void on_signal(uv_signal_t *sig, int signum)
{
  struct serve_state *st = sig->data;
  log_msg(LOG_LEVEL_INFO, "signal %d: stopping", signum);
  service_notify("STOPPING=1");
  hub_server_shutdown(st->hub, on_stopped, st);
}

/* Parses "A.B.C.D:PORT" into host (a copy) and port. */
static bool parse_listen(const char *s, char *host, size_t host_size,
                         uint16_t *port)
{
  const char *colon = strrchr(s, ':');
  uint64_t p;

  if (colon == NULL || colon == s || (size_t)(colon - s) >= host_size ||
      !parse_num(colon + 1, 0, 65535, &p))
    return false;
  snprintf(host, host_size, "%.*s", (int)(colon - s), s);
  *port = (uint16_t)p;
  return true;
}

/* Lets the hub hold as many connections as the hard limit allows. */
static void raise_fd_limit(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* True for an IPv4 loopback address (127.0.0.0/8). */
static bool is_loopback(const char *host)
{
  return strncmp(host, "127.", 4) == 0;
}

/* TLS or plain HTTP: $SAMBANG_HUB_TLS_CERT/_KEY fill what the options did
 * not give; plain HTTP off loopback needs --insecure-http. Refused before
 * anything is bound. */
static int serve_transport(struct hub_server_cfg *cfg, bool insecure,
                           bool *done)
{
  const char *env_cert = getenv("SAMBANG_HUB_TLS_CERT");
  const char *env_key = getenv("SAMBANG_HUB_TLS_KEY");

  if (cfg->tls_cert == NULL && env_cert != NULL && env_cert[0] != '\0')
    cfg->tls_cert = env_cert;
  if (cfg->tls_key == NULL && env_key != NULL && env_key[0] != '\0')
    cfg->tls_key = env_key;
  const char *env_proxy = getenv("SAMBANG_HUB_TRUSTED_PROXY");
  char bad[64];

  if (cfg->trusted_proxies == NULL && env_proxy != NULL &&
      env_proxy[0] != '\0') {
    if (hub_proxy_check(env_proxy, bad, sizeof(bad)) != 0)
      return usage_error(usage_serve,
                         "serve: SAMBANG_HUB_TRUSTED_PROXY wants IPv4 "
                         "addresses joined by ',', not \"%s\"",
                         bad);
    cfg->trusted_proxies = env_proxy;
  }
  if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
    return usage_error(usage_serve, "serve: give both --tls-cert and "
                                    "--tls-key (or neither)");
  if (cfg->tls_cert != NULL && insecure)
    return usage_error(usage_serve, "serve: --insecure-http makes no sense "
                                    "with --tls-cert");
  if (cfg->tls_cert == NULL && !insecure && !is_loopback(cfg->host))
    return usage_error(usage_serve,
                       "serve: refusing plain HTTP on %s, which is not a "
                       "loopback address: give --tls-cert and --tls-key, put "
                       "a TLS proxy in front on 127.0.0.1, or give "
                       "--insecure-http",
                       cfg->host);
  *done = false;
  return 0;
}

/* Parses serve's options into cfg (host is its address buffer). Sets
 * *done and returns the exit code when the command ends here (help, or a
 * usage error); else returns 0 with *done false. */
static int serve_options(int argc, char **argv, struct hub_server_cfg *cfg,
                         char *host, size_t host_size, bool *insecure,
                         bool *done)
{
  uint64_t v;
  int i;

  *done = true;
  *insecure = false;
  memset(cfg, 0, sizeof(*cfg));
  cfg->port = 8080;
  cfg->max_future_ms = HUB_DEFAULT_MAX_FUTURE_MS;
  cfg->max_inflight = HUB_DEFAULT_MAX_INFLIGHT;
  cfg->max_conns_per_addr = HUB_DEFAULT_CONNS_PER_ADDR;
  cfg->head_timeout_s = HUB_DEFAULT_HEAD_TIMEOUT_S;
  cfg->body_min_rate = HUB_DEFAULT_BODY_MIN_RATE;
  /* Options come in pairs: OPTION VALUE. */
  for (i = 0; i < argc; i += 2) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (is_help(a)) {
      fputs(usage_serve, stdout);
      return 0;
    }
    if (strcmp(a, "--insecure-http") == 0) { /* the one flag: no value */
      *insecure = true;
      i--;
      continue;
    }
    if (next == NULL)
      return usage_error(usage_serve, "serve: unexpected argument %s", a);
    if (strcmp(a, "--listen") == 0) {
      if (!parse_listen(next, host, host_size, &cfg->port))
        return usage_error(usage_serve,
                           "serve: --listen wants ADDR:PORT, not %s", next);
    } else if (strcmp(a, "--tls-cert") == 0) {
      cfg->tls_cert = next;
    } else if (strcmp(a, "--tls-key") == 0) {
      cfg->tls_key = next;
    } else if (strcmp(a, "--trusted-proxy") == 0) {
      char bad[64];
      if (hub_proxy_check(next, bad, sizeof(bad)) != 0)
        return usage_error(usage_serve,
                           "serve: --trusted-proxy wants IPv4 addresses "
                           "joined by ',', not \"%s\"",
                           bad);
      cfg->trusted_proxies = next;
    } else if (strcmp(a, "--max-future-ms") == 0) {
      if (!parse_num(next, 0, (uint64_t)1 << 40, &cfg->max_future_ms))
        return usage_error(usage_serve,
                           "serve: --max-future-ms wants milliseconds, not %s",
                           next);
    } else if (strcmp(a, "--max-inflight") == 0) {
      if (!parse_num(next, 1, 100000, &v))
        return usage_error(usage_serve,
                           "serve: --max-inflight wants 1 to 100000, not %s",
                           next);
      cfg->max_inflight = (unsigned)v;
    } else if (strcmp(a, "--max-conns") == 0) {
      if (!parse_num(next, 1, 1000000, &v))
        return usage_error(
            usage_serve, "serve: --max-conns wants 1 to 1000000, not %s", next);
      cfg->max_conns = (unsigned)v;
    } else if (strcmp(a, "--reserve-conns") == 0) {
      if (!parse_num(next, 1, 100000, &v))
        return usage_error(usage_serve,
                           "serve: --reserve-conns wants 1 to 100000, not %s",
                           next);
      cfg->reserve_conns = (unsigned)v;
    } else if (strcmp(a, "--max-conns-per-addr") == 0) {
      if (!parse_num(next, 1, 1000000, &v))
        return usage_error(
            usage_serve,
            "serve: --max-conns-per-addr wants 1 to 1000000, not %s", next);
      cfg->max_conns_per_addr = (unsigned)v;
    } else if (strcmp(a, "--head-timeout") == 0) {
      if (!parse_num(next, 1, 3600, &v))
        return usage_error(
            usage_serve,
            "serve: --head-timeout wants 1 to 3600 seconds, not %s", next);
      cfg->head_timeout_s = (unsigned)v;
    } else if (strcmp(a, "--body-min-rate") == 0) {
      if (!parse_num(next, 0, 1u << 30, &v))
        return usage_error(usage_serve,
                           "serve: --body-min-rate wants bytes per second, "
                           "not %s",
                           next);
      cfg->body_min_rate = (unsigned)v;
    } else {
      return usage_error(usage_serve, "serve: unexpected argument %s", a);
    }
  }
  cfg->host = host;
  return serve_transport(cfg, *insecure, done);
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
  int rc;

  if (argc > 0 && is_help(argv[0])) {
    fputs(usage_check, stdout);
    return 0;
  }
  if (argc > 0)
    return usage_error(usage_check, "check: unexpected argument %s", argv[0]);
  rc = open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc = hub_store_check(hs, STORE_CHECK_FULL, 0, print_problem, NULL, NULL,
                       &err);
  hub_store_close(hs);
  if (rc != 0)
    return fail(rc, &err);
  printf("ok\n");
  return 0;
}

/* The quick check at start ($SAMBANG_CHECK_MS), logged. A corrupt store
 * is served: reads answer where the pages allow, writes and health 503. */
static int serve_check(struct hub_store *hs)
{
  enum store_check_state st;
  struct sb_err err = {0};
  int budget, rc = store_check_budget(&budget, &err);

  if (rc != 0)
    return fail(rc, &err);
  if (budget == 0)
    return 0;
  rc = hub_store_check(hs, STORE_CHECK_QUICK, budget, NULL, NULL, &st, &err);
  if (rc != 0)
    log_msg(LOG_LEVEL_ERROR, "quick check: %s; serving read-only", err.msg);
  else if (st == STORE_CHECK_PARTIAL)
    log_msg(LOG_LEVEL_WARN, "quick check: not checked fully (stopped after "
            "%d ms); run `sambang-hub check` for a full check", budget);
  else
    log_msg(LOG_LEVEL_INFO, "quick check: ok");
  return 0;
}

static int hub_cmd_serve(const char *db, int argc, char **argv)
{
  struct hub_server_cfg cfg;
  struct serve_state st;
  struct sb_err err = {0};
  struct hub_store *hs = NULL;
  struct sigaction sa;
  uv_loop_t loop;
  char host[64] = "127.0.0.1";
  bool done, insecure;
  int rc;

  rc = serve_options(argc, argv, &cfg, host, sizeof(host), &insecure, &done);
  if (done)
    return rc;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  raise_fd_limit();

  rc = open_store(db, &hs);
  if (rc == 0 && (rc = serve_check(hs)) != 0)
    hub_store_close(hs);
  if (rc != 0)
    return rc;
  uv_loop_init(&loop);
  rc = hub_server_start(&loop, hs, &cfg, &st.hub, &err);
  if (rc != 0) {
    uv_loop_close(&loop);
    hub_store_close(hs);
    fail(rc, &err);
    return EXITCODE_FAILURE; /* not the store's fault: cannot listen */
  }
  uv_signal_init(&loop, &st.sigterm);
  uv_signal_init(&loop, &st.sigint);
  st.sigterm.data = st.sigint.data = &st;
  uv_signal_start(&st.sigterm, on_signal, SIGTERM);
  uv_signal_start(&st.sigint, on_signal, SIGINT);
  uv_signal_init(&loop, &st.sighup);
  st.sighup.data = &st;
  if (cfg.tls_cert != NULL)
    uv_signal_start(&st.sighup, on_sighup, SIGHUP);
  printf("listening on %s:%u\n", host, (unsigned)hub_server_port(st.hub));
  fflush(stdout);
  service_notify("READY=1"); /* systemd (Type=notify): now listening */
  log_msg(LOG_LEVEL_INFO, "serving %s on %s:%u over %s (replica %s)", db, host,
          (unsigned)hub_server_port(st.hub),
          cfg.tls_cert != NULL ? "HTTPS" : "plain HTTP", hub_store_replica(hs));
  if (insecure && !is_loopback(host))
    log_msg(LOG_LEVEL_WARN, "--insecure-http: serving plain HTTP on %s: "
            "tokens and records cross the network in clear text", host);

  uv_run(&loop, UV_RUN_DEFAULT);

  hub_server_free(st.hub);
  hub_store_close(hs);
  if (uv_loop_close(&loop) != 0)
    log_msg(LOG_LEVEL_WARN, "the loop still had open handles at exit");
  log_msg(LOG_LEVEL_INFO, "stopped");
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
    if (is_help(argv[i])) {
      fputs(usage_migrate, stdout);
      return 0;
    }
    if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
      src = argv[++i];
    else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
      dst = argv[++i];
    else
      return usage_error(usage_migrate, "migrate: unexpected argument %s",
                         argv[i]);
  }
  if (src == NULL || dst == NULL)
    return usage_error(usage_migrate, "%s", "migrate: give --from and --to");
  if (!hub_store_is_pg(dst))
    return usage_error(usage_migrate, "migrate: --to must be a "
                       "postgresql:// URI, not %s", dst);
  rc = open_store(src, &from);
  if (rc != 0)
    return rc;
  rc = hub_store_create(dst, hub_store_schema_text(from), &to, &err);
  if (rc == 0)
    rc = hub_store_copy(from, to, &records, &devices, &err);
  hub_store_close(to);
  hub_store_close(from);
  if (rc != 0)
    return fail(rc, &err);
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

  while (i < argc && argv[i][0] == '-') {
    if (is_help(argv[i])) {
      fputs(usage_main, stdout);
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
      return usage_error(usage_main, "unknown option %s", argv[i]);
    }
  }
  if (i >= argc)
    return usage_error(usage_main, "%s", "no command given");
  cmd = argv[i++];
  if (strcmp(cmd, "help") == 0) {
    fputs(usage_main, stdout);
    return 0;
  }
  if (strcmp(cmd, "migrate") == 0)
    return hub_cmd_migrate(argc - i, argv + i);
  if (db == NULL || db[0] == '\0') {
    bool help = false;
    int k;
    for (k = i; k < argc; k++)
      help = help || is_help(argv[k]);
    if (!help)
      return usage_error(usage_main, "no hub store: give --db PATH or set %s",
                         DB_ENV);
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
  return usage_error(usage_main, "unknown command %s", cmd);
}
