/*
 * hub_store.h - the hub's storage, behind a narrow interface.
 *
 * Everything the hub keeps goes through these functions. They are split
 * the way libcurl splits a protocol from its connection: the policy (what
 * a push may do: hub_push.c; devices: hub_store_devices.c; schema: hub_store.c)
 * is written once, and a backend is a table of storage primitives (struct
 * hub_store_ops, below) chosen at run time. hub_store_sqlite.c is the
 * embedded default, on top of common/store.h; a backend for an office that
 * outgrows one machine (several stateless hubs on PostgreSQL) is one new
 * file filling the table.
 *
 * The hub holds:
 *   - records and their change feed: every stored change of a record gives
 *     it the next sequence number; the feed lists each record once, at the
 *     number of its latest change. A backend must never let a reader's
 *     cursor pass a change that commits later with a lower number (on
 *     SQLite, writers are serialised, so numbers commit in order);
 *   - devices: name, the SHA-256 of the token (never the token), the
 *     replica id the token is bound to (on first use), revoked or not.
 *
 * A struct hub_store is one connection: callers serialise its use (one
 * thread at a time). Functions return 0 or an SB_E code with err filled.
 */
#ifndef SAMBANG_HUB_STORE_H
#define SAMBANG_HUB_STORE_H

#include "compat.h"

#include "err.h"
#include "proto.h"
#include "record.h"
#include "scope.h"
#include "store.h"

struct hub_store;
struct uv_loop_s;

/* Device names: 1..64 of [A-Za-z0-9_.-], starting with a letter or digit. */
#define HUB_DEVICE_NAME_MAX PROTO_DEVICE_NAME_MAX
/* SHA-256 in lowercase hex. */
#define HUB_HASH_HEX_LEN 64

/* Creates a new hub store with the given schema text; SB_EEXISTS if any. */
int hub_store_create(const char *path, const char *schema_text,
                     struct hub_store **out, struct sb_err *err);

/* Opens an existing hub store (errors as store_open; SB_ESCHEMA if its
 * schema does not parse). */
int hub_store_open(const char *path, struct hub_store **out,
                   struct sb_err *err);

/*
 * Opens a second connection to the hub store at path for reads (change
 * feed, devices) beside the writer's. Device binding, the one write a
 * read can lead to, is refused there with SB_EBUSY ("retry on the
 * writer's connection").
 */
int hub_store_open_reader(const char *path, struct hub_store **out,
                          struct sb_err *err);

/* The path the store was opened with. */
const char *hub_store_path(const struct hub_store *hs);

/* Tunes hs as the connection of `serve`'s store writer, which merges every
 * push (on SQLite: a larger page cache, store_cache_kib). */
void hub_store_serve_writer(struct hub_store *hs);

/* The hub is idle: hs gives back the memory its cache holds (the caller
 * holds hs's lock). */
void hub_store_idle(struct hub_store *hs);

/* Closes the store (NULL is fine). */
void hub_store_close(struct hub_store *hs);

/* The hub's own replica id (never bound to a device). */
const char *hub_store_replica(const struct hub_store *hs);

/* The hub's schema as stored (owned by hs). */
const char *hub_store_schema_text(const struct hub_store *hs);

/* The hub's schema, parsed at open (owned by hs). */
const struct schema *hub_store_schema(const struct hub_store *hs);

/* What a push did, for the caller's metrics. */
struct hub_push_stats {
  uint64_t stored;    /* records whose state changed (new seq) */
  uint64_t unchanged; /* records the hub already held (no new seq) */
  uint64_t conflicts; /* records that became conflicted */
  uint64_t refused_schema, refused_too_large, refused_future;
  uint64_t refused_forged_dot;   /* vv entry of another replica, unseen */
  uint64_t refused_forged_entry; /* another's entry changed or dropped */
  uint64_t refused_dot_reused;   /* a held dot with another value or ts */
  uint64_t refused_out_of_scope; /* outside the pushing device's scope */
  uint64_t refused_purged;       /* an id the hub purged (hub_purge.h) */
  uint64_t joined; /* stored with pushes held aside (hub_push_held.c) */
};

