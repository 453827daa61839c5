/*
 * fuzz_strict_json.c - json_parse (the strict pass, then cJSON) on arbitrary
 * bytes. Whatever it accepts must survive printing without a change: the
 * canonical text parses back (strictly, and with plain cJSON) to a tree
 * equal to the first one exactly (types, strings, numbers bit for bit) and
 * prints the same text again.
 */
#include "compat.h"

#include "json.h"
#include "json_strict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exact equality of two trees (cJSON_Compare allows a relative epsilon). */
static bool same(const cJSON *a, const cJSON *b)
{
  const cJSON *x, *y;
  if ((a->type & 0xFF) != (b->type & 0xFF))
    return false;
  if (a->string != NULL || b->string != NULL) {
    if (a->string == NULL || b->string == NULL || strcmp(a->string, b->string))
      return false;
  }
  if (cJSON_IsNumber(a))
    return memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) == 0 ||
           a->valuedouble == b->valuedouble;
  if (cJSON_IsString(a))
    return strcmp(a->valuestring, b->valuestring) == 0;
  for (x = a->child, y = b->child; x != NULL && y != NULL;
       x = x->next, y = y->next) {
    if (!same(x, y))
      return false;
  }
  return x == NULL && y == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct sb_err err = {0};
  cJSON *a, *b, *c;
  char *text, *again;

  a = json_parse((const char *)data, size, "input", &err);
  if (a == NULL) {
    if (err.code != SB_EJSON && err.code != SB_EUTF8 && err.code != SB_ENOMEM)
      abort();
    return 0;
  }
  text = json_canon(a);
  if (text == NULL)
    abort();
  /* The canonical text passes the strict layer too... */
  b = json_parse(text, strlen(text), "canonical", &err);
  if (b == NULL)
    abort();
  /* ...and plain cJSON reads the same values from it. */
  c = cJSON_Parse(text);
  if (c == NULL || !same(a, b) || !same(a, c))
    abort();
  /* Printing the re-read tree gives the same text (a fixed point). */
  again = json_canon(b);
  if (again == NULL || strcmp(text, again) != 0)
    abort();
  free(again);
  free(text);
  cJSON_Delete(c);
  cJSON_Delete(b);
  cJSON_Delete(a);
  return 0;
}
