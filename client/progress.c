/*
 * progress.c - the progress line of `sambang sync` (progress.h). The time
 * left is estimated from the phase running: the pushes at the rate they
 * went so far, or the feed at the pace its cursor moved since it first
 * did (feed numbers, not records: a scoped device passes over numbers
 * that are not its own, and they count as done).
 */
#include "compat.h"

#include "progress.h"

#include "i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Estimates shorter than this since the start are too noisy to show. */
#define SETTLE_S 1.0

double progress_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends printf-style text at *at, within size. */
static void add(char *out, size_t size, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add(char *out, size_t size, size_t *at, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (*at >= size)
    return;
  va_start(ap, fmt);
  n = vsnprintf(out + *at, size - *at, fmt, ap);
  va_end(ap);
  if (n > 0)
    *at += (size_t)n < size - *at ? (size_t)n : size - *at - 1;
}

static unsigned percent(uint64_t part, uint64_t whole)
{
  return whole == 0 ? 0 : (unsigned)(part >= whole ? 100 : part * 100 / whole);
}

/* A duration as people read it: "45 s", "12 min", "2 h 05 min". */
static void duration(char *out, size_t size, double s)
{
  unsigned long v = s < 0 ? 0 : (unsigned long)(s + 0.5);

  if (v < 90)
    snprintf(out, size, _("%lu s"), v);
  else if (v < 90 * 60)
    snprintf(out, size, _("%lu min"), (v + 30) / 60);
  else
    snprintf(out, size, _("%lu h %02lu min"), v / 3600, v % 3600 / 60);
}

/* Seconds left, or a negative number when it cannot be told. */
static double time_left(const struct progress_figures *f,
                        const struct progress_clock *c, double now)
{
  if (f->pushed < f->push_total)
    return f->pushed == 0
               ? -1
               : (now - c->start) * (double)(f->push_total - f->pushed) /
                     (double)f->pushed;
  if (f->feed_last > f->feed_base && f->cursor > f->feed_base &&
      f->cursor < f->feed_last && c->pull_from > 0) {
    double done = (double)(f->cursor - f->feed_base);
    double left = (double)(f->feed_last - f->cursor);
    return (now - c->pull_from) * left / done;
  }
  return -1;
}

void progress_line(char *out, size_t size, const struct progress_figures *f,
                   const struct progress_clock *c, double now)
{
  struct progress_figures g;
  size_t at = 0;
  double elapsed = now - c->start, left;

  if (size == 0)
    return;
  out[0] = '\0';
  if (f->cursor < f->feed_base) { /* a pull from 0 again (older engines) */
    g = *f;
    g.feed_base = g.cursor;
    f = &g;
  }
  if (f->push_total > 0)
    add(out, size, &at, _("pushed %llu of %llu (%u%%)"),
        (unsigned long long)f->pushed, (unsigned long long)f->push_total,
        percent(f->pushed, f->push_total));
  else
    add(out, size, &at, _("pushed %llu"), (unsigned long long)f->pushed);
  add(out, size, &at, ", ");
  if (f->feed_last > f->feed_base)
    add(out, size, &at, _("pulled %llu (%u%% of the feed)"),
        (unsigned long long)f->pulled,
        percent(f->cursor - f->feed_base, f->feed_last - f->feed_base));
  else
    add(out, size, &at, _("pulled %llu"), (unsigned long long)f->pulled);
  if (elapsed < SETTLE_S)
    return;
  add(out, size, &at, _(", %llu records/s"),
      (unsigned long long)((double)(f->pushed + f->pulled) / elapsed));
  left = time_left(f, c, now);
  if (left >= 0) {
    char d[32];
    duration(d, sizeof(d), left);
    add(out, size, &at, _(", about %s left"), d);
  }
}
