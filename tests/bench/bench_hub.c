/*
 * bench_hub.c - `sambang-hub serve` against the SQLite floor.
 *
 * Makes a hub store with the real binary (init, one `device add` per
 * client), starts `sambang-hub serve --listen 127.0.0.1:0` and measures in
 * one run:
 *   floor: the same visit rows (~400 bytes of fields) inserted by plain
 *          SQLite in-process (one transaction, WAL, synchronous=FULL);
 *   push:  POST /v1/push throughput with 1 client and with 50 concurrent
 *          clients (libcurl multi; each client its own device token and
 *          replica id; batches of 500 record states made with record_put
 *          and push_req_encode), p50/p99 latency of a batch at 50 clients;
 *          with the hub's CPU seconds over the 50-client push and this
 *          process's (the clients'): cores the hub kept busy tell whether
 *          it was bound by its CPU or by its one store writer;
 *   pull:  GET /v1/changes?since=N&limit=1000 from 0 until drained;
 *   RSS:   the hub's VmRSS idle and with 1000 idle long-polls open
 *          (wait=60, counted by the hub's /metrics), and its peak (VmHWM).
 * Request bodies are built before the clock starts, and pull replies are
 * only scanned (not decoded), so the figures are the hub's. Ratios against
 * the floor are what to read: the machine is noisy, and client and hub
 * share its cores.
 *
 * usage: bench_hub HUB_BINARY [BATCHES] [WORKDIR]
 *   BATCHES: batches of 500 for the 50-client case (default 100); the
 *   1-client case pushes BATCHES/5.
 */
#include "compat.h"

#include "bench_util.h"

#include "buf.h"
#include "proto.h"
#include "record.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 500
#define NCLIENTS 50
#define NPOLLS 1000

static const char *hub_bin;
static char hub_db[512];
static char base_url[64];
static pid_t hub_pid = -1;
static FILE *hub_out;

struct client {
  char token[256];
  char replica[17];
  struct curl_slist *hdrs;
  CURL *easy;
  struct buf resp;
  char **bodies; /* the batches this client pushes */
  size_t nbodies, next;
  double t_start;
};

static void stop_hub(void);

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
  va_list ap;
  fputs("bench_hub: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  stop_hub();
  exit(1);
}

/* --- the hub process --------------------------------------------------- */

/* Runs the hub with args; its stdout (trailing newline cut) into out. */
static void hub_run(const char *const *args, char *out, size_t outlen)
{
  char *argv[12];
  int fd[2], status;
  size_t n = 0, i = 0;
  ssize_t r;
  pid_t pid;

  argv[i++] = (char *)hub_bin;
  argv[i++] = "--db";
  argv[i++] = hub_db;
  for (; *args != NULL && i < 11; args++)
    argv[i++] = (char *)*args;
  argv[i] = NULL;
  if (pipe(fd) != 0)
    fail("pipe failed");
  pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fd[1]);
  while (n + 1 < outlen && (r = read(fd[0], out + n, outlen - 1 - n)) > 0)
    n += (size_t)r;
  out[n] = '\0';
  close(fd[0]);
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    fail("%s --db %s %s %s failed", hub_bin, hub_db, argv[3],
         argv[4] != NULL ? argv[4] : "");
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
    out[--n] = '\0';
}

