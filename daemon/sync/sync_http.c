/*
 * sync_http.c - libcurl multi on a libuv loop, one exchange at a time.
 *
 * The pattern of curl's multi-uv example, minding its pitfalls: an error
 * from uv_poll is passed on as CURL_CSELECT_ERR (else curl never learns
 * the socket died); curl_multi_socket_action is never called from inside
 * curl's own timer callback (re-entrancy: that callback only arms our
 * uv_timer); a transfer's result is read before curl_multi_remove_handle
 * (which discards it); the request body is ours and outlives the transfer
 * (curl does not copy it); a removed socket's uv_poll is closed and freed
 * only in its close callback (libuv still holds it until then).
 */
#include "compat.h"

#include "sync_http.h"

#include "err.h"
#include "gzip.h"
#include "hlc.h"
#include "proto.h"

#include <stdlib.h>
#include <string.h>

/* Replies are at most a page of changes; anything far past it is wrong. */
#ifndef SAMBANG_VERSION
#define SAMBANG_VERSION "unknown"
#endif
/* Every request's User-Agent: the app and its version. */
#define SYNC_HTTP_USER_AGENT "sambang/" SAMBANG_VERSION

#define HTTP_MAX_REPLY ((size_t)PROTO_MAX_BODY + 1024 * 1024)

struct sock_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
  struct sync_http *h;
};

struct sync_http {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;
  unsigned handles; /* our open uv handles: the timer and the polls */
  CURL *easy;       /* the running exchange, or NULL */
  struct curl_slist *headers;
  char *body; /* the request body as sent (gzip'd or not) */
  size_t body_len;
  size_t json_len; /* its size before gzip */
  struct buf reply;
  bool overflow;
  char errbuf[CURL_ERROR_SIZE];
  http_done_fn done;
  void *ctx;
  bool closing;
  void (*closed)(void *ctx);
  void *closed_ctx;
  uint64_t sent_ms; /* when the running exchange started (our clock) */
  /* when an exchange last ended with a connection to the hub (0: never):
   * until POOL_AGE_S after, libcurl may reuse that connection */
  uint64_t conn_ms;
};

/* Connections idle this long are not reused (CURLOPT_MAXAGE_CONN). */
#define POOL_AGE_S 60L

static void handle_closed(uv_handle_t *handle);

/* Called for the last handle: the struct goes. */
static void http_free(struct sync_http *h)
{
  void (*closed)(void *) = h->closed;
  void *ctx = h->closed_ctx;

  buf_release(&h->reply);
  free(h);
  if (closed != NULL)
    closed(ctx);
}

static void handle_closed(uv_handle_t *handle)
{
  struct sync_http *h;

  if (handle->type == UV_POLL) {
    struct sock_ctx *sc = handle->data;
    h = sc->h;
    free(sc);
  } else {
    h = handle->data;
  }
  if (--h->handles == 0 && h->closing)
    http_free(h);
}

/* Frees what the running exchange holds (not the reply buffer). */
static void exchange_release(struct sync_http *h)
{
  if (h->easy != NULL) {
    curl_multi_remove_handle(h->multi, h->easy);
    curl_easy_cleanup(h->easy);
    h->easy = NULL;
  }
  curl_slist_free_all(h->headers);
  h->headers = NULL;
  free(h->body);
  h->body = NULL;
  h->body_len = 0;
  h->json_len = 0;
}

/* The reply's header name as decimal digits up to 2^53 into *out; false
 * if absent or anything else. */
static bool header_u64(CURL *easy, const char *name, uint64_t *out)
{
  struct curl_header *hd = NULL;
  const char *v;
  uint64_t n = 0;

  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
    return false;
  for (v = hd->value; *v >= '0' && *v <= '9'; v++) {
    if (n > (uint64_t)1 << 53)
      return false;
    n = n * 10 + (uint64_t)(*v - '0');
  }
  *out = n;
  return *v == '\0' && v != hd->value && n <= (uint64_t)1 << 53;
}

/* The hub's clock from the reply's time header; 0 if absent or bad. */
static uint64_t hub_time(CURL *easy)
{
  uint64_t n;

  if (!header_u64(easy, PROTO_TIME_HEADER, &n))
    return 0;
  return n <= (uint64_t)1 << 50 ? n : 0; /* past the year 37000: no clock */
}

