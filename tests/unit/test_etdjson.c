/*
 * test_etdjson.c - mail/etdjson: the ETD API's token answer, search body
 * and search answer, table-driven (spec/external-apis.md §1.2, §1.4);
 * and daemon/etd's request count, daily quota and back-off, which need
 * no server.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "daemon/etd.h"
#include "mail/etdjson.h"
#include "store/queue.h"
#include "tests/unit/unit.h"

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

static void
test_token(void)
{
	static const struct {
		const char *json;
		int ok;
		const char *token;
		int expires;
	} rows[] = {
		{ "{\"accessToken\":\"eyJ.abc.def\"}", 1, "eyJ.abc.def", 3600 },
		{ "{\"accessToken\":\"t1\",\"expiresIn\":1800}", 1, "t1", 1800 },
		{ "{\"accessToken\":\"t1\",\"expiresIn\":5}", 1, "t1", 3600 },		/* not sane */
		{ "{\"accessToken\":\"t1\",\"expiresIn\":\"x\"}", 1, "t1", 3600 },
		{ "{\"token\":\"t1\"}", 0, NULL, 0 },
		{ "{\"accessToken\":\"\"}", 0, NULL, 0 },
		{ "{\"accessToken\":\"a b\"}", 0, NULL, 0 },	/* header injection */
		{ "{\"accessToken\":\"a\\r\\nX: y\"}", 0, NULL, 0 },
		{ "{\"accessToken\":7}", 0, NULL, 0 },
		{ "[\"accessToken\"]", 0, NULL, 0 },
		{ "<html>", 0, NULL, 0 },
		{ "", 0, NULL, 0 },
	};

	for (size_t i = 0; i < NROWS(rows); i++) {
		char *tok = NULL, *cause = NULL;
		int exp = 0, rc = etdjson_token_parse(rows[i].json, strlen(rows[i].json), &tok, &exp,
		    &cause);

		if (rows[i].ok) {
			if (rc != 0)
				UNIT_FAIL("row %zu: %s", i, cause);
			CHECK_STR(tok, rows[i].token);
			CHECK_INT(exp, rows[i].expires);
		} else {
			if (rc != -1 || cause == NULL || tok != NULL)
				UNIT_FAIL("row %zu accepted", i);
		}
		free(tok);
		free(cause);
	}
}

static void
test_search_body(void)
{
	char *s = etdjson_search_body(1796605323, 1796605623, "malicious, phishing,bec", 100, NULL);
	cJSON *j = cJSON_Parse(s), *ts, *vs;

	CHECK(j != NULL);
	ts = cJSON_GetObjectItemCaseSensitive(j, "timestamp");
	CHECK_INT(cJSON_GetArraySize(ts), 2);
	CHECK_STR(cJSON_GetArrayItem(ts, 0)->valuestring, "2026-12-07T01:02:03.000Z");
	CHECK_STR(cJSON_GetArrayItem(ts, 1)->valuestring, "2026-12-07T01:07:03.000Z");
	vs = cJSON_GetObjectItemCaseSensitive(j, "verdicts");
	CHECK_INT(cJSON_GetArraySize(vs), 3);
	CHECK_STR(cJSON_GetArrayItem(vs, 1)->valuestring, "phishing");
	CHECK_INT(cJSON_GetObjectItemCaseSensitive(j, "pageSize")->valueint, 100);
	CHECK(cJSON_GetObjectItemCaseSensitive(j, "pageToken") == NULL);
	cJSON_Delete(j);
	free(s);

	/* a page token is sent as given, quotes escaped by the JSON writer */
	s = etdjson_search_body(0, 60, "", 50, "tok\"2");
	j = cJSON_Parse(s);
	CHECK(j != NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(j, "verdicts") == NULL);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(j, "pageToken")->valuestring, "tok\"2");
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "timestamp"), 0)->valuestring,
	    "1970-01-01T00:00:00.000Z");
	cJSON_Delete(j);
	free(s);
}

