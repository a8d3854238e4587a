/*
 * test_roles.c - what each role may run (commands/roles.c): the table is
 * complete and names only real commands and sub-commands; role_check
 * judges lines as execution resolves them; cmd_run_line refuses in one
 * line, runs nothing and still logs the attempt with its session suffix;
 * help, TAB and `?` show a role only what it may run.
 */
#include <stdarg.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/roles.h"
#include "shell/complete.h"
#include "store/config.h"
#include "tests/unit/unit.h"
#include "util/buf.h"
#include "util/logfile.h"
#include "util/str.h"

/* Problems found by the running case. */
static int problems;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* problem - report one finding and keep going */
static void
problem(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("  ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n", stderr);
	va_end(ap);
	problems++;
}

/* finish - end a case: fail if anything was reported */
static void
finish(void)
{
	if (problems)
		UNIT_FAIL("%d problem%s (listed above)", problems, problems == 1 ? "" : "s");
}

/* entry - the cmd_table entry of a name (exact), or NULL */
static const struct cmd_entry *
entry(const char *name)
{
	for (int i = 0; cmd_table[i]; i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	return NULL;
}

/* ---------------------------------------------------------- the table */

/* verb_real - the verb ("print", "incoming/print") names sub-commands of e, level by level */
static int
verb_real(const struct cmd_entry *e, const char *verb)
{
	const struct cmd_sub *subs = e->subs;
	char **parts;
	int n, ok = 1;

	if (subs == NULL) {
		for (const struct cmd_word *w = e->words; w && w->word; w++)
			if (w->word[0] != '<' && strcmp(w->word, verb) == 0)
				return 1;
		return 0;
	}
	parts = str_split(verb, '/', &n);
	for (int i = 0; i < n && ok; i++) {
		const struct cmd_sub *s, *found = NULL;

		for (s = subs; subs && s->exec; s++)
			if (s->name && strcmp(s->name, parts[i]) == 0)
				found = s;
		if (found == NULL)
			ok = 0;
		else
			subs = found->subs;
	}
	str_split_free(parts);
	return ok && n > 0;
}

/* test_table_complete - every command has one rule, every rule a command, every verb is real */
static void
test_table_complete(void)
{
	for (int i = 0; cmd_table[i]; i++) {
		int n = 0;

		for (const struct role_rule *r = role_rules; r->command; r++)
			if (strcmp(r->command, cmd_table[i]->name) == 0)
				n++;
		if (n != 1)
			problem("command %s has %d rules, expected 1", cmd_table[i]->name, n);
	}
	for (const struct role_rule *r = role_rules; r->command; r++) {
		const struct cmd_entry *e = entry(r->command);

		if (e == NULL) {
			problem("rule %s names no command of cmd_table", r->command);
			continue;
		}
		if (!(r->full & ROLE_BIT(ROLE_ADMIN)))
			problem("%s: admin may not run it in full", r->command);
		if (r->full & r->look)
			problem("%s: a role both full and look", r->command);
		if ((r->full | r->look) & ~((1u << ROLE_COUNT) - 1))
			problem("%s: a role bit beyond ROLE_COUNT", r->command);
		if (r->look == 0 && r->verbs != NULL)
			problem("%s: verbs but no look role", r->command);
		if (r->verbs == NULL)
			continue;
		if (r->verbs[0] == '\0' || r->verbs[0] == ' ')
			problem("%s: empty or badly spaced verbs", r->command);
		char **v;
		int nv;

		v = str_split(r->verbs, ' ', &nv);
		for (int k = 0; k < nv; k++)
			if (!verb_real(e, v[k]))
				problem("%s: look verb '%s' is not a sub-command", r->command, v[k]);
		str_split_free(v);
	}
	finish();
}

/* ---------------------------------------------------------- role_check */

struct check_case {
	enum user_role role;
	const char *line;	/* the command and its words, blank-separated */
	const char *cause;	/* NULL: allowed */
};

#define DENY(role, cmd) "Access denied: the " role " role cannot run '" cmd "'."

static const struct check_case check_cases[] = {
	/* admin runs everything */
	{ ROLE_ADMIN, "commit", NULL },
	{ ROLE_ADMIN, "userconfig new bob role=guest", NULL },
	{ ROLE_ADMIN, "smtproutes", NULL },
	{ ROLE_ADMIN, "logconfig edit cli_logs level=debug", NULL },
	/* operator: all but accounts, the audit trail's settings and admin access */
	{ ROLE_OPERATOR, "commit", NULL },
	/* a rollback restores the admins' settings too (users.*, adminaccess.*, logs) */
	{ ROLE_OPERATOR, "rollbackconfig 2", DENY("operator", "rollbackconfig") },
	{ ROLE_OPERATOR, "rollbackconfig", DENY("operator", "rollbackconfig") },
	{ ROLE_OPERATOR, "smtproutes new x.test 1.2.3.4", NULL },
	{ ROLE_OPERATOR, "supportconfig print", NULL },
	{ ROLE_OPERATOR, "userconfig print", NULL },
	{ ROLE_OPERATOR, "userconfig new x role=admin fullname=X",
	    "Access denied: the operator role may only use: userconfig print" },
	{ ROLE_OPERATOR, "userconfig edit op role=admin",
	    "Access denied: the operator role may only use: userconfig print" },
	{ ROLE_OPERATOR, "logconfig print", NULL },
	{ ROLE_OPERATOR, "logconfig edit cli_logs level=debug",
	    "Access denied: the operator role may only use: logconfig print" },
	{ ROLE_OPERATOR, "logconfig", "Access denied: the operator role may only use: logconfig print" },
	/* readonly: look, never change */
	{ ROLE_READONLY, "commit", DENY("readonly", "commit") },
	{ ROLE_READONLY, "clear", DENY("readonly", "clear") },
	{ ROLE_READONLY, "rollbackconfig", DENY("readonly", "rollbackconfig") },
	{ ROLE_READONLY, "deliverynow ALL", DENY("readonly", "deliverynow") },
	{ ROLE_READONLY, "resetcounters", DENY("readonly", "resetcounters") },
	{ ROLE_READONLY, "rollovernow all", DENY("readonly", "rollovernow") },
	{ ROLE_READONLY, "releasequarantine q 1", DENY("readonly", "releasequarantine") },
	{ ROLE_READONLY, "deletequarantine q all", DENY("readonly", "deletequarantine") },
	{ ROLE_READONLY, "sdrupdate", DENY("readonly", "sdrupdate") },
	{ ROLE_READONLY, "supportconfig print", DENY("readonly", "supportconfig") },
	{ ROLE_READONLY, "sethostname mx.test", DENY("readonly", "sethostname") },
	{ ROLE_READONLY, "status detail", NULL },
	{ ROLE_READONLY, "showchanges", NULL },
	{ ROLE_READONLY, "sdrdiagnostics", NULL },
	{ ROLE_READONLY, "grep -i x cli_logs", NULL },
	{ ROLE_READONLY, "smtproutes print", NULL },
	{ ROLE_READONLY, "smtproutes p", NULL },		/* a unique prefix, as execution takes it */
	{ ROLE_READONLY, "smtproutes PRINT", NULL },
	{ ROLE_READONLY, "smtproutes", "Access denied: the readonly role may only use: smtproutes print" },
	{ ROLE_READONLY, "smtproutes new x.test 1.2.3.4",
	    "Access denied: the readonly role may only use: smtproutes print" },
	{ ROLE_READONLY, "smtproutes nosuch", "Access denied: the readonly role may only use: smtproutes print" },
	{ ROLE_READONLY, "filters detail 1", NULL },
	{ ROLE_READONLY, "filters export /tmp/x",
	    "Access denied: the readonly role may only use: filters list, filters detail" },
	{ ROLE_READONLY, "dnsconfig print", NULL },
	{ ROLE_READONLY, "dnsconfig servers=1.2.3.4",
	    "Access denied: the readonly role may only use: dnsconfig print" },
	{ ROLE_READONLY, "sdradvancedconfig print", NULL },
	{ ROLE_READONLY, "sdradvancedconfig blocklist print", NULL },
	{ ROLE_READONLY, "sdradvancedconfig b p", NULL },
	{ ROLE_READONLY, "sdradvancedconfig blocklist delete z.test",
	    "Access denied: the readonly role may only use: sdradvancedconfig print, "
	    "sdradvancedconfig blocklist print, sdradvancedconfig local print, "
	    "sdradvancedconfig feed print" },
	{ ROLE_READONLY, "sdradvancedconfig timeout=5",
	    "Access denied: the readonly role may only use: sdradvancedconfig print, "
	    "sdradvancedconfig blocklist print, sdradvancedconfig local print, "
	    "sdradvancedconfig feed print" },
	{ ROLE_READONLY, "policyconfig incoming print", NULL },
	{ ROLE_READONLY, "policyconfig outgoing search a@b.test", NULL },
	{ ROLE_READONLY, "policyconfig incoming",
	    "Access denied: the readonly role may only use: policyconfig incoming print, "
	    "policyconfig incoming search, policyconfig outgoing print, "
	    "policyconfig outgoing search" },
	{ ROLE_READONLY, "policyconfig incoming clear",
	    "Access denied: the readonly role may only use: policyconfig incoming print, "
	    "policyconfig incoming search, policyconfig outgoing print, "
	    "policyconfig outgoing search" },
	{ ROLE_READONLY, "workqueue status", NULL },
	{ ROLE_READONLY, "workqueue", "Access denied: the readonly role may only use: workqueue status" },
	{ ROLE_READONLY, "workqueue pause x", "Access denied: the readonly role may only use: workqueue status" },
	{ ROLE_READONLY, "userconfig print", NULL },
	{ ROLE_READONLY, "userconfig policy min_length=6",
	    "Access denied: the readonly role may only use: userconfig print" },
	/* guest: status and logs only */
	{ ROLE_GUEST, "status", NULL },
	{ ROLE_GUEST, "tail cli_logs", NULL },
	{ ROLE_GUEST, "workqueue s", NULL },
	{ ROLE_GUEST, "workqueue rate 10", "Access denied: the guest role may only use: workqueue status" },
	{ ROLE_GUEST, "smtproutes print", DENY("guest", "smtproutes") },
	{ ROLE_GUEST, "showchanges", DENY("guest", "showchanges") },
	{ ROLE_GUEST, "showquarantine", DENY("guest", "showquarantine") },
	{ ROLE_GUEST, "last", DENY("guest", "last") },
	{ ROLE_GUEST, "userconfig print", DENY("guest", "userconfig") },
	/* technician: guest's, the queue, quarantines; configuration print only */
	{ ROLE_TECHNICIAN, "workqueue pause maintenance", NULL },
	{ ROLE_TECHNICIAN, "deliverynow ALL", NULL },
	{ ROLE_TECHNICIAN, "releasequarantine q 1", NULL },
	{ ROLE_TECHNICIAN, "smtproutes print", NULL },
	{ ROLE_TECHNICIAN, "smtproutes delete x.test",
	    "Access denied: the technician role may only use: smtproutes print" },
	{ ROLE_TECHNICIAN, "commit", DENY("technician", "commit") },
	/* its store refuses changes: look only, one clear line */
	{ ROLE_TECHNICIAN, "supportconfig print", NULL },
	{ ROLE_TECHNICIAN, "supportconfig smtp.timeout=5",
	    "Access denied: the technician role may only use: supportconfig print" },
	{ ROLE_TECHNICIAN, "rollbackconfig 1", DENY("technician", "rollbackconfig") },
	{ ROLE_TECHNICIAN, "userconfig print", DENY("technician", "userconfig") },
	/* an unknown role value is refused, never admin */
	{ ROLE_COUNT, "status", DENY("unknown", "status") },
};

/* test_check - role_check on each case, the words split by blanks */
static void
test_check(void)
{
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *t = &check_cases[i];
		const struct cmd_entry *e;
		char **w, *cause = NULL;
		int n, r;

		w = str_split(t->line, ' ', &n);
		e = entry(w[0]);
		if (e == NULL) {
			/* a rule for a command cmd_table lacks */
			problem("'%s': no command %s in cmd_table", t->line, w[0]);
			str_split_free(w);
			continue;
		}
		r = role_check(t->role, e, n - 1, w + 1, &cause);
		if (t->cause == NULL && r != 0)
			problem("%s '%s': refused (%s), expected allowed", users_role_name(t->role),
			    t->line, cause);
		else if (t->cause != NULL && r == 0)
			problem("role %d '%s': allowed, expected \"%s\"", (int)t->role, t->line,
			    t->cause);
		else if (t->cause != NULL && strcmp(cause, t->cause) != 0)
			problem("role %d '%s': \"%s\", expected \"%s\"", (int)t->role, t->line, cause,
			    t->cause);
		free(cause);
		str_split_free(w);
	}
	finish();
}

