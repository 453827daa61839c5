/* test_hub_store.c - the hub's storage: push rules, change feed, devices. */
#include "check.h"
#include "check_record.h"

#include "hlc.h"
#include "json.h"
#include "hub_restore.h"
#include "hub_store.h"
#include "schema.h"
#include "store.h"

#define A "00000000000000aa"
#define B "00000000000000bb"
#define TS 1714550400000000ull
#define MAX_TS (TS * 2)
#define HASH1 "1111111111111111111111111111111111111111111111111111111111111111"
#define HASH2 "2222222222222222222222222222222222222222222222222222222222222222"

static struct hub_store *new_hub(const char *schema)
{
  char path[512];
  struct hub_store *hs = NULL;
  struct sb_err err = {0};
  snprintf(path, sizeof(path), "%s/hub.db", check_tmpdir());
  CHECK_INT(hub_store_create(path, schema, &hs, &err), ==, 0);
  return hs;
}

static int push(struct hub_store *hs, const char *pusher, struct record *recs,
                size_t n, struct push_reply *reply, struct hub_push_stats *st)
{
  struct sb_err err = {0};
  return hub_store_push(hs, pusher, MAX_TS, recs, n, reply, st, &err);
}

static size_t feed_size(struct hub_store *hs)
{
  struct hub_page p;
  size_t n;
  hub_store_page_init(&p);
  CHECK_INT(hub_store_changes(hs, 0, 1000, NULL, &p, NULL), ==, 0);
  n = p.n;
  hub_store_page_release(&p);
  return n;
}

TEST(push_then_repush_is_idempotent)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct push_reply rep;
  struct hub_push_stats st;
  struct record r[2];

  push_reply_init(&rep);
  check_record(&r[0], "notes", "n1", A, TS, "{\"t\":1}");
  check_record(&r[1], "notes", "n2", A, TS, "{\"t\":2}");
  CHECK_INT(push(hs, A, r, 2, &rep, &st), ==, 0);
  CHECK_INT(rep.n, ==, 2);
  CHECK(rep.res[0].ok && rep.res[1].ok);
  CHECK_INT(rep.res[0].seq, ==, 1);
  CHECK_INT(rep.res[1].seq, ==, 2);
  CHECK_INT(rep.last_seq, ==, 2);
  CHECK_INT(st.stored, ==, 2);

  /* Again, in the other order: the same seqs, nothing new in the feed. */
  {
    struct record swapped[2] = {r[1], r[0]};
    CHECK_INT(push(hs, A, swapped, 2, &rep, &st), ==, 0);
  }
  CHECK_INT(rep.res[0].seq, ==, 2);
  CHECK_INT(rep.res[1].seq, ==, 1);
  CHECK_INT(st.stored, ==, 0);
  CHECK_INT(st.unchanged, ==, 2);
  CHECK_INT(rep.last_seq, ==, 2);
  CHECK_INT(feed_size(hs), ==, 2);

  /* An empty batch is valid and answers the newest seq. */
  CHECK_INT(push(hs, A, NULL, 0, &rep, &st), ==, 0);
  CHECK_INT(rep.n, ==, 0);
  CHECK_INT(rep.last_seq, ==, 2);

  push_reply_release(&rep);
  record_release(&r[0]);
  record_release(&r[1]);
  hub_store_close(hs);
}

