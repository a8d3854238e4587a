/*
 * tdc.h - the Threat Defense Connector in mxgated: journal copies of
 * incoming mail and their failure policy in the.tdc.queue.
 */
#ifndef DAEMON_TDC_H
#define DAEMON_TDC_H

#include "daemon/gw.h"
#include "store/queue.h"

#define TDC_QUEUE "the.tdc.queue"	/* the copies' destination (tophosts) */
#define TDC_MIN_CONNS 3			/* open while the queue has entries (seed 002) */
#define TDC_RETRIES 1			/* retries of a retryable failure (seed 002) */

/*
 * tdc_journal - the journal copy of one policy's part of an accepted
 * message: a new message (its own MID, sender <>) with one recipient,
 * intake, in TDC_QUEUE. Fills *qm and *qr for the queue writer (they
 * point into the returned message) and *rcpt; logs the line tying the
 * copy to the original.
 */
struct msg *tdc_journal(struct gw *gw, const struct msg *orig, const char *intake,
    struct rcpt *const *rcpts, int nrcpts, const char *subject, struct queue_msg *qm,
    struct queue_rcpt *qr, struct rcpt **rcpt);

/* What went wrong with a copy, as the seed's retry table sees it. */
enum tdc_class {
	TDC_HARD,	/* SMTP 5xx other than 503 and 552, DNS hard error: no retry */
	TDC_RETRY,	/* SMTP 4xx, 503, 552; network, connection or DNS trouble: one retry */
	TDC_TLS,	/* STARTTLS missing or refused, handshake or verification failed */
};

/*
 * tdc_classify - the class of a failure, from what delivery.c reports:
 * status 4.7.4 / 4.7.5 is TLS trouble (delivery.c's own, or a server's
 * refusal of STARTTLS); otherwise code is the server's reply code, or
 * "000" for trouble of our own seeing, where a 5.x.x status is a DNS hard
 * error and anything else network or DNS trouble.
 */
enum tdc_class tdc_classify(const char *status, const char *code);

/* tdc_is_queue - is this destination the.tdc.queue? */
int tdc_is_queue(const char *dest);

#endif
