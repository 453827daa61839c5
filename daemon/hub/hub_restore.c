/*
 * hub_restore.c - the store's generation and `sambang-hub restored`
 * (hub_restore.h). Kept in the backend's meta:
 *   hub.generation       16 hex digits, new at each restore
 *   hub.past_replicas    the hub's replica ids before restores, comma-
 *                        separated (a device may not bind to one)
 */
#include "compat.h"

#include "hub_restore.h"

#include "hub_push_chain.h"
#include "hub_store_int.h"
#include "uuid.h"
#include "vv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_GENERATION "hub.generation"
#define KEY_PAST "hub.past_replicas"

/* The generation kept in the store into out ("" if none). */
static int generation_read(struct hub_store *hs, char *out, struct sb_err *err)
{
  char *text = NULL;
  int rc = hub_store_meta_maybe(hs->ops, hs->be, KEY_GENERATION, &text, err);

  out[0] = '\0';
  if (rc != 0 || text == NULL)
    return rc;
  if (!vv_replica_id_valid(text))
    rc = sb_err_set(err, SB_ECORRUPT,
                    "the hub's generation \"%.40s\" is "
                    "malformed",
                    text);
  else
    snprintf(out, HUB_GENERATION_LEN + 1, "%s", text);
  free(text);
  return rc;
}

/* A new random generation, kept in the store (inside a transaction). */
static int generation_new(struct hub_store *hs, char *out, struct sb_err *err)
{
  if (uuid_replica_id_new(out) != 0)
    return sb_err_set(err, SB_EIO, "no random bytes for a generation");
  return hs->ops->meta_set(hs->be, KEY_GENERATION, out, err);
}

int hub_restore_generation(struct hub_store *hs, char *out, struct sb_err *err)
{
  int rc = generation_read(hs, out, err);

  if (rc != 0 || out[0] != '\0')
    return rc;
  /* Made by the first hub to start; the write lock makes a second one
   * starting at once read it instead of making its own. */
  rc = hs->ops->begin(hs->be, err);
  if (rc != 0)
    return rc;
  rc = generation_read(hs, out, err);
  if (rc == 0 && out[0] == '\0')
    rc = generation_new(hs, out, err);
  if (rc == 0)
    return hs->ops->commit(hs->be, err);
  hs->ops->rollback(hs->be);
  return rc;
}

/* Adds the hub's current replica id to the past ones. */
static int past_add(struct hub_store *hs, const char *replica,
                    struct sb_err *err)
{
  char *past = NULL, *joined;
  int rc = hub_store_meta_maybe(hs->ops, hs->be, KEY_PAST, &past, err);
  size_t n;

  if (rc != 0)
    return rc;
  if (past == NULL)
    return hs->ops->meta_set(hs->be, KEY_PAST, replica, err);
  n = strlen(past) + strlen(replica) + 2;
  joined = malloc(n);
  if (joined == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  else {
    snprintf(joined, n, "%s,%s", past, replica);
    rc = hs->ops->meta_set(hs->be, KEY_PAST, joined, err);
  }
  free(joined);
  free(past);
  return rc;
}

int hub_restore_mark(struct hub_store *hs, struct hub_restore *out,
                     struct sb_err *err)
{
  int rc;

  memset(out, 0, sizeof(*out));
  if (hs->ops->replica_renew == NULL)
    return sb_err_set(err, SB_EINVAL,
                      "the %s hub store cannot take a new replica id",
                      hs->ops->name);
  rc = hs->ops->begin(hs->be, err);
  if (rc != 0)
    return rc;
  snprintf(out->old_replica, sizeof(out->old_replica), "%s",
           hs->ops->replica(hs->be));
  rc = generation_read(hs, out->old_generation, err);
  if (rc == 0)
    rc = past_add(hs, out->old_replica, err);
  if (rc == 0)
    rc = hs->ops->replica_renew(hs->be, err);
  if (rc == 0)
    rc = generation_new(hs, out->generation, err);
  /* The chains went back with the store: devices' are ahead of them. */
  if (rc == 0)
    rc = hub_push_chain_forget(hs->ops, hs->be, NULL, err);
  if (rc == 0)
    rc = hs->ops->commit(hs->be, err);
  else
    hs->ops->rollback(hs->be);
  if (rc == 0)
    snprintf(out->replica, sizeof(out->replica), "%s",
             hs->ops->replica(hs->be));
  return rc;
}

/* Copies key from one store to the other, if it has it. */
static int meta_copy(struct hub_store *from, struct hub_store *to,
                     const char *key, struct sb_err *err)
{
  char *v = NULL;
  int rc = hub_store_meta_maybe(from->ops, from->be, key, &v, err);

  if (rc == 0 && v != NULL)
    rc = to->ops->meta_set(to->be, key, v, err);
  free(v);
  return rc;
}

int hub_restore_copy(struct hub_store *from, struct hub_store *to,
                     struct sb_err *err)
{
  int rc = meta_copy(from, to, KEY_GENERATION, err);

  return rc == 0 ? meta_copy(from, to, KEY_PAST, err) : rc;
}

int hub_restore_refuse_past(struct hub_store *hs, const char *replica,
                            struct sb_err *err)
{
  char *past = NULL, *p;
  size_t n = strlen(replica);
  bool found = false;
  int rc = hub_store_meta_maybe(hs->ops, hs->be, KEY_PAST, &past, err);

  if (rc != 0 || past == NULL)
    return rc;
  for (p = past; p != NULL && !found; p = strchr(p, ',')) {
    if (*p == ',')
      p++;
    found = strncmp(p, replica, n) == 0 && (p[n] == ',' || p[n] == '\0');
  }
  free(past);
  if (found)
    return sb_err_set(err, SB_ECONFLICT,
                      "replica id %s was the hub's own before a restore",
                      replica);
  return 0;
}
