/*
 * cmd_who.c - `who`: the shell sessions open now (AsyncOS who).
 *
 *   Username  Login Time                Idle Time  Remote Host  What  Session
 *   admin     Sun Dec  6 10:15:02 2026  2m 3s      127.0.0.1    cli   7 (this session)
 *
 * Every mxsh run has a row in the sessions table (store/users.h). A
 * session killed without closing its row leaves the row behind: a row
 * whose process is gone, or whose pid now belongs to a process started
 * at another time (/proc/PID/stat start time), is pruned here and not
 * shown.
 *
 * DIAGNOSTICS: one error line when the sessions cannot be read.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/usercmd.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_who_entry;

struct slist {
	struct user_session *s;	/* the rows */
	int n;
};

/* collect - users_sessions callback */
static int
collect(const struct user_session *s, void *arg)
{
	struct slist *l = arg;

	l->s = xrealloc(l->s, ((size_t)l->n + 1) * sizeof(*l->s));
	l->s[l->n++] = *s;
	return 0;
}

/* who_exec - the table */
static enum cmd_ret
who_exec(struct cli *c, int argc, char **argv)
{
	struct slist l = { NULL, 0 };
	char *cause = NULL, when[32], idle[32], host[96];
	time_t now = time(NULL);
	int w = 8, live = 0;

	(void)argv;
	if (argc > 0)
		return cmd_usage_error(c, &cmd_who_entry, NULL);
	if (users_sessions(c->st, collect, &l, &cause) < 0) {
		cli_error(c, "Cannot read the sessions: %s", cause);
		free(cause);
		free(l.s);
		return CMD_ERROR;
	}
	for (int i = 0; i < l.n; i++) {
		if (!usercmd_session_live(&l.s[i])) {
			/* a session that died without closing: its row goes */
			if (users_session_prune(c->st, l.s[i].id, &cause) < 0) {
				free(cause);
				cause = NULL;
			}
			l.s[i].id = 0;
			continue;
		}
		live++;
		if ((int)strlen(l.s[i].user) > w)
			w = (int)strlen(l.s[i].user);
	}
	if (live == 0) {
		cli_printf(c, "No sessions are open.\n");
		free(l.s);
		return CMD_OK;
	}
	cli_printf(c, "%-*s  %-24s  %-10s  %-15s  %-4s  %s\n", w, "Username", "Login Time",
	    "Idle Time", "Remote Host", "What", "Session");
	for (int i = 0; i < l.n && !c->stopped; i++) {
		const struct user_session *s = &l.s[i];

		if (s->id == 0)
			continue;
		timefmt_ctime(s->started, when, sizeof(when));
		cmd_duration(now > s->active ? (long long)(now - s->active) : 0, idle,
		    sizeof(idle));
		usercmd_host(s->origin, host, sizeof(host));
		cli_printf(c, "%-*s  %-24s  %-10s  %-15s  %-4s  %lld%s\n", w, s->user, when, idle,
		    host, "cli", (long long)s->id, s->id == c->session ? " (this session)" : "");
	}
	free(l.s);
	return CMD_OK;
}

const struct cmd_entry cmd_who_entry = {
	.name = "who",
	.usage = "who",
	.help = "List the users logged in and their sessions.",
	.exec = who_exec,
};
