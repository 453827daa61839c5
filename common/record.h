/*
 * record.h - the record model and the deterministic merge.
 *
 * A record is keyed by (collection, id). Its state is:
 *   - vv: the version vector, its whole causal history;
 *   - fields: name -> a set of entries (value, dot, timestamp). Normally one
 *     entry; several are siblings (concurrent writes), i.e. a conflict;
 *   - tombstones: the entries of deletes (dot, timestamp, no value).
 *
 * A local write on replica r takes dot (r, vv[r] + 1). A put replaces the
 * entries of the fields it sets (and drops tombstones: writing after a
 * delete revives the record). A delete drops every field entry and leaves
 * one tombstone. Every dot a state holds is covered by its vv.
 *
 * Merge of states A and B (common/DESIGN.md, "The merge"): per field, and
 * for the tombstone set, an entry survives if both hold it or if the other
 * side's vv does not cover its dot; vv becomes the pointwise max. This is
 * a join: commutative, associative and idempotent, so replicas that have
 * seen the same writes hold byte-identical states.
 *
 * A record is deleted when it has tombstones and no fields. Tombstones next
 * to fields mean an edit the deleter had not seen: the record stays alive
 * and is flagged as a conflict.
 *
 * Withdrawals: the dots of writes that left the record without consent (a
 * consent withdrawal or a delete of a collection with a consent field; the
 * writer adds them, record_withdraw), each with, per replica, the first of
 * that replica's own writes made while it held the withdrawal ("seen").
 * A personal value whose write had not seen a withdrawal is erased by it
 * (schema_normalise, common/DESIGN.md "Consent withdrawal wins"): kept in
 * the state, a withdrawal a re-consent has since covered still erases the
 * edits it never saw, in whatever order the states meet. A grow-only set:
 * merge is the union, seen the pointwise max.
 *
 * Entries are kept sorted (fields by name, entries by dot, withdrawals by
 * dot); all strings are owned by the record.
 */
#ifndef SAMBANG_RECORD_H
#define SAMBANG_RECORD_H

#include "compat.h"

#include "err.h"
#include "vv.h"

#include <cjson/cJSON.h>

/* Collection and field names: 1..64 of [A-Za-z0-9_-]. */
#define SB_NAME_MAX 64
/* Record ids: 1..128 printable ASCII characters other than space. */
#define SB_ID_MAX 128

/*
 * One write: a field value or, in a tombstone, a delete. Callers read its
 * members (never change or free them); it stays valid until the record
 * that holds it is next changed or released.
 */
struct entry {
  char *value; /* canonical JSON text; NULL in a tombstone */
  struct dot dot;
  uint64_t ts; /* HLC timestamp of the write */
};

/*
 * The members of struct field, and struct record's f, nf, tomb and ntomb,
 * are private to record.c (and record_merge.c): read fields and tombstones
 * through the functions below (record_nfields, record_field_at,
 * record_each_entry...). Callers may read a record's collection, id and vv
 * (through vv.h), never change them. struct record is defined here only
 * so that callers can hold one on the stack (record_init).
 */
struct field {
  char *name;
  struct entry *e; /* sorted by dot; n >= 1 */
  size_t n;
};

/* A write that left the record without consent (see above). */
struct withdrawal {
  struct dot dot;
  struct vv seen; /* replica -> its first write made holding this one */
};

struct record {
  char collection[SB_NAME_MAX + 1];
  char id[SB_ID_MAX + 1];
  struct vv vv;
  struct field *f; /* sorted by name */
  size_t nf;
  struct entry *tomb; /* sorted by dot */
  size_t ntomb;
  struct withdrawal *wd; /* sorted by dot */
  size_t nwd;
};

/* True if s is a well-formed collection or field name. */
bool record_name_valid(const char *s);

/* True if s is a well-formed record id. */
bool record_id_valid(const char *s);

/*
 * Sets up an empty record (no history) for (collection, id). Allocates
 * nothing; the caller checks the names with record_name_valid/record_id_valid.
 */
void record_init(struct record *r, const char *collection, const char *id);

/* Frees the contents; r is an empty record of the same key afterwards. */
void record_release(struct record *r);

/* r becomes a deep copy of src. On error r is empty. */
int record_copy(struct record *r, const struct record *src);

/*
 * A local write on `replica` at HLC time ts: sets every member of the JSON
 * object `fields` (its values are stored in canonical form: object keys
 * inside `fields` get sorted in place), leaves other fields as they are,
 * drops tombstones. Refuses a non-object, an empty object or a bad field
 * name with SB_EINVAL. On error r is unaltered.
 */
