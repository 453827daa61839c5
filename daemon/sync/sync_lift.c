/*
 * sync_lift.c - which pulled changes may lift an out_of_scope refusal
 * (daemon/sync/DESIGN.md, "Scopes").
 *
 * A record the hub refused as out of this device's scope can only come
 * back into it when the scope grows, or when a record it depends on moves:
 * the refused record itself (the office moves the beneficiary back) or
 * the record it follows (a visit's beneficiary). So the refused rows'
 * keys and the keys they follow are the watch list; a pulled change of
 * one of them "touches" it, and only then are the refusals made pending
 * again (sync_scope_lift). Any other news leaves them alone: a refusal
 * that stays out of scope is not pushed (and refused) again at every
 * change another device makes.
 *
 * The list is read from the store when a pull first needs it after a
 * push (the refusals a push made are in it) and dropped after each lift.
 * If it cannot be read, every change touches it (the old, safe rule).
 */
#include "compat.h"

#include "sync_int.h"

#include "json.h"
#include "schema.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

void sync_lift_forget(struct sync *s)
{
  size_t i;

  for (i = 0; i < s->lift.n; i++)
    free(s->lift.keys[i]);
  free(s->lift.keys);
  s->lift.keys = NULL;
  s->lift.n = s->lift.cap = 0;
  s->lift.loaded = false;
}

/* Adds "collection/id" to the watch list; false on ENOMEM. */
static bool watch(struct sync *s, const char *collection, const char *id)
{
  size_t len = strlen(collection) + strlen(id) + 2;
  char *key = malloc(len);

  if (key == NULL)
    return false;
  snprintf(key, len, "%s/%s", collection, id);
  if (s->lift.n == s->lift.cap) {
    size_t cap = s->lift.cap ? 2 * s->lift.cap : 8;
    char **k = realloc(s->lift.keys, cap * sizeof(*k));
    if (k == NULL) {
      free(key);
      return false;
    }
    s->lift.keys = k;
    s->lift.cap = cap;
  }
  s->lift.keys[s->lift.n++] = key;
  return true;
}

/* 1 if a stored reason ({"code":...,"message":...}) is out_of_scope, 0
 * if not, SB_ENOMEM if it could not be read (the device wrote it: it is
 * JSON), which must not pass for "not": the refusal would never lift. */
static int out_of_scope(const char *reason, size_t len)
{
  cJSON *j = cJSON_ParseWithLength(reason, len);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
  int is =
      cJSON_IsString(code) &&
      strcmp(code->valuestring, proto_err_name(PROTO_ERR_OUT_OF_SCOPE)) == 0;

  if (j == NULL && json_parse_failure(reason, len) == SB_ENOMEM)
    is = SB_ENOMEM;
  cJSON_Delete(j);
  return is;
}

/* Watches the records (collection, id) follows: every value its
 * scope_follows ref field holds (concurrent values included). */
static int watch_followed(struct sync *s, const char *collection,
                          const char *id)
{
  const struct schema_collection *c =
      schema_collection(store_schema(s->store), collection);
  const struct schema_field *f;
  const struct field *fl;
  struct record r;
  struct sb_err err = {0};
  char *text = NULL;
  size_t len, k;
  uint64_t seq;
  int rc;

  if (c == NULL || c->scope_follows == NULL)
    return 0;
  f = schema_field(c, c->scope_follows);
  if (f == NULL || f->ref == NULL)
    return 0;
  rc = store_get_text(s->store, collection, id, &text, &len, &seq, &err);
  if (rc == SB_ENOTFOUND)
    return 0;
  record_init(&r, collection, id);
  if (rc == 0)
    rc = record_decode(&r, text, len, &err);
  fl = rc == 0 ? record_field(&r, c->scope_follows) : NULL;
  for (k = 0; fl != NULL && rc == 0 && k < record_field_nentries(fl); k++) {
    cJSON *v = NULL;
    rc = json_parse_held(record_field_entry(fl, k)->value, &v);
    if (rc == 0 && cJSON_IsString(v) && !watch(s, f->ref, v->valuestring))
      rc = SB_ENOMEM;
    cJSON_Delete(v);
  }
  record_release(&r);
  free(text);
  return rc;
}

/* store_rejected_each's step: an out_of_scope refusal and what it
 * follows join the watch list. */
static int watch_row(const char *collection, const char *id, uint64_t seq,
                     const char *reason, size_t len, void *ctx)
{
  struct sync *s = ctx;
  int is = out_of_scope(reason, len);

  (void)seq;
  if (is <= 0)
    return is;
  if (!watch(s, collection, id))
    return SB_ENOMEM;
  return watch_followed(s, collection, id);
}

static void load(struct sync *s)
{
  struct sb_err err = {0};

  sync_lift_forget(s);
  s->lift.loaded = true;
  s->lift.failed = false;
  /* Most stores hold no refusal: the count the push left says so. */
  if (s->marks_known && s->marks.refused == 0)
    return;
  if (store_rejected_each(s->store, watch_row, s, &err) != 0)
    s->lift.failed = true;
}

void sync_lift_note(struct sync *s, const char *collection, const char *id)
{
  size_t i, nc = strlen(collection);

  if (s->lift.touched)
    return;
  if (!s->lift.loaded)
    load(s);
  if (s->lift.failed) {
    s->lift.touched = true;
    return;
  }
  for (i = 0; i < s->lift.n && !s->lift.touched; i++)
    s->lift.touched = strncmp(s->lift.keys[i], collection, nc) == 0 &&
                      s->lift.keys[i][nc] == '/' &&
                      strcmp(s->lift.keys[i] + nc + 1, id) == 0;
}
