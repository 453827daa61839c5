/*
 * merge_history.c - random replica histories for the merge property tests
 * (see merge_history.h and test_merge_property.c): seeds and failure
 * reports, the PRNG, the steps of a history, and what the write log says
 * a state must hold.
 */
#include "merge_history.h"

#include <signal.h>
#include <unistd.h>

const char *const field_names[NFIELDS] = {"age", "name", "notes", "z"};
/* Distinct ids whose strcmp order differs from their length order. */
static const char *const replica_ids[] = {"a",    "b",   "b0", "B",
                                          "z9-x", "q_1", "m"};
#define NIDS (sizeof(replica_ids) / sizeof(replica_ids[0]))

/* --- seeds and failure reports ----------------------------------------- */

static uint64_t current_seed;
static const char *current_test = "";

static void on_abort(int sig)
{
  char msg[256];
  int n = snprintf(msg, sizeof(msg),
                   "property: failed in the history with seed %llu; replay "
                   "it with SAMBANG_PROPERTY_SEED=%llu "
                   "SAMBANG_PROPERTY_ITERS=1 test_merge_property %s\n",
                   (unsigned long long)current_seed,
                   (unsigned long long)current_seed, current_test);
  (void)sig;
  if (n > 0)
    (void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg));
}

uint64_t env_u64(const char *name, uint64_t dflt)
{
  const char *s = getenv(name);
  char *end;
  unsigned long long v;
  if (s == NULL || *s == '\0')
    return dflt;
  v = strtoull(s, &end, 10);
  if (*end != '\0') {
    fprintf(stderr, "%s must be a decimal number, not \"%s\"\n", name, s);
    abort();
  }
  return v;
}

/* --- PRNG (splitmix64) -------------------------------------------------- */

