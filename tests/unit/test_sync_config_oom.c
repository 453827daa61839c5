/*
 * test_sync_config_oom.c - options over a device's settings when memory
 * runs out (oom.h): sync_config_override sets every option given or,
 * failing, none, so a CA file or pin asked for on the command line is
 * never dropped quietly (the system's CAs used in its place).
 */
#include "check.h"

#include "oom.h"
#include "sync.h"

#include <string.h>

/* c as read from a store: a server, a token and an office CA file. */
static void stored(struct sync_config *c)
{
  sync_config_init(c);
  CHECK((c->server = strdup("https://hub.example:8443")) != NULL);
  CHECK((c->token = strdup("stored-token")) != NULL);
  CHECK((c->ca_file = strdup("/etc/sambang/office-ca.pem")) != NULL);
}

static void check_field(const char *got, const char *want)
{
  CHECK(got != NULL);
  CHECK_STR(got, want);
}

TEST(override)
{
  struct sync_overrides o = {NULL, "new-token", "/tmp/other-ca.pem",
                             "sha256//AAAA"};

  OOM_EACH_FAILURE(n)
  {
    struct sync_config c;
    struct sb_err err = {0};
    int rc;

    stored(&c);
    oom_arm(n);
    rc = sync_config_override(&c, &o, &err);
    oom_disarm();
    check_field(c.server, "https://hub.example:8443"); /* not given */
    if (rc == 0) {
      check_field(c.token, "new-token");
      check_field(c.ca_file, "/tmp/other-ca.pem");
      check_field(c.pin, "sha256//AAAA");
      more_ = 0;
      CHECK(!oom_failed());
    } else {
      CHECK(oom_failed());
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK_INT(err.code, ==, SB_ENOMEM);
      check_field(c.token, "stored-token");
      check_field(c.ca_file, "/etc/sambang/office-ca.pem");
      CHECK(c.pin == NULL);
    }
    sync_config_release(&c);
  }
}
