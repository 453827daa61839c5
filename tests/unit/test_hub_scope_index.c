/*
 * test_hub_scope_index.c - scoped reads on the SQLite hub (daemon/hub/
 * DESIGN.md, "Scoped reads"): every save stores the record's scope part
 * beside it (a visit its beneficiary's, re-stored when the beneficiary
 * moves), a scoped page reads only its parts' rows (and the moved ones)
 * yet its cursor passes the rest, rows whose part is not known are still
 * read, and a store whose rows lack parts gets them at open.
 */
#include "check.h"

#include "hub_store.h"
#include "json.h"
#include "schema.h"
#include "scope.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A "00000000000000aa"
#define TS 1714550400000000ull

/* The test's hub file (in the test's own directory). */
static void hub_path(char *path, size_t size)
{
  snprintf(path, size, "%s/hub.db", check_testdir());
}

/* Pushes one record of fields (JSON) written by A at ts; its seq. */
static uint64_t put(struct hub_store *hs, const char *coll, const char *id,
                    uint64_t ts, const char *fields)
{
  struct push_reply rep;
  struct hub_push_stats st;
  struct record r;
  struct sb_err err = {0};
  cJSON *j = cJSON_Parse(fields);
  uint64_t seq;

  CHECK(j != NULL);
  record_init(&r, coll, id);
  if (hub_store_get(hs, coll, id, &r, &seq, &err) != 0) /* new: fresh */
    record_init(&r, coll, id);
  CHECK_INT(record_put(&r, A, ts, j, NULL), ==, 0);
  cJSON_Delete(j);
  push_reply_init(&rep);
  CHECK_INT(hub_store_push(hs, A, TS * 2, &r, 1, &rep, &st, &err), ==, 0);
  CHECK(rep.n == 1 && rep.res[0].ok);
  seq = rep.res[0].seq;
  push_reply_release(&rep);
  record_release(&r);
  return seq;
}

static uint64_t benef(struct hub_store *hs, const char *id, uint64_t ts,
                      const char *kec)
{
  char fields[256];
  snprintf(fields, sizeof(fields),
           "{\"consent\":true,\"groups\":[\"miskin\"],\"kecamatan\":\"%s\","
           "\"name\":\"Ibu %s\"}",
           kec, id);
  return put(hs, "beneficiary", id, ts, fields);
}

static uint64_t visit(struct hub_store *hs, const char *id, const char *of)
{
  char fields[256];
  snprintf(fields, sizeof(fields),
           "{\"beneficiary\":\"%s\",\"date\":\"2024-05-01\","
           "\"programme\":\"skills-cooking\"}",
           of);
  return put(hs, "visit", id, TS, fields);
}

