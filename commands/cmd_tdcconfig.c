/*
 * cmd_tdcconfig.c - `tdcconfig`: the Threat Defense Connector, which
 * journals a copy of incoming mail to the message intake address of
 * Secure Email Threat Defense, and the Email Threat Defense API for
 * on-premises mailboxes (credentials, the action on messages in users'
 * mailboxes, API polling).
 *
 *   tdcconfig print
 *   tdcconfig setup key=value...      enable= intake_address= remote_ip_header=
 *                                     api= client_id= client_secret= api_key=
 *                                     api_region= action= forward_to= polling=
 *   tdcconfig disable polling|api|connector
 *
 * Interactive (and in batch, reading the answers from the input stream):
 * the settings, then the menu SETUP (enable the connector: intake address
 * and header), API (the API: credentials, region, action, polling) and
 * DISABLE. The values and rules are mail/tdcrules.c's (through
 * tdcconfig.c), shared with policyconfig's per-policy setting and checked
 * again at commit; like every configuration command the changes are
 * pending until commit. The dialogue reads the client secret and the API
 * key without echo at a terminal (cli_ask_secret). The API client itself is a later
 * feature: these settings are stored for it.
 *
 * The batch forms are declared once (commands/cmd_keys.h): setup's keys,
 * in mail/tdcrules.c's order, drive the parsing, the key lists of the
 * error lines, TAB completion (yes/no and the actions after '='), `?` and
 * the man page check; the values are tdcrules_value's to check.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 * Secrets (client_secret, api_key) are shown as ***** and are in no
 * error line; cmd_table.c masks them in cli_logs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/tdcconfig.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_tdcconfig_entry;

/* The labels of print, in enum tdcrules_key order. */
static const char *const labels[TDCRULES_NKEYS] = {
	"Threat Defense Connector",
	"Message Intake Address",
	"Remote IP header",
	"Email Threat Defense API",
	"Client ID",
	"Client Secret",
	"API Key",
	"API Region",
	"Action on messages in users' mailboxes",
	"Forward to",
	"Email Threat Defense API Polling",
};

/* The actions, as tdc.action stores them and as print and the dialogue name them. */
static const char *const action_values[] = { "forward", "delete", "forward_delete", NULL };
static const char *const action_names[] = { "Forward to an address", "Delete",
	"Forward to an address and delete" };
#define NACTIONS 3

/* action_index - the index of a stored action (delete if unknown) */
static int
action_index(const char *v)
{
	for (int i = 0; i < NACTIONS; i++)
		if (strcmp(v, action_values[i]) == 0)
			return i;
	return 1;
}

/* shown - how print shows value k */
static const char *
shown(const struct tdcrules_vals *v, enum tdcrules_key k)
{
	switch (k) {
	case TDCRULES_ENABLE:
	case TDCRULES_API:
	case TDCRULES_POLLING:
		return tdcrules_on(v, k) ? "Enabled" : "Disabled";
	case TDCRULES_SECRET:
	case TDCRULES_API_KEY:
		return v->v[k][0] ? SETTINGS_MASK : "not set";
	case TDCRULES_ACTION:
		return action_names[action_index(v->v[k])];
	default:
		return v->v[k][0] ? v->v[k] : "not set";
	}
}

/* print_vals - every setting, secrets masked */
static void
print_vals(struct cli *c, const struct tdcrules_vals *v)
{
	char *verdicts = settings_get(c->st, "tdc.verdicts");

	for (int k = 0; k < TDCRULES_NKEYS; k++) {
		char label[64], primary[128];

		str_fmt(label, sizeof(label), "%s:", labels[k]);
		if (k == TDCRULES_POLLING && tdcrules_on(v, TDCRULES_POLLING)) {
			/* issue 12: only the primary polls */
			tdcconfig_primary(c, primary, sizeof(primary));
			cli_printf(c, "%-40s Enabled (%s)\n", label, primary);
		} else {
			cli_printf(c, "%-40s %s\n", label, shown(v, (enum tdcrules_key)k));
		}
	}
	cli_printf(c, "%-40s %s\n", "Verdicts remediated when polling:",
	    verdicts && verdicts[0] ? verdicts : "none");
	free(verdicts);
}

