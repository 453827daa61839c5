/*
 * cmd_conflict.c - conflicts (records whose fields hold siblings, or that
 * were deleted on one replica while edited on another) and resolve.
 *
 * A live record whose merged values break a rule of the schema (schema_
 * review: a required field gone after a delete met an edit, personal
 * details beside a consent that is not true) is listed too, as needing
 * review, with the rule it breaks.
 *
 * Resolving is an ordinary write: its dot covers every sibling this
 * replica holds, so the siblings fall away here and, once it syncs,
 * everywhere (record.h). Writing a field also drops the tombstones of a
 * delete/edit conflict, keeping the record.
 */
#include "compat.h"

#include "cli.h"

#include "buf.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plain line: COLLECTION<TAB>ID<TAB>field,field[,(deleted)]. */
static int conflict_line(const struct record *r, struct sb_err *err)
{
  struct buf b;
  char *text;
  size_t i;

  buf_init(&b);
  for (i = 0; i < record_nfields(r); i++) {
    const struct field *f = record_field_at(r, i);
    if (record_field_nentries(f) < 2)
      continue;
    if (b.len > 0)
      buf_adds(&b, ",");
    buf_adds(&b, record_field_name(f));
  }
  if (record_delete_conflict(r))
    buf_adds(&b, b.len > 0 ? ",(deleted)" : "(deleted)");
  text = buf_take(&b, NULL);
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  printf("%s\t%s\t%s\n", r->collection, r->id, text);
  free(text);
  return 0;
}

/* The --json line: record_encode_conflict's canonical text. */
static int conflict_json(const struct record *r, struct sb_err *err)
{
  char *text = record_encode_conflict(r);
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  puts(text);
  free(text);
  return 0;
}

struct conflicts_ctx {
  bool json;
  const struct schema *schema;
  struct sb_err *err;
};

/*
 * A record needing review: COLLECTION<TAB>ID<TAB>(needs review) RULE, or
 * {"collection","id","review":RULE} with --json.
 */
static int review_line(const struct conflicts_ctx *ctx, const struct record *r,
                       const char *why)
{
  cJSON *j;
  int rc;

  if (!ctx->json) {
    printf("%s\t%s\t(needs review) %s\n", r->collection, r->id, why);
    return 0;
  }
  j = cJSON_CreateObject();
  if (j == NULL || !cJSON_AddStringToObject(j, "collection", r->collection) ||
      !cJSON_AddStringToObject(j, "id", r->id) ||
      !cJSON_AddStringToObject(j, "review", why)) {
    cJSON_Delete(j);
    return sb_err_set(ctx->err, SB_ENOMEM, NULL);
  }
  rc = util_print_json(j, ctx->err);
  cJSON_Delete(j);
  return rc;
}

static int conflict_one(const struct record *r, uint64_t seq, void *arg)
{
  struct conflicts_ctx *ctx = arg;
  char why[SB_ERR_MSG_MAX];
  int rc = 0;

  (void)seq;
  if (record_conflicted(r))
    rc = ctx->json ? conflict_json(r, ctx->err) : conflict_line(r, ctx->err);
  if (rc == 0 &&
      schema_review(schema_collection(ctx->schema, r->collection), r, why,
                    sizeof(why)) == 1)
    rc = review_line(ctx, r, why);
  return rc;
}

/*
 * A record the hub refused: COLLECTION<TAB>ID<TAB>(rejected) CODE: MESSAGE,
 * or {"collection","id","rejected":{"code","message"}} with --json.
 */
static int rejected_one(const char *coll, const char *id, uint64_t seq,
                        const char *reason, size_t len, void *arg)
{
  struct conflicts_ctx *ctx = arg;
  cJSON *j, *code, *msg;

  (void)seq;
  if (ctx->json) {
    printf("{\"collection\":\"%s\",\"id\":\"%s\",\"rejected\":%.*s}\n", coll,
           id, (int)len, reason);
    return 0;
  }
  j = cJSON_ParseWithLength(reason, len);
  code = cJSON_GetObjectItemCaseSensitive(j, "code");
  msg = cJSON_GetObjectItemCaseSensitive(j, "message");
  printf("%s\t%s\t(rejected by the hub) %s: %s\n", coll, id,
         cJSON_IsString(code) ? code->valuestring : "?",
         cJSON_IsString(msg) ? msg->valuestring : reason);
  cJSON_Delete(j);
  return 0;
}

int cmd_conflicts(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  struct conflicts_ctx ctx = {.json = cli->json, .err = err};
  int rc;

  if (argc > 1)
    return argv[1][0] == '-'
               ? util_bad_option("conflicts", argv[1], err)
               : util_usage(err, "conflicts takes no arguments (see "
                                 "sambang conflicts --help)");
  rc = util_open(cli, err);
  if (rc != 0)
    return rc;
  /* A store whose schema does not parse still lists its siblings. */
  if (util_schema(cli, NULL) == 0)
    ctx.schema = cli->schema;
  rc = store_each(cli->store, NULL, conflict_one, &ctx, err);
  if (rc == 0)
    rc = store_rejected_each(cli->store, rejected_one, &ctx, err);
  return rc;
}

int cmd_resolve(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  cJSON *fields = NULL, *value;
  size_t len;
  int rc;

  if (argc != 5)
    return util_usage(err, "resolve takes COLLECTION ID FIELD JSON_VALUE "
                           "(see sambang resolve --help)");
  rc = util_check_key(argv[1], argv[2], err);
  if (rc != 0)
    return rc;
  if (!record_name_valid(argv[3]))
    return sb_err_set(err, SB_EINVAL,
                      "invalid field name \"%.80s\" (use 1-%d letters, "
                      "digits, '-' or '_')",
                      argv[3], SB_NAME_MAX);
  len = strlen(argv[4]);
  if (len > SB_RECORD_MAX)
    return sb_err_set(err, SB_ETOOBIG,
                      "JSON_VALUE is too large (%zu bytes, at most %d)", len,
                      SB_RECORD_MAX);
  value = json_parse(argv[4], len, "JSON_VALUE", err);
  if (value == NULL)
    return err->code;
  fields = cJSON_CreateObject();
  if (fields == NULL) {
    cJSON_Delete(value);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  cJSON_AddItemToObject(fields, argv[3], value);
  rc = write_one(cli, argv[1], argv[2], fields, true, err);
  if (rc == 0)
    rc = write_print(cli, argv[1], argv[2], err);
  cJSON_Delete(fields);
  return rc;
}
