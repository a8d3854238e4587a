/*
 * hreq.h - one blocking HTTP(S) request through libcurl's easy interface,
 * for the remediation thread (ETD API, Microsoft Graph), which may wait;
 * the event loop uses net/http.c instead.
 *
 * Bounded like http.c: a time limit, a largest body (a bigger one is an
 * error, not cut), http:// and https:// only, no redirects followed
 * (an API answering with one is an error the caller sees as a 3xx
 * status), TLS 1.2 at least, and with verify on the peer's certificate and
 * name are checked against ca_pem (PEM text) or the system's bundle.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause when no whole response
 * came (connect, TLS, time, size); HREQ_PASSING (-2) instead when it may
 * come on a later try (the server could not be reached, the connection
 * broke, the time ran out), so that callers can tell an outage from a
 * refusal; an HTTP status is not an error here: the caller judges it; a
 * transfer ended by rq->abort is -1 with the cause "...: stopped".
 * Allocation failure aborts (util/str.h).
 */
#ifndef NET_HREQ_H
#define NET_HREQ_H

#include <stddef.h>

#include <curl/curl.h>

#define HREQ_MAX_HEADERS 8
#define HREQ_PASSING (-2)		/* hreq_do: a failure a later try may not have */
#define HREQ_MAX_BODY_DEFAULT (8u * 1024 * 1024)

struct hreq {
	const char *method;		/* "GET", "POST", "DELETE", ...; NULL: GET */
	const char *url;
	const char *headers[HREQ_MAX_HEADERS];	/* "Name: value", NULL-ended */
	const char *body;		/* request body, NULL: none (POST sends an empty one) */
	size_t body_len;
	const char *content_type;	/* with a body; NULL: application/json */
	const char *user, *password;	/* HTTP Basic, NULL: none */
	int timeout_ms;			/* whole request; 0: 30000 */
	size_t max_body;		/* 0: HREQ_MAX_BODY_DEFAULT */
	int verify;			/* check the peer */
	const char *ca_pem;		/* NULL or "": the system's bundle */
	volatile int *abort;		/* NULL, or a flag another thread sets to end the
					 * transfer early (checked about once a second) */
};

struct hresp {
	int status;			/* HTTP status */
	char *body;			/* malloc'd, NUL-terminated, len bytes */
	size_t len;
	int retry_after;		/* Retry-After in seconds (delta or date), -1 when absent */
};

/* hreq_do - perform rq; 0 with *rs filled (free with hresp_free), or -1 / HREQ_PASSING with *cause */
int hreq_do(const struct hreq *rq, struct hresp *rs, char **cause);

/*
 * hreq_abort_cb - a CURLOPT_XFERINFOFUNCTION ending the transfer once the
 * int its data points to is set (with CURLOPT_NOPROGRESS 0; IMAP too)
 */
int hreq_abort_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow);

/* hreq_passing - is a libcurl failure one that a later try may not have? (IMAP too) */
int hreq_passing(CURLcode rc);

/* hresp_free - release a response's body (rs itself is the caller's) */
void hresp_free(struct hresp *rs);

#endif
