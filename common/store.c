/*
 * store.c - the local SQLite store of one replica (see store.h).
 *
 * One connection per struct store; every statement is prepared once at
 * open and reset after each use, so no read transaction is left open to
 * block WAL checkpoints. The file is ours when PRAGMA application_id says
 * 'SBNG'; PRAGMA user_version is the layout version, and `migrations`
 * below holds the SQL that takes a file from version i to i + 1 (entry 0
 * creates the layout, so store_create is "migrate an empty file").
 *
 * seq, the local change sequence, is max(records.seq): rows are never
 * removed (deletes leave tombstones), so it never goes backwards. Writers
 * take the write lock with BEGIN IMMEDIATE and then load seq and the HLC,
 * so two processes sharing the file never hand out the same seq.
 *
 * Every SQLite result is translated into an SB_E code in store_sqlerr.
 */
#include "compat.h"

#include "store_int.h"

#include "hlc.h"
#include "sqlite_setup.h"
#include "json.h"
#include "uuid.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_APP_ID 0x53424E47      /* 'SBNG' */
#define STORE_PAGE_SIZE_TEXT "16384" /* a new store's (store_init_file) */
#define STORE_BUSY_ENV "SAMBANG_BUSY_TIMEOUT_MS"

/* migrations[i] takes a layout from version i to i + 1. */
static const char *const migrations[] = {
    /* 0 -> 1: the first layout. */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE records(collection TEXT NOT NULL, id TEXT NOT NULL,"
    " seq INTEGER NOT NULL, deleted INTEGER NOT NULL,"
    " conflict INTEGER NOT NULL, state TEXT NOT NULL,"
    " UNIQUE(collection, id));"
    "CREATE UNIQUE INDEX records_seq ON records(seq);",
    /* 1 -> 2: per-record sync marks. pending: a local change the hub has
     * not acknowledged (rows up to the old "pushed_seq" were); rejected:
     * the hub's reason for refusing the row's state, until it is edited. */
    "ALTER TABLE records ADD COLUMN pending INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE records ADD COLUMN rejected TEXT;"
    "UPDATE records SET pending = 0 WHERE seq <= coalesce((SELECT"
    " CAST(value AS INTEGER) FROM meta WHERE key = 'pushed_seq'), 0);"
    "DELETE FROM meta WHERE key = 'pushed_seq';"
    "CREATE INDEX records_pending ON records(seq) WHERE pending = 1;",
    /* 2 -> 3: echo (a hub's feed): the replica whose push stored exactly
     * this state, NULL for any other write (daemon/hub/DESIGN.md, "No
     * echo"). Every write of the row clears it. */
    "ALTER TABLE records ADD COLUMN echo TEXT;"
    /* The refused rows, counted after every sync (store_count_marks)
     * without reading the whole table. */
    "CREATE INDEX records_rejected ON records(seq) WHERE rejected IS NOT NULL;",
    /* 3 -> 4: a hub's scoped reads (daemon/hub/DESIGN.md, "Scoped
     * reads"). part: the row's one scope part, '' for none, NULL for
     * several, all or not known yet (every write clears it; the hub sets
     * it after a save and fills old rows at open); moved: the seq of the
     * row's newest move out of scope parts (kept across writes). */
    "ALTER TABLE records ADD COLUMN part TEXT;"
    "ALTER TABLE records ADD COLUMN moved INTEGER;"
    "CREATE INDEX records_part ON records(part, seq);"
    "CREATE INDEX records_moved ON records(moved, seq)"
    " WHERE moved IS NOT NULL;",
    /* 4 -> 5: the pending marks in a table of their own, keyed by the
     * row's seq. As a column of records, acknowledging a push rewrote
     * every page of the table that held a pushed row (and the WAL and
     * its checkpoint copied them all); now an ack deletes one small row.
     * The triggers keep a mark on its row: it follows the row's seq when
     * a merge rewrites the row, and goes with the row. */
    "CREATE TABLE pending(seq INTEGER PRIMARY KEY);"
    "INSERT INTO pending SELECT seq FROM records WHERE pending = 1;"
    "DROP INDEX records_pending;"
    "ALTER TABLE records DROP COLUMN pending;" STORE_PENDING_TRIGGERS,
    /* 5 -> 6: which records follow which (store_refs.c): (ref, collection,
     * id) says record collection/id names ref in the field its scope
     * follows, so a hub finds a beneficiary's visits by key instead of
     * reading every visit each time a beneficiary's scope changes. Filled
     * for the rows already there by the hub's hub_scope_refs_fill (meta
     * refs.complete). */
    "CREATE TABLE refs(ref TEXT NOT NULL, collection TEXT NOT NULL,"
    " id TEXT NOT NULL, PRIMARY KEY(ref, collection, id)) WITHOUT ROWID;",
};

#define STORE_LAYOUT_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    /* seq_floor: the newest seq when a row was purged (store_purge), so
     * seqs never go back. */
    [ST_MAX_SEQ] = "SELECT max(coalesce((SELECT max(seq) FROM records), 0),"
                   " coalesce((SELECT CAST(value AS INTEGER) FROM meta"
                   " WHERE key = 'seq_floor'), 0))",
    [ST_GET] = "SELECT state, seq FROM records"
               " WHERE collection = ?1 AND id = ?2",
    /* A local write: the row is then marked pending (ST_PEND). */
    [ST_PUT] = "INSERT INTO records(collection, id, seq, deleted, conflict,"
               " state) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
               " ON CONFLICT(collection, id) DO UPDATE SET"
               " seq = excluded.seq, deleted = excluded.deleted,"
               " conflict = excluded.conflict, state = excluded.state,"
               " rejected = NULL, echo = NULL, part = NULL",
    [ST_PEND] = "INSERT OR IGNORE INTO pending(seq) VALUES(?1)",
    /* A hub's save: echo ?7 (the replica that pushed exactly this state,
     * or NULL), scope part ?8 (NULL: several, all or not known; written
     * with the row, not by a second statement); never pending (a hub
     * pushes nothing and makes no local write). */
    [ST_PUT_ECHO] =
        "INSERT INTO records(collection, id, seq, deleted, conflict,"
        " state, echo, part) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7,"
        " ?8) ON CONFLICT(collection, id) DO UPDATE SET"
        " seq = excluded.seq, deleted = excluded.deleted,"
        " conflict = excluded.conflict, state = excluded.state,"
        " rejected = NULL, echo = excluded.echo,"
        " part = excluded.part",
    /* A row known absent (store_get_text just found none): a plain insert,
     * which SQLite runs without the statement journal an upsert needs
     * where its update may fire records_pending_moves (a store that has
     * the triggers: store_role.c), a fifth of a merged row's cost. */
    [ST_ADD] = "INSERT INTO records(collection, id, seq, deleted, conflict,"
               " state, echo, part) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* A pulled state tried as a new row before any lookup (a fresh
     * device's pull holds none of them): nothing when the key is there. */
    [ST_ADD_NEW] = "INSERT INTO records(collection, id, seq, deleted,"
                   " conflict, state) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
                   " ON CONFLICT(collection, id) DO NOTHING",
    /* A merge from the hub keeps the row's marks (a new row has none;
     * a pending mark follows the new seq: records_pending_moves). */
    [ST_PUT_REMOTE] = "INSERT INTO records(collection, id, seq, deleted,"
                      " conflict, state) VALUES(?1, ?2, ?3, ?4, ?5,"
                      " ?6) ON CONFLICT(collection, id) DO UPDATE SET"
                      " seq = excluded.seq, deleted = excluded.deleted,"
                      " conflict = excluded.conflict, state = excluded.state,"
                      " echo = NULL, part = NULL",
    [ST_PENDING] = "SELECT r.collection, r.id, r.seq, r.state"
                   " FROM pending p JOIN records r ON r.seq = p.seq"
                   " WHERE p.seq > ?1 AND r.rejected IS NULL"
                   " ORDER BY p.seq LIMIT ?2",
    /* The mark of exactly this state of the record (a seq is one row's). */
    [ST_ACK] = "DELETE FROM pending WHERE seq = ?3 AND EXISTS (SELECT 1"
               " FROM records WHERE collection = ?1 AND id = ?2 AND"
               " seq = ?3)",
    [ST_REJECT] = "UPDATE records SET rejected = ?4"
                  " WHERE collection = ?1 AND id = ?2 AND seq = ?3",
    [ST_REJECTED] = "SELECT collection, id, seq, rejected FROM records"
                    " WHERE rejected IS NOT NULL ORDER BY collection, id",
    [ST_EACH_ALL] = "SELECT collection, id, seq, state FROM records"
                    " ORDER BY collection, id",
    [ST_EACH_COLL] = "SELECT collection, id, seq, state FROM records"
                     " WHERE collection = ?1 ORDER BY id",
    [ST_CHANGES] = "SELECT collection, id, seq, state FROM records"
                   " WHERE seq > ?1 ORDER BY seq",
    /* The feed for a reader that holds its own echoes: NULL state. */
    [ST_CHANGES_ECHO] = "SELECT collection, id, seq, CASE WHEN echo = ?2"
                        " THEN NULL ELSE state END FROM records"
                        " WHERE seq > ?1 ORDER BY seq",
    /* O(marked rows), not a scan of the table: the pending marks, less
     * the few also rejected (through the partial index of those, each
     * looked up in pending: written as `seq IN (SELECT seq FROM
     * pending)`, SQLite's planner looked up every pending seq in
     * records_seq instead, 20-30 ms before a push of 10,000). */
    [ST_COUNT_MARKS] = "SELECT (SELECT count(*) FROM pending) - (SELECT"
                       " count(*) FROM records r WHERE rejected IS NOT NULL"
                       " AND EXISTS (SELECT 1 FROM pending p"
                       " WHERE p.seq = r.seq)),"
                       " (SELECT count(*) FROM records WHERE rejected IS NOT"
                       " NULL)",
    [ST_PART_SET] = "UPDATE records SET part = ?3"
                    " WHERE collection = ?1 AND id = ?2",
    [ST_GET_PART] = "SELECT part FROM records WHERE collection = ?1"
                    " AND id = ?2",
    [ST_REF_ADD] = "INSERT OR IGNORE INTO refs(ref, collection, id)"
                   " VALUES(?1, ?2, ?3)",
    [ST_REF_DROP] = "DELETE FROM refs WHERE ref = ?1 AND collection = ?2"
                    " AND id = ?3",
    [ST_REFS_OF] = "SELECT id FROM refs WHERE ref = ?1 AND collection = ?2",
    [ST_MOVED_SET] = "UPDATE records SET moved = max(coalesce(moved, 0), ?3)"
                     " WHERE collection = ?1 AND id = ?2",
    /* A scoped feed (store_changes_text_parts): the rows of parts ?3 (a
     * JSON array), of no known part, and (?4: since, or past every seq)
     * moved after ?4, each through its index; ?5 rows at most. */
    [ST_CHANGES_PARTS] =
        "SELECT collection, id, seq, CASE WHEN echo = ?2 THEN NULL"
        " ELSE state END, part FROM records WHERE seq IN ("
        "SELECT seq FROM records INDEXED BY records_part WHERE part IN"
        " (SELECT value FROM json_each(?3)) AND seq > ?1"
        " UNION SELECT seq FROM records INDEXED BY records_part"
        " WHERE part IS NULL AND seq > ?1"
        " UNION SELECT seq FROM records INDEXED BY records_moved"
        " WHERE moved > ?4 ORDER BY 1 LIMIT ?5) ORDER BY seq",
    [ST_COUNT_ALL] = "SELECT coalesce(sum(deleted = 0), 0),"
                     " coalesce(sum(deleted), 0), coalesce(sum(conflict), 0),"
                     " coalesce(sum(seq IN (SELECT seq FROM pending) AND"
                     " rejected IS NULL), 0),"
                     " coalesce(sum(rejected IS NOT NULL), 0) FROM records",
    [ST_COUNT_COLL] = "SELECT coalesce(sum(deleted = 0), 0),"
                      " coalesce(sum(deleted), 0), coalesce(sum(conflict), 0),"
                      " coalesce(sum(seq IN (SELECT seq FROM pending) AND"
                      " rejected IS NULL), 0),"
                      " coalesce(sum(rejected IS NOT NULL), 0)"
                      " FROM records WHERE collection = ?1",
};

