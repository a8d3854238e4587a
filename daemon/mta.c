/*
 * mta.c - outbound SMTP connections of the delivery engine (the role of
 * OpenSMTPD's mta_session.c): connect to a destination's next hops in
 * order, greet, STARTTLS as destconfig (or the connector) requires, and
 * take one message at a time — all its ready recipients for that
 * destination — pipelining MAIL, RCPT and DATA when the server offers
 * PIPELINING (RFC 2920); then the next message, or QUIT after a moment
 * of idleness.
 *
 * What each reply means for a recipient is trouble.c's business; when a
 * connection closes or fails, the scheduler is woken (dest_wakeup).
 *
 * DIAGNOSTICS: mail_logs, in the AsyncOS shapes (New SMTP DCID, TLS
 * success, Delivery start, Message done, Response, DCID close; TDC:
 * prefixed for the.tdc.queue).
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

#include "daemon/mta.h"
#include "daemon/qwriter.h"
#include "daemon/suspend.h"
#include "daemon/trouble.h"
#include "net/smtp_parse.h"
#include "util/buf.h"
#include "util/str.h"

#define MTA_MAX_TXN_RCPTS 100	/* recipients in one transaction */
#define MTA_IDLE_SECONDS 2	/* an idle connection waits this long for more work */
#define MTA_TIMEOUT 120		/* seconds for any one reply */


enum cstate {
	C_CONNECTING, C_GREETING, C_EHLO, C_HELO, C_STARTTLS, C_TLS, C_IDLE, C_TXN, C_BODY,
	C_DOT, C_QUIT,
};

enum expect { X_MAIL, X_RCPT, X_DATA };

struct conn {
	struct delivery *dl;
	struct dest *d;
	int gen;			/* d->gen when opened: a later one means re-routed */
	int64_t dcid;
	struct bufferevent *bev;
	enum cstate state;
	int cand;			/* index into d->cands */
	int tls;
	int direct;			/* plain and connected: conn_flush writes itself */
	int worked;			/* reached the point of taking work */
	int skip;			/* replies to ignore (to RSET) */
	int *alive;			/* cleared when the connection is freed */
	int logged_new;			/* "New SMTP DCID" written */
	struct smtp_caps caps;
	char peer[64], local[64];
	int port;
	/* the transaction */
	struct msg *m;
	struct rcpt *rc[MTA_MAX_TXN_RCPTS];
	int nrc, naccepted, nreplies, nsent;
	int next_cmd;			/* next of MAIL, RCPT..., DATA to send */
	int rc_ok[MTA_MAX_TXN_RCPTS];
	enum expect xq[MTA_MAX_TXN_RCPTS + 2];	/* replies awaited, in order */
	int xhead, xtail;
	struct event *idle;		/* idle timer */
	TAILQ_ENTRY(conn) link;
};

static void conn_read(struct bufferevent *bev, void *arg);
static void send_cmds(struct conn *c);
static void on_connected(struct conn *c);
static void txn_step(struct conn *c, int x, const struct smtp_reply *rp, const char *status,
    const char *code, const char *text);
static void conn_event(struct bufferevent *bev, short what, void *arg);
static void conn_next(struct conn *c);
static void conn_close(struct conn *c, const char *why);


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


/* ---------------------------------------------------------- connections */

/*
 * conn_flush - send what was queued. A plain, connected session writes
 * it itself, in one writev and without the bufferevent's write event
 * (two epoll_ctl calls and a loop turn per command group and per body);
 * what the socket does not take at once, and errors, are left to the
 * write event. Over TLS the filter writes.
 */
static void
conn_flush(struct conn *c)
{
	struct evbuffer *out;

	if (!c->direct || c->bev == NULL)
		return;
	out = bufferevent_get_output(c->bev);
	if (bufferevent_get_enabled(c->bev) & EV_WRITE) {
		if (evbuffer_get_length(out) == 0)
			bufferevent_disable(c->bev, EV_WRITE);
		return;
	}
	if (evbuffer_get_length(out) > 0) {
		/* the bufferevent keeps its output's front frozen but for its own writes */
		evbuffer_unfreeze(out, 1);
		evbuffer_write(out, bufferevent_getfd(c->bev));
		evbuffer_freeze(out, 1);
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);
}

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
	conn_flush(c);
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
		trouble_defer(dl, c->rc[i], c->dcid, status, what, code, text);
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
	dest_publish(d);
	if (!dl->stopping)
		dest_wakeup(d);
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
	if (d->tdc && !d->down)
		gw_alert(gw, ALERT_WARNING, "Threat Defense Connector", 0,
		    "The message intake for %s cannot be reached: %s", d->domain, details);
	d->down = 1;
	d->retry_at = time(NULL) + (d->tdc ? gw->conf->tdc_retry_delay : gw->conf->retry_initial);
	d->cands_expire = 0;	/* resolve again next time */
	qwriter_host(gw->qw, d->name, 1, time(NULL), details);
	trouble_defer_ready(dl, d, c->dcid, "4.4.1", "Connection error", "000", details);
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
	c->direct = 0;
	c->bev = bufferevent_socket_new(gw->base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_set_timeouts(c->bev, &(struct timeval){ MTA_TIMEOUT, 0 },
	    &(struct timeval){ MTA_TIMEOUT, 0 });
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&cd->addr, (int)len) < 0)
		conn_failed(c, strerror(errno));
	else
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

