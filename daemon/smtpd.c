/*
 * smtpd.c - SMTP listeners and inbound sessions (RFC 5321, 3207, 1870,
 * 6152, 2920, 2034).
 *
 * Each listener is an evconnlistener; each session a bufferevent with an
 * explicit state. Input is processed command by command, so pipelined
 * commands (RFC 2920) are answered in order; while a message is being
 * made durable the session stops processing input (it waits in the
 * buffer, at most SMTPD_INPUT_MAX) and resumes once the writer thread
 * has committed it — the 250 after the final dot is sent only then.
 * Replies to one batch of input leave together, written directly on
 * plain connections (flush_out). DATA is scanned in place, in the
 * chunks it arrived in, not line by line (data_scan).
 *
 * Limits keep a session in sync and bounded: command lines over
 * SMTPD_LINE_MAX are answered 500 and skipped to the next line end;
 * DATA lines may be long but the message is bounded by the listener's
 * max_size (the rest is read and thrown away, then 552); twenty errors
 * end the session (Postfix hard_error_limit); idle time is bounded.
 * Unread input is bounded by the read watermark (SMTPD_INPUT_MAX) and
 * unread replies by SMTPD_OUTPUT_MAX: a client that pipelines commands
 * without reading the replies is no longer read from until it has read
 * them (Postfix and OpenSMTPD stop reading while output is blocked).
 * Without that, one connection sending 3 M "EHLO x" took mxgated from
 * 30 MB to 307 MB (issue 9). A pause is flow control at first: the
 * kernel's socket buffers grow and take more while the client is not
 * reading yet, so a client that pipelines a large batch and reads late
 * is paused and resumed many times within a second. A pause during
 * which no reply leaves for SMTPD_STALL seconds is the client not
 * reading: that counts as one error and is logged. A paused session
 * still ends at the idle timeout (the write timeout then).
 *
 * Recipients over the listener's max_rcpts get 452 4.5.3 and are not
 * errors: the client is expected to send them in another transaction
 * (RFC 5321 4.5.3.1.8); counting them dropped the session with 421 and
 * lost the accepted recipients too (issue 9). Only an overshoot past
 * SMTPD_RCPT_OVERSHOOT counts, as with Postfix's
 * smtpd_recipient_overshoot_limit. "RCPT TO:<postmaster>" without a
 * domain (RFC 5321 4.5.1) is accepted whatever the listener's domains
 * and becomes postmaster@ the appliance's host name (sethostname), as
 * Postfix appends its $myorigin ($myhostname by default), when the
 * operator routed that host (smtproutes: the name or a ".parent" entry).
 * Without such a route it is refused as any domainless address: the
 * default route or DNS could bring it back to this gateway and turn it
 * into a bounce to a forged sender.
 *
 * DATA is ended only by <CRLF>.<CRLF>: a "." line with a bare LF on
 * either side is content, so a message cannot be smuggled past a
 * downstream server that reads line ends differently.
 *
 * With Sender Domain Reputation on, a public listener looks the client
 * up before greeting it, as AsyncOS does ("New SMTP ICID ... reverse dns
 * host NAME verified yes"): its PTR name, then that name's addresses,
 * which must include the client's (forward-confirmed reverse DNS; an
 * unconfirmed name is the client's own claim and goes no further than
 * the log line). Only a verified name is an SDR input. The wait is
 * bounded by dnsconfig's timeout; meanwhile the session reads nothing
 * (early input waits in the kernel) and has no events armed. A lookup
 * cannot be cancelled (net/dns.h), so it holds a small struct rdns_ask
 * that the session detaches from when it stops waiting (timeout, close,
 * shutdown); the answer then only frees it. Connections over max_conns
 * are refused without a lookup, so lookups in flight are bounded by the
 * listeners' connection limits. With SDR off no DNS is asked at all.
 *
 * A suspended listener (suspendlistener, daemon/suspend.c) still accepts
 * connections, answers each new one 421 4.3.2 and closes it, with no
 * lookup; sessions open before the suspension finish as usual.
 *
 * DIAGNOSTICS: everything goes to mail_logs; peer text is escaped and cut.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "daemon/gw.h"
#include "daemon/pipeline.h"
#include "daemon/smtpd.h"
#include "daemon/suspend.h"
#include "mail/route.h"
#include "net/dns.h"
#include "net/smtp_parse.h"
#include "util/buf.h"
#include "util/str.h"

#define SMTPD_LINE_MAX 2048		/* command line, lenient (RFC: 512) */
#define SMTPD_DATA_VECS 16		/* input chunks scanned per pass in DATA */
#define SMTPD_INPUT_MAX (256 * 1024)	/* unread input held while a message commits */
#define SMTPD_OUTPUT_MAX (64 * 1024)	/* unread replies before input stops being read */
#define SMTPD_STALL 2			/* seconds a pause may last with no reply leaving */
#define SMTPD_RCPT_OVERSHOOT 1000	/* 452s past max_rcpts before they count as errors */
#define SMTPD_ERROR_LIMIT 20		/* errors before the session is dropped */
#define SMTPD_TIMEOUT 300		/* seconds of silence allowed (RFC 5321 4.5.3.2.7) */
#define SMTPD_CLOSE_POLLS 250		/* 20 ms checks for the last reply to leave (5 s) */

enum sstate {
	SS_HELO = 0,	/* greeting sent; HELO/EHLO needed */
	SS_READY,	/* no transaction */
	SS_MAIL,	/* MAIL accepted */
	SS_RCPT,	/* at least one recipient */
	SS_DATA,	/* reading the message */
	SS_COMMIT,	/* waiting for the message to be durable */
	SS_CLOSE,	/* closing once output drains */
};

/*
 * Where DATA scanning stands, between two pieces of input: a line's
 * first byte, a stuffed dot just removed at its start (perhaps the end
 * marker), a CR that may end the line, or the middle of a line.
 */
enum dstate {
	DS_BOL = 0,	/* at the start of a line */
	DS_DOT,		/* "." at the start of a line (removed) */
	DS_DOT_CR,	/* ".\r" at the start of a line: the end if LF follows */
	DS_CR,		/* a CR inside a line, held back: it ends the line if LF follows */
	DS_TEXT,	/* inside a line */
};

struct slistener {
	struct smtpd *sd;
	struct listener_conf conf;	/* as configured */
	struct evconnlistener *evl;	/* NULL once closed */
	int nconns;			/* sessions open */
	int refs;			/* sessions + the table */
	TAILQ_ENTRY(slistener) link;
};
TAILQ_HEAD(slistener_list, slistener);

struct srcpt {
	char *addr;
	char *domain;
};

struct session;