/* Translates a SQLite result into an SB_E code and a message naming PATH. */
int store_sqlerr(struct store *s, int rc, const char *what, struct sb_err *err)
{
  const char *detail =
      s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return sb_err_set(err, SB_EBUSY,
                      "store %s is locked by another writer (waited %d ms)",
                      s->path, s->busy_ms);
  case SQLITE_READONLY:
    return sb_err_set(err, SB_EREADONLY, "store %s is read-only (%s: %s)",
                      s->path, what, detail);
  case SQLITE_FULL:
    return sb_err_set(err, SB_EFULL, "disk full while writing %s (%s: %s)",
                      s->path, what, detail);
  case SQLITE_IOERR:
    return sb_err_set(err, SB_EIO, "I/O error on store %s (%s: %s)", s->path,
                      what, detail);
  case SQLITE_CANTOPEN:
    return sb_err_set(err, SB_EIO, "cannot open store %s (%s: %s)", s->path,
                      what, detail);
  case SQLITE_CORRUPT:
    store_mark_corrupt(s, detail);
    return sb_err_set(err, SB_ECORRUPT, "store %s is corrupt (%s: %s)", s->path,
                      what, detail);
  case SQLITE_NOTADB:
    if (s->ours) {
      store_mark_corrupt(s, detail);
      return sb_err_set(err, SB_ECORRUPT, "store %s is corrupt (%s: %s)",
                        s->path, what, detail);
    }
    return sb_err_set(err, SB_ENOTSTORE, "%s is not a sambang store (%s)",
                      s->path, detail);
  case SQLITE_NOMEM:
    return sb_err_set(err, SB_ENOMEM, "out of memory (%s on %s)", what,
                      s->path);
  default:
    return sb_err_set(err, SB_EINTERNAL, "store %s: %s failed: %s (%d)",
                      s->path, what, detail, rc);
  }
}

