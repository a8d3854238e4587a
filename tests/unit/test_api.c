/*
 * test_api.c - mail/api.c driven directly: login and tokens, Basic,
 * roles, every error answer, tracking over a crafted mail log, and
 * remediation requests landing in queue.db; util/jwt.c alone.
 */
#include <cjson/cJSON.h>
#include <sys/stat.h>

#include "mail/api.h"
#include "mail/tracking.h"
#include "store/queue.h"
#include "store/remed.h"
#include "store/settings.h"
#include "store/store.h"
#include "store/users.h"
#include "util/jwt.h"
#include "util/pwhash.h"
#include "util/str.h"
#include "unit.h"

static struct api_ctx ctx;

/* add_user - an account with a password */
static void
add_user(const char *name, enum user_role role, const char *pw)
{
	char hash[PWHASH_MAX], *cause = NULL;

	if (pwhash_init() < 0 || pwhash_make(pw, hash, &cause) < 0 ||
	    users_add(ctx.st, name, "T", role, hash, &cause) < 0)
		UNIT_FAIL("add_user %s: %s", name, cause ? cause : "?");
}

#define TS "Sun Nov 22 10:00:%02d 2026 Info: "

static const char *mlog =
    TS "New SMTP ICID 1 interface In (10.0.0.1) address 192.0.2.7 reverse dns host x verified no\n"
    TS "Start MID 1 ICID 1\n"
    TS "MID 1 ICID 1 From: <alice@outside.test>\n"
    TS "MID 1 ICID 1 RID 0 To: <a@example.test>\n"
    TS "MID 1 ICID 1 RID 1 To: <b@example.test>\n"
    TS "MID 1 Message-ID '<m1@outside.test>'\n"
    TS "MID 1 Subject 'Quarterly report'\n"
    TS "MID 1 matched all recipients for per-recipient policy sales in the inbound table\n"
    TS "Start MID 2 ICID 1\n"
    TS "MID 2 ICID 1 From: <bob@outside.test>\n"
    TS "MID 2 ICID 1 RID 0 To: <c@example.test>\n"
    TS "MID 2 Message-ID '<m2@outside.test>'\n"
    TS "MID 2 Subject 'Lunch (a.b)*'\n"
    TS "ICID 1 close\n"
    TS "New SMTP DCID 1 interface 10.0.0.1 address 203.0.113.5 port 25\n"
    TS "Delivery start DCID 1 MID 1 to RID [0, 1]\n"
    TS "Message done DCID 1 MID 1 to RID [0, 1]\n"
    TS "Message finished MID 1 done\n"
    TS "New SMTP ICID 2 interface In (10.0.0.1) address 198.51.100.9 reverse dns host y verified no\n"
    TS "Start MID 3 ICID 2\n"
    TS "MID 3 ICID 2 From: <carol@else.test>\n"
    TS "MID 3 ICID 2 RID 0 To: <a@example.test>\n"
    TS "MID 3 Subject 'Lunch'\n"
    TS "ICID 2 close\n";

