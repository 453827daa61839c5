/* bench_util.c - shared pieces of the benchmarks (see bench_util.h). */
#include "compat.h"

#include "bench_util.h"

#include "buf.h"

#include "proto.h"
#include "record.h"

#include <cjson/cJSON.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_SEED 0x9E3779B97F4A7C15ull

static const char *const programmes[] = {
    "skills-handicraft", "skills-cooking",      "skills-business",
    "child-education",   "women-food-business", "stigma-awareness"};

static uint64_t rng_state = BENCH_SEED;

double bench_now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

uint64_t bench_rng(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

void bench_rng_reset(void)
{
  rng_state = BENCH_SEED;
}

void bench_visit_fields(char *fields, size_t flen)
{
  char notes[301];
  size_t k;
  for (k = 0; k < 300; k++)
    notes[k] = "abcdefghijklmnopqrstuvwxyz     "[bench_rng() % 31];
  notes[300] = '\0';
  snprintf(fields, flen,
           "{\"beneficiary\":\"b-%06llu\",\"date\":\"2026-%02d-%02d\","
           "\"follow_up\":\"2027-01-15\",\"notes\":\"%s\",\"outcome\":"
           "\"enrolled\",\"programme\":\"%s\",\"willing\":true}",
           (unsigned long long)(bench_rng() % 100000),
           (int)(bench_rng() % 12) + 1, (int)(bench_rng() % 28) + 1, notes,
           programmes[bench_rng() % 6]);
}

void bench_visits_jsonl(const char *path, size_t n)
{
  FILE *f = fopen(path, "w");
  char id[32], fields[1024];
  size_t i;
  if (f == NULL) {
    perror(path);
    exit(1);
  }
  bench_rng_reset();
  for (i = 0; i < n; i++) {
    snprintf(id, sizeof(id), "visit-%08zu", i);
    bench_visit_fields(fields, sizeof(fields));
    fprintf(f, "{\"collection\":\"visit\",\"fields\":%s,\"id\":\"%s\"}\n",
            fields, id);
  }
  if (fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

/* True (and a message on stderr) if rc is a failure. */
static bool sqlite_failed(int rc, sqlite3 *db, const char *what)
{
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
    return false;
  fprintf(stderr, "floor: sqlite %s: %s\n", what, sqlite3_errmsg(db));
  return true;
}

/* Runs sql on db; false (said on stderr) if it failed. */
static bool exec_ok(sqlite3 *db, const char *sql, const char *what)
{
  return !sqlite_failed(sqlite3_exec(db, sql, NULL, NULL, NULL), db, what);
}

/* Steps an INSERT with its values bound, then resets it for the next. */
static bool insert_ok(sqlite3 *db, sqlite3_stmt *st)
{
  bool ok = !sqlite_failed(sqlite3_step(st), db, "insert");
  sqlite3_reset(st);
  return ok;
}

/* A new floor database at path (WAL, synchronous=FULL, like a store):
 * schema run, the INSERT prepared into *st. False (said) on failure. */
static bool floor_open(const char *path, const char *schema, const char *insert,
                       sqlite3 **db, sqlite3_stmt **st)
{
  unlink(path);
  return !sqlite_failed(sqlite3_open(path, db), *db, "open") &&
         exec_ok(*db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                 "pragmas") &&
         exec_ok(*db, schema, "schema") &&
         !sqlite_failed(sqlite3_prepare_v2(*db, insert, -1, st, NULL), *db,
                        "prepare");
}

double bench_floor_insert(const char *path, size_t n)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  char id[32], fields[1024];
  double t = -1, t0;
  size_t i;

  if (!floor_open(path,
                  "CREATE TABLE visit(id TEXT PRIMARY KEY, fields TEXT NOT "
                  "NULL)",
                  "INSERT INTO visit VALUES(?,?)", &db, &st))
    goto done;
  bench_rng_reset();
  t0 = bench_now_s();
  if (!exec_ok(db, "BEGIN", "begin"))
    goto done;
  for (i = 0; i < n; i++) {
    snprintf(id, sizeof(id), "visit-%08zu", i);
    bench_visit_fields(fields, sizeof(fields));
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fields, -1, SQLITE_STATIC);
    if (!insert_ok(db, st))
      goto done;
  }
  if (!exec_ok(db, "COMMIT", "commit"))
    goto done;
  t = bench_now_s() - t0;
done:
  sqlite3_finalize(st);
  sqlite3_close(db);
  return t;
}

char *bench_push_body(const char *replica, const char *prefix, size_t first,
                      size_t n, uint64_t ts)
{
  struct record *recs = calloc(n, sizeof(*recs));
  const struct record **ptrs = calloc(n, sizeof(*ptrs));
  char id[SB_ID_MAX + 1], fields[1024];
  char *body;
  size_t i;

  if (recs == NULL || ptrs == NULL) {
    fprintf(stderr, "bench: out of memory\n");
    exit(1);
  }
  for (i = 0; i < n; i++) {
    struct sb_err err;
    cJSON *json;
    snprintf(id, sizeof(id), "%s%08zu", prefix, first + i);
    bench_visit_fields(fields, sizeof(fields));
    json = cJSON_Parse(fields);
    record_init(&recs[i], "visit", id);
    if (json == NULL ||
        record_put(&recs[i], replica, ts + i, json, &err) != 0) {
      fprintf(stderr, "bench: record_put %s failed\n", id);
      exit(1);
    }
    cJSON_Delete(json);
    ptrs[i] = &recs[i];
  }
  {
    struct buf b;
    buf_init(&b);
    buf_adds(&b, "{\"records\":[");
    for (i = 0; i < n; i++) {
      char *state = record_encode_compact(ptrs[i]);
      if (state == NULL || (i > 0 && buf_adds(&b, ",") != 0) ||
          buf_adds(&b, state) != 0)
        b.failed = true;
      free(state);
    }
    buf_adds(&b, "]}");
    body = b.failed ? NULL : buf_take(&b, NULL);
    if (body == NULL) {
      fprintf(stderr, "bench: out of memory\n");
      exit(1);
    }
  }
  for (i = 0; i < n; i++)
    record_release(&recs[i]);
  free(recs);
  free(ptrs);
  return body;
}

/* The rows of a records table, as SQLite values (floor_rows). */
struct rows {
  sqlite3_value **v; /* n * cols */
  size_t n, cols;
};

/* Reads the schema of table records (table and indexes, ';'-joined; not
 * its triggers, which keep the pending marks of another table) and its
 * rows from the store at path. */
static int rows_read(const char *path, char **schema, struct rows *r)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  struct buf sql;
  size_t cap = 0, k;
  int rc = 1;

  *schema = NULL;
  buf_init(&sql);
  memset(r, 0, sizeof(*r));
  if (sqlite_failed(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), db,
                    "open") ||
      sqlite_failed(sqlite3_prepare_v2(db,
                                       "SELECT sql FROM sqlite_master WHERE "
                                       "tbl_name = 'records' AND sql NOT NULL "
                                       "AND type IN ('table', 'index') "
                                       "ORDER BY type DESC",
                                       -1, &st, NULL),
                    db, "schema"))
    goto done;
  while (sqlite3_step(st) == SQLITE_ROW)
    if (buf_adds(&sql, (const char *)sqlite3_column_text(st, 0)) != 0 ||
        buf_adds(&sql, ";") != 0)
      goto done;
  *schema = sql.len > 0 ? buf_take(&sql, NULL) : NULL;
  sqlite3_finalize(st);
  st = NULL;
  if (sqlite_failed(
          sqlite3_prepare_v2(db, "SELECT * FROM records", -1, &st, NULL), db,
          "select"))
    goto done;
  r->cols = (size_t)sqlite3_column_count(st);
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (r->n == cap) {
      sqlite3_value **v;
      cap = cap ? 2 * cap : 1024;
      v = realloc(r->v, cap * r->cols * sizeof(*v));
      if (v == NULL)
        goto done;
      r->v = v;
    }
    for (k = 0; k < r->cols; k++)
      r->v[r->n * r->cols + k] =
          sqlite3_value_dup(sqlite3_column_value(st, (int)k));
    r->n++;
  }
  rc = *schema != NULL && r->n > 0 ? 0 : 1;
