/*
 * hub_scope.c - scopes at the hub (hub_scope.h).
 *
 * Moves: when a stored state's scope parts differ from the state it
 * replaced, meta key "scope.moved.COLLECTION/ID" gains [seq, "PARTS"]
 * (the parts it left). A device reading the feed from cursor `since`
 * is told a record is gone when its current parts miss the device's scope
 * and a move after `since` left a part of it: it may hold the record. At
 * most HUB_SCOPE_MOVES_MAX moves are kept; the two oldest fold into one
 * (the union of their parts at the newer seq), which can only tell a
 * device more than it needs (an id it does not hold), never less.
 *
 * Scoped reads (daemon/hub/DESIGN.md): after every save here the record's
 * part goes beside it (part_set) and each move is noted (moved_set), so a
 * backend with feed_parts hands a scoped page only the entries it may
 * need; each is still checked exactly as on a full walk.
 */
#include "compat.h"

#include "hub_scope.h"

#include "buf.h"
#include "json.h"

#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOVED_PREFIX "scope.moved."

/* scope_lookup_fn on the backend. */
struct lookup {
  const struct hub_store_ops *ops;
  void *be;
};

static int lookup_load(void *ctx, const char *collection, const char *id,
                       struct record *r, struct scope_parts *known,
                       struct sb_err *err)
{
  struct lookup *l = ctx;
  char *text = NULL, part[256];
  size_t len = 0;
  uint64_t seq = 0;
  struct sb_err why = {0};
  bool has_part = false;
  int rc;

  /* The part stored with the record is its scope (a visit's push looks up
   * its beneficiary: no decoding of it); NULL (several, all, not known)
   * or a failure to read it: decoded as below. */
  if (l->ops->part_get != NULL) {
    rc = l->ops->part_get(l->be, collection, id, part, sizeof(part), &has_part,
                          &why);
    if (rc == SB_ENOTFOUND)
      return rc;
    if (rc == 0 && has_part) {
      if (part[0] != '\0' && scope_parts_add(known, part) != 0)
        return sb_err_set(err, SB_ENOMEM, NULL);
      return SCOPE_KNOWN;
    }
  }
  rc = l->ops->load(l->be, collection, id, &text, &len, &seq, &why);

  if (rc == SB_ENOTFOUND) {
    return rc;
  }
  if (rc == 0)
    rc = record_decode(r, text, len, &why);
  free(text);
  if (rc != 0 && err != NULL)
    *err = why;
  return rc;
}

int hub_scope_of(const struct hub_store_ops *ops, void *be,
                 const struct schema *schema, const struct record *r,
                 struct scope_parts *out, struct sb_err *err)
{
  struct lookup l = {ops, be};
  return scope_of(schema, r, lookup_load, &l, out, err);
}

/* The stored part of a record of parts p (hub_store_ops.part_set): its one
 * part, "" for none, NULL for several or all. */
static const char *part_of(const struct scope_parts *p)
{
  if (p->all || p->n > 1)
    return NULL;
  return p->n == 1 ? p->v[0] : "";
}

/* One ref of a saved record noted (hub_store_ops.ref_add). */
struct ref_note {
  const struct hub_store_ops *ops;
  void *be;
  struct sb_err *err;
};

static int note_ref(void *ctx, const char *ref, const char *collection,
                    const char *id)
{
  struct ref_note *n = ctx;
  return n->ops->ref_add(n->be, ref, collection, id, n->err);
}

/* Saves r (hub_store_ops.save) with its scope part, found into now (the
 * caller releases it): one write, not an insert and an update (a backend
 * without scoped reads keeps no part); then notes the records it follows,
 * so that their scope changes find it without a scan. */
static int save_with_part(const struct hub_store_ops *ops, void *be,
                          const struct schema *schema, const struct record *r,
                          const char *text, size_t len, uint64_t newest_ts,
                          const char *echo, struct scope_parts *now,
                          uint64_t *seq, struct sb_err *err)
{
  struct ref_note n = {ops, be, err};
  int rc = hub_scope_of(ops, be, schema, r, now, err);

  if (rc == 0)
    rc = ops->save(be, r, text, len, newest_ts, echo,
                   ops->part_set != NULL ? part_of(now) : NULL, seq, err);
  if (rc == 0 && ops->ref_add != NULL)
    rc = scope_refs(schema, r, note_ref, &n, err);
  return rc;
}

