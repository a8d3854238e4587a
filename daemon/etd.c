/*
 * etd.c - the Email Threat Defense API client (token, message search).
 *
 * Token: POST {base}/v1/oauth/token with x-api-key and HTTP Basic
 * client_id:client_secret, no body (spec §1.2). Search: POST
 * {base}/v1/messages/search with Authorization: Bearer, x-api-key and a
 * JSON body (§1.4). A 401 from the search is the token expiring early:
 * one new token, one more try (what the Sentinel connector does).
 *
 * Rate limits (§1.3: 2/s, burst 4, 10,000 a day): a token bucket before
 * every request, sleeping the thread when it is empty (a poll makes a few
 * requests a minute, so this waits only while paging); the day's count in
 * queue_state "etd.day" as "YYYY-MM-DD N", written with each request, or
 * in a cluster the cluster's count, through etd_set_counter. The
 * API's throttling status is not documented (§1.3 [Inference]): 429 and
 * 5xx back off, Retry-After first.
 *
 * DIAGNOSTICS: see etd.h. Tokens and secrets are never in a cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/etd.h"
#include "net/hreq.h"
#include "util/str.h"

#define ETD_TOKEN_MARGIN 300	/* seconds before expiry a token is renewed */
#define ETD_TIMEOUT_MS 30000
#define ETD_MAX_ANSWER (8u * 1024 * 1024)

struct etd {
	struct queue *q;		/* the caller's, for the day's count */
	char *base;			/* without a trailing / */
	char *client_id, *client_secret, *api_key, *ca_pem;
	char *token;			/* cached accessToken, NULL none */
	time_t token_until;		/* renew from then on */
	double tokens;			/* the bucket */
	struct timespec filled;		/* when the bucket was last filled */
	char day[16];			/* the UTC day counted ("" not read yet) */
	int today;			/* requests that day */
	int backoff;			/* seconds of the last back-off, 0 none */
	volatile int *abort;		/* set by another thread: stop waiting (etd_set_abort) */
	etd_counter_fn counter;		/* the cluster's shared count (etd_set_counter), NULL none */
	void *counter_arg;
};

/* wipe_free - free a secret, cleared first */
static void
wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* etd_new - see etd.h */
struct etd *
etd_new(struct queue *q)
{
	struct etd *e = xcalloc(1, sizeof(*e));

	e->q = q;
	e->tokens = ETD_BURST;
	clock_gettime(CLOCK_MONOTONIC, &e->filled);
	e->base = str_dup("");
	e->client_id = str_dup("");
	e->client_secret = str_dup("");
	e->api_key = str_dup("");
	e->ca_pem = str_dup("");
	return e;
}

/* etd_free - see etd.h */
void
etd_free(struct etd *e)
{
	if (e == NULL)
		return;
	wipe_free(e->token);
	wipe_free(e->client_secret);
	wipe_free(e->api_key);
	free(e->base);
	free(e->client_id);
	free(e->ca_pem);
	free(e);
}

/* same - are a and b equal (NULL as "")? */
static int
same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* etd_configure - see etd.h */
void
etd_configure(struct etd *e, const char *base, const char *client_id, const char *client_secret,
    const char *api_key, const char *ca_pem)
{
	size_t n;

	if (!same(base, e->base) || !same(client_id, e->client_id) ||
	    !same(client_secret, e->client_secret) || !same(api_key, e->api_key)) {
		wipe_free(e->token);
		e->token = NULL;
	}
	free(e->base);
	e->base = str_dup(base ? base : "");
	n = strlen(e->base);
	while (n > 0 && e->base[n - 1] == '/')
		e->base[--n] = '\0';
	free(e->client_id);
	e->client_id = str_dup(client_id ? client_id : "");
	wipe_free(e->client_secret);
	e->client_secret = str_dup(client_secret ? client_secret : "");
	wipe_free(e->api_key);
	e->api_key = str_dup(api_key ? api_key : "");
	free(e->ca_pem);
	e->ca_pem = str_dup(ca_pem ? ca_pem : "");
}

/* ---------------------------------------------------------- limits */

/* bucket_wait - take one token of the bucket, sleeping until there is one */
static void
bucket_wait(struct etd *e)
{
	for (;;) {
		struct timespec now, ts;
		double dt;

		clock_gettime(CLOCK_MONOTONIC, &now);
		dt = (double)(now.tv_sec - e->filled.tv_sec) +
		    (double)(now.tv_nsec - e->filled.tv_nsec) / 1e9;
		e->filled = now;
		e->tokens += dt * ETD_RATE;
		if (e->tokens > ETD_BURST)
			e->tokens = ETD_BURST;
		if (e->tokens >= 1) {
			e->tokens -= 1;
			return;
		}
		dt = (1 - e->tokens) / ETD_RATE;
		ts.tv_sec = (time_t)dt;
		ts.tv_nsec = (long)((dt - (double)ts.tv_sec) * 1e9) + 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (e->abort != NULL && *e->abort)
			return;	/* stopping: the request is refused at once by hreq */
		if (ts.tv_sec > 0 || ts.tv_nsec > 200000000) {
			ts.tv_sec = 0;
			ts.tv_nsec = 200000000;	/* look at the abort flag between naps */
		}
		nanosleep(&ts, NULL);
	}
}

