/*
 * error.c - the error envelope every non-2xx reply carries:
 * {"error":{"code":"...","message":"..."}}.
 *
 * code is machine-readable (1-31 of [a-z0-9_], e.g. "forged_dot"), message
 * is for people. The decoder is used by the field daemon to report the
 * hub's refusal; it truncates to the caller's buffers.
 */
#include "compat.h"

#include "proto.h"

#include "json.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *error_encode(const char *code, const char *message)
{
  cJSON *j = cJSON_CreateObject(), *e;
  char *text = NULL;

  if (j == NULL)
    return NULL;
  e = cJSON_AddObjectToObject(j, "error");
  /* Never send an envelope the other end would refuse. */
  if (code == NULL || !wire_code_valid(code))
    code = "internal";
  if (message == NULL || message[0] == '\0')
    message = code;
  if (e != NULL && wire_add_text(e, "code", code) &&
      wire_add_text(e, "message", message))
    text = json_canon(j);
  cJSON_Delete(j);
  return text;
}

int error_decode(const char *body, size_t len, char *code,
                       size_t code_len, char *message, size_t message_len)
{
  const cJSON *e, *c, *m;
  int rc = SB_EPROTOCOL;
  cJSON *j;

  if (wire_parse(&j, body, len, "error reply", NULL) != 0)
    return SB_EPROTOCOL;
  e = cJSON_GetObjectItemCaseSensitive(j, "error");
  c = cJSON_GetObjectItemCaseSensitive(e, "code");
  m = cJSON_GetObjectItemCaseSensitive(e, "message");
  if (cJSON_IsObject(e) && cJSON_IsString(c) && cJSON_IsString(m) &&
      wire_code_valid(c->valuestring) && m->valuestring[0] != '\0') {
    if (code_len > 0)
      snprintf(code, code_len, "%s", c->valuestring);
    if (message_len > 0)
      snprintf(message, message_len, "%s", m->valuestring);
    rc = 0;
  }
  cJSON_Delete(j);
  return rc;
}
