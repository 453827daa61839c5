/*
 * test_record_oom.c - every allocation failure on the record paths (the
 * merge, local writes, copies, cuts, decoding and encoding).
 *
 * The code that runs when memory runs out is the code no other test
 * reaches: it gives moved strings back, frees half-built arrays, leaves a
 * record as its API promises. Here each operation runs again and again,
 * its n-th allocation failing (n = 1, 2, ... until a run makes no
 * allocation fail), and each run must: fail with SB_ENOMEM (or NULL)
 * exactly when an allocation failed, leave its record as record.h says
 * (unaltered, or empty), give the same result as a run without failure
 * otherwise, and leak nothing (the sanitizer build checks leaks).
 *
 * The failures reach the project's own allocations (oom.h).
 */
#include "check.h"
#include "check_record.h"

#include "oom.h"
#include "record.h"
#include "update.h"

#include <string.h>

/* The canonical text of r, made with no failure (the caller frees it). */
static char *text_of(const struct record *r)
{
  char *t;

  oom_disarm();
  t = record_encode(r);
  CHECK(t != NULL);
  return t;
}

static bool is_empty(const struct record *r)
{
  return r->nf == 0 && r->f == NULL && r->ntomb == 0 && r->tomb == NULL &&
         r->nwd == 0 && r->wd == NULL && r->vv.n == 0;
}

/*
 * x: A's and B's concurrent puts (kecamatan in conflict, nested values),
 * then A's withdrawal of consent. y: B's put, seen by C, which deleted
 * the record, and D's later put (a delete met an edit), of kecamatan too:
 * merged, that field takes entries of both sides (A's and D's), so a
 * failure meets strings already moved out of the record merged into.
 */
static void make(struct record *x, struct record *y)
{
  struct record b;

  record_init(x, "beneficiary", "b1");
  record_init(y, "beneficiary", "b1");
  record_init(&b, "beneficiary", "b1");
  check_put(x, "A", 10, "{\"name\":\"Siti\",\"kecamatan\":\"Setu\",\"n\":1}");
  check_put(
      &b, "B", 20,
      "{\"kecamatan\":\"Pamulang\",\"m\":[1,2,{\"a\":\"b\",\"c\":null}]}");
  CHECK_INT(record_merge(x, &b), ==, 0);
  check_put(x, "A", 30, "{\"consent\":false}");
  CHECK_INT(record_withdraw(x, "A"), ==, 0);
  CHECK_INT(record_merge(y, &b), ==, 0);
  CHECK_INT(record_delete(y, "C", 40), ==, 0);
  check_put(y, "D", 50,
            "{\"kelurahan\":\"Kranggan\",\"kecamatan\":\"Ciputat\"}");
  record_release(&b);
}

static void merge_both_ways(bool x_into_y)
{
  struct record x, y, into, want;
  char *want_text;

  make(&x, &y);
  CHECK_INT(record_copy(&want, x_into_y ? &y : &x), ==, 0);
  CHECK_INT(record_merge(&want, x_into_y ? &x : &y), ==, 0);
  want_text = text_of(&want);
  OOM_EACH_FAILURE(n)
  {
    int rc;
    CHECK_INT(record_copy(&into, x_into_y ? &y : &x), ==, 0);
    oom_arm(n);
    rc = record_merge(&into, x_into_y ? &x : &y);
    oom_disarm();
    if (!oom_failed()) {
      char *t = text_of(&into);
      CHECK_INT(rc, ==, 0);
      CHECK_STR(t, want_text);
      free(t);
      more_ = 0;
    } else {
      CHECK_INT(rc, ==, SB_ENOMEM);
      CHECK(is_empty(&into)); /* record.h: "On error into is empty" */
    }
    record_release(&into);
  }
  free(want_text);
  record_release(&want);
  record_release(&x);
  record_release(&y);
}

TEST(merge)
{
  merge_both_ways(false);
  merge_both_ways(true);
}

/* A local write that runs out of memory leaves the record unaltered. */
TEST(put_delete_withdraw)
{
  struct record x, y, r;
  int op;

  make(&x, &y);
  for (op = 0; op < 3; op++) {
    OOM_EACH_FAILURE(n)
    {
      int rc;
      cJSON *fields = cJSON_Parse("{\"kecamatan\":\"Setu\",\"new\":[\"v\"]}");
      CHECK(fields != NULL);
      CHECK_INT(record_copy(&r, &x), ==, 0);
      if (op == 2)
        CHECK_INT(record_delete(&r, "E", 60), ==, 0);
      char *start = text_of(&r);
      oom_arm(n);
      if (op == 0)
        rc = record_put(&r, "E", 50, fields, NULL);
      else if (op == 1)
        rc = record_delete(&r, "E", 60);
      else
        rc = record_withdraw(&r, "E");
      oom_disarm();
      cJSON_Delete(fields);
      char *t = text_of(&r);
      if (!oom_failed()) {
        CHECK_INT(rc, ==, 0);
        CHECK(strcmp(t, start) != 0);
        more_ = 0;
      } else {
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK_STR(t, start);
      }
      free(t);
      free(start);
      record_release(&r);
    }
  }
  record_release(&x);
  record_release(&y);
}

