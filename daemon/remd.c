/*
 * remd.c - the remediation engine of mxgated (issue 12): one thread that
 * polls the Email Threat Defense API for verdicts and runs remediation
 * requests on users' mailboxes, and the loop-side pieces it hands work
 * to (log lines, forwards to queue).
 *
 * The thread owns its queue.db and config.db connections, the ETD client
 * (daemon/etd.c) and a copy of the settings it needs, taken by
 * remd_reconfigure on the loop thread. It sleeps on a condition variable
 * until the next poll, a retry or the hourly expiry, or until remd_wake,
 * remd_reconfigure or remd_stop.
 *
 * Polling (only with tdc_polling: the API and polling on, and this
 * machine the polling primary) searches [start, end]: end = now - lag,
 * start = the last window's end - overlap (at most 32 days back, the
 * API's limit), or now - interval - overlap the first time. Each verdict
 * of the configured kinds becomes a request through remed_etd_take, which
 * de-duplicates by ETD id in the same transaction; the window's end is
 * stored only after the last page, so a crash between pages searches the
 * same window again and the ids seen keep anything from being taken
 * twice: nothing repeated, nothing skipped. In a cluster the request is
 * first held, then the id claimed in etcd, then the request made pending
 * (claimed here) or deleted (taken by another machine); held requests
 * left by a crash or a lost claim are settled by the next pass that
 * reaches etcd (settle_held), so the verdict is acted on once in the
 * cluster, by the machine whose claim won.
 *
 * A request is resolved to (MID, mailbox) pairs from the journaled rows
 * (by MID or Message-ID; ETD's mailboxes narrow them), or for a MID never
 * journaled from the mail log (its "To:" and "Message-ID" lines). Each
 * mailbox is served by its remediation profile: found by Message-ID,
 * forwarded (Graph: by the server; IMAP: fetched, wrapped by
 * mail/fwdmsg.c and queued by the loop as a new message), deleted or
 * moved. forward_delete deletes only once the forward is durable. An
 * action already done for a (request, mailbox) is not done again after a
 * restart.
 *
 * DIAGNOSTICS: mail_logs lines "TDC: MID n remediation r: ..." (see
 * notes api.md), written by the loop; store errors as Warnings, after
 * which the pending requests are tried again a minute later.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/clusterd.h"
#include "daemon/delivery.h"
#include "daemon/etd.h"
#include "daemon/msg.h"
#include "daemon/qwriter.h"
#include "daemon/remd.h"
#include "mail/etdjson.h"
#include "mail/findevent.h"
#include "mail/fwdmsg.h"
#include "mail/logsub.h"
#include "mail/maillog.h"
#include "mail/policy.h"
#include "mail/remedconf.h"
#include "net/mailbox.h"
#include "store/cluster.h"
#include "store/remed.h"
#include "store/store.h"
#include "util/lineread.h"
#include "util/logset.h"
#include "util/str.h"

#define REMD_EXPIRE_EVERY 3600		/* seconds between expiry passes */
#define REMD_JOURNALED_DAYS 30		/* journaled rows kept */
#define REMD_SEEN_DAYS 40		/* ETD ids remembered (longer than any window) */
#define REMD_WINDOW_MAX (32 * 86400)	/* the API's longest search */
#define REMD_MAX_PAGES 1000		/* pages of one poll by default (tdc.poll_max_pages) */
#define REMD_MAX_TARGETS 1000		/* mailboxes of one request */
#define REMD_STORE_RETRY 60		/* seconds before pending requests are tried again */
#define REMD_SETTLE_RETRY 5		/* seconds before held requests' claims are tried again */
#define REMD_GIVE_UP (24 * 3600)	/* a passing failure is tried again this long */

/* waits between tries of a request that failed for a passing cause */
static const int retry_steps[] = { 60, 300, 900, 3600 };

/* What the thread needs of a configuration, copied on the loop thread. */
struct rconf {
	char hostname[256];
	int api, polling;		/* tdc_api, tdc_polling */
	char client_id[257];
	char *client_secret, *api_key;	/* malloc'd clear text */
	char api_base[1024];
	int action;			/* enum remed_action_kind for ETD verdicts */
	char forward_to[320];
	int interval, lag, overlap;
	int max_pages;			/* pages one search reads (tdc.poll_max_pages) */
	char verdicts[256];
	char *ca_pem;			/* CA bundle, "" the system's */
	struct remed_conf remed;	/* the remediation profiles (deep copy, secrets wiped on free) */
	int64_t version;		/* the commit it came from */
};

/* A forward handed to the loop: filled by the thread, answered by the loop. */
struct fwd {
	struct remd *rd;
	char *data;			/* the message as fetched (the thread's until handed over) */
	size_t len;
	char mailbox[REMED_ADDR_MAX + 1];
	char to[REMED_ADDR_MAX + 1];
	char trigger[32], who[256], verdict[32], action[32];
	char message_id[REMED_MSGID_MAX + 1];
	int64_t orig_mid, remed_id;
	struct msg *m;			/* loop: the new message while the writer stores it */
	struct rcpt *r;
	/* under rd->mu */
	int done;			/* the loop answered */
	int ok;				/* durable */
	int64_t mid;			/* its MID */
	int abandoned;			/* the thread stopped waiting: the loop frees it */
};

/* Something for the loop: a log line or a forward. */
struct item {
	enum logfile_level level;
	char *text;			/* a log line, or NULL */
	struct fwd *fwd;		/* a forward, or NULL */
	struct item *next;
};

struct remd {
	struct gw *gw;
	char *dir;			/* data directory */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	int stop;
	volatile int halt;		/* = stop, read without mu by transfers in progress
					 * (hreq's abort hook) so that remd_stop need not
					 * wait out a remote server's time limit */
	int woken;			/* remd_wake since the last look */
	struct rconf *newconf;		/* from remd_reconfigure, not yet taken */
	struct item *items, **itail;	/* for the loop */
	/* the loop's */
	struct event *ev;		/* drains items */
	int nflights;			/* forwards with the writer */
	int orphan;			/* stopped while forwards were in flight: the last frees */
	/* the thread's */
	struct rconf *cf;
	struct queue *q;
	struct store *st;
	struct etd *etd;
	int polling_on;
	time_t next_poll, next_expire, next_requests;
	time_t poll_not_before;		/* a back-off (Retry-After, quota): never cut by the interval */
	time_t next_settle;		/* held requests to settle then; 0: none known */
	int settle_warned;		/* a settle failure logged since the last success */
};

/* ---------------------------------------------------------- configuration copies */

/* remed_copy - a deep copy of the profiles of a configuration snapshot */
static void
remed_copy(struct remed_conf *to, const struct remed_conf *from)
{
	to->nprofiles = from->nprofiles;
	to->profiles = from->nprofiles ? xcalloc((size_t)from->nprofiles,
	    sizeof(*to->profiles)) : NULL;
	for (int i = 0; i < from->nprofiles; i++) {
		struct remed_profile *p = &to->profiles[i];

		*p = from->profiles[i];
		p->password = str_dup(p->password ? p->password : "");
		if (p->ndomains > 0) {
			p->domains = xcalloc((size_t)p->ndomains, sizeof(*p->domains));
			memcpy(p->domains, from->profiles[i].domains,
			    (size_t)p->ndomains * sizeof(*p->domains));
		} else {
			p->domains = NULL;
		}
	}
}

