/*
 * hub_store_int.h - private to hub_store.c and its seam's other files
 * (hub_store_devices.c, hub_store_copy.c, hub_store_office.c),
 * hub_purge.c and hub_restore.c: what a struct hub_store holds.
 */
#ifndef SAMBANG_HUB_STORE_INT_H
#define SAMBANG_HUB_STORE_INT_H

#include "hub_store.h"
#include "schema.h"

#include <stdbool.h>

struct hub_store {
  const struct hub_store_ops *ops;
  void *be; /* the backend's connection */
  struct schema *schema;
  char *path;
  bool reader; /* a second connection, for reads (hub_store_open_reader) */
};

#endif
