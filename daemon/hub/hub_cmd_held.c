/*
 * hub_cmd_held.c - `sambang-hub held`: the pushes held aside, and whose
 * pushes they wait for (hub_push_held.c; daemon/hub/DESIGN.md, "Restoring
 * from a copy").
 */
#include "compat.h"

#include "hub_cmd.h"

#include "buf.h"
#include "hub_device_names.h"
#include "hub_push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const usage_held =
    N_("usage: sambang-hub [--db PATH] held\n"
       "\n"
       "Lists the pushes the hub holds aside: records a device pushed with\n"
       "another device's write the hub does not have (after the hub was put\n"
       "back from a copy), kept until the devices that made those writes push\n"
       "them too (the hub then takes them together) or for 8 days. One line\n"
       "per push: COLLECTION, ID, DEVICE (- if unknown), its REPLICA, HELD\n"
       "(when last pushed, UTC), and the devices it waits for (- for none: it\n"
       "goes at the next look), tab-separated.\n");

static int print_held(const struct hub_held *h, void *ctx)
{
  const struct hub_device_names *nm = ctx;
  const char *dev = hub_device_names_find(nm, h->replica);
  char when[32] = "-";
  time_t t = (time_t)(h->held_ms / 1000);
  struct tm tm;
  size_t k;

  if (gmtime_r(&t, &tm) != NULL)
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("%s\t%s\t%s\t%s\t%s\t", h->collection, h->id, dev ? dev : "-",
         h->replica, when);
  for (k = 0; k < h->waits_for.n; k++) {
    const char *r = h->waits_for.v[k].replica,
               *w = hub_device_names_find(nm, r);
    printf("%s%s", k > 0 ? "," : "", w != NULL ? w : r);
  }
  printf("%s\n", h->waits_for.n == 0 ? "-" : "");
  return 0;
}

int hub_cmd_held(const char *db, int argc, char **argv)
{
  struct hub_device_names nm = {NULL, 0, 0};
  struct hub_store *hs = NULL;
  struct sb_err err = {0};
  bool done;
  int rc = hub_cmd_no_args("held", usage_held, argc, argv, &done);

  if (done)
    return rc;
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  rc = hub_device_names_load(hs, &nm, &err);
  if (rc == 0)
    rc = hub_store_held_each(hs, print_held, &nm, &err);
  hub_store_close(hs);
  hub_device_names_free(&nm);
  return rc != 0 ? hub_cmd_fail(rc, &err) : 0;
}
