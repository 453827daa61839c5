/*
 * fuzz_changes_query.c - changes_query_parse on arbitrary parameters. The
 * input's first byte says which parameters are present (bit 0 since, 1
 * limit, 2 wait: '7' all, '0' none), the rest is split at '\n' into their
 * values. Accepted values must be in range, come from digits
 * only, and print back to text that parses to the same query. The input
 * after its first byte is also GET /v1/names' replicas list
 * (names_query_parse): accepted, it is 1-100 distinct replica ids.
 */
#include "compat.h"

#include "proto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool digits_only(const char *s)
{
  return s == NULL || (s[0] != '\0' && strspn(s, "0123456789") == strlen(s));
}

static void check_names_query(const char *text)
{
  struct proto_names nm;
  struct sb_err err = {0};
  size_t i, k;
  int rc;

  names_init(&nm);
  rc = names_query_parse(&nm, text, &err);
  if (rc != 0 && (rc != SB_EINVAL || err.msg[0] == '\0' || nm.n != 0))
    abort();
  if (rc == 0 && (nm.n < 1 || nm.n > PROTO_NAMES_MAX))
    abort();
  for (i = 0; i < nm.n; i++) {
    if (!vv_replica_id_valid(nm.v[i].replica) || nm.v[i].name[0] != '\0')
      abort();
    for (k = 0; k < i; k++) {
      if (strcmp(nm.v[i].replica, nm.v[k].replica) == 0)
        abort();
    }
  }
  names_release(&nm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf = malloc(size + 1), *part[3] = {NULL, NULL, NULL}, *p;
  char s[24], l[24], w[24];
  struct changes_query q, q2;
  struct sb_err err = {0};
  size_t i;
  int rc;

  if (buf == NULL)
    return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  check_names_query(size > 0 ? buf + 1 : NULL);
  p = size > 0 ? buf + 1 : NULL;
  for (i = 0; i < 3 && p != NULL; i++) {
    char *nl = strchr(p, '\n');
    if ((data[0] >> i) & 1)
      part[i] = p;
    if (nl != NULL)
      *nl++ = '\0';
    p = nl;
  }
  rc = changes_query_parse(&q, part[0], part[1], part[2], &err);
  if (rc != 0) {
    if (rc != SB_EPROTOCOL || err.code != rc || err.msg[0] == '\0')
      abort();
    goto out;
  }
  if (!digits_only(part[0]) || !digits_only(part[1]) || !digits_only(part[2]) ||
      q.limit < 1 || q.limit > PROTO_MAX_PAGE || q.wait_s > PROTO_MAX_WAIT_S)
    abort();
  snprintf(s, sizeof(s), "%" PRIu64, q.since);
  snprintf(l, sizeof(l), "%u", q.limit);
  snprintf(w, sizeof(w), "%u", q.wait_s);
  if (changes_query_parse(&q2, s, l, w, NULL) != 0 || q2.since != q.since ||
      q2.limit != q.limit || q2.wait_s != q.wait_s)
    abort();
out:
  free(buf);
  return 0;
}
