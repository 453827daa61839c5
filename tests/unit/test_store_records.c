/* test_store_records.c - the SQLite store: reading and writing records,
 * transactions, walks, counts, the clock, settings. */
#include "store_fixture.h"

/* --- reading and writing ----------------------------------------------- */

TEST(put_get_roundtrip)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path);
  struct record r, got;
  struct sb_err err = {0};
  cJSON *more = cJSON_Parse("{\"visits\":[1,2],\"note\":\"ibu \\u00e9\"}");

  CHECK_INT(store_begin(s, NULL), ==, 0);
  make(&r, "people", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", store_replica(s),
       store_tick(s), "{\"name\":\"Siti\",\"age\":34,\"disability\":false}");
  CHECK_INT(record_put(&r, store_replica(s), store_tick(s), more, NULL), ==, 0);
  cJSON_Delete(more);
  put(s, &r);
  check_stored(s, &r); /* visible inside the transaction */
  CHECK_INT(store_commit(s, NULL), ==, 0);
  check_stored(s, &r);
  store_close(s);

  s = open_store(path);
  check_stored(s, &r);

  /* A key never written: NOTFOUND and an empty record with that key. */
  record_init(&got, "", "");
  CHECK_INT(store_get(s, "people", "p9", &got, &err), ==, SB_ENOTFOUND);
  CHECK_STR(err.msg, "people/p9 not found");
  {
    char *text = NULL;
    size_t len = 9;
    uint64_t seq = 9;
    struct sb_err e2 = {0};
    CHECK_INT(store_get_text(s, "people", "p9", &text, &len, &seq, &e2), ==,
              SB_ENOTFOUND);
    CHECK_INT(e2.code, ==, SB_ENOTFOUND);
    CHECK_STR(e2.msg, "people/p9 not found");
    CHECK(text == NULL && len == 0 && seq == 0);
  }
  {
    /* Cut to the message's room, never past it. */
    char id[SB_ERR_MSG_MAX + 8];
    struct sb_err e3 = {0};
    memset(id, 'x', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    CHECK_INT(sb_err_not_found(&e3, "people", id), ==, SB_ENOTFOUND);
    CHECK_INT(strlen(e3.msg), ==, SB_ERR_MSG_MAX - 1);
    CHECK(strncmp(e3.msg, "people/xxx", 10) == 0);
    CHECK_INT(sb_err_not_found(NULL, "a", "b"), ==, SB_ENOTFOUND);
  }
  CHECK_STR(got.collection, "people");
  CHECK_STR(got.id, "p9");
  CHECK(record_empty(&got));
  /* The state of another key is released, not kept. */
  CHECK_INT(store_get(s, r.collection, r.id, &got, NULL), ==, 0);
  CHECK_INT(store_get(s, "visits", r.id, &got, NULL), ==, SB_ENOTFOUND);
  CHECK(record_empty(&got));
  CHECK_INT(store_get(s, "bad name", "x", &got, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "bad name") != NULL);
  record_release(&got);
  record_release(&r);
  store_close(s);
}

/* Reads (collection, id) expecting none. */
static void expect_absent(struct store *s, const char *collection,
                          const char *id)
{
  char *text = NULL;
  size_t len;
  uint64_t seq;
  CHECK_INT(store_get_text(s, collection, id, &text, &len, &seq, NULL), ==,
            SB_ENOTFOUND);
  CHECK(text == NULL);
}

/* store_put_remote of r's encoding. */
static int put_remote(struct store *s, const struct record *r)
{
  char *text = record_encode(r);
  int rc;
  CHECK(text != NULL);
  rc = store_put_remote(s, r, text, strlen(text), NULL);
  free(text);
  return rc;
}

/* A key the store just found absent is written by a plain insert; a write
 * of it after anything else wrote it (this connection or another, in this
 * transaction or before it) still replaces the row. */
