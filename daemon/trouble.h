/*
 * trouble.h - the failure policy of the delivery engine, in one place
 * (Postfix smtp_trouble.c): what becomes of a recipient after each
 * outcome — delivered, deferred on the retry schedule, hard-bounced with
 * a notification to the sender, or, for a journal copy, seed 002's retry
 * table — and the one accounting of every outcome in the counters.
 */
#ifndef DAEMON_TROUBLE_H
#define DAEMON_TROUBLE_H

#include <stdint.h>

#include "daemon/dest.h"

#define TDC_RETRIES 1			/* retries of a retryable failure (seed 002) */

/* What went wrong with a copy, as the seed's retry table sees it. */
enum tdc_class {
	TDC_HARD,	/* SMTP 5xx other than 503 and 552, DNS hard error: no retry */
	TDC_RETRY,	/* SMTP 4xx, 503, 552; network, connection or DNS trouble: one retry */
	TDC_TLS,	/* STARTTLS missing or refused, handshake or verification failed */
};

/*
 * trouble_classify - the class of a journal copy's failure: status 4.7.4 /
 * 4.7.5 is TLS trouble (our own, or a server's refusal of STARTTLS);
 * otherwise code is the server's reply code, or "000" for trouble of our
 * own seeing, where a 5.x.x status is a DNS hard error and anything else
 * network or DNS trouble.
 */
enum tdc_class trouble_classify(const char *status, const char *code);

/* trouble_delivered - the server took the recipient */
void trouble_delivered(struct delivery *dl, struct rcpt *r);

/*
 * trouble_deleted - an operator deleted the recipient (cmd, who for the
 * log): forgotten, counted as deleted_rcpts, no notification for it
 */
void trouble_deleted(struct delivery *dl, struct rcpt *r, const char *cmd, const char *who);

/* trouble_discarded - routed to /dev/null: done, counted nowhere */
void trouble_discarded(struct delivery *dl, struct rcpt *r);

/*
 * trouble_defer - a temporary failure: back to its destination's waiting
 * list on the retry schedule, or a bounce once too old; a journal copy
 * follows the connector's table instead. dcid 0: no connection.
 */
void trouble_defer(struct delivery *dl, struct rcpt *r, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text);

/* trouble_bounce - a permanent failure (a journal copy: the connector's table) */
void trouble_bounce(struct delivery *dl, struct rcpt *r, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text);

/*
 * trouble_loaded - a message loaded at start whose recipients are all
 * hard-bounced (queue.db kept them for the DSN): finish it now, DSN sent
 */
void trouble_loaded(struct delivery *dl, struct msg *m);

/* trouble_expired - a journal copy past the connector's time limit */
void trouble_expired(struct delivery *dl, struct rcpt *r);

/* trouble_defer_ready, trouble_bounce_ready - every ready recipient of d */
void trouble_defer_ready(struct delivery *dl, struct dest *d, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text);
void trouble_bounce_ready(struct delivery *dl, struct dest *d, const char *status,
    const char *what, const char *text);

#endif
