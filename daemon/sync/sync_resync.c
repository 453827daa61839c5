/*
 * sync_resync.c - re-sync after the hub purged tombstones (daemon/sync/
 * DESIGN.md, "Purge"). A device whose cursor is behind the hub's purge
 * horizon may hold a record whose delete it never pulled, and the hub no
 * longer has that delete to send. So it re-downloads its scope as a
 * snapshot: in one transaction every row but the pending ones (what the
 * volunteer wrote and the hub has not acknowledged: never dropped) leaves
 * the store, the cursor goes to 0 and meta RESYNC_KEY is set; the pull
 * then goes on from 0 page by page (each page commits with its cursor, so
 * a crash resumes where it stopped, and RESYNC_KEY keeps it from wiping
 * again); the last page clears the mark. The cycle pushes before it
 * pulls, so what the device has reaches the hub first.
 */
#include "compat.h"

#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

/* 1 while a re-sync runs, 0 if none does, or the store's error (err
 * set): not knowing is never "none", which would wipe the store again or
 * merge a page past deletes the device never got. */
static int resyncing(struct sync *s, struct sb_err *err)
{
  char *v = NULL;
  int rc = store_meta_get(s->store, RESYNC_KEY, &v, NULL);

  free(v);
  if (rc == SB_ENOTFOUND)
    return 0;
  return rc == 0 ? 1 : sb_err_set(err, rc, NULL);
}

/* True if p says the cursor is behind the hub's purge horizon. */
static bool behind_horizon(const struct sync *s, const struct changes_page *p)
{
  return p->horizon > 0 && s->cursor > 0 && s->cursor < p->horizon;
}

bool sync_resync_due(struct sync *s, const struct changes_page *p)
{
  return behind_horizon(s, p) && resyncing(s, NULL) == 0;
}

/* The keys of the store's rows (collected: the walk cannot write). */
struct rows {
  char **keys; /* collection, id pairs */
  size_t n;
  bool nomem;
};

static int row_one(const struct record *r, uint64_t seq, void *ctx)
{
  struct rows *w = ctx;
  char **keys = realloc(w->keys, (w->n + 2) * sizeof(*keys));

  (void)seq;
  if (keys == NULL) {
    w->nomem = true;
    return 1;
  }
  w->keys = keys;
  keys[w->n] = strdup(r->collection);
  keys[w->n + 1] = strdup(r->id);
  w->n += 2;
  if (keys[w->n - 2] == NULL || keys[w->n - 1] == NULL) {
    w->nomem = true;
    return 1;
  }
  return 0;
}

int sync_resync_begin(struct sync *s, const struct changes_page *p, bool *reset,
                      struct sb_err *err)
{
  struct rows w = {NULL, 0, false};
  size_t i;
  int rc = behind_horizon(s, p) ? resyncing(s, err) : 1;

  if (rc != 0)
    return rc < 0 ? rc : 0; /* not behind, or re-syncing already */
  rc = store_each(s->store, NULL, row_one, &w, err);
  if (w.nomem)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  /* store_remove keeps a pending row (and so a rejected one). */
  for (i = 0; rc == 0 && i + 1 < w.n; i += 2)
    rc = store_remove(s->store, w.keys[i], w.keys[i + 1], NULL, err);
  for (i = 0; i < w.n; i++)
    free(w.keys[i]);
  free(w.keys);
  if (rc == 0)
    rc = sync_catchup_drop(s, err); /* the snapshot holds every part */
  if (rc == 0)
    rc = store_meta_set(s->store, RESYNC_KEY, "1", err);
  if (rc == 0)
    rc = store_meta_set(s->store, CURSOR_KEY, "0", err);
  if (rc == 0)
    *reset = true;
  /* the catch-ups were dropped: a catch-up page in flight is stale */
  s->scope_epoch++;
  return rc;
}

int sync_resync_end(struct sync *s, const struct changes_page *p,
                    struct sb_err *err)
{
  int rc = p->more ? 0 : resyncing(s, err);

  if (rc <= 0)
    return rc;
  return store_meta_delete(s->store, RESYNC_KEY, err);
}
