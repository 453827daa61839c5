/*
 * hub_ahead.c - the slots of pages made ahead (hub_ahead.h).
 */
#include "compat.h"

#include "hub_ahead.h"

#include "hub_routes.h"

#include <stdlib.h>
#include <string.h>

/* After a device asked for another page than the one made for it, none
 * is made for it for this long (hub_ahead.h). */
#define AHEAD_COOL_MS 30000

enum slot_state {
  SLOT_FREE,
  SLOT_QUEUED, /* claimed, its job not started */
  SLOT_MAKING, /* its job is making the page */
  SLOT_READY,
  SLOT_COOL /* its device asked for another page: none made for a while */
};

struct slot {
  enum slot_state state;
  uint64_t ticket;     /* the claim's (0: none) */
  uint64_t claimed_ms; /* SLOT_COOL: when it cooled */
  struct hub_ahead_key key;
  struct hub_ahead_page page; /* SLOT_READY */
};

struct hub_ahead {
  uv_mutex_t lock;
  uv_cond_t done; /* a job left SLOT_MAKING */
  struct slot slots[HUB_AHEAD_SLOTS];
  uint64_t tickets;
  uint64_t made, used, dropped;
};

struct hub_ahead *hub_ahead_new(void)
{
  struct hub_ahead *a = calloc(1, sizeof(*a));

  if (a == NULL)
    return NULL;
  if (uv_mutex_init(&a->lock) != 0) {
    free(a);
    return NULL;
  }
  if (uv_cond_init(&a->done) != 0) {
    uv_mutex_destroy(&a->lock);
    free(a);
    return NULL;
  }
  return a;
}

/* Gives the slot up (under the lock); a page it held was never used. */
static void slot_free(struct hub_ahead *a, struct slot *s)
{
  if (s->state == SLOT_READY) {
    hub_routes_reply_release(&s->page.out);
    a->dropped++;
  }
  s->state = SLOT_FREE;
  s->ticket = 0;
}

void hub_ahead_free(struct hub_ahead *a)
{
  size_t i;

  if (a == NULL)
    return;
  for (i = 0; i < HUB_AHEAD_SLOTS; i++)
    slot_free(a, &a->slots[i]);
  uv_cond_destroy(&a->done);
  uv_mutex_destroy(&a->lock);
  free(a);
}

/* The slots' clock, in ms: the same on the loop and the pool threads. */
static uint64_t now_ms(void)
{
  return uv_hrtime() / 1000000;
}

static bool same_key(const struct hub_ahead_key *x,
                     const struct hub_ahead_key *y)
{
  return x->since == y->since && x->limit == y->limit &&
         x->gzip_ok == y->gzip_ok && x->compact == y->compact &&
         strcmp(x->device, y->device) == 0 &&
         strcmp(x->holder, y->holder) == 0 && strcmp(x->scope, y->scope) == 0;
}

static struct slot *slot_of_device(struct hub_ahead *a, const char *device)
{
  size_t i;

  for (i = 0; i < HUB_AHEAD_SLOTS; i++)
    if (a->slots[i].state != SLOT_FREE &&
        strcmp(a->slots[i].key.device, device) == 0)
      return &a->slots[i];
  return NULL;
}

static struct slot *slot_of_ticket(struct hub_ahead *a, uint64_t ticket)
{
  size_t i;

  for (i = 0; i < HUB_AHEAD_SLOTS; i++)
    if (a->slots[i].state != SLOT_FREE && a->slots[i].ticket == ticket)
      return &a->slots[i];
  return NULL;
}

/* True if the slot may go to another claim: a page waiting past the
 * TTL, a cool-down over. */
static bool slot_stale(const struct slot *s, uint64_t now)
{
  if (now < s->claimed_ms)
    return s->state == SLOT_FREE;
  switch (s->state) {
  case SLOT_FREE:
    return true;
  case SLOT_QUEUED:
  case SLOT_READY:
    return now - s->claimed_ms >= HUB_AHEAD_TTL_MS;
  case SLOT_COOL:
    return now - s->claimed_ms >= AHEAD_COOL_MS;
  default: /* SLOT_MAKING */
    return false;
  }
}

/* A free slot, or the stale one claimed longest ago, or NULL. */
static struct slot *slot_to_reuse(struct hub_ahead *a, uint64_t now)
{
  struct slot *old = NULL;
  size_t i;

  for (i = 0; i < HUB_AHEAD_SLOTS; i++) {
    struct slot *s = &a->slots[i];
    if (s->state == SLOT_FREE)
      return s;
    if (slot_stale(s, now) && (old == NULL || s->claimed_ms < old->claimed_ms))
      old = s;
  }
  return old;
}

