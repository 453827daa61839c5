/*
 * hub_routes.h - what the hub does for each endpoint, off the loop.
 *
 * hub_server.c takes a request in on the loop thread, copies what the
 * handler needs into a struct hub_call, and runs the handler on libuv's
 * threadpool (uv_queue_work); the handler fills call->out, and the loop
 * thread sends it. Handlers touch no libmicrohttpd or libuv object; the
 * store is used under call->lock (one connection, one user at a time).
 *
 * Every authenticated handler authenticates first (PROTOCOL.md), so a
 * client without a valid token learns nothing about its body or query.
 */
#ifndef SAMBANG_HUB_ROUTES_H
#define SAMBANG_HUB_ROUTES_H

#include "compat.h"

#include "http_server.h"
#include "hub_metrics.h"
#include "hub_store.h"

#include <uv.h>

/* A reply under construction. */
struct hub_reply {
  unsigned status;
  char *body; /* malloc'd */
  size_t len;
  const char *content_type;
  bool gzip;            /* body is gzip'd: Content-Encoding: gzip */
  bool vary;            /* Vary: Accept-Encoding */
  unsigned retry_after; /* seconds; 0: no Retry-After */
  bool www_auth;        /* WWW-Authenticate: Bearer realm="sambang" */
  const char *allow;    /* Allow: ... (405) */
  bool close;           /* Connection: close */
};

struct hub_server;

struct hub_call {
  struct hub_server *hub;
  struct http_req *req;
  enum hub_route route;
  uv_work_t work;
  struct hub_store *hs;  /* the writer's connection */
  uv_mutex_t *lock;      /* held while using hs */
  struct hub_store *rhs; /* the readers' connection (NULL: use hs) */
  uv_mutex_t *rlock;     /* held while using rhs */

  /* Inputs, copied on the loop thread (NULL: absent). */
  char *authorization, *replica, *content_type, *content_encoding;
  char *q_since, *q_limit, *q_wait;
  const char *body; /* the request's own buffer, stable while suspended */
  size_t body_len;
  bool copied;     /* the header and query values were copied */
  bool gzip_ok;    /* the client accepts gzip */
  uint64_t max_ts; /* newest acceptable timestamp */

  /* Push: the decoded request, merged by the hub's store writer. */
  struct push_req push;
  struct hub_push_batch batch;
  bool to_store;          /* decoded: hand it to the store writer */
  bool stored;            /* the store writer is done with it */
  struct hub_call *qnext; /* store writer queues */

  /* Outputs. */
  struct hub_reply out;
  struct hub_push_stats stats; /* push */
  bool committed;              /* push: new seqs were committed */
  uint64_t last_seq;           /* push, changes: the newest seq seen */
  size_t served;               /* changes: states in the page */
  bool wait_for_change;        /* changes: empty page, wait > 0 */
  struct changes_query q;      /* changes: the parsed query */

  /* Long-poll state (loop thread). */
  uint64_t deadline_ms; /* uv_now at which to give up waiting */
  uv_timer_t timer;
  bool timer_open;
  bool waiting;
  struct hub_call *wprev, *wnext;
};

/*
 * The handlers (threadpool). A push runs in two steps: hub_routes_push
 * authenticates and decodes (setting to_store), then the hub's store
 * writer merges c->batch with the batches of other requests in one
 * transaction (hub_store_push_group), then hub_routes_push_reply makes
 * the reply from its outcome.
 */
void hub_routes_push(struct hub_call *c);

/*
 * The headers phase of an authenticated route (threadpool), before any
 * body byte is read: authenticates (binding a device on first use) and,
 * for a push, checks Content-Type and Content-Encoding. c->out is left
 * empty if the request may go on, else holds the refusal (401, 403, 415).
 * The handlers above authenticate again (cheap: the token is bound).
 */
void hub_routes_admit(struct hub_call *c);
void hub_routes_push_reply(struct hub_call *c);
void hub_routes_changes(struct hub_call *c);
void hub_routes_health(struct hub_call *c);

/*
 * Around a use of the writer's connection from a pool thread (binding a
 * device): the store writer lets it in before its next group, rather
 * than making it wait for groups to come.
 */
void hub_server_writer_yield_begin(struct hub_server *h);
void hub_server_writer_yield_end(struct hub_server *h);

/* Fills r with an error envelope (status, code, message for people). */
void hub_reply_error(struct hub_reply *r, unsigned status, const char *code,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fills r with a 200 JSON body (taken over), gzip'd if gzip_ok and worth it. */
void hub_reply_json(struct hub_reply *r, char *body, bool gzip_ok);

/* The empty change feed page for cursor since (a long-poll that ran out). */
void hub_reply_empty_page(struct hub_reply *r, uint64_t since);

/* Frees the body of r and clears it. */
void hub_reply_release(struct hub_reply *r);

#endif