/* a reverse DNS lookup in flight: outlives its session if need be */
struct rdns_ask {
	struct session *s;		/* the session waiting, NULL once it stopped waiting */
	int tempfail;			/* a lookup failed for now: the answer is not cached */
};

/*
 * Reverse DNS answers of recent clients, so that a sender opening a
 * connection per message is looked up once, not every time: a small
 * direct-mapped table (a slot per hash of the address), each answer kept
 * for sdr.cache_ttl seconds at most an hour; a temporary failure (a
 * server refusing, SERVFAIL) for 10 seconds. A lookup that timed out is
 * not kept, and a commit empties the table.
 */
#define RDNS_CACHE 1024
#define RDNS_CACHE_MAX_TTL 3600
#define RDNS_CACHE_FAIL_TTL 10	/* a failing server is not asked again for every connection */
struct rdns_cached {
	char ip[64];			/* "" when empty */
	char name[256];
	int verified;
	time_t expires;
};

struct session {
	struct smtpd *sd;
	struct slistener *l;
	struct bufferevent *bev;
	enum sstate state;
	int64_t icid;
	char ip[64];			/* client address */
	struct sockaddr_storage peer;	/* the same, for comparisons */
	char local_ip[64];		/* our address */
	int over_limit;			/* accepted past the listener's max_conns */
	int suspended;			/* the listener is suspended: 421 at once */
	struct rdns_ask *rdns_ask;	/* reverse DNS lookup waited for, NULL if none */
	struct event *rdns_timer;	/* ends the wait at the DNS timeout */
	char rdns[256];			/* the client's PTR name (a host name), "" if none */
	int rdns_verified;		/* rdns resolves back to the client's address */
	char helo[256];			/* escaped HELO/EHLO argument */
	int esmtp, tls, skipping, errors;
	int gone;			/* the peer left while we were committing */
	struct event *closer;		/* SS_CLOSE: waits for the output to drain */
	int close_polls;		/* close_check runs so far */
	int prev_cr;			/* DATA: the previous line ended with CRLF */
	enum dstate dstate;		/* DATA: where scanning stands */
	int hold;			/* replies wait for flush_out (inside process) */
	int blocked;			/* replies unread: input paused until they leave */
	struct event *stall;		/* blocked: checks that the replies still leave */
	size_t stall_left;		/* replies not yet sent at the last check */
	/* transaction */
	int64_t mid;
	char sender[SMTP_PATH_MAX + 1];
	int nrcpts;
	int overshoot;			/* RCPTs refused for max_rcpts so far */
	struct srcpt *rcpts;
	struct buf data;		/* message received so far */
	int too_big;
	TAILQ_ENTRY(session) link;
};
TAILQ_HEAD(session_list, session);

struct smtpd {
	struct gw *gw;
	struct slistener_list listeners;
	struct session_list sessions;
	int nsessions, committing, shutting_down;
	struct rdns_cached *rcache;	/* RDNS_CACHE slots, allocated on first use */
};

static const struct timeval stall_tv = { SMTPD_STALL, 0 };

static void session_read(struct bufferevent *bev, void *arg);
static void session_write(struct bufferevent *bev, void *arg);
static void session_event(struct bufferevent *bev, short what, void *arg);
static void process(struct session *s);
static void rdns_detach(struct session *s);

/* ---------------------------------------------------------- helpers */

/*
 * flush_out - send the replies gathered so far. A plain session writes
 * them itself, with one writev and no write event: through the
 * bufferevent every reply cost two epoll_ctl calls (write event on, then
 * off) and a loop turn, a quarter of the daemon's system calls (issue 8,
 * speed). What the socket does not take at once, and an error, are left
 * to the bufferevent's write event; over TLS the filter always writes.
 */
static void
flush_out(struct session *s)
{
	struct evbuffer *out;

	if (s->tls || s->gone || s->bev == NULL)
		return;
	out = bufferevent_get_output(s->bev);
	if (bufferevent_get_enabled(s->bev) & EV_WRITE) {
		if (evbuffer_get_length(out) == 0)
			bufferevent_disable(s->bev, EV_WRITE);	/* drained: plain writes again */
		return;
	}
	if (evbuffer_get_length(out) > 0) {
		/* the bufferevent keeps its output's front frozen but for its own writes */
		evbuffer_unfreeze(out, 1);
		evbuffer_write(out, bufferevent_getfd(s->bev));
		evbuffer_freeze(out, 1);
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(s->bev, EV_WRITE);
}

/* reply_v - queue one reply line; sent at once unless inside process() */
static void
reply_v(struct session *s, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
reply_v(struct session *s, const char *fmt, va_list ap)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);

	evbuffer_add_vprintf(out, fmt, ap);
	evbuffer_add(out, "\r\n", 2);
	if (s->hold == 0)
		flush_out(s);
}

