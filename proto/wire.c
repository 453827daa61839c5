/*
 * wire.c - what every proto/ decoder and encoder needs: parsing a body,
 * turning lower layers' refusals into SB_EPROTOCOL, exact integers (JSON
 * numbers are doubles, so seqs and counters stop at 2^53), and text that
 * is always valid UTF-8.
 */
#include "compat.h"

#include "wire.h"

#include "json.h"
#include "json_strict.h"
#include "proto.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/* Turns a lower layer's refusal rc into SB_EPROTOCOL (in err too). */
static int wire_refuse(struct sb_err *err, int rc)
{
  if (rc == SB_ENOMEM)
    return rc;
  if (err != NULL)
    err->code = SB_EPROTOCOL;
  return SB_EPROTOCOL;
}

int wire_parse(cJSON **out, const char *body, size_t len, const char *what,
               struct sb_err *err)
{
  struct sb_err perr = {0};
  cJSON *j;

  *out = NULL;
  if (len > PROTO_MAX_BODY)
    return sb_err_set(err, SB_EPROTOCOL,
                      "%s is too large (%zu bytes, at most %d)", what, len,
                      PROTO_MAX_BODY);
  if (body == NULL && len > 0)
    return sb_err_set(err, SB_EPROTOCOL, "%s is missing", what);
  j = json_parse(body != NULL ? body : "", len, what, &perr);
  if (j == NULL)
    return sb_err_set(err, perr.code == SB_ENOMEM ? SB_ENOMEM : SB_EPROTOCOL,
                      "%s", perr.msg);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return sb_err_set(err, SB_EPROTOCOL, "%s must be a JSON object", what);
  }
  *out = j;
  return 0;
}

int wire_parse_spans(cJSON **out, const char *body, size_t len,
                     const char *what, struct json_spans *sp,
                     struct sb_err *err)
{
  char *skel = NULL;
  size_t i, n = 0, from = 0;
  int rc;

  *out = NULL;
  sp->spans = NULL;
  sp->n = 0;
  if (len > PROTO_MAX_BODY || (body == NULL && len > 0))
    return wire_parse(out, body, len, what, err);
  if (len > 0 && !utf8_valid(body, len))
    return sb_err_set(err, SB_EPROTOCOL, "%s is not valid UTF-8", what);
  if (len > 0 && memchr(body, '\0', len) != NULL)
    return sb_err_set(err, SB_EPROTOCOL, "%s contains a NUL byte", what);
  rc = json_strict_check(body != NULL ? body : "", len, what, sp, err);
  if (rc != 0)
    return wire_refuse(err, rc);
  /* The body without the spans' text (each becomes 0): small, parsed whole
   * for its shape and duplicate keys; the spans are parsed one by one. */
  skel = malloc(len + 2 * sp->n + 1);
  if (skel == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto fail;
  }
  for (i = 0; i < sp->n; i++) {
    memcpy(skel + n, body + from, sp->spans[i].off - from);
    n += sp->spans[i].off - from;
    skel[n++] = '0';
    from = sp->spans[i].off + sp->spans[i].len;
  }
  memcpy(skel + n, body + from, len - from);
  n += len - from;
  rc = wire_parse(out, skel, n, what, err);
  free(skel);
  if (rc == 0)
    return 0;
fail:
  free(sp->spans);
  sp->spans = NULL;
  sp->n = 0;
  return rc;
}

bool wire_u64(const cJSON *j, uint64_t *out)
{
  if (!json_is_int(j, 0, (int64_t)SB_COUNTER_MAX))
    return false;
  *out = (uint64_t)j->valuedouble;
  return true;
}

bool wire_add_text(cJSON *obj, const char *key, const char *s)
{
  size_t len = strlen(s), i = 0, n = 0;
  char *clean = malloc(len + 1);
  bool ok;

  if (clean == NULL)
    return false;
  /* Keep each valid character (1 to 4 bytes); replace stray bytes. */
  while (i < len) {
    size_t k;
    for (k = 1; k <= 4 && i + k <= len; k++) {
      if (utf8_valid(s + i, k))
        break;
    }
    if (k <= 4 && i + k <= len) {
      memcpy(clean + n, s + i, k);
      n += k;
      i += k;
    } else {
      clean[n++] = '?';
      i++;
    }
  }
  clean[n] = '\0';
  ok = cJSON_AddStringToObject(obj, key, clean) != NULL;
  free(clean);
  return ok;
}

bool wire_code_valid(const char *s)
{
  size_t n;
  for (n = 0; s[n] != '\0'; n++) {
    if (n == 31 || !((s[n] >= 'a' && s[n] <= 'z') ||
                     (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
      return false;
  }
  return n > 0;
}

int wire_refuse_rc(struct sb_err *err, int rc)
{
  return wire_refuse(err, rc);
}

int wire_record(struct record *r, const cJSON *j, struct sb_err *err)
{
  int rc = record_from_json(r, j, err);
  if (rc != 0)
    return wire_refuse(err, rc);
  if (record_empty(r)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "record %s/%s has no history (empty \"vv\")", r->collection,
                    r->id);
    record_release(r);
    return rc;
  }
  return 0;
}