static void
test_search_parse(void)
{
	const char *json =
	    "{\"data\":{\"messages\":["
	    "{\"id\":\"u-1\",\"internetMessageId\":\" <a@x.test> \",\"verdict\":\"phishing\","
	    "\"mailboxes\":[\"Alice@Example.COM\",\"bob@example.com\",7,\"no-at\",\"a,b@c\"]},"
	    "{\"id\":\"u-2\",\"internetMessageId\":\"<b@x.test>\","
	    "\"verdict\":{\"category\":\"bec\",\"confidence\":\"high\"},\"mailboxes\":[]},"
	    "{\"internetMessageId\":\"<noid@x.test>\",\"verdict\":\"scam\"},"
	    "{\"id\":\"u-3\",\"internetMessageId\":\"bad\\r\\nid\",\"verdict\":\"scam\"},"
	    "{\"id\":\"u-4\"},"
	    "\"junk\""
	    "]},\"nextPageToken\":\"p2\"}";
	struct etdjson_page pg;
	char *cause = NULL;

	if (etdjson_search_parse(json, strlen(json), &pg, &cause) != 0)
		UNIT_FAIL("%s", cause);
	CHECK_INT(pg.n, 3);
	CHECK_INT(pg.skipped, 3);
	/* named, with why, for the log line */
	CHECK_STR(pg.skip_ids, "(none),u-3,(none)");
	CHECK(strstr(pg.skip_why, "no usable id") != NULL);
	CHECK(strstr(pg.skip_why, "internetMessageId not usable") != NULL);
	CHECK_INT(pg.cut, 0);
	CHECK_STR(pg.msgs[0].id, "u-1");
	CHECK_STR(pg.msgs[0].message_id, "<a@x.test>");
	CHECK_STR(pg.msgs[0].verdict, "phishing");
	CHECK_STR(pg.msgs[0].mailboxes, "alice@example.com,bob@example.com");
	CHECK_INT(pg.msgs[0].nmailboxes, 2);
	CHECK_STR(pg.msgs[1].verdict, "bec");
	CHECK_STR(pg.msgs[1].mailboxes, "");
	CHECK_STR(pg.msgs[2].id, "u-4");
	CHECK_STR(pg.msgs[2].message_id, "");
	CHECK_STR(pg.msgs[2].verdict, "");
	CHECK_STR(pg.next_token, "p2");
	etdjson_page_free(&pg);

	/* the last page: no token, or an empty one; a token inside data is taken too */
	json = "{\"data\":{\"messages\":[]},\"nextPageToken\":\"\"}";
	CHECK_INT(etdjson_search_parse(json, strlen(json), &pg, &cause), 0);
	CHECK(pg.next_token == NULL);
	etdjson_page_free(&pg);
	json = "{\"data\":{\"messages\":[],\"nextPageToken\":\"in\"}}";
	CHECK_INT(etdjson_search_parse(json, strlen(json), &pg, &cause), 0);
	CHECK_STR(pg.next_token, "in");
	etdjson_page_free(&pg);
}

static void
test_search_bad(void)
{
	static const char *const rows[] = {
		"", "null", "[]", "{\"data\":[]}", "{\"data\":{\"messages\":{}}}",
		"{\"messages\":[]}", "{\"data\":{\"messages\":[]},\"nextPageToken\":\"a b\"}",
		"{\"data\":{\"messages\":[", "\x01\x02",
	};

	for (size_t i = 0; i < NROWS(rows); i++) {
		struct etdjson_page pg;
		char *cause = NULL;

		if (etdjson_search_parse(rows[i], strlen(rows[i]), &pg, &cause) != -1 || cause == NULL)
			UNIT_FAIL("row %zu accepted", i);
		CHECK(pg.msgs == NULL && pg.next_token == NULL);
		free(cause);
	}
}

