/*
 * sync_config.c - the sync engine's settings: defaults, copies, checks and
 * the config file (`key = value` lines; see sync.h and
 * deploy/sambangd.conf.example).
 */
#include "compat.h"

#include "sync.h"

#include "proto.h"
#include "utf8.h"

#include <curl/curl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 4096
#define TOKEN_MAX 512

void sync_config_init(struct sync_config *c)
{
  memset(c, 0, sizeof(*c));
  c->batch = SYNC_DEFAULT_BATCH;
  c->page = SYNC_DEFAULT_PAGE;
  c->wait_s = SYNC_DEFAULT_WAIT_S;
  c->backoff_min_ms = SYNC_DEFAULT_BACKOFF_MIN_MS;
  c->backoff_cap_ms = SYNC_DEFAULT_BACKOFF_CAP_MS;
  c->connect_timeout_s = SYNC_DEFAULT_CONNECT_TIMEOUT_S;
  c->timeout_s = SYNC_DEFAULT_TIMEOUT_S;
  c->gzip = true;
}

void sync_config_release(struct sync_config *c)
{
  free(c->server);
  free(c->token);
  free(c->ca_file);
  free(c->ca_pem);
  free(c->pin);
  c->server = c->token = c->ca_file = c->ca_pem = c->pin = NULL;
}

/* *dst = strdup(src) (NULL stays NULL); false on ENOMEM. */
static bool dup_str(char **dst, const char *src)
{
  *dst = NULL;
  if (src == NULL)
    return true;
  *dst = strdup(src);
  return *dst != NULL;
}

int sync_config_override(struct sync_config *c, const struct sync_overrides *o,
                         struct sb_err *err)
{
  const char *given[] = {o->server, o->token, o->ca_file, o->pin};
  char **field[] = {&c->server, &c->token, &c->ca_file, &c->pin};
  char *copy[4] = {NULL, NULL, NULL, NULL};
  size_t i;

  for (i = 0; i < 4; i++) {
    if (!dup_str(&copy[i], given[i])) {
      while (i > 0)
        free(copy[--i]);
      return sb_err_set(err, SB_ENOMEM, NULL);
    }
  }
  for (i = 0; i < 4; i++) {
    if (given[i] != NULL) {
      free(*field[i]);
      *field[i] = copy[i];
    }
  }
  return 0;
}

int sync_config_copy(struct sync_config *dst, const struct sync_config *src,
                     struct sb_err *err)
{
  struct sync_config c = *src;

  /* None of src's strings may stay in c: a failed copy releases c. */
  c.server = c.token = c.ca_file = c.ca_pem = c.pin = NULL;
  if (!dup_str(&c.server, src->server) || !dup_str(&c.token, src->token) ||
      !dup_str(&c.ca_file, src->ca_file) || !dup_str(&c.ca_pem, src->ca_pem) ||
      !dup_str(&c.pin, src->pin)) {
    sync_config_release(&c);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  sync_config_release(dst);
  *dst = c;
  return 0;
}

/* True for a host that is this machine (localhost, 127.x, [::1]): plain
 * HTTP to it never leaves the device. */
static bool loopback_host(const char *host)
{
  size_t n = strlen(host);

  return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
         (n > 4 && strncmp(host, "127.", 4) == 0 &&
          strspn(host, "0123456789.") == n);
}

/* True if url (parsed into u) has part: a query, a fragment, a user. */
static bool url_has(CURLU *u, CURLUPart part)
{
  char *v = NULL;
  bool has = curl_url_get(u, part, &v, 0) == CURLUE_OK;

  curl_free(v);
  return has;
}

int sync_config_check_server(const char *url, bool insecure_http,
                             struct sb_err *err)
{
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL;
  CURLUcode uc;
  int rc = 0;

