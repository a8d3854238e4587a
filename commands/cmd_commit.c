/*
 * cmd_commit.c - `commit [COMMENT...]`: make the pending changes running.
 *
 * Interactive: asks for a comment. The store applies everything in one
 * transaction; if another session committed a conflicting change in
 * between, the commit is refused naming the item and the candidate stays.
 * With mxgated running, commit then waits for it to apply the commit and
 * reports the alerts it raised for what it could not apply
 * (cmd_wait_applied).
 *
 * Inside the commit's transaction the cross-item rules (mail/confcheck.c)
 * are checked on the merged result, so two sessions cannot together
 * commit what breaks one (a custom policy intake address outside a new
 * global intake domain): the second commit is refused naming the rule,
 * nothing changes and its candidate stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "mail/confcheck.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/timefmt.h"

static enum cmd_ret
commit_exec(struct cli *c, int argc, char **argv)
{
	char comment[256], when[64], *cause = NULL;
	struct buf b;
	int64_t id;
	int n = cmd_pending(c);

	/* arguments first: a malformed command fails whether or not changes are pending */
	if (argc > 0) {
		buf_init(&b, sizeof(comment) - 1);
		for (int i = 0; i < argc; i++)
			if (buf_printf(&b, "%s%s", i ? " " : "", argv[i]) < 0) {
				buf_free(&b);
				cli_error(c, "The comment cannot be longer than %zu characters.",
				    sizeof(comment) - 1);
				return CMD_ERROR;
			}
		snprintf(comment, sizeof(comment), "%s", b.data);
		buf_free(&b);
	}
	if (n < 0) {
		cli_error(c, "Cannot read pending changes.");
		return CMD_ERROR;
	}
	if (n == 0) {
		cli_printf(c, "There is no data to commit.\n");
		return CMD_OK;
	}
	if (argc == 0) {
		switch (cli_ask(c, "Please enter some comments describing your changes:", "",
		    comment, sizeof(comment))) {
		case ASK_ABORT:
			return CMD_ABORTED;
		case ASK_BACK:
			comment[0] = '\0';
			break;
		case ASK_OK:
			break;
		}
	}
	for (char *p = comment; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (config_commit_check(c->st, c->user, comment, confcheck_commit, NULL, &id,
	    &cause) < 0) {
		cli_error(c, "Commit failed: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	timefmt_ctime_zone(time(NULL), when, sizeof(when));
	cli_printf(c, "\nChanges committed: %s\n", when);
	/* done means done: a running daemon reports it applied, or what it could not */
	return cmd_wait_applied(c, id);
}

static const struct cmd_word commit_words[] = {
	{ "<COMMENT>", "words describing the changes", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_commit_entry = {
	.name = "commit",
	.usage = "commit [COMMENT...]",
	.help = "Commit the pending configuration changes.",
	.flags = CMD_F_NOABBREV,
	.words = commit_words,
	.exec = commit_exec,
};
