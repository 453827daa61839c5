/* test_schema.c - the schema: parsing, write and record checks, CLI values. */
#include "check.h"

#include "json.h"
#include "schema.h"

static struct schema *default_schema(void)
{
  struct schema *s = NULL;
  struct sb_err err = {0};
  int rc = schema_parse(schema_default_text, &s, &err);
  if (rc != 0)
    fprintf(stderr, "default schema: %s\n", err.msg);
  CHECK_INT(rc, ==, 0);
  CHECK(s != NULL);
  return s;
}

static cJSON *parse(const char *text)
{
  cJSON *j = json_parse(text, strlen(text), "test input", NULL);
  CHECK(j != NULL);
  return j;
}

/* schema_parse of text must fail with SB_ESCHEMA and a message with want. */
static void refused(const char *text, const char *want)
{
  struct schema *s = (struct schema *)1;
  struct sb_err err = {0};
  int rc = schema_parse(text, &s, &err);
  if (rc != SB_ESCHEMA || strstr(err.msg, want) == NULL)
    fprintf(stderr, "schema %s\n  gave %d \"%s\", wanted \"%s\"\n", text, rc,
            err.msg, want);
  CHECK_INT(rc, ==, SB_ESCHEMA);
  CHECK_INT(err.code, ==, SB_ESCHEMA);
  CHECK(s == NULL);
  CHECK(strstr(err.msg, want) != NULL);
}

/* check_write of text on collection coll; returns the code, msg in err. */
static int write_check(const struct schema *s, const char *coll,
                       const char *text, struct sb_err *err)
{
  cJSON *j = parse(text);
  int rc = schema_check_write(schema_collection(s, coll), j, err);
  cJSON_Delete(j);
  return rc;
}

/* check_write must refuse text with a message holding each of the wants. */
static void write_refused(const struct schema *s, const char *coll,
                          const char *text, const char *want1,
                          const char *want2, const char *want3)
{
  struct sb_err err = {0};
  const char *want[3] = {want1, want2, want3};
  int rc = write_check(s, coll, text, &err), i;
  for (i = 0; i < 3; i++) {
    if (want[i] != NULL && strstr(err.msg, want[i]) == NULL)
      fprintf(stderr, "write %s\n  gave \"%s\", wanted \"%s\"\n", text, err.msg,
              want[i]);
    CHECK(want[i] == NULL || strstr(err.msg, want[i]) != NULL);
  }
  CHECK_INT(rc, ==, SB_ESCHEMA);
}

static bool write_ok(const struct schema *s, const char *coll, const char *text)
{
  struct sb_err err = {0};
  int rc = write_check(s, coll, text, &err);
  if (rc != 0)
    fprintf(stderr, "write %s: %s\n", text, err.msg);
  return rc == 0;
}

static int record_check(const struct schema *s, const char *coll,
                        const char *text, struct sb_err *err)
{
  cJSON *j = parse(text);
  int rc = schema_check_record(schema_collection(s, coll), j, err);
  cJSON_Delete(j);
  return rc;
}

/* Canonical text of the value of an option argument, or NULL (err set). */
static char *arg_value(const struct schema *s, const char *coll,
                       const char *field, const char *arg, struct sb_err *err)
{
  const struct schema_field *f =
      schema_field(schema_collection(s, coll), field);
  cJSON *v;
  char *text;
  CHECK(f != NULL);
  v = schema_value_from_arg(f, arg, err);
  if (v == NULL)
    return NULL;
  text = json_canon(v);
  CHECK(text != NULL);
  cJSON_Delete(v);
  return text;
}

static void arg_is(const struct schema *s, const char *coll, const char *field,
                   const char *arg, const char *want)
{
  struct sb_err err = {0};
  char *got = arg_value(s, coll, field, arg, &err);
  if (got == NULL)
    fprintf(stderr, "--%s %s: %s\n", field, arg, err.msg);
  CHECK_STR(got, want);
  free(got);
}

static void arg_refused(const struct schema *s, const char *coll,
                        const char *field, const char *arg, const char *want1,
                        const char *want2)
{
  struct sb_err err = {0};
  char *got = arg_value(s, coll, field, arg, &err);
  if (got != NULL)
    fprintf(stderr, "--%s %s: accepted as %s\n", field, arg, got);
  CHECK(got == NULL);
  CHECK_INT(err.code, ==, SB_ESCHEMA);
  if (strstr(err.msg, want1) == NULL ||
      (want2 != NULL && strstr(err.msg, want2) == NULL))
    fprintf(stderr, "--%s %s: \"%s\"\n", field, arg, err.msg);
  CHECK(strstr(err.msg, want1) != NULL);
  CHECK(want2 == NULL || strstr(err.msg, want2) != NULL);
}

