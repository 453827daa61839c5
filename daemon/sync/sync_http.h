/*
 * sync_http.h - one HTTP exchange at a time through libcurl's multi
 * interface, driven by a libuv loop (the sync engine's transport).
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one
 * uv_poll per socket) and when to call it back (CURLMOPT_TIMERFUNCTION:
 * one uv_timer). The multi keeps connections alive between exchanges.
 */
#ifndef SAMBANG_SYNC_HTTP_H
#define SAMBANG_SYNC_HTTP_H

#include "compat.h"

#include "buf.h"

#include <curl/curl.h>
#include <uv.h>

struct sync_http;

/* What came back. body is owned by the sync_http (valid until the next
 * exchange); status 0 means no HTTP answer (see curl and error). */
struct http_reply {
  CURLcode curl;
  long status;
  const char *body;
  size_t len;
  int64_t retry_after_s; /* -1: none */
  const char *error;     /* curl's message when curl != CURLE_OK */
  bool untrusted;      /* the hub's certificate or key was refused (chain, host
                          name, dates, pin): no request byte was sent */
  bool too_large;      /* the reply passed what a device accepts and was
                          dropped: the hub was reached */
  bool body_sent;      /* the whole request went out: the hub may have acted
                          on it (false: it cannot have) */
  uint64_t bytes_up;   /* request body bytes on the wire */
  uint64_t json_up;    /* the request body before gzip */
  uint64_t bytes_down; /* response body bytes on the wire */
  uint64_t hub_ms;     /* the hub's clock (PROTO_TIME_HEADER); 0: none */
  bool compact_ok;     /* the hub reads the compact form (PROTO_FORMS_HEADER) */
  bool page_hint;      /* a changes page named its next and more in headers
                          (PROTO_NEXT_HEADER, PROTO_MORE_HEADER): */
  bool page_more;
  uint64_t page_next;
  /* the hub store's generation (PROTO_GENERATION_HEADER): 16 hex
   * digits, "" if the reply had none (or a malformed one) */
  char generation[17];
  uint64_t sent_ms; /* our wall clock when the exchange started */
  uint64_t recv_ms; /* and when it ended */
};

typedef void (*http_done_fn)(const struct http_reply *reply, void *ctx);

struct http_request {
  const char *method; /* "GET" or "POST" */
  const char *url;
  const char *token;   /* bearer token */
  const char *replica; /* Sambang-Replica header */
  const char *ca_file; /* NULL: ca_pem, else the system's */
  const char *ca_pem;  /* CA certificates as PEM text (if no ca_file) */
  const char *pin;     /* CURLOPT_PINNEDPUBLICKEY; NULL: none */
  const char *body;    /* POST: JSON, copied */
  size_t len;
  const char *content_type; /* the body's; NULL: application/json */
  bool gzip;                /* compress the body, accept gzip replies */
  const char *marks;        /* PROTO_MARKS_HEADER's value; NULL: none */
  const char *chain;        /* PROTO_CHAIN_HEADER's value; NULL: none */
  long connect_timeout_s;
  long timeout_s; /* whole exchange */
};

/* Makes the transport on loop. NULL on ENOMEM or a curl failure. */
struct sync_http *sync_http_new(uv_loop_t *loop);

/*
 * Starts one exchange; done is called from the loop when it ends (never
 * from inside this call). Only one exchange runs at a time.
 * SB_EBUSY if one is running, SB_ENOMEM, SB_EIO if curl refuses.
 */
int sync_http_start(struct sync_http *h, const struct http_request *rq,
                    http_done_fn done, void *ctx);

/* True while an exchange runs. */
bool sync_http_busy(const struct sync_http *h);

/* True once the running exchange's request body is on the wire whole
 * (or no exchange runs). */
bool sync_http_sent(const struct sync_http *h);

/* Takes the body of the reply being handed to done (from inside done):
 * the caller owns it (NUL-terminated, freed with free) and the reply's
 * body pointer stays valid as this copy's; NULL if out of memory. Lets a
 * reply outlive the next exchange without copying it. */
char *sync_http_take_reply(struct sync_http *h, size_t *len);

/* Aborts the running exchange, if any; its done is not called. */
void sync_http_abort(struct sync_http *h);

/* Aborts and closes everything; closed(ctx) is called once all handles
 * are closed, and the struct is freed then. */
void sync_http_close(struct sync_http *h, void (*closed)(void *ctx), void *ctx);

#endif
