/*
 * office_http.c - the office's requests (office.h): which paths are the
 * office's, what is copied of a request, admission before the body
 * (session, CSRF), dispatch, replies with their security headers, and the
 * assets embedded at build time (office_assets.c, generated).
 */
#include "compat.h"

#include "office_int.h"
#include "comma_list.h"

#include "json.h"

#include "hub_proxy.h"

#include "http_server.h"
#include "hub_routes.h"
#include "i18n.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The assets (generated from daemon/hub/assets/ and Debian's Chart.js). */
extern const unsigned char office_asset_index_html[], office_asset_login_html[],
    office_asset_office_css[], office_asset_office_js[],
    office_asset_chart_js[];
extern const size_t office_asset_index_html_len, office_asset_login_html_len,
    office_asset_office_css_len, office_asset_office_js_len,
    office_asset_chart_js_len;

#define CSP                                                                    \
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' "   \
  "data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "           \
  "frame-ancestors 'none'"

static const struct {
  const char *wire;
  unsigned status;
} office_errs[OFFICE_ERR_COUNT_] = {
#define OFFICE_ERR_ROW(name, wire, status) [OFFICE_ERR_##name] = {wire, status},
    OFFICE_ERR_MAP(OFFICE_ERR_ROW)
#undef OFFICE_ERR_ROW
};

static const char *const query_names[OFFICE_Q_COUNT_] = {
#define OFFICE_Q_ROW(name, wire) [OFFICE_Q_##name] = wire,
    OFFICE_QUERY_MAP(OFFICE_Q_ROW)
#undef OFFICE_Q_ROW
};

/* query_names joined by ", " for a message (the last ", " not shown). */
static const char query_list[] = {
#define OFFICE_Q_TEXT(name, wire) wire ", "
    OFFICE_QUERY_MAP(OFFICE_Q_TEXT)
#undef OFFICE_Q_TEXT
};

