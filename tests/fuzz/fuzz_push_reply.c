/*
 * fuzz_push_reply.c - push_reply_decode (and error_decode, the other
 * reply a pushing device reads) on arbitrary bytes. An accepted reply must
 * survive encode + decode unchanged, and its encoding be a fixed point.
 */
#include "compat.h"

#include "proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_result(const struct push_result *x,
                        const struct push_result *y)
{
  return strcmp(x->collection, y->collection) == 0 &&
         strcmp(x->id, y->id) == 0 && x->ok == y->ok && x->seq == y->seq &&
         strcmp(x->code, y->code) == 0 && strcmp(x->message, y->message) == 0;
}

/* error_decode must accept what error_encode makes of it. */
static void check_error_envelope(const uint8_t *data, size_t size)
{
  char code[32], msg[SB_ERR_MSG_MAX], code2[32], msg2[SB_ERR_MSG_MAX];
  char *text;

  if (error_decode((const char *)data, size, code, sizeof(code), msg,
                         sizeof(msg)) != 0)
    return;
  text = error_encode(code, msg);
  if (text == NULL)
    abort();
  if (error_decode(text, strlen(text), code2, sizeof(code2), msg2,
                         sizeof(msg2)) != 0)
    abort();
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct push_reply a, b;
  struct sb_err err = {0};
  char *text, *again;
  size_t i;
  int rc;

  check_error_envelope(data, size);
  push_reply_init(&a);
  push_reply_init(&b);
  rc = push_reply_decode(&a, (const char *)data, size, &err);
  if (rc != 0) {
    if (rc != SB_EPROTOCOL || err.code != rc || err.msg[0] == '\0')
      abort();
    goto out;
  }
  text = push_reply_encode(&a);
  if (text == NULL)
    abort();
  if (push_reply_decode(&b, text, strlen(text), &err) != 0 || b.n != a.n ||
      b.last_seq != a.last_seq)
    abort();
  for (i = 0; i < a.n; i++) {
    if (!same_result(&a.res[i], &b.res[i]))
      abort();
  }
  again = push_reply_encode(&b);
  if (again == NULL || strcmp(again, text) != 0)
    abort();
  free(again);
  free(text);
out:
  push_reply_release(&a);
  push_reply_release(&b);
  return 0;
}
