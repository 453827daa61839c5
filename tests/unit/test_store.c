/* test_store.c - the SQLite store: files, errors, transactions, reads. */
#include "check.h"

#include "hlc.h"
#include "json.h"
#include "record.h"
#include "store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA "{\"collections\":{}}"
#define REPLICA "00000000000000aa"
#define OTHER "00000000000000bb"

/* dir/name in a static buffer (one at a time). */
static const char *path_in(const char *dir, const char *name)
{
  static char p[512];
  snprintf(p, sizeof(p), "%s/%s", dir, name);
  return p;
}

static bool exists(const char *path, const char *suffix)
{
  char p[700];
  struct stat sb;
  snprintf(p, sizeof(p), "%s%s", path, suffix);
  return stat(p, &sb) == 0;
}

/* Removes a store file and its WAL companions. */
static void remove_store(const char *path)
{
  static const char *const suffix[] = {"", "-wal", "-shm"};
  char p[700];
  size_t i;
  for (i = 0; i < 3; i++) {
    snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
    unlink(p);
  }
}

static void write_file(const char *path, const void *data, size_t n)
{
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(data, 1, n, f) == n);
  CHECK(fclose(f) == 0);
}

/* The whole file, malloc'd; *n its size. */
static char *read_file(const char *path, size_t *n)
{
  FILE *f = fopen(path, "rb");
  char *data;
  long size;
  CHECK(f != NULL);
  CHECK(fseek(f, 0, SEEK_END) == 0);
  size = ftell(f);
  CHECK(size >= 0);
  rewind(f);
  data = malloc((size_t)size + 1);
  CHECK(data != NULL);
  CHECK(fread(data, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  *n = (size_t)size;
  return data;
}

/* Runs SQL on a raw connection to path (no sambang code involved). */
static void raw_exec(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
  CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  CHECK_INT(sqlite3_close(db), ==, SQLITE_OK);
}

static struct store *create_store(const char *path)
{
  struct store *s = NULL;
  struct sb_err err = {0};
  int rc = store_create(path, SCHEMA, &s, &err);
  if (rc != 0)
    fprintf(stderr, "store_create: %s\n", err.msg);
  CHECK_INT(rc, ==, 0);
  CHECK(s != NULL);
  return s;
}

static struct store *open_store(const char *path)
{
  struct store *s = NULL;
  struct sb_err err = {0};
  int rc = store_open(path, &s, &err);
  if (rc != 0)
    fprintf(stderr, "store_open: %s\n", err.msg);
  CHECK_INT(rc, ==, 0);
  CHECK(s != NULL);
  return s;
}

/* r = (collection, id) after a local write of the JSON object fields. */
static void make(struct record *r, const char *collection, const char *id,
                 const char *replica, uint64_t ts, const char *fields)
{
  cJSON *j = cJSON_Parse(fields);
  CHECK(j != NULL);
  record_init(r, collection, id);
  CHECK_INT(record_put(r, replica, ts, j, NULL), ==, 0);
  cJSON_Delete(j);
}

static void put(struct store *s, const struct record *r)
{
  struct sb_err err = {0};
  int rc = store_put(s, r, &err);
  if (rc != 0)
    fprintf(stderr, "store_put: %s\n", err.msg);
  CHECK_INT(rc, ==, 0);
}

/* Writes (collection, id) with one field in its own transaction. */
static void put1(struct store *s, const char *collection, const char *id,
                 const char *fields)
{
  struct record r;
  CHECK_INT(store_begin(s, NULL), ==, 0);
  make(&r, collection, id, store_replica(s), store_tick(s), fields);
  put(s, &r);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  record_release(&r);
}

/* Checks that the stored state of r's key is byte-equal to r's. */
static void check_stored(struct store *s, const struct record *r)
{
  struct record got;
  char *want = record_encode(r), *have;
  record_init(&got, "", "");
  CHECK_INT(store_get(s, r->collection, r->id, &got, NULL), ==, 0);
  have = record_encode(&got);
  CHECK(want != NULL && have != NULL);
  CHECK_STR(have, want);
  free(want);
  free(have);
  record_release(&got);
}

static uint64_t last_seq(struct store *s)
{
  uint64_t seq = 0;
  CHECK_INT(store_last_seq(s, &seq, NULL), ==, 0);
  return seq;
}

/* --- creating and opening ---------------------------------------------- */

TEST(create_reopen)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path);
  char replica[17];
  struct stat sb;

  CHECK_INT(strlen(store_replica(s)), ==, 16);
  CHECK_STR(store_schema_text(s), SCHEMA);
  snprintf(replica, sizeof(replica), "%s", store_replica(s));
  CHECK_INT(last_seq(s), ==, 0);
  store_close(s);

  /* Data about vulnerable people: only the owner may read the file. */
  CHECK_INT(stat(path, &sb), ==, 0);
  CHECK_INT(sb.st_mode & 077, ==, 0);

  s = open_store(path);
  CHECK_STR(store_replica(s), replica);
  CHECK_STR(store_schema_text(s), SCHEMA);
  store_close(s);

  /* Another store gets another replica id. */
  s = create_store(path_in(check_tmpdir(), "other.db"));
  CHECK(strcmp(store_replica(s), replica) != 0);
  store_close(s);
}

