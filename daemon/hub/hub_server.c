/*
 * hub_server.c - the hub serving HTTP on a libuv loop (see hub_server.h).
 *
 * Each request gets a struct hub_call (hub_call.h). Early refusals
 * (unknown path, wrong method, shutting down, body too large, too many
 * requests at work) are answered on the loop; everything that needs the
 * store runs on libuv's threadpool and is answered from its after-work
 * callback. The store has two connections, each used under its own
 * mutex: the writer's, for pushes (and binding a device), and a reader's,
 * for authentication, the change feed and health, which in WAL mode
 * never wait for a writer.
 *
 * Push (group commit): a pool thread authenticates and decodes the batch;
 * the loop hands it to the store writer, a thread of its own, which takes
 * every batch that queued while it was busy and merges them in one
 * transaction (hub_store_push_group): one commit and one sync to disk for
 * all of them, so the cost of a commit is shared, and pool threads never
 * wait for the store lock with a decoded batch. Each request is answered
 * only after the commit that holds its batch; the reply is encoded back
 * on the pool. The writer thread is in hub_writer.c.
 *
 * Long-poll: a change feed request that finds nothing new and may wait is
 * parked (its connection stays suspended) on the waiters list with a
 * timer. Every push that commits new changes wakes all waiters: each runs
 * its query again and answers, or parks again if nothing it wants came.
 * The race between a query and a commit that lands before the request is
 * parked is closed by committed_seq: a waiter whose query saw an older
 * newest seq than the last commit runs again instead of parking.
 */
#include "compat.h"

#include "hub_server.h"
#include "hub_proxy.h"
#include "hub_server_int.h"

#include "gzip.h"
#include "hub_ahead.h"
#include "hub_call.h"
#include "hlc.h"
#include "http_server.h"
#include "hub_metrics.h"
#include "hub_routes.h"
#include "hub_push.h"
#include "log.h"
#include "office.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_POLL_MS 20
/* --- replies ----------------------------------------------------------- */

/* Sends c->out (the body is handed over). */
/* The hub's clock for the time header of a reply. */
static void time_value(char *buf, size_t size)
{
  snprintf(buf, size, "%llu", (unsigned long long)hlc_wall_ms());
}

static void send_reply(struct hub_call *c)
{
  const char *headers[48];
  char retry[16], now[24], next[24];
  size_t n = 0;
  struct hub_reply *r = &c->out;
  char *body;

  if (r->status == 0)
    hub_routes_reply_error(r, PROTO_ERR_INTERNAL, "no reply was made");
  body = r->body;
  /* Every reply, errors included, tells the device the hub's time. */
  time_value(now, sizeof(now));
  headers[n++] = PROTO_TIME_HEADER;
  headers[n++] = now;
  headers[n++] = PROTO_FORMS_HEADER;
  headers[n++] = "compact";
  if (c->hub->generation[0] != '\0') {
    headers[n++] = PROTO_GENERATION_HEADER;
    headers[n++] = c->hub->generation;
  }
  if (r->gzip) {
    headers[n++] = "Content-Encoding";
    headers[n++] = "gzip";
  }
  if (r->vary) {
    headers[n++] = "Vary";
    headers[n++] = "Accept-Encoding";
  }
  if (r->retry_after > 0) {
    snprintf(retry, sizeof(retry), "%u", r->retry_after);
    headers[n++] = "Retry-After";
    headers[n++] = retry;
  }
  if (r->www_auth) {
    headers[n++] = "WWW-Authenticate";
    headers[n++] = "Bearer realm=\"sambang\"";
  }
  if (r->allow != NULL) {
    headers[n++] = "Allow";
    headers[n++] = r->allow;
  }
  if (r->close) {
    headers[n++] = "Connection";
    headers[n++] = "close";
  }
  if (r->page && r->status == 200) {
    snprintf(next, sizeof(next), "%llu", (unsigned long long)r->page_next);
    headers[n++] = PROTO_NEXT_HEADER;
    headers[n++] = next;
    headers[n++] = PROTO_MORE_HEADER;
    headers[n++] = r->page_more ? "1" : "0";
  }
  if (r->extra != NULL) {
    size_t k;
    for (k = 0; r->extra[k] != NULL && r->extra[k + 1] != NULL && n + 2 < 48;
         k += 2) {
      headers[n++] = r->extra[k];
      headers[n++] = r->extra[k + 1];
    }
  }
  headers[n] = NULL;
  r->body = NULL;
  if (r->body_static)
    http_server_reply_static(c->req, r->status, r->content_type, body, r->len,
                             headers);
  else
    http_server_reply(c->req, r->status, r->content_type, body, r->len,
                      headers);
}

