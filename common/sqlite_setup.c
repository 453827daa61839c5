/*
 * sqlite_setup.c - process-wide SQLite settings.
 *
 * Memory statistics off: with them on (the library's default), every
 * allocation and free SQLite makes takes a global mutex to count bytes,
 * about 2% of a hub's push and of a device's pull (callgrind), and
 * nothing here reads the counts (no sqlite3_memory_used, no heap limit).
 * sqlite3_config works only before SQLite initializes, which the first
 * open does: a call after that (someone else's open came first) fails
 * harmlessly and the counts stay on.
 */
#include "sqlite_setup.h"

#include <pthread.h>
#include <sqlite3.h>

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static void setup(void)
{
  (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void sqlite_setup(void)
{
  pthread_once(&setup_once, setup);
}
