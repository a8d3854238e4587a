/*
 * etcd.c - a blocking client of etcd's v3 JSON gateway (see etcd.h).
 *
 * Every call is one POST of a small JSON body to /v3/..., built here with
 * a bounded buffer (keys and values travel base64, int64 fields as
 * decimal strings, so nothing needs JSON escaping), and its answer read
 * with cJSON. Each struct etcd keeps two libcurl easy handles, one for
 * plain requests and one for the watch stream, so connections (and TLS
 * sessions) are reused, and a watch callback may make ordinary calls on
 * the same struct etcd.
 *
 * Failover: a call starts at the endpoint that answered last and moves
 * on when that one cannot serve it (not reached, TLS refused, silent, an
 * answer that is not the gateway's, HTTP 502/503/504, gRPC codes 14
 * Unavailable or 4 DeadlineExceeded, or a text saying the member has no
 * leader or timed out). Every request carries the gRPC metadata
 * "hasleader: true" (as the Grpc-Metadata-Hasleader header the gateway
 * forwards), so a member cut off from its leader refuses at once and a
 * watch on it is cancelled when the leader is lost, instead of going
 * silent. The time of a call (timeout_ms) is shared among the endpoints
 * still to try, so one silent member cannot use it all.
 *
 * Watch framing (etcd 3.4.23, checked by running it): the gateway's
 * answer to POST /v3/watch is a chunked stream of JSON objects, each on
 * its own line ending in "\n": {"result":{...WatchResponse...}} or, on
 * a failure, {"error":{"grpc_code":N,"http_code":N,"message":"..",
 * "http_status":".."}}. The first result has "created":true; a start
 * revision already compacted gives a second result with "canceled":true
 * and "compact_revision". Events of one revision (a transaction) are
 * never split across results (the server does that only when asked
 * with "fragment"), so results are grouped by kv.mod_revision as they
 * come.
 *
 * Limits: an answer over ETCD_MAX_BODY bytes (64 MiB) is refused, as is
 * a watch line over that size.
 *
 * DIAGNOSTICS: negative returns with a malloc'd one-line cause; text
 * from the server is cut and made printable before it is put in one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "net/etcd.h"
#include "util/buf.h"
#include "util/jwt.h"
#include "util/printable.h"
#include "util/str.h"
#include "util/version.h"

#define ETCD_MAX_BODY (64 * 1024 * 1024)	/* the largest answer or watch line */
#define ETCD_MAX_ENDPOINTS 16
#define ETCD_TIMEOUT_MIN 100		/* ms */
#define ETCD_TIMEOUT_MAX 600000		/* ms */
#define ETCD_TRY_MIN 500		/* ms: the least an endpoint is given */
#define ETCD_STATUS_TIMEOUT 1000	/* ms: etcd_members asks each member this long */

/* ---------------------------------------------------------------- types */

struct etcd {
	char **ep;			/* endpoints, without a trailing '/' */
	int nep;			/* how many */
	int cur;			/* the one that answered last */
	char *ca, *cert, *key;		/* PEM text, or NULL */
	int timeout_ms;			/* per call */
	volatile int *stop;		/* end calls once *stop != 0; NULL: never */
	CURL *h;			/* plain requests */
	CURL *wh;			/* the watch stream (made on first use) */
	struct curl_slist *hdrs;	/* request headers, shared by both */
	char errbuf[CURL_ERROR_SIZE];	/* libcurl's last error text */
};

/* the progress of one transfer, seen by xfer_cb */
struct xfer {
	struct etcd *e;
	long long deadline;		/* ms on the monotonic clock; 0: none */
	int expired;			/* xfer_cb ended it at the deadline */
	int stopped;			/* xfer_cb ended it on the stop flag */
};

/* what one attempt at one endpoint gave */
enum try_result {
	TRY_ANSWER,		/* an HTTP answer from the gateway (status, body) */
	TRY_UNREACH,		/* this endpoint cannot serve: try the next */
	TRY_ERROR,		/* give up (too large, set-up failed) */
	TRY_STOPPED,		/* the stop flag */
	TRY_UNSURE,		/* sent whole, then no answer or "timed out": a write may land */
};

/* ---------------------------------------------------------------- small helpers */

/* now_ms - the monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* clean - a printable, cut copy of server or library text for a cause */
static const char *
clean(char *dst, size_t size, const char *s)
{
	printable_copy(dst, size, s ? s : "", PRINTABLE_STR, 200);
	return dst;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* b64_add - append base64 (RFC 4648 §4, padded) of p[n] to b */
static int
b64_add(struct buf *b, const unsigned char *p, size_t n)
{
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		if (buf_add(b, q, 4) < 0)
			return -1;
	}
	return 0;
}

/* add_key - append "name":"BASE64" for the bytes s[n] */
static int
add_b64field(struct buf *b, const char *name, const void *s, size_t n)
{
	if (buf_printf(b, "\"%s\":\"", name) < 0 || b64_add(b, s, n) < 0 || buf_addch(b, '"') < 0)
		return -1;
	return 0;
}

/*
 * add_range_end - "range_end" for every key starting with key: the key
 * with its last byte below 0xff incremented and what follows dropped; an
 * empty key or one of 0xff bytes only: "\0", every key (etcd's rule)
 */
static int
add_range_end(struct buf *b, const char *key)
{
	size_t n = strlen(key);
	unsigned char *end;
	int rc;

	while (n > 0 && (unsigned char)key[n - 1] == 0xff)
		n--;
	if (n == 0)
		return add_b64field(b, "range_end", "", 1);
	end = xmalloc(n);
	memcpy(end, key, n);
	end[n - 1]++;
	rc = add_b64field(b, "range_end", end, n);
	free(end);
	return rc;
}

/* get_i64 - an int64 field: a decimal string (as the gateway sends) or a number; absent 0 */
static int
get_i64(const cJSON *o, const char *name, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	const char *s;
	int neg = 0;
	uint64_t x = 0;

	*out = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < -9.0e15 || v->valuedouble > 9.0e15 ||
		    v->valuedouble != (double)(int64_t)v->valuedouble)
			return -1;
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v) || (s = v->valuestring) == NULL)
		return -1;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (*s == '\0' || strlen(s) > 19)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

/* get_u64 - a uint64 field (member ids): a decimal string or a number; absent 0 */
static int
get_u64(const cJSON *o, const char *name, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	const char *s;
	uint64_t x = 0;

	*out = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 0 || v->valuedouble > 9.0e15)
			return -1;
		*out = (uint64_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v) || (s = v->valuestring) == NULL || *s == '\0' || strlen(s) > 20)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*out = x;
	return 0;
}

