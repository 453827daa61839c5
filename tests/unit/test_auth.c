/* test_auth.c - device tokens and request authentication. */
#include "check.h"

#include "auth.h"

#define R1 "00000000000000aa"
#define R2 "00000000000000bb"

TEST(sha256_and_tokens)
{
  char hash[HUB_HASH_HEX_LEN + 1], t1[AUTH_TOKEN_LEN + 1],
      t2[AUTH_TOKEN_LEN + 1];
  size_t i;

  /* FIPS 180-2 test vector. */
  CHECK_INT(auth_token_hash("abc", hash), ==, 0);
  CHECK_STR(hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_INT(auth_token_new(t1), ==, 0);
  CHECK_INT(auth_token_new(t2), ==, 0);
  CHECK_INT(strlen(t1), ==, AUTH_TOKEN_LEN);
  for (i = 0; i < AUTH_TOKEN_LEN; i++)
    CHECK(strchr("0123456789abcdef", t1[i]) != NULL);
  CHECK(strcmp(t1, t2) != 0);
}

TEST(check)
{
  char path[512], token[AUTH_TOKEN_LEN + 1], hash[HUB_HASH_HEX_LEN + 1],
      bearer[AUTH_TOKEN_LEN + 16], msg[SB_ERR_MSG_MAX];
  struct hub_store *hs = NULL;
  enum auth_outcome o;

  snprintf(path, sizeof(path), "%s/hub.db", check_tmpdir());
  CHECK_INT(
      hub_store_create(path, "{\"version\":1,\"collections\":{}}", &hs, NULL),
      ==, 0);
  CHECK_INT(auth_token_new(token), ==, 0);
  CHECK_INT(auth_token_hash(token, hash), ==, 0);
  CHECK_INT(hub_store_device_add(hs, "lap", hash, 1, "all", NULL), ==, 0);
  snprintf(bearer, sizeof(bearer), "Bearer %s", token);

#define AUTH(a, r, want)                                                       \
  do {                                                                         \
    CHECK_INT(auth_check(hs, a, r, &o, msg, sizeof(msg), NULL), ==, 0);        \
    CHECK_INT(o, ==, want);                                                    \
  } while (0)

  AUTH(NULL, R1, AUTH_UNAUTHORIZED);
  AUTH("Basic abc", R1, AUTH_UNAUTHORIZED);
  AUTH("Bearer", R1, AUTH_UNAUTHORIZED);
  AUTH("Bearer 1234", R1, AUTH_UNAUTHORIZED);
  AUTH("Bearer "
       "0000000000000000000000000000000000000000000000000000000000000000",
       R1, AUTH_UNAUTHORIZED);
  AUTH(bearer, NULL, AUTH_MALFORMED);
  AUTH(bearer, "bad id", AUTH_MALFORMED);
  /* The first good request binds; the replica then must match. */
  AUTH(bearer, R1, AUTH_OK);
  CHECK_STR(msg, "lap");
  AUTH(bearer, R1, AUTH_OK);
  AUTH(bearer, R2, AUTH_REPLICA_MISMATCH);
  bearer[0] = 'b'; /* the scheme is case-insensitive */
  AUTH(bearer, R1, AUTH_OK);
  CHECK_INT(hub_store_device_revoke(hs, "lap", NULL), ==, 0);
  AUTH(bearer, R1, AUTH_REVOKED);
#undef AUTH
  hub_store_close(hs);
}