/*
 * Merges a batch pushed by replica `pusher` in one transaction, in request
 * order, and fills reply (released first) with one result per record and
 * the newest seq. Per record (daemon/hub/DESIGN.md, "Push"): history of
 * another replica the hub never saw refuses it ("forged_dot"); an entry of
 * the hub's changed, or dropped without a write of the pusher's that
 * replaced it ("forged_entry"); a dot the hub holds pushed with another
 * value or timestamp ("dot_reused"); a timestamp above max_ts
 * ("future_timestamp"); a state or merged state encoded over
 * SB_RECORD_MAX ("too_large"); a value the pusher writes that breaks the
 * hub's schema for the field ("schema"). The others are merged and stored
 * (a record the hub already holds unchanged keeps its seq). Store failures
 * (SB_EBUSY, SB_EFULL, ...) apply nothing. The rules are hub_push.c's, the
 * same on every backend.
 */
int hub_store_push(struct hub_store *hs, const char *pusher, uint64_t max_ts,
                   const struct record *recs, size_t n,
                   struct push_reply *reply, struct hub_push_stats *stats,
                   struct sb_err *err);

/* One push request in a group (hub_store_push_group). A batch whose
 * device is named (and found) is held to that device's scope: a record
 * outside it is refused ("out_of_scope", hub_scope_may_push). */
struct hub_push_batch {
  const char *pusher; /* in */
  /* in: the pushing device's name, for the log ("" if unknown) */
  char device[HUB_DEVICE_NAME_MAX + 1];
  uint64_t max_ts;           /* in */
  const struct record *recs; /* in */
  size_t n;                  /* in */
  struct push_reply reply;   /* out (push_reply_init'd by the caller) */
  struct hub_push_stats stats;
  int rc; /* out: as hub_store_push's return */
  struct sb_err err;
  /* in, optional (NULL: worked out by the writer), made off the store
   * writer by hub_push_prepare (hub_push.h), freed by
   * hub_push_prepared_release: sent[i] is record_encode(&recs[i]);
   * values_ok[i] nonzero if every value of recs[i] passes the schema. */
  char **sent;
  unsigned char *values_ok;
  /* in: the push's chain (hub_push_chain.h), if it carries one */
  bool has_chain;
  struct proto_chain chain;
  /* out: refused whole, nothing merged: the chain is another store's */
  bool copied;
  /* out: the hub's chain was behind the device's, whose cursor is past
   * the feed: this store went back (taken, and logged) */
  bool chain_behind;
};

/*
 * hub_store_push for several requests at once, committed together (one
 * transaction, one sync to disk) where possible: each batch gets the
 * outcome hub_store_push would have given it run alone after the batches
 * before it. If the group cannot commit as one, every batch is run in its
 * own transaction. Returns 0; the outcomes are in b[i].rc.
 */
int hub_store_push_group(struct hub_store *hs, struct hub_push_batch *const *b,
                         size_t nb);

/* One page of the change feed. */
struct hub_page {
  uint64_t *seqs;
  char **states; /* canonical record states, as stored (the compact form:
                    record_encode_compact; rows of older hubs in the full
                    form) */
  bool *gone;    /* states[i] is a gone entry (changes_gone_encode) */
  size_t n;
  size_t bytes;      /* of states, together */
  bool more;         /* further changes are ready */
  uint64_t next;     /* cursor for the next request */
  uint64_t last_seq; /* the newest seq just before the page was read */
};

void hub_store_page_init(struct hub_page *p);
/* True if a state of len bytes would take p past PROTO_PAGE_BYTES (never
 * for the first: one record always fits a reply). */
bool hub_store_page_full(const struct hub_page *p, size_t len);
void hub_store_page_release(struct hub_page *p);
/* Rewrites p's states that are in the compact form in the full one
 * (hub_page_form.c); 0, SB_ENOMEM, or the error of a state that does not
 * read. */
int hub_page_full_form(struct hub_page *p, struct sb_err *err);

/*
 * Reads at most limit changes with seq > since, in seq order, into page
 * (released first). next is the last seq looked at, or since if none.
 * holder (NULL: none) is the reader's replica id when it holds every
 * state it pushed (skip_own): an entry whose state is exactly what holder
 * pushed (its echo) is passed over, not sent (daemon/hub/DESIGN.md, "No
 * echo"); then up to HUB_ECHO_SCAN_MAX entries are looked at per page.
 */
int hub_store_changes(struct hub_store *hs, uint64_t since, unsigned limit,
                      const char *holder, struct hub_page *page,
                      struct sb_err *err);

/* Feed entries a page skipping echoes looks at, at most. */
#define HUB_ECHO_SCAN_MAX 20000

