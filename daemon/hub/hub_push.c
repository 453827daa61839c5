/*
 * hub_push.c - the hub's push, the same on every backend: it calls only
 * the storage primitives of struct hub_store_ops (hub_store.h). Each
 * pushed record goes through update_apply (common/update.h), the
 * read-merge-write every writer shares, with hub_push_check.c's checks
 * as its hooks; a batch's records are merged in one transaction, a
 * group of batches together when they can be (group commit: one commit
 * and one sync to disk for all). A record the hub already holds
 * unchanged keeps its seq and gets no new one (update_apply's echo rule).
 */
#include "compat.h"

#include "hub_push.h"
#include "hub_push_chain.h"
#include "hub_push_int.h"

#include "hub_purge.h"
#include "hub_scope.h"
#include "update.h"

#include <stdlib.h>
#include <string.h>

/* The backend's primitives as update_apply's io. */
static int push_load(void *ctx, const char *collection, const char *id,
                     char **text, size_t *len, uint64_t *seq,
                     struct sb_err *err)
{
  struct push_one *p = ctx;
  return p->ops->load(p->be, collection, id, text, len, seq, err);
}

/*
 * True if the merged state text[0..len) is exactly the pushed one (the
 * merge added nothing of the hub's): the pusher holds it already, so the
 * feed entry is its echo. Canonical encodings are equal exactly when the
 * states are (proto/PROTOCOL.md, "Canonical form").
 */
static bool push_is_echo(const struct push_one *p, const char *text, size_t len)
{
  char *sent;
  bool same;

  if (p->joined)
    return false; /* the pusher does not hold what it was joined with */
  if (text == p->sent)
    return true; /* update_apply saved the pushed text itself */
  sent = p->sent != NULL ? (char *)p->sent : record_encode_compact(p->rec);
  same = sent != NULL && strlen(sent) == len && memcmp(sent, text, len) == 0;

  if (sent != p->sent)
    free(sent);
  return same;
}

static int push_save(void *ctx, const struct record *r, const char *text,
                     size_t len, uint64_t *seq, struct sb_err *err)
{
  struct push_one *p = ctx;
  const char *echo = push_is_echo(p, text, len) ? p->pusher : NULL;

  /* The result says so: a device whose results' echoes fill the feed
   * right after its cursor need not read them (PROTOCOL.md, "echo"). */
  p->res->echo = echo != NULL && p->in_scope;
  return hub_scope_save(p->ops, p->be, p->schema, r, text, len, p->newest, echo,
                        &p->was, seq, err);
}

/* *same: the hub's state of p's record is exactly the pushed one. */
static int held_as_pushed(struct push_one *p, bool *same, struct sb_err *err)
{
  char *text = NULL;
  size_t len = 0;
  uint64_t seq;
  int rc = p->ops->load(p->be, p->rec->collection, p->rec->id, &text, &len,
                        &seq, err);

  *same = false;
  if (rc == 0)
    *same = push_is_echo(p, text, len);
  free(text);
  return rc == SB_ENOTFOUND ? 0 : rc;
}

/*
 * Merges request record p->rec into the store (inside the push
 * transaction). A per-record refusal fills p->res and returns 0; a
 * non-zero return aborts the batch.
 */