done:
  buf_release(&sql);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rc;
}

double bench_floor_rows(const char *store, const char *dir)
{
  char path[512] = "", *schema = NULL, *insert = NULL;
  struct rows r;
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  double t0, rate = -1;
  size_t i, k;

  if (rows_read(store, &schema, &r) != 0) {
    fprintf(stderr, "floor: cannot read the records of %s\n", store);
    goto done;
  }
  snprintf(path, sizeof(path), "%s/floor-rows.db", dir);
  insert = malloc(64 + 2 * r.cols);
  if (insert == NULL)
    goto done;
  strcpy(insert, "INSERT INTO records VALUES(?");
  for (k = 1; k < r.cols; k++)
    strcat(insert, ",?");
  strcat(insert, ")");
  if (!floor_open(path, schema, insert, &db, &st))
    goto done;
  t0 = bench_now_s();
  if (!exec_ok(db, "BEGIN", "begin"))
    goto done;
  for (i = 0; i < r.n; i++) {
    for (k = 0; k < r.cols; k++)
      sqlite3_bind_value(st, (int)k + 1, r.v[i * r.cols + k]);
    if (!insert_ok(db, st))
      goto done;
  }
  if (!exec_ok(db, "COMMIT", "commit"))
    goto done;
  rate = (double)r.n / (bench_now_s() - t0);
done:
  sqlite3_finalize(st);
  sqlite3_close(db);
  for (i = 0; i < r.n * r.cols; i++)
    sqlite3_value_free(r.v[i]);
  free(r.v);
  free(schema);
  free(insert);
  if (path[0] != '\0')
    unlink(path);
  return rate;
}
