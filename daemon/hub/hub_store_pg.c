/*
 * hub_store_pg.c - the hub's storage primitives (struct hub_store_ops,
 * hub_store.h) on PostgreSQL through libpq, for several stateless hubs on
 * one database. A backend's connection is one PGconn; the path is a
 * libpq URI (postgresql://...). No policy lives here (hub_push.c).
 *
 * Tables (migrations below, versioned in schema_version):
 *   meta(key, value)                    the hub's replica id, its schema
 *   feed_counter(id = 1, seq)           the newest feed number
 *   records(collection, id, state, seq) one row per record, at its latest
 *   devices(name, token_sha256, replica, revoked, created_ms,
 *           seen_ms, push_ms, pull_ms, app)   the last four: activity
 * Text columns that order the export use COLLATE "C" (byte order, as
 * SQLite's BINARY), so exports are byte-identical on both backends.
 *
 * Feed order equals commit order: a write transaction starts by locking
 * the one feed_counter row (SELECT ... FOR UPDATE), every saved record
 * takes the next number from that row, and the lock is held until the
 * commit. Writers on every hub are serialised on that row, so a number is
 * visible only once every lower one is (daemon/hub/DESIGN.md, "The change
 * feed"). A transaction's records are read, numbered and written in few
 * round trips (hub_store_pg_batch.c), so the row is held briefly. The
 * commit sends NOTIFY sambang_feed with the newest number;
 * the LISTEN side is hub_store_pg_watch.c.
 *
 * Failures: a lost connection is reset on the next use; it, a
 * serialization failure (40001) and a deadlock (40P01) answer SB_EBUSY
 * and mark the failure transient (hub_store.c runs the push again).
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

#define PG_CHANNEL "sambang_feed"
#define PG_LOCK_KEY "727368756200" /* advisory lock of init and migrations */

/* The statements, prepared once per session: every query with data. */
static const struct hub_store_pg_stmt stmts[] = {
    {"last", "SELECT seq FROM feed_counter WHERE id = 1"},
    {"load",
     "SELECT state, seq FROM records WHERE collection = $1 AND id = $2"},
    /* hub_store_pg_batch.c: a group's records in one read, its saves
     * and the counter in one write (every save sets echo, NULL or not) */
    {"prefetch", "SELECT k.c, k.i, r.state, r.seq, m.value, r.part FROM "
                 "unnest($1::text[], $2::text[]) AS k(c, i) LEFT JOIN records "
                 "r ON r.collection = k.c AND r.id = k.i LEFT JOIN meta m ON "
                 "m.key = 'purge.id.' || k.c || '/' || k.i"},
    /* part: as saved, NULL unless set after the save; moved: kept, and
     * moved forward only */
    {"flush", "WITH c AS (UPDATE feed_counter SET seq = $6::bigint WHERE id "
              "= 1) INSERT INTO records (collection, id, state, seq, echo, "
              "part, moved) SELECT * FROM unnest($1::text[], $2::text[], "
              "$3::text[], $4::bigint[], $5::text[], $7::text[], "
              "$8::bigint[]) ON CONFLICT (collection, id) DO UPDATE SET "
              "state = EXCLUDED.state, seq = EXCLUDED.seq, echo = "
              "EXCLUDED.echo, part = EXCLUDED.part, moved = CASE WHEN "
              "EXCLUDED.moved IS NULL THEN records.moved ELSE "
              "greatest(coalesce(records.moved, 0), EXCLUDED.moved) END"},
    {"purge", "DELETE FROM records WHERE collection = $1 AND id = $2"},
    {"refs_purge", "DELETE FROM refs WHERE collection = $1 AND id = $2"},
    {"refs_add", "INSERT INTO refs SELECT * FROM unnest($1::text[], "
                 "$2::text[], $3::text[]) ON CONFLICT DO NOTHING"},
    /* At most $2 entries, ending at the $4-th that is not $3's echo or at
     * the first whose state takes those before it past $5 bytes, whichever
     * comes first (hub_store_ops.feed's want): a page skipping echoes
     * looks at up to 20,000 entries to send 2,000, and only those come
     * over the wire (octet_length does not detoast). The LIMIT sits in a
     * subquery of its own so that the bound on sent, which only grows
     * along the window, becomes the window's run condition (PostgreSQL
     * 15): the scan stops at the $4-th entry sent instead of reading its
     * $2 entries to keep a thousand (a LIMIT beside the window keeps the
     * bound outside it). */
    {"feed",
     "SELECT collection, id, seq, st FROM (SELECT collection, id, seq, "
     "CASE WHEN echo = $3 THEN NULL ELSE state END AS st, count(*) FILTER "
     "(WHERE (echo = $3) IS NOT TRUE) OVER w AS sent, coalesce(sum("
     "octet_length(state)) FILTER (WHERE (echo = $3) IS NOT TRUE) OVER w, 0) "
     "AS bytes FROM (SELECT collection, id, seq, echo, state FROM records "
     "WHERE seq > $1 ORDER BY seq LIMIT $2) r WINDOW w AS (ORDER BY seq ROWS "
     "UNBOUNDED PRECEDING)) t WHERE sent <= $4 AND bytes - coalesce("
     "octet_length(st), 0) <= $5 ORDER BY seq"},
    /* A walk in key order, $3 rows at a time after ($1, $2) (keyset: a
     * result is held whole by libpq). */
    {"each", "SELECT collection, id, seq, state FROM records WHERE "
             "(collection, id) > ($1, $2) ORDER BY collection, id LIMIT $3"},
    {"meta_get", "SELECT value FROM meta WHERE key = $1"},
    {"meta_delete", "DELETE FROM meta WHERE key = $1"},
    {"meta_set", "INSERT INTO meta (key, value) VALUES ($1, $2) "
                 "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"},
    {"dev_add", "INSERT INTO devices (name, token_sha256, replica, revoked, "
                "created_ms, scope) VALUES ($1, $2, NULL, false, $3, $4)"},
    {"dev_list", "SELECT name, token_sha256, coalesce(replica, ''), revoked, "
                 "created_ms, scope FROM devices ORDER BY name"},
    {"dev_revoke", "UPDATE devices SET revoked = true WHERE name = $1"},
    {"dev_token", "SELECT name, token_sha256, coalesce(replica, ''), revoked, "
                  "created_ms, scope FROM devices WHERE token_sha256 = $1"},
    {"dev_lock", "SELECT name, token_sha256, coalesce(replica, ''), revoked, "
                 "created_ms, scope FROM devices WHERE name = $1 FOR UPDATE"},
    {"dev_owner", "SELECT name FROM devices WHERE replica = $1"},
    {"dev_bind", "UPDATE devices SET replica = $2 WHERE name = $1"},
    /* activity: several hubs note it, each figure only moves forward */
    {"dev_act_set", "UPDATE devices SET seen_ms = greatest(seen_ms, "
                    "$2::bigint), push_ms = greatest(push_ms, $3::bigint), "
                    "pull_ms = greatest(pull_ms, $4::bigint), app = CASE WHEN "
                    "$5 = '' THEN app ELSE $5 END, pending = CASE WHEN "
                    "$6::bigint > marks_ms THEN $7::bigint ELSE pending END, "
                    "refused = CASE WHEN $6::bigint > marks_ms THEN $8::bigint "
                    "ELSE refused END, marks_ms = greatest(marks_ms, "
                    "$6::bigint), copied_ms = greatest(copied_ms, "
                    "$9::bigint) WHERE name = $1"},
    {"dev_act_get", "SELECT seen_ms, push_ms, pull_ms, app, marks_ms, "
                    "pending, refused, copied_ms FROM devices WHERE name = "
                    "$1"},
};

