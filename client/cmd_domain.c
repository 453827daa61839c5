/*
 * cmd_domain.c - the commands volunteers type: `sambang beneficiary add
 * --name ... --group anak`, `sambang visit list --programme ...`.
 *
 * Nothing here knows a beneficiary from a visit: every collection the
 * store's schema defines gets add, edit, list and show, and its fields'
 * "option" names are the command-line options, converted and checked by
 * schema_value_from_arg. The writes go through write.c like `put`.
 */
#include "compat.h"

#include "cli.h"

#include "buf.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Cells of `list` are cut at this many characters. */
#define CELL_MAX 32
/* `list` shows at most this many fields, skipping long free text. */
#define LIST_COLS 6
#define LIST_TEXT_MAX 200

/* "--a, --b, ..." for messages. */
static void option_list(const struct schema_collection *c, char *out,
                        size_t size)
{
  size_t i, o = 0;
  out[0] = '\0';
  for (i = 0; i < c->nfields && o < size; i++) {
    int n = snprintf(out + o, size - o, "%s--%s", i ? ", " : "",
                     c->fields[i].option);
    if (n < 0)
      break;
    o += (size_t)n;
  }
}

/* The field whose option is name[0..len), or NULL. */
static const struct schema_field *
option_field(const struct schema_collection *c, const char *name, size_t len)
{
  size_t i;
  for (i = 0; i < c->nfields; i++) {
    const char *o = c->fields[i].option;
    if (strlen(o) == len && strncmp(o, name, len) == 0)
      return &c->fields[i];
  }
  return NULL;
}

cJSON *cmd_value_from_arg(const struct schema_field *f, const char *arg,
                          struct sb_err *err)
{
  char *values;
  cJSON *v;

  if (enum_label_values(f, arg, &values, err) != 0)
    return NULL;
  v = schema_value_from_arg(f, values, err);
  free(values);
  return v;
}

cJSON *cmd_domain_value(struct cli *cli, const struct schema_field *f,
                        const char *arg, struct sb_err *err)
{
  char id[SB_ID_MAX + 1];

  if (cli == NULL || f->type != SCHEMA_REF)
    return cmd_value_from_arg(f, arg, err);
  if (ref_resolve(cli, f, arg, id, err) != 0)
    return NULL;
  return schema_value_from_arg(f, id, err);
}

/*
 * Reads the --OPTION VALUE arguments argv[from..] into a new object of
 * field -> value (*out). An enum_list option may repeat; its values add up.
 * With cli, ref options are resolved to the id of a record held here.
 * With empty_clears (add, edit), an empty VALUE is null: the field is
 * cleared (a required one is refused by the write), not set to "".
 */