TEST(absent_key_then_written_again)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path), *other;
  struct record r, r2;
  uint64_t pending = 0, rejected = 0;

  CHECK_INT(store_begin(s, NULL), ==, 0);
  expect_absent(s, "people", "p1");
  make(&r, "people", "p1", store_replica(s), store_tick(s), "{\"a\":1}");
  put(s, &r); /* the plain insert, with its pending mark */
  CHECK_INT(store_count_marks(s, &pending, &rejected, NULL), ==, 0);
  CHECK_INT((int)pending, ==, 1);
  make(&r2, "people", "p1", store_replica(s), store_tick(s), "{\"a\":2}");
  put(s, &r2); /* written since: an update */
  check_stored(s, &r2);
  record_release(&r2);
  /* Two keys looked up, the first written. */
  expect_absent(s, "people", "p2");
  expect_absent(s, "visits", "v1");
  make(&r2, "people", "p2", store_replica(s), store_tick(s), "{\"b\":1}");
  CHECK_INT(put_remote(s, &r2), ==, 0);
  check_stored(s, &r2);
  record_release(&r2);
  /* Found absent here, then written by another connection. */
  expect_absent(s, "people", "p3");
  CHECK_INT(store_commit(s, NULL), ==, 0);
  other = open_store(path);
  CHECK_INT(store_begin(other, NULL), ==, 0);
  make(&r2, "people", "p3", store_replica(other), store_tick(other),
       "{\"c\":1}");
  put(other, &r2);
  CHECK_INT(store_commit(other, NULL), ==, 0);
  store_close(other);
  record_release(&r2);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  make(&r2, "people", "p3", store_replica(s), store_tick(s), "{\"c\":2}");
  CHECK_INT(put_remote(s, &r2), ==, 0);
  check_stored(s, &r2);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  record_release(&r2);
  record_release(&r);
  store_close(s);
}

TEST(put_needs_transaction)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct record r;
  struct sb_err err = {0};

  make(&r, "people", "p1", store_replica(s), 1000, "{\"name\":\"Siti\"}");
  CHECK_INT(store_put(s, &r, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "people/p1") != NULL);
  CHECK_INT(store_commit(s, NULL), ==, SB_EINVAL);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_begin(s, NULL), ==, SB_EINVAL);
  put(s, &r);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  check_stored(s, &r);
  record_release(&r);
  store_close(s);
}

TEST(put_too_big)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct record r, got;
  struct sb_err err = {0};
  size_t n = SB_RECORD_MAX + 10;
  char *big = malloc(n + 1);
  cJSON *fields = cJSON_CreateObject();

  CHECK(big != NULL && fields != NULL);
  memset(big, 'a', n);
  big[n] = '\0';
  CHECK(cJSON_AddStringToObject(fields, "note", big) != NULL);
  free(big);
  record_init(&r, "people", "p1");
  CHECK_INT(record_put(&r, store_replica(s), 1000, fields, NULL), ==, 0);
  cJSON_Delete(fields);

  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_put(s, &r, &err), ==, SB_ETOOBIG);
  CHECK(strstr(err.msg, "people/p1") != NULL);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  record_init(&got, "", "");
  CHECK_INT(store_get(s, "people", "p1", &got, NULL), ==, SB_ENOTFOUND);
  CHECK_INT(last_seq(s), ==, 0);
  record_release(&got);
  record_release(&r);
  store_close(s);
}

static int walk_fn(const struct record *r, uint64_t seq, void *ctx)
{
  struct walk *w = ctx;
  size_t len = strlen(w->text);
  snprintf(w->text + len, sizeof(w->text) - len, "%s/%s@%" PRIu64 "%s ",
           r->collection, r->id, seq, record_deleted(r) ? "(deleted)" : "");
  w->calls++;
  return w->calls == w->stop_at ? 7 : 0;
}

