/*
 * store.h - the local SQLite store of one replica.
 *
 * One SQLite file in WAL mode, shared safely by the CLI and a daemon
 * (busy timeout, BEGIN IMMEDIATE for writers). It holds:
 *   - meta: replica id, HLC, the schema text, settings (server URL, ...);
 *   - records: one row per (collection, id) with the canonical state
 *     (record_encode) and seq, the local change sequence number given at
 *     its last change, so a replicator can ask "what changed since X".
 * The file is marked with PRAGMA application_id and versioned with
 * PRAGMA user_version; store_open migrates older layouts and refuses
 * foreign, newer or corrupt files with a clear error.
 *
 * Writes happen inside store_begin/store_commit (one transaction per
 * operation or batch); store_rollback undoes everything since store_begin.
 */
#ifndef SAMBANG_STORE_H
#define SAMBANG_STORE_H

#include "compat.h"

#include "err.h"
#include "hlc.h"
#include "record.h"

struct schema;

struct store;

/* Default busy timeout; $SAMBANG_BUSY_TIMEOUT_MS overrides it. */
#define STORE_BUSY_TIMEOUT_MS 5000

/*
 * Creates a new store at path with a fresh replica id and the given schema
 * text (stored verbatim). Refuses an existing file with SB_EEXIST and
 * leaves it alone. On success *out is open; on failure nothing is left.
 */
int store_create(const char *path, const char *schema_json, struct store **out,
                 struct sb_err *err);

/* store_create keeping a given replica id (sambang recover rebuilds a
 * device's store under its own id); NULL makes a fresh one. */
int store_create_as(const char *path, const char *schema_json,
                    const char *replica, struct store **out,
                    struct sb_err *err);

/*
 * Opens an existing store. SB_ENOTFOUND if there is none, SB_ENOTSTORE for a
 * file that is not a sambang store, SB_ECORRUPT, SB_EVERSION, SB_EBUSY...
 */
int store_open(const char *path, struct store **out, struct sb_err *err);

/* Closes the store (rolling back an open transaction). NULL is fine. */
void store_close(struct store *s);

/* This replica's id (owned by the store). */
const char *store_replica(const struct store *s);

/* Gives the store a new random replica id, inside the open transaction
 * (a hub put back from a copy: it must not hand out its old dots again;
 * daemon/hub/DESIGN.md, "Restoring from a copy"). */
int store_replica_renew(struct store *s, struct sb_err *err);

/* The schema text kept in the store (owned by the store). */
const char *store_schema_text(const struct store *s);

/*
 * The store's schema, parsed when the store opens (and when its "schema"
 * setting changes), owned by the store; NULL if the text does not parse
 * (store_create refuses such text).
 */
const struct schema *store_schema(struct store *s);

/* Starts a write transaction (BEGIN IMMEDIATE); SB_EBUSY past the timeout. */
int store_begin(struct store *s, struct sb_err *err);

/*
 * store_begin for writes the hub holds anyway (merged change pages, push
 * acknowledgements): the commit does not wait for the disk (WAL with
 * synchronous=NORMAL for this one transaction). A power loss may undo it,
 * never corrupt the store nor undo an earlier transaction; sync then
 * fetches or sends the same data again.
 */
int store_begin_relaxed(struct store *s, struct sb_err *err);

/* Commits (saving the HLC); on failure the transaction is rolled back. */
int store_commit(struct store *s, struct sb_err *err);

/* Rolls back the open transaction, if any. */
void store_rollback(struct store *s);

/* A new HLC timestamp for a local write (inside a transaction), on the
 * wall clock corrected by the hub offset the store knows. */
uint64_t store_tick(struct store *s);

/* Takes note of a remote timestamp (inside a transaction); one more than
 * HLC_MAX_AHEAD_MS ahead of the corrected wall clock is ignored. */
void store_observe(struct store *s, uint64_t ts);

/* The wall clock now, in ms, corrected by the hub offset last loaded
 * (at open or the last store_begin). */
