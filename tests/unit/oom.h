/*
 * oom.h - allocation failures on demand, for the tests of what code does
 * when memory runs out (test_*_oom.c).
 *
 * A test binary linked with oom.c and --wrap for the allocator's entry
 * points (tests/CMakeLists.txt) sends the project's own calls to malloc,
 * calloc, realloc, strdup and strndup through here (common/ and proto/
 * are linked in statically; cJSON's, yajl's and zlib's calls inside their
 * shared libraries are not). oom_arm(n) makes the n-th allocation from
 * then on fail, in the calling thread only (a store's own threads go on
 * as usual); OOM_EACH_FAILURE runs a test's body with n = 1, 2, ...
 * until a run makes no allocation fail (the body then clears more_).
 * With OOM_TRACE set in the environment, each injected failure prints a
 * backtrace on stderr (the last one before a test's CHECK fails is
 * usually the allocation whose failure the code let pass).
 */
#ifndef SAMBANG_TEST_OOM_H
#define SAMBANG_TEST_OOM_H

#include "compat.h"

#include <stdbool.h>

/* From now on, the n-th allocation fails (n >= 1), once. */
void oom_arm(long n);

/* From now on, the n-th allocation and every one after it fail: memory
 * that stays short, so an operation that tries again fails again. */
void oom_arm_sticky(long n);

/* Counts allocations from 1 again (a fixture's store calls it as a
 * transaction begins): with oom_arm_sticky, a try after a failed one
 * gets as far as the one before, and fails at the same allocation. */
void oom_restart(void);

/* No more failures; oom_failed() still tells about the run that ended. */
void oom_disarm(void);

/* While held (calls nest), no allocation fails or counts: a fixture's
 * own allocations (hub_mem.c's store) are not the code under test. */
void oom_hold(bool on);

/* True if an allocation failed since the last oom_arm. */
bool oom_failed(void);

/* Aborts the test if a body ran n times: an operation that never ends
 * without failing an allocation. */
void oom_check_runs(long n);

#define OOM_EACH_FAILURE(n)                                                    \
  for (long n = 1, more_ = 1; more_ && (oom_check_runs(n), 1); n++)

#endif
