/*
 * sync_fixture.c - a store copy with a sync engine on it (sync_fixture.h).
 */
#include "sync_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sync_fixture_path(const char *name)
{
  static char path[512];
  snprintf(path, sizeof(path), "%s/%s.db", check_testdir(), name);
  return path;
}

void sync_fixture_copy(const char *from, const char *to)
{
  char path[512];
  FILE *in, *out;
  char chunk[8192];
  size_t n;

  snprintf(path, sizeof(path), "%s", sync_fixture_path(from));
  in = fopen(path, "rb");
  out = fopen(sync_fixture_path(to), "wb");
  CHECK(in != NULL && out != NULL);
  while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
    CHECK(fwrite(chunk, 1, n, out) == n);
  CHECK(!ferror(in));
  fclose(in);
  CHECK(fclose(out) == 0);
}

void sync_fixture_open(struct sync_fixture *f, const char *path)
{
  struct sync_config cfg;

  memset(f, 0, sizeof(*f));
  CHECK_INT(store_open(path, &f->store, NULL), ==, 0);
  CHECK_INT(uv_loop_init(&f->loop), ==, 0);
  sync_config_init(&cfg);
  cfg.server = strdup("http://127.0.0.1:9");
  cfg.token = strdup("test-token");
  CHECK(cfg.server != NULL && cfg.token != NULL);
  CHECK_INT(sync_new(&f->loop, f->store, &cfg, &f->sync, NULL), ==, 0);
  sync_config_release(&cfg);
}

void sync_fixture_close(struct sync_fixture *f)
{
  sync_stop(f->sync);
  CHECK_INT(uv_run(&f->loop, UV_RUN_DEFAULT), ==, 0);
  sync_free(f->sync);
  CHECK_INT(uv_loop_close(&f->loop), ==, 0);
  store_close(f->store);
}
