/*
 * bench_import.c - `sambang import` against the SQLite floor.
 *
 * Generates N visit records (~400 bytes of fields each, fixed seed) as
 * JSON Lines, then measures in one run:
 *   floor:  the same rows inserted by plain SQLite (prepared statement, one
 *           transaction, WAL, synchronous=FULL like the store) in-process;
 *   import: `sambang --db X import FILE` as a child process, wall time and
 *           peak RSS (wait4's ru_maxrss).
 * Peak memory is measured at N/10 and N to show it is flat in N.
 * Ratios against the floor are what to read: the machine is noisy.
 *
 * usage: bench_import SAMBANG_BINARY [N] [WORKDIR]
 */
#include "compat.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs argv, returns wall seconds; *maxrss_kb gets the child's peak RSS. */
static double run(char *const argv[], long *maxrss_kb)
{
  struct rusage ru;
  int status;
  double t0 = bench_now_s();
  pid_t pid = fork();
  if (pid == 0) {
    if (freopen("/dev/null", "w", stdout) == NULL)
      _exit(127);
    execv(argv[0], argv);
    _exit(127);
  }
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
    perror("fork/wait");
    exit(1);
  }
  t0 = bench_now_s() - t0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "%s failed (status %d)\n", argv[0], status);
    exit(1);
  }
  *maxrss_kb = ru.ru_maxrss;
  return t0;
}

static void remove_store(const char *db)
{
  char p[512];
  unlink(db);
  snprintf(p, sizeof(p), "%s-wal", db);
  unlink(p);
  snprintf(p, sizeof(p), "%s-shm", db);
  unlink(p);
}

/* init + import of n records; returns import seconds. */
static double sambang_import(const char *bin, const char *dir, size_t n,
                             long *rss)
{
  char db[512], data[512];
  long ignored;
  snprintf(db, sizeof(db), "%s/store-%zu.db", dir, n);
  snprintf(data, sizeof(data), "%s/visits-%zu.jsonl", dir, n);
  bench_visits_jsonl(data, n);
  remove_store(db);
  {
    char *init[] = {(char *)bin, "--db", db, "init", NULL};
    run(init, &ignored);
  }
  {
    char *imp[] = {(char *)bin, "--db", db, "import", data, NULL};
    return run(imp, rss);
  }
}

int main(int argc, char **argv)
{
  const char *bin, *dir;
  size_t n = 100000;
  char floor_db[512];
  double t_floor, t_import, t_small;
  long rss, rss_small;

  if (argc < 2) {
    fprintf(stderr, "usage: bench_import SAMBANG_BINARY [N] [WORKDIR]\n");
    return 2;
  }
  bin = argv[1];
  if (argc > 2)
    n = (size_t)strtoul(argv[2], NULL, 10);
  dir = argc > 3 ? argv[3] : "/tmp";
  snprintf(floor_db, sizeof(floor_db), "%s/floor.db", dir);

  t_small = sambang_import(bin, dir, n / 10, &rss_small);
  t_floor = bench_floor_insert(floor_db, n);
  if (t_floor < 0)
    return 1;
  t_import = sambang_import(bin, dir, n, &rss);
  remove_store(floor_db);

  printf("records                  %zu (~%d bytes of fields each)\n", n, 400);
  printf("sqlite floor             %.3f s  %.0f records/s\n", t_floor,
         (double)n / t_floor);
  printf("sambang import           %.3f s  %.0f records/s\n", t_import,
         (double)n / t_import);
  printf("import / floor speed     %.2f  (goal >= 0.50)\n", t_floor / t_import);
  printf("import peak RSS          %.1f MB at %zu records, %.1f MB at %zu "
         "(goal: flat, < 20 MB)\n",
         (double)rss_small / 1024, n / 10, (double)rss / 1024, n);
  (void)t_small;
  return 0;
}
