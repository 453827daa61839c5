/*
 * cmd_check.c - `sambang check` and `sambang recover`: a damaged store.
 *
 * check runs SQLite's full integrity check, then reads every record (a
 * sound page may hold a state no writer makes): "ok" and exit 0 (a
 * corruption mark is removed: writes are taken again), or the problems
 * and exit 6.
 *
 * recover rebuilds a device's store from the hub: every row that can
 * still be read (the local changes not yet pushed first) goes into a
 * fresh store with the same replica id, settings and token; the damaged
 * file is kept beside it as STORE.damaged-YYYYMMDD-HHMMSS (never
 * deleted); then a sync with the hub from cursor 0 (`sync --once`) pushes
 * the kept changes and pulls everything else back.
 */
#include "compat.h"

#include "cli.h"
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int print_problem(const char *problem, void *ctx)
{
  (void)ctx;
  printf("%s\n", problem);
  return 0;
}

int cmd_check(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  int rc;

  if (argc > 1)
    return argv[1][0] == '-' ? util_bad_option("check", argv[1], err)
                             : util_usage(err, "check takes no arguments");
  rc = store_open_as(cli->db, STORE_ROLE_DEVICE, &cli->store, err);
  if (rc != 0)
    return rc;
  rc = store_check(cli->store, STORE_CHECK_FULL, 0, print_problem, NULL, NULL,
                   err);
  if (rc == 0)
    rc = store_check_rows(cli->store, print_problem, NULL, err);
  if (rc == 0)
    printf(_("ok\n"));
  return rc;
}

/* The copy being made. */
struct rebuild {
  struct store *to;
  uint64_t pending, other, bad;
  struct sb_err err;
};

static int copy_row(const struct store_row *row, void *ctx)
{
  struct rebuild *b = ctx;
  struct record r;
  char *text = NULL;
  size_t len;
  uint64_t seq;
  int rc;

  if (store_get_text(b->to, row->collection, row->id, &text, &len, &seq,
                     NULL) == 0) {
    free(text); /* seen already (as a pending row) */
    return 0;
  }
  if (!record_name_valid(row->collection) || !record_id_valid(row->id)) {
    b->bad++;
    return 0;
  }
  record_init(&r, row->collection, row->id);
  if (record_decode(&r, row->state, row->len, NULL) != 0 ||
      !record_is(&r, row->collection, row->id)) {
    b->bad++;
    record_release(&r);
    return 0;
  }
  store_observe(b->to, record_max_ts(&r));
  rc = row->pending
           ? store_put_encoded(b->to, &r, row->state, row->len, &b->err)
           : store_put_remote(b->to, &r, row->state, row->len, &b->err);
  if (rc == 0 && row->pending)
    b->pending++;
  else if (rc == 0)
    b->other++;
  record_release(&r);
  return rc;
}

/* Copies settings, then every readable row of from into a new store at
 * path with from's replica id. */
static int rebuild(struct store *from, const char *path, struct rebuild *b,
                   struct sb_err *err)
{
  /* The push chain too: without it the hub takes the rebuilt store for
   * a copy of this device's (daemon/sync/DESIGN.md). */
  static const char *const keep[] = {"server",        SYNC_META_CA,
                                     SYNC_META_PIN,   STORE_META_ROLE,
                                     SYNC_META_CHAIN, SYNC_META_CHAIN_NEXT};
  size_t k;
  int rc = store_create_as(path, store_schema_text(from), store_replica(from),
                           &b->to, err);
  if (rc != 0)
    return rc;
  rc = store_begin(b->to, err);
  for (k = 0; rc == 0 && k < sizeof(keep) / sizeof(keep[0]); k++) {
    char *v = NULL;
    /* A setting that cannot be read fails the rebuild: a CA or pin
     * dropped would have the device trust any certificate. */
    rc = store_meta_get(from, keep[k], &v, NULL);
    if (rc == 0)
      rc = store_meta_set(b->to, keep[k], v, err);
    else if (rc == SB_ENOTFOUND)
      rc = 0;
    else
      rc = sb_err_set(err, rc, NULL);
    free(v);
  }
  if (rc == 0) {
    uint64_t unreadable = 0;
    rc = store_salvage(from, copy_row, b, &unreadable, err);
    if (rc != 0 && b->err.code != 0)
      *err = b->err;
    b->bad += unreadable;
  }
  if (rc == 0)
    rc = store_commit(b->to, err);
  else
    store_rollback(b->to);
  store_close(b->to);
  b->to = NULL;
  return rc;
}

/* Gives a + suffix the name b + suffix too (a hard link), or moves it
 * there where the file system has no hard links; 0 if a + suffix does not
 * exist. */
static int keep_as(const char *a, const char *b, const char *suffix,
                   struct sb_err *err)
{
  char from[PATH_MAX], to[PATH_MAX];

  snprintf(from, sizeof(from), "%s%s", a, suffix);
  snprintf(to, sizeof(to), "%s%s", b, suffix);
  if (link(from, to) == 0 || errno == ENOENT)
    return 0;
  if (errno == EPERM || errno == EXDEV || errno == ENOTSUP || errno == EMLINK) {
    if (rename(from, to) == 0 || errno == ENOENT)
      return 0;
  }
  return sb_err_set(err, sb_err_from_errno(errno), "cannot keep %s as %s: %s",
                    from, to, strerror(errno));
}

/*
 * Keeps the damaged files under old, puts the rebuilt store in place.
 * The damaged store keeps its name until the rebuilt one replaces it (a
 * hard link names it old first, and a rename over it is atomic), so a
 * crash in between never leaves no store at all (which would look like a
 * device never initialised). Its WAL goes before the new file comes: a
 * stray WAL would be replayed into it. The corruption mark goes last.
 */