/* get_b64 - a base64 field decoded into a malloc'd NUL-terminated string; absent "" */
static int
get_b64(const cJSON *o, const char *name, char **out, size_t *len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	size_t n, got = 0;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (v == NULL || cJSON_IsNull(v)) {
		*out = str_dup("");
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return -1;
	n = strlen(v->valuestring);
	*out = xmalloc(n / 4 * 3 + 4);
	if (n > 0 && jwt_b64decode(v->valuestring, n, (unsigned char *)*out, n / 4 * 3 + 3,
	    &got) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[got] = '\0';
	if (len != NULL)
		*len = got;
	return 0;
}

/* get_bool - a boolean field; absent false */
static int
get_bool(const cJSON *o, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* error_text - the message of an error answer {"error":"..","message":"..","code":N} */
static int
error_text(const cJSON *j, char *dst, size_t size, int *code)
{
	const cJSON *err, *msg, *c;

	*code = 0;
	dst[0] = '\0';
	if (!cJSON_IsObject(j) || (err = cJSON_GetObjectItemCaseSensitive(j, "error")) == NULL)
		return -1;
	if (cJSON_IsObject(err)) {	/* the stream form */
		msg = cJSON_GetObjectItemCaseSensitive(err, "message");
		c = cJSON_GetObjectItemCaseSensitive(err, "grpc_code");
	} else {
		msg = cJSON_GetObjectItemCaseSensitive(j, "message");
		if (!cJSON_IsString(msg))
			msg = err;
		c = cJSON_GetObjectItemCaseSensitive(j, "code");
	}
	if (cJSON_IsNumber(c))
		*code = c->valueint;
	clean(dst, size, cJSON_IsString(msg) ? msg->valuestring : "(no message)");
	return 0;
}

/* unreach_text - does the server's error say this member cannot serve now? */
static int
unreach_text(int code, const char *msg)
{
	return code == 14 || code == 4 || strstr(msg, "no leader") != NULL ||
	    strstr(msg, "timed out") != NULL || strstr(msg, "leader changed") != NULL ||
	    strstr(msg, "not capable") != NULL || strstr(msg, "too many requests") != NULL;
}

/* ---------------------------------------------------------------- parsers */

/* kv_free - free one kv's strings */
static void
kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	kv->key = kv->value = NULL;
}

/* parse_kv - one mvccpb.KeyValue */
static int
parse_kv(const cJSON *o, struct etcd_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	if (!cJSON_IsObject(o) || get_b64(o, "key", &kv->key, NULL) < 0 ||
	    get_b64(o, "value", &kv->value, &kv->vlen) < 0 ||
	    get_i64(o, "create_revision", &kv->create_rev) < 0 ||
	    get_i64(o, "mod_revision", &kv->mod_rev) < 0 ||
	    get_i64(o, "version", &kv->version) < 0 || get_i64(o, "lease", &kv->lease) < 0) {
		kv_free(kv);
		return -1;
	}
	return 0;
}

/* header_rev - header.revision of an answer */
static int
header_rev(const cJSON *o, int64_t *rev)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "header");

	*rev = 0;
	if (h == NULL)
		return 0;
	if (!cJSON_IsObject(h))
		return -1;
	return get_i64(h, "revision", rev);
}

/* range_from - a RangeResponse object into out */
static int
range_from(const cJSON *o, struct etcd_range *out, char **cause)
{
	const cJSON *kvs, *kv;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(o) || header_rev(o, &out->revision) < 0) {
		*cause = str_dup("a range answer that is not an object with a header");
		return ETCD_ERROR;
	}
	out->more = get_bool(o, "more");
	kvs = cJSON_GetObjectItemCaseSensitive(o, "kvs");
	if (kvs == NULL || cJSON_IsNull(kvs))
		return 0;
	if (!cJSON_IsArray(kvs)) {
		*cause = str_dup("a range answer whose kvs is not an array");
		return ETCD_ERROR;
	}
	out->kvs = xcalloc((size_t)cJSON_GetArraySize(kvs) + 1, sizeof(*out->kvs));
	cJSON_ArrayForEach(kv, kvs) {
		if (parse_kv(kv, &out->kvs[n]) < 0) {
			out->n = n;
			etcd_range_free(out);
			*cause = str_printf("a range answer with a bad key-value (#%d)", n + 1);
			return ETCD_ERROR;
		}
		n++;
	}
	out->n = n;
	return 0;
}

/* parse_body - a whole JSON answer; an error object becomes a cause */
static cJSON *
parse_body(const char *body, size_t len, const char *what, char **cause)
{
	char msg[256];
	int code;
	cJSON *j;

	if ((j = cJSON_ParseWithLength(body, len)) == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*cause = str_printf("%s: the answer is not a JSON object", what);
		return NULL;
	}
	if (error_text(j, msg, sizeof(msg), &code) == 0) {
		cJSON_Delete(j);
		*cause = str_printf("%s: etcd refused: %s", what, msg);
		return NULL;
	}
	return j;
}

/* etcd_parse_range - a /v3/kv/range answer */
int
etcd_parse_range(const char *body, size_t len, struct etcd_range *out, char **cause)
{
	cJSON *j;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((j = parse_body(body, len, "range", cause)) == NULL)
		return ETCD_ERROR;
	rc = range_from(j, out, cause);
	cJSON_Delete(j);
	return rc;
}

void
etcd_range_free(struct etcd_range *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < r->n; i++)
		kv_free(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

/* etcd_parse_txn - a /v3/kv/txn answer */
int
etcd_parse_txn(const char *body, size_t len, struct etcd_txn_result *out, char **cause)
{
	const cJSON *resp, *r, *rr;
	cJSON *j;
	int n = 0;

	memset(out, 0, sizeof(*out));
	if ((j = parse_body(body, len, "txn", cause)) == NULL)
		return ETCD_ERROR;
	if (header_rev(j, &out->revision) < 0) {
		*cause = str_dup("txn: a bad header");
		goto fail;
	}
	out->succeeded = get_bool(j, "succeeded");
	resp = cJSON_GetObjectItemCaseSensitive(j, "responses");
	if (resp != NULL && !cJSON_IsNull(resp)) {
		if (!cJSON_IsArray(resp)) {
			*cause = str_dup("txn: responses is not an array");
			goto fail;
		}
		cJSON_ArrayForEach(r, resp) {
			if (cJSON_GetObjectItemCaseSensitive(r, "response_range") != NULL)
				n++;
		}
		out->ranges = xcalloc((size_t)n + 1, sizeof(*out->ranges));
		cJSON_ArrayForEach(r, resp) {
			char *why = NULL;

			if ((rr = cJSON_GetObjectItemCaseSensitive(r, "response_range")) == NULL)
				continue;
			if (range_from(rr, &out->ranges[out->nranges], &why) < 0) {
				*cause = str_printf("txn: %s", why);
				free(why);
				goto fail;
			}
			out->nranges++;
		}
	}
	cJSON_Delete(j);
	return 0;

fail:
	cJSON_Delete(j);
	etcd_txn_result_free(out);
	return ETCD_ERROR;
}

void
etcd_txn_result_free(struct etcd_txn_result *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < r->nranges; i++)
		etcd_range_free(&r->ranges[i]);
	free(r->ranges);
	memset(r, 0, sizeof(*r));
}