static int push_record(struct push_one *p, struct sb_err *err)
{
  struct update_io io = {"the hub's store", push_load, push_save, NULL, p,
                         p->schema,         NULL};
  struct update_hooks hooks = {hub_push_before, hub_push_after, p};
  struct update_change ch = {UPDATE_MERGE, NULL, NULL, p->rec, p->sent};
  struct update_result out;
  int rc;

  _Static_assert(sizeof(p->res->collection) == sizeof(p->rec->collection) &&
                     sizeof(p->res->id) == sizeof(p->rec->id),
                 "a result holds its record's key as the record does");
  memcpy(p->res->collection, p->rec->collection, sizeof(p->res->collection));
  memcpy(p->res->id, p->rec->id, sizeof(p->res->id));
  p->ch = &ch; /* for the hooks, during this call only */
  rc =
      update_apply(&io, p->rec->collection, p->rec->id, &ch, &hooks, &out, err);
  p->ch = NULL;
  if (rc == 0 && p->hold)
    rc = hub_push_held_keep(p, err);
  if (rc == 0 && p->joined && out.outcome != UPDATE_REFUSED) {
    rc = hub_push_held_done(p, err);
    p->stats->joined++;
  }
  if (p->joined)
    record_release(&p->joint);
  if (rc != 0 || out.outcome == UPDATE_REFUSED)
    return rc;
  p->res->ok = true;
  p->res->seq = out.seq;
  if (out.outcome == UPDATE_UNCHANGED) {
    /* Already held: idempotent, no new seq, nothing in the feed; the
     * result says echo as the first push's did, if the hub holds exactly
     * what was sent (a push again after a lost reply). */
    p->stats->unchanged++;
    return p->in_scope ? held_as_pushed(p, &p->res->echo, err) : 0;
  }
  p->stats->stored++;
  if (p->is_conflicted && !p->was_conflicted)
    p->stats->conflicts++;
  return 0;
}

/* The backend and schema a group runs on. */
struct push_env {
  const struct hub_store_ops *ops;
  void *be;
  const struct schema *schema;
};

/*
 * The scope of the pushing device `name` into dev, *has false (no scope
 * check) if it has none: unnamed, unknown, or a backend without scopes.
 * Any other failure to read it (out of memory, the store, a malformed
 * scope) fails the batch: a push never gets past the scope check for
 * want of memory.
 */
static int push_scope(const struct push_env *env, const char *name,
                      struct scope_parts *dev, bool *has, struct sb_err *err)
{
  struct hub_device d;
  struct sb_err why = {0};
  int rc;

  *has = false;
  if (name[0] == '\0' || env->ops->device_get == NULL)
    return 0;
  rc = env->ops->device_get(env->be, name, &d, &why);
  if (rc == SB_ENOTFOUND)
    return 0;
  if (rc == 0)
    rc = scope_read(d.scope, dev, &why);
  if (rc == SB_EINVAL)
    rc = sb_err_set(&why, SB_ECORRUPT, "device %s has a malformed scope", name);
  if (rc != 0) {
    if (err != NULL)
      *err = why;
    return rc;
  }
  *has = true;
  return 0;
}

/* Merges batch b inside the open transaction (results in b->reply). */
static int push_batch(const struct push_env *env, struct hub_push_batch *b)
{
  struct push_one p;
  struct scope_parts dev;
  bool dev_ok, ledger = false;
  size_t i;
  int rc = 0;

  memset(&b->stats, 0, sizeof(b->stats));
  b->reply.n = 0;
  if (b->n == 0)
    return 0;
  /* Another store's push is refused whole, before anything merges. */
  rc = hub_push_chain_check(env->ops, env->be, b);
  if (rc != 0 || b->copied)
    return rc;
  /* A backend that prefetches (PostgreSQL) has the batch's ledger entries
   * already (no round trip per record to save); SQLite reads the horizon
   * once instead of the ledger once per new record. */
  if (env->ops->prefetch != NULL)
    ledger = true;
  else
    rc = hub_purge_ledger_any(env->ops, env->be, &ledger, &b->err);
  if (rc != 0)
    return rc;
  if (b->reply.res == NULL) {
    b->reply.res = malloc(b->n * sizeof(*b->reply.res));
    if (b->reply.res == NULL)
      return sb_err_set(&b->err, SB_ENOMEM, "out of memory for %zu results",
                        b->n);
  }
  scope_parts_init(&dev);
  rc = push_scope(env, b->device, &dev, &dev_ok, &b->err);
  for (i = 0; rc == 0 && i < b->n; i++) {
    struct push_result *res = &b->reply.res[i];
    /* push_record fills what it uses: clear only the small fields. */
    res->ok = false;
    res->seq = 0;
    res->echo = false;
    res->code[0] = '\0';
    res->message[0] = '\0';
    memset(&p, 0, sizeof(p));
    p.ops = env->ops;
    p.be = env->be;
    p.schema = env->schema;
    p.pusher = b->pusher;
    p.max_ts = b->max_ts;
    p.rec = &b->recs[i];
    p.sent = b->sent != NULL ? b->sent[i] : NULL;
    p.values_ok = b->values_ok != NULL && b->values_ok[i];
    p.i = i;
    p.res = res;
    p.stats = &b->stats;
    p.dev = dev_ok ? &dev : NULL;
    p.ledger = ledger;
    rc = push_record(&p, &b->err);
    scope_parts_release(&p.was);
    if (rc != 0)
      break;
  }
  scope_parts_release(&dev);
  if (rc != 0)
    return rc;
  b->reply.n = b->n;
  return 0;
}

