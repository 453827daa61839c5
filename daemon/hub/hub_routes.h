/*
 * hub_routes.h - what the hub does for each endpoint, off the loop.
 *
 * hub_server.c takes a request in on the loop thread, copies what the
 * handler needs into a struct hub_call, and runs the handler on libuv's
 * threadpool (uv_queue_work); the handler fills call->out, and the loop
 * thread sends it. Handlers touch no libmicrohttpd or libuv object; the
 * store is used under call->lock (one connection, one user at a time).
 *
 * Every authenticated handler authenticates first (PROTOCOL.md), so a
 * client without a valid token learns nothing about its body or query.
 */
#ifndef SAMBANG_HUB_ROUTES_H
#define SAMBANG_HUB_ROUTES_H

#include "compat.h"

#include "hub_call.h"
#include "proto_err.h"

/*
 * The handlers (threadpool). A push runs in two steps: hub_routes_push
 * authenticates and decodes (setting to_store), then the hub's store
 * writer merges c->batch with the batches of other requests in one
 * transaction (hub_store_push_group), then hub_routes_push_reply makes
 * the reply from its outcome.
 */
void hub_routes_push(struct hub_call *c);

/*
 * The headers phase of an authenticated route (threadpool), before any
 * body byte is read: authenticates (binding a device on first use) and,
 * for a push, checks Content-Type and Content-Encoding. c->out is left
 * empty if the request may go on, else holds the refusal (401, 403, 415).
 * The handlers above authenticate again (cheap: the token is bound).
 */
void hub_routes_admit(struct hub_call *c);
void hub_routes_push_reply(struct hub_call *c);
void hub_routes_changes(struct hub_call *c);
/*
 * A page made ahead (hub_ahead.h), on call's store connections (its other
 * fields unused): the page key asks for, as its request would make it.
 * False if it could not or should not be kept (a failure, an empty last
 * page: the request makes those itself, where a long-poll may wait).
 */
struct hub_ahead_key;
struct hub_ahead_page;
bool hub_routes_changes_ahead(struct hub_call *call,
                              const struct hub_ahead_key *key,
                              struct hub_ahead_page *page);
void hub_routes_health(struct hub_call *c);
void hub_routes_names(struct hub_call *c);

/* Authenticates c's device (binding it on first use); false, with c->out
 * filled, if refused. */
bool hub_routes_authenticate(struct hub_call *c);

/* Fills r with the reply to a store failure rc (503 with Retry-After for
 * busy, full or damaged, else 500), err's message; logs it. */
void hub_routes_reply_store_error(struct hub_reply *r, int rc,
                                  const struct sb_err *err);

/* Fills r with an error envelope: code, its HTTP status (proto_err.h's
 * table; 500 for a code that is never a whole reply), a message for
 * people. */
void hub_routes_reply_error(struct hub_reply *r, enum proto_err code,
                            const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* hub_routes_reply_error for a refusal of a whole push request because of its
 * record number `record` (sent as the envelope's "record"; -1: none). */
void hub_routes_reply_record_error(struct hub_reply *r, enum proto_err code,
                                   long record, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fills r with a 200 JSON body (taken over), gzip'd if gzip_ok and worth it. */
void hub_routes_reply_json(struct hub_reply *r, char *body, bool gzip_ok);

/* The empty change feed page for cursor since (a long-poll that ran out). */
void hub_routes_reply_empty_page(struct hub_reply *r, uint64_t since);

/* Frees the body of r and clears it. */
void hub_routes_reply_release(struct hub_reply *r);

#endif
