/*
 * office_cache.c - each office view's last computed result, kept until
 * the feed moves (OFFICE.md, "Cost").
 *
 * A view (overview, records, conflicts, CSV) walks and decodes every
 * record of the store: seconds at 100,000 records. Its result depends on
 * the records only through the feed (every change of a record, a device's
 * push or the hub's own resolution, takes a new feed number), so a result
 * computed at feed head H stays right while the head is H. A few slots
 * per view hold the newest results with their head and key (what else
 * the result depends on: the query's filters, the role's view of personal
 * fields), so office users on different filters do not evict each other;
 * a result of a newer head drops those of older ones (never right again),
 * and past that the least recently used slot goes. The head is read
 * before the walk, on the same connection, so a result is never labelled
 * with a newer head than the data it saw (a change landing in between
 * only makes the next request compute again).
 *
 * Entries are shared by reference: a request holds its entry until its
 * reply is built, while another request may replace the slot.
 */
#include "compat.h"

#include "office_int.h"

#include <stdlib.h>
#include <string.h>

struct office_cached {
  uint64_t head;
  char *key;
  size_t refs;   /* the slot's own, and each request's holding it */
  uint64_t used; /* o->cache_tick when last put or found */
  void *data;
  void (*drop)(void *data);
};

static void unref(struct office_cached *e)
{
  if (e == NULL || --e->refs > 0)
    return;
  if (e->drop != NULL)
    e->drop(e->data);
  free(e->key);
  free(e);
}

struct office_cached *office_cache_get(struct office *o, enum office_view v,
                                       const char *key, uint64_t head)
{
  struct office_cached *e = NULL;
  size_t i;

  uv_mutex_lock(&o->lock);
  for (i = 0; i < OFFICE_CACHE_SLOTS && e == NULL; i++) {
    struct office_cached *s = o->cache[v][i];
    if (s != NULL && s->head == head && strcmp(s->key, key) == 0)
      e = s;
  }
  if (e != NULL) {
    e->refs++;
    e->used = ++o->cache_tick;
    o->cache_hits++;
  }
  uv_mutex_unlock(&o->lock);
  return e;
}

uint64_t office_cache_hits(struct office *o)
{
  uint64_t n;

  uv_mutex_lock(&o->lock);
  n = o->cache_hits;
  uv_mutex_unlock(&o->lock);
  return n;
}

void *office_cache_data(const struct office_cached *e)
{
  return e->data;
}

void office_cache_release(struct office *o, struct office_cached *e)
{
  if (e == NULL)
    return;
  uv_mutex_lock(&o->lock);
  unref(e);
  uv_mutex_unlock(&o->lock);
}

/* The slot of view v that e goes in (o->lock held; an entry left in it
 * is to be unref'd), or NULL if a kept result is of a newer head. */
static struct office_cached **slot_for(struct office *o, enum office_view v,
                                       const struct office_cached *e)
{
  struct office_cached **slots = o->cache[v], **to = NULL;
  size_t i;

  for (i = 0; i < OFFICE_CACHE_SLOTS; i++)
    if (slots[i] != NULL && slots[i]->head > e->head)
      return NULL;
  /* Results of an older head are never right again; one of this query
   * at this head is replaced. */
  for (i = 0; i < OFFICE_CACHE_SLOTS; i++) {
    struct office_cached *s = slots[i];
    if (s != NULL && (s->head < e->head || strcmp(s->key, e->key) == 0)) {
      unref(s);
      slots[i] = NULL;
    }
  }
  /* An empty slot, else the least recently used. */
  for (i = 0; i < OFFICE_CACHE_SLOTS; i++) {
    if (slots[i] == NULL)
      return &slots[i];
    if (to == NULL || slots[i]->used < (*to)->used)
      to = &slots[i];
  }
  return to;
}

struct office_cached *office_cache_put(struct office *o, enum office_view v,
                                       const char *key, uint64_t head,
                                       void *data, void (*drop)(void *data))
{
  struct office_cached *e = calloc(1, sizeof(*e));
  struct office_cached **to;

  if (e == NULL || (e->key = strdup(key)) == NULL) {
    free(e);
    return NULL; /* not kept: the caller still owns data */
  }
  e->head = head;
  e->data = data;
  e->drop = drop;
  e->refs = 1; /* the caller's */
  uv_mutex_lock(&o->lock);
  to = slot_for(o, v, e);
  if (to != NULL) {
    unref(*to); /* the least recently used, if every slot was taken */
    *to = e;
    e->refs++; /* the slot's */
    e->used = ++o->cache_tick;
  }
  uv_mutex_unlock(&o->lock);
  return e;
}

void office_cache_free(struct office *o)
{
  size_t v, i;

  for (v = 0; v < OFFICE_VIEW_COUNT_; v++)
    for (i = 0; i < OFFICE_CACHE_SLOTS; i++) {
      unref(o->cache[v][i]);
      o->cache[v][i] = NULL;
    }
}

void office_blob_drop(void *data)
{
  struct office_blob *b = data;
  if (b == NULL)
    return;
  free(b->body);
  free(b);
}

struct office_blob *office_blob_new(char *body, size_t len)
{
  struct office_blob *b = calloc(1, sizeof(*b));

  if (b == NULL) {
    free(body);
    return NULL;
  }
  b->body = body;
  b->len = len;
  return b;
}

int office_cache_head(struct hub_store *hs, uint64_t *head, struct sb_err *err)
{
  return hub_store_last_seq(hs, head, err);
}

bool office_cache_key(const struct hub_call *c, const char *view_part,
                      bool viewer, char *buf, size_t size)
{
  static const enum office_query keyed[] = {
      OFFICE_Q_KECAMATAN, OFFICE_Q_GROUP,    OFFICE_Q_PROGRAMME, OFFICE_Q_FROM,
      OFFICE_Q_TO,        OFFICE_Q_CONFLICT, OFFICE_Q_REVIEW,    OFFICE_Q_TEXT,
      OFFICE_Q_SORT,      OFFICE_Q_PERSONAL};
  size_t i, n;
  int k;

  k = snprintf(buf, size, "%s|%c%c", view_part, viewer ? 'v' : 'p',
               office_lang_id(c) ? 'i' : 'e');
  if (k < 0 || (size_t)k >= size)
    return false;
  n = (size_t)k;
  for (i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
    const char *q = office_q(c, keyed[i]);
    /* length-prefixed: no two queries give one key */
    k = q != NULL ? snprintf(buf + n, size - n, "|%zu:%s", strlen(q), q)
                  : snprintf(buf + n, size - n, "|-");
    if (k < 0 || (size_t)k >= size - n)
      return false; /* too long to key: not cached */
    n += (size_t)k;
  }
  return true;
}
