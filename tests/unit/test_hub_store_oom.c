/*
 * test_hub_store_oom.c - the hub's SQLite store when memory runs out
 * (oom.h; the project's own allocations, not SQLite's): reading the
 * change feed, whole or scoped or skipping a device's echoes, and a push.
 *
 * A feed page read while memory runs out must fail, never come back
 * short as if it were whole: the device would move its cursor past the
 * records it was not given and never get them. A push must fail with the
 * store as it was, or be stored whole, its device's scope checked.
 * Nothing may leak either way. Found here: a scoped page that could not
 * read a record's moves left out its gone entry (hub_scope.c,
 * moves_left), and a pusher whose scope could not be read was let past
 * the scope check (hub_push.c, push_scope).
 */
#include "check.h"
#include "check_record.h"

#include "buf.h"
#include "hub_store.h"
#include "office.h"
#include "oom.h"
#include "scope.h"

#define A "00000000000000aa"
#define B "00000000000000bb"
#define TS 1714550400000000ull
#define MAX_TS (TS * 2)

static void push(struct hub_store *hs, const char *pusher, struct record *r,
                 size_t n)
{
  struct push_reply rep;
  struct hub_push_stats st;

  push_reply_init(&rep);
  CHECK_INT(hub_store_push(hs, pusher, MAX_TS, r, n, &rep, &st, NULL), ==, 0);
  for (size_t i = 0; i < n; i++)
    CHECK(rep.res[i].ok);
  push_reply_release(&rep);
  for (size_t i = 0; i < n; i++)
    record_release(&r[i]);
}

/* The hub's state of (c, id) with replica's put of fields on it at ts: a
 * push by someone who saw it. */
static void edit(struct hub_store *hs, struct record *r, const char *c,
                 const char *id, const char *replica, uint64_t ts,
                 const char *fields)
{
  cJSON *j = cJSON_Parse(fields);
  uint64_t seq;

  CHECK(j != NULL);
  record_init(r, c, id);
  CHECK_INT(hub_store_get(hs, c, id, r, &seq, NULL), ==, 0);
  CHECK_INT(record_put(r, replica, ts, j, NULL), ==, 0);
  cJSON_Delete(j);
}

/* A new hub (its own file, called name) holding beneficiaries in Setu
 * and Pamulang with their visits, by A and B, one moved to Pamulang
 * since. */
static struct hub_store *make_hub(const char *name)
{
  char path[512];
  struct hub_store *hs = NULL;
  struct record r[4];

  snprintf(path, sizeof(path), "%s/%s.db", check_testdir(), name);
  CHECK_INT(hub_store_create(path, schema_default_text, &hs, NULL), ==, 0);
  check_record(
      &r[0], "beneficiary", "b1", A, TS,
      "{\"groups\":[\"anak\"],\"kecamatan\":\"Setu\",\"consent\":false}");
  check_record(&r[1], "beneficiary", "b2", A, TS + 1,
               "{\"groups\":[\"miskin\"],\"kecamatan\":\"Pamulang\","
               "\"consent\":false}");
  check_record(&r[2], "visit", "v1", A, TS + 2,
               "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
               "\"programme\":\"skills-cooking\"}");
  check_record(
      &r[3], "beneficiary", "b3", A, TS + 3,
      "{\"groups\":[\"anak\"],\"kecamatan\":\"Setu\",\"consent\":false}");
  push(hs, A, r, 4);
  check_record(&r[0], "visit", "v2", B, TS + 4,
               "{\"beneficiary\":\"b2\",\"date\":\"2026-11-21\","
               "\"programme\":\"child-education\"}");
  push(hs, B, r, 1);
  edit(hs, &r[0], "beneficiary", "b3", A, TS + 5,
       "{\"kecamatan\":\"Pamulang\"}");
  push(hs, A, r, 1);
  return hs;
}

/* A page as text: "seq gone? state\n" per entry, then next and more. */
static char *page_text(const struct hub_page *p)
{
  struct buf b;
  char line[64];

  buf_init(&b);
  for (size_t i = 0; i < p->n; i++) {
    snprintf(line, sizeof(line), "%llu %s ", (unsigned long long)p->seqs[i],
             p->gone != NULL && p->gone[i] ? "gone" : "record");
    buf_adds(&b, line);
    buf_adds(&b, p->states[i]);
    buf_adds(&b, "\n");
  }
  snprintf(line, sizeof(line), "next %llu more %d\n",
           (unsigned long long)p->next, p->more);
  buf_adds(&b, line);
  CHECK(!b.failed);
  return buf_take(&b, NULL);
}

