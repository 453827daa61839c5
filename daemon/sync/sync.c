/*
 * sync.c - the field replica's sync engine (see sync.h for the contract).
 *
 * A small state machine on the loop:
 *
 *   start_cycle -> push_next (batches of pending rows) -> pull_next (pages
 *   until "more" is false) -> cycle_done -> listen (long-poll) -> ...
 *
 * Any failure goes to attempt_failed, which backs off (or halts on
 * 401/403, or ends a once-mode run). Store work is synchronous and each
 * step is one transaction, so stopping between steps never leaves a
 * half-applied batch.
 */
#include "compat.h"

#include "sync.h"

#include "buf.h"
#include "hlc.h"
#include "proto.h"
#include "sync_http.h"
#include "update.h"
#include "uuid.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURSOR_KEY "pull_cursor"

/* A pushed row: what to ack or reject when the hub answers. */
struct batch_key {
  char collection[SB_NAME_MAX + 1];
  char id[SB_ID_MAX + 1];
  uint64_t seq;
};

struct sync {
  uv_loop_t *loop;
  struct store *store;
  struct sync_config cfg;
  struct sync_http *http; /* pushes and the pulls of a cycle */
  struct sync_http *poll; /* the long-poll, kept open while a cycle runs */
  unsigned closing;       /* handles still to close after sync_stop */
  uv_timer_t retry;
  char *base; /* cfg.server without a trailing '/' */

  enum sync_phase phase;
  sync_event_fn fn;
  void *ctx;

  uint64_t cycle, cycles_done;
  bool again;    /* another cycle was asked for while one runs */
  bool in_cycle; /* pushing and pulling (not listening, waiting, halted) */
  bool polling;  /* a long-poll is in flight */
  uint64_t cycle_pushed, cycle_pulled;
  uint64_t total_pushed, total_pulled;
  uint64_t wire_up, wire_down, json_up, json_down;
  uint64_t cursor;     /* every change up to it is merged here */
  uint64_t pull_since; /* the cursor the pull in flight asked from */
  uint64_t poll_since; /* the cursor the long-poll in flight asked from */

  /* the push in flight */
  struct batch_key *keys;
  size_t nkeys, cap_keys;
  uint64_t push_after; /* rows up to this seq were sent this cycle */
  unsigned batch_now;  /* shrinks when the hub finds a batch too large */
  struct buf body;

  bool online;
  unsigned failures;
  int64_t last_success_ms, next_retry_ms;
  char last_error[SB_ERR_MSG_MAX];
  uint64_t rng;
  bool stopping;
};

static void start_cycle(struct sync *s);
static void push_next(struct sync *s);
static void pull_next(struct sync *s, uint64_t since);
static void listen_next(struct sync *s);

static void emit(struct sync *s, enum sync_event ev)
{
  if (s->fn != NULL && (!s->stopping || ev == SYNC_EV_STOPPED))
    s->fn(s, ev, s->ctx);
}

/* xorshift64*: jitter needs no more than this. */
static uint64_t next_random(struct sync *s)
{
  s->rng ^= s->rng >> 12;
  s->rng ^= s->rng << 25;
  s->rng ^= s->rng >> 27;
  return s->rng * 2685821657736338717ULL;
}

/* Full jitter: uniform in [0, min(cap, min * 2^failures)], at least min. */
static uint64_t backoff_ms(struct sync *s)
{
  uint64_t ceiling = s->cfg.backoff_min_ms;
  unsigned i;

  for (i = 1; i < s->failures && ceiling < s->cfg.backoff_cap_ms; i++)
    ceiling *= 2;
  if (ceiling > s->cfg.backoff_cap_ms)
    ceiling = s->cfg.backoff_cap_ms;
  ceiling = next_random(s) % (ceiling + 1);
  return ceiling < s->cfg.backoff_min_ms ? s->cfg.backoff_min_ms : ceiling;
}

static void retry_fired(uv_timer_t *t)
{
  struct sync *s = t->data;

  s->next_retry_ms = 0;
  start_cycle(s);
}

/*
 * The attempt failed: record why, then back off (retry_after_s >= 0: the
 * hub's Retry-After), halt (credentials refused) or, in once mode, end.
 */
