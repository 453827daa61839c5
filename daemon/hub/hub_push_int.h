/*
 * hub_push_int.h - private to hub_push.c and hub_push_entries.c: one
 * record's push and the entry-level checks.
 */
#ifndef SAMBANG_HUB_PUSH_INT_H
#define SAMBANG_HUB_PUSH_INT_H

#include "hub_scope.h"
#include "hub_store.h"
#include "proto.h"
#include "record.h"
#include "schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One record's push: the hooks' and the io's context. */
struct push_one {
  const struct hub_store_ops *ops;
  void *be;
  const struct schema *schema;
  const char *pusher;
  uint64_t max_ts;
  const struct record *rec; /* the pushed state */
  const char *sent;         /* its encoding, if made already (or NULL) */
  bool values_ok;           /* its values all pass the schema (known) */
  size_t i;                 /* its index in the request */
  struct push_result *res;
  struct hub_push_stats *stats;
  const struct record *cur;      /* during check_future */
  uint64_t newest;               /* the newest timestamp rec adds */
  bool was_conflicted;           /* the hub's state before */
  bool is_conflicted;            /* the state about to be saved */
  const struct scope_parts *dev; /* the pusher's scope; NULL: all */
  bool ledger;                   /* the hub purged some id (hub_purge.h) */
  struct scope_parts was;        /* the hub's state's parts before */
  char what[400];                /* names what a check found */
};

/* What rec holds of the pusher's new writes (dots above cur's vv). */
struct own_new {
  uint64_t base; /* cur's vv entry of the pusher */
  bool any;      /* rec holds a new entry of the pusher */
  bool tomb;     /* ...a new tombstone */
  bool vanished; /* a new dot of the pusher of which rec holds nothing */
};

/*
 * false, with p->what naming it, if rec holds history of a replica other
 * than the pusher that cur (the hub's state) has not seen.
 */
bool hub_push_entries_forged_vv(struct push_one *p, const struct record *cur);

/*
 * The entry-level checks of rec against cur: 0 (fine), a PROTO_ERR code
 * with p->what naming the entry, or a negative SB_E code.
 */
int hub_push_entries_check(struct push_one *p, const struct record *cur);

/* True if d is a new dot of the pusher (above o->base). */
bool hub_push_entries_own_new_dot(const struct push_one *p,
                                  const struct own_new *o, const struct dot *d);

#endif
