/*
 * office_tally.c - what the overview counts, kept in memory and brought up
 * to date from the change feed (OFFICE.md, "Cost").
 *
 * The overview needs a few facts of each live record (its collection,
 * kecamatan, groups, programme, month, conflict and review state); the
 * records table searches and sorts by any of its own values. The tally
 * keeps those facts and values per record, sorted by (collection, id),
 * and the feed head it has read up to. A request reads the feed
 * since that head (every record changed since, at its newest state: the
 * feed holds one entry per record) and replaces those records' facts, so
 * after a push of 100 records the overview decodes 100 records, not the
 * whole store. The facts of a record that is gone from the views (deleted
 * and not in conflict) are dropped.
 *
 * A purge removes tombstones and their feed entries: a record deleted and
 * purged since the tally's head would never be read, so a purge horizon
 * past the head (hub_purge_horizon) makes the tally start again from an
 * empty feed cursor, as it does on its first use.
 *
 * A record without its own kecamatan or groups takes them from the record
 * its reference fields name (a visit its beneficiary's), as
 * office_data.c's walk does: only from a record that sorts before it and
 * is live, resolved once per request in key order.
 *
 * Facts keep the values they filter on as JSON texts interned once (a
 * kecamatan or a programme is shared by thousands of records); the
 * record's own values (each field's winner, for the table's text search
 * and sort) in the fact's own memory, freed with it (a note is its
 * record's alone: interned, every edit would leave its old text behind).
 *
 * The overview counts facts; the conflict queue and the records table
 * read only the records the facts select (office_api.c,
 * office_records.c).
 */
#include "compat.h"

#include "hub_purge.h"
#include "office_int.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

#define TALLY_PAGE 1000

struct tally_ref {
  const char *collection; /* the schema's */
  const char *id;         /* in the fact's own memory */
};

struct tally_fact {
  const struct schema_collection *sc; /* NULL: not in the schema */
  const char *collection, *id;        /* in mem */
  const struct office_text *kec, *groups, *programme, *date; /* interned */
  bool conflicted, review;
  bool gone; /* replaced by nothing: freed at the next merge */
  /* What a request resolved (its own, else lent through refs). */
  const struct office_text *res_kec, *res_groups;
  size_t nrefs;
  struct tally_ref *refs; /* in mem */
  size_t nvals;
  struct office_val *vals; /* in mem: the record's fields, by name */
  char mem[];
};

struct office_tally {
  uv_mutex_t lock;
  bool started;
  uint64_t head;             /* every feed entry up to it is in facts */
  uint64_t horizon;          /* the purge horizon when they were read */
  struct tally_fact **facts; /* sorted by (collection, id); no NULL */
  size_t n;
  struct office_intern *texts;
  uint64_t rebuilds, records_read;
};

static int key_cmp(const char *c1, const char *i1, const char *c2,
                   const char *i2)
{
  int c = strcmp(c1, c2);
  return c != 0 ? c : strcmp(i1, i2);
}

static int fact_cmp(const void *a, const void *b)
{
  const struct tally_fact *x = *(struct tally_fact *const *)a;
  const struct tally_fact *y = *(struct tally_fact *const *)b;
  return key_cmp(x->collection, x->id, y->collection, y->id);
}

/* The index of (collection, id) in facts, or -1. */
static long fact_find(const struct office_tally *t, const char *collection,
                      const char *id)
{
  size_t lo = 0, hi = t->n;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const struct tally_fact *f = t->facts[mid];
    int c = key_cmp(collection, id, f->collection, f->id);
    if (c == 0)
      return (long)mid;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return -1;
}

/* How many ref fields collection sc has. */
static size_t ref_fields(const struct schema_collection *sc)
{
  size_t i, n = 0;

  for (i = 0; sc != NULL && i < sc->nfields; i++)
    n += sc->fields[i].type == SCHEMA_REF;
  return n;
}