char *hub_scope_moved_key(const char *collection, const char *id)
{
  size_t n = strlen(MOVED_PREFIX) + strlen(collection) + strlen(id) + 2;
  char *key = malloc(n);
  if (key != NULL)
    snprintf(key, n, "%s%s/%s", MOVED_PREFIX, collection, id);
  return key;
}

/* The moves of (collection, id) as a JSON array (empty if none). */
static int moves_load(const struct hub_store_ops *ops, void *be,
                      const char *key, cJSON **out, struct sb_err *err)
{
  char *text = NULL;
  int rc = hub_store_meta_maybe(ops, be, key, &text, err);

  *out = NULL;
  if (rc != 0)
    return rc;
  if (text == NULL) {
    *out = cJSON_CreateArray();
    return *out != NULL ? 0 : sb_err_set(err, SB_ENOMEM, NULL);
  }
  *out = cJSON_Parse(text);
  rc = *out == NULL ? json_parse_failure(text, strlen(text)) : 0;
  free(text);
  if (rc == SB_ENOMEM)
    return sb_err_set(err, rc, NULL);
  if (!cJSON_IsArray(*out)) {
    cJSON_Delete(*out);
    *out = NULL;
    return sb_err_set(err, SB_ECORRUPT, "malformed %s", key);
  }
  return 0;
}

/* moves_load of (collection, id). */
static int moves_of(const struct hub_store_ops *ops, void *be,
                    const char *collection, const char *id, cJSON **out,
                    struct sb_err *err)
{
  char *key = hub_scope_moved_key(collection, id);
  int rc;

