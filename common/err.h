/*
 * err.h - error codes and human messages.
 *
 * Every function that can fail returns 0 or a negative code from the table
 * below (libuv style). A `struct sb_err *err` (may be NULL) receives a message
 * for people that says what was wrong and with which input; it is untouched
 * if no error occurred (git's strbuf convention). Foreign results (SQLite,
 * errno) are translated into these codes at the edge of the module that
 * calls them.
 */
#ifndef SAMBANG_ERR_H
#define SAMBANG_ERR_H

#include "compat.h"

/* X(NAME, number, default message) */
#define SB_ERR_MAP(X)                                                          \
  X(NOMEM, -1, "out of memory")                                                \
  X(INVAL, -2, "invalid argument")                                             \
  X(JSON, -3, "invalid JSON")                                                  \
  X(UTF8, -4, "invalid UTF-8")                                                 \
  X(TOOBIG, -5, "too large")                                                   \
  X(SCHEMA, -6, "does not match the schema")                                   \
  X(NOTFOUND, -7, "not found")                                                 \
  X(EXISTS, -8, "already exists")                                              \
  X(BUSY, -9, "store is locked by another writer")                             \
  X(READONLY, -10, "store is read-only")                                       \
  X(FULL, -11, "disk is full")                                                 \
  X(IO, -12, "I/O error")                                                      \
  X(NOTSTORE, -13, "not a sambang store")                                      \
  X(CORRUPT, -14, "store is corrupt")                                          \
  X(VERSION, -15, "store was made by a newer sambang")                         \
  X(CONFLICT, -16, "conflict")                                                 \
  X(AUTH, -17, "not authorised")                                               \
  X(PROTOCOL, -18, "protocol error")                                           \
  X(INTERNAL, -19, "internal error")                                           \
  X(NETWORK, -20, "the hub cannot be reached")                                 \
  X(UNSYNCED, -21, "synced, but records were refused or are still pending")

enum sb_code {
  SB_OK = 0,
#define SB_ERR_ENUM(name, num, msg) SB_E##name = (num),
  SB_ERR_MAP(SB_ERR_ENUM)
#undef SB_ERR_ENUM
};

#define SB_ERR_MSG_MAX 512

struct sb_err {
  int code;
  char msg[SB_ERR_MSG_MAX];
};

/* The default message of a code ("unknown error" for an unknown code), in
 * the user's language (i18n.h). */
const char *sb_err_str(int code);

/* The name of a code, e.g. "NOTFOUND" (for machine output). */
const char *sb_err_name(int code);

/* The code called name (sb_err_name's), or 0 if none is. */
int sb_err_named(const char *name);

/*
 * Records code and a printf-style message in *err (if err is not NULL) and
 * returns code, so callers can write `return sb_err_set(err, SB_EINVAL, ...)`.
 * A NULL fmt uses the default message. fmt is translated here (i18n.h):
 * pass a literal, which xgettext extracts.
 */
int sb_err_set(struct sb_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#ifdef __clang_analyzer__
/* scan-build cannot see across files that it returns code: without this,
 * every `return sb_err_set(err, rc, ...)` may read as a success to it. */
#define sb_err_set(err, code, ...)                                             \
  (sb_err_set((err), (code), __VA_ARGS__), (code))
#endif

/*
 * SB_ENOTFOUND with "COLLECTION/ID not found", made without a format or
 * the message catalogue: the answer of a hot lookup (a merge or a scope
 * lookup of a record the store does not hold, once per pushed or pulled
 * record), which callers nearly always take as an answer, not a failure.
 * The text stays English (for logs); a caller that shows it to a person
 * says it again in the person's language.
 */
int sb_err_not_found(struct sb_err *err, const char *collection,
                     const char *id);

/* The code for a failed file operation's errno (EACCES -> SB_EREADONLY...). */
int sb_err_from_errno(int e);

/* Prefixes an existing message with "prefix: " (if err is not NULL). */
void sb_err_prefix(struct sb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
