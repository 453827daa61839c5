/*
 * hub_push_held_rows.c - the rows of the pushes held aside
 * (hub_push_held.c): in the store's meta, "held/<collection>/<id>/<replica>"
 * = "<ms> <state>", one per record and pusher. Kept when a push is
 * refused forged_dot, dropped when a joint push used them, swept once an
 * hour when past their time (HUB_HELD_MAX_MS: a rebasing device waits 7
 * days), and listed for `sambang-hub held`.
 */
#include "compat.h"

#include "hub_push.h"
#include "hub_push_int.h"

#include "buf.h"
#include "hlc.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hub_push_held_key(char *key, size_t size, const struct record *rec,
                       const char *replica)
{
  snprintf(key, size, HUB_HELD_PREFIX "%s/%s/%s", rec->collection, rec->id,
           replica);
}

bool hub_push_held_parse(const char *value, uint64_t *at, const char **state)
{
  char *end;

  *at = strtoull(value, &end, 10);
  if (end == value || *end != ' ')
    return false;
  *state = end + 1;
  return true;
}

int hub_push_held_keep(struct push_one *p, struct sb_err *err)
{
  char key[HUB_HELD_KEY_MAX], head[24], *text;
  struct buf b;
  int rc;

  if (p->ops->meta_delete == NULL)
    return 0; /* a backend that holds nothing aside */
  text = p->sent != NULL ? (char *)p->sent : record_encode_compact(p->rec);
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  hub_push_held_key(key, sizeof(key), p->rec, p->pusher);
  snprintf(head, sizeof(head), "%" PRIu64 " ", hlc_wall_ms());
  buf_init(&b);
  if (buf_adds(&b, head) != 0 || buf_adds(&b, text) != 0 ||
      buf_add(&b, "", 1) != 0)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  else
    rc = p->ops->meta_set(p->be, key, b.p, err);
  buf_release(&b);
  if (text != p->sent)
    free(text);
  return rc;
}

int hub_push_held_done(struct push_one *p, struct sb_err *err)
{
  char key[HUB_HELD_KEY_MAX];
  size_t i;
  int rc = 0;

  for (i = 0; rc == 0 && i < p->joint_n; i++) {
    hub_push_held_key(key, sizeof(key), p->rec, p->joint_of[i]);
    rc = p->ops->meta_delete(p->be, key, err);
  }
  hub_push_held_key(key, sizeof(key), p->rec, p->pusher);
  return rc == 0 ? p->ops->meta_delete(p->be, key, err) : rc;
}

/* The sweep runs at most once an hour per process. */
#define SWEEP_EVERY_MS (3600ull * 1000)

/* The held pushes' keys that are stale, found by meta_each. */
struct sweep {
  uint64_t now;
  char **stale;
  size_t n, cap;
  struct sb_err *err;
};

/* True if held value (the time, a space, the state) is past its time or
 * unreadable. Read without decoding the state: the sweep runs inside a
 * push's transaction, over every held push. */
static bool held_stale(const struct sweep *w, const char *value)
{
  const char *state;
  uint64_t at;

  return !hub_push_held_parse(value, &at, &state) ||
         at + HUB_HELD_MAX_MS < w->now;
}

static int sweep_one(const char *key, const char *value, void *ctx)
{
  struct sweep *w = ctx;
  char *copy, **v;

  if (!held_stale(w, value))
    return 0;
  v = array_grow(w->stale, &w->cap, w->n, sizeof(*w->stale), 16);
  if (v == NULL)
    return sb_err_set(w->err, SB_ENOMEM, NULL);
  w->stale = v;
  if ((copy = strdup(key)) == NULL)
    return sb_err_set(w->err, SB_ENOMEM, NULL);
  w->stale[w->n++] = copy;
  return 0;
}

int hub_push_held_sweep(const struct hub_store_ops *ops, void *be,
                        struct sb_err *err)
{
  static _Atomic uint64_t last; /* when this process last swept */
  struct sweep w = {hlc_wall_ms(), NULL, 0, 0, err};
  size_t i;
  int rc;