/* rconf_new - the copy of c the thread works with */
static struct rconf *
rconf_new(const struct conf *c)
{
	struct rconf *r = xcalloc(1, sizeof(*r));

	str_copy(r->hostname, c->hostname, sizeof(r->hostname));
	r->api = c->tdc_api;
	r->polling = c->tdc_polling;
	str_copy(r->client_id, c->tdc_client_id, sizeof(r->client_id));
	r->client_secret = str_dup(c->tdc_client_secret ? c->tdc_client_secret : "");
	r->api_key = str_dup(c->tdc_api_key ? c->tdc_api_key : "");
	str_copy(r->api_base, c->tdc_api_base, sizeof(r->api_base));
	r->action = c->tdc_action;
	str_copy(r->forward_to, c->tdc_forward_to, sizeof(r->forward_to));
	r->interval = c->tdc_poll_interval > 0 ? c->tdc_poll_interval : 60;
	r->lag = c->tdc_poll_lag >= 0 ? c->tdc_poll_lag : 0;
	r->overlap = c->tdc_poll_overlap >= 0 ? c->tdc_poll_overlap : 0;
	r->max_pages = c->tdc_poll_max_pages > 0 ? c->tdc_poll_max_pages : REMD_MAX_PAGES;
	str_copy(r->verdicts, c->tdc_verdicts, sizeof(r->verdicts));
	r->ca_pem = str_dup(c->ca_pem ? c->ca_pem : "");
	remed_copy(&r->remed, &c->remed);
	r->version = c->version;
	return r;
}

/* rconf_free - release a copy (secrets wiped) */
static void
rconf_free(struct rconf *r)
{
	if (r == NULL)
		return;
	explicit_bzero(r->client_secret, strlen(r->client_secret));
	explicit_bzero(r->api_key, strlen(r->api_key));
	free(r->client_secret);
	free(r->api_key);
	free(r->ca_pem);
	remedconf_free(&r->remed);	/* passwords wiped */
	free(r);
}

/* ---------------------------------------------------------- to the loop */

/* post - queue an item for the loop and wake it (any thread but the loop's) */
static void
post(struct remd *rd, struct item *it)
{
	pthread_mutex_lock(&rd->mu);
	*rd->itail = it;
	rd->itail = &it->next;
	pthread_mutex_unlock(&rd->mu);
	event_active(rd->ev, EV_READ, 0);
}

/* say - a mail_logs line, written by the loop */
static void say(struct remd *rd, enum logfile_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct remd *rd, enum logfile_level level, const char *fmt, ...)
{
	struct item *it = xcalloc(1, sizeof(*it));
	va_list ap;

	va_start(ap, fmt);
	it->text = str_vprintf(fmt, ap);
	va_end(ap);
	it->level = level;
	post(rd, it);
}

/* domain_of - the domain part of an address ("" if none) */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* fwd_answer - tell the thread how a forward ended (loop); frees it if abandoned */
static void
fwd_answer(struct remd *rd, struct fwd *f, int ok)
{
	int gone;

	pthread_mutex_lock(&rd->mu);
	f->done = 1;
	f->ok = ok;
	gone = f->abandoned;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
	if (gone) {
		free(f->data);
		free(f);
	}
}

/* remd_free - release the engine (loop; the thread has ended) */
static void
remd_free(struct remd *rd)
{
	pthread_mutex_destroy(&rd->mu);
	pthread_cond_destroy(&rd->cv);
	free(rd->dir);
	free(rd);
}

/* fwd_stored - the writer stored the forward (ok 1) or could not (loop) */
static void
fwd_stored(void *arg, int ok)
{
	struct fwd *f = arg;
	struct remd *rd = f->rd;
	struct gw *gw = rd->gw;

	if (ok == 1) {
		gw_log(gw, "MID %lld queued for delivery", (long long)f->mid);
		delivery_enqueue(gw->dl, &f->r, 1);
	} else {
		gw_logl(gw, LOGFILE_WARNING, "MID %lld not queued: the queue could not be written",
		    (long long)f->mid);
		rcpt_free(f->r);
	}
	f->r = NULL;
	msg_unref(f->m);
	f->m = NULL;
	rd->nflights--;
	if (rd->orphan) {
		/* the thread is gone: nobody waits for the answer */
		free(f->data);
		free(f);
		if (rd->nflights == 0)
			remd_free(rd);
		return;
	}
	fwd_answer(rd, f, ok == 1);
}

/*
 * fwd_submit - queue a forward as a new message (loop): MID from gw_id,
 * sender <>, one recipient, parent the original; logged as generated
 * messages are (daemon/pipeline.c generated())
 */
static void
fwd_submit(struct remd *rd, struct fwd *f)
{
	struct gw *gw = rd->gw;
	struct fwdmsg_in in = { 0 };
	struct queue_msg qm;
	struct queue_rcpt qr;
	char t[400], *data;
	size_t len;

	f->mid = gw_id(gw, GW_MID);
	in.hostname = gw->conf->hostname;
	in.forward_to = f->to;
	in.mailbox = f->mailbox;
	in.trigger = f->trigger;
	in.who = f->who;
	in.verdict = f->verdict;
	in.action = f->action;
	in.orig_mid = f->orig_mid;
	in.remed_id = f->remed_id;
	in.fwd_mid = f->mid;
	in.message_id = f->message_id;
	in.orig = f->data;
	in.orig_len = f->len;
	in.now = time(NULL);
	data = fwdmsg_build(&in, &len);
	free(f->data);
	f->data = NULL;
	f->m = msg_new(f->mid, f->orig_mid, 0, QUEUE_KIND_NORMAL, 1, "", POLICY_DEFAULT, "", "",
	    "");
	msg_set_body(f->m, body_new(data, len));
	f->r = rcpt_new(f->m, 0, f->to, domain_of(f->to));
	if (f->orig_mid > 0)
		gw_log(gw, "MID %lld was generated based on MID %lld by remediation %lld",
		    (long long)f->mid, (long long)f->orig_mid, (long long)f->remed_id);
	else
		gw_log(gw, "MID %lld was generated by remediation %lld", (long long)f->mid,
		    (long long)f->remed_id);
	gw_log(gw, "Start MID %lld ICID 0", (long long)f->mid);
	gw_log(gw, "MID %lld ICID 0 From: <>", (long long)f->mid);
	gw_log(gw, "MID %lld ICID 0 RID 0 To: <%s>", (long long)f->mid, gw_safe(f->to, t,
	    sizeof(t)));
	gw_log(gw, "MID %lld ready %zu bytes from <>", (long long)f->mid, len);
	msg_record(f->m, &qm);
	rcpt_record(f->r, &qr);
	rd->nflights++;
	qwriter_accept(gw->qw, &qm, 1, &qr, 1, fwd_stored, f);	/* copies them */
}

/* drain - the thread's items, on the loop */
static void
drain(evutil_socket_t fd, short what, void *arg)
{
	struct remd *rd = arg;
	struct item *it, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&rd->mu);
	it = rd->items;
	rd->items = NULL;
	rd->itail = &rd->items;
	pthread_mutex_unlock(&rd->mu);
	for (; it; it = next) {
		next = it->next;
		if (it->text)
			gw_logl(rd->gw, it->level, "%s", it->text);
		if (it->fwd) {
			int gone;

			pthread_mutex_lock(&rd->mu);
			gone = it->fwd->abandoned;
			pthread_mutex_unlock(&rd->mu);
			if (gone) {
				free(it->fwd->data);
				free(it->fwd);
			} else {
				fwd_submit(rd, it->fwd);
			}
		}
		free(it->text);
		free(it);
	}
}

