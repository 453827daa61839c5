/* test_update.c - the one read-merge-write (common/update.h) on a store of
 * one slot: put (only the fields it changes), delete, merge, echo, hooks, a
 * stored state that does not decode. */
#include "check.h"

#include "update.h"

#define A "00000000000000aa"
#define B "00000000000000bb"
#define TS 1714550400000000ull

struct slot {
  char *text; /* NULL: no state */
  uint64_t seq, ts;
  unsigned saves;
  const char *saved_from; /* the text pointer the last save was given */
};

static int slot_load(void *ctx, const char *collection, const char *id,
                     char **text, size_t *len, uint64_t *seq,
                     struct sb_err *err)
{
  struct slot *s = ctx;
  if (s->text == NULL)
    return sb_err_set(err, SB_ENOTFOUND, "%s/%s not found", collection, id);
  *text = strdup(s->text);
  CHECK(*text != NULL);
  *len = strlen(s->text);
  *seq = s->seq;
  return 0;
}

static int slot_save(void *ctx, const struct record *r, const char *text,
                     size_t len, uint64_t *seq, struct sb_err *err)
{
  struct slot *s = ctx;
  (void)r;
  (void)err;
  CHECK(strlen(text) == len);
  s->saved_from = text;
  free(s->text);
  s->text = strdup(text);
  CHECK(s->text != NULL);
  *seq = ++s->seq;
  s->saves++;
  return 0;
}

static uint64_t slot_tick(void *ctx)
{
  struct slot *s = ctx;
  return ++s->ts;
}

/* The slot as update_apply's store (add: NULL or slot_add). */
#define SLOT_IO(s, add)                                                        \
  {                                                                            \
    "the test slot", slot_load, slot_save, slot_tick, (s), NULL, (add)         \
  }

static int put(struct slot *s, const char *json, const struct update_hooks *h,
               struct update_result *out, struct sb_err *err)
{
  struct update_io io = SLOT_IO(s, NULL);
  cJSON *fields = cJSON_Parse(json);
  struct update_change ch = {UPDATE_PUT, A, fields, NULL, NULL};
  int rc;

  CHECK(fields != NULL);
  rc = update_apply(&io, "notes", "n1", &ch, h, out, err);
  cJSON_Delete(fields);
  return rc;
}