uint64_t store_now_ms(struct store *s);

/* The hub offset last measured (meta clock_offset; all 0 if never). */
int store_clock_offset_get(struct store *s, struct hlc_offset *o,
                           struct sb_err *err);

/* Saves a measured hub offset (inside a transaction); new ticks use it. */
int store_clock_offset_set(struct store *s, const struct hlc_offset *o,
                           struct sb_err *err);

/*
 * Loads the state of (collection, id) into r (released first). A record
 * never seen gives SB_ENOTFOUND and an empty r with that key.
 */
int store_get(struct store *s, const char *collection, const char *id,
              struct record *r, struct sb_err *err);

/*
 * The stored state text of (collection, id), not decoded: *text malloc'd
 * (canonical, as record_encode made it; NUL-terminated, *len bytes) and
 * *seq its change sequence number. SB_ENOTFOUND if there is none.
 */
int store_get_text(struct store *s, const char *collection, const char *id,
                   char **text, size_t *len, uint64_t *seq, struct sb_err *err);

/*
 * Writes r's state (inside a transaction), giving it the next local change
 * sequence number. SB_ETOOBIG if its encoding is over SB_RECORD_MAX.
 */
int store_put(struct store *s, const struct record *r, struct sb_err *err);

/* store_put with r's encoding already made (text[0..len) must be
 * record_encode(r)), so a caller that has it does not encode twice. */
int store_put_encoded(struct store *s, const struct record *r, const char *text,
                      size_t len, struct sb_err *err);

/* A row's key, seq and stored text (text[len] is NUL; valid only during
 * the call), for the walks that pass states on undecoded. */
typedef int (*store_text_fn)(const char *collection, const char *id,
                             uint64_t seq, const char *text, size_t len,
                             void *ctx);

/*
 * store_put_encoded for a state merged from the hub: the row keeps its
 * pending and rejected marks (a new row is not pending), so what came
 * from the hub is not sent back to it.
 */
int store_put_remote(struct store *s, const struct record *r, const char *text,
                     size_t len, struct sb_err *err);

/* store_put_remote for a record the store may not hold: written as a new
 * row (*added true) unless the store holds the key (*added false, nothing
 * written: merge into it instead). One lookup fewer for a fresh pull. */
int store_add_remote(struct store *s, const struct record *r, const char *text,
                     size_t len, bool *added, struct sb_err *err);

/*
 * Sync marks. Every local write (store_put, store_put_encoded) marks its
 * row pending and clears a rejection. store_pending_text walks up to limit
 * pending, not rejected rows with seq > after, in seq order (fn gets the
 * stored text). store_ack clears the pending mark and store_reject keeps
 * the hub's reason, both only if the row's seq is still seq (a row edited
 * since stays pending). store_rejected_each walks rejected rows: fn gets
 * the reason as text.
 */
int store_pending_text(struct store *s, uint64_t after, unsigned limit,
                       store_text_fn fn, void *ctx, struct sb_err *err);
int store_ack(struct store *s, const char *collection, const char *id,
              uint64_t seq, struct sb_err *err);
int store_reject(struct store *s, const char *collection, const char *id,
                 uint64_t seq, const char *reason, struct sb_err *err);
int store_rejected_each(struct store *s, store_text_fn fn, void *ctx,
                        struct sb_err *err);

/*
 * Marks every row pending (a hub put back from a copy may lack any of
 * them: daemon/sync/DESIGN.md, "A hub put back from a copy"); *n: rows
 * marked that were not pending. Inside a transaction.
 */
int store_pend_all(struct store *s, uint64_t *n, struct sb_err *err);

/*
 * Clears the rejection of every pending row the hub refused with code
 * (the "code" of the reason kept by the sync engine, a JSON object), so
 * the next push sends them again; *n: how many. Inside a transaction.
 * For refusals that a change on the hub's side may lift (a scope that
 * grew lifts out_of_scope).
 */
