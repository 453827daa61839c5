/*
 * hub_store_pg_scope.c - the PostgreSQL backend's primitives for device
 * scopes (struct hub_store_ops, hub_store.h; daemon/hub/DESIGN.md,
 * "Scopes"): a device by name, a device stored again (new scope, token
 * or enrolment), and the records of one collection. A device's scope is
 * the devices.scope column (migration 2: "all" for devices enrolled
 * before); the moves the scoped feed reads are meta rows
 * (scope.moved.COLLECTION/ID, hub_scope.c), as on SQLite.
 *
 * Scoped reads (daemon/hub/DESIGN.md, "Scoped reads"): records.part and
 * records.moved (migration 5), each with an index, let a scoped page read
 * only the entries of the device's parts, of no known part, and moved
 * since its cursor, not the whole feed. A save kept for the flush takes
 * its part and move with it (hub_store_pg_batch.c); any other row is
 * updated in place.
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_pg.h"
#include "hub_store_pg_int.h"

#include "proto.h"

#include "scope.h"

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
    /* The records of $1 whose state holds the string value $2 (the
     * canonical "value":"ID" of an entry naming it): a superset of those
     * following ID, checked by the caller, found without sending every
     * record of the collection to the hub. */
    {"refs_of", "SELECT id FROM records WHERE collection = $1 AND "
                "strpos(state, $2) > 0 ORDER BY id"},
    {"refs_noted", "SELECT id FROM refs WHERE ref = $1 AND collection = $2 "
                   "ORDER BY id"},
    /* hub_store_pg_batch.c: the notes of a push group's new records */
    {"notes_of", "SELECT r.ref, r.collection, r.id FROM unnest($1::text[]) "
                 "AS k(i) JOIN refs r ON r.ref = k.i"},
    {"part_set", "UPDATE records SET part = $3 WHERE collection = $1 AND "
                 "id = $2"},
    {"moved_set", "UPDATE records SET moved = greatest(coalesce(moved, 0), "
                  "$3::bigint) WHERE collection = $1 AND id = $2"},
    /* The first $2 entries after $1 of parts $4 (a JSON array), of no
     * known part, and moved after $5, each branch through its index (as
     * store.c's ST_CHANGES_PARTS on SQLite), ending at the first whose
     * state takes those before it past $6 bytes (one always comes), so a
     * page of big records is not read whole into memory; "total" says
     * how many there were before that cut. "moved IS NOT NULL" is implied
     * by "moved > $5" but tells the generic plan (used after five runs)
     * how few rows have moved: without it, its guess of a third of the
     * table walked the whole seq index for the rare moved rows (12.7 ms a
     * page of 1,000 against 4.1 ms, 20,000 beneficiaries). */
    {"feed_parts",
     "SELECT collection, id, seq, st, total, part FROM (SELECT collection, "
     "id, seq, part, CASE WHEN echo = $3 THEN NULL ELSE state END AS st, "
     "coalesce(sum("
     "octet_length(state)) FILTER (WHERE (echo = $3) IS NOT TRUE) OVER w, 0) "
     "AS bytes, count(*) OVER () AS total FROM records WHERE seq IN (SELECT "
     "seq FROM ((SELECT seq FROM records WHERE part = ANY (ARRAY(SELECT "
     "jsonb_array_elements_text($4::jsonb))) AND seq > $1 ORDER BY part, seq "
     "LIMIT $2) UNION (SELECT seq FROM records WHERE part IS NULL AND seq > "
     "$1 ORDER BY seq LIMIT $2) UNION (SELECT seq FROM records WHERE moved "
     "IS NOT NULL AND moved > $5 ORDER BY seq LIMIT $2)) u ORDER BY seq LIMIT "
     "$2) WINDOW w AS (ORDER "
     "BY seq ROWS UNBOUNDED PRECEDING)) t WHERE bytes - coalesce(octet_length"
     "(st), 0) <= $6 ORDER BY seq"},
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

void hub_store_pg_device_params(const struct hub_device *d, char *created,
                                const char *params[6])
{
  snprintf(created, 24, "%llu", (unsigned long long)d->created_ms);
  params[0] = d->name;
  params[1] = d->token_hash;
  params[2] = d->replica;
  params[3] = d->revoked ? "true" : "false";
  params[4] = created;
  params[5] = d->scope[0] ? d->scope : "all";
}

/* One statement, so its own transaction: the old token hash is replaced
 * in the same row, and is refused from then on. */
