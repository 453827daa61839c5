/*
 * hub_store_pg_devices.c - the PostgreSQL backend's device primitives
 * (struct hub_store_ops, hub_store.h): add, list, revoke, look up by
 * token, bind a device to its replica, and its activity (last seen,
 * push, pull, app version), on the devices table.
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_pg.h"
#include "hub_store_pg_int.h"

#include "uuid.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- devices ----------------------------------------------------------- */

void hub_store_pg_device_row(PGresult *res, int i, struct hub_device *d)
{
  memset(d, 0, sizeof(*d));
  snprintf(d->name, sizeof(d->name), "%s", PQgetvalue(res, i, 0));
  snprintf(d->token_hash, sizeof(d->token_hash), "%s", PQgetvalue(res, i, 1));
  snprintf(d->replica, sizeof(d->replica), "%s", PQgetvalue(res, i, 2));
  d->revoked = strcmp(PQgetvalue(res, i, 3), "t") == 0;
  d->created_ms = hub_store_pg_u64_of(PQgetvalue(res, i, 4));
  snprintf(d->scope, sizeof(d->scope), "%s",
           PQnfields(res) > 5 ? PQgetvalue(res, i, 5) : "all");
}

int hub_store_pg_devices_add(void *be, const struct hub_device *d,
                             struct sb_err *err)
{
  struct pg *p = be;
  char created[24];
  const char *params[4] = {d->name, d->token_hash, created,
                           d->scope[0] ? d->scope : "all"};
  PGresult *res;
  int rc;

  snprintf(created, sizeof(created), "%llu", (unsigned long long)d->created_ms);
  rc = hub_store_pg_ready(p, err);
  if (rc != 0)
    return rc;
  res = PQexecPrepared(p->conn, "dev_add", 4, params, NULL, NULL, 0);
  if (PQresultStatus(res) == PGRES_COMMAND_OK) {
    PQclear(res);
    return 0;
  }
  if (hub_store_pg_sqlstate_is(PQresultErrorField(res, PG_DIAG_SQLSTATE),
                               "23505")) {
    const char *c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    bool name = c != NULL && strcmp(c, "devices_pkey") == 0;
    PQclear(res);
    if (name)
      return sb_err_set(err, SB_EEXISTS, "a device called %s already exists",
                        d->name);
    return sb_err_set(err, SB_EEXISTS, "that token is already in use");
  }
  return hub_store_pg_fail(p, res, "adding a device", err);
}

int hub_store_pg_devices_list(void *be, hub_device_fn fn, void *ctx,
                              struct sb_err *err)
{
  PGresult *res;
  struct hub_device d;
  int i, rc = hub_store_pg_run(be, "dev_list", 0, NULL, &res, err);

  for (i = 0; rc == 0 && i < PQntuples(res); i++) {
    hub_store_pg_device_row(res, i, &d);
    rc = fn(&d, ctx);
  }
  PQclear(res);
  return rc;
}

int hub_store_pg_devices_revoke(void *be, const char *name, struct sb_err *err)
{
  const char *params[1] = {name};
  PGresult *res;
  int rc = hub_store_pg_run(be, "dev_revoke", 1, params, &res, err);

  if (rc != 0)
    return rc;
  if (strcmp(PQcmdTuples(res), "0") == 0)
    rc = sb_err_set(err, SB_ENOTFOUND, "no device called %s", name);
  PQclear(res);
  return rc;
}

int hub_store_pg_devices_by_token(void *be, const char *token_hash,
                                  struct hub_device *out, struct sb_err *err)
{
  const char *params[1] = {token_hash};
  PGresult *res;
  int rc = hub_store_pg_run(be, "dev_token", 1, params, &res, err);

  if (rc != 0)
    return rc;
  if (PQntuples(res) == 0)
    rc = sb_err_set(err, SB_ENOTFOUND, "unknown token");
  else
    hub_store_pg_device_row(res, 0, out);
  PQclear(res);
  return rc;
}

/* The checks of a bind in the open transaction; 1: already bound so. */
static int bind_checks(struct pg *p, const char *name, const char *replica,
                       struct sb_err *err)
{
  const char *params[1] = {name};
  struct hub_device d;
  PGresult *res;
  int rc = hub_store_pg_run(p, "dev_lock", 1, params, &res, err);

