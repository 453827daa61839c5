/*
 * loadgen.c - hostile HTTP clients for the hub's limit tests (loopback).
 *
 *   loadgen --target 127.0.0.1:PORT --mode slowloris|upload --conns N
 *           [--src 127.0.1.1] [--per-src K] [--duration S]
 *           [--interval-ms MS] [--body BYTES] [--path PATH]
 *
 * Opens N connections at once (connection i from source address src + i/K,
 * so per-address limits can be met or avoided), then:
 *   slowloris  sends "GET PATH HTTP/1.1\r\nHost: x\r\n..." one byte every
 *              interval (default 1000 ms), never finishing the head;
 *   upload     sends a POST PATH head declaring BODY bytes (default 16 MiB,
 *              no Expect) and the body as fast as the peer takes it, and
 *              reads the reply.
 * It stops when every connection is closed or after S seconds (default
 * 10), and prints one summary line on stdout:
 *   conns=N failed=F closed=C open=O replies=R s401=.. s503=.. sother=..
 *   sent=BYTES max_sent=BYTES max_life_ms=MS
 * closed counts connections the peer closed (max_life_ms: the longest a
 * closed one lived), open those still open at the end, failed those that
 * could not connect. Exit 0, or 2 on bad options.
 */
#include "compat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_SLOWLORIS, MODE_UPLOAD };

struct conn {
  int fd;
  bool done;      /* closed (by the peer, or after a reply) */
  bool replied;   /* a status line came */
  unsigned status;
  size_t head_off; /* bytes of the head sent */
  uint64_t body_sent;
  uint64_t next_ms; /* slowloris: when to send the next byte */
  uint64_t start_ms, end_ms;
};

struct opts {
  struct sockaddr_in target;
  uint32_t src; /* host order; 0: any */
  unsigned per_src;
  enum mode mode;
  unsigned conns;
  unsigned duration_s;
  unsigned interval_ms;
  uint64_t body;
  const char *path;
};

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int usage(const char *why)
{
  fprintf(stderr, "loadgen: %s\n", why);
  return 2;
}

static bool parse_addr(const char *s, struct sockaddr_in *a)
{
  char host[64];
  const char *colon = strrchr(s, ':');
  if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
    return false;
  snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
  memset(a, 0, sizeof(*a));
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)atoi(colon + 1));
  return inet_pton(AF_INET, host, &a->sin_addr) == 1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
  int i;
  bool have_target = false;

  memset(o, 0, sizeof(*o));
  o->per_src = 1000000;
  o->conns = 1;
  o->duration_s = 10;
  o->interval_ms = 1000;
  o->body = 16u << 20;
  for (i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (strcmp(a, "--target") == 0) {
      if (!parse_addr(v, &o->target))
        return usage("--target wants ADDR:PORT");
      have_target = true;
    } else if (strcmp(a, "--src") == 0) {
      struct in_addr in;
      if (inet_pton(AF_INET, v, &in) != 1)
        return usage("--src wants an IPv4 address");
      o->src = ntohl(in.s_addr);
    } else if (strcmp(a, "--per-src") == 0) {
      o->per_src = (unsigned)strtoul(v, NULL, 10);
    } else if (strcmp(a, "--mode") == 0) {
      if (strcmp(v, "slowloris") == 0)
        o->mode = MODE_SLOWLORIS;
      else if (strcmp(v, "upload") == 0)
        o->mode = MODE_UPLOAD;
      else
        return usage("--mode wants slowloris or upload");
    } else if (strcmp(a, "--conns") == 0) {
      o->conns = (unsigned)strtoul(v, NULL, 10);
    } else if (strcmp(a, "--duration") == 0) {
      o->duration_s = (unsigned)strtoul(v, NULL, 10);
    } else if (strcmp(a, "--interval-ms") == 0) {
      o->interval_ms = (unsigned)strtoul(v, NULL, 10);
    } else if (strcmp(a, "--body") == 0) {
      o->body = strtoull(v, NULL, 10);
    } else if (strcmp(a, "--path") == 0) {
      o->path = v;
    } else {
      return usage("unknown option");
    }
  }
  if (i != argc || !have_target || o->conns == 0 || o->per_src == 0)
    return usage("usage: loadgen --target ADDR:PORT --mode MODE --conns N "
                 "[--src ADDR --per-src K --duration S --interval-ms MS "
                 "--body BYTES --path PATH]");
  if (o->path == NULL)
    o->path = o->mode == MODE_UPLOAD ? "/v1/push" : "/v1/health";
  return 0;
}

