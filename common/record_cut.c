/*
 * record_cut.c - a pushed state as one more push may be checked against
 * (record.h, record_cut): the state, with the base's entries it dropped
 * without a write of its author that explains it put back, and the
 * values of others' writes taken from where the rules say. Fields and
 * entries are sorted, so both states are walked in step, as
 * record_merge.c does.
 */
#include "compat.h"

#include "record.h"
#include "record_int.h"

#include <stdlib.h>
#include <string.h>

/* What one cut needs while it walks the two states. */
struct cut {
  const struct record *s;
  const struct record_cut_rules *rules;
};

static int entry_copy(struct entry *dst, const struct entry *src)
{
  *dst = *src;
  dst->value = NULL;
  if (src->value != NULL && (dst->value = strdup(src->value)) == NULL)
    return SB_ENOMEM;
  return 0;
}

/*
 * The entries of one field (name; NULL for the tombstones), in dot order:
 * of the base's, b[0..nb), those s holds too, has not seen, or dropped
 * where keep keeps them; of s's alone, s_e[0..ns), the copies vouch
 * gives.
 */
static int cut_entries(const struct cut *c, const char *name,
                       const struct entry *b, size_t nb,
                       const struct entry *s_e, size_t ns, struct entry **out,
                       size_t *nout)
{
  struct entry *m = NULL;
  size_t i = 0, j = 0, n = 0;

  if (nb + ns > 0 && (m = calloc(nb + ns, sizeof(*m))) == NULL)
    return SB_ENOMEM;
  while (i < nb || j < ns) {
    const struct entry *take = NULL;
    int cmp = i == nb ? 1 : j == ns ? -1 : vv_dot_cmp(&b[i].dot, &s_e[j].dot);
    if (cmp < 0) {
      const struct entry *e = &b[i];
      if (!vv_covers(&c->s->vv, &e->dot) ||
          c->rules->keep(name, e, c->rules->ctx))
        take = e;
    } else if (cmp == 0) {
      take = &b[i]; /* the base's copy of a dot both hold */
    } else {
      take = c->rules->vouch(name, &s_e[j], c->rules->ctx);
    }
    i += cmp <= 0;
    j += cmp >= 0;
    if (take != NULL && entry_copy(&m[n++], take) != 0) {
      record_entries_free(m, n);
      return SB_ENOMEM;
    }
  }
  if (n == 0) {
    free(m);
    m = NULL;
  }
  *out = m;
  *nout = n;
  return 0;
}

/* out's withdrawals: base's, and those of s rules->withdrawal takes,
 * with the seen it gives (seen: pointwise max where both hold one). */
static int cut_withdrawals(struct record *out, const struct record *base,
                           const struct record *s,
                           const struct record_cut_rules *rules)
{
  struct withdrawal *took = NULL;
  size_t k, n = 0;
  int rc = 0;

  if (s->nwd > 0 && (took = calloc(s->nwd, sizeof(*took))) == NULL)
    return SB_ENOMEM;
  for (k = 0; rc == 0 && k < s->nwd; k++) {
    struct withdrawal *t = &took[n];
    t->dot = s->wd[k].dot;
    vv_init(&t->seen);
    rc = rules->withdrawal(&s->wd[k], &t->seen, rules->ctx);
    if (rc == 1) {
      n++;
      rc = 0;
    } else {
      vv_release(&t->seen);
    }
  }
  if (rc == 0)
    rc = record_withdrawals_merge(base->wd, base->nwd, took, n, &out->wd,
                                  &out->nwd);
  record_withdrawals_free(took, n);
  return rc;
}

int record_cut(struct record *out, const struct record *base,
               const struct record *s, const struct record_cut_rules *rules)
{
  struct cut c = {s, rules};
  size_t i = 0, j = 0;
  int rc;

  record_init(out, base->collection, base->id);
  rc = vv_copy(&out->vv, &base->vv);
  if (rc == 0)
    rc = vv_merge(&out->vv, &s->vv);
  if (rc == 0 && base->nf + s->nf > 0 &&
      (out->f = calloc(base->nf + s->nf, sizeof(*out->f))) == NULL)
    rc = SB_ENOMEM;
  while (rc == 0 && (i < base->nf || j < s->nf)) {
    const struct field *a = NULL, *b = NULL;
    struct field *f = &out->f[out->nf];
    int cmp = i == base->nf ? 1
              : j == s->nf  ? -1
                            : strcmp(base->f[i].name, s->f[j].name);
    if (cmp <= 0)
      a = &base->f[i++];
    if (cmp >= 0)
      b = &s->f[j++];
    rc = cut_entries(&c, a != NULL ? a->name : b->name, a ? a->e : NULL,
                     a ? a->n : 0, b ? b->e : NULL, b ? b->n : 0, &f->e, &f->n);
    if (rc != 0 || f->n == 0)
      continue;
    if ((f->name = strdup(a != NULL ? a->name : b->name)) == NULL)
      rc = SB_ENOMEM;
    out->nf++; /* freed with out on failure */
  }
  if (rc == 0)
    rc = cut_entries(&c, NULL, base->tomb, base->ntomb, s->tomb, s->ntomb,
                     &out->tomb, &out->ntomb);
  if (rc == 0)
    rc = cut_withdrawals(out, base, s, rules);
  if (rc != 0)
    record_release(out);
  return rc;
}
