/*
 * http.h - asynchronous HTTP(S) GET on a libevent loop, through libcurl's
 * multi interface (RDAP and TAXII for Sender Domain Reputation).
 *
 * One struct http serves one event loop; any number of requests run at
 * once on it, sharing connections. Every request reports through its
 * callback exactly once, always from the event loop and never from inside
 * http_get, so callers need no re-entrancy guard; a callback may start
 * requests or call http_free.
 *
 * Bounded by construction: each request has a time limit and a largest
 * body (a bigger one is refused, not cut), only http:// and https:// are
 * spoken (redirects included: a Location naming another protocol ends the
 * request with an error), redirects are followed at most HTTP_MAX_REDIRS
 * times, and credentials never follow a redirect to another host.
 *
 * TLS: with verify on, the server's certificate and name are checked
 * against ca_pem (PEM text held in memory: the daemon reads no CA file
 * after dropping root) or, when that is empty, the system's bundle.
 *
 * DIAGNOSTICS: http_new returns NULL with a malloc'd *cause; a request's
 * failure is a one-line English error in its response (the HTTP status,
 * when one was received, is not an error: the caller judges it).
 * Allocation failure aborts (util/str.h).
 */
#ifndef NET_HTTP_H
#define NET_HTTP_H

#include <stddef.h>

#include <event2/event.h>

#define HTTP_MAX_HEADERS 8		/* extra request headers */
#define HTTP_MAX_CAPTURE 4		/* response headers captured */
#define HTTP_MAX_REDIRS 5		/* redirects followed */
#define HTTP_MAX_BODY_DEFAULT (16u * 1024 * 1024)
#define HTTP_HEADER_VALUE_MAX 256	/* a captured header's value is cut to this */

struct http;

/* what to ask; everything is copied by http_get */
struct http_request {
	const char *url;		/* http:// or https:// only */
	const char *accept;		/* Accept header value, NULL: none */
	const char *headers[HTTP_MAX_HEADERS];	/* extra "Name: value" lines, NULL-ended */
	const char *user, *password;	/* Basic auth, NULL: none */
	int timeout_ms;			/* the whole request, 1..3600000 */
	size_t max_body;		/* largest body accepted; 0: HTTP_MAX_BODY_DEFAULT */
	int verify;			/* check the server's certificate and name */
	const char *ca_pem;		/* the CA bundle as PEM text; NULL or "": the system's */
	const char *capture[HTTP_MAX_CAPTURE];	/* response header names to keep, NULL-ended */
};

/* what came back; valid only during the callback */
struct http_response {
	int status;			/* HTTP status of the last response; 0 if none */
	const char *error;		/* NULL: a whole response came; else why not (one line) */
	const char *body;		/* NUL-terminated, len bytes ("" on error) */
	size_t len;
	const char *header[HTTP_MAX_CAPTURE];	/* values of capture[i], "" when absent */
	const char *url;		/* the URL asked */
};

typedef void (*http_cb)(const struct http_response *r, void *arg);

/* http_new - an HTTP client on base; NULL with *cause */
struct http *http_new(struct event_base *base, char **cause);

/*
 * http_free - cancel everything and free h: the callback of every request
 * not yet reported runs once, before http_free returns, with the error
 * "cancelled" (also one whose answer had come but was waiting for the
 * loop); requests started by those callbacks too. Callable from a
 * callback; NULL is a no-op. Free it before its event base.
 */
void http_free(struct http *h);

/* http_get - start a GET; cb(response, arg) later, from the loop, once */
void http_get(struct http *h, const struct http_request *rq, http_cb cb, void *arg);

/* http_active - requests started and not yet reported */
int http_active(const struct http *h);

/*
 * http_query_escape - s percent-encoded for a URL query value (RFC 3986
 * unreserved characters kept) into out[size]; -1 if it does not fit
 */
int http_query_escape(const char *s, char *out, size_t size);

#endif
