/*
 * disk_room.h - room left on the file system of a store (SQLite file):
 * the store, its WAL and its shared-memory file live in its directory, so
 * that directory's file system is what a write needs room on.
 */
#ifndef SAMBANG_DISK_ROOM_H
#define SAMBANG_DISK_ROOM_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

/* The room an unprivileged writer has (*avail) and the size (*size), in
 * bytes, of the file system holding the file at path; false if statvfs
 * fails (or the directory name is too long). */
bool disk_room(const char *path, uint64_t *avail, uint64_t *size);

#endif
