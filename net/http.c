/*
 * http.c - asynchronous HTTP(S) GET: libcurl's multi interface driven by
 * a libevent loop (curl's docs/examples/multi-event.c pattern).
 *
 * libcurl says which sockets it wants watched (CURLMOPT_SOCKETFUNCTION):
 * each gets a persistent libevent event, remembered with
 * curl_multi_assign; and when it next needs to be called
 * (CURLMOPT_TIMERFUNCTION): one libevent timer. Both call
 * curl_multi_socket_action, after which finished transfers are read with
 * curl_multi_info_read and moved to the done list; one event delivers the
 * done list from the loop. So callbacks never run inside libcurl or inside
 * http_get, and a callback may start requests or free the client. Nothing
 * polls. libcurl must not be called back into from its own callbacks:
 * ours only touch libevent.
 *
 * Bodies go into a util/buf.h buffer with a hard limit (STYLE 10): a body
 * over the limit stops the transfer (the write callback refuses it, and
 * CURLOPT_MAXFILESIZE refuses an announced Content-Length at once).
 *
 * DIAGNOSTICS: see http.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "net/http.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/version.h"

#define HTTP_TIMEOUT_MAX 3600000	/* ms: an hour per request is already absurd */

/* ---------------------------------------------------------------- types */

struct http_sock {
	struct http *h;			/* owner */
	curl_socket_t fd;		/* the socket libcurl uses */
	short what;			/* EV_READ|EV_WRITE watched now */
	struct event *ev;		/* persistent event on fd */
	TAILQ_ENTRY(http_sock) entry;	/* on h->socks */
};

struct http_req {
	struct http *h;			/* owner */
	CURL *easy;			/* NULL once released (or never made) */
	int in_multi;			/* added to h->multi */
	struct curl_slist *hdrs;	/* request headers */
	char *url;			/* as asked */
	char *ca_pem;			/* kept for CURLOPT_CAINFO_BLOB */
	char *user, *password;		/* Basic auth */
	struct buf body;		/* the response body, bounded */
	size_t max_body;		/* its limit */
	int timeout_ms;			/* for the error text */
	int toobig;			/* the write callback refused the body */
	char errbuf[CURL_ERROR_SIZE];	/* libcurl's own words */
	char *error;			/* set when done: NULL, or why it failed */
	int status;			/* HTTP status */
	int ncap;			/* names in cap_name */
	char *cap_name[HTTP_MAX_CAPTURE];	/* headers to capture */
	char cap_val[HTTP_MAX_CAPTURE][HTTP_HEADER_VALUE_MAX];	/* their values */
	http_cb cb;			/* the caller's */
	void *arg;
	TAILQ_ENTRY(http_req) entry;	/* on h->active or h->done */
};

