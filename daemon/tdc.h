/*
 * tdc.h - the Threat Defense Connector in mxgated: journal copies of
 * incoming mail, and the mark that keeps a copy from being journaled
 * again when it comes back through the gateway.
 */
#ifndef DAEMON_TDC_H
#define DAEMON_TDC_H

#include <stddef.h>

#include "daemon/gw.h"
#include "daemon/msg.h"

#define TDC_QUEUE "the.tdc.queue"	/* the copies' destination (tophosts) */
#define TDC_MIN_CONNS 3			/* open while the queue has entries (seed 002) */
#define TDC_MARK_HEADER "X-MXGate-Journal"	/* on every copy: an HMAC of what follows it */

/* tdc_init - load (or make, once) the key that marks this gateway's copies */
int tdc_init(struct gw *gw, char **cause);

/*
 * tdc_journal - the journal copy of one policy's part of an accepted
 * message: a new message (its own MID, sender <>) with one recipient,
 * intake, in TDC_QUEUE (*rcpt); logs the line tying it to the original.
 */
struct msg *tdc_journal(struct gw *gw, const struct msg *orig, const char *intake,
    struct rcpt *const *rcpts, int nrcpts, const char *subject, struct rcpt **rcpt);

/*
 * tdc_own_copy - is msg[0..len) a journal copy this gateway made? Its
 * mark must verify: an HMAC, under a key only this gateway knows, of
 * everything after the mark, so a sender cannot forge one to escape
 * journaling, and a mark moved onto other content does not verify.
 */
int tdc_own_copy(const struct gw *gw, const char *msg, size_t len);

/* tdc_is_queue - is this destination the.tdc.queue? */
int tdc_is_queue(const char *dest);

#endif
