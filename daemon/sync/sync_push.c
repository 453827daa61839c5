/*
 * sync_push.c - the sync engine's push: batches of pending rows sent to
 * the hub, the per-record answers applied, and whole-batch refusals split
 * until the record at fault is found and kept as rejected.
 */
#include "compat.h"

#include "sync_int.h"

#include "i18n.h"

#include "buf.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Keeps the hub's refusal of one record: marks it rejected. */
static int refuse(struct sync *s, const struct batch_key *k,
                  const struct push_result *res, struct sb_err *err)
{
  char *reason = sync_reason_encode(res->code, res->message);
  int rc;

  s->cycle_refused++;
  snprintf(s->last_refusal, sizeof(s->last_refusal), "%s/%.100s: %s: %.200s",
           k->collection, k->id, res->code, res->message);
  rc = reason == NULL ? sb_err_set(err, SB_ENOMEM, NULL)
                      : store_reject(s->store, k->collection, k->id, k->seq,
                                     reason, err);
  free(reason);
  return rc;
}

/*
 * The hub refused a record for a timestamp too far ahead of its clock
 * (hub_ms, from the reply): our own entries it cannot have accepted are
 * re-stamped with the corrected clock and the row, written again with a
 * new seq, goes in a later batch of this very cycle. If nothing can be
 * re-stamped yet, the row stays pending for a later cycle.
 */
static int refused_future(struct sync *s, const struct batch_key *k,
                          uint64_t hub_ms, struct sb_err *err)
{
  bool done = false;
  int rc = sync_clock_restamp_row(s, k->collection, k->id, hub_ms, &done, err);

  if (rc == 0 && done)
    s->cycle_restamped++;
  else if (rc == 0)
    s->cycle_deferred++;
  return rc;
}

/* Applies the hub's per-record answers in one transaction. */
static int apply_results(struct sync *s, const struct push_reply *rep,
                         uint64_t hub_ms, struct sb_err *err)
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
      rc = refused_future(s, k, hub_ms, err);
    } else {
      rc = refuse(s, k, res, err);
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

  sync_reply_error(r, &e);
  s->cycle_refused++;
  snprintf(s->last_refusal, sizeof(s->last_refusal), "%s/%.100s: %s: %.200s",
           s->keys[0].collection, s->keys[0].id, e.name, e.message);
  reason = sync_reason_encode(e.name, e.message);
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
 * said it), or forged history refused whole by an older hub (today's
 * refuses forged_dot per record, in a result). */
static bool record_refusal(const struct http_reply *r)
{
  struct proto_error e;

  if (r->status == 200 || r->status == 0)
    return false;
  if (r->status == 413)
    return true;
  sync_reply_error(r, &e);
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

  sync_count_bytes(s, r);
  /* A batch refused whole for a record in it (too large, a malformed
   * state) is split until the one record at fault is found; that
   * one is kept as rejected. Other refusals fail the attempt. */
  if (record_refusal(r)) {
    if (s->nkeys > 1) {
      s->batch_now = (unsigned)(s->nkeys / 2);
      sync_push_next(s);
      return;
    }
    if (s->nkeys == 1) {
      rc = reject_single(s, r, &err);
      if (rc != 0) {
        sync_attempt_failed(s, true, false, -1, "push: %s", err.msg);
        return;
      }
      s->push_after = last;
      s->batch_now = s->cfg.batch;
      sync_emit(s, SYNC_EV_PROGRESS);
      sync_push_next(s);
      return;
    }
  }
  if (sync_reply_failed(s, r, N_("push")))
    return;
  push_reply_init(&rep);
  rc = push_reply_decode(&rep, r->body, r->len, &err);
  if (rc == 0)
    rc = apply_results(s, &rep, r->hub_ms, &err);
  push_reply_release(&rep);
  if (rc != 0) {
    sync_attempt_failed(s, true, false, -1, "push: %s", err.msg);
    return;
  }
  s->online = true;
  s->push_after = last;
  sync_emit(s, SYNC_EV_PROGRESS);
  sync_push_next(s);
}

/* Sends the next batch of pending rows, or moves on to pulling. */
void sync_push_next(struct sync *s)
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
    sync_attempt_failed(s, s->online, false, -1, "reading local changes: %s",
                        err.msg);
    return;
  }
  if (s->nkeys == 0) {
    sync_pull_next(s, s->cursor);
    return;
  }
  sync_exchange(s, s->http, "POST", PROTO_VERSION_PATH "/push", s->body.p,
                s->body.len, (long)s->cfg.timeout_s, push_done);
}
