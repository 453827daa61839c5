/*
 * sync_rebase.c - the device's side of a hub put back from a copy
 * (daemon/sync/DESIGN.md, "A hub put back from a copy").
 *
 * Every reply states the hub store's generation; the device keeps the
 * last one it saw. When it changes (or the hub refuses a pull whose
 * cursor is past its feed, cursor_ahead: a copy put back without
 * `sambang-hub restored`), the hub may lack anything the device
 * pushed (acknowledged after the copy was made) and its feed numbers
 * start again below the device's cursor. So, in one transaction, every
 * row is marked pending, the cursor goes back to 0 (the per-part
 * catch-ups with it) and the time is noted; the cycle then starts again:
 * it pushes everything (what the hub holds already is a no-op there) and
 * pulls from the start, merging what it has (nothing is removed).
 *
 * While the rebase lasts (REBASE_WAIT_MS), a record the hub refuses as
 * carrying another device's entries it never saw (forged_entry,
 * forged_dot) stays pending rather than refused: the copy lacks them
 * until their author pushes them again, which it does, being rebased
 * too. It goes again with the next cycle. The rebase ends at the first
 * cycle that leaves no such record; after REBASE_WAIT_MS the refusals
 * are kept as refusals (the author never came back).
 */
#include "compat.h"

#include "sync_int.h"

#include "hlc.h"
#include "log.h"
#include "proto_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GENERATION_KEY "sync.hub_generation"
#define REBASE_KEY SYNC_REBASE_KEY
#define REBASE_WAIT_MS (7ULL * 24 * 3600 * 1000)

/* Meta key's value into *v (NULL if the store has none). */
static int meta_maybe(struct sync *s, const char *key, char **v,
                      struct sb_err *err)
{
  struct sb_err why = {0};
  int rc = store_meta_get(s->store, key, v, &why);

  if (rc == SB_ENOTFOUND) {
    *v = NULL;
    return 0;
  }
  if (rc != 0)
    *err = why;
  return rc;
}

int sync_rebase_load(struct sync *s, struct sb_err *err)
{
  char *generation = NULL, *since = NULL;
  int rc = meta_maybe(s, GENERATION_KEY, &generation, err);

  if (rc == 0)
    rc = meta_maybe(s, REBASE_KEY, &since, err);
  s->generation[0] = '\0';
  if (generation != NULL && strlen(generation) < sizeof(s->generation))
    snprintf(s->generation, sizeof(s->generation), "%s", generation);
  s->rebase_since_ms = since != NULL ? strtoull(since, NULL, 10) : 0;
  free(generation);
  free(since);
  return rc;
}

/* Ends the open transaction: committed if rc is 0, else rolled back. */
static int tx_end(struct sync *s, int rc, struct sb_err *err)
{
  if (rc == 0)
    return store_commit(s->store, err);
  store_rollback(s->store);
  return rc;
}

/* Keeps the first generation seen (a device enrolled, or one that synced
 * before hubs stated one). */
static int generation_first(struct sync *s, const char *generation,
                            struct sb_err *err)
{
  int rc = sync_meta_put(s, GENERATION_KEY, generation, err);

  if (rc == 0)
    snprintf(s->generation, sizeof(s->generation), "%s", generation);
  return rc;
}

/* The rebase's transaction (see the top of this file). */
static int rebase(struct sync *s, const char *generation, uint64_t *marked,
                  struct sb_err *err)
{
  char now[24];
  uint64_t now_ms = hlc_wall_ms();
  int rc = store_begin(s->store, err);

