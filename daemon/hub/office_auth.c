/*
 * office_auth.c - office users' passwords, sessions and logins (OFFICE.md,
 * "Users, sessions, CSRF").
 *
 * Passwords: libsodium's Argon2id string (crypto_pwhash_str, interactive
 * limits). Sessions: a random cookie value (HttpOnly, SameSite=Strict,
 * Path=/) of which the store keeps the SHA-256, a per-session CSRF token
 * the page sends back as X-CSRF-Token on every POST, an idle and an
 * absolute expiry. Failed logins are counted per user and per client
 * address in memory: past a few, that user or address is locked out for a
 * time that doubles with each further failure (429, Retry-After), without
 * even checking the password. An unknown user costs the same Argon2id
 * check as a known one.
 */
#include "compat.h"

#include "office_int.h"

#include "auth.h"
#include "hlc.h"
#include "http_form.h"
#include "log.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_S_DEFAULT (30 * 60)
#define ABSOLUTE_S_DEFAULT (12 * 3600)
#define USER_FAILS 5   /* failed logins of one user before a lockout */
#define ADDR_FAILS 30  /* ... of one client address */
#define LOCK_S 30      /* the first lockout; doubles with each failure */
#define LOCK_MAX_S 900 /* at most 15 minutes */
/* Failures older than this are forgotten. */
#define FORGET_MS (15 * 60 * 1000)
/* A session's last use is written at most once a minute. */
#define TOUCH_MS 60000

/* Expired sessions are swept at most once an hour (sweep_sessions). */
#define SWEEP_MS 3600000

struct office *office_new(unsigned idle_s, unsigned absolute_s)
{
  struct office *o;

  if (sodium_init() < 0)
    return NULL;
  o = calloc(1, sizeof(*o));
  if (o == NULL)
    return NULL;
  if (uv_mutex_init(&o->lock) != 0) {
    free(o);
    return NULL;
  }
  o->idle_ms = (uint64_t)(idle_s != 0 ? idle_s : IDLE_S_DEFAULT) * 1000;
  o->absolute_ms =
      (uint64_t)(absolute_s != 0 ? absolute_s : ABSOLUTE_S_DEFAULT) * 1000;
  o->id_locale = office_lang_load();
  return o;
}

void office_free(struct office *o)
{
  if (o == NULL)
    return;
  office_cache_free(o);
  office_tally_free(o->tally);
  uv_mutex_destroy(&o->lock);
  if (o->id_locale != (locale_t)0)
    freelocale(o->id_locale);
  free(o);
}

