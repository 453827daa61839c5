/*
 * hub_purge.h - safe tombstone purge (daemon/hub/DESIGN.md, "Purge"):
 * the cursor each device last pulled from, the purge itself (tombstones
 * older than a cut-off that every active device has pulled), the purge
 * horizon published in every changes page, and the ledger of purged ids
 * that keeps a late push of one from bringing it back. On a backend
 * without the `purge` op (PostgreSQL, so far) purge is refused and the
 * rest does nothing.
 */
#ifndef SAMBANG_HUB_PURGE_H
#define SAMBANG_HUB_PURGE_H

#include "hub_store.h"

/* What a purge did. */
struct hub_purge_stats {
  uint64_t purged;  /* tombstones removed */
  uint64_t kept;    /* tombstones old enough but not pulled by every device */
  uint64_t held_by; /* active devices with a recorded cursor */
  uint64_t upto;    /* the smallest cursor of them (UINT64_MAX: none) */
  uint64_t horizon; /* the purge horizon after the purge */
};

/* True if the store's backend can purge (and so keeps cursors). */
bool hub_purge_supported(struct hub_store *hs);

/* The cursor device `name` last asked the feed from; *known false (and
 * *since 0) if it never asked (or the backend cannot purge). */
int hub_purge_cursor_get(struct hub_store *hs, const char *name,
                         uint64_t *since, bool *known, struct sb_err *err);

/* True if cursors are written in a statement of their own
 * (hub_purge_cursor_set), on any connection: a backend shared by several
 * hubs, where a write transaction would take the feed counter row. */
bool hub_purge_cursor_own_statement(struct hub_store *hs);

/* Records that device `name` asked the feed from `since` (it holds every
 * change up to since), in a transaction of its own; nothing if unchanged
 * or the backend cannot purge. */
int hub_purge_cursor_set(struct hub_store *hs, const char *name, uint64_t since,
                         struct sb_err *err);

/* The purge horizon: the newest seq of a purged tombstone (0: none). */
int hub_purge_horizon(struct hub_store *hs, uint64_t *horizon,
                      struct sb_err *err);

/*
 * Removes, in one transaction, every tombstone (a deleted record that is
 * not in conflict) whose newest timestamp is older than cutoff_ms and
 * whose seq every active device's cursor has passed; each purged id goes
 * to the ledger and the horizon moves to the newest purged seq.
 * SB_EINVAL on a backend that cannot purge (nothing changes).
 */
int hub_purge_run(struct hub_store *hs, uint64_t cutoff_ms,
                  struct hub_purge_stats *st, struct sb_err *err);

/* Whether any id was purged (inside a push's transaction): if not, no
 * push needs hub_purge_ledger_has. */
int hub_purge_ledger_any(const struct hub_store_ops *ops, void *be, bool *any,
                         struct sb_err *err);

/* Whether (collection, id) was purged (inside a push's transaction). */
int hub_purge_ledger_has(const struct hub_store_ops *ops, void *be,
                         const char *collection, const char *id, bool *has,
                         uint64_t *seq, struct sb_err *err);

#endif