static int read_options(struct cli *cli, const struct schema_collection *c,
                        const char *cmd, int argc, char **argv, int from,
                        bool empty_clears, cJSON **out, struct sb_err *err)
{
  cJSON *fields = cJSON_CreateObject();
  char valid[400], shown[UTIL_SHOWN_MAX], name[UTIL_SHOWN_MAX];
  int i, rc = 0;

  *out = NULL;
  if (fields == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (i = from; i < argc && rc == 0; i++) {
    const char *a = argv[i], *eq, *value;
    const struct schema_field *f;
    cJSON *v, *have;
    size_t len;

    if (strncmp(a, "--", 2) != 0) {
      util_shown(a, shown);
      rc = util_usage(err,
                      "unexpected argument \"%s\" for %s (give fields as "
                      "--OPTION VALUE; see sambang %s --help)",
                      shown, cmd, c->name);
      break;
    }
    eq = strchr(a, '=');
    len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
    f = option_field(c, a + 2, len);
    if (f == NULL) {
      if (strcmp(a, "--json") == 0 || strncmp(a, "--db", 4) == 0) {
        rc = util_bad_option(cmd, a, err);
        break;
      }
      option_list(c, valid, sizeof(valid));
      /* the option's name only, "=VALUE" left out */
      snprintf(name, sizeof(name), "%.*s",
               (int)(len + 2 < sizeof(name) ? len + 2 : sizeof(name) - 1), a);
      util_shown(name, shown);
      rc = util_usage(err, "unknown option %s for %s (valid: %s)", shown, cmd,
                      valid);
      break;
    }
    if (eq != NULL) {
      value = eq + 1;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      rc = util_usage(err, "option --%s needs a value", f->option);
      break;
    }
    if (empty_clears && value[0] == '\0')
      v = cJSON_CreateNull();
    else
      v = cmd_domain_value(cli, f, value, err);
    if (v == NULL) {
      rc = err->code != 0 ? err->code : sb_err_set(err, SB_ENOMEM, NULL);
      break;
    }
    have = cJSON_GetObjectItemCaseSensitive(fields, f->name);
    if (have == NULL) {
      cJSON_AddItemToObject(fields, f->name, v);
    } else if (f->type == SCHEMA_ENUM_LIST && !cJSON_IsNull(have) &&
               !cJSON_IsNull(v)) {
      cJSON *e;
      while ((e = v->child) != NULL)
        cJSON_AddItemToArray(have, cJSON_DetachItemViaPointer(v, e));
      cJSON_Delete(v);
    } else {
      cJSON_Delete(v);
      rc = util_usage(err, "option --%s is given twice", f->option);
    }
  }
  if (rc != 0) {
    cJSON_Delete(fields);
    return rc;
  }
  *out = fields;
  return 0;
}

/* Today's local date as YYYY-MM-DD. */
static cJSON *today(void)
{
  char s[16];
  time_t now = time(NULL);
  struct tm tm;
  if (localtime_r(&now, &tm) == NULL ||
      strftime(s, sizeof(s), "%Y-%m-%d", &tm) == 0)
    return NULL;
  return cJSON_CreateString(s);
}

/* The field that defaults to today when add does not give it, or NULL. */
const struct schema_field *
cmd_domain_today_field(const struct schema_collection *c)
{
  const struct schema_field *f = schema_field(c, "date");
  return f != NULL && f->type == SCHEMA_DATE ? f : NULL;
}

/* The date of a record (today_field) may not be after today's local date. */
static int check_not_future(const struct schema_collection *c,
                            const cJSON *fields, struct sb_err *err)
{
  const struct schema_field *d = cmd_domain_today_field(c);
  const cJSON *v =
      d != NULL ? cJSON_GetObjectItemCaseSensitive(fields, d->name) : NULL;
  cJSON *now;
  int rc = 0;

  if (!cJSON_IsString(v))
    return 0;
  now = today();
  if (now == NULL)
    return sb_err_set(err, SB_ENOMEM, "cannot tell today's date");
  /* YYYY-MM-DD compares as text. */
  if (strcmp(v->valuestring, now->valuestring) > 0)
    rc = sb_err_set(err, SB_ESCHEMA,
                    "option --%s: %s is in the future (today is %s); record "
                    "a visit once it happened",
                    d->option, v->valuestring, now->valuestring);
  cJSON_Delete(now);
  return rc;
}

/* Removes the null members of object o. */
static void drop_nulls(cJSON *o)
{
  cJSON *m = o->child, *next;
  for (; m != NULL; m = next) {
    next = m->next;
    if (cJSON_IsNull(m))
      cJSON_Delete(cJSON_DetachItemViaPointer(o, m));
  }
}

static int domain_add(struct cli *cli, const struct schema_collection *c,
                      int argc, char **argv, struct sb_err *err)
{
  const struct schema_field *d = cmd_domain_today_field(c);
  char cmd[SB_NAME_MAX + 8], id[SB_ID_MAX + 1];
  cJSON *fields = NULL;
  int rc;

  snprintf(cmd, sizeof(cmd), "%s add", c->name);
  rc = read_options(cli, c, cmd, argc, argv, 2, true, &fields, err);
  if (rc != 0)
    return rc;
  drop_nulls(fields); /* a new record has nothing to clear */
  rc = check_not_future(c, fields, err);
  if (rc != 0)
    goto done;
  if (d != NULL && !cJSON_HasObjectItem(fields, d->name)) {
    cJSON *v = today();
    if (v == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, "cannot tell today's date");
      goto done;
    }
    cJSON_AddItemToObject(fields, d->name, v);
  }
  if (fields->child == NULL) {
    rc = util_usage(err, "%s needs options (see sambang %s --help)", cmd,
                    c->name);
    goto done;
  }
  rc = domain_check_add(c, fields, err);
  if (rc != 0)
    goto done;
  rc = write_id(c->name, "new", id, err);
  if (rc == 0)
    rc = write_one(cli, c->name, id, fields, false, err);
  if (rc == 0)
    rc = write_print(cli, c->name, id, err);
done:
  cJSON_Delete(fields);
  return rc;
}

