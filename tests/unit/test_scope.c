/*
 * test_scope.c - the scope rule (common/scope.c) and the schema's scope
 * keys: device scopes checked against the schema's kecamatan, a record's
 * parts from its field (siblings included) or from the record it follows,
 * unscoped collections in every scope; and the gone entries of a page.
 */
#include "check.h"
#include "check_record.h"

#include "proto.h"
#include "record.h"
#include "schema.h"
#include "scope.h"

#include <stdlib.h>
#include <string.h>

static struct schema *default_schema(void)
{
  struct schema *s = NULL;
  CHECK_INT(schema_parse(schema_default_text, &s, NULL), ==, 0);
  return s;
}

TEST(device_scope_parse)
{
  struct schema *s = default_schema();
  struct scope_parts p;
  struct sb_err err = {0};
  char text[256];

  scope_parts_init(&p);
  CHECK_INT(scope_parse(s, "setu, Pamulang,Setu", &p, &err), ==, 0);
  CHECK(scope_text(&p, text, sizeof(text)));
  CHECK_STR(text, "Pamulang,Setu"); /* schema spelling, sorted, once */
  CHECK_INT(scope_parse(s, " Setu , pamulang ", &p, &err), ==, 0);
  CHECK(scope_text(&p, text, sizeof(text)));
  CHECK_STR(text, "Pamulang,Setu"); /* spaces around a part are not in it */
  CHECK_INT(scope_parse(s, "all", &p, &err), ==, 0);
  CHECK(p.all);
  CHECK_INT(scope_parse(s, "Setu,Atlantis", &p, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "\"Atlantis\"") != NULL);
  CHECK(strstr(err.msg, "Pondok Aren") != NULL);
  CHECK(p.n == 0 && !p.all);
  CHECK_INT(scope_parse(s, "", &p, &err), ==, SB_EINVAL);
  CHECK_INT(scope_parse(s, ",", &p, &err), ==, SB_EINVAL);
  CHECK_INT(scope_parse(s, "all,Setu", &p, &err), ==, SB_EINVAL);
  /* An empty part is a typo, refused wherever it is (not skipped). */
  CHECK_INT(scope_parse(s, "Setu,,Pamulang", &p, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "an empty part") != NULL);
  CHECK_INT(scope_parse(s, ",Setu", &p, &err), ==, SB_EINVAL);
  CHECK_INT(scope_parse(s, "Setu,", &p, &err), ==, SB_EINVAL);
  CHECK_INT(scope_parse(s, "Setu, ,Pamulang", &p, &err), ==, SB_EINVAL);
  CHECK(p.n == 0 && !p.all);
  CHECK(!scope_text(&p, text, 0));
  scope_parts_release(&p);
  schema_free(s);
}

TEST(schema_scope_keys)
{
  struct schema *s = NULL;
  struct sb_err err = {0};
  const char *pre = "{\"version\":1,\"collections\":{\"a\":{\"fields\":{"
                    "\"k\":{\"type\":\"enum\",\"values\":[\"x\"]},"
                    "\"t\":{\"type\":\"string\"}}";
  char text[1024];

  snprintf(text, sizeof(text), "%s,\"scope\":\"t\"}}}", pre);
  CHECK_INT(schema_parse(text, &s, &err), ==, SB_ESCHEMA);
  CHECK(strstr(err.msg, "enum fields") != NULL);
  snprintf(text, sizeof(text), "%s,\"scope\":{\"follows\":\"k\"}}}}", pre);
  CHECK_INT(schema_parse(text, &s, &err), ==, SB_ESCHEMA);
  CHECK(strstr(err.msg, "ref fields") != NULL);
  snprintf(text, sizeof(text), "%s,\"scope\":7}}}", pre);
  CHECK_INT(schema_parse(text, &s, &err), ==, SB_ESCHEMA);
  /* A follows to a collection without a scope field of its own. */
  snprintf(text, sizeof(text),
           "%s},\"b\":{\"scope\":{\"follows\":\"r\"},\"fields\":{\"r\":"
           "{\"type\":\"ref\",\"ref\":\"a\"}}}}}",
           pre);
  CHECK_INT(schema_parse(text, &s, &err), ==, SB_ESCHEMA);
  CHECK(strstr(err.msg, "without a scope field") != NULL);
  snprintf(text, sizeof(text),
           "%s,\"scope\":\"k\"},\"b\":{\"scope\":{\"follows\":\"r\"},"
           "\"fields\":{\"r\":{\"type\":\"ref\",\"ref\":\"a\"}}}}}",
           pre);
  CHECK_INT(schema_parse(text, &s, &err), ==, 0);
  CHECK_STR(schema_collection(s, "a")->scope_field, "k");
  CHECK_STR(schema_collection(s, "b")->scope_follows, "r");
  CHECK(scope_follower(s, "a", 0) == schema_collection(s, "b"));
  CHECK(scope_follower(s, "a", 1) == NULL);
  schema_free(s);
}

