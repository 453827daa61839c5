/*
 * service.h - telling the service manager how the daemon is doing
 * (sd_notify(3): READY=1 once it serves, RELOADING=1, STOPPING=1).
 *
 * A separate library (sambang_service, linked by sambang-hub and sambangd
 * only): it links libsystemd, which the CLI and the core do not need. Not
 * under systemd ($NOTIFY_SOCKET unset) every call does nothing.
 */
#ifndef SAMBANG_SERVICE_H
#define SAMBANG_SERVICE_H

#include "compat.h"

/* Sends state (e.g. "READY=1", lines joined by '\n') to the service
 * manager; a no-op when not started by one. Never fails the caller. */
void service_notify(const char *state);

#endif
