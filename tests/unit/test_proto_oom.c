/*
 * test_proto_oom.c - every allocation failure in the wire's decoders and
 * encoders (push requests and replies, change pages, gzip, device names).
 *
 * A hub decodes what any enrolled device sends while hundreds of others
 * do the same; when memory runs out it must refuse that one request with
 * SB_ENOMEM, leave nothing half decoded ("empty on failure", proto.h) and
 * leak nothing, never crash. Each decode and encode runs again and again
 * with its n-th allocation failing (oom.h) until a run makes none fail,
 * which must then give what a run without failure gives.
 */
#include "check.h"
#include "check_record.h"

#include "gzip.h"
#include "oom.h"
#include "proto.h"

#include <string.h>

/* Three states: one plain, one with siblings, one deleted. */
static void make(struct record r[3])
{
  struct record b;

  record_init(&r[0], "visit", "v1");
  check_put(&r[0], "A", 10, "{\"date\":\"2026-11-03\",\"notes\":\"a\\u00e9\"}");
  record_init(&r[1], "beneficiary", "b1");
  record_init(&b, "beneficiary", "b1");
  check_put(&r[1], "A", 20, "{\"kecamatan\":\"Setu\",\"group\":[\"anak\"]}");
  check_put(&b, "B", 30, "{\"kecamatan\":\"Pamulang\"}");
  CHECK_INT(record_merge(&r[1], &b), ==, 0);
  record_release(&b);
  record_init(&r[2], "visit", "v2");
  check_put(&r[2], "B", 40, "{\"date\":\"2026-11-04\"}");
  CHECK_INT(record_delete(&r[2], "B", 50), ==, 0);
}

static void release(struct record r[3])
{
  for (int i = 0; i < 3; i++)
    record_release(&r[i]);
}

/* encode(x) with no failure: what a run that failed nothing must give. */
static char *push_text(const struct push_req *p)
{
  const struct record *recs[3];
  char *t;
  size_t i;

  CHECK(p->n <= 3);
  for (i = 0; i < p->n; i++)
    recs[i] = &p->recs[i];
  t = push_req_encode(recs, p->n);
  CHECK(t != NULL);
  return t;
}

TEST(push_request)
{
  struct record r[3];
  const struct record *recs[3] = {&r[0], &r[1], &r[2]};
  char *body, *want;
  int op;

  make(r);
  want = push_req_encode(recs, 3);
  CHECK(want != NULL);
  for (op = 0; op < 2; op++) {
    OOM_EACH_FAILURE(n)
    {
      struct push_req p;
      struct sb_err err = {0};
      long bad = 7;
      int rc;

      push_req_init(&p);
      oom_arm(n);
      rc = op == 0 ? push_req_decode(&p, want, strlen(want), &bad, &err)
                   : push_req_decode_tree(&p, want, strlen(want), &bad, &err);
      oom_disarm();
      if (!oom_failed()) {
        char *t = push_text(&p);
        CHECK_INT(rc, ==, 0);
        CHECK_INT(bad, ==, -1);
        CHECK_STR(t, want);
        free(t);
        more_ = 0;
      } else {
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK_INT(p.n, ==, 0);
        CHECK(p.recs == NULL);
      }
      push_req_release(&p);
    }
  }
  OOM_EACH_FAILURE(n)
  {
    oom_arm(n);
    body = push_req_encode(recs, 3);
    oom_disarm();
    if (!oom_failed()) {
      CHECK_STR(body, want);
      more_ = 0;
    } else {
      CHECK(body == NULL);
    }
    free(body);
  }
  free(want);
  release(r);
}

TEST(push_reply)
{
  struct push_result res[2] = {
      {"visit", "v1", true, 42, true, "", ""},
      {"beneficiary", "b1", false, 0, false, "forged_entry", "b1: forged"}};
  struct push_reply in = {res, 2, 42};
  char *want = push_reply_encode(&in);
  int op;

  CHECK(want != NULL);
  for (op = 0; op < 3; op++) {
    OOM_EACH_FAILURE(n)
    {
      struct push_reply p;
      struct sb_err err = {0};
      char *t = NULL;
      int rc = 0;

      push_reply_init(&p);
      oom_arm(n);
      if (op == 0)
        rc = push_reply_decode(&p, want, strlen(want), &err);
      else if (op == 1)
        rc = push_reply_decode_tree(&p, want, strlen(want), &err);
      else
        t = push_reply_encode(&in);
      oom_disarm();
      if (op == 2) {
        if (!oom_failed())
          CHECK_STR(t, want);
        else
          CHECK(t == NULL);
      } else if (!oom_failed()) {
        CHECK_INT(rc, ==, 0);
        t = push_reply_encode(&p);
        CHECK_STR(t, want);
      } else {
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK_INT(p.n, ==, 0);
      }
      if (!oom_failed())
        more_ = 0;
      free(t);
      push_reply_release(&p);
    }
  }
  free(want);
}