uint64_t hub_ahead_claim(struct hub_ahead *a, const struct hub_ahead_key *key)
{
  struct slot *s;
  uint64_t ticket = 0, now = now_ms();

  uv_mutex_lock(&a->lock);
  s = slot_of_device(a, key->device);
  if (s != NULL && s->state == SLOT_COOL && !slot_stale(s, now))
    s = NULL; /* cooling down: no page made (nor a slot taken) */
  else if (s == NULL)
    s = slot_to_reuse(a, now);
  if (s != NULL && s->state != SLOT_MAKING) {
    slot_free(a, s);
    s->state = SLOT_QUEUED;
    s->ticket = ticket = ++a->tickets;
    s->claimed_ms = now;
    s->key = *key;
  }
  uv_mutex_unlock(&a->lock);
  return ticket;
}

bool hub_ahead_begin(struct hub_ahead *a, uint64_t ticket)
{
  struct slot *s;
  bool wanted = false;

  uv_mutex_lock(&a->lock);
  s = slot_of_ticket(a, ticket);
  if (s != NULL && s->state == SLOT_QUEUED) {
    s->state = SLOT_MAKING;
    wanted = true;
  }
  uv_mutex_unlock(&a->lock);
  return wanted;
}

void hub_ahead_put(struct hub_ahead *a, uint64_t ticket,
                   struct hub_ahead_page *page)
{
  struct slot *s;

  uv_mutex_lock(&a->lock);
  if (page != NULL)
    a->made++;
  s = slot_of_ticket(a, ticket);
  if (s != NULL && s->state == SLOT_MAKING && page != NULL) {
    s->page = *page;
    s->state = SLOT_READY;
  } else {
    if (s != NULL)
      slot_free(a, s);
    if (page != NULL) {
      hub_routes_reply_release(&page->out);
      a->dropped++;
    }
  }
  uv_cond_broadcast(&a->done);
  uv_mutex_unlock(&a->lock);
}

bool hub_ahead_take(struct hub_ahead *a, const struct hub_ahead_key *key,
                    bool drop_other, struct hub_ahead_page *page)
{
  struct slot *s;
  bool taken = false;

  uv_mutex_lock(&a->lock);
  s = slot_of_device(a, key->device);
  if (s != NULL && s->state == SLOT_COOL)
    s = NULL;
  if (s != NULL && !same_key(&s->key, key)) {
    /* Another page of the device: it went back, its scope changed, or it
     * asks through several hubs in turn (each made a page for a request
     * that went to another). Dropped (a job making it finds its slot
     * gone), and no page is made for the device for a while. */
    if (drop_other) {
      slot_free(a, s);
      s->state = SLOT_COOL;
      s->claimed_ms = now_ms();
    }
    s = NULL;
  }
  if (s != NULL && s->state == SLOT_QUEUED) {
    /* Not started: made here rather than waited for behind other work
     * (and no pool thread waits on a job that may need one). */
    slot_free(a, s);
    s = NULL;
  }
  if (s != NULL) {
    uint64_t ticket = s->ticket;
    while (s->state == SLOT_MAKING && s->ticket == ticket)
      uv_cond_wait(&a->done, &a->lock);
    if (s->state == SLOT_READY && s->ticket == ticket) {
      *page = s->page;
      memset(&s->page, 0, sizeof(s->page));
      s->state = SLOT_FREE;
      s->ticket = 0;
      a->used++;
      taken = true;
    }
  }
  uv_mutex_unlock(&a->lock);
  return taken;
}

bool hub_ahead_expire(struct hub_ahead *a)
{
  uint64_t now = now_ms();
  bool kept = false;
  size_t i;

  uv_mutex_lock(&a->lock);
  for (i = 0; i < HUB_AHEAD_SLOTS; i++) {
    struct slot *s = &a->slots[i];
    if (s->state != SLOT_READY && s->state != SLOT_COOL)
      continue;
    if (slot_stale(s, now))
      slot_free(a, s);
    else
      kept = true;
  }
  uv_mutex_unlock(&a->lock);
  return kept;
}

void hub_ahead_counts(struct hub_ahead *a, uint64_t *made, uint64_t *used,
                      uint64_t *dropped)
{
  uv_mutex_lock(&a->lock);
  *made = a->made;
  *used = a->used;
  *dropped = a->dropped;
  uv_mutex_unlock(&a->lock);
}