/* test_may_see - what help and TAB list; role_word_visible for look roles */
static void
test_may_see(void)
{
	for (int i = 0; cmd_table[i]; i++)
		CHECK(role_may_see(ROLE_ADMIN, cmd_table[i]));
	CHECK(role_may_see(ROLE_READONLY, entry("smtproutes")));
	CHECK(!role_may_see(ROLE_READONLY, entry("commit")));
	CHECK(!role_may_see(ROLE_GUEST, entry("smtproutes")));
	CHECK(role_may_see(ROLE_GUEST, entry("workqueue")));
	CHECK(!role_may_see(ROLE_COUNT, entry("status")));
	CHECK(role_word_visible(ROLE_READONLY, entry("smtproutes"), "print"));
	CHECK(!role_word_visible(ROLE_READONLY, entry("smtproutes"), "new"));
	CHECK(!role_word_visible(ROLE_READONLY, entry("smtproutes"), "pri"));
	CHECK(role_word_visible(ROLE_OPERATOR, entry("smtproutes"), "new"));
	CHECK(role_word_visible(ROLE_READONLY, entry("policyconfig"), "incoming"));
	CHECK(role_word_visible(ROLE_READONLY, entry("policyconfig"), "incoming/print"));
	CHECK(!role_word_visible(ROLE_READONLY, entry("policyconfig"), "incoming/new"));
	CHECK(!role_word_visible(ROLE_READONLY, entry("policyconfig"), "inc"));
	CHECK(!role_word_visible(ROLE_READONLY, entry("sdradvancedconfig"), "timeout="));
	CHECK(!role_word_visible(ROLE_GUEST, entry("smtproutes"), "print"));
	CHECK(role_word_visible(ROLE_GUEST, entry("workqueue"), "status"));
	CHECK(!role_word_visible(ROLE_GUEST, entry("workqueue"), "<SECONDS>"));
}

