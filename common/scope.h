/*
 * scope.h - which devices hold a record: the one scope rule, driven by the
 * schema (a collection's "scope" key, schema.h).
 *
 * A device is enrolled with a scope: a set of parts (values of the
 * schema's scope fields, e.g. kecamatan), or "all". A record's scope parts
 * are the values of its collection's scope field (every sibling, so a
 * conflicted kecamatan puts it in both), or, for a collection that
 * follows a ref, the parts of the records that ref names. A record of an
 * unscoped collection is in every scope ("all"); a deleted record, or one
 * whose followed record is unknown, is in none. A device holds a record
 * when their parts meet.
 */
#ifndef SAMBANG_SCOPE_H
#define SAMBANG_SCOPE_H

#include "compat.h"

#include "err.h"
#include "record.h"
#include "schema.h"
#include "strv.h"

/* Longest scope text ("Setu,Pamulang,..."). */
#define SCOPE_TEXT_MAX 1024
/* How many refs a follows chain may go through. */
#define SCOPE_DEPTH_MAX 4

/* A set of scope parts, sorted, no duplicates; all: every part. */
struct scope_parts {
  char **v;
  size_t n;
  bool all;
};

void scope_parts_init(struct scope_parts *p);
void scope_parts_release(struct scope_parts *p);

/* Adds part (a copy) to p unless it is there; 0 or SB_ENOMEM. */
int scope_parts_add(struct scope_parts *p, const char *part);

/* True if a device of scope dev holds a record of parts rec. */
bool scope_meets(const struct scope_parts *dev, const struct scope_parts *rec);

/* True if a and b hold the same parts. */
bool scope_equal(const struct scope_parts *a, const struct scope_parts *b);

/*
 * Reads a device scope: "all", or parts separated by commas ("Setu,
 * Pamulang"), each a value of a scope field of schema s (matched ignoring
 * case, stored in the schema's spelling). SB_EINVAL naming the bad part
 * and the allowed values; empty lists are refused.
 */
int scope_parse(const struct schema *s, const char *text,
                struct scope_parts *out, struct sb_err *err);

/*
 * Reads scope text as scope_text wrote it (no schema check: what was
 * checked when it was stored). SB_EINVAL if malformed.
 */
int scope_read(const char *text, struct scope_parts *out, struct sb_err *err);

/* p as text ("all" or "Pamulang,Setu") into out; false if it is longer
 * than size. */
bool scope_text(const struct scope_parts *p, char *out, size_t size);

/* parts[0..n) as a JSON array of strings (malloc'd: what the stores'
 * scoped feed queries take), or NULL if out of memory. */
char *scope_parts_json(const char *const *parts, size_t n);

/*
 * Loads the state of (collection, id) into r (released first): 0,
 * SB_ENOTFOUND, or an error. A store that keeps each record's scope parts
 * beside it (a hub's) may instead put them in *known and return
 * SCOPE_KNOWN: they are what scope_of would find from the state, and
 * reading them costs no decoding.
 */
#define SCOPE_KNOWN 1
typedef int (*scope_lookup_fn)(void *ctx, const char *collection,
                               const char *id, struct record *r,
                               struct scope_parts *known, struct sb_err *err);

/* False if records of collection are in every scope (it names no scope
 * field and follows no ref, or the schema lacks it): their parts need no
 * state. */
bool scope_collection_scoped(const struct schema *s, const char *collection);

/*
 * The scope parts of record state r under schema s into out (released
 * first): a record of a collection that follows a ref gets the parts of
 * the records it refers to, loaded with lookup.
 */
int scope_of(const struct schema *s, const struct record *r,
             scope_lookup_fn lookup, void *ctx, struct scope_parts *out,
             struct sb_err *err);

/* The i-th collection of s (i = 0, 1, ...; NULL past the last) whose
 * records follow a record of collection `of` (its ref field is
 * scope_follows). */
const struct schema_collection *scope_follower(const struct schema *s,
                                               const char *of, size_t i);

/*
 * The ids of the records of one collection that follow any of the records
 * of[0..n_of) (sorted by strcmp) through their ref field `field` (those
 * beneficiaries' visits): set field, of and n_of, pass
 * scope_followers_visit to a walk of the collection with the struct as
 * its context, then read ids.v[0..ids.n) and scope_followers_release. A
 * visit that runs out of memory sets nomem and returns 1 (stop the walk).
 */
struct scope_followers {
  const char *field;
  const char *const *of;
  size_t n_of;
  struct strv ids;
  bool nomem;
};
int scope_followers_visit(const struct record *r, uint64_t seq, void *ctx);
void scope_followers_release(struct scope_followers *f);

/*
 * Calls note(ctx, ref, r->collection, r->id) for every record id that r's
 * scope follows (the valid ids among the values of its collection's
 * scope_follows field, every entry, siblings too; none if the collection
 * follows nothing): what a store keeps so that finding a record's
 * followers needs no scan (store_ref_add). 0, or the first non-zero
 * return of note (which sets err), or SB_ENOMEM (set in err).
 */
typedef int (*scope_note_fn)(void *ctx, const char *ref, const char *collection,
                             const char *id);
int scope_refs(const struct schema *s, const struct record *r,
               scope_note_fn note, void *ctx, struct sb_err *err);

#endif