/* Resets a statement after use (its error, if any, was already seen). */
void store_stmt_done(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* After a failed write: SQLite may have rolled the transaction back. */
void store_tx_check(struct store *s)
{
  if (s->in_tx && sqlite3_get_autocommit(s->db))
    s->in_tx = false;
}

/* Runs a statement that returns no rows. */
int store_run(struct store *s, int which, const char *what, struct sb_err *err)
{
  sqlite3_stmt *st = s->st[which];
  int rc = sqlite3_step(st);
  int ret = 0;
  if (rc != SQLITE_DONE)
    ret = store_sqlerr(s, rc, what, err);
  store_stmt_done(st);
  return ret;
}

/* Runs each statement of a fixed SQL script (no parameters). */
int store_script(struct store *s, const char *sql, const char *what,
                 struct sb_err *err)
{
  while (*sql != '\0') {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, &tail);
    if (rc != SQLITE_OK)
      return store_sqlerr(s, rc, what, err);
    if (st == NULL) /* only whitespace or comments left */
      break;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      ;
    if (rc != SQLITE_DONE) {
      rc = store_sqlerr(s, rc, what, err);
      sqlite3_finalize(st);
      return rc;
    }
    sqlite3_finalize(st);
    sql = tail;
  }
  return 0;
}

int store_pragma_i64(struct store *s, const char *name, int64_t *out,
                     struct sb_err *err)
{
  char sql[64];
  sqlite3_stmt *st = NULL;
  int rc;

