/*
 * control.c - sambangd's control socket (see control.h, CONTROL.md).
 *
 * Each client is a uv_pipe_t with a line buffer. A "sync" request makes
 * the client wait for the engine's cycle that answers it (the number
 * sync_now returns); engine events are fanned out to the waiting clients
 * by control_event. Replies are queued with uv_write, each with its own
 * buffer freed in the write callback.
 */
#include "compat.h"

#include "control.h"

#include "i18n.h"
#include "json.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_LINE_MAX (64 * 1024)

struct client {
  uv_pipe_t pipe;
  struct control *c;
  struct client *next;
  char *line; /* bytes of the request line read so far */
  size_t len;
  bool waiting; /* a "sync" request waits for cycle `target` */
  uint64_t target;
  /* The engine's totals when it asked: its lines count from there. */
  uint64_t base_pushed, base_pulled, base_removed;
  bool closing;
};

struct control {
  uv_loop_t *loop;
  uv_pipe_t server;
  char *path;
  struct sync *engine;
  control_stop_fn on_stop;
  void *ctx;
  struct client *clients;
  unsigned open_handles;
  bool closing;
  void (*closed)(void *ctx);
  void *closed_ctx;
};

struct write_req {
  uv_write_t req;
  char *data;
};

static void handle_closed(struct control *c)
{
  if (--c->open_handles == 0 && c->closing) {
    void (*closed)(void *) = c->closed;
    void *ctx = c->closed_ctx;
    free(c->path);
    free(c);
    if (closed != NULL)
      closed(ctx);
  }
}

static void client_closed(uv_handle_t *h)
{
  struct client *cl = h->data;
  struct control *c = cl->c;
  struct client **p;

  for (p = &c->clients; *p != NULL; p = &(*p)->next) {
    if (*p == cl) {
      *p = cl->next;
      break;
    }
  }
  free(cl->line);
  free(cl);
  handle_closed(c);
}

static void client_close(struct client *cl)
{
  if (cl->closing)
    return;
  cl->closing = true;
  uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

static void write_done(uv_write_t *req, int status)
{
  struct write_req *w = (struct write_req *)req;
  (void)status;
  free(w->data);
  free(w);
}

/* Queues text plus a newline to the client (takes text). */
static void send_line(struct client *cl, char *text)
{
  struct write_req *w;
  char *data;
  size_t n;
  uv_buf_t b;

  if (text == NULL || cl->closing) {
    free(text);
    return;
  }
  n = strlen(text);
  w = malloc(sizeof(*w));
  if (w == NULL) {
    free(text);
    client_close(cl);
    return;
  }
  data = realloc(text, n + 2);
  if (data == NULL) {
    free(w);
    free(text);
    client_close(cl);
    return;
  }
  w->data = data;
  w->data[n] = '\n';
  w->data[n + 1] = '\0';
  b = uv_buf_init(w->data, (unsigned)(n + 1));
  if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &b, 1, write_done) != 0) {
    free(w->data);
    free(w);
    client_close(cl);
  }
}

/* {"ok":false,"error":msg} */
static void send_error(struct client *cl, const char *msg)
{
  cJSON *j = cJSON_CreateObject();
  cJSON_AddBoolToObject(j, "ok", false);
  cJSON_AddStringToObject(j, "error", msg);
  send_line(cl, cJSON_PrintUnformatted(j));
  cJSON_Delete(j);
}

static void send_ok(struct client *cl)
{
  send_line(cl, strdup("{\"ok\":true}"));
}

static void send_status(struct client *cl)
{
  struct sync_status st;
  struct sb_err err = {0};
  char *json, *line;
  size_t n;

  if (sync_status_get(cl->c->engine, &st, &err) != 0) {
    send_error(cl, err.msg);
    return;
  }
  json = sync_status_json(&st);
  if (json == NULL) {
    send_error(cl, "out of memory");
    return;
  }
  n = strlen(json) + 32;
  line = malloc(n);
  if (line != NULL)
    snprintf(line, n, "{\"ok\":true,\"status\":%s}", json);
  free(json);
  send_line(cl, line);
}

