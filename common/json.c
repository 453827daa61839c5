/*
 * json.c - canonical JSON on top of cJSON (see json.h).
 *
 * cJSON keeps object members as a linked list in input order and lets
 * duplicate keys through; canonical form needs both settled, so objects
 * are sorted here and duplicates refused at parse time.
 */
#include "compat.h"

#include "json.h"

#include "jcanon.h"

#include "json_strict.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Merge sort of a member list by key (no allocation, stable). */
static cJSON *sort_list(cJSON *head)
{
  cJSON *slow = head, *fast, *second, *out = NULL, **tail = &out;

  if (head == NULL || head->next == NULL)
    return head;
  for (fast = head->next; fast != NULL && fast->next != NULL;
       fast = fast->next->next)
    slow = slow->next;
  second = slow->next;
  slow->next = NULL;
  head = sort_list(head);
  second = sort_list(second);
  while (head != NULL && second != NULL) {
    cJSON **least = strcmp(head->string, second->string) <= 0 ? &head : &second;
    *tail = *least;
    tail = &(*least)->next;
    *least = (*least)->next;
  }
  *tail = head != NULL ? head : second;
  return out;
}

/* Sorts one object's members; returns false if two keys are equal. */
static bool sort_members(cJSON *obj)
{
  cJSON *c, *prev = NULL;
  bool unique = true;

  if (obj->child == NULL)
    return true;
  /* Canonical input (what replicas send each other) is sorted already:
   * strictly ascending keys need no sort and have no duplicates. */
  for (c = obj->child; c->next != NULL; c = c->next)
    if (strcmp(c->string, c->next->string) >= 0)
      break;
  if (c->next == NULL)
    return true;
  obj->child = sort_list(obj->child);
  /* Relink prev; cJSON keeps first->prev pointing at the last member. */
  for (c = obj->child; c != NULL; c = c->next) {
    c->prev = prev;
    if (prev != NULL && strcmp(prev->string, c->string) == 0)
      unique = false;
    prev = c;
  }
  obj->child->prev = prev;
  return unique;
}

/* Sorts recursively; returns false if some object had a duplicate key. */
static bool sort_all(cJSON *j)
{
  bool unique = true;
  cJSON *c;
  if (cJSON_IsObject(j))
    unique = sort_members(j);
  if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
    for (c = j->child; c != NULL; c = c->next) {
      if (!sort_all(c))
        unique = false;
    }
  }
  return unique;
}

void json_sort_keys(cJSON *j)
{
  (void)sort_all(j);
}

/* A number turned raw for printing (json_exact); cJSON prints type & 0xFF. */
#define JSON_EXACT_MARK 0x4000

/*
 * cJSON prints a number with %1.15g when that reads back within a relative
 * epsilon, which is not exact (2^53 prints as 9.00719925474099e+15). Turns
 * each such number into raw text that reads back exactly (%1.17g, what
 * cJSON prints otherwise; with an exponent past 2^53), or back (undo). False on
 * ENOMEM (undone).
 */
static bool exact_numbers(cJSON *j, bool undo)
{
  cJSON *c;
  char text[32];

  if (undo && (j->type & JSON_EXACT_MARK) != 0) {
    free(j->valuestring);
    j->valuestring = NULL;
    j->type = cJSON_Number;
  } else if (!undo && cJSON_IsNumber(j) && isfinite(j->valuedouble) &&
             j->valuedouble != (double)j->valueint) {
    snprintf(text, sizeof(text), "%1.15g", j->valuedouble);
    if (strtod(text, NULL) != j->valuedouble) {
      snprintf(text, sizeof(text), "%1.17g", j->valuedouble);
      /* Past 2^53 an integer literal is refused on input (json_strict):
       * print those with an exponent, e.g. 1.1172839450061728e+16. */
      if (fabs(j->valuedouble) > 9007199254740992.0 &&
          strpbrk(text, ".eE") == NULL)
        snprintf(text, sizeof(text), "%.16e", j->valuedouble);
      j->valuestring = strdup(text);
      if (j->valuestring == NULL)
        return false;
      j->type = cJSON_Raw | JSON_EXACT_MARK;
    }
  }
  for (c = j->child; c != NULL; c = c->next) {
    if (!exact_numbers(c, undo))
      return false;
  }
  return true;
}

char *json_print(cJSON *j)
{
  char *out = NULL;
  if (exact_numbers(j, false))
    out = cJSON_PrintUnformatted(j);
  (void)exact_numbers(j, true);
  return out;
}

