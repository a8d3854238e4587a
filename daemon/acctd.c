/*
 * acctd.c - the account keeper: system accounts for SSH logins.
 *
 * OpenSSH logs in only names getpwnam() knows, so each operator account
 * of the store has a system account of the same name (mxgate-ssh(8)):
 * uid and gid of mxgate (shared, useradd -o), GECOS "mxgate operator"
 * (the tag: the only accounts the keeper ever changes), home the data
 * directory, login shell the mxsh installed beside mxgated.
 *
 * Making accounts needs root, and mxgated drops root before it opens
 * anything (daemon/privs.c). So, while still root, it forks this keeper
 * (acctd_start): it keeps no descriptor but its end of a SOCK_SEQPACKET
 * pair, dies with its parent (PR_SET_PDEATHSIG, and the socket's end of
 * file), and does one thing: given the list of names (acctd_sync), it
 *   - re-checks each name (users_name_ok): the list comes from a process
 *     that is no longer root and may be compromised;
 *   - makes the missing accounts: useradd, run with a fixed argv and an
 *     empty environment, never through a shell;
 *   - re-makes a tagged account whose uid, gid, home or shell differ
 *     (userdel -f, then useradd: usermod refuses to change the home of
 *     an account whose uid runs a process, and mxgated itself has it);
 *   - refuses (reports) a name the system has and the keeper did not
 *     make: an untagged account is never changed nor removed;
 *   - removes (userdel -f, never -r: the home is the data directory)
 *     every tagged account whose home is this data directory and whose
 *     name is not in the list.
 *
 * Messages carry a version and a sequence number; unpacking fails on
 * trailing bytes. A reply to a request the parent gave up waiting for is
 * recognised by its number and dropped.
 *
 * DIAGNOSTICS: acctd_sync's outcome, one line per problem, "ok" when
 * none; acctd_accounts logs what was made or removed in mail_logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/acctd.h"
#include "daemon/privs.h"
#include "store/queue.h"
#include "store/users.h"
#include "util/buf.h"
#include "util/printable.h"
#include "util/str.h"

#define ACCTD_VERSION	1		/* of the messages below */
#define ACCTD_MSG_MAX	65536		/* bytes of one message, either way */
#define ACCTD_PROBLEMS_MAX 20		/* problem lines in one reply, then a count */
#define ACCTD_WAIT_MS	120000		/* for the keeper's answer (useradd per new account) */

/* Every message starts with this; then count NUL-terminated strings, nothing after. */
struct acctd_hdr {
	uint32_t version;	/* ACCTD_VERSION */
	uint32_t seq;		/* the request's number, echoed in its reply */
	uint32_t count;		/* strings that follow */
};

/*
 * Reply lines start with their kind and a space: problem, made, re-made,
 * removed (the last three are logged by mxgated, the first is outcome).
 */
#define ACCTD_PROBLEM	'P'
#define ACCTD_MADE	'M'
#define ACCTD_REMADE	'U'
#define ACCTD_REMOVED	'R'

/* The parent's side: one keeper per process. */
static int keeper_fd = -1;	/* socket to the keeper; -1: none */
static pid_t keeper_pid = -1;	/* to reap it */
static int keeper_root;		/* acctd_start was called as root */
static char *keeper_cause;	/* why there is no keeper (malloc'd) */
static uint32_t keeper_seq;	/* last request's number */

/* What the keeper knows, fixed at start. */
struct keeper {
	const char *dir;	/* the data directory as given (resolved at each sync) */
	char shell[PATH_MAX];	/* mxsh beside mxgated */
	uid_t uid;		/* mxgate's */
	gid_t gid;
};

/* ---------------------------------------------------------------- messages */

