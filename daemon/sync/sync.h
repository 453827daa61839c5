/*
 * sync.h - one field replica's sync engine, on a libuv loop.
 *
 * A cycle pushes every local change the hub has not acknowledged (store
 * rows with pending set and not rejected), in batches, then pulls change
 * pages from the saved cursor until the feed is drained; then, unless the
 * engine runs in once mode, it long-polls the feed and starts a new cycle
 * when the hub has news or sync_now is called (the CLI after a write).
 * The long-poll has a connection of its own and stays open while a cycle
 * runs beside it: a write never tears down the poll and its connection.
 *
 * HTTP goes through libcurl's multi interface driven by the loop (uv_poll
 * per socket, one uv_timer for curl's timeout). Store work runs on the
 * loop thread, one short transaction at a time.
 *
 * Checkpoints: a pushed record's pending mark is cleared only after the
 * hub answered ok, and only if the row was not changed meanwhile; a pulled
 * page is merged and the cursor saved in one transaction. A crash at any
 * point therefore re-sends at most PUSH_WINDOW batches (three may be at the hub
 * at once) or re-pulls one page, and both sides are idempotent.
 *
 * Failures: network errors, 5xx and 429 retry after an exponential
 * back-off with full jitter (1 s .. cap) or the hub's Retry-After; 401 and
 * 403 halt syncing until sync_now or sync_reconfigure; a record the hub
 * refuses is marked rejected with its reason and the rest goes on.
 */
#ifndef SAMBANG_SYNC_H
#define SAMBANG_SYNC_H

#include "compat.h"

#include "err.h"
#include "store.h"

#include <uv.h>

/* The store's meta key for why the last completed cycle left records
 * refused or pending ("" when it left none): `sambang status` shows it. */
#define SYNC_PROBLEM_KEY "sync_problem"
/* The store's meta key for when the last cycle completed: unix ms in
 * decimal, to the minute (status shows it when no daemon runs). */
#define SYNC_LAST_OK_KEY "sync_last_ok_ms"
/* Meta: when the device began pushing everything again to a hub put back
 * from a copy (unix ms; absent when none runs: sync_rebase.c). */
#define SYNC_REBASE_KEY "sync.rebase_since_ms"
#define SYNC_LAST_OK_EVERY_MS (60 * 1000)
/* Meta: the name of the enrolled device that writes as a replica, under
 * this prefix and the replica id (sync_names.c). */
#define SYNC_NAME_KEY_PREFIX "device_name."
/* The name the store keeps for replica's device into out: 0, or
 * SB_ENOTFOUND (none known). */
int sync_name_get(struct store *st, const char *replica, char *out,
                  size_t size);

/* The store's meta keys for the hub's TLS: the office CA (PEM) that
 * `sambang init --ca-file` keeps, and the pinned public key(s). */
#define SYNC_META_CA "tls_ca"
#define SYNC_META_PIN "tls_pin"

/* The store's push chain (sync_chain.c): kept by `sambang recover`. */
#define SYNC_META_CHAIN "sync.push_chain"
#define SYNC_META_CHAIN_NEXT "sync.push_chain_next"

#define SYNC_DEFAULT_BATCH 500
#define SYNC_DEFAULT_PAGE 1000
#define SYNC_DEFAULT_WAIT_S 50
#define SYNC_DEFAULT_BACKOFF_MIN_MS 1000
#define SYNC_DEFAULT_BACKOFF_CAP_MS (5 * 60 * 1000)
#define SYNC_DEFAULT_CONNECT_TIMEOUT_S 10
#define SYNC_DEFAULT_TIMEOUT_S 30 /* per transfer, on top of a long-poll */

/* Settings; strings are owned by the struct (sync_config_release). */
struct sync_config {
  char *server;  /* hub base URL, e.g. http://127.0.0.1:8080 */
  char *token;   /* device bearer token */
  char *ca_file; /* NULL: ca_pem, else the system's CAs */
  char *ca_pem;  /* the office CA kept in the store (sambang init --ca-file) */
  char *pin;     /* "sha256//BASE64[;sha256//...]": the hub's key; NULL: none */
  bool insecure_http; /* allow http:// to a host other than loopback */
  unsigned batch;
  unsigned page;
  unsigned wait_s; /* long-poll wait, 1..60 s */
  uint64_t backoff_min_ms;
  uint64_t backoff_cap_ms;
  unsigned connect_timeout_s;
  unsigned timeout_s;
  bool gzip; /* compress request bodies, accept compressed replies */
  bool once; /* one cycle, no long-poll, no retry: for `sambang sync --once` */
};