/* Raw feed entries a scoped page looks at, at most (its next cursor
 * passes them even when none is in scope). */
#define HUB_SCOPE_SCAN_MAX 5000

/* feed_parts read fewer entries than asked, at its byte bound or at want
 * (> 0: no error, and not a walk's own stop code, 1). */
#define HUB_FEED_CUT 2

/*
 * hub_store_changes for a device of scope dev (NULL or all: every
 * change): only records in its scope, and a gone entry for each record
 * that left it since `since` (daemon/hub/DESIGN.md, "Scopes"). next
 * passes the records skipped, so none is looked at twice.
 */
int hub_store_changes_scoped(struct hub_store *hs, uint64_t since,
                             unsigned limit, const struct scope_parts *dev,
                             const char *holder, struct hub_page *page,
                             struct sb_err *err);

/*
 * Per-part cursors: a catch-up page for parts a device's scope just gained
 * (parts: hub_scope_parts_within's, never wider than the device's scope):
 * only records in those parts, no gone entries. An empty parts reads
 * nothing (an empty page, next = since). holder: as in hub_store_changes.
 */
int hub_store_changes_parts(struct hub_store *hs, uint64_t since,
                            unsigned limit, const struct scope_parts *parts,
                            const char *holder, struct hub_page *page,
                            struct sb_err *err);

/* The newest seq (0 if empty); also a cheap "is the store usable" probe. */
int hub_store_last_seq(struct hub_store *hs, uint64_t *seq, struct sb_err *err);

/*
 * Checks the store (store.h's store_check: the corruption mark, a quick
 * check stopped after budget_ms, or a full integrity check that clears
 * the mark when it finds nothing): 0 sound, SB_ECORRUPT (each problem to
 * fn, may be NULL) and the store refuses writes. *state may be NULL.
 */
int hub_store_check(struct hub_store *hs, enum store_check_level level,
                    int budget_ms, store_problem_fn fn, void *ctx,
                    enum store_check_state *state, struct sb_err *err);

/* What hub_store_compact did (`sambang-hub compact`). */
struct hub_compaction {
  uint64_t bytes_before, bytes_after; /* the records' storage */
  bool log_cleared;   /* the database's log holds no older row versions */
  char log_note[400]; /* why it may, when !log_cleared */
};

/*
 * Rewrites the records' storage so that no earlier version of a row (an
 * erased value) stays in the store's files, and has the database drop its
 * log of them where it can (daemon/hub/DESIGN.md, "Erasure"); out says
 * what was done. Outside a transaction; serving hubs go on (their writes
 * wait for the rewrite).
 */
int hub_store_compact(struct hub_store *hs, struct hub_compaction *out,
                      struct sb_err *err);

/*
 * What would keep erased values readable after a compact, without doing
 * anything (serve logs it at start): out->log_cleared false and the
 * settings or rights missing in out->log_note; true on a backend where
 * erasure is immediate.
 */
int hub_store_erasure_check(struct hub_store *hs, struct hub_compaction *out,
                            struct sb_err *err);

/* Calls fn for every record in (collection, id) order (fn's rc stops it). */
int hub_store_each(struct hub_store *hs, store_record_fn fn, void *ctx,
                   struct sb_err *err);

struct hub_device {
  char name[HUB_DEVICE_NAME_MAX + 1];
  char token_hash[HUB_HASH_HEX_LEN + 1];
  char replica[SB_REPLICA_MAX + 1]; /* "" until the first use */
  bool revoked;
  uint64_t created_ms;
  /* scope_text's text of its scope parts: "all" or "Pamulang,Setu". A
   * device stored before scopes existed reads as "all". */
  char scope[SCOPE_TEXT_MAX + 1];
};

/* True if s is a well-formed device name. */
bool hub_store_device_name_valid(const char *s);

/*
 * Adds a device of scope `scope` (scope_parse's text, checked against the
 * hub's schema); SB_EEXISTS if the token hash is taken or the name is
 * taken by a device not revoked. A revoked device's name is enrolled
 * again: new token, unbound, its new scope (the old token stays refused).
 */
int hub_store_device_add(struct hub_store *hs, const char *name,
                         const char *token_hash, uint64_t created_ms,
                         const char *scope, struct sb_err *err);

/* Device name into out; SB_ENOTFOUND if unknown. */
int hub_store_device_get(struct hub_store *hs, const char *name,
                         struct hub_device *out, struct sb_err *err);

