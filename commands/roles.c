/*
 * roles.c - what each role may run: one rule per command (AsyncOS user
 * roles; see commands/roles.h and issue 11's design, "Roles").
 *
 * A rule names the roles that may run the command in full and the roles
 * that may only look: for them, the command's print-like sub-commands
 * ("verbs"), space-separated. A verb of a further level of sub-commands
 * is written as its path with '/' ("incoming/print": `policyconfig
 * incoming print`); a listed verb allows the words that follow it.
 *
 * The words of a line are resolved exactly as execution resolves them
 * (cmd_keys_find for a cmd_sub table, cmd_word_match for a word list:
 * unique prefixes, any case), so what is judged is what would run: a
 * word that execution would take as another sub-command, a key=value
 * word, or a bare configuration command (its menu, where anything may
 * be changed) is refused for a look role.
 *
 * admin may run everything, even a command without a rule; any other
 * role is refused a command without one (tests/unit/test_roles.c makes
 * sure there is none).
 *
 * DIAGNOSTICS: role_check's one line, "Access denied: the readonly role
 * cannot run 'commit'." or "Access denied: the readonly role may only
 * use: smtproutes print".
 */
#include <stdio.h>
#include <string.h>

#include "commands/cmd_keys.h"
#include "commands/roles.h"
#include "util/buf.h"
#include "util/str.h"

#define A	ROLE_BIT(ROLE_ADMIN)
#define O	ROLE_BIT(ROLE_OPERATOR)
#define R	ROLE_BIT(ROLE_READONLY)
#define G	ROLE_BIT(ROLE_GUEST)
#define T	ROLE_BIT(ROLE_TECHNICIAN)
#define ALL	(A | O | R | G | T)

