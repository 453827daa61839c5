/*
 * hub_store.c - the hub's storage as its callers see it (hub_store.h):
 * the backend chosen for a path, the hub's schema, the feed's pages, the
 * checks of device names and token hashes, each call passed on to the
 * backend's primitives (struct hub_store_ops); a push goes to hub_push.c.
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_int.h"

#include "hub_push.h"
#include "hub_restore.h"
#include "hub_scope.h"
#include "schema.h"
#include "update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stops a feed walk early without an error. */
#define WALK_STOP 1

/* Runs of a transaction that failed transiently (serialization failure,
 * deadlock, a reset connection), counting the first. */
#define TRANSIENT_TRIES 4

bool hub_store_is_pg(const char *path)
{
  return strncmp(path, "postgresql://", 13) == 0 ||
         strncmp(path, "postgres://", 11) == 0;
}

int hub_store_meta_maybe(const struct hub_store_ops *ops, void *be,
                         const char *key, char **value, struct sb_err *err)
{
  struct sb_err why = {0};
  int rc = ops->meta_get(be, key, value, &why);

  if (rc == SB_ENOTFOUND) {
    *value = NULL;
    return 0;
  }
  if (rc != 0 && err != NULL)
    *err = why;
  return rc;
}

/* Appends s[0..n) to out[size] at *at (cut at the end). */
static void shown_add(char *out, size_t size, size_t *at, const char *s,
                      size_t n)
{
  if (*at + 1 >= size)
    return;
  if (n > size - 1 - *at)
    n = size - 1 - *at;
  memcpy(out + *at, s, n);
  *at += n;
  out[*at] = '\0';
}

void hub_store_shown(const char *path, char *out, size_t size)
{
  const char *auth, *end, *at_sign = NULL, *colon, *p;
  size_t at = 0;

  if (size == 0)
    return;
  out[0] = '\0';
  if (!hub_store_is_pg(path)) {
    shown_add(out, size, &at, path, strlen(path));
    return;
  }
  /* scheme://[user[:password]@]host.../db?k=v&... (libpq's URI form) */
  auth = strstr(path, "://") + 3;
  end = auth + strcspn(auth, "/?");
  for (p = auth; p < end; p++) {
    if (*p == '@')
      at_sign = p;
  }
  colon = at_sign != NULL ? memchr(auth, ':', (size_t)(at_sign - auth)) : NULL;
  if (colon != NULL) {
    shown_add(out, size, &at, path, (size_t)(colon + 1 - path));
    shown_add(out, size, &at, "***", 3);
    p = at_sign;
  } else {
    p = path;
  }
  /* the rest, each password= parameter's value hidden */
  while (*p != '\0') {
    size_t n = strcspn(p, "?&");
    shown_add(out, size, &at, p, n);
    p += n;
    if (*p == '\0')
      break;
    shown_add(out, size, &at, p, 1); /* '?' or '&' */
    p++;
    if (strncmp(p, "password=", 9) == 0) {
      shown_add(out, size, &at, "password=***", 12);
      p += 9 + strcspn(p + 9, "&");
    }
  }
}

/* The backend for path: PostgreSQL for a libpq URI, else the embedded
 * SQLite store. */
static const struct hub_store_ops *backend_for(const char *path)
{
  if (hub_store_is_pg(path))
    return &hub_store_pg_ops;
  return &hub_store_sqlite_ops;
}

/* True if rc is a failure that may pass when run again. */
static bool transient(const struct hub_store *hs, int rc)
{
  return rc == SB_EBUSY && hs->ops->transient != NULL &&
         hs->ops->transient(hs->be);
}

/* A hub_store for path, with nothing open yet. */
static int hub_store_new(const char *path, struct hub_store **out,
                         struct sb_err *err)
{
  struct hub_store *hs = calloc(1, sizeof(*hs));

  *out = NULL;
  if (hs != NULL)
    hs->path = strdup(path);
  if (hs == NULL || hs->path == NULL) {
    char shown[HUB_STORE_SHOWN_MAX];
    hub_store_shown(path, shown, sizeof(shown));
    free(hs);
    return sb_err_set(err, SB_ENOMEM, "out of memory opening %s", shown);
  }
  hs->ops = backend_for(path);
  *out = hs;
  return 0;
}

