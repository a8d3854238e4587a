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

/* apid_reconfigure - ports, certificate or limits changed: rebind; -1 with *cause (old kept) */
int apid_reconfigure(struct apid *a, const struct conf *c, char **cause);

/* apid_stop - close the listeners, finish, join, free (loop thread) */
void apid_stop(struct apid *a);

#endif
