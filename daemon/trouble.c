/*
 * trouble.c - the failure policy of the delivery engine, and the one
 * accounting of outcomes.
 *
 * Ordinary mail: 5xx hard-bounces the recipient; 4xx, connection and DNS
 * trouble defer it on the retry schedule (the initial interval doubling
 * up to the maximum); a recipient older than the maximum queue time
 * bounces as expired. Hard bounces produce one RFC 3464 notification per
 * message once all its recipients are done, never to the null sender.
 *
 * Journal copies (seed 002): SMTP 5xx except 503/552 — no retry (hard
 * bounce); 4xx, 503, 552 — one retry; TLS errors — none; network,
 * connection or DNS trouble — one retry, after tdc.retry_delay. A copy
 * also leaves the queue after tdc.max_queue_time seconds in it (time
 * while mxgated ran and the work queue was not paused: dest_age). Each
 * outcome has its TDC: line; nothing is ever sent back about a copy.
 *
 * Accounting: every outcome is counted once, on its destination's row
 * and on the matching global counter, so the global figures are the sums
 * of the per-host ones; journal copies have global counters of their
 * own (tdc_*), as AsyncOS counts them in their own queue.
 *
 * DIAGNOSTICS: mail_logs, in the AsyncOS shapes (Delayed, Bounced,
 * Message finished, TDC: ... delivery failed ...).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/qwriter.h"
#include "daemon/tdc.h"
#include "daemon/trouble.h"
#include "mail/dsn.h"
#include "mail/policy.h"
#include "util/str.h"
#include "util/timefmt.h"

enum outcome { OUT_DELIVERED, OUT_SOFT, OUT_HARD };

/* account - one outcome, on the destination's row and the matching global counter */
static void
account(struct delivery *dl, const struct rcpt *r, enum outcome o)
{
	static const char *const normal[] = { "delivered", "soft_bounced", "hard_bounced" };
	static const char *const journal[] = { "tdc_delivered", "tdc_soft_bounced",
		"tdc_hard_bounced" };
	int copy = r->msg->kind == QUEUE_KIND_JOURNAL;

	qwriter_count(dl->gw->qw, r->dest, o == OUT_DELIVERED, o == OUT_SOFT, o == OUT_HARD);
	qwriter_global(dl->gw->qw, copy ? journal[o] : normal[o], 1);
}

/* notify - a DSN for the hard-bounced recipients of a finished message */
static void
notify(struct delivery *dl, struct msg *m)
{
	struct gw *gw = dl->gw;
	struct dsn_rcpt *dr = xcalloc((size_t)m->nbounces, sizeof(*dr));
	struct msg *b;
	struct rcpt *r;
	struct queue_msg qm;
	struct queue_rcpt qr;
	char *cause = NULL, *data;
	size_t len;
	const char *at;

	if (m->body == NULL) {
		if (queue_load_body(gw->q, m->mid, &data, &len, &cause) == 0)
			msg_set_body(m, body_new(data, len));
		else
			free(cause);
	}
	for (int i = 0; i < m->nbounces; i++)
		dr[i] = (struct dsn_rcpt){ m->bounces[i].addr, m->bounces[i].status,
			m->bounces[i].diag };
	data = dsn_build(gw->conf->hostname, m->sender, (long long)m->mid, m->received, dr,
	    m->nbounces, m->body ? m->body->data : "", m->body ? m->body->len : 0, &len);
	free(dr);
	b = msg_new(gw_id(gw, GW_MID), m->mid, 0, QUEUE_KIND_BOUNCE, 1, "", POLICY_DEFAULT, "",
	    "", "");
	msg_set_body(b, body_new(data, len));
	at = strrchr(m->sender, '@');
	r = rcpt_new(b, 0, m->sender, at ? at + 1 : "");
	qwriter_global(gw->qw, "bounce_rcpts", 1);
	gw_log(gw, "MID %lld was generated for bounce of MID %lld", (long long)b->mid,
	    (long long)m->mid);
	gw_log(gw, "Start MID %lld ICID 0", (long long)b->mid);
	gw_log(gw, "MID %lld ICID 0 From: <>", (long long)b->mid);
	gw_log(gw, "MID %lld ICID 0 RID 0 To: <%s>", (long long)b->mid, r->addr);
	gw_log(gw, "MID %lld ready %zu bytes from <>", (long long)b->mid, len);
	msg_record(b, &qm);
	rcpt_record(r, &qr);
	/*
	 * The bounce is stored in the same ordered stream as the removal of
	 * the bounced recipients, so a crash never loses both. Enqueued
	 * right away: the writer applies in order, and a delivery of it is
	 * only recorded after it is stored.
	 */
	qwriter_accept(gw->qw, &qm, 1, &qr, 1, NULL, NULL);	/* copies what it needs */
	gw_log(gw, "MID %lld queued for delivery", (long long)b->mid);
	dest_enqueue(dl, &r, 1);
	msg_unref(b);
}

