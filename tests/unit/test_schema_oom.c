/*
 * test_schema_oom.c - parsing the default schema (every collection,
 * field, help text and label: 174 allocations) when memory runs out
 * (oom.h). Each run with its n-th allocation failing must fail with
 * SB_ENOMEM and give no schema, half built or not, and leak nothing.
 * (Normalising and reviewing a record with a schema allocate nothing.)
 */
#include "check.h"

#include "oom.h"
#include "schema.h"

TEST(parse)
{
  OOM_EACH_FAILURE(n)
  {
    struct schema *s = NULL;
    struct sb_err err = {0};
    int rc;

    oom_arm(n);
    rc = schema_parse(schema_default_text, &s, &err);
    oom_disarm();
    if (!oom_failed()) {
      CHECK_INT(rc, ==, 0);
      CHECK(schema_collection(s, "beneficiary") != NULL);
      CHECK(schema_collection(s, "visit") != NULL);
      more_ = 0;
    } else {
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK(s == NULL);
    }
    schema_free(s);
  }
}