int hub_store_pg_device_update(void *be, const struct hub_device *d,
                               const char *old_token_hash, struct sb_err *err)
{
  char created[24];
  const char *params[6];
  PGresult *res;
  int rc;

  (void)old_token_hash; /* the row holds one token: it is overwritten */
  hub_store_pg_device_params(d, created, params);
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

bool hub_store_pg_refs_complete(struct pg *p)
{
  char *v = NULL;
  struct sb_err ignored = {0};

  if (!p->refs_complete &&
      hub_store_pg_ops.meta_get(p, STORE_META_REFS_COMPLETE, &v, &ignored) == 0)
    p->refs_complete = v != NULL && strcmp(v, "1") == 0;
  free(v);
  return p->refs_complete;
}

int hub_store_pg_refs_each(void *be, const char *ref, const char *collection,
                           int (*fn)(const char *id, void *ctx), void *ctx,
                           struct sb_err *err)
{
  char needle[SB_ID_MAX + 16];
  const char *noted[2] = {ref, collection}, *found[2] = {collection, needle};
  PGresult *res;
  int i, rc;

  if (hub_store_pg_refs_complete(be)) {
    rc = hub_store_pg_batch_refs(be, ref, collection, fn, ctx);
    if (rc != 1)
      return rc; /* read with the push group's prefetch */
    rc = hub_store_pg_flush_refs(be, err); /* the notes kept so far */
    if (rc == 0)
      rc = hub_store_pg_run(be, "refs_noted", 2, noted, &res, err);
  } else {
    /* A record id needs no JSON escape, so this is its canonical value. */
    snprintf(needle, sizeof(needle), "\"value\":\"%s\"", ref);
    rc = hub_store_pg_flush(be, err); /* the saves kept so far */
    if (rc == 0)
      rc = hub_store_pg_run(be, "refs_of", 2, found, &res, err);
  }
  if (rc != 0)
    return rc;
  for (i = 0; rc == 0 && i < PQntuples(res); i++)
    rc = fn(PQgetvalue(res, i, 0), ctx);
  PQclear(res);
  return rc;
}

int hub_store_pg_part_set(void *be, const char *collection, const char *id,
                          const char *part, struct sb_err *err)
{
  const char *params[3] = {collection, id, part};
  PGresult *res;
  int rc = hub_store_pg_batch_part(be, collection, id, part, err);

  if (rc != 1)
    return rc; /* kept with its save, for the flush */
  rc = hub_store_pg_run(be, "part_set", 3, params, &res, err);
  if (rc == 0)
    PQclear(res);
  return rc;
}

int hub_store_pg_moved_set(void *be, const char *collection, const char *id,
                           uint64_t seq, struct sb_err *err)
{
  char at[24];
  const char *params[3] = {collection, id, at};
  PGresult *res;
  int rc;

  if (hub_store_pg_batch_moved(be, collection, id, seq) == 0)
    return 0; /* kept with its save, for the flush */
  snprintf(at, sizeof(at), "%llu", (unsigned long long)seq);
  rc = hub_store_pg_run(be, "moved_set", 3, params, &res, err);
  if (rc == 0)
    PQclear(res);
  return rc;
}

int hub_store_pg_feed_parts(void *be, uint64_t since, unsigned limit,
                            unsigned want, const struct scope_parts *parts,
                            bool moved, const char *holder,
                            store_part_text_fn fn, void *ctx,
                            struct sb_err *err)
{
  char from[24], lim[16], after[24], bytes[24];
  const char *params[6] = {from, lim, holder, NULL, after, bytes};
  char *json = scope_parts_json((const char *const *)parts->v, parts->n);
  /* The result comes whole: read what the page can take, not the scan's
   * bound (a page of 1,000 read 5,001 rows, their states with them). */
  unsigned cap = want > 0 && want < limit ? want : limit;
  PGresult *res;
  uint64_t total;
  int i, rc;

  if (json == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory reading changes");
  params[3] = json;
  snprintf(from, sizeof(from), "%llu", (unsigned long long)since);
  snprintf(lim, sizeof(lim), "%u", cap);
  /* Not moved: a bound past every number. */
  snprintf(after, sizeof(after), "%lld",
           moved && since < INT64_MAX ? (long long)since
                                      : (long long)INT64_MAX);
  snprintf(bytes, sizeof(bytes), "%lld", (long long)PROTO_PAGE_BYTES);
  rc = hub_store_pg_flush(be, err); /* the saves kept so far */
  if (rc == 0)
    rc = hub_store_pg_run(be, "feed_parts", 6, params, &res, err);
  free(json);
  if (rc != 0)
    return rc;
  for (i = 0; rc == 0 && i < PQntuples(res); i++)
    rc = fn(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
            hub_store_pg_u64_of(PQgetvalue(res, i, 2)),
            PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5),
            PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
            (size_t)PQgetlength(res, i, 3), ctx);
  /* Walked to the byte cut with entries after it, or to the cap below
   * limit: more may follow. */
  total = PQntuples(res) > 0 ? hub_store_pg_u64_of(PQgetvalue(res, 0, 4)) : 0;
  if (rc == 0 && PQntuples(res) > 0 &&
      ((uint64_t)PQntuples(res) < total || (cap < limit && total == cap)))
    rc = HUB_FEED_CUT;
  PQclear(res);
  return rc;
}

int hub_store_pg_ref_add(void *be, const char *ref, const char *collection,
                         const char *id, struct sb_err *err)
{
  return hub_store_pg_batch_ref(be, ref, collection, id, err);
}
