/*
 * store_fixture.h - what the store tests (test_store_*.c) share: store
 * files in a test directory, raw file and SQL access behind the store's
 * back, and one-line writes and checks. Built from store_fixture.c.
 */
#ifndef SAMBANG_TEST_STORE_FIXTURE_H
#define SAMBANG_TEST_STORE_FIXTURE_H

#include "check.h"

#include "hlc.h"
#include "json.h"
#include "record.h"
#include "store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA "{\"collections\":{}}"
#define REPLICA "00000000000000aa"
#define OTHER "00000000000000bb"

/* Collects "collection/id@seq " lines. */
struct walk {
  char text[1024];
  int stop_at; /* return 7 at this call (1-based), 0: never */
  int calls;
};

/* dir/name in a static buffer (one at a time). */
const char *path_in(const char *dir, const char *name);

bool exists(const char *path, const char *suffix);

/* Removes a store file and its WAL companions. */
void remove_store(const char *path);

void write_file(const char *path, const void *data, size_t n);

/* The whole file, malloc'd; *n its size. */
char *read_file(const char *path, size_t *n);

/* Runs SQL on a raw connection to path (no sambang code involved). */
void raw_exec(const char *path, const char *sql);

struct store *create_store(const char *path);

struct store *open_store(const char *path);

/* r = (collection, id) after a local write of the JSON object fields. */
void make(struct record *r, const char *collection, const char *id,
          const char *replica, uint64_t ts, const char *fields);

void put(struct store *s, const struct record *r);

/* Writes (collection, id) with one field in its own transaction. */
void put1(struct store *s, const char *collection, const char *id,
          const char *fields);

/* Checks that the stored state of r's key is byte-equal to r's. */
void check_stored(struct store *s, const struct record *r);

uint64_t last_seq(struct store *s);

#endif