static uint64_t rng_next(struct rng *g)
{
  uint64_t z = (g->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

size_t rng_below(struct rng *g, size_t n)
{
  return (size_t)(rng_next(g) % n);
}

/* --- small helpers ------------------------------------------------------ */

char *encode(const struct record *r)
{
  char *s = record_encode(r);
  CHECK(s != NULL);
  return s;
}

void copy(struct record *dst, const struct record *src)
{
  CHECK_INT(record_copy(dst, src), ==, 0);
}

/* *out = merge(a, b), computed on copies. */
void merged(struct record *out, const struct record *a, const struct record *b)
{
  struct record tmp;
  copy(out, a);
  copy(&tmp, b);
  CHECK_INT(record_merge(out, &tmp), ==, 0);
  record_release(&tmp);
}

void check_same(const struct record *a, const struct record *b)
{
  char *ea = encode(a), *eb = encode(b);
  CHECK_STR(ea, eb);
  free(ea);
  free(eb);
}

static uint64_t max_ts(const struct record *r)
{
  uint64_t m = 0;
  size_t i, k;
  for (i = 0; i < record_nfields(r); i++) {
    const struct field *f = record_field_at(r, i);
    for (k = 0; k < record_field_nentries(f); k++)
      m = record_field_entry(f, k)->ts > m ? record_field_entry(f, k)->ts : m;
  }
  for (k = 0; k < record_ntombs(r); k++)
    m = record_tomb_at(r, k)->ts > m ? record_tomb_at(r, k)->ts : m;
  CHECK_INT(record_max_ts(r), ==, m);
  return m;
}

static cJSON *random_value(struct rng *g, int depth)
{
  static const char *const strings[] = {"keripik",
                                        "kue",
                                        "Ibu Siti",
                                        "Pamulang",
                                        "caf\xc3\xa9 \xe6\xbc\xa2",
                                        "",
                                        "q\"b\\t\t",
                                        "a"};
  static const char *const keys[] = {"z", "a", "m", "b"};
  cJSON *v = NULL;
  size_t i, n;

  switch (rng_below(g, depth > 1 ? 6 : 8)) {
  case 0:
    v = cJSON_CreateNumber((double)rng_below(g, 100));
    break;
  case 1:
    v = cJSON_CreateNumber(-(double)rng_below(g, 1000) / 4.0);
    break;
  case 2:
  case 3:
    v = cJSON_CreateString(strings[rng_below(g, 8)]);
    break;
  case 4:
    v = cJSON_CreateBool(rng_below(g, 2));
    break;
  case 5:
    v = cJSON_CreateNull();
    break;
  case 6: /* keys in a random, usually unsorted order */
    v = cJSON_CreateObject();
    CHECK(v != NULL);
    n = 1 + rng_below(g, 3);
    for (i = 0; i < n; i++) {
      const char *k = keys[(i + rng_below(g, 4)) % 4];
      if (cJSON_GetObjectItemCaseSensitive(v, k) == NULL)
        cJSON_AddItemToObject(v, k, random_value(g, depth + 1));
    }
    break;
  default:
    v = cJSON_CreateArray();
    CHECK(v != NULL);
    n = rng_below(g, 4);
    for (i = 0; i < n; i++)
      cJSON_AddItemToArray(v, random_value(g, depth + 1));
    break;
  }
  CHECK(v != NULL);
  return v;
}

/* --- histories ---------------------------------------------------------- */

static void *grow(void *p, size_t n, size_t size)
{
  /* Capacity is the next power of two: grow when n reaches one. */
  if (n == 0 || (n & (n - 1)) == 0) {
    p = realloc(p, (n ? 2 * n : 1) * size);
    CHECK(p != NULL);
  }
  return p;
}

static void log_write(struct history *h, const struct replica *r, bool del,
                      const char *field, const char *value, uint64_t ts)
{
  struct write *w;
  h->log = grow(h->log, h->nlog, sizeof(*h->log));
  w = &h->log[h->nlog++];
  snprintf(w->dot.replica, sizeof(w->dot.replica), "%s", r->id);
  w->dot.counter = vv_get(&r->rec.vv, r->id);
  w->del = del;
  w->field = field;
  w->value = value ? strdup(value) : NULL;
  CHECK(value == NULL || w->value != NULL);
  w->ts = ts;
  vv_init(&w->vv);
  CHECK_INT(vv_copy(&w->vv, &r->rec.vv), ==, 0);
}

static void take_snapshot(struct history *h, size_t owner)
{
  h->snap = grow(h->snap, h->nsnap, sizeof(*h->snap));
  h->snap[h->nsnap].owner = owner;
  copy(&h->snap[h->nsnap].rec, &h->rep[owner].rec);
  h->nsnap++;
}

/* The replica's wall clock at global time t (ms), skew included. */
static uint64_t wall_of(const struct replica *r, uint64_t t)
{
  return (uint64_t)((int64_t)1760000000000 + (int64_t)t + r->skew_ms);
}

static void step_put(struct history *h, struct replica *r, uint64_t ts)
{
  cJSON *fields = cJSON_CreateObject();
  bool used[NFIELDS] = {false};
  size_t i, n = 1 + rng_below(&h->g, 3);
  uint64_t before = vv_get(&r->rec.vv, r->id);
  struct sb_err err;

  CHECK(fields != NULL);
  /* Distinct names, added in random order (record_put sorts them). */
  for (i = 0; i < n; i++) {
    size_t f = rng_below(&h->g, NFIELDS);
    if (!used[f]) {
      used[f] = true;
      cJSON_AddItemToObject(fields, field_names[f], random_value(&h->g, 0));
    }
  }
  CHECK_INT(record_put(&r->rec, r->id, ts, fields, &err), ==, 0);
  CHECK_INT(vv_get(&r->rec.vv, r->id), ==, before + 1);
  CHECK_INT(record_ntombs(&r->rec), ==, 0);
  for (i = 0; i < NFIELDS; i++) {
    const struct field *f;
    char *canon;
    if (!used[i])
      continue;
    f = record_field(&r->rec, field_names[i]);
    CHECK(f != NULL);
    CHECK_INT(record_field_nentries(f), ==, 1);
    CHECK_STR(record_field_entry(f, 0)->dot.replica, r->id);
    CHECK_INT(record_field_entry(f, 0)->dot.counter, ==, before + 1);
    CHECK_INT(record_field_entry(f, 0)->ts, ==, ts);
    canon =
        json_canon(cJSON_GetObjectItemCaseSensitive(fields, field_names[i]));
    CHECK(canon != NULL);
    CHECK_STR(record_field_entry(f, 0)->value, canon);
    log_write(h, r, false, field_names[i], canon, ts);
    free(canon);
  }
  cJSON_Delete(fields);
}

static void step_delete(struct history *h, struct replica *r, uint64_t ts)
{
  uint64_t before = vv_get(&r->rec.vv, r->id);
  CHECK_INT(record_delete(&r->rec, r->id, ts), ==, 0);
  CHECK_INT(vv_get(&r->rec.vv, r->id), ==, before + 1);
  CHECK(record_deleted(&r->rec));
  CHECK(!record_conflicted(&r->rec));
  CHECK_INT(record_nfields(&r->rec), ==, 0);
  CHECK_INT(record_ntombs(&r->rec), ==, 1);
  log_write(h, r, true, NULL, NULL, ts);
}

/* r merges a copy of src; checks the vector became the pointwise max. */
static void deliver(struct replica *r, const struct record *src)
{
  struct record in;
  struct vv before;
  size_t k;

  vv_init(&before);
  CHECK_INT(vv_copy(&before, &r->rec.vv), ==, 0);
  copy(&in, src);
  CHECK_INT(record_merge(&r->rec, &in), ==, 0);
  for (k = 0; k < before.n; k++) {
    uint64_t a = before.v[k].counter, b = vv_get(&src->vv, before.v[k].replica);
    CHECK_INT(vv_get(&r->rec.vv, before.v[k].replica), ==, a > b ? a : b);
  }
  for (k = 0; k < src->vv.n; k++) {
    uint64_t a = vv_get(&before, src->vv.v[k].replica),
             b = src->vv.v[k].counter;
    CHECK_INT(vv_get(&r->rec.vv, src->vv.v[k].replica), ==, a > b ? a : b);
  }
  CHECK_INT(r->rec.vv.n, <=, before.n + src->vv.n);
  /* The replica's own clock reading stands in for its wall clock: the
   * skews here stay well inside HLC_MAX_AHEAD_MS. */
  hlc_observe(&r->clock, max_ts(src), hlc_ms(r->clock.last));
  vv_release(&before);
  record_release(&in);
}

/* Every replica merges every other's final state (and some duplicates and
 * stale snapshots), in random order. */
static void exchange(struct history *h)
{
  struct {
    size_t to;
    const struct record *from;
  } d[MAX_REPLICAS * MAX_REPLICAS * 3];
  size_t n = 0, i, j, extra;

  for (i = 0; i < h->nrep; i++)
    copy(&h->final[i], &h->rep[i].rec);
  for (i = 0; i < h->nrep; i++) {
    for (j = 0; j < h->nrep; j++) {
      if (i != j) {
        d[n].to = i;
        d[n++].from = &h->final[j];
      }
    }
  }
  for (extra = rng_below(&h->g, 2 * h->nrep + 1); extra > 0; extra--) {
    d[n].to = rng_below(&h->g, h->nrep);
    d[n++].from = &h->final[rng_below(&h->g, h->nrep)];
  }
  for (extra = rng_below(&h->g, h->nrep + 1); extra > 0 && h->nsnap; extra--) {
    d[n].to = rng_below(&h->g, h->nrep);
    d[n++].from = &h->snap[rng_below(&h->g, h->nsnap)].rec;
  }
  for (i = n; i > 1; i--) {
    size_t k = rng_below(&h->g, i);
    size_t to = d[i - 1].to;
    const struct record *from = d[i - 1].from;
    d[i - 1] = d[k];
    d[k].to = to;
    d[k].from = from;
  }
  for (i = 0; i < n; i++)
    deliver(&h->rep[d[i].to], d[i].from);
}

static void history_run(struct history *h, uint64_t seed)
{
  bool taken[NIDS] = {false};
  uint64_t t = 0;
  size_t i, s, nsteps;
  static const int64_t skews[] = {0, 0, 0, 1, -2, -800, 1500, -60000, 90000};

  memset(h, 0, sizeof(*h));
  h->g.s = seed;
  h->nrep = 3 + rng_below(&h->g, 3);
  for (i = 0; i < h->nrep; i++) {
    size_t k;
    do {
      k = rng_below(&h->g, NIDS);
    } while (taken[k]);
    taken[k] = true;
    h->rep[i].id = replica_ids[k];
    record_init(&h->rep[i].rec, "visit",
                "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b");
    h->rep[i].clock.last = 0;
    h->rep[i].skew_ms =
        skews[rng_below(&h->g, sizeof(skews) / sizeof(skews[0]))];
  }

  nsteps = 8 + rng_below(&h->g, 33);
  for (s = 0; s < nsteps; s++) {
    size_t who = rng_below(&h->g, h->nrep), kind = rng_below(&h->g, 100);
    struct replica *r = &h->rep[who];
    t += rng_below(&h->g, 3);
    if (rng_below(&h->g, 10) == 0) /* the clock jumps, maybe backwards */
      r->skew_ms += (int64_t)rng_below(&h->g, 2001) - 1000;
    if (kind < 45) {
      step_put(h, r, hlc_tick(&r->clock, wall_of(r, t)));
    } else if (kind < 53) {
      step_delete(h, r, hlc_tick(&r->clock, wall_of(r, t)));
    } else if (h->nsnap > 0 && rng_below(&h->g, 2) == 0) {
      deliver(r, &h->snap[rng_below(&h->g, h->nsnap)].rec);
    } else {
      size_t from = (who + 1 + rng_below(&h->g, h->nrep - 1)) % h->nrep;
      deliver(r, &h->rep[from].rec);
    }
    take_snapshot(h, who);
  }
  /* Sometimes one replica catches up and deletes, as the office would. */
  if (rng_below(&h->g, 6) == 0) {
    struct replica *r = &h->rep[0];
    for (i = 1; i < h->nrep; i++)
      deliver(r, &h->rep[i].rec);
    step_delete(h, r, hlc_tick(&r->clock, wall_of(r, t)));
    take_snapshot(h, 0);
  }
  exchange(h);

  h->all = malloc((h->nsnap + 2 * h->nrep) * sizeof(*h->all));
  CHECK(h->all != NULL);
  for (i = 0; i < h->nsnap; i++)
    h->all[h->nall++] = &h->snap[i].rec;
  for (i = 0; i < h->nrep; i++) {
    h->all[h->nall++] = &h->final[i];
    h->all[h->nall++] = &h->rep[i].rec;
  }
}

static void history_free(struct history *h)
{
  size_t i;
  for (i = 0; i < h->nrep; i++) {
    record_release(&h->rep[i].rec);
    record_release(&h->final[i]);
  }
  for (i = 0; i < h->nlog; i++) {
    free(h->log[i].value);
    vv_release(&h->log[i].vv);
  }
  for (i = 0; i < h->nsnap; i++)
    record_release(&h->snap[i].rec);
  free(h->log);
  free(h->snap);
  free(h->all);
}

const struct record *any_state(struct history *h)
{
  return h->all[rng_below(&h->g, h->nall)];
}

/* Runs check on SAMBANG_PROPERTY_ITERS histories. */
void for_histories(const char *test, void (*check)(struct history *))
{
  uint64_t base, iters, i;
  uint64_t fresh = 0;
  struct history h;

  CHECK_INT(uuid_rand_bytes(&fresh, sizeof(fresh)), ==, 0);
  base = env_u64("SAMBANG_PROPERTY_SEED", fresh % 1000000000000ull);
  iters = env_u64("SAMBANG_PROPERTY_ITERS", DEFAULT_ITERS);
  fprintf(stderr,
          "property: base seed %llu, %llu histories "
          "(SAMBANG_PROPERTY_SEED, SAMBANG_PROPERTY_ITERS)\n",
          (unsigned long long)base, (unsigned long long)iters);
  current_test = test;
  signal(SIGABRT, on_abort);
  for (i = 0; i < iters; i++) {
    current_seed = base + i;
    history_run(&h, current_seed);
    check(&h);
    history_free(&h);
  }
  signal(SIGABRT, SIG_DFL);
}

/* --- what the log says a state must hold -------------------------------- */

/* True if some other logged write that vv has seen replaced w. */
static bool overwritten(const struct history *h, const struct write *w,
                        const struct vv *seen)
{
  size_t i;
  for (i = 0; i < h->nlog; i++) {
    const struct write *y = &h->log[i];
    if (vv_dot_cmp(&y->dot, &w->dot) == 0 || !vv_covers(seen, &y->dot) ||
        !vv_covers(&y->vv, &w->dot))
      continue;
    /* Any later write drops the tombstones it saw; a put drops the
     * entries of its own fields, a delete every field. */
    if (w->del || y->del || strcmp(y->field, w->field) == 0)
      return true;
  }
  return false;
}

/* The logged write behind an entry (field NULL: a tombstone), or NULL. */
static const struct write *find_write(const struct history *h,
                                      const char *field, const struct dot *d)
{
  size_t i;
  for (i = 0; i < h->nlog; i++) {
    const struct write *w = &h->log[i];
    if (vv_dot_cmp(&w->dot, d) == 0 &&
        (field == NULL ? w->del : !w->del && strcmp(w->field, field) == 0))
      return w;
  }
  return NULL;
}

bool holds(const struct record *r, const struct write *w)
{
  const struct field *f = NULL;
  size_t n, k;
  if (!w->del) {
    f = record_field(r, w->field);
    if (f == NULL)
      return false;
  }
  n = f != NULL ? record_field_nentries(f) : record_ntombs(r);
  for (k = 0; k < n; k++) {
    const struct entry *e =
        f != NULL ? record_field_entry(f, k) : record_tomb_at(r, k);
    if (vv_dot_cmp(&e->dot, &w->dot) == 0)
      return true;
  }
  return false;
}

static void check_entry(const struct history *h, const struct record *r,
                        const char *field, const struct entry *e)
{
  const struct write *w = find_write(h, field, &e->dot);
  CHECK(w != NULL); /* nothing invented */
  CHECK(vv_covers(&r->vv, &e->dot));
  CHECK_INT(e->ts, ==, w->ts);
  if (field == NULL)
    CHECK(e->value == NULL);
  else
    CHECK_STR(e->value, w->value);
  CHECK(!overwritten(h, w, &r->vv));
}

/*
 * A state holds exactly the writes its vector has seen that no other seen
 * write replaced: no write lost, none invented, and siblings are exactly
 * the concurrent writes none of which replaced the others.
 */
void check_against_log(const struct history *h, const struct record *r)
{
  size_t i, k, live_fields = 0, ntomb = 0;
  bool siblings = false;

  /* The vector is exactly the writes seen: counters are per-replica
   * sequence numbers, so vv[x] = c means writes 1..c of x. */
  for (k = 0; k < r->vv.n; k++) {
    bool logged = false;
    for (i = 0; i < h->nlog && !logged; i++)
      logged = strcmp(h->log[i].dot.replica, r->vv.v[k].replica) == 0 &&
               h->log[i].dot.counter == r->vv.v[k].counter;
    CHECK(logged);
  }
  for (i = 0; i < record_nfields(r); i++) {
    const struct field *f = record_field_at(r, i);
    for (k = 0; k < record_field_nentries(f); k++) {
      check_entry(h, r, record_field_name(f), record_field_entry(f, k));
      if (k > 0)
        CHECK(vv_dot_cmp(&record_field_entry(f, k - 1)->dot,
                         &record_field_entry(f, k)->dot) < 0);
    }
    if (i > 0)
      CHECK(strcmp(record_field_name(record_field_at(r, i - 1)),
                   record_field_name(f)) < 0);
  }
  for (k = 0; k < record_ntombs(r); k++)
    check_entry(h, r, NULL, record_tomb_at(r, k));

  for (i = 0; i < NFIELDS; i++) {
    const struct field *f = record_field(r, field_names[i]);
    size_t live = 0;
    for (k = 0; k < h->nlog; k++) {
      const struct write *w = &h->log[k];
      size_t j;
      if (w->del || strcmp(w->field, field_names[i]) != 0 ||
          !vv_covers(&r->vv, &w->dot))
        continue;
      /* No write lost: held, or replaced by a seen write. */
      CHECK(holds(r, w) || overwritten(h, w, &r->vv));
      if (overwritten(h, w, &r->vv))
        continue;
      live++;
      /* Live writes of one field are pairwise concurrent. */
      for (j = 0; j < k; j++) {
        const struct write *y = &h->log[j];
        if (!y->del && strcmp(y->field, w->field) == 0 &&
            vv_dot_cmp(&y->dot, &w->dot) != 0 && vv_covers(&r->vv, &y->dot) &&
            !overwritten(h, y, &r->vv))
          CHECK(vv_compare(&y->vv, &w->vv) == VV_CONCURRENT);
      }
    }
    CHECK_INT(f ? record_field_nentries(f) : 0, ==, live);
    siblings = siblings || live > 1;
    live_fields += live > 0;
  }
  CHECK_INT(record_nfields(r), ==, live_fields);
  for (k = 0; k < h->nlog; k++) {
    const struct write *w = &h->log[k];
    if (w->del && vv_covers(&r->vv, &w->dot)) {
      CHECK(holds(r, w) || overwritten(h, w, &r->vv));
      ntomb += !overwritten(h, w, &r->vv);
    }
  }
  CHECK_INT(record_ntombs(r), ==, ntomb);
  CHECK(record_deleted(r) == (ntomb > 0 && live_fields == 0));
  CHECK(record_conflicted(r) == (siblings || (ntomb > 0 && live_fields > 0)));

  /* A deleted record: every write it has seen is covered by the vector
   * of a tombstone it holds. */
  if (record_deleted(r)) {
    for (k = 0; k < h->nlog; k++) {
      const struct write *w = &h->log[k];
      bool covered = false;
      if (!vv_covers(&r->vv, &w->dot))
        continue;
      for (i = 0; i < record_ntombs(r) && !covered; i++) {
        const struct write *t = find_write(h, NULL, &record_tomb_at(r, i)->dot);
        covered = vv_covers(&t->vv, &w->dot);
      }
      CHECK(covered);
    }
  }
}