static void send_error(struct hub_call *c, enum proto_err code,
                       const char *message)
{
  hub_routes_reply_error(&c->out, code, "%s", message);
  send_reply(c);
}

/* --- work off the loop ------------------------------------------------- */

static void on_work(uv_work_t *w)
{
  struct hub_call *c = w->data;
  switch (c->route) {
  case HUB_ROUTE_PUSH:
    if (c->stored)
      hub_routes_push_reply(c);
    else
      hub_routes_push(c);
    break;
  case HUB_ROUTE_CHANGES:
    hub_routes_changes(c);
    break;
  case HUB_ROUTE_HEALTH:
    hub_routes_health(c);
    break;
  case HUB_ROUTE_NAMES:
    hub_routes_names(c);
    break;
  case HUB_ROUTE_OFFICE:
    office_handle(c);
    break;
  default:
    hub_routes_reply_error(&c->out, PROTO_ERR_INTERNAL,
                           "no handler for this route");
    break;
  }
}

static void on_work_done(uv_work_t *w, int status);

static void submit(struct hub_call *c)
{
  struct hub_server *h = c->hub;
  int rc;

  c->work.data = c;
  rc = uv_queue_work(h->loop, &c->work, on_work, on_work_done);
  if (rc != 0) {
    send_error(c, PROTO_ERR_INTERNAL, "cannot queue the request");
    return;
  }
  h->jobs++;
}

/* --- long-poll --------------------------------------------------------- */

static void waiter_unlink(struct hub_call *c)
{
  struct hub_server *h = c->hub;
  if (!c->waiting)
    return;
  if (c->wprev != NULL)
    c->wprev->wnext = c->wnext;
  else
    h->waiters = c->wnext;
  if (c->wnext != NULL)
    c->wnext->wprev = c->wprev;
  c->wprev = c->wnext = NULL;
  c->waiting = false;
  c->held_ns += uv_hrtime() - c->park_ns;
  h->m.longpolls_open--;
  if (c->timer_open)
    uv_timer_stop(&c->timer);
}

static void on_wait_timeout(uv_timer_t *t)
{
  struct hub_call *c = t->data;
  waiter_unlink(c);
  hub_routes_reply_empty_page(&c->out, c->q.since);
  send_reply(c);
}

/* An empty page came back for a request that may wait: park or rerun. */
static void park(struct hub_call *c)
{
  struct hub_server *h = c->hub;
  uint64_t now = uv_now(h->loop);

  if (c->deadline_ms == 0)
    c->deadline_ms = now + (uint64_t)c->q.wait_s * 1000;
  if (h->stopping || now >= c->deadline_ms) {
    hub_routes_reply_empty_page(&c->out, c->q.since);
    send_reply(c);
    return;
  }
  if (h->committed_seq > c->last_seq) {
    h->m.longpoll_requeries++;
    submit(c); /* a push committed after the query: look again */
    return;
  }
  if (!c->timer_open) {
    uv_timer_init(h->loop, &c->timer);
    c->timer.data = c;
    c->timer_open = true;
  }
  c->waiting = true;
  c->held = true;
  c->park_ns = uv_hrtime();
  c->wprev = NULL;
  c->wnext = h->waiters;
  if (h->waiters != NULL)
    h->waiters->wprev = c;
  h->waiters = c;
  h->m.longpolls_open++;
  uv_timer_start(&c->timer, on_wait_timeout, c->deadline_ms - now, 0);
}

/* A push committed: every waiter looks at the feed again. */
static void wake_waiters(struct hub_server *h)
{
  while (h->waiters != NULL) {
    struct hub_call *c = h->waiters;
    waiter_unlink(c);
    submit(c);
  }
}

/* Another hub sharing the store (or this one) committed changes up to seq
 * (0: some may have been missed): the waiters look again. */
