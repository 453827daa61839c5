/*
 * office_int.h - what the office's files (office_*.c) share; not for use
 * outside them (hub_server.c and hub_routes.c use office.h).
 *
 * Office error codes. The dashboard is not the sync protocol: no device
 * ever receives or parses these codes, so they are kept out of
 * proto/proto_err.h (the protocol's table, which devices match on) and
 * listed once here, in the same envelope shape
 * ({"error":{"code","message"}}) so one reader handles both.
 */
#ifndef SAMBANG_OFFICE_INT_H
#define SAMBANG_OFFICE_INT_H

#include "compat.h"

#include "hub_call.h"
#include "hub_store.h"
#include "office.h"
#include "office_intern.h"
#include "schema.h"

#include <cjson/cJSON.h>
#include <locale.h>
#include <uv.h>

/* X(NAME, wire name, HTTP status) */
#define OFFICE_ERR_MAP(X)                                                      \
  X(UNAUTHORIZED, "unauthorized", 401) /* no session, or it expired */         \
  X(BAD_LOGIN, "bad_login", 401)       /* wrong user or password */            \
  X(FORBIDDEN, "forbidden", 403)       /* the role may not do this */          \
  X(CSRF, "csrf", 403)                 /* X-CSRF-Token missing or wrong */     \
  X(NOT_FOUND, "not_found", 404)                                               \
  X(METHOD, "method_not_allowed", 405)                                         \
  X(BAD_REQUEST, "bad_request", 400)                                           \
  X(STALE, "stale", 409)   /* the record changed since the page loaded it */   \
  X(LOCKED, "locked", 429) /* too many failed logins: wait */                  \
  X(INTERNAL, "internal", 500)                                                 \
  X(UNAVAILABLE, "unavailable", 503)

enum office_err {
#define OFFICE_ERR_ENUM(name, wire, status) OFFICE_ERR_##name,
  OFFICE_ERR_MAP(OFFICE_ERR_ENUM)
#undef OFFICE_ERR_ENUM
      OFFICE_ERR_COUNT_
};

/* The query parameters the office reads (copied on the loop thread). */
#define OFFICE_QUERY_MAP(X)                                                    \
  X(KECAMATAN, "kecamatan")                                                    \
  X(GROUP, "group")                                                            \
  X(PROGRAMME, "programme")                                                    \
  X(FROM, "from")                                                              \
  X(TO, "to")                                                                  \
  X(CONFLICT, "conflict")                                                      \
  X(REVIEW, "review")                                                          \
  X(TEXT, "q")                                                                 \
  X(PAGE, "page")                                                              \
  X(LIMIT, "limit")                                                            \
  X(SORT, "sort")                                                              \
  X(DESC, "desc")                                                              \
  X(PERSONAL, "personal")                                                      \
  X(STALE_DAYS, "stale_days")

enum office_query {
#define OFFICE_Q_ENUM(name, wire) OFFICE_Q_##name,
  OFFICE_QUERY_MAP(OFFICE_Q_ENUM)
#undef OFFICE_Q_ENUM
      OFFICE_Q_COUNT_
};

#define OFFICE_EXTRA_MAX 24
/* The largest office request body once a session was checked (a
 * resolution, a user or device added); the limit itself is the HTTP
 * server's (office_body_limit), a larger body is a 413 before it is read. */
#define OFFICE_BODY_MAX (256 * 1024)
/* A login form: a name (64 bytes) and a password (1023), each escaped at
 * most threefold, with room to spare. */
#define OFFICE_LOGIN_BODY_MAX (8 * 1024)
/* The session cookie's name. */
#define OFFICE_COOKIE "sambang_session"

struct office_req {
  char *method, *path, *csrf, *content_type;
  char *session_cookie; /* the session cookie's value, as sent */
  bool cookie_twice;    /* the request carries two session cookies */
  char *peer;           /* the client's address (hub_proxy_client) */
  char *q[OFFICE_Q_COUNT_];
  char *q_unknown; /* a query parameter none of q's, or NULL */
  bool tls;        /* came over TLS, to the hub or to a trusted proxy */
  bool indonesian; /* Accept-Language asks for it (office_lang.c) */
  /* Set by office_admit for a request with a live session. */
  bool authed;
  struct hub_user user;
  struct hub_session session;
  /* Reply headers: pairs in extra, their owned values below. */
  const char *extra[OFFICE_EXTRA_MAX + 1];
  size_t nextra;
  char *owned[6];
  size_t nowned;
};