TEST(forged_history_is_refused_per_record)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct push_reply rep;
  struct hub_push_stats st;
  struct sb_err err = {0};
  struct record r[2], merged;

  push_reply_init(&rep);
  check_record(&r[0], "notes", "good", A, TS, "{\"t\":1}");
  check_record(&r[1], "notes", "forged", B, TS, "{\"t\":1}");
  /* A pushes a write of B the hub never saw: that record is refused. */
  CHECK_INT(hub_store_push(hs, A, MAX_TS, r, 2, &rep, &st, &err), ==, 0);
  CHECK_INT(rep.n, ==, 2);
  CHECK(rep.res[0].ok);
  CHECK(!rep.res[1].ok);
  CHECK_STR(rep.res[1].code, proto_err_name(PROTO_ERR_FORGED_DOT));
  CHECK(strstr(rep.res[1].message, B) != NULL);
  CHECK_INT(st.refused_forged_dot, ==, 1);
  CHECK_INT(feed_size(hs), ==, 1);

  /* B pushes its own write; then A may push a state that saw it. */
  CHECK_INT(push(hs, B, &r[1], 1, &rep, &st), ==, 0);
  CHECK(rep.res[0].ok);
  CHECK_INT(record_copy(&merged, &r[1]), ==, 0);
  {
    cJSON *j = cJSON_Parse("{\"t\":2}");
    CHECK_INT(record_put(&merged, A, TS + 1, j, NULL), ==, 0);
    cJSON_Delete(j);
  }
  CHECK_INT(push(hs, A, &merged, 1, &rep, &st), ==, 0);
  CHECK(rep.res[0].ok);
  CHECK_INT(st.stored, ==, 1);

  /* But not one claiming more of B than the hub has seen. */
  CHECK_INT(vv_set(&merged.vv, B, 2), ==, 0);
  CHECK_INT(push(hs, A, &merged, 1, &rep, &st), ==, 0);
  CHECK(!rep.res[0].ok);
  CHECK_STR(rep.res[0].code, proto_err_name(PROTO_ERR_FORGED_DOT));

  push_reply_release(&rep);
  record_release(&r[0]);
  record_release(&r[1]);
  record_release(&merged);
  hub_store_close(hs);
}

static struct hub_push_batch batch_of(const char *pusher, struct record *recs,
                                      size_t n)
{
  struct hub_push_batch b;
  memset(&b, 0, sizeof(b));
  b.pusher = pusher;
  b.max_ts = MAX_TS;
  b.recs = recs;
  b.n = n;
  push_reply_init(&b.reply);
  return b;
}

TEST(group_push_commits_together_and_refuses_a_forged_record)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct record a[2], bad, b1, later;
  struct hub_push_batch g[4], *gp[4] = {&g[0], &g[1], &g[2], &g[3]};

  check_record(&a[0], "notes", "a1", A, TS, "{\"t\":1}");
  check_record(&a[1], "notes", "a2", A, TS, "{\"t\":2}");
  check_record(&bad, "notes", "bad", B, TS, "{\"t\":1}"); /* B's, pushed by A */
  check_record(&b1, "notes", "b1", B, TS, "{\"t\":1}");
  /* A state of b1 by A that saw B's write: only valid after g[2]. */
  CHECK_INT(record_copy(&later, &b1), ==, 0);
  {
    cJSON *j = cJSON_Parse("{\"t\":3}");
    CHECK_INT(record_put(&later, A, TS + 1, j, NULL), ==, 0);
    cJSON_Delete(j);
  }
  g[0] = batch_of(A, a, 2);
  g[1] = batch_of(A, &bad, 1);
  g[2] = batch_of(B, &b1, 1);
  g[3] = batch_of(A, &later, 1);
  CHECK_INT(hub_store_push_group(hs, gp, 4), ==, 0);

  /* The forged record is refused and applies nothing... */
  CHECK_INT(g[1].rc, ==, 0);
  CHECK_INT(g[1].reply.n, ==, 1);
  CHECK(!g[1].reply.res[0].ok);
  CHECK_STR(g[1].reply.res[0].code, proto_err_name(PROTO_ERR_FORGED_DOT));
  CHECK_INT(g[1].stats.stored, ==, 0);
  CHECK_INT(g[1].stats.refused_forged_dot, ==, 1);
  /* ...the others commit, in order (g[3] sees g[2]'s write). */
  CHECK_INT(g[0].rc, ==, 0);
  CHECK_INT(g[0].reply.n, ==, 2);
  CHECK(g[0].reply.res[0].ok && g[0].reply.res[1].ok);
  CHECK_INT(g[0].reply.res[0].seq, ==, 1);
  CHECK_INT(g[0].reply.res[1].seq, ==, 2);
  CHECK_INT(g[0].stats.stored, ==, 2);
  CHECK_INT(g[2].rc, ==, 0);
  CHECK_INT(g[2].reply.res[0].seq, ==, 3);
  CHECK_INT(g[3].rc, ==, 0);
  CHECK(g[3].reply.res[0].ok);
  CHECK_INT(g[3].reply.res[0].seq, ==, 4);
  /* One commit: every batch answers the same newest seq. */
  CHECK_INT(g[0].reply.last_seq, ==, 4);
  CHECK_INT(g[3].reply.last_seq, ==, 4);
  CHECK_INT(feed_size(hs), ==, 3); /* a1, a2, b1 (at seq 4) */

  /* The same group again: idempotent, no new seq. */
  CHECK_INT(hub_store_push_group(hs, gp, 4), ==, 0);
  CHECK_INT(g[0].rc, ==, 0);
  CHECK_INT(g[0].stats.unchanged, ==, 2);
  CHECK_INT(g[3].stats.unchanged, ==, 1);
  CHECK_INT(g[1].rc, ==, 0);
  CHECK_STR(g[1].reply.res[0].code, proto_err_name(PROTO_ERR_FORGED_DOT));
  CHECK_INT(g[0].reply.last_seq, ==, 4);

  for (size_t i = 0; i < 4; i++)
    push_reply_release(&g[i].reply);
  record_release(&a[0]);
  record_release(&a[1]);
  record_release(&bad);
  record_release(&b1);
  record_release(&later);
  hub_store_close(hs);
}

