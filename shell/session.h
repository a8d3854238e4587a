/*
 * session.h - who runs mxsh, and the session it holds while it runs.
 *
 * Identity (before the store opens): root is the console administrator
 * "root" with role admin, or with -u NAME (root or the data directory's
 * owner) the store's account NAME; a process whose $LOGNAME is a system
 * account made for an operator (GECOS "mxgate operator", our uid) is that
 * account, over SSH when $SSH_CONNECTION (or $SSH_CLIENT) is set. Over
 * SSH, or with a $LOGNAME that is not the system user's own name, there
 * is no other way in: no such account is refused. Anybody else (the data
 * directory's owner at the console) is the system user, role admin, as
 * before accounts existed.
 *
 * The session (after the store opens): the account is checked (exists,
 * not locked), a readonly-like role makes the store refuse writes, the
 * SSH session limit is applied, a sessions row is opened and closed at
 * the end, and logins and logouts go to every cli_logs-type log and the
 * login record.
 *
 * DIAGNOSTICS: every refusal is one line in *cause; the caller prints it
 * after "mxsh: " and exits 1.
 */
#ifndef SHELL_SESSION_H
#define SHELL_SESSION_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "commands/cli.h"

/* The tag useradd -c puts on the system accounts mxgated makes (api.md). */
#define SESSION_GECOS	"mxgate operator"

struct session {
	char user[64];		/* who: an account, "root", or the system user */
	int role;		/* enum user_role */
	int account;		/* user is an account of the store (checked at start) */
	int ssh;		/* came in over SSH */
	int root;		/* run by root at the console (before becoming the owner) */
	char origin[96];	/* "IP port P" or "console" */
	char method[32];	/* "publickey", "password", "console" */
	int interactive;	/* a person at a terminal: login/logout lines */
	int64_t id;		/* the sessions row, 0 when none is open */
	time_t touched;		/* when its active time was last written */
	int logged_in;		/* a login line was written: a logout line is due */
	struct cli *cli;	/* the shell's, for the store and the logs */
	char home[4096];	/* the operator account's home: the data directory */
};

/* Set by SIGHUP and SIGTERM: the session ends at the next read or command. */
extern volatile sig_atomic_t session_stop;

/*
 * session_identify - who runs this mxsh, before any store is open.
 * as_user: -u NAME or NULL; *dir: the data directory, replaced by the
 * account's home when dir_given is 0 and $LOGNAME names an operator's
 * system account. 0, -1 with *cause (exit 1), -2 with *cause (usage:
 * exit 2).
 */
int session_identify(struct session *s, const char *as_user, const char **dir, int dir_given,
    char **cause);

/*
 * session_become_owner - root in a data directory another user owns
 * becomes that user for good; a directory root owns is
 * first handed to mxgate when that account exists and can reach it
 * (util/handover.h), as a root start of mxgated would. *opener gets a root file
 * opener (shell/opener.h) when opener is not NULL, else stays -1.
 * 0 (also when nothing is to be done) or -1 with *cause.
 */
int session_become_owner(const char *dir, int *opener, char **cause);

/*
 * session_start - after the store and the logs are open: check the
 * account, restrict the store for readonly roles, apply
 * adminaccess.max_sessions to SSH (never to an admin), open the
 * sessions row, write the login line. 0 or -1 with *cause.
 */
int session_start(struct session *s, struct cli *c, int interactive, char **cause);

/* session_password_expired - 1 when the account's password is past users.max_age_days */
int session_password_expired(struct session *s);

/*
 * session_check - after each command: the sessions row is touched; the
 * account deleted or locked meanwhile ends the session (1, *cause set);
 * else 0
 */
int session_check(struct session *s, char **cause);

/* session_end - close the row and write the logout line (detail: "idle timeout" or NULL) */
void session_end(struct session *s, const char *detail);

/* session_signals - SIGHUP and SIGTERM set session_stop (and *intr, ending the command) */
void session_signals(volatile sig_atomic_t *intr);


/* session_banner - print adminaccess.banner, if any, ending with a newline */
void session_banner(struct session *s);

#endif