static int hub_store_load_schema(struct hub_store *hs, struct sb_err *err)
{
  int rc = schema_parse(hs->ops->schema_text(hs->be), &hs->schema, err);
  if (rc != 0)
    sb_err_prefix(err, "the hub's schema");
  return rc;
}

/* Stores the scope parts of a store's records once (hub_scope_index), and
 * notes who follows whom (hub_scope_refs_fill). A failure (a busy, read-only or
 * damaged store) leaves them unknown, which costs time, never a record:
 * scoped reads look at every row without a part, and a scope change reads
 * every follower while the notes are not complete. */
static void hub_store_index(struct hub_store *hs)
{
  struct sb_err ignored = {0};
  (void)hub_scope_index(hs->ops, hs->be, hs->schema, &ignored);
  (void)hub_scope_refs_fill(hs->ops, hs->be, hs->schema, &ignored);
}

int hub_store_create(const char *path, const char *schema_text,
                     struct hub_store **out, struct sb_err *err)
{
  struct hub_store *hs;
  struct schema *check = NULL;
  int rc;

  *out = NULL;
  /* Refuse a bad schema before any file exists. */
  rc = schema_parse(schema_text, &check, err);
  schema_free(check);
  if (rc == 0)
    rc = hub_store_new(path, &hs, err);
  if (rc != 0)
    return rc;
  rc = hs->ops->create(path, schema_text, &hs->be, err);
  if (rc == 0)
    rc = hub_store_load_schema(hs, err);
  if (rc == 0)
    hub_store_index(hs);
  if (rc != 0) {
    hub_store_close(hs);
    return rc;
  }
  *out = hs;
  return 0;
}

int hub_store_open(const char *path, struct hub_store **out, struct sb_err *err)
{
  struct hub_store *hs;
  int rc = hub_store_new(path, &hs, err);

  if (rc != 0)
    return rc;
  rc = hs->ops->open(path, &hs->be, err);
  if (rc == 0)
    rc = hub_store_load_schema(hs, err);
  if (rc == 0)
    hub_store_index(hs);
  if (rc != 0) {
    hub_store_close(hs);
    return rc;
  }
  *out = hs;
  return 0;
}

int hub_store_open_reader(const char *path, struct hub_store **out,
                          struct sb_err *err)
{
  int rc = hub_store_open(path, out, err);
  if (rc == 0)
    (*out)->reader = true;
  return rc;
}

void hub_store_serve_writer(struct hub_store *hs)
{
  if (hs->ops->serve_writer != NULL)
    hs->ops->serve_writer(hs->be);
}

void hub_store_idle(struct hub_store *hs)
{
  if (hs->ops->idle != NULL)
    hs->ops->idle(hs->be);
}

const char *hub_store_path(const struct hub_store *hs)
{
  return hs->path;
}

void hub_store_close(struct hub_store *hs)
{
  if (hs == NULL)
    return;
  if (hs->be != NULL)
    hs->ops->close(hs->be);
  schema_free(hs->schema);
  free(hs->path);
  free(hs);
}

const char *hub_store_replica(const struct hub_store *hs)
{
  return hs->ops->replica(hs->be);
}

const char *hub_store_schema_text(const struct hub_store *hs)
{
  return hs->ops->schema_text(hs->be);
}

const struct schema *hub_store_schema(const struct hub_store *hs)
{
  return hs->schema;
}

/* --- push (the policy is hub_push.c) ---------------------------------- */

int hub_store_held_each(struct hub_store *hs, hub_held_fn fn, void *ctx,
                        struct sb_err *err)
{
  return hub_push_held_each(hs->ops, hs->be, fn, ctx, err);
}

int hub_store_held_count(struct hub_store *hs, uint64_t *n, struct sb_err *err)
{
  return hub_push_held_count(hs->ops, hs->be, n, err);
}

int hub_store_push_group(struct hub_store *hs, struct hub_push_batch *const *b,
                         size_t nb)
{
  struct hub_push_batch *again[64];
  size_t i, n;
  int tries;

  hub_push_group(hs->ops, hs->be, hs->schema, b, nb);
  /* A batch that failed applied nothing: the transiently failed ones run
   * again (the policy from the start, on the state as it is now). */
  for (tries = 1; tries < TRANSIENT_TRIES; tries++) {
    for (i = n = 0; i < nb && n < sizeof(again) / sizeof(again[0]); i++)
      if (b[i]->rc != 0 && transient(hs, b[i]->rc))
        again[n++] = b[i];
    if (n == 0)
      break;
    hub_push_group(hs->ops, hs->be, hs->schema, again, n);
  }
  return 0;
}

