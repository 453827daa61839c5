/*
 * test_sync_pull_oom.c - a device merging a pulled page when memory runs
 * out (oom.h): the page's records, a record that left the device's scope
 * (a gone entry: it and the visit that follows it leave the store, a
 * pending one stays marked) and the cursor, in one transaction
 * (sync_pull_apply). Each run with its n-th allocation failing must fail
 * with the store as it was, above all its cursor: a cursor moved past a
 * page whose records were not kept would never bring them again; or,
 * where it could do without what failed (a cache), give what a run
 * without failure gives.
 */
#include "check.h"
#include "check_record.h"

#include "buf.h"
#include "oom.h"
#include "proto.h"
#include "schema.h"
#include "store.h"
#include "sync_fixture.h"

#define HUBR "00000000000000ff" /* another device's writes, via the hub */
#define MINE "00000000000000aa"

/* Stores replica's write of json as a new record (collection, id) that
 * came from the hub (not pending). */
static void from_hub(struct store *s, const char *collection, const char *id,
                     uint64_t ts, const char *json)
{
  struct record r;
  char *text;

  check_record(&r, collection, id, HUBR, ts, json);
  CHECK((text = record_encode(&r)) != NULL);
  CHECK_INT(store_put_remote(s, &r, text, strlen(text), NULL), ==, 0);
  free(text);
  record_release(&r);
}

/* The device's store: scope Setu, cursor 10; beneficiaries b1 (Setu)
 * and b2 (Setu, with its visit v2) from the hub, and its own visit v9 of
 * b2, not pushed yet. */
static void make_store(void)
{
  struct store *s = NULL;
  struct record r;

  CHECK_INT(
      store_create(sync_fixture_path("base"), schema_default_text, &s, NULL),
      ==, 0);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_meta_set(s, STORE_META_SCOPE, "Setu", NULL), ==, 0);
  CHECK_INT(store_meta_set(s, CURSOR_KEY, "10", NULL), ==, 0);
  from_hub(s, "beneficiary", "b1", 100,
           "{\"groups\":[\"anak\"],\"kecamatan\":\"Setu\",\"consent\":false}");
  from_hub(
      s, "beneficiary", "b2", 101,
      "{\"groups\":[\"miskin\"],\"kecamatan\":\"Setu\",\"consent\":false}");
  from_hub(s, "visit", "v2", 102,
           "{\"beneficiary\":\"b2\",\"date\":\"2026-11-20\","
           "\"programme\":\"skills-cooking\"}");
  check_record(&r, "visit", "v9", MINE, 103,
               "{\"beneficiary\":\"b2\",\"date\":\"2026-11-21\","
               "\"programme\":\"child-education\"}");
  CHECK_INT(store_put(s, &r, NULL), ==, 0);
  record_release(&r);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);
}

/* The page the hub sends from cursor 10: b1 edited, a new beneficiary
 * b3 and its visit, b2 gone (moved out of Setu). */
static char *page_json(uint64_t horizon)
{
  struct record r[4];
  const char *states[5];
  char *text[4], *gone, *page;
  uint64_t seqs[5] = {11, 12, 13, 14, 15};
  bool is_gone[5] = {false, false, false, false, true};
  struct changes_page_head head = {false, 15, "Setu", horizon, 15};

  check_record(&r[0], "beneficiary", "b1", HUBR, 100,
               "{\"groups\":[\"anak\"],\"kecamatan\":\"Setu\","
               "\"consent\":false}");
  check_put(&r[0], HUBR, 200, "{\"kelurahan\":\"Kranggan\"}");
  check_record(&r[1], "beneficiary", "b3", HUBR, 201,
               "{\"groups\":[\"perempuan\"],\"kecamatan\":\"Setu\","
               "\"consent\":false}");
  check_record(&r[2], "visit", "v3", HUBR, 202,
               "{\"beneficiary\":\"b3\",\"date\":\"2026-11-22\","
               "\"programme\":\"skills-business\"}");
  check_record(&r[3], "notes", "n1", HUBR, 203, "{\"t\":[1,{\"u\":2}]}");
  for (int i = 0; i < 4; i++) {
    CHECK((text[i] = record_encode(&r[i])) != NULL);
    states[i] = text[i];
  }
  CHECK((gone = changes_gone_encode("beneficiary", "b2")) != NULL);
  states[4] = gone;
  page = changes_page_encode_head(seqs, states, is_gone, 5, &head);
  CHECK(page != NULL);
  for (int i = 0; i < 4; i++) {
    free(text[i]);
    record_release(&r[i]);
  }
  free(gone);
  return page;
}

static int row_text(const char *collection, const char *id, uint64_t seq,
                    const char *text, size_t len, void *ctx)
{
  struct buf *b = ctx;
  (void)seq;
  buf_adds(b, collection);
  buf_adds(b, "/");
  buf_adds(b, id);
  buf_adds(b, " ");
  buf_add(b, text, len);
  buf_adds(b, "\n");
  return 0;
}

