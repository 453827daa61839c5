/*
 * log.h - log lines on stderr for the daemons, journald-friendly.
 *
 * One line per event. When stderr goes to the journal ($JOURNAL_STREAM is
 * set, as systemd does), each line starts with the sd-daemon(3) priority
 * prefix ("<6>" for info) so journald files it at the right level;
 * otherwise lines start with the level name, for people reading a terminal.
 */
#ifndef SAMBANG_LOG_H
#define SAMBANG_LOG_H

#include "compat.h"

enum log_level { LOG_LEVEL_ERROR = 3, LOG_LEVEL_WARN = 4, LOG_LEVEL_INFO = 6 };

/* Writes one line (a newline is added) at level to stderr; every level is
 * written (the journal or the reader filters). Control bytes in the text
 * (a newline, ESC) are written as \xNN: a line is always one line. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
