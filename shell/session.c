/*
 * session.c - who runs mxsh, and the session it holds (shell/session.h).
 *
 * The identity comes from the process (uid, $LOGNAME checked against the
 * system account database, $SSH_CONNECTION set by sshd: over SSH only an
 * operator's account, never the owner's fallback), never from an
 * argument a remote user could pass: sshd runs the login shell with
 * -c LINE only, and no environment but its own (no AcceptEnv,
 * PermitUserEnvironment no). All operator accounts share the daemon's
 * uid, so $LOGNAME, which sshd sets from the account it authenticated,
 * is what tells them apart; the account must also carry the GECOS tag
 * of the accounts mxgated makes.
 *
 * Signals: SIGHUP (the terminal went away) and SIGTERM only set a flag
 * (and the command's interrupt flag); the shell's loop ends the session
 * with the store, never the handler. An exit() elsewhere still closes
 * the row through atexit.
 *
 * DIAGNOSTICS: refusals are one line in *cause. A store error while
 * closing is reported on stderr; the row is pruned later by `who`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/logsub.h"
#include "shell/complete.h"
#include "shell/opener.h"
#include "shell/session.h"
#include "store/settings.h"
#include "store/users.h"
#include "util/fsutil.h"
#include "util/handover.h"
#include "util/proc.h"
#include "util/printable.h"
#include "util/str.h"

volatile sig_atomic_t session_stop;

static volatile sig_atomic_t *stop_intr;	/* the command's Ctrl-C flag */
static struct session *active;			/* the open session, for atexit */

/* ---------------------------------------------------------------- identity */

/* tagged - does a GECOS field carry the operator accounts' tag? */
static int
tagged(const char *gecos)
{
	size_t n = strlen(SESSION_GECOS);

	return gecos && strncmp(gecos, SESSION_GECOS, n) == 0 &&
	    (gecos[n] == '\0' || gecos[n] == ',');
}

/* name_ok - users_name_ok without its cause */
static int
name_ok(const char *name)
{
	char *cause = NULL;
	int rc = users_name_ok(name, &cause);

	free(cause);
	return rc == 0;
}

/*
 * ssh_origin - "IP port P" from $SSH_CONNECTION ("IP PORT IP PORT"),
 * checked to hold only address and digit characters; 0 or -1
 */
static int
ssh_origin(const char *conn, char *out, size_t size)
{
	char ip[64], port[16];

	if (conn == NULL || sscanf(conn, "%63s %15s", ip, port) != 2)
		return -1;
	if (strspn(ip, "0123456789abcdefABCDEF.:%") != strlen(ip) ||
	    strspn(port, "0123456789") != strlen(port))
		return -1;
	return str_fmt(out, size, "%s port %s", ip, port);
}

/*
 * ssh_method - how sshd authenticated the session, from the file
 * $SSH_USER_AUTH names (ExposeAuthInfo): the first word of a line
 */