/* Defaults everywhere, no server or token. */
void sync_config_init(struct sync_config *c);
void sync_config_release(struct sync_config *c);
/* dst becomes a deep copy of src (dst released first). */
int sync_config_copy(struct sync_config *dst, const struct sync_config *src,
                     struct sb_err *err);
/*
 * Applies a config file's settings on top of c. The file has one
 * `key = value` per line, '#' comments and blank lines; keys: server,
 * token, token_file, ca_file, pin, batch, page, wait (s), backoff_min (s),
 * backoff_cap (s), connect_timeout (s), timeout (s), gzip (yes/no),
 * insecure_http (yes/no).
 * An unknown key or a bad value is refused naming file:line, c unchanged.
 * (Documented in deploy/sambangd.conf.example.)
 */
int sync_config_load(struct sync_config *c, const char *path,
                     struct sb_err *err);
/* Sets c's server, token, office CA and pin from the store (what
 * `sambang init` kept); missing ones stay as they are. */
int sync_config_from_store(struct sync_config *c, struct store *st,
                           struct sb_err *err);
/* Checks a CA bundle: PEM text of one or more X.509 certificates. */
int sync_config_check_ca(const char *pem, size_t len, struct sb_err *err);
/* Reads and checks the CA bundle at path; *pem malloc'd. */
int sync_config_read_ca(const char *path, char **pem, struct sb_err *err);
/* Checks a pin: "sha256//" and the base64 SHA-256 of the hub's public key
 * (curl's CURLOPT_PINNEDPUBLICKEY), several joined by ';'. */
int sync_config_check_pin(const char *pin, struct sb_err *err);
/* Settings given as options, over what the store and a config file
 * said (NULL: not given). */
struct sync_overrides {
  const char *server, *token, *ca_file, *pin;
};
/* Copies o's given settings into c; SB_ENOMEM leaves c as it was (a
 * CA file or pin that was asked for is never dropped quietly). */
int sync_config_override(struct sync_config *c, const struct sync_overrides *o,
                         struct sb_err *err);
/* Sets c's token from the first line of the file at path. */
int sync_config_token_file(struct sync_config *c, const char *path,
                           struct sb_err *err);
/* Checks that server and token are set and the numbers are in range. */
/* A hub URL: http:// or https://, a host, a port 1..65535 if any (curl's
 * parser); plain http:// only to this machine unless insecure_http.
 * SB_EINVAL naming the URL. */
int sync_config_check_server(const char *url, bool insecure_http,
                             struct sb_err *err);
int sync_config_check(const struct sync_config *c, struct sb_err *err);

enum sync_phase {
  SYNC_IDLE,    /* between cycles (not started, or once mode done) */
  SYNC_PUSH,    /* sending local changes */
  SYNC_PULL,    /* fetching change pages */
  SYNC_LISTEN,  /* long-polling the feed: online and up to date */
  SYNC_BACKOFF, /* waiting to retry after a failure */
  SYNC_HALTED,  /* the hub refused our credentials (401/403) */
  SYNC_STOPPED  /* sync_stop was called */
};

const char *sync_status_phase_name(enum sync_phase p);

/*
 * A hub's refusal of record (collection, id) as people read it, into out:
 * "CODE (MEANING): DETAIL", the code's meaning in their language (the
 * hub's message is English: a protocol field) and the hub's words without
 * their leading "COLLECTION/ID: "; "CODE: DETAIL" for a code this build
 * does not know.
 */
void sync_refusal_text(char *out, size_t size, const char *collection,
                       const char *id, const char *code, const char *message);

