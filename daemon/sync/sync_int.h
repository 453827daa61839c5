/*
 * sync_int.h - the sync engine's private declarations, shared by sync.c
 * (life cycle, scheduling, back-off, exchanges), sync_push.c (push
 * batches and their replies) and sync_pull.c (pull pages, merging, the
 * long-poll). Not for use outside daemon/sync.
 */
#ifndef SAMBANG_SYNC_INT_H
#define SAMBANG_SYNC_INT_H

#include "compat.h"

#include "buf.h"
#include "hlc.h"
#include "proto.h"
#include "scope.h"
#include "sync.h"
#include "sync_http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CURSOR_KEY "pull_cursor"
/* "compact" while the hub's last reply said it reads the compact form
 * (struct sync's hub_compact), kept for the next process. */
#define FORMS_KEY "sync.hub_forms"
/* The device's scope as the hub last stated it (sync_scope.c). */
#define SCOPE_KEY STORE_META_SCOPE
/* Records that left the scope while pending: removed once pushed. */
#define GONE_PREFIX "sync.gone."
/* Set while the device re-downloads its scope after a purge
 * (sync_resync.c). */
#define RESYNC_KEY "sync.resync"
/* Set while a scope that grew has not yet lifted the out_of_scope
 * refusals (sync_scope_lift), so a restart does not forget it. */
#define LIFT_KEY "sync.lift_due"

/* A pushed row: what to ack or reject when the hub answers. */
struct batch_key {
  char collection[SB_NAME_MAX + 1];
  char id[SB_ID_MAX + 1];
  uint64_t seq;
  size_t off, len; /* its state's text in the batch's body */
};

/* A push batch: its rows' keys and its body, and the channel it goes on
 * (two may be at the hub at once while a third's answers are applied, see
 * sync_push.c). */
struct push_slot {
  struct sync *s;
  struct sync_http *http; /* s->http or one of s->push_more, while busy */
  struct batch_key *keys;
  size_t nkeys, cap_keys;
  struct buf json;
  uint64_t after; /* it holds pending rows after this seq */
  bool compact;   /* its states are as stored (else all in the full form) */
  bool busy;      /* at the hub */
  bool held;      /* answered: its answers are being applied */
};

/* Batches at the hub at once: while its writer merges two, the next is
 * decoded on its pool (daemon/sync/DESIGN.md, "Bulk pushes"). */
#define PUSH_WINDOW 3
/* and one more slot, whose answers are being applied */
#define PUSH_SLOTS (PUSH_WINDOW + 1)

/* A record a page said left the scope, whose followers leave with it. */
struct gone_key {
  char *collection, *id;
};

/* The longest URL of a request to the hub (the hub's address and path). */
#define SYNC_URL_MAX 2048
/* At most this many replicas' names asked at a cycle's end (sync_names.c),
 * PROTO_NAMES_MAX a request. */
#define SYNC_NAMES_WANT_MAX 2000

struct sync {
  uv_loop_t *loop;
  struct store *store;
  struct sync_config cfg;
  struct sync_http *http; /* pushes and the pulls of a cycle */
  struct sync_http *push_more[PUSH_WINDOW - 1]; /* pushes beside http's */
  struct sync_http *poll; /* the long-poll, kept open while a cycle runs */
  unsigned closing;       /* handles still to close after sync_stop */
  uv_timer_t retry;
  char *base; /* cfg.server without a trailing '/' */

  enum sync_phase phase;
  sync_event_fn fn;
  void *ctx;

