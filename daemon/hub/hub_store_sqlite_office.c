/*
 * hub_store_sqlite_office.c - the SQLite backend's office users and
 * sessions (hub_store.h's user_* and session_* ops), kept in store meta
 * (hub_store_sqlite.c's header lists the keys):
 *   office.user.NAME      {"changed_ms","created_ms","pwhash","role"}
 *   office.session.SHA256 {"created_ms","csrf","used_ms","user"}
 * A removed user or session is an empty value; a session sweep deletes
 * the rows of expired and removed sessions.
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_sqlite_int.h"

#include "json.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_USER "office.user."
#define KEY_SESSION "office.session."

/* A uint64 member of j, or false. */
static bool get_u64(const cJSON *j, const char *name, uint64_t *out)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
  if (!json_is_int(v, 0, (int64_t)SB_COUNTER_MAX))
    return false;
  *out = (uint64_t)v->valuedouble;
  return true;
}

/* A string member of j of 1..max bytes copied to out, or false. */
static bool get_str(const cJSON *j, const char *name, char *out, size_t max)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
  if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
      strlen(v->valuestring) > max)
    return false;
  snprintf(out, max + 1, "%s", v->valuestring);
  return true;
}

static int user_parse(struct hub_user *u, const char *name, const char *text,
                      struct sb_err *err)
{
  cJSON *j = cJSON_Parse(text);
  char role[16];
  int r = -1;

  memset(u, 0, sizeof(*u));
  snprintf(u->name, sizeof(u->name), "%s", name);
  if (j == NULL && json_parse_failure(text, strlen(text)) == SB_ENOMEM)
    return sb_err_set(err, SB_ENOMEM, NULL); /* not a damaged entry */
  if (get_str(j, "role", role, sizeof(role) - 1))
    r = hub_role_parse(role);
  if (j == NULL || r < 0 || !get_str(j, "pwhash", u->pwhash, HUB_PWHASH_MAX) ||
      !get_u64(j, "created_ms", &u->created_ms) ||
      !get_u64(j, "changed_ms", &u->changed_ms)) {
    cJSON_Delete(j);
    return sb_err_set(err, SB_ECORRUPT, "user %.64s has a malformed entry",
                      name);
  }
  u->role = (enum hub_role)r;
  cJSON_Delete(j);
  return 0;
}

static char *user_text(const struct hub_user *u)
{
  cJSON *j = cJSON_CreateObject();
  char *text = NULL;

  if (j != NULL &&
      cJSON_AddNumberToObject(j, "changed_ms", (double)u->changed_ms) &&
      cJSON_AddNumberToObject(j, "created_ms", (double)u->created_ms) &&
      cJSON_AddStringToObject(j, "pwhash", u->pwhash) &&
      cJSON_AddStringToObject(j, "role", hub_role_name(u->role)))
    text = json_canon(j);
  cJSON_Delete(j);
  return text;
}

/* meta_read where an empty value (removed) is SB_ENOTFOUND too. */
static int meta_read_live(struct store *s, const char *key, char **value,
                          struct sb_err *err)
{
  int rc = hub_sq_meta_read(s, key, value, err);
  if (rc == 0 && (*value)[0] == '\0') {
    free(*value);
    *value = NULL;
    rc = SB_ENOTFOUND;
  }
  return rc;
}

int hub_sq_user_get(void *be, const char *name, struct hub_user *out,
                    struct sb_err *err)
{
  char key[KEY_MAX], *text = NULL;
  int rc;

  hub_sq_key_of(key, KEY_USER, name);
  rc = meta_read_live(be, key, &text, err);
  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, rc, "no user called %s", name);
  if (rc == 0)
    rc = user_parse(out, name, text, err);
  free(text);
  return rc;
}

int hub_sq_user_put(void *be, const struct hub_user *u, bool create,
                    struct sb_err *err)
{
  struct store *s = be;
  char key[KEY_MAX], *text = NULL, *old = NULL;
  int rc = store_begin(s, err);

  if (rc != 0)
    return rc;
  hub_sq_key_of(key, KEY_USER, u->name);
  rc = meta_read_live(s, key, &old, err);
  if (rc == 0 && create)
    rc =
        sb_err_set(err, SB_EEXISTS, "a user called %s already exists", u->name);
  else if (rc == SB_ENOTFOUND && !create)
    rc = sb_err_set(err, rc, "no user called %s", u->name);
  else if (rc == SB_ENOTFOUND || rc == 0)
    rc = 0;
  if (rc == 0) {
    text = user_text(u);
    rc = text != NULL ? store_meta_set(s, key, text, err)
                      : sb_err_set(err, SB_ENOMEM, NULL);
  }
  if (rc == 0)
    rc = store_commit(s, err);
  if (rc != 0)
    store_rollback(s);
  free(old);
  free(text);
  return rc;
}

struct user_walk {
  hub_user_fn fn;
  void *ctx;
  struct sb_err *err;
};

static int user_one(const char *key, const char *value, void *ctx)
{
  struct user_walk *w = ctx;
  struct hub_user u;
  int rc;

  if (value[0] == '\0')
    return 0;
  rc = user_parse(&u, key + strlen(KEY_USER), value, w->err);
  return rc != 0 ? rc : w->fn(&u, w->ctx);
}

int hub_sq_user_list(void *be, hub_user_fn fn, void *ctx, struct sb_err *err)
{
  struct user_walk w = {fn, ctx, err};
  return store_meta_each(be, KEY_USER, user_one, &w, err);
}

static int meta_put_tx(struct store *s, const char *key, const char *value,
                       struct sb_err *err)
{
  return hub_sq_meta_put(s, key, value, false, err);
}

