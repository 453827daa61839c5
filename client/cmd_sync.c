/*
 * cmd_sync.c - `sambang sync`: one full sync cycle, now.
 *
 * With a daemon running for the store, it asks the daemon (control
 * socket) and follows its progress. With --once it runs the cycle itself,
 * in-process, with the very engine the daemon uses (daemon/sync/sync.h): push
 * every pending change, pull until the feed is drained, then stop.
 */
#include "compat.h"

#include "cli.h"

#include "exitcode.h"
#include "progress.h"
#include "sync.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYNC_READ_TIMEOUT_MS (10 * 60 * 1000)
/* How often a terminal's progress line is redrawn, and a line of progress
 * written when stderr is not a terminal (--progress-every: 0 for none). */
#define TTY_EVERY_S 0.1
#define LOG_EVERY_S 10.0
#define LOG_EVERY_MAX_S 86400.0

struct progress {
  bool tty; /* progress lines on stderr */
  bool json;
  double every_s; /* not a terminal: a progress line this often (0: none) */
  struct progress_figures fig;
  struct progress_clock clock;
  double last_line; /* when progress was last shown */
  size_t shown;     /* the terminal line's length */
  bool once;        /* in-process: the bytes moved are known */
  bool done, ok;
  int code; /* a failing store's SB_E* code (sync_status.last_code) */
  uint64_t pushed, pulled, rejected, pending;
  uint64_t removed; /* rows that left the store with the scope */
  char error[SB_ERR_MSG_MAX];
  char warning[SB_ERR_MSG_MAX]; /* why records are refused or pending */
  struct sync_status last;      /* --once: the engine's final status */
};

/* Shows p->fig: redrawn on a terminal (at most every TTY_EVERY_S, unless
 * last), else a line every p->every_s (a quiet log for a long sync). */
static void show_progress(struct progress *p, bool last)
{
  double now = progress_now();
  char line[256];

  if (p->clock.pull_from == 0 && p->fig.cursor > p->fig.feed_base)
    p->clock.pull_from = now;
  if (p->tty ? !last && now - p->last_line < TTY_EVERY_S
             : p->json || p->every_s <= 0 || now - p->last_line < p->every_s)
    return;
  p->last_line = now;
  progress_line(line, sizeof(line), &p->fig, &p->clock, now);
  if (p->tty) {
    size_t n = strlen(line);
    /* spaces over what a longer line left */
    fprintf(stderr, "\r%s%*s", line, p->shown > n ? (int)(p->shown - n) : 0,
            "");
    p->shown = n;
  } else {
    fprintf(stderr, "sambang: sync: %s\n", line);
  }
}

/* After a cycle that completed: records refused by the hub or still
 * pending make it exit EXITCODE_UNSYNCED, saying why (no silent failure). */
static int unsynced(const struct progress *p, struct sb_err *err)
{
  if (p->rejected == 0 && p->pending == 0 && p->warning[0] == '\0')
    return 0;
  return sb_err_set(err, SB_EUNSYNCED,
                    "synced, but %llu record(s) rejected and %llu still "
                    "pending: %.300s",
                    (unsigned long long)p->rejected,
                    (unsigned long long)p->pending,
                    p->warning[0] != '\0' ? p->warning : "see sambang status");
}

/* The result: stdout line(s), and the error for a failure. */
static int report(struct progress *p, struct sb_err *err)
{
  if (p->tty) {
    show_progress(p, true);
    fputc('\n', stderr);
  }
  /* The store's own failure exits as the store's (6: disk full...). */
  if (!p->ok)
    return sb_err_set(
        err,
        exitcode_from_err(p->code) == EXITCODE_UNUSABLE ? p->code : SB_ENETWORK,
        "sync failed: %s", p->error);
  if (p->json && !p->once) {
    printf("{\"ok\":true,\"pending\":%llu,\"pulled\":%llu,\"pushed\":%llu,"
           "\"rejected\":%llu,\"removed\":%llu}\n",
           (unsigned long long)p->pending, (unsigned long long)p->pulled,
           (unsigned long long)p->pushed, (unsigned long long)p->rejected,
           (unsigned long long)p->removed);
    return unsynced(p, err);
  }
  if (p->json) {
    /* --once knows the bytes it moved: body bytes on the wire and as JSON. */
    printf("{\"json_down\":%llu,\"json_up\":%llu,\"ok\":true,\"pending\":%llu,"
           "\"pulled\":%llu,\"pushed\":%llu,\"rejected\":%llu,\"removed\":%llu,"
           "\"wire_down\":%llu,\"wire_up\":%llu}\n",
           (unsigned long long)p->last.json_down,
           (unsigned long long)p->last.json_up, (unsigned long long)p->pending,
           (unsigned long long)p->pulled, (unsigned long long)p->pushed,
           (unsigned long long)p->rejected, (unsigned long long)p->removed,
           (unsigned long long)p->last.wire_down,
           (unsigned long long)p->last.wire_up);
    return unsynced(p, err);
  }
  printf(_("synced: pushed %llu, pulled %llu\n"), (unsigned long long)p->pushed,
         (unsigned long long)p->pulled);
  if (p->removed > 0)
    printf(_("removed %llu: they left this device's scope\n"),
           (unsigned long long)p->removed);
  if (p->rejected > 0)
    printf(_("rejected %llu: the hub refused them (see `sambang conflicts`)\n"),
           (unsigned long long)p->rejected);
  return unsynced(p, err);
}

