/*
 * loadgen.c - hostile HTTP clients for the hub's limit tests (loopback).
 *
 *   loadgen --target 127.0.0.1:PORT --mode slowloris|upload|slowread
 *           --conns N
 *           [--src 127.0.1.1] [--per-src K] [--duration S]
 *           [--interval-ms MS] [--body BYTES] [--path PATH]
 *
 * Opens N connections at once (connection i from source address src + i/K,
 * so per-address limits can be met or avoided), then:
 *   slowloris  sends "GET PATH HTTP/1.1\r\nHost: x\r\n..." one byte every
 *              interval (default 1000 ms), never finishing the head;
 *   upload     sends a POST PATH head declaring BODY bytes (default 16 MiB,
 *              no Expect) and the body as fast as the peer takes it, and
 *              reads the reply;
 *   slowread   sends "GET PATH" whole, with a 4 KiB receive buffer, and
 *              never reads the reply (a reader that holds the hub's reply).
 * It stops when every connection is closed or after S seconds (default
 * 10), and prints one summary line on stdout:
 *   conns=N failed=F closed=C open=O replies=R s401=.. s503=.. sother=..
 *   sent=BYTES max_sent=BYTES max_life_ms=MS
 * closed counts connections the peer closed (max_life_ms: the longest a
 * closed one lived), open those still open at the end, failed those that
 * could not connect. Exit 0, or 2 on bad options.
 *
 *   loadgen --target 127.0.0.1:PORT --mode openloop --tokens FILE
 *           --rate RECORDS_PER_S [--conns C] [--batch B] [--duration S]
 *
 * Open loop (tests/bench/bench_openloop.sh): a fixed offered rate of
 * record states pushed (POST /v1/push, B new visits per request, default
 * 100) from C keep-alive clients (default 50; line i of FILE is client i's
 * "TOKEN REPLICA"). Request k is due at start + k * B / RATE and goes to
 * client k mod C; a client sends it when due, or as soon as its previous
 * request returned if that one is late. Latency runs from the due time, not
 * from the send, so a slow hub cannot hide its backlog (no coordinated
 * omission). After S seconds (default 10) no request is due any more; the
 * ones in flight get 30 s more. Prints one line:
 *   openloop offered=R achieved=A clients=C batch=B requests=N ok=K
 *   failed=F refused=X p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
 * achieved: records acknowledged ok per second, from the first due time to
 * the last reply; failed: requests without a 200 reply; refused: records a
 * 200 reply did not answer "ok":true. Exit 0 if every request got a 200 with no
 * record refused, 1 otherwise, 2 on bad options.
 */
#include "compat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_SLOWLORIS, MODE_UPLOAD, MODE_SLOWREAD, MODE_OPENLOOP };

struct conn {
  int fd;
  bool done;    /* closed (by the peer, or after a reply) */
  bool replied; /* a status line came */
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
  const char *tokens; /* openloop: "TOKEN REPLICA" lines */
  unsigned rate;      /* openloop: records per second offered */
  unsigned batch;     /* openloop: records per request */
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
  bool have_target = false, conns_given = false;

