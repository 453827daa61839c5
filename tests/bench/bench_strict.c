/*
 * bench_strict.c - the cost of the strict pass (json_strict_check, yajl)
 * on a push body: 1000 visit records of replica r1, as a device sends
 * them. Prints the seconds per body of the strict pass alone, of cJSON's
 * parse alone, and of push_req_decode whole (strict pass over the body,
 * then one record at a time: cJSON + record_from_json), and
 * the strict pass's share.
 */
#include "compat.h"

#include "bench_util.h"
#include "buf.h"
#include "json_strict.h"
#include "proto.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static char *push_body(size_t n)
{
  struct buf b;
  char fields[2048], id[32];
  size_t i;

  buf_init(&b);
  buf_adds(&b, "{\"records\":[");
  bench_rng_reset();
  for (i = 0; i < n; i++) {
    struct record r;
    struct sb_err err = {0};
    cJSON *f;
    char *state;
    bench_visit_fields(fields, sizeof(fields));
    snprintf(id, sizeof(id), "visit-%08zu", i);
    record_init(&r, "visits", id);
    f = cJSON_Parse(fields);
    if (f == NULL || record_put(&r, "0123456789abcdef", 1714550400000000ULL + i,
                                f, &err) != 0) {
      fprintf(stderr, "bench_strict: %s\n", err.msg);
      exit(1);
    }
    cJSON_Delete(f);
    state = record_encode(&r);
    if (i > 0)
      buf_adds(&b, ",");
    buf_adds(&b, state);
    free(state);
    record_release(&r);
  }
  buf_adds(&b, "]}");
  return buf_take(&b, NULL);
}

int main(void)
{
  char *body = push_body(1000);
  size_t len = strlen(body), i, rounds = 20;
  double t0, strict, parse, decode;

  t0 = bench_now_s();
  for (i = 0; i < rounds; i++) {
    if (json_strict_check(body, len, "body", NULL, NULL) != 0)
      return 1;
  }
  strict = (bench_now_s() - t0) / (double)rounds;
  t0 = bench_now_s();
  for (i = 0; i < rounds; i++)
    cJSON_Delete(cJSON_ParseWithLength(body, len));
  parse = (bench_now_s() - t0) / (double)rounds;
  t0 = bench_now_s();
  for (i = 0; i < rounds; i++) {
    struct push_req p;
    push_req_init(&p);
    if (push_req_decode(&p, body, len, NULL, NULL) != 0)
      return 1;
    push_req_release(&p);
  }
  decode = (bench_now_s() - t0) / (double)rounds;
  printf("push body of 1000 visits, %zu bytes:\n", len);
  printf("  strict pass (yajl)      %.2f ms\n", strict * 1e3);
  printf("  cJSON parse             %.2f ms (strict/cJSON = %.2f)\n",
         parse * 1e3, strict / parse);
  printf("  push_req_decode whole   %.2f ms (its strict pass = %.0f%%)\n",
         decode * 1e3, 100.0 * strict / decode);
  free(body);
  return 0;
}
