/*
 * delivery.c - the scheduler of the delivery engine: finds each
 * destination's next hops (smtproutes, else MX), opens connections when
 * work is ready and every open one is busy, up to the per-destination and
 * global limits of deliveryconfig/destconfig, moves deferred recipients
 * back to ready when their time comes, applies the connector's time
 * limit, loads the queue at start and holds new work while the work
 * queue is paused.
 *
 * The parts: dest.c (the queues), trouble.c (what an outcome means),
 * mta.c (the connections); this file only decides when work starts.
 *
 * DIAGNOSTICS: mail_logs (DNS Error, Queue loaded, Work queue ...); a
 * queued recipient without its message: a Warning line and an alert.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include "daemon/delivery.h"
#include "daemon/dest.h"
#include "daemon/mta.h"
#include "daemon/qwriter.h"
#include "daemon/suspend.h"
#include "daemon/tdc.h"
#include "daemon/trouble.h"
#include "mail/route.h"
#include "net/dns.h"
#include "store/queue.h"
#include "util/str.h"

#define DL_HOPS_TTL 300		/* resolved next hops are reused this long */
#define DL_MAX_CANDIDATES 32	/* addresses tried per connection attempt */

static void dest_kick(struct delivery *dl, struct dest *d);

/* ---------------------------------------------------------- resolution */

struct resolve {
	struct delivery *dl;
	char name[256];			/* destination (it may vanish: looked up again) */
	int n, pending;			/* route destinations, lookups outstanding */
	struct route_dest rd[ROUTE_MAX_DESTS];
	struct cand *got[ROUTE_MAX_DESTS];
	int ngot[ROUTE_MAX_DESTS];
	enum dns_status st[ROUTE_MAX_DESTS];
};

struct resolve_part {
	struct resolve *rs;
	int i;
};

/* set_port - put a port into a socket address */
static void
set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

/* dns_error_name - AsyncOS's word for a hard DNS error ("DNS Error d MX - NXDomain") */
static const char *
dns_error_name(enum dns_status st)
{
	switch (st) {
	case DNS_NXDOMAIN:
		return "NXDomain";
	case DNS_NODATA:
		return "NoData";
	case DNS_NULLMX:
		return "NullMX";
	case DNS_BADNAME:
		return "BadName";
	default:
		return "Timeout";
	}
}

/* resolve_done - all lookups of a destination are in */
static void
resolve_done(struct resolve *rs)
{
	struct delivery *dl = rs->dl;
	struct dest *d = dest_get(dl, rs->name);
	enum dns_status worst = DNS_OK;
	const char *what = d->domain;	/* the name that failed */
	int any_temp = 0, mx = 1;

	free(d->cands);
	d->cands = xcalloc(DL_MAX_CANDIDATES, sizeof(struct cand));
	d->ncands = 0;
	for (int i = 0; i < rs->n; i++) {
		for (int j = 0; j < rs->ngot[i] && d->ncands < DL_MAX_CANDIDATES; j++)
			d->cands[d->ncands++] = rs->got[i][j];
		if (rs->st[i] == DNS_TEMPFAIL) {
			any_temp = 1;
		} else if (rs->st[i] != DNS_OK && worst == DNS_OK) {
			worst = rs->st[i];
			if (rs->rd[i].kind != ROUTE_USEDNS) {
				what = rs->rd[i].host;
				mx = 0;
			}
		}
		free(rs->got[i]);
	}
	d->resolving = 0;
	d->cands_expire = time(NULL) + DL_HOPS_TTL;
	if (d->ncands == 0) {
		char text[600];

		d->cands_expire = 0;
		if (any_temp || worst == DNS_OK) {
			str_fmt(text, sizeof(text), "DNS Temporary Failure looking up %s: %s",
			    d->domain, dns_status_str(DNS_TEMPFAIL));
			trouble_defer_ready(dl, d, 0, "4.4.3", "Temporary DNS error", "000", text);
		} else {
			gw_log(dl->gw, "DNS Error %s %s - %s", what, mx ? "MX" : "A",
			    dns_error_name(worst));
			str_fmt(text, sizeof(text), "DNS Hard Error looking up %s (%s): %s", what,
			    mx ? "MX" : "A", dns_status_str(worst));
			trouble_bounce_ready(dl, d, worst == DNS_NULLMX ? "5.1.10" : "5.1.2",
			    worst == DNS_NULLMX ? "Recipient domain does not accept mail (null MX)" :
						  "Bad destination host",
			    text);
		}
	} else {
		dest_kick(dl, d);
	}
	free(rs);
}