TEST(default_schema)
{
  struct schema *s = default_schema();
  const struct schema_collection *b = schema_collection(s, "beneficiary");
  const struct schema_collection *v = schema_collection(s, "visit");
  const struct schema_field *f;

  CHECK_INT(s->nc, ==, 2);
  CHECK(b != NULL && v != NULL);
  CHECK(schema_collection(s, "other") == NULL);
  CHECK(schema_collection(s, "Visit") == NULL);
  CHECK_STR(b->consent, "consent");
  CHECK(v->consent == NULL);

  /* The file's order is kept. */
  CHECK_INT(b->nfields, ==, 6);
  CHECK_STR(b->fields[0].name, "name");
  CHECK_STR(b->fields[5].name, "consent");
  CHECK_INT(v->nfields, ==, 7);
  CHECK_STR(v->fields[0].name, "beneficiary");
  CHECK_STR(v->fields[6].name, "willing");

  f = schema_field(b, "name");
  CHECK(f != NULL && f->type == SCHEMA_STRING && f->personal && !f->required);
  CHECK_INT(f->max, ==, 200);
  f = schema_field(b, "groups");
  CHECK(f != NULL && f->type == SCHEMA_ENUM_LIST && f->required);
  CHECK_STR(f->option, "group");
  CHECK_INT(f->nvalues, ==, 4);
  CHECK_STR(f->values[0], "perempuan");
  f = schema_field(b, "kecamatan");
  CHECK(f != NULL && f->type == SCHEMA_ENUM && f->required);
  CHECK_INT(f->nvalues, ==, 7);
  CHECK_STR(f->values[1], "Serpong Utara");
  CHECK_STR(f->option, "kecamatan");
  f = schema_field(b, "contact");
  CHECK(f != NULL && f->personal);
  f = schema_field(b, "consent");
  CHECK(f != NULL && f->type == SCHEMA_BOOL && f->required && !f->personal);

  f = schema_field(v, "beneficiary");
  CHECK(f != NULL && f->type == SCHEMA_REF && f->required);
  CHECK_STR(f->ref, "beneficiary");
  f = schema_field(v, "date");
  CHECK(f != NULL && f->type == SCHEMA_DATE && f->required);
  f = schema_field(v, "programme");
  CHECK(f != NULL && f->type == SCHEMA_ENUM && f->nvalues == 6);
  f = schema_field(v, "notes");
  CHECK(f != NULL && f->max == 4000);
  f = schema_field(v, "follow_up");
  CHECK(f != NULL && f->type == SCHEMA_DATE && !f->required);
  CHECK_STR(f->option, "follow-up");
  f = schema_field(v, "willing");
  CHECK(f != NULL && f->type == SCHEMA_BOOL);
  CHECK(f->help.text != NULL && f->help.text[0] != '\0');
  /* the shipped schema speaks Indonesian too */
  CHECK(schema_help_in(&f->help, "id_ID.UTF-8") != NULL);
  CHECK(strcmp(schema_help_in(&f->help, "id_ID.UTF-8"), f->help.text) != 0);
  CHECK(strcmp(schema_help_in(&v->help, "id"), v->help.text) != 0);
  CHECK(schema_field(v, "nope") == NULL);
  schema_free(s);
  schema_free(NULL);
}

TEST(parse_defaults)
{
  struct schema *s = NULL;
  const struct schema_collection *c;
  const struct schema_field *f;
  CHECK_INT(schema_parse("{\"version\":1,\"collections\":{\"c\":{\"fields\":{"
                         "\"a_b\":{\"type\":\"string\"},"
                         "\"n\":{\"type\":\"int\",\"min\":-5}}}}}",
                         &s, NULL),
            ==, 0);
  c = schema_collection(s, "c");
  CHECK(c != NULL && c->consent == NULL && c->help.text == NULL);
  f = schema_field(c, "a_b");
  CHECK(f != NULL && !f->required && !f->personal && f->help.text == NULL);
  CHECK(schema_help_in(&f->help, "id") == NULL);
  CHECK_STR(f->option, "a-b");
  CHECK_INT(f->max, ==, 4000);
  f = schema_field(c, "n");
  CHECK_INT(f->min, ==, -5);
  CHECK_INT(f->max, >, 1000000000000LL);
  schema_free(s);

  /* No collections: everything is free-form. */
  CHECK_INT(schema_parse("{\"version\":1,\"collections\":{}}", &s, NULL), ==,
            0);
  CHECK_INT(s->nc, ==, 0);
  CHECK(schema_collection(s, "x") == NULL);
  schema_free(s);
}

#define COLL(fields) "{\"version\":1,\"collections\":{\"c\":" fields "}}"
#define FIELD(def) COLL("{\"fields\":{\"f\":" def "}}")

/* "help" in several languages: the reader's, else English. */
TEST(help_in_the_readers_language)
{
  struct schema *s = NULL;
  const struct schema_field *f;
  CHECK_INT(schema_parse("{\"version\":1,\"collections\":{\"c\":{\"help\":"
                         "\"One\",\"fields\":{\"a\":{\"type\":\"string\","
                         "\"help\":{\"en\":\"Name\",\"id\":\"Nama\","
                         "\"pt_BR\":\"Nome\"}}}}}}",
                         &s, NULL),
            ==, 0);
  f = schema_field(schema_collection(s, "c"), "a");
  CHECK_STR(schema_help_in(&f->help, "id"), "Nama");
  CHECK_STR(schema_help_in(&f->help, "id_ID.UTF-8"), "Nama");
  CHECK_STR(schema_help_in(&f->help, "pt_BR"), "Nome");
  CHECK_STR(schema_help_in(&f->help, "pt"), "Name");
  CHECK_STR(schema_help_in(&f->help, "fr"), "Name");
  CHECK_STR(schema_help_in(&f->help, NULL), "Name");
  /* a plain string serves every language */
  CHECK_STR(schema_help_in(&schema_collection(s, "c")->help, "id"), "One");
  schema_free(s);
}