  uint64_t cycle, cycles_done;
  bool again;      /* another cycle was asked for while one runs */
  bool in_cycle;   /* pushing and pulling (not listening, waiting, halted) */
  bool repushed;   /* this cycle pushed lifted refusals (sync_scope_lift) */
  bool scope_grew; /* the scope gained parts since the last lift */
  bool polling;    /* a long-poll is in flight */
  uint64_t cycle_pushed, cycle_pulled;
  /* Rows that left the store for the scope: those of the page being
   * applied (counted into the cycle's once it commits), the cycle's, and
   * since start. */
  uint64_t page_removed, cycle_removed, total_removed;
  /* This cycle's progress: pending changes when it began, and the feed
   * numbers from its cursor then to the newest a page named (0: none
   * named; an older hub does not say). */
  uint64_t push_total, feed_base, feed_last;
  uint64_t total_pushed, total_pulled;
  /* The last pulled state merged found no local row: try the next one as
   * a new row before looking it up (sync_pull.c, merge_remote). */
  bool pull_last_absent;
  uint64_t wire_up, wire_down, json_up, json_down;
  uint64_t cursor;  /* every change up to it is merged here */
  bool scope_marks; /* some pending rows wait to leave the scope */
  /* The page's gone records that others follow: their followers leave in
   * one walk of each follower collection at the page's end
   * (sync_scope_gone_end), not one walk per gone record. */
  struct {
    struct gone_key *v;
    size_t n, cap;
  } gone;
  uint64_t pull_since; /* the cursor the pull in flight asked from */
  uint64_t poll_since; /* the cursor the long-poll in flight asked from */
  /* Counts the scopes applied (sync_scope_page); a pull, long-poll or
   * catch-up page asked before the last one is answered for the old
   * scope. */
  uint64_t scope_epoch, pull_epoch, poll_epoch, catchup_epoch;

  /* the pushes in flight */
  struct push_slot push[PUSH_SLOTS];
  unsigned push_busy;
  /* The next batch is read and compressed once fill_after's body is on
   * the wire, after the loop has turned (sync_push.c, push_fill). */
  uv_check_t fill;
  struct push_slot *fill_after;
  /* The feed numbers this cycle's pushes were told hold exactly what they
   * sent (results' "echo"): the cursor may pass over them (sync_push.c,
   * own_advance). */
  struct {
    uint64_t *v;
    size_t n, cap;
  } own;
  uint64_t push_after; /* rows up to this seq were sent this cycle */
  unsigned batch_now;  /* shrinks when the hub finds a batch too large */
  /* A batch was refused whole for a record in it (sync_push.c,
   * split_note): once the other batches at the hub have answered (their
   * answers applied), the push goes on one batch at a time from after, in
   * batches of size. */
  struct {
    bool on;
    uint64_t after;
    unsigned size;
  } split;
  /* The attempt failed while other batches were at the hub: their
   * answers are applied as they come (the hub stored those batches), no
   * batch is sent, and the failure (last_error and these) is made once
   * none is left (sync.c, attempt_failed_v). */
  struct {
    bool on;
    int code;
    bool online, halt;
    int64_t retry_after_s;
  } failing;

  /* the hub's clock (sync_clock.c) */
  struct hlc_offset clock;       /* last measured; hub_ms 0: never */
  struct hlc_offset clock_saved; /* what the store holds */
  uint64_t cycle_restamped;      /* records re-stamped and sent again */
  uint64_t cycle_deferred;       /* future_timestamp left pending */
  uint64_t cycle_refused;        /* records the hub refused this cycle */
  /* a hub put back from a copy (sync_rebase.c) */
  char generation[17];      /* the hub store's, as last seen; "": none */
  uint64_t rebase_since_ms; /* the rebase began (0: none running) */
  uint64_t cycle_waiting;   /* forged_* refusals left pending meanwhile */
  char last_refusal[SB_ERR_MSG_MAX]; /* "coll/id: " sync_refusal_text */

  /* the push chain (sync_chain.c): what this sync's pushes carry */
  struct proto_chain chain;
  bool chain_acked; /* a push of this sync moved the hub to chain.next */
  /* chain.next was drawn by this sync (not kept from an earlier one), and
   * whether a push carrying it may have reached the hub */
  bool chain_fresh, chain_out;
  char chain_text[PROTO_CHAIN_TEXT_MAX + 1];