/* got_mail - dns_resolve_mail answer for one route destination */
static void
got_mail(enum dns_status st, const struct dns_hop *hops, int nhops, void *arg)
{
	struct resolve_part *p = arg;
	struct resolve *rs = p->rs;
	int i = p->i, port = rs->rd[i].port ? rs->rd[i].port : 25;

	free(p);
	rs->st[i] = st;
	rs->got[i] = xcalloc(DL_MAX_CANDIDATES, sizeof(struct cand));
	for (int h = 0; st == DNS_OK && h < nhops; h++)
		for (int a = 0; a < hops[h].naddr && rs->ngot[i] < DL_MAX_CANDIDATES; a++) {
			struct cand *c = &rs->got[i][rs->ngot[i]++];

			c->addr = hops[h].addr[a];
			set_port(&c->addr, port);
			str_copy(c->host, hops[h].host, sizeof(c->host));
		}
	if (--rs->pending == 0)
		resolve_done(rs);
}

/* got_addr - dns_resolve_addr answer for one route destination */
static void
got_addr(enum dns_status st, const struct sockaddr_storage *addrs, int naddr, void *arg)
{
	struct resolve_part *p = arg;
	struct resolve *rs = p->rs;
	int i = p->i, port = rs->rd[i].port ? rs->rd[i].port : 25;

	free(p);
	rs->st[i] = st;
	rs->got[i] = xcalloc(DL_MAX_CANDIDATES, sizeof(struct cand));
	for (int a = 0; st == DNS_OK && a < naddr && rs->ngot[i] < DL_MAX_CANDIDATES; a++) {
		struct cand *c = &rs->got[i][rs->ngot[i]++];

		c->addr = addrs[a];
		set_port(&c->addr, port);
		str_copy(c->host, rs->rd[i].host, sizeof(c->host));
	}
	if (--rs->pending == 0)
		resolve_done(rs);
}

/*
 * dest_resolve - find the next hops: smtproutes, else MX; a destination
 * an operator redirected mail to ([HOST]:PORT) by its address records
 */
static void
dest_resolve(struct delivery *dl, struct dest *d)
{
	struct gw *gw = dl->gw;
	const char *route = conf_route(gw->conf, d->domain);
	struct resolve *rs;
	int port;

	d->discard = 0;
	rs = xcalloc(1, sizeof(*rs));
	rs->dl = dl;
	str_copy(rs->name, d->name, sizeof(rs->name));
	if (dest_direct(d->name, rs->rd[0].host, sizeof(rs->rd[0].host), &port) == 0) {
		rs->n = 1;
		rs->rd[0].kind = ROUTE_HOST;
		rs->rd[0].port = port;
	} else if (route) {
		rs->n = route_dests(route, rs->rd, ROUTE_MAX_DESTS);
		if (rs->n == 1 && rs->rd[0].kind == ROUTE_DEVNULL) {
			d->discard = 1;
			d->cands_expire = time(NULL) + DL_HOPS_TTL;
			free(rs);
			dest_kick(dl, d);
			return;
		}
	}
	if (rs->n == 0) {
		rs->n = 1;
		rs->rd[0].kind = ROUTE_USEDNS;
	}
	d->resolving = 1;
	rs->pending = rs->n;
	for (int i = 0; i < rs->n; i++) {
		struct resolve_part *p = xcalloc(1, sizeof(*p));

		p->rs = rs;
		p->i = i;
		if (rs->rd[i].kind == ROUTE_USEDNS)
			dns_resolve_mail(gw->dns, d->domain, got_mail, p);
		else
			dns_resolve_addr(gw->dns, rs->rd[i].host, got_addr, p);
	}
}

/* ---------------------------------------------------------- scheduling */