/* True if the reply's forms header names the compact form. */
static bool hub_compact(CURL *easy)
{
  struct curl_header *hd = NULL;

  return curl_easy_header(easy, PROTO_FORMS_HEADER, 0, CURLH_HEADER, -1, &hd) ==
             CURLHE_OK &&
         strcmp(hd->value, "compact") == 0;
}

/* The hub store's generation from the reply's header into out (17
 * bytes): exactly 16 lowercase hex digits, else "". */
static void hub_generation(CURL *easy, char *out)
{
  struct curl_header *hd = NULL;
  size_t n = 0;

  out[0] = '\0';
  if (curl_easy_header(easy, PROTO_GENERATION_HEADER, 0, CURLH_HEADER, -1,
                       &hd) != CURLHE_OK)
    return;
  while ((hd->value[n] >= '0' && hd->value[n] <= '9') ||
         (hd->value[n] >= 'a' && hd->value[n] <= 'f'))
    n++;
  if (n == 16 && hd->value[n] == '\0')
    memcpy(out, hd->value, 17);
}

/* A changes page's next and more from its headers (sync_pull.c asks the
 * next page with them before decoding this one). */
static void page_hint(CURL *easy, struct http_reply *r)
{
  uint64_t more;

  r->page_hint = header_u64(easy, PROTO_NEXT_HEADER, &r->page_next) &&
                 header_u64(easy, PROTO_MORE_HEADER, &more) && more <= 1;
  r->page_more = r->page_hint && more == 1;
}

/* True for a failure to trust the hub: its certificate chain, host name,
 * validity dates or pinned key (curl then sent no request byte). */
static bool untrusted(CURLcode c)
{
  return c == CURLE_PEER_FAILED_VERIFICATION ||
         c == CURLE_SSL_PINNEDPUBKEYNOTMATCH || c == CURLE_SSL_CACERT_BADFILE ||
         c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_INVALIDCERTSTATUS;
}

/*
 * True unless the finished exchange's request cannot have reached the hub
 * whole. libcurl's count of the body bytes it sent says so only when the
 * exchange could not use a kept connection: on a kept connection that
 * turns out dead, libcurl sends the request again on a new one, and
 * counts only that attempt (the hub may have taken the first, then died).
 * Also notes when this channel last had a connection (and that it has
 * none after a failure that sent nothing).
 */
static bool body_sent(struct sync_http *h, CURLcode c, long status)
{
  curl_off_t up = 0;
  long connects = 0;
  bool kept = h->conn_ms != 0 &&
              h->sent_ms < h->conn_ms + (uint64_t)(POOL_AGE_S + 1) * 1000;
  bool whole =
      c == CURLE_OK ||
      (curl_easy_getinfo(h->easy, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK &&
       up >= (curl_off_t)h->body_len);

  (void)curl_easy_getinfo(h->easy, CURLINFO_NUM_CONNECTS, &connects);
  if (status != 0 || connects > 0 || up > 0)
    h->conn_ms = hlc_wall_ms();
  else if (c != CURLE_OK)
    h->conn_ms = 0; /* no connection now: a kept one was found dead */
  return whole || kept;
}

/* Hands every finished transfer to its done callback. */
static void check_done(struct sync_http *h)
{
  CURLMsg *msg;
  int left;

  while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
    struct http_reply r = {.retry_after_s = -1};
    curl_off_t n = 0;
    http_done_fn done = h->done;

    if (msg->msg != CURLMSG_DONE || msg->easy_handle != h->easy)
      continue;
    r.curl = msg->data.result;
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &r.status);
    if (curl_easy_getinfo(h->easy, CURLINFO_RETRY_AFTER, &n) == CURLE_OK &&
        n > 0)
      r.retry_after_s = (int64_t)n;
    if (curl_easy_getinfo(h->easy, CURLINFO_SIZE_DOWNLOAD_T, &n) == CURLE_OK &&
        n > 0)
      r.bytes_down = (uint64_t)n;
    r.bytes_up = h->body_len;
    r.body_sent = body_sent(h, r.curl, r.status);
    r.json_up = h->json_len;
    r.sent_ms = h->sent_ms;
    r.recv_ms = hlc_wall_ms();
    if (r.curl == CURLE_OK) {
      r.hub_ms = hub_time(h->easy);
      r.compact_ok = hub_compact(h->easy);
      page_hint(h->easy, &r);
      hub_generation(h->easy, r.generation);
    }
    if (r.curl != CURLE_OK) {
      r.status = 0;
      r.untrusted = untrusted(r.curl);
      r.too_large = h->overflow;
      r.error = h->overflow            ? "the reply is too large"
                : h->errbuf[0] != '\0' ? h->errbuf
                                       : curl_easy_strerror(r.curl);
    }
    r.body = h->reply.p != NULL ? h->reply.p : "";
    r.len = h->reply.len;
    exchange_release(h);
    h->done = NULL;
    if (done != NULL)
      done(&r, h->ctx);
  }
}

