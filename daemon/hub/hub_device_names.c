#include "compat.h"

#include "hub_device_names.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_one(const struct hub_device *d, void *ctx)
{
  struct hub_device_names *nm = ctx;
  struct hub_device_name *v;

  if (d->replica[0] == '\0') /* never used: no write is its */
    return 0;
  v = array_grow(nm->v, &nm->cap, nm->n, sizeof(*nm->v), 16);
  if (v == NULL)
    return SB_ENOMEM;
  nm->v = v;
  snprintf(v[nm->n].replica, sizeof(v[nm->n].replica), "%s", d->replica);
  snprintf(v[nm->n].name, sizeof(v[nm->n].name), "%s", d->name);
  nm->n++;
  return 0;
}

int hub_device_names_load(struct hub_store *hs, struct hub_device_names *nm,
                          struct sb_err *err)
{
  int rc = hub_store_device_list(hs, add_one, nm, err);

  if (rc == SB_ENOMEM)
    sb_err_set(err, rc, "out of memory listing the devices");
  return rc;
}

const char *hub_device_names_find(const struct hub_device_names *nm,
                                  const char *replica)
{
  size_t i;

  for (i = 0; i < nm->n; i++)
    if (strcmp(nm->v[i].replica, replica) == 0)
      return nm->v[i].name;
  return NULL;
}

void hub_device_names_free(struct hub_device_names *nm)
{
  free(nm->v);
  nm->v = NULL;
  nm->n = nm->cap = 0;
}
