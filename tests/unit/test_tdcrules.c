/*
 * test_tdcrules.c - the Threat Defense Connector rules below the shell
 * (mail/tdcrules.c) and the whole-configuration check commit runs with
 * them (mail/confcheck.c): per-policy tdc= values (DEFAULT's custom
 * address included), the same-domain rule, the cascade and the
 * credentials, and two sessions that cannot together commit what breaks a
 * rule (issue 8).
 */
#include "mail/confcheck.h"
#include "mail/policy.h"
#include "mail/tdcrules.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* defaults - the values of a fresh store */
static void
defaults(struct tdcrules_vals *v)
{
	for (int k = 0; k < TDCRULES_NKEYS; k++) {
		const struct setting_def *d = settings_find(tdcrules_setting(k));

		if (d == NULL)
			UNIT_FAIL("no settings row for %s", tdcrules_setting(k));
		str_copy(v->v[k], d->def, sizeof(v->v[k]));
	}
}

/* set - one value */
static void
set(struct tdcrules_vals *v, enum tdcrules_key k, const char *value)
{
	str_copy(v->v[k], value, sizeof(v->v[k]));
}

/* test_policy_value - tdc= on DEFAULT and on the others */
static void
test_policy_value(void)
{
	static const struct {
		int is_default;
		const char *in, *global;
		const char *want;	/* stored form, or NULL: refused */
		const char *cause_has;	/* a word of the refusal */
	} cases[] = {
		{ 1, "global", "j@intake.test", "global", NULL },
		{ 1, "GLOBAL", "", "global", NULL },
		{ 1, "no", "j@intake.test", "", NULL },
		{ 1, "custom:d@intake.test", "j@intake.test", "custom:d@intake.test", NULL },
		{ 1, "Custom:D@INTAKE.test", "j@intake.test", "custom:D@intake.test", NULL },
		{ 1, "custom:d@other.test", "j@intake.test", NULL, "domain" },
		{ 1, "custom:d@intake.test", "", NULL, "none is set" },
		{ 1, "custom:nobody", "j@intake.test", NULL, "localname" },
		{ 1, "default", "j@intake.test", NULL, "custom:ADDRESS" },
		{ 0, "default", "j@intake.test", "", NULL },
		{ 0, "no", "j@intake.test", "no", NULL },
		{ 0, "custom:p@intake.test", "j@intake.test", "custom:p@intake.test", NULL },
		{ 0, "custom:p@sub.intake.test", "j@intake.test", NULL, "domain" },
		{ 0, "global", "j@intake.test", NULL, "only DEFAULT" },
		{ 0, "custom:", "j@intake.test", NULL, "localname" },
	};
	char out[320];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cause = NULL;
		int rc = tdcrules_policy_value(cases[i].is_default, cases[i].in, cases[i].global,
		    out, sizeof(out), &cause);

		if (cases[i].want) {
			if (rc != 0 || strcmp(out, cases[i].want) != 0)
				UNIT_FAIL("case %zu '%s': rc %d '%s', want '%s' (%s)", i,
				    cases[i].in, rc, out, cases[i].want, cause ? cause : "");
		} else if (rc != -1 || cause == NULL || strstr(cause, cases[i].cause_has) == NULL) {
			UNIT_FAIL("case %zu '%s': rc %d, cause '%s', want a refusal with '%s'", i,
			    cases[i].in, rc, cause ? cause : "(none)", cases[i].cause_has);
		}
		free(cause);
	}
}

/* test_check - the rules among the settings, and the cascade */
static void
test_check(void)
{
	struct tdcrules_vals cur, v;
	char *cause = NULL;
	unsigned off;

	defaults(&v);
	CHECK_INT(tdcrules_check(&v, &cause), 0);
	set(&v, TDCRULES_ENABLE, "yes");
	CHECK_INT(tdcrules_check(&v, &cause), -1);
	CHECK(strstr(cause, "intake address") != NULL);
	free(cause);
	set(&v, TDCRULES_INTAKE, "j@intake.test");
	CHECK_INT(tdcrules_check(&v, &cause), 0);
	set(&v, TDCRULES_API, "yes");
	set(&v, TDCRULES_CLIENT_ID, "cid");
	set(&v, TDCRULES_SECRET, "s3cr3t-value");
	CHECK_INT(tdcrules_check(&v, &cause), -1);
	CHECK(strstr(cause, "(missing: api_key)") != NULL);
	CHECK(strstr(cause, "s3cr3t-value") == NULL);
	free(cause);
	set(&v, TDCRULES_API_KEY, "k");
	set(&v, TDCRULES_POLLING, "yes");
	CHECK_INT(tdcrules_check(&v, &cause), 0);
	set(&v, TDCRULES_ACTION, "forward");
	CHECK_INT(tdcrules_check(&v, &cause), -1);
	CHECK(strstr(cause, "forward_to=") != NULL);
	free(cause);
	set(&v, TDCRULES_FORWARD_TO, "soc@example.test");

	/* disabling the connector takes the API and polling with it */
	cur = v;
	set(&v, TDCRULES_ENABLE, "no");
	off = tdcrules_cascade(&cur, &v, 1u << TDCRULES_ENABLE);
	CHECK_INT(off, (1u << TDCRULES_API) | (1u << TDCRULES_POLLING));
	CHECK_STR(v.v[TDCRULES_API], "no");
	CHECK_STR(v.v[TDCRULES_POLLING], "no");
	CHECK_INT(tdcrules_check(&v, &cause), 0);
	/* polling or the API alone, without what they need, breaks a rule */
	set(&v, TDCRULES_POLLING, "yes");
	CHECK_INT(tdcrules_check(&v, &cause), -1);
	CHECK(strstr(cause, "polling needs") != NULL);
	free(cause);
	set(&v, TDCRULES_POLLING, "no");
	set(&v, TDCRULES_API, "yes");
	CHECK_INT(tdcrules_check(&v, &cause), -1);
	CHECK(strstr(cause, "needs the Threat Defense Connector") != NULL);
	free(cause);
}

