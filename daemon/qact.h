/*
 * qact.h - the operators' queue actions in mxgated: deleterecipients,
 * bouncerecipients and redirectrecipients (mxsh) leave a "qaction"
 * request; only the daemon holds the queue in memory, so it acts.
 */
#ifndef DAEMON_QACT_H
#define DAEMON_QACT_H

#include "daemon/gw.h"

/* The longest bounce reason kept (the rest is cut). */
#define QACT_REASON_MAX 200

/*
 * qact_request - the request argument "TOKEN ACTION SEL USER [EXTRA]":
 * ACTION delete, bounce or redirect; SEL a qsel_arg() word (mail/qsel.h);
 * USER who asked, for the log; EXTRA the bounce reason (the rest of the
 * line) or the new destination "[HOST]:PORT". Recipients in a delivery
 * transaction are left alone and counted; journal copies are never
 * bounced or redirected (skipped, counted). The answer goes to queue
 * state "qaction.TOKEN" through the queue writer, after every change it
 * made, as "deleted=N inflight=N skipped=N" (bounced=, redirected=) or
 * "error=TEXT" with nothing changed.
 */
void qact_request(struct gw *gw, const char *arg);

#endif
