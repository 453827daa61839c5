/*
 * hub_cmd_device.c - `sambang-hub device`: enrol, list, scope, rotate and
 * revoke devices.
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

static const char *const usage_device = N_(
    "usage: sambang-hub [--db PATH] device add NAME --scope "
    "all|PART[,PART...]\n"
    "       sambang-hub [--db PATH] device scope NAME --set all|PART[,...]\n"
    "       sambang-hub [--db PATH] device rotate NAME\n"
    "       sambang-hub [--db PATH] device list\n"
    "       sambang-hub [--db PATH] device revoke NAME\n"
    "\n"
    "add: enrols a device and prints its token, alone on stdout, once (the\n"
    "hub keeps only a hash of it). The token binds to the replica id of its\n"
    "first use. NAME: 1 to 64 of A-Z a-z 0-9 - _ . (starting with a letter\n"
    "or digit). The scope is required: the parts (values of the schema's\n"
    "scope fields, e.g. kecamatan: --scope Setu,Pamulang) whose records the\n"
    "device holds, or all (office machines). A revoked device's NAME can be\n"
    "enrolled again (a new token; the old one stays refused).\n"
    "scope: changes a device's scope; records outside it leave the device\n"
    "at its next sync.\n"
    "rotate: prints a new token for the device; the old one stops working.\n"
    "The store given it goes on even after a push refused as a copy's\n"
    "(copied_store: the device's push chain is forgotten), so give it to\n"
    "the one store that should write as the device.\n"
    "list: NAME, REPLICA (- until first use), active or revoked, created\n"
    "(UTC), scope, separated by tabs.\n"
    "revoke: the device's token is refused from now on.\n");

static int print_device(const struct hub_device *d, void *ctx)
{
  char when[32] = "-";
  time_t t = (time_t)(d->created_ms / 1000);
  struct tm tm;

  (void)ctx;
  if (gmtime_r(&t, &tm) != NULL)
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("%s\t%s\t%s\t%s\t%s\n", d->name, d->replica[0] ? d->replica : "-",
         d->revoked ? "revoked" : "active", when, d->scope);
  return 0;
}

/* A new token into token and its hash into hash. */
static int new_token(char *token, char *hash, struct sb_err *err)
{
  int rc = auth_token_new(token);
  if (rc != 0)
    return sb_err_set(err, rc, "no randomness from the OS for a token");
  if (auth_token_hash(token, hash) != 0)
    return sb_err_set(err, SB_EINTERNAL, "cannot hash the token");
  return 0;
}

/* Checks device's arguments: the NAME, and --scope/--set where due;
 * *scope is the scope given (NULL if none). */
static int device_args(const char *sub, int argc, char **argv,
                       const char **scope)
{
  const char *want = strcmp(sub, "add") == 0     ? "--scope"
                     : strcmp(sub, "scope") == 0 ? "--set"
                                                 : NULL;
  *scope = NULL;
  if (strcmp(sub, "list") == 0)
    return argc == 1
               ? 0
               : hub_cmd_usage_error(usage_device,
                                     "device list: unexpected argument %s",
                                     argv[1]);
  if (strcmp(sub, "revoke") != 0 && strcmp(sub, "rotate") != 0 && want == NULL)
    return hub_cmd_usage_error(usage_device, "device: unknown subcommand %s",
                               sub);
  if (want == NULL)
    return argc == 2 ? 0
                     : hub_cmd_usage_error(usage_device,
                                           "device %s: give one NAME", sub);
  if (argc > 4) /* e.g. the scope given twice: not "a scope is required" */
    return hub_cmd_usage_error(
        usage_device, "device %s: unexpected argument %s", sub, argv[4]);
  if (argc == 4 && strcmp(argv[2], want) == 0)
    *scope = argv[3];
  else if (argc == 4 && strcmp(argv[1], want) == 0)
    *scope = argv[2];
  if (*scope == NULL)
    return hub_cmd_usage_error(
        usage_device,
        "device %s: give NAME %s all|PART[,PART...] (a scope "
        "is required)",
        sub, want);
  return 0;
}

int hub_cmd_device(const char *db, int argc, char **argv)
{
  struct sb_err err = {0};
  struct hub_store *hs;
  const char *sub = argc > 0 ? argv[0] : NULL, *scope, *name;
  char token[AUTH_TOKEN_LEN + 1], hash[HUB_HASH_HEX_LEN + 1];
  int rc;

  if (sub == NULL)
    return hub_cmd_usage_error(usage_device, "device: %s",
                               "missing subcommand");
  if (hub_cmd_is_help(sub) || (argc > 1 && hub_cmd_is_help(argv[1]))) {
    fputs(_(usage_device), stdout);
    return 0;
  }
  rc = device_args(sub, argc, argv, &scope);
  if (rc != 0)
    return rc;
  name = argc > 1 ? argv[1] : "";
  if (argc == 4 && scope == argv[2])
    name = argv[3]; /* --scope PARTS NAME */
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  if (strcmp(sub, "list") == 0) {
    rc = hub_store_device_list(hs, print_device, NULL, &err);
  } else if (strcmp(sub, "revoke") == 0) {
    rc = hub_store_device_revoke(hs, name, &err);
    if (rc == 0)
      fprintf(stderr, "sambang-hub: device %s revoked\n", name);
  } else if (strcmp(sub, "scope") == 0) {
    rc = hub_store_device_set_scope(hs, name, scope, &err);
    if (rc == 0)
      fprintf(stderr, "sambang-hub: device %s: scope %s\n", name, scope);
  } else {
    rc = new_token(token, hash, &err);
    if (rc == 0 && strcmp(sub, "rotate") == 0)
      rc = hub_store_device_rotate(hs, name, hash, &err);
    else if (rc == 0)
      rc = hub_store_device_add(hs, name, hash, hlc_wall_ms(), scope, &err);
    if (rc == 0) {
      printf("%s\n", token);
      fflush(stdout);
    }
  }
  hub_store_close(hs);
  return rc != 0 ? hub_cmd_fail(rc, &err) : 0;
}
