/* test_json.c - UTF-8 validation and canonical JSON parsing. */
#include "check.h"

#include "jcanon.h"
#include "buf.h"
#include "comma_list.h"
#include "json.h"
#include "record.h"
#include "utf8.h"

struct utf8_case {
  const char *s;
  size_t len; /* 0: strlen */
  bool valid;
  const char *what;
};

static const struct utf8_case utf8_cases[] = {
    {"", 0, true, "empty"},
    {"Tangerang Selatan", 0, true, "ASCII"},
    {"a\0b", 3, true, "NUL is a valid code point"},
    {"\x7f", 0, true, "U+007F"},
    {"\xc2\x80", 0, true, "U+0080, first 2-byte"},
    {"caf\xc3\xa9", 0, true, "e acute"},
    {"\xdf\xbf", 0, true, "U+07FF, last 2-byte"},
    {"\xe0\xa0\x80", 0, true, "U+0800, first 3-byte"},
    {"\xe6\xbc\xa2\xe5\xad\x97", 0, true, "CJK"},
    {"\xed\x9f\xbf", 0, true, "U+D7FF, below the surrogates"},
    {"\xee\x80\x80", 0, true, "U+E000, above the surrogates"},
    {"\xef\xbf\xbd", 0, true, "U+FFFD"},
    {"\xef\xbf\xbf", 0, true, "U+FFFF"},
    {"\xf0\x90\x80\x80", 0, true, "U+10000, first 4-byte"},
    {"\xf0\x9f\x98\x80", 0, true, "emoji"},
    {"\xf4\x8f\xbf\xbf", 0, true, "U+10FFFF, the last"},
    /* overlongs */
    {"\xc0\x80", 0, false, "overlong NUL"},
    {"\xc0\xaf", 0, false, "overlong /"},
    {"\xc1\xbf", 0, false, "overlong U+007F"},
    {"\xe0\x80\x80", 0, false, "overlong 3-byte NUL"},
    {"\xe0\x9f\xbf", 0, false, "overlong U+07FF"},
    {"\xf0\x80\x80\x80", 0, false, "overlong 4-byte NUL"},
    {"\xf0\x8f\xbf\xbf", 0, false, "overlong U+FFFF"},
    /* surrogates */
    {"\xed\xa0\x80", 0, false, "U+D800"},
    {"\xed\xaf\xbf", 0, false, "U+DBFF"},
    {"\xed\xb0\x80", 0, false, "U+DC00"},
    {"\xed\xbf\xbf", 0, false, "U+DFFF"},
    {"\xed\xa0\xbd\xed\xb8\x80", 0, false, "CESU-8 surrogate pair"},
    /* beyond U+10FFFF */
    {"\xf4\x90\x80\x80", 0, false, "U+110000"},
    {"\xf5\x80\x80\x80", 0, false, "F5 lead"},
    {"\xf7\xbf\xbf\xbf", 0, false, "F7 lead"},
    {"\xf8\x88\x80\x80\x80", 0, false, "5-byte form"},
    {"\xfc\x84\x80\x80\x80\x80", 0, false, "6-byte form"},
    {"\xfe", 0, false, "FE"},
    {"\xff", 0, false, "FF"},
    /* stray continuation bytes */
    {"\x80", 0, false, "lone continuation"},
    {"\xbf", 0, false, "lone continuation BF"},
    {"a\x80z", 0, false, "continuation after ASCII"},
    {"\xc3\xa9\xa9", 0, false, "one continuation too many"},
    /* truncated sequences */
    {"\xc3", 0, false, "2-byte, 1 of 2"},
    {"\xe2\x82", 0, false, "3-byte, 2 of 3"},
    {"\xe2", 0, false, "3-byte, 1 of 3"},
    {"\xf0\x9f\x98", 0, false, "4-byte, 3 of 4"},
    {"\xf0\x9f", 0, false, "4-byte, 2 of 4"},
    {"abc\xc3", 0, false, "truncated at the end"},
    {"\xc3\xa9", 1, false, "cut by len"},
    {"\xf0\x9f\x98\x80", 3, false, "4-byte cut by len"},
    {"\xc3"
     "a",
     0, false, "ASCII where a continuation belongs"},
    {"\xe2\x28\xa1", 0, false, "bad second byte"},
    {"\xe2\x82\x28", 0, false, "bad third byte"},
    {"\xf0\x9f\x98\x28", 0, false, "bad fourth byte"},
    {"\xf0\x9f\x98\xc3\xa9", 0, false, "lead where a continuation belongs"},
};

