/*
 * cmd_clear.c - `clear`: discard the pending changes.
 */
#include <stdlib.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/config.h"

static enum cmd_ret
clear_exec(struct cli *c, int argc, char **argv)
{
	extern const struct cmd_entry cmd_clear_entry;
	char *cause = NULL;
	int n, yes = 1;

	if (argc > 0)
		return cmd_usage_error(c, &cmd_clear_entry, "clear");
	n = cmd_pending(c);
	if (n == 0) {
		cli_printf(c, "No changes have been made since the last commit.\n");
		return CMD_OK;
	}
	if (c->interactive) {
		switch (cli_ask_yesno(c, "Are you sure you want to clear all changes since the "
					 "last commit?", 1, &yes)) {
		case ASK_OK:
			break;
		default:
			return CMD_ABORTED;
		}
		if (!yes)
			return CMD_OK;
	}
	if (config_clear(c->st, &cause) < 0) {
		cli_error(c, "Cannot clear changes: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	cli_printf(c, "Changes cleared: %d change%s discarded.\n", n, n == 1 ? "" : "s");
	return CMD_OK;
}

const struct cmd_entry cmd_clear_entry = {
	.name = "clear",
	.usage = "clear",
	.help = "Clear pending configuration changes since the last commit.",
	.flags = CMD_F_NOABBREV,
	.exec = clear_exec,
};