/* Sets device name's scope (checked as in add); SB_ENOTFOUND if unknown. */
int hub_store_device_set_scope(struct hub_store *hs, const char *name,
                               const char *scope, struct sb_err *err);

/* Gives device name the token that hashes to token_hash; its old token is
 * refused from then on. SB_ENOTFOUND if unknown, SB_EEXISTS if the token
 * is taken, SB_EINVAL for a revoked device (enrol it again instead). */
int hub_store_device_rotate(struct hub_store *hs, const char *name,
                            const char *token_hash, struct sb_err *err);

/* Calls fn for every device, in name order (fn's rc stops it). */
typedef int (*hub_device_fn)(const struct hub_device *d, void *ctx);
int hub_store_device_list(struct hub_store *hs, hub_device_fn fn, void *ctx,
                          struct sb_err *err);

/* Marks a device revoked (idempotent); SB_ENOTFOUND if unknown. */
int hub_store_device_revoke(struct hub_store *hs, const char *name,
                            struct sb_err *err);

/* The device whose token hashes to token_hash; SB_ENOTFOUND if none. */
int hub_store_device_by_token(struct hub_store *hs, const char *token_hash,
                              struct hub_device *out, struct sb_err *err);

/*
 * Binds device name to replica (its first use), unless it is bound
 * already, the replica id is the hub's own or is bound to another device:
 * then SB_ECONFLICT with a message saying which. Binding to the replica
 * it already has is a no-op.
 */
int hub_store_device_bind(struct hub_store *hs, const char *name,
                          const char *replica, struct sb_err *err);

/* --- office users and sessions (daemon/hub/OFFICE.md) -------------------
 *
 * People at the office log in to the dashboard by name and password;
 * they are not devices and hold no token. A password is kept only as
 * libsodium's Argon2id string (crypto_pwhash_str). A session is a random
 * cookie value of which the store keeps only the SHA-256; it is valid
 * while its user exists, was not changed after it began (a new password
 * or role ends older sessions), and it is not past its idle or absolute
 * expiry (office_auth.c decides).
 */

/* User names: 1..64 of [A-Za-z0-9_.-], starting with a letter or digit
 * (as device names). */
#define HUB_USER_NAME_MAX 64
/* crypto_pwhash_STRBYTES (128) */
#define HUB_PWHASH_MAX 128

enum hub_role { HUB_ROLE_VIEWER, HUB_ROLE_REVIEWER, HUB_ROLE_ADMIN };

struct hub_user {
  char name[HUB_USER_NAME_MAX + 1];
  enum hub_role role;
  char pwhash[HUB_PWHASH_MAX + 1];
  uint64_t created_ms;
  uint64_t changed_ms; /* password or role last set: older sessions end */
};

struct hub_session {
  char id_hash[HUB_HASH_HEX_LEN + 1]; /* SHA-256 of the cookie value */
  char user[HUB_USER_NAME_MAX + 1];
  char csrf[HUB_HASH_HEX_LEN + 1]; /* sent back as X-CSRF-Token */
  uint64_t created_ms, used_ms;
};
typedef int (*hub_session_fn)(const struct hub_session *s, void *ctx);

/* "viewer", "reviewer", "admin"; parse gives -1 for anything else. */
const char *hub_role_name(enum hub_role role);
int hub_role_parse(const char *s);

/* Adds (create) or replaces (!create) a user: SB_EEXISTS / SB_ENOTFOUND. */
int hub_store_user_put(struct hub_store *hs, const struct hub_user *u,
                       bool create, struct sb_err *err);
/* The user called name; SB_ENOTFOUND if none. */
int hub_store_user_get(struct hub_store *hs, const char *name,
                       struct hub_user *out, struct sb_err *err);
/* Calls fn for every user in name order (fn's rc stops it). */
typedef int (*hub_user_fn)(const struct hub_user *u, void *ctx);
int hub_store_user_list(struct hub_store *hs, hub_user_fn fn, void *ctx,
                        struct sb_err *err);
/* Removes a user; SB_ENOTFOUND if unknown (their sessions then fail). */
int hub_store_user_remove(struct hub_store *hs, const char *name,
                          struct sb_err *err);
/* Saves (adds or replaces) a session. */
int hub_store_session_put(struct hub_store *hs, const struct hub_session *s,
                          struct sb_err *err);
