/*
 * test_policy.c - mail policies (mail/policy.c): member syntax and
 * normalisation, member matching, first-match order with DEFAULT as the
 * fallback, and the stored form (load, save of only what differs, commit,
 * rename, move, sessions that do not see each other's candidate).
 */
#include "mail/policy.h"
#include "store/config.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* ---------------------------------------------------------- helpers */

/* table - an empty table of one direction: only DEFAULT */
static void
table(struct policy_table *t, enum policy_dir dir)
{
	memset(t, 0, sizeof(*t));
	t->dir = dir;
	t->n = 1;
	t->p = xcalloc(1, sizeof(struct policy));
	str_copy(t->p[0].name, POLICY_DEFAULT, sizeof(t->p[0].name));
}

/* list - "a,b" into normalised members; the test fails on a bad member */
static char **
list(const char *text, int *n)
{
	char **v = str_split(text, ',', n), **out;
	char m[400];

	if (*text == '\0')
		*n = 0;
	out = xcalloc((size_t)*n + 1, sizeof(char *));
	for (int i = 0; i < *n; i++) {
		if (policy_member_parse(v[i], m, sizeof(m), NULL) < 0)
			UNIT_FAIL("bad member in test data: %s", v[i]);
		out[i] = str_dup(m);
	}
	str_split_free(v);
	return out;
}

/* add - a policy just above DEFAULT */
static void
add(struct policy_table *t, const char *name, const char *rcpts, const char *senders)
{
	struct policy p;

	memset(&p, 0, sizeof(p));
	str_copy(p.name, name, sizeof(p.name));
	p.rcpts = list(rcpts, &p.nrcpts);
	p.senders = list(senders, &p.nsenders);
	t->p = xrealloc(t->p, sizeof(struct policy) * (size_t)(t->n + 1));
	t->p[t->n] = t->p[t->n - 1];
	t->p[t->n - 1] = p;
	t->n++;
}

/* names - the table's names joined by commas (static buffer) */
static const char *
names(const struct policy_table *t)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < t->n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "," : "",
		    t->p[i].name);
	return buf;
}

