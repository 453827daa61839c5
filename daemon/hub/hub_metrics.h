/*
 * hub_metrics.h - the hub's counters, in Prometheus text format.
 *
 * Touched only on the loop thread (no locks). Rendered by GET /metrics:
 * requests by route and status, request latency histogram by route,
 * records stored / unchanged / refused (by code), new conflicts, records
 * served by the change feed, open long-polls and their hold time (apart
 * from the latency), requests at work, the build, the process (memory,
 * fds, CPU from /proc and getrusage) and each device's last request.
 */
#ifndef SAMBANG_HUB_METRICS_H
#define SAMBANG_HUB_METRICS_H

#include "compat.h"

enum hub_route {
  HUB_ROUTE_PUSH,
  HUB_ROUTE_CHANGES,
  HUB_ROUTE_HEALTH,
  HUB_ROUTE_METRICS,
  HUB_ROUTE_OFFICE, /* the office dashboard: pages, /api/, /export/ */
  HUB_ROUTE_NAMES,  /* device names (PROTOCOL.md, "Device names") */
  HUB_ROUTE_OTHER,
  HUB_ROUTE_COUNT_
};

#define HUB_STATUS_MAX 600
#define HUB_LATENCY_BUCKETS 14
#define HUB_HOLD_BUCKETS 9
#define HUB_METRICS_DEVICES_MAX 512 /* devices in the exposition */

struct hub_metrics {
  uint64_t requests[HUB_ROUTE_COUNT_][HUB_STATUS_MAX];
  uint64_t latency[HUB_ROUTE_COUNT_][HUB_LATENCY_BUCKETS]; /* per bucket */
  uint64_t latency_count[HUB_ROUTE_COUNT_];
  double latency_sum[HUB_ROUTE_COUNT_]; /* seconds */
  uint64_t records_stored, records_unchanged;
  uint64_t records_joined; /* merged with pushes held aside */
  uint64_t refused_schema, refused_too_large, refused_future;
  uint64_t refused_forged_dot, refused_forged_entry, refused_dot_reused;
  uint64_t refused_out_of_scope;
  uint64_t refused_purged; /* a purged id pushed late */
  uint64_t pushes_copied;  /* refused whole: copied_store */
  uint64_t conflicts;
  uint64_t records_served;
  uint64_t longpolls_open;
  /* long-polls that queried again instead of parking: a change committed
   * while their query ran (hub_server.c, park) */
  uint64_t longpoll_requeries;
  /* Time long-polls spent parked, waiting for a change (per bucket). */
  uint64_t hold[HUB_HOLD_BUCKETS];
  uint64_t hold_count;
  double hold_sum;  /* seconds */
  uint64_t at_work; /* requests queued or running off the loop */
  /* connections the hub closed: no whole head in time (slowloris), a
   * body under the rate floor, an idle keep-alive (normal) */
  uint64_t closed_head, closed_body, closed_idle;
  uint64_t start_ms; /* when the hub started (Unix time, ms; 0: unknown) */
  uint64_t office_cache_hits; /* set from the office before rendering */
  uint64_t office_logins[4];  /* ok, bad, locked, busy (office.h) */
  uint64_t office_tally_rebuilds, office_tally_read; /* likewise */
  uint64_t heap_trims; /* hub_trim.c: idle trims done */
  /* changes pages made ahead (hub_ahead.h), set before rendering: made,
   * taken by their request, dropped unused */
  uint64_t pages_ahead_made, pages_ahead_used, pages_ahead_dropped;
  /* The store's disk (hub_disk.h), set before rendering; not for a
   * PostgreSQL store (disk_known false). */
  bool disk_known;
  uint64_t disk_avail, disk_size;
};

/* Counts one finished request of route with status after seconds. */
void hub_metrics_request(struct hub_metrics *m, enum hub_route route,
                         unsigned status, double seconds);

/* Counts one long-poll that was held (parked) for seconds in all; its
 * request's latency is counted apart, without the hold. */
void hub_metrics_hold(struct hub_metrics *m, double seconds);

/* One device's last authenticated request, for the exposition. */
struct hub_metrics_device {
  const char *name; /* a device name (hub_store_device_name_valid) */
  uint64_t seen_ms; /* Unix time, ms */
  bool marked;      /* it said what it holds not at the hub: */
  uint64_t pending, refused;
};

/* The exposition text (malloc'd, *len bytes), or NULL on ENOMEM: m, then
 * the build, the process, and the n devices in devs (ages against now_ms,
 * Unix time). */
char *hub_metrics_render(const struct hub_metrics *m,
                         const struct hub_metrics_device *devs, size_t n,
                         uint64_t now_ms, size_t *len);

#endif