struct http {
	struct event_base *base;	/* the loop */
	CURLM *multi;			/* every transfer */
	struct event *timer;		/* libcurl's timeout */
	struct event *done_ev;		/* delivers h->done */
	TAILQ_HEAD(, http_sock) socks;	/* sockets watched */
	TAILQ_HEAD(, http_req) active;	/* in flight */
	TAILQ_HEAD(, http_req) done;	/* finished, waiting for done_ev */
	int nactive, ndone;		/* entries on each */
	int freeing;			/* http_free has begun */
	int delivering;			/* inside done_cb */
	int dead;			/* http_free ran inside done_cb: release on return */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* ---------------------------------------------------------------- helpers */

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

/* one_line - s with control characters as blanks, cut to 200 bytes (malloc'd) */
static char *
one_line(const char *s)
{
	char *p = str_ndup(s, strnlen(s, 200));

	for (char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = ' ';
	/* libcurl's messages may end in a newline: not ours */
	for (size_t n = strlen(p); n > 0 && p[n - 1] == ' '; n--)
		p[n - 1] = '\0';
	return p;
}

/* global_init - curl_global_init, once per process */
static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---------------------------------------------------------------- the loop */

static void check_done(struct http *h);

/* req_done - a request is over (error NULL: a whole response): queue delivery */
static void
req_done(struct http_req *r, const char *error)
{
	struct http *h = r->h;

	free(r->error);
	r->error = error ? one_line(error) : NULL;
	TAILQ_REMOVE(&h->active, r, entry);
	h->nactive--;
	TAILQ_INSERT_TAIL(&h->done, r, entry);
	h->ndone++;
	event_active(h->done_ev, EV_TIMEOUT, 0);
}

/* req_release - the easy handle and its headers (the request itself stays) */
static void
req_release(struct http_req *r)
{
	if (r->easy != NULL) {
		if (r->in_multi)
			curl_multi_remove_handle(r->h->multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		r->in_multi = 0;
	}
	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
}

/* req_free - release a delivered request */
static void
req_free(struct http_req *r)
{
	req_release(r);
	buf_free(&r->body);
	free(r->url);
	free(r->ca_pem);
	free(r->user);
	if (r->password != NULL) {
		memset(r->password, 0, strlen(r->password));
		free(r->password);
	}
	for (int i = 0; i < r->ncap; i++)
		free(r->cap_name[i]);
	free(r->error);
	free(r);
}

/* finished - why a transfer ended (NULL: it did not fail) */
static const char *
finished(struct http_req *r, CURLcode rc, char *tmp, size_t size)
{
	long code = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	r->status = (int)code;
	if (rc == CURLE_OK)
		return NULL;
	if (r->toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		str_fmt(tmp, size, "response larger than %zu bytes", r->max_body);
		return tmp;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		str_fmt(tmp, size, "no answer within %d ms", r->timeout_ms);
		return tmp;
	}
	if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
		str_fmt(tmp, size, "only http:// and https:// URLs are followed%s%s",
		    r->errbuf[0] ? ": " : "", r->errbuf);
		return tmp;
	}
	str_fmt(tmp, size, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
	return tmp;
}

/* check_done - move the transfers libcurl has finished to the done list */
static void
check_done(struct http *h)
{
	struct http_req *r;
	CURLMsg *m;
	char *priv, tmp[512];
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((r = (struct http_req *)(void *)priv) == NULL)
			continue;
		{
			CURLcode rc = m->data.result;
			const char *why = finished(r, rc, tmp, sizeof(tmp));

			/* m is invalid once the handle leaves the multi */
			req_release(r);
			req_done(r, why);
		}
	}
}

/* sock_ev - a socket libcurl watches is ready */
static void
sock_ev(evutil_socket_t fd, short what, void *arg)
{
	struct http_sock *s = arg;
	struct http *h = s->h;
	int running, action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	    ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);

	/* libcurl may stop watching fd in here: s is gone afterwards */
	curl_multi_socket_action(h->multi, fd, action, &running);
	check_done(h);
}

/* timer_ev - libcurl's timeout */
static void
timer_ev(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

/* sock_free - stop watching a socket */
static void
sock_free(struct http *h, struct http_sock *s)
{
	TAILQ_REMOVE(&h->socks, s, entry);
	event_free(s->ev);	/* safe even inside s->ev's own callback */
	free(s);
}

/* socket_cb - CURLMOPT_SOCKETFUNCTION: watch fd for what (or no more) */
static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct http_sock *s = socketp;
	short ev;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			sock_free(h, s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	ev = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->h = h;
		s->fd = fd;
		TAILQ_INSERT_TAIL(&h->socks, s, entry);
		curl_multi_assign(h->multi, fd, s);
	} else if (s->what == ev) {
		return 0;
	} else {
		event_free(s->ev);
	}
	s->what = ev;
	s->ev = xevent_new(h->base, fd, (short)(ev | EV_PERSIST), sock_ev, s);
	event_add(s->ev, NULL);
	return 0;
}

/* timer_cb - CURLMOPT_TIMERFUNCTION: call us back in timeout_ms (-1: never) */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	/* 0 means "at once", but never from inside libcurl: the next loop turn */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
	return 0;
}

/* ---------------------------------------------------------------- a request */

/* write_cb - CURLOPT_WRITEFUNCTION: body bytes, refused past the limit */
static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;

	if (buf_add(&r->body, p, size * n) < 0) {
		r->toobig = 1;
		return 0;	/* CURLE_WRITE_ERROR: the transfer stops */
	}
	return size * n;
}

