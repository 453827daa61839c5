/*
 * bench_pg_tool.c - push and pull records/s through one or several hubs
 * already running (tests/bench/bench_pg.sh starts them, on SQLite or on
 * PostgreSQL, and enrols the devices).
 *
 *   bench_pg_tool TOKENS BATCHES URL [URL...]
 *
 * TOKENS is a file of device tokens, one a line; one client per token
 * (bench_pg.sh gives 50), client i talking to URL[i % nurls] only:
 *   push: every client pushes its share of BATCHES batches of 500 visit
 *         states (~400 bytes of fields; built before the clock starts),
 *         one batch at a time, all clients at once (libcurl multi);
 *   pull: every client then pulls the whole feed from 0 (limit=1000)
 *         until drained, all at once; pull records/s counts every change
 *         every client received.
 * Prints "push N records S s R records/s" and "pull ..." lines; fails
 * (exit 1) on any reply but 200 with every record ok, or a pull that
 * does not hold every record pushed.
 */
#include "compat.h"

#include "bench_util.h"

#include "buf.h"
#include "proto.h"
#include "record.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 500
#define MAX_CLIENTS 256

struct client {
  char replica[17];
  const char *url;
  struct curl_slist *hdrs;
  CURL *easy;
  struct buf resp;
  char **bodies;
  size_t nbodies, next;
  uint64_t since; /* pull cursor */
  size_t pulled;
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
  va_list ap;
  fputs("bench_pg_tool: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
  if (buf_add(userdata, p, size * n) != 0)
    return 0;
  return size * n;
}

static void client_setup(struct client *c, unsigned i, const char *token,
                         const char *url)
{
  char h[400];

  c->url = url;
  snprintf(c->replica, sizeof(c->replica), "%016llx",
           (unsigned long long)(0xbe0d000000000000ull + i +
                                ((uint64_t)time(NULL) << 16)));
  snprintf(h, sizeof(h), "Authorization: Bearer %.300s", token);
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
  curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, 300L);
  curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
}

/* The push bodies of nb batches of client c. */
static void make_batches(struct client *c, unsigned ci, size_t nb)
{
  uint64_t ts = (uint64_t)time(NULL) * 1000000u;
  char prefix[64];
  size_t b;

  c->bodies = calloc(nb + 1, sizeof(char *));
  if (c->bodies == NULL)
    fail("out of memory");
  c->nbodies = nb;
  snprintf(prefix, sizeof(prefix), "c%03u-", ci);
  for (b = 0; b < nb; b++)
    c->bodies[b] = bench_push_body(c->replica, prefix, b * BATCH, BATCH, ts);
}

/* Starts c's next request: its next push batch, or its next pull page. */
static void client_send(CURLM *m, struct client *c, bool push)
{
  char url[256];

  buf_reset(&c->resp);
  if (push) {
    const char *body = c->bodies[c->next];
    snprintf(url, sizeof(url), "%s%s/push", c->url, PROTO_VERSION_PATH);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)strlen(body));
  } else {
    snprintf(url, sizeof(url), "%s%s/changes?since=%llu&limit=%d", c->url,
             PROTO_VERSION_PATH, (unsigned long long)c->since, PROTO_MAX_PAGE);
    curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(c->easy, CURLOPT_URL, url);
  if (curl_multi_add_handle(m, c->easy) != CURLM_OK)
    fail("curl_multi_add_handle failed");
}

/* After a finished request of c: true if c has another to send. */
static bool client_done(struct client *c, CURLcode rc, bool push)
{
  long status = 0;
  const char *p, *tail;

  curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK || c->resp.failed || status != 200)
    fail("%s via %s: %s, status %ld: %.300s", push ? "push" : "pull", c->url,
         curl_easy_strerror(rc), status, c->resp.len > 0 ? c->resp.p : "");
  if (push) {
    if (strstr(c->resp.p, "\"ok\":false") != NULL)
      fail("a record was refused: %.300s", c->resp.p);
    free(c->bodies[c->next]);
    c->bodies[c->next] = NULL;
    return ++c->next < c->nbodies;
  }
  for (p = c->resp.p; (p = strstr(p, "{\"record\":")) != NULL; p++)
    c->pulled++;
  tail = strstr(c->resp.p + (c->resp.len > 96 ? c->resp.len - 96 : 0),
                "\"more\":");
  if (tail == NULL || strstr(tail, "\"next\":") == NULL ||
      sscanf(strstr(tail, "\"next\":"), "\"next\":%llu",
             (unsigned long long *)&c->since) != 1)
    fail("pull: no \"more\"/\"next\" in %.300s", c->resp.p);
  return strncmp(tail, "\"more\":true", 11) == 0;
}

/* Every client runs its requests, all at once; returns seconds. */
static double run_all(struct client *cs, size_t n, bool push)
{
  size_t i, active = 0;
  int running = 1;
  double t0;
  CURLM *m = curl_multi_init();

  if (m == NULL)
    fail("curl_multi_init failed");
  t0 = bench_now_s();
  for (i = 0; i < n; i++)
    if (!push || cs[i].nbodies > 0) {
      client_send(m, &cs[i], push);
      active++;
    }
  while (active > 0) {
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
      if (client_done(c, msg->data.result, push))
        client_send(m, c, push);
      else
        active--;
    }
    if (active > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
      fail("curl_multi_poll failed");
  }
  t0 = bench_now_s() - t0;
  curl_multi_cleanup(m);
  return t0;
}

int main(int argc, char **argv)
{
  static struct client cs[MAX_CLIENTS];
  static char tokens[MAX_CLIENTS][300];
  size_t n = 0, i, batches, pushed, pulled = 0;
  double t_push, t_pull;
  FILE *f;

  if (argc < 4) {
    fprintf(stderr, "usage: bench_pg_tool TOKENS BATCHES URL [URL...]\n");
    return 2;
  }
  f = fopen(argv[1], "r");
  if (f == NULL)
    fail("cannot open %s", argv[1]);
  while (n < MAX_CLIENTS && fgets(tokens[n], sizeof(tokens[n]), f) != NULL) {
    tokens[n][strcspn(tokens[n], "\r\n")] = '\0';
    if (tokens[n][0] != '\0')
      n++;
  }
  fclose(f);
  batches = (size_t)strtoul(argv[2], NULL, 10);
  if (n == 0 || batches < n)
    fail("need tokens, and at least one batch per client");
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
    fail("curl_global_init failed");
  for (i = 0; i < n; i++) {
    client_setup(&cs[i], (unsigned)i, tokens[i],
                 argv[3 + i % (size_t)(argc - 3)]);
    make_batches(&cs[i], (unsigned)i, batches / n + (i < batches % n));
  }
  pushed = batches * BATCH;
  t_push = run_all(cs, n, true);
  t_pull = run_all(cs, n, false);
  for (i = 0; i < n; i++) {
    if (cs[i].pulled < pushed)
      fail("client %zu pulled %zu changes, %zu were pushed", i, cs[i].pulled,
           pushed);
    pulled += cs[i].pulled;
  }
  printf("push  %zu clients  %zu records in %.3f s  %.0f records/s\n", n,
         pushed, t_push, (double)pushed / t_push);
  printf("pull  %zu clients  %zu records in %.3f s  %.0f records/s\n", n,
         pulled, t_pull, (double)pulled / t_pull);
  for (i = 0; i < n; i++) {
    free(cs[i].bodies);
    curl_slist_free_all(cs[i].hdrs);
    curl_easy_cleanup(cs[i].easy);
    buf_release(&cs[i].resp);
  }
  curl_global_cleanup();
  return 0;
}
