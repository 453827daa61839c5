/*
 * test_http_form.c - a login form's fields as a browser or curl encodes
 * them (daemon/hub/http_form.c).
 */
#include "check.h"

#include "http_form.h"

#include <string.h>

static bool value_of(const char *body, const char *name, char *out, size_t size)
{
  return http_form_value(body, strlen(body), name, out, size);
}

/* Field name of body is there and reads want. */
static void expect_value(const char *body, const char *name, const char *want)
{
  char v[64];

  CHECK(value_of(body, name, v, sizeof(v)));
  CHECK_STR(v, want);
}

TEST(fields_found_by_exact_name)
{
  char v[64];

  expect_value("user=ana&password=rahasia", "user", "ana");
  expect_value("user=ana&password=rahasia", "password", "rahasia");
  /* A name that only starts with the one asked for is another field. */
  expect_value("username=x&user=ana", "user", "ana");
  CHECK(!value_of("username=x", "user", v, sizeof(v)));
  CHECK(!value_of("user", "user", v, sizeof(v)));
  CHECK(!value_of("", "user", v, sizeof(v)));
  /* A field given twice is refused, not the first taken (a proxy or a
   * script in front may read the last); an empty value is a value. */
  CHECK(!value_of("user=a&user=b", "user", v, sizeof(v)));
  CHECK(!value_of("user=a&password=p&user=a", "user", v, sizeof(v)));
  expect_value("user=a&password=p&user=a", "password", "p");
  expect_value("user=&password=p", "user", "");
}

TEST(escapes_decoded)
{
  /* "+" is a space; an escaped plus stays a plus. */
  expect_value("password=a+b%2Bc%26d%3De", "password", "a b+c&d=e");
  /* UTF-8, escaped byte by byte as a browser sends it. */
  expect_value("user=Sr%C3%AD", "user", "Sr\xc3\xad");
  /* A "%" that starts no escape stays as it is. */
  expect_value("password=100%&x=1", "password", "100%");
  expect_value("password=%zz%4", "password", "%zz%4");
}

TEST(nul_or_too_long_refused)
{
  char v[8];
  static const char raw_nul[] = "user=a\0b";

  CHECK(!value_of("user=a%00b", "user", v, sizeof(v)));
  CHECK(!http_form_value(raw_nul, sizeof(raw_nul) - 1, "user", v, sizeof(v)));
  CHECK(value_of("user=1234567", "user", v, sizeof(v)));
  CHECK_STR(v, "1234567");
  CHECK(!value_of("user=12345678", "user", v, sizeof(v)));
  /* Escapes shrink a value: it is measured decoded. */
  CHECK(value_of("user=%41%42%43%44%45%46%47", "user", v, sizeof(v)));
  CHECK_STR(v, "ABCDEFG");
}

TEST(body_not_nul_terminated)
{
  char v[16];
  const char body[] = {'u', 's', 'e', 'r', '=', 'a', 'n', 'a', '&', 'x'};

  /* Only len bytes are read: the value ends where the body does. */
  CHECK(http_form_value(body, 8, "user", v, sizeof(v)));
  CHECK_STR(v, "ana");
  CHECK(!http_form_value(body, 4, "user", v, sizeof(v)));
}
