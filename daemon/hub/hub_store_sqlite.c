/*
 * hub_store_sqlite.c - the hub's storage on the embedded SQLite store
 * (common/store.h); the interface is hub_store.h.
 *
 * Records and the change feed are the store's own (store_put gives the
 * next seq; store_changes walks seq order). Devices live in store meta:
 *   device.name.NAME      {"created_ms","replica","revoked","token_sha256"}
 *   device.token.SHA256   NAME   (lookup by token hash)
 *   device.replica.ID     NAME   (a replica id is bound to one device)
 * Each device change is one transaction, so the three keys agree.
 *
 * The schema rule of a push (for collections the hub's schema defines):
 * the merged state is checked, not just the pushed one, because that is
 * what the hub would store and serve. Every value the state holds,
 * siblings included, must have its field's type (schema_check_write; enum
 * values spelled exactly as the schema spells them), and unless the record
 * is deleted its winner values must hold the required fields and consent
 * (schema_check_record). A record the hub already holds unchanged is not
 * checked again. Collections the schema leaves free-form are not checked.
 */
#include "compat.h"

#include "hub_store.h"

#include "json.h"
#include "schema.h"
#include "store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hub_store {
  struct store *s;
  struct schema *schema;
  char *path;
  bool reader; /* a second connection, for reads (hub_store_open_reader) */
};

#define KEY_NAME "device.name."
#define KEY_TOKEN "device.token."
#define KEY_REPLICA "device.replica."
#define KEY_MAX 128

/* Stops a store walk early without an error. */
#define WALK_STOP 1

static int hub_store_load_schema(struct hub_store *hs, struct sb_err *err)
{
  int rc = schema_parse(store_schema_text(hs->s), &hs->schema, err);
  if (rc != 0)
    sb_err_prefix(err, "the hub's schema");
  return rc;
}

int hub_store_create(const char *path, const char *schema_text,
                     struct hub_store **out, struct sb_err *err)
{
  struct hub_store *hs;
  struct schema *check = NULL;
  int rc;

  *out = NULL;
  /* Refuse a bad schema before any file exists. */
  rc = schema_parse(schema_text, &check, err);
  schema_free(check);
  if (rc != 0)
    return rc;
  hs = calloc(1, sizeof(*hs));
  if (hs != NULL)
    hs->path = strdup(path);
  if (hs == NULL || hs->path == NULL) {
    free(hs);
    return sb_err_set(err, SB_ENOMEM, "out of memory creating %s", path);
  }
  rc = store_create(path, schema_text, &hs->s, err);
  if (rc == 0)
    rc = hub_store_load_schema(hs, err);
  if (rc != 0) {
    hub_store_close(hs);
    return rc;
  }
  *out = hs;
  return 0;
}

int hub_store_open(const char *path, struct hub_store **out, struct sb_err *err)
{
  struct hub_store *hs = calloc(1, sizeof(*hs));
  int rc;

  *out = NULL;
  if (hs != NULL)
    hs->path = strdup(path);
  if (hs == NULL || hs->path == NULL) {
    free(hs);
    return sb_err_set(err, SB_ENOMEM, "out of memory opening %s", path);
  }
  rc = store_open(path, &hs->s, err);
  if (rc == 0)
    rc = hub_store_load_schema(hs, err);
  if (rc != 0) {
    hub_store_close(hs);
    return rc;
  }
  *out = hs;
  return 0;
}

int hub_store_open_reader(const char *path, struct hub_store **out,
                          struct sb_err *err)
{
  int rc = hub_store_open(path, out, err);
  if (rc == 0)
    (*out)->reader = true;
  return rc;
}

const char *hub_store_path(const struct hub_store *hs)
{
  return hs->path;
}

void hub_store_close(struct hub_store *hs)
{
  if (hs == NULL)
    return;
  store_close(hs->s);
  schema_free(hs->schema);
  free(hs->path);
  free(hs);
}

const char *hub_store_replica(const struct hub_store *hs)
{
  return store_replica(hs->s);
}

/* --- push -------------------------------------------------------------- */

