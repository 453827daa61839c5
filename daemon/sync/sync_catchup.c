/*
 * sync_catchup.c - per-part cursors (daemon/sync/DESIGN.md, "Per-part
 * cursors"). When the device's scope gains parts, their records older
 * than the cursor were never sent to it. Instead of pulling the whole
 * scope again from 0, the device keeps a cursor for the parts it gained
 * and reads only them (`parts=` on GET /v1/changes, no gone entries) from
 * 0 up to the cursor it had when it gained them; the main cursor goes on
 * with the whole scope meanwhile. Parts gained at different times are
 * different catch-ups, each with its own cursor, read one after the
 * other in the order they were gained: gaining a part while a catch-up
 * runs starts only that part from 0. Meta `sync.catchups`, one line per
 * catch-up: "SINCE UNTIL PARTS" (its cursor, the main cursor when its
 * parts were gained, the parts as scope text). A part that leaves the
 * scope leaves its catch-up (an empty one ends).
 */
#include "compat.h"

#include "sync_int.h"

#include "i18n.h"

#include "scope.h"

#include <curl/curl.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LIST "sync.catchups"
/* One catch-up, as devices before the queue kept it. */
#define KEY_OLD_PARTS "sync.catchup.parts"
#define KEY_OLD_SINCE "sync.catchup.since"
#define KEY_OLD_UNTIL "sync.catchup.until"

struct catchup {
  struct scope_parts parts;
  uint64_t since, until;
};

/* The pending catch-ups, oldest first. */
struct catchups {
  struct catchup *v;
  size_t n;
};

static void list_release(struct catchups *l)
{
  size_t i;

  for (i = 0; i < l->n; i++)
    scope_parts_release(&l->v[i].parts);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

/* Appends a catch-up of parts (copied); 0 or SB_ENOMEM. */
static int list_add(struct catchups *l, const struct scope_parts *parts,
                    uint64_t since, uint64_t until)
{
  struct catchup *v = realloc(l->v, (l->n + 1) * sizeof(*v));
  struct catchup *c;
  size_t i;
  int rc = 0;

  if (v == NULL)
    return SB_ENOMEM;
  l->v = v;
  c = &v[l->n++];
  scope_parts_init(&c->parts);
  c->since = since;
  c->until = until;
  for (i = 0; rc == 0 && i < parts->n; i++)
    rc = scope_parts_add(&c->parts, parts->v[i]);
  return rc;
}

/* A cursor as the store keeps it: decimal digits, at most 2^53 (what the
 * hub accepts as since), into *out; the text after it in *end. */
static bool read_cursor(const char *text, uint64_t *out, const char **end)
{
  const char *p = text;
  uint64_t n = 0;

  for (; *p >= '0' && *p <= '9'; p++) {
    n = n * 10 + (uint64_t)(*p - '0');
    if (n > (uint64_t)1 << 53)
      return false;
  }
  *out = n;
  *end = p;
  return p != text;
}

/* Adds the catch-up of one line "SINCE UNTIL PARTS"; SB_ECORRUPT for a
 * line that is not one (never passed over: a save would drop its parts,
 * whose records would then never come). */
static int list_add_line(struct catchups *l, const char *line)
{
  struct scope_parts parts;
  uint64_t since, until;
  const char *p;
  int rc = SB_ECORRUPT;

  scope_parts_init(&parts);
  if (read_cursor(line, &since, &p) && *p == ' ' &&
      read_cursor(p + 1, &until, &p) && *p == ' ') {
    rc = scope_read(p + 1, &parts, NULL);
    if (rc == SB_EINVAL || (rc == 0 && (parts.all || parts.n == 0)))
      rc = SB_ECORRUPT;
    else if (rc == 0)
      rc = list_add(l, &parts, since, until);
  }
  scope_parts_release(&parts);
  return rc;
}

/* The one catch-up devices before the queue kept, if any. */
static int list_load_old(struct sync *s, struct catchups *l)
{
  char *text = NULL, *a = NULL, *b = NULL;
  struct scope_parts parts;
  uint64_t since, until;
  const char *end;
  int rc = store_meta_get(s->store, KEY_OLD_PARTS, &text, NULL);

  scope_parts_init(&parts);
  if (rc == 0)
    rc = store_meta_get(s->store, KEY_OLD_SINCE, &a, NULL);
  if (rc == 0)
    rc = store_meta_get(s->store, KEY_OLD_UNTIL, &b, NULL);
  if (rc == 0)
    rc = read_cursor(a, &since, &end) && *end == '\0' &&
                 read_cursor(b, &until, &end) && *end == '\0' &&
                 scope_read(text, &parts, NULL) == 0 && !parts.all &&
                 parts.n > 0
             ? list_add(l, &parts, since, until)
             : SB_ECORRUPT;
  else if (rc == SB_ENOTFOUND)
    rc = 0; /* none */
  scope_parts_release(&parts);
  free(text);
  free(a);
  free(b);
  return rc;
}

/* Reads the pending catch-ups (none: l->n == 0); 0, SB_ENOMEM,
 * SB_ECORRUPT for a queue that does not read, or the store's error:
 * unreadable is never "none" (a save would drop the queue). */
static int list_load(struct sync *s, struct catchups *l, struct sb_err *err)
{
  char *text = NULL, *line, *next;
  int rc = 0, got;

  l->v = NULL;
  l->n = 0;
  got = store_meta_get(s->store, KEY_LIST, &text, NULL);
  if (got != 0 && got != SB_ENOTFOUND) {
    rc = got;
  } else if (got == 0) {
    for (line = text; rc == 0 && line != NULL && *line != '\0'; line = next) {
      next = strchr(line, '\n');
      if (next != NULL)
        *next++ = '\0';
      rc = list_add_line(l, line);
    }
  } else {
    rc = list_load_old(s, l);
  }
  free(text);
  if (rc != 0) {
    list_release(l);
    sb_err_set(err, rc, "the store's per-part catch-ups (%s) do not read: %s",
               KEY_LIST, sb_err_str(rc));
  }
  return rc;
}

/* Stores l in place of what was (inside a transaction). */
static int list_save(struct sync *s, const struct catchups *l,
                     struct sb_err *err)
{
  char parts[SCOPE_TEXT_MAX + 1], line[SCOPE_TEXT_MAX + 64];
  struct buf text;
  size_t i;
  int rc = 0;

  buf_init(&text);
  for (i = 0; rc == 0 && i < l->n; i++) {
    if (!scope_text(&l->v[i].parts, parts, sizeof(parts))) {
      rc = sb_err_set(err, SB_EINVAL, "scope parts too long");
      break;
    }
    snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 " %s\n", l->v[i].since,
             l->v[i].until, parts);
    if (buf_adds(&text, line) != 0)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  }
  if (rc == 0)
    rc = l->n == 0 ? store_meta_delete(s->store, KEY_LIST, err)
                   : store_meta_set(s->store, KEY_LIST, text.p, err);
  if (rc == 0)
    rc = store_meta_delete(s->store, KEY_OLD_PARTS, err);
  if (rc == 0)
    rc = store_meta_delete(s->store, KEY_OLD_SINCE, err);
  if (rc == 0)
    rc = store_meta_delete(s->store, KEY_OLD_UNTIL, err);
  buf_release(&text);
  return rc;
}