/* "title": what people call a collection or field (the office
 * dashboard's headings), per language as "help" is. */
TEST(titles_in_the_readers_language)
{
  struct schema *s = NULL;
  const struct schema_collection *c;
  CHECK_INT(schema_parse("{\"version\":1,\"collections\":{\"c\":{\"title\":"
                         "{\"en\":\"Cases\",\"id\":\"Kasus\"},\"fields\":{"
                         "\"a\":{\"type\":\"string\",\"title\":\"Nama\"},"
                         "\"b\":{\"type\":\"bool\"}}}}}",
                         &s, NULL),
            ==, 0);
  c = schema_collection(s, "c");
  CHECK_STR(schema_help_in(&c->title, "id_ID.UTF-8"), "Kasus");
  CHECK_STR(schema_help_in(&c->title, "fr"), "Cases");
  CHECK_STR(schema_help_in(&schema_field(c, "a")->title, "en"), "Nama");
  CHECK(schema_help_in(&schema_field(c, "b")->title, "id") == NULL);
  schema_free(s);
  /* the default schema names everything in both languages */
  CHECK_INT(schema_parse(schema_default_text, &s, NULL), ==, 0);
  for (size_t i = 0; i < s->nc; i++) {
    CHECK(schema_help_in(&s->c[i].title, "id") != NULL);
    CHECK(schema_help_in(&s->c[i].title, "id") != s->c[i].title.text);
    for (size_t k = 0; k < s->c[i].nfields; k++)
      CHECK(schema_help_in(&s->c[i].fields[k].title, "id") != NULL);
  }
  schema_free(s);
}

TEST(parse_refuses_bad_files)
{
  refused("", "not valid JSON");
  refused("{\"version\":1,\"collections\":{}", "not valid JSON");
  refused("{\"version\":1,\"collections\":{}} x", "not valid JSON");
  refused("{\n  \"version\": 1,\n  \"collections\": {,}\n}",
          "not valid JSON: error near line 3, column");
  refused("[]", "must be a JSON object");
  refused("{\"collections\":{}}", "\"version\" is missing");
  refused("{\"version\":2,\"collections\":{}}", "version 2 is not supported");
  refused("{\"version\":1}", "\"collections\" must be an object");
  refused("{\"version\":1,\"collections\":[]}",
          "\"collections\" must be an object");
  refused("{\"version\":1,\"collections\":{},\"extra\":1}",
          "unknown key \"extra\"");
  refused("{\"version\":1,\"collections\":{},\"help\":3}",
          "\"help\" must be a string");
  refused("{\"version\":1,\"collections\":{},\"help\":\"h\xc3\"}", "UTF-8");
}

TEST(parse_refuses_bad_collections)
{
  refused(COLL("{}"), "collection \"c\": \"fields\" must be an object");
  refused(COLL("{\"fields\":{}}"), "at least one field");
  refused(COLL("3"), "collection \"c\": a collection must be an object");
  refused("{\"version\":1,\"collections\":{\"a b\":{\"fields\":{}}}}",
          "collection \"a b\": bad collection name");
  refused("{\"version\":1,\"collections\":{\"c\":{\"fields\":{\"f\":{\"type\":"
          "\"bool\"}}},\"c\":{\"fields\":{\"f\":{\"type\":\"bool\"}}}}}",
          "collection \"c\" is defined twice");
  refused(COLL("{\"fields\":{\"f\":{\"type\":\"bool\"},"
               "\"f\":{\"type\":\"int\"}}}"),
          "field \"f\" is defined twice");
  refused(COLL("{\"fields\":{\"f\":{\"type\":\"bool\"}},\"colour\":1}"),
          "collection \"c\": unknown key \"colour\"");
  refused(COLL("{\"fields\":{\"f\":{\"type\":\"bool\"}},\"title\":[]}"),
          "collection \"c\": \"title\" must be a text or an object of "
          "language: text");
  refused(COLL("{\"fields\":{\"f\":{\"type\":\"bool\"}},\"help\":1}"),
          "collection \"c\": \"help\" must be a text or an object of language: "
          "text");

  /* consent must name a bool field of the collection, not personal. */
  refused(COLL("{\"consent\":\"ok\",\"fields\":{\"f\":{\"type\":\"bool\"}}}"),
          "collection \"c\": \"consent\" names \"ok\", which is not one");
  refused(COLL("{\"consent\":\"f\",\"fields\":{\"f\":{\"type\":\"string\"}}}"),
          "collection \"c\": \"consent\" names \"f\", which is not a bool");
  refused(COLL("{\"consent\":\"f\",\"fields\":{\"f\":{\"type\":\"bool\","
               "\"personal\":true}}}"),
          "cannot itself be personal");
  refused(COLL("{\"consent\":true,\"fields\":{\"f\":{\"type\":\"bool\"}}}"),
          "\"consent\" must be a string");

  /* Two fields with one option. */
  refused(COLL("{\"fields\":{\"a_b\":{\"type\":\"bool\"},"
               "\"x\":{\"type\":\"bool\",\"option\":\"a-b\"}}}"),
          "fields \"a_b\" and \"x\" have the same option \"a-b\"");
}

