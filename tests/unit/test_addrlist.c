/*
 * test_addrlist.c - address lists (mail/addrlist.c): entry syntax and
 * normalisation, domain matching with AsyncOS's @domain / @.domain
 * rules, address matching, IPv4 and IPv6 address and CIDR matching, list
 * names, and the stored form (save, load after commit, unchanged saves,
 * case-insensitive names, delete, damaged items, what uses a list).
 */
#include "mail/addrlist.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* ---------------------------------------------------------- helpers */

/* mklist - a list from "e1,e2,..." (each parsed; the test fails on a bad one) */
static struct addrlist
mklist(const char *text)
{
	struct addrlist l;
	char **v = str_split(text, ',', NULL), out[ADDRLIST_ENTRY_MAX + 1];

	memset(&l, 0, sizeof(l));
	str_copy(l.name, "t", sizeof(l.name));
	l.description = str_dup("");
	for (int i = 0; v[i]; i++) {
		if (addrlist_entry_parse(v[i], out, sizeof(out), NULL) < 0)
			UNIT_FAIL("bad entry in test data: %s", v[i]);
		l.entries = xrealloc(l.entries, sizeof(char *) * (size_t)(l.n + 1));
		l.entries[l.n++] = str_dup(out);
	}
	str_split_free(v);
	return l;
}

/* open_session - a session store on dir */
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

/* ---------------------------------------------------------- entries */

static void
test_entry_parse(void)
{
	static const struct {
		const char *in, *out;	/* out NULL: refused */
	} cases[] = {
		{ "@Example.COM", "@example.com" },
		{ " @.Sub.Example.com ", "@.sub.example.com" },
		{ "User@Example.com", "user@example.com" },
		{ "postmaster@", "postmaster@" },
		{ "example.com", "@example.com" },
		{ ".example.com", "@.example.com" },
		{ "example.com.", "@example.com" },
		{ "192.0.2.1", "192.0.2.1" },
		{ "10.1.2.3/8", "10.0.0.0/8" },
		{ "192.0.2.129/25", "192.0.2.128/25" },
		{ "10.0.0.0/0", "0.0.0.0/0" },
		{ "2001:DB8:0:0::1", "2001:db8::1" },
		{ "2001:db8:ab::1/32", "2001:db8::/32" },
		{ "::ffff:10.0.0.1", "::ffff:10.0.0.1" },
		{ "", NULL },
		{ "@", NULL },
		{ "@.", NULL },
		{ "a@b@c.test", NULL },
		{ "@bad_host!", NULL },
		{ "10.0.0.256", NULL },
		{ "10.0.0.1/33", NULL },
		{ "10.0.0.1/", NULL },
		{ "10.0.0.1/-1", NULL },
		{ "2001:db8::/129", NULL },
		{ "1.2.3", NULL },
		{ "exa mple.com", NULL },
	};
	char out[ADDRLIST_ENTRY_MAX + 1], *cause;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cause = NULL;
		int r = addrlist_entry_parse(cases[i].in, out, sizeof(out), &cause);

		if (cases[i].out == NULL) {
			if (r == 0)
				UNIT_FAIL("'%s' accepted as '%s'", cases[i].in, out);
			if (cause == NULL || strstr(cause, "Invalid entry") == NULL)
				UNIT_FAIL("'%s': cause '%s'", cases[i].in,
				    cause ? cause : "(null)");
		} else {
			if (r < 0)
				UNIT_FAIL("'%s' refused: %s", cases[i].in, cause);
			CHECK_STR(out, cases[i].out);
		}
		free(cause);
	}
	CHECK_INT(addrlist_entry_kind("@a.test"), ADDRLIST_DOMAIN);
	CHECK_INT(addrlist_entry_kind("@.a.test"), ADDRLIST_DOMAIN);
	CHECK_INT(addrlist_entry_kind("u@a.test"), ADDRLIST_ADDRESS);
	CHECK_INT(addrlist_entry_kind("u@"), ADDRLIST_ADDRESS);
	CHECK_INT(addrlist_entry_kind("10.0.0.0/8"), ADDRLIST_IP);
}

/* ---------------------------------------------------------- matching */