/* ---------------------------------------------------------- the shell */

/* Output captured from a cli. */
static struct buf out;

static int
cap_write(void *arg, const char *p, size_t n, int is_error)
{
	(void)arg;
	(void)is_error;
	buf_add(&out, p, n);
	return 0;
}

static const struct cli_io cap_io = { NULL, cap_write, NULL, NULL };

/* session - a batch cli on a fresh store, cli_logs in dir/logs */
static void
session(struct cli *c, enum user_role role, const char **dir)
{
	char *cause = NULL;

	memset(c, 0, sizeof(*c));
	buf_init(&out, 0);
	buf_addstr(&out, "");
	*dir = str_dup(unit_tmpdir());
	if (store_open(*dir, STORE_SESSION, &c->st, &cause) < 0)
		UNIT_FAIL("store_open: %s", cause);
	c->clilog = logfile_open(*dir, "cli_logs", &cause);
	if (c->clilog == NULL)
		UNIT_FAIL("logfile_open: %s", cause);
	c->io = &cap_io;
	c->role = (int)role;
	str_copy(c->user, "bob", sizeof(c->user));
}

/* log_text - what cli_logs holds */
static char *
log_text(const char *dir)
{
	char path[512], chunk[4096];
	struct buf b;
	FILE *f;
	size_t n;

	str_fmt(path, sizeof(path), "%s/cli_logs.current", dir);
	if ((f = fopen(path, "r")) == NULL)
		UNIT_FAIL("cannot open %s", path);
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	buf_addch(&b, '\0');
	return buf_steal(&b);
}

