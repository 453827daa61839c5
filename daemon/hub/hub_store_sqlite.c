/*
 * hub_store_sqlite.c - the hub's storage primitives (struct hub_store_ops,
 * hub_store.h) on the embedded SQLite store (common/store.h); a backend's
 * connection is a struct store. No policy lives here: what a push may do
 * is hub_push.c, device names and hashes are checked by hub_store.c.
 *
 * Records and the change feed are the store's own (store_put gives the
 * next seq; store_changes walks seq order; writers are serialised, so
 * seqs commit in order). Devices live in store meta:
 *   device.name.NAME      {"created_ms","replica","revoked","scope",
 *                          "token_sha256"} (no "scope": stored before
 *                          scopes, read as "all")
 *   device.token.SHA256   NAME   (lookup by token hash)
 *   device.replica.ID     NAME   (a replica id is bound to one device)
 * Each device change is one transaction, so the three keys agree.
 *   device.seen.NAME      activity: "SEEN PUSH PULL APP" (ms, decimal;
 *                         the app's User-Agent last; once only "SEEN")
 * Office users and sessions (OFFICE.md) live in meta too
 * (hub_store_sqlite_office.c): office.user.NAME, office.session.SHA256.
 * A removed user or session is an empty value (a session sweep deletes
 * the rows of removed and expired sessions).
 */
#include "compat.h"

#include "hub_store.h"
#include "hub_store_sqlite_int.h"

#include "i18n.h"

#include "json.h"
#include "store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_NAME "device.name."
#define KEY_TOKEN "device.token."
#define KEY_REPLICA "device.replica."
#define KEY_SEEN "device.seen."

/* Stops a store walk early without an error. */
#define WALK_STOP 1

/* Removes the files of a store this run made and could not finish. */
static void hub_store_sqlite_remove(const char *path)
{
  static const char *const suffix[] = {"", "-wal", "-shm"};
  char name[PATH_MAX];
  size_t i;

  for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++)
    if (snprintf(name, sizeof(name), "%s%s", path, suffix[i]) <
        (int)sizeof(name))
      unlink(name);
}

static int sq_create(const char *path, const char *schema_text, void **be,
                     struct sb_err *err)
{
  struct store *s = NULL;
  int rc = store_create(path, schema_text, &s, err);

  if (rc == 0 && (rc = store_role_set(s, STORE_ROLE_HUB, err)) != 0) {
    store_close(s);
    s = NULL;
    hub_store_sqlite_remove(path); /* this run made it */
  }
  *be = s;
  return rc;
}

static int sq_open(const char *path, void **be, struct sb_err *err)
{
  struct store *s = NULL;
  int rc = store_open_as(path, STORE_ROLE_HUB, &s, err);
  /* The hub's commits hold every push queued behind them: WAL checkpoints
   * go to a thread of their own (started only once one is due). */
  if (rc == 0)
    rc = store_ckpt_offload(s, err);
  if (rc != 0) {
    store_close(s);
    s = NULL;
  }
  *be = s;
  return rc;
}

static void sq_close(void *be)
{
  store_close(be);
}

/*
 * The writer of a hub holding 100,000 visits or more reads the pages of
 * its (collection, id) index and, for each visit, its beneficiary's row
 * from all over the file: with SQLite's default cache of 2 MiB, most of
 * them again from the file. 16 MiB: a push of 100,000 visits from 50
 * devices ~10% faster (bench_hub, daemon/hub/DESIGN.md "Push"); the
 * readers keep the default, as their
 * pulls read the file in order and a larger cache only costs them the
 * first touches of its memory.
 */
#define SQ_WRITER_CACHE_KIB (16 * 1024)
#define SQ_IDLE_CACHE_KIB 2000

static void sq_serve_writer(void *be)
{
  struct sb_err ignored = {0};

  store_cache_kib(be, SQ_WRITER_CACHE_KIB);
  /* Notes of who follows whom in batches (common/DESIGN.md, "Refs in
   * batches"); if this fails they are written one by one, as before. */
  (void)store_refs_defer(be, &ignored);
}

/* Idle: the cache shrinks to SQLite's default size (its least recently
 * used pages go), so an idle hub holds what it did before, and the next
 * push starts from the pages it would have kept; then it may grow again. */
