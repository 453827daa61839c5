#ifndef SAMBANG_VALUE_VIEW_H
#define SAMBANG_VALUE_VIEW_H

/*
 * Values as people read them, on a terminal: the CLI's `show`, `list` and
 * `conflicts`, and the hub's `conflicts --values`. Values come from other
 * devices, so control characters are shown escaped: a synced value can
 * never break a line or drive the terminal.
 */
#include "buf.h"
#include "record.h"

#include <stdbool.h>
#include <stdint.h>

/* Appends s with control characters escaped (\n, \t, \xNN). */
void view_escape(struct buf *b, const char *s);
/* JSON text as a terminal may show it: C1 controls and bidirectional
 * overrides inside its strings as \uXXXX escapes (the same JSON value;
 * utf8_hidden_control). */
void view_json_text(struct buf *b, const char *json);

/*
 * Appends a canonical JSON value as people read it: text as is, yes/no,
 * list items joined by ", ", null as nothing.
 */
void view_value(struct buf *b, const char *text);

/* An HLC timestamp as local "YYYY-MM-DD HH:MM:SS" ("?" if it has none). */
void view_time(uint64_t ts, char *out, size_t size);

/* Who wrote at replica, for people: a device's name, or NULL (the replica
 * id is shown). */
typedef const char *(*view_who_fn)(const char *replica, void *ctx);

/*
 * Prints record r in conflict as `conflicts` lists it: COLLECTION<TAB>ID<TAB>
 * the fields holding several values, comma-separated, and "(deleted)"
 * when a delete met an edit; with values, beneath it each field's
 * competing values, one line each: "  FIELD [N] VALUE  (device WHO,
 * TIME)", N numbering them as `resolve --pick N` takes them (the record's
 * entry order, the same on every replica), the value readers see now
 * marked "(shown)". who may be NULL. The deletes' lines are the caller's
 * (what to do about one differs on a device and at the hub).
 */
void view_conflict_lines(const struct record *r, bool values, view_who_fn who,
                         void *ctx);

#endif
