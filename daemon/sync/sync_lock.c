/*
 * sync_lock.c - one replicator per store: sambangd and `sambang sync
 * --once` both hold an exclusive flock on STORE.lock while they sync, so
 * two engines never race over the same pull cursor.
 */
#include "compat.h"

#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int sync_lock(const char *db, int *fd_out, struct sb_err *err)
{
  char path[4200];
  int fd;

  *fd_out = -1;
  if ((size_t)snprintf(path, sizeof(path), "%s.lock", db) >= sizeof(path))
    return sb_err_set(err, SB_EINVAL, "store path %.80s... is too long", db);
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return sb_err_set(err, SB_EIO, "cannot open lock file %s: %s", path,
                      strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return sb_err_set(err, SB_EBUSY,
                      "%s is already being synced (a sambangd or another "
                      "sambang sync runs for it)",
                      db);
  }
  *fd_out = fd;
  return 0;
}

void sync_lock_release(int fd)
{
  if (fd >= 0)
    close(fd); /* releases the flock */
}