/* The migrations, in order: migration i brings the schema to version i+1. */
static const char *const migrations[] = {
    "CREATE TABLE meta (key text COLLATE \"C\" PRIMARY KEY, value text NOT "
    "NULL);"
    "CREATE TABLE feed_counter (id integer PRIMARY KEY CHECK (id = 1), seq "
    "bigint NOT NULL);"
    "INSERT INTO feed_counter VALUES (1, 0);"
    "CREATE TABLE records (collection text COLLATE \"C\" NOT NULL, id text "
    "COLLATE \"C\" NOT NULL, state text NOT NULL, seq bigint NOT NULL UNIQUE, "
    "PRIMARY KEY (collection, id));"
    "CREATE TABLE devices (name text COLLATE \"C\" PRIMARY KEY, token_sha256 "
    "text NOT NULL UNIQUE, replica text UNIQUE, revoked boolean NOT NULL, "
    "created_ms bigint NOT NULL);",
    /* 2: device scopes, office users and sessions, the
     * clock of the hub's own writes (shared by every hub: one replica). */
    "ALTER TABLE devices ADD COLUMN scope text NOT NULL DEFAULT 'all';"
    "ALTER TABLE feed_counter ADD COLUMN clock bigint NOT NULL DEFAULT 0;"
    "CREATE TABLE office_users (name text COLLATE \"C\" PRIMARY KEY, role "
    "text NOT NULL, pwhash text NOT NULL, created_ms bigint NOT NULL, "
    "changed_ms bigint NOT NULL);"
    "CREATE TABLE office_sessions (id_sha256 text PRIMARY KEY, user_name "
    "text NOT NULL REFERENCES office_users (name) ON DELETE CASCADE, csrf "
    "text NOT NULL, created_ms bigint NOT NULL, used_ms bigint NOT NULL);",
    /* 3: devices' activity (OFFICE.md) */
    "ALTER TABLE devices ADD COLUMN seen_ms bigint NOT NULL DEFAULT 0, "
    "ADD COLUMN push_ms bigint NOT NULL DEFAULT 0, ADD COLUMN pull_ms bigint "
    "NOT NULL DEFAULT 0, ADD COLUMN app text NOT NULL DEFAULT '';",
    /* 4: the replica whose push stored exactly this state (NULL for
     * any other write): daemon/hub/DESIGN.md, "No echo". */
    "ALTER TABLE records ADD COLUMN echo text;",
    /* 5: scoped reads (daemon/hub/DESIGN.md, "Scoped reads"): a record's
     * one scope part (NULL: several, all or not known) and its newest
     * move, each with an index a scoped page reads through */
    "ALTER TABLE records ADD COLUMN part text COLLATE \"C\", "
    "ADD COLUMN moved bigint;"
    "CREATE INDEX records_part ON records (part, seq);"
    "CREATE INDEX records_moved ON records (moved, seq) WHERE moved IS NOT "
    "NULL;",
    /* 6: what each device last said it holds that is not at the hub
     * (PROTO_MARKS_HEADER), and when */
    "ALTER TABLE devices ADD COLUMN marks_ms bigint NOT NULL DEFAULT 0, "
    "ADD COLUMN pending bigint NOT NULL DEFAULT 0, ADD COLUMN refused "
    "bigint NOT NULL DEFAULT 0;",
    /* 7: who follows whom (daemon/hub/DESIGN.md, "Moves"): collection/id
     * names ref in the field its scope follows; filled for the records
     * already there by the first hub that opens it (meta refs.complete) */
    "CREATE TABLE refs (ref text COLLATE \"C\" NOT NULL, collection text "
    "COLLATE \"C\" NOT NULL, id text COLLATE \"C\" NOT NULL, PRIMARY KEY "
    "(ref, collection, id));"
    "CREATE INDEX refs_of ON refs (collection, id);",
    /* 8: each device's last push refused as another store's
     * (copied_store: daemon/hub/DESIGN.md, "One store per device") */
    "ALTER TABLE devices ADD COLUMN copied_ms bigint NOT NULL DEFAULT 0;",
};
#define PG_SCHEMA_VERSION (sizeof(migrations) / sizeof(migrations[0]))

