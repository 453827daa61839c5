/*
 * ctlsend.c - sends raw lines to a Unix stream socket and prints what
 * comes back, for testing sambangd's control socket with bad requests.
 *
 *   ctlsend SOCKET_PATH REPLIES [LINE]...
 *
 * Sends each LINE followed by '\n' (a LINE of "@big" sends 70,000 'x'
 * bytes without a newline first), then prints reply lines until REPLIES
 * lines were read (REPLIES "until:TEXT": until a line holding TEXT), the
 * peer closes, or 10 s pass. Exit 0 once done, 3 if the peer closed
 * first, 1 on errors.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int send_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv)
{
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  struct timeval tv = {.tv_sec = 10};
  const char *until = NULL;
  char line[70000];
  size_t len = 0;
  long want;
  int fd, i, got = 0;
  bool done = false;
  char c;

  if (argc < 3) {
    fprintf(stderr, "usage: ctlsend SOCKET_PATH REPLIES [LINE]...\n");
    return 2;
  }
  if (strncmp(argv[2], "until:", 6) == 0) {
    until = argv[2] + 6;
    want = 1000000;
  } else {
    want = strtol(argv[2], NULL, 10);
  }
  snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
    perror(argv[1]);
    return 1;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  for (i = 3; i < argc; i++) {
    if (strcmp(argv[i], "@big") == 0) {
      static char big[70000];
      memset(big, 'x', sizeof(big));
      if (send_all(fd, big, sizeof(big)) != 0)
        break;
    } else if (send_all(fd, argv[i], strlen(argv[i])) != 0 ||
               send_all(fd, "\n", 1) != 0) {
      break;
    }
  }
  while (!done && got < want) {
    ssize_t r = recv(fd, &c, 1, 0);
    if (r <= 0)
      break;
    putchar(c);
    if (len + 1 < sizeof(line))
      line[len++] = c;
    if (c == '\n') {
      line[len] = '\0';
      done = until != NULL && strstr(line, until) != NULL;
      len = 0;
      got++;
    }
  }
  close(fd);
  return done || got >= want ? 0 : 3;
}
