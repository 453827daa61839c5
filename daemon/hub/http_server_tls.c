/*
 * http_server_tls.c - the HTTP server's native TLS (libmicrohttpd on
 * GnuTLS): loading and checking a certificate chain and its key, the
 * per-handshake certificate callback, and the reload on SIGHUP.
 *
 * The certificate and key are loaded into a "generation" (a pcert list and
 * a private key). MHD asks for them at every handshake through
 * MHD_OPTION_HTTPS_CERT_CALLBACK (GnuTLS's retrieve_function2), which
 * hands out the newest generation: a reload only swaps the pointer, so the
 * connections already open (and handshakes already under way) keep the
 * generation they started with. GnuTLS does not copy what the callback
 * returns, so an older generation is kept until the server stops (a few
 * KiB per reload; certificates are renewed every few weeks at most).
 *
 * The callback finds its server through the session's pointer, which MHD
 * sets to the connection (gnutls_session_set_ptr), and the connection's
 * socket context (struct http_conn), made before any handshake byte.
 */
#include "compat.h"

#include "http_server.h"
#include "http_server_int.h"

#include "log.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TLS_MAX_FILE (1024 * 1024)
#define TLS_MAX_CHAIN 16

/* One loaded certificate chain and key. */
struct tls_gen {
  gnutls_pcert_st pcerts[TLS_MAX_CHAIN];
  unsigned npcerts;
  gnutls_privkey_t key;
  struct tls_gen *older;
};

struct http_tls {
  char *cert_path, *key_path;
  struct tls_gen *cur; /* the newest; ->older the ones before */
};

/* Reads a whole (small) file; *out is malloc'd and NUL-terminated. */
static int read_small(const char *path, const char *what, gnutls_datum_t *out,
                      struct sb_err *err)
{
  FILE *f = fopen(path, "rb");
  unsigned char *p;
  size_t n;

  out->data = NULL;
  out->size = 0;
  if (f == NULL)
    return sb_err_set(err, errno == ENOENT ? SB_ENOTFOUND : SB_EIO,
                      "cannot read the TLS %s %s: %s", what, path,
                      strerror(errno));
  p = malloc(TLS_MAX_FILE + 1);
  if (p == NULL) {
    fclose(f);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  n = fread(p, 1, TLS_MAX_FILE + 1, f);
  if (ferror(f) || n > TLS_MAX_FILE || n == 0) {
    fclose(f);
    free(p);
    return sb_err_set(err, SB_EINVAL, "cannot read the TLS %s %s: %s", what,
                      path,
                      n == 0             ? "empty"
                      : n > TLS_MAX_FILE ? "over 1 MiB"
                                         : "read error");
  }
  fclose(f);
  p[n] = '\0';
  out->data = p;
  out->size = (unsigned)n;
  return 0;
}

static void gen_free(struct tls_gen *g)
{
  unsigned i;

  if (g == NULL)
    return;
  for (i = 0; i < g->npcerts; i++)
    gnutls_pcert_deinit(&g->pcerts[i]);
  if (g->key != NULL)
    gnutls_privkey_deinit(g->key);
  free(g);
}

/* Warns about a certificate outside its validity period, and about a key
 * file others may read. */
static void gen_warn(const struct tls_gen *g, const char *cert_path,
                     const char *key_path)
{
  gnutls_x509_crt_t crt;
  struct stat st;
  time_t now = time(NULL);

  if (stat(key_path, &st) == 0 && (st.st_mode & 077) != 0)
    log_msg(LOG_LEVEL_WARN,
            "tls: the key %s may be read by other users (mode %03o): "
            "chmod 600 it",
            key_path, (unsigned)(st.st_mode & 0777));
  if (gnutls_x509_crt_init(&crt) != 0)
    return;
  if (gnutls_x509_crt_import(crt, &g->pcerts[0].cert, GNUTLS_X509_FMT_DER) ==
      0) {
    time_t until = gnutls_x509_crt_get_expiration_time(crt);
    time_t from = gnutls_x509_crt_get_activation_time(crt);
    if (until != (time_t)-1 && until < now)
      log_msg(LOG_LEVEL_WARN,
              "tls: the certificate %s has expired: devices will refuse it",
              cert_path);
    else if (from != (time_t)-1 && from > now)
      log_msg(LOG_LEVEL_WARN,
              "tls: the certificate %s is not valid yet: devices will "
              "refuse it",
              cert_path);
    else if (until != (time_t)-1 && until - now < 14 * 86400)
      log_msg(LOG_LEVEL_WARN,
              "tls: the certificate %s expires in less than 14 days",
              cert_path);
  }
  gnutls_x509_crt_deinit(crt);
}

/* Checks that the key belongs to the chain's first certificate. */
static int pair_check(const gnutls_datum_t *cert, const gnutls_datum_t *key,
                      const char *cert_path, const char *key_path,
                      struct sb_err *err)
{
  gnutls_certificate_credentials_t cred;
  int g;

