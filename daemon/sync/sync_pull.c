/*
 * sync_pull.c - the sync engine's pull: change pages of a cycle (asked
 * ahead while the previous page merges), merging remote states into the
 * store with the cursor in the same transaction, and the long-poll that
 * waits for news between cycles.
 */
#include "compat.h"

#include "sync_int.h"

#include "i18n.h"

#include "proto.h"
#include "update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  int rc;

  *seq = 0;
  rc = store_put_remote(s->store, r, text, len, err);
  if (rc == 0)
    sync_names_note(s, r);
  return rc;
}

static int remote_add(void *ctx, const struct record *r, const char *text,
                      size_t len, uint64_t *seq, bool *added,
                      struct sb_err *err)
{
  struct sync *s = ctx;
  int rc;

  *seq = 0;
  rc = store_add_remote(s->store, r, text, len, added, err);
  if (rc == 0 && *added)
    sync_names_note(s, r);
  return rc;
}

/*
 * Merges one remote state into the store (inside a transaction). A state
 * whose key the store lacks is written as a new row without a lookup
 * first (io.add) while the one before it was new too: a fresh pull is
 * all new rows (a lookup fewer each: 1.35 G -> 1.28 G instructions for
 * 10,000), a pull of edits all known ones, for which a failed insert
 * costs more than the lookup it saves (+8%); so each run of one kind
 * pays for at most one wrong guess.
 */
static int merge_remote(struct sync *s, const struct record *remote,
                        size_t *changed, struct sb_err *err)
{
  struct update_io io = {"the local store",
                         remote_load,
                         remote_save,
                         NULL,
                         s,
                         store_schema(s->store),
                         s->pull_last_absent ? remote_add : NULL};
  struct update_change ch = {UPDATE_MERGE, NULL, NULL, remote, NULL};
  struct update_result res;
  char *reason;
  int rc;

  store_observe(s->store, record_max_ts(remote));
  /* An echo of what we have changes nothing and is not written. */
  rc = update_apply(&io, remote->collection, remote->id, &ch, NULL, &res, err);
  s->pull_last_absent = rc == 0 && !res.existed;
  if (rc == 0 && res.outcome == UPDATE_WRITTEN)
    (*changed)++;
  /* A merge this store cannot hold (over 1 MiB, or a local row that does
   * not decode) must not stop the feed: the local row keeps its state,
   * marked with why, and the page goes on. Nothing was written for it. */
  if (res.existed &&
      (rc == SB_ETOOBIG || rc == SB_ECORRUPT || rc == SB_EINVAL)) {
    reason =
        sync_reason_encode(proto_err_name(PROTO_ERR_MERGE_FAILED), err->msg);
    rc = reason == NULL ? sb_err_set(err, SB_ENOMEM, NULL)
                        : store_reject(s->store, remote->collection, remote->id,
                                       res.seq, reason, err);
    free(reason);
  }
  return rc;
}

/* Merges one change of a page: a state, or a record that left the scope
 * (sync_scope.c). */
int sync_pull_merge(struct sync *s, const struct change *c, size_t *changed,
                    struct sb_err *err)
{
  int rc;

  if (c->gone)
    return sync_scope_gone(s, c->rec.collection, c->rec.id, err);
  rc = merge_remote(s, &c->rec, changed, err);
  if (rc == 0)
    rc = sync_scope_held(s, c->rec.collection, c->rec.id, err);
  if (rc == 0)
    sync_lift_note(s, c->rec.collection, c->rec.id);
  return rc;
}

/* True unless page p states a new scope or starts a re-sync (either may
 * send the cursor back to 0). */
static bool cursor_stays(struct sync *s, const struct changes_page *p)
{
  return !sync_scope_changed(s, p->scope) && !sync_resync_due(s, p);
}

/*
 * Merges a page asked from since and moves the cursor, in one
 * transaction (sync_int.h). A page behind the hub's purge horizon starts a
 * re-sync (sync_resync.c); a page stating a new scope applies it; if either
 * sends the cursor back to 0, *reset is set instead (the page is not merged).
 * A page asked from beyond the cursor (before such a reset) is dropped,
 * *reset set: pull again from the cursor.
 */
int sync_pull_apply(struct sync *s, const struct changes_page *p,
                    uint64_t since, bool *reset, size_t *changed,
                    struct sb_err *err)
{
  char cursor[32];
  bool resync = false;
  uint64_t to;
  size_t i;
  int rc, end;

