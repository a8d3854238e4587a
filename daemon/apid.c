/*
 * apid.c - the HTTP(S) API thread of mxgated (see apid.h).
 *
 * The thread runs its own event_base with one evhttp per port (api.http,
 * api.https), bound to api.address. HTTPS connections get a
 * bufferevent_openssl from the bevcb, with an SSL_CTX built here from
 * certconfig's certificate (TLS 1.2 at least). Limits: header size, body
 * size (api.max_body: evhttp refuses a bigger body with 413 before it is
 * read), the time a connection may stay idle (api.timeout), the time it
 * may live at all (APID_LIFE_MULT x api.timeout: evhttp's idle timeout is
 * reset by every byte, so a client trickling bytes would otherwise hold
 * its socket for ever), and the connections open at once (api.max_conns,
 * both ports together).
 *
 * Connections are counted when they are accepted, not when a request
 * arrives: idle, slow and mid-handshake sockets hold descriptors too, and
 * a client holding thousands of them would starve mail of descriptors.
 * Every connection's bufferevent is made here (the bevcb, on both ports)
 * and holds one extra reference of ours, so it is not destroyed (nor its
 * socket closed) until the sweep sees that evhttp let it go (its
 * callbacks cleared by bufferevent_free) and drops the reference. At
 * api.max_conns the listeners are disabled (new connections wait in the
 * kernel's backlog, costing the daemon nothing) and enabled again when
 * the count falls.
 *
 * The thread has its own store handles (config.db for the accounts,
 * queue.db for remediation requests) and never touches the loop's. The
 * audit lines (DIR/logs/api_logs/api.current, one per request: peer,
 * user, method, path with secret-looking query values masked, status,
 * bytes) are handed to the loop thread, which owns log writing (logfile
 * deferral is the loop's); remediation requests wake the engine with
 * remd_wake.
 *
 * Reconfiguration runs in the API thread: apid_reconfigure posts the new
 * values and returns at once (the loop thread carries mail and must not
 * wait for a long search), raising the cancel flag that long handlers
 * (tracking) check. When the new ports cannot be bound the old ones are
 * bound again; the cause is handed to the loop thread, which alerts
 * ("API configuration not applied: ..."): only the loop thread logs.
 *
 * The HTTPS port also serves the threat response module (mail/relay.h)
 * while cloud.enabled is on: its paths go to relay_handle (on the plain
 * port, and with cloud off, they are unknown API paths: 404). A trigger's
 * answer waits for its remediation request: a timer on this thread's base
 * polls the request (RELAY_POLL_MS) until the engine finished it or the
 * wait's ceiling passed, so the thread never blocks. The audit line of a
 * module call names the caller (the token's sub) instead of an account.
 *
 * DIAGNOSTICS: apid_start and apid_reconfigure answer -1 (NULL) with a
 * malloc'd one-line *cause (address in use, certificate missing, store).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "daemon/apid.h"
#include "daemon/remd.h"
#include "mail/api.h"
#include "mail/relay.h"
#include "store/queue.h"
#include "store/store.h"
#include "util/logfile.h"
#include "util/printable.h"
#include "util/str.h"
#include "util/version.h"

#define APID_HEADERS_MAX 16384		/* bytes of a request's headers */
#define APID_AUDIT_MAX 1000		/* audit lines waiting for the loop */
#define APID_LIFE_MULT 2		/* a connection lives at most this x api.timeout */
#define APID_SWEEP_MS 250		/* how often released connections are counted out */
#define RELAY_POLL_MS 200		/* how often a trigger's remediation request is looked at */

/* what the listeners are made from (a copy: the conf belongs to the loop) */
struct lconf {
	int http, https, http_port, https_port;
	char address[64];
	int max_body, max_conns, timeout, token_lifetime;
	char hostname[256];		/* hostName in tracking answers */
	int cloud;			/* cloud.enabled: the threat response module is served */
	char tr_server[520];		/* cloud.tr_server */
	char *cert, *key;		/* PEM (malloc'd) */
	int64_t version;		/* the commit these came from (alerts) */
};

/* a connection accepted and not yet destroyed */
struct aconn {
	struct bufferevent *bev;	/* ours: one reference held */
	struct timespec since;		/* accepted (CLOCK_MONOTONIC) */
};

