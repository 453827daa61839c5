/* test_vv.c - version vectors: set/get, compare, merge, JSON in and out. */
#include "check.h"

#include "vv.h"

/* A vector from "r=c r=c ..." (test input only). */
static void make(struct vv *vv, const char *spec)
{
  char buf[256], *p, *next;
  vv_init(vv);
  snprintf(buf, sizeof(buf), "%s", spec);
  for (p = buf; *p != '\0'; p = next) {
    char *eq = strchr(p, '=');
    char *sp = strchr(p, ' ');
    next = sp ? sp + 1 : p + strlen(p);
    if (sp)
      *sp = '\0';
    CHECK(eq != NULL);
    *eq = '\0';
    CHECK_INT(vv_set(vv, p, strtoull(eq + 1, NULL, 10)), ==, 0);
  }
}

static enum vv_order order_of(const char *a, const char *b)
{
  struct vv va, vb;
  enum vv_order o;
  make(&va, a);
  make(&vb, b);
  o = vv_compare(&va, &vb);
  vv_release(&va);
  vv_release(&vb);
  return o;
}

static char *text(const struct vv *vv)
{
  cJSON *j = vv_to_json(vv);
  char *s;
  CHECK(j != NULL);
  s = cJSON_PrintUnformatted(j);
  CHECK(s != NULL);
  cJSON_Delete(j);
  return s;
}

TEST(set_get)
{
  struct vv vv;
  char *s;
  vv_init(&vv);
  CHECK_INT(vv_get(&vv, "a"), ==, 0);
  CHECK_INT(vv_set(&vv, "b", 2), ==, 0);
  CHECK_INT(vv_set(&vv, "a", 1), ==, 0);
  CHECK_INT(vv_set(&vv, "c", 3), ==, 0);
  CHECK_INT(vv_set(&vv, "B", 4), ==, 0);
  CHECK_INT(vv.n, ==, 4);
  /* Sorted by strcmp: "B" < "a" < "b" < "c". */
  CHECK_STR(vv.v[0].replica, "B");
  CHECK_STR(vv.v[1].replica, "a");
  CHECK_STR(vv.v[3].replica, "c");
  CHECK_INT(vv_get(&vv, "b"), ==, 2);
  CHECK_INT(vv_get(&vv, "d"), ==, 0);
  CHECK_INT(vv_set(&vv, "b", 7), ==, 0);
  CHECK_INT(vv_get(&vv, "b"), ==, 7);
  CHECK_INT(vv.n, ==, 4);

  /* Counter 0 removes; removing an absent one is a no-op. */
  CHECK_INT(vv_set(&vv, "a", 0), ==, 0);
  CHECK_INT(vv_set(&vv, "zz", 0), ==, 0);
  CHECK_INT(vv.n, ==, 3);
  s = text(&vv);
  CHECK_STR(s, "{\"B\":4,\"b\":7,\"c\":3}");
  free(s);

  /* Bad ids are refused and leave the vector as it was. */
  CHECK_INT(vv_set(&vv, "", 1), ==, SB_EINVAL);
  CHECK_INT(vv_set(&vv, "has space", 1), ==, SB_EINVAL);
  CHECK_INT(vv_set(&vv, "dot.ted", 1), ==, SB_EINVAL);
  CHECK_INT(vv_set(&vv, "0123456789abcdef0123456789abcdef0", 1), ==, SB_EINVAL);
  CHECK_INT(vv.n, ==, 3);
  CHECK_INT(vv_set(&vv, "0123456789abcdef0123456789abcdef", 1), ==, 0);
  CHECK_INT(vv.n, ==, 4);

  /* Many entries (grows past the first allocation), still sorted. */
  {
    int i;
    char id[8];
    for (i = 99; i >= 0; i--) {
      snprintf(id, sizeof(id), "r%02d", i);
      CHECK_INT(vv_set(&vv, id, (uint64_t)i + 1), ==, 0);
    }
    CHECK_INT(vv.n, ==, 104);
    for (i = 1; i < (int)vv.n; i++)
      CHECK(strcmp(vv.v[i - 1].replica, vv.v[i].replica) < 0);
    CHECK_INT(vv_get(&vv, "r42"), ==, 43);
  }
  vv_release(&vv);
  CHECK_INT(vv.n, ==, 0);
  CHECK_INT(vv_get(&vv, "b"), ==, 0);
  /* Reusable after release. */
  CHECK_INT(vv_set(&vv, "x", 1), ==, 0);
  vv_release(&vv);
}

