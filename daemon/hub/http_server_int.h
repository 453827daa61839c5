/*
 * http_server_int.h - private declarations of the HTTP server, shared by
 * http_server.c (the loop glue, requests, replies),
 * http_server_limits.c (per-connection tracking and deadlines) and
 * http_server_framing.c (ambiguous heads). Not for use outside them.
 */
#ifndef SAMBANG_HTTP_SERVER_INT_H
#define SAMBANG_HTTP_SERVER_INT_H

#include "compat.h"

#include "http_server.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

enum conn_phase {
  CONN_HEAD, /* waiting for a request head */
  CONN_APP,  /* the application has the request: no deadline */
  CONN_BODY  /* reading a body: the rate floor applies */
};

/* One connection (MHD's socket context), on http_server.conns. */
struct http_conn {
  struct http_server *srv;
  struct MHD_Connection *conn;
  int fd;
  enum conn_phase phase;
  uint64_t since_ms; /* uv_now when the phase began */
  uint64_t bytes;    /* body bytes read in CONN_BODY */
  bool reserve;      /* accepted over max_conns */
  bool cut;          /* shut down by the sweep */
  bool served;       /* a request was served: CONN_HEAD is keep-alive idling */
  struct http_conn *prev, *next;
};

struct http_server {
  uv_loop_t *loop;
  struct MHD_Daemon *d;
  uv_poll_t poll;
  uv_timer_t timer;
  struct http_server_cfg cfg;
  uint16_t port;
  unsigned active;
  unsigned open_handles;
  struct http_req *suspended; /* list of suspended requests */
  struct http_conn *conns;    /* open connections, newest first */
  unsigned nconns;
  bool closed_in_run;          /* a connection closed during MHD_run */
  uint64_t cut_head, cut_body; /* connections cut by the sweep */
  uint64_t cut_idle;           /* keep-alive connections closed idle */
  uv_timer_t sweep;
  bool stopping;
  struct http_tls *tls; /* NULL: plain HTTP */
};

/* http_server.c */
void http_server_kick(struct http_server *s);

/* http_server_framing.c: limits of a request's head, well below MHD's
 * per-connection memory pool (32 KiB by default). */
#define HTTP_SERVER_MAX_URL 8192
#define HTTP_SERVER_MAX_HEAD 16384
/* Query parameters a request may carry (no route reads more than ~12). */
#define HTTP_SERVER_MAX_ARGS 64

/*
 * 0 if the request's head frames it unambiguously, else the status to
 * refuse it with (400 duplicate or conflicting lengths, a query parameter
 * given twice or over HTTP_SERVER_MAX_ARGS of them, a single-valued header
 * field given twice: Host, Content-Type, Content-Encoding,
 * Transfer-Encoding, Authorization, Cookie and the names of single (NULL
 * or NULL-terminated); 414 target too long, 431 header fields too large,
 * 501 a transfer coding other than chunked) and a message in
 * message[size].
 */
unsigned http_server_framing_check(struct MHD_Connection *conn, const char *url,
                                   const char *const *single, char *message,
                                   size_t size);

/* MHD's unescape callback: MHD_http_unescape, except that a path holding
 * "%00" is left escaped (it would end the C string early). */
size_t http_server_framing_unescape(void *cls, struct MHD_Connection *conn,
                                    char *uri);

/* http_server_limits.c */
struct http_conn *http_server_limits_conn_of(struct MHD_Connection *conn);
void http_server_limits_conn_phase(struct http_conn *hc, enum conn_phase phase);
void http_server_limits_on_connection(void *cls, struct MHD_Connection *conn,
                                      void **socket_context,
                                      enum MHD_ConnectionNotificationCode code);
void http_server_limits_on_sweep(uv_timer_t *t);

/* http_server_tls.c: the TLS settings (GnuTLS priorities: TLS 1.2 and
 * 1.3 only, forward-secret key exchange, AEAD ciphers) and credentials. */
#define HTTP_SERVER_TLS_PRIORITIES                                             \
  "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:"    \
  "+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:"       \
  "+ECDHE-RSA:%SERVER_PRECEDENCE"

struct http_tls;

/* Loads and checks the certificate chain and key (a mismatch, an
 * unreadable or malformed file is refused naming it). */
int http_server_tls_new(const char *cert_path, const char *key_path,
                        struct http_tls **out, struct sb_err *err);
void http_server_tls_free(struct http_tls *t);
/* MHD_OPTION_HTTPS_CERT_CALLBACK: the newest certificate and key. */
int http_server_tls_retrieve(gnutls_session_t session,
                             const gnutls_datum_t *req_ca_dn, int nreqs,
                             const gnutls_pk_algorithm_t *pk_algos,
                             int pk_algos_length, gnutls_pcert_st **pcert,
                             unsigned int *pcert_length,
                             gnutls_privkey_t *privkey);

#endif
