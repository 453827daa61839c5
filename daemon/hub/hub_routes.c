/*
 * hub_routes.c - the hub's endpoint handlers, run off the loop (see
 * hub_routes.h and proto/PROTOCOL.md).
 *
 * POST /v1/push: authenticate; check Content-Type and Content-Encoding;
 * inflate (gzip) and decode the batch on the threadpool, so batches from
 * several devices are parsed in parallel; hub_server.c's store writer
 * merges it, with the batches that came meanwhile, in one transaction
 * (hub_store_push_group); encode the per-record reply on the threadpool.
 * Reads (authentication, the change feed) use a second connection, so
 * they do not wait for a push transaction; binding a device on its first
 * use is the one write, done on the writer's connection.
 * GET /v1/changes: authenticate; parse since/limit/wait; read one page.
 * An empty page with wait > 0 is not sent: hub_server.c parks the request
 * until a push commits or the wait runs out.
 */
#include "compat.h"

#include "hub_routes.h"

#include "gzip.h"
#include "hub_ahead.h"
#include "hub_call.h"
#include "hub_disk.h"
#include "hub_purge.h"
#include "hub_push.h"
#include "hub_push_chain.h"
#include "hub_scope.h"
#include "auth.h"
#include "log.h"
#include "office.h"
#include "proto.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_TYPE "application/json"
#define GZIP_MIN 1024               /* smaller replies are sent as they are */
#define PAGE_STREAM_MIN (64 * 1024) /* records' bytes: gzip'd as encoded */
#define RETRY_BUSY_S 1
#define RETRY_FAILED_S 30

void hub_routes_reply_release(struct hub_reply *r)
{
  if (!r->body_static)
    free(r->body);
  memset(r, 0, sizeof(*r));
}

