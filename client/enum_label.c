/*
 * enum_label.c - an enum option may be given by its label: a volunteer
 * types --programme "pendidikan anak" as the help shows it, and the value
 * stored stays the schema's (child-education). A word matches a label of
 * any language of the schema with case and accents ignored (textfold);
 * only a match to exactly one value counts. Values themselves, and words
 * that match nothing, pass unchanged: schema_value_from_arg judges them
 * and names what is allowed.
 */
#include "compat.h"

#include "cli.h"

#include "buf.h"
#include "textfold.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value whose label is the folded text want, or NULL (none, or
 * labels of two values fold alike). */
static const char *value_of_label(const struct schema_field *f,
                                  const char *want)
{
  const char *found = NULL;
  size_t i, k;
  char *label;
  bool same;

  for (k = 0; k < f->nvalues; k++) {
    for (i = 0; i < f->nlabels; i++) {
      if (f->labels[i].text[k] == NULL)
        continue;
      label = textfold(f->labels[i].text[k]);
      same = label != NULL && strcmp(label, want) == 0;
      free(label);
      if (same && found != NULL && found != f->values[k])
        return NULL;
      if (same)
        found = f->values[k];
    }
  }
  return found;
}

/* Appends word (len bytes) to b, or the value it is the label of. */
static void add_word(struct buf *b, const struct schema_field *f,
                     const char *word, size_t len)
{
  char *text = strndup(word, len), *folded = NULL;
  const char *value = NULL;
  size_t k;

  if (text != NULL) {
    for (k = 0; k < f->nvalues && strcasecmp(text, f->values[k]) != 0; k++)
      ;
    if (k == f->nvalues && (folded = textfold(text)) != NULL &&
        folded[0] != '\0')
      value = value_of_label(f, folded);
  }
  if (value != NULL)
    buf_adds(b, value);
  else
    buf_add(b, word, len);
  free(folded);
  free(text);
}

char *enum_label_values(const struct schema_field *f, const char *arg)
{
  const char *p = arg;
  struct buf b;
  size_t len;

  if ((f->type != SCHEMA_ENUM && f->type != SCHEMA_ENUM_LIST) ||
      f->nlabels == 0)
    return strdup(arg);
  buf_init(&b);
  if (f->type == SCHEMA_ENUM) {
    add_word(&b, f, arg, strlen(arg));
    return buf_take(&b, NULL);
  }
  /* enum_list: comma-separated, each word alone (blanks around it
   * kept: schema_value_from_arg trims them). */
  for (;;) {
    len = strcspn(p, ",");
    add_word(&b, f, p, len);
    if (p[len] == '\0')
      break;
    buf_add(&b, ",", 1);
    p += len + 1;
  }
  return buf_take(&b, NULL);
}