TEST(parse_refuses_bad_fields)
{
  const char *where = "collection \"c\", field \"f\": ";
  struct {
    const char *text, *want;
  } cases[] = {
      {FIELD("{}"), "\"type\" is missing"},
      {FIELD("\"string\""), "a field must be an object"},
      {FIELD("{\"type\":\"datetime\"}"), "unknown type \"datetime\""},
      {FIELD("{\"type\":7}"), "unknown type 7"},
      {FIELD("{\"type\":\"string\",\"requried\":true}"),
       "unknown key \"requried\""},
      {FIELD("{\"type\":\"string\",\"required\":\"yes\"}"),
       "\"required\" must be true or false"},
      {FIELD("{\"type\":\"string\",\"personal\":1}"),
       "\"personal\" must be true or false"},
      {FIELD("{\"type\":\"string\",\"help\":[]}"),
       "\"help\" must be a text or an object of language: text"},
      {FIELD("{\"type\":\"string\",\"help\":{\"id\":\"Nama\"}}"),
       "\"help\" has no \"en\" text"},
      {FIELD("{\"type\":\"string\",\"help\":{\"en\":\"Name\",\"ID\":\"N\"}}"),
       "\"help\": \"ID\" is not a language code"},
      {FIELD("{\"type\":\"string\",\"help\":{\"en\":\"Name\",\"id\":1}}"),
       "\"help\" \"id\" must be a text of 1 to 1000 bytes"},
      {FIELD("{\"type\":\"string\",\"help\":{\"en\":\"\"}}"),
       "\"help\" \"en\" must be a text of 1 to 1000 bytes"},
      {FIELD("{\"type\":\"string\",\"title\":7}"),
       "\"title\" must be a text or an object of language: text"},
      {FIELD("{\"type\":\"string\",\"title\":\"\"}"),
       "\"title\" must be a text of 1 to 100 bytes"},
      {FIELD("{\"type\":\"string\",\"title\":{\"id\":\"Nama\"}}"),
       "\"title\" has no \"en\" text"},
      {FIELD("{\"type\":\"string\",\"title\":{\"en\":\"N\",\"in-do\":\"N\"}}"),
       "\"title\": \"in-do\" is not a language code"},
      {FIELD(
           "{\"type\":\"string\",\"title\":{\"en\":\"Name\",\"id\":"
           "\"0123456789012345678901234567890123456789012345678901234567890123"
           "4567890123456789012345678901234567890\"}}"),
       "\"title\" \"id\" must be a text of 1 to 100 bytes"},
      {FIELD("{\"type\":\"string\",\"option\":\"with space\"}"),
       "bad option \"with space\""},
      {FIELD("{\"type\":\"string\",\"max\":0}"), "\"max\" must be a whole"},
      {FIELD("{\"type\":\"string\",\"max\":1.5}"), "\"max\" must be a whole"},
      {FIELD("{\"type\":\"string\",\"min\":1}"), "\"min\" is only for int"},
      {FIELD("{\"type\":\"int\",\"min\":5,\"max\":4}"),
       "\"min\" is greater than \"max\""},
      {FIELD("{\"type\":\"int\",\"max\":\"9\"}"), "\"max\" must be a whole"},
      {FIELD("{\"type\":\"bool\",\"max\":3}"), "\"max\" is only for string"},
      {FIELD("{\"type\":\"enum\"}"), "an enum needs \"values\""},
      {FIELD("{\"type\":\"enum_list\"}"), "an enum_list needs \"values\""},
      {FIELD("{\"type\":\"enum\",\"values\":[]}"),
       "\"values\" must be a non-empty list"},
      {FIELD("{\"type\":\"enum\",\"values\":\"a\"}"),
       "\"values\" must be a non-empty list"},
      {FIELD("{\"type\":\"enum\",\"values\":[\"a\",2]}"),
       "\"values\" must be non-empty strings, not 2"},
      {FIELD("{\"type\":\"enum\",\"values\":[\"\"]}"),
       "\"values\" must be non-empty strings"},
      {FIELD("{\"type\":\"enum\",\"values\":[\"a\",\"A\"]}"),
       "value \"A\" is listed twice"},
      {FIELD("{\"type\":\"enum\",\"values\":[\" a\"]}"),
       "value \" a\" starts or ends with a space"},
      {FIELD("{\"type\":\"enum_list\",\"values\":[\"a,b\"]}"),
       "value \"a,b\" of an enum_list must not contain a comma"},
      {FIELD("{\"type\":\"string\",\"values\":[\"a\"]}"),
       "\"values\" is only for enum"},
      {FIELD("{\"type\":\"ref\"}"), "a ref needs \"ref\""},
      {FIELD("{\"type\":\"ref\",\"ref\":\"no such\"}"),
       "\"ref\" names a bad collection \"no such\""},
      {FIELD("{\"type\":\"ref\",\"ref\":1}"), "\"ref\" must be a string"},
      {FIELD("{\"type\":\"date\",\"ref\":\"c\"}"), "\"ref\" is only for ref"},
      {FIELD("{\"type\":\"bool\",\"type\":\"int\"}"),
       "\"type\" is given twice"},
  };
  size_t i;
  char want[256];

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    snprintf(want, sizeof(want), "%s%s", where, cases[i].want);
    refused(cases[i].text, want);
  }
  refused(COLL("{\"fields\":{\"bad name\":{\"type\":\"bool\"}}}"),
          "collection \"c\", field \"bad name\": bad field name");
  refused(COLL("{\"fields\":{\"\":{\"type\":\"bool\"}}}"),
          "field \"\": bad field name");
}

