/*
 * test_hub_push.c - the hub's push policy (hub_push.c) on a second,
 * in-memory implementation of the store's method table (hub_mem.c, plain
 * arrays, no SQLite): proof that the policy needs nothing but the
 * primitives of struct hub_store_ops.
 */
#include "hub_mem.h"

#include "check_record.h"

#include "hlc.h"
#include "hub_push_chain.h"

#include <inttypes.h>

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
  CHECK_INT(mem_ops.feed(m, 0, 16, 0, NULL, feed_note, f, NULL), ==, 0);
}

/* A visit of beneficiary b1 on 2026-11-20 in programme, by A at TS. */
static void make_visit(struct record *r, const char *id, const char *programme)
{
  char fields[160];

  snprintf(fields, sizeof(fields),
           "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
           "\"programme\":\"%s\"}",
           programme);
  make(r, "visit", id, A, TS, fields);
}

/* The end of a push test: b's reply, the n records r, the schema (or
 * NULL) and the store. */
static void push_test_end(struct hub_push_batch *b, struct record *r, size_t n,
                          struct schema *schema, struct mem *m)
{
  push_reply_release(&b->reply);
  for (size_t i = 0; i < n; i++)
    record_release(&r[i]);
  schema_free(schema);
  mem_free(m);
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

  push_test_end(&b, r, 3, NULL, &m);
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

  push_test_end(&b, r, 3, NULL, &m);
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
  make_visit(&r[0], "v1", "skills-cooking");
  make_visit(&r[1], "v2", "knitting");
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

  push_test_end(&b, r, 5, schema, &m);
}

/* Prepared on the pool (hub_push_prepare): the same outcomes, and a
 * record with a bad value still gets the writer's schema check. */
TEST(prepared_batch_gets_the_same_outcomes)
{
  struct mem m = {0};
  struct schema *schema = NULL;
  struct record r[3];
  struct hub_push_batch b;

  CHECK_INT(schema_parse(schema_default_text, &schema, NULL), ==, 0);
  make_visit(&r[0], "v1", "skills-cooking");
  make_visit(&r[1], "v2", "knitting");
  make(&r[2], "notes", "n", A, TS, "{\"t\":1}");
  b = batch_of(A, r, 3);
  CHECK_INT(hub_push_prepare(schema, &b), ==, 0);
  CHECK(b.sent != NULL && b.values_ok != NULL);
  CHECK(b.values_ok[0] && !b.values_ok[1] && b.values_ok[2]);
  CHECK_INT(push1(&m, schema, &b), ==, 0);
  CHECK_INT(b.reply.n, ==, 3);
  CHECK(b.reply.res[0].ok);
  CHECK_STR(b.reply.res[1].code, proto_err_name(PROTO_ERR_SCHEMA));
  CHECK(b.reply.res[2].ok);
  CHECK_INT(b.stats.stored, ==, 2);
  CHECK_INT(b.stats.refused_schema, ==, 1);
  hub_push_prepared_release(&b);
  CHECK(b.sent == NULL && b.values_ok == NULL);

  push_test_end(&b, r, 3, schema, &m);
}

/* A backend behind a network is told in one hint which records a push
 * will load: its records and those they follow (a visit's scope check
 * loads its beneficiary), whether or not the hub holds them. */
