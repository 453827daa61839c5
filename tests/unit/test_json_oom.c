/*
 * test_json_oom.c - JSON text when memory runs out (oom.h): sound text
 * that cannot be parsed for want of memory is never called invalid, and
 * cJSON's failed allocations are noted for the thread (json_memory_*),
 * which the hub's office checks before it keeps or sends a reply. yajl's
 * own allocations fail too (common/yajl_mem.h): it does not check them,
 * so each failure must end the strict pass cleanly, not kill the process.
 */
#include "check.h"

#include "buf.h"
#include "json.h"
#include "json_strict.h"
#include "oom.h"

#include <string.h>

#define SOUND "{\"a\":[1,\"x\",{\"b\":null}],\"c\":\"\\u00e9\"}"

/* json_parse of sound text under each allocation failure in turn: the
 * tree, or out of memory; never "not valid JSON". */
static void parse_under_failures(const char *text)
{
  OOM_EACH_FAILURE(n)
  {
    struct sb_err err = {0};
    cJSON *j;

    oom_arm(n);
    j = json_parse(text, strlen(text), "the test's text", &err);
    oom_disarm();
    if (j != NULL) {
      CHECK(!oom_failed());
      more_ = 0;
    } else {
      CHECK(oom_failed());
      CHECK_INT(err.code, ==, SB_ENOMEM);
    }
    cJSON_Delete(j);
  }
}

TEST(parse_sound_text)
{
  parse_under_failures(SOUND);
}

TEST(parse_failure_tells_damage_from_memory)
{
  /* After a failed parse: sound text ran out of memory, damaged did not. */
  CHECK_INT(json_parse_failure(SOUND, strlen(SOUND)), ==, SB_ENOMEM);
  CHECK_INT(json_parse_failure("[1,", 3), ==, SB_EJSON);
  CHECK_INT(json_parse_failure("\"\\ud800\"", 8), ==, SB_EJSON);
  CHECK_INT(json_parse_failure("[1] x", 5), ==, SB_EJSON);
}

TEST(held_value)
{
  cJSON *v = NULL;

  oom_arm(1);
  CHECK_INT(json_parse_held("\"Setu\"", &v), ==, SB_ENOMEM);
  oom_disarm();
  CHECK(v == NULL);
  CHECK_INT(json_parse_held("\"Setu\"", &v), ==, 0);
  CHECK(cJSON_IsString(v) && strcmp(v->valuestring, "Setu") == 0);
  cJSON_Delete(v);
}

TEST(memory_failures_noted_per_thread)
{
  cJSON *j;

  json_memory_reset();
  CHECK((j = cJSON_CreateObject()) != NULL);
  CHECK(!json_memory_failed());
  oom_arm(1);
  CHECK(cJSON_AddStringToObject(j, "kecamatan", "Setu") == NULL);
  oom_disarm();
  CHECK(json_memory_failed()); /* the member that is missing is noted */
  CHECK(cJSON_GetObjectItemCaseSensitive(j, "kecamatan") == NULL);
  json_memory_reset();
  CHECK(!json_memory_failed());
  cJSON_Delete(j);
}

/* Text that makes yajl allocate past its first blocks: a string with
 * escapes longer than its 2 KiB buffer, strings nested deep. */
static char *yajl_heavy_text(void)
{
  struct buf b;
  int i;

  buf_init(&b);
  CHECK(buf_adds(&b, "{\"long\":\"") == 0);
  for (i = 0; i < 3000; i++)
    CHECK(buf_adds(&b, "ab\\n") == 0);
  CHECK(buf_adds(&b, "\",\"deep\":") == 0);
  for (i = 0; i < 60; i++)
    CHECK(buf_adds(&b, "[\"\\u00e9\",") == 0);
  CHECK(buf_adds(&b, "1") == 0);
  for (i = 0; i < 60; i++)
    CHECK(buf_adds(&b, "]") == 0);
  CHECK(buf_adds(&b, "}") == 0);
  return buf_take(&b, NULL);
}

TEST(strict_pass_when_yajl_runs_out)
{
  char *text = yajl_heavy_text();
  size_t len = strlen(text);
  long in_yajl = 0;

  CHECK_INT(json_strict_check(text, len, "the test's text", NULL, NULL), ==, 0);
  OOM_EACH_FAILURE(n)
  {
    struct sb_err err = {0};
    int rc;

    oom_arm(n);
    rc = json_strict_check(text, len, "the test's text", NULL, &err);
    oom_disarm();
    if (rc == 0) {
      CHECK(!oom_failed());
      more_ = 0;
    } else {
      /* every allocation of the pass is yajl's: each failure is one */
      CHECK(oom_failed());
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK_INT(err.code, ==, SB_ENOMEM);
      in_yajl++;
    }
  }
  CHECK(in_yajl >= 5); /* the handle, the lexer, buffers, their growth */
  free(text);
}

TEST(parse_when_yajl_runs_out)
{
  char *text = yajl_heavy_text();

  parse_under_failures(text);
  free(text);
}