  *out = NULL;
  if (key == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = moves_load(ops, be, key, out, err);
  free(key);
  return rc;
}

/* Folds the two oldest moves of a into one. */
static int moves_fold(cJSON *a)
{
  cJSON *m0 = cJSON_GetArrayItem(a, 0), *m1 = cJSON_GetArrayItem(a, 1);
  struct scope_parts p, q;
  char text[SCOPE_TEXT_MAX * 2 + 2];
  size_t i;
  int rc;

  scope_parts_init(&p);
  scope_parts_init(&q);
  rc = scope_read(cJSON_GetArrayItem(m0, 1)->valuestring, &p, NULL);
  if (rc == 0)
    rc = scope_read(cJSON_GetArrayItem(m1, 1)->valuestring, &q, NULL);
  for (i = 0; rc == 0 && i < q.n; i++)
    rc = scope_parts_add(&p, q.v[i]);
  if (rc == 0 && scope_text(&p, text, sizeof(text)) &&
      strlen(text) <= SCOPE_TEXT_MAX) {
    cJSON_ReplaceItemInArray(m1, 1, cJSON_CreateString(text));
    cJSON_DeleteItemFromArray(a, 0);
  } else {
    rc = SB_EINVAL;
  }
  scope_parts_release(&p);
  scope_parts_release(&q);
  return rc;
}

/* Remembers that (collection, id) left parts `was` at seq. */
static int moves_add(const struct hub_store_ops *ops, void *be,
                     const char *collection, const char *id, uint64_t seq,
                     const struct scope_parts *was, struct sb_err *err)
{
  char text[SCOPE_TEXT_MAX + 1], *key, *value = NULL;
  cJSON *a = NULL, *m;
  int rc;

  if (was->all || was->n == 0)
    return 0; /* it left nobody's scope */
  if (!scope_text(was, text, sizeof(text)))
    return sb_err_set(err, SB_EINVAL, "scope parts too long");
  key = hub_scope_moved_key(collection, id);
  if (key == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = moves_load(ops, be, key, &a, err);
  if (rc == 0) {
    m = cJSON_CreateArray();
    if (m == NULL || !cJSON_AddItemToArray(a, m) ||
        !cJSON_AddItemToArray(m, cJSON_CreateNumber((double)seq)) ||
        !cJSON_AddItemToArray(m, cJSON_CreateString(text)))
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  }
  while (rc == 0 && cJSON_GetArraySize(a) > HUB_SCOPE_MOVES_MAX)
    if (moves_fold(a) != 0)
      cJSON_DeleteItemFromArray(a, 0); /* cannot fold: keep the newest */
  if (rc == 0 && (value = cJSON_PrintUnformatted(a)) == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  if (rc == 0)
    rc = ops->meta_set(be, key, value, err);
  if (rc == 0 && ops->moved_set != NULL)
    rc = ops->moved_set(be, collection, id, seq, err);
  free(value);
  cJSON_Delete(a);
  free(key);
  return rc;
}

/* Whether a move of (collection, id) after since left a part of dev. */
static int moves_left(const struct hub_store_ops *ops, void *be,
                      const char *collection, const char *id, uint64_t since,
                      const struct scope_parts *dev, bool *left,
                      struct sb_err *err)
{
  const cJSON *m;
  cJSON *a = NULL;
  int rc = moves_of(ops, be, collection, id, &a, err);

  *left = false;
  for (m = a != NULL ? a->child : NULL; rc == 0 && m != NULL && !*left;
       m = m->next) {
    const cJSON *seq = cJSON_GetArrayItem(m, 0),
                *parts = cJSON_GetArrayItem(m, 1);
    struct scope_parts p;
    if (!cJSON_IsNumber(seq) || !cJSON_IsString(parts)) {
      rc = sb_err_set(err, SB_ECORRUPT, "malformed moves of %s/%s", collection,
                      id);
      break;
    }
    if ((uint64_t)seq->valuedouble <= since)
      continue;
    /* Unread (out of memory, malformed), the move fails the page: taken
     * as "not left", the device would pass its gone entry for good. */
    scope_parts_init(&p);
    rc = scope_read(parts->valuestring, &p, err);
    if (rc == SB_EINVAL)
      rc = sb_err_set(err, SB_ECORRUPT, "malformed moves of %s/%s", collection,
                      id);
    if (rc == 0)
      *left = scope_meets(dev, &p);
    scope_parts_release(&p);
  }
  cJSON_Delete(a);
  return rc;
}

/* Saves (collection, id) again at a new seq and remembers its move. */
static int resave(const struct hub_store_ops *ops, void *be,
                  const struct schema *schema, const char *collection,
                  const char *id, const struct scope_parts *was,
                  struct sb_err *err)
{
  struct record r;
  struct scope_parts now;
  char *text = NULL;
  size_t len = 0;
  uint64_t seq = 0;
  int rc = ops->load(be, collection, id, &text, &len, &seq, err);

  record_init(&r, collection, id);
  scope_parts_init(&now);
  if (rc == 0)
    rc = record_decode(&r, text, len, err);
  if (rc == 0)
    rc = save_with_part(ops, be, schema, &r, text, len, 0, NULL, &now, &seq,
                        err);
  if (rc == 0)
    rc = moves_add(ops, be, collection, id, seq, was, err);
  scope_parts_release(&now);
  record_release(&r);
  free(text);
  return rc;
}

/* Ids refs_each gives, collected before any of them is read. */
struct id_list {
  char **v;
  size_t n, cap;
};

static int id_list_add(const char *id, void *ctx)
{
  struct id_list *l = ctx;
  char **v = array_grow(l->v, &l->cap, l->n, sizeof(*v), 8);

  if (v == NULL)
    return SB_ENOMEM;
  l->v = v;
  if ((l->v[l->n] = strdup(id)) == NULL)
    return SB_ENOMEM;
  l->n++;
  return 0;
}

/* Tells a backend that prefetches (PostgreSQL) the noted records the
 * walk below is about to load, so they come in one round trip. */
static int followers_prefetch(const struct hub_store_ops *ops, void *be,
                              const char *collection, const struct id_list *l,
                              struct sb_err *err)
{
  const char **keys;
  size_t k;
  int rc;

  if (ops->prefetch == NULL || l->n < 2)
    return 0;
  keys = malloc(2 * l->n * sizeof(*keys));
  if (keys == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (k = 0; k < l->n; k++) {
    keys[2 * k] = collection;
    keys[2 * k + 1] = l->v[k];
  }
  rc = ops->prefetch(be, keys, l->n, err);
  free(keys);
  return rc;
}

/*
 * The records of collection that follow f->of[0] (f->n_of is 1), into f (a
 * scope_followers_visit walk): those noted as following it, each read and
 * checked (a note outlives an edit of the ref, or its record), or, while
 * the notes are not complete or not kept, every record of the collection.
 */
static int followers_find(const struct hub_store_ops *ops, void *be,
                          const char *collection, struct scope_followers *f,
                          struct sb_err *err)
{
  struct id_list l = {NULL, 0, 0};
  size_t k;
  int rc = ops->refs_each != NULL
               ? ops->refs_each(be, f->of[0], collection, id_list_add, &l, err)
               : SB_ENOTFOUND;

  if (rc == SB_ENOTFOUND) {
    rc = ops->each_in(be, collection, scope_followers_visit, f, err);
  } else if (rc == SB_ENOMEM) {
    rc = sb_err_set(err, rc, NULL);
  }
  if (rc == 0)
    rc = followers_prefetch(ops, be, collection, &l, err);
  for (k = 0; rc == 0 && k < l.n; k++) {
    struct record r;
    char *text = NULL;
    size_t len = 0;
    uint64_t seq = 0;
    rc = ops->load(be, collection, l.v[k], &text, &len, &seq, err);
    record_init(&r, collection, l.v[k]);
    if (rc == 0)
      rc = record_decode(&r, text, len, err);
    if (rc == 0)
      rc = scope_followers_visit(&r, seq, f);
    else if (rc == SB_ENOTFOUND)
      rc = 0; /* purged since it was noted */
    record_release(&r);
    free(text);
  }
  for (k = 0; k < l.n; k++)
    free(l.v[k]);
  free(l.v);
  return rc;
}

/*
 * After r was saved at seq with parts now (inside the write transaction),
 * its parts before being `was`: if they changed, remembers the move, and
 * saves each record that follows r again (same state, a new seq, a move
 * of its own), so devices that now cover them get them and those that no
 * longer do are told.
 */
static int after_save(const struct hub_store_ops *ops, void *be,
                      const struct schema *schema, const struct record *r,
                      const struct scope_parts *was,
                      const struct scope_parts *now, uint64_t seq,
                      struct sb_err *err)
{
  const struct schema_collection *c;
  size_t i, k;
  int rc;

  if (scope_equal(now, was))
    return 0;
  rc = moves_add(ops, be, r->collection, r->id, seq, was, err);
  for (i = 0; rc == 0 && (c = scope_follower(schema, r->collection, i)) != NULL;
       i++) {
    const char *of = r->id;
    struct scope_followers f = {c->scope_follows, &of, 1, {0}, false};
    rc = followers_find(ops, be, c->name, &f, err);
    if (rc == 1 || f.nomem)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    for (k = 0; rc == 0 && k < f.ids.n; k++)
      rc = resave(ops, be, schema, c->name, f.ids.v[k], was, err);
    scope_followers_release(&f);
  }
  return rc;
}

int hub_scope_save(const struct hub_store_ops *ops, void *be,
                   const struct schema *schema, const struct record *r,
                   const char *text, size_t len, uint64_t newest_ts,
                   const char *echo, const struct scope_parts *was,
                   uint64_t *seq, struct sb_err *err)
{
  struct scope_parts now;
  int rc;

  if (ops->each_in == NULL) /* a backend without scopes yet */
    return ops->save(be, r, text, len, newest_ts, echo, NULL, seq, err);
  scope_parts_init(&now);
  rc = save_with_part(ops, be, schema, r, text, len, newest_ts, echo, &now, seq,
                      err);
  if (rc == 0)
    rc = after_save(ops, be, schema, r, was, &now, *seq, err);
  scope_parts_release(&now);
  return rc;
}

/* --- the stored parts (hub_scope_index) ------------------------------- */

/* One record's part and newest move, to store after the walk. */
struct index_row {
  char *collection, *id, *part; /* part NULL: several or all */
  uint64_t moved;
};

struct index_walk {
  const struct hub_store_ops *ops;
  void *be;
  const struct schema *schema;
  struct index_row *rows;
  size_t n, cap;
  struct sb_err *err;
};

/* The seq of (collection, id)'s newest remembered move (0: none). */
static int moves_newest(const struct hub_store_ops *ops, void *be,
                        const char *collection, const char *id, uint64_t *seq,
                        struct sb_err *err)
{
  const cJSON *m, *at;
  cJSON *a = NULL;
  int rc = moves_of(ops, be, collection, id, &a, err);

  *seq = 0;
  for (m = a != NULL ? a->child : NULL; rc == 0 && m != NULL; m = m->next)
    if (cJSON_IsNumber(at = cJSON_GetArrayItem(m, 0)) &&
        (uint64_t)at->valuedouble > *seq)
      *seq = (uint64_t)at->valuedouble;
  cJSON_Delete(a);
  return rc;
}

static int index_one(const struct record *r, uint64_t seq, void *ctx)
{
  struct index_walk *w = ctx;
  struct scope_parts parts;
  struct index_row *row;
  const char *part;
  int rc;

  (void)seq;
  row = array_grow(w->rows, &w->cap, w->n, sizeof(*row), 1024);
  if (row == NULL)
    return sb_err_set(w->err, SB_ENOMEM, NULL);
  w->rows = row;
  row = &w->rows[w->n];
  memset(row, 0, sizeof(*row));
  scope_parts_init(&parts);
  rc = hub_scope_of(w->ops, w->be, w->schema, r, &parts, w->err);
  part = rc == 0 ? part_of(&parts) : NULL;
  if (rc == 0)
    rc = moves_newest(w->ops, w->be, r->collection, r->id, &row->moved, w->err);
  if (rc == 0) {
    row->collection = strdup(r->collection);
    row->id = strdup(r->id);
    row->part = part != NULL ? strdup(part) : NULL;
    w->n++; /* released with the others even if a copy failed */
    if (row->collection == NULL || row->id == NULL ||
        (part != NULL && row->part == NULL))
      rc = sb_err_set(w->err, SB_ENOMEM, NULL);
  }
  scope_parts_release(&parts);
  return rc;
}

int hub_scope_index(const struct hub_store_ops *ops, void *be,
                    const struct schema *schema, struct sb_err *err)
{
  struct index_walk w = {ops, be, schema, NULL, 0, 0, err};
  char *done = NULL;
  size_t i;
  int rc;

  if (ops->part_set == NULL || ops->moved_set == NULL)
    return 0;
  rc = ops->meta_get(be, HUB_SCOPE_INDEXED_KEY, &done, err);
  free(done);
  if (rc != SB_ENOTFOUND)
    return rc; /* done already (0), or a failure */
  rc = ops->begin(be, err);
  if (rc != 0)
    return rc;
  rc = ops->meta_get(be, HUB_SCOPE_INDEXED_KEY, &done, err);
  free(done);
  if (rc == SB_ENOTFOUND) /* not done by another process meanwhile */
    rc = ops->each(be, index_one, &w, err);
  else if (rc == 0)
    rc = 1; /* done: nothing to store */
  for (i = 0; rc == 0 && i < w.n; i++) {
    rc = ops->part_set(be, w.rows[i].collection, w.rows[i].id, w.rows[i].part,
                       err);
    if (rc == 0 && w.rows[i].moved > 0)
      rc = ops->moved_set(be, w.rows[i].collection, w.rows[i].id,
                          w.rows[i].moved, err);
  }
  if (rc == 0)
    rc = ops->meta_set(be, HUB_SCOPE_INDEXED_KEY, "1", err);
  if (rc == 0)
    rc = ops->commit(be, err);
  else
    ops->rollback(be);
  for (i = 0; i < w.n; i++) {
    free(w.rows[i].collection);
    free(w.rows[i].id);
    free(w.rows[i].part);
  }
  free(w.rows);
  return rc == 1 ? 0 : rc;
}

bool hub_scope_may_push(const struct scope_parts *dev,
                        const struct scope_parts *cur, bool exists,
                        const struct scope_parts *pushed)
{
  if (dev == NULL || dev->all)
    return true;
  return scope_meets(dev, exists ? cur : pushed);
}

/* --- the scoped page --------------------------------------------------- */

struct scoped_walk {
  const struct hub_store_ops *ops;
  void *be;
  const struct schema *schema;
  const struct scope_parts *dev;
  uint64_t since;
  struct hub_page *page;
  unsigned limit, scanned;
  uint64_t last; /* the last seq looked at */
  int rc;
  struct sb_err *err;
  bool no_gone; /* a catch-up page (hub_scope_page_parts) */
};

#define WALK_STOP 1

/* Adds text (copied) at seq to the page. */
static int page_put(struct scoped_walk *w, uint64_t seq, const char *text,
                    size_t len, bool gone)
{
  struct hub_page *p = w->page;
  char *copy = malloc(len + 1);

  if (copy == NULL)
    return sb_err_set(w->err, SB_ENOMEM, NULL);
  memcpy(copy, text, len);
  copy[len] = '\0';
  p->states[p->n] = copy;
  p->seqs[p->n] = seq;
  p->gone[p->n] = gone;
  p->n++;
  p->bytes += len;
  return 0;
}

static int scoped_one(const char *collection, const char *id, uint64_t seq,
                      const char *part, const char *text, size_t len,
                      void *ctx);

/* An echo of the reader's (text NULL in the walk): its state is loaded
 * and walked as any entry, except that in scope it is not sent. */
static int echo_one(struct scoped_walk *w, const char *collection,
                    const char *id, uint64_t seq)
{
  struct scope_parts parts;
  struct record r;
  char *text = NULL;
  size_t len = 0;
  uint64_t at = 0;

  w->rc = w->ops->load(w->be, collection, id, &text, &len, &at, w->err);
  record_init(&r, collection, id);
  scope_parts_init(&parts);
  if (w->rc == 0)
    w->rc = record_decode(&r, text, len, w->err);
  if (w->rc == 0)
    w->rc = hub_scope_of(w->ops, w->be, w->schema, &r, &parts, w->err);
  if (w->rc == 0 && !scope_meets(w->dev, &parts)) {
    /* Walked again as text: the gone logic is scoped_one's. */
    w->scanned--;
    w->rc =
        scoped_one(collection, id, seq, NULL, text, len, w) != 0 ? w->rc : 0;
  }
  scope_parts_release(&parts);
  record_release(&r);
  free(text);
  return w->rc != 0 ? WALK_STOP : 0;
}

/*
 * The scope parts of a feed entry (its state text[0..len)) into parts:
 * none needed for a collection every scope holds, the part the feed read
 * beside the record when it knows one (no decoding: the feed is the
 * records' latest states, so it is this entry's), else from the decoded
 * state.
 */
static int entry_parts(struct scoped_walk *w, const char *collection,
                       const char *id, const char *part, const char *text,
                       size_t len, struct scope_parts *parts)
{
  struct record r;
  int rc;

  if (!scope_collection_scoped(w->schema, collection)) {
    parts->all = true;
    return 0;
  }
  if (part != NULL)
    return part[0] != '\0' && scope_parts_add(parts, part) != 0
               ? sb_err_set(w->err, SB_ENOMEM, NULL)
               : 0;
  record_init(&r, collection, id);
  rc = record_decode(&r, text, len, w->err);
  if (rc == 0)
    rc = hub_scope_of(w->ops, w->be, w->schema, &r, parts, w->err);
  record_release(&r);
  return rc;
}

static int scoped_one(const char *collection, const char *id, uint64_t seq,
                      const char *part, const char *text, size_t len, void *ctx)
{
  struct scoped_walk *w = ctx;
  struct scope_parts parts;
  bool left = false, in, full = false;
  uint64_t before = w->last;
  char *gone;

  if (w->page->n == w->limit || w->scanned == HUB_SCOPE_SCAN_MAX) {
    w->page->more = true;
    return WALK_STOP;
  }
  w->scanned++;
  w->last = seq;
  if (text == NULL) /* the reader's echo: still told if it left */
    return echo_one(w, collection, id, seq);
  scope_parts_init(&parts);
  w->rc = entry_parts(w, collection, id, part, text, len, &parts);
  /* (a catch-up skips what all scopes hold) */
  in = w->rc == 0 && scope_meets(w->dev, &parts) && !(w->no_gone && parts.all);
  if (in && hub_store_page_full(w->page, len)) { /* the next page's */
    w->page->more = full = true;
    w->last = before;
  } else if (in)
    w->rc = page_put(w, seq, text, len, false);
  else if (w->rc == 0 && !w->no_gone)
    w->rc = moves_left(w->ops, w->be, collection, id, w->since, w->dev, &left,
                       w->err);
  if (w->rc == 0 && left) {
    gone = changes_gone_encode(collection, id);
    w->rc = gone != NULL ? page_put(w, seq, gone, strlen(gone), true)
                         : sb_err_set(w->err, SB_ENOMEM, NULL);
    free(gone);
  }
  scope_parts_release(&parts);
  return w->rc != 0 || full ? WALK_STOP : 0;
}

/* scoped_one for a backend's plain feed, which reads no parts. */
static int scoped_one_text(const char *collection, const char *id, uint64_t seq,
                           const char *text, size_t len, void *ctx)
{
  return scoped_one(collection, id, seq, NULL, text, len, ctx);
}

/* A scoped page (no_gone: a catch-up page; holder: skip its echoes). */
static int scope_page(const struct hub_store_ops *ops, void *be,
                      const struct schema *schema, uint64_t since,
                      unsigned limit, const struct scope_parts *dev,
                      const char *holder, bool no_gone, struct hub_page *page,
                      struct sb_err *err)
{
  struct scoped_walk w;
  int rc;

  memset(&w, 0, sizeof(w));
  w = (struct scoped_walk){ops,   be, schema, dev, since, page,
                           limit, 0,  since,  0,   err,   no_gone};
  page->gone = calloc(limit, sizeof(*page->gone));
  if (page->gone == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = ops->last_seq(be, &page->last_seq, err);
  if (rc == 0 && ops->feed_parts != NULL) /* only the entries it may need */
    rc = ops->feed_parts(be, since, HUB_SCOPE_SCAN_MAX + 1, limit + 1, dev,
                         !no_gone, holder, scoped_one, &w, err);
  else if (rc == 0)
    rc = ops->feed(be, since, HUB_SCOPE_SCAN_MAX + 1, 0, holder,
                   scoped_one_text, &w, err);
  if (rc == WALK_STOP)
    rc = w.rc;
  else if (rc == HUB_FEED_CUT) { /* the rest in the next page */
    rc = 0;
    page->more = true;
  }
  if (rc != 0)
    return rc;
  page->next = w.last;
  /* Read to the end: what it passed over up to last_seq is not the
   * device's (seqs commit in order on a backend with feed_parts). */
  if (ops->feed_parts != NULL && !page->more && page->last_seq > page->next)
    page->next = page->last_seq;
  return 0;
}

int hub_scope_page(const struct hub_store_ops *ops, void *be,
                   const struct schema *schema, uint64_t since, unsigned limit,
                   const struct scope_parts *dev, const char *holder,
                   struct hub_page *page, struct sb_err *err)
{
  return scope_page(ops, be, schema, since, limit, dev, holder, false, page,
                    err);
}

int hub_scope_page_parts(const struct hub_store_ops *ops, void *be,
                         const struct schema *schema, uint64_t since,
                         unsigned limit, const struct scope_parts *parts,
                         const char *holder, struct hub_page *page,
                         struct sb_err *err)
{
  return scope_page(ops, be, schema, since, limit, parts, holder, true, page,
                    err);
}

int hub_scope_parts_within(const struct scope_parts *dev, const char *text,
                           struct scope_parts *out, struct sb_err *err)
{
  struct scope_parts want;
  size_t i;
  int rc;

  scope_parts_init(&want);
  rc = scope_read(text, &want, err);
  if (rc == 0 && want.all) {
    out->all = dev->all;
    for (i = 0; rc == 0 && i < dev->n; i++)
      rc = scope_parts_add(out, dev->v[i]);
  } else {
    for (i = 0; rc == 0 && i < want.n; i++) {
      struct scope_parts one;
      scope_parts_init(&one);
      rc = scope_parts_add(&one, want.v[i]);
      if (rc == 0 && scope_meets(dev, &one))
        rc = scope_parts_add(out, want.v[i]);
      scope_parts_release(&one);
    }
  }
  scope_parts_release(&want);
  return rc;
}
