/*
 * test_record_compact.c - the compact form of a record state
 * (record_encode_compact): its bytes, the choice of "at", what both
 * decoders refuse in it, and that size limits measure the full form.
 */
#include "check.h"
#include "check_record.h"

#include "buf.h"
#include "json.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* text decoded by both decoders: each gives a record whose full form is
 * full. */
static void check_reads_as(const char *text, const char *full)
{
  struct record sax, tree;
  struct sb_err err = {0};
  char *a, *b;

  record_init(&sax, "x", "x");
  record_init(&tree, "x", "x");
  CHECK_INT(record_decode(&sax, text, strlen(text), &err), ==, 0);
  CHECK_INT(record_decode_tree(&tree, text, strlen(text), &err), ==, 0);
  a = record_encode(&sax);
  b = record_encode(&tree);
  CHECK_STR(a, full);
  CHECK_STR(b, full);
  free(a);
  free(b);
  record_release(&sax);
  record_release(&tree);
}

/* Both decoders refuse text with code; the SAX one's message holds want. */
static void check_refused(const char *text, int code, const char *want)
{
  struct record sax, tree;
  struct sb_err err = {0}, terr = {0};

  record_init(&sax, "x", "x");
  record_init(&tree, "x", "x");
  CHECK_INT(record_decode(&sax, text, strlen(text), &err), ==, code);
  CHECK_INT(record_decode_tree(&tree, text, strlen(text), &terr), ==, code);
  CHECK(strstr(err.msg, want) != NULL);
  CHECK(strstr(terr.msg, want) != NULL);
  record_release(&sax);
  record_release(&tree);
}

TEST(one_write_is_one_at)
{
  struct record r;
  char *text, *full;

  check_record(&r, "visit", "v1", "A", 10, "{\"date\":\"2026-11-03\",\"n\":2}");
  text = record_encode_compact(&r);
  full = record_encode(&r);
  CHECK_STR(text, "{\"at\":[\"A\",1,10],\"collection\":\"visit\","
                  "\"deleted\":false,\"fields\":{},\"id\":\"v1\","
                  "\"tombstones\":[],\"values\":{\"date\":\"2026-11-03\","
                  "\"n\":2},\"vv\":{\"A\":1}}");
  check_reads_as(text, full);
  free(text);
  free(full);
  record_release(&r);
}

/* A later edit of one field and a conflict on another: "at" is the write
 * most fields still hold; the rest stay spelled out. */
TEST(the_rest_stays_in_fields)
{
  struct record a, b;
  char *text, *full;

  check_record(&a, "c", "r1", "A", 10, "{\"x\":1,\"y\":\"a\",\"z\":true}");
  check_record(&b, "c", "r1", "B", 20, "{\"x\":2}");
  CHECK_INT(record_merge(&a, &b), ==, 0);
  check_put(&a, "A", 30, "{\"y\":\"b\"}");
  text = record_encode_compact(&a);
  full = record_encode(&a);
  /* z alone holds A's first write and y A's second: a tie, to the
   * smaller dot. x holds two siblings. */
  CHECK_STR(text,
            "{\"at\":[\"A\",1,10],\"collection\":\"c\",\"deleted\":false,"
            "\"fields\":{\"x\":[{\"dot\":[\"A\",1],\"ts\":10,\"value\":1},"
            "{\"dot\":[\"B\",1],\"ts\":20,\"value\":2}],\"y\":[{\"dot\":"
            "[\"A\",2],\"ts\":30,\"value\":\"b\"}]},\"id\":\"r1\","
            "\"tombstones\":[],\"values\":{\"z\":true},\"vv\":{\"A\":2,"
            "\"B\":1}}");
  check_reads_as(text, full);
  free(text);
  free(full);
  record_release(&a);
  record_release(&b);
}

TEST(a_delete_keeps_the_full_form)
{
  struct record r;
  char *text, *full;

  check_record(&r, "c", "r1", "A", 10, "{\"x\":1}");
  CHECK_INT(record_delete(&r, "A", 20), ==, 0);
  text = record_encode_compact(&r);
  full = record_encode(&r);
  CHECK_STR(text, full);
  free(text);
  free(full);
  record_release(&r);
}

/* Members in any order, as any state: the same record. */
TEST(members_in_any_order)
{
  check_reads_as(
      "{\"vv\":{\"A\":1},\"values\":{\"y\":[1,{\"b\":2,\"a\":1}],"
      "\"x\":\"s\"},\"tombstones\":[],\"id\":\"r\",\"fields\":{},"
      "\"deleted\":false,\"collection\":\"c\",\"at\":[\"A\",1,5]}",
      "{\"collection\":\"c\",\"deleted\":false,\"fields\":{\"x\":"
      "[{\"dot\":[\"A\",1],\"ts\":5,\"value\":\"s\"}],\"y\":[{\"dot\":"
      "[\"A\",1],\"ts\":5,\"value\":[1,{\"a\":1,\"b\":2}]}]},\"id\":"
      "\"r\",\"tombstones\":[],\"vv\":{\"A\":1}}");
}