/* The session whose cookie hashes to id_hash; SB_ENOTFOUND if none. */
int hub_store_session_get(struct hub_store *hs, const char *id_hash,
                          struct hub_session *out, struct sb_err *err);
/* Ends a session (no error if there is none). */
int hub_store_session_remove(struct hub_store *hs, const char *id_hash,
                             struct sb_err *err);
/* Removes the sessions last used before used_before or made before
 * made_before (expired: they would be refused anyway); *removed: how
 * many. SB_EINVAL on a backend without office users. */
int hub_store_session_sweep(struct hub_store *hs, uint64_t used_before,
                            uint64_t made_before, uint64_t *removed,
                            struct sb_err *err);
/* What the hub saw of a device lately (0 / "": never, unknown). */
#define HUB_APP_MAX 80
struct hub_device_activity {
  uint64_t seen_ms;          /* last authenticated request */
  uint64_t push_ms;          /* last push answered 200 */
  uint64_t pull_ms;          /* last change feed request */
  char app[HUB_APP_MAX + 1]; /* its User-Agent (printable ASCII) */
  /* what it holds that is not at the hub, as it last said
   * (PROTO_MARKS_HEADER), and when (0: never) */
  uint64_t marks_ms;
  uint64_t pending, refused;
  /* its last push refused as another store's (copied_store; 0: never) */
  uint64_t copied_ms;
};
/* Stores device name's activity as a (each is its own transaction). */
int hub_store_device_activity_set(struct hub_store *hs, const char *name,
                                  const struct hub_device_activity *a,
                                  struct sb_err *err);
/* Device name's stored activity (all zero if none, or the backend keeps
 * none). */
int hub_store_device_activity_get(struct hub_store *hs, const char *name,
                                  struct hub_device_activity *out,
                                  struct sb_err *err);

/*
 * A write of the hub's own replica (a reviewer's resolution): sets fields
 * (a JSON object, checked against the schema first) on (collection, id)
 * through the same read-merge-write as every writer (update_apply,
 * UPDATE_PUT with the hub's replica id and clock) in one transaction,
 * appending the new state to the feed. SB_ECONFLICT if the record's seq
 * is no longer expect_seq (changed since the reviewer loaded it);
 * SB_ENOTFOUND if there is no such record. *seq gets the new seq.
 */
int hub_store_hub_put(struct hub_store *hs, const char *collection,
                      const char *id, cJSON *fields, uint64_t expect_seq,
                      uint64_t *seq, struct sb_err *err);

/* The stored state of (collection, id) into r (released first) and its
 * seq; SB_ENOTFOUND if the hub holds none. */
int hub_store_get(struct hub_store *hs, const char *collection, const char *id,
                  struct record *r, uint64_t *seq, struct sb_err *err);

/* --- backends ---------------------------------------------------------- */

/*
 * A backend's storage primitives. `be` is the backend's own connection
 * (what create or open made). Every function returns 0 or an SB_E code
 * with err filled, and holds no policy: no schema, no merge, no checks of
 * what a device may push (that is hub_push.c, shared by every backend).
 * Writes of records happen between begin and commit; device functions
 * open their own transaction.
 */
struct hub_store_ops {
  const char *name; /* "sqlite", ... */
  /* Creates a store (SB_EEXISTS if there is one) holding schema_text. */
  int (*create)(const char *path, const char *schema_text, void **be,
                struct sb_err *err);
  /* Opens an existing store. */
  int (*open)(const char *path, void **be, struct sb_err *err);
  void (*close)(void *be);
  /* Optional: tunes the connection `serve`'s store writer uses
   * (hub_store_serve_writer), and gives back what its cache holds once
   * the hub is idle (hub_store_idle). */
  void (*serve_writer)(void *be);
  void (*idle)(void *be);
  /* The hub's replica id and schema text (owned by the backend). */
  const char *(*replica)(const void *be);
  const char *(*schema_text)(const void *be);
  /* A new random replica id for the hub, inside a transaction (a store
   * put back from a copy: hub_restore.h). */
  int (*replica_renew)(void *be, struct sb_err *err);

  /* A write transaction: SB_EBUSY if the store stays taken. */
  int (*begin)(void *be, struct sb_err *err);
  /* On failure the transaction is rolled back. */
  int (*commit)(void *be, struct sb_err *err);
  /* Undoes everything since begin (none open: nothing). */
  void (*rollback)(void *be);