/* A nonblocking connection from the i-th source address; -1 on failure. */
static int conn_open(const struct opts *o, unsigned i)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  if (o->src != 0) {
    struct sockaddr_in src;
    memset(&src, 0, sizeof(src));
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(o->src + i / o->per_src);
    if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
      close(fd);
      return -1;
    }
  }
  if (connect(fd, (const struct sockaddr *)&o->target, sizeof(o->target)) !=
          0 &&
      errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

static void conn_close(struct conn *c)
{
  if (c->done)
    return;
  c->done = true;
  c->end_ms = now_ms();
  close(c->fd);
}

/* Reads what came; a status line is noted, an end closes. */
static void conn_read(struct conn *c)
{
  char buf[4096];
  ssize_t n = recv(c->fd, buf, sizeof(buf) - 1, 0);

  if (n > 0) {
    buf[n] = '\0';
    if (!c->replied && strncmp(buf, "HTTP/1.", 7) == 0 && n >= 12) {
      c->replied = true;
      c->status = (unsigned)atoi(buf + 9);
    }
    return;
  }
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
    conn_close(c);
}

/* Sends the next bytes: one head byte (slowloris), or head and body. */
static void conn_write(const struct opts *o, struct conn *c, const char *head,
                       size_t head_len, const char *chunk, size_t chunk_len,
                       uint64_t now)
{
  ssize_t n;

  if (o->mode == MODE_SLOWLORIS) {
    if (now < c->next_ms || c->head_off >= head_len)
      return;
    n = send(c->fd, head + c->head_off, 1, MSG_NOSIGNAL);
    if (n == 1) {
      c->head_off++;
      c->next_ms = now + o->interval_ms;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      conn_close(c);
    }
    return;
  }
  while (c->head_off < head_len) {
    n = send(c->fd, head + c->head_off, head_len - c->head_off, MSG_NOSIGNAL);
    if (n <= 0)
      goto failed;
    c->head_off += (size_t)n;
  }
  while (c->body_sent < o->body && !c->replied) {
    uint64_t left = o->body - c->body_sent;
    n = send(c->fd, chunk, left < chunk_len ? (size_t)left : chunk_len,
             MSG_NOSIGNAL);
    if (n <= 0)
      goto failed;
    c->body_sent += (uint64_t)n;
  }
  return;
failed:
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return;
  conn_read(c); /* a reply may be waiting before the reset */
  conn_close(c);
}

static void raise_fd_limit(void)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static void summary(const struct opts *o, const struct conn *cs,
                    unsigned failed)
{
  unsigned i, closed = 0, open = 0, replies = 0, s401 = 0, s503 = 0,
              sother = 0;
  uint64_t sent = 0, max_sent = 0, max_life = 0;

  for (i = 0; i < o->conns; i++) {
    const struct conn *c = &cs[i];
    if (c->fd < 0)
      continue;
    sent += c->body_sent;
    if (c->body_sent > max_sent)
      max_sent = c->body_sent;
    if (c->replied) {
      replies++;
      if (c->status == 401)
        s401++;
      else if (c->status == 503)
        s503++;
      else
        sother++;
    }
    if (c->done) {
      closed++;
      if (c->end_ms - c->start_ms > max_life)
        max_life = c->end_ms - c->start_ms;
    } else {
      open++;
    }
  }
  printf("conns=%u failed=%u closed=%u open=%u replies=%u s401=%u s503=%u "
         "sother=%u sent=%llu max_sent=%llu max_life_ms=%llu\n",
         o->conns, failed, closed, open, replies, s401, s503, sother,
         (unsigned long long)sent, (unsigned long long)max_sent,
         (unsigned long long)max_life);
}

int main(int argc, char **argv)
{
  struct opts o;
  struct conn *cs;
  struct pollfd *ps;
  char head[512], chunk[65536];
  size_t head_len;
  unsigned i, failed = 0;
  uint64_t end;
  int rc = parse_opts(argc, argv, &o);

  if (rc != 0)
    return rc;
  raise_fd_limit();
  if (o.mode == MODE_UPLOAD)
    snprintf(head, sizeof(head),
             "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
             "\r\nContent-Length: %llu\r\n\r\n",
             o.path, (unsigned long long)o.body);
  else
    snprintf(head, sizeof(head),
             "GET %s HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n"
             "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
             o.path);
  head_len = strlen(head);
  memset(chunk, '[', sizeof(chunk));
  cs = calloc(o.conns, sizeof(*cs));
  ps = calloc(o.conns, sizeof(*ps));
  if (cs == NULL || ps == NULL)
    return 1;
  for (i = 0; i < o.conns; i++) {
    cs[i].fd = conn_open(&o, i);
    cs[i].start_ms = now_ms();
    if (cs[i].fd < 0)
      failed++;
  }
  end = now_ms() + (uint64_t)o.duration_s * 1000;
  for (;;) {
    uint64_t now = now_ms();
    unsigned live = 0;
    for (i = 0; i < o.conns; i++) {
      struct conn *c = &cs[i];
      ps[i].fd = c->fd >= 0 && !c->done ? c->fd : -1;
      ps[i].events = POLLIN;
      ps[i].revents = 0;
      if (ps[i].fd < 0)
        continue;
      live++;
      if (o.mode == MODE_UPLOAD && !c->replied &&
          (c->head_off < head_len || c->body_sent < o.body))
        ps[i].events |= POLLOUT;
    }
    if (live == 0 || now >= end)
      break;
    if (poll(ps, o.conns, o.mode == MODE_SLOWLORIS ? 50 : 100) < 0 &&
        errno != EINTR)
      break;
    now = now_ms();
    for (i = 0; i < o.conns; i++) {
      struct conn *c = &cs[i];
      if (ps[i].fd < 0 || c->done)
        continue;
      if (ps[i].revents & (POLLIN | POLLHUP | POLLERR))
        conn_read(c);
      if (c->done)
        continue;
      if (o.mode == MODE_SLOWLORIS || (ps[i].revents & POLLOUT))
        conn_write(&o, c, head, head_len, chunk, sizeof(chunk), now);
    }
  }
  summary(&o, cs, failed);
  for (i = 0; i < o.conns; i++) {
    if (cs[i].fd >= 0 && !cs[i].done)
      close(cs[i].fd);
  }
  free(cs);
  free(ps);
  return 0;
}
