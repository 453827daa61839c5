/* comma_list.c - see comma_list.h. */
#include "compat.h"

#include "comma_list.h"

#include <string.h>

bool comma_list_has(const char *list, const char *item)
{
  size_t n = strlen(item);
  const char *p = list;

  while (p != NULL && *p != '\0') {
    size_t len = strcspn(p, ",");
    if (len == n && memcmp(p, item, n) == 0)
      return true;
    p = p[len] == ',' ? p + len + 1 : NULL;
  }
  return false;
}
