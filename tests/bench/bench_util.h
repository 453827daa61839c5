/*
 * bench_util.h - what the benchmarks share: a monotonic clock, a seeded
 * PRNG, the visit rows they all measure (~400 bytes of fields) and the
 * plain-SQLite floor those rows are compared against.
 */
#ifndef SAMBANG_BENCH_UTIL_H
#define SAMBANG_BENCH_UTIL_H

#include "compat.h"

/* Seconds on the monotonic clock. */
double bench_now_s(void);

/* xorshift64; bench_rng_reset() restarts the fixed sequence. */
uint64_t bench_rng(void);
void bench_rng_reset(void);

/* Writes the fields object (JSON) of the next visit into fields[flen]. */
void bench_visit_fields(char *fields, size_t flen);

/* Writes n visit rows as `sambang import` JSON Lines to path (restarting
 * the PRNG, so they are the floor's rows); exits on failure. */
void bench_visits_jsonl(const char *path, size_t n);

/*
 * A push request body of n new visits written by replica at timestamps
 * ts, ts+1, ...: ids are prefix followed by first, first+1, ... as %08zu.
 * The states in the compact form, as a device sends them to a hub that
 * reads it (BENCH_PUSH_TYPE). Exits on failure; the caller frees the body.
 */
char *bench_push_body(const char *replica, const char *prefix, size_t first,
                      size_t n, uint64_t ts);
#define BENCH_PUSH_TYPE "Content-Type: " PROTO_COMPACT_TYPE

/*
 * The floor: n visit rows ("visit-%08zu", fields) inserted by plain SQLite
 * (prepared statement, one transaction, WAL, synchronous=FULL like the
 * store) into a new database at path. Restarts the PRNG, so the rows are
 * the same as a caller's after bench_rng_reset(). Returns the seconds the
 * transaction took, or -1 after printing why on stderr.
 */
double bench_floor_insert(const char *path, size_t n);

/*
 * A second floor: the rows of the records table of the store at path
 * (a device's or a hub's: the states as kept, with their version
 * vectors), read into memory, then inserted by plain SQLite into a table
 * of the same schema (its indexes too) in DIR, in one transaction, WAL,
 * synchronous=FULL. Returns rows per second, or -1 (said on stderr).
 */
double bench_floor_rows(const char *store, const char *dir);

#endif