  /*
   * The state text of (collection, id) (canonical, record_encode's;
   * *text malloc'd, the caller frees it) and its seq. SB_ENOTFOUND if the
   * hub holds none (sb_err_not_found: English, for logs).
   */
  int (*load)(void *be, const char *collection, const char *id, char **text,
              size_t *len, uint64_t *seq, struct sb_err *err);
  /*
   * Stores r (text[0..len) is record_encode(r)) as its record's state and
   * appends it to the feed at the next seq, returned in *seq; newest_ts is
   * the newest timestamp it adds, for the hub's clock. echo (NULL: none)
   * is kept with the entry: the replica whose push was exactly this state.
   * part is its scope part as part_set takes it, kept with the row (NULL:
   * several, all or not known; part_set may follow).
   */
  int (*save)(void *be, const struct record *r, const char *text, size_t len,
              uint64_t newest_ts, const char *echo, const char *part,
              uint64_t *seq, struct sb_err *err);
  /*
   * Calls fn for at most limit feed entries with seq > since, in seq
   * order (text valid during the call); fn's non-zero return stops the
   * walk and is returned. An entry whose echo is holder (not NULL) comes
   * with text NULL and len 0. want (0: no bound) tells a backend that
   * reads ahead (PostgreSQL's result sets) where fn will stop: it may
   * leave out what comes after the want-th entry with text, and after the
   * entry whose text takes the texts before it past PROTO_PAGE_BYTES.
   */
  int (*feed)(void *be, uint64_t since, unsigned limit, unsigned want,
              const char *holder, store_text_fn fn, void *ctx,
              struct sb_err *err);
  /* The newest seq (0 if none). */
  int (*last_seq)(void *be, uint64_t *seq, struct sb_err *err);
  /* Damage: as hub_store_check (a backend without a check of its own
   * answers 0 at every level). */
  int (*check)(void *be, enum store_check_level level, int budget_ms,
               store_problem_fn fn, void *ctx, enum store_check_state *state,
               struct sb_err *err);
  /* Calls fn for every record in (collection, id) order. */
  int (*each)(void *be, store_record_fn fn, void *ctx, struct sb_err *err);
  /* As hub_store_compact. */
  int (*compact)(void *be, struct hub_compaction *out, struct sb_err *err);
  /* As hub_store_erasure_check (NULL: nothing keeps erased values). */
  int (*erasure_check)(void *be, struct hub_compaction *out,
                       struct sb_err *err);

  /* Devices (their names and hashes checked by the caller): as the
   * hub_store_device_* functions above. */
  int (*device_add)(void *be, const struct hub_device *d, struct sb_err *err);
  int (*device_list)(void *be, hub_device_fn fn, void *ctx, struct sb_err *err);
  int (*device_revoke)(void *be, const char *name, struct sb_err *err);
  int (*device_by_token)(void *be, const char *token_hash,
                         struct hub_device *out, struct sb_err *err);
  int (*device_bind)(void *be, const char *name, const char *replica,
                     struct sb_err *err);

  /* Settings: get gives a malloc'd value or SB_ENOTFOUND. */
  int (*meta_get)(void *be, const char *key, char **value, struct sb_err *err);
  int (*meta_set)(void *be, const char *key, const char *value,
                  struct sb_err *err);