/* header_cb - CURLOPT_HEADERFUNCTION: keep the values of the wanted headers */
static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	size_t len = size * n, nlen;
	const char *colon, *v, *end;

	/* a new response (after a redirect, or a 100 Continue): its headers count */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		for (int i = 0; i < r->ncap; i++)
			r->cap_val[i][0] = '\0';
		return len;
	}
	if ((colon = memchr(p, ':', len)) == NULL)
		return len;
	nlen = (size_t)(colon - p);
	for (int i = 0; i < r->ncap; i++) {
		if (strlen(r->cap_name[i]) != nlen || strncasecmp(p, r->cap_name[i], nlen) != 0)
			continue;
		v = colon + 1;
		end = p + len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
		    end[-1] == '\t'))
			end--;
		nlen = (size_t)(end - v);
		if (nlen >= sizeof(r->cap_val[i]))
			nlen = sizeof(r->cap_val[i]) - 1;
		memcpy(r->cap_val[i], v, nlen);
		r->cap_val[i][nlen] = '\0';
		for (size_t k = 0; k < nlen; k++)
			if ((unsigned char)r->cap_val[i][k] < 0x20 || r->cap_val[i][k] == 0x7f)
				r->cap_val[i][k] = ' ';
	}
	return len;
}

/* req_setup - the easy handle of r; NULL, or why it cannot be made */
static const char *
req_setup(struct http_req *r, const struct http_request *rq)
{
	static const char agent[] = "mxgate/" MXGATE_VERSION;
	CURL *e;
	CURLcode rc = CURLE_OK;

	if ((r->easy = e = curl_easy_init()) == NULL)
		return "cannot make an HTTP transfer (libcurl)";
	r->hdrs = NULL;
	if (rq->accept != NULL) {
		char line[512];

		if (str_fmt(line, sizeof(line), "Accept: %s", rq->accept) < 0)
			return "Accept header too long";
		r->hdrs = curl_slist_append(r->hdrs, line);
	}
	for (int i = 0; i < HTTP_MAX_HEADERS && rq->headers[i] != NULL; i++) {
		if (strpbrk(rq->headers[i], "\r\n") != NULL || strchr(rq->headers[i], ':') == NULL)
			return "a request header is not one \"Name: value\" line";
		r->hdrs = curl_slist_append(r->hdrs, rq->headers[i]);
	}
	if (rq->accept != NULL && r->hdrs == NULL)
		return "out of memory for request headers";
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_PRIVATE, (void *)r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRS);
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	SET(CURLOPT_TIMEOUT_MS, (long)rq->timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_body);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, (void *)r);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, (void *)r);
	SET(CURLOPT_USERAGENT, agent);
	SET(CURLOPT_HTTPHEADER, r->hdrs);
	SET(CURLOPT_SSL_VERIFYPEER, rq->verify ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, rq->verify ? 2L : 0L);
	if (r->ca_pem != NULL) {
		struct curl_blob blob = { r->ca_pem, strlen(r->ca_pem), CURL_BLOB_COPY };

		SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	if (r->user != NULL) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, r->user);
		SET(CURLOPT_PASSWORD, r->password ? r->password : "");
	}
#undef SET
	if (rc != CURLE_OK) {
		str_fmt(r->errbuf, sizeof(r->errbuf), "cannot set up the request: %s",
		    curl_easy_strerror(rc));
		return r->errbuf;
	}
	return NULL;
}

/* http_get - start a GET */
void
http_get(struct http *h, const struct http_request *rq, http_cb cb, void *arg)
{
	struct http_req *r = xcalloc(1, sizeof(*r));
	const char *why = NULL;

	r->h = h;
	r->cb = cb;
	r->arg = arg;
	r->url = str_dup(rq->url ? rq->url : "");
	r->timeout_ms = rq->timeout_ms;
	r->max_body = rq->max_body ? rq->max_body : HTTP_MAX_BODY_DEFAULT;
	buf_init(&r->body, r->max_body);
	if (rq->ca_pem != NULL && rq->ca_pem[0] != '\0')
		r->ca_pem = str_dup(rq->ca_pem);
	if (rq->user != NULL) {
		r->user = str_dup(rq->user);
		r->password = str_dup(rq->password ? rq->password : "");
	}
	for (int i = 0; i < HTTP_MAX_CAPTURE && rq->capture[i] != NULL; i++)
		r->cap_name[r->ncap++] = str_dup(rq->capture[i]);
	TAILQ_INSERT_TAIL(&h->active, r, entry);
	h->nactive++;
	if (h->freeing)
		why = "cancelled";
	else if (rq->url == NULL || rq->url[0] == '\0')
		why = "no URL";
	else if (rq->timeout_ms < 1 || rq->timeout_ms > HTTP_TIMEOUT_MAX)
		why = "invalid time limit";
	else if ((why = req_setup(r, rq)) == NULL) {
		/* libcurl asks for a 0 ms timer here: it runs from the loop */
		if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK)
			why = "cannot start the HTTP transfer (libcurl)";
		else
			r->in_multi = 1;
	}
	if (why != NULL) {
		char *copy = str_dup(why);	/* why may point into r */

		req_release(r);
		req_done(r, copy);
		free(copy);
	}
}