TEST(write_unknown_field)
{
  struct schema *s = default_schema();
  write_refused(s, "visit", "{\"date\":\"2024-01-01\",\"x\":1}",
                "unknown field \"x\" in collection visit",
                "known: beneficiary, date, programme, outcome, notes, "
                "follow_up, willing",
                NULL);
  /* Free-form collections take anything. */
  CHECK(write_ok(s, "other", "{\"x\":1,\"y\":[true]}"));
  schema_free(s);
}

TEST(write_types)
{
  struct schema *s = default_schema();
  struct sb_err err = {0};
  char big[4100 + 40];

  CHECK(write_ok(s, "visit",
                 "{\"beneficiary\":\"0190a6b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b\","
                 "\"date\":\"2024-02-29\",\"programme\":\"skills-cooking\","
                 "\"outcome\":\"ok\",\"notes\":\"\",\"follow_up\":null,"
                 "\"willing\":false}"));
  write_refused(s, "visit", "{\"date\":\"2024-13-40\"}", "field \"date\"",
                "expected a date YYYY-MM-DD, got \"2024-13-40\"", NULL);
  write_refused(s, "visit", "{\"date\":20240101}", "field \"date\"",
                "got 20240101", NULL);
  write_refused(s, "visit", "{\"willing\":\"yes\"}", "field \"willing\"",
                "expected true or false, got \"yes\"", NULL);
  write_refused(s, "visit", "{\"outcome\":5}", "field \"outcome\"",
                "expected text, got 5", NULL);
  write_refused(s, "visit", "{\"beneficiary\":\"has space\"}",
                "field \"beneficiary\"", "beneficiary record",
                "got \"has space\"");
  write_refused(s, "visit", "{\"beneficiary\":7}", "field \"beneficiary\"",
                "got 7", NULL);

  /* Strings: max length in bytes, inclusive. */
  memset(big, 'a', sizeof(big));
  memcpy(big, "{\"notes\":\"", 10);
  memcpy(big + 10 + 4000, "\"}", 3);
  CHECK(write_ok(s, "visit", big));
  big[10 + 4000] = 'a';
  memcpy(big + 10 + 4001, "\"}", 3);
  write_refused(s, "visit", big, "field \"notes\"",
                "too long (4001 bytes, at most 4000)", "\"aaaa");
  CHECK(strlen(big) > 4000);
  /* The quoted value is cut short in the message. */
  CHECK_INT(write_check(s, "visit", big, &err), ==, SB_ESCHEMA);
  CHECK(strlen(err.msg) < 200);

  /* Not an object. */
  write_refused(s, "visit", "[1]", "must be a JSON object", NULL, NULL);
  schema_free(s);
}

TEST(write_enum)
{
  struct schema *s = default_schema();
  cJSON *j;
  char *text;

  write_refused(s, "beneficiary", "{\"kecamatan\":\"Bogor\"}",
                "field \"kecamatan\": \"Bogor\" is not allowed",
                "allowed: Serpong, Serpong Utara, Ciputat", "Setu");
  write_refused(s, "beneficiary", "{\"kecamatan\":3}", "field \"kecamatan\"",
                "3 is not allowed", "Pamulang");
  write_refused(s, "visit", "{\"programme\":\"cooking\"}",
                "field \"programme\": \"cooking\" is not allowed",
                "skills-cooking", NULL);

  /* Case-insensitive matches take the schema's spelling. */
  j = parse("{\"kecamatan\":\"serpong UTARA\",\"groups\":[\"ANAK\",\"Miskin\"]"
            "}");
  CHECK_INT(schema_check_write(schema_collection(s, "beneficiary"), j, NULL),
            ==, 0);
  text = json_canon(j);
  CHECK_STR(text, "{\"groups\":[\"anak\",\"miskin\"],\"kecamatan\":\"Serpong "
                  "Utara\"}");
  free(text);
  cJSON_Delete(j);
  schema_free(s);
}

TEST(write_enum_list)
{
  struct schema *s = default_schema();
  CHECK(write_ok(s, "beneficiary", "{\"groups\":[\"perempuan\"]}"));
  CHECK(write_ok(s, "beneficiary",
                 "{\"groups\":[\"miskin\",\"anak\",\"disabilitas\"]}"));
  write_refused(s, "beneficiary", "{\"groups\":[]}", "field \"groups\"",
                "non-empty list", "perempuan");
  write_refused(s, "beneficiary", "{\"groups\":\"anak\"}", "field \"groups\"",
                "non-empty list", "got \"anak\"");
  write_refused(s, "beneficiary", "{\"groups\":[\"anak\",\"lansia\"]}",
                "field \"groups\": \"lansia\" is not allowed",
                "allowed: perempuan, anak", NULL);
  write_refused(s, "beneficiary", "{\"groups\":[\"anak\",1]}",
                "field \"groups\": 1 is not allowed", NULL, NULL);
  write_refused(s, "beneficiary", "{\"groups\":[\"anak\",\"Anak\"]}",
                "field \"groups\": \"anak\" is listed twice", NULL, NULL);
  schema_free(s);
}