  if (u == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  /* curl's own parser (the one that will use it): host, port 1..65535 */
  uc = curl_url_set(u, CURLUPART_URL, url, 0);
  if (uc == CURLUE_OK)
    uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
  if (uc == CURLUE_OK)
    uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
  /* curl takes port 0; nothing listens there */
  if (uc == CURLUE_OK && curl_url_get(u, CURLUPART_PORT, &port, 0) == 0 &&
      strcmp(port, "0") == 0)
    uc = CURLUE_BAD_PORT_NUMBER;
  if (uc == CURLUE_BAD_PORT_NUMBER)
    rc = sb_err_set(err, SB_EINVAL,
                    "server %.80s: the port must be a number from 1 to 65535",
                    url);
  else if (uc != CURLUE_OK ||
           (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
           (strncmp(url, "http://", 7) != 0 &&
            strncmp(url, "https://", 8) != 0))
    rc = sb_err_set(err, SB_EINVAL,
                    "server must be an http:// or https:// URL, got "
                    "\"%.80s\"%s%s",
                    url, uc != CURLUE_OK ? ": " : "",
                    uc != CURLUE_OK ? curl_url_strerror(uc) : "");
  /* The requests' paths are added to it (a path prefix is kept): a query
   * or fragment would swallow them; the token is sent apart, never as
   * credentials in the URL. */
  else if (url_has(u, CURLUPART_QUERY) || url_has(u, CURLUPART_FRAGMENT))
    rc = sb_err_set(err, SB_EINVAL,
                    "server %.80s: a hub URL has no query (?) or fragment "
                    "(#); give the hub's address, with a path if it is "
                    "served under one",
                    url);
  else if (url_has(u, CURLUPART_USER))
    rc = sb_err_set(err, SB_EINVAL,
                    "server %.80s: a hub URL carries no user or password "
                    "(the device's token is given by --token-file)",
                    url);
  else if (!insecure_http && strcmp(scheme, "http") == 0 &&
           !loopback_host(host))
    rc = sb_err_set(err, SB_EINVAL,
                    "refusing plain http:// to %.80s: the token and records "
                    "would cross the network in clear text; use https:// "
                    "(or insecure_http = yes in the config file)",
                    url);
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return rc;
}

int sync_config_check(const struct sync_config *c, struct sb_err *err)
{
  int rc;

  if (c->server == NULL || c->server[0] == '\0')
    return sb_err_set(err, SB_EINVAL,
                      "no hub server is set (sambang init --server URL, "
                      "--server, or `server` in the config file)");
  rc = sync_config_check_server(c->server, c->insecure_http, err);
  if (rc != 0)
    return rc;
  if (c->pin != NULL && sync_config_check_pin(c->pin, err) != 0)
    return SB_EINVAL;
  /* read now, whatever the scheme: a missing or bad file is said at once,
   * not at the first https:// exchange */
  if (c->ca_file != NULL) {
    char *pem = NULL;
    rc = sync_config_read_ca(c->ca_file, &pem, err);
    free(pem);
    if (rc != 0)
      return rc;
  }
  if (c->token == NULL || c->token[0] == '\0')
    return sb_err_set(err, SB_EINVAL,
                      "no device token is set (sambang init --token, "
                      "--token, or `token`/`token_file` in the config file)");
  if (c->batch < 1 || c->batch > PROTO_MAX_BATCH)
    return sb_err_set(err, SB_EINVAL, "batch must be 1 to %d, got %u",
                      PROTO_MAX_BATCH, c->batch);
  if (c->page < 1 || c->page > PROTO_MAX_PAGE)
    return sb_err_set(err, SB_EINVAL, "page must be 1 to %d, got %u",
                      PROTO_MAX_PAGE, c->page);
  /* 0 would make the long-poll a busy loop. */
  if (c->wait_s < 1 || c->wait_s > PROTO_MAX_WAIT_S)
    return sb_err_set(err, SB_EINVAL, "wait must be 1 to %d s, got %u",
                      PROTO_MAX_WAIT_S, c->wait_s);
  if (c->backoff_min_ms < 1 || c->backoff_cap_ms < c->backoff_min_ms)
    return sb_err_set(err, SB_EINVAL,
                      "backoff_cap must be at least backoff_min (at least "
                      "1 s)");
  if (c->connect_timeout_s < 1 || c->timeout_s < 1)
    return sb_err_set(err, SB_EINVAL, "timeouts must be at least 1 s");
  return 0;
}

/* Trims spaces and tabs at both ends, in place. */
static char *trim(char *s)
{
  size_t n;

  while (*s == ' ' || *s == '\t')
    s++;
  n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                   s[n - 1] == '\n'))
    s[--n] = '\0';
  return s;
}

/* An unsigned number in [lo, hi] from v; false if it is not one. */
static bool parse_num(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
  char *end;
  unsigned long long n;

  if (*v < '0' || *v > '9')
    return false;
  errno = 0;
  n = strtoull(v, &end, 10);
  if (*end != '\0' || errno != 0 || n < lo || n > hi)
    return false;
  *out = (uint64_t)n;
  return true;
}

/* The first line of a token file, trimmed; malloc'd, or NULL with err. */
static char *read_token_file(const char *path, const char *where,
                             struct sb_err *err)
{
  char line[TOKEN_MAX + 2], *t;
  FILE *f = fopen(path, "r");