/* Fills r with the envelope of code, record and the formatted message. */
static void reply_error_v(struct hub_reply *r, enum proto_err code, long record,
                          const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void reply_error_v(struct hub_reply *r, enum proto_err code, long record,
                          const char *fmt, va_list ap)
{
  char message[SB_ERR_MSG_MAX];
  unsigned status = proto_err_status(code);

  vsnprintf(message, sizeof(message), fmt, ap);
  free(r->body);
  r->status = status != 0 ? status : 500;
  r->body = error_encode(code, record, message);
  r->len = r->body != NULL ? strlen(r->body) : 0;
  r->content_type = JSON_TYPE;
  r->gzip = false;
  if (r->status == 401)
    r->www_auth = true;
  if (r->status == 429)
    r->retry_after = RETRY_BUSY_S;
  if (r->status == 503 && r->retry_after == 0)
    r->retry_after = RETRY_BUSY_S;
}

void hub_routes_reply_error(struct hub_reply *r, enum proto_err code,
                            const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  reply_error_v(r, code, -1, fmt, ap);
  va_end(ap);
}

void hub_routes_reply_record_error(struct hub_reply *r, enum proto_err code,
                                   long record, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  reply_error_v(r, code, record, fmt, ap);
  va_end(ap);
}

/* A 200 JSON reply of body[0..len) (taken), gzip'd or not. */
static void reply_body(struct hub_reply *r, char *body, size_t len, bool gzip)
{
  free(r->body);
  r->status = 200;
  r->content_type = JSON_TYPE;
  r->vary = true;
  r->body = body;
  r->len = len;
  r->gzip = gzip;
}

/* The hub ran out of memory serving a request that was fine: 503 with
 * Retry-After, so the device tries again. */
static void reply_nomem(struct hub_reply *r)
{
  hub_routes_reply_error(r, PROTO_ERR_UNAVAILABLE, "the hub is out of memory");
}

void hub_routes_reply_json(struct hub_reply *r, char *body, bool gzip_ok)
{
  size_t len;

  if (body == NULL) {
    reply_nomem(r);
    return;
  }
  len = strlen(body);
  reply_body(r, body, len, false);
  if (gzip_ok && len >= GZIP_MIN) {
    char *z;
    size_t zlen;
    if (gzip_deflate(body, len, &z, &zlen, NULL) == 0)
      reply_body(r, z, zlen, true); /* frees body */
  }
}

/*
 * A page as the reply. A large one going out gzip'd is deflated as it is
 * encoded (changes_page_gzip, the same bytes): its JSON text never whole
 * in memory, which for a page of MBs kept half a pull's hub CPU in gzip
 * reading it back from beyond the cache.
 */
static void reply_page(struct hub_reply *r, const struct hub_page *page,
                       const char *scope, uint64_t horizon, bool gzip_ok)
{
  /* last: the feed's end for the device's progress, read before the page
   * (it may be behind next: the device takes the greater of the two) */
  struct changes_page_head h = {page->more, page->next, scope, horizon,
                                page->last_seq};
  char *z;
  size_t zlen;

  r->page = true;
  r->page_more = page->more;
  r->page_next = page->next;
  if (gzip_ok && page->bytes >= PAGE_STREAM_MIN &&
      changes_page_gzip(page->seqs, (const char *const *)page->states,
                        page->gone, page->n, &h, &z, &zlen, NULL) == 0) {
    reply_body(r, z, zlen, true);
    return;
  }
  hub_routes_reply_json(
      r,
      changes_page_encode_head(page->seqs, (const char *const *)page->states,
                               page->gone, page->n, &h),
      gzip_ok);
}

void hub_routes_reply_empty_page(struct hub_reply *r, uint64_t since)
{
  hub_routes_reply_json(r, changes_page_encode(NULL, NULL, 0, false, since),
                        false);
}

/* The reply to a store failure (hub_routes.h). */
void hub_routes_reply_store_error(struct hub_reply *r, int rc,
                                  const struct sb_err *err)
{
  switch (rc) {
  case SB_EBUSY:
  case SB_ENOMEM:
    r->retry_after = RETRY_BUSY_S;
    hub_routes_reply_error(r, PROTO_ERR_UNAVAILABLE, "the hub is busy: %s",
                           err->msg);
    break;
  case SB_EFULL:
  case SB_EREADONLY:
  case SB_EIO:
  case SB_ECORRUPT: /* refused until `sambang-hub check` passes */
    r->retry_after = RETRY_FAILED_S;
    hub_routes_reply_error(r, PROTO_ERR_UNAVAILABLE, "the hub cannot write: %s",
                           err->msg);
    break;
  default:
    hub_routes_reply_error(r, PROTO_ERR_INTERNAL, "the hub failed: %s",
                           err->msg);
    break;
  }
  log_msg(LOG_LEVEL_ERROR, "store: %s", err->msg);
}

/* Authenticates c under the lock (hub_routes.h). */
bool hub_routes_authenticate(struct hub_call *c)
{
  struct sb_err err = {0};
  enum auth_outcome outcome;
  char message[SB_ERR_MSG_MAX];
  int rc;

  rc = SB_EBUSY;
  if (c->rhs != NULL) {
    uv_mutex_lock(c->rlock);
    rc = auth_check(c->rhs, c->authorization, c->replica, &outcome, message,
                    sizeof(message), &err);
    uv_mutex_unlock(c->rlock);
  }
  if (rc == SB_EBUSY) { /* a device to bind (or a busy reader) */
    memset(&err, 0, sizeof(err));
    rc = auth_check(hub_call_writer_lock(c), c->authorization, c->replica,
                    &outcome, message, sizeof(message), &err);
    hub_call_writer_unlock(c);
  }
  if (rc != 0) {
    hub_routes_reply_store_error(&c->out, rc, &err);
    return false;
  }
  switch (outcome) {
  case AUTH_OK: /* message is the device's name */
    snprintf(c->batch.device, sizeof(c->batch.device), "%.*s",
             (int)sizeof(c->batch.device) - 1, message);
    if (c->marks != NULL) {
      if (proto_marks_decode(c->marks, &c->marks_v, &err) != 0) {
        hub_routes_reply_error(&c->out, PROTO_ERR_MALFORMED, "%s", err.msg);
        return false;
      }
      c->has_marks = true;
    }
    /* the dashboard's and /metrics' "last seen", "last pull" */
    office_seen_note(c, c->batch.device,
                     c->route == HUB_ROUTE_CHANGES ? OFFICE_SEEN_PULL
                                                   : OFFICE_SEEN_REQUEST);
    return true;
  case AUTH_UNAUTHORIZED:
    hub_routes_reply_error(&c->out, PROTO_ERR_UNAUTHORIZED, "%s", message);
    return false;
  case AUTH_REVOKED:
    hub_routes_reply_error(&c->out, PROTO_ERR_REVOKED, "%s", message);
    return false;
  case AUTH_REPLICA_MISMATCH:
    hub_routes_reply_error(&c->out, PROTO_ERR_REPLICA_MISMATCH, "%s", message);
    return false;
  case AUTH_MALFORMED:
    hub_routes_reply_error(&c->out, PROTO_ERR_MALFORMED, "%s", message);
    return false;
  case AUTH_ERROR:
    break;
  }
  hub_routes_reply_error(&c->out, PROTO_ERR_INTERNAL, "authentication failed");
  return false;
}

/* s[0..n) with blanks trimmed on both ends, as (start, length). */
static const char *trim(const char *s, size_t *n)
{
  while (*n > 0 && (*s == ' ' || *s == '\t')) {
    s++;
    (*n)--;
  }
  while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
    (*n)--;
  return s;
}

/* True if the Content-Type value is JSON in UTF-8: application/json, or
 * PROTO_COMPACT_TYPE (record states in the compact form, which this hub
 * reads in either; the type is for hubs that do not, which refuse it). */
static bool json_content_type(const char *v)
{
  const char *semi, *t;
  size_t n;

  if (v == NULL)
    return false;
  semi = strchr(v, ';');
  n = semi != NULL ? (size_t)(semi - v) : strlen(v);
  t = trim(v, &n);
  if (!(n == strlen(JSON_TYPE) && strncasecmp(t, JSON_TYPE, n) == 0) &&
      !(n == strlen(PROTO_COMPACT_TYPE) &&
        strncasecmp(t, PROTO_COMPACT_TYPE, n) == 0))
    return false;
  /* Parameters: a charset, if any, must be UTF-8. */
  while (semi != NULL) {
    const char *p = semi + 1, *next = strchr(p, ';');
    size_t pn = next != NULL ? (size_t)(next - p) : strlen(p);
    p = trim(p, &pn);
    if (pn >= 8 && strncasecmp(p, "charset=", 8) == 0) {
      const char *cs = p + 8;
      size_t cn = pn - 8;
      if (cn >= 2 && cs[0] == '"' && cs[cn - 1] == '"') {
        cs++;
        cn -= 2;
      }
      if (!((cn == 5 && strncasecmp(cs, "utf-8", 5) == 0) ||
            (cn == 4 && strncasecmp(cs, "utf8", 4) == 0)))
        return false;
    }
    semi = next;
  }
  return true;
}

/* 1: gzip, 0: identity, -1: something else. */
static int content_coding(const char *v)
{
  size_t n;
  const char *t;

  if (v == NULL)
    return 0;
  n = strlen(v);
  t = trim(v, &n);
  if (n == 0 || (n == 8 && strncasecmp(t, "identity", 8) == 0))
    return 0;
  if ((n == 4 && strncasecmp(t, "gzip", 4) == 0) ||
      (n == 6 && strncasecmp(t, "x-gzip", 6) == 0))
    return 1;
  return -1;
}

/* A push's body coding (1: gzip, 0: identity), or -1 (415 filled). */
static int push_media(struct hub_call *c)
{
  int coding;

  if (!json_content_type(c->content_type)) {
    hub_routes_reply_error(
        &c->out, PROTO_ERR_UNSUPPORTED_MEDIA_TYPE,
        "Content-Type must be application/json or " PROTO_COMPACT_TYPE
        " (got %.100s)",
        c->content_type != NULL ? c->content_type : "none");
    return -1;
  }
  coding = content_coding(c->content_encoding);
  if (coding < 0) {
    hub_routes_reply_error(
        &c->out, PROTO_ERR_UNSUPPORTED_MEDIA_TYPE,
        "Content-Encoding must be gzip or identity (got %.100s)",
        c->content_encoding);
    return -1;
  }
  return coding;
}

/* A push's chain header into c->batch (hub_push_chain.h); false if it
 * is malformed (400 filled). */
static bool push_chain(struct hub_call *c)
{
  struct sb_err err = {0};

  if (c->chain == NULL)
    return true;
  if (proto_chain_decode(c->chain, &c->batch.chain, &err) != 0) {
    hub_routes_reply_error(&c->out, PROTO_ERR_MALFORMED, "%s", err.msg);
    return false;
  }
  c->batch.has_chain = true;
  return true;
}

void hub_routes_admit(struct hub_call *c)
{
  if (!hub_routes_authenticate(c))
    return;
  if (c->route == HUB_ROUTE_PUSH && push_media(c) >= 0)
    (void)push_chain(c);
}

void hub_routes_push(struct hub_call *c)
{
  struct sb_err err = {0};
  char *inflated = NULL;
  const char *body = c->body;
  size_t len = c->body_len;
  long bad = -1;
  int coding, rc;

  push_req_init(&c->push);
  push_reply_init(&c->batch.reply);
  if (!hub_routes_authenticate(c))
    return;
  coding = push_media(c);
  if (coding < 0)
    return;
  if (!push_chain(c))
    return;
  if (coding == 1) {
    rc = gzip_inflate(body, len, PROTO_MAX_BODY, &inflated, &len, &err);
    if (rc == SB_ETOOBIG) {
      hub_routes_reply_error(&c->out, PROTO_ERR_TOO_LARGE,
                             "push request: %s (at most %d bytes)", err.msg,
                             PROTO_MAX_BODY);
      return;
    }
    if (rc == SB_ENOMEM) { /* the hub's trouble, not the body's */
      reply_nomem(&c->out);
      return;
    }
    if (rc != 0) {
      hub_routes_reply_error(&c->out, PROTO_ERR_UNSUPPORTED_MEDIA_TYPE,
                             "push request: %s", err.msg);
      return;
    }
    body = inflated;
  }
  rc = push_req_decode(&c->push, body, len, &bad, &err);
  free(inflated);
  if (rc == SB_ENOMEM) {
    reply_nomem(&c->out);
    return;
  }
  if (rc != 0) {
    hub_routes_reply_record_error(&c->out, PROTO_ERR_MALFORMED, bad, "%s",
                                  err.msg);
    return;
  }

  c->batch.pusher = c->replica;
  c->batch.max_ts = c->max_ts;
  c->batch.recs = c->push.recs;
  c->batch.n = c->push.n;
  /* Out of memory here only leaves the work to the writer. */
  (void)hub_push_prepare(hub_store_schema(c->hs), &c->batch);
  c->to_store = true;
}

/* At most this many log lines per push for its forged records. */
#define FORGED_LOG_MAX 5

/* Logs the records of c's push refused as forged, with the device's name:
 * someone holding that device's token tried to write as another. */
static void log_forged(const struct hub_call *c)
{
  const struct push_reply *rep = &c->batch.reply;
  size_t i, n = 0;

  for (i = 0; i < rep->n; i++) {
    enum proto_err code;
    if (rep->res[i].ok)
      continue;
    code = proto_err_parse(rep->res[i].code);
    if (code != PROTO_ERR_FORGED_DOT && code != PROTO_ERR_FORGED_ENTRY &&
        code != PROTO_ERR_DOT_REUSED)
      continue;
    if (n++ < FORGED_LOG_MAX)
      log_msg(LOG_LEVEL_WARN,
              "push from device %s (replica %s): records[%zu] "
              "refused, %s: %s",
              c->batch.device, c->batch.pusher, i, rep->res[i].code,
              rep->res[i].message);
  }
  if (n > FORGED_LOG_MAX)
    log_msg(LOG_LEVEL_WARN,
            "push from device %s (replica %s): %zu more "
            "records refused as forged",
            c->batch.device, c->batch.pusher, n - FORGED_LOG_MAX);
  if (c->batch.stats.joined > 0)
    log_msg(LOG_LEVEL_INFO,
            "push from device %s (replica %s): %" PRIu64 " records taken "
            "together with pushes held aside for them (each vouching for "
            "the others' writes)",
            c->batch.device, c->batch.pusher, c->batch.stats.joined);
}

/* c's push came from a store the hub's chain for the device is not at
 * (hub_push_chain.h): refused whole, nothing merged. */
static void reply_copied(struct hub_call *c)
{
  office_seen_note(c, c->batch.device, OFFICE_SEEN_COPIED);
  log_msg(LOG_LEVEL_ERROR,
          "push from device %s (replica %s) refused: its push chain is not "
          "the one this hub holds, so another store writes as this device "
          "(a copy of its store), or this hub's store was put back from a "
          "copy without `sambang-hub restored`; enrol the copy as a device "
          "of its own (sambang export there, then sambang init and sambang "
          "import with the new enrolment)",
          c->batch.device, c->batch.pusher);
  hub_routes_reply_error(
      &c->out, PROTO_ERR_COPIED_STORE,
      "this push's chain is not the one the hub holds for this device: "
      "another store writes as this device (a copy of its store) and pushed "
      "since this one last did; nothing of this push was taken. Each store "
      "needs its own enrolment: enrol this machine as a device of its own, "
      "then move this store's records into a new store (sambang export, "
      "sambang init, sambang import)");
}

void hub_routes_push_reply(struct hub_call *c)
{
  int rc = c->batch.rc;

  hub_push_prepared_release(&c->batch);
  push_req_release(&c->push);
  if (rc != 0) {
    hub_routes_reply_store_error(&c->out, rc, &c->batch.err);
  } else if (c->batch.copied) {
    reply_copied(c);
  } else {
    log_forged(c);
    if (c->batch.chain_behind)
      log_msg(LOG_LEVEL_WARN,
              "push from device %s (replica %s): its cursor %llu is past "
              "this store's feed, so the store went back (put back from a "
              "copy without `sambang-hub restored`): the device's push chain "
              "is followed from here",
              c->batch.device, c->batch.pusher,
              (unsigned long long)c->batch.chain.since);
    c->stats = c->batch.stats;
    office_seen_note(c, c->batch.device, OFFICE_SEEN_PUSH);
    hub_routes_reply_json(&c->out, push_reply_encode(&c->batch.reply),
                          c->gzip_ok);
  }
  push_reply_release(&c->batch.reply);
}

/* c's device has a cursor past the feed: this store went back behind it,
 * and the push chain it keeps for the device with it; the device, about
 * to push all it holds again, is followed from here (hub_push_chain.h).
 * A failure leaves the push to say copied_store (logged here). */
static void forget_chain(struct hub_call *c)
{
  struct sb_err err = {0};
  int rc;

  rc = hub_store_chain_forget(hub_call_writer_lock(c), c->replica, &err);
  hub_call_writer_unlock(c);
  if (rc != 0)
    log_msg(LOG_LEVEL_ERROR, "device %s: cannot forget its push chain: %s",
            c->batch.device, err.msg);
}

/* The scope of the device c authenticated as into dev and text (its
 * stored text); a backend without scopes gives "all". */
static int device_scope(struct hub_call *c, struct scope_parts *dev, char *text,
                        size_t size, struct sb_err *err)
{
  struct hub_device d;
  int rc;

  uv_mutex_lock(c->rhs != NULL ? c->rlock : c->lock);
  rc = hub_store_device_get(c->rhs != NULL ? c->rhs : c->hs, c->batch.device,
                            &d, err);
  uv_mutex_unlock(c->rhs != NULL ? c->rlock : c->lock);
  if (rc == SB_EINVAL) /* no scopes on this backend yet */
    snprintf(d.scope, sizeof(d.scope), "all");
  else if (rc != 0)
    return rc;
  snprintf(text, size, "%s", d.scope);
  return scope_read(d.scope, dev, err);
}

/*
 * An empty scoped page that passed records out of scope: the long-poll
 * waits on from its next cursor (so it does not wake for them again).
 */
static void wait_from(struct hub_call *c, uint64_t next)
{
  char num[24];
  char *since;

  if (next <= c->q.since)
    return;
  snprintf(num, sizeof(num), "%llu", (unsigned long long)next);
  since = strdup(num);
  if (since == NULL)
    return; /* waits from the old cursor: correct, just wakes more */
  free(c->q_since);
  c->q_since = since;
  c->q.since = next;
}

/*
 * Keeps the cursor c's device asked the feed from (hub_purge.h: purge
 * waits for every device to pass a tombstone): read on the reader, written
 * on the writer only when it changed (on PostgreSQL on the reader too: one
 * statement, no transaction). A failure is logged, never the
 * device's: the horizon protects a device whose cursor is not kept.
 */
static void note_cursor(struct hub_call *c)
{
  struct hub_store *r = c->rhs != NULL ? c->rhs : c->hs;
  struct sb_err err = {0};
  uint64_t held = 0;
  bool known = false;
  int rc;

  uv_mutex_lock(c->rhs != NULL ? c->rlock : c->lock);
  rc = hub_purge_supported(r)
           ? hub_purge_cursor_get(r, c->batch.device, &held, &known, &err)
           : 1;
  uv_mutex_unlock(c->rhs != NULL ? c->rlock : c->lock);
  if (rc != 0 || (known && held == c->q.since))
    goto out;
  if (hub_purge_cursor_own_statement(r)) { /* PostgreSQL: no writer */
    uv_mutex_lock(c->rhs != NULL ? c->rlock : c->lock);
    rc = hub_purge_cursor_set(r, c->batch.device, c->q.since, &err);
    uv_mutex_unlock(c->rhs != NULL ? c->rlock : c->lock);
    goto out;
  }
  rc = hub_purge_cursor_set(hub_call_writer_lock(c), c->batch.device,
                            c->q.since, &err);
  hub_call_writer_unlock(c);
out:
  if (rc < 0)
    log_msg(LOG_LEVEL_WARN, "cursor of device %s: %s", c->batch.device,
            err.msg);
}

/*
 * Per-part cursors: a catch-up request (`parts`) reads only the parts it
 * names that the device's scope covers; *dev becomes those. False (reply
 * filled: bad_query) if `parts` is malformed, or 503 out of memory.
 */
static bool catchup_parts(struct hub_call *c, struct scope_parts *dev)
{
  struct scope_parts want;
  struct sb_err err = {0};
  int rc;

  if (c->q_parts == NULL)
    return true;
  scope_parts_init(&want);
  rc = hub_scope_parts_within(dev, c->q_parts, &want, &err);
  scope_parts_release(dev);
  *dev = want;
  if (rc == SB_ENOMEM) { /* not the device's fault */
    scope_parts_release(dev);
    reply_nomem(&c->out);
  } else if (rc != 0) {
    scope_parts_release(dev);
    hub_routes_reply_error(&c->out, PROTO_ERR_BAD_QUERY,
                           "query parameter \"parts\": %s", err.msg);
  }
  return rc == 0;
}

/* Reads the page from since on c's readers' connection, and the purge
 * horizon. */
static int read_page(struct hub_call *c, uint64_t since, unsigned limit,
                     const struct scope_parts *dev, const char *holder,
                     bool parts, bool compact, struct hub_page *page,
                     uint64_t *horizon, struct sb_err *err)
{
  struct hub_store *hs = c->rhs != NULL ? c->rhs : c->hs;
  int rc;

  uv_mutex_lock(c->rhs != NULL ? c->rlock : c->lock);
  rc = parts
           ? hub_store_changes_parts(hs, since, limit, dev, holder, page, err)
           : hub_store_changes_scoped(hs, since, limit, dev, holder, page, err);
  if (rc == 0)
    rc = hub_purge_horizon(hs, horizon, err);
  uv_mutex_unlock(c->rhs != NULL ? c->rlock : c->lock);
  /* Stores hold the compact form; a device that did not ask for it gets
   * the full one (made here, off the store's lock). */
  if (rc == 0 && !compact)
    rc = hub_page_full_form(page, err);
  return rc;
}

/* The key of the page c's device asks for from since (hub_ahead.h). */
static void ahead_key(const struct hub_call *c, uint64_t since, bool skip_own,
                      bool compact, const char *scope, struct hub_ahead_key *k)
{
  memset(k, 0, sizeof(*k));
  snprintf(k->device, sizeof(k->device), "%s", c->batch.device);
  snprintf(k->holder, sizeof(k->holder), "%s",
           skip_own && c->replica != NULL ? c->replica : "");
  snprintf(k->scope, sizeof(k->scope), "%s", scope);
  k->since = since;
  k->limit = c->q.limit;
  k->gzip_ok = c->gzip_ok;
  k->compact = compact;
}

/* After a page that says more is ready (not a catch-up's: those are
 * few): the server makes the next one ahead once this one is sent. */
static void want_ahead(struct hub_call *c, const struct hub_ahead_key *key,
                       uint64_t next)
{
  if (c->ahead == NULL || c->q_parts != NULL)
    return;
  c->ahead_next = malloc(sizeof(*c->ahead_next));
  if (c->ahead_next == NULL)
    return; /* made when asked */
  *c->ahead_next = *key;
  c->ahead_next->since = next;
}

/* The page c asks for, if it was made ahead (hub_ahead.h). */
static bool take_ahead(struct hub_call *c, const struct hub_ahead_key *key)
{
  struct hub_ahead_page made;

  if (c->ahead == NULL || c->q_parts != NULL ||
      !hub_ahead_take(c->ahead, key, c->q.wait_s == 0, &made))
    return false;
  c->out = made.out;
  c->served = made.served;
  c->last_seq = made.last_seq;
  if (made.out.page_more)
    want_ahead(c, key, made.out.page_next);
  return true;
}

bool hub_routes_changes_ahead(struct hub_call *call,
                              const struct hub_ahead_key *key,
                              struct hub_ahead_page *made)
{
  struct hub_page page;
  struct scope_parts dev;
  struct sb_err err = {0};
  uint64_t horizon = 0;
  bool keep;
  int rc;

  scope_parts_init(&dev);
  if (scope_read(key->scope, &dev, &err) != 0) {
    scope_parts_release(&dev);
    return false;
  }
  hub_store_page_init(&page);
  rc = read_page(call, key->since, key->limit, &dev,
                 key->holder[0] != '\0' ? key->holder : NULL, false,
                 key->compact, &page, &horizon, &err);
  scope_parts_release(&dev);
  /* As hub_routes_changes would not serve them: a store that went back,
   * an empty page a long-poll waits on. */
  keep = rc == 0 && key->since <= page.last_seq && (page.n > 0 || page.more);
  if (keep) {
    memset(made, 0, sizeof(*made));
    reply_page(&made->out, &page, key->scope, horizon, key->gzip_ok);
    made->served = page.n;
    made->last_seq = page.last_seq;
  }
  hub_store_page_release(&page);
  return keep;
}

void hub_routes_changes(struct hub_call *c)
{
  struct hub_page page;
  struct scope_parts dev;
  struct hub_ahead_key key;
  char scope[SCOPE_TEXT_MAX + 1];
  struct sb_err err = {0};
  uint64_t horizon = 0;
  bool skip_own = false, compact = false;
  int rc;

  if (!hub_routes_authenticate(c))
    return;
  rc = changes_query_parse(&c->q, c->q_since, c->q_limit, c->q_wait, &err);
  if (rc == 0)
    rc = changes_query_skip_own(c->q_skip_own, &skip_own, &err);
  if (rc == 0)
    rc = changes_query_form(c->q_form, &compact, &err);
  if (rc != 0) {
    hub_routes_reply_error(&c->out, PROTO_ERR_BAD_QUERY, "%s", err.msg);
    return;
  }
  if (c->q_parts == NULL) /* a catch-up's since is not the device's cursor */
    note_cursor(c);
  scope_parts_init(&dev);
  rc = device_scope(c, &dev, scope, sizeof(scope), &err);
  if (rc != 0) {
    hub_routes_reply_store_error(&c->out, rc, &err);
    return;
  }
  if (!catchup_parts(c, &dev))
    return;
  ahead_key(c, c->q.since, skip_own, compact, scope, &key);
  if (take_ahead(c, &key)) {
    scope_parts_release(&dev);
    return;
  }
  hub_store_page_init(&page);
  rc = read_page(c, c->q.since, c->q.limit, &dev, skip_own ? c->replica : NULL,
                 c->q_parts != NULL, compact, &page, &horizon, &err);
  scope_parts_release(&dev);
  if (rc != 0) {
    hub_routes_reply_store_error(&c->out, rc, &err);
    return;
  }
  c->last_seq = page.last_seq;
  /* A cursor the feed never reached: the store went back (daemon/hub/
   * DESIGN.md, "Restoring from a copy"). Serving it would leave the
   * device waiting for numbers it would then skip. */
  if (c->q.since > page.last_seq) {
    log_msg(LOG_LEVEL_ERROR,
            "device %s asks for changes after %llu, past the newest this "
            "store holds (%llu): it was put back from a copy; run "
            "`sambang-hub restored` with the hubs stopped",
            c->batch.device, (unsigned long long)c->q.since,
            (unsigned long long)page.last_seq);
    forget_chain(c);
    hub_routes_reply_error(&c->out, PROTO_ERR_CURSOR_AHEAD,
                           "changes after %llu were asked, but this hub's "
                           "store holds none past %llu: it went back",
                           (unsigned long long)c->q.since,
                           (unsigned long long)page.last_seq);
    hub_store_page_release(&page);
    return;
  }
  if (page.n == 0 && !page.more && c->q.wait_s > 0) {
    wait_from(c, page.next);
    c->wait_for_change = true;
  } else {
    c->served = page.n;
    reply_page(&c->out, &page, scope, horizon, c->gzip_ok);
    if (page.more)
      want_ahead(c, &key, page.next);
  }
  hub_store_page_release(&page);
}

void hub_routes_health(struct hub_call *c)
{
  struct sb_err err = {0};
  uint64_t seq, avail, size;
  int rc;

  uv_mutex_lock(c->rhs != NULL ? c->rlock : c->lock);
  rc = hub_store_last_seq(c->rhs != NULL ? c->rhs : c->hs, &seq, &err);
  /* A store marked corrupt (by a page that failed, or the check at
   * start) answers 503 even where this probe's pages read fine. */
  if (rc == 0)
    rc = hub_store_check(c->rhs != NULL ? c->rhs : c->hs, STORE_CHECK_MARK, 0,
                         NULL, NULL, NULL, &err);
  uv_mutex_unlock(c->rhs != NULL ? c->rlock : c->lock);
  if (rc != 0) {
    c->out.retry_after = RETRY_FAILED_S;
    hub_routes_reply_error(&c->out, PROTO_ERR_UNAVAILABLE,
                           "the store is not usable: %s", err.msg);
    return;
  }
  /* Every push would fail "disk full": say so here too (hub_disk.h). */
  if (hub_disk_room(hub_store_path(c->hs), &avail, &size) &&
      avail < HUB_DISK_FULL_BYTES) {
    c->out.retry_after = RETRY_FAILED_S;
    hub_routes_reply_error(&c->out, PROTO_ERR_UNAVAILABLE,
                           "the store's disk is full: %" PRIu64
                           " bytes left of %" PRIu64 " (below %u)",
                           avail, size, HUB_DISK_FULL_BYTES);
    return;
  }
  hub_routes_reply_json(&c->out, strdup("{\"status\":\"ok\"}"), false);
}