void
mta_open(struct delivery *dl, struct dest *d)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->dl = dl;
	c->d = d;
	c->gen = d->gen;
	c->dcid = gw_id(dl->gw, GW_DCID);
	TAILQ_INSERT_TAIL(&d->conns, c, link);
	d->nconns++;
	dl->nconns++;
	dest_publish(d);
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
	char rids[1024];

	/* re-routed since this connection opened: its next hop may be wrong now */
	if (r == NULL || c->dl->stopping || c->gen != d->gen ||
	    suspend_delivery_held(gw, d->name))	/* suspenddel: no next message */
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
			trouble_defer(c->dl, r, c->dcid, "4.3.0", "Local error", "000", "queue read error");
			return start_txn(c);
		}
		msg_set_body(m, body_new(data, len));
	}
	c->m = m;
	m->refs++;
	c->nrc = 0;
	c->worked = 1;
	/* the message's recipients stand together at the head of the queue */
	while ((r = TAILQ_FIRST(&d->ready)) != NULL && r->msg == m && c->nrc < MTA_MAX_TXN_RCPTS) {
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
	conn_flush(c);
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
	conn_flush(c);
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
				/* the time of the last success, in seconds: once a second will do */
				if (c->d->tdc) {
					str_fmt(t, sizeof(t), "%lld", (long long)now);
					qwriter_state(gw->qw, "tdc.last_success", t);
				}
			}

			if (c->d->tdc) {
				gw_log(gw, "TDC: MID %lld successfully delivered for scanning with "
					   "Cisco Secure Email Threat Defense",
				    (long long)c->m->mid);
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
				trouble_delivered(dl, r);
			} else if (rp->code >= 500) {
				trouble_bounce(dl, r, c->dcid, status, "Message rejected", code, text);
			} else {
				trouble_defer(dl, r, c->dcid, status, "Message deferred", code, text);
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
					trouble_bounce(dl, c->rc[i], c->dcid, status, "Sender rejected", code,
					    text);
				else
					trouble_defer(dl, c->rc[i], c->dcid, status, "Sender deferred", code,
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
				trouble_bounce(dl, r, c->dcid, status, "Recipient rejected", code, text);
			else
				trouble_defer(dl, r, c->dcid, status, "Recipient deferred", code, text);
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
				trouble_bounce(dl, c->rc[i], c->dcid, status, "Data rejected", code, text);
			else
				trouble_defer(dl, c->rc[i], c->dcid, status, "Data deferred", code, text);
		}
		c->nrc = 0;
		c->d->nbusy--;
		msg_unref(c->m);
		c->m = NULL;
		c->state = C_IDLE;
		if (rp->code == 354) {
			/* the server wants data we will not send: end it cleanly */
			evbuffer_add(bufferevent_get_output(c->bev), ".\r\n", 3);
			conn_flush(c);
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
	if (c->dl->stopping || c->gen != c->d->gen) {
		send_line(c, "QUIT");
		c->state = C_QUIT;
		return;
	}
	struct timeval tv = { MTA_IDLE_SECONDS, 0 };

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
	/* from now on the filter writes, through the socket's write event */
	c->direct = 0;
	bufferevent_enable(c->bev, EV_WRITE);
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
		trouble_defer_ready(c->dl, c->d, c->dcid, "4.7.4", "TLS required", "000",
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
			trouble_defer_ready(c->dl, c->d, c->dcid, "4.4.0", "Greeting refused", code, text);
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
			trouble_defer_ready(c->dl, c->d, c->dcid, "4.4.0", "HELO refused", code, text);
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
				trouble_defer_ready(c->dl, c->d, c->dcid, "4.7.4", "TLS required", code, text);
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
		if (c->state == C_CONNECTING && !c->tls) {
			/* connected: replies to come are read, commands written by conn_flush */
			bufferevent_disable(c->bev, EV_WRITE);
			c->direct = 1;
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
		trouble_defer_ready(dl, d, c->dcid, "4.7.5", "TLS negotiation failed", "000", msg);
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


/* ---------------------------------------------------------- for the scheduler */

void
mta_offer(struct dest *d)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&d->conns); c && d->nready > 0; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->state == C_IDLE && c->worked && c->gen == d->gen) {
			if (c->idle)
				evtimer_del(c->idle);
			conn_next(c);
		}
	}
}

void
mta_expire(struct dest *d, time_t now, int life)
{
	struct conn *c;

again:
	TAILQ_FOREACH(c, &d->conns, link) {
		int idle = d->nready + d->nwaiting + d->ninflight == 0 && !c->worked &&
		    c->state != C_QUIT;
		int old = 0;

		for (int i = 0; c->m && i < c->nrc && !old; i++)
			old = c->rc[i] && dest_age(c->rc[i], now) >= life;
		if (old || idle) {
			/* in flight: the abort hands the copy to trouble.c, which expires it */
			conn_close(c, idle ? NULL : "the message expired in the queue");
			goto again;	/* the list changed */
		}
	}
}

void
mta_quit_idle(struct dest *d)
{
	struct conn *c;

	TAILQ_FOREACH(c, &d->conns, link)
		if (c->state == C_IDLE) {
			send_line(c, "QUIT");
			c->state = C_QUIT;
		}
}

void
mta_inflight(struct dest *d, void (*fn)(struct rcpt *r, void *arg), void *arg)
{
	struct conn *c;

	TAILQ_FOREACH(c, &d->conns, link)
		for (int i = 0; i < c->nrc; i++)
			if (c->rc[i])
				fn(c->rc[i], arg);
}

void
mta_free_all(struct dest *d)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&d->conns)) != NULL) {
		/* in flight at exit: still queued on disk, retried at the next start */
		for (int i = 0; i < c->nrc; i++)
			if (c->rc[i])
				rcpt_free(c->rc[i]);
		c->nrc = 0;
		if (c->m)
			msg_unref(c->m);
		if (c->idle)
			event_free(c->idle);
		if (c->bev)
			bufferevent_free(c->bev);
		TAILQ_REMOVE(&d->conns, c, link);
		d->nconns--;
		d->dl->nconns--;
		free(c);
	}
}
