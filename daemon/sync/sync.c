/*
 * sync.c - the field replica's sync engine (see sync.h for the contract).
 *
 * A small state machine on the loop:
 *
 *   sync_start_cycle -> sync_push_next (batches of pending rows) ->
 *   sync_pull_next (pages until "more" is false) -> sync_cycle_done ->
 *   sync_pull_listen_next (long-poll) -> ...
 *
 * Any failure goes to sync_attempt_failed, which backs off (or halts on
 * 401/403, or ends a once-mode run). Store work is synchronous and each
 * step is one transaction, so stopping between steps never leaves a
 * half-applied batch.
 *
 * This file holds the engine's life cycle, cycle scheduling, back-off and
 * the exchange helpers; pushing is in sync_push.c, pulling and the
 * long-poll in sync_pull.c (shared declarations: sync_int.h).
 */
#include "compat.h"

#include "sync.h"
#include "sync_int.h"

#include "buf.h"
#include "exitcode.h"
#include "hlc.h"
#include "i18n.h"
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

void sync_emit(struct sync *s, enum sync_event ev)
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
  sync_start_cycle(s);
}

/* One setting in a relaxed transaction of its own (sync_int.h). */
int sync_meta_put(struct sync *s, const char *key, const char *value,
                  struct sb_err *err)
{
  int rc = store_begin_relaxed(s->store, err);

  if (rc == 0)
    rc = value != NULL ? store_meta_set(s->store, key, value, err)
                       : store_meta_delete(s->store, key, err);
  if (rc == 0)
    return store_commit(s->store, err);
  store_rollback(s->store);
  return rc;
}

/* Keeps why the engine halted as the store's last sync problem, so
 * `sambang status` says it when no daemon runs (the next cycle that
 * completes replaces it). Best effort: the halt stands without it. */
static void save_halt(struct sync *s)
{
  struct sb_err err = {0};

  (void)sync_meta_put(s, SYNC_PROBLEM_KEY, s->last_error, &err);
}

/*
 * The attempt failed (s->failing says how): back off (retry_after_s >= 0:
 * the hub's Retry-After), halt (credentials refused, another store writes
 * as this device) or, in once mode, end.
 */
