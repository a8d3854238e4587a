/*
 * relay.c - the threat response module's handler (see relay.h).
 *
 * Order of work on each call: the route and method, the body's size,
 * then authorization, then the body, then the work. Of a caller not yet
 * known only the token is parsed: jwt_verify_rs256 decodes its header and
 * claims (at most JWT_RS_MAX = 16 KiB) before the signature, since the
 * header names the key; the body is not looked at until the token holds. A trigger adds one remediation request and
 * leaves the answer to relay_trigger_outcome, which the daemon polls
 * from a timer (the API thread never waits).
 *
 * Sightings come from the same tracking search as the AsyncOS API
 * (tracking_search / tracking_details on mail_logs), one CTIM sighting
 * per message (a message found through two observables is one sighting
 * naming both). Each observable finds at most relay_limit() messages
 * (CTR_ENTITIES_LIMIT clamped to [1, 1000]; an email's sender and
 * recipient passes together), a call at most RELAY_SIGHT_MAX, de-duplicated
 * by a hash of MIDs. The searches and the building of the documents share
 * one time budget and the cancel flag: past it the sightings made so far
 * are answered with a "service unavailable" error beside them (relay.md
 * §2, partial success). Titles, descriptions and sources are cut to
 * CTIM's maximums on a UTF-8 boundary.
 *
 * DIAGNOSTICS: see relay.h; store and log failures become one-line
 * errors in the envelope, never a half-added request.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "mail/cloudconf.h"
#include "mail/logsub.h"
#include "mail/relay.h"
#include "mail/tracking.h"
#include "store/cloud.h"
#include "store/remed.h"
#include "store/settings.h"
#include "util/jwt.h"
#include "util/str.h"
#include "util/syntax.h"

#define SCHEMA_VERSION "1.1.3"	/* CTIM, as GS (relay.md §3) */
#define ACT_PREFIX "mxgate-remediate-"

/* CTIM's string maximums (sighting: title 1024, description 5000, source 2048) */
#define CTIM_TITLE_MAX 1024
#define CTIM_DESC_MAX 5000
#define CTIM_SOURCE_MAX 2048
#define RELAY_LIST_MAX 10	/* recipients or policies named in a sighting, then "and K more" */
#define RELAY_ITEM_MAX 512	/* bytes of one of them */

/* one observable of the request (supported, not a duplicate) */
struct obs {
	char type[32];
	char *value;
};

/* one message found: its tracking attributes and the observables that found it */
struct sight {
	long long mid;
	cJSON *attrs;			/* owned */
	cJSON *found_by;		/* [{"type","value"}] owned */
	const struct obs *last;		/* the observable that found it last (no repeats) */
};

#define SIGHT_SLOTS 2048		/* hash slots: a power of two, > 2 x RELAY_SIGHT_MAX */

/* the messages found by one call, de-duplicated by MID */
struct sights {
	struct sight *list;
	int n;
	int full;			/* RELAY_SIGHT_MAX reached: some were left out */
	int slot[SIGHT_SLOTS];		/* index + 1 into list, 0 empty (open addressing) */
};

static const char *const SUPPORTED[] = {
	"email", "email_subject", "email_messageid", "ip", "ipv6", "cisco_mid",
};

/* ---------------------------------------------------------- answers */

/* reply - status and o as the body (o freed) */
static void
reply(struct relay_resp *rs, int status, cJSON *o)
{
	rs->status = status;
	rs->body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (rs->body == NULL)
		abort();
}

/* add_error - one {"type":"fatal","code","message"} in o's errors */
static void
add_error(cJSON *o, const char *code, const char *message)
{
	cJSON *errs = cJSON_GetObjectItemCaseSensitive(o, "errors"), *e;

	if (errs == NULL)
		errs = cJSON_AddArrayToObject(o, "errors");
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "type", "fatal");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddItemToArray(errs, e);
}

/* fail - an answer that is only an error */
static void
fail(struct relay_resp *rs, int status, const char *code, const char *message)
{
	cJSON *o = cJSON_CreateObject();

	add_error(o, code, message);
	reply(rs, status, o);
}

/* failure - a trigger's {"data":{"status":"failure"},"errors":[...]} */
static void
failure(struct relay_resp *rs, const char *code, const char *message)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "status", "failure");
	add_error(o, code, message);
	reply(rs, 200, o);
}

/* unauthorized - 401 and "Authorization failed: why" */
static void
unauthorized(struct relay_resp *rs, const char *why)
{
	char *m = str_printf("Authorization failed: %s", why);

	fail(rs, 401, "authorization error", m);
	free(m);
	rs->who[0] = '\0';
}

/* ---------------------------------------------------------- authorization */

/* bearer - the token of "Bearer T" (scheme case-insensitive); NULL with *why */
static const char *
bearer(const char *h, const char **why)
{
	while (h && isspace((unsigned char)*h))
		h++;
	if (h == NULL || *h == '\0') {
		*why = "Authorization header is missing";
		return NULL;
	}
	if (strncasecmp(h, "bearer", 6) != 0 || !isspace((unsigned char)h[6])) {
		*why = "Wrong authorization type";
		return NULL;
	}
	h += 6;
	while (isspace((unsigned char)*h))
		h++;
	if (*h == '\0' || strpbrk(h, " \t\r\n") != NULL) {
		*why = "Wrong JWT structure";
		return NULL;
	}
	return h;
}

/* authorize - the caller's token against the registration; 0 with *c, or answered */
static int
authorize(struct relay_ctx *ctx, const struct relay_req *rq, time_t now,
    struct jwt_rs256_claims *c, struct relay_resp *rs)
{
	struct cloud_reg reg = { 0 };
	char url[1100], host[300], *cause = NULL;
	const char *tok, *why = NULL;
	int r;