/* RFC 6532: a UTF-8 Message-ID is kept as it is; broken UTF-8 or a C1 control is not */
static void
test_search_utf8(void)
{
	const char *json =
	    "{\"data\":{\"messages\":["
	    "{\"id\":\"u-1\",\"internetMessageId\":\"<r\\u00e9sum\\u00e9@ex\\u00e4mple.test>\"},"
	    "{\"id\":\"u-2\",\"internetMessageId\":\"<\\u6f22\\u5b57@x.test>\"},"
	    "{\"id\":\"u-3\",\"internetMessageId\":\"<a\\u0085b@x.test>\"},"
	    "{\"id\":\"u-4\",\"internetMessageId\":\"<\xc3@x.test>\"},"
	    "{\"id\":\"u-5\",\"internetMessageId\":\"<\xed\xa0\x80@x.test>\"},"
	    "{\"id\":\"u\\\\6\\u0001\",\"internetMessageId\":\"<a\\u007f@x.test>\"}"
	    "]}}";
	struct etdjson_page pg;
	char *cause = NULL;

	if (etdjson_search_parse(json, strlen(json), &pg, &cause) != 0)
		UNIT_FAIL("%s", cause);
	CHECK_INT(pg.n, 2);
	CHECK_STR(pg.msgs[0].message_id, "<r\xc3\xa9sum\xc3\xa9@ex\xc3\xa4mple.test>");
	CHECK_STR(pg.msgs[1].message_id, "<\xe6\xbc\xa2\xe5\xad\x97@x.test>");
	CHECK_INT(pg.skipped, 4);
	/* ids escaped for the log: no control character, no comma of its own */
	CHECK_STR(pg.skip_ids, "u-3,u-4,u-5,u\\x5c6\\x01");
	CHECK(strstr(pg.skip_why, "internetMessageId not usable") != NULL);
	etdjson_page_free(&pg);
}

/* more than a page's worth of records: ETDJSON_PAGE_MAX kept, the rest skipped */
static void
test_search_bounded(void)
{
	struct buf_s {
		char *p;
		size_t n;
	} b = { malloc(1 << 20), 0 };
	struct etdjson_page pg;
	char *cause = NULL, big[6000];

	b.n += (size_t)snprintf(b.p + b.n, 64, "{\"data\":{\"messages\":[");
	for (int i = 0; i < 150; i++)
		b.n += (size_t)snprintf(b.p + b.n, 128, "%s{\"id\":\"m%d\",\"verdict\":\"spam\"}",
		    i ? "," : "", i);
	b.n += (size_t)snprintf(b.p + b.n, 64, "]}}");
	CHECK_INT(etdjson_search_parse(b.p, b.n, &pg, &cause), 0);
	CHECK_INT(pg.n, ETDJSON_PAGE_MAX);
	CHECK_INT(pg.skipped, 50);
	CHECK(strncmp(pg.skip_ids, "m100,m101,", 10) == 0);
	CHECK(strlen(pg.skip_ids) <= ETDJSON_NOTE_MAX);
	CHECK(strcmp(pg.skip_ids + strlen(pg.skip_ids) - 5, ",m149") == 0);
	CHECK_STR(pg.skip_why, "more than 100 records in a page");
	etdjson_page_free(&pg);

	/* mailboxes beyond what a request keeps are cut at a whole address */
	b.n = (size_t)snprintf(b.p, 64, "{\"data\":{\"messages\":[{\"id\":\"x\",\"mailboxes\":[");
	for (int i = 0; i < 400; i++)
		b.n += (size_t)snprintf(b.p + b.n, 128, "%s\"user%03d@example.com\"", i ? "," : "", i);
	b.n += (size_t)snprintf(b.p + b.n, 64, "]}]}}");
	CHECK_INT(etdjson_search_parse(b.p, b.n, &pg, &cause), 0);
	CHECK_INT(pg.n, 1);
	CHECK(pg.msgs[0].nmailboxes > 100 && pg.msgs[0].nmailboxes < 400);
	CHECK(strlen(pg.msgs[0].mailboxes) <= ETDJSON_MAILBOXES_MAX);
	CHECK(pg.msgs[0].mailboxes[strlen(pg.msgs[0].mailboxes) - 1] == 'm');
	CHECK_INT(pg.cut, 1);
	CHECK_STR(pg.cut_ids, "x");
	etdjson_page_free(&pg);

	/* an over-long id is skipped, not cut */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	b.n = (size_t)snprintf(b.p, 1 << 20, "{\"data\":{\"messages\":[{\"id\":\"%s\"}]}}", big);
	CHECK_INT(etdjson_search_parse(b.p, b.n, &pg, &cause), 0);
	CHECK_INT(pg.n, 0);
	CHECK_INT(pg.skipped, 1);
	etdjson_page_free(&pg);
	free(b.p);
}