  snprintf(sql, sizeof(sql), "PRAGMA %s", name);
  rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, sql, err);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *out = (int64_t)sqlite3_column_int64(st, 0);
    rc = 0;
  } else {
    rc = store_sqlerr(s, rc, sql, err);
  }
  sqlite3_finalize(st);
  return rc;
}

/* Reads a 32-bit integer PRAGMA (application_id, user_version). */
static int store_pragma_int(struct store *s, const char *name, int *out,
                            struct sb_err *err)
{
  int64_t v = 0;
  int rc = store_pragma_i64(s, name, &v, err);
  *out = (int)v; /* both are 32-bit fields of the file's header */
  return rc;
}

/* Sets an integer PRAGMA (its value cannot be a bound parameter). */
static int store_pragma_set(struct store *s, const char *name, long value,
                            struct sb_err *err)
{
  char sql[64];
  snprintf(sql, sizeof(sql), "PRAGMA %s = %ld", name, value);
  return store_script(s, sql, sql, err);
}

int store_env_ms(const char *name, int dflt, int *ms, struct sb_err *err)
{
  const char *v = getenv(name);
  char *end;
  long n;

  *ms = dflt;
  if (v == NULL || *v == '\0')
    return 0;
  errno = 0;
  n = strtol(v, &end, 10);
  if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n > INT_MAX)
    return sb_err_set(err, SB_EINVAL,
                      "%s must be a whole number of milliseconds, not \"%s\"",
                      name, v);
  *ms = (int)n;
  return 0;
}

