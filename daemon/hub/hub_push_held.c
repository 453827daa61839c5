/*
 * hub_push_held.c - pushes that vouch for each other (daemon/hub/DESIGN.md,
 * "Restoring from a copy").
 *
 * A push may add only its pusher's own writes; one that carries a write
 * of another replica the hub never saw is refused (forged_dot). After the
 * hub is put back from a copy, that is also what two honest devices send
 * when each holds the other's write made after the copy: each push
 * carries a write only the other can vouch for. So a push refused
 * forged_dot is held aside, in the store's meta under
 * "held/<collection>/<id>/<replica>" = "<ms> <state>", and the next push
 * refused forged_dot for the same record is tried together with the held
 * pushes of the replicas whose writes it carries (and of theirs, in
 * turn). Each state of the set is checked, with every push check, against
 * the hub's state merged with the cuts of the others (record_cut: a state
 * with the hub's entries it dropped put back, unless its own author's
 * write explains the drop, and with others' writes and withdrawals only
 * as the hub or their authors' states hold them: vouch_entry,
 * vouch_withdrawal). So each write the set adds must be its
 * author's own, or agree with its author's push, and no entry leaves
 * without a write of the one that dropped it, as for one push alone. If
 * all pass, their merge is stored as the push's result and the held
 * pushes are dropped; their devices send them again and find them held.
 * A held push past its time or covered by the hub's state is dropped
 * when looked at. The rows themselves: hub_push_held_rows.c.
 */
#include "compat.h"

#include "hub_push.h"
#include "hub_push_int.h"

#include "hlc.h"
#include "update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One state of the set: the pushed one, or a held one. */
struct member {
  char replica[SB_REPLICA_MAX + 1];
  struct record rec; /* held ones: decoded here */
  const struct record *state;
  struct record cut; /* its cut against cur */
};

struct set {
  struct member m[HUB_PUSH_HELD_MAX];
  size_t n;
};

static void set_release(struct set *s)
{
  size_t i;

  for (i = 0; i < s->n; i++) {
    record_release(&s->m[i].rec);
    record_release(&s->m[i].cut);
  }
}

/* True if the hub's state cur has seen all that held state h has. */
static bool covered(const struct record *h, const struct record *cur)
{
  enum vv_order o = vv_compare(&h->vv, &cur->vv);
  return o == VV_EQUAL || o == VV_BEFORE;
}

/*
 * Adds the push held for replica to s if it vouches for the writes of
 * replica up to `need`; 1 if added, 0 if there is none (or it does not
 * reach need), else an error. A stale one (expired, or covered by cur)
 * is dropped.
 */
static int set_add_held(struct push_one *p, const struct record *cur,
                        struct set *s, const char *replica, uint64_t need,
                        struct sb_err *err)
{
  char key[HUB_HELD_KEY_MAX], *value = NULL;
  const char *state;
  struct member *m = &s->m[s->n];
  struct sb_err why = {0};
  uint64_t at;
  int rc;

  hub_push_held_key(key, sizeof(key), p->rec, replica);
  rc = hub_store_meta_maybe(p->ops, p->be, key, &value, err);
  if (rc != 0 || value == NULL)
    return rc;
  record_init(&m->rec, p->rec->collection, p->rec->id);
  record_init(&m->cut, p->rec->collection, p->rec->id);
  if (!hub_push_held_parse(value, &at, &state) ||
      at + HUB_HELD_MAX_MS < hlc_wall_ms() ||
      record_decode(&m->rec, state, strlen(state), &why) != 0 ||
      strcmp(m->rec.collection, p->rec->collection) != 0 ||
      strcmp(m->rec.id, p->rec->id) != 0 || covered(&m->rec, cur)) {
    record_release(&m->rec);
    free(value);
    return p->ops->meta_delete(p->be, key, err);
  }
  free(value);
  if (vv_get(&m->rec.vv, replica) < need) {
    record_release(&m->rec);
    return 0;
  }
  snprintf(m->replica, sizeof(m->replica), "%s", replica);
  m->state = &m->rec;
  s->n++;
  return 1;
}

/*
 * Fills s with p's push and the held pushes that vouch for what it
 * carries of other replicas, and for what those carry in turn: 1 if every
 * replica whose writes the set carries unseen by cur has its push in it,
 * 0 if not, or an error.
 */
static int set_gather(struct push_one *p, const struct record *cur,
                      struct set *s, struct sb_err *err)
{
  size_t i, k;
  int rc;

  snprintf(s->m[0].replica, sizeof(s->m[0].replica), "%s", p->pusher);
  record_init(&s->m[0].rec, p->rec->collection, p->rec->id);
  record_init(&s->m[0].cut, p->rec->collection, p->rec->id);
  s->m[0].state = p->rec;
  s->n = 1;
  for (i = 0; i < s->n; i++) {
    const struct vv *vv = &s->m[i].state->vv;
    for (k = 0; k < vv->n; k++) {
      const struct vv_entry *v = &vv->v[k];
      size_t j;
      if (v->counter <= vv_get(&cur->vv, v->replica))
        continue;
      for (j = 0; j < s->n && strcmp(s->m[j].replica, v->replica) != 0; j++)
        ;
      if (j < s->n) {
        if (vv_get(&s->m[j].state->vv, v->replica) < v->counter)
          return 0; /* it claims more of that replica than its own says */
        continue;
      }
      if (s->n == HUB_PUSH_HELD_MAX)
        return 0;
      rc = set_add_held(p, cur, s, v->replica, v->counter, err);
      if (rc <= 0)
        return rc;
    }
  }
  return 1;
}

