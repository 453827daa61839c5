/*
 * test_cli_oom.c - the CLI's lookups when memory runs out (oom.h). A
 * record found by its name for a new visit (`visit add --beneficiary
 * siti`) and the filters of a list must fail with SB_ENOMEM or answer as
 * without failure: a name that could not be read must never pass its
 * record over, which would leave the list short or settle an ambiguous
 * name on the other person of that name, and file the visit under them.
 */
#include "check.h"
#include "check_record.h"

#include "cli.h"
#include "oom.h"
#include "schema.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

#define A "00000000000000aa"

/* A store holding two beneficiaries called Siti, and the CLI on it. */
static void open_cli(struct cli *cli)
{
  static const char *const people[][2] = {
      {"b1", "{\"name\":\"Siti Aminah\",\"kecamatan\":\"Setu\","
             "\"groups\":[\"perempuan\"],\"consent\":true}"},
      {"b2", "{\"name\":\"Siti Rahma\",\"kecamatan\":\"Setu\","
             "\"groups\":[\"anak\"],\"consent\":true}"}};
  char path[512];
  struct store *s = NULL;

  snprintf(path, sizeof(path), "%s/cli.db", check_testdir());
  CHECK_INT(store_create(path, schema_default_text, &s, NULL), ==, 0);
  CHECK_INT(store_begin(s, NULL), ==, 0);
  for (size_t i = 0; i < 2; i++) {
    struct record r;
    check_record(&r, "beneficiary", people[i][0], A, 100 + i, people[i][1]);
    CHECK_INT(store_put(s, &r, NULL), ==, 0);
    record_release(&r);
  }
  CHECK_INT(store_commit(s, NULL), ==, 0);
  memset(cli, 0, sizeof(*cli));
  cli->store = s;
  CHECK_INT(schema_parse(schema_default_text, &cli->schema, NULL), ==, 0);
}

static void close_cli(struct cli *cli)
{
  store_close(cli->store);
  schema_free(cli->schema);
}

static const struct schema_field *visit_beneficiary(const struct cli *cli)
{
  const struct schema_field *f =
      schema_field(schema_collection(cli->schema, "visit"), "beneficiary");
  CHECK(f != NULL);
  return f;
}

/* Resolves arg as the visit's beneficiary with the n-th allocation
 * failing (n 0: none): rc, and the id found in out. */
static int resolve(struct cli *cli, const char *arg, long n, char *out)
{
  struct sb_err err = {0};
  int rc;

  out[0] = '\0';
  if (n > 0)
    oom_arm(n);
  rc = ref_resolve(cli, visit_beneficiary(cli), arg, out, &err);
  oom_disarm();
  return rc;
}

TEST(ref_by_name)
{
  static const char *const args[] = {"siti", "aminah", "Siti Rahma"};
  struct cli cli;

  open_cli(&cli);
  for (size_t a = 0; a < sizeof(args) / sizeof(args[0]); a++) {
    char want[SB_ID_MAX + 1], got[SB_ID_MAX + 1];
    int want_rc = resolve(&cli, args[a], 0, want);

    /* "siti" names both: refused as ambiguous; the others one each. */
    CHECK(a == 0 ? want_rc != 0 : want_rc == 0);
    OOM_EACH_FAILURE(n)
    {
      int rc = resolve(&cli, args[a], n, got);

      if (rc == want_rc && !(rc == 0 && strcmp(got, want) != 0)) {
        if (!oom_failed())
          more_ = 0;
      } else {
        CHECK(oom_failed());
        CHECK_INT(rc, ==, SB_ENOMEM);
      }
    }
  }
  close_cli(&cli);
}

TEST(filter_by_text)
{
  struct cli cli;
  struct filter f;
  struct record r;

  open_cli(&cli);
  record_init(&r, "beneficiary", "b1");
  CHECK_INT(store_get(cli.store, "beneficiary", "b1", &r, NULL), ==, 0);
  CHECK_INT(filter_text(&f, "name", "AMINAH", NULL), ==, 0);
  CHECK_INT(filter_match(&f, 1, &r), ==, 1);
  OOM_EACH_FAILURE(n)
  {
    int ok;

    oom_arm(n);
    ok = filter_match(&f, 1, &r);
    oom_disarm();
    if (!oom_failed()) {
      CHECK_INT(ok, ==, 1);
      more_ = 0;
    } else {
      CHECK_INT(ok, ==, SB_ENOMEM); /* never 0: the row left out */
    }
  }
  filter_release(&f, 1);
  record_release(&r);
  close_cli(&cli);
}
