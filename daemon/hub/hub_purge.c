/*
 * hub_purge.c - safe tombstone purge (hub_purge.h; daemon/hub/DESIGN.md,
 * "Purge"). Kept in the backend's meta:
 *   device.cursor.NAME   the `since` device NAME last asked the feed from
 *   purge.horizon        the newest seq of a purged tombstone
 *   purge.id.COLL/ID     the seq at which (COLL, ID) was purged (the ledger)
 * A device's `since` is what it holds: every change up to it. A tombstone
 * is purged only when every active (not revoked) device with a recorded
 * cursor has passed it; a device with none has pulled nothing yet (or
 * pulled before cursors were kept): the horizon tells it to re-sync.
 */
#include "compat.h"

#include "hub_purge.h"

#include "hlc.h"
#include "hub_store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_CURSOR "device.cursor."
#define KEY_HORIZON "purge.horizon"
#define KEY_LEDGER "purge.id."

/* Stops a feed walk without an error. */
#define WALK_STOP 1

bool hub_purge_supported(struct hub_store *hs)
{
  return hs->ops->purge != NULL;
}

/* The meta value of key as a number: *known false (and 0) if absent. */
static int cursor_read(const struct hub_store_ops *ops, void *be,
                       const char *key, uint64_t *since, bool *known,
                       struct sb_err *err)
{
  char *text = NULL;
  int rc = hub_store_meta_maybe(ops, be, key, &text, err);

  *since = 0;
  *known = rc == 0 && text != NULL;
  if (*known)
    *since = strtoull(text, NULL, 10);
  free(text);
  return rc;
}

/* The meta value of key as a number (absent: 0). */
static int meta_u64(const struct hub_store_ops *ops, void *be, const char *key,
                    uint64_t *v, struct sb_err *err)
{
  bool known;
  return cursor_read(ops, be, key, v, &known, err);
}

int hub_purge_cursor_get(struct hub_store *hs, const char *name,
                         uint64_t *since, bool *known, struct sb_err *err)
{
  char key[sizeof(KEY_CURSOR) + HUB_DEVICE_NAME_MAX];

  *since = 0;
  *known = false;
  if (!hub_purge_supported(hs))
    return 0;
  snprintf(key, sizeof(key), "%s%s", KEY_CURSOR, name);
  return cursor_read(hs->ops, hs->be, key, since, known, err);
}

bool hub_purge_cursor_own_statement(struct hub_store *hs)
{
  return hs->ops->watch != NULL;
}

int hub_purge_cursor_set(struct hub_store *hs, const char *name, uint64_t since,
                         struct sb_err *err)
{
  char key[sizeof(KEY_CURSOR) + HUB_DEVICE_NAME_MAX], value[24];
  uint64_t held = 0;
  bool known = false;
  int rc;

  if (!hub_purge_supported(hs))
    return 0;
  snprintf(key, sizeof(key), "%s%s", KEY_CURSOR, name);
  rc = cursor_read(hs->ops, hs->be, key, &held, &known, err);
  if (rc != 0 || (known && held == since))
    return rc;
  snprintf(value, sizeof(value), "%" PRIu64, since);
  /* A backend shared by several hubs (it can watch) writes the cursor in
   * a statement of its own: its write transaction would take the feed
   * counter row, which a cursor does not need, and make every pull wait
   * for the pushes of every hub. */
  if (hub_purge_cursor_own_statement(hs))
    return hs->ops->meta_set(hs->be, key, value, err);
  rc = hs->ops->begin(hs->be, err);
  if (rc == 0)
    rc = hs->ops->meta_set(hs->be, key, value, err);
  if (rc == 0)
    rc = hs->ops->commit(hs->be, err);
  else
    hs->ops->rollback(hs->be);
  return rc;
}

int hub_purge_horizon(struct hub_store *hs, uint64_t *horizon,
                      struct sb_err *err)
{
  *horizon = 0;
  if (!hub_purge_supported(hs))
    return 0;
  return meta_u64(hs->ops, hs->be, KEY_HORIZON, horizon, err);
}

int hub_purge_ledger_any(const struct hub_store_ops *ops, void *be, bool *any,
                         struct sb_err *err)
{
  uint64_t horizon = 0;
  int rc;

  *any = false;
  if (ops->purge == NULL)
    return 0;
  /* The horizon is set with the first ledger entry, in its transaction. */
  rc = meta_u64(ops, be, KEY_HORIZON, &horizon, err);
  *any = rc == 0 && horizon > 0;
  return rc;
}

/* The ledger key of (collection, id) (malloc'd, NULL: ENOMEM). */
static char *ledger_key(const char *collection, const char *id)
{
  size_t n = strlen(KEY_LEDGER) + strlen(collection) + strlen(id) + 2;
  char *key = malloc(n);
  if (key != NULL)
    snprintf(key, n, "%s%s/%s", KEY_LEDGER, collection, id);
  return key;
}

