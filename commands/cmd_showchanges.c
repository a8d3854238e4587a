/*
 * cmd_showchanges.c - `showchanges`: the pending changes as a diff.
 *
 * "+ section key = value" added, "- section key (was: v)" removed,
 * "~ section key = new (was: old)" changed; secrets show as *****.
 */
#include <stdlib.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/config.h"

/* show - config_change_cb printing one pending change */
static int
show(const char *section, const char *key, const char *oldv, const char *newv, void *arg)
{
	cmd_show_change(arg, "  ", section, key, oldv, newv);
	return 0;
}

static enum cmd_ret
showchanges_exec(struct cli *c, int argc, char **argv)
{
	extern const struct cmd_entry cmd_showchanges_entry;
	char *cause = NULL;
	int n;

	if (argc > 0)
		return cmd_usage_error(c, &cmd_showchanges_entry, "showchanges");
	n = cmd_pending(c);
	if (n == 0) {
		cli_printf(c, "No changes have been made since the last commit.\n");
		return CMD_OK;
	}
	cli_printf(c, "Pending changes (%d, not yet committed):\n", n);
	if (config_pending_list(c->st, show, c, &cause) < 0) {
		cli_error(c, "Cannot list changes: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

const struct cmd_entry cmd_showchanges_entry = {
	.name = "showchanges",
	.usage = "showchanges",
	.help = "Show the configuration changes that are pending commit.",
	.exec = showchanges_exec,
};
