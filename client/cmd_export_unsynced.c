/*
 * cmd_export_unsynced.c - `sambang export --unsynced`: what this store
 * holds that the hub has not taken, as import reads it.
 *
 * The way on for a store the hub refuses as a copy of another device's
 * (copied_store: daemon/sync/DESIGN.md, "One store per device"): its
 * changes go into a new store of the machine's own enrolment (sambang
 * init, then sambang import of these lines), where they are writes of
 * that device, meeting the other copy's as conflicts, nothing lost. One
 * line per record with a change still to push or refused by the hub:
 * {"collection","fields","id"}, its values now. A deleted record is
 * skipped (import cannot delete) and counted on standard error.
 */
#include "compat.h"

#include "cli.h"

#include "i18n.h"
#include "json.h"
#include "record.h"
#include "store.h"
#include "strv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows read per walk of the pending marks. */
#define PAGE 500

struct unsynced {
  struct sb_err *err;
  uint64_t after; /* the last pending row's seq walked */
  size_t n_page;  /* rows of the last walk */
  size_t deleted; /* deleted records not printed */
};

/* One row's record as an import line. */
static int print_row(struct unsynced *u, const char *collection, const char *id,
                     const char *text, size_t len)
{
  struct record r;
  cJSON *line = NULL, *values;
  int rc;

  record_init(&r, "", "");
  rc = record_decode(&r, text, len, u->err);
  if (rc == 0 && !record_is(&r, collection, id))
    rc = sb_err_set(u->err, SB_ECORRUPT,
                    "the row of %s/%s holds another record's state", collection,
                    id);
  if (rc == 0 && record_deleted(&r)) {
    u->deleted++;
    record_release(&r);
    return 0;
  }
  if (rc == 0) {
    values = record_values(&r);
    line = cJSON_CreateObject();
    if (values == NULL || line == NULL ||
        cJSON_AddStringToObject(line, "collection", collection) == NULL ||
        cJSON_AddStringToObject(line, "id", id) == NULL ||
        !cJSON_AddItemToObject(line, "fields", values)) {
      cJSON_Delete(values);
      rc = sb_err_set(u->err, SB_ENOMEM, NULL);
    }
  }
  if (rc == 0)
    rc = util_print_json(line, u->err);
  cJSON_Delete(line);
  record_release(&r);
  return rc;
}

static int pending_one(const char *collection, const char *id, uint64_t seq,
                       const char *text, size_t len, void *ctx)
{
  struct unsynced *u = ctx;

  u->after = seq;
  u->n_page++;
  return print_row(u, collection, id, text, len);
}

/* Collects the refused rows' keys (collection, id, collection, id...):
 * the walk gives their reasons, not their states, each loaded once the
 * walk is over. */
static int rejected_one(const char *collection, const char *id, uint64_t seq,
                        const char *text, size_t len, void *ctx)
{
  (void)seq;
  (void)text;
  (void)len;
  if (strv_add(ctx, collection) != 0 || strv_add(ctx, id) != 0)
    return SB_ENOMEM;
  return 0;
}

/* Prints the refused rows. */
static int print_rejected(struct cli *cli, struct unsynced *u)
{
  struct strv k = {0};
  char *text;
  size_t i, len;
  uint64_t seq;
  int rc = store_rejected_each(cli->store, rejected_one, &k, u->err);

  if (rc == SB_ENOMEM)
    rc = sb_err_set(u->err, SB_ENOMEM, NULL);
  for (i = 0; rc == 0 && i < k.n; i += 2) {
    rc = store_get_text(cli->store, k.v[i], k.v[i + 1], &text, &len, &seq,
                        u->err);
    if (rc == 0) {
      rc = print_row(u, k.v[i], k.v[i + 1], text, len);
      free(text);
    }
  }
  strv_free(&k);
  return rc;
}

int export_unsynced(struct cli *cli, struct sb_err *err)
{
  struct unsynced u = {.err = err};
  int rc;

  do {
    u.n_page = 0;
    rc = store_pending_text(cli->store, u.after, PAGE, pending_one, &u, err);
  } while (rc == 0 && u.n_page == PAGE);
  if (rc == 0)
    rc = print_rejected(cli, &u);
  if (rc == 0 && u.deleted > 0)
    fprintf(stderr,
            _("sambang: %zu deleted records not printed (import cannot "
              "delete: delete them again in the new store)\n"),
            u.deleted);
  return rc;
}
