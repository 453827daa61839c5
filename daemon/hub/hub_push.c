/*
 * hub_push.c - the hub's push policy, the same on every backend: it calls
 * only the storage primitives of struct hub_store_ops (hub_store.h).
 *
 * A push may add only the pusher's own writes, and the hub refuses a
 * write only for what is wrong in the write itself, never for the state
 * it merges into (daemon/hub/DESIGN.md, "Push"). Each pushed record (rec)
 * goes through update_apply (common/update.h), the read-merge-write every
 * writer shares; before the merge it is checked against the hub's state
 * (cur), per record, in this order:
 *   forged_dot: a version-vector entry of another replica above cur's
 *     (the push is then held aside, and passes together with the held
 *     pushes of those replicas if each passes every check below against
 *     cur and the others: hub_push_held.c);
 *   dot_reused: a dot cur holds, pushed with another value or timestamp
 *     (or as a delete where cur holds a write, or the reverse);
 *   forged_entry: an entry cur holds that rec's vv covers but rec does not
 *     hold (rec dropped it), where no new write of the pusher explains the
 *     drop: a new entry of the pusher on that field, a new delete of the
 *     pusher, or (a put after a delete) a new dot of the pusher that rec no
 *     longer holds next to one it does; a dropped tombstone needs any new
 *     entry of the pusher. "New" is a dot of the pusher above cur's vv.
 *     Entries of other replicas that rec holds and cur does not are ones
 *     cur superseded (its vv covers them): the merge drops them; and a
 *     withdrawal (record.h) cur lacks that is not a new write of the
 *     pusher, or a "seen" of one that is not the pusher's own new write;
 *   future_timestamp: a new entry stamped above max_ts;
 *   too_large: the pushed state (and, after the merge, the merged one)
 *     encoded over SB_RECORD_MAX;
 *   schema: for collections the hub's schema defines, a value of a new
 *     entry of the pusher that does not have its field's type
 *     (schema_check_field; enum values spelled exactly as the schema
 *     spells them). Record rules (required fields, consent) are the
 *     writer's: a merged state that breaks one is stored as it is.
 * A record the hub already holds unchanged keeps its seq and gets no new
 * one (update_apply's echo rule).
 */
#include "compat.h"

#include "hub_push.h"
#include "hub_push_chain.h"
#include "hub_push_int.h"