/* print - the settings as this session sees them */
static enum cmd_ret
print(struct cli *c)
{
	struct tdcrules_vals *v = xmalloc(sizeof(*v));
	enum cmd_ret r = CMD_ERROR;

	if (tdcconfig_load(c, v) < 0) {
		/* error printed */
	} else if (v->lost) {
		/* say it: "*****" would claim a secret that can no longer be used */
		cli_error(c, "Cannot read the Threat Defense Connector settings: %s", v->lost_why);
	} else {
		print_vals(c, v);
		r = CMD_OK;
	}
	free(v);
	return r;
}

/*
 * apply - the cascade, the rules, then stage, with the verdict list
 * (NULL: unchanged) and what the API and polling turning on bring
 * (tdcconfig_save_api); error printed
 */
static enum cmd_ret
apply(struct cli *c, const struct tdcrules_vals *cur, struct tdcrules_vals *v, unsigned given,
    const char *verdicts)
{
	unsigned off = tdcrules_cascade(cur, v, given);

	if (tdcconfig_check(c, cur, v) < 0 || tdcconfig_save_api(c, cur, v, verdicts) != CMD_OK)
		return CMD_ERROR;
	tdcconfig_also_off(c, off);
	return CMD_OK;
}

/* What the keys of a batch setup line are applied to. */
struct setup_vals {
	const struct tdcrules_vals *cur;	/* the values as they are */
	struct tdcrules_vals *v;		/* the values as the line makes them */
	unsigned given;				/* a bit per enum tdcrules_key given */
	char verdicts[256];			/* tdc.verdicts as given, "" not given */
};

/*
 * set - cmd_keyset.set: one value checked and normalised by
 * tdcrules_value (whose causes never show a secret's value)
 */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct setup_vals *s = obj;
	int t = tdcrules_key_find(k->name);

	/* issue 12: not one of mail/tdcrules.c's, which tie only the others together */
	if (strcmp(k->name, "verdicts") == 0)
		return tdcconfig_verdicts(value, s->verdicts, sizeof(s->verdicts), cause);
	if (t < 0) {
		*cause = str_printf("The key %s has no Threat Defense Connector setting.", k->name);
		return -1;
	}
	if (tdcrules_value(s->cur, (enum tdcrules_key)t, value, s->v->v[t], cause) < 0)
		return -1;
	s->given |= 1u << t;
	return 0;
}

/*
 * The keys, in mail/tdcrules.c's order (enum tdcrules_key), so the lists
 * in the error lines read as they always have. No generic check: the
 * values are tdcrules_value's to check, with its words, and a secret's
 * value must never be echoed.
 */
static const struct cmd_key setup_keys[] = {
	{ .name = "enable", .type = CMD_KEY_YESNO,
	    .help = "yes: journal incoming mail to the intake address (no: disable all)" },
	{ .name = "intake_address", .type = CMD_KEY_TEXT,
	    .help = "the message intake address from the Threat Defense portal" },
	{ .name = "remote_ip_header", .type = CMD_KEY_TEXT,
	    .help = "header carrying the client's IP (default X-IronPort-RemoteIP)" },
	{ .name = "api", .type = CMD_KEY_YESNO,
	    .help = "yes: use the Email Threat Defense API (needs the three credentials)" },
	{ .name = "client_id", .type = CMD_KEY_TEXT, .help = "Email Threat Defense API client ID" },
	{ .name = "client_secret", .type = CMD_KEY_TEXT,
	    .help = "Email Threat Defense API client password (never shown)" },
	{ .name = "api_key", .type = CMD_KEY_TEXT,
	    .help = "Email Threat Defense API key (never shown)" },
	{ .name = "api_region", .type = CMD_KEY_TEXT,
	    .help = "us (default), de, au, in, ae, beta, or an https:// URL" },
	{ .name = "action", .type = CMD_KEY_ENUM, .values = action_values,
	    .help = "on messages in users' mailboxes: forward, delete (default), forward_delete" },
	{ .name = "forward_to", .type = CMD_KEY_TEXT,
	    .help = "the address the forward actions send to" },
	{ .name = "polling", .type = CMD_KEY_YESNO,
	    .help = "yes: poll the Email Threat Defense API (needs the API)" },
	{ .name = "verdicts", .type = CMD_KEY_LIST,
	    .help = "verdicts remediated when polling: spam,malicious,phishing,graymail,neutral,"
		    "bec,scam,noVerdict" },
	{ .name = NULL },
};

