/*
 * faultproxy.c - a loopback TCP proxy that injects network faults, for the
 * integration tests.
 *
 * It accepts clients on 127.0.0.1, connects each one to the target and
 * copies bytes both ways without looking at them (HTTP keep-alive passes
 * through as plain bytes). Each direction keeps a queue of chunks, each due
 * at a random 0..--delay-ms later than it was read but never before the
 * chunk ahead of it; one uv_timer per direction releases them in order.
 * Per connection, a seeded PRNG decides (in this order, at most one fault):
 *
 *   refuse    close the client at once;
 *   cut       reset both sockets after 1..--cut-max bytes of the server's
 *             reply have reached the client;
 *   truncate  forward a random prefix of the server's first chunk, then
 *             shut the client's side down (a short body) and drop the
 *             server.
 *
 * An end of stream, a cut or a truncation travels through the queue as a
 * marker behind the data, and acts once the writes ahead of it are done.
 * When a direction has a lot queued, its reading side is paused until the
 * writes catch up. Every fault is logged on stderr; SIGUSR1 prints the
 * counters; --count-file keeps the number of accepted connections in a file.
 */
#include "compat.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define EXIT_USAGE 2
#define READ_SIZE 65536
#define QUEUE_HIGH (1024 * 1024) /* pause reading above this many bytes */
#define QUEUE_LOW (256 * 1024)   /* and resume below this many */

enum chunk_kind { CHUNK_DATA, CHUNK_EOF, CHUNK_CUT, CHUNK_TRUNC };

struct chunk {
  struct chunk *next;
  struct dir *dir;
  uv_write_t req;
  uint64_t due; /* loop time (ms) at which it may be written */
  enum chunk_kind kind;
  char *data;
  size_t len;
};

/* One direction of a connection: bytes read from `from`, written to `to`. */
struct dir {
  struct conn *conn;
  uv_tcp_t *from, *to;
  uv_timer_t timer;
  uv_shutdown_t shutdown;
  struct chunk *head, *tail;
  uint64_t last_due;
  size_t queued;           /* bytes queued or being written */
  unsigned writes;         /* writes in flight */
  enum chunk_kind pending; /* a released marker waiting for the writes */
  uint64_t forwarded;      /* bytes read and queued so far */
  bool ended;              /* nothing more is read from `from` */
  bool paused;             /* reading stopped: too much queued */
  bool done;               /* the end was passed on to `to` */
};

struct conn {
  struct proxy *px;
  struct conn *prev, *next;
  uv_tcp_t client, server;
  uv_connect_t connect;
  struct dir up;   /* client -> server */
  struct dir down; /* server -> client */
  unsigned handles;
  bool closing;
  uint64_t cut_after; /* 0: no cut */
  bool truncate;
  size_t trunc_len, trunc_total;
  FILE *record; /* --record: the server's bytes as forwarded */
};

struct proxy {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t sigterm, sigint, sigusr1;
  struct sockaddr_in listen_addr, target_addr;
  unsigned target_port;
  uint64_t rng;
  unsigned delay_ms;
  unsigned cut_max;
  double cut_prob, truncate_prob, refuse_prob;
  unsigned long long truncate_first; /* connections truncated, whatever */
  const char *count_file;
  char *count_tmp;
  const char *record; /* --record PREFIX */
  struct conn *conns;
  bool stopping;
  unsigned long long connections, cuts, truncations, refusals;
};

static const char usage_text[] =
    "usage: faultproxy --listen 127.0.0.1:PORT --target 127.0.0.1:PORT\n"
    "                  [--seed N] [--delay-ms MAX] [--cut-prob P]\n"
    "                  [--cut-max BYTES] [--truncate-prob P]\n"
    "                  [--refuse-prob P] [--truncate-first N]\n"
    "                  [--count-file PATH] [--record PREFIX]\n"
    "\n"
    "A loopback TCP proxy that injects faults. Prints one line\n"
    "'listening on 127.0.0.1:PORT' once bound (port 0 picks a free one) and\n"
    "serves until SIGTERM or SIGINT. Per connection (at most one fault):\n"
    "  --refuse-prob P    close the client at once (default 0)\n"
    "  --cut-prob P       reset both sockets after 1..BYTES bytes of the\n"
    "                     reply reached the client (default 0)\n"
    "  --cut-max BYTES    the largest cut point (default 4096)\n"
    "  --truncate-prob P  forward only a prefix of the reply's first chunk,\n"
    "                     then end the stream (default 0)\n"
    "  --truncate-first N truncate the first N connections so, whatever\n"
    "                     is drawn (a test is sure to see a fault; default 0)\n"
    "  --delay-ms MAX     delay every chunk by 0..MAX ms, order kept "
    "(default 0)\n"
    "  --seed N           PRNG seed (default 1)\n"
    "  --count-file PATH  keep the number of accepted connections in PATH\n"
    "  --record PREFIX    write the bytes forwarded from the server on\n"
    "                     connection N to PREFIX.N (N from 1)\n"
    "SIGUSR1 prints the counters on stderr.\n";

