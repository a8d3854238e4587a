/*
 * auth.c - the password check for PAM and the keys for sshd (shell/auth.h).
 *
 * --pam-auth runs as root from pam_exec for every password login,
 * including names that are no account at all (sshd still asks PAM about
 * them, with a fake password). It reads at most PASSWORD_MAX bytes of
 * password, becomes the data directory's owner as the shell does, and
 * answers from the store; the password is wiped and never printed or
 * logged. A locked account is refused without looking at the password,
 * so a locked account gives no way to keep guessing. Lockout locks every
 * way in, keys too (as AsyncOS does); a failure against an account with
 * no password is logged but not counted, so nobody can lock a key-only
 * account out by guessing.
 *
 * --authorized-keys prints keys with "restrict,pty" in front, so no key
 * can carry its own options (a command=, a forwarding): the store
 * refuses options in a key, and each line is checked again here.
 *
 * DIAGNOSTICS: --pam-auth writes its refusals to every cli_logs-type log
 * and the login record, nothing on its output; --authorized-keys prints
 * only keys. Store errors: a line on stderr (sshd's log), then refusal.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/logsub.h"
#include "shell/auth.h"
#include "shell/session.h"
#include "store/settings.h"
#include "store/users.h"
#include "util/printable.h"
#include "util/pwhash.h"
#include "util/str.h"

#define AUTH_DEFAULT_DIR "/var/lib/mxgate"

/*
 * operator_home - the home of a system account made for an operator
 * into home[size]; 0, or -1 when name is none. As the shell checks
 * (shell/session.c), the tag is not enough: the account has the uid the
 * shell will run as, that is ours (sshd's AuthorizedKeysCommandUser,
 * the daemon's account), or as root (pam_exec) the owner of the home,
 * whom open_store becomes; never root's.
 */
static int
operator_home(const char *name, char *home, size_t size)
{
	struct passwd *pw;
	struct stat sb;
	char *cause = NULL;
	size_t n = strlen(SESSION_GECOS);

	if (users_name_ok(name, &cause) < 0) {
		free(cause);
		return -1;
	}
	if ((pw = getpwnam(name)) == NULL || pw->pw_gecos == NULL ||
	    strncmp(pw->pw_gecos, SESSION_GECOS, n) != 0 ||
	    (pw->pw_gecos[n] != '\0' && pw->pw_gecos[n] != ','))
		return -1;
	if (pw->pw_uid == 0 || (getuid() != 0 && pw->pw_uid != getuid()) ||
	    pw->pw_dir == NULL || stat(pw->pw_dir, &sb) < 0 || sb.st_uid != pw->pw_uid)
		return -1;
	return str_copy(home, pw->pw_dir, size);
}

/* has_store - is there a store in dir? (never make one where there is none) */
static int
has_store(const char *dir)
{
	char path[PATH_MAX];
	struct stat sb;

	return str_fmt(path, sizeof(path), "%s/config.db", dir) == 0 && stat(path, &sb) == 0 &&
	    S_ISREG(sb.st_mode);
}

/* open_store - become the directory's owner and open its store; NULL on failure */
static struct store *
open_store(const char *dir)
{
	struct store *st = NULL;
	char *cause = NULL;

	if (!has_store(dir))
		return NULL;
	if (session_become_owner(dir, NULL, &cause) < 0 ||
	    store_open(dir, STORE_SESSION, &st, &cause) < 0) {
		fprintf(stderr, "mxsh: %s\n", cause);
		free(cause);
		return NULL;
	}
	return st;
}

/* open_logs - every cli_logs-type log of the running configuration (as mxsh follows them) */
static struct logsub_out *
open_logs(struct store *st, const char *dir)
{
	struct logsub_out *o = logsub_out_new(dir, LOGSUB_CLI);
	struct logsub *subs;
	char *cause = NULL;
	int n;

	if (logsub_load(st, &subs, &n, &cause) < 0) {
		free(cause);
		cause = NULL;
		n = 1;
		subs = xcalloc(1, sizeof(*subs));
		logsub_defaults(&subs[0], "cli_logs", LOGSUB_CLI);
	}
	if (logsub_out_apply(o, subs, n, &cause) < 0) {
		fprintf(stderr, "mxsh: %s\n", cause);
		free(cause);
	}
	free(subs);
	return o;
}

/* login_record - a row for `last` */
static void
login_record(struct store *st, const char *user, const char *event, const char *origin,
    const char *detail)
{
	struct user_login l = { 0 };
	char *cause = NULL;

	l.when = time(NULL);
	str_copy(l.user, user, sizeof(l.user));
	str_copy(l.event, event, sizeof(l.event));
	str_copy(l.origin, origin, sizeof(l.origin));
	str_copy(l.method, "password", sizeof(l.method));
	str_copy(l.detail, detail ? detail : "", sizeof(l.detail));
	if (users_login_record(st, &l, &cause) < 0) {
		fprintf(stderr, "mxsh: %s\n", cause);
		free(cause);
	}
}

/*
 * read_password - one line of standard input (NUL or newline ended);
 * -1 when longer than PASSWORD_MAX bytes or absent
 */
static int
read_password(char *pw, size_t size)
{
	size_t n = 0;
	char ch;
	ssize_t r;

	while ((r = read(STDIN_FILENO, &ch, 1)) == 1 || (r < 0 && errno == EINTR)) {
		if (r < 0)
			continue;
		if (ch == '\n' || ch == '\0')
			break;
		if (n + 1 >= size) {
			explicit_bzero(pw, size);
			return -1;
		}
		pw[n++] = ch;
	}
	explicit_bzero(&ch, sizeof(ch));
	pw[n] = '\0';
	return 0;
}

