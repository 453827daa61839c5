/* check_record.c - records written in one line (check_record.h). */
#include "check_record.h"

#include "check.h"

void check_put(struct record *r, const char *replica, uint64_t ts,
               const char *json)
{
  struct sb_err err = {0};
  cJSON *fields = cJSON_Parse(json);
  int rc;

  CHECK(fields != NULL);
  rc = record_put(r, replica, ts, fields, &err);
  if (rc != 0)
    fprintf(stderr, "record_put %s: %s\n", json, err.msg);
  CHECK_INT(rc, ==, 0);
  cJSON_Delete(fields);
}

void check_record(struct record *r, const char *collection, const char *id,
                  const char *replica, uint64_t ts, const char *json)
{
  record_init(r, collection, id);
  check_put(r, replica, ts, json);
}