  *reset = false;
  *changed = 0;
  s->page_removed = 0;
  if (since > s->cursor) {
    *reset = true;
    return 0;
  }
  /* A page that ends at or before the cursor holds only changes merged
   * already (the other channel's page got there first). */
  if (p->next <= s->cursor && cursor_stays(s, p))
    return 0;
  rc = store_begin_relaxed(s->store, err);
  if (rc == 0)
    rc = sync_resync_begin(s, p, &resync, err);
  if (rc == 0)
    rc = sync_scope_page(s, p->scope, resync, reset, err);
  *reset = *reset || resync;
  for (i = 0; rc == 0 && !*reset && i < p->n; i++)
    rc = sync_pull_merge(s, &p->c[i], changed, err);
  end = sync_scope_gone_end(s, rc == 0 && !*reset, err);
  if (rc == 0)
    rc = end;
  /* A page that states a new scope is merged even if it ends before the
   * cursor (the long-poll's, asked before the cycle's pages): the cursor
   * never goes back for it. The parts it gained catch up to the cursor. */
  to = p->next > s->cursor ? p->next : s->cursor;
  snprintf(cursor, sizeof(cursor), "%llu", (unsigned long long)to);
  if (rc == 0 && !*reset)
    rc = store_meta_set(s->store, CURSOR_KEY, cursor, err);
  if (rc == 0 && !*reset)
    rc = sync_resync_end(s, p, err);
  if (rc == 0)
    rc = store_commit(s->store, err);
  else
    store_rollback(s->store);
  if (rc == 0)
    s->cursor = *reset ? 0 : to;
  if (s->cursor < s->feed_base) /* read again from 0: progress too */
    s->feed_base = s->cursor;
  return rc;
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

/* Counts a merged page (changed: its records that changed the local
 * state; the hub's echo of our own pushes is not "pulled") and tells the
 * listener. */
static void page_merged(struct sync *s, const struct changes_page *page,
                        size_t changed)
{
  s->online = true;
  s->cycle_pulled += changed;
  s->total_pulled += changed;
  s->cycle_removed += s->page_removed;
  s->total_removed += s->page_removed;
  s->page_removed = 0;
  if (page->last > 0) { /* read before the page: it may be behind next */
    uint64_t end = page->last > page->next ? page->last : page->next;
    if (end > s->feed_last)
      s->feed_last = end;
  }
  if (page->n > 0)
    sync_emit(s, SYNC_EV_PROGRESS);
}

/* True if a page ending at next (asked from since) may be followed by
 * the next page's request before it is merged (and cursor_stays). */
static bool ahead_allowed(const struct sync *s, uint64_t since, uint64_t next)
{
  return !s->again && next > s->cursor && since <= s->cursor;
}

/*
 * A page of the cycle arrived. When the hub says more is ready, the next
 * page is asked for before this one is merged, so the hub serves it while
 * we write: the request names this page's `next`, which is committed with
 * the page; if the merge fails, that request is dropped. The reply's
 * headers say it before the body is decoded (PROTO_NEXT_HEADER), so the
 * request goes first and the decoding overlaps the hub's work too; the
 * body is then taken from the channel, which carries the next reply
 * (taken, not copied: a megabyte a page). If the body
 * disagrees with the headers, or brings a new scope or a re-sync (the
 * cursor may go back), the request ahead is dropped.
 */
static void pull_done(const struct http_reply *r, void *ctx)
{
  struct sync *s = ctx;
  struct changes_page page;
  struct http_reply copy;
  struct sb_err err = {0};
  bool tried = false, ahead = false, reset = false;
  uint64_t since = s->pull_since;
  size_t changed = 0;
  char *body = NULL;
  int rc;

  sync_count_bytes(s, r);
  if (sync_rebase_due(s, r, true))
    return;
  if (sync_reply_failed(s, r, N_("pull")))
    return;
  /* Asked before a new scope took effect (a long-poll's page applied it
   * meanwhile): the hub answered for the old scope, so the page may hold
   * records of a part the device lost, or lack those of a part it gained
   * past where that part's catch-up ends. Dropped, asked again. */
  if (s->pull_epoch != s->scope_epoch) {
    sync_pull_next(s, s->cursor);
    return;
  }
  if (r->page_hint && r->page_more && ahead_allowed(s, since, r->page_next) &&
      (body = sync_http_take_reply(s->http, NULL)) != NULL) {
    copy = *r;
    copy.body = body;
    r = &copy;
    tried = true;
    sync_pull_next(s, r->page_next);
    ahead = s->phase == SYNC_PULL && sync_http_busy(s->http);
  }
  changes_page_init(&page);
  rc = page_decode(&page, r, since, &err);
  if (rc == 0 && ahead &&
      (page.next != r->page_next || !page.more || !cursor_stays(s, &page))) {
    sync_http_abort(s->http);
    tried = ahead = false;
  }
  /* No page ahead when the scope changed or a re-sync is due: the cursor
   * may go back. */
  if (rc == 0 && !tried && page.more && ahead_allowed(s, since, page.next) &&
      cursor_stays(s, &page)) {
    tried = true;
    sync_pull_next(s, page.next);
    ahead = s->phase == SYNC_PULL && sync_http_busy(s->http);
  }
  if (rc == 0)
    rc = sync_pull_apply(s, &page, since, &reset, &changed, &err);
  if (rc != 0) {
    changes_page_release(&page);
    free(body);
    if (ahead)
      sync_http_abort(s->http);
    if (ahead || !tried) /* else the request ahead failed already */
      sync_failed_with(s, err.code, true, "pull: %s", err.msg);
    return;
  }
  page_merged(s, &page, changed);
  if (tried || s->stopping)
    ; /* the next page is on its way (or its request failed already) */
  else if (page.more || reset)
    sync_pull_next(s, s->cursor);
  else if (!sync_catchup_next(s)) /* per-part cursors: parts gained */
    sync_cycle_done(s);
  changes_page_release(&page);
  free(body);
}

/*
 * True while the store holds every state it pushed (store.h,
 * STORE_META_HOLDS_OWN): the pulls ask "&skip_own=1", so the hub passes
 * over its own echoes; not once a row left it (a scope's gone) or it was
 * rebuilt (recover): then its own states must come back. Read before
 * every request: a page that removes a row clears it in its own
 * transaction.
 */
bool sync_holds_own(struct sync *s)
{
  char *v = NULL;
  bool holds = store_meta_get(s->store, STORE_META_HOLDS_OWN, &v, NULL) == 0 &&
               strcmp(v, "1") == 0;

  free(v);
  return holds;
}

static const char *skip_own(struct sync *s)
{
  return sync_holds_own(s) ? "&skip_own=1" : "";
}

/* Asks for the cycle's page after since. */
void sync_pull_next(struct sync *s, uint64_t since)
{
  char path[128];

  if (s->stopping)
    return;
  s->phase = SYNC_PULL;
  s->pull_since = since;
  s->pull_epoch = s->scope_epoch;
  snprintf(path, sizeof(path),
           PROTO_VERSION_PATH
           "/changes?since=%llu&limit=%u%s" PROTO_FORM_COMPACT_QUERY,
           (unsigned long long)since, s->cfg.page, skip_own(s));
  sync_exchange(s, s->http, "GET", path, NULL, 0, (long)s->cfg.timeout_s,
                pull_done);
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
  bool reset = false;
  size_t changed = 0;
  int rc;

  s->polling = false;
  sync_count_bytes(s, r);
  if (sync_rebase_due(s, r, false))
    return;
  /* A running cycle meets the same trouble itself (and asks the poll
   * again when it ends); a scheduled retry or a halt stands. */
  if (r->status != 200 && (s->in_cycle || s->phase != SYNC_LISTEN))
    return;
  if (sync_reply_failed(s, r, N_("long-poll")))
    return;
  if (s->poll_epoch != s->scope_epoch) { /* stale: see pull_done */
    if (!s->in_cycle && !s->stopping)
      sync_pull_listen_next(s);
    return;
  }
  changes_page_init(&page);
  rc = page_decode(&page, r, s->poll_since, &err);
  if (rc == 0)
    rc = sync_pull_apply(s, &page, s->poll_since, &reset, &changed, &err);
  if (rc != 0) {
    changes_page_release(&page);
    if (!s->in_cycle)
      sync_failed_with(s, err.code, true, "long-poll: %s", err.msg);
    return;
  }
  page_merged(s, &page, changed);
  if (!s->in_cycle && !s->stopping) {
    /* refusals it may lift are pending again: a cycle pushes them */
    sync_scope_lift(s, s->lift.touched);
    /* (a conflict it brought: the cycle's end asks its devices' names) */
    if (page.more || reset || s->again || s->phase == SYNC_BACKOFF ||
        have_pending(s) || sync_catchup_pending(s) || s->names_want.n > 0)
      sync_start_cycle(s);
    else
      sync_pull_listen_next(s);
  }
  changes_page_release(&page);
}

/* Long-polls the feed from the cursor (on its own connection). */
void sync_pull_listen_next(struct sync *s)
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
  s->poll_epoch = s->scope_epoch;
  snprintf(path, sizeof(path),
           PROTO_VERSION_PATH
           "/changes?since=%llu&limit=%u&wait=%u%s" PROTO_FORM_COMPACT_QUERY,
           (unsigned long long)s->cursor, s->cfg.page, s->cfg.wait_s,
           skip_own(s));
  sync_exchange(s, s->poll, "GET", path, NULL, 0,
                (long)(s->cfg.timeout_s + s->cfg.wait_s), poll_done);
  if (!sync_http_busy(s->poll))
    s->polling = false; /* it could not start (the attempt failed) */
}