int hub_sq_user_remove(void *be, const char *name, struct sb_err *err)
{
  struct hub_user u;
  char key[KEY_MAX];
  int rc = hub_sq_user_get(be, name, &u, err);

  if (rc != 0)
    return rc;
  hub_sq_key_of(key, KEY_USER, name);
  return meta_put_tx(be, key, "", err);
}

int hub_sq_session_put(void *be, const struct hub_session *ss,
                       struct sb_err *err)
{
  cJSON *j = cJSON_CreateObject();
  char key[KEY_MAX], *text = NULL;
  int rc;

  if (j != NULL &&
      cJSON_AddNumberToObject(j, "created_ms", (double)ss->created_ms) &&
      cJSON_AddStringToObject(j, "csrf", ss->csrf) &&
      cJSON_AddNumberToObject(j, "used_ms", (double)ss->used_ms) &&
      cJSON_AddStringToObject(j, "user", ss->user))
    text = json_canon(j);
  cJSON_Delete(j);
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  hub_sq_key_of(key, KEY_SESSION, ss->id_hash);
  rc = meta_put_tx(be, key, text, err);
  free(text);
  return rc;
}

/* Reads session id_hash's stored text into out. */
static int session_parse(const char *id_hash, const char *text,
                         struct hub_session *out, struct sb_err *err)
{
  cJSON *j = cJSON_Parse(text);
  int rc = 0;

  memset(out, 0, sizeof(*out));
  snprintf(out->id_hash, sizeof(out->id_hash), "%s", id_hash);
  if (j == NULL && json_parse_failure(text, strlen(text)) == SB_ENOMEM)
    return sb_err_set(err, SB_ENOMEM, NULL); /* not a damaged entry */
  if (j == NULL || !get_str(j, "user", out->user, HUB_USER_NAME_MAX) ||
      !get_str(j, "csrf", out->csrf, HUB_HASH_HEX_LEN) ||
      !get_u64(j, "created_ms", &out->created_ms) ||
      !get_u64(j, "used_ms", &out->used_ms))
    rc = sb_err_set(err, SB_ECORRUPT, "a session has a malformed entry");
  cJSON_Delete(j);
  return rc;
}

int hub_sq_session_get(void *be, const char *id_hash, struct hub_session *out,
                       struct sb_err *err)
{
  char key[KEY_MAX], *text = NULL;
  int rc;

  memset(out, 0, sizeof(*out));
  hub_sq_key_of(key, KEY_SESSION, id_hash);
  rc = meta_read_live(be, key, &text, err);
  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, rc, "no such session");
  if (rc == 0)
    rc = session_parse(id_hash, text, out, err);
  free(text);
  return rc;
}

struct session_walk {
  hub_session_fn fn;
  void *ctx;
  struct sb_err *err;
};

/* store_meta_each's step: a live session to fn (a removed one is an
 * empty value; a malformed one stops the walk). */
static int session_one(const char *key, const char *value, void *ctx)
{
  struct session_walk *w = ctx;
  struct hub_session ss;
  int rc;

  if (value[0] == '\0')
    return 0;
  rc = session_parse(key + strlen(KEY_SESSION), value, &ss, w->err);
  return rc != 0 ? rc : w->fn(&ss, w->ctx);
}

int hub_sq_session_each(void *be, hub_session_fn fn, void *ctx,
                        struct sb_err *err)
{
  struct session_walk w = {fn, ctx, err};
  return store_meta_each(be, KEY_SESSION, session_one, &w, err);
}

int hub_sq_session_remove(void *be, const char *id_hash, struct sb_err *err)
{
  char key[KEY_MAX], *text = NULL;
  int rc;

  hub_sq_key_of(key, KEY_SESSION, id_hash);
  rc = meta_read_live(be, key, &text, err);
  free(text);
  if (rc == SB_ENOTFOUND)
    return 0;
  return rc != 0 ? rc : meta_put_tx(be, key, "", err);
}

/* The session keys a sweep removes: expired, or emptied (removed). */
struct sweep {
  uint64_t used_before, made_before;
  char **keys;
  size_t n;
};

static int sweep_one(const char *key, const char *value, void *ctx)
{
  struct sweep *w = ctx;
  cJSON *j = value[0] != '\0' ? cJSON_Parse(value) : NULL;
  uint64_t used = 0, made = 0;
  bool expired =
      value[0] == '\0' ||
      (get_u64(j, "used_ms", &used) && get_u64(j, "created_ms", &made) &&
       (used < w->used_before || made < w->made_before));
  char **keys;

  cJSON_Delete(j); /* (a malformed entry stays: `check` reports it) */
  if (!expired)
    return 0;
  keys = realloc(w->keys, (w->n + 1) * sizeof(*keys));
  if (keys == NULL)
    return SB_ENOMEM;
  w->keys = keys;
  if ((keys[w->n] = strdup(key)) == NULL)
    return SB_ENOMEM;
  w->n++;
  return 0;
}

int hub_sq_session_sweep(void *be, uint64_t used_before, uint64_t made_before,
                         uint64_t *removed, struct sb_err *err)
{
  struct sweep w = {used_before, made_before, NULL, 0};
  size_t i;
  int rc = store_begin(be, err); /* the walk and the deletes: one snapshot */

  if (rc == 0)
    rc = store_meta_each(be, KEY_SESSION, sweep_one, &w, err);
  if (rc == SB_ENOMEM)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  for (i = 0; rc == 0 && i < w.n; i++)
    rc = store_meta_delete(be, w.keys[i], err);
  if (rc == 0)
    rc = store_commit(be, err);
  else
    store_rollback(be);
  *removed = rc == 0 ? w.n : 0;
  for (i = 0; i < w.n; i++)
    free(w.keys[i]);
  free(w.keys);
  return rc;
}
