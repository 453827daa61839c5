/*
 * test_hub_push.c - the hub's push policy (hub_push.c) on a second,
 * in-memory implementation of the store's method table written here
 * (plain arrays, no SQLite): proof that the policy needs nothing but the
 * primitives of struct hub_store_ops.
 */
#include "check.h"

#include "hub_push.h"
#include "hub_store.h"
#include "json.h"
#include "schema.h"

#define A "00000000000000aa"
#define B "00000000000000bb"
#define TS 1714550400000000ull
#define MAX_TS (TS * 2)

/* --- the in-memory backend ------------------------------------------- */

struct mem_row {
  char *collection, *id, *text;
  uint64_t seq;
};

struct mem_rows {
  struct mem_row *r;
  size_t n;
  uint64_t last_seq;
};

struct mem {
  struct mem_rows now, saved; /* saved: the state at begin */
  bool in_tx;
  unsigned begins, commits, rollbacks;
  int fail_commits; /* commits still to fail with SB_EBUSY */
  uint64_t newest;  /* the greatest newest_ts saved */
};

static char *dup(const char *s)
{
  char *d = strdup(s);
  CHECK(d != NULL);
  return d;
}

static void rows_free(struct mem_rows *m)
{
  for (size_t i = 0; i < m->n; i++) {
    free(m->r[i].collection);
    free(m->r[i].id);
    free(m->r[i].text);
  }
  free(m->r);
  memset(m, 0, sizeof(*m));
}

static void rows_copy(struct mem_rows *to, const struct mem_rows *from)
{
  rows_free(to);
  to->r = calloc(from->n + 1, sizeof(*to->r));
  CHECK(to->r != NULL);
  for (size_t i = 0; i < from->n; i++) {
    to->r[i].collection = dup(from->r[i].collection);
    to->r[i].id = dup(from->r[i].id);
    to->r[i].text = dup(from->r[i].text);
    to->r[i].seq = from->r[i].seq;
  }
  to->n = from->n;
  to->last_seq = from->last_seq;
}

static struct mem_row *mem_find(struct mem *m, const char *c, const char *id)
{
  for (size_t i = 0; i < m->now.n; i++)
    if (strcmp(m->now.r[i].collection, c) == 0 &&
        strcmp(m->now.r[i].id, id) == 0)
      return &m->now.r[i];
  return NULL;
}

static int mem_begin(void *be, struct sb_err *err)
{
  struct mem *m = be;
  (void)err;
  CHECK(!m->in_tx);
  rows_copy(&m->saved, &m->now);
  m->in_tx = true;
  m->begins++;
  return 0;
}

static void mem_rollback(void *be)
{
  struct mem *m = be;
  if (!m->in_tx)
    return;
  rows_free(&m->now);
  m->now = m->saved;
  memset(&m->saved, 0, sizeof(m->saved));
  m->in_tx = false;
  m->rollbacks++;
}

static int mem_commit(void *be, struct sb_err *err)
{
  struct mem *m = be;
  CHECK(m->in_tx);
  if (m->fail_commits > 0) {
    m->fail_commits--;
    mem_rollback(m);
    return sb_err_set(err, SB_EBUSY, "commit refused by the test");
  }
  rows_free(&m->saved);
  m->in_tx = false;
  m->commits++;
  return 0;
}

static int mem_load(void *be, const char *collection, const char *id,
                    char **text, size_t *len, uint64_t *seq, struct sb_err *err)
{
  struct mem_row *r = mem_find(be, collection, id);
  *text = NULL;
  if (r == NULL)
    return sb_err_set(err, SB_ENOTFOUND, "%s/%s not found", collection, id);
  *text = dup(r->text);
  *len = strlen(r->text);
  *seq = r->seq;
  return 0;
}

static int mem_save(void *be, const struct record *rec, const char *text,
                    size_t len, uint64_t newest_ts, uint64_t *seq,
                    struct sb_err *err)
{
  struct mem *m = be;
  struct mem_row *r = mem_find(m, rec->collection, rec->id);

