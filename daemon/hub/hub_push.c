/*
 * hub_push.c - the hub's push policy, the same on every backend: it calls
 * only the storage primitives of struct hub_store_ops (hub_store.h).
 *
 * Each pushed record goes through update_apply (common/update.h), the
 * read-merge-write every writer shares, with these checks:
 *   before the merge (against the hub's state): a version-vector entry of
 *   a replica other than the pusher above the hub's is forged history and
 *   refuses the whole batch (SB_EAUTH, b->bad_record); an entry the hub
 *   has not seen with a timestamp above max_ts is refused
 *   ("future_timestamp"); a pushed state encoded over SB_RECORD_MAX is
 *   refused ("too_large");
 *   after the merge: a merged state over SB_RECORD_MAX is refused
 *   ("too_large"); for collections the hub's schema defines, the merged
 *   state is checked, not just the pushed one, because that is what the
 *   hub would store and serve. Every value the state holds, siblings
 *   included, must have its field's type (schema_check_write; enum values
 *   spelled exactly as the schema spells them), and unless the record is
 *   deleted its winner values must hold the required fields and consent
 *   (schema_check_record). Collections the schema leaves free-form are
 *   not checked.
 * A record the hub already holds unchanged keeps its seq, gets no new
 * one, and is not checked again (update_apply's echo rule).
 */
#include "compat.h"

#include "hub_push.h"

#include "json.h"
#include "update.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One record's push: the hooks' and the io's context. */
struct push_one {
  const struct hub_store_ops *ops;
  void *be;
  const struct schema *schema;
  const char *pusher;
  uint64_t max_ts;
  const struct record *rec; /* the pushed state */
  size_t i;                 /* its index in the request */
  struct push_result *res;
  struct hub_push_stats *stats;
  const struct record *cur; /* during check_future */
  uint64_t newest;          /* the newest timestamp rec adds */
  bool was_conflicted;      /* the hub's state before */
  bool is_conflicted;       /* the state about to be saved */
  char what[160];
};

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

/*
 * SB_EAUTH if rec holds history of a replica other than pusher that cur
 * (the hub's state) has not seen. Dots are covered by vv, so checking vv
 * covers them too.
 */
static int check_forged(const struct push_one *p, const struct record *cur,
                        struct sb_err *err)
{
  const struct record *rec = p->rec;
  size_t k;

  for (k = 0; k < rec->vv.n; k++) {
    const struct vv_entry *v = &rec->vv.v[k];
    if (strcmp(v->replica, p->pusher) == 0)
      continue;
    if (v->counter > vv_get(&cur->vv, v->replica))
      return sb_err_set(err, SB_EAUTH,
                        "push request: records[%zu]: %s/%s: version vector "
                        "entry \"%s\":%" PRIu64 " was never seen by the hub "
                        "(a device may only add history of its own replica, "
                        "%s)",
                        p->i, rec->collection, rec->id, v->replica, v->counter,
                        p->pusher);
  }
  return 0;
}

