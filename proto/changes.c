/*
 * changes.c - GET /v1/changes: its query (since, limit, wait) and its reply,
 * one page of the hub's change feed.
 *
 * Page: {"changes":[{"record":state,"seq":N}, ...],"more":bool,"next":N,
 * "scope":TEXT}, seqs strictly increasing, at most PROTO_MAX_PAGE changes;
 * an entry {"gone":{"collection":C,"id":I},"seq":N} tells a device that a
 * record left its scope ("scope", optional: the device's scope). The hub keeps
 * each record's canonical state text, so the encoder splices those texts
 * in without parsing them again (the pull fast path).
 */
#include "compat.h"

#include "proto.h"

#include "buf.h"
#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- page -------------------------------------------------------------- */

void changes_page_init(struct changes_page *p)
{
  p->c = NULL;
  p->n = 0;
  p->more = false;
  p->next = 0;
  p->scope = NULL;
  p->horizon = 0;
}

void changes_page_release(struct changes_page *p)
{
  size_t i;
  for (i = 0; i < p->n; i++)
    record_release(&p->c[i].rec);
  free(p->c);
  free(p->scope);
  changes_page_init(p);
}

/* Reads a gone entry's {"collection":C,"id":I} into c. */
static int gone_decode(struct change *c, const cJSON *g, struct sb_err *err)
{
  const cJSON *coll = cJSON_GetObjectItemCaseSensitive(g, "collection");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(g, "id");

  if (!cJSON_IsObject(g) || cJSON_GetArraySize(g) != 2 ||
      !cJSON_IsString(coll) || !cJSON_IsString(id) ||
      !record_name_valid(coll->valuestring) ||
      !record_id_valid(id->valuestring))
    return sb_err_set(err, SB_EPROTOCOL,
                      "\"gone\" must be {\"collection\":NAME,\"id\":ID}");
  record_init(&c->rec, coll->valuestring, id->valuestring);
  c->gone = true;
  return 0;
}

/* Reads {"record":state,"seq":N} (or a gone entry) into c; seq must
 * exceed prev. */
static int change_decode(struct change *c, const cJSON *j, uint64_t prev,
                         struct sb_err *err)
{
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
  const cJSON *gone = cJSON_GetObjectItemCaseSensitive(j, "gone");

  if (!cJSON_IsObject(j))
    return sb_err_set(err, SB_EPROTOCOL, "must be an object");
  if (!wire_u64(seq, &c->seq) || c->seq == 0)
    return sb_err_set(err, SB_EPROTOCOL,
                      "\"seq\" must be an integer from 1 to 2^53");
  if (c->seq <= prev)
    return sb_err_set(err, SB_EPROTOCOL,
                      "\"seq\" %llu does not follow %llu (seqs must increase)",
                      (unsigned long long)c->seq, (unsigned long long)prev);
  if (gone != NULL) {
    if (cJSON_GetArraySize(j) != 2)
      return sb_err_set(err, SB_EPROTOCOL,
                        "a gone entry has only \"gone\" and \"seq\"");
    return gone_decode(c, gone, err);
  }
  return wire_record(&c->rec, cJSON_GetObjectItemCaseSensitive(j, "record"),
                     err);
}

/* The optional "horizon" of a page into p->horizon (absent: 0). */
static int horizon_decode(struct changes_page *p, const cJSON *h,
                          struct sb_err *err)
{
  if (h == NULL)
    return 0;
  if (!wire_u64(h, &p->horizon))
    return sb_err_set(err, SB_EPROTOCOL,
                      "changes page: \"horizon\" must be an integer from 0 "
                      "to 2^53");
  return 0;
}

/* The optional "scope" of a page into p->scope. */
static int scope_decode(struct changes_page *p, const cJSON *scope,
                        struct sb_err *err)
{
  size_t len;

  if (scope == NULL)
    return 0;
  if (!cJSON_IsString(scope) ||
      (len = strlen(scope->valuestring)) == 0 || len > PROTO_SCOPE_MAX ||
      strspn(scope->valuestring, ",") > 0)
    return sb_err_set(err, SB_EPROTOCOL,
                      "changes page: \"scope\" must be a non-empty string "
                      "of at most %d bytes",
                      PROTO_SCOPE_MAX);
  p->scope = strdup(scope->valuestring);
  return p->scope == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
}

int changes_page_decode(struct changes_page *p, const char *body, size_t len,
                        struct sb_err *err)
{
  const cJSON *changes, *more, *next, *c;
  uint64_t prev = 0;
  size_t n, i;
  cJSON *j;
  int rc;

  changes_page_release(p);
  rc = wire_parse(&j, body, len, "changes page", err);
  if (rc != 0)
    return rc;
  changes = cJSON_GetObjectItemCaseSensitive(j, "changes");
  more = cJSON_GetObjectItemCaseSensitive(j, "more");
  next = cJSON_GetObjectItemCaseSensitive(j, "next");
  if (!cJSON_IsBool(more)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "changes page: \"more\" must be true or false");
    goto out;
  }
  if (!wire_u64(next, &p->next)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "changes page: \"next\" must be an integer from 0 to "
                    "2^53");
    goto out;
  }
  p->more = cJSON_IsTrue(more);
  rc = scope_decode(p, cJSON_GetObjectItemCaseSensitive(j, "scope"), err);
  if (rc == 0)
    rc = horizon_decode(p, cJSON_GetObjectItemCaseSensitive(j, "horizon"),
                        err);
  if (rc != 0)
    goto out;
  if (!cJSON_IsArray(changes)) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "changes page: \"changes\" must be an array");
    goto out;
  }
  n = (size_t)cJSON_GetArraySize(changes);
  if (n > PROTO_MAX_PAGE) {
    rc = sb_err_set(err, SB_EPROTOCOL,
                    "changes page: too many changes (%zu, at most %d)", n,
                    PROTO_MAX_PAGE);
    goto out;
  }
  if (n > 0) {
    p->c = calloc(n, sizeof(*p->c));
    if (p->c == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, NULL);
      goto out;
    }
  }
  for (i = 0, c = changes->child; c != NULL; c = c->next, i++) {
    record_init(&p->c[i].rec, "", "");
    rc = change_decode(&p->c[i], c, prev, err);
    if (rc != 0) {
      sb_err_prefix(err, "changes page: changes[%zu]", i);
      goto out;
    }
    prev = p->c[i].seq;
    p->n = i + 1;
  }
  rc = 0;
