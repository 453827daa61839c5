/* test_hlc.c - hybrid logical clock: monotonic, observes, spills over,
 * bounded by the corrected wall clock; the hub offset. */
#include "check.h"

#include "hlc.h"

#define MS 1760000000000ull /* an instant in 2025 */
#define SPAN HLC_LOGICAL_SPAN

TEST(follows_the_wall_clock)
{
  struct hlc c = {0};
  CHECK_INT(hlc_tick(&c, MS), ==, MS * SPAN);
  CHECK_INT(hlc_tick(&c, MS + 5), ==, (MS + 5) * SPAN);
  CHECK_INT(hlc_ms(hlc_tick(&c, MS + 7)), ==, MS + 7);
  CHECK_INT(c.last, ==, (MS + 7) * SPAN);
}

TEST(same_ms_counts_on)
{
  struct hlc c = {0};
  CHECK_INT(hlc_tick(&c, MS), ==, MS * SPAN);
  CHECK_INT(hlc_tick(&c, MS), ==, MS * SPAN + 1);
  CHECK_INT(hlc_tick(&c, MS), ==, MS * SPAN + 2);
  CHECK_INT(hlc_ms(c.last), ==, MS);
}

TEST(monotonic_when_the_clock_goes_backwards)
{
  struct hlc c = {0};
  uint64_t t1 = hlc_tick(&c, MS + 1000);
  uint64_t t2 = hlc_tick(&c, MS); /* NTP stepped the clock back 1 s */
  uint64_t t3 = hlc_tick(&c, MS + 1);
  uint64_t t4 = hlc_tick(&c, MS + 2000);
  CHECK_INT(t2, ==, t1 + 1);
  CHECK_INT(t3, ==, t2 + 1);
  CHECK_INT(hlc_ms(t3), ==, MS + 1000);
  CHECK_INT(t4, ==, (MS + 2000) * SPAN);
  /* A step back within HLC_MAX_AHEAD_MS still counts on. */
  CHECK_INT(hlc_tick(&c, MS + 2000 - HLC_MAX_AHEAD_MS), ==, t4 + 1);
}

TEST(observe)
{
  struct hlc c = {0};
  uint64_t remote = (MS + 60000) * SPAN + 17; /* a device a minute ahead */
  hlc_tick(&c, MS);
  hlc_observe(&c, remote, MS);
  CHECK_INT(c.last, ==, remote);
  CHECK_INT(hlc_tick(&c, MS), ==, remote + 1);
  /* An older remote timestamp changes nothing. */
  hlc_observe(&c, MS * SPAN, MS);
  CHECK_INT(c.last, ==, remote + 1);
  CHECK_INT(hlc_tick(&c, MS + 1), ==, remote + 2);
  /* Once the wall clock passes it, the wall clock leads again. */
  CHECK_INT(hlc_tick(&c, MS + 60001), ==, (MS + 60001) * SPAN);
  hlc_observe(&c, 0, MS + 60001);
  CHECK_INT(c.last, ==, (MS + 60001) * SPAN);
}

TEST(logical_overflow_spills_into_next_ms)
{
  struct hlc c = {0};
  uint64_t t;
  int i;
  hlc_observe(&c, MS * SPAN + SPAN - 2, MS);
  CHECK_INT(hlc_tick(&c, MS), ==, MS * SPAN + SPAN - 1);
  t = hlc_tick(&c, MS);
  CHECK_INT(t, ==, (MS + 1) * SPAN);
  CHECK_INT(hlc_ms(t), ==, MS + 1);
  /* The real next ms does not go back to a used timestamp. */
  CHECK_INT(hlc_tick(&c, MS + 1), ==, (MS + 1) * SPAN + 1);
  /* 5000 events in one frozen ms: strictly increasing, 5 ms ahead. */
  for (i = 0; i < 5000; i++) {
    uint64_t next = hlc_tick(&c, MS);
    CHECK(next > t);
    t = next;
  }
  CHECK_INT(hlc_ms(t), ==, MS + 6);
}