/*
 * Every push check of member i's state, by its replica, against cur with
 * the cuts of the other members: 0 if it passes, UPDATE_REFUSE if not,
 * or an error.
 */
static int member_check(const struct push_one *p, const struct record *cur,
                        const struct set *s, size_t i, struct sb_err *err)
{
  struct push_one q = *p;
  struct push_result res;
  struct hub_push_stats stats;
  struct record base;
  size_t j;
  int rc;

  memset(&res, 0, sizeof(res));
  memset(&stats, 0, sizeof(stats));
  q.rec = s->m[i].state;
  q.pusher = s->m[i].replica;
  q.sent = NULL;
  q.values_ok = false;
  q.res = &res;
  q.stats = &stats;
  q.since = &cur->vv; /* its writes are new to the hub, not to the others */
  if (record_copy(&base, cur) != 0)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (j = 0, rc = 0; j < s->n && rc == 0; j++)
    if (j != i)
      rc = record_merge(&base, &s->m[j].cut);
  if (rc != 0)
    rc = sb_err_set(err, rc, NULL);
  else if (!hub_push_entries_forged_vv(&q, &base))
    rc = UPDATE_REFUSE;
  else
    rc = hub_push_check_write(&q, &base, err);
  record_release(&base);
  return rc;
}

/* The entry of field (NULL: a tombstone) at dot d in r, or NULL. */
static const struct entry *entry_at(const struct record *r, const char *field,
                                    const struct dot *d)
{
  const struct field *f = field != NULL ? record_field(r, field) : NULL;
  size_t k, n = field != NULL ? (f != NULL ? record_field_nentries(f) : 0)
                              : record_ntombs(r);

  for (k = 0; k < n; k++) {
    const struct entry *e =
        field != NULL ? record_field_entry(f, k) : record_tomb_at(r, k);
    if (vv_dot_cmp(&e->dot, d) == 0)
      return e;
  }
  return NULL;
}

/* What a member's cut is made with: the set, and whose state it is. */
struct vouch_ctx {
  const struct set *s;
  const struct record *cur;
  const char *author;
};

/*
 * A cut takes a write the hub has not seen only as its own author's state
 * holds it: the author's own as they are, another member's from that
 * member's state (none if it holds it no more: then its state, covering
 * the dot, drops it from every merge anyway). One the hub superseded, it
 * leaves out. So no member puts a value in another's mouth.
 */
/* The state of the member of replica, or NULL. */
static const struct record *member_state(const struct set *s,
                                         const char *replica)
{
  size_t j;

  for (j = 0; j < s->n; j++)
    if (strcmp(s->m[j].replica, replica) == 0)
      return s->m[j].state;
  return NULL;
}

static const struct entry *vouch_entry(const char *field, const struct entry *e,
                                       void *ctx)
{
  const struct vouch_ctx *v = ctx;
  const struct record *author;

  if (vv_covers(&v->cur->vv, &e->dot))
    return NULL;
  if (strcmp(e->dot.replica, v->author) == 0)
    return e;
  author = member_state(v->s, e->dot.replica);
  return author != NULL ? entry_at(author, field, &e->dot) : NULL;
}

/*
 * Withdrawals alike: one the hub holds, or whose author's state in the
 * set holds it; each replica's "seen" of it as that replica's own state
 * holds it (the hub's, for a replica not in the set).
 */
static int vouch_withdrawal(const struct withdrawal *w, struct vv *seen,
                            void *ctx)
{
  const struct vouch_ctx *v = ctx;
  const struct record *author = member_state(v->s, w->dot.replica);
  size_t k;

  if (record_withdrawal_of(v->cur, &w->dot) == NULL &&
      (author == NULL || record_withdrawal_of(author, &w->dot) == NULL))
    return 0;
  for (k = 0; k < w->seen.n; k++) {
    const char *r = w->seen.v[k].replica;
    const struct record *own = member_state(v->s, r);
    const struct withdrawal *by =
        record_withdrawal_of(own ? own : v->cur, &w->dot);
    uint64_t c = by != NULL ? vv_get(&by->seen, r) : 0;
    if (c > 0 && vv_set(seen, r, c) != 0)
      return SB_ENOMEM;
  }
  return 1;
}

int hub_push_held_joint(struct push_one *p, const struct record *cur,
                        struct sb_err *err)
{
  struct set s;
  size_t i;
  int rc;

  if (p->ops->meta_delete == NULL)
    return 0;
  memset(&s, 0, sizeof(s));
  rc = set_gather(p, cur, &s, err);
  for (i = 0; rc == 1 && i < s.n; i++) {
    struct push_one q = *p;
    struct vouch_ctx v = {&s, cur, s.m[i].replica};
    struct hub_push_vouch rules = {vouch_entry, vouch_withdrawal, &v};
    q.rec = s.m[i].state;
    q.pusher = s.m[i].replica;
    if (hub_push_entries_cut(&q, cur, &rules, &s.m[i].cut) != 0)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  }
  for (i = 0; rc == 1 && i < s.n; i++) {
    int c = member_check(p, cur, &s, i, err);
    rc = c == 0 ? 1 : c == UPDATE_REFUSE ? 0 : c;
  }
  if (rc == 1 && record_copy(&p->joint, cur) != 0)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  for (i = 0; rc == 1 && i < s.n; i++)
    if (record_merge(&p->joint, s.m[i].state) != 0)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  if (rc == 1) {
    p->joint_n = 0;
    for (i = 1; i < s.n; i++)
      snprintf(p->joint_of[p->joint_n++], sizeof(p->joint_of[0]), "%s",
               s.m[i].replica);
  } else {
    record_release(&p->joint);
  }
  set_release(&s);
  return rc;
}
