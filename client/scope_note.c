/*
 * scope_note.c - a word when a write puts a record outside this device's
 * scope (STORE_META_SCOPE: as the hub last stated it, so nothing is said
 * before the first sync). A new record there is refused by the hub
 * (out_of_scope) and stays on this device only; a record moved there (a
 * person who moved house) leaves this device once the hub takes the
 * change (which it does not for a record it never took: that one is
 * refused as a new one is, and says so in status and conflicts). Only
 * collections with a scope field of their own are looked at: a visit
 * goes with its beneficiary.
 */
#include "compat.h"

#include "cli.h"

#include "scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void scope_note_begin(struct cli *cli, const char *collection, const char *id,
                      struct scope_note *n)
{
  const struct schema_collection *c =
      cli->schema != NULL ? schema_collection(cli->schema, collection) : NULL;

  n->looked = c != NULL && c->scope_field != NULL;
  n->existed = n->looked && util_live(cli, collection, id);
}

/* The line, as text or (--json) {"warning":{"code","message"}}. */
static void say(const struct cli *cli, const char *msg)
{
  cJSON *j, *w;
  char *text = NULL;

  if (!cli->json) {
    fprintf(stderr, "sambang: %s\n", msg);
    return;
  }
  j = cJSON_CreateObject();
  w = cJSON_AddObjectToObject(j, "warning");
  if (w != NULL && cJSON_AddStringToObject(w, "code", "out_of_scope") &&
      cJSON_AddStringToObject(w, "message", msg))
    text = cJSON_PrintUnformatted(j);
  fprintf(stderr, "%s\n", text != NULL ? text : msg);
  cJSON_free(text);
  cJSON_Delete(j);
}

void scope_note_end(struct cli *cli, const char *collection, const char *id,
                    const struct scope_note *n)
{
  struct scope_parts dev, parts;
  struct record r;
  char *held = NULL, where[SCOPE_TEXT_MAX + 1], msg[2 * SCOPE_TEXT_MAX + 256];

  if (!n->looked ||
      store_meta_get(cli->store, STORE_META_SCOPE, &held, NULL) != 0)
    return;
  scope_parts_init(&dev);
  scope_parts_init(&parts);
  record_init(&r, collection, id);
  if (scope_read(held, &dev, NULL) == 0 && !dev.all &&
      store_get(cli->store, collection, id, &r, NULL) == 0 &&
      !record_deleted(&r) &&
      scope_of(cli->schema, &r, NULL, NULL, &parts, NULL) == 0 &&
      !scope_meets(&dev, &parts) && scope_text(&parts, where, sizeof(where))) {
    if (n->existed)
      snprintf(msg, sizeof(msg),
               _("%s is outside this device's scope (%s): once the hub "
                 "takes the change, the record leaves this device"),
               where, held);
    else
      snprintf(msg, sizeof(msg),
               _("warning: %s is outside this device's scope (%s): the hub "
                 "will refuse this new record, which stays on this device "
                 "only"),
               where, held);
    say(cli, msg);
  }
  record_release(&r);
  scope_parts_release(&parts);
  scope_parts_release(&dev);
  free(held);
}