static void on_store_change(void *ctx, uint64_t seq)
{
  struct hub_server *h = ctx;
  if (seq > h->committed_seq)
    h->committed_seq = seq;
  wake_waiters(h);
}

/* --- the store writer (its thread: hub_writer.c) ---------------------- */

/* Around a use of the writer's connection from a pool thread
 * (hub_call_writer_lock): the writer lets it in before its next group. */
static void writer_yield_begin(struct hub_server *h)
{
  uv_mutex_lock(&h->qlock);
  h->yielding++;
  uv_mutex_unlock(&h->qlock);
}

static void writer_yield_end(struct hub_server *h)
{
  uv_mutex_lock(&h->qlock);
  h->yielding--;
  uv_cond_broadcast(&h->qcond);
  uv_mutex_unlock(&h->qlock);
}

struct hub_store *hub_call_writer_lock(struct hub_call *c)
{
  writer_yield_begin(c->hub);
  uv_mutex_lock(c->lock);
  return c->hs;
}

void hub_call_writer_unlock(struct hub_call *c)
{
  uv_mutex_unlock(c->lock);
  writer_yield_end(c->hub);
}

/* The writer finished groups: wake waiters, encode the replies. */
static void on_writer_done(uv_async_t *a)
{
  struct hub_server *h = a->data;
  struct hub_call *c, *next;

  uv_mutex_lock(&h->qlock);
  c = h->done_head;
  h->done_head = h->done_tail = NULL;
  uv_mutex_unlock(&h->qlock);
  for (; c != NULL; c = next) {
    next = c->qnext;
    c->qnext = NULL;
    h->jobs--;
    c->stored = true;
    if (c->batch.rc == 0) {
      c->last_seq = c->batch.reply.last_seq;
      c->committed = c->batch.stats.stored > 0;
      if (c->committed && c->last_seq > h->committed_seq)
        h->committed_seq = c->last_seq;
    }
    submit(c);
  }
  wake_waiters(h);
}

static void on_work_done(uv_work_t *w, int status)
{
  struct hub_call *c = w->data;
  struct hub_server *h = c->hub;

  h->jobs--;
  hub_trim_note_job_done(h);
  if (status != 0) {
    send_error(c, PROTO_ERR_UNAVAILABLE, "the request was cancelled");
    return;
  }
  if (c->route == HUB_ROUTE_PUSH && c->to_store && !c->stored) {
    hub_writer_queue(h, c);
    return;
  }
  if (c->route == HUB_ROUTE_PUSH) {
    h->m.records_stored += c->stats.stored;
    h->m.records_unchanged += c->stats.unchanged;
    h->m.conflicts += c->stats.conflicts;
    h->m.refused_schema += c->stats.refused_schema;
    h->m.refused_too_large += c->stats.refused_too_large;
    h->m.refused_future += c->stats.refused_future;
    h->m.refused_forged_dot += c->stats.refused_forged_dot;
    h->m.refused_forged_entry += c->stats.refused_forged_entry;
    h->m.refused_dot_reused += c->stats.refused_dot_reused;
    h->m.refused_out_of_scope += c->stats.refused_out_of_scope;
    h->m.refused_purged += c->stats.refused_purged;
    h->m.records_joined += c->stats.joined;
    h->m.pushes_copied += c->batch.copied;
  }
  if (c->wait_for_change) {
    c->wait_for_change = false;
    park(c);
    return;
  }
  if (c->route == HUB_ROUTE_CHANGES)
    h->m.records_served += c->served;
  if (c->office_ahead)
    hub_office_warm(h);
  if (c->route == HUB_ROUTE_OFFICE && c->committed) {
    /* A resolution written as the hub's own replica: long-polls see it. */
    if (c->last_seq > h->committed_seq)
      h->committed_seq = c->last_seq;
    wake_waiters(h);
  }
  send_reply(c);
  if (c->route == HUB_ROUTE_CHANGES)
    hub_server_ahead_start(h, c);
}

/* --- requests ---------------------------------------------------------- */

