/*
 * cmd_token.c - `sambang token set --file F | -`: gives an existing store
 * a new device token (after `sambang-hub device rotate`, or a device
 * enrolled again). The token comes from a file or standard input, never
 * from the command line (where ps and the shell history would show it);
 * it goes to STORE.token (0600) like init's.
 */
#include "compat.h"

#include "cli.h"

#include "file_read.h"

#include <stdlib.h>
#include <string.h>

/* Where a token came from, for its errors. */
static const char *token_source(const char *path)
{
  return strcmp(path, "-") == 0 ? _("standard input") : path;
}

int cli_token_check(const char *token, const char *source, struct sb_err *err)
{
  if (token[0] == '\0')
    return sb_err_set(err, SB_EINVAL, "no token in %s", source);
  if (!util_printable(token))
    return sb_err_set(err, SB_EINVAL,
                      "the token (%s) must be printable characters without "
                      "spaces, on one line",
                      source);
  return 0;
}

int cli_token_read(const char *path, char **out, struct sb_err *err)
{
  size_t len;
  char *nl;
  int rc = file_read_path(path, _("token file"), 4096, out, &len, err);

  if (rc != 0)
    return rc;
  nl = strpbrk(*out, "\r\n");
  if (nl != NULL)
    *nl = '\0';
  rc = cli_token_check(*out, token_source(path), err);
  if (rc != 0) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

int cmd_token(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  const char *from = NULL;
  char *token = NULL;
  int rc;

  if (argc < 2 || strcmp(argv[1], "set") != 0)
    return util_usage(err, "token: give set --file F, or set - to read "
                           "standard input");
  if (argc == 3 && strcmp(argv[2], "-") == 0)
    from = "-";
  else if (argc == 4 && strcmp(argv[2], "--file") == 0)
    from = argv[3];
  else if (argc == 3 && strncmp(argv[2], "--file=", 7) == 0)
    from = argv[2] + 7;
  if (from == NULL)
    return util_usage(err, "token set: give --file F or - (standard input); "
                           "a token is never taken from the command line");
  rc = cli_token_read(from, &token, err);
  if (rc == 0)
    rc = store_open_as(cli->db, STORE_ROLE_DEVICE, &cli->store, err);
  if (rc == 0)
    rc = store_token_set(cli->store, token, err);
  if (token != NULL) {
    memset(token, 0, strlen(token));
    free(token);
  }
  if (rc == 0)
    fprintf(stderr, _("sambang: token set for %s\n"), cli->db);
  return rc;
}
