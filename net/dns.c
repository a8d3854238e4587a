/*
 * dns.c - asynchronous MX and address lookups for delivery: c-ares on a
 * libevent loop.
 *
 * c-ares says which sockets it wants watched (ARES_OPT_SOCK_STATE_CB);
 * each gets a persistent libevent event, and one timer per channel
 * follows ares_timeout(). Nothing polls.
 *
 * A lookup (struct dns_req) runs one or two rounds of c-ares queries
 * (struct dns_q): dns_resolve_mail asks MX, then A and AAAA of every MX
 * host at once; dns_resolve_addr asks A and AAAA; dns_query_a asks one A
 * question and keeps the TTLs (c-ares gives those of the records; the
 * negative-caching time of an NXDOMAIN or NODATA answer is read from its
 * authority section's SOA here, RFC 2308 5); dns_resolve_ptr asks one PTR
 * question and reads the answer section here (c-ares 1.18's
 * ares_parse_ptr_reply keeps the last record as the name, not the
 * first, and checks nothing of what it copies). When its last query
 * answers, the lookup moves to the done list and one event delivers the
 * done list from the loop. Callbacks therefore never run inside c-ares
 * or inside dns_resolve_*, and a callback may start lookups, change the
 * servers or call dns_free.
 *
 * Channels are opened with tries=1, so one c-ares query asks each server
 * once with the full timeout; we repeat a query that timed out or failed
 * (SERVFAIL, connection refused, garbage) up to d->tries times. This
 * keeps "timeout_ms per try" literal: c-ares would double the timeout on
 * every round, making tries=4 cost 15 timeouts instead of 4.
 *
 * c-ares 1.18 cannot change the servers of a channel that has queries
 * outstanding (ares_set_servers: ARES_ENOTIMP), so dns_set_servers opens
 * a new channel and retires the old one once its queries are answered.
 *
 * DIAGNOSTICS: see dns.h. Everything is bounded: DNS_MAX_HOPS MX hosts,
 * DNS_MAX_ADDRS addresses each, so at most 2 x DNS_MAX_HOPS queries in
 * flight per lookup.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <ares.h>
#include <netdb.h>
#include <event2/event.h>

#include "net/dns.h"
#include "util/str.h"
#include "util/syntax.h"

#define DNS_TIMEOUT_MAX 600000	/* ms: ten minutes per try is already absurd */
#define DNS_TRIES_MAX 10

/* ---------------------------------------------------------------- types */

struct dns_server {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;				/* the server's address */
	int port;			/* 1-65535 */
};

struct dns_sock {
	struct dns_chan *c;		/* channel owning the socket */
	ares_socket_t fd;		/* the socket */
	short what;			/* EV_READ|EV_WRITE watched now */
	struct event *ev;		/* persistent event on fd */
	TAILQ_ENTRY(dns_sock) entry;	/* on c->socks */
};

struct dns_chan {
	struct dns *d;			/* owner */
	ares_channel ch;		/* the c-ares channel */
	int nq;				/* our queries in flight on it */
	struct event *timer;		/* fires at ares_timeout() */
	ares_socket_t reading;		/* socket ares_process_fd reads now, or ARES_SOCKET_BAD */
	TAILQ_HEAD(, dns_sock) socks;	/* sockets c-ares wants watched */
	TAILQ_ENTRY(dns_chan) entry;	/* on d->retired */
};

enum dns_kind {
	REQ_MAIL,			/* dns_resolve_mail */
	REQ_ADDR,			/* dns_resolve_addr */
	REQ_A,				/* dns_query_a */
	REQ_PTR,			/* dns_resolve_ptr */
	REQ_RAW,			/* dns_query_raw */
};

/* the A and AAAA answers for one hop, merged into its dns_hop at the end */
struct dns_work {
	enum dns_status st4, st6;	/* how each lookup ended */
	int n4, n6;			/* addresses received */
	struct in_addr a4[DNS_MAX_ADDRS];
	struct in6_addr a6[DNS_MAX_ADDRS];
};

struct dns_req {
	struct dns *d;			/* owner */
	enum dns_kind kind;		/* which callback, which rounds */
	int implicit;			/* no MX: the domain is its own hop */
	int decided;			/* st is final without looking at hops */
	enum dns_status st;		/* the result */
	char name[256];			/* domain or host: lower case, no final dot */
	dns_mail_cb mail_cb;		/* REQ_MAIL */
	dns_addr_cb addr_cb;		/* REQ_ADDR */
	dns_a_cb a_cb;			/* REQ_A */
	dns_ptr_cb ptr_cb;		/* REQ_PTR */
	void *arg;			/* for the callback */
	int na;				/* REQ_A: addresses in a */
	unsigned int a[DNS_MAX_ADDRS];	/* REQ_A: host order */
	int ttl;			/* REQ_A: smallest TTL, or negative TTL; -1 unknown */
	char ptr[256];			/* REQ_PTR, DNS_OK: the host name found */
	dns_raw_cb raw_cb;		/* REQ_RAW */
	int qtype;			/* REQ_RAW: the type asked */
	int astatus;			/* REQ_RAW: c-ares's status of the last try */
	unsigned char *abuf;		/* REQ_RAW: a copy of the answer, or NULL */
	int alen;			/* REQ_RAW: its length */
	struct sockaddr_storage from;	/* REQ_RAW: the server that answered; AF_UNSPEC unknown */
	int pending;			/* c-ares queries in flight (plus holds) */
	int nhops;			/* entries in hops and work */
	struct dns_hop *hops;		/* the answer being built */
	struct dns_work *work;		/* per hop A/AAAA state */
	TAILQ_ENTRY(dns_req) entry;	/* on d->active or d->done */
};

/* one c-ares query: the argument of qcallback */
struct dns_q {
	struct dns_chan *c;		/* channel asked */
	struct dns_req *req;		/* lookup it belongs to */
	int type;			/* ns_t_mx, ns_t_a, ns_t_aaaa or ns_t_ptr */
	int hop;			/* index into req->hops (A, AAAA); -1: req->name */
	int try;			/* 1..d->tries */
};

struct dns {
	struct event_base *base;	/* the loop everything runs on */
	int timeout_ms;			/* per server per try */
	int tries;			/* rounds over the servers */
	char servers[DNS_SERVERS_MAX];	/* normal form; "" = /etc/resolv.conf */
	struct dns_chan *chan;		/* new queries go here */
	TAILQ_HEAD(, dns_chan) retired;	/* old channels finishing their queries */
	TAILQ_HEAD(, dns_req) active;	/* lookups with queries in flight */
	TAILQ_HEAD(, dns_req) done;	/* finished, waiting for done_ev */
	int ndone;			/* entries on done */
	struct event *done_ev;		/* delivers done from the loop */
	int freeing;			/* dns_free has begun */
	int delivering;			/* inside done_cb */
	int dead;			/* dns_free ran inside done_cb: release on return */
};

static void qcallback(void *, int, int, unsigned char *, int);

/* ---------------------------------------------------------------- helpers */