static int swap_in(const char *db, const char *fresh, const char *old,
                   struct sb_err *err)
{
  char name[PATH_MAX];
  int rc = keep_as(db, old, "", err);

  if (rc == 0)
    rc = keep_as(db, old, "-wal", err);
  if (rc == 0)
    rc = keep_as(db, old, ".corrupt", err);
  if (rc != 0)
    return rc;
  snprintf(name, sizeof(name), "%s-wal", db);
  unlink(name);
  snprintf(name, sizeof(name), "%s-shm", db);
  unlink(name);
  if (rename(fresh, db) != 0)
    return sb_err_set(err, sb_err_from_errno(errno),
                      "cannot put the rebuilt store %s in place: %s", fresh,
                      strerror(errno));
  snprintf(name, sizeof(name), "%s.corrupt", db);
  unlink(name);
  return 0;
}

/* STORE.damaged-STAMP, or with -2, -3... if a copy of that name (or its
 * -wal) is there already (two recovers in one second): rename would put
 * the second over the first, the only copy of what the store held. */
static int damaged_name(const char *db, const char *stamp, char *out,
                        size_t size, struct sb_err *err)
{
  char wal[PATH_MAX];
  int n, w;

  for (n = 1; n < 100; n++) {
    if (n == 1)
      w = snprintf(out, size, "%s.damaged-%s", db, stamp);
    else
      w = snprintf(out, size, "%s.damaged-%s-%d", db, stamp, n);
    if (w < 0 || (size_t)w >= size ||
        snprintf(wal, sizeof(wal), "%s-wal", out) >= (int)sizeof(wal))
      return sb_err_set(err, SB_EINVAL, "store path %s is too long", db);
    if (access(out, F_OK) != 0 && errno == ENOENT && access(wal, F_OK) != 0 &&
        errno == ENOENT)
      return 0;
  }
  return sb_err_set(err, SB_EEXISTS,
                    "%s.damaged-%s and 98 more copies exist: move them away "
                    "first",
                    db, stamp);
}

/*
 * SB_EINVAL if the store's own settings cannot sync (no hub or token, a
 * bad URL): recover would set the store aside and rebuild it only to
 * fail where it pulls, so it refuses first and changes nothing. Settings
 * that cannot be read (the damage recover is for) do not hold it back:
 * the rebuild copies what it can and the sync then says what is missing.
 */
static int recover_can_sync(struct store *from, struct sb_err *err)
{
  struct sync_config c;
  int rc;

  sync_config_init(&c);
  rc = sync_config_from_store(&c, from, NULL);
  if (rc == 0) {
    c.once = true;
    rc = sync_config_check(&c, err);
    if (rc != 0)
      sb_err_prefix(err, "recover rebuilds the store from the hub");
  } else {
    rc = rc == SB_ENOMEM ? sb_err_set(err, rc, NULL) : 0;
  }
  sync_config_release(&c);
  return rc;
}

int cmd_recover(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  struct rebuild b = {0};
  struct store *from = NULL;
  char fresh[PATH_MAX], old[PATH_MAX], stamp[32], *token = NULL;
  char word[] = "sync", once[] = "--once";
  char *sync_argv[] = {word, once, NULL};
  time_t now = time(NULL);
  struct tm tm;
  int rc, lock_fd = -1;

  if (argc > 1)
    return argv[1][0] == '-' ? util_bad_option("recover", argv[1], err)
                             : util_usage(err, "recover takes no arguments");
  rc = store_open_as(cli->db, STORE_ROLE_DEVICE, &from, err);
  if (rc != 0) {
    sb_err_prefix(err, "cannot read the replica id to recover under");
    return rc;
  }
  rc = sync_lock(cli->db, &lock_fd, err);
  if (rc == SB_EBUSY)
    sb_err_set(err, rc, "a sambangd (or a sync) is using %s: stop it first",
               cli->db);
  if (rc == 0)
    rc = recover_can_sync(from, err);
  if (rc != 0)
    goto out;
  store_token_get(from, &token, NULL);
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
  snprintf(fresh, sizeof(fresh), "%s.recovering", cli->db);
  rc = damaged_name(cli->db, stamp, old, sizeof(old), err);
  if (rc != 0)
    goto out;
  /* What a recover that was cut short left (its -wal too: a stray one
   * would keep the new store from being made). */
  util_remove_store(fresh);
  rc = rebuild(from, fresh, &b, err);
  store_close(from);
  from = NULL;
  if (rc == 0)
    rc = swap_in(cli->db, fresh, old, err);
  if (rc != 0) {
    util_remove_store(fresh);
    goto out;
  }
  rc = util_open(cli, err);
  if (rc == 0 && token != NULL)
    rc = store_token_set(cli->store, token, err);
  if (rc != 0)
    goto out;
  printf(_("recovered %s: kept %llu unpushed and %llu other records, %llu "
           "unreadable; the damaged store is kept as %s\n"),
         cli->db, (unsigned long long)b.pending, (unsigned long long)b.other,
         (unsigned long long)b.bad, old);
  fprintf(stderr,
          _("note: %s holds the records as they were, personal values "
            "included, and no later erasure reaches it: delete it once the "
            "recovered store is checked\n"),
          old);
  sync_lock_release(lock_fd);
  lock_fd = -1;
  rc = cmd_sync(cli, 2, sync_argv, err);
out:
  if (lock_fd >= 0)
    sync_lock_release(lock_fd);
  store_close(from);
  free(token);
  return rc;
}