int record_put(struct record *r, const char *replica, uint64_t ts,
               cJSON *fields, struct sb_err *err);

/* A local delete on `replica` at ts. On error r is unaltered. */
int record_delete(struct record *r, const char *replica, uint64_t ts);

/* into = merge(into, from); both must have the same key. On error
 * (SB_ENOMEM) into is empty. */
int record_merge(struct record *into, const struct record *from);

/* How record_cut takes the entries of the state it cuts. */
struct record_cut_rules {
  /* True if the cut keeps entry e of field (NULL: a tombstone) of the
   * base, which the state's vv covers but the state does not hold. */
  bool (*keep)(const char *field, const struct entry *e, void *ctx);
  /* The copy of the state's entry e of field that the cut takes (e, or
   * an entry of the same dot from elsewhere), or NULL to leave it out. */
  const struct entry *(*vouch)(const char *field, const struct entry *e,
                               void *ctx);
  /* Whether the cut takes the state's withdrawal w (1) or leaves it out
   * (0), filling *seen (empty on entry) with the seen it takes; or an
   * error. */
  int (*withdrawal)(const struct withdrawal *w, struct vv *seen, void *ctx);
  void *ctx;
};

/*
 * out = the cut of state s against base: s as one more push is checked
 * against, so that s vouches only for what its author wrote. Its vv is
 * the join of both; its fields and tombstones are the base's entries
 * that s holds too (the base's copy), has not seen, or dropped where
 * rules->keep keeps them (no write of the author explains the drop), and
 * the copies rules->vouch gives of the entries only s holds; its
 * withdrawals are the base's and those of s rules->withdrawal takes. The
 * hub checks each of several states pushed together against the base
 * with the others' cuts (daemon/hub/hub_push_held.c). On error out is
 * empty.
 */
int record_cut(struct record *out, const struct record *base,
               const struct record *s, const struct record_cut_rules *rules);

/*
 * Drops every entry of field name (the vv still covers their dots, so a
 * merge with a state that holds them drops them there too: an erasure,
 * like a covering write). Returns the number of entries dropped.
 */
int record_drop_field(struct record *r, const char *name);

/*
 * Notes the local write r last took on replica (its newest dot) as a
 * withdrawal. Call it right after that record_put or record_delete. On
 * error r is unaltered.
 */
int record_withdraw(struct record *r, const char *replica);

/* The number of withdrawals r holds, and withdrawal k of them (dot order). */
size_t record_nwithdrawals(const struct record *r);
const struct withdrawal *record_withdrawal_at(const struct record *r, size_t k);

/* r's withdrawal of the write at dot d, or NULL. */
const struct withdrawal *record_withdrawal_of(const struct record *r,
                                              const struct dot *d);

/* True if a value written at dot d is erased by withdrawal w: d's writer
 * did not hold w when it wrote. */
bool record_withdrawal_erases(const struct withdrawal *w, const struct dot *d);

/* True if some withdrawal of r erases a value written at dot d. */
bool record_withdrawn(const struct record *r, const struct dot *d);

/*
 * Drops the entries of field name that a withdrawal of r erases (the vv
 * still covers their dots: an erasure, as record_drop_field). Returns the
 * number of entries dropped.
 */
int record_drop_withdrawn(struct record *r, const char *name);

/* The field called name, or NULL. */
const struct field *record_field(const struct record *r, const char *name);

/* The number of fields r holds (live values, siblings counted once). */
size_t record_nfields(const struct record *r);

/* Field i of r, 0 <= i < record_nfields(r), in name order. */
const struct field *record_field_at(const struct record *r, size_t i);

/* The name of field f (owned by the record). */
const char *record_field_name(const struct field *f);

/* The number of entries of f: 1, or more when f holds siblings. */
size_t record_field_nentries(const struct field *f);

/* Entry k of f, 0 <= k < record_field_nentries(f), in dot order. */
const struct entry *record_field_entry(const struct field *f, size_t k);

/* The entry reads return: latest timestamp, then greatest dot. */
const struct entry *record_field_winner(const struct field *f);

/* The number of tombstones (deletes) r holds. */
size_t record_ntombs(const struct record *r);

/* Tombstone k of r, 0 <= k < record_ntombs(r), in dot order. */
const struct entry *record_tomb_at(const struct record *r, size_t k);

