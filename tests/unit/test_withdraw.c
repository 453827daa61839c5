/*
 * test_withdraw.c - a record's withdrawals (record.h, record_withdraw.c):
 * noted by the writer, seen by the writes made while holding them, merged
 * as a union, encoded after "vv", read back alike by both decoders (the
 * streaming one and the tree), which refuse the same malformed ones.
 */
#include "check.h"
#include "check_record.h"

#include "record.h"

#include <string.h>

static struct dot dot(const char *replica, uint64_t counter)
{
  struct dot d;
  memset(&d, 0, sizeof(d));
  strcpy(d.replica, replica);
  d.counter = counter;
  return d;
}

/* a: A writes, B merges it and withdraws (B,1); then A merges B's state
 * and writes again (A,2), holding the withdrawal. */
static void make_withdrawn(struct record *a, struct record *b)
{
  record_init(a, "c", "r1");
  record_init(b, "c", "r1");
  check_put(a, "A", 10, "{\"consent\":true,\"name\":\"x\"}");
  CHECK_INT(record_merge(b, a), ==, 0);
  check_put(b, "B", 20, "{\"consent\":false}");
  CHECK_INT(record_withdraw(b, "B"), ==, 0);
  CHECK_INT(record_merge(a, b), ==, 0);
  check_put(a, "A", 30, "{\"name\":\"y\"}");
}

TEST(noted_and_seen)
{
  struct record a, b;
  const struct withdrawal *w;
  struct dot before = dot("A", 1), after = dot("A", 2), other = dot("C", 1);

  make_withdrawn(&a, &b);
  CHECK_INT(record_nwithdrawals(&b), ==, 1);
  w = record_withdrawal_at(&a, 0);
  CHECK_STR(w->dot.replica, "B");
  CHECK_INT(w->dot.counter, ==, 1);
  /* B holds it from its own write; A from its first write after it */
  CHECK_INT(vv_get(&w->seen, "B"), ==, 1);
  CHECK_INT(vv_get(&w->seen, "A"), ==, 2);
  CHECK(record_withdrawal_erases(w, &before));
  CHECK(!record_withdrawal_erases(w, &after));
  CHECK(record_withdrawal_erases(w, &other));
  CHECK(record_withdrawn(&a, &other) && !record_withdrawn(&a, &after));
  /* noting the same write again changes nothing */
  CHECK_INT(record_withdraw(&b, "B"), ==, 0);
  CHECK_INT(record_nwithdrawals(&b), ==, 1);
  /* a delete is a write too: C's first write sees it from there */
  CHECK_INT(record_merge(&b, &a), ==, 0);
  CHECK_INT(record_delete(&b, "C", 40), ==, 0);
  CHECK_INT(vv_get(&record_withdrawal_at(&b, 0)->seen, "C"), ==, 1);
  record_release(&a);
  record_release(&b);
}

TEST(drop_withdrawn_keeps_what_saw_it)
{
  struct record a, c;

  make_withdrawn(&a, &c);
  record_release(&c);
  /* C wrote a name without having seen the withdrawal */
  record_init(&c, "c", "r1");
  check_put(&c, "C", 25, "{\"name\":\"z\"}");
  CHECK_INT(record_merge(&a, &c), ==, 0);
  CHECK_INT(record_field_nentries(record_field(&a, "name")), ==, 2);
  CHECK_INT(record_drop_withdrawn(&a, "name"), ==, 1);
  CHECK_INT(record_field_nentries(record_field(&a, "name")), ==, 1);
  CHECK_STR(record_field_entry(record_field(&a, "name"), 0)->value, "\"y\"");
  CHECK_INT(record_drop_withdrawn(&a, "name"), ==, 0);
  record_release(&a);
  record_release(&c);
}

TEST(merge_is_a_union)
{
  struct record a, b, ab, ba;
  char *x, *y;

  make_withdrawn(&a, &b);
  check_put(&b, "B", 50, "{\"consent\":false,\"k\":1}");
  CHECK_INT(record_withdraw(&b, "B"), ==, 0);
  CHECK_INT(record_nwithdrawals(&b), ==, 2);
  record_init(&ab, "c", "r1");
  record_init(&ba, "c", "r1");
  CHECK_INT(record_copy(&ab, &a), ==, 0);
  CHECK_INT(record_copy(&ba, &b), ==, 0);
  CHECK_INT(record_merge(&ab, &b), ==, 0);
  CHECK_INT(record_merge(&ba, &a), ==, 0);
  x = record_encode(&ab);
  y = record_encode(&ba);
  CHECK_STR(x, y);
  CHECK_INT(record_nwithdrawals(&ab), ==, 2);
  /* (B,1) is seen by A from 2 (a's) and by B from 1 */
  CHECK_INT(vv_get(&record_withdrawal_at(&ab, 0)->seen, "A"), ==, 2);
  CHECK_INT(vv_get(&record_withdrawal_at(&ab, 0)->seen, "B"), ==, 1);
  free(x);
  free(y);
  record_release(&a);
  record_release(&b);
  record_release(&ab);
  record_release(&ba);
}