  (void)err;
  CHECK(m->in_tx);
  CHECK(strlen(text) == len);
  if (r == NULL) {
    struct mem_row *grown =
        realloc(m->now.r, (m->now.n + 1) * sizeof(*m->now.r));
    CHECK(grown != NULL);
    m->now.r = grown;
    r = &m->now.r[m->now.n++];
    r->collection = dup(rec->collection);
    r->id = dup(rec->id);
    r->text = NULL;
  }
  free(r->text);
  r->text = dup(text);
  r->seq = ++m->now.last_seq;
  *seq = r->seq;
  if (newest_ts > m->newest)
    m->newest = newest_ts;
  return 0;
}

static int mem_last_seq(void *be, uint64_t *seq, struct sb_err *err)
{
  struct mem *m = be;
  (void)err;
  *seq = m->now.last_seq;
  return 0;
}

/* The feed: every row once, at its latest seq, in seq order. */
static int mem_feed(void *be, uint64_t since, unsigned limit, store_text_fn fn,
                    void *ctx, struct sb_err *err)
{
  struct mem *m = be;
  (void)err;
  for (uint64_t q = since + 1; q <= m->now.last_seq && limit > 0; q++) {
    for (size_t i = 0; i < m->now.n; i++) {
      const struct mem_row *r = &m->now.r[i];
      if (r->seq != q)
        continue;
      int rc = fn(r->collection, r->id, r->seq, r->text, strlen(r->text), ctx);
      if (rc != 0)
        return rc;
      limit--;
    }
  }
  return 0;
}

/* Only what the push policy may use: the rest stays NULL, so a call of
 * anything else crashes the test. */
static const struct hub_store_ops mem_ops = {
    .name = "memory",
    .begin = mem_begin,
    .commit = mem_commit,
    .rollback = mem_rollback,
    .load = mem_load,
    .save = mem_save,
    .feed = mem_feed,
    .last_seq = mem_last_seq,
};

static void mem_free(struct mem *m)
{
  CHECK(!m->in_tx);
  rows_free(&m->now);
  rows_free(&m->saved);
}

/* --- helpers ----------------------------------------------------------- */