/* A lookup holding one beneficiary. */
static int one_lookup(void *ctx, const char *collection, const char *id,
                      struct record *r, struct scope_parts *known,
                      struct sb_err *err)
{
  const struct record *b = ctx;
  (void)known;
  (void)err;
  if (strcmp(collection, b->collection) != 0 || strcmp(id, b->id) != 0)
    return SB_ENOTFOUND;
  return record_copy(r, b);
}

TEST(record_parts)
{
  struct schema *s = default_schema();
  struct record b, b2, v, n;
  struct scope_parts p, dev;
  char text[256];

  scope_parts_init(&p);
  scope_parts_init(&dev);
  record_init(&b, "beneficiary", "b1");
  check_put(&b, "r1", 10, "{\"kecamatan\":\"Setu\",\"consent\":true}");
  CHECK_INT(scope_of(s, &b, one_lookup, &b, &p, NULL), ==, 0);
  CHECK(scope_text(&p, text, sizeof(text)));
  CHECK_STR(text, "Setu");
  CHECK_INT(scope_parse(s, "Pamulang", &dev, NULL), ==, 0);
  CHECK(!scope_meets(&dev, &p));
  /* Concurrent moves: in both kecamatan until resolved. */
  record_init(&b2, "beneficiary", "b1");
  CHECK_INT(record_copy(&b2, &b), ==, 0);
  check_put(&b, "r1", 20, "{\"kecamatan\":\"Ciputat\"}");
  check_put(&b2, "r2", 21, "{\"kecamatan\":\"Pamulang\"}");
  CHECK_INT(record_merge(&b, &b2), ==, 0);
  CHECK_INT(scope_of(s, &b, one_lookup, &b, &p, NULL), ==, 0);
  CHECK(scope_text(&p, text, sizeof(text)));
  CHECK_STR(text, "Ciputat,Pamulang");
  CHECK(scope_meets(&dev, &p));
  /* A visit follows its beneficiary; an unknown one: no part. */
  record_init(&v, "visit", "v1");
  check_put(&v, "r1", 30, "{\"beneficiary\":\"b1\"}");
  CHECK_INT(scope_of(s, &v, one_lookup, &b, &p, NULL), ==, 0);
  CHECK(scope_text(&p, text, sizeof(text)));
  CHECK_STR(text, "Ciputat,Pamulang");
  check_put(&v, "r1", 31, "{\"beneficiary\":\"nobody\"}");
  CHECK_INT(scope_of(s, &v, one_lookup, &b, &p, NULL), ==, 0);
  CHECK(p.n == 0 && !p.all && !scope_meets(&dev, &p));
  /* Deleted: in no scope but all. */
  CHECK_INT(record_delete(&b, "r1", 40), ==, 0);
  CHECK_INT(scope_of(s, &b, one_lookup, &b, &p, NULL), ==, 0);
  CHECK(p.n == 0 && !scope_meets(&dev, &p));
  dev.all = true;
  CHECK(scope_meets(&dev, &p));
  /* A free-form collection: every scope. */
  record_init(&n, "notes", "n1");
  check_put(&n, "r1", 50, "{\"text\":\"x\"}");
  CHECK_INT(scope_of(s, &n, one_lookup, &b, &p, NULL), ==, 0);
  CHECK(p.all);
  record_release(&b);
  record_release(&b2);
  record_release(&v);
  record_release(&n);
  scope_parts_release(&p);
  scope_parts_release(&dev);
  schema_free(s);
}

