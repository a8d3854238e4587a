/*
 * test_relay.c - mail/relay.c driven directly: the threat response
 * module's authorization (registration, RS256 token, aud, jwks_host),
 * observable parsing, sightings from a crafted mail log, refer and
 * respond answers, and a trigger landing in queue.db as a remediation
 * request of the caller, then answered from its outcome.
 */
#include <cjson/cJSON.h>
#include <sys/stat.h>

#include "mail/relay.h"
#include "store/cloud.h"
#include "store/queue.h"
#include "store/remed.h"
#include "store/settings.h"
#include "store/store.h"
#include "tests/unit/rs256_helper.h"
#include "util/jwt.h"
#include "util/str.h"
#include "unit.h"

#define TS "Sun Nov 22 10:00:%02d 2026 Info: "
#define HOST "visibility.amp.cisco.com"
#define DEV "dev-42"

static const char *mlog =
    TS "New SMTP ICID 1 interface In (10.0.0.1) address 192.0.2.7 reverse dns host x verified no\n"
    TS "Start MID 1 ICID 1\n"
    TS "MID 1 ICID 1 From: <alice@outside.test>\n"
    TS "MID 1 ICID 1 RID 0 To: <a@example.test>\n"
    TS "MID 1 ICID 1 RID 1 To: <b@example.test>\n"
    TS "MID 1 Message-ID '<m1@outside.test>'\n"
    TS "MID 1 Subject 'Quarterly report'\n"
    TS "Start MID 2 ICID 1\n"
    TS "MID 2 ICID 1 From: <alice@outside.test>\n"
    TS "MID 2 ICID 1 RID 0 To: <c@example.test>\n"
    TS "MID 2 Message-ID '<m2@outside.test>'\n"
    TS "MID 2 Subject 'Lunch'\n"
    TS "ICID 1 close\n"
    TS "New SMTP DCID 1 interface 10.0.0.1 address 203.0.113.5 port 25\n"
    TS "Message done DCID 1 MID 1 to RID [0, 1]\n"
    TS "New SMTP ICID 2 interface In (10.0.0.1) address 198.51.100.9 reverse dns host y verified no\n"
    TS "Start MID 3 ICID 2\n"
    TS "MID 3 ICID 2 From: <carol@else.test>\n"
    TS "MID 3 ICID 2 RID 0 To: <alice@outside.test>\n"
    TS "MID 3 Message-ID '<m3@else.test>'\n"
    TS "MID 3 Subject 'Lunch'\n"
    TS "ICID 2 close\n";

static struct relay_ctx ctx;
static EVP_PKEY *key;
static time_t now;
static char datadir[256];		/* this case's data directory */

/* setup - a data directory with a registration, queue.db and a mail log */
static void
setup(int registered)
{
	char *dir = str_copy(datadir, unit_tmpdir(), sizeof(datadir)) < 0 ? NULL : datadir;
	char *cause = NULL, path[512];
	struct cloud_reg reg = { 0 };
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 22, .tm_hour = 11 };
	FILE *f;
	int sec = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	now = timegm(&tm);
	memset(&ctx, 0, sizeof(ctx));
	if (store_open(dir, STORE_SESSION, &ctx.st, &cause) < 0 ||
	    queue_open(dir, &ctx.q, &cause) < 0)
		UNIT_FAIL("setup: %s", cause);
	ctx.hostname = "gw.example.test";
	ctx.serial = "4A2F0C9B11D3-8C0E6F1";
	ctx.tr_server = "nam";
	ctx.api_base = "https://gw.example.test:6443";
	ctx.version = "0.1.0";
	ctx.now = now;
	EVP_PKEY_free(key);
	key = rt_key(2048);
	if (registered) {
		str_copy(reg.server, "nam", sizeof(reg.server));
		str_copy(reg.device_id, DEV, sizeof(reg.device_id));
		str_copy(reg.client_id, "client-1", sizeof(reg.client_id));
		reg.client_secret = "s3cret";
		reg.jwks = rt_jwks(key, "k1");
		reg.registered = now - 100;
		if (cloud_put(ctx.st, &reg, &cause) < 0)
			UNIT_FAIL("cloud_put: %s", cause);
		free(reg.jwks);
	}
	str_fmt(path, sizeof(path), "%s/logs", dir);
	mkdir(path, 0700);
	str_fmt(path, sizeof(path), "%s/logs/mail_logs", dir);
	mkdir(path, 0700);
	str_fmt(path, sizeof(path), "%s/logs/mail_logs/mail.current", dir);
	if ((f = fopen(path, "w")) == NULL)
		UNIT_FAIL("cannot write %s", path);
	for (const char *p = mlog; *p; p++) {
		if (*p == '%' && p[1] == '0') {
			fprintf(f, "%02d", sec++ % 60);
			p += 3;
		} else {
			fputc(*p, f);
		}
	}
	fclose(f);
}

