/*
 * sync_names.c - who wrote the values of a conflict, by name: the pulled
 * states that merge into a conflict name replicas (their entries' dots);
 * at the cycle's end the device asks the hub which enrolled devices those
 * are (GET /v1/names, PROTOCOL.md "Device names") and keeps each name in
 * its store's meta (SYNC_NAME_KEY_PREFIX + replica), so `sambang
 * conflicts` names them offline later.
 *
 * Best effort: the names are for people, not data. A failed or refused
 * request (a hub older than the route answers 404) leaves the replica ids
 * shown as they are, and the cycle ends as it would have.
 */
#include "compat.h"

#include "sync.h"
#include "sync_int.h"

#include "buf.h"
#include "log.h"
#include "proto.h"
#include "sync_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sync_name_get(struct store *st, const char *replica, char *out, size_t size)
{
  char key[sizeof(SYNC_NAME_KEY_PREFIX) + SB_REPLICA_MAX];
  char *value = NULL;
  int rc;

  snprintf(key, sizeof(key), SYNC_NAME_KEY_PREFIX "%.*s", SB_REPLICA_MAX,
           replica);
  rc = store_meta_get(st, key, &value, NULL);
  if (rc == 0 && !proto_device_name_valid(value))
    rc = SB_ENOTFOUND; /* not ours to show */
  if (rc == 0)
    snprintf(out, size, "%s", value);
  free(value);
  return rc;
}

/* True if replica is among the first n wanted. */
static bool wanted(const struct sync *s, size_t n, const char *replica)
{
  size_t i;
  for (i = 0; i < n; i++) {
    if (strcmp(s->names_want.v[i], replica) == 0)
      return true;
  }
  return false;
}

/* Asks for replica's name at the cycle's end unless it is known already
 * (this device's own too: its listing then names it as the hub's does). */
static void want(struct sync *s, const char *replica)
{
  char name[PROTO_DEVICE_NAME_MAX + 1];
  void *grown;

  if (!vv_replica_id_valid(replica) || wanted(s, s->names_want.n, replica) ||
      sync_name_get(s->store, replica, name, sizeof(name)) == 0)
    return;
  /* Full (a first sync of an office machine meeting thousands of
   * writers): the rest stay ids until their records change again. */
  if (s->names_want.n == SYNC_NAMES_WANT_MAX)
    return;
  grown = array_grow(s->names_want.v, &s->names_want.cap, s->names_want.n,
                     sizeof(*s->names_want.v), 16);
  if (grown == NULL)
    return; /* best effort */
  s->names_want.v = grown;
  memcpy(s->names_want.v[s->names_want.n++], replica, strlen(replica) + 1);
}

void sync_names_forget(struct sync *s)
{
  free(s->names_want.v);
  s->names_want.v = NULL;
  s->names_want.n = s->names_want.cap = 0;
  s->names_asked = 0;
}

void sync_names_note(struct sync *s, const struct record *r)
{
  size_t i, k;

  if (!record_conflicted(r))
    return;
  for (i = 0; i < record_nfields(r); i++) {
    const struct field *f = record_field_at(r, i);
    for (k = 0; record_field_nentries(f) > 1 && k < record_field_nentries(f);
         k++)
      want(s, record_field_entry(f, k)->dot.replica);
  }
  for (k = 0; record_delete_conflict(r) && k < record_ntombs(r); k++)
    want(s, record_tomb_at(r, k)->dot.replica);
}

/* Keeps the names the hub gave for those asked; false if the store
 * refused them. */
static bool names_save(struct sync *s, const struct proto_names *got,
                       struct sb_err *err)
{
  char key[sizeof(SYNC_NAME_KEY_PREFIX) + SB_REPLICA_MAX];
  size_t i;
  int rc;

  rc = store_begin_relaxed(s->store, err);
  for (i = 0; rc == 0 && i < got->n; i++) {
    if (!wanted(s, s->names_asked, got->v[i].replica))
      continue;
    snprintf(key, sizeof(key), SYNC_NAME_KEY_PREFIX "%s", got->v[i].replica);
    rc = store_meta_set(s->store, key, got->v[i].name, err);
  }
  if (rc == 0)
    rc = store_commit(s->store, err);
  if (rc != 0)
    store_rollback(s->store);
  return rc == 0;
}

static void names_done(const struct http_reply *r, void *ctx)
{
  struct sync *s = ctx;
  struct proto_names got;
  struct sb_err err = {0};

  sync_count_bytes(s, r);
  if (s->stopping)
    return;
  names_init(&got);
  if (r->status == 200 && names_decode(&got, r->body, r->len, &err) == 0 &&
      names_save(s, &got, &err)) {
    /* The rest, if the URL could not hold them all, next. */
    s->names_want.n -= s->names_asked;
    memmove(s->names_want.v, s->names_want.v + s->names_asked,
            s->names_want.n * sizeof(*s->names_want.v));
  } else {
    if (r->status == 0)
      log_msg(LOG_LEVEL_INFO,
              "device names: the hub was not reached (%s); conflicts show "
              "replica ids",
              r->error != NULL ? r->error : "no answer");
    else if (r->status != 200)
      log_msg(LOG_LEVEL_INFO,
              "device names: the hub answered %ld; conflicts show replica ids",
              r->status);
    else
      log_msg(LOG_LEVEL_WARN, "device names: %s", err.msg);
    sync_names_forget(s);
  }
  names_release(&got);
  sync_cycle_done(s);
}

bool sync_names_next(struct sync *s)
{
  static const char start[] = PROTO_VERSION_PATH "/names?replicas=";
  char path[SYNC_URL_MAX];
  size_t i, at = sizeof(start) - 1, room, len;

  if (s->names_want.n == 0 || s->stopping)
    return false;
  /* As many as the URL holds beside the hub's address. */
  len = strlen(s->base);
  room = len + at < sizeof(path) ? sizeof(path) - len : 0;
  memcpy(path, start, at);
  for (i = 0; i < s->names_want.n && i < PROTO_NAMES_MAX; i++) {
    size_t idlen = strlen(s->names_want.v[i]);
    len = idlen + (i > 0);
    if (at + len >= room)
      break;
    if (i > 0)
      path[at] = ',';
    memcpy(path + at + (i > 0), s->names_want.v[i], idlen);
    at += len;
  }
  path[at] = '\0';
  if (i == 0) { /* an address too long for any: shown by id */
    sync_names_forget(s);
    return false;
  }
  s->names_asked = i;
  sync_exchange(s, s->http, "GET", path, NULL, 0, (long)s->cfg.timeout_s,
                names_done);
  return true;
}
