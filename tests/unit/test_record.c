/*
 * test_record.c - reading a record through its API: the field and
 * tombstone accessors, record_each_entry, record_max_ts, the conflict
 * predicates and the canonical encodings (record_encode,
 * record_encode_conflict).
 */
#include "check.h"
#include "check_record.h"

#include "record.h"

#include <string.h>

/* a = {x: 1 (A) | 2 (B), y: "a" (A)}: x holds two siblings. */
static void make_siblings(struct record *a)
{
  struct record b;
  record_init(a, "c", "r1");
  record_init(&b, "c", "r1");
  check_put(a, "A", 10, "{\"x\":1,\"y\":\"a\"}");
  check_put(&b, "B", 20, "{\"x\":2}");
  CHECK_INT(record_merge(a, &b), ==, 0);
  record_release(&b);
}

/* a = {x: 1 (A), y: "a" (A)} next to B's delete of x = 2: a delete met an
 * edit it had not seen. */
static void make_delete_conflict(struct record *a)
{
  struct record b;
  record_init(a, "c", "r1");
  record_init(&b, "c", "r1");
  check_put(a, "A", 10, "{\"x\":1,\"y\":\"a\"}");
  check_put(&b, "B", 20, "{\"x\":2}");
  CHECK_INT(record_delete(&b, "B", 30), ==, 0);
  CHECK_INT(record_merge(a, &b), ==, 0);
  record_release(&b);
}

TEST(fields_in_order)
{
  struct record r;
  const struct field *x, *y;

  make_siblings(&r);
  CHECK_INT(record_nfields(&r), ==, 2);
  x = record_field_at(&r, 0);
  y = record_field_at(&r, 1);
  CHECK_STR(record_field_name(x), "x");
  CHECK_STR(record_field_name(y), "y");
  CHECK(record_field(&r, "x") == x);
  CHECK(record_field(&r, "z") == NULL);
  CHECK_INT(record_field_nentries(x), ==, 2);
  CHECK_INT(record_field_nentries(y), ==, 1);
  /* Entries in dot order: A's before B's. */
  CHECK_STR(record_field_entry(x, 0)->dot.replica, "A");
  CHECK_STR(record_field_entry(x, 0)->value, "1");
  CHECK_INT(record_field_entry(x, 0)->ts, ==, 10);
  CHECK_STR(record_field_entry(x, 1)->dot.replica, "B");
  CHECK_STR(record_field_entry(x, 1)->value, "2");
  /* The later write wins. */
  CHECK(record_field_winner(x) == record_field_entry(x, 1));
  CHECK_STR(record_field_entry(y, 0)->value, "\"a\"");
  CHECK_INT(record_ntombs(&r), ==, 0);
  CHECK(record_conflicted(&r));
  CHECK(!record_delete_conflict(&r));
  CHECK(!record_deleted(&r));
  CHECK_INT(record_max_ts(&r), ==, 20);
  record_release(&r);
}

TEST(tombstones)
{
  struct record r;
  const struct entry *t;

  make_delete_conflict(&r);
  CHECK_INT(record_nfields(&r), ==, 2);
  CHECK_INT(record_field_nentries(record_field(&r, "x")), ==, 1);
  CHECK_INT(record_ntombs(&r), ==, 1);
  t = record_tomb_at(&r, 0);
  CHECK_STR(t->dot.replica, "B");
  CHECK_INT(t->dot.counter, ==, 2);
  CHECK_INT(t->ts, ==, 30);
  CHECK(t->value == NULL);
  CHECK(record_delete_conflict(&r));
  CHECK(record_conflicted(&r));
  CHECK(!record_deleted(&r));
  CHECK_INT(record_max_ts(&r), ==, 30);
  record_release(&r);

  /* A plain delete: tombstones, no fields, no conflict. */
  record_init(&r, "c", "r2");
  CHECK_INT(record_max_ts(&r), ==, 0);
  check_put(&r, "A", 5, "{\"x\":1}");
  CHECK_INT(record_delete(&r, "A", 7), ==, 0);
  CHECK_INT(record_nfields(&r), ==, 0);
  CHECK_INT(record_ntombs(&r), ==, 1);
  CHECK(record_deleted(&r));
  CHECK(!record_delete_conflict(&r));
  CHECK_INT(record_max_ts(&r), ==, 7);
  record_release(&r);
}

struct visit {
  char seen[256];
  size_t n, stop_at;
};

static int visit_one(const char *field, const struct entry *e, void *ctx)
{
  struct visit *v = ctx;
  size_t len = strlen(v->seen);
  snprintf(v->seen + len, sizeof(v->seen) - len, "%s%s:%s%llu",
           len > 0 ? " " : "", field != NULL ? field : "-", e->dot.replica,
           (unsigned long long)e->dot.counter);
  v->n++;
  return v->n == v->stop_at ? 42 : 0;
}