/* setup - a data directory with accounts, queue.db and a mail log */
static void
setup(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, path[512];
	FILE *f;
	int sec = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.dir = str_dup(dir);
	if (store_open(dir, STORE_SESSION, &ctx.st, &cause) < 0 ||
	    queue_open(dir, &ctx.q, &cause) < 0 || api_key_load(dir, ctx.key, &cause) < 0)
		UNIT_FAIL("setup: %s", cause);
	ctx.token_lifetime = 1800;
	ctx.hostname = "gw.example.test";
	ctx.serial = "4A2F0C9B11D3-8C0E6F1";
	add_user("admin2", ROLE_ADMIN, "Secret-pw1");
	add_user("ro", ROLE_READONLY, "Secret-pw2");
	add_user("tech", ROLE_TECHNICIAN, "Secret-pw3");
	add_user("gst", ROLE_GUEST, "Secret-pw4");
	add_user("op", ROLE_OPERATOR, "Secret-pw5");
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

/* call - one request; the answer's JSON (the caller frees), status in *st */
static cJSON *
call(const char *method, const char *path, const char *query, const char *auth, const char *jwt,
    const char *body, int *status, struct api_resp *keep)
{
	struct api_req rq = { .method = method, .path = path, .query = query,
		.authorization = auth, .jwt = jwt, .body = body,
		.body_len = body ? strlen(body) : 0, .peer = "127.0.0.1" };
	struct api_resp rs;
	cJSON *o;

	api_handle(&ctx, &rq, &rs);
	*status = rs.status;
	o = cJSON_Parse(rs.body);
	if (o == NULL)
		UNIT_FAIL("not JSON: %s", rs.body ? rs.body : "(null)");
	if (rs.status >= 400) {
		const cJSON *e = cJSON_GetObjectItem(o, "error");

		if (!cJSON_IsObject(e) || cJSON_GetObjectItem(e, "code")->valueint != rs.status ||
		    !cJSON_IsString(cJSON_GetObjectItem(e, "message")) ||
		    !cJSON_IsString(cJSON_GetObjectItem(e, "explanation")))
			UNIT_FAIL("error shape: %s", rs.body);
	}
	if (keep)
		*keep = rs;
	else
		api_resp_free(&rs);
	return o;
}

/* b64 - base64 of s (a static buffer) */
static const char *
b64(const char *s, char *buf)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		buf[o++] = t[v >> 18 & 63];
		buf[o++] = t[v >> 12 & 63];
		buf[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		buf[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	buf[o] = '\0';
	return buf;
}

/* login_as - a token for name (must succeed; malloc'd) */
static char *
login_as(const char *name, const char *pw)
{
	char body[512], a[128], b[128];
	int st;
	cJSON *o;
	char *tok;

	str_fmt(body, sizeof(body), "{\"data\":{\"userName\":\"%s\",\"passphrase\":\"%s\"}}",
	    b64(name, a), b64(pw, b));
	o = call("POST", "/esa/api/v2.0/login", NULL, NULL, NULL, body, &st, NULL);
	CHECK_INT(st, 200);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "userName")->valuestring,
	    name);
	tok = str_dup(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "jwtToken")->valuestring);
	cJSON_Delete(o);
	return tok;
}

/* basic_of - "Basic base64(name:pw)" */
static const char *
basic_of(const char *name, const char *pw)
{
	static char h[256];
	char up[128], b[256];

	str_fmt(up, sizeof(up), "%s:%s", name, pw);
	str_fmt(h, sizeof(h), "Basic %s", b64(up, b));
	return h;
}

static int
status_of(const char *method, const char *path, const char *query, const char *auth,
    const char *jwt, const char *body)
{
	int st;

	cJSON_Delete(call(method, path, query, auth, jwt, body, &st, NULL));
	return st;
}

#define PRIVS "/esa/api/v2.0/login/privileges"
#define MSGS "/esa/api/v2.0/message-tracking/messages"
#define DATES "startDate=2000-01-01T00:00:00.000Z&endDate=2100-01-01T00:00:00.000Z"

static void
test_jwt(void)
{
	unsigned char key[JWT_KEY_LEN] = { 1, 2, 3 };
	struct jwt_claims c = { "alice", "admin", 1000, 2000 }, d;
	const char *why;
	char *t = jwt_sign(key, sizeof(key), &c);

	CHECK_INT(jwt_verify(key, sizeof(key), t, 1500, &d, &why), 0);
	CHECK_STR(d.sub, "alice");
	CHECK_STR(d.role, "admin");
	CHECK_INT(d.exp, 2000);
	CHECK_INT(jwt_verify(key, sizeof(key), t, 2000, &d, &why), -1);
	CHECK(strstr(why, "expired"));
	key[0] = 9;
	CHECK_INT(jwt_verify(key, sizeof(key), t, 1500, &d, &why), -1);
	CHECK(strstr(why, "signature"));
	/* alg none, same payload, empty signature */
	key[0] = 1;
	{
		char *dot = strchr(t, '.'), *dot2 = strchr(dot + 1, '.');
		char *none = str_printf("eyJhbGciOiJub25lIn0%.*s.", (int)(dot2 - dot), dot);

		CHECK_INT(jwt_verify(key, sizeof(key), none, 1500, &d, &why), -1);
		CHECK(strstr(why, "HS256"));
		free(none);
	}
	CHECK_INT(jwt_verify(key, sizeof(key), "a.b", 1500, &d, &why), -1);
	free(t);
}

