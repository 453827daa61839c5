/*
 * office_users.c - office users managed from the page (OFFICE.md, "API"):
 * list, add, change password or role, remove; admins only, every POST
 * behind the CSRF token (office_http.c checks it before the body). The
 * same rules as `sambang-hub user`: names as device names, a role of
 * admin|reviewer|viewer, a password of 8 to 1023 bytes kept as Argon2id;
 * a new password or role ends the user's older sessions, a removed user's
 * sessions end at once. An admin may not remove or demote themself (the
 * office would lose its last way in by a slip of the mouse).
 */
#include "compat.h"

#include "office_int.h"

#include "hlc.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int user_row(const struct hub_user *u, void *ctx)
{
  cJSON *j = cJSON_CreateObject();

  cJSON_AddStringToObject(j, "name", u->name);
  cJSON_AddStringToObject(j, "role", hub_role_name(u->role));
  cJSON_AddNumberToObject(j, "created_ms", (double)u->created_ms);
  cJSON_AddNumberToObject(j, "changed_ms", (double)u->changed_ms);
  cJSON_AddItemToArray(ctx, j);
  return 0;
}

static void users_list(struct hub_call *c)
{
  cJSON *list = cJSON_CreateArray();
  struct sb_err err = {0};
  struct hub_store *hs = office_reader_lock(c);
  int rc = hub_store_user_list(hs, user_row, list, &err);

  office_reader_unlock(c);
  office_reply_list(c, rc, &err, "users", list);
}

/* Sets u's password from pw (checked) and its changed time; false with
 * the reply sent if refused. */
static bool set_password(struct hub_call *c, struct hub_user *u, const char *pw)
{
  struct sb_err err = {0};
  size_t n = strlen(pw);
  int rc;

  if (n < OFFICE_PASSWORD_MIN || n > OFFICE_PASSWORD_MAX) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "the password must have %d to %d characters",
                       OFFICE_PASSWORD_MIN, OFFICE_PASSWORD_MAX);
    return false;
  }
  /* what `sambang-hub user passwd` (one line of stdin) could not set */
  if (strpbrk(pw, "\r\n") != NULL) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "the password must be one line (no line break)");
    return false;
  }
  if (!office_auth_pw_enter(c))
    return false;
  rc = office_auth_hash(pw, u->pwhash, &err);
  office_auth_pw_leave();
  if (rc != 0) {
    office_reply_store(c, SB_EINTERNAL, &err);
    return false;
  }
  return true;
}

/* Saves u (a new user if create) on the writer's connection and answers
 * with its row. */
static void save(struct hub_call *c, struct hub_user *u, bool create)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  cJSON *list;
  int rc;

  u->changed_ms = hlc_wall_ms();
  if (create)
    u->created_ms = u->changed_ms;
  hs = hub_call_writer_lock(c);
  rc = hub_store_user_put(hs, u, create, &err);
  hub_call_writer_unlock(c);
  if (rc == SB_EINVAL || rc == SB_EEXISTS) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST, "%s", err.msg);
  } else if (rc == SB_ENOTFOUND) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "%s", err.msg);
  } else if (rc != 0) {
    office_reply_store(c, rc, &err);
  } else {
    office_audit(c, "%s user %s (%s)", create ? "added" : "changed", u->name,
                 hub_role_name(u->role));
    list = cJSON_CreateArray();
    user_row(u, list);
    office_reply_json(c, cJSON_DetachItemFromArray(list, 0));
    cJSON_Delete(list);
  }
}

/* POST /api/users {"name","role","password"} */
static void users_add(struct hub_call *c, const cJSON *req)
{
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(req, "name");
  const cJSON *role = cJSON_GetObjectItemCaseSensitive(req, "role");
  const cJSON *pw = cJSON_GetObjectItemCaseSensitive(req, "password");
  struct hub_user u;

  memset(&u, 0, sizeof(u));
  if (!cJSON_IsString(name) || !cJSON_IsString(role) || !cJSON_IsString(pw) ||
      hub_role_parse(role->valuestring) < 0 ||
      strlen(name->valuestring) > HUB_USER_NAME_MAX) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "send {\"name\":NAME,\"role\":\"admin\", \"reviewer\" "
                       "or \"viewer\",\"password\":PASSWORD}");
    return;
  }
  snprintf(u.name, sizeof(u.name), "%s", name->valuestring);
  u.role = (enum hub_role)hub_role_parse(role->valuestring);
  if (set_password(c, &u, pw->valuestring))
    save(c, &u, true);
  sodium_memzero(u.pwhash, sizeof(u.pwhash));
}

