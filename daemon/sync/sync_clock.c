/*
 * sync_clock.c - the hub's clock as the sync engine sees it: the offset
 * each short exchange measures (kept in the store, so the CLI stamps with
 * it too), and re-stamping our own refused writes (see sync_clock.h and
 * DESIGN.md, "The hub's clock").
 */
#include "compat.h"

#include "sync_clock.h"
#include "sync_int.h"

#include "buf.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

bool sync_clock_measure(uint64_t hub_ms, uint64_t sent_ms, uint64_t recv_ms,
                        struct hlc_offset *o)
{
  if (hub_ms == 0 || recv_ms < sent_ms ||
      recv_ms - sent_ms > SYNC_CLOCK_MAX_RTT_MS)
    return false;
  o->offset_ms = hlc_offset_measure(hub_ms, sent_ms, recv_ms);
  o->hub_ms = hub_ms;
  return true;
}

bool sync_clock_worth_saving(const struct hlc_offset *saved,
                             const struct hlc_offset *now)
{
  int64_t d = now->offset_ms - saved->offset_ms;

  return saved->hub_ms == 0 || d > SYNC_CLOCK_SAVE_DRIFT_MS ||
         d < -SYNC_CLOCK_SAVE_DRIFT_MS ||
         now->hub_ms > saved->hub_ms + SYNC_CLOCK_SAVE_EVERY_MS ||
         now->hub_ms < saved->hub_ms; /* the hub's clock went back */
}

uint64_t sync_clock_hub_limit(uint64_t hub_ms)
{
  return (hub_ms + HLC_MAX_AHEAD_MS) * HLC_LOGICAL_SPAN + HLC_LOGICAL_SPAN - 1;
}

/* The entry's dot counter if it is replica's and its ts is over limit. */
static uint64_t stale_dot(const cJSON *e, const char *replica, uint64_t limit)
{
  const cJSON *dot = cJSON_GetObjectItemCaseSensitive(e, "dot");
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(e, "ts");
  const cJSON *who = cJSON_GetArrayItem(dot, 0);
  const cJSON *counter = cJSON_GetArrayItem(dot, 1);

  if (!cJSON_IsString(who) || strcmp(who->valuestring, replica) != 0 ||
      !cJSON_IsNumber(counter) || !cJSON_IsNumber(ts) ||
      ts->valuedouble <= (double)limit)
    return 0;
  return (uint64_t)counter->valuedouble;
}

/* What a walk over a state's entries collects or sets. */
struct restamp {
  const char *replica;
  uint64_t limit;
  uint64_t *dots; /* our stale dots, sorted and unique once collected */
  uint64_t *ts;   /* their new timestamps (apply) */
  size_t n, cap;
  bool nomem;
};

/* Calls fn on every entry of a state: the fields' entries, tombstones. */
static void walk(cJSON *j, void (*fn)(cJSON *e, struct restamp *rs),
                 struct restamp *rs)
{
  cJSON *fields = cJSON_GetObjectItemCaseSensitive(j, "fields"), *f, *e;

  cJSON_ArrayForEach(f, fields)
  {
    cJSON_ArrayForEach(e, f) fn(e, rs);
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "tombstones"))
      fn(e, rs);
}

static void collect_one(cJSON *e, struct restamp *rs)
{
  uint64_t c = stale_dot(e, rs->replica, rs->limit);

  if (c == 0 || rs->nomem)
    return;
  {
    uint64_t *g = array_grow(rs->dots, &rs->cap, rs->n, sizeof(*g), 8);
    if (g == NULL) {
      rs->nomem = true;
      return;
    }
    rs->dots = g;
  }
  rs->dots[rs->n++] = c;
}

static void apply_one(cJSON *e, struct restamp *rs)
{
  uint64_t c = stale_dot(e, rs->replica, rs->limit);
  size_t k;

  for (k = 0; c != 0 && k < rs->n; k++) {
    if (rs->dots[k] == c)
      cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "ts"),
                           (double)rs->ts[k]);
  }
}