  snprintf(now, sizeof(now), "%llu", (unsigned long long)now_ms);
  if (rc == 0)
    rc = store_pend_all(s->store, marked, err);
  if (rc == 0)
    rc = store_meta_set(s->store, CURSOR_KEY, "0", err);
  if (rc == 0)
    rc = sync_catchup_drop(s, err); /* the pull from 0 holds every part */
  if (rc == 0)
    rc = store_meta_set(s->store, REBASE_KEY, now, err);
  if (rc == 0)
    rc = store_meta_set(s->store, GENERATION_KEY, generation, err);
  rc = tx_end(s, rc, err);
  if (rc != 0)
    return rc;
  snprintf(s->generation, sizeof(s->generation), "%s", generation);
  s->rebase_since_ms = now_ms;
  s->cursor = 0;
  s->feed_base = 0; /* the progress of a pull from 0 */
  s->scope_epoch++; /* a page or catch-up in flight was asked before */
  s->marks_known = false;
  return 0;
}

static void restart_fired(uv_timer_t *t)
{
  struct sync *s = t->data;

  s->next_retry_ms = 0;
  sync_start_cycle(s);
}

/* True if r is the hub's cursor_ahead refusal: the store went back,
 * though its generation did not change (`sambang-hub restored` not run). */
static bool cursor_ahead(const struct http_reply *r)
{
  struct proto_error e;

  if (r->status != proto_err_status(PROTO_ERR_CURSOR_AHEAD))
    return false;
  sync_reply_error(r, &e);
  return e.code == PROTO_ERR_CURSOR_AHEAD;
}

bool sync_rebase_due(struct sync *s, const struct http_reply *r, bool of_cycle)
{
  struct sb_err err = {0};
  uint64_t marked = 0, cursor = s->cursor;
  char was[sizeof(s->generation)];
  bool ahead = cursor_ahead(r);
  const char *now = r->generation[0] != '\0' ? r->generation : s->generation;

  if (!ahead && (r->status != 200 || r->generation[0] == '\0' ||
                 strcmp(r->generation, s->generation) == 0))
    return false;
  if (!ahead && s->generation[0] == '\0') {
    if (generation_first(s, r->generation, &err) != 0)
      log_msg(LOG_LEVEL_WARN, "keeping the hub's generation: %s", err.msg);
    return false;
  }
  snprintf(was, sizeof(was), "%s", s->generation);
  if (rebase(s, now, &marked, &err) != 0) {
    sync_failed_with(s, err.code, true, "rebase: %s", err.msg);
    return true;
  }
  if (was[0] == '\0' || strcmp(was, s->generation) == 0) /* cursor_ahead */
    log_msg(LOG_LEVEL_WARN,
            "the hub's store went back (this device's cursor %llu is past "
            "its newest change): pushing every record again (%llu were "
            "pushed already) and pulling from the start",
            (unsigned long long)cursor, (unsigned long long)marked);
  else
    log_msg(LOG_LEVEL_WARN,
            "the hub's store was put back from a copy (generation %s -> "
            "%s): pushing every record again (%llu were pushed already) "
            "and pulling from the start",
            was, s->generation, (unsigned long long)marked);
  if (of_cycle || !s->in_cycle) {
    /* The cycle that got this reply stops here (its other pushes too)
     * and starts again off this callback. */
    sync_push_reset(s);
    s->in_cycle = false;
    s->phase = SYNC_PUSH;
    uv_timer_start(&s->retry, restart_fired, 0, 0);
  } else {
    s->again = true; /* the long-poll saw it: after the running cycle */
  }
  return true;
}

bool sync_rebase_waits(struct sync *s, const char *code)
{
  enum proto_err e = proto_err_parse(code);

  return s->rebase_since_ms != 0 &&
         hlc_wall_ms() < s->rebase_since_ms + REBASE_WAIT_MS &&
         (e == PROTO_ERR_FORGED_ENTRY || e == PROTO_ERR_FORGED_DOT);
}

void sync_rebase_cycle_end(struct sync *s)
{
  struct sb_err err = {0};
  int rc;

  if (s->rebase_since_ms == 0 || s->cycle_waiting > 0)
    return;
  rc = sync_meta_put(s, REBASE_KEY, NULL, &err);
  if (rc == 0)
    s->rebase_since_ms = 0;
  else
    log_msg(LOG_LEVEL_WARN, "ending the rebase: %s", err.msg);
}
