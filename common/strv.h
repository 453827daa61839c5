/*
 * strv.h - a growing list of strings, each a copy the list owns (keys
 * gathered by a walk, to be used once it is over).
 */
#ifndef SAMBANG_STRV_H
#define SAMBANG_STRV_H

#include <stddef.h>

struct strv {
  char **v;
  size_t n, cap;
};

/* Appends a copy of text: 0, or SB_ENOMEM (the list as it was). */
int strv_add(struct strv *s, const char *text);

/* Frees every string and the list; s is empty after. */
void strv_free(struct strv *s);

#endif
