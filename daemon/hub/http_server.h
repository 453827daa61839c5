/*
 * http_server.h - an HTTP/1.1 server on a libuv loop (libmicrohttpd).
 *
 * The reusable scaffold of the hub (and anything else that serves HTTP
 * from our loop). libmicrohttpd runs in epoll mode with no threads of its
 * own: its epoll fd is polled with uv_poll and its timeout drives a
 * uv_timer, re-armed after every MHD_run. Everything here runs on the loop
 * thread.
 *
 * A request's life:
 *   on_headers(req)  optional, once the headers are in: may reply at once
 *                    (an early error: 404, 405, 413...), which ends the
 *                    request without reading the body (a request that
 *                    declares a body then has its connection closed; one
 *                    without keeps it), or hold the request
 *                    (http_server_req_hold: no body byte is read) while it
 * works off the loop, then reply (a refusal, as above) or
 *                    http_server_req_continue;
 *   the body is read and kept up to max_body bytes (more is drained and
 *   dropped, and http_server_req_overflow() turns true);
 *   on_request(req)  once, with the whole body: reply at once with
 *                    http_server_reply, or later (e.g. after work off the
 * loop): the connection is then suspended until http_server_reply, which
 * resumes it. A declared Content-Length over max_body calls on_request in the
 * headers phase with http_server_req_overflow() true: reply at once then;
 *   on_done(req)     once, when the reply was sent or the connection is
 *                    gone; req is freed after it returns.
 * Replies are queued only in the final handler call, so keep-alive holds.
 *
 * Limits: at most max_conns connections, plus reserve_conns reserve
 * connections (http_server_req_reserve: their head deadline is 2 s and they are
 * closed after one reply: serve them only what must stay answerable, e.g.
 * health, and refuse the rest with 503); at most max_conns_per_addr per
 * client address (more are closed at accept). A request head must be in
 * within head_timeout_s of the accept or of the previous reply (an idle
 * keep-alive connection is closed then too); a body must come at
 * body_min_rate bytes per second on average once head_timeout_s passed.
 */
#ifndef SAMBANG_HTTP_SERVER_H
#define SAMBANG_HTTP_SERVER_H

#include "compat.h"

#include "err.h"

#include <uv.h>

struct http_server;
struct http_req;

typedef void (*http_req_fn)(struct http_req *req, void *ctx);

struct http_server_cfg {
  const char *host;       /* numeric IPv4 address to bind, e.g. 127.0.0.1 */
  uint16_t port;          /* 0: any free port (see http_server_port) */
  size_t max_body;        /* bytes kept of a request body */
  unsigned max_conns;     /* 0: a default (4000) */
  unsigned reserve_conns; /* over max_conns (0: a default, 64) */
  unsigned max_conns_per_addr; /* 0: no limit */
  unsigned head_timeout_s;     /* 0: a default (20 s) */
  unsigned body_min_rate;      /* bytes per second; 0: no floor */
  unsigned idle_timeout_s;     /* idle connections are closed after this */
  http_req_fn on_headers;      /* may be NULL */
  http_req_fn on_request;
  http_req_fn on_done; /* may be NULL */
  void *ctx;
  const char *tls_cert; /* PEM chain, leaf first; NULL: plain HTTP */
  const char *tls_key;  /* PEM key of the leaf (with tls_cert) */
  /* Header fields the application reads as one value, NULL-terminated
   * (NULL: none): a request giving one twice is refused (400), as one with
   * two Host or Authorization fields is. */
  const char *const *single_headers;
};

/*
 * Binds, listens and starts serving on loop. On failure (address in use,
 * bad address...) returns an SB_E code with a message and *out is NULL.
 */
int http_server_start(uv_loop_t *loop, const struct http_server_cfg *cfg,
                      struct http_server **out, struct sb_err *err);

/*
 * Rereads the certificate and key files (TLS servers): new handshakes use
 * them, open connections keep theirs. On failure (unreadable, mismatched)
 * the old ones stay and err says why.
 */
int http_server_tls_reload(struct http_server *s, struct sb_err *err);

/* The port the server listens on (the one picked, for port 0). */
uint16_t http_server_port(const struct http_server *s);

/* Stops accepting new connections; the open ones are served on. */
void http_server_quiesce(struct http_server *s);

/* Requests started and not yet done. */
unsigned http_server_active(const struct http_server *s);

struct http_server_counts {
  unsigned open;     /* connections open now */
  uint64_t cut_head; /* closed for a head past its deadline */
  uint64_t cut_body; /* closed for a body under the rate floor */
  uint64_t cut_idle; /* keep-alive connections closed after a request, idle */
};

