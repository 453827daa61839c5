/*
 * sambangd_main.c - `sambangd`, the field daemon: keeps one device's store
 * in sync with the hub, by itself, whenever the network allows.
 *
 * One libuv loop runs the sync engine (daemon/sync/sync.h), the control socket
 * (control.h) and the signals: SIGTERM/SIGINT stop cleanly (transfers
 * aborted, no transaction left open), SIGHUP reloads the config file.
 * Settings, lowest first: built-in defaults, the store's own (`sambang
 * init --server --token`), the config file (--config, else the default
 * one if it exists, so a unit starts with a store and no config file),
 * the command line. systemd hears READY/RELOADING/STOPPING (service.h).
 * Exit codes: 0 ok, 1 failure, 2 usage, 5 another daemon runs, 6 store
 * unusable.
 */
#include "compat.h"

#include "control.h"
#include "exitcode.h"
#include "i18n.h"
#include "log.h"
#include "opt.h"
#include "service.h"
#include "store.h"
#include "sync.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

static const char *const usage = N_(
    "usage: sambangd [--db PATH] [OPTIONS]\n"
    "\n"
    "The field daemon: pushes this device's changes to the hub and pulls\n"
    "everyone else's, by itself, whenever the hub can be reached; backs off\n"
    "while it cannot. Runs until SIGTERM or SIGINT (or `stop` on the control\n"
    "socket); SIGHUP reloads the config file. Logs to stderr.\n"
    "\n"
    "The store is --db PATH, else $SAMBANG_DB, else\n"
    "$XDG_DATA_HOME/sambang/store.db, else ~/.local/share/sambang/store.db.\n"
    "The hub and token come from the store (sambang init --server --token),\n"
    "then the config file, then these options:\n"
    "\n"
    "  --config FILE        settings file (sambangd.conf(5)); without it,\n"
    "                       $SAMBANGD_CONFIG, else\n"
    "                       $XDG_CONFIG_HOME/sambang/sambangd.conf, else\n"
    "                       ~/.config/sambang/sambangd.conf, if it exists\n"
    "  --server URL         the hub, e.g. https://hub.example.org\n"
    "  --token TOKEN        this device's token (sambang-hub device add)\n"
    "  --token-file FILE    read the token from FILE\n"
    "  --ca-file FILE       CA certificates (PEM) to verify the hub with,\n"
    "                       instead of the store's (sambang init --ca-file)\n"
    "                       or the system's\n"
    "  --pin sha256//KEY    also require the hub's public key to be this\n"
    "  --backoff-cap SECS   longest wait between retries (default 300)\n"
    "  --wait SECS          long-poll wait (default 50, at most 60)\n"
    "  --socket PATH        control socket (default: the store path + .sock)\n"
    "  -h, --help           this help\n"
    "  --version            the version\n"
    "\n"
    "Control socket: line-delimited JSON, see daemon/sambangd/CONTROL.md; "
    "`sambang\n"
    "status` and `sambang sync` use it.\n"
    "\n"
    "Exit status: 0 stopped cleanly, 1 failure, 2 bad options or settings\n"
    "(no hub or token, a bad config file), 5 another sambangd runs for the\n"
    "store, 6 the store is missing or unusable.\n");

struct options {
  const char *db, *config, *server, *token, *token_file, *ca_file, *pin;
  const char *backoff_cap, *wait, *socket;
  uint64_t backoff_cap_s, wait_s; /* as read by options_check (0: not given) */
};