#define HEAD                                                                   \
  "{\"collection\":\"c\",\"deleted\":false,\"id\":\"r\",\"tombstones\":[],"

TEST(refusals)
{
  check_refused(HEAD "\"fields\":{},\"values\":{\"x\":1},\"vv\":{\"A\":1}}",
                SB_EINVAL, "come together");
  check_refused(HEAD "\"at\":[\"A\",1,5],\"fields\":{\"x\":[{\"dot\":[\"A\",1],"
                     "\"ts\":5,\"value\":1}]},\"vv\":{\"A\":1}}",
                SB_EINVAL, "come together");
  check_refused(HEAD "\"at\":[\"A\",1],\"fields\":{},\"values\":{\"x\":1},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "[replica, counter, ts]");
  check_refused(HEAD "\"at\":[\"A\",0,5],\"fields\":{},\"values\":{\"x\":1},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "[replica, counter, ts]");
  check_refused(HEAD "\"at\":[\"A\",1,-5],\"fields\":{},\"values\":{\"x\":1},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "[replica, counter, ts]");
  check_refused(HEAD "\"at\":[\"A b\",1,5],\"fields\":{},\"values\":{\"x\":1},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "[replica, counter, ts]");
  check_refused(HEAD "\"at\":[\"A\",1,5,6],\"fields\":{},\"values\":{\"x\":1},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "[replica, counter, ts]");
  check_refused(HEAD "\"at\":{\"A\":1},\"fields\":{},\"values\":{\"x\":1},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "[replica, counter, ts]");
  check_refused(HEAD "\"at\":[\"A\",1,5],\"fields\":{},\"values\":[1],"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "must be an object");
  check_refused(HEAD "\"at\":[\"A\",1,5],\"fields\":{},\"values\":{},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "must name a field");
  check_refused(HEAD "\"at\":[\"A\",1,5],\"fields\":{},\"values\":{\"b c\":1},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "bad field name");
  check_refused(HEAD "\"at\":[\"A\",1,5],\"fields\":{\"x\":[{\"dot\":[\"A\",1],"
                     "\"ts\":5,\"value\":1}]},\"values\":{\"x\":2},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "field \"x\" is in both \"fields\" and \"values\"");
  /* "at" is a dot like any other: the vv must cover it. */
  check_refused(HEAD "\"at\":[\"A\",2,5],\"fields\":{},\"values\":{\"x\":1},"
                     "\"vv\":{\"A\":1}}",
                SB_EINVAL, "not covered by the version vector");
  /* Values make the record live. */
  check_refused("{\"at\":[\"A\",1,5],\"collection\":\"c\",\"deleted\":true,"
                "\"fields\":{},\"id\":\"r\",\"tombstones\":[],\"values\":"
                "{\"x\":1},\"vv\":{\"A\":1}}",
                SB_EINVAL, "\"deleted\" does not match");
  /* A key twice in "values" is a duplicate key, as anywhere. */
  check_refused(HEAD "\"at\":[\"A\",1,5],\"fields\":{},\"values\":{\"x\":1,"
                     "\"x\":2},\"vv\":{\"A\":1}}",
                SB_EJSON, "duplicate key");
}

/* Size limits are on the full form: a compact text well under the limit
 * whose full form is over it is over (record_full_over). */
TEST(limits_measure_the_full_form)
{
  struct record r;
  struct buf b;
  char *compact, *full;
  int i;

  buf_init(&b);
  buf_adds(&b, "{");
  for (i = 0; i < 25000; i++) {
    char one[32];
    snprintf(one, sizeof(one), "%s\"f%05d\":1", i > 0 ? "," : "", i);
    buf_adds(&b, one);
  }
  buf_adds(&b, "}");
  CHECK(!b.failed);
  check_record(&r, "c", "many", "A", 10, b.p);
  compact = record_encode_compact(&r);
  full = record_encode(&r);
  CHECK(strlen(compact) < SB_RECORD_MAX && strlen(full) > SB_RECORD_MAX);
  CHECK_INT(record_full_over(&r, strlen(compact), SB_RECORD_MAX), ==,
            strlen(full));
  CHECK_INT(record_full_over(&r, strlen(full), SB_RECORD_MAX), ==,
            strlen(full));
  CHECK_INT(record_full_over(&r, strlen(compact), strlen(full)), ==, 0);
  free(compact);
  free(full);
  buf_release(&b);
  record_release(&r);
}