static void attempt_failed(struct sync *s, bool online, bool halt,
                           int64_t retry_after_s, const char *fmt, ...)
{
  va_list ap;
  uint64_t delay;

  if (s->stopping)
    return;
  va_start(ap, fmt);
  vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
  va_end(ap);
  s->online = online;
  s->in_cycle = false;
  s->failures++;
  s->nkeys = 0;
  if (halt) {
    s->phase = SYNC_HALTED;
    emit(s, SYNC_EV_HALTED);
    return;
  }
  if (s->cfg.once) {
    s->phase = SYNC_IDLE;
    emit(s, SYNC_EV_FAILED);
    return;
  }
  delay = backoff_ms(s);
  if (retry_after_s >= 0) {
    uint64_t hub = (uint64_t)retry_after_s * 1000;
    delay = hub > s->cfg.backoff_cap_ms ? s->cfg.backoff_cap_ms : hub;
    if (delay < s->cfg.backoff_min_ms)
      delay = s->cfg.backoff_min_ms;
  }
  s->phase = SYNC_BACKOFF;
  s->next_retry_ms = (int64_t)(hlc_wall_ms() + delay);
  uv_timer_start(&s->retry, retry_fired, delay, 0);
  emit(s, SYNC_EV_FAILED);
}

/* The hub's error envelope from an error reply, or a generic one (code
 * PROTO_ERR_UNKNOWN named "http_STATUS", no record) if the body is not
 * one, e.g. a proxy's page. */
static void reply_error(const struct http_reply *r, struct proto_error *e)
{
  if (error_decode(e, r->body, r->len, NULL) != 0) {
    e->code = PROTO_ERR_UNKNOWN;
    e->record = -1;
    snprintf(e->name, sizeof(e->name), "http_%ld", r->status);
    snprintf(e->message, sizeof(e->message), "HTTP status %ld", r->status);
  }
}

/*
 * A reply that is not 200: decides between halting and backing off.
 * Returns true if it was handled (the caller stops).
 */
static bool reply_failed(struct sync *s, const struct http_reply *r,
                         const char *what)
{
  struct proto_error e;

  if (r->status == 0) {
    attempt_failed(s, false, false, -1, "%s: hub unreachable: %s", what,
                   r->error);
    return true;
  }
  if (r->status == 200)
    return false;
  reply_error(r, &e);
  attempt_failed(s, true, r->status == 401 || r->status == 403,
                 r->retry_after_s, "%s: hub answered %ld %s: %s", what,
                 r->status, e.name, e.message);
  return true;
}

/* Starts an exchange with the hub; a local failure fails the attempt. */
static void exchange(struct sync *s, struct sync_http *channel,
                     const char *method, const char *path, const char *body,
                     size_t len, long timeout_s, http_done_fn done)
{
  char url[2048];
  struct http_request rq = {
      .method = method,
      .url = url,
      .token = s->cfg.token,
      .replica = store_replica(s->store),
      .ca_file = s->cfg.ca_file,
      .body = body,
      .len = len,
      .gzip = s->cfg.gzip,
      .connect_timeout_s = (long)s->cfg.connect_timeout_s,
      .timeout_s = timeout_s,
  };
  int rc;

  snprintf(url, sizeof(url), "%s%s", s->base, path);
  rc = sync_http_start(channel, &rq, done, s);
  if (rc != 0)
    attempt_failed(s, false, false, -1, "cannot start a request to %s: %s", url,
                   sb_err_str(rc));
}

/* Counts an exchange's bytes, on the wire and as JSON. */
static void count_bytes(struct sync *s, const struct http_reply *r)
{
  s->wire_up += r->bytes_up;
  s->json_up += r->json_up;
  s->wire_down += r->bytes_down;
  s->json_down += r->len;
}

/* --- push ---------------------------------------------------------------- */

/* A rejection as kept in the store: {"code":...,"message":...}. */
static char *reason_encode(const char *code, const char *message)
{
  cJSON *j = cJSON_CreateObject();
  char *text = NULL;

  if (j != NULL && cJSON_AddStringToObject(j, "code", code) != NULL &&
      cJSON_AddStringToObject(j, "message", message) != NULL)
    text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return text;
}

