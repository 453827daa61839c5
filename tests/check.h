/*
 * check.h - the small test harness (libuv's task.h in spirit).
 *
 * TEST(name) defines a test and registers it; checks are never compiled
 * out and abort with file:line and the failed expression. Each test
 * binary runs the test named by argv[1] (ctest registers one entry per
 * TEST, see tests/CMakeLists.txt), or every test when run without one.
 */
#ifndef SAMBANG_CHECK_H
#define SAMBANG_CHECK_H

#include "compat.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*check_fn)(void);
void check_register(const char *name, check_fn fn);

#define TEST(name)                                                             \
  static void test_##name(void);                                               \
  __attribute__((constructor)) static void register_##name(void)               \
  {                                                                            \
    check_register(#name, test_##name);                                        \
  }                                                                            \
  static void test_##name(void)

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#define CHECK_INT(a, op, b)                                                    \
  do {                                                                         \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);            \
    if (!(check_a_ op check_b_)) {                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s %s %s (%lld vs %lld)\n",        \
              __FILE__, __LINE__, #a, #op, #b, check_a_, check_b_);            \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    const char *check_a_ = (a), *check_b_ = (b);                               \
    if (check_a_ == NULL || check_b_ == NULL ||                                \
        strcmp(check_a_, check_b_) != 0) {                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" vs \"%s\")\n",    \
              __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",      \
              check_b_ ? check_b_ : "(null)");                                 \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* A fresh empty directory for this test: removed with what it holds once
 * the test passes, kept if it fails. */
const char *check_tmpdir(void);
/* The running test's own directory: one check_tmpdir, made on first use. */
const char *check_testdir(void);

#endif