/* fail - set *cause (if wanted) and return -1 */
static int __attribute__((format(printf, 2, 3)))
fail(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause != NULL) {
		va_start(ap, fmt);
		*cause = str_vprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* xevent_new - event_new, which fails only for want of memory */
static struct event *
xevent_new(struct event_base *base, evutil_socket_t fd, short what,
    event_callback_fn cb, void *arg)
{
	struct event *ev = event_new(base, fd, what, cb, arg);

	if (ev == NULL) {
		fprintf(stderr, "fatal: out of memory creating an event\n");
		abort();
	}
	return ev;
}

/* name_norm - a valid domain name, lower case, without a final dot */
static int
name_norm(const char *in, char *out, size_t size)
{
	size_t len = strlen(in);

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len >= size)
		return -1;
	memcpy(out, in, len);
	out[len] = '\0';
	if (!syntax_hostname(out))
		return -1;
	str_lower(out);
	return 0;
}

/* parse_literal - an IP address, bare or as an SMTP address literal */
static int
parse_literal(const char *s, struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *ip = buf;
	size_t len = strlen(s);

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof(buf))
			return -1;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		if (strncasecmp(buf, "IPv6:", 5) == 0)
			ip = buf + 5;	/* RFC 5321 4.1.3 */
	} else if (str_copy(buf, s, sizeof(buf)) < 0) {
		return -1;
	}
	if (ip == buf && inet_pton(AF_INET, ip, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return -1;
}

/* map_status - a c-ares status as ours */
static enum dns_status
map_status(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return DNS_OK;
	case ARES_ENODATA:
		return DNS_NODATA;
	case ARES_ENOTFOUND:
		return DNS_NXDOMAIN;
	case ARES_EBADNAME:
		return DNS_BADNAME;
	default:
		return DNS_TEMPFAIL;
	}
}

/* retryable - is another round over the servers worth it? */
static int
retryable(int status)
{
	/*
	 * Not REFUSED or NOTIMP: the same servers will say the same.
	 * Not ECANCELLED or EDESTRUCTION: we are shutting down.
	 */
	return status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED ||
	    status == ARES_ESERVFAIL || status == ARES_EBADRESP;
}

/* dns_status_str - a short phrase for logs and bounces */
const char *
dns_status_str(enum dns_status s)
{
	switch (s) {
	case DNS_OK:
		return "OK";
	case DNS_NXDOMAIN:
		return "NXDOMAIN";
	case DNS_NODATA:
		return "no usable records";
	case DNS_TEMPFAIL:
		return "timeout or server failure";
	case DNS_NULLMX:
		return "domain accepts no mail (null MX)";
	case DNS_BADNAME:
		return "malformed domain name";
	}
	return "unknown DNS status";
}

/* ---------------------------------------------------------------- server lists */

/* parse_server - one "IP[:port]" or "[IPv6][:port]"; e is modified */
static int
parse_server(char *e, struct dns_server *s, char **cause)
{
	char orig[DNS_SERVERS_MAX];
	char *port = NULL, *close;

	str_copy(orig, e, sizeof(orig));
	memset(s, 0, sizeof(*s));
	if (*e == '[') {
		if ((close = strchr(e, ']')) == NULL)
			goto bad;
		*close = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			goto bad;
		if (inet_pton(AF_INET6, e + 1, &s->a.v6) != 1)
			goto bad;
		s->family = AF_INET6;
	} else {
		if ((port = strchr(e, ':')) != NULL) {
			if (strchr(port + 1, ':') != NULL)
				return fail(cause, "Invalid DNS server '%.100s': write IPv6 "
				    "addresses in brackets, as [2001:db8::1] or [2001:db8::1]:53.",
				    orig);
			*port++ = '\0';
		}
		if (inet_pton(AF_INET, e, &s->a.v4) != 1)
			goto bad;
		s->family = AF_INET;
	}
	s->port = 53;
	if (port != NULL && (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    !syntax_port(port, &s->port)))
		return fail(cause, "Invalid port in DNS server '%.100s': the port must be a "
		    "number between 1 and 65535.", orig);
	return 0;
bad:
	return fail(cause, "Invalid DNS server '%.100s': enter an IPv4 address or an IPv6 "
	    "address in brackets, each optionally followed by :port.", orig);
}

/* parse_servers - a whole list into sv[] and its normal form */
static int
parse_servers(const char *in, struct dns_server *sv, int *nsv, char *norm, size_t size,
    char **cause)
{
	char buf[DNS_SERVERS_MAX], out[DNS_SERVERS_MAX], addr[INET6_ADDRSTRLEN];
	char *p, *e, *comma;
	size_t olen = 0;
	int n = 0;

	*nsv = 0;
	out[0] = '\0';
	if (in == NULL)
		in = "";
	if (str_copy(buf, in, sizeof(buf)) < 0)
		return fail(cause, "DNS server list too long (more than %d characters).",
		    DNS_SERVERS_MAX - 1);
	p = str_trim(buf);
	while (*p != '\0') {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		e = str_trim(p);
		if (*e == '\0')
			return fail(cause, "Empty entry in DNS server list '%.100s'.", in);
		if (n == DNS_MAX_SERVERS)
			return fail(cause, "Too many DNS servers (at most %d).", DNS_MAX_SERVERS);
		if (parse_server(e, &sv[n], cause) < 0)
			return -1;
		inet_ntop(sv[n].family, &sv[n].a, addr, sizeof(addr));
		if (str_fmt(out + olen, sizeof(out) - olen, "%s%s%s%s", n ? "," : "",
		    sv[n].family == AF_INET6 ? "[" : "", addr,
		    sv[n].family == AF_INET6 ? "]" : "") < 0)
			return fail(cause, "DNS server list too long.");
		olen = strlen(out);
		if (sv[n].port != 53 &&
		    str_fmt(out + olen, sizeof(out) - olen, ":%d", sv[n].port) < 0)
			return fail(cause, "DNS server list too long.");
		olen = strlen(out);
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
		if (*str_trim(p) == '\0')
			return fail(cause, "Empty entry in DNS server list '%.100s'.", in);
	}
	if (norm != NULL && str_copy(norm, out, size) < 0)
		return fail(cause, "DNS server list too long for its buffer.");
	*nsv = n;
	return 0;
}

/* dns_parse_servers - validate and normalise a server list */
int
dns_parse_servers(const char *servers, char *normalised, size_t size, char **cause)
{
	struct dns_server sv[DNS_MAX_SERVERS];
	int n;

	return parse_servers(servers, sv, &n, normalised, size, cause);
}

/* ---------------------------------------------------------------- channels */

/* chan_arm - wake up when c-ares next needs to time something out */
static void
chan_arm(struct dns_chan *c)
{
	struct timeval tv, *tvp;

	if ((tvp = ares_timeout(c->ch, NULL, &tv)) == NULL)
		evtimer_del(c->timer);
	else
		evtimer_add(c->timer, tvp);
}

/* chan_timer_cb - let c-ares handle its timeouts */
static void
chan_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_chan *c = arg;

	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	chan_arm(c);
}

