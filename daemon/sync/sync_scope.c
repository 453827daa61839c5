/*
 * sync_scope.c - a scoped device's side of the feed (daemon/sync/DESIGN.md,
 * "Scopes"): records that leave its scope leave its store file (a row
 * DELETE, secure_delete on: not a tombstone), together with the records
 * that follow them (a beneficiary's visits), but never a pending row: the
 * push comes first (the cycle pushes before it pulls), and a pending row
 * that left is marked and removed once the hub has acknowledged it. The
 * page states the device's scope; when it changes, records outside it
 * leave, and the parts it gained are caught up alone (sync_catchup.c).
 */
#include "compat.h"

#include "sync_int.h"

#include "buf.h"
#include "log.h"
#include "proto_err.h"
#include "scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The meta key marking (collection, id) (malloc'd, NULL: ENOMEM). */
static char *mark_key(const char *collection, const char *id)
{
  size_t n = strlen(GONE_PREFIX) + strlen(collection) + strlen(id) + 2;
  char *key = malloc(n);
  if (key != NULL)
    snprintf(key, n, "%s%s/%s", GONE_PREFIX, collection, id);
  return key;
}

/* Removes (collection, id) unless pending; a pending one is marked. */
static int leave(struct sync *s, const char *collection, const char *id,
                 struct sb_err *err)
{
  bool removed = false;
  char *key;
  int rc = store_remove(s->store, collection, id, &removed, err);
  char *text = NULL;
  size_t len;
  uint64_t seq;

  if (removed)
    s->page_removed++;
  if (rc != 0 || removed)
    return rc;
  rc = store_get_text(s->store, collection, id, &text, &len, &seq, NULL);
  free(text);
  if (rc == SB_ENOTFOUND)
    return 0; /* never held here */
  key = mark_key(collection, id);
  if (key == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = store_meta_set(s->store, key, "1", err);
  free(key);
  s->scope_marks = true;
  return rc;
}

int sync_scope_gone(struct sync *s, const char *collection, const char *id,
                    struct sb_err *err)
{
  struct gone_key *v;
  int rc = leave(s, collection, id, err);