static void
ssh_method(char *out, size_t size)
{
	const char *path = getenv("SSH_USER_AUTH");
	char line[256], word[64];
	FILE *fp;

	str_copy(out, "", size);
	if (path == NULL || *path == '\0' || (fp = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%63s", word) != 1)
			continue;
		if (strcmp(word, "publickey") == 0) {
			str_copy(out, "publickey", size);
			break;
		}
		/* sshd writes "keyboard-interactive/pam" for a PAM conversation */
		if (strcmp(word, "password") == 0 ||
		    strncmp(word, "keyboard-interactive", strlen("keyboard-interactive")) == 0) {
			str_copy(out, "password", size);
			break;
		}
	}
	fclose(fp);
}

/*
 * ssh_conn - sshd's $SSH_CONNECTION, else its older $SSH_CLIENT ("IP
 * PORT LPORT"): both start with the client's address and port; NULL
 * when neither is set (not over SSH)
 */
static const char *
ssh_conn(void)
{
	const char *v = getenv("SSH_CONNECTION");

	return v ? v : getenv("SSH_CLIENT");
}

/*
 * must_be_account - may this process only be an operator's account?
 * Over SSH (sshd always sets SSH_CONNECTION and SSH_CLIENT): sshd starts
 * the login shell of an account deleted meanwhile (a new channel of a
 * connection that logged in before) with that name and the uid every
 * account shares; falling back to "the system user, role admin" would
 * then be an admin shell. Root and the data directory's owner at the
 * console are not asked, whatever $LOGNAME says (setpriv and sudo keep
 * the caller's): a local process with that uid owns the store anyway.
 */
static int
must_be_account(void)
{
	return ssh_conn() != NULL;
}

int
session_identify(struct session *s, const char *as_user, const char **dir, int dir_given,
    char **cause)
{
	const char *logname = getenv("LOGNAME");
	struct passwd *pw;
	char name[80];

	memset(s, 0, sizeof(*s));
	s->role = ROLE_ADMIN;
	str_copy(s->origin, "console", sizeof(s->origin));
	str_copy(s->method, "console", sizeof(s->method));
	s->root = getuid() == 0;

	if (as_user) {
		struct stat sb;

		/* the test hook and the console's su: root, or the directory's owner */
		if (geteuid() != 0 && (stat(*dir, &sb) < 0 || sb.st_uid != geteuid())) {
			*cause = str_dup("mxsh: -u is for root at the console");
			return -2;
		}
		if (!name_ok(as_user) || str_copy(s->user, as_user, sizeof(s->user)) < 0) {
			*cause = str_printf("mxsh: there is no account %.64s", as_user);
			return -1;
		}
		s->account = 1;
		return 0;
	}
	if (geteuid() == 0) {
		str_copy(s->user, "root", sizeof(s->user));
		return 0;
	}
	if (logname && name_ok(logname) && (pw = getpwnam(logname)) != NULL &&
	    pw->pw_uid == getuid() && tagged(pw->pw_gecos)) {
		str_copy(s->user, logname, sizeof(s->user));
		s->account = 1;
		if (!dir_given) {
			if (str_copy(s->home, pw->pw_dir, sizeof(s->home)) < 0) {
				*cause = str_printf("mxsh: the home of %s is too long", logname);
				return -1;
			}
			*dir = s->home;
		}
		if (ssh_conn() != NULL) {
			s->ssh = 1;
			if (ssh_origin(ssh_conn(), s->origin, sizeof(s->origin)) < 0)
				str_copy(s->origin, "unknown", sizeof(s->origin));
			ssh_method(s->method, sizeof(s->method));
		}
		return 0;
	}
	if (must_be_account()) {
		if (logname == NULL || *logname == '\0')
			logname = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : "(unknown)";
		printable_copy(name, sizeof(name), logname, strlen(logname), 64);
		*cause = str_printf("mxsh: there is no account %s", name);
		return -1;
	}
	/* the system user: the owner of the data directory can do everything to its files */
	pw = getpwuid(geteuid());
	logname = pw ? pw->pw_name : getenv("USER");
	str_copy(s->user, logname && *logname ? logname : "admin", sizeof(s->user));
	return 0;
}

/*
 * only_data_dirs - does the directory fd hold no directories but the ones
 * a data directory has (logs, configuration)? A home or system directory
 * given to -D by mistake has others (.ssh, .cache, etc, lib ...).
 */
static int
only_data_dirs(int fd)
{
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0), ok = 1;
	DIR *d = dup < 0 ? NULL : fdopendir(dup);
	struct dirent *e;
	struct stat sb;

	if (d == NULL) {
		if (dup >= 0)
			close(dup);
		return 0;
	}
	while (ok && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "logs") == 0 || strcmp(e->d_name, "configuration") == 0)
			continue;
		if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode))
			ok = 0;
	}
	closedir(d);
	return ok;
}

/*
 * session_become_owner - root in a data directory that another user
 * owns (the daemon's account) becomes that user, as `su` would, for good:
 * a root shell then writes and prints nothing
 * that account could not, whatever it planted there (issue 9). A
 * directory root owns is first handed to mxgate, as a root start of
 * mxgated would (util/handover.h).
 */