static void
test_login(void)
{
	char body[256], a[64], b[64], *tok;
	int st;
	cJSON *o;
	struct user u;
	char *cause = NULL;

	setup();
	tok = login_as("admin2", "Secret-pw1");
	o = call("GET", PRIVS, NULL, NULL, tok, NULL, &st, NULL);
	CHECK_INT(st, 200);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "role")->valuestring,
	    "admin");
	cJSON_Delete(o);
	/* a wrong password: 401, counted */
	str_fmt(body, sizeof(body), "{\"data\":{\"userName\":\"%s\",\"passphrase\":\"%s\"}}",
	    b64("op", a), b64("wrong", b));
	CHECK_INT(status_of("POST", "/esa/api/v2.0/login", NULL, NULL, NULL, body), 401);
	CHECK_INT(users_get(ctx.st, "op", &u, &cause), 0);
	CHECK_INT(u.failures, 1);
	str_fmt(body, sizeof(body), "{\"data\":{\"userName\":\"%s\",\"passphrase\":\"%s\"}}",
	    b64("nobody", a), b64("wrong", b));
	CHECK_INT(status_of("POST", "/esa/api/v2.0/login", NULL, NULL, NULL, body), 401);
	/* bad JSON, bad base64, missing fields */
	CHECK_INT(status_of("POST", "/esa/api/v2.0/login", NULL, NULL, NULL, "{\"data\":"), 400);
	CHECK_INT(status_of("POST", "/esa/api/v2.0/login", NULL, NULL, NULL,
	    "{\"data\":{\"userName\":\"!!\",\"passphrase\":\"YQ==\"}}"), 400);
	CHECK_INT(status_of("POST", "/esa/api/v2.0/login", NULL, NULL, NULL, "{\"data\":{}}"), 400);
	CHECK_INT(status_of("POST", "/esa/api/v2.0/login", NULL, NULL, NULL, NULL), 400);
	/* technician: 403 */
	str_fmt(body, sizeof(body), "{\"data\":{\"userName\":\"%s\",\"passphrase\":\"%s\"}}",
	    b64("tech", a), b64("Secret-pw3", b));
	CHECK_INT(status_of("POST", "/esa/api/v2.0/login", NULL, NULL, NULL, body), 403);
	free(tok);
}

static void
test_basic(void)
{
	setup();
	CHECK_INT(status_of("GET", PRIVS, NULL, basic_of("ro", "Secret-pw2"), NULL, NULL), 200);
	CHECK_INT(status_of("GET", PRIVS, NULL, basic_of("ro", "nope"), NULL, NULL), 401);
	CHECK_INT(status_of("GET", PRIVS, NULL, "Basic ***", NULL, NULL), 401);
	CHECK_INT(status_of("GET", PRIVS, NULL, basic_of("tech", "Secret-pw3"), NULL, NULL), 403);
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, NULL, NULL), 401);
}

static void
test_token_refused(void)
{
	char *tok, *cause = NULL, *bad;
	time_t t0;

	setup();
	tok = login_as("op", "Secret-pw5");
	bad = str_dup(tok);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, bad, NULL), 401);
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, "garbage", NULL), 401);
	/* expired: the clock past the lifetime */
	t0 = time(NULL);
	ctx.now = t0 + 1801;
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, tok, NULL), 401);
	/* near the end: accepted, with a fresh token */
	ctx.now = t0 + 1700;
	{
		struct api_req rq = { .method = "GET", .path = PRIVS, .jwt = tok };
		struct api_resp rs;

		api_handle(&ctx, &rq, &rs);
		CHECK_INT(rs.status, 200);
		CHECK(rs.jwt_refresh != NULL && strcmp(rs.jwt_refresh, tok) != 0);
		api_resp_free(&rs);
	}
	ctx.now = 0;
	/* the role changed after issue */
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, tok, NULL), 200);
	CHECK_INT(users_update(ctx.st, "op", "T", ROLE_GUEST, &cause), 0);
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, tok, NULL), 401);
	free(tok);
	/* locked, deleted */
	tok = login_as("ro", "Secret-pw2");
	CHECK_INT(users_set_locked(ctx.st, "ro", 1, &cause), 0);
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, tok, NULL), 401);
	CHECK_INT(users_set_locked(ctx.st, "ro", 0, &cause), 0);
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, tok, NULL), 200);
	CHECK_INT(users_delete(ctx.st, "ro", &cause), 0);
	CHECK_INT(status_of("GET", PRIVS, NULL, NULL, tok, NULL), 401);
	free(tok);
	free(bad);
}

