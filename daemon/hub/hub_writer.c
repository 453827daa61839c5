/*
 * hub_writer.c - the hub's store writer: a thread of its own that takes
 * every push batch queued while it was busy and merges them in one
 * transaction (group commit, see hub_server.c's top comment); the loop
 * queues batches with hub_writer_queue and is told of finished groups
 * through the server's async handle.
 */
#include "compat.h"

#include "hub_server_int.h"

#include "hub_call.h"
#include "hub_store.h"

#include <stdlib.h>
#include <sys/prctl.h>

/* A group stops taking batches at this many records (bounds latency). */
#define GROUP_MAX_RECORDS 5000

/* Appends the chain first..last (linked by qnext) to the list head/tail. */
static void calls_append(struct hub_call **head, struct hub_call **tail,
                         struct hub_call *first, struct hub_call *last)
{
  if (*tail != NULL)
    (*tail)->qnext = first;
  else
    *head = first;
  *tail = last;
}

/* Merges the calls of list (linked by qnext) in one group. */
static void writer_group(struct hub_server *h, struct hub_call *list,
                         struct hub_push_batch ***bs, size_t *cap)
{
  struct hub_call *c;
  size_t n = 0;

  for (c = list; c != NULL; c = c->qnext) {
    if (n == *cap) {
      size_t ncap = *cap ? 2 * *cap : 64;
      struct hub_push_batch **nb = realloc(*bs, ncap * sizeof(*nb));
      if (nb == NULL)
        break;
      *bs = nb;
      *cap = ncap;
    }
    (*bs)[n++] = &c->batch;
  }
  uv_mutex_lock(&h->lock);
  hub_store_push_group(h->hs, *bs, n);
  uv_mutex_unlock(&h->lock);
  for (; c != NULL; c = c->qnext) { /* no memory for the group's array */
    c->batch.rc = sb_err_set(&c->batch.err, SB_ENOMEM, "out of memory");
  }
}

void hub_writer_main(void *arg)
{
  struct hub_server *h = arg;
  struct hub_push_batch **bs = NULL;
  size_t cap = 0;

  /* Named, so that top -H and perf tell the one writer from the rest. */
  (void)prctl(PR_SET_NAME, "hub-writer", 0, 0, 0);
  uv_mutex_lock(&h->qlock);
  for (;;) {
    struct hub_call *list, *last;
    size_t records;

    while ((h->qhead == NULL && !h->qstop) || h->yielding > 0)
      uv_cond_wait(&h->qcond, &h->qlock);
    if (h->qhead == NULL)
      break;
    /* Everything that queued meanwhile, up to GROUP_MAX_RECORDS. */
    list = last = h->qhead;
    records = last->batch.n;
    while (last->qnext != NULL &&
           records + last->qnext->batch.n <= GROUP_MAX_RECORDS) {
      last = last->qnext;
      records += last->batch.n;
    }
    h->qhead = last->qnext;
    if (h->qhead == NULL)
      h->qtail = NULL;
    last->qnext = NULL;
    uv_mutex_unlock(&h->qlock);

    writer_group(h, list, &bs, &cap);

    uv_mutex_lock(&h->qlock);
    calls_append(&h->done_head, &h->done_tail, list, last);
    uv_async_send(&h->async);
  }
  uv_mutex_unlock(&h->qlock);
  free(bs);
}

/* Hands a decoded push to the store writer (loop thread). */
void hub_writer_queue(struct hub_server *h, struct hub_call *c)
{
  h->jobs++;
  c->qnext = NULL;
  uv_mutex_lock(&h->qlock);
  calls_append(&h->qhead, &h->qtail, c, c);
  uv_cond_signal(&h->qcond);
  uv_mutex_unlock(&h->qlock);
}

/* Tells the store writer to finish and waits for its thread. */
void hub_writer_stop(struct hub_server *h)
{
  uv_mutex_lock(&h->qlock);
  h->qstop = true;
  uv_cond_signal(&h->qcond);
  uv_mutex_unlock(&h->qlock);
  uv_thread_join(&h->writer);
  h->writer_running = false;
}
