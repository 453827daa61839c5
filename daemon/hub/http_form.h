/*
 * http_form.h - a field of an application/x-www-form-urlencoded body
 * (an HTML form's POST), decoded by libmicrohttpd's unescaper.
 *
 * Pure: no connection, no state, so any thread may call it (the office
 * reads its login form on the threadpool, after the loop kept the body).
 */
#ifndef SAMBANG_HTTP_FORM_H
#define SAMBANG_HTTP_FORM_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The value of the field called name in body (len bytes, "a=1&b=2"),
 * "+" read as a space and %HH escapes decoded, copied into out (size
 * bytes, NUL-terminated). False if there is no such field, if it is given
 * twice, or if its decoded value holds a NUL byte or does not fit.
 */
bool http_form_value(const char *body, size_t len, const char *name, char *out,
                     size_t size);

#endif