int store_unreject(struct store *s, const char *code, uint64_t *n,
                   struct sb_err *err);

/*
 * Calls fn for every record, in (collection, id) order; collection NULL
 * means all collections. Stops at the first non-zero return of fn and
 * returns it. Tombstoned records are included.
 */
typedef int (*store_record_fn)(const struct record *r, uint64_t seq, void *ctx);
int store_each(struct store *s, const char *collection, store_record_fn fn,
               void *ctx, struct sb_err *err);
/* store_each with each row's stored text, undecoded (a state that does not
 * read as its record is the caller's to judge: status, check). */
int store_each_text(struct store *s, const char *collection, store_text_fn fn,
                    void *ctx, struct sb_err *err);

/* Calls fn for every record whose seq > since, in seq order. */
int store_changes(struct store *s, uint64_t since, store_record_fn fn,
                  void *ctx, struct sb_err *err);

/*
 * store_changes without decoding: fn gets each row's key, seq and stored
 * state text (canonical, as record_encode made it; text[len] is NUL; valid
 * only during the call). For passing states on unchanged (a hub's feed).
 */
int store_changes_text(struct store *s, uint64_t since, store_text_fn fn,
                       void *ctx, struct sb_err *err);

/*
 * store_changes_text for a reader, replica `holder`, that holds its own
 * echoes: a row whose echo is holder comes to fn with text NULL (len 0).
 */
int store_changes_text_echo(struct store *s, uint64_t since, const char *holder,
                            store_text_fn fn, void *ctx, struct sb_err *err);

/*
 * Sets (collection, id)'s scope part, for a hub's scoped reads
 * (daemon/hub/DESIGN.md, "Scoped reads"), inside a transaction: its one
 * part, "" if it is in no part, NULL if in several, all, or not known
 * (read by every scoped feed). Any later write of the row clears it.
 */
int store_set_part(struct store *s, const char *collection, const char *id,
                   const char *part, struct sb_err *err);

/* Notes, inside a transaction, that (collection, id) left scope parts at
 * seq (kept across writes; the newest seq is kept). */
int store_set_moved(struct store *s, const char *collection, const char *id,
                    uint64_t seq, struct sb_err *err);

/* A scoped feed row: store_text_fn's, with the scope part stored beside
 * it (store_set_part; NULL: not known, the state tells). */
typedef int (*store_part_text_fn)(const char *collection, const char *id,
                                  uint64_t seq, const char *part,
                                  const char *text, size_t len, void *ctx);

/*
 * store_changes_text_echo (holder may be NULL) for at most limit rows
 * that a scoped reader may need: those whose part is one of parts[0..n)
 * or NULL, and, if moved, those that moved (store_set_moved) after since.
 * Each row comes with its stored part, so the reader need not decode it.
 */
int store_changes_text_parts(struct store *s, uint64_t since,
                             const char *const *parts, size_t n, bool moved,
                             unsigned limit, const char *holder,
                             store_part_text_fn fn, void *ctx,
                             struct sb_err *err);

/*
 * From now on s's commits do not checkpoint the WAL themselves: a thread
 * of the store's own, with a connection of its own, copies it into the
 * database file (never blocking the writer) once it passes 1,000 pages;
 * past 8,000 a commit checkpoints itself (store_ckpt.c). For a writer
 * whose commits others wait on (the hub's); store_close stops the thread.
 */
int store_ckpt_offload(struct store *s, struct sb_err *err);
/*
 * Lets the store's page cache grow to kib KiB (SQLite's default is 2 MiB):
 * for a connection that writes much into a large store (the hub's
 * writer), whose index and table pages would otherwise be read back from
 * the file again and again. Best effort: a refusal leaves the default.
 */
void store_cache_kib(struct store *s, int kib);

/* True once store_ckpt_offload's thread was started by a checkpoint due. */
bool store_ckpt_started(struct store *s);