/* Login throttle: per user and per client address (office_auth.c). */
#define OFFICE_THROTTLE_SLOTS 1024
struct office_throttle {
  char key[80]; /* "u:NAME" or "a:ADDR"; "" free */
  unsigned fails;
  uint64_t last_ms, until_ms;
};

#define OFFICE_SEEN_SLOTS 512
struct office_seen {
  char name[HUB_DEVICE_NAME_MAX + 1];
  struct hub_device_activity a; /* as noted (office_seen.c) */
  uint64_t saved_ms;            /* last written to the store */
};

/* The views whose results office_cache.c keeps, OFFICE_CACHE_SLOTS each
 * (results of the feed's newest head for different queries: several
 * office users on different filters). */
enum office_view {
  OFFICE_VIEW_OVERVIEW,
  OFFICE_VIEW_CONFLICTS,
  OFFICE_VIEW_CSV,
  OFFICE_VIEW_COUNT_
};
struct office_cached;
#define OFFICE_CACHE_SLOTS 4
struct office_tally;
struct office_fact;

struct office {
  uv_mutex_t lock;
  /* office_cache.c */
  struct office_cached *cache[OFFICE_VIEW_COUNT_][OFFICE_CACHE_SLOTS];
  uint64_t cache_hits, cache_tick;
  struct office_throttle th[OFFICE_THROTTLE_SLOTS];
  struct office_seen seen[OFFICE_SEEN_SLOTS];
  uint64_t idle_ms, absolute_ms;       /* session expiry */
  uint64_t swept_ms;                   /* the last sweep of expired ones */
  char dummy_hash[HUB_PWHASH_MAX + 1]; /* verified for unknown users */
  locale_t id_locale; /* Indonesian messages; (locale_t)0: not installed */
  struct office_tally *tally;            /* office_tally.c, made on first use */
  struct office_tally_stats tally_stats; /* its counts, under lock */
  uint64_t logins[OFFICE_LOGIN_COUNT_];  /* office_auth.c, under lock */
};

/* --- office_lang.c: messages in the reader's language ------------------- */

/* The Indonesian message locale, or (locale_t)0 if the system lacks it. */
locale_t office_lang_load(void);
/* True if the Accept-Language header's first range is Indonesian. */
bool office_lang_indonesian(const char *accept_language);
/* True if c is answered in Indonesian (asked for, and installed): a
 * kept result with text in it (a review's reason) is kept per language. */
bool office_lang_id(const struct hub_call *c);
/* Gives this thread c's language until office_lang_leave(the result). */
locale_t office_lang_enter(const struct hub_call *c);
void office_lang_leave(locale_t prev);

/* --- office_http.c ---------------------------------------------------- */

/* Adds a reply header (value copied when own is true). */
void office_header(struct office_req *r, const char *name, const char *value,
                   bool own);
