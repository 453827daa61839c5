/*
 * error.c - the error envelope every non-2xx reply carries:
 * {"error":{"code":"...","message":"...","record":N}}.
 *
 * code is machine-readable (a wire name of proto_err.h's table; a device
 * accepts any 1-31 of [a-z0-9_] and parses it to PROTO_ERR_UNKNOWN if it
 * does not know it), message is for people, and record, only when the
 * refusal is about one record of a push request, is that record's index.
 */
#include "compat.h"

#include "proto.h"

#include "json.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *error_encode(enum proto_err code, long record, const char *message)
{
  cJSON *j = cJSON_CreateObject(), *e;
  const char *name;
  char digits[24];
  char *text = NULL;

  if (j == NULL)
    return NULL;
  e = cJSON_AddObjectToObject(j, "error");
  /* Never send an envelope the other end would refuse. */
  if (code == PROTO_ERR_UNKNOWN || (unsigned)code >= PROTO_ERR_COUNT_)
    code = PROTO_ERR_INTERNAL;
  name = proto_err_name(code);
  if (message == NULL || message[0] == '\0')
    message = name;
  snprintf(digits, sizeof(digits), "%ld", record);
  if (e != NULL && wire_add_text(e, "code", name) &&
      wire_add_text(e, "message", message) &&
      (record < 0 || record >= PROTO_MAX_BATCH ||
       cJSON_AddRawToObject(e, "record", digits) != NULL))
    text = json_canon(j);
  cJSON_Delete(j);
  return text;
}

/* Reads the members of the "error" object e into *out. */
static int envelope_read(struct proto_error *out, const cJSON *e,
                         struct sb_err *err)
{
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "record");
  uint64_t index = 0;

  if (!cJSON_IsObject(e))
    return sb_err_set(err, SB_EPROTOCOL,
                      "error reply: \"error\" must be an object");
  if (!cJSON_IsString(c) || !wire_code_valid(c->valuestring))
    return sb_err_set(err, SB_EPROTOCOL,
                      "error reply: \"code\" must be 1-%d of a-z, 0-9, '_'",
                      PROTO_ERR_NAME_MAX);
  if (!cJSON_IsString(m) || m->valuestring[0] == '\0')
    return sb_err_set(err, SB_EPROTOCOL,
                      "error reply: \"message\" must be a non-empty string");
  if (r != NULL && (!wire_u64(r, &index) || index >= PROTO_MAX_BATCH))
    return sb_err_set(err, SB_EPROTOCOL,
                      "error reply: \"record\" must be an integer from 0 to "
                      "%d",
                      PROTO_MAX_BATCH - 1);
  snprintf(out->name, sizeof(out->name), "%s", c->valuestring);
  out->code = proto_err_parse(out->name);
  out->record = r != NULL ? (long)index : -1;
  snprintf(out->message, sizeof(out->message), "%s", m->valuestring);
  return 0;
}

int error_decode(struct proto_error *e, const char *body, size_t len,
                 struct sb_err *err)
{
  struct proto_error got;
  cJSON *j;
  int rc;

  rc = wire_parse(&j, body, len, "error reply", err);
  if (rc != 0)
    return rc;
  memset(&got, 0, sizeof(got));
  rc = envelope_read(&got, cJSON_GetObjectItemCaseSensitive(j, "error"), err);
  if (rc == 0)
    *e = got;
  cJSON_Delete(j);
  return rc;
}

const char *proto_record_message(const char *collection, const char *id,
                                 const char *message)
{
  size_t c = strlen(collection), i = strlen(id);

  if (strncmp(message, collection, c) == 0 && message[c] == '/' &&
      strncmp(message + c + 1, id, i) == 0 &&
      strncmp(message + c + 1 + i, ": ", 2) == 0)
    return message + c + 1 + i + 2;
  return message;
}
