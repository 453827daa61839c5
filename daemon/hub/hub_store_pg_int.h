/*
 * hub_store_pg_int.h - private to the PostgreSQL backend (hub_store_pg*.c):
 * a connection's state, the helpers that run statements, and the
 * primitives each file gives the method table.
 */
#ifndef SAMBANG_HUB_STORE_PG_INT_H
#define SAMBANG_HUB_STORE_PG_INT_H

#include "compat.h"

#include "hlc.h"
#include "hub_store.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct pg_cache;

struct pg {
  PGconn *conn;
  char *uri;
  char replica[SB_REPLICA_MAX + 1];
  char *schema_text;
  bool prepared; /* statements are prepared on this session */
  bool in_tx;
  bool transient;   /* the last failure may pass if run again */
  uint64_t tx_seq;  /* the newest number taken in this transaction (0: none) */
  uint64_t counter; /* in a transaction: the feed counter with its saves */
  struct pg_cache *cache; /* the transaction's records (hub_store_pg_batch.c) */
  struct pg_watch *watch;
  struct hlc clock;   /* the hub's own writes (hub_store_pg_tick) */
  bool corrupt;       /* a check found problems: writes refused */
  bool refs_complete; /* meta refs.complete was seen (refs_each) */
};

/* A statement prepared on every session (name, SQL). Tables of them:
 * hub_store_pg.c's own, and those of hub_store_pg_office.c,
 * hub_store_pg_scope.c and hub_store_pg_import.c (each ends with a
 * {NULL, NULL} row). */
struct hub_store_pg_stmt {
  const char *name, *sql;
};
extern const struct hub_store_pg_stmt hub_store_pg_office_stmts[];
extern const struct hub_store_pg_stmt hub_store_pg_scope_stmts[];
extern const struct hub_store_pg_stmt hub_store_pg_import_stmts[];

/* The schema version this build creates and migrates to. */
unsigned hub_store_pg_schema_version(void);

/* True if the SQLSTATE st starts with want. */
bool hub_store_pg_sqlstate_is(const char *st, const char *want);

/* Maps a failed result (or a failed connection, res NULL) to an SB_E code
 * with what and the server's message; clears res. */
int hub_store_pg_fail(struct pg *p, PGresult *res, const char *what,
                      struct sb_err *err);

/* A usable session: resets a lost connection (outside a transaction) and
 * prepares the statements. */
int hub_store_pg_ready(struct pg *p, struct sb_err *err);

/* hub_store_pg_ready for a write: SB_ECORRUPT first if the store failed
 * its check (it takes no writes until `sambang-hub check` passes). */
int hub_store_pg_ready_to_write(struct pg *p, struct sb_err *err);

/* Runs prepared statement name with n text parameters; *out is the result
 * (tuples or command ok), or an error. */
int hub_store_pg_run(struct pg *p, const char *name, int n,
                     const char *const *params, PGresult **out,
                     struct sb_err *err);

/* Runs plain SQL without parameters (transaction control, DDL). */
int hub_store_pg_exec(struct pg *p, const char *sql, struct sb_err *err);

/* A decimal column's value. */
uint64_t hub_store_pg_u64_of(const char *s);

/* Calls fn for each row (collection, id, seq, state) of res, decoded
 * (a state that does not decode is SB_ECORRUPT). */
int hub_store_pg_records_each(PGresult *res, store_record_fn fn, void *ctx,
                              struct sb_err *err);

/* Row i of a device query (name, hash, replica, revoked, created_ms and,
 * where the query has it, scope) into d. */
void hub_store_pg_device_row(PGresult *res, int i, struct hub_device *d);

/* The device primitives (struct hub_store_ops). */
int hub_store_pg_devices_add(void *be, const struct hub_device *d,
                             struct sb_err *err);
int hub_store_pg_devices_list(void *be, hub_device_fn fn, void *ctx,
                              struct sb_err *err);
int hub_store_pg_devices_revoke(void *be, const char *name, struct sb_err *err);
int hub_store_pg_devices_by_token(void *be, const char *token_hash,
                                  struct hub_device *d, struct sb_err *err);