struct sync_status {
  enum sync_phase phase;
  bool online;           /* the last exchange with the hub succeeded */
  uint64_t cycle;        /* number of the running or last cycle */
  uint64_t cycles_done;  /* cycles completed */
  uint64_t cycle_pushed; /* progress of the running (or last) cycle */
  uint64_t cycle_pulled; /* records merged from the feed this cycle */
  uint64_t push_total;   /* changes this cycle pushes: pending at its start
                            (or pushed, if more) */
  /* How far this cycle's pull went: from feed_base (the cursor when it
   * began) to feed_last (the newest feed number the hub named; 0: none
   * named yet, or a hub too old to say), cursor being where it is. */
  uint64_t feed_base, feed_last;
  uint64_t pending;        /* local changes waiting for the hub */
  uint64_t rejected;       /* local records the hub refused */
  uint64_t conflicts;      /* records with open conflicts */
  uint64_t cursor;         /* the pull cursor */
  int64_t last_success_ms; /* unix ms of the last completed cycle, 0: never */
  int64_t next_retry_ms;   /* unix ms of the next attempt in back-off, 0 */
  unsigned failures;       /* consecutive failed attempts */
  uint64_t total_pushed;   /* records the hub accepted, since start */
  uint64_t total_pulled;   /* records received from the feed, since start */
  /* records that left the store because they left the device's scope:
   * this cycle, since start */
  uint64_t cycle_removed, total_removed;
  uint64_t wire_up;   /* request body bytes sent (after gzip) */
  uint64_t wire_down; /* reply body bytes received (before gunzip) */
  uint64_t json_up;   /* the same bodies as JSON */
  uint64_t json_down;
  bool clock_known;                /* the hub's clock was ever measured */
  int64_t clock_offset_ms;         /* the hub's clock minus ours */
  uint64_t cycle_restamped;        /* records re-stamped for the hub's clock */
  char last_error[SB_ERR_MSG_MAX]; /* "" if none; after a completed cycle,
                                      why records are refused or pending */
  int last_code; /* the SB_E* code of a failure of this device's own (its
                    store: disk full, I/O, corrupt...) behind last_error;
                    0 for one of the hub or the network */
};

struct sync;

enum sync_event {
  SYNC_EV_PROGRESS,   /* a batch was pushed or a page merged */
  SYNC_EV_CYCLE_DONE, /* everything pushed and the feed drained */
  SYNC_EV_FAILED,     /* an attempt failed (back-off follows, or the end
                         in once mode); status.last_error says why */
  SYNC_EV_HALTED,     /* 401/403: syncing stops until sync_now */
  SYNC_EV_STOPPED     /* sync_stop finished: handles closed */
};

typedef void (*sync_event_fn)(struct sync *s, enum sync_event ev, void *ctx);

/*
 * Makes an engine on loop for the (open) store; copies cfg. Nothing
 * happens until sync_start. The store must stay open until SYNC_EV_STOPPED.
 */
int sync_new(uv_loop_t *loop, struct store *store,
             const struct sync_config *cfg, struct sync **out,
             struct sb_err *err);

/* The one listener for events (NULL to remove). */
void sync_set_listener(struct sync *s, sync_event_fn fn, void *ctx);

/* Starts the first cycle. */
void sync_start(struct sync *s);

/*
 * Asks for a cycle now: a long-poll or back-off wait is cut short, a
 * halted engine tries again, a running cycle is followed by another one.
 * Returns the number of the cycle whose completion answers the request.
 */
uint64_t sync_now(struct sync *s);

/*
 * A local change was written: like sync_now while online, but a back-off
 * wait or a halt stands (offline, each write must not cost an attempt).
 */
void sync_notify(struct sync *s);

/* New settings (SIGHUP); takes effect from the next request. */
int sync_reconfigure(struct sync *s, const struct sync_config *cfg,
                     struct sb_err *err);

/* The status now (counts read from the store). */
int sync_status_get(struct sync *s, struct sync_status *out,
                    struct sb_err *err);

/* The status without the counts read from the store (pending, rejected
 * and conflicts are 0): cheap enough for every progress event. */
void sync_status_quick(struct sync *s, struct sync_status *out);

/* The status as one line of JSON (malloc'd, no newline; NULL on ENOMEM). */
char *sync_status_json(const struct sync_status *st);

/*
 * The store's replicator lock (an exclusive flock on DB.lock): one engine
 * per store at a time. *fd is kept open while syncing; SB_EBUSY if a
 * daemon or another sync holds it.
 */
int sync_lock(const char *db, int *fd, struct sb_err *err);
void sync_lock_release(int fd);

/*
 * Aborts transfers and closes the engine's handles; SYNC_EV_STOPPED is
 * sent when done, after which sync_free may be called. No store
 * transaction is ever left open.
 */
void sync_stop(struct sync *s);
void sync_free(struct sync *s);

#endif
