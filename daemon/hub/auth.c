/*
 * auth.c - device tokens and request authentication (see auth.h).
 *
 * Checks run in the order of PROTOCOL.md: the token first (401), then
 * revocation (403), then the replica header (400), then the binding (403).
 * The store lookup is by hash, so the token itself never meets a database
 * index; the stored hash is still compared with CRYPTO_memcmp.
 */
#include "compat.h"

#include "auth.h"

#include "log.h"
#include "uuid.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Secrets in hex with libsodium's constant-time encoder (a token's bytes
 * never steer a table lookup). */
static void to_hex(const unsigned char *in, size_t n, char *out)
{
  sodium_bin2hex(out, 2 * n + 1, in, n);
}

int auth_token_new(char token[AUTH_TOKEN_LEN + 1])
{
  unsigned char raw[AUTH_TOKEN_LEN / 2];
  int rc = uuid_rand_bytes(raw, sizeof(raw));
  if (rc != 0)
    return rc;
  to_hex(raw, sizeof(raw), token);
  return 0;
}

int auth_token_hash(const char *token, char hash[HUB_HASH_HEX_LEN + 1])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;

  if (EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL) != 1 ||
      n * 2 != HUB_HASH_HEX_LEN)
    return SB_EINTERNAL;
  to_hex(md, n, hash);
  return 0;
}

/* True if s is a token as auth_token_new makes them. */
static bool token_valid(const char *s)
{
  size_t n;
  for (n = 0; s[n] != '\0'; n++) {
    if (n == AUTH_TOKEN_LEN ||
        !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return false;
  }
  return n == AUTH_TOKEN_LEN;
}

/* The token of "Bearer TOKEN" (scheme case-insensitive), or NULL. */
static const char *bearer_token(const char *authorization)
{
  const char *p;

  if (authorization == NULL || strncasecmp(authorization, "Bearer", 6) != 0 ||
      (authorization[6] != ' ' && authorization[6] != '\t'))
    return NULL;
  p = authorization + 6;
  while (*p == ' ' || *p == '\t')
    p++;
  return *p != '\0' ? p : NULL;
}

int auth_check(struct hub_store *hs, const char *authorization,
               const char *replica, enum auth_outcome *outcome, char *message,
               size_t message_size, struct sb_err *err)
{
  char hash[HUB_HASH_HEX_LEN + 1];
  struct hub_device d;
  struct sb_err why = {0};
  const char *token = bearer_token(authorization);
  int rc;

  *outcome = AUTH_UNAUTHORIZED;
  if (authorization == NULL) {
    snprintf(message, message_size,
             "no Authorization header: send \"Authorization: Bearer TOKEN\"");
    return 0;
  }
  if (token == NULL) {
    snprintf(message, message_size,
             "the Authorization header must be \"Bearer TOKEN\"");
    return 0;
  }
  if (!token_valid(token)) {
    snprintf(message, message_size, "unknown token");
    return 0;
  }
  rc = auth_token_hash(token, hash);
  if (rc != 0) {
    *outcome = AUTH_ERROR;
    return sb_err_set(err, rc, "cannot hash the token");
  }
  rc = hub_store_device_by_token(hs, hash, &d, &why);
  if (rc == SB_ENOTFOUND) {
    snprintf(message, message_size, "unknown token");
    return 0;
  }
  if (rc != 0) {
    *outcome = AUTH_ERROR;
    if (err != NULL)
      *err = why;
    return rc;
  }
  if (CRYPTO_memcmp(d.token_hash, hash, HUB_HASH_HEX_LEN) != 0) {
    snprintf(message, message_size, "unknown token");
    return 0;
  }
  if (d.revoked) {
    *outcome = AUTH_REVOKED;
    snprintf(message, message_size,
             "the token of device %s was revoked; enrol the device again",
             d.name);
    return 0;
  }
  if (replica == NULL || !vv_replica_id_valid(replica)) {
    *outcome = AUTH_MALFORMED;
    if (replica == NULL)
      snprintf(message, message_size, "no Sambang-Replica header");
    else
      snprintf(message, message_size,
               "Sambang-Replica header \"%.40s\" is not a replica id (1 to "
               "32 of A-Z a-z 0-9 - _)",
               replica);
    return 0;
  }
  if (strcmp(d.replica, replica) != 0) {
    rc = hub_store_device_bind(hs, d.name, replica, &why);
    if (rc == SB_ECONFLICT) {
      /* The detail names other devices and replicas: for the hub's log,
       * never for whoever holds this token. */
      *outcome = AUTH_REPLICA_MISMATCH;
      log_msg(LOG_LEVEL_WARN, "device %s refused: %s", d.name, why.msg);
      snprintf(message, message_size,
               "this token cannot be used with replica id %s: it is bound "
               "to another replica (re-enrol the device, or use the store "
               "it was enrolled with)",
               replica);
      return 0;
    }
    if (rc != 0) {
      *outcome = AUTH_ERROR;
      if (err != NULL)
        *err = why;
      return rc;
    }
  }
  *outcome = AUTH_OK;
  snprintf(message, message_size, "%s", d.name);
  return 0;
}
