/*
 * test_merge_property.c - randomized properties of the record merge.
 *
 * Each history has 3-5 replicas holding their own copy of one record. In
 * random steps a replica writes 1-3 fields (a small alphabet, so writes
 * collide) with a timestamp from its own skewed HLC, deletes the record, or
 * merges the state of another replica: its current state, or an old
 * snapshot of any replica (stale, duplicated, out of order). Every write is
 * logged with the writer's version vector after it. At the end every
 * replica merges every other's final state, in random order, with
 * duplicates. Each TEST runs the same histories and checks one property
 * (common/DESIGN.md, "The merge"): the merge is a join (commutative,
 * associative, idempotent), replicas converge byte for byte, and every
 * state is exactly what the writes it has seen imply: no write lost,
 * nothing invented, siblings only for concurrent writes, deletes as the
 * design says.
 *
 * SAMBANG_PROPERTY_SEED sets the base seed (default: random, printed);
 * history i uses seed base + i, so a failing history is replayed alone with
 * SAMBANG_PROPERTY_SEED=<its seed> SAMBANG_PROPERTY_ITERS=1.
 * SAMBANG_PROPERTY_ITERS sets the number of histories per TEST.
 *
 * The histories and the log checks are merge_history.c; the delete
 * semantics by hand are test_merge_delete.c.
 */
#include "merge_history.h"

/* --- the properties ----------------------------------------------------- */

static void check_commutative(struct history *h)
{
  size_t n;
  for (n = 0; n < 24; n++) {
    struct record ab, ba;
    const struct record *a = any_state(h), *b = any_state(h);
    merged(&ab, a, b);
    merged(&ba, b, a);
    check_same(&ab, &ba);
    record_release(&ab);
    record_release(&ba);
  }
}

TEST(commutative)
{
  for_histories("commutative", check_commutative);
}

static void check_associative(struct history *h)
{
  size_t n;
  for (n = 0; n < 16; n++) {
    struct record ab, ab_c, bc, a_bc;
    const struct record *a = any_state(h), *b = any_state(h), *c = any_state(h);
    merged(&ab, a, b);
    merged(&ab_c, &ab, c);
    merged(&bc, b, c);
    merged(&a_bc, a, &bc);
    check_same(&ab_c, &a_bc);
    record_release(&ab);
    record_release(&ab_c);
    record_release(&bc);
    record_release(&a_bc);
  }
}

TEST(associative)
{
  for_histories("associative", check_associative);
}

static void check_idempotent(struct history *h)
{
  size_t n;
  for (n = 0; n < 16; n++) {
    struct record aa, ab, ab_b;
    const struct record *a = any_state(h), *b = any_state(h);
    merged(&aa, a, a);
    check_same(&aa, a);
    merged(&ab, a, b);
    merged(&ab_b, &ab, b);
    check_same(&ab_b, &ab);
    record_release(&aa);
    record_release(&ab);
    record_release(&ab_b);
  }
  /* A replica's states only grow: delivering any of its own old states
   * (a stale duplicate) changes nothing. */
  for (n = 0; n < h->nsnap; n++) {
    struct record late;
    const struct record *now = &h->final[h->snap[n].owner];
    merged(&late, now, &h->snap[n].rec);
    check_same(&late, now);
    record_release(&late);
  }
}

TEST(idempotent)
{
  for_histories("idempotent", check_idempotent);
}

