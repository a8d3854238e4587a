/*
 * cmd_resumedel.c - `resumedel [DOMAIN[,DOMAIN...]|ALL]`: suspended
 * destinations deliver again, at once.
 *
 * The work is in commands/suspendcmd.c (shared with the other suspend
 * and resume commands); mxgated applies it (daemon/suspend.c).
 *
 * DIAGNOSTICS: one error line, nothing changed (suspendcmd.c).
 */
#include "commands/cmd.h"
#include "commands/suspendcmd.h"

extern const struct cmd_entry cmd_resumedel_entry;

static const struct cmd_word resumedel_words[] = {
	{ "ALL", "every destination", NULL },
	{ "<DOMAIN>", "a destination domain, or several separated by commas", NULL },
	{ NULL, NULL, NULL },
};

static enum cmd_ret
resumedel_exec(struct cli *c, int argc, char **argv)
{
	return suspendcmd_delivery(c, "resumedel", 0, argc, argv);
}

const struct cmd_entry cmd_resumedel_entry = {
	.name = "resumedel",
	.usage = "resumedel [DOMAIN[,DOMAIN...]|ALL]",
	.help = "Resume delivery.",
	.flags = CMD_F_ADMIN,
	.words = resumedel_words,
	.exec = resumedel_exec,
};