struct apid {
	struct gw *gw;			/* loop thread only (audit writes) */
	struct remd *rd;		/* woken after remediation requests (thread-safe) */
	pthread_t th;
	int running;			/* the thread was started */
	struct event_base *base;	/* the API thread's */
	struct evhttp *http[2];		/* [0] plain, [1] TLS; NULL when off */
	struct evhttp_bound_socket *bound[2];	/* their listening sockets */
	int paused;			/* listeners disabled: api.max_conns reached */
	SSL_CTX *ssl;			/* for [1] */
	struct lconf cur;		/* what is bound */
	struct api_ctx ctx;		/* the handler's stores and key */
	struct relay_ctx rctx;		/* the threat response module's */
	struct pend **pends;		/* triggers waiting for their remediation */
	int npends;
	struct store *st;
	struct queue *q;
	char serial[32];
	struct aconn *conns;		/* every connection accepted (API thread) */
	int nconns;
	struct event *sweep_ev;		/* on base: count released connections out */
	atomic_int cancel;		/* a reconfiguration or stop waits: long handlers give up */
	pthread_mutex_t mu;		/* guards what follows */
	struct lconf want;		/* reconfigure: the new values */
	char *fail_cause;		/* a reconfiguration not applied, for the loop to alert */
	int64_t fail_version;		/* its commit */
	struct event *reconf_ev, *stop_ev;	/* on base */
	char **audit_lines;		/* waiting for the loop */
	int naudit;
	long audit_lost;		/* lines dropped past APID_AUDIT_MAX since the last write */
	struct event *audit_ev, *fail_ev;	/* on the loop's base */
	struct logfile *audit;		/* loop thread only */
};

/* ---------------------------------------------------------- settings */

static void
lconf_free(struct lconf *l)
{
	free(l->cert);
	free(l->key);
	l->cert = l->key = NULL;
}

/* lconf_from - the values of c the listeners need */
static void
lconf_from(struct lconf *l, const struct conf *c)
{
	memset(l, 0, sizeof(*l));
	l->http = c->api_http;
	l->https = c->api_https;
	l->http_port = c->api_http_port;
	l->https_port = c->api_https_port;
	str_copy(l->address, c->api_address[0] ? c->api_address : "0.0.0.0", sizeof(l->address));
	l->max_body = c->api_max_body > 0 ? c->api_max_body : 1048576;
	l->max_conns = c->api_max_conns > 0 ? c->api_max_conns : 64;
	l->timeout = c->api_timeout > 0 ? c->api_timeout : 30;
	l->token_lifetime = c->api_token_lifetime > 0 ? c->api_token_lifetime : 1800;
	str_copy(l->hostname, c->hostname, sizeof(l->hostname));
	l->cloud = c->cloud_enabled;
	str_copy(l->tr_server, c->cloud_tr_server, sizeof(l->tr_server));
	l->cert = str_dup(c->server_cert ? c->server_cert : "");
	l->key = str_dup(c->server_key ? c->server_key : "");
	l->version = c->version;
}

/* lconf_copy - a deep copy */
static void
lconf_copy(struct lconf *dst, const struct lconf *src)
{
	*dst = *src;
	dst->cert = str_dup(src->cert);
	dst->key = str_dup(src->key);
}

/* ---------------------------------------------------------- TLS */

