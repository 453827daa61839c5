/*
 * record_sax.h - a record state read straight from json_strict_parse's
 * events into struct record, with no JSON tree: what record_from_json
 * reads from json_parse's tree, with the same refusals (wrong types, bad
 * names, ids and replica ids, duplicate keys, unsorted or duplicate
 * entries, dots not covered by the vv, "deleted" not matching) and the
 * same canonical value texts (jcanon.h). The caller runs the strict pass
 * and checks each event with jcanon_token_ok first.
 */
#ifndef SAMBANG_RECORD_SAX_H
#define SAMBANG_RECORD_SAX_H

#include "compat.h"

#include "json_strict.h"
#include "record.h"

struct record_sax;

/* A new reader (NULL on ENOMEM); record_sax_free releases it. */
struct record_sax *record_sax_new(void);
void record_sax_free(struct record_sax *d);

/* Starts reading a state into r (released and emptied first); the next
 * event fed is the state's first. */
void record_sax_begin(struct record_sax *d, struct record *r);

/*
 * Feeds one event: 1 when it was the state's last, 0 to go on. A refusal
 * is kept (the rest of the state is consumed) for record_sax_end.
 */
int record_sax_feed(struct record_sax *d, const struct json_event *e);

/*
 * Marks the state refused from outside (e.g. an event cJSON would not
 * read) with rc and msg, if it was not refused already.
 */
void record_sax_refuse(struct record_sax *d, int rc, const char *msg);

/*
 * After the state's last event: 0 if r holds it, or record_from_json's
 * code (SB_EINVAL, SB_EJSON, SB_ENOMEM) with err set; r is empty then.
 */
int record_sax_end(struct record_sax *d, struct sb_err *err);

/*
 * record_decode without a tree: the state text[0..len) (UTF-8 and NUL
 * checks, the strict pass, then the events into r). Refuses what
 * record_decode_tree refuses, with the same codes (SB_EUTF8, SB_EJSON,
 * SB_EINVAL, SB_ENOMEM); r is empty on error.
 */
int record_sax_decode(struct record *r, const char *text, size_t len,
                      struct sb_err *err);

#endif
