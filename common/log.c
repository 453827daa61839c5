/*
 * log.c - log lines on stderr (see log.h).
 *
 * Each line is formatted into one buffer and written with a single
 * fwrite, so lines from several threads do not interleave.
 */
#include "compat.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The name shown on a terminal for level. */
static const char *level_name(enum log_level level)
{
  switch (level) {
  case LOG_LEVEL_ERROR:
    return "error";
  case LOG_LEVEL_WARN:
    return "warning";
  case LOG_LEVEL_INFO:
    return "info";
  }
  return "info";
}

void log_msg(enum log_level level, const char *fmt, ...)
{
  char line[2048];
  va_list ap;
  int n;

  if (getenv("JOURNAL_STREAM") != NULL)
    n = snprintf(line, sizeof(line), "<%d>", (int)level);
  else
    n = snprintf(line, sizeof(line), "%s: ", level_name(level));
  if (n < 0 || (size_t)n >= sizeof(line))
    return;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
  va_end(ap);
  n = 0;
  while (line[n] != '\0')
    n++;
  line[n++] = '\n';
  fwrite(line, 1, (size_t)n, stderr);
  fflush(stderr);
}