int hub_store_push(struct hub_store *hs, const char *pusher, uint64_t max_ts,
                   const struct record *recs, size_t n,
                   struct push_reply *reply, struct hub_push_stats *stats,
                   struct sb_err *err)
{
  int tries, rc = 0;

  for (tries = 0; tries < TRANSIENT_TRIES; tries++) {
    rc = hub_push(hs->ops, hs->be, hs->schema, pusher, max_ts, recs, n, reply,
                  stats, err);
    if (!transient(hs, rc))
      break;
  }
  return rc;
}

/* --- several hubs on one store ---------------------------------------- */

int hub_store_watch(struct hub_store *hs, struct uv_loop_s *loop,
                    void (*on_change)(void *ctx, uint64_t seq), void *ctx,
                    struct sb_err *err)
{
  if (hs->ops->watch == NULL)
    return 0;
  return hs->ops->watch(hs->be, loop, on_change, ctx, err);
}

int hub_store_unwatch(struct hub_store *hs, void (*closed)(void *ctx),
                      void *ctx)
{
  if (hs->ops->unwatch == NULL)
    return 0;
  return hs->ops->unwatch(hs->be, closed, ctx);
}

/* --- change feed ------------------------------------------------------- */

void hub_store_page_init(struct hub_page *p)
{
  memset(p, 0, sizeof(*p));
}

bool hub_store_page_full(const struct hub_page *p, size_t len)
{
  return p->n > 0 && p->bytes + len > PROTO_PAGE_BYTES;
}

void hub_store_page_release(struct hub_page *p)
{
  size_t i;
  for (i = 0; i < p->n; i++)
    free(p->states[i]);
  free(p->states);
  free(p->seqs);
  free(p->gone);
  hub_store_page_init(p);
}

struct page_walk {
  struct hub_page *page;
  unsigned limit;
  unsigned looked, cap; /* entries looked at; at most cap - 1 */
  uint64_t last;        /* the last seq looked at */
  int rc;
};

static int page_add(const char *collection, const char *id, uint64_t seq,
                    const char *text, size_t len, void *ctx)
{
  struct page_walk *w = ctx;
  struct hub_page *p = w->page;
  char *copy;

  (void)collection;
  (void)id;
  if (p->n == w->limit || w->looked + 1 == w->cap ||
      (text != NULL && hub_store_page_full(p, len))) {
    p->more = true;
    return WALK_STOP;
  }
  w->looked++;
  w->last = seq;
  if (text == NULL)
    return 0; /* the reader's own echo: passed over */
  /* Stored states are record_encode's canonical text: sent as they are. */
  copy = malloc(len + 1);
  if (copy == NULL) {
    w->rc = SB_ENOMEM;
    return WALK_STOP;
  }
  memcpy(copy, text, len + 1);
  p->states[p->n] = copy;
  p->seqs[p->n] = seq;
  p->n++;
  p->bytes += len;
  return 0;
}

int hub_store_changes(struct hub_store *hs, uint64_t since, unsigned limit,
                      const char *holder, struct hub_page *page,
                      struct sb_err *err)
{
  struct page_walk w = {page, limit, 0, 0, since, 0};
  int rc;

  hub_store_page_release(page);
  page->next = since;
  if (limit == 0)
    return sb_err_set(err, SB_EINVAL, "a page of 0 changes");
  page->seqs = calloc(limit, sizeof(*page->seqs));
  page->states = calloc(limit, sizeof(*page->states));
  if (page->seqs == NULL || page->states == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, "out of memory for a page of %u", limit);
    goto fail;
  }
  /* Echoes cost no copy: a page skipping them may look further. */
  w.cap = holder != NULL && limit < HUB_ECHO_SCAN_MAX ? HUB_ECHO_SCAN_MAX + 1
                                                      : limit + 1;
  /*
   * The newest seq first: on a reader's connection a commit can land
   * between the two reads, and a last_seq older than the page is safe
   * (a long-poll looks again) where a newer one could hide a change.
   * One entry past the page tells whether more are ready.
   */
  rc = hs->ops->last_seq(hs->be, &page->last_seq, err);
  if (rc == 0)
    rc = hs->ops->feed(hs->be, since, w.cap, limit + 1, holder, page_add, &w,
                       err);
  if (rc == WALK_STOP)
    rc = w.rc != 0 ? sb_err_set(err, w.rc, "out of memory reading changes") : 0;
  if (rc != 0)
    goto fail;
  page->next = w.last;
  return 0;

