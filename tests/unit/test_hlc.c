/* test_hlc.c - hybrid logical clock: monotonic, observes, spills over. */
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
  /* A clock at 0 (no RTC, never set) still counts on. */
  CHECK_INT(hlc_tick(&c, 0), ==, t4 + 1);
}

TEST(observe)
{
  struct hlc c = {0};
  uint64_t remote = (MS + 60000) * SPAN + 17; /* a device a minute ahead */
  hlc_tick(&c, MS);
  hlc_observe(&c, remote);
  CHECK_INT(c.last, ==, remote);
  CHECK_INT(hlc_tick(&c, MS), ==, remote + 1);
  /* An older remote timestamp changes nothing. */
  hlc_observe(&c, MS * SPAN);
  CHECK_INT(c.last, ==, remote + 1);
  CHECK_INT(hlc_tick(&c, MS + 1), ==, remote + 2);
  /* Once the wall clock passes it, the wall clock leads again. */
  CHECK_INT(hlc_tick(&c, MS + 60001), ==, (MS + 60001) * SPAN);
  hlc_observe(&c, 0);
  CHECK_INT(c.last, ==, (MS + 60001) * SPAN);
}

TEST(logical_overflow_spills_into_next_ms)
{
  struct hlc c = {0};
  uint64_t t;
  int i;
  hlc_observe(&c, MS * SPAN + SPAN - 2);
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
      hlc_observe(&c, (wall + r % 5000) * SPAN + r % SPAN);
      max_seen = c.last > max_seen ? c.last : max_seen;
      continue;
    default:
      wall += r % 4;
      break;
    }
    t = hlc_tick(&c, wall);
    CHECK(t > last);
    CHECK(t > max_seen);
    CHECK(t >= wall * SPAN);
    last = max_seen = t;
  }
}

TEST(wall_ms_is_now)
{
  uint64_t a = hlc_wall_ms();
  CHECK(a > 1600000000000ull); /* after 2020 */
  CHECK(a < 7258118400000ull); /* before 2200 */
  CHECK_INT(hlc_ms(123456789), ==, 123456);
}