static void sq_idle(void *be)
{
  struct sb_err ignored = {0};

  (void)store_refs_settle(be, &ignored); /* a crash then has none to redo */
  store_cache_kib(be, SQ_IDLE_CACHE_KIB);
  store_cache_kib(be, SQ_WRITER_CACHE_KIB);
}

static const char *sq_replica(const void *be)
{
  return store_replica(be);
}

static const char *sq_schema_text(const void *be)
{
  return store_schema_text(be);
}

static int sq_begin(void *be, struct sb_err *err)
{
  return store_begin(be, err);
}

static int sq_commit(void *be, struct sb_err *err)
{
  return store_commit(be, err);
}

static void sq_rollback(void *be)
{
  store_rollback(be);
}

/* A full check that found the pages sound also reads every record, as
 * the PostgreSQL backend's does (hub_store_pg_check.c). */
static int sq_check(void *be, enum store_check_level level, int budget_ms,
                    store_problem_fn fn, void *ctx,
                    enum store_check_state *state, struct sb_err *err)
{
  enum store_check_state st;
  int rc = store_check(be, level, budget_ms, fn, ctx, &st, err);

  if (rc == 0 && level == STORE_CHECK_FULL && st == STORE_CHECK_OK)
    rc = store_check_rows(be, fn, ctx, err);
  if (state != NULL)
    *state = rc == SB_ECORRUPT ? STORE_CHECK_BAD : st;
  return rc;
}

static int sq_replica_renew(void *be, struct sb_err *err)
{
  return store_replica_renew(be, err);
}

static int sq_compact(void *be, struct hub_compaction *out, struct sb_err *err)
{
  struct store_compaction c;
  int rc = store_compact(be, &c, err);

  if (rc != 0)
    return rc;
  out->bytes_before = c.bytes_before;
  out->bytes_after = c.bytes_after;
  out->log_cleared = c.wal_truncated;
  if (!c.wal_truncated)
    snprintf(out->log_note, sizeof(out->log_note), "%s",
             _("a reader held the store's WAL (it is truncated at a later "
               "checkpoint)"));
  return 0;
}

static int sq_load(void *be, const char *collection, const char *id,
                   char **text, size_t *len, uint64_t *seq, struct sb_err *err)
{
  return store_get_text(be, collection, id, text, len, seq, err);
}

static int sq_save(void *be, const struct record *r, const char *text,
                   size_t len, uint64_t newest_ts, const char *echo,
                   const char *part, uint64_t *seq, struct sb_err *err)
{
  int rc = store_put_echo(be, r, text, len, echo, part, err);
  if (rc != 0)
    return rc;
  store_observe(be, newest_ts);
  return store_last_seq(be, seq, err);
}

/* store_changes_text stopped after limit rows. */
struct feed_walk {
  unsigned left;
  store_text_fn fn;
  void *ctx;
  bool full; /* stopped here, at the limit */
};

static int feed_one(const char *collection, const char *id, uint64_t seq,
                    const char *text, size_t len, void *ctx)
{
  struct feed_walk *w = ctx;
  if (w->left == 0) {
    w->full = true;
    return WALK_STOP;
  }
  w->left--;
  return w->fn(collection, id, seq, text, len, w->ctx);
}

static int sq_feed(void *be, uint64_t since, unsigned limit, unsigned want,
                   const char *holder, store_text_fn fn, void *ctx,
                   struct sb_err *err)
{
  struct feed_walk w = {limit, fn, ctx, false};

  (void)want; /* a cursor: reads no further than fn goes */
  int rc = store_changes_text_echo(be, since, holder, feed_one, &w, err);
  /* Our own stop at the limit is not fn's. */
  return w.full ? 0 : rc;
}

static int sq_last_seq(void *be, uint64_t *seq, struct sb_err *err)
{
  return store_last_seq(be, seq, err);
}

static int sq_each(void *be, store_record_fn fn, void *ctx, struct sb_err *err)
{
  return store_each(be, NULL, fn, ctx, err);
}

static int sq_meta_get(void *be, const char *key, char **value,
                       struct sb_err *err)
{
  return store_meta_get(be, key, value, err);
}

