/*
 * office_devices.c - the devices of the office dashboard (OFFICE.md,
 * "API"): the list with each device's activity, and for admins enrolment
 * (the token shown once), a new scope, a new token (the old one stops
 * working) and revocation: what `sambang-hub device` does, through the
 * same store calls, so the rules (names, scopes checked against the
 * schema, a revoked device's name enrolled again) are the same.
 */
#include "compat.h"

#include "office_int.h"

#include "auth.h"
#include "hlc.h"

#include <stdio.h>
#include <string.h>

struct device_walk {
  struct hub_call *c;
  struct hub_store *hs;
  cJSON *list;
  uint64_t before_ms; /* only those not seen since (0: every device) */
};

/* j[key] = ms, or null for 0 (never). */
static void ms_or_null(cJSON *j, const char *key, uint64_t ms)
{
  if (ms > 0)
    cJSON_AddNumberToObject(j, key, (double)ms);
  else
    cJSON_AddNullToObject(j, key);
}

static int device_row(const struct hub_device *d, void *ctx)
{
  struct device_walk *w = ctx;
  struct hub_device_activity a;
  cJSON *j;

  office_seen_get(w->c, w->hs, d->name, &a);
  if (w->before_ms > 0 && (d->revoked || a.seen_ms >= w->before_ms))
    return 0;
  j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "name", d->name);
  cJSON_AddStringToObject(j, "replica", d->replica);
  cJSON_AddBoolToObject(j, "revoked", d->revoked);
  cJSON_AddNumberToObject(j, "created_ms", (double)d->created_ms);
  cJSON_AddStringToObject(j, "scope", d->scope);
  ms_or_null(j, "last_seen_ms", a.seen_ms);
  ms_or_null(j, "last_push_ms", a.push_ms);
  ms_or_null(j, "last_pull_ms", a.pull_ms);
  if (a.app[0] != '\0')
    cJSON_AddStringToObject(j, "app", a.app);
  else
    cJSON_AddNullToObject(j, "app");
  /* as the device last said (null: it never did) */
  ms_or_null(j, "marks_ms", a.marks_ms);
  if (a.marks_ms > 0) {
    cJSON_AddNumberToObject(j, "pending", (double)a.pending);
    cJSON_AddNumberToObject(j, "refused", (double)a.refused);
  } else {
    cJSON_AddNullToObject(j, "pending");
    cJSON_AddNullToObject(j, "refused");
  }
  /* its last push refused as another store's (null: never) */
  ms_or_null(j, "copied_ms", a.copied_ms);
  cJSON_AddItemToArray(w->list, j);
  return 0;
}

int office_devices_list(struct hub_call *c, struct hub_store *hs,
                        uint64_t before_ms, cJSON *list, struct sb_err *err)
{
  struct device_walk w = {c, hs, list, before_ms};
  return hub_store_device_list(hs, device_row, &w, err);
}

static void api_devices(struct hub_call *c)
{
  cJSON *list = cJSON_CreateArray();
  struct sb_err err = {0};
  struct hub_store *hs = office_reader_lock(c);
  int rc = office_devices_list(c, hs, 0, list, &err);

  office_reader_unlock(c);
  office_reply_list(c, rc, &err, "devices", list);
}

/* A new token into token, its hash into hash; false (replied) if none. */
static bool new_token(struct hub_call *c, char *token, char *hash)
{
  if (auth_token_new(token) == 0 && auth_token_hash(token, hash) == 0)
    return true;
  office_reply_error(c, OFFICE_ERR_INTERNAL, "no randomness for a token");
  return false;
}

static void api_device_add(struct hub_call *c)
{
  cJSON *req = office_body_json(c, "name,scope");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(req, "name");
  const cJSON *scope = cJSON_GetObjectItemCaseSensitive(req, "scope");
  char token[AUTH_TOKEN_LEN + 1], hash[HUB_HASH_HEX_LEN + 1];
  struct sb_err err = {0};
  struct hub_store *hs;
  int rc;

  if (req == NULL)
    return;
  if (!cJSON_IsString(name) || !cJSON_IsString(scope)) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "send {\"name\":NAME,\"scope\":\"all\" or "
                       "\"KECAMATAN,...\"}");
  } else if (new_token(c, token, hash)) {
    hs = hub_call_writer_lock(c);
    rc = hub_store_device_add(hs, name->valuestring, hash, hlc_wall_ms(),
                              scope->valuestring, &err);
    hub_call_writer_unlock(c);
    if (rc == 0)
      office_audit(c, "enrolled device %s, scope %.200s", name->valuestring,
                   scope->valuestring);
    office_reply_named(c, rc, &err, name->valuestring, token);
  }
  cJSON_Delete(req);
}