	if ((tok = bearer(rq->authorization, &why)) == NULL) {
		unauthorized(rs, why);
		return -1;
	}
	if ((r = cloud_get(ctx->st, &reg, &cause)) < 0) {
		/* the store's words are for the operator (the audit line), not the caller */
		unauthorized(rs, "the gateway cannot check tokens now");
		str_fmt(rs->note, sizeof(rs->note), "cannot read the registration: %s", cause);
		free(cause);
		return -1;
	}
	if (r == 0) {
		unauthorized(rs, "the gateway is not registered with the Cisco Cloud Service");
		return -1;
	}
	if (jwt_verify_rs256(reg.jwks, tok, now, c, &why) < 0) {
		unauthorized(rs, why);
		goto no;
	}
	if (c->aud[0] == '\0' || strcmp(c->aud, reg.device_id) != 0) {
		unauthorized(rs, "Wrong configuration-token-audience");
		goto no;
	}
	if (c->jwks_host[0] == '\0') {
		unauthorized(rs, "jwks_host is missing in JWT payload");
		goto no;
	}
	if (cloud_tr_url(ctx->tr_server ? ctx->tr_server : "nam", url, sizeof(url)) < 0 ||
	    cloud_url_host(url, host, sizeof(host)) < 0 ||
	    strcasecmp(host, c->jwks_host) != 0) {
		unauthorized(rs, "Wrong jwks_host in JWT payload: the token is not from the "
				 "configured threat response server (cloudserviceconfig settrs)");
		goto no;
	}
	if (c->sub[0] == '\0') {
		unauthorized(rs, "Wrong JWT payload structure: sub is missing");
		goto no;
	}
	cloud_reg_free(&reg);
	str_copy(rs->who, c->sub, sizeof(rs->who));
	return 0;
no:
	cloud_reg_free(&reg);
	return -1;
}

/* ---------------------------------------------------------- observables */

static int
supported(const char *type)
{
	for (size_t i = 0; i < sizeof(SUPPORTED) / sizeof(SUPPORTED[0]); i++)
		if (strcmp(type, SUPPORTED[i]) == 0)
			return 1;
	return 0;
}

/* blank - empty or only white space */
static int
blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static void
obs_free(struct obs *o, int n)
{
	for (int i = 0; i < n; i++)
		free(o[i].value);
	free(o);
}

/* invalid - relay.md's "invalid argument" answer */
static void
invalid(struct relay_resp *rs, const char *detail)
{
	char *m = str_printf("Invalid JSON payload received. %s", detail);

	fail(rs, 200, "invalid argument", m);
	free(m);
}

/*
 * observables - the body's [{"type","value"}]: the supported ones,
 * lower-cased types, duplicates dropped; 0 with *out and *n, or answered
 */
static int
observables(const struct relay_req *rq, struct obs **out, int *n, struct relay_resp *rs)
{
	cJSON *a = rq->body ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL;
	const cJSON *it;
	struct obs *o = NULL;
	int k = 0, i = 0;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(a)) {
		invalid(rs, "The body must be a JSON array of {\"type\", \"value\"} objects.");
		cJSON_Delete(a);
		return -1;
	}
	cJSON_ArrayForEach(it, a) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");
		char type[32], detail[160];
		int dup = 0;

		if (!cJSON_IsObject(it) || !cJSON_IsString(t) || !cJSON_IsString(v) ||
		    blank(t->valuestring) || blank(v->valuestring)) {
			str_fmt(detail, sizeof(detail), "{\"%d\": \"type and value must be "
							"non-blank strings\"}", i);
			invalid(rs, detail);
			obs_free(o, k);
			cJSON_Delete(a);
			return -1;
		}
		i++;
		if (str_copy(type, t->valuestring, sizeof(type)) < 0)
			continue;	/* no supported type is that long */
		str_lower(type);
		if (!supported(type))
			continue;
		for (int j = 0; j < k; j++)
			dup |= strcmp(o[j].type, type) == 0 && strcmp(o[j].value, v->valuestring) == 0;
		if (dup)
			continue;
		if (k >= RELAY_OBS_MAX) {
			invalid(rs, "At most 100 observables of the supported types (email, "
				    "email_subject, email_messageid, ip, ipv6, cisco_mid) per call.");
			obs_free(o, k);
			cJSON_Delete(a);
			return -1;
		}
		o = xrealloc(o, sizeof(*o) * (size_t)(k + 1));
		str_copy(o[k].type, type, sizeof(o[k].type));
		o[k].value = str_dup(v->valuestring);
		k++;
	}
	cJSON_Delete(a);
	*out = o;
	*n = k;
	return 0;
}

/* mid_of - a cisco_mid's value as a MID; 0 or -1 */
static int
mid_of(const char *s, long long *mid)
{
	long v;

	if (str_to_long(s, 1, 9007199254740991L, &v) < 0)
		return -1;
	*mid = v;
	return 0;
}

/*
 * addr_ok - a forward address: one '@', a dot-atom local part, a host name
 * domain (syntax_email), short enough to keep
 */
static int
addr_ok(const char *s)
{
	return strlen(s) <= REMED_ADDR_MAX && syntax_email(s);
}

/* ---------------------------------------------------------- time */

/* iso - UTC ISO 8601 with milliseconds, as CTIM wants */
static void
iso(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* tracking_time - "29 Aug 2023 10:00:48 (GMT +02:00)" as UTC seconds; 0 when unreadable */
static time_t
tracking_time(const char *s)
{
	struct tm tm = { 0 };
	const char *p = s ? strptime(s, "%d %b %Y %H:%M:%S", &tm) : NULL;
	int hh = 0, mm = 0;
	char sign = '+';
	time_t t;

	if (p == NULL)
		return 0;
	t = timegm(&tm);
	if (sscanf(p, " (GMT %c%d:%d)", &sign, &hh, &mm) == 3)
		t -= (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return t;
}

/* ---------------------------------------------------------- observe */

/* uuid4 - a random UUID (RFC 9562 version 4) */
static void
uuid4(char *out, size_t size)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		abort();
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	str_fmt(out, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	    b[13], b[14], b[15]);
}

/* ob - {"type","value"} */
static cJSON *
ob(const char *type, const char *value)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "value", value);
	return o;
}

