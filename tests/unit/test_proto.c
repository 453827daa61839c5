/*
 * test_proto.c - the sync protocol's messages: round trips of every message,
 * canonical output, and a table of malformed inputs each refused with
 * SB_EPROTOCOL and a message that names the bad part.
 */
#include "check.h"
#include "check_record.h"

#include "gzip.h"
#include "proto.h"

#include <cjson/cJSON.h>

/* A valid state and pieces to build broken ones from. */
#define ENTRY(r, c, ts, v)                                                     \
  "{\"dot\":[\"" r "\"," #c "],\"ts\":" #ts ",\"value\":" v "}"
#define STATE(coll, id, fields, tombs, vv, deleted)                            \
  "{\"collection\":\"" coll "\",\"deleted\":" deleted ",\"fields\":{" fields   \
  "},\"id\":\"" id "\",\"tombstones\":[" tombs "],\"vv\":{" vv "}}"
#define GOOD                                                                   \
  STATE("visits", "v1", "\"name\":[" ENTRY("r1", 1, 5, "\"Siti\"") "]", "",    \
        "\"r1\":1", "false")

/* A record of collection/id written by replica r1 with fields (JSON). */
/* Three records: a plain one, a conflicted one (siblings), a deleted one. */
static void make_three(struct record rec[3])
{
  struct record other;

  check_record(
      &rec[0], "people", "p-1", "r1", 1000,
      "{\"name\":\"Siti\",\"age\":34,\"tags\":[\"a\",{\"z\":1,\"b\":2}]}");
  check_record(&rec[1], "visits", "v-1", "r1", 2000, "{\"note\":\"first\"}");
  check_record(&other, "visits", "v-1", "r2", 2001, "{\"note\":\"second\"}");
  CHECK_INT(record_merge(&rec[1], &other), ==, 0);
  record_release(&other);
  CHECK(record_conflicted(&rec[1]));
  check_record(&rec[2], "visits", "v-2", "hub-A", 3000, "{\"note\":\"x\"}");
  CHECK_INT(record_delete(&rec[2], "hub-A", 3001), ==, 0);
  CHECK(record_deleted(&rec[2]));
}

static void check_same_record(const struct record *a, const struct record *b)
{
  char *ta = record_encode(a), *tb = record_encode(b);
  CHECK_STR(ta, tb);
  free(ta);
  free(tb);
}

TEST(push_req_round_trip)
{
  struct record rec[3];
  const struct record *ptrs[3] = {&rec[0], &rec[1], &rec[2]};
  struct push_req req;
  struct sb_err err = {0};
  char *text, *again;
  size_t i;

  make_three(rec);
  text = push_req_encode(ptrs, 3);
  CHECK(text != NULL);
  CHECK(strncmp(text, "{\"records\":[{\"collection\":\"people\"", 34) == 0);
  push_req_init(&req);
  CHECK_INT(push_req_decode(&req, text, strlen(text), NULL, &err), ==, 0);
  CHECK_INT(req.n, ==, 3);
  for (i = 0; i < 3; i++)
    check_same_record(&req.recs[i], &rec[i]);
  CHECK(record_conflicted(&req.recs[1]));
  CHECK(record_deleted(&req.recs[2]));
  {
    const struct record *back[3] = {&req.recs[0], &req.recs[1], &req.recs[2]};
    again = push_req_encode(back, 3);
  }
  CHECK_STR(again, text);
  free(again);
  free(text);

  /* An empty batch is a valid (no-op) push. */
  text = push_req_encode(NULL, 0);
  CHECK_STR(text, "{\"records\":[]}");
  CHECK_INT(push_req_decode(&req, text, strlen(text), NULL, &err), ==, 0);
  CHECK_INT(req.n, ==, 0);
  free(text);
  push_req_release(&req);
  for (i = 0; i < 3; i++)
    record_release(&rec[i]);
}

TEST(push_req_max_batch)
{
  struct record r;
  const struct record **ptrs = calloc(PROTO_MAX_BATCH + 1, sizeof(*ptrs));
  struct push_req req;
  struct sb_err err = {0};
  char *text;
  size_t i;

  CHECK(ptrs != NULL);
  check_record(&r, "visits", "v", "r1", 1, "{\"a\":1}");
  for (i = 0; i <= PROTO_MAX_BATCH; i++)
    ptrs[i] = &r;
  push_req_init(&req);
  text = push_req_encode(ptrs, PROTO_MAX_BATCH);
  CHECK_INT(push_req_decode(&req, text, strlen(text), NULL, &err), ==, 0);
  CHECK_INT(req.n, ==, PROTO_MAX_BATCH);
  free(text);
  text = push_req_encode(ptrs, PROTO_MAX_BATCH + 1);
  CHECK_INT(push_req_decode(&req, text, strlen(text), NULL, &err), ==,
            SB_EPROTOCOL);
  CHECK(strstr(err.msg, "too many records") != NULL);
  CHECK_INT(req.n, ==, 0);
  CHECK(req.recs == NULL);
  free(text);
  free(ptrs);
  record_release(&r);
}