/* bearer - "Bearer " + a token with these claims, signed with key as kid k1 (static) */
static const char *
bearer(const char *aud, const char *host, const char *sub, long long exp_in)
{
	static char h[JWT_RS_MAX + 16];
	char *p = str_printf("{\"aud\":\"%s\",\"jwks_host\":\"%s\",\"sub\":\"%s\",\"iss\":\"IROH\","
			     "\"iat\":%lld,\"exp\":%lld}", aud, host, sub, (long long)now - 5,
	    (long long)now + exp_in);
	char *t = rt_sign(key, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}", p);

	str_fmt(h, sizeof(h), "Bearer %s", t);
	free(p);
	free(t);
	return h;
}

#define GOOD bearer(DEV, HOST, "analyst@example.com", 300)

/* call - one request; the answer's JSON (the caller frees), status in *st, rs kept if asked */
static cJSON *
call(const char *method, const char *path, const char *auth, const char *body, int *status,
    struct relay_resp *keep)
{
	struct relay_req rq = { .method = method, .path = path, .authorization = auth,
		.body = body, .body_len = body ? strlen(body) : 0 };
	struct relay_resp rs;
	cJSON *o;

	relay_handle(&ctx, &rq, &rs);
	*status = rs.status;
	if (rs.pending) {
		if (keep)
			*keep = rs;
		return NULL;
	}
	o = cJSON_Parse(rs.body);
	if (o == NULL)
		UNIT_FAIL("not JSON: %s", rs.body ? rs.body : "(null)");
	if (keep)
		*keep = rs;
	else
		relay_resp_free(&rs);
	return o;
}

/* err_msg - the first error's message, "" none */
static const char *
err_msg(const cJSON *o)
{
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "errors"), 0);

	return e ? cJSON_GetObjectItem(e, "message")->valuestring : "";
}

/* denied - a call refused with 401 and a reason containing want */
static void
denied(const char *path, const char *auth, const char *want)
{
	int st;
	cJSON *o = call("POST", path, auth, "[{\"type\":\"email\",\"value\":\"a@b\"}]", &st, NULL);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "errors"), 0);

	CHECK_INT(st, 401);
	CHECK(e != NULL);
	CHECK_STR(cJSON_GetObjectItem(e, "code")->valuestring, "authorization error");
	CHECK_STR(cJSON_GetObjectItem(e, "type")->valuestring, "fatal");
	if (strncmp(err_msg(o), "Authorization failed: ", 22) != 0 || !strstr(err_msg(o), want))
		UNIT_FAIL("message \"%s\", expected \"%s\"", err_msg(o), want);
	CHECK(cJSON_GetObjectItem(o, "data") == NULL);
	cJSON_Delete(o);
}

/* nrequests - remediation requests in queue.db */
static void
count_one(void *arg, const struct remed_request *r, const struct remed_action *a, int n)
{
	(*(int *)arg)++;
}

static int
nrequests(void)
{
	int n = 0;
	char *cause = NULL;

	if (remed_report(ctx.q, 0, 0, 0, count_one, &n, &cause) < 0)
		UNIT_FAIL("remed_report: %s", cause);
	return n;
}

