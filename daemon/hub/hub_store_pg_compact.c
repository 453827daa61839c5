/*
 * hub_store_pg_compact.c - hub_store_ops.compact on PostgreSQL: erased
 * values out of the database's files (daemon/hub/DESIGN.md, "Erasure").
 *
 * An UPDATE or DELETE leaves the row's old version in the table's file
 * (MVCC), and VACUUM only marks its room free: the bytes stay until
 * something overwrites them. VACUUM FULL writes the table, its TOAST and
 * its indexes into new files and removes the old ones. The WAL holds the
 * old versions too until its segments go: a switch to a new segment and
 * a checkpoint let PostgreSQL remove the segments before it, and with
 * wal_recycle = off it removes them rather than renaming them, contents
 * and all, for reuse. Those two steps need rights an ordinary role lacks
 * (the pg_checkpoint role, EXECUTE on pg_switch_wal()); what could not be
 * done is said in the note, not hidden.
 */
#include "compat.h"

#include "hub_store_pg_int.h"

#include "i18n.h"

#include <stdio.h>
#include <string.h>

/* How long the rewrite waits for the records table (a transaction of a
 * serving hub holds it for milliseconds; longer means something is stuck,
 * and every writer would queue behind the waiting rewrite). */
#define COMPACT_LOCK_TIMEOUT "5s"

/* The bytes of the records table with its TOAST and indexes. */
static int records_bytes(struct pg *p, uint64_t *out, struct sb_err *err)
{
  PGresult *res =
      PQexec(p->conn, "SELECT pg_total_relation_size('records'::regclass)");
  if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
    return hub_store_pg_fail(p, res, "measuring records", err);
  *out = hub_store_pg_u64_of(PQgetvalue(res, 0, 0));
  PQclear(res);
  return 0;
}

/* Notes what keeps the log from being cleared (appended, cut to fit). */
static void note_add(struct hub_compaction *out, const char *text)
{
  size_t n = strlen(out->log_note);
  snprintf(out->log_note + n, sizeof(out->log_note) - n, "%s%s",
           n > 0 ? "; " : "", text);
  out->log_cleared = false;
}

/* Runs sql (a WAL step); a refusal goes to the note, not to the caller:
 * the rewrite is done by then, and the rest is the operator's to grant. */
static int wal_step(struct pg *p, const char *sql, const char *needs,
                    struct hub_compaction *out, struct sb_err *err)
{
  PGresult *res = PQexec(p->conn, sql);
  ExecStatusType st = PQresultStatus(res);
  const char *state;

  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
    PQclear(res);
    return 0;
  }
  state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  if (PQstatus(p->conn) != CONNECTION_OK ||
      !hub_store_pg_sqlstate_is(state, "42501"))
    return hub_store_pg_fail(p, res, sql, err);
  PQclear(res);
  note_add(out, needs);
  return 0;
}

/* Notes what keeps WAL segments after a checkpoint, or recycles them. */
static int wal_keepers(struct pg *p, struct hub_compaction *out,
                       struct sb_err *err)
{
  PGresult *res =
      PQexec(p->conn, "SELECT current_setting('wal_recycle'), "
                      "current_setting('wal_keep_size'), "
                      "current_setting('archive_mode'), "
                      "(SELECT count(*) FROM pg_replication_slots)");
  if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
    return hub_store_pg_fail(p, res, "reading the WAL settings", err);
  if (strcmp(PQgetvalue(res, 0, 0), "off") != 0)
    note_add(out, _("wal_recycle is on: old WAL segments are reused with "
                    "their contents (set wal_recycle = off)"));
  if (strcmp(PQgetvalue(res, 0, 1), "0") != 0)
    note_add(out, _("wal_keep_size keeps old WAL segments"));
  if (strcmp(PQgetvalue(res, 0, 2), "off") != 0)
    note_add(out, _("archive_mode is on: archived WAL keeps the old versions"));
  if (strcmp(PQgetvalue(res, 0, 3), "0") != 0)
    note_add(out, _("a replication slot may keep old WAL segments"));
  PQclear(res);
  return 0;
}

int hub_store_pg_erasure_check(void *be, struct hub_compaction *out,
                               struct sb_err *err)
{
  struct pg *p = be;
  PGresult *res;
  int rc = hub_store_pg_ready(p, err);

  if (rc != 0)
    return rc;
  out->log_cleared = true;
  rc = wal_keepers(p, out, err);
  if (rc != 0)
    return rc;
  /* A superuser is a member of every role and may run every function. */
  res = PQexec(p->conn,
               "SELECT has_function_privilege('pg_switch_wal()', 'EXECUTE'), "
               "pg_has_role('pg_checkpoint', 'MEMBER')");
  if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
    return hub_store_pg_fail(p, res, "reading the hub's rights", err);
  if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
    note_add(out, _("the hub's role may not run pg_switch_wal() (GRANT "
                    "EXECUTE ON FUNCTION pg_switch_wal() TO it)"));
  if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
    note_add(out, _("the hub's role may not run CHECKPOINT (GRANT "
                    "pg_checkpoint TO it)"));
  PQclear(res);
  return 0;
}

int hub_store_pg_compact(void *be, struct hub_compaction *out,
                         struct sb_err *err)
{
  struct pg *p = be;
  PGresult *res;
  int rc;

  if (p->in_tx)
    return sb_err_set(err, SB_EINVAL, "compact: a transaction is open");
  rc = hub_store_pg_ready_to_write(p, err);
  if (rc == 0)
    rc = records_bytes(p, &out->bytes_before, err);
  if (rc == 0)
    rc = hub_store_pg_exec(p, "SET lock_timeout = '" COMPACT_LOCK_TIMEOUT "'",
                           err);
  if (rc != 0)
    return rc;
  res = PQexec(p->conn, "VACUUM (FULL) records");
  if (PQresultStatus(res) != PGRES_COMMAND_OK) {
    if (hub_store_pg_sqlstate_is(PQresultErrorField(res, PG_DIAG_SQLSTATE),
                                 "55P03")) {
      PQclear(res);
      PQclear(PQexec(p->conn, "RESET lock_timeout"));
      return sb_err_set(err, SB_EBUSY,
                        "compact: the records table stayed in use for %s "
                        "(a long transaction?); nothing was changed, try "
                        "again",
                        COMPACT_LOCK_TIMEOUT);
    }
    return hub_store_pg_fail(p, res, "VACUUM (FULL) records", err);
  }
  PQclear(res);
  rc = hub_store_pg_exec(p, "RESET lock_timeout", err);
  if (rc == 0)
    rc = records_bytes(p, &out->bytes_after, err);
  if (rc != 0)
    return rc;
  out->log_cleared = true;
  rc = wal_keepers(p, out, err);
  if (rc == 0)
    rc = wal_step(p, "SELECT pg_switch_wal()",
                  _("pg_switch_wal() was refused (GRANT EXECUTE ON FUNCTION "
                    "pg_switch_wal() TO the hub's role)"),
                  out, err);
  if (rc == 0)
    rc = wal_step(p, "CHECKPOINT",
                  _("CHECKPOINT was refused (GRANT pg_checkpoint TO the "
                    "hub's role)"),
                  out, err);
  return rc;
}