/* Frees s after finalizing its statements and closing the connection. */
static void store_free(struct store *s)
{
  int i;
  if (s == NULL)
    return;
  store_ckpt_stop(s);
  store_refs_held_free(s);
  for (i = 0; i < ST_COUNT_; i++)
    sqlite3_finalize(s->st[i]);
  sqlite3_close_v2(s->db);
  free(s->schema);
  schema_free(s->parsed);
  free(s->path);
  free(s);
}

/* A new struct store for path (not open yet). */
static int store_alloc(const char *path, struct store **out, struct sb_err *err)
{
  struct store *s = calloc(1, sizeof(*s));
  int rc;

  *out = NULL;
  if (s == NULL || (s->path = strdup(path)) == NULL) {
    free(s);
    return sb_err_set(err, SB_ENOMEM, "out of memory opening store %s", path);
  }
  rc = store_env_ms(STORE_BUSY_ENV, STORE_BUSY_TIMEOUT_MS, &s->busy_ms, err);
  if (rc != 0) {
    store_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* Opens the connection (flags: SQLITE_OPEN_*) with our settings. */
static int store_connect(struct store *s, int flags, struct sb_err *err)
{
  int rc;

  sqlite_setup();
  rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, "opening", err);
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, s->busy_ms);
  return 0;
}

/* Switches to WAL with durable commits. Only on a file known to be ours. */
static int store_configure(struct store *s, struct sb_err *err)
{
  sqlite3_stmt *st = NULL;
  int rc =
      sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, "setting WAL mode", err);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    rc = store_sqlerr(s, rc, "setting WAL mode", err);
  } else if (strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
    rc = sb_err_set(err, SB_EIO, "store %s cannot use WAL mode (got %s)",
                    s->path, (const char *)sqlite3_column_text(st, 0));
  } else {
    rc = 0;
  }
  sqlite3_finalize(st);
  if (rc != 0)
    return rc;
  rc = store_script(s, "PRAGMA synchronous = FULL", "setting synchronous", err);
  /* Deleted content is overwritten with zeros, so an erased value does
   * not stay readable in free space of the file (common/DESIGN.md). */
  if (rc == 0)
    rc = store_script(s, "PRAGMA secure_delete = ON", "setting secure_delete",
                      err);
  return rc;
}

void store_cache_kib(struct store *s, int kib)
{
  char sql[64];
  struct sb_err ignored = {0};

  snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
  (void)store_script(s, sql, "setting the cache size", &ignored);
}

static int store_prepare(struct store *s, struct sb_err *err)
{
  int i, rc = store_pragma_int(s, "page_size", &s->page_size, err);

  if (rc != 0)
    return rc;
  sqlite3_wal_autocheckpoint(s->db, store_pages_of(s, STORE_CKPT_BYTES));
  for (i = 0; i < ST_COUNT_; i++) {
    if (i == ST_CHANGES_PARTS)
      continue; /* a hub's, on first use: a device's store lacks its index */
    rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &s->st[i], NULL);
    if (rc != SQLITE_OK)
      return store_sqlerr(s, rc, "preparing statements", err);
  }
  return 0;
}

int store_pages_of(const struct store *s, long bytes)
{
  long n = s->page_size > 0 ? bytes / s->page_size : bytes / 4096;
  return n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}

int store_stmt_lazy(struct store *s, int which, struct sb_err *err)
{
  int rc;

  if (s->st[which] != NULL)
    return 0;
  rc = sqlite3_prepare_v3(s->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                          &s->st[which], NULL);
  return rc == SQLITE_OK ? 0
                         : store_sqlerr(s, rc, "preparing a statement", err);
}

/*
 * Brings the layout from its user_version up to ours, in one transaction
 * (rechecking the version under the write lock: another process may have
 * migrated meanwhile).
 */