  /* the out_of_scope refusals' watch list (sync_lift.c) */
  struct {
    char **keys; /* "collection/id" */
    size_t n, cap;
    bool loaded;  /* read since the last push or lift */
    bool failed;  /* it could not be read: every change touches it */
    bool touched; /* a pulled change was of one of them */
  } lift;

  /* what the store holds that is not at the hub, as last counted */
  struct proto_marks marks;
  bool marks_known;
  char marks_text[PROTO_MARKS_TEXT_MAX + 1];

  /* Replicas whose device names the cycle's end asks (sync_names.c), in
   * the order noted, at most SYNC_NAMES_WANT_MAX; the first names_asked
   * of them are in the request in flight (PROTO_NAMES_MAX at most). */
  struct {
    char (*v)[SB_REPLICA_MAX + 1];
    size_t n, cap;
  } names_want;
  size_t names_asked;

  bool online;
  /* The hub's last reply said it reads the compact form: pushes carry the
   * stored states as they are (PROTO_COMPACT_TYPE). Until a reply says so,
   * and after one that does not (an older hub put in its place), they go
   * in the full form. Kept in the store at a cycle's end (FORMS_KEY,
   * hub_compact_saved: what the store holds), so that a new process's
   * first batches are compact too; a batch an older hub refused for it
   * (415) goes again in the full form (sync_push.c). */
  bool hub_compact, hub_compact_saved;
  unsigned failures;
  int64_t last_success_ms, next_retry_ms;
  char last_error[SB_ERR_MSG_MAX];
  int last_code; /* sync_status.last_code */
  uint64_t rng;
  bool stopping;
};

/* sync.c */
void sync_emit(struct sync *s, enum sync_event ev);
/* fmt is translated (i18n.h): last_error is for people (status, sync). */
void sync_attempt_failed(struct sync *s, bool online, bool halt,
                         int64_t retry_after_s, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Makes the attempt's failure once no push batch is left at the hub (the
 * answers of those still there were waited for). */
void sync_push_drained(struct sync *s);
/* As sync_attempt_failed (back-off) for a failure with an SB_E* code: a
 * code of the device's own store is kept in status.last_code. */
