/*
 * delivery.c - the delivery engine: destination queues, outbound SMTP,
 * retries, bounces and counters.
 *
 * Every recipient sits in the queue of its destination (its domain, or a
 * pseudo-host such as the.tdc.queue), either ready or waiting for its next
 * try. A destination opens a new connection when work is ready and every
 * connection it has is busy, up to the per-destination and global limits
 * of deliveryconfig/destconfig; a connection takes one message (all its
 * ready recipients for that destination) at a time, pipelines MAIL, RCPT
 * and DATA when the server offers PIPELINING, and takes the next message
 * when done, so connections are reused while the queue has entries and
 * closed a moment after it empties.
 *
 * Failure policy lives here and in one place (Postfix smtp_trouble.c):
 * 5xx hard-bounces the recipient, 4xx and connection or DNS trouble defer
 * it on the retry schedule (initial interval doubling up to the maximum),
 * and a recipient older than the maximum queue time bounces as expired.
 * Hard bounces produce one RFC 3464 notification per message, never to
 * the null sender.
 *
 * DIAGNOSTICS: mail_logs, in the AsyncOS shapes (New SMTP DCID, Delivery
 * start, Message done, Response, Delayed, Bounced, Message finished).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "daemon/delivery.h"
#include "daemon/qwriter.h"
#include "daemon/tdc.h"
#include "mail/dsn.h"
#include "mail/route.h"
#include "net/dns.h"
#include "net/smtp_parse.h"
#include "store/queue.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/timefmt.h"

#define DL_BUCKETS 1024		/* destination hash buckets */
#define DL_MAX_TXN_RCPTS 100	/* recipients in one transaction */
#define DL_IDLE_SECONDS 2	/* an idle connection waits this long for more work */
#define DL_HOPS_TTL 300		/* resolved next hops are reused this long */
#define DL_TIMEOUT 120		/* seconds for any one reply */
#define DL_MAX_CANDIDATES 32	/* addresses tried per connection attempt */

struct cand {
	struct sockaddr_storage addr;	/* with port */
	char host[256];			/* name used for TLS verification */
};

struct conn;
TAILQ_HEAD(conn_list, conn);

struct dest {
	char name[256];			/* queue name (domain or pseudo-host) */
	char domain[256];		/* domain routed / resolved for it */
	struct rcpt_list ready;		/* due now */
	struct rcpt_list waiting;	/* deferred until next_try */
	int nready, nwaiting, ninflight;
	struct conn_list conns;		/* open connections */
	int nconns, nbusy, published;	/* published: conns last written to the store */
	int down;			/* the last connection attempt failed */
	time_t retry_at;		/* while down: no attempt before */
	int resolving;			/* a lookup is running */
	struct cand *cands;		/* resolved next hops, in order */
	int ncands;
	time_t cands_expire;
	int discard;			/* routed to /dev/null */
	time_t tls_plain_until;		/* preferred TLS failed: plain for a while */
	time_t activity_published;	/* last_activity written at most once a second */
	int tdc;			/* the.tdc.queue: journal copies, TDC rules */
	struct dest *hnext;		/* hash chain */
	TAILQ_ENTRY(dest) link;
};
TAILQ_HEAD(dest_list, dest);

enum cstate {
	C_CONNECTING, C_GREETING, C_EHLO, C_HELO, C_STARTTLS, C_TLS, C_IDLE, C_TXN, C_BODY,
	C_DOT, C_QUIT,
};

enum expect { X_MAIL, X_RCPT, X_DATA };

struct conn {
	struct delivery *dl;
	struct dest *d;
	int64_t dcid;
	struct bufferevent *bev;
	enum cstate state;
	int cand;			/* index into d->cands */
	int tls;
	int worked;			/* reached the point of taking work */
	int skip;			/* replies to ignore (to RSET) */
	int *alive;			/* cleared when the connection is freed */
	int logged_new;			/* "New SMTP DCID" written */
	struct smtp_caps caps;
	char peer[64], local[64];
	int port;
	/* the transaction */
	struct msg *m;
	struct rcpt *rc[DL_MAX_TXN_RCPTS];
	int nrc, naccepted, nreplies, nsent;
	int next_cmd;			/* next of MAIL, RCPT..., DATA to send */
	int rc_ok[DL_MAX_TXN_RCPTS];
	enum expect xq[DL_MAX_TXN_RCPTS + 2];	/* replies awaited, in order */
	int xhead, xtail;
	struct event *idle;		/* idle timer */
	TAILQ_ENTRY(conn) link;
};

struct delivery {
	struct gw *gw;
	struct dest *hash[DL_BUCKETS];
	struct dest_list dests;
	int nconns;			/* all outbound connections */
	int stopping;
	struct rcpt_list workq;		/* accepted while the work queue is paused */
};

static void dest_kick(struct delivery *dl, struct dest *d);
static void conn_read(struct bufferevent *bev, void *arg);
static void send_cmds(struct conn *c);
static void on_connected(struct conn *c);
static void txn_step(struct conn *c, int x, const struct smtp_reply *rp, const char *status,
    const char *code, const char *text);
static void conn_event(struct bufferevent *bev, short what, void *arg);
static void conn_next(struct conn *c);
static void conn_close(struct conn *c, const char *why);
static void rcpt_finish(struct delivery *dl, struct rcpt *r, int delivered);

/* ---------------------------------------------------------- objects */

struct msg *
msg_new(void)
{
	struct msg *m = xcalloc(1, sizeof(*m));

	m->refs = 1;
	return m;
}

void
msg_unref(struct msg *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	body_unref(m->body);
	for (int i = 0; i < m->nbounces; i++) {
		free(m->bounces[i].addr);
		free(m->bounces[i].diag);
	}
	free(m->bounces);
	free(m->sender);
	free(m->policy);
	free(m->message_id);
	free(m->listener);
	free(m);
}

struct rcpt *
rcpt_new(struct msg *m, int rid, const char *addr, const char *dest)
{
	struct rcpt *r = xcalloc(1, sizeof(*r));

	r->msg = m;
	m->refs++;
	m->nrcpts++;
	r->rid = rid;
	r->addr = str_dup(addr);
	r->dest = str_dup(dest);
	str_lower(r->dest);
	return r;
}

void
rcpt_free(struct rcpt *r)
{
	if (r == NULL)
		return;
	msg_unref(r->msg);
	free(r->addr);
	free(r->dest);
	free(r->last_error);
	free(r);
}

/* hashstr - FNV-1a */
static unsigned
hashstr(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % DL_BUCKETS;
}