/* a stray word is never echoed: it may be the rest of a secret typed with a blank */
static const struct cmd_keyset setup_keyset = { .keys = setup_keys, .set = set,
	.flags = CMD_KEYS_NO_ECHO };

/* setup - batch key=value words, all checked before any is staged */
static enum cmd_ret
setup(struct cli *c, const struct cmd_call *call)
{
	struct tdcrules_vals *cur = xmalloc(sizeof(*cur)), *v = xmalloc(sizeof(*v));
	struct setup_vals s = { cur, v, 0, "" };
	enum cmd_ret r = CMD_ERROR;

	if (tdcconfig_load(c, cur) == 0) {
		*v = *cur;
		if (cmd_keys_apply(c, call, &s, NULL) == 0)
			r = apply(c, cur, v, s.given, s.verdicts[0] ? s.verdicts : NULL);
	}
	explicit_bzero(v, sizeof(*v));	/* it may hold a secret just typed */
	free(cur);
	free(v);
	return r;
}

static const struct cmd_word disable_words[] = {
	{ "polling", "Disable Email Threat Defense API polling only.", NULL },
	{ "api", "Disable the Email Threat Defense API, and API polling with it.", NULL },
	{ "connector", "Disable the Threat Defense Connector, and the API and polling with it.",
	    NULL },
	{ NULL, NULL, NULL },
};

/* disable_key - the key a disable word turns off */
static enum tdcrules_key
disable_key(const char *what)
{
	if (strcmp(what, "polling") == 0)
		return TDCRULES_POLLING;
	if (strcmp(what, "api") == 0)
		return TDCRULES_API;
	return TDCRULES_ENABLE;
}

/* disable - turn one of polling, api, connector off with what depends on it */
static enum cmd_ret
disable(struct cli *c, enum tdcrules_key k)
{
	static const char *const already[TDCRULES_NKEYS] = {
		[TDCRULES_ENABLE] = "The Threat Defense Connector is already disabled.",
		[TDCRULES_API] = "The Email Threat Defense API is already disabled.",
		[TDCRULES_POLLING] = "Email Threat Defense API polling is already disabled.",
	};
	struct tdcrules_vals *cur = xmalloc(sizeof(*cur)), *v = xmalloc(sizeof(*v));
	enum cmd_ret r;
	unsigned off;

	if (tdcconfig_load(c, cur) < 0) {
		r = CMD_ERROR;
	} else if (!tdcrules_on(cur, k)) {
		cli_printf(c, "%s\n", already[k]);
		r = CMD_OK;
	} else {
		/* turning things off breaks no rule: no check, so it always works */
		*v = *cur;
		str_copy(v->v[k], "no", sizeof(v->v[k]));
		off = tdcrules_cascade(cur, v, 1u << k);
		r = tdcconfig_save(c, v);
		if (r == CMD_OK)
			tdcconfig_also_off(c, off);
	}
	free(cur);
	free(v);
	return r;
}

/* ---------------------------------------------------------- dialogue */

/* A dialogue in progress. */
struct dlg {
	struct cli *c;
	int failed;		/* an operation was refused */
};

