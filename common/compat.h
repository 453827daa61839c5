/*
 * compat.h - the one header every .c file includes first.
 *
 * We build as strict C11 (extensions off), so the POSIX and BSD interfaces
 * we use (getline, getrandom, fsync, ...) and libuv's pthread types must be
 * asked for explicitly, before any system header is seen.
 */
#ifndef SAMBANG_COMPAT_H
#define SAMBANG_COMPAT_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

/* A function only error paths call: kept out of line, so that the hot
 * code that may call it (a decoder's step per JSON event) does not carry
 * its frame and registers. */
#if defined(__GNUC__)
#define SB_COLD __attribute__((cold, noinline))
#else
#define SB_COLD
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#endif
