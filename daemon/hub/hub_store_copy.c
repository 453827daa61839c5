/*
 * hub_store_copy.c - `sambang-hub migrate`: a whole hub store copied into
 * a new store of another backend (hub_store_copy, hub_store.h), in one
 * transaction of the target: records with their seqs and scope moves,
 * devices with their activity, office users and sessions, the purge and
 * held-push meta, the feed's newest seq and the restore marks.
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_int.h"

#include "hub_push.h"
#include "hub_push_chain.h"
#include "hub_restore.h"
#include "hub_scope.h"

#include <stdlib.h>
#include <string.h>

struct copy_walk {
  struct hub_store *from, *to;
  uint64_t n;
  struct sb_err *err;
};

/* A device's activity (last seen, push, pull, app) goes with it, where
 * both backends keep one. */
static int copy_activity(struct copy_walk *w, const char *name)
{
  struct hub_store *from = w->from;
  struct hub_device_activity a;
  int rc;

  memset(&a, 0, sizeof(a));
  if (from->ops->device_activity_get == NULL ||
      w->to->ops->device_activity_set == NULL)
    return 0;
  rc = from->ops->device_activity_get(from->be, name, &a, w->err);
  if (rc == 0 && a.seen_ms > 0)
    rc = w->to->ops->device_activity_set(w->to->be, name, &a, w->err);
  return rc;
}

/* A record's scope moves (hub_scope.c's meta key) go with it, so that a
 * scoped device still hears of a record that left its scope. */
static int copy_moves(struct copy_walk *w, const struct record *r)
{
  char *key, *value = NULL;
  int rc;

  if (w->to->ops->each_in == NULL)
    return 0; /* the target keeps no scopes */
  key = hub_scope_moved_key(r->collection, r->id);
  if (key == NULL)
    return sb_err_set(w->err, SB_ENOMEM, NULL);
  rc = w->from->ops->meta_get(w->from->be, key, &value, w->err);
  if (rc == SB_ENOTFOUND)
    rc = 0;
  else if (rc == 0)
    rc = w->to->ops->meta_set(w->to->be, key, value, w->err);
  free(value);
  free(key);
  return rc;
}

static int copy_record(const struct record *r, uint64_t seq, void *ctx)
{
  struct copy_walk *w = ctx;
  char *text = record_encode_compact(r);
  int rc;

  if (text == NULL)
    return sb_err_set(w->err, SB_ENOMEM, NULL);
  rc = w->to->ops->import_record(w->to->be, r->collection, r->id, text, seq,
                                 w->err);
  free(text);
  if (rc == 0)
    rc = copy_moves(w, r);
  if (rc == 0)
    w->n++;
  return rc;
}

static int copy_device(const struct hub_device *d, void *ctx)
{
  struct copy_walk *w = ctx;
  int rc = w->to->ops->import_device(w->to->be, d, w->err);
  if (rc == 0)
    rc = copy_activity(w, d->name);
  if (rc == 0)
    w->n++;
  return rc;
}

static int copy_user(const struct hub_user *u, void *ctx)
{
  struct copy_walk *w = ctx;
  int rc = w->to->ops->user_put(w->to->be, u, true, w->err);
  if (rc == 0)
    w->n++;
  return rc;
}

/* An office session goes with its user, so nobody logs in again (one of
 * a user who is gone is left behind: it could not be used anyway). */
static int copy_session(const struct hub_session *ss, void *ctx)
{
  struct copy_walk *w = ctx;
  struct hub_user u;
  struct sb_err ignored = {0};

  if (w->to->ops->user_get(w->to->be, ss->user, &u, &ignored) != 0)
    return 0;
  return w->to->ops->session_put(w->to->be, ss, w->err);
}

static int copy_setting(const char *key, const char *value, void *ctx)
{
  struct copy_walk *w = ctx;
  return w->to->ops->meta_set(w->to->be, key, value, w->err);
}

/* The purge meta (hub_purge.c: device cursors, the horizon, the ledger)
 * and the feed's newest seq (above every record's when the newest was
 * purged: SQLite's seq_floor), so nothing purged comes back and no
 * number is handed out twice; and the pushes held aside
 * (hub_push_held.c), so a write they carry still gets in when its
 * author's device pushes to the new store. */
static int copy_meta(struct copy_walk *w)
{
  static const char *const prefixes[] = {"device.cursor.", "purge.",
                                         HUB_HELD_PREFIX, HUB_CHAIN_PREFIX};
  uint64_t last = 0;
  size_t i;
  int rc = w->from->ops->last_seq(w->from->be, &last, w->err);

  if (rc == 0 && last > 0)
    rc = w->to->ops->import_record(w->to->be, NULL, NULL, NULL, last, w->err);
  if (w->from->ops->meta_each == NULL)
    return rc;
  for (i = 0; rc == 0 && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
    rc = w->from->ops->meta_each(w->from->be, prefixes[i], copy_setting, w,
                                 w->err);
  return rc;
}

static int count_device(const struct hub_device *d, void *ctx)
{
  (void)d;
  (*(uint64_t *)ctx)++;
  return 0;
}

int hub_store_copy(struct hub_store *from, struct hub_store *to,
                   uint64_t *records, uint64_t *devices, struct sb_err *err)
{
  struct copy_walk rw = {from, to, 0, err}, dw = {from, to, 0, err};
  struct copy_walk uw = {from, to, 0, err};
  uint64_t seq = 0, held = 0;
  int rc;

  *records = *devices = 0;
  if (to->ops->import_record == NULL || to->ops->import_device == NULL)
    return sb_err_set(err, SB_EINVAL, "the %s backend cannot import",
                      to->ops->name);
  rc = to->ops->last_seq(to->be, &seq, err);
  if (rc == 0)
    rc = to->ops->device_list(to->be, count_device, &held, err);
  if (rc != 0)
    return rc;
  if (seq > 0 || held > 0)
    return sb_err_set(err, SB_EEXISTS,
                      "%s holds records or devices already; "
                      "migrate only into a new store",
                      to->path);
  rc = to->ops->begin(to->be, err);
  /* The hub keeps its replica id (the key is the importing backend's). */
  if (rc == 0)
    rc =
        to->ops->meta_set(to->be, "replica", from->ops->replica(from->be), err);
  if (rc == 0)
    rc = hub_restore_copy(from, to, err);
  if (rc == 0)
    rc = from->ops->each(from->be, copy_record, &rw, err);
  if (rc == 0)
    rc = from->ops->device_list(from->be, copy_device, &dw, err);
  if (rc == 0 && from->ops->user_list != NULL && to->ops->user_put != NULL)
    rc = from->ops->user_list(from->be, copy_user, &uw, err);
  if (rc == 0 && from->ops->session_each != NULL &&
      to->ops->session_put != NULL && to->ops->user_get != NULL)
    rc = from->ops->session_each(from->be, copy_session, &uw, err);
  if (rc == 0)
    rc = copy_meta(&rw);
  if (rc == 0)
    rc = to->ops->commit(to->be, err);
  if (rc != 0) {
    to->ops->rollback(to->be);
    return rc;
  }
  *records = rw.n;
  *devices = dw.n;
  return 0;
}