TEST(reader_connection_sees_commits_and_leaves_binding_to_the_writer)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct hub_store *rd = NULL;
  struct hub_device d;
  struct push_reply rep;
  struct hub_push_stats st;
  struct sb_err err = {0};
  struct record r;
  uint64_t seq = 99;

  push_reply_init(&rep);
  CHECK_INT(hub_store_open_reader(hub_store_path(hs), &rd, &err), ==, 0);
  CHECK_INT(hub_store_last_seq(rd, &seq, NULL), ==, 0);
  CHECK_INT(seq, ==, 0);
  check_record(&r, "notes", "n1", A, TS, "{\"t\":1}");
  CHECK_INT(push(hs, A, &r, 1, &rep, &st), ==, 0);
  CHECK_INT(hub_store_last_seq(rd, &seq, NULL), ==, 0);
  CHECK_INT(seq, ==, 1);
  CHECK_INT(feed_size(rd), ==, 1);

  CHECK_INT(hub_store_device_add(hs, "tab-1", HASH1, 1, "all", NULL), ==, 0);
  CHECK_INT(hub_store_device_by_token(rd, HASH1, &d, NULL), ==, 0);
  CHECK_STR(d.name, "tab-1");
  CHECK_INT(hub_store_device_bind(rd, "tab-1", A, &err), ==, SB_EBUSY);
  CHECK_INT(hub_store_device_bind(hs, "tab-1", A, NULL), ==, 0);
  CHECK_INT(hub_store_device_by_token(rd, HASH1, &d, NULL), ==, 0);
  CHECK_STR(d.replica, A);

  push_reply_release(&rep);
  record_release(&r);
  hub_store_close(rd);
  hub_store_close(hs);
}

TEST(future_timestamps_refuse_only_that_record)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct push_reply rep;
  struct hub_push_stats st;
  struct record r[2];

  push_reply_init(&rep);
  check_record(&r[0], "notes", "late", A, MAX_TS + 1, "{\"t\":1}");
  check_record(&r[1], "notes", "fine", A, MAX_TS, "{\"t\":1}");
  CHECK_INT(push(hs, A, r, 2, &rep, &st), ==, 0);
  CHECK(!rep.res[0].ok);
  CHECK_STR(rep.res[0].code, proto_err_name(PROTO_ERR_FUTURE_TIMESTAMP));
  CHECK(strstr(rep.res[0].message, "notes/late: field \"t\"") != NULL);
  CHECK(rep.res[1].ok);
  CHECK_INT(rep.res[1].seq, ==, 1);
  CHECK_INT(st.refused_future, ==, 1);
  CHECK_INT(feed_size(hs), ==, 1);

  push_reply_release(&rep);
  record_release(&r[0]);
  record_release(&r[1]);
  hub_store_close(hs);
}

