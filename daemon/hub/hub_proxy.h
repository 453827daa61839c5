/*
 * hub_proxy.h - the client's address behind a trusted reverse proxy
 * (`serve --trusted-proxy ADDR[,ADDR]`, X-Forwarded-For).
 */
#ifndef SAMBANG_HUB_PROXY_H
#define SAMBANG_HUB_PROXY_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

/* 0 if list is IPv4 addresses joined by ','; else -1, the bad one in bad. */
int hub_proxy_check(const char *list, char *bad, size_t bad_size);

/*
 * The client's address into out: peer, unless peer is in trusted (a
 * checked list, or NULL: none) and xff (X-Forwarded-For, may be NULL)
 * names one: then its rightmost entry that is not a trusted proxy.
 */
void hub_proxy_client(const char *trusted, const char *peer, const char *xff,
                      char *out, size_t size);

/*
 * Who may read /metrics (`serve --metrics-from`): true if the client
 * (hub_proxy_client's, behind a trusted proxy) is in allowed, a checked
 * list; allowed NULL: loopback (127.x) only; "any": everyone. A trusted
 * proxy's request whose X-Forwarded-For names no client is refused: it
 * came from somewhere the hub cannot tell.
 */
bool hub_proxy_metrics_allowed(const char *allowed, const char *trusted,
                               const char *peer, const char *xff);

/* True if peer is in trusted and xfp (X-Forwarded-Proto, may be NULL)
 * says the client's request came over https (its rightmost value). */
bool hub_proxy_https(const char *trusted, const char *peer, const char *xfp);

#endif
