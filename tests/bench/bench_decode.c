/*
 * bench_decode.c - decode time of 10,000 visit records three ways, in one
 * run, median of 7 rounds (interleaved): (a) without a tree, yajl events
 * straight into struct record (push_req_decode, changes_page_decode,
 * record_decode: what the hub and the device use); the cJSON-tree path
 * they replaced (*_decode_tree) with (b) an arena allocator behind
 * cJSON_InitHooks and (c) plain malloc. A push carries at most
 * PROTO_MAX_BATCH records and a page PROTO_MAX_PAGE, so 10,000 records are
 * 10 bodies of 1,000; the store's rows are 10,000 single states; the
 * hub's replies to the 10 pushes (push_reply_decode, on the device).
 */
#include "compat.h"

#include "bench_util.h"
#include "buf.h"
#include "proto.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define NREC 10000
#define PER 1000
#define ROUNDS 7

/* --- the arena (option b) ---------------------------------------------- */

static char *arena;
static size_t arena_used, arena_cap = (size_t)256 << 20;

static void *arena_alloc(size_t n)
{
  void *p;
  n = (n + 15) & ~(size_t)15;
  if (arena_used + n > arena_cap)
    return malloc(n); /* never at these sizes */
  p = arena + arena_used;
  arena_used += n;
  return p;
}

static void arena_free(void *p)
{
  if ((char *)p >= arena && (char *)p < arena + arena_cap)
    return; /* freed all at once by arena_reset */
  free(p);
}

static void arena_on(bool on)
{
  cJSON_Hooks h = {arena_alloc, arena_free};
  cJSON_InitHooks(on ? &h : NULL);
  arena_used = 0;
}

/* --- inputs ------------------------------------------------------------ */

static char *states[NREC];

static void make_states(void)
{
  char fields[2048], id[32];
  size_t i;
  bench_rng_reset();
  for (i = 0; i < NREC; i++) {
    struct record r;
    struct sb_err err = {0};
    cJSON *f;
    bench_visit_fields(fields, sizeof(fields));
    snprintf(id, sizeof(id), "visit-%08zu", i);
    record_init(&r, "visits", id);
    f = cJSON_Parse(fields);
    if (f == NULL || record_put(&r, "0123456789abcdef", 1714550400000000ULL + i,
                                f, &err) != 0) {
      fprintf(stderr, "bench_decode: %s\n", err.msg);
      exit(1);
    }
    cJSON_Delete(f);
    states[i] = record_encode(&r);
    record_release(&r);
  }
}

static char *push_body(size_t from)
{
  struct buf b;
  size_t i;
  buf_init(&b);
  buf_adds(&b, "{\"records\":[");
  for (i = from; i < from + PER; i++) {
    if (i > from)
      buf_adds(&b, ",");
    buf_adds(&b, states[i]);
  }
  buf_adds(&b, "]}");
  return buf_take(&b, NULL);
}

static char *page_body(size_t from)
{
  uint64_t seqs[PER];
  size_t i;
  for (i = 0; i < PER; i++)
    seqs[i] = from + i + 1;
  return changes_page_encode(seqs, (const char *const *)&states[from], PER,
                             true, from + PER);
}

/* --- runs -------------------------------------------------------------- */

enum way { SAX, ARENA, TREE, NWAYS };
static const char *const way_name[NWAYS] = {"(a) yajl events, no tree",
                                            "(b) cJSON tree + arena",
                                            "(c) cJSON tree (before)"};

static char *pushes[NREC / PER], *pages[NREC / PER], *replies[NREC / PER];

/* The hub's answer to push body k: every record accepted. */
static char *reply_body(size_t from)
{
  struct push_result *res = calloc(PER, sizeof(*res));
  struct push_reply rep;
  char *text;
  size_t i;

  if (res == NULL)
    exit(1);
  for (i = 0; i < PER; i++) {
    snprintf(res[i].collection, sizeof(res[i].collection), "visit");
    snprintf(res[i].id, sizeof(res[i].id), "visit-%08zu", from + i);
    res[i].ok = true;
    res[i].seq = from + i + 1;
  }
  rep.res = res;
  rep.n = PER;
  rep.last_seq = from + PER;
  text = push_reply_encode(&rep);
  free(res);
  if (text == NULL)
    exit(1);
  return text;
}