/* relation - one ObservedRelation */
static void
relation(cJSON *arr, const char *origin, const char *name, cJSON *src, cJSON *rel)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "origin", origin);
	cJSON_AddStringToObject(r, "relation", name);
	cJSON_AddItemToObject(r, "source", src);
	cJSON_AddItemToObject(r, "related", rel);
	cJSON_AddItemToArray(arr, r);
}

/* attr_str - a string attribute, "" absent */
static const char *
attr_str(const cJSON *a, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* keyed - obj[str(mid)] as a string, "" absent (messageID, messageStatus) */
static const char *
keyed(const cJSON *a, const char *name, long long mid)
{
	char k[32];

	str_fmt(k, sizeof(k), "%lld", mid);
	return attr_str(cJSON_GetObjectItemCaseSensitive(a, name), k);
}

static void utf8_cut(char *s, size_t max);

/*
 * listed - a string array's first RELAY_LIST_MAX items joined with ", ",
 * then "and K more" (malloc'd): one pass, each item copied once
 */
static char *
listed(const cJSON *arr)
{
	const cJSON *it;
	size_t len = 0, cap = 256;
	char *s = xmalloc(cap);
	int shown = 0, more = 0;

	s[0] = '\0';
	cJSON_ArrayForEach(it, arr) {
		size_t n;

		if (!cJSON_IsString(it))
			continue;
		if (shown >= RELAY_LIST_MAX) {
			more++;
			continue;
		}
		n = strnlen(it->valuestring, RELAY_ITEM_MAX);
		while (len + n + 3 > cap)
			s = xrealloc(s, cap *= 2);
		if (shown++ > 0) {
			memcpy(s + len, ", ", 2);
			len += 2;
		}
		memcpy(s + len, it->valuestring, n);
		len += n;
		s[len] = '\0';
	}
	if (more > 0) {
		char *t = str_printf("%s and %d more", s, more);

		free(s);
		s = t;
	}
	utf8_cut(s, strlen(s));
	return s;
}

/*
 * utf8_cut - cut s to at most max bytes, not inside a UTF-8 sequence
 * (CTIM's string maximums: a cut character would make the JSON invalid)
 */
static void
utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = '\0';
}

/* resolution - the message's fate as a CTIM resolution */
static const char *
resolution(const char *status)
{
	if (strcmp(status, "Delivered") == 0)
		return "allowed";
	if (strcmp(status, "Dropped") == 0 || strcmp(status, "Bounced") == 0)
		return "blocked";
	if (strcmp(status, "Quarantined") == 0)
		return "contained";
	return "detected";
}

/* col - one column of the data table */
static void
col(cJSON *cols, const char *name, const char *type)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddItemToArray(cols, c);
}