TEST(schema_is_checked_per_write_not_on_the_merged_record)
{
  struct hub_store *hs = new_hub(schema_default_text);
  struct push_reply rep;
  struct hub_push_stats st;
  struct record r[4];

  push_reply_init(&rep);
  check_record(&r[0], "visit", "v1", A, TS,
               "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
               "\"programme\":\"skills-cooking\"}");
  check_record(&r[1], "visit", "v2", A, TS,
               "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
               "\"programme\":\"knitting\"}");
  check_record(&r[2], "visit", "v3", A, TS, "{\"date\":\"2026-11-20\"}");
  check_record(&r[3], "visit", "v4", A, TS,
               "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
               "\"programme\":\"Skills-Cooking\"}");
  CHECK_INT(push(hs, A, r, 4, &rep, &st), ==, 0);
  CHECK(rep.res[0].ok);
  CHECK(!rep.res[1].ok);
  CHECK_STR(rep.res[1].code, proto_err_name(PROTO_ERR_SCHEMA));
  CHECK(strstr(rep.res[1].message, "visit/v2: ") == rep.res[1].message);
  /* A record rule (required fields) is the writer's: the hub stores it. */
  CHECK(rep.res[2].ok);
  CHECK(!rep.res[3].ok);
  CHECK(strstr(rep.res[3].message, "spelled") != NULL);
  CHECK_INT(st.refused_schema, ==, 2);
  CHECK_INT(feed_size(hs), ==, 2);

  /* An edit of a stored visit that keeps it valid merges. */
  {
    cJSON *j = cJSON_Parse("{\"outcome\":\"good\"}");
    CHECK_INT(record_put(&r[0], A, TS + 5, j, NULL), ==, 0);
    cJSON_Delete(j);
  }
  CHECK_INT(push(hs, A, r, 1, &rep, &st), ==, 0);
  CHECK(rep.res[0].ok);
  CHECK_INT(rep.res[0].seq, ==, 3);
  /* Free-form collections are not checked. */
  record_release(&r[1]);
  check_record(&r[1], "anything", "x", A, TS, "{\"whatever\":[1,2]}");
  CHECK_INT(push(hs, A, &r[1], 1, &rep, &st), ==, 0);
  CHECK(rep.res[0].ok);

  push_reply_release(&rep);
  for (size_t i = 0; i < 4; i++)
    record_release(&r[i]);
  hub_store_close(hs);
}