bool json_print_into(cJSON *j, char *buf, size_t size)
{
  bool ok = false;
  if (exact_numbers(j, false))
    ok = cJSON_PrintPreallocated(j, buf, (int)size, false) != 0;
  (void)exact_numbers(j, true);
  return ok;
}

char *json_canon(cJSON *j)
{
  json_sort_keys(j);
  return json_print(j);
}

/* json_parse; checked: text passed the UTF-8, NUL and strict checks. */
static cJSON *parse(const char *text, size_t len, const char *what,
                    bool checked, struct sb_err *err)
{
  cJSON *j;
  const char *end = NULL;

  if (checked)
    goto build;
  if (!utf8_valid(text, len)) {
    sb_err_set(err, SB_EUTF8, "%s is not valid UTF-8", what);
    return NULL;
  }
  if (memchr(text, '\0', len) != NULL) {
    sb_err_set(err, SB_EJSON, "%s contains a NUL byte", what);
    return NULL;
  }
  /* Refuse what cJSON would change or build too big, before it builds. */
  if (json_strict_check(text, len, what, NULL, err) != 0)
    return NULL;
build:
  j = cJSON_ParseWithLengthOpts(text, len, &end, false);
  if (j == NULL && jcanon_escapes_ok(text, len)) {
    /* The text passed the strict pass (yajl), whose grammar cJSON reads
     * wholly but for lone surrogate escapes: cJSON ran out of memory. */
    sb_err_set(err, SB_ENOMEM, "out of memory reading %s", what);
    return NULL;
  }
  if (j == NULL) {
    const char *at = cJSON_GetErrorPtr();
    size_t off =
        at != NULL && at >= text && at <= text + len ? (size_t)(at - text) : 0;
    sb_err_set(err, SB_EJSON, "%s is not valid JSON (error near byte %zu)",
               what, off);
    return NULL;
  }
  /* Only whitespace may follow the value. */
  while (end != NULL && end < text + len &&
         (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
    end++;
  if (end != NULL && end < text + len) {
    sb_err_set(err, SB_EJSON,
               "%s is not valid JSON (unexpected data at byte %zu)", what,
               (size_t)(end - text));
    cJSON_Delete(j);
    return NULL;
  }
  if (!sort_all(j)) {
    sb_err_set(err, SB_EJSON, "%s has an object with a duplicate key", what);
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

/* A cJSON allocation failed on this thread since json_memory_reset. */
static _Thread_local bool cjson_nomem;

static void *watched_malloc(size_t n)
{
  void *p = malloc(n);
  if (p == NULL)
    cjson_nomem = true;
  return p;
}

void json_memory_watch(void)
{
  /* (With hooks of its own, cJSON grows a print buffer by a new
   * allocation and a copy instead of realloc: the same memory, watched.) */
  cJSON_Hooks hooks = {watched_malloc, free};
  cJSON_InitHooks(&hooks);
}

void json_memory_reset(void)
{
  cjson_nomem = false;
}

bool json_memory_failed(void)
{
  return cjson_nomem;
}

int json_parse_held(const char *text, cJSON **out)
{
  *out = cJSON_Parse(text);
  return *out != NULL ? 0 : SB_ENOMEM;
}

int json_parse_failure(const char *text, size_t len)
{
  struct sb_err why = {0};
  cJSON *j = json_parse(text, len, "", &why);

  if (j != NULL) { /* it reads now: memory was short before */
    cJSON_Delete(j);
    return SB_ENOMEM;
  }
  return why.code == SB_ENOMEM ? SB_ENOMEM : SB_EJSON;
}

cJSON *json_parse(const char *text, size_t len, const char *what,
                  struct sb_err *err)
{
  return parse(text, len, what, false, err);
}

cJSON *json_parse_checked(const char *text, size_t len, const char *what,
                          struct sb_err *err)
{
  return parse(text, len, what, true, err);
}

bool json_is_int(const cJSON *j, int64_t min, int64_t max)
{
  double d;
  if (!cJSON_IsNumber(j))
    return false;
  d = j->valuedouble;
  if (!isfinite(d) || d != floor(d))
    return false;
  if (d < -9007199254740992.0 || d > 9007199254740992.0)
    return false;
  return (int64_t)d >= min && (int64_t)d <= max;
}

bool json_plain_string(const char *text, char *out, size_t size)
{
  size_t n = strlen(text);

  if (n < 2 || text[0] != '"' || text[n - 1] != '"' || n - 2 >= size ||
      memchr(text + 1, '\\', n - 2) != NULL ||
      memchr(text + 1, '"', n - 2) != NULL)
    return false;
  memcpy(out, text + 1, n - 2);
  out[n - 2] = '\0';
  return true;
}