int
session_become_owner(const char *dir, int *opener, char **cause)
{
	struct passwd *pw;
	struct stat st, db;
	gid_t gid;
	int fd, store;

	if (opener)
		*opener = -1;
	if (geteuid() != 0)
		return 0;
	if ((fd = fs_open_dir(dir, 0)) < 0) {
		if (errno == ENOENT)
			return 0;	/* a first start: store_open makes it */
		*cause = str_printf("cannot open %s: %s", dir, fs_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*cause = str_printf("cannot open %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	/* only a data directory is handed over: never a tree -D named by mistake */
	store = st.st_uid == 0 && fstatat(fd, "config.db", &db, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(db.st_mode) && only_data_dirs(fd);
	close(fd);
	if (st.st_uid == 0) {
		/*
		 * No root start of mxgated has handed this directory over yet:
		 * hand it over here, as that start would, and become mxgate
		 * (as Postfix's postsuper becomes mail_owner), so that nothing
		 * this shell makes is root's: a daemon starting meanwhile could
		 * not open it. Root stays root where mxgate could not run
		 * anyway: no such account, or a path it cannot reach; and in
		 * a directory that is not a data directory: no config.db, or
		 * directories of its own (`mxsh -D /root` must not give /root
		 * away; the store is made or used there as root, as before).
		 */
		pw = getpwnam(HANDOVER_USER);
		if (!store || pw == NULL || pw->pw_uid == 0 ||
		    !handover_reachable(dir, pw->pw_uid, pw->pw_gid))
			return 0;
		if (handover_dir(dir, pw->pw_uid, pw->pw_gid, "mxsh", cause) < 0)
			return -1;
		st.st_uid = pw->pw_uid;
	}
	/* the files an operator names are still opened as root, by a process that stays root */
	if (opener && (*opener = opener_start()) < 0) {
		*cause = str_printf("cannot start the file opener: %s", strerror(errno));
		return -1;
	}
	pw = getpwuid(st.st_uid);
	gid = pw ? pw->pw_gid : st.st_gid;
	/*
	 * Not no_new_privs: the account's own rights include ping's file
	 * capability (an operator's SSH session, the same uid, has it), and
	 * with no_new_privs `ping` from root's shell failed ("missing
	 * cap_net_raw"). Root stays out of reach: all three uids change and
	 * setuid(0) is checked below.
	 */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(st.st_uid, st.st_uid, st.st_uid) < 0) {
		*cause = str_printf("cannot become user %ld, the owner of %s: %s",
		    (long)st.st_uid, dir, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		*cause = str_printf("root could be regained after becoming the owner of %s", dir);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the session */

/* say - one line in every cli_logs-type log */
static void
say(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct session *s, const char *fmt, ...)
{
	va_list ap;

	if (s->cli == NULL || s->cli->clilogs == NULL)
		return;
	va_start(ap, fmt);
	logsub_out_vwrite(s->cli->clilogs, LOGFILE_INFO, fmt, ap);
	va_end(ap);
}

/* record - one row of the login record for `last`; a failure is a warning */
static void
record(struct session *s, const char *event, const char *method, const char *detail)
{
	struct user_login l = { 0 };
	char *cause = NULL;

	l.when = time(NULL);
	str_copy(l.user, s->user, sizeof(l.user));
	str_copy(l.event, event, sizeof(l.event));
	str_copy(l.origin, s->origin, sizeof(l.origin));
	str_copy(l.method, method ? method : "", sizeof(l.method));
	l.session = s->id;
	str_copy(l.detail, detail ? detail : "", sizeof(l.detail));
	if (users_login_record(s->cli->st, &l, &cause) < 0) {
		fprintf(stderr, "mxsh: warning: %s\n", cause);
		free(cause);
	}
}

struct live_count {
	int n;			/* live SSH sessions */
	int64_t dead[64];	/* rows of processes that are gone */
	int ndead;
};

/* count_live - users_sessions callback: count live SSH rows, note dead ones */
static int
count_live(const struct user_session *r, void *arg)
{
	struct live_count *lc = arg;
	if (!proc_alive(r->pid, r->pid_start)) {
		if (lc->ndead < (int)(sizeof(lc->dead) / sizeof(lc->dead[0])))
			lc->dead[lc->ndead++] = r->id;
		return 0;
	}
	if (strcmp(r->kind, "ssh") == 0)
		lc->n++;
	return 0;
}

/* at_exit - an exit() that did not pass through session_end still closes the row */
static void
at_exit(void)
{
	if (active)
		session_end(active, NULL);
}

int
session_start(struct session *s, struct cli *c, int interactive, char **cause)
{
	struct user_session row = { 0 };
	const char *tty;
	static int registered;

	s->cli = c;
	s->interactive = interactive;
	if (s->account) {
		struct user u;
		int r = users_get(c->st, s->user, &u, cause);

		if (r < 0)
			return -1;
		if (r == 1) {
			*cause = str_printf("mxsh: there is no account %s", s->user);
			return -1;
		}
		if (u.locked) {
			record(s, "failed", s->ssh ? s->method : "console", "locked");
			*cause = str_printf("mxsh: the account %s is locked", s->user);
			return -1;
		}
		s->role = (int)u.role;
	}
	str_copy(c->user, s->user, sizeof(c->user));
	str_copy(c->origin, s->origin, sizeof(c->origin));
	c->role = s->role;
	c->ssh = s->ssh;
	c->root = s->root && !s->ssh;
	complete_set_role(s->role);	/* TAB and `?` offer only what the role may run */
	if (s->role == ROLE_READONLY || s->role == ROLE_GUEST || s->role == ROLE_TECHNICIAN)
		store_set_readonly(c->st, users_role_name((enum user_role)s->role));

	if (s->ssh) {
		struct live_count lc = { 0 };
		long max = settings_get_int(c->st, "adminaccess.max_sessions");

		if (users_sessions(c->st, count_live, &lc, cause) < 0)
			return -1;
		for (int i = 0; i < lc.ndead; i++) {
			char *e = NULL;

			if (users_session_prune(c->st, lc.dead[i], &e) < 0)
				free(e);
		}
		/* an admin is never kept out: other roles could fill the slots */
		if (max > 0 && lc.n >= max && s->role != ROLE_ADMIN) {
			record(s, "failed", s->method, "too many sessions");
			*cause = str_printf("Too many sessions are open (%d); try again later.", lc.n);
			return -1;
		}
	}

	str_copy(row.user, s->user, sizeof(row.user));
	row.pid = getpid();
	if (proc_start_time(row.pid, &row.pid_start) != 0)
		row.pid_start = 0;
	str_copy(row.origin, s->origin, sizeof(row.origin));
	if ((tty = ttyname(STDIN_FILENO)) != NULL) {
		if (strncmp(tty, "/dev/", 5) == 0)
			tty += 5;
		str_copy(row.tty, tty, sizeof(row.tty));
	}
	str_copy(row.kind, s->ssh ? "ssh" : "console", sizeof(row.kind));
	row.started = row.active = time(NULL);
	if (users_session_open(c->st, &row, cause) < 0)
		return -1;
	s->id = row.id;
	c->session = row.id;
	active = s;
	if (!registered) {
		atexit(at_exit);
		registered = 1;
	}

	if (s->ssh || interactive) {
		const char *m = s->ssh ? (*s->method ? s->method : "unknown") : "console";
		char *e = NULL;

		if (s->ssh)
			say(s, "PID %ld: User %s logged in from %s by %s (session %lld)",
			    (long)getpid(), s->user, s->origin, m, (long long)s->id);
		else
			say(s, "PID %ld: User %s logged in at the console (session %lld)",
			    (long)getpid(), s->user, (long long)s->id);
		record(s, "login", m, NULL);
		s->logged_in = 1;
		/* a key login: sshd checked the key, nothing counted it yet */
		if (s->account && s->ssh && strcmp(m, "publickey") == 0 &&
		    users_login_ok(c->st, s->user, &e) < 0)
			free(e);
	}
	return 0;
}

int
session_password_expired(struct session *s)
{
	struct user u;
	char *cause = NULL;
	long days;

	if (!s->account)
		return 0;
	days = settings_get_int(s->cli->st, "users.max_age_days");
	if (days <= 0)
		return 0;
	if (users_get(s->cli->st, s->user, &u, &cause) != 0) {
		free(cause);
		return 0;
	}
	return u.has_password && u.pw_changed > 0 &&
	    time(NULL) - u.pw_changed > (time_t)days * 86400;
}

int
session_check(struct session *s, char **cause)
{
	struct user u;
	char *e = NULL;
	int r;

	/*
	 * the idle time `who` shows has a resolution of seconds: the row is
	 * written at most once a second, not after every line (a script of
	 * 10,000 lines would pay a write transaction each, and SQLite's cost
	 * for one grows with this session's staged candidate)
	 */
	if (s->id && time(NULL) != s->touched) {
		s->touched = time(NULL);
		if (users_session_touch(s->cli->st, s->id, &e) < 0) {
			fprintf(stderr, "mxsh: warning: %s\n", e);
			free(e);
			e = NULL;
		}
	}
	if (!s->account)
		return 0;
	r = users_get(s->cli->st, s->user, &u, &e);
	if (r < 0) {
		free(e);	/* a busy store: look again after the next command */
		return 0;
	}
	if (r == 1) {
		*cause = str_printf("mxsh: the account %s no longer exists", s->user);
		return 1;
	}
	if (u.locked) {
		*cause = str_printf("mxsh: the account %s is locked", s->user);
		return 1;
	}
	if (u.role != (enum user_role)s->role) {
		/* a new role takes effect at the next login: never a wider one meanwhile */
		*cause = str_printf("mxsh: the role of %s changed; log in again", s->user);
		return 1;
	}
	return 0;
}

void
session_end(struct session *s, const char *detail)
{
	char *cause = NULL;

	if (s == NULL || s->cli == NULL)
		return;
	if (active == s)
		active = NULL;
	if (s->logged_in) {
		say(s, "PID %ld: User %s logged out of session %lld %s %s%s%s%s", (long)getpid(),
		    s->user, (long long)s->id, s->ssh ? "from" : "at",
		    s->ssh ? s->origin : "the console", detail ? " (" : "", detail ? detail : "",
		    detail ? ")" : "");
		record(s, "logout", NULL, detail);
		s->logged_in = 0;
	}
	if (s->id && users_session_close(s->cli->st, s->id, &cause) < 0) {
		fprintf(stderr, "mxsh: warning: %s\n", cause);
		free(cause);
	}
	s->id = 0;
	s->cli->session = 0;
}

/* on_stop - SIGHUP, SIGTERM: end the session from the loop, not from here */
static void
on_stop(int sig)
{
	(void)sig;
	session_stop = 1;
	if (stop_intr)
		*stop_intr = 1;
}

void
session_signals(volatile sig_atomic_t *intr)
{
	struct sigaction sa;

	stop_intr = intr;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a read in progress fails with EINTR */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void
session_banner(struct session *s)
{
	char *b = settings_get(s->cli->st, "adminaccess.banner");
	int last = '\n';

	for (const char *p = b; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		/* "\n" as the command writes a line break; other controls never reach a terminal */
		if (ch == '\\' && (p[1] == 'n' || p[1] == '\\')) {
			last = p[1] == 'n' ? '\n' : '\\';
			p++;
		} else if (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch != 0x7f)) {
			last = ch;
		} else {
			last = '?';
		}
		putchar(last);
	}
	if (last != '\n')
		putchar('\n');
	free(b);
	fflush(stdout);
}
