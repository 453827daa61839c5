/*
 * store_int.h - what the store_*.c files share and nobody else sees (the
 * public API is store.h): the prepared statements, struct store, and the
 * helpers one part of the store lends to another.
 */
#ifndef SAMBANG_STORE_INT_H
#define SAMBANG_STORE_INT_H

#include "store.h"

#include "hlc.h"
#include "schema.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The statements prepared at open (their SQL is stmt_sql in store.c). */
enum {
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_META_GET,
  ST_META_SET,
  ST_MAX_SEQ,
  ST_GET,
  ST_PUT,
  ST_PEND,
  ST_PUT_REMOTE,
  ST_PUT_ECHO,
  ST_ADD,
  ST_ADD_NEW,
  ST_PENDING,
  ST_ACK,
  ST_REJECT,
  ST_REJECTED,
  ST_EACH_ALL,
  ST_EACH_COLL,
  ST_CHANGES,
  ST_CHANGES_ECHO,
  ST_COUNT_MARKS,
  ST_COUNT_ALL,
  ST_COUNT_COLL,
  ST_PART_SET,
  ST_MOVED_SET,
  ST_GET_PART,
  ST_REF_ADD,
  ST_REF_DROP,
  ST_REFS_OF,
  ST_CHANGES_PARTS,
  ST_COUNT_
};

struct store {
  sqlite3 *db;
  char *path;
  char replica[17];
  char *schema;
  struct schema *parsed; /* store_schema's parse of schema, or NULL */
  bool erasing; /* this transaction wrote a state that may erase values */
  struct hlc clock;
  struct hlc_offset offset; /* the hub's clock, as last loaded */
  uint64_t seq; /* the last seq handed out (valid inside a transaction) */
  bool in_tx;
  bool relaxed; /* the open transaction commits without fsync */
  /* The last two keys store_get_text found absent in this transaction,
   * with nothing written since: a write of one is a plain insert (ST_ADD).
   * Two, because a hub's push looks up the record, then the one it
   * follows for its scope, then writes the record. */
  struct store_absent {
    bool known;
    char collection[SB_NAME_MAX + 1];
    char id[SB_ID_MAX + 1];
  } absent[2];
  unsigned absent_next; /* the slot the next miss fills */
  bool refs_complete;   /* meta STORE_META_REFS_COMPLETE was seen */
  int busy_ms;
  sqlite3_stmt *st[ST_COUNT_];
  bool ours;    /* application_id said so: damage now marks it corrupt */
  bool corrupt; /* marked corrupt by this connection (PATH.corrupt too) */
  enum store_check_state check; /* what the last check saw */
  struct store_ckpt *ckpt;      /* store_ckpt_offload's, or NULL */
  int page_size;                /* the file's (PRAGMA page_size) */
  /* A hub writer's notes of who follows whom, not yet in the refs table
   * (store_refs_defer.c). */
  struct store_refs_held {
    bool defer; /* store_refs_defer was called: notes wait here */
    struct store_ref_list {
      char **v;
      size_t n, cap;
    } committed, tx, flushed;
    /* A batch being written, sorted, a slice per commit: batch[pos..n)
     * wait; [pos_tx..pos) went into the open transaction. */
    char **batch;
    size_t batch_n, batch_pos, batch_pos_tx;
    uint64_t batch_upto; /* the newest seq when it was cut */
  } refs_held;
};

/* A device's pending mark follows its row (layout 5, store.c): it moves
 * with the row's seq when a merge rewrites the row, and goes with the
 * row. A hub's store has none of them (store_role.c). */
#define STORE_PENDING_TRIGGERS                                                 \
  "CREATE TRIGGER IF NOT EXISTS records_pending_moves AFTER UPDATE OF seq"     \
  " ON records BEGIN UPDATE pending SET seq = new.seq"                         \
  " WHERE seq = old.seq; END;"                                                 \
  "CREATE TRIGGER IF NOT EXISTS records_pending_gone AFTER DELETE ON records"  \
  " BEGIN DELETE FROM pending WHERE seq = old.seq; END;"

/* The WAL's size past which a commit checkpoints it: SQLite's default of
 * 1000 pages, at its default 4 KiB pages (a new store's are 16 KiB:
 * store_init_file). */
#define STORE_CKPT_BYTES (4000L << 10)

/* How many of s's pages hold bytes (at least 1): the WAL's checkpoint
 * thresholds are sizes, whatever the file's page size. */
int store_pages_of(const struct store *s, long bytes);

/* Drops the refs noted for collection/id (store_refs.c: before a purge
 * takes the row out of the file). */
int store_refs_drop(struct store *s, const char *collection, const char *id,
                    struct sb_err *err);

/* True once meta says every stored record's refs are noted (the hub's
 * hub_scope_refs_fill). */
bool store_refs_complete(struct store *s);

/* Writes the note that collection/id follows ref into the refs table. */
int store_ref_write(struct store *s, const char *ref, const char *collection,
                    const char *id, struct sb_err *err);

/* --- store_refs_defer.c ------------------------------------------------- */

/* Holds a note in memory (a deferring writer); writes them all once
 * enough wait. */
int store_refs_hold(struct store *s, const char *ref, const char *collection,
                    const char *id, struct sb_err *err);
/* Writes the held notes into the table, sorted, and refs.upto (inside a
 * transaction): before the notes are read or dropped. */