enum read { READ_ALL, READ_SKIP_OWN, READ_SCOPED, NREADS };

static int read_feed(struct hub_store *hs, enum read how,
                     const struct scope_parts *setu, struct hub_page *p,
                     struct sb_err *err)
{
  if (how == READ_SCOPED)
    return hub_store_changes_scoped(hs, 0, 1000, setu, NULL, p, err);
  return hub_store_changes(hs, 0, 1000, how == READ_SKIP_OWN ? A : NULL, p,
                           err);
}

TEST(feed)
{
  struct hub_store *hs = make_hub("hub");
  struct scope_parts setu;
  struct sb_err err = {0};

  scope_parts_init(&setu);
  CHECK_INT(scope_parts_add(&setu, "Setu"), ==, 0);
  for (int how = 0; how < NREADS; how++) {
    struct hub_page p;
    char *want;

    hub_store_page_init(&p);
    CHECK_INT(read_feed(hs, how, &setu, &p, NULL), ==, 0);
    CHECK(p.n > 0);
    want = page_text(&p);
    hub_store_page_release(&p);
    OOM_EACH_FAILURE(n)
    {
      int rc;

      hub_store_page_init(&p);
      oom_arm(n);
      rc = read_feed(hs, how, &setu, &p, &err);
      oom_disarm();
      if (rc == 0) { /* whole, never short */
        char *got = page_text(&p);
        CHECK_STR(got, want);
        free(got);
      } else {
        CHECK(oom_failed());
        CHECK_INT(rc, ==, SB_ENOMEM);
      }
      if (!oom_failed())
        more_ = 0;
      hub_store_page_release(&p);
    }
    free(want);
  }
  scope_parts_release(&setu);
  hub_store_close(hs);
}

/* The whole feed as text. */
static char *feed_text(struct hub_store *hs)
{
  struct hub_page p;
  char *t;

  hub_store_page_init(&p);
  CHECK_INT(hub_store_changes(hs, 0, 1000, NULL, &p, NULL), ==, 0);
  t = page_text(&p);
  hub_store_page_release(&p);
  return t;
}

/* Device tab-b (replica B, scope Pamulang) pushes: b2 edited, a new
 * visit of it, and a beneficiary in Setu its scope refuses; the n-th
 * allocation of the push fails (n 0: none), and every one after it if
 * sticky. */
static int push_b(struct hub_store *hs, long n, bool sticky,
                  struct push_reply *rep, struct sb_err *err)
{
  static const char hash[] =
      "2222222222222222222222222222222222222222222222222222222222222222";
  struct record r[3];
  struct hub_push_batch b, *bs[1] = {&b};

  CHECK_INT(hub_store_device_add(hs, "tab-b", hash, 1, "Pamulang", NULL), ==,
            0);
  edit(hs, &r[0], "beneficiary", "b2", B, TS + 10,
       "{\"kelurahan\":\"Kranggan\"}");
  check_record(&r[1], "visit", "v3", B, TS + 11,
               "{\"beneficiary\":\"b2\",\"date\":\"2026-11-22\","
               "\"programme\":\"skills-business\"}");
  check_record(
      &r[2], "beneficiary", "b9", B, TS + 12,
      "{\"groups\":[\"anak\"],\"kecamatan\":\"Setu\",\"consent\":false}");
  memset(&b, 0, sizeof(b));
  b.pusher = B;
  snprintf(b.device, sizeof(b.device), "tab-b");
  b.max_ts = MAX_TS;
  b.recs = r;
  b.n = 3;
  push_reply_init(&b.reply);
  if (n > 0 && sticky)
    oom_arm_sticky(n);
  else if (n > 0)
    oom_arm(n);
  CHECK_INT(hub_store_push_group(hs, bs, 1), ==, 0);
  oom_disarm();
  *rep = b.reply;
  if (err != NULL)
    *err = b.err;
  for (int i = 0; i < 3; i++)
    record_release(&r[i]);
  return b.rc;
}