static int collect_row(const char *coll, const char *id, uint64_t seq,
                       const char *text, size_t len, void *ctx)
{
  struct sync *s = ctx;
  struct batch_key *k;

  if (s->nkeys == s->cap_keys) {
    size_t cap = s->cap_keys == 0 ? 64 : s->cap_keys * 2;
    k = realloc(s->keys, cap * sizeof(*k));
    if (k == NULL)
      return SB_ENOMEM;
    s->keys = k;
    s->cap_keys = cap;
  }
  k = &s->keys[s->nkeys++];
  snprintf(k->collection, sizeof(k->collection), "%s", coll);
  snprintf(k->id, sizeof(k->id), "%s", id);
  k->seq = seq;
  if (s->nkeys > 1 && buf_add(&s->body, ",", 1) != 0)
    return SB_ENOMEM;
  return buf_add(&s->body, text, len);
}

/* Applies the hub's per-record answers in one transaction. */
static int apply_results(struct sync *s, const struct push_reply *rep,
                         struct sb_err *err)
{
  size_t i;
  int rc;

  if (rep->n != s->nkeys)
    return sb_err_set(err, SB_EPROTOCOL,
                      "push reply has %zu results for %zu records", rep->n,
                      s->nkeys);
  rc = store_begin_relaxed(s->store, err);
  for (i = 0; rc == 0 && i < rep->n; i++) {
    const struct push_result *res = &rep->res[i];
    const struct batch_key *k = &s->keys[i];

    if (strcmp(res->collection, k->collection) != 0 ||
        strcmp(res->id, k->id) != 0) {
      rc = sb_err_set(err, SB_EPROTOCOL,
                      "push reply result %zu is for %s/%s, not %s/%s", i,
                      res->collection, res->id, k->collection, k->id);
    } else if (res->ok) {
      rc = store_ack(s->store, k->collection, k->id, k->seq, err);
      s->cycle_pushed++;
      s->total_pushed++;
    } else if (proto_err_parse(res->code) == PROTO_ERR_FUTURE_TIMESTAMP) {
      /* Clears once the hub's clock catches up: stays pending, is sent
       * again next cycle (not this one: push_after is past it). */
    } else {
      char *reason = reason_encode(res->code, res->message);
      rc = reason == NULL ? sb_err_set(err, SB_ENOMEM, NULL)
                          : store_reject(s->store, k->collection, k->id, k->seq,
                                         reason, err);
      free(reason);
    }
  }
  if (rc == 0)
    return store_commit(s->store, err);
  store_rollback(s->store);
  return rc;
}

/* The only row of a batch was refused whole: keep the hub's reason. */
static int reject_single(struct sync *s, const struct http_reply *r,
                         struct sb_err *err)
{
  struct proto_error e;
  char *reason;
  int rc;

