/*
 * test_sync_clock.c - the hub's clock as the sync engine sees it
 * (daemon/sync/sync_clock.c): which exchanges measure the offset, when it
 * is saved, and which entries a future_timestamp refusal re-stamps.
 */
#include "check.h"

#include "sync_clock.h"

#include <cjson/cJSON.h>
#include <string.h>

#define ME "aaaaaaaaaaaaaaaa"
#define OTHER "bbbbbbbbbbbbbbbb"
#define MS 1760000000000ull
#define SPAN HLC_LOGICAL_SPAN
#define H30 (30 * 3600 * 1000ull)

TEST(measure)
{
  struct hlc_offset o = {0, 0};

  /* A device 30 h fast, 100 ms round trip. */
  CHECK(sync_clock_measure(MS, MS + H30, MS + H30 + 100, &o));
  CHECK_INT(o.offset_ms, ==, -(int64_t)(H30 + 50));
  CHECK_INT(o.hub_ms, ==, MS);
  /* No header, or a held long-poll: nothing measured. */
  CHECK(!sync_clock_measure(0, MS, MS + 10, &o));
  CHECK(!sync_clock_measure(MS, MS, MS + SYNC_CLOCK_MAX_RTT_MS + 1, &o));
  CHECK(sync_clock_measure(MS, MS, MS + SYNC_CLOCK_MAX_RTT_MS, &o));
}

TEST(worth_saving)
{
  struct hlc_offset none = {0, 0}, saved = {-1000, MS};
  struct hlc_offset same = {-1500, MS + 60000}, moved = {-2500, MS + 60000};
  struct hlc_offset later = {-1000, MS + SYNC_CLOCK_SAVE_EVERY_MS + 1};
  struct hlc_offset back = {-1000, MS - 1};

  CHECK(sync_clock_worth_saving(&none, &saved));
  CHECK(!sync_clock_worth_saving(&saved, &same));
  CHECK(sync_clock_worth_saving(&saved, &moved));
  CHECK(sync_clock_worth_saving(&saved, &later));
  CHECK(sync_clock_worth_saving(&saved, &back));
}

static uint64_t next_ts;

static uint64_t fake_tick(void *ctx)
{
  (void)ctx;
  return next_ts++;
}

/* The ts of field name's entry k (or tombstone k if name is NULL). */
static uint64_t ts_of(const struct record *r, const char *name, size_t k)
{
  return name != NULL ? record_field_entry(record_field(r, name), k)->ts
                      : record_tomb_at(r, k)->ts;
}

static void load(struct record *r, const char *text)
{
  record_init(r, "people", "p1");
  CHECK_INT(record_decode(r, text, strlen(text), NULL), ==, 0);
}

TEST(restamps_only_our_entries_over_the_limit)
{
  char text[1024];
  struct record r;
  uint64_t limit = sync_clock_hub_limit(MS);
  uint64_t fast = (MS + H30) * SPAN; /* stamped 30 h ahead */
  uint64_t ok_ts = (MS - 1000) * SPAN;
  size_t n = 99;

  /* Our write 1 (accepted: sane ts), the other device's write (its own
   * future ts: not ours to touch), our write 2 on two fields (30 h
   * ahead), siblings on "a". */
  snprintf(text, sizeof(text),
           "{\"collection\":\"people\",\"deleted\":false,\"fields\":{"
           "\"a\":[{\"dot\":[\"" ME "\",2],\"ts\":%llu,\"value\":1},"
           "{\"dot\":[\"" OTHER "\",1],\"ts\":%llu,\"value\":2}],"
           "\"b\":[{\"dot\":[\"" ME "\",1],\"ts\":%llu,\"value\":3}],"
           "\"c\":[{\"dot\":[\"" ME "\",2],\"ts\":%llu,\"value\":4}]},"
           "\"id\":\"p1\",\"tombstones\":[],\"vv\":{\"" ME "\":2,\"" OTHER
           "\":1}}",
           (unsigned long long)fast, (unsigned long long)fast,
           (unsigned long long)ok_ts, (unsigned long long)fast);
  load(&r, text);
  next_ts = MS * SPAN;
  CHECK_INT(sync_clock_restamp(&r, ME, limit, fake_tick, NULL, &n, NULL), ==,
            0);
  CHECK_INT(n, ==, 1);                         /* one dot: (ME, 2) */
  CHECK_INT(ts_of(&r, "a", 0), ==, MS * SPAN); /* ours, re-stamped */
  CHECK_INT(ts_of(&r, "c", 0), ==, MS * SPAN); /* same dot, same ts */
  CHECK_INT(ts_of(&r, "a", 1), ==, fast);      /* the other's: as is */
  CHECK_INT(ts_of(&r, "b", 0), ==, ok_ts);     /* accepted: as is */
  CHECK_INT(record_field_entry(record_field(&r, "a"), 0)->dot.counter, ==, 2);
  CHECK_INT(vv_get(&r.vv, ME), ==, 2); /* no new write: same dots */
  record_release(&r);
}

TEST(restamps_tombstones_one_tick_per_dot_in_order)
{
  char text[1024];
  struct record r;
  uint64_t fast = (MS + H30) * SPAN;
  size_t n = 0;

  snprintf(text, sizeof(text),
           "{\"collection\":\"people\",\"deleted\":true,\"fields\":{},"
           "\"id\":\"p1\",\"tombstones\":["
           "{\"dot\":[\"" ME "\",3],\"ts\":%llu},"
           "{\"dot\":[\"" ME "\",5],\"ts\":%llu}],"
           "\"vv\":{\"" ME "\":5}}",
           (unsigned long long)fast + 1, (unsigned long long)fast);
  load(&r, text);
  next_ts = MS * SPAN;
  CHECK_INT(sync_clock_restamp(&r, ME, sync_clock_hub_limit(MS), fake_tick,
                               NULL, &n, NULL),
            ==, 0);
  CHECK_INT(n, ==, 2);
  CHECK_INT(ts_of(&r, NULL, 0), ==, MS * SPAN);     /* dot 3 first */
  CHECK_INT(ts_of(&r, NULL, 1), ==, MS * SPAN + 1); /* then dot 5 */
  CHECK(record_deleted(&r));
  record_release(&r);
}

TEST(nothing_to_restamp_changes_nothing)
{
  char text[512], *before, *after;
  struct record r;
  size_t n = 7;

  /* Within the hub's margin: the refusal was not for these. */
  snprintf(text, sizeof(text),
           "{\"collection\":\"people\",\"deleted\":false,\"fields\":{"
           "\"a\":[{\"dot\":[\"" ME "\",1],\"ts\":%llu,\"value\":1}]},"
           "\"id\":\"p1\",\"tombstones\":[],\"vv\":{\"" ME "\":1}}",
           (unsigned long long)sync_clock_hub_limit(MS));
  load(&r, text);
  before = record_encode(&r);
  next_ts = 1;
  CHECK_INT(sync_clock_restamp(&r, ME, sync_clock_hub_limit(MS), fake_tick,
                               NULL, &n, NULL),
            ==, 0);
  CHECK_INT(n, ==, 0);
  CHECK_INT(next_ts, ==, 1); /* tick never called */
  after = record_encode(&r);
  CHECK_STR(after, before);
  free(before);
  free(after);
  record_release(&r);
}