/*
 * finish_msg - all recipients done: DSN if wanted, then forget the
 * message; how: "done", or "aborted" when an operator deleted the last
 */
static void
finish_msg(struct delivery *dl, struct msg *m, const char *how)
{
	struct gw *gw = dl->gw;

	if (m->nbounces > 0 && m->sender[0] && m->kind != QUEUE_KIND_BOUNCE &&
	    m->kind != QUEUE_KIND_JOURNAL && gw->conf->bounces)
		notify(dl, m);
	for (int i = 0; i < m->nbounces; i++)
		qwriter_done(gw->qw, m->mid, m->bounces[i].rid);
	gw_log(gw, "Message finished MID %lld %s", (long long)m->mid, how);
}

/*
 * finish_as - a recipient is done (delivered, deleted, or hard-bounced
 * and recorded: forget 0, its row goes with the message's DSN)
 */
static void
finish_as(struct delivery *dl, struct rcpt *r, int forget, const char *how)
{
	struct msg *m = r->msg;

	if (forget)
		qwriter_done(dl->gw->qw, m->mid, r->rid);
	m->nrcpts--;
	if (m->nrcpts == 0)
		finish_msg(dl, m, how);
	rcpt_free(r);
}

/* finish - a recipient is done (delivered, or hard-bounced and recorded) */
static void
finish(struct delivery *dl, struct rcpt *r, int delivered)
{
	finish_as(dl, r, delivered, "done");
}

enum tdc_class
trouble_classify(const char *status, const char *code)
{
	/* ours for TLS trouble, also when a server refused STARTTLS with its code */
	if (strncmp(status, "4.7.4", 5) == 0 || strncmp(status, "4.7.5", 5) == 0)
		return TDC_TLS;
	if (strcmp(code, "000") != 0) {
		int n = (int)strtol(code, NULL, 10);

		/* 503 and 552 are retried once (seed 002; RFC 5321 4.5.3.1.10 for 552) */
		return n >= 500 && n != 503 && n != 552 ? TDC_HARD : TDC_RETRY;
	}
	if (status[0] == '5')
		return TDC_HARD;
	return TDC_RETRY;
}

/*
 * tdc_gone - a copy leaves the queue for good, with the seed's line; a
 * hard bounce (bounced: its details) also has the ordinary Bounced: line
 */
static void
tdc_gone(struct delivery *dl, struct rcpt *r, const char *reason, const char *counter,
    int64_t dcid, const char *bounced)
{
	struct gw *gw = dl->gw;

	gw_log(gw, "TDC: MID %lld delivery failed to Cisco Secure Email Threat Defense: %s",
	    (long long)r->msg->mid, reason);
	if (bounced)
		gw_log(gw, "Bounced: DCID %lld MID %lld to RID %d - Bounced by destination server "
			   "with response: %s",
		    (long long)dcid, (long long)r->msg->mid, r->rid, bounced);
	account(dl, r, OUT_HARD);
	qwriter_global(gw->qw, counter, 1);
	finish(dl, r, 1);	/* forgotten: no notification for a copy */
}