static void fail_now(struct sync *s)
{
  int64_t retry_after_s = s->failing.retry_after_s;
  uint64_t delay;

  s->failing.on = false;
  s->last_code = s->failing.code;
  s->online = s->failing.online;
  s->in_cycle = false;
  s->failures++;
  sync_push_reset(s);
  sync_chain_unsent(s);
  if (s->failing.halt) {
    save_halt(s);
    s->phase = SYNC_HALTED;
    sync_emit(s, SYNC_EV_HALTED);
    return;
  }
  if (s->cfg.once) {
    s->phase = SYNC_IDLE;
    sync_emit(s, SYNC_EV_FAILED);
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
  sync_emit(s, SYNC_EV_FAILED);
}

/*
 * The attempt failed: record why (and code, the SB_E* code of a failure
 * of the device's own store, else 0), then fail_now.
 *
 * While other push batches are at the hub, the failure waits for their
 * answers (sync_push_drained): the hub stores a batch before it answers,
 * so an answer thrown away would leave its rows pending, to be sent again.
 * The first failure is the one kept, unless a later one halts (the hub
 * refused the device's credentials): retrying after a back-off cannot
 * mend that, and the user must be told to re-enrol now.
 */
static void attempt_failed_v(struct sync *s, int code, bool online, bool halt,
                             int64_t retry_after_s, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
static void attempt_failed_v(struct sync *s, int code, bool online, bool halt,
                             int64_t retry_after_s, const char *fmt, va_list ap)
{
  if (s->stopping)
    return;
  if (!s->failing.on || (halt && !s->failing.halt)) {
    vsnprintf(s->last_error, sizeof(s->last_error), i18n_text(fmt), ap);
    s->failing.on = true;
    s->failing.code = code;
    s->failing.online = online;
    s->failing.halt = halt;
    s->failing.retry_after_s = retry_after_s;
  }
  if (s->push_busy == 0)
    fail_now(s);
}

void sync_push_drained(struct sync *s)
{
  if (s->failing.on && s->push_busy == 0 && !s->stopping)
    fail_now(s);
}

void sync_attempt_failed(struct sync *s, bool online, bool halt,
                         int64_t retry_after_s, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  attempt_failed_v(s, 0, online, halt, retry_after_s, fmt, ap);
  va_end(ap);
}

void sync_failed_with(struct sync *s, int code, bool online, const char *fmt,
                      ...)
{
  va_list ap;

  /* Only the store's own failures are kept: a reply the hub got wrong
   * (SB_EPROTOCOL...) is the hub's. */
  if (exitcode_from_err(code) != EXITCODE_UNUSABLE)
    code = 0;
  va_start(ap, fmt);
  attempt_failed_v(s, code, online, false, -1, fmt, ap);
  va_end(ap);
}

/* The hub's error envelope from an error reply, or a generic one (code
 * PROTO_ERR_UNKNOWN named "http_STATUS", no record) if the body is not
 * one, e.g. a proxy's page. */
void sync_reply_error(const struct http_reply *r, struct proto_error *e)
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
bool sync_reply_failed(struct sync *s, const struct http_reply *r,
                       const char *what)
{
  struct proto_error e;
  bool halt;

  /* Reached, but its reply was dropped: not "unreachable". */
  if (r->status == 0 && r->too_large) {
    sync_attempt_failed(s, true, false, -1, "%s: %s", i18n_text(what),
                        _("the hub's reply is larger than a device accepts "
                          "(17 MiB); nothing of it was stored"));
    return true;
  }
  if (r->status == 0) {
    sync_attempt_failed(s, false, false, -1, "%s: %s: %s", i18n_text(what),
                        r->untrusted ? _("the hub's certificate is refused, "
                                         "nothing was sent")
                                     : _("hub unreachable"),
                        r->error);
    return true;
  }
  if (r->status == 200)
    return false;
  sync_reply_error(r, &e);
  /* Credentials refused, or another store writes as this device: trying
   * again changes nothing until someone acts (a new token). */
  halt =
      r->status == 401 || r->status == 403 || e.code == PROTO_ERR_COPIED_STORE;
  /* The hub's message is English (a protocol field): people get the
   * code's meaning in their language first. */
  if (e.code != PROTO_ERR_UNKNOWN)
    sync_attempt_failed(s, true, halt, r->retry_after_s,
                        "%s: hub answered %ld %s (%s): %s", i18n_text(what),
                        r->status, e.name, i18n_text(proto_err_meaning(e.code)),
                        e.message);
  else
    sync_attempt_failed(s, true, halt, r->retry_after_s,
                        "%s: hub answered %ld %s: %s", i18n_text(what),
                        r->status, e.name, e.message);
  return true;
}

/* What every request to the hub carries (sync_int.h). */
void sync_request(struct sync *s, struct http_request *rq, char *url,
                  size_t url_size, const char *method, const char *path)
{
  memset(rq, 0, sizeof(*rq));
  snprintf(url, url_size, "%s%s", s->base, path);
  rq->method = method;
  rq->url = url;
  rq->token = s->cfg.token;
  rq->replica = store_replica(s->store);
  rq->ca_file = s->cfg.ca_file;
  rq->ca_pem = s->cfg.ca_file == NULL ? s->cfg.ca_pem : NULL;
  rq->pin = s->cfg.pin;
  rq->gzip = s->cfg.gzip;
  if (s->marks_known) {
    proto_marks_encode(&s->marks, s->marks_text);
    rq->marks = s->marks_text;
  }
  rq->connect_timeout_s = (long)s->cfg.connect_timeout_s;
  rq->timeout_s = (long)s->cfg.timeout_s;
}

/* Starts an exchange with the hub; a local failure fails the attempt. */
void sync_exchange(struct sync *s, struct sync_http *channel,
                   const char *method, const char *path, const char *body,
                   size_t len, long timeout_s, http_done_fn done)
{
  struct http_request rq;
  char url[SYNC_URL_MAX];
  int rc;

  sync_request(s, &rq, url, sizeof(url), method, path);
  rq.body = body;
  rq.len = len;
  rq.timeout_s = timeout_s;
  rc = sync_http_start(channel, &rq, done, s);
  if (rc != 0)
    sync_attempt_failed(s, false, false, -1, "cannot start a request to %s: %s",
                        url, sb_err_str(rc));
}

/* Counts an exchange's bytes, on the wire and as JSON, and takes note of
 * the hub's clock the reply tells. */
void sync_count_bytes(struct sync *s, const struct http_reply *r)
{
  sync_clock_note(s, r);
  if (r->status != 0)
    s->hub_compact = r->compact_ok;
  s->wire_up += r->bytes_up;
  s->json_up += r->json_up;
  s->wire_down += r->bytes_down;
  s->json_down += r->len;
}

int sync_u64_order(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* A rejection as kept in the store: {"code":...,"message":...}. */
char *sync_reason_encode(const char *code, const char *message)
{
  cJSON *j = cJSON_CreateObject();
  char *text = NULL;

  if (j != NULL && cJSON_AddStringToObject(j, "code", code) != NULL &&
      cJSON_AddStringToObject(j, "message", message) != NULL)
    text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return text;
}

void sync_refusal_text(char *out, size_t size, const char *collection,
                       const char *id, const char *code, const char *message)
{
  enum proto_err e = proto_err_parse(code);
  const char *detail = proto_record_message(collection, id, message);

  if (e != PROTO_ERR_UNKNOWN)
    snprintf(out, size, "%s (%s): %s", code, i18n_text(proto_err_meaning(e)),
             detail);
  else
    snprintf(out, size, "%s: %s", code, detail);
}

/* --- cycles and control --------------------------------------------------- */

/* No silent failure: a cycle that leaves records refused or unpushed
 * says so in last_error (the cycle itself succeeded). */
static void cycle_leftovers(struct sync *s)
{
  uint64_t pending, rejected;

  s->last_error[0] = '\0';
  s->last_code = 0;
  if (s->cycle_waiting > 0)
    snprintf(s->last_error, sizeof(s->last_error),
             _("push: %llu record(s) still pending: they hold other devices' "
               "writes that the hub, put back from a copy, has not had again "
               "yet; they are sent again until it has"),
             (unsigned long long)s->cycle_waiting);
  else if (s->cycle_deferred > 0)
    snprintf(s->last_error, sizeof(s->last_error),
             _("push: %llu record(s) still pending: the hub refused their "
               "timestamps as too far ahead of its clock (future_timestamp); "
               "this device's clock is off"),
             (unsigned long long)s->cycle_deferred);
  else if (s->cycle_refused > 0)
    snprintf(s->last_error, sizeof(s->last_error),
             _("push: the hub refused %llu record(s); last: %.400s"),
             (unsigned long long)s->cycle_refused, s->last_refusal);
  else if (store_count_marks(s->store, &pending, &rejected, NULL) == 0 &&
           rejected > 0)
    snprintf(s->last_error, sizeof(s->last_error),
             _("%llu record(s) kept on this device marked rejected (refused "
               "by the hub, or a pulled state not merged here): see sambang "
               "conflicts"),
             (unsigned long long)rejected);
}

/* Keeps last_error and the time of this completed cycle (now_ms) in the
 * store for `sambang status`, and the hub's forms for the next process;
 * writes only what changed, the time at most once a minute. */
static void save_cycle_end(struct sync *s, uint64_t now_ms)
{
  char *old = NULL, *last = NULL, when[32];
  struct sb_err err = {0};
  bool same, recent, forms = s->hub_compact != s->hub_compact_saved;
  int rc;

  rc = store_meta_get(s->store, SYNC_PROBLEM_KEY, &old, NULL);
  same = (rc == 0 && strcmp(old, s->last_error) == 0) ||
         (rc == SB_ENOTFOUND && s->last_error[0] == '\0');
  recent = store_meta_get(s->store, SYNC_LAST_OK_KEY, &last, NULL) == 0 &&
           now_ms < strtoull(last, NULL, 10) + SYNC_LAST_OK_EVERY_MS;
  free(old);
  free(last);
  if (same && recent && !forms)
    return;
  snprintf(when, sizeof(when), "%llu", (unsigned long long)now_ms);
  rc = store_begin_relaxed(s->store, &err);
  if (rc == 0 && !same)
    rc = store_meta_set(s->store, SYNC_PROBLEM_KEY, s->last_error, &err);
  if (rc == 0)
    rc = store_meta_set(s->store, SYNC_LAST_OK_KEY, when, &err);
  if (rc == 0 && forms)
    rc = s->hub_compact ? store_meta_set(s->store, FORMS_KEY, "compact", &err)
                        : store_meta_delete(s->store, FORMS_KEY, &err);
  if (rc == 0)
    rc = store_commit(s->store, &err);
  else
    store_rollback(s->store);
  if (rc == 0)
    s->hub_compact_saved = s->hub_compact;
}

/* Refusals the cycle's pull may have lifted (sync_scope_lift) are pushed
 * in the same cycle, once, from the first pending row; the pull then
 * brings what their merge changed. */
static bool repush_due(struct sync *s)
{
  if (s->repushed || s->stopping || !sync_scope_lift(s, s->lift.touched))
    return false;
  s->repushed = true;
  /* The lifted rows include this cycle's own refusals: the repush counts
   * them again (what stays refused is in the store's marks). */
  s->cycle_refused = 0;
  s->last_refusal[0] = '\0';
  s->push_after = 0;
  sync_push_reset(s);
  sync_push_next(s);
  return true;
}

void sync_cycle_done(struct sync *s)
{
  if (repush_due(s) || sync_names_next(s))
    return;
  s->in_cycle = false;
  s->cycles_done++;
  s->failures = 0;
  sync_rebase_cycle_end(s);
  cycle_leftovers(s);
  s->last_success_ms = (int64_t)hlc_wall_ms();
  save_cycle_end(s, (uint64_t)s->last_success_ms);
  sync_emit(s, SYNC_EV_CYCLE_DONE);
  if (s->stopping)
    return;
  if (s->again) {
    s->again = false;
    sync_start_cycle(s);
  } else if (s->cfg.once) {
    s->phase = SYNC_IDLE;
  } else {
    sync_pull_listen_next(s);
  }
}

void sync_start_cycle(struct sync *s)
{
  if (s->stopping)
    return;
  uv_timer_stop(&s->retry);
  s->next_retry_ms = 0;
  s->again = false;
  s->repushed = false;
  s->in_cycle = true;
  s->cycle++;
  s->cycle_pushed = 0;
  s->cycle_pulled = 0;
  s->cycle_removed = 0;
  {
    uint64_t pending, rejected;
    /* one read of the partial index of pending rows */
    s->push_total = store_count_marks(s->store, &pending, &rejected, NULL) == 0
                        ? pending
                        : 0;
  }
  s->feed_base = s->cursor;
  s->feed_last = 0;
  s->cycle_restamped = 0;
  s->cycle_deferred = 0;
  s->cycle_waiting = 0;
  s->cycle_refused = 0;
  s->last_refusal[0] = '\0';
  s->push_after = 0;
  s->batch_now = s->cfg.batch;
  s->failing.on = false;
  sync_chain_cycle(s);
  if (!s->marks_known)
    sync_count_marks(s);
  sync_push_reset(s);
  sync_push_next(s);
}

/* Counts what the store holds that is not at the hub: every later request
 * tells the hub (PROTO_MARKS_HEADER), for the office's devices view. */
void sync_count_marks(struct sync *s)
{
  uint64_t pending, rejected;

  if (store_count_marks(s->store, &pending, &rejected, NULL) != 0)
    return; /* the last count stands (a store failure shows elsewhere) */
  s->marks.pending = pending;
  s->marks.refused = rejected;
  s->marks_known = true;
  sync_lift_forget(s); /* the push may have made refusals */
}

/* Loads the pull cursor saved with the last merged page. */
static int load_cursor(struct sync *s, struct sb_err *err)
{
  char *text = NULL, *lift = NULL, *end;
  unsigned long long v;
  int rc = store_meta_get(s->store, CURSOR_KEY, &text, err);

  s->cursor = 0;
  s->scope_marks = true; /* the first page looks for rows left to remove */
  /* A grown scope's lift still due (sync_scope_lift); a mark that does
   * not read counts as due: a lift for nothing only pushes refused
   * records again, which the hub refuses again. */
  s->scope_grew =
      store_meta_get(s->store, LIFT_KEY, &lift, NULL) != SB_ENOTFOUND;
  free(lift);
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

/* What the store says of the hub's forms (FORMS_KEY). */
static void load_forms(struct sync *s)
{
  char *v = NULL;

  s->hub_compact = store_meta_get(s->store, FORMS_KEY, &v, NULL) == 0 &&
                   strcmp(v, "compact") == 0;
  s->hub_compact_saved = s->hub_compact;
  free(v);
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
  int i, rc;

  *out = NULL;
  rc = sync_config_check(cfg, err);
  if (rc != 0)
    return rc;
  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  s->loop = loop;
  s->store = store;
  sync_push_init(s);
  sync_config_init(&s->cfg);
  rc = sync_config_copy(&s->cfg, cfg, err);
  if (rc == 0)
    rc = set_base(s, err);
  if (rc == 0)
    rc = load_cursor(s, err);
  if (rc == 0)
    load_forms(s);
  if (rc == 0)
    rc = sync_rebase_load(s, err);
  if (rc == 0)
    rc = sync_chain_load(s, err);
  /* A cold pull commits page after page: WAL checkpoints go to a thread
   * of the store's own (started only once one is due), off the merge. */
  if (rc == 0)
    rc = store_ckpt_offload(store, err);
  if (rc == 0)
    rc = store_clock_offset_get(store, &s->clock_saved, err);
  if (rc == 0 && uuid_rand_bytes(&s->rng, sizeof(s->rng)) != 0)
    rc = sb_err_set(err, SB_EIO, "no randomness from the OS");
  s->rng |= 1;
  if (rc == 0 && ((s->http = sync_http_new(loop)) == NULL ||
                  (s->poll = sync_http_new(loop)) == NULL))
    rc = sb_err_set(err, SB_ENOMEM, "cannot set up libcurl");
  for (i = 0; rc == 0 && i < PUSH_WINDOW - 1; i++)
    if ((s->push_more[i] = sync_http_new(loop)) == NULL)
      rc = sb_err_set(err, SB_ENOMEM, "cannot set up libcurl");
  if (rc != 0) {
    /* A transport made already goes once the loop runs its close. */
    if (s->http != NULL)
      sync_http_close(s->http, NULL, NULL);
    if (s->poll != NULL)
      sync_http_close(s->poll, NULL, NULL);
    for (i = 0; i < PUSH_WINDOW - 1; i++)
      if (s->push_more[i] != NULL)
        sync_http_close(s->push_more[i], NULL, NULL);
    sync_config_release(&s->cfg);
    free(s->base);
    free(s);
    return rc;
  }
  uv_timer_init(loop, &s->retry);
  s->retry.data = s;
  uv_check_init(loop, &s->fill);
  s->fill.data = s;
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
  sync_start_cycle(s);
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
    sync_start_cycle(s);
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
    sync_start_cycle(s);
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
  out->push_total =
      s->push_total > s->cycle_pushed ? s->push_total : s->cycle_pushed;
  out->cursor = s->cursor;
  out->feed_base = s->feed_base;
  out->feed_last = s->feed_last;
  out->last_success_ms = s->last_success_ms;
  out->next_retry_ms = s->next_retry_ms;
  out->failures = s->failures;
  out->total_pushed = s->total_pushed;
  out->total_pulled = s->total_pulled;
  out->cycle_removed = s->cycle_removed;
  out->total_removed = s->total_removed;
  out->wire_up = s->wire_up;
  out->wire_down = s->wire_down;
  out->json_up = s->json_up;
  out->json_down = s->json_down;
  out->clock_known = s->clock.hub_ms != 0 || s->clock_saved.hub_ms != 0;
  out->clock_offset_ms =
      s->clock.hub_ms != 0 ? s->clock.offset_ms : s->clock_saved.offset_ms;
  out->cycle_restamped = s->cycle_restamped;
  snprintf(out->last_error, sizeof(out->last_error), "%s", s->last_error);
  out->last_code = s->last_code;
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
  sync_emit(s, SYNC_EV_STOPPED);
}

/* Each transport closed; the retry timer goes last. */
static void closed_http(void *ctx)
{
  struct sync *s = ctx;
  if (--s->closing == 0) {
    s->http = s->poll = NULL;
    memset(s->push_more, 0, sizeof(s->push_more));
    uv_close((uv_handle_t *)&s->retry, closed_retry);
  }
}

void sync_stop(struct sync *s)
{
  int i;

  if (s->stopping)
    return;
  s->stopping = true;
  uv_timer_stop(&s->retry);
  uv_close((uv_handle_t *)&s->fill, NULL); /* nothing of s in its close */
  s->closing = 2 + (PUSH_WINDOW - 1);
  sync_http_close(s->http, closed_http, s);
  sync_http_close(s->poll, closed_http, s);
  for (i = 0; i < PUSH_WINDOW - 1; i++)
    sync_http_close(s->push_more[i], closed_http, s);
}

void sync_free(struct sync *s)
{
  if (s == NULL)
    return;
  sync_config_release(&s->cfg);
  sync_push_free(s);
  sync_lift_forget(s);
  sync_scope_gone_end(s, false, NULL);
  sync_names_forget(s);
  free(s->gone.v);
  free(s->base);
  free(s);
}
