/*
 * cmd_alertconfig.c - `alertconfig`: who is mailed which alerts (AsyncOS
 * alertconfig), the From: address of alert mails and the interval in
 * which a repeated alert is not mailed again.
 *
 *   alertconfig new ADDRESS [classes=all|LIST] [severities=all|LIST]
 *   alertconfig edit ADDRESS [classes=all|LIST] [severities=all|LIST]
 *   alertconfig delete ADDRESS
 *   alertconfig clear
 *   alertconfig from ADDRESS|default
 *   alertconfig setup dup_interval=SEC
 *   alertconfig print
 *
 * Classes: system, queue, listener, tdc (the classes mxgated raises
 * alerts in); severities: critical, warning, information. A new
 * recipient gets all of both unless told otherwise. Everything is staged
 * in the candidate (pending until commit); recipients are items of
 * section alert.rcpt (mail/alertconf.h), the rest are settings. At a
 * terminal `alertconfig` alone shows the list and a menu doing the same.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "mail/alertconf.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_alertconfig_entry;

#define FROM_SETTING "alert.from"
#define DUP_SETTING "alert.dup_interval"

/* The recipients as this session sees them. */
struct rcpts {
	int n;
	struct alert_rcpt *r;		/* in address order */
	int bad;			/* an item did not decode */
};

/* collect - config_item_cb adding one recipient */
static int
collect(const char *section, const char *key, const char *value, void *arg)
{
	struct rcpts *rs = arg;
	struct alert_rcpt r = { 0 };
	char *cause = NULL;

	(void)section;
	if (str_copy(r.addr, key, sizeof(r.addr)) < 0 || alertconf_decode(value, &r, &cause) < 0) {
		free(cause);
		rs->bad++;
		return 0;
	}
	rs->r = xrealloc(rs->r, sizeof(*rs->r) * (size_t)(rs->n + 1));
	rs->r[rs->n++] = r;
	return 0;
}

/* rcpts_load - the list; error printed */
static int
rcpts_load(struct cli *c, struct rcpts *rs)
{
	char *cause = NULL;

	memset(rs, 0, sizeof(*rs));
	if (config_list(c->st, ALERTCONF_SECTION, collect, rs, &cause) < 0) {
		cli_error(c, "Cannot read the alert recipients: %s", cause);
		free(cause);
		free(rs->r);
		return -1;
	}
	return 0;
}

/* rcpts_find - index of an address (normalised), or -1 */
static int
rcpts_find(const struct rcpts *rs, const char *addr)
{
	for (int i = 0; i < rs->n; i++)
		if (strcmp(rs->r[i].addr, addr) == 0)
			return i;
	return -1;
}

/* stage - write one recipient (classes 0: delete it); error printed */
static int
stage(struct cli *c, const char *addr, unsigned classes, unsigned severities)
{
	char *cause = NULL, *v = NULL;
	int rc;

	if (classes == 0) {
		rc = config_delete(c->st, ALERTCONF_SECTION, addr, &cause);
	} else {
		v = alertconf_encode(classes, severities);
		rc = config_set(c->st, ALERTCONF_SECTION, addr, v, &cause);
	}
	free(v);
	if (rc < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
	}
	return rc;
}

