/*
 * office.h - the office dashboard served by the hub (OFFICE.md): pages,
 * assets, the JSON API under /api/ and CSV export, for office users
 * logged in with a session cookie (never a device token).
 *
 * hub_server.c routes every office path (office_path) to HUB_ROUTE_OFFICE,
 * copies the request's inputs on the loop thread (office_req_copy), runs
 * office_admit on the threadpool before any body byte is read (session,
 * role and CSRF token), then office_handle once the body is in. The rest
 * of the office lives in office_*.c:
 *   office_http.c   routing, replies and their security headers, assets
 *   office_auth.c   passwords (Argon2id), sessions, CSRF, login throttle
 *   office_data.c   reading records for the views: rows, filters
 *   office_api.c    the JSON API
 *   office_csv.c    CSV export (also `sambang-hub export --csv`)
 */
#ifndef SAMBANG_OFFICE_H
#define SAMBANG_OFFICE_H

#include "compat.h"

#include "hub_call.h"

struct http_req;

/* The most bytes of body an office request to path may bring: a login
 * form (read before anyone is known) a few KiB, the API's JSON more. */
size_t office_body_limit(const char *path);

/* The header a page sends its session's CSRF token back in. */
#define OFFICE_CSRF_HEADER "X-CSRF-Token"

/* The hub's office state (login throttle, last-seen cache), its sessions
 * ending after idle_s seconds unused or absolute_s in all (0: the
 * defaults, 30 min and 12 h); NULL: ENOMEM. */
struct office *office_new(unsigned idle_s, unsigned absolute_s);
void office_free(struct office *o);

/* How many office views were answered from a kept result (/metrics). */
uint64_t office_cache_hits(struct office *o);

/* Logins at /login by how they ended, for /metrics: a session made, a
 * wrong user or password, refused while locked out (429), refused while
 * another password was being checked (503). */
enum office_login {
  OFFICE_LOGIN_OK,
  OFFICE_LOGIN_BAD,
  OFFICE_LOGIN_LOCKED,
  OFFICE_LOGIN_BUSY,
  OFFICE_LOGIN_COUNT_
};
void office_login_counts(struct office *o, uint64_t out[OFFICE_LOGIN_COUNT_]);

/* The overview's kept facts (office_tally.c), for /metrics. */
struct office_tally_stats {
  uint64_t rebuilds;     /* reads of the feed from its start */
  uint64_t records_read; /* feed entries read, in all */
  uint64_t records;      /* live records whose facts are held */
};
void office_tally_stats(struct office *o, struct office_tally_stats *out);

/* True if path is one of the office's ("/", "/login", "/api/...", ...). */
bool office_path(const char *path);

/* Copies what the office handlers read of req (loop thread); NULL: ENOMEM.
 * tls: the hub serves TLS; trusted: the trusted proxies (NULL: none),
 * whose X-Forwarded-For names the client and X-Forwarded-Proto https
 * counts as TLS (the session cookie is then Secure). */
struct office_req *office_req_copy(struct http_req *req, bool tls,
                                   const char *trusted);
void office_req_free(struct office_req *r);
/* The office user whose session r carried (after office_admit), or NULL. */
const char *office_req_user(const struct office_req *r);

/* Before the body (threadpool): c->out stays empty if the request may go
 * on, else holds the refusal (401 / 303 to /login, 403, 404...). */
void office_admit(struct hub_call *c);

/* The request, body in (threadpool): fills c->out; sets c->committed and
 * c->last_seq when it wrote (a resolution). */
void office_handle(struct hub_call *c);

/* What a device's request was (office_seen_note). */
enum office_seen_kind {
  OFFICE_SEEN_REQUEST, /* any authenticated request */
  OFFICE_SEEN_PUSH,    /* a push answered 200 */
  OFFICE_SEEN_PULL,    /* a change feed request */
  OFFICE_SEEN_COPIED   /* a push refused as another store's */
};

/* Notes that device `name` made an authenticated request of kind now,
 * with c's User-Agent as its app version (threadpool; kept in memory,
 * written to the store at most once a minute; office_seen.c). */
void office_seen_note(struct hub_call *c, const char *name,
                      enum office_seen_kind kind);

/* Fills o's memory with the devices' stored activity (at start). */
int office_seen_load(struct office *o, struct hub_store *hs,
                     struct sb_err *err);

/* One device's last authenticated request (office_seen_list). */
struct office_seen_item {
  char name[HUB_DEVICE_NAME_MAX + 1];
  uint64_t seen_ms;
  uint64_t marks_ms; /* 0: it never said (PROTO_MARKS_HEADER) */
  uint64_t pending, refused;
};
/* Copies up to max devices the hub has seen into out; gives how many. */
size_t office_seen_list(struct office *o, struct office_seen_item *out,
                        size_t max);

/* The records table's and the CSV's filters (NULL, false: not set), as
 * the query's kecamatan, group, programme, from, to, q, conflict, review. */
struct office_filter {
  const char *collection; /* NULL: all */
  const char *kecamatan, *group, *programme, *from, *to, *text;
  bool conflict, review;
};

/*
 * 0 if each of f's kecamatan, group and programme is a value some field
 * of that name (groups for group) may hold in schema s; else SB_EINVAL
 * naming the filter, the value and the values allowed: a typo is said,
 * never answered with an empty table. A field of that name with no
 * fixed values takes any.
 */
int office_filter_check(const struct schema *s, const struct office_filter *f,
                        struct sb_err *err);

/*
 * CSV of the live records of f->collection in hs that match f (OFFICE.md,
 * "Export"), read by a walk of the store: UTF-8 with a BOM, a header row
 * of the schema's fields, one row per record in id order, lists joined
 * with "; ", personal fields only if personal. *out malloc'd (*len
 * bytes). SB_ENOTFOUND for a collection the schema does not define. The
 * dashboard's route makes the same bytes from its kept facts.
 */
int office_csv_export(struct hub_store *hs, const struct office_filter *f,
                      bool personal, char **out, size_t *len,
                      struct sb_err *err);

/* An office password's length in bytes (no newline, no NUL). */
#define OFFICE_PASSWORD_MIN 8
#define OFFICE_PASSWORD_MAX 1023

/* The Argon2id string (libsodium) of an office user's password. */
int office_auth_hash_password(const char *password,
                              char out[HUB_PWHASH_MAX + 1], struct sb_err *err);

#endif