/* dest_limit - connections allowed to a destination */
static int
dest_limit(struct delivery *dl, struct dest *d)
{
	const struct conf *c = dl->gw->conf;
	const struct destconf *dc = conf_dest(c, d->domain);

	if (d->tdc)
		return c->max_conns_per_dest;	/* deliveryconfig's, not the intake domain's row */
	return dc->max_conns > 0 ? dc->max_conns : c->max_conns_per_dest;
}

/* dest_kick - start work for a destination if any can start */
static void
dest_kick(struct delivery *dl, struct dest *d)
{
	struct gw *gw = dl->gw;
	time_t now = time(NULL);

	if (dl->stopping || d->nready == 0 || d->resolving)
		return;
	if (suspend_delivery_held(gw, d->name))
		return;	/* suspenddel: no connection, queued as they are (suspend.c) */
	mta_offer(d);	/* an idle connection takes the work first */
	if (d->nready == 0)
		return;
	if (d->down && now < d->retry_at)
		return;
	if (d->cands_expire <= now) {
		dest_resolve(dl, d);
		return;
	}
	if (d->discard) {
		struct rcpt *r;

		while ((r = TAILQ_FIRST(&d->ready)) != NULL) {
			TAILQ_REMOVE(&d->ready, r, link);
			d->nready--;
			trouble_discarded(dl, r);
		}
		return;
	}
	/*
	 * A new connection when every open one is busy and work is waiting;
	 * the.tdc.queue keeps TDC_MIN_CONNS open while it has entries (seed 002).
	 */
	while (d->nready > 0 &&
	    (d->nconns - d->nbusy == 0 || (d->tdc && d->nconns < TDC_MIN_CONNS)) &&
	    d->nconns < dest_limit(dl, d) && dl->nconns < gw->conf->max_conns)
		mta_open(dl, d);
}

void
delivery_enqueue(struct delivery *dl, struct rcpt **rcpts, int n)
{
	dest_enqueue(dl, rcpts, n);
}

/* ---------------------------------------------------------- loading */

struct loadmap {
	struct delivery *dl;
	struct msg **msgs;		/* sorted by mid */
	int n, cap;
	int orphans;			/* recipients whose message row is missing */
};

/* load_msg - queue_load_msgs callback */
static int
load_msg(const struct queue_msg *qm, void *arg)
{
	struct loadmap *lm = arg;

	if (lm->n == lm->cap) {
		lm->cap = lm->cap ? lm->cap * 2 : 256;
		lm->msgs = xrealloc(lm->msgs, sizeof(*lm->msgs) * (size_t)lm->cap);
	}
	lm->msgs[lm->n++] = msg_from_record(qm);
	return 0;
}

/* find_loaded - binary search by mid */
static struct msg *
find_loaded(struct loadmap *lm, int64_t mid)
{
	int lo = 0, hi = lm->n - 1;

	while (lo <= hi) {
		int mi = (lo + hi) / 2;

		if (lm->msgs[mi]->mid == mid)
			return lm->msgs[mi];
		if (lm->msgs[mi]->mid < mid)
			lo = mi + 1;
		else
			hi = mi - 1;
	}
	return NULL;
}

/*
 * load_rcpt - queue_load_rcpts callback. A recipient whose message row is
 * missing (a damaged queue.db, or a row deleted by hand) has nothing left
 * to deliver and no sender to notify: it is told in mail_logs and removed
 * from the queue. Left in place it was skipped without a word at every
 * start, yet counted by status and tophosts for ever, and never expired.
 */
static int
load_rcpt(const struct queue_rcpt *qr, void *arg)
{
	struct loadmap *lm = arg;
	struct msg *m = find_loaded(lm, qr->mid);
	struct rcpt *r;
	char addr[256];

	if (m == NULL) {
		gw_logl(lm->dl->gw, LOGFILE_WARNING,
		    "MID %lld RID [%d] To: <%s> removed from the queue: the message is "
		    "missing from queue.db (nothing to deliver, no sender to notify)",
		    (long long)qr->mid, qr->rid, gw_safe(qr->addr, addr, sizeof(addr)));
		qwriter_done(lm->dl->gw->qw, qr->mid, qr->rid);
		lm->orphans++;
		return 0;
	}
	if (qr->bounce_status != NULL) {
		/* hard-bounced before the restart: waits for the message's DSN, not delivered */
		msg_bounce_add(m, qr->rid, qr->addr, qr->bounce_status, qr->bounce_diag);
		return 0;
	}
	r = rcpt_new(m, qr->rid, qr->addr, qr->dest);
	r->attempts = qr->attempts;
	r->next_try = qr->next_try;
	r->last_error = qr->last_error ? str_dup(qr->last_error) : NULL;
	dest_enqueue(lm->dl, &r, 1);	/* held if the work queue is paused */
	return 0;
}