/* A progress or done line for a waiting client. */
static void send_progress(struct client *cl, const char *event, bool ok,
                          const struct sync_status *st)
{
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "event", event);
  if (strcmp(event, "done") == 0)
    cJSON_AddBoolToObject(j, "ok", ok);
  /* What moved since the client asked, over every cycle it waited for
   * (the cycle running then, its follow-up): not only the last one's. */
  cJSON_AddNumberToObject(j, "pushed",
                          (double)(st->total_pushed - cl->base_pushed));
  cJSON_AddNumberToObject(j, "pulled",
                          (double)(st->total_pulled - cl->base_pulled));
  cJSON_AddNumberToObject(j, "removed",
                          (double)(st->total_removed - cl->base_removed));
  cJSON_AddNumberToObject(j, "rejected", (double)st->rejected);
  cJSON_AddNumberToObject(j, "pending", (double)st->pending);
  /* The running cycle's own progress, for a percentage and time left. */
  cJSON_AddNumberToObject(j, "cycle_pushed", (double)st->cycle_pushed);
  cJSON_AddNumberToObject(j, "push_total", (double)st->push_total);
  cJSON_AddNumberToObject(j, "feed_base", (double)st->feed_base);
  cJSON_AddNumberToObject(j, "cursor", (double)st->cursor);
  cJSON_AddNumberToObject(j, "feed_last", (double)st->feed_last);
  if (!ok)
    cJSON_AddStringToObject(j, "error", st->last_error);
  /* The store's own failure (disk full...), by its name: `sambang sync`
   * exits as for any other failing store. */
  if (!ok && st->last_code != 0)
    cJSON_AddStringToObject(j, "code", sb_err_name(st->last_code));
  else if (strcmp(event, "done") == 0 && st->last_error[0] != '\0')
    cJSON_AddStringToObject(j, "warning", st->last_error);
  send_line(cl, cJSON_PrintUnformatted(j));
  cJSON_Delete(j);
}

/* Handles one request line. */
static void client_request(struct client *cl, const char *line, size_t len)
{
  struct control *c = cl->c;
  /* json_parse: valid UTF-8 and no duplicate keys, or nothing. */
  struct sb_err perr = {0};
  cJSON *j = json_parse(line, len, "request", &perr);
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "cmd");
  const char *name = cJSON_IsString(cmd) ? cmd->valuestring : NULL;

  if (j == NULL) {
    char msg[SB_ERR_MSG_MAX + 128];
    snprintf(msg, sizeof(msg),
             "a request is one line of JSON: {\"cmd\":\"status\"}, "
             "\"notify\", \"sync\" or \"stop\" (%s)",
             perr.msg);
    send_error(cl, msg);
  } else if (!cJSON_IsObject(j) || name == NULL) {
    send_error(cl, "a request is one line of JSON: {\"cmd\":\"status\"}, "
                   "\"notify\", \"sync\" or \"stop\"");
  } else if (strcmp(name, "status") == 0) {
    send_status(cl);
  } else if (strcmp(name, "notify") == 0) {
    sync_notify(c->engine);
    send_ok(cl);
  } else if (strcmp(name, "sync") == 0) {
    /* Waiting before asking: an attempt that fails at once answers it. */
    cl->waiting = true;
    cl->target = UINT64_MAX;
    {
      struct sync_status now;
      sync_status_quick(c->engine, &now);
      cl->base_pushed = now.total_pushed;
      cl->base_pulled = now.total_pulled;
      cl->base_removed = now.total_removed;
    }
    {
      uint64_t target = sync_now(c->engine);
      if (cl->waiting)
        cl->target = target;
    }
  } else if (strcmp(name, "stop") == 0) {
    send_ok(cl);
    log_msg(LOG_LEVEL_INFO, "stop asked over the control socket");
    if (c->on_stop != NULL)
      c->on_stop(c->ctx);
  } else {
    char msg[160];
    /* Echoed whole or not at all: a cut could split a character. */
    if (strlen(name) <= 60)
      snprintf(msg, sizeof(msg), "unknown cmd \"%s\"", name);
    else
      snprintf(msg, sizeof(msg), "unknown cmd (%zu bytes)", strlen(name));
    send_error(cl, msg);
  }
  cJSON_Delete(j);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base != NULL ? suggested : 0;
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
  struct client *cl = stream->data;
  size_t i, start = 0;

  if (nread < 0) {
    free(buf->base);
    client_close(cl);
    return;
  }
  for (i = 0; i < (size_t)nread && !cl->closing; i++) {
    if (buf->base[i] != '\n')
      continue;
    /* A whole line: what was buffered plus base[start..i). */
    {
      size_t n = i - start;
      char *l;
      if (cl->len + n > CONTROL_LINE_MAX) {
        send_error(cl, "request line over 64 KiB");
        client_close(cl);
        break;
      }
      l = realloc(cl->line, cl->len + n + 1);
      if (l == NULL) {
        client_close(cl);
        break;
      }
      memcpy(l + cl->len, buf->base + start, n);
      cl->line = l;
      cl->len += n;
      client_request(cl, cl->line, cl->len);
      cl->len = 0;
      start = i + 1;
    }
  }
  if (!cl->closing && start < (size_t)nread) {
    size_t n = (size_t)nread - start;
    char *l;
    if (cl->len + n > CONTROL_LINE_MAX) {
      send_error(cl, "request line over 64 KiB");
      client_close(cl);
    } else if ((l = realloc(cl->line, cl->len + n + 1)) == NULL) {
      client_close(cl);
    } else {
      memcpy(l + cl->len, buf->base + start, n);
      cl->line = l;
      cl->len += n;
    }
  }
  free(buf->base);
}

