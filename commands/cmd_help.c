/*
 * cmd_help.c - `help [COMMAND]`: list the commands, or one command's usage.
 *
 * A session sees only the commands its role may run (commands/roles.c):
 * the others are neither listed nor described, and of a command it may
 * only look at, only the usage lines it may run.
 *
 * DIAGNOSTICS: "Unknown command: ..." and, for a command the role may not
 * run, "Access denied: the guest role cannot run 'commit'.", one line each.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/roles.h"
#include "util/str.h"

extern const struct cmd_entry cmd_help_entry;

/*
 * usage_allowed - may the session's role run this usage line (len bytes,
 * "smtproutes print")? Judged by role_check on its words, so a look role
 * is shown only the sub-commands it may use.
 */
static int
usage_allowed(struct cli *c, const struct cmd_entry *e, const char *line, size_t len)
{
	char *copy = str_printf("%.*s", (int)len, line), *cause = NULL, **w;
	int n, r;

	w = str_split(copy, ' ', &n);
	r = n < 1 ? 0 : role_check((enum user_role)c->role, e, n - 1, w + 1, &cause);
	free(cause);
	str_split_free(w);
	free(copy);
	return r == 0;
}

static enum cmd_ret
help_exec(struct cli *c, int argc, char **argv)
{
	const struct cmd_entry *e;
	int amb;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_help_entry, "help");
	if (argc == 1) {
		e = cmd_find(argv[0], &amb);
		if (e == NULL) {
			cli_error(c, "Unknown command: '%.100s'. Type 'help' for a list of commands.",
			    argv[0]);
			return CMD_ERROR;
		}
		if (!role_may_see((enum user_role)c->role, e)) {
			char *cause = NULL;

			if (role_check((enum user_role)c->role, e, 0, NULL, &cause) < 0) {
				cli_error(c, "%s", cause);
				free(cause);
				return CMD_ERROR;
			}
		}
		cli_printf(c, "\n%s - %s\n\nUsage:\n", e->name, e->help);
		for (const char *p = e->usage; *p;) {
			const char *nl = strchr(p, '\n');
			int len = nl ? (int)(nl - p) : (int)strlen(p);

			if (usage_allowed(c, e, p, (size_t)len))
				cli_printf(c, "  %.*s\n", len, p);
			p += len + (nl ? 1 : 0);
		}
		if (e->alias)
			cli_printf(c, "\nAlso available as '%s'.\n", e->alias);
		if (e->flags & CMD_F_CONFIG)
			cli_printf(c, "\nChanges are pending until you run 'commit'.\n");
		cli_printf(c, "\n");
		return CMD_OK;
	}
	cli_printf(c, "\nCommands:\n\n");
	for (int i = 0; cmd_table[i]; i++) {
		e = cmd_table[i];
		if ((e->flags & CMD_F_HIDDEN) || !role_may_see((enum user_role)c->role, e))
			continue;
		cli_printf(c, "%-22s %s\n", e->name, e->help);
		if (e->alias)
			cli_printf(c, "%-22s %s\n", e->alias, e->help);
	}
	cli_printf(c, "\nType 'help COMMAND' for its usage; unique prefixes of most commands "
		      "work.\n\n");
	return CMD_OK;
}

static const struct cmd_word help_words[] = {
	{ "<COMMAND>", "the command to describe", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "help [COMMAND]",
	.help = "List commands, or show the usage of one command.",
	.words = help_words,
	.exec = help_exec,
};
