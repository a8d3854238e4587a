/*
 * quard.c - quarantine releases and retention in mxgated.
 *
 * Every QUARD_TICK seconds each configured quarantine is looked at: the
 * entries older than its retention period, then (oldest first) as many as
 * needed to bring it back under its size limit, get its action at expiry
 * (delete or release). Entries in flight (a release handed to the writer
 * and not yet durable) are remembered so that no entry is released twice.
 *
 * DIAGNOSTICS: mail_logs lines in AsyncOS's words: `MID n released from
 * quarantine "Q" (manual release | expired | quarantine full)`, `MID n
 * deleted from quarantine "Q" (expired | quarantine full)`, each followed
 * by `MID n released from all quarantines` / `deleted from all
 * quarantines`; Warnings for store errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/delivery.h"
#include "daemon/msg.h"
#include "daemon/quard.h"
#include "daemon/qwriter.h"
#include "daemon/tdc.h"
#include "store/quarantine.h"
#include "util/str.h"

#define QUARD_TICK 60		/* seconds between retention passes */
#define QUARD_FIRST 5		/* the first pass after start */
#define QUARD_BATCH 1000	/* entries handled per quarantine per pass */
#define QUARD_FLIGHTS 32	/* releases in flight at once (each holds its body twice) */

/* A release handed to the writer. */
struct flight {
	struct quard *qd;
	char qname[64];
	int64_t mid;
	char why[64];			/* the log's reason */
	struct msg *m;			/* the released message */
	struct rcpt **rcpts;
	int nrcpts;
	struct msg *copy;		/* its journal copy, or NULL */
	struct rcpt *copy_rcpt;
	struct flight *next;
};

/* A deletion of this pass, told in mail_logs once the pass is committed. */
struct gone {
	int64_t mid;
	const char *qname;		/* the configuration's, alive during the pass */
	const char *why;
};

struct quard {
	struct gw *gw;
	struct event *timer;
	struct flight *flights;		/* in flight */
	int nflights;
	struct gone *gone;		/* this pass's deletions */
	int ngone, gonecap;
};

/* in_flight - is this entry being released already? */
static int
in_flight(const struct quard *qd, const char *qname, int64_t mid)
{
	for (const struct flight *f = qd->flights; f; f = f->next)
		if (f->mid == mid && strcmp(f->qname, qname) == 0)
			return 1;
	return 0;
}

/* unlink_flight - forget a finished release */
static void
unlink_flight(struct quard *qd, struct flight *f)
{
	for (struct flight **pp = &qd->flights; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			qd->nflights--;
			return;
		}
}

/* released - the writer stored the release (ok 1), failed (0), or the entry had gone (-1) */
static void
released(void *arg, int ok)
{
	struct flight *f = arg;
	struct quard *qd = f->qd;
	struct gw *gw = qd ? qd->gw : NULL;

	if (qd)
		unlink_flight(qd, f);
	if (gw && ok == 1) {
		gw_log(gw, "MID %lld released from quarantine \"%s\" (%s)", (long long)f->mid,
		    f->qname, f->why);
		gw_log(gw, "MID %lld released from all quarantines", (long long)f->mid);
		gw_log(gw, "MID %lld queued for delivery", (long long)f->m->mid);
		delivery_enqueue(gw->dl, f->rcpts, f->nrcpts);
		if (f->copy) {
			gw_log(gw, "TDC: MID %lld enqueued for delivery to Message Intake Address %s",
			    (long long)f->copy->mid, f->copy_rcpt->addr);
			qwriter_global(gw->qw, "tdc_queued", 1);
			delivery_enqueue(gw->dl, &f->copy_rcpt, 1);
		}
	} else {
		if (gw && ok == -1)
			gw_log(gw, "MID %lld not released from quarantine \"%s\": it was deleted "
				   "meanwhile",
			    (long long)f->mid, f->qname);
		else if (gw)
			gw_logl(gw, LOGFILE_WARNING, "MID %lld not released from quarantine \"%s\": "
						     "the queue could not be written",
			    (long long)f->mid, f->qname);
		for (int i = 0; i < f->nrcpts; i++)
			rcpt_free(f->rcpts[i]);
		if (f->copy_rcpt)
			rcpt_free(f->copy_rcpt);
	}
	msg_unref(f->m);
	if (f->copy)
		msg_unref(f->copy);
	free(f->rcpts);
	free(f);
}

/* policy_index - a policy of the incoming table by name (DEFAULT when it has gone) */
static int
policy_index(const struct policy_table *t, const char *name)
{
	int i = policy_find(t, name);

	return i >= 0 ? i : t->n - 1;
}