/* sighting - one CTIM sighting for a message found */
static cJSON *
sighting(const struct relay_ctx *ctx, const struct sight *m, time_t now)
{
	const cJSON *a = m->attrs, *rcpts = cJSON_GetObjectItemCaseSensitive(a, "recipient"), *it;
	const char *sender = attr_str(a, "sender"), *subject = attr_str(a, "subject");
	const char *ip = attr_str(a, "senderIp"), *msgid = keyed(a, "messageID", m->mid);
	const char *status = keyed(a, "messageStatus", m->mid);
	char id[64], uuid[40], when[40], *source, *uri, *ext, *to, *pol, *t, *d, mids[32];
	time_t at = tracking_time(attr_str(a, "timestamp"));
	cJSON *s = cJSON_CreateObject(), *ot, *tg, *rel, *data, *cols, *row, *ref;
	int nr = 0;

	if (status[0] == '\0')
		status = "Unknown";
	iso(at ? at : now, when, sizeof(when));
	uuid4(uuid, sizeof(uuid));
	str_fmt(id, sizeof(id), "transient:sighting-%s", uuid);
	str_fmt(mids, sizeof(mids), "%lld", m->mid);
	source = str_printf("mxgate %s", ctx->hostname ? ctx->hostname : "");
	uri = str_printf("%s/esa/api/v2.0/message-tracking/details?mid=%lld",
	    ctx->api_base ? ctx->api_base : "", m->mid);
	ext = str_printf("mxgate-mid-%lld", m->mid);
	to = listed(rcpts);
	pol = listed(cJSON_GetObjectItemCaseSensitive(a, "mailPolicy"));
	t = str_printf("Message MID %lld from %s: %s", m->mid, sender[0] ? sender : "<>", status);
	d = str_printf("Message MID %lld from %s to %s, subject \"%s\", received from %s: %s "
		       "(mxgate %s).", m->mid, sender[0] ? sender : "<>", to, subject,
	    ip[0] ? ip : "unknown", status, ctx->hostname ? ctx->hostname : "");
	utf8_cut(source, CTIM_SOURCE_MAX);
	utf8_cut(t, CTIM_TITLE_MAX);
	utf8_cut(d, CTIM_DESC_MAX);
	cJSON_AddStringToObject(s, "id", id);
	cJSON_AddStringToObject(s, "type", "sighting");
	cJSON_AddStringToObject(s, "schema_version", SCHEMA_VERSION);
	cJSON_AddStringToObject(s, "source", source);
	cJSON_AddStringToObject(s, "source_uri", uri);
	cJSON_AddStringToObject(s, "title", t);
	cJSON_AddStringToObject(s, "description", d);
	cJSON_AddStringToObject(s, "short_description", t);
	cJSON_AddStringToObject(s, "confidence", "High");
	cJSON_AddNumberToObject(s, "count", 1);
	cJSON_AddBoolToObject(s, "internal", 1);
	cJSON_AddStringToObject(s, "sensor", "process.email-service");
	cJSON_AddStringToObject(s, "resolution", resolution(status));
	cJSON_AddStringToObject(s, "timestamp", when);
	ot = cJSON_AddObjectToObject(s, "observed_time");
	cJSON_AddStringToObject(ot, "start_time", when);
	cJSON_AddStringToObject(ot, "end_time", when);
	cJSON_AddItemToObject(s, "observables", cJSON_Duplicate(m->found_by, 1));
	tg = cJSON_AddArrayToObject(s, "targets");
	rel = cJSON_AddArrayToObject(s, "relations");
	if (msgid[0] && sender[0])
		relation(rel, source, "Sent_From", ob("email_messageid", msgid), ob("email", sender));
	if (msgid[0] && ip[0])
		relation(rel, source, "Sent_From", ob("email_messageid", msgid),
		    ob(strchr(ip, ':') ? "ipv6" : "ip", ip));
	if (msgid[0] && subject[0])
		relation(rel, source, "Has_Subject", ob("email_messageid", msgid),
		    ob("email_subject", subject));
	if (msgid[0])
		relation(rel, source, "Identified_By", ob("cisco_mid", mids),
		    ob("email_messageid", msgid));
	cJSON_ArrayForEach(it, rcpts) {
		cJSON *one, *o2;

		if (!cJSON_IsString(it) || nr++ >= RELAY_LIMIT)
			continue;
		one = cJSON_CreateObject();
		cJSON_AddStringToObject(one, "type", "email");
		o2 = cJSON_AddArrayToObject(one, "observables");
		cJSON_AddItemToArray(o2, ob("email", it->valuestring));
		cJSON_AddItemToObject(one, "observed_time", cJSON_Duplicate(ot, 1));
		cJSON_AddItemToArray(tg, one);
		if (msgid[0])
			relation(rel, source, "Sent_To", ob("email_messageid", msgid),
			    ob("email", it->valuestring));
	}
	data = cJSON_AddObjectToObject(s, "data");
	cols = cJSON_AddArrayToObject(data, "columns");
	col(cols, "MID", "integer");
	col(cols, "Message-ID", "string");
	col(cols, "Sender", "string");
	col(cols, "Recipients", "string");
	col(cols, "Subject", "string");
	col(cols, "Sender IP", "string");
	col(cols, "Policy", "string");
	col(cols, "Status", "string");
	row = cJSON_CreateArray();
	cJSON_AddItemToArray(row, cJSON_CreateNumber((double)m->mid));
	cJSON_AddItemToArray(row, cJSON_CreateString(msgid));
	cJSON_AddItemToArray(row, cJSON_CreateString(sender));
	cJSON_AddItemToArray(row, cJSON_CreateString(to));
	cJSON_AddItemToArray(row, cJSON_CreateString(subject));
	cJSON_AddItemToArray(row, cJSON_CreateString(ip));
	cJSON_AddItemToArray(row, cJSON_CreateString(pol));
	cJSON_AddItemToArray(row, cJSON_CreateString(status));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(data, "rows"), row);
	cJSON_AddNumberToObject(data, "row_count", 1);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(s, "external_ids"), cJSON_CreateString(ext));
	ref = cJSON_CreateObject();
	cJSON_AddStringToObject(ref, "source_name", source);
	cJSON_AddStringToObject(ref, "url", uri);
	cJSON_AddStringToObject(ref, "external_id", ext);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(s, "external_references"), ref);
	free(source);
	free(uri);
	free(ext);
	free(to);
	free(pol);
	free(t);
	free(d);
	return s;
}

/*
 * found - add message attrs (taken) found by observable o: 1 when o found
 * it now (a new sighting, or one more observable of a known one), 0 when
 * o had found it already or the call's RELAY_SIGHT_MAX is reached
 */
static int
found(struct sights *ss, cJSON *attrs, const struct obs *o)
{
	const cJSON *mids = cJSON_GetObjectItemCaseSensitive(attrs, "mid");
	const cJSON *m0 = cJSON_GetArrayItem(mids, 0);
	unsigned long long h;
	long long mid;
	struct sight *sg;

	if (!cJSON_IsNumber(m0)) {
		cJSON_Delete(attrs);
		return 0;
	}
	mid = (long long)m0->valuedouble;
	h = ((unsigned long long)mid * 0x9e3779b97f4a7c15ULL) >> 53;
	for (;; h = (h + 1) & (SIGHT_SLOTS - 1)) {
		if (ss->slot[h] == 0)
			break;
		sg = &ss->list[ss->slot[h] - 1];
		if (sg->mid != mid)
			continue;
		cJSON_Delete(attrs);
		if (sg->last == o)
			return 0;
		cJSON_AddItemToArray(sg->found_by, ob(o->type, o->value));
		sg->last = o;
		return 1;
	}
	if (ss->n >= RELAY_SIGHT_MAX) {
		ss->full = 1;
		cJSON_Delete(attrs);
		return 0;
	}
	ss->list = xrealloc(ss->list, sizeof(*ss->list) * (size_t)(ss->n + 1));
	sg = &ss->list[ss->n];
	sg->mid = mid;
	sg->attrs = attrs;
	sg->found_by = cJSON_CreateArray();
	cJSON_AddItemToArray(sg->found_by, ob(o->type, o->value));
	sg->last = o;
	ss->slot[h] = ++ss->n;
	return 1;
}

