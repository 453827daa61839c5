/*
 * test_hub_push_history.c - the push policy never refuses a legitimate
 * replica: random histories of several replicas (puts, deletes, merges of
 * what the hub served them, fresh or stale, and of each other's pushed
 * states) pushing their full local state, as the field engine does, to
 * the policy on the in-memory backend (hub_mem.c). Every push of every
 * record must be accepted, and the hub must end equal to the merge of
 * every replica's state.
 *
 * With restores, the hub's store is copied at random steps and a copy
 * put back at others (daemon/hub/DESIGN.md, "Restoring from a copy"), on
 * the backend with settings, so pushes are held aside: a push may then be
 * refused (forged_dot only: it carries writes the copy lacks), and after
 * every replica has pushed its state a few times nothing is refused and
 * the hub again holds the merge of every replica's state. A replica may
 * also push, as itself, another's state with one of a third replica's
 * values changed (a forged claim): whatever it is held with or joined
 * to, every value the hub holds is the one its author wrote.
 *
 * Some writes are withdrawals (record.h: they left the record without
 * consent), so the withdrawals and their "seen" go through the policy
 * too (without a schema: nothing is erased).
 *
 * HUB_PUSH_SEEDS=N runs N seeds (default 150); HUB_PUSH_SEED=S one seed.
 */
#include "hub_mem.h"

#define NREP 4
#define NREC 3
#define NFIELD 4
#define STEPS 160
#define SNAPS 64
#define COPIES 4

static const char *const replicas[NREP] = {
    "00000000000000a0", "00000000000000a1", "00000000000000a2",
    "00000000000000a3"};

struct replica {
  struct record rec[NREC];
  struct record pushed[NREC]; /* the last state the hub accepted */
  uint64_t clock;
};

struct world {
  uint64_t rng;
  unsigned long seed;
  int step;
  struct mem hub;
  struct replica rep[NREP];
  char *snaps[NREC][SNAPS]; /* states the hub has served, oldest first */
  size_t nsnaps[NREC];
  bool restores;                  /* copies of the store are put back */
  struct mem_rows copies[COPIES]; /* copies taken */
  size_t ncopies;
  unsigned refused;    /* pushes refused (restores only) */
  struct written *log; /* every value written, by dot (restores only) */
  size_t nlog, caplog;
};

/* One value a replica wrote: record k's field at its dot. */
struct written {
  unsigned k;
  char field[8];
  struct dot dot;
  char *value;
};

/* Across the seeds of a run: copies put back, pushes refused meanwhile,
 * forged claims pushed. */
static unsigned long put_backs, refusals, forgeries, forged_deletes;
/* Across the seeds: records the hub ends holding a withdrawal of. */
static unsigned long withdrawn;

static uint64_t rnd(struct world *w)
{
  w->rng ^= w->rng << 13;
  w->rng ^= w->rng >> 7;
  w->rng ^= w->rng << 17;
  return w->rng;
}

static unsigned pick(struct world *w, unsigned n)
{
  return (unsigned)(rnd(w) % n);
}

static const char *rec_id(unsigned k)
{
  static const char *const ids[NREC] = {"r0", "r1", "r2"};
  return ids[k];
}

/* A replica's next timestamp: its clock skewed, but only ever growing. */
static uint64_t tick(struct world *w, struct replica *r)
{
  r->clock += 1 + pick(w, 5000);
  return r->clock;
}

static unsigned rec_index(const char *id)
{
  return (unsigned)(id[1] - '0');
}

/* Logs the values of replica's newest write on rec (its put just made). */
static void log_put(struct world *w, const struct record *rec,
                    const char *replica)
{
  size_t i, e;

  for (i = 0; i < record_nfields(rec); i++) {
    const struct field *f = record_field_at(rec, i);
    for (e = 0; e < record_field_nentries(f); e++) {
      const struct entry *x = record_field_entry(f, e);
      struct written *l;
      if (strcmp(x->dot.replica, replica) != 0 ||
          x->dot.counter != vv_get(&rec->vv, replica))
        continue; /* not this write's */
      if (w->nlog == w->caplog) {
        w->caplog = w->caplog ? 2 * w->caplog : 64;
        w->log = realloc(w->log, w->caplog * sizeof(*w->log));
        CHECK(w->log != NULL);
      }
      l = &w->log[w->nlog++];
      l->k = rec_index(rec->id);
      snprintf(l->field, sizeof(l->field), "%s", record_field_name(f));
      l->dot = x->dot;
      l->value = strdup(x->value);
      CHECK(l->value != NULL);
    }
  }
}

