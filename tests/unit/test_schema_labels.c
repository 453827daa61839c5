/* test_schema_labels.c - labels of enum values per language. */
#include "check.h"

#include "err.h"
#include "schema.h"

#include <stdio.h>

/* A schema whose field "p" (TYPE) has values a, b and the given labels. */
static int parse_with(const char *type, const char *labels, struct schema **s,
                      struct sb_err *err)
{
  char text[1024];
  snprintf(text, sizeof(text),
           "{\"version\":1,\"collections\":{\"c\":{\"fields\":{\"p\":"
           "{\"type\":\"%s\",\"values\":[\"a\",\"b\"],\"labels\":%s}}}}}",
           type, labels);
  return schema_parse(text, s, err);
}

static const struct schema_field *field_p(const struct schema *s)
{
  return schema_field(schema_collection(s, "c"), "p");
}

TEST(labels_by_language_with_fallbacks)
{
  struct schema *s = NULL;
  struct sb_err err = {0};
  const struct schema_field *f;

  CHECK_INT(parse_with("enum",
                       "{\"id\":{\"a\":\"Satu\",\"b\":\"Dua\"},"
                       "\"en\":{\"a\":\"One\"}}",
                       &s, &err),
            ==, 0);
  f = field_p(s);
  CHECK_STR(schema_label(f, "a", "id"), "Satu");
  CHECK_STR(schema_label(f, "a", "id_ID.UTF-8"), "Satu");
  CHECK_STR(schema_label(f, "a", "en_GB"), "One");
  CHECK_STR(schema_label(f, "a", "fr"), "One"); /* no fr: English */
  CHECK_STR(schema_label(f, "b", "en"), "b");   /* no en label: value */
  CHECK_STR(schema_label(f, "zz", "id"), "zz"); /* not a value */
  CHECK_STR(schema_label(f, "a", NULL), "One");
  schema_free(s);
}

TEST(bad_labels_are_refused)
{
  static const char *const bad[][2] = {
      {"[\"a\"]", "must be an object"},
      {"{\"Indonesian\":{\"a\":\"x\"}}", "is not a language code"},
      {"{\"id\":[\"x\"]}", "must be an object of value: label"},
      {"{\"id\":{\"c\":\"x\"}}", "is not one of the field's values"},
      {"{\"id\":{\"a\":\"\"}}", "must be text of 1 to 200 bytes"},
      {"{\"id\":{\"a\":7}}", "must be text of 1 to 200 bytes"},
      {"{\"id\":{\"a\":\"x\\ty\"}}", "contains a control character"},
      /* found by fuzz_schema: the second label leaked the first */
      {"{\"id\":{\"a\":\"x\",\"a\":\"y\"}}", "\"a\" is labelled twice"},
  };
  struct schema *s = NULL;
  struct sb_err err = {0};
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err.msg[0] = '\0';
    CHECK_INT(parse_with("enum_list", bad[i][0], &s, &err), ==, SB_ESCHEMA);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, bad[i][1]) != NULL);
  }
  /* Only enum fields take labels. */
  CHECK_INT(schema_parse("{\"version\":1,\"collections\":{\"c\":{\"fields\":"
                         "{\"p\":{\"type\":\"string\",\"labels\":{}}}}}}",
                         &s, &err),
            ==, SB_ESCHEMA);
  CHECK(strstr(err.msg, "\"labels\" is only for enum and enum_list") != NULL);
}
