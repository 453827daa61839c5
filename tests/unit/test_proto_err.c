/*
 * test_proto_err.c - the sync protocol's error codes: the proto_err table
 * (names, HTTP statuses, parsing) and the error envelope (error_encode,
 * error_decode), with and without "record". Split from test_proto.c.
 */
#include "check.h"

#include "proto.h"

TEST(error_codes_table)
{
  unsigned i, n = 0;

  /* Every entry round-trips name <-> enum, has a valid wire name, and
   * names are unique (parse finds the entry itself, not an earlier one). */
  for (i = 1; i < PROTO_ERR_COUNT_; i++) {
    const char *name = proto_err_name((enum proto_err)i);
    unsigned st = proto_err_status((enum proto_err)i);
    CHECK(name != NULL && strlen(name) <= PROTO_ERR_NAME_MAX);
    CHECK(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
          strlen(name));
    CHECK_INT(proto_err_parse(name), ==, i);
    CHECK(st == 0 || (st >= 400 && st < 600));
    CHECK(proto_err_meaning((enum proto_err)i)[0] != '\0');
    n++;
  }
  CHECK_INT(n, >=, 16);
  /* Every code the hub emits today, and the HTTP status it comes with. */
  {
    static const struct {
      const char *name;
      enum proto_err code;
      unsigned status;
    } known[] = {
        {"malformed", PROTO_ERR_MALFORMED, 400},
        {"bad_query", PROTO_ERR_BAD_QUERY, 400},
        {"unauthorized", PROTO_ERR_UNAUTHORIZED, 401},
        {"revoked", PROTO_ERR_REVOKED, 403},
        {"replica_mismatch", PROTO_ERR_REPLICA_MISMATCH, 403},
        {"forbidden", PROTO_ERR_FORBIDDEN, 403},
        {"not_found", PROTO_ERR_NOT_FOUND, 404},
        {"method_not_allowed", PROTO_ERR_METHOD_NOT_ALLOWED, 405},
        {"too_large", PROTO_ERR_TOO_LARGE, 413},
        {"unsupported_media_type", PROTO_ERR_UNSUPPORTED_MEDIA_TYPE, 415},
        {"slow_down", PROTO_ERR_SLOW_DOWN, 429},
        {"internal", PROTO_ERR_INTERNAL, 500},
        {"unavailable", PROTO_ERR_UNAVAILABLE, 503},
        {"schema", PROTO_ERR_SCHEMA, 0},
        {"future_timestamp", PROTO_ERR_FUTURE_TIMESTAMP, 0},
        {"forged_dot", PROTO_ERR_FORGED_DOT, 0},
        {"forged_entry", PROTO_ERR_FORGED_ENTRY, 0},
        {"dot_reused", PROTO_ERR_DOT_REUSED, 0},
        {"out_of_scope", PROTO_ERR_OUT_OF_SCOPE, 0},
        {"purged", PROTO_ERR_PURGED, 0},
        {"merge_failed", PROTO_ERR_MERGE_FAILED, 0},
    };
    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
      CHECK_INT(proto_err_parse(known[i].name), ==, known[i].code);
      CHECK_STR(proto_err_name(known[i].code), known[i].name);
      CHECK_INT(proto_err_status(known[i].code), ==, known[i].status);
    }
  }
  /* Unknown names (a newer hub's), and nonsense, parse to unknown. */
  CHECK_INT(proto_err_parse("quota_exceeded"), ==, PROTO_ERR_UNKNOWN);
  CHECK_INT(proto_err_parse("unknown"), ==, PROTO_ERR_UNKNOWN);
  CHECK_INT(proto_err_parse(""), ==, PROTO_ERR_UNKNOWN);
  CHECK_INT(proto_err_parse("Malformed"), ==, PROTO_ERR_UNKNOWN);
  CHECK_INT(proto_err_parse("malformed "), ==, PROTO_ERR_UNKNOWN);
  CHECK_INT(proto_err_parse(NULL), ==, PROTO_ERR_UNKNOWN);
  CHECK_STR(proto_err_name(PROTO_ERR_UNKNOWN), "unknown");
  CHECK_STR(proto_err_name((enum proto_err)PROTO_ERR_COUNT_), "unknown");
  CHECK_STR(proto_err_name((enum proto_err) - 1), "unknown");
  CHECK_INT(proto_err_status((enum proto_err)PROTO_ERR_COUNT_), ==, 500);
}

