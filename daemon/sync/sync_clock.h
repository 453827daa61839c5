/*
 * sync_clock.h - the hub's clock as the sync engine sees it (DESIGN.md,
 * "The hub's clock"): the offset measured from each reply's time header,
 * and the re-stamping of our own writes the hub refused as too far ahead.
 */
#ifndef SAMBANG_SYNC_CLOCK_H
#define SAMBANG_SYNC_CLOCK_H

#include "compat.h"

#include "err.h"
#include "hlc.h"
#include "record.h"

/* A reply that took longer than this (a held long-poll) measures nothing. */
#define SYNC_CLOCK_MAX_RTT_MS 5000
/* A measured offset is saved when it moved by more than this ... */
#define SYNC_CLOCK_SAVE_DRIFT_MS 1000
/* ... or when the saved one is older than this (hub time). */
#define SYNC_CLOCK_SAVE_EVERY_MS (10 * 60 * 1000)

/*
 * The offset one exchange measures into *o: false if it measures nothing
 * (no time header, or a round trip over SYNC_CLOCK_MAX_RTT_MS).
 */
bool sync_clock_measure(uint64_t hub_ms, uint64_t sent_ms, uint64_t recv_ms,
                        struct hlc_offset *o);

/* True if a newly measured offset should replace the saved one. */
bool sync_clock_worth_saving(const struct hlc_offset *saved,
                             const struct hlc_offset *now);

/* The greatest timestamp the hub accepts at hub_ms (default margin). */
uint64_t sync_clock_hub_limit(uint64_t hub_ms);

typedef uint64_t (*sync_tick_fn)(void *ctx);

/*
 * Re-stamps r's entries (fields and tombstones) whose dot is replica's
 * and whose ts is over limit: each such dot gets one new timestamp from
 * tick (called once per dot, in dot order). Other replicas' entries and
 * our own within limit are left alone. *n is the number of dots
 * re-stamped (r is unchanged when it is 0 or on error).
 */
int sync_clock_restamp(struct record *r, const char *replica, uint64_t limit,
                       sync_tick_fn tick, void *ctx, size_t *n,
                       struct sb_err *err);

#endif