/* The route of path, and whether method fits it (else *allow says). */
static enum hub_route route_of(const char *path, const char *method,
                               bool *method_ok, const char **allow)
{
  static const struct {
    const char *path, *method;
    enum hub_route route;
  } routes[] = {
      {PROTO_VERSION_PATH "/push", "POST", HUB_ROUTE_PUSH},
      {PROTO_VERSION_PATH "/changes", "GET", HUB_ROUTE_CHANGES},
      {PROTO_VERSION_PATH "/health", "GET", HUB_ROUTE_HEALTH},
      {PROTO_VERSION_PATH "/names", "GET", HUB_ROUTE_NAMES},
      {"/metrics", "GET", HUB_ROUTE_METRICS},
  };
  size_t i;

  for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
    if (strcmp(path, routes[i].path) == 0) {
      *method_ok = strcmp(method, routes[i].method) == 0;
      *allow = routes[i].method;
      return routes[i].route;
    }
  }
  if (office_path(path)) {
    *method_ok = strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0;
    *allow = "GET, POST";
    return HUB_ROUTE_OFFICE;
  }
  *method_ok = false;
  *allow = NULL;
  return HUB_ROUTE_OTHER;
}

/* strdup of a header or query value (NULL stays NULL); false on ENOMEM. */
static bool copy_value(char **out, const char *v)
{
  *out = v != NULL ? strdup(v) : NULL;
  return v == NULL || *out != NULL;
}

/* Copies the headers and query values the handlers read (once). */
static bool copy_headers(struct hub_call *c)
{
  struct http_req *req = c->req;

  if (c->copied)
    return true;
  c->copied = true;
  if (c->route == HUB_ROUTE_OFFICE &&
      (c->oreq = office_req_copy(req, c->hub->cfg.tls_cert != NULL,
                                 c->hub->cfg.trusted_proxies)) == NULL)
    return false;
  c->gzip_ok = gzip_accepted(http_server_req_header(req, "Accept-Encoding"));
  return copy_value(&c->authorization,
                    http_server_req_header(req, "Authorization")) &&
         copy_value(&c->replica,
                    http_server_req_header(req, PROTO_REPLICA_HEADER)) &&
         copy_value(&c->content_type,
                    http_server_req_header(req, "Content-Type")) &&
         copy_value(&c->content_encoding,
                    http_server_req_header(req, "Content-Encoding")) &&
         copy_value(&c->q_since, http_server_req_query(req, "since")) &&
         copy_value(&c->q_limit, http_server_req_query(req, "limit")) &&
         copy_value(&c->q_wait, http_server_req_query(req, "wait")) &&
         copy_value(&c->user_agent,
                    http_server_req_header(req, "User-Agent")) &&
         copy_value(&c->marks,
                    http_server_req_header(req, PROTO_MARKS_HEADER)) &&
         copy_value(&c->chain,
                    http_server_req_header(req, PROTO_CHAIN_HEADER)) &&
         /* per-part cursors (hub_scope_parts_within) */
         copy_value(&c->q_parts, http_server_req_query(req, "parts")) &&
         copy_value(&c->q_skip_own, http_server_req_query(req, "skip_own")) &&
         copy_value(&c->q_form, http_server_req_query(req, "form")) &&
         copy_value(&c->q_replicas, http_server_req_query(req, "replicas"));
}

static void on_admit_work(uv_work_t *w)
{
  struct hub_call *c = w->data;
  if (c->route == HUB_ROUTE_OFFICE)
    office_admit(c);
  else
    hub_routes_admit(c);
}

/*
 * The token (and a push's media type) was checked off the loop: refuse,
 * or read the body (also while the hub stops: the request came before).
 * A push must declare its length (or send chunks); the other routes take
 * no body.
 */
static void on_admit_done(uv_work_t *w, int status)
{
  struct hub_call *c = w->data;
  struct hub_server *h = c->hub;
  struct http_req *req = c->req;

  h->jobs--;
  if (status != 0) {
    send_error(c, PROTO_ERR_UNAVAILABLE, "the request was cancelled");
  } else if (c->out.status != 0) {
    send_reply(c); /* 401, 403, 415, a store failure */
  } else if (c->route == HUB_ROUTE_PUSH &&
             http_server_req_header(req, "Content-Length") == NULL &&
             http_server_req_header(req, "Transfer-Encoding") == NULL) {
    send_error(c, PROTO_ERR_LENGTH_REQUIRED,
               "a push must declare its Content-Length (or be chunked)");
  } else if (c->route != HUB_ROUTE_PUSH &&
             !(c->route == HUB_ROUTE_OFFICE &&
               strcmp(http_server_req_method(req), "POST") == 0) &&
             http_server_req_has_body(req)) {
    hub_routes_reply_error(
        &c->out, PROTO_ERR_TOO_LARGE, "%.20s %.100s takes no body",
        http_server_req_method(req), http_server_req_path(req));
    send_reply(c);
  } else if (http_server_req_continue(req) != 0) {
    send_error(c, PROTO_ERR_INTERNAL, "the request cannot go on");
  }
}