/* The facts of r (NULL and *oom on ENOMEM, NULL alone if r is not shown). */
static struct tally_fact *fact_new(struct office_tally *t,
                                   const struct schema *schema,
                                   const struct record *r, bool *oom)
{
  const struct schema_collection *sc = schema_collection(schema, r->collection);
  size_t most = ref_fields(sc), nref = 0, nval, i, size,
         clen = strlen(r->collection) + 1, ilen = strlen(r->id) + 1, at;
  /* the ref fields that name a record, and the ids they name */
  const struct schema_field **named = NULL;
  char **ids = NULL;
  struct tally_fact *f = NULL;
  char why[256];

  if (record_deleted(r) && !record_conflicted(r))
    return NULL;
  if (most > 0 && ((named = calloc(most, sizeof(*named))) == NULL ||
                   (ids = calloc(most, sizeof(*ids))) == NULL)) {
    *oom = true;
    goto done;
  }
  for (i = 0; sc != NULL && i < sc->nfields; i++) {
    const struct schema_field *sf = &sc->fields[i];
    char *id = NULL;
    if (sf->type == SCHEMA_REF && office_ref_id(r, sf->name, &id) != 0) {
      *oom = true;
      goto done;
    }
    if (id != NULL) {
      named[nref] = sf;
      ids[nref++] = id;
    }
  }
  nval = record_nfields(r);
  size = sizeof(*f) + nref * sizeof(struct tally_ref) +
         nval * sizeof(struct office_val) + clen + ilen;
  for (i = 0; i < nref; i++)
    size += strlen(ids[i]) + 1;
  for (i = 0; i < nval; i++) {
    const struct field *fd = record_field_at(r, i);
    size += strlen(record_field_name(fd)) + 1 +
            strlen(record_field_winner(fd)->value) + 1;
  }
  f = calloc(1, size);
  if (f == NULL) {
    *oom = true;
    goto done;
  }
  f->sc = sc;
  f->refs = (struct tally_ref *)f->mem;
  at = nref * sizeof(struct tally_ref);
  f->vals = (struct office_val *)(f->mem + at);
  at += nval * sizeof(struct office_val);
  f->collection = memcpy(f->mem + at, r->collection, clen);
  at += clen;
  f->id = memcpy(f->mem + at, r->id, ilen);
  at += ilen;
  /* the refs in schema order, as the walk lends them */
  for (i = 0; i < nref; i++) {
    size_t len = strlen(ids[i]) + 1;
    f->refs[i].collection = named[i]->ref;
    f->refs[i].id = memcpy(f->mem + at, ids[i], len);
    at += len;
  }
  f->nrefs = nref;
  for (i = 0; i < nval; i++) {
    const struct field *fd = record_field_at(r, i);
    const char *name = record_field_name(fd);
    const char *json = record_field_winner(fd)->value;
    size_t nlen = strlen(name) + 1, jlen = strlen(json) + 1;
    f->vals[i].name = memcpy(f->mem + at, name, nlen);
    at += nlen;
    f->vals[i].json = memcpy(f->mem + at, json, jlen);
    at += jlen;
  }
  f->nvals = nval;
  f->kec = office_intern(t->texts, office_winner(r, "kecamatan"), oom);
  f->groups = office_intern(t->texts, office_winner(r, "groups"), oom);
  f->programme = office_intern(t->texts, office_winner(r, "programme"), oom);
  f->date = office_intern(t->texts, office_winner(r, "date"), oom);
  f->conflicted = record_conflicted(r);
  f->review = schema_review(sc, r, why, sizeof(why)) == 1;
  if (*oom) {
    free(f);
    f = NULL;
  }
done:
  for (i = 0; i < nref; i++)
    free(ids[i]);
  free(ids);
  free(named);
  return f;
}

static void facts_clear(struct office_tally *t)
{
  size_t i;

  for (i = 0; i < t->n; i++)
    free(t->facts[i]);
  t->n = 0;
}

/* Merges the sorted facts add[0..na) into t->facts, freeing the gone. */
static int facts_merge(struct office_tally *t, struct tally_fact **add,
                       size_t na)
{
  size_t need = t->n + na, i = 0, j = 0, k = 0;
  struct tally_fact **out = malloc((need ? need : 1) * sizeof(*out));

  if (out == NULL)
    return SB_ENOMEM;
  while (i < t->n || j < na) {
    if (i < t->n && t->facts[i]->gone) {
      free(t->facts[i++]);
    } else if (j == na || (i < t->n && fact_cmp(&t->facts[i], &add[j]) < 0)) {
      out[k++] = t->facts[i++];
    } else {
      out[k++] = add[j++];
    }
  }
  free(t->facts);
  t->facts = out;
  t->n = k;
  return 0;
}

/*
 * The facts one pass over the feed read of records t->facts lacks, in
 * feed order: a record changed during the pass comes twice (the later
 * wins), and a marker (gone) says one left. They join t->facts in one
 * merge at the pass's end: a merge per page made the first read of N
 * records cost N * N / TALLY_PAGE comparisons (about a sixth of the
 * first overview's time at 100,000 records).
 */
struct pending {
  struct pending_fact {
    struct tally_fact *f;
    size_t order;
  } * v;
  size_t n, cap;
};

/* A marker: the record (collection, id) is not live. */
static struct tally_fact *fact_gone(const char *collection, const char *id)
{
  size_t clen = strlen(collection) + 1, ilen = strlen(id) + 1;
  struct tally_fact *f = calloc(1, sizeof(*f) + clen + ilen);

