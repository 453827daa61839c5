/*
 * sync_fixture.h - what the sync engine's tests of one step share
 * (test_sync_*_oom.c): a copy of a prepared store and a sync engine on
 * it, with a loop of its own and a hub address nothing listens on (the
 * step under test makes no request). Built from sync_fixture.c.
 */
#ifndef SAMBANG_TEST_SYNC_FIXTURE_H
#define SAMBANG_TEST_SYNC_FIXTURE_H

#include "check.h"

#include "store.h"
#include "sync_int.h"

#include <uv.h>

/* The test directory's name.db, in a static buffer (one at a time). */
const char *sync_fixture_path(const char *name);

/* A byte copy of the store named from as the store named to. */
void sync_fixture_copy(const char *from, const char *to);

struct sync_fixture {
  uv_loop_t loop;
  struct store *store;
  struct sync *sync;
};

/* Opens the store at path and a sync engine on it. */
void sync_fixture_open(struct sync_fixture *f, const char *path);

/* Stops the engine, runs its loop out and closes the store. */
void sync_fixture_close(struct sync_fixture *f);

#endif
