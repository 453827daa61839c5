/*
 * http_server.c - libmicrohttpd driven by a libuv loop (see http_server.h).
 *
 * MHD keeps ready lists that never show on its epoll fd, so after every
 * MHD_run the timer is re-armed from MHD_get_timeout (0 means "run again
 * now"). The access handler is called at least three times per request:
 * headers (req_cls is NULL: allocate), each body chunk (consume it all:
 * *upload_data_size = 0), and the final call (size 0 again), where the
 * reply is queued, at once or after a suspend/resume round.
 *
 * Suspended requests are kept on a list so http_server_stop can resume
 * them all before MHD_stop_daemon (a suspended connection would leak).
 *
 * A request held in on_headers is suspended inside MHD's first handler
 * call: after the resume MHD makes that first call again (phase
 * REQ_RESUMED), then reads the body. A reply made before the body is
 * queued at once when the request has a body (MHD then discards the body
 * and closes the connection) and in the final call when it has none (the
 * connection stays open).
 *
 * Limits: MHD counts connections per address and in total (max_conns
 * plus the reserve). Each connection has a struct http_conn (MHD's socket
 * context), on a list that a sweep timer walks: a connection whose
 * request head is not in within the head deadline (from its accept or the
 * end of its previous request), or whose body comes slower than the
 * floor, is cut with shutdown(2) (MHD then sees the end of the stream and
 * closes it). Connections over max_conns are reserve connections: a short
 * head deadline, Connection: close on their reply, and the application
 * serves them only what must stay answerable (http_server_req_reserve). When
 * the reserve is full, a newcomer cuts the oldest reserve connection
 * still waiting for its head (MHD's own limit leaves room for that), so
 * slow connections cannot keep health out. The connection tracking, the
 * sweep and the reserve are in http_server_limits.c.
 */
#include "compat.h"

#include "http_server.h"
#include "http_server_int.h"

#include "buf.h"
#include "log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_DEFAULT_CONNS 4000
#define HTTP_DEFAULT_RESERVE 64
#define HTTP_DEFAULT_HEAD_S 20
#define HTTP_SWEEP_MS 250
#define HTTP_DRAIN_FACTOR 4 /* drop at most this many times max_body */

enum req_phase {
  REQ_HEADERS, /* in the first handler call */
  REQ_HELD,    /* held by on_headers: suspended */
  REQ_RESUMED, /* released: MHD makes the first call again */
  REQ_BODY,    /* reading the body */
  REQ_FINAL    /* on_request was called */
};

struct http_req {
  struct http_server *srv;
  struct MHD_Connection *conn;
  struct http_conn *hc;      /* NULL if it could not be made */
  const char *method, *path; /* MHD's, valid for the request's life */
  enum req_phase phase;
  bool has_body;    /* declares a body */
  size_t max_body;  /* cfg.max_body, or lower (http_server_req_limit_body) */
  unsigned framing; /* != 0: the head is refused with this status */
  char framing_msg[160];
  bool hold; /* on_headers called http_server_req_hold */
  struct buf body;
  size_t dropped;
  bool overflow;
  bool final;     /* on_request was called */
  bool suspended; /* on the srv->suspended list */
  bool replied;   /* http_server_reply was called */
  bool failed;    /* the reply could not be made: close */
  struct MHD_Response *pending;
  unsigned status;
  size_t bytes;
  uint64_t start_ns;
  void *data;
  struct http_req *prev, *next; /* the suspended list */
  char *joined; /* http_server_req_header_list's, for joined_name */
  const char *joined_name;
};

/* --- the loop glue ----------------------------------------------------- */

static void http_run(struct http_server *s);

