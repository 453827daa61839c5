/*
 * sync_catchup.c - per-part cursors (daemon/sync/DESIGN.md, "Per-part
 * cursors"). When the device's scope gains parts, their records older
 * than the cursor were never sent to it. Instead of pulling the whole
 * scope again from 0, the device keeps a second cursor for the parts it
 * gained and reads only them (`parts=` on GET /v1/changes, no gone
 * entries) from 0 up to the cursor it had when it gained them; the main
 * cursor goes on with the whole scope meanwhile. Meta:
 *   sync.catchup.parts   the gained parts (scope text)
 *   sync.catchup.since   the catch-up's cursor
 *   sync.catchup.until   the main cursor when they were gained
 * A part that leaves the scope leaves the catch-up too; gaining more while
 * one runs starts the catch-up of all its parts again from 0.
 */
#include "compat.h"

#include "sync_int.h"

#include "i18n.h"

#include "scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_PARTS "sync.catchup.parts"
#define KEY_SINCE "sync.catchup.since"
#define KEY_UNTIL "sync.catchup.until"

/* The catch-up in the store: false if none. parts filled (init'ed). */
static bool catchup_get(struct sync *s, struct scope_parts *parts,
                        uint64_t *since, uint64_t *until)
{
  char *p = NULL, *a = NULL, *b = NULL;
  bool ok = store_meta_get(s->store, KEY_PARTS, &p, NULL) == 0 &&
            store_meta_get(s->store, KEY_SINCE, &a, NULL) == 0 &&
            store_meta_get(s->store, KEY_UNTIL, &b, NULL) == 0 &&
            scope_read(p, parts, NULL) == 0 && !parts->all && parts->n > 0;

  if (ok) {
    *since = strtoull(a, NULL, 10);
    *until = strtoull(b, NULL, 10);
  }
  free(p);
  free(a);
  free(b);
  return ok;
}

int sync_catchup_drop(struct sync *s, struct sb_err *err)
{
  int rc = store_meta_delete(s->store, KEY_PARTS, err);
  if (rc == 0)
    rc = store_meta_delete(s->store, KEY_SINCE, err);
  if (rc == 0)
    rc = store_meta_delete(s->store, KEY_UNTIL, err);
  return rc;
}

static int catchup_set(struct sync *s, const struct scope_parts *parts,
                       uint64_t since, uint64_t until, struct sb_err *err)
{
  char text[SCOPE_TEXT_MAX + 1], num[24];
  int rc;

  if (!scope_text(parts, text, sizeof(text)))
    return sb_err_set(err, SB_EINVAL, "scope parts too long");
  rc = store_meta_set(s->store, KEY_PARTS, text, err);
  snprintf(num, sizeof(num), "%llu", (unsigned long long)since);
  if (rc == 0)
    rc = store_meta_set(s->store, KEY_SINCE, num, err);
  snprintf(num, sizeof(num), "%llu", (unsigned long long)until);
  if (rc == 0)
    rc = store_meta_set(s->store, KEY_UNTIL, num, err);
  return rc;
}

/* True if part is one of p's. */
static bool has_part(const struct scope_parts *p, const char *part)
{
  size_t i;

  for (i = 0; i < p->n; i++)
    if (strcmp(p->v[i], part) == 0)
      return true;
  return false;
}

int sync_catchup_scope(struct sync *s, const struct scope_parts *was,
                       const struct scope_parts *now, bool *reset, bool *gained,
                       struct sb_err *err)
{
  struct scope_parts keep, old;
  uint64_t since = 0, until = 0;
  bool pending;
  size_t i;
  int rc = 0;

  *reset = *gained = false;
  scope_parts_init(&keep);
  scope_parts_init(&old);
  pending = catchup_get(s, &old, &since, &until);
  if (now->all || was->all) {
    /* To all: pull everything again (from all: nothing was gained). */
    *reset = *gained = now->all && !was->all;
    rc = pending ? sync_catchup_drop(s, err) : 0;
    goto out;
  }
  for (i = 0; rc == 0 && i < now->n; i++) {
    bool added = !has_part(was, now->v[i]);
    *gained = *gained || added;
    if (added || (pending && has_part(&old, now->v[i])))
      rc = scope_parts_add(&keep, now->v[i]);
  }
  if (rc != 0)
    goto out;
  if (keep.n == 0)
    rc = pending ? sync_catchup_drop(s, err) : 0;
  else if (*gained) /* from 0, up to where the main cursor is now */
    rc = catchup_set(s, &keep, 0, s->cursor, err);
  else /* a part left: the catch-up goes on without it */
    rc = catchup_set(s, &keep, since, until, err);
out:
  scope_parts_release(&keep);
  scope_parts_release(&old);
  return rc;
}

