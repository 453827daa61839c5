/*
 * hub_routes_names.c - GET /v1/names?replicas=R1,R2,... (PROTOCOL.md,
 * "Device names"): the names of the enrolled devices that write as the
 * replicas a device asks for, so its `sambang conflicts` can say who wrote
 * each competing value. An authenticated device learns only the names of
 * replicas it already knows (ids are 64 random bits, found in the states
 * it holds); the office gives device names (`sambang-hub device add`).
 */
#include "compat.h"

#include "hub_routes.h"

#include "hub_call.h"
#include "hub_device_names.h"
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hub_routes_names(struct hub_call *c)
{
  struct hub_device_names all = {0};
  struct proto_names want;
  struct sb_err err = {0};
  const char *name;
  size_t i;
  int rc;

  if (!hub_routes_authenticate(c))
    return;
  names_init(&want);
  rc = names_query_parse(&want, c->q_replicas, &err);
  if (rc == SB_EINVAL) {
    hub_routes_reply_error(&c->out, PROTO_ERR_BAD_QUERY, "%s", err.msg);
    return;
  }
  if (rc == 0) {
    uv_mutex_lock(c->rhs != NULL ? c->rlock : c->lock);
    rc = hub_device_names_load(c->rhs != NULL ? c->rhs : c->hs, &all, &err);
    uv_mutex_unlock(c->rhs != NULL ? c->rlock : c->lock);
  }
  if (rc != 0) {
    hub_device_names_free(&all);
    names_release(&want);
    hub_routes_reply_store_error(&c->out, rc, &err);
    return;
  }
  for (i = 0; i < want.n; i++) {
    name = hub_device_names_find(&all, want.v[i].replica);
    snprintf(want.v[i].name, sizeof(want.v[i].name), "%s",
             name != NULL ? name : "");
  }
  hub_device_names_free(&all);
  hub_routes_reply_json(&c->out, names_encode(&want), c->gzip_ok);
  names_release(&want);
}
