/*
 * name_chars.h - the characters of the names the protocol carries:
 * field names and replica ids ([A-Za-z0-9_-]), record ids (those and
 * '.', ':'). One table for every check, read once per byte: they run for
 * each name, id and dot of every record on the wire.
 */
#ifndef SAMBANG_NAME_CHARS_H
#define SAMBANG_NAME_CHARS_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_CHAR 1u /* a letter, a digit, '-' or '_' */
#define ID_CHAR 2u   /* NAME_CHAR, '.' or ':' */

extern const unsigned char name_chars[256];

/* True if s is 1 to max bytes, each of class (NAME_CHAR or ID_CHAR). */
static inline bool name_chars_valid(const char *s, size_t max, unsigned class)
{
  size_t n = 0;

  for (; s[n] != '\0'; n++) {
    if (n == max || !(name_chars[(unsigned char)s[n]] & class))
      return false;
  }
  return n > 0;
}

#endif
