/* oom.c - the allocator's wrapped entry points (oom.h). */
#include "oom.h"

#include "check.h"

#include "json.h"

#include <execinfo.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* Per thread: only the allocations of the thread that armed it fail (a
 * store's own threads, e.g. its checkpoints, go on as usual). */
static _Thread_local long fail_at; /* the allocation that fails, from 1 */
static _Thread_local bool sticky;  /* and every one after it */
static _Thread_local long made;    /* allocations since fail_at was set */
static _Thread_local bool failed;  /* one failed since */

static _Thread_local int held; /* oom_hold's depth */

static bool fail_now(void)
{
  if (fail_at == 0 || held > 0)
    return false;
  if (++made != fail_at && !(sticky && made > fail_at))
    return false;
  failed = true;
  if (getenv("OOM_TRACE") != NULL) { /* where each failure is injected */
    void *at[24];
    int n = backtrace(at, 24);
    fprintf(stderr, "oom: allocation %ld fails at\n", made);
    backtrace_symbols_fd(at, n, STDERR_FILENO);
  }
  return true;
}

void *__wrap_malloc(size_t n)
{
  return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
  return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
  return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
  return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
  return fail_now() ? NULL : __real_strndup(s, n);
}

/* cJSON's allocations go through the wrapped malloc too (its shared
 * library's own calls would not), watched as the hub watches them
 * (json_memory_watch, whose malloc is the wrapped one here): a tree, a
 * parse or a print that runs out of memory fails where the project's
 * code relies on it. */
__attribute__((constructor)) static void oom_cjson_hooks(void)
{
  json_memory_watch();
}

void oom_arm(long n)
{
  json_memory_reset(); /* a run's cJSON failures are its own */
  fail_at = n;
  sticky = false;
  made = 0;
  failed = false;
}

void oom_arm_sticky(long n)
{
  oom_arm(n);
  sticky = true;
}

void oom_disarm(void)
{
  fail_at = 0;
}

void oom_restart(void)
{
  made = 0;
}

void oom_hold(bool on)
{
  held += on ? 1 : -1;
  CHECK(held >= 0);
}

bool oom_failed(void)
{
  return failed;
}

void oom_check_runs(long n)
{
  CHECK(n < 100000);
}