/* xorshift64*, seeded through splitmix64 so that any seed works. */
static void rng_seed(struct proxy *px, uint64_t seed)
{
  uint64_t z = seed + 0x9e3779b97f4a7c15u;

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  z ^= z >> 31;
  px->rng = z != 0 ? z : 1;
}

static uint64_t rng_next(struct proxy *px)
{
  px->rng ^= px->rng >> 12;
  px->rng ^= px->rng << 25;
  px->rng ^= px->rng >> 27;
  return px->rng * 0x2545f4914f6cdd1du;
}

/* A number in [lo, hi]. */
static uint64_t rng_range(struct proxy *px, uint64_t lo, uint64_t hi)
{
  return lo + rng_next(px) % (hi - lo + 1);
}

/* True with probability p (never for 0, always for 1). */
static bool rng_roll(struct proxy *px, double p)
{
  return (double)(rng_next(px) >> 11) * (1.0 / 9007199254740992.0) < p;
}

static void write_count(struct proxy *px)
{
  FILE *f;
  int bad;

  if (px->count_file == NULL)
    return;
  f = fopen(px->count_tmp, "w");
  if (f == NULL) {
    fprintf(stderr, "faultproxy: cannot write %s: %s\n", px->count_tmp,
            strerror(errno));
    return;
  }
  bad = fprintf(f, "%llu\n", px->connections) < 0;
  bad |= fclose(f) != 0;
  if (bad || rename(px->count_tmp, px->count_file) != 0)
    fprintf(stderr, "faultproxy: cannot write %s: %s\n", px->count_file,
            strerror(errno));
}

static void print_counters(struct proxy *px)
{
  fprintf(stderr,
          "faultproxy: connections=%llu cuts=%llu truncations=%llu "
          "refusals=%llu\n",
          px->connections, px->cuts, px->truncations, px->refusals);
}

static void chunk_free(struct chunk *ch)
{
  free(ch->data);
  free(ch);
}

static void conn_free(struct conn *c)
{
  struct dir *dirs[2] = {&c->up, &c->down};
  struct chunk *ch;
  int i;

  for (i = 0; i < 2; i++) {
    while ((ch = dirs[i]->head) != NULL) {
      dirs[i]->head = ch->next;
      chunk_free(ch);
    }
  }
  if (c->record != NULL)
    fclose(c->record);
  free(c);
}

static void on_close(uv_handle_t *h)
{
  struct dir *d = h->data;
  struct conn *c = d->conn;

  if (--c->handles == 0)
    conn_free(c);
}

/* Close one socket, abruptly (RST) if asked and possible. */
static void close_tcp(uv_tcp_t *t, bool abrupt)
{
  if (uv_is_closing((uv_handle_t *)t))
    return;
  if (abrupt && uv_tcp_close_reset(t, on_close) == 0)
    return;
  uv_close((uv_handle_t *)t, on_close);
}