static void on_timer(uv_timer_t *t)
{
  http_run(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
  (void)status;
  (void)events;
  http_run(p->data);
}

/*
 * Runs MHD, then re-arms the timer from its timeout (every time). At its
 * connection limit MHD takes the listen socket out of its epoll set and
 * puts it back only at the start of a run with a free slot; the slots a
 * run frees are counted at its very end. So a run in which a connection
 * closed is followed by another at once, or the connections waiting in
 * the backlog (health among them) would wait for an unrelated event.
 */
static void http_run(struct http_server *s)
{
  MHD_UNSIGNED_LONG_LONG ms = 0;

  if (s->d == NULL)
    return;
  s->closed_in_run = false;
  MHD_run(s->d);
  if (s->closed_in_run)
    uv_timer_start(&s->timer, on_timer, 0, 0);
  else if (MHD_get_timeout(s->d, &ms) == MHD_YES)
    uv_timer_start(&s->timer, on_timer, ms > UINT32_MAX ? UINT32_MAX : ms, 0);
  else
    uv_timer_stop(&s->timer);
}

/* Asks for an MHD_run on the next loop iteration. */
void http_server_kick(struct http_server *s)
{
  if (s->d != NULL)
    uv_timer_start(&s->timer, on_timer, 0, 0);
}

/* --- requests ---------------------------------------------------------- */

static void req_unlink(struct http_req *req)
{
  struct http_server *s = req->srv;
  if (!req->suspended)
    return;
  if (req->prev != NULL)
    req->prev->next = req->next;
  else
    s->suspended = req->next;
  if (req->next != NULL)
    req->next->prev = req->prev;
  req->prev = req->next = NULL;
  req->suspended = false;
}

static void req_suspend(struct http_req *req)
{
  struct http_server *s = req->srv;
  MHD_suspend_connection(req->conn);
  req->suspended = true;
  req->prev = NULL;
  req->next = s->suspended;
  if (s->suspended != NULL)
    s->suspended->prev = req;
  s->suspended = req;
}

static void req_resume(struct http_req *req)
{
  req_unlink(req);
  MHD_resume_connection(req->conn);
  http_server_kick(req->srv);
}

/* Queues the pending reply (in a handler call); MHD_NO closes. */
static enum MHD_Result req_send(struct http_req *req)
{
  enum MHD_Result r;

  if (req->failed)
    return MHD_NO;
  r = MHD_queue_response(req->conn, req->status, req->pending);
  MHD_destroy_response(req->pending);
  req->pending = NULL;
  return r;
}

/* True if the request declares a body (a length over 0, or chunks). */
static bool declares_body(struct MHD_Connection *conn)
{
  const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                  MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
    return true;
  if (cl == NULL)
    return false;
  while (*cl == '0')
    cl++;
  return *cl != '\0';
}

static struct http_req *req_new(struct http_server *s,
                                struct MHD_Connection *conn, const char *url,
                                const char *method)
{
  struct http_req *req = calloc(1, sizeof(*req));
  if (req == NULL)
    return NULL;
  req->srv = s;
  req->conn = conn;
  req->hc = http_server_limits_conn_of(conn);
  req->method = method;
  req->path = url;
  req->phase = REQ_HEADERS;
  req->has_body = declares_body(conn);
  req->max_body = s->cfg.max_body;
  req->framing =
      http_server_framing_check(conn, url, s->cfg.single_headers,
                                req->framing_msg, sizeof(req->framing_msg));
  req->start_ns = uv_hrtime();
  buf_init(&req->body);
  s->active++;
  return req;
}

/* True if the request declares a body larger than max. */
static bool declared_too_large(struct MHD_Connection *conn, size_t max)
{
  const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_CONTENT_LENGTH);
  unsigned long long n;
  char *end;

  if (cl == NULL || *cl < '0' || *cl > '9')
    return false; /* MHD refuses malformed lengths itself */
  n = strtoull(cl, &end, 10);
  return n > max;
}

/*
 * A reply made before the body: sent now if the request has a body (MHD
 * discards it and closes), else in the final call (keep-alive holds).
 */
static enum MHD_Result req_reply_early(struct http_req *req)
{
  if (req->has_body) {
    req->phase = REQ_FINAL;
    return req_send(req);
  }
  req->phase = REQ_BODY;
  return MHD_YES;
}

/* The headers are accepted: read the body (or refuse a declared excess). */
static enum MHD_Result req_start_body(struct http_req *req)
{
  struct http_server *s = req->srv;

  req->phase = REQ_BODY;
  http_server_limits_conn_phase(req->hc, CONN_BODY);
  if (declared_too_large(req->conn, req->max_body)) {
    req->overflow = true;
    req->phase = REQ_FINAL;
    req->final = true;
    s->cfg.on_request(req, s->cfg.ctx);
    if (!req->replied)
      return MHD_NO; /* the app broke the contract: close */
    return req_send(req);
  }
  return MHD_YES;
}