/* test_run_refused - refused in one line, nothing staged, the attempt logged */
static void
test_run_refused(void)
{
	struct cli c;
	const char *dir;
	char *log;

	session(&c, ROLE_READONLY, &dir);
	CHECK_INT(cmd_run_line(&c, "smtproutes new x.test 1.2.3.4"), CMD_ERROR);
	CHECK_STR(out.data,
	    "Access denied: the readonly role may only use: smtproutes print\n");
	CHECK_INT(config_pending(c.st), 0);
	CHECK_INT(cmd_run_line(&c, "smtproutes print"), CMD_OK);
	buf_reset(&out);
	buf_addstr(&out, "");
	CHECK_INT(cmd_run_line(&c, "commit"), CMD_ERROR);
	CHECK_STR(out.data, "Access denied: the readonly role cannot run 'commit'.\n");
	log = log_text(dir);
	if (strstr(log, "User bob entered 'smtproutes new x.test 1.2.3.4'; from console\n") ==
	        NULL ||
	    strstr(log, "User bob entered 'commit'; from console\n") == NULL)
		UNIT_FAIL("cli_logs lacks the refused lines:\n%s", log);
	free(log);

	/* the same line as operator runs */
	session(&c, ROLE_OPERATOR, &dir);
	CHECK_INT(cmd_run_line(&c, "smtproutes new x.test 1.2.3.4"), CMD_OK);
	CHECK_INT(config_pending(c.st), 1);
}

