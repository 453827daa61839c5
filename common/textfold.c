/* textfold.c - case- and accent-folded text for searching (see textfold.h). */
#include "compat.h"

#include "textfold.h"

#include "buf.h"
#include "sqlite_setup.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* One tokenizer for the process: a private in-memory connection holds it.
 * No lock: single-threaded callers only (the CLI; see textfold.h). */
static sqlite3 *fold_db;
static fts5_tokenizer fold_api;
static Fts5Tokenizer *fold_tok;
static bool fold_tried;

/* The FTS5 API of db (NULL if FTS5 is not built in). */
static fts5_api *fts5_of(sqlite3 *db)
{
  fts5_api *api = NULL;
  sqlite3_stmt *st = NULL;

  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
  sqlite3_step(st);
  sqlite3_finalize(st);
  return api;
}

static void fold_close(void)
{
  if (fold_tok != NULL)
    fold_api.xDelete(fold_tok);
  sqlite3_close(fold_db);
}

/* Creates the unicode61 tokenizer once; false if it cannot be had. */
static bool fold_open(void)
{
  static const char *args[] = {"remove_diacritics", "2"};
  fts5_api *api;
  void *ud = NULL;

  if (fold_tried)
    return fold_tok != NULL;
  fold_tried = true;
  sqlite_setup();
  if (sqlite3_open_v2(":memory:", &fold_db, SQLITE_OPEN_READWRITE, NULL) !=
      SQLITE_OK)
    return false;
  api = fts5_of(fold_db);
  if (api == NULL ||
      api->xFindTokenizer(api, "unicode61", &ud, &fold_api) != SQLITE_OK ||
      fold_api.xCreate(ud, args, 2, &fold_tok) != SQLITE_OK) {
    fold_tok = NULL;
    sqlite3_close(fold_db);
    fold_db = NULL;
    return false;
  }
  atexit(fold_close);
  return true;
}

static int add_token(void *ctx, int flags, const char *tok, int n, int start,
                     int end)
{
  struct buf *b = ctx;
  (void)flags;
  (void)start;
  (void)end;
  if ((b->len > 0 && buf_add(b, " ", 1) != 0) ||
      buf_add(b, tok, (size_t)n) != 0)
    return SQLITE_NOMEM;
  return SQLITE_OK;
}

/* ASCII lower case only (no FTS5: never on Debian, but never fail). */
static char *fold_ascii(const char *s)
{
  char *out = strdup(s), *p;
  for (p = out; p != NULL && *p != '\0'; p++) {
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  }
  return out;
}

char *textfold(const char *s)
{
  struct buf b;
  char *out;

  if (!fold_open())
    return fold_ascii(s);
  buf_init(&b);
  if (fold_api.xTokenize(fold_tok, &b, FTS5_TOKENIZE_DOCUMENT, s,
                         (int)strlen(s), add_token) != SQLITE_OK) {
    buf_release(&b);
    return NULL;
  }
  if (buf_add(&b, "", 0) != 0) {
    buf_release(&b);
    return NULL;
  }
  out = buf_take(&b, NULL);
  return out;
}