/* tls_ctx - a server context from PEM text; NULL with *cause */
static SSL_CTX *
tls_ctx(const char *cert, const char *key, char **cause)
{
	SSL_CTX *ctx;
	BIO *b;
	X509 *x, *extra;
	EVP_PKEY *pk;

	if (cert[0] == '\0' || key[0] == '\0') {
		*cause = str_dup("the API's HTTPS needs a certificate: import one with certconfig");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		*cause = str_dup("cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	b = BIO_new_mem_buf(cert, -1);
	x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	if (x == NULL || SSL_CTX_use_certificate(ctx, x) != 1) {
		X509_free(x);
		BIO_free(b);
		SSL_CTX_free(ctx);
		*cause = str_dup("the API's HTTPS certificate cannot be loaded (certconfig)");
		return NULL;
	}
	X509_free(x);
	while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1)
			X509_free(extra);
	ERR_clear_error();
	BIO_free(b);
	b = BIO_new_mem_buf(key, -1);
	pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (pk == NULL || SSL_CTX_use_PrivateKey(ctx, pk) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		EVP_PKEY_free(pk);
		SSL_CTX_free(ctx);
		ERR_clear_error();
		*cause = str_dup("the API's HTTPS private key cannot be loaded or does not match "
				 "the certificate (certconfig)");
		return NULL;
	}
	EVP_PKEY_free(pk);
	return ctx;
}

/* ---------------------------------------------------------- audit */

/* on_audit - loop thread: write the lines the API thread left */
static void
on_audit(evutil_socket_t fd, short what, void *arg)
{
	struct apid *a = arg;
	char **lines;
	int n;
	long lost;

	pthread_mutex_lock(&a->mu);
	lines = a->audit_lines;
	n = a->naudit;
	lost = a->audit_lost;
	a->audit_lines = NULL;
	a->naudit = 0;
	a->audit_lost = 0;
	pthread_mutex_unlock(&a->mu);
	for (int i = 0; i < n; i++) {
		logfile_write(a->audit, LOGFILE_INFO, "%s", lines[i]);
		free(lines[i]);
	}
	free(lines);
	/* the lost ones came after those queued: said after them */
	if (lost > 0)
		logfile_write(a->audit, LOGFILE_WARNING, "%ld API audit lines lost", lost);
}

/* audit - API thread: one line for the loop to write (counted as lost past APID_AUDIT_MAX) */
static void
audit(struct apid *a, char *line)
{
	int first;

	pthread_mutex_lock(&a->mu);
	if (a->audit == NULL || a->naudit >= APID_AUDIT_MAX) {
		if (a->audit)
			a->audit_lost++;
		pthread_mutex_unlock(&a->mu);
		free(line);
		return;
	}
	first = a->naudit == 0;
	a->audit_lines = xrealloc(a->audit_lines, sizeof(*a->audit_lines) * (size_t)(a->naudit + 1));
	a->audit_lines[a->naudit++] = line;
	pthread_mutex_unlock(&a->mu);
	if (first)
		event_active(a->audit_ev, EV_READ, 0);
}

/* ---------------------------------------------------------- requests */

static const char *
method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "OTHER";
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* send_json - the answer */
static void
send_json(struct evhttp_request *req, int status, const char *body, const char *jwt_refresh,
    int retry_after)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(oh, "Content-Type", "application/json");
	evhttp_add_header(oh, "Cache-Control", "no-store");
	if (jwt_refresh)
		evhttp_add_header(oh, "jwtToken", jwt_refresh);
	if (status == 503)
		evhttp_add_header(oh, "Connection", "close");
	if (retry_after > 0) {
		char ra[24];

		str_fmt(ra, sizeof(ra), "%d", retry_after);
		evhttp_add_header(oh, "Retry-After", ra);
	}
	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, status, reason(status), b);
	evbuffer_free(b);
}

/* ---------------------------------------------------------- threat response */

/* ms_since - milliseconds from t to now (CLOCK_MONOTONIC) */
static long long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}


/* a trigger waiting for its remediation request (API thread) */
struct pend {
	struct apid *a;
	struct evhttp_request *req;	/* NULL once the client's connection is gone */
	struct relay_resp rs;		/* rs.pending: the request */
	struct event *ev;		/* the poll timer */
	struct timespec since;		/* when the trigger came (CLOCK_MONOTONIC) */
	int ceiling;			/* seconds to wait at most */
	char *line;			/* the audit line's start: peer, caller, method, path */
};

/* relay_audit - the line of a module call: the caller instead of an account */
static void
relay_audit(struct apid *a, const char *head, const struct relay_resp *rs)
{
	char note[600] = "";

	if (rs->note[0]) {
		/* the cause the caller was not told (attacker-safe: printable, cut) */
		char pn[520];

		printable_copy(pn, sizeof(pn), rs->note, strlen(rs->note), 500);
		str_fmt(note, sizeof(note), " (%s)", pn);
	}
	audit(a, str_printf("%s status %d bytes %zu%s", head, rs->status,
	    rs->body ? strlen(rs->body) : 0, note));
}

/* pend_free - drop a finished wait */
static void
pend_free(struct pend *p)
{
	struct apid *a = p->a;

	for (int i = 0; i < a->npends; i++)
		if (a->pends[i] == p) {
			a->pends[i] = a->pends[--a->npends];
			break;
		}
	if (p->req && evhttp_request_get_connection(p->req))
		evhttp_connection_set_closecb(evhttp_request_get_connection(p->req), NULL, NULL);
	event_free(p->ev);
	relay_resp_free(&p->rs);
	free(p->line);
	free(p);
}

