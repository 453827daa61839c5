/*
 * record_int.h - what record.c shares with record_merge.c and nothing
 * else: the record's private helpers. Include it only from record*.c.
 */
#ifndef SAMBANG_RECORD_INT_H
#define SAMBANG_RECORD_INT_H

#include "buf.h"
#include "record.h"

/* The compact form's refusals, the same from both decoders. */
#define AT_SHAPE "\"at\" must be [replica, counter, ts]"
#define AT_VALUES_TOGETHER "\"at\" and \"values\" come together"
#define VALUES_EMPTY "\"values\" must name a field"
#define AT_BOTH_FMT "field \"%s\" is in both \"fields\" and \"values\""

/* qsort's order of fields: by name. */
int record_field_cmp(const void *a, const void *b);

/* Frees e[0..n) with their values, and e. */
void record_entries_free(struct entry *e, size_t n);

/* Frees f[0..n) with their names and entries, and f. */
void record_fields_free(struct field *f, size_t n);

/* Reads dot, [replica, counter], into d; messages start with where. */
int record_dot_from_json(struct dot *d, const cJSON *dot, const char *where,
                         struct sb_err *err);

/* Appends vv as a JSON object {"replica":counter,...} (record.c). */
void record_vv_encode(struct buf *b, const struct vv *vv);

/* --- record_withdraw.c --- */

/* Frees w[0..n) and w. */
void record_withdrawals_free(struct withdrawal *w, size_t n);
/* *dst = a deep copy of src[0..n) (NULL if n is 0). */
int record_withdrawals_copy(struct withdrawal **dst,
                            const struct withdrawal *src, size_t n);
/* A local write at dot d on a record holding w[0..n): each is seen by d's
 * replica from d on (unless it was already). */
int record_withdrawals_note(struct withdrawal *w, size_t n,
                            const struct dot *d);
/* *out = the union of a and b (seen: pointwise max). */
int record_withdrawals_merge(const struct withdrawal *a, size_t na,
                             const struct withdrawal *b, size_t nb,
                             struct withdrawal **out, size_t *nout);
/* Appends ,"withdrawals":[...] if r holds any. */
void record_withdrawals_encode(struct buf *b, const struct record *r);
/* The decoders' checks of withdrawal k of r (read after r's vv): sorted
 * after k - 1, covered by the vv, seen naming its own dot, seen covered. */
int record_withdrawal_check(const struct record *r, size_t k,
                            struct sb_err *err);
/* Reads a "withdrawals" array into r (whose vv is read; r->wd empty). */
int record_withdrawals_from_json(struct record *r, const cJSON *arr,
                                 struct sb_err *err);

#endif
