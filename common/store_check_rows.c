/*
 * store_check_rows.c - a device's full check reads every record (store.h,
 * store_check_rows): a row SQLite finds sound may still hold a state no
 * writer makes (a bit flipped inside a page, a file edited by hand, a
 * buggy older writer). Every read of it fails, and the hub refuses it with
 * its whole batch, so it is damage like a broken page: the store is
 * marked, and `sambang recover` rebuilds a device's store without that
 * row (a hub's store comes back from its backup, as for a broken page).
 */
#include "compat.h"

#include "store_int.h"

#include "i18n.h"
#include "record.h"

#include <stdio.h>
#include <string.h>

/* Why the state text of row (collection, id) is no record of that key
 * ("" if it is one); SB_ENOMEM if that could not be told. */
static int row_problem(const char *collection, const char *id, const char *text,
                       size_t len, char *why, size_t n)
{
  struct record r;
  struct sb_err err = {0};
  int rc;

  why[0] = '\0';
  record_init(&r, collection, id);
  rc = record_decode(&r, text, len, &err);
  if (rc == SB_ENOMEM)
    return rc;
  if (rc != 0)
    snprintf(why, n, _("record %s/%s cannot be read (%s)"), collection, id,
             err.msg);
  else if (strcmp(r.collection, collection) != 0 || strcmp(r.id, id) != 0)
    snprintf(why, n, _("record %s/%s holds the state of %s/%s"), collection, id,
             r.collection, r.id);
  record_release(&r);
  return 0;
}

int store_check_rows(struct store *s, store_problem_fn fn, void *ctx,
                     struct sb_err *err)
{
  sqlite3_stmt *st = NULL;
  char why[600], first[600] = "";
  unsigned bad = 0;
  bool nomem = false;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT collection, id, state FROM records "
                              "ORDER BY collection, id",
                              -1, &st, NULL);

  if (rc != SQLITE_OK)
    return store_sqlerr(s, rc, "reading the records to check them", err);
  while (!nomem && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *coll = (const char *)sqlite3_column_text(st, 0);
    const char *id = (const char *)sqlite3_column_text(st, 1);
    const char *text = (const char *)sqlite3_column_text(st, 2);
    size_t len = (size_t)sqlite3_column_bytes(st, 2);

    if (coll == NULL || id == NULL || text == NULL)
      snprintf(why, sizeof(why), "%s",
               _("a record row without its collection, id or state"));
    else
      nomem = row_problem(coll, id, text, len, why, sizeof(why)) != 0;
    if (nomem || why[0] == '\0')
      continue;
    if (bad++ == 0)
      snprintf(first, sizeof(first), "%s", why);
    if (fn != NULL)
      fn(why, ctx);
  }
  sqlite3_finalize(st);
  if (nomem)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (rc != SQLITE_DONE)
    return store_sqlerr(s, rc, "reading the records to check them", err);
  if (bad == 0)
    return 0;
  store_mark_corrupt(s, first);
  return sb_err_set(err, SB_ECORRUPT,
                    "store %s: %u record(s) cannot be read (first: %s); "
                    "writes are refused until `sambang check` (on a hub: "
                    "`sambang-hub check`) passes; `sambang recover` "
                    "rebuilds a device's store from the hub without them",
                    s->path, bad, first);
}