fail:
  hub_store_page_release(page);
  page->next = since;
  return rc;
}

/* The arrays of a scoped page of at most limit entries. */
static int scoped_page_alloc(struct hub_page *page, unsigned limit,
                             struct sb_err *err)
{
  page->seqs = calloc(limit, sizeof(*page->seqs));
  page->states = calloc(limit, sizeof(*page->states));
  if (page->seqs == NULL || page->states == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory for a page of %u", limit);
  return 0;
}

int hub_store_changes_scoped(struct hub_store *hs, uint64_t since,
                             unsigned limit, const struct scope_parts *dev,
                             const char *holder, struct hub_page *page,
                             struct sb_err *err)
{
  int rc;

  if (dev == NULL || dev->all || hs->ops->device_get == NULL)
    return hub_store_changes(hs, since, limit, holder, page, err);
  hub_store_page_release(page);
  page->next = since;
  if (limit == 0)
    return sb_err_set(err, SB_EINVAL, "a page of 0 changes");
  rc = scoped_page_alloc(page, limit, err);
  if (rc == 0)
    rc = hub_scope_page(hs->ops, hs->be, hs->schema, since, limit, dev, holder,
                        page, err);
  if (rc != 0) {
    hub_store_page_release(page);
    page->next = since;
  }
  return rc;
}

int hub_store_changes_parts(struct hub_store *hs, uint64_t since,
                            unsigned limit, const struct scope_parts *parts,
                            const char *holder, struct hub_page *page,
                            struct sb_err *err)
{
  int rc;

