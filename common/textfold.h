/*
 * textfold.h - text folded for searching: case and accents ignored.
 *
 * Uses SQLite's own Unicode tables (the FTS5 "unicode61" tokenizer with
 * remove_diacritics 2, which Debian's libsqlite3 is built with): every
 * letter case-folded, diacritics removed ("Srí" -> "sri", "Ñ" -> "n", any
 * script), words joined by single spaces, punctuation dropped. Searching
 * folds both the text and what is searched for, then compares bytes.
 *
 * Single-threaded callers only: the tokenizer lives on one hidden
 * in-memory SQLite connection per process, opened at the first call and
 * closed at exit, with no lock. Only the CLI uses it (client/filter.c);
 * the hub's and sambangd's threads must not call it (a threaded caller
 * needs a connection of its own, not this one).
 */
#ifndef SAMBANG_TEXTFOLD_H
#define SAMBANG_TEXTFOLD_H

#include "compat.h"

/* A malloc'd folded copy of the UTF-8 text s, or NULL (out of memory). */
char *textfold(const char *s);

#endif