/* The store's rows, its cursor and its marks, as text. */
static char *store_text(const char *path)
{
  struct store *s = NULL;
  struct buf b;
  char *v = NULL;

  CHECK_INT(store_open(path, &s, NULL), ==, 0);
  buf_init(&b);
  CHECK_INT(store_each_text(s, NULL, row_text, &b, NULL), ==, 0);
  CHECK_INT(store_meta_get(s, CURSOR_KEY, &v, NULL), ==, 0);
  buf_adds(&b, "cursor ");
  buf_adds(&b, v);
  free(v);
  v = NULL;
  buf_adds(&b, store_meta_get(s, GONE_PREFIX "visit/v9", &v, NULL) == 0
                   ? "\nv9 marked gone"
                   : "\nv9 not marked");
  free(v);
  v = NULL;
  buf_adds(&b, store_meta_get(s, RESYNC_KEY, &v, NULL) == 0
                   ? "\nre-syncing"
                   : "\nnot re-syncing");
  free(v);
  store_close(s);
  CHECK(!b.failed);
  return buf_take(&b, NULL);
}

/* A copy of the base store as name, the page applied to it with its n-th
 * allocation failing (n 0: none); the apply's rc. */
static int apply_to(const char *base, const char *name, const char *page_text,
                    long n)
{
  struct sync_fixture f;
  struct changes_page page;
  size_t changed = 0;
  bool reset = false;
  int rc;

  sync_fixture_copy(base, name);
  sync_fixture_open(&f, sync_fixture_path(name));
  changes_page_init(&page);
  CHECK_INT(changes_page_decode(&page, page_text, strlen(page_text), NULL), ==,
            0);

  if (n > 0)
    oom_arm(n);
  rc = sync_pull_apply(f.sync, &page, 10, &reset, &changed, NULL);
  oom_disarm();
  CHECK(!reset);

  changes_page_release(&page);
  sync_fixture_close(&f);
  return rc;
}

/*
 * The page (made with horizon) applied to a copy of the store base with
 * each allocation failing in turn: the store as it was (before), or as
 * without failure (want, checked by the caller first).
 */
static void each_failure(const char *base, const char *page, const char *before,
                         const char *want)
{
  OOM_EACH_FAILURE(n)
  {
    char name[32], *got;
    int rc;

    snprintf(name, sizeof(name), "run%ld", n);
    rc = apply_to(base, name, page, n);
    got = store_text(sync_fixture_path(name));
    if (rc == 0) { /* no failure, or one it did without (a cache) */
      CHECK_STR(got, want);
    } else {
      CHECK(oom_failed());
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK_STR(got, before);
    }
    if (!oom_failed())
      more_ = 0;
    free(got);
  }
}

TEST(apply)
{
  char *page = page_json(0), *before, *want;

  make_store();
  before = store_text(sync_fixture_path("base"));
  CHECK_INT(apply_to("base", "want", page, 0), ==, 0);
  want = store_text(sync_fixture_path("want"));
  /* b2 and v2 left, v9 (pending) stayed marked; the cursor moved. */
  CHECK(strstr(want, "beneficiary/b2 ") == NULL);
  CHECK(strstr(want, "visit/v2 ") == NULL);
  CHECK(strstr(want, "visit/v9 ") != NULL);
  CHECK(strstr(want, "v9 marked gone") != NULL);
  CHECK(strstr(want, "Kranggan") != NULL);
  CHECK(strstr(want, "cursor 15") != NULL);
  each_failure("base", page, before, want);
  free(before);
  free(want);
  free(page);
}

/* A page past the hub's purge horizon while a re-sync runs: merged, and
 * the last page ends the re-sync. Not knowing whether one runs (memory)
 * must never wipe the store's pulled rows a second time. */
TEST(resync_running)
{
  char *page = page_json(20), *before, *want;
  struct store *s = NULL;

  make_store();
  sync_fixture_copy("base", "resyncing");
  CHECK_INT(store_open(sync_fixture_path("resyncing"), &s, NULL), ==, 0);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_meta_set(s, RESYNC_KEY, "1", NULL), ==, 0);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  store_close(s);
  before = store_text(sync_fixture_path("resyncing"));
  CHECK(strstr(before, "\nre-syncing") != NULL);
  CHECK_INT(apply_to("resyncing", "want", page, 0), ==, 0);
  want = store_text(sync_fixture_path("want"));
  CHECK(strstr(want, "beneficiary/b1 ") != NULL); /* not wiped */
  CHECK(strstr(want, "Kranggan") != NULL);
  CHECK(strstr(want, "not re-syncing") != NULL);
  CHECK(strstr(want, "cursor 15") != NULL);
  each_failure("resyncing", page, before, want);
  free(before);
  free(want);
  free(page);
}
