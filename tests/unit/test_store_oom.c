/*
 * test_store_oom.c - the device's store when memory runs out (oom.h; the
 * project's own allocations, not SQLite's): opening a store, a local
 * write and a merged one in a transaction, reading the rows to push, a
 * walk that decodes every row.
 * Each run with its n-th allocation failing must fail with SB_ENOMEM,
 * leave the file as it was (the caller rolls the transaction back) and
 * leak nothing; a run in which nothing failed does what one without
 * failure does.
 */
#include "store_fixture.h"

#include "buf.h"
#include "oom.h"

/* Every row's key, seq and state: "c/id@seq state\n". */
static int row_text(const char *collection, const char *id, uint64_t seq,
                    const char *text, size_t len, void *ctx)
{
  struct buf *b = ctx;
  char at[32];

  snprintf(at, sizeof(at), "@%llu ", (unsigned long long)seq);
  buf_adds(b, collection);
  buf_adds(b, "/");
  buf_adds(b, id);
  buf_adds(b, at);
  buf_add(b, text, len);
  buf_adds(b, "\n");
  return 0;
}

static char *rows_of(const char *path)
{
  struct store *s = open_store(path);
  struct buf b;

  buf_init(&b);
  CHECK_INT(store_each_text(s, NULL, row_text, &b, NULL), ==, 0);
  CHECK(!b.failed);
  store_close(s);
  return buf_take(&b, NULL);
}

/* A store holding two records, one of them edited since. */
static const char *make_store(void)
{
  static char path[512];
  struct store *s;

  snprintf(path, sizeof(path), "%s", path_in(check_testdir(), "base.db"));
  s = create_store(path);
  put1(s, "notes", "n1", "{\"t\":1,\"u\":[1,2]}");
  put1(s, "notes", "n2", "{\"t\":2}");
  put1(s, "notes", "n1", "{\"t\":3}");
  store_close(s);
  return path;
}

/* A copy of the store at from, as path_in(dir, "run.db"). */
static const char *copy_store(const char *from)
{
  static char path[512];
  size_t n;
  char *data = read_file(from, &n);

  snprintf(path, sizeof(path), "%s", path_in(check_testdir(), "run.db"));
  remove_store(path);
  write_file(path, data, n);
  free(data);
  return path;
}

TEST(open)
{
  const char *base = make_store();
  char *want = rows_of(base);

  OOM_EACH_FAILURE(n)
  {
    const char *path = copy_store(base);
    struct store *s = NULL;
    struct sb_err err = {0};
    char *rows;
    int rc;

    oom_arm(n);
    rc = store_open(path, &s, &err);
    oom_disarm();
    if (!oom_failed()) {
      CHECK_INT(rc, ==, 0);
      more_ = 0;
    } else {
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK(s == NULL);
      CHECK(strstr(err.msg, "memory") != NULL);
    }
    store_close(s);
    rows = rows_of(path);
    CHECK_STR(rows, want);
    free(rows);
  }
  free(want);
}

/* Pending rows as the push reads them. */
static int count_row(const char *collection, const char *id, uint64_t seq,
                     const char *text, size_t len, void *ctx)
{
  (void)collection;
  (void)id;
  (void)seq;
  (void)text;
  (void)len;
  (*(unsigned *)ctx)++;
  return 0;
}

/* A local write of n3, a merge of the hub's n2 (another replica's
 * write), and the pending rows read, in one transaction. */
static int write_all(struct store *s, const struct record *mine,
                     const struct record *theirs, const char *theirs_text,
                     unsigned *pending, struct sb_err *err)
{
  int rc = store_begin(s, err);

  if (rc == 0)
    rc = store_put(s, mine, err);
  if (rc == 0)
    rc = store_put_remote(s, theirs, theirs_text, strlen(theirs_text), err);
  if (rc == 0)
    rc = store_pending_text(s, 0, 100, count_row, pending, err);
  if (rc == 0)
    rc = store_commit(s, err);
  if (rc != 0)
    store_rollback(s);
  return rc;
}

TEST(write)
{
  const char *base = make_store();
  char *before = rows_of(base), *want, *theirs_text;
  struct record mine, theirs;
  struct store *s;
  unsigned pending = 0;

  make(&mine, "notes", "n3", REPLICA, 100, "{\"t\":[\"x\",{\"y\":null}]}");
  s = open_store(base);
  record_init(&theirs, "notes", "n2");
  CHECK_INT(store_get(s, "notes", "n2", &theirs, NULL), ==, 0);
  store_close(s);
  {
    cJSON *j = cJSON_Parse("{\"t\":4}");
    CHECK(j != NULL);
    CHECK_INT(record_put(&theirs, OTHER, 200, j, NULL), ==, 0);
    cJSON_Delete(j);
  }
  theirs_text = record_encode(&theirs);
  CHECK(theirs_text != NULL);
  s = open_store(copy_store(base));
  CHECK_INT(write_all(s, &mine, &theirs, theirs_text, &pending, NULL), ==, 0);
  store_close(s);
  CHECK_INT(pending, ==, 3);
  want = rows_of(path_in(check_testdir(), "run.db"));
  CHECK(strcmp(want, before) != 0);

  OOM_EACH_FAILURE(n)
  {
    struct sb_err err = {0};
    char *rows;
    int rc;

    s = open_store(copy_store(base));
    pending = 0;
    oom_arm(n);
    rc = write_all(s, &mine, &theirs, theirs_text, &pending, &err);
    oom_disarm();
    store_close(s);
    rows = rows_of(path_in(check_testdir(), "run.db"));
    if (!oom_failed()) {
      CHECK_INT(rc, ==, 0);
      CHECK_STR(rows, want);
      more_ = 0;
    } else {
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK_STR(rows, before);
    }
    free(rows);
  }
  free(before);
  free(want);
  free(theirs_text);
  record_release(&mine);
  record_release(&theirs);
}

static int count_record(const struct record *r, uint64_t seq, void *ctx)
{
  (void)r;
  (void)seq;
  (*(unsigned *)ctx)++;
  return 0;
}

/* A walk that decodes every row (export, status, the office's reads):
 * out of memory it fails, never ends early as if it had seen them all. */
TEST(walk)
{
  const char *base = make_store();
  struct store *s = open_store(base);

  OOM_EACH_FAILURE(n)
  {
    struct sb_err err = {0};
    unsigned rows = 0;
    int rc;

    oom_arm(n);
    rc = store_each(s, NULL, count_record, &rows, &err);
    oom_disarm();
    if (rc == 0)
      CHECK_INT(rows, ==, 2);
    else
      CHECK_INT(rc, ==, SB_ENOMEM);
    if (!oom_failed())
      more_ = 0;
  }
  store_close(s);
}