static void
test_match_domain(void)
{
	struct addrlist l = mklist("@a.test,@.b.test,user@c.test,10.0.0.0/8");

	/* @a.test: that domain exactly, any case, a trailing dot ignored */
	CHECK_INT(addrlist_match_domain(&l, "a.test"), 1);
	CHECK_INT(addrlist_match_domain(&l, "A.TEST"), 1);
	CHECK_INT(addrlist_match_domain(&l, "a.test."), 1);
	CHECK_INT(addrlist_match_domain(&l, "x.a.test"), 0);
	CHECK_INT(addrlist_match_domain(&l, "aa.test"), 0);
	/* @.b.test: strict subdomains only */
	CHECK_INT(addrlist_match_domain(&l, "b.test"), 0);
	CHECK_INT(addrlist_match_domain(&l, "x.b.test"), 1);
	CHECK_INT(addrlist_match_domain(&l, "y.X.B.Test"), 1);
	CHECK_INT(addrlist_match_domain(&l, "xb.test"), 0);
	CHECK_INT(addrlist_match_domain(&l, ".b.test"), 0);
	/* address and IP entries never match a domain */
	CHECK_INT(addrlist_match_domain(&l, "c.test"), 0);
	CHECK_INT(addrlist_match_domain(&l, "10.1.2.3"), 0);
	CHECK_INT(addrlist_match_domain(&l, ""), 0);
	CHECK_INT(addrlist_match_domain(&l, NULL), 0);
	CHECK_INT(addrlist_match_domain(NULL, "a.test"), 0);
	addrlist_clear(&l);
}

static void
test_match_addr(void)
{
	struct addrlist l = mklist("user@c.test,postmaster@,@a.test,@.b.test,10.0.0.0/8");

	CHECK_INT(addrlist_match_addr(&l, "user@c.test"), 1);
	CHECK_INT(addrlist_match_addr(&l, "USER@C.Test"), 1);
	CHECK_INT(addrlist_match_addr(&l, "other@c.test"), 0);
	CHECK_INT(addrlist_match_addr(&l, "postmaster@anywhere.test"), 1);
	CHECK_INT(addrlist_match_addr(&l, "anyone@a.test"), 1);
	CHECK_INT(addrlist_match_addr(&l, "anyone@x.a.test"), 0);
	CHECK_INT(addrlist_match_addr(&l, "anyone@b.test"), 0);
	CHECK_INT(addrlist_match_addr(&l, "anyone@x.b.test"), 1);
	CHECK_INT(addrlist_match_addr(&l, "10.1.2.3"), 0);
	CHECK_INT(addrlist_match_addr(&l, ""), 0);
	addrlist_clear(&l);
}

static void
test_match_ip(void)
{
	struct addrlist l = mklist("10.0.0.0/8,192.0.2.1,192.0.2.128/25,2001:db8::/32,"
				   "2001:db8:1::7,fe80::/10,@a.test");

	CHECK_INT(addrlist_match_ip(&l, "10.255.1.2"), 1);
	CHECK_INT(addrlist_match_ip(&l, "11.0.0.1"), 0);
	CHECK_INT(addrlist_match_ip(&l, "192.0.2.1"), 1);
	CHECK_INT(addrlist_match_ip(&l, "192.0.2.2"), 0);
	CHECK_INT(addrlist_match_ip(&l, "192.0.2.128"), 1);
	CHECK_INT(addrlist_match_ip(&l, "192.0.2.255"), 1);
	CHECK_INT(addrlist_match_ip(&l, "192.0.2.127"), 0);
	/* IPv6: prefixes on and off byte boundaries, any spelling */
	CHECK_INT(addrlist_match_ip(&l, "2001:DB8:FFFF::1"), 1);
	CHECK_INT(addrlist_match_ip(&l, "2001:0db8:0000:0000:0000:0000:0000:0009"), 1);
	CHECK_INT(addrlist_match_ip(&l, "2001:db9::1"), 0);
	CHECK_INT(addrlist_match_ip(&l, "febf::1"), 1);
	CHECK_INT(addrlist_match_ip(&l, "fec0::1"), 0);
	/* an IPv4 client on a dual-stack socket */
	CHECK_INT(addrlist_match_ip(&l, "::ffff:10.9.9.9"), 1);
	CHECK_INT(addrlist_match_ip(&l, "::ffff:11.9.9.9"), 0);
	/* families never mix otherwise; junk matches nothing */
	CHECK_INT(addrlist_match_ip(&l, "::a00:1"), 0);
	CHECK_INT(addrlist_match_ip(&l, "10.0.0.0/8"), 0);
	CHECK_INT(addrlist_match_ip(&l, "a.test"), 0);
	CHECK_INT(addrlist_match_ip(&l, ""), 0);
	addrlist_clear(&l);

	/* /0 matches its whole family, and only it */
	l = mklist("0.0.0.0/0");
	CHECK_INT(addrlist_match_ip(&l, "203.0.113.9"), 1);
	CHECK_INT(addrlist_match_ip(&l, "2001:db8::1"), 0);
	addrlist_clear(&l);
	l = mklist("::/0");
	CHECK_INT(addrlist_match_ip(&l, "2001:db8::1"), 1);
	CHECK_INT(addrlist_match_ip(&l, "203.0.113.9"), 0);
	addrlist_clear(&l);
}