/* Undoes what the failed attempt left in b. */
static void batch_reset(struct hub_push_batch *b)
{
  b->reply.n = 0;
  b->copied = false;
  memset(&b->stats, 0, sizeof(b->stats));
}

/* The (collection, id) pairs a push group will load: its records, and
 * the records they follow (each one's scope check loads them). */
struct prefetch_keys {
  const char **v; /* 2n: collection, id */
  char **owned;   /* n: key i's id when it is a copy held here, else NULL */
  size_t n, cap;
  const char *follows; /* the collection the record being walked follows */
};

/* Adds (collection, id); owned: id is a copy k frees. */
static int keys_add(struct prefetch_keys *k, const char *collection,
                    const char *id, char *owned)
{
  if (k->n == k->cap) {
    size_t cap = k->cap ? k->cap * 2 : 256;
    const char **v = realloc(k->v, 2 * cap * sizeof(*v));
    char **o = v != NULL ? realloc(k->owned, cap * sizeof(*o)) : NULL;
    if (v != NULL)
      k->v = v;
    if (o == NULL)
      return SB_ENOMEM;
    k->owned = o;
    k->cap = cap;
  }
  k->v[2 * k->n] = collection;
  k->v[2 * k->n + 1] = id;
  k->owned[k->n] = owned;
  k->n++;
  return 0;
}

static void keys_release(struct prefetch_keys *k)
{
  size_t i;
  for (i = 0; i < k->n; i++)
    free(k->owned[i]);
  free(k->owned);
  free(k->v);
}

/* scope_refs' note: the followed id, copied (scope_refs lends it). */
static int keys_add_ref(void *ctx, const char *ref, const char *collection,
                        const char *id)
{
  struct prefetch_keys *k = ctx;
  char *copy = strdup(ref);

  (void)collection;
  (void)id;
  if (copy == NULL || keys_add(k, k->follows, copy, copy) != 0) {
    free(copy);
    return SB_ENOMEM;
  }
  return 0;
}

/* Adds r and the records it follows to k. */
static int keys_of(const struct push_env *env, const struct record *r,
                   struct prefetch_keys *k, struct sb_err *err)
{
  const struct schema_collection *c =
      schema_collection(env->schema, r->collection);
  const struct schema_field *f;

  if (keys_add(k, r->collection, r->id, NULL) != 0)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (c == NULL || c->scope_follows == NULL ||
      (f = schema_field(c, c->scope_follows)) == NULL || f->ref == NULL)
    return 0;
  k->follows = f->ref;
  return scope_refs(env->schema, r, keys_add_ref, k, err) != 0
             ? sb_err_set(err, SB_ENOMEM, NULL)
             : 0;
}

/*
 * Tells the backend which records the batches will load (ops->prefetch,
 * a hint: PostgreSQL reads them in one round trip; NULL on SQLite): the
 * pushed records and those they follow (a visit's scope is its
 * beneficiary's), so a push of visits does not wait on the database once
 * per beneficiary. Then which of them others follow (ops->refs_prefetch):
 * a new beneficiary looks for the visits that reached the hub before it.
 */
static int push_prefetch(const struct push_env *env,
                         struct hub_push_batch *const *b, size_t nb,
                         struct sb_err *err)
{
  struct prefetch_keys k = {0}, followed = {0};
  const struct record *r;
  size_t i, j;
  int rc = 0;