  if (gnutls_certificate_allocate_credentials(&cred) != 0)
    return sb_err_set(err, SB_ENOMEM, NULL);
  g = gnutls_certificate_set_x509_key_mem2(cred, cert, key, GNUTLS_X509_FMT_PEM,
                                           NULL, 0);
  gnutls_certificate_free_credentials(cred);
  if (g == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
    return sb_err_set(err, SB_EINVAL,
                      "the TLS key %s does not belong to the certificate %s",
                      key_path, cert_path);
  if (g < 0)
    return sb_err_set(err, SB_EINVAL,
                      "the TLS certificate %s and key %s cannot be used "
                      "together: %s",
                      cert_path, key_path, gnutls_strerror(g));
  return 0;
}

/* Loads and checks a certificate chain (PEM, leaf first) and its key. */
static int gen_load(const char *cert_path, const char *key_path,
                    struct tls_gen **out, struct sb_err *err)
{
  gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};
  struct tls_gen *g = NULL;
  int rc, gr;

  *out = NULL;
  rc = read_small(cert_path, "certificate", &cert, err);
  if (rc == 0)
    rc = read_small(key_path, "key", &key, err);
  if (rc != 0)
    goto out;
  g = calloc(1, sizeof(*g));
  if (g == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto out;
  }
  g->npcerts = TLS_MAX_CHAIN;
  gr = gnutls_pcert_list_import_x509_raw(g->pcerts, &g->npcerts, &cert,
                                         GNUTLS_X509_FMT_PEM,
                                         GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
  if (gr < 0 || g->npcerts == 0) {
    g->npcerts = 0;
    rc = sb_err_set(err, SB_EINVAL,
                    "the TLS certificate %s is not a PEM certificate chain "
                    "(leaf first): %s",
                    cert_path, gr < 0 ? gnutls_strerror(gr) : "empty");
    goto out;
  }
  gr = gnutls_privkey_init(&g->key);
  if (gr == 0)
    gr = gnutls_privkey_import_x509_raw(g->key, &key, GNUTLS_X509_FMT_PEM, NULL,
                                        0);
  if (gr < 0) {
    rc = sb_err_set(err, SB_EINVAL,
                    "the TLS key %s is not an unencrypted PEM private key: %s",
                    key_path, gnutls_strerror(gr));
    goto out;
  }
  rc = pair_check(&cert, &key, cert_path, key_path, err);
  if (rc != 0)
    goto out;
  gen_warn(g, cert_path, key_path);
  *out = g;
  g = NULL;
out:
  gen_free(g);
  if (key.data != NULL) {
    memset(key.data, 0, key.size); /* no key bytes left in the heap */
    free(key.data);
  }
  free(cert.data);
  return rc;
}

int http_server_tls_new(const char *cert_path, const char *key_path,
                        struct http_tls **out, struct sb_err *err)
{
  struct http_tls *t;
  int rc;

  *out = NULL;
  t = calloc(1, sizeof(*t));
  if (t == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  t->cert_path = strdup(cert_path);
  t->key_path = strdup(key_path);
  if (t->cert_path == NULL || t->key_path == NULL) {
    http_server_tls_free(t);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  rc = gen_load(cert_path, key_path, &t->cur, err);
  if (rc != 0) {
    http_server_tls_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

void http_server_tls_free(struct http_tls *t)
{
  if (t == NULL)
    return;
  while (t->cur != NULL) {
    struct tls_gen *g = t->cur;
    t->cur = g->older;
    gen_free(g);
  }
  free(t->cert_path);
  free(t->key_path);
  free(t);
}

int http_server_tls_retrieve(gnutls_session_t session,
                             const gnutls_datum_t *req_ca_dn, int nreqs,
                             const gnutls_pk_algorithm_t *pk_algos,
                             int pk_algos_length, gnutls_pcert_st **pcert,
                             unsigned int *pcert_length,
                             gnutls_privkey_t *privkey)
{
  struct MHD_Connection *conn = gnutls_session_get_ptr(session);
  struct http_conn *hc;
  struct tls_gen *g;

  (void)req_ca_dn;
  (void)nreqs;
  (void)pk_algos;
  (void)pk_algos_length;
  hc = conn != NULL ? http_server_limits_conn_of(conn) : NULL;
  if (hc == NULL || hc->srv->tls == NULL || hc->srv->tls->cur == NULL)
    return -1; /* the handshake fails; nothing else can be done */
  g = hc->srv->tls->cur;
  *pcert = g->pcerts;
  *pcert_length = g->npcerts;
  *privkey = g->key;
  return 0;
}

int http_server_tls_reload(struct http_server *s, struct sb_err *err)
{
  struct tls_gen *g;
  int rc;

  if (s->tls == NULL)
    return sb_err_set(err, SB_EINVAL, "the server does not serve TLS");
  rc = gen_load(s->tls->cert_path, s->tls->key_path, &g, err);
  if (rc != 0)
    return rc;
  g->older = s->tls->cur;
  s->tls->cur = g;
  return 0;
}
