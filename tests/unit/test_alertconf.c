/*
 * test_alertconf.c - alert recipients (mail/alertconf.c): class and
 * severity lists parsed in any case with their errors, the stored form
 * round-tripping, who wants which alert (a class this build does not
 * name reaches "all" only), recipients staged, committed and loaded with
 * the settings, a damaged item failing the load with its name, and the
 * mail: AsyncOS's subject, folded and US-ASCII, the body's lines bounded.
 */
#include "mail/alertconf.h"
#include "store/alert.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"
#include "tests/unit/unit.h"

static void
test_parse_classes(void)
{
	unsigned m = 0;
	char *cause = NULL, buf[128];

	CHECK_INT(alertconf_parse_classes("System, QUEUE", &m, &cause), 0);
	CHECK_INT(m, ALERTCONF_C_SYSTEM | ALERTCONF_C_QUEUE);
	CHECK_STR(alertconf_classes_text(m, buf, sizeof(buf)), "System, Queue");
	CHECK_INT(alertconf_parse_classes("all", &m, &cause), 0);
	CHECK_INT(m, ALERTCONF_C_ALL);
	CHECK_STR(alertconf_classes_text(m, buf, sizeof(buf)), "All");
	CHECK_INT(alertconf_parse_classes("tdc", &m, &cause), 0);
	CHECK_STR(alertconf_classes_text(m, buf, sizeof(buf)), "Threat Defense Connector");
	m = 77;
	CHECK_INT(alertconf_parse_classes("system,hardware", &m, &cause), -1);
	CHECK_STR(cause, "Invalid alert class 'hardware': use all or a comma list of system, "
			 "queue, listener, tdc.");
	CHECK_INT(m, 77);	/* nothing changed on an error */
	free(cause);
	CHECK_INT(alertconf_parse_classes("", &m, &cause), -1);
	free(cause);
	CHECK_INT(alertconf_parse_classes("system,", &m, &cause), -1);
	free(cause);
}

static void
test_parse_severities(void)
{
	unsigned m = 0;
	char *cause = NULL, buf[64];

	CHECK_INT(alertconf_parse_severities("Critical,info", &m, &cause), 0);
	CHECK_INT(m, ALERTCONF_S_CRITICAL | ALERTCONF_S_INFO);
	CHECK_STR(alertconf_severities_text(m, buf, sizeof(buf)), "Critical, Information");
	CHECK_INT(alertconf_parse_severities("information,warning,critical", &m, &cause), 0);
	CHECK_STR(alertconf_severities_text(m, buf, sizeof(buf)), "All");
	CHECK_INT(alertconf_parse_severities("urgent", &m, &cause), -1);
	CHECK_STR(cause, "Invalid severity 'urgent': use all or a comma list of critical, "
			 "warning, information.");
	free(cause);
}

static void
test_encode_decode(void)
{
	struct alert_rcpt r = { 0 };
	char *cause = NULL, *v;

	v = alertconf_encode(ALERTCONF_C_LISTENER | ALERTCONF_C_TDC, ALERTCONF_S_WARNING);
	CHECK_STR(v, "classes=listener,tdc severities=warning");
	CHECK_INT(alertconf_decode(v, &r, &cause), 0);
	CHECK_INT(r.classes, ALERTCONF_C_LISTENER | ALERTCONF_C_TDC);
	CHECK_INT(r.severities, ALERTCONF_S_WARNING);
	free(v);
	v = alertconf_encode(ALERTCONF_C_ALL, ALERTCONF_S_ALL);
	CHECK_STR(v, "classes=all severities=all");
	free(v);
	CHECK_INT(alertconf_decode("severities=all", &r, &cause), -1);
	free(cause);
	CHECK_INT(alertconf_decode("classes=bogus severities=all", &r, &cause), -1);
	free(cause);
}

static void
test_wants(void)
{
	struct alert_rcpt all = { "a@x.test", ALERTCONF_C_ALL, ALERTCONF_S_ALL };
	struct alert_rcpt warn = { "w@x.test", ALERTCONF_C_ALL, ALERTCONF_S_WARNING };
	struct alert_rcpt sys = { "s@x.test", ALERTCONF_C_SYSTEM, ALERTCONF_S_ALL };

	CHECK(alertconf_wants(&all, ALERT_CRITICAL, "Listener"));
	CHECK(alertconf_wants(&all, ALERT_INFO, "Something New"));
	CHECK(!alertconf_wants(&warn, ALERT_CRITICAL, "System"));
	CHECK(alertconf_wants(&warn, ALERT_WARNING, "Queue"));
	CHECK(alertconf_wants(&sys, ALERT_CRITICAL, "System"));
	CHECK(!alertconf_wants(&sys, ALERT_CRITICAL, "Listener"));
	CHECK(!alertconf_wants(&sys, ALERT_CRITICAL, "Something New"));
	CHECK_INT(alertconf_class_bit("Threat Defense Connector"), ALERTCONF_C_TDC);
}