/* on_pend_close - the client's connection went away: nobody to answer */
static void
on_pend_close(struct evhttp_connection *evcon, void *arg)
{
	struct pend *p = arg;

	p->req = NULL;
}

/* on_pend - the poll: answer once the request is finished or the ceiling passed */
static void
on_pend(evutil_socket_t fd, short what, void *arg)
{
	struct pend *p = arg;
	int give_up = ms_since(&p->since) >= (long long)p->ceiling * 1000;

	if (relay_trigger_outcome(p->a->q, &p->rs, give_up) == 0)
		return;
	if (p->req) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(p->req), NULL, NULL);
		send_json(p->req, p->rs.status, p->rs.body, NULL, 0);
		p->req = NULL;
	}
	relay_audit(p->a, p->line, &p->rs);
	pend_free(p);
}

/* relay_request - a module call on the HTTPS port: answered now, or a wait started */
static void
relay_request(struct apid *a, struct evhttp_request *req, const char *path, const char *peer,
    const char *safe)
{
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct relay_req rq = { 0 };
	struct relay_resp rs;
	char base[400], who[300], sp[600], *head;
	struct timeval tick = { 0, RELAY_POLL_MS * 1000 };

	str_fmt(base, sizeof(base), "https://%s:%d", a->cur.hostname, a->cur.https_port);
	a->rctx.hostname = a->cur.hostname;
	a->rctx.tr_server = a->cur.tr_server;
	a->rctx.api_base = base;
	a->rctx.budget = a->cur.timeout;
	a->rctx.now = 0;
	rq.method = method_name(evhttp_request_get_command(req));
	rq.path = path;
	rq.authorization = evhttp_find_header(ih, "Authorization");
	rq.health_check = evhttp_find_header(ih, "Health-Check");
	rq.body = len ? (const char *)evbuffer_pullup(in, -1) : NULL;
	rq.body_len = len;
	rq.body_too_big = len > (size_t)a->cur.max_body;
	relay_handle(&a->rctx, &rq, &rs);
	a->rctx.api_base = NULL;
	printable_copy(who, sizeof(who), rs.who[0] ? rs.who : "-", strlen(rs.who[0] ? rs.who :
	    "-"), 100);
	printable_copy(sp, sizeof(sp), safe, strlen(safe), 500);
	head = str_printf("API: %s threat response caller %s %s %s", peer, who, rq.method, sp);
	if (rs.wake && a->rd)
		remd_wake(a->rd);
	if (rs.pending > 0) {
		struct pend *p = xcalloc(1, sizeof(*p));

		p->a = a;
		p->req = req;
		p->rs = rs;
		p->line = head;
		/* the sweep spares a connection with a wait (has_pend): the ceiling bounds it */
		p->ceiling = RELAY_WAIT_MAX;
		clock_gettime(CLOCK_MONOTONIC, &p->since);
		if ((p->ev = event_new(a->base, -1, EV_PERSIST, on_pend, p)) == NULL ||
		    event_add(p->ev, &tick) < 0) {
			/* cannot wait: say so at once; the request stays for the engine */
			if (p->ev)
				event_free(p->ev);
			relay_trigger_outcome(a->q, &p->rs, 1);
			send_json(req, p->rs.status, p->rs.body, NULL, 0);
			relay_audit(a, head, &p->rs);
			relay_resp_free(&p->rs);
			free(head);
			free(p);
			return;
		}
		evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_pend_close, p);
		a->pends = xrealloc(a->pends, sizeof(*a->pends) * (size_t)(a->npends + 1));
		a->pends[a->npends++] = p;
		return;
	}
	send_json(req, rs.status, rs.body, NULL, 0);
	relay_audit(a, head, &rs);
	relay_resp_free(&rs);
	free(head);
}

/*
 * pends_drop - forget every wait (stop), one audit line each: the requests
 * stay for the engine. After unbind, which cleared their close callbacks.
 */
static void
pends_drop(struct apid *a)
{
	while (a->npends > 0) {
		struct pend *p = a->pends[0];

		audit(a, str_printf("%s remediation request %lld dropped: mxgated stopping",
		    p->line, (long long)p->rs.pending));
		pend_free(p);
	}
	free(a->pends);
	a->pends = NULL;
}