TEST(dot_cmp_and_covers)
{
  struct dot a1 = {"a", 1}, a2 = {"a", 2}, b1 = {"b", 1}, a10 = {"a", 10};
  struct vv vv;
  CHECK(vv_dot_cmp(&a1, &a2) < 0);
  CHECK(vv_dot_cmp(&a2, &a1) > 0);
  CHECK(vv_dot_cmp(&a2, &a10) < 0); /* numeric, not textual */
  CHECK(vv_dot_cmp(&a10, &b1) < 0); /* replica first */
  CHECK_INT(vv_dot_cmp(&b1, &b1), ==, 0);

  make(&vv, "a=2");
  CHECK(vv_covers(&vv, &a1));
  CHECK(vv_covers(&vv, &a2));
  CHECK(!vv_covers(&vv, &a10));
  CHECK(!vv_covers(&vv, &b1));
  vv_release(&vv);
}

TEST(compare)
{
  CHECK(order_of("", "") == VV_EQUAL);
  CHECK(order_of("a=1 b=2", "b=2 a=1") == VV_EQUAL);
  CHECK(order_of("a=1", "a=2") == VV_BEFORE);
  CHECK(order_of("a=2", "a=1") == VV_AFTER);
  CHECK(order_of("a=1 b=1", "a=2 b=1") == VV_BEFORE);
  CHECK(order_of("a=2 b=1", "a=1 b=2") == VV_CONCURRENT);
  /* A missing replica counts as 0. */
  CHECK(order_of("", "a=1") == VV_BEFORE);
  CHECK(order_of("a=1", "") == VV_AFTER);
  CHECK(order_of("a=1", "a=1 b=1") == VV_BEFORE);
  CHECK(order_of("a=1 b=1", "a=1") == VV_AFTER);
  CHECK(order_of("a=1 c=1", "a=1 b=1") == VV_CONCURRENT);
  CHECK(order_of("a=1", "b=1") == VV_CONCURRENT);
  CHECK(order_of("b=1", "a=1") == VV_CONCURRENT);
  CHECK(order_of("a=3", "a=1 b=1") == VV_CONCURRENT);
  CHECK(order_of("a=1 b=1 c=1", "b=1") == VV_AFTER);
  CHECK(order_of("b=1", "a=1 b=1 c=1") == VV_BEFORE);
  CHECK(order_of("a=1 z=5", "a=2 b=1 z=5") == VV_BEFORE);
}

static void check_merge(const char *a, const char *b, const char *want)
{
  struct vv va, vb, vw;
  make(&va, a);
  make(&vb, b);
  make(&vw, want);
  CHECK_INT(vv_merge(&va, &vb), ==, 0);
  CHECK(vv_compare(&va, &vw) == VV_EQUAL);
  /* b is untouched. */
  CHECK(order_of(b, b) == VV_EQUAL);
  {
    char *s = text(&va), *w = text(&vw);
    CHECK_STR(s, w);
    free(s);
    free(w);
  }
  vv_release(&va);
  vv_release(&vb);
  vv_release(&vw);
}

TEST(merge)
{
  check_merge("", "", "");
  check_merge("", "a=1", "a=1");
  check_merge("a=1", "", "a=1");
  check_merge("a=1", "a=3", "a=3");
  check_merge("a=3", "a=1", "a=3");
  check_merge("a=1 c=5", "b=2", "a=1 b=2 c=5");
  check_merge("b=2", "a=1 c=5", "a=1 b=2 c=5");
  check_merge("a=4 b=1", "a=2 b=9 d=1", "a=4 b=9 d=1");
  check_merge("a=1 b=1", "a=1 b=1", "a=1 b=1");
  check_merge("B=1 a=1", "b=1 b0=2", "B=1 a=1 b=1 b0=2");
}

TEST(copy)
{
  struct vv a, b;
  make(&a, "a=1 b=2");
  make(&b, "z=9");
  CHECK_INT(vv_copy(&b, &a), ==, 0);
  CHECK(vv_compare(&a, &b) == VV_EQUAL);
  CHECK_INT(vv_get(&b, "z"), ==, 0);
  CHECK_INT(vv_set(&a, "a", 5), ==, 0); /* deep copy */
  CHECK_INT(vv_get(&b, "a"), ==, 1);
  vv_release(&a);
  CHECK_INT(vv_copy(&b, &a), ==, 0);
  CHECK_INT(b.n, ==, 0);
  vv_release(&b);
}