#include "hub_purge.h"
#include "hub_scope.h"
#include "json.h"
#include "update.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks res refused with code and a message naming the record. */
static void refuse(struct push_result *res, enum proto_err code,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void refuse(struct push_result *res, enum proto_err code,
                   const char *fmt, ...)
{
  va_list ap;
  int n;

  res->ok = false;
  snprintf(res->code, sizeof(res->code), "%s", proto_err_name(code));
  n = snprintf(res->message, sizeof(res->message), "%s/%s: ", res->collection,
               res->id);
  if (n < 0 || (size_t)n >= sizeof(res->message))
    return;
  va_start(ap, fmt);
  vsnprintf(res->message + n, sizeof(res->message) - (size_t)n, fmt, ap);
  va_end(ap);
}

/* each_entry's step of check_future: the entries cur has not seen. */
static int future_entry(const char *field, const struct entry *e, void *ctx)
{
  struct push_one *p = ctx;

  if (vv_covers(hub_push_since(p, p->cur), &e->dot))
    return 0;
  if (e->ts > p->max_ts) {
    if (field != NULL)
      snprintf(p->what, sizeof(p->what), "field \"%s\" has timestamp %" PRIu64,
               field, e->ts);
    else
      snprintf(p->what, sizeof(p->what), "its delete has timestamp %" PRIu64,
               e->ts);
    return 1;
  }
  if (e->ts > p->newest)
    p->newest = e->ts;
  return 0;
}

/*
 * The newest timestamp among the entries rec adds (dots cur has not seen)
 * into p->newest; false (and p->what names it) if one is above max_ts.
 */
static bool check_future(struct push_one *p, const struct record *cur)
{
  p->newest = 0;
  p->cur = cur;
  return record_each_entry(p->rec, future_entry, p) == 0;
}

/*
 * An upper bound of the length of record_encode(r), without encoding it:
 * every entry is its value plus at most ENTRY_OVERHEAD bytes of dot, ts
 * and punctuation, every field its name plus FIELD_OVERHEAD, and so on.
 */
#define ENTRY_OVERHEAD (SB_REPLICA_MAX + 2 * 17 + 32)
#define FIELD_OVERHEAD (SB_NAME_MAX + 8)
#define RECORD_OVERHEAD (SB_NAME_MAX + SB_ID_MAX + 96)
struct bound_walk {
  size_t n;
  const char *field; /* the field counted last */
};

static int bound_entry(const char *field, const struct entry *e, void *ctx)
{
  struct bound_walk *w = ctx;

  if (field != NULL && field != w->field)
    w->n += FIELD_OVERHEAD;
  w->field = field;
  w->n += ENTRY_OVERHEAD + (e->value != NULL ? strlen(e->value) : 0);
  return 0;
}

static size_t encoded_bound(const struct record *r)
{
  struct bound_walk w = {RECORD_OVERHEAD + r->vv.n * (SB_REPLICA_MAX + 24),
                         NULL};
  record_each_entry(r, bound_entry, &w);
  return w.n;
}

/* Checks one value of field name of collection c (see the top comment). */
static int check_value(const struct schema_collection *c, const char *name,
                       const char *value, struct sb_err *err)
{
  const struct schema_field *f;
  cJSON *v;
  int rc;

  if (schema_value_text_ok(c, name, value))
    return 0; /* the common case, decided without a parse */
  f = schema_field(c, name);
  v = cJSON_Parse(value);
  if (v == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = schema_check_field(c, name, v, err);
  if (rc == 0 && f != NULL &&
      (f->type == SCHEMA_ENUM || f->type == SCHEMA_ENUM_LIST)) {
    /* schema_check_field respells case-insensitive matches in place. */
    char *after = json_canon(v);
    if (after == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
    else if (strcmp(after, value) != 0)
      rc = sb_err_set(err, SB_ESCHEMA,
                      "field \"%s\": %s must be spelled as the schema does "
                      "(%s)",
                      name, value, after);
    free(after);
  }
  cJSON_Delete(v);
  return rc;
}

struct value_walk {
  const struct push_one *p;
  const struct schema_collection *c;
  struct own_new o;
  struct sb_err *err;
};

static int value_entry(const char *field, const struct entry *e, void *ctx)
{
  struct value_walk *w = ctx;
  if (field == NULL || !hub_push_entries_own_new_dot(w->p, &w->o, &e->dot))
    return 0;
  return check_value(w->c, field, e->value, w->err);
}

/*
 * Checks the values of the pusher's new entries in rec against c, the
 * write's own content: not the merged state's record rules.
 */
static int check_schema(const struct push_one *p, const struct record *cur,
                        const struct schema_collection *c, struct sb_err *err)
{
  struct value_walk w = {
      p, c, {vv_get(hub_push_since(p, cur), p->pusher), 0, 0, 0}, err};

  return record_each_entry(p->rec, value_entry, &w);
}

/* Refuses p's record with code and p->what; counts it. */
static int refuse_what(struct push_one *p, enum proto_err code)
{
  uint64_t *n = code == PROTO_ERR_FORGED_DOT ? &p->stats->refused_forged_dot
                : code == PROTO_ERR_FORGED_ENTRY
                    ? &p->stats->refused_forged_entry
                    : &p->stats->refused_dot_reused;
  refuse(p->res, code, "%s", p->what);
  (*n)++;
  return UPDATE_REFUSE;
}

/* The pushed state's size, if over SB_RECORD_MAX (else 0); SIZE_MAX on
 * ENOMEM. */
static size_t pushed_too_large(const struct record *rec)
{
  char *text;
  size_t len;

  if (encoded_bound(rec) <= SB_RECORD_MAX) /* rare: measure exactly */
    return 0;
  text = record_encode(rec);
  if (text == NULL)
    return SIZE_MAX;
  len = strlen(text);
  free(text);
  return len > SB_RECORD_MAX ? len : 0;
}

/*
 * The hub's state's scope parts into p->was (for the moves) and the scope
 * check: 0, UPDATE_REFUSE (out_of_scope) or an error.
 */
static int check_scope(struct push_one *p, const struct record *cur,
                       bool exists, struct sb_err *err)
{
  struct scope_parts pushed;
  int rc;

  /* A device of unknown scope is told of no echo (its feed is not
   * known here). */
  p->in_scope = p->ops->each_in == NULL || (p->dev != NULL && p->dev->all);
  if (p->ops->each_in == NULL)
    return 0; /* a backend without scopes yet */
  rc = hub_scope_of(p->ops, p->be, p->schema, cur, &p->was, err);
  if (rc != 0 || p->dev == NULL || p->dev->all)
    return rc;
  scope_parts_init(&pushed);
  rc = hub_scope_of(p->ops, p->be, p->schema, p->rec, &pushed, err);
  /* Moved out of the scope by this push: the device's feed has a gone
   * entry for it, which it must get. */
  p->in_scope = rc == 0 && scope_meets(p->dev, &pushed);
  if (rc == 0 && !hub_scope_may_push(p->dev, &p->was, exists, &pushed)) {
    refuse(p->res, PROTO_ERR_OUT_OF_SCOPE,
           "%s is outside this device's scope (%s); it stays on the device "
           "until it is in scope again",
           exists ? "the record, as the hub holds it," : "the new record",
           exists ? "moved away, or the scope changed" : "another area");
    p->stats->refused_out_of_scope++;
    rc = UPDATE_REFUSE;
  }
  scope_parts_release(&pushed);
  return rc;
}

/* A new record whose id the hub purged: refused (purged), so a late push
 * of a deleted record does not bring it back (hub_purge.h). A push of it
 * deleted asks for what holds already: ok, nothing stored (a device
 * pushing all it holds again to a hub put back from a copy sends the
 * tombstones it kept of purged records). */
static int check_purged(struct push_one *p, bool exists, struct sb_err *err)
{
  bool has = false;
  uint64_t seq = 0;
  int rc;

  if (exists || !p->ledger)
    return 0;
  rc = hub_purge_ledger_has(p->ops, p->be, p->rec->collection, p->rec->id, &has,
                            &seq, err);
  if (rc != 0 || !has)
    return rc;
  if (record_deleted(p->rec)) {
    p->res->ok = true;
    p->res->seq = seq;
    p->stats->unchanged++;
    return UPDATE_REFUSE; /* stores nothing; the result stays ok */
  }
  refuse(p->res, PROTO_ERR_PURGED,
         "the record was deleted and its tombstone purged at the hub (seq "
         "%" PRIu64 "); it cannot come back: record it again under a new id",
         seq);
  p->stats->refused_purged++;
  return UPDATE_REFUSE;
}

/* future_timestamp and too_large (of the pushed state): 0, UPDATE_REFUSE
 * with p->res filled, or an error. Sets p->newest. */
static int check_clock_and_size(struct push_one *p, const struct record *cur,
                                struct sb_err *err)
{
  size_t len;

  if (!check_future(p, cur)) {
    refuse(p->res, PROTO_ERR_FUTURE_TIMESTAMP,
           "%s, more than the allowed margin ahead of the hub's clock "
           "(at most %" PRIu64 "); fix the device's clock",
           p->what, p->max_ts);
    p->stats->refused_future++;
    return UPDATE_REFUSE;
  }
  len = pushed_too_large(p->rec);
  if (len == SIZE_MAX)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (len > 0) {
    refuse(p->res, PROTO_ERR_TOO_LARGE,
           "the record is too large (%zu bytes, at most %d)", len,
           SB_RECORD_MAX);
    p->stats->refused_too_large++;
    return UPDATE_REFUSE;
  }
  return 0;
}

int hub_push_check_write(struct push_one *p, const struct record *cur,
                         struct sb_err *err)
{
  const struct schema_collection *c;
  struct sb_err why = {0};
  int rc;

  rc = hub_push_entries_check(p, cur);
  if (rc < 0)
    return sb_err_set(err, rc, NULL);
  if (rc > 0)
    return refuse_what(p, (enum proto_err)rc);
  rc = check_clock_and_size(p, cur, err);
  if (rc != 0)
    return rc;
  c = schema_collection(p->schema, p->rec->collection);
  rc = c != NULL && !p->values_ok ? check_schema(p, cur, c, &why) : 0;
  if (rc == SB_ESCHEMA || rc == SB_EINVAL) {
    refuse(p->res, PROTO_ERR_SCHEMA, "%s", why.msg);
    p->stats->refused_schema++;
    return UPDATE_REFUSE;
  }
  if (rc != 0)
    return sb_err_set(err, rc, "checking %s/%s: %s", p->rec->collection,
                      p->rec->id, why.msg);
  return 0;
}

/* Refuses p's record forged_dot (p->what names the entry) and holds it
 * aside for a push that vouches for it (hub_push_held.c). */
static int push_hold(struct push_one *p)
{
  size_t n = strlen(p->what);

  p->hold = p->ops->meta_delete != NULL;
  if (p->hold)
    snprintf(p->what + n, sizeof(p->what) - n,
             "; held aside until that replica's own push vouches for it");
  return refuse_what(p, PROTO_ERR_FORGED_DOT);
}

/*
 * p's record passed with held pushes (hub_push_held_joint checked each):
 * their merge, p->joint, becomes the change update_apply merges. Checked
 * here as a whole: its timestamps (for p->newest) and its size.
 */
static int push_join(struct push_one *p, const struct record *cur,
                     struct sb_err *err)
{
  p->joined = true;
  p->rec = &p->joint;
  p->sent = NULL;
  p->ch->remote = &p->joint;
  p->ch->remote_text = NULL;
  return check_clock_and_size(p, cur, err);
}

/* update_apply's hook before the merge: every check of the write itself. */
static int push_before(void *ctx, const struct record *cur, bool exists,
                       struct sb_err *err)
{
  struct push_one *p = ctx;
  int rc;

  rc = check_purged(p, exists, err);
  if (rc == 0)
    rc = check_scope(p, cur, exists, err);
  if (rc != 0)
    return rc;
  if (hub_push_entries_forged_vv(p, cur))
    rc = hub_push_check_write(p, cur, err);
  else if ((rc = hub_push_held_joint(p, cur, err)) == 0)
    return push_hold(p);
  else if (rc == 1)
    rc = push_join(p, cur, err);
  if (rc != 0)
    return rc;
  p->was_conflicted = record_conflicted(cur);
  return 0;
}

/* update_apply's hook after the merge: the merged size only (the merged
 * state's record rules are not the push's to enforce). */
static int push_after(void *ctx, const struct record *next, size_t len,
                      struct sb_err *err)
{
  struct push_one *p = ctx;

  (void)err;
  p->is_conflicted = record_conflicted(next);
  if (len > SB_RECORD_MAX) {
    refuse(p->res, PROTO_ERR_TOO_LARGE,
           "the merged record would be too large (%zu bytes, at most %d)", len,
           SB_RECORD_MAX);
    p->stats->refused_too_large++;
    return UPDATE_REFUSE;
  }
  return 0;
}

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
  sent = p->sent != NULL ? (char *)p->sent : record_encode(p->rec);
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
  struct update_hooks hooks = {push_before, push_after, p};
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

/* each_entry's step of values_pass: every value of a field. */
static int any_value(const char *field, const struct entry *e, void *ctx)
{
  struct sb_err ignored = {0};

  if (field == NULL)
    return 0;
  return check_value(ctx, field, e->value, &ignored) != 0;
}

/* True if every value of r passes c (so every new entry's does). */
static bool values_pass(const struct schema_collection *c,
                        const struct record *r)
{
  return c == NULL || record_each_entry(r, any_value, (void *)c) == 0;
}

int hub_push_prepare(const struct schema *schema, struct hub_push_batch *b)
{
  size_t i;

  hub_push_prepared_release(b);
  if (b->n == 0)
    return 0;
  b->sent = calloc(b->n, sizeof(*b->sent));
  b->values_ok = calloc(b->n, sizeof(*b->values_ok));
  if (b->sent == NULL || b->values_ok == NULL)
    goto nomem;
  for (i = 0; i < b->n; i++) {
    b->sent[i] = record_encode(&b->recs[i]);
    if (b->sent[i] == NULL)
      goto nomem;
    b->values_ok[i] = values_pass(
        schema_collection(schema, b->recs[i].collection), &b->recs[i]);
  }
  return 0;
nomem:
  hub_push_prepared_release(b);
  return SB_ENOMEM;
}

void hub_push_prepared_release(struct hub_push_batch *b)
{
  size_t i;

  if (b->sent != NULL)
    for (i = 0; i < b->n; i++)
      free(b->sent[i]);
  free(b->sent);
  free(b->values_ok);
  b->sent = NULL;
  b->values_ok = NULL;
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