static void
test_errors(void)
{
	const char *adm = basic_of("admin2", "Secret-pw1");
	struct api_req rq = { .method = "POST", .path = "/esa/api/v2.0/remediation",
		.authorization = adm, .body_too_big = 1 };
	struct api_resp rs;

	setup();
	CHECK_INT(status_of("GET", "/esa/api/v2.0/nothing", NULL, adm, NULL, NULL), 404);
	CHECK_INT(status_of("GET", "/other", NULL, adm, NULL, NULL), 404);
	CHECK_INT(status_of("GET", "/esa/api/v2.0/login", NULL, NULL, NULL, NULL), 405);
	CHECK_INT(status_of("DELETE", MSGS, NULL, adm, NULL, NULL), 405);
	rq.authorization = basic_of("admin2", "Secret-pw1");
	api_handle(&ctx, &rq, &rs);
	CHECK_INT(rs.status, 413);
	CHECK(strstr(rs.body, "\"code\":413"));
	api_resp_free(&rs);
	/* secrets kept out of the audit log */
	{
		char *s = api_safe_path("/x", "a=1&jwtToken=abc&passphrase=zz");

		CHECK_STR(s, "/x?a=1&jwtToken=********&passphrase=********");
		free(s);
	}
}

/* mids - the MIDs of a search answer, "3,1" */
static void
mids(const cJSON *o, char *buf, size_t size)
{
	const cJSON *it;

	buf[0] = '\0';
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "data")) {
		const cJSON *a = cJSON_GetObjectItem(it, "attributes");
		size_t n = strlen(buf);

		str_fmt(buf + n, size - n, "%s%d", n ? "," : "",
		    cJSON_GetArrayItem(cJSON_GetObjectItem(a, "mid"), 0)->valueint);
	}
}

static void
test_tracking(void)
{
	const char *g;
	char got[256];
	int st;
	cJSON *o, *a;

	setup();
	g = basic_of("gst", "Secret-pw4");
	o = call("GET", MSGS, DATES, g, NULL, NULL, &st, NULL);
	CHECK_INT(st, 200);
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "meta"), "totalCount")->valueint, 3);
	mids(o, got, sizeof(got));
	CHECK_STR(got, "3,2,1");
	a = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 2),
	    "attributes");
	CHECK_STR(cJSON_GetObjectItem(a, "sender")->valuestring, "alice@outside.test");
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(a, "recipient")), 2);
	CHECK_STR(cJSON_GetObjectItem(a, "subject")->valuestring, "Quarterly report");
	CHECK_STR(cJSON_GetObjectItem(a, "senderIp")->valuestring, "192.0.2.7");
	CHECK_INT(cJSON_GetObjectItem(a, "icid")->valueint, 1);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "messageID"), "1")->valuestring,
	    "<m1@outside.test>");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "messageStatus"), "1")->valuestring,
	    "Delivered");
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "mailPolicy"), 0)->valuestring,
	    "sales");
	CHECK_STR(cJSON_GetObjectItem(a, "serialNumber")->valuestring, "4A2F0C9B11D3-8C0E6F1");
	CHECK(strstr(cJSON_GetObjectItem(a, "timestamp")->valuestring, "22 Nov 2026 10:00:") &&
	    strstr(cJSON_GetObjectItem(a, "timestamp")->valuestring, "(GMT "));
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(a, "remediation")));
	cJSON_Delete(o);
