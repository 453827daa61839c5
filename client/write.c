/*
 * write.c - the one path every write of the CLI takes (put, resolve,
 * import, rm, the domain commands' add and edit).
 *
 * update_apply (common/update.h) on the local store: read the record,
 * check the fields against the collection's schema, record_put them as
 * this replica at a fresh HLC time, check the record as a whole (required
 * fields, consent), store it. All of it inside a transaction the caller
 * opened: a failure leaves nothing behind once the caller rolls back.
 */
#include "compat.h"

#include "cli.h"

#include "update.h"
#include "uuid.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

int write_id(const char *collection, const char *given, char *out,
             struct sb_err *err)
{
  char uuid[UUID_STR_LEN + 1];
  int rc;

  if (strcmp(given, "new") != 0) {
    rc = util_check_key(collection, given, err);
    if (rc == 0)
      snprintf(out, SB_ID_MAX + 1, "%s", given);
    return rc;
  }
  rc = util_check_key(collection, "new", err);
  if (rc != 0)
    return rc;
  if (uuid_v7_new(uuid) != 0)
    return sb_err_set(err, SB_EIO,
                      "cannot make a new id: no randomness from the OS");
  snprintf(out, SB_ID_MAX + 1, "%s", uuid);
  return 0;
}

/* The field side's store for update_apply. */
static int field_load(void *ctx, const char *collection, const char *id,
                      char **text, size_t *len, uint64_t *seq,
                      struct sb_err *err)
{
  struct cli *cli = ctx;
  return store_get_text(cli->store, collection, id, text, len, seq, err);
}

static int field_save(void *ctx, const struct record *r, const char *text,
                      size_t len, uint64_t *seq, struct sb_err *err)
{
  struct cli *cli = ctx;
  *seq = 0;
  return store_put_encoded(cli->store, r, text, len, err);
}

static uint64_t field_tick(void *ctx)
{
  struct cli *cli = ctx;
  return store_tick(cli->store);
}

/* write_fields' checks (update_hooks). */
struct write_check {
  const struct schema_collection *c;
  const char *collection, *id;
  cJSON *fields;
  bool must_exist;
  bool had_fields;
};

/* Before the put: the record exists if it must; the fields' types. */
static int write_before(void *ctx, const struct record *cur, bool exists,
                        struct sb_err *err)
{
  struct write_check *w = ctx;

  if (w->must_exist && (!exists || record_deleted(cur)))
    return util_not_found(w->collection, w->id, err);
  w->had_fields = record_nfields(cur) > 0;
  return schema_check_write(w->c, w->fields, err);
}

/* After the put: the record as a whole (required fields, consent). */
static int write_after(void *ctx, const struct record *next, size_t len,
                       struct sb_err *err)
{
  struct write_check *w = ctx;
  cJSON *values;
  int rc;

  (void)len;
  if (w->c == NULL)
    return 0;
  /* A new record is checked on the fields alone just below. */
  if (w->had_fields) {
    rc = schema_check_kept(w->c, w->fields, next, err);
    if (rc != 0)
      return rc;
  }
  /* A record with no fields before holds exactly `fields` now. */
  if (!w->had_fields)
    return schema_check_record(w->c, w->fields, err);
  values = record_values(next);
  if (values == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = schema_check_record(w->c, values, err);
  cJSON_Delete(values);
  return rc;
}

int write_fields(struct cli *cli, const char *collection, const char *id,
                 cJSON *fields, bool must_exist, bool *written,
                 struct sb_err *err)
{
  char where[PATH_MAX + 16];
  struct update_io io = {where,      field_load, field_save,
                         field_tick, cli,        store_schema(cli->store),
                         NULL};
  struct write_check w = {schema_collection(cli->schema, collection),
                          collection,
                          id,
                          fields,
                          must_exist,
                          false};
  struct update_hooks hooks = {write_before, write_after, &w};
  struct update_change ch = {UPDATE_PUT, store_replica(cli->store), fields,
                             NULL, NULL};
  struct update_result res;
  int rc;

  snprintf(where, sizeof(where), "store %s", cli->db);
  rc = update_apply(&io, collection, id, &ch, &hooks, &res, err);
  if (rc == 0 && written != NULL)
    *written = res.outcome == UPDATE_WRITTEN;
  return rc;
}

/* The one check of a delete: there is a live record to delete. */
static int delete_before(void *ctx, const struct record *cur, bool exists,
                         struct sb_err *err)
{
  const struct write_check *w = ctx;
  if (!exists || record_deleted(cur))
    return util_not_found(w->collection, w->id, err);
  return 0;
}

int write_delete(struct cli *cli, const char *collection, const char *id,
                 struct sb_err *err)
{
  char where[PATH_MAX + 16];
  struct update_io io = {where,      field_load, field_save,
                         field_tick, cli,        store_schema(cli->store),
                         NULL};
  struct write_check w = {NULL, collection, id, NULL, true, false};
  struct update_hooks hooks = {delete_before, NULL, &w};
  struct update_change ch = {UPDATE_DELETE, store_replica(cli->store), NULL,
                             NULL, NULL};
  struct update_result res;
  int rc;

  snprintf(where, sizeof(where), "store %s", cli->db);
  rc = store_begin(cli->store, err);
  if (rc != 0)
    return rc;
  rc = update_apply(&io, collection, id, &ch, &hooks, &res, err);
  if (rc == 0)
    rc = store_commit(cli->store, err);
  cli->wrote |= rc == 0;
  if (rc != 0)
    store_rollback(cli->store);
  return rc;
}

int write_one(struct cli *cli, const char *collection, const char *id,
              cJSON *fields, bool must_exist, struct sb_err *err)
{
  struct scope_note note;
  int rc = util_schema(cli, err);
  if (rc != 0)
    return rc;
  rc = store_begin(cli->store, err);
  if (rc != 0)
    return rc;
  scope_note_begin(cli, collection, id, &note);
  rc = write_fields(cli, collection, id, fields, must_exist, NULL, err);
  if (rc == 0)
    rc = store_commit(cli->store, err);
  cli->wrote |= rc == 0;
  if (rc != 0)
    store_rollback(cli->store);
  else
    scope_note_end(cli, collection, id, &note);
  return rc;
}

int write_print(const struct cli *cli, const char *collection, const char *id,
                struct sb_err *err)
{
  cJSON *j;
  int rc;

  if (!cli->json) {
    printf("%s\n", id);
    return 0;
  }
  j = cJSON_CreateObject();
  if (j == NULL ||
      cJSON_AddStringToObject(j, "collection", collection) == NULL ||
      cJSON_AddStringToObject(j, "id", id) == NULL) {
    cJSON_Delete(j);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  rc = util_print_json(j, err);
  cJSON_Delete(j);
  return rc;
}
