/*
 * cmd_passwd.c - `passwd`: change the password of the account this
 * session runs as (AsyncOS passwd).
 *
 * The old password is asked first, unless the account has none yet or
 * the session is root's at the console (mxsh -u NAME run by root: root
 * may set any password with userconfig anyway). The new one is asked
 * twice and must follow the committed password rules and differ from
 * the last users.history passwords. The change takes effect at once.
 * Root at the console without -u has no account and no password here.
 *
 * DIAGNOSTICS: one error line; the password is unchanged then.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "commands/usercmd.h"
#include "util/str.h"

extern const struct cmd_entry cmd_passwd_entry;

/* old_ok - ask the old password and check it; 0 right, -1 error printed, 1 aborted */
static int
old_ok(struct cli *c, const char *name)
{
	char pw[PASSWORD_MAX + 2], *hash = NULL, *cause = NULL;
	enum ask_ret a;
	int ok;

	a = cli_ask_secret(c, "Old password:", 0, pw, sizeof(pw));
	if (a == ASK_ABORT)
		return 1;
	if (users_get_hash(c->st, name, &hash, &cause) < 0) {
		cli_error(c, "Cannot read the password of %s: %s", name, cause);
		free(cause);
		explicit_bzero(pw, sizeof(pw));
		return -1;
	}
	ok = a == ASK_OK && hash && pwhash_init() == 0 && pwhash_verify(hash, pw) == 1;
	explicit_bzero(pw, sizeof(pw));
	free(hash);
	if (!ok) {
		cli_error(c, "The old password is not correct; the password was not changed.");
		return -1;
	}
	return 0;
}

/* passwd_exec - the dialogue */
static enum cmd_ret
passwd_exec(struct cli *c, int argc, char **argv)
{
	struct user u;
	char pw[PASSWORD_MAX + 2], *cause = NULL;
	enum ask_ret a;
	int r;

	(void)argv;
	if (argc > 0)
		return cmd_usage_error(c, &cmd_passwd_entry, NULL);
	r = users_get(c->st, c->user, &u, &cause);
	if (r < 0) {
		cli_error(c, "Cannot read the account %s: %s", c->user, cause);
		free(cause);
		return CMD_ERROR;
	}
	if (r == 1) {
		if (c->root)
			cli_error(c, "passwd: root at the console has no account password; use "
				     "userconfig password NAME");
		else
			cli_error(c, "passwd: %s has no account here; an administrator makes one "
				     "with userconfig new", c->user);
		return CMD_ERROR;
	}
	if (u.has_password && !c->root) {
		r = old_ok(c, u.name);
		if (r != 0)
			return r > 0 ? CMD_ABORTED : CMD_ERROR;
	}
	a = usercmd_ask_new_password(c, u.name, "New password:", 1, pw, sizeof(pw));
	if (a == ASK_ABORT)
		return CMD_ABORTED;
	if (a != ASK_OK) {
		cli_error(c, "The password was not changed.");
		return CMD_ERROR;
	}
	r = usercmd_set_password(c, u.name, pw);
	explicit_bzero(pw, sizeof(pw));
	if (r < 0)
		return CMD_ERROR;
	cli_printf(c, "Password changed.\n");
	return CMD_OK;
}

const struct cmd_entry cmd_passwd_entry = {
	.name = "passwd",
	.usage = "passwd",
	.help = "Change your password.",
	.flags = CMD_F_SECRET_ARGS,	/* `passwd Secret` is logged as `passwd *****` */
	.exec = passwd_exec,
};