static bool starts(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool office_path(const char *path)
{
  return strcmp(path, "/") == 0 || strcmp(path, "/login") == 0 ||
         strcmp(path, "/logout") == 0 || starts(path, "/api/") ||
         starts(path, "/export/") || starts(path, "/assets/");
}

static bool dup_of(char **out, const char *v)
{
  *out = v != NULL ? strdup(v) : NULL;
  return v == NULL || *out != NULL;
}

struct office_req *office_req_copy(struct http_req *req, bool tls,
                                   const char *trusted)
{
  struct office_req *r = calloc(1, sizeof(*r));
  char sock[64], peer[64];
  bool ok;
  int i;

  if (r == NULL)
    return NULL;
  http_server_req_peer(req, sock, sizeof(sock));
  hub_proxy_client(trusted, sock,
                   http_server_req_header_list(req, "X-Forwarded-For"), peer,
                   sizeof(peer));
  r->tls =
      tls || hub_proxy_https(trusted, sock,
                             http_server_req_header(req, "X-Forwarded-Proto"));
  ok = dup_of(&r->method, http_server_req_method(req)) &&
       dup_of(&r->path, http_server_req_path(req)) &&
       dup_of(&r->session_cookie, http_server_req_cookie(req, OFFICE_COOKIE)) &&
       dup_of(&r->csrf, http_server_req_header(req, OFFICE_CSRF_HEADER)) &&
       dup_of(&r->content_type, http_server_req_header(req, "Content-Type")) &&
       dup_of(&r->peer, peer);
  r->cookie_twice = http_server_req_cookie_count(req, OFFICE_COOKIE) > 1;
  r->indonesian =
      office_lang_indonesian(http_server_req_header(req, "Accept-Language"));
  for (i = 0; ok && i < OFFICE_Q_COUNT_; i++)
    ok = dup_of(&r->q[i], http_server_req_query(req, query_names[i]));
  ok = ok && dup_of(&r->q_unknown, http_server_req_query_other(
                                       req, query_names, OFFICE_Q_COUNT_));
  if (!ok) {
    office_req_free(r);
    return NULL;
  }
  return r;
}

const char *office_req_user(const struct office_req *r)
{
  return r != NULL && r->authed && r->user.name[0] != '\0' ? r->user.name
                                                           : NULL;
}

void office_req_free(struct office_req *r)
{
  size_t i;

  if (r == NULL)
    return;
  free(r->method);
  free(r->path);
  free(r->session_cookie);
  free(r->csrf);
  free(r->content_type);
  free(r->peer);
  for (i = 0; i < OFFICE_Q_COUNT_; i++)
    free(r->q[i]);
  free(r->q_unknown);
  for (i = 0; i < r->nowned; i++)
    free(r->owned[i]);
  free(r);
}

const char *office_q(const struct hub_call *c, enum office_query q)
{
  const char *v = c->oreq->q[q];
  return v != NULL && v[0] != '\0' ? v : NULL;
}

void office_header(struct office_req *r, const char *name, const char *value,
                   bool own)
{
  if (r->nextra + 2 > OFFICE_EXTRA_MAX ||
      (own && r->nowned == sizeof(r->owned) / sizeof(r->owned[0])))
    return;
  if (own) {
    char *copy = strdup(value);
    if (copy == NULL)
      return;
    r->owned[r->nowned++] = copy;
    value = copy;
  }
  r->extra[r->nextra++] = name;
  r->extra[r->nextra++] = value;
  r->extra[r->nextra] = NULL;
}

/* The headers of every office reply: no framing, no sniffing, no cache. */
static void security_headers(struct hub_call *c)
{
  struct office_req *r = c->oreq;
  size_t i;

  for (i = 0; i < r->nextra; i += 2)
    if (strcmp(r->extra[i], "Content-Security-Policy") == 0)
      return;
  office_header(r, "Content-Security-Policy", CSP, false);
  office_header(r, "X-Frame-Options", "DENY", false);
  office_header(r, "X-Content-Type-Options", "nosniff", false);
  office_header(r, "Referrer-Policy", "no-referrer", false);
  office_header(r, "Cache-Control", "no-store", false);
  c->out.extra = r->extra;
}

void office_reply_body(struct hub_call *c, unsigned status, const char *type,
                       char *body, size_t len)
{
  hub_routes_reply_release(&c->out);
  c->out.status = status;
  c->out.content_type = type;
  c->out.body = body;
  c->out.len = len;
  security_headers(c);
}

void office_reply_error(struct hub_call *c, enum office_err code,
                        const char *fmt, ...)
{
  char message[SB_ERR_MSG_MAX];
  cJSON *j = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(j, "error");
  char *text;
  va_list ap;

  va_start(ap, fmt);
  /* In the request's language (office_lang.c); the code stays English. */
  vsnprintf(message, sizeof(message), i18n_text(fmt), ap);
  va_end(ap);
  cJSON_AddStringToObject(e, "code", office_errs[code].wire);
  cJSON_AddStringToObject(e, "message", message);
  text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if (text == NULL) {
    hub_routes_reply_error(&c->out, PROTO_ERR_UNAVAILABLE, "out of memory");
    return;
  }
  office_reply_body(c, office_errs[code].status, "application/json", text,
                    strlen(text));
}

void office_reply_json(struct hub_call *c, cJSON *j)
{
  char *text = j != NULL ? cJSON_PrintUnformatted(j) : NULL;

  cJSON_Delete(j);
  if (text != NULL && json_memory_failed()) { /* a member may be missing */
    free(text);
    text = NULL;
  }
  if (text == NULL) {
    office_reply_error(c, OFFICE_ERR_UNAVAILABLE, "the hub is out of memory");
    return;
  }
  office_reply_body(c, 200, "application/json", text, strlen(text));
}

void office_reply_list(struct hub_call *c, int rc, const struct sb_err *err,
                       const char *key, cJSON *list)
{
  cJSON *j;

  if (rc != 0) {
    cJSON_Delete(list);
    office_reply_store(c, rc, err);
    return;
  }
  j = cJSON_CreateObject();
  cJSON_AddItemToObject(j, key, list);
  office_reply_json(c, j);
}

void office_redirect(struct hub_call *c, const char *location)
{
  office_header(c->oreq, "Location", location, false);
  office_reply_body(c, 303, NULL, NULL, 0);
}

void office_reply_store(struct hub_call *c, int rc, const struct sb_err *err)
{
  log_msg(LOG_LEVEL_ERROR, "office: %s", err->msg);
  if (rc == SB_EBUSY || rc == SB_ENOMEM || rc == SB_EFULL ||
      rc == SB_EREADONLY || rc == SB_ECORRUPT || rc == SB_EIO) {
    c->out.retry_after = 1;
    office_reply_error(c, OFFICE_ERR_UNAVAILABLE, "the hub cannot serve: %s",
                       err->msg);
    return;
  }
  office_reply_error(c, OFFICE_ERR_INTERNAL, "the hub failed: %s", err->msg);
}

/*
 * The request's JSON body through the project's strict parser: cJSON alone
 * cuts a string at an escaped NUL (a password "pass\u0000word" would be
 * kept as "pass", a device "a\u0000b" enrolled as "a"), rounds an integer
 * beyond 2^53 and takes the first of two equal keys where a proxy or a
 * script may take the last. Anything json_parse refuses is a 400 naming
 * the hazard, before any store is touched.
 */
cJSON *office_body_json(struct hub_call *c, const char *keys)
{
  struct sb_err err = {0};
  cJSON *j = json_parse(c->body != NULL ? c->body : "", c->body_len,
                        "the request body", &err);
  const cJSON *m;

  if (j == NULL && err.code == SB_ENOMEM)
    office_reply_store(c, err.code, &err);
  else if (j == NULL)
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST, "%s", err.msg);
  if (j == NULL)
    return NULL;
  if (!cJSON_IsObject(j)) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "the request body must be a JSON object (of %s)", keys);
    cJSON_Delete(j);
    return NULL;
  }
  /* A key the route does not take is refused, not ignored: a misspelt
   * one ("role " for "role") would otherwise change nothing and answer
   * 200. */
  cJSON_ArrayForEach(m, j)
  {
    if (!comma_list_has(keys, m->string)) {
      office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                         "the request body has an unknown key \"%.64s\" (it "
                         "takes %s)",
                         m->string, keys);
      cJSON_Delete(j);
      return NULL;
    }
  }
  return j;
}