  reply_error(r, &e);
  reason = reason_encode(e.name, e.message);
  if (reason == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = store_begin_relaxed(s->store, err);
  if (rc == 0)
    rc = store_reject(s->store, s->keys[0].collection, s->keys[0].id,
                      s->keys[0].seq, reason, err);
  if (rc == 0)
    rc = store_commit(s->store, err);
  else
    store_rollback(s->store);
  free(reason);
  return rc;
}

/* True if a whole-batch refusal is for a record of it (PROTOCOL.md): the
 * envelope's "record" names one, or the batch is too large (413, whoever
 * said it) or forged (a hub that predates "record"). */
static bool record_refusal(const struct http_reply *r)
{
  struct proto_error e;

  if (r->status == 200 || r->status == 0)
    return false;
  if (r->status == 413)
    return true;
  reply_error(r, &e);
  return e.record >= 0 || e.code == PROTO_ERR_TOO_LARGE ||
         e.code == PROTO_ERR_FORGED_DOT;
}

static void push_done(const struct http_reply *r, void *ctx)
{
  struct sync *s = ctx;
  struct push_reply rep;
  struct sb_err err = {0};
  uint64_t last = s->nkeys > 0 ? s->keys[s->nkeys - 1].seq : s->push_after;
  int rc;

  count_bytes(s, r);
  /* A batch refused whole for a record in it (too large, a malformed or
   * forged state) is split until the one record at fault is found; that
   * one is kept as rejected. Other refusals fail the attempt. */
  if (record_refusal(r)) {
    if (s->nkeys > 1) {
      s->batch_now = (unsigned)(s->nkeys / 2);
      push_next(s);
      return;
    }
    if (s->nkeys == 1) {
      rc = reject_single(s, r, &err);
      if (rc != 0) {
        attempt_failed(s, true, false, -1, "push: %s", err.msg);
        return;
      }
      s->push_after = last;
      s->batch_now = s->cfg.batch;
      emit(s, SYNC_EV_PROGRESS);
      push_next(s);
      return;
    }
  }
  if (reply_failed(s, r, "push"))
    return;
  push_reply_init(&rep);
  rc = push_reply_decode(&rep, r->body, r->len, &err);
  if (rc == 0)
    rc = apply_results(s, &rep, &err);
  push_reply_release(&rep);
  if (rc != 0) {
    attempt_failed(s, true, false, -1, "push: %s", err.msg);
    return;
  }
  s->online = true;
  s->push_after = last;
  emit(s, SYNC_EV_PROGRESS);
  push_next(s);
}

/* Sends the next batch of pending rows, or moves on to pulling. */
static void push_next(struct sync *s)
{
  struct sb_err err = {0};
  int rc;

  if (s->stopping)
    return;
  s->phase = SYNC_PUSH;
  s->nkeys = 0;
  buf_reset(&s->body);
  buf_adds(&s->body, "{\"records\":[");
  rc = store_pending_text(s->store, s->push_after, s->batch_now, collect_row, s,
                          &err);
  if (rc == SB_ENOMEM)
    sb_err_set(&err, rc, "out of memory reading local changes");
  if (rc == 0 && buf_adds(&s->body, "]}") != 0)
    rc = sb_err_set(&err, SB_ENOMEM, "out of memory building a push");
  if (rc != 0) {
    attempt_failed(s, s->online, false, -1, "reading local changes: %s",
                   err.msg);
    return;
  }
  if (s->nkeys == 0) {
    pull_next(s, s->cursor);
    return;
  }
  exchange(s, s->http, "POST", PROTO_VERSION_PATH "/push", s->body.p,
           s->body.len, (long)s->cfg.timeout_s, push_done);
}

/* --- pull ---------------------------------------------------------------- */

/* The local store for update_apply: a pulled state keeps the row's
 * pending and rejected marks (store_put_remote). */
static int remote_load(void *ctx, const char *collection, const char *id,
                       char **text, size_t *len, uint64_t *seq,
                       struct sb_err *err)
{
  struct sync *s = ctx;
  return store_get_text(s->store, collection, id, text, len, seq, err);
}

static int remote_save(void *ctx, const struct record *r, const char *text,
                       size_t len, uint64_t *seq, struct sb_err *err)
{
  struct sync *s = ctx;
  *seq = 0;
  return store_put_remote(s->store, r, text, len, err);
}

/* Merges one remote state into the store (inside a transaction). */
static int merge_remote(struct sync *s, const struct record *remote,
                        struct sb_err *err)
{
  struct update_io io = {"the local store", remote_load, remote_save, NULL, s};
  struct update_change ch = {UPDATE_MERGE, NULL, NULL, remote};
  struct update_result res;
  char *reason;
  int rc;

  store_observe(s->store, record_max_ts(remote));
  /* An echo of what we have changes nothing and is not written. */
  rc = update_apply(&io, remote->collection, remote->id, &ch, NULL, &res, err);
  /* A merge this store cannot hold (over 1 MiB, or a local row that does
   * not decode) must not stop the feed: the local row keeps its state,
   * marked with why, and the page goes on. Nothing was written for it. */
  if (res.existed &&
      (rc == SB_ETOOBIG || rc == SB_ECORRUPT || rc == SB_EINVAL)) {
    reason = reason_encode(proto_err_name(PROTO_ERR_MERGE_FAILED), err->msg);
    rc = reason == NULL ? sb_err_set(err, SB_ENOMEM, NULL)
                        : store_reject(s->store, remote->collection, remote->id,
                                       res.seq, reason, err);
    free(reason);
  }
  return rc;
}

/* Merges a page and moves the cursor, in one transaction. */
static int apply_page(struct sync *s, const struct changes_page *p,
                      struct sb_err *err)
{
  char cursor[32];
  size_t i;
  int rc;

