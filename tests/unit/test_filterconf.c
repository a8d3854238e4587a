/*
 * test_filterconf.c - message filters, content filters and quarantines as
 * the configuration stores them (mail/filterconf.c): validity (parses,
 * names an address list and a quarantine that exist, the list domain-only;
 * Policy built in; valid again when the missing thing appears), order of message
 * filters (the order item, then any it forgot), content filters by name,
 * saving only what differs, a stored value that does not decode kept as
 * invalid rather than lost, who names a quarantine, and the quarantine
 * settings (Policy always there with its defaults, no item until changed,
 * never deleted).
 */
#include "mail/filterconf.h"
#include "store/config.h"
#include "tests/unit/unit.h"
#include "util/str.h"

/* ---------------------------------------------------------- helpers */

/* open_store - a session on a fresh data directory */
static struct store *
open_store(void)
{
	struct store *st = NULL;
	char *cause = NULL;

	if (store_open(unit_tmpdir(), STORE_SESSION, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	return st;
}

/* set - config_set or fail */
static void
set(struct store *st, const char *section, const char *key, const char *value)
{
	char *cause = NULL;

	if (config_set(st, section, key, value, &cause) < 0)
		UNIT_FAIL("config_set %s %s: %s", section, key, cause);
}

/* del - config_delete or fail */
static void
del(struct store *st, const char *section, const char *key)
{
	char *cause = NULL;

	if (config_delete(st, section, key, &cause) < 0)
		UNIT_FAIL("config_delete %s %s: %s", section, key, cause);
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

/* load - filterconf_load or fail */
static void
load(struct store *st, const char *section, struct filter_set *s)
{
	char *cause = NULL;

	if (filterconf_load(st, section, s, &cause) < 0)
		UNIT_FAIL("filterconf_load %s: %s", section, cause);
}

/* add - filterconf_add of one filter's text (name = the text's) or fail */
static void
add(struct store *st, struct filter_set *s, const char *name, const char *text, int active)
{
	char *cause = NULL;

	if (filterconf_add(st, s, name, text, NULL, active, &cause) < 0)
		UNIT_FAIL("filterconf_add %s: %s", name, cause);
}

/* save - filterconf_save or fail */
static void
save(struct store *st, const char *section, const struct filter_set *s)
{
	char *cause = NULL;

	if (filterconf_save(st, section, s, &cause) < 0)
		UNIT_FAIL("filterconf_save: %s", cause);
}

/* names - "name:active:valid,..." of a set (static buffer) */
static const char *
names(const struct filter_set *s)
{
	static char out[1024];
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < s->n; i++) {
		str_fmt(out + len, sizeof(out) - len, "%s%s:%d:%d", i ? "," : "", s->e[i].name,
		    s->e[i].active, s->e[i].valid);
		len = strlen(out);
	}
	return out;
}

static const char F_LIST[] = "young: if sdr-age(\"days\", <, 5, \"except\") { drop(); }";
static const char F_QUAR[] = "spam: if subject == \"x\" { quarantine(\"Spam\"); }";
static const char F_POLICY[] = "hold: if true { quarantine(\"policy\"); }";
static const char F_PLAIN[] = "tag: if true { insert-header('X-A', 'b'); }";

/* ---------------------------------------------------------- cases */

/* test_validity - missing list, missing quarantine, Policy built in, found again */
static void
test_validity(void)
{
	struct store *st = open_store();
	struct filter_set s = { 0, NULL };
	const struct filter_entry *e;

	add(st, &s, "young", F_LIST, 1);
	add(st, &s, "spam", F_QUAR, 1);
	add(st, &s, "hold", F_POLICY, 1);
	add(st, &s, "tag", F_PLAIN, 0);
	CHECK_STR(names(&s), "young:1:0,spam:1:0,hold:1:1,tag:0:1");
	CHECK_STR(s.e[0].why, "address list \"except\" does not exist");
	CHECK_STR(s.e[1].why, "quarantine \"Spam\" does not exist");
	CHECK_STR(s.e[2].why, "");
	CHECK(s.e[0].f != NULL);
	save(st, FILTER_SECTION, &s);
	filterconf_free(&s);

	/* kept invalid across a load */
	load(st, FILTER_SECTION, &s);
	CHECK_STR(names(&s), "young:1:0,spam:1:0,hold:1:1,tag:0:1");
	filterconf_free(&s);

	/* what was missing appears (any case): valid at the next load */
	set(st, "addresslist", "EXCEPT", "{\"description\":\"\",\"entries\":[\"@a.test\"]}");
	set(st, QUARANTINE_SECTION, "spam", "{\"size_mb\":10}");
	load(st, FILTER_SECTION, &s);
	CHECK_STR(names(&s), "young:1:1,spam:1:1,hold:1:1,tag:0:1");
	e = filterconf_find(&s, "SPAM");
	CHECK(e != NULL && strcmp(e->name, "spam") == 0);
	CHECK(filterconf_find(&s, "nothing") == NULL);
	filterconf_free(&s);

	/* and gone again: invalid, never lost */
	del(st, "addresslist", "EXCEPT");
	load(st, FILTER_SECTION, &s);
	CHECK_STR(names(&s), "young:1:0,spam:1:1,hold:1:1,tag:0:1");
	filterconf_free(&s);
	store_close(st);
}

/*
 * test_domains_only - the list of an sdr-* rule is an SDR exception list:
 * one that exists but holds more than domains makes the filter invalid
 * (as a missing one does), and it is valid again when the list is
 * domain-only again; a content filter the same; a damaged list says so
 */
static void
test_domains_only(void)
{
	struct store *st = open_store();
	struct filter_set s = { 0, NULL };
	char why[200], *cause = NULL;

	/* the stored flag is not trusted: the entries decide */
	set(st, "addresslist", "except",
	    "{\"description\":\"\",\"domains_only\":true,\"entries\":[\"user@a.test\",\"@b.test\"]}");
	add(st, &s, "young", F_LIST, 1);
	add(st, &s, "tag", F_PLAIN, 1);
	CHECK_STR(names(&s), "young:1:0,tag:1:1");
	CHECK_STR(s.e[0].why,
	    "address list \"except\" is not domain-only: an SDR exception list holds only domains");
	CHECK(s.e[0].f != NULL);
	save(st, FILTER_SECTION, &s);
	filterconf_free(&s);
	load(st, FILTER_SECTION, &s);
	CHECK_STR(names(&s), "young:1:0,tag:1:1");
	CHECK(strstr(s.e[0].why, "not domain-only") != NULL);

	/* filterconf_check says the same of the parsed filter */
	CHECK_INT(filterconf_check(st, s.e[0].f, why, sizeof(why), &cause), 1);
	CHECK(strstr(why, "\"except\" is not domain-only") != NULL);
	filterconf_free(&s);

	/* an IP entry is no domain either */
	set(st, "addresslist", "except", "{\"entries\":[\"@a.test\",\"10.0.0.0/8\"]}");
	load(st, FILTER_SECTION, &s);
	CHECK_STR(names(&s), "young:1:0,tag:1:1");
	filterconf_free(&s);

	/* domains only again: valid at the next load, nothing lost */
	set(st, "addresslist", "except", "{\"entries\":[\"@a.test\",\"@.b.test\"]}");
	load(st, FILTER_SECTION, &s);
	CHECK_STR(names(&s), "young:1:1,tag:1:1");
	CHECK_STR(s.e[0].why, "");
	filterconf_free(&s);

	/* content filters follow the same rule */
	set(st, CFILTER_SECTION, "cf",
	    "{\"text\":\"cf: if sdr-unscannable(\\\"EXCEPT\\\") { drop(); }\",\"description\":\"\"}");
	load(st, CFILTER_SECTION, &s);
	CHECK_STR(names(&s), "cf:1:1");
	filterconf_free(&s);
	set(st, "addresslist", "except", "{\"entries\":[\"postmaster@\"]}");
	load(st, CFILTER_SECTION, &s);
	CHECK_STR(names(&s), "cf:1:0");
	CHECK_STR(s.e[0].why,
	    "address list \"EXCEPT\" is not domain-only: an SDR exception list holds only domains");
	filterconf_free(&s);

	/* a damaged list: invalid, and said so */
	set(st, "addresslist", "except", "{\"entries\":[\"not an entry\"]}");
	load(st, CFILTER_SECTION, &s);
	CHECK_STR(names(&s), "cf:1:0");
	CHECK_STR(s.e[0].why, "address list \"EXCEPT\" is damaged");
	filterconf_free(&s);
	store_close(st);
}

/* test_bad_text - a stored text that is not one parsable filter of its name is kept, invalid */
static void
test_bad_text(void)
{
	struct store *st = open_store();
	struct filter_set s;

	set(st, FILTER_SECTION, "broken", "{\"text\":\"broken: if (\",\"active\":true}");
	set(st, FILTER_SECTION, "other", "{\"text\":\"renamed: if true { drop(); }\"}");
	set(st, FILTER_SECTION, "two",
	    "{\"text\":\"two: if true { drop(); } three: if true { drop(); }\"}");
	set(st, FILTER_SECTION, "notjson", "garbage");
	set(st, FILTER_ORDER_SECTION, "order", "two,broken");
	load(st, FILTER_SECTION, &s);
	/* the ordered ones first, then the rest by key */
	CHECK_STR(names(&s), "two:1:0,broken:1:0,notjson:1:0,other:1:0");
	CHECK(strstr(s.e[0].why, "2 filters") != NULL);
	CHECK(strncmp(s.e[1].why, "line 1, column ", 15) == 0);
	CHECK(s.e[1].f == NULL);
	CHECK_STR(s.e[2].text, "garbage");
	CHECK(strstr(s.e[2].why, "not a filter") != NULL);
	CHECK_STR(s.e[3].why, "its text is the filter \"renamed\"");
	filterconf_free(&s);
	store_close(st);
}

/* test_order - message filters in their order; save stages only differences */
static void
test_order(void)
{
	struct store *st = open_store();
	struct filter_set s = { 0, NULL };
	struct filter_entry t;
	char *order = NULL, *cause = NULL;

	add(st, &s, "tag", F_PLAIN, 1);
	add(st, &s, "hold", F_POLICY, 1);
	save(st, FILTER_SECTION, &s);
	CHECK_INT(config_pending(st), 3);	/* two filters and the order */
	commit(st);

	/* saving what was loaded stages nothing */
	filterconf_free(&s);
	load(st, FILTER_SECTION, &s);
	CHECK_STR(names(&s), "tag:1:1,hold:1:1");
	save(st, FILTER_SECTION, &s);
	CHECK_INT(config_pending(st), 0);

	/* move: only the order item changes */
	t = s.e[0];
	s.e[0] = s.e[1];
	s.e[1] = t;
	save(st, FILTER_SECTION, &s);
	CHECK_INT(config_pending(st), 1);
	CHECK_INT(config_get(st, FILTER_ORDER_SECTION, "order", &order, &cause), 0);
	CHECK_STR(order, "hold,tag");
	free(order);

	/* inactive: that filter's item alone */
	s.e[1].active = 0;
	save(st, FILTER_SECTION, &s);
	CHECK_INT(config_pending(st), 2);
	filterconf_free(&s);
	load(st, FILTER_SECTION, &s);
	CHECK_STR(names(&s), "hold:1:1,tag:0:1");

	/* delete all: the items and the order go */
	filterconf_remove(&s, 0);
	filterconf_remove(&s, 0);
	CHECK_INT(s.n, 0);
	save(st, FILTER_SECTION, &s);
	commit(st);
	CHECK_INT(config_get(st, FILTER_ORDER_SECTION, "order", &order, &cause), 0);
	CHECK(order == NULL);
	filterconf_free(&s);
	load(st, FILTER_SECTION, &s);
	CHECK_INT(s.n, 0);
	filterconf_free(&s);

	/* two of one name are refused, whatever the case */
	add(st, &s, "tag", F_PLAIN, 1);
	add(st, &s, "TAG", "TAG: if true { drop(); }", 1);
	CHECK_INT(filterconf_save(st, FILTER_SECTION, &s, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "two filters") != NULL);
	free(cause);
	filterconf_free(&s);
	store_close(st);
}

/* test_content - by name, with descriptions; who names a quarantine */
static void
test_content(void)
{
	struct store *st = open_store();
	struct filter_set s = { 0, NULL };
	char *who = NULL, *cause = NULL;

	CHECK_INT(filterconf_add(st, &s, "zeta", "zeta: if true { quarantine(\"Policy\"); }",
	    "last", 1, &cause), 0);
	CHECK_INT(filterconf_add(st, &s, "alpha", "alpha: if true { drop(); }", NULL, 1, &cause),
	    0);
	save(st, CFILTER_SECTION, &s);
	filterconf_free(&s);
	load(st, CFILTER_SECTION, &s);
	CHECK_STR(names(&s), "alpha:1:1,zeta:1:1");
	CHECK_STR(s.e[0].description, "");
	CHECK_STR(s.e[1].description, "last");
	filterconf_free(&s);
	/* content filters have no order item */
	{
		char *order = NULL;

		CHECK_INT(config_get(st, FILTER_ORDER_SECTION, "order", &order, &cause), 0);
		CHECK(order == NULL);
	}
	CHECK_INT(filterconf_users(st, CFILTER_SECTION, "quarantine", "POLICY", &who, &cause), 0);
	CHECK_STR(who, "zeta");
	free(who);
	CHECK_INT(filterconf_users(st, FILTER_SECTION, "quarantine", "Policy", &who, &cause), 0);
	CHECK_STR(who, "");
	free(who);
	add(st, &s, "young", F_LIST, 1);
	add(st, &s, "hold", F_POLICY, 1);
	add(st, &s, "h2", "h2: if true { duplicate-quarantine(\"Policy\"); }", 0);
	save(st, FILTER_SECTION, &s);
	filterconf_free(&s);
	CHECK_INT(filterconf_users(st, FILTER_SECTION, "quarantine", "Policy", &who, &cause), 0);
	CHECK_STR(who, "hold, h2");
	free(who);
	CHECK_INT(filterconf_users(st, FILTER_SECTION, "list", "except", &who, &cause), 0);
	CHECK_STR(who, "young");
	free(who);
	store_close(st);
}

/* test_quarantines - Policy built in; save, edit, delete; settings decoded and checked */
static void
test_quarantines(void)
{
	struct store *st = open_store();
	struct quarantine_conf *q, nq;
	char *cause = NULL, *v = NULL;
	int n;

	CHECK_INT(quarconf_load(st, &q, &n, &cause), 0);
	CHECK_INT(n, 1);
	CHECK_STR(q[0].name, QUARANTINE_POLICY);
	CHECK_INT(q[0].size_mb, QUARANTINE_SIZE_DEFAULT);
	CHECK_INT(q[0].retention_hours, QUARANTINE_RETENTION_DEFAULT);
	CHECK_INT(q[0].expire_release, 0);
	CHECK(quarconf_find(q, n, "policy") == &q[0]);
	free(q);

	/* Policy at its defaults keeps no item; edited, it does; back, none again */
	memset(&nq, 0, sizeof(nq));
	str_copy(nq.name, "policy", sizeof(nq.name));
	nq.size_mb = QUARANTINE_SIZE_DEFAULT;
	nq.retention_hours = QUARANTINE_RETENTION_DEFAULT;
	CHECK_INT(quarconf_save(st, &nq, &cause), 0);
	CHECK_INT(config_pending(st), 0);
	nq.retention_hours = 24;
	CHECK_INT(quarconf_save(st, &nq, &cause), 0);
	CHECK_INT(config_pending(st), 1);
	CHECK_INT(config_get(st, QUARANTINE_SECTION, QUARANTINE_POLICY, &v, &cause), 0);
	CHECK_STR(v, "{\"size_mb\":1024,\"retention_hours\":24,\"expire\":\"delete\"}");
	free(v);
	commit(st);
	nq.retention_hours = QUARANTINE_RETENTION_DEFAULT;
	CHECK_INT(quarconf_save(st, &nq, &cause), 0);
	CHECK_INT(config_pending(st), 1);
	commit(st);
	CHECK_INT(config_get(st, QUARANTINE_SECTION, QUARANTINE_POLICY, &v, &cause), 0);
	CHECK(v == NULL);

	/* others: Policy first, then by name */
	str_copy(nq.name, "Spam", sizeof(nq.name));
	nq.size_mb = 10;
	nq.retention_hours = 48;
	nq.expire_release = 1;
	CHECK_INT(quarconf_save(st, &nq, &cause), 0);
	str_copy(nq.name, "Bulk", sizeof(nq.name));
	CHECK_INT(quarconf_save(st, &nq, &cause), 0);
	CHECK_INT(quarconf_load(st, &q, &n, &cause), 0);
	CHECK_INT(n, 3);
	CHECK_STR(q[0].name, "Policy");
	CHECK_STR(q[1].name, "Bulk");
	CHECK_STR(q[2].name, "Spam");
	CHECK_INT(q[2].size_mb, 10);
	CHECK_INT(q[2].retention_hours, 48);
	CHECK_INT(q[2].expire_release, 1);
	free(q);

	/* the same settings again stage nothing more */
	CHECK_INT(config_pending(st), 2);
	CHECK_INT(quarconf_save(st, &nq, &cause), 0);
	CHECK_INT(config_pending(st), 2);

	/* out of range and bad names are refused */
	nq.size_mb = 0;
	CHECK_INT(quarconf_save(st, &nq, &cause), -1);
	free(cause);
	cause = NULL;
	nq.size_mb = 1;
	str_copy(nq.name, "9x", sizeof(nq.name));
	CHECK_INT(quarconf_save(st, &nq, &cause), -1);
	free(cause);
	cause = NULL;

	/* delete: any case; Policy never; an unknown one is an error */
	CHECK_INT(quarconf_delete(st, "spam", &cause), 0);
	CHECK_INT(quarconf_delete(st, "Policy", &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(quarconf_delete(st, "nothing", &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(quarconf_load(st, &q, &n, &cause), 0);
	CHECK_INT(n, 2);
	CHECK(quarconf_find(q, n, "SPAM") == NULL);
	free(q);

	/* a stored value out of range is an error, not a silent default */
	set(st, QUARANTINE_SECTION, "Odd", "{\"size_mb\":0}");
	CHECK_INT(quarconf_load(st, &q, &n, &cause), -1);
	CHECK(cause != NULL && strstr(cause, "Odd") != NULL);
	free(cause);
	store_close(st);
}

static const struct unit_case cases[] = {
	{ "validity", test_validity },
	{ "domains_only", test_domains_only },
	{ "bad_text", test_bad_text },
	{ "order", test_order },
	{ "content", test_content },
	{ "quarantines", test_quarantines },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("filterconf", cases, argc, argv);
}