/* Every value the hub holds is the one its author wrote at that dot. */
static void check_authentic(struct world *w)
{
  unsigned k;
  size_t i, e, l;

  for (k = 0; k < NREC; k++) {
    struct mem_row *row = mem_find(&w->hub, "notes", rec_id(k));
    struct record r;
    if (row == NULL)
      continue;
    record_init(&r, "notes", rec_id(k));
    CHECK_INT(record_decode(&r, row->text, strlen(row->text), NULL), ==, 0);
    for (i = 0; i < record_nfields(&r); i++) {
      const struct field *f = record_field_at(&r, i);
      for (e = 0; e < record_field_nentries(f); e++) {
        const struct entry *x = record_field_entry(f, e);
        for (l = 0; l < w->nlog; l++)
          if (w->log[l].k == k && vv_dot_cmp(&w->log[l].dot, &x->dot) == 0 &&
              strcmp(w->log[l].field, record_field_name(f)) == 0)
            break;
        if (l == w->nlog || strcmp(w->log[l].value, x->value) != 0)
          fprintf(stderr,
                  "seed %lu step %d: the hub holds %s.%s = %s at "
                  "[%s,%" PRIu64 "], which its author never wrote\n",
                  w->seed, w->step, rec_id(k), record_field_name(f), x->value,
                  x->dot.replica, x->dot.counter);
        CHECK(l < w->nlog && strcmp(w->log[l].value, x->value) == 0);
      }
    }
    record_release(&r);
  }
}

static void do_put(struct world *w, struct replica *r, const char *id,
                   struct record *rec)
{
  char fields[256];
  int n = 0;
  unsigned f, mask = 1 + pick(w, (1u << NFIELD) - 1);
  cJSON *j;

  (void)id;
  n += snprintf(fields + n, sizeof(fields) - (size_t)n, "{");
  for (f = 0; f < NFIELD; f++)
    if (mask & (1u << f))
      n += snprintf(fields + n, sizeof(fields) - (size_t)n,
                    "%s\"f%u\":\"v%" PRIu64 "\"", n > 1 ? "," : "", f,
                    rnd(w) % 1000);
  snprintf(fields + n, sizeof(fields) - (size_t)n, "}");
  j = cJSON_Parse(fields);
  CHECK(j != NULL);
  CHECK_INT(record_put(rec, replicas[r - w->rep], tick(w, r), j, NULL), ==, 0);
  cJSON_Delete(j);
  if (pick(w, 8) == 0) /* the write left the record without consent */
    CHECK_INT(record_withdraw(rec, replicas[r - w->rep]), ==, 0);
  if (w->restores)
    log_put(w, rec, replicas[r - w->rep]);
}

/* Replica r merges state text (from the hub's feed, maybe stale). */
static void merge_text(struct record *into, const char *text)
{
  struct record from;
  record_init(&from, into->collection, into->id);
  CHECK_INT(record_decode(&from, text, strlen(text), NULL), ==, 0);
  CHECK_INT(record_merge(into, &from), ==, 0);
  record_release(&from);
}

/* Keeps the hub's state of record k as served. */
static void snap(struct world *w, unsigned k)
{
  struct mem_row *row = mem_find(&w->hub, "notes", rec_id(k));
  if (row == NULL)
    return;
  if (w->nsnaps[k] == SNAPS) {
    free(w->snaps[k][0]);
    memmove(&w->snaps[k][0], &w->snaps[k][1],
            (SNAPS - 1) * sizeof(w->snaps[k][0]));
    w->nsnaps[k]--;
  }
  w->snaps[k][w->nsnaps[k]++] = strdup(row->text);
}

/* Replica r pushes every record it holds, as one batch: all accepted
 * (with restores, a record may be refused forged_dot: counted). */