/* The first handler call: the headers are in. */
static enum MHD_Result req_headers(struct http_server *s,
                                   struct MHD_Connection *conn, const char *url,
                                   const char *method, void **req_cls)
{
  struct http_req *req = req_new(s, conn, url, method);

  if (req == NULL)
    return MHD_NO;
  *req_cls = req;
  http_server_limits_conn_phase(req->hc, CONN_APP);
  if (s->cfg.on_headers != NULL)
    s->cfg.on_headers(req, s->cfg.ctx);
  if (req->replied)
    return req_reply_early(req);
  if (req->hold) {
    req->phase = REQ_HELD;
    req_suspend(req);
    return MHD_YES;
  }
  return req_start_body(req);
}

/* A body chunk: keep it up to max_body, drain a little more, then close. */
static enum MHD_Result req_chunk(struct http_req *req, const char *data,
                                 size_t *size)
{
  size_t n = *size;

  *size = 0;
  if (req->hc != NULL)
    req->hc->bytes += n;
  if (!req->overflow && req->body.len + n <= req->max_body) {
    if (buf_add(&req->body, data, n) != 0)
      return MHD_NO;
    return MHD_YES;
  }
  if (!req->overflow) {
    req->overflow = true;
    req->dropped = req->body.len;
    buf_release(&req->body);
  }
  req->dropped += n;
  if (req->dropped / HTTP_DRAIN_FACTOR > req->max_body)
    return MHD_NO; /* do not drain forever */
  return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
  struct http_server *s = cls;
  struct http_req *req = *req_cls;

  (void)version;
  if (req == NULL)
    return req_headers(s, conn, url, method, req_cls);
  switch (req->phase) {
  case REQ_HEADERS:
  case REQ_HELD:
    return MHD_YES; /* cannot happen: suspended */
  case REQ_RESUMED: /* MHD's first call again, after the hold */
    if (req->replied)
      return req_reply_early(req);
    return req_start_body(req);
  case REQ_BODY:
    if (*upload_data_size > 0)
      return req_chunk(req, upload_data, upload_data_size);
    break;
  case REQ_FINAL: /* resumed with a reply */
    if (req->failed)
      return MHD_NO;
    return req->pending != NULL ? req_send(req) : MHD_YES;
  }
  /* The final call: the whole body is in. */
  req->phase = REQ_FINAL;
  http_server_limits_conn_phase(req->hc, CONN_APP);
  if (req->replied) /* refused before the body (there was none) */
    return req->failed ? MHD_NO : req_send(req);
  req->final = true;
  s->cfg.on_request(req, s->cfg.ctx);
  if (req->replied)
    return req_send(req);
  req_suspend(req);
  return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
  struct http_server *s = cls;
  struct http_req *req = *req_cls;

  (void)conn;
  (void)toe;
  if (req == NULL)
    return;
  *req_cls = NULL;
  req_unlink(req);
  http_server_limits_conn_phase(
      req->hc, CONN_HEAD); /* keep-alive: the next head's deadline */
  if (req->hc != NULL)
    req->hc->served = true;
  if (s->cfg.on_done != NULL)
    s->cfg.on_done(req, s->cfg.ctx);
  if (req->pending != NULL)
    MHD_destroy_response(req->pending);
  buf_release(&req->body);
  free(req->joined);
  free(req);
  s->active--;
}

void http_server_req_limit_body(struct http_req *req, size_t max)
{
  if (req->phase == REQ_HEADERS && max < req->max_body)
    req->max_body = max;
}

size_t http_server_req_max_body(const struct http_req *req)
{
  return req->max_body;
}

void http_server_req_hold(struct http_req *req)
{
  if (req->phase == REQ_HEADERS && !req->replied)
    req->hold = true;
}

int http_server_req_continue(struct http_req *req)
{
  if (req->phase != REQ_HELD || req->replied)
    return SB_EINVAL;
  req->phase = REQ_RESUMED;
  req_resume(req);
  return 0;
}

