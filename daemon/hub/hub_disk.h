/*
 * hub_disk.h - room left on the disk of an embedded (SQLite) hub store.
 *
 * A hub whose disk is full refuses every push (503, "disk full while
 * writing", the device keeps its records pending) but would still answer
 * /v1/health "ok"; and an operator wants to see the disk fill before that.
 * So health answers 503 once less than HUB_DISK_FULL_BYTES is left, and
 * /metrics gives the room left and the disk's size to alert on earlier.
 * A PostgreSQL store's disk is the database's: not looked at here.
 */
#ifndef SAMBANG_HUB_DISK_H
#define SAMBANG_HUB_DISK_H

#include "compat.h"

#include <stdbool.h>
#include <stdint.h>

/* Below this much room health says the disk is full: a push group's WAL
 * frames need about twice its records, and a 100-record batch of visits
 * is ~100 KB. */
#define HUB_DISK_FULL_BYTES (1024u * 1024u)

/* The room an unprivileged writer has (*avail) and the size (*size), in
 * bytes, of the file system holding the store at path; false for a
 * PostgreSQL store or when statvfs fails. */
bool hub_disk_room(const char *path, uint64_t *avail, uint64_t *size);

#endif
