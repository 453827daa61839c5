/* check.c - test registry and runner for check.h. */
#include "compat.h"

#include "check.h"

#include <stdlib.h>

#define CHECK_MAX_TESTS 256

static struct {
  const char *name;
  check_fn fn;
} tests[CHECK_MAX_TESTS];
static size_t ntests;

void check_register(const char *name, check_fn fn)
{
  if (ntests == CHECK_MAX_TESTS) {
    fprintf(stderr, "check: too many tests\n");
    abort();
  }
  tests[ntests].name = name;
  tests[ntests].fn = fn;
  ntests++;
}

const char *check_tmpdir(void)
{
  static char dir[256];
  const char *base = getenv("TMPDIR");
  snprintf(dir, sizeof(dir), "%s/sambang-test-XXXXXX", base ? base : "/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    abort();
  }
  return dir;
}

int main(int argc, char **argv)
{
  size_t i, ran = 0;
  for (i = 0; i < ntests; i++) {
    if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
      continue;
    fprintf(stderr, "-- %s\n", tests[i].name);
    tests[i].fn();
    ran++;
  }
  if (ran == 0) {
    fprintf(stderr, "check: no test named %s\n", argc > 1 ? argv[1] : "");
    return 1;
  }
  return 0;
}