/*
 * Headers are in, no body byte read yet. Everything that can be decided
 * from the request line and headers is decided here: shutting down (503),
 * a reserve connection asking for anything but health (503), path (404),
 * method (405), a body where none is taken (413); an authenticated route
 * is held while a pool thread checks its token (401, 403) and media type
 * (415), and only then is its body read. A refusal of a request with a
 * body closes the connection; one without keeps it open.
 */
/* The code of a framing refusal's status (http_server_req_framing). */
static enum proto_err framing_code(unsigned status)
{
  switch (status) {
  case 414:
    return PROTO_ERR_URI_TOO_LONG;
  case 431:
    return PROTO_ERR_HEADERS_TOO_LARGE;
  case 501:
    return PROTO_ERR_NOT_IMPLEMENTED;
  default:
    return PROTO_ERR_MALFORMED;
  }
}

/* /metrics tells device names and activity: only to its readers. */
static bool metrics_allowed(const struct hub_server *h, struct http_req *req)
{
  char peer[64];

  http_server_req_peer(req, peer, sizeof(peer));
  return hub_proxy_metrics_allowed(
      h->cfg.metrics_from, h->cfg.trusted_proxies, peer,
      http_server_req_header_list(req, "X-Forwarded-For"));
}

static void on_headers(struct http_req *req, void *ctx)
{
  struct hub_server *h = ctx;
  struct hub_call *c = calloc(1, sizeof(*c));
  const char *allow, *why;
  bool method_ok;
  unsigned framing;
  int rc;

  if (c == NULL) {
    char now[24];
    const char *headers[] = {PROTO_TIME_HEADER, now, NULL};
    time_value(now, sizeof(now));
    http_server_reply(req, 503, NULL, NULL, 0, headers);
    return;
  }
  c->hub = h;
  c->req = req;
  c->hs = h->hs;
  c->lock = &h->lock;
  c->rhs = h->rhs;
  c->rlock = &h->rlock;
  c->ohs = h->ohs;
  c->olock = &h->olock;
  c->ahead = h->ahead;
  c->office = h->office;
  http_server_req_set_data(req, c);
  c->route = route_of(http_server_req_path(req), http_server_req_method(req),
                      &method_ok, &allow);
  /* The office's bodies are small, and the login form's is read from
   * anyone: never 16 MiB of it held per connection. */
  if (c->route == HUB_ROUTE_OFFICE)
    http_server_req_limit_body(req,
                               office_body_limit(http_server_req_path(req)));
  framing = http_server_req_framing(req, &why);
  if (framing != 0) { /* an ambiguous head: nothing more is read */
    c->out.close = true;
    send_error(c, framing_code(framing), why);
  } else if (h->stopping) {
    c->out.close = true;
    c->out.retry_after = 5;
    send_error(c, PROTO_ERR_UNAVAILABLE, "the hub is shutting down");
  } else if (http_server_req_reserve(req) && c->route != HUB_ROUTE_HEALTH) {
    c->out.close = true;
    c->out.retry_after = 5;
    send_error(c, PROTO_ERR_UNAVAILABLE,
               "the hub has too many connections; retry later");
  } else if (c->route == HUB_ROUTE_OTHER) {
    hub_routes_reply_error(&c->out, PROTO_ERR_NOT_FOUND, "no such path: %.200s",
                           http_server_req_path(req));
    send_reply(c);
  } else if (!method_ok) {
    c->out.allow = allow;
    hub_routes_reply_error(&c->out, PROTO_ERR_METHOD_NOT_ALLOWED,
                           "%.20s %.100s is not allowed (use %s)",
                           http_server_req_method(req),
                           http_server_req_path(req), allow);
    send_reply(c);
  } else if (c->route == HUB_ROUTE_HEALTH || c->route == HUB_ROUTE_METRICS) {
    if (http_server_req_has_body(req)) {
      hub_routes_reply_error(
          &c->out, PROTO_ERR_TOO_LARGE, "%.20s %.100s takes no body",
          http_server_req_method(req), http_server_req_path(req));
      send_reply(c);
    } else if (c->route == HUB_ROUTE_METRICS && !metrics_allowed(h, req)) {
      hub_routes_reply_error(&c->out, PROTO_ERR_FORBIDDEN,
                             "this address may not read /metrics (the hub "
                             "serves it to the addresses of "
                             "--metrics-from, by default loopback only)");
      send_reply(c);
    }
  } else if (h->jobs >= h->cfg.max_inflight) {
    send_error(c, PROTO_ERR_SLOW_DOWN,
               "the hub has too many requests at work; retry after the "
               "given seconds");
  } else if (!copy_headers(c)) {
    send_error(c, PROTO_ERR_UNAVAILABLE, "the hub is out of memory");
  } else {
    http_server_req_hold(req);
    c->work.data = c;
    rc = uv_queue_work(h->loop, &c->work, on_admit_work, on_admit_done);
    if (rc != 0) {
      send_error(c, PROTO_ERR_INTERNAL, "cannot queue the request");
      return;
    }
    h->jobs++;
  }
}

