/*
 * hub_store_devices.c - the hub's enrolled devices as its callers see
 * them (hub_store.h): names and token hashes checked, scopes parsed
 * against the hub's schema, re-enrolment of a revoked name; each call
 * passed on to the backend's primitives (struct hub_store_ops).
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_int.h"

#include "hub_push_chain.h"
#include "hub_restore.h"
#include "scope.h"

#include <stdio.h>
#include <string.h>

bool hub_store_device_name_valid(const char *s)
{
  /* The protocol's rule: devices receive these names (GET /v1/names). */
  return proto_device_name_valid(s);
}

bool hub_device_hash_valid(const char *s)
{
  size_t n;
  for (n = 0; s[n] != '\0'; n++) {
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return false;
  }
  return n == HUB_HASH_HEX_LEN;
}

/* scope as the stored text of a device scope, checked against the schema. */
static int device_scope_text(struct hub_store *hs, const char *scope, char *out,
                             size_t size, struct sb_err *err)
{
  struct scope_parts p;
  int rc;

  scope_parts_init(&p);
  rc = scope_parse(hs->schema, scope, &p, err);
  if (rc == 0 && !scope_text(&p, out, size))
    rc = sb_err_set(err, SB_EINVAL, "scope is too long");
  scope_parts_release(&p);
  return rc;
}

int hub_store_device_add(struct hub_store *hs, const char *name,
                         const char *token_hash, uint64_t created_ms,
                         const char *scope, struct sb_err *err)
{
  struct hub_device d, old;
  int rc;

  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_EINVAL,
                      "bad device name \"%.80s\" (1 to %d of A-Z a-z 0-9 "
                      "- _ ., starting with a letter or digit)",
                      name, HUB_DEVICE_NAME_MAX);
  if (!hub_device_hash_valid(token_hash))
    return sb_err_set(err, SB_EINVAL, "bad token hash");
  memset(&d, 0, sizeof(d));
  snprintf(d.name, sizeof(d.name), "%s", name);
  snprintf(d.token_hash, sizeof(d.token_hash), "%s", token_hash);
  d.created_ms = created_ms;
  rc = device_scope_text(hs, scope, d.scope, sizeof(d.scope), err);
  /* A backend that keeps no scopes would serve such a device everything:
   * refuse rather than enrol it wider than asked. */
  if (rc == 0 && hs->ops->device_get == NULL && strcmp(d.scope, "all") != 0)
    return sb_err_set(err, SB_EINVAL,
                      "the %s backend keeps no device scopes yet: enrol "
                      "with --scope all, or use the SQLite hub",
                      hs->ops->name);
  if (rc != 0 || hs->ops->device_get == NULL)
    return rc != 0 ? rc : hs->ops->device_add(hs->be, &d, err);
  rc = hs->ops->device_get(hs->be, name, &old, NULL);
  if (rc == SB_ENOTFOUND)
    return hs->ops->device_add(hs->be, &d, err);
  if (rc != 0)
    return hub_store_device_get(hs, name, &old, err);
  if (!old.revoked)
    return sb_err_set(err, SB_EEXISTS, "a device called %s already exists",
                      name);
  /* Enrolled again: a new token, unbound, active; the old token stays
   * refused (its hash no longer names a device). */
  return hs->ops->device_update(hs->be, &d, old.token_hash, err);
}

int hub_store_device_get(struct hub_store *hs, const char *name,
                         struct hub_device *out, struct sb_err *err)
{
  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_ENOTFOUND, "no device called %.80s", name);
  if (hs->ops->device_get == NULL)
    return sb_err_set(err, SB_EINVAL, "the %s backend has no scopes yet",
                      hs->ops->name);
  return hs->ops->device_get(hs->be, name, out, err);
}

int hub_store_device_set_scope(struct hub_store *hs, const char *name,
                               const char *scope, struct sb_err *err)
{
  struct hub_device d;
  int rc = hub_store_device_get(hs, name, &d, err);

  if (rc == 0)
    rc = device_scope_text(hs, scope, d.scope, sizeof(d.scope), err);
  if (rc == 0)
    rc = hs->ops->device_update(hs->be, &d, NULL, err);
  return rc;
}

int hub_store_device_rotate(struct hub_store *hs, const char *name,
                            const char *token_hash, struct sb_err *err)
{
  struct hub_device d;
  char old[HUB_HASH_HEX_LEN + 1];
  int rc = hub_store_device_get(hs, name, &d, err);

  if (rc != 0)
    return rc;
  if (!hub_device_hash_valid(token_hash))
    return sb_err_set(err, SB_EINVAL, "bad token hash");
  if (d.revoked)
    return sb_err_set(err, SB_EINVAL,
                      "device %s is revoked: enrol it again with device add",
                      name);
  snprintf(old, sizeof(old), "%s", d.token_hash);
  snprintf(d.token_hash, sizeof(d.token_hash), "%s", token_hash);
  rc = hs->ops->device_update(hs->be, &d, old, err);
  /* Only the store given the new token pushes from now on: whatever
   * chain it holds starts the device's again (hub_push_chain.h). */
  if (rc == 0 && d.replica[0] != '\0')
    rc = hub_push_chain_forget(hs->ops, hs->be, d.replica, err);
  return rc;
}

/* A backend that keeps no scopes holds only devices of scope all
 * (hub_store_device_add refuses the others): say so in what it lists. */
struct scopeless_walk {
  hub_device_fn fn;
  void *ctx;
};

static int scopeless_one(const struct hub_device *d, void *ctx)
{
  struct scopeless_walk *w = ctx;
  struct hub_device all = *d;

  if (all.scope[0] == '\0')
    snprintf(all.scope, sizeof(all.scope), "all");
  return w->fn(&all, w->ctx);
}

int hub_store_device_list(struct hub_store *hs, hub_device_fn fn, void *ctx,
                          struct sb_err *err)
{
  struct scopeless_walk w = {fn, ctx};
  return hs->ops->device_list(hs->be, scopeless_one, &w, err);
}

int hub_store_device_revoke(struct hub_store *hs, const char *name,
                            struct sb_err *err)
{
  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_ENOTFOUND, "no device called %.80s", name);
  return hs->ops->device_revoke(hs->be, name, err);
}

int hub_store_device_by_token(struct hub_store *hs, const char *token_hash,
                              struct hub_device *out, struct sb_err *err)
{
  if (!hub_device_hash_valid(token_hash))
    return sb_err_set(err, SB_ENOTFOUND, "unknown token");
  return hs->ops->device_by_token(hs->be, token_hash, out, err);
}

int hub_store_device_bind(struct hub_store *hs, const char *name,
                          const char *replica, struct sb_err *err)
{
  int rc;

  if (hs->reader)
    return sb_err_set(err, SB_EBUSY,
                      "binding device %s needs the writer's connection", name);
  if (!vv_replica_id_valid(replica))
    return sb_err_set(err, SB_EINVAL, "bad replica id \"%.40s\"", replica);
  rc = hub_restore_refuse_past(hs, replica, err);
  if (rc != 0)
    return rc;
  return hs->ops->device_bind(hs->be, name, replica, err);
}