/* pack - header and strings into b (bounded by ACCTD_MSG_MAX); -1 if too big */
static int
pack(struct buf *b, uint32_t seq, const char *const *v, int n)
{
	struct acctd_hdr h = { ACCTD_VERSION, seq, (uint32_t)n };

	buf_init(b, ACCTD_MSG_MAX);
	if (buf_add(b, &h, sizeof(h)) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (buf_add(b, v[i], strlen(v[i]) + 1) < 0)
			return -1;
	return 0;
}

/*
 * unpack - the strings of a message of len bytes (pointers into msg, at
 * most max of them; *v malloc'd). -1 on a wrong version, a string that
 * does not end inside the message, or bytes after the last one.
 */
static int
unpack(const char *msg, size_t len, uint32_t *seq, const char ***v, uint32_t max)
{
	struct acctd_hdr h;
	size_t off = sizeof(h);

	*v = NULL;
	if (len < sizeof(h))
		return -1;
	memcpy(&h, msg, sizeof(h));
	*seq = h.seq;
	if (h.version != ACCTD_VERSION || h.count > max)
		return -1;
	*v = xcalloc(h.count + 1, sizeof(**v));
	for (uint32_t i = 0; i < h.count; i++) {
		const char *nul = off < len ? memchr(msg + off, '\0', len - off) : NULL;

		if (nul == NULL) {
			free(*v);
			*v = NULL;
			return -1;
		}
		(*v)[i] = msg + off;
		off = (size_t)(nul - msg) + 1;
	}
	if (off != len) {
		free(*v);
		*v = NULL;
		return -1;
	}
	return (int)h.count;
}

/* ---------------------------------------------------------------- the keeper */

/* reply - collects the reply's lines; problems beyond ACCTD_PROBLEMS_MAX are counted */
struct reply {
	const char *line[USERS_MAX * 2 + ACCTD_PROBLEMS_MAX + 8];	/* malloc'd each */
	int n;
	int problems;		/* problem lines wanted */
};

static void reply_add(struct reply *r, char kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_add(struct reply *r, char kind, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (kind == ACCTD_PROBLEM && r->problems++ >= ACCTD_PROBLEMS_MAX)
		return;
	if (r->n >= (int)(sizeof(r->line) / sizeof(r->line[0])))
		return;
	va_start(ap, fmt);
	text = str_vprintf(fmt, ap);
	va_end(ap);
	r->line[r->n++] = str_printf("%c %s", kind, text);
	free(text);
}

/* tool_path - /usr/sbin/NAME or /sbin/NAME, whichever is executable */
static const char *
tool_path(const char *name, char *path, size_t size)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		str_fmt(path, size, "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return path;
	}
	str_fmt(path, size, "/usr/sbin/%s", name);
	return path;
}

/*
 * run_tool - argv run with an empty environment and no shell; what it
 * says on stderr (first line, escaped) in err. The exit status, or -1.
 */
static int
run_tool(char *const argv[], char *err, size_t errsz)
{
	static char *const envp[] = { NULL };
	char raw[512];
	size_t got = 0;
	int p[2], status;
	pid_t pid;
	ssize_t r;

	err[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0) {
		str_fmt(err, errsz, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		str_fmt(err, errsz, "cannot fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (got < sizeof(raw) - 1 &&
	    ((r = read(p[0], raw + got, sizeof(raw) - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			got += (size_t)r;
	close(p[0]);
	raw[got] = '\0';
	raw[strcspn(raw, "\n")] = '\0';
	printable_copy(err, errsz, raw, strlen(raw), 200);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			str_fmt(err, errsz, "cannot wait for %s: %s", argv[0], strerror(errno));
			return -1;
		}
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 127 && err[0] == '\0')
			str_fmt(err, errsz, "cannot run %s", argv[0]);
		return WEXITSTATUS(status);
	}
	str_fmt(err, errsz, "%s ended by signal %d", argv[0], WTERMSIG(status));
	return -1;
}

/* account_add - useradd NAME as the model says; 0, or -1 with err */
static int
account_add(const struct keeper *k, const char *home, const char *name, char *err, size_t errsz)
{
	char tool[64], uid[24], gid[24];
	char *argv[] = { (char *)tool_path("useradd", tool, sizeof(tool)), "-r", "-o", "-u", uid,
		"-g", gid, "-M", "-N", "-d", (char *)home, "-s", (char *)k->shell, "-c",
		ACCTD_TAG, "--", (char *)name, NULL };
	int rc;

	str_fmt(uid, sizeof(uid), "%lu", (unsigned long)k->uid);
	str_fmt(gid, sizeof(gid), "%lu", (unsigned long)k->gid);
	rc = run_tool(argv, err, errsz);
	if (rc != 0 && err[0] == '\0')
		str_fmt(err, errsz, "useradd exited with status %d", rc);
	return rc == 0 ? 0 : -1;
}

/*
 * account_del - userdel -f NAME: -f because the account's uid is
 * mxgated's own, which userdel would otherwise call "in use"; never -r,
 * which would remove the home, the data directory
 */
static int
account_del(const char *name, char *err, size_t errsz)
{
	char tool[64];
	char *argv[] = { (char *)tool_path("userdel", tool, sizeof(tool)), "-f", "--",
		(char *)name, NULL };
	int rc = run_tool(argv, err, errsz);

	if (rc != 0 && err[0] == '\0')
		str_fmt(err, errsz, "userdel exited with status %d", rc);
	return rc == 0 ? 0 : -1;
}

/* in_list - name is one of v[0..n) */
static int
in_list(const char *name, const char *const *v, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

/* shell_ok - path is an executable regular file */
static int
shell_ok(const char *path)
{
	struct stat sb;

	return path[0] == '/' && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    access(path, X_OK) == 0;
}

/* keeper_sync - the accounts to match names; what happened in r */
static void
keeper_sync(const struct keeper *k, const char *const *names, int n, struct reply *r)
{
	char home[PATH_MAX], err[256];
	char **gone = NULL;
	int ngone = 0;
	struct passwd *pw;

	if (realpath(k->dir, home) == NULL) {
		reply_add(r, ACCTD_PROBLEM, "cannot find the data directory %s: %s", k->dir,
		    strerror(errno));
		return;
	}
	if (strpbrk(home, ":\n") || strpbrk(k->shell, ":\n")) {
		reply_add(r, ACCTD_PROBLEM, "the data directory or mxsh has a ':' or a newline in "
					    "its path: no system account can point to it");
		return;
	}
	if (!shell_ok(k->shell)) {
		reply_add(r, ACCTD_PROBLEM, "the login shell %s of the SSH accounts is missing or "
					    "not executable: no system account was made or removed",
		    k->shell);
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i];
		char *cause = NULL;

		if (users_name_ok(name, &cause) < 0) {
			reply_add(r, ACCTD_PROBLEM, "%s", cause ? cause : "a user name is not valid");
			free(cause);
			continue;
		}
		errno = 0;
		pw = getpwnam(name);
		if (pw == NULL && errno != 0 && errno != ENOENT && errno != ESRCH) {
			reply_add(r, ACCTD_PROBLEM, "%s: cannot look the system account up: %s", name,
			    strerror(errno));
		} else if (pw == NULL) {
			if (account_add(k, home, name, err, sizeof(err)) < 0)
				reply_add(r, ACCTD_PROBLEM, "%s: the system account could not be made: %s",
				    name, err);
			else
				reply_add(r, ACCTD_MADE, "%s", name);
		} else if (pw->pw_gecos == NULL || strcmp(pw->pw_gecos, ACCTD_TAG) != 0) {
			reply_add(r, ACCTD_PROBLEM, "%s: the system already has an account of that "
						    "name that mxgate did not make; it cannot log in "
						    "over SSH",
			    name);
		} else if (pw->pw_uid != k->uid || pw->pw_gid != k->gid ||
		    strcmp(pw->pw_dir, home) != 0 || strcmp(pw->pw_shell, k->shell) != 0) {
			if (pw->pw_uid == 0)
				reply_add(r, ACCTD_PROBLEM, "%s: the system account has uid 0: left "
							    "as it is",
				    name);
			else if (account_del(name, err, sizeof(err)) < 0)
				reply_add(r, ACCTD_PROBLEM, "%s: the system account could not be "
							    "re-made: %s",
				    name, err);
			else if (account_add(k, home, name, err, sizeof(err)) < 0)
				reply_add(r, ACCTD_PROBLEM, "%s: the system account was removed to be "
							    "re-made, and could not be made: %s",
				    name, err);
			else
				reply_add(r, ACCTD_REMADE, "%s", name);
		}
	}
	/* names collected first: userdel rewrites the file getpwent reads */
	setpwent();
	while ((pw = getpwent()) != NULL && ngone < USERS_MAX * 4)
		if (pw->pw_gecos && strcmp(pw->pw_gecos, ACCTD_TAG) == 0 && pw->pw_uid != 0 &&
		    strcmp(pw->pw_dir, home) == 0 && !in_list(pw->pw_name, names, n)) {
			gone = xrealloc(gone, (size_t)(ngone + 1) * sizeof(*gone));
			gone[ngone++] = str_dup(pw->pw_name);
		}
	endpwent();
	for (int i = 0; i < ngone; i++) {
		if (account_del(gone[i], err, sizeof(err)) < 0)
			reply_add(r, ACCTD_PROBLEM, "%s: the system account could not be removed: %s",
			    gone[i], err);
		else
			reply_add(r, ACCTD_REMOVED, "%s", gone[i]);
		free(gone[i]);
	}
	free(gone);
	if (r->problems > ACCTD_PROBLEMS_MAX) {
		int more = r->problems - ACCTD_PROBLEMS_MAX;

		r->problems = 0;	/* room for the count */
		reply_add(r, ACCTD_PROBLEM, "and %d more problems", more);
	}
}

/* keeper_main - answer requests until the parent goes; never returns */
static void
keeper_main(int fd, const struct keeper *k)
{
	static char msg[ACCTD_MSG_MAX + 1];

	for (;;) {
		ssize_t len = recv(fd, msg, sizeof(msg), MSG_TRUNC);
		struct reply *r;
		const char **names = NULL;
		uint32_t seq = 0;
		struct buf out;
		int n;

		if (len == 0)
			_exit(0);	/* mxgated closed its end, or is gone */
		if (len < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		r = xcalloc(1, sizeof(*r));
		n = (size_t)len > ACCTD_MSG_MAX ? -1 :
						  unpack(msg, (size_t)len, &seq, &names, USERS_MAX);
		if (n < 0)
			reply_add(r, ACCTD_PROBLEM, "the account keeper got a malformed request");
		else
			keeper_sync(k, names, n, r);
		free(names);
		if (pack(&out, seq, r->line, r->n) < 0) {
			/* cannot be: lines are bounded; say so rather than say nothing */
			const char *line = "P the account keeper's answer was too long";

			buf_free(&out);
			pack(&out, seq, &line, 1);
		}
		if (send(fd, out.data, out.len, MSG_NOSIGNAL) < 0 && errno != ENOBUFS)
			_exit(1);
		buf_free(&out);
		for (int i = 0; i < r->n; i++)
			free((char *)r->line[i]);
		free(r);
	}
}

/* find_mxsh - mxsh beside this program, else ../bin/mxsh (installed: sbin/ and bin/) */
static void
find_mxsh(char *shell, size_t size)
{
	char exe[PATH_MAX], *slash, alt[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	shell[0] = '\0';
	if (n <= 0)
		return;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return;
	*slash = '\0';
	str_fmt(shell, size, "%s/mxsh", exe);
	if (shell_ok(shell))
		return;
	str_fmt(alt, sizeof(alt), "%s/../bin/mxsh", exe);
	if (realpath(alt, exe) != NULL && shell_ok(exe))
		str_copy(shell, exe, size);
}

/* ---------------------------------------------------------------- mxgated's side */

/* acctd_start - fork the keeper (root only) */
int
acctd_start(const char *dir, char **cause)
{
	static struct keeper k;
	struct passwd *pw;
	int sv[2];
	pid_t parent = getpid();

	if (geteuid() != 0)
		return 0;
	keeper_root = 1;
	pw = getpwnam(PRIVS_USER);
	if (pw == NULL || pw->pw_uid == 0) {
		/* privs_drop refuses the start next, saying how to make it */
		keeper_cause = str_printf("there is no user %s", PRIVS_USER);
		return 0;
	}
	k.dir = dir;
	k.uid = pw->pw_uid;
	k.gid = pw->pw_gid;
	find_mxsh(k.shell, sizeof(k.shell));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		*cause = str_printf("cannot make the account keeper's socket: %s", strerror(errno));
		keeper_cause = str_dup(*cause);
		return -1;
	}
	keeper_pid = fork();
	if (keeper_pid < 0) {
		*cause = str_printf("cannot start the account keeper: %s", strerror(errno));
		keeper_cause = str_dup(*cause);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (keeper_pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* with its parent gone it has no one to answer: it ends too */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		prctl(PR_SET_NAME, "mxgated-acctd");
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_IGN);	/* a ^C to a foreground mxgated stops it, then us */
		/* nothing of mxgated's but the socket: descriptor 3 */
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
		    dup2(sv[1], 3) < 0)
			_exit(1);
		if (close_range(4, ~0U, 0) < 0)
			for (int fd = 4; fd < 65536; fd++)
				close(fd);
		keeper_main(3, &k);
	}
	close(sv[1]);
	keeper_fd = sv[0];
	return 0;
}

/* keeper_gone - the keeper stopped: reaped, and every sync says so */
static void
keeper_gone(const char *why)
{
	close(keeper_fd);
	keeper_fd = -1;
	if (keeper_pid > 0)
		waitpid(keeper_pid, NULL, WNOHANG);
	free(keeper_cause);
	keeper_cause = str_dup(why);
}

/* exchange - one request and its reply (malloc'd, *len bytes); -1 with *why */
static char *
exchange(const char *const *names, int n, size_t *len, char **why)
{
	struct buf req;
	char *msg;
	uint32_t seq = ++keeper_seq;

	if (pack(&req, seq, names, n) < 0) {
		buf_free(&req);
		*why = str_printf("the list of %d accounts is too long for the account keeper", n);
		return NULL;
	}
	if (send(keeper_fd, req.data, req.len, MSG_NOSIGNAL) < 0) {
		*why = str_printf("the account keeper has stopped (%s): restart mxgated",
		    strerror(errno));
		keeper_gone(*why);
		buf_free(&req);
		return NULL;
	}
	buf_free(&req);
	msg = xmalloc(ACCTD_MSG_MAX + 1);
	for (;;) {
		struct pollfd p = { keeper_fd, POLLIN, 0 };
		struct acctd_hdr h;
		int pr = poll(&p, 1, ACCTD_WAIT_MS);
		ssize_t got;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			*why = str_printf("the account keeper did not answer within %d seconds",
			    ACCTD_WAIT_MS / 1000);
			break;
		}
		got = pr < 0 ? -1 : recv(keeper_fd, msg, ACCTD_MSG_MAX + 1, MSG_TRUNC);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			*why = str_printf("the account keeper has stopped%s%s: restart mxgated",
			    got < 0 ? ": " : "", got < 0 ? strerror(errno) : "");
			keeper_gone(*why);
			break;
		}
		if ((size_t)got > ACCTD_MSG_MAX || (size_t)got < sizeof(h)) {
			*why = str_dup("the account keeper's answer was malformed");
			break;
		}
		memcpy(&h, msg, sizeof(h));
		if (h.seq != seq)
			continue;	/* the late answer to a request given up on */
		*len = (size_t)got;
		return msg;
	}
	free(msg);
	return NULL;
}

/* acctd_sync - the system accounts to match names */
int
acctd_sync(const char *const *names, int n, char **outcome, acctd_tell_cb tell, void *arg)
{
	const char **lines = NULL;
	struct buf o;
	uint32_t seq;
	size_t len = 0;
	char *why = NULL, *msg;
	int nl;

	if (!keeper_root) {
		*outcome = str_dup(ACCTD_NOT_ROOT);
		return -1;
	}
	if (keeper_fd < 0) {
		*outcome = str_printf("the account keeper is not running: %s",
		    keeper_cause ? keeper_cause : "it was not started");
		return -1;
	}
	if ((msg = exchange(names, n, &len, &why)) == NULL) {
		*outcome = why;
		return -1;
	}
	nl = unpack(msg, len, &seq, &lines, USERS_MAX * 2 + ACCTD_PROBLEMS_MAX + 8);
	if (nl < 0) {
		free(msg);
		*outcome = str_dup("the account keeper's answer was malformed");
		return -1;
	}
	buf_init(&o, 0);
	for (int i = 0; i < nl; i++) {
		const char *l = lines[i], *text = l[0] && l[1] == ' ' ? l + 2 : "";
		char *say = NULL;

		switch (l[0]) {
		case ACCTD_PROBLEM:
			buf_printf(&o, "%s%s", o.len ? "\n" : "", text);
			break;
		case ACCTD_MADE:
			say = str_printf("made system account %s for SSH logins", text);
			break;
		case ACCTD_REMADE:
			say = str_printf("re-made system account %s for SSH logins (its uid, home or "
					 "shell were not this data directory's)",
			    text);
			break;
		case ACCTD_REMOVED:
			say = str_printf("removed system account %s", text);
			break;
		default:
			buf_printf(&o, "%sthe account keeper said something unknown", o.len ? "\n" : "");
		}
		if (say && tell)
			tell(arg, say);
		free(say);
	}
	free(lines);
	free(msg);
	if (o.len == 0) {
		buf_free(&o);
		*outcome = str_dup("ok");
		return 0;
	}
	*outcome = buf_steal(&o);
	return -1;
}

/* ---------------------------------------------------------------- in mxgated */

/*
 * collect - users_list callback: the names of the accounts that can log
 * in, with a password or a key. One that has neither (the built-in admin
 * of a new store, say) needs no system account: it gets one when it gets
 * a way in (userconfig and passwd ask mxgated again then), so a start of
 * mxgated on a fresh data directory makes no account on the machine.
 */
struct names {
	char **v;
	int n;
};

static int
collect(const struct user *u, void *arg)
{
	struct names *nm = arg;

	if (!u->has_password && u->nkeys == 0)
		return 0;
	nm->v = xrealloc(nm->v, (size_t)(nm->n + 1) * sizeof(*nm->v));
	nm->v[nm->n++] = str_dup(u->name);
	return 0;
}

/* tell_log - a line of acctd_sync to mail_logs (Info) */
static void
tell_log(void *arg, const char *line)
{
	gw_log(arg, "%s", line);
}

/* acctd_accounts - sync from the store, log, and publish the outcome */
void
acctd_accounts(struct gw *gw)
{
	struct names nm = { NULL, 0 };
	char *outcome = NULL, *cause = NULL;

	if (users_list(gw->st, collect, &nm, &cause) < 0) {
		/* never a sync from a list that could not be read: it would remove them all */
		outcome = str_printf("cannot read the accounts: %s", cause ? cause : "store error");
		gw_logl(gw, LOGFILE_WARNING, "SSH accounts: %s", outcome);
		free(cause);
		cause = NULL;
	} else if (acctd_sync((const char *const *)nm.v, nm.n, &outcome, tell_log, gw) < 0 &&
	    strcmp(outcome, ACCTD_NOT_ROOT) != 0) {
		char *save = NULL, *line;
		char *copy = str_dup(outcome);

		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			gw_logl(gw, LOGFILE_WARNING, "SSH accounts: %s", line);
		free(copy);
	}
	for (int i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	if (queue_state_set(gw->q, "accounts", outcome, &cause) < 0) {
		gw_logl(gw, LOGFILE_WARNING, "cannot record the SSH accounts' outcome: %s", cause);
		free(cause);
	}
	free(outcome);
}

/* acctd_stop - close the socket (the keeper ends at end of file) and reap it */
void
acctd_stop(void)
{
	if (keeper_fd >= 0) {
		close(keeper_fd);
		keeper_fd = -1;
		if (keeper_pid > 0)
			while (waitpid(keeper_pid, NULL, 0) < 0 && errno == EINTR)
				;
	}
	keeper_pid = -1;
	free(keeper_cause);
	keeper_cause = NULL;
}