unsigned hub_store_pg_schema_version(void)
{
  return (unsigned)PG_SCHEMA_VERSION;
}

/* --- errors ------------------------------------------------------------ */

bool hub_store_pg_sqlstate_is(const char *st, const char *want)
{
  return st != NULL && strncmp(st, want, strlen(want)) == 0;
}

/* Maps a failed result (or a failed connection, res NULL) to an SB_E code
 * with what and the server's message; clears res. */
int hub_store_pg_fail(struct pg *p, PGresult *res, const char *what,
                      struct sb_err *err)
{
  const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn);
  char text[SB_ERR_MSG_MAX];
  size_t n;
  int code = SB_EIO;

  snprintf(text, sizeof(text), "%s", msg != NULL ? msg : "");
  n = strlen(text);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
    text[--n] = '\0';
  p->transient = false;
  if (PQstatus(p->conn) != CONNECTION_OK ||
      hub_store_pg_sqlstate_is(st, "08") ||
      hub_store_pg_sqlstate_is(st, "57P") ||
      hub_store_pg_sqlstate_is(st, "53300")) {
    code = SB_EBUSY; /* the database is unreachable or restarting */
    p->transient = true;
  } else if (hub_store_pg_sqlstate_is(st, "40001") ||
             hub_store_pg_sqlstate_is(st, "40P01")) {
    code = SB_EBUSY;
    p->transient = true;
  } else if (hub_store_pg_sqlstate_is(st, "53100")) {
    code = SB_EFULL;
  } else if (hub_store_pg_sqlstate_is(st, "23505")) {
    code = SB_EEXISTS;
  } else if (hub_store_pg_sqlstate_is(st, "25006")) {
    code = SB_EREADONLY;
  }
  PQclear(res);
  return sb_err_set(err, code, "PostgreSQL, %s: %s", what,
                    text[0] ? text : "failed");
}

static void no_notices(void *arg, const char *message)
{
  (void)arg;
  (void)message;
}

