/*
 * cmd_commitdetail.c - `commitdetail`: the last commit, who, when, why, what.
 *
 * In a cluster it is the last commit of the session's level (clustermode:
 * the store's views show that level's history), named by a first line
 * "Level: ...".
 */
#include <stdlib.h>

#include "commands/cmd.h"
#include "commands/cmd_clustermode.h"
#include "commands/cmd_util.h"
#include "store/config.h"
#include "util/timefmt.h"

/* show - config_change_cb printing one committed change */
static int
show(const char *section, const char *key, const char *oldv, const char *newv, void *arg)
{
	cmd_show_change(arg, "  ", section, key, oldv, newv);
	return 0;
}

/* first - config_commit_cb keeping the newest commit */
static int
first(const struct config_commit *cm, void *arg)
{
	*(struct config_commit *)arg = *cm;
	return 1;
}

static enum cmd_ret
commitdetail_exec(struct cli *c, int argc, char **argv)
{
	extern const struct cmd_entry cmd_commitdetail_entry;
	struct config_commit cm = { .id = 0 };
	char when[64], *cause = NULL;

	if (argc > 0)
		return cmd_usage_error(c, &cmd_commitdetail_entry, "commitdetail");
	if (config_history(c->st, 1, first, &cm, &cause) < 0) {
		cli_error(c, "Cannot read commit history: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	/* in a cluster the history is the session's level's (clustermode) */
	clustermode_level_line(c);
	if (cm.id == 0) {
		cli_printf(c, "No commits have been made.\n");
		return CMD_OK;
	}
	timefmt_ctime_zone(cm.when, when, sizeof(when));
	cli_printf(c, "\nLast commit:\n");
	cli_printf(c, "Commit:    %lld\n", (long long)cm.id);
	cli_printf(c, "Time:      %s\n", when);
	cli_printf(c, "User:      %s\n", cm.user);
	cli_printf(c, "Comment:   %s\n", cm.comment);
	cli_printf(c, "Changes:   %d\n", cm.nchanges);
	if (config_commit_changes(c->st, cm.id, show, c, &cause) < 0) {
		cli_error(c, "Cannot read commit changes: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	cli_printf(c, "\n");
	return CMD_OK;
}

const struct cmd_entry cmd_commitdetail_entry = {
	.name = "commitdetail",
	.usage = "commitdetail",
	.help = "Show the details of the last commit.",
	.exec = commitdetail_exec,
};