/* reply - send one reply line; 4xx and 5xx count as errors */
static void
reply(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reply(struct session *s, const char *fmt, ...)
{
	va_list ap;

	if (fmt[0] == '4' || fmt[0] == '5')
		s->errors++;
	va_start(ap, fmt);
	reply_v(s, fmt, ap);
	va_end(ap);
}

/* reply_nocount - a 4xx that is no fault of the client's: not an error */
static void
reply_nocount(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reply_nocount(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_v(s, fmt, ap);
	va_end(ap);
}

/* safe - escape peer text for a log line */
static const char *
safe(const char *t, char *buf, size_t size)
{
	return gw_safe(t, buf, size);
}

/* txn_reset - forget the transaction (logs an abort when one had started) */
static void
txn_reset(struct session *s, const char *why)
{
	if (s->mid && why)
		gw_log(s->sd->gw, "Message aborted MID %lld %s", (long long)s->mid, why);
	for (int i = 0; i < s->nrcpts; i++) {
		free(s->rcpts[i].addr);
		free(s->rcpts[i].domain);
	}
	free(s->rcpts);
	s->rcpts = NULL;
	s->nrcpts = 0;
	s->overshoot = 0;
	s->mid = 0;
	s->sender[0] = '\0';
	buf_free(&s->data);
	s->too_big = 0;
	if (s->state >= SS_MAIL && s->state <= SS_DATA)
		s->state = SS_READY;
}

/* session_free - close and release a session */
static void
session_free(struct session *s)
{
	struct smtpd *sd = s->sd;

	rdns_detach(s);
	txn_reset(s, s->state == SS_DATA ? "Receiving aborted by connection close" :
					   "Receiving aborted by connection close");
	gw_log(sd->gw, "ICID %lld close", (long long)s->icid);
	if (s->closer)
		event_free(s->closer);
	if (s->stall)
		event_free(s->stall);
	if (s->bev)
		bufferevent_free(s->bev);
	TAILQ_REMOVE(&sd->sessions, s, link);
	sd->nsessions--;
	s->l->nconns--;
	if (--s->l->refs == 0)
		free(s->l);
	free(s);
}

/* unsent - replies not yet given to the kernel, the TLS layer's included */
static size_t
unsent(struct session *s)
{
	struct bufferevent *u = bufferevent_get_underlying(s->bev);

	return evbuffer_get_length(bufferevent_get_output(s->bev)) +
	    (u ? evbuffer_get_length(bufferevent_get_output(u)) : 0);
}

/* flushed - nothing left to send, in the TLS layer's buffer either */
static int
flushed(struct session *s)
{
	return unsent(s) == 0;
}

/* close_check - free a closing session once its last reply is out (5 s at most) */
static void
close_check(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct timeval tv = { 0, 20000 };

	(void)fd;
	(void)what;
	if (flushed(s) || ++s->close_polls > SMTPD_CLOSE_POLLS) {
		session_free(s);
		return;
	}
	evtimer_add(s->closer, &tv);
}

/*
 * close_after_output - send what is queued, then close. Never frees the
 * session here: callers (process() among them) go on using it, and a
 * TLS filter's write callback can run inside reply() itself; the free
 * happens on a timer of its own once the output, TLS layer included, has
 * gone (freeing the filter earlier would drop the 221 it had encrypted).
 */
static void
close_after_output(struct session *s)
{
	struct timeval now = { 0, 0 };

	if (s->state == SS_CLOSE)
		return;
	s->state = SS_CLOSE;
	bufferevent_disable(s->bev, EV_READ);
	s->closer = evtimer_new(s->sd->gw->base, close_check, s);
	evtimer_add(s->closer, &now);
}

/* ---------------------------------------------------------- acceptance */

/* session_gone - has the client left while its message waits? (pipeline_in.gone) */
static int
session_gone(void *arg)
{
	return ((struct session *)arg)->gone;
}

/* committed - the pipeline's reply once the message is durable (or not) */
static void
committed(void *arg, const char *text)
{
	struct session *s = arg;
	struct smtpd *sd = s->sd;
	struct gw *gw = sd->gw;

	sd->committing--;
	if (text[0] == '2' && s->gone)
		gw_log(gw, "MID %lld accepted, but the client left before the reply",
		    (long long)s->mid);
	reply(s, "%s", text);
	s->mid = 0;		/* accepted or refused by the pipeline: nothing to abort */
	txn_reset(s, NULL);
	s->state = SS_READY;
	if (s->gone) {
		session_free(s);
		return;
	}
	if (sd->shutting_down) {
		reply(s, "421 4.3.2 %s Service shutting down", gw->conf->hostname);
		close_after_output(s);
		return;
	}
	process(s);	/* pipelined input that arrived meanwhile */
}

/* finish_data - the final dot: the message goes through the pipeline */
static void
finish_data(struct session *s)
{
	struct gw *gw = s->sd->gw;
	struct pipeline_rcpt *rc;
	struct pipeline_in in;
	char refusal[256];

	if (s->too_big) {
		gw_log(gw, "MID %lld ICID %lld message size exceeds the listener limit of %lld bytes",
		    (long long)s->mid, (long long)s->icid, (long long)s->l->conf.max_size);
		reply(s, "552 5.3.4 Message size exceeds fixed maximum message size");
		txn_reset(s, "Receiving aborted: message too big");
		return;
	}
	rc = xcalloc((size_t)s->nrcpts, sizeof(*rc));
	for (int i = 0; i < s->nrcpts; i++)
		rc[i] = (struct pipeline_rcpt){ s->rcpts[i].addr, s->rcpts[i].domain };
	in = (struct pipeline_in){ .icid = s->icid, .mid = s->mid, .listener = &s->l->conf,
		.client_ip = s->ip, .rdns = s->rdns_verified ? s->rdns : NULL,
		.helo = s->helo, .tls = s->tls, .sender = s->sender,
		.rcpts = rc, .nrcpts = s->nrcpts, .data = s->data.data, .len = s->data.len,
		.gone = session_gone };
	s->data = (struct buf){ 0 };	/* taken by the pipeline */
	buf_init(&s->data, 0);
	if (pipeline_run(gw, &in, committed, s, refusal, sizeof(refusal)) < 0) {
		free(rc);
		reply(s, "%s", refusal);
		txn_reset(s, "Receiving aborted by the pipeline");
		return;
	}
	free(rc);
	s->state = SS_COMMIT;
	s->sd->committing++;
	/*
	 * Reading goes on (input waits in the buffer, bounded by the read
	 * watermark): switching it off and on again cost two epoll_ctl calls
	 * per message, and a client that leaves is noticed at once.
	 */
}

/* ---------------------------------------------------------- commands */

/* want_tls - does this listener offer STARTTLS now? */
static int
offer_tls(const struct session *s)
{
	return !s->tls && s->l->conf.tls != LISTENER_TLS_NO && s->sd->gw->server_ctx != NULL;
}

static void
do_helo(struct session *s, const struct smtp_cmd *cmd, int esmtp)
{
	const struct conf *c = s->sd->gw->conf;
	char arg[256];

	str_copy(arg, cmd->arg, sizeof(arg));
	str_trim(arg);
	if (arg[0] == '\0') {
		reply(s, "501 5.5.4 Syntax: %s hostname", esmtp ? "EHLO" : "HELO");
		return;
	}
	txn_reset(s, "Receiving aborted by HELO");
	safe(arg, s->helo, sizeof(s->helo));
	s->esmtp = esmtp;
	s->state = SS_READY;
	if (!esmtp) {
		reply(s, "250 %s", c->hostname);
		return;
	}
	reply(s, "250-%s", c->hostname);
	reply(s, "250-PIPELINING");
	reply(s, "250-SIZE %lld", s->l->conf.max_size);
	reply(s, "250-8BITMIME");
	if (offer_tls(s))
		reply(s, "250-STARTTLS");
	reply(s, "250 ENHANCEDSTATUSCODES");
}

static void
do_mail(struct session *s, const struct smtp_cmd *cmd)
{
	struct gw *gw = s->sd->gw;
	struct smtp_path path;
	struct smtp_params params;
	const char *err = NULL;
	char t[400];

	if (s->state == SS_HELO) {
		reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->state != SS_READY) {
		reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (s->l->conf.tls == LISTENER_TLS_REQUIRED && !s->tls) {
		reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	if (smtp_parse_mail(cmd->arg, &path, &params, &err) < 0) {
		reply(s, "%s", err);
		return;
	}
	if (params.have_size && s->l->conf.max_size > 0 &&
	    params.size > (unsigned long long)s->l->conf.max_size) {
		reply(s, "552 5.3.4 Message size exceeds fixed maximum message size");
		return;
	}
	s->mid = gw_id(gw, GW_MID);
	str_copy(s->sender, path.null_path ? "" : path.addr, sizeof(s->sender));
	buf_init(&s->data, 0);
	gw_log(gw, "Start MID %lld ICID %lld", (long long)s->mid, (long long)s->icid);
	gw_log(gw, "MID %lld ICID %lld From: <%s>", (long long)s->mid, (long long)s->icid,
	    safe(s->sender, t, sizeof(t)));
	s->state = SS_MAIL;
	reply(s, "250 2.1.0 Sender ok");
}

/*
 * postmaster_routed - the appliance's host name into domain, if an
 * operator routed mail for it (its own smtproutes entry or a ".parent"
 * one; the default route ALL does not count). Without such a route,
 * "<postmaster>" would go to DNS for a name that may be this very
 * gateway, and come back as a bounce to a sender anyone can forge.
 */
static int
postmaster_routed(struct gw *gw, char *domain, size_t size)
{
	int i;

	str_copy(domain, gw->conf->hostname, size);
	str_lower(domain);
	i = route_match(domain, (const char *const *)gw->conf->route_keys, gw->conf->nroutes);
	if (i < 0 || strcmp(gw->conf->route_keys[i], ROUTE_DEFAULT) == 0) {
		domain[0] = '\0';
		return 0;
	}
	return 1;
}

static void
do_rcpt(struct session *s, const struct smtp_cmd *cmd)
{
	struct gw *gw = s->sd->gw;
	struct smtp_path path;
	struct smtp_params params;
	const char *err = NULL, *addr;
	char t[400], pm[sizeof("postmaster@") + SMTP_DOMAIN_MAX];

	if (s->state != SS_MAIL && s->state != SS_RCPT) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (smtp_parse_rcpt(cmd->arg, &path, &params, &err) < 0) {
		reply(s, "%s", err);
		return;
	}
	addr = path.addr;
	if (s->nrcpts >= s->l->conf.max_rcpts) {
		/*
		 * RFC 5321 4.5.3.1.8: the client sends the rest in another
		 * transaction. Not an error, or a client with max_rcpts + 20
		 * recipients loses the accepted ones to 421 (issue 9); an
		 * overshoot past SMTPD_RCPT_OVERSHOOT is (Postfix
		 * smtpd_recipient_overshoot_limit).
		 */
		if (s->overshoot++ < SMTPD_RCPT_OVERSHOOT)
			reply_nocount(s, "452 4.5.3 Error: too many recipients");
		else
			reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (path.domain[0] == '\0' && strcasecmp(path.local, "postmaster") == 0 &&
	    postmaster_routed(gw, path.domain, sizeof(path.domain))) {
		/* "<postmaster>" (RFC 5321 4.5.1): this host's postmaster, whatever the RAT */
		(void)str_fmt(pm, sizeof(pm), "postmaster@%s", path.domain);	/* fits */
		addr = pm;
	} else if (s->l->conf.type == LISTENER_PUBLIC &&
	    !listener_accepts_domain(&s->l->conf, path.domain)) {
		gw_log(gw, "MID %lld ICID %lld To: <%s> Rejected by RAT", (long long)s->mid,
		    (long long)s->icid, safe(path.addr, t, sizeof(t)));
		reply(s, "550 5.7.1 <%s>: Relaying denied", safe(path.addr, t, sizeof(t)));
		return;
	}
	s->rcpts = xrealloc(s->rcpts, sizeof(*s->rcpts) * (size_t)(s->nrcpts + 1));
	s->rcpts[s->nrcpts].addr = str_dup(addr);
	s->rcpts[s->nrcpts].domain = str_dup(path.domain);
	gw_log(gw, "MID %lld ICID %lld RID %d To: <%s>", (long long)s->mid, (long long)s->icid,
	    s->nrcpts, safe(addr, t, sizeof(t)));
	s->nrcpts++;
	s->state = SS_RCPT;
	reply(s, "250 2.1.5 Recipient ok");
}

static void
do_data(struct session *s, const struct smtp_cmd *cmd)
{
	if (s->state == SS_MAIL) {
		reply(s, "554 5.5.1 Error: no valid recipients");
		return;
	}
	if (s->state != SS_RCPT) {
		reply(s, "503 5.5.1 Error: need RCPT command");
		return;
	}
	if (cmd->arg[0] != '\0') {
		reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	s->state = SS_DATA;
	s->prev_cr = 1;
	s->dstate = DS_BOL;
	buf_reset(&s->data);
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* start_tls - wrap the connection after "220 Ready to start TLS" */
static void
do_starttls(struct session *s, const struct smtp_cmd *cmd)
{
	struct gw *gw = s->sd->gw;
	struct bufferevent *tb;
	SSL *ssl;

	if (cmd->arg[0] != '\0') {
		reply(s, "501 5.5.4 Syntax: STARTTLS");
		return;
	}
	if (s->tls) {
		reply(s, "503 5.5.1 Error: TLS already active");
		return;
	}
	if (!offer_tls(s)) {
		reply(s, "502 5.5.1 Error: command not implemented");
		return;
	}
	if (s->state > SS_READY) {
		reply(s, "503 5.5.1 Error: STARTTLS inside a transaction");
		return;
	}
	reply(s, "220 2.0.0 Ready to start TLS");
	/* the 220 leaves in plain text; from now on the filter writes */
	flush_out(s);
	bufferevent_enable(s->bev, EV_WRITE);
	/* plaintext pipelined after STARTTLS must not be trusted (CVE-2011-0411) */
	evbuffer_drain(bufferevent_get_input(s->bev),
	    evbuffer_get_length(bufferevent_get_input(s->bev)));
	ssl = SSL_new(gw->server_ctx);
	tb = ssl ? bufferevent_openssl_filter_new(gw->base, s->bev, ssl,
		       BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (tb == NULL) {
		if (ssl)
			SSL_free(ssl);
		gw_logl(gw, LOGFILE_WARNING, "ICID %lld TLS failed: cannot set up TLS",
		    (long long)s->icid);
		close_after_output(s);
		return;
	}
	bufferevent_setwatermark(tb, EV_READ, 0, SMTPD_INPUT_MAX);
	/* the TLS layer stops taking replies while the socket's own buffer is this full */
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, SMTPD_OUTPUT_MAX);
	s->bev = tb;
	s->tls = 1;
	s->state = SS_HELO;	/* RFC 3207 4.2: forget everything, expect EHLO */
	s->esmtp = 0;
	bufferevent_setcb(tb, session_read, session_write, session_event, s);
	bufferevent_set_timeouts(tb, &(struct timeval){ SMTPD_TIMEOUT, 0 },
	    &(struct timeval){ SMTPD_TIMEOUT, 0 });
	bufferevent_enable(tb, EV_READ | EV_WRITE);
}

/* command - one command line */
static void
command(struct session *s, const char *line, size_t len)
{
	const struct conf *c = s->sd->gw->conf;
	struct smtp_cmd cmd;

	if (smtp_parse_command(line, len, &cmd) < 0 || cmd.verb == SMTP_V_UNKNOWN) {
		if (gw_log_wants(s->sd->gw, LOGFILE_DEBUG))
			gw_logl(s->sd->gw, LOGFILE_DEBUG, "ICID %lld SMTP command not recognized",
			    (long long)s->icid);
		reply(s, "500 5.5.2 Error: command not recognized");
		return;
	}
	/* the verb alone: arguments (AUTH data above all) never reach a log */
	if (gw_log_wants(s->sd->gw, LOGFILE_DEBUG))
		gw_logl(s->sd->gw, LOGFILE_DEBUG, "ICID %lld SMTP command %s", (long long)s->icid,
		    smtp_parse_verb_name(cmd.verb));
	switch (cmd.verb) {
	case SMTP_V_HELO:
		do_helo(s, &cmd, 0);
		break;
	case SMTP_V_EHLO:
		do_helo(s, &cmd, 1);
		break;
	case SMTP_V_MAIL:
		do_mail(s, &cmd);
		break;
	case SMTP_V_RCPT:
		do_rcpt(s, &cmd);
		break;
	case SMTP_V_DATA:
		do_data(s, &cmd);
		break;
	case SMTP_V_RSET:
		txn_reset(s, "Receiving aborted by RSET");
		reply(s, "250 2.0.0 Ok");
		break;
	case SMTP_V_NOOP:
		reply(s, "250 2.0.0 Ok");
		break;
	case SMTP_V_QUIT:
		reply(s, "221 2.0.0 %s closing connection", c->hostname);
		close_after_output(s);
		break;
	case SMTP_V_VRFY:
		reply(s, "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery");
		break;
	case SMTP_V_EXPN:
		reply(s, "502 5.5.1 Error: EXPN not available");
		break;
	case SMTP_V_HELP:
		reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY STARTTLS");
		break;
	case SMTP_V_STARTTLS:
		do_starttls(s, &cmd);
		break;
	case SMTP_V_AUTH:
		reply(s, "503 5.5.1 Error: authentication not enabled");
		break;
	case SMTP_V_BDAT:
		reply(s, "502 5.5.1 Error: BDAT not supported");
		break;
	default:
		reply(s, "500 5.5.2 Error: command not recognized");
		break;
	}
}

/* data_add - message bytes, unless the message is already too big */
static void
data_add(struct session *s, const char *p, size_t n)
{
	size_t max = (size_t)s->l->conf.max_size;

	if (s->too_big || n == 0)
		return;
	if (max > 0 && s->data.len + n > max) {
		s->too_big = 1;
		buf_free(&s->data);
		return;
	}
	buf_add(&s->data, p, n);
}

/*
 * data_scan - take DATA input from p to e, line ends normalised to CRLF
 * and stuffed dots removed (RFC 5321 4.5.2); the scan state carries over
 * from one piece to the next, so a line may be split anywhere. Runs of
 * ordinary lines are copied in one piece. Returns the bytes used: up to
 * e, or through the end marker (s->dstate is then DS_BOL and *end set).
 */
static size_t
data_scan(struct session *s, const char *p, const char *e, int *end)
{
	const char *start = p, *run = p;	/* run: input not yet copied, up to p */

#define RUN_FLUSH() (data_add(s, run, (size_t)(p - run)))
	while (p < e) {
		switch (s->dstate) {
		case DS_BOL:
			if (*p == '.') {
				RUN_FLUSH();
				s->dstate = DS_DOT;
				run = ++p;	/* the dot is dropped */
				continue;
			}
			s->dstate = DS_TEXT;
			continue;
		case DS_DOT:
			if (*p == '\r') {
				s->dstate = DS_DOT_CR;
				run = ++p;	/* held back: maybe the end marker */
				continue;
			}
			s->dstate = DS_TEXT;
			continue;
		case DS_DOT_CR:
			if (*p == '\n' && s->prev_cr) {
				*end = 1;	/* <CRLF>.<CRLF> */
				s->dstate = DS_BOL;
				return (size_t)(p + 1 - start);
			}
			if (*p == '\n') {
				data_add(s, "\r\n", 2);	/* a "." line, not the end: "" */
				s->prev_cr = 1;
				s->dstate = DS_BOL;
				run = ++p;
				continue;
			}
			data_add(s, "\r", 1);	/* the held CR is content */
			s->dstate = DS_TEXT;
			continue;
		case DS_CR:
			if (*p == '\n') {
				data_add(s, "\r\n", 2);
				s->prev_cr = 1;
				s->dstate = DS_BOL;
				run = ++p;
				continue;
			}
			data_add(s, "\r", 1);
			s->dstate = DS_TEXT;
			continue;
		case DS_TEXT: {
			const char *nl = memchr(p, '\n', (size_t)(e - p));

			if (nl == NULL) {
				p = e;
				if (p[-1] == '\r') {
					p--;	/* hold the CR back: the next piece may start with LF */
					RUN_FLUSH();
					s->dstate = DS_CR;
					run = ++p;
				}
				continue;
			}
			p = nl + 1;
			s->dstate = DS_BOL;
			if (nl > run && nl[-1] == '\r') {
				s->prev_cr = 1;	/* CRLF: stays in the run */
				continue;
			}
			/* a bare LF ends the line too, written as CRLF */
			data_add(s, run, (size_t)(nl - run));
			data_add(s, "\r\n", 2);
			s->prev_cr = 0;
			run = p;
			continue;
		}
		}
	}
	RUN_FLUSH();
#undef RUN_FLUSH
	return (size_t)(p - start);
}

/* data_input - DATA: scan what has arrived, straight from the input chunks */
static void
data_input(struct session *s, struct evbuffer *in)
{
	struct evbuffer_iovec v[SMTPD_DATA_VECS];
	size_t used = 0;
	int n, end = 0;

	n = evbuffer_peek(in, -1, NULL, v, SMTPD_DATA_VECS);
	if (n > SMTPD_DATA_VECS)
		n = SMTPD_DATA_VECS;
	for (int i = 0; i < n && !end; i++)
		used += data_scan(s, v[i].iov_base, (const char *)v[i].iov_base + v[i].iov_len,
		    &end);
	evbuffer_drain(in, used);
	if (end)
		finish_data(s);
}

/* error_limit - past SMTPD_ERROR_LIMIT errors: 421 and close */
static void
error_limit(struct session *s)
{
	if (s->errors >= SMTPD_ERROR_LIMIT && s->state != SS_CLOSE) {
		close_after_output(s);	/* first: see session_write */
		reply(s, "421 4.7.0 %s Error: too many errors", s->sd->gw->conf->hostname);
		gw_log(s->sd->gw, "ICID %lld dropped: too many errors", (long long)s->icid);
	}
}

/*
 * stall_check - a paused session, SMTPD_STALL seconds on: if no reply has
 * left since the last check the client is not reading, which counts as
 * one error (once per pause); else look again later.
 */
static void
stall_check(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	size_t left = unsent(s);

	(void)fd;
	(void)what;
	if (!s->blocked || s->state == SS_CLOSE)
		return;
	if (left < s->stall_left) {
		s->stall_left = left;
		evtimer_add(s->stall, &stall_tv);
		return;
	}
	s->errors++;
	gw_log(s->sd->gw, "ICID %lld client does not read its replies: %zu bytes unread, "
			  "input paused", (long long)s->icid, left);
	error_limit(s);
}

/*
 * replies_unread - are more than SMTPD_OUTPUT_MAX bytes of replies waiting
 * for the client? Then input stops being read until they are gone:
 * session_write resumes, stall_check counts a pause that lasts. What the
 * kernel and, over TLS, the layer below hold is not counted: the TLS
 * layer takes at most SMTPD_OUTPUT_MAX itself (its write high watermark,
 * set in do_starttls).
 */
static int
replies_unread(struct session *s)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);

	if (evbuffer_get_length(out) <= SMTPD_OUTPUT_MAX)
		return 0;
	flush_out(s);	/* inside process(): replies are still held */
	if (evbuffer_get_length(out) <= SMTPD_OUTPUT_MAX)
		return 0;
	s->blocked = 1;
	bufferevent_disable(s->bev, EV_READ);
	if (s->stall == NULL)
		s->stall = evtimer_new(s->sd->gw->base, stall_check, s);
	s->stall_left = unsent(s);
	if (s->stall)
		evtimer_add(s->stall, &stall_tv);
	return 1;
}

/* process_input - handle as much buffered input as the state allows */
static void
process_input(struct session *s)
{
	struct evbuffer *in;
	char small[SMTPD_LINE_MAX + 2];

	while (s->state != SS_COMMIT && s->state != SS_CLOSE) {
		struct evbuffer_ptr eol;
		size_t eol_len = 0, avail, n;

		if (s->blocked || replies_unread(s))
			break;
		in = bufferevent_get_input(s->bev);
		avail = evbuffer_get_length(in);
		if (avail == 0)
			break;
		if (s->state == SS_DATA) {
			data_input(s, in);
			continue;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (avail > SMTPD_LINE_MAX) {
				/* too long: answer once, then skip to the next line end */
				if (!s->skipping)
					reply(s, "500 5.5.2 Error: line too long");
				s->skipping = 1;
				evbuffer_drain(in, avail);
			}
			break;
		}
		n = (size_t)eol.pos;
		if (s->skipping || n > SMTPD_LINE_MAX) {
			if (!s->skipping)
				reply(s, "500 5.5.2 Error: line too long");
			s->skipping = 0;
			evbuffer_drain(in, n + 1);
			continue;
		}
		evbuffer_remove(in, small, n + 1);
		if (n > 0 && small[n - 1] == '\r')
			n--;
		small[n] = '\0';
		command(s, small, n);
		error_limit(s);
	}
}

/* process - the input, with the replies to it sent together at the end */
static void
process(struct session *s)
{
	s->hold++;
	process_input(s);
	s->hold--;
	flush_out(s);
}

/* ---------------------------------------------------------- events */

static void
session_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	process(arg);
}

/*
 * session_write - the replies have left: a paused session reads again.
 * Over TLS this can run inside reply() (the filter writes at once), so
 * code that answers a paused session from outside process() and then
 * closes it calls close_after_output first: a closing session is not
 * resumed.
 */
static void
session_write(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (!s->blocked || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	s->blocked = 0;
	if (s->stall)
		evtimer_del(s->stall);
	if (s->state == SS_CLOSE || s->gone)
		return;
	bufferevent_enable(s->bev, EV_READ);
	process(s);	/* what was read before the pause */
}

/* log_tls - "ICID n TLS success protocol ... cipher ..." once the handshake is done */
static void
log_tls(struct session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);

	if (ssl)
		gw_log(s->sd->gw, "ICID %lld TLS success protocol %s cipher %s", (long long)s->icid,
		    SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

static void
session_event(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	struct gw *gw = s->sd->gw;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		log_tls(s);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		gw_log(gw, "ICID %lld timed out", (long long)s->icid);
		if (s->state == SS_COMMIT)
			return;	/* the callback still holds the session */
		close_after_output(s);	/* first: see session_write */
		reply(s, "421 4.4.2 %s Error: timeout exceeded", gw->conf->hostname);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(s->bev);

		if (e && s->tls) {
			char msg[256];

			ERR_error_string_n(e, msg, sizeof(msg));
			gw_log(gw, "ICID %lld TLS failed: %s", (long long)s->icid, msg);
		}
	}
	if (s->state == SS_COMMIT) {
		/* the peer went away while we commit: close when the callback runs */
		bufferevent_disable(s->bev, EV_READ | EV_WRITE);
		s->gone = 1;
		return;
	}
	session_free(s);
}

/* log_connect - the connection's first mail_logs line */
static void
log_connect(struct session *s)
{
	gw_log(s->sd->gw, "New SMTP ICID %lld interface %s (%s) address %s reverse dns host %s "
			  "verified %s",
	    (long long)s->icid, s->l->conf.name, s->local_ip, s->ip,
	    s->rdns[0] ? s->rdns : "unknown", s->rdns_verified ? "yes" : "no");
}

/* greet - log the connection, then refuse it or send the banner and start reading */
static void
greet(struct session *s)
{
	struct slistener *l = s->l;
	struct gw *gw = s->sd->gw;

	log_connect(s);
	if (s->suspended) {
		/* suspendlistener: refused, as AsyncOS does, with a temporary reply */
		gw_log(gw, "ICID %lld TCPREFUSE: listener %s is suspended", (long long)s->icid,
		    l->conf.name);
		reply(s, "421 4.3.2 %s Service suspended, try again later", gw->conf->hostname);
		close_after_output(s);
		bufferevent_enable(s->bev, EV_WRITE);
		return;
	}
	if (s->over_limit) {
		gw_log(gw, "ICID %lld TCPREFUSE: listener %s has %d connections", (long long)s->icid,
		    l->conf.name, l->conf.max_conns);
		reply(s, "421 4.7.0 %s Error: too many connections", gw->conf->hostname);
		close_after_output(s);
		bufferevent_enable(s->bev, EV_WRITE);
		return;
	}
	if (l->conf.type == LISTENER_PRIVATE) {
		if (!listener_relay_allowed(&l->conf, (struct sockaddr *)&s->peer)) {
			gw_log(gw, "ICID %lld REJECT SG None match ALL SBRS not enabled",
			    (long long)s->icid);
			reply(s, "554 5.7.1 %s Access denied", gw->conf->hostname);
			close_after_output(s);
			bufferevent_enable(s->bev, EV_WRITE);
			return;
		}
		gw_log(gw, "ICID %lld RELAY SG RELAYLIST match %s SBRS not enabled",
		    (long long)s->icid, s->ip);
	} else {
		gw_log(gw, "ICID %lld ACCEPT SG UNKNOWNLIST match ALL SBRS not enabled",
		    (long long)s->icid);
	}
	reply(s, "220 %s ESMTP mxgate", gw->conf->hostname);
	bufferevent_enable(s->bev, EV_READ);	/* replies are written by flush_out */
}

/* ---------------------------------------------------------- reverse DNS */

/*
 * rdns_detach - stop waiting for the reverse DNS lookup (if any): the
 * ask stays with the lookup, which frees it when it answers
 */
static void
rdns_detach(struct session *s)
{
	if (s->rdns_ask != NULL) {
		s->rdns_ask->s = NULL;
		s->rdns_ask = NULL;
	}
	if (s->rdns_timer != NULL) {
		event_free(s->rdns_timer);	/* safe inside its own callback */
		s->rdns_timer = NULL;
	}
}

/* rdns_slot - the cache slot of an address (FNV-1a) */
static struct rdns_cached *
rdns_slot(struct smtpd *sd, const char *ip)
{
	uint32_t h = 2166136261u;

	if (sd->rcache == NULL)
		sd->rcache = xcalloc(RDNS_CACHE, sizeof(*sd->rcache));
	for (const unsigned char *p = (const unsigned char *)ip; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &sd->rcache[h % RDNS_CACHE];
}

/* rdns_cached - fill s from the cache: 1 when a fresh answer was there */
static int
rdns_cached(struct session *s)
{
	struct rdns_cached *c = rdns_slot(s->sd, s->ip);

	if (strcmp(c->ip, s->ip) != 0 || c->expires <= time(NULL))
		return 0;
	str_copy(s->rdns, c->name, sizeof(s->rdns));
	s->rdns_verified = c->verified;
	return 1;
}

/* rdns_end - the lookup is over (a answered last, or NULL): greet the client */
static void
rdns_end(struct session *s, struct rdns_ask *a)
{
	long ttl = s->sd->gw->conf->sdr.cache_ttl;

	if (a != NULL && ttl > 0) {
		struct rdns_cached *c = rdns_slot(s->sd, s->ip);

		if (ttl > RDNS_CACHE_MAX_TTL)
			ttl = RDNS_CACHE_MAX_TTL;
		if (a->tempfail && ttl > RDNS_CACHE_FAIL_TTL)
			ttl = RDNS_CACHE_FAIL_TTL;
		str_copy(c->ip, s->ip, sizeof(c->ip));
		str_copy(c->name, s->rdns, sizeof(c->name));
		c->verified = s->rdns_verified;
		c->expires = time(NULL) + ttl;
	}
	rdns_detach(s);
	free(a);
	greet(s);
}

/* addr_bytes - an address as 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d) */
static int
addr_bytes(const struct sockaddr_storage *ss, unsigned char out[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (ss->ss_family == AF_INET) {
		memcpy(out, mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* rdns_addr_done - the PTR name's addresses: is the client among them? */
static void
rdns_addr_done(enum dns_status st, const struct sockaddr_storage *addrs, int naddr, void *arg)
{
	struct rdns_ask *a = arg;
	struct session *s = a->s;
	unsigned char peer[16], b[16];

	if (s == NULL) {	/* the session stopped waiting */
		free(a);
		return;
	}
	if (st == DNS_TEMPFAIL)
		a->tempfail = 1;
	if (st == DNS_OK && addr_bytes(&s->peer, peer) == 0)
		for (int i = 0; i < naddr && !s->rdns_verified; i++)
			s->rdns_verified = addr_bytes(&addrs[i], b) == 0 &&
			    memcmp(b, peer, sizeof(b)) == 0;
	rdns_end(s, a);
}

/* rdns_ptr_done - the client's PTR name: now its addresses */
static void
rdns_ptr_done(enum dns_status st, const char *name, void *arg)
{
	struct rdns_ask *a = arg;
	struct session *s = a->s;

	if (s == NULL) {
		free(a);
		return;
	}
	if (st != DNS_OK) {
		a->tempfail = st == DNS_TEMPFAIL;
		rdns_end(s, a);		/* no PTR: "unknown" */
		return;
	}
	/* a host name (dns.h checked it): safe in a log line as it is */
	str_copy(s->rdns, name, sizeof(s->rdns));
	dns_resolve_addr(s->sd->gw->dns, s->rdns, rdns_addr_done, a);
}

/* rdns_timeout - the DNS timeout has passed: greet with what is known */
static void
rdns_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	rdns_end(s, NULL);	/* a PTR name found is not verified */
}

/* rdns_start - look the client up before greeting it */
static void
rdns_start(struct session *s)
{
	struct gw *gw = s->sd->gw;
	struct rdns_ask *a = xcalloc(1, sizeof(*a));
	struct timeval tv = { gw->conf->dns_timeout > 0 ? gw->conf->dns_timeout : 1, 0 };

	a->s = s;
	s->rdns_ask = a;
	s->rdns_timer = evtimer_new(gw->base, rdns_timeout, s);
	if (s->rdns_timer == NULL) {
		fprintf(stderr, "fatal: out of memory creating an event\n");
		abort();
	}
	evtimer_add(s->rdns_timer, &tv);
	dns_resolve_ptr(gw->dns, s->ip, rdns_ptr_done, a);	/* answers from the loop */
}

/* on_accept - a new inbound connection */
static void
on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct slistener *l = arg;
	struct smtpd *sd = l->sd;
	struct gw *gw = sd->gw;
	struct session *s;
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);

	(void)evl;
	s = xcalloc(1, sizeof(*s));
	s->sd = sd;
	s->l = l;
	l->refs++;
	l->nconns++;
	sd->nsessions++;
	TAILQ_INSERT_TAIL(&sd->sessions, s, link);
	s->icid = gw_id(gw, GW_ICID);
	buf_init(&s->data, 0);
	if (salen > 0 && (size_t)salen <= sizeof(s->peer))
		memcpy(&s->peer, sa, (size_t)salen);
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, s->ip, sizeof(s->ip));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, s->ip, sizeof(s->ip));
	if (getsockname(fd, (struct sockaddr *)&local, &llen) == 0) {
		if (local.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&local)->sin6_addr, s->local_ip,
			    sizeof(s->local_ip));
		else
			inet_ntop(AF_INET, &((struct sockaddr_in *)&local)->sin_addr, s->local_ip,
			    sizeof(s->local_ip));
	}
	s->bev = bufferevent_socket_new(gw->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_disable(s->bev, EV_WRITE);	/* on by default; flush_out writes */
	bufferevent_setwatermark(s->bev, EV_READ, 0, SMTPD_INPUT_MAX);
	bufferevent_setcb(s->bev, session_read, session_write, session_event, s);
	bufferevent_set_timeouts(s->bev, &(struct timeval){ SMTPD_TIMEOUT, 0 },
	    &(struct timeval){ SMTPD_TIMEOUT, 0 });
	s->over_limit = l->nconns > l->conf.max_conns;
	s->suspended = suspend_listener_held(gw, l->conf.name);
	/* the reverse DNS host is an SDR input; without SDR no DNS at all */
	if (!s->over_limit && !s->suspended && l->conf.type == LISTENER_PUBLIC && gw->conf->sdr.enabled &&
	    gw->dns != NULL) {
		if (!rdns_cached(s)) {
			rdns_start(s);
			return;
		}
	}
	greet(s);
}

/* ---------------------------------------------------------- listeners */

/* same_socket - would these two configurations bind the same socket? */
static int
same_socket(const struct listener_conf *a, const struct listener_conf *b)
{
	return strcmp(a->ip, b->ip) == 0 && a->port == b->port;
}

/* close_listener - stop accepting; sessions keep the structure alive */
static void
close_listener(struct smtpd *sd, struct slistener *l)
{
	if (l->evl) {
		evconnlistener_free(l->evl);
		l->evl = NULL;
		gw_log(sd->gw, "Listener %s closed on %s port %d", l->conf.name, l->conf.ip,
		    l->conf.port);
	}
	TAILQ_REMOVE(&sd->listeners, l, link);
	if (--l->refs == 0)
		free(l);
}

/* open_listener - bind and listen */
static void
open_listener(struct smtpd *sd, const struct listener_conf *conf)
{
	struct gw *gw = sd->gw;
	struct slistener *l = xcalloc(1, sizeof(*l));
	struct sockaddr_storage ss;
	int sslen;

	l->sd = sd;
	l->conf = *conf;
	l->refs = 1;
	memset(&ss, 0, sizeof(ss));
	if (strchr(conf->ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)conf->port);
		inet_pton(AF_INET6, conf->ip, &s6->sin6_addr);
		sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)conf->port);
		inet_pton(AF_INET, conf->ip, &s4->sin_addr);
		sslen = sizeof(*s4);
	}
	l->evl = evconnlistener_new_bind(gw->base, on_accept, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
	    (struct sockaddr *)&ss, sslen);
	if (l->evl == NULL) {
		gw_alert(gw, ALERT_CRITICAL, "Listener", gw->conf->version,
		    "Listener %s cannot listen on %s port %d: %s", conf->name, conf->ip,
		    conf->port, strerror(errno));
		free(l);
		return;
	}
	TAILQ_INSERT_TAIL(&sd->listeners, l, link);
	gw_log(gw, "Listener %s listening on %s port %d (%s)", conf->name, conf->ip, conf->port,
	    listener_type_name(conf->type));
}

struct smtpd *
smtpd_new(struct gw *gw)
{
	struct smtpd *sd = xcalloc(1, sizeof(*sd));

	sd->gw = gw;
	TAILQ_INIT(&sd->listeners);
	TAILQ_INIT(&sd->sessions);
	return sd;
}

void
smtpd_reconfigure(struct smtpd *sd)
{
	const struct conf *c = sd->gw->conf;
	struct slistener *l, *next;

	/* new DNS servers (or SDR settings) may answer otherwise: ask again */
	free(sd->rcache);
	sd->rcache = NULL;
	if (sd->shutting_down)
		return;
	/* close listeners that are gone or moved; update the rest in place */
	for (l = TAILQ_FIRST(&sd->listeners); l; l = next) {
		int keep = 0;

		next = TAILQ_NEXT(l, link);
		for (int i = 0; i < c->nlisteners; i++)
			if (strcmp(c->listeners[i].name, l->conf.name) == 0 &&
			    same_socket(&c->listeners[i], &l->conf)) {
				l->conf = c->listeners[i];
				keep = 1;
			}
		if (!keep)
			close_listener(sd, l);
	}
	for (int i = 0; i < c->nlisteners; i++) {
		int have = 0;

		TAILQ_FOREACH(l, &sd->listeners, link)
			if (strcmp(c->listeners[i].name, l->conf.name) == 0)
				have = 1;
		if (!have)
			open_listener(sd, &c->listeners[i]);
	}
}

void
smtpd_shutdown(struct smtpd *sd)
{
	struct session *s, *next;

	sd->shutting_down = 1;
	while (!TAILQ_EMPTY(&sd->listeners))
		close_listener(sd, TAILQ_FIRST(&sd->listeners));
	for (s = TAILQ_FIRST(&sd->sessions); s; s = next) {
		next = TAILQ_NEXT(s, link);
		if (s->state == SS_COMMIT || s->state == SS_CLOSE)
			continue;	/* answered when durable / already closing */
		if (s->rdns_ask != NULL) {
			/* still being looked up: not greeted, not to be */
			rdns_detach(s);
			log_connect(s);
		}
		txn_reset(s, "Receiving aborted by shutdown");
		close_after_output(s);	/* first: see session_write */
		reply(s, "421 4.3.2 %s Service shutting down", sd->gw->conf->hostname);
	}
}

int
smtpd_busy(const struct smtpd *sd)
{
	return sd->committing;
}

int
smtpd_sessions(const struct smtpd *sd)
{
	return sd->nsessions;
}

void
smtpd_free(struct smtpd *sd)
{
	if (sd == NULL)
		return;
	while (!TAILQ_EMPTY(&sd->listeners))
		close_listener(sd, TAILQ_FIRST(&sd->listeners));
	while (!TAILQ_EMPTY(&sd->sessions)) {
		struct session *s = TAILQ_FIRST(&sd->sessions);

		if (s->state == SS_COMMIT)
			s->state = SS_READY;	/* the writer has stopped: nothing will call back */
		session_free(s);
	}
	free(sd->rcache);
	free(sd);
}
