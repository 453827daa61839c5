/*
 * test_strict.c - no value changes silently (issue 9, item 5): every hazard
 * cJSON would lose (NUL in a string or key, a non-finite or underflowing
 * number, an integer beyond 2^53) is refused, with a message naming it, on
 * every way in: json_parse (the CLI's put/import/resolve), push_req_decode,
 * changes_page_decode and record_decode; values at the limits are kept
 * exactly. And the caps of item 6: elements per container, depth, the text
 * of one pushed state.
 */
#include "check.h"

#include "json.h"
#include "json_strict.h"
#include "proto.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A record state of replica r1 with field "v" = value, and vv r1:vv. */
static char *state(const char *value, const char *vv)
{
#define STATE_FMT                                                              \
  "{\"collection\":\"notes\",\"deleted\":false,\"fields\":"                    \
  "{\"v\":[{\"dot\":[\"r1\",1],\"ts\":5,\"value\":%s}]},"                      \
  "\"id\":\"n1\",\"tombstones\":[],\"vv\":{\"r1\":%s}}"
  size_t n = sizeof(STATE_FMT) + strlen(value) + strlen(vv) + 1;
  char *s = malloc(n);
  CHECK(s != NULL);
  snprintf(s, n, STATE_FMT, value, vv);
  return s;
}

static char *wrap(const char *pre, const char *mid, const char *post)
{
  size_t n = strlen(pre) + strlen(mid) + strlen(post) + 1;
  char *s = malloc(n);
  CHECK(s != NULL);
  snprintf(s, n, "%s%s%s", pre, mid, post);
  return s;
}

enum path { JSON, PUSH, PAGE, RECORD, NPATHS };

/* Decodes text on path; 0 or the error, with the message in err. */
static int decode(enum path p, const char *text, struct sb_err *err,
                  char **canon)
{
  struct push_req pr;
  struct changes_page pg;
  struct record r;
  cJSON *j;
  int rc;

  *canon = NULL;
  switch (p) {
  case JSON:
    j = json_parse(text, strlen(text), "JSON_OBJECT", err);
    if (j == NULL)
      return err->code;
    *canon = json_canon(j);
    cJSON_Delete(j);
    return 0;
  case PUSH: {
    char *body = wrap("{\"records\":[", text, "]}");
    long bad = 77;
    push_req_init(&pr);
    rc = push_req_decode(&pr, body, strlen(body), &bad, err);
    free(body);
    if (rc == 0)
      *canon = record_encode(&pr.recs[0]);
    else
      CHECK_INT(bad, ==, 0); /* the record at fault is named */
    push_req_release(&pr);
    return rc;
  }
  case PAGE: {
    char *body = wrap("{\"changes\":[{\"record\":", text,
                      ",\"seq\":1}],\"more\":false,"
                      "\"next\":1}");
    changes_page_init(&pg);
    rc = changes_page_decode(&pg, body, strlen(body), err);
    free(body);
    if (rc == 0)
      *canon = record_encode(&pg.c[0].rec);
    changes_page_release(&pg);
    return rc;
  }
  default:
    record_init(&r, "", "");
    rc = record_decode(&r, text, strlen(text), err);
    if (rc == 0)
      *canon = record_encode(&r);
    record_release(&r);
    return rc;
  }
}

static const struct {
  const char *value; /* a field value (or, with vv, the vv counter) */
  const char *vv;
  const char *names; /* what the message must say */
} hazards[] = {
    {"\"a\\u0000b\"", "1", "NUL character"},
    {"{\"a\\u0000\":1}", "1", "key with a NUL character"},
    {"[\"x\",\"\\u0000\"]", "1", "NUL character"},
    {"1e999", "1", "too large for a double"},
    {"-1e400", "1", "too large for a double in \"value\": -1e400"},
    {"1e-400", "1", "too small for a double"},
    {"9007199254740993", "1", "beyond +-2^53 (not exact) in \"value\""},
    {"-9007199254740993", "1", "beyond +-2^53"},
    {"123456789012345678901234567890", "1", "beyond +-2^53"},
    {"1", "9007199254740993", "beyond +-2^53 (not exact) in \"r1\""},
};