static void
test_addr(void)
{
	char out[ALERTCONF_ADDR_MAX], *cause = NULL;

	CHECK_INT(alertconf_parse_addr("Ops@Example.COM", out, sizeof(out), &cause), 0);
	CHECK_STR(out, "Ops@example.com");
	CHECK_INT(alertconf_parse_addr("no-at-sign", out, sizeof(out), &cause), -1);
	free(cause);
	CHECK_INT(alertconf_parse_addr("a@b@c.test", out, sizeof(out), &cause), -1);
	free(cause);
}

static void
test_load(void)
{
	const char *dir = unit_tmpdir();
	struct store *st, *run;
	struct alert_conf ac;
	char *cause = NULL, *v;
	int64_t id;

	if (store_open(dir, STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	v = alertconf_encode(ALERTCONF_C_ALL, ALERTCONF_S_CRITICAL);
	CHECK_INT(config_set(st, ALERTCONF_SECTION, "b@x.test", v, &cause), 0);
	free(v);
	v = alertconf_encode(ALERTCONF_C_QUEUE, ALERTCONF_S_ALL);
	CHECK_INT(config_set(st, ALERTCONF_SECTION, "a@x.test", v, &cause), 0);
	free(v);
	CHECK_INT(settings_set(st, "alert.from", "gw@X.test", &cause), 0);
	CHECK_INT(settings_set(st, "alert.dup_interval", "42", &cause), 0);
	if (store_open(dir, STORE_RUNNING, &run, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	/* pending: the daemon sees none of it */
	CHECK_INT(alertconf_load(run, &ac, &cause), 0);
	CHECK_INT(ac.n, 0);
	CHECK_STR(ac.from, "");
	CHECK_INT(ac.dup_interval, 300);
	alertconf_free(&ac);
	CHECK_INT(config_commit(st, "tester", "alerts", &id, &cause), 0);
	CHECK_INT(alertconf_load(run, &ac, &cause), 0);
	CHECK_INT(ac.n, 2);
	CHECK_STR(ac.r[0].addr, "a@x.test");
	CHECK_INT(ac.r[0].classes, ALERTCONF_C_QUEUE);
	CHECK_INT(ac.r[1].severities, ALERTCONF_S_CRITICAL);
	CHECK_STR(ac.from, "gw@x.test");
	CHECK_INT(ac.dup_interval, 42);
	alertconf_free(&ac);
	/* a damaged item fails the load, naming it */
	CHECK_INT(config_set(st, ALERTCONF_SECTION, "c@x.test", "garbage", &cause), 0);
	CHECK_INT(config_commit(st, "tester", "damage", &id, &cause), 0);
	CHECK_INT(alertconf_load(run, &ac, &cause), -1);
	CHECK(strstr(cause, "c@x.test") != NULL);
	free(cause);
	alertconf_free(&ac);
	store_close(run);
	store_close(st);
}

static void
test_build(void)
{
	const char *to[] = { "ops@x.test", "noc@x.test" };
	char text[1001];
	struct alertmail_in in = {
		.hostname = "gw.example.test", .from = "alert@gw.example.test", .to = to,
		.nto = 2, .severity = ALERT_CRITICAL, .aclass = "Listener", .text = text,
		.alert_id = 7, .mid = 12, .when = 1800000000, .suppressed = 3,
		.suppressed_since = 1799999000, .version = "0.1.0",
	};
	char *m, *p, *line;
	size_t len;

	/* long, with 8-bit text and a control character */
	memset(text, 'w', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (int i = 5; i < 990; i += 9)
		text[i] = ' ';
	memcpy(text, "Caf\xc3\xa9\x01", 6);
	m = alertconf_build(&in, &len);
	CHECK_INT(strlen(m), len);
	CHECK(strstr(m, "\r\nSubject: Critical-gw.example.test: (Listener) Caf?? ") != NULL);
	CHECK(strstr(m, "Message-ID: <alert.7.12@gw.example.test>\r\n") != NULL);
	CHECK(strstr(m, "To: <ops@x.test>,\r\n <noc@x.test>\r\n") != NULL);
	CHECK(strstr(m, "This alert was raised 3 more times since") != NULL);
	CHECK(strstr(m, "Caf\xc3\xa9 ") != NULL);	/* the body keeps UTF-8 */
	/* every line ends in CRLF, none longer than 78; the header is US-ASCII */
	p = strstr(m, "\r\n\r\n");
	CHECK(p != NULL);
	for (const char *q = m; q < p; q++)
		CHECK((unsigned char)*q < 128);
	for (line = m; *line;) {
		char *e = strstr(line, "\r\n");

		CHECK(e != NULL);
		if (e - line > 78)
			UNIT_FAIL("line of %d bytes: %.80s", (int)(e - line), line);
		line = e + 2;
	}
	free(m);
}

static const struct unit_case cases[] = {
	{ "alertconf/parse_classes", test_parse_classes },
	{ "alertconf/parse_severities", test_parse_severities },
	{ "alertconf/encode_decode", test_encode_decode },
	{ "alertconf/wants", test_wants },
	{ "alertconf/addr", test_addr },
	{ "alertconf/load", test_load },
	{ "alertconf/build", test_build },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_alertconf", cases, argc, argv);
}