static bool keep_all(const char *field, const struct entry *e, void *ctx)
{
  (void)field;
  (void)e;
  (void)ctx;
  return true;
}

static const struct entry *vouch_all(const char *field, const struct entry *e,
                                     void *ctx)
{
  (void)field;
  (void)ctx;
  return e;
}

static int all_withdrawals(const struct withdrawal *w, struct vv *seen,
                           void *ctx)
{
  (void)ctx;
  return vv_copy(seen, &w->seen) == 0 ? 1 : SB_ENOMEM;
}

/* A copy or a cut that runs out of memory leaves an empty record. */
TEST(copy_and_cut)
{
  static const struct record_cut_rules rules = {keep_all, vouch_all,
                                                all_withdrawals, NULL};
  struct record x, y, out;
  char *want_copy, *want_cut;
  int op;

  make(&x, &y);
  want_copy = text_of(&x);
  CHECK_INT(record_cut(&out, &y, &x, &rules), ==, 0);
  want_cut = text_of(&out);
  record_release(&out);
  for (op = 0; op < 2; op++) {
    OOM_EACH_FAILURE(n)
    {
      int rc;
      record_init(&out, "beneficiary", "b1");
      oom_arm(n);
      rc = op == 0 ? record_copy(&out, &x) : record_cut(&out, &y, &x, &rules);
      oom_disarm();
      if (!oom_failed()) {
        char *t = text_of(&out);
        CHECK_INT(rc, ==, 0);
        CHECK_STR(t, op == 0 ? want_copy : want_cut);
        free(t);
        more_ = 0;
      } else {
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK(is_empty(&out));
      }
      record_release(&out);
    }
  }
  free(want_copy);
  free(want_cut);
  record_release(&x);
  record_release(&y);
}

/* Both decoders: SB_ENOMEM and an empty record, or the state itself. */
TEST(decode)
{
  struct record x, y, r;
  char *text;
  int op;

  make(&x, &y);
  CHECK_INT(record_merge(&x, &y), ==, 0);
  text = text_of(&x);
  for (op = 0; op < 2; op++) {
    OOM_EACH_FAILURE(n)
    {
      struct sb_err err = {0};
      int rc;
      record_init(&r, "", "");
      oom_arm(n);
      rc = op == 0 ? record_decode(&r, text, strlen(text), &err)
                   : record_decode_tree(&r, text, strlen(text), &err);
      oom_disarm();
      if (!oom_failed()) {
        char *t = text_of(&r);
        CHECK_INT(rc, ==, 0);
        CHECK_STR(t, text);
        free(t);
        more_ = 0;
      } else {
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK(is_empty(&r));
      }
      record_release(&r);
    }
  }
  free(text);
  record_release(&x);
  record_release(&y);
}

TEST(encode)
{
  struct record x, y;
  char *want, *want_conflict;
  int op;

  make(&x, &y);
  CHECK_INT(record_merge(&x, &y), ==, 0);
  want = text_of(&x);
  want_conflict = record_encode_conflict(&x);
  CHECK(want_conflict != NULL);
  for (op = 0; op < 2; op++) {
    OOM_EACH_FAILURE(n)
    {
      char *t;
      oom_arm(n);
      t = op == 0 ? record_encode(&x) : record_encode_conflict(&x);
      oom_disarm();
      if (!oom_failed()) {
        CHECK_STR(t, op == 0 ? want : want_conflict);
        more_ = 0;
      } else {
        CHECK(t == NULL);
      }
      free(t);
    }
  }
  free(want);
  free(want_conflict);
  record_release(&x);
  record_release(&y);
}

/* vv.h: vv_set and vv_merge leave the vector unaltered on error, vv_copy
 * leaves it empty. */
