/*
 * hub_mem.c - the in-memory hub storage of the push policy tests (see
 * hub_mem.h).
 */
#include "hub_mem.h"

#include "check_record.h"

/* oom.c's, in a test that links it (test_hub_push_oom.c): the store's
 * own allocations never fail there, so the failures land in the policy;
 * each transaction counts allocations afresh, so a batch tried again
 * after a failure fails at the same point of its work. */
void oom_hold(bool on) __attribute__((weak));
void oom_restart(void) __attribute__((weak));

static void hold(bool on)
{
  if (oom_hold != NULL)
    oom_hold(on);
}

static char *dup(const char *s)
{
  char *d;

  hold(true);
  d = strdup(s);
  hold(false);
  CHECK(d != NULL);
  return d;
}

static void rows_free(struct mem_rows *m)
{
  for (size_t i = 0; i < m->n; i++) {
    free(m->r[i].collection);
    free(m->r[i].id);
    free(m->r[i].text);
  }
  free(m->r);
  memset(m, 0, sizeof(*m));
}

static void rows_copy(struct mem_rows *to, const struct mem_rows *from)
{
  rows_free(to);
  hold(true);
  to->r = calloc(from->n + 1, sizeof(*to->r));
  hold(false);
  CHECK(to->r != NULL);
  for (size_t i = 0; i < from->n; i++) {
    to->r[i].collection = dup(from->r[i].collection);
    to->r[i].id = dup(from->r[i].id);
    to->r[i].text = dup(from->r[i].text);
    to->r[i].seq = from->r[i].seq;
  }
  to->n = from->n;
  to->last_seq = from->last_seq;
}

struct mem_row *mem_find(struct mem *m, const char *c, const char *id)
{
  for (size_t i = 0; i < m->now.n; i++)
    if (strcmp(m->now.r[i].collection, c) == 0 &&
        strcmp(m->now.r[i].id, id) == 0)
      return &m->now.r[i];
  return NULL;
}

/* A new row (c, id), no text yet, seq 0. */
static struct mem_row *row_add(struct mem *m, const char *c, const char *id)
{
  struct mem_row *grown, *r;

  hold(true);
  grown = realloc(m->now.r, (m->now.n + 1) * sizeof(*m->now.r));
  hold(false);
  CHECK(grown != NULL);
  m->now.r = grown;
  r = &m->now.r[m->now.n++];
  r->collection = dup(c);
  r->id = dup(id);
  r->text = NULL;
  r->seq = 0;
  return r;
}

static int mem_begin(void *be, struct sb_err *err)
{
  struct mem *m = be;
  (void)err;
  CHECK(!m->in_tx);
  rows_copy(&m->saved, &m->now);
  if (oom_restart != NULL)
    oom_restart();
  m->in_tx = true;
  m->begins++;
  return 0;
}

static void mem_rollback(void *be)
{
  struct mem *m = be;
  if (!m->in_tx)
    return;
  rows_free(&m->now);
  m->now = m->saved;
  memset(&m->saved, 0, sizeof(m->saved));
  m->in_tx = false;
  m->rollbacks++;
}

static int mem_commit(void *be, struct sb_err *err)
{
  struct mem *m = be;
  CHECK(m->in_tx);
  if (m->fail_commits > 0) {
    m->fail_commits--;
    mem_rollback(m);
    return sb_err_set(err, SB_EBUSY, "commit refused by the test");
  }
  rows_free(&m->saved);
  m->in_tx = false;
  m->commits++;
  return 0;
}

static int mem_load(void *be, const char *collection, const char *id,
                    char **text, size_t *len, uint64_t *seq, struct sb_err *err)
{
  struct mem_row *r = mem_find(be, collection, id);
  *text = NULL;
  if (r == NULL)
    return sb_err_set(err, SB_ENOTFOUND, "%s/%s not found", collection, id);
  *text = dup(r->text);
  *len = strlen(r->text);
  *seq = r->seq;
  return 0;
}

static int mem_save(void *be, const struct record *rec, const char *text,
                    size_t len, uint64_t newest_ts, const char *echo,
                    const char *part, uint64_t *seq, struct sb_err *err)
{
  struct mem *m = be;
  struct mem_row *r = mem_find(m, rec->collection, rec->id);

  (void)err;
  (void)echo;
  (void)part; /* a backend without scoped reads: never given one */
  CHECK(m->in_tx);
  CHECK(strlen(text) == len);
  if (r == NULL)
    r = row_add(m, rec->collection, rec->id);
  free(r->text);
  r->text = dup(text);
  r->seq = ++m->now.last_seq;
  *seq = r->seq;
  if (newest_ts > m->newest)
    m->newest = newest_ts;
  return 0;
}

static int mem_last_seq(void *be, uint64_t *seq, struct sb_err *err)
{
  struct mem *m = be;
  (void)err;
  *seq = m->now.last_seq;
  return 0;
}

