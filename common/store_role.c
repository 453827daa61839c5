/*
 * store_role.c - whose store a file is: a field device's (sambang,
 * sambangd) or a hub's (sambang-hub). Both are the same SQLite layout, so
 * without a mark one program would open the other's store and write into
 * it (a record under the hub's replica that skipped every push check, a
 * device token in a field device's store).
 */
#include "compat.h"

#include "store.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static const char *role_name(enum store_role role)
{
  return role == STORE_ROLE_HUB ? "hub" : "device";
}

/* True if the store holds the schema object (an index, a trigger) called
 * name. */
static bool has_object(struct store *s, const char *type, const char *name)
{
  sqlite3_stmt *st = NULL;
  bool found = false;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT 1 FROM sqlite_master WHERE type = ?1 "
                         "AND name = ?2",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return found;
}

/*
 * The index of records by scope part serves only a hub's scoped feed
 * (ST_CHANGES_PARTS); a field device never reads by part, yet every row
 * it wrote paid for the index (a fresh pull of 10,000 visits: 3.4% of the
 * device's instructions). A device's store drops it, a hub's makes sure
 * it is there.
 *
 * The triggers that keep a pending mark on its row (store.c, layout 5)
 * serve only a device: a hub never marks a row pending. On a hub they
 * cost more than they do: a statement that may fire a trigger runs with
 * a statement journal, a copy of every page it changes (the row's, its
 * indexes'), which past 64 KiB (four 16 KiB pages) SQLite spills to a
 * temporary file. Updating 1,000 of 10,000 rows wrote ~85 MB there, 40%
 * of the hub's CPU for that push. A hub's store drops them; a device's
 * makes sure they are there.
 *
 * Best effort, once: a read-only or busy store keeps what it has, which
 * is only slower (a hub's rows are never pending, a device's store
 * always has its triggers: only a hub's lacks them, and a hub's store is
 * never opened as a device's).
 */
static void role_layout(struct store *s, enum store_role role)
{
  struct sb_err ignored = {0};
  bool has = has_object(s, "index", "records_part");
  bool moves = has_object(s, "trigger", "records_pending_moves");
  bool gone = has_object(s, "trigger", "records_pending_gone");

  if (role == STORE_ROLE_DEVICE && has)
    store_script(s, "DROP INDEX records_part", "dropping an index", &ignored);
  else if (role == STORE_ROLE_HUB && !has)
    store_script(s, "CREATE INDEX records_part ON records(part, seq)",
                 "making an index", &ignored);
  if (role == STORE_ROLE_HUB && (moves || gone))
    store_script(s,
                 "DROP TRIGGER IF EXISTS records_pending_moves;"
                 "DROP TRIGGER IF EXISTS records_pending_gone",
                 "dropping a device's triggers", &ignored);
  else if (role == STORE_ROLE_DEVICE && !(moves && gone))
    store_script(s, STORE_PENDING_TRIGGERS, "making the pending triggers",
                 &ignored);
}

int store_role_set(struct store *s, enum store_role role, struct sb_err *err)
{
  int rc = store_meta_set(s, STORE_META_ROLE, role_name(role), err);

  if (rc == 0)
    role_layout(s, role);
  return rc;
}

static int found_one(const char *key, const char *value, void *ctx)
{
  (void)key;
  (void)value;
  *(bool *)ctx = true;
  return 1; /* stop */
}

/* True if some meta key starts with prefix (a walk stopped early is 1). */
static int has_prefix(struct store *s, const char *prefix, bool *found,
                      struct sb_err *err)
{
  int rc;

  *found = false;
  rc = store_meta_each(s, prefix, found_one, found, err);
  return rc == 1 ? 0 : rc;
}

/*
 * A store made before the mark: a device's holds its hub's address; a
 * hub's, its devices or office users. *role -1: cannot tell (a hub with
 * no device yet, a device never told its hub), either may open it.
 */
static int legacy_role(struct store *s, int *role, struct sb_err *err)
{
  char *server = NULL;
  bool found = false;
  int rc = store_meta_get(s, "server", &server, NULL);

  free(server);
  *role = -1;
  if (rc == 0) {
    *role = STORE_ROLE_DEVICE;
    return 0;
  }
  rc = has_prefix(s, "device.name.", &found, err);
  if (rc == 0 && !found)
    rc = has_prefix(s, "office.user.", &found, err);
  if (rc == 0 && found)
    *role = STORE_ROLE_HUB;
  return rc;
}

/* SB_ENOTSTORE if the store s at path is not one of role want; *marked:
 * its meta names its role (not a store made before the mark). */
static int role_check(struct store *s, const char *path, enum store_role want,
                      bool *marked, struct sb_err *err)
{
  char *v = NULL;
  int role, rc = store_meta_get(s, STORE_META_ROLE, &v, NULL);

  *marked = rc == 0;
  if (rc == 0) {
    role = strcmp(v, "hub") == 0      ? STORE_ROLE_HUB
           : strcmp(v, "device") == 0 ? STORE_ROLE_DEVICE
                                      : -2;
    if (role == -2)
      rc = sb_err_set(err, SB_ENOTSTORE,
                      "%s is a store of an unknown kind (%.40s)", path, v);
    free(v);
    if (rc != 0)
      return rc;
  } else {
    rc = legacy_role(s, &role, err);
    if (rc != 0)
      return rc;
  }
  if (role == STORE_ROLE_HUB && want == STORE_ROLE_DEVICE)
    return sb_err_set(err, SB_ENOTSTORE,
                      "%s is a hub's store (use sambang-hub), not a field "
                      "device's",
                      path);
  if (role == STORE_ROLE_DEVICE && want == STORE_ROLE_HUB)
    return sb_err_set(err, SB_ENOTSTORE,
                      "%s is a field device's store (use sambang), not a "
                      "hub's",
                      path);
  return 0;
}

int store_open_as(const char *path, enum store_role role, struct store **out,
                  struct sb_err *err)
{
  bool marked = false;
  int rc = store_open(path, out, err);

  if (rc == 0 && (rc = role_check(*out, path, role, &marked, err)) != 0) {
    store_close(*out);
    *out = NULL;
  }
  if (rc == 0 && marked)
    role_layout(*out, role);
  return rc;
}
