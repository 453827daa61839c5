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

/* Copies text into out (at least 4 * strlen(text) + 2 bytes) with every
 * control byte written as \xNN, then a newline; returns the length. A
 * line holds what requests brought (a path unescaped by the HTTP server,
 * a name): a "%0a" in one must not start a line of its own (a forged
 * entry in the log or the journal), nor an escape sequence reach a
 * terminal. UTF-8 is kept as it is. */
static size_t escape_controls(const char *text, char *out)
{
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;

  for (; *text != '\0'; text++) {
    unsigned char c = (unsigned char)*text;
    if (c < 0x20 || c == 0x7f) {
      out[n++] = '\\';
      out[n++] = 'x';
      out[n++] = hex[c >> 4];
      out[n++] = hex[c & 15];
    } else {
      out[n++] = (char)c;
    }
  }
  out[n++] = '\n';
  return n;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
  char line[2048], out[4 * sizeof(line) + 2];
  va_list ap;
  size_t len;
  int n;

  if (getenv("JOURNAL_STREAM") != NULL)
    n = snprintf(line, sizeof(line), "<%d>", (int)level);
  else
    n = snprintf(line, sizeof(line), "%s: ", level_name(level));
  if (n < 0 || (size_t)n >= sizeof(line))
    return;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
  va_end(ap);
  len = escape_controls(line, out);
  fwrite(out, 1, len, stderr);
  fflush(stderr);
}