static void check_convergence(struct history *h)
{
  struct record fold;
  char *first = encode(&h->rep[0].rec);
  size_t i, order[MAX_REPLICAS];

  for (i = 1; i < h->nrep; i++) {
    char *other = encode(&h->rep[i].rec);
    CHECK_STR(other, first);
    free(other);
  }
  /* Folding the finals from an empty record, in another order, gives the
   * same bytes. */
  for (i = 0; i < h->nrep; i++)
    order[i] = i;
  for (i = h->nrep; i > 1; i--) {
    size_t k = rng_below(&h->g, i), tmp = order[i - 1];
    order[i - 1] = order[k];
    order[k] = tmp;
  }
  record_init(&fold, h->rep[0].rec.collection, h->rep[0].rec.id);
  for (i = 0; i < h->nrep; i++) {
    struct record in;
    copy(&in, &h->final[order[i]]);
    CHECK_INT(record_merge(&fold, &in), ==, 0);
    record_release(&in);
  }
  check_same(&fold, &h->rep[0].rec);
  record_release(&fold);
  free(first);
}

TEST(convergence)
{
  for_histories("convergence", check_convergence);
}

static void check_no_write_lost(struct history *h)
{
  size_t i;
  /* The converged state has seen every write. */
  for (i = 0; i < h->nlog; i++)
    CHECK(vv_covers(&h->rep[0].rec.vv, &h->log[i].dot));
  for (i = 0; i < h->nall; i++)
    check_against_log(h, h->all[i]);
}

TEST(no_write_lost)
{
  for_histories("no_write_lost", check_no_write_lost);
}

static void check_roundtrip(struct history *h)
{
  size_t i;
  for (i = 0; i < h->nall; i++) {
    struct record back;
    struct sb_err err;
    char *text = encode(h->all[i]), *again, *printed;
    cJSON *j = record_to_json(h->all[i]), *parsed;

    record_init(&back, "x", "x");
    CHECK_INT(record_decode(&back, text, strlen(text), &err), ==, 0);
    again = encode(&back);
    CHECK_STR(again, text);
    CHECK_STR(back.collection, h->all[i]->collection);
    CHECK_STR(back.id, h->all[i]->id);
    CHECK(record_deleted(&back) == record_deleted(h->all[i]));
    CHECK(record_conflicted(&back) == record_conflicted(h->all[i]));

    CHECK(j != NULL);
    CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "deleted")));
    parsed = cJSON_Parse(text);
    CHECK(parsed != NULL);
    CHECK(cJSON_Compare(j, parsed, true));
    CHECK_INT(record_from_json(&back, j, &err), ==, 0);
    free(again);
    again = encode(&back);
    CHECK_STR(again, text);
    /* cJSON may print a timestamp as 1.76000009e+15 (not the bytes of
     * record_encode), but it reads back to the same state. */
    printed = cJSON_PrintUnformatted(j);
    CHECK(printed != NULL);
    CHECK_INT(record_decode(&back, printed, strlen(printed), &err), ==, 0);
    free(again);
    again = encode(&back);
    CHECK_STR(again, text);

    free(printed);
    free(again);
    free(text);
    cJSON_Delete(j);
    cJSON_Delete(parsed);
    record_release(&back);
  }
}

TEST(roundtrip)
{
  for_histories("roundtrip", check_roundtrip);
}

/* Every state the histories make, in the compact form (what stores hold
 * and the wire carries): both decoders read it back to the same state,
 * and equal states give the same compact bytes. */
static void check_compact_roundtrip(struct history *h)
{
  size_t i;
  for (i = 0; i < h->nall; i++) {
    struct record back, tree;
    struct sb_err err;
    char *full = encode(h->all[i]), *compact = record_encode_compact(h->all[i]);
    char *again;

    CHECK(compact != NULL);
    CHECK(strlen(compact) <= strlen(full));
    record_init(&back, "x", "x");
    record_init(&tree, "x", "x");
    CHECK_INT(record_decode(&back, compact, strlen(compact), &err), ==, 0);
    CHECK_INT(record_decode_tree(&tree, compact, strlen(compact), &err), ==, 0);
    again = encode(&back);
    CHECK_STR(again, full);
    free(again);
    again = encode(&tree);
    CHECK_STR(again, full);
    free(again);
    again = record_encode_compact(&back);
    CHECK(again != NULL);
    CHECK_STR(again, compact);
    free(again);
    record_release(&back);
    record_release(&tree);
    free(compact);
    free(full);
  }
}

