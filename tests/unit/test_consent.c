/*
 * test_consent.c - consent withdrawal wins (schema_normalise inside
 * update_apply), on random histories over the real schema's beneficiary.
 *
 * Each history has 3-5 replicas of one beneficiary record. In random steps
 * a replica withdraws consent, gives it again, edits the name or contact
 * (with consent in the same write when the record has none, as the CLI
 * requires), edits the kelurahan, deletes the record, or merges another
 * replica's current state or an old snapshot of any replica. Every change
 * goes through update_apply with the schema compiled into the binaries. A
 * shadow of every replica takes the very same changes with no schema (no
 * normalisation). Properties (common/DESIGN.md, "Consent withdrawal
 * wins"):
 *   - no state holds a personal field unless a consent value is true;
 *   - normalisation touches nothing but personal fields: vv, tombstones
 *     and every other field equal the shadow's (no kelurahan write lost),
 *     and the personal entries are a subset of the shadow's;
 *   - merging a state into itself changes nothing; merging is commutative;
 *   - replicas that exchange through a hub converge: after two rounds
 *     (every device pushes, then pulls) every replica is byte-identical to
 *     the hub, which still satisfies all of the above.
 *   - grouping is free: (x+y)+z = x+(y+z) (the withdrawals a state keeps,
 *     record.h), shown on the history that once differed too.
 *
 * SAMBANG_PROPERTY_SEED / SAMBANG_PROPERTY_ITERS as in test_merge_property.c.
 */
#include "check.h"

#include <time.h>

#include "hlc.h"
#include "record.h"
#include "schema.h"
#include "update.h"

#define NREP_MAX 5
#define STEPS 40
#define COLL "beneficiary"
#define ID "b1"
#define TS0 1714550400000ull
#define HLC(ms, logical) ((ms)*HLC_LOGICAL_SPAN + (logical))

static const char *const rep_ids[NREP_MAX] = {
    "00000000000000a1", "00000000000000a2", "00000000000000a3",
    "00000000000000a4", "00000000000000a5"};

struct rng {
  uint64_t s;
};

