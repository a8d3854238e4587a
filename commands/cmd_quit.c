/*
 * cmd_quit.c - `quit` / `exit`: leave the shell.
 *
 * The shell loop does the leaving (it owns the session); this handler
 * decides whether to: with uncommitted changes it warns and, at a
 * terminal, asks. It returns CMD_OK to leave, CMD_ERROR to stay.
 */
#include "commands/cmd.h"
#include "commands/cmd_util.h"

static enum cmd_ret
quit_exec(struct cli *c, int argc, char **argv)
{
	extern const struct cmd_entry cmd_quit_entry;
	int n, yes = 0;

	if (argc > 0)
		return cmd_usage_error(c, &cmd_quit_entry, "quit");
	n = cmd_pending(c);
	if (n <= 0)
		return CMD_OK;
	if (!c->interactive)
		return CMD_OK;	/* the shell warns as it leaves */
	cli_printf(c, "\nYou have %d uncommitted change%s. Use 'commit' to keep %s.\n", n,
	    n == 1 ? "" : "s", n == 1 ? "it" : "them");
	if (cli_ask_yesno(c, "Do you want to exit and discard your uncommitted changes?", 0,
		&yes) != ASK_OK || !yes)
		return CMD_ERROR;
	return CMD_OK;
}

const struct cmd_entry cmd_quit_entry = {
	.name = "quit",
	.alias = "exit",
	.usage = "quit",
	.help = "Leave the shell (warns about uncommitted changes).",
	.exec = quit_exec,
};
