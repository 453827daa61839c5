/*
 * hlc.c - hybrid logical clock (Kulkarni et al.), packed as
 * ms * HLC_LOGICAL_SPAN + logical so it stays an exact JSON integer.
 */
#include "compat.h"

#include "hlc.h"

#include <time.h>

uint64_t hlc_wall_ms(void)
{
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

uint64_t hlc_ms(uint64_t ts)
{
  return ts / HLC_LOGICAL_SPAN;
}

uint64_t hlc_tick(struct hlc *clock, uint64_t wall_ms)
{
  uint64_t wall = wall_ms * HLC_LOGICAL_SPAN;
  /*
   * Take the wall clock when it is ahead, else count on from the last
   * timestamp; when the logical part runs out it spills into the next
   * millisecond, which keeps timestamps strictly increasing.
   */
  clock->last = wall > clock->last ? wall : clock->last + 1;
  return clock->last;
}

void hlc_observe(struct hlc *clock, uint64_t remote)
{
  if (remote > clock->last)
    clock->last = remote;
}
