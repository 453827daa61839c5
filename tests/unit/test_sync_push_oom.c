/*
 * test_sync_push_oom.c - a device applying the hub's answers to a push
 * batch when memory runs out (oom.h): acks (one an echo the cursor may
 * pass over), refusals kept with their reasons and a row re-stamped for a
 * hub whose clock is behind, in one transaction (sync_push_apply). Each
 * run with its n-th allocation failing must fail with the store as it
 * was, every row still pending (sent again: no write lost, none marked
 * pushed that the store did not keep), and the cycle's counts and echoes
 * unmoved (a failed batch is sent and counted again); or give what a run
 * without failure gives.
 */
#include "check.h"
#include "check_record.h"

#include "buf.h"
#include "hlc.h"
#include "oom.h"
#include "proto.h"
#include "schema.h"
#include "store.h"
#include "sync_fixture.h"

#include <sqlite3.h>

#define ROWS 5
/* Row D's write: ten hours ahead of the clock (a phone set wrong). */
#define AHEAD_MS (10ull * 3600 * 1000)

static const char *const ids[ROWS] = {"va", "vb", "vc", "vd", "ve"};

/* The device's store: five visits of its own, none pushed yet; vd's
 * written with a clock ten hours fast. */
static void make_store(void)
{
  struct store *s = NULL;

  CHECK_INT(
      store_create(sync_fixture_path("base"), schema_default_text, &s, NULL),
      ==, 0);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  for (int i = 0; i < ROWS; i++) {
    struct record r;
    uint64_t ms = hlc_wall_ms() + (i == 3 ? AHEAD_MS : 0);

    check_record(&r, "visit", ids[i], store_replica(s), ms * HLC_LOGICAL_SPAN,
                 "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
                 "\"programme\":\"skills-cooking\"}");
    CHECK_INT(store_put(s, &r, NULL), ==, 0);
    record_release(&r);
  }
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);
}

/* The hub's answers: va stored as pushed (an echo at 50), vb stored
 * merged (51), vc and ve refused, vd's time too far ahead. */
static void make_reply(struct push_reply *rep)
{
  static const struct {
    bool ok, echo;
    uint64_t seq;
    const char *code, *message;
  } res[ROWS] = {
      {true, true, 50, "", ""},
      {true, false, 51, "", ""},
      {false, false, 0, "schema", "visit: date is required"},
      {false, false, 0, "future_timestamp", "a timestamp is ahead"},
      {false, false, 0, "forged_entry", "another device's entry"},
  };

  push_reply_init(rep);
  CHECK((rep->res = calloc(ROWS, sizeof(*rep->res))) != NULL);
  rep->n = ROWS;
  for (int i = 0; i < ROWS; i++) {
    struct push_result *r = &rep->res[i];

    snprintf(r->collection, sizeof(r->collection), "visit");
    snprintf(r->id, sizeof(r->id), "%s", ids[i]);
    r->ok = res[i].ok;
    r->echo = res[i].echo;
    r->seq = res[i].seq;
    snprintf(r->code, sizeof(r->code), "%s", res[i].code);
    snprintf(r->message, sizeof(r->message), "%s", res[i].message);
  }
}

/* The batch as sync_push.c reads it: the pending rows' keys. */
static int key_of(const char *collection, const char *id, uint64_t seq,
                  const char *text, size_t len, void *ctx)
{
  struct push_slot *b = ctx;
  struct batch_key *k = &b->keys[b->nkeys++];

  (void)text;
  (void)len;
  CHECK(b->nkeys <= ROWS);
  snprintf(k->collection, sizeof(k->collection), "%s", collection);
  snprintf(k->id, sizeof(k->id), "%s", id);
  k->seq = seq;
  return 0;
}

/*
 * The store as text: each row's seq, marks and state (vd's state only as
 * whether it still carries the fast clock's time: a re-stamp takes the
 * time of the run), then the pending seqs.
 */