/* Marks res refused with code and a message naming the record. */
static void refuse(struct push_result *res, const char *code, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));
static void refuse(struct push_result *res, const char *code, const char *fmt,
                   ...)
{
  va_list ap;
  int n;

  res->ok = false;
  snprintf(res->code, sizeof(res->code), "%s", code);
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
static int check_forged(const struct record *rec, const struct record *cur,
                        const char *pusher, size_t i, struct sb_err *err)
{
  size_t k;
  for (k = 0; k < rec->vv.n; k++) {
    const struct vv_entry *v = &rec->vv.v[k];
    if (strcmp(v->replica, pusher) == 0)
      continue;
    if (v->counter > vv_get(&cur->vv, v->replica))
      return sb_err_set(err, SB_EAUTH,
                        "push request: records[%zu]: %s/%s: version vector "
                        "entry \"%s\":%" PRIu64 " was never seen by the hub "
                        "(a device may only add history of its own replica, "
                        "%s)",
                        i, rec->collection, rec->id, v->replica, v->counter,
                        pusher);
  }
  return 0;
}

/*
 * The newest timestamp among the entries rec adds (dots cur has not seen)
 * into *newest; false (and *what names it) if one is above max_ts.
 */
static bool check_future(const struct record *rec, const struct record *cur,
                         uint64_t max_ts, uint64_t *newest, char *what,
                         size_t what_size)
{
  size_t i, k;

  *newest = 0;
  for (i = 0; i < rec->nf; i++) {
    for (k = 0; k < rec->f[i].n; k++) {
      const struct entry *e = &rec->f[i].e[k];
      if (vv_covers(&cur->vv, &e->dot))
        continue;
      if (e->ts > max_ts) {
        snprintf(what, what_size, "field \"%s\" has timestamp %" PRIu64,
                 rec->f[i].name, e->ts);
        return false;
      }
      if (e->ts > *newest)
        *newest = e->ts;
    }
  }
  for (k = 0; k < rec->ntomb; k++) {
    const struct entry *e = &rec->tomb[k];
    if (vv_covers(&cur->vv, &e->dot))
      continue;
    if (e->ts > max_ts) {
      snprintf(what, what_size, "its delete has timestamp %" PRIu64, e->ts);
      return false;
    }
    if (e->ts > *newest)
      *newest = e->ts;
  }
  return true;
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

/* Checks the merged state r against c (see the top comment). */
static int check_schema(const struct schema_collection *c,
                        const struct record *r, struct sb_err *err)
{
  cJSON *values;
  size_t i, k;
  int rc;

  for (i = 0; i < r->nf; i++) {
    for (k = 0; k < r->f[i].n; k++) {
      rc = check_value(c, r->f[i].name, r->f[i].e[k].value, err);
      if (rc != 0)
        return rc;
    }
  }
  if (record_deleted(r))
    return 0;
  values = record_values(r);
  if (values == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = schema_check_record(c, values, err);
  cJSON_Delete(values);
  return rc;
}

/*
 * An upper bound of the length of record_encode(r), without encoding it:
 * every entry is its value plus at most ENTRY_OVERHEAD bytes of dot, ts
 * and punctuation, every field its name plus FIELD_OVERHEAD, and so on.
 */
#define ENTRY_OVERHEAD (SB_REPLICA_MAX + 2 * 17 + 32)
#define FIELD_OVERHEAD (SB_NAME_MAX + 8)
#define RECORD_OVERHEAD (SB_NAME_MAX + SB_ID_MAX + 96)
static size_t encoded_bound(const struct record *r)
{
  size_t n = RECORD_OVERHEAD, i, k;
  for (i = 0; i < r->nf; i++) {
    n += FIELD_OVERHEAD;
    for (k = 0; k < r->f[i].n; k++)
      n += ENTRY_OVERHEAD + strlen(r->f[i].e[k].value);
  }
  n += r->ntomb * ENTRY_OVERHEAD;
  n += r->vv.n * (SB_REPLICA_MAX + 24);
  return n;
}

/* Loads the hub's state of (collection, id) into cur, and its text and
 * seq; an unknown record leaves cur empty, *text NULL, *seq 0. */
static int load_current(struct hub_store *hs, const char *collection,
                        const char *id, struct record *cur, char **text,
                        uint64_t *seq, struct sb_err *err)
{
  struct sb_err why = {0};
  size_t len;
  int rc = store_get_text(hs->s, collection, id, text, &len, seq, err);

  if (rc == SB_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  rc = record_decode(cur, *text, len, &why);
  if (rc == 0 &&
      (strcmp(cur->collection, collection) != 0 || strcmp(cur->id, id) != 0))
    rc = sb_err_set(&why, SB_ECORRUPT, "it holds the state of %s/%s",
                    cur->collection, cur->id);
  if (rc != 0) {
    rc = rc == SB_ENOMEM ? rc : SB_ECORRUPT;
    sb_err_set(err, rc, "record %s/%s in the hub's store is corrupt: %s",
               collection, id, why.msg);
    record_release(cur);
    record_init(cur, collection, id);
  }
  return rc;
}

/*
 * Merges request record i into the store (inside the push transaction).
 * A per-record refusal fills res and returns 0; a non-zero return aborts
 * the batch.
 */
static int push_one(struct hub_store *hs, const char *pusher, uint64_t max_ts,
                    const struct record *rec, size_t i, struct push_result *res,
                    struct hub_push_stats *stats, struct sb_err *err)
{
  struct record cur, merged;
  struct sb_err why = {0};
  const struct schema_collection *c;
  char *cur_text = NULL, *merged_text = NULL, what[160];
  uint64_t seq = 0, newest;
  size_t len;
  int rc;

  snprintf(res->collection, sizeof(res->collection), "%s", rec->collection);
  snprintf(res->id, sizeof(res->id), "%s", rec->id);
  record_init(&cur, rec->collection, rec->id);
  record_init(&merged, rec->collection, rec->id);

  rc = load_current(hs, rec->collection, rec->id, &cur, &cur_text, &seq, err);
  if (rc != 0)
    goto out;
  rc = check_forged(rec, &cur, pusher, i, err);
  if (rc != 0)
    goto out;
  if (!check_future(rec, &cur, max_ts, &newest, what, sizeof(what))) {
    refuse(res, HUB_REFUSE_FUTURE,
           "%s, more than the allowed margin ahead of the hub's clock "
           "(at most %" PRIu64 "); fix the device's clock",
           what, max_ts);
    stats->refused_future++;
    goto out;
  }
  if (encoded_bound(rec) > SB_RECORD_MAX) { /* rare: measure exactly */
    merged_text = record_encode(rec);
    if (merged_text == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, NULL);
      goto out;
    }
    len = strlen(merged_text);
    free(merged_text);
    merged_text = NULL;
    if (len > SB_RECORD_MAX) {
      refuse(res, HUB_REFUSE_TOO_LARGE,
             "the record is too large (%zu bytes, at most %d)", len,
             SB_RECORD_MAX);
      stats->refused_too_large++;
      goto out;
    }
  }

  rc = record_copy(&merged, &cur);
  if (rc == 0)
    rc = record_merge(&merged, rec);
  if (rc != 0) {
    rc = sb_err_set(err, rc, "merging %s/%s: %s", rec->collection, rec->id,
                    sb_err_str(rc));
    goto out;
  }
  merged_text = record_encode(&merged);
  if (merged_text == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto out;
  }
  if (cur_text != NULL && strcmp(cur_text, merged_text) == 0) {
    /* Already held: idempotent, no new seq, nothing in the feed. */
    res->ok = true;
    res->seq = seq;
    stats->unchanged++;
    goto out;
  }
  len = strlen(merged_text);
  if (len > SB_RECORD_MAX) {
    refuse(res, HUB_REFUSE_TOO_LARGE,
           "the merged record would be too large (%zu bytes, at most %d)", len,
           SB_RECORD_MAX);
    stats->refused_too_large++;
    goto out;
  }
  c = schema_collection(hs->schema, rec->collection);
  if (c != NULL) {
    rc = check_schema(c, &merged, &why);
    if (rc == SB_ESCHEMA || rc == SB_EINVAL) {
      refuse(res, HUB_REFUSE_SCHEMA, "%s", why.msg);
      stats->refused_schema++;
      rc = 0;
      goto out;
    }
    if (rc != 0) {
      rc = sb_err_set(err, rc, "checking %s/%s: %s", rec->collection, rec->id,
                      why.msg);
      goto out;
    }
  }
  rc = store_put_encoded(hs->s, &merged, merged_text, len, err);
  if (rc != 0)
    goto out;
  store_observe(hs->s, newest);
  rc = store_last_seq(hs->s, &res->seq, err);
  if (rc != 0)
    goto out;
  res->ok = true;
  stats->stored++;
  if (record_conflicted(&merged) && !record_conflicted(&cur))
    stats->conflicts++;

out:
  free(cur_text);
  free(merged_text);
  record_release(&cur);
  record_release(&merged);
  return rc;
}

/* Merges batch b inside the open transaction (results in b->reply). */
static int push_batch(struct hub_store *hs, struct hub_push_batch *b)
{
  size_t i;
  int rc;

  memset(&b->stats, 0, sizeof(b->stats));
  b->reply.n = 0;
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
    /* push_one fills what it uses: clear only the small fields. */
    res->ok = false;
    res->seq = 0;
    res->code[0] = '\0';
    res->message[0] = '\0';
    rc = push_one(hs, b->pusher, b->max_ts, &b->recs[i], i, res, &b->stats,
                  &b->err);
    if (rc != 0)
      return rc;
  }
  b->reply.n = b->n;
  return 0;
}

/* Undoes what the failed attempt left in b. */
static void batch_reset(struct hub_push_batch *b)
{
  b->reply.n = 0;
  memset(&b->stats, 0, sizeof(b->stats));
}

/* Runs b alone, in its own transaction. */
static int push_alone(struct hub_store *hs, struct hub_push_batch *b)
{
  uint64_t last = 0;
  int rc = store_begin(hs->s, &b->err);

  if (rc == 0)
    rc = push_batch(hs, b);
  if (rc == 0)
    rc = store_last_seq(hs->s, &last, &b->err);
  if (rc == 0)
    rc = store_commit(hs->s, &b->err);
  if (rc != 0) {
    store_rollback(hs->s);
    batch_reset(b);
    return rc;
  }
  b->reply.last_seq = last;
  return 0;
}

int hub_store_push_group(struct hub_store *hs, struct hub_push_batch *const *b,
                         size_t nb)
{
  struct sb_err err = {0};
  uint64_t last = 0;
  size_t i, live;
  int rc;

  for (i = 0; i < nb; i++) {
    b[i]->rc = 0;
    memset(&b[i]->err, 0, sizeof(b[i]->err));
    batch_reset(b[i]);
  }
  /*
   * All live batches in one transaction. A forged batch (SB_EAUTH) is
   * taken out and the others are run again from the start, since the
   * store has no savepoints to undo one batch; any other failure falls
   * back to one transaction per batch, so each gets its own outcome.
   */
  for (;;) {
    live = 0;
    rc = store_begin(hs->s, &err);
    for (i = 0; rc == 0 && i < nb; i++) {
      if (b[i]->rc != 0)
        continue;
      rc = push_batch(hs, b[i]);
      if (rc == SB_EAUTH) {
        b[i]->rc = rc;
        batch_reset(b[i]);
        break;
      }
      live++;
    }
    if (rc == SB_EAUTH) {
      store_rollback(hs->s);
      for (i = 0; i < nb; i++)
        if (b[i]->rc == 0)
          batch_reset(b[i]);
      continue;
    }
    if (rc == 0)
      rc = store_last_seq(hs->s, &last, &err);
    if (rc == 0 && live > 0)
      rc = store_commit(hs->s, &err);
    else
      store_rollback(hs->s);
    break;
  }
  if (rc == 0) {
    for (i = 0; i < nb; i++)
      if (b[i]->rc == 0)
        b[i]->reply.last_seq = last;
    return 0;
  }
  store_rollback(hs->s);
  for (i = 0; i < nb; i++) {
    if (b[i]->rc != 0)
      continue;
    batch_reset(b[i]);
    memset(&b[i]->err, 0, sizeof(b[i]->err));
    b[i]->rc = push_alone(hs, b[i]);
  }
  return 0;
}

int hub_store_push(struct hub_store *hs, const char *pusher, uint64_t max_ts,
                   const struct record *recs, size_t n,
                   struct push_reply *reply, struct hub_push_stats *stats,
                   struct sb_err *err)
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
  hub_store_push_group(hs, &bp, 1);
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

/* --- change feed ------------------------------------------------------- */

void hub_store_page_init(struct hub_page *p)
{
  memset(p, 0, sizeof(*p));
}

void hub_store_page_release(struct hub_page *p)
{
  size_t i;
  for (i = 0; i < p->n; i++)
    free(p->states[i]);
  free(p->states);
  free(p->seqs);
  hub_store_page_init(p);
}

struct page_walk {
  struct hub_page *page;
  unsigned limit;
  int rc;
};

static int page_add(const char *collection, const char *id, uint64_t seq,
                    const char *text, size_t len, void *ctx)
{
  struct page_walk *w = ctx;
  struct hub_page *p = w->page;
  char *copy;

  (void)collection;
  (void)id;
  if (p->n == w->limit) {
    p->more = true;
    return WALK_STOP;
  }
  /* Stored states are record_encode's canonical text: sent as they are. */
  copy = malloc(len + 1);
  if (copy == NULL) {
    w->rc = SB_ENOMEM;
    return WALK_STOP;
  }
  memcpy(copy, text, len + 1);
  p->states[p->n] = copy;
  p->seqs[p->n] = seq;
  p->n++;
  return 0;
}

int hub_store_changes(struct hub_store *hs, uint64_t since, unsigned limit,
                      struct hub_page *page, struct sb_err *err)
{
  struct page_walk w = {page, limit, 0};
  int rc;

  hub_store_page_release(page);
  page->next = since;
  if (limit == 0)
    return sb_err_set(err, SB_EINVAL, "a page of 0 changes");
  page->seqs = calloc(limit, sizeof(*page->seqs));
  page->states = calloc(limit, sizeof(*page->states));
  if (page->seqs == NULL || page->states == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, "out of memory for a page of %u", limit);
    goto fail;
  }
  /*
   * The newest seq first: on a reader's connection a commit can land
   * between the two reads, and a last_seq older than the page is safe
   * (a long-poll looks again) where a newer one could hide a change.
   */
  rc = store_last_seq(hs->s, &page->last_seq, err);
  if (rc == 0)
    rc = store_changes_text(hs->s, since, page_add, &w, err);
  if (rc == WALK_STOP)
    rc = w.rc != 0 ? sb_err_set(err, w.rc, "out of memory reading changes") : 0;
  if (rc != 0)
    goto fail;
  if (page->n > 0)
    page->next = page->seqs[page->n - 1];
  return 0;

fail:
  hub_store_page_release(page);
  page->next = since;
  return rc;
}

int hub_store_last_seq(struct hub_store *hs, uint64_t *seq, struct sb_err *err)
{
  return store_last_seq(hs->s, seq, err);
}

int hub_store_each(struct hub_store *hs, store_record_fn fn, void *ctx,
                   struct sb_err *err)
{
  return store_each(hs->s, NULL, fn, ctx, err);
}

/* --- devices ----------------------------------------------------------- */

bool hub_store_device_name_valid(const char *s)
{
  size_t n;
  for (n = 0; s[n] != '\0'; n++) {
    char ch = s[n];
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9');
    if (n == HUB_DEVICE_NAME_MAX)
      return false;
    if (!alnum && (n == 0 || (ch != '-' && ch != '_' && ch != '.')))
      return false;
  }
  return n > 0;
}

static bool hash_valid(const char *s)
{
  size_t n;
  for (n = 0; s[n] != '\0'; n++) {
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return false;
  }
  return n == HUB_HASH_HEX_LEN;
}

/* Reads the device JSON text of device name into d. */
static int device_parse(struct hub_device *d, const char *name,
                        const char *text, struct sb_err *err)
{
  cJSON *j = cJSON_Parse(text);
  const cJSON *created, *replica, *revoked, *hash;
  int rc = 0;

  memset(d, 0, sizeof(*d));
  created = cJSON_GetObjectItemCaseSensitive(j, "created_ms");
  replica = cJSON_GetObjectItemCaseSensitive(j, "replica");
  revoked = cJSON_GetObjectItemCaseSensitive(j, "revoked");
  hash = cJSON_GetObjectItemCaseSensitive(j, "token_sha256");
  if (!hub_store_device_name_valid(name) ||
      !json_is_int(created, 0, (int64_t)SB_COUNTER_MAX) ||
      !cJSON_IsString(replica) ||
      (replica->valuestring[0] != '\0' &&
       !vv_replica_id_valid(replica->valuestring)) ||
      !cJSON_IsBool(revoked) || !cJSON_IsString(hash) ||
      !hash_valid(hash->valuestring)) {
    rc = sb_err_set(err, SB_ECORRUPT, "device %.64s has a malformed entry",
                    name);
  } else {
    snprintf(d->name, sizeof(d->name), "%s", name);
    snprintf(d->replica, sizeof(d->replica), "%s", replica->valuestring);
    snprintf(d->token_hash, sizeof(d->token_hash), "%s", hash->valuestring);
    d->revoked = cJSON_IsTrue(revoked);
    d->created_ms = (uint64_t)created->valuedouble;
  }
  cJSON_Delete(j);
  return rc;
}

/* The JSON text of d (malloc'd) or NULL. */
static char *device_text(const struct hub_device *d)
{
  cJSON *j = cJSON_CreateObject();
  char *text = NULL;

  if (j != NULL &&
      cJSON_AddNumberToObject(j, "created_ms", (double)d->created_ms) != NULL &&
      cJSON_AddStringToObject(j, "replica", d->replica) != NULL &&
      cJSON_AddBoolToObject(j, "revoked", d->revoked) != NULL &&
      cJSON_AddStringToObject(j, "token_sha256", d->token_hash) != NULL)
    text = json_canon(j);
  cJSON_Delete(j);
  return text;
}

static void key_of(char *key, const char *prefix, const char *what)
{
  snprintf(key, KEY_MAX, "%s%s", prefix, what);
}

/* store_meta_get, but SB_ENOTFOUND leaves err untouched. */
static int meta_read(struct hub_store *hs, const char *key, char **value,
                     struct sb_err *err)
{
  struct sb_err why = {0};
  int rc = store_meta_get(hs->s, key, value, &why);

  if (rc != 0 && rc != SB_ENOTFOUND && err != NULL)
    *err = why;
  return rc;
}

/* Loads device name into d; SB_ENOTFOUND if there is none. */
static int device_get(struct hub_store *hs, const char *name,
                      struct hub_device *d, struct sb_err *err)
{
  char key[KEY_MAX], *text = NULL;
  int rc;

  key_of(key, KEY_NAME, name);
  rc = meta_read(hs, key, &text, err);
  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, rc, "no device called %s", name);
  if (rc != 0)
    return rc;
  rc = device_parse(d, name, text, err);
  free(text);
  return rc;
}

