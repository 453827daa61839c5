/*
 * uuid.c - randomness from the OS CSPRNG and the ids made from it.
 *
 * Record ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then
 * random bits, so ids made on different devices never collide and sort
 * roughly by creation time.
 */
#include "compat.h"

#include "uuid.h"

#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

int uuid_rand_bytes(void *buf, size_t n)
{
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return SB_EIO;
    }
    p += got;
    n -= (size_t)got;
  }
  return 0;
}

static void hex(char *out, const unsigned char *b, size_t n)
{
  static const char digits[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
}

int uuid_v7_new(char out[UUID_STR_LEN + 1])
{
  unsigned char b[16];
  struct timespec now;
  uint64_t ms;
  int i;

  if (uuid_rand_bytes(b, sizeof(b)) != 0)
    return SB_EIO;
  clock_gettime(CLOCK_REALTIME, &now);
  ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
  for (i = 0; i < 6; i++)
    b[i] = (unsigned char)(ms >> (40 - 8 * i));
  b[6] = (unsigned char)(0x70 | (b[6] & 0x0F)); /* version 7 */
  b[8] = (unsigned char)(0x80 | (b[8] & 0x3F)); /* variant 10 */

  hex(out, b, 4);
  out[8] = '-';
  hex(out + 9, b + 4, 2);
  out[13] = '-';
  hex(out + 14, b + 6, 2);
  out[18] = '-';
  hex(out + 19, b + 8, 2);
  out[23] = '-';
  hex(out + 24, b + 10, 6);
  out[36] = '\0';
  return 0;
}

bool uuid_valid(const char *s)
{
  int i;
  for (i = 0; i < UUID_STR_LEN; i++) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-')
        return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return s[UUID_STR_LEN] == '\0';
}

int uuid_rand_hex(char *out, size_t n)
{
  unsigned char b[UUID_RAND_HEX_MAX];

  if (n > sizeof(b))
    return SB_EINVAL;
  if (uuid_rand_bytes(b, n) != 0)
    return SB_EIO;
  hex(out, b, n);
  out[2 * n] = '\0';
  return 0;
}

int uuid_replica_id_new(char out[17])
{
  return uuid_rand_hex(out, 8);
}
