/*
 * hub_cmd.c - helpers the sambang-hub commands share: errors and usage
 * errors as exit codes, --help, opening the store.
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

/* Prints the error and returns the exit code for rc. */
int hub_cmd_fail(int rc, const struct sb_err *err)
{
  fprintf(stderr, "sambang-hub: %s\n",
          err->msg[0] != '\0' ? err->msg : sb_err_str(rc));
  return exitcode_from_err(rc);
}

int hub_cmd_usage_error(const char *usage, const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "sambang-hub: ");
  va_start(ap, fmt);
  vfprintf(stderr, _(fmt), ap);
  va_end(ap);
  /* The synopsis only (up to the first blank line): the whole text of a
   * command like serve is a screenful that buries the error above it. */
  const char *text = _(usage), *end = strstr(text, "\n\n");
  fprintf(stderr, "\n%.*s\n%s\n",
          end != NULL ? (int)(end - text) : (int)strlen(text), text,
          _("(--help says more)"));
  return EXITCODE_USAGE;
}

bool hub_cmd_is_help(const char *arg)
{
  return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int hub_cmd_no_args(const char *name, const char *usage, int argc, char **argv,
                    bool *done)
{
  *done = argc > 0;
  if (argc == 0)
    return 0;
  if (hub_cmd_is_help(argv[0])) {
    fputs(_(usage), stdout);
    return 0;
  }
  return hub_cmd_usage_error(usage, "%s: unexpected argument %s", name,
                             argv[0]);
}

int hub_cmd_open_store(const char *db, struct hub_store **hs)
{
  struct sb_err err = {0};
  char shown[HUB_STORE_SHOWN_MAX];
  int rc = hub_store_open(db, hs, &err);
  hub_store_shown(db, shown, sizeof(shown));
  if (rc == SB_ENOTFOUND)
    sb_err_set(&err, rc, "no hub store at %s (run `sambang-hub init`)", shown);
  return rc != 0 ? hub_cmd_fail(rc, &err) : 0;
}