struct daemon {
  uv_loop_t loop;
  struct store *store;
  struct sync *engine;
  struct control *control;
  struct options opt;
  char *db;
  uv_signal_t sigterm, sigint, sighup;
  bool stopping;
  int lock_fd;
  char warned[SB_ERR_MSG_MAX]; /* the last cycle warning logged */
};

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
                                                             ...)
{
  va_list ap;

  fputs("sambangd: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, _(fmt), ap);
  va_end(ap);
  fputs(_(" (see sambangd --help)\n"), stderr);
  return EXITCODE_USAGE;
}

static int parse_args(int argc, char **argv, struct options *o)
{
  static const char *const names[] = {
      "db",      "config", "server",      "token", "token-file",
      "ca-file", "pin",    "backoff-cap", "wait",  "socket"};
  const char **slots[] = {
      &o->db,      &o->config, &o->server,      &o->token, &o->token_file,
      &o->ca_file, &o->pin,    &o->backoff_cap, &o->wait,  &o->socket};
  int i;
  size_t k;

  for (i = 1; i < argc; i++) {
    int m = 0;
    for (k = 0; k < sizeof(names) / sizeof(names[0]) && m == 0; k++) {
      const char *had = *slots[k];
      m = opt_match(argc, argv, &i, names[k], slots[k]);
      if (m < 0)
        return usage_error("--%s needs a value", names[k]);
      if (m > 0 && had != NULL) /* as the CLI: never the last one winning */
        return usage_error("--%s is given twice", names[k]);
    }
    if (m == 0)
      return argv[i][0] == '-' ? usage_error("unknown option %s", argv[i])
                               : usage_error("unexpected argument %s", argv[i]);
  }
  if (o->token != NULL && o->token_file != NULL)
    return usage_error("give --token or --token-file, not both");
  return 0;
}

/* The store path as the CLI finds it (sambang --help). */
static char *db_path(const char *given)
{
  const char *env = getenv("SAMBANG_DB"), *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  char buf[4096];

  if (given != NULL)
    return strdup(given);
  if (env != NULL && env[0] != '\0')
    return strdup(env);
  if (xdg != NULL && xdg[0] != '\0')
    snprintf(buf, sizeof(buf), "%s/sambang/store.db", xdg);
  else
    snprintf(buf, sizeof(buf), "%s/.local/share/sambang/store.db",
             home != NULL ? home : ".");
  return strdup(buf);
}

/* A whole number of seconds from an option, as ms. */
static int secs_opt(const char *name, const char *v, uint64_t lo, uint64_t hi,
                    uint64_t *out, struct sb_err *err)
{
  char *end;
  unsigned long long n;

  errno = 0;
  n = strtoull(v, &end, 10);
  if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < lo ||
      n > hi)
    return sb_err_set(err, SB_EINVAL,
                      "--%s must be a whole number of seconds from %llu to "
                      "%llu, got \"%.40s\"",
                      name, (unsigned long long)lo, (unsigned long long)hi, v);
  *out = (uint64_t)n;
  return 0;
}

/*
 * The options' own syntax, before anything is opened: a bad --wait says
 * so (exit 2) even where the store is missing, rather than the store
 * first. The numbers are read here once; load_config applies them over
 * the store's settings and the file's.
 */
static int options_check(struct options *o)
{
  struct sb_err err = {0};
  int rc = 0;

  if (o->wait != NULL)
    rc = secs_opt("wait", o->wait, 1, 60, &o->wait_s, &err);
  if (rc == 0 && o->backoff_cap != NULL)
    rc = secs_opt("backoff-cap", o->backoff_cap, 1, 86400, &o->backoff_cap_s,
                  &err);
  /* (plain http:// beyond loopback depends on the config file's
   * insecure_http: load_config checks that) */
  if (rc == 0 && o->server != NULL)
    rc = sync_config_check_server(o->server, true, &err);
  if (rc == 0 && o->pin != NULL)
    rc = sync_config_check_pin(o->pin, &err);
  if (rc == 0)
    return 0;
  fprintf(stderr, "sambangd: %s\n", err.msg);
  return EXITCODE_USAGE;
}

/* The default config file, read only if it exists (so that the units
 * start with a store and no config file): $SAMBANGD_CONFIG, else
 * $XDG_CONFIG_HOME/sambang/sambangd.conf, else ~/.config/sambang/... */