TEST(write_null)
{
  struct schema *s = default_schema();
  /* null clears an optional field, and is refused for a required one. */
  CHECK(write_ok(s, "visit", "{\"follow_up\":null,\"notes\":null}"));
  CHECK(write_ok(s, "beneficiary", "{\"name\":null}"));
  write_refused(s, "visit", "{\"date\":null}", "field \"date\" is required",
                NULL, NULL);
  write_refused(s, "beneficiary", "{\"consent\":null}",
                "field \"consent\" is required", NULL, NULL);
  schema_free(s);
}

TEST(dates)
{
  struct schema *s = default_schema();
  static const char *const good[] = {"2024-02-29", "2000-02-29", "2023-02-28",
                                     "2024-12-31", "2024-01-31", "2024-04-30",
                                     "0001-01-01", "9999-12-31"};
  static const char *const bad[] = {
      "2023-02-29",         "1900-02-29",  "2024-04-31",
      "2024-06-31",         "2024-09-31",  "2024-11-31",
      "2024-02-30",         "2024-13-01",  "2024-00-10",
      "2024-01-00",         "2024-01-32",  "0000-01-01",
      "2024-1-01",          "2024-01-1",   "24-01-01",
      "2024/01/01",         "2024-01-01x", "2024-01-01 ",
      " 2024-01-01",        "2024-0a-01",  "",
      "2024-01-01T00:00:00"};
  char text[128];
  size_t i;

  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    snprintf(text, sizeof(text), "{\"date\":\"%s\"}", good[i]);
    CHECK(write_ok(s, "visit", text));
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char want[64];
    snprintf(text, sizeof(text), "{\"follow_up\":\"%s\"}", bad[i]);
    snprintf(want, sizeof(want), "got \"%s\"", bad[i]);
    write_refused(s, "visit", text, "field \"follow_up\"",
                  "expected a date YYYY-MM-DD", want);
  }
  schema_free(s);
}

TEST(record_required)
{
  struct schema *s = default_schema();
  struct sb_err err = {0};

  CHECK_INT(record_check(s, "visit",
                         "{\"beneficiary\":\"b1\",\"date\":\"2024-01-01\","
                         "\"programme\":\"skills-cooking\"}",
                         &err),
            ==, 0);
  CHECK_INT(record_check(s, "visit",
                         "{\"beneficiary\":\"b1\",\"date\":\"2024-01-01\"}",
                         &err),
            ==, SB_ESCHEMA);
  CHECK_STR(err.msg, "missing required field \"programme\" in visit");
  CHECK_INT(record_check(s, "beneficiary",
                         "{\"groups\":[\"anak\"],\"kecamatan\":null,"
                         "\"consent\":false}",
                         &err),
            ==, SB_ESCHEMA);
  CHECK_STR(err.msg, "missing required field \"kecamatan\" in beneficiary");
  CHECK_INT(record_check(s, "beneficiary", "{}", &err), ==, SB_ESCHEMA);
  CHECK_STR(err.msg, "missing required field \"groups\" in beneficiary");
  /* Free-form collections have no requirements. */
  CHECK_INT(record_check(s, "other", "{}", NULL), ==, 0);
  schema_free(s);
}

TEST(record_consent)
{
  struct schema *s = default_schema();
  struct sb_err err = {0};
#define BASE "\"groups\":[\"anak\"],\"kecamatan\":\"Setu\""

  /* No personal details: consent may be false. */
  CHECK_INT(
      record_check(s, "beneficiary", "{" BASE ",\"consent\":false}", &err), ==,
      0);
  CHECK_INT(record_check(s, "beneficiary",
                         "{" BASE ",\"consent\":false,\"name\":null,"
                         "\"kelurahan\":\"Setu\"}",
                         &err),
            ==, 0);
  CHECK_INT(record_check(s, "beneficiary",
                         "{" BASE ",\"consent\":true,\"name\":\"Siti\","
                         "\"contact\":\"0812\"}",
                         &err),
            ==, 0);
  CHECK_INT(record_check(s, "beneficiary",
                         "{" BASE ",\"consent\":false,\"name\":\"Siti\","
                         "\"contact\":\"0812\"}",
                         &err),
            ==, SB_ESCHEMA);
  CHECK_STR(err.msg, "consent required before personal details (name, "
                     "contact) are stored: set consent to true");
  CHECK_INT(record_check(s, "beneficiary",
                         "{" BASE ",\"consent\":false,\"contact\":\"0812\"}",
                         &err),
            ==, SB_ESCHEMA);
  CHECK(strstr(err.msg, "(contact)") != NULL);
  /* Consent missing (required) is reported as such. */
  CHECK_INT(
      record_check(s, "beneficiary", "{" BASE ",\"name\":\"Siti\"}", &err), ==,
      SB_ESCHEMA);
  CHECK_STR(err.msg, "missing required field \"consent\" in beneficiary");
#undef BASE
  schema_free(s);
}