  /* office users and sessions (may be NULL in a backend that lacks them:
   * the hub then refuses the office's requests). As the hub_store_user_*,
   * hub_store_session_* and hub_store_device_activity_* functions above; each
   * is its own transaction. */
  int (*user_put)(void *be, const struct hub_user *u, bool create,
                  struct sb_err *err);
  int (*user_get)(void *be, const char *name, struct hub_user *out,
                  struct sb_err *err);
  int (*user_list)(void *be, hub_user_fn fn, void *ctx, struct sb_err *err);
  int (*user_remove)(void *be, const char *name, struct sb_err *err);
  int (*session_put)(void *be, const struct hub_session *s, struct sb_err *err);
  int (*session_get)(void *be, const char *id_hash, struct hub_session *out,
                     struct sb_err *err);
  int (*session_remove)(void *be, const char *id_hash, struct sb_err *err);
  int (*session_sweep)(void *be, uint64_t used_before, uint64_t made_before,
                       uint64_t *removed, struct sb_err *err);
  /* Every live session (migrate copies them; NULL: not kept apart). */
  int (*session_each)(void *be, hub_session_fn fn, void *ctx,
                      struct sb_err *err);
  int (*device_activity_set)(void *be, const char *name,
                             const struct hub_device_activity *a,
                             struct sb_err *err);
  int (*device_activity_get)(void *be, const char *name,
                             struct hub_device_activity *out,
                             struct sb_err *err);
  /* A fresh timestamp of the hub's clock for its own write (inside a
   * transaction). */
  uint64_t (*tick)(void *be);
  /* --- issue 13: several hubs on one database (all optional, NULL on
   * SQLite, where this hub is the only writer) --------------------------- */
  /* Calls on_change(ctx, seq) on loop's thread when another hub (or this
   * one) commits changes up to seq; seq 0: changes may have been missed. */
  int (*watch)(void *be, struct uv_loop_s *loop,
               void (*on_change)(void *ctx, uint64_t seq), void *ctx,
               struct sb_err *err);
  /* Stops watching: 1 if closed(ctx) will be called once its handles are
   * closed, 0 if nothing was open. */
  int (*unwatch)(void *be, void (*closed)(void *ctx), void *ctx);
  /* True if the last failure may pass when the transaction runs again
   * (serialization failure, deadlock, a connection that was reset). */
  bool (*transient)(void *be);
  /* Copies in, keeping numbers (migrate): a record state at its seq
   * (text NULL: only moves the feed's newest seq up to seq), a device as
   * it is; between begin and commit. */
  int (*import_record)(void *be, const char *collection, const char *id,
                       const char *text, uint64_t seq, struct sb_err *err);
  int (*import_device)(void *be, const struct hub_device *d,
                       struct sb_err *err);
  /* --- scopes (daemon/hub/DESIGN.md, "Scopes") --- */
  /* Device name into out; SB_ENOTFOUND if unknown. */
  int (*device_get)(void *be, const char *name, struct hub_device *out,
                    struct sb_err *err);
  /* Stores d (an existing device, same name) as it is, in a transaction
   * of its own; old_token_hash (NULL: unchanged) is the token hash d
   * replaces, refused from then on. SB_EEXISTS if d's token is taken. */
  int (*device_update)(void *be, const struct hub_device *d,
                       const char *old_token_hash, struct sb_err *err);
  /* Calls fn for every record of collection, in id order. */
  int (*each_in)(void *be, const char *collection, store_record_fn fn,
                 void *ctx, struct sb_err *err);
  /* --- purge (daemon/hub/DESIGN.md, "Purge"; NULL: the backend cannot
   * purge, `sambang-hub purge` is refused) --- */
  /* Removes (collection, id)'s row and feed entry, between begin and
   * commit (absent: nothing). */
  int (*purge)(void *be, const char *collection, const char *id,
               struct sb_err *err);
  /* --- scoped reads (daemon/hub/DESIGN.md, "Scoped reads"; all three
   * NULL: a scoped page walks the whole feed) --- */
  /* Sets (collection, id)'s stored scope part, between begin and commit,
   * after its save: its one part, "" for none, NULL for several, all or
   * not known (every scoped read looks at it). save sets it (NULL unless
   * it was given). */
  int (*part_set)(void *be, const char *collection, const char *id,
                  const char *part, struct sb_err *err);
  /* Notes, between begin and commit, that (collection, id) left scope
   * parts at seq (kept across saves). */
  int (*moved_set)(void *be, const char *collection, const char *id,
                   uint64_t seq, struct sb_err *err);
  /* As feed, for only the entries whose part is NULL or one of parts (not
   * all), and, if moved, those noted moved after since. want (> 0): the
   * entries the page can take; a backend whose result arrives whole may
   * read only that many (nearly all of them are the device's). May stop
   * before limit to bound what it reads at once (want entries, or
   * PROTO_PAGE_BYTES of states): then, after fn took every entry it
   * read, HUB_FEED_CUT (more may follow the last). */
  int (*feed_parts)(void *be, uint64_t since, unsigned limit, unsigned want,
                    const struct scope_parts *parts, bool moved,
                    const char *holder, store_part_text_fn fn, void *ctx,
                    struct sb_err *err);
  /* (collection, id)'s stored part as part_set took it into out (size
   * bytes): *known false if it is NULL or does not fit. SB_ENOTFOUND if
   * there is no such record. NULL: scope lookups decode the record. */
  int (*part_get)(void *be, const char *collection, const char *id, char *out,
                  size_t size, bool *known, struct sb_err *err);
  /* --- who follows whom (common/store.h, store_ref_add; both NULL: a
   * scope change reads the whole follower collection) --- */
  /* Notes, between begin and commit, that collection/id follows ref. */
  int (*ref_add)(void *be, const char *ref, const char *collection,
                 const char *id, struct sb_err *err);
  /* fn(id, ctx) for each record of collection noted as following ref (a
   * superset: the caller checks each); SB_ENOTFOUND while the notes are
   * not complete (meta STORE_META_REFS_COMPLETE not "1": until
   * hub_scope_refs_fill has run). */
  int (*refs_each)(void *be, const char *ref, const char *collection,
                   int (*fn)(const char *id, void *ctx), void *ctx,
                   struct sb_err *err);

