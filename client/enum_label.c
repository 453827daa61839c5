/*
 * enum_label.c - an enum option may be given by its label: a volunteer
 * types --programme "pendidikan anak" as the help shows it, and the value
 * stored stays the schema's (child-education). A word matches a label of
 * any language of the schema with case and accents ignored (textfold);
 * only a match to exactly one value counts. A word that is neither a
 * value (case ignored) nor a label is refused here, the message listing
 * each value with its label in the user's language, as the help does;
 * the rest (empty words, a value twice) schema_value_from_arg judges.
 */
#include "compat.h"

#include "cli.h"

#include "buf.h"
#include "i18n.h"
#include "textfold.h"

#include <stdio.h>
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

void enum_label_list(struct buf *b, const struct schema_field *f)
{
  const char *label;
  size_t k;

  for (k = 0; k < f->nvalues; k++) {
    label = schema_label(f, f->values[k], i18n_lang());
    if (k > 0)
      buf_adds(b, ", ");
    buf_adds(b, f->values[k]);
    if (label != f->values[k]) {
      buf_adds(b, " (");
      buf_adds(b, label);
      buf_adds(b, ")");
    }
  }
}

/* "option --NAME: \"WORD\" is not allowed (allowed: VALUE (LABEL), ...)". */
static int refuse(const struct schema_field *f, const char *word,
                  struct sb_err *err)
{
  char what[SB_NAME_MAX + 16], shown[SCHEMA_SHOWN_SIZE];
  struct buf b;
  int rc;

  buf_init(&b);
  enum_label_list(&b, f);
  schema_show_text(word, shown, sizeof(shown));
  snprintf(what, sizeof(what), i18n_text("option --%s"), f->option);
  rc = b.p == NULL
           ? sb_err_set(err, SB_ENOMEM, NULL)
           : sb_err_set(err, SB_ESCHEMA, "%s: %s is not allowed (allowed: %s)",
                        what, shown, b.p);
  buf_release(&b);
  return rc;
}

/* Appends word (len bytes) to b, or the value it is the label of; refuses
 * one that is neither (an empty one, blanks alone, is left to the
 * schema). */
static int add_word(struct buf *b, const struct schema_field *f,
                    const char *word, size_t len, struct sb_err *err)
{
  char *text = strndup(word, len), *folded = NULL;
  const char *value = NULL; /* the value word is a label of */
  bool is_value = false;    /* (the schema respells its case) */
  size_t k;
  int rc = 0;

  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (k = 0; k < f->nvalues && !is_value; k++)
    is_value = strcasecmp(text, f->values[k]) == 0;
  if (!is_value && (folded = textfold(text)) == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  else if (!is_value && folded[0] != '\0' &&
           (value = value_of_label(f, folded)) == NULL)
    rc = refuse(f, text, err);
  if (rc == 0)
    rc = value != NULL ? buf_adds(b, value) : buf_add(b, word, len);
  free(folded);
  free(text);
  return rc;
}

int enum_label_values(const struct schema_field *f, const char *arg, char **out,
                      struct sb_err *err)
{
  const char *p = arg;
  struct buf b;
  size_t len;
  int rc;

  *out = NULL;
  if ((f->type != SCHEMA_ENUM && f->type != SCHEMA_ENUM_LIST) ||
      f->nlabels == 0) {
    *out = strdup(arg);
    return *out != NULL ? 0 : sb_err_set(err, SB_ENOMEM, NULL);
  }
  buf_init(&b);
  if (f->type == SCHEMA_ENUM) {
    rc = add_word(&b, f, arg, strlen(arg), err);
  } else {
    /* enum_list: comma-separated, each word alone (blanks around it
     * kept: schema_value_from_arg trims them). */
    for (;;) {
      len = strcspn(p, ",");
      rc = add_word(&b, f, p, len, err);
      if (rc != 0 || p[len] == '\0')
        break;
      rc = buf_add(&b, ",", 1);
      p += len + 1;
    }
  }
  if (rc == 0 && (*out = buf_take(&b, NULL)) == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  buf_release(&b);
  return rc;
}
