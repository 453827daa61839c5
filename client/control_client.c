/*
 * control_client.c - the CLI's side of sambangd's control socket
 * (daemon/sambangd/CONTROL.md): send one request line, read reply lines.
 *
 * Plain blocking POSIX sockets with receive/send timeouts, so a stuck or
 * paused daemon can never hang a command for long.
 */
#include "compat.h"

#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* The socket path: the store path + ".sock". */
static int socket_path(const char *db, struct sockaddr_un *sun,
                       struct sb_err *err)
{
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  if ((size_t)snprintf(sun->sun_path, sizeof(sun->sun_path), "%s.sock", db) >=
      sizeof(sun->sun_path))
    return sb_err_set(err, SB_ENOTFOUND,
                      "the control socket path of %s is too long", db);
  return 0;
}

static void set_timeout(int fd, int timeout_ms)
{
  struct timeval tv = {.tv_sec = timeout_ms / 1000,
                       .tv_usec = (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int control_client_request(const char *db, const char *request, int timeout_ms,
                           control_line_fn fn, void *ctx, struct sb_err *err)
{
  struct sockaddr_un sun;
  char buf[65536];
  size_t len = 0;
  int fd, rc;

  rc = socket_path(db, &sun, err);
  if (rc != 0)
    return rc;
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sb_err_set(err, SB_ENETWORK, "cannot make a socket: %s",
                      strerror(errno));
  set_timeout(fd, timeout_ms);
  if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
    close(fd);
    return sb_err_set(err, SB_ENOTFOUND, "no sambangd is running for %s", db);
  }
  if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 ||
      send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
    rc = sb_err_set(err, SB_ENETWORK, "cannot talk to sambangd (%s): %s",
                    sun.sun_path, strerror(errno));
    goto done;
  }
  rc = 1;
  while (rc == 1) {
    ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
    char *nl;

    if (n <= 0) {
      rc = sb_err_set(err, SB_ENETWORK,
                      n == 0 ? "sambangd closed the control connection"
                             : "no answer from sambangd (%s)",
                      strerror(errno));
      break;
    }
    len += (size_t)n;
    buf[len] = '\0';
    while (rc == 1 && (nl = strchr(buf, '\n')) != NULL) {
      size_t used = (size_t)(nl - buf) + 1;
      *nl = '\0';
      rc = fn(buf, ctx);
      memmove(buf, buf + used, len - used + 1);
      len -= used;
    }
    if (rc == 1 && len == sizeof(buf) - 1)
      rc = sb_err_set(err, SB_EPROTOCOL, "sambangd sent a line over 64 KiB");
  }
done:
  close(fd);
  return rc < 0 ? rc : 0;
}

static int first_line(const char *line, void *ctx)
{
  (void)line;
  (void)ctx;
  return 0;
}

void control_client_notify(const char *db)
{
  /* Best effort: no daemon, a busy one or an old one must not matter. */
  control_client_request(db, "{\"cmd\":\"notify\"}", 200, first_line, NULL,
                         NULL);
}
