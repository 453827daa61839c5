/* opt.c - matching one long command-line option (see opt.h). */
#include "compat.h"

#include "opt.h"

#include <string.h>

int opt_match(int argc, char **argv, int *i, const char *name,
              const char **value)
{
  const char *a = argv[*i];
  size_t n = strlen(name);

  if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
    return 0;
  if (a[2 + n] == '=') {
    *value = a + 3 + n;
    return 1;
  }
  if (a[2 + n] != '\0')
    return 0;
  if (*i + 1 >= argc)
    return -1;
  *i += 1;
  *value = argv[*i];
  return 1;
}
