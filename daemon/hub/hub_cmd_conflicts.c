/*
 * hub_cmd_conflicts.c - `sambang-hub conflicts`: the records in conflict
 * at the hub and those needing review, and with --values what competes
 * (the device CLI's `conflicts` lines, the writers named by device).
 */
#include "compat.h"

#include "hub_cmd.h"

#include "hub_device_names.h"
#include "schema.h"
#include "value_view.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const usage_conflicts = N_(
    "usage: sambang-hub [--db PATH] conflicts [--values | --no-values]\n"
    "\n"
    "Lists the records in conflict, one per line: COLLECTION, ID and the\n"
    "fields holding several values (\"(deleted)\" when a delete met an edit\n"
    "it had not seen), separated by tabs. A live record whose merged values\n"
    "break a rule of the hub's schema (a required field missing, personal\n"
    "details while consent is not true) needs review: COLLECTION, ID and\n"
    "\"(needs review) RULE\"; devices holding the same state list it alike.\n"
    "With --values (the default when standard output is a terminal;\n"
    "--no-values turns it off) each record in conflict is followed by\n"
    "indented lines, one per value: \"  FIELD [N] VALUE  (device NAME,\n"
    "YYYY-MM-DD HH:MM:SS)\", as `sambang conflicts` prints them but with the\n"
    "device's name (its replica id if no enrolled device has it), the value\n"
    "readers see now marked (shown), the time the device's (in local time);\n"
    "and \"  (deleted)  (device NAME, TIME)\" for each delete that met an\n"
    "edit. The office dashboard's conflict queue shows the same.\n");

struct walk {
  const struct schema *schema;
  const struct hub_device_names *names; /* NULL: no values */
};

static const char *who(const char *replica, void *ctx)
{
  return hub_device_names_find(ctx, replica);
}

/* A record's siblings line (see usage_conflicts), if it has siblings,
 * and with values the lines beneath it. */
static void print_siblings(const struct record *r,
                           const struct hub_device_names *nm)
{
  char when[32];
  size_t i;

  if (!record_conflicted(r))
    return;
  view_conflict_lines(r, nm != NULL, who, (void *)nm);
  for (i = 0; nm != NULL && record_delete_conflict(r) && i < record_ntombs(r);
       i++) {
    const struct entry *e = record_tomb_at(r, i);
    const char *name = hub_device_names_find(nm, e->dot.replica);
    view_time(e->ts, when, sizeof(when));
    printf(_("  (deleted)  (device %s, %s)\n"),
           name != NULL ? name : e->dot.replica, when);
  }
}

/* Siblings first, then the review line. */
static int print_conflict(const struct record *r, uint64_t seq, void *ctx)
{
  const struct walk *w = ctx;
  char why[SB_ERR_MSG_MAX];

  (void)seq;
  print_siblings(r, w->names);
  if (schema_review(schema_collection(w->schema, r->collection), r, why,
                    sizeof(why)) == 1)
    printf(_("%s\t%s\t(needs review) %s\n"), r->collection, r->id, why);
  return 0;
}

int hub_cmd_conflicts(const char *db, int argc, char **argv)
{
  struct hub_device_names nm = {NULL, 0, 0};
  struct sb_err err = {0};
  struct hub_store *hs;
  struct walk w;
  bool values = isatty(STDOUT_FILENO);
  int i, rc;

  for (i = 0; i < argc; i++) {
    if (hub_cmd_is_help(argv[i])) {
      fputs(_(usage_conflicts), stdout);
      return 0;
    }
    if (strcmp(argv[i], "--values") == 0)
      values = true;
    else if (strcmp(argv[i], "--no-values") == 0)
      values = false;
    else
      return hub_cmd_usage_error(usage_conflicts, "%s: unexpected argument %s",
                                 "conflicts", argv[i]);
  }
  rc = hub_cmd_open_store(db, &hs);
  if (rc != 0)
    return rc;
  w.schema = hub_store_schema(hs);
  w.names = values ? &nm : NULL;
  if (values)
    rc = hub_device_names_load(hs, &nm, &err);
  if (rc == 0)
    rc = hub_store_each(hs, print_conflict, &w, &err);
  hub_store_close(hs);
  hub_device_names_free(&nm);
  return rc != 0 ? hub_cmd_fail(rc, &err) : 0;
}