/* tdc_failed - a journal copy failed: seed 002's table decides */
static void
tdc_failed(struct delivery *dl, struct rcpt *r, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text)
{
	struct gw *gw = dl->gw;
	const struct conf *c = gw->conf;
	enum tdc_class k = trouble_classify(status, code);
	time_t now = time(NULL);
	char t[600], last[700];

	gw_safe(text, t, sizeof(t));
	str_fmt(last, sizeof(last), "%lld MID %lld: %s %s %s", (long long)now,
	    (long long)r->msg->mid, code, status, t);
	qwriter_state(gw->qw, "tdc.last_error", last);
	if (dest_age(r, now) >= c->tdc_max_queue_time) {
		char reason[96];

		str_fmt(reason, sizeof(reason), "Message expired after %d seconds in the queue.",
		    c->tdc_max_queue_time);
		tdc_gone(dl, r, reason, "tdc_failed_expired", dcid, NULL);
	} else if (k == TDC_RETRY && r->attempts < TDC_RETRIES) {
		r->attempts++;
		r->next_try = now + c->tdc_retry_delay;
		free(r->last_error);
		r->last_error = str_printf("%s %s", code, t);
		gw_log(gw, "TDC: Delayed: DCID %lld MID %lld - %s - %s ('%s', ['%s']) - retry %d "
			   "of %d in %d seconds",
		    (long long)dcid, (long long)r->msg->mid, status, what, code, t, r->attempts,
		    TDC_RETRIES, c->tdc_retry_delay);
		qwriter_defer(gw->qw, r->msg->mid, r->rid, r->attempts, r->next_try, r->last_error);
		account(dl, r, OUT_SOFT);
		dest_wait(dest_get(dl, r->dest), r);
	} else if (k == TDC_HARD) {
		/* seed 002: "TDC: Hard bounced - 5.1.2 - Bad destination host ('000', ...)" */
		char detail[800];

		str_fmt(detail, sizeof(detail), "%s - %s ('%s', ['%s'])", status, what, code, t);
		gw_log(gw, "TDC: Hard bounced - %s - %s ('%s', '%s')", status, what, code, t);
		tdc_gone(dl, r, "Hard Bounced.", "tdc_failed_hard", dcid, detail);
	} else if (k == TDC_TLS) {
		gw_log(gw, "TDC: TLS error - %s - %s ('%s', '%s')", status, what, code, t);
		tdc_gone(dl, r, "TLS Error.", "tdc_failed_tls", dcid, NULL);
	} else {
		gw_log(gw, "TDC: Retries spent - %s - %s ('%s', '%s')", status, what, code, t);
		tdc_gone(dl, r, "Retries Exhausted.", "tdc_failed_retries", dcid, NULL);
	}
}

void
trouble_delivered(struct delivery *dl, struct rcpt *r)
{
	account(dl, r, OUT_DELIVERED);
	finish(dl, r, 1);
}

void
trouble_deleted(struct delivery *dl, struct rcpt *r, const char *cmd, const char *who)
{
	gw_log(dl->gw, "MID %lld RID [%d] deleted by %s (%s)", (long long)r->msg->mid, r->rid,
	    cmd, who);
	/* a journal copy is counted with the other copies (tdc_*), as account() does */
	qwriter_global(dl->gw->qw, r->msg->kind == QUEUE_KIND_JOURNAL ? "tdc_deleted" :
	    "deleted_rcpts", 1);
	finish_as(dl, r, 1, "aborted");
}

void
trouble_discarded(struct delivery *dl, struct rcpt *r)
{
	gw_log(dl->gw, "MID %lld RID [%d] discarded: the route for %s is /dev/null",
	    (long long)r->msg->mid, r->rid, r->dest);
	finish(dl, r, 1);
}