TEST(put_delete_and_merge_echo)
{
  struct slot s = {NULL, 0, TS, 0, NULL};
  struct update_io io = SLOT_IO(&s, NULL);
  struct update_change del = {UPDATE_DELETE, A, NULL, NULL, NULL};
  struct update_change merge = {UPDATE_MERGE, NULL, NULL, NULL, NULL};
  struct update_result out;
  struct record r;

  CHECK_INT(put(&s, "{\"t\":1}", NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK(!out.existed);
  CHECK_INT(out.seq, ==, 1);
  CHECK_INT(update_apply(&io, "notes", "n1", &del, NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK(out.existed);
  CHECK_INT(out.seq, ==, 2);
  CHECK(strstr(s.text, "\"deleted\":true") != NULL);

  /* Merging what the slot holds is an echo: nothing saved, the old seq. */
  record_init(&r, "notes", "n1");
  CHECK_INT(record_decode(&r, s.text, strlen(s.text), NULL), ==, 0);
  merge.remote = &r;
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_UNCHANGED);
  CHECK_INT(out.seq, ==, 2);
  CHECK_INT(s.saves, ==, 2);
  record_release(&r);

  /* A remote write of B merges in. */
  {
    cJSON *j = cJSON_Parse("{\"u\":2}");
    record_init(&r, "notes", "n1");
    CHECK_INT(record_put(&r, B, TS + 100, j, NULL), ==, 0);
    cJSON_Delete(j);
  }
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK_INT(out.seq, ==, 3);
  CHECK(strstr(s.text, B) != NULL);
  record_release(&r);
  free(s.text);
}

/* The entries of field in the slot's state: the count, and the counter of
 * the first one's dot. */
static size_t entries_of(const struct slot *s, const char *field,
                         uint64_t *counter)
{
  struct record r;
  const struct field *f;
  size_t n;

  record_init(&r, "notes", "n1");
  CHECK_INT(record_decode(&r, s->text, strlen(s->text), NULL), ==, 0);
  f = record_field(&r, field);
  n = f != NULL ? record_field_nentries(f) : 0;
  if (n > 0)
    *counter = record_field_entry(f, 0)->dot.counter;
  record_release(&r);
  return n;
}

TEST(a_put_writes_only_the_fields_it_changes)
{
  struct slot s = {NULL, 0, TS, 0, NULL};
  struct update_io io = SLOT_IO(&s, NULL);
  struct update_change merge = {UPDATE_MERGE, NULL, NULL, NULL, NULL};
  struct update_result out;
  uint64_t counter = 0;
  struct record r;
  cJSON *j;

  CHECK_INT(put(&s, "{\"t\":1,\"u\":\"x\"}", NULL, &out, NULL), ==, 0);
  /* The same values again (keys in another order): nothing written. */
  CHECK_INT(put(&s, "{\"u\":\"x\",\"t\":1}", NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_UNCHANGED);
  CHECK_INT(s.saves, ==, 1);
  /* One changed: only it takes the new dot. */
  CHECK_INT(put(&s, "{\"t\":2,\"u\":\"x\"}", NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK_INT(entries_of(&s, "t", &counter), ==, 1);
  CHECK_INT(counter, ==, 2);
  CHECK_INT(entries_of(&s, "u", &counter), ==, 1);
  CHECK_INT(counter, ==, 1);

  /* B wrote u concurrently: two entries. Putting one of their values
   * settles the field (a write that covers both). */
  j = cJSON_Parse("{\"u\":\"y\"}");
  record_init(&r, "notes", "n1");
  CHECK_INT(record_put(&r, B, TS + 100, j, NULL), ==, 0);
  cJSON_Delete(j);
  merge.remote = &r;
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  record_release(&r);
  CHECK_INT(entries_of(&s, "u", &counter), ==, 2);
  CHECK_INT(put(&s, "{\"u\":\"x\"}", NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK_INT(entries_of(&s, "u", &counter), ==, 1);
  CHECK_INT(counter, ==, 3);

  /* B deletes the record as it was while A puts t: the delete meets the
   * edit (t stays, beside B's tombstone). Putting t's own value again is
   * how the record is kept: it writes, and the tombstone goes. */
  record_init(&r, "notes", "n1");
  CHECK_INT(record_decode(&r, s.text, strlen(s.text), NULL), ==, 0);
  CHECK_INT(record_delete(&r, B, TS + 200), ==, 0);
  CHECK_INT(put(&s, "{\"t\":3}", NULL, &out, NULL), ==, 0);
  merge.remote = &r;
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  record_release(&r);
  CHECK(strstr(s.text, "\"tombstones\":[]") == NULL);
  CHECK_INT(entries_of(&s, "t", &counter), ==, 1);
  CHECK_INT(put(&s, "{\"t\":3}", NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK(strstr(s.text, "\"tombstones\":[]") != NULL);
  CHECK(strstr(s.text, "\"deleted\":false") != NULL);
  free(s.text);
}

static int refuse_before(void *ctx, const struct record *cur, bool exists,
                         struct sb_err *err)
{
  (void)cur;
  (void)err;
  *(bool *)ctx = exists;
  return UPDATE_REFUSE;
}

static int fail_after(void *ctx, const struct record *next, size_t len,
                      struct sb_err *err)
{
  (void)ctx;
  (void)next;
  (void)len;
  return sb_err_set(err, SB_ESCHEMA, "no");
}

TEST(hooks_refuse_or_fail_and_nothing_is_saved)
{
  struct slot s = {NULL, 0, TS, 0, NULL};
  struct update_result out;
  struct sb_err err = {0};
  bool seen = true;
  struct update_hooks refuse = {refuse_before, NULL, &seen};
  struct update_hooks fail = {NULL, fail_after, NULL};

  CHECK_INT(put(&s, "{\"t\":1}", &refuse, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_REFUSED);
  CHECK(!seen);
  CHECK_INT(put(&s, "{\"t\":1}", &fail, &out, &err), ==, SB_ESCHEMA);
  CHECK_INT(s.saves, ==, 0);
  CHECK(s.text == NULL);
}

/* a and b: notes/n1 with {"t":1}, written by A, then by B a moment later
 * (concurrent: neither saw the other). */
static void two_writes(struct record *a, struct record *b)
{
  cJSON *j = cJSON_Parse("{\"t\":1}");

  CHECK(j != NULL);
  record_init(a, "notes", "n1");
  record_init(b, "notes", "n1");
  CHECK_INT(record_put(a, A, TS, j, NULL), ==, 0);
  CHECK_INT(record_put(b, B, TS + 1, j, NULL), ==, 0);
  cJSON_Delete(j);
}

/* A record the store does not hold saves the caller's encoding of the
 * remote state as it is (no second encoding); one it holds merges and
 * encodes the merge, whatever text the caller gave. */
TEST(a_new_record_saves_the_remote_text_given)
{
  struct slot s = {NULL, 0, TS, 0, NULL};
  struct update_io io = SLOT_IO(&s, NULL);
  struct update_change merge = {UPDATE_MERGE, NULL, NULL, NULL, NULL};
  struct update_result out;
  struct record a, b;
  char *text_a, *text_b;

  two_writes(&a, &b);
  text_a = record_encode(&a);
  text_b = record_encode(&b);
  CHECK(text_a != NULL && text_b != NULL);

  merge.remote = &a;
  merge.remote_text = text_a;
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK(s.saved_from == text_a);
  CHECK_STR(s.text, text_a);

  merge.remote = &b;
  merge.remote_text = text_b;
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK(s.saved_from != text_b);
  CHECK(strstr(s.text, A) != NULL && strstr(s.text, B) != NULL);

  free(text_a);
  free(text_b);
  record_release(&a);
  record_release(&b);
  free(s.text);
}

/* io.add of the slot: counts its calls; adds only to an empty slot. */
static unsigned slot_adds;
static int slot_add(void *ctx, const struct record *r, const char *text,
                    size_t len, uint64_t *seq, bool *added, struct sb_err *err)
{
  struct slot *s = ctx;
  slot_adds++;
  *added = s->text == NULL;
  if (!*added)
    return 0;
  return slot_save(ctx, r, text, len, seq, err);
}

/* A merge with io.add writes a record the store lacks as a new row
 * without loading it first; one the store holds (add says so) merges as
 * without add: the same merged state. */
TEST(a_merge_tries_a_new_row_first_with_add)
{
  struct slot s = {NULL, 0, TS, 0, NULL}, plain = {NULL, 0, TS, 0, NULL};
  struct update_io io = SLOT_IO(&s, slot_add);
  struct update_io io_plain = SLOT_IO(&plain, NULL);
  struct update_change merge = {UPDATE_MERGE, NULL, NULL, NULL, NULL};
  struct update_result out;
  struct record a, b;

  two_writes(&a, &b);

  slot_adds = 0;
  merge.remote = &a;
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK(!out.existed);
  CHECK_INT(out.seq, ==, 1);
  CHECK_INT(slot_adds, ==, 1);
  CHECK_INT(update_apply(&io_plain, "notes", "n1", &merge, NULL, &out, NULL),
            ==, 0);
  CHECK_STR(s.text, plain.text);

  merge.remote = &b; /* held now: add refuses, the merge goes as before */
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_WRITTEN);
  CHECK(out.existed);
  CHECK_INT(slot_adds, ==, 2);
  CHECK_INT(update_apply(&io_plain, "notes", "n1", &merge, NULL, &out, NULL),
            ==, 0);
  CHECK_STR(s.text, plain.text);
  CHECK(strstr(s.text, A) != NULL && strstr(s.text, B) != NULL);

  /* The same state again: unchanged, not written. */
  CHECK_INT(update_apply(&io, "notes", "n1", &merge, NULL, &out, NULL), ==, 0);
  CHECK_INT(out.outcome, ==, UPDATE_UNCHANGED);

  record_release(&a);
  record_release(&b);
  free(s.text);
  free(plain.text);
}

TEST(a_state_that_does_not_decode_is_corrupt)
{
  struct slot s = {NULL, 7, TS, 0, NULL};
  struct update_result out;
  struct sb_err err = {0};

  s.text = strdup("{\"not\":\"a record\"}");
  CHECK(s.text != NULL);
  CHECK_INT(put(&s, "{\"t\":1}", NULL, &out, &err), ==, SB_ECORRUPT);
  CHECK(out.existed);
  CHECK_INT(out.seq, ==, 7);
  CHECK(strstr(err.msg, "record notes/n1 in the test slot is corrupt") != NULL);
  CHECK_INT(s.saves, ==, 0);
  free(s.text);
}
