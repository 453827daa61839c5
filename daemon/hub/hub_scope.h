/*
 * hub_scope.h - the hub's side of scopes (daemon/hub/DESIGN.md, "Scopes"):
 * a record's scope parts as the hub holds it, the moves it remembers so a
 * device is told when a record leaves its scope, the scoped feed page and
 * the push check. On any backend: only struct hub_store_ops is used.
 */
#ifndef SAMBANG_HUB_SCOPE_H
#define SAMBANG_HUB_SCOPE_H

#include "hub_store.h"
#include "schema.h"
#include "scope.h"

/* The moves kept per record (older ones are folded together). */
#define HUB_SCOPE_MOVES_MAX 8

/* The scope parts of r, the records it follows loaded from the backend. */
int hub_scope_of(const struct hub_store_ops *ops, void *be,
                 const struct schema *schema, const struct record *r,
                 struct scope_parts *out, struct sb_err *err);

/*
 * Saves r (hub_store_ops.save, text its encoding, newest_ts and echo as
 * save takes them) with its scope part, inside the write transaction; its
 * parts before being `was`: if they changed, remembers the move, and
 * saves each record that follows r again (same state, a new seq, a move
 * of its own), so devices that now cover them get them and those that no
 * longer do are told. A push's save and an office edit's alike.
 */
int hub_scope_save(const struct hub_store_ops *ops, void *be,
                   const struct schema *schema, const struct record *r,
                   const char *text, size_t len, uint64_t newest_ts,
                   const char *echo, const struct scope_parts *was,
                   uint64_t *seq, struct sb_err *err);

/*
 * Scoped reads: stores the scope part of every record that has none yet
 * (a store made before they were kept, or filled by a copy) and notes its
 * moves, in one transaction, once (meta HUB_SCOPE_INDEXED_KEY marks it
 * done). Nothing to do on a backend without part_set.
 */
int hub_scope_index(const struct hub_store_ops *ops, void *be,
                    const struct schema *schema, struct sb_err *err);

#define HUB_SCOPE_INDEXED_KEY "scope.parts_indexed"

/*
 * Notes who follows whom (hub_store_ops.ref_add) for every record of a
 * following collection, in one transaction, once: a store made before
 * the notes were kept, or filled by a copy. Then marks them complete
 * (meta STORE_META_REFS_COMPLETE), from which point the backend's
 * refs_each answers from them. Nothing to do on a backend without notes.
 */
int hub_scope_refs_fill(const struct hub_store_ops *ops, void *be,
                        const struct schema *schema, struct sb_err *err);

/* The meta key of (collection, id)'s remembered moves,
 * "scope.moved.COLLECTION/ID" (malloc'd; NULL on ENOMEM). */
char *hub_scope_moved_key(const char *collection, const char *id);

/* The scoped feed page (hub_store_changes_scoped). */
int hub_scope_page(const struct hub_store_ops *ops, void *be,
                   const struct schema *schema, uint64_t since, unsigned limit,
                   const struct scope_parts *dev, const char *holder,
                   struct hub_page *page, struct sb_err *err);

/*
 * Per-part cursors: the parts of text (scope_read's; "all": every part of
 * dev) that dev covers, into out (empty if none). SB_EINVAL if text is
 * malformed.
 */
int hub_scope_parts_within(const struct scope_parts *dev, const char *text,
                           struct scope_parts *out, struct sb_err *err);

/* A catch-up page of a part a device's scope just gained: only records in
 * parts, and no gone entries (the device held nothing of those parts). */
int hub_scope_page_parts(const struct hub_store_ops *ops, void *be,
                         const struct schema *schema, uint64_t since,
                         unsigned limit, const struct scope_parts *parts,
                         const char *holder, struct hub_page *page,
                         struct sb_err *err);

/*
 * Whether a device of scope dev may push a state of a record whose hub
 * state has parts `cur` (exists: the hub holds one) and whose pushed
 * state has parts `pushed`: a record the hub holds must be in its scope
 * now (a move out of it is the device's own write, allowed); a new one
 * must be pushed in its scope.
 */
bool hub_scope_may_push(const struct scope_parts *dev,
                        const struct scope_parts *cur, bool exists,
                        const struct scope_parts *pushed);

#endif