  hub_store_page_release(page);
  page->next = since;
  if (limit == 0)
    return sb_err_set(err, SB_EINVAL, "a page of 0 changes");
  if (!parts->all && parts->n == 0)
    return hs->ops->last_seq(hs->be, &page->last_seq, err);
  if (parts->all || hs->ops->device_get == NULL)
    return hub_store_changes(hs, since, limit, holder, page, err);
  rc = scoped_page_alloc(page, limit, err);
  if (rc == 0)
    rc = hub_scope_page_parts(hs->ops, hs->be, hs->schema, since, limit, parts,
                              holder, page, err);
  if (rc != 0) {
    hub_store_page_release(page);
    page->next = since;
  }
  return rc;
}

int hub_store_last_seq(struct hub_store *hs, uint64_t *seq, struct sb_err *err)
{
  return hs->ops->last_seq(hs->be, seq, err);
}

int hub_store_check(struct hub_store *hs, enum store_check_level level,
                    int budget_ms, store_problem_fn fn, void *ctx,
                    enum store_check_state *state, struct sb_err *err)
{
  if (hs->ops->check == NULL) {
    if (state != NULL)
      *state = STORE_CHECK_OK;
    return 0;
  }
  return hs->ops->check(hs->be, level, budget_ms, fn, ctx, state, err);
}

int hub_store_compact(struct hub_store *hs, struct hub_compaction *out,
                      struct sb_err *err)
{
  memset(out, 0, sizeof(*out));
  if (hs->ops->compact == NULL)
    return sb_err_set(err, SB_EINVAL, "the %s hub store cannot compact",
                      hs->ops->name);
  return hs->ops->compact(hs->be, out, err);
}

int hub_store_erasure_check(struct hub_store *hs, struct hub_compaction *out,
                            struct sb_err *err)
{
  memset(out, 0, sizeof(*out));
  out->log_cleared = true;
  return hs->ops->erasure_check != NULL
             ? hs->ops->erasure_check(hs->be, out, err)
             : 0;
}

int hub_store_each(struct hub_store *hs, store_record_fn fn, void *ctx,
                   struct sb_err *err)
{
  return hs->ops->each(hs->be, fn, ctx, err);
}

/* --- devices ----------------------------------------------------------- */

bool hub_store_device_name_valid(const char *s)
{
  /* The protocol's rule: devices receive these names (GET /v1/names). */
  return proto_device_name_valid(s);
}

bool hub_device_hash_valid(const char *s)
{
  size_t n;
  for (n = 0; s[n] != '\0'; n++) {
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return false;
  }
  return n == HUB_HASH_HEX_LEN;
}

/* scope as the stored text of a device scope, checked against the schema. */
static int device_scope_text(struct hub_store *hs, const char *scope, char *out,
                             size_t size, struct sb_err *err)
{
  struct scope_parts p;
  int rc;

  scope_parts_init(&p);
  rc = scope_parse(hs->schema, scope, &p, err);
  if (rc == 0 && !scope_text(&p, out, size))
    rc = sb_err_set(err, SB_EINVAL, "scope is too long");
  scope_parts_release(&p);
  return rc;
}

int hub_store_device_add(struct hub_store *hs, const char *name,
                         const char *token_hash, uint64_t created_ms,
                         const char *scope, struct sb_err *err)
{
  struct hub_device d, old;
  int rc;

  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_EINVAL,
                      "bad device name \"%.80s\" (1 to %d of A-Z a-z 0-9 "
                      "- _ ., starting with a letter or digit)",
                      name, HUB_DEVICE_NAME_MAX);
  if (!hub_device_hash_valid(token_hash))
    return sb_err_set(err, SB_EINVAL, "bad token hash");
  memset(&d, 0, sizeof(d));
  snprintf(d.name, sizeof(d.name), "%s", name);
  snprintf(d.token_hash, sizeof(d.token_hash), "%s", token_hash);
  d.created_ms = created_ms;
  rc = device_scope_text(hs, scope, d.scope, sizeof(d.scope), err);
  /* A backend that keeps no scopes would serve such a device everything:
   * refuse rather than enrol it wider than asked. */
  if (rc == 0 && hs->ops->device_get == NULL && strcmp(d.scope, "all") != 0)
    return sb_err_set(err, SB_EINVAL,
                      "the %s backend keeps no device scopes yet: enrol "
                      "with --scope all, or use the SQLite hub",
                      hs->ops->name);
  if (rc != 0 || hs->ops->device_get == NULL)
    return rc != 0 ? rc : hs->ops->device_add(hs->be, &d, err);
  rc = hs->ops->device_get(hs->be, name, &old, NULL);
  if (rc == SB_ENOTFOUND)
    return hs->ops->device_add(hs->be, &d, err);
  if (rc != 0)
    return hub_store_device_get(hs, name, &old, err);
  if (!old.revoked)
    return sb_err_set(err, SB_EEXISTS, "a device called %s already exists",
                      name);
  /* Enrolled again: a new token, unbound, active; the old token stays
   * refused (its hash no longer names a device). */
  return hs->ops->device_update(hs->be, &d, old.token_hash, err);
}

int hub_store_device_get(struct hub_store *hs, const char *name,
                         struct hub_device *out, struct sb_err *err)
{
  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_ENOTFOUND, "no device called %.80s", name);
  if (hs->ops->device_get == NULL)
    return sb_err_set(err, SB_EINVAL, "the %s backend has no scopes yet",
                      hs->ops->name);
  return hs->ops->device_get(hs->be, name, out, err);
}

int hub_store_device_set_scope(struct hub_store *hs, const char *name,
                               const char *scope, struct sb_err *err)
{
  struct hub_device d;
  int rc = hub_store_device_get(hs, name, &d, err);

  if (rc == 0)
    rc = device_scope_text(hs, scope, d.scope, sizeof(d.scope), err);
  if (rc == 0)
    rc = hs->ops->device_update(hs->be, &d, NULL, err);
  return rc;
}

int hub_store_device_rotate(struct hub_store *hs, const char *name,
                            const char *token_hash, struct sb_err *err)
{
  struct hub_device d;
  char old[HUB_HASH_HEX_LEN + 1];
  int rc = hub_store_device_get(hs, name, &d, err);

  if (rc != 0)
    return rc;
  if (!hub_device_hash_valid(token_hash))
    return sb_err_set(err, SB_EINVAL, "bad token hash");
  if (d.revoked)
    return sb_err_set(err, SB_EINVAL,
                      "device %s is revoked: enrol it again with device add",
                      name);
  snprintf(old, sizeof(old), "%s", d.token_hash);
  snprintf(d.token_hash, sizeof(d.token_hash), "%s", token_hash);
  return hs->ops->device_update(hs->be, &d, old, err);
}