static int device_put(struct hub_store *hs, const struct hub_device *d,
                      struct sb_err *err)
{
  char key[KEY_MAX], *text = device_text(d);
  int rc;

  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  key_of(key, KEY_NAME, d->name);
  rc = store_meta_set(hs->s, key, text, err);
  free(text);
  return rc;
}

/* 0 if key is absent, SB_EEXISTS (no message) if present, or an error. */
static int meta_absent(struct hub_store *hs, const char *key,
                       struct sb_err *err)
{
  char *text = NULL;
  int rc = meta_read(hs, key, &text, err);

  free(text);
  if (rc == SB_ENOTFOUND)
    return 0;
  return rc == 0 ? SB_EEXISTS : rc;
}

int hub_store_device_add(struct hub_store *hs, const char *name,
                         const char *token_hash, uint64_t created_ms,
                         struct sb_err *err)
{
  struct hub_device d;
  char key[KEY_MAX];
  int rc;

  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_EINVAL,
                      "bad device name \"%.80s\" (1 to %d of A-Z a-z 0-9 "
                      "- _ ., starting with a letter or digit)",
                      name, HUB_DEVICE_NAME_MAX);
  if (!hash_valid(token_hash))
    return sb_err_set(err, SB_EINVAL, "bad token hash");
  memset(&d, 0, sizeof(d));
  snprintf(d.name, sizeof(d.name), "%s", name);
  snprintf(d.token_hash, sizeof(d.token_hash), "%s", token_hash);
  d.created_ms = created_ms;

  rc = store_begin(hs->s, err);
  if (rc != 0)
    return rc;
  key_of(key, KEY_NAME, name);
  rc = meta_absent(hs, key, err);
  if (rc == SB_EEXISTS) {
    rc = sb_err_set(err, rc, "a device called %s already exists", name);
    goto fail;
  }
  key_of(key, KEY_TOKEN, token_hash);
  if (rc == 0)
    rc = meta_absent(hs, key, err);
  if (rc == SB_EEXISTS)
    rc = sb_err_set(err, rc, "that token is already in use");
  if (rc == 0)
    rc = device_put(hs, &d, err);
  if (rc == 0)
    rc = store_meta_set(hs->s, key, name, err);
  if (rc == 0)
    rc = store_commit(hs->s, err);
  if (rc == 0)
    return 0;