struct delivery *
delivery_new(struct gw *gw, char **cause)
{
	struct delivery *dl = xcalloc(1, sizeof(*dl));
	struct loadmap lm = { dl, NULL, 0, 0, 0 };
	char *paused;
	int64_t nr = 0;

	dl->gw = gw;
	dl->kick = dest_kick;
	TAILQ_INIT(&dl->dests);
	TAILQ_INIT(&dl->workq);
	gw->dl = dl;
	paused = queue_state_get(gw->q, "paused");
	gw->paused = paused && strcmp(paused, "yes") == 0;
	free(paused);
	if (queue_load_msgs(gw->q, load_msg, &lm, cause) < 0 ||
	    queue_load_rcpts(gw->q, load_rcpt, &lm, cause) < 0) {
		for (int i = 0; i < lm.n; i++)
			msg_unref(lm.msgs[i]);
		free(lm.msgs);
		dest_free_all(dl);
		free(dl);
		gw->dl = NULL;
		return NULL;
	}
	for (int i = 0; i < lm.n; i++) {
		nr += lm.msgs[i]->nrcpts;
		trouble_loaded(dl, lm.msgs[i]);	/* none left to deliver: its DSN now */
		msg_unref(lm.msgs[i]);	/* the recipients keep their messages */
	}
	free(lm.msgs);
	if (lm.n > 0)
		gw_log(gw, "Queue loaded: %d messages, %lld recipients to deliver", lm.n,
		    (long long)nr);
	if (lm.orphans > 0)
		gw_alert(gw, ALERT_WARNING, "Queue", 0,
		    "%d queued recipients had no message in queue.db and were removed "
		    "(their MIDs are in mail_logs); queue.db may be damaged",
		    lm.orphans);
	return dl;
}

/* ---------------------------------------------------------- operators' requests */

void
delivery_now(struct delivery *dl, const char *name)
{
	struct dest *d;

	TAILQ_FOREACH(d, &dl->dests, link) {
		struct rcpt *r;

		if (name && *name && strcasecmp(name, "ALL") != 0 && strcasecmp(d->name, name) != 0)
			continue;
		while ((r = TAILQ_FIRST(&d->waiting)) != NULL) {
			TAILQ_REMOVE(&d->waiting, r, link);
			d->nwaiting--;
			r->next_try = 0;
			TAILQ_INSERT_TAIL(&d->ready, r, link);
			d->nready++;
		}
		if (d->down)
			qwriter_host(dl->gw->qw, d->name, 0, time(NULL), NULL);
		d->down = 0;
		d->retry_at = 0;
		dest_kick(dl, d);
	}
}

void
delivery_pause(struct delivery *dl)
{
	dl->gw->paused = 1;
}

void
delivery_resume(struct delivery *dl)
{
	struct rcpt *r;

	dl->gw->paused = 0;
	while ((r = TAILQ_FIRST(&dl->workq)) != NULL) {
		TAILQ_REMOVE(&dl->workq, r, link);
		dl->nworkq--;
		dest_wakeup(dest_place(dl, r));	/* its connector clock starts now */
	}
}

/* ---------------------------------------------------------- ticks */

/*
 * tdc_expire - the.tdc.queue's time limit: copies waiting, ready or in
 * flight past tdc.max_queue_time leave the queue
 */
