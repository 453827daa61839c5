/*
 * hub_metrics.c - the hub's counters in Prometheus text format (see
 * hub_metrics.h). Histogram buckets are stored per bucket and summed into
 * the cumulative "le" form when rendered.
 */
#include "compat.h"

#include "hub_metrics.h"

#include "buf.h"
#include "proto_err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const double bucket_le[HUB_LATENCY_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
static const char *const bucket_text[HUB_LATENCY_BUCKETS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",  "0.5",    "1",     "2.5",  "5",     "10",   "30"};

static const char *const route_names[HUB_ROUTE_COUNT_] = {
    [HUB_ROUTE_PUSH] = "push",     [HUB_ROUTE_CHANGES] = "changes",
    [HUB_ROUTE_HEALTH] = "health", [HUB_ROUTE_METRICS] = "metrics",
    [HUB_ROUTE_OFFICE] = "office", [HUB_ROUTE_OTHER] = "other",
};

const char *hub_metrics_route_name(enum hub_route route)
{
  return route < HUB_ROUTE_COUNT_ ? route_names[route] : "other";
}

void hub_metrics_request(struct hub_metrics *m, enum hub_route route,
                         unsigned status, double seconds)
{
  size_t b;

  if (route >= HUB_ROUTE_COUNT_)
    route = HUB_ROUTE_OTHER;
  m->requests[route][status < HUB_STATUS_MAX ? status : 0]++;
  for (b = 0; b < HUB_LATENCY_BUCKETS; b++) {
    if (seconds <= bucket_le[b]) {
      m->latency[route][b]++;
      break;
    }
  }
  m->latency_count[route]++;
  m->latency_sum[route] += seconds;
}

/* Appends one printf-formatted line. */
static void line(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void line(struct buf *b, const char *fmt, ...)
{
  char text[256];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  if (n > 0)
    buf_add(b, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

static void counter(struct buf *b, const char *name, const char *help,
                    uint64_t v)
{
  line(b, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name,
       name, v);
}

/* One sample of the refused-records counter, labelled with code's name. */
static void refused(struct buf *b, enum proto_err code, uint64_t v)
{
  line(b, "sambang_hub_records_refused_total{code=\"%s\"} %" PRIu64 "\n",
       proto_err_name(code), v);
}

char *hub_metrics_render(const struct hub_metrics *m, size_t *len)
{
  struct buf b;
  size_t r, k;

  buf_init(&b);
  line(&b, "# HELP sambang_hub_requests_total HTTP requests by route and "
           "status.\n# TYPE sambang_hub_requests_total counter\n");
  for (r = 0; r < HUB_ROUTE_COUNT_; r++) {
    for (k = 0; k < HUB_STATUS_MAX; k++) {
      if (m->requests[r][k] != 0)
        line(&b,
             "sambang_hub_requests_total{route=\"%s\",status=\"%zu\"} "
             "%" PRIu64 "\n",
             route_names[r], k, m->requests[r][k]);
    }
  }
  line(&b, "# HELP sambang_hub_request_duration_seconds Time from request "
           "to reply, by route.\n# TYPE sambang_hub_request_duration_seconds "
           "histogram\n");
  for (r = 0; r < HUB_ROUTE_COUNT_; r++) {
    uint64_t cum = 0;
    for (k = 0; k < HUB_LATENCY_BUCKETS; k++) {
      cum += m->latency[r][k];
      line(&b,
           "sambang_hub_request_duration_seconds_bucket{route=\"%s\","
           "le=\"%s\"} %" PRIu64 "\n",
           route_names[r], bucket_text[k], cum);
    }
    line(&b,
         "sambang_hub_request_duration_seconds_bucket{route=\"%s\","
         "le=\"+Inf\"} %" PRIu64 "\n",
         route_names[r], m->latency_count[r]);
    line(&b,
         "sambang_hub_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
         "sambang_hub_request_duration_seconds_count{route=\"%s\"} "
         "%" PRIu64 "\n",
         route_names[r], m->latency_sum[r], route_names[r],
         m->latency_count[r]);
  }
  counter(&b, "sambang_hub_records_merged_total",
          "Pushed records merged into a new state (given a new seq).",
          m->records_stored);
  counter(&b, "sambang_hub_records_unchanged_total",
          "Pushed records the hub already held (idempotent re-push).",
          m->records_unchanged);
  line(&b, "# HELP sambang_hub_records_refused_total Pushed records refused, "
           "by code.\n# TYPE sambang_hub_records_refused_total counter\n");
  refused(&b, PROTO_ERR_SCHEMA, m->refused_schema);
  refused(&b, PROTO_ERR_TOO_LARGE, m->refused_too_large);
  refused(&b, PROTO_ERR_FUTURE_TIMESTAMP, m->refused_future);
  refused(&b, PROTO_ERR_FORGED_DOT, m->refused_forged_dot);
  refused(&b, PROTO_ERR_FORGED_ENTRY, m->refused_forged_entry);
  refused(&b, PROTO_ERR_DOT_REUSED, m->refused_dot_reused);
  counter(&b, "sambang_hub_conflicts_total",
          "Records that became conflicted (siblings or delete/edit) by a "
          "push.",
          m->conflicts);
  counter(&b, "sambang_hub_records_served_total",
          "Record states sent in change feed pages.", m->records_served);
  line(&b,
       "# HELP sambang_hub_longpolls_open Change feed requests waiting for a "
       "change.\n# TYPE sambang_hub_longpolls_open gauge\n"
       "sambang_hub_longpolls_open %" PRIu64 "\n",
       m->longpolls_open);
  line(&b,
       "# HELP sambang_hub_requests_at_work Requests queued or running off "
       "the loop (store work).\n# TYPE sambang_hub_requests_at_work gauge\n"
       "sambang_hub_requests_at_work %" PRIu64 "\n",
       m->at_work);
  return buf_take(&b, len);
}
