/*
 * gzip.h - gzip bodies both ways (RFC 1952, with zlib).
 *
 * The hub inflates request bodies sent with "Content-Encoding: gzip" under
 * a cap (a small gzip body can inflate to gigabytes), and deflates replies
 * for clients that send "Accept-Encoding: gzip".
 */
#ifndef SAMBANG_GZIP_H
#define SAMBANG_GZIP_H

#include "compat.h"

#include "err.h"

/*
 * Inflates the gzip data in[0..len) (one member or several) into *out,
 * malloc'd and NUL-terminated, *out_len bytes. SB_ETOOBIG if it inflates to
 * more than max bytes, SB_EPROTOCOL if it is not well-formed gzip data,
 * SB_ENOMEM. On error *out is NULL.
 */
int gzip_inflate(const void *in, size_t len, size_t max, char **out,
                 size_t *out_len, struct sb_err *err);

/* Compresses in[0..len) as one gzip member into *out (malloc'd). */
int gzip_deflate(const void *in, size_t len, char **out, size_t *out_len,
                 struct sb_err *err);

/*
 * The same, fed piece by piece: what gzip_deflate makes of the pieces'
 * concatenation, without the whole input ever in one buffer (a reply
 * encoded straight into its compressed form stays in cache).
 * gzip_stream_new returns NULL when out of memory; a failed write is
 * remembered and reported by gzip_stream_end, which frees the stream.
 */
struct gzip_stream;
struct gzip_stream *gzip_stream_new(void);
void gzip_stream_write(struct gzip_stream *g, const void *in, size_t len);
int gzip_stream_end(struct gzip_stream *g, char **out, size_t *out_len,
                    struct sb_err *err);

/*
 * True if an Accept-Encoding header value (NULL: absent) accepts gzip:
 * a "gzip", "x-gzip" or "*" token whose q is not 0.
 */
bool gzip_accepted(const char *accept_encoding);

#endif
