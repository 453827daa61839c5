/*
 * hub_store_pg_scope.c - the PostgreSQL backend's primitives for device
 * scopes (struct hub_store_ops, hub_store.h; daemon/hub/DESIGN.md,
 * "Scopes"): a device by name, a device stored again (new scope, token
 * or enrolment), and the records of one collection. A device's scope is
 * the devices.scope column (migration 2: "all" for devices enrolled
 * before); the moves the scoped feed reads are meta rows
 * (scope.moved.COLLECTION/ID, hub_scope.c), as on SQLite.
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_pg.h"
#include "hub_store_pg_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct hub_store_pg_stmt hub_store_pg_scope_stmts[] = {
    {"dev_get", "SELECT name, token_sha256, coalesce(replica, ''), revoked, "
                "created_ms, scope FROM devices WHERE name = $1"},
    {"dev_update", "UPDATE devices SET token_sha256 = $2, replica = "
                   "nullif($3, ''), revoked = $4::boolean, created_ms = $5, "
                   "scope = $6 WHERE name = $1"},
    {"each_in", "SELECT collection, id, seq, state FROM records WHERE "
                "collection = $1 ORDER BY id"},
    {NULL, NULL},
};

int hub_store_pg_device_get(void *be, const char *name, struct hub_device *out,
                            struct sb_err *err)
{
  const char *params[1] = {name};
  PGresult *res;
  int rc = hub_store_pg_run(be, "dev_get", 1, params, &res, err);

  if (rc != 0)
    return rc;
  if (PQntuples(res) == 0)
    rc = sb_err_set(err, SB_ENOTFOUND, "no device called %s", name);
  else
    hub_store_pg_device_row(res, 0, out);
  PQclear(res);
  return rc;
}

/* One statement, so its own transaction: the old token hash is replaced
 * in the same row, and is refused from then on. */
int hub_store_pg_device_update(void *be, const struct hub_device *d,
                               const char *old_token_hash, struct sb_err *err)
{
  char created[24];
  const char *params[6] = {d->name,    d->token_hash,
                           d->replica, d->revoked ? "true" : "false",
                           created,    d->scope[0] ? d->scope : "all"};
  PGresult *res;
  int rc;

  (void)old_token_hash; /* the row holds one token: it is overwritten */
  snprintf(created, sizeof(created), "%llu", (unsigned long long)d->created_ms);
  rc = hub_store_pg_run(be, "dev_update", 6, params, &res, err);
  if (rc == SB_EEXISTS)
    return sb_err_set(err, rc, "that token is already in use");
  if (rc != 0)
    return rc;
  if (strcmp(PQcmdTuples(res), "0") == 0)
    rc = sb_err_set(err, SB_ENOTFOUND, "no device called %s", d->name);
  PQclear(res);
  return rc;
}

int hub_store_pg_each_in(void *be, const char *collection, store_record_fn fn,
                         void *ctx, struct sb_err *err)
{
  const char *params[1] = {collection};
  PGresult *res;
  int rc = hub_store_pg_flush(be, err); /* the saves kept so far */

  if (rc == 0)
    rc = hub_store_pg_run(be, "each_in", 1, params, &res, err);
  if (rc != 0)
    return rc;
  rc = hub_store_pg_records_each(res, fn, ctx, err);
  PQclear(res);
  return rc;
}