static int sq_meta_set(void *be, const char *key, const char *value,
                       struct sb_err *err)
{
  return store_meta_set(be, key, value, err);
}

static int sq_meta_delete(void *be, const char *key, struct sb_err *err)
{
  return store_meta_delete(be, key, err);
}

static int sq_meta_each(void *be, const char *prefix, store_meta_fn fn,
                        void *ctx, struct sb_err *err)
{
  return store_meta_each(be, prefix, fn, ctx, err);
}

/* --- devices ----------------------------------------------------------- */

/* Reads the device JSON text of device name into d. */
static int device_parse(struct hub_device *d, const char *name,
                        const char *text, struct sb_err *err)
{
  cJSON *j = cJSON_Parse(text);
  const cJSON *created, *replica, *revoked, *hash, *scope;
  int rc = 0;

  memset(d, 0, sizeof(*d));
  if (j == NULL && json_parse_failure(text, strlen(text)) == SB_ENOMEM)
    return sb_err_set(err, SB_ENOMEM, NULL); /* not a damaged entry */
  created = cJSON_GetObjectItemCaseSensitive(j, "created_ms");
  replica = cJSON_GetObjectItemCaseSensitive(j, "replica");
  revoked = cJSON_GetObjectItemCaseSensitive(j, "revoked");
  hash = cJSON_GetObjectItemCaseSensitive(j, "token_sha256");
  scope = cJSON_GetObjectItemCaseSensitive(j, "scope");
  if ((scope != NULL && (!cJSON_IsString(scope) ||
                         strlen(scope->valuestring) > SCOPE_TEXT_MAX)) ||
      !hub_store_device_name_valid(name) ||
      !json_is_int(created, 0, (int64_t)SB_COUNTER_MAX) ||
      !cJSON_IsString(replica) ||
      (replica->valuestring[0] != '\0' &&
       !vv_replica_id_valid(replica->valuestring)) ||
      !cJSON_IsBool(revoked) || !cJSON_IsString(hash) ||
      !hub_device_hash_valid(hash->valuestring)) {
    rc = sb_err_set(err, SB_ECORRUPT, "device %.64s has a malformed entry",
                    name);
  } else {
    snprintf(d->name, sizeof(d->name), "%s", name);
    snprintf(d->replica, sizeof(d->replica), "%s", replica->valuestring);
    snprintf(d->token_hash, sizeof(d->token_hash), "%s", hash->valuestring);
    d->revoked = cJSON_IsTrue(revoked);
    d->created_ms = (uint64_t)created->valuedouble;
    snprintf(d->scope, sizeof(d->scope), "%s",
             scope != NULL ? scope->valuestring : "all");
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
      cJSON_AddStringToObject(j, "scope", d->scope[0] ? d->scope : "all") !=
          NULL &&
      cJSON_AddStringToObject(j, "token_sha256", d->token_hash) != NULL)
    text = json_canon(j);
  cJSON_Delete(j);
  return text;
}

void hub_sq_key_of(char *key, const char *prefix, const char *what)
{
  snprintf(key, KEY_MAX, "%s%s", prefix, what);
}

int hub_sq_meta_read(struct store *s, const char *key, char **value,
                     struct sb_err *err)
{
  struct sb_err why = {0};
  int rc = store_meta_get(s, key, value, &why);

  if (rc != 0 && rc != SB_ENOTFOUND && err != NULL)
    *err = why;
  return rc;
}

/* Loads device name into d; SB_ENOTFOUND if there is none. */
static int device_get(struct store *s, const char *name, struct hub_device *d,
                      struct sb_err *err)
{
  char key[KEY_MAX], *text = NULL;
  int rc;

  hub_sq_key_of(key, KEY_NAME, name);
  rc = hub_sq_meta_read(s, key, &text, err);
  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, rc, "no device called %s", name);
  if (rc != 0)
    return rc;
  rc = device_parse(d, name, text, err);
  free(text);
  return rc;
}

static int device_put(struct store *s, const struct hub_device *d,
                      struct sb_err *err)
{
  char key[KEY_MAX], *text = device_text(d);
  int rc;

  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  hub_sq_key_of(key, KEY_NAME, d->name);
  rc = store_meta_set(s, key, text, err);
  free(text);
  return rc;
}