/* POST /api/devices/NAME/scope {"scope"}: as `device scope NAME --set`;
 * the records now outside it leave the device at its next sync. */
static void api_device_scope(struct hub_call *c, const char *name)
{
  cJSON *req = office_body_json(c, "scope");
  const cJSON *scope = cJSON_GetObjectItemCaseSensitive(req, "scope");
  struct sb_err err = {0};
  struct hub_store *hs;
  int rc;

  if (req == NULL)
    return;
  if (!cJSON_IsString(scope)) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "send {\"scope\":\"all\" or \"KECAMATAN,...\"}");
  } else {
    hs = hub_call_writer_lock(c);
    rc = hub_store_device_set_scope(hs, name, scope->valuestring, &err);
    hub_call_writer_unlock(c);
    if (rc == 0)
      office_audit(c, "set device %s's scope to %.200s", name,
                   scope->valuestring);
    office_reply_named(c, rc, &err, name, NULL);
  }
  cJSON_Delete(req);
}

/* POST /api/devices/NAME/rotate: as `device rotate NAME`. */
static void api_device_rotate(struct hub_call *c, const char *name)
{
  char token[AUTH_TOKEN_LEN + 1], hash[HUB_HASH_HEX_LEN + 1];
  struct sb_err err = {0};
  struct hub_store *hs;
  int rc;

  if (!new_token(c, token, hash))
    return;
  hs = hub_call_writer_lock(c);
  rc = hub_store_device_rotate(hs, name, hash, &err);
  hub_call_writer_unlock(c);
  if (rc == 0)
    office_audit(c, "issued a new token for device %s", name);
  office_reply_named(c, rc, &err, name, token);
}

/* POST /api/devices/NAME/revoke: as `device revoke NAME`. */
static void api_device_revoke(struct hub_call *c, const char *name)
{
  struct sb_err err = {0};
  struct hub_store *hs = hub_call_writer_lock(c);
  int rc = hub_store_device_revoke(hs, name, &err);

  hub_call_writer_unlock(c);
  if (rc == 0)
    office_audit(c, "revoked device %s", name);
  office_reply_named(c, rc, &err, name, NULL);
}

void office_devices_api(struct hub_call *c, const char *rest)
{
  static const struct {
    const char *verb;
    void (*fn)(struct hub_call *c, const char *name);
  } acts[] = {{"/revoke", api_device_revoke},
              {"/scope", api_device_scope},
              {"/rotate", api_device_rotate}};
  bool get = strcmp(c->oreq->method, "GET") == 0;
  const char *slash = rest[0] == '/' ? strrchr(rest + 1, '/') : NULL;
  char name[HUB_DEVICE_NAME_MAX + 1];
  size_t i;

  if (rest[0] == '\0') {
    if (get)
      api_devices(c);
    else if (office_allowed(c, HUB_ROLE_ADMIN))
      api_device_add(c);
    return;
  }
  for (i = 0; !get && slash != NULL && i < sizeof(acts) / sizeof(acts[0]);
       i++) {
    if (strcmp(slash, acts[i].verb) != 0)
      continue;
    if ((size_t)(slash - rest - 1) > HUB_DEVICE_NAME_MAX) {
      office_reply_error(c, OFFICE_ERR_NOT_FOUND, "no device called %.80s",
                         rest + 1);
      return;
    }
    snprintf(name, sizeof(name), "%.*s", (int)(slash - rest - 1), rest + 1);
    if (office_allowed(c, HUB_ROLE_ADMIN))
      acts[i].fn(c, name);
    return;
  }
  office_reply_error(c, OFFICE_ERR_NOT_FOUND,
                     "no such API: %s /api/devices%.100s", c->oreq->method,
                     rest);
}
