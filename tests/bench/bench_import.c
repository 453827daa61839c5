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

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *programmes[] = {"skills-handicraft",   "skills-cooking",
                                   "skills-business",     "child-education",
                                   "women-food-business", "stigma-awareness"};

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Writes the id and the fields object of visit i. */
static void make_visit(size_t i, char *id, size_t idlen, char *fields,
                       size_t flen)
{
  char notes[301];
  size_t k;
  for (k = 0; k < 300; k++)
    notes[k] = "abcdefghijklmnopqrstuvwxyz     "[rng() % 31];
  notes[300] = '\0';
  snprintf(id, idlen, "visit-%08zu", i);
  snprintf(fields, flen,
           "{\"beneficiary\":\"b-%06llu\",\"date\":\"2026-%02d-%02d\","
           "\"follow_up\":\"2027-01-15\",\"notes\":\"%s\",\"outcome\":"
           "\"enrolled\",\"programme\":\"%s\",\"willing\":true}",
           (unsigned long long)(rng() % 100000), (int)(rng() % 12) + 1,
           (int)(rng() % 28) + 1, notes, programmes[rng() % 6]);
}

static void write_jsonl(const char *path, size_t n)
{
  FILE *f = fopen(path, "w");
  char id[32], fields[1024];
  size_t i;
  if (f == NULL) {
    perror(path);
    exit(1);
  }
  rng_state = 0x9E3779B97F4A7C15ull;
  for (i = 0; i < n; i++) {
    make_visit(i, id, sizeof(id), fields, sizeof(fields));
    fprintf(f, "{\"collection\":\"visit\",\"fields\":%s,\"id\":\"%s\"}\n",
            fields, id);
  }
  fclose(f);
}

static void check_sqlite(int rc, sqlite3 *db, const char *what)
{
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
  }
}

/* Plain SQLite, one transaction: the floor. Returns seconds. */
static double floor_insert(const char *path, size_t n)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  char id[32], fields[1024];
  double t0;
  size_t i;

  unlink(path);
  check_sqlite(sqlite3_open(path, &db), db, "open");
  check_sqlite(sqlite3_exec(db,
                            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                            "CREATE TABLE visit(id TEXT PRIMARY KEY, fields "
                            "TEXT NOT NULL);",
                            NULL, NULL, NULL),
               db, "schema");
  check_sqlite(
      sqlite3_prepare_v2(db, "INSERT INTO visit VALUES(?,?)", -1, &st, NULL),
      db, "prepare");
  rng_state = 0x9E3779B97F4A7C15ull;
  t0 = now_s();
  check_sqlite(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db, "begin");
  for (i = 0; i < n; i++) {
    make_visit(i, id, sizeof(id), fields, sizeof(fields));
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fields, -1, SQLITE_STATIC);
    check_sqlite(sqlite3_step(st), db, "insert");
    sqlite3_reset(st);
  }
  check_sqlite(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
  t0 = now_s() - t0;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return t0;
}

/* Runs argv, returns wall seconds; *maxrss_kb gets the child's peak RSS. */
static double run(char *const argv[], long *maxrss_kb)
{
  struct rusage ru;
  int status;
  double t0 = now_s();
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
  t0 = now_s() - t0;
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
  write_jsonl(data, n);
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
  t_floor = floor_insert(floor_db, n);
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
