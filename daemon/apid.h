/*
 * apid.h - the gateway's HTTP(S) API (AsyncOS /esa/api/v2.0) in mxgated:
 * its own thread and event loop (libevent evhttp; HTTPS through
 * bufferevent_openssl with certconfig's certificate), so a slow search
 * never holds up mail.
 *
 * Requests are answered by mail/api.c (pure: request in, status and JSON
 * out); each is written to the API audit log. Remediation requests are
 * added to queue.db (store/remed.h) and the engine is woken (remd_wake).
 */
#ifndef DAEMON_APID_H
#define DAEMON_APID_H

#include "daemon/gw.h"

struct remd;
struct apid;

/* apid_start - listen as c says (nothing when both ports are off); NULL with *cause */
struct apid *apid_start(struct gw *gw, struct remd *rd, char **cause);

/*
 * apid_reconfigure - hand the API thread the new configuration and return
 * at once (the mail loop never waits for a search); the thread rebinds
 * when ports, address, certificate or limits changed, keeps the old
 * listeners when the new cannot be bound, and a failure comes back to
 * the loop as the alert "API configuration not applied: ..."
 */
void apid_reconfigure(struct apid *a, const struct conf *c);

/* apid_stop - close the listeners, finish, join, free (loop thread) */
void apid_stop(struct apid *a);

#endif
