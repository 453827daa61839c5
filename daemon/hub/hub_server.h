/*
 * hub_server.h - the hub serving HTTP on a libuv loop.
 *
 * Routes requests (PROTOCOL.md) to the handlers of hub_routes.c, run off
 * the loop; holds long-polls until a push commits or their wait runs out;
 * counts metrics; logs one line per request. One struct hub_server owns
 * the HTTP server, not the store.
 */
#ifndef SAMBANG_HUB_SERVER_H
#define SAMBANG_HUB_SERVER_H

#include "compat.h"

#include "err.h"
#include "hlc.h"
#include "hub_store.h"

#include <uv.h>

/* The devices' own bound on how far ahead a timestamp may be: 5 min. */
#define HUB_DEFAULT_MAX_FUTURE_MS HLC_MAX_AHEAD_MS
#define HUB_DEFAULT_MAX_INFLIGHT 1024
#define HUB_DEFAULT_DRAIN_S 10
#define HUB_DEFAULT_CONNS_PER_ADDR 256
#define HUB_DEFAULT_HEAD_TIMEOUT_S 20
#define HUB_DEFAULT_BODY_MIN_RATE 1024 /* bytes per second */

struct hub_server_cfg {
  const char *host;            /* numeric IPv4 */
  uint16_t port;               /* 0: any free port */
  uint64_t max_future_ms;      /* timestamps further ahead are refused */
  unsigned max_inflight;       /* requests at work at once; more get 429 */
  unsigned max_conns;          /* open connections (0: a default) */
  unsigned reserve_conns;      /* more, for health only (0: a default) */
  unsigned max_conns_per_addr; /* per client address (0: no limit) */
  unsigned head_timeout_s;     /* request head deadline (0: a default) */
  unsigned body_min_rate;      /* body bytes per second floor (0: none) */
  unsigned drain_s;            /* at shutdown, wait this long for requests */
  const char *tls_cert;        /* PEM chain; NULL: plain HTTP */
  const char *tls_key;         /* its PEM key */
  const char *trusted_proxies; /* IPv4s joined by ',' whose X-Forwarded-For
                                  names the client; NULL: none */
  const char *metrics_from;    /* IPv4s joined by ',' that may read /metrics,
                                  or "any"; NULL: loopback only */
  unsigned office_idle_s;      /* an office session's idle limit, seconds */
  unsigned office_absolute_s;  /* ... and its whole life (0: defaults) */
};

struct hub_server;

/* Keeps the freed heap for the next requests while busy (hub_trim.c); to
 * be called before any thread starts. */
void hub_heap_tune(void);

/* Starts serving hs on loop. hs must outlive the server. */
int hub_server_start(uv_loop_t *loop, struct hub_store *hs,
                     const struct hub_server_cfg *cfg, struct hub_server **out,
                     struct sb_err *err);

/* Rereads the TLS certificate and key (SIGHUP): new connections get
 * them, open ones keep theirs; on failure the old ones stay. */
int hub_server_reload_tls(struct hub_server *h, struct sb_err *err);

/* The port it listens on. */
uint16_t hub_server_port(const struct hub_server *h);

/* The store's generation it states on every reply ("none" if it has
 * none: hub_restore.h). */
const char *hub_server_generation(const struct hub_server *h);

/*
 * Stops gracefully: no new connections, held long-polls answered with an
 * empty page, requests in flight finished (new ones on open connections
 * get 503), then every connection closed and done(ctx) called on the loop.
 * After done, no store access is left and hub_server_free may be called.
 */
void hub_server_shutdown(struct hub_server *h, void (*done)(void *ctx),
                         void *ctx);

/* Frees a stopped server (after done; its handles are closed). */
void hub_server_free(struct hub_server *h);

#endif
