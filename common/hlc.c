/*
 * hlc.c - hybrid logical clock (Kulkarni et al.), packed as
 * ms * HLC_LOGICAL_SPAN + logical so it stays an exact JSON integer, with
 * a bound on how far ahead of the corrected wall clock it may run.
 */
#include "compat.h"

#include "hlc.h"

#include <time.h>

/* A correction that puts us further than this before a time the hub
 * already told us is stale (our clock was stepped, not slewed). */
#define HLC_STALE_MS (60ull * 1000)

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

/* The greatest timestamp a sane clock may hold at wall_ms. */
static uint64_t hlc_limit(uint64_t wall_ms)
{
  return (wall_ms + HLC_MAX_AHEAD_MS) * HLC_LOGICAL_SPAN +
         (HLC_LOGICAL_SPAN - 1);
}

uint64_t hlc_tick(struct hlc *clock, uint64_t wall_ms)
{
  uint64_t wall = wall_ms * HLC_LOGICAL_SPAN;

  /*
   * A last timestamp far ahead of the wall clock was set by a wrong clock
   * (ours before it was corrected, or a stored state): forget it rather
   * than count on from it for ever. Causality is in the version vectors,
   * so a timestamp lower than one issued before breaks nothing.
   */
  if (clock->last > hlc_limit(wall_ms))
    clock->last = 0;
  /*
   * Take the wall clock when it is ahead, else count on from the last
   * timestamp; when the logical part runs out it spills into the next
   * millisecond, which keeps timestamps strictly increasing.
   */
  clock->last = wall > clock->last ? wall : clock->last + 1;
  return clock->last;
}

void hlc_observe(struct hlc *clock, uint64_t remote, uint64_t wall_ms)
{
  if (remote > clock->last && remote <= hlc_limit(wall_ms))
    clock->last = remote;
}

int64_t hlc_offset_measure(uint64_t hub_ms, uint64_t sent_ms, uint64_t recv_ms)
{
  uint64_t mid;

  if (recv_ms < sent_ms) /* our clock stepped back during the exchange */
    recv_ms = sent_ms;
  mid = sent_ms + (recv_ms - sent_ms) / 2;
  return hub_ms >= mid ? (int64_t)(hub_ms - mid) : -(int64_t)(mid - hub_ms);
}

uint64_t hlc_offset_apply(const struct hlc_offset *o, uint64_t wall_ms)
{
  uint64_t corrected;

  if (o->hub_ms == 0)
    return wall_ms;
  if (o->offset_ms >= 0)
    corrected = wall_ms + (uint64_t)o->offset_ms;
  else
    corrected = (uint64_t)-o->offset_ms > wall_ms
                    ? 0
                    : wall_ms - (uint64_t)-o->offset_ms;
  if (corrected >= o->hub_ms)
    return corrected;
  if (corrected + HLC_STALE_MS >= o->hub_ms)
    return o->hub_ms; /* a small step back: hold at what we know */
  /* Stale: our clock was stepped back since the offset was measured. */
  return wall_ms > o->hub_ms ? wall_ms : o->hub_ms;
}
