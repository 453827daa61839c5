/*
 * fuzz_headers.c - the request headers the hub reads itself (what
 * libmicrohttpd hands over as text): Sambang-Marks and Sambang-Push-Chain,
 * from any enrolled device (proto_marks_decode, proto_chain_decode), and
 * X-Forwarded-For / X-Forwarded-Proto,
 * from a trusted proxy (hub_proxy.c). The input is split at its first
 * '\n': the header's value, then the peer address (or a proxy list).
 *
 * Marks and chains accepted are printed back (proto_*_encode) to the same
 * text and decode to the same values; refused ones say why. The client's
 * address is always a NUL-terminated string within its buffer: the peer,
 * or an entry of the header that is not a trusted proxy; a proxy list
 * that passes hub_proxy_check names only addresses.
 */
#include "compat.h"

#include "hub_proxy.h"
#include "proto.h"
#include "vv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_marks(const char *text)
{
  struct proto_marks m, again;
  char out[PROTO_MARKS_TEXT_MAX + 1];
  struct sb_err err = {0};
  int rc = proto_marks_decode(text, &m, &err);

  if (rc != 0) {
    if (err.msg[0] == '\0')
      abort();
    return;
  }
  proto_marks_encode(&m, out);
  if (strcmp(out, text) != 0 || proto_marks_decode(out, &again, NULL) != 0 ||
      again.pending != m.pending || again.refused != m.refused)
    abort();
}

static void check_chain(const char *text)
{
  struct proto_chain c, again;
  char out[PROTO_CHAIN_TEXT_MAX + 1];
  struct sb_err err = {0};
  int rc = proto_chain_decode(text, &c, &err);

  if (rc != 0) {
    if (err.msg[0] == '\0')
      abort();
    return;
  }
  proto_chain_encode(&c, out);
  if (strcmp(out, text) != 0 || !proto_chain_valid(c.next) ||
      (c.prev[0] != '\0' && !proto_chain_valid(c.prev)) ||
      strcmp(c.prev, c.next) == 0 ||
      proto_chain_decode(out, &again, NULL) != 0 ||
      strcmp(again.prev, c.prev) != 0 || strcmp(again.next, c.next) != 0 ||
      again.since != c.since || c.since > SB_COUNTER_MAX)
    abort();
}

static void check_proxy(const char *header, const char *second)
{
  static const char trusted[] = "127.0.0.1,127.0.0.2";
  char out[64], bad[64];

  memset(out, 'x', sizeof(out));
  hub_proxy_client(trusted, "127.0.0.1", header, out, sizeof(out));
  if (memchr(out, '\0', sizeof(out)) == NULL)
    abort();
  /* Never one of the trusted proxies when the header names another. */
  if (strcmp(out, "127.0.0.2") == 0 && strstr(header, "127.0.0.2") == NULL)
    abort();
  hub_proxy_client(NULL, second, header, out, sizeof(out));
  if (strncmp(out, second, sizeof(out) - 1) != 0)
    abort(); /* no trusted proxy: the peer, whatever the header says */
  (void)hub_proxy_https(trusted, "127.0.0.1", header);
  (void)hub_proxy_metrics_allowed(NULL, trusted, "127.0.0.1", header);
  (void)hub_proxy_metrics_allowed("any", trusted, second, header);
  if (hub_proxy_check(second, bad, sizeof(bad)) == 0) {
    (void)hub_proxy_metrics_allowed(second, second, "127.0.0.1", header);
    hub_proxy_client(second, "127.0.0.1", header, out, sizeof(out));
    if (memchr(out, '\0', sizeof(out)) == NULL)
      abort();
  } else if (memchr(bad, '\0', sizeof(bad)) == NULL) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1), *nl;
  const char *second = "";

  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  nl = strchr(text, '\n');
  if (nl != NULL) {
    *nl = '\0';
    second = nl + 1;
  }
  check_marks(text);
  check_chain(text);
  check_proxy(text, second);
  free(text);
  return 0;
}