int office_auth_hash(const char *password, char out[HUB_PWHASH_MAX + 1],
                     struct sb_err *err)
{
  if (sodium_init() < 0)
    return sb_err_set(err, SB_EINTERNAL, "libsodium cannot start");
  if (crypto_pwhash_str(out, password, strlen(password),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return sb_err_set(err, SB_ENOMEM, "no memory to hash the password");
  return 0;
}

int office_auth_hash_password(const char *password,
                              char out[HUB_PWHASH_MAX + 1], struct sb_err *err)
{
  return office_auth_hash(password, out, err);
}

bool office_auth_verify(const char *pwhash, const char *password)
{
  return crypto_pwhash_str_verify(pwhash, password, strlen(password)) == 0;
}

/*
 * One Argon2id at a time in the hub: each takes 64 MiB and a tenth of a
 * second of a core, on the threadpool that also admits the devices'
 * requests, and anyone may ask for one (30 logins per address before its
 * lockout, from as many addresses as an attacker has). Eight at once
 * took the hub to 275 MB and every pool thread. Another is not waited
 * for: it is answered 503 with Retry-After (the login page tries again).
 */
static atomic_flag pw_busy = ATOMIC_FLAG_INIT;

bool office_auth_pw_enter(struct hub_call *c)
{
  if (!atomic_flag_test_and_set(&pw_busy))
    return true;
  office_header(c->oreq, "Retry-After", "1", true);
  office_reply_error(c, OFFICE_ERR_UNAVAILABLE,
                     "the hub is checking another password: try again in a "
                     "second");
  return false;
}

void office_auth_pw_leave(void)
{
  atomic_flag_clear(&pw_busy);
}

/* Counts a login that ended as how (office_login_counts). */
static void login_count(struct office *o, enum office_login how)
{
  uv_mutex_lock(&o->lock);
  o->logins[how]++;
  uv_mutex_unlock(&o->lock);
}

void office_login_counts(struct office *o, uint64_t out[OFFICE_LOGIN_COUNT_])
{
  uv_mutex_lock(&o->lock);
  memcpy(out, o->logins, sizeof(o->logins));
  uv_mutex_unlock(&o->lock);
}

/* --- the login throttle ------------------------------------------------ */

/* The slot of key (a free or the oldest one if new); o->lock held. */
static struct office_throttle *throttle_slot(struct office *o, const char *key,
                                             bool make)
{
  struct office_throttle *oldest = &o->th[0];
  size_t i;

  for (i = 0; i < OFFICE_THROTTLE_SLOTS; i++) {
    if (strcmp(o->th[i].key, key) == 0 && key[0] != '\0')
      return &o->th[i];
    if (o->th[i].last_ms < oldest->last_ms)
      oldest = &o->th[i];
  }
  if (!make)
    return NULL;
  memset(oldest, 0, sizeof(*oldest));
  snprintf(oldest->key, sizeof(oldest->key), "%s", key);
  return oldest;
}

/* Seconds key stays locked (0: not locked). */
static uint64_t throttle_wait(struct office *o, const char *key, uint64_t now)
{
  struct office_throttle *t;
  uint64_t wait = 0;

  uv_mutex_lock(&o->lock);
  t = throttle_slot(o, key, false);
  if (t != NULL && t->until_ms > now)
    wait = (t->until_ms - now + 999) / 1000;
  uv_mutex_unlock(&o->lock);
  return wait;
}

static void throttle_fail(struct office *o, const char *key, unsigned limit,
                          uint64_t now)
{
  struct office_throttle *t;

  uv_mutex_lock(&o->lock);
  t = throttle_slot(o, key, true);
  if (t->last_ms + FORGET_MS < now)
    t->fails = 0;
  t->fails++;
  t->last_ms = now;
  if (t->fails >= limit) {
    unsigned shift = t->fails - limit;
    uint64_t s = shift > 5 ? LOCK_MAX_S : (uint64_t)LOCK_S << shift;
    t->until_ms = now + (s > LOCK_MAX_S ? LOCK_MAX_S : s) * 1000;
  }
  uv_mutex_unlock(&o->lock);
}

static void throttle_clear(struct office *o, const char *key)
{
  struct office_throttle *t;

  uv_mutex_lock(&o->lock);
  t = throttle_slot(o, key, false);
  if (t != NULL)
    memset(t, 0, sizeof(*t));
  uv_mutex_unlock(&o->lock);
}

/* --- sessions ---------------------------------------------------------- */

/* True if the session cookie's value (as libmicrohttpd split it out of
 * the Cookie header) is a session token: AUTH_TOKEN_LEN lowercase hex
 * digits, copied into token. */
static bool session_token(const char *value, char token[AUTH_TOKEN_LEN + 1])
{
  size_t k;

  if (value == NULL || strlen(value) != AUTH_TOKEN_LEN)
    return false;
  for (k = 0; k < AUTH_TOKEN_LEN; k++) {
    char ch = value[k];
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
      return false;
    token[k] = ch;
  }
  token[k] = '\0';
  return true;
}

/* Ends session id_hash in the store (best effort). */
static void session_end(struct hub_call *c, const char *id_hash)
{
  struct sb_err err = {0};
  struct hub_store *hs = hub_call_writer_lock(c);
  if (hub_store_session_remove(hs, id_hash, &err) != 0)
    log_msg(LOG_LEVEL_WARN, "office: ending a session: %s", err.msg);
  hub_call_writer_unlock(c);
}

bool office_auth_session(struct hub_call *c)
{
  struct office_req *r = c->oreq;
  struct office *o = c->office;
  char token[AUTH_TOKEN_LEN + 1], hash[HUB_HASH_HEX_LEN + 1];
  struct hub_session s;
  struct hub_user u;
  struct sb_err err = {0};
  struct hub_store *hs;
  uint64_t now = hlc_wall_ms(), touch;
  int rc;

  if (r->authed)
    return true;
  if (!session_token(r->session_cookie, token) ||
      auth_token_hash(token, hash) != 0)
    return false;
  hs = office_reader_lock(c);
  rc = hub_store_session_get(hs, hash, &s, &err);
  if (rc == 0)
    rc = hub_store_user_get(hs, s.user, &u, &err);
  office_reader_unlock(c);
  if (rc != 0)
    return false; /* no such session, or its user is gone */
  if (now > s.created_ms + o->absolute_ms || now > s.used_ms + o->idle_ms ||
      u.changed_ms > s.created_ms) {
    session_end(c, hash);
    return false;
  }
  touch = o->idle_ms / 4 < TOUCH_MS ? o->idle_ms / 4 : TOUCH_MS;
  if (now > s.used_ms + touch) {
    s.used_ms = now;
    hs = hub_call_writer_lock(c);
    if (hub_store_session_put(hs, &s, &err) != 0)
      log_msg(LOG_LEVEL_WARN, "office: touching a session: %s", err.msg);
    hub_call_writer_unlock(c);
  }
  r->authed = true;
  r->user = u;
  r->session = s;
  return true;
}

bool office_auth_csrf_ok(const struct hub_call *c)
{
  const struct office_req *r = c->oreq;
  return r->authed && r->csrf != NULL && strlen(r->csrf) == HUB_HASH_HEX_LEN &&
         sodium_memcmp(r->csrf, r->session.csrf, HUB_HASH_HEX_LEN) == 0;
}

/* --- login, logout ----------------------------------------------------- */

/* A dummy Argon2id check, so an unknown user costs what a known one does. */
static void dummy_verify(struct office *o, const char *password)
{
  char h[HUB_PWHASH_MAX + 1];
  struct sb_err err = {0};

  uv_mutex_lock(&o->lock);
  snprintf(h, sizeof(h), "%s", o->dummy_hash);
  uv_mutex_unlock(&o->lock);
  if (h[0] == '\0') {
    if (office_auth_hash("sambang-no-such-user", h, &err) != 0)
      return;
    uv_mutex_lock(&o->lock);
    snprintf(o->dummy_hash, sizeof(o->dummy_hash), "%s", h);
    uv_mutex_unlock(&o->lock);
  }
  (void)office_auth_verify(h, password);
}

/* A login sweeps the sessions that expired without coming back (a closed
 * tab never logs out), at most once per SWEEP_MS, so they do not pile up
 * in the store. Under the writer lock. */
static void sweep_sessions(struct hub_call *c, struct hub_store *hs,
                           uint64_t now)
{
  struct office *o = c->office;
  struct sb_err err = {0};
  uint64_t removed = 0;
  bool due;

  uv_mutex_lock(&o->lock);
  due = now >= o->swept_ms + SWEEP_MS || now < o->swept_ms;
  if (due)
    o->swept_ms = now;
  uv_mutex_unlock(&o->lock);
  if (!due)
    return;
  if (hub_store_session_sweep(hs, now > o->idle_ms ? now - o->idle_ms : 0,
                              now > o->absolute_ms ? now - o->absolute_ms : 0,
                              &removed, &err) != 0)
    log_msg(LOG_LEVEL_WARN, "office: sweeping expired sessions: %s", err.msg);
  else if (removed > 0)
    log_msg(LOG_LEVEL_INFO, "office: %llu expired session(s) removed",
            (unsigned long long)removed);
}

/* Makes a session for u and sets its cookie; false (reply filled) if not. */
static bool session_start(struct hub_call *c, const struct hub_user *u)
{
  char token[AUTH_TOKEN_LEN + 1], csrf[AUTH_TOKEN_LEN + 1], cookie[256];
  struct hub_session s;
  struct sb_err err = {0};
  struct hub_store *hs;
  int rc;

  memset(&s, 0, sizeof(s));
  if (auth_token_new(token) != 0 || auth_token_new(csrf) != 0 ||
      auth_token_hash(token, s.id_hash) != 0) {
    office_reply_error(c, OFFICE_ERR_INTERNAL, "no randomness for a session");
    return false;
  }
  snprintf(s.user, sizeof(s.user), "%s", u->name);
  snprintf(s.csrf, sizeof(s.csrf), "%s", csrf);
  s.created_ms = s.used_ms = hlc_wall_ms();
  hs = hub_call_writer_lock(c);
  rc = hub_store_session_put(hs, &s, &err);
  if (rc == 0)
    sweep_sessions(c, hs, s.created_ms);
  hub_call_writer_unlock(c);
  if (rc != 0) {
    office_reply_store(c, rc, &err);
    return false;
  }
  snprintf(cookie, sizeof(cookie),
           OFFICE_COOKIE
           "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%llu%s",
           token, (unsigned long long)(c->office->absolute_ms / 1000),
           c->oreq->tls ? "; Secure" : "");
  office_header(c->oreq, "Set-Cookie", cookie, true);
  return true;
}

void office_auth_login(struct hub_call *c)
{
  struct office *o = c->office;
  char name[HUB_USER_NAME_MAX + 2], password[1024], ukey[80], akey[80];
  char retry[24];
  struct hub_user u;
  struct sb_err err = {0};
  struct hub_store *hs;
  uint64_t now = hlc_wall_ms(), wait;
  bool ok;
  int rc;

  if (!http_form_value(c->body, c->body_len, "user", name, sizeof(name)) ||
      !http_form_value(c->body, c->body_len, "password", password,
                       sizeof(password)) ||
      name[0] == '\0') {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "send the form fields user and password, once "
                       "each (application/x-www-form-urlencoded)");
    return;
  }
  snprintf(ukey, sizeof(ukey), "u:%.64s", name);
  snprintf(akey, sizeof(akey), "a:%.64s", c->oreq->peer);
  wait = throttle_wait(o, ukey, now);
  if (throttle_wait(o, akey, now) > wait)
    wait = throttle_wait(o, akey, now);
  if (wait > 0) {
    login_count(o, OFFICE_LOGIN_LOCKED);
    snprintf(retry, sizeof(retry), "%llu", (unsigned long long)wait);
    office_header(c->oreq, "Retry-After", retry, true);
    office_reply_error(c, OFFICE_ERR_LOCKED,
                       "too many failed logins: try again in %llu s",
                       (unsigned long long)wait);
    return;
  }
  hs = office_reader_lock(c);
  rc = hub_store_user_get(hs, name, &u, &err);
  office_reader_unlock(c);
  if (rc != 0 && rc != SB_ENOTFOUND) {
    office_reply_store(c, rc, &err);
    return;
  }
  if (!office_auth_pw_enter(c)) { /* not a failed login: not throttled */
    login_count(o, OFFICE_LOGIN_BUSY);
    sodium_memzero(password, sizeof(password));
    return;
  }
  if (rc == SB_ENOTFOUND) {
    dummy_verify(o, password);
    ok = false;
  } else {
    ok = office_auth_verify(u.pwhash, password);
  }
  office_auth_pw_leave();
  sodium_memzero(password, sizeof(password));
  if (!ok) {
    login_count(o, OFFICE_LOGIN_BAD);
    throttle_fail(o, ukey, USER_FAILS, now);
    throttle_fail(o, akey, ADDR_FAILS, now);
    log_msg(LOG_LEVEL_WARN, "office: failed login for user %.64s from %s", name,
            c->oreq->peer);
    office_reply_error(c, OFFICE_ERR_BAD_LOGIN, "wrong user or password");
    return;
  }
  throttle_clear(o, ukey);
  throttle_clear(o, akey);
  if (session_start(c, &u)) {
    login_count(o, OFFICE_LOGIN_OK);
    /* not yet c's user: office_audit's line by hand */
    log_msg(LOG_LEVEL_INFO, "office: audit: %s (%s) logged in from %s", u.name,
            hub_role_name(u.role), c->oreq->peer);
    office_redirect(c, "/");
  }
}

void office_auth_logout(struct hub_call *c)
{
  session_end(c, c->oreq->session.id_hash);
  office_audit(c, "logged out");
  office_header(c->oreq, "Set-Cookie",
                c->oreq->tls
                    ? OFFICE_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; "
                                    "Max-Age=0; Secure"
                    : OFFICE_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; "
                                    "Max-Age=0",
                false);
  office_reply_json(c, cJSON_CreateTrue());
}
