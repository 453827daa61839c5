/*
 * service.c - sd_notify(3) for the daemons (see service.h).
 */
#include "compat.h"

#include "service.h"

#include <systemd/sd-daemon.h>

void service_notify(const char *state)
{
  /* unset_environment = 0: a daemon restarted in place may notify again.
   * The result is ignored on purpose: no service manager, no message. */
  (void)sd_notify(0, state);
}
