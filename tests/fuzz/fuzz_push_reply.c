/*
 * fuzz_push_reply.c - push_reply_decode (and error_decode and
 * names_decode, the other replies a syncing device reads) on arbitrary
 * bytes. It must answer as
 * push_reply_decode_tree (the cJSON path) does; an accepted reply must
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
         x->echo == y->echo && strcmp(x->code, y->code) == 0 &&
         strcmp(x->message, y->message) == 0;
}

/*
 * error_decode must accept what error_encode makes of it, with
 * the same code (if known) and record, and a refusal must say why.
 */
static void check_error_envelope(const uint8_t *data, size_t size)
{
  struct proto_error e, e2;
  struct sb_err err = {0};
  char *text;
  int rc;

  rc = error_decode(&e, (const char *)data, size, &err);
  if (rc != 0) {
    if (rc != SB_EPROTOCOL || err.code != rc || err.msg[0] == '\0')
      abort();
    return;
  }
  if (e.record < -1 || e.record >= PROTO_MAX_BATCH ||
      (e.code != PROTO_ERR_UNKNOWN &&
       strcmp(proto_err_name(e.code), e.name) != 0))
    abort();
  text = error_encode(e.code, e.record, e.message);
  if (text == NULL)
    abort();
  if (error_decode(&e2, text, strlen(text), NULL) != 0 ||
      e2.record != e.record ||
      e2.code != (e.code == PROTO_ERR_UNKNOWN ? PROTO_ERR_INTERNAL : e.code))
    abort();
  free(text);
}

/*
 * names_decode: a refusal says why and leaves nothing; an accepted reply
 * holds only device names, and encodes to a fixed point.
 */
static void check_names(const uint8_t *data, size_t size)
{
  struct proto_names a, b;
  struct sb_err err = {0};
  char *text, *again;
  size_t i;
  int rc;

  names_init(&a);
  names_init(&b);
  rc = names_decode(&a, (const char *)data, size, &err);
  if (rc != 0 &&
      (rc != SB_EPROTOCOL || err.code != rc || err.msg[0] == '\0' || a.n != 0))
    abort();
  for (i = 0; i < a.n; i++) {
    if (!proto_device_name_valid(a.v[i].name))
      abort();
  }
  if (rc == 0) {
    text = names_encode(&a);
    if (text == NULL || names_decode(&b, text, strlen(text), NULL) != 0 ||
        b.n != a.n)
      abort();
    again = names_encode(&b);
    if (again == NULL || strcmp(again, text) != 0)
      abort();
    free(again);
    free(text);
  }
  names_release(&a);
  names_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct push_reply a, b;
  struct sb_err err = {0};
  char *text, *again;
  size_t i;
  int rc;

  check_error_envelope(data, size);
  check_names(data, size);
  push_reply_init(&a);
  push_reply_init(&b);
  rc = push_reply_decode(&a, (const char *)data, size, &err);
  /* The tree-less decoder answers as the cJSON one does. */
  if (push_reply_decode_tree(&b, (const char *)data, size, NULL) != rc ||
      b.n != a.n || b.last_seq != a.last_seq)
    abort();
  for (i = 0; i < a.n; i++) {
    if (!same_result(&a.res[i], &b.res[i]))
      abort();
  }
  push_reply_release(&b);
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