TEST(compact_roundtrip)
{
  for_histories("compact_roundtrip", check_compact_roundtrip);
}

static void check_winner(struct history *h)
{
  size_t i, k, n;
  for (n = 0; n < h->nall; n++) {
    const struct record *r = h->all[n];
    cJSON *values = record_values(r);
    CHECK(values != NULL);
    CHECK_INT(cJSON_GetArraySize(values), ==, record_nfields(r));
    for (i = 0; i < record_nfields(r); i++) {
      const struct field *f = record_field_at(r, i);
      const struct entry *w = record_field_winner(f);
      cJSON *v = cJSON_GetObjectItemCaseSensitive(values, record_field_name(f));
      char *text;
      for (k = 0; k < record_field_nentries(f); k++) {
        const struct entry *e = record_field_entry(f, k);
        CHECK(e == w || e->ts < w->ts ||
              (e->ts == w->ts && vv_dot_cmp(&e->dot, &w->dot) < 0));
      }
      CHECK(v != NULL);
      text = json_canon(v);
      CHECK_STR(text, w->value);
      free(text);
    }
    cJSON_Delete(values);
  }
  /* Same winner on every converged replica. */
  for (i = 0; i < NFIELDS; i++) {
    const struct field *f0 = record_field(&h->rep[0].rec, field_names[i]);
    for (k = 1; k < h->nrep; k++) {
      const struct field *f = record_field(&h->rep[k].rec, field_names[i]);
      CHECK((f == NULL) == (f0 == NULL));
      if (f == NULL)
        continue;
      CHECK(vv_dot_cmp(&record_field_winner(f)->dot,
                       &record_field_winner(f0)->dot) == 0);
      CHECK_STR(record_field_winner(f)->value, record_field_winner(f0)->value);
    }
  }
}

TEST(winner)
{
  for_histories("winner", check_winner);
}

/* --- the histories exercise what they should ---------------------------- */

static struct {
  size_t siblings, tied_siblings, alive_with_tombstone, deleted_final, revived,
      three_way;
} seen;

static void count_cases(struct history *h)
{
  const struct record *c = &h->rep[0].rec;
  size_t i, n;
  for (n = 0; n < h->nall; n++) {
    const struct record *r = h->all[n];
    for (i = 0; i < record_nfields(r); i++) {
      const struct field *f = record_field_at(r, i);
      size_t ne = record_field_nentries(f);
      seen.siblings += ne > 1;
      seen.three_way += ne > 2;
      seen.tied_siblings += ne > 1 && record_field_entry(f, 0)->ts ==
                                          record_field_entry(f, 1)->ts;
    }
    seen.alive_with_tombstone += record_delete_conflict(r);
  }
  seen.deleted_final += record_deleted(c);
  for (i = 0; i < h->nlog; i++) {
    const struct write *w = &h->log[i];
    if (w->del && !record_deleted(c) && !holds(c, w))
      seen.revived++;
  }
}

TEST(histories_cover_the_cases)
{
  for_histories("histories_cover_the_cases", count_cases);
  fprintf(stderr,
          "states with siblings %zu (3+ %zu, same ts %zu), alive with a "
          "tombstone %zu; deleted at the end %zu; deletes undone %zu\n",
          seen.siblings, seen.three_way, seen.tied_siblings,
          seen.alive_with_tombstone, seen.deleted_final, seen.revived);
  if (env_u64("SAMBANG_PROPERTY_ITERS", DEFAULT_ITERS) < 200)
    return; /* too few to expect every case */
  CHECK(seen.siblings > 0);
  CHECK(seen.three_way > 0);
  CHECK(seen.tied_siblings > 0);
  CHECK(seen.alive_with_tombstone > 0);
  CHECK(seen.deleted_final > 0);
  CHECK(seen.revived > 0);
}
