/*
 * hub_cmd_compact.c - `sambang-hub compact`: the records' storage
 * rewritten so that no erased value stays in the store's files
 * (hub_store_compact; daemon/hub/DESIGN.md, "Erasure").
 */
#include "compat.h"

#include "hub_cmd.h"

#include "exitcode.h"
#include "hub_store.h"

#include <inttypes.h>
#include <stdio.h>

static const char *const usage_compact =
    N_("usage: sambang-hub [--db PATH] compact\n"
       "\n"
       "Rewrites the stored records so that no earlier version of a row stays\n"
       "in the store's files: on PostgreSQL, a value erased by a delete or a\n"
       "consent withdrawal stays readable in the table's files and the WAL\n"
       "until this runs (VACUUM FULL of the records, a switch to a new WAL\n"
       "segment and a checkpoint); on SQLite, erasure is immediate and this\n"
       "gives the free room back (VACUUM). Serving hubs go on; their writes\n"
       "wait for the rewrite. sambang-hub-compact.timer runs it daily on\n"
       "PostgreSQL.\n"
       "Prints: size: BEFORE -> AFTER bytes (on PostgreSQL, the records'),\n"
       "then log: cleared, or log: not cleared and why (then exit 1: the\n"
       "database's log may still hold erased values, until the settings or\n"
       "rights it names are given).\n");

int hub_cmd_compact(const char *db, int argc, char **argv)
{
  struct hub_compaction c;
  struct hub_store *hs = NULL;
  struct sb_err err = {0};
  bool done;
  int rc = hub_cmd_no_args("compact", usage_compact, argc, argv, &done);

  if (done)
    return rc;
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc = hub_store_compact(hs, &c, &err);
  hub_store_close(hs);
  if (rc != 0)
    return hub_cmd_fail(rc, &err);
  printf("size: %" PRIu64 " -> %" PRIu64 " bytes\n", c.bytes_before,
         c.bytes_after);
  if (c.log_cleared) {
    printf("log: cleared\n");
    return 0;
  }
  printf("log: not cleared: %s\n", c.log_note);
  fprintf(stderr,
          _("sambang-hub: compact: the database's log may still hold erased "
            "values: %s\n"),
          c.log_note);
  return EXITCODE_FAILURE;
}
