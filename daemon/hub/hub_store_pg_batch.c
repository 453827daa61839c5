/*
 * hub_store_pg_batch.c - a write transaction's records on PostgreSQL in
 * few round trips (daemon/hub/DESIGN.md, "The change feed"): the records
 * a push group will load are read in one query (prefetch, with their
 * purge ledger entries), loads are answered from what was read, saves
 * are kept here with numbers taken from the counter value read when the
 * transaction locked the feed_counter row, and written in one statement
 * (which also moves the counter) before anything reads the table and
 * before the commit. The counter row lock is held from begin to commit,
 * as before: no other writer on any hub changes a record meanwhile, so
 * what was read stays true, and the numbers commit in order.
 */
#include "compat.h"

#include "hub_store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEDGER_PREFIX "purge.id."

/* The collection of the entries that hold a ref's notes (no collection
 * is called ""): its id is the ref. */
#define REFS_OF ""

/* One record the transaction read or wrote. */
struct pg_entry {
  char *collection, *id;
  bool known; /* text and seq are the record's (read or saved here) */
  char *text; /* its state; NULL: the hub holds none */
  size_t len;
  uint64_t seq;
  bool ledger_known; /* ledger below is read */
  char *ledger;      /* its purge ledger value; NULL: none */
  bool dirty;        /* saved here, not yet written */
  char *echo;        /* the save's echo (NULL: none) */
  char *part;        /* its scope part set after the save (NULL: none) */
  uint64_t moved;    /* its newest move noted here (0: none) */
  bool stored_known; /* stored below is the part the prefetch read */
  char *stored;      /* that part (NULL: several, all or not known) */
  /* REFS_OF entries: every note of the ref, read and added here */
  bool refs_known;
  char **notes; /* collection, id pairs */
  size_t nnotes;
};

/* A PostgreSQL array literal being built ("{...}"). */
struct buf {
  char *s;
  size_t n, cap;
  bool nomem;
};

struct pg_cache {
  struct pg_entry *e;
  size_t n, cap;
  size_t *slot; /* open addressing: index + 1, 0 empty */
  size_t nslot;
  size_t dirty;
  struct buf refs[3]; /* notes (ref, collection, id) kept for the flush */
  size_t nrefs;
};

static size_t key_hash(const char *collection, const char *id, size_t idlen)
{
  size_t h = 1469598103934665603u;
  const unsigned char *s;
  size_t i;

  for (s = (const unsigned char *)collection; *s; s++)
    h = (h ^ *s) * 1099511628211u;
  h = (h ^ 0xffu) * 1099511628211u;
  for (s = (const unsigned char *)id, i = 0; i < idlen; i++)
    h = (h ^ s[i]) * 1099511628211u;
  return h;
}

/* The entry of (collection, id[0..idlen)), or NULL. */
static struct pg_entry *find(struct pg_cache *c, const char *collection,
                             const char *id, size_t idlen)
{
  size_t i;

  if (c == NULL || c->nslot == 0)
    return NULL;
  for (i = key_hash(collection, id, idlen) & (c->nslot - 1); c->slot[i] != 0;
       i = (i + 1) & (c->nslot - 1)) {
    struct pg_entry *e = &c->e[c->slot[i] - 1];
    if (strcmp(e->collection, collection) == 0 && strlen(e->id) == idlen &&
        memcmp(e->id, id, idlen) == 0)
      return e;
  }
  return NULL;
}

/* Puts entry i in the first free slot of its probe sequence. */
static void place(struct pg_cache *c, size_t i)
{
  struct pg_entry *e = &c->e[i];
  size_t j;

  for (j = key_hash(e->collection, e->id, strlen(e->id)) & (c->nslot - 1);
       c->slot[j] != 0; j = (j + 1) & (c->nslot - 1))
    ;
  c->slot[j] = i + 1;
}

