/*
 * disk_room.c - statvfs of a store's directory (disk_room.h).
 */
#include "compat.h"

#include "disk_room.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

bool disk_room(const char *path, uint64_t *avail, uint64_t *size)
{
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  struct statvfs v;

  if (slash == NULL)
    snprintf(dir, sizeof(dir), ".");
  else if (slash == path)
    snprintf(dir, sizeof(dir), "/");
  else if ((size_t)(slash - path) < sizeof(dir))
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
  else
    return false;
  if (statvfs(dir, &v) != 0)
    return false;
  *avail = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
  *size = (uint64_t)v.f_blocks * (uint64_t)v.f_frsize;
  return true;
}
