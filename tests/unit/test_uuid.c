/* test_uuid.c - UUIDv7 record ids, replica ids, random bytes. */
#include "check.h"

#include "hlc.h"
#include "uuid.h"
#include "vv.h"

#include <time.h>

#define N 1000

static int cmp_str(const void *a, const void *b)
{
  return strcmp((const char *)a, (const char *)b);
}

/* The 48-bit Unix-ms prefix of a UUIDv7. */
static uint64_t uuid_ms(const char *u)
{
  char hex[13];
  memcpy(hex, u, 8);
  memcpy(hex + 8, u + 9, 4);
  hex[12] = '\0';
  return strtoull(hex, NULL, 16);
}

TEST(uuid7_format)
{
  char u[UUID_STR_LEN + 1];
  int i;
  for (i = 0; i < N; i++) {
    memset(u, 'X', sizeof(u));
    CHECK_INT(uuid_v7_new(u), ==, 0);
    CHECK_INT(strlen(u), ==, UUID_STR_LEN);
    CHECK(uuid_valid(u));
    CHECK(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
    CHECK(u[14] == '7');                  /* version 7 */
    CHECK(strchr("89ab", u[19]) != NULL); /* variant 10xx */
  }
}

TEST(uuid7_unique_and_time_ordered)
{
  static char u[N][UUID_STR_LEN + 1];
  struct timespec ts;
  uint64_t before, after;
  int i;

  clock_gettime(CLOCK_REALTIME, &ts);
  before = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
  for (i = 0; i < N; i++)
    CHECK_INT(uuid_v7_new(u[i]), ==, 0);
  clock_gettime(CLOCK_REALTIME, &ts);
  after = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;

  for (i = 0; i < N; i++) {
    uint64_t ms = uuid_ms(u[i]);
    CHECK(ms >= before && ms <= after);
    /* The time prefix never goes backwards between successive ids. */
    if (i > 0)
      CHECK(strncmp(u[i - 1], u[i], 13) <= 0);
  }
  qsort(u, N, sizeof(u[0]), cmp_str);
  for (i = 1; i < N; i++)
    CHECK(strcmp(u[i - 1], u[i]) != 0);
}

TEST(uuid_valid_refusals)
{
  CHECK(uuid_valid("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"));
  CHECK(uuid_valid("00000000-0000-0000-0000-000000000000"));
  CHECK(!uuid_valid("0190A1B2-c3d4-7e5f-8a6b-7c8d9e0f1a2b")); /* upper */
  CHECK(!uuid_valid("0190a1b2c3d4-7e5f-8a6b-7c8d9e0f1a2b-"));
  CHECK(!uuid_valid("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2"));
  CHECK(!uuid_valid("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2bc"));
  CHECK(!uuid_valid("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2g"));
  CHECK(!uuid_valid("{0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2}"));
  CHECK(!uuid_valid(""));
}

TEST(replica_ids)
{
  static char id[N][17];
  int i, j;
  for (i = 0; i < N; i++) {
    memset(id[i], 'X', sizeof(id[i]));
    CHECK_INT(uuid_replica_id_new(id[i]), ==, 0);
    CHECK_INT(strlen(id[i]), ==, 16);
    CHECK(vv_replica_id_valid(id[i]));
    for (j = 0; j < 16; j++)
      CHECK(strchr("0123456789abcdef", id[i][j]) != NULL);
  }
  qsort(id, N, sizeof(id[0]), cmp_str);
  for (i = 1; i < N; i++)
    CHECK(strcmp(id[i - 1], id[i]) != 0);
}

TEST(uuid_rand_bytes)
{
  unsigned char a[64], b[64];
  int counts[256] = {0}, i, distinct = 0;
  CHECK_INT(uuid_rand_bytes(a, sizeof(a)), ==, 0);
  CHECK_INT(uuid_rand_bytes(b, sizeof(b)), ==, 0);
  CHECK(memcmp(a, b, sizeof(a)) != 0);
  CHECK_INT(uuid_rand_bytes(a, 0), ==, 0);
  for (i = 0; i < 64; i++)
    counts[a[i]]++;
  for (i = 0; i < 256; i++)
    distinct += counts[i] > 0;
  CHECK(distinct > 16); /* 64 random bytes: ~56 distinct values */
}

TEST(uuid_rand_hex)
{
  char a[2 * UUID_RAND_HEX_MAX + 2], b[2 * UUID_RAND_HEX_MAX + 2];
  size_t i;

  memset(a, 'X', sizeof(a));
  CHECK_INT(uuid_rand_hex(a, 16), ==, 0);
  CHECK_INT(strlen(a), ==, 32);
  for (i = 0; i < 32; i++)
    CHECK(strchr("0123456789abcdef", a[i]) != NULL);
  CHECK_INT(uuid_rand_hex(b, 16), ==, 0);
  CHECK(strcmp(a, b) != 0);
  CHECK_INT(uuid_rand_hex(a, UUID_RAND_HEX_MAX), ==, 0);
  CHECK_INT(strlen(a), ==, 2 * UUID_RAND_HEX_MAX);
  memset(b, 'X', sizeof(b));
  CHECK_INT(uuid_rand_hex(b, UUID_RAND_HEX_MAX + 1), ==, SB_EINVAL);
  CHECK_INT(b[0], ==, 'X'); /* nothing written */
}