  if (env->ops->prefetch == NULL)
    return 0;
  for (i = 0; rc == 0 && i < nb; i++)
    for (j = 0; rc == 0 && j < b[i]->n; j++) {
      r = &b[i]->recs[j];
      rc = keys_of(env, r, &k, err);
      if (rc == 0 && env->ops->refs_prefetch != NULL &&
          scope_follower(env->schema, r->collection, 0) != NULL &&
          keys_add(&followed, r->collection, r->id, NULL) != 0)
        rc = sb_err_set(err, SB_ENOMEM, NULL);
    }
  if (rc == 0 && k.n > 0)
    rc = env->ops->prefetch(env->be, k.v, k.n, err);
  if (rc == 0 && followed.n > 0)
    rc = env->ops->refs_prefetch(env->be, followed.v, followed.n, err);
  keys_release(&k);
  keys_release(&followed);
  return rc;
}

/* Runs b alone, in its own transaction. */
static int push_alone(const struct push_env *env, struct hub_push_batch *b)
{
  uint64_t last = 0;
  int rc = env->ops->begin(env->be, &b->err);

  if (rc == 0)
    rc = push_prefetch(env, &b, 1, &b->err);
  if (rc == 0)
    rc = push_batch(env, b);
  if (rc == 0)
    rc = env->ops->last_seq(env->be, &last, &b->err);
  if (rc == 0)
    rc = env->ops->commit(env->be, &b->err);
  if (rc != 0) {
    env->ops->rollback(env->be);
    batch_reset(b);
    return rc;
  }
  b->reply.last_seq = last;
  return 0;
}

/*
 * All batches of b in one transaction; 0, or the failure that stops the
 * group (then nothing is committed).
 */
static int push_together(const struct push_env *env,
                         struct hub_push_batch *const *b, size_t nb,
                         struct sb_err *err)
{
  uint64_t last = 0;
  size_t i;
  int rc;

  rc = env->ops->begin(env->be, err);
  if (rc == 0)
    rc = push_prefetch(env, b, nb, err);
  for (i = 0; rc == 0 && i < nb; i++)
    rc = push_batch(env, b[i]);
  if (rc == 0)
    rc = hub_push_held_sweep(env->ops, env->be, err);
  if (rc == 0)
    rc = env->ops->last_seq(env->be, &last, err);
  if (rc == 0 && nb > 0)
    rc = env->ops->commit(env->be, err);
  else
    env->ops->rollback(env->be);
  if (rc != 0)
    return rc;
  for (i = 0; i < nb; i++)
    b[i]->reply.last_seq = last;
  return 0;
}

int hub_push_group(const struct hub_store_ops *ops, void *be,
                   const struct schema *schema, struct hub_push_batch *const *b,
                   size_t nb)
{
  struct push_env env = {ops, be, schema};
  struct sb_err err = {0};
  size_t i;

  for (i = 0; i < nb; i++) {
    b[i]->rc = 0;
    memset(&b[i]->err, 0, sizeof(b[i]->err));
    batch_reset(b[i]);
  }
  if (push_together(&env, b, nb, &err) == 0)
    return 0;
  /* The group cannot commit as one: one transaction per batch, so each
   * gets its own outcome. */
  ops->rollback(be);
  for (i = 0; i < nb; i++) {
    batch_reset(b[i]);
    memset(&b[i]->err, 0, sizeof(b[i]->err));
    b[i]->rc = push_alone(&env, b[i]);
  }
  return 0;
}

int hub_push(const struct hub_store_ops *ops, void *be,
             const struct schema *schema, const char *pusher, uint64_t max_ts,
             const struct record *recs, size_t n, struct push_reply *reply,
             struct hub_push_stats *stats, struct sb_err *err)
{
  struct hub_push_batch b, *bp = &b;

  memset(&b, 0, sizeof(b));
  push_reply_release(reply);
  memset(stats, 0, sizeof(*stats));
  b.pusher = pusher;
  b.max_ts = max_ts;
  b.recs = recs;
  b.n = n;
  push_reply_init(&b.reply);
  hub_push_group(ops, be, schema, &bp, 1);
  if (b.rc != 0) {
    push_reply_release(&b.reply);
    if (err != NULL)
      *err = b.err;
    return b.rc;
  }
  *reply = b.reply;
  *stats = b.stats;
  return 0;
}