/* POST /api/users/NAME {"password"?, "role"?} */
static void users_change(struct hub_call *c, const char *name, const cJSON *req)
{
  const cJSON *role = cJSON_GetObjectItemCaseSensitive(req, "role");
  const cJSON *pw = cJSON_GetObjectItemCaseSensitive(req, "password");
  struct sb_err err = {0};
  struct hub_store *hs;
  struct hub_user u;
  int rc, r = -1;

  if ((role == NULL && pw == NULL) || (pw != NULL && !cJSON_IsString(pw)) ||
      (role != NULL && (!cJSON_IsString(role) ||
                        (r = hub_role_parse(role->valuestring)) < 0))) {
    office_reply_error(
        c, OFFICE_ERR_BAD_REQUEST,
        "send {\"password\":PASSWORD} and/or {\"role\":\"admin\", "
        "\"reviewer\" or \"viewer\"}");
    return;
  }
  if (r >= 0 && r != HUB_ROLE_ADMIN && strcmp(name, c->oreq->user.name) == 0) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "an admin may not demote themself: ask another admin");
    return;
  }
  hs = office_reader_lock(c);
  rc = hub_store_user_get(hs, name, &u, &err);
  office_reader_unlock(c);
  if (rc == SB_ENOTFOUND) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "no user called %.80s", name);
    return;
  }
  if (rc != 0) {
    office_reply_store(c, rc, &err);
    return;
  }
  if (r >= 0)
    u.role = (enum hub_role)r;
  if (pw == NULL || set_password(c, &u, pw->valuestring))
    save(c, &u, false);
  sodium_memzero(u.pwhash, sizeof(u.pwhash));
}

/* POST /api/users/NAME/remove */
static void users_remove(struct hub_call *c, const char *name)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  int rc;

  if (strcmp(name, c->oreq->user.name) == 0) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "an admin may not remove themself: ask another admin");
    return;
  }
  hs = hub_call_writer_lock(c);
  rc = hub_store_user_remove(hs, name, &err);
  hub_call_writer_unlock(c);
  if (rc == 0)
    office_audit(c, "removed user %s", name);
  office_reply_named(c, rc, &err, name, NULL); /* as a device's revoke */
}

void office_users_api(struct hub_call *c, const char *rest)
{
  bool get = strcmp(c->oreq->method, "GET") == 0;
  char name[HUB_USER_NAME_MAX + 1];
  const char *slash;
  cJSON *req;
  size_t n;

  if (c->oreq->user.role < HUB_ROLE_ADMIN) {
    office_reply_error(c, OFFICE_ERR_FORBIDDEN,
                       "a %s may not manage users (admin only)",
                       hub_role_name(c->oreq->user.role));
    return;
  }
  if (rest[0] == '\0') {
    if (get) {
      users_list(c);
      return;
    }
    if ((req = office_body_json(c, "name,role,password")) != NULL)
      users_add(c, req);
    cJSON_Delete(req);
    return;
  }
  slash = strchr(rest + 1, '/');
  n = slash != NULL ? (size_t)(slash - rest - 1) : strlen(rest + 1);
  if (get || rest[0] != '/' || n == 0 || n > HUB_USER_NAME_MAX ||
      (slash != NULL && strcmp(slash, "/remove") != 0)) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND,
                       "no such API: %s /api/users%.100s", c->oreq->method,
                       rest);
    return;
  }
  snprintf(name, sizeof(name), "%.*s", (int)n, rest + 1);
  if (slash != NULL) {
    users_remove(c, name);
    return;
  }
  if ((req = office_body_json(c, "role,password")) != NULL)
    users_change(c, name, req);
  cJSON_Delete(req);
}