/* A hub's save of a merged state: store_put_encoded, the echo mark (the
 * replica that pushed exactly this state, daemon/hub/DESIGN.md "No echo";
 * any later write of the row clears it) and store_set_part(part) in one
 * statement (echo NULL: no mark; part NULL: several, all or not known),
 * the row not pending (a hub pushes nothing). */
int store_put_echo(struct store *s, const struct record *r, const char *text,
                   size_t len, const char *echo, const char *part,
                   struct sb_err *err);

/*
 * A hub's stored scope part of (collection, id) (store_set_part): *known
 * is false when it is NULL (several, all or not known) or longer than
 * size - 1, else out holds it ("" for none). SB_ENOTFOUND if there is no
 * such record.
 */
int store_get_part(struct store *s, const char *collection, const char *id,
                   char *out, size_t size, bool *known, struct sb_err *err);

/*
 * Which records follow which (store_refs.c), for a hub's scopes: a record
 * whose scope follows a ref (a visit, its beneficiary) is noted under each
 * id it names (scope_refs) when it is saved. Entries are only added (an
 * edit that changes the ref leaves the old one), so they may name a record
 * that no longer follows: a caller checks each record it gets.
 */
#define STORE_META_REFS_COMPLETE "refs.complete"
/* Notes that collection/id follows ref (inside a transaction). */
int store_ref_add(struct store *s, const char *ref, const char *collection,
                  const char *id, struct sb_err *err);
/*
 * Calls fn(id, ctx) for every record of collection noted as following
 * ref; fn's non-zero return stops it and is returned. SB_ENOTFOUND if the
 * notes are not complete yet (meta STORE_META_REFS_COMPLETE is not "1",
 * set once the hub has noted every record stored before the notes were
 * kept): the caller reads the collection instead.
 */
int store_refs_each(struct store *s, const char *ref, const char *collection,
                    int (*fn)(const char *id, void *ctx), void *ctx,
                    struct sb_err *err);

/*
 * A hub's writer: from now on this connection holds the notes in memory
 * and writes them into the table in sorted batches (store_refs_defer.c;
 * common/DESIGN.md, "Refs in batches"). First notes, in one transaction,
 * the records a writer before it held notes of and never wrote (a crash).
 * Nothing to do until the notes are complete (STORE_META_REFS_COMPLETE).
 */
int store_refs_defer(struct store *s, struct sb_err *err);
/* Writes the held notes of committed transactions into the table, in a
 * transaction of its own (an idle writer, the store's close). */
int store_refs_settle(struct store *s, struct sb_err *err);

/*
 * Meta STORE_META_HOLDS_OWN is "1" while the store holds every state it
 * ever pushed (or a newer one): written at store_create for a new replica
 * id, set to "0" when a row leaves (store_remove). A rebuilt store
 * (recover) lacks it. Only then does the engine ask the hub to skip its
 * own echoes (proto/PROTOCOL.md, "skip_own").
 */
#define STORE_META_HOLDS_OWN "sync.holds_own"

/* The device's scope as the hub last stated it in a change page ("all"
 * or "Pamulang,Setu", scope_text's form; absent before the first pull):
 * the sync engine keeps it (daemon/sync/sync_scope.c), the CLI shows it
 * and warns of a write outside it. */
#define STORE_META_SCOPE "sync.scope"

/* The greatest local change sequence number (0 for an empty store). */
int store_last_seq(struct store *s, uint64_t *seq, struct sb_err *err);

/* Settings kept in meta. get: malloc'd value or SB_ENOTFOUND. */
int store_meta_get(struct store *s, const char *key, char **value,
                   struct sb_err *err);
int store_meta_set(struct store *s, const char *key, const char *value,
                   struct sb_err *err);

/*
 * Calls fn(key, value, ctx) for every meta setting whose key starts with
 * prefix, in key order. Stops at the first non-zero return of fn and
 * returns it. key and value are valid only during the call.
 */
