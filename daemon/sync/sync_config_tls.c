/*
 * sync_config_tls.c - the sync engine's TLS settings: the office CA and
 * the pinned key that `sambang init` keeps in the store's meta
 * (SYNC_META_CA, SYNC_META_PIN: the store is the one file to back up, and
 * `sambang recover` carries them over), and their checks.
 *
 * Precedence, lowest first: the system's CA store; the store's office CA;
 * ca_file from the config file or --ca-file (which replaces the store's).
 */
#include "compat.h"

#include "sync.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CA_MAX (1024 * 1024)
#define PIN_B64_LEN 44 /* base64 of 32 bytes */

int sync_config_from_store(struct sync_config *c, struct store *st,
                           struct sb_err *err)
{
  static const char *const keys[] = {"server", SYNC_META_CA, SYNC_META_PIN};
  char **slots[] = {&c->server, &c->ca_pem, &c->pin};
  char *v = NULL;
  size_t i;
  int rc;

  for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    rc = store_meta_get(st, keys[i], &v, err);
    if (rc == SB_ENOTFOUND)
      continue;
    if (rc != 0)
      return rc;
    free(*slots[i]);
    *slots[i] = v;
  }
  rc = store_token_get(st, &v, err);
  if (rc == SB_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  free(c->token);
  c->token = v;
  return 0;
}

int sync_config_check_ca(const char *pem, size_t len, struct sb_err *err)
{
  BIO *bio;
  X509 *x;
  unsigned n = 0;

  if (len == 0 || len > CA_MAX || memchr(pem, '\0', len) != NULL)
    return sb_err_set(
        err, SB_EINVAL,
        "not a PEM CA certificate (empty, over 1 MiB, or binary)");
  bio = BIO_new_mem_buf(pem, (int)len);
  if (bio == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    n++;
    X509_free(x);
  }
  BIO_free(bio);
  ERR_clear_error(); /* the end of the bundle leaves an error queued */
  if (n == 0)
    return sb_err_set(err, SB_EINVAL,
                      "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  return 0;
}

int sync_config_read_ca(const char *path, char **pem, struct sb_err *err)
{
  FILE *f = fopen(path, "rb");
  char *p;
  size_t n;
  int rc;

  *pem = NULL;
  if (f == NULL)
    return sb_err_set(err, errno == ENOENT ? SB_ENOTFOUND : SB_EIO,
                      "cannot read the CA file %s: %s", path, strerror(errno));
  p = malloc(CA_MAX + 2);
  if (p == NULL) {
    fclose(f);
    return sb_err_set(err, SB_ENOMEM, NULL);
  }
  n = fread(p, 1, CA_MAX + 1, f);
  rc = ferror(f) ? sb_err_set(err, SB_EIO, "cannot read the CA file %s", path)
                 : sync_config_check_ca(p, n, err);
  fclose(f);
  if (rc != 0) {
    if (rc != SB_EIO)
      sb_err_prefix(err, "the CA file %s", path);
    free(p);
    return rc;
  }
  p[n] = '\0';
  *pem = p;
  return 0;
}

/* True if s[0..n) is base64 of 32 bytes (43 characters and one '='). */
static bool sha256_b64(const char *s, size_t n)
{
  size_t i;

  if (n != PIN_B64_LEN || s[PIN_B64_LEN - 1] != '=')
    return false;
  for (i = 0; i + 1 < n; i++) {
    char ch = s[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
          (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
      return false;
  }
  return true;
}

int sync_config_check_pin(const char *pin, struct sb_err *err)
{
  const char *p = pin;

  for (;;) {
    size_t n = strcspn(p, ";");
    if (n < 8 || strncmp(p, "sha256//", 8) != 0 || !sha256_b64(p + 8, n - 8))
      return sb_err_set(err, SB_EINVAL,
                        "a pin must be sha256// and the base64 SHA-256 of the "
                        "hub's public key (44 characters), several joined by "
                        "';', got \"%.120s\"",
                        pin);
    if (p[n] == '\0')
      return 0;
    p += n + 1;
  }
}