TEST(create_over_file_refused)
{
  const char *path = path_in(check_tmpdir(), "precious.txt");
  static const char data[] = "names of people; do not touch\n";
  struct store *s = (struct store *)1;
  struct sb_err err = {0};
  char *after;
  size_t n;

  write_file(path, data, sizeof(data) - 1);
  CHECK_INT(store_create(path, SCHEMA, &s, &err), ==, SB_EEXISTS);
  CHECK(s == NULL);
  CHECK_INT(err.code, ==, SB_EEXISTS);
  CHECK(strstr(err.msg, "already exists") != NULL);
  CHECK(strstr(err.msg, path) != NULL);
  after = read_file(path, &n);
  CHECK_INT(n, ==, sizeof(data) - 1);
  CHECK(memcmp(after, data, n) == 0);
  free(after);
  CHECK(!exists(path, "-wal"));
  CHECK(!exists(path, "-shm"));
}

TEST(create_over_store_refused)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path), *s2 = NULL;
  char replica[17];

  snprintf(replica, sizeof(replica), "%s", store_replica(s));
  put1(s, "people", "p1", "{\"name\":\"Siti\"}");
  store_close(s);
  CHECK_INT(store_create(path, SCHEMA, &s2, NULL), ==, SB_EEXISTS);
  CHECK(s2 == NULL);
  s = open_store(path);
  CHECK_STR(store_replica(s), replica);
  CHECK_INT(last_seq(s), ==, 1);
  store_close(s);
}

TEST(create_in_missing_dir)
{
  const char *path = path_in(check_tmpdir(), "no/such/dir/field.db");
  struct store *s = NULL;
  struct sb_err err = {0};

  CHECK(store_create(path, SCHEMA, &s, &err) < 0);
  CHECK(s == NULL);
  CHECK(strstr(err.msg, path) != NULL);
  CHECK(!exists(path, ""));
}

TEST(open_missing)
{
  const char *path = path_in(check_tmpdir(), "none.db");
  struct store *s = (struct store *)1;
  struct sb_err err = {0};

  CHECK_INT(store_open(path, &s, &err), ==, SB_ENOTFOUND);
  CHECK(s == NULL);
  CHECK(strstr(err.msg, path) != NULL);
  CHECK(strstr(err.msg, "sambang init") != NULL);
  /* Opening must not create anything. */
  CHECK(!exists(path, ""));
  CHECK(!exists(path, "-wal"));
}

/* Opening path must fail with code, leaving the file as it was. */
static void check_refused(const char *path, int code)
{
  struct store *s = (struct store *)1;
  struct sb_err err = {0};
  size_t n0, n1;
  char *before = read_file(path, &n0), *after;

  CHECK_INT(store_open(path, &s, &err), ==, code);
  CHECK(s == NULL);
  CHECK_INT(err.code, ==, code);
  CHECK(strstr(err.msg, path) != NULL);
  after = read_file(path, &n1);
  CHECK_INT(n1, ==, n0);
  CHECK(memcmp(before, after, n0) == 0);
  free(before);
  free(after);
}

