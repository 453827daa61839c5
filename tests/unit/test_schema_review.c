/*
 * test_schema_review.c - merged states that break a rule of the record
 * (schema_review): two valid writes that merge into a state missing a
 * required field or holding personal details without consent are flagged
 * the same on every replica; valid and deleted states are not.
 */
#include "check.h"
#include "check_record.h"

#include "json.h"
#include "record.h"
#include "schema.h"

static struct schema *default_schema(void)
{
  struct schema *s = NULL;
  CHECK_INT(schema_parse(schema_default_text, &s, NULL), ==, 0);
  return s;
}

/* Exchanges the states of a and b, as a sync through the hub would. */
static void sync_both(struct record *a, struct record *b)
{
  struct record ca, cb;
  CHECK_INT(record_copy(&ca, a), ==, 0);
  CHECK_INT(record_copy(&cb, b), ==, 0);
  CHECK_INT(record_merge(a, &cb), ==, 0);
  CHECK_INT(record_merge(b, &ca), ==, 0);
  record_release(&ca);
  record_release(&cb);
}

/* a and b get the same flag and the same words; returns the flag. */
static int review_same(const struct schema_collection *c,
                       const struct record *a, const struct record *b,
                       char *why, size_t len)
{
  char other[256];
  int ra = schema_review(c, a, why, len);
  int rb = schema_review(c, b, other, sizeof(other));
  CHECK_INT(ra, ==, rb);
  CHECK_STR(why, other);
  return ra;
}

#define VALID                                                                  \
  "{\"consent\":true,\"name\":\"Ibu Sari\",\"groups\":[\"perempuan\"],"        \
  "\"kecamatan\":\"Setu\"}"

TEST(valid_state_not_flagged)
{
  struct schema *s = default_schema();
  const struct schema_collection *c = schema_collection(s, "beneficiary");
  struct record r;
  char why[256] = "x";

  record_init(&r, "beneficiary", "b1");
  CHECK_INT(schema_review(c, &r, why, sizeof(why)), ==, 0); /* empty */
  check_put(&r, "A", 1000, VALID);
  CHECK_INT(schema_review(c, &r, why, sizeof(why)), ==, 0);
  CHECK_STR(why, "");
  /* Free-form collections have no rules. */
  CHECK_INT(schema_review(schema_collection(s, "notes"), &r, why, sizeof(why)),
            ==, 0);
  record_release(&r);
  schema_free(s);
}

TEST(delete_meets_edit_missing_required)
{
  struct schema *s = default_schema();
  const struct schema_collection *c = schema_collection(s, "beneficiary");
  struct record a, b;
  char why[256];

  record_init(&a, "beneficiary", "b1");
  record_init(&b, "beneficiary", "b1");
  check_put(&a, "A", 1000,
            "{\"consent\":false,\"groups\":[\"anak\"],\"kecamatan\":\"Setu\","
            "\"kelurahan\":\"Muncul\"}");
  sync_both(&a, &b);
  /* A deletes; B, not having seen it, edits kelurahan. */
  CHECK_INT(record_delete(&a, "A", 2000), ==, 0);
  check_put(&b, "B", 1500, "{\"kelurahan\":\"Babakan\"}");
  CHECK_INT(schema_review(c, &a, why, sizeof(why)), ==, 0); /* deleted */
  sync_both(&a, &b);
  CHECK(!record_deleted(&a));
  CHECK_INT(review_same(c, &a, &b, why, sizeof(why)), ==, 1);
  CHECK_STR(why, "missing required fields \"groups\", \"kecamatan\", "
                 "\"consent\"");
  record_release(&a);
  record_release(&b);
  schema_free(s);
}

