/*
 * hub_proxy.c - the client's address behind a trusted reverse proxy.
 *
 * A request's client is its socket peer, unless that peer is one of the
 * addresses given with `serve --trusted-proxy`: then it is the rightmost
 * X-Forwarded-For entry that is not itself a trusted proxy (entries left
 * of it were written by the client and prove nothing). A header from any
 * other peer is ignored, so a device cannot pick the address it is
 * logged and limited as. Likewise X-Forwarded-Proto says whether the
 * client reached the proxy over TLS only when a trusted proxy sent it.
 */
#include "compat.h"

#include "hub_proxy.h"

#include "comma_list.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ADDR_MAX 64

int hub_proxy_check(const char *list, char *bad, size_t bad_size)
{
  const char *p = list;
  struct in_addr a;

  for (;;) {
    size_t len = strcspn(p, ",");
    char one[ADDR_MAX];
    snprintf(one, sizeof(one), "%.*s", (int)(len < ADDR_MAX ? len : 0), p);
    if (len == 0 || len >= ADDR_MAX || inet_pton(AF_INET, one, &a) != 1) {
      snprintf(bad, bad_size, "%.*s", (int)(len < 60 ? len : 60), p);
      return -1;
    }
    if (p[len] == '\0')
      return 0;
    p += len + 1;
  }
}

bool hub_proxy_https(const char *trusted, const char *peer, const char *xfp)
{
  size_t n;

  if (trusted == NULL || xfp == NULL || !comma_list_has(trusted, peer))
    return false;
  /* the proxy nearest to us appended last: the rightmost value */
  if (strrchr(xfp, ',') != NULL)
    xfp = strrchr(xfp, ',') + 1;
  while (*xfp == ' ' || *xfp == '\t')
    xfp++;
  n = strcspn(xfp, " \t");
  return n == 5 && strncasecmp(xfp, "https", 5) == 0 &&
         xfp[n + strspn(xfp + n, " \t")] == '\0';
}

bool hub_proxy_metrics_allowed(const char *allowed, const char *trusted,
                               const char *peer, const char *xff)
{
  char client[ADDR_MAX];

  if (allowed != NULL && strcmp(allowed, "any") == 0)
    return true;
  hub_proxy_client(trusted, peer, xff, client, sizeof(client));
  if (xff != NULL && comma_list_has(trusted, peer) && strcmp(client, peer) == 0)
    return false;
  return allowed == NULL ? strncmp(client, "127.", 4) == 0
                         : comma_list_has(allowed, client);
}

void hub_proxy_client(const char *trusted, const char *peer, const char *xff,
                      char *out, size_t size)
{
  const char *end;

  snprintf(out, size, "%s", peer);
  if (trusted == NULL || xff == NULL || !comma_list_has(trusted, peer))
    return;
  end = xff + strlen(xff);
  while (end > xff) {
    const char *start = end, *e = end;
    char one[ADDR_MAX];
    struct in_addr a;
    while (start > xff && start[-1] != ',')
      start--;
    end = start > xff ? start - 1 : xff;
    while (*start == ' ' || *start == '\t')
      start++;
    while (e > start && (e[-1] == ' ' || e[-1] == '\t'))
      e--;
    if (e == start || (size_t)(e - start) >= ADDR_MAX)
      return; /* a malformed entry: the peer is all we know */
    snprintf(one, sizeof(one), "%.*s", (int)(e - start), start);
    if (inet_pton(AF_INET, one, &a) != 1)
      return;
    if (!comma_list_has(trusted, one)) {
      snprintf(out, size, "%s", one);
      return;
    }
  }
}