/* take_data - the search answer's data[].attributes to found, while o has found fewer than limit */
static void
take_data(cJSON *r, struct sights *ss, const struct obs *o, long *got, long limit)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(r, "data"), *it;

	cJSON_ArrayForEach(it, data) {
		cJSON *a;

		if (*got >= limit)
			break;
		if ((a = cJSON_DetachItemFromObjectCaseSensitive(it, "attributes")) != NULL)
			*got += found(ss, a, o);
	}
}

/* relay_limit - the docs per observable: the CTR_ENTITIES_LIMIT claim clamped to [1, RELAY_LIMIT_MAX] */
long
relay_limit(long claim)
{
	if (claim <= 0)
		return RELAY_LIMIT;
	return claim > RELAY_LIMIT_MAX ? RELAY_LIMIT_MAX : claim;
}

/* search_code - why a search stopped, for the errors beside the sightings */
static const char *
search_code(enum tracking_err err)
{
	return err == TRACKING_ERR_LOG ? "internal error" : "service unavailable";
}

/* observe - POST /observe/observables */
static void
observe(struct relay_ctx *ctx, const struct relay_req *rq, const struct jwt_rs256_claims *c,
    time_t now, struct relay_resp *rs)
{
	struct obs *o;
	struct sights *ss;
	int n, built = 0;
	long limit = relay_limit(c->entities_limit);
	char dir[4096], prefix[64], *cause = NULL, *stop = NULL;
	const char *stop_code = NULL;
	struct tracking_host h = { ctx->hostname ? ctx->hostname : "", ctx->serial ? ctx->serial :
		"" };
	time_t t0 = time(NULL);
	cJSON *r, *docs, *sg;

	if (observables(rq, &o, &n, rs) < 0)
		return;
	if (n > 0 && logsub_resolve(ctx->st, "mail_logs", dir, sizeof(dir), prefix,
	    sizeof(prefix), &cause) < 0) {
		char *m = str_printf("Cannot find the mail log: %s", cause);

		fail(rs, 200, "internal error", m);
		free(m);
		free(cause);
		obs_free(o, n);
		return;
	}
	ss = xcalloc(1, sizeof(*ss));	/* after every early return */
	for (int i = 0; i < n && stop == NULL && !ss->full; i++) {
		long got = 0;
		/* the searches share one budget */
		int left = ctx->budget > 0 ? ctx->budget - (int)(time(NULL) - t0) : 0;
		struct tracking_limits lim = { left, ctx->cancel, 0 };
		struct tracking_query q = { .start = now - RELAY_DAYS * 86400, .end = now + 86400,
			.limit = limit };
		enum tracking_err err = TRACKING_ERR_LOG;
		int passes = strcmp(o[i].type, "email") == 0 ? 2 : 1;

		if (ctx->budget > 0 && left <= 0) {
			stop = str_dup("the search ran out of time: narrow it (fewer observables)");
			stop_code = "service unavailable";
			break;
		}
		if (strcmp(o[i].type, "cisco_mid") == 0) {
			long long mid;
			int hit = 0;

			if (mid_of(o[i].value, &mid) < 0)
				continue;
			r = tracking_details(dir, prefix, mid, q.start, q.end, &lim, &h, NULL, NULL,
			    &hit, &err, &cause);
			if (r == NULL) {
				stop = cause;
				stop_code = search_code(err);
				break;
			}
			if (hit) {
				cJSON *a = cJSON_DetachItemFromObjectCaseSensitive(
				    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r,
				    "data"), "messages"), "attributes");

				if (a)
					found(ss, a, &o[i]);
			}
			cJSON_Delete(r);
			continue;
		}
		/* an email's sender and recipient passes share its limit */
		for (int p = 0; p < passes && got < limit && !ss->full; p++) {
			q.limit = limit - got;
			memset(&q.sender, 0, sizeof(q.sender));
			memset(&q.rcpt, 0, sizeof(q.rcpt));
			q.subject.op = TRACKING_ANY;
			q.sender_ip = q.message_id = NULL;
			if (strcmp(o[i].type, "email") == 0 && p == 0)
				q.sender = (struct tracking_filter){ TRACKING_IS, o[i].value };
			else if (strcmp(o[i].type, "email") == 0)
				q.rcpt = (struct tracking_filter){ TRACKING_IS, o[i].value };
			else if (strcmp(o[i].type, "email_subject") == 0)
				q.subject = (struct tracking_filter){ TRACKING_IS, o[i].value };
			else if (strcmp(o[i].type, "email_messageid") == 0)
				q.message_id = o[i].value;
			else
				q.sender_ip = o[i].value;
			r = tracking_search(dir, prefix, &q, &lim, &h, NULL, NULL, &err, &cause);
			if (r == NULL) {
				stop = cause;
				stop_code = search_code(err);
				break;
			}
			take_data(r, ss, &o[i], &got, limit);
			cJSON_Delete(r);
		}
	}
	r = cJSON_CreateObject();
	if (ss->n > 0) {
		sg = cJSON_AddObjectToObject(cJSON_AddObjectToObject(r, "data"), "sightings");
		docs = cJSON_AddArrayToObject(sg, "docs");
		/* the documents are work too: the same budget and cancel flag */
		for (; built < ss->n; built++) {
			if ((ctx->cancel && atomic_load(ctx->cancel)) ||
			    (ctx->budget > 0 && time(NULL) - t0 > ctx->budget)) {
				if (stop == NULL) {
					stop = str_dup("the search ran out of time: narrow it "
						       "(fewer observables)");
					stop_code = "service unavailable";
				}
				break;
			}
			cJSON_AddItemToArray(docs, sighting(ctx, &ss->list[built], now));
		}
		cJSON_AddNumberToObject(sg, "count", built);
	} else if (stop == NULL) {
		cJSON_AddObjectToObject(r, "data");
	}
	if (stop) {
		char *m = str_printf("Cannot search the mail log: %s.", stop);

		add_error(r, stop_code, m);
		free(m);
		free(stop);
	}
	reply(rs, 200, r);
	for (int i = 0; i < ss->n; i++) {
		cJSON_Delete(ss->list[i].attrs);
		cJSON_Delete(ss->list[i].found_by);
	}
	free(ss->list);
	free(ss);
	obs_free(o, n);
}

