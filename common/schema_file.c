/*
 * schema_file.c - a schema file as `sambang init --schema` and
 * `sambang-hub init --schema` read it (schema.h, schema_file_read).
 */
#include "compat.h"

#include "schema.h"

#include "file_read.h"
#include "i18n.h"
#include "json.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

int schema_file_read(const char *path, char **text, struct sb_err *err)
{
  struct schema *s = NULL;
  size_t len, skip;
  int rc =
      file_read_path(path, _("schema file"), SB_RECORD_MAX, text, &len, err);

  if (rc != 0)
    return rc;
  skip = utf8_bom_len(*text, len);
  memmove(*text, *text + skip, len - skip + 1);
  len -= skip;
  if (memchr(*text, '\0', len) != NULL) {
    rc =
        sb_err_set(err, SB_ESCHEMA, "schema file %s contains a NUL byte", path);
  } else {
    rc = schema_parse(*text, &s, err);
    if (rc != 0)
      sb_err_prefix(err, "schema file %s", path);
  }
  schema_free(s);
  if (rc != 0) {
    free(*text);
    *text = NULL;
  }
  return rc;
}
