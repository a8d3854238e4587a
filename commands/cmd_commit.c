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
 *
 * In a cluster (issue 15), a session at the cluster or a group level
 * (clustermode) commits to etcd instead: one transaction that compares
 * the revision of every item changed with the one the session began
 * from, so of two operators changing one item on two machines one wins
 * and the other is told which item (mail/cluster.c clus_commit; the
 * candidate stays). mxgated's watch then applies the revision on every
 * machine; here commit waits until this machine has applied it (doing
 * it itself when mxgated is not running), then for mxgated to apply the
 * main commit that made. At the machine level nothing changes.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_commit.h"
#include "commands/cmd_util.h"
#include "mail/cluster.h"
#include "mail/confcheck.h"
#include "store/cluster.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/timefmt.h"

/* How often commit looks whether this machine has applied a cluster revision. */
#define APPLY_POLL_MS 50

/* now_ms - a monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* commit_at_level - see cmd_commit.h */
int
commit_at_level(struct cli *c)
{
	return strcmp(cluster_session_current(c->st), "machine") != 0;
}

/*
 * main_version - the machine's own latest commit: config_version reads
 * the session's level, so look from the machine level (the candidate is
 * empty after a commit, so the switch is allowed) and come back
 */
static int64_t
main_version(struct cli *c)
{
	char *level = str_dup(cluster_session_current(c->st)), *cause = NULL;
	int64_t v = -1;

	if (cluster_session_level(c->st, "machine", &cause) == 0) {
		v = config_version(c->st);
		if (cluster_session_level(c->st, level, &cause) < 0) {
			cli_printf(c, "Warning: this session is now at the machine level: %s\n",
			    cause);
			free(cause);
		}
	} else
		free(cause);
	free(level);
	return v;
}

/* wait_revision - until this machine has applied rev (bounded, Ctrl-C); 0 or -1 (said) */
static int
wait_revision(struct cli *c, struct clus *cl, int64_t rev)
{
	long long deadline = now_ms() + CMD_APPLY_WAIT_MS;
	char *cause = NULL;
	int64_t got;

	while (cluster_applied_rev(c->st) < rev) {
		/* nobody follows the watch here: read the cluster ourselves */
		if (!cmd_daemon_running(c) && clus_sync(cl, c->st, &got, &cause) < 0) {
			cli_error(c, "Committed to the cluster at revision %lld, but this machine "
				     "cannot apply it yet: %s", (long long)rev, cause);
			free(cause);
			return -1;
		}
		if (cluster_applied_rev(c->st) >= rev)
			break;
		if (cli_interrupted(c)) {
			cli_error(c, "Stopped waiting: this machine has not applied cluster revision "
				     "%lld yet (mxgated applies it when it can)", (long long)rev);
			return -1;
		}
		if (now_ms() >= deadline) {
			cli_error(c, "This machine has not applied cluster revision %lld after %d "
				     "seconds; check clustercheck and mail_logs", (long long)rev,
			    CMD_APPLY_WAIT_MS / 1000);
			return -1;
		}
		poll(NULL, 0, APPLY_POLL_MS);
	}
	return 0;
}

/* commit_to_cluster - see cmd_commit.h */
enum cmd_ret
commit_to_cluster(struct cli *c, const char *comment, const char *failed)
{
	struct clus *cl = NULL;
	char when[64], *cause = NULL;
	int64_t rev = 0, v;
	int rc = clus_open(c->st, &cl, &cause);

	if (rc == 1) {
		cli_error(c, "%s: this machine is no longer in a cluster; clear the changes and "
			     "run clustermode machine", failed);
		return CMD_ERROR;
	}
	if (rc == 0)
		rc = clus_commit(cl, c->st, c->user, comment, &rev, &cause);
	if (rc < 0) {
		/* CLUS_ECONFLICT, CLUS_EUNREACH and CLUS_EUNKNOWN causes say what to do; the candidate stays */
		cli_error(c, "%s: %s", failed, cause ? cause : "unknown error");
		free(cause);
		clus_close(cl);
		return CMD_ERROR;
	}
	timefmt_ctime_zone(time(NULL), when, sizeof(when));
	cli_printf(c, "\nChanges committed to the cluster at revision %lld: %s\n",
	    (long long)rev, when);
	rc = wait_revision(c, cl, rev);
	clus_close(cl);
	if (rc < 0)
		return CMD_ERROR;
	/* what the revision changed here is a main commit mxgated applies as any other */
	if ((v = main_version(c)) <= 0)
		return CMD_OK;
	return cmd_wait_applied(c, v);
}

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
	if (commit_at_level(c))
		return commit_to_cluster(c, comment, "Commit failed");
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
