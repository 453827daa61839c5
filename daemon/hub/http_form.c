/*
 * http_form.c - a form field's value (http_form.h). Splitting the body on
 * "&" and "=" is ours; decoding the escapes is libmicrohttpd's
 * (MHD_http_unescape), so the hub has one URL decoder, the one that also
 * reads its query strings.
 */
#include "compat.h"

#include "http_form.h"

#include <microhttpd.h>

#include <stdlib.h>
#include <string.h>

/* Where the next field called name (n bytes) starts in body[i..len), and
 * its length in *flen; NULL if there is none. */
static const char *find_field(const char *body, size_t len, size_t i,
                              const char *name, size_t n, size_t *flen)
{
  while (i < len) {
    const char *field = body + i;
    const char *amp = memchr(field, '&', len - i);

    *flen = amp != NULL ? (size_t)(amp - field) : len - i;
    if (*flen > n && memcmp(field, name, n) == 0 && field[n] == '=')
      return field;
    i += *flen + 1;
  }
  return NULL;
}

bool http_form_value(const char *body, size_t len, const char *name, char *out,
                     size_t size)
{
  size_t n = strlen(name), flen, other, vlen, dlen, k;
  const char *field = find_field(body, len, 0, name, n, &flen);
  char *v;
  bool ok;

  /* Given twice, the field is ambiguous (which would a proxy or a script
   * in front have read?): refused, not the first taken. */
  if (field == NULL || find_field(body, len, (size_t)(field - body) + flen + 1,
                                  name, n, &other) != NULL)
    return false;
  vlen = flen - n - 1;
  v = malloc(vlen + 1);
  if (v == NULL)
    return false;
  memcpy(v, field + n + 1, vlen);
  v[vlen] = '\0';
  /* "+" first: an escaped plus (%2B) must stay a plus. */
  for (k = 0; k < vlen; k++)
    if (v[k] == '+')
      v[k] = ' ';
  dlen = MHD_http_unescape(v);
  /* A NUL in the body, or a %00, ends the C string early. */
  ok = strlen(v) == dlen && memchr(field + n + 1, '\0', vlen) == NULL &&
       dlen < size;
  if (ok)
    memcpy(out, v, dlen + 1);
  free(v);
  return ok;
}
