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

/* hub_store_push on ops/be/schema (see hub_store.h). */
int hub_push(const struct hub_store_ops *ops, void *be,
             const struct schema *schema, const char *pusher, uint64_t max_ts,
             const struct record *recs, size_t n, struct push_reply *reply,
             struct hub_push_stats *stats, struct sb_err *err);

#endif
