/*
 * hub_push_chain.h - one store per device: the push chain's check
 * (daemon/hub/DESIGN.md, "One store per device"; PROTOCOL.md, "Push
 * chain").
 *
 * A store copied to a second machine writes as the same device: same
 * replica id, same token, the same dots. Where the copies' writes cross,
 * the later push may carry only dots above the hub's and replace a write
 * of the other copy it never saw. So a device's pushes carry a chain
 * (proto.h, PROTO_CHAIN_HEADER): the hub keeps, per replica, the value
 * the device's pushes last moved it to, and takes a push only from the
 * store that knows it (PREV) or that moved it there (NEXT: a retry, or a
 * second request of the same sync). A copy never knows the value the
 * other copy's next sync draws, so the second store to push after the
 * copies part is refused whole (PROTO_ERR_COPIED_STORE), before anything
 * merges.
 */
#ifndef SAMBANG_HUB_PUSH_CHAIN_H
#define SAMBANG_HUB_PUSH_CHAIN_H

#include "err.h"
#include "hub_store.h"

/* The meta keys of the chains start so; the replica id follows. */
#define HUB_CHAIN_PREFIX "chain/"

/*
 * Inside the push's open transaction: if b carries a chain, checks it
 * against the one kept for b->pusher and moves that to b's NEXT (b->copied
 * set instead, nothing written, if the hub holds neither PREV nor NEXT
 * and holds one at all: a hub with none takes any; a backend without
 * settings checks nothing), unless the push's cursor is past the feed
 * (b->chain_behind set: the store went back, the device's chain is
 * followed). 0, or the store's failure.
 */
int hub_push_chain_check(const struct hub_store_ops *ops, void *be,
                         struct hub_push_batch *b);

/* Forgets the chain kept for replica (NULL: every replica's), so the next
 * push of that device is taken whatever it carries: after the device's
 * token is rotated (the office chose which store goes on), or after the
 * hub's store was put back from a copy (its chains went back with it). */
int hub_push_chain_forget(const struct hub_store_ops *ops, void *be,
                          const char *replica, struct sb_err *err);
/* hub_push_chain_forget on hs's backend (its writer connection). */
int hub_store_chain_forget(struct hub_store *hs, const char *replica,
                           struct sb_err *err);

#endif