  /* A page that ends at or before the cursor holds only changes merged
   * already (the other channel's page got there first). */
  if (p->next <= s->cursor)
    return 0;
  rc = store_begin_relaxed(s->store, err);
  for (i = 0; rc == 0 && i < p->n; i++)
    rc = merge_remote(s, &p->c[i].rec, err);
  snprintf(cursor, sizeof(cursor), "%llu", (unsigned long long)p->next);
  if (rc == 0)
    rc = store_meta_set(s->store, CURSOR_KEY, cursor, err);
  if (rc == 0)
    rc = store_commit(s->store, err);
  else
    store_rollback(s->store);
  if (rc == 0)
    s->cursor = p->next;
  return rc;
}

static void cycle_done(struct sync *s)
{
  s->in_cycle = false;
  s->cycles_done++;
  s->failures = 0;
  s->last_error[0] = '\0';
  s->last_success_ms = (int64_t)hlc_wall_ms();
  emit(s, SYNC_EV_CYCLE_DONE);
  if (s->stopping)
    return;
  if (s->again) {
    s->again = false;
    start_cycle(s);
  } else if (s->cfg.once) {
    s->phase = SYNC_IDLE;
  } else {
    listen_next(s);
  }
}

/* After a listening pull: local changes that no notice reported. */
static int found_row(const char *coll, const char *id, uint64_t seq,
                     const char *text, size_t len, void *ctx)
{
  (void)coll;
  (void)id;
  (void)seq;
  (void)text;
  (void)len;
  *(bool *)ctx = true;
  return 0;
}

static bool have_pending(struct sync *s)
{
  bool found = false;

  /* One row through the partial index of pending rows: cheap. */
  store_pending_text(s->store, 0, 1, found_row, &found, NULL);
  return found;
}

/* Decodes a changes page asked from since; SB_EPROTOCOL if it goes back. */
static int page_decode(struct changes_page *page, const struct http_reply *r,
                       uint64_t since, struct sb_err *err)
{
  int rc = changes_page_decode(page, r->body, r->len, err);

  if (rc == 0 && page->next < since)
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "pull reply moves the cursor back from %llu to %llu",
                    (unsigned long long)since, (unsigned long long)page->next);
  return rc;
}

/* Counts a merged page and tells the listener. */
static void page_merged(struct sync *s, const struct changes_page *page)
{
  s->online = true;
  s->cycle_pulled += page->n;
  s->total_pulled += page->n;
  if (page->n > 0)
    emit(s, SYNC_EV_PROGRESS);
}

/*
 * A page of the cycle arrived. When the hub says more is ready, the next
 * page is asked for before this one is merged, so the hub serves it while
 * we write: the request names this page's `next`, which is committed with
 * the page; if the merge fails, that request is dropped.
 */
static void pull_done(const struct http_reply *r, void *ctx)
{
  struct sync *s = ctx;
  struct changes_page page;
  struct sb_err err = {0};
  bool tried = false, ahead = false;
  int rc;

  count_bytes(s, r);
  if (reply_failed(s, r, "pull"))
    return;
  changes_page_init(&page);
  rc = page_decode(&page, r, s->pull_since, &err);
  if (rc == 0 && page.more && !s->again && page.next > s->cursor) {
    tried = true;
    pull_next(s, page.next);
    ahead = s->phase == SYNC_PULL && sync_http_busy(s->http);
  }
  if (rc == 0)
    rc = apply_page(s, &page, &err);
  if (rc != 0) {
    changes_page_release(&page);
    if (ahead)
      sync_http_abort(s->http);
    if (ahead || !tried) /* else the request ahead failed already */
      attempt_failed(s, true, false, -1, "pull: %s", err.msg);
    return;
  }
  page_merged(s, &page);
  if (tried || s->stopping)
    ; /* the next page is on its way (or its request failed already) */
  else if (page.more)
    pull_next(s, s->cursor);
  else
    cycle_done(s);
  changes_page_release(&page);
}

/* Asks for the cycle's page after since. */
static void pull_next(struct sync *s, uint64_t since)
{
  char path[128];

  if (s->stopping)
    return;
  s->phase = SYNC_PULL;
  s->pull_since = since;
  snprintf(path, sizeof(path),
           PROTO_VERSION_PATH "/changes?since=%llu&limit=%u",
           (unsigned long long)since, s->cfg.page);
  exchange(s, s->http, "GET", path, NULL, 0, (long)s->cfg.timeout_s, pull_done);
}

/*
 * The long-poll answered. Its page is merged (if the cycle did not get
 * there first); then, between cycles, news or local changes start a
 * cycle, and otherwise the poll is asked again. During a cycle, the
 * cycle's end asks it again.
 */
