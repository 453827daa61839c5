/*
 * sync_chain.c - the push chain's device side (PROTOCOL.md, "Push
 * chain"; daemon/sync/DESIGN.md, "One store per device").
 *
 *   sync.push_chain        the value the last acknowledged push moved the
 *                          hub to (absent: none yet)
 *   sync.push_chain_next   the value this store's pushes move it to next:
 *                          drawn when a sync first has something to push,
 *                          kept durably before that push leaves, dropped
 *                          once a push is acknowledged
 *
 * Drawn per sync, not kept ready from the last: a copy of the store made
 * between two syncs must not know the value the other copy's next sync
 * moves the hub to, or its first push would pass as a retry. For the same
 * reason a sync that fails before any push of it can have reached the hub
 * (an offline device's: the connection failed) drops the value it drew.
 */
#include "compat.h"

#include "sync_int.h"

#include "uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Key's value into out (PROTO_CHAIN_LEN + 1 bytes; "" if the store has
 * none, or one of another form: a chain the hub then refuses or takes
 * as new, never one the device made up from a bad read). */
static int chain_read(struct sync *s, const char *key, char *out,
                      struct sb_err *err)
{
  char *v = NULL;
  struct sb_err why = {0};
  int rc = store_meta_get(s->store, key, &v, &why);

  out[0] = '\0';
  if (rc == SB_ENOTFOUND)
    return 0;
  if (rc != 0) {
    *err = why;
    return rc;
  }
  if (proto_chain_valid(v))
    snprintf(out, PROTO_CHAIN_LEN + 1, "%s", v);
  free(v);
  return 0;
}

int sync_chain_load(struct sync *s, struct sb_err *err)
{
  int rc = chain_read(s, SYNC_META_CHAIN, s->chain.prev, err);

  if (rc == 0)
    rc = chain_read(s, SYNC_META_CHAIN_NEXT, s->chain.next, err);
  s->chain_acked = false;
  return rc;
}

void sync_chain_cycle(struct sync *s)
{
  s->chain_fresh = false;
  if (!s->chain_acked)
    return; /* the same values: nothing of the last was acknowledged */
  memcpy(s->chain.prev, s->chain.next, sizeof(s->chain.prev));
  s->chain.next[0] = '\0';
  s->chain_acked = false;
}

int sync_chain_ready(struct sync *s, struct sb_err *err)
{
  char next[PROTO_CHAIN_LEN + 1];
  int rc;

  if (s->chain.next[0] != '\0')
    return 0;
  if (uuid_rand_hex(next, PROTO_CHAIN_LEN / 2) != 0)
    return sb_err_set(err, SB_EIO, "no randomness from the OS");
  /* Durable (a full sync to disk) before the push leaves: after a crash,
   * the push is sent again with the value the hub may have moved to. */
  rc = store_begin(s->store, err);
  if (rc == 0)
    rc = store_meta_set(s->store, SYNC_META_CHAIN_NEXT, next, err);
  if (rc == 0)
    rc = store_commit(s->store, err);
  else
    store_rollback(s->store);
  if (rc == 0) {
    memcpy(s->chain.next, next, sizeof(next));
    s->chain_fresh = true;
    s->chain_out = false;
  }
  return rc;
}

void sync_chain_note(struct sync *s, const struct http_reply *r)
{
  if (r->status != 0 || r->body_sent)
    s->chain_out = true;
}

void sync_chain_unsent(struct sync *s)
{
  struct sb_err err = {0};
  int rc;

  /* Kept if an earlier sync (or process) drew it: one of its pushes may
   * have reached the hub, whose reply was lost. */
  if (!s->chain_fresh || s->chain_out || s->chain_acked ||
      s->chain.next[0] == '\0')
    return;
  rc = sync_meta_put(s, SYNC_META_CHAIN_NEXT, NULL, &err);
  if (rc == 0) {
    s->chain.next[0] = '\0';
    s->chain_fresh = false;
  }
}

const char *sync_chain_header(struct sync *s)
{
  if (s->chain.next[0] == '\0')
    return NULL;
  s->chain.since = s->cursor;
  proto_chain_encode(&s->chain, s->chain_text);
  return s->chain_text;
}

int sync_chain_acked(struct sync *s, struct sb_err *err)
{
  int rc;

  if (s->chain_acked || s->chain.next[0] == '\0')
    return 0;
  /* The hub is at next: it is this store's from now on. The sync's other
   * pushes still carry (prev, next), which the hub takes as a retry. */
  rc = store_meta_set(s->store, SYNC_META_CHAIN, s->chain.next, err);
  if (rc == 0)
    rc = store_meta_delete(s->store, SYNC_META_CHAIN_NEXT, err);
  return rc;
}