static void on_connection(uv_stream_t *server, int status)
{
  struct control *c = server->data;
  struct client *cl;

  if (status < 0)
    return;
  cl = calloc(1, sizeof(*cl));
  if (cl == NULL)
    return;
  cl->c = c;
  uv_pipe_init(c->loop, &cl->pipe, 0);
  cl->pipe.data = cl;
  c->open_handles++;
  cl->next = c->clients;
  c->clients = cl;
  if (uv_accept(server, (uv_stream_t *)&cl->pipe) != 0 ||
      uv_read_start((uv_stream_t *)&cl->pipe, alloc_cb, read_cb) != 0)
    client_close(cl);
}

static void server_closed(uv_handle_t *h)
{
  handle_closed(h->data);
}

/* The socket's directory must exist: binding in a missing one is told
 * by libuv as "permission denied", which sends people the wrong way. */
static int check_socket_dir(const char *path, struct sb_err *err)
{
  char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
  const char *slash = strrchr(path, '/');
  struct stat sb;

  if (slash == NULL || slash == path)
    return 0; /* the working directory, or / */
  snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
  if (stat(dir, &sb) != 0 && errno == ENOENT)
    return sb_err_set(err, SB_EINVAL,
                      "cannot listen on control socket %s: its directory %s "
                      "does not exist",
                      path, dir);
  if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
    return sb_err_set(err, SB_EINVAL,
                      "cannot listen on control socket %s: %s is not a "
                      "directory",
                      path, dir);
  return 0;
}

int control_open(uv_loop_t *loop, const char *path, struct sync *engine,
                 control_stop_fn on_stop, void *ctx, struct control **out,
                 struct sb_err *err)
{
  struct sockaddr_un sun;
  struct control *c;
  mode_t old;
  int rc;

  *out = NULL;
  if (strlen(path) >= sizeof(sun.sun_path))
    return sb_err_set(err, SB_EINVAL,
                      "control socket path %s is too long (at most %zu "
                      "bytes; use --socket)",
                      path, sizeof(sun.sun_path) - 1);
  rc = check_socket_dir(path, err);
  if (rc != 0)
    return rc;
  c = calloc(1, sizeof(*c));
  if (c == NULL || (c->path = strdup(path)) == NULL) {
    free(c);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  c->loop = loop;
  c->engine = engine;
  c->on_stop = on_stop;
  c->ctx = ctx;
  uv_pipe_init(loop, &c->server, 0);
  c->server.data = c;
  c->open_handles = 1;
  /* Another daemon would hold the store's lock: a socket here is stale. */
  unlink(path);
  old = umask(0177); /* the socket is made 0600 */
  rc = uv_pipe_bind(&c->server, path);
  umask(old);
  if (rc == 0)
    rc = chmod(path, 0600) == 0 ? 0 : uv_translate_sys_error(errno);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&c->server, 16, on_connection);
  if (rc != 0) {
    sb_err_set(err, SB_EIO, "cannot listen on control socket %s: %s", path,
               uv_strerror(rc));
    c->closing = true;
    uv_close((uv_handle_t *)&c->server, server_closed);
    return SB_EIO;
  }
  *out = c;
  return 0;
}

void control_event(struct control *c, enum sync_event ev)
{
  struct sync_status st;
  struct client *cl;
  bool any = false;

  if (c == NULL || c->closing)
    return;
  for (cl = c->clients; cl != NULL; cl = cl->next)
    any |= cl->waiting;
  if (!any)
    return;
  /* Progress comes often: the counts that scan the store only at the end. */
  if (ev == SYNC_EV_PROGRESS)
    sync_status_quick(c->engine, &st);
  else if (sync_status_get(c->engine, &st, NULL) != 0)
    sync_status_quick(c->engine, &st);
  for (cl = c->clients; cl != NULL; cl = cl->next) {
    if (!cl->waiting)
      continue;
    switch (ev) {
    case SYNC_EV_PROGRESS:
      send_progress(cl, "progress", true, &st);
      break;
    case SYNC_EV_CYCLE_DONE:
      if (st.cycle >= cl->target) {
        send_progress(cl, "done", true, &st);
        cl->waiting = false;
      }
      break;
    case SYNC_EV_FAILED:
    case SYNC_EV_HALTED:
    case SYNC_EV_STOPPED:
      if (st.last_error[0] == '\0')
        snprintf(st.last_error, sizeof(st.last_error), "%s",
                 _("the daemon is stopping"));
      send_progress(cl, "done", false, &st);
      cl->waiting = false;
      break;
    }
  }
}

void control_close(struct control *c, void (*closed)(void *ctx), void *ctx)
{
  struct client *cl;

  if (c == NULL) {
    if (closed != NULL)
      closed(ctx);
    return;
  }
  c->closing = true;
  c->closed = closed;
  c->closed_ctx = ctx;
  unlink(c->path);
  for (cl = c->clients; cl != NULL; cl = cl->next)
    client_close(cl);
  uv_close((uv_handle_t *)&c->server, server_closed);
}
