/*
 * test_merge_forged.c - states that disagree on one dot. One dot is one
 * write, so honest replicas never hold two different entries for it; the
 * hub refuses a push that tries (dot_reused). The merge must still not
 * depend on the order it sees such states in (common/DESIGN.md: a join),
 * so every replica that met the same states holds the same bytes: it keeps
 * the entry with the smaller timestamp, then the smaller value.
 */
#include "merge_history.h"

/* A state of notes/n1 whose field x holds one entry: dot (aaaa..., 1). */
static void state(struct record *r, uint64_t ts, const char *value)
{
  char text[512];
  struct sb_err err = {0};
  int n = snprintf(text, sizeof(text),
                   "{\"collection\":\"notes\",\"deleted\":false,\"fields\":"
                   "{\"x\":[{\"dot\":[\"aaaaaaaaaaaaaaaa\",1],\"ts\":%llu,"
                   "\"value\":%s}]},\"id\":\"n1\",\"tombstones\":[],"
                   "\"vv\":{\"aaaaaaaaaaaaaaaa\":1}}",
                   (unsigned long long)ts, value);

  CHECK(n > 0 && (size_t)n < sizeof(text));
  record_init(r, "notes", "n1"); /* decode releases r first */
  CHECK_INT(record_decode(r, text, (size_t)n, &err), ==, 0);
}

/* x's one entry of r: its timestamp and value. */
static void check_entry(const struct record *r, uint64_t ts, const char *value)
{
  const struct field *f;

  CHECK_INT(record_nfields(r), ==, 1);
  f = record_field_at(r, 0);
  CHECK_INT(record_field_nentries(f), ==, 1);
  CHECK_INT(record_field_entry(f, 0)->ts, ==, ts);
  CHECK_STR(record_field_entry(f, 0)->value, value);
}

/* States a and b of the dot merge, in either order, to the entry (ts,
 * value). */
static void check_kept(uint64_t ts_a, const char *value_a, uint64_t ts_b,
                       const char *value_b, uint64_t ts, const char *value)
{
  struct record a, b, ab, ba;

  state(&a, ts_a, value_a);
  state(&b, ts_b, value_b);
  merged(&ab, &a, &b);
  merged(&ba, &b, &a);
  check_same(&ab, &ba);
  check_entry(&ab, ts, value);
  record_release(&a);
  record_release(&b);
  record_release(&ab);
  record_release(&ba);
}

TEST(smaller_timestamp_kept_either_way)
{
  check_kept(2000, "\"early\"", 1000, "\"late\"", 1000, "\"late\"");
}

TEST(same_timestamp_smaller_value_kept_either_way)
{
  check_kept(1000, "\"zebra\"", 1000, "\"apel\"", 1000, "\"apel\"");
}

TEST(three_versions_of_one_dot_associative)
{
  /* Every order and grouping of three disagreeing states: one result. */
  static const struct {
    uint64_t ts;
    const char *value;
  } v[3] = {{1000, "\"b\""}, {1000, "\"a\""}, {900, "\"c\""}};
  static const int order[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                  {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  struct record s[3], first, left, right, tmp;
  int i, k;

  for (i = 0; i < 3; i++)
    state(&s[i], v[i].ts, v[i].value);
  for (k = 0; k < 6; k++) {
    const struct record *x = &s[order[k][0]], *y = &s[order[k][1]],
                        *z = &s[order[k][2]];
    merged(&tmp, x, y);
    merged(&left, &tmp, z); /* (x y) z */
    record_release(&tmp);
    merged(&tmp, y, z);
    merged(&right, x, &tmp); /* x (y z) */
    record_release(&tmp);
    check_same(&left, &right);
    if (k == 0)
      copy(&first, &left);
    check_same(&left, &first);
    record_release(&left);
    record_release(&right);
  }
  check_entry(&first, 900, "\"c\"");
  record_release(&first);
  for (i = 0; i < 3; i++)
    record_release(&s[i]);
}

/* A deleted notes/n1 whose one tombstone is dot (aaaa..., 1) at ts %d. */
#define TOMBSTONE_STATE                                                        \
  "{\"collection\":\"notes\",\"deleted\":true,\"fields\":{},\"id\":\"n1\","    \
  "\"tombstones\":[{\"dot\":[\"aaaaaaaaaaaaaaaa\",1],\"ts\":%d}],"             \
  "\"vv\":{\"aaaaaaaaaaaaaaaa\":1}}"

TEST(tombstone_smaller_timestamp_kept_either_way)
{
  struct record a, b, ab, ba;
  struct sb_err err = {0};
  char text[256], *e;
  int n;

  n = snprintf(text, sizeof(text), TOMBSTONE_STATE, 2000);
  record_init(&a, "notes", "n1");
  CHECK_INT(record_decode(&a, text, (size_t)n, &err), ==, 0);
  n = snprintf(text, sizeof(text), TOMBSTONE_STATE, 1000);
  record_init(&b, "notes", "n1");
  CHECK_INT(record_decode(&b, text, (size_t)n, &err), ==, 0);
  merged(&ab, &a, &b);
  merged(&ba, &b, &a);
  check_same(&ab, &ba);
  e = encode(&ab);
  CHECK(strstr(e, "\"ts\":1000") != NULL);
  free(e);
  record_release(&a);
  record_release(&b);
  record_release(&ab);
  record_release(&ba);
}