/* ---------------------------------------------------------- refer */

/* enc - percent-encoding of a query value (malloc'd) */
static char *
enc(const char *s)
{
	char *out = xmalloc(3 * strlen(s) + 1), *p = out;

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~') {
			*p++ = (char)*c;
		} else {
			static const char hex[] = "0123456789ABCDEF";

			*p++ = '%';
			*p++ = hex[*c >> 4];
			*p++ = hex[*c & 15];
		}
	}
	*p = '\0';
	return out;
}

/* ref - one refer doc */
static void
ref(cJSON *arr, const char *idpart, const struct obs *o, const char *title, const char *desc,
    const char *url)
{
	cJSON *d = cJSON_CreateObject(), *cat;
	char *id = str_printf("ref-mxgate-%s-%s-%s", idpart, o->type, o->value);

	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "title", title);
	cJSON_AddStringToObject(d, "description", desc);
	cJSON_AddStringToObject(d, "url", url);
	cat = cJSON_AddArrayToObject(d, "categories");
	cJSON_AddItemToArray(cat, cJSON_CreateString("Search"));
	cJSON_AddItemToArray(cat, cJSON_CreateString("mxgate"));
	cJSON_AddItemToArray(arr, d);
	free(id);
}

/* refer - POST /refer/observables: the tracking API's searches */
static void
refer(struct relay_ctx *ctx, const struct relay_req *rq, time_t now, struct relay_resp *rs)
{
	struct obs *o;
	int n;
	char sd[40], ed[40];
	const char *base = ctx->api_base ? ctx->api_base : "";
	cJSON *r, *arr;

	if (observables(rq, &o, &n, rs) < 0)
		return;
	iso(now - RELAY_DAYS * 86400, sd, sizeof(sd));
	iso(now + 86400, ed, sizeof(ed));
	r = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(r, "data");
	for (int i = 0; i < n; i++) {
		char *v = enc(o[i].value), *url, *desc;
		const char *filt[2] = { NULL, NULL }, *titles[2] = { NULL, NULL };
		const char *idp[2] = { "search", "recipient" };
		long long mid;

		if (strcmp(o[i].type, "cisco_mid") == 0) {
			if (mid_of(o[i].value, &mid) == 0) {
				url = str_printf("%s/esa/api/v2.0/message-tracking/details?mid=%lld",
				    base, mid);
				desc = str_printf("Message tracking details of MID %lld on mxgate",
				    mid);
				ref(arr, "details", &o[i], "Message details", desc, url);
				free(url);
				free(desc);
			}
			free(v);
			continue;
		}
		if (strcmp(o[i].type, "email") == 0) {
			filt[0] = "envelopeSenderfilterOperator=is&envelopeSenderfilterValue=";
			titles[0] = "Search messages from this sender";
			idp[0] = "sender";
			filt[1] = "envelopeRecipientfilterOperator=is&envelopeRecipientfilterValue=";
			titles[1] = "Search messages to this recipient";
		} else if (strcmp(o[i].type, "email_subject") == 0) {
			filt[0] = "subjectfilterOperator=is&subjectfilterValue=";
			titles[0] = "Search messages with this subject";
		} else if (strcmp(o[i].type, "email_messageid") == 0) {
			filt[0] = "messageIdHeader=";
			titles[0] = "Search messages with this Message-ID";
		} else {
			filt[0] = "senderIp=";
			titles[0] = "Search messages from this IP";
		}
		for (int k = 0; k < 2 && filt[k]; k++) {
			url = str_printf("%s/esa/api/v2.0/message-tracking/messages?startDate=%s&"
					 "endDate=%s&%s%s", base, sd, ed, filt[k], v);
			desc = str_printf("%s on mxgate message tracking", titles[k]);
			ref(arr, idp[k], &o[i], titles[k], desc, url);
			free(url);
			free(desc);
		}
		free(v);
	}
	reply(rs, 200, r);
	obs_free(o, n);
}

/* ---------------------------------------------------------- respond */

static const struct {
	const char *id;			/* after ACT_PREFIX */
	enum remed_action_kind action;
	const char *title;
} ACTIONS[] = {
	{ "delete", REMED_DELETE, "Delete from mailboxes" },
	{ "forward", REMED_FORWARD, "Forward a copy" },
	{ "forward-delete", REMED_FORWARD_DELETE, "Forward a copy, then delete" },
};

/* actionable - can this observable be remediated? */
static int
actionable(const struct obs *o)
{
	long long mid;

	if (strcmp(o->type, "email_messageid") == 0)
		return remed_msgid_ok(o->value);
	if (strcmp(o->type, "cisco_mid") == 0)
		return mid_of(o->value, &mid) == 0;
	return 0;
}

