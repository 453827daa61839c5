/* test_hub_proxy.c - the client behind a trusted proxy: its address
 * (X-Forwarded-For) and whether it came over https (X-Forwarded-Proto). */
#include "check.h"

#include "hub_proxy.h"

#define TRUSTED "10.0.0.1,10.0.0.2"

TEST(https_only_from_a_trusted_proxy)
{
  CHECK(hub_proxy_https(TRUSTED, "10.0.0.1", "https"));
  CHECK(hub_proxy_https(TRUSTED, "10.0.0.2", "HTTPS"));
  CHECK(hub_proxy_https(TRUSTED, "10.0.0.1", " https "));
  /* the rightmost value is the one the nearest proxy wrote */
  CHECK(hub_proxy_https(TRUSTED, "10.0.0.1", "http, https"));
  CHECK(!hub_proxy_https(TRUSTED, "10.0.0.1", "https, http"));
  CHECK(!hub_proxy_https(TRUSTED, "10.0.0.1", "http"));
  CHECK(!hub_proxy_https(TRUSTED, "10.0.0.1", "httpsx"));
  CHECK(!hub_proxy_https(TRUSTED, "10.0.0.1", "https x"));
  CHECK(!hub_proxy_https(TRUSTED, "10.0.0.1", ""));
  CHECK(!hub_proxy_https(TRUSTED, "10.0.0.1", NULL));
  /* anyone else's header is ignored */
  CHECK(!hub_proxy_https(TRUSTED, "10.0.0.3", "https"));
  CHECK(!hub_proxy_https(TRUSTED, "10.0.0.10", "https"));
  CHECK(!hub_proxy_https(NULL, "10.0.0.1", "https"));
}

TEST(client_address)
{
  char out[64];

  hub_proxy_client(TRUSTED, "10.0.0.1", "1.2.3.4, 10.0.0.2", out, sizeof(out));
  CHECK_STR(out, "1.2.3.4");
  hub_proxy_client(TRUSTED, "10.0.0.9", "1.2.3.4", out, sizeof(out));
  CHECK_STR(out, "10.0.0.9");
  hub_proxy_client(NULL, "10.0.0.1", "1.2.3.4", out, sizeof(out));
  CHECK_STR(out, "10.0.0.1");
  hub_proxy_client(TRUSTED, "10.0.0.1", "not an address", out, sizeof(out));
  CHECK_STR(out, "10.0.0.1");
}
