/*
 * cmd_conflict.c - conflicts (records whose fields hold siblings, or that
 * were deleted on one replica while edited on another) and resolve.
 *
 * A live record whose merged values break a rule of the schema (schema_
 * review: a required field gone after a delete met an edit, personal
 * details beside a consent that is not true) is listed too, as needing
 * review, with the rule it breaks.
 *
 * With --values (and by default on a terminal) each record's line is
 * followed by its siblings, numbered as `resolve --pick N` takes them
 * (the order of the record's entries: the same on every device), each
 * with the device that wrote it and when; and by the deletes that met an
 * edit. A device is named as the hub named it at a sync (sync_names.c;
 * this one too, as the hub lists it), else by its replica id. The first
 * line stays COLLECTION<TAB>ID<TAB>FIELDS for scripts.
 * resolve is in cmd_resolve.c.
 */
#include "compat.h"

#include "cli.h"

#include "hlc.h"
#include "json.h"
#include "proto.h"
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Whose write: the name for people of the device writing as replica. */
struct who {
  struct store *store;
  char name[PROTO_DEVICE_NAME_MAX + 1]; /* the last one given */
};

static const char *who_wrote(const char *replica, void *arg)
{
  struct who *w = arg;

  if (sync_name_get(w->store, replica, w->name, sizeof(w->name)) == 0)
    return w->name;
  return NULL;
}

/* The lines of the deletes that met an edit. */
static void tomb_lines(const struct record *r, struct who *w)
{
  const char *name;
  size_t k;
  char when[32];

  for (k = 0; k < record_ntombs(r); k++) {
    const struct entry *e = record_tomb_at(r, k);
    view_time(e->ts, when, sizeof(when));
    name = who_wrote(e->dot.replica, w);
    printf(_("  (deleted)  (device %s, %s): edit to keep the record, or rm "
             "it\n"),
           name != NULL ? name : e->dot.replica, when);
  }
}

/* The plain line: COLLECTION<TAB>ID<TAB>field,field[,(deleted)], then with
 * values the siblings beneath it (view_conflict_lines) and the deletes'. */
static void conflict_line(const struct record *r, bool values, struct who *w)
{
  view_conflict_lines(r, values, who_wrote, w);
  if (values && record_delete_conflict(r))
    tomb_lines(r, w);
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
  bool values; /* --values: the siblings beneath each record */
  struct who who;
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
    printf(_("%s\t%s\t(needs review) %s\n"), r->collection, r->id, why);
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
  if (record_conflicted(r) && ctx->json)
    rc = conflict_json(r, ctx->err);
  else if (record_conflicted(r))
    conflict_line(r, ctx->values, &ctx->who);
  if (rc == 0 && schema_review(schema_collection(ctx->schema, r->collection), r,
                               why, sizeof(why)) == 1)
    rc = review_line(ctx, r, why);
  return rc;
}

/*
 * A record the hub refused: COLLECTION<TAB>ID<TAB>(rejected by the hub)
 * CODE (MEANING): MESSAGE (sync_refusal_text), or one whose pulled state
 * this device could not merge: ...<TAB>(not merged on this device) ...,
 * or {"collection","id","rejected":{"code","message"}} with --json.
 */
static int rejected_one(const char *coll, const char *id, uint64_t seq,
                        const char *reason, size_t len, void *arg)
{
  struct conflicts_ctx *ctx = arg;
  char text[SB_ERR_MSG_MAX + 256];
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
  sync_refusal_text(text, sizeof(text), coll, id,
                    cJSON_IsString(code) ? code->valuestring : "?",
                    cJSON_IsString(msg) ? msg->valuestring : "?");
  if (cJSON_IsString(code) && util_not_merged(code->valuestring))
    printf(_("%s\t%s\t(not merged on this device) %s\n"), coll, id, text);
  else
    printf(_("%s\t%s\t(rejected by the hub) %s\n"), coll, id, text);
  cJSON_Delete(j);
  return 0;
}

int cmd_conflicts(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  struct conflicts_ctx ctx = {.json = cli->json, .err = err};
  int i, rc;

  ctx.values = isatty(STDOUT_FILENO) == 1;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--values") == 0)
      ctx.values = true;
    else if (strcmp(argv[i], "--no-values") == 0)
      ctx.values = false;
    else
      return argv[i][0] == '-'
                 ? util_bad_option("conflicts", argv[i], err)
                 : util_usage(err, "conflicts takes no arguments (see "
                                   "sambang conflicts --help)");
  }
  rc = util_open(cli, err);
  if (rc != 0)
    return rc;
  ctx.who.store = cli->store;
  /* A store whose schema does not parse still lists its siblings. */
  if (util_schema(cli, NULL) == 0)
    ctx.schema = cli->schema;
  rc = store_each(cli->store, NULL, conflict_one, &ctx, err);
  if (rc == 0)
    rc = store_rejected_each(cli->store, rejected_one, &ctx, err);
  return rc;
}