/* sock_cb - a socket c-ares watches is ready */
static void
sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_sock *s = arg;
	struct dns_chan *c = s->c;

	/*
	 * c-ares may close the socket in here: s is gone afterwards. An
	 * answer read now reaches qcallback inside this call, so c->reading
	 * names the server that sent it (c-ares connects its sockets).
	 */
	c->reading = (what & EV_READ) ? fd : ARES_SOCKET_BAD;
	ares_process_fd(c->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	c->reading = ARES_SOCKET_BAD;
	chan_arm(c);
}

/* sock_free - stop watching a socket */
static void
sock_free(struct dns_chan *c, struct dns_sock *s)
{
	TAILQ_REMOVE(&c->socks, s, entry);
	event_free(s->ev);	/* safe even inside s->ev's own callback */
	free(s);
}

/* sock_state - ARES_OPT_SOCK_STATE_CB: c-ares wants fd watched (or not) */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_chan *c = data;
	struct dns_sock *s;
	short what = (short)((readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));

	TAILQ_FOREACH(s, &c->socks, entry)
		if (s->fd == fd)
			break;
	if (what == 0) {
		if (s != NULL)
			sock_free(c, s);
		return;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->c = c;
		s->fd = fd;
		TAILQ_INSERT_TAIL(&c->socks, s, entry);
	} else if (s->what == what) {
		return;
	} else {
		event_free(s->ev);
	}
	s->what = what;
	s->ev = xevent_new(c->d->base, fd, (short)(what | EV_PERSIST), sock_cb, s);
	event_add(s->ev, NULL);
}

/* chan_new - a c-ares channel on sv[] (none: /etc/resolv.conf) */
static struct dns_chan *
chan_new(struct dns *d, const struct dns_server *sv, int n, char **cause)
{
	static char lookups[] = "b";	/* DNS only, never /etc/hosts */
	struct ares_addr_port_node nodes[DNS_MAX_SERVERS];
	struct ares_options o;
	struct dns_chan *c;
	int rc;

	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->reading = ARES_SOCKET_BAD;
	TAILQ_INIT(&c->socks);
	memset(&o, 0, sizeof(o));
	/*
	 * NOSEARCH: "example.com" must never become "example.com.corp.lan".
	 * NOALIASES: HOSTALIASES in the environment must not redirect mail.
	 * NOROTATE: the first server is the preferred one, the rest are
	 * fallbacks, in the order the operator wrote them.
	 */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.timeout = d->timeout_ms;
	o.tries = 1;
	o.lookups = lookups;
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = c;
	rc = ares_init_options(&c->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB | ARES_OPT_NOROTATE);
	if (rc != ARES_SUCCESS) {
		free(c);
		fail(cause, "Cannot start the DNS resolver: %s.", ares_strerror(rc));
		return NULL;
	}
	if (n > 0) {
		memset(nodes, 0, sizeof(nodes));
		for (int i = 0; i < n; i++) {
			nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
			nodes[i].family = sv[i].family;
			if (sv[i].family == AF_INET)
				nodes[i].addr.addr4 = sv[i].a.v4;
			else
				memcpy(&nodes[i].addr.addr6, &sv[i].a.v6, 16);
			nodes[i].udp_port = sv[i].port;
			nodes[i].tcp_port = sv[i].port;
		}
		if ((rc = ares_set_servers_ports(c->ch, nodes)) != ARES_SUCCESS) {
			ares_destroy(c->ch);
			free(c);
			fail(cause, "Cannot set the DNS servers: %s.", ares_strerror(rc));
			return NULL;
		}
	}
	c->timer = xevent_new(d->base, -1, 0, chan_timer_cb, c);
	return c;
}

/* chan_free - close a channel; its outstanding queries report EDESTRUCTION */
static void
chan_free(struct dns_chan *c)
{
	struct dns_sock *s;

	ares_destroy(c->ch);
	while ((s = TAILQ_FIRST(&c->socks)) != NULL)
		sock_free(c, s);
	event_free(c->timer);
	free(c);
}

/* ---------------------------------------------------------------- lookups */

/* req_new - a lookup, on d->active */
static struct dns_req *
req_new(struct dns *d, enum dns_kind kind, void *arg)
{
	struct dns_req *req = xcalloc(1, sizeof(*req));

	req->d = d;
	req->kind = kind;
	req->arg = arg;
	TAILQ_INSERT_TAIL(&d->active, req, entry);
	return req;
}

/* req_hops - room for n hops */
static void
req_hops(struct dns_req *req, int n)
{
	req->nhops = n;
	req->hops = xcalloc((size_t)n, sizeof(*req->hops));
	req->work = xcalloc((size_t)n, sizeof(*req->work));
	for (int i = 0; i < n; i++)
		req->work[i].st4 = req->work[i].st6 = DNS_TEMPFAIL;
}

/* req_free - release a delivered lookup */
static void
req_free(struct dns_req *req)
{
	free(req->abuf);
	free(req->hops);
	free(req->work);
	free(req);
}

/* hop_fill - merge the A and AAAA answers of hop i: IPv4 first, both bounded */
static void
hop_fill(struct dns_req *req, int i)
{
	struct dns_work *w = &req->work[i];
	struct dns_hop *h = &req->hops[i];
	int k4 = w->n4, k6 = w->n6;

	/*
	 * Too many: IPv6 keeps at least half the room (or what IPv4 leaves),
	 * so a host with many A records still offers its AAAA ones.
	 */
	if (k6 > DNS_MAX_ADDRS - k4 && k6 > DNS_MAX_ADDRS / 2) {
		k6 = DNS_MAX_ADDRS - k4;
		if (k6 < DNS_MAX_ADDRS / 2)
			k6 = DNS_MAX_ADDRS / 2;
	}
	if (k4 > DNS_MAX_ADDRS - k6)
		k4 = DNS_MAX_ADDRS - k6;
	h->naddr = 0;
	for (int j = 0; j < k4; j++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&h->addr[h->naddr++];

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_addr = w->a4[j];
	}
	for (int j = 0; j < k6; j++) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h->addr[h->naddr++];

		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = w->a6[j];
	}
}

/* req_decide_hops - the result from the hops' answers */
static void
req_decide_hops(struct dns_req *req)
{
	int usable = 0, temp = 0, nx = 0;

	for (int i = 0; i < req->nhops; i++) {
		struct dns_work *w = &req->work[i];

		hop_fill(req, i);
		if (req->hops[i].naddr > 0) {
			if (i != usable)
				req->hops[usable] = req->hops[i];
			usable++;
			continue;
		}
		if (w->st4 == DNS_TEMPFAIL || w->st6 == DNS_TEMPFAIL)
			temp = 1;
		if (w->st4 == DNS_NXDOMAIN && w->st6 == DNS_NXDOMAIN)
			nx++;
	}
	req->nhops = usable;
	if (usable > 0)
		req->st = DNS_OK;
	else if (temp)
		req->st = DNS_TEMPFAIL;
	else if ((req->kind == REQ_ADDR || req->implicit) && nx > 0)
		req->st = DNS_NXDOMAIN;
	else
		req->st = DNS_NODATA;
}

