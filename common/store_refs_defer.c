/*
 * store_refs_defer.c - a hub writer's notes of who follows whom, written
 * in sorted batches (store.h, store_refs_defer; common/DESIGN.md, "Refs in
 * batches").
 *
 * A visit names a random beneficiary, so its note lands on a random leaf
 * of the refs index: a push group of a few thousand visits dirtied most
 * of the index's leaves, and every commit wrote them all to the WAL again
 * (twice the WAL bytes of the rows themselves). Deferred, the notes wait
 * in memory; once REFS_BATCH wait, they are cut into a batch, sorted, and
 * each later commit writes the batch's next slice (a range of leaves), so
 * each leaf is written about once per batch and no commit stalls long.
 *
 * meta refs.upto says how far the table is complete: every record whose
 * seq is at most it has its notes in the table. The commit that writes a
 * batch's last slice sets it to the newest seq when the batch was cut; a
 * full flush (before the notes are read or dropped, when idle, at close)
 * writes every held note and sets it to the newest seq. Notes of
 * committed transactions not yet written are lost in a crash; the next
 * writer to defer notes them again from the records past refs.upto
 * (store_refs_defer). A connection that does not defer (another process)
 * trusts the table only when refs.upto is missing or reaches the newest
 * seq, and otherwise reads the whole collection, as before notes.
 *
 * A rollback must leave the notes as they were: the open transaction's
 * own (tx) are dropped; notes of committed transactions it wrote go back
 * to waiting (flushed back to committed, the batch's position back to
 * where the transaction found it). Written notes are freed only once
 * their transaction commits.
 */
#include "compat.h"

#include "buf.h"
#include "scope.h"
#include "store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Notes held before they are cut into a batch (~5 MB), and the slice of
 * it each commit writes beyond as many as the commit itself added. */
#define REFS_BATCH 65536
#define REFS_SLICE 2048
#define REFS_UPTO_KEY "refs.upto"

/* A note: "ref\0collection\0id\0" in one allocation. */
static char *note_new(const char *ref, const char *collection, const char *id)
{
  size_t a = strlen(ref) + 1, b = strlen(collection) + 1, c = strlen(id) + 1;
  char *n = malloc(a + b + c);

  if (n != NULL) {
    memcpy(n, ref, a);
    memcpy(n + a, collection, b);
    memcpy(n + a + b, id, c);
  }
  return n;
}

static const char *note_next(const char *part)
{
  return part + strlen(part) + 1;
}

static int note_cmp(const void *pa, const void *pb)
{
  const char *a = *(char *const *)pa, *b = *(char *const *)pb;
  int i, c = 0;

  for (i = 0; i < 3 && c == 0; i++, a = note_next(a), b = note_next(b))
    c = strcmp(a, b);
  return c;
}

static int list_push(struct store_ref_list *l, char *note)
{
  char **v = array_grow(l->v, &l->cap, l->n, sizeof(*v), 256);

  if (v == NULL)
    return SB_ENOMEM;
  l->v = v;
  l->v[l->n++] = note;
  return 0;
}

/* Moves every note of from to the end of to (from ends empty); on
 * SB_ENOMEM both are as they were. */
static int list_move(struct store_ref_list *to, struct store_ref_list *from)
{
  if (to->n + from->n > to->cap) {
    size_t cap = to->n + from->n;
    char **v = realloc(to->v, cap * sizeof(*v));
    if (v == NULL)
      return SB_ENOMEM;
    to->v = v;
    to->cap = cap;
  }
  if (from->n > 0)
    memcpy(to->v + to->n, from->v, from->n * sizeof(*from->v));
  to->n += from->n;
  from->n = 0;
  return 0;
}

static void list_clear(struct store_ref_list *l)
{
  size_t i;

  for (i = 0; i < l->n; i++)
    free(l->v[i]);
  l->n = 0;
}

static void list_free(struct store_ref_list *l)
{
  list_clear(l);
  free(l->v);
  l->v = NULL;
  l->cap = 0;
}

/* Writes refs.upto = the newest seq (inside the caller's transaction). */
static int upto_write(struct store *s, uint64_t seq, struct sb_err *err)
{
  char text[24];

  snprintf(text, sizeof(text), "%" PRIu64, seq);
  return store_meta_write(s, REFS_UPTO_KEY, text, err);
}

