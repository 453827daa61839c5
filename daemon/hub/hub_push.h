/*
 * hub_push.h - the hub's push policy, on any backend's primitives.
 *
 * What a device may push and what the hub does with it (hub_store.h,
 * hub_store_push and hub_store_push_group, states the rules), written
 * once against struct hub_store_ops, so every backend shares it.
 */
#ifndef SAMBANG_HUB_PUSH_H
#define SAMBANG_HUB_PUSH_H

#include "hub_store.h"
#include "schema.h"

/*
 * hub_store_push_group on the backend connection be of ops, with the
 * hub's schema (NULL: none). Returns 0; the outcomes are in b[i].
 */
int hub_push_group(const struct hub_store_ops *ops, void *be,
                   const struct schema *schema, struct hub_push_batch *const *b,
                   size_t nb);

/*
 * The per-record work of b's push that needs no store, done before the
 * writer (on the threadpool) so the writer's serial path is shorter:
 * b->sent and b->values_ok (hub_store.h). The outcome is the same
 * without it; 0 or SB_ENOMEM (then b has neither).
 */
int hub_push_prepare(const struct schema *schema, struct hub_push_batch *b);

/* Frees what hub_push_prepare made (b->sent, b->values_ok). */
void hub_push_prepared_release(struct hub_push_batch *b);

/* The meta keys of the pushes held aside start so (hub_push_held.c). */
#define HUB_HELD_PREFIX "held/"

/* A push held aside (hub_push_held.c), as `sambang-hub held` lists it. */
struct hub_held {
  char collection[SB_NAME_MAX + 1];
  char id[SB_ID_MAX + 1];
  char replica[SB_REPLICA_MAX + 1]; /* the pusher's */
  uint64_t held_ms;                 /* when it was last pushed */
  struct vv waits_for; /* the writes of others it carries, unseen */
};

typedef int (*hub_held_fn)(const struct hub_held *h, void *ctx);

/* Calls fn for every push held aside on ops/be, in key order (fn's rc
 * stops it); nothing on a backend that holds none. */
int hub_push_held_each(const struct hub_store_ops *ops, void *be,
                       hub_held_fn fn, void *ctx, struct sb_err *err);

/* hub_push_held_each on hs's backend (hub_store.c). */
int hub_store_held_each(struct hub_store *hs, hub_held_fn fn, void *ctx,
                        struct sb_err *err);

/* The number of pushes held aside on ops/be into *n (their rows counted,
 * no state read: cheap enough for every overview); hub_store_held_count
 * on hs's backend. */
int hub_push_held_count(const struct hub_store_ops *ops, void *be, uint64_t *n,
                        struct sb_err *err);
int hub_store_held_count(struct hub_store *hs, uint64_t *n, struct sb_err *err);

/* hub_store_push on ops/be/schema (see hub_store.h). */
int hub_push(const struct hub_store_ops *ops, void *be,
             const struct schema *schema, const char *pusher, uint64_t max_ts,
             const struct record *recs, size_t n, struct push_reply *reply,
             struct hub_push_stats *stats, struct sb_err *err);

#endif
