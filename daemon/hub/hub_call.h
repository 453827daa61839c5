/*
 * hub_call.h - one request on its way through the hub: what the server
 * (hub_server.c, the loop thread and the store writer) and the handlers
 * (hub_routes.c, on the threadpool) share, and nothing else.
 *
 * The server copies what a handler needs into a struct hub_call, runs the
 * handler, and sends call->out. A handler sees the server only through
 * this header: the struct hub_server is opaque to it, and the two writer
 * functions below are all it may ask of it. So hub_server.c uses
 * hub_routes.h and hub_routes.c never uses hub_server.h.
 */
#ifndef SAMBANG_HUB_CALL_H
#define SAMBANG_HUB_CALL_H

#include "compat.h"

#include "http_server.h"
#include "hub_metrics.h"
#include "hub_store.h"
#include "proto.h"

#include <uv.h>

/* A reply under construction. */
struct hub_reply {
  unsigned status;
  char *body;       /* malloc'd, unless body_static */
  bool body_static; /* body lives as long as the program (an asset) */
  size_t len;
  const char *content_type;
  bool gzip;            /* body is gzip'd: Content-Encoding: gzip */
  bool vary;            /* Vary: Accept-Encoding */
  unsigned retry_after; /* seconds; 0: no Retry-After */
  bool www_auth;        /* WWW-Authenticate: Bearer realm="sambang" */
  const char *allow;    /* Allow: ... (405) */
  bool close;           /* Connection: close */
  bool page;            /* a changes page: Sambang-Next and Sambang-More */
  bool page_more;
  uint64_t page_next;
  /* More headers (name, value pairs, NULL-terminated; the office's), owned
   * by the handler's request state, or NULL. */
  const char *const *extra;
};

struct hub_server;
struct hub_ahead;
struct hub_ahead_key;
struct office;
struct office_req;

struct hub_call {
  struct hub_server *hub;
  struct http_req *req;
  enum hub_route route;
  uv_work_t work;
  struct hub_store *hs;    /* the writer's connection */
  uv_mutex_t *lock;        /* held while using hs */
  struct hub_store *rhs;   /* the readers' connection (NULL: use hs) */
  uv_mutex_t *rlock;       /* held while using rhs */
  struct hub_store *ohs;   /* the office's reading one (NULL: use rhs) */
  uv_mutex_t *olock;       /* held while using ohs */
  struct hub_ahead *ahead; /* pages made ahead (hub_ahead.h; NULL: none) */

  /* Inputs, copied on the loop thread (NULL: absent). */
  char *authorization, *replica, *content_type, *content_encoding;
  char *q_since, *q_limit, *q_wait, *q_skip_own, *q_form;
  char *user_agent; /* the device's app version, for the office */
  char *chain;      /* PROTO_CHAIN_HEADER (decoded with the push) */
  char *marks;      /* PROTO_MARKS_HEADER (decoded once authenticated:) */
  struct proto_marks marks_v;
  bool has_marks;
  char *q_parts;    /* per-part cursors: the parts a catch-up page reads */
  char *q_replicas; /* GET /v1/names: whose names */
  const char *body; /* the request's own buffer, stable while suspended */
  size_t body_len;
  bool copied;     /* the header and query values were copied */
  bool gzip_ok;    /* the client accepts gzip */
  uint64_t max_ts; /* newest acceptable timestamp */

  /* The office dashboard (office.h): the hub's office state, and this
   * request's copied inputs (HUB_ROUTE_OFFICE only). */
  struct office *office;
  struct office_req *oreq;

  /* Push: the decoded request, merged by the hub's store writer. */
  struct push_req push;
  struct hub_push_batch batch;
  bool to_store;          /* decoded: hand it to the store writer */
  bool stored;            /* the store writer is done with it */
  struct hub_call *qnext; /* store writer queues */

  /* Outputs. */
  struct hub_reply out;
  struct hub_push_stats stats; /* push */
  bool committed;         /* push, an office write: new seqs were committed */
  uint64_t last_seq;      /* push, changes: the newest seq seen */
  size_t served;          /* changes: states in the page */
  bool wait_for_change;   /* changes: empty page, wait > 0 */
  bool office_ahead;      /* the login page was served: hub_office_warm */
  struct changes_query q; /* changes: the parsed query */
  /* changes: the page to make ahead, once this one is sent (malloc'd;
   * NULL: none) */
  struct hub_ahead_key *ahead_next;

  /* Long-poll state (loop thread). */
  uint64_t deadline_ms; /* uv_now at which to give up waiting */
  uv_timer_t timer;
  bool timer_open;
  bool waiting;
  uint64_t park_ns; /* uv_hrtime when last parked */
  uint64_t held_ns; /* time parked in all */
  bool held;        /* it was parked at least once */
  struct hub_call *wprev, *wnext;
};

/*
 * The writer's connection for a use from c's pool thread (binding a
 * device, the office's writes, a device's cursor or push chain): the
 * store writer lets it in before its next group, rather than making it
 * wait for groups to come. Gives c->hs, locked until the unlock.
 */
struct hub_store *hub_call_writer_lock(struct hub_call *c);
void hub_call_writer_unlock(struct hub_call *c);

#endif