static void
test_auth(void)
{
	char *t;
	const char *trig = "{\"action-id\":\"mxgate-remediate-delete\",\"observable_type\":"
			   "\"email_messageid\",\"observable_value\":\"<m1@outside.test>\"}";
	int st;
	cJSON *o;

	setup(1);
	o = call("POST", "/health", GOOD, NULL, &st, NULL);
	CHECK_INT(st, 200);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "status")->valuestring, "ok");
	cJSON_Delete(o);
	denied("/health", NULL, "Authorization header is missing");
	denied("/health", "", "Authorization header is missing");
	denied("/observe/observables", "Basic YTpi", "Wrong authorization type");
	denied("/observe/observables", "Bearer", "Wrong authorization type");
	denied("/observe/observables", "Bearer a.b", "Wrong JWT structure");
	denied("/observe/observables", bearer("dev-other", HOST, "x", 300), "audience");
	denied("/observe/observables", bearer(DEV, "visibility.eu.amp.cisco.com", "x", 300),
	    "jwks_host");
	denied("/observe/observables", bearer(DEV, "evil.example", "x", 300), "jwks_host");
	denied("/observe/observables", bearer(DEV, HOST, "x", -1), "expired");
	denied("/observe/observables", bearer(DEV, HOST, "", 300), "sub is missing");
	/* an eu platform's token is good once the gateway is set to eu */
	ctx.tr_server = "eu";
	o = call("POST", "/health", bearer(DEV, "visibility.eu.amp.cisco.com", "x", 300), NULL, &st,
	    NULL);
	CHECK_INT(st, 200);
	cJSON_Delete(o);
	denied("/health", GOOD, "jwks_host");
	ctx.tr_server = "nam";
	/* alg none and the HS256 confusion */
	{
		char *h = rt_b64s("{\"alg\":\"none\",\"kid\":\"k1\"}"), *p, *a;

		p = rt_b64s("{\"aud\":\"" DEV "\",\"jwks_host\":\"" HOST "\",\"sub\":\"x\","
			    "\"exp\":9999999999}");
		a = str_printf("Bearer %s.%s.", h, p);
		denied("/respond/trigger", a, "RS256");
		free(a);
		free(h);
		free(p);
		t = rt_hs256(rt_pub_pem(key), "{\"alg\":\"HS256\",\"kid\":\"k1\"}",
		    "{\"aud\":\"" DEV "\",\"jwks_host\":\"" HOST "\",\"sub\":\"x\","
		    "\"exp\":9999999999}");
		a = str_printf("Bearer %s", t);
		denied("/respond/trigger", a, "RS256");
		free(a);
		free(t);
	}
	/* a token of another key: nothing done on a trigger */
	{
		EVP_PKEY *k0 = key;
		char *a;

		key = rt_key(2048);
		a = str_dup(GOOD);
		EVP_PKEY_free(key);
		key = k0;
		o = call("POST", "/respond/trigger", a, trig, &st, NULL);
		CHECK_INT(st, 401);
		CHECK(strstr(err_msg(o), "Failed to decode JWT"));
		cJSON_Delete(o);
		free(a);
	}
	CHECK_INT(nrequests(), 0);
	/* no auth on /version and /watchdog */
	o = call("POST", "/version", NULL, NULL, &st, NULL);
	CHECK_INT(st, 200);
	CHECK_STR(cJSON_GetObjectItem(o, "version")->valuestring, "0.1.0");
	cJSON_Delete(o);
	{
		struct relay_req rq = { .method = "GET", .path = "/watchdog/",
			.health_check = "ping-1" };
		struct relay_resp rs;

		relay_handle(&ctx, &rq, &rs);
		CHECK_INT(rs.status, 200);
		CHECK_STR(rs.body, "{\"data\":\"ping-1\"}");
		relay_resp_free(&rs);
		rq.health_check = NULL;
		relay_handle(&ctx, &rq, &rs);
		CHECK(strstr(rs.body, "health check failed"));
		relay_resp_free(&rs);
	}
	/* routing */
	o = call("GET", "/health", GOOD, NULL, &st, NULL);
	CHECK_INT(st, 405);
	cJSON_Delete(o);
	o = call("POST", "/nope", GOOD, NULL, &st, NULL);
	CHECK_INT(st, 404);
	cJSON_Delete(o);
	CHECK(relay_path("/observe/observables/"));
	CHECK(!relay_path("/esa/api/v2.0/login"));
}

static void
test_unregistered(void)
{
	setup(0);
	denied("/health", GOOD, "the gateway is not registered with the Cisco Cloud Service");
}