TEST(error_envelope)
{
  struct proto_error e;
  struct sb_err err = {0};
  char *text =
      error_encode(PROTO_ERR_FORGED_DOT, -1, "dot [\"r9\",3] was never seen");
  CHECK_STR(text, "{\"error\":{\"code\":\"forged_dot\",\"message\":\"dot "
                  "[\\\"r9\\\",3] was never seen\"}}");
  CHECK_INT(error_decode(&e, text, strlen(text), &err), ==, 0);
  CHECK_INT(e.code, ==, PROTO_ERR_FORGED_DOT);
  CHECK_STR(e.name, "forged_dot");
  CHECK_INT(e.record, ==, -1);
  CHECK_STR(e.message, "dot [\"r9\",3] was never seen");
  free(text);

  /* A bad code is never sent; an empty message becomes the code. */
  text = error_encode(PROTO_ERR_UNKNOWN, -1, "");
  CHECK_STR(text,
            "{\"error\":{\"code\":\"internal\",\"message\":\"internal\"}}");
  free(text);
  text = error_encode((enum proto_err)PROTO_ERR_COUNT_, -1, NULL);
  CHECK_STR(text,
            "{\"error\":{\"code\":\"internal\",\"message\":\"internal\"}}");
  free(text);

  /* Truncated to the struct's buffer; unknown fields ignored. */
  {
    const char *in = "{\"error\":{\"code\":\"slow_down\",\"message\":"
                     "\"too many requests, retry later\",\"retry\":5},"
                     "\"x\":[1]}";
    char big[2 * SB_ERR_MSG_MAX], *long_env;
    CHECK_INT(error_decode(&e, in, strlen(in), NULL), ==, 0);
    CHECK_INT(e.code, ==, PROTO_ERR_SLOW_DOWN);
    CHECK_STR(e.message, "too many requests, retry later");
    memset(big, 'm', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    long_env = error_encode(PROTO_ERR_INTERNAL, -1, big);
    CHECK(long_env != NULL);
    CHECK_INT(error_decode(&e, long_env, strlen(long_env), NULL), ==, 0);
    CHECK_INT(strlen(e.message), ==, SB_ERR_MSG_MAX - 1);
    free(long_env);
  }

  /* A code this build does not know: kept by name, parsed to unknown. */
  {
    const char *in = "{\"error\":{\"code\":\"quota_exceeded\",\"message\":"
                     "\"the office's quota is used up\"}}";
    CHECK_INT(error_decode(&e, in, strlen(in), NULL), ==, 0);
    CHECK_INT(e.code, ==, PROTO_ERR_UNKNOWN);
    CHECK_STR(e.name, "quota_exceeded");
    CHECK_INT(e.record, ==, -1);
  }

  /* Refusals: not JSON (an HTML page from a proxy), wrong shapes. */
  {
    static const char *bad[] = {
        "<html><body>502 Bad Gateway</body></html>",
        "",
        "{}",
        "{\"error\":\"boom\"}",
        "{\"error\":{\"code\":\"x\"}}",
        "{\"error\":{\"message\":\"x\"}}",
        "{\"error\":{\"code\":1,\"message\":\"x\"}}",
        "{\"error\":{\"code\":\"BAD\",\"message\":\"x\"}}",
        "{\"error\":{\"code\":\"x\",\"message\":\"\"}}",
        "{\"error\":{\"code\":\"x\",\"message\":\"y\",\"code\":\"z\"}}",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      e.record = 77;
      CHECK_INT(error_decode(&e, bad[i], strlen(bad[i]), NULL), ==,
                SB_EPROTOCOL);
      CHECK_INT(e.record, ==, 77); /* untouched on error */
    }
  }
}

TEST(error_envelope_record)
{
  struct proto_error e;
  struct sb_err err = {0};
  char *text;
  size_t i;

  /* With "record": encoded in canonical order, decoded back. */
  text = error_encode(PROTO_ERR_MALFORMED, 3,
                      "push request: records[3]: \"vv\" must be an "
                      "object");
  CHECK_STR(text, "{\"error\":{\"code\":\"malformed\",\"message\":\"push "
                  "request: records[3]: \\\"vv\\\" must be an object\","
                  "\"record\":3}}");
  CHECK_INT(error_decode(&e, text, strlen(text), &err), ==, 0);
  CHECK_INT(e.code, ==, PROTO_ERR_MALFORMED);
  CHECK_INT(e.record, ==, 3);
  free(text);
  text = error_encode(PROTO_ERR_FORGED_DOT, 0, "forged");
  CHECK_STR(text, "{\"error\":{\"code\":\"forged_dot\",\"message\":"
                  "\"forged\",\"record\":0}}");
  CHECK_INT(error_decode(&e, text, strlen(text), NULL), ==, 0);
  CHECK_INT(e.code, ==, PROTO_ERR_FORGED_DOT);
  CHECK_INT(e.record, ==, 0);
  free(text);
  text = error_encode(PROTO_ERR_MALFORMED, PROTO_MAX_BATCH - 1, "last");
  CHECK_INT(error_decode(&e, text, strlen(text), NULL), ==, 0);
  CHECK_INT(e.record, ==, PROTO_MAX_BATCH - 1);
  free(text);
  /* An index no push can have is not sent. */
  text = error_encode(PROTO_ERR_MALFORMED, PROTO_MAX_BATCH, "x");
  CHECK_STR(text, "{\"error\":{\"code\":\"malformed\",\"message\":\"x\"}}");
  free(text);

  /* A bad "record" refuses the envelope. */
  {
    static const char *bad[] = {
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":-1}}",
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":1.5}}",
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":"
        "\"3\"}}",
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":"
        "null}}",
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":"
        "true}}",
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":[3]}}",
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":"
        "1e300}}",
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":"
        "1000}}",
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":1,"
        "\"record\":2}}",
    };
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      memset(&err, 0, sizeof(err));
      CHECK_INT(error_decode(&e, bad[i], strlen(bad[i]), &err), ==,
                SB_EPROTOCOL);
      fprintf(stderr, "case %zu: %s\n", i, err.msg);
      CHECK(err.msg[0] != '\0');
    }
  }
  /* 1.0 is the integer 1 (PROTOCOL.md, Conventions). */
  {
    const char *in =
        "{\"error\":{\"code\":\"malformed\",\"message\":\"x\",\"record\":1.0}}";
    CHECK_INT(error_decode(&e, in, strlen(in), NULL), ==, 0);
    CHECK_INT(e.record, ==, 1);
  }
}

TEST(record_message)
{
  /* The hub's "COLLECTION/ID: " prefix is passed over beside that key... */
  CHECK_STR(proto_record_message("beneficiary", "b1",
                                 "beneficiary/b1: outside the scope"),
            "outside the scope");
  /* ...and kept when it names another record, or is not a whole prefix. */
  CHECK_STR(proto_record_message("beneficiary", "b1",
                                 "beneficiary/b10: outside the scope"),
            "beneficiary/b10: outside the scope");
  CHECK_STR(proto_record_message("visit", "b1", "beneficiary/b1: x"),
            "beneficiary/b1: x");
  CHECK_STR(proto_record_message("beneficiary", "b1", "beneficiary/b1"),
            "beneficiary/b1");
  CHECK_STR(proto_record_message("beneficiary", "b1", ""), "");
}
