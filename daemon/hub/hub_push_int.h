/*
 * hub_push_int.h - private to the push policy (hub_push.c,
 * hub_push_check.c, hub_push_entries.c, hub_push_held*.c): one record's
 * push and the checks of its write.
 */
#ifndef SAMBANG_HUB_PUSH_INT_H
#define SAMBANG_HUB_PUSH_INT_H

#include "hub_scope.h"
#include "hub_store.h"
#include "proto.h"
#include "record.h"
#include "schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many pushes of one record are tried together
 * (hub_push_held.c). */
#define HUB_PUSH_HELD_MAX 8

struct update_change;

/* One record's push: the hooks' and the io's context. */
struct push_one {
  const struct hub_store_ops *ops;
  void *be;
  const struct schema *schema;
  const char *pusher;
  uint64_t max_ts;
  const struct record *rec; /* the pushed state */
  const char *sent;         /* its encoding, if made already (or NULL) */
  bool values_ok;           /* its values all pass the schema (known) */
  size_t i;                 /* its index in the request */
  struct push_result *res;
  struct hub_push_stats *stats;
  const struct record *cur;      /* during check_future */
  const struct vv *since;        /* writes above it are new (NULL: cur's vv) */
  uint64_t newest;               /* the newest timestamp rec adds */
  bool was_conflicted;           /* the hub's state before */
  bool is_conflicted;            /* the state about to be saved */
  const struct scope_parts *dev; /* the pusher's scope; NULL: all */
  bool ledger;                   /* the hub purged some id (hub_purge.h) */
  /* the pushed state is in the pusher's scope: the pusher's feed shows
   * it at its seq (not a gone entry), so a result may say echo */
  bool in_scope;
  struct scope_parts was; /* the hub's state's parts before */
  char what[400];         /* names what a check found */
  /* hub_push_held.c: set when the push was joined with held ones */
  struct update_change *ch; /* the change update_apply merges */
  bool hold;                /* refused forged_dot: held aside */
  bool joined;
  struct record joint; /* the merge of the set, which ch then carries */
  char joint_of[HUB_PUSH_HELD_MAX][SB_REPLICA_MAX + 1]; /* held, used */
  size_t joint_n;
};

/* The vv above which p's writes are new: the hub's state's, cur, unless
 * p is one of several pushes checked together (hub_push_held.c). */
static inline const struct vv *hub_push_since(const struct push_one *p,
                                              const struct record *cur)
{
  return p->since != NULL ? p->since : &cur->vv;
}

/* What rec holds of the pusher's new writes (dots above cur's vv). */
struct own_new {
  uint64_t base; /* cur's vv entry of the pusher */
  bool any;      /* rec holds a new entry of the pusher */
  bool tomb;     /* ...a new tombstone */
  bool vanished; /* a new dot of the pusher of which rec holds nothing */
};

/*
 * false, with p->what naming it, if rec holds history of a replica other
 * than the pusher that cur (the hub's state) has not seen.
 */
bool hub_push_entries_forged_vv(struct push_one *p, const struct record *cur);

/*
 * The entry-level checks of rec against cur: 0 (fine), a PROTO_ERR code
 * with p->what naming the entry, or a negative SB_E code.
 */
int hub_push_entries_check(struct push_one *p, const struct record *cur);

/* How a cut takes what only the state it cuts holds (record_cut_rules):
 * its entries of others' writes and its withdrawals (hub_push_held.c). */
struct hub_push_vouch {
  const struct entry *(*entry)(const char *field, const struct entry *e,
                               void *ctx);
  int (*withdrawal)(const struct withdrawal *w, struct vv *seen, void *ctx);
  void *ctx;
};

/*
 * out = the cut of p's record by its pusher against cur (record_cut): the
 * record with cur's entries it dropped put back, but where a new write of
 * the pusher explains the drop (the forged_entry rule), and what only it
 * holds as vouch takes it. On error out is empty.
 */
int hub_push_entries_cut(const struct push_one *p, const struct record *cur,
                         const struct hub_push_vouch *vouch,
                         struct record *out);

/* True if d is a new dot of the pusher (above o->base). */
bool hub_push_entries_own_new_dot(const struct push_one *p,
                                  const struct own_new *o, const struct dot *d);

/* --- hub_push_check.c --- */

/*
 * Every check of hub_push_check.c's top comment but forged_dot (done first
 * by hub_push_entries_forged_vv) of p's record against cur: 0,
 * UPDATE_REFUSE with p->res filled, or an error.
 */
int hub_push_check_write(struct push_one *p, const struct record *cur,
                         struct sb_err *err);

/* update_apply's hooks for p (ctx): before the merge, every check of the
 * write itself (holding it aside or joining held pushes for forged_dot);
 * after it, the merged size only (the merged state's record rules are not
 * the push's to enforce). */
int hub_push_before(void *ctx, const struct record *cur, bool exists,
                    struct sb_err *err);
int hub_push_after(void *ctx, const struct record *next, size_t len,
                   struct sb_err *err);

/* --- hub_push_held.c, hub_push_held_rows.c --- */

/* A held push is dropped after 8 days (a rebasing device gives up
 * after 7). */
#define HUB_HELD_MAX_MS (8ull * 24 * 3600 * 1000)
#define HUB_HELD_KEY_MAX (SB_NAME_MAX + SB_ID_MAX + SB_REPLICA_MAX + 8)

/* The meta key of the push of rec's record held for replica. */
void hub_push_held_key(char *key, size_t size, const struct record *rec,
                       const char *replica);

/* Reads a held row's value, "<ms> <state>": false if malformed. */
bool hub_push_held_parse(const char *value, uint64_t *at, const char **state);

/*
 * After p's record failed forged_dot against cur: 1 if it passes together
 * with held pushes of the same record (p->joint, p->joint_of filled), 0 if
 * not, or an error.
 */
int hub_push_held_joint(struct push_one *p, const struct record *cur,
                        struct sb_err *err);

/* Holds p's record, refused forged_dot, aside for a later joint. */
int hub_push_held_keep(struct push_one *p, struct sb_err *err);

/* Drops the held pushes a stored joint used, and the pusher's own. */
int hub_push_held_done(struct push_one *p, struct sb_err *err);

/* At most once an hour per process (else nothing): drops every held push
 * past its time, inside the open transaction. */
int hub_push_held_sweep(const struct hub_store_ops *ops, void *be,
                        struct sb_err *err);

#endif