fail:
  store_rollback(hs->s);
  return rc;
}

struct list_walk {
  hub_device_fn fn;
  void *ctx;
  struct sb_err *err;
};

static int list_one(const char *key, const char *value, void *ctx)
{
  struct list_walk *w = ctx;
  struct hub_device d;
  int rc = device_parse(&d, key + strlen(KEY_NAME), value, w->err);
  return rc != 0 ? rc : w->fn(&d, w->ctx);
}

int hub_store_device_list(struct hub_store *hs, hub_device_fn fn, void *ctx,
                          struct sb_err *err)
{
  struct list_walk w = {fn, ctx, err};
  return store_meta_each(hs->s, KEY_NAME, list_one, &w, err);
}

int hub_store_device_revoke(struct hub_store *hs, const char *name,
                            struct sb_err *err)
{
  struct hub_device d;
  int rc;

  if (!hub_store_device_name_valid(name))
    return sb_err_set(err, SB_ENOTFOUND, "no device called %.80s", name);
  rc = store_begin(hs->s, err);
  if (rc != 0)
    return rc;
  rc = device_get(hs, name, &d, err);
  if (rc == 0 && !d.revoked) {
    d.revoked = true;
    rc = device_put(hs, &d, err);
  }
  if (rc == 0)
    rc = store_commit(hs->s, err);
  if (rc != 0)
    store_rollback(hs->s);
  return rc;
}