/* req_finish - all queries answered: queue the lookup for delivery */
static void
req_finish(struct dns_req *req)
{
	struct dns *d = req->d;

	if (!req->decided)
		req_decide_hops(req);
	TAILQ_REMOVE(&d->active, req, entry);
	TAILQ_INSERT_TAIL(&d->done, req, entry);
	d->ndone++;
	event_active(d->done_ev, EV_TIMEOUT, 0);
}

/* req_decide - end the lookup with st, without addresses */
static void
req_decide(struct dns_req *req, enum dns_status st)
{
	req->st = st;
	req->decided = 1;
}

/* query_start - ask one question for req; -1 when shutting down */
static int
query_start(struct dns_req *req, int type, int hop, int try)
{
	struct dns *d = req->d;
	struct dns_chan *c = d->chan;
	struct dns_q *q;

	if (d->freeing || c == NULL)
		return -1;
	q = xcalloc(1, sizeof(*q));
	q->c = c;
	q->req = req;
	q->type = type;
	q->hop = hop;
	q->try = try;
	req->pending++;
	c->nq++;
	/* may call qcallback before returning: q is not ours after this */
	ares_query(c->ch, hop < 0 ? req->name : req->hops[hop].host, ns_c_in, type,
	    qcallback, q);
	chan_arm(c);
	return 0;
}

/* start_addrs - ask A and AAAA for every hop at once */
static void
start_addrs(struct dns_req *req)
{
	req->pending++;		/* hold: answers may come back synchronously */
	for (int i = 0; i < req->nhops; i++) {
		if (query_start(req, ns_t_a, i, 1) < 0)
			req->work[i].st4 = DNS_TEMPFAIL;
		if (query_start(req, ns_t_aaaa, i, 1) < 0)
			req->work[i].st6 = DNS_TEMPFAIL;
	}
	if (--req->pending == 0)
		req_finish(req);
}

/* addr_answer - an A or AAAA answer for hop i */
static void
addr_answer(struct dns_req *req, int type, int i, int status, const unsigned char *abuf,
    int alen)
{
	struct dns_work *w = &req->work[i];
	enum dns_status st = map_status(status);
	int rc, n = DNS_MAX_ADDRS;

	if (status == ARES_SUCCESS && type == ns_t_a) {
		struct ares_addrttl at[DNS_MAX_ADDRS];

		rc = ares_parse_a_reply(abuf, alen, NULL, at, &n);
		if (rc == ARES_SUCCESS && n > 0) {
			for (int j = 0; j < n; j++)
				w->a4[j] = at[j].ipaddr;
			w->n4 = n;
		} else {
			st = rc == ARES_SUCCESS || rc == ARES_ENODATA ? DNS_NODATA : DNS_TEMPFAIL;
		}
	} else if (status == ARES_SUCCESS) {
		struct ares_addr6ttl at[DNS_MAX_ADDRS];

		rc = ares_parse_aaaa_reply(abuf, alen, NULL, at, &n);
		if (rc == ARES_SUCCESS && n > 0) {
			for (int j = 0; j < n; j++)
				memcpy(&w->a6[j], &at[j].ip6addr, 16);
			w->n6 = n;
		} else {
			st = rc == ARES_SUCCESS || rc == ARES_ENODATA ? DNS_NODATA : DNS_TEMPFAIL;
		}
	}
	if (type == ns_t_a)
		w->st4 = st;
	else
		w->st6 = st;
}

/* skip_name - the offset after the (possibly compressed) name at off; -1 if cut */
static int
skip_name(const unsigned char *abuf, int alen, int off)
{
	while (off < alen) {
		unsigned int len = abuf[off];

		if (len == 0)
			return off + 1;
		if ((len & 0xc0) == 0xc0)
			return off + 2 <= alen ? off + 2 : -1;	/* a pointer ends the name */
		if ((len & 0xc0) != 0)
			return -1;
		off += 1 + (int)len;
	}
	return -1;
}

/* get32 - a 32-bit network order integer */
static unsigned long
get32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 |
	    p[3];
}

/*
 * negative_ttl - how long a negative answer may be cached (RFC 2308 5):
 * the smaller of the authority section's SOA TTL and its MINIMUM field;
 * -1 when the answer carries no SOA (c-ares parses none of this)
 */
static int
negative_ttl(const unsigned char *abuf, int alen)
{
	int off = 12, qd, an, ns;

	if (abuf == NULL || alen < 12)
		return -1;
	qd = abuf[4] << 8 | abuf[5];
	an = abuf[6] << 8 | abuf[7];
	ns = abuf[8] << 8 | abuf[9];
	for (int i = 0; i < qd; i++)
		if ((off = skip_name(abuf, alen, off)) < 0 || (off += 4) > alen)
			return -1;
	for (int i = 0; i < an + ns; i++) {
		int type, rdlen, rd;
		unsigned long ttl, min;

		if ((off = skip_name(abuf, alen, off)) < 0 || off + 10 > alen)
			return -1;
		type = abuf[off] << 8 | abuf[off + 1];
		ttl = get32(abuf + off + 4);
		rdlen = abuf[off + 8] << 8 | abuf[off + 9];
		rd = off + 10;
		if (rd + rdlen > alen)
			return -1;
		off = rd + rdlen;
		if (i < an || type != ns_t_soa)
			continue;
		/* MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM */
		if ((rd = skip_name(abuf, alen, rd)) < 0 || (rd = skip_name(abuf, alen, rd)) < 0 ||
		    rd + 20 > off)
			return -1;
		min = get32(abuf + rd + 16);
		if (min < ttl)
			ttl = min;
		return ttl > 0x7fffffffUL ? 0x7fffffff : (int)ttl;
	}
	return -1;
}

/* a_answer - the answer of dns_query_a: addresses (host order) and the smallest TTL */
static void
a_answer(struct dns_req *req, int status, const unsigned char *abuf, int alen)
{
	struct ares_addrttl at[DNS_MAX_ADDRS];
	int rc, n = DNS_MAX_ADDRS;

	req->ttl = -1;
	if (status != ARES_SUCCESS) {
		if (status == ARES_ENOTFOUND || status == ARES_ENODATA)
			req->ttl = negative_ttl(abuf, alen);
		req_decide(req, map_status(status));
		return;
	}
	rc = ares_parse_a_reply(abuf, alen, NULL, at, &n);
	if (rc != ARES_SUCCESS || n <= 0) {
		/* only a CNAME (c-ares 1.18 says SUCCESS with no records) */
		if (rc == ARES_SUCCESS || rc == ARES_ENODATA) {
			req->ttl = negative_ttl(abuf, alen);
			req_decide(req, DNS_NODATA);
		} else {
			req_decide(req, DNS_TEMPFAIL);
		}
		return;
	}
	for (int i = 0; i < n; i++) {
		req->a[i] = ntohl(at[i].ipaddr.s_addr);
		if (req->ttl < 0 || at[i].ttl < req->ttl)
			req->ttl = at[i].ttl < 0 ? 0 : at[i].ttl;
	}
	req->na = n;
	req_decide(req, DNS_OK);
}