TEST(push_reply_round_trip)
{
  struct push_result res[3];
  struct push_reply rep = {res, 3, 42}, back;
  struct sb_err err = {0};
  char *text, *again;
  size_t i;

  memset(res, 0, sizeof(res));
  snprintf(res[0].collection, sizeof(res[0].collection), "people");
  snprintf(res[0].id, sizeof(res[0].id), "p-1");
  res[0].ok = true;
  res[0].seq = 41;
  res[0].echo = true;
  snprintf(res[1].collection, sizeof(res[1].collection), "visits");
  snprintf(res[1].id, sizeof(res[1].id), "v-1");
  snprintf(res[1].code, sizeof(res[1].code), "schema");
  snprintf(res[1].message, sizeof(res[1].message),
           "field \"age\": must be an integer, got \"tiga \\ puluh\"\n");
  snprintf(res[2].collection, sizeof(res[2].collection), "visits");
  snprintf(res[2].id, sizeof(res[2].id), "v-2");
  res[2].ok = true;
  res[2].seq = (uint64_t)1 << 53; /* the largest exact JSON integer */

  text = push_reply_encode(&rep);
  CHECK(text != NULL);
  push_reply_init(&back);
  CHECK_INT(push_reply_decode(&back, text, strlen(text), &err), ==, 0);
  CHECK_INT(back.n, ==, 3);
  CHECK_INT(back.last_seq, ==, 42);
  for (i = 0; i < 3; i++) {
    CHECK_STR(back.res[i].collection, res[i].collection);
    CHECK_STR(back.res[i].id, res[i].id);
    CHECK_INT(back.res[i].ok, ==, res[i].ok);
    CHECK_INT(back.res[i].seq, ==, res[i].seq);
    CHECK_INT(back.res[i].echo, ==, res[i].echo);
    CHECK_STR(back.res[i].code, res[i].code);
    CHECK_STR(back.res[i].message, res[i].message);
  }
  again = push_reply_encode(&back);
  CHECK_STR(again, text);
  CHECK(strstr(text, "\"seq\":9007199254740992") != NULL);
  free(again);
  free(text);

  /* The exact canonical text of a small reply. */
  rep.n = 2;
  rep.last_seq = 1000000000000000ULL; /* cJSON alone would print 1e+15 */
  text = push_reply_encode(&rep);
  CHECK_STR(
      text,
      "{\"last_seq\":1000000000000000,\"results\":["
      "{\"collection\":\"people\",\"echo\":true,\"id\":\"p-1\",\"ok\":true,"
      "\"seq\":41},"
      "{\"collection\":\"visits\",\"error\":{\"code\":\"schema\","
      "\"message\":\"field \\\"age\\\": must be an integer, got "
      "\\\"tiga \\\\ puluh\\\"\\n\"},\"id\":\"v-1\",\"ok\":false}]}");
  free(text);
  push_reply_release(&back);
  CHECK(back.res == NULL);
}

TEST(push_reply_message_always_valid_utf8)
{
  struct push_result res;
  struct push_reply rep = {&res, 1, 0}, back;
  struct sb_err err = {0};
  char *text;

  memset(&res, 0, sizeof(res));
  snprintf(res.collection, sizeof(res.collection), "visits");
  snprintf(res.id, sizeof(res.id), "v");
  /* A message cut in the middle of "é" (C3 A9), a stray byte, no code. */
  snprintf(res.message, sizeof(res.message), "caf\xc3 \xff ok \xc3\xa9");
  text = push_reply_encode(&rep);
  push_reply_init(&back);
  CHECK_INT(push_reply_decode(&back, text, strlen(text), &err), ==, 0);
  CHECK_STR(back.res[0].message, "caf? ? ok \xc3\xa9");
  CHECK_STR(back.res[0].code, "internal");
  free(text);
  push_reply_release(&back);
}

TEST(changes_page_round_trip)
{
  struct record rec[3];
  char *states[3];
  uint64_t seqs[3] = {7, 9, 4000000000000000ULL};
  struct changes_page page;
  struct sb_err err = {0};
  char *text, *again;
  size_t i;

  make_three(rec);
  for (i = 0; i < 3; i++)
    states[i] = record_encode(&rec[i]);
  text = changes_page_encode(seqs, (const char *const *)states, 3, true, 10);
  CHECK(text != NULL);
  changes_page_init(&page);
  CHECK_INT(changes_page_decode(&page, text, strlen(text), &err), ==, 0);
  CHECK_INT(page.n, ==, 3);
  CHECK(page.more);
  CHECK_INT(page.next, ==, 10);
  for (i = 0; i < 3; i++) {
    CHECK_INT(page.c[i].seq, ==, seqs[i]);
    check_same_record(&page.c[i].rec, &rec[i]);
  }
  /* The spliced text is canonical: a cJSON round trip prints it again. */
  {
    cJSON *j = cJSON_Parse(text);
    char *canon = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    again = changes_page_encode(seqs, (const char *const *)states, 3, true, 10);
    CHECK_STR(again, text);
    CHECK(strstr(text, "\"seq\":4000000000000000}") != NULL);
    CHECK(canon != NULL);
    CHECK(strncmp(canon, "{\"changes\":[{\"record\":{", 23) == 0);
    free(canon);
    free(again);
  }
  free(text);

  /* An empty page: nothing new, the cursor stays. */
  text = changes_page_encode(NULL, NULL, 0, false, 55);
  CHECK_STR(text, "{\"changes\":[],\"more\":false,\"next\":55}");
  CHECK_INT(changes_page_decode(&page, text, strlen(text), &err), ==, 0);
  CHECK_INT(page.n, ==, 0);
  CHECK(!page.more);
  CHECK_INT(page.next, ==, 55);
  free(text);
  changes_page_release(&page);
  for (i = 0; i < 3; i++) {
    free(states[i]);
    record_release(&rec[i]);
  }
}

TEST(changes_page_max)
{
  struct record r;
  char *state;
  uint64_t *seqs = calloc(PROTO_MAX_PAGE + 1, sizeof(*seqs));
  const char **states = calloc(PROTO_MAX_PAGE + 1, sizeof(*states));
  struct changes_page page;
  struct sb_err err = {0};
  char *text;
  size_t i;

  CHECK(seqs != NULL && states != NULL);
  check_record(&r, "visits", "v", "r1", 1, "{\"a\":1}");
  state = record_encode(&r);
  for (i = 0; i <= PROTO_MAX_PAGE; i++) {
    seqs[i] = i + 1;
    states[i] = state;
  }
  changes_page_init(&page);
  text = changes_page_encode(seqs, states, PROTO_MAX_PAGE, false, 1000);
  CHECK_INT(changes_page_decode(&page, text, strlen(text), &err), ==, 0);
  CHECK_INT(page.n, ==, PROTO_MAX_PAGE);
  free(text);
  text = changes_page_encode(seqs, states, PROTO_MAX_PAGE + 1, false, 1001);
  CHECK_INT(changes_page_decode(&page, text, strlen(text), &err), ==,
            SB_EPROTOCOL);
  CHECK(strstr(err.msg, "too many changes") != NULL);
  CHECK_INT(page.n, ==, 0);
  free(text);
  free(state);
  free(seqs);
  free(states);
  record_release(&r);
}

