/*
 * bench_merge.c - record_merge throughput against copying the same state.
 *
 * Pre-builds N pairs of states of one record (10 fields of ~40-byte
 * values, replica ids as made by `init`) for three cases:
 *   concurrent: both sides rewrote 5 fields since a common base, 2 of them
 *               the same (so those become siblings);
 *   newer:      the incoming state descends from ours (the usual pull);
 *   duplicate:  the incoming state equals ours (a retried push).
 * Then times, per case, record_merge(into, from) alone (the `into` copies
 * are made outside the timed loop), and in the same run two baselines over
 * the same states: memcpy of the encoded incoming state, and record_copy
 * (the deep copy every merge of a stored state needs anyway). Ratios are
 * what to read; the machine is noisy. field-merges/s = merges/s * fields.
 *
 * usage: bench_merge [N] [ROUNDS]   (default 5000 pairs, 20 rounds)
 */
#include "compat.h"

#include "bench_util.h"

#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIELDS 10

static const char *const A = "3f9c2a7d1e604b85";
static const char *const B = "b71e05c4d2a98f36";
static const char *const OFFICE = "0a1b2c3d4e5f6071";

static void die(const char *what)
{
  fprintf(stderr, "bench_merge: %s\n", what);
  exit(1);
}

/* A put on replica of fields [from, to) with ~40-byte random values. */
static void put(struct record *r, const char *replica, uint64_t ts, int from,
                int to)
{
  cJSON *o = cJSON_CreateObject();
  int f;
  if (o == NULL)
    die("out of memory");
  for (f = from; f < to; f++) {
    char name[16], value[41];
    size_t k;
    for (k = 0; k < 40; k++)
      value[k] = "abcdefghijklmnopqrstuvwxyz      "[bench_rng() % 32];
    value[40] = '\0';
    snprintf(name, sizeof(name), "field_%02d", f % FIELDS);
    if (cJSON_AddStringToObject(o, name, value) == NULL)
      die("out of memory");
  }
  if (record_put(r, replica, ts, o, NULL) != 0)
    die("record_put failed");
  cJSON_Delete(o);
}

struct pair {
  struct record ours, theirs;
  char *theirs_text; /* encoded incoming state (memcpy baseline) */
  size_t theirs_len;
};

enum scenario { CONCURRENT, NEWER, DUPLICATE, NSCENARIOS };
static const char *const scenario_name[] = {"concurrent", "newer", "duplicate"};

static void make_pair(struct pair *p, enum scenario s, size_t i)
{
  uint64_t ts = 1760000000000000ull + i * 10;
  char id[40];
  snprintf(id, sizeof(id), "visit-%08zu", i);
  record_init(&p->ours, "visit", id);
  put(&p->ours, OFFICE, ts, 0, FIELDS); /* the common base */
  if (record_copy(&p->theirs, &p->ours) != 0)
    die("out of memory");
  switch (s) {
  case CONCURRENT:
    put(&p->ours, A, ts + 1, 0, 5);
    put(&p->theirs, B, ts + 2, 3, 8);
    break;
  case NEWER:
    put(&p->theirs, B, ts + 2, 3, 8);
    put(&p->theirs, A, ts + 3, 0, 2);
    break;
  case DUPLICATE:
    put(&p->ours, A, ts + 1, 0, 5);
    record_release(&p->theirs);
    if (record_copy(&p->theirs, &p->ours) != 0)
      die("out of memory");
    break;
  default:
    break;
  }
  p->theirs_text = record_encode(&p->theirs);
  if (p->theirs_text == NULL)
    die("out of memory");
  p->theirs_len = strlen(p->theirs_text);
}

struct timing {
  double memcpy_s, copy_s, merge_s;
  size_t bytes;
};

static void run(struct pair *p, size_t n, int rounds, enum scenario s,
                struct timing *t)
{
  struct record *into = calloc(n, sizeof(*into));
  char *buf = malloc(1 << 16);
  volatile unsigned sink = 0;
  size_t i;
  int r;

  if (into == NULL || buf == NULL)
    die("out of memory");
  memset(t, 0, sizeof(*t));
  for (i = 0; i < n; i++)
    t->bytes += p[i].theirs_len;
  for (r = 0; r < rounds; r++) {
    double t0 = bench_now_s();
    for (i = 0; i < n; i++) {
      memcpy(buf, p[i].theirs_text, p[i].theirs_len);
      sink += (unsigned char)buf[p[i].theirs_len / 2];
    }
    t->memcpy_s += bench_now_s() - t0;

    t0 = bench_now_s();
    for (i = 0; i < n; i++) {
      if (record_copy(&into[i], &p[i].ours) != 0)
        die("out of memory");
    }
    t->copy_s += bench_now_s() - t0;

    t0 = bench_now_s();
    for (i = 0; i < n; i++) {
      if (record_merge(&into[i], &p[i].theirs) != 0)
        die("record_merge failed");
    }
    t->merge_s += bench_now_s() - t0;

    /* The result is what it should be (untimed). */
    for (i = 0; i < n; i++) {
      size_t siblings = 0, f;
      if (record_nfields(&into[i]) != FIELDS)
        die("merge lost a field");
      for (f = 0; f < FIELDS; f++)
        siblings += record_field_nentries(record_field_at(&into[i], f)) > 1;
      if (siblings != (s == CONCURRENT ? 2 : 0))
        die("unexpected siblings");
      record_release(&into[i]);
    }
  }
  (void)sink;
  free(buf);
  free(into);
}

static void row(const char *scenario, const char *op, double secs, size_t ops,
                double baseline)
{
  double per_s = (double)ops / secs;
  printf("%-11s %-16s %12.0f %14.0f %9.0f %8.2f\n", scenario, op, per_s,
         per_s * FIELDS, secs / (double)ops * 1e9, secs / baseline);
}

int main(int argc, char **argv)
{
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 5000;
  int rounds = argc > 2 ? atoi(argv[2]) : 20;
  int s;

  if (n == 0 || rounds <= 0)
    die("usage: bench_merge [N] [ROUNDS]");
  printf("bench_merge: %zu pairs x %d rounds, %d fields of 40-byte values\n", n,
         rounds, FIELDS);
  printf("%-11s %-16s %12s %14s %9s %8s\n", "case", "op", "ops/s",
         "field-ops/s", "ns/op", "x copy");
  for (s = 0; s < NSCENARIOS; s++) {
    struct pair *p = calloc(n, sizeof(*p));
    struct timing t;
    size_t i, ops = n * (size_t)rounds;
    if (p == NULL)
      die("out of memory");
    for (i = 0; i < n; i++)
      make_pair(&p[i], (enum scenario)s, i);
    run(p, n, rounds, (enum scenario)s, &t);
    row(scenario_name[s], "memcpy(encoded)", t.memcpy_s, ops, t.copy_s);
    row(scenario_name[s], "record_copy", t.copy_s, ops, t.copy_s);
    row(scenario_name[s], "record_merge", t.merge_s, ops, t.copy_s);
    if (s == 0)
      printf("%-11s (encoded incoming state: %zu bytes on average)\n", "",
             t.bytes / n);
    for (i = 0; i < n; i++) {
      record_release(&p[i].ours);
      record_release(&p[i].theirs);
      free(p[i].theirs_text);
    }
    free(p);
  }
  return 0;
}