TEST(changes_come_in_pages)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct push_reply rep;
  struct hub_push_stats st;
  struct hub_page p;
  struct record r[5];
  char id[8];
  size_t i;

  push_reply_init(&rep);
  hub_store_page_init(&p);
  for (i = 0; i < 5; i++) {
    snprintf(id, sizeof(id), "n%zu", i);
    check_record(&r[i], "notes", id, A, TS, "{\"t\":1}");
  }
  CHECK_INT(push(hs, A, r, 5, &rep, &st), ==, 0);
  CHECK_INT(hub_store_changes(hs, 0, 2, NULL, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 2);
  CHECK(p.more);
  CHECK_INT(p.next, ==, 2);
  CHECK_INT(p.seqs[0], ==, 1);
  CHECK(strstr(p.states[0], "\"id\":\"n0\"") != NULL);
  CHECK_INT(hub_store_changes(hs, 4, 2, NULL, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 1);
  CHECK(!p.more);
  CHECK_INT(p.next, ==, 5);
  CHECK_INT(p.last_seq, ==, 5);
  CHECK_INT(hub_store_changes(hs, 9, 2, NULL, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 0);
  CHECK_INT(p.next, ==, 9);

  hub_store_page_release(&p);
  push_reply_release(&rep);
  for (i = 0; i < 5; i++)
    record_release(&r[i]);
  hub_store_close(hs);
}

static int collect(const struct hub_device *d, void *ctx)
{
  char *out = ctx;
  size_t n = strlen(out);
  snprintf(out + n, 256 - n, "%s:%s:%d;", d->name, d->replica, d->revoked);
  return 0;
}

TEST(devices)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct hub_device d;
  struct sb_err err = {0};
  char list[256] = "";

  CHECK_INT(hub_store_device_add(hs, "zeta", HASH1, 5, "all", &err), ==, 0);
  CHECK_INT(hub_store_device_add(hs, "alpha", HASH2, 6, "all", &err), ==, 0);
  CHECK_INT(hub_store_device_add(hs, "zeta", HASH2, 7, "all", &err), ==,
            SB_EEXISTS);
  CHECK_INT(hub_store_device_add(hs, "other", HASH1, 7, "all", &err), ==,
            SB_EEXISTS);
  CHECK_INT(hub_store_device_add(hs, "bad name", HASH1, 7, "all", &err), ==,
            SB_EINVAL);
  CHECK_INT(hub_store_device_add(hs, "x", "abc", 7, "all", &err), ==,
            SB_EINVAL);

  CHECK_INT(hub_store_device_by_token(hs, HASH1, &d, &err), ==, 0);
  CHECK_STR(d.name, "zeta");
  CHECK_STR(d.replica, "");
  CHECK_INT(d.created_ms, ==, 5);
  CHECK(!d.revoked);
  CHECK_INT(
      hub_store_device_by_token(
          hs,
          "3333333333333333333333333333333333333333333333333333333333333333",
          &d, &err),
      ==, SB_ENOTFOUND);

  /* Binding: once, to one replica; never the hub's; never a taken one. */
  CHECK_INT(hub_store_device_bind(hs, "zeta", A, &err), ==, 0);
  CHECK_INT(hub_store_device_bind(hs, "zeta", A, &err), ==, 0);
  CHECK_INT(hub_store_device_bind(hs, "zeta", B, &err), ==, SB_ECONFLICT);
  CHECK(strstr(err.msg, "bound to replica " A) != NULL);
  CHECK_INT(hub_store_device_bind(hs, "alpha", A, &err), ==, SB_ECONFLICT);
  CHECK(strstr(err.msg, "another device (zeta)") != NULL);
  CHECK_INT(hub_store_device_bind(hs, "alpha", hub_store_replica(hs), &err), ==,
            SB_ECONFLICT);
  CHECK(strstr(err.msg, "hub's own") != NULL);
  CHECK_INT(hub_store_device_bind(hs, "nobody", B, &err), ==, SB_ENOTFOUND);

  CHECK_INT(hub_store_device_revoke(hs, "zeta", &err), ==, 0);
  CHECK_INT(hub_store_device_revoke(hs, "zeta", &err), ==, 0);
  CHECK_INT(hub_store_device_revoke(hs, "nobody", &err), ==, SB_ENOTFOUND);
  CHECK_INT(hub_store_device_by_token(hs, HASH1, &d, &err), ==, 0);
  CHECK(d.revoked);
  CHECK_STR(d.replica, A);

  CHECK_INT(hub_store_device_list(hs, collect, list, &err), ==, 0);
  CHECK_STR(list, "alpha::0;zeta:" A ":1;");
  hub_store_close(hs);
}

static int count_meta(const char *key, const char *value, void *ctx)
{
  size_t *n = ctx;
  (void)value;
  CHECK(strncmp(key, "pre.", 4) == 0);
  (*n)++;
  return 0;
}

/* Three chain values (hub_push_chain.h): 32 hex digits each. */
#define X1 "11111111111111111111111111111111"
#define X2 "22222222222222222222222222222222"
#define X3 "33333333333333333333333333333333"

/* Pushes a note as A with the chain "prev next 0"; true if the hub took
 * the push, false if it refused it as another store's. */
static bool chained(struct hub_store *hs, const char *prev, const char *next)
{
  struct record r;
  struct hub_push_batch b, *bp = &b;
  bool taken;

  check_record(&r, "notes", "n1", A, TS, "{\"t\":1}");
  b = batch_of(A, &r, 1);
  b.has_chain = true;
  snprintf(b.chain.prev, sizeof(b.chain.prev), "%s", prev);
  snprintf(b.chain.next, sizeof(b.chain.next), "%s", next);
  CHECK_INT(hub_store_push_group(hs, &bp, 1), ==, 0);
  CHECK_INT(b.rc, ==, 0);
  taken = !b.copied;
  CHECK_INT(b.reply.n, ==, taken ? 1 : 0);
  push_reply_release(&b.reply);
  record_release(&r);
  return taken;
}

TEST(push_chain_is_forgotten_on_rotate_and_restore)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct hub_restore restored;

  CHECK_INT(hub_store_device_add(hs, "tab", HASH1, 1, "all", NULL), ==, 0);
  CHECK_INT(hub_store_device_bind(hs, "tab", A, NULL), ==, 0);
  CHECK(chained(hs, "", X1));
  CHECK(chained(hs, X1, X2));
  CHECK(!chained(hs, X1, X3)); /* a copy left at X1 */
  /* The office gives one store a new token: it goes on, whatever chain
   * it holds. */
  CHECK_INT(hub_store_device_rotate(hs, "tab", HASH2, NULL), ==, 0);
  CHECK(chained(hs, X1, X3));
  CHECK(!chained(hs, X1, X2));
  /* The store put back from a copy: every chain is forgotten. */
  CHECK_INT(hub_restore_mark(hs, &restored, NULL), ==, 0);
  CHECK(chained(hs, X1, X2));
  CHECK(!chained(hs, "", X3));
  hub_store_close(hs);
}

