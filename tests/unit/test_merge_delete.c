/*
 * test_merge_delete.c - delete semantics of the record merge, by hand: a
 * delete removes only what it has seen, concurrent deletes, and canonical
 * values on put (the randomized properties are test_merge_property.c).
 */
#include "merge_history.h"

#include "check_record.h"

static void sync_both(struct record *a, struct record *b)
{
  struct record ca, cb;
  copy(&ca, a);
  copy(&cb, b);
  CHECK_INT(record_merge(a, &cb), ==, 0);
  CHECK_INT(record_merge(b, &ca), ==, 0);
  record_release(&ca);
  record_release(&cb);
  check_same(a, b);
}

TEST(delete_concurrent_with_edit)
{
  struct record a, b;
  record_init(&a, "visit", "v1");
  record_init(&b, "visit", "v1");
  check_put(&a, "A", 1000, "{\"x\":1,\"keep\":true}");
  sync_both(&a, &b);

  /* A deletes; B, not having seen it, edits y and the shared field x. */
  CHECK_INT(record_delete(&a, "A", 2000), ==, 0);
  check_put(&b, "B", 1500, "{\"y\":2,\"x\":3}");
  sync_both(&a, &b);
  CHECK(!record_deleted(&a));
  CHECK(record_conflicted(&a));
  CHECK_INT(record_ntombs(&a), ==, 1);
  CHECK_STR(record_tomb_at(&a, 0)->dot.replica, "A");
  CHECK(record_field(&a, "keep") == NULL); /* the delete had seen it */
  CHECK(record_field(&a, "y") != NULL);
  CHECK_STR(record_field_winner(record_field(&a, "x"))->value, "3");
  CHECK_INT(record_field_nentries(record_field(&a, "x")), ==, 1);

  /* A put that has seen the delete resolves it, everywhere. */
  check_put(&b, "B", 3000, "{\"y\":4}");
  CHECK(!record_conflicted(&b));
  CHECK_INT(record_ntombs(&b), ==, 0);
  sync_both(&a, &b);
  CHECK(!record_conflicted(&a));
  CHECK(!record_deleted(&a));
  CHECK_INT(record_ntombs(&a), ==, 0);
  CHECK_STR(record_field_winner(record_field(&a, "y"))->value, "4");
  CHECK_STR(record_field_winner(record_field(&a, "x"))->value, "3");
  record_release(&a);
  record_release(&b);
}

TEST(delete_that_saw_everything)
{
  struct record a, b;
  cJSON *v;
  record_init(&a, "visit", "v1");
  record_init(&b, "visit", "v1");
  check_put(&a, "A", 1000, "{\"x\":1}");
  check_put(&b, "B", 1000, "{\"x\":2}");
  sync_both(&a, &b);
  CHECK(record_conflicted(&a));
  CHECK_INT(record_field_nentries(record_field(&a, "x")), ==, 2);
  /* Same ts: the greater dot wins. */
  CHECK_STR(record_field_winner(record_field(&a, "x"))->value, "2");

  CHECK_INT(record_delete(&b, "B", 2000), ==, 0);
  sync_both(&a, &b);
  CHECK(record_deleted(&a));
  CHECK(!record_conflicted(&a));
  CHECK_INT(record_nfields(&a), ==, 0);
  v = record_values(&a);
  CHECK(v != NULL && v->child == NULL);
  cJSON_Delete(v);

  /* Writing after the delete revives the record. */
  check_put(&a, "A", 3000, "{\"z\":\"back\"}");
  sync_both(&a, &b);
  CHECK(!record_deleted(&b));
  CHECK(!record_conflicted(&b));
  CHECK_INT(record_nfields(&b), ==, 1);
  record_release(&a);
  record_release(&b);
}

TEST(concurrent_deletes)
{
  struct record a, b, c;
  record_init(&a, "visit", "v1");
  record_init(&b, "visit", "v1");
  record_init(&c, "visit", "v1");
  check_put(&a, "A", 1000, "{\"x\":1}");
  sync_both(&a, &b);
  copy(&c, &a); /* c sees only A's delete below */

  CHECK_INT(record_delete(&a, "A", 2000), ==, 0);
  CHECK_INT(record_delete(&b, "B", 2000), ==, 0);
  CHECK_INT(record_merge(&c, &a), ==, 0);
  sync_both(&a, &b);
  CHECK(record_deleted(&a));
  CHECK_INT(record_ntombs(&a), ==, 2);
  CHECK(!record_conflicted(&a));

  /* A put that saw only A's delete: B's delete is concurrent with it. */
  check_put(&c, "C", 3000, "{\"x\":5}");
  CHECK_INT(record_merge(&c, &b), ==, 0);
  CHECK(!record_deleted(&c));
  CHECK(record_conflicted(&c));
  CHECK_INT(record_ntombs(&c), ==, 1);
  CHECK_STR(record_tomb_at(&c, 0)->dot.replica, "B");
  record_release(&a);
  record_release(&b);
  record_release(&c);
}

TEST(put_stores_canonical_values)
{
  struct record r;
  record_init(&r, "visit", "v1");
  check_put(&r, "A", 1000, "{\"p\":{\"z\":[{\"b\":1,\"a\":2}],\"a\":null}}");
  CHECK_STR(record_field_entry(record_field(&r, "p"), 0)->value,
            "{\"a\":null,\"z\":[{\"a\":2,\"b\":1}]}");
  record_release(&r);
}