  if (f == NULL) {
    sb_err_set(err, SB_EINVAL, "%s: cannot read token_file %s: %s", where, path,
               strerror(errno));
    return NULL;
  }
  if (fgets(line, sizeof(line), f) == NULL)
    line[0] = '\0';
  fclose(f);
  t = trim(line);
  if (t[0] == '\0') {
    sb_err_set(err, SB_EINVAL, "%s: token_file %s holds no token", where, path);
    return NULL;
  }
  t = strdup(t);
  if (t == NULL)
    sb_err_set(err, SB_ENOMEM, NULL);
  return t;
}

int sync_config_token_file(struct sync_config *c, const char *path,
                           struct sb_err *err)
{
  char *t = read_token_file(path, "--token-file", err);

  if (t == NULL)
    return err != NULL ? err->code : SB_EINVAL;
  free(c->token);
  c->token = t;
  return 0;
}

/* Replaces *slot with a copy of v. */
static int set_str(char **slot, const char *v, struct sb_err *err)
{
  char *copy = strdup(v);

  if (copy == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  free(*slot);
  *slot = copy;
  return 0;
}

/* Applies one `key = value` to c; where is "file:line" for messages. */
static int apply(struct sync_config *c, const char *key, const char *v,
                 const char *where, struct sb_err *err)
{
  uint64_t n;

  if (strcmp(key, "server") == 0)
    return set_str(&c->server, v, err);
  if (strcmp(key, "token") == 0)
    return set_str(&c->token, v, err);
  if (strcmp(key, "ca_file") == 0)
    return set_str(&c->ca_file, v, err);
  if (strcmp(key, "pin") == 0)
    return set_str(&c->pin, v, err);
  if (strcmp(key, "insecure_http") == 0) {
    if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
      c->insecure_http = strcmp(v, "yes") == 0;
      return 0;
    }
    return sb_err_set(err, SB_EINVAL,
                      "%s: insecure_http must be yes or no, got \"%.40s\"",
                      where, v);
  }
  if (strcmp(key, "token_file") == 0) {
    char *t = read_token_file(v, where, err);
    if (t == NULL)
      return err != NULL ? err->code : SB_EINVAL;
    free(c->token);
    c->token = t;
    return 0;
  }
  if (strcmp(key, "gzip") == 0) {
    if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
      c->gzip = strcmp(v, "yes") == 0;
      return 0;
    }
    return sb_err_set(err, SB_EINVAL,
                      "%s: gzip must be yes or no, got \"%.40s\"", where, v);
  }
#define NUM(name, lo, hi, field, scale)                                        \
  if (strcmp(key, name) == 0) {                                                \
    if (!parse_num(v, lo, hi, &n))                                             \
      return sb_err_set(err, SB_EINVAL,                                        \
                        "%s: %s must be a whole number from %d to %d, got "    \
                        "\"%.40s\"",                                           \
                        where, name, lo, hi, v);                               \
    c->field = n * scale;                                                      \
    return 0;                                                                  \
  }
  NUM("batch", 1, PROTO_MAX_BATCH, batch, 1)
  NUM("page", 1, PROTO_MAX_PAGE, page, 1)
  NUM("wait", 1, PROTO_MAX_WAIT_S, wait_s, 1)
  NUM("backoff_min", 1, 86400, backoff_min_ms, 1000)
  NUM("backoff_cap", 1, 86400, backoff_cap_ms, 1000)
  NUM("connect_timeout", 1, 3600, connect_timeout_s, 1)
  NUM("timeout", 1, 3600, timeout_s, 1)
#undef NUM
  return sb_err_set(err, SB_EINVAL, "%s: unknown setting \"%.40s\"", where,
                    key);
}

