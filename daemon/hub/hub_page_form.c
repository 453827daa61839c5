/*
 * hub_page_form.c - a page's record states in the full form, for devices
 * that did not ask for the compact one (form=compact: PROTOCOL.md, "The
 * compact form"). Stores hold the compact form; older devices, and any
 * request without the parameter, read every entry spelled out.
 */
#include "compat.h"

#include "hub_store.h"

#include "record.h"

#include <stdlib.h>
#include <string.h>

int hub_page_full_form(struct hub_page *p, struct sb_err *err)
{
  size_t i;

  for (i = 0; i < p->n; i++) {
    char *full;
    int rc;

    if (p->gone != NULL && p->gone[i])
      continue;
    rc = record_text_full(p->states[i], strlen(p->states[i]), &full, err);
    if (rc != 0)
      return rc; /* a stored state that does not read: as a failed read */
    if (full == NULL)
      continue; /* in the full form already */
    p->bytes += strlen(full) - strlen(p->states[i]);
    free(p->states[i]);
    p->states[i] = full;
  }
  return 0;
}
