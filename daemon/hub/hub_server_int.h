/*
 * hub_server_int.h - private declarations of the hub server, shared by
 * hub_server.c (requests, long-polls, life cycle) and hub_writer.c (the
 * store writer thread and its group commit). Not for use outside them.
 */
#ifndef SAMBANG_HUB_SERVER_INT_H
#define SAMBANG_HUB_SERVER_INT_H

#include "compat.h"

#include "hub_call.h"
#include "hub_metrics.h"
#include "hub_restore.h"
#include "hub_server.h"
#include "hub_store.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct http_server;

struct hub_server {
  uv_loop_t *loop;
  struct hub_store *hs;
  uv_mutex_t lock;
  struct hub_store *rhs; /* the readers' connection */
  uv_mutex_t rlock;
  /* The office's reading connection: a view that reads every record
   * (the first look after a start) does not hold the devices' pulls. */
  struct hub_store *ohs;
  uv_mutex_t olock;

  /* The store writer: calls queued for it and calls it is done with. */
  uv_thread_t writer;
  bool writer_running;
  uv_mutex_t qlock;
  uv_cond_t qcond;
  struct hub_call *qhead, *qtail, *done_head, *done_tail;
  bool qstop;
  unsigned yielding; /* pool threads waiting to use the writer's connection */
  uv_async_t async;
  unsigned closing; /* handles still closing at shutdown */

  struct http_server *http;
  struct hub_server_cfg cfg;
  struct hub_metrics m;
  struct office *office; /* the dashboard's shared state (office.h) */
  struct hub_call *waiters;
  unsigned jobs;           /* handlers queued or running */
  struct hub_ahead *ahead; /* pages made ahead (hub_ahead.h) */
  unsigned ahead_jobs;     /* their jobs, queued or running */
  uint64_t committed_seq;
  /* The store's generation (hub_restore.h), "" if it could not be had
   * (a damaged store serving read-only): stated on every reply. */
  char generation[HUB_GENERATION_LEN + 1];
  bool stopping;
  uv_timer_t drain;
  uint64_t drain_deadline;
  uv_timer_t trim;     /* hub_trim.c: idle for a second */
  uv_work_t trim_work; /* malloc_trim on the pool */
  bool trimming;       /* trim_work queued or running */
  uv_work_t warm_work; /* hub_office_warm.c: the office's facts, once */
  bool warmed, warming;
  void (*done)(void *ctx);
  void *done_ctx;
};

/* hub_server_ops.c */
/* Who made c, for the log line: the device its token named, the office
 * user of its session, or "-". */
const char *hub_server_who(const struct hub_call *c);
/* The /metrics text (malloc'd, *len bytes) with the devices the office
 * has seen; NULL on ENOMEM. */
char *hub_server_metrics_text(struct hub_server *h, size_t *len);

/* hub_server_ahead.c: after c, a changes page, was sent, makes the page
 * c->ahead_next names on the pool (hub_ahead.h), if a slot is free. */
void hub_server_ahead_start(struct hub_server *h, const struct hub_call *c);

/* hub_trim.c: freed heap back to the system once the hub is idle. */
void hub_trim_init(struct hub_server *h);
/* Called on the loop whenever a job ends: re-arms the idle timer. */
void hub_trim_note_job_done(struct hub_server *h);

/* hub_office_warm.c: reads the office's facts on the pool, once per
 * process (on the loop, when the login page was served). */
void hub_office_warm(struct hub_server *h);

/* hub_writer.c */
void hub_writer_main(void *arg);
void hub_writer_queue(struct hub_server *h, struct hub_call *c);
void hub_writer_stop(struct hub_server *h);

#endif