/* Grows the slots to nslot (a power of two) and places every entry. */
static int rehash(struct pg_cache *c, size_t nslot)
{
  size_t *slot = calloc(nslot, sizeof(*slot)), i;

  if (slot == NULL)
    return SB_ENOMEM;
  free(c->slot);
  c->slot = slot;
  c->nslot = nslot;
  for (i = 0; i < c->n; i++)
    place(c, i);
  return 0;
}

/* The entry of (collection, id), added empty (nothing known) if new. */
static struct pg_entry *get(struct pg *p, const char *collection,
                            const char *id)
{
  struct pg_cache *c = p->cache;
  struct pg_entry *e;

  if (c == NULL && (c = p->cache = calloc(1, sizeof(*c))) == NULL)
    return NULL;
  e = find(c, collection, id, strlen(id));
  if (e != NULL)
    return e;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 64;
    struct pg_entry *g = realloc(c->e, cap * sizeof(*g));
    if (g == NULL)
      return NULL;
    c->e = g;
    c->cap = cap;
  }
  if (2 * (c->n + 1) > c->nslot && rehash(c, c->nslot ? 2 * c->nslot : 128))
    return NULL;
  e = &c->e[c->n];
  memset(e, 0, sizeof(*e));
  e->collection = strdup(collection);
  e->id = strdup(id);
  if (e->collection == NULL || e->id == NULL) {
    free(e->collection);
    free(e->id);
    return NULL;
  }
  c->n++;
  place(c, c->n - 1);
  return e;
}

void hub_store_pg_batch_clear(struct pg *p)
{
  struct pg_cache *c = p->cache;
  size_t i;

  if (c == NULL)
    return;
  for (i = 0; i < c->n; i++) {
    free(c->e[i].collection);
    free(c->e[i].id);
    free(c->e[i].text);
    free(c->e[i].ledger);
    free(c->e[i].echo);
    free(c->e[i].part);
    free(c->e[i].stored);
    for (size_t k = 0; k < 2 * c->e[i].nnotes; k++)
      free(c->e[i].notes[k]);
    free(c->e[i].notes);
  }
  for (i = 0; i < 3; i++)
    free(c->refs[i].s);
  free(c->e);
  free(c->slot);
  free(c);
  p->cache = NULL;
}

/* Sets e's state (copied; NULL: none). */
static int set_text(struct pg_entry *e, const char *text, size_t len,
                    uint64_t seq)
{
  char *copy = NULL;

  if (text != NULL) {
    copy = malloc(len + 1);
    if (copy == NULL)
      return SB_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
  }
  free(e->text);
  e->text = copy;
  e->len = len;
  e->seq = seq;
  return 0;
}

/* --- array literals ---------------------------------------------------- */

