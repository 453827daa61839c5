/*
 * sync_status.c - the sync engine's status as people and programs see it:
 * phase names and the one-line JSON the control socket answers with.
 */
#include "compat.h"

#include "sync.h"

#include <cjson/cJSON.h>
#include <stdio.h>

const char *sync_status_phase_name(enum sync_phase p)
{
  switch (p) {
  case SYNC_IDLE:
    return "idle";
  case SYNC_PUSH:
    return "pushing";
  case SYNC_PULL:
    return "pulling";
  case SYNC_LISTEN:
    return "listening";
  case SYNC_BACKOFF:
    return "backoff";
  case SYNC_HALTED:
    return "halted";
  case SYNC_STOPPED:
    return "stopped";
  }
  return "unknown";
}

/* Adds an integer member exactly (cJSON prints doubles: fine to 2^53). */
static bool add_u(cJSON *j, const char *name, uint64_t v)
{
  return cJSON_AddNumberToObject(j, name, (double)v) != NULL;
}

char *sync_status_json(const struct sync_status *st)
{
  cJSON *j = cJSON_CreateObject();
  char *text = NULL;
  bool ok;

  ok = j != NULL &&
       cJSON_AddStringToObject(j, "phase", sync_status_phase_name(st->phase)) &&
       cJSON_AddBoolToObject(j, "online", st->online) &&
       add_u(j, "cycle", st->cycle) &&
       add_u(j, "cycles_done", st->cycles_done) &&
       add_u(j, "cycle_pushed", st->cycle_pushed) &&
       add_u(j, "cycle_pulled", st->cycle_pulled) &&
       add_u(j, "push_total", st->push_total) &&
       add_u(j, "feed_base", st->feed_base) &&
       add_u(j, "feed_last", st->feed_last) &&
       add_u(j, "pending", st->pending) && add_u(j, "rejected", st->rejected) &&
       add_u(j, "conflicts", st->conflicts) && add_u(j, "cursor", st->cursor) &&
       add_u(j, "last_success_ms", (uint64_t)st->last_success_ms) &&
       add_u(j, "next_retry_ms", (uint64_t)st->next_retry_ms) &&
       add_u(j, "failures", st->failures) &&
       add_u(j, "total_pushed", st->total_pushed) &&
       add_u(j, "total_pulled", st->total_pulled) &&
       add_u(j, "cycle_removed", st->cycle_removed) &&
       add_u(j, "total_removed", st->total_removed) &&
       add_u(j, "wire_up", st->wire_up) &&
       add_u(j, "wire_down", st->wire_down) &&
       add_u(j, "json_up", st->json_up) &&
       add_u(j, "json_down", st->json_down) &&
       cJSON_AddBoolToObject(j, "clock_known", st->clock_known) &&
       cJSON_AddNumberToObject(j, "clock_offset_ms",
                               (double)st->clock_offset_ms) &&
       add_u(j, "cycle_restamped", st->cycle_restamped) &&
       cJSON_AddStringToObject(j, "last_error", st->last_error);
  if (ok)
    text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return text;
}
