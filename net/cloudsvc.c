/*
 * cloudsvc.c - the Cisco Cloud Service's device calls (see cloudsvc.h).
 *
 * Every call is one hreq_do. A transport failure (hreq's -1 or
 * HREQ_PASSING: connect, TLS, time) is "cannot reach BASE: why" and
 * CLOUDSVC_UNREACHABLE, so that deregister can keep a registration the
 * cloud never heard about; an HTTP status is judged here. The error
 * text a refusal carries ({"error": "..."}) is the server's: escaped,
 * cut (mail/cloudjson.c) and scrubbed of the token before it is shown.
 *
 * DIAGNOSTICS: see cloudsvc.h.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/cloudconf.h"
#include "net/cloudsvc.h"
#include "net/hreq.h"
#include "util/str.h"
#include "util/syntax.h"

/* scrub - overwrite every occurrence of secret in s with '*' */
static void
scrub(char *s, const char *secret)
{
	size_t n;
	char *p;

	if (secret == NULL || (n = strlen(secret)) == 0)
		return;
	while ((p = strstr(s, secret)) != NULL)
		memset(p, '*', n);
}

/* status_text - " (HTTP N: text)" of an answer: its error text when it has one */
static void
status_text(const struct hresp *rs, const char *token, char *out, size_t size)
{
	char e[CLOUDJSON_ERROR_MAX + 1];

	if (cloudjson_error(rs->body, rs->len, e, sizeof(e)) == 0) {
		scrub(e, token);
		str_fmt(out, size, "HTTP %d: %s", rs->status, e);
	} else {
		str_fmt(out, size, "HTTP %d", rs->status);
	}
}

/* unreachable - the cause of a transport failure, for base */
static int
unreachable(const char *base, const char *url, char *why, char **cause)
{
	const char *w = why;
	size_t n = strlen(url);

	/* hreq's cause starts with the URL (cut at 200 bytes): name the base instead */
	if (strncmp(w, url, n) == 0 && strncmp(w + n, ": ", 2) == 0)
		w += n + 2;
	else if (strlen(url) > 200 && strncmp(w, url, 200) == 0 && strncmp(w + 200, ": ", 2) == 0)
		w += 202;
	*cause = str_printf("cannot reach %s: %s", base, w);
	free(why);
	return CLOUDSVC_UNREACHABLE;
}

/* request - one call: 0 with *rs, or CLOUDSVC_UNREACHABLE with *cause */
static int
request(struct hreq *rq, const char *base, const char *ca_pem, struct hresp *rs, char **cause)
{
	char *why = NULL;

	rq->timeout_ms = CLOUDSVC_TIMEOUT_MS;
	rq->max_body = CLOUDSVC_MAX_BODY;
	rq->verify = 1;
	rq->ca_pem = ca_pem;
	*rs = (struct hresp){ 0 };
	if (hreq_do(rq, rs, &why) != 0)
		return unreachable(base, rq->url, why, cause);
	return 0;
}

static char *basic_b64(const char *user, const char *password);

/* scrub_creds - overwrite cur's client secret, clear and as Basic, in s */
static void
scrub_creds(char *s, const struct cloud_reg *cur)
{
	char *b64;

	if (cur == NULL || cur->client_secret == NULL || cur->client_secret[0] == '\0')
		return;
	scrub(s, cur->client_secret);
	b64 = basic_b64(cur->client_id, cur->client_secret);
	scrub(s, b64);
	free(b64);
}

/*
 * exchange - one register or deregister call: 0 with *rs; a failure
 * before the request can have reached the cloud (connect, name, TLS) is
 * CLOUDSVC_UNREACHABLE, one after it left (time out, stop, broken or too
 * big answer) CLOUDSVC_MAYBE, both with *cause
 */
static int
exchange(struct hreq *rq, const char *base, const char *ca_pem, volatile int *stop,
    struct hresp *rs, char **cause)
{
	char *why = NULL, *reach = NULL;
	int sent;