void
trouble_bounce(struct delivery *dl, struct rcpt *r, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text)
{
	struct gw *gw = dl->gw;
	struct msg *m = r->msg;
	char t[600], *diag;

	if (m->kind == QUEUE_KIND_JOURNAL) {
		tdc_failed(dl, r, dcid, status, what, code, text);
		return;
	}
	gw_log(gw, "Bounced: DCID %lld MID %lld to RID %d - %s - %s ('%s', ['%s']) []",
	    (long long)dcid, (long long)m->mid, r->rid, status, what, code,
	    gw_safe(text, t, sizeof(t)));
	account(dl, r, OUT_HARD);
	diag = str_printf("smtp; %s %s", code, t);
	msg_bounce_add(m, r->rid, r->addr, status, diag);
	/*
	 * Kept in queue.db, marked, until the message's DSN goes: memory
	 * alone left it listed and counted as queued, and a restart retried
	 * it and never sent its DSN.
	 */
	qwriter_bounce(gw->qw, m->mid, r->rid, status, diag);
	free(diag);
	finish(dl, r, 0);
}

void
trouble_loaded(struct delivery *dl, struct msg *m)
{
	if (m->nrcpts == 0 && m->nbounces > 0)
		finish_msg(dl, m, "done");
}

/* backoff - seconds until the next try after n attempts */
static time_t
backoff(const struct conf *c, int attempts)
{
	long long s = c->retry_initial;

	for (int i = 1; i < attempts && s < c->retry_max; i++)
		s *= 2;
	if (s > c->retry_max)
		s = c->retry_max;
	return (time_t)s;
}

void
trouble_defer(struct delivery *dl, struct rcpt *r, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text)
{
	struct gw *gw = dl->gw;
	const struct conf *c = gw->conf;
	time_t now = time(NULL);
	char t[600], when[64];

	if (r->msg->kind == QUEUE_KIND_JOURNAL) {
		tdc_failed(dl, r, dcid, status, what, code, text);
		return;
	}
	gw_safe(text, t, sizeof(t));
	if (now - r->msg->received >= c->max_queue_time) {
		trouble_bounce(dl, r, dcid, "5.4.7", "Delivery expired (message too old)", code, t);
		return;
	}
	r->attempts++;
	r->next_try = now + backoff(c, r->attempts);
	free(r->last_error);
	r->last_error = str_printf("%s %s", code, t);
	gw_log(gw, "Delayed: DCID %lld MID %lld to RID %d - %s - %s ('%s', ['%s']) []",
	    (long long)dcid, (long long)r->msg->mid, r->rid, status, what, code, t);
	timefmt_ctime(r->next_try, when, sizeof(when));
	gw_log(gw, "Message %lld to RID [%d] pending till %s", (long long)r->msg->mid, r->rid, when);
	qwriter_defer(gw->qw, r->msg->mid, r->rid, r->attempts, r->next_try, r->last_error);
	account(dl, r, OUT_SOFT);
	dest_wait(dest_get(dl, r->dest), r);
}

void
trouble_expired(struct delivery *dl, struct rcpt *r)
{
	tdc_failed(dl, r, 0, "4.4.7", "Message expired", "000",
	    r->last_error ? r->last_error : "expired in the queue");
}

void
trouble_defer_ready(struct delivery *dl, struct dest *d, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text)
{
	struct rcpt *r;

	while ((r = TAILQ_FIRST(&d->ready)) != NULL) {
		TAILQ_REMOVE(&d->ready, r, link);
		d->nready--;
		trouble_defer(dl, r, dcid, status, what, code, text);
	}
}

void
trouble_bounce_ready(struct delivery *dl, struct dest *d, const char *status, const char *what,
    const char *text)
{
	struct rcpt *r;

	while ((r = TAILQ_FIRST(&d->ready)) != NULL) {
		TAILQ_REMOVE(&d->ready, r, link);
		d->nready--;
		trouble_bounce(dl, r, 0, status, what, "000", text);
	}
}
