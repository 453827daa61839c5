/*
 * notify_listen.c - a stand-in for systemd's notification socket in tests:
 * binds an AF_UNIX datagram socket at PATH and prints every message it
 * receives (sd_notify(3) states such as READY=1), one per line, until
 * killed.
 *
 *   notify_listen PATH
 */
#include "compat.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  struct sockaddr_un sa;
  char buf[4096];
  int fd;

  if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
    fprintf(stderr, "usage: notify_listen PATH (shorter than %zu bytes)\n",
            sizeof(sa.sun_path));
    return 2;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
  fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    perror("notify_listen");
    return 1;
  }
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n < 0) {
      perror("notify_listen: recv");
      return 1;
    }
    buf[n] = '\0';
    printf("%s\n", buf);
    fflush(stdout);
  }
}
