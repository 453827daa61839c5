/*
 * test_hub_push_oom.c - the hub's push policy (hub_push.c) when memory
 * runs out, on the in-memory store of hub_mem.c.
 *
 * hub_store.h: store failures apply nothing. A push whose n-th
 * allocation fails (oom.h; the store's own allocations are held out, so
 * every failure lands in the policy: decoding what the hub holds, the
 * forged-entry and consent checks, the merge, the encoding, the reply)
 * must either be refused whole with SB_ENOMEM, the store as it was, or
 * end as the push without failure does (the policy runs a group's batch
 * again on its own; an echo it could not confirm is not claimed). Nothing
 * leaks either way.
 */
#include "hub_mem.h"

#include "oom.h"

#define C "00000000000000cc"

/* Every row of the store as text, in order: "collection/id seq state\n". */
static char *rows_text(const struct mem *m)
{
  struct buf b;
  char seq[32];

  buf_init(&b);
  for (size_t i = 0; i < m->now.n; i++) {
    snprintf(seq, sizeof(seq), " %" PRIu64 " ", m->now.r[i].seq);
    buf_adds(&b, m->now.r[i].collection);
    buf_adds(&b, "/");
    buf_adds(&b, m->now.r[i].id);
    buf_adds(&b, seq);
    buf_adds(&b, m->now.r[i].text);
    buf_adds(&b, "\n");
  }
  CHECK(!b.failed);
  return buf_take(&b, NULL);
}

/* The record the store holds at (c, id), then replica's put of fields
 * on it at ts: a push of someone who saw the hub's state. */
static void edit(struct mem *m, struct record *r, const char *c, const char *id,
                 const char *replica, uint64_t ts, const char *fields)
{
  struct mem_row *row = mem_find(m, c, id);
  cJSON *j = cJSON_Parse(fields);

  CHECK(row != NULL && j != NULL);
  record_init(r, c, id);
  CHECK_INT(record_decode(r, row->text, strlen(row->text), NULL), ==, 0);
  CHECK_INT(record_put(r, replica, ts, j, NULL), ==, 0);
  cJSON_Delete(j);
}

#define NPUSH 9

/* r = the state m holds at (c, id), the first `from` of its full form
 * (record_encode) replaced by `to` first (from NULL: as it is). */
static void stored_as(struct mem *m, struct record *r, const char *c,
                      const char *id, const char *from, const char *to)
{
  struct mem_row *row = mem_find(m, c, id);
  struct buf b;
  const char *at;
  char *full;

  CHECK(row != NULL);
  record_init(r, c, id);
  CHECK_INT(record_decode(r, row->text, strlen(row->text), NULL), ==, 0);
  full = record_encode(r);
  CHECK(full != NULL);
  buf_init(&b);
  at = from != NULL ? strstr(full, from) : NULL;
  CHECK(from == NULL || at != NULL);
  if (at != NULL) {
    buf_add(&b, full, (size_t)(at - full));
    buf_adds(&b, to);
    buf_adds(&b, at + strlen(from));
  } else {
    buf_adds(&b, full);
  }
  CHECK(!b.failed);
  CHECK_INT(record_decode(r, b.p, b.len, NULL), ==, 0);
  buf_release(&b);
  free(full);
}

/*
 * The store after A's push of two beneficiaries (consent given) and a
 * visit, and B's push that then meets it: b1's kecamatan changed, b2's
 * consent withdrawn (its name erased everywhere), a new note, a visit
 * the schema refuses, a note carrying C's write the hub never saw
 * (forged), a note pushed again as the hub holds it, A's note with A's
 * value changed under A's dot (a reused dot) and another wiped of A's
 * values (a forged entry: issue 9's attacks), and B's delete of A's visit
 * (dropping A's values by a dot of its own: allowed).
 */