void
quard_release(struct quard *qd, const char *qname, int64_t mid, const char *why)
{
	struct gw *gw = qd->gw;
	const struct conf *c = gw->conf;
	struct quarantine_entry e;
	struct queue_msg *qm;
	struct queue_rcpt *qr;
	struct flight *f;
	char *cause = NULL, **lines, intake[320];
	int rc, n = 0, nqm;

	if (in_flight(qd, qname, mid))
		return;
	memset(&e, 0, sizeof(e));
	rc = quarantine_get(gw->q, qname, mid, 1, &e, &cause);
	if (rc != 0) {
		if (rc < 0)
			gw_logl(gw, LOGFILE_WARNING, "MID %lld not released from quarantine \"%s\": %s",
			    (long long)mid, qname, cause);
		else
			gw_log(gw, "MID %lld not released: it is not in quarantine \"%s\"",
			    (long long)mid, qname);
		free(cause);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->qd = qd;
	str_copy(f->qname, qname, sizeof(f->qname));
	f->mid = mid;
	str_copy(f->why, why, sizeof(f->why));
	f->m = msg_new(e.mid, e.parent_mid, e.icid, e.kind, e.direction, e.sender, e.policy,
	    e.message_id, e.client_ip, e.listener);
	f->m->received = e.received;
	msg_set_body(f->m, body_new(e.body, e.body_len));
	e.body = NULL;		/* the body's now */
	lines = str_split(e.rcpts, '\n', &n);
	f->rcpts = xcalloc((size_t)n + 1, sizeof(*f->rcpts));
	for (int i = 0; i < n; i++) {
		char *tab = strchr(lines[i], '\t');

		if (lines[i][0] == '\0')
			continue;
		if (tab)
			*tab++ = '\0';
		f->rcpts[f->nrcpts] = rcpt_new(f->m, f->nrcpts, lines[i], tab ? tab : "");
		f->nrcpts++;
	}
	str_split_free(lines);
	/* only mail still to be delivered is journaled: now it is */
	if (e.journal && e.direction == 0 && e.kind == QUEUE_KIND_NORMAL && f->nrcpts > 0 &&
	    policy_tdc_address(&c->in, policy_index(&c->in, e.policy), c->tdc_enabled,
		c->tdc_intake, intake, sizeof(intake)))
		f->copy = tdc_journal(gw, f->m, intake, f->rcpts, f->nrcpts, e.subject,
		    &f->copy_rcpt);
	quarantine_entry_free(&e);
	nqm = f->copy ? 2 : 1;
	qm = xcalloc(2, sizeof(*qm));
	qr = xcalloc((size_t)f->nrcpts + 1, sizeof(*qr));
	msg_record(f->m, &qm[0]);
	for (int i = 0; i < f->nrcpts; i++)
		rcpt_record(f->rcpts[i], &qr[i]);
	if (f->copy) {
		msg_record(f->copy, &qm[1]);
		rcpt_record(f->copy_rcpt, &qr[f->nrcpts]);
	}
	f->next = qd->flights;
	qd->flights = f;
	qd->nflights++;
	qwriter_release(gw->qw, qname, mid, qm, nqm, qr, f->nrcpts + (f->copy ? 1 : 0), released,
	    f);
	free(qm);
	free(qr);
}

void
quard_request(struct quard *qd, const char *arg)
{
	char qname[64];
	const char *sp = strrchr(arg, ' ');
	unsigned long long mid;

	if (sp == NULL || (size_t)(sp - arg) >= sizeof(qname) || str_to_ullong(sp + 1, &mid) < 0 ||
	    mid == 0 || mid > INT64_MAX) {
		gw_logl(qd->gw, LOGFILE_WARNING, "release request not understood: '%s'", arg);
		return;
	}
	memcpy(qname, arg, (size_t)(sp - arg));
	qname[sp - arg] = '\0';
	quard_release(qd, qname, (int64_t)mid, "manual release");
}

void
quard_deleted(struct quard *qd, const char *arg)
{
	const char *sp = strrchr(arg, ' ');
	unsigned long long mid;

	if (sp == NULL || sp == arg || str_to_ullong(sp + 1, &mid) < 0 || mid == 0) {
		gw_logl(qd->gw, LOGFILE_WARNING, "qdeleted request not understood: '%s'", arg);
		return;
	}
	gw_log(qd->gw, "MID %llu deleted from quarantine \"%.*s\" (manual delete)", mid,
	    (int)(sp - arg), arg);
	gw_log(qd->gw, "MID %llu deleted from all quarantines", mid);
}

/* One entry that expired, gathered before acting (the walk holds a statement). */
struct due {
	int64_t *mids;
	int64_t *sizes;
	int n, cap;
};

static int
gather(const struct quarantine_entry *e, void *arg)
{
	struct due *d = arg;

	if (d->n == QUARD_BATCH)
		return 1;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->mids = xrealloc(d->mids, sizeof(*d->mids) * (size_t)d->cap);
		d->sizes = xrealloc(d->sizes, sizeof(*d->sizes) * (size_t)d->cap);
	}
	d->mids[d->n] = e->mid;
	d->sizes[d->n++] = e->size;
	return 0;
}