/*
 * ptr_answer - the answer of dns_resolve_ptr: the first PTR record of the
 * answer section that is a host name. Records are taken in the order the
 * server sent them; a CNAME on the way (RFC 2317 classless delegation)
 * comes before the PTR and is passed over like any other type.
 */
static void
ptr_answer(struct dns_req *req, int status, const unsigned char *abuf, int alen)
{
	int off = 12, qd, an;

	if (status != ARES_SUCCESS) {
		req_decide(req, map_status(status));
		return;
	}
	if (abuf == NULL || alen < 12) {
		req_decide(req, DNS_TEMPFAIL);
		return;
	}
	qd = abuf[4] << 8 | abuf[5];
	an = abuf[6] << 8 | abuf[7];
	for (int i = 0; i < qd; i++)
		if ((off = skip_name(abuf, alen, off)) < 0 || (off += 4) > alen) {
			req_decide(req, DNS_TEMPFAIL);
			return;
		}
	for (int i = 0; i < an; i++) {
		int type, class, rdlen, rd;
		char *name = NULL;
		long enclen;

		if ((off = skip_name(abuf, alen, off)) < 0 || off + 10 > alen)
			break;	/* cut short: what came before had no usable name */
		type = abuf[off] << 8 | abuf[off + 1];
		class = abuf[off + 2] << 8 | abuf[off + 3];
		rdlen = abuf[off + 8] << 8 | abuf[off + 9];
		rd = off + 10;
		if (rd + rdlen > alen)
			break;
		off = rd + rdlen;
		if (type != ns_t_ptr || class != ns_c_in)
			continue;
		if (ares_expand_name(abuf + rd, abuf, alen, &name, &enclen) != ARES_SUCCESS)
			continue;
		/*
		 * ares_expand_name escapes dots and odd bytes inside labels
		 * ("a\.b", "\010"): neither passes name_norm. An address as
		 * name would confirm itself in dns_resolve_addr.
		 */
		if (name_norm(name, req->ptr, sizeof(req->ptr)) == 0 && !syntax_ipv4(req->ptr)) {
			ares_free_string(name);
			req_decide(req, DNS_OK);
			return;
		}
		ares_free_string(name);
	}
	req->ptr[0] = '\0';
	req_decide(req, DNS_NODATA);
}

struct mx_cand {
	const char *host;		/* as c-ares expanded it */
	int pref;			/* MX preference */
	uint32_t key;			/* random order among equal preferences */
};

/* mx_cand_cmp - by preference, then by the random key */
static int
mx_cand_cmp(const void *a, const void *b)
{
	const struct mx_cand *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

/* is_root - the root name ".", however c-ares spells it */
static int
is_root(const char *h)
{
	return h[0] == '\0' || strcmp(h, ".") == 0;
}

/* mx_hops - choose the hops from MX records: sorted, deduplicated, bounded */
static void
mx_hops(struct dns_req *req, struct ares_mx_reply *mx)
{
	struct dns_hop hops[DNS_MAX_HOPS];
	struct mx_cand *cand;
	struct ares_mx_reply *m;
	char host[256];
	int n = 0, nc = 0, nh = 0;

	for (m = mx; m != NULL; m = m->next)
		n++;
	/* RFC 7505 3: a null MX is the only MX record, "0 ." */
	if (n == 1 && mx->priority == 0 && is_root(mx->host)) {
		req_decide(req, DNS_NULLMX);
		return;
	}
	cand = xcalloc((size_t)n, sizeof(*cand));
	for (m = mx; m != NULL; m = m->next) {
		/*
		 * "." mixed with real MX records breaks RFC 7505: skip it. An
		 * address as exchange ("10 192.0.2.1") is a misconfiguration
		 * RFC 5321 5.1 does not allow; Postfix ignores it too.
		 */
		if (is_root(m->host) || name_norm(m->host, host, sizeof(host)) < 0 ||
		    syntax_ipv4(host))
			continue;
		cand[nc].host = m->host;
		cand[nc].pref = m->priority;
		cand[nc].key = arc4random();
		nc++;
	}
	/* RFC 5321 5.1: equal preferences in random order, to spread load */
	qsort(cand, (size_t)nc, sizeof(*cand), mx_cand_cmp);
	for (int i = 0; i < nc && nh < DNS_MAX_HOPS; i++) {
		int dup = 0;

		name_norm(cand[i].host, host, sizeof(host));
		for (int j = 0; j < nh && !dup; j++)
			dup = strcmp(hops[j].host, host) == 0;
		if (dup)
			continue;	/* listed twice: the better preference won */
		str_copy(hops[nh].host, host, sizeof(hops[nh].host));
		hops[nh].pref = cand[i].pref;
		nh++;
	}
	free(cand);
	if (nh == 0) {
		req_decide(req, DNS_NODATA);
		return;
	}
	req_hops(req, nh);
	for (int i = 0; i < nh; i++) {
		str_copy(req->hops[i].host, hops[i].host, sizeof(req->hops[i].host));
		req->hops[i].pref = hops[i].pref;
	}
	start_addrs(req);
}

/* mx_answer - the MX answer for a mail lookup */
static void
mx_answer(struct dns_req *req, int status, const unsigned char *abuf, int alen)
{
	struct ares_mx_reply *mx = NULL;
	int rc;

	if (status == ARES_SUCCESS) {
		rc = ares_parse_mx_reply(abuf, alen, &mx);
		if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && mx == NULL)) {
			/*
			 * Only a CNAME (c-ares 1.18 says SUCCESS with no
			 * records): RFC 5321 5.1 treats the target as the
			 * domain, and the A/AAAA queries follow the CNAME.
			 */
			status = ARES_ENODATA;
		} else if (rc != ARES_SUCCESS) {
			req_decide(req, DNS_TEMPFAIL);
			return;
		}
	}
	if (status == ARES_SUCCESS) {
		mx_hops(req, mx);
		ares_free_data(mx);
	} else if (status == ARES_ENODATA) {
		/* RFC 5321 5.1: no MX records, the domain is its own implicit MX */
		req->implicit = 1;
		req_hops(req, 1);
		str_copy(req->hops[0].host, req->name, sizeof(req->hops[0].host));
		start_addrs(req);
	} else {
		req_decide(req, map_status(status));
	}
}

/* raw_why - how a raw query ended: the DNS RCODE name, or why there was no answer */
static const char *
raw_why(int status)
{
	switch (status) {
	case ARES_SUCCESS:
	case ARES_ENODATA:
		return "NOERROR";
	case ARES_ENOTFOUND:
		return "NXDOMAIN";
	case ARES_ESERVFAIL:
		return "SERVFAIL";
	case ARES_EREFUSED:
		return "REFUSED";
	case ARES_ENOTIMP:
		return "NOTIMP";
	case ARES_EFORMERR:
		return "FORMERR";
	case ARES_ETIMEOUT:
		return "timed out";
	case ARES_ECONNREFUSED:
		return "connection refused";
	case ARES_EBADRESP:
		return "malformed response";
	case ARES_EBADNAME:
		return "malformed name";
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return "resolver shut down";
	default:
		return ares_strerror(status);
	}
}

