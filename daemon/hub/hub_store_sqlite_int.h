/*
 * hub_store_sqlite_int.h - what the SQLite backend's files share
 * (hub_store_sqlite.c, hub_store_sqlite_office.c): meta helpers and the
 * office ops the method table names.
 */
#ifndef SAMBANG_HUB_STORE_SQLITE_INT_H
#define SAMBANG_HUB_STORE_SQLITE_INT_H

#include "hub_store.h"
#include "store.h"

#define KEY_MAX 128

/* key = prefix + what, in a buffer of KEY_MAX bytes. */
void hub_sq_key_of(char *key, const char *prefix, const char *what);
/* store_meta_get, but SB_ENOTFOUND leaves err untouched. */
int hub_sq_meta_read(struct store *s, const char *key, char **value,
                     struct sb_err *err);
/* key = value ("" removes) in a transaction of its own; relaxed: without
 * a sync to disk (store_begin_relaxed), for what a power loss may lose. */
int hub_sq_meta_put(struct store *s, const char *key, const char *value,
                    bool relaxed, struct sb_err *err);

/* hub_store_sqlite_office.c */
int hub_sq_user_get(void *be, const char *name, struct hub_user *out,
                    struct sb_err *err);
int hub_sq_user_put(void *be, const struct hub_user *u, bool create,
                    struct sb_err *err);
int hub_sq_user_list(void *be, hub_user_fn fn, void *ctx, struct sb_err *err);
int hub_sq_user_remove(void *be, const char *name, struct sb_err *err);
int hub_sq_session_put(void *be, const struct hub_session *ss,
                       struct sb_err *err);
int hub_sq_session_get(void *be, const char *id_hash, struct hub_session *out,
                       struct sb_err *err);
int hub_sq_session_remove(void *be, const char *id_hash, struct sb_err *err);
int hub_sq_session_sweep(void *be, uint64_t used_before, uint64_t made_before,
                         uint64_t *removed, struct sb_err *err);
int hub_sq_session_each(void *be, hub_session_fn fn, void *ctx,
                        struct sb_err *err);

#endif
