/*
 * list_ref.c - list filters through a reference.
 *
 * `visit list --kecamatan Setu` keeps the visits whose beneficiary lives
 * in Setu: a collection with a ref field (visit.beneficiary) takes, on
 * list, the options of the referenced collection's enum, enum_list and
 * text fields that it does not have itself (--kecamatan, --group, --name),
 * and a record matches when the record it refers to does (read with
 * store_get; a missing or deleted one matches nothing). Values are read
 * like the referenced collection's own options (case, comma lists, text
 * by substring ignoring case and accents).
 */
#include "compat.h"

#include "cli.h"

#include "json.h"

#include <stdlib.h>
#include <string.h>

/* The field of collection t whose option is name, if it can filter. */
static const struct schema_field *
target_field(const struct schema_collection *t, const char *name)
{
  size_t i;
  for (i = 0; t != NULL && i < t->nfields; i++) {
    const struct schema_field *f = &t->fields[i];
    if (strcmp(f->option, name) == 0 &&
        (f->type == SCHEMA_ENUM || f->type == SCHEMA_ENUM_LIST ||
         f->type == SCHEMA_STRING))
      return f;
  }
  return NULL;
}

/* The name of option argument a ("--kecamatan" or "--kecamatan=X"). */
static bool option_name(const char *a, char *out, size_t size)
{
  size_t n;
  if (strncmp(a, "--", 2) != 0)
    return false;
  n = strcspn(a + 2, "=");
  if (n == 0 || n >= size)
    return false;
  memcpy(out, a + 2, n);
  out[n] = '\0';
  return true;
}

int list_ref_opt(const struct schema *s, const struct schema_collection *c,
                 int argc, char **argv, int *i, struct ref_filter *rf,
                 struct sb_err *err)
{
  char name[SB_NAME_MAX + 1];
  const char *v;
  size_t k;
  int rc;

  if (s == NULL || !option_name(argv[*i], name, sizeof(name)) ||
      schema_field(c, name) != NULL)
    return 0;
  for (k = 0; k < c->nfields; k++) {
    const struct schema_field *ref = &c->fields[k], *f;
    cJSON *want;

    if (ref->type != SCHEMA_REF || strcmp(ref->option, name) == 0)
      continue;
    f = target_field(schema_collection(s, ref->ref), name);
    if (f == NULL)
      continue;
    if ((rc = util_opt(argc, argv, i, name, &v, err)) <= 0)
      return rc;
    memset(rf, 0, sizeof(*rf));
    rf->ref = ref;
    if (f->type == SCHEMA_STRING)
      rc = filter_text(&rf->f, f->name, v, err);
    else if ((want = cmd_value_from_arg(f, v, err)) == NULL)
      rc = err != NULL && err->code != 0 ? err->code : SB_ESCHEMA;
    else {
      rc = filter_value(&rf->f, f->name, want, err);
      cJSON_Delete(want);
    }
    return rc == 0 ? 1 : rc;
  }
  return 0;
}

/* 1 if the records r refers to pass all n filters, 0 if not, or the
 * error that kept it from telling (SB_ENOMEM, the store's). */
static int refs_match(struct cli *cli, const struct ref_filter *rf, size_t n,
                      const struct record *r)
{
  size_t i;
  for (i = 0; i < n; i++) {
    const struct field *fld = record_field(r, rf[i].ref->name);
    struct record target;
    cJSON *id = NULL;
    int got = SB_ENOTFOUND, ok = 0;

    if (fld == NULL)
      return 0;
    if (json_parse_held(record_field_winner(fld)->value, &id) != 0)
      return SB_ENOMEM;
    memset(&target, 0, sizeof(target));
    if (cJSON_IsString(id)) {
      record_init(&target, rf[i].ref->ref, id->valuestring);
      got =
          store_get(cli->store, rf[i].ref->ref, id->valuestring, &target, NULL);
    }
    if (got == 0)
      ok = record_deleted(&target) ? 0 : filter_match(&rf[i].f, 1, &target);
    else if (got != SB_ENOTFOUND)
      ok = got; /* the store's failure: the list stops on it */
    record_release(&target);
    cJSON_Delete(id);
    if (ok != 1)
      return ok;
  }
  return 1;
}

int list_shows(struct cli *cli, const struct filter *f, size_t nf,
               const struct ref_filter *rf, size_t nr, const struct record *r,
               struct sb_err *err)
{
  int ok;

  if (record_deleted(r))
    return 0;
  ok = filter_match(f, nf, r);
  if (ok == 1)
    ok = refs_match(cli, rf, nr, r);
  if (ok < 0)
    return sb_err_set(err, ok, "cannot match %s against the filters", r->id);
  return ok;
}

void list_ref_release(struct ref_filter *rf, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    filter_release(&rf[i].f, 1);
}
