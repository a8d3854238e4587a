/*
 * cmd_suspendlistener.c - `suspendlistener [NAME[,NAME...]|ALL]`: new SMTP
 * sessions on the listeners get 421 and are closed; open ones finish.
 *
 * The work is in commands/suspendcmd.c (shared with the other suspend
 * and resume commands); mxgated applies it (daemon/suspend.c).
 *
 * DIAGNOSTICS: one error line, nothing changed (suspendcmd.c).
 */
#include "commands/cmd.h"
#include "commands/suspendcmd.h"

extern const struct cmd_entry cmd_suspendlistener_entry;

static const struct cmd_word suspendlistener_words[] = {
	{ "ALL", "every listener", NULL },
	{ "<LISTENER>", "a listener's name (listenerconfig), or several separated by commas", NULL },
	{ NULL, NULL, NULL },
};

static enum cmd_ret
suspendlistener_exec(struct cli *c, int argc, char **argv)
{
	return suspendcmd_listeners(c, "suspendlistener", 1, argc, argv);
}

const struct cmd_entry cmd_suspendlistener_entry = {
	.name = "suspendlistener",
	.usage = "suspendlistener [LISTENER[,LISTENER...]|ALL]",
	.help = "Suspend receiving on listeners.",
	.flags = CMD_F_ADMIN,
	.words = suspendlistener_words,
	.exec = suspendlistener_exec,
};
