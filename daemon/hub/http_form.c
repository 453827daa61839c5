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

bool http_form_value(const char *body, size_t len, const char *name, char *out,
                     size_t size)
{
  size_t n = strlen(name), i = 0;

  while (i < len) {
    const char *field = body + i;
    const char *amp = memchr(field, '&', len - i);
    size_t flen = amp != NULL ? (size_t)(amp - field) : len - i;

    if (flen > n && memcmp(field, name, n) == 0 && field[n] == '=') {
      size_t vlen = flen - n - 1, dlen, k;
      char *v = malloc(vlen + 1);
      bool ok;

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
    i += flen + 1;
  }
  return false;
}
