/*
 * record_merge.c - the merge of two record states (the rule is in
 * record.h): fields and entries are sorted, so both states are walked in
 * step and an entry survives if both hold it or the other side has not
 * seen its dot. Withdrawals are a union (record_withdraw.c).
 */
#include "compat.h"

#include "record.h"
#include "record_int.h"

#include <stdlib.h>
#include <string.h>

/*
 * Merges entry sets a (held by the side with vector va) and b (vb) into
 * *out: an entry survives if both hold it or the other side has not seen
 * its dot. a's strings are moved (a is consumed), b's copied.
 */
static int entries_merge(struct entry *a, size_t na, const struct vv *va,
                         const struct entry *b, size_t nb, const struct vv *vb,
                         struct entry **out, size_t *nout)
{
  struct entry *m = NULL;
  size_t i = 0, j = 0, n = 0;

  if (na + nb > 0) {
    m = malloc((na + nb) * sizeof(*m));
    if (m == NULL)
      return SB_ENOMEM;
  }
  while (i < na || j < nb) {
    int c;
    if (i == na)
      c = 1;
    else if (j == nb)
      c = -1;
    else
      c = vv_dot_cmp(&a[i].dot, &b[j].dot);
    if (c < 0) {
      if (!vv_covers(vb, &a[i].dot)) {
        m[n++] = a[i];
        a[i].value = NULL;
      }
      i++;
    } else if (c > 0) {
      if (!vv_covers(va, &b[j].dot)) {
        m[n] = b[j];
        if (b[j].value != NULL && (m[n].value = strdup(b[j].value)) == NULL)
          goto nomem;
        n++;
      }
      j++;
    } else {
      /*
       * One dot is one write, so both sides hold the same entry. Should
       * they ever differ (a forged state), keep the smaller one so the
       * result still does not depend on the order of merging.
       */
      const struct entry *keep = &a[i];
      if (b[j].ts < a[i].ts ||
          (b[j].ts == a[i].ts && a[i].value != NULL && b[j].value != NULL &&
           strcmp(b[j].value, a[i].value) < 0))
        keep = &b[j];
      m[n] = *keep;
      if (keep == &a[i]) {
        a[i].value = NULL;
      } else if (b[j].value != NULL &&
                 (m[n].value = strdup(b[j].value)) == NULL) {
        goto nomem;
      }
      n++;
      i++;
      j++;
    }
  }
  *out = m;
  *nout = n;
  return 0;
nomem:
  /* Give a's moved strings back before freeing the rest. */
  for (i = 0; i < na; i++) {
    size_t k;
    for (k = 0; a[i].value == NULL && k < n; k++) {
      if (vv_dot_cmp(&m[k].dot, &a[i].dot) == 0) {
        a[i].value = m[k].value;
        m[k].value = NULL;
      }
    }
  }
  record_entries_free(m, n);
  return SB_ENOMEM;
}

int record_merge(struct record *into, const struct record *from)
{
  struct field *f = NULL;
  struct entry *tomb = NULL;
  struct withdrawal *wd = NULL;
  size_t nf = 0, ntomb = 0, nwd = 0, i = 0, j = 0;
  struct vv vv;

  vv_init(&vv);
  if (vv_copy(&vv, &into->vv) != 0 || vv_merge(&vv, &from->vv) != 0)
    goto nomem;
  if (into->nf + from->nf > 0) {
    f = calloc(into->nf + from->nf, sizeof(*f));
    if (f == NULL)
      goto nomem;
  }
  /*
   * On failure below, into's strings may be half moved; into is then
   * released and emptied (merge is only used on copies it can redo).
   */
  while (i < into->nf || j < from->nf) {
    const struct field *b = NULL;
    struct field *a = NULL;
    int c;
    if (i == into->nf)
      c = 1;
    else if (j == from->nf)
      c = -1;
    else
      c = strcmp(into->f[i].name, from->f[j].name);
    if (c <= 0)
      a = &into->f[i++];
    if (c >= 0)
      b = &from->f[j++];
    if (entries_merge(a ? a->e : NULL, a ? a->n : 0, &into->vv, b ? b->e : NULL,
                      b ? b->n : 0, &from->vv, &f[nf].e, &f[nf].n) != 0)
      goto nomem;
    if (f[nf].n == 0) {
      free(f[nf].e);
      f[nf].e = NULL;
      continue;
    }
    if (a != NULL) {
      f[nf].name = a->name;
      a->name = NULL;
    } else if ((f[nf].name = strdup(b->name)) == NULL) {
      nf++;
      goto nomem;
    }
    nf++;
  }
  if (entries_merge(into->tomb, into->ntomb, &into->vv, from->tomb, from->ntomb,
                    &from->vv, &tomb, &ntomb) != 0)
    goto nomem;
  if (record_withdrawals_merge(into->wd, into->nwd, from->wd, from->nwd, &wd,
                               &nwd) != 0)
    goto nomem;

  record_release(into);
  into->vv = vv;
  into->f = f;
  into->nf = nf;
  into->tomb = tomb;
  into->ntomb = ntomb;
  into->wd = wd;
  into->nwd = nwd;
  return 0;
nomem:
  record_entries_free(tomb, ntomb);
  record_fields_free(f, nf);
  vv_release(&vv);
  record_release(into);
  return SB_ENOMEM;
}
