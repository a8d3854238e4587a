/*
 * cmd_resetconfig.c - `resetconfig [confirm]`: every configuration value
 * back to its factory setting, committed at once with the comment
 * "resetconfig".
 *
 * The factory configuration is what a fresh data directory has: no item
 * (store/cfgio.h). Operators' accounts are not configuration items and
 * are kept, so nobody is locked out; the network access settings
 * (adminaccess.*) return to their defaults, which let the accounts in.
 * Refused with pending changes of this session (they would be lost or
 * mixed in): commit or clear them first. A saved file (saveconfig) and
 * rollbackconfig both bring the configuration back.
 *
 * As AsyncOS, only while mail operations are suspended (`suspend`: every
 * listener and delivery for ALL, the queue.db state rows
 * "suspend.listeners" and "suspend.delivery" both "*"): otherwise queued
 * mail would lose its routes and destination settings under way and
 * could go out by MX in plain text. They stay suspended after the reset,
 * until the operator has configured the gateway again and resumes.
 *
 * Admins only (commands/roles.c).
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "mail/confcheck.h"
#include "store/cfgio.h"
#include "store/config.h"
#include "store/queue.h"

/* commands/suspendcmd.c's state rows (daemon/suspend.c reads them) */
#define SUSPEND_LISTENERS "suspend.listeners"
#define SUSPEND_DELIVERY "suspend.delivery"

extern const struct cmd_entry cmd_resetconfig_entry;

/* all_suspended - 1 when every listener and delivery to ALL are suspended, 0 not, -1 error printed */
static int
all_suspended(struct cli *c)
{
	static const char *const rows[] = { SUSPEND_LISTENERS, SUSPEND_DELIVERY };
	struct queue *q = cmd_queue(c);
	char *v = NULL, *cause = NULL;
	int all = 1;

	if (q == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && all; i++) {
		if (queue_state_read(q, rows[i], &v, &cause) < 0) {
			cli_error(c, "resetconfig: cannot read whether mail operations are "
				     "suspended: %s", cause);
			free(cause);
			return -1;
		}
		all = v != NULL && strcmp(v, "*") == 0;
		free(v);
		v = NULL;
	}
	return all;
}

static enum cmd_ret
resetconfig_exec(struct cli *c, int argc, char **argv)
{
	char *cause = NULL;
	int64_t id;
	int yes = 0, n;

	if (argc > 1 || (argc == 1 && cmd_word_match(cmd_resetconfig_entry.words, argv[0]) ==
	    NULL))
		return cmd_usage_error(c, &cmd_resetconfig_entry, argv[argc - 1]);
	if ((n = cmd_pending(c)) != 0) {
		cli_error(c, n < 0 ? "Cannot read pending changes." :
		    "You have uncommitted changes; commit or clear them before resetting the "
		    "configuration.");
		return CMD_ERROR;
	}
	if ((n = all_suspended(c)) <= 0) {
		if (n == 0)
			cli_error(c, "resetconfig: suspend mail operations first (suspend); nothing "
				     "was changed.");
		return CMD_ERROR;
	}
	if (argc == 0) {
		if (cli_ask_yesno(c, "Are you sure you want to reset all configuration values? "
		    "'rollbackconfig' brings them back.", 0, &yes) != ASK_OK)
			return CMD_ABORTED;
		if (!yes)
			return CMD_OK;
	}
	if (cfgio_stage_reset(c->st, &cause) < 0) {
		cli_error(c, "Cannot reset the configuration: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (cmd_pending(c) == 0) {
		cli_printf(c, "The configuration already has its factory settings.\n");
		return CMD_OK;
	}
	if (config_commit_check(c->st, c->user, "resetconfig", confcheck_commit, NULL, &id,
	    &cause) < 0) {
		cli_error(c, "Cannot reset the configuration: %s", cause);
		free(cause);
		config_clear(c->st, NULL);
		return CMD_ERROR;
	}
	cli_printf(c, "All configuration values have been reset to factory settings (commit "
		      "%lld); accounts are kept.\nMail operations stay suspended: configure the "
		      "gateway, then 'resume'. 'rollbackconfig' brings back the previous "
		      "configuration.\n", (long long)id);
	return cmd_wait_applied(c, id);
}

static const struct cmd_word resetconfig_words[] = {
	{ "confirm", "reset without asking (scripts)", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_resetconfig_entry = {
	.name = "resetconfig",
	.usage = "resetconfig [confirm]",
	.help = "Reset every configuration value to its factory setting.",
	/* not CMD_F_CONFIG: committed at once, never left pending */
	.flags = CMD_F_ADMIN | CMD_F_NOABBREV,
	.words = resetconfig_words,
	.exec = resetconfig_exec,
};
