/*
 * privs.h - least privilege for mxgated.
 *
 * Started as root, the daemon binds its listeners, hands the data
 * directory to the unprivileged user "mxgate" (else "nobody"), and
 * switches to it, keeping only CAP_NET_BIND_SERVICE so that listeners
 * on ports below 1024 added later by a commit can still be bound.
 */
#ifndef DAEMON_PRIVS_H
#define DAEMON_PRIVS_H

/* privs_drop - no-op unless root; -1 with cause on failure */
int privs_drop(const char *dir, char **cause);

#endif