/* Close the connection; its memory goes with the last handle's close. */
static void conn_close(struct conn *c, bool abrupt)
{
  if (c->closing)
    return;
  c->closing = true;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    c->px->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  close_tcp(&c->client, abrupt);
  close_tcp(&c->server, abrupt);
  uv_close((uv_handle_t *)&c->up.timer, on_close);
  uv_close((uv_handle_t *)&c->down.timer, on_close);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
  (void)h;
  (void)hint;
  buf->base = malloc(READ_SIZE);
  buf->len = buf->base != NULL ? READ_SIZE : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void dir_resume(struct dir *d)
{
  if (!d->paused || d->queued > QUEUE_LOW)
    return;
  d->paused = false;
  if (!d->ended && !uv_is_closing((uv_handle_t *)d->from))
    uv_read_start((uv_stream_t *)d->from, on_alloc, on_read);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
  struct dir *d = req->data;
  struct conn *c = d->conn;

  if (c->closing)
    return;
  if (status < 0 && status != UV_ECANCELED) {
    conn_close(c, true);
    return;
  }
  d->done = true;
  if (c->up.done && c->down.done)
    conn_close(c, false);
}

/* Pass the end of the stream on to `to`: shut its write side down. */
static void dir_end(struct dir *d)
{
  struct conn *c = d->conn;

  if (uv_is_closing((uv_handle_t *)d->to)) {
    d->done = true;
    if (c->up.done && c->down.done)
      conn_close(c, false);
    return;
  }
  d->shutdown.data = d;
  if (uv_shutdown(&d->shutdown, (uv_stream_t *)d->to, on_shutdown) != 0)
    conn_close(c, true);
}

/* Act on a released marker once the writes ahead of it are done. */
static void dir_finish(struct dir *d)
{
  struct conn *c = d->conn;
  enum chunk_kind kind = d->pending;

  if (kind == CHUNK_DATA || d->writes > 0 || c->closing)
    return;
  d->pending = CHUNK_DATA;
  switch (kind) {
  case CHUNK_EOF:
    dir_end(d);
    break;
  case CHUNK_CUT:
    c->px->cuts++;
    fprintf(stderr, "faultproxy: cut after %llu bytes\n",
            (unsigned long long)c->cut_after);
    conn_close(c, true);
    break;
  case CHUNK_TRUNC:
    c->px->truncations++;
    fprintf(stderr, "faultproxy: truncated after %zu of %zu bytes\n",
            c->trunc_len, c->trunc_total);
    close_tcp(&c->server, false);
    dir_end(d);
    break;
  case CHUNK_DATA:
    break;
  }
}

static void on_write(uv_write_t *req, int status)
{
  struct chunk *ch = req->data;
  struct dir *d = ch->dir;
  struct conn *c = d->conn;

  d->writes--;
  d->queued -= ch->len;
  chunk_free(ch);
  if (c->closing)
    return;
  if (status < 0 && status != UV_ECANCELED) {
    conn_close(c, true);
    return;
  }
  dir_resume(d);
  dir_finish(d);
}

static void dir_release(struct dir *d, struct chunk *ch)
{
  uv_buf_t buf;

  if (ch->kind != CHUNK_DATA) {
    d->pending = ch->kind;
    chunk_free(ch);
    dir_finish(d);
    return;
  }
  if (uv_is_closing((uv_handle_t *)d->to)) {
    /* The server was dropped after a truncation: discard. */
    d->queued -= ch->len;
    chunk_free(ch);
    dir_resume(d);
    return;
  }
  buf = uv_buf_init(ch->data, (unsigned)ch->len);
  ch->req.data = ch;
  d->writes++;
  if (uv_write(&ch->req, (uv_stream_t *)d->to, &buf, 1, on_write) != 0) {
    d->writes--;
    d->queued -= ch->len;
    chunk_free(ch);
    conn_close(d->conn, true);
  }
}

static void on_timer(uv_timer_t *t);

/* Release every chunk that is due; arm the timer for the next one. */
static void dir_pump(struct dir *d)
{
  uv_loop_t *loop = &d->conn->px->loop;
  struct chunk *ch;
  uint64_t now = uv_now(loop);

  while ((ch = d->head) != NULL && !d->conn->closing) {
    if (ch->due > now) {
      uv_timer_start(&d->timer, on_timer, ch->due - now, 0);
      return;
    }
    d->head = ch->next;
    if (d->head == NULL)
      d->tail = NULL;
    dir_release(d, ch);
  }
}

static void on_timer(uv_timer_t *t)
{
  dir_pump(t->data);
}

/* Queue data (owned by the chunk from now on) or a marker. */
static int dir_push(struct dir *d, enum chunk_kind kind, char *data, size_t len)
{
  struct proxy *px = d->conn->px;
  struct chunk *ch = calloc(1, sizeof(*ch));
  uint64_t due;

  if (ch == NULL) {
    free(data);
    return UV_ENOMEM;
  }
  due = uv_now(&px->loop);
  if (px->delay_ms > 0)
    due += rng_range(px, 0, px->delay_ms);
  if (due < d->last_due)
    due = d->last_due;
  d->last_due = due;
  ch->dir = d;
  ch->due = due;
  ch->kind = kind;
  ch->data = data;
  ch->len = len;
  d->queued += len;
  if (d->tail != NULL)
    d->tail->next = ch;
  else
    d->head = ch;
  d->tail = ch;
  if (d->head == ch)
    dir_pump(d);
  return 0;
}

/* Stop reading `from` for good and queue the marker that ends it. */
static int dir_stop(struct dir *d, enum chunk_kind kind)
{
  d->ended = true;
  uv_read_stop((uv_stream_t *)d->from);
  return dir_push(d, kind, NULL, 0);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
  struct dir *d = s->data;
  struct conn *c = d->conn;
  enum chunk_kind end = CHUNK_DATA;
  size_t len;
  int rc = 0;

  if (n <= 0 || c->closing || d->ended) {
    free(buf->base);
    if (n == 0 || c->closing || d->ended)
      return;
    rc = n == UV_EOF ? dir_stop(d, CHUNK_EOF) : (int)n;
    if (rc != 0)
      conn_close(c, true);
    return;
  }
  len = (size_t)n;
  if (d == &c->down && c->cut_after > 0) {
    if (d->forwarded + len >= c->cut_after) {
      len = (size_t)(c->cut_after - d->forwarded);
      end = CHUNK_CUT;
    }
  } else if (d == &c->down && c->truncate) {
    c->trunc_total = len;
    c->trunc_len = len > 1 ? (size_t)rng_range(c->px, 1, len - 1) : 0;
    len = c->trunc_len;
    end = CHUNK_TRUNC;
  }
  d->forwarded += len;
  if (d == &c->down && c->record != NULL && len > 0) {
    fwrite(buf->base, 1, len, c->record);
    fflush(c->record);
  }
  if (len > 0)
    rc = dir_push(d, CHUNK_DATA, buf->base, len);
  else
    free(buf->base);
  if (rc == 0 && end != CHUNK_DATA && !c->closing)
    rc = dir_stop(d, end);
  if (rc != 0) {
    conn_close(c, true);
    return;
  }
  if (!c->closing && !d->ended && !d->paused && d->queued >= QUEUE_HIGH) {
    d->paused = true;
    uv_read_stop(s);
  }
}

static void on_connect(uv_connect_t *req, int status)
{
  struct conn *c = req->data;

  if (c->closing)
    return;
  if (status < 0) {
    fprintf(stderr, "faultproxy: target 127.0.0.1:%u: %s; closing the client\n",
            c->px->target_port, uv_strerror(status));
    conn_close(c, false);
    return;
  }
  uv_tcp_nodelay(&c->server, 1);
  if (uv_read_start((uv_stream_t *)&c->client, on_alloc, on_read) != 0 ||
      uv_read_start((uv_stream_t *)&c->server, on_alloc, on_read) != 0)
    conn_close(c, true);
}

static void dir_init(struct conn *c, struct dir *d, uv_tcp_t *from,
                     uv_tcp_t *to)
{
  d->conn = c;
  d->from = from;
  d->to = to;
  from->data = d;
  uv_timer_init(&c->px->loop, &d->timer);
  d->timer.data = d;
}

static void on_connection(uv_stream_t *listener, int status)
{
  struct proxy *px = listener->data;
  struct conn *c;
  int rc;

  if (status < 0) {
    fprintf(stderr, "faultproxy: accept: %s\n", uv_strerror(status));
    return;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    fprintf(stderr, "faultproxy: out of memory\n");
    return;
  }
  c->px = px;
  uv_tcp_init(&px->loop, &c->client);
  uv_tcp_init(&px->loop, &c->server);
  dir_init(c, &c->up, &c->client, &c->server);
  dir_init(c, &c->down, &c->server, &c->client);
  c->handles = 4;
  c->next = px->conns;
  if (px->conns != NULL)
    px->conns->prev = c;
  px->conns = c;
  rc = uv_accept(listener, (uv_stream_t *)&c->client);
  if (rc != 0) {
    fprintf(stderr, "faultproxy: accept: %s\n", uv_strerror(rc));
    conn_close(c, false);
    return;
  }
  px->connections++;
  write_count(px);
  if (px->record != NULL) {
    char path[4096];
    snprintf(path, sizeof(path), "%s.%llu", px->record, px->connections);
    c->record = fopen(path, "wb");
  }
  if (rng_roll(px, px->refuse_prob)) {
    px->refusals++;
    fprintf(stderr, "faultproxy: refused connection %llu\n", px->connections);
    conn_close(c, true);
    return;
  }
  if (rng_roll(px, px->cut_prob))
    c->cut_after = rng_range(px, 1, px->cut_max);
  else if (rng_roll(px, px->truncate_prob))
    c->truncate = true;
  if (px->connections <= px->truncate_first) {
    c->cut_after = 0;
    c->truncate = true;
  }
  uv_tcp_nodelay(&c->client, 1);
  c->connect.data = c;
  rc = uv_tcp_connect(&c->connect, &c->server,
                      (const struct sockaddr *)&px->target_addr, on_connect);
  if (rc != 0) {
    fprintf(stderr, "faultproxy: target 127.0.0.1:%u: %s; closing the client\n",
            px->target_port, uv_strerror(rc));
    conn_close(c, false);
  }
}

static void on_signal(uv_signal_t *sig, int signum)
{
  struct proxy *px = sig->data;

  if (signum == SIGUSR1) {
    print_counters(px);
    return;
  }
  if (px->stopping)
    return;
  px->stopping = true;
  uv_close((uv_handle_t *)&px->listener, NULL);
  uv_close((uv_handle_t *)&px->sigterm, NULL);
  uv_close((uv_handle_t *)&px->sigint, NULL);
  uv_close((uv_handle_t *)&px->sigusr1, NULL);
  while (px->conns != NULL)
    conn_close(px->conns, false);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "faultproxy: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n%s", usage_text);
  return EXIT_USAGE;
}

