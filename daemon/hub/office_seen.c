/*
 * office_seen.c - what the hub saw of each device lately (OFFICE.md,
 * "Devices' activity"): its last authenticated request, last push, last
 * change feed request and app version (its User-Agent).
 *
 * Noted on the threadpool by hub_routes.c, kept in memory (the hub's
 * office state, under its lock), and written to the store at most once a
 * minute per device, so the store's copy lags by up to a minute while
 * the hub runs and memory is exact. At start the table is filled from
 * the store (office_seen_load), so /metrics and the devices view know
 * devices that have not come back since.
 */
#include "compat.h"

#include "office_int.h"

#include "hlc.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define SEEN_SAVE_MS 60000 /* written at most once a minute */

/* The slot of device name (made if make and there is room), or NULL. */
static struct office_seen *seen_slot(struct office *o, const char *name,
                                     bool make)
{
  size_t i;
  for (i = 0; i < OFFICE_SEEN_SLOTS; i++) {
    if (strcmp(o->seen[i].name, name) == 0)
      return &o->seen[i];
    if (o->seen[i].name[0] == '\0') {
      if (!make)
        return NULL;
      snprintf(o->seen[i].name, sizeof(o->seen[i].name), "%s", name);
      return &o->seen[i];
    }
  }
  return NULL;
}

/* ua as an app version: printable ASCII, cut at HUB_APP_MAX. */
static void app_of(const char *ua, char out[HUB_APP_MAX + 1])
{
  size_t n = 0;
  for (; ua != NULL && *ua != '\0' && n < HUB_APP_MAX; ua++)
    out[n++] = (*ua >= 0x20 && *ua <= 0x7e) ? *ua : '?';
  out[n] = '\0';
}

void office_seen_note(struct hub_call *c, const char *name,
                      enum office_seen_kind kind)
{
  struct office *o = c->office;
  struct office_seen *s;
  struct hub_device_activity a;
  struct sb_err err = {0};
  struct hub_store *hs;
  uint64_t now = hlc_wall_ms();
  bool save = false;

  if (o == NULL || c->hub == NULL || name[0] == '\0')
    return;
  uv_mutex_lock(&o->lock);
  s = seen_slot(o, name, true);
  if (s != NULL) {
    s->a.seen_ms = now;
    if (kind == OFFICE_SEEN_PUSH)
      s->a.push_ms = now;
    if (kind == OFFICE_SEEN_PULL)
      s->a.pull_ms = now;
    if (kind == OFFICE_SEEN_COPIED)
      s->a.copied_ms = now;
    if (c->user_agent != NULL)
      app_of(c->user_agent, s->a.app);
    if (c->has_marks) {
      s->a.marks_ms = now;
      s->a.pending = c->marks_v.pending;
      s->a.refused = c->marks_v.refused;
    }
    /* a refusal as a copy is written at once: the office must see it */
    save = s->saved_ms + SEEN_SAVE_MS <= now || kind == OFFICE_SEEN_COPIED;
    if (save)
      s->saved_ms = now;
    a = s->a;
  }
  uv_mutex_unlock(&o->lock);
  if (!save)
    return;
  hs = hub_call_writer_lock(c);
  if (hub_store_device_activity_set(hs, name, &a, &err) != 0)
    log_msg(LOG_LEVEL_WARN, "office: activity of %s: %s", name, err.msg);
  hub_call_writer_unlock(c);
}

/* The newer of each of a's and b's figures into a (b's app if a has
 * none, or b's figures are the newer). */
static void newest(struct hub_device_activity *a,
                   const struct hub_device_activity *b)
{
  if (b->app[0] != '\0' && (a->app[0] == '\0' || b->seen_ms > a->seen_ms))
    snprintf(a->app, sizeof(a->app), "%s", b->app);
  if (b->seen_ms > a->seen_ms)
    a->seen_ms = b->seen_ms;
  if (b->push_ms > a->push_ms)
    a->push_ms = b->push_ms;
  if (b->pull_ms > a->pull_ms)
    a->pull_ms = b->pull_ms;
  if (b->copied_ms > a->copied_ms)
    a->copied_ms = b->copied_ms;
  if (b->marks_ms > a->marks_ms) {
    a->marks_ms = b->marks_ms;
    a->pending = b->pending;
    a->refused = b->refused;
  }
}

void office_seen_get(struct hub_call *c, struct hub_store *hs, const char *name,
                     struct hub_device_activity *out)
{
  struct office_seen *s;
  struct hub_device_activity mem;
  struct sb_err err = {0};

  memset(&mem, 0, sizeof(mem));
  uv_mutex_lock(&c->office->lock);
  s = seen_slot(c->office, name, false);
  if (s != NULL)
    mem = s->a;
  uv_mutex_unlock(&c->office->lock);
  (void)hub_store_device_activity_get(hs, name, out, &err);
  newest(out, &mem);
}

/* office_seen_load's walk: one device's stored activity into memory. */
struct load_walk {
  struct office *o;
  struct hub_store *hs;
};

static int load_one(const struct hub_device *d, void *ctx)
{
  struct load_walk *w = ctx;
  struct hub_device_activity a;
  struct office_seen *s;
  struct sb_err err = {0};

  if (d->revoked ||
      hub_store_device_activity_get(w->hs, d->name, &a, &err) != 0 ||
      a.seen_ms == 0)
    return 0;
  uv_mutex_lock(&w->o->lock);
  s = seen_slot(w->o, d->name, true);
  if (s != NULL) {
    newest(&s->a, &a);
    s->saved_ms = a.seen_ms;
  }
  uv_mutex_unlock(&w->o->lock);
  return 0;
}

int office_seen_load(struct office *o, struct hub_store *hs, struct sb_err *err)
{
  struct load_walk w = {o, hs};
  return hub_store_device_list(hs, load_one, &w, err);
}

size_t office_seen_list(struct office *o, struct office_seen_item *out,
                        size_t max)
{
  size_t i, n = 0;

  uv_mutex_lock(&o->lock);
  for (i = 0; i < OFFICE_SEEN_SLOTS && n < max; i++) {
    if (o->seen[i].name[0] == '\0')
      break;
    if (o->seen[i].a.seen_ms == 0)
      continue;
    snprintf(out[n].name, sizeof(out[n].name), "%s", o->seen[i].name);
    out[n].seen_ms = o->seen[i].a.seen_ms;
    out[n].marks_ms = o->seen[i].a.marks_ms;
    out[n].pending = o->seen[i].a.pending;
    out[n].refused = o->seen[i].a.refused;
    n++;
  }
  uv_mutex_unlock(&o->lock);
  return n;
}
