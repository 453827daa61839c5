/*
 * hub_disk.c - the room on an embedded hub store's disk (hub_disk.h).
 */
#include "compat.h"

#include "hub_disk.h"

#include "disk_room.h"
#include "hub_store.h"

bool hub_disk_room(const char *path, uint64_t *avail, uint64_t *size)
{
  return path != NULL && !hub_store_is_pg(path) && disk_room(path, avail, size);
}