void
etcd_events_free(struct etcd_event *ev, int n)
{
	if (ev == NULL)
		return;
	for (int i = 0; i < n; i++)
		kv_free(&ev[i].kv);
	free(ev);
}

/* one watch stream message, as watch_msg reads it */
struct watch_msg {
	struct etcd_event *ev;		/* events (malloc'd) */
	int n;				/* how many */
	int64_t compacted;		/* compact_revision */
	int canceled;			/* the watch was cancelled */
	int created;			/* the first message */
	int64_t revision;		/* header.revision */
	int errcode;			/* an error message's gRPC code */
	char reason[256];		/* cancel_reason or the error's message */
	int is_error;			/* an {"error":...} message */
};

/* watch_msg - one line of the stream */
static int
watch_msg(const char *body, size_t len, struct watch_msg *m, char **cause)
{
	const cJSON *res, *evs, *e, *t, *cr;
	cJSON *j;
	int n = 0;

	memset(m, 0, sizeof(*m));
	if ((j = cJSON_ParseWithLength(body, len)) == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*cause = str_dup("watch: a message that is not a JSON object");
		return ETCD_ERROR;
	}
	if (error_text(j, m->reason, sizeof(m->reason), &m->errcode) == 0) {
		m->is_error = 1;
		cJSON_Delete(j);
		return 0;
	}
	if (!cJSON_IsObject(res = cJSON_GetObjectItemCaseSensitive(j, "result")) ||
	    header_rev(res, &m->revision) < 0 || get_i64(res, "compact_revision", &m->compacted) < 0) {
		*cause = str_dup("watch: a message without a proper result");
		goto fail;
	}
	m->created = get_bool(res, "created");
	m->canceled = get_bool(res, "canceled");
	if (cJSON_IsString(cr = cJSON_GetObjectItemCaseSensitive(res, "cancel_reason")))
		clean(m->reason, sizeof(m->reason), cr->valuestring);
	evs = cJSON_GetObjectItemCaseSensitive(res, "events");
	if (evs == NULL || cJSON_IsNull(evs)) {
		cJSON_Delete(j);
		return 0;
	}
	if (!cJSON_IsArray(evs)) {
		*cause = str_dup("watch: events is not an array");
		goto fail;
	}
	m->ev = xcalloc((size_t)cJSON_GetArraySize(evs) + 1, sizeof(*m->ev));
	cJSON_ArrayForEach(e, evs) {
		struct etcd_event *v = &m->ev[n];

		t = cJSON_GetObjectItemCaseSensitive(e, "type");
		if (t == NULL || (cJSON_IsString(t) && strcmp(t->valuestring, "PUT") == 0) ||
		    (cJSON_IsNumber(t) && t->valueint == 0))
			v->type = ETCD_EV_PUT;
		else if ((cJSON_IsString(t) && strcmp(t->valuestring, "DELETE") == 0) ||
		    (cJSON_IsNumber(t) && t->valueint == 1))
			v->type = ETCD_EV_DELETE;
		else {
			*cause = str_printf("watch: event #%d of an unknown type", n + 1);
			goto fail;
		}
		if (parse_kv(cJSON_GetObjectItemCaseSensitive(e, "kv"), &v->kv) < 0) {
			*cause = str_printf("watch: event #%d with a bad key-value", n + 1);
			goto fail;
		}
		if (v->kv.mod_rev <= 0 || (n > 0 && v->kv.mod_rev < m->ev[n - 1].kv.mod_rev)) {
			*cause = str_printf("watch: event #%d out of revision order", n + 1);
			kv_free(&v->kv);
			goto fail;
		}
		m->n = ++n;
	}
	cJSON_Delete(j);
	return 0;

fail:
	cJSON_Delete(j);
	etcd_events_free(m->ev, m->n);
	m->ev = NULL;
	m->n = 0;
	return ETCD_ERROR;
}

/* etcd_parse_watch - one message of a watch stream */
int
etcd_parse_watch(const char *body, size_t len, struct etcd_event **ev, int *n,
    int64_t *compacted, int *canceled, char **cause)
{
	struct watch_msg m;

	*ev = NULL;
	*n = 0;
	*compacted = 0;
	*canceled = 0;
	if (watch_msg(body, len, &m, cause) < 0)
		return ETCD_ERROR;
	if (m.is_error) {
		*cause = str_printf("watch: etcd refused: %s", m.reason);
		return ETCD_ERROR;
	}
	*ev = m.ev;
	*n = m.n;
	*compacted = m.compacted;
	*canceled = m.canceled;
	return 0;
}

/* ---------------------------------------------------------------- the client */

/* setup - the options both handles share */
static CURLcode
setup(struct etcd *e, CURL *h)
{
	static const char agent[] = "mxgate/" MXGATE_VERSION;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_ERRORBUFFER, e->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_USERAGENT, agent);
	SET(CURLOPT_HTTPHEADER, e->hdrs);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_KEEPIDLE, 10L);
	SET(CURLOPT_TCP_KEEPINTVL, 5L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (e->ca != NULL) {
		struct curl_blob b = { e->ca, strlen(e->ca), CURL_BLOB_COPY };

		SET(CURLOPT_CAINFO_BLOB, &b);
	}
	if (e->cert != NULL) {
		struct curl_blob b = { e->cert, strlen(e->cert), CURL_BLOB_COPY };

		SET(CURLOPT_SSLCERTTYPE, "PEM");
		SET(CURLOPT_SSLCERT_BLOB, &b);
	}
	if (e->key != NULL) {
		struct curl_blob b = { e->key, strlen(e->key), CURL_BLOB_COPY };

		SET(CURLOPT_SSLKEYTYPE, "PEM");
		SET(CURLOPT_SSLKEY_BLOB, &b);
	}
#undef SET
	return rc;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* global_init - curl_global_init, once per process (it is not thread-safe itself) */
static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* pem_or_null - a private copy of PEM text, NULL for none */
static char *
pem_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? str_dup(s) : NULL;
}