/* respond_observables - POST /respond/observables */
static void
respond_observables(const struct relay_req *rq, struct relay_resp *rs)
{
	struct obs *o;
	int n;
	cJSON *r, *arr;

	if (observables(rq, &o, &n, rs) < 0)
		return;
	r = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(r, "data");
	for (int i = 0; i < n; i++) {
		if (!actionable(&o[i]))
			continue;
		for (size_t k = 0; k < sizeof(ACTIONS) / sizeof(ACTIONS[0]); k++) {
			cJSON *d = cJSON_CreateObject(), *cat, *qp;
			char *id = str_printf(ACT_PREFIX "%s", ACTIONS[k].id);
			char *desc = str_printf("%s: %s the message %s %s from the mailboxes it "
						"was delivered to (mailbox remediation)",
			    ACTIONS[k].title, remed_action_name(ACTIONS[k].action),
			    strcmp(o[i].type, "cisco_mid") == 0 ? "MID" : "Message-ID", o[i].value);

			cJSON_AddStringToObject(d, "id", id);
			cJSON_AddStringToObject(d, "title", ACTIONS[k].title);
			cJSON_AddStringToObject(d, "description", desc);
			cat = cJSON_AddArrayToObject(d, "categories");
			cJSON_AddItemToArray(cat, cJSON_CreateString("mxgate"));
			cJSON_AddItemToArray(cat, cJSON_CreateString("Mailbox Remediation"));
			qp = cJSON_AddObjectToObject(d, "query-params");
			cJSON_AddStringToObject(qp, "observable_type", o[i].type);
			cJSON_AddStringToObject(qp, "observable_value", o[i].value);
			cJSON_AddItemToArray(arr, d);
			free(id);
			free(desc);
		}
	}
	reply(rs, 200, r);
	obs_free(o, n);
}

/* field - a required non-blank string field of the trigger form, or NULL */
static const char *
field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && !blank(v->valuestring) ? v->valuestring : NULL;
}

/* trigger - POST /respond/trigger: one remediation request, answered later */
static void
trigger(struct relay_ctx *ctx, const struct relay_req *rq, const struct jwt_rs256_claims *c,
    struct relay_resp *rs)
{
	cJSON *o = rq->body ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL;
	const char *aid, *type, *value, *fwd;
	struct remed_request r = { 0 };
	struct obs ob1;
	char *deflt = NULL, *cause = NULL;
	int k = -1;

	if (!cJSON_IsObject(o) || (aid = field(o, "action-id")) == NULL ||
	    (type = field(o, "observable_type")) == NULL ||
	    (value = field(o, "observable_value")) == NULL) {
		failure(rs, "invalid argument", "Invalid JSON payload received. action-id, "
						"observable_type and observable_value are required "
						"non-blank strings.");
		goto out;
	}
	for (size_t i = 0; i < sizeof(ACTIONS) / sizeof(ACTIONS[0]); i++)
		if (strncmp(aid, ACT_PREFIX, strlen(ACT_PREFIX)) == 0 &&
		    strcmp(aid + strlen(ACT_PREFIX), ACTIONS[i].id) == 0)
			k = (int)i;
	if (k < 0) {
		failure(rs, "invalid request", "Invalid request to mxgate. Unsupported action.");
		goto out;
	}
	if (str_copy(ob1.type, type, sizeof(ob1.type)) < 0)
		ob1.type[0] = '\0';
	str_lower(ob1.type);
	ob1.value = (char *)value;
	if (strcmp(ob1.type, "email_messageid") != 0 && strcmp(ob1.type, "cisco_mid") != 0) {
		failure(rs, "unsupported type", "Invalid request to mxgate. Only email_messageid "
						"and cisco_mid observables can be remediated.");
		goto out;
	}
	if (!actionable(&ob1)) {
		failure(rs, "invalid argument", strcmp(ob1.type, "cisco_mid") == 0 ?
		    "Invalid JSON payload received. observable_value must be a MID: a whole "
		    "number from 1 up." : "Invalid JSON payload received. observable_value must "
					  "be a Message-ID (<local@domain>, no blanks).");
		goto out;
	}
	r.trigger = REMED_BY_TR;
	r.action = ACTIONS[k].action;
	str_copy(r.who, c->sub, sizeof(r.who));
	if (r.action != REMED_DELETE) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "forward_to");

		if (f && !cJSON_IsString(f)) {
			failure(rs, "invalid argument", "Invalid JSON payload received. forward_to "
							"must be an email address.");
			goto out;
		}
		fwd = f ? f->valuestring : c->forward_to[0] ? c->forward_to :
		    (deflt = settings_get(ctx->st, "tdc.forward_to")) ? deflt : "";
		if (!addr_ok(fwd)) {
			failure(rs, "invalid argument", f || c->forward_to[0] ?
			    "Invalid JSON payload received. forward_to must be an email address." :
			    "Invalid request to mxgate. A forward needs an address: forward_to in "
			    "the request or the module's configuration, or tdcconfig's forward "
			    "address.");
			goto out;
		}
		str_copy(r.forward_to, fwd, sizeof(r.forward_to));
	}
	if (strcmp(ob1.type, "cisco_mid") == 0) {
		long long mid = 0;

		mid_of(value, &mid);
		r.mid = mid;
	} else if (value[0] == '<') {
		str_copy(r.message_id, value, sizeof(r.message_id));
	} else {
		str_fmt(r.message_id, sizeof(r.message_id), "<%s>", value);
	}
	if (ctx->q == NULL || remed_request_add(ctx->q, &r, &cause) < 0) {
		char *m = str_printf("Cannot add the remediation request: %s",
		    cause ? cause : "the remediation store is not open");

		failure(rs, "internal error", m);
		free(m);
		free(cause);
		goto out;
	}
	rs->pending = r.id;
	rs->wake = 1;
out:
	free(deflt);
	cJSON_Delete(o);
}

/* what the outcome gathers of one request's actions */
struct tally {
	int64_t id;
	int seen, ok, failed, not_found;
	char reason[300];		/* the first failure's */
};

static void
tally_one(void *arg, const struct remed_request *r, const struct remed_action *a, int n)
{
	struct tally *t = arg;

	if (r->id != t->id)
		return;
	t->seen = 1;
	for (int i = 0; i < n; i++) {
		if (a[i].state == REMED_OK)
			t->ok++;
		else if (a[i].state == REMED_NOT_FOUND)
			t->not_found++;
		else if (t->failed++ == 0)
			str_fmt(t->reason, sizeof(t->reason), "%s: %s", a[i].mailbox, a[i].reason);
	}
}

