/*
 * store_check_rows.c - the full check reads every record (store.h,
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
  else if (!record_is(&r, collection, id))
    snprintf(why, n, _("record %s/%s holds the state of %s/%s"), collection, id,
             r.collection, r.id);
  record_release(&r);
  return 0;
}

/* What the walk has found. */
struct rows_check {
  store_problem_fn fn;
  void *ctx;
  unsigned bad;
  char first[600];
};

static int check_row(const char *collection, const char *id, uint64_t seq,
                     const char *text, size_t len, void *arg)
{
  struct rows_check *c = arg;
  char why[600];
  int rc = row_problem(collection, id, text, len, why, sizeof(why));

  (void)seq;
  if (rc != 0 || why[0] == '\0')
    return rc;
  if (c->bad++ == 0)
    snprintf(c->first, sizeof(c->first), "%s", why);
  if (c->fn != NULL)
    c->fn(why, c->ctx);
  return 0;
}

int store_check_rows(struct store *s, store_problem_fn fn, void *ctx,
                     struct sb_err *err)
{
  struct rows_check c = {fn, ctx, 0, ""};
  int rc = store_each_text(s, NULL, check_row, &c, err);

  if (rc == SB_ENOMEM)
    return sb_err_set(err, rc, NULL);
  if (rc != 0 || c.bad == 0)
    return rc;
  store_mark_corrupt(s, c.first);
  return sb_err_set(err, SB_ECORRUPT,
                    "store %s: %u record(s) cannot be read (first: %s); "
                    "writes are refused until `sambang check` (on a hub: "
                    "`sambang-hub check`) passes; `sambang recover` "
                    "rebuilds a device's store from the hub without them",
                    s->path, c.bad, c.first);
}