int
etcd_new(const char *endpoints, const char *ca_pem, const char *cert_pem,
    const char *key_pem, int timeout_ms, struct etcd **out, char **cause)
{
	struct curl_slist *t;
	struct etcd *e;
	char **v;
	int n;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		*cause = str_printf("etcd: libcurl cannot start: %s", curl_easy_strerror(global_rc));
		return ETCD_ERROR;
	}
	if (endpoints == NULL || (v = str_split(endpoints, ',', &n)) == NULL) {
		*cause = str_dup("no etcd endpoints");
		return ETCD_ERROR;
	}
	e = xcalloc(1, sizeof(*e));
	e->ep = xcalloc((size_t)n + 1, sizeof(*e->ep));
	for (int i = 0; i < n; i++) {
		char *s = str_trim(v[i]);
		size_t l = strlen(s);
		char c[256];

		if (l == 0)
			continue;
		while (l > 0 && s[l - 1] == '/')
			s[--l] = '\0';
		if ((strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) ||
		    strpbrk(s, " \t\r\n\"") != NULL || l > 200) {
			*cause = str_printf("etcd endpoint %s: not an http:// or https:// URL",
			    clean(c, sizeof(c), s));
			goto fail;
		}
		if (e->nep == ETCD_MAX_ENDPOINTS) {
			*cause = str_printf("more than %d etcd endpoints", ETCD_MAX_ENDPOINTS);
			goto fail;
		}
		e->ep[e->nep++] = str_dup(s);
	}
	str_split_free(v);
	v = NULL;
	if (e->nep == 0) {
		*cause = str_dup("no etcd endpoints");
		goto fail;
	}
	e->ca = pem_or_null(ca_pem);
	e->cert = pem_or_null(cert_pem);
	e->key = pem_or_null(key_pem);
	if ((e->cert == NULL) != (e->key == NULL)) {
		*cause = str_dup("etcd: a client certificate needs its key, and a key its certificate");
		goto fail;
	}
	e->timeout_ms = timeout_ms < ETCD_TIMEOUT_MIN ? ETCD_TIMEOUT_MIN :
	    timeout_ms > ETCD_TIMEOUT_MAX ? ETCD_TIMEOUT_MAX : timeout_ms;
	/* no "Expect: 100-continue" round trip; see the header comment for hasleader */
	if ((t = curl_slist_append(NULL, "Content-Type: application/json")) == NULL ||
	    (e->hdrs = t, t = curl_slist_append(e->hdrs, "Expect:")) == NULL ||
	    (e->hdrs = t, t = curl_slist_append(e->hdrs, "Grpc-Metadata-Hasleader: true")) == NULL) {
		*cause = str_dup("etcd: out of memory for the request headers");
		goto fail;
	}
	e->hdrs = t;
	if ((e->h = curl_easy_init()) == NULL) {
		*cause = str_dup("etcd: libcurl cannot make a handle");
		goto fail;
	}
	if (setup(e, e->h) != CURLE_OK) {
		*cause = str_printf("etcd: cannot set up libcurl: %s",
		    e->errbuf[0] ? e->errbuf : "an option was refused");
		goto fail;
	}
	*out = e;
	return 0;

fail:
	if (v != NULL)
		str_split_free(v);
	etcd_free(e);
	return ETCD_ERROR;
}

void
etcd_free(struct etcd *e)
{
	if (e == NULL)
		return;
	for (int i = 0; i < e->nep; i++)
		free(e->ep[i]);
	free(e->ep);
	if (e->h != NULL)
		curl_easy_cleanup(e->h);
	if (e->wh != NULL)
		curl_easy_cleanup(e->wh);
	curl_slist_free_all(e->hdrs);
	if (e->key != NULL)
		memset(e->key, 0, strlen(e->key));
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e);
}

void
etcd_set_stop(struct etcd *e, volatile int *stop)
{
	e->stop = stop;
}

const char *
etcd_endpoint(const struct etcd *e)
{
	return e->ep[e->cur];
}

/* is_stopped - the stop flag is set */
static int
is_stopped(const struct etcd *e)
{
	return e->stop != NULL && *e->stop;
}

/*
 * xfer_cb - CURLOPT_XFERINFOFUNCTION: called about once a second even
 * while nothing moves (more often while data flows), so the stop flag
 * and a watch's own deadline end a quiet transfer within a second
 */
static int
xfer_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (is_stopped(x->e)) {
		x->stopped = 1;
		return 1;
	}
	if (x->deadline > 0 && now_ms() >= x->deadline) {
		x->expired = 1;
		return 1;
	}
	return 0;
}

/* body_cb - CURLOPT_WRITEFUNCTION of plain requests: into a bounded buffer */
static size_t
body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * n) < 0)
		return 0;
	return size * n;
}

/* curl_why - one line for a failed transfer to url */
static char *
curl_why(struct etcd *e, const char *url, CURLcode rc, long tmo)
{
	const char *hint = "";
	char c[256];

	if (rc == CURLE_OPERATION_TIMEDOUT)
		return str_printf("%s: no answer within %ld ms", url, tmo);
	clean(c, sizeof(c), e->errbuf[0] ? e->errbuf : curl_easy_strerror(rc));
	/* the usual mistakes, said plainly: libcurl's words do not */
	if (rc == CURLE_GOT_NOTHING && strncmp(url, "http://", 7) == 0)
		hint = " (an https:// member spoken to as http://?)";
	else if (rc == CURLE_SSL_CONNECT_ERROR && strstr(c, "wrong version number") != NULL)
		hint = " (an http:// member spoken to as https://?)";
	else if (strstr(c, "alert bad certificate") != NULL || strstr(c, "alert unknown ca") != NULL ||
	    strstr(c, "alert certificate required") != NULL)
		hint = e->cert != NULL ? " (the member refused our client certificate)" :
		    " (the member wants a client certificate)";
	else if (strncmp(url, "https://", 8) == 0 && (rc == CURLE_SEND_ERROR ||
	    rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
	    (rc == CURLE_SSL_CONNECT_ERROR && strstr(c, "certificate problem") == NULL) ||
	    strstr(c, "Connection reset by peer") != NULL ||
	    (rc == CURLE_COULDNT_CONNECT && strstr(c, "getpeername") != NULL)))
		/*
		 * TLS 1.3: the server checks our certificate after the
		 * handshake and just closes, so libcurl sees a reset
		 */
		hint = e->cert != NULL ? " (closed by the member: does it trust our client"
		    " certificate?)" : " (closed by the member: does it want a client certificate?)";
	return str_printf("%s: %s%s", url, c, hint);
}

/*
 * try_post - one POST of body to url + path on handle h, at most tmo ms.
 * TRY_ANSWER with *status and the body in out, else a cause.
 */
static enum try_result
try_post(struct etcd *e, CURL *h, const char *url, const char *path, const char *body,
    long tmo, struct buf *out, long *status, char **cause)
{
	char full[512];
	struct xfer x = { e, 0, 0, 0 };
	CURLcode rc = CURLE_OK;

	buf_reset(out);
	out->toobig = 0;
	*status = 0;
	e->errbuf[0] = '\0';
	str_fmt(full, sizeof(full), "%s%s", url, path);
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, full);
	SET(CURLOPT_POSTFIELDS, body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	SET(CURLOPT_TIMEOUT_MS, tmo);
	SET(CURLOPT_CONNECTTIMEOUT_MS, tmo);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ETCD_MAX_BODY);
	SET(CURLOPT_WRITEFUNCTION, body_cb);
	SET(CURLOPT_WRITEDATA, (void *)out);
	SET(CURLOPT_XFERINFOFUNCTION, xfer_cb);
	SET(CURLOPT_XFERINFODATA, (void *)&x);
	SET(CURLOPT_NOPROGRESS, 0L);