static void on_request(struct http_req *req, void *ctx)
{
  struct hub_server *h = ctx;
  struct hub_call *c = http_server_req_data(req);

  if (http_server_req_overflow(req)) {
    char message[128];
    snprintf(message, sizeof(message), "the request body is over %zu bytes%s",
             http_server_req_max_body(req),
             c->route == HUB_ROUTE_PUSH ? "; send smaller batches" : "");
    send_error(c, PROTO_ERR_TOO_LARGE, message);
    return;
  }
  if (c->route == HUB_ROUTE_METRICS) {
    size_t len = 0;
    char *text, now[24];
    const char *headers[] = {PROTO_TIME_HEADER, now, NULL};
    h->m.at_work = h->jobs;
    text = hub_server_metrics_text(h, &len);
    if (text == NULL) {
      send_error(c, PROTO_ERR_UNAVAILABLE, "the hub is out of memory");
      return;
    }
    time_value(now, sizeof(now));
    http_server_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                      text, len, headers);
    return;
  }
  if (h->jobs >= h->cfg.max_inflight) {
    send_error(c, PROTO_ERR_SLOW_DOWN,
               "the hub has too many requests at work; retry after the "
               "given seconds");
    return;
  }
  if (!copy_headers(c)) {
    send_error(c, PROTO_ERR_UNAVAILABLE, "the hub is out of memory");
    return;
  }
  c->body = http_server_req_body(req, &c->body_len);
  c->max_ts = (hlc_wall_ms() + c->hub->cfg.max_future_ms) * HLC_LOGICAL_SPAN +
              (HLC_LOGICAL_SPAN - 1);
  submit(c);
}

static void free_call(struct hub_call *c)
{
  hub_push_prepared_release(&c->batch);
  push_req_release(&c->push);
  push_reply_release(&c->batch.reply);
  free(c->authorization);
  free(c->replica);
  free(c->content_type);
  free(c->content_encoding);
  free(c->q_since);
  free(c->q_limit);
  free(c->q_wait);
  free(c->user_agent);
  free(c->marks);
  free(c->chain);
  free(c->q_parts);
  free(c->q_skip_own);
  free(c->q_form);
  free(c->q_replicas);
  free(c->ahead_next);
  hub_routes_reply_release(&c->out);
  office_req_free(c->oreq);
  free(c);
}

static void on_timer_closed(uv_handle_t *t)
{
  free_call(t->data);
}