/* open_session - a session store on dir */
static struct store *
open_session(const char *dir, enum store_mode mode)
{
	struct store *st;
	char *cause = NULL;

	if (store_open(dir, mode, &st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	return st;
}

/* load - policy_load or fail */
static void
load(struct store *st, enum policy_dir dir, struct policy_table *t)
{
	char *cause = NULL;

	if (policy_load(st, dir, t, &cause) < 0)
		UNIT_FAIL("policy_load: %s", cause);
}

/* save - policy_save or fail */
static void
save(struct store *st, struct policy_table *t)
{
	char *cause = NULL;

	if (policy_save(st, t, &cause) < 0)
		UNIT_FAIL("policy_save: %s", cause);
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

/* ---------------------------------------------------------- members */

/* test_member_parse - the four member forms, normalisation, and what is refused */
static void
test_member_parse(void)
{
	static const struct {
		const char *in, *out;	/* out NULL: refused */
	} cases[] = {
		{ "user@example.com", "user@example.com" },
		{ "User@Example.COM", "user@example.com" },
		{ "  first.last+tag@mail.example.com  ", "first.last+tag@mail.example.com" },
		{ "Bob@", "bob@" },
		{ "@Example.com", "@example.com" },
		{ "@example.com.", "@example.com" },
		{ "@.Example.COM", "@.example.com" },
		{ "@.example.com.", "@.example.com" },
		{ "@localhost", "@localhost" },
		{ "o'brien@example.com", "o'brien@example.com" },
		{ "", NULL },
		{ "   ", NULL },
		{ "example.com", NULL },
		{ ".example.com", NULL },
		{ "user", NULL },
		{ "@", NULL },
		{ "@.", NULL },
		{ "@..example.com", NULL },
		{ "@bad..example.com", NULL },
		{ "@-bad.example.com", NULL },
		{ "@bad-.example.com", NULL },
		{ "@exa mple.com", NULL },
		{ "user@.example.com", NULL },
		{ "user@@example.com", NULL },
		{ "a@b@example.com", NULL },
		{ ".user@example.com", NULL },
		{ "user.@example.com", NULL },
		{ "us..er@example.com", NULL },
		{ "us er@example.com", NULL },
		{ "\"quoted\"@example.com", NULL },
		{ "user@exa_mple.com!", NULL },
		/* a local part of 65 octets */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.test",
		    NULL },
	};
	char out[400];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cause = NULL;
		int rc = policy_member_parse(cases[i].in, out, sizeof(out), &cause);

		if (cases[i].out == NULL) {
			if (rc != -1)
				UNIT_FAIL("'%s' accepted as '%s'", cases[i].in, out);
			/* the refusal explains all four forms */
			CHECK(cause != NULL && strstr(cause, "user@example.com") &&
			    strstr(cause, "user@ ") && strstr(cause, "@example.com") &&
			    strstr(cause, "@.example.com"));
			free(cause);
		} else {
			if (rc != 0)
				UNIT_FAIL("'%s' refused: %s", cases[i].in, cause);
			CHECK_STR(out, cases[i].out);
		}
	}
	/* a destination too small is a refusal, not a truncation */
	CHECK_INT(policy_member_parse("user@example.com", out, 8, NULL), -1);
}

/* test_member_match - one member against one address, case-insensitively */
static void
test_member_match(void)
{
	static const struct {
		const char *member, *addr;
		int match;
	} cases[] = {
		{ "user@example.com", "user@example.com", 1 },
		{ "user@example.com", "USER@Example.COM", 1 },
		{ "user@example.com", "user@example.com.", 1 },
		{ "user@example.com", "user@example.org", 0 },
		{ "user@example.com", "user2@example.com", 0 },
		{ "user@example.com", "xuser@example.com", 0 },
		{ "user@example.com", "user@sub.example.com", 0 },
		{ "user@example.com", "user", 0 },
		{ "user@", "user@example.com", 1 },
		{ "user@", "User@Other.Test", 1 },
		{ "user@", "users@example.com", 0 },
		{ "user@", "use@example.com", 0 },
		{ "postmaster@", "postmaster", 1 },
		{ "@example.com", "a@example.com", 1 },
		{ "@example.com", "A@EXAMPLE.COM", 1 },
		{ "@example.com", "a@example.com.", 1 },
		{ "@example.com", "a@sub.example.com", 0 },
		{ "@example.com", "a@xexample.com", 0 },
		{ "@example.com", "a@example.co", 0 },
		{ "@example.com", "example.com", 0 },
		{ "@.example.com", "a@sub.example.com", 1 },
		{ "@.example.com", "a@Deep.Sub.EXAMPLE.com", 1 },
		{ "@.example.com", "a@example.com", 0 },
		{ "@.example.com", "a@xexample.com", 0 },
		{ "@.example.com", "a@.example.com", 0 },
		{ "@.example.com", "a@sub.example.org", 0 },
		{ "@example.com", "", 0 },
		{ "user@", "", 0 },
		{ "@.example.com", "", 0 },
		{ "", "a@example.com", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (policy_member_match(cases[i].member, cases[i].addr) != cases[i].match)
			UNIT_FAIL("member '%s' vs '%s': expected %d", cases[i].member,
			    cases[i].addr, cases[i].match);
	CHECK_INT(policy_member_match("@example.com", NULL), 0);
}

/* test_name_valid - policy names */
static void
test_name_valid(void)
{
	static const char *const good[] = { "sales", "Sales-2", "a.b_c", "x",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk" };
	static const char *const bad[] = { "", "DEFAULT", "default", "two words", "a/b",
		"caf\xc3\xa9", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl" };
	char *cause = NULL;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (policy_name_valid(good[i], &cause) != 0)
			UNIT_FAIL("'%s' refused: %s", good[i], cause);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		if (policy_name_valid(bad[i], &cause) != -1)
			UNIT_FAIL("'%s' accepted", bad[i]);
		CHECK(cause != NULL);
		free(cause);
	}
}

/* test_names - store sections and log names of the two directions */
static void
test_names(void)
{
	CHECK_STR(policy_section(POLICY_INCOMING), "policy.incoming");
	CHECK_STR(policy_section(POLICY_OUTGOING), "policy.outgoing");
	CHECK_STR(policy_order_section(POLICY_INCOMING), "policy.incoming.order");
	CHECK_STR(policy_order_section(POLICY_OUTGOING), "policy.outgoing.order");
	CHECK_STR(policy_dir_name(POLICY_OUTGOING), "outgoing");
	CHECK_STR(policy_table_name(POLICY_INCOMING), "inbound");
	CHECK_STR(policy_table_name(POLICY_OUTGOING), "outbound");
}

/* ---------------------------------------------------------- matching */

/* test_match_incoming - incoming: by recipient, first match, sender condition, DEFAULT */
static void
test_match_incoming(void)
{
	struct policy_table t;

	table(&t, POLICY_INCOMING);
	CHECK_INT(policy_match(&t, "anyone@example.com", "s@x.test"), 0);	/* only DEFAULT */
	add(&t, "sales", "@sales.example.com,boss@", "");
	add(&t, "partners", "@example.com", "@.partner.test");
	add(&t, "shadow", "@sales.example.com", "");
	add(&t, "all", "@example.com", "");
	CHECK_STR(names(&t), "sales,partners,shadow,all,DEFAULT");

	/* first match wins; a later policy with the same member never sees it */
	CHECK_INT(policy_match(&t, "a@sales.example.com", "s@x.test"), 0);
	CHECK_INT(policy_match(&t, "Boss@Example.COM", "s@x.test"), 0);
	/* a sender list is an extra condition */
	CHECK_INT(policy_match(&t, "a@example.com", "s@eu.partner.test"), 1);
	CHECK_INT(policy_match(&t, "a@example.com", "s@partner.test"), 3);
	CHECK_INT(policy_match(&t, "a@example.com", ""), 3);
	CHECK_INT(policy_match(&t, "a@example.com", NULL), 3);
	/* nothing matches: DEFAULT */
	CHECK_INT(policy_match(&t, "a@other.test", "s@eu.partner.test"), 4);
	CHECK_INT(policy_match(&t, "a@sub.example.com", "s@x.test"), 4);
	/* an incoming policy is chosen by recipient, never by sender */
	CHECK_INT(policy_match(&t, "a@other.test", "a@sales.example.com"), 4);
	policy_table_free(&t);
	CHECK_INT(t.n, 0);
}

/* test_match_outgoing - outgoing: by sender, recipient condition, DEFAULT */
static void
test_match_outgoing(void)
{
	struct policy_table t;

	table(&t, POLICY_OUTGOING);
	add(&t, "relay", "@ext.test", "@.corp.test");
	add(&t, "corp", "", "@corp.test,@.corp.test");
	/* outgoing: chosen by sender, recipients an extra condition */
	CHECK_INT(policy_match(&t, "r@ext.test", "s@dev.corp.test"), 0);
	CHECK_INT(policy_match(&t, "r@other.test", "s@dev.corp.test"), 1);
	CHECK_INT(policy_match(&t, "r@ext.test", "s@corp.test"), 1);
	CHECK_INT(policy_match(&t, "r@ext.test", "s@elsewhere.test"), 2);
	CHECK_INT(policy_match(&t, "r@corp.test", ""), 2);
	policy_table_free(&t);
}

/* a policy without members on its primary side matches nothing */
static void
test_match_empty_primary(void)
{
	struct policy_table t;

	table(&t, POLICY_INCOMING);
	add(&t, "odd", "", "@x.test");
	CHECK_INT(policy_match(&t, "a@x.test", "b@x.test"), 1);
	policy_table_free(&t);
}

/* ---------------------------------------------------------- storage */

/* test_fresh_store - an empty store has DEFAULT in both tables and nothing stored */
static void
test_fresh_store(void)
{
	struct store *st = open_session(unit_tmpdir(), STORE_SESSION);
	struct policy_table t;

	for (int d = 0; d < 2; d++) {
		load(st, (enum policy_dir)d, &t);
		CHECK_INT(t.n, 1);
		CHECK_STR(t.p[0].name, POLICY_DEFAULT);
		CHECK_INT(t.p[0].nrcpts + t.p[0].nsenders, 0);
		CHECK_STR(t.p[0].tdc, "");
		CHECK_INT(t.dir, d);
		/* DEFAULT as loaded is not stored by saving it */
		save(st, &t);
		CHECK_INT(config_pending(st), 0);
		policy_table_free(&t);
	}
	store_close(st);
}

/* test_roundtrip - save, commit, load in another session and read-only; unchanged saves nothing */
static void
test_roundtrip(void)
{
	char dir[256];
	struct store *st, *st2;
	struct policy_table t, u;
	char *v = NULL, *cause = NULL;

	str_copy(dir, unit_tmpdir(), sizeof(dir));
	st = open_session(dir, STORE_SESSION);
	load(st, POLICY_INCOMING, &t);
	add(&t, "sales", "@sales.example.com,boss@", "@.partner.test");
	add(&t, "eng", "@eng.example.com", "");
	save(st, &t);
	CHECK_INT(config_pending(st), 3);	/* two policies and the order */
	CHECK(config_get(st, policy_order_section(POLICY_INCOMING), "order", &v, &cause) == 0);
	CHECK_STR(v, "sales,eng");
	free(v);
	/* saving the same table again changes nothing more */
	save(st, &t);
	CHECK_INT(config_pending(st), 3);
	commit(st);
	policy_table_free(&t);
	store_close(st);

	/* another session, and the daemon's read-only view, see it all */
	st2 = open_session(dir, STORE_SESSION);
	load(st2, POLICY_INCOMING, &u);
	CHECK_STR(names(&u), "sales,eng,DEFAULT");
	CHECK_INT(u.p[0].nrcpts, 2);
	CHECK_STR(u.p[0].rcpts[0], "@sales.example.com");
	CHECK_STR(u.p[0].rcpts[1], "boss@");
	CHECK_INT(u.p[0].nsenders, 1);
	CHECK_STR(u.p[0].senders[0], "@.partner.test");
	CHECK_INT(u.p[1].nsenders, 0);
	CHECK_INT(policy_match(&u, "x@eng.example.com", "a@b.test"), 1);
	/* saving an unchanged table stages nothing */
	save(st2, &u);
	CHECK_INT(config_pending(st2), 0);
	policy_table_free(&u);
	/* and the other direction is untouched */
	load(st2, POLICY_OUTGOING, &u);
	CHECK_INT(u.n, 1);
	policy_table_free(&u);
	store_close(st2);

	st2 = open_session(dir, STORE_RUNNING);
	load(st2, POLICY_INCOMING, &u);
	CHECK_STR(names(&u), "sales,eng,DEFAULT");
	policy_table_free(&u);
	store_close(st2);
}

/* test_rename_move_delete - what a move, a rename and deleting everything stage */
static void
test_rename_move_delete(void)
{
	char dir[256];
	struct store *st;
	struct policy_table t;
	char *v = NULL, *cause = NULL;

	str_copy(dir, unit_tmpdir(), sizeof(dir));
	st = open_session(dir, STORE_SESSION);
	load(st, POLICY_OUTGOING, &t);
	add(&t, "a", "", "@a.test");
	add(&t, "b", "", "@b.test");
	add(&t, "c", "", "@c.test");
	save(st, &t);
	commit(st);
	policy_table_free(&t);

	/* move c to the top: only the order item changes */
	load(st, POLICY_OUTGOING, &t);
	{
		struct policy c = t.p[2];

		memmove(t.p + 1, t.p, sizeof(struct policy) * 2);
		t.p[0] = c;
	}
	save(st, &t);
	CHECK_INT(config_pending(st), 1);
	commit(st);
	policy_table_free(&t);
	load(st, POLICY_OUTGOING, &t);
	CHECK_STR(names(&t), "c,a,b,DEFAULT");

	/* rename a: the old item goes, the new one comes, the order follows */
	str_copy(t.p[1].name, "alpha", sizeof(t.p[1].name));
	save(st, &t);
	CHECK_INT(config_pending(st), 3);
	commit(st);
	policy_table_free(&t);
	load(st, POLICY_OUTGOING, &t);
	CHECK_STR(names(&t), "c,alpha,b,DEFAULT");
	CHECK_STR(t.p[1].senders[0], "@a.test");
	CHECK(config_get(st, policy_section(POLICY_OUTGOING), "a", &v, &cause) == 0);
	CHECK(v == NULL);

	/* a rename that only changes case is a rename too */
	str_copy(t.p[1].name, "Alpha", sizeof(t.p[1].name));
	save(st, &t);
	commit(st);
	policy_table_free(&t);
	load(st, POLICY_OUTGOING, &t);
	CHECK_STR(names(&t), "c,Alpha,b,DEFAULT");
	CHECK_INT(policy_find(&t, "ALPHA"), 1);
	CHECK_INT(policy_find(&t, "default"), 3);
	CHECK_INT(policy_find(&t, "nope"), -1);

	/* deleting every policy removes the order item as well */
	while (t.n > 1) {
		free(t.p[0].senders[0]);
		free(t.p[0].senders);
		free(t.p[0].rcpts);
		memmove(t.p, t.p + 1, sizeof(struct policy) * (size_t)(t.n - 1));
		t.n--;
	}
	save(st, &t);
	CHECK_INT(config_pending(st), 4);
	commit(st);
	CHECK(config_get(st, policy_order_section(POLICY_OUTGOING), "order", &v, &cause) == 0);
	CHECK(v == NULL);
	policy_table_free(&t);
	load(st, POLICY_OUTGOING, &t);
	CHECK_STR(names(&t), "DEFAULT");
	policy_table_free(&t);
	store_close(st);
}

/* DEFAULT is stored only once it holds a setting, and then compared like any policy */
static void
test_default_setting(void)
{
	struct store *st = open_session(unit_tmpdir(), STORE_SESSION);
	struct policy_table t;
	char *v = NULL, *cause = NULL;

	load(st, POLICY_INCOMING, &t);
	str_copy(t.p[0].tdc, "global", sizeof(t.p[0].tdc));
	save(st, &t);
	CHECK_INT(config_pending(st), 1);
	commit(st);
	policy_table_free(&t);
	load(st, POLICY_INCOMING, &t);
	CHECK_STR(t.p[0].tdc, "global");
	save(st, &t);
	CHECK_INT(config_pending(st), 0);
	/* back to nothing: the item goes */
	t.p[0].tdc[0] = '\0';
	save(st, &t);
	CHECK_INT(config_pending(st), 1);
	commit(st);
	CHECK(config_get(st, policy_section(POLICY_INCOMING), POLICY_DEFAULT, &v, &cause) == 0);
	CHECK(v == NULL);
	policy_table_free(&t);
	store_close(st);
}

/* a candidate is the session's own until commit */
static void
test_sessions(void)
{
	char dir[256];
	struct store *a, *b;
	struct policy_table t;

	str_copy(dir, unit_tmpdir(), sizeof(dir));
	a = open_session(dir, STORE_SESSION);
	b = open_session(dir, STORE_SESSION);
	load(a, POLICY_INCOMING, &t);
	add(&t, "pending", "@p.test", "");
	save(a, &t);
	policy_table_free(&t);
	load(a, POLICY_INCOMING, &t);
	CHECK_STR(names(&t), "pending,DEFAULT");
	policy_table_free(&t);
	load(b, POLICY_INCOMING, &t);
	CHECK_STR(names(&t), "DEFAULT");
	policy_table_free(&t);
	commit(a);
	load(b, POLICY_INCOMING, &t);
	CHECK_STR(names(&t), "pending,DEFAULT");
	policy_table_free(&t);
	store_close(a);
	store_close(b);
}

/* stored data the order item forgets, and odd stored text, are still handled */
static void
test_stored_oddities(void)
{
	struct store *st = open_session(unit_tmpdir(), STORE_SESSION);
	struct policy_table t;
	char *cause = NULL;
	const char *sec = policy_section(POLICY_INCOMING);

	CHECK(config_set(st, sec, "zeta", "{\"recipients\":[\"@Z.test\"]}", &cause) == 0);
	CHECK(config_set(st, sec, "alpha", "{\"senders\":[],\"recipients\":[\"@a.test\"],"
					    "\"future\":1}", &cause) == 0);
	CHECK(config_set(st, policy_order_section(POLICY_INCOMING), "order", "zeta,gone",
	    &cause) == 0);
	commit(st);
	load(st, POLICY_INCOMING, &t);
	/* ordered first, then the forgotten one; names in the order without an item are skipped */
	CHECK_STR(names(&t), "zeta,alpha,DEFAULT");
	CHECK_STR(t.p[0].rcpts[0], "@z.test");	/* normalised on load */
	save(st, &t);
	/*
	 * only the order is rewritten: items are compared as decoded, so
	 * zeta's upper case and alpha's unknown field stay as stored
	 */
	CHECK_INT(config_pending(st), 1);
	policy_table_free(&t);
	config_clear(st, &cause);

	/* a broken item is an error naming the policy */
	CHECK(config_set(st, sec, "broken", "[1,2", &cause) == 0);
	CHECK_INT(policy_load(st, POLICY_INCOMING, &t, &cause), -1);
	CHECK(strstr(cause, "broken") != NULL);
	free(cause);
	cause = NULL;
	CHECK(config_set(st, sec, "broken", "{\"recipients\":[\"not a member\"]}", &cause) == 0);
	CHECK_INT(policy_load(st, POLICY_INCOMING, &t, &cause), -1);
	CHECK(strstr(cause, "broken") != NULL);
	free(cause);
	store_close(st);
}

/* policy_save refuses a table that breaks the model, and stages nothing */
static void
test_save_refusals(void)
{
	struct store *st = open_session(unit_tmpdir(), STORE_SESSION);
	struct policy_table t;
	char *cause = NULL;

	table(&t, POLICY_INCOMING);
	add(&t, "a", "@a.test", "");
	add(&t, "A", "@b.test", "");
	CHECK_INT(policy_save(st, &t, &cause), -1);	/* names differ only in case */
	free(cause);
	str_copy(t.p[1].name, "b", sizeof(t.p[1].name));
	str_copy(t.p[2].name, "c", sizeof(t.p[2].name));
	CHECK_INT(policy_save(st, &t, &cause), -1);	/* DEFAULT not last */
	free(cause);
	str_copy(t.p[2].name, POLICY_DEFAULT, sizeof(t.p[2].name));
	str_copy(t.p[1].name, "bad name", sizeof(t.p[1].name));
	CHECK_INT(policy_save(st, &t, &cause), -1);
	free(cause);
	policy_table_free(&t);
	table(&t, POLICY_INCOMING);
	add(&t, "nosenders", "", "@x.test");	/* incoming without recipients */
	CHECK_INT(policy_save(st, &t, &cause), -1);
	CHECK(strstr(cause, "recipients") != NULL);
	free(cause);
	policy_table_free(&t);
	CHECK_INT(config_pending(st), 0);
	store_close(st);
}

/*
 * test_tdc_address - where each policy's journal copies go
 * (policy_tdc_address), DEFAULT's custom address included (issue 8,
 * defect 4: seed 002 shows DEFAULT on "Use custom Message Intake Address")
 */
static void
test_tdc_address(void)
{
	static const struct {
		const char *def;	/* DEFAULT's tdc */
		const char *other;	/* the other policy's tdc */
		int enabled;		/* connector on */
		const char *global;	/* global intake address */
		const char *want_def;	/* DEFAULT journals to ("" none) */
		const char *want_other;	/* the other policy journals to */
	} cases[] = {
		{ "", "", 1, "g@i.test", "", "" },
		{ "global", "", 1, "g@i.test", "g@i.test", "g@i.test" },
		{ "global", "default", 1, "g@i.test", "g@i.test", "g@i.test" },
		{ "global", "no", 1, "g@i.test", "g@i.test", "" },
		{ "global", "custom:p@i.test", 1, "g@i.test", "g@i.test", "p@i.test" },
		{ "no", "custom:p@i.test", 1, "g@i.test", "", "p@i.test" },
		{ "custom:d@i.test", "", 1, "g@i.test", "d@i.test", "d@i.test" },
		{ "CUSTOM:d@i.test", "default", 1, "g@i.test", "d@i.test", "d@i.test" },
		{ "custom:d@i.test", "no", 1, "g@i.test", "d@i.test", "" },
		{ "custom:d@i.test", "custom:p@i.test", 1, "g@i.test", "d@i.test", "p@i.test" },
		/* nothing at all while the connector is off or has no global address */
		{ "custom:d@i.test", "custom:p@i.test", 0, "g@i.test", "", "" },
		{ "custom:d@i.test", "", 1, "", "", "" },
		{ "global", "", 0, "g@i.test", "", "" },
	};
	struct policy_table t, out;
	char addr[320];

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		table(&t, POLICY_INCOMING);
		add(&t, "sales", "@sales.test", "");
		str_copy(t.p[1].tdc, cases[k].def, sizeof(t.p[1].tdc));
		str_copy(t.p[0].tdc, cases[k].other, sizeof(t.p[0].tdc));
		for (int i = 0; i < 2; i++) {
			const char *want = i == 1 ? cases[k].want_def : cases[k].want_other;
			int got = policy_tdc_address(&t, i, cases[k].enabled, cases[k].global,
			    addr, sizeof(addr));

			if (got != (*want != '\0') || strcmp(addr, want) != 0)
				UNIT_FAIL("case %zu, %s: got %d '%s', want '%s'", k,
				    t.p[i].name, got, addr, want);
		}
		policy_table_free(&t);
	}
	/* outgoing policies never journal */
	table(&out, POLICY_OUTGOING);
	str_copy(out.p[0].tdc, "custom:d@i.test", sizeof(out.p[0].tdc));
	CHECK_INT(policy_tdc_address(&out, 0, 1, "g@i.test", addr, sizeof(addr)), 0);
	policy_table_free(&out);
}

static const struct unit_case cases[] = {
	{ "member_parse", test_member_parse },
	{ "member_match", test_member_match },
	{ "name_valid", test_name_valid },
	{ "names", test_names },
	{ "match_incoming", test_match_incoming },
	{ "match_outgoing", test_match_outgoing },
	{ "match_empty_primary", test_match_empty_primary },
	{ "fresh_store", test_fresh_store },
	{ "roundtrip", test_roundtrip },
	{ "rename_move_delete", test_rename_move_delete },
	{ "default_setting", test_default_setting },
	{ "sessions", test_sessions },
	{ "stored_oddities", test_stored_oddities },
	{ "save_refusals", test_save_refusals },
	{ "tdc_address", test_tdc_address },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("policy", cases, argc, argv);
}
