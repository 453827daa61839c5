/* test_date.c - dates as people type them (common/date.c). */
#include "check.h"

#include "date.h"
#include "err.h"

#include <stdlib.h>

/* 2026-03-01 10:00 local time (TZ is set to UTC by the test). */
static time_t march_first(void)
{
  struct tm tm = {
      .tm_year = 126, .tm_mon = 2, .tm_mday = 1, .tm_hour = 10, .tm_isdst = -1};
  return mktime(&tm);
}

TEST(canonical_and_slash_forms)
{
  char out[DATE_SIZE];
  time_t now = march_first();

  CHECK_INT(date_from_text("2026-11-05", now, out), ==, 0);
  CHECK_STR(out, "2026-11-05");
  CHECK_INT(date_from_text(" 05/11/2026 ", now, out), ==, 0);
  CHECK_STR(out, "2026-11-05");
  CHECK_INT(date_from_text("5/1/2026", now, out), ==, 0);
  CHECK_STR(out, "2026-01-05");
  CHECK_INT(date_from_text("29/02/2024", now, out), ==, 0);
  CHECK_STR(out, "2024-02-29");
}

TEST(words_are_local_days)
{
  char out[DATE_SIZE];
  time_t now;

  setenv("TZ", "UTC", 1);
  tzset();
  now = march_first();
  CHECK_INT(date_from_text("today", now, out), ==, 0);
  CHECK_STR(out, "2026-03-01");
  CHECK_INT(date_from_text("Hari Ini", now, out), ==, 0);
  CHECK_STR(out, "2026-03-01");
  /* across a month end (and 2026 is not a leap year) */
  CHECK_INT(date_from_text("yesterday", now, out), ==, 0);
  CHECK_STR(out, "2026-02-28");
  CHECK_INT(date_from_text("KEMARIN", now, out), ==, 0);
  CHECK_STR(out, "2026-02-28");
}

TEST(bad_dates_are_refused)
{
  static const char *const bad[] = {
      "31/02/2026", "2026-13-01", "2026-02-29", "00/01/2026",  "1/13/2026",
      "2026/11/05", "05-11-2026", "5/11/26",    "123/1/2026",  "",
      "tomorrow",   "hari",       "2026-11-5",  "05/11/2026x", "05//2026"};
  char out[DATE_SIZE];
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_INT(date_from_text(bad[i], march_first(), out), ==, SB_EINVAL);
    CHECK_STR(out, "");
  }
}