typedef int (*store_meta_fn)(const char *key, const char *value, void *ctx);
int store_meta_each(struct store *s, const char *prefix, store_meta_fn fn,
                    void *ctx, struct sb_err *err);

/*
 * Whose store it is (meta STORE_META_ROLE, set when it is made, see
 * store_role.c): a field device's (sambang, sambangd) or a hub's
 * (sambang-hub). Same layout, never the same use.
 */
#define STORE_META_ROLE "store.role"
enum store_role { STORE_ROLE_DEVICE, STORE_ROLE_HUB };
int store_role_set(struct store *s, enum store_role role, struct sb_err *err);
/* store_open, then SB_ENOTSTORE (closed) if the store is marked as the
 * other role's, or is a store made before the mark that is plainly the
 * other's (a device's holds its hub's address; a hub's, its devices or
 * office users). */
int store_open_as(const char *path, enum store_role role, struct store **out,
                  struct sb_err *err);

struct store_counts {
  uint64_t records;    /* live records */
  uint64_t deleted;    /* tombstoned records */
  uint64_t conflicted; /* records with siblings or delete/edit conflicts */
  uint64_t pending;    /* local changes not yet acknowledged by the hub */
  uint64_t rejected;   /* records whose state the hub refused */
};

/* Counts of one collection (NULL: all). */
int store_count(struct store *s, const char *collection,
                struct store_counts *out, struct sb_err *err);

/* Only the pending and rejected counts of store_count (of all
 * collections), from their indexes: cheap on a large store. */
int store_count_marks(struct store *s, uint64_t *pending, uint64_t *rejected,
                      struct sb_err *err);

/* --- corruption (store_check.c) ----------------------------------------
 *
 * Once SQLite reports a damaged page (SQLITE_CORRUPT, or SQLITE_NOTADB on
 * a file known to be ours) or a check finds a problem, the store is
 * marked corrupt: the file PATH.corrupt is written beside it (one line,
 * the reason; the database itself may be unwritable), so every process
 * and every later run knows. A marked store refuses every write
 * (store_begin, store_meta_set: SB_ECORRUPT) until a full check
 * (STORE_CHECK_FULL) finds nothing and removes the mark; reads go on as
 * far as the pages allow.
 */

/* How much store_check looks at. */
enum store_check_level {
  STORE_CHECK_MARK,  /* the corruption mark only (cheap, no I/O on the db) */
  STORE_CHECK_QUICK, /* PRAGMA quick_check: pages and b-trees, no indexes */
  STORE_CHECK_FULL   /* PRAGMA integrity_check: everything */
};

/* Default time budget of the quick check at start; $SAMBANG_CHECK_MS. */
#define STORE_CHECK_BUDGET_MS 2000

/* What the last check of this connection saw. */
enum store_check_state {
  STORE_UNCHECKED,     /* no check ran (a mark may still say corrupt) */
  STORE_CHECK_OK,      /* a check ran to its end and found nothing */
  STORE_CHECK_PARTIAL, /* stopped at its time budget, nothing found so far */
  STORE_CHECK_BAD      /* corrupt (found, or marked) */
};

/* Gets each problem a check reports, as SQLite words it. */
typedef int (*store_problem_fn)(const char *problem, void *ctx);

/*
 * Checks s at level (outside a transaction). QUICK and FULL stop after
 * budget_ms (0: no limit; *state is then STORE_CHECK_PARTIAL). fn (may be
 * NULL) gets each problem. Returns 0 if nothing is wrong, SB_ECORRUPT
 * (the store marked, err saying how to go on) if something is, another
 * code if the check could not run. A FULL check run to its end that finds
 * nothing removes the mark.
 */
int store_check(struct store *s, enum store_check_level level, int budget_ms,
                store_problem_fn fn, void *ctx, enum store_check_state *state,
                struct sb_err *err);