int store_refs_flush(struct store *s, struct sb_err *err);
/* Writes the next slice of the batch (inside the transaction, before its
 * commit: store_tx.c). */
int store_refs_drain(struct store *s, struct sb_err *err);
/* The transaction's end, for the held notes (store_tx.c). */
void store_refs_committed(struct store *s);
void store_refs_rolled_back(struct store *s);
/* Whether a connection that holds no notes may trust the table: refs.upto
 * absent or at the newest seq (no writer holds notes of older records). */
int store_refs_trusted(struct store *s, bool *trusted, struct sb_err *err);
void store_refs_held_free(struct store *s);
/* Notes of committed transactions wait in memory (not in the table). */
bool store_refs_waiting(const struct store *s);

/* Forgets the keys known absent (a transaction's start and end). */
void store_absent_forget(struct store *s);

/* --- store_ckpt.c ------------------------------------------------------- */

/* Stops store_ckpt_offload's thread and frees it (store_close). */
void store_ckpt_stop(struct store *s);

/* --- store.c: SQLite plumbing ------------------------------------------ */

/* Translates a SQLite result into an SB_E code and a message naming PATH. */
int store_sqlerr(struct store *s, int rc, const char *what, struct sb_err *err);
/* Reads the integer PRAGMA name (page_count, user_version...). */
int store_pragma_i64(struct store *s, const char *name, int64_t *out,
                     struct sb_err *err);

/* Resets a statement after use (its error, if any, was already seen). */
void store_stmt_done(sqlite3_stmt *st);

/* After a failed write: SQLite may have rolled the transaction back. */
void store_tx_check(struct store *s);

/* Runs sql once, prepared for this call (rare statements), with text
 * parameters ?1 = a and ?2 = b (NULL: not bound); *changes (if not NULL):
 * the rows it changed. */
int store_run_once(struct store *s, const char *sql, const char *a,
                   const char *b, int *changes, const char *what,
                   struct sb_err *err);

/* Runs a statement that returns no rows. */
int store_run(struct store *s, int which, const char *what, struct sb_err *err);

/* Prepares statement which (an ST_*) if it is not yet: the few that need
 * what only some stores hold (store_prepare skips them). */
int store_stmt_lazy(struct store *s, int which, struct sb_err *err);

/* Runs each statement of a fixed SQL script (no parameters). */
int store_script(struct store *s, const char *sql, const char *what,
                 struct sb_err *err);

/* Parses schema text for a store (store_schema): 0, *out NULL if the text
 * does not parse (as it always was), or SB_ENOMEM, which fails the
 * caller: a store never writes as if it had no schema for want of memory. */
int store_schema_parse(const char *text, struct schema **out);

/* --- store_check.c: the corruption mark -------------------------------- */

/* Marks s corrupt (in memory and in PATH.corrupt) for reason why. */
void store_mark_corrupt(struct store *s, const char *why);

/* Removes the mark (a full check found nothing, or a new store). */
void store_mark_clear(struct store *s);

/* SB_ECORRUPT with the way out if s is marked corrupt (before a write). */
int store_refuse_if_corrupt(struct store *s, struct sb_err *err);

/* --- store_token.c ------------------------------------------------------ */

/* Moves an older store's meta `token` into its token file (at open). */
int store_token_migrate(struct store *s, struct sb_err *err);

/* --- store_meta.c: the meta table -------------------------------------- */

/* meta[key] as a malloc'd string; SB_ENOTFOUND (no message) if absent. */
int store_meta_read(struct store *s, const char *key, char **value,
                    struct sb_err *err);

/* Sets meta[key] = value (inside the caller's transaction, if any). */
int store_meta_write(struct store *s, const char *key, const char *value,
                     struct sb_err *err);

/* Parses a decimal uint64 (digits only, no overflow); false if it is not
 * one (a meta value). */
bool store_parse_u64(const char *text, uint64_t *out);

/* Loads the stored hub offset, then takes the stored HLC into the
 * in-memory clock (bounded by the corrected wall clock: hlc_observe). */
int store_load_hlc(struct store *s, struct sb_err *err);

/* --- store_records.c: one record's row --------------------------------- */

/* Checks (collection, id) before they reach SQL or record_init. */
int store_check_key(const char *collection, const char *id, struct sb_err *err);

/*
 * Decodes a stored state into r, checking it holds the key of its row.
 * SB_ECORRUPT naming the record if not.
 */
int store_decode(struct store *s, const char *collection, const char *id,
                 const char *text, size_t len, struct record *r,
                 struct sb_err *err);

/* --- store_feed.c: walking rows ---------------------------------------- */

/* Steps a (collection, id, seq, state) query, calling fn for each row. */
int store_walk_text(struct store *s, sqlite3_stmt *st, store_text_fn fn,
                    void *ctx, struct sb_err *err);

/* Binds the "seq > since" of the changes statement. */
void store_bind_since(sqlite3_stmt *st, uint64_t since);

/* The walking statements are shared: fn must not start another walk. */
int store_check_not_nested(struct store *s, sqlite3_stmt *st,
                           struct sb_err *err);

/* *ms from the environment variable name (a whole number of
 * milliseconds), else dflt; SB_EINVAL naming the variable if malformed. */
int store_env_ms(const char *name, int dflt, int *ms, struct sb_err *err);

#endif