static void on_done(struct http_req *req, void *ctx)
{
  struct hub_server *h = ctx;
  struct hub_call *c = http_server_req_data(req);
  double seconds = (double)(uv_hrtime() - http_server_req_start_ns(req)) / 1e9;
  unsigned status = http_server_req_status(req);

  char peer[64], client[64];
  double held;

  http_server_req_peer(req, peer, sizeof(peer));
  hub_proxy_client(h->cfg.trusted_proxies, peer,
                   http_server_req_header_list(req, "X-Forwarded-For"), client,
                   sizeof(client));
  log_msg(LOG_LEVEL_INFO, "%s %s %u %.1fms %zuB %s %s",
          http_server_req_method(req), http_server_req_path(req), status,
          seconds * 1000, http_server_req_reply_bytes(req),
          client[0] ? client : "-", hub_server_who(c));
  if (c == NULL)
    return;
  waiter_unlink(c);
  /* A long-poll's hold is its own histogram, not latency. */
  held = (double)c->held_ns / 1e9;
  if (c->held)
    hub_metrics_hold(&h->m, held);
  hub_metrics_request(&h->m, c->route, status,
                      seconds > held ? seconds - held : 0);
  if (c->timer_open)
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
  else
    free_call(c);
}

/* --- life cycle -------------------------------------------------------- */

/* Undoes what hub_server_start made before http (after a failure). */
static void server_unmake(struct hub_server *h)
{
  if (h->writer_running)
    hub_writer_stop(h);
  hub_store_close(h->rhs);
  h->rhs = NULL;
  hub_store_close(h->ohs);
  h->ohs = NULL;
  office_free(h->office);
  h->office = NULL;
  hub_ahead_free(h->ahead);
  h->ahead = NULL;
  uv_cond_destroy(&h->qcond);
  uv_mutex_destroy(&h->qlock);
  uv_mutex_destroy(&h->olock);
  uv_mutex_destroy(&h->rlock);
  uv_mutex_destroy(&h->lock);
}

/* The hub's own header fields read as one value (http_server.h): a
 * request with two of one is refused before anything reads either. */
static const char *const single_headers[] = {
    PROTO_REPLICA_HEADER, PROTO_MARKS_HEADER,  PROTO_CHAIN_HEADER,
    OFFICE_CSRF_HEADER,   "X-Forwarded-Proto", NULL};

int hub_server_start(uv_loop_t *loop, struct hub_store *hs,
                     const struct hub_server_cfg *cfg, struct hub_server **out,
                     struct sb_err *err)
{
  struct http_server_cfg hc;
  struct hub_server *h = calloc(1, sizeof(*h));
  int rc;

  *out = NULL;
  if (h == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  h->loop = loop;
  h->hs = hs;
  hub_store_serve_writer(hs);
  h->cfg = *cfg;
  if (h->cfg.max_inflight == 0)
    h->cfg.max_inflight = HUB_DEFAULT_MAX_INFLIGHT;
  if (uv_mutex_init(&h->lock) != 0 || uv_mutex_init(&h->rlock) != 0 ||
      uv_mutex_init(&h->olock) != 0 || uv_mutex_init(&h->qlock) != 0 ||
      uv_cond_init(&h->qcond) != 0) {
    free(h); /* (leaks a mutex if only some were made: never in practice) */
    return sb_err_set(err, SB_EINTERNAL, "cannot make a mutex");
  }
  h->office = office_new(cfg->office_idle_s, cfg->office_absolute_s);
  if (h->office == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, "no memory for the office's state");
    goto fail;
  }
  h->ahead = hub_ahead_new();
  if (h->ahead == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, "no memory for pages made ahead");
    goto fail;
  }
  rc = hub_store_open_reader(hub_store_path(hs), &h->rhs, err);
  if (rc != 0) {
    sb_err_prefix(err, "the hub's reading connection");
    goto fail;
  }
  rc = hub_store_open_reader(hub_store_path(hs), &h->ohs, err);
  if (rc != 0) {
    sb_err_prefix(err, "the office's reading connection");
    goto fail;
  }
  h->m.start_ms = hlc_wall_ms();
  /* Without one (a damaged store that cannot write it) devices keep the
   * generation they know: the safe side, nothing is re-pushed for it. */
  if (hub_restore_generation(hs, h->generation, err) != 0) {
    log_msg(LOG_LEVEL_WARN, "the store's generation: %s", err->msg);
    memset(err, 0, sizeof(*err));
  }
  if (office_seen_load(h->office, hs, err) != 0) {
    log_msg(LOG_LEVEL_WARN, "devices' last activity: %s", err->msg);
    memset(err, 0, sizeof(*err));
  }
  if (uv_thread_create(&h->writer, hub_writer_main, h) != 0) {
    rc = sb_err_set(err, SB_EINTERNAL, "cannot start the store writer");
    goto fail;
  }
  h->writer_running = true;
  memset(&hc, 0, sizeof(hc));
  hc.host = cfg->host;
  hc.port = cfg->port;
  hc.max_body = PROTO_MAX_BODY;
  hc.max_conns = cfg->max_conns;
  hc.reserve_conns = cfg->reserve_conns;
  hc.max_conns_per_addr = cfg->max_conns_per_addr;
  hc.head_timeout_s = cfg->head_timeout_s;
  hc.body_min_rate = cfg->body_min_rate;
  hc.idle_timeout_s = 2 * PROTO_MAX_WAIT_S;
  hc.on_headers = on_headers;
  hc.on_request = on_request;
  hc.on_done = on_done;
  hc.ctx = h;
  hc.tls_cert = cfg->tls_cert;
  hc.tls_key = cfg->tls_key;
  hc.single_headers = single_headers;
  rc = http_server_start(loop, &hc, &h->http, err);
  if (rc != 0)
    goto fail;
  uv_async_init(loop, &h->async, on_writer_done);
  h->async.data = h;
  uv_timer_init(loop, &h->drain);
  h->drain.data = h;
  hub_trim_init(h);
  if (hub_store_watch(hs, loop, on_store_change, h, err) != 0)
    log_msg(LOG_LEVEL_WARN, "long-polls wake only on this hub's pushes: %s",
            err->msg);
  *out = h;
  return 0;