static void
test_observables(void)
{
	int st;
	cJSON *o;

	setup(1);
	o = call("POST", "/observe/observables", GOOD, "{\"type\":\"email\"}", &st, NULL);
	CHECK_INT(st, 200);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "errors"), 0),
	    "code")->valuestring, "invalid argument");
	cJSON_Delete(o);
	o = call("POST", "/observe/observables", GOOD, "[{\"type\":\"email\",\"value\":\"  \"}]",
	    &st, NULL);
	CHECK(strstr(err_msg(o), "Invalid JSON payload received."));
	cJSON_Delete(o);
	o = call("POST", "/refer/observables", GOOD, "not json", &st, NULL);
	CHECK(strstr(err_msg(o), "Invalid JSON payload received."));
	cJSON_Delete(o);
	/* unsupported types only: empty answers */
	o = call("POST", "/observe/observables", GOOD,
	    "[{\"type\":\"sha256\",\"value\":\"ab\"},{\"type\":\"domain\",\"value\":\"x.test\"}]",
	    &st, NULL);
	CHECK_INT(st, 200);
	CHECK(cJSON_IsObject(cJSON_GetObjectItem(o, "data")));
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 0);
	cJSON_Delete(o);
	o = call("POST", "/respond/observables", GOOD, "[{\"type\":\"email\",\"value\":\"a@b\"}]",
	    &st, NULL);
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(o, "data")));
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 0);
	cJSON_Delete(o);
	/* too many */
	{
		char *b = str_dup("["), *t;

		for (int i = 0; i < RELAY_OBS_MAX + 1; i++) {
			t = str_printf("%s%s{\"type\":\"ip\",\"value\":\"10.0.0.%d\"}", b, i ? "," : "",
			    i);
			free(b);
			b = t;
		}
		t = str_printf("%s]", b);
		o = call("POST", "/observe/observables", GOOD, t, &st, NULL);
		CHECK(strstr(err_msg(o), "At most 100"));
		cJSON_Delete(o);
		free(t);
		free(b);
	}
}

/* mids_of - the MIDs named by the sightings' data rows, as "1,2" */
static void
mids_of(const cJSON *o, char *out, size_t size)
{
	const cJSON *docs = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "sightings"), "docs"), *d;
	long long m[16];
	int n = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(d, docs) {
		const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d,
		    "data"), "rows"), 0);

		if (n < 16)
			m[n++] = (long long)cJSON_GetArrayItem(row, 0)->valuedouble;
	}
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (m[j] < m[i]) {
				long long x = m[i];

				m[i] = m[j];
				m[j] = x;
			}
	for (int i = 0; i < n; i++) {
		size_t l = strlen(out);

		str_fmt(out + l, size - l, "%s%lld", i ? "," : "", m[i]);
	}
}

static void
test_observe(void)
{
	int st;
	cJSON *o, *s;
	char mids[64];

	setup(1);
	/* the sender: MIDs 1 and 2; and as a recipient: MID 3; duplicates and case ignored */
	o = call("POST", "/observe/observables", GOOD,
	    "[{\"type\":\"email\",\"value\":\"alice@outside.test\"},"
	    "{\"type\":\"EMAIL\",\"value\":\"alice@outside.test\"},"
	    "{\"type\":\"md5\",\"value\":\"x\"}]", &st, NULL);
	CHECK_INT(st, 200);
	mids_of(o, mids, sizeof(mids));
	CHECK_STR(mids, "1,2,3");
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "sightings"), "count")->valueint, 3);
	cJSON_Delete(o);
	/* one sighting's shape */
	o = call("POST", "/observe/observables", GOOD,
	    "[{\"type\":\"email_messageid\",\"value\":\"<m1@outside.test>\"},"
	    "{\"type\":\"cisco_mid\",\"value\":\"1\"}]", &st, NULL);
	mids_of(o, mids, sizeof(mids));
	CHECK_STR(mids, "1");
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "sightings"), "docs"), 0);
	CHECK(strncmp(cJSON_GetObjectItem(s, "id")->valuestring, "transient:sighting-", 19) == 0);
	CHECK_INT(strlen(cJSON_GetObjectItem(s, "id")->valuestring), 19 + 36);
	CHECK_STR(cJSON_GetObjectItem(s, "type")->valuestring, "sighting");
	CHECK_STR(cJSON_GetObjectItem(s, "source")->valuestring, "mxgate gw.example.test");
	CHECK_STR(cJSON_GetObjectItem(s, "source_uri")->valuestring,
	    "https://gw.example.test:6443/esa/api/v2.0/message-tracking/details?mid=1");
	CHECK_STR(cJSON_GetObjectItem(s, "confidence")->valuestring, "High");
	CHECK_STR(cJSON_GetObjectItem(s, "resolution")->valuestring, "allowed");
	CHECK_INT(cJSON_GetObjectItem(s, "count")->valueint, 1);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(s, "internal")));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "observed_time"),
	    "start_time")->valuestring, "2026-11-22T10:00:01.000Z");
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(s, "observables")), 2);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(s, "targets")), 2);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(s, "targets"), 1), "observables"), 0),
	    "value")->valuestring, "b@example.test");
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(s, "external_ids"), 0)->valuestring,
	    "mxgate-mid-1");
	{
		char *txt = cJSON_PrintUnformatted(s);

		CHECK(strstr(txt, "\"relation\":\"Sent_From\",\"source\":{\"type\":"
				  "\"email_messageid\",\"value\":\"<m1@outside.test>\"},\"related\":"
				  "{\"type\":\"email\",\"value\":\"alice@outside.test\"}"));
		CHECK(strstr(txt, "[1,\"<m1@outside.test>\",\"alice@outside.test\","
				  "\"a@example.test, b@example.test\",\"Quarterly report\","
				  "\"192.0.2.7\",\"\",\"Delivered\"]"));
		free(txt);
	}
	cJSON_Delete(o);
	/* by subject and by IP */
	o = call("POST", "/observe/observables", GOOD,
	    "[{\"type\":\"email_subject\",\"value\":\"Lunch\"}]", &st, NULL);
	mids_of(o, mids, sizeof(mids));
	CHECK_STR(mids, "2,3");
	cJSON_Delete(o);
	o = call("POST", "/observe/observables", GOOD,
	    "[{\"type\":\"ip\",\"value\":\"198.51.100.9\"}]", &st, NULL);
	mids_of(o, mids, sizeof(mids));
	CHECK_STR(mids, "3");
	cJSON_Delete(o);
	/* nothing found */
	o = call("POST", "/observe/observables", GOOD,
	    "[{\"type\":\"email\",\"value\":\"nobody@x.test\"},{\"type\":\"cisco_mid\","
	    "\"value\":\"77\"},{\"type\":\"cisco_mid\",\"value\":\"-1\"}]", &st, NULL);
	CHECK_INT(st, 200);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 0);
	cJSON_Delete(o);
}

