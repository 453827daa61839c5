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
 *
 * While busy, the heap is kept (hub_heap_tune): glibc's default gives an
 * arena's top back on every large free, and on a VM where a page fault
 * costs ~13 us the next batch faulting it in again was a third of the
 * hub's CPU on a push. Few arenas, not glibc's 8 per core: the top
 * of a thread's arena is what malloc_trim cannot give back, so fewer of
 * them bound what an idle hub keeps (daemon/hub/DESIGN.md).
 */
#include "compat.h"

#include "hub_server_int.h"

#include "hub_ahead.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define TRIM_IDLE_MS 1000
/* What an arena may keep on top between requests: a few 500-record
 * batches decoded at once. Blocks this large or larger are mapped on
 * their own, and given back when freed. */
#define KEEP_BYTES (16 * 1024 * 1024)

void hub_heap_tune(void)
{
#ifdef __GLIBC__
  /* One arena per core and one more: with 2 arenas on 2 cores a push of
   * 50 clients was 10-15% slower (threads waiting on an arena's lock);
   * glibc's default of 8 per core keeps more tops once idle. */
  mallopt(M_ARENA_MAX, (int)uv_available_parallelism() + 1);
  mallopt(M_TRIM_THRESHOLD, KEEP_BYTES);
  mallopt(M_MMAP_THRESHOLD, KEEP_BYTES);
#endif
}

static void on_trim_work(uv_work_t *w)
{
  struct hub_server *h = w->data;

  /* The writer's page cache first (on SQLite shrunk from 16 MiB to the
   * default, hub_store_sqlite.c): the pages it lets go are then free heap
   * for malloc_trim. The writer is idle (no job). */
  uv_mutex_lock(&h->lock);
  hub_store_idle(h->hs);
  uv_mutex_unlock(&h->lock);
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

  if (h->jobs > 0 || h->ahead_jobs > 0 || h->trimming || h->stopping)
    return; /* the job's end re-arms the timer */
  /* Pages made ahead that no device came for: dropped once old enough
   * (a slow link may take seconds over the page before). */
  if (h->ahead != NULL && hub_ahead_expire(h->ahead))
    uv_timer_start(&h->trim, on_idle, HUB_AHEAD_TTL_MS, 0);
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