/* test_value - one value checked and normalised; a secret's mask keeps it */
static void
test_value(void)
{
	struct tdcrules_vals cur;
	char out[TDCRULES_VALUE_MAX + 1], *cause = NULL;

	defaults(&cur);
	CHECK_INT(tdcrules_value(&cur, TDCRULES_ENABLE, "Y", out, &cause), 0);
	CHECK_STR(out, "yes");
	CHECK_INT(tdcrules_value(&cur, TDCRULES_INTAKE, "j@Intake.TEST", out, &cause), 0);
	CHECK_STR(out, "j@intake.test");
	CHECK_INT(tdcrules_value(&cur, TDCRULES_HEADER, "Received", out, &cause), -1);
	free(cause);
	CHECK_INT(tdcrules_value(&cur, TDCRULES_SECRET, SETTINGS_MASK, out, &cause), -1);
	free(cause);
	set(&cur, TDCRULES_SECRET, "stored");
	CHECK_INT(tdcrules_value(&cur, TDCRULES_SECRET, SETTINGS_MASK, out, &cause), 0);
	CHECK_STR(out, "stored");
	CHECK_INT(tdcrules_value(&cur, TDCRULES_SECRET, "bad\001secret", out, &cause), -1);
	CHECK(strstr(cause, "secret") != NULL && strstr(cause, "bad") == NULL);
	free(cause);
}

/* test_policies - every custom address, DEFAULT's included, in the global domain */
static void
test_policies(void)
{
	struct policy_table t = { POLICY_INCOMING, 2, NULL };
	struct tdcrules_vals v;
	char *cause = NULL;

	t.p = xcalloc(2, sizeof(struct policy));
	str_copy(t.p[0].name, "sales", sizeof(t.p[0].name));
	str_copy(t.p[1].name, POLICY_DEFAULT, sizeof(t.p[1].name));
	defaults(&v);
	str_copy(t.p[1].tdc, "custom:d@intake.test", sizeof(t.p[1].tdc));
	CHECK_INT(tdcrules_check_policies(&v, &t, &cause), 0);	/* no global: nothing to check */
	set(&v, TDCRULES_INTAKE, "j@intake.test");
	CHECK_INT(tdcrules_check_policies(&v, &t, &cause), 0);
	set(&v, TDCRULES_INTAKE, "j@other.test");
	CHECK_INT(tdcrules_check_policies(&v, &t, &cause), -1);
	CHECK(strstr(cause, "DEFAULT") != NULL && strstr(cause, "d@intake.test") != NULL);
	free(cause);
	str_copy(t.p[1].tdc, "global", sizeof(t.p[1].tdc));
	str_copy(t.p[0].tdc, "custom:p@intake.test", sizeof(t.p[0].tdc));
	CHECK_INT(tdcrules_check_policies(&v, &t, &cause), -1);
	CHECK(strstr(cause, "sales") != NULL);
	free(cause);
	policy_table_free(&t);
}

/* stage - a setting in a session's candidate */
static void
stage(struct store *st, const char *name, const char *value)
{
	char *cause = NULL;

	if (settings_set(st, name, value, &cause) < 0)
		UNIT_FAIL("settings_set %s: %s", name, cause);
}

