/*
 * sqlite_setup.h - process-wide SQLite settings, made once before the
 * first connection opens.
 */
#ifndef SAMBANG_SQLITE_SETUP_H
#define SAMBANG_SQLITE_SETUP_H

/* Call before every sqlite3_open_v2 of ours; the first call does it. */
void sqlite_setup(void);

#endif
