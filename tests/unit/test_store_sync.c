/* test_store_sync.c - the SQLite store: the per-record sync marks and their
 * migration. */
#include "store_fixture.h"
#include "buf.h"
#include "schema.h"

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

/* store_unreject lifts the refusals of one code only, pending rows only. */
/* The pending marks live apart from the rows (layout 5): an ack clears
 * exactly the named record's state, and a purged row takes its mark. */
TEST(pending_mark_belongs_to_its_row)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct store_counts n;
  uint64_t pending = 0, rejected = 0;

  put1(s, "people", "a", "{\"n\":1}");
  put1(s, "people", "b", "{\"n\":2}");
  CHECK_INT(store_begin(s, NULL), ==, 0);
  /* b's seq under a's name: neither is acknowledged. */
  CHECK_INT(store_ack(s, "people", "a", 2, NULL), ==, 0);
  CHECK_INT(store_ack(s, "people", "zz", 1, NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_STR(pending_keys(s, 0, 10), "people/a@1 people/b@2 ");
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_purge(s, "people", "a", NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_STR(pending_keys(s, 0, 10), "people/b@2 ");
  CHECK_INT(store_count_marks(s, &pending, &rejected, NULL), ==, 0);
  CHECK_INT(pending, ==, 1);
  CHECK_INT(store_count(s, "people", &n, NULL), ==, 0);
  CHECK_INT(n.pending, ==, 1);
  /* Written again, a is pending under its new seq. */
  put1(s, "people", "a", "{\"n\":3}");
  CHECK_STR(pending_keys(s, 0, 10), "people/b@2 people/a@3 ");
  store_close(s);
}

TEST(unreject_by_code)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct store_counts n;
  uint64_t lifted = 9, pending = 9, rejected = 9;

  put1(s, "people", "a", "{\"n\":1}");
  put1(s, "people", "b", "{\"n\":2}");
  put1(s, "people", "c", "{\"n\":3}");
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_reject(s, "people", "a", 1,
                         "{\"code\":\"out_of_scope\",\"message\":\"m\"}", NULL),
            ==, 0);
  CHECK_INT(store_reject(s, "people", "b", 2, "{\"code\":\"schema\"}", NULL),
            ==, 0);
  CHECK_INT(store_reject(s, "people", "c", 3, "not json", NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_STR(pending_keys(s, 0, 10), "");
  /* Refused rows keep their marks, and are not counted as pending. */
  CHECK_INT(store_count_marks(s, &pending, &rejected, NULL), ==, 0);
  CHECK_INT(pending, ==, 0);
  CHECK_INT(rejected, ==, 3);

  CHECK_INT(store_unreject(s, "out_of_scope", &lifted, NULL), ==, SB_EINVAL);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_unreject(s, "out_of_scope", &lifted, NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_INT(lifted, ==, 1);
  CHECK_STR(pending_keys(s, 0, 10), "people/a@1 ");
  CHECK_INT(store_count(s, NULL, &n, NULL), ==, 0);
  CHECK_INT(n.rejected, ==, 2);
  CHECK_INT(store_count_marks(s, &pending, &rejected, NULL), ==, 0);
  CHECK_INT(pending, ==, 1);
  CHECK_INT(rejected, ==, 2);
  /* Nothing left of that code: nothing lifted. */
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_unreject(s, "out_of_scope", &lifted, NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_INT(lifted, ==, 0);
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

/* --- holds_own: may the engine ask the hub to skip its echoes ---------- */

static const char *holds_own(struct store *s)
{
  static char v[8];
  char *text = NULL;
  if (store_meta_get(s, STORE_META_HOLDS_OWN, &text, NULL) != 0)
    return "absent";
  snprintf(v, sizeof(v), "%s", text);
  free(text);
  return v;
}

TEST(holds_own_new_replica_until_a_row_leaves)
{
  struct store *s = create_store(path_in(check_tmpdir(), "field.db"));
  struct store *copy = NULL;
  bool removed = false;

  /* A new replica holds all it pushed; a copy under its id is not known
   * to (recover). */
  CHECK_STR(holds_own(s), "1");
  CHECK_INT(store_create_as(path_in(check_tmpdir(), "copy.db"), SCHEMA,
                            store_replica(s), &copy, NULL),
            ==, 0);
  CHECK_STR(holds_own(copy), "absent");
  store_close(copy);
  put1(s, "people", "a", "{\"n\":1}");
  put1(s, "people", "b", "{\"n\":2}");
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_ack(s, "people", "a", 1, NULL), ==, 0);
  /* A pending row is not removed: nothing left, still "1". */
  CHECK_INT(store_remove(s, "people", "b", &removed, NULL), ==, 0);
  CHECK(!removed);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_STR(holds_own(s), "1");
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_remove(s, "people", "a", &removed, NULL), ==, 0);
  CHECK(removed);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_STR(holds_own(s), "0");
  store_close(s);
}

/* store_refs_each's fn: appends id and a space to the buffer ctx. */
static int ids_append(const char *id, void *ctx)
{
  struct buf *b = ctx;
  buf_adds(b, id);
  buf_adds(b, " ");
  return 0;
}

/* Notes of who follows whom: read only once meta says they are complete
 * (the hub fills them for older rows), and a purge takes its record's
 * notes with it. */
TEST(refs_filled_then_purged_with_their_record)
{
  const char *path = path_in(check_tmpdir(), "hub.db");
  struct store *s = NULL;
  struct buf b;

  CHECK_INT(store_create(path, schema_default_text, &s, NULL), ==, 0);
  buf_init(&b);
  put1(s, "visit", "v1", "{\"beneficiary\":\"b1\"}");
  put1(s, "visit", "v3", "{\"beneficiary\":\"b3\"}");
  CHECK_INT(store_refs_each(s, "b1", "visit", ids_append, &b, NULL), ==,
            SB_ENOTFOUND); /* not complete yet */
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_ref_add(s, "b1", "visit", "v1", NULL), ==, 0);
  CHECK_INT(store_ref_add(s, "b3", "visit", "v3", NULL), ==, 0);
  CHECK_INT(store_refs_each(s, "b1", "visit", ids_append, &b, NULL), ==,
            SB_ENOTFOUND);
  CHECK_INT(store_meta_set(s, STORE_META_REFS_COMPLETE, "1", NULL), ==, 0);
  CHECK_INT(store_ref_add(s, "b1", "visit", "v2", NULL), ==, 0);
  CHECK_INT(store_refs_each(s, "b1", "visit", ids_append, &b, NULL), ==, 0);
  CHECK_STR(b.p, "v1 v2 ");
  CHECK_INT(store_purge(s, "visit", "v1", NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  buf_reset(&b);
  CHECK_INT(store_refs_each(s, "b1", "visit", ids_append, &b, NULL), ==, 0);
  CHECK_STR(b.p, "v2 ");
  buf_reset(&b);
  CHECK_INT(store_refs_each(s, "b3", "visit", ids_append, &b, NULL), ==, 0);
  CHECK_STR(b.p, "v3 ");
  buf_release(&b);
  store_close(s);
}