/* 0 if key is absent, SB_EEXISTS (no message) if present, or an error. */
static int meta_absent(struct store *s, const char *key, struct sb_err *err)
{
  char *text = NULL;
  int rc = hub_sq_meta_read(s, key, &text, err);

  free(text);
  if (rc == SB_ENOTFOUND)
    return 0;
  return rc == 0 ? SB_EEXISTS : rc;
}

static int sq_device_add(void *be, const struct hub_device *d,
                         struct sb_err *err)
{
  struct store *s = be;
  const char *name = d->name;
  char key[KEY_MAX];
  int rc;

  rc = store_begin(s, err);
  if (rc != 0)
    return rc;
  hub_sq_key_of(key, KEY_NAME, name);
  rc = meta_absent(s, key, err);
  if (rc == SB_EEXISTS) {
    rc = sb_err_set(err, rc, "a device called %s already exists", name);
    goto fail;
  }
  hub_sq_key_of(key, KEY_TOKEN, d->token_hash);
  if (rc == 0)
    rc = meta_absent(s, key, err);
  if (rc == SB_EEXISTS)
    rc = sb_err_set(err, rc, "that token is already in use");
  if (rc == 0)
    rc = device_put(s, d, err);
  if (rc == 0)
    rc = store_meta_set(s, key, name, err);
  if (rc == 0)
    rc = store_commit(s, err);
  if (rc == 0)
    return 0;
fail:
  store_rollback(s);
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

static int sq_device_list(void *be, hub_device_fn fn, void *ctx,
                          struct sb_err *err)
{
  struct store *s = be;
  struct list_walk w = {fn, ctx, err};
  return store_meta_each(s, KEY_NAME, list_one, &w, err);
}

static int sq_device_revoke(void *be, const char *name, struct sb_err *err)
{
  struct store *s = be;
  struct hub_device d;
  int rc;

  rc = store_begin(s, err);
  if (rc != 0)
    return rc;
  rc = device_get(s, name, &d, err);
  if (rc == 0 && !d.revoked) {
    d.revoked = true;
    rc = device_put(s, &d, err);
  }
  if (rc == 0)
    rc = store_commit(s, err);
  if (rc != 0)
    store_rollback(s);
  return rc;
}

static int sq_device_by_token(void *be, const char *token_hash,
                              struct hub_device *out, struct sb_err *err)
{
  struct store *s = be;
  char key[KEY_MAX], *name = NULL;
  int rc;

  hub_sq_key_of(key, KEY_TOKEN, token_hash);
  rc = hub_sq_meta_read(s, key, &name, err);
  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, rc, "unknown token");
  if (rc != 0)
    return rc;
  rc = device_get(s, name, out, err);
  if (rc == SB_ENOTFOUND)
    rc = sb_err_set(err, SB_ECORRUPT, "token of missing device %.64s", name);
  free(name);
  return rc;
}

static int sq_device_bind(void *be, const char *name, const char *replica,
                          struct sb_err *err)
{
  struct store *s = be;
  struct hub_device d;
  char key[KEY_MAX], *owner = NULL;
  int rc;

  rc = store_begin(s, err);
  if (rc != 0)
    return rc;
  rc = device_get(s, name, &d, err);
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
  if (strcmp(replica, store_replica(s)) == 0) {
    rc = sb_err_set(err, SB_ECONFLICT, "replica id %s is the hub's own",
                    replica);
    goto out;
  }
  hub_sq_key_of(key, KEY_REPLICA, replica);
  rc = hub_sq_meta_read(s, key, &owner, err);
  if (rc == 0 && strcmp(owner, name) == 0)
    rc = SB_ENOTFOUND; /* its own, from before it was enrolled again */
  else if (rc == 0)
    rc = sb_err_set(err, SB_ECONFLICT,
                    "replica id %s is bound to another device (%s)", replica,
                    owner);
  if (rc != SB_ENOTFOUND)
    goto out;
  snprintf(d.replica, sizeof(d.replica), "%s", replica);
  rc = device_put(s, &d, err);
  if (rc == 0)
    rc = store_meta_set(s, key, name, err);
out:
  free(owner);
  if (rc == 0)
    rc = store_commit(s, err);
  if (rc != 0)
    store_rollback(s);
  return rc;
}