static void
tdc_expire(struct delivery *dl, struct dest *d, time_t now)
{
	int life = dl->gw->conf->tdc_max_queue_time;
	struct rcpt_list *lists[2] = { &d->ready, &d->waiting };
	int *counts[2] = { &d->nready, &d->nwaiting };
	struct rcpt *r, *next;

	for (int l = 0; l < 2; l++)
		for (r = TAILQ_FIRST(lists[l]); r; r = next) {
			next = TAILQ_NEXT(r, link);
			if (dest_age(r, now) < life)
				continue;
			TAILQ_REMOVE(lists[l], r, link);
			(*counts[l])--;
			trouble_expired(dl, r);
		}
	mta_expire(d, now, life);
}

/*
 * held_expire - a destination held by suspenddel keeps its recipients on
 * the ready list: those past max_queue_time bounce there as they would
 * waiting (journal copies excepted: tdc_expire)
 */
static void
held_expire(struct delivery *dl, struct dest *d, time_t now)
{
	struct rcpt *r, *next;

	for (r = TAILQ_FIRST(&d->ready); r; r = next) {
		next = TAILQ_NEXT(r, link);
		if (r->msg->kind == QUEUE_KIND_JOURNAL ||
		    now - r->msg->received < dl->gw->conf->max_queue_time)
			continue;
		TAILQ_REMOVE(&d->ready, r, link);
		d->nready--;
		trouble_bounce(dl, r, 0, "5.4.7", "Delivery expired (message too old)", "000",
		    r->last_error ? r->last_error : "expired");
	}
}

void
delivery_tick(struct delivery *dl)
{
	struct gw *gw = dl->gw;
	time_t now = time(NULL);
	struct dest *d;

	TAILQ_FOREACH(d, &dl->dests, link) {
		struct rcpt *r, *next;

		if (d->tdc)
			tdc_expire(dl, d, now);
		else if (d->nready > 0 && suspend_delivery_held(gw, d->name))
			held_expire(dl, d, now);
		for (r = TAILQ_FIRST(&d->waiting); r; r = next) {
			next = TAILQ_NEXT(r, link);
			if (r->msg->kind != QUEUE_KIND_JOURNAL &&
			    now - r->msg->received >= gw->conf->max_queue_time) {
				TAILQ_REMOVE(&d->waiting, r, link);
				d->nwaiting--;
				trouble_bounce(dl, r, 0, "5.4.7", "Delivery expired (message too old)",
				    "000", r->last_error ? r->last_error : "expired");
			} else if (r->next_try <= now) {
				TAILQ_REMOVE(&d->waiting, r, link);
				d->nwaiting--;
				TAILQ_INSERT_TAIL(&d->ready, r, link);
				d->nready++;
			}
		}
		if (d->nready > 0)
			dest_kick(dl, d);
		dest_publish(d);
	}
}

void
delivery_gauges(const struct delivery *dl, int *conns, int *workq, int *dests)
{
	const struct dest *d;

	*conns = dl->nconns;
	*workq = dl->nworkq;
	*dests = 0;
	TAILQ_FOREACH(d, &dl->dests, link)
		(*dests)++;
}

void
delivery_reconfigure(struct delivery *dl)
{
	struct dest *d;

	/*
	 * Routes or DNS may have changed: resolve afresh, and let no open
	 * connection take more work (it may lead to the old next hop)
	 */
	TAILQ_FOREACH(d, &dl->dests, link) {
		d->gen++;
		mta_quit_idle(d);
		if (!d->resolving)
			d->cands_expire = 0;
		dest_kick(dl, d);
	}
}

void
delivery_forget_hops(struct delivery *dl)
{
	struct dest *d;

	/* a lookup already running keeps its answer (asked before the flush, reused for DL_HOPS_TTL) */
	TAILQ_FOREACH(d, &dl->dests, link)
		if (!d->resolving)
			d->cands_expire = 0;
}

void
delivery_shutdown(struct delivery *dl)
{
	struct dest *d;

	dl->stopping = 1;
	TAILQ_FOREACH(d, &dl->dests, link)
		mta_quit_idle(d);
}

void
delivery_free(struct delivery *dl)
{
	struct dest *d;

	if (dl == NULL)
		return;
	TAILQ_FOREACH(d, &dl->dests, link)
		mta_free_all(d);
	dest_free_all(dl);
	free(dl);
}
