/*
 * hub_store_pg_office.c - the PostgreSQL backend's office primitives
 * (struct hub_store_ops, hub_store.h; daemon/hub/OFFICE.md): users,
 * sessions, and the clock of the hub's own writes. Tables (migration 2,
 * hub_store_pg.c): office_users(name, role, pwhash, created_ms, changed_ms)
 *   office_sessions(id_sha256, user_name -> office_users ON DELETE
 *                   CASCADE, csrf, created_ms, used_ms)
 *   feed_counter.clock                  the newest timestamp of the hub's
 * Each function is one statement: its own transaction, or part of the
 * caller's (migrate copies users inside its transaction).
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_pg.h"
#include "hub_store_pg_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct hub_store_pg_stmt hub_store_pg_office_stmts[] = {
    {"user_add", "INSERT INTO office_users (name, role, pwhash, created_ms, "
                 "changed_ms) VALUES ($1, $2, $3, $4, $5)"},
    {"user_set", "UPDATE office_users SET role = $2, pwhash = $3, "
                 "created_ms = $4, changed_ms = $5 WHERE name = $1"},
    {"user_get", "SELECT name, role, pwhash, created_ms, changed_ms FROM "
                 "office_users WHERE name = $1"},
    {"user_list", "SELECT name, role, pwhash, created_ms, changed_ms FROM "
                  "office_users ORDER BY name"},
    {"user_remove", "DELETE FROM office_users WHERE name = $1"},
    {"session_put", "INSERT INTO office_sessions (id_sha256, user_name, csrf, "
                    "created_ms, used_ms) VALUES ($1, $2, $3, $4, $5) ON "
                    "CONFLICT (id_sha256) DO UPDATE SET user_name = "
                    "EXCLUDED.user_name, csrf = EXCLUDED.csrf, created_ms = "
                    "EXCLUDED.created_ms, used_ms = EXCLUDED.used_ms"},
    {"session_get", "SELECT id_sha256, user_name, csrf, created_ms, used_ms "
                    "FROM office_sessions WHERE id_sha256 = $1"},
    {"session_remove", "DELETE FROM office_sessions WHERE id_sha256 = $1"},
    {"session_sweep", "DELETE FROM office_sessions WHERE used_ms < $1"
                      " OR created_ms < $2"},
    {"clock", "UPDATE feed_counter SET clock = greatest(clock + 1, $1) "
              "WHERE id = 1 RETURNING clock"},
    {NULL, NULL},
};

/* Row i of a user query into u; SB_ECORRUPT if its role is unknown. */
static int user_row(PGresult *res, int i, struct hub_user *u,
                    struct sb_err *err)
{
  int role = hub_role_parse(PQgetvalue(res, i, 1));

  memset(u, 0, sizeof(*u));
  snprintf(u->name, sizeof(u->name), "%s", PQgetvalue(res, i, 0));
  if (role < 0 || PQgetlength(res, i, 2) > HUB_PWHASH_MAX)
    return sb_err_set(err, SB_ECORRUPT, "user %.64s has a malformed entry",
                      u->name);
  u->role = (enum hub_role)role;
  snprintf(u->pwhash, sizeof(u->pwhash), "%s", PQgetvalue(res, i, 2));
  u->created_ms = hub_store_pg_u64_of(PQgetvalue(res, i, 3));
  u->changed_ms = hub_store_pg_u64_of(PQgetvalue(res, i, 4));
  return 0;
}

int hub_store_pg_user_put(void *be, const struct hub_user *u, bool create,
                          struct sb_err *err)
{
  char created[24], changed[24];
  const char *params[5] = {u->name, hub_role_name(u->role), u->pwhash, created,
                           changed};
  PGresult *res;
  int rc;

  snprintf(created, sizeof(created), "%llu", (unsigned long long)u->created_ms);
  snprintf(changed, sizeof(changed), "%llu", (unsigned long long)u->changed_ms);
  rc = hub_store_pg_run(be, create ? "user_add" : "user_set", 5, params, &res,
                        err);
  if (rc == SB_EEXISTS)
    return sb_err_set(err, rc, "a user called %s already exists", u->name);
  if (rc != 0)
    return rc;
  if (!create && strcmp(PQcmdTuples(res), "0") == 0)
    rc = sb_err_set(err, SB_ENOTFOUND, "no user called %s", u->name);
  PQclear(res);
  return rc;
}

int hub_store_pg_user_get(void *be, const char *name, struct hub_user *out,
                          struct sb_err *err)
{
  const char *params[1] = {name};
  PGresult *res;
  int rc = hub_store_pg_run(be, "user_get", 1, params, &res, err);