static double run_reply(enum way w)
{
  double t0 = bench_now_s();
  size_t k;
  for (k = 0; k < NREC / PER; k++) {
    struct push_reply p;
    int rc;
    push_reply_init(&p);
    arena_on(w == ARENA);
    rc = w == SAX
             ? push_reply_decode(&p, replies[k], strlen(replies[k]), NULL)
             : push_reply_decode_tree(&p, replies[k], strlen(replies[k]), NULL);
    arena_on(false);
    if (rc != 0 || p.n != PER)
      exit(1);
    push_reply_release(&p);
  }
  return bench_now_s() - t0;
}

static double run_push(enum way w)
{
  double t0 = bench_now_s();
  size_t k;
  for (k = 0; k < NREC / PER; k++) {
    struct push_req p;
    int rc;
    push_req_init(&p);
    arena_on(w == ARENA);
    rc = w == SAX
             ? push_req_decode(&p, pushes[k], strlen(pushes[k]), NULL, NULL)
             : push_req_decode_tree(&p, pushes[k], strlen(pushes[k]), NULL,
                                    NULL);
    arena_on(false);
    if (rc != 0 || p.n != PER)
      exit(1);
    push_req_release(&p);
  }
  return bench_now_s() - t0;
}

static double run_page(enum way w)
{
  double t0 = bench_now_s();
  size_t k;
  for (k = 0; k < NREC / PER; k++) {
    struct changes_page p;
    int rc;
    changes_page_init(&p);
    arena_on(w == ARENA);
    rc = w == SAX
             ? changes_page_decode(&p, pages[k], strlen(pages[k]), NULL)
             : changes_page_decode_tree(&p, pages[k], strlen(pages[k]), NULL);
    arena_on(false);
    if (rc != 0 || p.n != PER)
      exit(1);
    changes_page_release(&p);
  }
  return bench_now_s() - t0;
}

static double run_rows(enum way w)
{
  double t0 = bench_now_s();
  size_t i;
  for (i = 0; i < NREC; i++) {
    struct record r;
    int rc;
    record_init(&r, "", "");
    arena_on(w == ARENA);
    rc = w == SAX ? record_decode(&r, states[i], strlen(states[i]), NULL)
                  : record_decode_tree(&r, states[i], strlen(states[i]), NULL);
    arena_on(false);
    if (rc != 0)
      exit(1);
    record_release(&r);
  }
  return bench_now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(void)
{
  double t[4][NWAYS][ROUNDS];
  static const char *const what[4] = {
      "push: 10 bodies x 1000 records", "changes: 10 pages x 1000 records",
      "store rows: 10000 record_decode", "push replies: 10 x 1000 results"};
  size_t k, r, w, m;
  size_t bytes = 0;

  arena = malloc(arena_cap);
  if (arena == NULL)
    return 1;
  make_states();
  for (k = 0; k < NREC / PER; k++) {
    pushes[k] = push_body(k * PER);
    pages[k] = page_body(k * PER);
    replies[k] = reply_body(k * PER);
    bytes += strlen(pushes[k]);
  }
  for (r = 0; r < ROUNDS; r++) {
    for (w = 0; w < NWAYS; w++) {
      t[0][w][r] = run_push((enum way)w);
      t[1][w][r] = run_page((enum way)w);
      t[2][w][r] = run_rows((enum way)w);
      t[3][w][r] = run_reply((enum way)w);
    }
  }
  printf("10,000 visit records (%zu bytes of push bodies), median of %d:\n",
         bytes, ROUNDS);
  for (m = 0; m < 4; m++) {
    double med[NWAYS];
    printf("%s\n", what[m]);
    for (w = 0; w < NWAYS; w++) {
      qsort(t[m][w], ROUNDS, sizeof(double), cmp_double);
      med[w] = t[m][w][ROUNDS / 2];
    }
    for (w = 0; w < NWAYS; w++)
      printf("  %-28s %8.2f ms  %7.2f us/record  x%.2f vs (c)\n", way_name[w],
             med[w] * 1e3, med[w] * 1e6 / NREC, med[TREE] / med[w]);
  }
  return 0;
}