/* test_log_suffix - "; session N from ORIGIN" with a session, masked as before */
static void
test_log_suffix(void)
{
	struct cli c;
	const char *dir;
	char *log;

	session(&c, ROLE_ADMIN, &dir);
	c.session = 7;
	str_copy(c.origin, "127.0.0.1 port 52390", sizeof(c.origin));
	CHECK_INT(cmd_run_line(&c, "version"), CMD_OK);
	cmd_run_line(&c, "tdcconfig setup api_key=s3cret");
	c.session = 0;
	c.origin[0] = '\0';
	cmd_run_line(&c, "nosuchcommand");
	log = log_text(dir);
	if (strstr(log, "User bob entered 'version'; session 7 from 127.0.0.1 port 52390\n") ==
	        NULL ||
	    strstr(log, "entered '(an unknown command of 13 characters, not recorded)'; from console\n") == NULL ||
	    strstr(log, "s3cret") != NULL)
		UNIT_FAIL("cli_logs:\n%s", log);
	free(log);
}

struct mask_case {
	const char *line;
	const char *logged;
};

static const struct mask_case mask_cases[] = {
	/* secret keys, any command: as before */
	{ "tdcconfig setup api_key=s3cret", "tdcconfig setup api_key=*****" },
	{ "smtproutes new x.test 1.2.3.4", "smtproutes new x.test 1.2.3.4" },
	{ "userconfig password al password=Secret-1", "userconfig password al password=*****" },
	/* secrets typed slightly wrong (CMD_F_SECRET_ARGS) */
	{ "userconfig password al Secret-1", "userconfig password al *****" },
	{ "userconfig password al 'Secret 1' x", "userconfig password al ***** *****" },
	{ "passwd Secret-1", "passwd *****" },
	{ "pass Secret-1 Again-2", "pass ***** *****" },
	{ "userconfig new x role=guest fullname=\"X Y\" passwd=Secret-1",
	    "userconfig new x role=guest fullname=\"X Y\" *****" },
	{ "userconfig new x role=guest fullname=X Secret-1", "userconfig new x role=guest fullname=X *****" },
	{ "userconfig passwrd al Secret-1", "userconfig passwrd al *****" },
	/* what the sub-commands declare stays readable */
	{ "userconfig status al locked", "userconfig status al locked" },
	{ "userconfig status al Secret-1", "userconfig status al *****" },
	{ "userconfig key al delete 2", "userconfig key al delete 2" },
	{ "userconfig key al print Secret-1", "userconfig key al print *****" },
	{ "userconfig key al add \"ssh-ed25519 AAAA a@b\"", "userconfig key al add \"ssh-ed25519 AAAA a@b\"" },
	{ "userconfig policy min_length=8 lockout=3", "userconfig policy min_length=8 lockout=3" },
	{ "userconfig edit al role=readonly", "userconfig edit al role=readonly" },
	{ "userconfig print", "userconfig print" },
	{ "passwd", "passwd" },
};

/* test_mask - cmd_mask_line: the line as cli_logs and the history keep it */
static void
test_mask(void)
{
	for (size_t i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
		char *got = cmd_mask_line(mask_cases[i].line);

		if (strcmp(got, mask_cases[i].logged) != 0)
			problem("'%s': logged as '%s', expected '%s'", mask_cases[i].line, got,
			    mask_cases[i].logged);
		free(got);
	}
	finish();
}

/* test_log_secret_args - cmd_run_line logs a mistyped password masked */
static void
test_log_secret_args(void)
{
	struct cli c;
	const char *dir;
	char *log;

	session(&c, ROLE_ADMIN, &dir);
	cmd_run_line(&c, "userconfig password bob Green-Tree-77");
	cmd_run_line(&c, "passwd Blue-Sky-4242");
	log = log_text(dir);
	if (strstr(log, "Green-Tree") != NULL || strstr(log, "Blue-Sky") != NULL ||
	    strstr(log, "User bob entered 'userconfig password bob *****'; from console\n") == NULL ||
	    strstr(log, "User bob entered 'passwd *****'; from console\n") == NULL)
		UNIT_FAIL("cli_logs:\n%s", log);
	free(log);
}