/* on_request - every request: api_handle (or relay_handle), the answer, the audit line */
static void
on_request(struct evhttp_request *req, struct apid *a, int tls)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *uri = evhttp_request_get_uri(req), *q;
	char *path, *safe, peer[64] = "unknown", user[80];
	struct api_req rq = { 0 };
	struct api_resp rs;
	size_t len = evbuffer_get_length(in);

	if (evcon) {
		char *addr = NULL;
		ev_uint16_t port;

		evhttp_connection_get_peer(evcon, &addr, &port);
		if (addr)
			printable_copy(peer, sizeof(peer), addr, strlen(addr), 60);
	}
	uri = uri ? uri : "/";
	q = strchr(uri, '?');
	path = q ? str_ndup(uri, (size_t)(q - uri)) : str_dup(uri);
	safe = api_safe_path(path, q ? q + 1 : NULL);
	if (tls && a->cur.cloud && relay_path(path)) {
		relay_request(a, req, path, peer, safe);
		free(safe);
		free(path);
		return;
	}
	{
		rq.method = method_name(evhttp_request_get_command(req));
		rq.path = path;
		rq.query = q ? q + 1 : NULL;
		rq.authorization = evhttp_find_header(ih, "Authorization");
		rq.jwt = evhttp_find_header(ih, "jwtToken");
		rq.content_type = evhttp_find_header(ih, "Content-Type");
		rq.body = len ? (const char *)evbuffer_pullup(in, -1) : NULL;
		rq.body_len = len;
		rq.body_too_big = len > (size_t)a->cur.max_body;
		rq.peer = peer;
		a->ctx.token_lifetime = a->cur.token_lifetime;
		a->ctx.budget = a->cur.timeout;
		a->ctx.now = 0;
		api_handle(&a->ctx, &rq, &rs);
	}
	send_json(req, rs.status, rs.body, rs.jwt_refresh, rs.retry_after);
	if (rs.wake && a->rd)
		remd_wake(a->rd);
	printable_copy(user, sizeof(user), rs.user[0] ? rs.user : "-", strlen(rs.user[0] ?
	    rs.user : "-"), 40);
	{
		char sp[600];

		printable_copy(sp, sizeof(sp), safe, strlen(safe), 500);
		audit(a, str_printf("API: %s user %s %s %s status %d bytes %zu", peer, user,
		    method_name(evhttp_request_get_command(req)), sp, rs.status,
		    strlen(rs.body)));
	}
	api_resp_free(&rs);
	free(safe);
	free(path);
}

static void
on_plain(struct evhttp_request *req, void *arg)
{
	on_request(req, arg, 0);
}

static void
on_tls(struct evhttp_request *req, void *arg)
{
	on_request(req, arg, 1);
}

/* ---------------------------------------------------------- connections */

/* listening - enable or disable both listeners (api.max_conns) */
static void
listening(struct apid *a, int on)
{
	if (a->paused == !on)
		return;
	for (int i = 0; i < 2; i++) {
		struct evconnlistener *l = a->bound[i] ? evhttp_bound_socket_get_listener(a->bound[i]) :
		    NULL;

		if (l && on)
			evconnlistener_enable(l);
		else if (l)
			evconnlistener_disable(l);
	}
	a->paused = !on;
}

/* has_pend - does a trigger wait for its answer on connection evcon? */
static int
has_pend(const struct apid *a, const void *evcon)
{
	for (int i = 0; i < a->npends; i++)
		if (a->pends[i]->req &&
		    (const void *)evhttp_request_get_connection(a->pends[i]->req) == evcon)
			return 1;
	return 0;
}

/*
 * sweep - API thread: close the connections past their lifetime (not one
 * a trigger waits on: it is answered within RELAY_WAIT_MAX), drop our
 * reference to those evhttp has let go (bufferevent_free cleared their
 * callbacks: evhttp sets an event callback on each one it serves), and
 * listen again below api.max_conns. all: every one (the evhttps are gone).
 */