int sync_catchup_drop(struct sync *s, struct sb_err *err)
{
  struct catchups none = {NULL, 0};
  return list_save(s, &none, err);
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

/* Keeps in l only the parts now covers; catch-ups left empty end. */
static int list_keep(struct catchups *l, const struct scope_parts *now)
{
  size_t i, k, kept = 0;
  int rc = 0;

  for (i = 0; i < l->n; i++) {
    struct catchup *c = &l->v[i];
    struct scope_parts left;
    scope_parts_init(&left);
    for (k = 0; rc == 0 && k < c->parts.n; k++)
      if (has_part(now, c->parts.v[k]))
        rc = scope_parts_add(&left, c->parts.v[k]);
    scope_parts_release(&c->parts);
    c->parts = left;
    if (c->parts.n == 0)
      scope_parts_release(&c->parts);
    else
      l->v[kept++] = *c;
  }
  l->n = kept;
  return rc;
}

int sync_catchup_scope(struct sync *s, const struct scope_parts *was,
                       const struct scope_parts *now, bool *reset, bool *gained,
                       struct sb_err *err)
{
  struct catchups l = {NULL, 0};
  struct scope_parts added;
  size_t i;
  int rc;

  *reset = *gained = false;
  if (now->all || was->all) {
    /* To all: pull everything again (from all: nothing was gained). */
    *reset = *gained = now->all && !was->all;
    return sync_catchup_drop(s, err);
  }
  rc = list_load(s, &l, err);
  if (rc != 0)
    return rc;
  scope_parts_init(&added);
  rc = list_keep(&l, now);
  for (i = 0; rc == 0 && i < now->n; i++)
    if (!has_part(was, now->v[i]))
      rc = scope_parts_add(&added, now->v[i]);
  /* The gained parts: from 0, up to where the main cursor is now. */
  if (rc == 0 && added.n > 0)
    rc = list_add(&l, &added, 0, s->cursor);
  *gained = added.n > 0;
  rc = rc != 0 ? sb_err_set(err, SB_ENOMEM, NULL) : list_save(s, &l, err);
  scope_parts_release(&added);
  list_release(&l);
  return rc;
}

/* Percent-encodes text into out (the query value of `parts`), with
 * libcurl's encoder (every byte but A-Z a-z 0-9 - . _ ~ escaped). */
static bool query_escape(const char *text, char *out, size_t size)
{
  char *e = curl_easy_escape(NULL, text, 0);
  bool ok = e != NULL && strlen(e) < size;

  if (ok)
    memcpy(out, e, strlen(e) + 1);
  curl_free(e);
  return ok;
}

/* Merges a page of l's first catch-up and moves its cursor, in one
 * transaction; the catch-up ends at its `until` or the feed's end. */
static int catchup_apply(struct sync *s, const struct changes_page *p,
                         struct catchups *l, size_t *changed,
                         struct sb_err *err)
{
  struct catchup *c = &l->v[0];
  size_t i;
  int rc = store_begin_relaxed(s->store, err);

  for (i = 0; rc == 0 && i < p->n; i++)
    rc = p->c[i].gone ? 0 /* a catch-up sends none; an old hub may */
                      : sync_pull_merge(s, &p->c[i], changed, err);
  if (!p->more || p->next >= c->until) {
    scope_parts_release(&c->parts);
    memmove(l->v, l->v + 1, --l->n * sizeof(*l->v));
  } else {
    c->since = p->next;
  }
  if (rc == 0)
    rc = list_save(s, l, err);
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
  struct catchups l = {NULL, 0};
  struct sb_err err = {0};
  bool rescope = false;
  size_t changed = 0;
  int rc;

  sync_count_bytes(s, r);
  if (sync_rebase_due(s, r, true))
    return;
  if (sync_reply_failed(s, r, N_("pull")))
    return;
  changes_page_init(&page);
  rc = changes_page_decode(&page, r->body, r->len, &err);
  if (rc == 0)
    rc = list_load(s, &l, &err);
  /* A long-poll's page may have applied a new scope or started a
   * re-sync, and so changed the catch-ups, while this page was on its
   * way (a part lost, the store wiped): then it is dropped unmerged, the
   * main pull goes on from its cursor and the queue is read anew. */
  if (rc == 0 && s->catchup_epoch != s->scope_epoch) {
    rescope = true;
  } else if (rc == 0 && l.n > 0) {
    if (page.next < l.v[0].since)
      rc = sb_err_set(&err, SB_EPROTOCOL, "catch-up page goes back");
    else if (sync_scope_changed(s, page.scope))
      rescope = true; /* the main pull applies the new scope first */
    else
      rc = catchup_apply(s, &page, &l, &changed, &err);
  }
  changes_page_release(&page);
  list_release(&l);
  if (rc != 0) {
    sync_failed_with(s, err.code, true, "pull: %s", err.msg);
    return;
  }
  s->online = true;
  s->cycle_pulled += changed;
  s->total_pulled += changed;
  if (changed > 0)
    sync_emit(s, SYNC_EV_PROGRESS);
  if (s->stopping)
    return;
  if (rescope)
    sync_pull_next(s, s->cursor);
  else if (!sync_catchup_next(s))
    sync_cycle_done(s);
}

bool sync_catchup_pending(struct sync *s)
{
  struct catchups l = {NULL, 0};
  /* a queue that does not read is pending too: the cycle says why */
  bool pending = list_load(s, &l, NULL) != 0 || l.n > 0;

  list_release(&l);
  return pending;
}

bool sync_catchup_next(struct sync *s)
{
  struct catchups l = {NULL, 0};
  char text[SCOPE_TEXT_MAX + 1], q[3 * SCOPE_TEXT_MAX + 1];
  char path[3 * SCOPE_TEXT_MAX + 128];
  struct sb_err err = {0};
  uint64_t since = 0;
  bool ok;

  if (s->stopping)
    return false;
  if (list_load(s, &l, &err) != 0) {
    /* not "nothing to catch up": the cycle fails, saying why */
    sync_failed_with(s, err.code, true, "pull: %s", err.msg);
    return true;
  }
  ok = l.n > 0 && scope_text(&l.v[0].parts, text, sizeof(text)) &&
       query_escape(text, q, sizeof(q));
  if (ok)
    since = l.v[0].since;
  list_release(&l);
  if (!ok)
    return false;
  s->phase = SYNC_PULL;
  s->catchup_epoch = s->scope_epoch;
  snprintf(path, sizeof(path),
           PROTO_VERSION_PATH "/changes?since=%" PRIu64
                              "&limit=%u&parts=%s" PROTO_FORM_COMPACT_QUERY,
           since, s->cfg.page, q);
  sync_exchange(s, s->http, "GET", path, NULL, 0, (long)s->cfg.timeout_s,
                catchup_done);
  return true;
}