TEST(monotonic_randomized)
{
  struct hlc c = {0};
  uint64_t state = 42, last = 0, wall = MS, max_seen = 0;
  unsigned monotonic = 0, reset = 0;
  bool sane;
  int i;
  for (i = 0; i < 100000; i++) {
    uint64_t r, t;
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    r = state >> 33;
    switch (r % 4) {
    case 0:
      wall -= r % 3000; /* backwards */
      break;
    case 1:
      hlc_observe(&c, (wall + r % 5000) * SPAN + r % SPAN, wall);
      max_seen = c.last > max_seen ? c.last : max_seen;
      continue;
    default:
      wall += r % 4;
      break;
    }
    /* Monotonic while the clock state stays within HLC_MAX_AHEAD_MS of
     * the wall clock; past it, the wall clock leads again. */
    sane = (last > max_seen ? last : max_seen) <=
           (wall + HLC_MAX_AHEAD_MS) * SPAN + SPAN - 1;
    t = hlc_tick(&c, wall);
    if (sane) {
      CHECK(t > last);
      CHECK(t > max_seen);
      monotonic++;
    } else {
      CHECK_INT(t, ==, wall * SPAN);
      reset++;
    }
    CHECK(t >= wall * SPAN);
    last = max_seen = t;
  }
  CHECK(monotonic > 1000);
  CHECK(reset > 0);
}

TEST(observe_ignores_a_clock_far_ahead)
{
  struct hlc c = {0};
  uint64_t at_bound = (MS + HLC_MAX_AHEAD_MS) * SPAN + SPAN - 1;
  hlc_tick(&c, MS);
  /* 6 hours ahead: not adopted, the next tick follows the wall clock. */
  hlc_observe(&c, (MS + 6 * 3600 * 1000ull) * SPAN, MS);
  CHECK_INT(c.last, ==, MS * SPAN);
  CHECK_INT(hlc_tick(&c, MS + 1), ==, (MS + 1) * SPAN);
  /* Up to the bound it is adopted, as before. */
  hlc_observe(&c, at_bound, MS);
  CHECK_INT(c.last, ==, at_bound);
  hlc_observe(&c, at_bound + 1, MS);
  CHECK_INT(c.last, ==, at_bound);
}

TEST(a_clock_state_far_ahead_does_not_pin)
{
  /* Stored by a clock 30 h fast, loaded after the clock was fixed. */
  struct hlc c = {(MS + 30 * 3600 * 1000ull) * SPAN};
  uint64_t t = hlc_tick(&c, MS);
  CHECK_INT(t, ==, MS * SPAN);
  CHECK_INT(hlc_tick(&c, MS), ==, MS * SPAN + 1);
  /* A state within the bound still counts on (monotonic as before). */
  c.last = (MS + HLC_MAX_AHEAD_MS) * SPAN;
  CHECK_INT(hlc_tick(&c, MS), ==, (MS + HLC_MAX_AHEAD_MS) * SPAN + 1);
}

TEST(offset_measure_takes_the_midpoint)
{
  /* The hub is 6 h behind us; the exchange took 200 ms. */
  uint64_t six_h = 6 * 3600 * 1000ull;
  CHECK_INT(hlc_offset_measure(MS, MS + six_h - 100, MS + six_h + 100), ==,
            -(int64_t)six_h);
  CHECK_INT(hlc_offset_measure(MS + 30, MS, MS + 60), ==, 0);
  CHECK_INT(hlc_offset_measure(MS + 1000, MS, MS), ==, 1000);
  /* Our clock stepped back during the exchange: no negative trip. */
  CHECK_INT(hlc_offset_measure(MS, MS + 10, MS), ==, -10);
}

TEST(offset_apply)
{
  uint64_t h30 = 30 * 3600 * 1000ull;
  struct hlc_offset none = {0, 0};
  struct hlc_offset fast = {-(int64_t)h30, MS}; /* we ran 30 h fast */
  struct hlc_offset slow = {60000, MS};         /* we run a minute slow */
  CHECK_INT(hlc_offset_apply(&none, MS), ==, MS);
  CHECK_INT(hlc_offset_apply(&fast, MS + h30 + 5), ==, MS + 5);
  CHECK_INT(hlc_offset_apply(&slow, MS - 60000 + 7), ==, MS + 7);
  /* The clock was fixed since: the offset is stale, trust the clock. */
  CHECK_INT(hlc_offset_apply(&fast, MS + 1000), ==, MS + 1000);
  /* A small step back holds at the hub's time we know. */
  CHECK_INT(hlc_offset_apply(&fast, MS + h30 - 5000), ==, MS);
  /* Fixed and more: never before the hub's time we know. */
  CHECK_INT(hlc_offset_apply(&fast, MS - h30), ==, MS);
}

TEST(wall_ms_is_now)
{
  uint64_t a = hlc_wall_ms();
  CHECK(a > 1600000000000ull); /* after 2020 */
  CHECK(a < 7258118400000ull); /* before 2200 */
  CHECK_INT(hlc_ms(123456789), ==, 123456);
}