/* The feed: every row once, at its latest seq, in seq order. */
/* Echoes are not kept here (test_hub_store.c tests them on SQLite). */
static int mem_feed(void *be, uint64_t since, unsigned limit, unsigned want,
                    const char *holder, store_text_fn fn, void *ctx,
                    struct sb_err *err)
{
  struct mem *m = be;
  (void)err;
  (void)want;
  (void)holder;
  for (uint64_t q = since + 1; q <= m->now.last_seq && limit > 0; q++) {
    for (size_t i = 0; i < m->now.n; i++) {
      const struct mem_row *r = &m->now.r[i];
      if (r->seq != q)
        continue;
      int rc = fn(r->collection, r->id, r->seq, r->text, strlen(r->text), ctx);
      if (rc != 0)
        return rc;
      limit--;
    }
  }
  return 0;
}

/* Notes the keys it is given (a hint: nothing is read ahead here). */
static int mem_prefetch(void *be, const char *const *keys, size_t n,
                        struct sb_err *err)
{
  struct mem *m = be;
  (void)err;
  hold(true);
  for (size_t i = 0; i < n; i++) {
    buf_adds(&m->prefetched, keys[2 * i]);
    buf_adds(&m->prefetched, "/");
    buf_adds(&m->prefetched, keys[2 * i + 1]);
    buf_adds(&m->prefetched, " ");
  }
  hold(false);
  return 0;
}

/* Settings are rows of this pseudo-collection (no valid name), seq 0. */
#define MEM_META "(meta)"

static int mem_meta_get(void *be, const char *key, char **value,
                        struct sb_err *err)
{
  struct mem_row *r = mem_find(be, MEM_META, key);
  *value = NULL;
  if (r == NULL)
    return sb_err_set(err, SB_ENOTFOUND, "no setting %s", key);
  *value = dup(r->text);
  return 0;
}

static int mem_meta_set(void *be, const char *key, const char *value,
                        struct sb_err *err)
{
  struct mem *m = be;
  struct mem_row *r = mem_find(m, MEM_META, key);

  (void)err;
  if (r == NULL)
    r = row_add(m, MEM_META, key);
  free(r->text);
  r->text = dup(value);
  return 0;
}

static int mem_meta_delete(void *be, const char *key, struct sb_err *err)
{
  struct mem *m = be;
  struct mem_row *r = mem_find(m, MEM_META, key);

  (void)err;
  if (r == NULL)
    return 0;
  free(r->collection);
  free(r->id);
  free(r->text);
  *r = m->now.r[--m->now.n];
  return 0;
}

static int mem_meta_each(void *be, const char *prefix, store_meta_fn fn,
                         void *ctx, struct sb_err *err)
{
  struct mem *m = be;
  (void)err;
  for (size_t i = 0; i < m->now.n; i++) {
    const struct mem_row *r = &m->now.r[i];
    if (strcmp(r->collection, MEM_META) == 0 &&
        strncmp(r->id, prefix, strlen(prefix)) == 0) {
      int rc = fn(r->id, r->text, ctx);
      if (rc != 0)
        return rc;
    }
  }
  return 0;
}

/* Only what the push policy may use: the rest stays NULL, so a call of
 * anything else crashes the test. */
#define MEM_OPS                                                                \
  .begin = mem_begin, .commit = mem_commit, .rollback = mem_rollback,          \
  .load = mem_load, .save = mem_save, .feed = mem_feed,                        \
  .last_seq = mem_last_seq, .prefetch = mem_prefetch

const struct hub_store_ops mem_ops = {.name = "memory", MEM_OPS};

const struct hub_store_ops mem_held_ops = {
    .name = "memory, with settings",
    MEM_OPS,
    .meta_get = mem_meta_get,
    .meta_set = mem_meta_set,
    .meta_each = mem_meta_each,
    .meta_delete = mem_meta_delete,
};

void mem_copy(const struct mem *m, struct mem_rows *copy)
{
  CHECK(!m->in_tx);
  rows_copy(copy, &m->now);
}

void mem_put_back(struct mem *m, const struct mem_rows *copy)
{
  CHECK(!m->in_tx);
  rows_copy(&m->now, copy);
}

void mem_rows_free(struct mem_rows *rows)
{
  rows_free(rows);
}

void mem_free(struct mem *m)
{
  CHECK(!m->in_tx);
  rows_free(&m->now);
  rows_free(&m->saved);
  buf_release(&m->prefetched);
}

/* --- helpers ----------------------------------------------------------- */

/* A record written by replica at ts with the JSON object fields. */
void make(struct record *r, const char *coll, const char *id,
          const char *replica, uint64_t ts, const char *fields)
{
  check_record(r, coll, id, replica, ts, fields);
}

struct hub_push_batch batch_of(const char *pusher, struct record *recs,
                               size_t n)
{
  struct hub_push_batch b;
  memset(&b, 0, sizeof(b));
  b.pusher = pusher;
  b.max_ts = MAX_TS;
  b.recs = recs;
  b.n = n;
  push_reply_init(&b.reply);
  return b;
}

/* Runs one batch alone through the policy; its rc. */
int push1(struct mem *m, const struct schema *schema, struct hub_push_batch *b)
{
  CHECK_INT(
      hub_push_group(m->ops != NULL ? m->ops : &mem_ops, m, schema, &b, 1), ==,
      0);
  CHECK(!m->in_tx);
  return b->rc;
}