/* ---------------------------------------------------------------- delivery */

/* deliver - call the request's callback */
static void
deliver(struct http_req *r, const char *error)
{
	struct http_response resp;

	memset(&resp, 0, sizeof(resp));
	resp.status = r->status;
	resp.error = error;
	resp.body = error == NULL && r->body.data != NULL ? r->body.data : "";
	resp.len = error == NULL ? r->body.len : 0;
	resp.url = r->url;
	for (int i = 0; i < HTTP_MAX_CAPTURE; i++)
		resp.header[i] = i < r->ncap ? r->cap_val[i] : "";
	r->cb(&resp, r->arg);
}

/* release - free h itself, once nothing can refer to it */
static void
release(struct http *h)
{
	event_free(h->done_ev);
	free(h);
}

/* done_cb - deliver finished requests */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	struct http_req *r;
	int n = h->ndone;	/* not more: a callback's new requests wait a turn */

	h->delivering = 1;
	while (n-- > 0 && !h->dead && (r = TAILQ_FIRST(&h->done)) != NULL) {
		TAILQ_REMOVE(&h->done, r, entry);
		h->ndone--;
		deliver(r, r->error);
		req_free(r);
	}
	h->delivering = 0;
	if (h->dead)
		release(h);
}

/* ---------------------------------------------------------------- interface */

/* http_new - an HTTP client on base */
struct http *
http_new(struct event_base *base, char **cause)
{
	struct http *h;

	if (base == NULL) {
		*cause = str_dup("No event loop for the HTTP client.");
		return NULL;
	}
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		*cause = str_printf("Cannot start libcurl: %s.", curl_easy_strerror(global_rc));
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	if ((h->multi = curl_multi_init()) == NULL) {
		free(h);
		*cause = str_dup("Cannot start libcurl's multi interface.");
		return NULL;
	}
	h->base = base;
	TAILQ_INIT(&h->socks);
	TAILQ_INIT(&h->active);
	TAILQ_INIT(&h->done);
	h->timer = xevent_new(base, -1, 0, timer_ev, h);
	h->done_ev = xevent_new(base, -1, 0, done_cb, h);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

/* http_free - cancel every request (each reports "cancelled" now) and free h */
void
http_free(struct http *h)
{
	struct http_req *r;
	struct http_sock *s;

	if (h == NULL || h->freeing)
		return;
	h->freeing = 1;
	/* a callback may start requests: they end up on done, cancelled */
	for (;;) {
		while ((r = TAILQ_FIRST(&h->active)) != NULL) {
			req_release(r);
			req_done(r, "cancelled");
		}
		if ((r = TAILQ_FIRST(&h->done)) == NULL)
			break;
		TAILQ_REMOVE(&h->done, r, entry);
		h->ndone--;
		deliver(r, "cancelled");
		req_free(r);
	}
	/* closes the cached connections; libcurl may still tell us to unwatch them */
	curl_multi_cleanup(h->multi);
	while ((s = TAILQ_FIRST(&h->socks)) != NULL)
		sock_free(h, s);
	event_free(h->timer);
	if (h->delivering)
		h->dead = 1;	/* done_cb is on the stack: it releases h */
	else
		release(h);
}

/* http_active - requests not yet reported */
int
http_active(const struct http *h)
{
	return h->nactive + h->ndone;
}

/* http_query_escape - percent-encoding for a query value */
int
http_query_escape(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';

		if (o + (keep ? 1 : 3) >= size)
			return -1;
		if (keep) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}
