/*
 * remedconf.h - remediation profiles (remediationconfig): which mailbox
 * server serves which recipient domains, and how the gateway logs in.
 *
 *   remediation.profile  NAME -> {"backend":"imap"|"graph", "server":URL,
 *                        "auth":"master"|"user", "user":LOGIN,
 *                        "folder":FOLDER, "domains":["example.com",...],
 *                        "tenant":ID, "token_url":URL, "verify":true}
 *   remediation.secret   NAME -> the profile's password (IMAP master
 *                        user's, or the Graph client secret);
 *                        NAME/MAILBOX -> a mailbox's own password
 *                        (IMAP auth "user"). Secret items (store/secret.h):
 *                        sealed at rest, "changed" in the history.
 *
 * IMAP: server is imaps://HOST[:PORT] (or imap://HOST[:PORT], STARTTLS
 * required); auth master logs in as "MAILBOX*USER" (Dovecot's master user
 * login) with the profile's password; auth user as MAILBOX with its own.
 * folder "" deletes (\Deleted + UID EXPUNGE), else moves there.
 * Graph: server is the Graph base (default https://graph.microsoft.com/v1.0),
 * user the application's client id, token_url the token endpoint (default
 * https://login.microsoftonline.com/TENANT/oauth2/v2.0/token); folder ""
 * deletes (DELETE), else moves (well-known name or folder id).
 *
 * Read by the daemon (daemon/conf.c) and the shell; staged by the helpers
 * below (pending until commit).
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause naming the profile.
 */
#ifndef MAIL_REMEDCONF_H
#define MAIL_REMEDCONF_H

#include <stddef.h>

#include "store/store.h"

#define REMEDCONF_PROFILE_SECTION "remediation.profile"
#define REMEDCONF_SECRET_SECTION "remediation.secret"
#define REMEDCONF_MAX_PROFILES 32
#define REMEDCONF_MAX_DOMAINS 64	/* per profile */
#define REMEDCONF_NAME_MAX 63

enum remed_backend { REMED_IMAP = 1, REMED_GRAPH };
enum remed_auth { REMED_AUTH_MASTER = 1, REMED_AUTH_USER };

struct remed_profile {
	char name[REMEDCONF_NAME_MAX + 1];
	enum remed_backend backend;
	char server[1024];
	enum remed_auth auth;		/* IMAP only */
	char user[256];			/* IMAP master user, or Graph client id */
	char *password;			/* the profile's secret (malloc'd clear text, "" none) */
	char folder[256];		/* "" delete, else move there */
	char tenant[128];		/* Graph */
	char token_url[1024];		/* Graph; "" = from tenant */
	int verify;			/* check the server's certificate */
	int ndomains;
	char (*domains)[256];		/* lower case */
};

struct remed_conf {
	int nprofiles;
	struct remed_profile *profiles;	/* ordered by name */
};

/* remedconf_load - every profile as this handle sees it (secrets opened) */
int remedconf_load(struct store *st, struct remed_conf *c, char **cause);

/* remedconf_free - release (secrets wiped) */
void remedconf_free(struct remed_conf *c);

/* remedconf_for - the profile serving a mailbox's domain (any case), or NULL */
const struct remed_profile *remedconf_for(const struct remed_conf *c, const char *mailbox);

/*
 * remedconf_user_password - the clear password of MAILBOX under profile p
 * (auth user), malloc'd, or NULL with *cause when none is set
 */
char *remedconf_user_password(struct store *st, const struct remed_profile *p,
    const char *mailbox, char **cause);

/* staging (remediationconfig): nothing when unchanged; delete: 1 if there is none */
int remedconf_profile_set(struct store *st, const struct remed_profile *p, char **cause);
int remedconf_profile_delete(struct store *st, const char *name, char **cause);
int remedconf_user_password_set(struct store *st, const char *profile, const char *mailbox,
    const char *password, char **cause);

#endif
