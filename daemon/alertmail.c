/*
 * alertmail.c - alerts mailed to the alertconfig recipients through the
 * gateway's own queue (daemon/alertmail.h).
 *
 * Runs on the loop thread only (gw_alert is called there). The message
 * is built by mail/alertconf.c, stored by the queue writer in one
 * transaction with all its recipients, then handed to delivery as a
 * generated message is (daemon/remd.c fwd_submit does the same for
 * remediation forwards). The duplicate table is bounded (DUP_MAX keys,
 * the oldest forgotten first), and so is the list of alerts raised before
 * the queue writer and delivery run (PENDING_MAX).
 *
 * The state is this file's: mxgated runs one gateway per process.
 *
 * DIAGNOSTICS: mail_logs lines; nothing here raises an alert.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/alertmail.h"
#include "daemon/delivery.h"
#include "daemon/gw.h"
#include "daemon/msg.h"
#include "daemon/qwriter.h"
#include "mail/alertconf.h"
#include "mail/policy.h"
#include "util/str.h"
#include "util/version.h"

#define DUP_MAX 256		/* alerts remembered for duplicate suppression */
#define PENDING_MAX 32		/* alerts kept until delivery runs */
#define FAIL_QUIET_MIN 60	/* seconds without alert mails after one could not be stored */

/* One alert remembered for duplicate suppression. */
struct dup {
	char *key;			/* "severity|class|text" */
	time_t mailed;			/* when it was last mailed */
	int64_t suppressed;		/* raised again since, not mailed */
	time_t first_suppressed;	/* the first of those */
};

/* An alert raised before delivery ran. */
struct pending {
	enum alert_severity severity;
	char *aclass, *text;
	int64_t id;
	time_t when;
};

/* One alert mail on its way into the queue. */
struct flight {
	struct gw *gw;
	struct msg *m;
	struct rcpt **r;		/* its recipients, handed to delivery once stored */
	int n;
	int64_t mid;
	int64_t alert_id;
};

static struct dup dups[DUP_MAX];
static int ndups;
static struct pending pend[PENDING_MAX];
static int npend, npend_lost;
static int started;		/* alertmail_start was called */
static int busy;		/* an alert mail is being made: alerts now are not mailed */
static time_t store_failed;	/* when an alert mail could last not be stored (0: never) */

/* domain_of - the domain part of an address */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* dup_find - the remembered alert with this key, made if new (oldest forgotten) */
static struct dup *
dup_find(const char *key, int *isnew)
{
	int oldest = 0;

	*isnew = 0;
	for (int i = 0; i < ndups; i++) {
		if (strcmp(dups[i].key, key) == 0)
			return &dups[i];
		if (dups[i].mailed < dups[oldest].mailed)
			oldest = i;
	}
	*isnew = 1;
	if (ndups < DUP_MAX)
		oldest = ndups++;
	else
		free(dups[oldest].key);
	memset(&dups[oldest], 0, sizeof(dups[oldest]));
	dups[oldest].key = str_dup(key);
	return &dups[oldest];
}

/* stored - the writer stored the alert mail (ok 1) or could not */
static void
stored(void *arg, int ok)
{
	struct flight *f = arg;
	struct gw *gw = f->gw;

	if (ok == 1 && gw->dl != NULL) {
		gw_log(gw, "MID %lld queued for delivery", (long long)f->mid);
		delivery_enqueue(gw->dl, f->r, f->n);
	} else {
		gw_logl(gw, LOGFILE_WARNING, "MID %lld (alert %lld) not queued: the queue could not "
		    "be written; no alert is mailed for a while", (long long)f->mid,
		    (long long)f->alert_id);
		store_failed = time(NULL);
		for (int i = 0; i < f->n; i++)
			rcpt_free(f->r[i]);
	}
	free(f->r);
	msg_unref(f->m);
	free(f);
}

