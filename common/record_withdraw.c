/*
 * record_withdraw.c - a record's withdrawals (record.h): the writes that
 * left it without consent, kept so that a personal value written without
 * having seen one is erased however the states meet (common/DESIGN.md,
 * "Consent withdrawal wins").
 *
 * Why "seen" and not the withdrawal's own vector: a value the withdrawal
 * saw was erased by its writer already (a withdrawal leaves no true
 * consent there), so the vector covers it and any merge with the
 * withdrawal drops it. What a merge cannot tell is whether a value it
 * did not see came before it (concurrent: erased) or after it (written
 * by someone who held it and gave consent again: kept). seen answers
 * that: a replica's writes from seen[replica] on were made holding it.
 */
#include "compat.h"

#include "record.h"
#include "record_int.h"

#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void record_withdrawals_free(struct withdrawal *w, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    vv_release(&w[i].seen);
  free(w);
}

int record_withdrawals_copy(struct withdrawal **dst,
                            const struct withdrawal *src, size_t n)
{
  size_t i;

  *dst = NULL;
  if (n == 0)
    return 0;
  *dst = calloc(n, sizeof(**dst));
  if (*dst == NULL)
    return SB_ENOMEM;
  for (i = 0; i < n; i++) {
    (*dst)[i].dot = src[i].dot;
    vv_init(&(*dst)[i].seen);
    if (vv_copy(&(*dst)[i].seen, &src[i].seen) != 0) {
      record_withdrawals_free(*dst, i + 1);
      *dst = NULL;
      return SB_ENOMEM;
    }
  }
  return 0;
}

int record_withdrawals_note(struct withdrawal *w, size_t n, const struct dot *d)
{
  size_t i;

  for (i = 0; i < n; i++) {
    if (vv_get(&w[i].seen, d->replica) == 0 &&
        vv_set(&w[i].seen, d->replica, d->counter) != 0)
      return SB_ENOMEM;
  }
  return 0;
}

int record_withdraw(struct record *r, const char *replica)
{
  struct withdrawal *grown;
  struct vv seen;
  struct dot d;
  size_t at;

  snprintf(d.replica, sizeof(d.replica), "%s", replica);
  d.counter = vv_get(&r->vv, replica);
  if (d.counter == 0)
    return SB_EINVAL;
  for (at = r->nwd; at > 0 && vv_dot_cmp(&r->wd[at - 1].dot, &d) >= 0; at--) {
    if (vv_dot_cmp(&r->wd[at - 1].dot, &d) == 0)
      return 0;
  }
  /* Its own writer holds it from this write on. Made before the record
   * is touched: out of memory, r stays as it was (no withdrawal without
   * its own dot in seen, which the protocol calls malformed). */
  vv_init(&seen);
  if (vv_set(&seen, d.replica, d.counter) != 0)
    return SB_ENOMEM;
  grown = realloc(r->wd, (r->nwd + 1) * sizeof(*grown));
  if (grown == NULL) {
    vv_release(&seen);
    return SB_ENOMEM;
  }
  r->wd = grown;
  memmove(&r->wd[at + 1], &r->wd[at], (r->nwd - at) * sizeof(*grown));
  r->wd[at].dot = d;
  r->wd[at].seen = seen;
  r->nwd++;
  return 0;
}

size_t record_nwithdrawals(const struct record *r)
{
  return r->nwd;
}

const struct withdrawal *record_withdrawal_at(const struct record *r, size_t k)
{
  return &r->wd[k];
}

const struct withdrawal *record_withdrawal_of(const struct record *r,
                                              const struct dot *d)
{
  size_t i;

  for (i = 0; i < r->nwd; i++)
    if (vv_dot_cmp(&r->wd[i].dot, d) == 0)
      return &r->wd[i];
  return NULL;
}

bool record_withdrawal_erases(const struct withdrawal *w, const struct dot *d)
{
  uint64_t from = vv_get(&w->seen, d->replica);
  return from == 0 || d->counter < from;
}

bool record_withdrawn(const struct record *r, const struct dot *d)
{
  size_t i;

  for (i = 0; i < r->nwd; i++) {
    if (record_withdrawal_erases(&r->wd[i], d))
      return true;
  }
  return false;
}

int record_withdrawals_merge(const struct withdrawal *a, size_t na,
                             const struct withdrawal *b, size_t nb,
                             struct withdrawal **out, size_t *nout)
{
  struct withdrawal *m;
  size_t i = 0, j = 0, n = 0;