/* test_log_unknown_args - an unknown -c line (ssh gw /bin/sh) names its first word */
static void
test_log_unknown_args(void)
{
	struct cli c;
	const char *dir;
	char *log;

	session(&c, ROLE_OPERATOR, &dir);
	c.session = 9;
	str_copy(c.origin, "127.0.0.1 port 40000", sizeof(c.origin));
	c.line_from_args = 1;
	CHECK_INT(cmd_run_line(&c, "/bin/sh -c id"), CMD_ERROR);
	CHECK_INT(cmd_run_line(&c, "scp"), CMD_ERROR);
	CHECK_INT(cmd_run_line(&c, "sftp-server 'unbalanced"), CMD_ERROR);
	c.line_from_args = 0;
	CHECK_INT(cmd_run_line(&c, "Secret-1 x"), CMD_ERROR);
	log = log_text(dir);
	if (strstr(log, "User bob entered '/bin/sh ...' (unknown command); session 9 from "
			"127.0.0.1 port 40000\n") == NULL ||
	    strstr(log, "User bob entered 'scp' (unknown command); session 9") == NULL ||
	    strstr(log, "User bob entered 'sftp-server ...' (unknown command); session 9") == NULL ||
	    strstr(log, "entered '(an unknown command of 10 characters, not recorded)'; session 9") ==
	        NULL ||
	    strstr(log, "-c id") != NULL || strstr(log, "Secret") != NULL)
		UNIT_FAIL("cli_logs:\n%s", log);
	free(log);
}

/* test_help_look - help COMMAND shows a look role only the usage it may run */
static void
test_help_look(void)
{
	struct cli c;
	const char *dir;

	session(&c, ROLE_READONLY, &dir);
	CHECK_INT(cmd_run_line(&c, "help smtproutes"), CMD_OK);
	CHECK(strstr(out.data, "  smtproutes print\n") != NULL);
	CHECK(strstr(out.data, "smtproutes new") == NULL);
	CHECK(strstr(out.data, "smtproutes delete") == NULL);
	buf_reset(&out);
	buf_addstr(&out, "");
	session(&c, ROLE_OPERATOR, &dir);
	CHECK_INT(cmd_run_line(&c, "help userconfig"), CMD_OK);
	CHECK(strstr(out.data, "  userconfig print\n") != NULL);
	CHECK(strstr(out.data, "userconfig new") == NULL);
	session(&c, ROLE_ADMIN, &dir);
	CHECK_INT(cmd_run_line(&c, "help smtproutes"), CMD_OK);
	CHECK(strstr(out.data, "  smtproutes new") != NULL);
	CHECK(strstr(out.data, "  smtproutes print\n") != NULL);
}

/* test_help - help lists only what the role may run, and describes nothing else */
static void
test_help(void)
{
	struct cli c;
	const char *dir;

	session(&c, ROLE_GUEST, &dir);
	CHECK_INT(cmd_run_line(&c, "help"), CMD_OK);
	CHECK(strstr(out.data, "\nstatus ") != NULL);
	CHECK(strstr(out.data, "\nworkqueue ") != NULL);
	CHECK(strstr(out.data, "\nsmtproutes ") == NULL);
	CHECK(strstr(out.data, "\ncommit ") == NULL);
	buf_reset(&out);
	buf_addstr(&out, "");
	CHECK_INT(cmd_run_line(&c, "help commit"), CMD_ERROR);
	CHECK_STR(out.data, "Access denied: the guest role cannot run 'commit'.\n");
	buf_reset(&out);
	buf_addstr(&out, "");
	CHECK_INT(cmd_run_line(&c, "help status"), CMD_OK);

	session(&c, ROLE_ADMIN, &dir);
	CHECK_INT(cmd_run_line(&c, "help"), CMD_OK);
	for (int i = 0; cmd_table[i]; i++) {
		char want[64];

		if (cmd_table[i]->flags & CMD_F_HIDDEN)
			continue;
		str_fmt(want, sizeof(want), "\n%s ", cmd_table[i]->name);
		if (strstr(out.data, want) == NULL)
			UNIT_FAIL("admin's help lacks %s", cmd_table[i]->name);
	}
}