  if (f == NULL)
    return NULL;
  f->collection = memcpy(f->mem, collection, clen);
  f->id = memcpy(f->mem + clen, id, ilen);
  f->gone = true;
  return f;
}

static int pending_add(struct pending *p, struct tally_fact *f)
{
  struct pending_fact *v = array_grow(p->v, &p->cap, p->n, sizeof(*v), 1024);

  if (v == NULL) {
    free(f);
    return SB_ENOMEM;
  }
  p->v = v;
  p->v[p->n].f = f;
  p->v[p->n].order = p->n;
  p->n++;
  return 0;
}

static void pending_free(struct pending *p)
{
  size_t i;

  for (i = 0; i < p->n; i++)
    free(p->v[i].f);
  free(p->v);
  memset(p, 0, sizeof(*p));
}

/* By record, then feed order. */
static int pending_cmp(const void *a, const void *b)
{
  const struct pending_fact *x = a, *y = b;
  int c = key_cmp(x->f->collection, x->f->id, y->f->collection, y->f->id);
  return c != 0 ? c : (x->order > y->order) - (x->order < y->order);
}

/* Merges each pending record's last fact (none if it left) into t. */
static int pending_merge(struct office_tally *t, struct pending *p)
{
  struct tally_fact **add = malloc((p->n ? p->n : 1) * sizeof(*add));
  size_t i, na = 0;
  int rc;

  if (add == NULL)
    return SB_ENOMEM;
  if (p->n > 1)
    qsort(p->v, p->n, sizeof(*p->v), pending_cmp);
  for (i = 0; i < p->n; i++) {
    struct tally_fact *f = p->v[i].f;
    bool later =
        i + 1 < p->n && key_cmp(f->collection, f->id, p->v[i + 1].f->collection,
                                p->v[i + 1].f->id) == 0;
    if (later || f->gone)
      free(f);
    else
      add[na++] = f;
    p->v[i].f = NULL;
  }
  p->n = 0;
  rc = facts_merge(t, add, na);
  if (rc != 0)
    for (i = 0; i < na; i++)
      free(add[i]);
  free(add);
  return rc;
}

/* Replaces the facts of each record of page: those t->facts holds in
 * place, the others into p. */
static int apply_page(struct office_tally *t, const struct schema *schema,
                      const struct hub_page *page, struct pending *p,
                      struct sb_err *err)
{
  struct record r;
  size_t i;
  int rc = 0;

  record_init(&r, "", "");
  for (i = 0; rc == 0 && i < page->n; i++) {
    struct tally_fact *f;
    bool oom = false;
    long at;
    if (page->gone != NULL && page->gone[i])
      continue;
    rc = record_decode(&r, page->states[i], strlen(page->states[i]), err);
    if (rc != 0)
      break;
    f = fact_new(t, schema, &r, &oom);
    if (oom) {
      rc = SB_ENOMEM;
      break;
    }
    at = fact_find(t, r.collection, r.id);
    if (at >= 0 && f != NULL) {
      free(t->facts[at]);
      t->facts[at] = f;
    } else if (at >= 0) {
      t->facts[at]->gone = true; /* kept for the lookups until the merge */
    } else if (f != NULL || (f = fact_gone(r.collection, r.id)) != NULL) {
      rc = pending_add(p, f);
    } else {
      rc = SB_ENOMEM;
    }
    t->records_read++;
  }
  record_release(&r);
  if (rc == SB_ENOMEM)
    rc = sb_err_set(err, SB_ENOMEM, "out of memory counting records");
  return rc;
}

/* Reads the feed from t->head to its end into the facts (t->head moves
 * only once they hold it all). */
static int read_feed(struct office_tally *t, struct hub_store *hs,
                     struct sb_err *err)
{
  const struct schema *schema = hub_store_schema(hs);
  struct pending p = {0};
  struct hub_page page;
  uint64_t head = t->head;
  int rc;

  hub_store_page_init(&page);
  for (;;) {
    rc = hub_store_changes(hs, head, TALLY_PAGE, NULL, &page, err);
    if (rc == 0)
      rc = apply_page(t, schema, &page, &p, err);
    if (rc != 0)
      break;
    if (page.next <= head || !page.more) {
      head = page.next > head ? page.next : head;
      break;
    }
    head = page.next;
  }
  hub_store_page_release(&page);
  if (rc == 0 && pending_merge(t, &p) != 0)
    rc = sb_err_set(err, SB_ENOMEM, "out of memory counting records");
  pending_free(&p);
  if (rc == 0)
    t->head = head;
  return rc;
}

