/*
 * store_token.c - the device's hub token, kept beside the store rather
 * than in it (see store.h).
 *
 * The store file travels: it is copied for backups, for support, to
 * another machine. The token is a credential of one device, so it lives in
 * its own file, PATH.token, mode 0600, written whole under a temporary
 * name and renamed; meta `token_file` names it (relative to the store's
 * directory, so a store moved with its token file keeps working). A store
 * made before this kept the token in meta `token`: opening it moves the
 * token out and erases the row (secure_delete, then a checkpoint, so the
 * old bytes are overwritten in the file and gone from the WAL).
 */
#include "compat.h"

#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_SUFFIX ".token"
#define TOKEN_MAX 512

char *store_token_path(const char *path)
{
  size_t n = strlen(path) + sizeof(TOKEN_SUFFIX);
  char *out = malloc(n);
  if (out != NULL)
    snprintf(out, n, "%s%s", path, TOKEN_SUFFIX);
  return out;
}

/* name resolved against the store's directory (absolute names as is). */
static char *resolve(const struct store *s, const char *name)
{
  const char *slash = strrchr(s->path, '/');
  size_t dir = slash != NULL ? (size_t)(slash - s->path) + 1 : 0;
  size_t n = dir + strlen(name) + 1;
  char *out;

  if (name[0] == '/')
    return strdup(name);
  out = malloc(n);
  if (out != NULL)
    snprintf(out, n, "%.*s%s", (int)dir, s->path, name);
  return out;
}

/* The first line of the file at path, trimmed; *token malloc'd. */
static int read_token(const char *path, char **token, struct sb_err *err)
{
  char line[TOKEN_MAX + 2];
  size_t n;
  FILE *f = fopen(path, "re");

  if (f == NULL)
    return sb_err_set(err, errno == ENOENT ? SB_ENOTFOUND : SB_EIO,
                      "cannot read the device token file %s: %s", path,
                      strerror(errno));
  if (fgets(line, sizeof(line), f) == NULL)
    line[0] = '\0';
  fclose(f);
  n = strcspn(line, "\r\n");
  line[n] = '\0';
  if (n == 0)
    return sb_err_set(err, SB_EINVAL, "the device token file %s is empty",
                      path);
  *token = strdup(line);
  return *token != NULL ? 0 : sb_err_set(err, SB_ENOMEM, NULL);
}

int store_token_get(struct store *s, char **token, struct sb_err *err)
{
  char *name = NULL, *path;
  int rc;

  *token = NULL;
  rc = store_meta_read(s, "token_file", &name, err);
  if (rc == SB_ENOTFOUND) /* an older store not migrated (read-only) */
    return store_meta_get(s, "token", token, err);
  if (rc != 0)
    return rc;
  path = resolve(s, name);
  free(name);
  if (path == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = read_token(path, token, err);
  free(path);
  return rc;
}

/* Writes token to path (0600) through a temporary file and a rename. */
static int write_token(const char *path, const char *token, struct sb_err *err)
{
  char tmp[PATH_MAX];
  size_t len = strlen(token);
  int fd, rc = 0;

  if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
    return sb_err_set(err, SB_EINVAL, "path too long: %s", path);
  unlink(tmp);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return sb_err_set(err, sb_err_from_errno(errno),
                      "cannot write the device token file %s: %s", tmp,
                      strerror(errno));
  if (fchmod(fd, 0600) != 0 || write(fd, token, len) != (ssize_t)len ||
      write(fd, "\n", 1) != 1 || fsync(fd) != 0)
    rc = sb_err_set(err, sb_err_from_errno(errno),
                    "cannot write the device token file %s: %s", tmp,
                    strerror(errno));
  if (close(fd) != 0 && rc == 0)
    rc = sb_err_set(err, SB_EIO, "cannot write the device token file %s", tmp);
  if (rc == 0 && rename(tmp, path) != 0)
    rc = sb_err_set(err, sb_err_from_errno(errno),
                    "cannot write the device token file %s: %s", path,
                    strerror(errno));
  if (rc != 0)
    unlink(tmp);
  return rc;
}

/* meta: token_file = the token file's name, no token row. */
static int point_meta(struct store *s, const char *name, struct sb_err *err)
{
  bool own = !s->in_tx;
  int rc = own ? store_begin(s, err) : 0;

  if (rc != 0)
    return rc;
  rc = store_meta_write(s, "token_file", name, err);
  if (rc == 0)
    rc = store_script(s, "PRAGMA secure_delete = ON", "erasing the token", err);
  if (rc == 0)
    rc = store_script(s, "DELETE FROM meta WHERE key = 'token'",
                      "erasing the token", err);
  if (own) {
    if (rc == 0)
      rc = store_commit(s, err);
    else
      store_rollback(s);
  }
  return rc;
}

int store_token_set(struct store *s, const char *token, struct sb_err *err)
{
  char *path, *name;
  int rc;

  if (token[0] == '\0' || strlen(token) > TOKEN_MAX ||
      strpbrk(token, "\r\n") != NULL)
    return sb_err_set(err, SB_EINVAL,
                      "a device token is one line of 1 to %d characters",
                      TOKEN_MAX);
  rc = store_refuse_if_corrupt(s, err);
  if (rc != 0)
    return rc;
  path = store_token_path(s->path);
  if (path == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = write_token(path, token, err);
  name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
  if (rc == 0)
    rc = point_meta(s, name, err);
  free(path);
  return rc;
}

int store_token_migrate(struct store *s, struct sb_err *err)
{
  char *token = NULL;
  struct sb_err ignored = {0};
  int rc;

  (void)err;
  if (store_corrupt(s, NULL, 0) ||
      store_meta_read(s, "token", &token, &ignored) != 0)
    return 0;
  /* Best effort: a read-only or busy store keeps its token in meta (and
   * store_token_get reads it there) until an open that can move it. */
  rc = store_token_set(s, token, &ignored);
  free(token);
  if (rc == 0)
    store_script(s, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpointing",
                 &ignored);
  return 0;
}
