/*
 * http_server_limits.c - the HTTP server's connection limits: a struct
 * http_conn per connection (MHD's socket context) on a list, the sweep
 * timer that cuts connections past their head deadline or under the body
 * rate floor, and the reserve connections (see http_server.c's top
 * comment, "Limits").
 */
#include "compat.h"

#include "http_server_int.h"

#include "log.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <sys/socket.h>

#define HTTP_RESERVE_HEAD_S 2 /* a reserve connection's head deadline */

/* The connection state of conn (MHD's socket context), or NULL. */
struct http_conn *http_server_limits_conn_of(struct MHD_Connection *conn)
{
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info != NULL ? info->socket_context : NULL;
}

void http_server_limits_conn_phase(struct http_conn *hc, enum conn_phase phase)
{
  if (hc == NULL)
    return;
  hc->phase = phase;
  hc->since_ms = uv_now(hc->srv->loop);
  hc->bytes = 0;
}

/*
 * The reserve is full: cuts its oldest connection still waiting for a
 * head, so that a newcomer (health) is not locked out by slow ones.
 */
static void reserve_evict(struct http_server *s)
{
  struct http_conn *hc, *oldest = NULL;
  unsigned n = 0;

  for (hc = s->conns; hc != NULL; hc = hc->next) {
    if (!hc->reserve || hc->cut)
      continue;
    n++;
    if (hc->phase == CONN_HEAD && hc->fd >= 0)
      oldest = hc;
  }
  if (n < s->cfg.reserve_conns || oldest == NULL)
    return;
  oldest->cut = true;
  s->cut_head++;
  shutdown(oldest->fd, SHUT_RDWR);
  http_server_kick(s);
}

void http_server_limits_on_connection(void *cls, struct MHD_Connection *conn,
                                      void **socket_context,
                                      enum MHD_ConnectionNotificationCode code)
{
  struct http_server *s = cls;
  struct http_conn *hc = *socket_context;
  const union MHD_ConnectionInfo *info;

  if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    s->nconns--;
    s->closed_in_run = true;
    if (hc == NULL)
      return;
    if (hc->prev != NULL)
      hc->prev->next = hc->next;
    else
      s->conns = hc->next;
    if (hc->next != NULL)
      hc->next->prev = hc->prev;
    free(hc);
    *socket_context = NULL;
    return;
  }
  s->nconns++;
  hc = calloc(1, sizeof(*hc));
  if (hc == NULL)
    return; /* served without deadlines */
  info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  hc->srv = s;
  hc->conn = conn;
  hc->fd = info != NULL ? info->connect_fd : -1;
  hc->reserve = s->nconns > s->cfg.max_conns;
  if (hc->reserve)
    reserve_evict(s);
  http_server_limits_conn_phase(hc, CONN_HEAD);
  hc->next = s->conns;
  if (s->conns != NULL)
    s->conns->prev = hc;
  s->conns = hc;
  *socket_context = hc;
}

enum conn_cut { CUT_NONE, CUT_IDLE, CUT_HEAD, CUT_BODY };

/*
 * Whether hc must be cut now, and why. A connection that has served a
 * request and waits past the head deadline for the next is a client's
 * idle keep-alive connection (a device keeps one beside its long-poll):
 * closed all the same, but that is the keep-alive's end, not an attack.
 */
static enum conn_cut conn_overdue(const struct http_conn *hc, uint64_t now)
{
  const struct http_server_cfg *cfg = &hc->srv->cfg;
  uint64_t ms = now - hc->since_ms;
  uint64_t head_ms = (uint64_t)cfg->head_timeout_s * 1000;

  if (hc->cut || hc->fd < 0)
    return CUT_NONE;
  if (hc->reserve && head_ms > HTTP_RESERVE_HEAD_S * 1000)
    head_ms = HTTP_RESERVE_HEAD_S * 1000;
  switch (hc->phase) {
  case CONN_HEAD:
    if (ms <= head_ms)
      return CUT_NONE;
    return hc->served ? CUT_IDLE : CUT_HEAD;
  case CONN_BODY:
    /* After a grace of one head deadline, the average rate since the
     * body began must stay above the floor. */
    if (cfg->body_min_rate == 0 || ms <= head_ms)
      return CUT_NONE;
    return hc->bytes * 1000 < (uint64_t)cfg->body_min_rate * ms ? CUT_BODY
                                                                : CUT_NONE;
  case CONN_APP:
    break;
  }
  return CUT_NONE;
}

/* Cuts the connections past their deadline. */
void http_server_limits_on_sweep(uv_timer_t *t)
{
  struct http_server *s = t->data;
  uint64_t now = uv_now(s->loop);
  struct http_conn *hc;
  unsigned cut = 0; /* slow ones, logged */
  bool any = false;

  for (hc = s->conns; hc != NULL; hc = hc->next) {
    enum conn_cut why = conn_overdue(hc, now);
    if (why == CUT_NONE)
      continue;
    if (why == CUT_IDLE) {
      s->cut_idle++; /* quietly: a keep-alive's normal end */
    } else {
      if (why == CUT_BODY)
        s->cut_body++;
      else
        s->cut_head++;
      if (cut++ < 3)
        log_msg(LOG_LEVEL_WARN, "http: closing a connection: %s",
                why == CUT_BODY ? "the body comes slower than the floor"
                                : "no request head within the deadline");
    }
    hc->cut = true;
    any = true;
    shutdown(hc->fd, SHUT_RDWR); /* MHD sees the end and closes it */
  }
  if (cut > 3)
    log_msg(LOG_LEVEL_WARN, "http: closed %u more slow connections", cut - 3);
  if (any)
    http_server_kick(s);
}
