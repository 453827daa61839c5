/* test_progress.c - the progress line of `sambang sync` (client/progress.c):
 * counts, shares, and past the first second the rate and the time left,
 * on a clock the test sets (a real sync of the tests ends within that
 * second, so no other test sees the estimate). */
#include "check.h"

#include "progress.h"

#include <stdlib.h>

TEST(counts_and_shares_first)
{
  struct progress_figures f = {500, 2000, 1200, 0, 400, 1000};
  struct progress_clock c = {100.0, 0};
  char line[256];

  progress_line(line, sizeof(line), &f, &c, 100.5);
  CHECK_STR(line, "pushed 500 of 2000 (25%), pulled 1200 (40% of the feed)");
  f.push_total = 0;
  f.feed_last = 0;
  progress_line(line, sizeof(line), &f, &c, 100.5);
  CHECK_STR(line, "pushed 500, pulled 1200");
}

TEST(rate_and_time_left_of_the_push)
{
  /* 500 of 2000 pushed in 10 s: 1,500 more at 50 records/s. */
  struct progress_figures f = {500, 2000, 0, 0, 0, 0};
  struct progress_clock c = {100.0, 0};
  char line[256];

  progress_line(line, sizeof(line), &f, &c, 110.0);
  CHECK_STR(line, "pushed 500 of 2000 (25%), pulled 0, 50 records/s, "
                  "about 30 s left");
  /* Nothing pushed yet: no estimate. */
  f.pushed = 0;
  progress_line(line, sizeof(line), &f, &c, 110.0);
  CHECK_STR(line, "pushed 0 of 2000 (0%), pulled 0, 0 records/s");
}

TEST(time_left_of_the_pull_from_where_the_cursor_first_moved)
{
  /* The feed from 1000 to 61000; the cursor first moved at 20 s and is
   * at 11000 at 80 s: 10,000 numbers a minute, 50,000 left: 5 min. */
  struct progress_figures f = {0, 0, 9000, 1000, 11000, 61000};
  struct progress_clock c = {10.0, 20.0};
  char line[256];

  progress_line(line, sizeof(line), &f, &c, 80.0);
  CHECK_STR(line, "pushed 0, pulled 9000 (16% of the feed), 128 records/s, "
                  "about 5 min left");
  /* Hours past 90 minutes. */
  f.cursor = 1100;
  progress_line(line, sizeof(line), &f, &c, 80.0);
  CHECK_STR(line, "pushed 0, pulled 9000 (0% of the feed), 128 records/s, "
                  "about 9 h 59 min left");
  /* Done: no time left shown. */
  f.cursor = 61000;
  progress_line(line, sizeof(line), &f, &c, 80.0);
  CHECK_STR(line, "pushed 0, pulled 9000 (100% of the feed), 128 records/s");
}

TEST(a_short_buffer_is_cut_not_overrun)
{
  struct progress_figures f = {500, 2000, 1200, 0, 400, 1000};
  struct progress_clock c = {100.0, 0};
  char line[12];

  progress_line(line, sizeof(line), &f, &c, 110.0);
  CHECK_STR(line, "pushed 500 ");
}