/* The ID argument of edit and show (argv[2]). */
static int id_arg(const struct schema_collection *c, const char *sub, int argc,
                  char **argv, struct sb_err *err)
{
  if (argc < 3 || strncmp(argv[2], "--", 2) == 0)
    return util_usage(err,
                      "%s %s takes the ID of the record first (see "
                      "sambang %s --help)",
                      c->name, sub, c->name);
  return util_check_key(c->name, argv[2], err);
}

static int domain_edit(struct cli *cli, const struct schema_collection *c,
                       int argc, char **argv, struct sb_err *err)
{
  char cmd[SB_NAME_MAX + 8];
  cJSON *fields = NULL;
  int rc = id_arg(c, "edit", argc, argv, err);

  if (rc != 0)
    return rc;
  snprintf(cmd, sizeof(cmd), "%s edit", c->name);
  rc = read_options(cli, c, cmd, argc, argv, 3, true, &fields, err);
  if (rc != 0)
    return rc;
  rc = check_not_future(c, fields, err);
  if (rc == 0 && fields->child == NULL)
    rc = util_usage(err,
                    "%s needs the options to change (see sambang %s "
                    "--help)",
                    cmd, c->name);
  if (rc == 0)
    rc = domain_check_edit(cli, c, argv[2], fields, err);
  if (rc == 0)
    rc = write_one(cli, c->name, argv[2], fields, true, err);
  if (rc == 0)
    rc = write_print(cli, c->name, argv[2], err);
  cJSON_Delete(fields);
  return rc;
}

static int domain_rm(struct cli *cli, const struct schema_collection *c,
                     int argc, char **argv, struct sb_err *err)
{
  int rc = id_arg(c, "rm", argc, argv, err);

  if (rc != 0)
    return rc;
  if (argc > 3)
    return util_usage(err, "%s rm takes only the ID (see sambang %s --help)",
                      c->name, c->name);
  rc = util_open(cli, err);
  if (rc == 0)
    rc = write_delete(cli, c->name, argv[2], err);
  if (rc == 0)
    rc = write_print(cli, c->name, argv[2], err);
  return rc;
}

/* Appends value; for a ref field (sf, with cli) what it points at too. */
static void value_text(struct buf *b, struct cli *cli,
                       const struct schema_field *sf, const char *value)
{
  cJSON *id;

  if (sf != NULL && sf->nlabels > 0 &&
      (sf->type == SCHEMA_ENUM || sf->type == SCHEMA_ENUM_LIST) &&
      view_labels(b, sf, value))
    return;
  view_value(b, value);
  if (cli == NULL || sf == NULL || sf->type != SCHEMA_REF)
    return;
  id = cJSON_Parse(value);
  if (cJSON_IsString(id))
    ref_describe(cli, sf, id->valuestring, b);
  cJSON_Delete(id);
}

/*
 * The display text of field f of r (siblings: winner first, " | "); the
 * value of a ref field sf (given cli) with the label of its record.
 */
static char *field_text(struct cli *cli, const struct schema_field *sf,
                        const struct field *f, bool mark)
{
  const struct entry *w = record_field_winner(f);
  size_t i, n = record_field_nentries(f);
  struct buf b;

  buf_init(&b);
  value_text(&b, cli, sf, w->value);
  for (i = 0; i < n; i++) {
    const struct entry *e = record_field_entry(f, i);
    if (e == w)
      continue;
    buf_adds(&b, " | ");
    value_text(&b, cli, sf, e->value);
  }
  if (mark && n > 1)
    buf_adds(&b, _(" (conflict)"));
  return buf_take(&b, NULL);
}

/* What people call field sf (name: its name): view_title's. */
static const char *heading(const struct schema_field *sf, const char *name)
{
  return sf != NULL ? view_title(&sf->title, name) : name;
}