/* ---------------------------------------------------------- the thread: helpers */

/* trigger_text - "ETD verdict phishing", "API user admin", "operator admin" */
static void
trigger_text(const struct remed_request *r, char *buf, size_t size)
{
	char t[300];

	switch (r->trigger) {
	case REMED_BY_ETD:
		str_fmt(buf, size, "ETD verdict %s", gw_safe(r->verdict[0] ? r->verdict : "unknown",
		    t, sizeof(t)));
		break;
	case REMED_BY_API:
		str_fmt(buf, size, "API user %s", gw_safe(r->who, t, sizeof(t)));
		break;
	case REMED_BY_TR:
		str_fmt(buf, size, "threat response %s", gw_safe(r->who, t, sizeof(t)));
		break;
	default:
		str_fmt(buf, size, "operator %s", gw_safe(r->who, t, sizeof(t)));
		break;
	}
}

/* One mailbox to act on. */
struct target {
	int64_t mid;
	char mailbox[REMED_ADDR_MAX + 1];
};

struct targets {
	struct target *v;
	int n, cap;
	int dropped;		/* beyond REMD_MAX_TARGETS */
};

/* target_add - one (mid, mailbox), lower case, once */
static void
target_add(struct targets *ts, int64_t mid, const char *mailbox)
{
	char lc[REMED_ADDR_MAX + 1];

	if (str_copy(lc, mailbox, sizeof(lc)) < 0 || lc[0] == '\0')
		return;
	str_lower(lc);
	for (int i = 0; i < ts->n; i++)
		if (ts->v[i].mid == mid && strcmp(ts->v[i].mailbox, lc) == 0)
			return;
	if (ts->n == REMD_MAX_TARGETS) {
		ts->dropped++;
		return;
	}
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 8;
		ts->v = xrealloc(ts->v, (size_t)ts->cap * sizeof(*ts->v));
	}
	ts->v[ts->n].mid = mid;
	str_copy(ts->v[ts->n].mailbox, lc, sizeof(ts->v[ts->n].mailbox));
	ts->n++;
}

static void
target_cb(void *arg, int64_t mid, const char *rcpt)
{
	target_add(arg, mid, rcpt);
}

/* in_list - is addr (any case) one of the comma-separated list? */
static int
in_list(const char *list, const char *addr)
{
	size_t n = strlen(addr);

	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t k = c ? (size_t)(c - p) : strlen(p);

		if (k == n && strncasecmp(p, addr, n) == 0)
			return 1;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return 0;
}

/*
 * from_maillog - a MID's recipients and Message-ID from the mail log
 * (its "MID n ICID i RID r To: <addr>" and "MID n Message-ID '...'"
 * lines); the number of recipients found, or -1 with *cause
 */
static int
from_maillog(struct remd *rd, int64_t mid, char *message_id, size_t msize, struct targets *ts,
    char **cause)
{
	char dir[4096], prefix[64], key[64], *buf;
	struct findevent *fe = NULL;
	struct findevent_pos *pos = NULL;
	size_t n = 0;
	int found = 0, rc = 1;

	if (logsub_resolve(rd->st, "mail_logs", dir, sizeof(dir), prefix, sizeof(prefix),
	    cause) < 0)
		return -1;
	for (int tries = 0; tries < 5 && rc == 1; tries++) {
		struct logset set;

		if (logset_list(dir, prefix, "*", &set, cause) < 0)
			return -1;
		rc = findevent_open(dir, prefix, &set, 0, &fe, cause);
		logset_free(&set);
	}
	if (rc != 0) {
		if (rc == 1)
			*cause = str_dup("the mail log's files keep changing");
		return -1;
	}
	if (findevent_mid(fe, mid, &pos, &n, cause) < 0) {
		findevent_close(fe);
		return -1;
	}
	str_fmt(key, sizeof(key), "MID %lld Message-ID '", (long long)mid);
	buf = xmalloc(LINEREAD_MAX + 1);
	for (size_t i = 0; i < n; i++) {
		struct maillog_line ml;
		size_t len;
		const char *p;

		if (findevent_line(fe, &pos[i], buf, LINEREAD_MAX + 1, &len) < 0)
			continue;
		buf[len] = '\0';
		if (maillog_parse(buf, len, &ml) == 0 && ml.vkind == MAILLOG_VAL_TO &&
		    ml.vmid == mid && ml.vlen <= REMED_ADDR_MAX) {
			char a[REMED_ADDR_MAX + 1];

			memcpy(a, ml.val, ml.vlen);
			a[ml.vlen] = '\0';
			target_add(ts, mid, a);
			found++;
		}
		if (message_id[0] == '\0' && (p = strstr(buf, key)) != NULL) {
			const char *s = p + strlen(key), *e = strrchr(s, '\'');

			if (e && (size_t)(e - s) < msize) {
				memcpy(message_id, s, (size_t)(e - s));
				message_id[e - s] = '\0';
			}
		}
	}
	free(buf);
	free(pos);
	findevent_close(fe);
	return found;
}

/* ---------------------------------------------------------- the thread: one mailbox */

/* forward_via_loop - queue the fetched message as a forward; 0 with *mid, -1, -2 stopping */
static int
forward_via_loop(struct remd *rd, const struct remed_request *r, const struct target *t,
    const char *to, char *data, size_t len, int64_t *mid, char **cause)
{
	struct fwd *f = xcalloc(1, sizeof(*f));
	struct item *it = xcalloc(1, sizeof(*it));
	int ok;

	f->rd = rd;
	f->data = data;
	f->len = len;
	str_copy(f->mailbox, t->mailbox, sizeof(f->mailbox));
	str_copy(f->to, to, sizeof(f->to));
	str_copy(f->trigger, r->trigger == REMED_BY_ETD ? "ETD verdict" :
	    r->trigger == REMED_BY_API ? "API user" :
	    r->trigger == REMED_BY_TR ? "threat response" : "operator", sizeof(f->trigger));
	str_copy(f->who, r->trigger == REMED_BY_ETD ? "" : r->who, sizeof(f->who));
	str_copy(f->verdict, r->verdict, sizeof(f->verdict));
	str_copy(f->action, remed_action_name(r->action), sizeof(f->action));
	str_copy(f->message_id, r->message_id, sizeof(f->message_id));
	f->orig_mid = t->mid;
	f->remed_id = r->id;
	it->fwd = f;
	post(rd, it);
	pthread_mutex_lock(&rd->mu);
	while (!f->done && !rd->stop)
		pthread_cond_wait(&rd->cv, &rd->mu);
	if (!f->done) {
		f->abandoned = 1;	/* the loop frees it */
		pthread_mutex_unlock(&rd->mu);
		return -2;
	}
	pthread_mutex_unlock(&rd->mu);
	ok = f->ok;
	*mid = f->mid;
	free(f->data);
	free(f);
	if (!ok) {
		*cause = str_dup("the forward could not be queued");
		return -1;
	}
	return 0;
}

/*
 * act - remediate one mailbox for request r (message_id: what to find);
 * records the action and logs it. 0, 1 a passing failure (nothing
 * recorded, *def holds the action as it would be recorded failed), -1 on
 * a store error, -2 stopping.
 *
 * A forward is recorded (an ok row of action forward) as soon as it is
 * durable, before the delete of a forward_delete, and a rerun after a
 * crash or a passing failure finds that row and does not send it again.
 */
