/*
 * cmd_suspend.c - `suspend`: suspendlistener ALL and suspenddel ALL.
 *
 * The work is in commands/suspendcmd.c (shared with the other suspend
 * and resume commands); mxgated applies it (daemon/suspend.c).
 *
 * DIAGNOSTICS: one error line, nothing changed (suspendcmd.c).
 */
#include "commands/cmd.h"
#include "commands/suspendcmd.h"

extern const struct cmd_entry cmd_suspend_entry;

static enum cmd_ret
suspend_exec(struct cli *c, int argc, char **argv)
{
	return argc > 0 ? cmd_usage_error(c, &cmd_suspend_entry, "suspend") :
	    suspendcmd_everything(c, "suspend", 1);
}

const struct cmd_entry cmd_suspend_entry = {
	.name = "suspend",
	.usage = "suspend",
	.help = "Suspend receiving and delivery.",
	.flags = CMD_F_ADMIN,
	.exec = suspend_exec,
};
