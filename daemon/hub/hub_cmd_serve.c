/*
 * hub_cmd_serve.c - `sambang-hub serve`: its option parsing, TLS setup,
 * the quick check at start, signals, and the event loop.
 */
#include "compat.h"

#include "hub_cmd.h"

#include "auth.h"
#include "exitcode.h"
#include "hlc.h"
#include "hub_proxy.h"
#include "hub_server.h"
#include "hub_store.h"
#include "log.h"
#include "office.h"
#include "schema.h"
#include "service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

static const char *const usage_serve = N_(
    "usage: sambang-hub [--db PATH] serve [OPTIONS]\n"
    "\n"
    "Serves the sync protocol (proto/PROTOCOL.md) until SIGTERM or SIGINT,\n"
    "then stops accepting, finishes the requests in flight and closes the\n"
    "store. Prints \"listening on ADDR:PORT\" once ready. One log line per\n"
    "request on stderr.\n"
    "\n"
    "  --listen ADDR:PORT     IPv4 address and port (default 127.0.0.1:8080;\n"
    "                         port 0 picks a free one)\n"
    "  --max-future-ms N      refuse timestamps more than N ms ahead of the\n"
    "                         hub's clock (default 300000, 5 min)\n"
    "  --max-inflight N       requests at work at once; more get 429\n"
    "                         (default 1024)\n"
    "  --max-conns N          open connections (default 4000); over it,\n"
    "                         --reserve-conns more are let in for\n"
    "                         /v1/health only, others get 503\n"
    "  --reserve-conns N      connections kept for health under load\n"
    "                         (default 64; 2 s head deadline, one reply)\n"
    "  --max-conns-per-addr N open connections from one client address;\n"
    "                         more are closed at once (default 256)\n"
    "  --head-timeout S       a request head must arrive within S seconds\n"
    "                         of the connection or of the previous reply;\n"
    "                         idle keep-alive connections close then too\n"
    "                         (default 20)\n"
    "  --body-min-rate B      a body must arrive at B bytes per second on\n"
    "                         average once --head-timeout passed, else the\n"
    "                         connection is closed (default 1024; 0: off)\n"
    "  --tls-cert FILE        serve HTTPS (TLS 1.2 and 1.3 only) with this\n"
    "                         PEM certificate chain, leaf first (default\n"
    "                         $SAMBANG_HUB_TLS_CERT); SIGHUP rereads it\n"
    "  --tls-key FILE         the certificate's PEM private key (default\n"
    "                         $SAMBANG_HUB_TLS_KEY; keep it mode 600)\n"
    "  --trusted-proxy A[,A]  reverse proxies (IPv4) whose X-Forwarded-For\n"
    "                         names the client in the log; from any other\n"
    "                         peer the header is ignored\n"
    "  --metrics-from A[,A]   client addresses (IPv4) that may read /metrics,\n"
    "                         or \"any\" (default $SAMBANG_HUB_METRICS_FROM,\n"
    "                         else loopback only: it names the devices);\n"
    "                         others get 403\n"
    "  --insecure-http        allow plain HTTP on an address other than\n"
    "                         loopback (127.x): without TLS, tokens and\n"
    "                         records cross the network in clear text\n"
    "\n"
    "An office session ends after $SAMBANG_OFFICE_IDLE_S seconds unused\n"
    "(default 1800) or $SAMBANG_OFFICE_ABSOLUTE_S in all (default 43200);\n"
    "each from 1 to 2592000 (30 days).\n"
    "\n"
    "Without --tls-cert the hub serves plain HTTP, on loopback only (behind\n"
    "a TLS reverse proxy: deploy/nginx/sambang-hub.conf) unless\n"
    "--insecure-http is given.\n"
    "\n"
    "Authenticated requests are checked (token, path, method, length,\n"
    "media type) from their headers before any body byte is read.\n");

/* Parses a decimal number in [min, max]. */
static bool parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
  unsigned long long v;
  char *end;

  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (*end != '\0' || errno != 0 || v < min || v > max)
    return false;
  *out = v;
  return true;
}