/* Alphabetical, as cmd_table. Look verbs are checked against each command's table by the test. */
const struct role_rule role_rules[] = {
	{ "addresslistconfig",	A | O,		R | T,	"print" },
	{ "adminaccessconfig",	A,		O | R | T, "print" },
	{ "alertconfig",	A | O,		R | T,	"print" },
	{ "bouncerecipients",	A | O,		0,	NULL },
	{ "certconfig",		A | O,		R | T,	"print" },
	{ "clear",		A | O,		0,	NULL },
	{ "cloudserviceconfig", A | O,		R | G | T, "status" },
	/* every role may see the cluster; joining, leaving and groups are the admins' */
	{ "clustercheck",	ALL,		0,	NULL },
	{ "clusterconfig",	A,		O | R | G | T, "list" },
	{ "clustermode",	ALL,		0,	NULL },
	{ "commit",		A | O,		0,	NULL },
	{ "commitdetail",	A | O | R,	0,	NULL },
	{ "contentfilters",	A | O,		R | T,	"list detail" },
	{ "deletequarantine",	A | O | T,	0,	NULL },
	{ "deleterecipients",	A | O,		0,	NULL },
	{ "deliveryconfig",	A | O,		R | T,	"print" },
	{ "deliverynow",	A | O | T,	0,	NULL },
	{ "destconfig",		A | O,		R | T,	"print" },
	{ "dig",		A | O | R | T,	0,	NULL },
	{ "displayalerts",	ALL,		0,	NULL },
	{ "dnsconfig",		A | O,		R | T,	"print" },
	{ "dnsflush",		A | O | T,	0,	NULL },
	{ "filters",		A | O,		R | T,	"list detail" },
	{ "findevent",		ALL,		0,	NULL },
	{ "grep",		ALL,		0,	NULL },
	{ "help",		ALL,		0,	NULL },
	{ "hoststatus",		ALL,		0,	NULL },
	/* the API ports are the admins'; everyone may see them */
	{ "interfaceconfig",	A,		O | R | G | T, "print" },
	{ "last",		A | O | R | T,	0,	NULL },
	{ "listenerconfig",	A | O,		R | T,	"print" },
	/* a file replaces every item, the admins' own settings too */
	{ "loadconfig",		A,		0,	NULL },
	/* the audit trail's own settings are the admins' */
	{ "logconfig",		A,		O | R | T, "print" },
	{ "passwd",		ALL,		0,	NULL },
	{ "ping",		A | O | T,	0,	NULL },
	{ "policyconfig",	A | O,		R | T,
	    "incoming/print incoming/search outgoing/print outgoing/search" },
	{ "quarantineconfig",	A | O,		R | T,	"print" },
	{ "quit",		ALL,		0,	NULL },
	{ "redirectrecipients",	A | O,		0,	NULL },
	{ "releasequarantine",	A | O | T,	0,	NULL },
	/* issue 12: acting on users' mailboxes is the admins' and operators' */
	{ "remediate",		A | O,		0,	NULL },
	{ "remediationconfig",	A | O,		R | T,	"print" },
	{ "remediationreport",	A | O | R | T,	0,	NULL },
	/* every item back to its default, the admins' own settings too */
	{ "resetconfig",		A,		0,	NULL },
	{ "resetcounters",	A | O | T,	0,	NULL },
	{ "resume",		A | O | T,	0,	NULL },
	{ "resumedel",		A | O | T,	0,	NULL },
	{ "resumelistener",	A | O | T,	0,	NULL },
	/*
	 * admins only: a rollback restores every item of an older commit,
	 * the admins' own settings (users.*, adminaccess.*, the logs) too
	 */
	{ "rollbackconfig",	A,		0,	NULL },
	{ "rollovernow",	A | O | T,	0,	NULL },
	/* an encrypted file holds every secret, which no other role may read */
	{ "saveconfig",		A,		0,	NULL },
	{ "sdradvancedconfig",	A | O,		R | T,
	    "print blocklist/print local/print feed/print" },
	{ "sdrconfig",		A | O,		R | T,	"print" },
	{ "sdrdiagnostics",	A | O | R,	0,	NULL },
	{ "sdrstatus",		ALL,		0,	NULL },
	{ "sdrupdate",		A | O | T,	0,	NULL },
	/* a configuration command with nothing to print: look roles have `version` */
	{ "sethostname",	A | O,		0,	NULL },
	{ "showchanges",	A | O | R,	0,	NULL },
	/* secrets masked; the look roles that may print the configuration */
	{ "showconfig",		A | O | R,	0,	NULL },
	/* a message's text: the roles that may act on quarantined mail, not readonly or guest */
	{ "showmessage",	A | O | T,	0,	NULL },
	{ "showquarantine",	A | O | R | T,	0,	NULL },
	/* addresses and subjects, as showquarantine shows them */
	{ "showrecipients",	A | O | R | T,	0,	NULL },
	{ "smtproutes",		A | O,		R | T,	"print" },
	{ "smtptest",		A | O | T,	0,	NULL },
	{ "status",		ALL,		0,	NULL },
	/* technician looks: its store refuses a change (store_set_readonly) */
	{ "supportconfig",	A | O,		T,	"print" },
	{ "suspend",		A | O | T,	0,	NULL },
	{ "suspenddel",		A | O | T,	0,	NULL },
	{ "suspendlistener",	A | O | T,	0,	NULL },
	{ "tail",		ALL,		0,	NULL },
	{ "tdcconfig",		A | O,		R | T,	"print" },
	{ "tdcstatus",		ALL,		0,	NULL },
	{ "telnet",		A | O | T,	0,	NULL },
	{ "tlsverify",		A | O | T,	0,	NULL },
	{ "tophosts",		ALL,		0,	NULL },
	{ "traceroute",		A | O | T,	0,	NULL },
	/* accounts are the admins'; operator and readonly may list them */
	{ "userconfig",		A,		O | R,	"print" },
	{ "version",		ALL,		0,	NULL },
	{ "who",		ALL,		0,	NULL },
	{ "whoami",		ALL,		0,	NULL },
	{ "workqueue",		A | O | T,	R | G,	"status" },
	{ NULL, 0, 0, NULL },
};

const struct role_rule *
role_rule_for(const char *command)
{
	for (const struct role_rule *r = role_rules; r->command; r++)
		if (strcmp(r->command, command) == 0)
			return r;
	return NULL;
}

/* role_valid - a role the table knows */
static int
role_valid(enum user_role r)
{
	return (int)r >= 0 && r < ROLE_COUNT;
}

int
role_may_see(enum user_role r, const struct cmd_entry *e)
{
	const struct role_rule *rule;

	if (r == ROLE_ADMIN)
		return 1;
	if (!role_valid(r) || (rule = role_rule_for(e->name)) == NULL)
		return 0;
	return ((rule->full | rule->look) & ROLE_BIT(r)) != 0;
}