TEST(hazards_refused_on_every_path)
{
  size_t i, n = sizeof(hazards) / sizeof(hazards[0]);
  int p;
  for (i = 0; i < n; i++) {
    char *s = state(hazards[i].value, hazards[i].vv);
    for (p = 0; p < NPATHS; p++) {
      struct sb_err err = {0};
      char *canon;
      int rc = decode((enum path)p, s, &err, &canon);
      fprintf(stderr, "hazard %zu path %d: %s\n", i, p, err.msg);
      CHECK(rc != 0);
      CHECK(canon == NULL);
      CHECK_INT(rc, ==, p == PUSH || p == PAGE ? SB_EPROTOCOL : SB_EJSON);
      CHECK(strstr(err.msg, hazards[i].names) != NULL);
    }
    free(s);
  }
}

TEST(limit_values_kept_exactly)
{
  static const char *const values[] = {"9007199254740992",
                                       "-9007199254740992",
                                       "1e+308",
                                       "-1e+308",
                                       "\"a\\u0001b\"",
                                       "0.1",
                                       "1234567890123456.8",
                                       "4.94065645841247e-324",
                                       "[1,2,{\"k\":\"\\u001f\"}]"};
  size_t i;
  int p;
  for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    char *s = state(values[i], i == 0 ? "9007199254740992" : "1");
    char *want = wrap("\"value\":", values[i], "}");
    for (p = 0; p < NPATHS; p++) {
      struct sb_err err = {0};
      char *canon;
      int rc = decode((enum path)p, s, &err, &canon);
      if (rc != 0)
        fprintf(stderr, "value %s path %d: %s\n", values[i], p, err.msg);
      CHECK_INT(rc, ==, 0);
      if (strstr(canon, want) == NULL)
        fprintf(stderr, "path %d: %s lacks %s\n", p, canon, want);
      CHECK(canon != NULL && strstr(canon, want) != NULL);
      free(canon);
    }
    free(want);
    free(s);
  }
}

/* json_parse on a value of n elements, nested depth d deep. */
static int parse_shape(size_t n, bool object, int depth, struct sb_err *err)
{
  size_t cap = n * 12 + (size_t)depth * 2 + 16, at = 0, i;
  char *s = malloc(cap);
  cJSON *j;
  int k;
  CHECK(s != NULL);
  for (k = 0; k < depth; k++)
    s[at++] = '[';
  s[at++] = object ? '{' : '[';
  for (i = 0; i < n; i++)
    at += (size_t)snprintf(s + at, cap - at, object ? "%s\"k%zu\":0" : "%s0",
                           i ? "," : "", i);
  s[at++] = object ? '}' : ']';
  for (k = 0; k < depth; k++)
    s[at++] = ']';
  j = json_parse(s, at, "the value", err);
  free(s);
  cJSON_Delete(j);
  return j != NULL ? 0 : err->code;
}

TEST(element_and_depth_caps)
{
  struct sb_err err = {0};
  CHECK_INT(parse_shape(JSON_MAX_ELEMENTS, false, 0, &err), ==, 0);
  CHECK_INT(parse_shape(JSON_MAX_ELEMENTS + 1, false, 0, &err), ==, SB_EJSON);
  CHECK(strstr(err.msg, "array of more than 10000 elements") != NULL);
  CHECK_INT(parse_shape(JSON_MAX_ELEMENTS, true, 0, &err), ==, 0);
  CHECK_INT(parse_shape(JSON_MAX_ELEMENTS + 1, true, 0, &err), ==, SB_EJSON);
  CHECK(strstr(err.msg, "object of more than 10000 members") != NULL);
  CHECK_INT(parse_shape(1, false, JSON_MAX_DEPTH - 1, &err), ==, 0);
  CHECK_INT(parse_shape(1, false, JSON_MAX_DEPTH, &err), ==, SB_EJSON);
  CHECK(strstr(err.msg, "nested more than 64 deep") != NULL);
}

TEST(push_names_the_record_at_fault)
{
  char *good = state("1", "1"), *bad = state("1e999", "1");
  char *body, *tmp;
  struct push_req pr;
  struct sb_err err = {0};
  long idx = -5;

  tmp = wrap("{\"records\":[", good, ",");
  body = wrap(tmp, good, ",");
  free(tmp);
  tmp = body;
  body = wrap(tmp, bad, "]}");
  free(tmp);
  push_req_init(&pr);
  CHECK_INT(push_req_decode(&pr, body, strlen(body), &idx, &err), ==,
            SB_EPROTOCOL);
  CHECK_INT(idx, ==, 2);
  CHECK(strstr(err.msg, "too large for a double") != NULL);
  CHECK_INT(pr.n, ==, 0);
  free(body);
  free(good);
  free(bad);
}