static char *store_text(const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  char future[32];
  struct buf b;

  snprintf(future, sizeof(future), "%llu",
           (unsigned long long)((hlc_wall_ms() + AHEAD_MS) / 1000000));
  buf_init(&b);
  CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==,
            SQLITE_OK);
  CHECK_INT(sqlite3_prepare_v2(db,
                               "SELECT id, seq, deleted, conflict, state, "
                               "rejected, echo FROM records ORDER BY id",
                               -1, &st, NULL),
            ==, SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    const char *state = (const char *)sqlite3_column_text(st, 4);
    char line[256];

    snprintf(line, sizeof(line), "%s seq %lld deleted %d conflict %d ", id,
             sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2),
             sqlite3_column_int(st, 3));
    buf_adds(&b, line);
    if (strcmp(id, "vd") == 0)
      buf_adds(&b, strstr(state, future) != NULL ? "fast" : "re-stamped");
    else
      buf_adds(&b, state);
    buf_adds(&b, " rejected ");
    buf_adds(&b, sqlite3_column_type(st, 5) == SQLITE_NULL
                     ? "-"
                     : (const char *)sqlite3_column_text(st, 5));
    buf_adds(&b, " echo ");
    buf_adds(&b, sqlite3_column_type(st, 6) == SQLITE_NULL
                     ? "-"
                     : (const char *)sqlite3_column_text(st, 6));
    buf_adds(&b, "\n");
  }
  sqlite3_finalize(st);
  CHECK_INT(sqlite3_prepare_v2(db, "SELECT seq FROM pending ORDER BY seq", -1,
                               &st, NULL),
            ==, SQLITE_OK);
  buf_adds(&b, "pending");
  while (sqlite3_step(st) == SQLITE_ROW) {
    char n[32];
    snprintf(n, sizeof(n), " %lld", sqlite3_column_int64(st, 0));
    buf_adds(&b, n);
  }
  sqlite3_finalize(st);
  CHECK_INT(sqlite3_close(db), ==, SQLITE_OK);
  CHECK(!b.failed);
  return buf_take(&b, NULL);
}

/* What the apply moved in the engine: the cycle's counts and echoes. */
static void engine_text(const struct sync *y, char *out, size_t size)
{
  snprintf(out, size,
           "pushed %llu/%llu refused %llu restamped %llu deferred %llu "
           "echoes %zu last %s",
           (unsigned long long)y->cycle_pushed,
           (unsigned long long)y->total_pushed,
           (unsigned long long)y->cycle_refused,
           (unsigned long long)y->cycle_restamped,
           (unsigned long long)y->cycle_deferred, y->own.n, y->last_refusal);
}

/* A copy of the base store as name, the answers applied to its batch
 * with the n-th allocation failing (n 0: none); the apply's rc, and the
 * engine's counts in engine. */
static int apply_to(const char *name, long n, char *engine, size_t size)
{
  struct sync_fixture f;
  struct push_slot b;
  struct push_reply rep;
  struct batch_key keys[ROWS];
  int rc;

  sync_fixture_copy("base", name);
  sync_fixture_open(&f, sync_fixture_path(name));
  memset(&b, 0, sizeof(b));
  b.s = f.sync;
  b.keys = keys;
  b.cap_keys = ROWS;
  CHECK_INT(store_pending_text(f.store, 0, ROWS, key_of, &b, NULL), ==, 0);
  CHECK_INT(b.nkeys, ==, ROWS);
  make_reply(&rep);

  if (n > 0)
    oom_arm(n);
  rc = sync_push_apply(f.sync, &b, &rep, hlc_wall_ms(), NULL);
  oom_disarm();

  engine_text(f.sync, engine, size);
  push_reply_release(&rep);
  sync_fixture_close(&f);
  return rc;
}

TEST(apply)
{
  char *before, *want, want_engine[1024], none[1024];

  make_store();
  before = store_text(sync_fixture_path("base"));
  CHECK(strstr(before, "pending 1 2 3 4 5") != NULL);
  CHECK(strstr(before, "fast") != NULL);
  CHECK_INT(apply_to("want", 0, want_engine, sizeof(want_engine)), ==, 0);
  want = store_text(sync_fixture_path("want"));
  /* va, vb pushed; vc, ve kept as refused; vd re-stamped as seq 6 and
   * still pending, sent again in this cycle. */
  CHECK(strstr(want, "pending 3 5 6") != NULL);
  CHECK(strstr(want, "vd seq 6") != NULL);
  CHECK(strstr(want, "re-stamped") != NULL);
  CHECK(strstr(want, "date is required") != NULL);
  CHECK(strstr(want, "forged_entry") != NULL);
  CHECK(strncmp(want_engine,
                "pushed 2/2 refused 2 restamped 1 deferred 0 echoes 1 "
                "last visit/ve: forged_entry",
                strlen("pushed 2/2 refused 2 restamped 1 deferred 0 echoes 1 "
                       "last visit/ve: forged_entry")) == 0);
  {
    struct sync_fixture f;

    sync_fixture_open(&f, sync_fixture_path("base"));
    engine_text(f.sync, none, sizeof(none));
    sync_fixture_close(&f);
  }

  OOM_EACH_FAILURE(n)
  {
    char name[32], engine[1024], *got;
    int rc;

    snprintf(name, sizeof(name), "run%ld", n);
    rc = apply_to(name, n, engine, sizeof(engine));
    got = store_text(sync_fixture_path(name));
    if (rc == 0) { /* no failure, or one it did without */
      CHECK_STR(got, want);
      CHECK_STR(engine, want_engine);
    } else {
      CHECK(oom_failed());
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK_STR(got, before);
      CHECK_STR(engine, none);
    }
    if (!oom_failed())
      more_ = 0;
    free(got);
  }
  free(before);
  free(want);
}