static void poll_done(const struct http_reply *r, void *ctx)
{
  struct sync *s = ctx;
  struct changes_page page;
  struct sb_err err = {0};
  int rc;

  s->polling = false;
  count_bytes(s, r);
  /* A running cycle meets the same trouble itself (and asks the poll
   * again when it ends); a scheduled retry or a halt stands. */
  if (r->status != 200 && (s->in_cycle || s->phase != SYNC_LISTEN))
    return;
  if (reply_failed(s, r, "long-poll"))
    return;
  changes_page_init(&page);
  rc = page_decode(&page, r, s->poll_since, &err);
  if (rc == 0)
    rc = apply_page(s, &page, &err);
  if (rc != 0) {
    changes_page_release(&page);
    if (!s->in_cycle)
      attempt_failed(s, true, false, -1, "long-poll: %s", err.msg);
    return;
  }
  page_merged(s, &page);
  if (!s->in_cycle && !s->stopping) {
    if (page.more || s->again || s->phase == SYNC_BACKOFF || have_pending(s))
      start_cycle(s);
    else
      listen_next(s);
  }
  changes_page_release(&page);
}

/* Long-polls the feed from the cursor (on its own connection). */
static void listen_next(struct sync *s)
{
  char path[128];

  if (s->stopping)
    return;
  if (!s->in_cycle && s->phase != SYNC_BACKOFF)
    s->phase = SYNC_LISTEN;
  if (s->polling)
    return;
  s->polling = true;
  s->poll_since = s->cursor;
  snprintf(path, sizeof(path),
           PROTO_VERSION_PATH "/changes?since=%llu&limit=%u&wait=%u",
           (unsigned long long)s->cursor, s->cfg.page, s->cfg.wait_s);
  exchange(s, s->poll, "GET", path, NULL, 0,
           (long)(s->cfg.timeout_s + s->cfg.wait_s), poll_done);
  if (!sync_http_busy(s->poll))
    s->polling = false; /* it could not start (the attempt failed) */
}

/* --- cycles and control --------------------------------------------------- */

static void start_cycle(struct sync *s)
{
  if (s->stopping)
    return;
  uv_timer_stop(&s->retry);
  s->next_retry_ms = 0;
  s->again = false;
  s->in_cycle = true;
  s->cycle++;
  s->cycle_pushed = 0;
  s->cycle_pulled = 0;
  s->push_after = 0;
  s->batch_now = s->cfg.batch;
  push_next(s);
}