static int store_migrate(struct store *s, struct sb_err *err)
{
  int version, rc;

  rc = store_script(s, "BEGIN IMMEDIATE", "starting migration", err);
  if (rc != 0)
    return rc;
  rc = store_pragma_int(s, "user_version", &version, err);
  if (rc != 0)
    goto fail;
  if (version > STORE_LAYOUT_VERSION || version < 0) {
    rc = sb_err_set(err, SB_EVERSION,
                    "store %s has layout version %d; this sambang knows "
                    "up to %d (upgrade sambang)",
                    s->path, version, STORE_LAYOUT_VERSION);
    goto fail;
  }
  for (; version < STORE_LAYOUT_VERSION; version++) {
    rc = store_script(s, migrations[version], "migrating the layout", err);
    if (rc != 0)
      goto fail;
  }
  rc = store_pragma_set(s, "user_version", STORE_LAYOUT_VERSION, err);
  if (rc != 0)
    goto fail;
  rc = store_script(s, "COMMIT", "committing migration", err);
  if (rc != 0)
    goto fail;
  return 0;

fail:
  if (!sqlite3_get_autocommit(s->db))
    store_script(s, "ROLLBACK", "rolling back", NULL);
  return rc;
}

int store_schema_parse(const char *text, struct schema **out)
{
  struct sb_err why = {0};

  return schema_parse(text, out, &why) == SB_ENOMEM ? SB_ENOMEM : 0;
}

/*
 * Parses the schema text once, when the store opens: every write
 * normalises with it (consent withdrawal) and every commit knows from it
 * whether it erased personal values (store_records.c), so running out of
 * memory here fails the open rather than leaving a store that writes as
 * if it had none.
 */
static int store_parse_schema(struct store *s, struct sb_err *err)
{
  if (store_schema_parse(s->schema, &s->parsed) != 0)
    return sb_err_set(err, SB_ENOMEM, "out of memory reading the schema of %s",
                      s->path);
  return 0;
}

/* Loads replica id, schema text and clock from meta. */
static int store_load_meta(struct store *s, struct sb_err *err)
{
  char *replica = NULL;
  int rc = store_meta_read(s, "replica", &replica, err);

  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, SB_ECORRUPT, "store %s has no replica id", s->path);
  if (rc != 0)
    return rc;
  if (strlen(replica) != sizeof(s->replica) - 1) {
    rc = sb_err_set(err, SB_ECORRUPT, "store %s has a bad replica id \"%s\"",
                    s->path, replica);
    free(replica);
    return rc;
  }
  memcpy(s->replica, replica, sizeof(s->replica));
  free(replica);

  rc = store_meta_read(s, "schema", &s->schema, err);
  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, SB_ECORRUPT, "store %s has no schema", s->path);
  if (rc == 0)
    rc = store_parse_schema(s, err);
  if (rc != 0)
    return rc;
  return store_load_hlc(s, err);
}

/* An empty file with no WAL beside it (or an empty one): what an init cut
 * short leaves (it creates the file, then the layout in one transaction).
 * It holds nothing, but it is not a store. */
static bool empty_store_file(const char *path)
{
  char wal[PATH_MAX];
  struct stat sb;
  if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size != 0)
    return false;
  if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal))
    return false;
  return lstat(wal, &sb) != 0 || sb.st_size == 0;
}

