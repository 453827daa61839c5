/*
 * store_ckpt.c - WAL checkpoints off a busy writer's commits (store.h,
 * store_ckpt_offload): the commit only notes the WAL's size (a wal hook in
 * place of SQLite's auto-checkpoint); a thread of the store's own, with a
 * connection of its own, copies the WAL into the database file. Its
 * checkpoints are PASSIVE: they never wait for or block the writer, so
 * the writer's commits no longer pay for copying pages and syncing the
 * database file. The thread copies once CKPT_THREAD_BYTES more came since
 * what it copied last (each checkpoint syncs two files). The thread and
 * its connection start at the first checkpoint wanted, so a short-lived
 * store never starts them.
 *
 * A PASSIVE checkpoint beside a writer that keeps committing may never
 * catch up with the WAL's end, and SQLite only restarts the WAL from its
 * beginning once all of it is copied: past CKPT_INLINE_BYTES the commit
 * checkpoints itself, as SQLite would, which then copies only what the
 * thread has not yet (the WAL stays bounded). Durability is unchanged:
 * a commit is durable once its WAL frames are synced (synchronous=FULL);
 * a checkpoint only moves committed pages into the database file.
 */
#include "compat.h"

#include "store.h"
#include "sqlite_setup.h"
#include "store_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The WAL's size past which the commit checkpoints itself. */
#define CKPT_INLINE_BYTES (32000L << 10)
/* New WAL bytes past which the thread copies: a quarter of SQLite's
 * default (STORE_CKPT_BYTES), so that its copies end between a cold
 * pull's commits and the WAL can start over instead of growing past the
 * file (common/DESIGN.md, "Crash safety": figures). */
#define CKPT_THREAD_BYTES (1L << 20)
#define CKPT_BUSY_MS 5000

struct store_ckpt {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  char *path;
  bool started; /* the thread runs */
  bool wanted;  /* a checkpoint is due */
  bool stop;
  int done; /* WAL pages the last checkpoint copied (the writer's lock) */
  int pages, inline_pages; /* the two thresholds, in the file's pages */
};

/* Opens the thread's own connection to path, or NULL. */
static sqlite3 *ckpt_open(const char *path)
{
  sqlite3 *db = NULL;

  sqlite_setup();
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    sqlite3_close_v2(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, CKPT_BUSY_MS);
  /* FULL: the database file is synced before the WAL may be reused. */
  if (sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) !=
      SQLITE_OK) {
    sqlite3_close_v2(db);
    return NULL;
  }
  return db;
}

static void *ckpt_main(void *arg)
{
  struct store_ckpt *c = arg;
  sqlite3 *db = NULL;

  pthread_mutex_lock(&c->lock);
  for (;;) {
    while (!c->wanted && !c->stop)
      pthread_cond_wait(&c->cond, &c->lock);
    if (c->stop)
      break;
    c->wanted = false;
    pthread_mutex_unlock(&c->lock);
    if (db == NULL)
      db = ckpt_open(c->path);
    /* Busy or failed: the next commit past c->pages asks again, and the
     * commit itself checkpoints past c->inline_pages. */
    int copied = -1;
    if (db != NULL &&
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                  &copied) != SQLITE_OK)
      copied = -1;
    pthread_mutex_lock(&c->lock);
    if (copied > c->done)
      c->done = copied;
  }
  pthread_mutex_unlock(&c->lock);
  sqlite3_close_v2(db);
  return NULL;
}

/* SQLite's wal hook: after each commit, with the WAL's size in pages. */
static int ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
  struct store_ckpt *c = arg;

  if (pages >= c->inline_pages) {
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                    NULL);
    return SQLITE_OK;
  }
  pthread_mutex_lock(&c->lock);
  if (pages < c->done) /* the WAL restarted from its beginning */
    c->done = 0;
  if (pages - c->done < c->pages) { /* not c->pages new since */
    pthread_mutex_unlock(&c->lock);
    return SQLITE_OK;
  }
  if (!c->started && !c->stop &&
      pthread_create(&c->thread, NULL, ckpt_main, c) == 0)
    c->started = true;
  c->wanted = true;
  pthread_cond_signal(&c->cond);
  pthread_mutex_unlock(&c->lock);
  if (!c->started) /* no thread: as SQLite would */
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                    NULL);
  return SQLITE_OK;
}

int store_ckpt_offload(struct store *s, struct sb_err *err)
{
  struct store_ckpt *c;

  if (s->ckpt != NULL)
    return 0;
  c = calloc(1, sizeof(*c));
  if (c == NULL || (c->path = strdup(s->path)) == NULL) {
    free(c);
    return sb_err_set(err, SB_ENOMEM, "out of memory");
  }
  c->pages = store_pages_of(s, CKPT_THREAD_BYTES);
  c->inline_pages = store_pages_of(s, CKPT_INLINE_BYTES);
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->cond, NULL);
  s->ckpt = c;
  sqlite3_wal_hook(s->db, ckpt_hook, c);
  return 0;
}

bool store_ckpt_started(struct store *s)
{
  struct store_ckpt *c = s->ckpt;
  bool started;

  if (c == NULL)
    return false;
  pthread_mutex_lock(&c->lock);
  started = c->started;
  pthread_mutex_unlock(&c->lock);
  return started;
}

void store_ckpt_stop(struct store *s)
{
  struct store_ckpt *c = s->ckpt;

  if (c == NULL)
    return;
  sqlite3_wal_hook(s->db, NULL, NULL);
  pthread_mutex_lock(&c->lock);
  c->stop = true;
  pthread_cond_signal(&c->cond);
  pthread_mutex_unlock(&c->lock);
  if (c->started)
    pthread_join(c->thread, NULL);
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->cond);
  free(c->path);
  free(c);
  s->ckpt = NULL;
}