static int
act(struct remd *rd, const struct remed_request *r, const char *message_id,
    const struct target *t, struct remed_action *def, char **cause)
{
	const struct remed_profile *p = remedconf_for(&rd->cf->remed, t->mailbox);
	struct remed_action a = { 0 };
	char trig[300], mb[400], to[400], ids[MBX_MAX_HITS][256], *login = NULL, *pw = NULL;
	char *why = NULL, *data = NULL, comment[1200];
	int forward = r->action == REMED_FORWARD || r->action == REMED_FORWARD_DELETE;
	int del = r->action == REMED_DELETE || r->action == REMED_FORWARD_DELETE;
	int nids, rc = 0, forwarded = 0;
	int passing = 0;		/* the failure may not recur: tried again later */
	int64_t fmid = 0;
	struct mbx *m = NULL;
	size_t len;

	trigger_text(r, trig, sizeof(trig));
	gw_safe(t->mailbox, mb, sizeof(mb));
	gw_safe(r->forward_to, to, sizeof(to));
	a.request = r->id;
	a.mid = t->mid;
	str_copy(a.message_id, message_id, sizeof(a.message_id));
	str_copy(a.mailbox, t->mailbox, sizeof(a.mailbox));
	a.action = r->action;
	str_copy(a.forward_to, forward ? r->forward_to : "", sizeof(a.forward_to));
	a.trigger = r->trigger;
	str_copy(a.who, r->who, sizeof(a.who));
	a.state = REMED_FAILED;

	if (p == NULL) {
		str_fmt(a.reason, sizeof(a.reason), "no remediation profile serves mailbox %s", mb);
		say(rd, LOGFILE_WARNING, "TDC: MID %lld remediation %lld: no remediation profile "
					 "serves mailbox %s (%s)", (long long)t->mid, (long long)r->id, mb, trig);
		goto record;
	}
	str_copy(a.profile, p->name, sizeof(a.profile));
	if (forward && r->forward_to[0] == '\0') {
		why = str_dup("no forward address is set");
		goto failed;
	}
	if (p->backend == REMED_IMAP && p->auth == REMED_AUTH_USER) {
		login = str_dup(t->mailbox);
		/* one read transaction: the password as of one commit */
		if (store_read_begin(rd->st, &why) < 0) {
			passing = 1;	/* the store busy or short of something: not the mailbox */
			goto failed;
		}
		pw = remedconf_user_password(rd->st, p, t->mailbox, &why);
		store_read_end(rd->st);
		if (pw == NULL)
			goto failed;
	} else {
		login = str_printf("%s*%s", t->mailbox, p->user);
		pw = str_dup(p->password ? p->password : "");
	}
	m = mbx_open(p, rd->cf->ca_pem);
	mbx_set_abort(m, &rd->halt);
	nids = mbx_find(m, t->mailbox, login, pw, message_id, ids, &why);
	if (nids < 0) {
		passing = mbx_passing(m);
		goto failed;
	}
	if (nids == 0) {
		a.state = REMED_NOT_FOUND;
		str_copy(a.result, "message not found", sizeof(a.result));
		say(rd, LOGFILE_INFO, "TDC: MID %lld remediation %lld: message not found in mailbox %s "
				      "(%s)", (long long)t->mid, (long long)r->id, mb, trig);
		goto record;
	}
	if (forward && (rc = remed_forward_done(rd->q, r->id, t->mailbox, cause)) != 0) {
		if (rc < 0)
			goto out;
		rc = 0;
		forward = 0;	/* done before: a rerun deletes only */
		forwarded = 1;
		str_fmt(a.result, sizeof(a.result), "forwarded to %s before", to);
	}
	if (forward) {
		struct remed_action fa;

		str_fmt(comment, sizeof(comment), "Remediation %lld (%s) of MID %lld, Message-ID %s, "
						  "found in mailbox %s.", (long long)r->id, trig, (long long)t->mid,
		    message_id, t->mailbox);
		rc = mbx_forward(m, t->mailbox, ids[0], r->forward_to, comment, &why);
		passing = rc < 0 && mbx_passing(m);
		if (rc == 1) {
			if (mbx_fetch(m, t->mailbox, ids[0], &data, &len, &why) < 0) {
				rc = -1;
				passing = mbx_passing(m);
			} else {
				rc = forward_via_loop(rd, r, t, r->forward_to, data, len, &fmid, &why);
				if (rc == -2)
					goto out;
				passing = 1;	/* our own queue could not take it now */
			}
		}
		if (rc < 0) {
			char *w = str_printf("forward in mailbox %s failed: %s", mb, why);

			free(why);
			why = w;
			goto failed_logged;
		}
		forwarded = 1;
		if (fmid > 0) {
			str_fmt(a.result, sizeof(a.result), "forwarded to %s as MID %lld", to,
			    (long long)fmid);
			say(rd, LOGFILE_INFO, "TDC: MID %lld remediation %lld: forwarded from mailbox %s "
					      "to %s as MID %lld (%s)", (long long)t->mid, (long long)r->id, mb, to,
			    (long long)fmid, trig);
		} else {
			str_fmt(a.result, sizeof(a.result), "forwarded to %s", to);
			say(rd, LOGFILE_INFO, "TDC: MID %lld remediation %lld: forwarded from mailbox %s "
					      "to %s (%s)", (long long)t->mid, (long long)r->id, mb, to, trig);
		}
		/* durable: recorded now, so that nothing after it sends it twice */
		fa = a;
		fa.action = REMED_FORWARD;
		fa.state = REMED_OK;
		if (remed_action_add(rd->q, &fa, cause) < 0) {
			rc = -1;
			goto out;
		}
		if (!del) {
			rc = 0;		/* a forward alone: that row is the request's */
			goto out;
		}
	}
	if (del) {
		for (int i = 0; i < nids; i++)
			if (mbx_delete(m, t->mailbox, ids[i], &why) < 0) {
				passing = mbx_passing(m);
				char *w = str_printf("%s in mailbox %s failed: %s",
				    p->folder[0] ? "move" : "delete", mb, why);

				free(why);
				why = w;
				goto failed_logged;
			}
		if (p->folder[0]) {
			char fo[300];

			gw_safe(p->folder, fo, sizeof(fo));
			str_fmt(a.result + strlen(a.result), sizeof(a.result) - strlen(a.result),
			    "%smoved to %s", forwarded ? ", " : "", fo);
			say(rd, LOGFILE_INFO, "TDC: MID %lld remediation %lld: moved to %s in mailbox %s "
					      "(%s)", (long long)t->mid, (long long)r->id, fo, mb, trig);
		} else {
			str_fmt(a.result + strlen(a.result), sizeof(a.result) - strlen(a.result),
			    "%sdeleted", forwarded ? ", " : "");
			say(rd, LOGFILE_INFO, "TDC: MID %lld remediation %lld: deleted from mailbox %s "
					      "(%s)", (long long)t->mid, (long long)r->id, mb, trig);
		}
	}
	a.state = REMED_OK;
	goto record;

failed:
	{
		char *w = str_printf("%s in mailbox %s failed: %s", forward ? "forward" :
		    p->folder[0] ? "move" : "delete", mb, why);

		free(why);
		why = w;
	}
failed_logged:
	if (rd->halt) {
		rc = -2;	/* cut short by the stop: neither recorded nor logged */
		goto out;
	}
	{
		char safe[600];

		gw_safe(why, safe, sizeof(safe));
		str_copy(a.reason, safe, sizeof(a.reason));
		if (passing) {
			*def = a;	/* the caller tries again later, or gives up */
			rc = 1;
			goto out;
		}
		say(rd, LOGFILE_WARNING, "TDC: MID %lld remediation %lld: %s (%s)", (long long)t->mid,
		    (long long)r->id, safe, trig);
	}
record:
	if (remed_action_add(rd->q, &a, cause) < 0)
		rc = -1;
	else
		rc = 0;
out:
	if (pw) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	free(login);
	free(why);
	if (m)
		mbx_close(m);
	return rc;
}

