/*
 * test_csn.c - the Cisco Success Network payload (mail/csn.c): the exact
 * bytes for a given payload (field order, null expiry, whole-number
 * installDate), the same bytes every time; csn_collect reading the
 * committed configuration only (a pending change does not show), each
 * feature's rule (settings, remediation profiles, active message
 * filters, content filters), the registration's account fields, the
 * machine's serial, the build's version and an install date that does
 * not move between calls.
 */
#include <time.h>

#include "mail/csn.h"
#include "mail/filterconf.h"
#include "mail/remedconf.h"
#include "net/cloudsvc.h"
#include "store/cloud.h"
#include "store/config.h"
#include "store/queue.h"
#include "store/remed.h"
#include "store/settings.h"
#include "util/str.h"
#include "util/version.h"
#include "tests/unit/unit.h"

/* open_store - a store on dir */
static struct store *
open_store(const char *dir, enum store_mode mode)
{
	struct store *st;
	char *cause = NULL;

	if (store_open(dir, mode, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	return st;
}

/* set - stage a setting or fail */
static void
set(struct store *st, const char *name, const char *value)
{
	char *cause = NULL;

	if (settings_set(st, name, value, &cause) < 0)
		UNIT_FAIL("settings_set %s: %s", name, cause);
}

/* commit - config_commit or fail */
static void
commit(struct store *st)
{
	char *cause = NULL;
	int64_t id;

	if (config_commit(st, "tester", "test", &id, &cause) < 0)
		UNIT_FAIL("config_commit: %s", cause);
}

/* collect - csn_collect or fail */
static void
collect(struct store *run, struct queue *q, const char *dir, const struct cloud_reg *reg,
    struct csn_payload *p)
{
	char *cause = NULL;

	if (csn_collect(run, q, dir, reg, p, &cause) < 0)
		UNIT_FAIL("csn_collect: %s", cause);
}

/* enabled - the enabled flag of a feature by name; fails if it is missing */
static int
enabled(const struct csn_payload *p, const char *name)
{
	for (int i = 0; i < p->nfeatures; i++)
		if (strcmp(p->features[i].name, name) == 0)
			return p->features[i].enabled;
	UNIT_FAIL("no feature %s", name);
	return -1;
}

static void
test_json_bytes(void)
{
	struct csn_payload p = { 0 };
	char *a, *b;

	str_copy(p.uid, "4A2F0C9B11D3-8C0E6F1", sizeof(p.uid));
	str_copy(p.sivan, "VA-\"x\"", sizeof(p.sivan));
	str_copy(p.account, "SA-42", sizeof(p.account));
	str_copy(p.version, "9.8.7", sizeof(p.version));
	p.install_ms = 1765100000123LL;
	p.nfeatures = 2;
	p.features[0].name = "Sender Domain Reputation";
	p.features[0].id = "4d1383a3-a0c4-4bdf-9d0a-09dd611295b0";
	p.features[0].enabled = 1;
	p.features[1].name = "Message Filters";
	p.features[1].id = "18ba0a9d-92ce-47d4-a061-594b189d3a02";
	a = csn_json(&p);
	CHECK_STR(a, "{\"UID\":\"4A2F0C9B11D3-8C0E6F1\",\"model\":\"mxgate\","
		     "\"sIVAN\":\"VA-\\\"x\\\"\",\"deployment\":\"standalone\","
		     "\"userAccountID\":\"SA-42\",\"version\":\"9.8.7\","
		     "\"installDate\":1765100000123,\"features\":["
		     "{\"name\":\"Sender Domain Reputation\",\"enabled\":true,\"status\":\"active\","
		     "\"expiry\":null,\"featureID\":\"4d1383a3-a0c4-4bdf-9d0a-09dd611295b0\"},"
		     "{\"name\":\"Message Filters\",\"enabled\":false,\"status\":\"inactive\","
		     "\"expiry\":null,\"featureID\":\"18ba0a9d-92ce-47d4-a061-594b189d3a02\"}]}");
	b = csn_json(&p);
	CHECK_STR(a, b);
	free(b);
	p.cluster = 1;
	b = csn_json(&p);
	CHECK(strstr(b, "\"deployment\":\"cluster\"") != NULL);
	free(a);
	free(b);
}

static void
test_collect(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, serial[64], *a, *b;
	struct store *st = open_store(dir, STORE_SESSION), *run = open_store(dir, STORE_RUNNING);
	struct queue *q;
	struct csn_payload p, p2;
	struct cloud_reg reg = { 0 };
	struct filter_set fs = { 0 };
	time_t t0 = time(NULL);

	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	collect(run, q, dir, NULL, &p);
	CHECK(p.nfeatures >= 9);
	for (int i = 0; i < p.nfeatures; i++) {
		CHECK_INT(p.features[i].enabled, 0);
		CHECK_INT(strlen(p.features[i].id), 36);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(p.features[i].id, p.features[j].id) != 0);
	}
	if (remed_serial(q, serial, sizeof(serial), &cause) < 0)
		UNIT_FAIL("remed_serial: %s", cause);
	CHECK_STR(p.uid, serial);
	CHECK_STR(p.version, MXGATE_VERSION);
	CHECK_STR(p.sivan, "");
	CHECK_STR(p.account, "");
	CHECK_INT(p.cluster, 0);
	/* the data directory was made just now; the date stays put */
	CHECK(p.install_ms >= ((long long)t0 - 5) * 1000 && p.install_ms <= ((long long)t0 + 5) * 1000);

	/* pending changes are not what runs */
	set(st, "tdc.enabled", "yes");
	set(st, "api.https", "yes");
	set(st, "cloud.enabled", "yes");
	set(st, "cloud.csn", "yes");
	collect(run, q, dir, NULL, &p2);
	CHECK_INT(enabled(&p2, "Threat Defense Connector"), 0);
	commit(st);
	set(st, "sdr.enabled", "yes");	/* staged, never committed */
	if (config_set(st, REMEDCONF_PROFILE_SECTION, "dovecot", "{}", &cause) < 0)
		UNIT_FAIL("config_set: %s", cause);
	str_copy(reg.virtual_account, "VA-7", sizeof(reg.virtual_account));
	str_copy(reg.account_id, "SA-7", sizeof(reg.account_id));
	collect(run, q, dir, &reg, &p2);
	CHECK_INT(enabled(&p2, "Threat Defense Connector"), 1);
	CHECK_INT(enabled(&p2, "AsyncOS API"), 1);
	CHECK_INT(enabled(&p2, "Cisco Cloud Service"), 1);
	CHECK_INT(enabled(&p2, "Cisco Success Network"), 1);
	CHECK_INT(enabled(&p2, "Sender Domain Reputation"), 0);
	CHECK_INT(enabled(&p2, "Mailbox Remediation"), 0);
	CHECK_INT(enabled(&p2, "Email Threat Defense API Polling"), 0);
	CHECK_INT(enabled(&p2, "Message Filters"), 0);
	CHECK_INT(enabled(&p2, "Content Filters"), 0);
	CHECK_STR(p2.sivan, "VA-7");
	CHECK_STR(p2.account, "SA-7");
	CHECK(p2.install_ms == p.install_ms);
	a = csn_json(&p2);
	CHECK(strstr(a, "\"sIVAN\":\"VA-7\"") != NULL);
	CHECK(strstr(a, "{\"name\":\"Threat Defense Connector\",\"enabled\":true,"
			"\"status\":\"active\",\"expiry\":null,") != NULL);
	CHECK(strstr(a, "{\"name\":\"Sender Domain Reputation\",\"enabled\":false,"
			"\"status\":\"inactive\",\"expiry\":null,") != NULL);

	/* committed: the profile, an inactive filter (off), then an active one (on) */
	if (filterconf_add(st, &fs, "tag", "tag: if true { insert-header('X-A', 'b'); }", NULL,
		0, &cause) < 0 ||
	    filterconf_save(st, FILTER_SECTION, &fs, &cause) < 0)
		UNIT_FAIL("filter: %s", cause);
	commit(st);
	collect(run, q, dir, &reg, &p2);
	CHECK_INT(enabled(&p2, "Sender Domain Reputation"), 1);
	CHECK_INT(enabled(&p2, "Mailbox Remediation"), 1);
	CHECK_INT(enabled(&p2, "Message Filters"), 0);
	fs.e[0].active = 1;
	if (filterconf_save(st, FILTER_SECTION, &fs, &cause) < 0)
		UNIT_FAIL("filter: %s", cause);
	commit(st);
	collect(run, q, dir, &reg, &p2);
	CHECK_INT(enabled(&p2, "Message Filters"), 1);
	CHECK_INT(enabled(&p2, "Content Filters"), 0);
	filterconf_free(&fs);
	if (filterconf_add(st, &fs, "cf", "cf: if true { insert-header('X-B', 'c'); }", "d", 1,
		&cause) < 0 ||
	    filterconf_save(st, CFILTER_SECTION, &fs, &cause) < 0)
		UNIT_FAIL("content filter: %s", cause);
	commit(st);
	collect(run, q, dir, &reg, &p2);
	CHECK_INT(enabled(&p2, "Content Filters"), 1);
	filterconf_free(&fs);

	/* the same state gives the same bytes */
	free(a);
	a = csn_json(&p2);
	collect(run, q, dir, &reg, &p);
	b = csn_json(&p);
	CHECK_STR(a, b);
	free(a);
	free(b);
	queue_close(q);
	store_close(run);
	store_close(st);
}

/* A data directory whose birth time is unknown keeps the first date it was given. */
static void
test_install_kept(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *v = NULL;
	struct queue *q;
	long long a = 0, b = 0;

	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	if (csn_install_ms(q, dir, &a, &cause) < 0 || csn_install_ms(q, dir, &b, &cause) < 0)
		UNIT_FAIL("csn_install_ms: %s", cause);
	CHECK(a > 0);
	CHECK(a == b);
	/* the fallback, whichever way this file system goes, never moves */
	if (queue_state_read(q, CSN_INSTALL_STATE, &v, &cause) < 0)
		UNIT_FAIL("state: %s", cause);
	if (v != NULL)
		CHECK(strtoll(v, NULL, 10) == a);
	free(v);
	/* without a birth time the first answer is kept; a damaged one is an error, not a new date */
	if (csn_install_ms(q, "/nonexistent/dir/for/csn", &a, &cause) < 0)
		UNIT_FAIL("fallback: %s", cause);
	CHECK(a > 0);
	nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	if (csn_install_ms(q, "/nonexistent/dir/for/csn", &b, &cause) < 0)
		UNIT_FAIL("fallback again: %s", cause);
	CHECK(a == b);
	if (queue_state_set(q, CSN_INSTALL_STATE, "12x", &cause) < 0)
		UNIT_FAIL("state set: %s", cause);
	CHECK(csn_install_ms(q, "/nonexistent/dir/for/csn", &b, &cause) == -1);
	CHECK(cause != NULL && strstr(cause, "damaged") != NULL);
	free(cause);
	queue_close(q);
}

/*
 * the telemetry POST carries Basic credentials: to anything but an https://
 * URL it is refused before a connection is made (the port below would
 * answer "cannot reach" if one were tried)
 */
static void
test_send_https_only(void)
{
	static const char *bad[] = {
		"http://127.0.0.1:9/v1/telemetry/csn",
		"ftp://127.0.0.1:9/x",
		"https://user:pw@127.0.0.1:9/x",
		"127.0.0.1:9/v1/telemetry/csn",
		"",
	};
	struct cloud_reg reg = { 0 };
	volatile int stop = 0;

	str_copy(reg.client_id, "client-1", sizeof(reg.client_id));
	reg.client_secret = str_dup("cs-secret");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *cause = NULL;

		CHECK_INT(cloudsvc_send(bad[i], &reg, "{}", "", &stop, &cause), -1);
		CHECK(cause != NULL && strstr(cause, "is not an https:// URL") != NULL);
		CHECK(cause != NULL && strstr(cause, "cs-secret") == NULL);
		free(cause);
	}
	free(reg.client_secret);
}

