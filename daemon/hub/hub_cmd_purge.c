/*
 * hub_cmd_purge.c - `sambang-hub purge --older-than DAYS`: removes the
 * tombstones every active device has pulled (hub_purge.h).
 */
#include "compat.h"

#include "hub_cmd.h"

#include "exitcode.h"
#include "hlc.h"
#include "hub_purge.h"
#include "hub_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most a century. */
#define DAYS_MAX 36500
#define DAY_MS (24ull * 60 * 60 * 1000)

static const char *const usage_purge = N_(
    "usage: sambang-hub [--db PATH] purge --older-than DAYS\n"
    "\n"
    "Removes the tombstones (deleted records) whose delete is older than\n"
    "DAYS days (0 to 36500) and that every active device has already pulled\n"
    "(a revoked device does not hold purge back). Their ids are kept in a\n"
    "ledger, so a late push of one is refused (purged), and the hub's purge\n"
    "horizon moves: a device whose cursor is behind it re-syncs its scope.\n"
    "Prints: purged N, kept K (old enough, not yet pulled by every\n"
    "device), horizon H.\n");

/* DAYS: decimal digits only, 0..DAYS_MAX. */
static bool days_parse(const char *s, uint64_t *days)
{
  size_t len = strlen(s);

  if (len == 0 || len > 5 || strspn(s, "0123456789") != len)
    return false;
  *days = strtoull(s, NULL, 10);
  return *days <= DAYS_MAX;
}

int hub_cmd_purge(const char *db, int argc, char **argv)
{
  struct hub_purge_stats st;
  struct hub_store *hs = NULL;
  struct sb_err err = {0};
  uint64_t days = 0, now;
  bool have = false;
  int i, rc;

  for (i = 0; i < argc; i++) {
    if (hub_cmd_is_help(argv[i])) {
      fputs(_(usage_purge), stdout);
      return 0;
    }
    if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc && !have) {
      if (!days_parse(argv[++i], &days))
        return hub_cmd_usage_error(usage_purge,
                                   "purge: --older-than takes a number of "
                                   "days from 0 to %d, not \"%.40s\"",
                                   DAYS_MAX, argv[i]);
      have = true;
    } else {
      return hub_cmd_usage_error(usage_purge, "purge: unexpected argument %s",
                                 argv[i]);
    }
  }
  if (!have)
    return hub_cmd_usage_error(usage_purge, "%s",
                               "purge: give --older-than DAYS");
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  now = hlc_wall_ms();
  rc = hub_purge_run(hs, now > days * DAY_MS ? now - days * DAY_MS : 0, &st,
                     &err);
  hub_store_close(hs);
  if (rc != 0)
    return hub_cmd_fail(rc, &err);
  printf("purged %" PRIu64 ", kept %" PRIu64 ", horizon %" PRIu64 "\n",
         st.purged, st.kept, st.horizon);
  return 0;
}