static void put(struct buf *b, const char *s, size_t n)
{
  if (b->nomem)
    return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *g;
    while (cap < b->n + n + 1)
      cap *= 2;
    g = realloc(b->s, cap);
    if (g == NULL) {
      b->nomem = true;
      return;
    }
    b->s = g;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

/* Appends s (NULL: NULL) to the array literal in b. */
static void elem(struct buf *b, const char *s)
{
  const char *run;

  put(b, b->n > 1 ? "," : "", b->n > 1);
  if (s == NULL) {
    put(b, "NULL", 4);
    return;
  }
  put(b, "\"", 1);
  for (run = s; *s; s++) {
    if (*s == '"' || *s == '\\') {
      put(b, run, (size_t)(s - run));
      put(b, "\\", 1);
      run = s;
    }
  }
  put(b, run, (size_t)(s - run));
  put(b, "\"", 1);
}

/* --- prefetch, load ---------------------------------------------------- */

/* Adds a note (collection, id) to e's (a REFS_OF entry), once: as in the
 * refs table, whose key it is, so a follower is walked once. */
static int note_add(struct pg_entry *e, const char *collection, const char *id)
{
  char **g;
  size_t k;

  for (k = 0; k < e->nnotes; k++)
    if (strcmp(e->notes[2 * k + 1], id) == 0 &&
        strcmp(e->notes[2 * k], collection) == 0)
      return 0;
  g = realloc(e->notes, 2 * (e->nnotes + 1) * sizeof(*g));
  if (g == NULL)
    return SB_ENOMEM;
  e->notes = g;
  g[2 * e->nnotes] = strdup(collection);
  g[2 * e->nnotes + 1] = strdup(id);
  e->nnotes++;
  return g[2 * e->nnotes - 2] != NULL && g[2 * e->nnotes - 1] != NULL
             ? 0
             : SB_ENOMEM;
}

/* Reads the notes of the ids in fresh (an array literal) in one query,
 * then marks every id of it known, with or without notes. */
static int notes_read(struct pg *p, struct buf *fresh, char **idv, size_t n,
                      struct sb_err *err)
{
  const char *params[1] = {fresh->s};
  struct pg_entry *e;
  PGresult *res;
  size_t i;
  int r, rc;

  rc = hub_store_pg_run(p, "notes_of", 1, params, &res, err);
  if (rc != 0)
    return rc;
  for (r = 0; rc == 0 && r < PQntuples(res); r++) {
    e = get(p, REFS_OF, PQgetvalue(res, r, 0));
    if (e == NULL ||
        note_add(e, PQgetvalue(res, r, 1), PQgetvalue(res, r, 2)) != 0)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  }
  PQclear(res);
  for (i = 0; rc == 0 && i < n; i++) {
    if ((e = get(p, REFS_OF, idv[i])) == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    else
      e->refs_known = true;
  }
  return rc;
}

/* Reads the records noted as following the ids idv[0..n) in one more
 * prefetch: the scope move of each new record loads them (few: visits
 * that reached the hub before their beneficiary). */
static int followers_read(struct pg *p, char **idv, size_t n,
                          struct sb_err *err)
{
  const char **keys;
  struct pg_entry *e;
  size_t i, j, nk = 0;
  int rc;

  for (i = 0; i < n; i++)
    if ((e = find(p->cache, REFS_OF, idv[i], strlen(idv[i]))) != NULL)
      nk += e->nnotes;
  if (nk == 0)
    return 0;
  if ((keys = malloc(2 * nk * sizeof(*keys))) == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (nk = 0, i = 0; i < n; i++) {
    e = find(p->cache, REFS_OF, idv[i], strlen(idv[i]));
    for (j = 0; e != NULL && j < e->nnotes; j++, nk++) {
      keys[2 * nk] = e->notes[2 * j]; /* the notes' own copies: stable */
      keys[2 * nk + 1] = e->notes[2 * j + 1];
    }
  }
  rc = hub_store_pg_prefetch(p, keys, nk, err);
  free(keys);
  return rc;
}

int hub_store_pg_refs_prefetch(void *be, const char *const *keys, size_t n,
                               struct sb_err *err)
{
  struct pg *p = be;
  struct buf fresh = {0};
  char **idv;
  size_t i, k = 0;
  int rc = 0;

  if (!p->in_tx || n == 0 || !hub_store_pg_refs_complete(p))
    return 0;
  if ((idv = malloc(n * sizeof(*idv))) == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  put(&fresh, "{", 1);
  /* Only records the hub holds none of: their save is a move from no
   * part, which looks for followers (those of a record the hub holds
   * are looked for only if it moves: rarely, one query then). */
  for (i = 0; i < n; i++) {
    struct pg_entry *e =
        find(p->cache, keys[2 * i], keys[2 * i + 1], strlen(keys[2 * i + 1]));
    struct pg_entry *known =
        find(p->cache, REFS_OF, keys[2 * i + 1], strlen(keys[2 * i + 1]));
    if (e == NULL || !e->known || e->text != NULL ||
        (known != NULL && known->refs_known))
      continue;
    elem(&fresh, keys[2 * i + 1]);
    idv[k++] = (char *)keys[2 * i + 1];
  }
  put(&fresh, "}", 1);
  if (fresh.nomem)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  else if (k > 0)
    rc = notes_read(p, &fresh, idv, k, err);
  if (rc == 0 && k > 0)
    rc = followers_read(p, idv, k, err);
  free(fresh.s);
  free(idv);
  return rc;
}

int hub_store_pg_batch_refs(struct pg *p, const char *ref,
                            const char *collection,
                            int (*fn)(const char *id, void *ctx), void *ctx)
{
  struct pg_entry *e =
      p->in_tx ? find(p->cache, REFS_OF, ref, strlen(ref)) : NULL;
  size_t k;
  int rc = 0;

  if (e == NULL || !e->refs_known)
    return 1; /* not known here: read the table */
  for (k = 0; rc == 0 && k < e->nnotes; k++)
    if (strcmp(e->notes[2 * k], collection) == 0)
      rc = fn(e->notes[2 * k + 1], ctx);
  return rc;
}

int hub_store_pg_prefetch(void *be, const char *const *keys, size_t n,
                          struct sb_err *err)
{
  struct pg *p = be;
  struct buf cs = {0}, ids = {0};
  const char *params[2];
  PGresult *res = NULL;
  size_t i;
  int rc = 0, r;

  if (!p->in_tx || n == 0)
    return 0;
  put(&cs, "{", 1);
  put(&ids, "{", 1);
  for (i = 0; i < n; i++) {
    struct pg_entry *e =
        find(p->cache, keys[2 * i], keys[2 * i + 1], strlen(keys[2 * i + 1]));
    if (e != NULL && e->ledger_known)
      continue; /* read already, or saved here */
    elem(&cs, keys[2 * i]);
    elem(&ids, keys[2 * i + 1]);
  }
  put(&cs, "}", 1);
  put(&ids, "}", 1);
  if (cs.nomem || ids.nomem) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto out;
  }
  if (cs.n == 2)
    goto out;
  params[0] = cs.s;
  params[1] = ids.s;
  rc = hub_store_pg_run(p, "prefetch", 2, params, &res, err);
  for (r = 0; rc == 0 && r < PQntuples(res); r++) {
    struct pg_entry *e = get(p, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
    if (e == NULL || e->ledger_known) {
      rc = e == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
      continue;
    }
    if (!e->dirty && !PQgetisnull(res, r, 2) &&
        set_text(e, PQgetvalue(res, r, 2), (size_t)PQgetlength(res, r, 2),
                 hub_store_pg_u64_of(PQgetvalue(res, r, 3))) != 0)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    e->known = true;
    e->ledger_known = true;
    if (!PQgetisnull(res, r, 4) &&
        (e->ledger = strdup(PQgetvalue(res, r, 4))) == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    if (!e->dirty && !PQgetisnull(res, r, 2)) {
      e->stored_known = true;
      if (!PQgetisnull(res, r, 5) &&
          (e->stored = strdup(PQgetvalue(res, r, 5))) == NULL)
        rc = sb_err_set(err, SB_ENOMEM, NULL);
    }
  }
out:
  PQclear(res);
  free(cs.s);
  free(ids.s);
  return rc;
}

int hub_store_pg_batch_load(struct pg *p, const char *collection,
                            const char *id, char **text, size_t *len,
                            uint64_t *seq, struct sb_err *err)
{
  struct pg_entry *e =
      p->in_tx ? find(p->cache, collection, id, strlen(id)) : NULL;
  if (e == NULL || !e->known)
    return 1; /* not known here: read the table */
  if (e->text == NULL)
    return sb_err_not_found(err, collection, id);
  *text = malloc(e->len + 1);
  if (*text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  memcpy(*text, e->text, e->len + 1);
  *len = e->len;
  *seq = e->seq;
  return 0;
}

/* Keeps what a load read from the table (text NULL: none). */
void hub_store_pg_batch_loaded(struct pg *p, const char *collection,
                               const char *id, const char *text, size_t len,
                               uint64_t seq)
{
  struct pg_entry *e;

  if (!p->in_tx || (e = get(p, collection, id)) == NULL || e->dirty)
    return;
  if (set_text(e, text, len, seq) == 0)
    e->known = true;
}

int hub_store_pg_batch_ledger(struct pg *p, const char *key, char **value,
                              struct sb_err *err)
{
  const char *rest, *slash;
  struct pg_entry *e;

  if (!p->in_tx || strncmp(key, LEDGER_PREFIX, strlen(LEDGER_PREFIX)) != 0)
    return 1;
  rest = key + strlen(LEDGER_PREFIX);
  slash = strchr(rest, '/');
  if (slash == NULL || p->cache == NULL)
    return 1;
  {
    char coll[256];
    size_t n = (size_t)(slash - rest);
    if (n >= sizeof(coll))
      return 1;
    memcpy(coll, rest, n);
    coll[n] = '\0';
    e = find(p->cache, coll, slash + 1, strlen(slash + 1));
  }
  if (e == NULL || !e->ledger_known)
    return 1;
  if (e->ledger == NULL)
    return sb_err_set(err, SB_ENOTFOUND, "no setting %s", key);
  *value = strdup(e->ledger);
  return *value == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
}

/* A ledger entry written in the transaction (purge): forget what was read. */
void hub_store_pg_batch_forget_ledger(struct pg *p, const char *key)
{
  size_t i;

  if (p->cache == NULL ||
      strncmp(key, LEDGER_PREFIX, strlen(LEDGER_PREFIX)) != 0)
    return;
  for (i = 0; i < p->cache->n; i++)
    p->cache->e[i].ledger_known = false;
}

/* --- save, flush ------------------------------------------------------- */

int hub_store_pg_batch_save(struct pg *p, const struct record *r,
                            const char *text, size_t len, const char *echo,
                            uint64_t *seq, struct sb_err *err)
{
  struct pg_entry *e = get(p, r->collection, r->id);
  char *mark = NULL;

  if (e == NULL || (echo != NULL && (mark = strdup(echo)) == NULL) ||
      set_text(e, text, len, p->counter + 1) != 0) {
    free(mark);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  *seq = ++p->counter;
  e->known = true;
  free(e->echo);
  e->echo = mark;
  free(e->part); /* a save clears the part (hub_store.h) */
  e->part = NULL;
  e->stored_known = false; /* the saved state's is not the one read */
  if (!e->dirty)
    p->cache->dirty++;
  e->dirty = true;
  p->tx_seq = *seq;
  return 0;
}

int hub_store_pg_part_get(void *be, const char *collection, const char *id,
                          char *out, size_t size, bool *known,
                          struct sb_err *err)
{
  struct pg *p = be;
  struct pg_entry *e =
      p->in_tx ? find(p->cache, collection, id, strlen(id)) : NULL;
  size_t n;

  *known = false;
  if (e != NULL && e->known && e->text == NULL && !e->dirty)
    return sb_err_not_found(err, collection, id);
  if (e == NULL || !e->stored_known || e->dirty || e->stored == NULL ||
      (n = strlen(e->stored)) >= size)
    return 0; /* not known here: the caller reads the state */
  memcpy(out, e->stored, n + 1);
  *known = true;
  return 0;
}

int hub_store_pg_batch_part(struct pg *p, const char *collection,
                            const char *id, const char *part,
                            struct sb_err *err)
{
  struct pg_entry *e =
      p->in_tx ? find(p->cache, collection, id, strlen(id)) : NULL;
  char *copy = NULL;

  if (e == NULL || !e->dirty)
    return 1;
  if (part != NULL && (copy = strdup(part)) == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  free(e->part);
  e->part = copy;
  return 0;
}

int hub_store_pg_batch_moved(struct pg *p, const char *collection,
                             const char *id, uint64_t seq)
{
  struct pg_entry *e =
      p->in_tx ? find(p->cache, collection, id, strlen(id)) : NULL;

  if (e == NULL || !e->dirty)
    return 1;
  if (seq > e->moved)
    e->moved = seq;
  return 0;
}

int hub_store_pg_purge(void *be, const char *collection, const char *id,
                       struct sb_err *err)
{
  const char *params[2] = {collection, id};
  struct pg *p = be;
  struct pg_entry *e;
  PGresult *res;
  int rc;

  if (!p->in_tx)
    return sb_err_set(err, SB_EINTERNAL, "purge outside a transaction");
  rc = hub_store_pg_flush(p, err);
  if (rc == 0) /* its notes of what it follows go with it */
    rc = hub_store_pg_run(p, "refs_purge", 2, params, &res, err);
  if (rc == 0) {
    PQclear(res);
    rc = hub_store_pg_run(p, "purge", 2, params, &res, err);
  }
  if (rc != 0)
    return rc;
  PQclear(res);
  e = find(p->cache, collection, id, strlen(id));
  if (e != NULL && set_text(e, NULL, 0, 0) != 0)
    e->known = false;
  return 0;
}

int hub_store_pg_batch_ref(struct pg *p, const char *ref,
                           const char *collection, const char *id,
                           struct sb_err *err)
{
  struct pg_cache *c = p->cache;
  const char *v[3] = {ref, collection, id};
  struct pg_entry *e;
  size_t k;

  if (!p->in_tx)
    return sb_err_set(err, SB_EINTERNAL, "ref noted outside a transaction");
  if (c == NULL && (c = p->cache = calloc(1, sizeof(*c))) == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (k = 0; k < 3; k++) {
    if (c->nrefs == 0)
      put(&c->refs[k], "{", 1);
    elem(&c->refs[k], v[k]);
  }
  c->nrefs++;
  e = find(c, REFS_OF, ref, strlen(ref));
  if (e != NULL && e->refs_known && note_add(e, collection, id) != 0)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

int hub_store_pg_flush_refs(struct pg *p, struct sb_err *err)
{
  struct pg_cache *c = p->cache;
  const char *params[3];
  PGresult *res;
  size_t k;
  int rc = 0;

  if (c == NULL || c->nrefs == 0)
    return 0;
  for (k = 0; k < 3; k++) {
    put(&c->refs[k], "}", 1);
    if (c->refs[k].nomem)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    params[k] = c->refs[k].s;
  }
  if (rc == 0)
    rc = hub_store_pg_run(p, "refs_add", 3, params, &res, err);
  if (rc == 0)
    PQclear(res);
  for (k = 0; k < 3; k++) {
    free(c->refs[k].s);
    memset(&c->refs[k], 0, sizeof(c->refs[k]));
  }
  c->nrefs = 0;
  return rc;
}

int hub_store_pg_flush(struct pg *p, struct sb_err *err)
{
  struct pg_cache *c = p->cache;
  struct buf a[7] = {{0}};
  char num[24], counter[24], moved[24];
  const char *params[8];
  PGresult *res;
  size_t i, k;
  int rc = hub_store_pg_flush_refs(p, err);

  if (rc != 0 || c == NULL || c->dirty == 0)
    return rc;
  for (k = 0; k < 7; k++)
    put(&a[k], "{", 1);
  for (i = 0; i < c->n; i++) {
    struct pg_entry *e = &c->e[i];
    if (!e->dirty)
      continue;
    snprintf(num, sizeof(num), "%llu", (unsigned long long)e->seq);
    elem(&a[0], e->collection);
    elem(&a[1], e->id);
    elem(&a[2], e->text);
    elem(&a[3], num);
    elem(&a[4], e->echo);
    elem(&a[5], e->part);
    snprintf(moved, sizeof(moved), "%llu", (unsigned long long)e->moved);
    elem(&a[6], e->moved > 0 ? moved : NULL);
  }
  for (k = 0; k < 7; k++) {
    put(&a[k], "}", 1);
    if (a[k].nomem)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    params[k < 5 ? k : k + 1] = a[k].s;
  }
  snprintf(counter, sizeof(counter), "%llu", (unsigned long long)p->counter);
  params[5] = counter;
  if (rc == 0)
    rc = hub_store_pg_run(p, "flush", 8, params, &res, err);
  if (rc == 0) {
    PQclear(res);
    for (i = 0; i < c->n; i++) {
      c->e[i].dirty = false;
      c->e[i].moved = 0;
    }
    c->dirty = 0;
  }
  for (k = 0; k < 7; k++)
    free(a[k].s);
  return rc;
}