static void
test_refer_respond(void)
{
	int st;
	cJSON *o, *d;

	setup(1);
	o = call("POST", "/refer/observables", GOOD,
	    "[{\"type\":\"email\",\"value\":\"a+b@x.test\"},{\"type\":\"cisco_mid\",\"value\":\"7\"},"
	    "{\"type\":\"url\",\"value\":\"http://x\"}]", &st, NULL);
	CHECK_INT(st, 200);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 3);
	d = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	CHECK_STR(cJSON_GetObjectItem(d, "id")->valuestring, "ref-mxgate-sender-email-a+b@x.test");
	CHECK(strstr(cJSON_GetObjectItem(d, "url")->valuestring,
	    "https://gw.example.test:6443/esa/api/v2.0/message-tracking/messages?startDate="));
	CHECK(strstr(cJSON_GetObjectItem(d, "url")->valuestring,
	    "&envelopeSenderfilterOperator=is&envelopeSenderfilterValue=a%2Bb%40x.test"));
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "categories"), 0)->valuestring,
	    "Search");
	d = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 2);
	CHECK_STR(cJSON_GetObjectItem(d, "url")->valuestring,
	    "https://gw.example.test:6443/esa/api/v2.0/message-tracking/details?mid=7");
	cJSON_Delete(o);
	o = call("POST", "/respond/observables", GOOD,
	    "[{\"type\":\"email_messageid\",\"value\":\"<m1@outside.test>\"},"
	    "{\"type\":\"cisco_mid\",\"value\":\"x\"},{\"type\":\"email\",\"value\":\"a@b\"}]",
	    &st, NULL);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 3);
	d = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	CHECK_STR(cJSON_GetObjectItem(d, "id")->valuestring, "mxgate-remediate-delete");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "query-params"),
	    "observable_type")->valuestring, "email_messageid");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "query-params"),
	    "observable_value")->valuestring, "<m1@outside.test>");
	CHECK(cJSON_IsString(cJSON_GetObjectItem(d, "title")));
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(d, "categories")));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 2),
	    "id")->valuestring, "mxgate-remediate-forward-delete");
	cJSON_Delete(o);
}

/* trig - a trigger refused with a message containing want */
static void
trig(const char *body, const char *want)
{
	int st;
	cJSON *o = call("POST", "/respond/trigger", GOOD, body, &st, NULL);

	CHECK(o != NULL);
	CHECK_INT(st, 200);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "status")->valuestring,
	    "failure");
	if (!strstr(err_msg(o), want))
		UNIT_FAIL("message \"%s\", expected \"%s\"", err_msg(o), want);
	cJSON_Delete(o);
}

