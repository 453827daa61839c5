/*
 * hub_restore.h - a hub store put back from a copy (daemon/hub/DESIGN.md,
 * "Restoring from a copy").
 *
 * A copy knows less than the hub did when it was lost: devices hold
 * cursors past its feed and writes it never got, acknowledged to them.
 * So a store carries a generation, which every reply to a device states
 * (PROTO_GENERATION_HEADER): a device that sees it change pushes every
 * record it holds again and pulls from the start. `sambang-hub restored`
 * gives a store put back a new generation and a new replica id (the hub
 * must not hand out its old dots again with other values); the old id is
 * kept, and no device may take it.
 */
#ifndef SAMBANG_HUB_RESTORE_H
#define SAMBANG_HUB_RESTORE_H

#include "err.h"
#include "hub_store.h"
#include "vv.h"

/* A generation: 16 lowercase hex digits (a replica id's shape). */
#define HUB_GENERATION_LEN 16

/* What hub_restore_mark changed. */
struct hub_restore {
  char old_replica[SB_REPLICA_MAX + 1], replica[SB_REPLICA_MAX + 1];
  /* old_generation: "" if the store had none yet */
  char old_generation[HUB_GENERATION_LEN + 1];
  char generation[HUB_GENERATION_LEN + 1];
};

/* The store's generation into out (HUB_GENERATION_LEN + 1 bytes); a
 * store that has none yet (made before generations) gets one, in a
 * transaction of its own. */
int hub_restore_generation(struct hub_store *hs, char *out, struct sb_err *err);

/* Marks the store as put back from a copy, in one transaction: a new
 * replica id (the old one kept as past) and a new generation. Run with
 * every hub on the store stopped. */
int hub_restore_mark(struct hub_store *hs, struct hub_restore *out,
                     struct sb_err *err);

/* Copies the generation and the past replica ids into another store
 * (migrate, inside to's transaction): the same hub, not a restore. */
int hub_restore_copy(struct hub_store *from, struct hub_store *to,
                     struct sb_err *err);

/* SB_ECONFLICT if replica was the hub's own before a restore (no device
 * may take it), else 0. Inside or outside a transaction. */
int hub_restore_refuse_past(struct hub_store *hs, const char *replica,
                            struct sb_err *err);

#endif
