/*
 * cmd_rollovernow.c - `rollovernow [LOG|all]`: start a new file for a log now.
 *
 * Any log subscription (mail/logsub.c, logconfig) can be named. The
 * current file is renamed PREFIX.@YYYYMMDDTHHMMSS.s and a new one begun;
 * rolled files beyond the subscription's keep are removed at once. A
 * daemon writing the log notices within a second and follows; this
 * shell's own cli_logs-type files follow at once. Files are renamed and
 * removed relative to the log's directory, which is opened without
 * following a symbolic link (util/logfile.c, util/fsutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "mail/logsub.h"
#include "store/queue.h"
#include "store/store.h"
#include "util/fsutil.h"
#include "util/logfile.h"
#include "util/str.h"

extern const struct cmd_entry cmd_rollovernow_entry;

/* roll - roll one log; error printed */
static int
roll(struct cli *c, const struct logsub *s)
{
	struct logfile *own = logsub_out_get(c->clilogs, s->name), *lf;
	char *dir, *cause = NULL;
	int r;

	if (own == NULL && strcmp(s->name, "cli_logs") == 0)
		own = c->clilog;
	if (own) {
		/* the shell's own handle must follow the rename too */
		r = logfile_rollover(own);
	} else {
		struct stat sb;
		char *cur = str_printf("%s.current", logsub_prefix(s->type));
		int dfd, missing;

		/*
		 * Nothing written yet: nothing to roll, and no directory made
		 * here (made by root, the daemon's user could not write it).
		 */
		dir = str_printf("%s/logs/%s", store_dir(c->st), s->name);
		dfd = fs_open_dir(dir, 0);
		r = dfd < 0 ? -1 : fstatat(dfd, cur, &sb, AT_SYMLINK_NOFOLLOW);
		missing = r < 0 && errno == ENOENT;
		if (dfd >= 0)
			close(dfd);
		free(cur);
		if (missing) {
			free(dir);
			cli_printf(c, "Log %s rolled over.\n", s->name);
			return 0;
		}
		lf = logfile_open(dir, logsub_prefix(s->type), &cause);
		free(dir);
		if (lf == NULL) {
			cli_error(c, "Cannot open %s: %s", s->name, cause);
			free(cause);
			return -1;
		}
		/* the subscription's limits: the rolled files beyond keep go now */
		logfile_set_rollover(lf, 0, 0, s->keep);
		r = logfile_rollover(lf);
		logfile_close(lf);
	}
	if (r < 0) {
		cli_error(c, "Cannot roll over %s.", s->name);
		return -1;
	}
	/*
	 * a running daemon would follow within a second on its own, and write
	 * what it logs meanwhile into the file just rolled: ask it to follow
	 * now (control.c), which it says in the new file
	 */
	if (own == NULL && cmd_daemon_running(c)) {
		struct queue *q = cmd_queue(c);

		if (q == NULL)
			return -1;	/* error printed */
		if (queue_request_add(q, "rollover", s->name, &cause) < 0) {
			cli_error(c, "Log %s rolled over, but mxgated was not told: %s", s->name,
			    cause);
			free(cause);
			return -1;
		}
	}
	cli_printf(c, "Log %s rolled over.\n", s->name);
	return 0;
}

/* roll_all - every log, built-ins first; stops at the first failure */
static enum cmd_ret
roll_all(struct cli *c, const struct logsub *subs, int n)
{
	for (int i = 0; i < n; i++)
		if (roll(c, &subs[i]) < 0)
			return CMD_ERROR;
	return CMD_OK;
}

/* names - "mail_logs, cli_logs, x" (malloc'd) */
static char *
names(const struct logsub *subs, int n)
{
	char *s = str_dup(""), *t;

	for (int i = 0; i < n; i++) {
		t = str_printf("%s%s%s", s, i ? ", " : "", subs[i].name);
		free(s);
		s = t;
	}
	return s;
}

/* choose - the list of logs and All Logs; returns what to do */
static enum cmd_ret
choose(struct cli *c, const struct logsub *subs, int n)
{
	char **items = xcalloc((size_t)n + 1, sizeof(char *));
	enum cmd_ret ret = CMD_OK;
	int k = 0;

	for (int i = 0; i < n; i++)
		items[i] = str_dup(subs[i].name);
	items[n] = str_dup("All Logs");
	switch (cli_ask_list(c, "Currently configured logs:", (const char *const *)items, n + 1,
	    n + 1, &k)) {
	case ASK_OK:
		ret = k == n ? roll_all(c, subs, n) : roll(c, &subs[k]) < 0 ? CMD_ERROR : CMD_OK;
		break;
	case ASK_BACK:
		break;
	case ASK_ABORT:
		ret = CMD_ABORTED;
		break;
	}
	for (int i = 0; i <= n; i++)
		free(items[i]);
	free(items);
	return ret;
}

static enum cmd_ret
rollovernow_exec(struct cli *c, int argc, char **argv)
{
	struct logsub *subs;
	char *cause = NULL, *list;
	enum cmd_ret ret;
	int n, k;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_rollovernow_entry, "rollovernow");
	if (logsub_load(c->st, &subs, &n, &cause) < 0) {
		cli_error(c, "Cannot read the log subscriptions: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (argc == 0) {
		ret = choose(c, subs, n);
	} else if (strcmp(argv[0], "all") == 0) {
		ret = roll_all(c, subs, n);
	} else if ((k = logsub_find(subs, n, argv[0])) >= 0) {
		ret = roll(c, &subs[k]) < 0 ? CMD_ERROR : CMD_OK;
	} else {
		list = names(subs, n);
		cli_error(c, "Unknown log '%.60s': use %s or all.", argv[0], list);
		free(list);
		ret = CMD_ERROR;
	}
	free(subs);
	return ret;
}

static const struct cmd_word rollovernow_words[] = {
	{ "mail_logs", "the mail log of mxgated", NULL },
	{ "cli_logs", "the log of shell commands", NULL },
	{ "all", "every log", NULL },
	{ "<LOG>", "a log listed by logconfig print", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_rollovernow_entry = {
	.name = "rollovernow",
	.usage = "rollovernow [LOG|all]",
	.help = "Roll over a log file.",
	.flags = CMD_F_ADMIN,
	.words = rollovernow_words,
	.exec = rollovernow_exec,
};