TEST(open_garbage)
{
  const char *dir = check_tmpdir();
  char big[8192];
  size_t i;
  struct sb_err err = {0};
  struct store *s = NULL;

  for (i = 0; i < sizeof(big); i++)
    big[i] = (char)(i * 7919 % 251);
  write_file(path_in(dir, "big"), big, sizeof(big));
  check_refused(path_in(dir, "big"), SB_ENOTSTORE);
  CHECK_INT(store_open(path_in(dir, "big"), &s, &err), ==, SB_ENOTSTORE);
  CHECK(strstr(err.msg, "is not a sambang store") != NULL);

  write_file(path_in(dir, "short"), "hello\n", 6);
  check_refused(path_in(dir, "short"), SB_ENOTSTORE);

  write_file(path_in(dir, "empty"), "", 0);
  check_refused(path_in(dir, "empty"), SB_ENOTSTORE);

  CHECK_INT(store_open(dir, &s, NULL), ==, SB_ENOTSTORE);
}

TEST(open_foreign_sqlite)
{
  const char *path = path_in(check_tmpdir(), "other.sqlite");
  sqlite3 *db;
  sqlite3_stmt *st;

  raw_exec(path, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  check_refused(path, SB_ENOTSTORE);
  /* Not switched to WAL: we do not change files that are not ours. */
  CHECK(!exists(path, "-wal"));
  CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
  CHECK_INT(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), ==,
            SQLITE_OK);
  CHECK_INT(sqlite3_step(st), ==, SQLITE_ROW);
  CHECK_STR((const char *)sqlite3_column_text(st, 0), "delete");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(open_newer_version)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path);
  struct sb_err err = {0};

  store_close(s);
  raw_exec(path, "PRAGMA user_version = 99");
  s = (struct store *)1;
  CHECK_INT(store_open(path, &s, &err), ==, SB_EVERSION);
  CHECK(s == NULL);
  CHECK(strstr(err.msg, "99") != NULL);
}

TEST(open_incomplete)
{
  const char *path = path_in(check_tmpdir(), "half.db");
  struct store *s = NULL;

  /* Our mark but no layout: not something store_create leaves behind. */
  raw_exec(path, "PRAGMA application_id = 1396854343; CREATE TABLE t(x);");
  check_refused(path, SB_ECORRUPT);
  CHECK_INT(store_open(path, &s, NULL), ==, SB_ECORRUPT);
}

/* Calls made on a damaged store: each must be 0 or CORRUPT. */
static int count_fn(const struct record *r, uint64_t seq, void *ctx)
{
  (void)r;
  (void)seq;
  ++*(int *)ctx;
  return 0;
}

static int corrupt_or_ok(int rc, int *corrupt)
{
  CHECK(rc == 0 || rc == SB_ECORRUPT);
  if (rc == SB_ECORRUPT)
    ++*corrupt;
  return rc;
}

/* Opens a damaged copy and reads everything: 0/CORRUPT, never a crash. */
static void check_damaged(const char *path)
{
  struct store *s = NULL;
  struct store_counts c;
  struct sb_err err = {0};
  struct record r;
  char id[32];
  int k, rc, seen = 0, corrupt = 0;

  rc = store_open(path, &s, &err);
  CHECK(rc == 0 || rc == SB_ECORRUPT || rc == SB_ENOTSTORE);
  if (rc != 0)
    return;
  corrupt_or_ok(store_each(s, NULL, count_fn, &seen, &err), &corrupt);
  corrupt_or_ok(store_changes(s, 0, count_fn, &seen, &err), &corrupt);
  corrupt_or_ok(store_count(s, NULL, &c, &err), &corrupt);
  record_init(&r, "", "");
  for (k = 0; k < 3000; k += 7) {
    snprintf(id, sizeof(id), "rec-%05d", k);
    rc = store_get(s, "people", id, &r, &err);
    CHECK(rc == 0 || rc == SB_ECORRUPT || rc == SB_ENOTFOUND);
    if (rc == SB_ECORRUPT)
      corrupt++;
  }
  record_release(&r);
  /* Every page is read by one of the walks, so the damage is seen. */
  CHECK_INT(corrupt, >, 0);
  CHECK_INT(err.code, ==, SB_ECORRUPT);
  CHECK(strstr(err.msg, path) != NULL);
  store_close(s);
}

