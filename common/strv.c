/* strv.c - a growing list of strings (strv.h). */
#include "compat.h"

#include "strv.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

int strv_add(struct strv *s, const char *text)
{
  char *copy;

  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    char **v = realloc(s->v, cap * sizeof(*v));
    if (v == NULL)
      return SB_ENOMEM;
    s->v = v;
    s->cap = cap;
  }
  if ((copy = strdup(text)) == NULL)
    return SB_ENOMEM;
  s->v[s->n++] = copy;
  return 0;
}

void strv_free(struct strv *s)
{
  size_t i;

  for (i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}