static int write_note(struct store *s, const char *note, struct sb_err *err)
{
  const char *collection = note_next(note);
  return store_ref_write(s, note, collection, note_next(collection), err);
}

int store_refs_flush(struct store *s, struct sb_err *err)
{
  struct store_refs_held *h = &s->refs_held;
  size_t left = h->batch_n - h->batch_pos;
  size_t n = left + h->committed.n + h->tx.n, i;
  char **all;
  int rc = 0;

  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL,
                      "store %s: writing notes outside a transaction", s->path);
  if (n == 0)
    return 0;
  all = malloc(n * sizeof(*all));
  if (all == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (left > 0) /* (an empty list's v may be NULL) */
    memcpy(all, h->batch + h->batch_pos, left * sizeof(*all));
  if (h->committed.n > 0)
    memcpy(all + left, h->committed.v, h->committed.n * sizeof(*all));
  if (h->tx.n > 0)
    memcpy(all + left + h->committed.n, h->tx.v, h->tx.n * sizeof(*all));
  qsort(all, n, sizeof(*all), note_cmp);
  for (i = 0; rc == 0 && i < n; i++)
    rc = write_note(s, all[i], err);
  free(all);
  if (rc == 0)
    rc = upto_write(s, s->seq, err);
  if (rc == 0)
    rc = list_move(&h->flushed, &h->committed);
  if (rc == SB_ENOMEM)
    return sb_err_set(err, rc, NULL);
  if (rc == 0) {
    h->batch_pos = h->batch_n;
    list_clear(&h->tx);
  }
  return rc;
}

int store_refs_drain(struct store *s, struct sb_err *err)
{
  struct store_refs_held *h = &s->refs_held;
  size_t end = h->batch_pos + REFS_SLICE + h->tx.n;
  int rc = 0;

  if (h->batch == NULL || h->batch_pos == h->batch_n)
    return 0;
  if (end > h->batch_n)
    end = h->batch_n;
  for (; rc == 0 && h->batch_pos < end; h->batch_pos++)
    rc = write_note(s, h->batch[h->batch_pos], err);
  if (rc == 0 && h->batch_pos == h->batch_n)
    rc = upto_write(s, h->batch_upto, err);
  return rc;
}

