/*
 * acctd.h - the account keeper: the one part of mxgated that stays root,
 * to make and remove the system accounts operators log in with over SSH.
 *
 * mxgated started as root forks the keeper (acctd_start) before it drops
 * privileges; afterwards it only asks, over a SOCK_SEQPACKET pair, with
 * the list of the store's account names (acctd_sync), and gets back what
 * went wrong. See mxgate-ssh(8) for the model: one system account per
 * operator, sharing the uid and gid of mxgate, GECOS "mxgate operator",
 * home the data directory, login shell mxsh.
 */
#ifndef DAEMON_ACCTD_H
#define DAEMON_ACCTD_H

#include "daemon/gw.h"

/* The GECOS field that marks a system account the keeper made. */
#define ACCTD_TAG "mxgate operator"

/* The outcome when mxgated was not started as root. */
#define ACCTD_NOT_ROOT \
	"mxgated does not run as root: it cannot make the system accounts for SSH logins"

/*
 * acctd_start - fork the keeper for the data directory dir. Call it as
 * root, before privileges are dropped and before any store or thread is
 * opened; not root, it does nothing. -1 with a malloc'd cause when the
 * keeper could not be started (mxgated goes on: every sync says why).
 */
int acctd_start(const char *dir, char **cause);

/*
 * acctd_sync - make the system accounts match the list of names. The
 * outcome (malloc'd) is "ok", or one line per problem; tell, when not
 * NULL, gets one log line per account made, re-made or removed. Returns
 * 0 when the outcome is "ok", -1 otherwise.
 */
typedef void (*acctd_tell_cb)(void *arg, const char *line);
int acctd_sync(const char *const *names, int n, char **outcome, acctd_tell_cb tell, void *arg);

/*
 * acctd_accounts - the store's accounts to acctd_sync, each account made
 * or removed logged in mail_logs, each problem a Warning, and the outcome
 * in queue_state "accounts" (where mxsh reads it after its request).
 */
void acctd_accounts(struct gw *gw);

/* acctd_stop - the keeper ends (its socket closed) and is reaped */
void acctd_stop(void);

#endif
