/*
 * hreq.c - one blocking HTTP(S) request (see hreq.h).
 *
 * The easy-interface twin of http.c's request set-up: the same limits
 * (time, body size, protocols, TLS 1.2, verification against PEM text),
 * but no redirects: the APIs spoken here (ETD, Microsoft Graph) never
 * redirect an API call, and a redirect carrying a bearer token elsewhere
 * is exactly what must not happen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "net/hreq.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/version.h"

#define HREQ_TIMEOUT_DEFAULT 30000
#define HREQ_TIMEOUT_MAX 600000

struct sink {
	struct buf body;
	int toobig;
};

/* write_cb - CURLOPT_WRITEFUNCTION: body bytes, refused past the limit */
static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;

	if (buf_add(&k->body, p, size * n) < 0) {
		k->toobig = 1;
		return 0;
	}
	return size * n;
}

/*
 * hreq_abort_cb - CURLOPT_XFERINFOFUNCTION: libcurl calls it at least about
 * once a second even while nothing moves, so a set abort flag ends a
 * transfer that waits on a silent server within a second (a daemon
 * stopping must not wait out a 300-second time limit)
 */
int
hreq_abort_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	volatile int *abort = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return *abort ? 1 : 0;
}

/* why - one line for a failed transfer */
static char *
why(const struct hreq *rq, CURLcode rc, const char *errbuf, const struct sink *k, size_t max)
{
	if (k->toobig || rc == CURLE_FILESIZE_EXCEEDED)
		return str_printf("%s: the answer is larger than %zu bytes", rq->url, max);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return str_printf("%s: stopped", rq->url);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return str_printf("%s: no answer within %d seconds", rq->url,
		    (rq->timeout_ms > 0 ? rq->timeout_ms : HREQ_TIMEOUT_DEFAULT) / 1000);
	return str_printf("%s: %s", rq->url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/*
 * hreq_passing - may a later try of the same request succeed? The server
 * not reached, the connection broken or silent, the time run out; not a
 * refused certificate, a bad URL, a body too large or a stop asked for
 */
int
hreq_passing(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:	/* a handshake cut short, not a refused certificate */
		return 1;
	default:
		return 0;
	}
}

int
hreq_do(const struct hreq *rq, struct hresp *rs, char **cause)
{
	static const char agent[] = "mxgate/" MXGATE_VERSION;
	char errbuf[CURL_ERROR_SIZE] = "", ctype[256];
	size_t max = rq->max_body ? rq->max_body : HREQ_MAX_BODY_DEFAULT;
	long timeout = rq->timeout_ms > 0 ? rq->timeout_ms : HREQ_TIMEOUT_DEFAULT;
	const char *method = rq->method ? rq->method : "GET";
	struct curl_slist *hdrs = NULL, *t;
	struct sink k;
	CURLcode rc = CURLE_OK;
	curl_off_t ra = 0;
	long status = 0;
	int ret = -1;
	CURL *h;

	memset(rs, 0, sizeof(*rs));
	rs->retry_after = -1;
	if (rq->abort != NULL && *rq->abort) {
		*cause = str_printf("%.200s: stopped", rq->url);
		return -1;
	}
	if (strncmp(rq->url, "https://", 8) != 0 && strncmp(rq->url, "http://", 7) != 0) {
		*cause = str_printf("%.200s: only http:// and https:// URLs are spoken", rq->url);
		return -1;
	}
	if (timeout > HREQ_TIMEOUT_MAX)
		timeout = HREQ_TIMEOUT_MAX;
	if ((h = curl_easy_init()) == NULL) {
		*cause = str_printf("%.200s: libcurl cannot make a handle", rq->url);
		return -1;
	}
	buf_init(&k.body, max);
	k.toobig = 0;
	for (int i = 0; i < HREQ_MAX_HEADERS && rq->headers[i] != NULL; i++) {
		if ((t = curl_slist_append(hdrs, rq->headers[i])) == NULL)
			goto nomem;
		hdrs = t;
	}
	if (rq->body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0) {
		str_fmt(ctype, sizeof(ctype), "Content-Type: %s",
		    rq->content_type ? rq->content_type : "application/json");
		if ((t = curl_slist_append(hdrs, ctype)) == NULL)
			goto nomem;
		hdrs = t;
	}
	/* no "Expect: 100-continue" round trip on a POST body */
	if ((t = curl_slist_append(hdrs, "Expect:")) == NULL)
		goto nomem;
	hdrs = t;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, rq->url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, (void *)&k);
	SET(CURLOPT_USERAGENT, agent);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_SSL_VERIFYPEER, rq->verify ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, rq->verify ? 2L : 0L);
	if (rq->ca_pem != NULL && rq->ca_pem[0] != '\0') {
		struct curl_blob blob = { (void *)rq->ca_pem, strlen(rq->ca_pem), CURL_BLOB_COPY };

		SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	if (rq->abort != NULL) {
		SET(CURLOPT_XFERINFOFUNCTION, hreq_abort_cb);
		SET(CURLOPT_XFERINFODATA, (void *)rq->abort);
		SET(CURLOPT_NOPROGRESS, 0L);
	}
	if (rq->user != NULL) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, rq->user);
		SET(CURLOPT_PASSWORD, rq->password ? rq->password : "");
	}
	if (strcmp(method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "POST") == 0) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
	} else {
		SET(CURLOPT_CUSTOMREQUEST, method);
		if (rq->body != NULL) {
			SET(CURLOPT_POSTFIELDS, rq->body);
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		}
	}
#undef SET
	if (rc != CURLE_OK) {
		*cause = str_printf("%.200s: cannot set up the request: %s", rq->url,
		    curl_easy_strerror(rc));
		goto fail;
	}
	if ((rc = curl_easy_perform(h)) != CURLE_OK) {
		*cause = why(rq, rc, errbuf, &k, max);
		ret = hreq_passing(rc) && !k.toobig ? HREQ_PASSING : -1;
		goto fail;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		rs->retry_after = ra > 86400 ? 86400 : (int)ra;
	rs->status = (int)status;
	rs->len = k.body.len;
	if ((rs->body = buf_steal(&k.body)) == NULL)
		rs->body = str_dup("");
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return 0;

nomem:
	*cause = str_printf("%.200s: out of memory for the request headers", rq->url);
fail:
	buf_free(&k.body);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return ret;
}

void
hresp_free(struct hresp *rs)
{
	free(rs->body);
	rs->body = NULL;
	rs->len = 0;
}
