/*
 * hub_cmd_user.c - `sambang-hub user`: the office's users (add, passwd,
 * list, remove).
 */
#include "compat.h"

#include "hub_cmd.h"

#include "auth.h"
#include "exitcode.h"
#include "hlc.h"
#include "hub_proxy.h"
#include "hub_server.h"
#include "hub_store.h"
#include "log.h"
#include "office.h"
#include "schema.h"
#include "service.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

static const char *const usage_user =
    N_("usage: sambang-hub [--db PATH] user add NAME --role "
       "admin|reviewer|viewer\n"
       "       sambang-hub [--db PATH] user passwd NAME\n"
       "       sambang-hub [--db PATH] user remove NAME\n"
       "       sambang-hub [--db PATH] user list\n"
       "\n"
       "Office users of the dashboard (not devices). add and passwd read the\n"
       "password from the first line of standard input (8 to 1023\n"
       "characters); the hub keeps only its Argon2id hash. A new password\n"
       "ends the user's open sessions. Viewers read, reviewers also resolve\n"
       "conflicts, admins also manage devices and export personal fields.\n"
       "list: NAME, ROLE, created (UTC), separated by tabs.\n");

/* --- office users ------------------------------------------------------ */

/* The first line of stdin as a password (OFFICE_PASSWORD_MIN..MAX bytes,
 * no NUL) into pw, of OFFICE_PASSWORD_MAX + 1 bytes. A longer line is
 * refused, not cut. */
static int read_password(char *pw, struct sb_err *err)
{
  char *line = NULL;
  size_t cap = 0, n;
  ssize_t got = getline(&line, &cap, stdin);
  int rc = 0;

  if (got <= 0) {
    free(line);
    return sb_err_set(err, SB_EINVAL,
                      "give the password on the first line of stdin");
  }
  n = (size_t)got;
  if (line[n - 1] == '\n')
    n--;
  if (n > 0 && line[n - 1] == '\r')
    n--;
  if (memchr(line, '\0', n) != NULL)
    rc = sb_err_set(err, SB_EINVAL, "the password must not hold a NUL byte");
  else if (n < OFFICE_PASSWORD_MIN || n > OFFICE_PASSWORD_MAX)
    rc = sb_err_set(err, SB_EINVAL,
                    "the password must have %d to %d characters, got %zu",
                    OFFICE_PASSWORD_MIN, OFFICE_PASSWORD_MAX, n);
  else {
    memcpy(pw, line, n);
    pw[n] = '\0';
  }
  memset(line, 0, cap);
  free(line);
  return rc;
}

static int print_user(const struct hub_user *u, void *ctx)
{
  char when[32] = "-";
  time_t t = (time_t)(u->created_ms / 1000);
  struct tm tm;

  (void)ctx;
  if (gmtime_r(&t, &tm) != NULL)
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("%s\t%s\t%s\n", u->name, hub_role_name(u->role), when);
  return 0;
}

/* user add / passwd: sets the password (and role) of u, then saves it. */
static int user_save(struct hub_store *hs, struct hub_user *u, bool create,
                     struct sb_err *err)
{
  char pw[OFFICE_PASSWORD_MAX + 1];
  int rc = read_password(pw, err);

  if (rc == 0)
    rc = office_auth_hash_password(pw, u->pwhash, err);
  memset(pw, 0, sizeof(pw));
  u->changed_ms = hlc_wall_ms();
  if (create)
    u->created_ms = u->changed_ms;
  return rc != 0 ? rc : hub_store_user_put(hs, u, create, err);
}

int hub_cmd_user(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  struct hub_user u;
  const char *sub = argc > 0 ? argv[0] : NULL;
  int role = -1, rc;

  if (sub == NULL)
    return hub_cmd_usage_error(usage_user, "user: %s", "missing subcommand");
  if (hub_cmd_is_help(sub) || (argc > 1 && hub_cmd_is_help(argv[1]))) {
    fputs(_(usage_user), stdout);
    return 0;
  }
  memset(&u, 0, sizeof(u));
  if (strcmp(sub, "list") == 0) {
    if (argc != 1)
      return hub_cmd_usage_error(usage_user,
                                 "user list: unexpected argument %s", argv[1]);
  } else if (strcmp(sub, "add") == 0) {
    if (argc > 4)
      return hub_cmd_usage_error(usage_user, "user add: unexpected argument %s",
                                 argv[4]);
    if (argc != 4 || strcmp(argv[2], "--role") != 0)
      return hub_cmd_usage_error(usage_user, "user add: give NAME --role ROLE");
    role = hub_role_parse(argv[3]);
    if (role < 0)
      return hub_cmd_usage_error(
          usage_user,
          "user add: --role is admin, reviewer or viewer, "
          "not %s",
          argv[3]);
  } else if (strcmp(sub, "remove") == 0 || strcmp(sub, "passwd") == 0) {
    if (argc != 2)
      return hub_cmd_usage_error(usage_user, "user %s: give one NAME", sub);
  } else {
    return hub_cmd_usage_error(usage_user, "user: unknown subcommand %s", sub);
  }
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  if (strcmp(sub, "list") == 0) {
    rc = hub_store_user_list(hs, print_user, NULL, &err);
  } else if (strcmp(sub, "remove") == 0) {
    rc = hub_store_user_remove(hs, argv[1], &err);
  } else if (strcmp(sub, "add") == 0) {
    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "%.64s", argv[1]);
    u.role = (enum hub_role)role;
    if (strlen(argv[1]) > HUB_USER_NAME_MAX)
      rc = sb_err_set(&err, SB_EINVAL, "bad user name (at most %d characters)",
                      HUB_USER_NAME_MAX);
    else
      rc = user_save(hs, &u, true, &err);
  } else {
    rc = hub_store_user_get(hs, argv[1], &u, &err);
    if (rc == 0)
      rc = user_save(hs, &u, false, &err);
  }
  hub_store_close(hs);
  return rc != 0 ? hub_cmd_fail(rc, &err) : 0;
}
