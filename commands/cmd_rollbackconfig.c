/*
 * cmd_rollbackconfig.c - `rollbackconfig [N [COMMENT...]]`: restore the
 * configuration as it was after commit N, as a new commit.
 *
 * Refuses while changes are pending (they would be mixed into the
 * rollback). Secrets come back too: the history shows only that they
 * changed, and the store stages the encrypted value that was running
 * then (store/secret.h), so a certificate returns with its key. Interactive: lists the recent commits, asks which, confirms
 * and asks for a comment. Admins only (commands/roles.c): a rollback
 * restores the admins' own settings (users.*, adminaccess.*, logs) too.
 *
 * In a cluster (issue 15) it works on the session's level (clustermode),
 * named by a "Level: ..." line: the store's views show that level's
 * history, and a cluster or group rollback is committed to etcd
 * (cmd_commit.h commit_to_cluster).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_clustermode.h"
#include "commands/cmd_commit.h"
#include "commands/cmd_util.h"
#include "mail/confcheck.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/timefmt.h"

/* How many commits the interactive list shows. */
#define ROLLBACK_LIST 10

extern const struct cmd_entry cmd_rollbackconfig_entry;

/* list_one - config_commit_cb printing one history row */
static int
list_one(const struct config_commit *cm, void *arg)
{
	struct cli *c = arg;
	char when[64];

	timefmt_ctime_zone(cm->when, when, sizeof(when));
	cli_printf(c, "%6lld  %-28s  %-12s  %s\n", (long long)cm->id, when, cm->user, cm->comment);
	return 0;
}

static enum cmd_ret
rollbackconfig_exec(struct cli *c, int argc, char **argv)
{
	struct config_commit cm;
	char answer[32], comment[256], *cause = NULL;
	long id;
	int64_t newid;
	int r, yes = 1;

	if (cmd_pending(c) > 0) {
		cli_error(c, "You have uncommitted changes; commit or clear them before rolling "
			     "back.");
		return CMD_ERROR;
	}
	/* in a cluster the history is the session's level's (clustermode) */
	if (argc == 0)
		cli_printf(c, "\n");
	clustermode_level_line(c);
	if (argc == 0) {
		cli_printf(c, "Recent commits:\n\n%6s  %-28s  %-12s  %s\n", "Commit",
		    "Committed on", "User", "Comment");
		if (config_history(c->st, ROLLBACK_LIST, list_one, c, &cause) < 0) {
			cli_error(c, "Cannot read commit history: %s", cause);
			free(cause);
			return CMD_ERROR;
		}
		switch (cli_ask(c, "Enter the number of the commit to roll back to.", NULL, answer,
		    sizeof(answer))) {
		case ASK_ABORT:
			return CMD_ABORTED;
		case ASK_BACK:
			return CMD_OK;
		case ASK_OK:
			break;
		}
	} else {
		str_copy(answer, argv[0], sizeof(answer));
	}
	if (str_to_long(answer, 1, 0x7fffffffL, &id) < 0) {
		cli_error(c, "Not a valid commit number: '%.40s'", answer);
		return CMD_ERROR;
	}
	r = config_commit_get(c->st, id, &cm, &cause);
	if (r < 0) {
		cli_error(c, "Cannot read commit history: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (r == 1) {
		cli_error(c, "There is no commit %ld; see 'rollbackconfig' for the list.", id);
		return CMD_ERROR;
	}
	if (argc > 1) {
		struct buf b;

		buf_init(&b, sizeof(comment) - 1);
		for (int i = 1; i < argc; i++)
			buf_printf(&b, "%s%s", i > 1 ? " " : "", argv[i]);
		if (b.toobig) {
			buf_free(&b);
			cli_error(c, "The comment cannot be longer than %zu characters.",
			    sizeof(comment) - 1);
			return CMD_ERROR;
		}
		str_copy(comment, b.data, sizeof(comment));
		buf_free(&b);
	} else {
		snprintf(comment, sizeof(comment), "rollback to commit %ld", id);
	}
	if (config_stage_rollback(c->st, id, &cause) < 0) {
		cli_error(c, "Cannot prepare the rollback: %s", cause);
		free(cause);
		config_clear(c->st, NULL);
		return CMD_ERROR;
	}
	if (cmd_pending(c) == 0) {
		cli_printf(c, "The configuration already matches commit %ld.\n", id);
		return CMD_OK;
	}
	if (argc == 0) {
		if (cli_ask_yesno(c, "Do you want to roll back to this configuration?", 1, &yes) !=
		    ASK_OK || !yes) {
			config_clear(c->st, NULL);
			return yes ? CMD_ABORTED : CMD_OK;
		}
		r = cli_ask(c, "Please enter some comments describing your changes:", comment,
		    comment, sizeof(comment));
		if (r == ASK_ABORT) {
			config_clear(c->st, NULL);
			return CMD_ABORTED;
		}
	}
	/* a cluster or group level's rollback is a commit to etcd like any other there */
	if (commit_at_level(c)) {
		enum cmd_ret ret = commit_to_cluster(c, comment, "Rollback failed");
		int committed = cmd_pending(c) == 0;	/* etcd took it (clus_commit clears) */

		config_clear(c->st, NULL);
		if (committed)
			cli_printf(c, "Configuration of this level rolled back to commit %ld.\n",
			    id);
		return ret;
	}
	/* the rules of today apply to the configuration restored (mail/confcheck.c) */
	if (config_commit_check(c->st, c->user, comment, confcheck_commit, NULL, &newid,
		&cause) < 0) {
		cli_error(c, "Rollback failed: %s", cause);
		free(cause);
		config_clear(c->st, NULL);
		return CMD_ERROR;
	}
	cli_printf(c, "Configuration rolled back to commit %ld (new commit %lld).\n", id,
	    (long long)newid);
	return cmd_wait_applied(c, newid);
}

static const struct cmd_word rollback_words[] = {
	{ "<N>", "the commit number to restore (see the list)", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_rollbackconfig_entry = {
	.name = "rollbackconfig",
	.usage = "rollbackconfig [N [COMMENT...]]",
	.help = "Roll back to a previously committed configuration.",
	/* not CMD_F_CONFIG: the rollback is committed at once, never left pending */
	.flags = CMD_F_ADMIN | CMD_F_NOABBREV,
	.words = rollback_words,
	.exec = rollbackconfig_exec,
};
