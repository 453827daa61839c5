/*
 * hub_cmd.h - private to the sambang-hub CLI: the helpers its commands
 * share (hub_cmd.c) and the commands that live in their own files.
 */
#ifndef SAMBANG_HUB_CMD_H
#define SAMBANG_HUB_CMD_H

#include "err.h"
#include "i18n.h"
#include "hub_store.h"

#include <stdbool.h>

/* Prints the error and returns the exit code for rc. */
int hub_cmd_fail(int rc, const struct sb_err *err);

/* Prints "sambang-hub: " and the message, then usage; returns
 * EXITCODE_USAGE. */
int hub_cmd_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True for --help or -h. */
bool hub_cmd_is_help(const char *arg);

/* For command name, which takes no argument: *done false (go on) if argc
 * is 0; else *done and the exit code: usage printed for --help (0), an
 * argument refused (EXITCODE_USAGE). */
int hub_cmd_no_args(const char *name, const char *usage, int argc, char **argv,
                    bool *done);

/* Opens the store at db into *hs; on failure prints why and returns the
 * exit code. */
int hub_cmd_open_store(const char *db, struct hub_store **hs);

/* The commands: argc and argv are the arguments after the command's
 * name; each returns the exit code. */
int hub_cmd_device(const char *db, int argc, char **argv);
int hub_cmd_user(const char *db, int argc, char **argv);
int hub_cmd_serve(const char *db, int argc, char **argv);
int hub_cmd_purge(const char *db, int argc, char **argv);
int hub_cmd_compact(const char *db, int argc, char **argv);
int hub_cmd_restored(const char *db, int argc, char **argv);

/* `sambang-hub conflicts` (hub_cmd_conflicts.c). */
int hub_cmd_conflicts(const char *db, int argc, char **argv);

/* `sambang-hub held` (hub_cmd_held.c). */
int hub_cmd_held(const char *db, int argc, char **argv);

#endif
