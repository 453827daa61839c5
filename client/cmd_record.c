/*
 * cmd_record.c - the generic record commands: put, get, rm, list.
 *
 * They take any well-formed collection name; a collection the schema
 * defines gets its checks on every write (see write.c).
 */
#include "compat.h"

#include "cli.h"

#include "file_read.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_put(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  char id[SB_ID_MAX + 1];
  char *input = NULL;
  const char *text;
  size_t len;
  cJSON *fields = NULL;
  int rc;

  if (argc != 4)
    return util_usage(err, "put takes COLLECTION ID JSON_OBJECT (see "
                           "sambang put --help)");
  rc = write_id(argv[1], argv[2], id, err);
  if (rc != 0)
    return rc;
  if (strcmp(argv[3], "-") == 0) {
    rc = file_read_all(stdin, "JSON_OBJECT (standard input)", SB_RECORD_MAX,
                       &input, &len, err);
    if (rc != 0)
      return rc;
    text = input;
  } else {
    text = argv[3];
    len = strlen(text);
    if (len > SB_RECORD_MAX)
      return sb_err_set(err, SB_ETOOBIG,
                        "JSON_OBJECT is too large (%zu bytes, at most %d)", len,
                        SB_RECORD_MAX);
  }
  fields = json_parse(text, len, "JSON_OBJECT", err);
  if (fields == NULL) {
    rc = err->code;
    goto done;
  }
  if (!cJSON_IsObject(fields)) {
    rc = sb_err_set(err, SB_EJSON, "JSON_OBJECT must be a JSON object, got %s",
                    util_json_type(fields));
    goto done;
  }
  if (fields->child == NULL) {
    rc = sb_err_set(err, SB_EINVAL,
                    "JSON_OBJECT must set at least one field, got {}");
    goto done;
  }
  rc = write_one(cli, argv[1], id, fields, false, err);
  if (rc == 0)
    rc = write_print(cli, argv[1], id, err);

done:
  cJSON_Delete(fields);
  free(input);
  return rc;
}

/* Loads a live record (not found: exit 3). */
static int load_live(struct cli *cli, const char *collection, const char *id,
                     struct record *r, struct sb_err *err)
{
  int rc = util_check_key(collection, id, err);
  if (rc != 0)
    return rc;
  rc = util_open(cli, err);
  if (rc != 0)
    return rc;
  rc = store_get(cli->store, collection, id, r, err);
  if (rc == SB_ENOTFOUND || (rc == 0 && record_deleted(r)))
    return util_not_found(collection, id, err);
  return rc;
}

int cmd_get(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  struct record r;
  cJSON *values;
  int rc;

  if (argc != 3)
    return util_usage(err, "get takes COLLECTION ID (see sambang get --help)");
  record_init(&r, "", "");
  rc = load_live(cli, argv[1], argv[2], &r, err);
  if (rc != 0)
    goto done;
  if (cli->json) {
    rc = util_print_record_json(&r, err);
    goto done;
  }
  values = record_values(&r);
  rc = values != NULL ? util_print_json(values, err)
                      : sb_err_set(err, SB_ENOMEM, NULL);
  cJSON_Delete(values);
done:
  record_release(&r);
  return rc;
}

int cmd_rm(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  int rc;

  if (argc != 3)
    return util_usage(err, "rm takes COLLECTION ID (see sambang rm --help)");
  rc = util_check_key(argv[1], argv[2], err);
  if (rc == 0)
    rc = util_open(cli, err);
  if (rc == 0)
    rc = write_delete(cli, argv[1], argv[2], err);
  if (rc == 0)
    rc = write_print(cli, argv[1], argv[2], err);
  return rc;
}

struct list_ctx {
  const struct filter *filters;
  size_t nfilters;
  bool json;
  struct sb_err *err;
};

static int list_one(const struct record *r, uint64_t seq, void *arg)
{
  struct list_ctx *ctx = arg;
  int ok = list_shows(NULL, ctx->filters, ctx->nfilters, NULL, 0, r, ctx->err);

  (void)seq;
  if (ok != 1)
    return ok;
  return util_print_list_line(r, ctx->json, ctx->err);
}

int cmd_list(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  struct filter *filters = calloc((size_t)argc, sizeof(*filters));
  struct list_ctx ctx = {.filters = filters, .json = cli->json, .err = err};
  const char *collection = NULL, *value;
  int i, rc = 0;

  if (filters == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (i = 1; i < argc && rc == 0; i++) {
    rc = util_opt(argc, argv, &i, "where", &value, err);
    if (rc == 1) {
      rc = filter_where(&filters[ctx.nfilters], value, err);
      ctx.nfilters++;
    } else if (rc == 0 && argv[i][0] == '-') {
      rc = util_bad_option("list", argv[i], err);
    } else if (rc == 0 && collection != NULL) {
      rc = util_usage(err, "list takes one COLLECTION (see sambang list "
                           "--help)");
    } else if (rc == 0) {
      collection = argv[i];
    }
  }
  if (rc == 0 && collection == NULL)
    rc = util_usage(err, "list takes COLLECTION (see sambang list --help)");
  if (rc == 0)
    rc = util_check_key(collection, "id", err);
  if (rc == 0)
    rc = ctx.nfilters > 0 ? util_schema(cli, err) : util_open(cli, err);
  for (i = 0; rc == 0 && (size_t)i < ctx.nfilters; i++)
    rc = filter_where_check(&filters[i],
                            schema_collection(cli->schema, collection), err);
  if (rc == 0)
    rc = store_each(cli->store, collection, list_one, &ctx, err);
  filter_release(filters, ctx.nfilters);
  free(filters);
  return rc;
}