/* today - the UTC day of now ("YYYY-MM-DD") */
static void
today(time_t now, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
}

/* day_load - the day's count as kept in queue.db (another day: 0) */
static void
day_load(struct etd *e, time_t now)
{
	char d[16], *v;

	today(now, d, sizeof(d));
	if (strcmp(d, e->day) == 0)
		return;
	str_copy(e->day, d, sizeof(e->day));
	e->today = 0;
	v = queue_state_get(e->q, "etd.day");
	if (v) {
		char *sp = strchr(v, ' ');
		long n;

		if (sp && (size_t)(sp - v) == strlen(d) && strncmp(v, d, strlen(d)) == 0 &&
		    str_to_long(sp + 1, 0, 1000000, &n) == 0)
			e->today = (int)n;
		free(v);
	}
}

/* quota_take - count one request; -1 with *cause when the day's quota is used */
static int
quota_take(struct etd *e, int *retry_in, char **cause)
{
	time_t now = time(NULL);
	char v[48], *c2 = NULL;

	if (e->counter != NULL) {
		/* a cluster's: one count for every member that polls */
		char d[16];
		int n = 0, rc;

		today(now, d, sizeof(d));
		rc = e->counter(e->counter_arg, d, ETD_DAILY_QUOTA, &n, &c2);
		if (rc < 0) {
			*retry_in = ETD_BACKOFF_MIN;
			*cause = str_printf("request not made: the cluster's daily count of requests "
					    "cannot be kept: %s (retrying in %d seconds)",
			    c2 ? c2 : "no reason given", *retry_in);
			free(c2);
			return -1;
		}
		str_copy(e->day, d, sizeof(e->day));
		e->today = n;
		if (rc == 0) {
			*retry_in = (int)(86400 - now % 86400) + 1;
			*cause = str_printf("daily quota of %d requests used by the cluster "
					    "(retrying at 00:00 UTC)", ETD_DAILY_QUOTA);
			return -1;
		}
		return 0;
	}
	day_load(e, now);
	if (e->today >= ETD_DAILY_QUOTA) {
		*retry_in = (int)(86400 - now % 86400) + 1;
		*cause = str_printf("daily quota of %d requests used (retrying at 00:00 UTC)",
		    ETD_DAILY_QUOTA);
		return -1;
	}
	e->today++;
	str_fmt(v, sizeof(v), "%s %d", e->day, e->today);
	if (queue_state_set(e->q, "etd.day", v, &c2) < 0)
		free(c2);	/* the count is kept in memory all the same */
	return 0;
}

/* backoff - the wait after a 429/5xx or a failed connection */
static int
backoff(struct etd *e, int retry_after)
{
	if (retry_after >= 0) {
		e->backoff = retry_after < 1 ? 1 : retry_after > 3600 ? 3600 : retry_after;
		return e->backoff;
	}
	e->backoff = e->backoff ? e->backoff * 2 : ETD_BACKOFF_MIN;
	if (e->backoff > ETD_BACKOFF_MAX)
		e->backoff = ETD_BACKOFF_MAX;
	return e->backoff;
}

/* retryable - is this status worth trying again soon? */
static int
retryable(int status)
{
	return status == 429 || (status >= 500 && status <= 599);
}

/* snippet - a short printable excerpt of an answer body, for a cause */
static void
snippet(const struct hresp *rs, char *buf, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < rs->len && k + 1 < size && k < 100; i++) {
		unsigned char c = (unsigned char)rs->body[i];

		buf[k++] = c >= 32 && c < 127 ? (char)c : ' ';
	}
	buf[k] = '\0';
}

/* ---------------------------------------------------------- calls */

/* call - one request counted and paced; 0 with *rs, or -1 with *cause (no quota / no answer) */
static int
call(struct etd *e, const char *path, const char *bearer, const char *body, struct hresp *rs,
    int *retry_in, char **cause)
{
	struct hreq rq = { 0 };
	char *url = str_printf("%s%s", e->base, path), *key, *auth = NULL, *c2 = NULL;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (quota_take(e, retry_in, cause) < 0) {
		free(url);
		return -1;
	}
	bucket_wait(e);
	key = str_printf("x-api-key: %s", e->api_key);
	rq.method = "POST";
	rq.url = url;
	rq.headers[0] = key;
	if (bearer) {
		auth = str_printf("Authorization: Bearer %s", bearer);
		rq.headers[1] = auth;
		rq.body = body;
		rq.body_len = strlen(body);
		rq.content_type = "application/json";
	} else {
		rq.user = e->client_id;
		rq.password = e->client_secret;
	}
	rq.timeout_ms = ETD_TIMEOUT_MS;
	rq.max_body = ETD_MAX_ANSWER;
	rq.verify = 1;
	rq.ca_pem = e->ca_pem;
	rq.abort = e->abort;
	rc = hreq_do(&rq, rs, &c2);
	wipe_free(key);
	wipe_free(auth);
	free(url);
	if (rc < 0 && e->abort != NULL && *e->abort) {
		*retry_in = 0;
		*cause = str_printf("%s stopped: %s", bearer ? "search" : "token request",
		    c2 ? c2 : "stopping");
		free(c2);
		return -1;
	}
	if (rc < 0) {
		*retry_in = backoff(e, -1);
		*cause = str_printf("%s failed: %s (retrying in %d seconds)",
		    bearer ? "search" : "token request", c2 ? c2 : "no answer", *retry_in);
		free(c2);
		return -1;
	}
	return 0;
}