TEST(store_meta_each_and_get_text)
{
  char path[512], *text = NULL, *want;
  struct store *s = NULL;
  struct record r;
  uint64_t seq = 99;
  size_t n = 0, len = 7;

  snprintf(path, sizeof(path), "%s/s.db", check_tmpdir());
  CHECK_INT(store_create(path, "{\"collections\":{}}", &s, NULL), ==, 0);
  CHECK_INT(store_meta_set(s, "pre.a", "1", NULL), ==, 0);
  CHECK_INT(store_meta_set(s, "pre.b", "2", NULL), ==, 0);
  CHECK_INT(store_meta_set(s, "pre", "3", NULL), ==, 0);
  CHECK_INT(store_meta_set(s, "prex", "4", NULL), ==, 0);
  CHECK_INT(store_meta_each(s, "pre.", count_meta, &n, NULL), ==, 0);
  CHECK_INT(n, ==, 2);

  CHECK_INT(store_get_text(s, "notes", "x", &text, &len, &seq, NULL), ==,
            SB_ENOTFOUND);
  CHECK(text == NULL);
  CHECK_INT(seq, ==, 0);
  CHECK_INT(len, ==, 0);
  check_record(&r, "notes", "x", A, TS, "{\"t\":1}");
  want = record_encode(&r);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  CHECK_INT(store_put(s, &r, NULL), ==, 0);
  CHECK_INT(store_put_encoded(s, &r, want, strlen(want), NULL), ==, 0);
  CHECK_INT(store_put_encoded(s, &r, want, SB_RECORD_MAX + 1, NULL), ==,
            SB_ETOOBIG);
  CHECK_INT(store_commit(s, NULL), ==, 0);
  CHECK_INT(store_get_text(s, "notes", "x", &text, &len, &seq, NULL), ==, 0);
  CHECK_INT(seq, ==, 2);
  CHECK_STR(text, want);
  CHECK_INT(len, ==, strlen(want));
  free(text);
  free(want);
  record_release(&r);
  store_close(s);
}

/* hub_store_changes with a holder: the entries whose state is exactly
 * what the holder pushed are passed over (the cursor passes them); a
 * merge that added something, another's write, the hub's own write are
 * sent. */
