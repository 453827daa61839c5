/* test_sync_config.c - the sync engine's settings and config file. */
#include "check.h"

#include "sync.h"

#include <stdio.h>
#include <string.h>

static const char *write_conf(const char *name, const char *text)
{
  static char path[512];
  FILE *f;
  snprintf(path, sizeof(path), "%s/%s", check_tmpdir(), name);
  f = fopen(path, "w");
  CHECK(f != NULL);
  CHECK(fputs(text, f) >= 0);
  CHECK(fclose(f) == 0);
  return path;
}

TEST(defaults_need_server_and_token)
{
  struct sync_config c;
  struct sb_err err = {0};

  sync_config_init(&c);
  CHECK_INT(c.batch, ==, SYNC_DEFAULT_BATCH);
  CHECK_INT(c.backoff_cap_ms, ==, 300000);
  CHECK(c.gzip);
  CHECK_INT(sync_config_check(&c, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "no hub server") != NULL);
  sync_config_release(&c);
}

TEST(load_good_file)
{
  struct sync_config c;
  struct sb_err err = {0};
  const char *tok = write_conf("tok", "  secret-token  \nignored\n");
  char text[1024];

  snprintf(text, sizeof(text),
           "# comment\n\nserver = http://127.0.0.1:9\n"
           "token_file = %s\nbatch=40\n  page = 60  \nwait = 5\n"
           "backoff_min = 2\nbackoff_cap = 7\ngzip = no\n"
           "connect_timeout = 3\ntimeout = 4\nca_file = /x/ca.pem\n",
           tok);
  sync_config_init(&c);
  CHECK_INT(sync_config_load(&c, write_conf("good.conf", text), &err), ==, 0);
  CHECK_STR(c.server, "http://127.0.0.1:9");
  CHECK_STR(c.token, "secret-token");
  CHECK_STR(c.ca_file, "/x/ca.pem");
  CHECK_INT(c.batch, ==, 40);
  CHECK_INT(c.page, ==, 60);
  CHECK_INT(c.wait_s, ==, 5);
  CHECK_INT(c.backoff_min_ms, ==, 2000);
  CHECK_INT(c.backoff_cap_ms, ==, 7000);
  CHECK(!c.gzip);
  CHECK_INT(c.connect_timeout_s, ==, 3);
  CHECK_INT(c.timeout_s, ==, 4);
  /* the CA file is read by the check, whatever the scheme */
  CHECK(sync_config_check(&c, &err) != 0);
  CHECK(strstr(err.msg, "/x/ca.pem") != NULL);
  free(c.ca_file);
  c.ca_file = NULL;
  CHECK_INT(sync_config_check(&c, &err), ==, 0);
  sync_config_release(&c);
}

/* A byte order mark before the first line (a Windows editor's) is left
 * out; anywhere else it is part of the text, as any byte. */
TEST(byte_order_mark_first)
{
  struct sync_config c;
  struct sb_err err = {0};

  sync_config_init(&c);
  CHECK_INT(sync_config_load(&c,
                             write_conf("bom.conf", "\xef\xbb\xbfserver = "
                                                    "http://127.0.0.1:9\n"),
                             &err),
            ==, 0);
  CHECK_STR(c.server, "http://127.0.0.1:9");
  CHECK(sync_config_load(&c,
                         write_conf("bom2.conf", "batch = 5\n\xef\xbb\xbf"
                                                 "server = http://x:1\n"),
                         &err) != 0);
  CHECK(strstr(err.msg, "bom2.conf:2") != NULL);
  CHECK_STR(c.server, "http://127.0.0.1:9");
  sync_config_release(&c);
}

/* Each bad file is refused naming file:line, and c keeps its values. */
TEST(bad_files_change_nothing)
{
  static const struct {
    const char *text, *want;
  } bad[] = {
      {"server = http://a\ncolour = blue\n", "unknown setting \"colour\""},
      {"batch = 0\n", "batch must be a whole number from 1 to 1000"},
      {"batch = 1001\n", "batch must be"},
      {"page = ten\n", "page must be"},
      {"wait = 61\n", "wait must be"},
      {"wait = 0\n", "wait must be a whole number from 1 to 60"},
      {"backoff_cap = -1\n", "backoff_cap must be"},
      {"gzip = maybe\n", "gzip must be yes or no"},
      {"just words\n", "expected `key = value`"},
      {"token =\n", "token has no value"},
      {"token_file = /nonexistent/tok\n", "cannot read token_file"},
      {"wait = 5\nbatch = 10\nwait = 6\n",
       "bad.conf:3: wait sets the wait that line 1 set already"},
  };
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct sync_config c;
    struct sb_err err = {0};
    const char *p = write_conf("bad.conf", bad[i].text);
    char where[600];

    sync_config_init(&c);
    c.server = strdup("http://kept");
    CHECK_INT(sync_config_load(&c, p, &err), ==, SB_EINVAL);
    if (strstr(err.msg, bad[i].want) == NULL)
      fprintf(stderr, "case %zu: %s\n", i, err.msg);
    CHECK(strstr(err.msg, bad[i].want) != NULL);
    snprintf(where, sizeof(where), "%s:", p);
    CHECK(strstr(err.msg, where) != NULL);
    CHECK_STR(c.server, "http://kept");
    CHECK_INT(c.batch, ==, SYNC_DEFAULT_BATCH);
    sync_config_release(&c);
  }
}

/* token and token_file set one thing: both in a file is a setting given
 * twice, and the settings before the file stay. */
TEST(token_twice)
{
  struct sync_config c;
  struct sb_err err = {0};
  char tok[512], text[1100];

  snprintf(tok, sizeof(tok), "%s", write_conf("tok2", "from-file\n"));
  snprintf(text, sizeof(text),
           "token = a\n# the same, from a file\ntoken_file = %s\n", tok);
  sync_config_init(&c);
  c.token = strdup("kept");
  CHECK_INT(sync_config_load(&c, write_conf("twice.conf", text), &err), ==,
            SB_EINVAL);
  CHECK(strstr(err.msg,
               "twice.conf:3: token_file sets the token that line 1 set "
               "already") != NULL);
  CHECK_STR(c.token, "kept");
  sync_config_release(&c);
}

TEST(missing_file)
{
  struct sync_config c;
  struct sb_err err = {0};

  sync_config_init(&c);
  CHECK_INT(sync_config_load(&c, "/nonexistent/sambangd.conf", &err), ==,
            SB_ENOTFOUND);
  CHECK(strstr(err.msg, "/nonexistent/sambangd.conf") != NULL);
  sync_config_release(&c);
}

TEST(check_ranges)
{
  struct sync_config c;
  struct sb_err err = {0};

  sync_config_init(&c);
  c.server = strdup("ftp://hub");
  c.token = strdup("t");
  CHECK_INT(sync_config_check(&c, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "http:// or https://") != NULL);
  free(c.server);
  c.server = strdup("https://hub/?page=1"); /* a config file's, or --server */
  CHECK_INT(sync_config_check(&c, &err), ==, SB_EINVAL);
  CHECK(strstr(err.msg, "no query (?) or fragment") != NULL);
  free(c.server);
  c.server = strdup("https://hub");
  c.backoff_cap_ms = 500;
  CHECK_INT(sync_config_check(&c, &err), ==, SB_EINVAL);
  c.backoff_cap_ms = 1000;
  CHECK_INT(sync_config_check(&c, &err), ==, 0);
  sync_config_release(&c);
}