/* ---------------------------------------------------------- the thread: one request */

/* unmatched - finish a request that found nothing to act on, and say so */
static int
unmatched(struct remd *rd, const struct remed_request *r, const char *note, char **cause)
{
	char trig[300], id[300], who[300];

	trigger_text(r, trig, sizeof(trig));
	gw_safe(r->message_id, id, sizeof(id));
	if (r->trigger == REMED_BY_ETD)
		say(rd, LOGFILE_INFO, "TDC: remediation %lld: %s for Message-ID '%s' (ETD id %s) %s",
		    (long long)r->id, trig, id, gw_safe(r->who, who, sizeof(who)), note);
	else if (r->mid > 0)
		say(rd, LOGFILE_INFO, "TDC: MID %lld remediation %lld: %s (%s)", (long long)r->mid,
		    (long long)r->id, note, trig);
	else
		say(rd, LOGFILE_INFO, "TDC: remediation %lld: Message-ID '%s' %s (%s)",
		    (long long)r->id, id, note, trig);
	return remed_request_finish(rd->q, r->id, REMED_UNMATCHED, note, cause);
}

/*
 * retry_later - some mailboxes of request r failed for a passing cause
 * (def[0..n-1], as they would be recorded): keep the request pending and
 * try again after the next step of retry_steps; after REMD_GIVE_UP of
 * failing, record them failed and finish the request. 0 or -1.
 */
static int
retry_later(struct remd *rd, const struct remed_request *r, struct remed_action *def, int n,
    int nall, char **cause)
{
	time_t now = time(NULL), first = 0;
	char trig[300], mb[400], note[256];
	int attempts = 0, wait;

	trigger_text(r, trig, sizeof(trig));
	if (remed_request_attempts(rd->q, r->id, &attempts, &first, cause) < 0)
		return -1;
	if (first > 0 && now - first >= REMD_GIVE_UP) {
		for (int i = 0; i < n; i++) {
			str_fmt(def[i].reason + strlen(def[i].reason),
			    sizeof(def[i].reason) - strlen(def[i].reason),
			    " (given up after %d attempts)", attempts + 1);
			if (remed_action_add(rd->q, &def[i], cause) < 0)
				return -1;
			say(rd, LOGFILE_WARNING, "TDC: MID %lld remediation %lld: %s (%s)",
			    (long long)def[i].mid, (long long)r->id, def[i].reason, trig);
		}
		say(rd, LOGFILE_WARNING, "TDC: remediation %lld: given up after %d attempts in %d "
					 "hours: %d mailbox%s failed", (long long)r->id, attempts + 1,
		    REMD_GIVE_UP / 3600, n, n == 1 ? "" : "es");
		str_fmt(note, sizeof(note), "%d mailbox%s, %d failed after %d attempts", nall,
		    nall == 1 ? "" : "es", n, attempts + 1);
		return remed_request_finish(rd->q, r->id, REMED_DONE, note, cause);
	}
	wait = retry_steps[attempts < (int)(sizeof(retry_steps) / sizeof(retry_steps[0])) ?
	    attempts : (int)(sizeof(retry_steps) / sizeof(retry_steps[0])) - 1];
	str_fmt(note, sizeof(note), "%.200s", def[0].reason);
	if (remed_request_defer(rd->q, r->id, now, now + wait, note, cause) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		gw_safe(def[i].mailbox, mb, sizeof(mb));
		say(rd, LOGFILE_WARNING, "TDC: MID %lld remediation %lld: %s (%s; trying again in %d "
					 "minute%s)", (long long)def[i].mid, (long long)r->id, def[i].reason,
		    trig, wait / 60, wait / 60 == 1 ? "" : "s");
	}
	return 0;
}

/* run_request - resolve and act on one pending request; 0, -1 store error, -2 stopping */
static int
run_request(struct remd *rd, struct remed_request *r, char **cause)
{
	struct targets ts = { 0 };
	struct remed_action *def = NULL;
	int ndef = 0;
	char msgid[REMED_MSGID_MAX + 1], note[256];
	int rc;

	str_copy(msgid, r->message_id, sizeof(msgid));
	if (r->mid > 0) {
		char jid[REMED_MSGID_MAX + 1] = "";

		if (remed_journaled_by_mid(rd->q, r->mid, jid, target_cb, &ts, cause) < 0)
			return -1;
		if (msgid[0] == '\0')
			str_copy(msgid, jid, sizeof(msgid));
		if (ts.n == 0) {
			char *c2 = NULL;

			if (from_maillog(rd, r->mid, msgid, sizeof(msgid), &ts, &c2) < 0) {
				char t[300];

				say(rd, LOGFILE_WARNING, "TDC: MID %lld remediation %lld: the mail log "
							 "could not be searched: %s", (long long)r->mid, (long long)r->id,
				    gw_safe(c2, t, sizeof(t)));
				free(c2);
			}
		}
	} else if (msgid[0]) {
		if (remed_journaled_by_msgid(rd->q, msgid, target_cb, &ts, cause) < 0)
			return -1;
	}
	/* ETD names the mailboxes it saw it in: act on those of ours only */
	if (r->rcpts[0] && ts.n > 0) {
		int k = 0;

		for (int i = 0; i < ts.n; i++)
			if (in_list(r->rcpts, ts.v[i].mailbox))
				ts.v[k++] = ts.v[i];
		if (k == 0) {
			free(ts.v);
			return unmatched(rd, r, "names no mailbox this message was journaled to here",
			    cause);
		}
		ts.n = k;
	}
	if (ts.n == 0) {
		free(ts.v);
		if (r->trigger == REMED_BY_ETD)
			return unmatched(rd, r, "matches no message journaled here", cause);
		if (r->mid > 0)
			return unmatched(rd, r, "no recipients found in the journal or the mail log",
			    cause);
		return unmatched(rd, r, "matches no message journaled here", cause);
	}
	if (msgid[0] == '\0') {
		free(ts.v);
		return unmatched(rd, r, "has no Message-ID to find it by in mailboxes", cause);
	}
	for (int i = 0; i < ts.n; i++) {
		rc = remed_action_done(rd->q, r->id, ts.v[i].mailbox, cause);
		if (rc < 0) {
			free(ts.v);
			return -1;
		}
		if (rc == 1)
			continue;	/* done before a restart */
		pthread_mutex_lock(&rd->mu);
		rc = rd->stop;
		pthread_mutex_unlock(&rd->mu);
		if (rc) {
			free(ts.v);
			return -2;
		}
		if (def == NULL)
			def = xcalloc((size_t)ts.n, sizeof(*def));
		rc = act(rd, r, msgid, &ts.v[i], &def[ndef], cause);
		if (rc == 1) {
			ndef++;
			continue;
		}
		if (rc < 0) {
			free(def);
			free(ts.v);
			return rc;
		}
	}
	if (ndef > 0) {
		rc = retry_later(rd, r, def, ndef, ts.n, cause);
		free(def);
		free(ts.v);
		return rc;
	}
	free(def);
	str_fmt(note, sizeof(note), "%d mailbox%s%s", ts.n, ts.n == 1 ? "" : "es",
	    ts.dropped ? " (more recipients not acted on)" : "");
	free(ts.v);
	return remed_request_finish(rd->q, r->id, REMED_DONE, note, cause);
}