TEST(seq_and_changes)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct walk w = {{0}, 0, 0};
  struct record r;
  uint64_t x;

  CHECK_INT(store_begin(s, NULL), ==, 0);
  make(&r, "people", "a", store_replica(s), store_tick(s), "{\"n\":1}");
  put(s, &r);
  record_release(&r);
  make(&r, "people", "b", store_replica(s), store_tick(s), "{\"n\":2}");
  put(s, &r);
  record_release(&r);
  make(&r, "people", "c", store_replica(s), store_tick(s), "{\"n\":3}");
  put(s, &r);
  record_release(&r);
  CHECK_INT(last_seq(s), ==, 3);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  x = last_seq(s);
  CHECK_INT(x, ==, 3);

  /* Change b (seq 4), add d (seq 5). */
  CHECK_INT(store_begin(s, NULL), ==, 0);
  record_init(&r, "", "");
  CHECK_INT(store_get(s, "people", "b", &r, NULL), ==, 0);
  CHECK_INT(record_delete(&r, store_replica(s), store_tick(s)), ==, 0);
  put(s, &r);
  record_release(&r);
  make(&r, "visits", "d", store_replica(s), store_tick(s), "{\"n\":4}");
  put(s, &r);
  record_release(&r);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_INT(last_seq(s), ==, 5);

  CHECK_INT(store_changes(s, x, walk_fn, &w, NULL), ==, 0);
  CHECK_STR(w.text, "people/b@4(deleted) visits/d@5 ");
  w.text[0] = '\0';
  CHECK_INT(store_changes(s, 0, walk_fn, &w, NULL), ==, 0);
  CHECK_STR(w.text, "people/a@1 people/c@3 people/b@4(deleted) visits/d@5 ");
  w.text[0] = '\0';
  CHECK_INT(store_changes(s, 5, walk_fn, &w, NULL), ==, 0);
  CHECK_STR(w.text, "");
  CHECK_INT(store_changes(s, UINT64_MAX, walk_fn, &w, NULL), ==, 0);
  CHECK_STR(w.text, "");
  store_close(s);
}

TEST(each_order_and_stop)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct walk w = {{0}, 0, 0};

  put1(s, "visits", "v1", "{\"n\":1}");
  put1(s, "people", "b", "{\"n\":2}");
  put1(s, "people", "a", "{\"n\":3}");
  put1(s, "people", "B", "{\"n\":4}");

  CHECK_INT(store_each(s, NULL, walk_fn, &w, NULL), ==, 0);
  CHECK_STR(w.text, "people/B@4 people/a@3 people/b@2 visits/v1@1 ");
  w.text[0] = '\0';
  CHECK_INT(store_each(s, "visits", walk_fn, &w, NULL), ==, 0);
  CHECK_STR(w.text, "visits/v1@1 ");
  w.text[0] = '\0';
  CHECK_INT(store_each(s, "nothing", walk_fn, &w, NULL), ==, 0);
  CHECK_STR(w.text, "");

  /* fn's non-zero return stops the walk and is returned. */
  w.calls = 0;
  w.stop_at = 2;
  CHECK_INT(store_each(s, NULL, walk_fn, &w, NULL), ==, 7);
  CHECK_STR(w.text, "people/B@4 people/a@3 ");
  CHECK_INT(w.calls, ==, 2);
  /* ... and leaves nothing open: a writer can still commit. */
  put1(s, "people", "c", "{\"n\":5}");
  CHECK_INT(last_seq(s), ==, 5);
  store_close(s);
}

