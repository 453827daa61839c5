/*
 * ref.c - what a ref option of the domain commands points at.
 *
 * `visit add --beneficiary X` must name a record this device holds: X is
 * its id, a unique prefix of it, or a search of the referenced
 * collection's label field (schema.h: "label"), so volunteers can type
 * "Ibu Sari". Several matches are refused with the candidates listed; no
 * match is "not found". Reads show the label beside the id.
 */
#include "compat.h"

#include "cli.h"

#include "json.h"

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Candidates named in a message; the count goes on. */
#define REF_SHOW 5

struct ref_match {
  char id[SB_ID_MAX + 1];
  char *label; /* malloc'd or NULL */
};

struct ref_search {
  const char *arg;
  const char *label_field;
  struct ref_match by_id[REF_SHOW], exact[REF_SHOW], part[REF_SHOW];
  size_t nby_id, nexact, npart;
};

static char ascii_lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive: 0 equal, 1 s holds want, -1 neither. */
static int text_match(const char *s, const char *want)
{
  size_t n = strlen(want), i, k;
  int found = -1;

  for (i = 0; s[i] != '\0' && found < 0; i++) {
    for (k = 0; k < n && s[i + k] != '\0'; k++) {
      if (ascii_lower(s[i + k]) != ascii_lower(want[k]))
        break;
    }
    if (k == n)
      found = i == 0 && s[n] == '\0' ? 0 : 1;
  }
  return n == 0 ? -1 : found;
}

/* The winner text of r's string field name (*label malloc'd; NULL if it
 * has none): 0, or SB_ENOMEM. Never "no label" for want of memory: a
 * search by name would pass the record over and could settle on another
 * of the same name. */
static int label_of(const struct record *r, const char *name, char **label)
{
  const struct field *f = name != NULL ? record_field(r, name) : NULL;
  const struct entry *e = f != NULL ? record_field_winner(f) : NULL;
  cJSON *j = NULL;
  int rc;

  *label = NULL;
  if (e == NULL || e->value == NULL)
    return 0;
  rc = json_parse_held(e->value, &j);
  if (rc == 0 && cJSON_IsString(j) && j->valuestring[0] != '\0' &&
      (*label = strdup(j->valuestring)) == NULL)
    rc = SB_ENOMEM;
  cJSON_Delete(j);
  return rc;
}

static void match_add(struct ref_match *m, size_t *n, const struct record *r,
                      char *label)
{
  if (*n < REF_SHOW) {
    snprintf(m[*n].id, sizeof(m[*n].id), "%s", r->id);
    m[*n].label = label;
  } else {
    free(label);
  }
  (*n)++;
}

static int search_one(const struct record *r, uint64_t seq, void *arg)
{
  struct ref_search *s = arg;
  char *label;
  int how;

  (void)seq;
  if (record_deleted(r))
    return 0;
  if (label_of(r, s->label_field, &label) != 0)
    return SB_ENOMEM;
  if (strncmp(r->id, s->arg, strlen(s->arg)) == 0)
    match_add(s->by_id, &s->nby_id, r, label != NULL ? strdup(label) : NULL);
  how = label != NULL ? text_match(label, s->arg) : -1;
  if (how == 0)
    match_add(s->exact, &s->nexact, r, label);
  else if (how == 1)
    match_add(s->part, &s->npart, r, label);
  else
    free(label);
  return 0;
}

static void search_release(struct ref_search *s)
{
  size_t i;
  for (i = 0; i < REF_SHOW; i++) {
    free(s->by_id[i].label);
    free(s->exact[i].label);
    free(s->part[i].label);
  }
}

/* SB_EINVAL: arg matches n records of coll; the first ones listed. */
static int ambiguous(const struct schema_field *f, const char *arg,
                     const struct ref_match *m, size_t n, struct sb_err *err)
{
  struct buf b;
  char *list;
  size_t i;

  buf_init(&b);
  for (i = 0; i < n && i < REF_SHOW; i++) {
    buf_adds(&b, i > 0 ? ", " : "");
    buf_adds(&b, m[i].id);
    if (m[i].label != NULL) {
      buf_adds(&b, " (");
      view_escape(&b, m[i].label);
      buf_adds(&b, ")");
    }
  }
  if (n > REF_SHOW)
    buf_adds(&b, ", ...");
  list = buf_take(&b, NULL);
  if (list == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  sb_err_set(err, SB_EINVAL,
             "--%s \"%.80s\" matches %zu %s records: %s; give the id (or "
             "more of it, or of the name)",
             f->option, arg, n, f->ref, list);
  free(list);
  return SB_EINVAL;
}

int ref_resolve(struct cli *cli, const struct schema_field *f, const char *arg,
                char *out, struct sb_err *err)
{
  const struct schema_collection *rc_coll;
  struct ref_search s = {.arg = arg};
  const struct ref_match *m = NULL;
  size_t n = 0;
  int rc;

  rc = util_schema(cli, err);
  if (rc != 0)
    return rc;
  rc_coll = schema_collection(cli->schema, f->ref);
  s.label_field = rc_coll != NULL ? rc_coll->label : NULL;
  if (record_id_valid(arg) && util_live(cli, f->ref, arg)) {
    snprintf(out, SB_ID_MAX + 1, "%s", arg);
    return 0;
  }
  rc = store_each(cli->store, f->ref, search_one, &s, err);
  if (rc == SB_ENOMEM)
    sb_err_set(err, rc, NULL);
  if (rc != 0)
    goto done;
  /* An exact id, else an id prefix, else the label: same name, then part. */
  if (s.nby_id > 0) {
    m = s.by_id;
    n = s.nby_id;
  } else if (s.nexact > 0) {
    m = s.exact;
    n = s.nexact;
  } else {
    m = s.part;
    n = s.npart;
  }
  /* (two whole messages: a translation cannot splice in " or name") */
  if (n == 0 && s.label_field != NULL)
    rc = sb_err_set(err, SB_ENOTFOUND,
                    "--%s \"%.80s\": no %s on this device has that id or "
                    "name (see sambang %s list)",
                    f->option, arg, f->ref, f->ref);
  else if (n == 0)
    rc = sb_err_set(err, SB_ENOTFOUND,
                    "--%s \"%.80s\": no %s on this device has that id "
                    "(see sambang %s list)",
                    f->option, arg, f->ref, f->ref);
  else if (n > 1)
    rc = ambiguous(f, arg, m, n, err);
  else
    snprintf(out, SB_ID_MAX + 1, "%s", m[0].id);
done:
  search_release(&s);
  return rc;
}

int ref_describe(struct cli *cli, const struct schema_field *f, const char *id,
                 struct buf *b)
{
  const struct schema_collection *c = schema_collection(cli->schema, f->ref);
  struct record r;
  char *label = NULL;
  int rc;

  if (!record_id_valid(id))
    return 0;
  record_init(&r, f->ref, id);
  rc = store_get(cli->store, f->ref, id, &r, NULL);
  if (rc == SB_ENOTFOUND) {
    buf_adds(b, _(" (not on this device)"));
    rc = 0;
  } else if (rc == 0 && record_deleted(&r)) {
    buf_adds(b, _(" (deleted)"));
  } else if (rc == 0) {
    rc = label_of(&r, c != NULL ? c->label : NULL, &label);
    if (label != NULL) {
      buf_adds(b, " (");
      view_escape(b, label);
      buf_adds(b, ")");
    }
  }
  free(label);
  record_release(&r);
  return rc == SB_ENOMEM ? rc : 0;
}