/* key = value ("" removes) in a transaction of its own; relaxed: without
 * a sync to disk (store_begin_relaxed), for what a power loss may lose. */
int hub_sq_meta_put(struct store *s, const char *key, const char *value,
                    bool relaxed, struct sb_err *err)
{
  int rc = relaxed ? store_begin_relaxed(s, err) : store_begin(s, err);
  if (rc != 0)
    return rc;
  rc = store_meta_set(s, key, value, err);
  if (rc == 0)
    rc = store_commit(s, err);
  if (rc != 0)
    store_rollback(s);
  return rc;
}

static int sq_device_activity_set(void *be, const char *name,
                                  const struct hub_device_activity *a,
                                  struct sb_err *err)
{
  char key[KEY_MAX], value[7 * 24 + HUB_APP_MAX + 8];

  /* "SEEN PUSH PULL @MARKS_MS,PENDING,REFUSED !COPIED_MS APP" (the marks
   * since layout 2 of the value, the copied time since layout 3; an
   * older value has none). */
  hub_sq_key_of(key, KEY_SEEN, name);
  snprintf(value, sizeof(value), "%llu %llu %llu @%llu,%llu,%llu !%llu %s",
           (unsigned long long)a->seen_ms, (unsigned long long)a->push_ms,
           (unsigned long long)a->pull_ms, (unsigned long long)a->marks_ms,
           (unsigned long long)a->pending, (unsigned long long)a->refused,
           (unsigned long long)a->copied_ms, a->app);
  /* Activity only (the dashboard's "last seen"): a power loss may take
   * back the last minute of it, so no sync to disk here, which would
   * hold the store writer (and every push queued behind it) up. */
  return hub_sq_meta_put(be, key, value, true, err);
}

static int sq_device_activity_get(void *be, const char *name,
                                  struct hub_device_activity *out,
                                  struct sb_err *err)
{
  char key[KEY_MAX], *text = NULL;
  unsigned long long seen = 0, push = 0, pull = 0, at = 0, pend = 0, ref = 0;
  unsigned long long copied = 0;
  int rc, app = -1, rest = -1;

  hub_sq_key_of(key, KEY_SEEN, name);
  rc = hub_sq_meta_read(be, key, &text, err);
  if (rc == SB_ENOTFOUND)
    return 0;
  if (rc == 0) {
    (void)sscanf(text, "%llu %llu %llu %n", &seen, &push, &pull, &app);
    if (app >= 0 && text[app] == '@' &&
        sscanf(text + app, "@%llu,%llu,%llu %n", &at, &pend, &ref, &rest) ==
            3 &&
        rest > 0) {
      out->marks_ms = at;
      out->pending = pend;
      out->refused = ref;
      app += rest;
      rest = -1;
      if (text[app] == '!' &&
          sscanf(text + app, "!%llu %n", &copied, &rest) == 1 && rest > 0) {
        out->copied_ms = copied;
        app += rest;
      }
    }
    out->seen_ms = seen;
    out->push_ms = push;
    out->pull_ms = pull;
    if (app >= 0)
      snprintf(out->app, sizeof(out->app), "%s", text + app);
  }
  free(text);
  return rc;
}

static uint64_t sq_tick(void *be)
{
  return store_tick(be);
}

/* --- scopes ------------------------------------------------------------ */

static int sq_device_get(void *be, const char *name, struct hub_device *out,
                         struct sb_err *err)
{
  return device_get(be, name, out, err);
}