/* run_requests - every pending request, oldest first */
static void
run_requests(struct remd *rd, time_t now)
{
	struct remed_request *r = xmalloc(sizeof(*r));

	for (;;) {
		char *cause = NULL, t[300];
		int rc, stop;

		pthread_mutex_lock(&rd->mu);
		stop = rd->stop;
		pthread_mutex_unlock(&rd->mu);
		if (stop)
			break;
		memset(r, 0, sizeof(*r));
		rc = remed_request_next_due(rd->q, time(NULL), r, &cause);
		if (rc == 1)
			rc = run_request(rd, r, &cause);
		else if (rc == 0)
			break;
		if (rc == -2)
			break;
		if (rc < 0) {
			say(rd, LOGFILE_WARNING, "TDC: remediation requests not run: %s (trying again "
						 "in %d seconds)", gw_safe(cause, t, sizeof(t)), REMD_STORE_RETRY);
			free(cause);
			rd->next_requests = now + REMD_STORE_RETRY;
			break;
		}
	}
	free(r);
}

/* ---------------------------------------------------------- the thread: polling */

/* drop_resume - forget where a cut search stopped */
static void
drop_resume(struct remd *rd)
{
	char *cause = NULL, t[300];

	if (queue_state_delete(rd->q, "etd.resume", &cause) < 0) {
		say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API search position not "
					 "cleared: %s", gw_safe(cause, t, sizeof(t)));
		free(cause);
	}
}

/* count_in_cluster - the ETD client's etd_counter_fn in a cluster: the members' shared count */
static int
count_in_cluster(void *arg, const char *day, int quota, int *count, char **cause)
{
	struct remd *rd = arg;
	struct clusterd *cd = __atomic_load_n(&rd->gw->clusterd, __ATOMIC_ACQUIRE);

	if (cd == NULL) {
		*cause = str_dup("the cluster thread is not running");
		return -1;
	}
	return clusterd_etd_count(cd, day, quota, count, cause);
}

/* poll_once - search the window and take its verdicts; the window's end stored last */
static void
poll_once(struct remd *rd, time_t now)
{
	const struct rconf *cf = rd->cf;
	time_t start, end = now - cf->lag;
	char *v = NULL, *token = NULL, *cause = NULL, *resume = NULL;
	char t[600], val[32];
	long long last = 0, rs, re;
	int pages = 0, off = 0, resumed = 0;
	/*
	 * in a cluster (issue 15) the election decides who polls, and the
	 * window and the ids taken live in etcd (daemon/clusterd.c); the
	 * cluster threads start after this one: read through gw each time
	 */
	struct clusterd *cd = __atomic_load_n(&rd->gw->clusterd, __ATOMIC_ACQUIRE);
	int clustered = cd != NULL && clusterd_member(cd);

	rd->next_poll = now + cf->interval;
	if (!clustered) {
		/*
		 * the store says so before clusterd does (at start-up it is not
		 * running yet): a member never polls on its own
		 */
		struct cluster_member cm;
		int rc = cluster_member_get(rd->st, &cm, &cause);

		if (rc == 0)
			cluster_member_free(&cm);
		free(cause);
		cause = NULL;
		if (rc == 0) {
			rd->next_poll = now + 1;	/* a member: clusterd will say when it may */
			return;
		}
	}
	/* the API's daily quota: the cluster's, or this machine's alone */
	etd_set_counter(rd->etd, clustered ? count_in_cluster : NULL, rd);
	if (clustered) {
		if (!clusterd_may_poll(cd)) {
			rd->next_poll = now + 1;	/* see again soon whether it won */
			return;
		}
		if (clusterd_window_get(cd, &last, &cause) < 0) {
			say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API window not read from "
						 "the cluster: %s", gw_safe(cause, t, sizeof(t)));
			free(cause);
			rd->next_poll = now + 1;
			return;
		}
	} else if ((v = queue_state_get(rd->q, "etd.window_end")) != NULL) {
		unsigned long long u;

		if (str_to_ullong(v, &u) == 0)
			last = (long long)u;
		free(v);
	}
	resume = queue_state_get(rd->q, "etd.resume");
	start = last > 0 ? (time_t)last - cf->overlap : now - cf->interval - cf->overlap;
	if (start < end - REMD_WINDOW_MAX)
		start = end - REMD_WINDOW_MAX;
	/*
	 * a search cut at REMD_MAX_PAGES goes on where it stopped: "START END
	 * TOKEN" (the same window, for the token belongs to that query);
	 * a token the server no longer takes is dropped with a Warning and the
	 * window searched from its start (ids seen are not taken twice)
	 */
	if (resume != NULL && sscanf(resume, "%lld %lld %n", &rs, &re, &off) == 2 && off > 0 &&
	    rs < re && resume[off] != '\0') {
		start = (time_t)rs;
		end = (time_t)re;
		token = str_dup(resume + off);
		resumed = 1;
		/*
		 * in a cluster the search position is this machine's, from a
		 * term of its own: once another primary has recorded a window
		 * past it, it is stale (going on with it would put the
		 * cluster's window back): dropped, the window searched afresh
		 */
		if (clustered && re <= last) {
			free(token);
			token = NULL;
			resumed = 0;
			drop_resume(rd);
			start = last > 0 ? (time_t)last - cf->overlap : now - cf->interval - cf->overlap;
			end = now - cf->lag;
			if (start < end - REMD_WINDOW_MAX)
				start = end - REMD_WINDOW_MAX;
		}
	}
	free(resume);
	if (start >= end)
		return;
	for (;;) {
		struct etdjson_page pg;
		int retry = 0, stop;

		if (etd_search(rd->etd, start, end, cf->verdicts, token, &pg, &retry, &cause) < 0) {
			if (rd->halt) {
				free(cause);	/* stopping: the next start searches again */
				free(token);
				return;
			}
			if (token != NULL && retry <= 0)
				drop_resume(rd);	/* the page token refused: from the start next time */
			say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API %s",
			    gw_safe(cause, t, sizeof(t)));
			free(cause);
			free(token);
			if (retry > 0) {
				/* its own field: the interval never cuts a back-off short */
				rd->poll_not_before = now + retry;
				rd->next_poll = now + retry;
			}
			return;
		}
		free(token);
		token = NULL;
		if (pg.skipped > 0)
			say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API search: %d record%s "
						 "skipped (ids %s): %s", pg.skipped, pg.skipped == 1 ? "" : "s",
			    pg.skip_ids, pg.skip_why);
		if (pg.cut > 0)
			say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API search: %d record%s with "
						 "more mailboxes than are kept (%d bytes; ids %s): acted on "
						 "those kept", pg.cut, pg.cut == 1 ? "" : "s", ETDJSON_MAILBOXES_MAX,
			    pg.cut_ids);
		for (int i = 0; i < pg.n; i++) {
			const struct etdjson_msg *m = &pg.msgs[i];
			struct remed_request *r;
			int64_t id;
			int rc;

			/*
			 * The search asked for these verdicts only; a record
			 * without a verdict field is taken as one of them.
			 */
			if (m->verdict[0] && !etdjson_verdict_in(cf->verdicts, m->verdict))
				continue;
			r = xcalloc(1, sizeof(*r));
			r->trigger = REMED_BY_ETD;
			str_copy(r->who, m->id, sizeof(r->who));
			str_copy(r->message_id, m->message_id, sizeof(r->message_id));
			str_copy(r->verdict, m->verdict, sizeof(r->verdict));
			r->action = cf->action >= REMED_DELETE && cf->action <= REMED_FORWARD_DELETE ?
			    (enum remed_action_kind)cf->action : REMED_DELETE;
			str_copy(r->forward_to, r->action == REMED_DELETE ? "" : cf->forward_to,
			    sizeof(r->forward_to));
			str_copy(r->rcpts, m->mailboxes, sizeof(r->rcpts));
			/* in a cluster: held here until its claim in etcd settles it */
			r->state = clustered ? REMED_HELD : REMED_PENDING;
			if (clustered)
				str_copy(r->note, "held until its ETD id is claimed in the cluster",
				    sizeof(r->note));
			rc = remed_etd_take(rd->q, m->id, r, &cause);
			id = r->id;
			free(r);
			if (rc < 0) {
				say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API verdict not "
							 "recorded: %s", gw_safe(cause, t, sizeof(t)));
				free(cause);
				etdjson_page_free(&pg);
				rd->next_poll = now + REMD_STORE_RETRY;
				return;
			}
			if (rc == 0 || !clustered)
				continue;	/* seen before here (a held one is settle_held's) */
			/* claimed in etcd: no two machines act on one verdict */
			rc = clusterd_etd_claim(cd, m->id, 1, &cause);
			if (rc == 0 || rc == 1) {
				if (remed_held_settle(rd->q, id, rc, &cause) < 0) {
					say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API verdict "
								 "not settled: %s", gw_safe(cause, t, sizeof(t)));
					free(cause);
					rd->next_settle = now + REMD_SETTLE_RETRY;
				}
				continue;
			}
			/* held, to be settled: the window is not stored */
			rd->next_settle = now + REMD_SETTLE_RETRY;
			if (rc < 0 && rd->halt) {
				free(cause);	/* stopping: the hooks' calls end */
			} else if (rc < 0) {
				say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API verdict not "
							 "claimed in the cluster (held until it is): %s",
				    gw_safe(cause, t, sizeof(t)));
				free(cause);
				rd->next_poll = now + REMD_STORE_RETRY;
			}
			/* 2: no longer the primary: stop now */
			etdjson_page_free(&pg);
			return;
		}
		token = pg.next_token;
		pg.next_token = NULL;
		etdjson_page_free(&pg);
		pthread_mutex_lock(&rd->mu);
		stop = rd->stop;
		pthread_mutex_unlock(&rd->mu);
		if (stop || (clustered && !clusterd_may_poll(cd))) {
			free(token);
			return;
		}
		if (token == NULL)
			break;
		if (++pages >= cf->max_pages) {
			char *st = str_printf("%lld %lld %s", (long long)start, (long long)end, token);

			say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API search stopped after %d "
						 "page%s; the next search goes on from there", cf->max_pages,
			    cf->max_pages == 1 ? "" : "s");
			if (queue_state_set(rd->q, "etd.resume", st, &cause) < 0) {
				say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API search position not "
							 "recorded: %s", gw_safe(cause, t, sizeof(t)));
				free(cause);
			}
			free(st);
			free(token);
			return;
		}
	}
	if (resumed)
		drop_resume(rd);	/* the cut search is finished */
	if (clustered) {
		int rc = clusterd_window_put(cd, (long long)end, &cause);

		if (rc < 0) {
			say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API window not recorded in "
						 "the cluster: %s", gw_safe(cause, t, sizeof(t)));
			free(cause);
		}
		return;
	}
	str_fmt(val, sizeof(val), "%lld", (long long)end);
	if (queue_state_set(rd->q, "etd.window_end", val, &cause) < 0) {
		say(rd, LOGFILE_WARNING, "TDC: Email Threat Defense API window not recorded: %s",
		    gw_safe(cause, t, sizeof(t)));
		free(cause);
	}
}

