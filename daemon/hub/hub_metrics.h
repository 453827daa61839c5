/*
 * hub_metrics.h - the hub's counters, in Prometheus text format.
 *
 * Touched only on the loop thread (no locks). Rendered by GET /metrics:
 * requests by route and status, request latency histogram by route,
 * records stored / unchanged / refused (by code), new conflicts, records
 * served by the change feed, open long-polls, requests at work.
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
  HUB_ROUTE_OTHER,
  HUB_ROUTE_COUNT_
};

#define HUB_STATUS_MAX 600
#define HUB_LATENCY_BUCKETS 14

struct hub_metrics {
  uint64_t requests[HUB_ROUTE_COUNT_][HUB_STATUS_MAX];
  uint64_t latency[HUB_ROUTE_COUNT_][HUB_LATENCY_BUCKETS]; /* per bucket */
  uint64_t latency_count[HUB_ROUTE_COUNT_];
  double latency_sum[HUB_ROUTE_COUNT_]; /* seconds */
  uint64_t records_stored, records_unchanged;
  uint64_t refused_schema, refused_too_large, refused_future;
  uint64_t refused_forged_dot, refused_forged_entry, refused_dot_reused;
  uint64_t conflicts;
  uint64_t records_served;
  uint64_t longpolls_open;
  uint64_t at_work; /* requests queued or running off the loop */
};

/* The route's label ("push", "changes", ...). */
const char *hub_metrics_route_name(enum hub_route route);

/* Counts one finished request of route with status after seconds. */
void hub_metrics_request(struct hub_metrics *m, enum hub_route route,
                         unsigned status, double seconds);

/* The exposition text (malloc'd, *len bytes), or NULL on ENOMEM. */
char *hub_metrics_render(const struct hub_metrics *m, size_t *len);

#endif