/*
 * raw_answer - dns_query_raw: keep the answer as it came, for
 * dns_answer_parse, and the server it came from. A status that stands
 * for a server's reply was decided while c-ares read that server's
 * socket; a timeout or refusal ends on no one server's word.
 */
static void
raw_answer(struct dns_req *req, struct dns_chan *c, int status, const unsigned char *abuf,
    int alen)
{
	socklen_t sl = sizeof(req->from);

	memset(&req->from, 0, sizeof(req->from));
	switch (status) {
	case ARES_SUCCESS:
	case ARES_ENODATA:
	case ARES_ENOTFOUND:
	case ARES_ESERVFAIL:
	case ARES_EREFUSED:
	case ARES_ENOTIMP:
	case ARES_EFORMERR:
	case ARES_EBADRESP:
		if (c->reading == ARES_SOCKET_BAD ||
		    getpeername(c->reading, (struct sockaddr *)&req->from, &sl) < 0)
			memset(&req->from, 0, sizeof(req->from));
		break;
	default:
		break;
	}
	req->astatus = status;
	free(req->abuf);
	req->abuf = NULL;
	req->alen = 0;
	if (abuf != NULL && alen >= 12 && alen <= 65535) {
		req->abuf = xmalloc((size_t)alen);
		memcpy(req->abuf, abuf, (size_t)alen);
		req->alen = alen;
	}
	req_decide(req, map_status(status));
}

/* qcallback - c-ares answered (or gave up on) one query */
static void
qcallback(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_q *q = arg;
	struct dns_chan *c = q->c;
	struct dns_req *req = q->req;
	struct dns *d = req->d;
	int type = q->type, hop = q->hop, try = q->try;

	free(q);
	if (--c->nq == 0 && c != d->chan && !d->freeing)
		event_active(d->done_ev, EV_TIMEOUT, 0);	/* retired and idle: reap */
	/* a retry, if any, carries on in a new query; else this is the answer */
	if (!retryable(status) || try >= d->tries || query_start(req, type, hop, try + 1) < 0) {
		if (req->kind == REQ_RAW)
			raw_answer(req, c, status, abuf, alen);
		else if (type == ns_t_mx)
			mx_answer(req, status, abuf, alen);
		else if (req->kind == REQ_A)
			a_answer(req, status, abuf, alen);
		else if (req->kind == REQ_PTR)
			ptr_answer(req, status, abuf, alen);
		else
			addr_answer(req, type, hop, status, abuf, alen);
	}
	if (--req->pending == 0)
		req_finish(req);
}

/* deliver - call the lookup's callback */
static void
deliver(struct dns_req *req, enum dns_status st)
{
	int ok = st == DNS_OK;

	if (req->kind == REQ_MAIL)
		req->mail_cb(st, ok ? req->hops : NULL, ok ? req->nhops : 0, req->arg);
	else if (req->kind == REQ_A)
		req->a_cb(st, ok ? req->a : NULL, ok ? req->na : 0, ok || st == DNS_NXDOMAIN ||
		    st == DNS_NODATA ? req->ttl : -1, req->arg);
	else if (req->kind == REQ_PTR)
		req->ptr_cb(st, ok ? req->ptr : NULL, req->arg);
	else if (req->kind == REQ_RAW)
		req->raw_cb(st, req->decided && st == req->st ? raw_why(req->astatus) :
		    "resolver shut down", st == req->st ? req->abuf : NULL,
		    st == req->st ? req->alen : 0,
		    st == req->st && req->from.ss_family != AF_UNSPEC ? &req->from : NULL, req->arg);
	else
		req->addr_cb(st, ok ? req->hops[0].addr : NULL, ok ? req->hops[0].naddr : 0,
		    req->arg);
}

/* release - free d itself, once nothing can refer to it */
static void
release(struct dns *d)
{
	event_free(d->done_ev);
	free(d);
}

/* done_cb - deliver finished lookups; close retired channels gone idle */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns *d = arg;
	struct dns_req *req;
	struct dns_chan *c, *next;
	int n = d->ndone;	/* not more: a callback's new lookups wait a turn */

	d->delivering = 1;
	while (n-- > 0 && !d->dead && (req = TAILQ_FIRST(&d->done)) != NULL) {
		TAILQ_REMOVE(&d->done, req, entry);
		d->ndone--;
		deliver(req, req->st);
		req_free(req);
	}
	d->delivering = 0;
	if (d->dead) {
		release(d);
		return;
	}
	for (c = TAILQ_FIRST(&d->retired); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->nq == 0) {
			TAILQ_REMOVE(&d->retired, c, entry);
			chan_free(c);
		}
	}
}

/* ---------------------------------------------------------------- interface */

/* dns_new - a resolver on base */
struct dns *
dns_new(struct event_base *base, const char *servers, int timeout_ms, int tries, char **cause)
{
	struct dns_server sv[DNS_MAX_SERVERS];
	struct dns *d;
	int n, rc;

	if (base == NULL) {
		fail(cause, "No event loop for the DNS resolver.");
		return NULL;
	}
	if (timeout_ms < 1 || timeout_ms > DNS_TIMEOUT_MAX || tries < 1 || tries > DNS_TRIES_MAX) {
		fail(cause, "Invalid DNS timeout %d ms or tries %d (1-%d ms, 1-%d tries).",
		    timeout_ms, tries, DNS_TIMEOUT_MAX, DNS_TRIES_MAX);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	if (parse_servers(servers, sv, &n, d->servers, sizeof(d->servers), cause) < 0) {
		free(d);
		return NULL;
	}
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		free(d);
		fail(cause, "Cannot start the DNS resolver: %s.", ares_strerror(rc));
		return NULL;
	}
	d->base = base;
	d->timeout_ms = timeout_ms;
	d->tries = tries;
	TAILQ_INIT(&d->retired);
	TAILQ_INIT(&d->active);
	TAILQ_INIT(&d->done);
	if ((d->chan = chan_new(d, sv, n, cause)) == NULL) {
		ares_library_cleanup();
		free(d);
		return NULL;
	}
	d->done_ev = xevent_new(base, -1, 0, done_cb, d);
	return d;
}

/* dns_set_servers - switch servers; lookups in flight finish on the old ones */
int
dns_set_servers(struct dns *d, const char *servers, char **cause)
{
	struct dns_server sv[DNS_MAX_SERVERS];
	char norm[DNS_SERVERS_MAX];
	struct dns_chan *c, *old;
	int n;

	if (d->freeing)
		return fail(cause, "The DNS resolver is shutting down.");
	if (parse_servers(servers, sv, &n, norm, sizeof(norm), cause) < 0)
		return -1;
	if (strcmp(norm, d->servers) == 0)
		return 0;
	if ((c = chan_new(d, sv, n, cause)) == NULL)
		return -1;
	old = d->chan;
	d->chan = c;
	str_copy(d->servers, norm, sizeof(d->servers));
	/* never called from inside c-ares (callbacks are deferred), so this is safe */
	if (old->nq == 0)
		chan_free(old);
	else
		TAILQ_INSERT_TAIL(&d->retired, old, entry);
	return 0;
}

