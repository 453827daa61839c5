/*
 * hub_store_office.c - the office's users, sessions and devices' last-seen
 * times, and the hub's own writes (hub_store_hub_put, hub_store_get), each
 * passed on to the backend's primitives (struct hub_store_ops).
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_int.h"

#include "hub_push.h"
#include "hub_scope.h"
#include "schema.h"
#include "update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- office users and sessions ---------------------------------------- */

static const char *const role_names[] = {"viewer", "reviewer", "admin"};

const char *hub_role_name(enum hub_role role)
{
  return (unsigned)role < 3 ? role_names[role] : "viewer";
}

int hub_role_parse(const char *s)
{
  int i;
  for (i = 0; i < 3; i++)
    if (s != NULL && strcmp(s, role_names[i]) == 0)
      return i;
  return -1;
}

/* SB_EINVAL unless the backend has the office's primitive op. */
#define OFFICE_OP(hs, op, err)                                                 \
  do {                                                                         \
    if ((hs)->ops->op == NULL)                                                 \
      return sb_err_set(err, SB_EINVAL,                                        \
                        "the %s backend keeps no office users yet",            \
                        (hs)->ops->name);                                      \
  } while (0)

int hub_store_user_put(struct hub_store *hs, const struct hub_user *u,
                       bool create, struct sb_err *err)
{
  OFFICE_OP(hs, user_put, err);
  if (!hub_store_device_name_valid(u->name))
    return sb_err_set(err, SB_EINVAL,
                      "bad user name \"%.80s\" (1 to %d of A-Z a-z 0-9 "
                      "- _ ., starting with a letter or digit)",
                      u->name, HUB_USER_NAME_MAX);
  if (hs->reader)
    return sb_err_set(err, SB_EBUSY, "a user change needs the writer");
  return hs->ops->user_put(hs->be, u, create, err);
}

int hub_store_user_get(struct hub_store *hs, const char *name,
                       struct hub_user *out, struct sb_err *err)
{
  OFFICE_OP(hs, user_get, err);
  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_ENOTFOUND, "no user called %.80s", name);
  return hs->ops->user_get(hs->be, name, out, err);
}

int hub_store_user_list(struct hub_store *hs, hub_user_fn fn, void *ctx,
                        struct sb_err *err)
{
  OFFICE_OP(hs, user_list, err);
  return hs->ops->user_list(hs->be, fn, ctx, err);
}

int hub_store_user_remove(struct hub_store *hs, const char *name,
                          struct sb_err *err)
{
  OFFICE_OP(hs, user_remove, err);
  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_ENOTFOUND, "no user called %.80s", name);
  return hs->ops->user_remove(hs->be, name, err);
}

int hub_store_session_put(struct hub_store *hs, const struct hub_session *s,
                          struct sb_err *err)
{
  OFFICE_OP(hs, session_put, err);
  if (!hub_device_hash_valid(s->id_hash))
    return sb_err_set(err, SB_EINVAL, "bad session hash");
  return hs->ops->session_put(hs->be, s, err);
}

int hub_store_session_get(struct hub_store *hs, const char *id_hash,
                          struct hub_session *out, struct sb_err *err)
{
  OFFICE_OP(hs, session_get, err);
  if (!hub_device_hash_valid(id_hash))
    return sb_err_set(err, SB_ENOTFOUND, "no such session");
  return hs->ops->session_get(hs->be, id_hash, out, err);
}

int hub_store_session_remove(struct hub_store *hs, const char *id_hash,
                             struct sb_err *err)
{
  OFFICE_OP(hs, session_remove, err);
  if (!hub_device_hash_valid(id_hash))
    return 0;
  return hs->ops->session_remove(hs->be, id_hash, err);
}

int hub_store_session_sweep(struct hub_store *hs, uint64_t used_before,
                            uint64_t made_before, uint64_t *removed,
                            struct sb_err *err)
{
  *removed = 0;
  OFFICE_OP(hs, session_sweep, err);
  return hs->ops->session_sweep(hs->be, used_before, made_before, removed, err);
}

/* True if s is printable ASCII (what an app version may hold). */
static bool app_valid(const char *s)
{
  for (; *s != '\0'; s++) {
    if (*s < 0x20 || *s > 0x7e)
      return false;
  }
  return true;
}

int hub_store_device_activity_set(struct hub_store *hs, const char *name,
                                  const struct hub_device_activity *a,
                                  struct sb_err *err)
{
  OFFICE_OP(hs, device_activity_set, err);
  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_EINVAL, "bad device name");
  if (!app_valid(a->app))
    return sb_err_set(err, SB_EINVAL, "bad app version");
  return hs->ops->device_activity_set(hs->be, name, a, err);
}

int hub_store_device_activity_get(struct hub_store *hs, const char *name,
                                  struct hub_device_activity *out,
                                  struct sb_err *err)
{
  memset(out, 0, sizeof(*out));
  if (hs->ops->device_activity_get == NULL ||
      !hub_store_device_name_valid(name))
    return 0;
  return hs->ops->device_activity_get(hs->be, name, out, err);
}