  *out = NULL;
  *nout = 0;
  if (na + nb == 0)
    return 0;
  m = calloc(na + nb, sizeof(*m));
  if (m == NULL)
    return SB_ENOMEM;
  while (i < na || j < nb) {
    int c = i == na ? 1 : j == nb ? -1 : vv_dot_cmp(&a[i].dot, &b[j].dot);
    const struct withdrawal *from = c <= 0 ? &a[i] : &b[j];
    m[n].dot = from->dot;
    vv_init(&m[n].seen);
    n++;
    if (vv_copy(&m[n - 1].seen, &from->seen) != 0 ||
        (c == 0 && vv_merge(&m[n - 1].seen, &b[j].seen) != 0)) {
      record_withdrawals_free(m, n);
      return SB_ENOMEM;
    }
    if (c <= 0)
      i++;
    if (c >= 0)
      j++;
  }
  *out = m;
  *nout = n;
  return 0;
}

void record_withdrawals_encode(struct buf *b, const struct record *r)
{
  size_t i;

  if (r->nwd == 0)
    return;
  buf_adds(b, ",\"withdrawals\":[");
  for (i = 0; i < r->nwd; i++) {
    if (i > 0)
      buf_adds(b, ",");
    buf_adds(b, "{\"dot\":[\"");
    buf_adds(b, r->wd[i].dot.replica);
    buf_adds(b, "\",");
    buf_addu(b, r->wd[i].dot.counter);
    buf_adds(b, "],\"seen\":");
    record_vv_encode(b, &r->wd[i].seen);
    buf_adds(b, "}");
  }
  buf_adds(b, "]");
}

int record_withdrawal_check(const struct record *r, size_t k,
                            struct sb_err *err)
{
  const struct withdrawal *w = &r->wd[k];
  size_t i;

  if (k > 0 && vv_dot_cmp(&r->wd[k - 1].dot, &w->dot) >= 0)
    return sb_err_set(err, SB_EINVAL,
                      "\"withdrawals\" must be sorted by dot, without "
                      "duplicates");
  if (!vv_covers(&r->vv, &w->dot))
    return sb_err_set(err, SB_EINVAL,
                      "withdrawal [\"%s\",%llu] is not covered by the "
                      "version vector",
                      w->dot.replica, (unsigned long long)w->dot.counter);
  if (vv_get(&w->seen, w->dot.replica) != w->dot.counter)
    return sb_err_set(err, SB_EINVAL,
                      "withdrawal [\"%s\",%llu]: \"seen\" must give its own "
                      "replica its own counter",
                      w->dot.replica, (unsigned long long)w->dot.counter);
  for (i = 0; i < w->seen.n; i++) {
    const struct vv_entry *s = &w->seen.v[i];
    if (s->counter > vv_get(&r->vv, s->replica))
      return sb_err_set(err, SB_EINVAL,
                        "withdrawal [\"%s\",%llu]: seen \"%s\":%llu is not "
                        "covered by the version vector",
                        w->dot.replica, (unsigned long long)w->dot.counter,
                        s->replica, (unsigned long long)s->counter);
  }
  return 0;
}

/* One withdrawal {"dot":[r,c],"seen":{...}} into w (w->seen initialised). */
static int withdrawal_from_json(struct withdrawal *w, const cJSON *j,
                                struct sb_err *err)
{
  const cJSON *dot = NULL, *seen = NULL, *c;
  int rc;

  if (!cJSON_IsObject(j))
    return sb_err_set(err, SB_EINVAL, "a withdrawal must be an object");
  for (c = j->child; c != NULL; c = c->next) {
    if (strcmp(c->string, "dot") == 0)
      dot = c;
    else if (strcmp(c->string, "seen") == 0)
      seen = c;
    else
      return sb_err_set(err, SB_EINVAL, "a withdrawal has no member \"%.40s\"",
                        c->string);
  }
  rc = record_dot_from_json(&w->dot, dot, _("withdrawal"), err);
  if (rc != 0)
    return rc;
  if (seen == NULL)
    return sb_err_set(err, SB_EINVAL, "withdrawal: no \"seen\"");
  return vv_from_json(&w->seen, seen, err);
}

int record_withdrawals_from_json(struct record *r, const cJSON *arr,
                                 struct sb_err *err)
{
  const cJSON *c;
  int rc;

  if (!cJSON_IsArray(arr))
    return sb_err_set(err, SB_EINVAL, "\"withdrawals\" must be an array");
  if (cJSON_GetArraySize(arr) == 0)
    return 0;
  r->wd = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*r->wd));
  if (r->wd == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (c = arr->child; c != NULL; c = c->next) {
    vv_init(&r->wd[r->nwd].seen);
    r->nwd++;
    rc = withdrawal_from_json(&r->wd[r->nwd - 1], c, err);
    if (rc == 0)
      rc = record_withdrawal_check(r, r->nwd - 1, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}
