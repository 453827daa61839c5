/* test_gzip.c - gzip bodies: round trip, caps, bad data, Accept-Encoding. */
#include "check.h"

#include "gzip.h"

TEST(round_trip)
{
  char in[5000], *z = NULL, *out = NULL;
  size_t zlen, olen, i;

  for (i = 0; i < sizeof(in); i++)
    in[i] = (char)('a' + i % 7);
  CHECK_INT(gzip_deflate(in, sizeof(in), &z, &zlen, NULL), ==, 0);
  CHECK(zlen < sizeof(in) / 4);
  CHECK((unsigned char)z[0] == 0x1f && (unsigned char)z[1] == 0x8b);
  CHECK_INT(gzip_inflate(z, zlen, sizeof(in), &out, &olen, NULL), ==, 0);
  CHECK_INT(olen, ==, sizeof(in));
  CHECK(memcmp(in, out, olen) == 0);
  CHECK_INT(out[olen], ==, 0);
  free(out);
  /* One byte short of the size: over the cap. */
  CHECK_INT(gzip_inflate(z, zlen, sizeof(in) - 1, &out, &olen, NULL), ==,
            SB_ETOOBIG);
  CHECK(out == NULL);
  /* Cut short: truncated. */
  CHECK_INT(gzip_inflate(z, zlen - 4, sizeof(in), &out, &olen, NULL), ==,
            SB_EPROTOCOL);
  free(z);
}

TEST(bad_data)
{
  char *out = NULL;
  size_t olen;
  struct sb_err err = {0};

  CHECK_INT(gzip_inflate("hello", 5, 100, &out, &olen, &err), ==, SB_EPROTOCOL);
  CHECK(strstr(err.msg, "does not inflate") != NULL);
  CHECK_INT(gzip_inflate("", 0, 100, &out, &olen, NULL), ==, SB_EPROTOCOL);
}

TEST(two_members_and_trailing_garbage)
{
  char *a, *b, *out, both[200];
  size_t alen, blen, olen;

  CHECK_INT(gzip_deflate("abc", 3, &a, &alen, NULL), ==, 0);
  CHECK_INT(gzip_deflate("def", 3, &b, &blen, NULL), ==, 0);
  CHECK(alen + blen + 1 < sizeof(both));
  memcpy(both, a, alen);
  memcpy(both + alen, b, blen);
  CHECK_INT(gzip_inflate(both, alen + blen, 100, &out, &olen, NULL), ==, 0);
  CHECK_STR(out, "abcdef");
  free(out);
  both[alen] = 'x'; /* garbage after the first member */
  CHECK_INT(gzip_inflate(both, alen + 1, 100, &out, &olen, NULL), ==,
            SB_EPROTOCOL);
  free(a);
  free(b);
}

/* The inflated size in the body (ISIZE) only sizes the buffer: a body
 * whose last member says less than the whole (several members), or that
 * lies about it, inflates right or is refused. */
TEST(size_field_is_only_a_hint)
{
  size_t n = 300 * 1024, alen, blen, olen, i;
  char *big = malloc(n), *a, *b, *both, *out = NULL;

  CHECK(big != NULL);
  for (i = 0; i < n; i++)
    big[i] = (char)('a' + (i * 7919) % 26);
  CHECK_INT(gzip_deflate(big, n, &a, &alen, NULL), ==, 0);
  CHECK_INT(gzip_deflate("xyz", 3, &b, &blen, NULL), ==, 0);
  both = malloc(alen + blen);
  CHECK(both != NULL);
  memcpy(both, a, alen);
  memcpy(both + alen, b, blen);
  /* The hint says 3 bytes; the whole is 300 KB and 3. */
  CHECK_INT(gzip_inflate(both, alen + blen, n + 3, &out, &olen, NULL), ==, 0);
  CHECK_INT(olen, ==, n + 3);
  CHECK(memcmp(out, big, n) == 0 && memcmp(out + n, "xyz", 3) == 0);
  free(out);
  /* A size field that lies (claims 16 MiB): zlib's length check refuses. */
  a[alen - 1] = 0x01;
  CHECK_INT(gzip_inflate(a, alen, 32 << 20, &out, &olen, NULL), ==,
            SB_EPROTOCOL);
  CHECK(out == NULL);
  /* The cap still holds whatever the hint says. */
  CHECK_INT(gzip_inflate(both, alen + blen, n, &out, &olen, NULL), ==,
            SB_ETOOBIG);
  free(big);
  free(a);
  free(b);
  free(both);
}

TEST(accept_encoding)
{
  CHECK(gzip_accepted("gzip"));
  CHECK(gzip_accepted("GZIP"));
  CHECK(gzip_accepted("deflate, gzip"));
  CHECK(gzip_accepted("br;q=1.0, gzip;q=0.5"));
  CHECK(gzip_accepted("x-gzip"));
  CHECK(gzip_accepted("*"));
  CHECK(gzip_accepted(" gzip ; q=0.001"));
  CHECK(!gzip_accepted(NULL));
  CHECK(!gzip_accepted(""));
  CHECK(!gzip_accepted("identity"));
  CHECK(!gzip_accepted("gzip;q=0"));
  CHECK(!gzip_accepted("gzip; q=0.000"));
  CHECK(!gzip_accepted("gzipped"));
  CHECK(!gzip_accepted("br, deflate"));
}
