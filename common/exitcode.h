/*
 * exitcode.h - the exit codes of sambang, sambang-hub and sambangd: one
 * table, and one mapping from an SB_E* code (err.h) to an exit code.
 *
 * Scripts rely on these numbers and meanings (README.md, "Exit codes",
 * and each program's --help): never renumber one.
 */
#ifndef SAMBANG_EXITCODE_H
#define SAMBANG_EXITCODE_H

/* X(name, value, meaning) */
#define EXITCODE_MAP(X)                                                        \
  X(OK, 0, "success")                                                          \
  X(FAILURE, 1, "other failure")                                               \
  X(USAGE, 2, "usage: unknown command or option, wrong arguments")             \
  X(NOTFOUND, 3, "not found (the record, or the store)")                       \
  X(INVALID, 4,                                                                \
    "invalid input: bad JSON or UTF-8, too large, not what the schema "        \
    "allows")                                                                  \
  X(LOCKED, 5, "the store is locked by another writer")                        \
  X(UNUSABLE, 6,                                                               \
    "the store is unusable: not a sambang store, corrupt, newer, read-only, "  \
    "disk full")                                                               \
  X(UNSYNCED, 7,                                                               \
    "synced, but some records were refused by the hub or are still pending")

enum exitcode {
#define EXITCODE_ENUM(name, value, meaning) EXITCODE_##name = value,
  EXITCODE_MAP(EXITCODE_ENUM)
#undef EXITCODE_ENUM
};

/*
 * X(sb_code, exit name): the error codes that have an exit code of their
 * own; every other error exits EXITCODE_FAILURE.
 */
#define EXITCODE_ERR_MAP(X)                                                    \
  X(SB_ENOTFOUND, NOTFOUND)                                                    \
  X(SB_EINVAL, INVALID)                                                        \
  X(SB_EJSON, INVALID)                                                         \
  X(SB_EUTF8, INVALID)                                                         \
  X(SB_ETOOBIG, INVALID)                                                       \
  X(SB_ESCHEMA, INVALID)                                                       \
  X(SB_EBUSY, LOCKED)                                                          \
  X(SB_ENOTSTORE, UNUSABLE)                                                    \
  X(SB_ECORRUPT, UNUSABLE)                                                     \
  X(SB_EVERSION, UNUSABLE)                                                     \
  X(SB_EREADONLY, UNUSABLE)                                                    \
  X(SB_EFULL, UNUSABLE)                                                        \
  X(SB_EIO, UNUSABLE)                                                          \
  X(SB_EUNSYNCED, UNSYNCED)

/* The exit code for code: 0 for 0, EXITCODE_ERR_MAP's for an SB_E* code
 * listed there, EXITCODE_FAILURE for any other. */
int exitcode_from_err(int code);

/* The meaning of exit code status (static text), or NULL if unknown. */
const char *exitcode_meaning(int status);

#endif