/* The stored part of (coll, id) read with SQLite ("NULL" for NULL). */
static void part_of(const char *coll, const char *id, char *out, size_t size)
{
  char path[512];
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;

  hub_path(path, sizeof(path));
  CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
  CHECK_INT(sqlite3_prepare_v2(db,
                               "SELECT part FROM records"
                               " WHERE collection = ?1 AND id = ?2",
                               -1, &st, NULL),
            ==, SQLITE_OK);
  sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  CHECK_INT(sqlite3_step(st), ==, SQLITE_ROW);
  snprintf(out, size, "%s",
           sqlite3_column_type(st, 0) == SQLITE_NULL
               ? "NULL"
               : (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void raw_exec(const char *sql)
{
  char path[512];
  sqlite3 *db = NULL;

  hub_path(path, sizeof(path));
  CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close(db);
}

/* The page of scope text from since as "id,id,-gone,..." into out. */
static void page_of(struct hub_store *hs, const char *scope, uint64_t since,
                    char *out, size_t size, uint64_t *next)
{
  struct scope_parts dev;
  struct hub_page p;
  struct sb_err err = {0};
  size_t i, len = 0;

  scope_parts_init(&dev);
  CHECK_INT(scope_parse(hub_store_schema(hs), scope, &dev, &err), ==, 0);
  hub_store_page_init(&p);
  CHECK_INT(hub_store_changes_scoped(hs, since, 100, &dev, NULL, &p, &err), ==,
            0);
  out[0] = '\0';
  for (i = 0; i < p.n; i++) {
    cJSON *j = cJSON_Parse(p.states[i]);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    CHECK(cJSON_IsString(id));
    len += (size_t)snprintf(out + len, size - len, "%s%s%s", i ? "," : "",
                            p.gone[i] ? "-" : "", id->valuestring);
    cJSON_Delete(j);
  }
  CHECK(!p.more);
  *next = p.next;
  hub_store_page_release(&p);
  scope_parts_release(&dev);
}

static struct hub_store *new_hub(void)
{
  char path[512];
  struct hub_store *hs = NULL;
  struct sb_err err = {0};

  hub_path(path, sizeof(path));
  CHECK_INT(hub_store_create(path, schema_default_text, &hs, &err), ==, 0);
  return hs;
}

TEST(each_save_stores_its_part_and_a_page_reads_only_its_own)
{
  struct hub_store *hs = new_hub();
  char part[64], got[256];
  uint64_t next = 0, last = 0;

  benef(hs, "b1", TS, "Setu");
  benef(hs, "b2", TS, "Pamulang");
  visit(hs, "v1", "b1");
  visit(hs, "v9", "nobody"); /* follows an unknown record: in no scope */
  last = benef(hs, "b3", TS, "Pamulang");
  part_of("beneficiary", "b1", part, sizeof(part));
  CHECK_STR(part, "Setu");
  part_of("visit", "v1", part, sizeof(part));
  CHECK_STR(part, "Setu");
  part_of("visit", "v9", part, sizeof(part));
  CHECK_STR(part, "");
  page_of(hs, "Setu", 0, got, sizeof(got), &next);
  CHECK_STR(got, "b1,v1");
  CHECK_INT(next, ==, last); /* passes Pamulang's rows after v1 */
  page_of(hs, "Setu,Pamulang", 0, got, sizeof(got), &next);
  CHECK_STR(got, "b1,b2,v1,b3");
  page_of(hs, "Ciputat", 0, got, sizeof(got), &next);
  CHECK_STR(got, "");
  CHECK_INT(next, ==, last);

  /* A move: b1 and its visit leave Setu (told), reach Pamulang. */
  benef(hs, "b1", TS + 1, "Pamulang");
  part_of("visit", "v1", part, sizeof(part));
  CHECK_STR(part, "Pamulang");
  page_of(hs, "Setu", last, got, sizeof(got), &next);
  CHECK_STR(got, "-b1,-v1");
  page_of(hs, "Pamulang", last, got, sizeof(got), &next);
  CHECK_STR(got, "b1,v1");
  page_of(hs, "Ciputat", last, got, sizeof(got), &next);
  CHECK_STR(got, "");

  /* Not read at all: a damaged row of Pamulang does not reach Setu's. */
  raw_exec("UPDATE records SET state = 'damaged' WHERE id = 'b2'");
  page_of(hs, "Setu", 0, got, sizeof(got), &next);
  CHECK_STR(got, "-b1,-v1");
  hub_store_close(hs);
}

TEST(rows_without_a_part_are_read_and_get_one_at_open)
{
  struct hub_store *hs = new_hub();
  struct sb_err err = {0};
  char path[512], part[64], got[256];
  uint64_t next = 0;

  benef(hs, "b1", TS, "Setu");
  benef(hs, "b2", TS, "Pamulang");
  visit(hs, "v1", "b1");
  benef(hs, "b1", TS + 1, "Ciputat");
  benef(hs, "b1", TS + 2, "Setu");
  /* As a store made before parts were kept. */
  raw_exec("UPDATE records SET part = NULL, moved = NULL;"
           "DELETE FROM meta WHERE key = 'scope.parts_indexed';");
  page_of(hs, "Setu", 0, got, sizeof(got), &next);
  CHECK_STR(got, "b1,v1");
  page_of(hs, "Ciputat", 3, got, sizeof(got), &next);
  CHECK_STR(got, "-b1,-v1"); /* moved back after 3 */
  hub_store_close(hs);

  hub_path(path, sizeof(path));
  CHECK_INT(hub_store_open(path, &hs, &err), ==, 0);
  part_of("beneficiary", "b2", part, sizeof(part));
  CHECK_STR(part, "Pamulang");
  part_of("visit", "v1", part, sizeof(part));
  CHECK_STR(part, "Setu");
  page_of(hs, "Setu", 0, got, sizeof(got), &next);
  CHECK_STR(got, "b1,v1");
  page_of(hs, "Ciputat", 3, got, sizeof(got), &next);
  CHECK_STR(got, "-b1,-v1");
  page_of(hs, "Pamulang", 3, got, sizeof(got), &next);
  CHECK_STR(got, ""); /* never there: not told */
  hub_store_close(hs);
}

/* The integer the query sql gives with text parameters ?1..?3 (NULL
 * binds NULL; a statement may use fewer), read with SQLite. */
static int sql_int(const char *sql, const char *a, const char *b, const char *c)
{
  const char *params[3] = {a, b, c};
  char path[512];
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int i, n;

  hub_path(path, sizeof(path));
  CHECK_INT(sqlite3_open(path, &db), ==, SQLITE_OK);
  CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  for (i = 0; i < sqlite3_bind_parameter_count(st) && i < 3; i++)
    sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
  CHECK_INT(sqlite3_step(st), ==, SQLITE_ROW);
  n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

/* The refs rows noted for (ref, collection, id); id NULL: any. */
static int refs_rows(const char *ref, const char *coll, const char *id)
{
  return sql_int("SELECT count(*) FROM refs WHERE ref = ?1 AND"
                 " collection = ?2 AND id = coalesce(?3, id)",
                 ref, coll, id);
}

/* The seq of visit id. */
static int seq_of(const char *id)
{
  return sql_int("SELECT seq FROM records WHERE collection = 'visit'"
                 " AND id = ?1",
                 id, NULL, NULL);
}

/* A beneficiary's scope change finds its visits through the notes of who
 * follows whom, not by reading every visit: a damaged visit that follows
 * another beneficiary is never read. A note that outlived an edit of the
 * ref is checked and passed over, and a store whose notes are gone gets
 * them back at open. */
TEST(followers_are_found_by_their_notes)
{
  struct hub_store *hs = new_hub();
  struct sb_err err = {0};
  char path[512], part[64];
  int seq;

  benef(hs, "b1", TS, "Setu");
  visit(hs, "v1", "b1");
  visit(hs, "v2", "b2"); /* before its beneficiary */
  visit(hs, "v9", "b9");
  CHECK_INT(refs_rows("b1", "visit", "v1"), ==, 1);
  CHECK_INT(refs_rows("b2", "visit", "v2"), ==, 1);
  part_of("visit", "v2", part, sizeof(part));
  CHECK_STR(part, "");
  raw_exec("UPDATE records SET state = 'damaged' WHERE id = 'v9'");

  benef(hs, "b2", TS, "Pamulang"); /* new: v2 now in Pamulang */
  part_of("visit", "v2", part, sizeof(part));
  CHECK_STR(part, "Pamulang");
  put(hs, "visit", "v1", TS + 5, "{\"beneficiary\":\"b2\"}"); /* b1 -> b2 */
  part_of("visit", "v1", part, sizeof(part));
  CHECK_STR(part, "Pamulang");
  CHECK_INT(refs_rows("b1", "visit", "v1"), ==, 1); /* outlived the edit */
  seq = seq_of("v1");
  benef(hs, "b1", TS + 1, "Ciputat");
  part_of("visit", "v1", part, sizeof(part));
  CHECK_STR(part, "Pamulang");
  CHECK_INT(seq_of("v1"), ==, seq); /* not b1's any more: not re-saved */
  benef(hs, "b2", TS + 1, "Setu");
  part_of("visit", "v1", part, sizeof(part));
  CHECK_STR(part, "Setu");
  part_of("visit", "v2", part, sizeof(part));
  CHECK_STR(part, "Setu");
  hub_store_close(hs);

  /* As a store made before the notes were kept. */
  raw_exec("DELETE FROM records WHERE id = 'v9';"
           "DELETE FROM refs; DELETE FROM meta WHERE key = 'refs.complete';");
  hub_path(path, sizeof(path));
  CHECK_INT(hub_store_open(path, &hs, &err), ==, 0);
  CHECK_INT(refs_rows("b2", "visit", NULL), ==, 2);
  CHECK_INT(refs_rows("b1", "visit", NULL), ==, 0);
  benef(hs, "b2", TS + 2, "Pamulang");
  part_of("visit", "v1", part, sizeof(part));
  CHECK_STR(part, "Pamulang");
  hub_store_close(hs);
}

/* A visit's scope is its beneficiary's part as stored beside it: the
 * beneficiary's state is not decoded (a damaged one is not even read),
 * and one whose part is not known is decoded as before. */
TEST(a_visit_takes_its_beneficiarys_stored_part)
{
  struct hub_store *hs = new_hub();
  char part[64];

  benef(hs, "b1", TS, "Setu");
  benef(hs, "b2", TS, "Pamulang");
  raw_exec("UPDATE records SET state = 'damaged' WHERE id = 'b1';"
           "UPDATE records SET part = NULL WHERE id = 'b2';");
  visit(hs, "v1", "b1");
  part_of("visit", "v1", part, sizeof(part));
  CHECK_STR(part, "Setu");
  visit(hs, "v2", "b2");
  part_of("visit", "v2", part, sizeof(part));
  CHECK_STR(part, "Pamulang");
  hub_store_close(hs);
}

/* A scoped page takes each entry's scope from the part stored beside it,
 * without decoding the state (a stored part is authoritative: here one
 * set by hand against the state), and decodes those whose part is not
 * known. */
TEST(a_scoped_page_reads_stored_parts)
{
  struct hub_store *hs = new_hub();
  char got[256];
  uint64_t next = 0;

  benef(hs, "b1", TS, "Setu");
  benef(hs, "b2", TS, "Setu");
  visit(hs, "v2", "b2");
  raw_exec("UPDATE records SET part = 'Pamulang' WHERE id = 'b1';"
           "UPDATE records SET part = NULL WHERE id = 'v2';");
  page_of(hs, "Setu", 0, got, sizeof(got), &next);
  CHECK_STR(got, "b2,v2");
  page_of(hs, "Pamulang", 0, got, sizeof(got), &next);
  CHECK_STR(got, "b1");
  hub_store_close(hs);
}