/* look_rule - the rule when the role may only look at e, or NULL */
static const struct role_rule *
look_rule(enum user_role r, const struct cmd_entry *e)
{
	const struct role_rule *rule;

	if (r == ROLE_ADMIN || !role_valid(r) || (rule = role_rule_for(e->name)) == NULL)
		return NULL;
	if (rule->full & ROLE_BIT(r))
		return NULL;
	return (rule->look & ROLE_BIT(r)) ? rule : NULL;
}

/* verb_listed - the path (len bytes, levels joined by '/') is one of verbs */
static int
verb_listed(const char *verbs, const char *path, size_t len)
{
	const char *p = verbs;

	while (p && *p) {
		size_t n = strcspn(p, " ");

		if (n == len && strncmp(p, path, len) == 0)
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

/* verb_prefix - some verb is the path (len bytes) or lies below it ("incoming" for "incoming/print") */
static int
verb_prefix(const char *verbs, const char *path, size_t len)
{
	const char *p = verbs;

	while (p && *p) {
		size_t n = strcspn(p, " ");

		if (n >= len && strncmp(p, path, len) == 0 && (n == len || p[len] == '/'))
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

/*
 * look_allowed - may a look role run argv (after the command's name)
 * under rule? The words are resolved as execution resolves them.
 */
static int
look_allowed(const struct role_rule *rule, const struct cmd_entry *e, int argc, char **argv)
{
	const struct cmd_sub *subs = e->subs;
	char path[256];
	size_t len = 0;

	if (rule->verbs == NULL)
		return argc == 0;
	if (argc == 0)
		return 0;	/* the menu: anything may be changed there */
	if (subs == NULL) {
		const char *w = cmd_word_match(e->words, argv[0]);

		return w != NULL && verb_listed(rule->verbs, w, strlen(w));
	}
	for (int i = 0; i < argc; i++) {
		const struct cmd_sub *s;
		int n;

		/* a key=value word goes to the nameless sub-command: a change */
		if (strchr(argv[i], '=') || (s = cmd_keys_find(subs, argv[i])) == NULL)
			return 0;
		n = snprintf(path + len, sizeof(path) - len, "%s%s", len ? "/" : "", s->name);
		if (n < 0 || (size_t)n >= sizeof(path) - len)
			return 0;
		len += (size_t)n;
		if (verb_listed(rule->verbs, path, len))
			return 1;
		if (s->subs == NULL)
			return 0;
		subs = s->subs;
	}
	return 0;	/* a level's own menu (`policyconfig incoming`) */
}

/* may_only_use - "smtproutes print, policyconfig incoming print" onto b */
static void
may_only_use(struct buf *b, const char *command, const char *verbs)
{
	const char *p = verbs;
	int first = 1;

	if (verbs == NULL) {
		buf_addstr(b, command);
		return;
	}
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n > 0) {
			buf_printf(b, "%s%s ", first ? "" : ", ", command);
			for (size_t k = 0; k < n; k++)
				buf_addch(b, p[k] == '/' ? ' ' : p[k]);
			first = 0;
		}
		p += n;
		p += strspn(p, " ");
	}
}

int
role_check(enum user_role r, const struct cmd_entry *e, int argc, char **argv, char **cause)
{
	const struct role_rule *rule;
	const char *role = role_valid(r) ? users_role_name(r) : "unknown";
	struct buf b;

	if (r == ROLE_ADMIN)
		return 0;
	rule = role_valid(r) ? role_rule_for(e->name) : NULL;
	if (rule && (rule->full & ROLE_BIT(r)))
		return 0;
	if (rule == NULL || !(rule->look & ROLE_BIT(r))) {
		*cause = str_printf("Access denied: the %s role cannot run '%s'.", role, e->name);
		return -1;
	}
	if (look_allowed(rule, e, argc, argv))
		return 0;
	buf_init(&b, 0);
	may_only_use(&b, e->name, rule->verbs);
	*cause = str_printf("Access denied: the %s role may only use: %s", role, b.data ? b.data : "");
	buf_free(&b);
	return -1;
}

int
role_word_visible(enum user_role r, const struct cmd_entry *e, const char *word)
{
	const struct role_rule *rule;

	if (!role_may_see(r, e))
		return 0;
	if ((rule = look_rule(r, e)) == NULL)
		return 1;
	/* a verb, or a level on the way to one ("incoming", then "incoming/print") */
	return rule->verbs != NULL && verb_prefix(rule->verbs, word, strlen(word));
}