static void
test_trigger(void)
{
	struct relay_resp rs;
	struct remed_request r;
	char *cause = NULL;
	int st;

	setup(1);
	/* refused before anything is added */
	trig("[]", "action-id, observable_type and observable_value");
	trig("{\"action-id\":\"mxgate-remediate-delete\",\"observable_type\":\"email_messageid\"}",
	    "required");
	trig("{\"action-id\":\"x\",\"observable_type\":\"email_messageid\","
	     "\"observable_value\":\"<a@b>\"}", "Unsupported action");
	trig("{\"action-id\":\"mxgate-remediate-delete\",\"observable_type\":\"email\","
	     "\"observable_value\":\"a@b\"}", "Only email_messageid and cisco_mid");
	trig("{\"action-id\":\"mxgate-remediate-delete\",\"observable_type\":\"cisco_mid\","
	     "\"observable_value\":\"0\"}", "must be a MID");
	trig("{\"action-id\":\"mxgate-remediate-delete\",\"observable_type\":\"email_messageid\","
	     "\"observable_value\":\"<a b@c>\"}", "must be a Message-ID");
	trig("{\"action-id\":\"mxgate-remediate-forward\",\"observable_type\":\"cisco_mid\","
	     "\"observable_value\":\"1\"}", "A forward needs an address");
	trig("{\"action-id\":\"mxgate-remediate-forward\",\"observable_type\":\"cisco_mid\","
	     "\"observable_value\":\"1\",\"forward_to\":\"nope\"}", "forward_to must be");
	/* one '@', a dot-atom local part, a host name domain */
	{
		static const char *const bad[] = { "a@b@example.test", "a..b@example.test",
			".a@example.test", "a b@example.test", "a@-x-.test", "a@example",
			"\\\"q\\\"@example.test", "a@example.test>", "a(c)@example.test" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char *b = str_printf("{\"action-id\":\"mxgate-remediate-forward\","
					     "\"observable_type\":\"cisco_mid\",\"observable_value\":"
					     "\"1\",\"forward_to\":\"%s\"}", bad[i]);

			trig(b, "forward_to must be");
			free(b);
		}
	}
	CHECK_INT(nrequests(), 0);
	/* a delete by Message-ID: added as the caller's, pending until the engine is done */
	call("POST", "/respond/trigger", GOOD,
	    "{\"action-id\":\"mxgate-remediate-delete\",\"observable_type\":\"email_messageid\","
	    "\"observable_value\":\"m1@outside.test\"}", &st, &rs);
	CHECK(rs.pending > 0);
	CHECK(rs.wake);
	CHECK(rs.body == NULL);
	CHECK_STR(rs.who, "analyst@example.com");
	CHECK_INT(remed_request_get(ctx.q, rs.pending, &r, &cause), 1);
	CHECK_INT(r.trigger, REMED_BY_TR);
	CHECK_STR(remed_trigger_name(r.trigger), "threat response");
	CHECK_STR(r.who, "analyst@example.com");
	CHECK_STR(r.message_id, "<m1@outside.test>");
	CHECK_INT(r.action, REMED_DELETE);
	CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 0), 0);
	CHECK(rs.body == NULL);
	/* one mailbox done: success */
	{
		struct remed_action a = { .request = rs.pending, .mid = 1, .action = REMED_DELETE,
			.state = REMED_OK, .trigger = REMED_BY_TR };

		str_copy(a.mailbox, "a@example.test", sizeof(a.mailbox));
		str_copy(a.result, "deleted", sizeof(a.result));
		CHECK_INT(remed_action_add(ctx.q, &a, &cause), 0);
		CHECK_INT(remed_request_finish(ctx.q, rs.pending, REMED_DONE, "", &cause), 0);
	}
	CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 0), 1);
	CHECK_STR(rs.body, "{\"data\":{\"status\":\"success\"}}");
	relay_resp_free(&rs);
	/* a forward with the token's address; unmatched -> failure; give up -> still running */
	{
		char *p = str_printf("{\"aud\":\"" DEV "\",\"jwks_host\":\"" HOST "\",\"sub\":\"s2\","
				     "\"forward_to\":\"soc@example.com\",\"exp\":%lld}",
		    (long long)now + 60);
		char *t = rt_sign(key, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", p), *a;

		a = str_printf("Bearer %s", t);
		call("POST", "/respond/trigger", a,
		    "{\"action-id\":\"mxgate-remediate-forward-delete\",\"observable_type\":"
		    "\"cisco_mid\",\"observable_value\":\"2\"}", &st, &rs);
		CHECK(rs.pending > 0);
		CHECK_INT(remed_request_get(ctx.q, rs.pending, &r, &cause), 1);
		CHECK_STR(r.forward_to, "soc@example.com");
		CHECK_INT(r.mid, 2);
		CHECK_INT(r.action, REMED_FORWARD_DELETE);
		CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 1), 1);
		CHECK(strstr(rs.body, "still running: see remediationreport"));
		CHECK(strstr(rs.body, "\"status\":\"failure\""));
		relay_resp_free(&rs);
		rs.pending = r.id;
		CHECK_INT(remed_request_finish(ctx.q, r.id, REMED_UNMATCHED, "no journaled copy",
		    &cause), 0);
		CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 0), 1);
		CHECK(strstr(rs.body, "no mailbox of this gateway holds the message"));
		relay_resp_free(&rs);
		free(a);
		free(t);
		free(p);
	}
	CHECK_INT(nrequests(), 2);
}