#undef SET
	if (rc != CURLE_OK) {
		*cause = str_printf("%s: cannot set up the request: %s", url, curl_easy_strerror(rc));
		return TRY_ERROR;
	}
	rc = curl_easy_perform(h);
	if (x.stopped || (rc == CURLE_ABORTED_BY_CALLBACK && is_stopped(e))) {
		*cause = str_printf("%s: stopped", url);
		return TRY_STOPPED;
	}
	if (out->toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		*cause = str_printf("%s: the answer is larger than %d bytes", url, ETCD_MAX_BODY);
		return TRY_ERROR;
	}
	if (rc != CURLE_OK) {
		curl_off_t up = 0;

		*cause = curl_why(e, url, rc, tmo);
		/* the whole request went out: the member may have proposed it */
		if (curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK &&
		    up >= (curl_off_t)strlen(body) && up > 0)
			return TRY_UNSURE;
		return TRY_UNREACH;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return TRY_ANSWER;
}

/*
 * answer_kind - classify an HTTP answer: TRY_ANSWER (200, or an etcd
 * error that is the caller's: cause set, *refused), TRY_UNREACH (this
 * member cannot serve now, or it is not an etcd gateway)
 */
static enum try_result
answer_kind(const char *url, long status, const struct buf *b, int *refused, char **cause)
{
	char msg[256], c[256];
	cJSON *j;
	int code;

	*refused = 0;
	if (status == 200)
		return TRY_ANSWER;
	j = cJSON_ParseWithLength(b->data, b->len);
	if (j == NULL || error_text(j, msg, sizeof(msg), &code) < 0) {
		cJSON_Delete(j);
		printable_copy(c, sizeof(c), b->data, b->len, 120);
		*cause = str_printf("%s: HTTP %ld, not an etcd answer: %s", url, status, c);
		return TRY_UNREACH;
	}
	cJSON_Delete(j);
	/*
	 * "no leader" is refused before any proposal; a time-out (the gateway's
	 * 504, etcd's "request timed out", a leader lost meanwhile) is not
	 */
	if (strstr(msg, "no leader") == NULL && (status == 504 || code == 4 ||
	    strstr(msg, "timed out") != NULL || strstr(msg, "leader changed") != NULL ||
	    strstr(msg, "leader fail") != NULL)) {
		*cause = str_printf("%s: %s", url, msg);
		return TRY_UNSURE;
	}
	if (status == 502 || status == 503 || unreach_text(code, msg)) {
		*cause = str_printf("%s: %s", url, msg);
		return TRY_UNREACH;
	}
	*refused = 1;
	*cause = str_printf("etcd refused: %s", msg);
	return TRY_ANSWER;
}

/*
 * call - POST body to path on the endpoints in turn, starting at the one
 * that answered last, within e->timeout_ms; 0 with the 200 answer's body
 * in out (the caller frees it), or a negative code with a cause
 */
static int
call(struct etcd *e, const char *path, const char *body, struct buf *out, char **cause)
{
	/* a write that may have been proposed is never sent again elsewhere */
	int write = strcmp(path, "/v3/kv/put") == 0 || strcmp(path, "/v3/kv/deleterange") == 0 ||
	    strcmp(path, "/v3/kv/txn") == 0;
	long long deadline = now_ms() + e->timeout_ms;
	char *last = NULL;
	long status;
	int refused;

	buf_init(out, ETCD_MAX_BODY);
	for (int k = 0; k < e->nep; k++) {
		int i = (e->cur + k) % e->nep, left = e->nep - k;
		long long rest = deadline - now_ms();
		long tmo;
		char *why = NULL;
		enum try_result r;

		if (is_stopped(e)) {
			free(last);
			*cause = str_printf("%s: stopped", e->ep[i]);
			buf_free(out);
			return ETCD_ESTOPPED;
		}
		if (rest <= 0)
			break;
		tmo = (long)(rest / left);
		if (tmo < ETCD_TRY_MIN)
			tmo = rest < ETCD_TRY_MIN ? (long)rest : ETCD_TRY_MIN;
		r = try_post(e, e->h, e->ep[i], path, body, tmo, out, &status, &why);
		if (r == TRY_ANSWER)
			r = answer_kind(e->ep[i], status, out, &refused, &why);
		switch (r) {
		case TRY_ANSWER:
			free(last);
			e->cur = i;
			if (refused) {
				*cause = why;
				buf_free(out);
				return ETCD_ERROR;
			}
			return 0;
		case TRY_UNSURE:
			if (write) {
				free(last);
				e->cur = (i + 1) % e->nep;	/* the next call starts elsewhere */
				*cause = why;
				buf_free(out);
				return ETCD_EUNKNOWN;
			}
			/* a read is simply tried elsewhere */
			/* FALLTHROUGH */
		case TRY_UNREACH:
			free(last);
			last = why;
			continue;
		case TRY_STOPPED:
			free(last);
			*cause = why;
			buf_free(out);
			return ETCD_ESTOPPED;
		case TRY_ERROR:
			free(last);
			*cause = why;
			buf_free(out);
			return ETCD_ERROR;
		}
	}
	buf_free(out);
	*cause = last != NULL ? last :
	    str_printf("%s: no answer within %d ms", e->ep[e->cur], e->timeout_ms);
	/* the next call starts after the one that failed last */
	e->cur = (e->cur + 1) % e->nep;
	return ETCD_EUNREACH;
}

/* call_json - call, then the answer as a JSON object */
static int
call_json(struct etcd *e, const char *path, struct buf *req, cJSON **j, char **cause)
{
	struct buf out;
	int rc;

	*j = NULL;
	if (req->toobig) {
		buf_free(req);
		*cause = str_printf("etcd %s: the request is too large", path);
		return ETCD_ERROR;
	}
	rc = call(e, path, req->data ? req->data : "{}", &out, cause);
	buf_free(req);
	if (rc < 0)
		return rc;
	if ((*j = parse_body(out.data ? out.data : "", out.len, etcd_endpoint(e), cause)) == NULL)
		rc = ETCD_ERROR;
	buf_free(&out);
	return rc;
}

/* ---------------------------------------------------------------- kv */

/* req_init - a request body buffer; requests are bounded like answers */
static void
req_init(struct buf *b)
{
	buf_init(b, ETCD_MAX_BODY);
}

int
etcd_get(struct etcd *e, const char *key, int prefix, int64_t at_rev, long limit,
    struct etcd_range *out, char **cause)
{
	struct buf b;
	struct buf o;
	int rc;

