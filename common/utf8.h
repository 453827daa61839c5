/* utf8.h - UTF-8 validation (RFC 3629: no overlongs, surrogates, > U+10FFFF).
 */
#ifndef SAMBANG_UTF8_H
#define SAMBANG_UTF8_H

#include "compat.h"

/* True if s[0..len) is valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

/*
 * If s starts with a character a terminal would act on rather than show
 * (a C1 control, U+0080..U+009F, such as CSI; or a bidirectional
 * formatting character: U+200E, U+200F, U+202A..U+202E, U+2066..U+2069,
 * which reorder the text around them), its code point in *cp and its
 * length in bytes; else 0.
 */
size_t utf8_hidden_control(const char *s, unsigned *cp);

/*
 * The length of the UTF-8 byte order mark s[0..len) starts with (3), else
 * 0. Windows editors and spreadsheets start the files they save with one;
 * readers of a file's first line leave it out (RFC 8259 lets a JSON
 * parser ignore it).
 */
size_t utf8_bom_len(const char *s, size_t len);

#endif