void office_reply_named(struct hub_call *c, int rc, const struct sb_err *err,
                        const char *name, const char *token)
{
  cJSON *j;

  if (rc == SB_ENOTFOUND) {
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "%s", err->msg);
  } else if (rc == SB_EINVAL || rc == SB_EEXISTS) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST, "%s", err->msg);
  } else if (rc != 0) {
    office_reply_store(c, rc, err);
  } else {
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", name);
    if (token != NULL)
      cJSON_AddStringToObject(j, "token", token);
    office_reply_json(c, j);
  }
}

/* The office reads on its own connection, else the devices' readers', else
 * the writer's. */
static uv_mutex_t *reader_mutex(struct hub_call *c)
{
  return c->ohs != NULL ? c->olock : c->rhs != NULL ? c->rlock : c->lock;
}

struct hub_store *office_reader_lock(struct hub_call *c)
{
  uv_mutex_lock(reader_mutex(c));
  return c->ohs != NULL ? c->ohs : c->rhs != NULL ? c->rhs : c->hs;
}

void office_reader_unlock(struct hub_call *c)
{
  uv_mutex_unlock(reader_mutex(c));
}

/* --- routing ----------------------------------------------------------- */

/* The public paths: the login page and form, the assets. */
static bool is_public(const char *path)
{
  return strcmp(path, "/login") == 0 || starts(path, "/assets/");
}

/* True for a page (redirected to /login), false for data (401). */
static bool is_page(const struct office_req *r)
{
  return strcmp(r->path, "/") == 0;
}

