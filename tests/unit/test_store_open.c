/* test_store_open.c - the SQLite store: creating and opening files, refusing
 * foreign, newer, incomplete and damaged ones. */
#include "store_fixture.h"

#include <sqlite3.h>

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

/* SQLite keeps no memory statistics (common/sqlite_setup.c): counting
 * them takes a global mutex on every allocation. Were they on, an open
 * store would show its memory here. */
TEST(sqlite_counts_no_memory)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));

  CHECK_INT(last_seq(s), ==, 0);
  CHECK_INT(sqlite3_memory_used(), ==, 0);
  store_close(s);
}

/* True if the store file at path holds an index called name. */
static bool file_has_index(const char *path, const char *name)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  bool found;

  CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==,
            SQLITE_OK);
  CHECK_INT(sqlite3_prepare_v2(db,
                               "SELECT 1 FROM sqlite_master WHERE type = "
                               "'index' AND name = ?1",
                               -1, &st, NULL),
            ==, SQLITE_OK);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return found;
}

/* Only a hub reads records by scope part: a device's store drops that
 * index (every write paid for it), a hub's keeps it, and a device store
 * made before this drops it when next opened as a device's. */
TEST(part_index_only_on_hub_stores)
{
  const char *dev = strdup(path_in(check_tmpdir(), "device.db"));
  const char *hub = strdup(path_in(check_tmpdir(), "hub.db"));
  struct store *s = create_store(dev);
  struct sb_err err = {0};

  CHECK_INT(store_role_set(s, STORE_ROLE_DEVICE, &err), ==, 0);
  put1(s, "notes", "n1", "{\"t\":1}");
  store_close(s);
  CHECK(!file_has_index(dev, "records_part"));

  s = create_store(hub);
  CHECK_INT(store_role_set(s, STORE_ROLE_HUB, &err), ==, 0);
  store_close(s);
  CHECK(file_has_index(hub, "records_part"));
  CHECK_INT(store_open_as(hub, STORE_ROLE_HUB, &s, &err), ==, 0);
  store_close(s);
  CHECK(file_has_index(hub, "records_part"));

  /* An older device store, with the index: gone at the next open. */
  raw_exec(dev, "CREATE INDEX records_part ON records(part, seq)");
  CHECK(file_has_index(dev, "records_part"));
  CHECK_INT(store_open_as(dev, STORE_ROLE_DEVICE, &s, &err), ==, 0);
  put1(s, "notes", "n2", "{\"t\":2}");
  CHECK_INT(last_seq(s), ==, 2);
  store_close(s);
  CHECK(!file_has_index(dev, "records_part"));
  free((void *)dev);
  free((void *)hub);
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

/* --- checkpoints off the writer (store_ckpt_offload) -------------------- */

/* A relaxed transaction (the hub's device activity) keeps the offload's
 * wal hook: the WAL passing ~4 MB afterwards (its thread's 1 MB and
 * SQLite's default 4 MB alike) starts the checkpoint
 * thread, where SQLite's own hook (sqlite3_wal_autocheckpoint) would have
 * checkpointed on the commit instead and never started it. */
TEST(ckpt_offload_survives_relaxed)
{
  const char *path = path_in(check_tmpdir(), "hub.db");
  struct store *s = create_store(path);
  char fields[4200], id[16];
  int i;

  CHECK_INT(store_ckpt_offload(s, NULL), ==, 0);
  CHECK_INT(store_begin_relaxed(s, NULL), ==, 0);
  CHECK_INT(store_meta_set(s, "seen", "1", NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  memset(fields, 0, sizeof(fields));
  snprintf(fields, sizeof(fields), "{\"text\":\"%4000d\"}", 7);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  for (i = 0; i < 1200; i++) { /* ~4.8 MB, past STORE_CKPT_BYTES */
    struct record r;
    snprintf(id, sizeof(id), "n%d", i);
    make(&r, "notes", id, store_replica(s), store_tick(s), fields);
    put(s, &r);
    record_release(&r);
  }
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK(store_ckpt_started(s));
  store_close(s);
}