/* A backend that keeps no scopes holds only devices of scope all
 * (hub_store_device_add refuses the others): say so in what it lists. */
struct scopeless_walk {
  hub_device_fn fn;
  void *ctx;
};

static int scopeless_one(const struct hub_device *d, void *ctx)
{
  struct scopeless_walk *w = ctx;
  struct hub_device all = *d;

  if (all.scope[0] == '\0')
    snprintf(all.scope, sizeof(all.scope), "all");
  return w->fn(&all, w->ctx);
}

int hub_store_device_list(struct hub_store *hs, hub_device_fn fn, void *ctx,
                          struct sb_err *err)
{
  struct scopeless_walk w = {fn, ctx};
  return hs->ops->device_list(hs->be, scopeless_one, &w, err);
}

int hub_store_device_revoke(struct hub_store *hs, const char *name,
                            struct sb_err *err)
{
  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_ENOTFOUND, "no device called %.80s", name);
  return hs->ops->device_revoke(hs->be, name, err);
}

int hub_store_device_by_token(struct hub_store *hs, const char *token_hash,
                              struct hub_device *out, struct sb_err *err)
{
  if (!hub_device_hash_valid(token_hash))
    return sb_err_set(err, SB_ENOTFOUND, "unknown token");
  return hs->ops->device_by_token(hs->be, token_hash, out, err);
}

int hub_store_device_bind(struct hub_store *hs, const char *name,
                          const char *replica, struct sb_err *err)
{
  int rc;

  if (hs->reader)
    return sb_err_set(err, SB_EBUSY,
                      "binding device %s needs the writer's connection", name);
  if (!vv_replica_id_valid(replica))
    return sb_err_set(err, SB_EINVAL, "bad replica id \"%.40s\"", replica);
  rc = hub_restore_refuse_past(hs, replica, err);
  if (rc != 0)
    return rc;
  return hs->ops->device_bind(hs->be, name, replica, err);
}

/* --- copy to another backend (migrate) --------------------------------- */

struct copy_walk {
  struct hub_store *from, *to;
  uint64_t n;
  struct sb_err *err;
};

/* A device's activity (last seen, push, pull, app) goes with it, where
 * both backends keep one. */
static int copy_activity(struct copy_walk *w, const char *name)
{
  struct hub_store *from = w->from;
  struct hub_device_activity a;
  int rc;

  memset(&a, 0, sizeof(a));
  if (from->ops->device_activity_get == NULL ||
      w->to->ops->device_activity_set == NULL)
    return 0;
  rc = from->ops->device_activity_get(from->be, name, &a, w->err);
  if (rc == 0 && a.seen_ms > 0)
    rc = w->to->ops->device_activity_set(w->to->be, name, &a, w->err);
  return rc;
}

/* A record's scope moves (hub_scope.c's meta key) go with it, so that a
 * scoped device still hears of a record that left its scope. */
static int copy_moves(struct copy_walk *w, const struct record *r)
{
  char *key, *value = NULL;
  int rc;

  if (w->to->ops->each_in == NULL)
    return 0; /* the target keeps no scopes */
  key = hub_scope_moved_key(r->collection, r->id);
  if (key == NULL)
    return sb_err_set(w->err, SB_ENOMEM, NULL);
  rc = w->from->ops->meta_get(w->from->be, key, &value, w->err);
  if (rc == SB_ENOTFOUND)
    rc = 0;
  else if (rc == 0)
    rc = w->to->ops->meta_set(w->to->be, key, value, w->err);
  free(value);
  free(key);
  return rc;
}

static int copy_record(const struct record *r, uint64_t seq, void *ctx)
{
  struct copy_walk *w = ctx;
  char *text = record_encode(r);
  int rc;

  if (text == NULL)
    return sb_err_set(w->err, SB_ENOMEM, NULL);
  rc = w->to->ops->import_record(w->to->be, r->collection, r->id, text, seq,
                                 w->err);
  free(text);
  if (rc == 0)
    rc = copy_moves(w, r);
  if (rc == 0)
    w->n++;
  return rc;
}

static int copy_device(const struct hub_device *d, void *ctx)
{
  struct copy_walk *w = ctx;
  int rc = w->to->ops->import_device(w->to->be, d, w->err);
  if (rc == 0)
    rc = copy_activity(w, d->name);
  if (rc == 0)
    w->n++;
  return rc;
}

