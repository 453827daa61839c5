/*
 * control.h - sambangd's control socket (protocol: daemon/sambangd/CONTROL.md).
 *
 * A Unix stream socket beside the store (mode 0600), served on the
 * daemon's loop. Each client sends line-delimited JSON requests
 * ({"cmd":"status"|"notify"|"sync"|"stop"}) and gets line-delimited JSON
 * back; several clients may be connected at once.
 */
#ifndef SAMBANG_CONTROL_H
#define SAMBANG_CONTROL_H

#include "compat.h"

#include "err.h"
#include "sync.h"

#include <uv.h>

struct control;

/* Called when a client asks the daemon to stop. */
typedef void (*control_stop_fn)(void *ctx);

/*
 * Listens on path (a stale socket there is replaced; a path too long for
 * a Unix socket is refused). Requests act on engine.
 */
int control_open(uv_loop_t *loop, const char *path, struct sync *engine,
                 control_stop_fn on_stop, void *ctx, struct control **out,
                 struct sb_err *err);

/* Passes an engine event on to the clients waiting for a sync. */
void control_event(struct control *c, enum sync_event ev);

/* Closes the socket and every client, removes the socket file, and frees
 * c once its handles are closed (closed may be NULL). */
void control_close(struct control *c, void (*closed)(void *ctx), void *ctx);

#endif
