/*
 * cmd_io.c - import and export, JSON Lines both ways.
 *
 * import reads one line at a time (getline into one reused buffer), so its
 * memory stays flat however long the file, and writes every line inside
 * one transaction: all lines or none. Each line takes the same path as
 * `put` (write.c), schema checks included.
 *
 * export prints each record's full state (record_encode) in (collection,
 * id) order: replicas that have seen the same writes print the same bytes.
 */
#include "compat.h"

#include "cli.h"

#include "json.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define IMPORT_SHAPE                                                           \
  "{\"collection\": C, \"id\": ID or \"new\", \"fields\": {...}}"

/* A string member of the line object (called key), checked present. */
static const char *line_string(const cJSON *j, const char *key,
                               struct sb_err *err)
{
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, key);
  if (m == NULL) {
    sb_err_set(err, SB_EINVAL, "\"%s\" is missing (each line is %s)", key,
               IMPORT_SHAPE);
    return NULL;
  }
  if (!cJSON_IsString(m)) {
    sb_err_set(err, SB_EINVAL, "\"%s\" must be a string, got %s", key,
               util_json_type(m));
    return NULL;
  }
  return m->valuestring;
}

/* The lines of an import: those that changed a record, and those whose
 * record held their values already. */
struct import_count {
  size_t written, unchanged;
};

/* Writes the record of one line (inside the import's transaction) and
 * counts it in *n. */
static int import_line(struct cli *cli, const char *text, size_t len,
                       struct import_count *n, struct sb_err *err)
{
  char id[SB_ID_MAX + 1];
  const char *collection, *given;
  bool written = false;
  cJSON *j = json_parse(text, len, _("the line"), err);
  cJSON *fields, *m;
  int rc;

  if (j == NULL)
    return err->code;
  if (!cJSON_IsObject(j)) {
    rc = sb_err_set(err, SB_EJSON, "expected a JSON object %s, got %s",
                    IMPORT_SHAPE, util_json_type(j));
    goto done;
  }
  for (m = j->child; m != NULL; m = m->next) {
    if (strcmp(m->string, "collection") != 0 && strcmp(m->string, "id") != 0 &&
        strcmp(m->string, "fields") != 0) {
      rc = sb_err_set(err, SB_EINVAL, "unknown key \"%.64s\" (each line is %s)",
                      m->string, IMPORT_SHAPE);
      goto done;
    }
  }
  collection = line_string(j, "collection", err);
  given = collection != NULL ? line_string(j, "id", err) : NULL;
  if (given == NULL) {
    rc = err->code;
    goto done;
  }
  fields = cJSON_GetObjectItemCaseSensitive(j, "fields");
  if (fields == NULL) {
    rc = sb_err_set(err, SB_EINVAL, "\"fields\" is missing (each line is %s)",
                    IMPORT_SHAPE);
    goto done;
  }
  if (!cJSON_IsObject(fields)) {
    rc = sb_err_set(err, SB_EINVAL, "\"fields\" must be a JSON object, got %s",
                    util_json_type(fields));
    goto done;
  }
  if (fields->child == NULL) {
    rc = sb_err_set(err, SB_EINVAL, "\"fields\" must set at least one field");
    goto done;
  }
  rc = write_id(collection, given, id, err);
  if (rc == 0)
    rc = write_fields(cli, collection, id, fields, false, &written, err);
  if (rc == 0 && written)
    n->written++;
  else if (rc == 0)
    n->unchanged++;
done:
  cJSON_Delete(j);
  return rc;
}

/* True if the line holds only whitespace. */
static bool blank(const char *s, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++) {
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
      return false;
  }
  return true;
}

/* Imports every line of f in the open transaction, counted in *n. */
static int import_lines(struct cli *cli, FILE *f, const char *name,
                        struct import_count *n, struct sb_err *err)
{
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  ssize_t len;
  int rc = 0;

  errno = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    const char *text = line;
    if (++lineno == 1) { /* a byte order mark before it is left out */
      size_t bom = utf8_bom_len(line, (size_t)len);
      text += bom;
      len -= (ssize_t)bom;
    }
    if (blank(text, (size_t)len))
      continue;
    if ((size_t)len > SB_RECORD_MAX)
      rc = sb_err_set(err, SB_ETOOBIG,
                      "the line is too large (%zd bytes, at most %d)", len,
                      SB_RECORD_MAX);
    else
      rc = import_line(cli, text, (size_t)len, n, err);
    if (rc != 0) {
      sb_err_prefix(err, "line %zu", lineno);
      break;
    }
  }
  if (rc == 0 && ferror(f))
    rc =
        sb_err_set(err, SB_EINVAL, "cannot read %s: %s", name, strerror(errno));
  free(line);
  return rc;
}

int cmd_import(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  FILE *f;
  struct import_count n = {0, 0};
  int rc;

  if (argc != 2)
    return util_usage(err, "import takes FILE, or - for standard input (see "
                           "sambang import --help)");
  if (strcmp(argv[1], "-") == 0) {
    f = stdin;
  } else if ((f = fopen(argv[1], "rb")) == NULL) {
    int e = errno;
    return sb_err_set(err, e == ENOENT ? SB_ENOTFOUND : SB_EINVAL,
                      "cannot open %s: %s", argv[1], strerror(e));
  }
  rc = util_schema(cli, err);
  if (rc == 0)
    rc = store_begin(cli->store, err);
  if (rc == 0) {
    rc = import_lines(cli, f, argv[1], &n, err);
    if (rc == 0)
      rc = store_commit(cli->store, err);
    cli->wrote |= rc == 0;
    if (rc != 0)
      store_rollback(cli->store);
  }
  if (f != stdin)
    fclose(f);
  if (rc != 0)
    return rc;
  if (cli->json) {
    cJSON *j = cJSON_CreateObject();
    if (j == NULL ||
        cJSON_AddNumberToObject(j, "imported", (double)n.written) == NULL ||
        cJSON_AddNumberToObject(j, "unchanged", (double)n.unchanged) == NULL) {
      cJSON_Delete(j);
      return sb_err_set(err, SB_ENOMEM, NULL);
    }
    rc = util_print_json(j, err);
    cJSON_Delete(j);
    return rc;
  }
  /* "imported N records" counts what changed; lines that changed
   * nothing (an import run twice) are said apart. */
  if (n.unchanged > 0)
    printf(_("imported %zu records, %zu unchanged (already held)\n"), n.written,
           n.unchanged);
  else
    printf(_("imported %zu records\n"), n.written);
  return 0;
}

static int export_one(const struct record *r, uint64_t seq, void *arg)
{
  struct sb_err *err = arg;
  char *text = record_encode(r);
  (void)seq;
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  fputs(text, stdout);
  putchar('\n');
  free(text);
  return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  bool unsynced = argc == 2 && strcmp(argv[1], "--unsynced") == 0;
  int rc;

  if (argc != 1 && !unsynced)
    return argc > 1 && argv[1][0] == '-'
               ? util_bad_option("export", argv[1], err)
               : util_usage(err, "export takes no arguments but --unsynced "
                                 "(see sambang export --help)");
  rc = util_open(cli, err);
  if (rc != 0)
    return rc;
  if (unsynced)
    return export_unsynced(cli, err);
  return store_each(cli->store, NULL, export_one, err, err);
}
