/*
 * office_intern.h - JSON value texts kept once each, parsed once (the
 * office's kept facts share a kecamatan between thousands of records).
 * Apart from office_int.h because <search.h>, whose tree it uses, names
 * a struct entry of its own.
 */
#ifndef SAMBANG_OFFICE_INTERN_H
#define SAMBANG_OFFICE_INTERN_H

#include "compat.h"

#include <cjson/cJSON.h>

/* A value as the office keeps it: once per distinct JSON text. */
struct office_text {
  char *json;
  char *str;   /* the string it is, or NULL */
  cJSON *list; /* the array it is, or NULL */
};

struct office_intern;

/* An empty set; NULL on ENOMEM. */
struct office_intern *office_intern_new(void);
/* json's text in the set, added on first sight (NULL stays NULL); NULL
 * and *oom on ENOMEM. A tree, not a sorted array: a schema's free-text
 * field named like one the overview counts may hold a distinct value per
 * record. */
const struct office_text *office_intern(struct office_intern *in,
                                        const char *json, bool *oom);
void office_intern_free(struct office_intern *in);

#endif