/* submit - queue one alert mail to the recipients in to[] */
static void
submit(struct gw *gw, const struct alertmail_in *in0, const char *const *to, int n)
{
	struct alertmail_in in = *in0;
	struct flight *f = xcalloc(1, sizeof(*f));
	struct queue_rcpt *qr = xcalloc((size_t)n, sizeof(*qr));
	struct queue_msg qm;
	char t[400];
	char *data;
	size_t len;

	f->gw = gw;
	f->mid = gw_id(gw, GW_MID);
	f->alert_id = in.alert_id;
	f->n = n;
	f->r = xcalloc((size_t)n, sizeof(*f->r));
	in.mid = f->mid;
	in.to = to;
	in.nto = n;
	data = alertconf_build(&in, &len);
	f->m = msg_new(f->mid, 0, 0, QUEUE_KIND_NORMAL, 1, "", POLICY_DEFAULT, "", "", "");
	msg_set_body(f->m, body_new(data, len));
	gw_log(gw, "MID %lld was generated for alert %lld", (long long)f->mid,
	    (long long)in.alert_id);
	gw_log(gw, "Start MID %lld ICID 0", (long long)f->mid);
	gw_log(gw, "MID %lld ICID 0 From: <>", (long long)f->mid);
	for (int i = 0; i < n; i++) {
		f->r[i] = rcpt_new(f->m, i, to[i], domain_of(to[i]));
		gw_log(gw, "MID %lld ICID 0 RID %d To: <%s>", (long long)f->mid, i,
		    gw_safe(to[i], t, sizeof(t)));
		rcpt_record(f->r[i], &qr[i]);
	}
	gw_log(gw, "MID %lld ready %zu bytes from <>", (long long)f->mid, len);
	msg_record(f->m, &qm);
	qwriter_accept(gw->qw, &qm, 1, qr, n, stored, f);	/* copies them */
	free(qr);
}

/* mail - one alert: to whom, duplicates, then the mail */
static void
mail(struct gw *gw, enum alert_severity severity, const char *aclass, const char *text,
    int64_t id, time_t when)
{
	const struct alert_conf *ac = &gw->conf->alerts;
	const char **to;
	char from[ALERTCONF_ADDR_MAX + 8], *key;
	struct alertmail_in in = { 0 };
	struct dup *d;
	time_t now = time(NULL);
	int n = 0, isnew, quiet;

	if (ac->n == 0)
		return;
	to = xcalloc((size_t)ac->n, sizeof(*to));
	for (int i = 0; i < ac->n; i++)
		if (alertconf_wants(&ac->r[i], (int)severity, aclass))
			to[n++] = ac->r[i].addr;
	if (n == 0) {
		free(to);
		return;
	}
	quiet = ac->dup_interval > FAIL_QUIET_MIN ? ac->dup_interval : FAIL_QUIET_MIN;
	if (store_failed != 0 && now - store_failed < quiet) {
		gw_logl(gw, LOGFILE_WARNING, "Alert %lld not mailed: an alert mail could not be "
		    "queued %lld seconds ago", (long long)id, (long long)(now - store_failed));
		free(to);
		return;
	}
	key = str_printf("%d|%s|%s", (int)severity, aclass, text);
	d = dup_find(key, &isnew);
	free(key);
	if (!isnew && ac->dup_interval > 0 && now - d->mailed < ac->dup_interval) {
		if (d->suppressed++ == 0)
			d->first_suppressed = when;
		gw_log(gw, "Alert %lld not mailed: the same alert was mailed %lld seconds ago "
		    "(alert.dup_interval %d)", (long long)id, (long long)(now - d->mailed),
		    ac->dup_interval);
		free(to);
		return;
	}
	in.suppressed = d->suppressed;
	in.suppressed_since = d->first_suppressed;
	d->suppressed = 0;
	d->first_suppressed = 0;
	d->mailed = now;
	if (ac->from[0])
		str_copy(from, ac->from, sizeof(from));
	else
		str_fmt(from, sizeof(from), "alert@%s", gw->conf->hostname);
	in.hostname = gw->conf->hostname;
	in.from = from;
	in.severity = (int)severity;
	in.aclass = aclass;
	in.text = text;
	in.alert_id = id;
	in.when = when;
	in.version = MXGATE_VERSION;
	submit(gw, &in, to, n);
	free(to);
}

void
alertmail_alert(struct gw *gw, enum alert_severity severity, const char *aclass,
    const char *text, int64_t alert_id)
{
	if (busy || gw->conf == NULL)
		return;
	if (!started || gw->qw == NULL || gw->dl == NULL) {
		if (npend == PENDING_MAX) {
			npend_lost++;
			return;
		}
		pend[npend].severity = severity;
		pend[npend].aclass = str_dup(aclass);
		pend[npend].text = str_dup(text);
		pend[npend].id = alert_id;
		pend[npend].when = time(NULL);
		npend++;
		return;
	}
	busy = 1;
	mail(gw, severity, aclass, text, alert_id, time(NULL));
	busy = 0;
}

void
alertmail_start(struct gw *gw)
{
	started = 1;
	busy = 1;
	for (int i = 0; i < npend; i++) {
		if (gw->qw != NULL && gw->dl != NULL)
			mail(gw, pend[i].severity, pend[i].aclass, pend[i].text, pend[i].id,
			    pend[i].when);
		free(pend[i].aclass);
		free(pend[i].text);
	}
	busy = 0;
	if (npend_lost > 0)
		gw_logl(gw, LOGFILE_WARNING, "%d alerts raised during start-up were not mailed "
		    "(more than %d)", npend_lost, PENDING_MAX);
	npend = 0;
	npend_lost = 0;
}
