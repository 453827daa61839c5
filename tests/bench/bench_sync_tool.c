/*
 * bench_sync_tool.c - the measuring parts of tests/bench/bench_sync.sh.
 *
 *   bench_sync_tool rows N FILE
 *       N visit rows (~400 bytes of fields) as `sambang import` JSON Lines.
 *   bench_sync_tool floor N DIR
 *       the same rows inserted by plain SQLite in one transaction; prints
 *       the rows per second.
 *   bench_sync_tool floor-rows STORE DIR
 *       a second floor: the rows of STORE's records table, exactly as the
 *       device holds them (its states, with their version vectors, and its
 *       table's indexes), read into memory, then inserted by plain SQLite
 *       into a table of the same schema in one transaction; prints the
 *       rows per second.
 *   bench_sync_tool propagate SAMBANG DB_A DB_B N
 *       N times: runs `sambang --db DB_A put notes ID {...}` and polls
 *       DB_B (read-only SQLite, every 200 us) until the record is there;
 *       prints the median and p99 of put-to-readable, in ms.
 */
#include "compat.h"

#include "bench_util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void)
{
  fprintf(stderr, "usage: bench_sync_tool rows N FILE | floor N DIR | "
                  "floor-rows STORE DIR | propagate SAMBANG DB_A DB_B N\n");
  return 2;
}

static size_t count_arg(const char *s)
{
  char *end;
  unsigned long long n = strtoull(s, &end, 10);
  if (*s == '\0' || *end != '\0' || n == 0 || n > 100000000) {
    fprintf(stderr, "bench_sync_tool: bad count \"%s\"\n", s);
    exit(2);
  }
  return (size_t)n;
}

static int floor_rate(size_t n, const char *dir)
{
  char path[512];
  double t;
  snprintf(path, sizeof(path), "%s/floor.db", dir);
  t = bench_floor_insert(path, n);
  if (t <= 0)
    return 1;
  printf("%.0f\n", (double)n / t);
  return 0;
}

static int floor_rows(const char *store, const char *dir)
{
  double rate = bench_floor_rows(store, dir);
  if (rate <= 0)
    return 1;
  printf("%.0f\n", rate);
  return 0;
}

/* Starts `sambang --db db put notes id fields` without waiting. */
static pid_t spawn_put(const char *sambang, const char *db, const char *id,
                       const char *fields)
{
  pid_t pid = fork();
  if (pid == 0) {
    if (freopen("/dev/null", "w", stdout) == NULL)
      _exit(127);
    execl(sambang, sambang, "--db", db, "put", "notes", id, fields,
          (char *)NULL);
    _exit(127);
  }
  return pid;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int propagate(const char *sambang, const char *db_a, const char *db_b,
                     size_t n)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  double *ms = calloc(n, sizeof(*ms));
  char id[64], fields[128];
  size_t i;
  int rc = 1;

  if (ms == NULL ||
      sqlite3_open_v2(db_b, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "SELECT 1 FROM records WHERE collection = 'notes'"
                         " AND id = ?1",
                         -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "bench_sync_tool: cannot read %s\n", db_b);
    goto done;
  }
  for (i = 0; i < n; i++) {
    double t0 = bench_now_s(), deadline = t0 + 30;
    int status;
    bool seen = false, reaped = false;
    pid_t pid;

    snprintf(id, sizeof(id), "prop-%d-%zu", (int)getpid(), i);
    snprintf(fields, sizeof(fields), "{\"i\":%zu}", i);
    pid = spawn_put(sambang, db_a, id, fields);
    if (pid < 0)
      goto done;
    while (!seen && bench_now_s() < deadline) {
      sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
      seen = sqlite3_step(st) == SQLITE_ROW;
      sqlite3_reset(st);
      if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
        reaped = true;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          fprintf(stderr, "bench_sync_tool: sambang put failed\n");
          goto done;
        }
      }
      if (!seen)
        usleep(200);
    }
    ms[i] = (bench_now_s() - t0) * 1000;
    if (!reaped)
      waitpid(pid, &status, 0);
    if (!seen) {
      fprintf(stderr, "bench_sync_tool: %s never reached %s\n", id, db_b);
      goto done;
    }
  }
  qsort(ms, n, sizeof(*ms), cmp_double);
  printf("%.1f %.1f\n", ms[n / 2],
         ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
  rc = 0;
done:
  sqlite3_finalize(st);
  sqlite3_close(db);
  free(ms);
  return rc;
}

int main(int argc, char **argv)
{
  if (argc == 4 && strcmp(argv[1], "rows") == 0) {
    bench_visits_jsonl(argv[3], count_arg(argv[2]));
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "floor") == 0)
    return floor_rate(count_arg(argv[2]), argv[3]);
  if (argc == 4 && strcmp(argv[1], "floor-rows") == 0)
    return floor_rows(argv[2], argv[3]);
  if (argc == 6 && strcmp(argv[1], "propagate") == 0)
    return propagate(argv[2], argv[3], argv[4], count_arg(argv[5]));
  return usage();
}
