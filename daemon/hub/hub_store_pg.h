/*
 * hub_store_pg.h - the PostgreSQL backend's own functions beside its
 * method table (hub_store_pg_ops, hub_store.h): the LISTEN connection
 * that wakes long-polls across hubs (hub_store_pg_watch.c), and the
 * imports `sambang-hub migrate` uses to copy a SQLite hub with its feed
 * numbers.
 */
#ifndef SAMBANG_HUB_STORE_PG_H
#define SAMBANG_HUB_STORE_PG_H

#include "compat.h"

#include "hub_store.h"

#include <libpq-fe.h>
#include <uv.h>

struct pg_watch;

/* A libpq connection to uri (connect_timeout 5 s unless uri says), with
 * notices silenced; check PQstatus. */
PGconn *hub_store_pg_connect(const char *uri);

/* True if the backend's last failure may pass if the transaction runs
 * again (serialization failure, deadlock, lost connection). */
bool hub_store_pg_transient(void *be);

/*
 * LISTENs on channel on a connection of its own, its socket polled by
 * loop; calls on_change(ctx, seq) for each notification (seq its number)
 * and on_change(ctx, 0) after reconnecting (notifications may have been
 * missed). A lost connection is retried every second.
 */
int hub_store_pg_watch_start(const char *uri, const char *channel,
                             uv_loop_t *loop,
                             void (*on_change)(void *ctx, uint64_t seq),
                             void *ctx, struct pg_watch **out,
                             struct sb_err *err);

/* Closes w's handles on its loop and frees it; 1 if closed(ctx) will be
 * called once they are closed, 0 if there was nothing to close (w NULL). */
int hub_store_pg_watch_close(struct pg_watch *w, void (*closed)(void *ctx),
                             void *ctx);

/* Frees w off its loop (the loop is gone): no callbacks. */
void hub_store_pg_watch_stop(struct pg_watch *w);

/* Imports, outside the feed's numbering (migrate): a record at its seq
 * (the feed counter rises to it), a device as it is. In the caller's
 * transaction (begin/commit). */
int hub_store_pg_import_record(void *be, const char *collection, const char *id,
                               const char *text, uint64_t seq,
                               struct sb_err *err);
int hub_store_pg_import_device(void *be, const struct hub_device *d,
                               struct sb_err *err);

#endif