#define Q(extra, want) do { \
	o = call("GET", MSGS, DATES "&" extra, g, NULL, NULL, &st, NULL); \
	CHECK_INT(st, 200); \
	mids(o, got, sizeof(got)); \
	cJSON_Delete(o); \
	CHECK_STR(got, want); \
} while (0)
	Q("envelopeSenderfilterOperator=is&envelopeSenderfilterValue=ALICE%40outside.test", "1");
	Q("envelopeSenderfilterOperator=is&envelopeSenderfilterValue=alice", "");
	Q("envelopeSenderfilterOperator=begins_with&envelopeSenderfilterValue=alice", "1");
	Q("envelopeRecipientfilterOperator=is&envelopeRecipientfilterValue=a%40example.test",
	    "3,1");
	Q("subjectfilterOperator=contains&subjectfilterValue=Lunch", "3,2");
	/* the value is literal: "(a.b)*" is no pattern */
	Q("subjectfilterOperator=contains&subjectfilterValue=%28a.b%29*", "2");
	Q("subjectfilterOperator=contains&subjectfilterValue=a+b", "");
	Q("senderIp=198.51.100.9", "3");
	Q("messageIdHeader=%3Cm2%40outside.test%3E", "2");
	Q("messageIdHeader=m2%40outside.test", "2");
	Q("offset=1&limit=1", "2");
	Q("envelopeRecipientfilterOperator=contains&envelopeRecipientfilterValue=example"
	  "&subjectfilterOperator=is&subjectfilterValue=lunch", "3");
	/* dates: outside the range, missing, malformed */
	o = call("GET", MSGS, "startDate=2027-01-01T00:00:00Z&endDate=2027-02-01T00:00:00-0600", g,
	    NULL, NULL, &st, NULL);
	CHECK_INT(st, 200);
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "meta"), "totalCount")->valueint, 0);
	cJSON_Delete(o);
	CHECK_INT(status_of("GET", MSGS, "startDate=2000-01-01T00:00:00Z", g, NULL, NULL), 400);
	CHECK_INT(status_of("GET", MSGS, "startDate=yesterday&endDate=today", g, NULL, NULL), 400);
	CHECK_INT(status_of("GET", MSGS, DATES "&limit=1001", g, NULL, NULL), 400);
	CHECK_INT(status_of("GET", MSGS, DATES "&offset=-1", g, NULL, NULL), 400);
	CHECK_INT(status_of("GET", MSGS, DATES "&subjectfilterOperator=like&subjectfilterValue=x",
	    g, NULL, NULL), 400);
	CHECK_INT(status_of("GET", MSGS, DATES "&subjectfilterOperator=is", g, NULL, NULL), 400);
	CHECK_INT(status_of("GET", MSGS, DATES "&subjectfilterValue=%zz", g, NULL, NULL), 400);
	/* details */
	o = call("GET", "/esa/api/v2.0/message-tracking/details", "mid=2", g, NULL, NULL, &st,
	    NULL);
	CHECK_INT(st, 200);
	a = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "messages"),
	    "attributes");
	CHECK_STR(cJSON_GetObjectItem(a, "sender")->valuestring, "bob@outside.test");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(a, "summary")) >= 4);
	cJSON_Delete(o);
	CHECK_INT(status_of("GET", "/esa/api/v2.0/message-tracking/details", "mid=99", g, NULL,
	    NULL), 404);
	CHECK_INT(status_of("GET", "/esa/api/v2.0/message-tracking/details", "mid=x", g, NULL,
	    NULL), 400);
	CHECK_INT(status_of("GET", "/esa/api/v2.0/message-tracking/details", NULL, g, NULL, NULL),
	    400);
}

