/* check.c - test registry and runner for check.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "compat.h"

#include "check.h"

#include <ftw.h>
#include <stdlib.h>

#define CHECK_MAX_TESTS 256
#define CHECK_MAX_DIRS 64

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

/* The directories the running test made (check_tmpdir): removed when it
 * passes, kept when it fails (a failed check aborts) to look into. */
static char dirs[CHECK_MAX_DIRS][256];
static size_t ndirs;
static const char *testdir; /* check_testdir's, one of dirs */

const char *check_tmpdir(void)
{
  const char *base = getenv("TMPDIR");
  char *dir;

  if (ndirs == CHECK_MAX_DIRS) {
    fprintf(stderr, "check: too many temporary directories in one test\n");
    abort();
  }
  dir = dirs[ndirs];
  snprintf(dir, sizeof(dirs[0]), "%s/sambang-test-XXXXXX",
           base ? base : "/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    abort();
  }
  ndirs++;
  return dir;
}

const char *check_testdir(void)
{
  if (testdir == NULL)
    testdir = check_tmpdir();
  return testdir;
}

static int remove_one(const char *path, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  if (remove(path) != 0)
    perror(path); /* reported, not fatal: the test itself passed */
  return 0;
}

static void remove_dirs(void)
{
  testdir = NULL;
  while (ndirs > 0)
    nftw(dirs[--ndirs], remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
  size_t i, ran = 0;
  for (i = 0; i < ntests; i++) {
    if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
      continue;
    fprintf(stderr, "-- %s\n", tests[i].name);
    tests[i].fn();
    remove_dirs();
    ran++;
  }
  if (ran == 0) {
    fprintf(stderr, "check: no test named %s\n", argc > 1 ? argv[1] : "");
    return 1;
  }
  return 0;
}