TEST(rollback_discards)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path);
  struct record a, b, got;

  CHECK_INT(store_begin(s, NULL), ==, 0);
  make(&a, "people", "a", store_replica(s), store_tick(s), "{\"n\":1}");
  put(s, &a);
  CHECK_INT(store_commit(s, NULL), ==, 0);

  CHECK_INT(store_begin(s, NULL), ==, 0);
  record_init(&got, "", "");
  CHECK_INT(record_copy(&got, &a), ==, 0);
  CHECK_INT(record_delete(&got, store_replica(s), store_tick(s)), ==, 0);
  put(s, &got);
  make(&b, "people", "b", store_replica(s), store_tick(s), "{\"n\":2}");
  put(s, &b);
  CHECK_INT(last_seq(s), ==, 3);
  store_rollback(s);
  store_rollback(s); /* no transaction: nothing happens */

  check_stored(s, &a);
  CHECK_INT(store_get(s, "people", "b", &got, NULL), ==, SB_ENOTFOUND);
  CHECK_INT(last_seq(s), ==, 1);

  /* The store works on after a rollback. */
  CHECK_INT(store_begin(s, NULL), ==, 0);
  put(s, &b);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_INT(last_seq(s), ==, 2);

  /* Closing with an open transaction rolls it back. */
  CHECK_INT(store_begin(s, NULL), ==, 0);
  record_release(&got);
  make(&got, "people", "z", store_replica(s), store_tick(s), "{\"n\":9}");
  put(s, &got);
  store_close(s);
  s = open_store(path);
  CHECK_INT(store_get(s, "people", "z", &got, NULL), ==, SB_ENOTFOUND);
  check_stored(s, &a);
  check_stored(s, &b);
  CHECK_INT(last_seq(s), ==, 2);
  store_close(s);
  record_release(&a);
  record_release(&b);
  record_release(&got);
}

TEST(busy_writer)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s, *s2;
  struct record a;
  struct sb_err err = {0};
  sqlite3 *db;
  char *v = NULL;

  CHECK_INT(setenv("SAMBANG_BUSY_TIMEOUT_MS", "50", 1), ==, 0);
  s = create_store(path);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  make(&a, "people", "a", store_replica(s), store_tick(s), "{\"n\":1}");
  put(s, &a);
  CHECK_INT(store_commit(s, NULL), ==, 0);

  /* Another process holds the write lock and has changed something. */
  CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
  CHECK_INT(sqlite3_exec(db,
                         "BEGIN IMMEDIATE;"
                         "INSERT INTO meta VALUES ('intruder', 'x');"
                         "DELETE FROM records;",
                         NULL, NULL, NULL),
            ==, SQLITE_OK);

  CHECK_INT(store_begin(s, &err), ==, SB_EBUSY);
  CHECK(strstr(err.msg, "locked by another writer") != NULL);
  CHECK(strstr(err.msg, "50 ms") != NULL);
  CHECK(strstr(err.msg, path) != NULL);
  /* Not in a transaction after the failure. */
  CHECK_INT(store_put(s, &a, NULL), ==, SB_EINVAL);

  /* Readers are not blocked, and see the committed data only. */
  s2 = open_store(path);
  check_stored(s2, &a);
  check_stored(s, &a);
  CHECK_INT(store_meta_get(s, "intruder", &v, NULL), ==, SB_ENOTFOUND);
  store_close(s2);

  CHECK_INT(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  CHECK_INT(sqlite3_close(db), ==, SQLITE_OK);

  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(last_seq(s), ==, 1);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  check_stored(s, &a);
  record_release(&a);
  store_close(s);
  unsetenv("SAMBANG_BUSY_TIMEOUT_MS");
}

TEST(busy_timeout_env_checked)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  static const char *const bad[] = {"abc", "-5", "10ms", "99999999999999"};
  struct store *s = create_store(path);
  struct sb_err err = {0};
  size_t i;

  store_close(s);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    CHECK_INT(setenv("SAMBANG_BUSY_TIMEOUT_MS", bad[i], 1), ==, 0);
    s = (struct store *)1;
    CHECK_INT(store_open(path, &s, &err), ==, SB_EINVAL);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "SAMBANG_BUSY_TIMEOUT_MS") != NULL);
    CHECK(strstr(err.msg, bad[i]) != NULL);
  }
  CHECK_INT(setenv("SAMBANG_BUSY_TIMEOUT_MS", "0", 1), ==, 0);
  s = open_store(path);
  store_close(s);
  unsetenv("SAMBANG_BUSY_TIMEOUT_MS");
}