/*
 * ask_value - ask for key k until tdcconfig_value accepts the answer;
 * def is the bracketed default (NULL: none, an empty answer goes back)
 */
static enum ask_ret
ask_value(struct cli *c, const struct tdcrules_vals *cur, enum tdcrules_key k,
    const char *question, const char *def, char *out)
{
	char *in = xmalloc(TDCRULES_VALUE_MAX + 2);
	enum ask_ret a;

	for (;;) {
		a = cli_ask(c, question, def, in, TDCRULES_VALUE_MAX + 2);
		if (a != ASK_OK || tdcconfig_value(c, cur, k, in, out) == 0)
			break;
		question = NULL;	/* the error line said why; ask again */
	}
	free(in);
	return a;
}

/* dlg_setup - SETUP: enable the connector with its intake address and header */
static enum ask_ret
dlg_setup(struct dlg *d)
{
	struct tdcrules_vals *cur = xmalloc(sizeof(*cur)), *v = xmalloc(sizeof(*v));
	enum ask_ret a;

	if (tdcconfig_load(d->c, cur) < 0) {
		d->failed = 1;
		free(cur);
		free(v);
		return ASK_BACK;
	}
	*v = *cur;
	a = ask_value(d->c, cur, TDCRULES_INTAKE,
	    "Enter the message intake address from the Secure Email Threat Defense portal.",
	    cur->v[TDCRULES_INTAKE][0] ? cur->v[TDCRULES_INTAKE] : NULL, v->v[TDCRULES_INTAKE]);
	if (a == ASK_OK)
		a = ask_value(d->c, cur, TDCRULES_HEADER,
		    "Enter the name of the header that carries the connecting client's IP address "
		    "on the journal copies.",
		    cur->v[TDCRULES_HEADER], v->v[TDCRULES_HEADER]);
	if (a == ASK_OK) {
		str_copy(v->v[TDCRULES_ENABLE], "yes", sizeof(v->v[TDCRULES_ENABLE]));
		if (apply(d->c, cur, v, 1u << TDCRULES_ENABLE, NULL) != CMD_OK)
			d->failed = 1;
	}
	free(cur);
	free(v);
	return a;
}

/* Answers to a secret question before the dialogue gives up (a script feeding blanks). */
#define SECRET_TRIES 20

/*
 * ask_secret - a secret, read without echo at a terminal (cli_ask_secret).
 * With one stored, "[*****]> " and an empty answer keeps it; without, an
 * empty answer is refused and asked again, rather than going back and
 * silently dropping the dialogue's answers so far (issue 8, defect 8).
 * The answer's buffer is wiped.
 */
static enum ask_ret
ask_secret(struct cli *c, const struct tdcrules_vals *cur, enum tdcrules_key k,
    const char *question, const char *what, char *out)
{
	char *in = xmalloc(TDCRULES_VALUE_MAX + 2);
	int keep = cur->v[k][0] != '\0';
	enum ask_ret a = ASK_ABORT;

	for (int tries = 0; tries < SECRET_TRIES; tries++) {
		a = cli_ask_secret(c, question, keep, in, TDCRULES_VALUE_MAX + 2);
		question = NULL;	/* an error line says why; ask again */
		if (a == ASK_ABORT)
			break;
		if (a == ASK_OK && in[0] == '\0') {
			str_copy(out, cur->v[k], TDCRULES_VALUE_MAX + 1);
			break;
		}
		if (a == ASK_OK && tdcconfig_value(c, cur, k, in, out) == 0)
			break;
		if (a == ASK_BACK && in[0] == '\0')
			cli_error(c, "The Email Threat Defense API needs the %s: enter it, or press "
				     "Ctrl-C to leave the settings as they were.",
			    what);
		a = ASK_ABORT;
	}
	explicit_bzero(in, TDCRULES_VALUE_MAX + 2);
	free(in);
	return a;
}