TEST(corrupt_pages)
{
  const char *dir = check_tmpdir();
  char path[600], bad[600], id[32], *data, *copy;
  struct store *s;
  struct record r;
  size_t n, off, i, where;
  int k;

  snprintf(path, sizeof(path), "%s/field.db", dir);
  snprintf(bad, sizeof(bad), "%s/bad.db", dir);
  s = create_store(path);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  for (k = 0; k < 3000; k++) {
    snprintf(id, sizeof(id), "rec-%05d", k);
    make(&r, "people", id, store_replica(s), store_tick(s),
         "{\"name\":\"Dewi Lestari\",\"kecamatan\":\"Pamulang\","
         "\"programme\":\"keripik\"}");
    put(s, &r);
    record_release(&r);
  }
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);
  CHECK(!exists(path, "-wal")); /* checkpointed into the main file */

  /* Junk over eight pages at several places, from the header to the end. */
  data = read_file(path, &n);
  CHECK(n > 64 * 4096);
  copy = malloc(n);
  CHECK(copy != NULL);
  for (where = 0; where < 5; where++) {
    off = (n / 4 * where) & ~(size_t)4095;
    if (off + 8 * 4096 > n)
      off = n - 8 * 4096;
    memcpy(copy, data, n);
    for (i = 0; i < 8 * 4096; i++)
      copy[off + i] = (char)(0xA5 ^ (i * 31));
    remove_store(bad);
    write_file(bad, copy, n);
    check_damaged(bad);
  }
  free(copy);
  free(data);
}

TEST(corrupt_state)
{
  const char *path = path_in(check_tmpdir(), "field.db");
  struct store *s = create_store(path);
  struct record r;
  struct sb_err err = {0};
  int seen = 0;

  put1(s, "people", "p1", "{\"name\":\"Siti\"}");
  put1(s, "people", "p2", "{\"name\":\"Ani\"}");
  put1(s, "people", "p3", "{\"name\":\"Rina\"}");
  store_close(s);
  raw_exec(path, "UPDATE records SET state = '{\"vv\":' WHERE id = 'p2';"
                 "UPDATE records SET state = (SELECT state FROM records"
                 " WHERE id = 'p1') WHERE id = 'p3';");

  s = open_store(path);
  record_init(&r, "", "");
  CHECK_INT(store_get(s, "people", "p1", &r, NULL), ==, 0);
  CHECK_INT(store_get(s, "people", "p2", &r, &err), ==, SB_ECORRUPT);
  CHECK(strstr(err.msg, "people/p2") != NULL);
  CHECK(record_empty(&r));
  CHECK_STR(r.id, "p2");
  /* A row holding another record's state is corrupt too. */
  CHECK_INT(store_get(s, "people", "p3", &r, &err), ==, SB_ECORRUPT);
  CHECK(strstr(err.msg, "people/p3") != NULL);
  record_release(&r);
  CHECK_INT(store_each(s, NULL, count_fn, &seen, &err), ==, SB_ECORRUPT);
  CHECK_INT(seen, ==, 1); /* p1, then p2 stops the walk */
  store_close(s);
}

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

/* Collects "collection/id@seq " lines. */
struct walk {
  char text[1024];
  int stop_at; /* return 7 at this call (1-based), 0: never */
  int calls;
};

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
  /* A remote timestamp an hour ahead of us. */
  future = (hlc_wall_ms() + 3600 * 1000) * HLC_LOGICAL_SPAN;
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

/* --- sync marks ---------------------------------------------------------- */

/* Appends "collection/id@seq " for each pending (or rejected) row. */
static int mark_fn(const char *coll, const char *id, uint64_t seq,
                   const char *text, size_t len, void *ctx)
{
  struct walk *w = ctx;
  size_t n = strlen(w->text);
  (void)text;
  (void)len;
  snprintf(w->text + n, sizeof(w->text) - n, "%s/%s@%llu ", coll, id,
           (unsigned long long)seq);
  return 0;
}

static const char *pending_keys(struct store *s, uint64_t after, unsigned lim)
{
  static struct walk w;
  w.text[0] = '\0';
  CHECK_INT(store_pending_text(s, after, lim, mark_fn, &w, NULL), ==, 0);
  return w.text;
}