TEST(json_roundtrip)
{
  struct vv a, b;
  struct sb_err err;
  cJSON *j;
  char *s;
  /* Up to 2^52 (cJSON 1.7.15 prints some integers above 2^52 lossily,
   * e.g. 2^53 as 9.00719925474099e+15). */
  make(&a, "z=1 a=4503599627370497 m=42");
  j = vv_to_json(&a);
  CHECK(j != NULL);
  vv_init(&b);
  CHECK_INT(vv_from_json(&b, j, &err), ==, 0);
  CHECK(vv_compare(&a, &b) == VV_EQUAL);
  CHECK_INT(vv_get(&b, "a"), ==, 4503599627370497ull);
  cJSON_Delete(j);
  s = text(&a);
  CHECK_STR(s, "{\"a\":4503599627370497,\"m\":42,\"z\":1}");
  free(s);

  /* 2^53 itself is the largest counter read. */
  j = cJSON_Parse("{\"a\":9007199254740992}");
  CHECK_INT(vv_from_json(&b, j, &err), ==, 0);
  CHECK_INT(vv_get(&b, "a"), ==, SB_COUNTER_MAX);
  cJSON_Delete(j);

  /* Input order does not matter; the vector comes out sorted. */
  j = cJSON_Parse("{\"q\":3,\"b\":2,\"k\":1}");
  CHECK_INT(vv_from_json(&b, j, &err), ==, 0);
  CHECK_STR(b.v[0].replica, "b");
  CHECK_STR(b.v[2].replica, "q");
  cJSON_Delete(j);
  j = cJSON_Parse("{}");
  CHECK_INT(vv_from_json(&b, j, &err), ==, 0);
  CHECK_INT(b.n, ==, 0);
  cJSON_Delete(j);
  vv_release(&a);
  vv_release(&b);
}

/* vv_from_json refuses text; the message names `needle`. */
static void refuses(const char *json, const char *needle)
{
  struct vv vv;
  struct sb_err err;
  cJSON *j = cJSON_Parse(json);
  CHECK(j != NULL);
  make(&vv, "old=1");
  memset(&err, 0, sizeof(err));
  CHECK_INT(vv_from_json(&vv, j, &err), ==, SB_EINVAL);
  CHECK_INT(err.code, ==, SB_EINVAL);
  if (strstr(err.msg, needle) == NULL) {
    fprintf(stderr, "message \"%s\" does not name \"%s\"\n", err.msg, needle);
    CHECK(!"message names the bad part");
  }
  CHECK_INT(vv.n, ==, 0); /* released */
  vv_release(&vv);
  cJSON_Delete(j);
}

TEST(from_json_refusals)
{
  struct vv vv;
  refuses("[]", "object");
  refuses("[[\"a\",1]]", "object");
  refuses("\"a\"", "object");
  refuses("1", "object");
  refuses("null", "object");
  refuses("{\"bad id\":1}", "bad id");
  refuses("{\"\":1}", "replica id");
  refuses("{\"caf\xc3\xa9\":1}", "replica id");
  refuses("{\"0123456789abcdef0123456789abcdef0\":1}", "replica id");
  refuses("{\"a\":0}", "\"a\"");
  refuses("{\"a\":-1}", "\"a\"");
  refuses("{\"a\":1.5}", "\"a\"");
  refuses("{\"a\":1e-3}", "\"a\"");
  refuses("{\"a\":9007199254740994}", "\"a\"");
  refuses("{\"a\":1e300}", "\"a\"");
  refuses("{\"a\":\"3\"}", "\"a\"");
  refuses("{\"a\":true}", "\"a\"");
  refuses("{\"a\":null}", "\"a\"");
  refuses("{\"a\":{}}", "\"a\"");
  refuses("{\"a\":[1]}", "\"a\"");
  refuses("{\"b\":1,\"a\":2,\"b\":3}", "\"b\"");
  refuses("{\"a\":1,\"b\":0}", "\"b\"");

  make(&vv, "x=1");
  CHECK_INT(vv_from_json(&vv, NULL, NULL), ==, SB_EINVAL);
  CHECK_INT(vv.n, ==, 0);
  vv_release(&vv);
}
