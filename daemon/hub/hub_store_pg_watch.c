/*
 * hub_store_pg_watch.c - the PostgreSQL backend's change notifications
 * (hub_store_pg.h): a connection of its own LISTENs on the feed's
 * channel; its socket is polled by the hub's libuv loop (uv_poll), and
 * each readable event consumes input and hands the notifications
 * (PQnotifies, payload = the newest feed number of a commit on any hub)
 * to the hub, which wakes its long-polls. Nothing queries the database in
 * a loop: a lost connection is retried every second, and once back every
 * waiter is woken, since notifications may have been missed meanwhile.
 * Everything here runs on the loop's thread.
 */
#include "compat.h"

#include "hub_store_pg.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECONNECT_MS 1000

struct pg_watch {
  uv_loop_t *loop;
  char *uri;
  char listen[96]; /* LISTEN "channel" */
  PGconn *conn;
  uv_poll_t *poll; /* NULL while disconnected */
  uv_timer_t timer;
  unsigned handles; /* handles not yet closed */
  void (*on_change)(void *ctx, uint64_t seq);
  void *ctx;
  bool closing;
  void (*closed)(void *ctx);
  void *closed_ctx;
};

static void watch_free(struct pg_watch *w)
{
  if (w->conn != NULL)
    PQfinish(w->conn);
  free(w->uri);
  free(w);
}

static void on_handle_closed(uv_handle_t *hd)
{
  struct pg_watch *w = hd->data;
  if (hd != (uv_handle_t *)&w->timer)
    free(hd);
  if (--w->handles > 0 || !w->closing)
    return;
  if (w->closed != NULL)
    w->closed(w->closed_ctx);
  watch_free(w);
}

/* Forgets the connection (its poll handle first). */
static void drop_conn(struct pg_watch *w)
{
  if (w->poll != NULL) {
    uv_poll_stop(w->poll);
    uv_close((uv_handle_t *)w->poll, on_handle_closed);
    w->poll = NULL;
  }
  if (w->conn != NULL)
    PQfinish(w->conn);
  w->conn = NULL;
}

static void on_retry(uv_timer_t *t);

static void lost(struct pg_watch *w)
{
  log_msg(LOG_LEVEL_WARN,
          "the database's notifications stopped (%s); "
          "reconnecting",
          w->conn ? PQerrorMessage(w->conn) : "no connection");
  drop_conn(w);
  uv_timer_start(&w->timer, on_retry, RECONNECT_MS, 0);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
  struct pg_watch *w = p->data;
  PGnotify *n;
  uint64_t newest = 0;
  bool any = false;

  (void)events;
  if (status < 0 || PQconsumeInput(w->conn) == 0 ||
      PQstatus(w->conn) != CONNECTION_OK) {
    lost(w);
    return;
  }
  while ((n = PQnotifies(w->conn)) != NULL) {
    uint64_t seq = strtoull(n->extra, NULL, 10);
    if (seq > newest)
      newest = seq;
    any = true;
    PQfreemem(n);
  }
  if (any)
    w->on_change(w->ctx, newest);
}

/* Connects and LISTENs; false (and nothing open) if that failed. */
static bool listen_connect(struct pg_watch *w)
{
  PGresult *res;

  w->conn = hub_store_pg_connect(w->uri);
  if (w->conn == NULL || PQstatus(w->conn) != CONNECTION_OK)
    goto fail;
  res = PQexec(w->conn, w->listen);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) {
    PQclear(res);
    goto fail;
  }
  PQclear(res);
  if (PQsetnonblocking(w->conn, 1) != 0)
    goto fail;
  w->poll = malloc(sizeof(*w->poll));
  if (w->poll == NULL)
    goto fail;
  if (uv_poll_init(w->loop, w->poll, PQsocket(w->conn)) != 0) {
    free(w->poll);
    w->poll = NULL;
    goto fail;
  }
  w->poll->data = w;
  w->handles++;
  uv_poll_start(w->poll, UV_READABLE, on_readable);
  return true;
fail:
  drop_conn(w);
  return false;
}

static void on_retry(uv_timer_t *t)
{
  struct pg_watch *w = t->data;
  if (w->closing)
    return;
  if (!listen_connect(w)) {
    uv_timer_start(&w->timer, on_retry, RECONNECT_MS, 0);
    return;
  }
  log_msg(LOG_LEVEL_INFO, "the database's notifications are back");
  w->on_change(w->ctx, 0); /* some may have been missed: everyone looks */
}

int hub_store_pg_watch_start(const char *uri, const char *channel,
                             uv_loop_t *loop,
                             void (*on_change)(void *ctx, uint64_t seq),
                             void *ctx, struct pg_watch **out,
                             struct sb_err *err)
{
  struct pg_watch *w = calloc(1, sizeof(*w));

  *out = NULL;
  if (w == NULL || (w->uri = strdup(uri)) == NULL) {
    free(w);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  w->loop = loop;
  w->on_change = on_change;
  w->ctx = ctx;
  snprintf(w->listen, sizeof(w->listen), "LISTEN \"%s\"", channel);
  uv_timer_init(loop, &w->timer);
  w->timer.data = w;
  w->handles = 1;
  if (!listen_connect(w)) {
    log_msg(LOG_LEVEL_WARN, "cannot listen for the database's "
                            "notifications yet; retrying every second");
    uv_timer_start(&w->timer, on_retry, RECONNECT_MS, 0);
  }
  *out = w;
  return 0;
}

int hub_store_pg_watch_close(struct pg_watch *w, void (*closed)(void *ctx),
                             void *ctx)
{
  if (w == NULL)
    return 0;
  w->closing = true;
  w->closed = closed;
  w->closed_ctx = ctx;
  drop_conn(w);
  uv_timer_stop(&w->timer);
  uv_close((uv_handle_t *)&w->timer, on_handle_closed);
  return 1;
}

void hub_store_pg_watch_stop(struct pg_watch *w)
{
  /* Handles still on a loop cannot be freed here: only the connection. */
  if (w == NULL)
    return;
  if (w->poll != NULL)
    uv_poll_stop(w->poll);
  if (w->conn != NULL)
    PQfinish(w->conn);
  w->conn = NULL;
}