/* --- through the daemon ----------------------------------------------------
 */

static uint64_t num(const cJSON *j, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
  return cJSON_IsNumber(v) && v->valuedouble >= 0 ? (uint64_t)v->valuedouble
                                                  : 0;
}

static int daemon_line(const char *line, void *ctx)
{
  struct progress *p = ctx;
  cJSON *j = cJSON_Parse(line);
  const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "event");
  const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(j, "error");
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
  int rc = 1;

  if (cJSON_IsString(error))
    snprintf(p->error, sizeof(p->error), "%s", error->valuestring);
  if (cJSON_IsString(code))
    p->code = sb_err_named(code->valuestring);
  if (!cJSON_IsString(ev)) {
    /* {"ok":false,"error":...}: the daemon refused the request. */
    if (!p->error[0])
      snprintf(p->error, sizeof(p->error), "sambangd answered: %.200s", line);
    p->ok = false;
    rc = 0;
  } else {
    p->pushed = num(j, "pushed");
    p->pulled = num(j, "pulled");
    p->rejected = num(j, "rejected");
    p->pending = num(j, "pending");
    p->removed = num(j, "removed");
    /* the running cycle's own share done (an older sambangd sends none) */
    p->fig.pushed = num(j, "cycle_pushed");
    p->fig.push_total = num(j, "push_total");
    p->fig.pulled = p->pulled;
    p->fig.feed_base = num(j, "feed_base");
    p->fig.cursor = num(j, "cursor");
    p->fig.feed_last = num(j, "feed_last");
    if (p->fig.push_total == 0) /* none said: what moved since asked */
      p->fig.pushed = p->pushed;
    if (strcmp(ev->valuestring, "done") == 0) {
      const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "warning");
      if (cJSON_IsString(w))
        snprintf(p->warning, sizeof(p->warning), "%s", w->valuestring);
      p->ok = cJSON_IsTrue(ok);
      rc = 0;
    } else {
      show_progress(p, false);
    }
  }
  cJSON_Delete(j);
  return rc;
}

static int sync_daemon(struct cli *cli, struct progress *p, struct sb_err *err)
{
  int rc = control_client_request(cli->db, "{\"cmd\":\"sync\"}",
                                  SYNC_READ_TIMEOUT_MS, daemon_line, p, err);

  if (rc == SB_ENOTFOUND)
    return sb_err_set(err, SB_ENETWORK,
                      "no sambangd is running for %s; use `sambang sync "
                      "--once`",
                      cli->db);
  return rc != 0 ? rc : report(p, err);
}

/* --- in-process (--once)
 * ------------------------------------------------------ */

static void once_event(struct sync *s, enum sync_event ev, void *ctx)
{
  struct progress *p = ctx;

  sync_status_quick(s, &p->last);
  p->pushed = p->last.cycle_pushed;
  p->pulled = p->last.cycle_pulled;
  p->removed = p->last.cycle_removed;
  p->fig = (struct progress_figures){p->pushed,      p->last.push_total,
                                     p->pulled,      p->last.feed_base,
                                     p->last.cursor, p->last.feed_last};
  switch (ev) {
  case SYNC_EV_PROGRESS:
    show_progress(p, false);
    break;
  case SYNC_EV_CYCLE_DONE:
    p->ok = true;
    p->done = true;
    snprintf(p->warning, sizeof(p->warning), "%s", p->last.last_error);
    sync_stop(s);
    break;
  case SYNC_EV_FAILED:
  case SYNC_EV_HALTED:
    p->ok = false;
    p->done = true;
    p->code = p->last.last_code;
    snprintf(p->error, sizeof(p->error), "%s", p->last.last_error);
    sync_stop(s);
    break;
  case SYNC_EV_STOPPED:
    break;
  }
}