static void
test_verdicts(void)
{
	CHECK(etdjson_verdict_in("malicious,phishing,bec,scam", "phishing"));
	CHECK(etdjson_verdict_in("malicious, phishing", "phishing"));
	CHECK(!etdjson_verdict_in("malicious,phishing", "phish"));
	CHECK(!etdjson_verdict_in("malicious,phishing", "spam"));
	CHECK(!etdjson_verdict_in("malicious,phishing", ""));
	CHECK(etdjson_verdict_in("noVerdict", "noverdict"));
	CHECK(etdjson_verdict_ok("graymail"));
	CHECK(!etdjson_verdict_ok("evil"));
}

/* today_is - queue_state "etd.day" for today, as etd.c writes it */
static void
today_is(struct queue *q, int n)
{
	char d[16], v[48], *cause = NULL;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d", &tm);
	snprintf(v, sizeof(v), "%s %d", d, n);
	CHECK_INT(queue_state_set(q, "etd.day", v, &cause), 0);
}

/*
 * daemon/etd.c's limits, with no server: every request is counted in
 * queue.db (a restart, a new client, goes on from the count), the day's
 * quota refuses without asking anything, a failed connection backs off
 * 5 s then 10 s
 */
static void
test_client_limits(void)
{
	struct queue *q = NULL;
	struct etd *e;
	struct etdjson_page pg;
	char *cause = NULL;
	int retry = -1;

	if (queue_open(unit_tmpdir(), &q, &cause) < 0)
		UNIT_FAIL("%s", cause);
	today_is(q, 5);
	e = etd_new(q);
	etd_configure(e, "http://127.0.0.1:1/", "id", "secret", "key", "");
	CHECK_INT(etd_requests_today(e), 5);
	CHECK_INT(etd_search(e, 0, 60, "phishing", NULL, &pg, &retry, &cause), -1);
	CHECK(strstr(cause, "token request failed: ") == cause);
	CHECK(strstr(cause, "(retrying in 5 seconds)") != NULL);
	CHECK(strstr(cause, "secret") == NULL);
	CHECK_INT(retry, 5);
	free(cause);
	CHECK_INT(etd_search(e, 0, 60, "phishing", NULL, &pg, &retry, &cause), -1);
	CHECK_INT(retry, 10);
	free(cause);
	CHECK_INT(etd_requests_today(e), 7);
	etd_free(e);
	/* a new client (a restart) counts on from what queue.db holds */
	e = etd_new(q);
	CHECK_INT(etd_requests_today(e), 7);
	etd_free(e);

	today_is(q, ETD_DAILY_QUOTA);
	e = etd_new(q);
	etd_configure(e, "http://127.0.0.1:1", "id", "secret", "key", "");
	CHECK_INT(etd_search(e, 0, 60, "phishing", NULL, &pg, &retry, &cause), -1);
	CHECK(strstr(cause, "daily quota of 10000 requests used") != NULL);
	CHECK(retry > 0 && retry <= 86401);
	free(cause);
	CHECK_INT(etd_requests_today(e), ETD_DAILY_QUOTA);
	etd_free(e);

	/* not configured: said so, nothing counted */
	today_is(q, 0);
	e = etd_new(q);
	etd_configure(e, "http://127.0.0.1:1", "", "", "", "");
	CHECK_INT(etd_search(e, 0, 60, "phishing", NULL, &pg, &retry, &cause), -1);
	CHECK(strstr(cause, "not set") != NULL);
	CHECK_INT(retry, 0);
	free(cause);
	CHECK_INT(etd_requests_today(e), 0);
	etd_free(e);
	queue_close(q);
}