  /* --- round trips (NULL: nothing to gain, as on SQLite) --- */
  /* A hint between begin and commit: the records the transaction is
   * about to load (keys[2i], keys[2i+1]: collection, id; n pairs). A
   * backend behind a network may read them, and their purge ledger
   * entries, at once and answer load and meta_get from what it read. */
  int (*prefetch)(void *be, const char *const *keys, size_t n,
                  struct sb_err *err);
  /* A hint after prefetch: records (keys as prefetch's) of collections
   * others follow, whose followers refs_each may be asked for in the
   * transaction (a new record's save is a move). A backend behind a
   * network may read the notes of those it holds none of at once. */
  int (*refs_prefetch)(void *be, const char *const *keys, size_t n,
                       struct sb_err *err);
  /* Calls fn for every setting whose key starts with prefix, in key
   * order (migrate copies the purge meta with it; NULL: none kept). */
  int (*meta_each)(void *be, const char *prefix, store_meta_fn fn, void *ctx,
                   struct sb_err *err);
  /* Removes a setting, nothing if absent (NULL: the hub holds no pushes
   * aside, hub_push_held.c). */
  int (*meta_delete)(void *be, const char *key, struct sb_err *err);
};

/* The embedded SQLite backend (hub_store_sqlite.c). */
extern const struct hub_store_ops hub_store_sqlite_ops;
/* PostgreSQL (hub_store_pg.c), for a path postgresql:// or postgres://. */
extern const struct hub_store_ops hub_store_pg_ops;

/* ops->meta_get of key into *value (the caller frees it), or *value NULL
 * and 0 if the store has no such setting: an absent setting is no
 * failure, and err (may be NULL) is then left as it was. */
int hub_store_meta_maybe(const struct hub_store_ops *ops, void *be,
                         const char *key, char **value, struct sb_err *err);

/* True if path names a PostgreSQL database (a libpq URI). */
bool hub_store_is_pg(const char *path);

/* Room for hub_store_shown's result. */
#define HUB_STORE_SHOWN_MAX 512

/*
 * path as logs and messages may show it: a PostgreSQL URI's password (in
 * its user info, or a password= parameter) as "***"; a SQLite path as it
 * is. Cut to out[size].
 */
void hub_store_shown(const char *path, char *out, size_t size);

/*
 * Wakes on_change(ctx, seq) on loop's thread when changes commit on any
 * hub sharing the store (hub_store_ops.watch); 0 and nothing to do on a
 * backend with one writer.
 */
int hub_store_watch(struct hub_store *hs, struct uv_loop_s *loop,
                    void (*on_change)(void *ctx, uint64_t seq), void *ctx,
                    struct sb_err *err);

/* Stops hub_store_watch: 1 if closed(ctx) will be called, 0 if not. */
int hub_store_unwatch(struct hub_store *hs, void (*closed)(void *ctx),
                      void *ctx);

/*
 * Copies every record (at its feed number, so devices' cursors stay
 * valid), every device (token hash, binding, revocation, scope, last
 * seen), every record's scope moves, every office user and the purge
 * meta (device cursors, horizon, ledger; the feed's newest seq) of from
 * into to, an empty store of a backend that can import, in one transaction.
 * SB_EEXISTS if to holds records or devices already.
 */
int hub_store_copy(struct hub_store *from, struct hub_store *to,
                   uint64_t *records, uint64_t *devices, struct sb_err *err);

/* True if s is a SHA-256 in lowercase hex. */
bool hub_device_hash_valid(const char *s);

#endif