	memset(out, 0, sizeof(*out));
	req_init(&b);
	buf_addch(&b, '{');
	add_b64field(&b, "key", key, strlen(key));
	if (prefix) {
		buf_addch(&b, ',');
		add_range_end(&b, key);
	}
	if (at_rev > 0)
		buf_printf(&b, ",\"revision\":\"%lld\"", (long long)at_rev);
	if (limit > 0)
		buf_printf(&b, ",\"limit\":\"%ld\"", limit);
	buf_addch(&b, '}');
	if (b.toobig) {
		buf_free(&b);
		*cause = str_dup("etcd range: the key is too large");
		return ETCD_ERROR;
	}
	rc = call(e, "/v3/kv/range", b.data, &o, cause);
	buf_free(&b);
	if (rc < 0)
		return rc;
	rc = etcd_parse_range(o.data ? o.data : "", o.len, out, cause);
	buf_free(&o);
	return rc;
}

int
etcd_put(struct etcd *e, const char *key, const char *value, int64_t lease, int64_t *rev,
    char **cause)
{
	struct buf b;
	cJSON *j;
	int rc;

	req_init(&b);
	buf_addch(&b, '{');
	add_b64field(&b, "key", key, strlen(key));
	buf_addch(&b, ',');
	add_b64field(&b, "value", value, strlen(value));
	if (lease != 0)
		buf_printf(&b, ",\"lease\":\"%lld\"", (long long)lease);
	buf_addch(&b, '}');
	if ((rc = call_json(e, "/v3/kv/put", &b, &j, cause)) < 0)
		return rc;
	if (rev != NULL && header_rev(j, rev) < 0) {
		cJSON_Delete(j);
		*cause = str_printf("%s: put: a bad header in the answer", etcd_endpoint(e));
		return ETCD_ERROR;
	}
	cJSON_Delete(j);
	return 0;
}

int
etcd_delete(struct etcd *e, const char *key, int prefix, long *deleted, int64_t *rev,
    char **cause)
{
	struct buf b;
	int64_t d;
	cJSON *j;
	int rc;

	req_init(&b);
	buf_addch(&b, '{');
	add_b64field(&b, "key", key, strlen(key));
	if (prefix) {
		buf_addch(&b, ',');
		add_range_end(&b, key);
	}
	buf_addch(&b, '}');
	if ((rc = call_json(e, "/v3/kv/deleterange", &b, &j, cause)) < 0)
		return rc;
	if (get_i64(j, "deleted", &d) < 0 || (rev != NULL && header_rev(j, rev) < 0)) {
		cJSON_Delete(j);
		*cause = str_printf("%s: deleterange: a bad answer", etcd_endpoint(e));
		return ETCD_ERROR;
	}
	if (deleted != NULL)
		*deleted = (long)d;
	cJSON_Delete(j);
	return 0;
}

/* add_ops - the request ops of one branch of a transaction */
static void
add_ops(struct buf *b, const char *name, const struct etcd_op *op, int n)
{
	buf_printf(b, ",\"%s\":[", name);
	for (int i = 0; i < n; i++) {
		const char *k = op[i].key;

		if (i > 0)
			buf_addch(b, ',');
		switch (op[i].kind) {
		case ETCD_OP_PUT:
			buf_addstr(b, "{\"request_put\":{");
			add_b64field(b, "key", k, strlen(k));
			buf_addch(b, ',');
			add_b64field(b, "value", op[i].value ? op[i].value : "",
			    op[i].value ? strlen(op[i].value) : 0);
			if (op[i].lease != 0)
				buf_printf(b, ",\"lease\":\"%lld\"", (long long)op[i].lease);
			break;
		case ETCD_OP_DELETE:
		case ETCD_OP_GET:
			buf_addstr(b, op[i].kind == ETCD_OP_GET ? "{\"request_range\":{" :
			    "{\"request_delete_range\":{");
			add_b64field(b, "key", k, strlen(k));
			if (op[i].prefix) {
				buf_addch(b, ',');
				add_range_end(b, k);
			}
			break;
		}
		buf_addstr(b, "}}");
	}
	buf_addch(b, ']');
}

int
etcd_txn(struct etcd *e, const struct etcd_cmp *cmp, int ncmp, const struct etcd_op *ok,
    int nok, const struct etcd_op *fail, int nfail, struct etcd_txn_result *res, char **cause)
{
	static const char *const tname[] = { "MOD", "CREATE", "VERSION", "VALUE" };
	static const char *const fname[] = { "mod_revision", "create_revision", "version", "" };
	struct buf b, o;
	int rc;

	memset(res, 0, sizeof(*res));
	req_init(&b);
	buf_addstr(&b, "{\"compare\":[");
	for (int i = 0; i < ncmp; i++) {
		if ((unsigned)cmp[i].target > ETCD_CMP_VALUE) {
			buf_free(&b);
			*cause = str_printf("etcd txn: comparison #%d of an unknown kind", i + 1);
			return ETCD_ERROR;
		}
		buf_printf(&b, "%s{\"result\":\"EQUAL\",\"target\":\"%s\",", i > 0 ? "," : "",
		    tname[cmp[i].target]);
		add_b64field(&b, "key", cmp[i].key, strlen(cmp[i].key));
		buf_addch(&b, ',');
		if (cmp[i].target == ETCD_CMP_VALUE)
			add_b64field(&b, "value", cmp[i].value ? cmp[i].value : "",
			    cmp[i].value ? strlen(cmp[i].value) : 0);
		else
			buf_printf(&b, "\"%s\":\"%lld\"", fname[cmp[i].target], (long long)cmp[i].rev);
		buf_addch(&b, '}');
	}
	buf_addch(&b, ']');
	add_ops(&b, "success", ok, nok);
	add_ops(&b, "failure", fail, nfail);
	buf_addch(&b, '}');
	if (b.toobig) {
		buf_free(&b);
		*cause = str_dup("etcd txn: the transaction is too large");
		return ETCD_ERROR;
	}
	rc = call(e, "/v3/kv/txn", b.data, &o, cause);
	buf_free(&b);
	if (rc < 0)
		return rc;
	rc = etcd_parse_txn(o.data ? o.data : "", o.len, res, cause);
	buf_free(&o);
	return rc;
}

/* ---------------------------------------------------------------- leases */

int
etcd_lease_grant(struct etcd *e, int ttl, int64_t *id, char **cause)
{
	struct buf b;
	cJSON *j;
	const cJSON *err;
	int rc;

	*id = 0;
	req_init(&b);
	buf_printf(&b, "{\"TTL\":\"%d\"}", ttl);
	if ((rc = call_json(e, "/v3/lease/grant", &b, &j, cause)) < 0)
		return rc;
	err = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsString(err) && err->valuestring[0] != '\0') {
		char c[256];

		*cause = str_printf("etcd refused a lease: %s", clean(c, sizeof(c), err->valuestring));
		cJSON_Delete(j);
		return ETCD_ERROR;
	}
	if (get_i64(j, "ID", id) < 0 || *id == 0) {
		cJSON_Delete(j);
		*cause = str_printf("%s: lease grant: no lease id in the answer", etcd_endpoint(e));
		return ETCD_ERROR;
	}
	cJSON_Delete(j);
	return 0;
}