/* A whole decimal number in [lo, hi]. */
static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
  unsigned long long v;
  char *end;

  if (s[0] < '0' || s[0] > '9')
    return false;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

static bool parse_prob(const char *s, double *out)
{
  char *end;
  double v;

  if (s[0] == '\0')
    return false;
  errno = 0;
  v = strtod(s, &end);
  if (errno != 0 || *end != '\0' || !(v >= 0.0 && v <= 1.0))
    return false;
  *out = v;
  return true;
}

/* "127.0.0.1:PORT", and nothing else: the proxy is for loopback only. */
static bool parse_addr(const char *s, uint64_t min_port,
                       struct sockaddr_in *out, unsigned *port)
{
  static const char host[] = "127.0.0.1:";
  uint64_t v;

  if (strncmp(s, host, sizeof(host) - 1) != 0 ||
      !parse_u64(s + sizeof(host) - 1, min_port, 65535, &v))
    return false;
  *port = (unsigned)v;
  return uv_ip4_addr("127.0.0.1", (int)v, out) == 0;
}

/* 0, or EXIT_USAGE after saying what was wrong; *help for --help. */
static int parse_args(struct proxy *px, int argc, char **argv, bool *help)
{
  bool have_listen = false, have_target = false;
  uint64_t v;
  unsigned port;
  int i;

  rng_seed(px, 1);
  px->cut_max = 4096;
  for (i = 1; i < argc; i++) {
    const char *opt = argv[i], *val;

    if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
      *help = true;
      return 0;
    }
    if (strncmp(opt, "--", 2) != 0)
      return usage_error("unexpected argument %s", opt);
    if (i + 1 >= argc)
      return usage_error("%s wants a value", opt);
    val = argv[++i];
    if (strcmp(opt, "--listen") == 0) {
      if (!parse_addr(val, 0, &px->listen_addr, &port))
        return usage_error("%s wants 127.0.0.1:PORT (loopback only, port "
                           "0-65535), not '%s'",
                           opt, val);
      have_listen = true;
    } else if (strcmp(opt, "--target") == 0) {
      if (!parse_addr(val, 1, &px->target_addr, &px->target_port))
        return usage_error("%s wants 127.0.0.1:PORT (loopback only, port "
                           "1-65535), not '%s'",
                           opt, val);
      have_target = true;
    } else if (strcmp(opt, "--seed") == 0) {
      if (!parse_u64(val, 0, UINT64_MAX, &v))
        return usage_error("%s wants a whole number, not '%s'", opt, val);
      rng_seed(px, v);
    } else if (strcmp(opt, "--delay-ms") == 0) {
      if (!parse_u64(val, 0, 600000, &v))
        return usage_error("%s wants 0 to 600000, not '%s'", opt, val);
      px->delay_ms = (unsigned)v;
    } else if (strcmp(opt, "--cut-max") == 0) {
      if (!parse_u64(val, 1, 1u << 30, &v))
        return usage_error("%s wants 1 to 1073741824, not '%s'", opt, val);
      px->cut_max = (unsigned)v;
    } else if (strcmp(opt, "--cut-prob") == 0) {
      if (!parse_prob(val, &px->cut_prob))
        return usage_error("%s wants a probability 0 to 1, not '%s'", opt, val);
    } else if (strcmp(opt, "--truncate-prob") == 0) {
      if (!parse_prob(val, &px->truncate_prob))
        return usage_error("%s wants a probability 0 to 1, not '%s'", opt, val);
    } else if (strcmp(opt, "--refuse-prob") == 0) {
      if (!parse_prob(val, &px->refuse_prob))
        return usage_error("%s wants a probability 0 to 1, not '%s'", opt, val);
    } else if (strcmp(opt, "--truncate-first") == 0) {
      if (!parse_u64(val, 0, 1000000, &v))
        return usage_error("%s wants 0 to 1000000, not '%s'", opt, val);
      px->truncate_first = v;
    } else if (strcmp(opt, "--record") == 0) {
      if (val[0] == '\0')
        return usage_error("%s wants a path prefix", opt);
      px->record = val;
    } else if (strcmp(opt, "--count-file") == 0) {
      if (val[0] == '\0')
        return usage_error("%s wants a path", opt);
      px->count_file = val;
    } else {
      return usage_error("unknown option %s", opt);
    }
  }
  if (!have_listen)
    return usage_error("--listen is required");
  if (!have_target)
    return usage_error("--target is required");
  return 0;
}

