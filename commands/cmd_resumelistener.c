/*
 * cmd_resumelistener.c - `resumelistener [NAME[,NAME...]|ALL]`: suspended
 * listeners accept mail again.
 *
 * The work is in commands/suspendcmd.c (shared with the other suspend
 * and resume commands); mxgated applies it (daemon/suspend.c).
 *
 * DIAGNOSTICS: one error line, nothing changed (suspendcmd.c).
 */
#include "commands/cmd.h"
#include "commands/suspendcmd.h"

extern const struct cmd_entry cmd_resumelistener_entry;

static const struct cmd_word resumelistener_words[] = {
	{ "ALL", "every listener", NULL },
	{ "<LISTENER>", "a listener's name (listenerconfig), or several separated by commas", NULL },
	{ NULL, NULL, NULL },
};

static enum cmd_ret
resumelistener_exec(struct cli *c, int argc, char **argv)
{
	return suspendcmd_listeners(c, "resumelistener", 0, argc, argv);
}

const struct cmd_entry cmd_resumelistener_entry = {
	.name = "resumelistener",
	.usage = "resumelistener [LISTENER[,LISTENER...]|ALL]",
	.help = "Resume receiving on suspended listeners.",
	.flags = CMD_F_ADMIN,
	.words = resumelistener_words,
	.exec = resumelistener_exec,
};