/* check_addr - parse an address; error printed */
static int
check_addr(struct cli *c, const char *in, char *out, size_t size)
{
	char *cause = NULL;

	if (alertconf_parse_addr(in, out, size, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- operations */

/* rcpt_new - add a recipient that is not in the list */
static enum cmd_ret
rcpt_new(struct cli *c, const char *addr, unsigned classes, unsigned severities)
{
	struct rcpts rs;
	enum cmd_ret ret = CMD_ERROR;

	if (rcpts_load(c, &rs) < 0)
		return CMD_ERROR;
	if (rcpts_find(&rs, addr) >= 0)
		cli_error(c, "%s is already an alert recipient: use alertconfig edit.", addr);
	else if (rs.n >= ALERTCONF_MAX_RCPTS)
		cli_error(c, "There is a maximum of %d alert recipients.", ALERTCONF_MAX_RCPTS);
	else if (stage(c, addr, classes, severities) == 0)
		ret = CMD_OK;
	free(rs.r);
	return ret;
}

/* not_found - the address is not a recipient */
static enum cmd_ret
not_found(struct cli *c, const char *addr)
{
	cli_error(c, "%s is not an alert recipient (alertconfig print lists them).", addr);
	return CMD_ERROR;
}

/* rcpt_edit - change what a recipient gets; 0 keeps that part */
static enum cmd_ret
rcpt_edit(struct cli *c, const char *addr, unsigned classes, unsigned severities)
{
	struct rcpts rs;
	enum cmd_ret ret = CMD_ERROR;
	int i;

	if (rcpts_load(c, &rs) < 0)
		return CMD_ERROR;
	if ((i = rcpts_find(&rs, addr)) < 0)
		ret = not_found(c, addr);
	else if (stage(c, addr, classes ? classes : rs.r[i].classes,
		     severities ? severities : rs.r[i].severities) == 0)
		ret = CMD_OK;
	free(rs.r);
	return ret;
}

/* rcpt_delete - remove a recipient */
static enum cmd_ret
rcpt_delete(struct cli *c, const char *addr)
{
	struct rcpts rs;
	enum cmd_ret ret = CMD_ERROR;

	if (rcpts_load(c, &rs) < 0)
		return CMD_ERROR;
	if (rcpts_find(&rs, addr) < 0)
		ret = not_found(c, addr);
	else if (stage(c, addr, 0, 0) == 0)
		ret = CMD_OK;
	free(rs.r);
	return ret;
}

/* rcpt_clear - remove every recipient, all or none */
static enum cmd_ret
rcpt_clear(struct cli *c)
{
	struct rcpts rs;
	char *cause = NULL;
	int ok = 1;

	if (rcpts_load(c, &rs) < 0)
		return CMD_ERROR;
	if (config_begin(c->st, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		free(rs.r);
		return CMD_ERROR;
	}
	for (int i = 0; i < rs.n && ok; i++)
		ok = stage(c, rs.r[i].addr, 0, 0) == 0;
	if (config_end(c->st, ok, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		ok = 0;
	}
	free(rs.r);
	return ok ? CMD_OK : CMD_ERROR;
}

/* set_from - stage alert.from ("" for alert@HOSTNAME); error printed */
static enum cmd_ret
set_from(struct cli *c, const char *in)
{
	char addr[ALERTCONF_ADDR_MAX] = "", *cause = NULL;

	if (strcasecmp(in, "default") != 0 && check_addr(c, in, addr, sizeof(addr)) < 0)
		return CMD_ERROR;
	if (settings_stage(c->st, FROM_SETTING, addr, &cause) < 0) {
		cli_error(c, "Cannot stage %s: %s", FROM_SETTING, cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

/* print - recipients and settings */
static enum cmd_ret
print(struct cli *c)
{
	struct rcpts rs;
	char *from, *dup, cl[128], sv[64];

	if (rcpts_load(c, &rs) < 0)
		return CMD_ERROR;
	if (rs.n == 0) {
		cli_printf(c, "No alert recipients are configured.\n");
	} else {
		cli_printf(c, "Alert recipients:\n");
		for (int i = 0; i < rs.n && !c->stopped; i++)
			cli_printf(c, "  %s\n    Class: %s\n    Severities: %s\n", rs.r[i].addr,
			    alertconf_classes_text(rs.r[i].classes, cl, sizeof(cl)),
			    alertconf_severities_text(rs.r[i].severities, sv, sizeof(sv)));
	}
	if (rs.bad)
		cli_printf(c, "%d damaged recipient item%s not shown.\n", rs.bad,
		    rs.bad == 1 ? "" : "s");
	from = settings_get(c->st, FROM_SETTING);
	dup = settings_get(c->st, DUP_SETTING);
	cli_printf(c, "\nAlert From: address: %s\n", *from ? from : "alert@HOSTNAME (default)");
	cli_printf(c, "Seconds before a duplicate alert is mailed again: %s\n", dup);
	free(from);
	free(dup);
	free(rs.r);
	return CMD_OK;
}

/* ---------------------------------------------------------- batch */

/* The values a batch line gives. */
struct avals {
	unsigned classes;	/* 0: not given */
	unsigned severities;	/* 0: not given */
	char dup[32];		/* setup dup_interval= */
};

/* set - cmd_keyset.set */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct avals *a = obj;

	if (strcmp(k->name, "classes") == 0)
		return alertconf_parse_classes(value, &a->classes, cause);
	if (strcmp(k->name, "severities") == 0)
		return alertconf_parse_severities(value, &a->severities, cause);
	if (str_copy(a->dup, value, sizeof(a->dup)) < 0) {
		*cause = str_printf("Invalid dup_interval '%.100s': the value is too long.", value);
		return -1;
	}
	return 0;
}

static const struct cmd_key rkeys[] = {
	{ .name = "classes", .type = CMD_KEY_LIST,
	    .help = "all, or a comma list of system, queue, listener, tdc (default all)" },
	{ .name = "severities", .type = CMD_KEY_LIST,
	    .help = "all, or a comma list of critical, warning, information (default all)" },
	{ .name = NULL },
};

static const struct cmd_keyset rkeyset = {
	.keys = rkeys,
	.set = set,
	.syntax = "use classes=all|LIST severities=all|LIST",
};

static const struct cmd_key skeys[] = {
	{ .name = "dup_interval", .type = CMD_KEY_INT, .setting = DUP_SETTING,
	    .check = cmd_keys_setting,
	    .help = "seconds before the same alert is mailed again, 0-604800 (default 300)" },
	{ .name = NULL },
};

static const struct cmd_keyset skeyset = {
	.keys = skeys,
	.set = set,
	.syntax = "use dup_interval=SECONDS",
};

/* batch_addr - the ADDRESS word of a call; error printed */
static int
batch_addr(struct cli *c, const struct cmd_call *call, char *out, size_t size)
{
	return check_addr(c, call->argv[0], out, size);
}

static enum cmd_ret
new_sub(struct cli *c, const struct cmd_call *call)
{
	struct avals a = { 0 };
	char addr[ALERTCONF_ADDR_MAX];

	if (batch_addr(c, call, addr, sizeof(addr)) < 0 || cmd_keys_apply(c, call, &a, NULL) < 0)
		return CMD_ERROR;
	return rcpt_new(c, addr, a.classes ? a.classes : ALERTCONF_C_ALL,
	    a.severities ? a.severities : ALERTCONF_S_ALL);
}

static enum cmd_ret
edit_sub(struct cli *c, const struct cmd_call *call)
{
	struct avals a = { 0 };
	char addr[ALERTCONF_ADDR_MAX];

	if (batch_addr(c, call, addr, sizeof(addr)) < 0 || cmd_keys_apply(c, call, &a, NULL) < 0)
		return CMD_ERROR;
	return rcpt_edit(c, addr, a.classes, a.severities);
}

static enum cmd_ret
delete_sub(struct cli *c, const struct cmd_call *call)
{
	char addr[ALERTCONF_ADDR_MAX];

	if (batch_addr(c, call, addr, sizeof(addr)) < 0)
		return CMD_ERROR;
	return rcpt_delete(c, addr);
}

static enum cmd_ret
clear_sub(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return rcpt_clear(c);
}

static enum cmd_ret
from_sub(struct cli *c, const struct cmd_call *call)
{
	return set_from(c, call->argv[0]);
}

static enum cmd_ret
setup_sub(struct cli *c, const struct cmd_call *call)
{
	struct avals a = { 0 };
	char *cause = NULL;

	if (cmd_keys_apply(c, call, &a, NULL) < 0)
		return CMD_ERROR;
	if (settings_stage(c->st, DUP_SETTING, a.dup, &cause) < 0) {
		cli_error(c, "Cannot stage %s: %s", DUP_SETTING, cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

static enum cmd_ret
print_sub(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return print(c);
}

static const struct cmd_word addr_word[] = {
	{ "<ADDRESS>", "the recipient's email address", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word from_word[] = {
	{ "<ADDRESS>", "the From: address of alert mails", NULL },
	{ "default", "alert@HOSTNAME", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_sub alertconfig_subs[] = {
	{ .name = "new", .help = "Add an alert recipient.", .args = addr_word, .min_args = 1,
	    .max_args = 1, .keys = &rkeyset, .flags = CMD_SUB_KV_OPTIONAL, .exec = new_sub },
	{ .name = "edit", .help = "Change the classes or severities a recipient gets.",
	    .args = addr_word, .min_args = 1, .max_args = 1, .keys = &rkeyset, .exec = edit_sub },
	{ .name = "delete", .help = "Remove an alert recipient.", .args = addr_word,
	    .min_args = 1, .max_args = 1, .exec = delete_sub },
	{ .name = "clear", .help = "Remove every alert recipient.", .exec = clear_sub },
	{ .name = "from", .help = "Set the From: address of alert mails.", .args = from_word,
	    .min_args = 1, .max_args = 1, .exec = from_sub },
	{ .name = "setup", .help = "Set the interval before a duplicate alert is mailed again.",
	    .keys = &skeyset, .required = (const char *const[]){ "dup_interval", NULL },
	    .needs = "the seconds before a duplicate alert is mailed again", .exec = setup_sub },
	{ .name = "print", .help = "Display the alert recipients and settings.",
	    .exec = print_sub },
	{ .exec = NULL },
};

/* ---------------------------------------------------------- dialogue */

/* ask_choices - classes and severities for a recipient, current ones as defaults */
static enum ask_ret
ask_choices(struct cli *c, unsigned *classes, unsigned *severities)
{
	char def[128], in[256], *cause = NULL;
	enum ask_ret a;

	for (;;) {
		str_copy(def, *classes ? alertconf_classes_text(*classes, def, sizeof(def)) : "All",
		    sizeof(def));
		a = cli_ask(c, "Enter the alert classes, separated by commas: ALL, or some of "
			       "System, Queue, Listener, TDC.", def, in, sizeof(in));
		if (a != ASK_OK)
			return a;
		if (alertconf_parse_classes(in, classes, &cause) == 0)
			break;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
	for (;;) {
		str_copy(def, *severities ? alertconf_severities_text(*severities, def,
						sizeof(def)) : "All", sizeof(def));
		a = cli_ask(c, "Enter the severities, separated by commas: ALL, or some of "
			       "Critical, Warning, Information.", def, in, sizeof(in));
		if (a != ASK_OK)
			return a;
		if (alertconf_parse_severities(in, severities, &cause) == 0)
			break;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
	return ASK_OK;
}

/* pick - a recipient from the list; *idx chosen */
static enum ask_ret
pick(struct cli *c, const struct rcpts *rs, const char *question, int *idx)
{
	const char **items = xcalloc((size_t)rs->n, sizeof(char *));
	enum ask_ret a;

	for (int i = 0; i < rs->n; i++)
		items[i] = rs->r[i].addr;
	a = cli_ask_list(c, question, items, rs->n, 0, idx);
	free(items);
	return a;
}

/* dialog_op - one menu choice */
static enum ask_ret
dialog_op(struct cli *c, int op)
{
	char in[ALERTCONF_ADDR_MAX], addr[ALERTCONF_ADDR_MAX];
	unsigned classes = 0, severities = 0;
	struct rcpts rs;
	enum ask_ret a = ASK_OK;
	int idx;

	if (op == 0) {		/* NEW */
		for (;;) {
			a = cli_ask_required(c, "Enter the email address to send alerts to.", in,
			    sizeof(in));
			if (a != ASK_OK)
				return a;
			if (check_addr(c, in, addr, sizeof(addr)) == 0)
				break;
		}
		if ((a = ask_choices(c, &classes, &severities)) == ASK_OK)
			rcpt_new(c, addr, classes, severities);
		return a;
	}
	if (op == 4) {		/* FROM */
		char *cur = settings_get(c->st, FROM_SETTING);

		a = cli_ask(c, "Enter the From: address of alert mails, or DEFAULT for "
			       "alert@HOSTNAME.", *cur ? cur : "default", in, sizeof(in));
		free(cur);
		if (a == ASK_OK)
			set_from(c, in);
		return a;
	}
	if (op == 5) {		/* SETUP */
		const struct setting_def *d = settings_find(DUP_SETTING);
		long v;
		char num[32];

		a = cli_ask_number(c, "Enter the number of seconds before a duplicate alert is "
				      "mailed again (0: every time).",
		    settings_get_int(c->st, DUP_SETTING), d->min, d->max, &v);
		if (a == ASK_OK) {
			char *cause = NULL;

			str_fmt(num, sizeof(num), "%ld", v);
			if (settings_stage(c->st, DUP_SETTING, num, &cause) < 0) {
				cli_error(c, "Cannot stage %s: %s", DUP_SETTING, cause);
				free(cause);
			}
		}
		return a;
	}
	if (op == 3) {		/* CLEAR */
		rcpt_clear(c);
		return ASK_OK;
	}
	if (rcpts_load(c, &rs) < 0)
		return ASK_OK;
	if (rs.n == 0) {
		cli_printf(c, "No alert recipients are configured.\n");
		free(rs.r);
		return ASK_OK;
	}
	a = pick(c, &rs, op == 1 ? "Enter the number of the recipient you wish to edit." :
				   "Enter the number of the recipient you wish to delete.", &idx);
	if (a == ASK_OK && op == 1) {
		classes = rs.r[idx].classes;
		severities = rs.r[idx].severities;
		if ((a = ask_choices(c, &classes, &severities)) == ASK_OK)
			rcpt_edit(c, rs.r[idx].addr, classes, severities);
	} else if (a == ASK_OK) {
		rcpt_delete(c, rs.r[idx].addr);
	}
	free(rs.r);
	return a;
}

/* dialog - the list and the menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Add a new alert recipient." },
		{ "EDIT", "Modify an alert recipient." },
		{ "DELETE", "Remove an alert recipient." },
		{ "CLEAR", "Remove all alert recipients." },
		{ "FROM", "Set the From: address of alert mails." },
		{ "SETUP", "Set the interval before a duplicate alert is mailed again." },
	};
	enum ask_ret a;
	int op;

	for (;;) {
		cli_printf(c, "\n");
		print(c);
		cli_printf(c, "\n");
		a = cli_ask_menu(c, "Choose the operation you want to perform:", ops, 6, &op);
		if (a == ASK_OK)
			a = dialog_op(c, op);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return CMD_OK;
	}
}

/* alertconfig_exec - print, the menu at a terminal, or a batch sub-command */
static enum cmd_ret
alertconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return c->interactive ? dialog(c) : print(c);
	return cmd_keys_run(c, &cmd_alertconfig_entry, argc, argv);
}

const struct cmd_entry cmd_alertconfig_entry = {
	.name = "alertconfig",
	.usage = "alertconfig new ADDRESS [classes=all|LIST] [severities=all|LIST]\n"
		 "alertconfig edit ADDRESS [classes=all|LIST] [severities=all|LIST]\n"
		 "alertconfig delete ADDRESS\n"
		 "alertconfig clear\n"
		 "alertconfig from ADDRESS|default\n"
		 "alertconfig setup dup_interval=SEC\n"
		 "alertconfig print",
	.help = "Configure who is mailed the appliance's alerts.",
	.flags = CMD_F_CONFIG,
	.subs = alertconfig_subs,
	.exec = alertconfig_exec,
};
