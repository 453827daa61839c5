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
 *
 * Statement journals in memory up to 256 KiB, not SQLite's 64 KiB: a
 * statement that may fire a trigger (a device's merge of a pulled state
 * into a row it holds, store.c's pending triggers) keeps a copy of every
 * page it changes, the row's and its indexes', four to six 16 KiB pages,
 * and past the threshold SQLite writes them to a temporary file: a pull
 * of 1,000 changed records wrote ~4,300 pages there. A statement that
 * changes more (a delete of many rows) still spills.
 */
#include "sqlite_setup.h"

#include <pthread.h>
#include <sqlite3.h>

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static void setup(void)
{
  (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 256 * 1024);
}

void sqlite_setup(void)
{
  pthread_once(&setup_once, setup);
}
