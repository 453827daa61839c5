/*
 * fuzz_record_decode.c - differential: the same bytes go to the tree-less
 * decoders (push_req_decode, changes_page_decode: yajl events straight into
 * struct record) and to the cJSON-tree path they replaced (*_decode_tree).
 * The same for one state's text: record_decode against record_decode_tree
 * (the store's rows), and a state either takes reads back from its compact
 * form (record_encode_compact) as the same record. Aborts if one accepts what
 * the other refuses, if they name a different record at fault, or if the
 * records they decode differ (their canonical encodings, and so every value's
 * canonical text, byte for byte).
 */
#include "compat.h"

#include "proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless a and b encode to the same canonical text. */
static void same_record(const struct record *a, const struct record *b)
{
  char *ta = record_encode(a), *tb = record_encode(b);
  if (ta == NULL || tb == NULL || strcmp(ta, tb) != 0)
    abort();
  free(ta);
  free(tb);
}

static void push_both(const char *text, size_t size)
{
  struct push_req a, b;
  struct sb_err ea = {0}, eb = {0};
  long bad_a = 77, bad_b = 77;
  int ra, rb;
  size_t i;

  push_req_init(&a);
  push_req_init(&b);
  ra = push_req_decode(&a, text, size, &bad_a, &ea);
  rb = push_req_decode_tree(&b, text, size, &bad_b, &eb);
  if (ra == SB_ENOMEM || rb == SB_ENOMEM)
    goto out;
  if (ra != rb || bad_a != bad_b || a.n != b.n)
    abort();
  if (ra != 0 && (ea.code != ra || ea.msg[0] == '\0' || a.n != 0))
    abort();
  for (i = 0; i < a.n; i++)
    same_record(&a.recs[i], &b.recs[i]);
out:
  push_req_release(&a);
  push_req_release(&b);
}

static void page_both(const char *text, size_t size)
{
  struct changes_page a, b;
  struct sb_err ea = {0}, eb = {0};
  int ra, rb;
  size_t i;

  changes_page_init(&a);
  changes_page_init(&b);
  ra = changes_page_decode(&a, text, size, &ea);
  rb = changes_page_decode_tree(&b, text, size, &eb);
  if (ra == SB_ENOMEM || rb == SB_ENOMEM)
    goto out;
  if (ra != rb || a.n != b.n)
    abort();
  if (ra != 0) {
    if (ea.code != ra || ea.msg[0] == '\0')
      abort();
    goto out;
  }
  if (a.more != b.more || a.next != b.next ||
      (a.scope == NULL) != (b.scope == NULL) ||
      (a.scope != NULL && strcmp(a.scope, b.scope) != 0))
    abort();
  for (i = 0; i < a.n; i++) {
    if (a.c[i].seq != b.c[i].seq || a.c[i].gone != b.c[i].gone)
      abort();
    same_record(&a.c[i].rec, &b.c[i].rec);
  }
out:
  changes_page_release(&a);
  changes_page_release(&b);
}

/* Aborts unless r's compact form reads back, by both decoders, as r. */
static void compact_back(const struct record *r)
{
  char *text = record_encode_compact(r);
  struct record a, b;
  int ra, rb;

  if (text == NULL)
    return;
  record_init(&a, "", "");
  record_init(&b, "", "");
  ra = record_decode(&a, text, strlen(text), NULL);
  rb = record_decode_tree(&b, text, strlen(text), NULL);
  if (ra != SB_ENOMEM && rb != SB_ENOMEM) {
    if (ra != 0 || rb != 0)
      abort();
    same_record(r, &a);
    same_record(r, &b);
  }
  record_release(&a);
  record_release(&b);
  free(text);
}

static void state_both(const char *text, size_t size)
{
  struct record a, b;
  struct sb_err ea = {0}, eb = {0};
  int ra, rb;

  record_init(&a, "", "");
  record_init(&b, "", "");
  ra = record_decode(&a, text, size, &ea);
  rb = record_decode_tree(&b, text, size, &eb);
  if (ra == SB_ENOMEM || rb == SB_ENOMEM)
    goto out;
  if (ra != rb || (ra != 0 && (ea.code != ra || ea.msg[0] == '\0')))
    abort();
  if (ra == 0) {
    same_record(&a, &b);
    compact_back(&a);
  } else if (!record_empty(&a) || record_nfields(&a) != 0) {
    abort();
  }
out:
  record_release(&a);
  record_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  state_both((const char *)data, size);
  push_both((const char *)data, size);
  page_both((const char *)data, size);
  return 0;
}
