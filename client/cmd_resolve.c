/*
 * cmd_resolve.c - resolve: settle a field in conflict.
 *
 *   resolve COLLECTION ID FIELD VALUE          a plain value, typed by
 *                                              the schema like the
 *                                              domain commands' options
 *   resolve COLLECTION ID FIELD --json-value J a JSON value
 *   resolve COLLECTION ID FIELD --pick N       sibling N of the field, as
 *                                              `conflicts --values`
 *                                              numbers them
 *
 * Resolving is an ordinary write: its dot covers every sibling this
 * replica holds, so the siblings fall away here and, once it syncs,
 * everywhere (record.h). Writing a field also drops the tombstones of a
 * delete/edit conflict, keeping the record. --pick reads the sibling and
 * writes in one transaction, so it picks from exactly what it covers.
 */
#include "compat.h"

#include "cli.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * True if arg is meant as JSON: for field f (of the schema) a string type
 * given as '"..."' or a list as '[...]'; without f anything starting
 * like a JSON object, array or string.
 */
static bool looks_json(const struct schema_field *f, const char *arg)
{
  if (f == NULL)
    return arg[0] == '{' || arg[0] == '[' || arg[0] == '"';
  switch (f->type) {
  case SCHEMA_STRING:
  case SCHEMA_DATE:
  case SCHEMA_ENUM:
  case SCHEMA_REF:
    return arg[0] == '"';
  case SCHEMA_ENUM_LIST:
    return arg[0] == '[';
  case SCHEMA_BOOL:
  case SCHEMA_INT:
    break;
  }
  return false;
}

/* cmd_domain_value, its message naming the field rather than the option. */
static cJSON *field_value(struct cli *cli, const struct schema_field *f,
                          const char *arg, struct sb_err *err)
{
  char prefix[SB_NAME_MAX + 16], rest[SB_ERR_MSG_MAX];
  cJSON *v = cmd_domain_value(cli, f, arg, err);
  size_t n;

  snprintf(prefix, sizeof(prefix), "option --%s: ", f->option);
  n = strlen(prefix);
  if (v == NULL && err != NULL && strncmp(err->msg, prefix, n) == 0) {
    snprintf(rest, sizeof(rest), "%s", err->msg + n);
    snprintf(err->msg, sizeof(err->msg), "field \"%s\": %.400s", f->name, rest);
  }
  return v;
}

/*
 * The value VALUE (json: given with --json-value) stands for. A field the
 * schema defines types it like the domain commands' options, except that
 * a JSON value of the field's own type ('"Siti"', '["anak"]') is read as
 * JSON, as resolve always did; elsewhere VALUE is JSON if it starts like
 * an object, array or string or parses as JSON, else a plain string.
 */
static cJSON *resolve_value(struct cli *cli, const char *coll,
                            const char *field, const char *arg, bool json,
                            struct sb_err *err)
{
  const struct schema_field *sf;
  size_t len = strlen(arg);
  cJSON *v;

  if (len > SB_RECORD_MAX) {
    sb_err_set(err, SB_ETOOBIG,
               "JSON_VALUE is too large (%zu bytes, at most %d)", len,
               SB_RECORD_MAX);
    return NULL;
  }
  if (json)
    return json_parse(arg, len, "JSON_VALUE", err);
  if (util_schema(cli, err) != 0)
    return NULL;
  sf = schema_field(schema_collection(cli->schema, coll), field);
  if (looks_json(sf, arg))
    return json_parse(arg, len, "JSON_VALUE", err);
  if (sf != NULL)
    return field_value(cli, sf, arg, err);
  v = json_parse(arg, len, "VALUE", NULL);
  if (v == NULL && (v = cJSON_CreateString(arg)) == NULL)
    sb_err_set(err, SB_ENOMEM, NULL);
  return v;
}

/* N of --pick: a whole number from 1. */
static int pick_number(const char *arg, size_t *n, struct sb_err *err)
{
  char *end;
  unsigned long v;

  if (arg[0] < '1' || arg[0] > '9')
    goto bad;
  v = strtoul(arg, &end, 10);
  if (*end != '\0' || v > 1000000)
    goto bad;
  *n = (size_t)v;
  return 0;
bad:
  return util_usage(err,
                    "--pick takes the number of a value as `sambang "
                    "conflicts --values` shows it (1, 2, ...), not "
                    "\"%.40s\"",
                    arg);
}

/* Reads sibling n of field of the live record into *value (in the
 * transaction). */
static int pick_value(struct cli *cli, const char *coll, const char *id,
                      const char *field, size_t n, cJSON **value,
                      struct sb_err *err)
{
  struct record r;
  const struct field *f;
  size_t have;
  int rc;