/* Loads the pull cursor saved with the last merged page. */
static int load_cursor(struct sync *s, struct sb_err *err)
{
  char *text = NULL, *end;
  unsigned long long v;
  int rc = store_meta_get(s->store, CURSOR_KEY, &text, err);

  s->cursor = 0;
  if (rc == SB_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  errno = 0;
  v = strtoull(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0)
    rc = sb_err_set(err, SB_ECORRUPT, "store has a bad pull cursor \"%.40s\"",
                    text);
  else
    s->cursor = (uint64_t)v;
  free(text);
  return rc;
}

/* s->base from cfg.server. */
static int set_base(struct sync *s, struct sb_err *err)
{
  size_t n = strlen(s->cfg.server);
  char *b;

  while (n > 0 && s->cfg.server[n - 1] == '/')
    n--;
  b = malloc(n + 1);
  if (b == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  memcpy(b, s->cfg.server, n);
  b[n] = '\0';
  free(s->base);
  s->base = b;
  return 0;
}

int sync_new(uv_loop_t *loop, struct store *store,
             const struct sync_config *cfg, struct sync **out,
             struct sb_err *err)
{
  struct sync *s;
  int rc;

  *out = NULL;
  rc = sync_config_check(cfg, err);
  if (rc != 0)
    return rc;
  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  s->loop = loop;
  s->store = store;
  buf_init(&s->body);
  sync_config_init(&s->cfg);
  rc = sync_config_copy(&s->cfg, cfg, err);
  if (rc == 0)
    rc = set_base(s, err);
  if (rc == 0)
    rc = load_cursor(s, err);
  if (rc == 0 && uuid_rand_bytes(&s->rng, sizeof(s->rng)) != 0)
    rc = sb_err_set(err, SB_EIO, "no randomness from the OS");
  s->rng |= 1;
  if (rc == 0 && ((s->http = sync_http_new(loop)) == NULL ||
                  (s->poll = sync_http_new(loop)) == NULL))
    rc = sb_err_set(err, SB_ENOMEM, "cannot set up libcurl");
  if (rc != 0) {
    /* A transport made already goes once the loop runs its close. */
    if (s->http != NULL)
      sync_http_close(s->http, NULL, NULL);
    sync_config_release(&s->cfg);
    free(s->base);
    free(s);
    return rc;
  }
  uv_timer_init(loop, &s->retry);
  s->retry.data = s;
  s->phase = SYNC_IDLE;
  *out = s;
  return 0;
}

void sync_set_listener(struct sync *s, sync_event_fn fn, void *ctx)
{
  s->fn = fn;
  s->ctx = ctx;
}

void sync_start(struct sync *s)
{
  start_cycle(s);
}

uint64_t sync_now(struct sync *s)
{
  switch (s->phase) {
  case SYNC_PUSH:
  case SYNC_PULL:
    s->again = true;
    return s->cycle + 1;
  case SYNC_LISTEN: /* the long-poll stays open beside the new cycle */
  case SYNC_IDLE:
  case SYNC_BACKOFF:
  case SYNC_HALTED:
    start_cycle(s);
    return s->cycle;
  case SYNC_STOPPED:
    break;
  }
  return s->cycle;
}

void sync_notify(struct sync *s)
{
  if (s->phase != SYNC_BACKOFF && s->phase != SYNC_HALTED)
    sync_now(s);
}

int sync_reconfigure(struct sync *s, const struct sync_config *cfg,
                     struct sb_err *err)
{
  struct sync_config copy;
  int rc = sync_config_check(cfg, err);

  if (rc != 0)
    return rc;
  sync_config_init(&copy);
  rc = sync_config_copy(&copy, cfg, err);
  if (rc != 0)
    return rc;
  sync_config_release(&s->cfg);
  s->cfg = copy;
  rc = set_base(s, err);
  if (rc == 0 && s->phase == SYNC_HALTED)
    start_cycle(s);
  return rc;
}

void sync_status_quick(struct sync *s, struct sync_status *out)
{
  memset(out, 0, sizeof(*out));
  out->phase = s->phase;
  out->online = s->online;
  out->cycle = s->cycle;
  out->cycles_done = s->cycles_done;
  out->cycle_pushed = s->cycle_pushed;
  out->cycle_pulled = s->cycle_pulled;
  out->cursor = s->cursor;
  out->last_success_ms = s->last_success_ms;
  out->next_retry_ms = s->next_retry_ms;
  out->failures = s->failures;
  out->total_pushed = s->total_pushed;
  out->total_pulled = s->total_pulled;
  out->wire_up = s->wire_up;
  out->wire_down = s->wire_down;
  out->json_up = s->json_up;
  out->json_down = s->json_down;
  snprintf(out->last_error, sizeof(out->last_error), "%s", s->last_error);
}

int sync_status_get(struct sync *s, struct sync_status *out, struct sb_err *err)
{
  struct store_counts n;
  int rc = store_count(s->store, NULL, &n, err);

  sync_status_quick(s, out);
  if (rc == 0) {
    out->pending = n.pending;
    out->rejected = n.rejected;
    out->conflicts = n.conflicted;
  }
  return rc;
}

static void closed_retry(uv_handle_t *h)
{
  struct sync *s = h->data;
  s->phase = SYNC_STOPPED;
  emit(s, SYNC_EV_STOPPED);
}

/* Each transport closed; the retry timer goes last. */
static void closed_http(void *ctx)
{
  struct sync *s = ctx;
  if (--s->closing == 0) {
    s->http = s->poll = NULL;
    uv_close((uv_handle_t *)&s->retry, closed_retry);
  }
}

void sync_stop(struct sync *s)
{
  if (s->stopping)
    return;
  s->stopping = true;
  uv_timer_stop(&s->retry);
  s->closing = 2;
  sync_http_close(s->http, closed_http, s);
  sync_http_close(s->poll, closed_http, s);
}

void sync_free(struct sync *s)
{
  if (s == NULL)
    return;
  sync_config_release(&s->cfg);
  buf_release(&s->body);
  free(s->keys);
  free(s->base);
  free(s);
}
