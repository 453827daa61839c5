/*
 * hlc.h - hybrid logical clock.
 *
 * A timestamp is wall-clock milliseconds * 1000 + a logical counter
 * (0..999), so it stays an exact integer in JSON (below 2^53 until the year
 * 2255) and sorts like (ms, logical). HLC only breaks ties between truly
 * concurrent writes; causality always comes from version vectors.
 */
#ifndef SAMBANG_HLC_H
#define SAMBANG_HLC_H

#include "compat.h"

#define HLC_LOGICAL_SPAN 1000

struct hlc {
  uint64_t last; /* the greatest timestamp issued or observed */
};

/* Wall-clock time in milliseconds since the epoch. */
uint64_t hlc_wall_ms(void);

/* A timestamp for a local event: greater than any issued or observed. */
uint64_t hlc_tick(struct hlc *clock, uint64_t wall_ms);

/* Takes note of a timestamp received from elsewhere. */
void hlc_observe(struct hlc *clock, uint64_t remote);

/* The milliseconds part of a timestamp. */
uint64_t hlc_ms(uint64_t ts);

#endif
