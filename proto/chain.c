/*
 * chain.c - the Sambang-Push-Chain header (PROTOCOL.md, "Push chain"):
 * the value a device's pushes move the hub to, so that a second store
 * writing as the same device (a copy) is refused before it merges. Strict:
 * exactly "PREV NEXT SINCE": PREV and NEXT PROTO_CHAIN_LEN lowercase hex
 * digits each (PREV "-" for a device with no acknowledged push yet, PREV
 * not NEXT), SINCE a decimal without leading zeros, at most
 * SB_COUNTER_MAX.
 */
#include "compat.h"

#include "proto.h"
#include "vv.h"

#include <stdio.h>
#include <string.h>

void proto_chain_encode(const struct proto_chain *c,
                        char out[PROTO_CHAIN_TEXT_MAX + 1])
{
  snprintf(out, PROTO_CHAIN_TEXT_MAX + 1, "%s %s %llu",
           c->prev[0] != '\0' ? c->prev : "-", c->next,
           (unsigned long long)c->since);
}

bool proto_chain_valid(const char *v)
{
  size_t i;

  for (i = 0; i < PROTO_CHAIN_LEN; i++)
    if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
      return false;
  return v[i] == '\0';
}

/* Reads PROTO_CHAIN_LEN hex digits at *p, then a blank, into out. */
static bool read_value(const char **p, char *out)
{
  memcpy(out, *p, PROTO_CHAIN_LEN);
  out[PROTO_CHAIN_LEN] = '\0';
  if (strlen(out) != PROTO_CHAIN_LEN || !proto_chain_valid(out) ||
      (*p)[PROTO_CHAIN_LEN] != ' ')
    return false;
  *p += PROTO_CHAIN_LEN + 1;
  return true;
}

/* Reads the decimal that ends the text at p into *v. */
static bool read_since(const char *p, uint64_t *v)
{
  size_t digits = 0;
  uint64_t x = 0;

  while (p[digits] >= '0' && p[digits] <= '9') {
    if (digits == 16)
      return false;
    x = x * 10 + (uint64_t)(p[digits] - '0');
    digits++;
  }
  if (digits == 0 || (digits > 1 && p[0] == '0') || p[digits] != '\0' ||
      x > SB_COUNTER_MAX)
    return false;
  *v = x;
  return true;
}

int proto_chain_decode(const char *text, struct proto_chain *out,
                       struct sb_err *err)
{
  struct proto_chain c;
  const char *p = text;
  bool ok;

  memset(&c, 0, sizeof(c));
  if (p[0] == '-' && p[1] == ' ') {
    p += 2;
    ok = true;
  } else {
    ok = strnlen(p, PROTO_CHAIN_LEN + 1) > PROTO_CHAIN_LEN &&
         read_value(&p, c.prev);
  }
  ok = ok && strnlen(p, PROTO_CHAIN_LEN + 1) > PROTO_CHAIN_LEN &&
       read_value(&p, c.next) && strcmp(c.prev, c.next) != 0 &&
       read_since(p, &c.since);
  if (!ok)
    return sb_err_set(err, SB_EPROTOCOL,
                      "header %s must be \"PREV NEXT SINCE\" (%d lowercase "
                      "hex digits each, PREV \"-\" for none, PREV not NEXT; "
                      "SINCE a cursor), got \"%.120s\"",
                      PROTO_CHAIN_HEADER, PROTO_CHAIN_LEN, text);
  *out = c;
  return 0;
}