  if (rc != 0)
    return rc;
  if (PQntuples(res) == 0)
    rc = sb_err_set(err, SB_ENOTFOUND, "no user called %s", name);
  else
    rc = user_row(res, 0, out, err);
  PQclear(res);
  return rc;
}

int hub_store_pg_user_list(void *be, hub_user_fn fn, void *ctx,
                           struct sb_err *err)
{
  struct hub_user u;
  PGresult *res;
  int i, rc = hub_store_pg_run(be, "user_list", 0, NULL, &res, err);

  for (i = 0; rc == 0 && i < PQntuples(res); i++) {
    rc = user_row(res, i, &u, err);
    if (rc == 0)
      rc = fn(&u, ctx);
  }
  PQclear(res);
  return rc;
}

int hub_store_pg_user_remove(void *be, const char *name, struct sb_err *err)
{
  const char *params[1] = {name};
  PGresult *res;
  int rc = hub_store_pg_run(be, "user_remove", 1, params, &res, err);

  if (rc != 0)
    return rc;
  if (strcmp(PQcmdTuples(res), "0") == 0)
    rc = sb_err_set(err, SB_ENOTFOUND, "no user called %s", name);
  PQclear(res);
  return rc;
}

int hub_store_pg_session_put(void *be, const struct hub_session *s,
                             struct sb_err *err)
{
  char created[24], used[24];
  const char *params[5] = {s->id_hash, s->user, s->csrf, created, used};
  PGresult *res;
  int rc;

  snprintf(created, sizeof(created), "%llu", (unsigned long long)s->created_ms);
  snprintf(used, sizeof(used), "%llu", (unsigned long long)s->used_ms);
  rc = hub_store_pg_run(be, "session_put", 5, params, &res, err);
  if (rc == 0)
    PQclear(res);
  return rc;
}

int hub_store_pg_session_get(void *be, const char *id_hash,
                             struct hub_session *out, struct sb_err *err)
{
  const char *params[1] = {id_hash};
  PGresult *res;
  int rc = hub_store_pg_run(be, "session_get", 1, params, &res, err);

  if (rc != 0)
    return rc;
  if (PQntuples(res) == 0) {
    rc = sb_err_set(err, SB_ENOTFOUND, "no such session");
  } else {
    memset(out, 0, sizeof(*out));
    snprintf(out->id_hash, sizeof(out->id_hash), "%s", PQgetvalue(res, 0, 0));
    snprintf(out->user, sizeof(out->user), "%s", PQgetvalue(res, 0, 1));
    snprintf(out->csrf, sizeof(out->csrf), "%s", PQgetvalue(res, 0, 2));
    out->created_ms = hub_store_pg_u64_of(PQgetvalue(res, 0, 3));
    out->used_ms = hub_store_pg_u64_of(PQgetvalue(res, 0, 4));
  }
  PQclear(res);
  return rc;
}

int hub_store_pg_session_sweep(void *be, uint64_t used_before,
                               uint64_t made_before, uint64_t *removed,
                               struct sb_err *err)
{
  char used[24], made[24];
  const char *params[2] = {used, made};
  PGresult *res;
  int rc;

  snprintf(used, sizeof(used), "%llu", (unsigned long long)used_before);
  snprintf(made, sizeof(made), "%llu", (unsigned long long)made_before);
  rc = hub_store_pg_run(be, "session_sweep", 2, params, &res, err);
  *removed = 0;
  if (rc == 0) {
    *removed = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
  }
  return rc;
}

int hub_store_pg_session_remove(void *be, const char *id_hash,
                                struct sb_err *err)
{
  const char *params[1] = {id_hash};
  PGresult *res;
  int rc = hub_store_pg_run(be, "session_remove", 1, params, &res, err);
  if (rc == 0)
    PQclear(res);
  return rc;
}

/* The hub's replica id is shared by every hub on the database, so the
 * clock of its own writes is the feed_counter row's (taken under the
 * transaction's lock of that row): above every timestamp any hub issued,
 * and above this host's clock. If the row cannot be read the write's
 * statements fail too; the local clock is the answer then. */
uint64_t hub_store_pg_tick(void *be)
{
  struct pg *p = be;
  char num[24];
  const char *params[1] = {num};
  uint64_t ts = hlc_tick(&p->clock, hlc_wall_ms());
  PGresult *res;
  struct sb_err err = {0};

  snprintf(num, sizeof(num), "%llu", (unsigned long long)ts);
  if (hub_store_pg_run(p, "clock", 1, params, &res, &err) != 0)
    return ts;
  if (PQntuples(res) == 1) {
    ts = hub_store_pg_u64_of(PQgetvalue(res, 0, 0));
    hlc_observe(&p->clock, ts, hlc_wall_ms());
  }
  PQclear(res);
  return ts;
}