/*
 * Called for one entry: field is the field's name, or NULL for a
 * tombstone. A non-zero return stops the walk.
 */
typedef int (*record_entry_fn)(const char *field, const struct entry *e,
                               void *ctx);

/*
 * Calls fn on every field entry (fields by name, entries by dot), then on
 * every tombstone. Returns 0, or the first non-zero value fn returned.
 */
int record_each_entry(const struct record *r, record_entry_fn fn, void *ctx);

/* The greatest timestamp of any entry or tombstone of r; 0 if none. */
uint64_t record_max_ts(const struct record *r);

/* True if the record has tombstones and no fields. */
bool record_deleted(const struct record *r);

/* True if any field has siblings, or a delete met an unseen edit. */
bool record_conflicted(const struct record *r);

/* True if r has tombstones next to fields: a delete met an unseen edit. */
bool record_delete_conflict(const struct record *r);

/* True if r has no history at all (never written or merged). */
bool record_empty(const struct record *r);

/* A new JSON object of field -> winner value, or NULL on ENOMEM. */
cJSON *record_values(const struct record *r);

/*
 * The full state as a new JSON object with sorted keys:
 * {"collection","deleted","fields":{name:[{"dot":[r,c],"ts":t,"value":v}]},
 *  "id","tombstones":[{"dot":[r,c],"ts":t}],"vv":{...}}, and
 *  "withdrawals":[{"dot":[r,c],"seen":{...}}] after vv when r holds any.
 *  NULL on ENOMEM.
 */
cJSON *record_to_json(const struct record *r);

/* Canonical text of record_to_json (the export line), every entry
 * spelled out (the full form); malloc'd or NULL. */
char *record_encode(const struct record *r);

/*
 * The compact canonical text: what stores hold and the wire carries to
 * peers that read it (proto/PROTOCOL.md, "The compact form"). The
 * single-entry fields that share the state's most common (dot, ts) are
 * written once as "at":[replica,counter,ts] and their values under
 * "values"; every other field is in "fields" as in the full form. The
 * choice is a function of the state, so equal states give equal texts;
 * a state with no single-entry field is written in the full form.
 * record_decode reads both forms. malloc'd or NULL.
 */
char *record_encode_compact(const struct record *r);

/*
 * Size limits are on the full form, whatever form is stored: text_len if
 * the text at hand (either form) is over max, else the length of r's
 * full form (record_encode) if that is, else 0; SIZE_MAX if out of
 * memory. r is encoded only when text_len is within an entry's dot and
 * time per field of max.
 */
size_t record_full_over(const struct record *r, size_t text_len, size_t max);

/* True if text is a state in the compact form (its keys are sorted:
 * "at" comes first). */
bool record_text_compact(const char *text, size_t len);

/*
 * *full = the full form of the compact state text (malloc'd), or NULL if
 * text is not in the compact form. 0, SB_ENOMEM, or the error of a text
 * that does not read (messages in err, which may be NULL).
 */
int record_text_full(const char *text, size_t len, char **full,
                     struct sb_err *err);

/*
 * The canonical text of r's conflict, malloc'd or NULL on ENOMEM:
 * {"collection","delete_conflict":bool,"fields":{name:[entries]},"id",
 *  "tombstones":[entries]}, with only the fields that hold siblings and the
 * tombstones only in a delete/edit conflict (entries as in record_encode).
 */
char *record_encode_conflict(const struct record *r);

/*
 * Reads a state made by record_to_json into r (released first; the key is
 * taken from the JSON). Strict: refuses wrong types, bad names and ids,
 * unsorted or duplicate entries, dots not covered by vv, with SB_EINVAL and
 * a message naming the bad part. On error r is empty.
 */
int record_from_json(struct record *r, const cJSON *json, struct sb_err *err);

/*
 * record_from_json on text[0..len), read without a tree (record_sax.h):
 * what record_decode_tree (json_parse + record_from_json) reads, with the
 * same refusals.
 */
int record_decode(struct record *r, const char *text, size_t len,
                  struct sb_err *err);

/* True if r is the record (collection, id): a state read from a row keyed
 * so must be (a row holding another's state is damage). */
bool record_is(const struct record *r, const char *collection, const char *id);

/* record_decode through a cJSON tree (the fuzzer and benchmark compare). */
int record_decode_tree(struct record *r, const char *text, size_t len,
                       struct sb_err *err);

#endif