/* words - the candidates of line, blank-separated */
static char *
words(const char *line)
{
	struct complete_result r;
	struct buf b;

	complete_line(line, &r);
	buf_init(&b, 0);
	buf_addstr(&b, "");
	for (int i = 0; i < r.n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", r.items[i].word);
	complete_free(&r);
	return buf_steal(&b);
}

struct complete_case {
	enum user_role role;
	const char *line;
	const char *words;	/* every candidate, in order */
};

static const struct complete_case complete_cases[] = {
	{ ROLE_ADMIN, "smtproutes ", "new edit delete print clear" },
	{ ROLE_ADMIN, "com", "commit commitdetail" },
	{ ROLE_READONLY, "com", "commitdetail" },
	{ ROLE_READONLY, "smtproutes ", "print" },
	{ ROLE_READONLY, "smtproutes n", "" },
	{ ROLE_READONLY, "smtproutes new ", "" },
	{ ROLE_READONLY, "contentfilters ", "list detail" },
	{ ROLE_READONLY, "contentfilters detail ", "<NAME>" },
	{ ROLE_READONLY, "policyconfig ", "incoming outgoing" },
	{ ROLE_READONLY, "policyconfig incoming ", "print search" },
	{ ROLE_READONLY, "policyconfig incoming print ", "<NAME>" },
	{ ROLE_READONLY, "policyconfig incoming new ", "" },
	{ ROLE_READONLY, "sdradvancedconfig ", "print blocklist local feed" },
	{ ROLE_READONLY, "sdradvancedconfig local ", "print" },
	{ ROLE_READONLY, "sdradvancedconfig t", "" },
	{ ROLE_READONLY, "dnsconfig ", "print" },
	{ ROLE_READONLY, "commit ", "" },
	{ ROLE_READONLY, "workqueue ", "status" },
	{ ROLE_GUEST, "sm", "" },
	{ ROLE_GUEST, "workqueue ", "status" },
	{ ROLE_GUEST, "workqueue rate ", "" },
	{ ROLE_GUEST, "tail ", "-n -f mail_logs cli_logs <LOG>" },
	{ ROLE_TECHNICIAN, "workqueue ", "status rate pause resume" },
	{ ROLE_OPERATOR, "logconfig ", "print" },
	{ ROLE_OPERATOR, "smtproutes ", "new edit delete print clear" },
};

/* test_complete - TAB and `?` offer a role only what it may run */
static void
test_complete(void)
{
	char *got;

	for (size_t i = 0; i < sizeof(complete_cases) / sizeof(complete_cases[0]); i++) {
		const struct complete_case *t = &complete_cases[i];

		complete_set_role((int)t->role);
		got = words(t->line);
		if (strcmp(got, t->words) != 0)
			problem("%s '%s': '%s', expected '%s'", users_role_name(t->role), t->line, got,
			    t->words);
		free(got);
	}
	/* at the command position, a role sees exactly role_may_see's commands */
	for (int role = 0; role < ROLE_COUNT; role++) {
		complete_set_role(role);
		got = words("");
		for (int i = 0; cmd_table[i]; i++) {
			const struct cmd_entry *e = cmd_table[i];
			char want[64];
			int offered;

			str_fmt(want, sizeof(want), " %s ", e->name);
			{
				char *padded = str_printf(" %s ", got);

				offered = strstr(padded, want) != NULL;
				free(padded);
			}
			if (offered != (role_may_see((enum user_role)role, e) &&
					   !(e->flags & CMD_F_HIDDEN)))
				problem("%s: %s %s at the command position",
				    users_role_name((enum user_role)role), e->name,
				    offered ? "offered" : "not offered");
		}
		free(got);
	}
	complete_set_role(ROLE_ADMIN);
	finish();
}

static const struct unit_case cases[] = {
	{ "table_complete", test_table_complete },
	{ "check", test_check },
	{ "may_see", test_may_see },
	{ "run_refused", test_run_refused },
	{ "log_suffix", test_log_suffix },
	{ "mask", test_mask },
	{ "log_secret_args", test_log_secret_args },
	{ "log_unknown_args", test_log_unknown_args },
	{ "help", test_help },
	{ "help_look", test_help_look },
	{ "complete", test_complete },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("roles", cases, argc, argv);
}
