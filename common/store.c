/* store.c - placeholder until written. */
#include "compat.h"