static void
sweep(struct apid *a, int all)
{
	long long life = (long long)a->cur.timeout * APID_LIFE_MULT * 1000;
	int k = 0;

	for (int i = 0; i < a->nconns; i++) {
		bufferevent_event_cb ecb;
		void *evcon;

		bufferevent_getcb(a->conns[i].bev, NULL, NULL, &ecb, &evcon);
		/* a trigger's wait is bounded by its own ceiling (RELAY_WAIT_MAX) */
		if (!all && ecb != NULL && evcon != NULL && ms_since(&a->conns[i].since) >= life &&
		    !has_pend(a, evcon)) {
			/* the evcon is the callbacks' argument (evhttp's own) */
			evhttp_connection_free(evcon);
			bufferevent_getcb(a->conns[i].bev, NULL, NULL, &ecb, &evcon);
		}
		if (all || ecb == NULL) {
			bufferevent_decref(a->conns[i].bev);
			continue;
		}
		a->conns[k++] = a->conns[i];
	}
	a->nconns = k;
	listening(a, a->nconns < a->cur.max_conns);
}

/* on_sweep - the periodic sweep */
static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	sweep(arg, 0);
}

/* conn_new - evhttp's bevcb on both ports: a connection's bufferevent, counted */
static struct bufferevent *
conn_new(struct apid *a, struct event_base *base, int tls)
{
	struct bufferevent *bev;

	if (tls) {
		SSL *ssl = SSL_new(a->ssl);

		if (ssl == NULL)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
	} else {
		/* as evhttp makes its own: it closes the socket itself */
		bev = bufferevent_socket_new(base, -1, 0);
	}
	if (bev == NULL)
		return NULL;
	bufferevent_incref(bev);
	a->conns = xrealloc(a->conns, sizeof(*a->conns) * (size_t)(a->nconns + 1));
	a->conns[a->nconns].bev = bev;
	clock_gettime(CLOCK_MONOTONIC, &a->conns[a->nconns].since);
	a->nconns++;
	if (a->nconns >= a->cur.max_conns)
		listening(a, 0);
	return bev;
}

static struct bufferevent *
bev_plain(struct event_base *base, void *arg)
{
	return conn_new(arg, base, 0);
}

static struct bufferevent *
bev_tls(struct event_base *base, void *arg)
{
	return conn_new(arg, base, 1);
}

/* ---------------------------------------------------------- listeners */

/* unbind - close the listeners (API thread, or before it runs) */
static void
unbind(struct apid *a)
{
	/* the connections go: the waits answer nobody (their requests stay for the engine) */
	for (int i = 0; i < a->npends; i++) {
		if (a->pends[i]->req && evhttp_request_get_connection(a->pends[i]->req))
			evhttp_connection_set_closecb(evhttp_request_get_connection(
			    a->pends[i]->req), NULL, NULL);
		a->pends[i]->req = NULL;
	}
	for (int i = 0; i < 2; i++) {
		if (a->http[i])
			evhttp_free(a->http[i]);
		a->http[i] = NULL;
		a->bound[i] = NULL;
	}
	/* evhttp_free let every connection go */
	sweep(a, 1);
	a->paused = 0;
	if (a->ssl)
		SSL_CTX_free(a->ssl);
	a->ssl = NULL;
}

/* bind_one - one evhttp on address:port; NULL with *cause */
static struct evhttp *
bind_one(struct apid *a, const struct lconf *l, int port, int tls, char **cause)
{
	struct evhttp *h = evhttp_new(a->base);

	if (h == NULL) {
		*cause = str_dup("cannot make an HTTP server");
		return NULL;
	}
	evhttp_set_max_headers_size(h, APID_HEADERS_MAX);
	evhttp_set_max_body_size(h, l->max_body);
	evhttp_set_timeout(h, l->timeout);
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h, tls ? on_tls : on_plain, a);
	evhttp_set_bevcb(h, tls ? bev_tls : bev_plain, a);
	errno = 0;
	if ((a->bound[tls] = evhttp_bind_socket_with_handle(h, l->address, (ev_uint16_t)port)) ==
	    NULL) {
		*cause = str_printf("cannot listen on %s port %d for the API%s: %s", l->address,
		    port, tls ? " (HTTPS)" : "", strerror(errno ? errno : EADDRINUSE));
		evhttp_free(h);
		return NULL;
	}
	return h;
}

/* bind_all - the listeners l asks for; 0, or -1 with *cause and nothing bound */
static int
bind_all(struct apid *a, const struct lconf *l, char **cause)
{
	if (l->https && (a->ssl = tls_ctx(l->cert, l->key, cause)) == NULL)
		return -1;
	if ((l->http && (a->http[0] = bind_one(a, l, l->http_port, 0, cause)) == NULL) ||
	    (l->https && (a->http[1] = bind_one(a, l, l->https_port, 1, cause)) == NULL)) {
		unbind(a);
		return -1;
	}
	return 0;
}