/* ask_verdicts - the verdicts remediated when polling, until a valid list */
static enum ask_ret
ask_verdicts(struct cli *c, const char *def, char *out, size_t size)
{
	char in[512], *cause = NULL;
	const char *q = "Enter the verdicts to remediate, separated by commas (spam, malicious, "
			"phishing, graymail, neutral, bec, scam, noVerdict).";
	enum ask_ret a;

	for (;;) {
		a = cli_ask(c, q, def[0] ? def : NULL, in, sizeof(in));
		if (a != ASK_OK || tdcconfig_verdicts(in, out, size, &cause) == 0)
			return a;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
		q = NULL;
	}
}

/* dlg_api - API: credentials, region, action, forward-to address, polling */
static enum ask_ret
dlg_api(struct dlg *d)
{
	struct tdcrules_vals *cur = xmalloc(sizeof(*cur)), *v = xmalloc(sizeof(*v));
	struct cli *c = d->c;
	enum ask_ret a;
	int act, poll;
	char verdicts[256] = "";

	if (tdcconfig_load(c, cur) < 0) {
		d->failed = 1;
		a = ASK_BACK;
		goto out;
	}
	*v = *cur;
	if (!tdcrules_on(cur, TDCRULES_ENABLE)) {
		cli_error(c, "The Email Threat Defense API needs the Threat Defense Connector: "
			     "enable it with SETUP first.");
		d->failed = 1;
		a = ASK_BACK;
		goto out;
	}
	a = ask_value(c, cur, TDCRULES_CLIENT_ID,
	    "Enter the client ID from the Secure Email Threat Defense portal.",
	    cur->v[TDCRULES_CLIENT_ID][0] ? cur->v[TDCRULES_CLIENT_ID] : NULL,
	    v->v[TDCRULES_CLIENT_ID]);
	if (a == ASK_OK)
		a = ask_secret(c, cur, TDCRULES_SECRET, "Enter the client password (client "
							 "secret).",
		    "client password", v->v[TDCRULES_SECRET]);
	if (a == ASK_OK)
		a = ask_secret(c, cur, TDCRULES_API_KEY, "Enter the API key.", "API key",
		    v->v[TDCRULES_API_KEY]);
	if (a == ASK_OK)
		a = ask_value(c, cur, TDCRULES_REGION,
		    "Enter the API region (us, de, au, in, ae or beta), or the https:// URL of the "
		    "API.",
		    cur->v[TDCRULES_REGION], v->v[TDCRULES_REGION]);
	if (a == ASK_OK)
		a = cli_ask_list(c, "Choose the action to take on messages in users' mailboxes:",
		    action_names, NACTIONS, action_index(cur->v[TDCRULES_ACTION]) + 1, &act);
	if (a != ASK_OK)
		goto out;
	str_copy(v->v[TDCRULES_ACTION], action_values[act], sizeof(v->v[TDCRULES_ACTION]));
	/* an empty answer without a default goes back, so the address cannot end up empty */
	if (act != 1) {
		a = ask_value(c, cur, TDCRULES_FORWARD_TO,
		    "Enter the address to forward the messages to.",
		    cur->v[TDCRULES_FORWARD_TO][0] ? cur->v[TDCRULES_FORWARD_TO] : NULL,
		    v->v[TDCRULES_FORWARD_TO]);
		if (a != ASK_OK)
			goto out;
	}
	a = cli_ask_yesno(c, "Would you like to enable Email Threat Defense API polling?",
	    tdcrules_on(cur, TDCRULES_POLLING), &poll);
	if (a != ASK_OK)
		goto out;
	str_copy(v->v[TDCRULES_API], "yes", sizeof(v->v[TDCRULES_API]));
	str_copy(v->v[TDCRULES_POLLING], poll ? "yes" : "no", sizeof(v->v[TDCRULES_POLLING]));
	if (poll) {
		char *def = settings_get(c->st, "tdc.verdicts");

		a = ask_verdicts(c, def ? def : "", verdicts, sizeof(verdicts));
		free(def);
		if (a != ASK_OK)
			goto out;
	}
	if (apply(c, cur, v, ~0u, verdicts[0] ? verdicts : NULL) != CMD_OK)
		d->failed = 1;
out:
	free(cur);
	free(v);
	return a;
}