/* Bind, listen and print the address; 0 or a libuv error code. */
static int proxy_start(struct proxy *px)
{
  struct sockaddr_in bound;
  int len = sizeof(bound);
  int rc;

  rc = uv_tcp_init(&px->loop, &px->listener);
  if (rc != 0)
    return rc;
  px->listener.data = px;
  rc = uv_tcp_bind(&px->listener, (const struct sockaddr *)&px->listen_addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&px->listener, 128, on_connection);
  if (rc == 0)
    rc = uv_tcp_getsockname(&px->listener, (struct sockaddr *)&bound, &len);
  if (rc != 0)
    goto fail;
  uv_signal_init(&px->loop, &px->sigterm);
  uv_signal_init(&px->loop, &px->sigint);
  uv_signal_init(&px->loop, &px->sigusr1);
  px->sigterm.data = px->sigint.data = px->sigusr1.data = px;
  uv_signal_start(&px->sigterm, on_signal, SIGTERM);
  uv_signal_start(&px->sigint, on_signal, SIGINT);
  uv_signal_start(&px->sigusr1, on_signal, SIGUSR1);
  write_count(px);
  printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(bound.sin_port));
  fflush(stdout);
  return 0;

fail:
  uv_close((uv_handle_t *)&px->listener, NULL);
  uv_run(&px->loop, UV_RUN_DEFAULT);
  return rc;
}