static int default_config(struct sync_config *c, struct sb_err *err)
{
  const char *env = getenv("SAMBANGD_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  char buf[4096];
  int rc;

  if (env != NULL && env[0] != '\0')
    snprintf(buf, sizeof(buf), "%s", env);
  else if (xdg != NULL && xdg[0] != '\0')
    snprintf(buf, sizeof(buf), "%s/sambang/sambangd.conf", xdg);
  else if (home != NULL && home[0] != '\0')
    snprintf(buf, sizeof(buf), "%s/.config/sambang/sambangd.conf", home);
  else
    return 0;
  rc = sync_config_load(c, buf, err);
  if (rc == SB_ENOTFOUND) {
    *err = (struct sb_err){0};
    return 0;
  }
  return rc;
}

/* Builds the settings: store meta < config file < options. */
static int load_config(struct daemon *d, struct sync_config *c,
                       struct sb_err *err)
{
  const struct options *o = &d->opt;
  struct sync_overrides given = {o->server, o->token, o->ca_file, o->pin};
  int rc;

  sync_config_init(c);
  if ((rc = sync_config_from_store(c, d->store, err)) != 0)
    return rc;
  if (o->config != NULL && (rc = sync_config_load(c, o->config, err)) != 0) {
    /* A missing config file is a usage error, not a missing store. */
    if (rc == SB_ENOTFOUND) {
      err->code = SB_EINVAL;
      rc = SB_EINVAL;
    }
    return rc;
  }
  if (o->config == NULL && (rc = default_config(c, err)) != 0)
    return rc;
  if ((rc = sync_config_override(c, &given, err)) != 0)
    return rc;
  if (o->token_file != NULL &&
      (rc = sync_config_token_file(c, o->token_file, err)) != 0)
    return rc;
  if (o->backoff_cap_s != 0) {
    c->backoff_cap_ms = o->backoff_cap_s * 1000;
    if (c->backoff_min_ms > c->backoff_cap_ms)
      c->backoff_min_ms = c->backoff_cap_ms;
  }
  if (o->wait_s != 0)
    c->wait_s = (unsigned)o->wait_s;
  return sync_config_check(c, err);
}

/* --- events and signals ----------------------------------------------------
 */

static void signals_close(struct daemon *d)
{
  uv_close((uv_handle_t *)&d->sigterm, NULL);
  uv_close((uv_handle_t *)&d->sigint, NULL);
  uv_close((uv_handle_t *)&d->sighup, NULL);
}

static void on_event(struct sync *s, enum sync_event ev, void *ctx)
{
  struct daemon *d = ctx;
  struct sync_status st;

  sync_status_quick(s, &st);
  switch (ev) {
  case SYNC_EV_PROGRESS:
    break;
  case SYNC_EV_CYCLE_DONE:
    if (st.cycle_pushed > 0 || st.cycle_pulled > 0 || st.cycle_removed > 0)
      log_msg(LOG_LEVEL_INFO, "synced: pushed %llu, pulled %llu, removed %llu",
              (unsigned long long)st.cycle_pushed,
              (unsigned long long)st.cycle_pulled,
              (unsigned long long)st.cycle_removed);
    /* Records refused or left pending: said once, not every cycle. */
    if (st.last_error[0] != '\0' && strcmp(st.last_error, d->warned) != 0)
      log_msg(LOG_LEVEL_WARN, "%s", st.last_error);
    snprintf(d->warned, sizeof(d->warned), "%s", st.last_error);
#ifdef __GLIBC__
    /* Up to date and about to sleep in a long-poll: hand the memory a big
     * sync used (pages of 1,000 records) back to the system. */
    malloc_trim(0);
#endif
    break;
  case SYNC_EV_FAILED:
    log_msg(LOG_LEVEL_WARN, "%s; retrying in %.1f s", st.last_error,
            st.next_retry_ms > 0
                ? (double)(st.next_retry_ms - (int64_t)time(NULL) * 1000) / 1000
                : 0.0);
    break;
  case SYNC_EV_HALTED:
    log_msg(LOG_LEVEL_ERROR,
            "%s; syncing stopped (re-enrol the device, "
            "then `sambang sync` or SIGHUP)",
            st.last_error);
    break;
  case SYNC_EV_STOPPED:
    break;
  }
  control_event(d->control, ev);
  if (ev == SYNC_EV_STOPPED)
    signals_close(d);
}

static void control_closed(void *ctx)
{
  struct daemon *d = ctx;
  sync_stop(d->engine);
}

static void daemon_stop(void *ctx)
{
  struct daemon *d = ctx;

  if (d->stopping)
    return;
  d->stopping = true;
  service_notify("STOPPING=1");
  control_event(d->control, SYNC_EV_STOPPED);
  control_close(d->control, control_closed, d);
  d->control = NULL;
}

static void reload(struct daemon *d)
{
  struct sync_config c;
  struct sb_err err = {0};
  int rc;

  service_notify("RELOADING=1");
  rc = load_config(d, &c, &err);
  if (rc == 0)
    rc = sync_reconfigure(d->engine, &c, &err);
  if (rc == 0)
    log_msg(LOG_LEVEL_INFO, "SIGHUP: settings reloaded (hub %s)", c.server);
  else
    log_msg(LOG_LEVEL_ERROR, "SIGHUP: %s; keeping the settings in use",
            err.msg);
  sync_config_release(&c);
  service_notify("READY=1");
}

static void on_signal(uv_signal_t *sig, int signum)
{
  struct daemon *d = sig->data;

  if (signum == SIGHUP) {
    reload(d);
    return;
  }
  log_msg(LOG_LEVEL_INFO, "signal %d: stopping", signum);
  daemon_stop(d);
}

/* --- main -------------------------------------------------------------------
 */

/*
 * The exit code for code, as sambangd's --help documents it: the shared
 * table (exitcode.h) read in the daemon's context. It has no record to
 * miss and takes no input but its settings, so a missing store is
 * unusable (6), a bad setting is a usage error (2), and what the table
 * calls not found or invalid input, or trouble after start-up, is a plain
 * failure (1).
 */
static int exit_for(int code)
{
  switch (code) {
  case SB_ENOTFOUND:
    return EXITCODE_UNUSABLE;
  case SB_EINVAL:
    return EXITCODE_USAGE;
  case SB_EBUSY:
  case SB_ENOTSTORE:
  case SB_ECORRUPT:
  case SB_EVERSION:
  case SB_EREADONLY:
    return exitcode_from_err(code);
  default:
    return EXITCODE_FAILURE;
  }
}

/*
 * The quick check at start, bounded by $SAMBANG_CHECK_MS: logged; a
 * damaged store stays open for the status but refuses every write, so the
 * engine pulls and merges nothing into it (each cycle fails with the
 * store's message until `sambang check` passes or `sambang recover` ran).
 */
static int start_check(struct store *s, struct sb_err *err)
{
  enum store_check_state st;
  struct sb_err cerr = {0};
  int budget, rc = store_check_budget(&budget, err);

  if (rc != 0 || budget == 0)
    return rc;
  rc = store_check(s, STORE_CHECK_QUICK, budget, NULL, NULL, &st, &cerr);
  if (rc != 0)
    log_msg(LOG_LEVEL_ERROR, "quick check: %s", cerr.msg);
  else if (st == STORE_CHECK_PARTIAL)
    log_msg(LOG_LEVEL_WARN,
            "quick check: not checked fully (stopped after "
            "%d ms); run `sambang check` for a full check",
            budget);
  else
    log_msg(LOG_LEVEL_INFO, "quick check: ok");
  return 0;
}

static int run(struct daemon *d, struct sb_err *err)
{
  struct sync_config c;
  char sock[4200];
  int rc;

  d->db = db_path(d->opt.db);
  if (d->db == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = store_open_as(d->db, STORE_ROLE_DEVICE, &d->store, err);
  if (rc == 0)
    rc = sync_lock(d->db, &d->lock_fd, err);
  if (rc == 0)
    rc = start_check(d->store, err);
  if (rc != 0)
    return rc;
  rc = load_config(d, &c, err);
  if (rc == 0)
    rc = sync_new(&d->loop, d->store, &c, &d->engine, err);
  if (rc != 0) {
    sync_config_release(&c);
    return rc;
  }
  /* The signals first: a supervisor (or a script) that sees the control
   * socket may stop the daemon at once, and SIGTERM must then be a clean
   * stop (exit 0), not the default death. One that comes before the loop
   * runs waits in libuv's signal pipe. */
  uv_signal_init(&d->loop, &d->sigterm);
  uv_signal_init(&d->loop, &d->sigint);
  uv_signal_init(&d->loop, &d->sighup);
  d->sigterm.data = d->sigint.data = d->sighup.data = d;
  uv_signal_start(&d->sigterm, on_signal, SIGTERM);
  uv_signal_start(&d->sigint, on_signal, SIGINT);
  uv_signal_start(&d->sighup, on_signal, SIGHUP);
  snprintf(sock, sizeof(sock), "%s.sock", d->db);
  rc = control_open(&d->loop, d->opt.socket != NULL ? d->opt.socket : sock,
                    d->engine, daemon_stop, d, &d->control, err);
  if (rc != 0) {
    signals_close(d);
    sync_config_release(&c);
    return rc;
  }
  sync_set_listener(d->engine, on_event, d);
  log_msg(LOG_LEVEL_INFO, "syncing %s (replica %s) with %s", d->db,
          store_replica(d->store), c.server);
  sync_config_release(&c);
  sync_start(d->engine);
  service_notify("READY=1"); /* systemd (Type=notify): the loop runs */
  uv_run(&d->loop, UV_RUN_DEFAULT);
  return 0;
}

int main(int argc, char **argv)
{
  struct daemon d;
  struct sb_err err = {0};
  int i, rc;

  i18n_init("sambang");
  memset(&d, 0, sizeof(d));
  d.lock_fd = -1;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(_(usage), stdout);
      return 0;
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("sambangd %s\n", SAMBANG_VERSION);
      return 0;
    }
  }
  rc = parse_args(argc, argv, &d.opt);
  if (rc == 0)
    rc = options_check(&d.opt);
  if (rc != 0)
    return rc;
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&d.loop);
  rc = run(&d, &err);
  if (rc != 0)
    fprintf(stderr, "sambangd: %s\n", err.msg[0] ? err.msg : sb_err_str(rc));
  /* Closes whatever is left open (after a failed start). */
  if (d.control != NULL)
    control_close(d.control, NULL, NULL);
  if (d.engine != NULL && rc != 0)
    sync_stop(d.engine);
  uv_run(&d.loop, UV_RUN_DEFAULT);
  sync_free(d.engine);
  uv_loop_close(&d.loop);
  store_close(d.store);
  sync_lock_release(d.lock_fd);
  free(d.db);
  return rc == 0 ? 0 : exit_for(rc);
}
