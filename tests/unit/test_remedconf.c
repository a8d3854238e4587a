/*
 * test_remedconf.c - the remediation profiles (mail/remedconf.c): staged,
 * committed and loaded back by the daemon's handle with the passwords
 * opened (and sealed at rest), remedconf_for by domain in any case, the
 * per-mailbox passwords, the checks of every field, a domain served by
 * two profiles refused, delete taking the passwords along, and damaged
 * stored profiles failing the load with a cause naming them.
 */
#include "mail/remedconf.h"
#include "store/config.h"
#include "store/secret.h"
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

/* imap_profile - a valid IMAP master-user profile serving the given domains */
static void
imap_profile(struct remed_profile *p, const char *name, char (*doms)[256], int n)
{
	memset(p, 0, sizeof(*p));
	str_copy(p->name, name, sizeof(p->name));
	p->backend = REMED_IMAP;
	str_copy(p->server, "imaps://127.0.0.1:9993", sizeof(p->server));
	p->auth = REMED_AUTH_MASTER;
	str_copy(p->user, "mxgate", sizeof(p->user));
	p->verify = 1;
	p->ndomains = n;
	p->domains = doms;
}

static void
test_roundtrip(void)
{
	char *dir = unit_tmpdir(), *cause = NULL, *raw = NULL, *pw;
	struct store *st = open_store(dir, STORE_SESSION), *run;
	char doms[2][256] = { "example.com", "Example.ORG" };
	char gdoms[1][256] = { "corp.example" };
	struct remed_profile p, g;
	struct remed_conf c;
	const struct remed_profile *f;

	imap_profile(&p, "dovecot", doms, 2);
	p.password = "s3cret-master";
	str_copy(p.folder, "Junk", sizeof(p.folder));
	if (remedconf_profile_set(st, &p, &cause) < 0)
		UNIT_FAIL("set: %s", cause);
	memset(&g, 0, sizeof(g));
	str_copy(g.name, "m365", sizeof(g.name));
	g.backend = REMED_GRAPH;
	str_copy(g.server, "https://graph.microsoft.com/v1.0", sizeof(g.server));
	str_copy(g.user, "0f1e2d3c", sizeof(g.user));
	str_copy(g.tenant, "contoso.onmicrosoft.com", sizeof(g.tenant));
	g.password = "client-secret";
	g.ndomains = 1;
	g.domains = gdoms;
	if (remedconf_profile_set(st, &g, &cause) < 0)
		UNIT_FAIL("set graph: %s", cause);
	/* pending: another handle sees nothing yet */
	run = open_store(dir, STORE_RUNNING);
	if (remedconf_load(run, &c, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(c.nprofiles, 0);
	remedconf_free(&c);
	commit(st);
	/* unchanged: staging the same profile again is no change */
	if (remedconf_profile_set(st, &p, &cause) < 0)
		UNIT_FAIL("set again: %s", cause);
	CHECK_INT(config_pending(st), 0);
	if (remedconf_user_password_set(st, "dovecot", "Alice@Example.com", "alice-pw", &cause) < 0)
		UNIT_FAIL("user password: %s", cause);
	commit(st);

	if (remedconf_load(run, &c, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(c.nprofiles, 2);
	CHECK_STR(c.profiles[0].name, "dovecot");	/* ordered by name */
	CHECK_STR(c.profiles[0].password, "s3cret-master");
	CHECK_STR(c.profiles[0].folder, "Junk");
	CHECK_STR(c.profiles[0].domains[1], "example.org");	/* lower case */
	CHECK_INT(c.profiles[0].auth, REMED_AUTH_MASTER);
	CHECK_INT(c.profiles[1].backend, REMED_GRAPH);
	CHECK_STR(c.profiles[1].password, "client-secret");
	CHECK_STR(c.profiles[1].tenant, "contoso.onmicrosoft.com");
	f = remedconf_for(&c, "bob@EXAMPLE.org");
	CHECK(f != NULL && strcmp(f->name, "dovecot") == 0);
	f = remedconf_for(&c, "carol@corp.example");
	CHECK(f != NULL && strcmp(f->name, "m365") == 0);
	CHECK(remedconf_for(&c, "dave@other.example") == NULL);
	CHECK(remedconf_for(&c, "no-at-sign") == NULL);
	CHECK(remedconf_for(&c, "x@sub.example.com") == NULL);	/* exact domains */
	pw = remedconf_user_password(run, &c.profiles[0], "alice@example.com", &cause);
	CHECK(pw != NULL && strcmp(pw, "alice-pw") == 0);
	secret_drop(pw);
	pw = remedconf_user_password(run, &c.profiles[0], "bob@example.com", &cause);
	CHECK(pw == NULL && cause != NULL && strstr(cause, "bob@example.com") != NULL);
	free(cause);
	cause = NULL;
	remedconf_free(&c);

	/* sealed at rest: the stored form is not the clear password */
	if (secret_seal(st, REMEDCONF_SECRET_SECTION, "x", "y", &raw, &cause) < 0)
		UNIT_FAIL("seal: %s", cause);
	CHECK(strncmp(raw, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0);
	free(raw);
	CHECK(secret_item(REMEDCONF_SECRET_SECTION, "dovecot/alice@example.com"));
	CHECK(!secret_item(REMEDCONF_PROFILE_SECTION, "dovecot"));

	/* delete takes the passwords along */
	CHECK_INT(remedconf_profile_delete(st, "dovecot", &cause), 0);
	CHECK_INT(remedconf_profile_delete(st, "nosuch", &cause), 1);
	commit(st);
	if (config_get(run, REMEDCONF_SECRET_SECTION, "dovecot", &raw, &cause) < 0)
		UNIT_FAIL("get: %s", cause);
	CHECK(raw == NULL);
	if (config_get(run, REMEDCONF_SECRET_SECTION, "dovecot/alice@example.com", &raw,
	    &cause) < 0)
		UNIT_FAIL("get: %s", cause);
	CHECK(raw == NULL);
	if (remedconf_load(run, &c, &cause) < 0)
		UNIT_FAIL("load: %s", cause);
	CHECK_INT(c.nprofiles, 1);
	remedconf_free(&c);
	store_close(run);
	store_close(st);
}

static void
test_checks(void)
{
	struct store *st = open_store(unit_tmpdir(), STORE_SESSION);
	char doms[2][256] = { "example.com", "example.org" };
	char bad[1][256] = { "not a domain" };
	char one[1][256] = { "example.org" };
	char dup[2][256] = { "a.example", "A.example" };
	struct remed_profile p;
	char *cause = NULL;
	static const struct {
		int field;
		const char *value;
		const char *want;
	} cases[] = {
		{ 0, "1abc", "Invalid profile name" },
		{ 0, "a b", "Invalid profile name" },
		{ 1, "https://127.0.0.1", "imaps://HOST" },
		{ 1, "imaps://", "imaps://HOST" },
		{ 1, "imaps://host:99999", "imaps://HOST" },
		{ 1, "imaps://host/INBOX", "imaps://HOST" },
		{ 2, "", "master user" },
		{ 3, "Ju\nnk", "Invalid folder" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		imap_profile(&p, "ok", doms, 2);
		if (cases[i].field == 0)
			str_copy(p.name, cases[i].value, sizeof(p.name));
		else if (cases[i].field == 1)
			str_copy(p.server, cases[i].value, sizeof(p.server));
		else if (cases[i].field == 2)
			str_copy(p.user, cases[i].value, sizeof(p.user));
		else
			str_copy(p.folder, cases[i].value, sizeof(p.folder));
		CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
		if (cause == NULL || strstr(cause, cases[i].want) == NULL)
			UNIT_FAIL("case %zu: cause '%s', want '%s'", i, cause ? cause : "(null)",
			    cases[i].want);
		free(cause);
		cause = NULL;
	}
	imap_profile(&p, "ok", bad, 1);
	CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
	CHECK(cause && strstr(cause, "Invalid domain 'not a domain'"));
	free(cause);
	imap_profile(&p, "ok", dup, 2);
	CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
	CHECK(cause && strstr(cause, "twice"));
	free(cause);
	imap_profile(&p, "ok", doms, 0);
	CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
	CHECK(cause && strstr(cause, "1 to 64 domains"));
	free(cause);
	/* imap:// (STARTTLS) and auth user without a master user are fine */
	imap_profile(&p, "ok", doms, 2);
	str_copy(p.server, "imap://[::1]:143", sizeof(p.server));
	p.auth = REMED_AUTH_USER;
	p.user[0] = '\0';
	if (remedconf_profile_set(st, &p, &cause) < 0)
		UNIT_FAIL("imap user: %s", cause);
	/* one domain, one profile */
	imap_profile(&p, "other", one, 1);
	CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
	CHECK(cause && strstr(cause, "example.org is already served by profile ok"));
	free(cause);
	cause = NULL;
	/* graph needs a client id and a tenant or token URL, https only */
	memset(&p, 0, sizeof(p));
	str_copy(p.name, "g", sizeof(p.name));
	p.backend = REMED_GRAPH;
	str_copy(p.server, "https://graph.example/v1.0", sizeof(p.server));
	p.ndomains = 1;
	p.domains = bad;
	str_copy(p.domains[0], "g.example", sizeof(p.domains[0]));
	CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
	CHECK(cause && strstr(cause, "client id"));
	free(cause);
	str_copy(p.user, "client", sizeof(p.user));
	CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
	CHECK(cause && strstr(cause, "tenant=ID or token_url=URL"));
	free(cause);
	str_copy(p.token_url, "http://127.0.0.1/token", sizeof(p.token_url));
	CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
	CHECK(cause && strstr(cause, "Invalid token_url"));
	free(cause);
	str_copy(p.token_url, "https://127.0.0.1:8443/token", sizeof(p.token_url));
	str_copy(p.server, "http://graph.example/", sizeof(p.server));
	CHECK_INT(remedconf_profile_set(st, &p, &cause), -1);
	CHECK(cause && strstr(cause, "https:// URL"));
	free(cause);
	cause = NULL;
	str_copy(p.server, "https://127.0.0.1:8443/v1.0", sizeof(p.server));
	if (remedconf_profile_set(st, &p, &cause) < 0)
		UNIT_FAIL("graph: %s", cause);
	/* a user password needs a profile and a mailbox */
	CHECK_INT(remedconf_user_password_set(st, "nosuch", "a@example.com", "x", &cause), -1);
	CHECK(cause && strstr(cause, "no remediation profile nosuch"));
	free(cause);
	CHECK_INT(remedconf_user_password_set(st, "ok", "not-an-address", "x", &cause), -1);
	CHECK(cause && strstr(cause, "Invalid mailbox"));
	free(cause);
	store_close(st);
}

static void
test_damaged(void)
{
	static const struct {
		const char *key, *value, *want;
	} cases[] = {
		{ "p", "not json", "profile p is damaged" },
		{ "p", "[]", "profile p is damaged" },
		{ "p", "{\"backend\":\"imap\",\"server\":\"imaps://h\",\"auth\":\"master\","
		       "\"user\":\"u\",\"domains\":\"a.example\"}", "profile p is damaged" },
		{ "p", "{\"backend\":\"pop\",\"server\":\"imaps://h\",\"domains\":[\"a.example\"]}",
		    "no valid backend" },
		{ "p", "{\"backend\":\"imap\",\"server\":\"imaps://h\",\"auth\":\"master\","
		       "\"user\":7,\"domains\":[\"a.example\"]}", "profile p is damaged" },
		{ "p", "{\"backend\":\"imap\",\"server\":\"imaps://h\",\"auth\":\"master\","
		       "\"user\":\"u\",\"domains\":[\"a.example\"],\"verify\":\"yes\"}",
		    "profile p is damaged" },
		{ "p", "{\"backend\":\"imap\",\"server\":\"imaps://h\",\"domains\":[\"a.example\"]}",
		    "no valid auth" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store *st = open_store(unit_tmpdir(), STORE_SESSION);
		struct remed_conf c;
		char *cause = NULL;

		/* written past the checks, as a damaged or hand-edited store would hold it */
		if (config_set(st, REMEDCONF_PROFILE_SECTION, cases[i].key, cases[i].value,
		    &cause) < 0)
			UNIT_FAIL("config_set: %s", cause);
		CHECK_INT(remedconf_load(st, &c, &cause), -1);
		if (cause == NULL || strstr(cause, cases[i].want) == NULL)
			UNIT_FAIL("case %zu: cause '%s', want '%s'", i, cause ? cause : "(null)",
			    cases[i].want);
		free(cause);
		store_close(st);
	}
}

static const struct unit_case cases[] = {
	{ "roundtrip", test_roundtrip },
	{ "checks", test_checks },
	{ "damaged", test_damaged },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("remedconf", cases, argc, argv);
}