/* stage_policy_tdc - the tdc of policy name (a new incoming one, or DEFAULT) */
static void
stage_policy_tdc(struct store *st, const char *name, const char *tdc)
{
	struct policy_table t;
	char *cause = NULL;
	int i;

	if (policy_load(st, POLICY_INCOMING, &t, &cause) < 0)
		UNIT_FAIL("policy_load: %s", cause);
	if ((i = policy_find(&t, name)) < 0) {
		struct policy p = { 0 };

		str_copy(p.name, name, sizeof(p.name));
		p.rcpts = xcalloc(1, sizeof(char *));
		p.rcpts[0] = str_dup("@sales.test");
		p.nrcpts = 1;
		t.p = xrealloc(t.p, sizeof(struct policy) * (size_t)(t.n + 1));
		t.p[t.n] = t.p[t.n - 1];
		t.p[t.n - 1] = p;
		i = t.n++ - 1;
	}
	str_copy(t.p[i].tdc, tdc, sizeof(t.p[i].tdc));
	if (policy_save(st, &t, &cause) < 0)
		UNIT_FAIL("policy_save: %s", cause);
	policy_table_free(&t);
}

/*
 * test_two_sessions - session 2 stages a new global address, session 1
 * gives a policy a custom address in the old domain and commits; session
 * 2's commit is then refused by confcheck_commit, naming the rule, and
 * nothing changes. The same for the cascade: the API staged while the
 * connector was on cannot be committed after another session disabled it.
 */
static void
test_two_sessions(void)
{
	char *dir = str_printf("%s/data", unit_tmpdir()), *cause = NULL, *v;
	struct store *s1 = NULL, *s2 = NULL;
	int64_t id;

	if (store_open(dir, STORE_SESSION, &s1, &cause) < 0 ||
	    store_open(dir, STORE_SESSION, &s2, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	stage(s1, "tdc.enabled", "yes");
	stage(s1, "tdc.intake_address", "j@intake.test");
	CHECK_INT(config_commit_check(s1, "one", "connector", confcheck_commit, NULL, &id, &cause),
	    0);

	stage(s2, "tdc.intake_address", "x@other.test");
	CHECK_INT(tdcrules_check_store(s2, &cause), 0);		/* alone it is fine */
	stage_policy_tdc(s1, "sales", "custom:a@intake.test");
	CHECK_INT(config_commit_check(s1, "one", "policy", confcheck_commit, NULL, &id, &cause),
	    0);
	id = 0;
	CHECK_INT(config_commit_check(s2, "two", "global", confcheck_commit, NULL, &id, &cause),
	    -1);
	CHECK_INT(id, 0);
	if (cause == NULL || strstr(cause, "sales") == NULL ||
	    strstr(cause, "a@intake.test") == NULL || strstr(cause, "x@other.test") == NULL ||
	    strstr(cause, "Nothing was committed") == NULL || strchr(cause, '\n') != NULL)
		UNIT_FAIL("cause does not name the rule: %s", cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	CHECK_INT(config_pending(s2), 1);
	CHECK_INT(config_version(s2), 2);
	CHECK_INT(config_get_running(s2, SETTINGS_SECTION, "tdc.intake_address", &v, &cause), 0);
	CHECK_STR(v, "j@intake.test");
	free(v);
	CHECK_INT(config_clear(s2, &cause), 0);

	/* DEFAULT's custom address holds the global domain the same way */
	stage(s2, "tdc.intake_address", "x@other.test");
	stage_policy_tdc(s1, "sales", "");
	stage_policy_tdc(s1, POLICY_DEFAULT, "custom:d@intake.test");
	CHECK_INT(config_commit_check(s1, "one", "DEFAULT", confcheck_commit, NULL, &id, &cause),
	    0);
	CHECK_INT(config_commit_check(s2, "two", "global", confcheck_commit, NULL, &id, &cause),
	    -1);
	CHECK(cause && strstr(cause, "DEFAULT") != NULL);
	free(cause);
	cause = NULL;
	CHECK_INT(config_clear(s2, &cause), 0);

	/* the cascade: the API staged under the connector, the connector disabled meanwhile */
	stage(s2, "tdc.api", "yes");
	stage(s2, "tdc.client_id", "cid");
	stage(s2, "tdc.client_secret", "secret-value");
	stage(s2, "tdc.api_key", "key-value");
	CHECK_INT(tdcrules_check_store(s2, &cause), 0);
	stage(s1, "tdc.enabled", "no");
	CHECK_INT(config_commit_check(s1, "one", "off", confcheck_commit, NULL, &id, &cause), 0);
	CHECK_INT(config_commit_check(s2, "two", "api", confcheck_commit, NULL, &id, &cause), -1);
	CHECK(cause && strstr(cause, "needs the Threat Defense Connector") != NULL);
	CHECK(cause && strstr(cause, "secret-value") == NULL && strstr(cause, "key-value") == NULL);
	free(cause);
	CHECK_INT(config_pending(s2), 4);
	store_close(s1);
	store_close(s2);
	free(dir);
}

static const struct unit_case cases[] = {
	{ "policy_value", test_policy_value },
	{ "check", test_check },
	{ "value", test_value },
	{ "policies", test_policies },
	{ "two_sessions", test_two_sessions },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("tdcrules", cases, argc, argv);
}