void sync_failed_with(struct sync *s, int code, bool online, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
void sync_reply_error(const struct http_reply *r, struct proto_error *e);
bool sync_reply_failed(struct sync *s, const struct http_reply *r,
                       const char *what);
void sync_exchange(struct sync *s, struct sync_http *channel,
                   const char *method, const char *path, const char *body,
                   size_t len, long timeout_s, http_done_fn done);
/* The request every exchange with the hub starts from (url: its buffer,
 * of url_size bytes). */
void sync_request(struct sync *s, struct http_request *rq, char *url,
                  size_t url_size, const char *method, const char *path);
void sync_count_bytes(struct sync *s, const struct http_reply *r);
char *sync_reason_encode(const char *code, const char *message);
void sync_start_cycle(struct sync *s);
void sync_count_marks(struct sync *s);
void sync_cycle_done(struct sync *s);
/* qsort's order of uint64_t values, ascending. */
int sync_u64_order(const void *a, const void *b);

/* sync_clock.c */
void sync_clock_note(struct sync *s, const struct http_reply *r);
int sync_clock_restamp_row(struct sync *s, const char *collection,
                           const char *id, uint64_t hub_ms, bool *done,
                           struct sb_err *err);

/* sync_push.c */
void sync_push_init(struct sync *s);
void sync_push_reset(struct sync *s); /* aborts the pushes, drops batches */
void sync_push_free(struct sync *s);
void sync_push_next(struct sync *s);
/*
 * Applies the hub's per-record answers rep to batch b, in one
 * transaction: acks, refusals kept, rows re-stamped for a hub whose clock
 * is behind (hub_ms). The cycle's counts and echoes move only if it
 * commits; on failure nothing of it is kept and the rows stay pending
 * (tests/unit/test_sync_push_oom.c).
 */
int sync_push_apply(struct sync *s, const struct push_slot *b,
                    const struct push_reply *rep, uint64_t hub_ms,
                    struct sb_err *err);

/* sync_pull.c */
void sync_pull_next(struct sync *s, uint64_t since);
void sync_pull_listen_next(struct sync *s);
bool sync_holds_own(struct sync *s); /* every state it pushed is here */

/* --- sync_scope.c: a scoped device (daemon/sync/DESIGN.md, "Scopes") --- */

/* True if scope (a page's, NULL: none) is not the one the store holds. */
bool sync_scope_changed(struct sync *s, const char *scope);

/*
 * Before a page's changes are merged (inside its transaction): rows that
 * left the scope while pending and are pushed now are removed; a new
 * scope removes every record outside it (never a pending one); parts it
 * gained get a catch-up (sync_catchup.c; none if resync: the page starts
 * a re-sync, whose snapshot holds every part); if it grew to all, sets
 * *reset: the cursor goes back to 0, the page is not merged.
 */
int sync_scope_page(struct sync *s, const char *scope, bool resync, bool *reset,
                    struct sb_err *err);

/* A gone entry: (collection, id) leaves the store (a pending one is
 * marked and removed once pushed); the records that follow it leave at
 * sync_scope_gone_end, which the page calls after its last entry. */
int sync_scope_gone(struct sync *s, const char *collection, const char *id,
                    struct sb_err *err);
/* The followers of the page's gone records leave (if apply; inside the
 * page's transaction), and the page's list is emptied (always). */
int sync_scope_gone_end(struct sync *s, bool apply, struct sb_err *err);

/* A merged change of (collection, id): it is held again, unmark it. */
int sync_scope_held(struct sync *s, const char *collection, const char *id,
                    struct sb_err *err);

/* Makes the out_of_scope refusals pending again if a pull touched one
 * (pulled: s->lift.touched) or the scope grew; true if there were any. */
bool sync_scope_lift(struct sync *s, bool pulled);

/* --- sync_names.c: who wrote a conflict's values --- */

/* A merged state r: the replicas of its competing entries, unless known,
 * are asked for by name at the cycle's end. */
void sync_names_note(struct sync *s, const struct record *r);
/* Asks the hub for the names noted, PROTO_NAMES_MAX at a time (then ends
 * the cycle again); false if there are none to ask. */
bool sync_names_next(struct sync *s);
/* Forgets the names noted. */
void sync_names_forget(struct sync *s);

/* --- sync_lift.c: which pulled changes may lift a refusal --- */

/* A pulled change of (collection, id) was merged: sets s->lift.touched
 * if an out_of_scope refusal is that record or follows it. */
void sync_lift_note(struct sync *s, const char *collection, const char *id);
/* Drops the watch list (refusals changed: it is read again when needed). */
void sync_lift_forget(struct sync *s);

/* --- sync_catchup.c: per-part cursors (daemon/sync/DESIGN.md) --- */

/*
 * The scope went from was to now (inside the page's transaction): parts
 * gained get a catch-up from 0 up to the cursor; parts lost leave the
 * catch-up. *reset when the scope became all (the cursor goes to 0);
 * *gained when now covers a part was did not.
 */
int sync_catchup_scope(struct sync *s, const struct scope_parts *was,
                       const struct scope_parts *now, bool *reset, bool *gained,
                       struct sb_err *err);

/* Ends a catch-up (inside a transaction): a re-sync pulls everything. */
int sync_catchup_drop(struct sync *s, struct sb_err *err);

/* True if parts gained wait for their catch-up (or the queue does not
 * read: a cycle then says why). */
bool sync_catchup_pending(struct sync *s);

/* Asks the next catch-up page if a catch-up is pending (true: asked, or
 * the queue does not read and the attempt failed). */
bool sync_catchup_next(struct sync *s);

/*
 * Merges page p (asked from since) into the store and moves the cursor,
 * in one transaction; *reset: pull again from the cursor instead (the
 * page was not merged), *changed: the records it changed. On failure
 * nothing of it is kept (tests/unit/test_sync_pull_oom.c).
 */
int sync_pull_apply(struct sync *s, const struct changes_page *p,
                    uint64_t since, bool *reset, size_t *changed,
                    struct sb_err *err);

/* Merges one change of a page (sync_pull.c's, inside its transaction). */
int sync_pull_merge(struct sync *s, const struct change *c, size_t *changed,
                    struct sb_err *err);

/* --- sync_resync.c: re-sync after a purge (daemon/sync/DESIGN.md,
 * "Purge") --- */

/* True if page p says this device's cursor is behind the hub's purge
 * horizon and it is not re-syncing already. */
bool sync_resync_due(struct sync *s, const struct changes_page *p);

/*
 * Before a page's changes are merged (inside its transaction): when the
 * re-sync is due, every row but the pending ones leaves the store, the
 * cursor goes back to 0 and the re-sync is marked, once (a crash after it
 * resumes from the cursor, with no second wipe); *reset is set and the
 * page is not merged.
 */
int sync_resync_begin(struct sync *s, const struct changes_page *p, bool *reset,
                      struct sb_err *err);

/* After a merged page (same transaction): the last page (more false) ends
 * a re-sync. */
int sync_resync_end(struct sync *s, const struct changes_page *p,
                    struct sb_err *err);

/* --- sync_rebase.c: a hub put back from a copy (daemon/sync/DESIGN.md,
 * "A hub put back from a copy") --- */

/* Reads the generation last seen and a rebase under way (sync_new). */
int sync_rebase_load(struct sync *s, struct sb_err *err);

/* Sets key to value (NULL: removes it) in a relaxed transaction of its
 * own (sync.c): engine state whose loss at a power cut costs a repeat. */
int sync_meta_put(struct sync *s, const char *key, const char *value,
                  struct sb_err *err);

/* sync_chain.c: the push chain (PROTOCOL.md, "Push chain") */
/* Reads the store's chain into s->chain. */
int sync_chain_load(struct sync *s, struct sb_err *err);
/* At a sync's start: once a push of the last was acknowledged, the hub
 * is at its NEXT, which this sync's pushes carry as PREV. */
void sync_chain_cycle(struct sync *s);
/* Before a sync's first push leaves: draws its NEXT, kept durably. */
int sync_chain_ready(struct sync *s, struct sb_err *err);
/* The header's value for a push (NULL: no chain drawn). */
const char *sync_chain_header(struct sync *s);
/* A push carrying the chain ended: r says whether it may have reached
 * the hub. */
void sync_chain_note(struct sync *s, const struct http_reply *r);
/* The sync failed: a NEXT it drew that no push can have taken to the hub
 * is dropped, so a copy of the store made before the next sync does not
 * hold it (best effort). */
void sync_chain_unsent(struct sync *s);
/* In the transaction that applies a push's answers: the hub is at NEXT
 * (s->chain_acked is set by the caller once that commits). */
int sync_chain_acked(struct sync *s, struct sb_err *err);

/*
 * Called first by every reply's handler: true if reply r states another
 * generation of the hub's store than the one last seen, or is the hub's
 * cursor_ahead refusal (a copy put back without restored); the rebase is
 * then done (every row pending, cursor 0) and the cycle starts again, off
 * this callback (of_cycle: r is the running cycle's, which stops here;
 * else the long-poll's: a running cycle is followed by another). The
 * caller returns at once. The first generation seen is only kept.
 */
bool sync_rebase_due(struct sync *s, const struct http_reply *r, bool of_cycle);

/* True if a refusal with code leaves the row pending, not refused: a
 * forged_* refusal while a rebase is under way. */
bool sync_rebase_waits(struct sync *s, const char *code);

/* At a cycle's end: a rebase ends once a cycle left no row waiting. */
void sync_rebase_cycle_end(struct sync *s);

#endif
