/*
 * hub_server_ops.c - what the hub tells its operator about requests
 * (daemon/hub/DESIGN.md, "Operations"): who made a request, for its log
 * line, and the /metrics text with the devices the office has seen. On
 * the loop thread, beside hub_server.c.
 */
#include "compat.h"

#include "hub_server_int.h"

#include "hlc.h"
#include "hub_ahead.h"
#include "hub_disk.h"
#include "office.h"

#include <stdlib.h>

/* Who made c, for the log line: the device a token named, the office
 * user of a session, or "-". */
const char *hub_server_who(const struct hub_call *c)
{
  const char *user;

  if (c == NULL)
    return "-";
  if (c->batch.device[0] != '\0')
    return c->batch.device;
  user = c->route == HUB_ROUTE_OFFICE ? office_req_user(c->oreq) : NULL;
  return user != NULL ? user : "-";
}

/* The metrics' text with the devices the office has seen (malloc'd). */
char *hub_server_metrics_text(struct hub_server *h, size_t *len)
{
  struct office_seen_item *items;
  struct hub_metrics_device *devs;
  struct office_tally_stats ts;
  size_t i, n = 0;
  char *text = NULL;

  items = calloc(HUB_METRICS_DEVICES_MAX, sizeof(*items));
  devs = calloc(HUB_METRICS_DEVICES_MAX, sizeof(*devs));
  if (h->ahead != NULL)
    hub_ahead_counts(h->ahead, &h->m.pages_ahead_made, &h->m.pages_ahead_used,
                     &h->m.pages_ahead_dropped);
  if (items != NULL && devs != NULL) {
    if (h->office != NULL) {
      n = office_seen_list(h->office, items, HUB_METRICS_DEVICES_MAX);
      h->m.office_cache_hits = office_cache_hits(h->office);
      _Static_assert(sizeof(h->m.office_logins) ==
                         OFFICE_LOGIN_COUNT_ * sizeof(uint64_t),
                     "one metric per login result");
      office_login_counts(h->office, h->m.office_logins);
      office_tally_stats(h->office, &ts);
      h->m.office_tally_rebuilds = ts.rebuilds;
      h->m.office_tally_read = ts.records_read;
    }
    for (i = 0; i < n; i++) {
      devs[i].name = items[i].name;
      devs[i].seen_ms = items[i].seen_ms;
      devs[i].marked = items[i].marks_ms > 0;
      devs[i].pending = items[i].pending;
      devs[i].refused = items[i].refused;
    }
    if (h->http != NULL) {
      struct http_server_counts hc;
      http_server_counts(h->http, &hc);
      h->m.closed_head = hc.cut_head;
      h->m.closed_body = hc.cut_body;
      h->m.closed_idle = hc.cut_idle;
    }
    h->m.disk_known =
        hub_disk_room(hub_store_path(h->hs), &h->m.disk_avail, &h->m.disk_size);
    text = hub_metrics_render(&h->m, devs, n, hlc_wall_ms(), len);
  }
  free(items);
  free(devs);
  return text;
}