TEST(prefetch_names_the_records_and_those_they_follow)
{
  struct mem m = {0};
  struct schema *schema = NULL;
  struct record r[3];
  struct hub_push_batch b;

  CHECK_INT(schema_parse(schema_default_text, &schema, NULL), ==, 0);
  make_visit(&r[0], "v1", "skills-cooking");
  make(&r[1], "beneficiary", "b2", A, TS,
       "{\"consent\":true,\"name\":\"Ani\",\"kecamatan\":\"Setu\"}");
  make(&r[2], "notes", "n", A, TS, "{\"t\":1}");
  b = batch_of(A, r, 3);
  CHECK_INT(push1(&m, schema, &b), ==, 0);
  CHECK_STR(m.prefetched.p, "visit/v1 beneficiary/b1 beneficiary/b2 notes/n ");

  push_test_end(&b, r, 3, schema, &m);
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
  /* Stored as pushed: each result says its feed entry is A's echo. */
  CHECK(b.reply.res[0].echo && b.reply.res[1].echo);
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
  /* Nothing stored, and the answer is the first one's: the hub holds
   * exactly what was sent (a push again after a lost reply). */
  CHECK(b.reply.res[0].echo && b.reply.res[1].echo);
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

/* A push merged with a state the pusher lacks stores something else than
 * it sent: its result claims no echo, nor does a push of a state the hub
 * holds more than; a state the hub's merge leaves as pushed does. */
TEST(echo_only_for_states_stored_as_pushed)
{
  struct mem m = {0};
  struct record a, b2;
  struct hub_push_batch b;

  make(&a, "notes", "n1", A, TS, "{\"t\":1}");
  b = batch_of(A, &a, 1);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK(b.reply.res[0].ok && b.reply.res[0].echo);
  push_reply_release(&b.reply);
  /* B's concurrent write: the hub keeps both, B sent only its own. */
  make(&b2, "notes", "n1", B, TS + 1, "{\"t\":2}");
  b = batch_of(B, &b2, 1);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK(b.reply.res[0].ok);
  CHECK_INT(b.reply.res[0].seq, ==, 2);
  CHECK(!b.reply.res[0].echo);
  push_reply_release(&b.reply);
  /* A's state again: nothing new for the hub, which holds more than A
   * sent: no echo either. */
  b = batch_of(A, &a, 1);
  CHECK_INT(push1(&m, NULL, &b), ==, 0);
  CHECK(b.reply.res[0].ok);
  CHECK_INT(b.reply.res[0].seq, ==, 2);
  CHECK_INT(b.stats.unchanged, ==, 1);
  CHECK(!b.reply.res[0].echo);
  push_reply_release(&b.reply);
  record_release(&a);
  record_release(&b2);
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

/* --- a push may add only the pusher's own writes ----------------------- */

/* The hub's state of notes/id, decoded into r. */
static void hub_rec(struct mem *m, const char *id, struct record *r)
{
  struct mem_row *row = mem_find(m, "notes", id);
  CHECK(row != NULL);
  record_init(r, "notes", id);
  CHECK_INT(record_decode(r, row->text, strlen(row->text), NULL), ==, 0);
}

/* The hub's state text of notes/id, malloc'd. */
static char *hub_text(struct mem *m, const char *id)
{
  struct mem_row *row = mem_find(m, "notes", id);
  CHECK(row != NULL);
  return strdup(row->text);
}

/* out = from's encoding with the first `old` replaced by `new`. */
static void rewrite(struct record *out, const struct record *from,
                    const char *old, const char *new)
{
  char *text = record_encode(from), *at, *edited;
  size_t n;

  CHECK(text != NULL);
  at = strstr(text, old);
  CHECK(at != NULL);
  n = strlen(text) - strlen(old) + strlen(new) + 1;
  edited = malloc(n);
  CHECK(edited != NULL);
  snprintf(edited, n, "%.*s%s%s", (int)(at - text), text, new,
           at + strlen(old));
  record_init(out, from->collection, from->id);
  CHECK_INT(record_decode(out, edited, strlen(edited), NULL), ==, 0);
  free(edited);
  free(text);
}

/*
 * Pushes r alone as pusher. Returns its result's code ("" if stored or
 * unchanged) in a static buffer; a refused record must change nothing.
 */
/* The message of push_as's last refusal ("" if it was accepted). */
static char refused_why[SB_ERR_MSG_MAX];

static const char *push_as(struct mem *m, const char *pusher, struct record *r)
{
  static char code[PROTO_ERR_NAME_MAX + 1];
  struct hub_push_batch b = batch_of(pusher, r, 1);
  struct mem_row *row = mem_find(m, r->collection, r->id);
  char *before = row != NULL ? strdup(row->text) : NULL;
  uint64_t last = m->now.last_seq;

  CHECK_INT(push1(m, NULL, &b), ==, 0);
  CHECK_INT(b.reply.n, ==, 1);
  snprintf(code, sizeof(code), "%s", b.reply.res[0].code);
  snprintf(refused_why, sizeof(refused_why), "%s",
           b.reply.res[0].ok ? "" : b.reply.res[0].message);
  if (!b.reply.res[0].ok) {
    row = mem_find(m, r->collection, r->id);
    CHECK(code[0] != '\0');
    CHECK_INT(m->now.last_seq, ==, last);
    CHECK((row == NULL) == (before == NULL));
    if (before != NULL)
      CHECK_STR(row->text, before);
    CHECK(strstr(b.reply.res[0].message, r->id) != NULL);
    CHECK_INT(b.stats.refused_forged_entry + b.stats.refused_dot_reused +
                  b.stats.refused_forged_dot,
              ==,
              strcmp(code, "forged_entry") == 0 ||
                      strcmp(code, "dot_reused") == 0 ||
                      strcmp(code, "forged_dot") == 0
                  ? 1
                  : 0);
  }
  free(before);
  push_reply_release(&b.reply);
  return code;
}

/* B's write of notes/b1 on the hub: kecamatan and name. */
static void victim(struct mem *m, struct record *mine)
{
  make(mine, "notes", "b1", B, TS,
       "{\"kecamatan\":\"Pamulang\",\"name\":\"Sari\"}");
  CHECK_STR(push_as(m, B, mine), "");
}

TEST(rewriting_another_replicas_entry_is_refused)
{
  struct mem m = {0};
  struct record mine, hub, forged;
  char *before;

  victim(&m, &mine);
  hub_rec(&m, "b1", &hub);
  before = hub_text(&m, "b1");
  /* The attack of issue 9: B's dot again, ts 0, a new value. */
  rewrite(&forged, &hub, "\"ts\":1714550400000000,\"value\":\"Pamulang\"",
          "\"ts\":0,\"value\":\"Setu\"");
  CHECK_STR(push_as(&m, A, &forged), "dot_reused");
  /* Another replica's dot: a forgery, not a copied store. */
  CHECK(strstr(refused_why, "it cannot be reused") != NULL);
  CHECK(strstr(refused_why, "two stores") == NULL);
  /* The same with B's timestamp kept, and with only the timestamp moved. */
  record_release(&forged);
  rewrite(&forged, &hub, "\"Pamulang\"", "\"Setu\"");
  CHECK_STR(push_as(&m, A, &forged), "dot_reused");
  record_release(&forged);
  rewrite(&forged, &hub, "\"ts\":1714550400000000,\"value\":\"Pamulang\"",
          "\"ts\":1,\"value\":\"Pamulang\"");
  CHECK_STR(push_as(&m, A, &forged), "dot_reused");
  /* ...or B's write turned into a delete of the same dot. */
  record_release(&forged);
  record_init(&forged, "notes", "b1");
  CHECK_INT(record_delete(&forged, B, TS), ==, 0); /* dot [B,1] */
  CHECK_STR(push_as(&m, A, &forged), "dot_reused");
  {
    char *after = hub_text(&m, "b1");
    CHECK_STR(after, before);
    free(after);
  }
  free(before);
  record_release(&forged);
  record_release(&hub);
  record_release(&mine);
  mem_free(&m);
}

TEST(wiping_another_replicas_record_is_refused)
{
  struct mem m = {0};
  struct record mine, hub, forged;

  victim(&m, &mine);
  hub_rec(&m, "b1", &hub);
  /* The victim's vv, no fields, no tombstone, no dot of A's. */
  record_init(&forged, "notes", "b1");
  CHECK_INT(vv_copy(&forged.vv, &hub.vv), ==, 0);
  CHECK_STR(push_as(&m, A, &forged), "forged_entry");
  /* An own vv entry with nothing of it held explains nothing. */
  CHECK_INT(vv_set(&forged.vv, A, 3), ==, 0);
  CHECK_STR(push_as(&m, A, &forged), "forged_entry");
  record_release(&forged);
  /* The partial variant: one field erased. */
  rewrite(&forged, &hub,
          ",\"name\":[{\"dot\":[\"" B
          "\",1],\"ts\":1714550400000000,\"value\":\"Sari\"}]",
          "");
  CHECK(record_field(&forged, "name") == NULL);
  CHECK_STR(push_as(&m, A, &forged), "forged_entry");
  /* An own write on another field does not explain it either. */
  check_put(&forged, A, TS + 1, "{\"note\":\"visited\"}");
  CHECK_STR(push_as(&m, A, &forged), "forged_entry");
  record_release(&forged);
  /* A tombstone of B dropped without a write of A's. */
  CHECK_INT(record_copy(&forged, &mine), ==, 0);
  CHECK_INT(record_delete(&forged, B, TS + 2), ==, 0);
  CHECK_STR(push_as(&m, B, &forged), "");
  record_release(&hub);
  hub_rec(&m, "b1", &hub);
  record_release(&forged);
  record_init(&forged, "notes", "b1");
  CHECK_INT(vv_copy(&forged.vv, &hub.vv), ==, 0);
  CHECK_STR(push_as(&m, A, &forged), "forged_entry");
  record_release(&forged);
  record_release(&hub);
  record_release(&mine);
  mem_free(&m);
}

TEST(reusing_an_own_dot_is_refused)
{
  struct mem m = {0};
  struct record r, again;

  make(&r, "notes", "n1", A, TS, "{\"t\":1,\"u\":2}");
  CHECK_STR(push_as(&m, A, &r), "");
  CHECK_STR(push_as(&m, A, &r), ""); /* the same again: idempotent */
  make(&again, "notes", "n1", A, TS, "{\"t\":7,\"u\":2}");
  CHECK_STR(push_as(&m, A, &again), "dot_reused");
  /* Only a copy of A's store (or an older one put back) makes this:
   * the message says so, for the office to enrol each store apart. */
  CHECK(strstr(refused_why, "this device's own write") != NULL);
  CHECK(strstr(refused_why, "two stores write as this device") != NULL);
  record_release(&again);
  make(&again, "notes", "n1", A, TS + 1, "{\"t\":1,\"u\":2}");
  CHECK_STR(push_as(&m, A, &again), "dot_reused");
  record_release(&again);
  /* A new write of A's whose fields disagree on their timestamp. */
  make(&again, "notes", "n2", A, TS, "{\"t\":1,\"u\":2}");
  {
    struct record odd;
    rewrite(&odd, &again, "\"ts\":1714550400000000,\"value\":2",
            "\"ts\":1714550400000001,\"value\":2");
    CHECK_STR(push_as(&m, A, &odd), "dot_reused");
    record_release(&odd);
  }
  record_release(&again);
  record_release(&r);
  mem_free(&m);
}

/* Three chain values (hub_push_chain.h): 32 hex digits each. */
#define X1 "11111111111111111111111111111111"
#define X2 "22222222222222222222222222222222"
#define Y2 "99999999999999999999999999999999"

/* Pushes r as A with the chain "prev next" (prev "" for none); the
 * batch's outcome: "copied", "ok" or the first refusal's code. */
static const char *push_chained_at(struct mem *m, struct record *r,
                                   const char *prev, const char *next,
                                   uint64_t since, bool *behind)
{
  static char out[32];
  struct hub_push_batch b = batch_of(A, r, 1);

  b.has_chain = true;
  b.chain.since = since;
  snprintf(b.chain.prev, sizeof(b.chain.prev), "%s", prev);
  snprintf(b.chain.next, sizeof(b.chain.next), "%s", next);
  CHECK_INT(push1(m, NULL, &b), ==, 0);
  if (b.copied) {
    CHECK_INT(b.reply.n, ==, 0); /* refused whole: no result */
    snprintf(out, sizeof(out), "copied");
  } else {
    CHECK_INT(b.reply.n, ==, 1);
    snprintf(out, sizeof(out), "%s",
             b.reply.res[0].ok ? "ok" : b.reply.res[0].code);
  }
  if (behind != NULL)
    *behind = b.chain_behind;
  push_reply_release(&b.reply);
  return out;
}

/* push_chained_at with a cursor within the hub's feed. */
static const char *push_chained(struct mem *m, struct record *r,
                                const char *prev, const char *next)
{
  return push_chained_at(m, r, prev, next, 0, NULL);
}

/* The hub's chain for A, "" if none. */
static const char *chain_of(struct mem *m)
{
  static char out[64];
  char *v = NULL;

  CHECK_INT(
      hub_store_meta_maybe(&mem_held_ops, m, HUB_CHAIN_PREFIX A, &v, NULL), ==,
      0);
  snprintf(out, sizeof(out), "%s", v != NULL ? v : "");
  free(v);
  return out;
}

TEST(push_chain_takes_one_store_per_device)
{
  struct mem m = {.ops = &mem_held_ops};
  struct record r1, r2, copy;
  struct hub_push_batch plain;
  char *before;

  make(&r1, "notes", "n1", A, TS, "{\"t\":1}");
  make(&r2, "notes", "n2", A, TS + 1, "{\"t\":2}");
  /* A device's first push: the hub holds no chain, and takes it. */
  CHECK_STR(push_chained(&m, &r1, "", X1), "ok");
  CHECK_STR(chain_of(&m), X1);
  /* A retry (its reply was lost), or another request of the same sync. */
  CHECK_STR(push_chained(&m, &r2, "", X1), "ok");
  CHECK_STR(chain_of(&m), X1);
  /* The next sync of the same store. */
  CHECK_STR(push_chained(&m, &r1, X1, X2), "ok");
  CHECK_STR(chain_of(&m), X2);

  /* A copy left at X1 (or with none) draws its own next: refused whole,
   * before any record is looked at, the chain and the records kept. */
  before = strdup(mem_find(&m, "notes", "n1")->text);
  CHECK(before != NULL);
  make(&copy, "notes", "n1", A, TS + 5, "{\"t\":9}");
  CHECK_STR(push_chained(&m, &copy, X1, Y2), "copied");
  CHECK_STR(push_chained(&m, &copy, "", Y2), "copied");
  CHECK_STR(chain_of(&m), X2);
  CHECK_STR(mem_find(&m, "notes", "n1")->text, before);
  free(before);
  /* The store the hub follows goes on. */
  CHECK_STR(push_chained(&m, &r2, X1, X2), "ok");

  /* A device too old to send a chain is taken as before. */
  plain = batch_of(A, &r2, 1);
  CHECK_INT(push1(&m, NULL, &plain), ==, 0);
  CHECK(!plain.copied && plain.reply.n == 1 && plain.reply.res[0].ok);
  push_reply_release(&plain.reply);

  /* A cursor past the feed: the hub's store went back behind the device
   * (put back from a copy), its chain with it; the device's is followed.
   * A cursor at the feed's end is one a copy may hold: refused. */
  {
    bool behind = false;
    uint64_t last = 0;
    CHECK_INT(mem_held_ops.last_seq(&m, &last, NULL), ==, 0);
    CHECK_STR(push_chained_at(&m, &r1, X1, Y2, last, &behind), "copied");
    CHECK(!behind);
    CHECK_STR(push_chained_at(&m, &r1, X1, Y2, last + 1, &behind), "ok");
    CHECK(behind);
    CHECK_STR(chain_of(&m), Y2);
    CHECK_STR(push_chained(&m, &r1, X1, X2), "copied");
  }

  /* Forgotten (a rotated token, a hub put back): the next push is taken
   * whatever it carries, and sets the chain. */
  CHECK_INT(hub_push_chain_forget(&mem_held_ops, &m, A, NULL), ==, 0);
  CHECK_STR(chain_of(&m), "");
  CHECK_STR(push_chained(&m, &r2, X1, X2), "ok");
  CHECK_STR(chain_of(&m), X2);
  CHECK_INT(hub_push_chain_forget(&mem_held_ops, &m, NULL, NULL), ==, 0);
  CHECK_STR(chain_of(&m), "");

  record_release(&copy);
  record_release(&r1);
  record_release(&r2);
  mem_free(&m);
}

TEST(own_writes_and_faithful_copies_are_accepted)
{
  struct mem m = {0};
  struct record mine, hub, a, stale, b2;
  char *text;

  victim(&m, &mine);
  hub_rec(&m, "b1", &hub);
  /* A carries B's entries exactly as the hub holds them. */
  CHECK_STR(push_as(&m, A, &hub), "");
  /* ...next to a write of its own on another field. */
  CHECK_INT(record_copy(&a, &hub), ==, 0);
  check_put(&a, A, TS + 1, "{\"note\":\"visited\"}");
  CHECK_STR(push_as(&m, A, &a), "");
  /* A write of A's on a field B wrote supersedes B's entry. */
  check_put(&a, A, TS + 2, "{\"kecamatan\":\"Setu\"}");
  CHECK_STR(push_as(&m, A, &a), "");
  CHECK_STR(push_as(&m, A, &a), ""); /* idempotent re-push */
  record_release(&hub);
  hub_rec(&m, "b1", &hub);
  text = record_encode(&hub);
  CHECK(strstr(text, "Setu") != NULL && strstr(text, "Pamulang") == NULL);
  free(text);
  /* A state that merged an older state the hub has since superseded:
   * B's first write of name carried, B's newer write not seen. */
  CHECK_INT(record_copy(&stale, &a), ==, 0);
  CHECK_INT(record_copy(&b2, &hub), ==, 0);
  check_put(&b2, B, TS + 3, "{\"name\":\"Sari W.\"}");
  CHECK_STR(push_as(&m, B, &b2), "");
  check_put(&stale, A, TS + 4, "{\"phone\":\"0812\"}");
  CHECK_STR(push_as(&m, A, &stale), "");
  record_release(&hub);
  hub_rec(&m, "b1", &hub);
  CHECK_STR(record_field_winner(record_field(&hub, "name"))->value,
            "\"Sari W.\"");
  CHECK(record_field(&hub, "phone") != NULL);
  /* A delete of A's drops everything it saw. */
  record_release(&a);
  CHECK_INT(record_copy(&a, &hub), ==, 0);
  CHECK_INT(record_delete(&a, A, TS + 5), ==, 0);
  CHECK_STR(push_as(&m, A, &a), "");
  record_release(&hub);
  hub_rec(&m, "b1", &hub);
  CHECK(record_deleted(&hub));
  /* B revives it, A deletes and writes again before pushing: its delete
   * left no tombstone, yet it explains the entries it dropped. */
  record_release(&b2);
  CHECK_INT(record_copy(&b2, &hub), ==, 0);
  check_put(&b2, B, TS + 6, "{\"kecamatan\":\"Ciputat\",\"name\":\"Sari\"}");
  CHECK_STR(push_as(&m, B, &b2), "");
  record_release(&a);
  hub_rec(&m, "b1", &a);
  CHECK_INT(record_delete(&a, A, TS + 7), ==, 0);
  check_put(&a, A, TS + 8, "{\"note\":\"moved away\"}");
  CHECK_STR(push_as(&m, A, &a), "");
  record_release(&hub);
  hub_rec(&m, "b1", &hub);
  CHECK_INT(record_nfields(&hub), ==, 1);

  record_release(&b2);
  record_release(&stale);
  record_release(&a);
  record_release(&hub);
  record_release(&mine);
  mem_free(&m);
}

/* Withdrawals (record.h) a push carries: only the pusher's own may be
 * added, and "seen" only for the pusher's own new writes. */
TEST(withdrawals_may_add_only_the_pushers_own)
{
  struct mem m = {0};
  struct record mine, hub, a, forged;

  victim(&m, &mine); /* B's write [B,1] */
  check_put(&mine, B, TS + 1, "{\"consent\":false}");
  CHECK_INT(record_withdraw(&mine, B), ==, 0); /* [B,2], seen B:2 */
  CHECK_STR(push_as(&m, B, &mine), "");
  hub_rec(&m, "b1", &hub);
  CHECK_INT(record_nwithdrawals(&hub), ==, 1);

  /* A may not make B's first write a withdrawal... */
  rewrite(&forged, &hub, "\"withdrawals\":[",
          "\"withdrawals\":[{\"dot\":[\"" B "\",1],\"seen\":{\"" B "\":1}},");
  CHECK_STR(push_as(&m, A, &forged), "forged_entry");
  record_release(&forged);
  /* ...nor say B saw it from elsewhere; its own write notes A's seen. */
  CHECK_INT(record_copy(&a, &hub), ==, 0);
  check_put(&a, A, TS + 2, "{\"note\":\"visited\"}");
  CHECK_INT(vv_get(&record_withdrawal_at(&a, 0)->seen, A), ==, 1);
  CHECK_STR(push_as(&m, A, &a), "");
  /* once held, A's seen cannot move */
  check_put(&a, A, TS + 3, "{\"note\":\"again\"}");
  rewrite(&forged, &a, "\"seen\":{\"" A "\":1,", "\"seen\":{\"" A "\":2,");
  CHECK_STR(push_as(&m, A, &forged), "forged_entry");
  record_release(&forged);

  /* B withdraws again; A claims that its first write, made before this
   * withdrawal existed, saw it. */
  record_release(&hub);
  hub_rec(&m, "b1", &hub);
  check_put(&hub, B, TS + 4, "{\"consent\":false,\"k\":1}");
  CHECK_INT(record_withdraw(&hub, B), ==, 0);
  CHECK_INT(record_nwithdrawals(&hub), ==, 2);
  CHECK_STR(push_as(&m, B, &hub), "");
  record_release(&hub);
  hub_rec(&m, "b1", &hub);
  rewrite(&forged, &hub, "\"seen\":{\"" B "\":3}",
          "\"seen\":{\"" A "\":1,\"" B "\":3}");
  CHECK_STR(push_as(&m, A, &forged), "forged_entry");
  record_release(&forged);
  /* A's own withdrawal is its to add. */
  record_release(&a);
  CHECK_INT(record_copy(&a, &hub), ==, 0);
  check_put(&a, A, TS + 5, "{\"consent\":false}");
  CHECK_INT(record_withdraw(&a, A), ==, 0);
  CHECK_STR(push_as(&m, A, &a), "");
  record_release(&hub);
  hub_rec(&m, "b1", &hub);
  CHECK_INT(record_nwithdrawals(&hub), ==, 3);

  record_release(&a);
  record_release(&hub);
  record_release(&mine);
  mem_free(&m);
}

/* Held pushes' rows (hub_push_held_rows.c): the first push group of a
 * process sweeps those past their time, and unreadable ones, and no other
 * row; a joint push ignores an unreadable row. */
TEST(held_rows_past_their_time_are_swept)
{
  struct mem m = {0};
  struct record mine, claim;
  char fresh[64], *v = NULL;

  m.ops = &mem_held_ops;
  snprintf(fresh, sizeof(fresh), "%" PRIu64 " {}", hlc_wall_ms());
  CHECK_INT(mem_held_ops.meta_set(&m, "held/notes/old/" A, "1 {}", NULL), ==,
            0);
  CHECK_INT(mem_held_ops.meta_set(&m, "held/notes/bad/" A, "garbage", NULL), ==,
            0);
  CHECK_INT(mem_held_ops.meta_set(&m, "held/notes/new/" A, fresh, NULL), ==, 0);
  CHECK_INT(mem_held_ops.meta_set(&m, "other", "1 {}", NULL), ==, 0);
  victim(&m, &mine); /* a push group: the sweep runs */
  CHECK(mem_held_ops.meta_get(&m, "held/notes/old/" A, &v, NULL) ==
        SB_ENOTFOUND);
  CHECK(mem_held_ops.meta_get(&m, "held/notes/bad/" A, &v, NULL) ==
        SB_ENOTFOUND);
  CHECK_INT(mem_held_ops.meta_get(&m, "held/notes/new/" A, &v, NULL), ==, 0);
  free(v);
  CHECK_INT(mem_held_ops.meta_get(&m, "other", &v, NULL), ==, 0);
  free(v);

  /* A's claim of B's unseen write, with B's held row unreadable: refused
   * (and held), the row replaced by nothing of A's. */
  CHECK_INT(mem_held_ops.meta_set(&m, "held/notes/b1/" B, "7 not json", NULL),
            ==, 0);
  CHECK_INT(record_copy(&claim, &mine), ==, 0);
  check_put(&claim, B, TS + 1, "{\"name\":\"Sari K\"}");
  check_put(&claim, A, TS + 2, "{\"note\":\"seen\"}");
  CHECK_STR(push_as(&m, A, &claim), "forged_dot");
  CHECK(mem_held_ops.meta_get(&m, "held/notes/b1/" B, &v, NULL) ==
        SB_ENOTFOUND); /* dropped when looked at */
  CHECK_INT(mem_held_ops.meta_get(&m, "held/notes/b1/" A, &v, NULL), ==, 0);
  free(v);

  record_release(&claim);
  record_release(&mine);
  mem_free(&m);
}