int main(int argc, char **argv)
{
  struct proxy px;
  bool help = false;
  int rc;

  memset(&px, 0, sizeof(px));
  rc = parse_args(&px, argc, argv, &help);
  if (rc != 0)
    return rc;
  if (help) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (px.count_file != NULL) {
    size_t n = strlen(px.count_file) + sizeof(".tmp");

    px.count_tmp = malloc(n);
    if (px.count_tmp == NULL) {
      fprintf(stderr, "faultproxy: out of memory\n");
      return 1;
    }
    snprintf(px.count_tmp, n, "%s.tmp", px.count_file);
  }
  signal(SIGPIPE, SIG_IGN);
  rc = uv_loop_init(&px.loop);
  if (rc == 0) {
    rc = proxy_start(&px);
    if (rc != 0)
      fprintf(stderr, "faultproxy: cannot listen on 127.0.0.1:%u: %s\n",
              (unsigned)ntohs(px.listen_addr.sin_port), uv_strerror(rc));
    else
      uv_run(&px.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&px.loop) != 0 && rc == 0) {
      fprintf(stderr, "faultproxy: handles left open at exit\n");
      rc = UV_EBUSY;
    }
  } else {
    fprintf(stderr, "faultproxy: %s\n", uv_strerror(rc));
  }
  free(px.count_tmp);
  return rc == 0 ? 0 : 1;
}
