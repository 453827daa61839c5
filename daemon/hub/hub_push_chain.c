/*
 * hub_push_chain.c - one store per device: the push chain's check
 * (hub_push_chain.h).
 *
 *   chain/REPLICA   the value REPLICA's pushes last moved the hub to
 */
#include "compat.h"

#include "hub_push_chain.h"
#include "hub_store_int.h"
#include "strv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX (sizeof(HUB_CHAIN_PREFIX) + SB_REPLICA_MAX + 1)

static void key_of(char *key, const char *replica)
{
  snprintf(key, KEY_MAX, "%s%s", HUB_CHAIN_PREFIX, replica);
}

int hub_push_chain_check(const struct hub_store_ops *ops, void *be,
                         struct hub_push_batch *b)
{
  char key[KEY_MAX], *held = NULL;
  bool follows;
  uint64_t last = 0;
  int rc;

  b->copied = false;
  b->chain_behind = false;
  if (!b->has_chain || b->pusher == NULL || ops->meta_get == NULL ||
      ops->meta_set == NULL)
    return 0;
  key_of(key, b->pusher);
  rc = hub_store_meta_maybe(ops, be, key, &held, &b->err);
  if (rc != 0)
    return rc;
  if (held != NULL && strcmp(held, b->chain.next) == 0) {
    free(held);
    return 0; /* there already: a retry, or another request of the sync */
  }
  /* none kept yet, or the next sync of the store it follows */
  follows = held == NULL || strcmp(held, b->chain.prev) == 0;
  free(held);
  if (!follows) {
    rc = ops->last_seq(be, &last, &b->err);
    if (rc != 0)
      return rc;
    /* A copy's cursor is one the hub gave out: never past its feed. One
     * that is comes from a device this store went back behind (put back
     * from a copy without `sambang-hub restored`): its chain went back
     * too, and the device's is the one to follow. */
    if (b->chain.since <= last) {
      b->copied = true;
      return 0;
    }
    b->chain_behind = true;
  }
  return ops->meta_set(be, key, b->chain.next, &b->err);
}

/* meta_each's step of forget-all: collects the keys (deleted after the
 * walk, not during it). */
static int collect_key(const char *key, const char *value, void *ctx)
{
  (void)value;
  return strv_add(ctx, key);
}

int hub_push_chain_forget(const struct hub_store_ops *ops, void *be,
                          const char *replica, struct sb_err *err)
{
  struct strv keys = {0};
  char key[KEY_MAX];
  size_t i;
  int rc;

  if (ops->meta_delete == NULL)
    return sb_err_set(err, SB_EINVAL,
                      "the %s hub store cannot forget a push chain", ops->name);
  if (replica != NULL) {
    key_of(key, replica);
    return ops->meta_delete(be, key, err);
  }
  if (ops->meta_each == NULL)
    return sb_err_set(err, SB_EINVAL,
                      "the %s hub store cannot list its push chains",
                      ops->name);
  rc = ops->meta_each(be, HUB_CHAIN_PREFIX, collect_key, &keys, err);
  if (rc == SB_ENOMEM)
    rc = sb_err_set(err, SB_ENOMEM, "out of memory listing push chains");
  for (i = 0; rc == 0 && i < keys.n; i++)
    rc = ops->meta_delete(be, keys.v[i], err);
  strv_free(&keys);
  return rc;
}

int hub_store_chain_forget(struct hub_store *hs, const char *replica,
                           struct sb_err *err)
{
  return hub_push_chain_forget(hs->ops, hs->be, replica, err);
}
