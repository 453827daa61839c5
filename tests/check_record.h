/*
 * check_record.h - records written in one line, for the tests: a local
 * write given as JSON text, checked (any failure aborts the test).
 */
#ifndef SAMBANG_CHECK_RECORD_H
#define SAMBANG_CHECK_RECORD_H

#include "compat.h"

#include "record.h"

/* replica's local write of the JSON object json on r at HLC time ts
 * (record_put). */
void check_put(struct record *r, const char *replica, uint64_t ts,
               const char *json);

/* r = a new record (collection, id) after replica's write of json at ts. */
void check_record(struct record *r, const char *collection, const char *id,
                  const char *replica, uint64_t ts, const char *json);

#endif