/* expire - one entry's action at expiry */
static void
expire(struct quard *qd, const struct quarantine_conf *q, int64_t mid, const char *why)
{
	struct gw *gw = qd->gw;
	char *cause = NULL;

	if (in_flight(qd, q->name, mid))
		return;
	if (q->expire_release) {
		if (qd->nflights >= QUARD_FLIGHTS)
			return;		/* the next pass goes on */
		quard_release(qd, q->name, mid, why);
		return;
	}
	if (quarantine_delete(gw->q, q->name, mid, &cause) < 0) {
		gw_logl(gw, LOGFILE_WARNING, "MID %lld not deleted from quarantine \"%s\": %s",
		    (long long)mid, q->name, cause);
		free(cause);
		return;
	}
	if (qd->ngone == qd->gonecap) {
		qd->gonecap = qd->gonecap ? qd->gonecap * 2 : 16;
		qd->gone = xrealloc(qd->gone, sizeof(*qd->gone) * (size_t)qd->gonecap);
	}
	qd->gone[qd->ngone++] = (struct gone){ mid, q->name, why };
}

/* pass - retention, then size, of every quarantine */
static void
pass(struct quard *qd)
{
	struct gw *gw = qd->gw;
	const struct conf *c = gw->conf;
	time_t now = time(NULL);
	char *cause = NULL;

	/* one transaction for the pass's deletions: not an fsync each */
	if (queue_begin(gw->q, 0, &cause) < 0) {
		gw_logl(gw, LOGFILE_WARNING, "quarantines not checked: %s", cause);
		free(cause);
		return;
	}
	qd->ngone = 0;
	for (int i = 0; i < c->nquar; i++) {
		const struct quarantine_conf *q = &c->quar[i];
		struct due d = { 0 };
		int64_t msgs = 0, bytes = 0, limit = (int64_t)q->size_mb * 1024 * 1024;

		if (quarantine_expired(gw->q, q->name, now - (time_t)q->retention_hours * 3600,
			gather, &d, &cause) < 0)
			goto fail;
		for (int k = 0; k < d.n; k++)
			expire(qd, q, d.mids[k], "expired");
		d.n = 0;
		if (quarantine_usage(gw->q, q->name, &msgs, &bytes, &cause) < 0)
			goto fail;
		if (bytes > limit) {
			const char *why = "quarantine full";

			/* the oldest first, until under the limit */
			if (quarantine_expired(gw->q, q->name, now + 1, gather, &d, &cause) < 0)
				goto fail;
			for (int k = 0; k < d.n && bytes > limit; k++) {
				expire(qd, q, d.mids[k], why);
				bytes -= d.sizes[k];
			}
		}
		free(d.mids);
		free(d.sizes);
		continue;
fail:
		gw_logl(gw, LOGFILE_WARNING, "quarantine \"%s\" not checked: %s", q->name, cause);
		free(cause);
		cause = NULL;
		free(d.mids);
		free(d.sizes);
	}
	if (queue_commit(gw->q, &cause) < 0) {	/* it rolls back */
		gw_logl(gw, LOGFILE_WARNING, "quarantine deletions not recorded (the next pass "
					     "retries): %s", cause);
		free(cause);
		return;
	}
	for (int i = 0; i < qd->ngone; i++) {
		gw_log(gw, "MID %lld deleted from quarantine \"%s\" (%s)",
		    (long long)qd->gone[i].mid, qd->gone[i].qname, qd->gone[i].why);
		gw_log(gw, "MID %lld deleted from all quarantines", (long long)qd->gone[i].mid);
	}
	qd->ngone = 0;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct quard *qd = arg;
	struct timeval tv = { QUARD_TICK, 0 };

	(void)fd;
	(void)what;
	pass(qd);
	evtimer_add(qd->timer, &tv);
}

struct quard *
quard_new(struct gw *gw)
{
	struct quard *qd = xcalloc(1, sizeof(*qd));
	struct timeval tv = { QUARD_FIRST, 0 };

	qd->gw = gw;
	qd->timer = evtimer_new(gw->base, on_tick, qd);
	evtimer_add(qd->timer, &tv);
	return qd;
}

void
quard_free(struct quard *qd)
{
	if (qd == NULL)
		return;
	/* the writer still calls back: those releases finish without us */
	for (struct flight *f = qd->flights; f; f = f->next)
		f->qd = NULL;
	event_free(qd->timer);
	free(qd->gone);
	free(qd);
}