TEST(utf8_table)
{
  size_t i;
  for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
    const struct utf8_case *c = &utf8_cases[i];
    size_t len = c->len ? c->len : strlen(c->s);
    if (utf8_valid(c->s, len) != c->valid) {
      fprintf(stderr, "utf8_valid wrong for %s\n", c->what);
      CHECK(!"utf8_valid as the table says");
    }
  }
}

/* The table again, each case after 0..17 ASCII bytes and before 0..17
 * more: utf8_valid reads ASCII eight bytes at a time, so every case meets
 * that path at each offset and cut of a word. */
TEST(utf8_table_inside_ascii)
{
  char b[64];
  size_t i, pre, post;
  for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
    const struct utf8_case *c = &utf8_cases[i];
    size_t len = c->len ? c->len : strlen(c->s);
    for (pre = 0; pre < 18; pre++) {
      for (post = 0; post < 18; post++) {
        memset(b, 'x', sizeof(b));
        memcpy(b + pre, c->s, len);
        if (utf8_valid(b, pre + len + post) != c->valid) {
          fprintf(stderr, "utf8_valid wrong for %s after %zu, before %zu\n",
                  c->what, pre, post);
          CHECK(!"utf8_valid as the table says, wherever the case sits");
        }
      }
    }
  }
}