out:
  if (rc != 0)
    changes_page_release(p);
  cJSON_Delete(j);
  return rc;
}

char *changes_gone_encode(const char *collection, const char *id)
{
  cJSON *j = cJSON_CreateObject();
  char *text = NULL;

  if (j != NULL && cJSON_AddStringToObject(j, "collection", collection) &&
      cJSON_AddStringToObject(j, "id", id))
    text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return text;
}

char *changes_page_encode(const uint64_t *seqs, const char *const *states,
                          size_t n, bool more, uint64_t next)
{
  return changes_page_encode_scoped(seqs, states, NULL, n, more, next, NULL);
}

char *changes_page_encode_scoped(const uint64_t *seqs,
                                 const char *const *states, const bool *gone,
                                 size_t n, bool more, uint64_t next,
                                 const char *scope)
{
  return changes_page_encode_horizon(seqs, states, gone, n, more, next, scope,
                                     0);
}

char *changes_page_encode_horizon(const uint64_t *seqs,
                                  const char *const *states, const bool *gone,
                                  size_t n, bool more, uint64_t next,
                                  const char *scope, uint64_t horizon)
{
  struct buf b;
  size_t i;

  /* Keys in canonical order: changes, horizon, more, next, scope; gone or
   * record, seq. */
  buf_init(&b);
  buf_adds(&b, "{\"changes\":[");
  for (i = 0; i < n; i++) {
    bool g = gone != NULL && gone[i];
    buf_adds(&b, i > 0 ? ",{" : "{");
    buf_adds(&b, g ? "\"gone\":" : "\"record\":");
    buf_adds(&b, states[i]);
    buf_adds(&b, ",\"seq\":");
    buf_addu(&b, seqs[i]);
    buf_adds(&b, "}");
  }
  buf_adds(&b, "]");
  if (horizon > 0) {
    buf_adds(&b, ",\"horizon\":");
    buf_addu(&b, horizon);
  }
  buf_adds(&b, more ? ",\"more\":true,\"next\":" : ",\"more\":false,\"next\":");
  buf_addu(&b, next);
  if (scope != NULL) {
    cJSON *js = cJSON_CreateString(scope);
    char *q = js != NULL ? cJSON_PrintUnformatted(js) : NULL;
    cJSON_Delete(js);
    if (q == NULL) {
      buf_release(&b);
      return NULL;
    }
    buf_adds(&b, ",\"scope\":");
    buf_adds(&b, q);
    free(q);
  }
  buf_adds(&b, "}");
  return buf_take(&b, NULL);
}

/* --- query ------------------------------------------------------------- */

/*
 * Reads the decimal text s (NULL: dflt) into *out, within [min, max].
 * Digits only: no sign, space, or empty value.
 */
static int query_number(uint64_t *out, const char *name, const char *s,
                        uint64_t dflt, uint64_t min, uint64_t max,
                        struct sb_err *err)
{
  unsigned long long v;
  size_t len;

  if (s == NULL) {
    *out = dflt;
    return 0;
  }
  len = strlen(s);
  if (len == 0 || strspn(s, "0123456789") != len)
    return sb_err_set(err, SB_EPROTOCOL,
                      "query parameter \"%s\": \"%.40s\" is not a decimal "
                      "number",
                      name, s);
  errno = 0;
  v = strtoull(s, NULL, 10);
  if (errno == ERANGE || v < min || v > max)
    return sb_err_set(err, SB_EPROTOCOL,
                      "query parameter \"%s\": %.40s is out of range (%llu "
                      "to %llu)",
                      name, s, (unsigned long long)min,
                      (unsigned long long)max);
  *out = v;
  return 0;
}

int changes_query_parse(struct changes_query *q, const char *since,
                        const char *limit, const char *wait, struct sb_err *err)
{
  uint64_t s = 0, l = 0, w = 0;
  int rc;

  rc = query_number(&s, "since", since, 0, 0, UINT64_MAX, err);
  if (rc == 0)
    rc = query_number(&l, "limit", limit, PROTO_DEFAULT_PAGE, 1, PROTO_MAX_PAGE,
                      err);
  if (rc == 0)
    rc = query_number(&w, "wait", wait, 0, 0, PROTO_MAX_WAIT_S, err);
  if (rc != 0)
    return rc;
  q->since = s;
  q->limit = (unsigned)l;
  q->wait_s = (unsigned)w;
  return 0;
}

int changes_query_skip_own(const char *value, bool *skip, struct sb_err *err)
{
  *skip = false;
  if (value == NULL || strcmp(value, "0") == 0)
    return 0;
  if (strcmp(value, "1") == 0) {
    *skip = true;
    return 0;
  }
  return sb_err_set(err, SB_EINVAL,
                    "query parameter \"skip_own\": \"%.32s\" is not 0 or 1",
                    value);
}