/* Brings the facts up to the feed's end; from empty on the first use and
 * whenever the purge horizon moved (a purge during the read too: it may
 * have taken a deletion the read was about to see). */
static int catch_up(struct office_tally *t, struct hub_store *hs,
                    struct sb_err *err)
{
  uint64_t horizon = 0;
  int tries, rc = hub_purge_horizon(hs, &horizon, err);

  for (tries = 0; rc == 0 && tries < 3; tries++) {
    if (!t->started || horizon != t->horizon) {
      facts_clear(t);
      t->head = 0;
      t->horizon = horizon;
      t->started = true;
      t->rebuilds++;
    }
    rc = read_feed(t, hs, err);
    if (rc == 0)
      rc = hub_purge_horizon(hs, &horizon, err);
    if (rc == 0 && horizon == t->horizon)
      return 0;
  }
  t->started = false; /* half a page may be in: start again next time */
  return rc != 0 ? rc
                 : sb_err_set(err, SB_EBUSY,
                              "records are being purged; "
                              "try again");
}

/* f's own kecamatan and groups, else those of the records it names that
 * sort before it (resolved already: facts are visited in key order). */
static void resolve(const struct office_tally *t, struct tally_fact *f)
{
  size_t i;

  f->res_kec = f->kec;
  f->res_groups = f->groups;
  for (i = 0; i < f->nrefs; i++) {
    long at = fact_find(t, f->refs[i].collection, f->refs[i].id);
    const struct tally_fact *to = at >= 0 ? t->facts[at] : NULL;
    if (to == NULL ||
        key_cmp(to->collection, to->id, f->collection, f->id) >= 0)
      continue;
    if (f->res_kec == NULL)
      f->res_kec = to->res_kec;
    if (f->res_groups == NULL)
      f->res_groups = to->res_groups;
  }
}

int office_tally_each(struct office *o, struct hub_store *hs, office_fact_fn fn,
                      void *ctx, struct sb_err *err)
{
  struct office_tally *t;
  size_t i;
  int rc = 0;

  uv_mutex_lock(&o->lock);
  if (o->tally == NULL) {
    t = calloc(1, sizeof(*t));
    if (t != NULL && ((t->texts = office_intern_new()) == NULL ||
                      uv_mutex_init(&t->lock) != 0)) {
      office_intern_free(t->texts);
      free(t);
      t = NULL;
    }
    o->tally = t;
  }
  t = o->tally;
  uv_mutex_unlock(&o->lock);
  if (t == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory counting records");

  uv_mutex_lock(&t->lock);
  rc = catch_up(t, hs, err);
  /* for /metrics, which runs on the loop: never waits on t->lock */
  uv_mutex_lock(&o->lock);
  o->tally_stats.rebuilds = t->rebuilds;
  o->tally_stats.records_read = t->records_read;
  o->tally_stats.records = (uint64_t)t->n;
  uv_mutex_unlock(&o->lock);
  for (i = 0; rc == 0 && i < t->n; i++) {
    struct tally_fact *f = t->facts[i];
    struct office_fact of;
    resolve(t, f);
    of.collection = f->collection;
    of.id = f->id;
    of.sc = f->sc;
    of.kecamatan = f->res_kec;
    of.groups = f->res_groups;
    of.programme = f->programme;
    of.date = f->date;
    of.own_kecamatan = f->kec;
    of.own_groups = f->groups;
    of.vals = f->vals;
    of.nvals = f->nvals;
    of.conflicted = f->conflicted;
    of.review = f->review;
    rc = fn(&of, ctx);
  }
  if (rc == 0)
    rc = fn(NULL, ctx);
  uv_mutex_unlock(&t->lock);
  return rc;
}

/* bsearch's order of a field name against a value's name. */
static int val_name_cmp(const void *key, const void *v)
{
  return strcmp(key, ((const struct office_val *)v)->name);
}

const char *office_fact_value(const struct office_fact *f, const char *field)
{
  /* the record's fields are sorted by name */
  const struct office_val *v =
      f->nvals > 0
          ? bsearch(field, f->vals, f->nvals, sizeof(*f->vals), val_name_cmp)
          : NULL;

  return v != NULL ? v->json : NULL;
}

void office_tally_stats(struct office *o, struct office_tally_stats *out)
{
  uv_mutex_lock(&o->lock);
  *out = o->tally_stats;
  uv_mutex_unlock(&o->lock);
}

void office_tally_free(struct office_tally *t)
{
  if (t == NULL)
    return;
  facts_clear(t);
  free(t->facts);
  office_intern_free(t->texts);
  uv_mutex_destroy(&t->lock);
  free(t);
}