TEST(page_gone_entries)
{
  const char *gone_text = "{\"changes\":[{\"gone\":{\"collection\":\"visit\","
                          "\"id\":\"v:1\"},\"seq\":3}],\"more\":false,"
                          "\"next\":9,\"scope\":\"Setu\"}";
  struct changes_page p;
  struct sb_err err = {0};
  uint64_t seq = 3;
  bool gone = true;
  char *g, *text;

  changes_page_init(&p);
  CHECK_INT(changes_page_decode(&p, gone_text, strlen(gone_text), &err), ==, 0);
  CHECK(p.n == 1 && p.c[0].gone && p.next == 9);
  CHECK_STR(p.c[0].rec.id, "v:1");
  CHECK_STR(p.scope, "Setu");
  g = changes_gone_encode("visit", "v:1");
  CHECK(g != NULL);
  text = changes_page_encode_scoped(&seq, (const char *const *)&g, &gone, 1,
                                    false, 9, "Setu");
  CHECK_STR(text, gone_text);
  free(text);
  free(g);
  {
    const char *bad[] = {
        "{\"changes\":[{\"gone\":{\"collection\":\"visit\"},\"seq\":3}],"
        "\"more\":false,\"next\":9}",
        "{\"changes\":[{\"gone\":{\"collection\":\"visit\",\"id\":\"v\","
        "\"x\":1},\"seq\":3}],\"more\":false,\"next\":9}",
        "{\"changes\":[{\"gone\":{\"collection\":\"v i\",\"id\":\"v\"},"
        "\"seq\":3}],\"more\":false,\"next\":9}",
        "{\"changes\":[{\"gone\":{\"collection\":\"visit\",\"id\":\"v\"},"
        "\"seq\":3,\"record\":{}}],\"more\":false,\"next\":9}",
        "{\"changes\":[],\"more\":false,\"next\":9,\"scope\":\"\"}",
        "{\"changes\":[],\"more\":false,\"next\":9,\"scope\":7}",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      CHECK_INT(changes_page_decode(&p, bad[i], strlen(bad[i]), &err), ==,
                SB_EPROTOCOL);
      CHECK(p.n == 0 && p.scope == NULL);
    }
  }
  changes_page_release(&p);
}

/* The purge horizon (hub_purge.h): encoded in canonical key order only
 * when set, decoded back (absent: 0), and a bad one refused. */
TEST(page_horizon)
{
  const char *with = "{\"changes\":[],\"horizon\":42,\"more\":false,"
                     "\"next\":50,\"scope\":\"Setu\"}";
  struct changes_page p;
  struct sb_err err = {0};
  char *text;
  size_t i;

  text =
      changes_page_encode_horizon(NULL, NULL, NULL, 0, false, 50, "Setu", 42);
  CHECK_STR(text, with);
  free(text);
  text = changes_page_encode_horizon(NULL, NULL, NULL, 0, true, 50, NULL, 0);
  CHECK_STR(text, "{\"changes\":[],\"more\":true,\"next\":50}");
  free(text);
  changes_page_init(&p);
  CHECK_INT(changes_page_decode(&p, with, strlen(with), &err), ==, 0);
  CHECK(p.horizon == 42 && p.next == 50);
  text = "{\"changes\":[],\"more\":false,\"next\":5}";
  CHECK_INT(changes_page_decode(&p, text, strlen(text), &err), ==, 0);
  CHECK(p.horizon == 0);
  {
    const char *bad[] = {
        "{\"changes\":[],\"horizon\":-1,\"more\":false,\"next\":9}",
        "{\"changes\":[],\"horizon\":\"7\",\"more\":false,\"next\":9}",
        "{\"changes\":[],\"horizon\":1.5,\"more\":false,\"next\":9}",
    };
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
      CHECK_INT(changes_page_decode(&p, bad[i], strlen(bad[i]), &err), ==,
                SB_EPROTOCOL);
  }
  changes_page_release(&p);
}
