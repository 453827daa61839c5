/*
 * http_server_framing.c - refusing requests whose framing is ambiguous,
 * before anything else looks at them.
 *
 * A proxy in front of the hub and the hub itself must agree on where a
 * request ends, or a second request can hide inside the first (request
 * smuggling). So a request is refused, from its head alone, when it has
 * more than one Content-Length, both Content-Length and Transfer-Encoding,
 * or a transfer coding other than plain "chunked" (libmicrohttpd would
 * wait for a body it cannot frame); likewise a query parameter or a
 * single-valued header field (Host, Authorization...) given twice, whose
 * value a proxy and the hub could each read differently. A request line
 * or head over our own limits is refused here too, so the reply is the
 * application's (the JSON envelope), not libmicrohttpd's page; the limits
 * sit well below the connection's memory pool, where libmicrohttpd would
 * answer by itself.
 *
 * The path: libmicrohttpd unescapes it in place, and "%00" would end the
 * C string early ("/v1/changes%00x" served as "/v1/changes"). The unescape
 * callback leaves a path holding "%00" as it came, so it matches no route.
 */
#include "compat.h"

#include "http_server_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Header fields read as one value (RFC 9110: not lists), which a request
 * may give once: with two, the hub would read the first and a proxy in
 * front perhaps the other (a second Authorization, Host or Cookie), so it
 * is refused, not guessed. The application adds its own (cfg). */
static const char *const single_fields[] = {MHD_HTTP_HEADER_HOST,
                                            MHD_HTTP_HEADER_CONTENT_TYPE,
                                            MHD_HTTP_HEADER_CONTENT_ENCODING,
                                            MHD_HTTP_HEADER_TRANSFER_ENCODING,
                                            MHD_HTTP_HEADER_AUTHORIZATION,
                                            MHD_HTTP_HEADER_COOKIE,
                                            NULL};

struct head_walk {
  unsigned content_lengths;
  size_t bytes;
  const char *const *more; /* the application's single fields, or NULL */
  unsigned long seen;      /* bit i: single field i was given */
  const char *twice;       /* the first single field given twice */
};

/* Notes key if it is a single field (of single_fields, then w->more). */
static void note_single(struct head_walk *w, const char *key)
{
  const char *const *lists[] = {single_fields, w->more};
  unsigned bit = 0;
  size_t l, i;

  for (l = 0; l < 2; l++)
    for (i = 0; lists[l] != NULL && lists[l][i] != NULL; i++, bit++) {
      if (bit >= sizeof(w->seen) * 8 || strcasecmp(key, lists[l][i]) != 0)
        continue;
      if (w->seen & (1ul << bit)) {
        if (w->twice == NULL)
          w->twice = lists[l][i];
      }
      w->seen |= 1ul << bit;
      return;
    }
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value)
{
  struct head_walk *w = cls;

  (void)kind;
  if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
    w->content_lengths++;
  else
    note_single(w, key);
  /* name, ": ", value, CRLF */
  w->bytes += strlen(key) + 4 + (value != NULL ? strlen(value) : 0);
  return MHD_YES;
}

/* True if te is exactly the "chunked" coding (blanks around it allowed). */
static bool chunked_only(const char *te)
{
  size_t n;

  while (*te == ' ' || *te == '\t')
    te++;
  n = strlen(te);
  while (n > 0 && (te[n - 1] == ' ' || te[n - 1] == '\t'))
    n--;
  return n == 7 && strncasecmp(te, "chunked", 7) == 0;
}

/* Adds a query argument's length ("key=value&") to *cls. */
static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value)
{
  size_t *n = cls;

  (void)kind;
  *n += strlen(key) + 2 + (value != NULL ? strlen(value) : 0);
  return MHD_YES;
}

/* The query's parameter names so far; the first given twice, if any. A
 * parameter given twice is ambiguous (the hub would read the first, a
 * proxy in front perhaps the last), so it is refused, not guessed. */
struct arg_walk {
  const char *key[HTTP_SERVER_MAX_ARGS];
  size_t n;
  const char *twice;
  bool too_many;
};

static enum MHD_Result note_arg(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *value)
{
  struct arg_walk *w = cls;
  size_t i;

  (void)kind;
  (void)value;
  for (i = 0; i < w->n; i++)
    if (strcmp(w->key[i], key) == 0) {
      w->twice = key;
      return MHD_NO;
    }
  if (w->n == HTTP_SERVER_MAX_ARGS) {
    w->too_many = true;
    return MHD_NO;
  }
  w->key[w->n++] = key;
  return MHD_YES;
}

unsigned http_server_framing_check(struct MHD_Connection *conn, const char *url,
                                   const char *const *single, char *message,
                                   size_t size)
{
  struct head_walk w = {.more = single};
  size_t target = strlen(url) + 1;
  const char *te;

  /* MHD hands the path and the query apart: the target is both. */
  MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, count_arg, &target);
  if (target > HTTP_SERVER_MAX_URL) {
    snprintf(message, size, "the request target is over %d bytes",
             HTTP_SERVER_MAX_URL);
    return 414;
  }
  {
    struct arg_walk args = {.n = 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, note_arg, &args);
    if (args.twice != NULL) {
      snprintf(message, size, "query parameter \"%.40s\" is given twice",
               args.twice);
      return 400;
    }
    if (args.too_many) {
      snprintf(message, size, "more than %d query parameters",
               HTTP_SERVER_MAX_ARGS);
      return 400;
    }
  }
  MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &w);
  if (w.bytes > HTTP_SERVER_MAX_HEAD) {
    snprintf(message, size, "the request's header fields are over %d bytes",
             HTTP_SERVER_MAX_HEAD);
    return 431;
  }
  te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                   MHD_HTTP_HEADER_TRANSFER_ENCODING);
  if (w.content_lengths > 1) {
    snprintf(message, size, "more than one Content-Length header");
    return 400;
  }
  if (w.twice != NULL) {
    snprintf(message, size, "header field %.60s is given more than once",
             w.twice);
    return 400;
  }
  if (te != NULL && w.content_lengths > 0) {
    snprintf(message, size,
             "both Content-Length and Transfer-Encoding: send one of them");
    return 400;
  }
  if (te != NULL && !chunked_only(te)) {
    snprintf(message, size,
             "Transfer-Encoding \"%.60s\" is not supported (only chunked; "
             "compress the body with Content-Encoding: gzip)",
             te);
    return 501;
  }
  return 0;
}

size_t http_server_framing_unescape(void *cls, struct MHD_Connection *conn,
                                    char *uri)
{
  (void)cls;
  (void)conn;
  if (strstr(uri, "%00") != NULL)
    return strlen(uri); /* kept escaped: no route holds "%00" */
  return MHD_http_unescape(uri);
}