/* The outcomes of push_b: b2 and v3 stored, b9 refused. */
static bool as_pushed(const struct push_reply *rep)
{
  return rep->n == 3 && rep->res[0].ok && rep->res[1].ok && !rep->res[2].ok &&
         strcmp(rep->res[2].code, "out_of_scope") == 0;
}

/* The push with its n-th allocation failing (once, or from then on):
 * all of it stored as without failure (the scope check held), or nothing
 * (each run on a hub of its own). */
static void push_under_failures(bool sticky)
{
  struct hub_store *hs = make_hub("want");
  struct push_reply rep;
  char *before = feed_text(hs), *want;

  CHECK_INT(push_b(hs, 0, false, &rep, NULL), ==, 0);
  CHECK(as_pushed(&rep));
  push_reply_release(&rep);
  want = feed_text(hs);
  CHECK(strstr(want, "Kranggan") != NULL && strstr(want, "v3") != NULL);
  CHECK(strstr(want, "b9") == NULL);
  hub_store_close(hs);

  OOM_EACH_FAILURE(n)
  {
    struct sb_err err = {0};
    char name[32], *now;
    int rc;

    snprintf(name, sizeof(name), "run%ld%s", n, sticky ? "s" : "");
    hs = make_hub(name);
    rc = push_b(hs, n, sticky, &rep, &err);
    now = feed_text(hs);
    if (rc == 0) { /* the scope check was not passed over */
      CHECK(as_pushed(&rep));
      CHECK_STR(now, want);
    } else {
      CHECK(oom_failed());
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK_STR(now, before);
    }
    if (!oom_failed())
      more_ = 0;
    free(now);
    push_reply_release(&rep);
    hub_store_close(hs);
  }
  free(before);
  free(want);
}

TEST(push)
{
  push_under_failures(false);
}

TEST(push_memory_stays_short)
{
  push_under_failures(true);
}

/* A device looked up by its token while memory runs out: found, or out
 * of memory; never "a malformed entry" (which reads as a damaged store
 * and holds the device back as one). */
TEST(device_by_token)
{
  struct hub_store *hs = make_hub("devices");
  char hash[HUB_HASH_HEX_LEN + 1];

  memset(hash, 'c', HUB_HASH_HEX_LEN);
  hash[HUB_HASH_HEX_LEN] = '\0';
  CHECK_INT(hub_store_device_add(hs, "tab-c", hash, 1, "Setu", NULL), ==, 0);
  OOM_EACH_FAILURE(n)
  {
    struct hub_device d;
    struct sb_err err = {0};
    int rc;

    oom_arm(n);
    rc = hub_store_device_by_token(hs, hash, &d, &err);
    oom_disarm();
    if (rc == 0) {
      CHECK_STR(d.name, "tab-c");
      CHECK_STR(d.scope, "Setu");
    } else {
      CHECK(oom_failed());
      CHECK_INT(rc, ==, SB_ENOMEM);
    }
    if (!oom_failed())
      more_ = 0;
  }
  hub_store_close(hs);
}

/* The office's CSV export of a collection while memory runs out: the
 * whole file as without failure, or out of memory; never a file with a
 * cell left empty (a list value, read through a parse, came out blank). */
TEST(csv_export)
{
  struct hub_store *hs = make_hub("csv");
  struct office_filter f = {"beneficiary", NULL, NULL,  NULL, NULL,
                            NULL,          NULL, false, false};
  char *want = NULL;
  size_t want_len = 0;

  CHECK_INT(office_csv_export(hs, &f, true, &want, &want_len, NULL), ==, 0);
  CHECK(strstr(want, "anak") != NULL);
  OOM_EACH_FAILURE(n)
  {
    struct sb_err err = {0};
    char *got = NULL;
    size_t len = 0;
    int rc;

    oom_arm(n);
    rc = office_csv_export(hs, &f, true, &got, &len, &err);
    oom_disarm();
    if (rc == 0) {
      CHECK_INT(len, ==, want_len);
      CHECK_STR(got, want);
    } else {
      CHECK(oom_failed());
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK(got == NULL);
    }
    if (!oom_failed())
      more_ = 0;
    free(got);
  }
  free(want);
  hub_store_close(hs);
}
