/*
 * hub_push_entries.c - the push policy's entry-level checks
 * (hub_push_check.c's top comment states them): forged_dot (a version-vector
 * entry the hub never saw), dot_reused and forged_entry (entries carried with
 * another value, or dropped without a write of the pusher that explains it),
 * and forged withdrawals (record.h: only the pusher's own may be added).
 */
#include "compat.h"

#include "hub_push.h"
#include "hub_push_int.h"

#include "buf.h"
#include "hub_scope.h"
#include "json.h"
#include "update.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * false, with p->what naming it, if rec holds history of a replica other
 * than the pusher that cur (the hub's state) has not seen. Dots are
 * covered by vv, so checking vv covers them too.
 */
bool hub_push_entries_forged_vv(struct push_one *p, const struct record *cur)
{
  const struct record *rec = p->rec;
  size_t k;

  for (k = 0; k < rec->vv.n; k++) {
    const struct vv_entry *v = &rec->vv.v[k];
    if (strcmp(v->replica, p->pusher) == 0)
      continue;
    if (v->counter > vv_get(&cur->vv, v->replica)) {
      snprintf(p->what, sizeof(p->what),
               "version vector entry \"%s\":%" PRIu64 " was never seen by "
               "the hub (a device may only add history of its own replica, "
               "%s)",
               v->replica, v->counter, p->pusher);
      return false;
    }
  }
  return true;
}

/*
 * The merge's deterministic normalisation: true if the merge itself
 * removes the value of field written at dot d from a state like rec, so
 * that a device's state may lack an entry of it that the hub holds: a
 * personal field while no surviving consent value of rec is true, or
 * written without having seen a withdrawal rec holds (schema_normalise,
 * the rule update_apply applies on every replica; common/DESIGN.md).
 */
static bool normalised_away(const struct push_one *p, const char *field,
                            const struct dot *d)
{
  return schema_erases(schema_collection(p->schema, p->rec->collection), p->rec,
                       field, d);
}

/* One entry of a state for the entry checks: field NULL for a tombstone. */
struct eref {
  const char *field;
  const struct entry *e;
};

struct eref_list {
  struct eref *v;
  size_t n, cap;
};

/* Orders by dot, then field (a tombstone first). */
static int eref_cmp(const void *a, const void *b)
{
  const struct eref *x = a, *y = b;
  int c = vv_dot_cmp(&x->e->dot, &y->e->dot);

  if (c != 0)
    return c;
  if (x->field == NULL || y->field == NULL)
    return (x->field != NULL) - (y->field != NULL);
  return strcmp(x->field, y->field);
}

static int eref_add(const char *field, const struct entry *e, void *ctx)
{
  struct eref_list *l = ctx;

  struct eref *v = array_grow(l->v, &l->cap, l->n, sizeof(*v), 16);

  if (v == NULL)
    return SB_ENOMEM;
  l->v = v;
  l->v[l->n].field = field;
  l->v[l->n].e = e;
  l->n++;
  return 0;
}

/* True if l is in eref_cmp's order already. */
static bool eref_sorted(const struct eref_list *l)
{
  size_t k;

  for (k = 1; k < l->n; k++)
    if (eref_cmp(&l->v[k - 1], &l->v[k]) > 0)
      return false;
  return true;
}

/* Every entry of r, sorted by eref_cmp, into l (the caller frees l->v).
 * Most pushed states come in that order already (one write of fields in
 * name order: every entry of one dot), so the sort is checked for first:
 * n - 1 comparisons instead of a sort's n log n, on the hub's one writer
 * thread. */
static int eref_index(const struct record *r, struct eref_list *l)
{
  int rc;

  memset(l, 0, sizeof(*l));
  rc = record_each_entry(r, eref_add, l);
  if (rc == 0 && !eref_sorted(l))
    qsort(l->v, l->n, sizeof(*l->v), eref_cmp);
  return rc;
}

/* The first index of l whose dot is not below d (l->n if none). */
static size_t eref_find(const struct eref_list *l, const struct dot *d)
{
  size_t lo = 0, hi = l->n;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (vv_dot_cmp(&l->v[mid].e->dot, d) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* True if l holds an entry of x's field (or a tombstone) with x's dot. */
static bool eref_holds(const struct eref_list *l, const struct eref *x)
{
  size_t k;

  for (k = eref_find(l, &x->e->dot);
       k < l->n && vv_dot_cmp(&l->v[k].e->dot, &x->e->dot) == 0; k++) {
    if (x->field == NULL
            ? l->v[k].field == NULL
            : l->v[k].field != NULL && strcmp(l->v[k].field, x->field) == 0)
      return true;
  }
  return false;
}

/* Names entry x ("field \"f\"", "the delete") and its dot in p->what. */
static void what_entry(struct push_one *p, const char *pre,
                       const struct eref *x, const char *post)
{
  if (x->field != NULL)
    snprintf(p->what, sizeof(p->what),
             "%sfield \"%s\" of dot [\"%s\",%" PRIu64 "]%s", pre, x->field,
             x->e->dot.replica, x->e->dot.counter, post);
  else
    snprintf(p->what, sizeof(p->what),
             "%sthe delete of dot [\"%s\",%" PRIu64 "]%s", pre,
             x->e->dot.replica, x->e->dot.counter, post);
}

bool hub_push_entries_own_new_dot(const struct push_one *p,
                                  const struct own_new *o, const struct dot *d)
{
  return d->counter > o->base && strcmp(d->replica, p->pusher) == 0;
}

/* True if rec holds a new entry of the pusher on field. */
static bool own_new_on(const struct push_one *p, const struct own_new *o,
                       const char *field)
{
  const struct field *f = record_field(p->rec, field);
  size_t k;

  for (k = 0; f != NULL && k < record_field_nentries(f); k++)
    if (hub_push_entries_own_new_dot(p, o, &record_field_entry(f, k)->dot))
      return true;
  return false;
}

/* Fills o (but its base) from rec's index rl: what rec holds of the
 * pusher's new writes. */
static void own_new_scan(const struct push_one *p, const struct eref_list *rl,
                         struct own_new *o)
{
  uint64_t held = 0, top = vv_get(&p->rec->vv, p->pusher);
  size_t i;

  for (i = 0; i < rl->n; i++) {
    const struct eref *x = &rl->v[i];
    if (!hub_push_entries_own_new_dot(p, o, &x->e->dot))
      continue;
    o->any = true;
    o->tomb = o->tomb || x->field == NULL;
    if (i == 0 || vv_dot_cmp(&rl->v[i - 1].e->dot, &x->e->dot) != 0)
      held++;
  }
  o->vanished = top > o->base && top - o->base > held;
}

/*
 * The entries rec carries, against cur's (rl and cl: their indexes):
 * PROTO_ERR_DOT_REUSED if a dot cur holds comes with another value,
 * timestamp or kind, or one new dot of the pusher with two timestamps.
 * 0 if fine.
 */
static enum proto_err check_carried(struct push_one *p,
                                    const struct eref_list *rl,
                                    const struct eref_list *cl,
                                    const struct own_new *o)
{
  size_t i, k;

  for (i = 0; i < rl->n; i++) {
    const struct eref *x = &rl->v[i];
    if (hub_push_entries_own_new_dot(p, o, &x->e->dot)) {
      const struct eref *prev = i > 0 ? &rl->v[i - 1] : NULL;
      if (prev != NULL && vv_dot_cmp(&prev->e->dot, &x->e->dot) == 0 &&
          (prev->e->ts != x->e->ts ||
           (prev->field == NULL) != (x->field == NULL))) {
        what_entry(p, "", x,
                   " differs from the rest of its write (one write, one "
                   "timestamp)");
        return PROTO_ERR_DOT_REUSED;
      }
      continue;
    }
    for (k = eref_find(cl, &x->e->dot);
         k < cl->n && vv_dot_cmp(&cl->v[k].e->dot, &x->e->dot) == 0; k++) {
      const struct eref *y = &cl->v[k];
      bool same_field = x->field != NULL && y->field != NULL &&
                        strcmp(x->field, y->field) == 0;
      if (y->e->ts != x->e->ts || (y->field == NULL) != (x->field == NULL) ||
          (same_field && strcmp(x->e->value, y->e->value) != 0)) {
        /* A device never reuses a dot of its own (it re-stamps only
         * dots the hub never took), so its own dot held otherwise means
         * two stores write as one device: say so, it is what the office
         * must fix (proto/PROTOCOL.md, dot_reused). */
        what_entry(p, "", x,
                   strcmp(x->e->dot.replica, p->pusher) == 0
                       ? ", this device's own write, is held by the hub "
                         "with another value or timestamp: two stores "
                         "write as this device (a copied store, or one "
                         "put back from an older copy); each needs its "
                         "own enrolment"
                       : " is held by the hub with another value or "
                         "timestamp (a dot names one write, it cannot be "
                         "reused)");
        return PROTO_ERR_DOT_REUSED;
      }
    }
  }
  return 0;
}

/* True if a new write of the pusher that rec holds explains why rec
 * dropped cur's entry of field (NULL: a tombstone) at dot d. */
static bool drop_explained(const struct push_one *p, const struct own_new *o,
                           const char *field, const struct dot *d)
{
  if (field == NULL)
    return o->any;
  return o->tomb || (o->vanished && o->any) || own_new_on(p, o, field) ||
         normalised_away(p, field, d);
}

/*
 * The entries cur holds that rec dropped (rec's vv covers the dot, rec
 * does not hold the entry): PROTO_ERR_FORGED_ENTRY unless a new write of
 * the pusher explains the drop (see the top comment). 0 if fine.
 */
static enum proto_err check_dropped(struct push_one *p,
                                    const struct eref_list *rl,
                                    const struct eref_list *cl,
                                    const struct own_new *o)
{
  size_t k;

  for (k = 0; k < cl->n; k++) {
    const struct eref *y = &cl->v[k];
    if (!vv_covers(&p->rec->vv, &y->e->dot) || eref_holds(rl, y))
      continue;
    if (!drop_explained(p, o, y->field, &y->e->dot)) {
      what_entry(p, "it drops ", y,
                 " that the hub holds, without a write of its own that "
                 "replaced it (a device may only add its own writes)");
      return PROTO_ERR_FORGED_ENTRY;
    }
  }
  return 0;
}

/*
 * The withdrawals rec carries (record.h), against cur's: one cur lacks
 * must be a new write of the pusher, and what they say was seen may add
 * only the pusher's own new writes (seen[replica] is set by that
 * replica alone). PROTO_ERR_FORGED_ENTRY with p->what naming it, or 0.
 */
static enum proto_err check_withdrawals(struct push_one *p,
                                        const struct record *cur,
                                        const struct own_new *o)
{
  size_t k, i;

  for (k = 0; k < record_nwithdrawals(p->rec); k++) {
    const struct withdrawal *w = record_withdrawal_at(p->rec, k);
    const struct withdrawal *held = record_withdrawal_of(cur, &w->dot);
    if (held == NULL && !hub_push_entries_own_new_dot(p, o, &w->dot)) {
      snprintf(p->what, sizeof(p->what),
               "it adds the withdrawal of dot [\"%s\",%" PRIu64 "], which is "
               "not a new write of its own (a device may only add its own "
               "writes)",
               w->dot.replica, w->dot.counter);
      return PROTO_ERR_FORGED_ENTRY;
    }
    for (i = 0; i < w->seen.n; i++) {
      const struct vv_entry *v = &w->seen.v[i];
      uint64_t was = held != NULL ? vv_get(&held->seen, v->replica) : 0;
      struct dot d;
      snprintf(d.replica, sizeof(d.replica), "%s", v->replica);
      d.counter = v->counter;
      if (was == v->counter ||
          (was == 0 && (held != NULL || vv_dot_cmp(&d, &w->dot) == 0) &&
           hub_push_entries_own_new_dot(p, o, &d)))
        continue;
      snprintf(p->what, sizeof(p->what),
               "it says replica \"%s\" saw the withdrawal of dot "
               "[\"%s\",%" PRIu64 "] from its write %" PRIu64
               ", which the hub %s (a device may only add its own writes)",
               v->replica, w->dot.replica, w->dot.counter, v->counter,
               was != 0 ? "holds otherwise" : "never had from it");
      return PROTO_ERR_FORGED_ENTRY;
    }
  }
  return 0;
}

/*
 * The entry-level checks of rec against cur: 0 (fine), a PROTO_ERR code
 * with p->what naming the entry, or a negative SB_E code.
 */
int hub_push_entries_check(struct push_one *p, const struct record *cur)
{
  struct eref_list rl, cl;
  struct own_new o = {vv_get(hub_push_since(p, cur), p->pusher), false, false,
                      false};
  int rc;

  rc = eref_index(p->rec, &rl);
  if (rc == 0)
    rc = eref_index(cur, &cl);
  else
    memset(&cl, 0, sizeof(cl));
  if (rc == 0) {
    own_new_scan(p, &rl, &o);
    rc = (int)check_carried(p, &rl, &cl, &o);
  }
  if (rc == 0)
    rc = (int)check_dropped(p, &rl, &cl, &o);
  if (rc == 0)
    rc = (int)check_withdrawals(p, cur, &o);
  free(rl.v);
  free(cl.v);
  return rc;
}

/* record_cut's rules for p's record: keep cur's entries whose drop it
 * does not explain with a new write of the pusher; vouch as given. */
struct cut_ctx {
  const struct push_one *p;
  const struct own_new *o;
  const struct hub_push_vouch *vouch;
};

static bool cut_keeps(const char *field, const struct entry *e, void *ctx)
{
  const struct cut_ctx *k = ctx;
  return !drop_explained(k->p, k->o, field, &e->dot);
}

static const struct entry *cut_vouches(const char *field, const struct entry *e,
                                       void *ctx)
{
  const struct cut_ctx *k = ctx;
  return k->vouch->entry(field, e, k->vouch->ctx);
}

static int cut_withdrawal(const struct withdrawal *w, struct vv *seen,
                          void *ctx)
{
  const struct cut_ctx *k = ctx;
  return k->vouch->withdrawal(w, seen, k->vouch->ctx);
}

int hub_push_entries_cut(const struct push_one *p, const struct record *cur,
                         const struct hub_push_vouch *vouch, struct record *out)
{
  struct eref_list rl;
  struct own_new o = {vv_get(hub_push_since(p, cur), p->pusher), false, false,
                      false};
  struct cut_ctx k = {p, &o, vouch};
  struct record_cut_rules rules = {cut_keeps, cut_vouches, cut_withdrawal, &k};
  int rc = eref_index(p->rec, &rl);

  if (rc == 0) {
    own_new_scan(p, &rl, &o);
    rc = record_cut(out, cur, p->rec, &rules);
  } else {
    record_init(out, cur->collection, cur->id);
  }
  free(rl.v);
  return rc;
}