static uint64_t rng_next(struct rng *g)
{
  uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static size_t below(struct rng *g, size_t n)
{
  return (size_t)(rng_next(g) % n);
}

/* One replica's record as update_apply's store. */
struct slot {
  struct record rec;
  uint64_t ts; /* the next tick */
};

static int slot_load(void *ctx, const char *collection, const char *id,
                     char **text, size_t *len, uint64_t *seq,
                     struct sb_err *err)
{
  struct slot *s = ctx;
  if (record_empty(&s->rec))
    return sb_err_set(err, SB_ENOTFOUND, "%s/%s not found", collection, id);
  *text = record_encode(&s->rec);
  CHECK(*text != NULL);
  *len = strlen(*text);
  *seq = 0;
  return 0;
}

static int slot_save(void *ctx, const struct record *r, const char *text,
                     size_t len, uint64_t *seq, struct sb_err *err)
{
  struct slot *s = ctx;
  (void)r;
  *seq = 0;
  return record_decode(&s->rec, text, len, err);
}

static uint64_t slot_tick(void *ctx)
{
  struct slot *s = ctx;
  return s->ts;
}

static const struct schema *sch;
static const struct schema_collection *ben;

static void load_schema(void)
{
  struct schema *s = NULL;
  if (sch != NULL)
    return;
  CHECK_INT(schema_parse(schema_default_text, &s, NULL), ==, 0);
  sch = s;
  ben = schema_collection(sch, COLL);
  CHECK(ben != NULL && ben->consent != NULL);
}

/* Applies ch to slot s (with the schema, or none for a shadow). */
static size_t apply(struct slot *s, const struct update_change *ch,
                    const struct schema *schema)
{
  struct update_io io = {"the test slot", slot_load, slot_save, slot_tick, s,
                         schema,          NULL};
  struct update_result out;
  struct sb_err err = {0};
  CHECK_INT(update_apply(&io, COLL, ID, ch, NULL, &out, &err), ==, 0);
  return out.erased;
}

static void put(struct slot *s, const char *replica, const char *json,
                const struct schema *schema)
{
  cJSON *fields = cJSON_Parse(json);
  struct update_change ch = {UPDATE_PUT, replica, fields, NULL, NULL};
  CHECK(fields != NULL);
  apply(s, &ch, schema);
  cJSON_Delete(fields);
}

/* With from's encoding, as the hub's push gives it: a slot that holds
 * nothing saves that text unless normalisation drops entries. */
static void merge_into(struct slot *s, const struct record *from,
                       const struct schema *schema)
{
  char *text = record_encode(from);
  struct update_change ch = {UPDATE_MERGE, NULL, NULL, from, text};
  CHECK(text != NULL);
  apply(s, &ch, schema);
  free(text);
}

/* *out = normalised merge of a and b (b into a copy of a). */
static void join(struct record *out, const struct record *a,
                 const struct record *b)
{
  struct slot s;
  record_init(&s.rec, COLL, ID);
  CHECK_INT(record_copy(&s.rec, a), ==, 0);
  merge_into(&s, b, sch);
  *out = s.rec;
}

static void check_same(const struct record *a, const struct record *b)
{
  char *x = record_encode(a), *y = record_encode(b);
  CHECK(x != NULL && y != NULL);
  if (strcmp(x, y) != 0)
    fprintf(stderr, "differ:\n  %s\n  %s\n", x, y);
  CHECK_STR(x, y);
  free(x);
  free(y);
}

static bool personal(const char *name)
{
  const struct schema_field *f = schema_field(ben, name);
  return f != NULL && f->personal;
}

static bool entries_equal(const struct entry *a, const struct entry *b)
{
  return vv_dot_cmp(&a->dot, &b->dot) == 0 && a->ts == b->ts &&
         ((a->value == NULL && b->value == NULL) ||
          (a->value != NULL && b->value != NULL &&
           strcmp(a->value, b->value) == 0));
}

static bool field_equal(const struct field *a, const struct field *b)
{
  size_t k;
  if (a == NULL || b == NULL)
    return a == b;
  if (record_field_nentries(a) != record_field_nentries(b))
    return false;
  for (k = 0; k < record_field_nentries(a); k++) {
    if (!entries_equal(record_field_entry(a, k), record_field_entry(b, k)))
      return false;
  }
  return true;
}

/* Every entry of a is in b. */
static bool field_subset(const struct field *a, const struct field *b)
{
  size_t i, k;
  if (a == NULL)
    return true;
  if (b == NULL)
    return false;
  for (i = 0; i < record_field_nentries(a); i++) {
    bool found = false;
    for (k = 0; k < record_field_nentries(b) && !found; k++)
      found = entries_equal(record_field_entry(a, i), record_field_entry(b, k));
    if (!found)
      return false;
  }
  return true;
}

/*
 * r, the normalised state of some writes, against shadow, the same writes
 * merged with no schema: the invariant, and nothing but personal fields
 * touched.
 */
static void check_state(const struct record *r, const struct record *shadow)
{
  size_t i;

  if (!schema_consented(ben, r)) {
    for (i = 0; i < ben->nfields; i++)
      CHECK(!ben->fields[i].personal ||
            record_field(r, ben->fields[i].name) == NULL);
  }
  CHECK_INT(vv_compare(&r->vv, &shadow->vv), ==, VV_EQUAL);
  CHECK_INT(record_ntombs(r), ==, record_ntombs(shadow));
  for (i = 0; i < record_ntombs(r); i++)
    CHECK(entries_equal(record_tomb_at(r, i), record_tomb_at(shadow, i)));
  for (i = 0; i < ben->nfields; i++) {
    const char *name = ben->fields[i].name;
    if (personal(name))
      CHECK(field_subset(record_field(r, name), record_field(shadow, name)));
    else
      CHECK(field_equal(record_field(r, name), record_field(shadow, name)));
  }
  /* A state the normaliser leaves alone. */
  {
    struct record again;
    join(&again, r, r);
    check_same(&again, r);
    record_release(&again);
  }
}

struct history {
  struct rng g;
  size_t nrep;
  struct slot rep[NREP_MAX], shadow[NREP_MAX];
  int64_t skew[NREP_MAX];
  struct record *snap, *snap_shadow; /* every state a replica held */
  size_t nsnap;
  unsigned counter;
};

static void snapshot(struct history *h, size_t i)
{
  h->snap = realloc(h->snap, (h->nsnap + 1) * sizeof(*h->snap));
  h->snap_shadow =
      realloc(h->snap_shadow, (h->nsnap + 1) * sizeof(*h->snap_shadow));
  CHECK(h->snap != NULL && h->snap_shadow != NULL);
  record_init(&h->snap[h->nsnap], COLL, ID);
  record_init(&h->snap_shadow[h->nsnap], COLL, ID);
  CHECK_INT(record_copy(&h->snap[h->nsnap], &h->rep[i].rec), ==, 0);
  CHECK_INT(record_copy(&h->snap_shadow[h->nsnap], &h->shadow[i].rec), ==, 0);
  h->nsnap++;
}

/* The consent winner of replica i is true. */
static bool consent_true(const struct record *r)
{
  const struct field *f = record_field(r, ben->consent);
  return f != NULL && strcmp(record_field_winner(f)->value, "true") == 0;
}

/* One random local write of replica i, to it and its shadow alike. */
static void local_write(struct history *h, size_t i)
{
  struct slot *s = &h->rep[i], *sh = &h->shadow[i];
  char json[160];
  unsigned n = ++h->counter;
  uint64_t ts = TS0 + (uint64_t)(h->counter * 10 + h->skew[i]);

  s->ts = sh->ts = HLC(ts, 0);
  switch (below(&h->g, record_empty(&s->rec) ? 1 : 6)) {
  case 0: /* personal edit; consent in the same write if not given */
    snprintf(json, sizeof(json), "{\"%s\":\"v%u\"%s%s}",
             below(&h->g, 2) ? "name" : "contact", n,
             consent_true(&s->rec) ? "" : ",\"consent\":true",
             record_nfields(&s->rec) > 0
                 ? ""
                 : ",\"groups\":[\"anak\"],\"kecamatan\":\"Setu\"");
    break;
  case 1:
    snprintf(json, sizeof(json), "{\"consent\":false}");
    break;
  case 2:
    snprintf(json, sizeof(json), "{\"consent\":true}");
    break;
  case 3:
  case 4:
    snprintf(json, sizeof(json), "{\"kelurahan\":\"k%u\"}", n);
    break;
  default: {
    struct update_change del = {UPDATE_DELETE, rep_ids[i], NULL, NULL, NULL};
    apply(s, &del, sch);
    apply(sh, &del, NULL);
    return;
  }
  }
  put(s, rep_ids[i], json, sch);
  put(sh, rep_ids[i], json, NULL);
}

static void history_run(struct history *h, uint64_t seed)
{
  size_t i, step;

  memset(h, 0, sizeof(*h));
  h->g.s = seed;
  h->nrep = 3 + below(&h->g, NREP_MAX - 2);
  for (i = 0; i < h->nrep; i++) {
    record_init(&h->rep[i].rec, COLL, ID);
    record_init(&h->shadow[i].rec, COLL, ID);
    h->skew[i] = (int64_t)below(&h->g, 200) - 100;
  }
  local_write(h, 0);
  snapshot(h, 0);
  for (step = 0; step < STEPS; step++) {
    i = below(&h->g, h->nrep);
    if (below(&h->g, 2) == 0) {
      local_write(h, i);
    } else {
      size_t k = below(&h->g, h->nsnap + h->nrep);
      const struct record *from, *from_shadow;
      if (k < h->nsnap) { /* an old state, maybe stale or duplicated */
        from = &h->snap[k];
        from_shadow = &h->snap_shadow[k];
      } else {
        from = &h->rep[k - h->nsnap].rec;
        from_shadow = &h->shadow[k - h->nsnap].rec;
      }
      merge_into(&h->rep[i], from, sch);
      merge_into(&h->shadow[i], from_shadow, NULL);
    }
    snapshot(h, i);
  }
}

static void history_free(struct history *h)
{
  size_t i;
  for (i = 0; i < h->nrep; i++) {
    record_release(&h->rep[i].rec);
    record_release(&h->shadow[i].rec);
  }
  for (i = 0; i < h->nsnap; i++) {
    record_release(&h->snap[i]);
    record_release(&h->snap_shadow[i]);
  }
  free(h->snap);
  free(h->snap_shadow);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
  const char *v = getenv(name);
  char *end;
  unsigned long long n;
  if (v == NULL || *v == '\0')
    return dflt;
  n = strtoull(v, &end, 10);
  CHECK(*end == '\0');
  return n;
}

static void for_histories(const char *test, void (*check)(struct history *))
{
  uint64_t base = env_u64("SAMBANG_PROPERTY_SEED", 0), i, n;
  struct history h;

  load_schema();
  if (getenv("SAMBANG_PROPERTY_SEED") == NULL)
    base = (uint64_t)time(NULL) * 1000003u;
  n = env_u64("SAMBANG_PROPERTY_ITERS", 400);
  printf("%s: seed %" PRIu64 ", %" PRIu64 " histories\n", test, base, n);
  for (i = 0; i < n; i++) {
    history_run(&h, base + i);
    check(&h);
    history_free(&h);
  }
}

/* --- the properties ----------------------------------------------------- */

static void check_states(struct history *h)
{
  size_t i;
  for (i = 0; i < h->nsnap; i++)
    check_state(&h->snap[i], &h->snap_shadow[i]);
}

TEST(every_state)
{
  for_histories("every_state", check_states);
}

static void check_commutative(struct history *h)
{
  size_t n;
  for (n = 0; n < 24; n++) {
    struct record ab, ba;
    size_t i = below(&h->g, h->nsnap), j = below(&h->g, h->nsnap);
    join(&ab, &h->snap[i], &h->snap[j]);
    join(&ba, &h->snap[j], &h->snap[i]);
    check_same(&ab, &ba);
    record_release(&ab);
    record_release(&ba);
  }
}

TEST(commutative)
{
  for_histories("commutative", check_commutative);
}

/* Merging a state already merged, or an older one, changes nothing. */
static void check_absorbing(struct history *h)
{
  size_t n;
  for (n = 0; n < 16; n++) {
    struct record ab, ab_a, ab_b;
    size_t i = below(&h->g, h->nsnap), j = below(&h->g, h->nsnap);
    join(&ab, &h->snap[i], &h->snap[j]);
    join(&ab_a, &ab, &h->snap[i]);
    join(&ab_b, &ab, &h->snap[j]);
    check_same(&ab_a, &ab);
    check_same(&ab_b, &ab);
    record_release(&ab);
    record_release(&ab_a);
    record_release(&ab_b);
  }
}

TEST(absorbing)
{
  for_histories("absorbing", check_absorbing);
}

/*
 * Two sync rounds through a hub, devices in a random order each round:
 * every device pushes its state (the hub merges it), then pulls the hub's.
 */
static void hub_rounds(struct history *h, struct slot *hub, struct slot *hsh)
{
  size_t round, k, order[NREP_MAX];

  for (k = 0; k < h->nrep; k++)
    order[k] = k;
  for (round = 0; round < 2; round++) {
    for (k = h->nrep; k > 1; k--) {
      size_t j = below(&h->g, k), t = order[k - 1];
      order[k - 1] = order[j];
      order[j] = t;
    }
    for (k = 0; k < h->nrep; k++) {
      merge_into(hub, &h->rep[order[k]].rec, sch);
      merge_into(hsh, &h->shadow[order[k]].rec, NULL);
    }
    for (k = 0; k < h->nrep; k++) {
      merge_into(&h->rep[order[k]], &hub->rec, sch);
      merge_into(&h->shadow[order[k]], &hsh->rec, NULL);
    }
  }
}

static void check_converge(struct history *h)
{
  struct slot hub, hsh;
  size_t i;

  record_init(&hub.rec, COLL, ID);
  record_init(&hsh.rec, COLL, ID);
  hub_rounds(h, &hub, &hsh);
  check_state(&hub.rec, &hsh.rec);
  for (i = 0; i < h->nrep; i++)
    check_same(&h->rep[i].rec, &hub.rec);
  record_release(&hub.rec);
  record_release(&hsh.rec);
}

TEST(converge_through_hub)
{
  for_histories("converge_through_hub", check_converge);
}

/*
 * Grouping is free (x+y)+z = x+(y+z), over random states of the histories:
 * the withdrawals a state keeps (record.h) make the erasure a function of
 * the writes, not of the order in which states meet.
 */
static void check_associative(struct history *h)
{
  size_t n;
  for (n = 0; n < 24; n++) {
    struct record xy, xy_z, yz, x_yz;
    size_t i = below(&h->g, h->nsnap), j = below(&h->g, h->nsnap),
           k = below(&h->g, h->nsnap);
    join(&xy, &h->snap[i], &h->snap[j]);
    join(&xy_z, &xy, &h->snap[k]);
    join(&yz, &h->snap[j], &h->snap[k]);
    join(&x_yz, &h->snap[i], &yz);
    check_same(&xy_z, &x_yz);
    record_release(&xy);
    record_release(&xy_z);
    record_release(&yz);
    record_release(&x_yz);
  }
}

TEST(associative)
{
  for_histories("associative", check_associative);
}

/*
 * The grouping that once differed (common/DESIGN.md, "Consent withdrawal
 * wins"): R2 withdraws consent (w1), R3 edits the name concurrently (w2),
 * R4 gives consent again after seeing w1 but not w2 (w4). (w1+w2) has no
 * consent value true: the name is erased. (w4+w2) never lacks consent,
 * but w4 keeps w1 among its withdrawals, which erases w2 (it never saw
 * w1): the same bytes either way, and w4's own later name is kept.
 */
TEST(withdrawal_erases_whatever_the_grouping)
{
  struct slot r1, r2, r3, r4, a, b;

  load_schema();
  record_init(&r1.rec, COLL, ID);
  r1.ts = HLC(TS0, 0);
  put(&r1, rep_ids[0],
      "{\"consent\":true,\"name\":\"Ibu Sari\",\"groups\":[\"anak\"],"
      "\"kecamatan\":\"Setu\"}",
      sch);
  record_init(&r2.rec, COLL, ID);
  record_init(&r3.rec, COLL, ID);
  record_init(&r4.rec, COLL, ID);
  merge_into(&r2, &r1.rec, sch);
  merge_into(&r3, &r1.rec, sch);
  r2.ts = HLC(TS0 + 10, 0);
  put(&r2, rep_ids[1], "{\"consent\":false}", sch);
  CHECK(record_field(&r2.rec, "name") == NULL);
  CHECK_INT(record_nwithdrawals(&r2.rec), ==, 1);
  r3.ts = HLC(TS0 + 20, 0);
  put(&r3, rep_ids[2], "{\"name\":\"Ibu Siti\"}", sch);
  merge_into(&r4, &r2.rec, sch);
  r4.ts = HLC(TS0 + 30, 0);
  put(&r4, rep_ids[3], "{\"consent\":true}", sch);

  record_init(&a.rec, COLL, ID);
  merge_into(&a, &r2.rec, sch);
  merge_into(&a, &r3.rec, sch); /* no consent: Ibu Siti erased */
  CHECK(record_field(&a.rec, "name") == NULL);
  merge_into(&a, &r4.rec, sch);
  CHECK(record_field(&a.rec, "name") == NULL);

  record_init(&b.rec, COLL, ID);
  merge_into(&b, &r4.rec, sch);
  /* consent all along, but w4 carries w1, which Ibu Siti never saw */
  merge_into(&b, &r3.rec, sch);
  CHECK(record_field(&b.rec, "name") == NULL);
  merge_into(&b, &r2.rec, sch);
  check_same(&a.rec, &b.rec);

  /* A name R4 writes after its re-consent saw w1: kept on both sides. */
  r4.ts = HLC(TS0 + 40, 0);
  put(&r4, rep_ids[3], "{\"name\":\"Ibu Rina\"}", sch);
  merge_into(&a, &r4.rec, sch);
  merge_into(&b, &r4.rec, sch);
  CHECK(record_field(&a.rec, "name") != NULL);
  check_same(&a.rec, &b.rec);
  merge_into(&b, &r3.rec, sch); /* the old concurrent edit again: no effect */
  check_same(&a.rec, &b.rec);

  record_release(&r1.rec);
  record_release(&r2.rec);
  record_release(&r3.rec);
  record_release(&r4.rec);
  record_release(&a.rec);
  record_release(&b.rec);
}