  memset(o, 0, sizeof(*o));
  o->per_src = 1000000;
  o->conns = 0; /* unset: 1, or 50 in openloop */
  o->duration_s = 10;
  o->interval_ms = 1000;
  o->body = 16u << 20;
  o->batch = 100;
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
      else if (strcmp(v, "slowread") == 0)
        o->mode = MODE_SLOWREAD;
      else if (strcmp(v, "openloop") == 0)
        o->mode = MODE_OPENLOOP;
      else
        return usage("--mode wants slowloris, upload, slowread or openloop");
    } else if (strcmp(a, "--conns") == 0) {
      o->conns = (unsigned)strtoul(v, NULL, 10);
      conns_given = true;
    } else if (strcmp(a, "--duration") == 0) {
      o->duration_s = (unsigned)strtoul(v, NULL, 10);
    } else if (strcmp(a, "--interval-ms") == 0) {
      o->interval_ms = (unsigned)strtoul(v, NULL, 10);
    } else if (strcmp(a, "--body") == 0) {
      o->body = strtoull(v, NULL, 10);
    } else if (strcmp(a, "--path") == 0) {
      o->path = v;
    } else if (strcmp(a, "--tokens") == 0) {
      o->tokens = v;
    } else if (strcmp(a, "--rate") == 0) {
      o->rate = (unsigned)strtoul(v, NULL, 10);
    } else if (strcmp(a, "--batch") == 0) {
      o->batch = (unsigned)strtoul(v, NULL, 10);
    } else {
      return usage("unknown option");
    }
  }
  if (!conns_given)
    o->conns = o->mode == MODE_OPENLOOP ? 50 : 1;
  if (i != argc || !have_target || o->conns == 0 || o->per_src == 0)
    return usage("usage: loadgen --target ADDR:PORT --mode MODE --conns N "
                 "[--src ADDR --per-src K --duration S --interval-ms MS "
                 "--body BYTES --path PATH] (openloop: --tokens FILE "
                 "--rate RECORDS_PER_S [--batch B])");
  if (o->mode == MODE_OPENLOOP &&
      (o->tokens == NULL || o->rate == 0 || o->batch == 0 || o->batch > 1000 ||
       o->duration_s == 0))
    return usage("openloop wants --tokens FILE, --rate > 0, --batch 1..1000 "
                 "and --duration > 0");
  if (o->path == NULL)
    o->path = o->mode == MODE_SLOWLORIS  ? "/v1/health"
              : o->mode == MODE_SLOWREAD ? "/"
                                         : "/v1/push";
  return 0;
}

/* A nonblocking connection from the i-th source address; -1 on failure. */
static int conn_open(const struct opts *o, unsigned i)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int small = 4096;

  if (fd < 0)
    return -1;
  /* a reader that takes little: the reply waits at the sender */
  if (o->mode == MODE_SLOWREAD)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
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
  if (o->mode == MODE_SLOWREAD)
    return; /* a GET: no body */
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
  unsigned i, closed = 0, open = 0, replies = 0, s401 = 0, s503 = 0, sother = 0;
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

/* ---- openloop: a fixed offered rate of pushes (see the top comment) ---- */

struct olconn {
  int fd;          /* -1: not connected */
  bool connecting; /* connect() under way */
  bool busy;       /* a request is out (or being sent) */
  char token[256];
  char replica[17];
  char *out; /* the request being sent */
  size_t out_len, out_off;
  char *in; /* the reply so far */
  size_t in_len, in_cap;
  uint64_t due_us;   /* the due time of the request out */
  uint64_t queued;   /* due requests not yet sent */
  uint64_t next_due; /* index (global k) of the oldest of them */
  uint64_t seq;      /* records made, for their ids */
};

struct olstats {
  double *lat_ms;
  size_t nlat, cap;
  uint64_t ok_records, refused, failed, last_reply_us;
};

static uint64_t now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Reads o->conns "TOKEN REPLICA" lines into cs; false (said why) if short. */
static bool ol_tokens(const struct opts *o, struct olconn *cs)
{
  FILE *f = fopen(o->tokens, "r");
  unsigned i;
  if (f == NULL) {
    perror(o->tokens);
    return false;
  }
  for (i = 0; i < o->conns; i++) {
    if (fscanf(f, "%255s %16s", cs[i].token, cs[i].replica) != 2) {
      fprintf(stderr, "loadgen: %s: line %u is not \"TOKEN REPLICA\"\n",
              o->tokens, i + 1);
      fclose(f);
      return false;
    }
  }
  fclose(f);
  return true;
}

