/*
 * record_int.h - what record.c shares with record_merge.c and nothing
 * else: the record's private helpers. Include it only from record*.c.
 */
#ifndef SAMBANG_RECORD_INT_H
#define SAMBANG_RECORD_INT_H

#include "record.h"

/* Frees e[0..n) with their values, and e. */
void record_entries_free(struct entry *e, size_t n);

/* Frees f[0..n) with their names and entries, and f. */
void record_fields_free(struct field *f, size_t n);

#endif