static void poll_cb(uv_poll_t *poll, int status, int events)
{
  struct sock_ctx *sc = poll->data;
  struct sync_http *h = sc->h;
  int flags = 0, running;

  if (status < 0)
    flags = CURL_CSELECT_ERR;
  else {
    if (events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  curl_multi_socket_action(h->multi, sc->fd, flags, &running);
  check_done(h);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
  struct sync_http *h = userp;
  struct sock_ctx *sc = socketp;
  int events = 0;

  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (sc != NULL) {
      uv_poll_stop(&sc->poll);
      uv_close((uv_handle_t *)&sc->poll, handle_closed);
      curl_multi_assign(h->multi, fd, NULL);
    }
    return 0;
  }
  if (sc == NULL) {
    sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
      return -1;
    if (uv_poll_init_socket(h->loop, &sc->poll, fd) != 0) {
      free(sc);
      return -1;
    }
    sc->fd = fd;
    sc->h = h;
    sc->poll.data = sc;
    h->handles++;
    curl_multi_assign(h->multi, fd, sc);
  }
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  uv_poll_start(&sc->poll, events, poll_cb);
  return 0;
}

static void timer_fired(uv_timer_t *timer)
{
  struct sync_http *h = timer->data;
  int running;

  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(h);
}

/* curl's timer callback: only arms ours (0 ms included). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
  struct sync_http *h = userp;

  (void)multi;
  if (timeout_ms < 0)
    uv_timer_stop(&h->timer);
  else
    uv_timer_start(&h->timer, timer_fired, (uint64_t)timeout_ms, 0);
  return 0;
}

struct sync_http *sync_http_new(uv_loop_t *loop)
{
  struct sync_http *h = calloc(1, sizeof(*h));

  if (h == NULL)
    return NULL;
  h->loop = loop;
  buf_init(&h->reply);
  h->multi = curl_multi_init();
  if (h->multi == NULL) {
    free(h);
    return NULL;
  }
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 2L);
  uv_timer_init(loop, &h->timer);
  h->timer.data = h;
  h->handles = 1;
  return h;
}

static size_t write_cb(char *data, size_t size, size_t n, void *userp)
{
  struct sync_http *h = userp;
  size_t len = size * n;

  if (h->reply.len + len > HTTP_MAX_REPLY) {
    h->overflow = true;
    return 0;
  }
  return buf_add(&h->reply, data, len) == 0 ? len : 0;
}

char *sync_http_take_reply(struct sync_http *h, size_t *len)
{
  return buf_take(&h->reply, len);
}

/* The request body as it goes on the wire, kept in h->body. */
static int set_body(struct sync_http *h, const struct http_request *rq)
{
  h->json_len = rq->len;
  if (rq->gzip) {
    struct sb_err err;
    return gzip_deflate(rq->body, rq->len, &h->body, &h->body_len, &err);
  }
  h->body = malloc(rq->len + 1);
  if (h->body == NULL)
    return SB_ENOMEM;
  memcpy(h->body, rq->body, rq->len);
  h->body_len = rq->len;
  return 0;
}

/* Adds one header line; false on ENOMEM. */
static bool add_header(struct sync_http *h, const char *name, const char *value)
{
  char line[1024];
  struct curl_slist *l;

  snprintf(line, sizeof(line), "%s: %s", name, value);
  l = curl_slist_append(h->headers, line);
  if (l == NULL)
    return false;
  h->headers = l;
  return true;
}

static int setup_headers(struct sync_http *h, const struct http_request *rq)
{
  char auth[600];

  snprintf(auth, sizeof(auth), "Bearer %s", rq->token != NULL ? rq->token : "");
  if (!add_header(h, "Authorization", auth) ||
      !add_header(h, PROTO_REPLICA_HEADER, rq->replica) ||
      !add_header(h, "Expect", ""))
    return SB_ENOMEM;
  if (rq->marks != NULL && !add_header(h, PROTO_MARKS_HEADER, rq->marks))
    return SB_ENOMEM;
  if (rq->chain != NULL && !add_header(h, PROTO_CHAIN_HEADER, rq->chain))
    return SB_ENOMEM;
  if (h->body != NULL) {
    if (!add_header(h, "Content-Type",
                    rq->content_type != NULL ? rq->content_type
                                             : "application/json"))
      return SB_ENOMEM;
    if (rq->gzip && !add_header(h, "Content-Encoding", "gzip"))
      return SB_ENOMEM;
  }
  return 0;
}

int sync_http_start(struct sync_http *h, const struct http_request *rq,
                    http_done_fn done, void *ctx)
{
  bool post = strcmp(rq->method, "POST") == 0;
  CURL *e;
  int rc, running;

  if (h->easy != NULL || h->closing)
    return SB_EBUSY;
  buf_release(&h->reply); /* also clears a failed state */
  h->overflow = false;
  h->errbuf[0] = '\0';
  if (post && (rc = set_body(h, rq)) != 0)
    return rc;
  rc = setup_headers(h, rq);
  e = rc == 0 ? curl_easy_init() : NULL;
  if (e == NULL) {
    exchange_release(h);
    return SB_ENOMEM;
  }
  h->easy = e;
  curl_easy_setopt(e, CURLOPT_URL, rq->url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
  /* the hub shows it as the device's app version (OFFICE.md) */
  curl_easy_setopt(e, CURLOPT_USERAGENT, SYNC_HTTP_USER_AGENT);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, rq->connect_timeout_s);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, rq->timeout_s);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, POOL_AGE_S);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  /* TLS: the chain and host name are always verified; TLS 1.2 at least. */
  curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  if (rq->ca_file != NULL) {
    curl_easy_setopt(e, CURLOPT_CAINFO, rq->ca_file);
  } else if (rq->ca_pem != NULL) {
    struct curl_blob blob = {(void *)(uintptr_t)rq->ca_pem, strlen(rq->ca_pem),
                             CURL_BLOB_COPY};
    curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (rq->pin != NULL)
    curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, rq->pin);
  if (rq->gzip)
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
  if (post) {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->body_len);
  }
  h->done = done;
  h->ctx = ctx;
  h->sent_ms = hlc_wall_ms();
  if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
    h->done = NULL;
    exchange_release(h);
    return SB_EIO;
  }
  /* The request goes out now (on a kept connection: sent), not on the
   * loop's next turn: the caller may work a while before it returns to the
   * loop (a page merged while the hub serves the next one). A transfer
   * that ended at once is handed to done from the loop (the timer). */
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  uv_timer_start(&h->timer, timer_fired, 0, 0);
  return 0;
}

bool sync_http_busy(const struct sync_http *h)
{
  return h->easy != NULL;
}

bool sync_http_sent(const struct sync_http *h)
{
  curl_off_t up = 0;

  if (h->easy == NULL ||
      curl_easy_getinfo(h->easy, CURLINFO_SIZE_UPLOAD_T, &up) != CURLE_OK)
    return true;
  return up >= (curl_off_t)h->body_len;
}

void sync_http_abort(struct sync_http *h)
{
  h->done = NULL;
  exchange_release(h);
}

void sync_http_close(struct sync_http *h, void (*closed)(void *ctx), void *ctx)
{
  sync_http_abort(h);
  h->closing = true;
  h->closed = closed;
  h->closed_ctx = ctx;
  /* Closes cached connections: curl removes their sockets (our polls). */
  curl_multi_cleanup(h->multi);
  h->multi = NULL;
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->timer, handle_closed);
}
