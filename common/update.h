/*
 * update.h - the one read-merge-write of a record.
 *
 * Every change of a stored record takes the same steps, whoever makes it:
 * load the state the store holds (text and seq), decode it, let the
 * caller's checks look at it, apply the change (a local put or delete of
 * fields, or the merge of a state from elsewhere), encode the result,
 * compare it with what was loaded (an echo changes nothing and is not
 * written), let the caller's checks look at the new state, save it.
 * Right after the change the new state is normalised with the store's
 * schema (consent withdrawal wins: schema_normalise), so every writer and
 * every merge applies it alike. A merge into a record the store does not
 * hold gives exactly the remote state (the empty state has seen no dot):
 * unless normalisation would change it, the remote state is then checked
 * and saved as it is, without the merge's copy of every value. The CLI's writes
 * (client/write.c), the field daemon's pull (merge_remote in
 * daemon/sync/sync_pull.c) and the hub's push (daemon/hub/hub_push.c) all call
 * update_apply; they differ only in the store they give it (struct update_io)
 * and in their checks (struct update_hooks).
 *
 * update_apply opens no transaction: the caller holds one around it and
 * rolls it back on failure.
 */
#ifndef SAMBANG_UPDATE_H
#define SAMBANG_UPDATE_H

#include "compat.h"

#include "err.h"
#include "record.h"
#include "schema.h"

#include <cjson/cJSON.h>

/* Where the states live. */
struct update_io {
  /* Names the store in messages ("store /path", "the hub's store"). */
  const char *where;
  /*
   * The stored state text of (collection, id): *text malloc'd (the caller
   * frees it), *len its length, *seq its change number. SB_ENOTFOUND if
   * there is none.
   */
  int (*load)(void *ctx, const char *collection, const char *id, char **text,
              size_t *len, uint64_t *seq, struct sb_err *err);
  /*
   * Stores r, whose encoding is text[0..len), as the record's new state;
   * *seq its new change number (0 if the store does not say).
   */
  int (*save)(void *ctx, const struct record *r, const char *text, size_t len,
              uint64_t *seq, struct sb_err *err);
  /* A fresh HLC time for a local put or delete (NULL: merges only). */
  uint64_t (*tick)(void *ctx);
  void *ctx;
  /*
   * The schema of the store (NULL: none). Every new state is normalised
   * with it (schema_normalise: no personal field without consent) before
   * it is compared, checked and saved, whatever the change was.
   */
  const struct schema *schema;
  /*
   * Optional (NULL: load first): stores r, encoded as text[0..len), as a
   * new record unless the store holds its key; *added says which. A merge
   * without hooks tries it before any load: into nothing, a merge gives
   * the remote state itself, so a store that mostly lacks what it merges
   * (a fresh pull) saves a lookup per record.
   */
  int (*add)(void *ctx, const struct record *r, const char *text, size_t len,
             uint64_t *seq, bool *added, struct sb_err *err);
};

enum update_op {
  UPDATE_PUT,    /* replica sets fields at io->tick()'s time */
  UPDATE_DELETE, /* replica deletes the record at io->tick()'s time */
  UPDATE_MERGE,  /* merge remote into the stored state */
};

/* What to do to the record. */
struct update_change {
  enum update_op op;
  const char *replica;         /* PUT, DELETE: the writing replica */
  cJSON *fields;               /* PUT: the fields (record_put's) */
  const struct record *remote; /* MERGE: the state to merge */
  /* MERGE, optional: record_encode(remote), if the caller made it. A
   * record the store does not hold merges into exactly remote, so its
   * encoding is this text (unless consent normalisation drops entries):
   * the save then uses it instead of encoding the same state again. */
  const char *remote_text;
};

/* A hook's answer: do not write, and it is not an error (a refusal). */
#define UPDATE_REFUSE 1

/*
 * The caller's checks; either may be NULL. Each returns 0 to go on,
 * UPDATE_REFUSE to stop without writing (update_apply then returns 0 with
 * outcome UPDATE_REFUSED), or an SB_E code that update_apply returns.
 */
struct update_hooks {
  /* The stored state before the change (empty if none: exists false).
   * The change stays the caller's: before may alter it (the hub's push
   * puts a joint state in its remote, hub_push_held.c); update_apply reads
   * ch->remote and ch->remote_text only after before returns. */
  int (*before)(void *ctx, const struct record *cur, bool exists,
                struct sb_err *err);
  /* The new state and its encoded length, just before it is saved; not
   * called for an echo. */
  int (*after)(void *ctx, const struct record *next, size_t len,
               struct sb_err *err);
  void *ctx;
};

enum update_outcome {
  UPDATE_WRITTEN,   /* the state changed and was saved */
  UPDATE_UNCHANGED, /* the store held it already: nothing written */
  UPDATE_REFUSED,   /* a hook refused it: nothing written */
};

struct update_result {
  enum update_outcome outcome;
  bool existed;  /* the store held a state of the record */
  uint64_t seq;  /* the saved state's seq if WRITTEN, else the loaded one */
  size_t erased; /* personal entries schema_normalise dropped */
};

/*
 * Applies ch to the record (collection, id) of io, with hooks' checks
 * (NULL: none), and says in *out what happened. On failure nothing was
 * saved (a failed save excepted: the caller rolls back) and out->existed
 * and out->seq still tell what was loaded. A stored state that does not
 * decode is SB_ECORRUPT, naming io->where.
 */
int update_apply(const struct update_io *io, const char *collection,
                 const char *id, const struct update_change *ch,
                 const struct update_hooks *hooks, struct update_result *out,
                 struct sb_err *err);

#endif