/* A page gzip'd as it is encoded is the same bytes as the page encoded,
 * then gzip'd (several 64 KB slices, gone entries, scope and horizon). */
TEST(changes_page_gzip_same_bytes)
{
  static const size_t sizes[] = {0, 1, 3, 1500};
  struct record r;
  char *state, *text, *z1, *z2, *back;
  size_t z1len, z2len, backlen, k, i;
  uint64_t seqs[1500];
  const char *states[1500];
  bool gone[1500];
  struct sb_err err = {0};

  check_record(&r, "visits", "v", "r1", 1,
               "{\"note\":\"a note of some length\"}");
  state = record_encode(&r);
  for (i = 0; i < 1500; i++) {
    seqs[i] = 100 + i;
    states[i] = i % 7 == 3 ? "{\"collection\":\"visits\",\"id\":\"g\"}" : state;
    gone[i] = i % 7 == 3;
  }
  for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    struct changes_page_head h = {true, 9, k % 2 ? "Setu,Pamulang" : NULL,
                                  k * 5, k * 7};
    text = changes_page_encode_head(seqs, states, gone, sizes[k], &h);
    CHECK(text != NULL);
    CHECK_INT(gzip_deflate(text, strlen(text), &z1, &z1len, &err), ==, 0);
    CHECK_INT(
        changes_page_gzip(seqs, states, gone, sizes[k], &h, &z2, &z2len, &err),
        ==, 0);
    CHECK_INT(z1len, ==, z2len);
    CHECK(memcmp(z1, z2, z1len) == 0);
    CHECK_INT(gzip_inflate(z2, z2len, PROTO_MAX_BODY, &back, &backlen, &err),
              ==, 0);
    CHECK_INT(backlen, ==, strlen(text));
    CHECK(memcmp(back, text, backlen) == 0);
    free(back);
    free(z1);
    free(z2);
    free(text);
  }
  free(state);
  record_release(&r);
}

/* "last", the feed's newest number: in canonical key order only when
 * set, read back by both decoders (absent: 0), a bad one refused. */