TEST(delete_meets_name_edit)
{
  struct schema *s = default_schema();
  const struct schema_collection *c = schema_collection(s, "beneficiary");
  struct record a, b;
  char why[256];

  record_init(&a, "beneficiary", "b1");
  record_init(&b, "beneficiary", "b1");
  check_put(&a, "A", 1000, VALID);
  sync_both(&a, &b);
  CHECK_INT(record_delete(&a, "A", 2000), ==, 0);
  check_put(&b, "B", 1500, "{\"name\":\"Ibu Sari W.\"}");
  sync_both(&a, &b);
  CHECK_INT(review_same(c, &a, &b, why, sizeof(why)), ==, 1);
  CHECK(strstr(why, "missing required fields") != NULL);
  CHECK(strstr(why, "personal details (\"name\") held while \"consent\" is "
                    "not true") != NULL);
  record_release(&a);
  record_release(&b);
  schema_free(s);
}

TEST(consent_siblings_false_wins)
{
  struct schema *s = default_schema();
  const struct schema_collection *c = schema_collection(s, "beneficiary");
  struct record a, b;
  char why[256];

  record_init(&a, "beneficiary", "b1");
  record_init(&b, "beneficiary", "b1");
  check_put(&a, "A", 1000, VALID);
  sync_both(&a, &b);
  /* Concurrent: A says no (later), B says yes again: siblings, false wins
   * the read, and one surviving value is true, so the name stays. */
  check_put(&a, "A", 3000, "{\"consent\":false}");
  check_put(&b, "B", 2000, "{\"consent\":true}");
  sync_both(&a, &b);
  CHECK(record_conflicted(&a));
  CHECK_INT(review_same(c, &a, &b, why, sizeof(why)), ==, 1);
  CHECK_STR(why, "personal details (\"name\") held while \"consent\" is not "
                 "true");
  /* A resolving write clears the flag. */
  check_put(&a, "A", 4000, "{\"consent\":true}");
  CHECK_INT(schema_review(c, &a, why, sizeof(why)), ==, 0);
  record_release(&a);
  record_release(&b);
  schema_free(s);
}

TEST(short_buffer_and_null)
{
  struct schema *s = default_schema();
  const struct schema_collection *c = schema_collection(s, "visit");
  struct record r;
  char why[12];

  record_init(&r, "visit", "v1");
  check_put(&r, "A", 1000, "{\"notes\":\"x\"}");
  CHECK_INT(schema_review(c, &r, why, sizeof(why)), ==, 1);
  CHECK_INT(strlen(why), ==, sizeof(why) - 1);
  CHECK_INT(schema_review(c, &r, NULL, 0), ==, 1);
  /* A null value counts as missing. */
  check_put(&r, "A", 2000,
            "{\"beneficiary\":\"b1\",\"date\":\"2024-01-02\","
            "\"programme\":\"skills-cooking\",\"notes\":null}");
  CHECK_INT(schema_review(c, &r, why, sizeof(why)), ==, 0);
  check_put(&r, "A", 3000, "{\"date\":null}");
  CHECK_INT(schema_review(c, &r, NULL, 0), ==, 1);
  record_release(&r);
  schema_free(s);
}

/* A collection's "label" names one of its string fields. */
TEST(label_parse)
{
  struct schema *s = default_schema();
  struct sb_err err = {0};
  CHECK_STR(schema_collection(s, "beneficiary")->label, "name");
  CHECK(schema_collection(s, "visit")->label == NULL);
  schema_free(s);
  s = (struct schema *)1;
  CHECK_INT(schema_parse("{\"version\":1,\"collections\":{\"p\":{\"label\":"
                         "\"n\",\"fields\":{\"n\":{\"type\":\"int\"}}}}}",
                         &s, &err),
            ==, SB_ESCHEMA);
  CHECK(s == NULL);
  CHECK(strstr(err.msg, "\"label\" names \"n\", which is not one of its "
                        "string fields") != NULL);
  CHECK_INT(schema_parse("{\"version\":1,\"collections\":{\"p\":{\"label\":"
                         "\"x\",\"fields\":{\"n\":{\"type\":\"string\"}}}}}",
                         &s, &err),
            ==, SB_ESCHEMA);
}