static void do_push(struct world *w, struct replica *r)
{
  struct record batch[NREC];
  unsigned idx[NREC], k, n = 0;
  struct hub_push_batch b;

  for (k = 0; k < NREC; k++) {
    if (record_empty(&r->rec[k]))
      continue;
    CHECK_INT(record_copy(&batch[n], &r->rec[k]), ==, 0);
    idx[n++] = k;
  }
  if (n == 0)
    return;
  b = batch_of(replicas[r - w->rep], batch, n);
  CHECK_INT(push1(&w->hub, NULL, &b), ==, 0);
  CHECK_INT(b.reply.n, ==, n);
  for (k = 0; k < n; k++) {
    if (!b.reply.res[k].ok && w->restores &&
        strcmp(b.reply.res[k].code, "forged_dot") == 0) {
      w->refused++;
      refusals++;
      continue;
    }
    if (!b.reply.res[k].ok) {
      char *text = record_encode(&batch[k]);
      fprintf(stderr,
              "seed %lu step %d: replica %s's push of %s refused: %s: %s\n"
              "pushed: %s\n",
              w->seed, w->step, replicas[r - w->rep], rec_id(idx[k]),
              b.reply.res[k].code, b.reply.res[k].message, text);
      free(text);
    }
    CHECK(b.reply.res[k].ok);
    record_release(&r->pushed[idx[k]]);
    CHECK_INT(record_copy(&r->pushed[idx[k]], &batch[k]), ==, 0);
    snap(w, idx[k]);
  }
  for (k = 0; k < n; k++)
    record_release(&batch[k]);
  push_reply_release(&b.reply);
  if (w->restores)
    check_authentic(w);
}

/* True if entry e (of a state's JSON) is of replica me's writes. */
static bool entry_of(const cJSON *e, const char *me)
{
  const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(e, "dot"), 0);
  return strcmp(d->valuestring, me) == 0;
}

/*
 * In state j (JSON), the field holding the target-th entry not of me, and
 * that entry's index in it (*at); NULL if there are not that many.
 */
static cJSON *nth_other(cJSON *j, const char *me, int target, int *at)
{
  cJSON *f, *e;

  cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "fields"))
  {
    *at = 0;
    cJSON_ArrayForEach(e, f)
    {
      if (!entry_of(e, me) && target-- == 0)
        return f;
      (*at)++;
    }
  }
  return NULL;
}

/* Adds to state j (JSON) a tombstone at entry e's dot and time, in dot
 * order. */
static void add_tombstone(cJSON *j, const cJSON *e)
{
  cJSON *tombs = cJSON_GetObjectItem(j, "tombstones"), *t, *at;
  const cJSON *dot = cJSON_GetObjectItem(e, "dot");
  struct dot d, o;
  int i = 0;

  CHECK(tombs != NULL && dot != NULL);
  snprintf(d.replica, sizeof(d.replica), "%s",
           cJSON_GetArrayItem(dot, 0)->valuestring);
  d.counter = (uint64_t)cJSON_GetArrayItem(dot, 1)->valuedouble;
  t = cJSON_CreateObject();
  cJSON_AddItemToObject(t, "dot", cJSON_Duplicate(dot, true));
  cJSON_AddItemToObject(t, "ts",
                        cJSON_Duplicate(cJSON_GetObjectItem(e, "ts"), true));
  cJSON_ArrayForEach(at, tombs)
  {
    const cJSON *od = cJSON_GetObjectItem(at, "dot");
    snprintf(o.replica, sizeof(o.replica), "%s",
             cJSON_GetArrayItem(od, 0)->valuestring);
    o.counter = (uint64_t)cJSON_GetArrayItem(od, 1)->valuedouble;
    if (vv_dot_cmp(&d, &o) == 0) {
      cJSON_Delete(t); /* the dot is a delete already */
      return;
    }
    if (vv_dot_cmp(&d, &o) < 0)
      break;
    i++;
  }
  if (at != NULL)
    cJSON_InsertItemInArray(tombs, i, t);
  else
    cJSON_AddItemToArray(tombs, t);
}

/* The hub's vv entry of replica for record k (0 if it lacks the record). */
static uint64_t hub_counter(struct world *w, unsigned k, const char *replica)
{
  struct mem_row *row = mem_find(&w->hub, "notes", rec_id(k));
  struct record r;
  uint64_t c;

  if (row == NULL)
    return 0;
  record_init(&r, "notes", rec_id(k));
  CHECK_INT(record_decode(&r, row->text, strlen(row->text), NULL), ==, 0);
  c = vv_get(&r.vv, replica);
  record_release(&r);
  return c;
}