/* Starts `serve --listen 127.0.0.1:0`; sets base_url from its first line. */
static void start_hub(const char *log)
{
  char line[256];
  int fd[2];
  unsigned port;

  if (pipe(fd) != 0)
    fail("pipe failed");
  hub_pid = fork();
  if (hub_pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    if (freopen(log, "w", stderr) == NULL)
      _exit(127);
    /* Every client of the bench is 127.0.0.1: its 1000 long-polls need
     * more than the per-address default (256). */
    execl(hub_bin, hub_bin, "--db", hub_db, "serve", "--listen", "127.0.0.1:0",
          "--max-conns-per-addr", "2000", (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  if (hub_pid < 0)
    fail("fork failed");
  hub_out = fdopen(fd[0], "r");
  if (hub_out == NULL || fgets(line, sizeof(line), hub_out) == NULL)
    fail("the hub did not start (see %s)", log);
  if (sscanf(line, "listening on 127.0.0.1:%u", &port) != 1)
    fail("unexpected first line from the hub: %s", line);
  snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%u", port);
}

/* SIGTERM, up to 10 s to exit, then SIGKILL. */
static void stop_hub(void)
{
  int i, status;
  if (hub_pid <= 0)
    return;
  kill(hub_pid, SIGTERM);
  for (i = 0; i < 1000; i++) {
    if (waitpid(hub_pid, &status, WNOHANG) == hub_pid)
      break;
    usleep(10000);
  }
  if (i == 1000) {
    kill(hub_pid, SIGKILL);
    waitpid(hub_pid, &status, 0);
  }
  hub_pid = -1;
  if (hub_out != NULL)
    fclose(hub_out);
  hub_out = NULL;
}

/* A line "Name:   N kB" of /proc/PID/status, in kB. */
static long hub_status_kb(const char *name)
{
  char path[64], line[256];
  size_t nl = strlen(name);
  long kb = -1;
  FILE *f;
  snprintf(path, sizeof(path), "/proc/%d/status", (int)hub_pid);
  f = fopen(path, "r");
  if (f == NULL)
    fail("cannot read %s", path);
  while (fgets(line, sizeof(line), f) != NULL)
    if (strncmp(line, name, nl) == 0 && line[nl] == ':')
      kb = strtol(line + nl + 1, NULL, 10);
  fclose(f);
  if (kb < 0)
    fail("no %s in %s", name, path);
  return kb;
}

/* The hub's CPU seconds so far (user + system, /proc/PID/stat). */
static double hub_cpu_s(void)
{
  char path[64], line[1024], *p;
  unsigned long long ut = 0, st = 0;
  FILE *f;
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)hub_pid);
  f = fopen(path, "r");
  if (f == NULL || fgets(line, sizeof(line), f) == NULL)
    fail("cannot read %s", path);
  fclose(f);
  /* Fields 14 and 15, counted after the command's closing parenthesis. */
  p = strrchr(line, ')');
  if (p == NULL || sscanf(p + 2,
                          "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                          "%llu %llu",
                          &ut, &st) != 2)
    fail("cannot parse %s", path);
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* This process's CPU seconds so far (the clients' side of the load). */
static double self_cpu_s(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* --- HTTP -------------------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
  if (buf_add(userdata, p, size * n) != 0)
    return 0;
  return size * n;
}

static void client_setup(struct client *c, unsigned i)
{
  char h[300];
  const char *add[] = {"device", "add", h, "--scope", "all", NULL};
  snprintf(h, sizeof(h), "bench-%02u", i);
  hub_run(add, c->token, sizeof(c->token));
  snprintf(c->replica, sizeof(c->replica), "%016llx",
           (unsigned long long)(0xbe0c000000000000ull + i));
  snprintf(h, sizeof(h), "Authorization: Bearer %.255s", c->token);
  c->hdrs = curl_slist_append(NULL, h);
  snprintf(h, sizeof(h), "%s: %s", PROTO_REPLICA_HEADER, c->replica);
  c->hdrs = curl_slist_append(c->hdrs, h);
  c->hdrs = curl_slist_append(c->hdrs, BENCH_PUSH_TYPE);
  c->hdrs = curl_slist_append(c->hdrs, "Expect:");
  c->easy = curl_easy_init();
  if (c->hdrs == NULL || c->easy == NULL)
    fail("out of memory");
  buf_init(&c->resp);
  curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
  curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &c->resp);
  curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
}

/* The push bodies of `nb` batches of client c, record ids tagged by phase. */
static void make_batches(struct client *c, unsigned ci, const char *phase,
                         size_t nb)
{
  uint64_t ts = (uint64_t)time(NULL) * 1000000u;
  char prefix[64];
  size_t b;

  c->bodies = calloc(nb, sizeof(char *));
  if (c->bodies == NULL)
    fail("out of memory");
  c->nbodies = nb;
  c->next = 0;
  snprintf(prefix, sizeof(prefix), "%s-c%02u-", phase, ci);
  for (b = 0; b < nb; b++)
    c->bodies[b] = bench_push_body(c->replica, prefix, b * BATCH, BATCH, ts);
}

static void client_send(CURLM *m, struct client *c, const char *url)
{
  const char *body = c->bodies[c->next];
  buf_reset(&c->resp);
  curl_easy_setopt(c->easy, CURLOPT_URL, url);
  curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                   (curl_off_t)strlen(body));
  c->t_start = bench_now_s();
  if (curl_multi_add_handle(m, c->easy) != CURLM_OK)
    fail("curl_multi_add_handle failed");
}

