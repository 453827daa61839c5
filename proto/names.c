/*
 * names.c - GET /v1/names?replicas=R1,R2,...: which enrolled device writes
 * as each replica (PROTOCOL.md, "Device names"), so a device can name the
 * authors of the values in its conflicts. Reply: {"names":{"R1":"NAME",
 * ...}}, replicas no device has used left out.
 */
#include "compat.h"

#include "proto.h"

#include "json.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool proto_device_name_valid(const char *s)
{
  size_t n;

  for (n = 0; s[n] != '\0'; n++) {
    char ch = s[n];
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9');
    if (n == PROTO_DEVICE_NAME_MAX)
      return false;
    if (!alnum && (n == 0 || (ch != '-' && ch != '_' && ch != '.')))
      return false;
  }
  return n > 0;
}

void names_init(struct proto_names *nm)
{
  memset(nm, 0, sizeof(*nm));
}

void names_release(struct proto_names *nm)
{
  free(nm->v);
  names_init(nm);
}

/* Index of replica in nm, or nm->n. */
static size_t names_index(const struct proto_names *nm, const char *replica)
{
  size_t i;

  for (i = 0; i < nm->n && strcmp(nm->v[i].replica, replica) != 0; i++)
    ;
  return i;
}

const char *names_find(const struct proto_names *nm, const char *replica)
{
  size_t i = names_index(nm, replica);
  return i < nm->n ? nm->v[i].name : NULL;
}

int names_add(struct proto_names *nm, const char *replica, const char *name)
{
  struct proto_name *v;

  if (!vv_replica_id_valid(replica) ||
      (name[0] != '\0' && !proto_device_name_valid(name)))
    return SB_EINVAL;
  if (names_index(nm, replica) < nm->n)
    return 0;
  if (nm->n == PROTO_NAMES_MAX)
    return SB_ETOOBIG;
  if (nm->v == NULL) {
    nm->v = calloc(PROTO_NAMES_MAX, sizeof(*nm->v));
    if (nm->v == NULL)
      return SB_ENOMEM;
  }
  v = &nm->v[nm->n++];
  snprintf(v->replica, sizeof(v->replica), "%s", replica);
  snprintf(v->name, sizeof(v->name), "%s", name);
  return 0;
}

int names_query_parse(struct proto_names *nm, const char *text,
                      struct sb_err *err)
{
  char replica[SB_REPLICA_MAX + 2];
  const char *p = text;
  size_t len;
  int rc;

  names_release(nm);
  if (text == NULL || text[0] == '\0')
    return sb_err_set(err, SB_EINVAL,
                      "query parameter \"replicas\" is required: 1 to %d "
                      "replica ids, separated by commas",
                      PROTO_NAMES_MAX);
  for (;;) {
    len = strcspn(p, ",");
    snprintf(replica, sizeof(replica), "%.*s",
             (int)(len < sizeof(replica) - 1 ? len : sizeof(replica) - 1), p);
    if (len >= sizeof(replica) - 1 || !vv_replica_id_valid(replica)) {
      names_release(nm);
      return sb_err_set(err, SB_EINVAL,
                        "query parameter \"replicas\": \"%.40s\" is not a "
                        "replica id (1-%d of A-Z, a-z, 0-9, '-', '_')",
                        replica, SB_REPLICA_MAX);
    }
    rc = names_add(nm, replica, "");
    if (rc != 0) {
      names_release(nm);
      return rc != SB_ETOOBIG
                 ? sb_err_set(err, rc, NULL)
                 : sb_err_set(err, SB_EINVAL,
                              "query parameter \"replicas\": more than %d "
                              "replica ids",
                              PROTO_NAMES_MAX);
    }
    if (p[len] == '\0')
      return 0;
    p += len + 1;
  }
}

char *names_encode(const struct proto_names *nm)
{
  cJSON *j = cJSON_CreateObject(), *o;
  char *text = NULL;
  size_t i;

  if (j == NULL)
    return NULL;
  o = cJSON_AddObjectToObject(j, "names");
  for (i = 0; o != NULL && i < nm->n; i++) {
    if (nm->v[i].name[0] != '\0' &&
        cJSON_AddStringToObject(o, nm->v[i].replica, nm->v[i].name) == NULL)
      o = NULL;
  }
  if (o != NULL)
    text = json_canon(j);
  cJSON_Delete(j);
  return text;
}

int names_decode(struct proto_names *nm, const char *body, size_t len,
                 struct sb_err *err)
{
  const cJSON *o, *e;
  cJSON *j;
  int rc;

  names_release(nm);
  rc = wire_parse(&j, body, len, "names reply", err);
  if (rc != 0)
    return rc;
  o = cJSON_GetObjectItemCaseSensitive(j, "names");
  if (!cJSON_IsObject(o)) {
    o = NULL;
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "names reply: \"names\" must be an object");
  }
  cJSON_ArrayForEach(e, o)
  {
    if (!cJSON_IsString(e) || !vv_replica_id_valid(e->string) ||
        !proto_device_name_valid(e->valuestring)) {
      rc = sb_err_set(err, SB_EPROTOCOL,
                      "names reply: each member must be a replica id naming "
                      "a device name (1-%d of A-Z, a-z, 0-9, '.', '-', '_')",
                      PROTO_DEVICE_NAME_MAX);
      break;
    }
    rc = names_add(nm, e->string, e->valuestring);
    if (rc != 0) {
      rc = rc != SB_ETOOBIG
               ? sb_err_set(err, rc, NULL)
               : sb_err_set(err, SB_EPROTOCOL,
                            "names reply: more than %d names", PROTO_NAMES_MAX);
      break;
    }
  }
  cJSON_Delete(j);
  if (rc != 0)
    names_release(nm);
  return rc;
}