/*
 * Replica r pushes, as itself, a replica's state of record k with one
 * entry of another replica changed (its value) or dropped (maybe for a
 * delete at its dot): a forged claim. It may be refused, held, or taken as a
 * no-op where the hub has superseded the entry; the hub must never hold the
 * changed value (checked here) nor lose the dropped entry (the end's
 * convergence check: the hub holds the merge of the replicas' own states). A
 * drop is forged only in a state holding no write of r's the hub has not seen:
 * a new write of the pusher's may explain a drop (a delete then a put: the
 * policy's forged_entry rule), and would be r's own.
 */
static void do_forge(struct world *w, struct replica *r, unsigned k)
{
  const char *me = replicas[r - w->rep];
  const struct record *from = &w->rep[pick(w, NREP)].rec[k];
  struct hub_push_batch b;
  struct record forged;
  cJSON *j, *f;
  char *text;
  int n, at;
  bool deletes = false;

  if (record_empty(from))
    return;
  text = record_encode(from);
  j = cJSON_Parse(text);
  free(text);
  CHECK(j != NULL);
  for (n = 0; nth_other(j, me, n, &at) != NULL; n++)
    ;
  f = n > 0 ? nth_other(j, me, (int)pick(w, (unsigned)n), &at) : NULL;
  if (f != NULL &&
      (pick(w, 2) == 0 || vv_get(&from->vv, me) > hub_counter(w, k, me))) {
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(f, at), "value",
                              cJSON_CreateString("forged"));
  } else if (f != NULL) {
    cJSON *e = cJSON_DetachItemFromArray(f, at);
    if (cJSON_GetArraySize(f) == 0)
      cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "fields"), f->string);
    if (pick(w, 2) == 0) {
      add_tombstone(j, e); /* and says its author deleted the record */
      deletes = true;
    }
    cJSON_Delete(e);
  }
  text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  CHECK(text != NULL);
  record_init(&forged, "notes", rec_id(k));
  if (f != NULL && record_decode(&forged, text, strlen(text), NULL) == 0) {
    b = batch_of(me, &forged, 1);
    CHECK_INT(push1(&w->hub, NULL, &b), ==, 0);
    forgeries++;
    forged_deletes += deletes;
    push_reply_release(&b.reply);
    check_authentic(w);
  }
  free(text);
  record_release(&forged);
}

/* With restores: a copy of the store taken, or one put back. */
static bool restore_step(struct world *w)
{
  unsigned c = pick(w, 24);

  if (c == 0 && w->ncopies < COPIES) {
    mem_copy(&w->hub, &w->copies[w->ncopies++]);
    return true;
  }
  if (c == 1 && w->ncopies > 0) {
    mem_put_back(&w->hub, &w->copies[pick(w, (unsigned)w->ncopies)]);
    put_backs++;
    return true;
  }
  if (c == 2 || c == 3) {
    do_forge(w, &w->rep[pick(w, NREP)], pick(w, NREC));
    return true;
  }
  return false;
}

static void step(struct world *w)
{
  struct replica *r = &w->rep[pick(w, NREP)];
  unsigned k = pick(w, NREC), q;
  struct record *rec = &r->rec[k];

  if (w->restores && restore_step(w))
    return;
  switch (pick(w, 10)) {
  case 0:
  case 1:
  case 2:
    do_put(w, r, rec_id(k), rec);
    break;
  case 3:
    if (!record_empty(rec))
      CHECK_INT(record_delete(rec, replicas[r - w->rep], tick(w, r)), ==, 0);
    break;
  case 4:
  case 5: /* a pull: the newest state, or a stale one come late */
    if (w->nsnaps[k] > 0)
      merge_text(
          rec, w->snaps[k][pick(w, 2) == 0 ? w->nsnaps[k] - 1
                                           : pick(w, (unsigned)w->nsnaps[k])]);
    break;
  case 6: /* another replica's state, as the hub accepted it */
    q = pick(w, NREP);
    if (!record_empty(&w->rep[q].pushed[k]))
      CHECK_INT(record_merge(rec, &w->rep[q].pushed[k]), ==, 0);
    break;
  default:
    do_push(w, r);
    break;
  }
}