/*
 * settle_held - claim in etcd the ids of requests held here (a crash or
 * a failed claim left them so) and make each pending or delete it.
 * Outside a cluster (left it) they are this machine's own; a member whose
 * cluster thread has not started yet waits for it.
 */
static void
settle_held(struct remd *rd, time_t now)
{
	struct clusterd *cd = __atomic_load_n(&rd->gw->clusterd, __ATOMIC_ACQUIRE);
	int clustered = cd != NULL && clusterd_member(cd);
	struct remed_request r;
	char *cause = NULL, t[600], mid[300];
	int64_t after = 0;
	int rc;

	rd->next_settle = 0;
	if (!clustered) {
		struct cluster_member cm;

		rc = cluster_member_get(rd->st, &cm, &cause);
		if (rc == 0)
			cluster_member_free(&cm);
		free(cause);
		cause = NULL;
		if (rc <= 0) {
			/* a member (clusterd is starting), or not known: not this machine's to keep */
			rd->next_settle = now + (rc == 0 ? 1 : REMD_SETTLE_RETRY);
			return;
		}
	}
	while ((rc = remed_held_next(rd->q, after, &r, &cause)) == 1) {
		int keep = 1;

		after = r.id;
		if (clustered) {
			keep = clusterd_etd_claim(cd, r.who, 0, &cause);
			if (keep < 0) {
				if (!rd->halt && !rd->settle_warned)
					say(rd, LOGFILE_WARNING, "TDC: remediation %lld: ETD id %s not "
								 "claimed in the cluster (held until it is): %s",
					    (long long)r.id, gw_safe(r.who, mid, sizeof(mid)),
					    gw_safe(cause, t, sizeof(t)));
				rd->settle_warned = !rd->halt;
				free(cause);
				rd->next_settle = now + REMD_SETTLE_RETRY;
				return;
			}
		}
		if ((rc = remed_held_settle(rd->q, r.id, keep, &cause)) < 0)
			break;
		rd->settle_warned = 0;
		if (rc == 0)
			continue;	/* settled meanwhile */
		gw_safe(r.message_id, mid, sizeof(mid));
		if (keep)
			say(rd, LOGFILE_INFO, "TDC: remediation %lld: ETD verdict %s for Message-ID "
					      "'%s' (ETD id %s) claimed %s; acted on here", (long long)r.id,
			    r.verdict[0] ? r.verdict : "(none)", mid, gw_safe(r.who, t, sizeof(t)),
			    clustered ? "in the cluster" : "here (this machine left its cluster)");
		else
			say(rd, LOGFILE_INFO, "TDC: remediation %lld: ETD verdict %s for Message-ID "
					      "'%s' (ETD id %s) was taken by another machine of the "
					      "cluster; not acted on here", (long long)r.id,
			    r.verdict[0] ? r.verdict : "(none)", mid, gw_safe(r.who, t, sizeof(t)));
	}
	if (rc < 0) {
		say(rd, LOGFILE_WARNING, "TDC: held remediation requests not settled: %s",
		    gw_safe(cause, t, sizeof(t)));
		free(cause);
		rd->next_settle = now + REMD_STORE_RETRY;
	}
}

