/*
 * cmd_domain_help.c - `sambang COLL --help`: the domain commands' usage and
 * one paragraph per option, made from the schema (help texts, required,
 * personal, enum values with their labels in the user's language).
 */
#include "compat.h"

#include "cli.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>

/* The metavariable of an option, by type. */
static const char *metavar(const struct schema_field *f)
{
  switch (f->type) {
  case SCHEMA_STRING:
    return "TEXT";
  case SCHEMA_BOOL:
    return "yes|no";
  case SCHEMA_INT:
    return "N";
  case SCHEMA_DATE:
    return "YYYY-MM-DD";
  case SCHEMA_ENUM:
    return "VALUE";
  case SCHEMA_ENUM_LIST:
    return "VALUE[,VALUE]";
  case SCHEMA_REF:
    return "ID";
  }
  return "VALUE";
}

static void option_help(FILE *out, const struct schema_collection *c,
                        const struct schema_field *f)
{
  const char *help;
  struct buf b;
  char *text;

  fprintf(out, "  --%s %s\n", f->option, metavar(f));
  buf_init(&b);
  help = schema_help_in(&f->help, i18n_lang());
  buf_adds(&b, help != NULL ? help : f->name);
  buf_adds(&b, ".");
  if (f->required)
    buf_adds(&b, f == cmd_domain_today_field(c)
                     ? _(" Required (add: default today).")
                     : _(" Required."));
  if (f->personal && c->consent != NULL) {
    char t[128];
    snprintf(t, sizeof(t), _(" Personal: stored only with --%s yes."),
             schema_field(c, c->consent)->option);
    buf_adds(&b, t);
  }
  if (f->type == SCHEMA_ENUM || f->type == SCHEMA_ENUM_LIST) {
    buf_adds(&b, f->type == SCHEMA_ENUM ? _(" One of: ") : _(" Any of: "));
    enum_label_list(&b, f);
    buf_adds(&b, ".");
    if (f->nlabels > 0)
      buf_adds(&b, _(" A value may be given by its label (in either "
                     "language, ignoring case and accents)."));
  }
  if (f->type == SCHEMA_REF) {
    char t[512];
    snprintf(t, sizeof(t),
             _(" The id of a %s record on this device, the start of that id, "
               "or (part of) its name; if several match, they are listed and "
               "nothing is written."),
             f->ref);
    buf_adds(&b, t);
  }
  text = buf_take(&b, NULL);
  if (text != NULL)
    view_wrap(out, text, 6, 78);
  free(text);
}

void cmd_domain_help(FILE *out, const struct schema_collection *c,
                     const char *sub)
{
  const char *help = schema_help_in(&c->help, i18n_lang());
  size_t i;
  (void)sub;
  fprintf(
      out,
      _("usage: sambang [--db PATH] [--json] %s add [--OPTION VALUE]...\n"
        "       sambang [--db PATH] [--json] %s edit ID [--OPTION VALUE]...\n"
        "       sambang [--db PATH] [--json] %s list [--OPTION VALUE]... "
        "[--limit N]%s\n"
        "       sambang [--db PATH] [--json] %s show ID\n"
        "       sambang [--db PATH] [--json] %s rm ID\n\n"),
      c->name, c->name, c->name,
      cmd_domain_today_field(c) != NULL ? " [--month YYYY-MM]" : "", c->name,
      c->name);
  if (help != NULL) {
    view_wrap(out, help, 0, 78);
    fputc('\n', out);
  }
  view_wrap(out,
            _("add records a new one and prints its id. edit changes the "
              "options given and leaves the rest (an empty value, --contact "
              "\"\", clears an optional field). list shows the records "
              "that match every option given (a text option matches records "
              "whose text holds it, ignoring case and accents: --name siti "
              "finds \"Sîti Aminah\"; a list option matches records "
              "holding all its values; others match equal values; the "
              "options of a referenced record's fields filter by that "
              "record: visit list --kecamatan Setu --group anak); --month "
              "YYYY-MM keeps records whose date is in that month (collections "
              "with a date field); --limit N lists the first N (in id order) "
              "and says when more match; --json prints JSON Lines. show prints "
              "one record, a field in conflict as \"value1 | value2 "
              "(conflict)\"; --json prints its full state. rm deletes the "
              "record and prints its id (an edit made elsewhere that this "
              "device has not seen keeps it alive, flagged as a conflict)."),
            0, 78);
  fprintf(out, _("\nOptions:\n"));
  for (i = 0; i < c->nfields; i++)
    option_help(out, c, &c->fields[i]);
}