int hub_store_pg_devices_bind(void *be, const char *name, const char *replica,
                              struct sb_err *err);
/* Devices' activity on the devices row (each figure only moves forward). */
int hub_store_pg_devices_activity_set(void *be, const char *name,
                                      const struct hub_device_activity *a,
                                      struct sb_err *err);
int hub_store_pg_devices_activity_get(void *be, const char *name,
                                      struct hub_device_activity *out,
                                      struct sb_err *err);

/* Office users, sessions, the hub's clock
 * (hub_store_pg_office.c). */
int hub_store_pg_user_put(void *be, const struct hub_user *u, bool create,
                          struct sb_err *err);
int hub_store_pg_user_get(void *be, const char *name, struct hub_user *out,
                          struct sb_err *err);
int hub_store_pg_user_list(void *be, hub_user_fn fn, void *ctx,
                           struct sb_err *err);
int hub_store_pg_user_remove(void *be, const char *name, struct sb_err *err);
int hub_store_pg_session_put(void *be, const struct hub_session *s,
                             struct sb_err *err);
int hub_store_pg_session_get(void *be, const char *id_hash,
                             struct hub_session *out, struct sb_err *err);
int hub_store_pg_session_sweep(void *be, uint64_t used_before,
                               uint64_t made_before, uint64_t *removed,
                               struct sb_err *err);
int hub_store_pg_session_remove(void *be, const char *id_hash,
                                struct sb_err *err);
uint64_t hub_store_pg_tick(void *be);

/* Calls fn for each row (collection, id, seq, state) of res. */
int hub_store_pg_rows_each(PGresult *res, store_text_fn fn, void *ctx);

/* Device scopes (hub_store_pg_scope.c). */
/* A device row as the parameters of dev_update and dev_import: name,
 * token hash, replica, revoked, created_ms (written into created, 24
 * bytes), scope. */
void hub_store_pg_device_params(const struct hub_device *d, char *created,
                                const char *params[6]);
int hub_store_pg_device_get(void *be, const char *name, struct hub_device *out,
                            struct sb_err *err);
int hub_store_pg_device_update(void *be, const struct hub_device *d,
                               const char *old_token_hash, struct sb_err *err);
int hub_store_pg_each_in(void *be, const char *collection, store_record_fn fn,
                         void *ctx, struct sb_err *err);
/*
 * Hands fn every record row (collection, id, seq, state) in key order,
 * read a thousand at a time (libpq holds a result whole: an export or a
 * check of a large hub never holds the table); outside a transaction, in
 * one read-only snapshot, as a single query would be.
 */
int hub_store_pg_walk(struct pg *p, store_text_fn fn, void *ctx,
                      struct sb_err *err);

/* Scoped reads: hub_store_ops.part_set, moved_set, feed_parts. */
/* hub_store_ops.refs_each: the records of collection noted as following
 * ref, or, while the notes are not complete, those whose state holds ref
 * as a string value (both a superset of its followers). */
int hub_store_pg_refs_each(void *be, const char *ref, const char *collection,
                           int (*fn)(const char *id, void *ctx), void *ctx,
                           struct sb_err *err);
/* hub_store_ops.ref_add (the refs table). */
int hub_store_pg_ref_add(void *be, const char *ref, const char *collection,
                         const char *id, struct sb_err *err);
int hub_store_pg_part_set(void *be, const char *collection, const char *id,
                          const char *part, struct sb_err *err);
int hub_store_pg_moved_set(void *be, const char *collection, const char *id,
                           uint64_t seq, struct sb_err *err);
int hub_store_pg_feed_parts(void *be, uint64_t since, unsigned limit,
                            unsigned want, const struct scope_parts *parts,
                            bool moved, const char *holder,
                            store_part_text_fn fn, void *ctx,
                            struct sb_err *err);

/* A write transaction's records in few round trips
 * (hub_store_pg_batch.c). batch_load and batch_ledger answer 1 when they
 * do not know (read the table then). */
