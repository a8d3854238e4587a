/*
 * users.h - operator accounts, their SSH keys and password history, the
 * shell sessions that are open, and the login record (config.db).
 *
 * Accounts are not configuration items: a change takes effect at once,
 * as passwd(1) does, and is never part of a commit or a rollback, so a
 * rollback can never bring back a deleted account or an old password.
 * The password policy (users.* settings) and the access settings
 * (adminaccess.*) are ordinary settings, pending until commit.
 *
 * Every function returns 0 (or the value it documents) and -1 with a
 * malloc'd *cause on a store error. Names are checked by users_name_ok
 * before they reach the store.
 */
#ifndef STORE_USERS_H
#define STORE_USERS_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "store/store.h"

#define USER_NAME_MAX	32	/* bytes of a user name */
#define USER_FULL_MAX	128	/* bytes of a full name */
#define USER_KEY_MAX	16384	/* bytes of one authorized_keys line */
#define USER_KEYS_MAX	16	/* keys per account */
#define USERS_MAX	1000	/* accounts per appliance */

/* The built-in account: always there, always admin, never deleted. */
#define USER_BUILTIN	"admin"

enum user_role {
	ROLE_ADMIN = 0,		/* everything */
	ROLE_OPERATOR,		/* everything but accounts and a few system commands */
	ROLE_READONLY,		/* look, never change */
	ROLE_GUEST,		/* status and logs only */
	ROLE_TECHNICIAN,	/* status, logs, the queue and quarantines */
	ROLE_COUNT
};

struct user {
	char name[USER_NAME_MAX + 1];
	char fullname[USER_FULL_MAX + 1];
	enum user_role role;
	int has_password;	/* a password hash is stored */
	int locked;		/* locked: no login by any means until unlocked */
	int failures;		/* failed password logins since the last success */
	time_t created;
	time_t pw_changed;	/* when the password was last set (0: never) */
	time_t last_login;	/* last successful login (0: never) */
	int nkeys;		/* SSH public keys */
};

/* users_role_name - "admin", "operator", ...; users_role_parse - -1 if unknown */
const char *users_role_name(enum user_role r);
int users_role_parse(const char *s);

/*
 * users_name_ok - a user name an account may have: 1-32 bytes of
 * [a-z0-9_.-], starting with a letter (what useradd accepts everywhere,
 * lower case only so two operators never differ by case). 0 or -1 with
 * a one-line *cause ("User name 'X' ...").
 */
int users_name_ok(const char *name, char **cause);

/* users_get - one account; 0 found, 1 not found, -1 error */
int users_get(struct store *st, const char *name, struct user *u, char **cause);

/* users_list - every account, ordered by name */
typedef int (*users_cb)(const struct user *u, void *arg);
int users_list(struct store *st, users_cb cb, void *arg, char **cause);

/*
 * users_add - a new account; hash is a libsodium crypto_pwhash_str string
 * (util/pwhash.h) or NULL for none yet. -1 with "User X already exists."
 * or "There are already N accounts." (USERS_MAX).
 */
int users_add(struct store *st, const char *name, const char *fullname, enum user_role role,
    const char *hash, char **cause);

/* users_update - change the full name and role (builtin admin stays admin) */
int users_update(struct store *st, const char *name, const char *fullname, enum user_role role,
    char **cause);

/* users_delete - remove an account with its keys, history and sessions' rows (not admin) */
int users_delete(struct store *st, const char *name, char **cause);

/*
 * users_set_password - store a new hash, push the old one onto the
 * history (keeping the newest keep_history), set pw_changed to now,
 * clear failures. One transaction.
 */
int users_set_password(struct store *st, const char *name, const char *hash, int keep_history,
    char **cause);

/* users_get_hash - the stored hash (malloc'd) or NULL in *hash when none */
int users_get_hash(struct store *st, const char *name, char **hash, char **cause);

/* users_history - the newest n previous hashes, newest first; cb gets each */
typedef int (*users_hash_cb)(const char *hash, void *arg);
int users_history(struct store *st, const char *name, int n, users_hash_cb cb, void *arg,
    char **cause);

/* users_set_locked - lock or unlock (unlocking clears failures) */
int users_set_locked(struct store *st, const char *name, int locked, char **cause);

/*
 * users_login_failed - count a failed password login; when the count
 * reaches lockout (> 0) the account is locked. *locked_now 1 when this
 * failure locked it. One transaction.
 */
int users_login_failed(struct store *st, const char *name, int lockout, int *locked_now,
    char **cause);

/* users_login_ok - a successful login: failures to 0, last_login now */
int users_login_ok(struct store *st, const char *name, char **cause);

/*
 * SSH public keys: one authorized_keys line each ("ssh-ed25519 AAAA...
 * comment", no options: mxsh adds its own). users_key_add refuses a
 * duplicate and more than USER_KEYS_MAX.
 */
typedef int (*users_key_cb)(int index, const char *key, void *arg);
/*
 * users_key_check - the check users_key_add makes of a line, alone: 0
 * with its normal form "TYPE BASE64[ comment]" in *norm (malloc'd), or
 * -1 with a one-line *cause that never echoes the key data
 */
int users_key_check(const char *line, char **norm, char **cause);
int users_key_add(struct store *st, const char *name, const char *key, char **cause);
int users_key_delete(struct store *st, const char *name, int index, char **cause);	/* 1-based */
int users_keys(struct store *st, const char *name, users_key_cb cb, void *arg, char **cause);

/*
 * Sessions: one row per running mxsh. The process identity (pid and
 * its start time in clock ticks, /proc/PID/stat field 22) tells a live
 * session from the row of one that died without closing it.
 */
struct user_session {
	int64_t id;
	char user[USER_NAME_MAX + 1];
	pid_t pid;
	unsigned long long pid_start;
	char origin[96];	/* "127.0.0.1 port 52390" or "console" */
	char tty[32];		/* "pts/3", or "" */
	char kind[16];		/* "ssh", "console" */
	time_t started;
	time_t active;		/* last command */
};

int users_session_open(struct store *st, struct user_session *s, char **cause);	/* sets s->id */
int users_session_touch(struct store *st, int64_t id, char **cause);		/* active = now */
int users_session_close(struct store *st, int64_t id, char **cause);
typedef int (*users_session_cb)(const struct user_session *s, void *arg);
int users_sessions(struct store *st, users_session_cb cb, void *arg, char **cause);
/* users_session_prune - delete the row of a session whose process is gone */
int users_session_prune(struct store *st, int64_t id, char **cause);

/*
 * The login record for `last`: logins, logouts and failures, newest
 * first, the oldest beyond USERS_LOGINS_KEEP dropped as new ones come.
 */
#define USERS_LOGINS_KEEP 5000

struct user_login {
	int64_t id;
	time_t when;
	char user[USER_NAME_MAX + 1];
	char event[16];		/* "login", "logout", "failed", "locked" */
	char origin[96];
	char method[32];	/* "publickey", "password", "" */
	int64_t session;	/* 0: none */
	char detail[128];	/* "idle timeout", ... or "" */
};

int users_login_record(struct store *st, const struct user_login *l, char **cause);
typedef int (*users_login_cb)(const struct user_login *l, void *arg);
int users_logins(struct store *st, int limit, users_login_cb cb, void *arg, char **cause);

#endif
