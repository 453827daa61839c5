/*
 * comma_list.h - membership in a comma-separated list of names
 * ("a,b,c"): the addresses of --trusted-proxy, the keys an office route
 * takes. Whole items only, compared byte for byte.
 */
#ifndef SAMBANG_COMMA_LIST_H
#define SAMBANG_COMMA_LIST_H

#include <stdbool.h>

/* True if item is one of list's items (false for a NULL list). */
bool comma_list_has(const char *list, const char *item);

#endif
