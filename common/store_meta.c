/*
 * store_meta.c - the meta table of a store (see store.h): a few named
 * settings beside the records. Some are the store's own (replica id,
 * schema text, the HLC as decimal text, the hub clock offset as
 * "OFFSET_MS HUB_MS") and cannot be set from outside;
 * the others (server URL, token, sync checkpoints...) belong to callers.
 */
#include "compat.h"

#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool store_parse_u64(const char *text, uint64_t *out)
{
  char *end;
  unsigned long long n;
  if (text[0] < '0' || text[0] > '9')
    return false;
  errno = 0;
  n = strtoull(text, &end, 10);
  if (*end != '\0' || errno != 0)
    return false;
  *out = (uint64_t)n;
  return true;
}

/* meta[key] as a malloc'd string; SB_ENOTFOUND (no message) if absent. */
int store_meta_read(struct store *s, const char *key, char **value,
                    struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_META_GET];
  int rc;

  *value = NULL;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    *value = v != NULL ? strdup(v) : NULL;
    rc = *value != NULL ? 0 : SB_ENOMEM;
    if (rc != 0)
      sb_err_set(err, rc, "out of memory reading %s from store %s", key,
                 s->path);
  } else if (rc == SQLITE_DONE) {
    rc = SB_ENOTFOUND;
  } else {
    rc = store_sqlerr(s, rc, "reading meta", err);
  }
  store_stmt_done(st);
  return rc;
}

int store_meta_write(struct store *s, const char *key, const char *value,
                     struct sb_err *err)
{
  sqlite3_stmt *st = s->st[ST_META_SET];
  int rc;

  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  rc = store_run(s, ST_META_SET, "writing meta", err);
  store_tx_check(s);
  return rc;
}

/* Parses "OFFSET_MS HUB_MS" (offset may have a '-'); false if it is not. */
static bool parse_offset(const char *text, struct hlc_offset *o)
{
  char num[24];
  const char *space = strchr(text, ' ');
  bool neg = text[0] == '-';
  uint64_t mag;
  size_t n;

  if (space == NULL)
    return false;
  n = (size_t)(space - text) - (neg ? 1 : 0);
  if (n == 0 || n >= sizeof(num))
    return false;
  memcpy(num, text + (neg ? 1 : 0), n);
  num[n] = '\0';
  if (!store_parse_u64(num, &mag) || mag > (uint64_t)INT64_MAX ||
      !store_parse_u64(space + 1, &o->hub_ms))
    return false;
  o->offset_ms = neg ? -(int64_t)mag : (int64_t)mag;
  return true;
}

int store_clock_offset_get(struct store *s, struct hlc_offset *o,
                           struct sb_err *err)
{
  char *text = NULL;
  int rc = store_meta_read(s, "clock_offset", &text, err);

  o->offset_ms = 0;
  o->hub_ms = 0;
  if (rc == SB_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (!parse_offset(text, o)) {
    rc = sb_err_set(err, SB_ECORRUPT,
                    "store %s has a bad clock offset \"%.40s\"", s->path, text);
    o->offset_ms = 0;
    o->hub_ms = 0;
  }
  free(text);
  return rc;
}

int store_clock_offset_set(struct store *s, const struct hlc_offset *o,
                           struct sb_err *err)
{
  char text[48];
  int rc;

  if (!s->in_tx)
    return sb_err_set(err, SB_EINVAL, "store %s: no transaction open", s->path);
  snprintf(text, sizeof(text), "%lld %llu", (long long)o->offset_ms,
           (unsigned long long)o->hub_ms);
  rc = store_meta_write(s, "clock_offset", text, err);
  if (rc == 0)
    s->offset = *o;
  return rc;
}

/* Loads the hub offset, then takes the stored HLC into the in-memory
 * clock, bounded by the corrected wall clock (hlc_observe). */
int store_load_hlc(struct store *s, struct sb_err *err)
{
  char *text = NULL;
  uint64_t ts;
  int rc = store_clock_offset_get(s, &s->offset, err);

  if (rc != 0)
    return rc;
  rc = store_meta_read(s, "hlc", &text, err);

  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, SB_ECORRUPT, "store %s has no clock (meta hlc)",
                      s->path);
  if (rc != 0)
    return rc;
  if (!store_parse_u64(text, &ts)) {
    rc = sb_err_set(err, SB_ECORRUPT, "store %s has a bad clock value \"%s\"",
                    s->path, text);
  } else {
    hlc_observe(&s->clock, ts, hlc_offset_apply(&s->offset, hlc_wall_ms()));
  }
  free(text);
  return rc;
}

int store_meta_get(struct store *s, const char *key, char **value,
                   struct sb_err *err)
{
  int rc = store_meta_read(s, key, value, err);
  if (rc == SB_ENOTFOUND)
    sb_err_set(err, rc, "no setting %s in store %s", key, s->path);
  return rc;
}

int store_meta_set(struct store *s, const char *key, const char *value,
                   struct sb_err *err)
{
  struct schema *parsed = NULL;
  char *copy = NULL;
  int rc;

  /* The store manages these itself; overwriting them would break it. */
  if (strcmp(key, "replica") == 0 || strcmp(key, "hlc") == 0 ||
      strcmp(key, "clock_offset") == 0)
    return sb_err_set(err, SB_EINVAL, "setting %s is managed by the store",
                      key);
  rc = store_refuse_if_corrupt(s, err);
  if (rc != 0)
    return rc;
  if (strcmp(key, "schema") == 0) { /* kept parsed too (store_schema) */
    copy = strdup(value);
    if (copy == NULL || store_schema_parse(copy, &parsed) != 0) {
      free(copy);
      return sb_err_set(err, SB_ENOMEM, "out of memory setting %s", key);
    }
  }
  rc = store_meta_write(s, key, value, err);
  if (rc == 0 && copy != NULL) {
    free(s->schema);
    s->schema = copy;
    copy = NULL;
    schema_free(s->parsed);
    s->parsed = parsed;
    parsed = NULL;
  }
  free(copy);
  schema_free(parsed);
  return rc;
}

int store_meta_each(struct store *s, const char *prefix, store_meta_fn fn,
                    void *ctx, struct sb_err *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  /* Rare (listings): prepared per call rather than kept open. */
  rc = sqlite3_prepare_v2(s->db,
                          "SELECT key, value FROM meta"
                          " WHERE substr(key, 1, ?2) = ?1 ORDER BY key",
                          -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, "listing meta", err);
  sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)strlen(prefix));
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    const char *value = (const char *)sqlite3_column_text(st, 1);
    if (key == NULL || value == NULL) {
      rc = sb_err_set(err, SB_ECORRUPT, "store %s has a malformed meta row",
                      s->path);
      goto done;
    }
    rc = fn(key, value, ctx);
    if (rc != 0)
      goto done;
  }
  rc = rc == SQLITE_DONE ? 0 : store_sqlerr(s, rc, "listing meta", err);
done:
  sqlite3_finalize(st);
  return rc;
}