fail:
  server_unmake(h);
  free(h);
  return rc;
}

int hub_server_reload_tls(struct hub_server *h, struct sb_err *err)
{
  if (h->http == NULL || h->stopping)
    return sb_err_set(err, SB_EINVAL, "the hub is stopping");
  return http_server_tls_reload(h->http, err);
}

const char *hub_server_generation(const struct hub_server *h)
{
  return h->generation[0] != '\0' ? h->generation : "none";
}

uint16_t hub_server_port(const struct hub_server *h)
{
  return http_server_port(h->http);
}

static void on_drain_closed(uv_handle_t *t)
{
  struct hub_server *h = t->data;
  if (--h->closing > 0)
    return;
  if (h->done != NULL)
    h->done(h->done_ctx);
}

static void on_watch_closed(void *ctx)
{
  on_drain_closed((uv_handle_t *)&((struct hub_server *)ctx)->drain);
}

static void on_drain(uv_timer_t *t)
{
  struct hub_server *h = t->data;
  unsigned active = http_server_active(h->http);

  if (h->jobs > 0 || h->ahead_jobs > 0 || h->trimming || h->warming)
    return; /* store work always finishes; never cut it off */
  if (active > 0 && uv_now(h->loop) < h->drain_deadline)
    return;
  if (active > 0)
    log_msg(LOG_LEVEL_WARN, "closing %u unfinished requests", active);
  uv_timer_stop(&h->drain);
  http_server_stop(h->http);
  h->http = NULL;
  /* No job left: the store writer is idle, and stops at once. */
  hub_writer_stop(h);
  h->closing = 3;
  h->closing += (unsigned)hub_store_unwatch(h->hs, on_watch_closed, h);
  uv_close((uv_handle_t *)&h->async, on_drain_closed);
  uv_close((uv_handle_t *)&h->drain, on_drain_closed);
  uv_close((uv_handle_t *)&h->trim, on_drain_closed);
}

void hub_server_shutdown(struct hub_server *h, void (*done)(void *ctx),
                         void *ctx)
{
  if (h->stopping)
    return;
  h->stopping = true;
  h->done = done;
  h->done_ctx = ctx;
  http_server_quiesce(h->http);
  while (h->waiters != NULL) {
    struct hub_call *c = h->waiters;
    waiter_unlink(c);
    hub_routes_reply_empty_page(&c->out, c->q.since);
    send_reply(c);
  }
  h->drain_deadline =
      uv_now(h->loop) +
      (uint64_t)(h->cfg.drain_s ? h->cfg.drain_s : HUB_DEFAULT_DRAIN_S) * 1000;
  uv_timer_start(&h->drain, on_drain, 0, DRAIN_POLL_MS);
}

void hub_server_free(struct hub_server *h)
{
  if (h == NULL)
    return;
  server_unmake(h);
  free(h);
}
