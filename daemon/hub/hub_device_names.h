#ifndef SAMBANG_HUB_DEVICE_NAMES_H
#define SAMBANG_HUB_DEVICE_NAMES_H

#include <stddef.h>

#include "hub_store.h"

/*
 * Who wrote what: the enrolled devices' replica -> name map (revoked
 * devices too, since their writes stay), for the pages and listings that
 * name a write's device. As many devices as the hub has.
 */
struct hub_device_name {
  char replica[SB_REPLICA_MAX + 1];
  char name[HUB_DEVICE_NAME_MAX + 1];
};

struct hub_device_names {
  struct hub_device_name *v;
  size_t n, cap;
};

/* Fills nm (zeroed by the caller) from hs; free it with
 * hub_device_names_free whatever this returns. */
int hub_device_names_load(struct hub_store *hs, struct hub_device_names *nm,
                          struct sb_err *err);

/* The name of replica's device, or NULL if no device has used it. */
const char *hub_device_names_find(const struct hub_device_names *nm,
                                  const char *replica);

void hub_device_names_free(struct hub_device_names *nm);

#endif
