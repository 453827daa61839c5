/*
 * bench_page.c - the hub's cost of a gzip'd pull page: pages of N visit
 * states (bench_visit_fields rows, record_put by one replica, as the hub
 * stores them), encoded then gzip'd whole (changes_page_encode_horizon +
 * gzip_deflate, the path before) against gzip'd as encoded
 * (changes_page_gzip, 64 KB slices). Same bytes out (unit test
 * unit.proto.changes_page_gzip_same_bytes); prints ms per page of each,
 * alternating over rounds, and their ratio.
 *
 * usage: bench_page [N] [ITERATIONS]   (1000, 200)
 */
#include "compat.h"

#include "bench_util.h"
#include "gzip.h"
#include "proto.h"
#include "record.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n stored visit states, malloc'd. */
static char **make_states(size_t n)
{
  char **states = calloc(n, sizeof(*states));
  char fields[1024], id[32];
  size_t i;

  if (states == NULL)
    exit(1);
  for (i = 0; i < n; i++) {
    struct record r;
    struct sb_err err;
    cJSON *json;
    snprintf(id, sizeof(id), "visit-%08zu", i);
    bench_visit_fields(fields, sizeof(fields));
    json = cJSON_Parse(fields);
    record_init(&r, "visit", id);
    if (json == NULL ||
        record_put(&r, "5a00000000000001", 1796205900000000u + i, json, &err) !=
            0 ||
        (states[i] = record_encode(&r)) == NULL) {
      fprintf(stderr, "bench_page: making visit %zu failed\n", i);
      exit(1);
    }
    cJSON_Delete(json);
    record_release(&r);
  }
  return states;
}

int main(int argc, char **argv)
{
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
  int iters = argc > 2 ? atoi(argv[2]) : 200, round, it;
  uint64_t *seqs = calloc(n ? n : 1, sizeof(*seqs));
  char **states;
  size_t i, zwhole = 0, zstream = 0;

  if (n == 0 || iters <= 0 || seqs == NULL) {
    fprintf(stderr, "usage: bench_page [N >= 1] [ITERATIONS >= 1]\n");
    return 2;
  }
  states = make_states(n);
  for (i = 0; i < n; i++)
    seqs[i] = i + 1;
  for (round = 0; round < 3; round++) {
    double t0, t1, t2;
    t0 = bench_now_s();
    for (it = 0; it < iters; it++) {
      char *text = changes_page_encode_horizon(
          seqs, (const char *const *)states, NULL, n, true, n, NULL, 0);
      char *z = NULL;
      if (text == NULL ||
          gzip_deflate(text, strlen(text), &z, &zwhole, NULL) != 0)
        return 1;
      free(text);
      free(z);
    }
    t1 = bench_now_s();
    for (it = 0; it < iters; it++) {
      char *z = NULL;
      struct changes_page_head h = {true, n, NULL, 0, 0};
      if (changes_page_gzip(seqs, (const char *const *)states, NULL, n, &h, &z,
                            &zstream, NULL) != 0)
        return 1;
      free(z);
    }
    t2 = bench_now_s();
    printf("page of %zu: encode then gzip %.3f ms, gzip as encoded %.3f ms "
           "(%.2fx), %zu bytes each\n",
           n, (t1 - t0) * 1000 / iters, (t2 - t1) * 1000 / iters,
           (t1 - t0) / (t2 - t1), zwhole);
  }
  if (zwhole != zstream) {
    fprintf(stderr, "bench_page: the two paths made different sizes\n");
    return 1;
  }
  for (i = 0; i < n; i++)
    free(states[i]);
  free(states);
  free(seqs);
  return 0;
}
