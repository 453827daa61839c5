/* date.c - dates as people type them (see date.h). */
#include "compat.h"

#include "date.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

bool date_valid(const char *s)
{
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int i, y, m, d, last;
  for (i = 0; i < 10; i++) {
    if (i == 4 || i == 7) {
      if (s[i] != '-')
        return false;
    } else if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  if (s[10] != '\0')
    return false;
  y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
      (s[3] - '0');
  m = (s[5] - '0') * 10 + (s[6] - '0');
  d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1 || m < 1 || m > 12 || d < 1)
    return false;
  last = mdays[m - 1];
  if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
    last = 29;
  return d <= last;
}

/* ASCII case-insensitive: text (len bytes) is word. */
static bool word_is(const char *text, size_t len, const char *word)
{
  size_t i;
  if (strlen(word) != len)
    return false;
  for (i = 0; i < len; i++) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != word[i])
      return false;
  }
  return true;
}

/* The local date days_back days before now. */
static int local_day(time_t now, int days_back, char out[DATE_SIZE])
{
  struct tm tm;
  if (localtime_r(&now, &tm) == NULL)
    return SB_EINVAL;
  /* Noon, so a daylight-saving change cannot move the day. */
  tm.tm_hour = 12;
  tm.tm_min = tm.tm_sec = 0;
  tm.tm_mday -= days_back;
  tm.tm_isdst = -1;
  if (mktime(&tm) == (time_t)-1 ||
      strftime(out, DATE_SIZE, "%Y-%m-%d", &tm) != DATE_SIZE - 1)
    return SB_EINVAL;
  return 0;
}

/* 1-2 digits at *p, then sep; advances *p past sep. -1 if not so. */
static int small_number(const char **p, char sep)
{
  int n = 0, k = 0;
  while (k < 2 && **p >= '0' && **p <= '9') {
    n = n * 10 + (**p - '0');
    (*p)++;
    k++;
  }
  if (k == 0 || **p != sep)
    return -1;
  (*p)++;
  return n;
}

/* DD/MM/YYYY (or D/M/YYYY) as YYYY-MM-DD, if it is a real date. */
static int slash_date(const char *s, size_t len, char out[DATE_SIZE])
{
  char buf[16];
  const char *p = buf;
  int d, m, i;

  if (len >= sizeof(buf))
    return SB_EINVAL;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if ((d = small_number(&p, '/')) < 0 || (m = small_number(&p, '/')) < 0)
    return SB_EINVAL;
  for (i = 0; i < 4; i++) {
    if (p[i] < '0' || p[i] > '9')
      return SB_EINVAL;
  }
  if (p[4] != '\0')
    return SB_EINVAL;
  snprintf(out, DATE_SIZE, "%.4s-%02u-%02u", p, (unsigned)m % 100u,
           (unsigned)d % 100u);
  return date_valid(out) ? 0 : SB_EINVAL;
}

int date_from_text(const char *text, time_t now, char out[DATE_SIZE])
{
  const char *s = text;
  size_t len;
  int rc = SB_EINVAL;

  out[0] = '\0';
  while (*s == ' ' || *s == '\t')
    s++;
  len = strlen(s);
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  if (word_is(s, len, "today") || word_is(s, len, "hari ini"))
    rc = local_day(now, 0, out);
  else if (word_is(s, len, "yesterday") || word_is(s, len, "kemarin"))
    rc = local_day(now, 1, out);
  else if (len == 10 && s[4] == '-') {
    memcpy(out, s, 10);
    out[10] = '\0';
    rc = date_valid(out) ? 0 : SB_EINVAL;
  } else if (memchr(s, '/', len) != NULL)
    rc = slash_date(s, len, out);
  if (rc != 0)
    out[0] = '\0';
  return rc;
}
