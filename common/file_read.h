/*
 * file_read.h - a whole small file (a schema, a token, a record on
 * standard input) into memory, bounded: a command given a huge file or
 * /dev/zero says so instead of filling the memory.
 */
#ifndef SAMBANG_FILE_READ_H
#define SAMBANG_FILE_READ_H

#include "compat.h"

#include "err.h"

#include <stddef.h>
#include <stdio.h>

/*
 * Reads all of f (what names it in messages) into a malloc'd,
 * NUL-terminated *out of *len bytes. More than max bytes: SB_ETOOBIG.
 */
int file_read_all(FILE *f, const char *what, size_t max, char **out,
                  size_t *len, struct sb_err *err);

/* file_read_all on a file path ("-": standard input); a file that cannot
 * be opened is SB_ENOTFOUND (none there) or SB_EINVAL. */
int file_read_path(const char *path, const char *what, size_t max, char **out,
                   size_t *len, struct sb_err *err);

#endif