TEST(count)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct store_counts c;
  struct record r, other;

  put1(s, "people", "a", "{\"n\":1}");
  put1(s, "people", "b", "{\"n\":2}");
  put1(s, "visits", "v", "{\"n\":3}");

  CHECK_INT(store_begin(s, NULL), ==, 0);
  /* c: deleted. */
  make(&r, "people", "c", store_replica(s), store_tick(s), "{\"n\":4}");
  CHECK_INT(record_delete(&r, store_replica(s), store_tick(s)), ==, 0);
  CHECK(record_deleted(&r));
  put(s, &r);
  record_release(&r);
  /* d: two concurrent writes of one field: siblings. */
  make(&r, "people", "d", store_replica(s), store_tick(s), "{\"n\":5}");
  make(&other, "people", "d", OTHER, store_tick(s), "{\"n\":6}");
  CHECK_INT(record_merge(&r, &other), ==, 0);
  CHECK(record_conflicted(&r));
  put(s, &r);
  record_release(&r);
  record_release(&other);
  CHECK_INT(store_commit(s, NULL), ==, 0);

  CHECK_INT(store_count(s, NULL, &c, NULL), ==, 0);
  CHECK_INT(c.records, ==, 4);
  CHECK_INT(c.deleted, ==, 1);
  CHECK_INT(c.conflicted, ==, 1);
  CHECK_INT(store_count(s, "people", &c, NULL), ==, 0);
  CHECK_INT(c.records, ==, 3);
  CHECK_INT(c.deleted, ==, 1);
  CHECK_INT(c.conflicted, ==, 1);
  CHECK_INT(store_count(s, "visits", &c, NULL), ==, 0);
  CHECK_INT(c.records, ==, 1);
  CHECK_INT(c.deleted, ==, 0);
  CHECK_INT(c.conflicted, ==, 0);
  CHECK_INT(store_count(s, "nothing", &c, NULL), ==, 0);
  CHECK_INT(c.records + c.deleted + c.conflicted, ==, 0);

  /* Reviving the deleted record moves it back to live. */
  put1(s, "people", "c", "{\"n\":7}");
  CHECK_INT(store_count(s, "people", &c, NULL), ==, 0);
  CHECK_INT(c.records, ==, 4);
  CHECK_INT(c.deleted, ==, 0);
  store_close(s);
}

TEST(clock_persists)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path);
  uint64_t t1, t2, future;

  CHECK_INT(store_begin(s, NULL), ==, 0);
  t1 = store_tick(s);
  CHECK_INT(hlc_ms(t1), >=, hlc_wall_ms() - 1000);
  /* A remote timestamp an hour ahead of us is from a wrong clock: it is
   * ignored. One two minutes ahead is taken. */
  store_observe(s, (hlc_wall_ms() + 3600 * 1000) * HLC_LOGICAL_SPAN);
  CHECK_INT(hlc_ms(store_tick(s)), <, hlc_wall_ms() + 1000);
  future = (hlc_wall_ms() + 120 * 1000) * HLC_LOGICAL_SPAN;
  store_observe(s, future);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);

  s = open_store(path);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  t2 = store_tick(s);
  CHECK_INT(t2, >, future);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);

  /* A rolled-back transaction's clock is not saved; still monotonic. */
  s = open_store(path);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_tick(s), >, t2);
  store_rollback(s);
  store_close(s);
}