static void admit(struct hub_call *c)
{
  struct office_req *r = c->oreq;

  if (is_public(r->path))
    return;
  /* Two session cookies: one was set by another site of the domain (or
   * for another path) to pass its session off as this user's. Which one
   * is meant cannot be told, so neither is taken. */
  if (r->cookie_twice) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "the request carries two %s cookies (another site of "
                       "this domain may have set one): clear this site's "
                       "cookies, then log in again",
                       OFFICE_COOKIE);
    return;
  }
  if (!office_auth_session(c)) {
    if (is_page(r) && strcmp(r->method, "GET") == 0)
      office_redirect(c, "/login");
    else
      office_reply_error(c, OFFICE_ERR_UNAUTHORIZED,
                         "log in first (no session, or it expired)");
    return;
  }
  /* Every state-changing request carries the session's CSRF token. */
  if (strcmp(r->method, "POST") == 0 && !office_auth_csrf_ok(c))
    office_reply_error(c, OFFICE_ERR_CSRF,
                       "missing or wrong X-CSRF-Token header (read it from "
                       "GET /api/session)");
}

/* An asset built into the hub, sent from where it lies: no copy per
 * request, so readers that never read (the assets are public: the login
 * page needs them) hold no memory of the hub's. */
static void serve_asset(struct hub_call *c, const unsigned char *data,
                        size_t len, const char *type)
{
  office_reply_body(c, 200, type, NULL, 0);
  c->out.body = (char *)(uintptr_t)data;
  c->out.len = len;
  c->out.body_static = true;
}

static void assets(struct hub_call *c, const char *name)
{
  if (strcmp(name, "office.css") == 0)
    serve_asset(c, office_asset_office_css, office_asset_office_css_len,
                "text/css; charset=utf-8");
  else if (strcmp(name, "office.js") == 0)
    serve_asset(c, office_asset_office_js, office_asset_office_js_len,
                "text/javascript; charset=utf-8");
  else if (strcmp(name, "chart.js") == 0)
    serve_asset(c, office_asset_chart_js, office_asset_chart_js_len,
                "text/javascript; charset=utf-8");
  else
    office_reply_error(c, OFFICE_ERR_NOT_FOUND, "no such asset");
}

void office_admit(struct hub_call *c)
{
  locale_t prev = office_lang_enter(c);

  admit(c);
  office_lang_leave(prev);
}

size_t office_body_limit(const char *path)
{
  /* Of the routes anyone may ask, only the login form takes a body; the
   * others' bodies are read once a session was checked. */
  if (strcmp(path, "/login") == 0)
    return OFFICE_LOGIN_BODY_MAX;
  return is_public(path) ? 0 : OFFICE_BODY_MAX;
}

static void handle(struct hub_call *c)
{
  struct office_req *r = c->oreq;
  bool get = strcmp(r->method, "GET") == 0;

  if (c->out.status == 0)
    admit(c); /* again, as device routes authenticate again */
  if (c->out.status != 0)
    return;
  if (starts(r->path, "/assets/") && get) {
    assets(c, r->path + strlen("/assets/"));
  } else if (strcmp(r->path, "/login") == 0) {
    if (get) {
      serve_asset(c, office_asset_login_html, office_asset_login_html_len,
                  "text/html; charset=utf-8");
      c->office_ahead = true; /* someone is about to look */
    } else
      office_auth_login(c);
  } else if (strcmp(r->path, "/logout") == 0 && !get) {
    office_auth_logout(c);
  } else if (strcmp(r->path, "/") == 0 && get) {
    serve_asset(c, office_asset_index_html, office_asset_index_html_len,
                "text/html; charset=utf-8");
  } else if ((starts(r->path, "/api/") || starts(r->path, "/export/")) &&
             r->q_unknown != NULL) {
    /* Refused, not ignored: a misspelt filter (?kecamatn=Setu) would
     * show or export every record instead of the few asked for. */
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "unknown query parameter \"%.40s\" (the office reads "
                       "%.*s)",
                       r->q_unknown, (int)sizeof(query_list) - 3, query_list);
  } else if (starts(r->path, "/api/")) {
    office_api(c, r->path + strlen("/api/"));
  } else if (starts(r->path, "/export/") && get) {
    office_csv_route(c, r->path + strlen("/export/"));
  } else {
    office_reply_error(c, OFFICE_ERR_METHOD, "%s %s is not allowed", r->method,
                       r->path);
  }
}

void office_handle(struct hub_call *c)
{
  locale_t prev = office_lang_enter(c);

  json_memory_reset(); /* office_reply_json and kept views check it */
  handle(c);
  office_lang_leave(prev);
}