/* each_entry's step of check_future: the entries cur has not seen. */
static int future_entry(const char *field, const struct entry *e, void *ctx)
{
  struct push_one *p = ctx;

  if (vv_covers(&p->cur->vv, &e->dot))
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
  const struct schema_field *f = schema_field(c, name);
  cJSON *obj, *v;
  int rc;

  v = cJSON_Parse(value);
  obj = cJSON_CreateObject();
  if (v == NULL || obj == NULL) {
    cJSON_Delete(v);
    cJSON_Delete(obj);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  cJSON_AddItemToObject(obj, name, v);
  rc = schema_check_write(c, obj, err);
  if (rc == 0 && f != NULL &&
      (f->type == SCHEMA_ENUM || f->type == SCHEMA_ENUM_LIST)) {
    /* schema_check_write respells case-insensitive matches in place. */
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
  cJSON_Delete(obj);
  return rc;
}

struct value_walk {
  const struct schema_collection *c;
  struct sb_err *err;
};

static int value_entry(const char *field, const struct entry *e, void *ctx)
{
  struct value_walk *w = ctx;
  if (field == NULL)
    return 0;
  return check_value(w->c, field, e->value, w->err);
}

/* Checks the merged state r against c (see the top comment). */
static int check_schema(const struct schema_collection *c,
                        const struct record *r, struct sb_err *err)
{
  struct value_walk w = {c, err};
  cJSON *values;
  int rc;

  rc = record_each_entry(r, value_entry, &w);
  if (rc != 0)
    return rc;
  if (record_deleted(r))
    return 0;
  values = record_values(r);
  if (values == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = schema_check_record(c, values, err);
  cJSON_Delete(values);
  return rc;
}

/* update_apply's hook before the merge: forged, future, pushed size. */
static int push_before(void *ctx, const struct record *cur, bool exists,
                       struct sb_err *err)
{
  struct push_one *p = ctx;
  char *text;
  size_t len;
  int rc;

  (void)exists;
  rc = check_forged(p, cur, err);
  if (rc != 0)
    return rc;
  if (!check_future(p, cur)) {
    refuse(p->res, PROTO_ERR_FUTURE_TIMESTAMP,
           "%s, more than the allowed margin ahead of the hub's clock "
           "(at most %" PRIu64 "); fix the device's clock",
           p->what, p->max_ts);
    p->stats->refused_future++;
    return UPDATE_REFUSE;
  }
  if (encoded_bound(p->rec) > SB_RECORD_MAX) { /* rare: measure exactly */
    text = record_encode(p->rec);
    if (text == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
    len = strlen(text);
    free(text);
    if (len > SB_RECORD_MAX) {
      refuse(p->res, PROTO_ERR_TOO_LARGE,
             "the record is too large (%zu bytes, at most %d)", len,
             SB_RECORD_MAX);
      p->stats->refused_too_large++;
      return UPDATE_REFUSE;
    }
  }
  p->was_conflicted = record_conflicted(cur);
  return 0;
}

/* update_apply's hook after the merge: merged size, schema. */
static int push_after(void *ctx, const struct record *next, size_t len,
                      struct sb_err *err)
{
  struct push_one *p = ctx;
  const struct schema_collection *c;
  struct sb_err why = {0};
  int rc;

  p->is_conflicted = record_conflicted(next);
  if (len > SB_RECORD_MAX) {
    refuse(p->res, PROTO_ERR_TOO_LARGE,
           "the merged record would be too large (%zu bytes, at most %d)", len,
           SB_RECORD_MAX);
    p->stats->refused_too_large++;
    return UPDATE_REFUSE;
  }
  c = schema_collection(p->schema, next->collection);
  if (c == NULL)
    return 0;
  rc = check_schema(c, next, &why);
  if (rc == SB_ESCHEMA || rc == SB_EINVAL) {
    refuse(p->res, PROTO_ERR_SCHEMA, "%s", why.msg);
    p->stats->refused_schema++;
    return UPDATE_REFUSE;
  }
  if (rc != 0)
    return sb_err_set(err, rc, "checking %s/%s: %s", next->collection, next->id,
                      why.msg);
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

static int push_save(void *ctx, const struct record *r, const char *text,
                     size_t len, uint64_t *seq, struct sb_err *err)
{
  struct push_one *p = ctx;
  return p->ops->save(p->be, r, text, len, p->newest, seq, err);
}

/*
 * Merges request record p->rec into the store (inside the push
 * transaction). A per-record refusal fills p->res and returns 0; a
 * non-zero return aborts the batch.
 */
static int push_record(struct push_one *p, struct sb_err *err)
{
  struct update_io io = {"the hub's store", push_load, push_save, NULL, p,
                         p->schema};
  struct update_hooks hooks = {push_before, push_after, p};
  struct update_change ch = {UPDATE_MERGE, NULL, NULL, p->rec};
  struct update_result out;
  int rc;

  snprintf(p->res->collection, sizeof(p->res->collection), "%s",
           p->rec->collection);
  snprintf(p->res->id, sizeof(p->res->id), "%s", p->rec->id);
  rc =
      update_apply(&io, p->rec->collection, p->rec->id, &ch, &hooks, &out, err);
  if (rc != 0 || out.outcome == UPDATE_REFUSED)
    return rc;
  p->res->ok = true;
  p->res->seq = out.seq;
  if (out.outcome == UPDATE_UNCHANGED) {
    /* Already held: idempotent, no new seq, nothing in the feed. */
    p->stats->unchanged++;
    return 0;
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

/* Merges batch b inside the open transaction (results in b->reply). */
static int push_batch(const struct push_env *env, struct hub_push_batch *b)
{
  struct push_one p;
  size_t i;
  int rc;

  memset(&b->stats, 0, sizeof(b->stats));
  b->reply.n = 0;
  b->bad_record = -1;
  if (b->n == 0)
    return 0;
  if (b->reply.res == NULL) {
    b->reply.res = malloc(b->n * sizeof(*b->reply.res));
    if (b->reply.res == NULL)
      return sb_err_set(&b->err, SB_ENOMEM, "out of memory for %zu results",
                        b->n);
  }
  for (i = 0; i < b->n; i++) {
    struct push_result *res = &b->reply.res[i];
    /* push_record fills what it uses: clear only the small fields. */
    res->ok = false;
    res->seq = 0;
    res->code[0] = '\0';
    res->message[0] = '\0';
    memset(&p, 0, sizeof(p));
    p.ops = env->ops;
    p.be = env->be;
    p.schema = env->schema;
    p.pusher = b->pusher;
    p.max_ts = b->max_ts;
    p.rec = &b->recs[i];
    p.i = i;
    p.res = res;
    p.stats = &b->stats;
    rc = push_record(&p, &b->err);
    if (rc == SB_EAUTH)
      b->bad_record = (long)i;
    if (rc != 0)
      return rc;
  }
  b->reply.n = b->n;
  return 0;
}

/* Undoes what the failed attempt left in b (bad_record stays). */
static void batch_reset(struct hub_push_batch *b)
{
  b->reply.n = 0;
  memset(&b->stats, 0, sizeof(b->stats));
}

/* Runs b alone, in its own transaction. */
static int push_alone(const struct push_env *env, struct hub_push_batch *b)
{
  uint64_t last = 0;
  int rc = env->ops->begin(env->be, &b->err);

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
 * All live batches of b in one transaction; 0, or the failure that stops
 * the group (then nothing is committed). A forged batch (SB_EAUTH) is
 * taken out and the others are run again from the start, since a backend
 * need not have savepoints to undo one batch.
 */
static int push_together(const struct push_env *env,
                         struct hub_push_batch *const *b, size_t nb,
                         struct sb_err *err)
{
  uint64_t last = 0;
  size_t i, live;
  int rc;

  for (;;) {
    live = 0;
    rc = env->ops->begin(env->be, err);
    for (i = 0; rc == 0 && i < nb; i++) {
      if (b[i]->rc != 0)
        continue;
      rc = push_batch(env, b[i]);
      if (rc == SB_EAUTH) {
        b[i]->rc = rc;
        batch_reset(b[i]);
        break;
      }
      live++;
    }
    if (rc != SB_EAUTH)
      break;
    env->ops->rollback(env->be);
    for (i = 0; i < nb; i++)
      if (b[i]->rc == 0)
        batch_reset(b[i]);
  }
  if (rc == 0)
    rc = env->ops->last_seq(env->be, &last, err);
  if (rc == 0 && live > 0)
    rc = env->ops->commit(env->be, err);
  else
    env->ops->rollback(env->be);
  if (rc != 0)
    return rc;
  for (i = 0; i < nb; i++)
    if (b[i]->rc == 0)
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
    b[i]->bad_record = -1;
    memset(&b[i]->err, 0, sizeof(b[i]->err));
    batch_reset(b[i]);
  }
  if (push_together(&env, b, nb, &err) == 0)
    return 0;
  /* The group cannot commit as one: one transaction per batch, so each
   * gets its own outcome. */
  ops->rollback(be);
  for (i = 0; i < nb; i++) {
    if (b[i]->rc != 0)
      continue;
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