TEST(consent_optional_field)
{
  /* A consent field that is not required: absent means no consent. */
  struct schema *s = NULL;
  struct sb_err err = {0};
  CHECK_INT(schema_parse(COLL("{\"consent\":\"ok\",\"fields\":{"
                              "\"who\":{\"type\":\"string\",\"personal\":true},"
                              "\"ok\":{\"type\":\"bool\"}}}"),
                         &s, &err),
            ==, 0);
  CHECK_INT(record_check(s, "c", "{\"who\":\"x\"}", &err), ==, SB_ESCHEMA);
  CHECK(strstr(err.msg, "set ok to true") != NULL);
  CHECK_INT(record_check(s, "c", "{\"who\":\"x\",\"ok\":true}", &err), ==, 0);
  CHECK_INT(record_check(s, "c", "{}", &err), ==, 0);
  schema_free(s);
}

TEST(arg_values)
{
  struct schema *s = default_schema();
  static const char *const yes[] = {"yes", "YES", "true", "True",
                                    "1",   "ya",  "Ya"};
  static const char *const no[] = {"no", "No",    "false", "FALSE",
                                   "0",  "tidak", "TIDAK"};
  size_t i;

  arg_is(s, "beneficiary", "name", "Siti Aminah", "\"Siti Aminah\"");
  arg_is(s, "beneficiary", "name", "", "\"\"");
  for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
    arg_is(s, "beneficiary", "consent", yes[i], "true");
  for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
    arg_is(s, "visit", "willing", no[i], "false");
  arg_refused(s, "beneficiary", "consent", "maybe", "option --consent",
              "\"maybe\"");
  arg_refused(s, "beneficiary", "consent", "", "option --consent", "\"\"");
  arg_refused(s, "beneficiary", "consent", "yes ", "option --consent", NULL);

  arg_is(s, "visit", "date", "2024-02-29", "\"2024-02-29\"");
  arg_refused(s, "visit", "follow_up", "2026-02-30", "option --follow-up",
              "\"2026-02-30\"");

  arg_is(s, "beneficiary", "kecamatan", "pondok aren", "\"Pondok Aren\"");
  arg_refused(s, "beneficiary", "kecamatan", "Bogor", "option --kecamatan",
              "\"Bogor\" is not allowed (allowed: Serpong");
  arg_refused(s, "visit", "programme", "cooking", "option --programme",
              "skills-cooking");

  arg_is(s, "beneficiary", "groups", "anak", "[\"anak\"]");
  arg_is(s, "beneficiary", "groups", " Perempuan , miskin,anak ",
         "[\"perempuan\",\"miskin\",\"anak\"]");
  arg_refused(s, "beneficiary", "groups", "anak,,miskin", "option --group",
              "empty value in \"anak,,miskin\"");
  arg_refused(s, "beneficiary", "groups", "anak,", "option --group", "empty");
  arg_refused(s, "beneficiary", "groups", "", "option --group", "empty");
  arg_refused(s, "beneficiary", "groups", "anak,lansia", "option --group",
              "\"lansia\" is not allowed");
  arg_refused(s, "beneficiary", "groups", "anak,ANAK", "option --group",
              "listed twice");

  arg_is(s, "visit", "beneficiary", "0190a6b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b",
         "\"0190a6b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b\"");
  arg_refused(s, "visit", "beneficiary", "no such id", "option --beneficiary",
              "\"no such id\"");
  arg_refused(s, "visit", "outcome", "bad \xff utf8", "option --outcome",
              "UTF-8");
  schema_free(s);
}

TEST(arg_int)
{
  struct schema *s = NULL;
  struct sb_err err = {0};
  CHECK_INT(schema_parse(COLL("{\"fields\":{\"age\":{\"type\":\"int\","
                              "\"min\":0,\"max\":120},\"n\":{\"type\":\"int\"}"
                              "}}"),
                         &s, &err),
            ==, 0);
  arg_is(s, "c", "age", "0", "0");
  arg_is(s, "c", "age", "120", "120");
  arg_is(s, "c", "n", "-42", "-42");
  arg_is(s, "c", "n", "999999999999999", "999999999999999");
  arg_is(s, "c", "n", "-999999999999999", "-999999999999999");
  arg_refused(s, "c", "age", "121", "option --age", "from 0 to 120, got 121");
  arg_refused(s, "c", "age", "-1", "option --age", "got -1");
  arg_refused(s, "c", "age", "12a", "option --age", "\"12a\"");
  arg_refused(s, "c", "age", " 12", "option --age", "\" 12\"");
  arg_refused(s, "c", "age", "1.5", "option --age", "\"1.5\"");
  arg_refused(s, "c", "age", "", "option --age", "whole number");
  arg_refused(s, "c", "age", "-", "option --age", "whole number");
  arg_refused(s, "c", "n", "99999999999999999999", "option --n",
              "whole number");
  arg_refused(s, "c", "n", "1000000000000000", "option --n", "whole number");

  /* Writes check the bounds too. */
  write_refused(s, "c", "{\"age\":130}", "field \"age\"",
                "from 0 to 120, got 130", NULL);
  write_refused(s, "c", "{\"age\":1.5}", "field \"age\"", "got 1.5", NULL);
  write_refused(s, "c", "{\"n\":\"3\"}", "field \"n\": expected a whole number",
                "got \"3\"", NULL);
  CHECK(write_ok(s, "c", "{\"age\":7,\"n\":-3}"));
  schema_free(s);
}