/* Sorts rs->dots and drops repeats (the fields of one write share it). */
static void unique(struct restamp *rs)
{
  size_t i, k;

  if (rs->n > 1)
    qsort(rs->dots, rs->n, sizeof(*rs->dots), sync_u64_order);
  for (i = k = 0; i < rs->n; i++) {
    if (k == 0 || rs->dots[k - 1] != rs->dots[i])
      rs->dots[k++] = rs->dots[i];
  }
  rs->n = k;
}

int sync_clock_restamp(struct record *r, const char *replica, uint64_t limit,
                       sync_tick_fn tick, void *ctx, size_t *n,
                       struct sb_err *err)
{
  struct restamp rs = {replica, limit, NULL, NULL, 0, 0, false};
  cJSON *j = record_to_json(r);
  struct record copy;
  size_t i;
  int rc = 0;

  *n = 0;
  if (j == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  walk(j, collect_one, &rs);
  unique(&rs);
  if (rs.nomem ||
      (rs.n > 0 && (rs.ts = malloc(rs.n * sizeof(*rs.ts))) == NULL)) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto unwind;
  }
  if (rs.n == 0)
    goto unwind;
  for (i = 0; i < rs.n; i++)
    rs.ts[i] = tick(ctx);
  walk(j, apply_one, &rs);
  record_init(&copy, r->collection, r->id);
  rc = record_from_json(&copy, j, err);
  if (rc == 0) {
    record_release(r);
    *r = copy; /* the decoded state's buffers move into r */
    *n = rs.n;
  }
unwind:
  free(rs.ts);
  free(rs.dots);
  cJSON_Delete(j);
  return rc;
}

/* --- the engine's side ---------------------------------------------------- */

/* Takes note of the hub's clock from a reply; saves the offset to the
 * store when it moved (a short transaction of its own). */
void sync_clock_note(struct sync *s, const struct http_reply *r)
{
  struct hlc_offset o;
  struct sb_err err = {0};
  int rc;

  if (!sync_clock_measure(r->hub_ms, r->sent_ms, r->recv_ms, &o))
    return;
  s->clock = o;
  if (!sync_clock_worth_saving(&s->clock_saved, &o))
    return;
  rc = store_begin_relaxed(s->store, &err);
  if (rc == 0)
    rc = store_clock_offset_set(s->store, &o, &err);
  if (rc == 0)
    rc = store_commit(s->store, &err);
  else
    store_rollback(s->store);
  if (rc == 0)
    s->clock_saved = o; /* else tried again with the next reply */
}

static uint64_t row_tick(void *ctx)
{
  return store_tick(ctx);
}

/*
 * The hub refused (collection, id) for a future timestamp at hub_ms:
 * re-stamps our own entries it cannot have accepted (DESIGN.md) with the
 * corrected clock and writes the row again (a new seq: this cycle sends
 * it again), inside the caller's transaction. *done is false if nothing
 * was re-stamped (our clock does not agree with the hub's yet, or no
 * entry of ours is over the limit): the row then stays pending.
 */
int sync_clock_restamp_row(struct sync *s, const char *collection,
                           const char *id, uint64_t hub_ms, bool *done,
                           struct sb_err *err)
{
  struct record r;
  uint64_t now = store_now_ms(s->store);
  size_t n = 0;
  int rc;

  *done = false;
  /* Only once our corrected clock agrees with the hub's: a re-stamp made
   * with a wrong clock would be refused again. */
  if (hub_ms == 0 || now > hub_ms + HLC_MAX_AHEAD_MS / 2 ||
      now + HLC_MAX_AHEAD_MS / 2 < hub_ms)
    return 0;
  record_init(&r, collection, id);
  rc = store_get(s->store, collection, id, &r, err);
  if (rc == 0)
    rc = sync_clock_restamp(&r, store_replica(s->store),
                            sync_clock_hub_limit(hub_ms), row_tick, s->store,
                            &n, err);
  if (rc == 0 && n > 0) {
    rc = store_put(s->store, &r, err);
    *done = rc == 0;
  }
  record_release(&r);
  return rc;
}
