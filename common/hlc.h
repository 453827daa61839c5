/*
 * hlc.h - hybrid logical clock, corrected by the hub's clock.
 *
 * A timestamp is wall-clock milliseconds * 1000 + a logical counter
 * (0..999), so it stays an exact integer in JSON (below 2^53 until the year
 * 2255) and sorts like (ms, logical). HLC only breaks ties between truly
 * concurrent writes; causality always comes from version vectors.
 *
 * The wall clock a replica ticks with is its own clock corrected by the
 * offset it last measured from the hub (hlc_offset_*). A timestamp more
 * than HLC_MAX_AHEAD_MS ahead of that corrected clock came from a wrong
 * clock: it is neither adopted (hlc_observe) nor allowed to pin the clock
 * (hlc_tick), so one fast clock cannot drag everyone's timestamps.
 */
#ifndef SAMBANG_HLC_H
#define SAMBANG_HLC_H

#include "compat.h"

#define HLC_LOGICAL_SPAN 1000

/* How far ahead of the (corrected) wall clock a timestamp may be: the
 * hub's default margin for refusing future timestamps, 5 minutes. */
#define HLC_MAX_AHEAD_MS (5ull * 60 * 1000)

struct hlc {
  uint64_t last; /* the greatest timestamp issued or observed */
};

/* What a replica knows of the hub's clock (both 0: nothing yet). */
struct hlc_offset {
  int64_t offset_ms; /* hub clock minus this device's clock */
  uint64_t hub_ms;   /* the hub's time when it was measured */
};

/* Wall-clock time in milliseconds since the epoch. */
uint64_t hlc_wall_ms(void);

/*
 * A timestamp for a local event at (corrected) wall time wall_ms: greater
 * than any issued or observed, unless the last one is more than
 * HLC_MAX_AHEAD_MS ahead of wall_ms (a wrong clock set it): then it is
 * forgotten and the wall clock leads again.
 */
uint64_t hlc_tick(struct hlc *clock, uint64_t wall_ms);

/*
 * Takes note of a timestamp received from elsewhere, at (corrected) wall
 * time wall_ms; one more than HLC_MAX_AHEAD_MS ahead of it is ignored.
 */
void hlc_observe(struct hlc *clock, uint64_t remote, uint64_t wall_ms);

/* The milliseconds part of a timestamp. */
uint64_t hlc_ms(uint64_t ts);

/*
 * The offset of the hub's clock from ours, from one exchange: the hub
 * said hub_ms; we sent at sent_ms and got the answer at recv_ms (our
 * clock). The hub's time is taken to be the round trip's midpoint.
 */
int64_t hlc_offset_measure(uint64_t hub_ms, uint64_t sent_ms, uint64_t recv_ms);

/*
 * Our wall clock wall_ms corrected by what we know of the hub's. A
 * correction that would put us before a time the hub already told us is
 * stale (our clock was stepped since it was measured, e.g. fixed): then
 * our own clock is trusted again, but never below that hub time.
 */
uint64_t hlc_offset_apply(const struct hlc_offset *o, uint64_t wall_ms);

#endif