/* The hub holds the merge of every replica's state. */
static void check_converged(struct world *w)
{
  unsigned i, k;

  for (k = 0; k < NREC; k++) {
    struct record all;
    struct mem_row *row = mem_find(&w->hub, "notes", rec_id(k));
    char *text;
    record_init(&all, "notes", rec_id(k));
    for (i = 0; i < NREP; i++)
      CHECK_INT(record_merge(&all, &w->rep[i].rec[k]), ==, 0);
    if (record_empty(&all)) {
      CHECK(row == NULL);
    } else {
      text = record_encode_compact(&all); /* as stores hold states */
      CHECK(row != NULL);
      if (strcmp(row->text, text) != 0)
        fprintf(stderr, "seed %lu: hub %s\nmerge %s\n", w->seed, row->text,
                text);
      CHECK_STR(row->text, text);
      free(text);
    }
    withdrawn += record_nwithdrawals(&all) > 0;
    record_release(&all);
  }
}

static void run_seed(unsigned long seed, bool restores)
{
  struct world *w = calloc(1, sizeof(*w));
  unsigned i, k, pass;

  CHECK(w != NULL);
  w->seed = seed;
  w->restores = restores;
  w->hub.ops = restores ? &mem_held_ops : NULL;
  w->rng = 0x9e3779b97f4a7c15ull ^ (seed * 0x100000001b3ull);
  if (w->rng == 0)
    w->rng = 1;
  for (i = 0; i < NREP; i++) {
    w->rep[i].clock = TS + pick(w, 1000000);
    for (k = 0; k < NREC; k++) {
      record_init(&w->rep[i].rec[k], "notes", rec_id(k));
      record_init(&w->rep[i].pushed[k], "notes", rec_id(k));
    }
  }
  for (w->step = 0; w->step < STEPS; w->step++)
    step(w);
  /* Everyone pushes what it holds: the hub then has seen everything
   * (after a restore, once every replica's push has been held for the
   * others). */
  for (pass = 0; pass == 0 || (w->refused > 0 && pass < 2 * NREP); pass++) {
    w->refused = 0;
    for (i = 0; i < NREP; i++)
      do_push(w, &w->rep[i]);
  }
  if (w->refused > 0)
    fprintf(stderr, "seed %lu: %u pushes still refused after %u passes\n",
            w->seed, w->refused, pass);
  CHECK_INT(w->refused, ==, 0);
  check_converged(w);
  for (i = 0; i < w->ncopies; i++)
    mem_rows_free(&w->copies[i]);
  for (i = 0; i < w->nlog; i++)
    free(w->log[i].value);
  free(w->log);

  for (i = 0; i < NREP; i++)
    for (k = 0; k < NREC; k++) {
      record_release(&w->rep[i].rec[k]);
      record_release(&w->rep[i].pushed[k]);
    }
  for (k = 0; k < NREC; k++)
    for (i = 0; i < w->nsnaps[k]; i++)
      free(w->snaps[k][i]);
  mem_free(&w->hub);
  free(w);
}

/* Runs HUB_PUSH_SEED alone, else HUB_PUSH_SEEDS seeds (150); false if
 * one seed was asked for. */
static bool run_seeds(bool restores)
{
  const char *one = getenv("HUB_PUSH_SEED");
  const char *many = getenv("HUB_PUSH_SEEDS");
  unsigned long n = many != NULL ? strtoul(many, NULL, 10) : 150, s;

  if (one != NULL) {
    run_seed(strtoul(one, NULL, 10), restores);
    return false;
  }
  for (s = 1; s <= n; s++)
    run_seed(s, restores);
  return true;
}

TEST(legitimate_replicas_are_never_refused)
{
  run_seeds(false);
}

TEST(restored_hub_takes_every_push_back)
{
  if (!run_seeds(true))
    return; /* one seed: no coverage to speak of */
  /* The runs did put copies back and had pushes wait for others. */
  fprintf(stderr,
          "%lu copies put back, %lu pushes refused on the way, %lu forged "
          "claims pushed (%lu of them deletes), %lu records withdrawn\n",
          put_backs, refusals, forgeries, forged_deletes, withdrawn);
  CHECK(put_backs > 0 && refusals > 0 && forged_deletes > 0 && withdrawn > 0);
}