	rq->timeout_ms = CLOUDSVC_TIMEOUT_MS;
	rq->max_body = CLOUDSVC_MAX_BODY;
	rq->verify = 1;
	rq->ca_pem = ca_pem;
	*rs = (struct hresp){ 0 };
	if (hreq_do(rq, rs, &why) == 0)
		return 0;
	if (strstr(why, ": the answer is larger than ") != NULL) {
		free(why);
		*cause = str_printf("the answer of %s is larger than %u bytes", base,
		    CLOUDSVC_MAX_BODY);
		return CLOUDSVC_MAYBE;
	}
	if (stop != NULL && *stop) {
		free(why);
		*cause = str_printf("stopped while waiting for %s", base);
		return CLOUDSVC_MAYBE;
	}
	/* hreq's wording of curl's time out, and curl's of an answer cut short */
	sent = strstr(why, ": no answer within ") != NULL ||
	    strstr(why, "Empty reply from server") != NULL || strstr(why, "Recv failure") != NULL ||
	    strstr(why, "transfer closed") != NULL;
	unreachable(base, rq->url, why, &reach);
	if (!sent) {
		*cause = reach;
		return CLOUDSVC_UNREACHABLE;
	}
	/* "cannot reach BASE: why" -> "no whole answer from BASE: why" */
	*cause = str_printf("no whole answer from %s", reach + strlen("cannot reach "));
	free(reach);
	return CLOUDSVC_MAYBE;
}

/* same_server - do server names a and b register at the same base URL? */
static int
same_server(const char *a, const char *b)
{
	char ua[1024], ub[1024];

	if (cloud_register_url(a, ua, sizeof(ua)) < 0 || cloud_register_url(b, ub, sizeof(ub)) < 0)
		return 0;
	return strcasecmp(ua, ub) == 0;
}

/* cloudsvc_register - register or re-register */
int
cloudsvc_register(const char *server, const char *token, const struct cloud_reg *cur,
    const struct cloudjson_device *dev, const char *ca_pem, volatile int *stop,
    struct cloud_reg *out, char **cause)
{
	char base[1024], url[1200], st[CLOUDJSON_ERROR_MAX + 64], *body, *why = NULL;
	int have_token = token != NULL && *token != '\0';
	struct hreq rq = { 0 };
	struct hresp rs;
	int rc;

	*out = (struct cloud_reg){ 0 };
	if (cloud_register_url(server, base, sizeof(base)) < 0) {
		*cause = str_printf("%s is neither a region (%s) nor an https:// URL", server,
		    CLOUD_REGIONS);
		return -1;
	}
	if (!have_token && cur == NULL) {
		*cause = str_dup("a registration needs a token");
		return -1;
	}
	if (!have_token && cur->client_secret == NULL) {
		*cause = str_dup("the appliance's credentials cannot be read: give token=");
		return -1;
	}
	/* the credentials go only to the server that issued them */
	if (!have_token && !same_server(server, cur->server)) {
		*cause = str_printf("re-registering with another server than %s needs token=",
		    cloud_region_label(cur->server));
		return -1;
	}
	str_fmt(url, sizeof(url), "%s%s", base, CLOUD_REGISTER_PATH);
	body = cloudjson_register_request(have_token ? token : NULL,
	    cur != NULL ? cur->device_id : NULL, dev);
	rq.method = "POST";
	rq.url = url;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.content_type = "application/json";
	rq.abort = stop;
	if (!have_token) {
		rq.user = cur->client_id;
		rq.password = cur->client_secret;
	}
	rc = exchange(&rq, base, ca_pem, stop, &rs, cause);
	memset(body, 0, rq.body_len);
	free(body);
	if (rc != 0)
		return rc;
	if (rs.status == 200 || rs.status == 201) {
		if (cloudjson_register_answer(rs.body, rs.len, out, &why) < 0) {
			*cause = str_printf("the answer of %s is malformed: %s", base, why);
			free(why);
			memset(rs.body, 0, rs.len);	/* it may hold a secret all the same */
			hresp_free(&rs);
			return -1;
		}
		str_copy(out->server, server, sizeof(out->server));
		memset(rs.body, 0, rs.len);
		hresp_free(&rs);
		return 0;
	}
	status_text(&rs, token, st, sizeof(st));
	scrub_creds(st, cur);
	if (rs.status == 401 || rs.status == 403)
		*cause = str_printf("the Cisco Cloud Service refused %s (%s)",
		    have_token ? "the token" : "the appliance's credentials", st);
	else
		*cause = str_printf("the Cisco Cloud Service at %s answered %s", base, st);
	hresp_free(&rs);
	return -1;
}