static int sq_device_update(void *be, const struct hub_device *d,
                            const char *old_token_hash, struct sb_err *err)
{
  struct store *s = be;
  struct hub_device cur;
  char key[KEY_MAX];
  int rc;

  rc = store_begin(s, err);
  if (rc != 0)
    return rc;
  rc = device_get(s, d->name, &cur, err);
  if (rc == 0 && old_token_hash != NULL) {
    hub_sq_key_of(key, KEY_TOKEN, d->token_hash);
    rc = meta_absent(s, key, err);
    if (rc == SB_EEXISTS)
      rc = sb_err_set(err, rc, "that token is already in use");
    if (rc == 0)
      rc = store_meta_set(s, key, d->name, err);
    hub_sq_key_of(key, KEY_TOKEN, old_token_hash);
    if (rc == 0)
      rc = store_meta_delete(s, key, err);
  }
  if (rc == 0)
    rc = device_put(s, d, err);
  if (rc == 0)
    rc = store_commit(s, err);
  if (rc != 0)
    store_rollback(s);
  return rc;
}

static int sq_each_in(void *be, const char *collection, store_record_fn fn,
                      void *ctx, struct sb_err *err)
{
  return store_each(be, collection, fn, ctx, err);
}

static int sq_purge(void *be, const char *collection, const char *id,
                    struct sb_err *err)
{
  return store_purge(be, collection, id, err);
}

/* --- scoped reads ------------------------------------------------------ */

static int sq_ref_add(void *be, const char *ref, const char *collection,
                      const char *id, struct sb_err *err)
{
  return store_ref_add(be, ref, collection, id, err);
}

static int sq_part_get(void *be, const char *collection, const char *id,
                       char *out, size_t size, bool *known, struct sb_err *err)
{
  return store_get_part(be, collection, id, out, size, known, err);
}

static int sq_refs_each(void *be, const char *ref, const char *collection,
                        int (*fn)(const char *id, void *ctx), void *ctx,
                        struct sb_err *err)
{
  return store_refs_each(be, ref, collection, fn, ctx, err);
}

static int sq_part_set(void *be, const char *collection, const char *id,
                       const char *part, struct sb_err *err)
{
  return store_set_part(be, collection, id, part, err);
}

static int sq_moved_set(void *be, const char *collection, const char *id,
                        uint64_t seq, struct sb_err *err)
{
  return store_set_moved(be, collection, id, seq, err);
}

static int sq_feed_parts(void *be, uint64_t since, unsigned limit,
                         unsigned want, const struct scope_parts *parts,
                         bool moved, const char *holder, store_part_text_fn fn,
                         void *ctx, struct sb_err *err)
{
  (void)want; /* rows are read one by one: the walk stops when full */
  return store_changes_text_parts(be, since, (const char *const *)parts->v,
                                  parts->n, moved, limit, holder, fn, ctx, err);
}

const struct hub_store_ops hub_store_sqlite_ops = {
    .name = "sqlite",
    .create = sq_create,
    .open = sq_open,
    .close = sq_close,
    .serve_writer = sq_serve_writer,
    .idle = sq_idle,
    .replica = sq_replica,
    .schema_text = sq_schema_text,
    .replica_renew = sq_replica_renew,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .load = sq_load,
    .save = sq_save,
    .feed = sq_feed,
    .last_seq = sq_last_seq,
    .check = sq_check,
    .each = sq_each,
    .compact = sq_compact,
    .device_add = sq_device_add,
    .device_list = sq_device_list,
    .device_revoke = sq_device_revoke,
    .device_by_token = sq_device_by_token,
    .device_bind = sq_device_bind,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .meta_each = sq_meta_each,
    .meta_delete = sq_meta_delete,
    /* office users and sessions */
    .user_put = hub_sq_user_put,
    .user_get = hub_sq_user_get,
    .user_list = hub_sq_user_list,
    .user_remove = hub_sq_user_remove,
    .session_put = hub_sq_session_put,
    .session_get = hub_sq_session_get,
    .session_remove = hub_sq_session_remove,
    .session_sweep = hub_sq_session_sweep,
    .session_each = hub_sq_session_each,
    .device_activity_set = sq_device_activity_set,
    .device_activity_get = sq_device_activity_get,
    .tick = sq_tick,
    .device_get = sq_device_get,
    .device_update = sq_device_update,
    .each_in = sq_each_in,
    .purge = sq_purge,
    .part_set = sq_part_set,
    .moved_set = sq_moved_set,
    .feed_parts = sq_feed_parts,
    .part_get = sq_part_get,
    .ref_add = sq_ref_add,
    .refs_each = sq_refs_each,
};
