/*
 * usercmd.h - what the account commands share (userconfig, passwd, who,
 * whoami, last): the committed password policy, the SSH key check, the
 * password checks with history, the request that makes mxgated's keeper
 * sync the system accounts, and telling a live session from a dead row.
 *
 * DIAGNOSTICS: functions that can fail print their one error line
 * through cli_error (or return a one-line *cause) and change nothing.
 */
#ifndef COMMANDS_USERCMD_H
#define COMMANDS_USERCMD_H

#include <stddef.h>

#include "commands/cli.h"
#include "store/users.h"
#include "util/pwhash.h"

/*
 * usercmd_policy - the password rules as committed (users.* settings,
 * running values: a policy pending in this session does not apply yet)
 */
void usercmd_policy(struct cli *c, struct pw_policy *p);

/*
 * usercmd_key_check - one OpenSSH public key line: a known type word,
 * a base64 blob that decodes and names that same type inside, an
 * optional comment; no options, no control characters. The line is
 * normalised in place (blanks trimmed, single spaces between the
 * parts). 0, or -1 with a one-line *cause that never echoes the blob.
 */
int usercmd_key_check(char *line, char **cause);

/*
 * usercmd_new_password - may account name take pw as its new password?
 * pw_check against the committed policy, then (unless check_history is
 * 0) its current password and the last users.history ones. 0, or -1
 * with the reason printed.
 */
int usercmd_new_password(struct cli *c, const char *name, const char *pw, int check_history);

/*
 * usercmd_set_password - hash and store pw for name (the policy's
 * history kept); 0, or -1 with the error printed
 */
int usercmd_set_password(struct cli *c, const char *name, const char *pw);

/*
 * usercmd_ask_new_password - question (NULL: "Enter the password for
 * NAME:") and "Please enter the new password again:" until two equal
 * answers pass the rules (three tries); ASK_OK with pw filled, ASK_BACK,
 * ASK_ABORT
 */
enum ask_ret usercmd_ask_new_password(struct cli *c, const char *name, const char *question,
    int check_history, char *pw, size_t size);

/*
 * usercmd_sync_accounts - ask mxgated (queue request "accounts") to make
 * (deleted 0) or remove (deleted 1) the system account of name for SSH
 * logins, then print its problems as "Warning: " lines. A daemon that is
 * not running is a warning too.
 */
void usercmd_sync_accounts(struct cli *c, const char *name, int deleted);

/*
 * USERCMD_TAG - the GECOS of the system accounts mxgated's keeper makes
 * for operators (daemon/acctd.h ACCTD_TAG, shell/session.h SESSION_GECOS)
 */
#define USERCMD_TAG "mxgate operator"

/*
 * usercmd_name_free - may a new account take name? Not when the system
 * already has an account of that name that the keeper did not make
 * (root, sshd, mxgate...): the keeper would refuse to touch it, and an
 * SSH login under that name would be the system's account. 0, or -1
 * with the one-line *cause "The system already has an account named
 * NAME; choose another name."
 */
int usercmd_name_free(const char *name, char **cause);

/* usercmd_session_live - is the process of a session row still the one that opened it? */
int usercmd_session_live(const struct user_session *s);

/* usercmd_host - the remote host of an origin: "127.0.0.1" of "127.0.0.1 port 52390" */
void usercmd_host(const char *origin, char *out, size_t size);

#endif
