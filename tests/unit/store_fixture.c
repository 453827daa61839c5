/* store_fixture.c - the store tests' shared helpers (see store_fixture.h). */
#include "store_fixture.h"

#include "check_record.h"

/* dir/name in a static buffer (one at a time). */
const char *path_in(const char *dir, const char *name)
{
  static char p[512];
  snprintf(p, sizeof(p), "%s/%s", dir, name);
  return p;
}

bool exists(const char *path, const char *suffix)
{
  char p[700];
  struct stat sb;
  snprintf(p, sizeof(p), "%s%s", path, suffix);
  return stat(p, &sb) == 0;
}

/* Removes a store file and its WAL companions. */
void remove_store(const char *path)
{
  static const char *const suffix[] = {"", "-wal", "-shm"};
  char p[700];
  size_t i;
  for (i = 0; i < 3; i++) {
    snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
    unlink(p);
  }
}

void write_file(const char *path, const void *data, size_t n)
{
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(data, 1, n, f) == n);
  CHECK(fclose(f) == 0);
}

/* The whole file, malloc'd; *n its size. */
char *read_file(const char *path, size_t *n)
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
void raw_exec(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
  CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  CHECK_INT(sqlite3_close(db), ==, SQLITE_OK);
}

struct store *create_store(const char *path)
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

struct store *open_store(const char *path)
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
void make(struct record *r, const char *collection, const char *id,
          const char *replica, uint64_t ts, const char *fields)
{
  check_record(r, collection, id, replica, ts, fields);
}

void put(struct store *s, const struct record *r)
{
  struct sb_err err = {0};
  int rc = store_put(s, r, &err);
  if (rc != 0)
    fprintf(stderr, "store_put: %s\n", err.msg);
  CHECK_INT(rc, ==, 0);
}

/* Writes (collection, id) with one field in its own transaction. */
void put1(struct store *s, const char *collection, const char *id,
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
void check_stored(struct store *s, const struct record *r)
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

uint64_t last_seq(struct store *s)
{
  uint64_t seq = 0;
  CHECK_INT(store_last_seq(s, &seq, NULL), ==, 0);
  return seq;
}