/* Percent-encodes text into out (the query value of `parts`). */
static bool query_escape(const char *text, char *out, size_t size)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t n = 0;

  for (; *text != '\0'; text++) {
    unsigned char ch = (unsigned char)*text;
    bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || strchr("-_.~", ch) != NULL;
    if (n + (plain ? 1 : 3) >= size)
      return false;
    if (plain) {
      out[n++] = (char)ch;
    } else {
      out[n++] = '%';
      out[n++] = hex[ch >> 4];
      out[n++] = hex[ch & 15];
    }
  }
  out[n] = '\0';
  return true;
}

/* Merges a catch-up page and moves the catch-up's cursor, in one
 * transaction; the catch-up ends at its `until` or the feed's end. */
static int catchup_apply(struct sync *s, const struct changes_page *p,
                         const struct scope_parts *parts, uint64_t until,
                         size_t *changed, struct sb_err *err)
{
  size_t i;
  int rc = store_begin_relaxed(s->store, err);

  for (i = 0; rc == 0 && i < p->n; i++)
    rc = p->c[i].gone ? 0 /* a catch-up sends none; an old hub may */
                      : sync_pull_merge(s, &p->c[i], changed, err);
  if (rc == 0)
    rc = !p->more || p->next >= until
             ? sync_catchup_drop(s, err)
             : catchup_set(s, parts, p->next, until, err);
  if (rc == 0)
    rc = store_commit(s->store, err);
  else
    store_rollback(s->store);
  return rc;
}

static void catchup_done(const struct http_reply *r, void *ctx)
{
  struct sync *s = ctx;
  struct changes_page page;
  struct scope_parts parts;
  struct sb_err err = {0};
  uint64_t since = 0, until = 0;
  size_t changed = 0;
  int rc;

  sync_count_bytes(s, r);
  if (sync_reply_failed(s, r, N_("pull")))
    return;
  changes_page_init(&page);
  scope_parts_init(&parts);
  rc = changes_page_decode(&page, r->body, r->len, &err);
  if (rc == 0 && catchup_get(s, &parts, &since, &until)) {
    if (page.next < since)
      rc = sb_err_set(&err, SB_EPROTOCOL, "catch-up page goes back");
    else if (sync_scope_changed(s, page.scope))
      since = UINT64_MAX; /* the main pull applies the new scope first */
    else
      rc = catchup_apply(s, &page, &parts, until, &changed, &err);
  }
  changes_page_release(&page);
  scope_parts_release(&parts);
  if (rc != 0) {
    sync_attempt_failed(s, true, false, -1, "pull: %s", err.msg);
    return;
  }
  s->online = true;
  s->cycle_pulled += changed;
  s->total_pulled += changed;
  if (changed > 0)
    sync_emit(s, SYNC_EV_PROGRESS);
  if (s->stopping)
    return;
  if (since == UINT64_MAX)
    sync_pull_next(s, s->cursor);
  else if (!sync_catchup_next(s))
    sync_cycle_done(s);
}

bool sync_catchup_pending(struct sync *s)
{
  struct scope_parts parts;
  uint64_t since, until;
  bool pending;

  scope_parts_init(&parts);
  pending = catchup_get(s, &parts, &since, &until);
  scope_parts_release(&parts);
  return pending;
}

bool sync_catchup_next(struct sync *s)
{
  struct scope_parts parts;
  char text[SCOPE_TEXT_MAX + 1], q[3 * SCOPE_TEXT_MAX + 1];
  char path[3 * SCOPE_TEXT_MAX + 128];
  uint64_t since = 0, until = 0;
  bool ok;

  scope_parts_init(&parts);
  ok = !s->stopping && catchup_get(s, &parts, &since, &until) &&
       scope_text(&parts, text, sizeof(text)) &&
       query_escape(text, q, sizeof(q));
  scope_parts_release(&parts);
  if (!ok)
    return false;
  s->phase = SYNC_PULL;
  snprintf(path, sizeof(path),
           PROTO_VERSION_PATH "/changes?since=%llu&limit=%u&parts=%s",
           (unsigned long long)since, s->cfg.page, q);
  sync_exchange(s, s->http, "GET", path, NULL, 0, (long)s->cfg.timeout_s,
                catchup_done);
  return true;
}
