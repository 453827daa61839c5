/*
 * store_check.c - corruption fails closed (see store.h).
 *
 * A damaged page must not be written around: SQLite only reports the
 * pages a statement touches, so a write to a sound page of a damaged file
 * would succeed and spread a store nobody can trust. Once anything reports
 * damage the store is marked: in memory, and in the file PATH.corrupt
 * beside it (a row in the database is no use when the database is what is
 * broken). A marked store refuses every write until a full integrity
 * check, run to its end, finds nothing; the mark is then removed.
 *
 * The checks are SQLite's own (PRAGMA quick_check, integrity_check), with
 * a progress handler that stops them at a time budget, so a huge store
 * costs a bounded delay at start and is reported as not checked fully.
 */
#include "compat.h"

#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MARK_SUFFIX ".corrupt"
#define CHECK_ENV "SAMBANG_CHECK_MS"
#define WHY_MAX 400
/* Virtual machine steps between two looks at the clock. */
#define PROGRESS_STEPS 10000

static void mark_path(const struct store *s, char *out, size_t n)
{
  snprintf(out, n, "%s%s", s->path, MARK_SUFFIX);
}

void store_mark_corrupt(struct store *s, const char *why)
{
  char path[PATH_MAX + 16], line[WHY_MAX + 2];
  struct stat sb;
  int fd, len;

  if (!s->ours)
    return;
  s->corrupt = true;
  s->check = STORE_CHECK_BAD;
  mark_path(s, path, sizeof(path));
  if (lstat(path, &sb) == 0)
    return; /* keep the first reason */
  /* A failure here leaves the mark in memory only: this process still
   * refuses writes, and the next one finds the damage again. */
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return;
  len = snprintf(line, sizeof(line), "%.*s\n", WHY_MAX,
                 why != NULL && why[0] != '\0' ? why : "damaged pages");
  if (len > 0 && write(fd, line, (size_t)len) == len)
    fsync(fd);
  close(fd);
}

/* Removes the mark (a full check found nothing, or a new store). */
void store_mark_clear(struct store *s)
{
  char path[PATH_MAX + 16];

  mark_path(s, path, sizeof(path));
  if (unlink(path) == 0 || errno == ENOENT)
    s->corrupt = false;
}

bool store_corrupt(struct store *s, char *why, size_t n)
{
  char path[PATH_MAX + 16], line[WHY_MAX + 2];
  FILE *f;
  bool marked;

  if (why != NULL && n > 0)
    why[0] = '\0';
  mark_path(s, path, sizeof(path));
  f = fopen(path, "re");
  marked = f != NULL || s->corrupt;
  if (f != NULL) {
    if (fgets(line, sizeof(line), f) != NULL && why != NULL && n > 0) {
      line[strcspn(line, "\r\n")] = '\0';
      snprintf(why, n, "%s", line);
    }
    fclose(f);
  }
  if (marked && why != NULL && n > 0 && why[0] == '\0')
    snprintf(why, n, "damaged pages");
  if (marked)
    s->check = STORE_CHECK_BAD;
  return marked;
}

int store_refuse_if_corrupt(struct store *s, struct sb_err *err)
{
  char why[WHY_MAX + 2];

  if (!store_corrupt(s, why, sizeof(why)))
    return 0;
  return sb_err_set(err, SB_ECORRUPT,
                    "store %s is corrupt (%s); writes are refused until "
                    "`sambang check` (on a hub: `sambang-hub check`) passes; "
                    "`sambang recover` rebuilds a device's store from the hub",
                    s->path, why);
}

enum store_check_state store_check_state(struct store *s)
{
  if (store_corrupt(s, NULL, 0))
    return STORE_CHECK_BAD;
  return s->check;
}

int store_check_budget(int *ms, struct sb_err *err)
{
  return store_env_ms(CHECK_ENV, STORE_CHECK_BUDGET_MS, ms, err);
}

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The progress handler: non-zero (interrupt) once the deadline passed. */
static int past_deadline(void *ctx)
{
  return now_ms() >= *(const uint64_t *)ctx;
}

