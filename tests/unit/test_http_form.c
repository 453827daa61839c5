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

TEST(fields_found_by_exact_name)
{
  char v[64];

  CHECK(value_of("user=ana&password=rahasia", "user", v, sizeof(v)));
  CHECK_STR(v, "ana");
  CHECK(value_of("user=ana&password=rahasia", "password", v, sizeof(v)));
  CHECK_STR(v, "rahasia");
  /* A name that only starts with the one asked for is another field. */
  CHECK(value_of("username=x&user=ana", "user", v, sizeof(v)));
  CHECK_STR(v, "ana");
  CHECK(!value_of("username=x", "user", v, sizeof(v)));
  CHECK(!value_of("user", "user", v, sizeof(v)));
  CHECK(!value_of("", "user", v, sizeof(v)));
  /* The first of two; an empty value is a value. */
  CHECK(value_of("user=a&user=b", "user", v, sizeof(v)));
  CHECK_STR(v, "a");
  CHECK(value_of("user=&password=p", "user", v, sizeof(v)));
  CHECK_STR(v, "");
}

TEST(escapes_decoded)
{
  char v[64];

  /* "+" is a space; an escaped plus stays a plus. */
  CHECK(value_of("password=a+b%2Bc%26d%3De", "password", v, sizeof(v)));
  CHECK_STR(v, "a b+c&d=e");
  /* UTF-8, escaped byte by byte as a browser sends it. */
  CHECK(value_of("user=Sr%C3%AD", "user", v, sizeof(v)));
  CHECK_STR(v, "Sr\xc3\xad");
  /* A "%" that starts no escape stays as it is. */
  CHECK(value_of("password=100%&x=1", "password", v, sizeof(v)));
  CHECK_STR(v, "100%");
  CHECK(value_of("password=%zz%4", "password", v, sizeof(v)));
  CHECK_STR(v, "%zz%4");
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
