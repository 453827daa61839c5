/*
 * date.h - calendar dates as people type them.
 *
 * Stored dates are always YYYY-MM-DD (canonical, compared as text). Where
 * the CLI takes a date it also accepts DD/MM/YYYY (D/M/YYYY too), and the
 * words today / hari ini and yesterday / kemarin (any case), read in the
 * device's local time.
 */
#ifndef SAMBANG_DATE_H
#define SAMBANG_DATE_H

#include "compat.h"

#include <time.h>

/* Bytes of "YYYY-MM-DD" plus its NUL. */
#define DATE_SIZE 11

/* True if s is a valid calendar date YYYY-MM-DD (years 0001-9999,
 * Gregorian leap years), nothing before or after. */
bool date_valid(const char *s);

/*
 * Reads text (one of the forms above, spaces around it ignored) as a date
 * relative to now (local time) into out as YYYY-MM-DD. Returns 0, or
 * SB_EINVAL for anything else, including dates that do not exist
 * (31/02/2026, 2026-13-01); out is then "".
 */
int date_from_text(const char *text, time_t now, char out[DATE_SIZE]);

#endif