int store_open(const char *path, struct store **out, struct sb_err *err)
{
  struct store *s = NULL;
  struct stat sb;
  int app_id, version, rc;

  *out = NULL;
  if (stat(path, &sb) != 0) {
    if (errno == ENOENT)
      return sb_err_set(err, SB_ENOTFOUND,
                        "no store at %s (run `sambang init` first)", path);
    return sb_err_set(err, SB_EIO, "cannot read %s: %s", path, strerror(errno));
  }
  if (!S_ISREG(sb.st_mode))
    return sb_err_set(err, SB_ENOTSTORE,
                      "%s is not a sambang store (not a regular file)", path);
  rc = store_alloc(path, &s, err);
  if (rc != 0)
    return rc;
  rc = store_connect(s, SQLITE_OPEN_READWRITE, err);
  if (rc != 0)
    goto fail;

  /* Look before touching: a foreign file must not be changed (no WAL). */
  rc = store_pragma_int(s, "application_id", &app_id, err);
  if (rc != 0)
    goto fail;
  if (app_id != STORE_APP_ID) {
    rc = empty_store_file(path)
             ? sb_err_set(err, SB_ENOTSTORE,
                          "%s is an empty file, not a sambang store (an init "
                          "cut short?): remove it and init again",
                          path)
             : sb_err_set(err, SB_ENOTSTORE, "%s is not a sambang store", path);
    goto fail;
  }
  s->ours = true;
  rc = store_pragma_int(s, "user_version", &version, err);
  if (rc != 0)
    goto fail;
  if (version > STORE_LAYOUT_VERSION) {
    rc = sb_err_set(err, SB_EVERSION,
                    "store %s has layout version %d; this sambang knows "
                    "up to %d (upgrade sambang)",
                    path, version, STORE_LAYOUT_VERSION);
    goto fail;
  }
  if (version < 1) {
    /* store_create writes id and layout in one transaction. */
    rc = sb_err_set(err, SB_ECORRUPT,
                    "store %s is incomplete (no layout version)", path);
    goto fail;
  }
  rc = store_configure(s, err);
  if (rc != 0)
    goto fail;
  if (version < STORE_LAYOUT_VERSION) {
    rc = store_refuse_if_corrupt(s, err);
    if (rc == 0)
      rc = store_migrate(s, err);
    if (rc != 0)
      goto fail;
  }
  rc = store_prepare(s, err);
  if (rc != 0)
    goto fail;
  rc = store_load_meta(s, err);
  if (rc == 0)
    rc = store_token_migrate(s, err);
  if (rc != 0)
    goto fail;
  *out = s;
  return 0;

fail:
  store_free(s);
  return rc;
}

/* Removes path + suffix if created says it did not exist before. */
static void remove_created(const char *path, const char *suffix, bool created)
{
  char name[PATH_MAX];
  if (!created)
    return;
  if (snprintf(name, sizeof(name), "%s%s", path, suffix) < (int)sizeof(name))
    unlink(name);
}

static bool file_exists(const char *path, const char *suffix)
{
  char name[PATH_MAX];
  struct stat sb;
  if (snprintf(name, sizeof(name), "%s%s", path, suffix) >= (int)sizeof(name))
    return false;
  return lstat(name, &sb) == 0;
}