  record_init(&r, coll, id);
  rc = store_get(cli->store, coll, id, &r, err);
  if (rc == SB_ENOTFOUND || (rc == 0 && record_deleted(&r)))
    rc = util_not_found(coll, id, err);
  if (rc != 0)
    goto done;
  f = record_field(&r, field);
  have = f != NULL ? record_field_nentries(f) : 0;
  if (have == 0) {
    rc = sb_err_set(err, SB_EINVAL,
                    "%s/%s: field \"%s\" is not in conflict (no value): "
                    "nothing to pick",
                    coll, id, field);
  } else if (have < 2) {
    rc = sb_err_set(err, SB_EINVAL,
                    "%s/%s: field \"%s\" is not in conflict (one value): "
                    "nothing to pick",
                    coll, id, field);
  } else if (n > have) {
    rc = sb_err_set(err, SB_EINVAL,
                    "%s/%s: field \"%s\" has %zu values in conflict, not %zu "
                    "(see sambang conflicts --values)",
                    coll, id, field, have, n);
  } else {
    *value = cJSON_Parse(record_field_entry(f, n - 1)->value);
    if (*value == NULL)
      rc = sb_err_set(err, SB_ENOMEM, NULL);
  }
done:
  record_release(&r);
  return rc;
}

/* Writes sibling n of the field over all of them, in one transaction. */
static int resolve_pick(struct cli *cli, const char *coll, const char *id,
                        const char *field, size_t n, struct sb_err *err)
{
  cJSON *fields = NULL, *value = NULL;
  int rc = util_schema(cli, err);

  if (rc != 0)
    return rc;
  rc = store_begin(cli->store, err);
  if (rc != 0)
    return rc;
  rc = pick_value(cli, coll, id, field, n, &value, err);
  if (rc == 0 && (fields = cJSON_CreateObject()) == NULL)
    rc = sb_err_set(err, SB_ENOMEM, NULL);
  if (rc == 0) {
    cJSON_AddItemToObject(fields, field, value);
    value = NULL;
    rc = write_fields(cli, coll, id, fields, true, NULL, err);
  }
  if (rc == 0)
    rc = store_commit(cli->store, err);
  cli->wrote |= rc == 0;
  if (rc != 0)
    store_rollback(cli->store);
  cJSON_Delete(value);
  cJSON_Delete(fields);
  return rc;
}

/* The arguments after FIELD: VALUE, --json-value J or --pick N. */
struct resolve_args {
  const char *value; /* VALUE or J */
  bool json;
  const char *pick;
};

static int resolve_parse(int argc, char **argv, struct resolve_args *a,
                         struct sb_err *err)
{
  int i = 4, given = 0, rc;
  const char *v;

  memset(a, 0, sizeof(*a));
  for (; i < argc; i++) {
    if ((rc = util_opt(argc, argv, &i, "json-value", &v, err)) != 0) {
      if (rc < 0)
        return rc;
      a->value = v;
      a->json = true;
    } else if ((rc = util_opt(argc, argv, &i, "pick", &v, err)) != 0) {
      if (rc < 0)
        return rc;
      a->pick = v;
    } else if (strncmp(argv[i], "--", 2) == 0) {
      return util_bad_option("resolve", argv[i], err);
    } else {
      a->value = argv[i];
    }
    given++;
  }
  if (argc < 4 || given != 1)
    return util_usage(err, "resolve takes COLLECTION ID FIELD and one of "
                           "VALUE, --json-value JSON or --pick N (see "
                           "sambang resolve --help)");
  return 0;
}

int cmd_resolve(struct cli *cli, int argc, char **argv, struct sb_err *err)
{
  struct resolve_args a;
  cJSON *fields = NULL, *value;
  size_t n = 0;
  int rc;

  rc = resolve_parse(argc, argv, &a, err);
  if (rc == 0)
    rc = util_check_key(argv[1], argv[2], err);
  if (rc != 0)
    return rc;
  if (!record_name_valid(argv[3]))
    return sb_err_set(err, SB_EINVAL,
                      "invalid field name \"%.80s\" (use 1-%d letters, "
                      "digits, '-' or '_')",
                      argv[3], SB_NAME_MAX);
  if (a.pick != NULL) {
    rc = pick_number(a.pick, &n, err);
    if (rc == 0)
      rc = resolve_pick(cli, argv[1], argv[2], argv[3], n, err);
  } else {
    value = resolve_value(cli, argv[1], argv[3], a.value, a.json, err);
    if (value == NULL)
      return err->code;
    fields = cJSON_CreateObject();
    if (fields == NULL) {
      cJSON_Delete(value);
      return sb_err_set(err, SB_ENOMEM, NULL);
    }
    cJSON_AddItemToObject(fields, argv[3], value);
    rc = write_one(cli, argv[1], argv[2], fields, true, err);
    cJSON_Delete(fields);
  }
  if (rc == 0)
    rc = write_print(cli, argv[1], argv[2], err);
  return rc;
}
