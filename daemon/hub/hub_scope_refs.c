/*
 * hub_scope_refs.c - the notes of who follows whom for records stored
 * before they were kept (daemon/hub/DESIGN.md, "Moves"). Every save
 * notes its own refs (hub_scope_save); this fills in the rest once, on
 * any backend, through struct hub_store_ops alone. The backend only
 * reports, by meta STORE_META_REFS_COMPLETE, whether its notes can be
 * trusted yet (refs_each answers SB_ENOTFOUND, or searches, until then).
 */
#include "compat.h"

#include "hub_scope.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

struct fill {
  const struct hub_store_ops *ops;
  void *be;
  const struct schema *schema;
  struct sb_err *err;
};

static int note(void *ctx, const char *ref, const char *collection,
                const char *id)
{
  struct fill *f = ctx;
  return f->ops->ref_add(f->be, ref, collection, id, f->err);
}

static int fill_one(const struct record *r, uint64_t seq, void *ctx)
{
  struct fill *f = ctx;
  (void)seq;
  return scope_refs(f->schema, r, note, f, f->err);
}

/* 0 if meta says the notes are complete, SB_ENOTFOUND if not. */
static int notes_complete(const struct hub_store_ops *ops, void *be,
                          struct sb_err *err)
{
  char *v = NULL;
  int rc = ops->meta_get(be, STORE_META_REFS_COMPLETE, &v, err);

  if (rc == 0 && (v == NULL || strcmp(v, "1") != 0))
    rc = SB_ENOTFOUND;
  free(v);
  return rc;
}

int hub_scope_refs_fill(const struct hub_store_ops *ops, void *be,
                        const struct schema *schema, struct sb_err *err)
{
  struct fill f = {ops, be, schema, err};
  size_t k;
  int rc;

  if (ops->ref_add == NULL || schema == NULL)
    return 0;
  rc = notes_complete(ops, be, err);
  if (rc != SB_ENOTFOUND)
    return rc; /* complete (0), or a failure */
  rc = ops->begin(be, err);
  if (rc != 0)
    return rc;
  rc = notes_complete(ops, be, err);
  if (rc == 0)
    rc = 1; /* filled by another hub on the same database meanwhile */
  else if (rc == SB_ENOTFOUND)
    rc = 0;
  for (k = 0; rc == 0 && k < schema->nc; k++)
    if (schema->c[k].scope_follows != NULL)
      rc = ops->each_in(be, schema->c[k].name, fill_one, &f, err);
  if (rc == 0)
    rc = ops->meta_set(be, STORE_META_REFS_COMPLETE, "1", err);
  if (rc == 0)
    return ops->commit(be, err);
  ops->rollback(be);
  return rc == 1 ? 0 : rc;
}
