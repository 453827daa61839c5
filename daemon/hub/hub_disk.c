/*
 * hub_disk.c - the room on a SQLite hub store's disk (hub_disk.h), from
 * statvfs on the store's directory: the store file, its WAL and its
 * shared-memory file all live there.
 */
#include "compat.h"

#include "hub_disk.h"

#include "hub_store.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

bool hub_disk_room(const char *path, uint64_t *avail, uint64_t *size)
{
  char dir[PATH_MAX];
  const char *slash;
  struct statvfs v;

  if (path == NULL || hub_store_is_pg(path))
    return false;
  slash = strrchr(path, '/');
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