int store_refs_hold(struct store *s, const char *ref, const char *collection,
                    const char *id, struct sb_err *err)
{
  char *note = note_new(ref, collection, id);

  if (note == NULL || list_push(&s->refs_held.tx, note) != 0) {
    free(note);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  return 0;
}

/* Frees the batch's notes from..to (written and committed). */
static void batch_free_range(struct store_refs_held *h, size_t from, size_t to)
{
  for (; from < to; from++)
    free(h->batch[from]);
}

static void batch_free(struct store_refs_held *h)
{
  batch_free_range(h, h->batch_pos_tx, h->batch_n);
  free(h->batch);
  h->batch = NULL;
  h->batch_n = h->batch_pos = h->batch_pos_tx = 0;
}

/* Out of memory in a hook: notes of committed records could be lost, so
 * the writer stops holding them and the table is no longer trusted
 * (refs.upto stays behind): scope changes read the whole collection
 * until the next writer to defer catches up. */
static void give_up(struct store *s)
{
  s->refs_held.defer = false;
  list_clear(&s->refs_held.committed);
  list_clear(&s->refs_held.tx);
  list_clear(&s->refs_held.flushed);
  batch_free(&s->refs_held);
}

void store_refs_committed(struct store *s)
{
  struct store_refs_held *h = &s->refs_held;

  batch_free_range(h, h->batch_pos_tx, h->batch_pos);
  h->batch_pos_tx = h->batch_pos;
  if (h->batch != NULL && h->batch_pos == h->batch_n)
    batch_free(h);
  list_clear(&h->flushed);
  if (list_move(&h->committed, &h->tx) != 0) {
    give_up(s);
    return;
  }
  if (h->batch == NULL && h->committed.n >= REFS_BATCH) {
    /* Cut: every waiting note is of a record up to the newest seq. */
    h->batch = h->committed.v;
    h->batch_n = h->committed.n;
    h->batch_upto = s->seq;
    memset(&h->committed, 0, sizeof(h->committed));
    qsort(h->batch, h->batch_n, sizeof(*h->batch), note_cmp);
  }
}

void store_refs_rolled_back(struct store *s)
{
  struct store_refs_held *h = &s->refs_held;

  list_clear(&h->tx);
  h->batch_pos = h->batch_pos_tx;
  /* The table lost what the transaction flushed: those notes wait again. */
  if (list_move(&h->committed, &h->flushed) != 0)
    give_up(s);
}

struct catch_up {
  struct store *s;
  struct sb_err *err;
};

/* scope_refs' note, while catching up: straight into the table. */
static int catch_up_note(void *ctx, const char *ref, const char *collection,
                         const char *id)
{
  struct catch_up *c = ctx;
  return store_ref_write(c->s, ref, collection, id, c->err);
}

/* store_changes_text's step of catch_up: the record's notes. A state
 * that cannot be read keeps no notes (as store_refs_drop). */
static int catch_up_row(const char *collection, const char *id, uint64_t seq,
                        const char *text, size_t len, void *ctx)
{
  struct catch_up *c = ctx;
  struct record r;
  int rc = 0;

  (void)seq;
  record_init(&r, collection, id);
  if (record_decode(&r, text, len, NULL) == 0)
    rc = scope_refs(store_schema(c->s), &r, catch_up_note, c, c->err);
  record_release(&r);
  return rc;
}

/* Notes the refs of every record past seq (a writer that held notes in
 * memory stopped before it flushed them). */
static int catch_up(struct store *s, uint64_t since, struct sb_err *err)
{
  struct catch_up c = {s, err};
  return store_changes_text(s, since, catch_up_row, &c, err);
}

/* meta refs.upto as a number; *present false if absent. */
static int upto_read(struct store *s, uint64_t *upto, bool *present,
                     struct sb_err *err)
{
  char *v = NULL;
  int rc = store_meta_read(s, REFS_UPTO_KEY, &v, err);

  *upto = 0;
  *present = rc == 0;
  if (rc == SB_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (!store_parse_u64(v, upto))
    rc = sb_err_set(err, SB_ECORRUPT, "store %s: meta %s is \"%.30s\"", s->path,
                    REFS_UPTO_KEY, v);
  free(v);
  return rc;
}

int store_refs_defer(struct store *s, struct sb_err *err)
{
  uint64_t upto = 0, newest = 0;
  bool present;
  int rc;

  /* Not complete: hub_scope_refs_fill has not run, no notes to hold. */
  if (s->refs_held.defer || !store_refs_complete(s))
    return 0;
  rc = store_begin(s, err);
  if (rc != 0)
    return rc;
  rc = store_last_seq(s, &newest, err);
  if (rc == 0)
    rc = upto_read(s, &upto, &present, err);
  /* Absent: every note so far was written with its record. */
  if (rc == 0 && present && upto < newest)
    rc = catch_up(s, upto, err);
  if (rc == 0)
    rc = upto_write(s, newest, err);
  if (rc == 0)
    rc = store_commit(s, err);
  else
    store_rollback(s);
  if (rc == 0)
    s->refs_held.defer = true;
  return rc;
}

int store_refs_settle(struct store *s, struct sb_err *err)
{
  int rc;

  if (!store_refs_waiting(s) || s->in_tx)
    return 0;
  rc = store_begin(s, err);
  if (rc == 0)
    rc = store_refs_flush(s, err);
  if (rc == 0)
    return store_commit(s, err);
  store_rollback(s);
  return rc;
}

int store_refs_trusted(struct store *s, bool *trusted, struct sb_err *err)
{
  uint64_t upto, newest;
  bool present;
  int rc;

  *trusted = true;
  if (s->refs_held.defer)
    return 0; /* this connection's own notes: flushed by the caller */
  rc = upto_read(s, &upto, &present, err);
  if (rc == 0 && present)
    rc = store_last_seq(s, &newest, err);
  if (rc == 0 && present && upto < newest)
    *trusted = false;
  return rc;
}

bool store_refs_waiting(const struct store *s)
{
  const struct store_refs_held *h = &s->refs_held;
  return h->defer && (h->committed.n > 0 || h->batch_pos < h->batch_n);
}

void store_refs_held_free(struct store *s)
{
  batch_free(&s->refs_held);
  list_free(&s->refs_held.committed);
  list_free(&s->refs_held.tx);
  list_free(&s->refs_held.flushed);
}