static void make_store(struct mem *m, struct record push[NPUSH])
{
  struct schema *schema = NULL;
  struct record base[6];
  struct hub_push_batch b;

  CHECK_INT(schema_parse(schema_default_text, &schema, NULL), ==, 0);
  make(&base[0], "beneficiary", "b1", A, TS,
       "{\"name\":\"Siti\",\"groups\":[\"perempuan\"],"
       "\"kecamatan\":\"Setu\",\"consent\":true}");
  make(&base[1], "beneficiary", "b2", A, TS + 1,
       "{\"name\":\"Budi\",\"groups\":[\"anak\"],"
       "\"kecamatan\":\"Setu\",\"consent\":true}");
  make(&base[2], "visit", "v1", A, TS + 2,
       "{\"beneficiary\":\"b1\",\"date\":\"2026-11-20\","
       "\"programme\":\"skills-cooking\"}");
  make(&base[3], "notes", "n1", A, TS + 3, "{\"t\":1}");
  make(&base[4], "notes", "n3", A, TS + 4, "{\"t\":5,\"u\":6}");
  make(&base[5], "visit", "v4", A, TS + 5,
       "{\"beneficiary\":\"b2\",\"date\":\"2026-11-19\","
       "\"programme\":\"child-education\"}");
  b = batch_of(A, base, 6);
  CHECK_INT(push1(m, schema, &b), ==, 0);
  for (size_t i = 0; i < 6; i++)
    CHECK(b.reply.res[i].ok);
  push_reply_release(&b.reply);

  edit(m, &push[0], "beneficiary", "b1", B, TS + 10,
       "{\"kecamatan\":\"Pamulang\"}");
  edit(m, &push[1], "beneficiary", "b2", B, TS + 11, "{\"consent\":false}");
  CHECK_INT(record_withdraw(&push[1], B), ==, 0);
  make(&push[2], "notes", "n2", B, TS + 12, "{\"t\":[1,{\"u\":2}]}");
  make(&push[3], "visit", "v2", B, TS + 13,
       "{\"beneficiary\":\"b1\",\"date\":\"2026-11-21\","
       "\"programme\":\"knitting\"}");
  make(&push[4], "notes", "f", C, TS + 14, "{\"t\":3}");
  CHECK_INT(record_copy(&push[5], &base[3]), ==, 0);
  stored_as(m, &push[6], "notes", "n1", "\"value\":1}", "\"value\":99}");
  stored_as(m, &push[7], "notes", "n3", NULL, NULL);
  CHECK_INT(record_drop_field(&push[7], "t"), ==, 1);
  CHECK_INT(record_drop_field(&push[7], "u"), ==, 1);
  stored_as(m, &push[8], "visit", "v4", NULL, NULL);
  CHECK_INT(record_delete(&push[8], B, TS + 15), ==, 0);
  for (size_t i = 0; i < 6; i++)
    record_release(&base[i]);
  schema_free(schema);
}

/*
 * got is the reply want (encoded) but for "echo" on results that want
 * has it on: out of memory while comparing the stored state with the
 * pushed one, the hub says no echo (push_is_echo), which only costs the
 * device the pull of its own state, never a state it lacks.
 */
static void same_but_echo(const struct push_reply *got, const char *want)
{
  struct push_reply w;

  push_reply_init(&w);
  CHECK_INT(push_reply_decode(&w, want, strlen(want), NULL), ==, 0);
  CHECK_INT(got->n, ==, w.n);
  CHECK_INT(got->last_seq, ==, w.last_seq);
  for (size_t i = 0; i < w.n; i++) {
    const struct push_result *g = &got->res[i], *x = &w.res[i];
    CHECK_STR(g->collection, x->collection);
    CHECK_STR(g->id, x->id);
    CHECK_INT(g->ok, ==, x->ok);
    CHECK_INT(g->seq, ==, x->seq);
    CHECK(!g->echo || x->echo);
    CHECK_STR(g->code, x->code);
    CHECK_STR(g->message, x->message);
  }
  push_reply_release(&w);
}

