/*
 * fuzz_changes_page.c - changes_page_decode on arbitrary bytes. An accepted
 * page, re-encoded the hub's way (canonical state texts spliced in), must
 * decode to the same changes and be a fixed point of decode + encode.
 */
#include "compat.h"

#include "proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encodes p as the hub would from its stored rows (NULL on ENOMEM). */
static char *encode(const struct changes_page *p)
{
  uint64_t *seqs = calloc(p->n + 1, sizeof(*seqs));
  char **states = calloc(p->n + 1, sizeof(*states));
  bool *gone = calloc(p->n + 1, sizeof(*gone));
  char *text = NULL;
  size_t i;

  if (seqs == NULL || states == NULL || gone == NULL)
    goto out;
  for (i = 0; i < p->n; i++) {
    seqs[i] = p->c[i].seq;
    gone[i] = p->c[i].gone;
    states[i] =
        gone[i] ? changes_gone_encode(p->c[i].rec.collection, p->c[i].rec.id)
                : record_encode(&p->c[i].rec);
    if (states[i] == NULL)
      goto out;
  }
  text = changes_page_encode_scoped(seqs, (const char *const *)states, gone,
                                    p->n, p->more, p->next, p->scope);
out:
  for (i = 0; states != NULL && i < p->n; i++)
    free(states[i]);
  free(states);
  free(gone);
  free(seqs);
  return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct changes_page a, b;
  struct sb_err err = {0};
  char *text, *again;
  size_t i;
  int rc;

  changes_page_init(&a);
  changes_page_init(&b);
  rc = changes_page_decode(&a, (const char *)data, size, &err);
  if (rc != 0) {
    if (rc != SB_EPROTOCOL || err.code != rc || err.msg[0] == '\0')
      abort();
    goto out;
  }
  for (i = 1; i < a.n; i++) {
    if (a.c[i].seq <= a.c[i - 1].seq)
      abort();
  }
  text = encode(&a);
  if (text == NULL)
    abort();
  if (changes_page_decode(&b, text, strlen(text), &err) != 0 || b.n != a.n ||
      b.more != a.more || b.next != a.next ||
      (a.scope == NULL) != (b.scope == NULL) ||
      (a.scope != NULL && strcmp(a.scope, b.scope) != 0))
    abort();
  for (i = 0; i < a.n; i++) {
    char *ta = record_encode(&a.c[i].rec), *tb = record_encode(&b.c[i].rec);
    if (a.c[i].seq != b.c[i].seq || a.c[i].gone != b.c[i].gone || ta == NULL ||
        tb == NULL || strcmp(ta, tb) != 0)
      abort();
    free(ta);
    free(tb);
  }
  again = encode(&b);
  if (again == NULL || strcmp(again, text) != 0)
    abort();
  free(again);
  free(text);
out:
  changes_page_release(&a);
  changes_page_release(&b);
  return 0;
}
