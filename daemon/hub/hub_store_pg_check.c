/*
 * hub_store_pg_check.c - `sambang-hub check` on PostgreSQL
 * (hub_store_ops.check). The database keeps its own pages sound; what
 * can still be wrong is the hub's data in it, which a hand edit, a
 * restore of part of the tables or a bug could break:
 *   - the schema version is the one this build knows (migrations ran);
 *   - the hub's replica id and schema are there;
 *   - the feed counter is at or above every record's number (a counter
 *     below would hand out a number again, and a device holding a cursor
 *     past it would skip the change), and no number is 0 or below;
 *   - every device row is well formed (name, token hash, replica id,
 *     scope that parses against the hub's schema);
 *   - (full) every stored state decodes as the record its row names.
 * STORE_CHECK_MARK has nothing to look at; QUICK runs the table checks,
 * FULL also decodes every record. A check that finds a problem makes
 * this connection refuse writes (SB_ECORRUPT) until a full check finds
 * none: the hub that found it serves read-only, as on SQLite (the other
 * hubs find it at their own start).
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_pg.h"
#include "hub_store_pg_int.h"

#include "schema.h"
#include "scope.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check {
  struct pg *p;
  store_problem_fn fn;
  void *ctx;
  struct schema *schema;
  unsigned problems;
};

/* Reports one problem (printf-style). */
static void problem(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct check *c, const char *fmt, ...)
{
  char text[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  c->problems++;
  if (c->fn != NULL)
    c->fn(text, c->ctx);
}

/* One value of a one-row query (plain SQL, no parameters) into out. */
static int one_value(struct pg *p, const char *sql, char *out, size_t size,
                     struct sb_err *err)
{
  PGresult *res = PQexec(p->conn, sql);

  if (PQresultStatus(res) != PGRES_TUPLES_OK)
    return hub_store_pg_fail(p, res, "check", err);
  snprintf(out, size, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
  PQclear(res);
  return 0;
}

static int check_tables(struct check *c, struct sb_err *err)
{
  char v[64], max[32];
  int rc = one_value(c->p,
                     "SELECT coalesce(max(version), 0) FROM "
                     "schema_version",
                     v, sizeof(v), err);

  if (rc == 0 && hub_store_pg_u64_of(v) != hub_store_pg_schema_version())
    problem(c, "schema version %s, this sambang-hub's is %u", v,
            hub_store_pg_schema_version());
  if (rc == 0)
    rc = one_value(c->p, "SELECT coalesce(max(seq), 0) FROM records", max,
                   sizeof(max), err);
  if (rc == 0)
    rc = one_value(c->p, "SELECT seq FROM feed_counter WHERE id = 1", v,
                   sizeof(v), err);
  if (rc == 0 && v[0] == '\0')
    problem(c, "the feed counter row is missing");
  else if (rc == 0 && hub_store_pg_u64_of(v) < hub_store_pg_u64_of(max))
    problem(c,
            "the feed counter (%s) is below the newest record's number "
            "(%s): numbers would be handed out twice",
            v, max);
  if (rc == 0)
    rc = one_value(c->p, "SELECT count(*) FROM records WHERE seq <= 0", v,
                   sizeof(v), err);
  if (rc == 0 && strcmp(v, "0") != 0)
    problem(c, "%s records have a feed number of 0 or below", v);
  return rc;
}

/* Checks one device row's fields. */
static void check_device(struct check *c, const struct hub_device *d)
{
  struct scope_parts parts;
  struct sb_err why = {0};

  if (!hub_store_device_name_valid(d->name))
    problem(c, "device \"%.80s\": malformed name", d->name);
  if (!hub_device_hash_valid(d->token_hash))
    problem(c, "device %.80s: malformed token hash", d->name);
  if (d->replica[0] != '\0' && !vv_replica_id_valid(d->replica))
    problem(c, "device %.80s: malformed replica id", d->name);
  scope_parts_init(&parts);
  if (scope_parse(c->schema, d->scope, &parts, &why) != 0)
    problem(c, "device %.80s: scope \"%.80s\": %s", d->name, d->scope, why.msg);
  scope_parts_release(&parts);
}

static int device_one(const struct hub_device *d, void *ctx)
{
  check_device(ctx, d);
  return 0;
}

/* Rows of records whose state does not decode as the row's record. */
static int record_one(const char *collection, const char *id, uint64_t seq,
                      const char *text, size_t len, void *ctx)
{
  struct check *c = ctx;
  struct record r;
  struct sb_err why = {0};

  record_init(&r, collection, id);
  if (record_decode(&r, text, len, &why) != 0)
    problem(c, "record %.64s/%.128s (seq %llu): %s", collection, id,
            (unsigned long long)seq, why.msg);
  record_release(&r);
  return 0;
}

static int check_records(struct check *c, struct sb_err *err)
{
  return hub_store_pg_walk(c->p, record_one, c, err);
}

int hub_store_pg_check(void *be, enum store_check_level level, int budget_ms,
                       store_problem_fn fn, void *ctx,
                       enum store_check_state *state, struct sb_err *err)
{
  struct check c = {be, fn, ctx, NULL, 0};
  struct sb_err why = {0};
  int rc;

  (void)budget_ms; /* the table checks are a few indexed queries */
  if (state != NULL)
    *state = STORE_UNCHECKED;
  if (level == STORE_CHECK_MARK)
    return 0;
  rc = hub_store_pg_ready(c.p, err);
  if (rc == 0)
    rc = check_tables(&c, err);
  if (rc != 0)
    return rc;
  if (c.p->schema_text == NULL ||
      schema_parse(c.p->schema_text, &c.schema, &why) != 0)
    problem(&c, "the hub's schema does not parse: %s", why.msg);
  if (!vv_replica_id_valid(c.p->replica))
    problem(&c, "the hub's replica id is malformed");
  if (c.schema != NULL)
    rc = hub_store_pg_devices_list(be, device_one, &c, err);
  if (rc == 0 && level == STORE_CHECK_FULL)
    rc = check_records(&c, err);
  schema_free(c.schema);
  if (rc != 0)
    return rc;
  if (state != NULL)
    *state = c.problems > 0 ? STORE_CHECK_BAD : STORE_CHECK_OK;
  /* As SQLite's mark, for this hub: writes wait for a sound full check. */
  if (c.problems > 0 || level == STORE_CHECK_FULL)
    c.p->corrupt = c.problems > 0;
  if (c.problems > 0)
    return sb_err_set(err, SB_ECORRUPT, "%u problem%s in the hub store",
                      c.problems, c.problems == 1 ? "" : "s");
  return 0;
}
