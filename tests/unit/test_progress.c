/* test_progress.c - the progress line of `sambang sync` (client/progress.c):
 * counts, shares, and past the first second the rate and the time left,
 * on a clock the test sets (a real sync of the tests ends within that
 * second, so no other test sees the estimate). */
#include "check.h"

#include "progress.h"

#include <stdio.h>

static const struct {
  struct progress_figures f; /* pushed, push_total, pulled,
                                feed_base, cursor, feed_last */
  struct progress_clock c;   /* start, pull_from */
  double now;
  const char *want;
} lines[] = {
    /* Within the first second: counts and shares only. */
    {{500, 2000, 1200, 0, 400, 1000},
     {100, 0},
     100.5,
     "pushed 500 of 2000 (25%), pulled 1200 (40% of the feed)"},
    {{500, 0, 1200, 0, 400, 0}, {100, 0}, 100.5, "pushed 500, pulled 1200"},
    /* 500 of 2000 pushed in 10 s: 1,500 more at 50 records/s. */
    {{500, 2000, 0, 0, 0, 0},
     {100, 0},
     110,
     "pushed 500 of 2000 (25%), pulled 0, 50 records/s, about 30 s left"},
    /* Nothing pushed yet: no estimate. */
    {{0, 2000, 0, 0, 0, 0},
     {100, 0},
     110,
     "pushed 0 of 2000 (0%), pulled 0, 0 records/s"},
    /* The feed from 1000 to 61000; the cursor first moved at 20 s and is
     * at 11000 at 80 s: 10,000 numbers a minute, 50,000 left: 5 min. */
    {{0, 0, 9000, 1000, 11000, 61000},
     {10, 20},
     80,
     "pushed 0, pulled 9000 (16% of the feed), 128 records/s, about 5 min "
     "left"},
    /* Hours past 90 minutes. */
    {{0, 0, 9000, 1000, 1100, 61000},
     {10, 20},
     80,
     "pushed 0, pulled 9000 (0% of the feed), 128 records/s, about 9 h 59 "
     "min left"},
    /* Done: no time left shown. */
    {{0, 0, 9000, 1000, 61000, 61000},
     {10, 20},
     80,
     "pushed 0, pulled 9000 (100% of the feed), 128 records/s"},
};

TEST(lines_with_rate_and_time_left)
{
  char out[256];
  size_t i;

  for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
    progress_line(out, sizeof(out), &lines[i].f, &lines[i].c, lines[i].now);
    if (strcmp(out, lines[i].want) != 0)
      fprintf(stderr, "line %zu: \"%s\"\n", i, out);
    CHECK_STR(out, lines[i].want);
  }
}

TEST(a_short_buffer_is_cut_not_overrun)
{
  char out[12];

  progress_line(out, sizeof(out), &lines[0].f, &lines[0].c, 110.0);
  CHECK_STR(out, "pushed 500 ");
}
