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

/* The compact form always opens with "at" (its keys are sorted). */
#define COMPACT_OPENING "{\"at\":"

int hub_page_full_form(struct hub_page *p, struct sb_err *err)
{
  size_t i;

  for (i = 0; i < p->n; i++) {
    struct record r;
    char *full;
    int rc;

    if ((p->gone != NULL && p->gone[i]) ||
        strncmp(p->states[i], COMPACT_OPENING, strlen(COMPACT_OPENING)) != 0)
      continue;
    record_init(&r, "", "");
    rc = record_decode(&r, p->states[i], strlen(p->states[i]), err);
    full = rc == 0 ? record_encode(&r) : NULL;
    record_release(&r);
    if (rc != 0)
      return rc; /* a stored state that does not read: as a failed read */
    if (full == NULL)
      return sb_err_set(err, SB_ENOMEM, "out of memory encoding a page");
    p->bytes += strlen(full) - strlen(p->states[i]);
    free(p->states[i]);
    p->states[i] = full;
  }
  return 0;
}
