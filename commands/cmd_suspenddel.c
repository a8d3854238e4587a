/*
 * cmd_suspenddel.c - `suspenddel [DOMAIN[,DOMAIN...]|ALL]`: no connection
 * is opened for the destinations; their recipients stay queued.
 *
 * The work is in commands/suspendcmd.c (shared with the other suspend
 * and resume commands); mxgated applies it (daemon/suspend.c).
 *
 * DIAGNOSTICS: one error line, nothing changed (suspendcmd.c).
 */
#include "commands/cmd.h"
#include "commands/suspendcmd.h"

extern const struct cmd_entry cmd_suspenddel_entry;

static const struct cmd_word suspenddel_words[] = {
	{ "ALL", "every destination", NULL },
	{ "<DOMAIN>", "a destination domain, or several separated by commas", NULL },
	{ NULL, NULL, NULL },
};

static enum cmd_ret
suspenddel_exec(struct cli *c, int argc, char **argv)
{
	return suspendcmd_delivery(c, "suspenddel", 1, argc, argv);
}

const struct cmd_entry cmd_suspenddel_entry = {
	.name = "suspenddel",
	.usage = "suspenddel [DOMAIN[,DOMAIN...]|ALL]",
	.help = "Suspend delivery.",
	.flags = CMD_F_ADMIN,
	.words = suspenddel_words,
	.exec = suspenddel_exec,
};