/* Fails unless the finished transfer of c is a 200 with every record ok. */
static void check_reply(struct client *c, CURLcode rc, const char *what)
{
  long status = 0;
  curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK)
    fail("%s: %s", what, curl_easy_strerror(rc));
  if (c->resp.failed)
    fail("%s: out of memory", what);
  if (status != 200)
    fail("%s: status %ld: %.500s", what, status,
         c->resp.len > 0 ? c->resp.p : "");
  if (strstr(c->resp.p, "\"ok\":false") != NULL)
    fail("%s: a record was refused: %.500s", what, c->resp.p);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double percentile(const double *v, size_t n, double p)
{
  size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
  return v[k == 0 ? 0 : k - 1];
}

/*
 * Every client pushes its batches, one at a time, all clients at once.
 * Returns seconds; lat (if not NULL) gets one latency per batch, sorted.
 */
static double push_all(struct client *cs, size_t n, double *lat)
{
  char url[128];
  size_t i, done = 0, total = 0;
  int running = 1;
  double t0;
  CURLM *m = curl_multi_init();

  if (m == NULL)
    fail("curl_multi_init failed");
  snprintf(url, sizeof(url), "%s%s/push", base_url, PROTO_VERSION_PATH);
  for (i = 0; i < n; i++)
    total += cs[i].nbodies;
  t0 = bench_now_s();
  for (i = 0; i < n; i++)
    if (cs[i].nbodies > 0)
      client_send(m, &cs[i], url);
  while (done < total) {
    CURLMsg *msg;
    int left;
    if (curl_multi_perform(m, &running) != CURLM_OK)
      fail("curl_multi_perform failed");
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
      struct client *c;
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
      curl_multi_remove_handle(m, c->easy);
      check_reply(c, msg->data.result, "push");
      if (lat != NULL)
        lat[done] = bench_now_s() - c->t_start;
      done++;
      free(c->bodies[c->next]);
      c->bodies[c->next] = NULL;
      if (++c->next < c->nbodies)
        client_send(m, c, url);
    }
    if (done < total && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
      fail("curl_multi_poll failed");
  }
  t0 = bench_now_s() - t0;
  curl_multi_cleanup(m);
  if (lat != NULL)
    qsort(lat, total, sizeof(double), cmp_double);
  return t0;
}