/* A check in progress. */
struct check_run {
  unsigned problems;
  char first[WHY_MAX + 2];
  store_problem_fn fn;
  void *ctx;
};

static int problem_line(struct check_run *r, const char *text)
{
  if (r->problems++ == 0)
    snprintf(r->first, sizeof(r->first), "%s", text);
  return r->fn != NULL ? r->fn(text, r->ctx) : 0;
}

/* One problem per line of text; SQLite's "*** in database main ***"
 * headers are not problems of their own. */
static int problem(struct check_run *r, const char *text)
{
  char line[WHY_MAX + 2];
  int rc = 0;

  while (rc == 0 && *text != '\0') {
    size_t n = strcspn(text, "\n");
    if (n > 0 && strncmp(text, "*** in database ", 16) != 0) {
      snprintf(line, sizeof(line), "%.*s", (int)(n < WHY_MAX ? n : WHY_MAX),
               text);
      rc = problem_line(r, line);
    }
    text += n;
    if (*text == '\n')
      text++;
  }
  return rc;
}

/* Steps the check statement; *stopped if the budget ran out. */
static int check_steps(struct store *s, sqlite3_stmt *st, struct check_run *r,
                       bool *stopped, struct sb_err *err)
{
  int rc;

  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *text = (const char *)sqlite3_column_text(st, 0);
    if (text != NULL && strcmp(text, "ok") == 0)
      continue;
    rc = problem(r, text != NULL ? text : "(no text)");
    if (rc != 0)
      return rc;
  }
  switch (rc & 0xff) {
  case SQLITE_DONE:
    return 0;
  case SQLITE_INTERRUPT:
    *stopped = true;
    return 0;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return problem(r, sqlite3_errmsg(s->db));
  default:
    return store_sqlerr(s, rc, "checking the store", err);
  }
}

int store_check(struct store *s, enum store_check_level level, int budget_ms,
                store_problem_fn fn, void *ctx, enum store_check_state *state,
                struct sb_err *err)
{
  struct check_run r = {0, "", fn, ctx};
  sqlite3_stmt *st = NULL;
  uint64_t deadline;
  bool stopped = false;
  int rc;

  if (state != NULL)
    *state = STORE_UNCHECKED;
  if (level == STORE_CHECK_MARK) {
    if (state != NULL)
      *state = store_check_state(s);
    return store_refuse_if_corrupt(s, err);
  }
  if (s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: cannot check inside a "
                      "transaction",
                      s->path);
  rc = sqlite3_prepare_v2(s->db,
                          level == STORE_CHECK_FULL ? "PRAGMA integrity_check"
                                                    : "PRAGMA quick_check",
                          -1, &st, NULL);
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB)
      return store_sqlerr(s, rc, "checking the store", err);
    rc = problem(&r, sqlite3_errmsg(s->db));
  } else {
    deadline = now_ms() + (uint64_t)budget_ms;
    if (budget_ms > 0)
      sqlite3_progress_handler(s->db, PROGRESS_STEPS, past_deadline, &deadline);
    rc = check_steps(s, st, &r, &stopped, err);
    sqlite3_progress_handler(s->db, 0, NULL, NULL);
    sqlite3_finalize(st);
  }
  if (rc != 0)
    return rc;
  if (r.problems > 0) {
    store_mark_corrupt(s, r.first);
    s->check = STORE_CHECK_BAD;
  } else {
    s->check = stopped ? STORE_CHECK_PARTIAL : STORE_CHECK_OK;
    if (level == STORE_CHECK_FULL && !stopped)
      store_mark_clear(s);
  }
  if (state != NULL)
    *state = store_check_state(s);
  if (r.problems > 0) {
    /* The mark file may hold an older reason: name what this check saw. */
    return sb_err_set(err, SB_ECORRUPT,
                      "store %s is corrupt (%u problem%s, first: %s); writes "
                      "are refused until `sambang check` (on a hub: "
                      "`sambang-hub check`) passes; `sambang recover` "
                      "rebuilds a device's store from the hub",
                      s->path, r.problems, r.problems == 1 ? "" : "s", r.first);
  }
  return store_refuse_if_corrupt(s, err);
}