/* expire - the hourly pass over journaled rows and seen ids */
static void
expire(struct remd *rd, time_t now)
{
	char *cause = NULL, t[300];

	if (remed_journaled_expire(rd->q, now - (time_t)REMD_JOURNALED_DAYS * 86400, &cause) < 0 ||
	    remed_etd_seen_expire(rd->q, now - (time_t)REMD_SEEN_DAYS * 86400, &cause) < 0) {
		say(rd, LOGFILE_WARNING, "TDC: remediation records not expired: %s",
		    gw_safe(cause, t, sizeof(t)));
		free(cause);
	}
}

/*
 * take_conf - a configuration from remd_reconfigure (thread); the
 * profiles come with it, copied from the loop's snapshot, so that the
 * thread acts with the same commit the rest of the daemon runs
 */
static void
take_conf(struct remd *rd, struct rconf *c)
{
	rconf_free(rd->cf);
	rd->cf = c;
	etd_configure(rd->etd, c->api_base, c->client_id, c->client_secret, c->api_key, c->ca_pem);
}

/* work - one pass; the time of the next one */
static time_t
work(struct remd *rd)
{
	const struct rconf *cf = rd->cf;
	time_t now = time(NULL), next;
	int want = cf->api && cf->polling;

	if (want && !rd->polling_on) {
		char t[300];

		say(rd, LOGFILE_INFO, "TDC: Email Threat Defense API polling started (every %d "
				      "seconds, verdicts %s)", cf->interval, gw_safe(cf->verdicts, t, sizeof(t)));
		rd->polling_on = 1;
		rd->next_poll = now;
	} else if (!want && rd->polling_on) {
		say(rd, LOGFILE_INFO, "TDC: Email Threat Defense API polling stopped");
		rd->polling_on = 0;
	}
	if (rd->polling_on && rd->next_poll > now + cf->interval)
		rd->next_poll = now + cf->interval;	/* a shorter interval takes effect now */
	if (rd->next_settle != 0 && now >= rd->next_settle)
		settle_held(rd, now);
	if (rd->polling_on && now >= rd->next_poll && now >= rd->poll_not_before)
		poll_once(rd, now);
	if (now >= rd->next_requests || rd->next_requests == 0) {
		rd->next_requests = 0;
		run_requests(rd, now);
	}
	if (now >= rd->next_expire) {
		expire(rd, now);
		rd->next_expire = now + REMD_EXPIRE_EVERY;
	}
	next = rd->next_expire;
	if (rd->polling_on) {
		time_t p = rd->next_poll > rd->poll_not_before ? rd->next_poll : rd->poll_not_before;

		if (p < next)
			next = p;
	}
	if (rd->next_requests && rd->next_requests < next)
		next = rd->next_requests;
	if (rd->next_settle && rd->next_settle < next)
		next = rd->next_settle;
	if (rd->next_requests == 0) {
		time_t when;
		char *cause = NULL;
		int rc = remed_request_next_try(rd->q, now, &when, &cause);

		if (rc < 0)
			free(cause);	/* the next pass reads again */
		else if (rc == 1 && when < next)
			next = when;	/* a request waiting out a passing failure */
	}
	return next;
}

/* run - the thread */
static void *
run(void *arg)
{
	struct remd *rd = arg;
	char *cause = NULL, t[300];
	int ok = 1;

	if (queue_open(rd->dir, &rd->q, &cause) < 0 ||
	    store_open(rd->dir, STORE_RUNNING, &rd->st, &cause) < 0) {
		say(rd, LOGFILE_WARNING, "TDC: remediation engine not started: %s",
		    gw_safe(cause, t, sizeof(t)));
		free(cause);
		ok = 0;
	}
	if (ok) {
		rd->etd = etd_new(rd->q);
		etd_set_abort(rd->etd, &rd->halt);
	}
	pthread_mutex_lock(&rd->mu);
	while (!rd->stop) {
		struct rconf *nc = rd->newconf;
		struct timespec ts = { 0 };
		time_t next = time(NULL) + 3600;

		rd->newconf = NULL;
		rd->woken = 0;
		pthread_mutex_unlock(&rd->mu);
		if (ok && nc)
			take_conf(rd, nc);
		else
			rconf_free(nc);
		if (ok)
			next = work(rd);
		pthread_mutex_lock(&rd->mu);
		ts.tv_sec = next;
		while (!rd->stop && !rd->woken && rd->newconf == NULL && time(NULL) < next)
			if (pthread_cond_timedwait(&rd->cv, &rd->mu, &ts) != 0 && time(NULL) >= next)
				break;
	}
	pthread_mutex_unlock(&rd->mu);
	rconf_free(rd->cf);
	rd->cf = NULL;
	etd_free(rd->etd);
	if (rd->st)
		store_close(rd->st);
	if (rd->q)
		queue_close(rd->q);
	return NULL;
}

/* ---------------------------------------------------------- the loop's interface */

/* remd_start - see remd.h */
struct remd *
remd_start(struct gw *gw, char **cause)
{
	struct remd *rd = xcalloc(1, sizeof(*rd));
	pthread_condattr_t ca;
	int rc;

	rd->gw = gw;
	rd->dir = str_dup(gw->dir);
	rd->next_settle = 1;	/* requests a crash left held: the first pass */
	pthread_mutex_init(&rd->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&rd->cv, &ca);
	pthread_condattr_destroy(&ca);
	rd->itail = &rd->items;
	rd->ev = event_new(gw->base, -1, 0, drain, rd);
	if (rd->ev == NULL)
		abort();
	rd->cf = rconf_new(gw->conf);
	rd->newconf = rconf_new(gw->conf);	/* taken at the first turn: profiles, ETD client */
	rc = pthread_create(&rd->th, NULL, run, rd);
	if (rc != 0) {
		*cause = str_printf("cannot start the remediation thread: %s", strerror(rc));
		event_free(rd->ev);
		rconf_free(rd->cf);
		rconf_free(rd->newconf);
		remd_free(rd);
		return NULL;
	}
	return rd;
}

/* remd_reconfigure - see remd.h */
void
remd_reconfigure(struct remd *rd, const struct conf *c)
{
	struct rconf *nc = rconf_new(c), *old;

	pthread_mutex_lock(&rd->mu);
	old = rd->newconf;
	rd->newconf = nc;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
	rconf_free(old);
}

/* remd_wake - see remd.h */
void
remd_wake(struct remd *rd)
{
	pthread_mutex_lock(&rd->mu);
	rd->woken = 1;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
}

/* remd_stop - see remd.h */
void
remd_stop(struct remd *rd)
{
	if (rd == NULL)
		return;
	pthread_mutex_lock(&rd->mu);
	rd->stop = 1;
	rd->halt = 1;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
	/* a claim or a window blocked on etcd must not hold up the stop */
	clusterd_halt_hooks(__atomic_load_n(&rd->gw->clusterd, __ATOMIC_ACQUIRE));
	pthread_join(rd->th, NULL);
	drain(-1, 0, rd);	/* the last log lines; forwards left are abandoned */
	event_free(rd->ev);
	rconf_free(rd->newconf);
	rd->newconf = NULL;
	if (rd->nflights > 0) {
		rd->orphan = 1;	/* the writer's answers free it */
		return;
	}
	remd_free(rd);
}