TEST(clock_offset_corrects_ticks)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path);
  uint64_t h6 = 6 * 3600 * 1000ull, now = hlc_wall_ms();
  struct hlc_offset o = {0, 0}, fast = {-(int64_t)h6, now - h6};
  struct sb_err err = {0};

  CHECK_INT(store_clock_offset_get(s, &o, NULL), ==, 0);
  CHECK_INT(o.hub_ms, ==, 0);
  /* Set only inside a transaction, and not through store_meta_set. */
  CHECK_INT(store_clock_offset_set(s, &fast, NULL), ==, SB_EINVAL);
  CHECK_INT(store_meta_set(s, "clock_offset", "1 2", &err), ==, SB_EINVAL);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  /* Our clock was 6 h fast and ticked so: the hub says it is 6 h earlier. */
  store_observe(s, (now + 60000) * HLC_LOGICAL_SPAN);
  CHECK_INT(store_clock_offset_set(s, &fast, NULL), ==, 0);
  CHECK_INT(hlc_ms(store_tick(s)), <, now - h6 + 60000);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);

  /* Persisted: another process (the CLI) stamps corrected time too. */
  s = open_store(path);
  CHECK_INT(store_clock_offset_get(s, &o, NULL), ==, 0);
  CHECK_INT(o.offset_ms, ==, -(int64_t)h6);
  CHECK_INT(o.hub_ms, ==, now - h6);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(hlc_ms(store_tick(s)), >=, now - h6);
  CHECK_INT(hlc_ms(store_tick(s)), <, now - h6 + 60000);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);
}

TEST(meta_settings)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path);
  struct sb_err err = {0};
  char *v = NULL;

  CHECK_INT(store_meta_get(s, "server", &v, &err), ==, SB_ENOTFOUND);
  CHECK(v == NULL);
  CHECK(strstr(err.msg, "server") != NULL);
  CHECK_INT(store_meta_set(s, "server", "https://hub.example", NULL), ==, 0);
  CHECK_INT(store_meta_set(s, "server", "https://hub2.example", NULL), ==, 0);
  CHECK_INT(store_meta_set(s, "replica", REPLICA, &err), ==, SB_EINVAL);
  CHECK_INT(store_meta_set(s, "hlc", "1", NULL), ==, SB_EINVAL);
  CHECK_INT(store_meta_set(s, "schema", "{\"v\":2}", NULL), ==, 0);
  CHECK_STR(store_schema_text(s), "{\"v\":2}");
  store_close(s);

  s = open_store(path);
  CHECK_INT(store_meta_get(s, "server", &v, NULL), ==, 0);
  CHECK_STR(v, "https://hub2.example");
  free(v);
  CHECK_INT(store_meta_get(s, "replica", &v, NULL), ==, 0);
  CHECK_STR(v, store_replica(s));
  free(v);
  CHECK_STR(store_schema_text(s), "{\"v\":2}");
  store_close(s);
  store_close(NULL);
}

/* A callback that rolls back the transaction its walk runs in. */
struct rollback_walk {
  struct store *s;
  int calls;
};

static int rollback_fn(const struct record *r, uint64_t seq, void *ctx)
{
  struct rollback_walk *w = ctx;
  (void)r;
  (void)seq;
  w->calls++;
  store_rollback(w->s);
  return 0;
}

TEST(rollback_inside_walk)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct rollback_walk w = {s, 0};
  struct record r;
  struct sb_err err = {0};
  int rc;

  put1(s, "people", "a", "{\"n\":1}");
  put1(s, "people", "b", "{\"n\":2}");
  put1(s, "people", "c", "{\"n\":3}");
  CHECK_INT(store_begin(s, NULL), ==, 0);
  make(&r, "people", "d", store_replica(s), store_tick(s), "{\"n\":4}");
  put(s, &r);
  record_release(&r);
  /* The walk goes on or ends with an error; it never restarts. */
  rc = store_each(s, NULL, rollback_fn, &w, &err);
  CHECK(rc == 0 || (rc < 0 && err.code == rc));
  CHECK_INT(w.calls, >=, 1);
  CHECK_INT(w.calls, <=, 4);
  CHECK_INT(store_get(s, "people", "d", &r, NULL), ==, SB_ENOTFOUND);
  record_release(&r);
  CHECK_INT(last_seq(s), ==, 3);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);
}