/* same_listeners - would l bind what cur has bound? (limits and names aside) */
static int
same_listeners(const struct lconf *l, const struct lconf *cur)
{
	return l->http == cur->http && l->https == cur->https &&
	    (!l->http || l->http_port == cur->http_port) &&
	    (!l->https || (l->https_port == cur->https_port && strcmp(l->cert, cur->cert) == 0 &&
		strcmp(l->key, cur->key) == 0)) &&
	    strcmp(l->address, cur->address) == 0 && l->max_body == cur->max_body &&
	    l->timeout == cur->timeout;
}

/* on_fail - loop thread: alert a reconfiguration the API thread could not apply */
static void
on_fail(evutil_socket_t fd, short what, void *arg)
{
	struct apid *a = arg;
	char *cause;
	int64_t version;

	pthread_mutex_lock(&a->mu);
	cause = a->fail_cause;
	version = a->fail_version;
	a->fail_cause = NULL;
	pthread_mutex_unlock(&a->mu);
	if (cause == NULL)
		return;
	gw_alert(a->gw, ALERT_CRITICAL, "System", version, "API configuration not applied: %s",
	    cause);
	free(cause);
}

/*
 * on_reconf - API thread: rebind to a->want; the old ones again when that
 * fails (and nothing, said so, when even they cannot be bound)
 */
static void
on_reconf(evutil_socket_t fd, short what, void *arg)
{
	struct apid *a = arg;
	struct lconf want;
	char *cause = NULL, *why = NULL;

	pthread_mutex_lock(&a->mu);
	lconf_copy(&want, &a->want);
	/* the handlers see the flag from here on only through a new request */
	atomic_store(&a->cancel, 0);
	pthread_mutex_unlock(&a->mu);
	if (same_listeners(&want, &a->cur)) {
		/* most commits touch nothing of ours: no rebind, no connection dropped */
		lconf_free(&a->cur);
		a->cur = want;
		a->ctx.hostname = a->cur.hostname;
		sweep(a, 0);	/* api.max_conns may have changed */
		return;
	}
	unbind(a);
	if (bind_all(a, &want, &cause) == 0) {
		lconf_free(&a->cur);
		a->cur = want;
		a->ctx.hostname = a->cur.hostname;
		return;
	}
	if (bind_all(a, &a->cur, &why) < 0) {
		/*
		 * nothing is bound now: cur must say so, or the same values
		 * committed again would be taken as bound and never retried
		 */
		char *both = str_printf("%s; the previous API ports could not be bound again "
					"either: %s", cause, why);

		free(cause);
		free(why);
		cause = both;
		a->cur.http = a->cur.https = 0;
	}
	pthread_mutex_lock(&a->mu);
	free(a->fail_cause);
	a->fail_cause = cause;
	a->fail_version = want.version;
	pthread_mutex_unlock(&a->mu);
	lconf_free(&want);
	event_active(a->fail_ev, EV_READ, 0);
}

/* on_stop - API thread: close everything and leave the loop */
static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct apid *a = arg;

	unbind(a);
	pends_drop(a);
	event_base_loopbreak(a->base);
}