TEST(encoded_after_vv_and_read_back_by_both_decoders)
{
  struct record a, b, s, t;
  struct sb_err err = {0};
  char *text, *again;

  make_withdrawn(&a, &b);
  text = record_encode(&a);
  CHECK(strstr(text, ",\"vv\":{\"A\":2,\"B\":1},\"withdrawals\":[{\"dot\":"
                     "[\"B\",1],\"seen\":{\"A\":2,\"B\":1}}]}") != NULL);
  record_init(&s, "", "");
  record_init(&t, "", "");
  CHECK_INT(record_decode(&s, text, strlen(text), &err), ==, 0);
  CHECK_INT(record_decode_tree(&t, text, strlen(text), &err), ==, 0);
  again = record_encode(&s);
  CHECK_STR(again, text);
  free(again);
  again = record_encode(&t);
  CHECK_STR(again, text);
  free(again);
  /* a record that never lost consent encodes as before: no member */
  free(text);
  record_release(&s);
  text = record_encode(&b);
  CHECK(strstr(text, "withdrawals") != NULL);
  free(text);
  record_init(&s, "c", "r1");
  check_put(&s, "A", 1, "{\"x\":1}");
  text = record_encode(&s);
  CHECK(strstr(text, "withdrawals") == NULL);
  free(text);
  record_release(&s);
  record_release(&t);
  record_release(&a);
  record_release(&b);
}

/* Both decoders refuse text, with the same code. */
static void refused(const char *text)
{
  struct record r;
  struct sb_err e1 = {0}, e2 = {0};
  int rc1, rc2;

  record_init(&r, "", "");
  rc1 = record_decode(&r, text, strlen(text), &e1);
  rc2 = record_decode_tree(&r, text, strlen(text), &e2);
  if (rc1 == 0 || rc2 == 0)
    fprintf(stderr, "taken (%d %d): %s\n", rc1, rc2, text);
  CHECK(rc1 != 0);
  CHECK_INT(rc1, ==, rc2);
  /* a content refusal is worded by the tree either way (record_sax.c) */
  if (rc1 == SB_EINVAL)
    CHECK_STR(e1.msg, e2.msg);
  record_release(&r);
}

#define HEAD                                                                   \
  "{\"collection\":\"c\",\"deleted\":false,\"fields\":{\"x\":[{\"dot\":"       \
  "[\"A\",1],\"ts\":1,\"value\":1}]},\"id\":\"r1\",\"tombstones\":[],"         \
  "\"vv\":{\"A\":2,\"B\":1}"

TEST(malformed_withdrawals_refused_alike)
{
  struct record r;
  struct sb_err err = {0};
  const char *ok = HEAD ",\"withdrawals\":[{\"dot\":[\"A\",2],\"seen\":"
                        "{\"A\":2}},{\"dot\":[\"B\",1],\"seen\":{\"B\":1}}]}";

  record_init(&r, "", "");
  CHECK_INT(record_decode(&r, ok, strlen(ok), &err), ==, 0);
  CHECK_INT(record_nwithdrawals(&r), ==, 2);
  record_release(&r);
  refused(HEAD ",\"withdrawals\":{}}");
  refused(HEAD ",\"withdrawals\":[1]}");
  /* unsorted, duplicated */
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1],\"seen\":{\"B\":1}},"
               "{\"dot\":[\"A\",2],\"seen\":{\"A\":2}}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1],\"seen\":{\"B\":1}},"
               "{\"dot\":[\"B\",1],\"seen\":{\"B\":1}}]}");
  /* not covered by the vv; seen not naming its own dot; seen beyond vv */
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",2],\"seen\":{\"B\":2}}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1],\"seen\":{\"A\":1}}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1],\"seen\":{\"A\":3,"
               "\"B\":1}}]}");
  /* shapes: members missing, unknown, doubled; bad dot, bad counter */
  refused(HEAD ",\"withdrawals\":[{\"seen\":{\"B\":1}}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1]}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1],\"seen\":{\"B\":1},"
               "\"ts\":1}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1],\"dot\":[\"B\",1],"
               "\"seen\":{\"B\":1}}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\"],\"seen\":{\"B\":1}}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",0],\"seen\":{\"B\":1}}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1],\"seen\":{\"B\":1.5}}]}");
  refused(HEAD ",\"withdrawals\":[{\"dot\":[\"B\",1],\"seen\":[]}]}");
}
