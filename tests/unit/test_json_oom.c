/*
 * test_json_oom.c - JSON text when memory runs out (oom.h): sound text
 * that cannot be parsed for want of memory is never called invalid, and
 * cJSON's failed allocations are noted for the thread (json_memory_*),
 * which the hub's office checks before it keeps or sends a reply.
 */
#include "check.h"

#include "json.h"
#include "oom.h"

#include <string.h>

#define SOUND "{\"a\":[1,\"x\",{\"b\":null}],\"c\":\"\\u00e9\"}"

TEST(parse_sound_text)
{
  OOM_EACH_FAILURE(n)
  {
    struct sb_err err = {0};
    cJSON *j;

    oom_arm(n);
    j = json_parse(SOUND, strlen(SOUND), "the test's text", &err);
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