/* a cluster's shared count, as clusterd_etd_count keeps it in etcd */
struct shared {
	char day[16];
	int n, calls, fail;
};

static int
shared_take(void *arg, const char *day, int quota, int *count, char **cause)
{
	struct shared *sh = arg;

	sh->calls++;
	if (sh->fail) {
		*cause = strdup("etcd: no leader");
		return -1;
	}
	if (strcmp(sh->day, day) != 0) {
		snprintf(sh->day, sizeof(sh->day), "%s", day);
		sh->n = 0;
	}
	*count = sh->n;
	if (sh->n >= quota)
		return 0;
	*count = ++sh->n;
	return 1;
}

/*
 * with a counter (a cluster), each request is taken from it and not from
 * queue.db; a used quota and a count that cannot be kept refuse without
 * asking the API
 */
static void
test_client_shared_count(void)
{
	struct queue *q = NULL;
	struct etd *e;
	struct etdjson_page pg;
	struct shared sh = { .n = 0 };
	char *cause = NULL;
	int retry = -1;

	if (queue_open(unit_tmpdir(), &q, &cause) < 0)
		UNIT_FAIL("%s", cause);
	today_is(q, 5);
	e = etd_new(q);
	etd_configure(e, "http://127.0.0.1:1", "id", "secret", "key", "");
	etd_set_counter(e, shared_take, &sh);
	{
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(sh.day, sizeof(sh.day), "%Y-%m-%d", &tm);
	}
	sh.n = 40;
	CHECK_INT(etd_search(e, 0, 60, "phishing", NULL, &pg, &retry, &cause), -1);
	CHECK(strstr(cause, "token request failed: ") == cause);
	free(cause);
	CHECK_INT(sh.calls, 1);
	CHECK_INT(sh.n, 41);
	CHECK_INT(etd_requests_today(e), 41);
	/* the count cannot be kept: no request, a short wait */
	sh.fail = 1;
	CHECK_INT(etd_search(e, 0, 60, "phishing", NULL, &pg, &retry, &cause), -1);
	CHECK(strstr(cause, "the cluster's daily count of requests cannot be kept: etcd: no leader") != NULL);
	CHECK_INT(retry, ETD_BACKOFF_MIN);
	free(cause);
	CHECK_INT(sh.n, 41);
	/* used up by the cluster: until the next UTC day */
	sh.fail = 0;
	sh.n = ETD_DAILY_QUOTA;
	CHECK_INT(etd_search(e, 0, 60, "phishing", NULL, &pg, &retry, &cause), -1);
	CHECK(strstr(cause, "daily quota of 10000 requests used by the cluster") != NULL);
	CHECK(retry > 0 && retry <= 86401);
	free(cause);
	CHECK_INT(sh.n, ETD_DAILY_QUOTA);
	/* queue.db's own count untouched; without the counter it is used again */
	etd_set_counter(e, NULL, NULL);
	CHECK_INT(etd_requests_today(e), 5);
	etd_free(e);
	queue_close(q);
}

static const struct unit_case cases[] = {
	{ "token", test_token },
	{ "client_shared_count", test_client_shared_count },
	{ "search_body", test_search_body },
	{ "search_parse", test_search_parse },
	{ "search_bad", test_search_bad },
	{ "search_bounded", test_search_bounded },
	{ "search_utf8", test_search_utf8 },
	{ "verdicts", test_verdicts },
	{ "client_limits", test_client_limits },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("etdjson", cases, argc, argv);
}
