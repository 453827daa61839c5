/* test_store_refs.c - a hub writer's notes of who follows whom, held in
 * memory and written in batches (store_refs_defer): read, rolled back and
 * lost in a crash, they still name every follower. */
#include "store_fixture.h"
#include "buf.h"
#include "schema.h"

#include <sys/wait.h>
#include <unistd.h>

static int ids_append(const char *id, void *ctx)
{
  struct buf *b = ctx;
  buf_adds(b, id);
  buf_adds(b, " ");
  return 0;
}

/* The ids noted as following ref ("" if none), or "untrusted" when the
 * store says to read the collection instead, read in the caller's
 * transaction. */
static const char *followers_in_tx(struct store *s, const char *ref)
{
  static char out[1024];
  struct buf b;
  int rc;

  buf_init(&b);
  rc = store_refs_each(s, ref, "visit", ids_append, &b, NULL);
  CHECK(rc == 0 || rc == SB_ENOTFOUND);
  snprintf(out, sizeof(out), "%s",
           rc == SB_ENOTFOUND ? "untrusted" : (b.p != NULL ? b.p : ""));
  buf_release(&b);
  return out;
}

/* followers_in_tx in a transaction of its own, as the hub's writer asks. */
static const char *followers(struct store *s, const char *ref)
{
  const char *out;

  CHECK_INT(store_begin(s, NULL), ==, 0);
  out = followers_in_tx(s, ref);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  return out;
}

/* A visit of beneficiary ref saved with its note, as the hub does
 * (inside the caller's transaction). */
static void visit(struct store *s, const char *id, const char *ref)
{
  struct record r;
  char fields[128];

  snprintf(fields, sizeof(fields), "{\"beneficiary\":\"%s\"}", ref);
  make(&r, "visit", id, store_replica(s), store_tick(s), fields);
  put(s, &r);
  record_release(&r);
  CHECK_INT(store_ref_add(s, ref, "visit", id, NULL), ==, 0);
}

static struct store *deferring_hub(const char *path)
{
  struct store *s = NULL;

  CHECK_INT(store_create(path, schema_default_text, &s, NULL), ==, 0);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_meta_set(s, STORE_META_REFS_COMPLETE, "1", NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_INT(store_refs_defer(s, NULL), ==, 0);
  return s;
}

/* Held notes are not in the table: another connection does not trust it
 * (it would miss them) until the writer reads, which writes them first. */
TEST(held_until_read)
{
  const char *path = path_in(check_tmpdir(), "hub.db");
  struct store *s = deferring_hub(path), *t;

  CHECK_INT(store_begin(s, NULL), ==, 0);
  visit(s, "v2", "b1");
  visit(s, "v1", "b1");
  visit(s, "v3", "b2");
  CHECK_INT(store_commit(s, NULL), ==, 0);
  t = open_store(path);
  CHECK_STR(followers(t, "b1"), "untrusted");
  CHECK_STR(followers(s, "b1"), "v1 v2 ");
  CHECK_STR(followers(t, "b1"), "v1 v2 ");
  CHECK_STR(followers(t, "b2"), "v3 ");
  store_close(t);
  store_close(s);
}

/* The first notes a writer holds, read in their own transaction (a new
 * beneficiary after its visits, in one push). */
TEST(read_in_their_transaction)
{
  const char *path = path_in(check_tmpdir(), "hub.db");
  struct store *s = deferring_hub(path);

  CHECK_INT(store_begin(s, NULL), ==, 0);
  visit(s, "v1", "b1");
  CHECK_STR(followers_in_tx(s, "b1"), "v1 ");
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);
}

/* A rollback drops its own notes and keeps those of committed
 * transactions it had written into the table. */
TEST(rollback_keeps_committed_notes)
{
  const char *path = path_in(check_tmpdir(), "hub.db");
  struct store *s = deferring_hub(path);

  CHECK_INT(store_begin(s, NULL), ==, 0);
  visit(s, "v1", "b1");
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  visit(s, "v2", "b1");
  CHECK_STR(followers_in_tx(s, "b1"), "v1 v2 ");
  store_rollback(s);
  CHECK_STR(followers(s, "b1"), "v1 ");
  store_close(s);
  /* Closed with nothing held: a new connection trusts the table. */
  s = open_store(path);
  CHECK_STR(followers(s, "b1"), "v1 ");
  store_close(s);
}

/* A writer that dies holding notes of committed visits: the table is not
 * trusted until the next writer to defer notes them from the records. */
TEST(crash_then_caught_up)
{
  const char *path = path_in(check_tmpdir(), "hub.db");
  struct store *s = deferring_hub(path);
  pid_t pid;
  int status = -1;

  CHECK_INT(store_begin(s, NULL), ==, 0);
  visit(s, "v1", "b1");
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_STR(followers(s, "b1"), "v1 "); /* written, refs.upto moved */
  store_close(s);
  fflush(NULL);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) { /* a writer: two more visits, then gone unclosed */
    struct store *w = open_store(path);
    int ok = store_refs_defer(w, NULL) == 0 && store_begin(w, NULL) == 0;
    visit(w, "v2", "b1");
    visit(w, "v3", "b2");
    ok = ok && store_commit(w, NULL) == 0;
    _exit(ok ? 0 : 1);
  }
  CHECK_INT(waitpid(pid, &status, 0), ==, pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  s = open_store(path);
  CHECK_STR(followers(s, "b1"), "untrusted");
  CHECK_INT(store_refs_defer(s, NULL), ==, 0);
  CHECK_STR(followers(s, "b1"), "v1 v2 ");
  CHECK_STR(followers(s, "b2"), "v3 ");
  store_close(s);
}

/* Past REFS_BATCH waiting notes, a commit cuts them into a sorted batch
 * and each later commit writes a slice: another connection trusts the
 * table only once the whole batch is in, and then finds every note. */
TEST(batch_written_in_slices)
{
  const char *path = path_in(check_tmpdir(), "hub.db");
  struct store *s = deferring_hub(path), *t;
  char id[16], ref[16], v[16];
  const char *got;
  size_t n = 0;
  int i;

  CHECK_INT(store_begin(s, NULL), ==, 0);
  for (i = 0; i < 66000; i++) {
    snprintf(id, sizeof(id), "v%05d", i);
    snprintf(ref, sizeof(ref), "b%04d", i % 1000);
    visit(s, id, ref);
  }
  CHECK_INT(store_commit(s, NULL), ==, 0); /* cut, nothing written */
  t = open_store(path);
  for (i = 0; i < 40; i++) {
    if (i == 16)
      CHECK_STR(followers(t, "b0007"), "untrusted"); /* half written */
    CHECK_INT(store_begin(s, NULL), ==, 0);
    snprintf(v, sizeof(v), "%d", i);
    CHECK_INT(store_meta_set(s, "bench.tick", v, NULL), ==, 0);
    CHECK_INT(store_commit(s, NULL), ==, 0);
  }
  got = followers(t, "b0007");
  CHECK(strncmp(got, "v00007 v01007 ", 14) == 0);
  for (; *got != '\0'; got++)
    n += *got == ' ';
  CHECK_INT(n, ==, 66);
  store_close(t);
  store_close(s);
}