TEST(changes_skip_own_echoes)
{
  struct hub_store *hs = new_hub("{\"version\":1,\"collections\":{}}");
  struct push_reply rep;
  struct hub_push_stats st;
  struct hub_page p;
  struct record r[5], b1, a3;
  cJSON *f;
  uint64_t seq = 0;
  char id[8];
  size_t i;

  push_reply_init(&rep);
  hub_store_page_init(&p);
  for (i = 0; i < 5; i++) {
    snprintf(id, sizeof(id), "n%zu", i);
    check_record(&r[i], "notes", id, A, TS, "{\"t\":1}");
  }
  CHECK_INT(push(hs, A, r, 5, &rep, &st), ==, 0);
  /* All five are A's echoes: none for A, all for B and for no holder. */
  CHECK_INT(hub_store_changes(hs, 0, 2, A, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 0);
  CHECK(!p.more);
  CHECK_INT(p.next, ==, 5);
  CHECK_INT(hub_store_changes(hs, 0, 10, B, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 5);
  CHECK_INT(hub_store_changes(hs, 0, 10, NULL, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 5);

  /* B's concurrent write of n1: the merge holds A's and B's siblings,
   * which neither pushed: sent to both (seq 6). */
  check_record(&b1, "notes", "n1", B, TS + 5, "{\"t\":2}");
  CHECK_INT(push(hs, B, &b1, 1, &rep, &st), ==, 0);
  CHECK(rep.res[0].ok);
  CHECK_INT(rep.res[0].seq, ==, 6);
  CHECK_INT(hub_store_changes(hs, 5, 10, A, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 1);
  CHECK_INT(hub_store_changes(hs, 5, 10, B, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 1);

  /* A's edit over its own state: an echo again (seq 7). The same push
   * once more changes nothing and adds no entry. */
  CHECK_INT(record_copy(&a3, &r[3]), ==, 0);
  f = cJSON_Parse("{\"t\":3}");
  CHECK_INT(record_put(&a3, A, TS + 9, f, NULL), ==, 0);
  cJSON_Delete(f);
  CHECK_INT(push(hs, A, &a3, 1, &rep, &st), ==, 0);
  CHECK_INT(rep.res[0].seq, ==, 7);
  CHECK_INT(push(hs, A, &a3, 1, &rep, &st), ==, 0);
  CHECK_INT(st.unchanged, ==, 1);
  /* Pages of 1 for A: n1 (6) alone, then 7 passed over. */
  CHECK_INT(hub_store_changes(hs, 0, 1, A, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 1);
  CHECK_INT(p.seqs[0], ==, 6);
  CHECK(p.more);
  CHECK_INT(p.next, ==, 6);
  CHECK_INT(hub_store_changes(hs, 6, 1, A, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 0);
  CHECK(!p.more);
  CHECK_INT(p.next, ==, 7);

  /* The hub's own write of n0 (A's echo at seq 1): a new entry, sent. */
  f = cJSON_Parse("{\"t\":4}");
  CHECK_INT(hub_store_hub_put(hs, "notes", "n0", f, 1, &seq, NULL), ==, 0);
  cJSON_Delete(f);
  CHECK_INT(seq, ==, 8);
  CHECK_INT(hub_store_changes(hs, 7, 10, A, &p, NULL), ==, 0);
  CHECK_INT(p.n, ==, 1);
  CHECK_INT(p.seqs[0], ==, 8);

  hub_store_page_release(&p);
  push_reply_release(&rep);
  for (i = 0; i < 5; i++)
    record_release(&r[i]);
  record_release(&b1);
  record_release(&a3);
  hub_store_close(hs);
}

/* What logs and messages show of a store's path: no password. */
TEST(shown_store_hides_passwords)
{
  struct {
    const char *path, *shown;
  } cases[] = {
      {"/var/lib/sambang/hub.db", "/var/lib/sambang/hub.db"},
      {"postgresql://hub@db.lan:5432/sambang",
       "postgresql://hub@db.lan:5432/sambang"},
      {"postgresql://hub:s3cret@db.lan/sambang",
       "postgresql://hub:***@db.lan/sambang"},
      {"postgres://hub:p%40ss@db.lan/sambang?sslmode=require",
       "postgres://hub:***@db.lan/sambang?sslmode=require"},
      {"postgresql:///sambang?host=/run/pg&password=s3cret&user=hub",
       "postgresql:///sambang?host=/run/pg&password=***&user=hub"},
      {"postgresql://db.lan/sambang?password=s3cret",
       "postgresql://db.lan/sambang?password=***"},
      {"postgresql://a:b@c:d@db.lan/x", "postgresql://a:***@db.lan/x"},
  };
  char out[HUB_STORE_SHOWN_MAX], tiny[12];
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hub_store_shown(cases[i].path, out, sizeof(out));
    CHECK_STR(out, cases[i].shown);
  }
  hub_store_shown("postgresql://hub:s3cret@db.lan/x", tiny, sizeof(tiny));
  CHECK_STR(tiny, "postgresql:");
}