/*
 * etcd_lease_keepalive - one keepalive: the gateway answers the stream
 * endpoint /v3/lease/keepalive with one {"result":{...}} and closes it
 * once the request body ends; TTL absent means the lease is gone
 */
int
etcd_lease_keepalive(struct etcd *e, int64_t id, int *ttl_left, char **cause)
{
	const cJSON *r;
	struct buf b;
	int64_t ttl;
	cJSON *j;
	int rc;

	*ttl_left = 0;
	req_init(&b);
	buf_printf(&b, "{\"ID\":\"%lld\"}", (long long)id);
	if ((rc = call_json(e, "/v3/lease/keepalive", &b, &j, cause)) < 0)
		return rc;
	if (!cJSON_IsObject(r = cJSON_GetObjectItemCaseSensitive(j, "result")) ||
	    get_i64(r, "TTL", &ttl) < 0 || ttl < 0 || ttl > 1000000000) {
		cJSON_Delete(j);
		*cause = str_printf("%s: lease keepalive: a bad answer", etcd_endpoint(e));
		return ETCD_ERROR;
	}
	*ttl_left = (int)ttl;
	cJSON_Delete(j);
	return 0;
}

/* etcd_lease_revoke - revoke; a lease already gone is not an error */
int
etcd_lease_revoke(struct etcd *e, int64_t id, char **cause)
{
	struct buf b;
	cJSON *j;
	int rc;

	req_init(&b);
	buf_printf(&b, "{\"ID\":\"%lld\"}", (long long)id);
	rc = call_json(e, "/v3/lease/revoke", &b, &j, cause);
	if (rc == ETCD_ERROR && strstr(*cause, "lease not found") != NULL) {
		free(*cause);
		*cause = NULL;
		return 0;
	}
	if (rc < 0)
		return rc;
	cJSON_Delete(j);
	return 0;
}

/* ---------------------------------------------------------------- watch */

/* the state of one watch stream, kept by watch_cb */
struct wstate {
	struct etcd *e;
	struct buf line;		/* the partial line */
	etcd_watch_cb cb;
	void *arg;
	int64_t last;			/* the last revision delivered */
	int created;			/* the "created" message came */
	int done;			/* cb asked to stop */
	int failed;			/* ETCD_ERROR / ETCD_EUNREACH to return, else 0 */
	int64_t compacted;		/* the compaction revision, on a cancel for it */
	char *cause;			/* with failed */
};

/* deliver - the events of one message, one cb call per revision */
static int
deliver(struct wstate *w, struct etcd_event *ev, int n)
{
	int i = 0;

	while (i < n) {
		int64_t rev = ev[i].kv.mod_rev;
		int j = i;

		while (j < n && ev[j].kv.mod_rev == rev)
			j++;
		if (rev > w->last) {	/* a revision seen already is not given twice */
			w->last = rev;
			if (w->cb(rev, ev + i, j - i, w->arg) != 0)
				return 1;
		}
		i = j;
	}
	return 0;
}

/* watch_line - one message of the stream; non-zero ends the transfer */
static int
watch_line(struct wstate *w, const char *s, size_t len)
{
	struct watch_msg m;
	char *why = NULL;
	int stop;

	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0;
	if (watch_msg(s, len, &m, &why) < 0) {
		w->failed = ETCD_ERROR;
		w->cause = str_printf("%s: %s", etcd_endpoint(w->e), why);
		free(why);
		return 1;
	}
	if (m.is_error) {
		w->failed = unreach_text(m.errcode, m.reason) || !w->created ? ETCD_EUNREACH :
		    ETCD_ERROR;
		w->cause = str_printf("%s: watch: %s", etcd_endpoint(w->e), m.reason);
		return 1;
	}
	if (m.created) {
		w->created = 1;
		if (w->last < 0)	/* start_rev 0: from now on */
			w->last = m.revision;
	}
	if (m.canceled) {
		etcd_events_free(m.ev, m.n);
		if (m.compacted > 0) {
			w->compacted = m.compacted;
			w->failed = ETCD_ERROR;
			w->cause = str_printf("%s: watch from revision %lld: compacted up to %lld",
			    etcd_endpoint(w->e), (long long)(w->last + 1), (long long)m.compacted);
		} else {
			w->failed = unreach_text(0, m.reason) ? ETCD_EUNREACH : ETCD_ERROR;
			w->cause = str_printf("%s: the watch was cancelled%s%s", etcd_endpoint(w->e),
			    m.reason[0] ? ": " : "", m.reason);
		}
		return 1;
	}
	stop = deliver(w, m.ev, m.n);
	etcd_events_free(m.ev, m.n);
	if (stop)
		w->done = 1;
	return stop;
}

/* watch_cb - CURLOPT_WRITEFUNCTION of the watch: lines parsed as they complete */
static size_t
watch_cb(char *p, size_t size, size_t n, void *arg)
{
	struct wstate *w = arg;
	size_t len = size * n, off = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		if (w->line.len > 0) {
			if (buf_add(&w->line, p + off, i - off) < 0)
				goto toobig;
			if (watch_line(w, w->line.data, w->line.len))
				return 0;
			buf_reset(&w->line);
		} else if (watch_line(w, p + off, i - off))
			return 0;
		off = i + 1;
	}
	if (off < len && buf_add(&w->line, p + off, len - off) < 0)
		goto toobig;
	return len;

toobig:
	w->failed = ETCD_ERROR;
	w->cause = str_printf("%s: a watch message larger than %d bytes", etcd_endpoint(w->e),
	    ETCD_MAX_BODY);
	return 0;
}