  if (rc != 0 || scope_follower(store_schema(s->store), collection, 0) == NULL)
    return rc;
  v = array_grow(s->gone.v, &s->gone.cap, s->gone.n, sizeof(*v), 64);
  if (v == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  s->gone.v = v;
  v[s->gone.n].collection = strdup(collection);
  v[s->gone.n].id = strdup(id);
  s->gone.n++;
  if (v[s->gone.n - 1].collection == NULL || v[s->gone.n - 1].id == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

static int gone_order(const void *a, const void *b)
{
  const struct gone_key *x = a, *y = b;
  int c = strcmp(x->collection, y->collection);
  return c != 0 ? c : strcmp(x->id, y->id);
}

/* The records following any of the ids of[0..n) (sorted) of collection
 * leave the store: one walk of each collection that follows it. */
static int followers_leave(struct sync *s, const char *collection,
                           const char *const *of, size_t n, struct sb_err *err)
{
  const struct schema_collection *c;
  size_t i, k;
  int rc = 0;

  for (i = 0; rc == 0 && (c = scope_follower(store_schema(s->store), collection,
                                             i)) != NULL;
       i++) {
    struct scope_followers f = {c->scope_follows, of, n, {0}, false};
    rc = store_each(s->store, c->name, scope_followers_visit, &f, err);
    if (f.nomem)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    for (k = 0; rc == 0 && k < f.ids.n; k++)
      rc = leave(s, c->name, f.ids.v[k], err);
    scope_followers_release(&f);
  }
  return rc;
}

int sync_scope_gone_end(struct sync *s, bool apply, struct sb_err *err)
{
  struct gone_key *v = s->gone.v;
  const char **ids = NULL;
  size_t n = s->gone.n, i, j;
  int rc = 0;

  if (apply && n > 0) {
    qsort(v, n, sizeof(*v), gone_order);
    ids = malloc(n * sizeof(*ids));
    if (ids == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    for (i = 0; rc == 0 && i < n; i = j) {
      for (j = i; j < n && strcmp(v[j].collection, v[i].collection) == 0; j++)
        ids[j - i] = v[j].id;
      rc = followers_leave(s, v[i].collection, ids, j - i, err);
    }
    free(ids);
  }
  for (i = 0; i < n; i++) {
    free(v[i].collection);
    free(v[i].id);
  }
  s->gone.n = 0;
  return rc;
}

int sync_scope_held(struct sync *s, const char *collection, const char *id,
                    struct sb_err *err)
{
  char *key;
  int rc;

  if (!s->scope_marks)
    return 0;
  key = mark_key(collection, id);
  if (key == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = store_meta_delete(s->store, key, err);
  free(key);
  return rc;
}

/* The marked rows, copied (the walk cannot write). */
struct marks {
  char **keys;
  size_t n;
  bool nomem;
};

static int mark_one(const char *key, const char *value, void *ctx)
{
  struct marks *m = ctx;
  char **keys = realloc(m->keys, (m->n + 1) * sizeof(*keys));

  (void)value;
  if (keys == NULL || (keys[m->n] = strdup(key)) == NULL) {
    if (keys != NULL)
      m->keys = keys;
    m->nomem = true;
    return 1;
  }
  m->keys = keys;
  m->n++;
  return 0;
}

/* Removes the marked rows the hub has acknowledged since. */
static int sweep_marks(struct sync *s, struct sb_err *err)
{
  struct marks m = {NULL, 0, false};
  size_t i;
  int rc = store_meta_each(s->store, GONE_PREFIX, mark_one, &m, err);

  if (m.nomem)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  for (i = 0; rc == 0 && i < m.n; i++) {
    char *coll = m.keys[i] + strlen(GONE_PREFIX), *id = strchr(coll, '/');
    bool removed = false;
    if (id == NULL) {
      rc = store_meta_delete(s->store, m.keys[i], err);
      continue;
    }
    *id++ = '\0';
    rc = store_remove(s->store, coll, id, &removed, err);
    id[-1] = '/';
    if (rc == 0 && removed) {
      s->page_removed++;
      rc = store_meta_delete(s->store, m.keys[i], err);
    }
  }
  s->scope_marks = rc != 0 || m.n > 0;
  for (i = 0; i < m.n; i++)
    free(m.keys[i]);
  free(m.keys);
  return rc;
}

/* scope_lookup_fn on the local store. */
static int local_lookup(void *ctx, const char *collection, const char *id,
                        struct record *r, struct scope_parts *known,
                        struct sb_err *err)
{
  (void)known; /* a device keeps no parts */
  return store_get(ctx, collection, id, r, err);
}

/* Records outside dev, to leave (collected: the walk cannot write). */
struct outside {
  struct sync *s;
  const struct scope_parts *dev;
  char **keys; /* "collection\0id" pairs as two strings */
  size_t n;
  int rc;
  struct sb_err *err;
};

static int outside_one(const struct record *r, uint64_t seq, void *ctx)
{
  struct outside *o = ctx;
  struct scope_parts parts;
  char **keys;

  (void)seq;
  scope_parts_init(&parts);
  o->rc = scope_of(store_schema(o->s->store), r, local_lookup, o->s->store,
                   &parts, o->err);
  if (o->rc == 0 && !parts.all && !scope_meets(o->dev, &parts)) {
    keys = realloc(o->keys, (o->n + 2) * sizeof(*keys));
    if (keys == NULL) {
      o->rc = sb_err_set(o->err, SB_ENOMEM, NULL);
    } else {
      o->keys = keys;
      keys[o->n] = strdup(r->collection);
      keys[o->n + 1] = strdup(r->id);
      o->n += 2;
      if (keys[o->n - 2] == NULL || keys[o->n - 1] == NULL)
        o->rc = sb_err_set(o->err, SB_ENOMEM, NULL);
    }
  }
  scope_parts_release(&parts);
  return o->rc != 0;
}

/* Every record outside dev leaves the store. */
static int leave_outside(struct sync *s, const struct scope_parts *dev,
                         struct sb_err *err)
{
  struct outside o = {s, dev, NULL, 0, 0, err};
  size_t i;
  int rc = store_each(s->store, NULL, outside_one, &o, err);

  if (o.rc != 0)
    rc = o.rc;
  for (i = 0; rc == 0 && i + 1 < o.n; i += 2)
    rc = leave(s, o.keys[i], o.keys[i + 1], err);
  for (i = 0; i < o.n; i++)
    free(o.keys[i]);
  free(o.keys);
  return rc;
}

bool sync_scope_changed(struct sync *s, const char *scope)
{
  char *held = NULL;
  bool changed;

  if (scope == NULL)
    return false;
  /* None held (or unreadable: sync_scope_page then says why): all. */
  if (store_meta_get(s->store, SCOPE_KEY, &held, NULL) != 0)
    return strcmp(scope, "all") != 0;
  changed = strcmp(held, scope) != 0;
  free(held);
  return changed;
}

/*
 * Records the hub refused as out_of_scope may be in scope now: the scope
 * grew, or a pull moved a record (a beneficiary moved back, so its
 * refused edit or its visits belong again). After a pull that brought a
 * refused record or one a refused record follows (pulled: sync_lift.c)
 * or a scope that gained parts, they are made pending
 * again (their own transaction) to be pushed: by the cycle before it
 * ends, or by the cycle a long-poll's page starts; what is still out of
 * scope is refused again. True if any was.
 */
bool sync_scope_lift(struct sync *s, bool pulled)
{
  struct sb_err err = {0};
  uint64_t n = 0, pending, rejected = 1;
  int rc;

  if (!pulled && !s->scope_grew)
    return false;
  /* Most stores hold no refusal: one read of the partial index. */
  if (store_count_marks(s->store, &pending, &rejected, &err) == 0 &&
      rejected == 0 && !s->scope_grew) {
    s->lift.touched = false;
    return false;
  }
  rc = store_begin_relaxed(s->store, &err);
  if (rc == 0 && rejected > 0)
    rc = store_unreject(s->store, proto_err_name(PROTO_ERR_OUT_OF_SCOPE), &n,
                        &err);
  if (rc == 0 && s->scope_grew)
    rc = store_meta_delete(s->store, LIFT_KEY, &err);
  if (rc == 0)
    rc = store_commit(s->store, &err);
  else
    store_rollback(s->store);
  if (rc != 0) { /* (a grown scope stays due: the next pull tries again) */
    log_msg(LOG_LEVEL_WARN, "keeping refused records: %s", err.msg);
  } else {
    s->scope_grew = false;
    s->lift.touched = false;
    sync_lift_forget(s);
  }
  return rc == 0 && n > 0;
}

int sync_scope_page(struct sync *s, const char *scope, bool resync, bool *reset,
                    struct sb_err *err)
{
  struct scope_parts now, was;
  char *held = NULL;
  bool gained = false;
  int rc = 0;

  *reset = false;
  if (s->scope_marks)
    rc = sweep_marks(s, err);
  if (rc != 0 || !sync_scope_changed(s, scope))
    return rc;
  scope_parts_init(&now);
  scope_parts_init(&was);
  /* A store that has not been told a scope holds what it was sent: all.
   * One whose scope does not read holds no part for sure: every part of
   * the new one is caught up (merging what it holds changes nothing).
   * Any other failure (out of memory, the store) fails the page: taken
   * for `all`, the parts gained would never be caught up. */
  rc = store_meta_get(s->store, SCOPE_KEY, &held, err);
  if (rc == SB_ENOTFOUND) {
    was.all = true;
    rc = 0;
  } else if (rc == 0) {
    rc = scope_read(held, &was, err);
    if (rc == SB_EINVAL) {
      scope_parts_release(&was);
      scope_parts_init(&was);
      rc = 0;
    }
  }
  free(held);
  if (rc == 0)
    rc = scope_read(scope, &now, err);
  if (rc == 0 && !now.all)
    rc = leave_outside(s, &now, err);
  if (rc == 0)
    rc = store_meta_set(s->store, SCOPE_KEY, scope, err);
  /* New parts: their records older than the cursor come by a catch-up
   * of those parts alone (sync_catchup.c); to `all`: from 0. */
  if (rc == 0)
    rc = sync_catchup_scope(s, &was, &now, reset, &gained, err);
  /* a re-sync's snapshot holds every part: no catch-up to pull too */
  if (rc == 0 && resync)
    rc = sync_catchup_drop(s, err);
  if (rc == 0 && gained) /* refusals may lift (sync_scope_lift) */
    rc = store_meta_set(s->store, LIFT_KEY, "1", err);
  if (rc == 0 && gained)
    s->scope_grew = true;
  if (rc == 0 && *reset)
    rc = store_meta_set(s->store, CURSOR_KEY, "0", err);
  s->scope_epoch++; /* (if the page's transaction fails, in vain: harmless) */
  scope_parts_release(&now);
  scope_parts_release(&was);
  return rc;
}