/* outcome - add a trigger (cisco_mid mid), its request finished with actions of these states */
static void
outcome(long long mid, const enum remed_state *st, int n, struct relay_resp *rs)
{
	char *body = str_printf("{\"action-id\":\"mxgate-remediate-delete\",\"observable_type\":"
				"\"cisco_mid\",\"observable_value\":\"%lld\"}", mid), *cause = NULL;
	int status;

	call("POST", "/respond/trigger", GOOD, body, &status, rs);
	free(body);
	CHECK(rs->pending > 0);
	for (int i = 0; i < n; i++) {
		struct remed_action a = { .request = rs->pending, .mid = mid, .action = REMED_DELETE,
			.state = st[i], .trigger = REMED_BY_TR };

		str_fmt(a.mailbox, sizeof(a.mailbox), "u%d@example.test", i);
		if (st[i] == REMED_FAILED)
			str_copy(a.reason, "IMAP server said NO", sizeof(a.reason));
		if (remed_action_add(ctx.q, &a, &cause) < 0)
			UNIT_FAIL("remed_action_add: %s", cause);
	}
	if (n > 0 && remed_request_finish(ctx.q, rs->pending, REMED_DONE, "", &cause) < 0)
		UNIT_FAIL("remed_request_finish: %s", cause);
}

static void
test_outcome(void)
{
	static const enum remed_state ok_fail[] = { REMED_OK, REMED_FAILED, REMED_NOT_FOUND };
	static const enum remed_state nf[] = { REMED_NOT_FOUND, REMED_NOT_FOUND };
	static const enum remed_state ok[] = { REMED_OK };
	struct relay_resp rs, other;
	int64_t id;

	setup(1);
	/* a later request on another MID, all ok: not counted into the first's outcome */
	outcome(5, ok_fail, 3, &rs);
	outcome(6, ok, 1, &other);
	CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 0), 1);
	CHECK_INT(rs.status, 200);
	CHECK(strstr(rs.body, "\"status\":\"failure\""));
	CHECK(strstr(rs.body, "\"code\":\"internal error\""));
	CHECK(strstr(rs.body, "1 mailbox(es) done, 1 failed (u1@example.test: IMAP server said "
			      "NO); see remediationreport"));
	relay_resp_free(&rs);
	CHECK_INT(relay_trigger_outcome(ctx.q, &other, 0), 1);
	CHECK_STR(other.body, "{\"data\":{\"status\":\"success\"}}");
	relay_resp_free(&other);
	/* every mailbox: not found */
	outcome(7, nf, 2, &rs);
	CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 0), 1);
	CHECK(strstr(rs.body, "\"code\":\"not found\""));
	CHECK(strstr(rs.body, "not in the mailboxes (2 not found)"));
	relay_resp_free(&rs);
	/* still running: pending, then the ceiling's answer */
	outcome(8, NULL, 0, &rs);
	CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 0), 0);
	CHECK(rs.body == NULL);
	CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 1), 1);
	CHECK(strstr(rs.body, "\"code\":\"service unavailable\""));
	CHECK(strstr(rs.body, "is still running: see remediationreport"));
	id = rs.pending;
	relay_resp_free(&rs);
	/* a request that is not there */
	memset(&rs, 0, sizeof(rs));
	rs.pending = id + 1000;
	CHECK_INT(relay_trigger_outcome(ctx.q, &rs, 0), 1);
	CHECK(strstr(rs.body, "is gone"));
	relay_resp_free(&rs);
}

/* log_append - more mail log lines (the same TS clock) */
static void
log_append(const char *text)
{
	char path[512];
	FILE *f;

	str_fmt(path, sizeof(path), "%s/logs/mail_logs/mail.current", datadir);
	if ((f = fopen(path, "a")) == NULL)
		UNIT_FAIL("cannot append to %s", path);
	fputs(text, f);
	fclose(f);
}

