/*
 * cmd_resume.c - `resume`: resumelistener ALL and resumedel ALL.
 *
 * The work is in commands/suspendcmd.c (shared with the other suspend
 * and resume commands); mxgated applies it (daemon/suspend.c).
 *
 * DIAGNOSTICS: one error line, nothing changed (suspendcmd.c).
 */
#include "commands/cmd.h"
#include "commands/suspendcmd.h"

extern const struct cmd_entry cmd_resume_entry;

static enum cmd_ret
resume_exec(struct cli *c, int argc, char **argv)
{
	return argc > 0 ? cmd_usage_error(c, &cmd_resume_entry, "resume") :
	    suspendcmd_everything(c, "resume", 0);
}

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.usage = "resume",
	.help = "Resume receiving and delivery.",
	.flags = CMD_F_ADMIN,
	.exec = resume_exec,
};
