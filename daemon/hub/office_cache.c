/*
 * office_cache.c - each office view's last computed result, kept until
 * the feed moves (OFFICE.md, "Cost").
 *
 * A view (overview, records, conflicts, CSV) walks and decodes every
 * record of the store: seconds at 100,000 records. Its result depends on
 * the records only through the feed (every change of a record, a device's
 * push or the hub's own resolution, takes a new feed number), so a result
 * computed at feed head H stays right while the head is H. One slot per
 * view holds the newest result with its head and its key (what else the
 * result depends on: the query's filters, the role's view of personal
 * fields). The head is read before the walk, on the same connection, so a
 * result is never labelled with a newer head than the data it saw (a
 * change landing in between only makes the next request compute again).
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
  size_t refs; /* the slot's own, and each request's holding it */
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
  struct office_cached *e;

  uv_mutex_lock(&o->lock);
  e = o->cache[v];
  if (e != NULL && e->head == head && strcmp(e->key, key) == 0)
    e->refs++;
  else
    e = NULL;
  if (e != NULL)
    o->cache_hits++;
  uv_mutex_unlock(&o->lock);
  return e;
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

struct office_cached *office_cache_put(struct office *o, enum office_view v,
                                       const char *key, uint64_t head,
                                       void *data, void (*drop)(void *data))
{
  struct office_cached *e = calloc(1, sizeof(*e));
  struct office_cached *old = NULL;

  if (e == NULL || (e->key = strdup(key)) == NULL) {
    free(e);
    return NULL; /* not kept: the caller still owns data */
  }
  e->head = head;
  e->data = data;
  e->drop = drop;
  e->refs = 2; /* the slot's, and the caller's */
  uv_mutex_lock(&o->lock);
  /* A result of an older head never replaces a newer one. */
  if (o->cache[v] == NULL || o->cache[v]->head <= head) {
    old = o->cache[v];
    o->cache[v] = e;
  } else {
    e->refs = 1;
  }
  unref(old);
  uv_mutex_unlock(&o->lock);
  return e;
}

void office_cache_free(struct office *o)
{
  size_t v;

  for (v = 0; v < OFFICE_VIEW_COUNT_; v++) {
    unref(o->cache[v]);
    o->cache[v] = NULL;
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

  k = snprintf(buf, size, "%s|%c", view_part, viewer ? 'v' : 'p');
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