int hub_purge_ledger_has(const struct hub_store_ops *ops, void *be,
                         const char *collection, const char *id, bool *has,
                         uint64_t *seq, struct sb_err *err)
{
  char *key, *text = NULL;
  int rc;

  *has = false;
  *seq = 0;
  if (ops->purge == NULL)
    return 0;
  key = ledger_key(collection, id);
  if (key == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = ops->meta_get(be, key, &text, err);
  free(key);
  if (rc == SB_ENOTFOUND) {
    if (err != NULL)
      memset(err, 0, sizeof(*err));
    return 0;
  }
  if (rc == 0 && text[0] != '\0') {
    *has = true;
    *seq = strtoull(text, NULL, 10);
  }
  free(text);
  return rc;
}

/* The names of the active devices (collected: the walk cannot read). */
struct actives {
  char (*names)[HUB_DEVICE_NAME_MAX + 1];
  size_t n;
  bool nomem;
};

static int active_one(const struct hub_device *d, void *ctx)
{
  struct actives *a = ctx;
  void *grown;

  if (d->revoked)
    return 0;
  grown = realloc(a->names, (a->n + 1) * sizeof(*a->names));
  if (grown == NULL) {
    a->nomem = true;
    return 1;
  }
  a->names = grown;
  snprintf(a->names[a->n++], sizeof(*a->names), "%s", d->name);
  return 0;
}

/* The smallest recorded cursor of the active devices into st->upto. */
static int min_cursor(struct hub_store *hs, struct hub_purge_stats *st,
                      struct sb_err *err)
{
  struct actives a = {NULL, 0, false};
  uint64_t c;
  size_t i;
  int rc = hub_store_device_list(hs, active_one, &a, err);
  char key[sizeof(KEY_CURSOR) + HUB_DEVICE_NAME_MAX];
  bool known;

  if (a.nomem)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  st->upto = UINT64_MAX;
  for (i = 0; rc == 0 && i < a.n; i++) {
    snprintf(key, sizeof(key), "%s%s", KEY_CURSOR, a.names[i]);
    rc = cursor_read(hs->ops, hs->be, key, &c, &known, err);
    /* A device that never pulled holds nothing to keep. */
    if (rc == 0 && known) {
      st->held_by++;
      if (c < st->upto)
        st->upto = c;
    }
  }
  free(a.names);
  return rc;
}

/* The tombstones to purge (collected: the walk cannot write). */
struct victims {
  uint64_t upto, cutoff_ms;
  char **keys; /* collection, id pairs */
  uint64_t *seqs;
  size_t n;
  struct hub_purge_stats *st;
  int rc;
  struct sb_err *err;
};

static int victim_add(struct victims *v, const char *collection, const char *id,
                      uint64_t seq)
{
  char **keys = realloc(v->keys, (2 * v->n + 2) * sizeof(*keys));
  uint64_t *seqs;

  if (keys == NULL)
    return sb_err_set(v->err, SB_ENOMEM, NULL);
  v->keys = keys;
  seqs = realloc(v->seqs, (v->n + 1) * sizeof(*seqs));
  if (seqs == NULL)
    return sb_err_set(v->err, SB_ENOMEM, NULL);
  v->seqs = seqs;
  keys[2 * v->n] = strdup(collection);
  keys[2 * v->n + 1] = strdup(id);
  seqs[v->n] = seq;
  v->n++;
  if (keys[2 * v->n - 2] == NULL || keys[2 * v->n - 1] == NULL)
    return sb_err_set(v->err, SB_ENOMEM, NULL);
  return 0;
}

static int victim_one(const struct record *r, uint64_t seq, void *ctx)
{
  struct victims *v = ctx;

  if (record_deleted(r) && hlc_ms(record_max_ts(r)) < v->cutoff_ms) {
    if (seq <= v->upto)
      v->rc = victim_add(v, r->collection, r->id, seq);
    else
      v->st->kept++;
  }
  return v->rc != 0 ? WALK_STOP : 0;
}

/* Purges the victims: rows gone, ids in the ledger, the horizon moved. */
static int purge_victims(struct hub_store *hs, const struct victims *v,
                         struct hub_purge_stats *st, struct sb_err *err)
{
  char value[24], *key;
  size_t i;
  int rc = 0;

  for (i = 0; rc == 0 && i < v->n; i++) {
    rc = hs->ops->purge(hs->be, v->keys[2 * i], v->keys[2 * i + 1], err);
    key = rc == 0 ? ledger_key(v->keys[2 * i], v->keys[2 * i + 1]) : NULL;
    if (rc == 0 && key == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    snprintf(value, sizeof(value), "%" PRIu64, v->seqs[i]);
    if (rc == 0)
      rc = hs->ops->meta_set(hs->be, key, value, err);
    free(key);
    if (rc == 0 && v->seqs[i] > st->horizon)
      st->horizon = v->seqs[i];
    st->purged += rc == 0;
  }
  snprintf(value, sizeof(value), "%" PRIu64, st->horizon);
  if (rc == 0 && v->n > 0)
    rc = hs->ops->meta_set(hs->be, KEY_HORIZON, value, err);
  return rc;
}

int hub_purge_run(struct hub_store *hs, uint64_t cutoff_ms,
                  struct hub_purge_stats *st, struct sb_err *err)
{
  struct victims v;
  size_t i;
  int rc;

  memset(st, 0, sizeof(*st));
  if (!hub_purge_supported(hs))
    return sb_err_set(err, SB_EINVAL,
                      "purge is not available on the %s backend yet; "
                      "tombstones are kept",
                      hs->ops->name);
  memset(&v, 0, sizeof(v));
  v.cutoff_ms = cutoff_ms;
  v.st = st;
  v.err = err;
  rc = hs->ops->begin(hs->be, err);
  if (rc != 0)
    return rc;
  rc = min_cursor(hs, st, err);
  if (rc == 0)
    rc = meta_u64(hs->ops, hs->be, KEY_HORIZON, &st->horizon, err);
  v.upto = st->upto;
  if (rc == 0)
    rc = hs->ops->each(hs->be, victim_one, &v, err); /* by key, in parts */
  if (rc == WALK_STOP)
    rc = v.rc;
  if (rc == 0)
    rc = purge_victims(hs, &v, st, err);
  if (rc == 0)
    rc = hs->ops->commit(hs->be, err);
  else
    hs->ops->rollback(hs->be);
  if (rc != 0)
    st->purged = 0;
  for (i = 0; i < 2 * v.n; i++)
    free(v.keys[i]);
  free(v.keys);
  free(v.seqs);
  return rc;
}