TEST(long_lists_are_cut)
{
  /* 40 long enum values: the "allowed" list is cut short, not the message. */
  char text[2048], *p = text;
  struct schema *s = NULL;
  struct sb_err err = {0};
  int i;

  p += snprintf(p, sizeof(text), "%s",
                "{\"version\":1,\"collections\":{\"c\":{\"fields\":{\"e\":{"
                "\"type\":\"enum\",\"values\":[");
  for (i = 0; i < 40; i++)
    p += snprintf(p, sizeof(text) - (size_t)(p - text),
                  "%s\"value-number-%02d\"", i > 0 ? "," : "", i);
  snprintf(p, sizeof(text) - (size_t)(p - text), "]}}}}}");
  CHECK_INT(schema_parse(text, &s, &err), ==, 0);
  CHECK_INT(write_check(s, "c", "{\"e\":\"VALUE-NUMBER-39\"}", &err), ==, 0);
  CHECK_INT(write_check(s, "c", "{\"e\":\"nope\"}", &err), ==, SB_ESCHEMA);
  CHECK(strstr(err.msg, "field \"e\": \"nope\" is not allowed (allowed: "
                        "value-number-00, value-number-01") != NULL);
  CHECK(strstr(err.msg, "value-number-39") == NULL);
  CHECK(strstr(err.msg, ", ...)") != NULL);
  schema_free(s);
}

/* schema_value_text_ok decides from the text only what the full check
 * (a parse, schema_check_field) passes unchanged: over every field of the
 * default schema and values of every kind, a yes is never wrong, and the
 * common values get one. */
TEST(value_text_ok_agrees_with_the_full_check)
{
  static const char *values[] = {"true",
                                 "false",
                                 "null",
                                 "0",
                                 "7",
                                 "-1",
                                 "1.5",
                                 "\"\"",
                                 "\"x\"",
                                 "\"Setu\"",
                                 "\"setu\"",
                                 "\"SETU\"",
                                 "\"Pamulang\"",
                                 "\"Serpong Utara\"",
                                 "\"enrolled\"",
                                 "\"skills-cooking\"",
                                 "\"2026-01-13\"",
                                 "\"2026-02-30\"",
                                 "\"2026-1-3\"",
                                 "\"b-091274\"",
                                 "\"has space\"",
                                 "\"a\\\"b\"",
                                 "\"a\\\\b\"",
                                 "\"a\\u0000b\"",
                                 "\"\\n\"",
                                 "\"Cipta\xc3\xa9\"",
                                 "[\"anak\"]",
                                 "[]",
                                 "{}",
                                 "{\"a\":1}",
                                 "\"true\"",
                                 "\"0\"",
                                 "\"anak\"",
                                 "\"perempuan\"",
                                 "\"miskin\""};
  struct schema *s = default_schema();
  size_t c, f, v, yes = 0;

  for (c = 0; c < s->nc; c++) {
    const struct schema_collection *col = &s->c[c];
    for (f = 0; f < col->nfields; f++) {
      const char *name = col->fields[f].name;
      for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
        cJSON *j;
        char *after;
        if (!schema_value_text_ok(col, name, values[v]))
          continue;
        yes++;
        j = parse(values[v]);
        if (schema_check_field(col, name, j, NULL) != 0)
          fprintf(stderr, "%s.%s: %s passed from its text only\n", col->name,
                  name, values[v]);
        CHECK_INT(schema_check_field(col, name, j, NULL), ==, 0);
        after = json_canon(j);
        CHECK_STR(after, values[v]);
        free(after);
        cJSON_Delete(j);
      }
      CHECK(!schema_value_text_ok(col, name, "\"a\\\"b\"") ||
            col->fields[f].type == SCHEMA_STRING);
    }
  }
  CHECK(!schema_value_text_ok(schema_collection(s, "visit"), "nope", "true"));
  CHECK(schema_value_text_ok(schema_collection(s, "visit"), "willing", "true"));
  CHECK(schema_value_text_ok(schema_collection(s, "beneficiary"), "kecamatan",
                             "\"Setu\""));
  CHECK(!schema_value_text_ok(schema_collection(s, "beneficiary"), "kecamatan",
                              "\"setu\""));
  CHECK(schema_value_text_ok(schema_collection(s, "visit"), "date",
                             "\"2026-01-13\""));
  CHECK(!schema_value_text_ok(schema_collection(s, "visit"), "date",
                              "\"2026-02-30\""));
  CHECK(yes > 20);
  schema_free(s);
}

TEST(json_plain_string)
{
  char b[8];
  CHECK(json_plain_string("\"abc\"", b, sizeof(b)));
  CHECK_STR(b, "abc");
  CHECK(json_plain_string("\"\"", b, sizeof(b)));
  CHECK_STR(b, "");
  CHECK(!json_plain_string("\"a\\nb\"", b, sizeof(b)));
  CHECK(!json_plain_string("\"12345678\"", b, sizeof(b))); /* no room */
  CHECK(json_plain_string("\"1234567\"", b, sizeof(b)));
  CHECK_STR(b, "1234567");
  CHECK(!json_plain_string("7", b, sizeof(b)));
  CHECK(!json_plain_string("\"", b, sizeof(b)));
  CHECK(!json_plain_string("\"a\"b\"", b, sizeof(b)));
  CHECK(!json_plain_string("[\"a\"]", b, sizeof(b)));
}
