/* utf8.h - UTF-8 validation (RFC 3629: no overlongs, surrogates, > U+10FFFF).
 */
#ifndef SAMBANG_UTF8_H
#define SAMBANG_UTF8_H

#include "compat.h"

/* True if s[0..len) is valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

#endif
