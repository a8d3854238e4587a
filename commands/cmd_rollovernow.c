/*
 * cmd_rollovernow.c - `rollovernow [LOG]`: start a new file for a log now.
 *
 * The current file is renamed NAME.@YYYYMMDDTHHMMSS.s and a new one begun;
 * a daemon writing the log notices within a second and follows.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "store/store.h"
#include "util/logfile.h"
#include "util/str.h"

extern const struct cmd_entry cmd_rollovernow_entry;

/* The log subscriptions and the file prefix each writes. */
static const struct {
	const char *name, *prefix;
} logs[] = {
	{ "mail_logs", "mail" },
	{ "cli_logs", "cli" },
};
#define NLOGS ((int)(sizeof(logs) / sizeof(logs[0])))

/* roll - roll one log; error printed */
static int
roll(struct cli *c, int i)
{
	char *dir = str_printf("%s/logs/%s", store_dir(c->st), logs[i].name), *cause = NULL;
	struct logfile *lf;
	int r;

	/* the shell's own cli_logs handle must follow the rename too */
	if (strcmp(logs[i].name, "cli_logs") == 0 && c->clilog) {
		r = logfile_rollover(c->clilog);
		free(dir);
	} else {
		lf = logfile_open(dir, logs[i].prefix, &cause);
		free(dir);
		if (lf == NULL) {
			cli_error(c, "Cannot open %s: %s", logs[i].name, cause);
			free(cause);
			return -1;
		}
		r = logfile_rollover(lf);
		logfile_close(lf);
	}
	if (r < 0) {
		cli_error(c, "Cannot roll over %s.", logs[i].name);
		return -1;
	}
	cli_printf(c, "Log %s rolled over.\n", logs[i].name);
	return 0;
}

static enum cmd_ret
rollovernow_exec(struct cli *c, int argc, char **argv)
{
	const char *names[NLOGS + 1];
	int k = -1;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_rollovernow_entry, "rollovernow");
	if (argc == 1) {
		if (strcmp(argv[0], "all") == 0) {
			for (int i = 0; i < NLOGS; i++)
				if (roll(c, i) < 0)
					return CMD_ERROR;
			return CMD_OK;
		}
		for (int i = 0; i < NLOGS; i++)
			if (strcmp(argv[0], logs[i].name) == 0)
				k = i;
		if (k < 0) {
			cli_error(c, "Unknown log '%.60s': use mail_logs, cli_logs or all.", argv[0]);
			return CMD_ERROR;
		}
		return roll(c, k) < 0 ? CMD_ERROR : CMD_OK;
	}
	for (int i = 0; i < NLOGS; i++)
		names[i] = logs[i].name;
	names[NLOGS] = "All Logs";
	switch (cli_ask_list(c, "Currently configured logs:", names, NLOGS + 1, NLOGS + 1, &k)) {
	case ASK_OK:
		break;
	case ASK_BACK:
		return CMD_OK;
	case ASK_ABORT:
		return CMD_ABORTED;
	}
	if (k == NLOGS) {
		for (int i = 0; i < NLOGS; i++)
			if (roll(c, i) < 0)
				return CMD_ERROR;
		return CMD_OK;
	}
	return roll(c, k) < 0 ? CMD_ERROR : CMD_OK;
}

static const struct cmd_word rollovernow_words[] = {
	{ "mail_logs", "the mail log of mxgated", NULL },
	{ "cli_logs", "the log of shell commands", NULL },
	{ "all", "every log", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_rollovernow_entry = {
	.name = "rollovernow",
	.usage = "rollovernow [mail_logs|cli_logs|all]",
	.help = "Roll over a log file.",
	.flags = CMD_F_ADMIN,
	.words = rollovernow_words,
	.exec = rollovernow_exec,
};