/* --- serve ------------------------------------------------------------- */

struct serve_state {
  uv_signal_t sigterm, sigint, sighup;
  struct hub_server *hub;
};

static void on_stopped(void *ctx)
{
  struct serve_state *st = ctx;
  uv_close((uv_handle_t *)&st->sigterm, NULL);
  uv_close((uv_handle_t *)&st->sigint, NULL);
  uv_close((uv_handle_t *)&st->sighup, NULL);
}

/* SIGHUP: reread the TLS certificate and key (nothing else to reload). */
static void on_sighup(uv_signal_t *sig, int signum)
{
  struct serve_state *st = sig->data;
  struct sb_err err = {0};

  (void)signum;
  if (hub_server_reload_tls(st->hub, &err) == 0)
    log_msg(LOG_LEVEL_INFO, "tls: certificate and key reloaded");
  else
    log_msg(LOG_LEVEL_ERROR,
            "tls: reload failed, the old certificate "
            "stays: %s",
            err.msg);
}

static void on_signal(uv_signal_t *sig, int signum)
{
  struct serve_state *st = sig->data;
  log_msg(LOG_LEVEL_INFO, "signal %d: stopping", signum);
  service_notify("STOPPING=1");
  hub_server_shutdown(st->hub, on_stopped, st);
}

/* Parses "A.B.C.D:PORT" into host (a copy) and port. */
static bool parse_listen(const char *s, char *host, size_t host_size,
                         uint16_t *port)
{
  const char *colon = strrchr(s, ':');
  struct in_addr addr;
  uint64_t p;

  if (colon == NULL || colon == s || (size_t)(colon - s) >= host_size ||
      !parse_num(colon + 1, 0, 65535, &p))
    return false;
  snprintf(host, host_size, "%.*s", (int)(colon - s), s);
  *port = (uint16_t)p;
  return inet_pton(AF_INET, host, &addr) == 1; /* 999.0.0.1 is none */
}

