/*
 * cmd_last.c - `last`: the login record, newest first.
 *
 *   last [NAME] [N]
 *
 *   Username  Remote Host  Login Time                Logout Time               Total Time
 *   admin     127.0.0.1    Sun Dec  6 10:15:02 2026  Sun Dec  6 10:20:04 2026  5m 2s
 *   admin     127.0.0.1    Sun Dec  6 10:25:00 2026  still logged in           1m 0s
 *   bob       10.0.0.9     Sun Dec  6 10:14:00 2026  failed password           -
 *
 * Each login is one row, its logout found by the session number; a
 * session still open says "still logged in", one that ended without a
 * logout line (killed) "gone - no logout". A failed password login is a
 * row of its own ("failed password"), and so is an account being locked
 * by them ("account locked") and a login refused because the account is
 * locked ("refused: account locked"). An idle timeout is named after the logout
 * time. NAME shows one account's rows; N the newest N rows (default 50,
 * at most the USERS_LOGINS_KEEP the store keeps).
 *
 * DIAGNOSTICS: one error line on a bad argument or a store error.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/usercmd.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_last_entry;

#define LAST_DEFAULT 50

struct rec {
	struct user_login *l;	/* the record, newest first */
	int n;
	struct user_session *s;	/* live sessions */
	int ns;
};

static int
rec_cb(const struct user_login *l, void *arg)
{
	struct rec *r = arg;

	r->l = xrealloc(r->l, ((size_t)r->n + 1) * sizeof(*r->l));
	r->l[r->n++] = *l;
	return 0;
}

static int
sess_cb(const struct user_session *s, void *arg)
{
	struct rec *r = arg;

	if (!usercmd_session_live(s))
		return 0;
	r->s = xrealloc(r->s, ((size_t)r->ns + 1) * sizeof(*r->s));
	r->s[r->ns++] = *s;
	return 0;
}

/* session_open - is session id live now? */
static int
session_open(const struct rec *r, int64_t id)
{
	for (int i = 0; i < r->ns; i++)
		if (r->s[i].id == id)
			return 1;
	return 0;
}

/* all_digits - a count rather than a name */
static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* last_exec - parse [NAME] [N], then the rows */
static enum cmd_ret
last_exec(struct cli *c, int argc, char **argv)
{
	struct rec r = { 0 };
	const char *name = NULL;
	char *cause = NULL, in[32], out[64], total[32], host[96];
	long limit = LAST_DEFAULT;
	time_t now = time(NULL);
	int shown = 0, w = 8, hw = 11, have_n = 0;

	if (argc > 2)
		return cmd_usage_error(c, &cmd_last_entry, NULL);
	for (int i = 0; i < argc; i++) {
		if (all_digits(argv[i]) && !have_n) {
			if (str_to_long(argv[i], 1, USERS_LOGINS_KEEP, &limit) < 0) {
				cli_error(c, "Invalid count '%.20s': give a number from 1 to %d.",
				    argv[i], USERS_LOGINS_KEEP);
				return CMD_ERROR;
			}
			have_n = 1;
		} else if (name == NULL && !all_digits(argv[i])) {
			if (users_name_ok(argv[i], &cause) < 0) {
				cli_error(c, "%s", cause);
				free(cause);
				return CMD_ERROR;
			}
			name = argv[i];
		} else {
			return cmd_usage_error(c, &cmd_last_entry, NULL);
		}
	}
	if (users_logins(c->st, USERS_LOGINS_KEEP, rec_cb, &r, &cause) < 0 ||
	    users_sessions(c->st, sess_cb, &r, &cause) < 0) {
		cli_error(c, "Cannot read the login record: %s", cause);
		free(cause);
		free(r.l);
		free(r.s);
		return CMD_ERROR;
	}
	for (int i = 0; i < r.n; i++) {
		usercmd_host(r.l[i].origin, host, sizeof(host));
		if ((int)strlen(r.l[i].user) > w)
			w = (int)strlen(r.l[i].user);
		if ((int)strlen(host) > hw)
			hw = (int)strlen(host);
	}
	for (int i = 0; i < r.n && shown < limit && !c->stopped; i++) {
		const struct user_login *l = &r.l[i];
		const char *detail = "";

		if (name && strcmp(l->user, name) != 0)
			continue;
		if (strcmp(l->event, "login") == 0) {
			int j = -1;

			/* its logout is newer, so earlier in the list */
			for (int k = i - 1; k >= 0 && l->session != 0; k--)
				if (r.l[k].session == l->session &&
				    strcmp(r.l[k].event, "logout") == 0) {
					j = k;
					break;
				}
			if (j >= 0) {
				long long secs = (long long)(r.l[j].when - l->when);

				timefmt_ctime(r.l[j].when, out, sizeof(out));
				cmd_duration(secs > 0 ? secs : 0, total, sizeof(total));
				detail = r.l[j].detail;
			} else if (session_open(&r, l->session)) {
				str_copy(out, "still logged in", sizeof(out));
				cmd_duration(now > l->when ? (long long)(now - l->when) : 0, total,
				    sizeof(total));
			} else {
				str_copy(out, "gone - no logout", sizeof(out));
				str_copy(total, "-", sizeof(total));
			}
		} else if (strcmp(l->event, "failed") == 0) {
			/* a locked account is refused before its password is looked at */
			str_copy(out, strcmp(l->detail, "locked") == 0 ? "refused: account locked" :
			    "failed password", sizeof(out));
			str_copy(total, "-", sizeof(total));
		} else if (strcmp(l->event, "locked") == 0) {
			str_copy(out, "account locked", sizeof(out));
			str_copy(total, "-", sizeof(total));
		} else {
			continue;	/* a logout: shown with its login */
		}
		if (shown++ == 0)
			cli_printf(c, "%-*s  %-*s  %-24s  %-24s  %s\n", w, "Username", hw,
			    "Remote Host", "Login Time", "Logout Time", "Total Time");
		timefmt_ctime(l->when, in, sizeof(in));
		usercmd_host(l->origin, host, sizeof(host));
		cli_printf(c, "%-*s  %-*s  %-24s  %-24s  %s%s%s%s\n", w, l->user, hw, host, in, out,
		    total, *detail ? " (" : "", detail, *detail ? ")" : "");
	}
	if (shown == 0) {
		if (name)
			cli_printf(c, "No logins of %s are recorded.\n", name);
		else
			cli_printf(c, "No logins are recorded.\n");
	}
	free(r.l);
	free(r.s);
	return CMD_OK;
}

static const struct cmd_word count_word[] = {
	{ "<N>", "show the newest N rows (default 50)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word last_words[] = {
	{ "<NAME>", "only this account's logins", count_word },
	{ "<N>", "show the newest N rows (default 50)", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_last_entry = {
	.name = "last",
	.usage = "last [NAME] [N]",
	.help = "Show the login record: logins, logouts and failed logins, newest first.",
	.words = last_words,
	.exec = last_exec,
};