/*
 * The full check's last step, after store_check found the pages sound
 * (store_check_rows.c): every record row's state must read as the record
 * of its own key. fn (may be NULL) gets each row that does not; any marks
 * the store corrupt and returns SB_ECORRUPT (`sambang recover` rebuilds a
 * device's store without them; a hub's comes back from its backup).
 */
int store_check_rows(struct store *s, store_problem_fn fn, void *ctx,
                     struct sb_err *err);

/* The budget for the check at start: $SAMBANG_CHECK_MS (0: skip) or the
 * default; SB_EINVAL for a malformed value. */
int store_check_budget(int *ms, struct sb_err *err);

/* The state of the last check (STORE_CHECK_BAD whenever marked). */
enum store_check_state store_check_state(struct store *s);

/* True if s is marked corrupt; why (may be NULL) gets the reason. */
bool store_corrupt(struct store *s, char *why, size_t n);

/* What store_compact did. */
struct store_compaction {
  uint64_t bytes_before, bytes_after; /* the database's pages */
  bool wal_truncated; /* false: a reader held the WAL (truncated later) */
};

/*
 * Rebuilds the database file without its free pages (VACUUM, outside a
 * transaction; a store marked corrupt is refused), then copies the WAL
 * into it and truncates it. Erasure does not wait for it (secure_delete,
 * common/DESIGN.md): it gives the room back.
 */
int store_compact(struct store *s, struct store_compaction *out,
                  struct sb_err *err);

/* A row read from a damaged store (valid during the call). */
struct store_row {
  const char *collection, *id;
  const char *state; /* the stored text, not checked */
  size_t len;
  bool pending;         /* a local change the hub has not acknowledged */
  const char *rejected; /* the hub's reason, or NULL */
};
typedef int (*store_row_fn)(const struct store_row *row, void *ctx);

/*
 * Reads every row of s that can still be read, whatever the damage
 * (store_salvage.c): the rows of local changes not yet pushed first, then
 * the others (all pending too when the pending marks could not all be
 * read: pushing a row again is harmless, losing a change is not); a row
 * may come twice. Row ids are gathered from every index
 * and the table itself, each scan going as far as its pages allow, and
 * each row is read on its own, so one bad page loses only its rows.
 * *unreadable counts row ids that could not be read. fn's non-zero return
 * stops it and is returned.
 */
int store_salvage(struct store *s, store_row_fn fn, void *ctx,
                  uint64_t *unreadable, struct sb_err *err);

/* --- the device token (store_token.c) ----------------------------------
 *
 * A device's hub token is kept out of the database, so a copy of the store
 * file alone does not hand it over: in PATH.token (mode 0600) beside the
 * store, named by meta `token_file` (relative to the store's directory).
 * An older store's meta `token` is moved there when it is opened.
 */

/*
 * Removes the row of (collection, id) from the file (not a tombstone: the
 * record leaves this replica; secure_delete overwrites it), inside a
 * transaction, unless it is pending (a local change not yet acknowledged
 * by the hub: never dropped). *removed (may be NULL): whether a row went.
 */
int store_remove(struct store *s, const char *collection, const char *id,
                 bool *removed, struct sb_err *err);

/*
 * Removes the row of (collection, id) whatever its marks, inside a
 * transaction: the hub's purge of a tombstone every device has pulled
 * (daemon/hub/DESIGN.md, "Purge"). Absent: nothing.
 */
int store_purge(struct store *s, const char *collection, const char *id,
                struct sb_err *err);

/* Removes meta setting key (absent: nothing). */
int store_meta_delete(struct store *s, const char *key, struct sb_err *err);

/* The device token: *token malloc'd; SB_ENOTFOUND if none is set. */
int store_token_get(struct store *s, char **token, struct sb_err *err);

/* Keeps token in PATH.token (0600, replacing one) and names it in meta. */
int store_token_set(struct store *s, const char *token, struct sb_err *err);

/* The token file's path for the store at path (malloc'd, NULL: ENOMEM). */
char *store_token_path(const char *path);

#endif
