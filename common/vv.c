/*
 * vv.c - version vectors (see vv.h).
 *
 * A sorted array of (replica, counter): lookups are binary searches and
 * compare/merge are linear walks over both arrays. Vectors hold one entry
 * per replica that ever wrote the record, so they stay small.
 */
#include "compat.h"

#include "vv.h"

#include "json.h"
#include "name_chars.h"

#include <stdlib.h>
#include <string.h>

bool vv_replica_id_valid(const char *s)
{
  return name_chars_valid(s, SB_REPLICA_MAX, NAME_CHAR);
}

int vv_dot_cmp(const struct dot *a, const struct dot *b)
{
  int c = strcmp(a->replica, b->replica);
  if (c != 0)
    return c;
  return a->counter < b->counter ? -1 : a->counter > b->counter;
}

void vv_init(struct vv *vv)
{
  vv->v = NULL;
  vv->n = 0;
  vv->cap = 0;
}

void vv_release(struct vv *vv)
{
  free(vv->v);
  vv_init(vv);
}

/* Index of replica, or of where it would be inserted (*found tells). */
static size_t find(const struct vv *vv, const char *replica, bool *found)
{
  size_t lo = 0, hi = vv->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(vv->v[mid].replica, replica);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

uint64_t vv_get(const struct vv *vv, const char *replica)
{
  bool found;
  size_t i = find(vv, replica, &found);
  return found ? vv->v[i].counter : 0;
}

static int reserve(struct vv *vv, size_t n)
{
  struct vv_entry *v;
  size_t cap;
  if (n <= vv->cap)
    return 0;
  cap = vv->cap ? vv->cap * 2 : 4;
  while (cap < n)
    cap *= 2;
  v = realloc(vv->v, cap * sizeof(*v));
  if (v == NULL)
    return SB_ENOMEM;
  vv->v = v;
  vv->cap = cap;
  return 0;
}

int vv_set(struct vv *vv, const char *replica, uint64_t counter)
{
  bool found;
  size_t i;

  if (!vv_replica_id_valid(replica))
    return SB_EINVAL;
  i = find(vv, replica, &found);
  if (found) {
    if (counter > 0) {
      vv->v[i].counter = counter;
    } else {
      memmove(&vv->v[i], &vv->v[i + 1], (vv->n - i - 1) * sizeof(vv->v[0]));
      vv->n--;
    }
    return 0;
  }
  if (counter == 0)
    return 0;
  if (reserve(vv, vv->n + 1) != 0)
    return SB_ENOMEM;
  memmove(&vv->v[i + 1], &vv->v[i], (vv->n - i) * sizeof(vv->v[0]));
  /* valid, so it fits (a copy, not snprintf: this runs per entry of
   * every record read) */
  memcpy(vv->v[i].replica, replica, strlen(replica) + 1);
  vv->v[i].counter = counter;
  vv->n++;
  return 0;
}

bool vv_covers(const struct vv *vv, const struct dot *d)
{
  return vv_get(vv, d->replica) >= d->counter;
}

enum vv_order vv_compare(const struct vv *a, const struct vv *b)
{
  bool a_ahead = false, b_ahead = false;
  size_t i = 0, j = 0;

  while (i < a->n || j < b->n) {
    int c;
    if (i == a->n)
      c = 1;
    else if (j == b->n)
      c = -1;
    else
      c = strcmp(a->v[i].replica, b->v[j].replica);
    if (c < 0) {
      a_ahead = true; /* only a has this replica */
      i++;
    } else if (c > 0) {
      b_ahead = true;
      j++;
    } else {
      if (a->v[i].counter > b->v[j].counter)
        a_ahead = true;
      else if (a->v[i].counter < b->v[j].counter)
        b_ahead = true;
      i++;
      j++;
    }
  }
  if (a_ahead && b_ahead)
    return VV_CONCURRENT;
  if (a_ahead)
    return VV_AFTER;
  if (b_ahead)
    return VV_BEFORE;
  return VV_EQUAL;
}

int vv_merge(struct vv *into, const struct vv *from)
{
  struct vv out;
  size_t i = 0, j = 0;
  enum vv_order order = vv_compare(into, from);

  /* Common case first: nothing new in from. */
  if (order == VV_AFTER || order == VV_EQUAL)
    return 0;
  vv_init(&out);
  if (reserve(&out, into->n + from->n) != 0)
    return SB_ENOMEM;
  while (i < into->n || j < from->n) {
    int c;
    if (i == into->n)
      c = 1;
    else if (j == from->n)
      c = -1;
    else
      c = strcmp(into->v[i].replica, from->v[j].replica);
    if (c < 0) {
      out.v[out.n++] = into->v[i++];
    } else if (c > 0) {
      out.v[out.n++] = from->v[j++];
    } else {
      out.v[out.n] = into->v[i];
      if (from->v[j].counter > out.v[out.n].counter)
        out.v[out.n].counter = from->v[j].counter;
      out.n++;
      i++;
      j++;
    }
  }
  vv_release(into);
  *into = out;
  return 0;
}

int vv_copy(struct vv *dst, const struct vv *src)
{
  vv_release(dst);
  if (src->n == 0)
    return 0;
  if (reserve(dst, src->n) != 0)
    return SB_ENOMEM;
  memcpy(dst->v, src->v, src->n * sizeof(src->v[0]));
  dst->n = src->n;
  return 0;
}

cJSON *vv_to_json(const struct vv *vv)
{
  cJSON *o = cJSON_CreateObject();
  size_t i;
  if (o == NULL)
    return NULL;
  for (i = 0; i < vv->n; i++) {
    if (cJSON_AddNumberToObject(o, vv->v[i].replica,
                                (double)vv->v[i].counter) == NULL) {
      cJSON_Delete(o);
      return NULL;
    }
  }
  return o;
}

int vv_from_json(struct vv *vv, const cJSON *json, struct sb_err *err)
{
  const cJSON *c;
  vv_release(vv);
  if (!cJSON_IsObject(json))
    return sb_err_set(err, SB_EINVAL, "version vector must be an object");
  for (c = json->child; c != NULL; c = c->next) {
    if (!vv_replica_id_valid(c->string)) {
      vv_release(vv);
      return sb_err_set(err, SB_EINVAL,
                        "version vector: bad replica id \"%.40s\"", c->string);
    }
    if (!json_is_int(c, 1, (int64_t)SB_COUNTER_MAX)) {
      vv_release(vv);
      return sb_err_set(err, SB_EINVAL,
                        "version vector: counter of \"%s\" must be an "
                        "integer from 1 to 2^53",
                        c->string);
    }
    if (vv_get(vv, c->string) != 0) {
      vv_release(vv);
      return sb_err_set(err, SB_EINVAL,
                        "version vector: replica \"%s\" appears twice",
                        c->string);
    }
    if (vv_set(vv, c->string, (uint64_t)c->valuedouble) != 0) {
      vv_release(vv);
      return sb_err_set(err, SB_ENOMEM, NULL);
    }
  }
  return 0;
}