static void *
run(void *arg)
{
	struct apid *a = arg;

	event_base_loop(a->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* ---------------------------------------------------------- life */

/* destroy - free a (thread not running) */
static void
destroy(struct apid *a)
{
	/* unbind first: it clears the waits' close callbacks before evhttp_free */
	unbind(a);
	pends_drop(a);
	if (a->reconf_ev)
		event_free(a->reconf_ev);
	if (a->stop_ev)
		event_free(a->stop_ev);
	if (a->sweep_ev)
		event_free(a->sweep_ev);
	if (a->audit_ev)
		event_free(a->audit_ev);
	if (a->fail_ev)
		event_free(a->fail_ev);
	if (a->base)
		event_base_free(a->base);
	for (int i = 0; i < a->naudit; i++)
		free(a->audit_lines[i]);
	free(a->audit_lines);
	free(a->conns);
	free(a->fail_cause);
	if (a->audit)
		logfile_close(a->audit);
	if (a->q)
		queue_close(a->q);
	if (a->st)
		store_close(a->st);
	lconf_free(&a->cur);
	lconf_free(&a->want);
	OPENSSL_cleanse(a->ctx.key, sizeof(a->ctx.key));
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* apid_start - stores, key, audit log, listeners, then the thread */
struct apid *
apid_start(struct gw *gw, struct remd *rd, char **cause)
{
	struct apid *a = xcalloc(1, sizeof(*a));
	char logdir[4096], *why = NULL;
	struct timeval tick = { 0, APID_SWEEP_MS * 1000 };

	pthread_mutex_init(&a->mu, NULL);
	atomic_init(&a->cancel, 0);
	a->gw = gw;
	a->rd = rd;
	lconf_from(&a->cur, gw->conf);
	str_copy(a->serial, gw->serial, sizeof(a->serial));
	if (store_open(gw->dir, STORE_RUNNING, &a->st, cause) < 0 ||
	    queue_open(gw->dir, &a->q, cause) < 0 ||
	    api_key_load(gw->dir, a->ctx.key, cause) < 0)
		goto fail;
	str_fmt(logdir, sizeof(logdir), "%s/logs/api_logs", gw->dir);
	if ((a->audit = logfile_open(logdir, "api", &why)) == NULL) {
		*cause = str_printf("cannot open the API audit log: %s", why);
		free(why);
		goto fail;
	}
	a->ctx.dir = gw->dir;
	a->ctx.st = a->st;
	a->ctx.q = a->q;
	a->ctx.hostname = a->cur.hostname;
	a->ctx.serial = a->serial;
	a->ctx.token_lifetime = a->cur.token_lifetime;
	a->ctx.cancel = &a->cancel;
	a->rctx.st = a->st;
	a->rctx.q = a->q;
	a->rctx.serial = a->serial;
	a->rctx.version = MXGATE_VERSION;
	a->rctx.cancel = &a->cancel;
	if ((a->base = event_base_new()) == NULL ||
	    (a->reconf_ev = event_new(a->base, -1, 0, on_reconf, a)) == NULL ||
	    (a->stop_ev = event_new(a->base, -1, 0, on_stop, a)) == NULL ||
	    (a->sweep_ev = event_new(a->base, -1, EV_PERSIST, on_sweep, a)) == NULL ||
	    event_add(a->sweep_ev, &tick) < 0 ||
	    (a->audit_ev = event_new(gw->base, -1, 0, on_audit, a)) == NULL ||
	    (a->fail_ev = event_new(gw->base, -1, 0, on_fail, a)) == NULL) {
		*cause = str_dup("cannot make the API's events");
		goto fail;
	}
	if (bind_all(a, &a->cur, &why) < 0) {
		/*
		 * a port taken by another program: the operator is told, mail
		 * goes on, and the next commit binds again (cur says nothing
		 * is bound, so any API setting differs from it)
		 */
		gw_alert(gw, ALERT_CRITICAL, "System", gw->conf->version,
		    "API not listening: %s", why);
		free(why);
		why = NULL;
		a->cur.http = a->cur.https = 0;
	}
	if (pthread_create(&a->th, NULL, run, a) != 0) {
		*cause = str_printf("cannot start the API thread: %s", strerror(errno));
		goto fail;
	}
	a->running = 1;
	return a;
fail:
	destroy(a);
	return NULL;
}

/*
 * apid_reconfigure - post the new values to the API thread and return:
 * the loop thread never waits for a request being answered. A request
 * under way is asked to give up (a long search answers 503). A failure
 * comes back as an alert from the loop thread (on_fail).
 */
void
apid_reconfigure(struct apid *a, const struct conf *c)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	lconf_free(&a->want);
	lconf_from(&a->want, c);
	atomic_store(&a->cancel, 1);
	pthread_mutex_unlock(&a->mu);
	event_active(a->reconf_ev, EV_READ, 0);
}

/* apid_stop - stop the thread (a request under way is asked to give up), write what waits, free */
void
apid_stop(struct apid *a)
{
	if (a == NULL)
		return;
	if (a->running) {
		atomic_store(&a->cancel, 1);
		event_active(a->stop_ev, EV_READ, 0);
		pthread_join(a->th, NULL);
	}
	on_audit(-1, 0, a);
	on_fail(-1, 0, a);
	destroy(a);
}