TEST(version_vectors)
{
  struct vv a, b, v;
  int op;

  vv_init(&a);
  vv_init(&b);
  CHECK_INT(vv_set(&a, "A", 3), ==, 0);
  CHECK_INT(vv_set(&a, "C", 1), ==, 0);
  CHECK_INT(vv_set(&b, "B", 7), ==, 0);
  CHECK_INT(vv_set(&b, "D", 2), ==, 0);
  CHECK_INT(vv_set(&b, "E", 2), ==, 0);
  for (op = 0; op < 3; op++) {
    OOM_EACH_FAILURE(n)
    {
      int rc;
      vv_init(&v);
      CHECK_INT(vv_copy(&v, &a), ==, 0);
      oom_arm(n);
      if (op == 0)
        rc = vv_set(&v, "B", 1);
      else if (op == 1)
        rc = vv_merge(&v, &b);
      else
        rc = vv_copy(&v, &b);
      oom_disarm();
      if (!oom_failed()) {
        CHECK_INT(rc, ==, 0);
        CHECK_INT(vv_get(&v, op == 0 ? "B" : "E"), ==, op == 0 ? 1 : 2);
        more_ = 0;
      } else if (op < 2) { /* unaltered */
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK_INT(v.n, ==, 2);
        CHECK_INT(vv_get(&v, "A"), ==, 3);
        CHECK_INT(vv_get(&v, "C"), ==, 1);
      } else { /* vv_copy: "On error dst is empty" */
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK_INT(v.n, ==, 0);
      }
      vv_release(&v);
    }
  }
  vv_release(&a);
  vv_release(&b);
}

/* update_apply on a store of one slot, whose own copies may fail too. */
struct slot {
  char *text; /* NULL: no state */
  uint64_t seq, ts;
};

static int slot_load(void *ctx, const char *collection, const char *id,
                     char **text, size_t *len, uint64_t *seq,
                     struct sb_err *err)
{
  struct slot *s = ctx;
  if (s->text == NULL)
    return sb_err_set(err, SB_ENOTFOUND, "%s/%s not found", collection, id);
  if ((*text = strdup(s->text)) == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory");
  *len = strlen(s->text);
  *seq = s->seq;
  return 0;
}

static int slot_save(void *ctx, const struct record *r, const char *text,
                     size_t len, uint64_t *seq, struct sb_err *err)
{
  struct slot *s = ctx;
  char *copy = strdup(text);
  (void)r;
  CHECK(strlen(text) == len);
  if (copy == NULL)
    return sb_err_set(err, SB_ENOMEM, "out of memory");
  free(s->text);
  s->text = copy;
  *seq = ++s->seq;
  return 0;
}

static uint64_t slot_tick(void *ctx)
{
  struct slot *s = ctx;
  return ++s->ts;
}

/* Runs change op (0 put, 1 delete, 2 merge of y, 3 merge of y into an
 * empty slot) on a slot holding x (or nothing). */
static int slot_apply(struct slot *s, int op, const struct record *y)
{
  struct update_io io = {"the slot", slot_load, slot_save, slot_tick,
                         s,          NULL,      NULL};
  struct update_change ch = {UPDATE_MERGE, "E", NULL, y, NULL};
  struct update_result out;
  int rc;

  if (op == 0) {
    ch.op = UPDATE_PUT;
    oom_hold(true); /* the change given, not the code under test */
    ch.fields = cJSON_Parse("{\"kecamatan\":\"Setu\",\"new\":[\"v\"]}");
    oom_hold(false);
    CHECK(ch.fields != NULL);
  } else if (op == 1) {
    ch.op = UPDATE_DELETE;
  }
  rc = update_apply(&io, "beneficiary", "b1", &ch, NULL, &out, NULL);
  cJSON_Delete(ch.fields);
  return rc;
}

/* update.h: "On failure nothing was saved". */
TEST(update_apply)
{
  struct record x, y;
  char *x_text;
  int op;

  make(&x, &y);
  x_text = text_of(&x);
  for (op = 0; op < 4; op++) {
    struct slot want = {op == 3 ? NULL : strdup(x_text), 7, 100};
    CHECK(op == 3 || want.text != NULL);
    CHECK_INT(slot_apply(&want, op, &y), ==, 0);
    OOM_EACH_FAILURE(n)
    {
      struct slot s = {op == 3 ? NULL : strdup(x_text), 7, 100};
      int rc;
      CHECK(op == 3 || s.text != NULL);
      oom_arm(n);
      rc = slot_apply(&s, op, &y);
      oom_disarm();
      if (!oom_failed()) {
        CHECK_INT(rc, ==, 0);
        CHECK_STR(s.text, want.text);
        more_ = 0;
      } else {
        CHECK_INT(rc, ==, SB_ENOMEM);
        CHECK_INT(s.seq, ==, 7);
        CHECK(op == 3 ? s.text == NULL : strcmp(s.text, x_text) == 0);
      }
      free(s.text);
    }
    free(want.text);
  }
  free(x_text);
  record_release(&x);
  record_release(&y);
}