/* A page of the three states and a gone entry, with every member. */
static char *page_text(char **states, bool *gone, uint64_t *seqs)
{
  struct changes_page_head head = {true, 9, "Pamulang,Setu", 3, 12};
  return changes_page_encode_head(seqs, (const char *const *)states, gone, 4,
                                  &head);
}

TEST(changes_page)
{
  struct record r[3];
  char *states[4];
  bool gone[4] = {false, false, false, true};
  uint64_t seqs[4] = {4, 5, 7, 9};
  char *want;
  int op, i;

  make(r);
  for (i = 0; i < 3; i++)
    CHECK((states[i] = record_encode(&r[i])) != NULL);
  CHECK((states[3] = changes_gone_encode("visit", "v9")) != NULL);
  want = page_text(states, gone, seqs);
  CHECK(want != NULL);
  for (op = 0; op < 3; op++) {
    OOM_EACH_FAILURE(n)
    {
      struct changes_page p;
      struct sb_err err = {0};
      char *t = NULL;
      int rc = 0;

      changes_page_init(&p);
      oom_arm(n);
      if (op == 0)
        rc = changes_page_decode(&p, want, strlen(want), &err);
      else if (op == 1)
        rc = changes_page_decode_tree(&p, want, strlen(want), &err);
      else
        t = page_text(states, gone, seqs);
      oom_disarm();
      if (op == 2) {
        if (!oom_failed())
          CHECK_STR(t, want);
        else
          CHECK(t == NULL);
      } else if (!oom_failed()) {
        CHECK_INT(rc, ==, 0);
        CHECK_INT(p.n, ==, 4);
        CHECK(p.c[3].gone);
        CHECK_STR(p.scope, "Pamulang,Setu");
        for (i = 0; i < 3; i++) {
          char *s = record_encode(&p.c[i].rec);
          CHECK_STR(s, states[i]);
          free(s);
        }
      } else {
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK_INT(p.n, ==, 0);
        CHECK(p.scope == NULL);
      }
      if (!oom_failed())
        more_ = 0;
      free(t);
      changes_page_release(&p);
    }
  }
  free(want);
  for (i = 0; i < 4; i++)
    free(states[i]);
  release(r);
}

/* The gzip'd page as the hub streams it, and its inflation. */
TEST(gzip)
{
  struct record r[3];
  char *states[3], *want, *packed, *out;
  uint64_t seqs[3] = {1, 2, 3};
  struct changes_page_head head = {false, 3, NULL, 0, 0};
  size_t want_len, packed_len, out_len;
  struct sb_err err = {0};
  int op, i;

  make(r);
  for (i = 0; i < 3; i++)
    CHECK((states[i] = record_encode(&r[i])) != NULL);
  want = changes_page_encode_head(seqs, (const char *const *)states, NULL, 3,
                                  &head);
  CHECK(want != NULL);
  want_len = strlen(want);
  CHECK_INT(gzip_deflate(want, want_len, &packed, &packed_len, &err), ==, 0);
  for (op = 0; op < 3; op++) {
    OOM_EACH_FAILURE(n)
    {
      int rc;
      out = NULL;
      out_len = 0;
      oom_arm(n);
      if (op == 0)
        rc = changes_page_gzip(seqs, (const char *const *)states, NULL, 3,
                               &head, &out, &out_len, &err);
      else if (op == 1)
        rc = gzip_deflate(want, want_len, &out, &out_len, &err);
      else
        rc = gzip_inflate(packed, packed_len, 1 << 20, &out, &out_len, &err);
      oom_disarm();
      if (!oom_failed()) {
        CHECK_INT(rc, ==, 0);
        if (op == 2) {
          CHECK_INT(out_len, ==, want_len);
          CHECK(memcmp(out, want, want_len) == 0);
        } else {
          CHECK_INT(out_len, ==, packed_len);
          CHECK(memcmp(out, packed, packed_len) == 0);
        }
        more_ = 0;
      } else {
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK(out == NULL);
      }
      free(out);
    }
  }
  free(packed);
  free(want);
  for (i = 0; i < 3; i++)
    free(states[i]);
  release(r);
}

TEST(names)
{
  static const char body[] = "{\"names\":{\"00000000000000aa\":\"tablet-01\","
                             "\"00000000000000bb\":\"tablet-02\"}}";

  OOM_EACH_FAILURE(n)
  {
    struct proto_names nm;
    struct sb_err err = {0};
    int rc;

    names_init(&nm);
    oom_arm(n);
    rc = names_decode(&nm, body, strlen(body), &err);
    oom_disarm();
    if (!oom_failed()) {
      CHECK_INT(rc, ==, 0);
      CHECK_STR(names_find(&nm, "00000000000000bb"), "tablet-02");
      more_ = 0;
    } else {
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK_INT(nm.n, ==, 0);
    }
    names_release(&nm);
  }
}