/* dlg_disable - DISABLE: polling, the API or the whole connector */
static enum ask_ret
dlg_disable(struct dlg *d)
{
	static const struct cli_choice items[] = {
		{ "POLLING", "Disable Email Threat Defense API polling only." },
		{ "API", "Disable the Email Threat Defense API (and API polling)." },
		{ "CONNECTOR", "Disable the Threat Defense Connector (and the API and API "
			       "polling)." },
	};
	static const enum tdcrules_key keys[] = { TDCRULES_POLLING, TDCRULES_API,
		TDCRULES_ENABLE };
	enum ask_ret a;
	int k;

	a = cli_ask_menu(d->c, "Choose what to disable:", items, 3, &k);
	if (a == ASK_OK && disable(d->c, keys[k]) != CMD_OK)
		d->failed = 1;
	return a;
}

/* dialog - the settings and the menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "SETUP", "Enable the Threat Defense Connector and set its message intake "
			   "address." },
		{ "API", "Configure the Email Threat Defense API (credentials, mailbox action, "
			 "polling)." },
		{ "DISABLE", "Disable API polling, the API or the connector." },
	};
	struct dlg d = { c, 0 };
	enum ask_ret a;
	int op;

	for (;;) {
		cli_printf(c, "\n");
		print(c);
		a = cli_ask_menu(c, NULL, ops, 3, &op);
		if (a == ASK_OK) {
			if (op == 0)
				a = dlg_setup(&d);
			else if (op == 1)
				a = dlg_api(&d);
			else
				a = dlg_disable(&d);
			/* an empty answer inside an operation returns to this menu */
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return d.failed ? CMD_ERROR : CMD_OK;
	}
}

/* ---------------------------------------------------------- table entry */

/* print_sub - batch "print" */
static enum cmd_ret
print_sub(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return print(c);
}

/* disable_sub - batch "disable polling|api|connector" (cmd_keys_run checked the word) */
static enum cmd_ret
disable_sub(struct cli *c, const struct cmd_call *call)
{
	const char *what = cmd_word_match(disable_words, call->argv[0]);

	return what ? disable(c, disable_key(what)) : CMD_ERROR;
}

static const struct cmd_sub tdcconfig_subs[] = {
	{ .name = "print", .help = "Display the Threat Defense Connector settings.",
	    .exec = print_sub },
	{ .name = "setup", .help = "Change settings: key=value...", .keys = &setup_keyset,
	    .exec = setup },
	{ .name = "disable", .help = "Disable polling, the API or the connector.",
	    .args = disable_words, .min_args = 1, .max_args = 1, .exec = disable_sub },
	{ .exec = NULL },
};

/* tdcconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
tdcconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_tdcconfig_entry, argc, argv);
}

const struct cmd_entry cmd_tdcconfig_entry = {
	.name = "tdcconfig",
	.usage = "tdcconfig print\n"
		 "tdcconfig setup enable=yes intake_address=ADDRESS [remote_ip_header=NAME]\n"
		 "tdcconfig setup api=yes client_id=ID client_secret=SECRET api_key=KEY "
		 "[api_region=us|de|au|in|ae|beta|URL] [action=forward|delete|forward_delete] "
		 "[forward_to=ADDRESS] [polling=yes|no] [verdicts=VERDICT,...]\n"
		 "tdcconfig disable polling|api|connector",
	.help = "Configure the Threat Defense Connector and the Email Threat Defense API.",
	.flags = CMD_F_CONFIG,
	.subs = tdcconfig_subs,
	.exec = tdcconfig_exec,
};