/* True if the reply headers name a Connection header. */
static bool names_connection(const char *const *headers)
{
  size_t i;
  for (i = 0; headers != NULL && headers[i] != NULL; i += 2) {
    if (strcasecmp(headers[i], MHD_HTTP_HEADER_CONNECTION) == 0)
      return true;
  }
  return false;
}

/* Queues response r (NULL: it could not be made) as req's reply of status,
 * with its Content-Type and extra headers. */
static int reply_queue(struct http_req *req, unsigned status,
                       struct MHD_Response *r, const char *content_type,
                       const char *const *headers)
{
  size_t i;
  int rc = 0;

  req->replied = true;
  req->status = status;
  if (r != NULL && content_type != NULL &&
      MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) !=
          MHD_YES)
    rc = SB_ENOMEM;
  for (i = 0; r != NULL && rc == 0 && headers != NULL && headers[i] != NULL;
       i += 2) {
    if (MHD_add_response_header(r, headers[i], headers[i + 1]) != MHD_YES)
      rc = SB_ENOMEM;
  }
  /* A reserve connection is given back at once. */
  if (r != NULL && rc == 0 && req->hc != NULL && req->hc->reserve &&
      !names_connection(headers) &&
      MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") !=
          MHD_YES)
    rc = SB_ENOMEM;
  if (r == NULL)
    rc = SB_ENOMEM;
  if (rc != 0) {
    if (r != NULL)
      MHD_destroy_response(r);
    req->failed = true;
  } else {
    req->pending = r;
  }
  if (req->phase == REQ_HELD)
    req->phase = REQ_RESUMED;
  if (req->suspended)
    req_resume(req);
  return rc;
}

int http_server_reply(struct http_req *req, unsigned status,
                      const char *content_type, char *body, size_t len,
                      const char *const *headers)
{
  struct MHD_Response *r;

  if (req->replied) {
    free(body);
    return SB_EINVAL;
  }
  if (body == NULL || len == 0) {
    free(body);
    len = 0;
    r = MHD_create_response_from_buffer(0, (void *)(uintptr_t) "",
                                        MHD_RESPMEM_PERSISTENT);
  } else {
    r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (r == NULL)
      free(body);
  }
  req->bytes = len;
  return reply_queue(req, status, r, content_type, headers);
}

int http_server_reply_static(struct http_req *req, unsigned status,
                             const char *content_type, const void *body,
                             size_t len, const char *const *headers)
{
  if (req->replied)
    return SB_EINVAL;
  req->bytes = len;
  return reply_queue(req, status,
                     MHD_create_response_from_buffer(
                         len, (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT),
                     content_type, headers);
}

/* --- accessors --------------------------------------------------------- */

void http_server_req_peer(const struct http_req *req, char *buf, size_t size)
{
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr_in *sin;

  buf[0] = '\0';
  if (info == NULL || info->client_addr == NULL ||
      info->client_addr->sa_family != AF_INET)
    return;
  sin = (const struct sockaddr_in *)(const void *)info->client_addr;
  if (inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)size) == NULL)
    buf[0] = '\0';
}

const char *http_server_req_method(const struct http_req *req)
{
  return req->method;
}

const char *http_server_req_path(const struct http_req *req)
{
  return req->path;
}

