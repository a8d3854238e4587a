/*
 * cmd_sethostname.c - `sethostname [NAME]`: the appliance's host name,
 * shown in the prompt once committed.
 */
#include <stdlib.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_sethostname_entry;

static enum cmd_ret
sethostname_exec(struct cli *c, int argc, char **argv)
{
	char name[256], *cur, *cause = NULL;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_sethostname_entry, "sethostname");
	if (argc == 1) {
		if (argv[0][0] == '\0') {
			/* the setting may be empty (the machine's name), the command's NAME not */
			cli_error(c, "A hostname must not be empty: enter a name such as "
				     "gw1.example.com.");
			return CMD_ERROR;
		}
		if (str_copy(name, argv[0], sizeof(name)) < 0) {
			cli_error(c, "A hostname must be at most 253 characters long.");
			return CMD_ERROR;
		}
	} else {
		cur = settings_get(c->st, "system.hostname");
		if (*cur == '\0') {
			free(cur);
			cur = xmalloc(256);
			if (gethostname(cur, 256) < 0)
				cur[0] = '\0';
			cur[255] = '\0';
		}
		switch (cli_ask(c, "Enter the hostname.", cur, name, sizeof(name))) {
		case ASK_ABORT:
			free(cur);
			return CMD_ABORTED;
		case ASK_BACK:
			free(cur);
			return CMD_OK;
		case ASK_OK:
			break;
		}
		free(cur);
	}
	if (settings_set(c->st, "system.hostname", name, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

static const struct cmd_word sethostname_words[] = {
	{ "<NAME>", "fully-qualified host name, e.g. gw1.example.com", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_sethostname_entry = {
	.name = "sethostname",
	.usage = "sethostname NAME",
	.help = "Set the name of the machine.",
	.flags = CMD_F_CONFIG | CMD_F_ADMIN,
	.words = sethostname_words,
	.exec = sethostname_exec,
};