static void
test_remediation(void)
{
	const char *path = "/esa/api/v2.0/remediation";
	struct api_resp rs;
	struct remed_request r;
	char *cause = NULL, *tok;
	int st, n = 0;
	cJSON *o, *req;

	setup();
	tok = login_as("op", "Secret-pw5");
	o = call("POST", path, NULL, NULL, tok,
	    "{\"data\":{\"mids\":[1],\"action\":\"forward_delete\",\"forwardTo\":\"soc@x.test\"}}",
	    &st, &rs);
	CHECK_INT(st, 202);
	CHECK_INT(rs.wake, 1);
	api_resp_free(&rs);
	req = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "requests"),
	    0);
	CHECK_STR(cJSON_GetObjectItem(req, "status")->valuestring, "pending");
	CHECK_INT(remed_request_get(ctx.q, (int64_t)cJSON_GetObjectItem(req, "id")->valuedouble, &r,
	    &cause), 1);
	CHECK_INT(r.trigger, REMED_BY_API);
	CHECK_STR(r.who, "op");
	CHECK_INT(r.mid, 1);
	CHECK_INT(r.action, REMED_FORWARD_DELETE);
	CHECK_STR(r.forward_to, "soc@x.test");
	cJSON_Delete(o);
	/* Message-IDs, with or without <> */
	o = call("POST", path, NULL, basic_of("admin2", "Secret-pw1"), NULL,
	    "{\"data\":{\"messageIds\":[\"m2@outside.test\",\"<m3@x>\"],\"action\":\"delete\"}}",
	    &st, NULL);
	CHECK_INT(st, 202);
	req = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "requests"),
	    0);
	CHECK_STR(cJSON_GetObjectItem(req, "messageId")->valuestring, "<m2@outside.test>");
	cJSON_Delete(o);
	/* refused: nothing added */
	CHECK_INT(status_of("POST", path, NULL, basic_of("ro", "Secret-pw2"), NULL,
	    "{\"data\":{\"mids\":[1],\"action\":\"delete\"}}"), 403);
	CHECK_INT(status_of("POST", path, NULL, NULL, tok, "{\"data\":{\"mids\":[1],"
	    "\"action\":\"shred\"}}"), 400);
	CHECK_INT(status_of("POST", path, NULL, NULL, tok, "{\"data\":{\"mids\":[1, -4],"
	    "\"action\":\"delete\"}}"), 400);
	CHECK_INT(status_of("POST", path, NULL, NULL, tok, "{\"data\":{\"mids\":[1],"
	    "\"action\":\"forward\"}}"), 400);
	CHECK_INT(status_of("POST", path, NULL, NULL, tok, "{\"data\":{\"mids\":[1],"
	    "\"action\":\"forward\",\"forwardTo\":\"not an address\"}}"), 400);
	CHECK_INT(status_of("POST", path, NULL, NULL, tok, "{\"data\":{\"action\":\"delete\"}}"),
	    400);
	CHECK_INT(status_of("POST", path, NULL, NULL, tok, "[1,2"), 400);
	CHECK_INT(status_of("GET", path, NULL, NULL, tok, NULL), 405);
	for (int64_t id = 1; id < 20; id++)
		n += remed_request_get(ctx.q, id, &r, &cause) == 1;
	CHECK_INT(n, 3);
	/* the tracking answer shows the request */
	o = call("GET", MSGS, DATES "&messageIdHeader=%3Cm1%40outside.test%3E", NULL, tok, NULL,
	    &st, NULL);
	CHECK_INT(st, 200);
	{
		const cJSON *a = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o,
		    "data"), 0), "attributes");
		const cJSON *rem = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "remediation"), 0);

		CHECK(rem != NULL);
		CHECK_STR(cJSON_GetObjectItem(rem, "action")->valuestring, "forward_delete");
		CHECK_STR(cJSON_GetObjectItem(rem, "trigger")->valuestring, "API");
	}
	cJSON_Delete(o);
	free(tok);
}

static void
test_key_file(void)
{
	unsigned char k1[JWT_KEY_LEN], k2[JWT_KEY_LEN];
	char *dir = unit_tmpdir(), *cause = NULL, path[512];
	struct stat sb;

	CHECK_INT(api_key_load(dir, k1, &cause), 0);
	CHECK_INT(api_key_load(dir, k2, &cause), 0);
	CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
	str_fmt(path, sizeof(path), "%s/api.key", dir);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 07777, 0600);
	CHECK_INT(sb.st_size, JWT_KEY_LEN);
	chmod(path, 0644);
	CHECK_INT(api_key_load(dir, k2, &cause), -1);
	CHECK(strstr(cause, "0600"));
}

/* a login body over 4 KiB is refused before it is parsed or checked */
static void
test_login_body_max(void)
{
	char *body = xmalloc(API_LOGIN_BODY_MAX + 64);
	struct user u;
	char *cause = NULL;

	setup();
	str_fmt(body, API_LOGIN_BODY_MAX + 64, "{\"data\":{\"userName\":\"b3A=\","
	    "\"passphrase\":\"d3Jvbmc=\",\"pad\":\"%0*d\"}}", API_LOGIN_BODY_MAX, 0);
	CHECK_INT(status_of("POST", "/esa/api/v2.0/login", NULL, NULL, NULL, body), 413);
	/* not checked: op's failures were not counted */
	CHECK_INT(users_get(ctx.st, "op", &u, &cause), 0);
	CHECK_INT(u.failures, 0);
	free(body);
}

