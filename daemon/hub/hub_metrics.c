/*
 * hub_metrics.c - the hub's counters in Prometheus text format (see
 * hub_metrics.h). Histogram buckets are stored per bucket and summed into
 * the cumulative "le" form when rendered.
 */
#include "compat.h"

#include "hub_metrics.h"

#include "buf.h"
#include "proto_err.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef SAMBANG_VERSION
#define SAMBANG_VERSION "unknown"
#endif

static const double bucket_le[HUB_LATENCY_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
static const char *const bucket_text[HUB_LATENCY_BUCKETS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",  "0.5",    "1",     "2.5",  "5",     "10",   "30"};

/* Long-poll hold: up to PROTO_MAX_WAIT_S (60 s) and a little over. */
static const double hold_le[HUB_HOLD_BUCKETS] = {0.1, 0.5, 1,  2.5, 5,
                                                 10,  20,  30, 60};
static const char *const hold_text[HUB_HOLD_BUCKETS] = {
    "0.1", "0.5", "1", "2.5", "5", "10", "20", "30", "60"};

static const char *const route_names[HUB_ROUTE_COUNT_] = {
    [HUB_ROUTE_PUSH] = "push",     [HUB_ROUTE_CHANGES] = "changes",
    [HUB_ROUTE_HEALTH] = "health", [HUB_ROUTE_METRICS] = "metrics",
    [HUB_ROUTE_OFFICE] = "office", [HUB_ROUTE_NAMES] = "names",
    [HUB_ROUTE_OTHER] = "other",
};

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

void hub_metrics_hold(struct hub_metrics *m, double seconds)
{
  size_t b;

  for (b = 0; b < HUB_HOLD_BUCKETS; b++) {
    if (seconds <= hold_le[b]) {
      m->hold[b]++;
      break;
    }
  }
  m->hold_count++;
  m->hold_sum += seconds;
}

/* Appends one printf-formatted line. */
static void line(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void line(struct buf *b, const char *fmt, ...)
{
  char text[256], *big;
  va_list ap, again;
  int n;

  va_start(ap, fmt);
  va_copy(again, ap);
  n = vsnprintf(text, sizeof(text), fmt, ap);
  if (n > 0 && (size_t)n < sizeof(text)) {
    buf_add(b, text, (size_t)n);
  } else if (n > 0 && (big = malloc((size_t)n + 1)) != NULL) {
    vsnprintf(big, (size_t)n + 1, fmt, again); /* a long help text */
    buf_add(b, big, (size_t)n);
    free(big);
  } else if (n > 0) {
    b->failed = true;
  }
  va_end(again);
  va_end(ap);
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

/* One histogram's samples: name{labels le="..."} from per-bucket counts. */
static void histogram(struct buf *b, const char *name, const char *labels,
                      const uint64_t *per_bucket, const char *const *le,
                      size_t nb, uint64_t count, double sum)
{
  uint64_t cum = 0;
  size_t k, ll = strlen(labels);

  for (k = 0; k < nb; k++) {
    cum += per_bucket[k];
    line(b, "%s_bucket{%sle=\"%s\"} %" PRIu64 "\n", name, labels, le[k], cum);
  }
  line(b, "%s_bucket{%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, count);
  /* labels ends with a comma (or is empty): drop it for sum and count */
  line(b, "%s_sum%s%.*s%s %.6f\n", name, ll ? "{" : "", ll ? (int)ll - 1 : 0,
       labels, ll ? "}" : "", sum);
  line(b, "%s_count%s%.*s%s %" PRIu64 "\n", name, ll ? "{" : "",
       ll ? (int)ll - 1 : 0, labels, ll ? "}" : "", count);
}

static void gauge(struct buf *b, const char *name, const char *help, double v)
{
  line(b, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name,
       v);
}

/* The number of open file descriptors (/proc/self/fd, without the one
 * reading it), or -1. */
static long open_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  long n = 0;

  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] != '.')
      n++;
  }
  closedir(d);
  return n > 0 ? n - 1 : 0;
}

/* The standard process_* metrics (client libraries' names). */
static void process(struct buf *b, uint64_t start_ms)
{
  struct rusage ru;
  struct rlimit rl;
  unsigned long pages_virt = 0, pages_res = 0;
  long page = sysconf(_SC_PAGESIZE), fds = open_fds();
  FILE *f = fopen("/proc/self/statm", "r");

  if (f != NULL) {
    if (fscanf(f, "%lu %lu", &pages_virt, &pages_res) == 2 && page > 0) {
      gauge(b, "process_resident_memory_bytes",
            "Resident memory size in bytes.", (double)pages_res * (double)page);
      gauge(b, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
            (double)pages_virt * (double)page);
    }
    fclose(f);
  }
  if (fds >= 0)
    gauge(b, "process_open_fds", "Number of open file descriptors.",
          (double)fds);
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    gauge(b, "process_max_fds", "Maximum number of open file descriptors.",
          (double)rl.rlim_cur);
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    double cpu =
        (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
        ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
    line(b,
         "# HELP process_cpu_seconds_total Total user and system CPU time "
         "spent in seconds.\n# TYPE process_cpu_seconds_total counter\n"
         "process_cpu_seconds_total %.6f\n",
         cpu);
  }
  if (start_ms > 0)
    gauge(b, "process_start_time_seconds",
          "Start time of the process since unix epoch in seconds.",
          (double)start_ms / 1000.0);
}

/* One gauge of what each device last said it holds that is not at the hub
 * (Sambang-Marks: "pending" or "refused"; only the devices that said it). */
static void marks(struct buf *b, const struct hub_metrics_device *devs,
                  size_t n, const char *which, const char *help)
{
  size_t i;

  line(b,
       "# HELP sambang_hub_device_records_%s %s, as it last said.\n"
       "# TYPE sambang_hub_device_records_%s gauge\n",
       which, help, which);
  for (i = 0; i < n; i++)
    if (devs[i].marked)
      line(b, "sambang_hub_device_records_%s{device=\"%s\"} %llu\n", which,
           devs[i].name,
           (unsigned long long)(strcmp(which, "pending") == 0
                                    ? devs[i].pending
                                    : devs[i].refused));
}

/* Each device's last authenticated request: its time (the convention) and
 * its age. Names are device names: [A-Za-z0-9._-], nothing to escape. */
static void devices(struct buf *b, const struct hub_metrics_device *devs,
                    size_t n, uint64_t now_ms)
{
  size_t i;

  line(b, "# HELP sambang_hub_device_last_seen_timestamp_seconds When the "
          "device last made an authenticated request (Unix time).\n"
          "# TYPE sambang_hub_device_last_seen_timestamp_seconds gauge\n");
  for (i = 0; i < n; i++)
    line(b,
         "sambang_hub_device_last_seen_timestamp_seconds{device=\"%s\"} "
         "%.3f\n",
         devs[i].name, (double)devs[i].seen_ms / 1000.0);
  line(b, "# HELP sambang_hub_device_last_seen_age_seconds Seconds since the "
          "device last made an authenticated request.\n"
          "# TYPE sambang_hub_device_last_seen_age_seconds gauge\n");
  for (i = 0; i < n; i++) {
    uint64_t age = now_ms > devs[i].seen_ms ? now_ms - devs[i].seen_ms : 0;
    line(b, "sambang_hub_device_last_seen_age_seconds{device=\"%s\"} %.3f\n",
         devs[i].name, (double)age / 1000.0);
  }
  marks(b, devs, n, "pending",
        "Records the device holds that the hub has not accepted yet");
  marks(b, devs, n, "refused", "Records the hub refused that the device keeps");
}

char *hub_metrics_render(const struct hub_metrics *m,
                         const struct hub_metrics_device *devs, size_t n,
                         uint64_t now_ms, size_t *len)
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
           "to reply, by route, without the time a long-poll was held "
           "waiting for a change.\n# TYPE sambang_hub_request_duration_seconds "
           "histogram\n");
  for (r = 0; r < HUB_ROUTE_COUNT_; r++) {
    char label[64];
    snprintf(label, sizeof(label), "route=\"%s\",", route_names[r]);
    histogram(&b, "sambang_hub_request_duration_seconds", label, m->latency[r],
              bucket_text, HUB_LATENCY_BUCKETS, m->latency_count[r],
              m->latency_sum[r]);
  }
  line(&b, "# HELP sambang_hub_longpoll_hold_seconds Time a change feed "
           "request was held waiting for a change (long-poll), in all.\n"
           "# TYPE sambang_hub_longpoll_hold_seconds histogram\n");
  histogram(&b, "sambang_hub_longpoll_hold_seconds", "", m->hold, hold_text,
            HUB_HOLD_BUCKETS, m->hold_count, m->hold_sum);
  counter(&b, "sambang_hub_longpoll_requeries_total",
          "Long-polls that read the feed again instead of waiting, since a "
          "change committed while their first read ran.",
          m->longpoll_requeries);
  counter(&b, "sambang_hub_records_merged_total",
          "Pushed records merged into a new state (given a new seq).",
          m->records_stored);
  counter(&b, "sambang_hub_records_unchanged_total",
          "Pushed records the hub already held (idempotent re-push).",
          m->records_unchanged);
  counter(&b, "sambang_hub_records_joined_total",
          "Pushed records merged with pushes held aside for them.",
          m->records_joined);
  line(&b, "# HELP sambang_hub_records_refused_total Pushed records refused, "
           "by code.\n# TYPE sambang_hub_records_refused_total counter\n");
  refused(&b, PROTO_ERR_SCHEMA, m->refused_schema);
  refused(&b, PROTO_ERR_TOO_LARGE, m->refused_too_large);
  refused(&b, PROTO_ERR_FUTURE_TIMESTAMP, m->refused_future);
  refused(&b, PROTO_ERR_FORGED_DOT, m->refused_forged_dot);
  refused(&b, PROTO_ERR_FORGED_ENTRY, m->refused_forged_entry);
  refused(&b, PROTO_ERR_DOT_REUSED, m->refused_dot_reused);
  refused(&b, PROTO_ERR_OUT_OF_SCOPE, m->refused_out_of_scope);
  refused(&b, PROTO_ERR_PURGED, m->refused_purged);
  counter(&b, "sambang_hub_pushes_copied_total",
          "Pushes refused whole as another store's writing as the device "
          "(copied_store).",
          m->pushes_copied);
  counter(&b, "sambang_hub_conflicts_total",
          "Records that became conflicted (siblings or delete/edit) by a "
          "push.",
          m->conflicts);
  counter(&b, "sambang_hub_records_served_total",
          "Record states sent in change feed pages.", m->records_served);
  line(&b,
       "# HELP sambang_hub_pages_ahead_total Change feed pages made "
       "before their device asked (it was taking in the page before): "
       "made, then used by its request or dropped unused.\n"
       "# TYPE sambang_hub_pages_ahead_total counter\n"
       "sambang_hub_pages_ahead_total{outcome=\"made\"} %" PRIu64 "\n"
       "sambang_hub_pages_ahead_total{outcome=\"used\"} %" PRIu64 "\n"
       "sambang_hub_pages_ahead_total{outcome=\"dropped\"} %" PRIu64 "\n",
       m->pages_ahead_made, m->pages_ahead_used, m->pages_ahead_dropped);
  counter(&b, "sambang_hub_office_cache_hits_total",
          "Office views answered from a result kept since an earlier request "
          "(the feed had not moved).",
          m->office_cache_hits);
  line(&b,
       "# HELP sambang_hub_office_logins_total Logins at the office's "
       "/login by result: a session made, a wrong user or password, "
       "refused while locked out, refused while another password was being "
       "checked.\n"
       "# TYPE sambang_hub_office_logins_total counter\n"
       "sambang_hub_office_logins_total{result=\"ok\"} %" PRIu64 "\n"
       "sambang_hub_office_logins_total{result=\"bad\"} %" PRIu64 "\n"
       "sambang_hub_office_logins_total{result=\"locked\"} %" PRIu64 "\n"
       "sambang_hub_office_logins_total{result=\"busy\"} %" PRIu64 "\n",
       m->office_logins[0], m->office_logins[1], m->office_logins[2],
       m->office_logins[3]);
  counter(&b, "sambang_hub_office_tally_rebuilds_total",
          "Times the overview's kept facts were read from the feed's start "
          "(first use, or after a purge).",
          m->office_tally_rebuilds);
  counter(&b, "sambang_hub_office_tally_records_read_total",
          "Feed entries the overview's kept facts were brought up to date "
          "with.",
          m->office_tally_read);
  counter(&b, "sambang_hub_heap_trims_total",
          "Times the idle hub gave its freed heap back to the system.",
          m->heap_trims);
  line(&b,
       "# HELP sambang_hub_longpolls_open Change feed requests waiting for a "
       "change.\n# TYPE sambang_hub_longpolls_open gauge\n"
       "sambang_hub_longpolls_open %" PRIu64 "\n",
       m->longpolls_open);
  line(&b,
       "# HELP sambang_hub_connections_closed_total Connections the hub "
       "closed at a deadline, by reason: head (no whole request head in "
       "time), body (a body under the rate floor), idle (a keep-alive "
       "connection idle after a reply: normal).\n"
       "# TYPE sambang_hub_connections_closed_total counter\n"
       "sambang_hub_connections_closed_total{reason=\"head\"} %" PRIu64 "\n"
       "sambang_hub_connections_closed_total{reason=\"body\"} %" PRIu64 "\n"
       "sambang_hub_connections_closed_total{reason=\"idle\"} %" PRIu64 "\n",
       m->closed_head, m->closed_body, m->closed_idle);
  line(&b,
       "# HELP sambang_hub_requests_at_work Requests queued or running off "
       "the loop (store work).\n# TYPE sambang_hub_requests_at_work gauge\n"
       "sambang_hub_requests_at_work %" PRIu64 "\n",
       m->at_work);
  if (m->disk_known) {
    gauge(&b, "sambang_hub_store_disk_available_bytes",
          "Room left for the hub's store on its file system (what an "
          "unprivileged writer may use).",
          (double)m->disk_avail);
    gauge(&b, "sambang_hub_store_disk_size_bytes",
          "Size of the file system holding the hub's store.",
          (double)m->disk_size);
  }
  line(&b,
       "# HELP sambang_build_info The hub's build (always 1).\n"
       "# TYPE sambang_build_info gauge\n"
       "sambang_build_info{program=\"sambang-hub\",version=\"%s\"} 1\n",
       SAMBANG_VERSION);
  process(&b, m->start_ms);
  devices(&b, devs, n, now_ms);
  return buf_take(&b, len);
}