/*
 * spend_time - hash the password once, as a check would, when there is
 * nothing to check it against: an unknown name, a locked account, one
 * without a password answer no faster than a wrong password
 */
static void
spend_time(const char *pw)
{
	char out[PWHASH_MAX], *cause = NULL;

	if (pwhash_init() == 0 && pwhash_make(pw, out, &cause) < 0)
		free(cause);
	explicit_bzero(out, sizeof(out));
}

int
auth_pam(const char *dir)
{
	const char *user = getenv("PAM_USER"), *rh = getenv("PAM_RHOST");
	char pw[PASSWORD_MAX + 1], home[PATH_MAX], rhost[96], name[80], *hash = NULL,
	    *cause = NULL;
	struct store *st;
	struct logsub_out *logs;
	struct user u;
	int known, ok = 0, too_long, r;

	too_long = read_password(pw, sizeof(pw)) < 0;
	printable_copy(rhost, sizeof(rhost), rh && *rh ? rh : "unknown",
	    strlen(rh && *rh ? rh : "unknown"), 64);
	user = user ? user : "";
	printable_copy(name, sizeof(name), user, strlen(user), 64);
	known = operator_home(user, home, sizeof(home)) == 0;
	if (!known)
		str_copy(home, dir ? dir : AUTH_DEFAULT_DIR, sizeof(home));
	if ((st = open_store(home)) == NULL) {
		explicit_bzero(pw, sizeof(pw));
		return 1;
	}
	logs = open_logs(st, home);
	r = known ? users_get(st, user, &u, &cause) : 1;
	if (r != 0 || u.locked)
		spend_time(pw);	/* as long as a check: no telling names apart by time */
	if (r < 0) {
		fprintf(stderr, "mxsh: %s\n", cause);
		free(cause);
	} else if (r == 1) {
		logsub_out_write(logs, LOGFILE_INFO,
		    "An authentication attempt by the unknown user %s from %s failed", name, rhost);
		login_record(st, name, "failed", rhost, "unknown user");
	} else if (u.locked) {
		logsub_out_write(logs, LOGFILE_INFO,
		    "An authentication attempt by the user %s from %s failed", u.name, rhost);
		login_record(st, u.name, "failed", rhost, "locked");
	} else {
		if (!too_long && u.has_password && pwhash_init() == 0 &&
		    users_get_hash(st, u.name, &hash, &cause) == 0 && hash != NULL)
			ok = pwhash_verify(hash, pw) == 1;
		if (cause) {
			fprintf(stderr, "mxsh: %s\n", cause);
			free(cause);
			cause = NULL;
		}
		free(hash);
		if (!u.has_password)
			spend_time(pw);
		if (ok) {
			if (users_login_ok(st, u.name, &cause) < 0) {
				fprintf(stderr, "mxsh: %s\n", cause);
				free(cause);
			}
		} else {
			long lockout = settings_get_int(st, "users.lockout");
			int locked_now = 0;

			/*
			 * An account without a password (keys only) cannot be
			 * guessed: counting would let anybody lock it out of its
			 * key logins too.
			 */
			if (u.has_password &&
			    users_login_failed(st, u.name, (int)lockout, &locked_now, &cause) < 0) {
				fprintf(stderr, "mxsh: %s\n", cause);
				free(cause);
			}
			logsub_out_write(logs, LOGFILE_INFO,
			    "An authentication attempt by the user %s from %s failed", u.name,
			    rhost);
			login_record(st, u.name, "failed", rhost,
			    u.has_password ? NULL : "no password");
			if (locked_now) {
				logsub_out_write(logs, LOGFILE_INFO,
				    "User %s was locked after %ld failed login attempts", u.name,
				    lockout);
				login_record(st, u.name, "locked", rhost, NULL);
			}
		}
	}
	explicit_bzero(pw, sizeof(pw));
	logsub_out_free(logs);
	store_close(st);
	return ok ? 0 : 1;
}

struct keys_out {
	int n;		/* lines printed */
};

/* print_key - users_keys callback: one authorized_keys line, refused if it is not one line */
static int
print_key(int index, const char *key, void *arg)
{
	struct keys_out *k = arg;

	(void)index;
	if (*key == '\0' || strpbrk(key, "\r\n") != NULL || cli_bad_char(key) >= 0 ||
	    strlen(key) > USER_KEY_MAX)
		return 0;
	printf("restrict,pty %s\n", key);
	k->n++;
	return 0;
}

int
auth_keys(const char *name)
{
	char home[PATH_MAX], *cause = NULL;
	struct store *st;
	struct user u;
	struct keys_out k = { 0 };

	if (operator_home(name, home, sizeof(home)) < 0 || (st = open_store(home)) == NULL)
		return 0;
	if (users_get(st, name, &u, &cause) == 0 && !u.locked) {
		if (users_keys(st, name, print_key, &k, &cause) < 0) {
			fprintf(stderr, "mxsh: %s\n", cause);
			free(cause);
		}
	} else if (cause) {
		fprintf(stderr, "mxsh: %s\n", cause);
		free(cause);
	}
	fflush(stdout);
	store_close(st);
	return 0;
}
