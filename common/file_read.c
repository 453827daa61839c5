/*
 * file_read.c - a whole small file into memory, bounded (file_read.h).
 */
#include "compat.h"

#include "file_read.h"

#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int file_read_all(FILE *f, const char *what, size_t max, char **out,
                  size_t *len, struct sb_err *err)
{
  char chunk[16384];
  struct buf b;
  size_t n;

  *out = NULL;
  *len = 0;
  buf_init(&b);
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if (b.len + n > max) {
      buf_release(&b);
      return sb_err_set(err, SB_ETOOBIG,
                        "%s is too large (more than %zu bytes)", what, max);
    }
    if (buf_add(&b, chunk, n) != 0) {
      buf_release(&b);
      return sb_err_set(err, SB_ENOMEM, NULL);
    }
  }
  if (ferror(f)) {
    int e = errno;
    buf_release(&b);
    return sb_err_set(err, SB_EINVAL, "cannot read %s: %s", what, strerror(e));
  }
  *out = buf_take(&b, len);
  if (*out == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

int file_read_path(const char *path, const char *what, size_t max, char **out,
                   size_t *len, struct sb_err *err)
{
  char named[512]; /* "schema file PATH", as the open error names it */
  FILE *f;
  int rc;

  if (strcmp(path, "-") == 0)
    return file_read_all(stdin, what, max, out, len, err);
  f = fopen(path, "rb");
  if (f == NULL) {
    int e = errno;
    *out = NULL;
    *len = 0;
    return sb_err_set(err, e == ENOENT ? SB_ENOTFOUND : SB_EINVAL,
                      "cannot open %s %s: %s", what, path, strerror(e));
  }
  snprintf(named, sizeof(named), "%s %s", what, path);
  rc = file_read_all(f, named, max, out, len, err);
  fclose(f);
  return rc;
}
