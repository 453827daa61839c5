/*
 * write.c - the one path every write of the CLI takes (put, resolve,
 * import, the domain commands' add and edit).
 *
 * Read the record, check the fields against the collection's schema,
 * record_put them as this replica at a fresh HLC time, check the record
 * as a whole (required fields, consent), store_put. All of it inside a
 * transaction the caller opened: a failure leaves nothing behind once the
 * caller rolls back.
 */
#include "compat.h"

#include "cli.h"

#include "uuid.h"

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

int write_fields(struct cli *cli, const char *collection, const char *id,
                 cJSON *fields, bool must_exist, struct sb_err *err)
{
  const struct schema_collection *c =
      schema_collection(cli->schema, collection);
  struct record r;
  cJSON *values = NULL;
  bool had_fields;
  int rc;

  record_init(&r, collection, id);
  rc = store_get(cli->store, collection, id, &r, err);
  if (rc == SB_ENOTFOUND && !must_exist)
    rc = 0;
  else if (rc == SB_ENOTFOUND || (rc == 0 && must_exist && record_deleted(&r)))
    rc = util_not_found(collection, id, err);
  if (rc != 0)
    goto done;
  had_fields = r.nf > 0;

  rc = schema_check_write(c, fields, err);
  if (rc != 0)
    goto done;
  rc = record_put(&r, store_replica(cli->store), store_tick(cli->store), fields,
                  err);
  if (rc != 0)
    goto done;
  if (c != NULL) {
    /* A record with no fields before holds exactly `fields` now. */
    if (had_fields) {
      values = record_values(&r);
      if (values == NULL) {
        rc = sb_err_set(err, SB_ENOMEM, NULL);
        goto done;
      }
    }
    rc = schema_check_record(c, had_fields ? values : fields, err);
    if (rc != 0)
      goto done;
  }
  rc = store_put(cli->store, &r, err);

done:
  cJSON_Delete(values);
  record_release(&r);
  return rc;
}

int write_one(struct cli *cli, const char *collection, const char *id,
              cJSON *fields, bool must_exist, struct sb_err *err)
{
  int rc = util_schema(cli, err);
  if (rc != 0)
    return rc;
  rc = store_begin(cli->store, err);
  if (rc != 0)
    return rc;
  rc = write_fields(cli, collection, id, fields, must_exist, err);
  if (rc == 0)
    rc = store_commit(cli->store, err);
  cli->wrote |= rc == 0;
  if (rc != 0)
    store_rollback(cli->store);
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
