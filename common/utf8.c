/*
 * utf8.c - UTF-8 validation.
 *
 * cJSON copies bytes through without checking them, so every text that
 * enters a store is checked here first (RFC 3629 well-formedness, the
 * byte table of Unicode 15, section 3.9, table 3-7).
 */
#include "compat.h"

#include "utf8.h"

#include <stdint.h>
#include <string.h>

bool utf8_valid(const char *str, size_t len)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;

  while (i < len) {
    unsigned char c;
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need, k;
    uint64_t w;

    /* ASCII, most of any body, eight bytes at a time. */
    while (len - i >= 8) {
      memcpy(&w, s + i, 8);
      if ((w & 0x8080808080808080ull) != 0)
        break;
      i += 8;
    }
    if (i == len)
      break;
    c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0)
        lo = 0xA0; /* no overlongs */
      else if (c == 0xED)
        hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0)
        lo = 0x90; /* no overlongs */
      else if (c == 0xF4)
        hi = 0x8F; /* nothing above U+10FFFF */
    } else {
      return false;
    }
    if (len - i <= need)
      return false;
    /* The first continuation byte has the narrowed range. */
    if (s[i + 1] < lo || s[i + 1] > hi)
      return false;
    for (k = 2; k <= need; k++) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF)
        return false;
    }
    i += need + 1;
  }
  return true;
}

size_t utf8_hidden_control(const char *s, unsigned *cp)
{
  const unsigned char *u = (const unsigned char *)s;

  if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) {
    *cp = u[1];
    return 2;
  }
  if (u[0] != 0xe2 || u[1] < 0x80 || u[1] > 0x81 || u[2] < 0x80 || u[2] > 0xbf)
    return 0;
  *cp = 0x2000u | ((unsigned)(u[1] & 0x3f) << 6) | (u[2] & 0x3fu);
  if (*cp == 0x200e || *cp == 0x200f || (*cp >= 0x202a && *cp <= 0x202e) ||
      (*cp >= 0x2066 && *cp <= 0x2069))
    return 3;
  return 0;
}

size_t utf8_bom_len(const char *s, size_t len)
{
  return len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}
