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
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 * Secrets (client_secret, api_key) are shown as ***** and are in no
 * error line; cmd_table.c masks them in cli_logs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
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
static const char *const action_values[] = { "forward", "delete", "forward_delete" };
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
	for (int k = 0; k < TDCRULES_NKEYS; k++) {
		char label[64];

		str_fmt(label, sizeof(label), "%s:", labels[k]);
		cli_printf(c, "%-40s %s\n", label, shown(v, (enum tdcrules_key)k));
	}
}

/* print - the settings as this session sees them */
static enum cmd_ret
print(struct cli *c)
{
	struct tdcrules_vals *v = xmalloc(sizeof(*v));
	enum cmd_ret r = CMD_ERROR;

	if (tdcconfig_load(c, v) == 0) {
		print_vals(c, v);
		r = CMD_OK;
	}
	free(v);
	return r;
}

/* apply - the cascade, the rules, then stage; error printed */
static enum cmd_ret
apply(struct cli *c, const struct tdcrules_vals *cur, struct tdcrules_vals *v, unsigned given)
{
	unsigned off = tdcrules_cascade(cur, v, given);

	if (tdcconfig_check(c, cur, v) < 0 || tdcconfig_save(c, v) != CMD_OK)
		return CMD_ERROR;
	tdcconfig_also_off(c, off);
	return CMD_OK;
}

/* setup - batch key=value words, all checked before any is staged */
static enum cmd_ret
setup(struct cli *c, int argc, char **argv)
{
	struct tdcrules_vals *cur = xmalloc(sizeof(*cur)), *v = xmalloc(sizeof(*v));
	enum cmd_ret r = CMD_ERROR;
	unsigned given = 0;

	if (tdcconfig_load(c, cur) < 0)
		goto out;
	*v = *cur;
	for (int i = 0; i < argc; i++) {
		char *w = str_dup(argv[i]), *key, *value;
		int k = -1;

		if (cmd_kv_split(w, &key, &value) < 0) {
			/* a word without '=' is no secret: the masking left it alone too */
			cli_error(c, "Invalid argument '%.100s': settings are key=value with key "
				     "%s.",
			    argv[i], tdcconfig_keys_text());
		} else if ((k = tdcrules_key_find(key)) < 0) {
			cli_error(c, "Unknown key '%.100s': use %s.", key, tdcconfig_keys_text());
		} else if (given & (1u << k)) {
			cli_error(c, "The key %s is given twice; give each key once.",
			    tdcrules_key_name(k));
			k = -1;
		} else if (tdcconfig_value(c, cur, k, value, v->v[k]) < 0) {
			k = -1;
		}
		free(w);
		if (k < 0)
			goto out;
		given |= 1u << k;
	}
	r = apply(c, cur, v, given);
out:
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
		if (apply(d->c, cur, v, 1u << TDCRULES_ENABLE) != CMD_OK)
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

/* dlg_api - API: credentials, region, action, forward-to address, polling */
static enum ask_ret
dlg_api(struct dlg *d)
{
	struct tdcrules_vals *cur = xmalloc(sizeof(*cur)), *v = xmalloc(sizeof(*v));
	struct cli *c = d->c;
	enum ask_ret a;
	int act, poll;

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
		    "Enter the API region (us, de, au, in or ae), or the https:// URL of the API.",
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
	if (apply(c, cur, v, ~0u) != CMD_OK)
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

/* ---------------------------------------------------------- words and batch */

static const struct cmd_word key_words[] = {
	{ "enable=", "yes: journal incoming mail to the intake address (no: disable all)",
	    key_words },
	{ "intake_address=", "the message intake address from the Threat Defense portal",
	    key_words },
	{ "remote_ip_header=", "header carrying the client's IP (default X-IronPort-RemoteIP)",
	    key_words },
	{ "api=", "yes: use the Email Threat Defense API (needs the three credentials)",
	    key_words },
	{ "client_id=", "Email Threat Defense API client ID", key_words },
	{ "client_secret=", "Email Threat Defense API client password (never shown)", key_words },
	{ "api_key=", "Email Threat Defense API key (never shown)", key_words },
	{ "api_region=", "us (default), de, au, in, ae, or an https:// URL", key_words },
	{ "action=", "on messages in users' mailboxes: forward, delete (default), "
		     "forward_delete", key_words },
	{ "forward_to=", "the address the forward actions send to", key_words },
	{ "polling=", "yes: poll the Email Threat Defense API (needs the API)", key_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word tdcconfig_words[] = {
	{ "print", "Display the Threat Defense Connector settings.", NULL },
	{ "setup", "Change settings: key=value...", key_words },
	{ "disable", "Disable polling, the API or the connector.", disable_words },
	{ NULL, NULL, NULL },
};

/* tdcconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
tdcconfig_exec(struct cli *c, int argc, char **argv)
{
	const char *op, *what;

	if (argc == 0)
		return dialog(c);
	op = cmd_word_match(tdcconfig_words, argv[0]);
	if (op == NULL) {
		cli_error(c, "Unknown option '%.40s' for tdcconfig: use print, setup or disable.",
		    argv[0]);
		return CMD_ERROR;
	}
	if (strcmp(op, "print") == 0) {
		if (argc != 1)
			return cmd_usage_error(c, &cmd_tdcconfig_entry, "tdcconfig print");
		return print(c);
	}
	if (strcmp(op, "setup") == 0) {
		if (argc < 2)
			return cmd_usage_error(c, &cmd_tdcconfig_entry, "tdcconfig setup");
		return setup(c, argc - 1, argv + 1);
	}
	if (argc != 2)
		return cmd_usage_error(c, &cmd_tdcconfig_entry, "tdcconfig disable");
	what = cmd_word_match(disable_words, argv[1]);
	if (what == NULL) {
		cli_error(c, "Unknown option '%.40s' for tdcconfig disable: use polling, api or "
			     "connector.",
		    argv[1]);
		return CMD_ERROR;
	}
	return disable(c, disable_key(what));
}

const struct cmd_entry cmd_tdcconfig_entry = {
	.name = "tdcconfig",
	.usage = "tdcconfig print\n"
		 "tdcconfig setup enable=yes intake_address=ADDRESS [remote_ip_header=NAME]\n"
		 "tdcconfig setup api=yes client_id=ID client_secret=SECRET api_key=KEY "
		 "[api_region=us|de|au|in|ae|URL] [action=forward|delete|forward_delete] "
		 "[forward_to=ADDRESS] [polling=yes|no]\n"
		 "tdcconfig disable polling|api|connector",
	.help = "Configure the Threat Defense Connector and the Email Threat Defense API.",
	.flags = CMD_F_CONFIG,
	.words = tdcconfig_words,
	.exec = tdcconfig_exec,
};