/* GET path into c->resp with c's easy handle (headers: auth). */
static long get(struct client *c, const char *url)
{
  long status = 0;
  CURLcode rc;
  buf_reset(&c->resp);
  curl_easy_setopt(c->easy, CURLOPT_URL, url);
  curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
  rc = curl_easy_perform(c->easy);
  if (rc != CURLE_OK)
    fail("GET %s: %s", url, curl_easy_strerror(rc));
  if (c->resp.failed)
    fail("GET %s: out of memory", url);
  curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

/* Pulls from 0 until drained; *n gets the changes, *last the cursor. */
static double pull_all(struct client *c, size_t *n, uint64_t *last)
{
  char url[256];
  uint64_t since = 0;
  double t0 = bench_now_s();
  *n = 0;
  for (;;) {
    const char *p, *tail;
    snprintf(url, sizeof(url),
             "%s%s/changes?since=%llu&limit=%d" PROTO_FORM_COMPACT_QUERY,
             base_url, PROTO_VERSION_PATH, (unsigned long long)since,
             PROTO_MAX_PAGE);
    if (get(c, url) != 200)
      fail("pull: %.500s", c->resp.p);
    for (p = c->resp.p; (p = strstr(p, "{\"record\":")) != NULL; p++)
      (*n)++;
    /* The reply ends ],"more":B,"next":N}. */
    tail = strstr(c->resp.p + (c->resp.len > 64 ? c->resp.len - 64 : 0),
                  "\"more\":");
    if (tail == NULL)
      fail("pull: no \"more\" in %.500s", c->resp.p);
    if (sscanf(strstr(tail, "\"next\":"), "\"next\":%llu",
               (unsigned long long *)&since) != 1)
      fail("pull: no \"next\" in %.500s", c->resp.p);
    if (strncmp(tail, "\"more\":false", 12) == 0)
      break;
  }
  *last = since;
  return bench_now_s() - t0;
}

/* The value of the metric line `name N` of /metrics, or -1. */
static long metric(struct client *c, const char *name)
{
  char url[128];
  const char *p;
  size_t nl = strlen(name);
  snprintf(url, sizeof(url), "%s/metrics", base_url);
  if (get(c, url) != 200)
    return -1;
  for (p = c->resp.p; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
    if (*p == '\n')
      p++;
    if (strncmp(p, name, nl) == 0 && p[nl] == ' ')
      return strtol(p + nl + 1, NULL, 10);
  }
  return -1;
}

/*
 * Opens NPOLLS long-polls as client c at cursor since; returns the hub's
 * VmRSS (kB) once /metrics counts them all open, then closes them.
 * *open_s gets the seconds until they were all open.
 */
static long longpoll_rss(struct client *c, uint64_t since, double *open_s)
{
  static CURL *polls[NPOLLS];
  char url[256];
  size_t i;
  int running;
  long open = 0, rss;
  double t0 = bench_now_s(), next_check = 0;
  CURLM *m = curl_multi_init();
  struct buf sink;

  buf_init(&sink);
  snprintf(url, sizeof(url), "%s%s/changes?since=%llu&wait=%d", base_url,
           PROTO_VERSION_PATH, (unsigned long long)since, PROTO_MAX_WAIT_S);
  for (i = 0; i < NPOLLS; i++) {
    polls[i] = curl_easy_init();
    if (polls[i] == NULL)
      fail("out of memory");
    curl_easy_setopt(polls[i], CURLOPT_URL, url);
    curl_easy_setopt(polls[i], CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(polls[i], CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(polls[i], CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(polls[i], CURLOPT_TIMEOUT, 90L);
    curl_easy_setopt(polls[i], CURLOPT_NOSIGNAL, 1L);
    curl_multi_add_handle(m, polls[i]);
  }
  for (;;) {
    CURLMsg *msg;
    int left;
    curl_multi_perform(m, &running);
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
      long status = 0;
      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      fail("a long-poll ended early: %s, status %ld: %.300s",
           curl_easy_strerror(msg->data.result), status,
           sink.len > 0 ? sink.p : "");
    }
    if (bench_now_s() >= next_check) {
      open = metric(c, "sambang_hub_longpolls_open");
      if (open >= NPOLLS)
        break;
      next_check = bench_now_s() + 0.05;
    }
    if (bench_now_s() - t0 > 30)
      fail("only %ld of %d long-polls open after 30 s", open, NPOLLS);
    curl_multi_poll(m, NULL, 0, 20, NULL);
  }
  *open_s = bench_now_s() - t0;
  rss = hub_status_kb("VmRSS");
  for (i = 0; i < NPOLLS; i++) {
    curl_multi_remove_handle(m, polls[i]);
    curl_easy_cleanup(polls[i]);
  }
  curl_multi_cleanup(m);
  buf_release(&sink);
  return rss;
}

/* Lets this process hold NPOLLS sockets. */
static void raise_fd_limit(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* Frees the clients and the latencies, removes the hub's files and log. */
static void release_run(struct client *cs, double *lat, const char *log)
{
  size_t i;
  char p[600];

  for (i = 0; i < NCLIENTS; i++) {
    free(cs[i].bodies);
    curl_slist_free_all(cs[i].hdrs);
    curl_easy_cleanup(cs[i].easy);
    buf_release(&cs[i].resp);
  }
  free(lat);
  unlink(hub_db);
  snprintf(p, sizeof(p), "%s-wal", hub_db);
  unlink(p);
  snprintf(p, sizeof(p), "%s-shm", hub_db);
  unlink(p);
  unlink(log);
}

int main(int argc, char **argv)
{
  static struct client cs[NCLIENTS];
  const char *dir;
  char floor_db[512], log[512], out[256];
  size_t batches = 100, n1, n50, npulled, i;
  double t_floor, t1, t50, t_pull, t_open, *lat, floor_rate, rows_floor;
  double hub_cpu50, self_cpu50;
  long rss_busy, rss_idle, rss_polls, rss_after, hwm, trims;
  uint64_t last;
  const char *init[] = {"init", NULL};

  if (argc < 2) {
    fprintf(stderr, "usage: bench_hub HUB_BINARY [BATCHES] [WORKDIR]\n");
    return 2;
  }
  hub_bin = argv[1];
  if (argc > 2)
    batches = (size_t)strtoul(argv[2], NULL, 10);
  if (batches < NCLIENTS)
    batches = NCLIENTS;
  dir = argc > 3 ? argv[3] : "/tmp";
  snprintf(floor_db, sizeof(floor_db), "%s/bench-hub-floor.db", dir);
  snprintf(hub_db, sizeof(hub_db), "%s/bench-hub.db", dir);
  snprintf(log, sizeof(log), "%s/bench-hub.log", dir);
  raise_fd_limit();
  signal(SIGPIPE, SIG_IGN);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
    fail("curl_global_init failed");

  n50 = batches * BATCH;
  n1 = batches / 5 * BATCH;
  t_floor = bench_floor_insert(floor_db, n50);
  if (t_floor < 0)
    fail("the SQLite floor failed");
  floor_rate = (double)n50 / t_floor;
  unlink(floor_db);

  unlink(hub_db);
  hub_run(init, out, sizeof(out));
  for (i = 0; i < NCLIENTS; i++)
    client_setup(&cs[i], (unsigned)i);
  start_hub(log);

  /* 1 client, then 50 (client 0 pushes in both; its replica binds once). */
  make_batches(&cs[0], 0, "one", batches / 5);
  t1 = push_all(cs, 1, NULL);
  free(cs[0].bodies);
  for (i = 0; i < NCLIENTS; i++)
    make_batches(&cs[i], (unsigned)i, "many",
                 batches / NCLIENTS + (i < batches % NCLIENTS));
  lat = calloc(batches, sizeof(double));
  if (lat == NULL)
    fail("out of memory");
  hub_cpu50 = hub_cpu_s();
  self_cpu50 = self_cpu_s();
  t50 = push_all(cs, NCLIENTS, lat);
  hub_cpu50 = hub_cpu_s() - hub_cpu50;
  self_cpu50 = self_cpu_s() - self_cpu50;

  trims = metric(&cs[0], "sambang_hub_heap_trims_total");
  t_pull = pull_all(&cs[0], &npulled, &last);
  if (npulled != n1 + n50)
    fail("pulled %zu changes, pushed %zu", npulled, n1 + n50);
  printf("records                   %zu per batch, ~400 bytes of fields each\n",
         (size_t)BATCH);
  printf("sqlite floor              %zu rows in %.3f s  %.0f records/s\n", n50,
         t_floor, floor_rate);
  printf("push, 1 client            %zu records in %.3f s  %.0f records/s  "
         "%.2f x floor\n",
         n1, t1, (double)n1 / t1, (double)n1 / t1 / floor_rate);
  printf("push, %d clients          %zu records in %.3f s  %.0f records/s  "
         "%.2f x floor\n",
         NCLIENTS, n50, t50, (double)n50 / t50, (double)n50 / t50 / floor_rate);
  printf("push latency, %d clients  p50 %.1f ms  p99 %.1f ms  max %.1f ms  "
         "(%zu batches)\n",
         NCLIENTS, percentile(lat, batches, 50) * 1e3,
         percentile(lat, batches, 99) * 1e3, lat[batches - 1] * 1e3, batches);
  printf("push CPU, %d clients      hub %.2f s (%.1f us a record, %.2f cores "
         "busy), clients %.2f s\n",
         NCLIENTS, hub_cpu50, hub_cpu50 / (double)n50 * 1e6, hub_cpu50 / t50,
         self_cpu50);
  printf("pull, limit=%d          %zu records in %.3f s  %.0f records/s  "
         "%.2f x floor\n",
         PROTO_MAX_PAGE, npulled, t_pull, (double)npulled / t_pull,
         (double)npulled / t_pull / floor_rate);
  fflush(stdout);
  rss_busy = hub_status_kb("VmRSS");
  /* Idle: once the hub has given its freed heap back (hub_trim.c). */
  for (i = 0;
       i < 500 && metric(&cs[0], "sambang_hub_heap_trims_total") < trims + 1;
       i++)
    usleep(20000);
  rss_idle = hub_status_kb("VmRSS");
  rss_polls = longpoll_rss(&cs[0], last, &t_open);
  for (i = 0; i < 100 && metric(&cs[0], "sambang_hub_longpolls_open") != 0; i++)
    usleep(20000);
  rss_after = hub_status_kb("VmRSS");
  hwm = hub_status_kb("VmHWM");
  stop_hub();
  /* The floor again with the rows the hub stored (its states, its
   * table's indexes): what plain SQLite takes to hold the same data. */
  rows_floor = bench_floor_rows(hub_db, dir);
  if (rows_floor > 0)
    printf("floor 2                   %.0f records/s: plain SQLite inserting "
           "the hub's own rows (its schema); push, %d clients = %.2f of it\n",
           rows_floor, NCLIENTS, (double)n50 / t50 / rows_floor);

  printf("hub RSS after the pull    %.1f MB; idle %.1f MB (once it gave "
         "its freed heap back)\n",
         (double)rss_busy / 1024, (double)rss_idle / 1024);
  printf("hub RSS, %d long-polls  %.1f MB  (+%.1f kB per long-poll; all open "
         "after %.2f s)\n",
         NPOLLS, (double)rss_polls / 1024,
         (double)(rss_polls - rss_idle) / NPOLLS, t_open);
  printf("hub RSS after closing     %.1f MB; peak (VmHWM) %.1f MB\n",
         (double)rss_after / 1024, (double)hwm / 1024);

  release_run(cs, lat, log);
  curl_global_cleanup();
  return 0;
}