static int show_field(struct cli *cli, const struct schema_field *sf,
                      const struct field *f, struct sb_err *err)
{
  char *text = field_text(cli, sf, f, true);
  if (text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  printf("%s: %s\n", heading(sf, record_field_name(f)), text);
  free(text);
  return 0;
}

static int domain_show(struct cli *cli, const struct schema_collection *c,
                       int argc, char **argv, struct sb_err *err)
{
  struct record r;
  size_t i;
  int rc = id_arg(c, "show", argc, argv, err);

  if (rc != 0)
    return rc;
  if (argc > 3)
    return util_usage(err, "%s show takes only the ID (see sambang %s --help)",
                      c->name, c->name);
  record_init(&r, c->name, argv[2]);
  rc = util_open(cli, err);
  if (rc == 0)
    rc = store_get(cli->store, c->name, argv[2], &r, err);
  if (rc == SB_ENOTFOUND || (rc == 0 && record_deleted(&r)))
    rc = util_not_found(c->name, argv[2], err);
  if (rc != 0 || cli->json) {
    if (rc == 0)
      rc = util_print_record_json(&r, err);
    record_release(&r);
    return rc;
  }
  printf(_("id: %s\n"), r.id);
  /* The schema's order first, then fields it does not know. */
  for (i = 0; rc == 0 && i < c->nfields; i++) {
    const struct field *f = record_field(&r, c->fields[i].name);
    if (f != NULL)
      rc = show_field(cli, &c->fields[i], f, err);
  }
  for (i = 0; rc == 0 && i < record_nfields(&r); i++) {
    const struct field *f = record_field_at(&r, i);
    if (schema_field(c, record_field_name(f)) == NULL)
      rc = show_field(cli, NULL, f, err);
  }
  if (rc == 0 && record_delete_conflict(&r))
    printf(_("deleted: on one device while edited on another (conflict: edit "
             "to keep it, or rm)\n"));
  record_release(&r);
  return rc;
}

/* The fields `list` shows: short ones, in schema order. */
static size_t list_columns(const struct schema_collection *c,
                           const struct schema_field **cols)
{
  size_t i, n = 0;
  for (i = 0; i < c->nfields && n < LIST_COLS; i++) {
    const struct schema_field *f = &c->fields[i];
    if (f->type == SCHEMA_STRING && f->max > LIST_TEXT_MAX)
      continue;
    cols[n++] = f;
  }
  return n;
}

struct list_ctx {
  struct cli *cli;
  const struct filter *filters;
  size_t nfilters;
  const struct ref_filter *refs; /* through a ref field (list_ref.c) */
  size_t nrefs;
  bool json;
  const struct schema_field *cols[LIST_COLS];
  size_t ncols;
  struct view_table table;
  bool conflicts;
  uint64_t limit, shown; /* --limit (0: none), records listed so far */
  struct sb_err *err;
};

/* list_one's return when --limit records are listed. */
#define LIST_FULL 1

static int list_row(struct list_ctx *ctx, const struct record *r)
{
  char *row[LIST_COLS + 1] = {NULL};
  size_t i;
  struct buf b;

  buf_init(&b);
  buf_adds(&b, r->id);
  if (record_conflicted(r)) {
    buf_adds(&b, " *");
    ctx->conflicts = true;
  }
  row[0] = buf_take(&b, NULL);
  for (i = 0; i < ctx->ncols; i++) {
    const struct field *f = record_field(r, ctx->cols[i]->name);
    row[i + 1] =
        f != NULL ? field_text(ctx->cli, ctx->cols[i], f, false) : strdup("");
  }
  for (i = 0; i <= ctx->ncols; i++) {
    if (row[i] == NULL) {
      for (i = 0; i <= ctx->ncols; i++)
        free(row[i]);
      return sb_err_set(ctx->err, SB_ENOMEM, NULL);
    }
  }
  if (view_table_add(&ctx->table, row) != 0)
    return sb_err_set(ctx->err, SB_ENOMEM, NULL);
  return 0;
}

static int list_one(const struct record *r, uint64_t seq, void *arg)
{
  struct list_ctx *ctx = arg;
  int ok = list_shows(ctx->cli, ctx->filters, ctx->nfilters, ctx->refs,
                      ctx->nrefs, r, ctx->err);

  (void)seq;
  if (ok != 1)
    return ok;
  if (ctx->limit > 0 && ctx->shown++ == ctx->limit)
    return LIST_FULL;
  if (ctx->json)
    return util_print_list_line(r, true, ctx->err);
  return list_row(ctx, r);
}

/* The header row of the table. */
static int list_header(struct list_ctx *ctx)
{
  char *row[LIST_COLS + 1];
  size_t i;
  bool ok;

  row[0] = strdup("id");
  ok = row[0] != NULL;
  for (i = 0; i < ctx->ncols; i++) {
    row[i + 1] = strdup(heading(ctx->cols[i], ctx->cols[i]->name));
    ok = ok && row[i + 1] != NULL;
  }
  if (!ok) {
    for (i = 0; i <= ctx->ncols; i++)
      free(row[i]);
    return sb_err_set(ctx->err, SB_ENOMEM, NULL);
  }
  if (view_table_add(&ctx->table, row) != 0)
    return sb_err_set(ctx->err, SB_ENOMEM, NULL);
  return 0;
}

/* The options of list beyond the fields': --limit N, --month YYYY-MM, and
 * those of referenced records' fields (list_ref.c). */
struct list_extra {
  uint64_t limit;
  char month[16];          /* "YYYY-MM-" or "" */
  struct ref_filter *refs; /* argc of them allocated */
  size_t nrefs;
};

static int parse_limit(const char *v, uint64_t *out, struct sb_err *err)
{
  char *end;
  unsigned long long n;

  errno = 0;
  if (v[0] < '1' || v[0] > '9' ||
      (n = strtoull(v, &end, 10), *end != '\0' || errno != 0))
    return util_usage(err,
                      "--limit takes a number of records from 1, not "
                      "\"%.40s\"",
                      v);
  *out = n;
  return 0;
}

static int parse_month(const struct schema_collection *c, const char *v,
                       char *out, size_t size, struct sb_err *err)
{
  int y, m;
  char end;

  if (cmd_domain_today_field(c) == NULL)
    return util_usage(err, "--month: %s records have no date field", c->name);
  if (strlen(v) != 7 || sscanf(v, "%4d-%2d%c", &y, &m, &end) != 2 ||
      v[4] != '-' || m < 1 || m > 12 || y < 1000)
    return util_usage(err,
                      "--month takes YYYY-MM (e.g. 2026-11), not "
                      "\"%.40s\"",
                      v);
  snprintf(out, size, "%.7s-", v);
  return 0;
}

/* True if x holds a filter on the same referenced field as rf already. */
static bool ref_given(const struct list_extra *x, const struct ref_filter *rf)
{
  size_t k;

  for (k = 0; k < x->nrefs; k++)
    if (x->refs[k].ref == rf->ref &&
        strcmp(x->refs[k].f.field, rf->f.field) == 0)
      return true;
  return false;
}

/*
 * Takes --limit and --month (unless the schema names a field so) out of
 * argv[2..] into *x; the other arguments go to rest[0..*nrest).
 */
static int list_extras(const struct schema *s,
                       const struct schema_collection *c, int argc, char **argv,
                       struct list_extra *x, char **rest, int *nrest,
                       struct sb_err *err)
{
  int i, rc;
  const char *v;

  memset(x, 0, sizeof(*x));
  *nrest = 0;
  x->refs = calloc((size_t)argc, sizeof(*x->refs));
  if (x->refs == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (i = 2; i < argc; i++) {
    rc = list_ref_opt(s, c, argc, argv, &i, &x->refs[x->nrefs], err);
    if (rc < 0)
      return rc;
    if (rc > 0) {
      if (ref_given(x, &x->refs[x->nrefs])) {
        /* (the option's name is the referenced field's) */
        rc = util_usage(err, "option --%s is given twice",
                        x->refs[x->nrefs].f.field);
        filter_release(&x->refs[x->nrefs].f, 1);
        return rc;
      }
      x->nrefs++;
      continue;
    }
    if (option_field(c, "limit", 5) == NULL &&
        (rc = util_opt(argc, argv, &i, "limit", &v, err)) != 0) {
      if (rc > 0 && x->limit != 0) /* as a field option's (given twice) */
        return util_usage(err, "option --%s is given twice", "limit");
      if (rc < 0 || (rc = parse_limit(v, &x->limit, err)) != 0)
        return rc;
    } else if (option_field(c, "month", 5) == NULL &&
               (rc = util_opt(argc, argv, &i, "month", &v, err)) != 0) {
      if (rc > 0 && x->month[0] != '\0')
        return util_usage(err, "option --%s is given twice", "month");
      if (rc < 0 ||
          (rc = parse_month(c, v, x->month, sizeof(x->month), err)) != 0)
        return rc;
    } else {
      rest[(*nrest)++] = argv[i];
    }
  }
  return 0;
}

/* The filters of list: its field options (text fields by substring, others
 * equal) and --month. *n counts them (for filter_release). */
static int list_filters(const struct schema_collection *c, const cJSON *want,
                        const struct list_extra *x, struct filter *filters,
                        size_t *n, struct sb_err *err)
{
  const cJSON *m;
  int rc = 0;

  for (m = want->child; m != NULL && rc == 0; m = m->next) {
    const struct schema_field *f = schema_field(c, m->string);
    if (f != NULL && f->type == SCHEMA_STRING && cJSON_IsString(m))
      rc = filter_text(&filters[(*n)++], m->string, m->valuestring, err);
    else
      rc = filter_value(&filters[(*n)++], m->string, m, err);
  }
  if (rc == 0 && x->month[0] != '\0')
    rc = filter_prefix(&filters[(*n)++], cmd_domain_today_field(c)->name,
                       x->month, err);
  return rc;
}

static int domain_list(struct cli *cli, const struct schema_collection *c,
                       int argc, char **argv, struct sb_err *err)
{
  struct list_ctx ctx = {.cli = cli, .json = cli->json, .err = err};
  struct filter *filters = NULL;
  struct list_extra x = {0};
  char cmd[SB_NAME_MAX + 8], **rest;
  cJSON *want = NULL;
  size_t i;
  int nrest, rc;

  snprintf(cmd, sizeof(cmd), "%s list", c->name);
  rest = calloc((size_t)argc + 2, sizeof(*rest));
  if (rest == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  rc = list_extras(cli->schema, c, argc, argv, &x, rest + 2, &nrest, err);
  if (rc == 0)
    rc = read_options(NULL, c, cmd, nrest + 2, rest, 2, false, &want, err);
  free(rest);
  if (rc != 0)
    goto done;
  ctx.limit = x.limit;
  ctx.refs = x.refs;
  ctx.nrefs = x.nrefs;
  filters = calloc((size_t)cJSON_GetArraySize(want) + 2, sizeof(*filters));
  if (filters == NULL) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto done;
  }
  rc = list_filters(c, want, &x, filters, &ctx.nfilters, err);
  ctx.filters = filters;
  ctx.ncols = list_columns(c, ctx.cols);
  view_table_init(&ctx.table, ctx.ncols + 1);
  /* Ids are cut never: people copy them into show and edit. */
  ctx.table.keep[0] = true;
  for (i = 0; i < ctx.ncols; i++)
    ctx.table.keep[i + 1] = ctx.cols[i]->type == SCHEMA_REF;
  if (rc == 0)
    rc = util_open(cli, err);
  if (rc == 0 && !cli->json)
    rc = list_header(&ctx);
  if (rc == 0)
    rc = store_each(cli->store, c->name, list_one, &ctx, err);
  if (rc == LIST_FULL)
    rc = 0;
  if (rc == 0 && !cli->json) {
    view_table_print(&ctx.table, CELL_MAX);
    if (ctx.conflicts)
      printf(_("* in conflict: see sambang %s show ID\n"), c->name);
    if (ctx.limit > 0 && ctx.shown > ctx.limit)
      printf(_("(first %llu shown: more match; raise --limit)\n"),
             (unsigned long long)ctx.limit);
  }
  view_table_release(&ctx.table);
done:
  filter_release(filters, ctx.nfilters);
  free(filters);
  list_ref_release(x.refs, x.nrefs);
  free(x.refs);
  cJSON_Delete(want);
  return rc;
}

int cmd_domain(struct cli *cli, const struct schema_collection *c, int argc,
               char **argv, struct sb_err *err)
{
  const char *sub = argc > 1 ? argv[1] : NULL;

  if (sub == NULL)
    return util_usage(err,
                      "%s needs a command: add, list, show, edit or rm (see "
                      "sambang %s --help)",
                      c->name, c->name);
  if (strcmp(sub, "add") == 0)
    return domain_add(cli, c, argc, argv, err);
  if (strcmp(sub, "edit") == 0)
    return domain_edit(cli, c, argc, argv, err);
  if (strcmp(sub, "list") == 0)
    return domain_list(cli, c, argc, argv, err);
  if (strcmp(sub, "show") == 0)
    return domain_show(cli, c, argc, argv, err);
  if (strcmp(sub, "rm") == 0)
    return domain_rm(cli, c, argc, argv, err);
  if (sub[0] == '-')
    return util_bad_option(c->name, sub, err);
  return util_usage(
      err,
      "unknown command %s %.80s (use add, list, show, edit or rm; "
      "see sambang %s --help)",
      c->name, sub, c->name);
}
