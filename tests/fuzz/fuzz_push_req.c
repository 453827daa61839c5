/*
 * fuzz_push_req.c - push_req_decode on arbitrary bytes. What it accepts must
 * re-encode to canonical text that decodes to the same records, and that
 * text must be a fixed point of decode + encode. A refusal's record index
 * is -1 or within the batch limit.
 */
#include "compat.h"

#include "proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encodes p's records (NULL on ENOMEM). */
static char *encode(const struct push_req *p)
{
  const struct record **ptrs = calloc(p->n + 1, sizeof(*ptrs));
  char *text;
  size_t i;
  if (ptrs == NULL)
    return NULL;
  for (i = 0; i < p->n; i++)
    ptrs[i] = &p->recs[i];
  text = push_req_encode(ptrs, p->n);
  free(ptrs);
  return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct push_req a, b;
  struct sb_err err = {0};
  char *text, *again;
  long bad = 55;
  size_t i;
  int rc;

  push_req_init(&a);
  push_req_init(&b);
  rc = push_req_decode(&a, (const char *)data, size, &bad, &err);
  if (rc != 0) {
    /* A refusal names the record at fault only if there is one. */
    if (rc != SB_EPROTOCOL || err.code != rc || err.msg[0] == '\0' ||
        bad < -1 || bad >= PROTO_MAX_BATCH)
      abort();
    goto out;
  }
  if (bad != -1)
    abort();
  if (a.n > PROTO_MAX_BATCH)
    abort();
  text = encode(&a);
  if (text == NULL)
    abort();
  if (push_req_decode(&b, text, strlen(text), NULL, &err) != 0 || b.n != a.n)
    abort();
  for (i = 0; i < a.n; i++) {
    char *ta = record_encode(&a.recs[i]), *tb = record_encode(&b.recs[i]);
    if (ta == NULL || tb == NULL || strcmp(ta, tb) != 0)
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
  push_req_release(&a);
  push_req_release(&b);
  return 0;
}