/* A record written by replica at ts with the JSON object fields. */
static void make(struct record *r, const char *coll, const char *id,
                 const char *replica, uint64_t ts, const char *fields)
{
  cJSON *j = cJSON_Parse(fields);
  CHECK(j != NULL);
  record_init(r, coll, id);
  CHECK_INT(record_put(r, replica, ts, j, NULL), ==, 0);
  cJSON_Delete(j);
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

/* Runs one batch alone through the policy; its rc. */
static int push1(struct mem *m, const struct schema *schema,
                 struct hub_push_batch *b)
{
  CHECK_INT(hub_push_group(&mem_ops, m, schema, &b, 1), ==, 0);
  CHECK(!m->in_tx);
  return b->rc;
}

struct feed_seen {
  char keys[16][64];
  uint64_t seqs[16];
  size_t n;
};

static int feed_note(const char *c, const char *id, uint64_t seq,
                     const char *text, size_t len, void *ctx)
{
  struct feed_seen *f = ctx;
  (void)text;
  (void)len;
  CHECK(f->n < 16);
  snprintf(f->keys[f->n], sizeof(f->keys[f->n]), "%s/%s", c, id);
  f->seqs[f->n++] = seq;
  return 0;
}

static void feed_of(struct mem *m, struct feed_seen *f)
{
  memset(f, 0, sizeof(*f));
  CHECK_INT(mem_ops.feed(m, 0, 16, feed_note, f, NULL), ==, 0);
}

/* --- tests ------------------------------------------------------------- */

TEST(forged_dot_is_refused_per_record)
{
  struct mem m = {0};
  struct record r[3];
  struct hub_push_batch b;

  make(&r[0], "notes", "good", A, TS, "{\"t\":1}");
  make(&r[1], "notes", "forged", B, TS, "{\"t\":1}");
  make(&r[2], "notes", "late", A, TS, "{\"t\":1}");
  /* A pushes a write of B the hub never saw: that record is refused, the
   * others are stored. */
  b = batch_of(A, r, 3);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK_INT(b.reply.n, ==, 3);
  CHECK(b.reply.res[0].ok && !b.reply.res[1].ok && b.reply.res[2].ok);
  CHECK_STR(b.reply.res[1].code, "forged_dot");
  CHECK(strstr(b.reply.res[1].message, "notes/forged") != NULL);
  CHECK(strstr(b.reply.res[1].message, B) != NULL);
  CHECK_INT(b.stats.refused_forged_dot, ==, 1);
  CHECK_INT(b.stats.stored, ==, 2);
  CHECK_INT(m.now.n, ==, 2);

  /* B itself may push it; then A's whole batch is fine. */
  push_reply_release(&b.reply);
  b = batch_of(B, &r[1], 1);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK(b.reply.res[0].ok);
  push_reply_release(&b.reply);
  b = batch_of(A, r, 3);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK(b.reply.res[0].ok && b.reply.res[1].ok && b.reply.res[2].ok);
  CHECK_INT(b.stats.unchanged, ==, 3);
  CHECK_INT(m.now.n, ==, 3);

  push_reply_release(&b.reply);
  for (size_t i = 0; i < 3; i++)
    record_release(&r[i]);
  mem_free(&m);
}

TEST(forged_record_in_a_group_spares_the_others)
{
  struct mem m = {0};
  struct record r[3];
  struct hub_push_batch b[3], *bp[3] = {&b[0], &b[1], &b[2]};

  make(&r[0], "notes", "n1", A, TS, "{\"t\":1}");
  make(&r[1], "notes", "forged", A, TS, "{\"t\":1}");
  make(&r[2], "notes", "n2", B, TS, "{\"t\":2}");
  b[0] = batch_of(A, &r[0], 1);
  b[1] = batch_of(B, &r[1], 1); /* B claims A's write */
  b[2] = batch_of(B, &r[2], 1);
  CHECK_INT(hub_push_group(&mem_ops, &m, NULL, bp, 3), ==, 0);
  CHECK(!m.in_tx);
  CHECK_INT(b[0].rc, ==, 0);
  CHECK_INT(b[1].rc, ==, 0);
  CHECK_INT(b[1].reply.n, ==, 1);
  CHECK(!b[1].reply.res[0].ok);
  CHECK_STR(b[1].reply.res[0].code, "forged_dot");
  CHECK_INT(b[2].rc, ==, 0);
  /* One commit for the group; seqs in order, none for the refused one. */
  CHECK_INT(m.commits, ==, 1);
  CHECK_INT(b[0].reply.res[0].seq, ==, 1);
  CHECK_INT(b[2].reply.res[0].seq, ==, 2);
  CHECK_INT(b[0].reply.last_seq, ==, 2);
  CHECK_INT(b[2].reply.last_seq, ==, 2);
  CHECK_INT(m.now.n, ==, 2);

  for (size_t i = 0; i < 3; i++) {
    push_reply_release(&b[i].reply);
    record_release(&r[i]);
  }
  mem_free(&m);
}

TEST(future_timestamp_is_refused_per_record)
{
  struct mem m = {0};
  struct record r[3];
  struct hub_push_batch b;

  make(&r[0], "notes", "now", A, TS, "{\"t\":1}");
  make(&r[1], "notes", "later", A, MAX_TS + 1, "{\"t\":1}");
  make(&r[2], "notes", "also_now", A, TS + 7, "{\"t\":1}");
  b = batch_of(A, r, 3);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK_INT(b.reply.n, ==, 3);
  CHECK(b.reply.res[0].ok);
  CHECK(!b.reply.res[1].ok);
  CHECK_STR(b.reply.res[1].code, proto_err_name(PROTO_ERR_FUTURE_TIMESTAMP));
  CHECK(strstr(b.reply.res[1].message, "notes/later: ") ==
        b.reply.res[1].message);
  CHECK_INT(b.reply.res[1].seq, ==, 0);
  CHECK(b.reply.res[2].ok);
  CHECK_INT(b.stats.refused_future, ==, 1);
  CHECK_INT(b.stats.stored, ==, 2);
  CHECK_INT(m.now.n, ==, 2);
  CHECK(mem_find(&m, "notes", "later") == NULL);
  /* The hub's clock heard of the newest accepted timestamp. */
  CHECK_INT(m.newest, ==, TS + 7);
  /* A delete from the future too. */
  push_reply_release(&b.reply);
  CHECK_INT(record_delete(&r[0], A, MAX_TS + 5), ==, 0);
  b = batch_of(A, r, 1);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK_STR(b.reply.res[0].code, proto_err_name(PROTO_ERR_FUTURE_TIMESTAMP));
  CHECK(strstr(b.reply.res[0].message, "delete") != NULL);

  push_reply_release(&b.reply);
  for (size_t i = 0; i < 3; i++)
    record_release(&r[i]);
  mem_free(&m);
}

TEST(refusals_and_accepted_records_mix_in_one_batch)
{
  struct mem m = {0};
  struct schema *schema = NULL;
  struct record r[5];
  struct hub_push_batch b;
  char *big;
  size_t bigsz = SB_RECORD_MAX + 16;

  CHECK_INT(schema_parse(schema_default_text, &schema, NULL), ==, 0);
  make(&r[0], "visit", "v1", A, TS,
       "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
       "\"programme\":\"skills-cooking\"}");
  make(&r[1], "visit", "v2", A, TS,
       "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
       "\"programme\":\"knitting\"}");
  make(&r[2], "notes", "future", A, MAX_TS + 1, "{\"t\":1}");
  big = malloc(bigsz);
  CHECK(big != NULL);
  memset(big, 'x', bigsz);
  memcpy(big, "{\"t\":\"", 6);
  memcpy(big + bigsz - 3, "\"}", 3);
  make(&r[3], "notes", "big", A, TS, big);
  free(big);
  make(&r[4], "anything", "x", A, TS, "{\"whatever\":[1,2]}");
  b = batch_of(A, r, 5);
  CHECK_INT(push1(&m, schema, &b), ==, 0);
  CHECK_INT(b.reply.n, ==, 5);
  CHECK(b.reply.res[0].ok);
  CHECK_INT(b.reply.res[0].seq, ==, 1);
  CHECK_STR(b.reply.res[1].code, proto_err_name(PROTO_ERR_SCHEMA));
  CHECK_STR(b.reply.res[2].code, proto_err_name(PROTO_ERR_FUTURE_TIMESTAMP));
  CHECK_STR(b.reply.res[3].code, proto_err_name(PROTO_ERR_TOO_LARGE));
  CHECK(b.reply.res[4].ok);
  CHECK_INT(b.reply.res[4].seq, ==, 2);
  CHECK_INT(b.reply.last_seq, ==, 2);
  CHECK_INT(b.stats.stored, ==, 2);
  CHECK_INT(b.stats.refused_schema, ==, 1);
  CHECK_INT(b.stats.refused_future, ==, 1);
  CHECK_INT(b.stats.refused_too_large, ==, 1);
  CHECK_INT(m.now.n, ==, 2);
  CHECK_INT(m.commits, ==, 1);

  push_reply_release(&b.reply);
  for (size_t i = 0; i < 5; i++)
    record_release(&r[i]);
  schema_free(schema);
  mem_free(&m);
}

TEST(repush_is_idempotent)
{
  struct mem m = {0};
  struct record r[2];
  struct hub_push_batch b;
  struct feed_seen f;

  make(&r[0], "notes", "n1", A, TS, "{\"t\":1}");
  make(&r[1], "notes", "n2", A, TS, "{\"t\":2}");
  b = batch_of(A, r, 2);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK_INT(b.stats.stored, ==, 2);
  push_reply_release(&b.reply);

  /* Again, in the other order: the old seqs, no new one, nothing saved. */
  {
    struct record swapped[2] = {r[1], r[0]};
    b = batch_of(A, swapped, 2);
    CHECK_INT(push1(&m, NULL, &b), ==, 0);
  }
  CHECK(b.reply.res[0].ok && b.reply.res[1].ok);
  CHECK_INT(b.reply.res[0].seq, ==, 2);
  CHECK_INT(b.reply.res[1].seq, ==, 1);
  CHECK_INT(b.stats.stored, ==, 0);
  CHECK_INT(b.stats.unchanged, ==, 2);
  CHECK_INT(b.reply.last_seq, ==, 2);
  CHECK_INT(m.now.last_seq, ==, 2);
  feed_of(&m, &f);
  CHECK_INT(f.n, ==, 2);

  push_reply_release(&b.reply);
  record_release(&r[0]);
  record_release(&r[1]);
  mem_free(&m);
}

TEST(feed_lists_each_record_at_its_latest_seq)
{
  struct mem m = {0};
  struct record r[3];
  struct hub_push_batch b;
  struct feed_seen f;
  cJSON *j;

  make(&r[0], "notes", "n1", A, TS, "{\"t\":1}");
  make(&r[1], "notes", "n2", A, TS, "{\"t\":2}");
  make(&r[2], "notes", "n3", A, TS, "{\"t\":3}");
  b = batch_of(A, r, 3);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  for (size_t i = 0; i < 3; i++)
    CHECK_INT(b.reply.res[i].seq, ==, i + 1);
  push_reply_release(&b.reply);

  /* B edits n1 concurrently with A: n1 moves to the end of the feed and
   * becomes conflicted. */
  record_release(&r[1]);
  make(&r[1], "notes", "n1", B, TS + 1, "{\"t\":9}");
  b = batch_of(B, &r[1], 1);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK_INT(b.reply.res[0].seq, ==, 4);
  CHECK_INT(b.stats.conflicts, ==, 1);
  push_reply_release(&b.reply);
  /* A edits it again, having seen B: n1 at 5, no new conflict. */
  j = cJSON_Parse("{\"u\":1}");
  CHECK_INT(record_merge(&r[0], &r[1]), ==, 0);
  CHECK_INT(record_put(&r[0], A, TS + 2, j, NULL), ==, 0);
  cJSON_Delete(j);
  b = batch_of(A, &r[0], 1);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK_INT(b.reply.res[0].seq, ==, 5);
  CHECK_INT(b.stats.conflicts, ==, 0);
  push_reply_release(&b.reply);

  feed_of(&m, &f);
  CHECK_INT(f.n, ==, 3);
  CHECK_STR(f.keys[0], "notes/n2");
  CHECK_INT(f.seqs[0], ==, 2);
  CHECK_STR(f.keys[1], "notes/n3");
  CHECK_INT(f.seqs[1], ==, 3);
  CHECK_STR(f.keys[2], "notes/n1");
  CHECK_INT(f.seqs[2], ==, 5);

  for (size_t i = 0; i < 3; i++)
    record_release(&r[i]);
  mem_free(&m);
}

TEST(group_that_cannot_commit_runs_batch_by_batch)
{
  struct mem m = {0};
  struct record r[2];
  struct hub_push_batch b[2], *bp[2] = {&b[0], &b[1]};

  make(&r[0], "notes", "n1", A, TS, "{\"t\":1}");
  make(&r[1], "notes", "n2", B, TS, "{\"t\":2}");
  b[0] = batch_of(A, &r[0], 1);
  b[1] = batch_of(B, &r[1], 1);
  m.fail_commits = 2; /* the group's, then the first batch's alone */
  CHECK_INT(hub_push_group(&mem_ops, &m, NULL, bp, 2), ==, 0);
  CHECK(!m.in_tx);
  CHECK_INT(b[0].rc, ==, SB_EBUSY);
  CHECK_INT(b[0].reply.n, ==, 0);
  CHECK_INT(b[1].rc, ==, 0);
  CHECK_INT(b[1].reply.res[0].seq, ==, 1);
  CHECK_INT(b[1].reply.last_seq, ==, 1);
  CHECK_INT(m.now.n, ==, 1);

  for (size_t i = 0; i < 2; i++) {
    push_reply_release(&b[i].reply);
    record_release(&r[i]);
  }
  mem_free(&m);
}