  if (ops->meta_delete == NULL || ops->meta_each == NULL ||
      w.now < last + SWEEP_EVERY_MS)
    return 0;
  last = w.now;
  rc = ops->meta_each(be, HUB_HELD_PREFIX, sweep_one, &w, err);
  for (i = 0; i < w.n; i++) {
    if (rc == 0)
      rc = ops->meta_delete(be, w.stale[i], err);
    free(w.stale[i]);
  }
  free(w.stale);
  return rc;
}

/* hub_push_held_each's walk: the held pushes, decoded one at a time. */
struct each {
  const struct hub_store_ops *ops;
  void *be;
  hub_held_fn fn;
  void *ctx;
  struct sb_err *err;
};

/* What held state h (the push of replica) still waits for: the entries
 * of its vv of other replicas above the hub's state of its record. */
static int waits_for(struct each *w, const struct record *h,
                     const char *replica, struct vv *out)
{
  struct record cur;
  struct sb_err why = {0};
  char *text = NULL;
  size_t len, k;
  uint64_t seq;
  int rc = w->ops->load(w->be, h->collection, h->id, &text, &len, &seq, &why);

  record_init(&cur, h->collection, h->id);
  if (rc == 0)
    rc = record_decode(&cur, text, len, w->err);
  else if (rc == SB_ENOTFOUND)
    rc = 0; /* the hub lacks the record: every entry waits */
  else
    *w->err = why;
  for (k = 0; rc == 0 && k < h->vv.n; k++) {
    const struct vv_entry *v = &h->vv.v[k];
    if (strcmp(v->replica, replica) != 0 &&
        v->counter > vv_get(&cur.vv, v->replica))
      rc = vv_set(out, v->replica, v->counter);
  }
  record_release(&cur);
  free(text);
  return rc;
}

static int each_one(const char *key, const char *value, void *ctx)
{
  struct each *w = ctx;
  const char *replica = strrchr(key, '/'), *state;
  struct hub_held h;
  struct record r;
  int rc;

  memset(&h, 0, sizeof(h));
  if (replica == NULL || !hub_push_held_parse(value, &h.held_ms, &state))
    return 0; /* not a held push's row */
  snprintf(h.replica, sizeof(h.replica), "%s", replica + 1);
  record_init(&r, "", "");
  rc = record_decode(&r, state, strlen(state), NULL);
  if (rc != 0) {
    record_release(&r);
    if (rc == SB_ENOMEM) /* not a listing that leaves one out */
      return sb_err_set(w->err, SB_ENOMEM, NULL);
    return 0; /* unreadable: the sweep drops it */
  }
  snprintf(h.collection, sizeof(h.collection), "%s", r.collection);
  snprintf(h.id, sizeof(h.id), "%s", r.id);
  vv_init(&h.waits_for);
  rc = waits_for(w, &r, h.replica, &h.waits_for);
  if (rc == 0)
    rc = w->fn(&h, w->ctx);
  vv_release(&h.waits_for);
  record_release(&r);
  return rc;
}

int hub_push_held_each(const struct hub_store_ops *ops, void *be,
                       hub_held_fn fn, void *ctx, struct sb_err *err)
{
  struct each w = {ops, be, fn, ctx, err};

  if (ops->meta_each == NULL || ops->meta_delete == NULL)
    return 0; /* a backend that holds nothing aside */
  return ops->meta_each(be, HUB_HELD_PREFIX, each_one, &w, err);
}

static int count_one(const char *key, const char *value, void *ctx)
{
  (void)key;
  (void)value;
  (*(uint64_t *)ctx)++;
  return 0;
}

int hub_push_held_count(const struct hub_store_ops *ops, void *be, uint64_t *n,
                        struct sb_err *err)
{
  *n = 0;
  if (ops->meta_each == NULL || ops->meta_delete == NULL)
    return 0; /* a backend that holds nothing aside */
  return ops->meta_each(be, HUB_HELD_PREFIX, count_one, n, err);
}