int
etcd_watch(struct etcd *e, const char *prefix, int64_t start_rev, long max_ms,
    etcd_watch_cb cb, void *arg, int64_t *last_rev, int64_t *compacted, char **cause)
{
	long long deadline = now_ms() + (max_ms > 0 ? max_ms : 1);
	struct wstate w;
	struct buf b;
	char *last = NULL;
	int ret = ETCD_EUNREACH;

	*compacted = 0;
	*last_rev = start_rev > 0 ? start_rev - 1 : -1;
	if (e->wh == NULL) {
		if ((e->wh = curl_easy_init()) == NULL || setup(e, e->wh) != CURLE_OK) {
			*cause = str_dup("etcd: libcurl cannot make the watch handle");
			if (e->wh != NULL)
				curl_easy_cleanup(e->wh);
			e->wh = NULL;
			return ETCD_ERROR;
		}
	}
	req_init(&b);
	buf_addstr(&b, "{\"create_request\":{");
	add_b64field(&b, "key", prefix, strlen(prefix));
	buf_addch(&b, ',');
	add_range_end(&b, prefix);
	if (start_rev > 0)
		buf_printf(&b, ",\"start_revision\":\"%lld\"", (long long)start_rev);
	buf_addstr(&b, "}}");
	if (b.toobig) {
		buf_free(&b);
		*cause = str_dup("etcd watch: the prefix is too large");
		return ETCD_ERROR;
	}

	for (int k = 0; k < e->nep; k++) {
		int i = (e->cur + k) % e->nep;
		long long rest = deadline - now_ms();
		struct xfer x = { e, deadline, 0, 0 };
		long tmo = e->timeout_ms, status = 0;
		CURLcode rc = CURLE_OK;
		char full[512];

		if (is_stopped(e)) {
			ret = ETCD_ESTOPPED;
			free(last);
			last = str_printf("%s: stopped", e->ep[i]);
			break;
		}
		if (rest <= 0 && k > 0)
			break;
		memset(&w, 0, sizeof(w));
		w.e = e;
		w.cb = cb;
		w.arg = arg;
		w.last = *last_rev;
		buf_init(&w.line, ETCD_MAX_BODY);
		e->cur = i;	/* for the messages of watch_line */
		e->errbuf[0] = '\0';
		str_fmt(full, sizeof(full), "%s/v3/watch", e->ep[i]);
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e->wh, opt, val); } while (0)
		SET(CURLOPT_URL, full);
		SET(CURLOPT_POSTFIELDS, b.data);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b.len);
		SET(CURLOPT_TIMEOUT_MS, rest > 0 ? (long)rest : 1L);	/* and xfer_cb */
		SET(CURLOPT_CONNECTTIMEOUT_MS, tmo / (e->nep - k) > ETCD_TRY_MIN ?
		    tmo / (e->nep - k) : (long)ETCD_TRY_MIN);
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0);
		SET(CURLOPT_WRITEFUNCTION, watch_cb);
		SET(CURLOPT_WRITEDATA, (void *)&w);
		SET(CURLOPT_XFERINFOFUNCTION, xfer_cb);
		SET(CURLOPT_XFERINFODATA, (void *)&x);
		SET(CURLOPT_NOPROGRESS, 0L);
#undef SET
		if (rc != CURLE_OK) {
			buf_free(&w.line);
			free(last);
			last = str_printf("%s: cannot set up the watch: %s", e->ep[i],
			    curl_easy_strerror(rc));
			ret = ETCD_ERROR;
			break;
		}
		rc = curl_easy_perform(e->wh);
		if (rc == CURLE_OPERATION_TIMEDOUT && now_ms() >= deadline)
			x.expired = 1;
		curl_easy_getinfo(e->wh, CURLINFO_RESPONSE_CODE, &status);
		buf_free(&w.line);
		*last_rev = w.last;
		free(last);
		last = NULL;
		if (w.done) {		/* cb asked to stop */
			ret = 0;
			break;
		}
		if (x.stopped) {
			free(w.cause);
			last = str_printf("%s: stopped", e->ep[i]);
			ret = ETCD_ESTOPPED;
			break;
		}
		if (w.failed) {
			last = w.cause;
			ret = w.failed;
			*compacted = w.compacted;
			if (ret == ETCD_EUNREACH && !w.created)
				continue;	/* refused before it began: the next member */
			break;
		}
		if (x.expired && w.created) {	/* max_ms passed, the stream healthy */
			ret = 0;
			break;
		}
		if (rc == CURLE_OK && status != 200) {
			last = str_printf("%s: watch: HTTP %ld", e->ep[i], status);
			ret = ETCD_ERROR;
			if (status >= 500 && !w.created)
				continue;
			break;
		}
		if (x.expired)
			last = str_printf("%s: the watch was not set up within %ld ms", e->ep[i],
			    max_ms);
		else if (rc != CURLE_OK)
			last = curl_why(e, e->ep[i], rc, tmo);
		else
			last = str_printf("%s: the watch stream ended", e->ep[i]);
		ret = ETCD_EUNREACH;
		if (w.created || x.expired)
			break;		/* it broke once running: the caller watches again */
	}
	buf_free(&b);
	if (ret == 0) {
		free(last);
		return 0;
	}
	if (ret == ETCD_EUNREACH)	/* the next try starts at the next member */
		e->cur = (e->cur + 1) % e->nep;
	*cause = last != NULL ? last : str_dup("etcd watch: no endpoint answered");
	return ret;
}

/* ---------------------------------------------------------------- members */

int
etcd_members(struct etcd *e, struct etcd_member **m, int *n, char **cause)
{
	const cJSON *ms, *it, *nm, *cu;
	struct buf b;
	cJSON *j;
	int rc, k = 0;

	*m = NULL;
	*n = 0;
	req_init(&b);
	buf_addstr(&b, "{}");
	if ((rc = call_json(e, "/v3/cluster/member/list", &b, &j, cause)) < 0)
		return rc;
	ms = cJSON_GetObjectItemCaseSensitive(j, "members");
	if (!cJSON_IsArray(ms)) {
		cJSON_Delete(j);
		*cause = str_printf("%s: member list: no members in the answer", etcd_endpoint(e));
		return ETCD_ERROR;
	}
	*m = xcalloc((size_t)cJSON_GetArraySize(ms) + 1, sizeof(**m));
	cJSON_ArrayForEach(it, ms) {
		struct etcd_member *x = &(*m)[k++];
		uint64_t id = 0, leader = 0;
		struct buf o;
		long status;
		char *why = NULL;
		cJSON *s;

		nm = cJSON_GetObjectItemCaseSensitive(it, "name");
		cu = cJSON_GetObjectItemCaseSensitive(it, "clientURLs");
		get_u64(it, "ID", &id);
		printable_copy(x->name, sizeof(x->name), cJSON_IsString(nm) ? nm->valuestring : "",
		    PRINTABLE_STR, 0);
		if (cJSON_IsArray(cu) && cJSON_IsString(cJSON_GetArrayItem(cu, 0)))
			printable_copy(x->client_url, sizeof(x->client_url),
			    cJSON_GetArrayItem(cu, 0)->valuestring, PRINTABLE_STR, 0);
		if (x->client_url[0] == '\0' || strpbrk(x->client_url, "?\" ") != NULL ||
		    (strncmp(x->client_url, "https://", 8) != 0 &&
		    strncmp(x->client_url, "http://", 7) != 0))
			continue;
		buf_init(&o, ETCD_MAX_BODY);
		if (try_post(e, e->h, x->client_url, "/v3/maintenance/status", "{}",
		    ETCD_STATUS_TIMEOUT, &o, &status, &why) == TRY_ANSWER && status == 200 &&
		    (s = cJSON_ParseWithLength(o.data, o.len)) != NULL) {
			if (cJSON_IsObject(s) && header_rev(s, &x->revision) == 0 &&
			    get_u64(s, "leader", &leader) == 0) {
				x->healthy = 1;
				x->leader = leader != 0 && leader == id;
			}
			cJSON_Delete(s);
		}
		free(why);
		buf_free(&o);
	}
	*n = k;
	cJSON_Delete(j);
	return 0;
}
