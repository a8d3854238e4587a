/*
 * privs.h - least privilege for mxgated.
 *
 * Started as root, the daemon first (before opening anything in the data
 * directory) hands the data directory to the dedicated account "mxgate"
 * (daemon/account.sh makes it; there is no fallback), cuts the capability
 * bounding set and switches to that account, keeping only
 * CAP_NET_BIND_SERVICE so that listeners on ports below 1024, bound
 * afterwards or added later by a commit, can still be bound; then sets
 * no_new_privs.
 */
#ifndef DAEMON_PRIVS_H
#define DAEMON_PRIVS_H

#include "util/handover.h"

/* The daemon's own account, shared with no other service. */
#define PRIVS_USER HANDOVER_USER

/* privs_drop - no-op unless root; -1 with cause on failure */
int privs_drop(const char *dir, char **cause);

#endif
