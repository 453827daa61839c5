/*
 * test_sync_status.c - the sync engine's status as the control socket
 * shows it (daemon/sync/sync_status.c): phase names and the one-line JSON with
 * every field of struct sync_status.
 */
#include "check.h"

#include "sync.h"

#include <cjson/cJSON.h>
#include <string.h>

/* The number member name of j (which must be there). */
static double num(const cJSON *j, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
  CHECK(cJSON_IsNumber(v));
  return v->valuedouble;
}

TEST(phase_names)
{
  CHECK_STR(sync_status_phase_name(SYNC_IDLE), "idle");
  CHECK_STR(sync_status_phase_name(SYNC_PUSH), "pushing");
  CHECK_STR(sync_status_phase_name(SYNC_PULL), "pulling");
  CHECK_STR(sync_status_phase_name(SYNC_LISTEN), "listening");
  CHECK_STR(sync_status_phase_name(SYNC_BACKOFF), "backoff");
  CHECK_STR(sync_status_phase_name(SYNC_HALTED), "halted");
  CHECK_STR(sync_status_phase_name(SYNC_STOPPED), "stopped");
  CHECK_STR(sync_status_phase_name((enum sync_phase)99), "unknown");
}

TEST(json_has_every_field)
{
  struct sync_status st;
  char *text;
  cJSON *j;
  const cJSON *v;

  memset(&st, 0, sizeof(st));
  st.phase = SYNC_BACKOFF;
  st.online = false;
  st.cycle = 12;
  st.cycles_done = 11;
  st.cycle_pushed = 500;
  st.cycle_pulled = 1000;
  st.push_total = 600;
  st.feed_base = 120000;
  st.feed_last = 130000;
  st.pending = 3;
  st.rejected = 2;
  st.conflicts = 1;
  st.cursor = 123456;
  st.last_success_ms = INT64_C(1764393600123); /* 2025-11-29, in ms */
  st.next_retry_ms = INT64_C(1764393605000);
  st.failures = 4;
  st.total_pushed = 7000;
  st.total_pulled = 8000;
  st.cycle_removed = 6;
  st.total_removed = 60;
  st.wire_up = 100;
  st.wire_down = 200;
  st.json_up = 300;
  st.json_down = 400;
  st.clock_known = true;
  st.clock_offset_ms = -INT64_C(108000000); /* we run 30 h fast */
  st.cycle_restamped = 5;
  snprintf(st.last_error, sizeof(st.last_error), "%s",
           "cannot reach http://127.0.0.1:1: \"refused\"\n");

  text = sync_status_json(&st);
  CHECK(text != NULL);
  CHECK(strchr(text, '\n') == NULL); /* one line */
  j = cJSON_Parse(text);
  CHECK(cJSON_IsObject(j));
  v = cJSON_GetObjectItemCaseSensitive(j, "phase");
  CHECK(cJSON_IsString(v));
  CHECK_STR(v->valuestring, "backoff");
  CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "online")));
  CHECK_INT(num(j, "cycle"), ==, 12);
  CHECK_INT(num(j, "cycles_done"), ==, 11);
  CHECK_INT(num(j, "cycle_pushed"), ==, 500);
  CHECK_INT(num(j, "cycle_pulled"), ==, 1000);
  CHECK_INT(num(j, "push_total"), ==, 600);
  CHECK_INT(num(j, "feed_base"), ==, 120000);
  CHECK_INT(num(j, "feed_last"), ==, 130000);
  CHECK_INT(num(j, "pending"), ==, 3);
  CHECK_INT(num(j, "rejected"), ==, 2);
  CHECK_INT(num(j, "conflicts"), ==, 1);
  CHECK_INT(num(j, "cursor"), ==, 123456);
  CHECK_INT(num(j, "last_success_ms"), ==, INT64_C(1764393600123));
  CHECK_INT(num(j, "next_retry_ms"), ==, INT64_C(1764393605000));
  CHECK_INT(num(j, "failures"), ==, 4);
  CHECK_INT(num(j, "total_pushed"), ==, 7000);
  CHECK_INT(num(j, "total_pulled"), ==, 8000);
  CHECK_INT(num(j, "cycle_removed"), ==, 6);
  CHECK_INT(num(j, "total_removed"), ==, 60);
  CHECK_INT(num(j, "wire_up"), ==, 100);
  CHECK_INT(num(j, "wire_down"), ==, 200);
  CHECK_INT(num(j, "json_up"), ==, 300);
  CHECK_INT(num(j, "json_down"), ==, 400);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "clock_known")));
  CHECK_INT(num(j, "clock_offset_ms"), ==, -INT64_C(108000000));
  CHECK_INT(num(j, "cycle_restamped"), ==, 5);
  v = cJSON_GetObjectItemCaseSensitive(j, "last_error");
  CHECK(cJSON_IsString(v));
  CHECK_STR(v->valuestring, st.last_error);
  /* Times print as integers, not 1.76e+12. */
  CHECK(strstr(text, "\"last_success_ms\":1764393600123") != NULL);
  CHECK_INT(cJSON_GetArraySize(j), ==, 28);
  cJSON_Delete(j);
  free(text);
}

TEST(json_of_a_fresh_status)
{
  struct sync_status st;
  char *text;
  cJSON *j;

  memset(&st, 0, sizeof(st));
  st.online = true;
  text = sync_status_json(&st);
  CHECK(text != NULL);
  j = cJSON_Parse(text);
  CHECK(cJSON_IsObject(j));
  CHECK_STR(cJSON_GetObjectItemCaseSensitive(j, "phase")->valuestring, "idle");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "online")));
  CHECK_INT(num(j, "last_success_ms"), ==, 0);
  CHECK_STR(cJSON_GetObjectItemCaseSensitive(j, "last_error")->valuestring, "");
  cJSON_Delete(j);
  free(text);
}
