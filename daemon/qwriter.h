/*
 * qwriter.h - the queue writer thread: group commit for the mail queue.
 *
 * The loop thread hands operations over with qwriter_* calls (they copy
 * what they need and return at once). The writer applies everything that
 * has gathered in one transaction — fsynced if it contains an accepted
 * message — and then runs the completion callbacks of the accepted
 * messages back on the loop thread. One fsync thus covers every message
 * that finished DATA while the previous fsync ran.
 */
#ifndef DAEMON_QWRITER_H
#define DAEMON_QWRITER_H

#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "store/queue.h"

struct qwriter;

/*
 * qwriter_accept_cb - on the loop thread once the batch is durable (ok 1)
 * or failed (0); -1 for a release whose quarantine entry had gone (an
 * operator deleted it first): nothing of that operation was stored
 */
typedef void (*qwriter_accept_cb)(void *arg, int ok);

/* qwriter_report_fn - on the loop thread: n batches failed, the first for this cause */
typedef void (*qwriter_report_fn)(void *arg, const char *cause, int64_t n);

/* qwriter_start - open DIR/queue.db on a thread of its own; failures go to report */
struct qwriter *qwriter_start(struct event_base *base, const char *dir, qwriter_report_fn report,
    void *arg, char **cause);

/* qwriter_stop - apply what is pending, join the thread */
void qwriter_stop(struct qwriter *qw);

/* qwriter_accept - messages and their recipients (copied); cb, if not NULL, when durable */
void qwriter_accept(struct qwriter *qw, const struct queue_msg *msgs, int nmsgs,
    const struct queue_rcpt *rcpts, int nrcpts, qwriter_accept_cb cb, void *arg);

/*
 * qwriter_accept: a message whose queue_msg has .quarantine set goes into
 * that quarantine (with its recipients) instead of the delivery queue, in
 * the same transaction as the others.
 *
 * qwriter_release - as qwriter_accept, and in the same transaction the
 * entry (qname, mid) leaves its quarantine; if it is not there any more,
 * nothing of this operation is stored and cb gets -1
 */
void qwriter_release(struct qwriter *qw, const char *qname, int64_t mid,
    const struct queue_msg *msgs, int nmsgs, const struct queue_rcpt *rcpts, int nrcpts,
    qwriter_accept_cb cb, void *arg);

/*
 * qwriter_journaled - the rows of one journal copy for mailbox
 * remediation (store/remed.h): the original's MID and Message-ID and the
 * copy's recipients (copied). They wait for the next qwriter_accept or
 * qwriter_release from the loop thread — the one that stores the copy —
 * and are written in its transaction: the copy is accepted with its rows
 * or neither is stored. Call it just before handing the copy over.
 */
void qwriter_journaled(struct qwriter *qw, int64_t orig_mid, const char *message_id,
    const char *const *rcpts, int n);

/* qwriter_done - a recipient finished (delivered or hard-bounced) */
void qwriter_done(struct qwriter *qw, int64_t mid, int rid);

/* qwriter_defer - a recipient soft-bounced */
void qwriter_defer(struct qwriter *qw, int64_t mid, int rid, int attempts, time_t next_try,
    const char *error);

/* qwriter_count - destination counters */
void qwriter_count(struct qwriter *qw, const char *host, int deliv, int soft, int hard);

/* qwriter_host - destination status; error NULL keeps the last error */
void qwriter_host(struct qwriter *qw, const char *host, int down, time_t when,
    const char *error);

/* qwriter_conns - publish a destination's open connections */
void qwriter_conns(struct qwriter *qw, const char *host, int conns);

/* qwriter_global - add to a global counter */
void qwriter_global(struct qwriter *qw, const char *name, int64_t n);

/* qwriter_state - runtime state and gauges for the shell ("gauges", "paused", ...) */
void qwriter_state(struct qwriter *qw, const char *name, const char *value);

/* qwriter_redirect - a recipient goes to another destination, tried now (queue_rcpt_redirect) */
void qwriter_redirect(struct qwriter *qw, int64_t mid, int rid, const char *dest);

/*
 * qwriter_bounce - a recipient hard-bounced: kept, marked, until its
 * message's DSN is sent (queue_rcpt_bounce); qwriter_done removes it then
 */
void qwriter_bounce(struct qwriter *qw, int64_t mid, int rid, const char *status,
    const char *diag);

/* qwriter_stats - batches and fsyncs so far (for status and benchmarks) */
void qwriter_stats(struct qwriter *qw, int64_t *batches, int64_t *durable);

#endif