int hub_store_pg_prefetch(void *be, const char *const *keys, size_t n,
                          struct sb_err *err);
/* hub_store_ops.refs_prefetch: the notes of those of keys the prefetch
 * found the hub holds none of (answered by hub_store_pg_batch_refs). */
int hub_store_pg_refs_prefetch(void *be, const char *const *keys, size_t n,
                               struct sb_err *err);
/* hub_store_ops.part_get, from what the prefetch read (the part stored
 * beside the state); *known false if it did not read it (the caller then
 * loads and decodes the state). */
int hub_store_pg_part_get(void *be, const char *collection, const char *id,
                          char *out, size_t size, bool *known,
                          struct sb_err *err);
int hub_store_pg_batch_load(struct pg *p, const char *collection,
                            const char *id, char **text, size_t *len,
                            uint64_t *seq, struct sb_err *err);
void hub_store_pg_batch_loaded(struct pg *p, const char *collection,
                               const char *id, const char *text, size_t len,
                               uint64_t seq);
int hub_store_pg_batch_ledger(struct pg *p, const char *key, char **value,
                              struct sb_err *err);
void hub_store_pg_batch_forget_ledger(struct pg *p, const char *key);
/* Keeps a save (numbered from p->counter) until the flush. */
int hub_store_pg_batch_save(struct pg *p, const struct record *r,
                            const char *text, size_t len, const char *echo,
                            uint64_t *seq, struct sb_err *err);
/* Sets the part or the newest move of a save kept here (save clears the
 * part); 1: none kept for (collection, id), write it to the table. */
int hub_store_pg_batch_part(struct pg *p, const char *collection,
                            const char *id, const char *part,
                            struct sb_err *err);
int hub_store_pg_batch_moved(struct pg *p, const char *collection,
                             const char *id, uint64_t seq);
/* Keeps a note that collection/id follows ref until the flush (the
 * refs table, hub_store_ops.ref_add). */
int hub_store_pg_batch_ref(struct pg *p, const char *ref,
                           const char *collection, const char *id,
                           struct sb_err *err);
/* Writes the kept notes, then the kept saves and the counter in one
 * statement. */
int hub_store_pg_flush(struct pg *p, struct sb_err *err);
/* Writes the kept notes only (a read of the refs table needs no more). */
int hub_store_pg_flush_refs(struct pg *p, struct sb_err *err);
/* fn(id, ctx) for each record of collection noted as following ref, from
 * the notes refs_prefetch read (and those added since); 1: not known
 * here, read the table. */
int hub_store_pg_batch_refs(struct pg *p, const char *ref,
                            const char *collection,
                            int (*fn)(const char *id, void *ctx), void *ctx);
/* True once meta refs.complete says every record's notes are kept. */
bool hub_store_pg_refs_complete(struct pg *p);
/* Forgets what the transaction read and kept (after commit, rollback). */
void hub_store_pg_batch_clear(struct pg *p);
/* hub_store_ops.purge: removes (collection, id)'s row. */
int hub_store_pg_purge(void *be, const char *collection, const char *id,
                       struct sb_err *err);

/* hub_store_ops.meta_each (hub_store_pg_import.c). */
int hub_store_pg_meta_each(void *be, const char *prefix, store_meta_fn fn,
                           void *ctx, struct sb_err *err);

/* Erased values out of the files (hub_store_pg_compact.c):
 * hub_store_ops.compact. */
int hub_store_pg_compact(void *be, struct hub_compaction *out,
                         struct sb_err *err);
/* hub_store_ops.erasure_check (hub_store_pg_compact.c). */
int hub_store_pg_erasure_check(void *be, struct hub_compaction *out,
                               struct sb_err *err);

/* The check (hub_store_pg_check.c): hub_store_ops.check. */
int hub_store_pg_check(void *be, enum store_check_level level, int budget_ms,
                       store_problem_fn fn, void *ctx,
                       enum store_check_state *state, struct sb_err *err);

#endif