/*
 * The settings a file gave so far, each with its line: one given twice is
 * refused, as an option given twice is, rather than the last silently
 * winning. token and token_file set the same thing.
 */
#define SETTINGS_MAX 16
struct settings_seen {
  char key[SETTINGS_MAX][16]; /* the longest, connect_timeout, fits */
  unsigned line[SETTINGS_MAX];
  size_t n;
};

/* 0 and key noted at line, or SB_EINVAL if the file set it already. A
 * key apply() refused is never noted, so the list holds known keys only. */
static int setting_once(struct settings_seen *seen, const char *key,
                        unsigned line, const char *where, struct sb_err *err)
{
  const char *slot = strcmp(key, "token_file") == 0 ? "token" : key;
  size_t i;

  for (i = 0; i < seen->n; i++)
    if (strcmp(seen->key[i], slot) == 0)
      return sb_err_set(err, SB_EINVAL,
                        "%s: %s sets the %s that line %u set already (give "
                        "each setting once)",
                        where, key, slot, seen->line[i]);
  if (seen->n < SETTINGS_MAX && strlen(slot) < sizeof(seen->key[0])) {
    memcpy(seen->key[seen->n], slot, strlen(slot) + 1);
    seen->line[seen->n++] = line;
  }
  return 0;
}

int sync_config_load(struct sync_config *c, const char *path,
                     struct sb_err *err)
{
  struct sync_config next;
  struct settings_seen seen = {.n = 0};
  char line[LINE_MAX_LEN + 2], where[600];
  unsigned lineno = 0;
  FILE *f;
  int rc = 0;

  f = fopen(path, "r");
  if (f == NULL)
    return sb_err_set(err, errno == ENOENT ? SB_ENOTFOUND : SB_EIO,
                      "cannot read config file %s: %s", path, strerror(errno));
  sync_config_init(&next);
  rc = sync_config_copy(&next, c, err);
  while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
    char *s, *eq, *key, *value;

    lineno++;
    snprintf(where, sizeof(where), "%s:%u", path, lineno);
    if (strlen(line) > LINE_MAX_LEN) {
      rc = sb_err_set(err, SB_EINVAL, "%s: line too long", where);
      break;
    }
    s = trim(line + (lineno == 1 ? utf8_bom_len(line, strlen(line)) : 0));
    if (s[0] == '\0' || s[0] == '#')
      continue;
    eq = strchr(s, '=');
    if (eq == NULL) {
      rc = sb_err_set(err, SB_EINVAL,
                      "%s: expected `key = value`, got \"%.60s\"", where, s);
      break;
    }
    *eq = '\0';
    key = trim(s);
    value = trim(eq + 1);
    if (value[0] == '\0') {
      rc = sb_err_set(err, SB_EINVAL, "%s: %s has no value", where, key);
      break;
    }
    rc = apply(&next, key, value, where, err);
    if (rc == 0)
      rc = setting_once(&seen, key, lineno, where, err);
  }
  if (rc == 0 && ferror(f))
    rc = sb_err_set(err, SB_EIO, "cannot read config file %s", path);
  fclose(f);
  if (rc == 0)
    rc = sync_config_copy(c, &next, err);
  sync_config_release(&next);
  return rc;
}