/* Lets the hub hold as many connections as the hard limit allows. */
static void raise_fd_limit(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* Takes v, a list of addresses given by where (an option or a variable):
 * IPv4 addresses joined by ',' (or "any" too, if any_ok). 0 with *out set
 * to v; else the usage error, naming where and the bad address. */
static int take_addrs(const char *where, const char *v, bool any_ok,
                      const char **out)
{
  char bad[64];

  if ((any_ok && strcmp(v, "any") == 0) ||
      hub_proxy_check(v, bad, sizeof(bad)) == 0) {
    *out = v;
    return 0;
  }
  return hub_cmd_usage_error(
      usage_serve,
      any_ok ? N_("serve: %s wants \"any\" or IPv4 addresses joined by ',', "
                  "not \"%s\"")
             : N_("serve: %s wants IPv4 addresses joined by ',', not \"%s\""),
      where, bad);
}

/* take_addrs from variable name, unless an option gave *out already. */
static int env_addrs(const char *name, bool any_ok, const char **out)
{
  const char *v = getenv(name);

  if (*out != NULL || v == NULL || v[0] == '\0')
    return 0;
  return take_addrs(name, v, any_ok, out);
}

/* True for an IPv4 loopback address (127.0.0.0/8). */
static bool is_loopback(const char *host)
{
  return strncmp(host, "127.", 4) == 0;
}

/* The longest an office session may be set to last (30 days). */
#define OFFICE_SESSION_MAX_S (30u * 24 * 3600)

/* An office session limit from variable name, in seconds (left as it is
 * when unset or empty: the office's default); else the usage error naming
 * the variable, so that a typo never silently keeps the default. */
static int env_session_seconds(const char *name, unsigned *out)
{
  const char *v = getenv(name);
  uint64_t n;

  if (v == NULL || v[0] == '\0')
    return 0;
  if (!parse_num(v, 1, OFFICE_SESSION_MAX_S, &n))
    return hub_cmd_usage_error(
        usage_serve, "serve: $%s wants 1 to %u seconds, not \"%.40s\"", name,
        OFFICE_SESSION_MAX_S, v);
  *out = (unsigned)n;
  return 0;
}

/* The settings the environment gives where the options did not: proxies,
 * who may read /metrics, office sessions. 0, or the usage error's code. */
static int serve_env(struct hub_server_cfg *cfg)
{
  int rc = env_addrs("SAMBANG_HUB_TRUSTED_PROXY", false, &cfg->trusted_proxies);

  if (rc == 0)
    rc = env_addrs("SAMBANG_HUB_METRICS_FROM", true, &cfg->metrics_from);
  if (rc == 0)
    rc = env_session_seconds("SAMBANG_OFFICE_IDLE_S", &cfg->office_idle_s);
  if (rc == 0)
    rc = env_session_seconds("SAMBANG_OFFICE_ABSOLUTE_S",
                             &cfg->office_absolute_s);
  return rc;
}

/* TLS or plain HTTP: $SAMBANG_HUB_TLS_CERT/_KEY fill what the options did
 * not give; plain HTTP off loopback needs --insecure-http. Refused before
 * anything is bound. */
static int serve_transport(struct hub_server_cfg *cfg, bool insecure,
                           bool *done)
{
  const char *env_cert = getenv("SAMBANG_HUB_TLS_CERT");
  const char *env_key = getenv("SAMBANG_HUB_TLS_KEY");

  if (cfg->tls_cert == NULL && env_cert != NULL && env_cert[0] != '\0')
    cfg->tls_cert = env_cert;
  if (cfg->tls_key == NULL && env_key != NULL && env_key[0] != '\0')
    cfg->tls_key = env_key;
  if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
    return hub_cmd_usage_error(usage_serve, "serve: give both --tls-cert and "
                                            "--tls-key (or neither)");
  if (cfg->tls_cert != NULL && insecure)
    return hub_cmd_usage_error(usage_serve,
                               "serve: --insecure-http makes no sense "
                               "with --tls-cert");
  if (cfg->tls_cert == NULL && !insecure && !is_loopback(cfg->host))
    return hub_cmd_usage_error(
        usage_serve,
        "serve: refusing plain HTTP on %s, which is not a "
        "loopback address: give --tls-cert and --tls-key, put "
        "a TLS proxy in front on 127.0.0.1, or give "
        "--insecure-http",
        cfg->host);
  *done = false;
  return 0;
}

/* Parses serve's options into cfg (host is its address buffer). Sets
 * *done and returns the exit code when the command ends here (help, or a
 * usage error); else returns 0 with *done false. */
static int serve_options(int argc, char **argv, struct hub_server_cfg *cfg,
                         char *host, size_t host_size, bool *insecure,
                         bool *done)
{
  uint64_t v;
  int i, rc;

  *done = true;
  *insecure = false;
  memset(cfg, 0, sizeof(*cfg));
  cfg->port = 8080;
  cfg->max_future_ms = HUB_DEFAULT_MAX_FUTURE_MS;
  cfg->max_inflight = HUB_DEFAULT_MAX_INFLIGHT;
  cfg->max_conns_per_addr = HUB_DEFAULT_CONNS_PER_ADDR;
  cfg->head_timeout_s = HUB_DEFAULT_HEAD_TIMEOUT_S;
  cfg->body_min_rate = HUB_DEFAULT_BODY_MIN_RATE;
  /* Options come in pairs: OPTION VALUE. */
  for (i = 0; i < argc; i += 2) {
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (hub_cmd_is_help(a)) {
      fputs(_(usage_serve), stdout);
      return 0;
    }
    if (strcmp(a, "--insecure-http") == 0) { /* the one flag: no value */
      *insecure = true;
      i--;
      continue;
    }
    if (next == NULL)
      return hub_cmd_usage_error(usage_serve, "serve: unexpected argument %s",
                                 a);
    if (strcmp(a, "--listen") == 0) {
      if (!parse_listen(next, host, host_size, &cfg->port))
        return hub_cmd_usage_error(
            usage_serve, "serve: --listen wants ADDR:PORT, not %s", next);
    } else if (strcmp(a, "--tls-cert") == 0) {
      cfg->tls_cert = next;
    } else if (strcmp(a, "--tls-key") == 0) {
      cfg->tls_key = next;
    } else if (strcmp(a, "--trusted-proxy") == 0) {
      if ((rc = take_addrs(a, next, false, &cfg->trusted_proxies)) != 0)
        return rc;
    } else if (strcmp(a, "--metrics-from") == 0) {
      if ((rc = take_addrs(a, next, true, &cfg->metrics_from)) != 0)
        return rc;
    } else if (strcmp(a, "--max-future-ms") == 0) {
      if (!parse_num(next, 0, (uint64_t)1 << 40, &cfg->max_future_ms))
        return hub_cmd_usage_error(
            usage_serve, "serve: --max-future-ms wants milliseconds, not %s",
            next);
    } else if (strcmp(a, "--max-inflight") == 0) {
      if (!parse_num(next, 1, 100000, &v))
        return hub_cmd_usage_error(
            usage_serve, "serve: --max-inflight wants 1 to 100000, not %s",
            next);
      cfg->max_inflight = (unsigned)v;
    } else if (strcmp(a, "--max-conns") == 0) {
      if (!parse_num(next, 1, 1000000, &v))
        return hub_cmd_usage_error(
            usage_serve, "serve: --max-conns wants 1 to 1000000, not %s", next);
      cfg->max_conns = (unsigned)v;
    } else if (strcmp(a, "--reserve-conns") == 0) {
      if (!parse_num(next, 1, 100000, &v))
        return hub_cmd_usage_error(
            usage_serve, "serve: --reserve-conns wants 1 to 100000, not %s",
            next);
      cfg->reserve_conns = (unsigned)v;
    } else if (strcmp(a, "--max-conns-per-addr") == 0) {
      if (!parse_num(next, 1, 1000000, &v))
        return hub_cmd_usage_error(
            usage_serve,
            "serve: --max-conns-per-addr wants 1 to 1000000, not %s", next);
      cfg->max_conns_per_addr = (unsigned)v;
    } else if (strcmp(a, "--head-timeout") == 0) {
      if (!parse_num(next, 1, 3600, &v))
        return hub_cmd_usage_error(
            usage_serve,
            "serve: --head-timeout wants 1 to 3600 seconds, not %s", next);
      cfg->head_timeout_s = (unsigned)v;
    } else if (strcmp(a, "--body-min-rate") == 0) {
      if (!parse_num(next, 0, 1u << 30, &v))
        return hub_cmd_usage_error(
            usage_serve,
            "serve: --body-min-rate wants bytes per second, "
            "not %s",
            next);
      cfg->body_min_rate = (unsigned)v;
    } else {
      return hub_cmd_usage_error(usage_serve, "serve: unexpected argument %s",
                                 a);
    }
  }
  cfg->host = host;
  if ((rc = serve_env(cfg)) != 0)
    return rc;
  return serve_transport(cfg, *insecure, done);
}

/* The quick check at start ($SAMBANG_CHECK_MS), logged. A corrupt store
 * is served: reads answer where the pages allow, writes and health 503. */
static int serve_check(struct hub_store *hs)
{
  enum store_check_state st;
  struct sb_err err = {0};
  int budget, rc = store_check_budget(&budget, &err);

  if (rc != 0)
    return hub_cmd_fail(rc, &err);
  if (budget == 0)
    return 0;
  rc = hub_store_check(hs, STORE_CHECK_QUICK, budget, NULL, NULL, &st, &err);
  if (rc != 0)
    log_msg(LOG_LEVEL_ERROR, "quick check: %s; serving read-only", err.msg);
  else if (st == STORE_CHECK_PARTIAL)
    log_msg(LOG_LEVEL_WARN,
            "quick check: not checked fully (stopped after "
            "%d ms); run `sambang-hub check` for a full check",
            budget);
  else
    log_msg(LOG_LEVEL_INFO, "quick check: ok");
  return 0;
}

/* Says at start what would keep erased values readable in the store's
 * files after `sambang-hub compact` (daemon/hub/DESIGN.md, "Erasure"):
 * an operator reads the log before the compact timer's failures. */
static void serve_erasure_check(struct hub_store *hs)
{
  struct hub_compaction c;
  struct sb_err err = {0};

  if (hub_store_erasure_check(hs, &c, &err) != 0)
    log_msg(LOG_LEVEL_WARN, "erasure check: %s", err.msg);
  else if (!c.log_cleared)
    log_msg(LOG_LEVEL_WARN,
            "erasure: values erased by deletes and consent withdrawals "
            "stay readable in the database's files after `sambang-hub "
            "compact`: %s",
            c.log_note);
}

int hub_cmd_serve(const char *db, int argc, char **argv)
{
  char shown[HUB_STORE_SHOWN_MAX];
  struct hub_server_cfg cfg;
  struct serve_state st;
  struct sb_err err = {0};
  struct hub_store *hs = NULL;
  struct sigaction sa;
  uv_loop_t loop;
  char host[64] = "127.0.0.1";
  bool done, insecure;
  int rc;

  rc = serve_options(argc, argv, &cfg, host, sizeof(host), &insecure, &done);
  if (done)
    return rc;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  raise_fd_limit();
  hub_heap_tune(); /* before any thread starts: it sets their arenas */

  rc = hub_cmd_open_store(db, &hs);
  if (rc == 0 && (rc = serve_check(hs)) != 0)
    hub_store_close(hs);
  if (rc != 0)
    return rc;
  /* From here on messages reach the wire and the log: English. */
  i18n_english();
  serve_erasure_check(hs);
  uv_loop_init(&loop);
  rc = hub_server_start(&loop, hs, &cfg, &st.hub, &err);
  if (rc != 0) {
    uv_loop_close(&loop);
    hub_store_close(hs);
    hub_cmd_fail(rc, &err);
    return EXITCODE_FAILURE; /* not the store's fault: cannot listen */
  }
  uv_signal_init(&loop, &st.sigterm);
  uv_signal_init(&loop, &st.sigint);
  st.sigterm.data = st.sigint.data = &st;
  uv_signal_start(&st.sigterm, on_signal, SIGTERM);
  uv_signal_start(&st.sigint, on_signal, SIGINT);
  uv_signal_init(&loop, &st.sighup);
  st.sighup.data = &st;
  if (cfg.tls_cert != NULL)
    uv_signal_start(&st.sighup, on_sighup, SIGHUP);
  /* The log says how it serves before "listening" tells a script (or a
   * test) that the hub is ready: whoever reads the one sees the other. */
  hub_store_shown(db, shown, sizeof(shown));
  log_msg(LOG_LEVEL_INFO,
          "serving %s on %s:%u over %s (replica %s, generation %s)", shown,
          host, (unsigned)hub_server_port(st.hub),
          cfg.tls_cert != NULL ? "HTTPS" : "plain HTTP", hub_store_replica(hs),
          hub_server_generation(st.hub));
  if (insecure && !is_loopback(host))
    log_msg(LOG_LEVEL_WARN,
            "--insecure-http: serving plain HTTP on %s: "
            "tokens and records cross the network in clear text",
            host);
  printf("listening on %s:%u\n", host, (unsigned)hub_server_port(st.hub));
  fflush(stdout);
  service_notify("READY=1"); /* systemd (Type=notify): now listening */

  uv_run(&loop, UV_RUN_DEFAULT);

  hub_server_free(st.hub);
  hub_store_close(hs);
  if (uv_loop_close(&loop) != 0)
    log_msg(LOG_LEVEL_WARN, "the loop still had open handles at exit");
  log_msg(LOG_LEVEL_INFO, "stopped");
  return 0;
}
