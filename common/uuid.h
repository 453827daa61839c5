/* uuid.h - random bytes from the OS CSPRNG, UUIDv7 record ids, replica ids. */
#ifndef SAMBANG_UUID_H
#define SAMBANG_UUID_H

#include "compat.h"

#define UUID_STR_LEN 36 /* without the NUL */

/* Fills buf with n bytes from getrandom(2). Returns 0 or SB_EIO. */
int uuid_rand_bytes(void *buf, size_t n);

/* Writes a new lowercase UUIDv7 (RFC 9562) and a NUL to out. 0 or SB_EIO. */
int uuid_v7_new(char out[UUID_STR_LEN + 1]);

/* True if s is a UUID in the canonical 8-4-4-4-12 lowercase-hex form. */
bool uuid_valid(const char *s);

/* Writes a new random replica id (16 lowercase hex digits) to out. */
int uuid_replica_id_new(char out[17]);

/* Writes n random bytes (at most UUID_RAND_HEX_MAX) as 2n lowercase hex
 * digits and a NUL to out. 0, SB_EIO, or SB_EINVAL for a larger n. */
#define UUID_RAND_HEX_MAX 32
int uuid_rand_hex(char *out, size_t n);

#endif
