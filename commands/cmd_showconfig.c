/*
 * cmd_showconfig.c - `showconfig`: the running configuration as saveconfig
 * would write it, secrets always masked (AsyncOS showconfig). Paged at a
 * terminal like any long output (cli_printf). Secrets are never opened:
 * only whether each is set is shown, and a lost DIR/secret.key does not
 * stop it.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cfgcmd.h"
#include "commands/cmd.h"

extern const struct cmd_entry cmd_showconfig_entry;

static enum cmd_ret
showconfig_exec(struct cli *c, int argc, char **argv)
{
	struct cfgfile f;
	char *text, *cause = NULL, *line, *nl;

	if (argc > 0)
		return cmd_usage_error(c, &cmd_showconfig_entry, argv[0]);
	if (cfgcmd_build(c, &f, 0) < 0)
		return CMD_ERROR;
	text = cfgfile_write(&f, NULL, &cause);
	cfgfile_free(&f);
	if (text == NULL) {
		cli_error(c, "Cannot show the configuration: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	/* a line at a time: a value may be megabytes (a CA bundle), a line is short */
	for (line = text; *line && !c->stopped && !cli_interrupted(c); line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL) {
			cli_printf(c, "%s\n", line);
			break;
		}
		cli_printf(c, "%.*s\n", (int)(nl - line), line);
	}
	free(text);
	return CMD_OK;
}

const struct cmd_entry cmd_showconfig_entry = {
	.name = "showconfig",
	.usage = "showconfig",
	.help = "Display the running configuration, passphrases masked.",
	.flags = 0,
	.words = NULL,
	.exec = showconfig_exec,
};