const char *http_server_req_header(const struct http_req *req, const char *name)
{
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct list_walk {
  const char *name;
  const char *first; /* the first field's value (MHD's) */
  struct buf b;      /* from the second field on: all of them, joined */
  unsigned n;
};

static enum MHD_Result join_field(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
  struct list_walk *w = cls;

  (void)kind;
  if (strcasecmp(key, w->name) != 0 || value == NULL)
    return MHD_YES;
  if (w->n++ == 0) {
    w->first = value; /* the common case: no copy */
    return MHD_YES;
  }
  if (w->n == 2)
    buf_adds(&w->b, w->first);
  buf_add(&w->b, ", ", 2);
  buf_adds(&w->b, value);
  return MHD_YES;
}

const char *http_server_req_header_list(struct http_req *req, const char *name)
{
  struct list_walk w = {.name = name};
  size_t len;

  if (req->joined_name != NULL && strcasecmp(req->joined_name, name) == 0)
    return req->joined;
  free(req->joined);
  req->joined = NULL;
  req->joined_name = NULL;
  buf_init(&w.b);
  MHD_get_connection_values(req->conn, MHD_HEADER_KIND, join_field, &w);
  if (w.n <= 1)
    return w.first;
  req->joined = buf_take(&w.b, &len);
  buf_release(&w.b);
  if (req->joined != NULL)
    req->joined_name = name;
  return req->joined;
}

const char *http_server_req_query(const struct http_req *req, const char *name)
{
  return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_other {
  const char *const *known;
  size_t n;
  const char *other;
};

static enum MHD_Result find_other(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
  struct query_other *w = cls;
  size_t i;

  (void)kind;
  (void)value;
  for (i = 0; i < w->n; i++)
    if (strcmp(w->known[i], key) == 0)
      return MHD_YES;
  w->other = key;
  return MHD_NO;
}

const char *http_server_req_query_other(const struct http_req *req,
                                        const char *const *known, size_t n)
{
  struct query_other w = {known, n, NULL};

  MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, find_other, &w);
  return w.other;
}

const char *http_server_req_cookie(const struct http_req *req, const char *name)
{
  return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

struct cookie_walk {
  const char *name;
  unsigned n;
};

static enum MHD_Result count_cookie(void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value)
{
  struct cookie_walk *w = cls;

  (void)kind;
  (void)value;
  if (strcmp(key, w->name) == 0)
    w->n++;
  return MHD_YES;
}

unsigned http_server_req_cookie_count(const struct http_req *req,
                                      const char *name)
{
  struct cookie_walk w = {name, 0};

  MHD_get_connection_values(req->conn, MHD_COOKIE_KIND, count_cookie, &w);
  return w.n;
}

const char *http_server_req_body(const struct http_req *req, size_t *len)
{
  *len = req->body.len;
  return req->body.p != NULL ? req->body.p : "";
}

bool http_server_req_overflow(const struct http_req *req)
{
  return req->overflow;
}

unsigned http_server_req_framing(const struct http_req *req,
                                 const char **message)
{
  *message = req->framing_msg;
  return req->framing;
}

bool http_server_req_has_body(const struct http_req *req)
{
  return req->has_body;
}

bool http_server_req_reserve(const struct http_req *req)
{
  return req->hc != NULL && req->hc->reserve;
}

uint64_t http_server_req_start_ns(const struct http_req *req)
{
  return req->start_ns;
}

unsigned http_server_req_status(const struct http_req *req)
{
  return req->status;
}

size_t http_server_req_reply_bytes(const struct http_req *req)
{
  return req->bytes;
}

void *http_server_req_data(const struct http_req *req)
{
  return req->data;
}

void http_server_req_set_data(struct http_req *req, void *data)
{
  req->data = data;
}

/* --- the server -------------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
  char line[512];
  size_t n;

  (void)cls;
  vsnprintf(line, sizeof(line), fmt, ap);
  n = strlen(line);
  while (n > 0 && line[n - 1] == '\n')
    line[--n] = '\0';
  log_msg(LOG_LEVEL_WARN, "http: %s", line);
}

int http_server_start(uv_loop_t *loop, const struct http_server_cfg *cfg,
                      struct http_server **out, struct sb_err *err)
{
  struct http_server *s;
  struct sockaddr_in addr;
  const union MHD_DaemonInfo *info;
  struct MHD_OptionItem tls_opts[3];
  int rc;

  *out = NULL;
  memset(tls_opts, 0, sizeof(tls_opts));
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(cfg->port);
  if (inet_pton(AF_INET, cfg->host, &addr.sin_addr) != 1)
    return sb_err_set(err, SB_EINVAL,
                      "cannot listen on \"%s\": not an IPv4 address",
                      cfg->host);
  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  s->loop = loop;
  s->cfg = *cfg;
  if (s->cfg.max_conns == 0)
    s->cfg.max_conns = HTTP_DEFAULT_CONNS;
  if (s->cfg.reserve_conns == 0)
    s->cfg.reserve_conns = HTTP_DEFAULT_RESERVE;
  if (s->cfg.head_timeout_s == 0)
    s->cfg.head_timeout_s = HTTP_DEFAULT_HEAD_S;
  if (cfg->tls_cert != NULL &&
      (rc = http_server_tls_new(cfg->tls_cert, cfg->tls_key, &s->tls, err)) !=
          0) {
    free(s);
    return rc;
  }
  /* TLS: the certificate comes from our callback at each handshake (so a
   * reload swaps it), TLS 1.2 and 1.3 only (HTTP_SERVER_TLS_PRIORITIES). */
  tls_opts[0].option =
      s->tls != NULL ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END;
  tls_opts[0].ptr_value = (void *)(uintptr_t)http_server_tls_retrieve;
  tls_opts[1].option =
      s->tls != NULL ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END;
  tls_opts[1].ptr_value = (void *)(uintptr_t)HTTP_SERVER_TLS_PRIORITIES;
  tls_opts[2].option = MHD_OPTION_END;
  /* One option and its values a line. */
  /* clang-format off */
  s->d = MHD_start_daemon(
      MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
          (s->tls != NULL ? MHD_USE_TLS : 0),
      0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
      MHD_OPTION_ARRAY, tls_opts,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_NOTIFY_CONNECTION, http_server_limits_on_connection, s,
      MHD_OPTION_UNESCAPE_CALLBACK, http_server_framing_unescape, NULL,
      /* Room for our own head limits (http_server_framing.c) to answer
       * first, with the JSON envelope, before MHD's page would. */
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
      MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_conns + 2 * s->cfg.reserve_conns,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->cfg.max_conns_per_addr,
      MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 511u, MHD_OPTION_END);
  /* clang-format on */
  if (s->d == NULL) {
    http_server_tls_free(s->tls);
    free(s);
    return sb_err_set(err, SB_EIO,
                      "cannot listen on %s:%u (address in use, or not "
                      "allowed%s)",
                      cfg->host, (unsigned)cfg->port,
                      cfg->tls_cert != NULL ? ", or TLS refused: see the log"
                                            : "");
  }
  info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info != NULL ? info->port : cfg->port;
  info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
  if (info == NULL) {
    rc = sb_err_set(err, SB_EINTERNAL, "libmicrohttpd has no epoll fd");
    goto fail;
  }
  rc = uv_poll_init(loop, &s->poll, info->epoll_fd);
  if (rc != 0) {
    rc = sb_err_set(err, SB_EIO, "cannot poll the server: %s", uv_strerror(rc));
    goto fail;
  }
  s->poll.data = s;
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  uv_timer_init(loop, &s->sweep);
  s->sweep.data = s;
  s->open_handles = 3;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  uv_timer_start(&s->sweep, http_server_limits_on_sweep, HTTP_SWEEP_MS,
                 HTTP_SWEEP_MS);
  http_server_kick(s);
  *out = s;
  return 0;

fail:
  MHD_stop_daemon(s->d);
  http_server_tls_free(s->tls);
  free(s);
  return rc;
}

uint16_t http_server_port(const struct http_server *s)
{
  return s->port;
}

void http_server_quiesce(struct http_server *s)
{
  MHD_socket fd;

  if (s->d == NULL || s->stopping)
    return;
  s->stopping = true;
  fd = MHD_quiesce_daemon(s->d);
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
  http_server_kick(s);
}

unsigned http_server_active(const struct http_server *s)
{
  return s->active;
}

void http_server_counts(const struct http_server *s,
                        struct http_server_counts *out)
{
  out->open = s->nconns;
  out->cut_head = s->cut_head;
  out->cut_body = s->cut_body;
  out->cut_idle = s->cut_idle;
}

static void on_handle_closed(uv_handle_t *h)
{
  struct http_server *s = h->data;
  if (--s->open_handles == 0) {
    http_server_tls_free(s->tls);
    free(s);
  }
}

void http_server_stop(struct http_server *s)
{
  while (s->suspended != NULL)
    req_resume(s->suspended);
  /* Stop polling the epoll fd before MHD closes it. */
  uv_poll_stop(&s->poll);
  uv_timer_stop(&s->timer);
  uv_timer_stop(&s->sweep);
  MHD_stop_daemon(s->d);
  s->d = NULL;
  while (s->conns != NULL) { /* if MHD did not say they closed */
    struct http_conn *hc = s->conns;
    s->conns = hc->next;
    free(hc);
  }
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  uv_close((uv_handle_t *)&s->timer, on_handle_closed);
  uv_close((uv_handle_t *)&s->sweep, on_handle_closed);
}