  if (rc != 0)
    return rc;
  if (PQntuples(res) == 0) {
    PQclear(res);
    return sb_err_set(err, SB_ENOTFOUND, "no device called %s", name);
  }
  hub_store_pg_device_row(res, 0, &d);
  PQclear(res);
  if (strcmp(d.replica, replica) == 0)
    return 1;
  if (d.replica[0] != '\0')
    return sb_err_set(err, SB_ECONFLICT,
                      "the token of device %s is bound to replica %s, not %s",
                      name, d.replica, replica);
  if (strcmp(replica, p->replica) == 0)
    return sb_err_set(err, SB_ECONFLICT, "replica id %s is the hub's own",
                      replica);
  params[0] = replica;
  rc = hub_store_pg_run(p, "dev_owner", 1, params, &res, err);
  if (rc != 0)
    return rc;
  if (PQntuples(res) > 0)
    rc = sb_err_set(err, SB_ECONFLICT,
                    "replica id %s is bound to another device (%s)", replica,
                    PQgetvalue(res, 0, 0));
  PQclear(res);
  return rc;
}

int hub_store_pg_devices_bind(void *be, const char *name, const char *replica,
                              struct sb_err *err)
{
  struct pg *p = be;
  const char *params[2] = {name, replica};
  PGresult *res;
  int rc = hub_store_pg_ready(p, err);

  if (rc == 0)
    rc = hub_store_pg_exec(p, "BEGIN", err);
  if (rc != 0)
    return rc;
  p->in_tx = true;
  rc = bind_checks(p, name, replica, err);
  if (rc == 0) {
    rc = hub_store_pg_run(p, "dev_bind", 2, params, &res, err);
    if (rc == 0)
      PQclear(res);
    else if (rc == SB_EEXISTS) /* bound elsewhere at the same moment */
      rc = sb_err_set(err, SB_ECONFLICT,
                      "replica id %s is bound to another device", replica);
  }
  if (rc == 1)
    rc = 0;
  if (rc == 0)
    rc = hub_store_pg_exec(p, "COMMIT", err);
  if (rc != 0 && PQstatus(p->conn) == CONNECTION_OK)
    PQclear(PQexec(p->conn, "ROLLBACK"));
  p->in_tx = false;
  return rc;
}

int hub_store_pg_devices_activity_set(void *be, const char *name,
                                      const struct hub_device_activity *a,
                                      struct sb_err *err)
{
  char seen[24], push[24], pull[24], at[24], pend[24], ref[24], copied[24];
  const char *params[9] = {name, seen, push, pull,  a->app,
                           at,   pend, ref,  copied};
  PGresult *res;
  int rc;

  snprintf(seen, sizeof(seen), "%llu", (unsigned long long)a->seen_ms);
  snprintf(push, sizeof(push), "%llu", (unsigned long long)a->push_ms);
  snprintf(pull, sizeof(pull), "%llu", (unsigned long long)a->pull_ms);
  snprintf(at, sizeof(at), "%llu", (unsigned long long)a->marks_ms);
  snprintf(pend, sizeof(pend), "%llu", (unsigned long long)a->pending);
  snprintf(ref, sizeof(ref), "%llu", (unsigned long long)a->refused);
  snprintf(copied, sizeof(copied), "%llu", (unsigned long long)a->copied_ms);
  rc = hub_store_pg_run(be, "dev_act_set", 9, params, &res, err);
  if (rc == 0)
    PQclear(res); /* no such device: nothing to note */
  return rc;
}

int hub_store_pg_devices_activity_get(void *be, const char *name,
                                      struct hub_device_activity *out,
                                      struct sb_err *err)
{
  const char *params[1] = {name};
  PGresult *res;
  int rc = hub_store_pg_run(be, "dev_act_get", 1, params, &res, err);

  if (rc != 0)
    return rc;
  if (PQntuples(res) > 0) {
    out->seen_ms = hub_store_pg_u64_of(PQgetvalue(res, 0, 0));
    out->push_ms = hub_store_pg_u64_of(PQgetvalue(res, 0, 1));
    out->pull_ms = hub_store_pg_u64_of(PQgetvalue(res, 0, 2));
    snprintf(out->app, sizeof(out->app), "%s", PQgetvalue(res, 0, 3));
    out->marks_ms = hub_store_pg_u64_of(PQgetvalue(res, 0, 4));
    out->pending = hub_store_pg_u64_of(PQgetvalue(res, 0, 5));
    out->refused = hub_store_pg_u64_of(PQgetvalue(res, 0, 6));
    out->copied_ms = hub_store_pg_u64_of(PQgetvalue(res, 0, 7));
  }
  PQclear(res);
  return 0;
}