TEST(each_entry)
{
  struct visit v = {.stop_at = 0};
  struct record r;

  make_siblings(&r);
  CHECK_INT(record_each_entry(&r, visit_one, &v), ==, 0);
  CHECK_STR(v.seen, "x:A1 x:B1 y:A1");
  record_release(&r);

  make_delete_conflict(&r);
  memset(&v, 0, sizeof(v));
  CHECK_INT(record_each_entry(&r, visit_one, &v), ==, 0);
  CHECK_STR(v.seen, "x:A1 y:A1 -:B2");

  /* A non-zero return stops the walk and is returned. */
  memset(&v, 0, sizeof(v));
  v.stop_at = 2;
  CHECK_INT(record_each_entry(&r, visit_one, &v), ==, 42);
  CHECK_STR(v.seen, "x:A1 y:A1");
  record_release(&r);
}

TEST(encode)
{
  struct record r;
  char *text;

  make_siblings(&r);
  text = record_encode(&r);
  CHECK_STR(text, "{\"collection\":\"c\",\"deleted\":false,\"fields\":{\"x\":"
                  "[{\"dot\":[\"A\",1],\"ts\":10,\"value\":1},{\"dot\":[\"B\","
                  "1],\"ts\":20,\"value\":2}],\"y\":[{\"dot\":[\"A\",1],\"ts\":"
                  "10,\"value\":\"a\"}]},\"id\":\"r1\",\"tombstones\":[],"
                  "\"vv\":{\"A\":1,\"B\":1}}");
  free(text);
  text = record_encode_conflict(&r);
  CHECK_STR(text, "{\"collection\":\"c\",\"delete_conflict\":false,\"fields\":"
                  "{\"x\":[{\"dot\":[\"A\",1],\"ts\":10,\"value\":1},{\"dot\":"
                  "[\"B\",1],\"ts\":20,\"value\":2}]},\"id\":\"r1\","
                  "\"tombstones\":[]}");
  free(text);
  record_release(&r);

  make_delete_conflict(&r);
  text = record_encode(&r);
  CHECK_STR(text,
            "{\"collection\":\"c\",\"deleted\":false,\"fields\":{\"x\":"
            "[{\"dot\":[\"A\",1],\"ts\":10,\"value\":1}],\"y\":[{\"dot\":"
            "[\"A\",1],\"ts\":10,\"value\":\"a\"}]},\"id\":\"r1\","
            "\"tombstones\":[{\"dot\":[\"B\",2],\"ts\":30}],\"vv\":{\"A\":"
            "1,\"B\":2}}");
  free(text);
  text = record_encode_conflict(&r);
  CHECK_STR(text, "{\"collection\":\"c\",\"delete_conflict\":true,\"fields\":"
                  "{},\"id\":\"r1\",\"tombstones\":[{\"dot\":[\"B\",2],\"ts\":"
                  "30}]}");
  free(text);
  record_release(&r);
}

/* The characters of names, record ids and replica ids, byte by byte, and
 * their lengths (one table serves the three checks). */
TEST(names_ids_and_replicas_take_their_characters_only)
{
  char one[2] = {0, 0}, long_text[SB_ID_MAX + 2];
  int c;

  for (c = 1; c < 256; c++) {
    bool name = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '_';
    one[0] = (char)c;
    CHECK(record_name_valid(one) == name);
    CHECK(vv_replica_id_valid(one) == name);
    CHECK(record_id_valid(one) == (name || c == '.' || c == ':'));
  }
  CHECK(!record_name_valid("") && !record_id_valid("") &&
        !vv_replica_id_valid(""));
  memset(long_text, 'a', sizeof(long_text));
  long_text[SB_ID_MAX] = '\0';
  CHECK(record_id_valid(long_text));
  long_text[SB_ID_MAX] = 'a';
  long_text[SB_ID_MAX + 1] = '\0';
  CHECK(!record_id_valid(long_text));
  long_text[SB_NAME_MAX] = '\0';
  CHECK(record_name_valid(long_text));
  long_text[SB_NAME_MAX] = 'a';
  long_text[SB_NAME_MAX + 1] = '\0';
  CHECK(!record_name_valid(long_text));
  long_text[SB_REPLICA_MAX] = '\0';
  CHECK(vv_replica_id_valid(long_text));
  long_text[SB_REPLICA_MAX] = 'a';
  long_text[SB_REPLICA_MAX + 1] = '\0';
  CHECK(!vv_replica_id_valid(long_text));
}
