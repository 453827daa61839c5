/*
 * progress.h - what `sambang sync` shows while it runs: counts, each
 * phase's share done, the rate and the time left, from the sync engine's
 * figures (daemon/sync/sync.h, sync_status).
 */
#ifndef SAMBANG_PROGRESS_H
#define SAMBANG_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* The figures of one moment of a sync. */
struct progress_figures {
  uint64_t pushed, push_total; /* this cycle's pushes, of those due */
  uint64_t pulled;             /* records the pull changed */
  /* the feed: from base (the cursor when the cycle began) through cursor
   * to last (the newest number the hub named; 0: not known) */
  uint64_t feed_base, cursor, feed_last;
};

/* Times, in seconds on a monotonic clock, that progress_line reads (the
 * caller notes pull_from as each figure comes, shown or not). */
struct progress_clock {
  double start;     /* the sync began */
  double pull_from; /* the cursor first moved (0: not yet) */
};

/*
 * One line (no newline) for f at time now into out: "pushed 500 of 2000
 * (25%), pulled 1200 (40% of the feed), 900 records/s, about 12 s left"
 * in the user's language; the parts not known are left out.
 */
void progress_line(char *out, size_t size, const struct progress_figures *f,
                   const struct progress_clock *c, double now);

/* The monotonic clock, in seconds. */
double progress_now(void);

#endif
