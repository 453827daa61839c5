/*
 * test_record_cut.c - record_cut (record.h): a state with the base's
 * entries it dropped put back where its author's write does not explain
 * the drop, its vv the join, and only its author's own withdrawals.
 */
#include "check.h"
#include "check_record.h"

#include "record.h"

#include <string.h>

static bool keep_all(const char *field, const struct entry *e, void *ctx)
{
  (void)field;
  (void)e;
  (void)ctx;
  return true;
}

static bool keep_none(const char *field, const struct entry *e, void *ctx)
{
  (void)field;
  (void)e;
  (void)ctx;
  return false;
}

static const struct entry *vouch_all(const char *field, const struct entry *e,
                                     void *ctx)
{
  (void)field;
  (void)ctx;
  return e;
}

static const struct entry *vouch_none(const char *field, const struct entry *e,
                                      void *ctx)
{
  (void)field;
  (void)e;
  (void)ctx;
  return NULL;
}

/* Takes the withdrawals of B's writes, with their whole seen. */
static int b_withdrawals(const struct withdrawal *w, struct vv *seen, void *ctx)
{
  (void)ctx;
  if (strcmp(w->dot.replica, "B") != 0)
    return 0;
  return vv_copy(seen, &w->seen) == 0 ? 1 : SB_ENOMEM;
}

static const struct record_cut_rules keep_all_rules = {keep_all, vouch_all,
                                                       b_withdrawals, NULL};
static const struct record_cut_rules keep_none_rules = {keep_none, vouch_all,
                                                        b_withdrawals, NULL};

/* base: A wrote x and y. s: B saw it, overwrote x and wrote z. */
static void make(struct record *base, struct record *s)
{
  record_init(base, "notes", "n");
  record_init(s, "notes", "n");
  check_put(base, "A", 10, "{\"x\":1,\"y\":1}");
  CHECK_INT(record_merge(s, base), ==, 0);
  check_put(s, "B", 20, "{\"x\":2,\"z\":2}");
}

TEST(kept_drops_come_back)
{
  struct record base, s, cut;
  const struct field *x;

  make(&base, &s);
  CHECK_INT(record_cut(&cut, &base, &s, &keep_all_rules), ==, 0);
  x = record_field(&cut, "x");
  CHECK(x != NULL);
  CHECK_INT(record_field_nentries(x), ==, 2); /* A's x, put back, and B's */
  CHECK(record_field(&cut, "y") != NULL);
  CHECK(record_field(&cut, "z") != NULL);
  CHECK_INT(vv_get(&cut.vv, "A"), ==, 1);
  CHECK_INT(vv_get(&cut.vv, "B"), ==, 1);
  record_release(&cut);
  record_release(&base);
  record_release(&s);
}

TEST(explained_drops_stay_dropped)
{
  struct record base, s, cut, merged;
  char *a, *b;

  make(&base, &s);
  CHECK_INT(record_cut(&cut, &base, &s, &keep_none_rules), ==, 0);
  /* Nothing to put back: the cut is the merge of both. */
  CHECK_INT(record_copy(&merged, &base), ==, 0);
  CHECK_INT(record_merge(&merged, &s), ==, 0);
  a = record_encode(&cut);
  b = record_encode(&merged);
  CHECK(a != NULL && b != NULL);
  CHECK_STR(a, b);
  free(a);
  free(b);
  record_release(&merged);
  record_release(&cut);
  record_release(&base);
  record_release(&s);
}

TEST(unseen_base_entries_are_kept)
{
  struct record base, s, cut;

  make(&base, &s);
  check_put(&base, "C", 30, "{\"y\":3}"); /* s has not seen C's write */
  CHECK_INT(record_cut(&cut, &base, &s, &keep_none_rules), ==, 0);
  /* s's y of A's, and C's, which s has not seen; merged with the base
   * (as the hub does), the A's write C replaced goes. */
  CHECK_INT(record_field_nentries(record_field(&cut, "y")), ==, 2);
  CHECK_INT(vv_get(&cut.vv, "C"), ==, 1);
  CHECK_INT(record_merge(&cut, &base), ==, 0);
  CHECK_INT(record_field_nentries(record_field(&cut, "y")), ==, 1);
  CHECK_STR(record_field_winner(record_field(&cut, "y"))->value, "3");
  record_release(&cut);
  record_release(&base);
  record_release(&s);
}

TEST(withdrawals_as_the_rules_take_them)
{
  struct record base, s, cut;

  record_init(&base, "notes", "n");
  record_init(&s, "notes", "n");
  check_put(&s, "A", 10, "{\"consent\":false}");
  CHECK_INT(record_withdraw(&s, "A"), ==, 0);
  check_put(&s, "B", 20, "{\"consent\":false}");
  CHECK_INT(record_withdraw(&s, "B"), ==, 0);
  CHECK_INT(record_nwithdrawals(&s), ==, 2);
  CHECK_INT(record_cut(&cut, &base, &s, &keep_none_rules), ==, 0);
  CHECK_INT(record_nwithdrawals(&cut), ==, 1);
  CHECK_STR(record_withdrawal_at(&cut, 0)->dot.replica, "B");
  record_release(&cut);
  record_release(&base);
  record_release(&s);
}

TEST(values_come_from_the_base_or_as_vouched)
{
  struct record base, s, lied, cut;
  struct record_cut_rules none = {keep_none, vouch_none, b_withdrawals, NULL};
  cJSON *j, *y;
  char *text;

  make(&base, &s);
  /* lied: s, claiming another value for A's write of y (the base's). */
  text = record_encode(&s);
  j = cJSON_Parse(text);
  free(text);
  CHECK(j != NULL);
  y = cJSON_GetArrayItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(j, "fields"), "y"), 0);
  cJSON_ReplaceItemInObject(y, "value", cJSON_CreateNumber(9));
  text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  record_init(&lied, "notes", "n");
  CHECK_INT(record_decode(&lied, text, strlen(text), NULL), ==, 0);
  free(text);

  CHECK_INT(record_cut(&cut, &base, &lied, &none), ==, 0);
  /* The base's copy of a dot both hold; what only the state holds, as
   * vouch gives it (here: nothing). */
  CHECK_STR(record_field_winner(record_field(&cut, "y"))->value, "1");
  CHECK(record_field(&cut, "z") == NULL);
  CHECK_INT(vv_get(&cut.vv, "B"), ==, 1);
  record_release(&cut);
  record_release(&lied);
  record_release(&base);
  record_release(&s);
}
