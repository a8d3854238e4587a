/*
 * quard.h - quarantines in mxgated: releases asked for by operators
 * (releasequarantine, a `release` request), and each quarantine's
 * retention period and size limit, enforced by its action at expiry
 * (delete, or release).
 *
 * A release takes the entry out of its quarantine and puts the message
 * into the delivery queue in one transaction (qwriter_release); if its
 * policy journals, the journal copy is made then, in the same batch,
 * since only mail that is still to be delivered is journaled.
 */
#ifndef DAEMON_QUARD_H
#define DAEMON_QUARD_H

#include <stdint.h>

#include "daemon/gw.h"

/* quard_new - start the retention timer (first pass a few seconds after start) */
struct quard *quard_new(struct gw *gw);

/* quard_free - stop it; releases in flight finish with the queue writer */
void quard_free(struct quard *qd);

/* quard_release - move (qname, mid) to delivery; why: the log's reason ("manual release") */
void quard_release(struct quard *qd, const char *qname, int64_t mid, const char *why);

/* quard_request - a `release` request's argument "QNAME MID" */
void quard_request(struct quard *qd, const char *arg);

/* quard_deleted - deletequarantine removed "QNAME MID": say so in mail_logs */
void quard_deleted(struct quard *qd, const char *arg);

#endif