/* 5 failures from one address in 60 s: 429 with Retry-After, no hash; others unaffected */
static void
test_login_throttle(void)
{
	struct api_req rq = { .method = "GET", .path = PRIVS, .peer = "192.0.2.99" };
	struct api_resp rs;
	struct user u;
	char *cause = NULL;

	setup();
	ctx.now = 1000000;
	/* an unknown name: refused without locking anyone */
	rq.authorization = basic_of("nobody", "wrong");
	for (int i = 0; i < API_FAIL_MAX; i++) {
		api_handle(&ctx, &rq, &rs);
		CHECK_INT(rs.status, 401);
		api_resp_free(&rs);
	}
	/* even the right password waits: nothing is hashed */
	rq.authorization = basic_of("ro", "Secret-pw2");
	api_handle(&ctx, &rq, &rs);
	CHECK_INT(rs.status, 429);
	CHECK_INT(rs.retry_after, API_FAIL_WINDOW);
	CHECK(strstr(rs.body, "\"code\":429") != NULL);
	api_resp_free(&rs);
	CHECK_INT(users_get(ctx.st, "ro", &u, &cause), 0);
	CHECK_INT(u.failures, 0);
	/* login counts the same */
	rq.method = "POST";
	rq.path = "/esa/api/v2.0/login";
	rq.authorization = NULL;
	rq.body = "{\"data\":{\"userName\":\"cm8=\",\"passphrase\":\"U2VjcmV0LXB3Mg==\"}}";
	rq.body_len = strlen(rq.body);
	api_handle(&ctx, &rq, &rs);
	CHECK_INT(rs.status, 429);
	api_resp_free(&rs);
	/* another address is served */
	rq.peer = "192.0.2.100";
	api_handle(&ctx, &rq, &rs);
	CHECK_INT(rs.status, 200);
	api_resp_free(&rs);
	/* after the window: served again */
	rq.peer = "192.0.2.99";
	ctx.now += API_FAIL_WINDOW;
	api_handle(&ctx, &rq, &rs);
	CHECK_INT(rs.status, 200);
	api_resp_free(&rs);
	ctx.now = 0;
}

/* a search over its cap or cancelled ends with a clear answer */
static void
test_tracking_bounds(void)
{
	struct tracking_query q = { .start = 0, .end = (time_t)4102444800LL, .limit = 20 };
	struct tracking_limits lim = { 0, NULL, 2 };
	struct tracking_host h = { "gw", "s" };
	enum tracking_err err;
	atomic_int stop;
	char dir[512], *cause = NULL;
	const char *g;
	cJSON *o;
	int st, found;

	setup();
	str_fmt(dir, sizeof(dir), "%s/logs/mail_logs", ctx.dir);
	CHECK(tracking_search(dir, "mail", &q, &lim, &h, NULL, NULL, &err, &cause) == NULL);
	CHECK_INT(err, TRACKING_ERR_TOO_MANY);
	CHECK(strstr(cause, "too many messages match") && strstr(cause, "narrow the search"));
	free(cause);
	cause = NULL;
	lim.cand_max = 3;
	o = tracking_search(dir, "mail", &q, &lim, &h, NULL, NULL, &err, &cause);
	CHECK(o != NULL);
	cJSON_Delete(o);
	/* cancelled (a reconfiguration waits): 503 through the API */
	atomic_init(&stop, 1);
	ctx.cancel = &stop;
	g = basic_of("gst", "Secret-pw4");
	o = call("GET", MSGS, DATES, g, NULL, NULL, &st, NULL);
	CHECK_INT(st, 503);
	cJSON_Delete(o);
	lim.cancel = &stop;
	CHECK(tracking_details(dir, "mail", 2, 0, 0, &lim, &h, NULL, NULL, &found, &err,
	    &cause) == NULL);
	CHECK_INT(err, TRACKING_ERR_CANCEL);
	free(cause);
	ctx.cancel = NULL;
	/* details: the dates choose the files (the log's lines are of Nov 2026) */
	CHECK_INT(status_of("GET", "/esa/api/v2.0/message-tracking/details",
	    "mid=2&startDate=2027-01-01T00:00:00Z&endDate=2027-02-01T00:00:00Z", g, NULL, NULL),
	    404);
	CHECK_INT(status_of("GET", "/esa/api/v2.0/message-tracking/details",
	    "mid=2&startDate=2026-11-01T00:00:00Z&endDate=2026-12-01T00:00:00Z", g, NULL, NULL),
	    200);
	CHECK_INT(status_of("GET", MSGS,
	    "startDate=2025-01-01T00:00:00Z&endDate=2025-02-01T00:00:00Z", g, NULL, NULL), 200);
}

static const struct unit_case cases[] = {
	{ "login_body_max", test_login_body_max },
	{ "login_throttle", test_login_throttle },
	{ "tracking_bounds", test_tracking_bounds },
	{ "jwt", test_jwt },
	{ "login", test_login },
	{ "basic", test_basic },
	{ "token_refused", test_token_refused },
	{ "errors", test_errors },
	{ "tracking", test_tracking },
	{ "remediation", test_remediation },
	{ "key_file", test_key_file },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_api", cases, argc, argv);
}
