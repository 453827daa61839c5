/*
 * hub_ahead.h - a device's next changes page, made while it takes in the
 * page it was just sent (daemon/hub/DESIGN.md, "Pages ahead").
 *
 * A device pulling a feed of many pages asks for the next as soon as it
 * has one: the hub made each page only when asked, so the device waited
 * for every page to be read and deflated after it had taken in the last.
 * Now, when a page says more is ready, the hub makes the page after it on
 * the pool at once and keeps it in a slot of this table, keyed by
 * everything the answer depends on; the device's request takes it (or
 * waits for it to be done) instead of making it again.
 *
 * A page made earlier is a page the device could have asked for then:
 * the feed only grows past it (a record written meanwhile is at a later
 * seq, sent in a later page), so serving it is as correct as serving it
 * then. What may differ is checked by the key: the device, its replica
 * (echoes skipped), its scope as read when it asks, the query. The
 * request is authenticated as any other before a slot is looked at.
 *
 * A fixed number of slots, one per device at most: a page a device never
 * comes for is dropped after HUB_AHEAD_TTL_MS.
 * Thread safe: one mutex; the loop thread claims, pool threads fill and
 * take.
 */
#ifndef SAMBANG_HUB_AHEAD_H
#define SAMBANG_HUB_AHEAD_H

#include "compat.h"

#include "hub_call.h"
#include "hub_store.h"
#include "scope.h"
#include "vv.h"

#include <stdbool.h>
#include <stdint.h>

#define HUB_AHEAD_SLOTS 16
/* A page nobody took for this long is dropped (by hub_ahead_expire), and
 * its slot may go to another device. */
#define HUB_AHEAD_TTL_MS 10000

/* What a page's answer depends on besides the feed. */
struct hub_ahead_key {
  char device[HUB_DEVICE_NAME_MAX + 1];
  char holder[SB_REPLICA_MAX + 1]; /* skip_own's replica; "" if none */
  char scope[SCOPE_TEXT_MAX + 1];  /* the device's scope, as text */
  uint64_t since;
  unsigned limit;
  bool gzip_ok;
  bool compact; /* the states in the compact form (form=compact) */
};

/* A page made ahead: its reply and what the handler reports of it. */
struct hub_ahead_page {
  struct hub_reply out;
  size_t served;
  uint64_t last_seq;
};

struct hub_ahead;

struct hub_ahead *hub_ahead_new(void);
/* Frees every page kept; no job may still be running. */
void hub_ahead_free(struct hub_ahead *a);

/*
 * Loop thread: reserves a slot for key (a device's slot is replaced
 * unless its page is being made). Returns a ticket (> 0) for the job
 * that makes the page, 0 if no slot is free or the device cools down:
 * it asked, within 30 s, for another page than the one made for it
 * (hub_ahead_take).
 */
uint64_t hub_ahead_claim(struct hub_ahead *a, const struct hub_ahead_key *key);

/* Pool thread, the job: true if the ticket's page is still wanted (it
 * is now being made), false if a request took its place meanwhile. */
bool hub_ahead_begin(struct hub_ahead *a, uint64_t ticket);

/* The job is done: page (NULL: none could be made) goes to the slot, or
 * is released if the slot was given up meanwhile. */
void hub_ahead_put(struct hub_ahead *a, uint64_t ticket,
                   struct hub_ahead_page *page);

/*
 * Pool thread, a request of key's device: true and *page filled (moved
 * out of the slot) if a page for exactly key was made or is being made
 * (then waits for it). Any other page of that device is dropped if
 * drop_other (not for a long-poll, which a device keeps open beside its
 * cycle's pages: the next of those may be the page kept), and the device
 * cools down: a device asking through several hubs in turn would have
 * each make every page twice.
 */
bool hub_ahead_take(struct hub_ahead *a, const struct hub_ahead_key *key,
                    bool drop_other, struct hub_ahead_page *page);

/* Loop thread, the hub idle: drops the pages made over HUB_AHEAD_TTL_MS
 * ago (a device that stopped pulling); true if pages are still kept. */
bool hub_ahead_expire(struct hub_ahead *a);

/* Pages made, taken by their requests, and dropped unused (the rest wait
 * in their slots). */
void hub_ahead_counts(struct hub_ahead *a, uint64_t *made, uint64_t *used,
                      uint64_t *dropped);

#endif