void office_reply_error(struct hub_call *c, enum office_err code,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A 200 JSON reply of j (deleted). */
void office_reply_json(struct hub_call *c, cJSON *j);
/* After a walk that filled list (its rc, err): {"key": list}, or the
 * store's error (list dropped). */
void office_reply_list(struct hub_call *c, int rc, const struct sb_err *err,
                       const char *key, cJSON *list);
/* A reply of body (malloc'd, taken over). */
void office_reply_body(struct hub_call *c, unsigned status, const char *type,
                       char *body, size_t len);
/* 303 to location. */
void office_redirect(struct hub_call *c, const char *location);
/* A store failure's reply. */
void office_reply_store(struct hub_call *c, int rc, const struct sb_err *err);
/* The request body as a JSON object (json_parse: strict, no duplicate
 * key) whose keys are all among keys (comma-separated, e.g. "name,scope");
 * NULL once the 400 (or 503 out of memory) that says why has been made. */
cJSON *office_body_json(struct hub_call *c, const char *keys);
/* The reply of a store call that changed the device or user name: 200
 * {"name"} (and "token" when given: a device's, shown this once), or the
 * error: 404 not found, 400 invalid or taken, else office_reply_store's. */
void office_reply_named(struct hub_call *c, int rc, const struct sb_err *err,
                        const char *name, const char *token);
/* The value of a query parameter (NULL: absent). */
const char *office_q(const struct hub_call *c, enum office_query q);

/* Runs fn on the readers' connection under its lock. */
struct hub_store *office_reader_lock(struct hub_call *c);
void office_reader_unlock(struct hub_call *c);

/* --- office_auth.c ---------------------------------------------------- */

/* Argon2id string of password (libsodium); SB_ENOMEM / SB_EINTERNAL. */
int office_auth_hash(const char *password, char out[HUB_PWHASH_MAX + 1],
                     struct sb_err *err);
/* True if password matches the stored string. */
bool office_auth_verify(const char *pwhash, const char *password);
/* Takes the hub's one Argon2id slot (hash or verify), or answers 503 with
 * Retry-After and returns false; office_auth_pw_leave gives it back. */
bool office_auth_pw_enter(struct hub_call *c);
void office_auth_pw_leave(void);
/* Session check: true (c->oreq->authed) or false with nothing replied. */
bool office_auth_session(struct hub_call *c);
/* True if the X-CSRF-Token header matches the session's token. */
bool office_auth_csrf_ok(const struct hub_call *c);
void office_auth_login(struct hub_call *c);
void office_auth_logout(struct hub_call *c);

/* --- office_seen.c ------------------------------------------------------ */

/* The newest activity of device name the hub knows (memory or store). */
void office_seen_get(struct hub_call *c, struct hub_store *hs, const char *name,
                     struct hub_device_activity *out);

/* --- office_data.c ---------------------------------------------------- */

/* One record as the views see it. */
struct office_row {
  const struct record *r;
  uint64_t seq;
  const struct schema_collection *sc;
  const char *kecamatan, *groups, *programme, *date; /* JSON texts or NULL */
  bool conflicted, review;
  char why[256]; /* the review's reason */
};

/* The filter of c's query (collection given). */
void office_filter_from(const struct hub_call *c, const char *collection,
                        struct office_filter *f);
bool office_filter_match(const struct office_filter *f,
                         const struct office_row *row);
/* office_filter_match on a record's facts (the text search on its own
 * values, as on a row's). */
bool office_filter_match_fact(const struct office_filter *f,
                              const struct office_fact *fact);

/* Walks every live record of hs (beneficiaries first, visits get their
 * beneficiary's kecamatan and groups) as rows; fn's rc stops it. */
typedef int (*office_row_fn)(const struct office_row *row, void *ctx);
int office_data_each(struct hub_store *hs, office_row_fn fn, void *ctx,
                     struct sb_err *err);

/* The record (collection, id) of hs as it is now, as a row to fn (its own
 * values: nothing lent); nothing if it is not shown or no longer there. */
int office_row_get(struct hub_store *hs, const char *collection, const char *id,
                   office_row_fn fn, void *ctx, struct sb_err *err);

/* The winner's JSON text of field name in r (NULL if absent). */
const char *office_winner(const struct record *r, const char *name);
/* The id a reference field's winner names (*id malloc'd; NULL if none):
 * 0, or SB_ENOMEM (never "names none": a visit would lose its place). */
int office_ref_id(const struct record *r, const char *field, char **id);

/* A value's JSON text (NULL: absent) as people read it, unquoted for
 * strings ("a; b" for a list), into buf; "" if absent. 0, or SB_ENOMEM
 * (buf "": never the raw text in place of what it reads as). */
int office_json_text(const char *text, char *buf, size_t size);
/* True if field is personal in sc. */
bool office_field_personal(const struct schema_collection *sc,
                           const char *field);
/* The values of r a user of role may see, as a JSON object. */
cJSON *office_row_values(const struct office_row *row, enum hub_role role);

/* --- office_tally.c: the overview's facts, kept up to date ------------- */

/* A field of a record's own and its winner's JSON text. */
struct office_val {
  const char *name, *json;
};

/* What the overview counts of one live record, and its own values. */
struct office_fact {
  const char *collection, *id;
  const struct schema_collection *sc; /* NULL: not in the schema */
  /* NULL if absent; kecamatan and groups lent as in office_data_each */
  const struct office_text *kecamatan, *groups, *programme, *date;
  const struct office_text *own_kecamatan, *own_groups; /* not lent */
  const struct office_val *vals; /* every field of its own, by name */
  size_t nvals;
  bool conflicted, review;
};

/* The JSON text of field's winner in the record's own values (the field
 * the records table sorts by); NULL if it has no such field. */
const char *office_fact_value(const struct office_fact *f, const char *field);
typedef int (*office_fact_fn)(const struct office_fact *f, void *ctx);

/* Brings o's tally up to hs's feed (the readers' connection, its lock
 * held), then calls fn for every live record's facts in (collection, id)
 * order, and once more with NULL at the end (the facts still held: what
 * fn kept of them is valid until it returns); fn's rc stops it. */
int office_tally_each(struct office *o, struct hub_store *hs, office_fact_fn fn,
                      void *ctx, struct sb_err *err);
void office_tally_free(struct office_tally *t);

/* --- office_cache.c ----------------------------------------------------- */

#define OFFICE_CACHE_KEY_MAX 1024

/* A body as a cached result (office_blob_drop frees it). */
struct office_blob {
  char *body;
  size_t len;
};
/* A blob of body (taken over; freed on ENOMEM: NULL). */
struct office_blob *office_blob_new(char *body, size_t len);
void office_blob_drop(void *data);

/* The feed head a view's result is computed at: read it before the walk,
 * on the same connection. */
int office_cache_head(struct hub_store *hs, uint64_t *head, struct sb_err *err);
/* The key of c's result in a view: view_part (the view's own: a
 * collection...), whether personal fields are hidden, the language, and
 * the query's filters (not the page); false if too long to key (then not
 * cached). */
bool office_cache_key(const struct hub_call *c, const char *view_part,
                      bool viewer, char *buf, size_t size);
/* The result of view v for key at head, held until office_cache_release;
 * NULL if the slot holds another. */
struct office_cached *office_cache_get(struct office *o, enum office_view v,
                                       const char *key, uint64_t head);
void *office_cache_data(const struct office_cached *e);
void office_cache_release(struct office *o, struct office_cached *e);
/* Keeps data (dropped with drop when no longer held) as view v's result
 * for key at head, and gives it held by the caller (release it); NULL on
 * ENOMEM, data then still the caller's. */
struct office_cached *office_cache_put(struct office *o, enum office_view v,
                                       const char *key, uint64_t head,
                                       void *data, void (*drop)(void *data));
/* Drops every slot (the office is freed). */
void office_cache_free(struct office *o);

/* --- office_api.c, office_csv.c ------------------------------------------ */

void office_api(struct hub_call *c, const char *rest);
/* The session's role. */
enum hub_role office_role_of(const struct hub_call *c);
/* --- office_query.c ---------------------------------------------------- */

/* The records API's pages: at most this many rows, up to this page. */
#define OFFICE_PAGE_MAX 500
#define OFFICE_PAGE_LAST 1000000
/* The overview's stale_days, at most. */
#define OFFICE_STALE_DAYS_MAX 3650

/* True if c's query parameters are well formed (sort: a field of
 * collection, if not NULL); else replies 400 naming the first that is not. */
bool office_query_ok(struct hub_call *c, const char *collection);
/* The number of query parameter q (checked by office_query_ok); def if
 * absent. */
unsigned office_query_num(const struct hub_call *c, enum office_query q,
                          unsigned def);
/*
 * The audit trail: one log line (INFO) per change an office user makes,
 * "office: audit: USER (ROLE) MESSAGE": a write to a record (its key and
 * the fields' names, never their values), a device enrolled, given a new
 * scope or token, revoked, an office user added, changed or removed, a
 * login and a logout. Failed logins are warnings of their own.
 */
void office_audit(const struct hub_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True if c's user has at least role need, else replies 403. */
bool office_allowed(struct hub_call *c, enum hub_role need);
/* The devices (office_devices.c) as the API gives them, into list: every
 * one if before_ms is 0, else those not revoked and not seen since. */
int office_devices_list(struct hub_call *c, struct hub_store *hs,
                        uint64_t before_ms, cJSON *list, struct sb_err *err);
/* /api/devices and below (rest: "" or "/NAME/ACTION"). */
void office_devices_api(struct hub_call *c, const char *rest);
/* A row as the API gives it (values a user of role may see). */
cJSON *office_row_json(const struct office_row *row, enum hub_role role);
/* GET /api/records/COLLECTION (office_records.c). */
void office_records_api(struct hub_call *c, const char *collection);
/* /api/users and below (rest: "" or "/NAME..."); admins only. */
void office_users_api(struct hub_call *c, const char *rest);
void office_csv_route(struct hub_call *c, const char *collection);

#endif