int hub_store_device_by_token(struct hub_store *hs, const char *token_hash,
                              struct hub_device *out, struct sb_err *err)
{
  char key[KEY_MAX], *name = NULL;
  int rc;

  if (!hash_valid(token_hash))
    return sb_err_set(err, SB_ENOTFOUND, "unknown token");
  key_of(key, KEY_TOKEN, token_hash);
  rc = meta_read(hs, key, &name, err);
  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, rc, "unknown token");
  if (rc != 0)
    return rc;
  rc = device_get(hs, name, out, err);
  if (rc == SB_ENOTFOUND)
    rc = sb_err_set(err, SB_ECORRUPT, "token of missing device %.64s", name);
  free(name);
  return rc;
}

int hub_store_device_bind(struct hub_store *hs, const char *name,
                          const char *replica, struct sb_err *err)
{
  struct hub_device d;
  char key[KEY_MAX], *owner = NULL;
  int rc;

  if (hs->reader)
    return sb_err_set(err, SB_EBUSY,
                      "binding device %s needs the writer's connection", name);
  if (!vv_replica_id_valid(replica))
    return sb_err_set(err, SB_EINVAL, "bad replica id \"%.40s\"", replica);
  rc = store_begin(hs->s, err);
  if (rc != 0)
    return rc;
  rc = device_get(hs, name, &d, err);
  if (rc != 0)
    goto out;
  if (strcmp(d.replica, replica) == 0)
    goto out;
  if (d.replica[0] != '\0') {
    rc = sb_err_set(err, SB_ECONFLICT,
                    "the token of device %s is bound to replica %s, not %s",
                    name, d.replica, replica);
    goto out;
  }
  if (strcmp(replica, store_replica(hs->s)) == 0) {
    rc = sb_err_set(err, SB_ECONFLICT, "replica id %s is the hub's own",
                    replica);
    goto out;
  }
  key_of(key, KEY_REPLICA, replica);
  rc = meta_read(hs, key, &owner, err);
  if (rc == 0)
    rc = sb_err_set(err, SB_ECONFLICT,
                    "replica id %s is bound to another device (%s)", replica,
                    owner);
  if (rc != SB_ENOTFOUND)
    goto out;
  snprintf(d.replica, sizeof(d.replica), "%s", replica);
  rc = device_put(hs, &d, err);
  if (rc == 0)
    rc = store_meta_set(hs->s, key, name, err);
out:
  free(owner);
  if (rc == 0)
    rc = store_commit(hs->s, err);
  if (rc != 0)
    store_rollback(hs->s);
  return rc;
}