/* Prepares n statements of table t (n 0: up to its {NULL} row). */
static int prepare_table(struct pg *p, const struct hub_store_pg_stmt *t,
                         size_t n, struct sb_err *err)
{
  size_t i;
  for (i = 0; n > 0 ? i < n : t[i].name != NULL; i++) {
    PGresult *res = PQprepare(p->conn, t[i].name, t[i].sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
      return hub_store_pg_fail(p, res, t[i].name, err);
    PQclear(res);
  }
  return 0;
}

/* Prepares every statement on a fresh session. */
static int pg_prepare(struct pg *p, struct sb_err *err)
{
  int rc = prepare_table(p, stmts, sizeof(stmts) / sizeof(stmts[0]), err);
  if (rc == 0)
    rc = prepare_table(p, hub_store_pg_office_stmts, 0, err);
  if (rc == 0)
    rc = prepare_table(p, hub_store_pg_scope_stmts, 0, err);
  if (rc == 0)
    rc = prepare_table(p, hub_store_pg_import_stmts, 0, err);
  if (rc == 0)
    p->prepared = true;
  return rc;
}

/* A usable session: resets a lost connection (outside a transaction) and
 * prepares the statements. */
int hub_store_pg_ready(struct pg *p, struct sb_err *err)
{
  if (PQstatus(p->conn) != CONNECTION_OK) {
    if (p->in_tx)
      return hub_store_pg_fail(p, NULL, "connection lost in a transaction",
                               err);
    p->prepared = false;
    PQreset(p->conn);
    if (PQstatus(p->conn) != CONNECTION_OK)
      return hub_store_pg_fail(p, NULL, "cannot reconnect", err);
  }
  if (!p->prepared)
    return pg_prepare(p, err);
  return 0;
}

int hub_store_pg_ready_to_write(struct pg *p, struct sb_err *err)
{
  if (p->corrupt)
    return sb_err_set(err, SB_ECORRUPT,
                      "the hub store failed its check; "
                      "run sambang-hub check");
  return hub_store_pg_ready(p, err);
}

/* Runs prepared statement name with n text parameters; *out is the result
 * (tuples or command ok), or an error. */
int hub_store_pg_run(struct pg *p, const char *name, int n,
                     const char *const *params, PGresult **out,
                     struct sb_err *err)
{
  PGresult *res;
  ExecStatusType st;
  int rc = hub_store_pg_ready(p, err);

  *out = NULL;
  if (rc != 0)
    return rc;
  res = PQexecPrepared(p->conn, name, n, params, NULL, NULL, 0);
  st = PQresultStatus(res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    return hub_store_pg_fail(p, res, name, err);
  *out = res;
  return 0;
}

/* Runs plain SQL without parameters (transaction control, DDL). */
int hub_store_pg_exec(struct pg *p, const char *sql, struct sb_err *err)
{
  PGresult *res = PQexec(p->conn, sql);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    return hub_store_pg_fail(p, res, sql, err);
  PQclear(res);
  return 0;
}

uint64_t hub_store_pg_u64_of(const char *s)
{
  return strtoull(s, NULL, 10);
}

/* --- connection, schema ------------------------------------------------ */

static void pg_free(struct pg *p)
{
  if (p == NULL)
    return;
  hub_store_pg_watch_stop(p->watch);
  hub_store_pg_batch_clear(p);
  if (p->conn != NULL)
    PQfinish(p->conn);
  free(p->schema_text);
  free(p->uri);
  free(p);
}

/* Connects to uri (connect_timeout 5 s unless the uri says). */
PGconn *hub_store_pg_connect(const char *uri)
{
  const char *keys[] = {"connect_timeout", "dbname", NULL};
  const char *vals[] = {"5", uri, NULL};
  PGconn *c = PQconnectdbParams(keys, vals, 1);
  if (c != NULL)
    PQsetNoticeProcessor(c, no_notices, NULL);
  return c;
}

static int pg_connect(const char *uri, struct pg **out, struct sb_err *err)
{
  struct pg *p = calloc(1, sizeof(*p));

  *out = NULL;
  if (p == NULL || (p->uri = strdup(uri)) == NULL) {
    free(p);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  p->conn = hub_store_pg_connect(uri);
  if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
    int rc = p->conn == NULL
                 ? sb_err_set(err, SB_ENOMEM, NULL)
                 : hub_store_pg_fail(p, NULL, "cannot connect", err);
    pg_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

/* The schema version of the database (0: no hub store in it). */
static int pg_version(struct pg *p, unsigned *version, struct sb_err *err)
{
  PGresult *res = PQexec(p->conn, "SELECT to_regclass('schema_version') IS "
                                  "NOT NULL");
  int rc;

  *version = 0;
  if (PQresultStatus(res) != PGRES_TUPLES_OK)
    return hub_store_pg_fail(p, res, "reading the schema version", err);
  rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
  PQclear(res);
  if (!rc)
    return 0;
  res = PQexec(p->conn, "SELECT coalesce(max(version), 0) FROM schema_version");
  if (PQresultStatus(res) != PGRES_TUPLES_OK)
    return hub_store_pg_fail(p, res, "reading the schema version", err);
  *version = (unsigned)hub_store_pg_u64_of(PQgetvalue(res, 0, 0));
  PQclear(res);
  return 0;
}

/* Runs the migrations above the database's version, in the open
 * transaction (which holds the advisory lock). */
static int pg_migrate(struct pg *p, unsigned from, struct sb_err *err)
{
  char sql[128];
  unsigned v;
  int rc = 0;

  if (from == 0)
    rc = hub_store_pg_exec(
        p,
        "CREATE TABLE schema_version (version integer PRIMARY "
        "KEY, applied timestamptz NOT NULL DEFAULT now())",
        err);
  for (v = from; rc == 0 && v < PG_SCHEMA_VERSION; v++) {
    rc = hub_store_pg_exec(p, migrations[v], err);
    snprintf(sql, sizeof(sql),
             "INSERT INTO schema_version (version) "
             "VALUES (%u)",
             v + 1);
    if (rc == 0)
      rc = hub_store_pg_exec(p, sql, err);
  }
  return rc;
}

static int meta_read(struct pg *p, const char *key, char **value,
                     struct sb_err *err)
{
  const char *params[1] = {key};
  PGresult *res;
  int rc = hub_store_pg_run(p, "meta_get", 1, params, &res, err);

  *value = NULL;
  if (rc != 0)
    return rc;
  if (PQntuples(res) == 0)
    rc = sb_err_set(err, SB_ENOTFOUND, "no setting %s", key);
  else if ((*value = strdup(PQgetvalue(res, 0, 0))) == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  PQclear(res);
  return rc;
}

/* Loads the hub's replica id and schema text. */
static int pg_load_meta(struct pg *p, struct sb_err *err)
{
  char *replica = NULL;
  int rc = meta_read(p, "replica", &replica, err);

  if (rc == 0)
    rc = meta_read(p, "schema", &p->schema_text, err);
  if (rc == SB_ENOTFOUND)
    rc = sb_err_set(err, SB_ECORRUPT, "the hub store lacks its %s",
                    replica == NULL ? "replica id" : "schema");
  if (rc == 0 && !vv_replica_id_valid(replica))
    rc = sb_err_set(err, SB_ECORRUPT, "the hub's replica id is malformed");
  if (rc == 0)
    snprintf(p->replica, sizeof(p->replica), "%s", replica);
  free(replica);
  return rc;
}

static int pg_meta_set(void *be, const char *key, const char *value,
                       struct sb_err *err);
static int pg_replica_renew(void *be, struct sb_err *err);

/* Opens uri: creates the store (create) or requires one, migrating an
 * older schema under the advisory lock. */
static int pg_start(const char *uri, const char *schema_text, bool create,
                    void **be, struct sb_err *err)
{
  struct pg *p = NULL;
  unsigned version;
  char shown[HUB_STORE_SHOWN_MAX];
  int rc = pg_connect(uri, &p, err);

  hub_store_shown(uri, shown, sizeof(shown));
  *be = NULL;
  if (rc != 0)
    return rc;
  rc = hub_store_pg_exec(p, "BEGIN", err);
  if (rc == 0)
    rc = hub_store_pg_exec(p, "SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ")",
                           err);
  if (rc == 0)
    rc = pg_version(p, &version, err);
  if (rc != 0)
    goto fail;
  if (create && version > 0) {
    rc = sb_err_set(err, SB_EEXISTS, "a hub store already exists in %s", shown);
  } else if (!create && version == 0) {
    rc = sb_err_set(err, SB_ENOTFOUND, "no hub store in %s", shown);
  } else if (version > PG_SCHEMA_VERSION) {
    rc = sb_err_set(err, SB_EVERSION,
                    "the hub store in %s has schema "
                    "version %u; this sambang-hub knows up to %u",
                    shown, version, (unsigned)PG_SCHEMA_VERSION);
  } else {
    rc = pg_migrate(p, version, err);
  }
  if (rc == 0)
    rc = pg_prepare(p, err); /* the tables exist now */
  if (rc == 0 && create)
    rc = pg_replica_renew(p, err); /* a new store's first one */
  if (rc == 0 && create)
    rc = pg_meta_set(p, "schema", schema_text, err);
  if (rc == 0)
    rc = hub_store_pg_exec(p, "COMMIT", err);
  if (rc == 0)
    rc = pg_load_meta(p, err);
  if (rc == 0) {
    *be = p;
    return 0;
  }
fail:
  pg_free(p);
  return rc;
}

static int pg_create(const char *path, const char *schema_text, void **be,
                     struct sb_err *err)
{
  return pg_start(path, schema_text, true, be, err);
}

static int pg_open(const char *path, void **be, struct sb_err *err)
{
  return pg_start(path, NULL, false, be, err);
}

static void pg_close(void *be)
{
  pg_free(be);
}

static const char *pg_replica(const void *be)
{
  return ((const struct pg *)be)->replica;
}

static const char *pg_schema_text(const void *be)
{
  return ((const struct pg *)be)->schema_text;
}

bool hub_store_pg_transient(void *be)
{
  return ((struct pg *)be)->transient;
}

/* --- transactions ------------------------------------------------------ */

static int pg_begin(void *be, struct sb_err *err)
{
  struct pg *p = be;
  PGresult *res;
  int rc;

  rc = hub_store_pg_ready_to_write(p, err);
  if (rc != 0)
    return rc;
  hub_store_pg_batch_clear(p);
  p->in_tx = true;
  p->tx_seq = 0;
  /* Serialises writers of every hub until the commit: feed = commit order.
   * One round trip; the counter's value numbers this transaction's saves
   * (hub_store_pg_batch.c). */
  res = PQexec(p->conn, "BEGIN; SELECT seq FROM feed_counter WHERE id = 1 "
                        "FOR UPDATE");
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
    p->counter = hub_store_pg_u64_of(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
  }
  rc = PQresultStatus(res) == PGRES_TUPLES_OK
           ? (PQclear(res), sb_err_set(err, SB_ECORRUPT, "no feed counter"))
           : hub_store_pg_fail(p, res, "lock", err);
  if (PQstatus(p->conn) == CONNECTION_OK)
    PQclear(PQexec(p->conn, "ROLLBACK"));
  p->in_tx = false;
  return rc;
}

static int pg_commit(void *be, struct sb_err *err)
{
  struct pg *p = be;
  int rc = 0;

  if (!p->in_tx)
    return 0; /* nothing open (a failed begin was rolled back) */
  rc = hub_store_pg_flush(p, err);
  if (rc == 0 && p->tx_seq > 0) {
    char sql[96]; /* the notice and the commit in one round trip */

    snprintf(sql, sizeof(sql),
             "SELECT pg_notify('" PG_CHANNEL "', '%llu'); "
             "COMMIT",
             (unsigned long long)p->tx_seq);
    rc = hub_store_pg_exec(p, sql, err);
  } else if (rc == 0) {
    rc = hub_store_pg_exec(p, "COMMIT", err);
  }
  if (rc != 0 && PQstatus(p->conn) == CONNECTION_OK)
    PQclear(PQexec(p->conn, "ROLLBACK"));
  p->in_tx = false;
  p->tx_seq = 0;
  hub_store_pg_batch_clear(p);
  return rc;
}

static void pg_rollback(void *be)
{
  struct pg *p = be;
  hub_store_pg_batch_clear(p);
  if (!p->in_tx)
    return;
  if (PQstatus(p->conn) == CONNECTION_OK)
    PQclear(PQexec(p->conn, "ROLLBACK"));
  p->in_tx = false;
  p->tx_seq = 0;
}

/* --- records and the feed ---------------------------------------------- */

static int pg_load(void *be, const char *collection, const char *id,
                   char **text, size_t *len, uint64_t *seq, struct sb_err *err)
{
  const char *params[2] = {collection, id};
  PGresult *res;
  int rc;

  *text = NULL;
  rc = hub_store_pg_batch_load(be, collection, id, text, len, seq, err);
  if (rc <= 0)
    return rc; /* answered from what the transaction read or saved */
  rc = hub_store_pg_run(be, "load", 2, params, &res, err);
  if (rc != 0)
    return rc;
  if (PQntuples(res) == 0) {
    PQclear(res);
    hub_store_pg_batch_loaded(be, collection, id, NULL, 0, 0);
    return sb_err_not_found(err, collection, id);
  }
  *len = (size_t)PQgetlength(res, 0, 0);
  *seq = hub_store_pg_u64_of(PQgetvalue(res, 0, 1));
  hub_store_pg_batch_loaded(be, collection, id, PQgetvalue(res, 0, 0), *len,
                            *seq);
  *text = malloc(*len + 1);
  if (*text != NULL)
    memcpy(*text, PQgetvalue(res, 0, 0), *len + 1);
  PQclear(res);
  return *text == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
}

static int pg_save(void *be, const struct record *r, const char *text,
                   size_t len, uint64_t newest_ts, const char *echo,
                   const char *part, uint64_t *seq, struct sb_err *err)
{
  struct pg *p = be;
  int rc;

  (void)newest_ts; /* the hub's clock is the host's; nothing to keep */
  if (!p->in_tx)
    return sb_err_set(err, SB_EINTERNAL, "save outside a transaction");
  rc = hub_store_pg_batch_save(p, r, text, len, echo, seq, err);
  if (rc == 0 && part != NULL) /* kept with the save: never 1 here */
    rc = hub_store_pg_batch_part(p, r->collection, r->id, part, err);
  return rc;
}

int hub_store_pg_rows_each(PGresult *res, store_text_fn fn, void *ctx)
{
  int i, n = PQntuples(res), rc = 0;
  for (i = 0; i < n && rc == 0; i++)
    rc = fn(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
            hub_store_pg_u64_of(PQgetvalue(res, i, 2)),
            PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
            (size_t)PQgetlength(res, i, 3), ctx);
  return rc;
}

static int pg_feed(void *be, uint64_t since, unsigned limit, unsigned want,
                   const char *holder, store_text_fn fn, void *ctx,
                   struct sb_err *err)
{
  char from[24], lim[16], sent[16], bytes[24];
  const char *params[5] = {from, lim, holder, sent, bytes};
  PGresult *res;
  int rc;

  snprintf(from, sizeof(from), "%llu", (unsigned long long)since);
  snprintf(lim, sizeof(lim), "%u", limit);
  snprintf(sent, sizeof(sent), "%u", want > 0 ? want : limit);
  snprintf(bytes, sizeof(bytes), "%lld",
           want > 0 ? (long long)PROTO_PAGE_BYTES : (long long)INT64_MAX);
  rc = hub_store_pg_flush(be, err);
  if (rc == 0)
    rc = hub_store_pg_run(be, "feed", 5, params, &res, err);
  if (rc != 0)
    return rc;
  rc = hub_store_pg_rows_each(res, fn, ctx);
  PQclear(res);
  return rc;
}

static int pg_last_seq(void *be, uint64_t *seq, struct sb_err *err)
{
  struct pg *p = be;
  PGresult *res;
  int rc;

  *seq = 0;
  if (p->in_tx) { /* the counter row is ours until the commit */
    *seq = p->counter;
    return 0;
  }
  rc = hub_store_pg_run(p, "last", 0, NULL, &res, err);
  if (rc != 0)
    return rc;
  if (PQntuples(res) == 1)
    *seq = hub_store_pg_u64_of(PQgetvalue(res, 0, 0));
  PQclear(res);
  return 0;
}

struct each_walk {
  store_record_fn fn;
  void *ctx;
  struct sb_err *err;
};

static int each_one(const char *collection, const char *id, uint64_t seq,
                    const char *text, size_t len, void *ctx)
{
  struct each_walk *w = ctx;
  struct record r;
  int rc;

  record_init(&r, collection, id);
  rc = record_decode(&r, text, len, w->err);
  if (rc != 0) {
    sb_err_prefix(w->err, "record %s/%s", collection, id);
    rc = SB_ECORRUPT;
  } else {
    rc = w->fn(&r, seq, w->ctx);
  }
  record_release(&r);
  return rc;
}

int hub_store_pg_records_each(PGresult *res, store_record_fn fn, void *ctx,
                              struct sb_err *err)
{
  struct each_walk w = {fn, ctx, err};
  return hub_store_pg_rows_each(res, each_one, &w);
}

/* Rows per read of a walk. */
#define EACH_CHUNK 1000

/* Hands fn the rows after (*coll, *id); *coll and *id become the last
 * row's key, *n the rows read. */
static int each_chunk(struct pg *p, char **coll, char **id, int *n,
                      store_text_fn fn, void *ctx, struct sb_err *err)
{
  char lim[16];
  const char *params[3] = {*coll, *id, lim};
  PGresult *res;
  int rc;

  snprintf(lim, sizeof(lim), "%d", EACH_CHUNK);
  rc = hub_store_pg_run(p, "each", 3, params, &res, err);

  *n = 0;
  if (rc != 0)
    return rc;
  *n = PQntuples(res);
  rc = hub_store_pg_rows_each(res, fn, ctx);
  if (rc == 0 && *n > 0) {
    free(*coll);
    free(*id);
    *coll = strdup(PQgetvalue(res, *n - 1, 0));
    *id = strdup(PQgetvalue(res, *n - 1, 1));
    if (*coll == NULL || *id == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  }
  PQclear(res);
  return rc;
}

int hub_store_pg_walk(struct pg *p, store_text_fn fn, void *ctx,
                      struct sb_err *err)
{
  char *coll = strdup(""), *id = strdup("");
  bool own = !p->in_tx;
  int rc = hub_store_pg_flush(p, err), n = 0;

  if (rc == 0 && (coll == NULL || id == NULL))
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  if (rc == 0 && own)
    rc = hub_store_pg_exec(p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                           err);
  do {
    if (rc == 0)
      rc = each_chunk(p, &coll, &id, &n, fn, ctx, err);
  } while (rc == 0 && n == EACH_CHUNK);
  if (own && PQstatus(p->conn) == CONNECTION_OK)
    PQclear(PQexec(p->conn, rc == 0 ? "COMMIT" : "ROLLBACK"));
  free(coll);
  free(id);
  return rc;
}

static int pg_each(void *be, store_record_fn fn, void *ctx, struct sb_err *err)
{
  struct each_walk w = {fn, ctx, err};
  return hub_store_pg_walk(be, each_one, &w, err);
}

static int pg_meta_get(void *be, const char *key, char **value,
                       struct sb_err *err)
{
  int rc = hub_store_pg_batch_ledger(be, key, value, err);
  return rc <= 0 ? rc : meta_read(be, key, value, err);
}

static int pg_meta_set(void *be, const char *key, const char *value,
                       struct sb_err *err)
{
  const char *params[2] = {key, value};
  PGresult *res;
  int rc = hub_store_pg_run(be, "meta_set", 2, params, &res, err);
  if (rc == 0)
    PQclear(res);
  hub_store_pg_batch_forget_ledger(be, key);
  return rc;
}

static int pg_meta_delete(void *be, const char *key, struct sb_err *err)
{
  const char *params[1] = {key};
  PGresult *res;
  int rc = hub_store_pg_run(be, "meta_delete", 1, params, &res, err);
  if (rc == 0)
    PQclear(res);
  hub_store_pg_batch_forget_ledger(be, key);
  return rc;
}

/* A new replica id for the hub (a new store's, or one put back from a
 * copy: hub_restore.h): every hub on the database reads it at start, so
 * they are all stopped while it changes. */
static int pg_replica_renew(void *be, struct sb_err *err)
{
  struct pg *p = be;
  char fresh[17];
  int rc;

  if (uuid_replica_id_new(fresh) != 0)
    return sb_err_set(err, SB_EIO, "no random bytes for a replica id");
  rc = pg_meta_set(be, "replica", fresh, err);
  if (rc == 0)
    snprintf(p->replica, sizeof(p->replica), "%s", fresh);
  return rc;
}

/* --- change notification (hub_store_pg_watch.c) ----------------------- */

static int pg_watch(void *be, struct uv_loop_s *loop,
                    void (*on_change)(void *ctx, uint64_t seq), void *ctx,
                    struct sb_err *err)
{
  struct pg *p = be;
  if (p->watch != NULL)
    return sb_err_set(err, SB_EINTERNAL, "already watching");
  return hub_store_pg_watch_start(p->uri, PG_CHANNEL, loop, on_change, ctx,
                                  &p->watch, err);
}

static int pg_unwatch(void *be, void (*closed)(void *ctx), void *ctx)
{
  struct pg *p = be;
  struct pg_watch *w = p->watch;
  p->watch = NULL;
  return hub_store_pg_watch_close(w, closed, ctx);
}

const struct hub_store_ops hub_store_pg_ops = {
    .name = "postgresql",
    .create = pg_create,
    .open = pg_open,
    .close = pg_close,
    .replica = pg_replica,
    .schema_text = pg_schema_text,
    .replica_renew = pg_replica_renew,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .load = pg_load,
    .save = pg_save,
    .feed = pg_feed,
    .last_seq = pg_last_seq,
    .check = hub_store_pg_check,
    .each = pg_each,
    .compact = hub_store_pg_compact,
    .erasure_check = hub_store_pg_erasure_check,
    .device_add = hub_store_pg_devices_add,
    .device_list = hub_store_pg_devices_list,
    .device_revoke = hub_store_pg_devices_revoke,
    .device_by_token = hub_store_pg_devices_by_token,
    .device_bind = hub_store_pg_devices_bind,
    .device_activity_set = hub_store_pg_devices_activity_set,
    .device_activity_get = hub_store_pg_devices_activity_get,
    .meta_get = pg_meta_get,
    .meta_set = pg_meta_set,
    .meta_each = hub_store_pg_meta_each,
    .meta_delete = pg_meta_delete,
    /* issue 13: several hubs on one database */
    .watch = pg_watch,
    .unwatch = pg_unwatch,
    .transient = hub_store_pg_transient,
    .import_record = hub_store_pg_import_record,
    .import_device = hub_store_pg_import_device,
    /* office users and sessions (hub_store_pg_office.c) */
    .user_put = hub_store_pg_user_put,
    .user_get = hub_store_pg_user_get,
    .user_list = hub_store_pg_user_list,
    .user_remove = hub_store_pg_user_remove,
    .session_put = hub_store_pg_session_put,
    .session_get = hub_store_pg_session_get,
    .session_remove = hub_store_pg_session_remove,
    .session_sweep = hub_store_pg_session_sweep,
    .tick = hub_store_pg_tick,
    /* device scopes (hub_store_pg_scope.c) */
    .device_get = hub_store_pg_device_get,
    .device_update = hub_store_pg_device_update,
    .each_in = hub_store_pg_each_in,
    .refs_each = hub_store_pg_refs_each,
    .ref_add = hub_store_pg_ref_add,
    .part_set = hub_store_pg_part_set,
    .moved_set = hub_store_pg_moved_set,
    .feed_parts = hub_store_pg_feed_parts,
    /* a group's records in few round trips (hub_store_pg_batch.c) */
    .prefetch = hub_store_pg_prefetch,
    .refs_prefetch = hub_store_pg_refs_prefetch,
    .part_get = hub_store_pg_part_get,
    /* purge (daemon/hub/hub_purge.c) */
    .purge = hub_store_pg_purge,
};