/* sync --once's options (NULL: not given). */
struct once_opts {
  const char *config, *server, *token, *ca_file, *pin;
};

/* Settings: the store's server, token, office CA and pin, the config file,
 * the options. */
static int once_config(struct cli *cli, struct sync_config *c,
                       const struct once_opts *o, struct sb_err *err)
{
  struct sync_overrides given = {o->server, o->token, o->ca_file, o->pin};
  int rc = sync_config_from_store(c, cli->store, err);

  if (rc != 0)
    return rc;
  if (o->config != NULL && (rc = sync_config_load(c, o->config, err)) != 0)
    return rc;
  if ((rc = sync_config_override(c, &given, err)) != 0)
    return rc;
  c->once = true;
  return sync_config_check(c, err);
}

static int sync_once(struct cli *cli, struct progress *p,
                     const struct once_opts *o, struct sb_err *err)
{
  struct sync_config c;
  uint64_t pending, rejected;
  struct sync *s = NULL;
  uv_loop_t loop;
  int rc, lock_fd;

  rc = util_open_hot(cli, err);
  if (rc == 0)
    rc = sync_lock(cli->db, &lock_fd, err);
  if (rc == SB_EBUSY)
    return sb_err_set(err, rc,
                      "a sambangd (or another sync) is syncing %s: use "
                      "`sambang sync` to ask it",
                      cli->db);
  if (rc != 0)
    return rc;
  sync_config_init(&c);
  rc = once_config(cli, &c, o, err);
  if (rc == 0 && uv_loop_init(&loop) != 0)
    rc = sb_err_set(err, SB_EINTERNAL, "cannot start an event loop");
  else if (rc == 0) {
    rc = sync_new(&loop, cli->store, &c, &s, err);
    if (rc == 0) {
      sync_set_listener(s, once_event, p);
      sync_start(s);
      uv_run(&loop, UV_RUN_DEFAULT);
      sync_free(s);
    } else {
      uv_run(&loop, UV_RUN_DEFAULT); /* closes what sync_new made */
    }
    uv_loop_close(&loop);
  }
  sync_config_release(&c);
  sync_lock_release(lock_fd);
  if (rc != 0)
    return rc;
  if (store_count_marks(cli->store, &pending, &rejected, NULL) == 0) {
    p->rejected = rejected;
    p->pending = pending;
  }
  return report(p, err);
}

int cmd_sync(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  struct progress p = {
      .tty = isatty(2) == 1, .json = cli->json, .every_s = LOG_EVERY_S};
  struct once_opts o = {0};
  const char *v;
  bool once = false;
  int i, rc;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--once") == 0) {
      once = true;
    } else if ((rc = util_opt(argc, argv, &i, "progress-every", &v, err)) !=
               0) {
      char *end;
      if (rc < 0)
        return rc;
      p.every_s = strtod(v, &end);
      if (end == v || *end != '\0' || !(p.every_s >= 0) ||
          p.every_s > LOG_EVERY_MAX_S)
        return util_usage(err,
                          "--progress-every takes seconds from 0 to 86400, "
                          "got \"%.40s\"",
                          v);
    } else if ((rc = util_opt(argc, argv, &i, "server", &v, err)) != 0) {
      if (rc < 0)
        return rc;
      o.server = v;
    } else if ((rc = util_opt(argc, argv, &i, "token", &v, err)) != 0) {
      if (rc < 0)
        return rc;
      o.token = v;
    } else if ((rc = util_opt(argc, argv, &i, "config", &v, err)) != 0) {
      if (rc < 0)
        return rc;
      o.config = v;
    } else if ((rc = util_opt(argc, argv, &i, "ca-file", &v, err)) != 0) {
      if (rc < 0)
        return rc;
      o.ca_file = v;
    } else if ((rc = util_opt(argc, argv, &i, "pin", &v, err)) != 0) {
      if (rc < 0)
        return rc;
      o.pin = v;
    } else {
      return argv[i][0] == '-'
                 ? util_bad_option("sync", argv[i], err)
                 : util_usage(err, "sync takes no arguments (see sambang "
                                   "sync --help)");
    }
  }
  if (!once && (o.server != NULL || o.token != NULL || o.config != NULL ||
                o.ca_file != NULL || o.pin != NULL))
    return util_usage(err, "--server, --token, --config, --ca-file and --pin "
                           "go with --once (a running daemon has its own "
                           "settings)");
  if (p.json)
    p.tty = false;
  p.once = once;
  p.clock.start = p.last_line = progress_now();
  if (once)
    return sync_once(cli, &p, &o, err);
  return sync_daemon(cli, &p, err);
}
