/*
 * office_intern.c - see office_intern.h.
 */
#include "compat.h"

#include "office_intern.h"

#include "buf.h"
#include "json.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

struct office_intern {
  void *tree;               /* tsearch's, by json */
  struct office_text **all; /* the same texts, to free them */
  size_t n, cap;
};

static void text_free(struct office_text *x)
{
  if (x == NULL)
    return;
  free(x->json);
  free(x->str);
  cJSON_Delete(x->list);
  free(x);
}

/* json, parsed once: the string or array it is. */
static struct office_text *text_new(const char *json)
{
  struct office_text *x = calloc(1, sizeof(*x));
  cJSON *v;

  if (x == NULL || (x->json = strdup(json)) == NULL) {
    text_free(x);
    return NULL;
  }
  if (json_parse_held(json, &v) != 0) { /* never kept as neither */
    text_free(x);
    return NULL;
  }
  if (cJSON_IsString(v)) {
    x->str = strdup(v->valuestring);
    cJSON_Delete(v);
    if (x->str == NULL) {
      text_free(x);
      return NULL;
    }
  } else if (cJSON_IsArray(v)) {
    x->list = v;
  } else {
    cJSON_Delete(v);
  }
  return x;
}

static int text_cmp(const void *a, const void *b)
{
  return strcmp(((const struct office_text *)a)->json,
                ((const struct office_text *)b)->json);
}

struct office_intern *office_intern_new(void)
{
  return calloc(1, sizeof(struct office_intern));
}

const struct office_text *office_intern(struct office_intern *in,
                                        const char *json, bool *oom)
{
  struct office_text key = {(char *)json, NULL, NULL}, *x, **more;
  void *node;

  if (json == NULL)
    return NULL;
  node = tfind(&key, &in->tree, text_cmp);
  if (node != NULL)
    return *(struct office_text **)node;
  more = array_grow(in->all, &in->cap, in->n, sizeof(*more), 64);
  if (more == NULL) {
    *oom = true;
    return NULL;
  }
  in->all = more;
  x = text_new(json);
  if (x == NULL || tsearch(x, &in->tree, text_cmp) == NULL) {
    text_free(x);
    *oom = true;
    return NULL;
  }
  in->all[in->n++] = x;
  return x;
}

void office_intern_free(struct office_intern *in)
{
  size_t i;

  if (in == NULL)
    return;
  while (in->tree != NULL) /* tdestroy is GNU's */
    tdelete(*(struct office_text **)in->tree, &in->tree, text_cmp);
  for (i = 0; i < in->n; i++)
    text_free(in->all[i]);
  free(in->all);
  free(in);
}
