/*
 * opt.h - matching one long command-line option, shared by the CLI and
 * the daemons ("--name VALUE" or "--name=VALUE").
 */
#ifndef SAMBANG_OPT_H
#define SAMBANG_OPT_H

#include "compat.h"

/*
 * Matches argv[*i] against option --name: 1 with *value set (and *i moved
 * past a separate value), 0 if it is another argument, -1 if the value is
 * missing.
 */
int opt_match(int argc, char **argv, int *i, const char *name,
              const char **value);

#endif