static void
test_names(void)
{
	static const char *const good[] = { "a", "Exc_1", "b.c-d", NULL };
	static const char *const bad[] = { "", "1abc", "_x", "-x", "a b", "a/b", "é", NULL };
	char *cause, longname[80];

	for (int i = 0; good[i]; i++) {
		cause = NULL;
		if (addrlist_name_valid(good[i], &cause) < 0)
			UNIT_FAIL("'%s' refused: %s", good[i], cause);
	}
	for (int i = 0; bad[i]; i++) {
		cause = NULL;
		if (addrlist_name_valid(bad[i], &cause) == 0)
			UNIT_FAIL("'%s' accepted", bad[i]);
		free(cause);
	}
	memset(longname, 'a', 63);
	longname[63] = '\0';
	cause = NULL;
	CHECK_INT(addrlist_name_valid(longname, &cause), 0);
	longname[63] = 'a';
	longname[64] = '\0';
	CHECK_INT(addrlist_name_valid(longname, &cause), -1);
	free(cause);
}

/* ---------------------------------------------------------- storage */

static void
test_store(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *v = NULL;
	struct store *st = open_store(dir, STORE_SESSION), *run;
	struct addrlist_table t;
	struct addrlist a = mklist("@a.test,@.b.test"), m = mklist("user@c.test,10.0.0.0/8");
	const struct addrlist *f;

	str_copy(a.name, "Exceptions", sizeof(a.name));
	free(a.description);
	a.description = str_dup("trusted partners");
	str_copy(m.name, "mixed", sizeof(m.name));
	if (addrlist_save(st, &a, &cause) < 0 || addrlist_save(st, &m, &cause) < 0)
		UNIT_FAIL("save: %s", cause);
	CHECK_INT(config_pending(st), 2);
	/* the stored form api.md gives */
	if (config_get(st, ADDRLIST_SECTION, "Exceptions", &v, &cause) < 0 || v == NULL)
		UNIT_FAIL("config_get: %s", cause ? cause : "absent");
	CHECK_STR(v, "{\"description\":\"trusted partners\",\"domains_only\":true,"
		     "\"entries\":[\"@a.test\",\"@.b.test\"]}");
	free(v);
	commit(st);

	/* the daemon's view after the commit */
	run = open_store(dir, STORE_RUNNING);
	if (addrlist_load(run, &t, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(t.n, 2);
	f = addrlist_find(&t, "EXCEPTIONS");
	CHECK(f != NULL);
	CHECK_STR(f->name, "Exceptions");
	CHECK_STR(f->description, "trusted partners");
	CHECK_INT(f->domains_only, 1);
	CHECK_INT(f->n, 2);
	CHECK_INT(addrlist_match_domain(f, "x.b.test"), 1);
	f = addrlist_find(&t, "mixed");
	CHECK(f != NULL);
	CHECK_INT(f->domains_only, 0);
	CHECK(addrlist_find(&t, "nope") == NULL);
	addrlist_table_free(&t);
	store_close(run);

	/* saving the same list again stages nothing; another case of the name edits it */
	if (addrlist_save(st, &a, &cause) < 0)
		UNIT_FAIL("save: %s", cause);
	CHECK_INT(config_pending(st), 0);
	str_copy(a.name, "exceptions", sizeof(a.name));
	free(a.entries[1]);
	a.entries[1] = str_dup("10.0.0.1");
	if (addrlist_save(st, &a, &cause) < 0)
		UNIT_FAIL("save: %s", cause);
	CHECK_INT(config_pending(st), 1);
	if (addrlist_load(st, &t, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(t.n, 2);
	f = addrlist_find(&t, "Exceptions");
	CHECK_STR(f->name, "Exceptions");
	CHECK_INT(f->domains_only, 0);
	addrlist_table_free(&t);

	/* delete, any case; a missing list says so */
	CHECK_INT(addrlist_delete(st, "MIXED", &cause), 0);
	CHECK_INT(addrlist_delete(st, "mixed", &cause), 1);
	if (addrlist_load(st, &t, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(t.n, 1);
	addrlist_table_free(&t);

	/* a bad name is refused before anything is staged */
	str_copy(m.name, "1bad", sizeof(m.name));
	CHECK_INT(addrlist_save(st, &m, &cause), -1);
	free(cause);
	addrlist_clear(&a);
	addrlist_clear(&m);
	store_close(st);
}

static void
test_damaged(void)
{
	char *dir = unit_tmpdir(), *cause = NULL;
	struct store *st = open_store(dir, STORE_SESSION);
	struct addrlist_table t;

	if (config_set(st, ADDRLIST_SECTION, "bad", "{\"entries\":[\"@a.test\",\"not an entry\"]}",
	    &cause) < 0)
		UNIT_FAIL("config_set: %s", cause);
	CHECK_INT(addrlist_load(st, &t, &cause), -1);
	CHECK(cause && strstr(cause, "address list bad is damaged"));
	free(cause);
	cause = NULL;
	if (config_set(st, ADDRLIST_SECTION, "bad", "[1,2]", &cause) < 0)
		UNIT_FAIL("config_set: %s", cause);
	CHECK_INT(addrlist_load(st, &t, &cause), -1);
	free(cause);
	cause = NULL;
	/* the stored flag is not trusted: domains_only comes from the entries */
	if (config_set(st, ADDRLIST_SECTION, "bad",
	    "{\"domains_only\":true,\"entries\":[\"User@A.test\"]}", &cause) < 0)
		UNIT_FAIL("config_set: %s", cause);
	if (addrlist_load(st, &t, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(t.l[0].domains_only, 0);
	CHECK_STR(t.l[0].entries[0], "user@a.test");
	CHECK_STR(t.l[0].description, "");
	addrlist_table_free(&t);
	store_close(st);
}

static void
test_users(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *who = NULL;
	struct store *st = open_store(dir, STORE_SESSION);

	if (config_set(st, "filter", "f1",
		"{\"text\":\"f1: if sdr-reputation(['awful'], \\\"Exc\\\") { drop(); }\","
		"\"active\":true}", &cause) < 0 ||
	    config_set(st, "filter", "f2",
		"{\"text\":\"f2: if sdr-unscannable(\\\"other\\\") { drop(); }\"}", &cause) < 0 ||
	    config_set(st, "contentfilter", "c1",
		"{\"text\":\"c1: if sdr-age('days', <, 5, 'exc') { quarantine('Policy'); }\"}",
		&cause) < 0 ||
	    settings_set(st, "sdr.exception_list", "EXC", &cause) < 0)
		UNIT_FAIL("setup: %s", cause);
	if (addrlist_users(st, "exc", &who, &cause) < 0)
		UNIT_FAIL("users: %s", cause);
	CHECK_STR(who, "message filter f1, content filter c1, the SDR exception list "
		       "(sdr.exception_list)");
	free(who);
	if (addrlist_users(st, "unused", &who, &cause) < 0)
		UNIT_FAIL("users: %s", cause);
	CHECK_STR(who, "");
	free(who);
	store_close(st);
}

static const struct unit_case cases[] = {
	{ "entry_parse", test_entry_parse },
	{ "match_domain", test_match_domain },
	{ "match_addr", test_match_addr },
	{ "match_ip", test_match_ip },
	{ "names", test_names },
	{ "store", test_store },
	{ "damaged", test_damaged },
	{ "users", test_users },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("addrlist", cases, argc, argv);
}
