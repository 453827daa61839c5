/*
 * domain_check.c - the add and edit commands' own checks of the schema's
 * two rules a volunteer meets first (required fields, personal details
 * only with consent), worded in the options they typed: "give --group",
 * "--consent yes", not the field names of the JSON ("groups", "set consent
 * to true"); an edit may not clear (an empty value) a required option.
 * The write path checks the same rules again for every writer
 * (put, import, sync: schema_check_record, schema_check_kept); these only
 * say it first, in the command's words.
 */
#include "compat.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Room for every option of a collection, as "--a, --b". */
#define OPTIONS_MAX 400

/* Writes "--a, --b" to out, one per field of c that pick() takes; returns
 * how many. */
static size_t
options_where(const struct schema_collection *c, const cJSON *fields,
              bool (*pick)(const struct schema_field *, const cJSON *),
              char *out, size_t size)
{
  size_t i, n = 0, o = 0;
  out[0] = '\0';
  for (i = 0; i < c->nfields; i++) {
    const struct schema_field *f = &c->fields[i];
    int w;
    if (!pick(f, cJSON_GetObjectItemCaseSensitive(fields, f->name)))
      continue;
    w = o < size
            ? snprintf(out + o, size - o, "%s--%s", n ? ", " : "", f->option)
            : 0;
    o += w > 0 ? (size_t)w : 0;
    n++;
  }
  return n;
}

static bool missing_required(const struct schema_field *f, const cJSON *v)
{
  return f->required && (v == NULL || cJSON_IsNull(v));
}

static bool cleared_required(const struct schema_field *f, const cJSON *v)
{
  return f->required && cJSON_IsNull(v);
}

static bool personal_given(const struct schema_field *f, const cJSON *v)
{
  return f->personal && v != NULL && !cJSON_IsNull(v);
}

/* The consent option (--consent), or NULL when c has no consent field. */
static const char *consent_option(const struct schema_collection *c)
{
  const struct schema_field *f =
      c->consent != NULL ? schema_field(c, c->consent) : NULL;
  return f != NULL ? f->option : NULL;
}

int domain_check_add(const struct schema_collection *c, const cJSON *fields,
                     struct sb_err *err)
{
  char opts[OPTIONS_MAX];
  const char *consent = consent_option(c);
  int rc = 0;

  if (options_where(c, fields, missing_required, opts, sizeof(opts)) > 0)
    rc = sb_err_set(err, SB_ESCHEMA,
                    "%s add: give %s (required; see sambang %s --help)",
                    c->name, opts, c->name);
  else if (consent != NULL &&
           !cJSON_IsTrue(
               cJSON_GetObjectItemCaseSensitive(fields, c->consent)) &&
           options_where(c, fields, personal_given, opts, sizeof(opts)) > 0)
    rc = sb_err_set(err, SB_ESCHEMA,
                    "personal details (%s) need --%s yes: give it if the "
                    "person agreed, or leave them out",
                    opts, consent);
  return rc;
}

int domain_check_edit(struct cli *cli, const struct schema_collection *c,
                      const char *id, const cJSON *fields, struct sb_err *err)
{
  char opts[OPTIONS_MAX];
  const char *consent = consent_option(c);
  const cJSON *given =
      consent != NULL ? cJSON_GetObjectItemCaseSensitive(fields, c->consent)
                      : NULL;
  struct sb_err ignored = {0};
  struct record r;
  int rc = 0;

  if (options_where(c, fields, cleared_required, opts, sizeof(opts)) > 0)
    return sb_err_set(err, SB_ESCHEMA,
                      "%s edit: %s cannot be cleared (required; an empty "
                      "value clears an option)",
                      c->name, opts);
  if (consent == NULL || cJSON_IsTrue(given) ||
      options_where(c, fields, personal_given, opts, sizeof(opts)) == 0)
    return 0;
  if (given != NULL) {
    rc = sb_err_set(err, SB_ESCHEMA,
                    "personal details (%s) cannot be stored with --%s no "
                    "(give --%s yes if the person agreed, or leave them "
                    "out)",
                    opts, consent, consent);
  } else {
    /* Not given here: what the record holds decides (an unknown or
     * deleted record is the write's to refuse). */
    record_init(&r, c->name, id);
    if (util_open(cli, &ignored) == 0 &&
        store_get(cli->store, c->name, id, &r, &ignored) == 0 &&
        !record_deleted(&r) && !schema_consented(c, &r))
      rc = sb_err_set(err, SB_ESCHEMA,
                      "%s %s has no consent: personal details (%s) need "
                      "--%s yes in the same edit (give it if the person "
                      "agreed)",
                      c->name, id, opts, consent);
    record_release(&r);
  }
  return rc;
}
