/*
 * test_sdrconf.c - the Sender Domain Reputation configuration
 * (mail/sdrconf.c): the defaults of a fresh store, everything staged by
 * the helpers and loaded back by the daemon's handle after commit, the
 * local table's lookup (sorted, any case, trailing dot), the checks of
 * zones, URLs, feed names and local entries, and damaged items failing
 * the load with a cause naming them.
 */
#include "mail/sdrconf.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"
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

/* commit - config_commit or fail */
static void
commit(struct store *st)
{
	char *cause = NULL;
	int64_t id;

	if (config_commit(st, "tester", "test", &id, &cause) < 0)
		UNIT_FAIL("config_commit: %s", cause);
}

/* local - an entry from "DOMAIN" and "VERDICT[/CATEGORY]", staged */
static void
local(struct store *st, const char *domain, const char *spec)
{
	struct sdr_local e;
	char *cause = NULL;

	if (sdrconf_local_parse(domain, spec, &e, &cause) < 0 ||
	    sdrconf_local_set(st, &e, &cause) < 0)
		UNIT_FAIL("local %s %s: %s", domain, spec, cause);
}

static void
test_defaults(void)
{
	struct store *st = open_store(unit_tmpdir(), STORE_RUNNING);
	struct sdr_conf c;
	char *cause = NULL;

	if (sdrconf_load(st, &c, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(c.enabled, 0);
	CHECK_INT(c.share_extended, 0);
	CHECK_INT(c.timeout, 2);
	CHECK_INT(c.envfrom_only, 0);
	CHECK_INT(c.verify_peer, 1);
	CHECK_INT(c.cache_ttl, 3600);
	CHECK_INT(c.feed_interval, 3600);
	CHECK_STR(c.exception_list, "");
	CHECK_STR(c.rdap_url, "");
	CHECK_STR(c.rdap_bootstrap, "");
	CHECK_INT(c.nblocklists + c.nlocal + c.nfeeds, 0);
	CHECK(sdrconf_local_find(&c, "a.test") == NULL);
	sdrconf_free(&c);
	store_close(st);
}

static void
test_load_after_commit(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *v = NULL;
	struct store *st = open_store(dir, STORE_SESSION), *run;
	struct sdr_codes codes;
	struct sdr_conf c;
	const struct sdr_local *e;
	char text[512];

	if (settings_set(st, "sdr.enabled", "yes", &cause) < 0 ||
	    settings_set(st, "sdr.timeout", "7", &cause) < 0 ||
	    settings_set(st, "sdr.exception_envfrom_only", "yes", &cause) < 0 ||
	    settings_set(st, "sdr.verify_peer", "no", &cause) < 0 ||
	    settings_set(st, "sdr.rdap_url", "http://127.0.0.1:9/rdap/", &cause) < 0 ||
	    settings_set(st, "sdr.exception_list", "exc", &cause) < 0)
		UNIT_FAIL("settings: %s", cause);
	if (sdr_codes_parse("127.0.1.3:Poor/Malware, 127.0.1.2:awful/Spam", &codes, &cause) < 0 ||
	    sdrconf_blocklist_set(st, "dbl.test", &codes, &cause) < 0)
		UNIT_FAIL("blocklist: %s", cause);
	local(st, "Zeta.TEST", "poor/Spam");
	local(st, "alpha.test", "Good");
	local(st, "mid.test", "bad");
	if (sdrconf_feed_set(st, "feed1", "http://127.0.0.1:8080/api/collections/c1/objects/",
	    &cause) < 0)
		UNIT_FAIL("feed: %s", cause);
	/* the stored forms api.md gives */
	if (config_get(st, SDRCONF_LOCAL_SECTION, "zeta.test", &v, &cause) < 0 || v == NULL)
		UNIT_FAIL("config_get: %s", cause ? cause : "absent");
	CHECK_STR(v, "Poor,Spam");
	free(v);
	if (config_get(st, SDRCONF_FEED_SECTION, "feed1", &v, &cause) < 0 || v == NULL)
		UNIT_FAIL("config_get: %s", cause ? cause : "absent");
	CHECK_STR(v, "{\"url\":\"http://127.0.0.1:8080/api/collections/c1/objects/\"}");
	free(v);
	/* the daemon sees nothing before the commit */
	run = open_store(dir, STORE_RUNNING);
	if (sdrconf_load(run, &c, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(c.enabled, 0);
	CHECK_INT(c.nlocal, 0);
	sdrconf_free(&c);
	commit(st);

	if (sdrconf_load(run, &c, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(c.enabled, 1);
	CHECK_INT(c.timeout, 7);
	CHECK_INT(c.envfrom_only, 1);
	CHECK_INT(c.verify_peer, 0);
	CHECK_STR(c.exception_list, "exc");
	CHECK_STR(c.rdap_url, "http://127.0.0.1:9/rdap/");
	CHECK_INT(c.nblocklists, 1);
	CHECK_STR(c.blocklists[0].zone, "dbl.test");
	CHECK_INT(c.blocklists[0].codes.n, 2);
	sdr_codes_format(&c.blocklists[0].codes, text, sizeof(text));
	CHECK(strstr(text, "127.0.1.2:Awful/Spam") != NULL);
	CHECK_INT(c.nfeeds, 1);
	CHECK_STR(c.feeds[0].name, "feed1");
	CHECK_STR(c.feeds[0].url, "http://127.0.0.1:8080/api/collections/c1/objects/");
	/* the local table: sorted, found in any case, a trailing dot ignored */
	CHECK_INT(c.nlocal, 3);
	CHECK_STR(c.local[0].domain, "alpha.test");
	CHECK_STR(c.local[2].domain, "zeta.test");
	e = sdrconf_local_find(&c, "ZETA.test.");
	CHECK(e != NULL);
	CHECK_INT(e->verdict, SDR_POOR);
	CHECK_STR(e->category, "Spam");
	e = sdrconf_local_find(&c, "mid.test");
	CHECK(e != NULL);
	CHECK_INT(e->verdict, SDR_AWFUL);
	CHECK_STR(e->category, "");
	CHECK_INT(sdrconf_local_find(&c, "alpha.test")->verdict, SDR_GOOD);
	CHECK(sdrconf_local_find(&c, "sub.alpha.test") == NULL);
	CHECK(sdrconf_local_find(&c, "other.test") == NULL);
	sdrconf_free(&c);

	/* unchanged values stage nothing; deletes do, and report what is not there */
	local(st, "zeta.test", "Poor/Spam");
	CHECK_INT(config_pending(st), 0);
	CHECK_INT(sdrconf_local_delete(st, "Alpha.Test.", &cause), 0);
	CHECK_INT(sdrconf_local_delete(st, "alpha.test", &cause), 1);
	CHECK_INT(sdrconf_blocklist_delete(st, "dbl.test", &cause), 0);
	CHECK_INT(sdrconf_blocklist_delete(st, "dbl.test", &cause), 1);
	CHECK_INT(sdrconf_feed_delete(st, "FEED1", &cause), 0);
	CHECK_INT(sdrconf_feed_delete(st, "feed1", &cause), 1);
	commit(st);
	if (sdrconf_load(run, &c, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(c.nlocal, 2);
	CHECK_INT(c.nblocklists + c.nfeeds, 0);
	sdrconf_free(&c);
	store_close(run);
	store_close(st);
}

static void
test_values(void)
{
	static const char *const good_urls[] = { "http://127.0.0.1:8080/rdap/",
		"https://rdap.example.net", "HTTPS://[2001:db8::1]:8443/x/", NULL };
	static const char *const bad_urls[] = { "", "ftp://x.test/", "http://", "http://bad host/",
		"rdap.example.net", "http://a..b/", NULL };
	static const char *const good_feeds[] = {
		"http://127.0.0.1:8080/api/collections/abc/objects/",
		"https://taxii.example.net/root1/collections/91a7b528-80eb-42ed/objects/", NULL };
	static const char *const bad_feeds[] = { "http://127.0.0.1/api/collections/abc/",
		"http://127.0.0.1/api/collections//objects/", "http://127.0.0.1/api/objects/",
		"http://127.0.0.1/api/collections/a/b/objects/",
		"http://127.0.0.1/collections/a/objects/?x=1", NULL };
	struct sdr_local e;
	char zone[256], *cause;

	for (int i = 0; good_urls[i]; i++) {
		cause = NULL;
		if (sdrconf_url_check("rdap_url", good_urls[i], &cause) < 0)
			UNIT_FAIL("'%s' refused: %s", good_urls[i], cause);
	}
	for (int i = 0; bad_urls[i]; i++) {
		cause = NULL;
		if (sdrconf_url_check("rdap_url", bad_urls[i], &cause) == 0)
			UNIT_FAIL("'%s' accepted", bad_urls[i]);
		CHECK(strstr(cause, "Invalid rdap_url") != NULL);
		free(cause);
	}
	for (int i = 0; good_feeds[i]; i++) {
		cause = NULL;
		if (sdrconf_feed_url_check(good_feeds[i], &cause) < 0)
			UNIT_FAIL("'%s' refused: %s", good_feeds[i], cause);
	}
	for (int i = 0; bad_feeds[i]; i++) {
		cause = NULL;
		if (sdrconf_feed_url_check(bad_feeds[i], &cause) == 0)
			UNIT_FAIL("'%s' accepted", bad_feeds[i]);
		free(cause);
	}
	cause = NULL;
	CHECK_INT(sdrconf_zone_parse("DBL.Example.NET.", zone, sizeof(zone), &cause), 0);
	CHECK_STR(zone, "dbl.example.net");
	CHECK_INT(sdrconf_zone_parse("localhost", zone, sizeof(zone), &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(sdrconf_zone_parse("bad_zone.test", zone, sizeof(zone), &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(sdrconf_feed_name_valid("1feed", &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(sdrconf_local_parse("a.test", "Meh", &e, &cause), -1);
	CHECK(strstr(cause, "verdict \"Meh\"") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(sdrconf_local_parse("a,b.test", "Poor", &e, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(sdrconf_local_parse("a.test", "Poor/Sp am!", &e, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(sdrconf_local_parse("not a domain", "Poor", &e, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(sdrconf_local_parse("A.Test", "intained/Phishing", &e, &cause), 0);
	CHECK_STR(e.domain, "a.test");
	CHECK_INT(e.verdict, SDR_TAINTED);
	CHECK_STR(e.category, "Phishing");
}

static void
test_damaged(void)
{
	static const struct {
		const char *section, *key, *value, *want;
	} cases[] = {
		{ SDRCONF_BLOCKLIST_SECTION, "dbl.test", "127.0.1.2:Dreadful",
		    "blocklist dbl.test" },
		{ SDRCONF_BLOCKLIST_SECTION, "bad zone", "127.0.1.2:Awful", "blocklist bad zone" },
		{ SDRCONF_LOCAL_SECTION, "a.test", "Meh", "entry for a.test" },
		{ SDRCONF_FEED_SECTION, "f", "{\"url\":\"ftp://x/\"}", "feed f" },
		{ SDRCONF_FEED_SECTION, "f", "not json", "feed f" },
		{ SETTINGS_SECTION, "sdr.timeout", "99", "sdr.timeout" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store *st = open_store(unit_tmpdir(), STORE_SESSION);
		struct sdr_conf c;
		char *cause = NULL;

		/* written past the checks, as a damaged or hand-edited store would hold it */
		if (config_set(st, cases[i].section, cases[i].key, cases[i].value, &cause) < 0) {
			/* the store refuses a bad setting itself: nothing to load then */
			free(cause);
			store_close(st);
			continue;
		}
		CHECK_INT(sdrconf_load(st, &c, &cause), -1);
		if (cause == NULL || strstr(cause, cases[i].want) == NULL)
			UNIT_FAIL("case %zu: cause '%s', want '%s'", i, cause ? cause : "(null)",
			    cases[i].want);
		free(cause);
		store_close(st);
	}
}

static const struct unit_case cases[] = {
	{ "defaults", test_defaults },
	{ "load_after_commit", test_load_after_commit },
	{ "values", test_values },
	{ "damaged", test_damaged },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("sdrconf", cases, argc, argv);
}