/* cloudsvc_deregister - DELETE the registration */
int
cloudsvc_deregister(const struct cloud_reg *reg, const char *ca_pem, volatile int *stop,
    char **cause)
{
	char base[1024], url[1400], st[CLOUDJSON_ERROR_MAX + 64];
	struct hreq rq = { 0 };
	struct hresp rs;
	int rc;

	if (cloud_register_url(reg->server, base, sizeof(base)) < 0) {
		*cause = str_printf("the registration's server %s is neither a region nor an "
				    "https:// URL", reg->server);
		return -1;
	}
	if (reg->client_secret == NULL) {
		*cause = str_dup("the appliance's credentials cannot be read");
		return -1;
	}
	str_fmt(url, sizeof(url), "%s%s/%s", base, CLOUD_REGISTER_PATH, reg->device_id);
	rq.method = "DELETE";
	rq.url = url;
	rq.abort = stop;
	rq.user = reg->client_id;
	rq.password = reg->client_secret;
	if ((rc = exchange(&rq, base, ca_pem, stop, &rs, cause)) != 0)
		return rc;
	rc = rs.status == 200 || rs.status == 204 || rs.status == 404 ? 0 : -1;
	if (rc < 0) {
		status_text(&rs, NULL, st, sizeof(st));
		scrub_creds(st, reg);
		if (rs.status == 401 || rs.status == 403)
			*cause = str_printf("the Cisco Cloud Service refused the appliance's "
					    "credentials (%s)", st);
		else
			*cause = str_printf("the Cisco Cloud Service at %s answered %s", base, st);
	}
	hresp_free(&rs);
	return rc;
}

/*
 * basic_b64 - the base64 of "user:password", as it travels in the
 * Authorization header (malloc'd), so that a server echoing the header
 * back cannot put the secret into a cause in that form either
 */
static char *
basic_b64(const char *user, const char *password)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *raw = str_printf("%s:%s", user ? user : "", password ? password : "");
	size_t n = strlen(raw), o = 0;
	char *out = xcalloc(1, (n + 2) / 3 * 4 + 1);

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)raw[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)raw[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)raw[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	memset(raw, 0, n);
	free(raw);
	return out;
}

/* cloudsvc_send - POST telemetry */
int
cloudsvc_send(const char *url, const struct cloud_reg *reg, const char *json,
    const char *ca_pem, volatile int *stop, char **cause)
{
	char st[CLOUDJSON_ERROR_MAX + 64], *b64;
	struct hreq rq = { 0 };
	struct hresp rs;
	int rc;

	/* the Basic credentials travel only inside TLS */
	if (url == NULL || !syntax_https_url(url)) {
		*cause = str_printf("the telemetry URL %.200s is not an https:// URL",
		    url ? url : "(none)");
		return -1;
	}
	if (reg->client_secret == NULL || reg->secret_unreadable) {
		*cause = str_dup("the appliance's credentials cannot be read (run cloudserviceconfig "
				 "reregister token=TOKEN)");
		return -1;
	}
	rq.method = "POST";
	rq.url = url;
	rq.body = json;
	rq.body_len = strlen(json);
	rq.content_type = "application/json";
	rq.abort = stop;
	rq.user = reg->client_id;
	rq.password = reg->client_secret;
	if ((rc = request(&rq, url, ca_pem, &rs, cause)) != 0)
		return rc;
	rc = rs.status == 200 || rs.status == 201 || rs.status == 202 || rs.status == 204 ?
	    0 : -1;
	if (rc < 0) {
		status_text(&rs, reg->client_secret, st, sizeof(st));
		b64 = basic_b64(reg->client_id, reg->client_secret);
		scrub(st, b64);
		free(b64);
		if (rs.status == 401 || rs.status == 403)
			*cause = str_printf("the Cisco Cloud Service refused the appliance's "
					    "credentials (%s)", st);
		else
			*cause = str_printf("%.200s answered %s", url, st);
	}
	hresp_free(&rs);
	return rc;
}