/* queue_state_set_if_absent: the first value stays, so print and send agree */
static void
test_install_if_absent(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *v = NULL;
	struct queue *q;
	long long a = 0;

	if (queue_open(dir, &q, &cause) < 0)
		UNIT_FAIL("queue_open: %s", cause);
	if (queue_state_set_if_absent(q, CSN_INSTALL_STATE, "1000", &cause) < 0 ||
	    queue_state_set_if_absent(q, CSN_INSTALL_STATE, "2000", &cause) < 0)
		UNIT_FAIL("set_if_absent: %s", cause);
	if (queue_state_read(q, CSN_INSTALL_STATE, &v, &cause) < 0)
		UNIT_FAIL("read: %s", cause);
	CHECK(v != NULL && strcmp(v, "1000") == 0);
	free(v);
	/* a date another process kept first is the one the fallback answers */
	if (csn_install_ms(q, "/nonexistent/dir/for/csn", &a, &cause) < 0)
		UNIT_FAIL("csn_install_ms: %s", cause);
	CHECK(a == 1000);
	queue_close(q);
}

static const struct unit_case cases[] = {
	{ "json_bytes", test_json_bytes },
	{ "collect", test_collect },
	{ "install_kept", test_install_kept },
	{ "send_https_only", test_send_https_only },
	{ "install_if_absent", test_install_if_absent },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("test_csn", cases, argc, argv);
}
