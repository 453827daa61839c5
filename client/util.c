/*
 * util.c - what every command needs: where the store is, opening it and
 * its schema once, reading input, option matching, printing JSON, and the
 * table from error codes to exit codes.
 */
#include "compat.h"

#include "cli.h"

#include "opt.h"

#include "buf.h"
#include "hlc.h"
#include "json.h"
#include "proto.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int dup_path(const char *path, char **out, struct sb_err *err)
{
  *out = strdup(path);
  if (*out == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

int util_db_path(const char *given, char **out, struct sb_err *err)
{
  const char *v;
  struct buf b;

  *out = NULL;
  if (given != NULL)
    return dup_path(given, out, err);
  v = getenv("SAMBANG_DB");
  if (v != NULL && v[0] != '\0')
    return dup_path(v, out, err);
  buf_init(&b);
  /* The XDG spec says to ignore a relative XDG_DATA_HOME. */
  v = getenv("XDG_DATA_HOME");
  if (v != NULL && v[0] == '/') {
    buf_adds(&b, v);
    buf_adds(&b, "/sambang/store.db");
  } else {
    v = getenv("HOME");
    if (v == NULL || v[0] != '/')
      return util_usage(err, "cannot tell where the store is: HOME is not "
                             "set; give --db PATH or set SAMBANG_DB");
    buf_adds(&b, v);
    buf_adds(&b, "/.local/share/sambang/store.db");
  }
  *out = buf_take(&b, NULL);
  if (*out == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

void util_remove_store(const char *path)
{
  static const char *const suffix[] = {"", "-wal", "-shm", ".token"};
  size_t i;
  /* No allocation: the token file must not stay for want of memory. A
   * name over PATH_MAX is one no file has. */
  for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
    char name[PATH_MAX + 8];
    int n = snprintf(name, sizeof(name), "%s%s", path, suffix[i]);
    if (n > 0 && (size_t)n < sizeof(name))
      unlink(name);
  }
}

int util_mkdir_parents(const char *path, struct sb_err *err)
{
  char *dir = strdup(path);
  char *p;
  int rc = 0;

  if (dir == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  /* Each prefix ending before a '/' is a directory to make. */
  for (p = dir + 1; *p != '\0'; p++) {
    struct stat sb;
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
      int e = errno;
      rc = sb_err_set(err, sb_err_from_errno(e),
                      "cannot create directory %s: %s", dir, strerror(e));
      break;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      rc = sb_err_set(err, SB_EIO, "%s is not a directory", dir);
      break;
    }
    *p = '/';
  }
  free(dir);
  return rc;
}

/* How long a clean quick check spares `sync --once` another one. */
#define QUICK_OK_KEY "check.quick_ok_ms"
#define QUICK_OK_FOR_MS (10 * 60 * 1000)

/* True if a quick check found the store clean less than ms before now. */
static bool quick_ok_within(struct cli *cli, uint64_t now, uint64_t ms)
{
  char *v = NULL;
  uint64_t then = 0;

  if (store_meta_get(cli->store, QUICK_OK_KEY, &v, NULL) == 0)
    then = strtoull(v, NULL, 10);
  free(v);
  return then <= now && now - then < ms;
}

/* Notes in the store when a quick check found it clean (best effort).
 * A note less than half its life old is kept: a read-only command
 * should not write (and sync to disk) each time it runs. */
static void note_quick_ok(struct cli *cli, uint64_t now)
{
  struct sb_err ignored = {0};
  char when[32];

  if (quick_ok_within(cli, now, QUICK_OK_FOR_MS / 2))
    return;
  snprintf(when, sizeof(when), "%llu", (unsigned long long)now);
  if (store_begin_relaxed(cli->store, &ignored) != 0)
    return;
  if (store_meta_set(cli->store, QUICK_OK_KEY, when, &ignored) == 0)
    store_commit(cli->store, &ignored);
  else
    store_rollback(cli->store);
}

/*
 * A quick check: a damaged store then refuses every write (exit 6 naming
 * `sambang check`); reads go on as far as the pages allow. A clean one is
 * noted, so that the `sync --once` that often follows a command (an
 * import, a visit) does not read the same pages again.
 */
static void quick_check(struct cli *cli, int budget)
{
  struct sb_err ignored = {0};
  enum store_check_state state = STORE_UNCHECKED;

  store_check(cli->store, STORE_CHECK_QUICK, budget, NULL, NULL, &state,
              &ignored);
  if (state == STORE_CHECK_OK)
    note_quick_ok(cli, hlc_wall_ms());
}

int util_open(struct cli *cli, struct sb_err *err)
{
  int budget, rc;

  if (cli->store != NULL)
    return 0;
  rc = store_check_budget(&budget, err);
  if (rc == 0)
    rc = store_open_as(cli->db, STORE_ROLE_DEVICE, &cli->store, err);
  if (rc == 0 && budget > 0)
    quick_check(cli, budget);
  return rc;
}

int util_open_hot(struct cli *cli, struct sb_err *err)
{
  struct sb_err ignored = {0};
  int budget, rc;

  if (cli->store != NULL)
    return 0;
  rc = store_check_budget(&budget, err);
  if (rc == 0)
    rc = store_open_as(cli->db, STORE_ROLE_DEVICE, &cli->store, err);
  if (rc != 0 || budget == 0)
    return rc;
  /* Checked clean a moment ago: the mark alone (what sambangd relies on
   * between its checks at start; a damaged page any statement meets
   * still marks the store). */
  if (quick_ok_within(cli, hlc_wall_ms(), QUICK_OK_FOR_MS))
    store_check(cli->store, STORE_CHECK_MARK, 0, NULL, NULL, NULL, &ignored);
  else
    quick_check(cli, budget);
  return 0;
}

int util_schema(struct cli *cli, struct sb_err *err)
{
  int rc;

  if (cli->schema != NULL)
    return 0;
  rc = util_open(cli, err);
  if (rc != 0)
    return rc;
  rc = schema_parse(store_schema_text(cli->store), &cli->schema, err);
  if (rc != 0)
    sb_err_prefix(err, "the schema kept in store %s", cli->db);
  return rc;
}

void util_release(struct cli *cli)
{
  store_close(cli->store);
  schema_free(cli->schema);
  free(cli->db);
  cli->store = NULL;
  cli->schema = NULL;
  cli->db = NULL;
}

int util_usage(struct sb_err *err, const char *fmt, ...)
{
  va_list ap;
  if (err == NULL)
    return CLI_EUSAGE;
  err->code = CLI_EUSAGE;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof(err->msg), i18n_text(fmt), ap);
  va_end(ap);
  return CLI_EUSAGE;
}

int util_exit_code(int code)
{
  return code == CLI_EUSAGE ? EXITCODE_USAGE : exitcode_from_err(code);
}

void util_shown(const char *s, char out[UTIL_SHOWN_MAX])
{
  const size_t size = UTIL_SHOWN_MAX;
  size_t o = 0, i;
  for (i = 0; i < 80 && s[i] != '\0' && o + 8 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    unsigned cp;
    size_t n = utf8_hidden_control(s + i, &cp);
    if (n > 0) {
      o += (size_t)snprintf(out + o, size - o, "\\u%04x", cp);
      i += n - 1;
    } else if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
      o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    else
      out[o++] = (char)c;
  }
  if (s[i] != '\0' && o + 4 < size) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

int util_check_key(const char *collection, const char *id, struct sb_err *err)
{
  char shown[UTIL_SHOWN_MAX];
  if (!record_name_valid(collection)) {
    util_shown(collection, shown);
    return sb_err_set(err, SB_EINVAL,
                      "invalid collection name \"%s\" (use 1-%d letters, "
                      "digits, '-' or '_')",
                      shown, SB_NAME_MAX);
  }
  if (!record_id_valid(id)) {
    util_shown(id, shown);
    return sb_err_set(err, SB_EINVAL,
                      "invalid record id \"%s\" (use 1-%d letters, digits, "
                      "'-', '_', '.' or ':')",
                      shown, SB_ID_MAX);
  }
  return 0;
}

int util_opt(int argc, char **argv, int *i, const char *name,
             const char **value, struct sb_err *err)
{
  int m = opt_match(argc, argv, i, name, value);

  return m >= 0 ? m : util_usage(err, "option --%s needs a value", name);
}

int util_bad_option(const char *cmd, const char *arg, struct sb_err *err)
{
  char shown[UTIL_SHOWN_MAX];
  util_shown(arg, shown);
  if (strcmp(arg, "--json") == 0 || strcmp(arg, "--db") == 0 ||
      strncmp(arg, "--db=", 5) == 0)
    return util_usage(err,
                      "%s is a global option: put it before the command "
                      "(sambang %s %s ...)",
                      strcmp(arg, "--json") == 0 ? "--json" : "--db",
                      strcmp(arg, "--json") == 0 ? "--json" : "--db PATH", cmd);
  return util_usage(err, "unknown option %s for %s (see sambang %s --help)",
                    shown, cmd, cmd);
}

bool util_printable(const char *s)
{
  for (; *s != '\0'; s++) {
    if (*s <= ' ' || *s >= 0x7f)
      return false;
  }
  return true;
}

bool util_not_merged(const char *code)
{
  return proto_err_parse(code) == PROTO_ERR_MERGE_FAILED;
}

const char *util_json_type(const cJSON *j)
{
  if (cJSON_IsObject(j))
    return "object";
  if (cJSON_IsArray(j))
    return "array";
  if (cJSON_IsString(j))
    return "string";
  if (cJSON_IsNumber(j))
    return "number";
  if (cJSON_IsBool(j))
    return "boolean";
  if (cJSON_IsNull(j))
    return "null";
  return "unknown";
}

int util_print_json(cJSON *j, struct sb_err *err)
{
  char *text = json_canon(j);
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  fputs(text, stdout);
  putchar('\n');
  cJSON_free(text);
  return 0;
}

/* The last occurrence of needle in s, or NULL. */
static const char *last_of(const char *s, const char *needle)
{
  const char *found = NULL, *p = s;
  while ((p = strstr(p, needle)) != NULL)
    found = p++;
  return found;
}

int util_print_record_json(const struct record *r, struct sb_err *err)
{
  /*
   * Spliced into record_encode's text rather than built with cJSON, which
   * would print the 16-digit timestamps in exponent form. Its keys are
   * sorted and "vv" is the last one, so "conflict" goes after
   * "collection" and "values" before the last ,"vv":{ (string values
   * escape their quotes, so that text cannot occur inside them).
   */
  char *state = record_encode(r);
  cJSON *values = record_values(r);
  char *vtext = values != NULL ? json_canon(values) : NULL;
  const char *rest, *vv;
  int rc = 0;

  if (state == NULL || vtext == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto done;
  }
  rest = strchr(state + strlen("{\"collection\":\""), '"') + 1;
  vv = last_of(state, ",\"vv\":{");
  if (vv == NULL || *rest != ',') {
    rc = sb_err_set(err, SB_EINTERNAL, "unexpected record encoding");
    goto done;
  }
  printf("%.*s,\"conflict\":%s%.*s,\"values\":%s%s\n", (int)(rest - state),
         state, record_conflicted(r) ? "true" : "false", (int)(vv - rest), rest,
         vtext, vv);
done:
  cJSON_free(vtext);
  cJSON_Delete(values);
  free(state);
  return rc;
}

int util_print_list_line(const struct record *r, bool json, struct sb_err *err)
{
  cJSON *values = record_values(r);
  cJSON *line;
  char *text;
  int rc;

  if (values == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (!json) {
    struct buf shown;
    text = json_canon(values);
    cJSON_Delete(values);
    if (text == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
    buf_init(&shown);
    view_json_text(&shown, text);
    cJSON_free(text);
    text = buf_take(&shown, NULL);
    if (text == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
    printf("%s\t%s\n", r->id, text);
    free(text);
    return 0;
  }
  line = cJSON_CreateObject();
  if (line == NULL || cJSON_AddStringToObject(line, "id", r->id) == NULL ||
      cJSON_AddBoolToObject(line, "conflict", record_conflicted(r)) == NULL) {
    cJSON_Delete(line);
    cJSON_Delete(values);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  cJSON_AddItemToObject(line, "values", values);
  rc = util_print_json(line, err);
  cJSON_Delete(line);
  return rc;
}

int util_not_found(const char *collection, const char *id, struct sb_err *err)
{
  return sb_err_set(err, SB_ENOTFOUND, "not found: %s/%s", collection, id);
}

bool util_live(struct cli *cli, const char *collection, const char *id)
{
  struct record r;
  bool yes;

  record_init(&r, collection, id);
  yes = store_get(cli->store, collection, id, &r, NULL) == 0 &&
        !record_deleted(&r);
  record_release(&r);
  return yes;
}