TEST(changes_page_last)
{
  struct changes_page_head h = {false, 50, "Setu", 42, 90};
  const char *bad[] = {
      "{\"changes\":[],\"last\":-1,\"more\":false,\"next\":9}",
      "{\"changes\":[],\"last\":\"7\",\"more\":false,\"next\":9}",
      "{\"changes\":[],\"last\":9007199254740993,\"more\":false,\"next\":9}",
  };
  struct changes_page p;
  struct sb_err err = {0};
  char *text;
  size_t i;
  int tree;

  text = changes_page_encode_head(NULL, NULL, NULL, 0, &h);
  CHECK_STR(text, "{\"changes\":[],\"horizon\":42,\"last\":90,\"more\":"
                  "false,\"next\":50,\"scope\":\"Setu\"}");
  changes_page_init(&p);
  for (tree = 0; tree < 2; tree++) {
    int (*decode)(struct changes_page *, const char *, size_t,
                  struct sb_err *) =
        tree ? changes_page_decode_tree : changes_page_decode;
    CHECK_INT(decode(&p, text, strlen(text), &err), ==, 0);
    CHECK(p.last == 90 && p.next == 50 && p.horizon == 42);
    CHECK_INT(
        decode(&p, "{\"changes\":[],\"more\":false,\"next\":5}", 36, &err), ==,
        0);
    CHECK(p.last == 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
      CHECK_INT(decode(&p, bad[i], strlen(bad[i]), &err), ==, SB_EPROTOCOL);
  }
  free(text);
  h.last = 0;
  text = changes_page_encode_head(NULL, NULL, NULL, 0, &h);
  CHECK(strstr(text, "last") == NULL);
  free(text);
  changes_page_release(&p);
}

TEST(names_query_and_reply)
{
  const char *bad_query[] = {"",
                             "a,,b",
                             "a,",
                             ",a",
                             "a b",
                             "a\n",
                             "0123456789012345678901234567890123"};
  const char *bad_reply[] = {
      "{}",
      "{\"names\":[]}",
      "{\"names\":{\"a b\":\"tab\"}}",
      "{\"names\":{\"r1\":\"\"}}",
      "{\"names\":{\"r1\":\"-tab\"}}",
      "{\"names\":{\"r1\":\"tab\\u001b[31m\"}}",
      "{\"names\":{\"r1\":7}}",
      "{\"names\":{\"r1\":\"a\",\"r1\":\"b\"}}",
  };
  struct proto_names nm;
  struct sb_err err = {0};
  char list[PROTO_NAMES_MAX * 5 + 8], *text;
  size_t i, at = 0;

  names_init(&nm);
  CHECK_INT(names_query_parse(&nm, "r2,r1,r2", &err), ==, 0);
  CHECK(nm.n == 2 && strcmp(nm.v[0].replica, "r2") == 0 &&
        strcmp(nm.v[1].replica, "r1") == 0 && nm.v[0].name[0] == '\0');
  CHECK_INT(names_query_parse(&nm, NULL, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "required") != NULL);
  for (i = 0; i < sizeof(bad_query) / sizeof(bad_query[0]); i++) {
    CHECK_INT(names_query_parse(&nm, bad_query[i], &err), ==, SB_EINVAL);
    CHECK(nm.n == 0);
  }
  for (i = 0; i < PROTO_NAMES_MAX; i++)
    at += (size_t)snprintf(list + at, sizeof(list) - at, "%sr%zu",
                           i > 0 ? "," : "", i);
  CHECK_INT(names_query_parse(&nm, list, &err), ==, 0);
  CHECK(nm.n == PROTO_NAMES_MAX);
  snprintf(list + at, sizeof(list) - at, ",more");
  CHECK_INT(names_query_parse(&nm, list, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "more than 100") != NULL);

  /* The reply: only the named ones, in key order; decoded back. */
  CHECK_INT(names_query_parse(&nm, "r2,r1,r3", &err), ==, 0);
  snprintf(nm.v[0].name, sizeof(nm.v[0].name), "tab.b_2");
  snprintf(nm.v[1].name, sizeof(nm.v[1].name), "tab-a");
  text = names_encode(&nm);
  CHECK_STR(text, "{\"names\":{\"r1\":\"tab-a\",\"r2\":\"tab.b_2\"}}");
  CHECK_INT(names_decode(&nm, text, strlen(text), &err), ==, 0);
  CHECK(nm.n == 2);
  CHECK_STR(names_find(&nm, "r2"), "tab.b_2");
  CHECK(names_find(&nm, "r3") == NULL);
  free(text);
  for (i = 0; i < sizeof(bad_reply) / sizeof(bad_reply[0]); i++) {
    CHECK_INT(names_decode(&nm, bad_reply[i], strlen(bad_reply[i]), &err), ==,
              SB_EPROTOCOL);
    CHECK(nm.n == 0);
  }
  names_release(&nm);
}

TEST(changes_query)
{
  static const struct {
    const char *since, *limit, *wait;
    int rc;
    uint64_t s;
    unsigned l, w;
    const char *names; /* the parameter the message must name */
  } cases[] = {
      {NULL, NULL, NULL, 0, 0, PROTO_DEFAULT_PAGE, 0, NULL},
      {"0", "1", "0", 0, 0, 1, 0, NULL},
      {"42", "5000", "60", 0, 42, 5000, 60, NULL},
      {"0042", "007", NULL, 0, 42, 7, 0, NULL},
      {"18446744073709551615", NULL, NULL, 0, UINT64_MAX, PROTO_DEFAULT_PAGE, 0,
       NULL},
      {"18446744073709551616", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {"99999999999999999999999", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {"", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {"-1", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {"+1", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {" 1", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {"1 ", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {"0x10", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {"1e3", NULL, NULL, SB_EPROTOCOL, 0, 0, 0, "since"},
      {NULL, "0", NULL, SB_EPROTOCOL, 0, 0, 0, "limit"},
      {NULL, "5001", NULL, SB_EPROTOCOL, 0, 0, 0, "limit"},
      {NULL, "abc", NULL, SB_EPROTOCOL, 0, 0, 0, "limit"},
      {NULL, "4294967297", NULL, SB_EPROTOCOL, 0, 0, 0, "limit"},
      {NULL, NULL, "61", SB_EPROTOCOL, 0, 0, 0, "wait"},
      {NULL, NULL, "-0", SB_EPROTOCOL, 0, 0, 0, "wait"},
      {NULL, NULL, "1.5", SB_EPROTOCOL, 0, 0, 0, "wait"},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct changes_query q = {123, 456, 789};
    struct sb_err err = {0};
    int rc = changes_query_parse(&q, cases[i].since, cases[i].limit,
                                 cases[i].wait, &err);
    fprintf(stderr, "case %zu: rc %d %s\n", i, rc, err.msg);
    CHECK_INT(rc, ==, cases[i].rc);
    if (rc == 0) {
      CHECK(q.since == cases[i].s);
      CHECK_INT(q.limit, ==, cases[i].l);
      CHECK_INT(q.wait_s, ==, cases[i].w);
    } else {
      CHECK_INT(err.code, ==, SB_EPROTOCOL);
      CHECK(strstr(err.msg, cases[i].names) != NULL);
      CHECK_INT(q.since, ==, 123); /* untouched on error */
    }
  }
}

/* Which decoder a malformed case goes to. */
enum which { REQ, REPLY, PAGE };

static int decode(enum which w, const char *body, size_t len,
                  struct sb_err *err)
{
  int rc;
  if (w == REQ) {
    struct push_req p;
    push_req_init(&p);
    rc = push_req_decode(&p, body, len, NULL, err);
    if (rc != 0)
      CHECK(p.recs == NULL && p.n == 0);
    push_req_release(&p);
  } else if (w == REPLY) {
    struct push_reply p;
    push_reply_init(&p);
    rc = push_reply_decode(&p, body, len, err);
    if (rc != 0)
      CHECK(p.res == NULL && p.n == 0);
    push_reply_release(&p);
  } else {
    struct changes_page p;
    changes_page_init(&p);
    rc = changes_page_decode(&p, body, len, err);
    if (rc != 0)
      CHECK(p.c == NULL && p.n == 0);
    changes_page_release(&p);
  }
  return rc;
}

#define RECS(x) "{\"records\":[" x "]}"
#define REP(x) "{\"last_seq\":3,\"results\":[" x "]}"
#define RES_OK "{\"collection\":\"visits\",\"id\":\"v1\",\"ok\":true,\"seq\":3}"
#define PAGE_OF(x) "{\"changes\":[" x "],\"more\":false,\"next\":9}"
#define CHG(seq, st) "{\"record\":" st ",\"seq\":" #seq "}"

static const struct {
  enum which w;
  const char *body;
  const char *names; /* a part of the message that names the bad part */
} malformed[] = {
    /* Not JSON, not an object, bad bytes. */
    {REQ, "", "not valid JSON"},
    {REQ, "null", "must be a JSON object"},
    {REQ, "[]", "must be a JSON object"},
    {REQ, "\"records\"", "must be a JSON object"},
    {REQ, RECS(GOOD) " x", "unexpected data"},
    {REQ, RECS(GOOD) "}", "unexpected data"},
    {REQ, "{\"records\":[", "not valid JSON"},
    {REQ, "{\"records\":[],\"note\":\"caf\xc3\"}", "UTF-8"},
    {REQ, "{\"records\":[],\"note\":\"\xed\xa0\x80\"}", "UTF-8"},
    {REQ, "{\"records\":[],\"records\":[]}", "duplicate key"},
    {REQ, RECS("{\"collection\":\"visits\",\"collection\":\"x\"}"),
     "duplicate key"},
    /* The request's shape. */
    {REQ, "{}", "\"records\" must be an array"},
    {REQ, "{\"records\":{}}", "\"records\" must be an array"},
    {REQ, "{\"records\":\"v1\"}", "\"records\" must be an array"},
    {REQ, RECS("1"), "records[0]"},
    {REQ, RECS(GOOD ",{}"), "records[1]"},
    {REQ, RECS(GOOD "," GOOD "," GOOD ",null"), "records[3]"},
    /* Bad states. */
    {REQ, RECS(STATE("bad name", "v1", "", "", "\"r1\":1", "false")),
     "\"collection\""},
    {REQ, RECS(STATE("visits", "v 1", "", "", "\"r1\":1", "false")), "\"id\""},
    {REQ, RECS(STATE("visits", "", "", "", "\"r1\":1", "false")), "\"id\""},
    {REQ, RECS(STATE("visits", "v1", "", "", "", "false")), "no history"},
    {REQ, RECS(STATE("visits", "v1", "", "", "\"r1\":-1", "false")),
     "version vector"},
    {REQ, RECS(STATE("visits", "v1", "", "", "\"r1\":1.5", "false")),
     "version vector"},
    {REQ, RECS(STATE("visits", "v1", "", "", "\"r1\":1e300", "false")),
     "version vector"},
    {REQ,
     RECS(STATE("visits", "v1", "", "", "\"r1\":9007199254740994", "false")),
     "integer beyond +-2^53 (not exact) in \"r1\""},
    {REQ, RECS(STATE("visits", "v1", "", "", "\"r1\":\"1\"", "false")),
     "version vector"},
    {REQ, RECS(STATE("visits", "v1", "", "", "\"r 1\":1", "false")),
     "bad replica id"},
    {REQ, RECS(STATE("visits", "v1", "", "", "\"r1\":1", "0")), "\"deleted\""},
    {REQ, RECS(STATE("visits", "v1", "", "", "\"r1\":1", "true")),
     "\"deleted\" does not match"},
    {REQ,
     RECS(GOOD
          "," STATE("visits", "v1", "\"name\":[" ENTRY("r1", 0, 5, "1") "]", "",
                    "\"r1\":1", "false")),
     "push request: records[1]: record visits/v1: field \"name\": dot counter"},
    {REQ,
     RECS(STATE("visits", "v1", "\"name\":[" ENTRY("r2", 1, 5, "1") "]", "",
                "\"r1\":1", "false")),
     "not covered"},
    {REQ,
     RECS(STATE("visits", "v1", "\"name\":[" ENTRY("r1", 1, -5, "1") "]", "",
                "\"r1\":1", "false")),
     "\"ts\""},
    {REQ,
     RECS(STATE(
         "visits", "v1",
         "\"name\":[" ENTRY("r1", 2, 5, "1") "," ENTRY("r1", 1, 5, "2") "]", "",
         "\"r1\":2", "false")),
     "sorted"},
    {REQ, RECS(STATE("visits", "v1", "\"name\":[]", "", "\"r1\":1", "false")),
     "no entries"},
    {REQ,
     RECS(STATE("visits", "v1", "\"name\":[{\"dot\":[\"r1\",1],\"ts\":1}]", "",
                "\"r1\":1", "false")),
     "no \"value\""},
    {REQ,
     RECS(STATE("visits", "v1", "",
                "{\"dot\":[\"r1\",1],\"ts\":1,\"value\":null}", "\"r1\":1",
                "true")),
     "tombstone has no value"},
    {REQ,
     RECS(STATE("visits", "v1", "\"bad field\":[" ENTRY("r1", 1, 5, "1") "]",
                "", "\"r1\":1", "false")),
     "bad field name"},
    {REQ,
     RECS(STATE("visits", "v1", "\"name\":[{\"dot\":[\"r1\"],\"ts\":1}]", "",
                "\"r1\":1", "false")),
     "\"dot\""},
    /* Push replies. */
    {REPLY, "{\"results\":[]}", "\"last_seq\""},
    {REPLY, "{\"last_seq\":-1,\"results\":[]}", "\"last_seq\""},
    {REPLY, "{\"last_seq\":9007199254740994,\"results\":[]}", "\"last_seq\""},
    {REPLY, "{\"last_seq\":1e999,\"results\":[]}", "\"last_seq\""},
    {REPLY, "{\"last_seq\":\"3\",\"results\":[]}", "\"last_seq\""},
    {REPLY, "{\"last_seq\":3}", "\"results\" must be an array"},
    {REPLY, REP(RES_OK ",7"), "results[1]: must be an object"},
    {REPLY,
     REP("{\"collection\":\"visits\",\"id\":\"v1\",\"ok\":\"true\",\"seq\":3}"),
     "\"ok\""},
    {REPLY, REP("{\"collection\":\"visits\",\"id\":\"v1\",\"ok\":true}"),
     "\"seq\""},
    {REPLY,
     REP("{\"collection\":\"visits\",\"id\":\"v1\",\"ok\":true,\"seq\":2.5}"),
     "\"seq\""},
    {REPLY, REP("{\"collection\":\"visits\",\"id\":\"v1\",\"ok\":false}"),
     "\"error\""},
    {REPLY,
     REP("{\"collection\":\"visits\",\"error\":{\"code\":\"Bad Code\","
         "\"message\":\"m\"},\"id\":\"v1\",\"ok\":false}"),
     "\"code\""},
    {REPLY,
     REP("{\"collection\":\"visits\",\"error\":{\"code\":\"schema\"},"
         "\"id\":\"v1\",\"ok\":false}"),
     "\"message\""},
    {REPLY,
     REP("{\"collection\":\"visits\",\"error\":{\"code\":\"schema\","
         "\"message\":\"\"},\"id\":\"v1\",\"ok\":false}"),
     "\"message\""},
    {REPLY,
     REP("{\"collection\":\"vis its\",\"id\":\"v1\",\"ok\":true,\"seq\":3}"),
     "\"collection\""},
    {REPLY, REP("{\"collection\":\"visits\",\"id\":7,\"ok\":true,\"seq\":3}"),
     "\"id\""},
    /* Changes pages. */
    {PAGE, "{\"changes\":[],\"more\":false}", "\"next\""},
    {PAGE, "{\"changes\":[],\"next\":1}", "\"more\""},
    {PAGE, "{\"changes\":[],\"more\":1,\"next\":1}", "\"more\""},
    {PAGE, "{\"changes\":[],\"more\":false,\"next\":\"5\"}", "\"next\""},
    {PAGE, "{\"changes\":{},\"more\":false,\"next\":1}", "\"changes\""},
    {PAGE, PAGE_OF(CHG(0, GOOD)), "changes[0]: \"seq\""},
    {PAGE, PAGE_OF(CHG(-1, GOOD)), "changes[0]: \"seq\""},
    {PAGE, PAGE_OF(CHG(1e20, GOOD)), "changes[0]: \"seq\""},
    {PAGE, PAGE_OF(CHG(5, GOOD) "," CHG(5, GOOD)), "changes[1]"},
    {PAGE, PAGE_OF(CHG(5, GOOD) "," CHG(4, GOOD)), "seqs must increase"},
    {PAGE, PAGE_OF("{\"seq\":1}"), "record state must be a JSON object"},
    {PAGE, PAGE_OF(CHG(1, "[]")), "changes[0]"},
    {PAGE,
     PAGE_OF(
         CHG(1, GOOD) "," CHG(2, STATE("visits", "v1", "", "", "", "false"))),
     "changes[1]: record visits/v1 has no history"},
};

TEST(malformed_refused)
{
  size_t i, n = sizeof(malformed) / sizeof(malformed[0]);
  CHECK_INT(n, >=, 30);
  for (i = 0; i < n; i++) {
    struct sb_err err = {0};
    int rc = decode(malformed[i].w, malformed[i].body,
                    strlen(malformed[i].body), &err);
    fprintf(stderr, "case %zu: %s\n", i, err.msg);
    CHECK_INT(rc, ==, SB_EPROTOCOL);
    CHECK_INT(err.code, ==, SB_EPROTOCOL);
    CHECK(strstr(err.msg, malformed[i].names) != NULL);
    /* A NULL err is allowed and gives the same answer. */
    CHECK_INT(decode(malformed[i].w, malformed[i].body,
                     strlen(malformed[i].body), NULL),
              ==, SB_EPROTOCOL);
  }
}

TEST(malformed_bytes)
{
  /* A NUL byte inside, and a body over PROTO_MAX_BODY (checked first). */
  static const char nul[] = "{\"records\":[]\0}";
  size_t big = (size_t)PROTO_MAX_BODY + 1;
  char *huge = malloc(big);
  struct sb_err err = {0};
  enum which w;

  CHECK_INT(decode(REQ, nul, sizeof(nul) - 1, &err), ==, SB_EPROTOCOL);
  CHECK(strstr(err.msg, "NUL") != NULL);
  CHECK(huge != NULL);
  memset(huge, ' ', big);
  memcpy(huge, "{\"records\":[]}", 14);
  for (w = REQ; w <= PAGE; w++) {
    CHECK_INT(decode(w, huge, big, &err), ==, SB_EPROTOCOL);
    CHECK(strstr(err.msg, "too large") != NULL);
  }
  /* One byte less is fine (trailing whitespace). */
  CHECK_INT(decode(REQ, huge, big - 1, &err), ==, 0);
  free(huge);
}

TEST(unknown_fields_ignored)
{
  struct sb_err err = {0};
  struct push_req req;
  struct push_reply rep;
  struct changes_page page;
  const char *req_text =
      "{\"v\":2,\"records\":[{\"collection\":\"visits\",\"deleted\":false,"
      "\"fields\":{\"name\":[{\"dot\":[\"r1\",1],\"extra\":[1,2],\"ts\":5,"
      "\"value\":\"Siti\"}]},\"id\":\"v1\",\"new\":{\"a\":1},"
      "\"tombstones\":[],\"vv\":{\"r1\":1}}],\"zzz\":null}";
  const char *rep_text =
      "{\"last_seq\":3,\"results\":[{\"collection\":\"visits\",\"hint\":\"x\","
      "\"id\":\"v1\",\"ok\":true,\"seq\":3,\"took_ms\":1}],\"server\":\"hub\"}";
  const char *page_text = "{\"changes\":[{\"record\":" GOOD
                          ",\"seq\":3,\"at\":\"now\"}],\"more\":false,"
                          "\"next\":3,\"stats\":{}}";
  char *text;

  push_req_init(&req);
  CHECK_INT(push_req_decode(&req, req_text, strlen(req_text), NULL, &err), ==,
            0);
  CHECK_INT(req.n, ==, 1);
  text = record_encode(&req.recs[0]);
  CHECK_STR(text, GOOD);
  free(text);
  push_req_release(&req);

  push_reply_init(&rep);
  CHECK_INT(push_reply_decode(&rep, rep_text, strlen(rep_text), &err), ==, 0);
  CHECK_INT(rep.n, ==, 1);
  CHECK(rep.res[0].ok);
  CHECK_INT(rep.res[0].seq, ==, 3);
  /* An "ok" result ignores a stray "error", a refused one a stray "seq". */
  push_reply_release(&rep);

  changes_page_init(&page);
  CHECK_INT(changes_page_decode(&page, page_text, strlen(page_text), &err), ==,
            0);
  CHECK_INT(page.n, ==, 1);
  CHECK_INT(page.c[0].seq, ==, 3);
  CHECK_STR(page.c[0].rec.id, "v1");
  changes_page_release(&page);
}

TEST(decode_replaces_previous_content)
{
  struct push_req req;
  struct sb_err err = {0};
  const char *one = RECS(GOOD);
  const char *bad = RECS(GOOD ",1");

  push_req_init(&req);
  CHECK_INT(push_req_decode(&req, one, strlen(one), NULL, &err), ==, 0);
  CHECK_INT(req.n, ==, 1);
  CHECK_INT(push_req_decode(&req, one, strlen(one), NULL, &err), ==, 0);
  CHECK_INT(req.n, ==, 1);
  CHECK_INT(push_req_decode(&req, bad, strlen(bad), NULL, &err), ==,
            SB_EPROTOCOL);
  CHECK_INT(req.n, ==, 0);
  push_req_release(&req);
}

TEST(push_req_bad_record)
{
  static const struct {
    const char *body;
    int rc;
    long index; /* the record the refusal names, or -1 */
  } cases[] = {
      {RECS(GOOD), 0, -1},
      {RECS("1"), SB_EPROTOCOL, 0},
      {RECS(GOOD ",{}"), SB_EPROTOCOL, 1},
      {RECS(GOOD "," GOOD ",null"), SB_EPROTOCOL, 2},
      {RECS(GOOD "," GOOD "," GOOD ",null"), SB_EPROTOCOL, 3},
      {"{\"records\":{}}", SB_EPROTOCOL, -1},
      {"not json", SB_EPROTOCOL, -1},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct push_req p;
    struct sb_err err = {0};
    long bad = 55;
    int rc;

    push_req_init(&p);
    rc = push_req_decode(&p, cases[i].body, strlen(cases[i].body), &bad, &err);
    CHECK_INT(rc, ==, cases[i].rc);
    CHECK_INT(bad, ==, cases[i].index);
    push_req_release(&p);
  }
}

TEST(push_chain_header)
{
#define H1 "0123456789abcdef0123456789abcdef"
#define H2 "fedcba9876543210fedcba9876543210"
  static const char *const bad[] = {
      "",
      "-",
      "- ",
      H1,
      "- " H1,
      "- " H1 " ",
      "-  " H1 " 0",
      "- 0123456789abcdef0123456789abcde 0",
      "- " H1 "0 0",
      "- 0123456789ABCDEF0123456789abcdef 0",
      "- " H1 " 0 ",
      "- " H1 " 01",
      "- " H1 " -1",
      "- " H1 " 9007199254740993",
      "- " H1 " 12345678901234567",
      "x " H1 " 0",
      H1 " " H1 " 5",
      "0123456789abcdef0123456789abcdeg " H1 " 0",
      H1 " " H2,
  };
  struct proto_chain c;
  struct sb_err err = {0};
  char out[PROTO_CHAIN_TEXT_MAX + 1];
  size_t i;

  CHECK_INT(proto_chain_decode("- " H1 " 0", &c, &err), ==, 0);
  CHECK_STR(c.prev, "");
  CHECK_STR(c.next, H1);
  CHECK_INT(c.since, ==, 0);
  proto_chain_encode(&c, out);
  CHECK_STR(out, "- " H1 " 0");
  CHECK_INT(proto_chain_decode(H1 " " H2 " 9007199254740992", &c, &err), ==, 0);
  CHECK_STR(c.prev, H1);
  CHECK_STR(c.next, H2);
  CHECK_INT(c.since, ==, SB_COUNTER_MAX);
  proto_chain_encode(&c, out);
  CHECK_STR(out, H1 " " H2 " 9007199254740992");
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    memset(&err, 0, sizeof(err));
    CHECK_INT(proto_chain_decode(bad[i], &c, &err), ==, SB_EPROTOCOL);
    CHECK(strstr(err.msg, PROTO_CHAIN_HEADER) != NULL);
  }
  CHECK_INT(proto_err_parse("copied_store"), ==, PROTO_ERR_COPIED_STORE);
  CHECK_INT(proto_err_status(PROTO_ERR_COPIED_STORE), ==, 409);
#undef H1
#undef H2
}

TEST(changes_query_skip_own)
{
  struct sb_err err = {0};
  bool skip = true;

  CHECK_INT(changes_query_skip_own(NULL, &skip, &err), ==, 0);
  CHECK(!skip);
  CHECK_INT(changes_query_skip_own("0", &skip, &err), ==, 0);
  CHECK(!skip);
  CHECK_INT(changes_query_skip_own("1", &skip, &err), ==, 0);
  CHECK(skip);
  CHECK_INT(changes_query_skip_own("true", &skip, &err), ==, SB_EINVAL);
  CHECK(!skip);
  CHECK(strstr(err.msg, "skip_own") != NULL);
  CHECK_INT(changes_query_skip_own("", &skip, &err), ==, SB_EINVAL);
  CHECK_INT(changes_query_skip_own("01", &skip, &err), ==, SB_EINVAL);
}

/* The tree-less decoders against the cJSON path on what differs between
 * yajl and cJSON: keys out of order, numbers, escapes, surrogates, what
 * follows the value (tests/fuzz/fuzz_record_decode.c does this at random). */
TEST(decode_without_tree_matches_tree)
{
  static const char *const bodies[] = {
      RECS("{\"vv\":{\"r2\":1,\"r1\":2},\"tombstones\":[],\"id\":\"v1\","
           "\"fields\":{\"z\":[{\"value\":{\"b\":[1,-0,1e2,0.1,2147483648,"
           "1.0000000000000002,1.2345678901234567e16],\"a\":"
           "\"\\u00e9\\n\\u0001\","
           "\"c\":{\"y\":null,\"x\":true}},\"ts\":3,\"dot\":[\"r1\",1]}],"
           "\"a\":[{\"dot\":[\"r1\",2],\"ts\":4.0,\"value\":"
           "\"\\ud83d\\ude00\"}]},\"deleted\":false,\"collection\":\"visits\","
           "\"x\":{\"q\":1,\"p\":[]}}"),
      RECS(GOOD) "\f",
      RECS(GOOD) " \"",
      RECS("{\"collection\":\"visits\",\"deleted\":false,\"fields\":{\"a\":"
           "[{\"dot\":[\"r1\",1],\"ts\":1,\"value\":\"\\udc00\"}]},\"id\":"
           "\"v1\","
           "\"tombstones\":[],\"vv\":{\"r1\":1}}"),
      RECS(GOOD ",{\"collection\":\"visits\",\"x\":{\"k\":1,\"k\":2}}"),
      "{\"records\":[],\"x\":{\"a\":1,\"a\":1}}",
  };
  size_t i, k;

  for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    struct push_req a, b;
    long bad_a = 9, bad_b = 9;
    int ra, rb;
    push_req_init(&a);
    push_req_init(&b);
    ra = push_req_decode(&a, bodies[i], strlen(bodies[i]), &bad_a, NULL);
    rb = push_req_decode_tree(&b, bodies[i], strlen(bodies[i]), &bad_b, NULL);
    CHECK_INT(ra, ==, rb);
    CHECK_INT(bad_a, ==, bad_b);
    CHECK_INT(a.n, ==, b.n);
    for (k = 0; k < a.n; k++) {
      char *ta = record_encode(&a.recs[k]), *tb = record_encode(&b.recs[k]);
      CHECK_STR(ta, tb);
      free(ta);
      free(tb);
    }
    push_req_release(&a);
    push_req_release(&b);
  }
  /* The first body is accepted, in canonical form; the others refused. */
  {
    struct push_req a;
    char *t;
    push_req_init(&a);
    CHECK_INT(push_req_decode(&a, bodies[0], strlen(bodies[0]), NULL, NULL), ==,
              0);
    t = record_encode(&a.recs[0]);
    CHECK(strstr(t, "\"value\":{\"a\":\"\xc3\xa9\\n\\u0001\",\"b\":[1,-0,100,"
                    "0.1,2147483648,1.0000000000000002,1.2345678901234568e+16],"
                    "\"c\":{\"x\":true,\"y\":null}}") != NULL);
    free(t);
    push_req_release(&a);
  }
}

/* The tree-less push reply decoder against the cJSON one: members in any
 * order, ignored members of any shape, duplicates at any depth, limits. */
TEST(push_reply_without_tree_matches_tree)
{
  static const char *const bodies[] = {
      "{\"results\":[{\"seq\":7,\"ok\":true,\"id\":\"a\",\"collection\":"
      "\"visits\",\"error\":[1,{\"z\":2}]},{\"ok\":false,\"seq\":\"x\","
      "\"error\":{\"message\":\"no \\u00e9\",\"x\":{},\"code\":\"schema\"},"
      "\"collection\":\"people\",\"id\":\"p-7\"}],\"x\":[null],"
      "\"last_seq\":9}",
      "{\"last_seq\":1,\"results\":[]}",
      /* "echo" of an accepted record; a refusal's is ignored */
      "{\"last_seq\":2,\"results\":[{\"collection\":\"v\",\"echo\":true,"
      "\"id\":\"a\",\"ok\":true,\"seq\":1},{\"collection\":\"v\",\"echo\":"
      "false,\"id\":\"b\",\"ok\":true,\"seq\":2},{\"collection\":\"v\","
      "\"echo\":[1],\"error\":{\"code\":\"schema\",\"message\":\"m\"},"
      "\"id\":\"c\",\"ok\":false}]}",
      "{\"last_seq\":1,\"results\":[{\"collection\":\"v\",\"id\":\"a\","
      "\"ok\":true,\"seq\":1,\"echo\":1}]}",
      "{\"last_seq\":1,\"results\":[{\"collection\":\"v\",\"id\":\"a\","
      "\"ok\":true,\"seq\":1,\"echo\":true,\"echo\":true}]}",
      "{\"last_seq\":1,\"results\":[],\"last_seq\":1}",
      "{\"last_seq\":1,\"results\":[{\"collection\":\"v\",\"id\":\"a\","
      "\"ok\":true,\"seq\":1,\"seq\":1}]}",
      "{\"last_seq\":1,\"results\":[],\"x\":{\"a\":1,\"a\":2}}",
      "{\"last_seq\":1,\"results\":[{\"collection\":\"v\",\"id\":\"a\","
      "\"ok\":false,\"error\":{\"code\":\"Bad\",\"message\":\"m\"}}]}",
      "{\"last_seq\":1,\"results\":[{\"collection\":\"v\",\"id\":\"a\","
      "\"ok\":false,\"error\":{\"code\":\"bad\",\"message\":\"\"}}]}",
      "{\"last_seq\":1,\"results\":[{\"collection\":\"v\",\"id\":\"\","
      "\"ok\":true,\"seq\":1}]}",
      "{\"last_seq\":1,\"results\":[{\"collection\":\"v\",\"id\":\"a\","
      "\"ok\":1,\"seq\":1}]}",
      "{\"last_seq\":1.0,\"results\":[{\"collection\":\"v\",\"id\":\"a\","
      "\"ok\":true,\"seq\":9007199254740993}]}",
      "{\"last_seq\":-1,\"results\":[]}",
      "{\"last_seq\":1,\"results\":{}}",
      "{\"last_seq\":1,\"results\":[1]}",
      "[{\"last_seq\":1,\"results\":[]}]",
      "{\"last_seq\":1,\"results\":[]} x",
  };
  size_t i, k;

  for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    struct push_reply a, b;
    struct sb_err ea = {0}, eb = {0};
    int ra, rb;
    push_reply_init(&a);
    push_reply_init(&b);
    ra = push_reply_decode(&a, bodies[i], strlen(bodies[i]), &ea);
    rb = push_reply_decode_tree(&b, bodies[i], strlen(bodies[i]), &eb);
    CHECK_INT(ra, ==, rb);
    CHECK_INT(a.n, ==, b.n);
    CHECK(a.last_seq == b.last_seq);
    for (k = 0; k < a.n; k++) {
      CHECK_STR(a.res[k].collection, b.res[k].collection);
      CHECK_STR(a.res[k].id, b.res[k].id);
      CHECK(a.res[k].ok == b.res[k].ok && a.res[k].seq == b.res[k].seq);
      CHECK(a.res[k].echo == b.res[k].echo);
      CHECK_STR(a.res[k].code, b.res[k].code);
      CHECK_STR(a.res[k].message, b.res[k].message);
    }
    /* The first three are accepted, the rest refused, saying why. */
    CHECK_INT(ra, ==, i < 3 ? 0 : SB_EPROTOCOL);
    if (i == 2)
      CHECK(a.n == 3 && a.res[0].echo && !a.res[1].echo && !a.res[2].echo);
    CHECK(ra == 0 || strstr(ea.msg, "push reply") != NULL);
    push_reply_release(&a);
    push_reply_release(&b);
  }
}