TEST(push_state_text_capped)
{
  /* A state over PROTO_MAX_STATE_TEXT bytes of text (whitespace counts):
   * refused with its index, before any tree of it is built. */
  size_t pad = PROTO_MAX_STATE_TEXT;
  char *ws = malloc(pad + 1), *good = state("1", "1"), *big, *body, *tmp;
  struct push_req pr;
  struct sb_err err = {0};
  long idx = -5;

  CHECK(ws != NULL);
  memset(ws, ' ', pad);
  ws[pad - 1] = '1'; /* the value: 1 after the spaces */
  ws[pad] = '\0';
  big = state(ws, "1");
  tmp = wrap("{\"records\":[", good, ",");
  body = wrap(tmp, big, "]}");
  push_req_init(&pr);
  CHECK_INT(push_req_decode(&pr, body, strlen(body), &idx, &err), ==,
            SB_EPROTOCOL);
  fprintf(stderr, "%s\n", err.msg);
  CHECK_INT(idx, ==, 1);
  CHECK(strstr(err.msg, "records\"[1] is too large") != NULL);
  free(tmp);
  free(body);
  free(big);
  free(ws);
  free(good);
}

TEST(push_skeleton_keeps_shape_checks)
{
  /* Duplicate root keys and unknown members still go through json_parse. */
  static const char *const bodies[] = {
      "{\"records\":[],\"records\":[]}",
      "{\"records\":[],\"x\":{\"a\":1,\"a\":2}}",
      "{\"records\":[],\"x\":\"\\u0000\"}",
      "{\"records\":[1e999]}",
      "{\"records\":{\"a\":1}}",
  };
  size_t i;
  for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    struct push_req pr;
    struct sb_err err = {0};
    long idx;
    push_req_init(&pr);
    CHECK_INT(push_req_decode(&pr, bodies[i], strlen(bodies[i]), &idx, &err),
              ==, SB_EPROTOCOL);
    fprintf(stderr, "body %zu: %s\n", i, err.msg);
  }
}

TEST(past_2p53_printed_with_exponent)
{
  /* Past 2^53 an integer literal is refused on input, so the printer must
   * not make one: 11172839450061728.8 reads back from its canonical text. */
  struct sb_err err = {0};
  cJSON *j = json_parse("[11172839450061728.8,1e16,-9007199254740994.0]", 46,
                        "x", &err),
        *k;
  char *text;
  CHECK(j != NULL);
  text = json_canon(j);
  CHECK_STR(text, "[1.1172839450061728e+16,1e+16,-9.0071992547409940e+15]");
  k = json_parse(text, strlen(text), "canonical", &err);
  CHECK(k != NULL);
  CHECK(k->child->valuedouble == j->child->valuedouble);
  cJSON_Delete(k);
  cJSON_Delete(j);
  free(text);
}

/* A form feed or vertical tab is not JSON whitespace (yajl would take it
 * for one): refused as malformed on every path, before any record is
 * blamed, so the tree-less and the tree decoders say the same (the
 * differential fuzzer found a body with a bad record and a form feed). */
TEST(form_feed_and_vertical_tab_refused)
{
  static const char *const bodies[] = {
      "{\"records\":[\f]}",
      "{\"records\":\v[]}",
      "{\"records\":[{\"collection\":\"notes\",\"vv\":{\"r1\":1}}\f,7]}",
  };
  struct sb_err err = {0};
  size_t i;

  for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    struct push_req pr;
    long idx = -5, idx_tree = -5;
    push_req_init(&pr);
    CHECK_INT(push_req_decode(&pr, bodies[i], strlen(bodies[i]), &idx, &err),
              ==, SB_EPROTOCOL);
    CHECK(strstr(err.msg, "a form feed or vertical tab") != NULL);
    CHECK_INT(idx, ==, -1);
    push_req_release(&pr);
    push_req_init(&pr);
    CHECK_INT(push_req_decode_tree(&pr, bodies[i], strlen(bodies[i]), &idx_tree,
                                   &err),
              ==, SB_EPROTOCOL);
    CHECK_INT(idx_tree, ==, -1);
    push_req_release(&pr);
  }
  cJSON *j = json_parse("[1,\f2]", 6, "value", &err);
  CHECK(j == NULL);
  CHECK_INT(err.code, ==, SB_EJSON);
  CHECK(strstr(err.msg, "byte 3") != NULL);
}