/* Appends snprintf output to *b (cap *cap, length *len); false if no room. */
static bool ol_append(char *b, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool ol_append(char *b, size_t cap, size_t *len, const char *fmt, ...)
{
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(b + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= cap - *len)
    return false;
  *len += (size_t)n;
  return true;
}

/* One field entry of a new record: its dot is the client's own (counter 1). */
#define OL_ENTRY "[{\"dot\":[\"%s\",1],\"ts\":%llu,\"value\":"

/* Makes c's next request (batch new visits of ~500 bytes) in c->out. */
static bool ol_request(const struct opts *o, struct olconn *c, unsigned ci)
{
  static const char notes[] =
      "visited at home, talked about the programme and the next steps; the "
      "family asked about the schedule of the training, the costs of the "
      "materials and who looks after the children meanwhile; agreed to come "
      "to the next meeting at the kelurahan office and to bring the forms";
  size_t cap = 160 + (size_t)o->batch * 1100, blen = 0, hlen = 0;
  char *body = malloc(cap), head[768];
  struct timespec rt;
  unsigned long long ts;
  unsigned i;
  bool ok = body != NULL;

  clock_gettime(CLOCK_REALTIME, &rt);
  ts = (unsigned long long)rt.tv_sec * 1000000 +
       (unsigned long long)rt.tv_nsec / 1000;
  ok = ok && ol_append(body, cap, &blen, "{\"records\":[");
  for (i = 0; ok && i < o->batch; i++) {
    const char *r = c->replica;
    unsigned long long k = (unsigned long long)c->seq++;
    ok = ol_append(body, cap, &blen,
                   "%s{\"collection\":\"visit\",\"deleted\":false,\"fields\":{"
                   "\"beneficiary\":" OL_ENTRY "\"b-%06llu\"}],"
                   "\"date\":" OL_ENTRY "\"2026-05-%02llu\"}],"
                   "\"notes\":" OL_ENTRY "\"%s\"}],"
                   "\"outcome\":" OL_ENTRY "\"enrolled\"}],"
                   "\"programme\":" OL_ENTRY "\"skills-cooking\"}]},"
                   "\"id\":\"ol-%s-%08llu\",\"tombstones\":[],"
                   "\"vv\":{\"%s\":1}}",
                   i == 0 ? "" : ",", r, ts, k % 100000, r, ts, k % 28 + 1, r,
                   ts, notes, r, ts, r, ts, r, k, r);
  }
  ok = ok && ol_append(body, cap, &blen, "]}") &&
       ol_append(head, sizeof(head), &hlen,
                 "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                 "Sambang-Replica: %s\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 o->path, c->token, c->replica, blen);
  free(c->out);
  c->out = ok ? malloc(hlen + blen) : NULL;
  if (c->out == NULL) {
    free(body);
    fprintf(stderr, "loadgen: cannot make request of client %u\n", ci);
    return false;
  }
  memcpy(c->out, head, hlen);
  memcpy(c->out + hlen, body, blen);
  c->out_len = hlen + blen;
  c->out_off = 0;
  free(body);
  return true;
}

/* Ends c's request: latency from its due time; drops the connection if
 * asked (a failure or a close). */
static void ol_finish(struct olconn *c, struct olstats *st, bool failed,
                      bool drop, uint64_t batch)
{
  uint64_t t = now_us();
  if (failed) {
    st->failed++;
  } else {
    const char *p = c->in;
    uint64_t ok = 0;
    while ((p = strstr(p, "\"ok\":true")) != NULL) {
      ok++;
      p += 9;
    }
    st->refused += ok < batch ? batch - ok : 0;
    st->ok_records += ok < batch ? ok : batch;
  }
  if (st->nlat < st->cap)
    st->lat_ms[st->nlat++] = (double)(t - c->due_us) / 1000.0;
  st->last_reply_us = t;
  c->busy = false;
  c->in_len = 0;
  if (drop && c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
}

/* True once c->in holds a whole reply (Content-Length or chunked). */
static bool ol_reply_done(struct olconn *c, unsigned *status)
{
  const char *end, *cl;
  size_t head;
  c->in[c->in_len] = '\0';
  end = strstr(c->in, "\r\n\r\n");
  if (end == NULL || c->in_len < 12)
    return false;
  head = (size_t)(end - c->in) + 4;
  *status = (unsigned)atoi(c->in + 9);
  for (cl = strstr(c->in, "\r\n"); cl != NULL && cl < end;
       cl = strstr(cl + 2, "\r\n")) {
    if (strncasecmp(cl + 2, "content-length:", 15) == 0)
      return c->in_len >= head + strtoull(cl + 17, NULL, 10);
  }
  return c->in_len >= head + 5 &&
         memcmp(c->in + c->in_len - 5, "0\r\n\r\n", 5) == 0;
}

/* Reads what came on c; a whole reply finishes the request. */
static void ol_read(const struct opts *o, struct olconn *c, struct olstats *st)
{
  unsigned status = 0;
  ssize_t n;
  if (c->in_cap - c->in_len < 65537) {
    char *p = realloc(c->in, c->in_cap * 2 + 65537);
    if (p == NULL) {
      ol_finish(c, st, true, true, o->batch);
      return;
    }
    c->in = p;
    c->in_cap = c->in_cap * 2 + 65537;
  }
  n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0) {
    if (c->busy)
      ol_finish(c, st, true, true, o->batch);
    else
      close(c->fd), c->fd = -1;
    return;
  }
  c->in_len += (size_t)n;
  if (c->busy && ol_reply_done(c, &status))
    ol_finish(c, st, status != 200, status != 200, o->batch);
}

/* Sends more of c's request. */
static void ol_write(const struct opts *o, struct olconn *c, struct olstats *st)
{
  while (c->out_off < c->out_len) {
    ssize_t n =
        send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (n <= 0) {
      ol_finish(c, st, true, true, o->batch);
      return;
    }
    c->out_off += (size_t)n;
  }
}

/* Starts the oldest queued request of c (connecting first if need be). */
static void ol_start(const struct opts *o, struct olconn *c, unsigned ci,
                     uint64_t t0, struct olstats *st)
{
  if (c->fd < 0) {
    c->fd = conn_open(o, 0);
    c->connecting = true;
  }
  c->due_us = t0 + c->next_due * o->batch * 1000000ull / o->rate;
  c->next_due += o->conns;
  c->queued--;
  c->busy = true;
  c->in_len = 0;
  if (c->fd < 0 || !ol_request(o, c, ci)) {
    ol_finish(c, st, true, true, o->batch);
    return;
  }
  if (!c->connecting)
    ol_write(o, c, st);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const struct olstats *st, double p)
{
  size_t i = (size_t)(p * (double)st->nlat);
  if (st->nlat == 0)
    return 0;
  return st->lat_ms[i < st->nlat ? i : st->nlat - 1];
}

/* The summary line; the exit status. */
static int ol_report(const struct opts *o, struct olstats *st, uint64_t t0,
                     uint64_t requests)
{
  double secs = (double)(st->last_reply_us - t0) / 1e6;
  qsort(st->lat_ms, st->nlat, sizeof(double), cmp_double);
  printf("openloop offered=%u achieved=%.0f clients=%u batch=%u requests=%llu "
         "ok=%llu failed=%llu refused=%llu p50_ms=%.1f p90_ms=%.1f "
         "p99_ms=%.1f max_ms=%.1f\n",
         o->rate, secs > 0 ? (double)st->ok_records / secs : 0, o->conns,
         o->batch, (unsigned long long)requests,
         (unsigned long long)st->nlat - st->failed,
         (unsigned long long)st->failed, (unsigned long long)st->refused,
         pct(st, 0.50), pct(st, 0.90), pct(st, 0.99),
         st->nlat > 0 ? st->lat_ms[st->nlat - 1] : 0.0);
  return st->failed == 0 && st->refused == 0 && st->nlat == requests ? 0 : 1;
}

/* Queues the requests due by now (global k round-robin over the clients). */
static void ol_due(const struct opts *o, struct olconn *cs, uint64_t t0,
                   uint64_t *k, uint64_t total)
{
  uint64_t now = now_us();
  while (*k < total && t0 + *k * o->batch * 1000000ull / o->rate <= now) {
    struct olconn *c = &cs[*k % o->conns];
    if (c->queued == 0)
      c->next_due = *k;
    c->queued++;
    (*k)++;
  }
}

/* One poll round over the clients; its timeout: until the next due time. */
static void ol_poll(const struct opts *o, struct olconn *cs, struct pollfd *ps,
                    int timeout_ms, struct olstats *st)
{
  unsigned i;
  for (i = 0; i < o->conns; i++) {
    ps[i].fd = cs[i].fd;
    ps[i].events = POLLIN;
    ps[i].revents = 0;
    if (cs[i].connecting || (cs[i].busy && cs[i].out_off < cs[i].out_len))
      ps[i].events |= POLLOUT;
  }
  if (poll(ps, o->conns, timeout_ms) <= 0)
    return;
  for (i = 0; i < o->conns; i++) {
    struct olconn *c = &cs[i];
    if (c->fd < 0 || ps[i].revents == 0)
      continue;
    if (c->connecting && (ps[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
      c->connecting = false;
      if (ps[i].revents & (POLLERR | POLLHUP)) {
        if (c->busy)
          ol_finish(c, st, true, true, o->batch);
        continue;
      }
    }
    if (ps[i].revents & (POLLIN | POLLHUP | POLLERR))
      ol_read(o, c, st);
    if (c->fd >= 0 && c->busy && (ps[i].revents & POLLOUT))
      ol_write(o, c, st);
  }
}

static int openloop_run(const struct opts *o)
{
  uint64_t total = (uint64_t)o->rate * o->duration_s / o->batch, k = 0, t0,
           grace;
  struct olconn *cs = calloc(o->conns, sizeof(*cs));
  struct pollfd *ps = calloc(o->conns, sizeof(*ps));
  struct olstats st;
  unsigned i;
  int rc = 1;

  memset(&st, 0, sizeof(st));
  st.cap = (size_t)total;
  st.lat_ms = calloc(st.cap + 1, sizeof(double));
  if (total == 0) {
    fprintf(stderr, "loadgen: --rate times --duration is less than a batch\n");
    rc = 2;
    goto done;
  }
  if (cs == NULL || ps == NULL || st.lat_ms == NULL)
    goto done;
  for (i = 0; i < o->conns; i++)
    cs[i].fd = -1;
  if (!ol_tokens(o, cs))
    goto done;
  t0 = now_us();
  grace = t0 + (uint64_t)o->duration_s * 1000000 + 30000000;
  while (st.nlat < total && now_us() < grace) {
    uint64_t next, now;
    int timeout = 100;
    ol_due(o, cs, t0, &k, total);
    for (i = 0; i < o->conns; i++) {
      if (!cs[i].busy && cs[i].queued > 0)
        ol_start(o, &cs[i], i, t0, &st);
    }
    now = now_us();
    if (k < total) {
      next = t0 + k * o->batch * 1000000ull / o->rate;
      timeout = next > now ? (int)((next - now + 999) / 1000) : 0;
    }
    ol_poll(o, cs, ps, timeout, &st);
  }
  rc = ol_report(o, &st, t0, total);
done:
  for (i = 0; cs != NULL && i < o->conns; i++) {
    if (cs[i].fd >= 0)
      close(cs[i].fd);
    free(cs[i].out);
    free(cs[i].in);
  }
  free(cs);
  free(ps);
  free(st.lat_ms);
  return rc;
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
  if (o.mode == MODE_OPENLOOP)
    return openloop_run(&o);
  if (o.mode == MODE_SLOWREAD)
    snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", o.path);
  else if (o.mode == MODE_UPLOAD)
    snprintf(head, sizeof(head),
             "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
             "\r\nContent-Length: %llu\r\n\r\n",
             o.path, (unsigned long long)o.body);
  else
    snprintf(
        head, sizeof(head),
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
      /* a slow reader never asks for what came (a hang-up still shows) */
      ps[i].events = o.mode == MODE_SLOWREAD ? 0 : POLLIN;
      ps[i].revents = 0;
      if (ps[i].fd < 0)
        continue;
      live++;
      if (o.mode == MODE_UPLOAD && !c->replied &&
          (c->head_off < head_len || c->body_sent < o.body))
        ps[i].events |= POLLOUT;
      if (o.mode == MODE_SLOWREAD && c->head_off < head_len)
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
