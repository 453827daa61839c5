/*
 * hub_cmd_restored.c - `sambang-hub restored`: a store put back from a
 * copy is told so (hub_restore.h; daemon/hub/DESIGN.md, "Restoring from a
 * copy").
 */
#include "compat.h"

#include "hub_cmd.h"

#include "hub_restore.h"

#include <stdio.h>

static const char *const usage_restored =
    N_("usage: sambang-hub [--db PATH] restored\n"
       "\n"
       "Run once after putting back a copy of the hub's store (a SQLite\n"
       "file saved with .backup, a pg_dump or a point-in-time restore), with\n"
       "every hub on the store stopped, before serving again. The store gets\n"
       "a new generation, which every reply states: each device that sees it\n"
       "change pushes every record it holds again (the writes the copy missed\n"
       "come back from the devices that made them) and pulls from the start.\n"
       "The hub also gets a new replica id, so that it never hands out its\n"
       "old dots again; no device may take the old one. Devices enrolled\n"
       "after the copy was made are not in it: enrol them again. Office\n"
       "resolutions made after the copy are lost: make them again.\n"
       "Prints: replica: OLD -> NEW, then generation: OLD -> NEW (OLD is\n"
       "\"none\" for a store made before generations).\n");

int hub_cmd_restored(const char *db, int argc, char **argv)
{
  struct hub_restore r;
  struct hub_store *hs = NULL;
  struct sb_err err = {0};
  bool done;
  int rc = hub_cmd_no_args("restored", usage_restored, argc, argv, &done);

  if (done)
    return rc;
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc = hub_restore_mark(hs, &r, &err);
  hub_store_close(hs);
  if (rc != 0)
    return hub_cmd_fail(rc, &err);
  printf("replica: %s -> %s\n", r.old_replica, r.replica);
  printf("generation: %s -> %s\n",
         r.old_generation[0] != '\0' ? r.old_generation : "none", r.generation);
  return 0;
}
