/*
 * hub_trim.c - gives the heap's free pages back to the system once the
 * hub has been idle for a second.
 *
 * Requests are decoded, merged and encoded on libuv's pool threads, each
 * with its own glibc arena; a burst (a push of 50 clients, a fresh
 * device's pull of pages of thousands of records) frees tens of MB all
 * over those arenas, which glibc keeps. Trimmed only by the store writer
 * after pushes, an idle hub held ~130 MB after bench_hub's pull and
 * long-polls. Not after every request: trimming unmaps pages that the
 * next requests fault back in, and shoots down TLBs on every core.
 *
 * Every finished job re-arms a one-shot timer; when it fires with no job
 * queued or running, malloc_trim runs on the pool (it walks every arena
 * and may take milliseconds: not on the loop).
 */
#include "compat.h"

#include "hub_server_int.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define TRIM_IDLE_MS 1000

static void on_trim_work(uv_work_t *w)
{
  (void)w;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

static void on_trim_done(uv_work_t *w, int status)
{
  struct hub_server *h = w->data;
  h->trimming = false;
  if (status == 0)
    h->m.heap_trims++;
}

static void on_idle(uv_timer_t *t)
{
  struct hub_server *h = t->data;

  if (h->jobs > 0 || h->trimming || h->stopping)
    return; /* the job's end re-arms the timer */
  h->trim_work.data = h;
  if (uv_queue_work(h->loop, &h->trim_work, on_trim_work, on_trim_done) == 0)
    h->trimming = true;
}

void hub_trim_init(struct hub_server *h)
{
  uv_timer_init(h->loop, &h->trim);
  h->trim.data = h;
}

void hub_trim_note_job_done(struct hub_server *h)
{
  if (!h->stopping)
    uv_timer_start(&h->trim, on_idle, TRIM_IDLE_MS, 0);
}
