/*
 * auth.h - mxsh's two hooks for the private sshd (api.md, "The SSH model").
 *
 *   mxsh --pam-auth              pam_exec (expose_authtok), as root:
 *                                PAM_USER, PAM_RHOST in the environment,
 *                                the password on standard input
 *   mxsh --authorized-keys NAME  sshd's AuthorizedKeysCommand, as the
 *                                daemon's account
 *
 * Both find the data directory from the operator's system account (its
 * home; the account must carry the "mxgate operator" tag) and answer
 * from the store.
 */
#ifndef SHELL_AUTH_H
#define SHELL_AUTH_H

/*
 * auth_pam - check PAM_USER's password against the store: exit status 0
 * accepted (failures cleared), 1 refused (the failure counted, the
 * account locked after users.lockout, cli_logs lines and a login
 * record written). dir: the data directory for a name that is no
 * operator account (where its failure is logged), or NULL.
 */
int auth_pam(const char *dir);

/*
 * auth_keys - print "restrict,pty KEY" for each key of an existing,
 * unlocked operator account; nothing otherwise. Always 0.
 */
int auth_keys(const char *name);

#endif
