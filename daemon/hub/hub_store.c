/*
 * hub_store.c - the hub's storage as its callers see it (hub_store.h):
 * the backend chosen for a path, the hub's schema, the feed's pages, each
 * call passed on to the backend's primitives (struct hub_store_ops); a
 * push goes to hub_push.c, devices to hub_store_devices.c, a migration to
 * hub_store_copy.c.
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_int.h"

#include "hub_push.h"
#include "hub_scope.h"
#include "schema.h"

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
  /* Stored states are canonical texts, as sent (the compact form, or the
   * full one of an older hub's rows; read_page makes them full for
   * devices that did not ask for compact). */
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