/* fsyncs the directory holding path, so the new file's name is durable. */
static void sync_parent(const char *path)
{
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  int fd;

  if (slash == NULL)
    snprintf(dir, sizeof(dir), ".");
  else if (slash == path)
    snprintf(dir, sizeof(dir), "/");
  else
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/* Makes the file ours: id, layout, meta. One transaction. */
static int store_init_file(struct store *s, const char *schema_json,
                           struct sb_err *err)
{
  char hlc_text[24];
  int v, rc;

  bool fresh = s->replica[0] == '\0';

  if (fresh && uuid_replica_id_new(s->replica) != 0)
    return sb_err_set(err, SB_EIO, "cannot make a replica id for %s: %s",
                      s->path, "no randomness from the OS");
  s->schema = strdup(schema_json);
  if (s->schema == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory creating store %s",
                      s->path);
  rc = store_parse_schema(s, err);
  if (rc != 0)
    return rc;

  /* Pages of 16 KiB, not SQLite's default 4 KiB: fewer pages walked and
   * split per write of a ~1 KB state (common/DESIGN.md, "Pages of 16
   * KiB"). Set before WAL mode; the file keeps it for life. */
  rc = store_script(s, "PRAGMA page_size = " STORE_PAGE_SIZE_TEXT,
                    "setting the page size", err);
  if (rc == 0)
    rc = store_configure(s, err);
  if (rc != 0)
    return rc;
  rc = store_script(s, "BEGIN IMMEDIATE", "creating the store", err);
  if (rc != 0)
    return rc;
  rc = store_pragma_set(s, "application_id", STORE_APP_ID, err);
  for (v = 0; rc == 0 && v < STORE_LAYOUT_VERSION; v++)
    rc = store_script(s, migrations[v], "creating the layout", err);
  if (rc == 0)
    rc = store_pragma_set(s, "user_version", STORE_LAYOUT_VERSION, err);
  if (rc == 0)
    rc = store_prepare(s, err);
  snprintf(hlc_text, sizeof(hlc_text), "%llu",
           (unsigned long long)s->clock.last);
  if (rc == 0)
    rc = store_meta_write(s, "replica", s->replica, err);
  if (rc == 0)
    rc = store_meta_write(s, "schema", s->schema, err);
  if (rc == 0)
    rc = store_meta_write(s, "hlc", hlc_text, err);
  /* A new replica has pushed nothing yet: it holds all it will push
   * until a row leaves (store_holds_own). A copy under an old replica id
   * (recover) is not known to. */
  if (rc == 0 && fresh)
    rc = store_meta_write(s, STORE_META_HOLDS_OWN, "1", err);
  if (rc == 0)
    rc = store_run(s, ST_COMMIT, "creating the store", err);
  if (rc != 0 && !sqlite3_get_autocommit(s->db))
    store_script(s, "ROLLBACK", "rolling back", NULL);
  return rc;
}

int store_create(const char *path, const char *schema_json, struct store **out,
                 struct sb_err *err)
{
  return store_create_as(path, schema_json, NULL, out, err);
}

int store_create_as(const char *path, const char *schema_json,
                    const char *replica, struct store **out, struct sb_err *err)
{
  struct stat sb;
  struct store *s = NULL;
  bool had_shm;
  int fd, rc;

  *out = NULL;
  if (schema_json == NULL)
    return sb_err_set(err, SB_EINVAL, "no schema given for the store at %s",
                      path);
  if (replica != NULL && strlen(replica) != sizeof(s->replica) - 1)
    return sb_err_set(err, SB_EINVAL, "bad replica id \"%.40s\"", replica);
  had_shm = file_exists(path, "-shm");
  if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
    return sb_err_set(err, SB_ENOTSTORE,
                      "%s exists and is not a file (a directory, a link or "
                      "a device): give the path of a new store file",
                      path);
  if (empty_store_file(path))
    return sb_err_set(err, SB_EEXISTS,
                      "%s is an empty file, not a store (an init cut "
                      "short?): remove it and init again",
                      path);
  /* A stray -wal would be replayed into the new file: refuse it too. */
  if (file_exists(path, "-wal") || file_exists(path, ""))
    return sb_err_set(err, SB_EEXISTS, "a store already exists at %s", path);
  rc = store_alloc(path, &s, err);
  if (rc != 0)
    return rc;
  if (replica != NULL)
    memcpy(s->replica, replica, sizeof(s->replica));

  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    store_free(s);
    if (e == EEXIST)
      return sb_err_set(err, SB_EEXISTS, "a store already exists at %s", path);
    return sb_err_set(err, sb_err_from_errno(e), "cannot create store %s: %s",
                      path, strerror(e));
  }
  close(fd);

  rc = store_connect(s, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
  if (rc == 0)
    rc = store_init_file(s, schema_json, err);
  s->ours = rc == 0;
  if (rc != 0) {
    store_free(s);
    remove_created(path, "", true);
    remove_created(path, "-wal", true);
    remove_created(path, "-shm", !had_shm);
    return rc;
  }
  store_mark_clear(s); /* a stale mark of a store once at this path */
  sync_parent(path);
  *out = s;
  return 0;
}

void store_close(struct store *s)
{
  if (s == NULL)
    return;
  store_rollback(s);
  /* Held notes into the table, so the next writer need not catch up. */
  (void)store_refs_settle(s, NULL);
  store_free(s);
}

const char *store_replica(const struct store *s)
{
  return s->replica;
}

int store_replica_renew(struct store *s, struct sb_err *err)
{
  char fresh[sizeof(s->replica)];
  int rc;

  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: a new replica id outside a transaction",
                      s->path);
  rc = store_refuse_if_corrupt(s, err);
  if (rc != 0)
    return rc;
  if (uuid_replica_id_new(fresh) != 0)
    return sb_err_set(err, SB_EIO, "no random bytes for a replica id");
  rc = store_meta_write(s, "replica", fresh, err);
  if (rc == 0)
    memcpy(s->replica, fresh, sizeof(s->replica));
  return rc;
}

const char *store_schema_text(const struct store *s)
{
  return s->schema;
}

const struct schema *store_schema(struct store *s)
{
  return s->parsed;
}