/* token - a usable access token in e->token; 0, or -1 */
static int
token(struct etd *e, int *retry_in, char **cause)
{
	struct hresp rs;
	char *c2 = NULL, *tok = NULL;
	int exp;

	if (e->token && time(NULL) < e->token_until)
		return 0;
	wipe_free(e->token);
	e->token = NULL;
	if (e->base[0] == '\0' || e->client_id[0] == '\0' || e->api_key[0] == '\0') {
		*retry_in = 0;
		*cause = str_dup("token request not made: the client ID or API key is not set");
		return -1;
	}
	if (call(e, "/v1/oauth/token", NULL, NULL, &rs, retry_in, cause) < 0)
		return -1;
	if (rs.status == 401 || rs.status == 403) {
		*retry_in = 0;
		*cause = str_printf("token request failed: HTTP %d: check the client ID, password "
				    "and API key", rs.status);
	} else if (retryable(rs.status)) {
		*retry_in = backoff(e, rs.retry_after);
		*cause = str_printf("token request failed: HTTP %d (retrying in %d seconds)",
		    rs.status, *retry_in);
	} else if (rs.status != 200) {
		char sn[128];

		snippet(&rs, sn, sizeof(sn));
		*retry_in = 0;
		*cause = str_printf("token request failed: HTTP %d: %s", rs.status, sn);
	} else if (etdjson_token_parse(rs.body, rs.len, &tok, &exp, &c2) < 0) {
		*retry_in = backoff(e, -1);
		*cause = str_printf("token request failed: %s (retrying in %d seconds)", c2,
		    *retry_in);
		free(c2);
	} else {
		e->token = tok;
		e->token_until = time(NULL) + (exp > 2 * ETD_TOKEN_MARGIN ? exp - ETD_TOKEN_MARGIN :
									    exp / 2);
		hresp_free(&rs);
		return 0;
	}
	hresp_free(&rs);
	return -1;
}

/* etd_search - see etd.h */
int
etd_search(struct etd *e, time_t start, time_t end, const char *verdicts,
    const char *page_token, struct etdjson_page *pg, int *retry_in, char **cause)
{
	char *body = etdjson_search_body(start, end, verdicts, ETD_PAGE_SIZE, page_token);
	struct hresp rs;
	char *c2 = NULL, sn[128];
	int rc = -1;

	memset(pg, 0, sizeof(*pg));
	*retry_in = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (token(e, retry_in, cause) < 0) {
			free(body);
			return -1;
		}
		if (call(e, "/v1/messages/search", e->token, body, &rs, retry_in, cause) < 0) {
			free(body);
			return -1;
		}
		if (rs.status != 401 || attempt == 1)
			break;
		/* the token ended early (or was revoked): one new one, one more try */
		hresp_free(&rs);
		wipe_free(e->token);
		e->token = NULL;
	}
	free(body);
	if (rs.status == 200) {
		if (etdjson_search_parse(rs.body, rs.len, pg, &c2) == 0) {
			e->backoff = 0;
			rc = 0;
		} else {
			*retry_in = backoff(e, -1);
			*cause = str_printf("search failed: %s (retrying in %d seconds)", c2,
			    *retry_in);
			free(c2);
		}
	} else if (rs.status == 401) {
		wipe_free(e->token);
		e->token = NULL;
		*cause = str_dup("search failed: HTTP 401 with a new token: check the client ID, "
				 "password and API key");
	} else if (rs.status == 403) {
		*cause = str_dup("search failed: HTTP 403: check the API key");
	} else if (retryable(rs.status)) {
		*retry_in = backoff(e, rs.retry_after);
		*cause = str_printf("search failed: HTTP %d (retrying in %d seconds)", rs.status,
		    *retry_in);
	} else {
		snippet(&rs, sn, sizeof(sn));
		*cause = str_printf("search failed: HTTP %d: %s", rs.status, sn);
	}
	hresp_free(&rs);
	return rc;
}

/* etd_set_counter - see etd.h */
void
etd_set_counter(struct etd *e, etd_counter_fn fn, void *arg)
{
	if (e->counter != fn || e->counter_arg != arg)
		e->day[0] = '\0';	/* the other count is read afresh */
	e->counter = fn;
	e->counter_arg = arg;
}

/* etd_set_abort - see etd.h */
void
etd_set_abort(struct etd *e, volatile int *abort)
{
	e->abort = abort;
}

/* etd_requests_today - see etd.h */
int
etd_requests_today(struct etd *e)
{
	day_load(e, time(NULL));
	return e->today;
}