/* dest_get - the destination of this name, created on first use */
static struct dest *
dest_get(struct delivery *dl, const char *name)
{
	unsigned h = hashstr(name);
	struct dest *d;

	for (d = dl->hash[h]; d; d = d->hnext)
		if (strcmp(d->name, name) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	str_copy(d->name, name, sizeof(d->name));
	str_copy(d->domain, name, sizeof(d->domain));
	d->tdc = tdc_is_queue(name);
	TAILQ_INIT(&d->ready);
	TAILQ_INIT(&d->waiting);
	TAILQ_INIT(&d->conns);
	d->hnext = dl->hash[h];
	dl->hash[h] = d;
	TAILQ_INSERT_TAIL(&dl->dests, d, link);
	return d;
}

/*
 * dest_tls - the TLS a destination requires: destconfig's, but for the
 * journal copies always STARTTLS with a verified certificate (the intake
 * takes TLS 1.2 at least, which every context here has as its floor).
 */
static enum destconf_tls
dest_tls(const struct delivery *dl, const struct dest *d)
{
	if (d->tdc)
		return DESTCONF_TLS_REQUIRED_VERIFY;
	return conf_dest(dl->gw->conf, d->domain)->tls;
}

/* pfx - the log prefix of a destination's lines */
static const char *
pfx(const struct dest *d)
{
	return d->tdc ? "TDC: " : "";
}

/* ---------------------------------------------------------- outcomes */

/* ridlist - "[0, 1, 2]" of a connection's recipients (all, or only accepted) */
static void
ridlist(const struct conn *c, int only_ok, char *buf, size_t size)
{
	struct buf b;

	buf_init(&b, size - 1);
	buf_addch(&b, '[');
	for (int i = 0, k = 0; i < c->nrc; i++) {
		if (only_ok && !c->rc_ok[i])
			continue;
		buf_printf(&b, "%s%d", k++ ? ", " : "", c->rc[i]->rid);
	}
	buf_addch(&b, ']');
	str_copy(buf, b.data ? b.data : "[]", size);
	buf_free(&b);
}

/* finish_msg - all recipients done: DSN if wanted, then forget the message */
static void
finish_msg(struct delivery *dl, struct msg *m)
{
	struct gw *gw = dl->gw;

	if (m->nbounces > 0 && m->sender[0] && m->kind != QUEUE_KIND_BOUNCE && gw->conf->bounces) {
		struct dsn_rcpt *dr = xcalloc((size_t)m->nbounces, sizeof(*dr));
		struct msg *b = msg_new();
		struct rcpt *r;
		struct queue_msg qm;
		struct queue_rcpt qr;
		char *cause = NULL, *data;
		size_t len;
		const char *at;

		if (m->body == NULL && queue_load_body(gw->q, m->mid, &data, &len, &cause) == 0) {
			m->body = body_new(data, len);
		} else if (m->body == NULL) {
			free(cause);
		}
		for (int i = 0; i < m->nbounces; i++)
			dr[i] = (struct dsn_rcpt){ m->bounces[i].addr, m->bounces[i].status,
				m->bounces[i].diag };
		data = dsn_build(gw->conf->hostname, m->sender, (long long)m->mid, m->received, dr,
		    m->nbounces, m->body ? m->body->data : "", m->body ? m->body->len : 0, &len);
		free(dr);
		b->mid = gw_id(gw, GW_MID);
		b->parent_mid = m->mid;
		b->kind = QUEUE_KIND_BOUNCE;
		b->direction = 1;
		b->received = time(NULL);
		b->sender = str_dup("");
		b->policy = str_dup(POLICY_DEFAULT);
		b->message_id = str_dup("");
		b->listener = str_dup("");
		b->body = body_new(data, len);
		b->body_len = len;
		at = strrchr(m->sender, '@');
		r = rcpt_new(b, 0, m->sender, at ? at + 1 : "");
		qwriter_global(gw->qw, "bounce_rcpts", 1);
		gw_log(gw, "MID %lld was generated for bounce of MID %lld", (long long)b->mid,
		    (long long)m->mid);
		gw_log(gw, "Start MID %lld ICID 0", (long long)b->mid);
		gw_log(gw, "MID %lld ICID 0 From: <>", (long long)b->mid);
		gw_log(gw, "MID %lld ICID 0 RID 0 To: <%s>", (long long)b->mid, r->addr);
		gw_log(gw, "MID %lld ready %zu bytes from <>", (long long)b->mid, len);
		qm = (struct queue_msg){ .mid = b->mid, .parent_mid = m->mid,
			.kind = QUEUE_KIND_BOUNCE, .received = b->received, .sender = "",
			.policy = b->policy, .direction = 1, .client_ip = "", .listener = "",
			.message_id = "", .body = data, .body_len = len };
		qr = (struct queue_rcpt){ .mid = b->mid, .rid = 0, .addr = r->addr,
			.dest = r->dest };
		/*
		 * The bounce is stored in the same ordered stream as the removal
		 * of the bounced recipients, so a crash never loses both.
		 * Enqueued right away: the writer applies in order, and a
		 * delivery of it is only recorded after it is stored.
		 */
		qwriter_accept(gw->qw, &qm, 1, &qr, 1, NULL, NULL);	/* copies what it needs */
		for (int i = 0; i < m->nbounces; i++)
			qwriter_done(gw->qw, m->mid, m->bounces[i].rid);
		gw_log(gw, "MID %lld queued for delivery", (long long)b->mid);
		delivery_enqueue(dl, b, &r, 1);
		msg_unref(b);
	} else {
		for (int i = 0; i < m->nbounces; i++)
			qwriter_done(gw->qw, m->mid, m->bounces[i].rid);
	}
	gw_log(gw, "Message finished MID %lld done", (long long)m->mid);
}

/* rcpt_finish - a recipient is done (delivered, or hard-bounced and recorded) */
static void
rcpt_finish(struct delivery *dl, struct rcpt *r, int delivered)
{
	struct msg *m = r->msg;

	if (delivered)
		qwriter_done(dl->gw->qw, m->mid, r->rid);
	m->nrcpts--;
	if (m->nrcpts == 0)
		finish_msg(dl, m);
	rcpt_free(r);
}

/*
 * tdc_failed - a journal copy failed. Seed 002's table decides: a
 * retryable failure gets one more try after tdc.retry_delay seconds;
 * anything else, a second failure, or a copy older than
 * tdc.max_queue_time leaves the queue with a line saying why. No
 * notification is ever sent (the copy's sender is <> anyway), and the
 * original is not involved.
 */
static void
tdc_failed(struct delivery *dl, struct rcpt *r, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text)
{
	struct gw *gw = dl->gw;
	const struct conf *c = gw->conf;
	enum tdc_class k = tdc_classify(status, code);
	time_t now = time(NULL);
	const char *counter;
	char t[600], reason[96], last[700];

	gw_safe(text, t, sizeof(t));
	str_fmt(last, sizeof(last), "%lld MID %lld: %s %s %s", (long long)now,
	    (long long)r->msg->mid, code, status, t);
	qwriter_state(gw->qw, "tdc.last_error", last);
	if (now - r->msg->received >= c->tdc_max_queue_time) {
		str_fmt(reason, sizeof(reason), "Message expired after %d seconds in the queue.",
		    c->tdc_max_queue_time);
		counter = "tdc_failed_expired";
	} else if (k == TDC_RETRY && r->attempts < TDC_RETRIES) {
		struct dest *d = dest_get(dl, r->dest);

		r->attempts++;
		r->next_try = now + c->tdc_retry_delay;
		free(r->last_error);
		r->last_error = str_printf("%s %s", code, t);
		gw_log(gw, "TDC: Delayed: DCID %lld MID %lld - %s - %s ('%s', ['%s']) - retry %d "
			   "of %d in %d seconds",
		    (long long)dcid, (long long)r->msg->mid, status, what, code, t, r->attempts,
		    TDC_RETRIES, c->tdc_retry_delay);
		qwriter_defer(gw->qw, r->msg->mid, r->rid, r->attempts, r->next_try, r->last_error);
		qwriter_count(gw->qw, r->dest, 0, 1, 0);
		TAILQ_INSERT_TAIL(&d->waiting, r, link);
		d->nwaiting++;
		return;
	} else if (k == TDC_HARD) {
		gw_log(gw, "TDC: Hard bounced DCID %lld MID %lld - %s - %s ('%s', '%s')",
		    (long long)dcid, (long long)r->msg->mid, status, what, code, t);
		str_copy(reason, "Hard Bounced.", sizeof(reason));
		counter = "tdc_failed_hard";
	} else if (k == TDC_TLS) {
		gw_log(gw, "TDC: TLS error DCID %lld MID %lld - %s - %s ('%s', '%s')",
		    (long long)dcid, (long long)r->msg->mid, status, what, code, t);
		str_copy(reason, "TLS Error.", sizeof(reason));
		counter = "tdc_failed_tls";
	} else {
		gw_log(gw, "TDC: Retries spent DCID %lld MID %lld - %s - %s ('%s', '%s')",
		    (long long)dcid, (long long)r->msg->mid, status, what, code, t);
		str_copy(reason, "Retries Exhausted.", sizeof(reason));
		counter = "tdc_failed_retries";
	}
	gw_log(gw, "TDC: MID %lld delivery failed to Email Threat Defense: %s",
	    (long long)r->msg->mid, reason);
	qwriter_count(gw->qw, r->dest, 0, 0, 1);
	qwriter_global(gw->qw, counter, 1);
	rcpt_finish(dl, r, 1);	/* forgotten: no notification for a copy */
}

/* bounce - hard failure of one recipient */
static void
bounce(struct delivery *dl, struct rcpt *r, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text)
{
	struct gw *gw = dl->gw;
	struct msg *m = r->msg;
	struct bounce_rec *b;
	char t[600];

	if (m->kind == QUEUE_KIND_JOURNAL) {
		tdc_failed(dl, r, dcid, status, what, code, text);
		return;
	}

	gw_log(gw, "Bounced: DCID %lld MID %lld to RID %d - %s - %s ('%s', ['%s']) []",
	    (long long)dcid, (long long)m->mid, r->rid, status, what, code,
	    gw_safe(text, t, sizeof(t)));
	qwriter_count(gw->qw, r->dest, 0, 0, 1);
	qwriter_global(gw->qw, "hard_bounced", 1);
	m->bounces = xrealloc(m->bounces, sizeof(*m->bounces) * (size_t)(m->nbounces + 1));
	b = &m->bounces[m->nbounces++];
	b->rid = r->rid;
	b->addr = str_dup(r->addr);
	str_copy(b->status, status, sizeof(b->status));
	b->diag = str_printf("smtp; %s %s", code, t);
	rcpt_finish(dl, r, 0);
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

/* defer - soft failure of one recipient: back to waiting, or bounce if too old */
static void
defer(struct delivery *dl, struct rcpt *r, int64_t dcid, const char *status, const char *what,
    const char *code, const char *text)
{
	struct gw *gw = dl->gw;
	const struct conf *c = gw->conf;
	struct dest *d;
	time_t now = time(NULL);
	char t[600], when[64];

	if (r->msg->kind == QUEUE_KIND_JOURNAL) {
		tdc_failed(dl, r, dcid, status, what, code, text);
		return;
	}
	d = dest_get(dl, r->dest);
	gw_safe(text, t, sizeof(t));
	if (now - r->msg->received >= c->max_queue_time) {
		bounce(dl, r, dcid, "5.4.7", "Delivery expired (message too old)", code, t);
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
	qwriter_count(gw->qw, r->dest, 0, 1, 0);
	qwriter_global(gw->qw, "soft_bounced", 1);
	TAILQ_INSERT_TAIL(&d->waiting, r, link);
	d->nwaiting++;
}

/* defer_ready - every ready recipient of a destination soft-fails */
static void
defer_ready(struct delivery *dl, struct dest *d, int64_t dcid, const char *status,
    const char *what, const char *code, const char *text)
{
	struct rcpt *r;

	while ((r = TAILQ_FIRST(&d->ready)) != NULL) {
		TAILQ_REMOVE(&d->ready, r, link);
		d->nready--;
		defer(dl, r, dcid, status, what, code, text);
	}
}

/* bounce_ready - every ready recipient of a destination hard-fails */
static void
bounce_ready(struct delivery *dl, struct dest *d, const char *status, const char *what,
    const char *text)
{
	struct rcpt *r;

	while ((r = TAILQ_FIRST(&d->ready)) != NULL) {
		TAILQ_REMOVE(&d->ready, r, link);
		d->nready--;
		bounce(dl, r, 0, status, what, "000", text);
	}
}

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

/* resolve_done - all lookups of a destination are in */
static void
resolve_done(struct resolve *rs)
{
	struct delivery *dl = rs->dl;
	struct dest *d = dest_get(dl, rs->name);
	enum dns_status worst = DNS_OK;
	int any_temp = 0;

	free(d->cands);
	d->cands = xcalloc(DL_MAX_CANDIDATES, sizeof(struct cand));
	d->ncands = 0;
	for (int i = 0; i < rs->n; i++) {
		for (int j = 0; j < rs->ngot[i] && d->ncands < DL_MAX_CANDIDATES; j++)
			d->cands[d->ncands++] = rs->got[i][j];
		if (rs->st[i] == DNS_TEMPFAIL)
			any_temp = 1;
		else if (rs->st[i] != DNS_OK && worst == DNS_OK)
			worst = rs->st[i];
		free(rs->got[i]);
	}
	d->resolving = 0;
	d->cands_expire = time(NULL) + DL_HOPS_TTL;
	if (d->ncands == 0) {
		char text[400];

		d->cands_expire = 0;
		if (any_temp || worst == DNS_OK) {
			str_fmt(text, sizeof(text), "DNS Temporary Failure looking up %s: %s",
			    d->domain, dns_status_str(DNS_TEMPFAIL));
			defer_ready(dl, d, 0, "4.4.3", "Temporary DNS error", "000", text);
		} else {
			str_fmt(text, sizeof(text), "DNS Hard Error looking up %s: %s", d->domain,
			    dns_status_str(worst));
			bounce_ready(dl, d, worst == DNS_NULLMX ? "5.1.10" : "5.1.2",
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

/* dest_resolve - find the next hops: smtproutes, else MX */
static void
dest_resolve(struct delivery *dl, struct dest *d)
{
	struct gw *gw = dl->gw;
	const char *route = conf_route(gw->conf, d->domain);
	struct resolve *rs;

	d->discard = 0;
	rs = xcalloc(1, sizeof(*rs));
	rs->dl = dl;
	str_copy(rs->name, d->name, sizeof(rs->name));
	if (route) {
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

/* ---------------------------------------------------------- connections */

/* send_line - a command to the server */
static void
send_line(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
line_to(struct evbuffer *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* vline_to - one command line, CRLF included, appended with a single write */
static void
vline_to(struct evbuffer *out, const char *fmt, va_list ap)
{
	char line[SMTP_PATH_MAX + 64];
	int n = vsnprintf(line, sizeof(line) - 2, fmt, ap);

	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;	/* cannot happen: paths are bounded */
	memcpy(line + n, "\r\n", 2);
	evbuffer_add(out, line, (size_t)n + 2);
}

/* line_to - a command line into a buffer being gathered */
static void
line_to(struct evbuffer *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline_to(out, fmt, ap);
	va_end(ap);
}

/*
 * send_line - one command to the server, in a single write: over TLS
 * every evbuffer_add on the filter becomes a TLS record of its own
 */
static void
send_line(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline_to(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
}

/* addr_text - numeric address and port of a socket address */
static void
addr_text(const struct sockaddr_storage *ss, char *buf, size_t size, int *port)
{
	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
		    (socklen_t)size);
		*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, (socklen_t)size);
		*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	}
}

/* publish - write a destination's connection gauge when it changed */
static void
publish(struct delivery *dl, struct dest *d)
{
	if (d->published != d->nconns) {
		qwriter_conns(dl->gw->qw, d->name, d->nconns);
		d->published = d->nconns;
	}
}

/* txn_abort - the connection failed mid-transaction: its recipients go back */
static void
txn_abort(struct conn *c, const char *status, const char *what, const char *code,
    const char *text)
{
	struct delivery *dl = c->dl;

	for (int i = 0; i < c->nrc; i++) {
		if (c->rc[i] == NULL)
			continue;
		c->d->ninflight--;
		defer(dl, c->rc[i], c->dcid, status, what, code, text);
	}
	c->nrc = 0;
	if (c->m) {
		msg_unref(c->m);
		c->m = NULL;
	}
}

/* conn_close - close a connection; recipients in flight are deferred */
static void
conn_close(struct conn *c, const char *why)
{
	struct delivery *dl = c->dl;
	struct dest *d = c->d;

	if (c->nrc > 0)
		txn_abort(c, "4.4.2", "Connection lost", "000",
		    why ? why : "connection closed during the transaction");
	if (c->logged_new)
		gw_log(dl->gw, "%sDCID %lld close", pfx(d), (long long)c->dcid);
	if (c->alive)
		*c->alive = 0;
	if (c->idle)
		event_free(c->idle);
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->state == C_TXN || c->state == C_BODY || c->state == C_DOT)
		d->nbusy--;
	TAILQ_REMOVE(&d->conns, c, link);
	d->nconns--;
	dl->nconns--;
	free(c);
	publish(dl, d);
	if (!dl->stopping)
		dest_kick(dl, d);
}

/* conn_failed - could not talk to this address: try the next, or give up */
static void conn_try(struct conn *c);

static void
conn_failed(struct conn *c, const char *details)
{
	struct delivery *dl = c->dl;
	struct dest *d = c->d;
	struct gw *gw = dl->gw;

	gw_log(gw, "%sConnection Error: DCID %lld domain: %s IP: %s port: %d details: %s",
	    pfx(d), (long long)c->dcid, d->name, c->peer, c->port, details);
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (++c->cand < d->ncands) {
		conn_try(c);
		return;
	}
	/* every address failed: the host is down; retry on the schedule */
	d->down = 1;
	d->retry_at = time(NULL) + (d->tdc ? gw->conf->tdc_retry_delay : gw->conf->retry_initial);
	d->cands_expire = 0;	/* resolve again next time */
	qwriter_host(gw->qw, d->name, 1, time(NULL), details);
	defer_ready(dl, d, c->dcid, "4.4.1", "Connection error", "000", details);
	conn_close(c, NULL);
}

/* conn_try - connect to the current candidate address */
static void
conn_try(struct conn *c)
{
	struct gw *gw = c->dl->gw;
	struct cand *cd = &c->d->cands[c->cand];
	socklen_t len = cd->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							  sizeof(struct sockaddr_in);

	addr_text(&cd->addr, c->peer, sizeof(c->peer), &c->port);
	c->state = C_CONNECTING;
	c->tls = 0;
	c->bev = bufferevent_socket_new(gw->base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_set_timeouts(c->bev, &(struct timeval){ DL_TIMEOUT, 0 },
	    &(struct timeval){ DL_TIMEOUT, 0 });
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&cd->addr, (int)len) < 0)
		conn_failed(c, strerror(errno));
	else
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* conn_open - a new connection for a destination */
static void
conn_open(struct delivery *dl, struct dest *d)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->dl = dl;
	c->d = d;
	c->dcid = gw_id(dl->gw, GW_DCID);
	TAILQ_INSERT_TAIL(&d->conns, c, link);
	d->nconns++;
	dl->nconns++;
	publish(dl, d);
	conn_try(c);
}

/* start_txn - take the next message's ready recipients; 0 if nothing to do */
static int
start_txn(struct conn *c)
{
	struct dest *d = c->d;
	struct gw *gw = c->dl->gw;
	struct rcpt *r = TAILQ_FIRST(&d->ready);
	struct msg *m;
	char rids[1024], t[400];

	if (r == NULL || c->dl->stopping)
		return 0;
	m = r->msg;
	if (m->body == NULL) {
		char *data, *cause = NULL;
		size_t len;

		if (queue_load_body(gw->q, m->mid, &data, &len, &cause) < 0) {
			gw_logl(gw, LOGFILE_CRITICAL, "MID %lld cannot be read from the queue: %s",
			    (long long)m->mid, cause);
			free(cause);
			TAILQ_REMOVE(&d->ready, r, link);
			d->nready--;
			defer(c->dl, r, c->dcid, "4.3.0", "Local error", "000", "queue read error");
			return start_txn(c);
		}
		m->body = body_new(data, len);
	}
	c->m = m;
	m->refs++;
	c->nrc = 0;
	c->worked = 1;
	/* the message's recipients stand together at the head of the queue */
	while ((r = TAILQ_FIRST(&d->ready)) != NULL && r->msg == m && c->nrc < DL_MAX_TXN_RCPTS) {
		TAILQ_REMOVE(&d->ready, r, link);
		d->nready--;
		d->ninflight++;
		c->rc_ok[c->nrc] = 0;
		c->rc[c->nrc++] = r;
	}
	c->naccepted = 0;
	c->xhead = c->xtail = 0;
	c->state = C_TXN;
	d->nbusy++;
	ridlist(c, 0, rids, sizeof(rids));
	if (d->tdc)
		gw_log(gw, "TDC: Delivery start DCID %lld MID %lld", (long long)c->dcid,
		    (long long)m->mid);
	else
		gw_log(gw, "Delivery start DCID %lld MID %lld to RID %s", (long long)c->dcid,
		    (long long)m->mid, rids);
	c->nsent = 0;
	c->next_cmd = 0;
	(void)t;
	send_cmds(c);
	return 1;
}

/*
 * send_cmds - MAIL, each RCPT, DATA: all at once when the server offers
 * PIPELINING (RFC 2920), else one at a time as each reply arrives.
 */
static void
send_cmds(struct conn *c)
{
	/* a pipelined group leaves in one piece: one TLS record, one segment */
	struct evbuffer *group = evbuffer_new();

	do {
		int k = c->next_cmd;

		if (k > c->nrc + 1 || (c->nrc == 0 && k > 0))
			break;
		if (k == 0) {
			if (c->caps.size)
				line_to(group, "MAIL FROM:<%s> SIZE=%zu", c->m->sender, c->m->body->len);
			else
				line_to(group, "MAIL FROM:<%s>", c->m->sender);
			c->xq[c->xtail++] = X_MAIL;
		} else if (k <= c->nrc) {
			line_to(group, "RCPT TO:<%s>", c->rc[k - 1]->addr);
			c->xq[c->xtail++] = X_RCPT;
		} else {
			line_to(group, "DATA");
			c->xq[c->xtail++] = X_DATA;
		}
		c->next_cmd++;
	} while (c->caps.pipelining);
	evbuffer_add_buffer(bufferevent_get_output(c->bev), group);
	evbuffer_free(group);
}

/* send_body - the message, dot-stuffed, then the final dot */
static void
send_body(struct conn *c)
{
	/* gathered first, then handed over at once (see send_line) */
	struct evbuffer *out = evbuffer_new();
	const char *p = c->m->body->data, *end = p + c->m->body->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (*p == '.')
			evbuffer_add(out, ".", 1);	/* RFC 5321 4.5.2 */
		evbuffer_add(out, p, n);
		p += n;
	}
	if (c->m->body->len && end[-1] != '\n')
		evbuffer_add(out, "\r\n", 2);
	evbuffer_add(out, ".\r\n", 3);
	evbuffer_add_buffer(bufferevent_get_output(c->bev), out);
	evbuffer_free(out);
	c->state = C_DOT;
}

/* reply_text - "250 2.0.0 Ok: queued" -> "Ok: queued" for the Response line */
static const char *
first_line(const struct smtp_reply *rp, char *buf, size_t size)
{
	const char *nl = strchr(rp->text, '\n');
	size_t n = nl ? (size_t)(nl - rp->text) : strlen(rp->text);

	if (n >= size)
		n = size - 1;
	memcpy(buf, rp->text, n);
	buf[n] = '\0';
	return buf;
}

/* txn_reply - a reply inside the transaction */
static void
txn_reply(struct conn *c, const struct smtp_reply *rp)
{
	struct delivery *dl = c->dl;
	struct gw *gw = dl->gw;
	char code[8], text[600], status[16];
	enum expect x;

	str_fmt(code, sizeof(code), "%d", rp->code);
	first_line(rp, text, sizeof(text));
	str_copy(status, rp->enhanced[0] ? rp->enhanced :
	    (rp->code >= 500 ? "5.0.0" : rp->code >= 400 ? "4.0.0" : "2.0.0"), sizeof(status));
	if (c->state == C_DOT) {
		char rids[1024];

		c->d->nbusy--;
		ridlist(c, 1, rids, sizeof(rids));
		if (c->m && rp->code >= 200 && rp->code < 300) {
			char t[600];
			time_t now = time(NULL);

			if (c->d->activity_published != now) {
				qwriter_host(gw->qw, c->d->name, 0, now, NULL);
				c->d->activity_published = now;
			}

			if (c->d->tdc) {
				gw_log(gw, "TDC: MID %lld successfully delivered for scanning with "
					   "Email Threat Defense",
				    (long long)c->m->mid);
				str_fmt(t, sizeof(t), "%lld", (long long)now);
				qwriter_state(gw->qw, "tdc.last_success", t);
			} else {
				gw_log(gw, "Message done DCID %lld MID %lld to RID %s",
				    (long long)c->dcid, (long long)c->m->mid, rids);
				gw_log(gw, "MID %lld RID %s Response '%s'", (long long)c->m->mid, rids,
				    gw_safe(text, t, sizeof(t)));
			}
		}
		for (int i = 0; i < c->nrc; i++) {
			struct rcpt *r = c->rc[i];

			if (!c->rc_ok[i])
				continue;
			c->d->ninflight--;
			if (rp->code >= 200 && rp->code < 300) {
				qwriter_count(gw->qw, r->dest, 1, 0, 0);
				qwriter_global(gw->qw, "delivered", 1);
				rcpt_finish(dl, r, 1);
			} else if (rp->code >= 500) {
				bounce(dl, r, c->dcid, status, "Message rejected", code, text);
			} else {
				defer(dl, r, c->dcid, status, "Message deferred", code, text);
			}
		}
		c->nrc = 0;
		msg_unref(c->m);
		c->m = NULL;
		c->state = C_IDLE;
		conn_next(c);
		return;
	}
	if (c->xhead >= c->xtail)
		return;	/* unexpected: ignore */
	x = c->xq[c->xhead++];
	if (!c->caps.pipelining && x != X_DATA) {
		int fail = x == X_MAIL && rp->code >= 300;

		txn_step(c, x, rp, status, code, text);
		if (!fail) {
			send_cmds(c);
			return;
		}
		/* MAIL refused without pipelining: nothing else was sent */
		c->d->nbusy--;
		msg_unref(c->m);
		c->m = NULL;
		c->state = C_IDLE;
		send_line(c, "RSET");
		c->skip++;
		c->xhead = c->xtail = 0;
		conn_next(c);
		return;
	}
	txn_step(c, x, rp, status, code, text);
}

/* txn_step - apply one MAIL, RCPT or DATA reply */
static void
txn_step(struct conn *c, int x, const struct smtp_reply *rp, const char *status,
    const char *code, const char *text)
{
	struct delivery *dl = c->dl;

	if (x == X_MAIL) {
		if (rp->code >= 300) {
			/* the sender was refused: every recipient shares the outcome */
			for (int i = 0; i < c->nrc; i++) {
				c->d->ninflight--;
				if (rp->code >= 500)
					bounce(dl, c->rc[i], c->dcid, status, "Sender rejected", code,
					    text);
				else
					defer(dl, c->rc[i], c->dcid, status, "Sender deferred", code,
					    text);
			}
			c->nrc = 0;
		}
	} else if (x == X_RCPT) {
		int i = c->nsent++;

		if (i < c->nrc && c->rc[i] && rp->code >= 200 && rp->code < 300) {
			c->rc_ok[i] = 1;
			c->naccepted++;
		} else if (i < c->nrc && c->rc[i] && c->nrc > 0) {
			struct rcpt *r = c->rc[i];

			c->rc[i] = NULL;
			c->d->ninflight--;
			if (rp->code >= 500)
				bounce(dl, r, c->dcid, status, "Recipient rejected", code, text);
			else
				defer(dl, r, c->dcid, status, "Recipient deferred", code, text);
			/* keep the slot so RIDs line up; mark it done */
			c->rc[i] = NULL;
		}
	} else if (x == X_DATA) {
		/* compact away refused recipients */
		int k = 0;

		for (int i = 0; i < c->nrc; i++)
			if (c->rc[i]) {
				c->rc_ok[k] = c->rc_ok[i];
				c->rc[k++] = c->rc[i];
			}
		c->nrc = k;
		if (rp->code == 354 && c->naccepted > 0) {
			send_body(c);
			return;
		}
		/* no recipient accepted, or DATA refused: nothing is sent */
		for (int i = 0; i < c->nrc; i++) {
			c->d->ninflight--;
			if (!c->rc_ok[i])
				continue;
			if (rp->code >= 500)
				bounce(dl, c->rc[i], c->dcid, status, "Data rejected", code, text);
			else
				defer(dl, c->rc[i], c->dcid, status, "Data deferred", code, text);
		}
		c->nrc = 0;
		c->d->nbusy--;
		msg_unref(c->m);
		c->m = NULL;
		c->state = C_IDLE;
		if (rp->code == 354) {
			/* the server wants data we will not send: end it cleanly */
			evbuffer_add(bufferevent_get_output(c->bev), ".\r\n", 3);
			c->state = C_DOT;
			c->d->nbusy++;
			c->m = NULL;
			return;
		}
		send_line(c, "RSET");
		c->skip++;	/* its reply is read and ignored */
		c->xhead = c->xtail = 0;
		conn_next(c);
	}
}

/* idle_timeout - no more work came: say goodbye */
static void
idle_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->state == C_IDLE) {
		send_line(c, "QUIT");
		c->state = C_QUIT;
	}
}

/* conn_next - after a transaction or the greeting: more work, or idle */
static void
conn_next(struct conn *c)
{
	if (start_txn(c))
		return;
	c->state = C_IDLE;
	c->worked = 1;
	if (c->dl->stopping) {
		send_line(c, "QUIT");
		c->state = C_QUIT;
		return;
	}
	struct timeval tv = { DL_IDLE_SECONDS, 0 };

	if (c->idle == NULL)
		c->idle = evtimer_new(c->dl->gw->base, idle_timeout, c);
	evtimer_add(c->idle, &tv);
}

/* start_tls - wrap the connection after "220" to STARTTLS */
static void
start_tls(struct conn *c)
{
	struct gw *gw = c->dl->gw;
	int verify = dest_tls(c->dl, c->d) == DESTCONF_TLS_REQUIRED_VERIFY;
	SSL *ssl = SSL_new(verify ? gw->client_ctx_verify : gw->client_ctx);
	unsigned char ip[16];
	int literal;
	struct bufferevent *tb;
	const char *host = c->d->cands[c->cand].host;

	if (ssl == NULL) {
		conn_failed(c, "cannot create a TLS session");
		return;
	}
	/* a route may name the next hop by address: verify that, not a name */
	literal = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	if (host[0] && !literal)
		SSL_set_tlsext_host_name(ssl, host);
	if (verify && literal)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	else if (verify)
		SSL_set1_host(ssl, host);
	tb = bufferevent_openssl_filter_new(gw->base, c->bev, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (tb == NULL) {
		SSL_free(ssl);
		conn_failed(c, "cannot start TLS");
		return;
	}
	c->bev = tb;
	c->state = C_TLS;
	bufferevent_setcb(tb, conn_read, NULL, conn_event, c);
	bufferevent_enable(tb, EV_READ | EV_WRITE);
}

/* after_ehlo - capabilities known: STARTTLS as destconfig says, else start work */
static void
after_ehlo(struct conn *c)
{
	enum destconf_tls tls = dest_tls(c->dl, c->d);
	int want = tls != DESTCONF_TLS_NO && !c->tls;

	if (tls == DESTCONF_TLS_PREFERRED && c->d->tls_plain_until > time(NULL))
		want = 0;
	if (want && c->caps.starttls) {
		send_line(c, "STARTTLS");
		c->state = C_STARTTLS;
		return;
	}
	if (want && tls >= DESTCONF_TLS_REQUIRED) {
		defer_ready(c->dl, c->d, c->dcid, "4.7.4", "TLS required", "000",
		    "TLS was required but the remote host did not offer STARTTLS");
		send_line(c, "QUIT");
		c->state = C_QUIT;
		return;
	}
	conn_next(c);
}

/* conn_reply - one complete reply from the server */
static void
conn_reply(struct conn *c, const struct smtp_reply *rp)
{
	struct gw *gw = c->dl->gw;
	char text[600], code[8];

	str_fmt(code, sizeof(code), "%d", rp->code);
	first_line(rp, text, sizeof(text));
	if (c->skip > 0) {
		c->skip--;
		return;
	}
	switch (c->state) {
	case C_GREETING:
		if (rp->code != 220) {
			defer_ready(c->dl, c->d, c->dcid, "4.4.0", "Greeting refused", code, text);
			send_line(c, "QUIT");
			c->state = C_QUIT;
			return;
		}
		send_line(c, "EHLO %s", gw->conf->hostname);
		c->state = C_EHLO;
		return;
	case C_EHLO:
		if (rp->code != 250) {
			send_line(c, "HELO %s", gw->conf->hostname);
			c->state = C_HELO;
			return;
		}
		smtp_ehlo_caps(rp, &c->caps);
		after_ehlo(c);
		return;
	case C_HELO:
		if (rp->code != 250) {
			defer_ready(c->dl, c->d, c->dcid, "4.4.0", "HELO refused", code, text);
			send_line(c, "QUIT");
			c->state = C_QUIT;
			return;
		}
		memset(&c->caps, 0, sizeof(c->caps));
		after_ehlo(c);
		return;
	case C_STARTTLS:
		if (rp->code != 220) {
			if (dest_tls(c->dl, c->d) >= DESTCONF_TLS_REQUIRED) {
				defer_ready(c->dl, c->d, c->dcid, "4.7.4", "TLS required", code, text);
				send_line(c, "QUIT");
				c->state = C_QUIT;
				return;
			}
			conn_next(c);
			return;
		}
		start_tls(c);
		return;
	case C_TXN:
	case C_DOT:
		txn_reply(c, rp);
		return;
	case C_QUIT:
		conn_close(c, NULL);
		return;
	default:
		return;
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		struct smtp_reply rp;
		size_t used = 0, len = evbuffer_get_length(in);
		char *data;
		int r;

		if (len == 0)
			return;
		/* libevent may deliver the greeting before the connect event */
		if (c->state == C_CONNECTING)
			on_connected(c);
		data = (char *)evbuffer_pullup(in, (ev_ssize_t)len);
		r = smtp_reply_parse(data, len, &rp, &used);
		if (r == 0)
			return;
		if (r < 0) {
			conn_failed(c, "malformed reply from the server");
			return;
		}
		evbuffer_drain(in, used);
		if (c->state == C_QUIT) {
			conn_close(c, NULL);
			return;
		}
		{
			int alive = 1;

			c->alive = &alive;
			conn_reply(c, &rp);
			if (!alive)
				return;	/* conn_reply closed it */
			c->alive = NULL;
		}
	}
}

/* on_connected - TCP is up (the event, or the greeting arriving first) */
static void
on_connected(struct conn *c)
{
	struct gw *gw = c->dl->gw;
	struct dest *d = c->d;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int lport;

	if (c->state != C_CONNECTING)
		return;
	if (getsockname(bufferevent_getfd(c->bev), (struct sockaddr *)&ss, &sl) == 0)
		addr_text(&ss, c->local, sizeof(c->local), &lport);
	/* writes are whole command groups already: Nagle would only delay them */
	setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	gw_log(gw, "%sNew SMTP DCID %lld interface %s address %s port %d", pfx(d),
	    (long long)c->dcid, c->local, c->peer, c->port);
	c->logged_new = 1;
	if (d->down) {
		d->down = 0;
		qwriter_host(gw->qw, d->name, 0, time(NULL), NULL);
	}
	c->state = C_GREETING;
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	struct delivery *dl = c->dl;
	struct dest *d = c->d;
	struct gw *gw = dl->gw;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == C_TLS) {
			SSL *ssl = bufferevent_openssl_get_ssl(c->bev);

			c->tls = 1;
			gw_log(gw, "DCID %lld TLS success protocol %s cipher %s", (long long)c->dcid,
			    SSL_get_version(ssl), SSL_get_cipher_name(ssl));
			send_line(c, "EHLO %s", gw->conf->hostname);
			c->state = C_EHLO;
			return;
		}
		on_connected(c);
		return;
	}
	if (c->state == C_CONNECTING) {
		char details[300];
		int e = EVUTIL_SOCKET_ERROR();

		if (what & BEV_EVENT_TIMEOUT)
			str_copy(details, "connection timed out", sizeof(details));
		else
			str_fmt(details, sizeof(details), "%d-%s", e, evutil_socket_error_to_string(e));
		conn_failed(c, details);
		return;
	}
	if (c->state == C_TLS) {
		unsigned long e = bufferevent_get_openssl_error(c->bev);
		char msg[256] = "handshake failed";

		if (e)
			ERR_error_string_n(e, msg, sizeof(msg));
		gw_log(gw, "%sDCID %lld TLS failed: %s", pfx(d), (long long)c->dcid, msg);
		if (dest_tls(dl, d) == DESTCONF_TLS_PREFERRED)
			d->tls_plain_until = time(NULL) + 3600;	/* next attempt in plain text */
		defer_ready(dl, d, c->dcid, "4.7.5", "TLS negotiation failed", "000", msg);
		conn_close(c, "TLS negotiation failed");
		return;
	}
	if (!c->worked) {
		/* lost before it could take work: count it as a failed attempt */
		conn_failed(c, (what & BEV_EVENT_TIMEOUT) ? "timeout waiting for the server" :
							  "connection closed by the server");
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		gw_log(gw, "DCID %lld timed out waiting for the server", (long long)c->dcid);
		conn_close(c, "timeout waiting for the server");
		return;
	}
	conn_close(c, "connection closed by the server");
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
	struct conn *c;

	if (dl->stopping || d->nready == 0 || d->resolving)
		return;
	/* an idle connection takes the work first */
	TAILQ_FOREACH(c, &d->conns, link)
		if (c->state == C_IDLE && c->worked) {
			if (c->idle)
				evtimer_del(c->idle);
			conn_next(c);
			if (d->nready == 0)
				return;
		}
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
			gw_log(gw, "MID %lld RID [%d] discarded: the route for %s is /dev/null",
			    (long long)r->msg->mid, r->rid, d->domain);
			rcpt_finish(dl, r, 1);
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
		conn_open(dl, d);
}

/* place - put a recipient in its destination's ready or waiting list */
static void
place(struct delivery *dl, struct rcpt *r)
{
	struct dest *d = dest_get(dl, r->dest);

	if (d->tdc) {
		/* routed and resolved as the intake's domain (custom ones share it) */
		const char *at = strrchr(r->addr, '@');

		if (at && strcasecmp(d->domain, at + 1) != 0) {
			str_copy(d->domain, at + 1, sizeof(d->domain));
			d->cands_expire = 0;
		}
	}
	if (r->next_try > time(NULL)) {
		TAILQ_INSERT_TAIL(&d->waiting, r, link);
		d->nwaiting++;
	} else {
		TAILQ_INSERT_TAIL(&d->ready, r, link);
		d->nready++;
	}
}

void
delivery_enqueue(struct delivery *dl, struct msg *m, struct rcpt **rcpts, int n)
{
	struct dest *touched[16];
	int nt = 0;

	(void)m;
	if (dl->gw->paused) {
		for (int i = 0; i < n; i++)
			TAILQ_INSERT_TAIL(&dl->workq, rcpts[i], link);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct dest *d = dest_get(dl, rcpts[i]->dest);
		int seen = 0;

		place(dl, rcpts[i]);
		for (int k = 0; k < nt; k++)
			if (touched[k] == d)
				seen = 1;
		if (!seen && nt < 16)
			touched[nt++] = d;
		else if (!seen)
			dest_kick(dl, d);
	}
	for (int k = 0; k < nt; k++)
		dest_kick(dl, touched[k]);
}

/* ---------------------------------------------------------- loading */

struct loadmap {
	struct delivery *dl;
	struct msg **msgs;		/* sorted by mid */
	int n, cap;
};

/* load_msg - queue_load_msgs callback */
static int
load_msg(const struct queue_msg *qm, void *arg)
{
	struct loadmap *lm = arg;
	struct msg *m = msg_new();

	m->mid = qm->mid;
	m->parent_mid = qm->parent_mid;
	m->icid = qm->icid;
	m->kind = qm->kind;
	m->direction = qm->direction;
	m->received = qm->received;
	m->sender = str_dup(qm->sender);
	m->policy = str_dup(qm->policy);
	m->message_id = str_dup(qm->message_id);
	str_copy(m->client_ip, qm->client_ip, sizeof(m->client_ip));
	m->listener = str_dup(qm->listener);
	m->body_len = qm->body_len;
	if (lm->n == lm->cap) {
		lm->cap = lm->cap ? lm->cap * 2 : 256;
		lm->msgs = xrealloc(lm->msgs, sizeof(*lm->msgs) * (size_t)lm->cap);
	}
	lm->msgs[lm->n++] = m;
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

/* load_rcpt - queue_load_rcpts callback */
static int
load_rcpt(const struct queue_rcpt *qr, void *arg)
{
	struct loadmap *lm = arg;
	struct msg *m = find_loaded(lm, qr->mid);
	struct rcpt *r;

	if (m == NULL)
		return 0;
	r = rcpt_new(m, qr->rid, qr->addr, qr->dest);
	r->attempts = qr->attempts;
	r->next_try = qr->next_try;
	r->last_error = qr->last_error ? str_dup(qr->last_error) : NULL;
	if (lm->dl->gw->paused)
		TAILQ_INSERT_TAIL(&lm->dl->workq, r, link);	/* held until resume */
	else
		place(lm->dl, r);
	return 0;
}

struct delivery *
delivery_new(struct gw *gw, char **cause)
{
	struct delivery *dl = xcalloc(1, sizeof(*dl));
	struct loadmap lm = { dl, NULL, 0, 0 };
	char *paused;
	int64_t nr = 0;

	dl->gw = gw;
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
		free(dl);
		return NULL;
	}
	for (int i = 0; i < lm.n; i++) {
		nr += lm.msgs[i]->nrcpts;
		msg_unref(lm.msgs[i]);	/* the recipients keep their messages */
	}
	free(lm.msgs);
	if (lm.n > 0)
		gw_log(gw, "Queue loaded: %d messages, %lld recipients to deliver", lm.n,
		    (long long)nr);
	return dl;
}

/* ---------------------------------------------------------- ticks and requests */

/* deliver_now - move waiting recipients of one destination (or all) to ready */
static void
deliver_now(struct delivery *dl, const char *name)
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

/* on_request - one request from the shell */
static void
on_request(const char *verb, const char *arg, void *ctx)
{
	struct delivery *dl = ctx;
	struct gw *gw = dl->gw;

	if (strcmp(verb, "deliverynow") == 0) {
		gw_log(gw, "Delivery now requested for %s", *arg ? arg : "ALL");
		deliver_now(dl, arg);
	} else if (strcmp(verb, "pause") == 0) {
		gw->paused = 1;
		gw_log(gw, "Work queue paused: %s", arg);
	} else if (strcmp(verb, "resume") == 0) {
		struct rcpt *r;

		gw->paused = 0;
		gw_log(gw, "Work queue resumed");
		while ((r = TAILQ_FIRST(&dl->workq)) != NULL) {
			TAILQ_REMOVE(&dl->workq, r, link);
			place(dl, r);
			dest_kick(dl, dest_get(dl, r->dest));
		}
	} else if (strcmp(verb, "rollover") == 0) {
		logsub_out_reopen(gw->logs);
	}
}

/*
 * tdc_expire - the.tdc.queue's 120-second limit: copies waiting, ready or
 * in flight past tdc.max_queue_time leave the queue; once it is empty,
 * connections still short of taking work (a stalled greeting, say) close.
 */
static void
tdc_expire(struct delivery *dl, struct dest *d, time_t now)
{
	int life = dl->gw->conf->tdc_max_queue_time;
	struct rcpt_list *lists[2] = { &d->ready, &d->waiting };
	int *counts[2] = { &d->nready, &d->nwaiting };
	struct conn *c;
	struct rcpt *r, *next;

	for (int l = 0; l < 2; l++)
		for (r = TAILQ_FIRST(lists[l]); r; r = next) {
			next = TAILQ_NEXT(r, link);
			if (now - r->msg->received < life)
				continue;
			TAILQ_REMOVE(lists[l], r, link);
			(*counts[l])--;
			tdc_failed(dl, r, 0, "4.4.7", "Message expired", "000",
			    r->last_error ? r->last_error : "expired in the queue");
		}
again:
	TAILQ_FOREACH(c, &d->conns, link) {
		int idle = d->nready + d->nwaiting + d->ninflight == 0 && !c->worked &&
		    c->state != C_QUIT;

		if ((c->m && now - c->m->received >= life) || idle) {
			/* in flight: txn_abort hands the copy to tdc_failed, which expires it */
			conn_close(c, idle ? NULL : "the message expired in the queue");
			goto again;	/* the list changed */
		}
	}
}

void
delivery_tick(struct delivery *dl)
{
	struct gw *gw = dl->gw;
	time_t now = time(NULL);
	struct dest *d;
	char *cause = NULL;

	if (queue_request_take(gw->q, on_request, dl, &cause) < 0) {
		gw_logl(gw, LOGFILE_WARNING, "cannot read shell requests: %s", cause);
		free(cause);
	}
	TAILQ_FOREACH(d, &dl->dests, link) {
		struct rcpt *r, *next;

		if (d->tdc)
			tdc_expire(dl, d, now);
		for (r = TAILQ_FIRST(&d->waiting); r; r = next) {
			next = TAILQ_NEXT(r, link);
			if (r->msg->kind != QUEUE_KIND_JOURNAL &&
			    now - r->msg->received >= gw->conf->max_queue_time) {
				TAILQ_REMOVE(&d->waiting, r, link);
				d->nwaiting--;
				bounce(dl, r, 0, "5.4.7", "Delivery expired (message too old)", "000",
				    r->last_error ? r->last_error : "expired");
			} else if (r->next_try <= now) {
				TAILQ_REMOVE(&d->waiting, r, link);
				d->nwaiting--;
				TAILQ_INSERT_TAIL(&d->ready, r, link);
				d->nready++;
			}
		}
		if (d->nready > 0)
			dest_kick(dl, d);
		publish(dl, d);
	}
}

void
delivery_gauges(const struct delivery *dl, int *conns, int *workq, int *dests)
{
	const struct dest *d;
	const struct rcpt *r;

	*conns = dl->nconns;
	*workq = 0;
	*dests = 0;
	TAILQ_FOREACH(r, &dl->workq, link)
		(*workq)++;
	TAILQ_FOREACH(d, &dl->dests, link)
		(*dests)++;
}

void
delivery_reconfigure(struct delivery *dl)
{
	struct dest *d;

	/* routes or DNS may have changed: resolve afresh */
	TAILQ_FOREACH(d, &dl->dests, link) {
		if (!d->resolving)
			d->cands_expire = 0;
		dest_kick(dl, d);
	}
}

void
delivery_shutdown(struct delivery *dl)
{
	struct dest *d;

	dl->stopping = 1;
	TAILQ_FOREACH(d, &dl->dests, link) {
		struct conn *c, *next;

		for (c = TAILQ_FIRST(&d->conns); c; c = next) {
			next = TAILQ_NEXT(c, link);
			if (c->state == C_IDLE) {
				send_line(c, "QUIT");
				c->state = C_QUIT;
			}
		}
	}
}

void
delivery_free(struct delivery *dl)
{
	struct dest *d;
	struct rcpt *r;

	if (dl == NULL)
		return;
	while ((d = TAILQ_FIRST(&dl->dests)) != NULL) {
		while (!TAILQ_EMPTY(&d->conns)) {
			struct conn *c = TAILQ_FIRST(&d->conns);

			/* in flight at exit: still queued on disk, retried at the next start */
			for (int i = 0; i < c->nrc; i++)
				if (c->rc[i])
					rcpt_free(c->rc[i]);
			c->nrc = 0;
			if (c->m)
				msg_unref(c->m);
			c->m = NULL;
			if (c->idle)
				event_free(c->idle);
			if (c->bev)
				bufferevent_free(c->bev);
			TAILQ_REMOVE(&d->conns, c, link);
			free(c);
		}
		while ((r = TAILQ_FIRST(&d->ready)) != NULL) {
			TAILQ_REMOVE(&d->ready, r, link);
			rcpt_free(r);
		}
		while ((r = TAILQ_FIRST(&d->waiting)) != NULL) {
			TAILQ_REMOVE(&d->waiting, r, link);
			rcpt_free(r);
		}
		TAILQ_REMOVE(&dl->dests, d, link);
		free(d->cands);
		free(d);
	}
	while ((r = TAILQ_FIRST(&dl->workq)) != NULL) {
		TAILQ_REMOVE(&dl->workq, r, link);
		rcpt_free(r);
	}
	free(dl);
}