/* The hub's own write: update_apply's store and its staleness check. */
struct hub_put {
  struct hub_store *hs;
  const cJSON *fields;
  uint64_t expect_seq, loaded_seq, ts;
  bool loaded;
  struct scope_parts was; /* the scope parts of the state it replaces */
};

static int hub_put_load(void *ctx, const char *collection, const char *id,
                        char **text, size_t *len, uint64_t *seq,
                        struct sb_err *err)
{
  struct hub_put *p = ctx;
  int rc = p->hs->ops->load(p->hs->be, collection, id, text, len, seq, err);
  if (rc == 0) {
    p->loaded = true;
    p->loaded_seq = *seq;
  }
  return rc;
}

static int hub_put_save(void *ctx, const struct record *r, const char *text,
                        size_t len, uint64_t *seq, struct sb_err *err)
{
  struct hub_put *p = ctx;
  struct hub_store *hs = p->hs;

  /* A move made here is one like a push's (daemon/hub/DESIGN.md,
   * "Scopes"): the devices that no longer cover the record are told it
   * is gone, its followers move with it, its part is stored. */
  return hub_scope_save(hs->ops, hs->be, hs->schema, r, text, len, p->ts, NULL,
                        &p->was, seq, err);
}

static uint64_t hub_put_tick(void *ctx)
{
  struct hub_put *p = ctx;
  p->ts = p->hs->ops->tick(p->hs->be);
  return p->ts;
}

static int hub_put_before(void *ctx, const struct record *cur, bool exists,
                          struct sb_err *err)
{
  struct hub_put *p = ctx;
  /* A deleted record is not brought back by a review's edit. */
  if (!exists || record_empty(cur) || record_deleted(cur))
    return sb_err_set(err, SB_ENOTFOUND, "no record %s/%s", cur->collection,
                      cur->id);
  if (p->loaded_seq != p->expect_seq)
    return sb_err_set(err, SB_ECONFLICT,
                      "%s/%s changed since it was loaded (seq %llu, now %llu)",
                      cur->collection, cur->id,
                      (unsigned long long)p->expect_seq,
                      (unsigned long long)p->loaded_seq);
  if (p->hs->ops->each_in == NULL)
    return 0; /* a backend without scopes */
  return hub_scope_of(p->hs->ops, p->hs->be, p->hs->schema, cur, &p->was, err);
}

/* A personal value the resolve sets without consent is refused (as the
 * CLI's write is), not dropped. */
static int hub_put_after(void *ctx, const struct record *next, size_t len,
                         struct sb_err *err)
{
  struct hub_put *p = ctx;

  (void)len;
  return schema_check_kept(schema_collection(p->hs->schema, next->collection),
                           p->fields, next, err);
}

int hub_store_hub_put(struct hub_store *hs, const char *collection,
                      const char *id, cJSON *fields, uint64_t expect_seq,
                      uint64_t *seq, struct sb_err *err)
{
  struct hub_put p = {hs, fields, expect_seq, 0, 0, false, {NULL, 0, false}};
  struct update_io io = {
      "the hub's store", hub_put_load, hub_put_save, hub_put_tick, &p,
      hs->schema,        NULL};
  struct update_hooks hooks = {hub_put_before, hub_put_after, &p};
  struct update_change ch = {UPDATE_PUT, hub_store_replica(hs), fields, NULL,
                             NULL};
  struct update_result res;
  int rc;

  *seq = 0;
  OFFICE_OP(hs, tick, err);
  if (hs->reader)
    return sb_err_set(err, SB_EBUSY, "a write needs the writer's connection");
  if (!record_name_valid(collection) || !record_id_valid(id))
    return sb_err_set(err, SB_ENOTFOUND, "no record %.64s/%.128s", collection,
                      id);
  if (!cJSON_IsObject(fields) || fields->child == NULL)
    return sb_err_set(err, SB_EINVAL, "no fields to write");
  rc = schema_check_write(schema_collection(hs->schema, collection), fields,
                          err);
  if (rc != 0)
    return rc;
  rc = hs->ops->begin(hs->be, err);
  if (rc != 0)
    return rc;
  rc = update_apply(&io, collection, id, &ch, &hooks, &res, err);
  scope_parts_release(&p.was);
  if (rc == 0)
    rc = hs->ops->commit(hs->be, err);
  else
    hs->ops->rollback(hs->be);
  if (rc == 0)
    *seq = res.seq;
  return rc;
}

int hub_store_get(struct hub_store *hs, const char *collection, const char *id,
                  struct record *r, uint64_t *seq, struct sb_err *err)
{
  char *text = NULL;
  size_t len = 0;
  int rc;

  if (!record_name_valid(collection) || !record_id_valid(id))
    return sb_err_set(err, SB_ENOTFOUND, "no record %.64s/%.128s", collection,
                      id);
  rc = hs->ops->load(hs->be, collection, id, &text, &len, seq, err);
  if (rc == SB_ENOTFOUND) /* the store's words are for logs */
    rc =
        sb_err_set(err, SB_ENOTFOUND, "no record %.64s/%.128s", collection, id);
  if (rc == 0)
    rc = record_decode(r, text, len, err);
  free(text);
  return rc;
}
