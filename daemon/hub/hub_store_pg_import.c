/*
 * hub_store_pg_import.c - what `sambang-hub migrate` copies into a
 * PostgreSQL hub store (hub_store_copy, hub_store_copy.c): record states at
 * their own feed numbers, devices as they are, and the settings read by
 * prefix (the purge meta).
 */
#include "compat.h"

#include "hub_store_pg.h"
#include "hub_store_pg_int.h"

#include <stdio.h>

const struct hub_store_pg_stmt hub_store_pg_import_stmts[] = {
    {"meta_each", "SELECT key, value FROM meta WHERE starts_with(key, $1) "
                  "ORDER BY key"},
    {"import", "INSERT INTO records (collection, id, state, seq) VALUES "
               "($1, $2, $3, $4)"},
    {"import_seq", "UPDATE feed_counter SET seq = greatest(seq, $1) "
                   "WHERE id = 1"},
    {"dev_import", "INSERT INTO devices (name, token_sha256, replica, "
                   "revoked, created_ms, scope) VALUES ($1, $2, "
                   "nullif($3, ''), $4::boolean, $5, $6)"},
    {NULL, NULL},
};

int hub_store_pg_meta_each(void *be, const char *prefix, store_meta_fn fn,
                           void *ctx, struct sb_err *err)
{
  const char *params[1] = {prefix};
  PGresult *res;
  int i, rc = hub_store_pg_run(be, "meta_each", 1, params, &res, err);

  for (i = 0; rc == 0 && i < PQntuples(res); i++)
    rc = fn(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), ctx);
  PQclear(res);
  return rc;
}

int hub_store_pg_import_record(void *be, const char *collection, const char *id,
                               const char *text, uint64_t seq,
                               struct sb_err *err)
{
  char num[24];
  const char *params[4] = {collection, id, text, num};
  PGresult *res;
  int rc;

  snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
  rc = text == NULL ? 0 /* only the counter */
                    : hub_store_pg_run(be, "import", 4, params, &res, err);
  if (rc == 0 && text != NULL)
    PQclear(res);
  if (rc == 0)
    rc = hub_store_pg_run(be, "import_seq", 1, params + 3, &res, err);
  if (rc == 0)
    PQclear(res);
  return rc;
}

int hub_store_pg_import_device(void *be, const struct hub_device *d,
                               struct sb_err *err)
{
  char created[24];
  const char *params[6];
  PGresult *res;
  int rc;

  hub_store_pg_device_params(d, created, params);
  rc = hub_store_pg_run(be, "dev_import", 6, params, &res, err);
  if (rc == 0)
    PQclear(res);
  return rc;
}