/* dns_free - cancel all lookups (each reports DNS_TEMPFAIL now) and free d */
void
dns_free(struct dns *d)
{
	struct dns_chan *c;
	struct dns_req *req;

	if (d == NULL || d->freeing)
		return;
	d->freeing = 1;
	/* destroying a channel answers its queries with ARES_EDESTRUCTION */
	while ((c = TAILQ_FIRST(&d->retired)) != NULL) {
		TAILQ_REMOVE(&d->retired, c, entry);
		chan_free(c);
	}
	chan_free(d->chan);
	d->chan = NULL;
	/* so every lookup is on the done list now; a callback may add more */
	while ((req = TAILQ_FIRST(&d->active)) != NULL)
		req_finish(req);	/* cannot happen: no query is left to hold it */
	while ((req = TAILQ_FIRST(&d->done)) != NULL) {
		TAILQ_REMOVE(&d->done, req, entry);
		d->ndone--;
		deliver(req, DNS_TEMPFAIL);
		req_free(req);
	}
	ares_library_cleanup();
	if (d->delivering)
		d->dead = 1;	/* done_cb is on the stack: it releases d */
	else
		release(d);
}

/* dns_resolve_mail - the next hops for mail to domain */
void
dns_resolve_mail(struct dns *d, const char *domain, dns_mail_cb cb, void *arg)
{
	struct dns_req *req = req_new(d, REQ_MAIL, arg);

	req->mail_cb = cb;
	if (name_norm(domain, req->name, sizeof(req->name)) < 0 || syntax_ipv4(req->name)) {
		req_decide(req, DNS_BADNAME);
		req_finish(req);
	} else if (query_start(req, ns_t_mx, -1, 1) < 0) {
		req_decide(req, DNS_TEMPFAIL);
		req_finish(req);
	}
}

/*
 * hosts_file - a host named in a route is looked up in the hosts file
 * first (as the operator's resolver would: "localhost" is not in the
 * DNS); 1 with the request decided, 0 when the file does not name it
 */
static int
hosts_file(struct dns_req *req)
{
	struct dns_work *w = &req->work[0];
	struct hostent *he = NULL;

	if (req->d->chan == NULL)
		return 0;
	if (ares_gethostbyname_file(req->d->chan->ch, req->name, AF_INET, &he) == ARES_SUCCESS) {
		for (int i = 0; he->h_addr_list[i] && w->n4 < DNS_MAX_ADDRS; i++)
			memcpy(&w->a4[w->n4++], he->h_addr_list[i], sizeof(w->a4[0]));
		ares_free_hostent(he);
	}
	he = NULL;
	if (ares_gethostbyname_file(req->d->chan->ch, req->name, AF_INET6, &he) == ARES_SUCCESS) {
		for (int i = 0; he->h_addr_list[i] && w->n6 < DNS_MAX_ADDRS; i++)
			memcpy(&w->a6[w->n6++], he->h_addr_list[i], sizeof(w->a6[0]));
		ares_free_hostent(he);
	}
	if (w->n4 + w->n6 == 0)
		return 0;
	hop_fill(req, 0);
	req_decide(req, DNS_OK);
	req_finish(req);
	return 1;
}

/* dns_resolve_addr - the addresses of a host name or IP literal */
void
dns_resolve_addr(struct dns *d, const char *host, dns_addr_cb cb, void *arg)
{
	struct dns_req *req = req_new(d, REQ_ADDR, arg);
	struct sockaddr_storage ss;

	req->addr_cb = cb;
	req_hops(req, 1);
	if (parse_literal(host, &ss) == 0) {
		req->hops[0].addr[0] = ss;
		req->hops[0].naddr = 1;
		str_copy(req->hops[0].host, host, sizeof(req->hops[0].host));
		req_decide(req, DNS_OK);
		req_finish(req);
	} else if (name_norm(host, req->name, sizeof(req->name)) < 0) {
		req_decide(req, DNS_BADNAME);
		req_finish(req);
	} else {
		str_copy(req->hops[0].host, req->name, sizeof(req->hops[0].host));
		if (!hosts_file(req))
			start_addrs(req);
	}
}

/* dns_query_a - the A records of name, with their smallest TTL */
void
dns_query_a(struct dns *d, const char *name, dns_a_cb cb, void *arg)
{
	struct dns_req *req = req_new(d, REQ_A, arg);

	req->a_cb = cb;
	req->ttl = -1;
	if (name_norm(name, req->name, sizeof(req->name)) < 0) {
		req_decide(req, DNS_BADNAME);
		req_finish(req);
	} else if (query_start(req, ns_t_a, -1, 1) < 0) {
		req_decide(req, DNS_TEMPFAIL);
		req_finish(req);
	}
}

/*
 * ptr_qname - the reverse name of an address: "1.2.0.192.in-addr.arpa",
 * or 32 nibbles and "ip6.arpa"; -1 if ip is not an address
 */
static int
ptr_qname(const char *ip, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	struct sockaddr_storage ss;
	const unsigned char *b;
	size_t len = 0;

	if (parse_literal(ip, &ss) < 0)
		return -1;
	if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;

		b = a6->s6_addr;
		if (!IN6_IS_ADDR_V4MAPPED(a6)) {
			if (size < 32 * 2 + sizeof("ip6.arpa"))
				return -1;
			for (int i = 15; i >= 0; i--) {
				out[len++] = hex[b[i] & 0xf];
				out[len++] = '.';
				out[len++] = hex[b[i] >> 4];
				out[len++] = '.';
			}
			memcpy(out + len, "ip6.arpa", sizeof("ip6.arpa"));
			return 0;
		}
		b += 12;	/* ::ffff:a.b.c.d: the IPv4 address it carries */
	} else {
		b = (const unsigned char *)&((struct sockaddr_in *)&ss)->sin_addr;
	}
	return str_fmt(out, size, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
}

/* dns_resolve_ptr - the host name an address points back to */
void
dns_resolve_ptr(struct dns *d, const char *ip, dns_ptr_cb cb, void *arg)
{
	struct dns_req *req = req_new(d, REQ_PTR, arg);

	req->ptr_cb = cb;
	if (ptr_qname(ip, req->name, sizeof(req->name)) < 0) {
		req_decide(req, DNS_BADNAME);
		req_finish(req);
	} else if (query_start(req, ns_t_ptr, -1, 1) < 0) {
		req_decide(req, DNS_TEMPFAIL);
		req_finish(req);
	}
}

/* ---------------------------------------------------------------- raw queries (dig) */

