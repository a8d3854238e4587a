/*
 * cmd_whoami.c - `whoami`: the account this session runs as, its role
 * and where the session comes from.
 *
 *   Username: admin
 *   Full Name: Administrator
 *   Role: admin
 *   Session: 7 from 127.0.0.1 port 52390
 *
 * Root at the console has no account: its full name says so.
 *
 * DIAGNOSTICS: one error line when the account cannot be read.
 */
#include <stdlib.h>

#include "commands/cmd.h"
#include "store/users.h"

extern const struct cmd_entry cmd_whoami_entry;

/* whoami_exec - the four lines */
static enum cmd_ret
whoami_exec(struct cli *c, int argc, char **argv)
{
	struct user u;
	char *cause = NULL;
	int r;

	(void)argv;
	if (argc > 0)
		return cmd_usage_error(c, &cmd_whoami_entry, NULL);
	r = users_get(c->st, c->user, &u, &cause);
	if (r < 0) {
		cli_error(c, "Cannot read the account %s: %s", c->user, cause);
		free(cause);
		return CMD_ERROR;
	}
	cli_printf(c, "Username: %s\n", c->user);
	cli_printf(c, "Full Name: %s\n", r == 0 ? u.fullname : "(no account: the console's "
	    "administrator)");
	cli_printf(c, "Role: %s\n", users_role_name((enum user_role)c->role));
	if (c->session > 0)
		cli_printf(c, "Session: %lld from %s\n", (long long)c->session,
		    c->origin[0] ? c->origin : "console");
	else
		cli_printf(c, "Session: none (from %s)\n", c->origin[0] ? c->origin : "console");
	return CMD_OK;
}

const struct cmd_entry cmd_whoami_entry = {
	.name = "whoami",
	.usage = "whoami",
	.help = "Show your user name, full name, role and session.",
	.exec = whoami_exec,
};