/* The connection counters of s. */
void http_server_counts(const struct http_server *s,
                        struct http_server_counts *out);

/*
 * Resumes every suspended connection, closes every connection (on_done is
 * called for their requests: nothing may still refer to them after this),
 * and frees s once its loop handles are closed. Call it once.
 */
void http_server_stop(struct http_server *s);

/* The socket peer's numeric address into buf ("" if unknown). */
void http_server_req_peer(const struct http_req *req, char *buf, size_t size);

/* The request's method ("GET") and path (without the query). */
const char *http_server_req_method(const struct http_req *req);
const char *http_server_req_path(const struct http_req *req);

/* A request header (case-insensitive name) or query parameter, or NULL. */
const char *http_server_req_header(const struct http_req *req,
                                   const char *name);
const char *http_server_req_query(const struct http_req *req, const char *name);
/* The name of the request's first query parameter that is none of
 * known[0..n), or NULL. */
const char *http_server_req_query_other(const struct http_req *req,
                                        const char *const *known, size_t n);
/*
 * A list-valued header (X-Forwarded-For) as one value: every field of that
 * name joined in order with ", " (RFC 9110 5.3), as if one had been sent;
 * a proxy that appends its own field (HAProxy) puts the client it saw in
 * the last. Kept with the request (the last name asked); NULL if there is
 * none, or if memory ran out joining several (the caller then knows no
 * forwarded address: the peer's is used, never a part of the list).
 */
const char *http_server_req_header_list(struct http_req *req, const char *name);
/* The value of the request's cookie called name (libmicrohttpd parses the
 * Cookie header), or NULL. */
const char *http_server_req_cookie(const struct http_req *req,
                                   const char *name);
/* How many cookies called name the request carries (a second one of the
 * same name: set by another site of the domain, or for another path). */
unsigned http_server_req_cookie_count(const struct http_req *req,
                                      const char *name);

/* The body (NUL-terminated, *len bytes; "" if none). */
const char *http_server_req_body(const struct http_req *req, size_t *len);

/* True if the body was larger than its limit (its content was dropped). */
bool http_server_req_overflow(const struct http_req *req);

/* In on_headers only: the request's body may hold at most max bytes, if
 * that is below cfg.max_body (a route that takes small bodies, read
 * before the sender is known: a login form). A declared length over it is
 * refused before any byte is read, as one over max_body is. */
void http_server_req_limit_body(struct http_req *req, size_t max);
/* The request's body limit (max_body, or the lower one set). */
size_t http_server_req_max_body(const struct http_req *req);

/*
 * 0 if the request's head is well framed; else the status to refuse it
 * with before anything else (400, 414, 431, 501: http_server_framing.c)
 * and *message says why. on_headers must refuse such a request at once.
 */
unsigned http_server_req_framing(const struct http_req *req,
                                 const char **message);

/* True if the request declares a body (Content-Length over 0, or chunks). */
bool http_server_req_has_body(const struct http_req *req);

/* True if the request came on a reserve connection (over max_conns). */
bool http_server_req_reserve(const struct http_req *req);

/*
 * In on_headers only: holds the request (its connection suspended, no
 * body byte read) until http_server_reply (a refusal) or
 * http_server_req_continue.
 */
void http_server_req_hold(struct http_req *req);

/*
 * Reads the body of a held request, then calls on_request as usual.
 * SB_EINVAL if req is not held (or was answered).
 */
int http_server_req_continue(struct http_req *req);

/* The time the request arrived (uv_hrtime, nanoseconds). */
uint64_t http_server_req_start_ns(const struct http_req *req);

/* The status and body bytes of the reply (valid in on_done; 0 if none). */
unsigned http_server_req_status(const struct http_req *req);
size_t http_server_req_reply_bytes(const struct http_req *req);

/* The application's per-request pointer (NULL until set). */
void *http_server_req_data(const struct http_req *req);
void http_server_req_set_data(struct http_req *req, void *data);

/*
 * Replies to req: status, Content-Type, body (malloc'd, taken over even on
 * failure; NULL with len 0 for none) and extra headers as a NULL-terminated
 * list of name, value pairs (may be NULL). Exactly once per request, on
 * the loop thread. SB_ENOMEM if the reply cannot be made (the connection
 * is then closed).
 */
int http_server_reply(struct http_req *req, unsigned status,
                      const char *content_type, char *body, size_t len,
                      const char *const *headers);
/* As http_server_reply with a body that lives as long as the program (an
 * asset built into it): sent from where it is, never copied, so a slow
 * reader holds no memory of its own. */
int http_server_reply_static(struct http_req *req, unsigned status,
                             const char *content_type, const void *body,
                             size_t len, const char *const *headers);

#endif