TEST(sync_marks)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct store_counts n;
  struct record r;
  char *text;
  struct walk w = {{0}, 0, 0};

  put1(s, "people", "a", "{\"n\":1}");
  put1(s, "people", "b", "{\"n\":2}");
  put1(s, "people", "c", "{\"n\":3}");
  CHECK_STR(pending_keys(s, 0, 10), "people/a@1 people/b@2 people/c@3 ");
  CHECK_STR(pending_keys(s, 1, 1), "people/b@2 ");

  /* The hub answered: a ok, b refused; c was edited before the answer. */
  put1(s, "people", "c", "{\"n\":33}");
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_ack(s, "people", "a", 1, NULL), ==, 0);
  CHECK_INT(store_reject(s, "people", "b", 2, "{\"code\":\"schema\"}", NULL),
            ==, 0);
  CHECK_INT(store_ack(s, "people", "c", 3, NULL), ==, 0); /* stale: kept */
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_STR(pending_keys(s, 0, 10), "people/c@4 ");
  CHECK_INT(store_count(s, NULL, &n, NULL), ==, 0);
  CHECK_INT(n.pending, ==, 1);
  CHECK_INT(n.rejected, ==, 1);
  CHECK_INT(store_rejected_each(s, mark_fn, &w, NULL), ==, 0);
  CHECK_STR(w.text, "people/b@2 ");

  /* A merge from the hub keeps the marks; a new row from it is clean. */
  CHECK_INT(store_begin(s, NULL), ==, 0);
  make(&r, "people", "b", OTHER, 1, "{\"m\":1}");
  text = record_encode(&r);
  CHECK_INT(store_put_remote(s, &r, text, strlen(text), NULL), ==, 0);
  free(text);
  record_release(&r);
  make(&r, "people", "z", OTHER, 1, "{\"m\":1}");
  text = record_encode(&r);
  CHECK_INT(store_put_remote(s, &r, text, strlen(text), NULL), ==, 0);
  free(text);
  record_release(&r);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_STR(pending_keys(s, 0, 10), "people/c@4 ");
  CHECK_INT(store_count(s, NULL, &n, NULL), ==, 0);
  CHECK_INT(n.rejected, ==, 1);

  /* Editing the rejected record makes it pending again. */
  put1(s, "people", "b", "{\"n\":22}");
  CHECK_STR(pending_keys(s, 0, 10), "people/c@4 people/b@7 ");
  CHECK_INT(store_count(s, NULL, &n, NULL), ==, 0);
  CHECK_INT(n.rejected, ==, 0);

  /* Marks need a transaction. */
  CHECK_INT(store_ack(s, "people", "c", 4, NULL), ==, SB_EINVAL);
  store_close(s);
}

TEST(migrate_v1_marks)
{
  char dir[256], p[300], donor[300];
  struct store *s;

  snprintf(dir, sizeof(dir), "%s", check_tmpdir());
  snprintf(p, sizeof(p), "%s/old.db", dir);
  snprintf(donor, sizeof(donor), "%s/donor.db", dir);

  /* A version-1 store whose replicator had pushed up to seq 2. */
  raw_exec(p, "PRAGMA application_id = 1396854343;"
              "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
              "CREATE TABLE records(collection TEXT NOT NULL, id TEXT NOT NULL,"
              " seq INTEGER NOT NULL, deleted INTEGER NOT NULL,"
              " conflict INTEGER NOT NULL, state TEXT NOT NULL,"
              " UNIQUE(collection, id));"
              "CREATE UNIQUE INDEX records_seq ON records(seq);"
              "PRAGMA user_version = 1;");
  s = create_store(donor);
  put1(s, "people", "a", "{\"n\":1}");
  put1(s, "people", "b", "{\"n\":2}");
  put1(s, "people", "c", "{\"n\":3}");
  store_close(s);
  {
    char sql[1200];
    snprintf(sql, sizeof(sql),
             "ATTACH '%s' AS d;"
             "INSERT INTO meta SELECT * FROM d.meta;"
             "INSERT INTO records SELECT collection, id, seq, deleted,"
             " conflict, state FROM d.records;"
             "INSERT INTO meta VALUES('pushed_seq', '2');",
             donor);
    raw_exec(p, sql);
  }
  s = open_store(p);
  CHECK_STR(pending_keys(s, 0, 10), "people/c@3 ");
  store_close(s);
}