static int copy_user(const struct hub_user *u, void *ctx)
{
  struct copy_walk *w = ctx;
  int rc = w->to->ops->user_put(w->to->be, u, true, w->err);
  if (rc == 0)
    w->n++;
  return rc;
}

/* An office session goes with its user, so nobody logs in again (one of
 * a user who is gone is left behind: it could not be used anyway). */
static int copy_session(const struct hub_session *ss, void *ctx)
{
  struct copy_walk *w = ctx;
  struct hub_user u;
  struct sb_err ignored = {0};

  if (w->to->ops->user_get(w->to->be, ss->user, &u, &ignored) != 0)
    return 0;
  return w->to->ops->session_put(w->to->be, ss, w->err);
}

static int copy_setting(const char *key, const char *value, void *ctx)
{
  struct copy_walk *w = ctx;
  return w->to->ops->meta_set(w->to->be, key, value, w->err);
}

/* The purge meta (hub_purge.c: device cursors, the horizon, the ledger)
 * and the feed's newest seq (above every record's when the newest was
 * purged: SQLite's seq_floor), so nothing purged comes back and no
 * number is handed out twice; and the pushes held aside
 * (hub_push_held.c), so a write they carry still gets in when its
 * author's device pushes to the new store. */
static int copy_meta(struct copy_walk *w)
{
  static const char *const prefixes[] = {"device.cursor.", "purge.",
                                         HUB_HELD_PREFIX};
  uint64_t last = 0;
  size_t i;
  int rc = w->from->ops->last_seq(w->from->be, &last, w->err);

  if (rc == 0 && last > 0)
    rc = w->to->ops->import_record(w->to->be, NULL, NULL, NULL, last, w->err);
  if (w->from->ops->meta_each == NULL)
    return rc;
  for (i = 0; rc == 0 && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
    rc = w->from->ops->meta_each(w->from->be, prefixes[i], copy_setting, w,
                                 w->err);
  return rc;
}

static int count_device(const struct hub_device *d, void *ctx)
{
  (void)d;
  (*(uint64_t *)ctx)++;
  return 0;
}

int hub_store_copy(struct hub_store *from, struct hub_store *to,
                   uint64_t *records, uint64_t *devices, struct sb_err *err)
{
  struct copy_walk rw = {from, to, 0, err}, dw = {from, to, 0, err};
  struct copy_walk uw = {from, to, 0, err};
  uint64_t seq = 0, held = 0;
  int rc;

  *records = *devices = 0;
  if (to->ops->import_record == NULL || to->ops->import_device == NULL)
    return sb_err_set(err, SB_EINVAL, "the %s backend cannot import",
                      to->ops->name);
  rc = to->ops->last_seq(to->be, &seq, err);
  if (rc == 0)
    rc = to->ops->device_list(to->be, count_device, &held, err);
  if (rc != 0)
    return rc;
  if (seq > 0 || held > 0)
    return sb_err_set(err, SB_EEXISTS,
                      "%s holds records or devices already; "
                      "migrate only into a new store",
                      to->path);
  rc = to->ops->begin(to->be, err);
  /* The hub keeps its replica id (the key is the importing backend's). */
  if (rc == 0)
    rc =
        to->ops->meta_set(to->be, "replica", from->ops->replica(from->be), err);
  if (rc == 0)
    rc = hub_restore_copy(from, to, err);
  if (rc == 0)
    rc = from->ops->each(from->be, copy_record, &rw, err);
  if (rc == 0)
    rc = from->ops->device_list(from->be, copy_device, &dw, err);
  if (rc == 0 && from->ops->user_list != NULL && to->ops->user_put != NULL)
    rc = from->ops->user_list(from->be, copy_user, &uw, err);
  if (rc == 0 && from->ops->session_each != NULL &&
      to->ops->session_put != NULL && to->ops->user_get != NULL)
    rc = from->ops->session_each(from->be, copy_session, &uw, err);
  if (rc == 0)
    rc = copy_meta(&rw);
  if (rc == 0)
    rc = to->ops->commit(to->be, err);
  if (rc != 0) {
    to->ops->rollback(to->be);
    return rc;
  }
  *records = rw.n;
  *devices = dw.n;
  return 0;
}