/* relay_trigger_outcome - the trigger's answer once its request is finished */
int
relay_trigger_outcome(struct queue *q, struct relay_resp *rs, int give_up)
{
	struct remed_request r;
	struct tally t = { .id = rs->pending };
	char *cause = NULL, *m;
	int g;

	if ((g = remed_request_get(q, rs->pending, &r, &cause)) < 0) {
		m = str_printf("Cannot read remediation request %lld: %s",
		    (long long)rs->pending, cause);
		failure(rs, "internal error", m);
		free(m);
		free(cause);
		return 1;
	}
	if (g == 0) {
		m = str_printf("Remediation request %lld is gone.", (long long)rs->pending);
		failure(rs, "internal error", m);
		free(m);
		return 1;
	}
	if (r.state == REMED_PENDING) {
		if (!give_up)
			return 0;
		m = str_printf("Remediation request %lld is still running: see "
			       "remediationreport.", (long long)r.id);
		failure(rs, "service unavailable", m);
		free(m);
		return 1;
	}
	if (r.state == REMED_UNMATCHED) {
		m = str_printf("Remediation request %lld: no mailbox of this gateway holds the "
			       "message (%s).", (long long)r.id, r.note[0] ? r.note : "unmatched");
		failure(rs, "not found", m);
		free(m);
		return 1;
	}
	/*
	 * store/remed.h has no lookup of one request's actions: remed_report
	 * from the request's creation, narrowed to its MID when it has one
	 * (a Message-ID trigger has none), tally_one keeping its own rows
	 */
	if (remed_report(q, r.created, r.mid, 0, tally_one, &t, &cause) < 0) {
		m = str_printf("Cannot read remediation request %lld's actions: %s",
		    (long long)r.id, cause);
		failure(rs, "internal error", m);
		free(m);
		free(cause);
		return 1;
	}
	if (t.failed > 0 || t.ok == 0) {
		m = t.failed ? str_printf("Remediation request %lld: %d mailbox(es) done, %d failed "
					  "(%s); see remediationreport.", (long long)r.id, t.ok,
				   t.failed, t.reason) :
		    str_printf("Remediation request %lld: the message was not in the mailboxes "
			       "(%d not found).", (long long)r.id, t.not_found);
		failure(rs, t.failed ? "internal error" : "not found", m);
		free(m);
		return 1;
	}
	{
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "status", "success");
		reply(rs, 200, o);
	}
	return 1;
}

/* ---------------------------------------------------------- routing */

enum route { R_HEALTH, R_OBSERVE, R_DELIBERATE, R_REFER, R_RESPOND, R_TRIGGER, R_VERSION,
	R_WATCHDOG };

static const struct {
	const char *path;
	const char *method;
	enum route r;
} routes[] = {
	{ "/health", "POST", R_HEALTH },
	{ "/observe/observables", "POST", R_OBSERVE },
	{ "/deliberate/observables", "POST", R_DELIBERATE },
	{ "/refer/observables", "POST", R_REFER },
	{ "/respond/observables", "POST", R_RESPOND },
	{ "/respond/trigger", "POST", R_TRIGGER },
	{ "/version", "POST", R_VERSION },
	{ "/watchdog", "GET", R_WATCHDOG },
};

/* route - the index of path's route (a trailing '/' accepted), -1 */
static int
route(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	if (n > 1 && path[n - 1] == '/')
		n--;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strlen(routes[i].path) == n && strncmp(routes[i].path, path, n) == 0)
			return (int)i;
	return -1;
}

/* relay_path - one of the module's paths? */
int
relay_path(const char *path)
{
	return route(path) >= 0;
}

/* relay_handle - one request */
void
relay_handle(struct relay_ctx *ctx, const struct relay_req *rq, struct relay_resp *rs)
{
	time_t now = ctx->now ? ctx->now : time(NULL);
	struct jwt_rs256_claims c;
	int k = route(rq->path);

	memset(rs, 0, sizeof(*rs));
	if (k < 0) {
		fail(rs, 404, "not found", "No such threat response module resource.");
		return;
	}
	if (rq->method == NULL || strcmp(rq->method, routes[k].method) != 0) {
		char *m = str_printf("%s takes %s only.", routes[k].path, routes[k].method);

		fail(rs, 405, "invalid request", m);
		free(m);
		return;
	}
	if (rq->body_too_big) {
		fail(rs, 413, "invalid request", "The request body is larger than the API accepts "
						 "(api.max_body).");
		return;
	}
	if (routes[k].r == R_VERSION) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "version", ctx->version ? ctx->version : "");
		reply(rs, 200, o);
		return;
	}
	if (routes[k].r == R_WATCHDOG) {
		cJSON *o;

		if (rq->health_check == NULL) {
			fail(rs, 200, "health check failed", "Invalid Health Check");
			return;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "data", rq->health_check);
		reply(rs, 200, o);
		return;
	}
	if (authorize(ctx, rq, now, &c, rs) < 0)
		return;
	switch (routes[k].r) {
	case R_HEALTH: {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "status", "ok");
		reply(rs, 200, o);
		break;
	}
	case R_DELIBERATE: {
		struct obs *o;
		int n;

		if (observables(rq, &o, &n, rs) == 0) {
			cJSON *r = cJSON_CreateObject();

			cJSON_AddObjectToObject(r, "data");
			reply(rs, 200, r);
			obs_free(o, n);
		}
		break;
	}
	case R_OBSERVE:
		observe(ctx, rq, &c, now, rs);
		break;
	case R_REFER:
		refer(ctx, rq, now, rs);
		break;
	case R_RESPOND:
		respond_observables(rq, rs);
		break;
	case R_TRIGGER:
		trigger(ctx, rq, &c, rs);
		break;
	default:
		break;
	}
}

/* relay_resp_free - release an answer */
void
relay_resp_free(struct relay_resp *rs)
{
	free(rs->body);
	rs->body = NULL;
}
