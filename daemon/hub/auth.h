/*
 * auth.h - device tokens and request authentication on the hub.
 *
 * A token is 32 random bytes from the OS CSPRNG in lowercase hex (64
 * characters), shown once by `sambang-hub device add`. The hub keeps only
 * its SHA-256 (OpenSSL), and compares hashes in constant time. A token is
 * bound to the replica id of its first authenticated request; from then on
 * it works only with that replica id.
 */
#ifndef SAMBANG_AUTH_H
#define SAMBANG_AUTH_H

#include "compat.h"

#include "hub_store.h"

#define AUTH_TOKEN_LEN 64

/* Makes a new token (64 hex digits + NUL). 0 or SB_EIO. */
int auth_token_new(char token[AUTH_TOKEN_LEN + 1]);

/* hash = lowercase hex SHA-256 of token. 0 or SB_EINTERNAL. */
int auth_token_hash(const char *token, char hash[HUB_HASH_HEX_LEN + 1]);

enum auth_outcome {
  AUTH_OK,
  AUTH_UNAUTHORIZED,     /* 401: no token, not Bearer, unknown token */
  AUTH_REVOKED,          /* 403 */
  AUTH_REPLICA_MISMATCH, /* 403: bound to another replica, or id taken */
  AUTH_MALFORMED,        /* 400: Sambang-Replica missing or invalid */
  AUTH_ERROR             /* the store failed: see the return code */
};

/*
 * Authenticates a request from its Authorization and Sambang-Replica
 * header values (NULL if absent), binding the token on first use. Returns
 * 0 with *outcome set and message filled for people (device name on
 * success), or a store error (then *outcome is AUTH_ERROR).
 */
int auth_check(struct hub_store *hs, const char *authorization,
               const char *replica, enum auth_outcome *outcome, char *message,
               size_t message_size, struct sb_err *err);

#endif