/* limited - a token with CTR_ENTITIES_LIMIT lim ("Bearer ...", malloc'd) */
static char *
limited(long lim)
{
	char *p = str_printf("{\"aud\":\"" DEV "\",\"jwks_host\":\"" HOST "\",\"sub\":\"a\","
			     "\"CTR_ENTITIES_LIMIT\":%ld,\"exp\":%lld}", lim, (long long)now + 60);
	char *t = rt_sign(key, "{\"alg\":\"RS256\",\"kid\":\"k1\"}", p), *a;

	a = str_printf("Bearer %s", t);
	free(t);
	free(p);
	return a;
}

static void
test_limits(void)
{
	cJSON *o, *s;
	char mids[64], *a, *lines, *subj;
	const char *v;
	int st;

	CHECK_INT(relay_limit(0), RELAY_LIMIT);
	CHECK_INT(relay_limit(-5), RELAY_LIMIT);
	CHECK_INT(relay_limit(1), 1);
	CHECK_INT(relay_limit(1000), 1000);
	CHECK_INT(relay_limit(1001), 1000);
	CHECK_INT(relay_limit(999999), 1000);
	setup(1);
	/* an email's sender (MIDs 1, 2) and recipient (3) passes share its limit */
	a = limited(2);
	o = call("POST", "/observe/observables", a,
	    "[{\"type\":\"email\",\"value\":\"alice@outside.test\"}]", &st, NULL);
	mids_of(o, mids, sizeof(mids));
	CHECK_STR(mids, "1,2");
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "sightings"), "count")->valueint, 2);
	cJSON_Delete(o);
	free(a);
	a = limited(1);
	o = call("POST", "/observe/observables", a,
	    "[{\"type\":\"email\",\"value\":\"alice@outside.test\"},"
	    "{\"type\":\"email_subject\",\"value\":\"Lunch\"}]", &st, NULL);
	/* newest first: MID 2 as alice's, MID 3 as Lunch's */
	mids_of(o, mids, sizeof(mids));
	CHECK_STR(mids, "2,3");
	cJSON_Delete(o);
	free(a);
	/* a message with a huge subject (2-byte characters) and many recipients */
	subj = xmalloc(2 * 3000 + 1);
	for (int i = 0; i < 3000; i++)
		memcpy(subj + 2 * i, "\xc3\xa9", 2);
	subj[6000] = '\0';
	lines = str_printf(TS "Start MID 9 ICID 3\n" TS "MID 9 ICID 3 From: <big@else.test>\n"
			   TS "MID 9 Message-ID '<m9@else.test>'\n" TS "MID 9 Subject '%s'\n",
	    59, 59, 59, 59, subj);
	log_append(lines);
	free(lines);
	for (int i = 0; i < 30; i++) {
		lines = str_printf(TS "MID 9 ICID 3 RID %d To: <r%02d@example.test>\n", 59, i, i);
		log_append(lines);
		free(lines);
	}
	o = call("POST", "/observe/observables", GOOD, "[{\"type\":\"cisco_mid\",\"value\":\"9\"}]",
	    &st, NULL);
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "sightings"), "docs"), 0);
	CHECK(s != NULL);
	v = cJSON_GetObjectItem(s, "description")->valuestring;
	CHECK(strlen(v) <= 5000 && strlen(v) >= 4999);
	/* cut between characters: every byte of the end is a whole "é" or ASCII */
	CHECK(((unsigned char)v[strlen(v) - 1] & 0xc0) != 0xc0);
	CHECK(strstr(v, "r00@example.test, r01@example.test"));
	CHECK(strstr(v, "r09@example.test and 20 more, subject"));
	CHECK(strstr(v, "r10@example.test") == NULL);
	CHECK(strlen(cJSON_GetObjectItem(s, "title")->valuestring) <= 1024);
	{
		char *rows = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(s,
		    "data"), "rows"));

		CHECK(strstr(rows, "r09@example.test and 20 more"));
		free(rows);
	}
	/* the targets still name every recipient up to RELAY_LIMIT */
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(s, "targets")), 30);
	cJSON_Delete(o);
	free(subj);
}

static const struct unit_case cases[] = {
	{ "auth", test_auth },
	{ "unregistered", test_unregistered },
	{ "observables", test_observables },
	{ "observe", test_observe },
	{ "refer_respond", test_refer_respond },
	{ "trigger", test_trigger },
	{ "outcome", test_outcome },
	{ "limits", test_limits },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_relay", cases, argc, argv);
}
