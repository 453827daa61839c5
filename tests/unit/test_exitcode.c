/*
 * test_exitcode.c - the exit codes scripts rely on (README.md, "Exit
 * codes") and the one error-to-exit mapping.
 */
#include "check.h"

#include "err.h"
#include "exitcode.h"

TEST(numbers)
{
  CHECK_INT(EXITCODE_OK, ==, 0);
  CHECK_INT(EXITCODE_FAILURE, ==, 1);
  CHECK_INT(EXITCODE_USAGE, ==, 2);
  CHECK_INT(EXITCODE_NOTFOUND, ==, 3);
  CHECK_INT(EXITCODE_INVALID, ==, 4);
  CHECK_INT(EXITCODE_LOCKED, ==, 5);
  CHECK_INT(EXITCODE_UNUSABLE, ==, 6);
  CHECK_INT(EXITCODE_UNSYNCED, ==, 7);
}

TEST(from_err)
{
  CHECK_INT(exitcode_from_err(0), ==, 0);
  CHECK_INT(exitcode_from_err(SB_ENOTFOUND), ==, 3);
  CHECK_INT(exitcode_from_err(SB_EINVAL), ==, 4);
  CHECK_INT(exitcode_from_err(SB_EJSON), ==, 4);
  CHECK_INT(exitcode_from_err(SB_EUTF8), ==, 4);
  CHECK_INT(exitcode_from_err(SB_ETOOBIG), ==, 4);
  CHECK_INT(exitcode_from_err(SB_ESCHEMA), ==, 4);
  CHECK_INT(exitcode_from_err(SB_EBUSY), ==, 5);
  CHECK_INT(exitcode_from_err(SB_ENOTSTORE), ==, 6);
  CHECK_INT(exitcode_from_err(SB_ECORRUPT), ==, 6);
  CHECK_INT(exitcode_from_err(SB_EVERSION), ==, 6);
  CHECK_INT(exitcode_from_err(SB_EREADONLY), ==, 6);
  CHECK_INT(exitcode_from_err(SB_EFULL), ==, 6);
  CHECK_INT(exitcode_from_err(SB_EIO), ==, 6);
  CHECK_INT(exitcode_from_err(SB_EUNSYNCED), ==, 7);
  /* Everything else is a plain failure. */
  CHECK_INT(exitcode_from_err(SB_ENOMEM), ==, 1);
  CHECK_INT(exitcode_from_err(SB_EEXISTS), ==, 1);
  CHECK_INT(exitcode_from_err(SB_ENETWORK), ==, 1);
  CHECK_INT(exitcode_from_err(SB_EAUTH), ==, 1);
  CHECK_INT(exitcode_from_err(-100), ==, 1);
}

TEST(meaning)
{
  int i;
  for (i = 0; i <= 7; i++)
    CHECK(exitcode_meaning(i) != NULL);
  CHECK_STR(exitcode_meaning(EXITCODE_LOCKED),
            "the store is locked by another writer");
  CHECK(exitcode_meaning(8) == NULL);
  CHECK(exitcode_meaning(-1) == NULL);
}