/* cp as UTF-8 into b (4 bytes, the rest zeroed); its length. */
static size_t encode_utf8(uint32_t cp, unsigned char b[4])
{
  memset(b, 0, 4);
  if (cp < 0x80) {
    b[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    b[0] = (unsigned char)(0xC0 | (cp >> 6));
    b[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    b[0] = (unsigned char)(0xE0 | (cp >> 12));
    b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  b[0] = (unsigned char)(0xF0 | (cp >> 18));
  b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  b[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Every code point encodes to valid UTF-8; surrogates do not exist. */
TEST(utf8_every_code_point)
{
  uint32_t cp;
  for (cp = 1; cp <= 0x10FFFF; cp++) {
    unsigned char b[4];
    size_t n = encode_utf8(cp, b);
    if (utf8_valid((const char *)b, n) != (cp < 0xD800 || cp > 0xDFFF)) {
      fprintf(stderr, "utf8_valid wrong for U+%04X\n", (unsigned)cp);
      CHECK(!"every scalar value is valid, surrogates are not");
    }
  }
}

/* utf8_hidden_control: over every code point of the BMP, exactly the C1
 * controls and the bidirectional formatting characters, with their
 * length (a 3-byte character is followed by the NUL it would have). */
TEST(utf8_hidden_controls)
{
  uint32_t cp;
  for (cp = 0x20; cp <= 0xFFFF; cp++) {
    unsigned char b[5] = {0};
    unsigned got = 0;
    size_t want_n = encode_utf8(cp, b), n;
    bool hidden = (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
                  (cp >= 0x202A && cp <= 0x202E) ||
                  (cp >= 0x2066 && cp <= 0x2069);
    if (cp >= 0xD800 && cp <= 0xDFFF)
      continue;
    n = utf8_hidden_control((const char *)b, &got);
    if ((n != 0) != hidden || (hidden && (n != want_n || got != cp))) {
      fprintf(stderr, "utf8_hidden_control wrong for U+%04X\n", (unsigned)cp);
      CHECK(!"hidden controls as specified");
    }
  }
}

/* json_parse on the first len bytes (0: strlen) must fail with code. */
static void parse_fails(const char *text, size_t len, int code,
                        const char *needle)
{
  struct sb_err err;
  cJSON *j;
  memset(&err, 0, sizeof(err));
  j = json_parse(text, len ? len : strlen(text), "the test input", &err);
  CHECK(j == NULL);
  CHECK_INT(err.code, ==, code);
  CHECK(strstr(err.msg, "the test input") != NULL);
  if (needle != NULL && strstr(err.msg, needle) == NULL) {
    fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err.msg, needle);
    CHECK(!"message explains");
  }
  /* err may be NULL. */
  CHECK(json_parse(text, len ? len : strlen(text), "x", NULL) == NULL);
}

/* json_parse succeeds and canonical printing gives want. */
static void parses_to(const char *text, size_t len, const char *want)
{
  struct sb_err err;
  cJSON *j = json_parse(text, len ? len : strlen(text), "input", &err);
  char *s;
  CHECK(j != NULL);
  s = json_canon(j);
  CHECK_STR(s, want);
  free(s);
  cJSON_Delete(j);
}

TEST(parse_refusals)
{
  /* bad UTF-8, inside a string and outside */
  parse_fails("{\"name\":\"caf\xe9\"}", 0, SB_EUTF8, "UTF-8");
  parse_fails("{\"name\":\"\xed\xa0\x80\"}", 0, SB_EUTF8, "UTF-8");
  parse_fails("{\"\xc0\xaf\":1}", 0, SB_EUTF8, "UTF-8");
  parse_fails("\xef\xbb\xbf{}\xff", 0, SB_EUTF8, "UTF-8");
  /* trailing data */
  parse_fails("{} x", 0, SB_EJSON, "byte 3");
  parse_fails("{}{}", 0, SB_EJSON, "byte 2");
  parse_fails("1 2", 0, SB_EJSON, NULL);
  parse_fails("[1],", 0, SB_EJSON, NULL);
  /* duplicate keys, at any depth */
  parse_fails("{\"a\":1,\"a\":2}", 0, SB_EJSON, "duplicate");
  parse_fails("{\"b\":1,\"a\":1,\"b\":1}", 0, SB_EJSON, "duplicate");
  parse_fails("{\"x\":{\"k\":1,\"k\":1}}", 0, SB_EJSON, "duplicate");
  parse_fails("[{},{\"q\":[{\"k\":1,\"k\":null}]}]", 0, SB_EJSON, "duplicate");
  /* NUL bytes: valid UTF-8, refused anyway */
  parse_fails("{\"a\":\"x\0y\"}", 11, SB_EJSON, "NUL");
  parse_fails("{}\0", 3, SB_EJSON, "NUL");
  /* plain syntax errors */
  parse_fails("", 0, SB_EJSON, NULL);
  parse_fails("{", 0, SB_EJSON, NULL);
  parse_fails("{\"a\":}", 0, SB_EJSON, NULL);
  parse_fails("{'a':1}", 0, SB_EJSON, NULL);
}

TEST(parse_accepts)
{
  parses_to("  {\"a\" : [1, 2.5, -3, true, null, \"s\"]}\n\t\r ", 0,
            "{\"a\":[1,2.5,-3,true,null,\"s\"]}");
  parses_to("\"caf\xc3\xa9\"", 0, "\"caf\xc3\xa9\"");
  parses_to("[]", 0, "[]");
  /* len bounds the input: no NUL needed after it */
  parses_to("{\"a\":1}garbage", 7, "{\"a\":1}");
  parses_to("[1,2]]]]", 5, "[1,2]");
  /* same key in different objects is fine */
  parses_to("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", 0,
            "{\"a\":{\"a\":1},\"b\":{\"a\":2}}");
}

TEST(canonical_key_order)
{
  /* Sorted by strcmp (bytes), recursively, through arrays. */
  parses_to("{\"b\":{\"z\":1,\"a\":[{\"y\":1,\"x\":2}]},\"a\":0,\"B\":1}", 0,
            "{\"B\":1,\"a\":0,\"b\":{\"a\":[{\"x\":2,\"y\":1}],\"z\":1}}");
  parses_to("{\"\xc3\xa9\":1,\"z\":2,\"e\":3,\"\":4,\"aa\":5,\"a\":6}", 0,
            "{\"\":4,\"a\":6,\"aa\":5,\"e\":3,\"z\":2,\"\xc3\xa9\":1}");
  parses_to("[[{\"d\":1,\"c\":{\"f\":1,\"e\":{\"h\":1,\"g\":1}}}]]", 0,
            "[[{\"c\":{\"e\":{\"g\":1,\"h\":1},\"f\":1},\"d\":1}]]");

  /* json_sort_keys / json_canon on a tree built in code; the list stays
   * well linked (lookups and deletes still work). */
  {
    cJSON *o = cJSON_CreateObject(), *inner = cJSON_CreateObject();
    char *s;
    int i;
    CHECK(o != NULL && inner != NULL);
    for (i = 20; i > 0; i--) {
      char k[8];
      snprintf(k, sizeof(k), "k%02d", i);
      cJSON_AddNumberToObject(inner, k, i);
    }
    cJSON_AddItemToObject(o, "z", inner);
    cJSON_AddStringToObject(o, "m", "x");
    cJSON_AddTrueToObject(o, "a");
    json_sort_keys(o);
    CHECK_STR(o->child->string, "a");
    CHECK_STR(o->child->prev->string, "z"); /* cJSON's last-member link */
    CHECK_STR(inner->child->string, "k01");
    CHECK_STR(inner->child->prev->string, "k20");
    cJSON_DeleteItemFromObject(o, "m");
    cJSON_AddNullToObject(o, "zz");
    s = json_canon(o);
    CHECK(s != NULL);
    CHECK(strncmp(s, "{\"a\":true,\"z\":{\"k01\":1,\"k02\":2,", 31) == 0);
    CHECK(strstr(s, "\"k20\":20},\"zz\":null}") != NULL);
    free(s);
    cJSON_Delete(o);
  }
}

TEST(is_int)
{
  cJSON *j = cJSON_Parse("[0,1,-1,1.5,9007199254740992,9007199254740994,"
                         "-9007199254740992,1e300,\"1\",true,null]");
  cJSON *c = j->child;
  CHECK(json_is_int(c, 0, 10));
  CHECK(!json_is_int(c, 1, 10));
  c = c->next;
  CHECK(json_is_int(c, 1, 1));
  c = c->next;
  CHECK(json_is_int(c, -1, 0));
  CHECK(!json_is_int(c, 0, 10));
  c = c->next;
  CHECK(!json_is_int(c, -10, 10)); /* 1.5 */
  c = c->next;
  CHECK(json_is_int(c, 0, INT64_MAX)); /* 2^53 */
  c = c->next;
  CHECK(!json_is_int(c, 0, INT64_MAX)); /* 2^53 + 2: not exact */
  c = c->next;
  CHECK(json_is_int(c, INT64_MIN, 0));
  c = c->next;
  CHECK(!json_is_int(c, INT64_MIN, INT64_MAX)); /* 1e300 */
  c = c->next;
  CHECK(!json_is_int(c, INT64_MIN, INT64_MAX)); /* "1" */
  c = c->next;
  CHECK(!json_is_int(c, INT64_MIN, INT64_MAX)); /* true */
  c = c->next;
  CHECK(!json_is_int(c, INT64_MIN, INT64_MAX)); /* null */
  CHECK(!json_is_int(NULL, INT64_MIN, INT64_MAX));
  cJSON_Delete(j);
}

/* jcanon_int reads a literal as json_is_int does: digits up to 2^53 by
 * the fast path, the rest (a sign, a fraction, an exponent, past 2^53)
 * through strtod, with the same answers. */
TEST(jcanon_int_as_json_is_int)
{
  static const char *const lits[] = {"0",
                                     "7",
                                     "1796216192581000",
                                     "9007199254740991",
                                     "9007199254740992",
                                     "9007199254740993",
                                     "9007199254740994",
                                     "12345678901234567",
                                     "-1",
                                     "-9007199254740992",
                                     "1.0",
                                     "1.5",
                                     "1e3",
                                     "1E300",
                                     "0.0000001e7",
                                     NULL};
  size_t i;

  for (i = 0; lits[i] != NULL; i++) {
    cJSON *j = cJSON_Parse(lits[i]);
    uint64_t v = 0;
    bool fast = jcanon_int(lits[i], strlen(lits[i]), INT64_MIN, INT64_MAX, &v);
    bool slow = json_is_int(j, INT64_MIN, INT64_MAX);

    CHECK(j != NULL);
    CHECK_INT(fast, ==, slow);
    if (fast && slow)
      CHECK_INT((int64_t)v, ==, (int64_t)j->valuedouble);
    cJSON_Delete(j);
  }
}

/* jcanon's strings as json_canon prints them, whatever byte needs an
 * escape and wherever it is (add_string skips 8 plain bytes at a time). */
TEST(jcanon_string_escapes_anywhere)
{
  static const unsigned char specials[] = {'"',  '\\', '\n', 0x01, 0x1f,
                                           0x7f, 0xc3, ' ',  0x80, '/'};
  struct jcanon *c = jcanon_new();
  char s[40];
  size_t len, pos, k;

  CHECK(c != NULL);
  for (len = 1; len < sizeof(s); len += 3) {
    for (pos = 0; pos < len; pos++) {
      for (k = 0; k < sizeof(specials); k++) {
        struct json_event e = {JSON_EV_STRING, s, len, false, true, 0};
        cJSON *j;
        char *want;
        const char *got;

        memset(s, 'a', len);
        s[pos] = (char)specials[k];
        if (specials[k] == 0xc3 && pos + 1 < len)
          s[pos + 1] = (char)0xa9; /* a whole e-acute */
        j = cJSON_CreateString("");
        CHECK(j != NULL);
        /* cJSON_CreateString stops at a NUL; none here. */
        cJSON_free(j->valuestring);
        j->valuestring = malloc(len + 1);
        CHECK(j->valuestring != NULL);
        memcpy(j->valuestring, s, len);
        j->valuestring[len] = '\0';
        want = json_canon(j);
        jcanon_begin(c);
        CHECK_INT(jcanon_feed(c, &e), ==, 1);
        got = jcanon_text(c, NULL);
        CHECK(want != NULL);
        CHECK_STR(got, want);
        free(want);
        cJSON_Delete(j);
      }
    }
  }
  jcanon_free(c);
}

/* comma_list_has: whole items only, none of a NULL list. */
TEST(comma_list_whole_items)
{
  CHECK(comma_list_has("name,scope", "name"));
  CHECK(comma_list_has("name,scope", "scope"));
  CHECK(comma_list_has("127.0.0.1", "127.0.0.1"));
  CHECK(!comma_list_has("name,scope", "nam"));
  CHECK(!comma_list_has("name,scope", "scopes"));
  CHECK(!comma_list_has("name,scope", "name,scope"));
  CHECK(!comma_list_has("name,scope", ""));
  CHECK(!comma_list_has("", "name"));
  CHECK(!comma_list_has(NULL, "name"));
}

/* array_grow: untouched while there is room, doubled past it. */
TEST(array_grow_doubles)
{
  size_t cap = 0, k;
  int *a = NULL, *g;

  for (k = 0; k < 100; k++) {
    g = array_grow(a, &cap, k, sizeof(*a), 4);
    CHECK(g != NULL);
    CHECK(k < cap);
    a = g;
    a[k] = (int)k;
  }
  CHECK_INT(cap, ==, 128);
  CHECK(array_grow(a, &cap, 5, sizeof(*a), 4) == a); /* room: unchanged */
  CHECK(array_grow(a, &cap, 200, SIZE_MAX / 2, 4) == NULL); /* overflow */
  CHECK_INT(cap, ==, 128);
  for (k = 0; k < 100; k++)
    CHECK_INT(a[k], ==, (int)k);
  free(a);
}

/* Whether a text holds a \u escape (the cue for the surrogate checks): a
 * backslash that is itself escaped starts none, and a lone surrogate in
 * a stored state is still refused. */
TEST(u_escapes_are_found_and_lone_surrogates_refused)
{
  struct record r;
  struct sb_err err = {0};
  const char *lone = "{\"collection\":\"notes\",\"deleted\":false,"
                     "\"fields\":{\"t\":[{\"dot\":[\"aa\",1],\"ts\":1,"
                     "\"value\":\"x\\ud800\"}]},\"id\":\"n\",\"tombstones\":[],"
                     "\"vv\":{\"aa\":1}}";
  const char *paired = "{\"collection\":\"notes\",\"deleted\":false,"
                       "\"fields\":{\"t\":[{\"dot\":[\"aa\",1],\"ts\":1,"
                       "\"value\":\"x\\ud83d\\ude00\"}]},\"id\":\"n\","
                       "\"tombstones\":[],\"vv\":{\"aa\":1}}";

  CHECK(!jcanon_has_u_escape("", 0));
  CHECK(!jcanon_has_u_escape("\\", 1));
  CHECK(jcanon_has_u_escape("\\u00e9", 6));
  CHECK(jcanon_has_u_escape("ab\\u", 4));
  CHECK(!jcanon_has_u_escape("a\\\\u", 4));      /* an escaped backslash, u */
  CHECK(jcanon_has_u_escape("a\\\\\\u0041", 9)); /* then an escape */
  CHECK(!jcanon_has_u_escape("\\n\\t\\\"u", 7));
  record_init(&r, "notes", "n");
  CHECK_INT(record_decode(&r, paired, strlen(paired), &err), ==, 0);
  CHECK_INT(record_decode(&r, lone, strlen(lone), &err), !=, 0);
  record_release(&r);
}