/* B's push on m, prepared first when prepare (hub_push_prepare, as the
 * hub's pool does), its n-th allocation failing (n 0: none), and every
 * one after it if sticky. */
static int push_b(struct mem *m, const struct schema *schema,
                  struct record push[NPUSH], bool prepare, long n, bool sticky,
                  struct hub_push_batch *b)
{
  int rc = 0;

  *b = batch_of(B, push, NPUSH);
  if (sticky)
    oom_arm_sticky(n);
  else
    oom_arm(n);
  if (prepare)
    rc = hub_push_prepare(schema, b);
  if (rc == 0)
    rc = push1(m, schema, b);
  oom_disarm();
  return rc;
}

static void push_under_failures(bool prepare, bool sticky)
{
  struct mem m = {0};
  struct schema *schema = NULL;
  struct record push[NPUSH];
  struct hub_push_batch b;
  struct mem_rows base = {0};
  char *base_rows, *want_rows, *want_reply;

  CHECK_INT(schema_parse(schema_default_text, &schema, NULL), ==, 0);
  make_store(&m, push);
  mem_copy(&m, &base);
  base_rows = rows_text(&m);
  CHECK_INT(push_b(&m, schema, push, prepare, 0, false, &b), ==, 0);
  CHECK(b.reply.res[0].ok && b.reply.res[1].ok && b.reply.res[2].ok);
  CHECK_STR(b.reply.res[3].code, proto_err_name(PROTO_ERR_SCHEMA));
  CHECK_STR(b.reply.res[4].code, proto_err_name(PROTO_ERR_FORGED_DOT));
  CHECK(b.reply.res[5].ok);
  CHECK_STR(b.reply.res[6].code, proto_err_name(PROTO_ERR_DOT_REUSED));
  CHECK_STR(b.reply.res[7].code, proto_err_name(PROTO_ERR_FORGED_ENTRY));
  CHECK(b.reply.res[8].ok);
  want_rows = rows_text(&m);
  CHECK(strstr(want_rows, "Budi") == NULL); /* the withdrawal erased it */
  want_reply = push_reply_encode(&b.reply);
  CHECK(want_reply != NULL);
  hub_push_prepared_release(&b);
  push_reply_release(&b.reply);

  OOM_EACH_FAILURE(n)
  {
    char *rows, *reply;
    int rc;

    mem_put_back(&m, &base);
    rc = push_b(&m, schema, push, prepare, n, sticky, &b);
    rows = rows_text(&m);
    if (rc == 0)
      rc = b.rc;
    if (rc == 0) { /* no failure, or one the policy ran again past */
      reply = push_reply_encode(&b.reply);
      CHECK(reply != NULL);
      if (strcmp(reply, want_reply) != 0)
        same_but_echo(&b.reply, want_reply);
      CHECK_STR(rows, want_rows);
      free(reply);
    } else {
      CHECK(oom_failed());
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK_STR(rows, base_rows);
      /* and claims no record's outcome: none was stored */
      CHECK_INT(b.reply.n, ==, 0);
      CHECK_INT(b.stats.stored, ==, 0);
    }
    if (!oom_failed())
      more_ = 0;
    free(rows);
    hub_push_prepared_release(&b);
    push_reply_release(&b.reply);
  }
  free(base_rows);
  free(want_rows);
  free(want_reply);
  mem_rows_free(&base);
  for (size_t i = 0; i < NPUSH; i++)
    record_release(&push[i]);
  schema_free(schema);
  mem_free(&m);
}

/* One allocation fails: the policy runs the batch again alone, and it
 * gets through. */
TEST(push)
{
  push_under_failures(false, false);
}

TEST(prepared_push)
{
  push_under_failures(true, false);
}

/* Memory stays short: the push is refused whole, nothing stored. */
TEST(push_memory_stays_short)
{
  push_under_failures(false, true);
}

TEST(prepared_push_memory_stays_short)
{
  push_under_failures(true, true);
}
