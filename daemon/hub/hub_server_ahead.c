/*
 * hub_server_ahead.c - the server's side of pages made ahead (hub_ahead.h):
 * once a changes page that says more is ready is sent, a job on the pool
 * makes the next one. Its store connections are the requests'; it is
 * not a request (no admission, no reply), but the hub does not stop
 * while one runs.
 */
#include "compat.h"

#include "hub_server_int.h"

#include "hub_ahead.h"
#include "hub_routes.h"

#include <stdlib.h>
#include <string.h>

struct ahead_job {
  uv_work_t work;
  struct hub_server *h;
  struct hub_call call; /* its store connections, for hub_routes */
  struct hub_ahead_key key;
  uint64_t ticket;
};

static void on_ahead_work(uv_work_t *w)
{
  struct ahead_job *j = w->data;
  struct hub_ahead_page page;

  if (!hub_ahead_begin(j->h->ahead, j->ticket))
    return; /* its request came first and made the page itself */
  memset(&page, 0, sizeof(page));
  hub_ahead_put(j->h->ahead, j->ticket,
                hub_routes_changes_ahead(&j->call, &j->key, &page) ? &page
                                                                   : NULL);
}

static void on_ahead_done(uv_work_t *w, int status)
{
  struct ahead_job *j = w->data;
  struct hub_server *h = j->h;

  if (status != 0) /* cancelled: the slot is given up */
    hub_ahead_put(h->ahead, j->ticket, NULL);
  h->ahead_jobs--;
  free(j);
  hub_trim_note_job_done(h);
}

void hub_server_ahead_start(struct hub_server *h, const struct hub_call *c)
{
  struct ahead_job *j;

  if (c->ahead_next == NULL || h->ahead == NULL || h->stopping ||
      c->out.status != 200)
    return;
  j = calloc(1, sizeof(*j));
  if (j == NULL)
    return; /* made when asked */
  j->key = *c->ahead_next;
  j->ticket = hub_ahead_claim(h->ahead, &j->key);
  if (j->ticket == 0) { /* every slot is in use */
    free(j);
    return;
  }
  j->h = h;
  j->call.hub = h;
  j->call.hs = h->hs;
  j->call.lock = &h->lock;
  j->call.rhs = h->rhs;
  j->call.rlock = &h->rlock;
  j->work.data = j;
  if (uv_queue_work(h->loop, &j->work, on_ahead_work, on_ahead_done) != 0) {
    hub_ahead_put(h->ahead, j->ticket, NULL);
    free(j);
    return;
  }
  h->ahead_jobs++;
}