static const struct {
	const char *name;
	int type;
} rr_types[] = {
	{ "A", ns_t_a }, { "NS", ns_t_ns }, { "CNAME", ns_t_cname }, { "SOA", ns_t_soa },
	{ "PTR", ns_t_ptr }, { "MX", ns_t_mx }, { "TXT", ns_t_txt }, { "AAAA", ns_t_aaaa },
};

/* dns_type_name - "MX" for ns_t_mx; NULL for a type we do not name */
const char *
dns_type_name(int type)
{
	for (size_t i = 0; i < sizeof(rr_types) / sizeof(rr_types[0]); i++)
		if (rr_types[i].type == type)
			return rr_types[i].name;
	return NULL;
}

/* dns_type_parse - the type a name ("mx", "AAAA") stands for; -1 if none */
int
dns_type_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(rr_types) / sizeof(rr_types[0]); i++)
		if (strcasecmp(rr_types[i].name, name) == 0)
			return rr_types[i].type;
	return -1;
}

/* dns_ptr_name - the reverse name of an address; -1 if ip is not one */
int
dns_ptr_name(const char *ip, char *out, size_t size)
{
	return ptr_qname(ip, out, size);
}

/* dns_query_raw - ask one question; the answer as it came */
void
dns_query_raw(struct dns *d, const char *name, int type, dns_raw_cb cb, void *arg)
{
	struct dns_req *req = req_new(d, REQ_RAW, arg);

	req->raw_cb = cb;
	req->qtype = type;
	req->astatus = ARES_EBADNAME;
	if (dns_type_name(type) == NULL || name_norm(name, req->name, sizeof(req->name)) < 0) {
		req_decide(req, DNS_BADNAME);
		req_finish(req);
		return;
	}
	/* asked in the case written: the answer's owner names echo it */
	memcpy(req->name, name, strlen(req->name));
	if (query_start(req, type, -1, 1) < 0) {
		req->astatus = ARES_EDESTRUCTION;
		req_decide(req, DNS_TEMPFAIL);
		req_finish(req);
	}
}

/* rr_name - the name at *off (compression followed) in presentation form, case kept; -1 if bad */
static int
rr_name(const unsigned char *abuf, int alen, int *off, char *out, size_t size)
{
	char *name = NULL;
	long enclen;
	int r;

	if (ares_expand_name(abuf + *off, abuf, alen, &name, &enclen) != ARES_SUCCESS)
		return -1;
	*off += (int)enclen;
	r = str_copy(out, name, size);
	ares_free_string(name);
	return r < 0 ? -1 : 0;	/* as received: dig shows the case the server sent */
}

/*
 * txt_data - TXT character-strings, each quoted, unprintable bytes as
 * \DDD (RFC 1035 5.1); what does not fit in size ends with "..."
 */
static int
txt_data(const unsigned char *p, int len, char *out, size_t size)
{
	size_t o = 0;
	int i = 0;

	if (size < 16)
		return -1;
	out[0] = '\0';
	while (i < len) {
		int n = p[i++];

		if (i + n > len)
			return -1;	/* a string runs past the record */
		if (o + 12 >= size) {
			str_copy(out + o, " ...", size - o);
			return 0;
		}
		if (o > 0)
			out[o++] = ' ';
		out[o++] = '"';
		for (int k = 0; k < n; k++) {
			unsigned char ch = p[i + k];

			if (o + 10 >= size) {
				str_copy(out + o, "...\"", size - o);
				return 0;
			}
			if (ch == '"' || ch == '\\') {
				out[o++] = '\\';
				out[o++] = (char)ch;
			} else if (ch < 0x20 || ch > 0x7e) {
				snprintf(out + o, size - o, "\\%03u", ch);
				o += 4;
			} else {
				out[o++] = (char)ch;
			}
		}
		i += n;
		out[o++] = '"';
		out[o] = '\0';
	}
	return 0;
}

/* rr_data - one record's data in presentation form */
static int
rr_data(const unsigned char *abuf, int alen, int rd, int rdlen, int type, char *out, size_t size)
{
	char name[DNS_RR_NAME_MAX];
	int off = rd;

	switch (type) {
	case ns_t_a:
		if (rdlen != 4 || inet_ntop(AF_INET, abuf + rd, out, (socklen_t)size) == NULL)
			return -1;
		return 0;
	case ns_t_aaaa:
		if (rdlen != 16 || inet_ntop(AF_INET6, abuf + rd, out, (socklen_t)size) == NULL)
			return -1;
		return 0;
	case ns_t_mx:
		if (rdlen < 3)
			return -1;
		off += 2;
		if (rr_name(abuf, alen, &off, name, sizeof(name)) < 0 || off > rd + rdlen)
			return -1;
		return str_fmt(out, size, "%u %s.", abuf[rd] << 8 | abuf[rd + 1],
		    is_root(name) ? "" : name);
	case ns_t_ptr:
	case ns_t_cname:
	case ns_t_ns:
		if (rr_name(abuf, alen, &off, name, sizeof(name)) < 0 || off > rd + rdlen)
			return -1;
		return str_fmt(out, size, "%s.", is_root(name) ? "" : name);
	case ns_t_txt:
		return txt_data(abuf + rd, rdlen, out, size);
	default:
		return str_fmt(out, size, "\\# %d", rdlen);	/* RFC 3597 3, without the bytes */
	}
}

/* dns_answer_parse - the answer section of a DNS message */
int
dns_answer_parse(const unsigned char *abuf, int alen, struct dns_rr *rr, int max,
    int *nrr, int *total, int *rcode)
{
	int off = 12, qd, an, n = 0, all = 0;

	*nrr = 0;
	*total = 0;
	if (abuf == NULL || alen < 12)
		return -1;
	*rcode = abuf[3] & 0x0f;
	qd = abuf[4] << 8 | abuf[5];
	an = abuf[6] << 8 | abuf[7];
	for (int i = 0; i < qd; i++)
		if ((off = skip_name(abuf, alen, off)) < 0 || (off += 4) > alen)
			return -1;
	/* past max, records are only counted: their data is not decoded */
	for (int i = 0; i < an; i++) {
		struct dns_rr *r = &rr[n];
		int type, class, rdlen, rd;

		if (n < max) {
			if (rr_name(abuf, alen, &off, r->name, sizeof(r->name)) < 0)
				return -1;
		} else if ((off = skip_name(abuf, alen, off)) < 0) {
			return -1;
		}
		if (off + 10 > alen)
			return -1;
		type = abuf[off] << 8 | abuf[off + 1];
		class = abuf[off + 2] << 8 | abuf[off + 3];
		rdlen = abuf[off + 8] << 8 | abuf[off + 9];
		rd = off + 10;
		if (rd + rdlen > alen)
			return -1;
		if (class != ns_c_in) {
			off = rd + rdlen;
			continue;
		}
		all++;
		if (n < max) {
			r->ttl = get32(abuf + off + 4);
			r->type = type;
			if (rr_data(abuf, alen, rd, rdlen, type, r->data, sizeof(r->data)) < 0)
				return -1;
			n++;
		}
		off = rd + rdlen;
	}
	*nrr = n;
	*total = all;
	return 0;
}
