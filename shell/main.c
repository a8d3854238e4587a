/*
 * main.c - mxsh, the operator shell.
 *
 *   mxsh [-D DIR] [-u NAME] [-e] [-c LINE]...
 *   mxsh --pam-auth                (pam_exec, shell/auth.h)
 *   mxsh --authorized-keys NAME    (sshd's AuthorizedKeysCommand)
 *
 * Interactive when standard input is a terminal and no -c is given;
 * otherwise batch: each -c LINE, or each line of standard input, is one
 * command, and answers to questions come from the same stream. Batch mode
 * has no prompt, colour or pager. -e stops at the first failing command.
 * As an operator account's login shell, sshd runs it as "-mxsh" (an
 * interactive login) or "mxsh -c LINE" (ssh gw LINE). Who runs it and
 * the session it holds: shell/session.h.
 *
 * Exit status: 0 every command succeeded, 1 some command failed or the
 * session was refused, 2 usage.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "commands/cmd_displayalerts.h"
#include "mail/logsub.h"
#include "shell/auth.h"
#include "shell/lineedit.h"
#include "shell/opener.h"
#include "shell/session.h"
#include "store/cluster.h"
#include "store/config.h"
#include "store/queue.h"
#include "store/settings.h"
#include "util/fsutil.h"
#include "util/logfile.h"
#include "util/str.h"

#define MXSH_DEFAULT_DIR "/var/lib/mxgate"

static volatile sig_atomic_t interrupted;

struct shell {
	struct cli cli;			/* what commands see */
	struct lineedit *le;		/* interactive terminal, or NULL in batch */
	FILE *in;			/* batch input */
	int prompt_answers;		/* batch on a terminal (-c): show question prompts */
	int64_t logs_version;		/* commit whose cli_logs-type logs are open */
	int opener;			/* root's file opener (shell/opener.h), or -1 */
	struct session sess;		/* who, and the sessions row (shell/session.h) */
	int idle;			/* adminaccess.timeout of an interactive session, or of
					   an SSH session reading commands on stdin; or 0 */
	int timed_out;			/* such a batch session waited idle seconds for a line */
};

static void
usage(void)
{
	fprintf(stderr, "usage: mxsh [-D DIR] [-u NAME] [-e] [-c LINE]...\n"
			"       mxsh --pam-auth | --authorized-keys NAME\n"
			"  -D DIR   data directory (default $MXGATE_HOME, else %s)\n"
			"  -u NAME  act as the account NAME (root or the data directory's owner)\n"
			"  -c LINE  run LINE as a command (repeatable); no prompt\n"
			"  -e       stop at the first command that fails\n",
	    MXSH_DEFAULT_DIR);
	exit(2);
}

/*
 * wait_input - an SSH session reading its commands on standard input
 * (`ssh -T gw`, no terminal) waits until *end for a byte: 1 there is
 * input (or its end, or an error for read to report); 0 the time is up
 * (sh->timed_out); -1 SIGHUP/SIGTERM
 */
static int
wait_input(struct shell *sh, const struct timespec *end)
{
	struct pollfd p = { .fd = fileno(sh->in), .events = POLLIN };
	struct timespec now;
	long long left;
	int r;

	for (;;) {
		if (session_stop)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long long)(end->tv_sec - now.tv_sec) * 1000 +
		    (end->tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0) {
			sh->timed_out = 1;
			return 0;
		}
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0 || (r < 0 && errno != EINTR))
			return 1;
	}
}

/*
 * timed_readline - one line of standard input within sh->idle seconds,
 * read a byte at a time from the descriptor so that no buffered line
 * hides from poll; NULL at the end of input, at a stop, or when the time
 * is up (a part of a line is then dropped, never run)
 */
static char *
timed_readline(struct shell *sh)
{
	struct timespec end;
	char *line = NULL, ch;
	size_t n = 0, cap = 0;
	ssize_t r;

	if (sh->timed_out)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += sh->idle;
	for (;;) {
		if (wait_input(sh, &end) <= 0) {
			free(line);
			return NULL;
		}
		r = read(fileno(sh->in), &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (n == 0) {
				free(line);
				return NULL;
			}
			break;
		}
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 128;
			line = xrealloc(line, cap);
		}
		if (ch == '\n')
			break;
		/* C strings end at a NUL: the CLI refuses the line rather than run a prefix */
		if (ch == '\0')
			sh->cli.nul_in_line = 1;
		line[n++] = ch;
	}
	if (line == NULL)
		line = xcalloc(1, 1);
	line[n] = '\0';
	while (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	return line;
}

/* batch_readline - cli_io.readline for scripts: one line of the input stream */
static char *
batch_readline(void *arg, const char *prompt, int *intr)
{
	struct shell *sh = arg;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	*intr = 0;
	if (sh->cli.prompt && sh->cli.prompt->secret && isatty(fileno(sh->in))) {
		/* a person types the answer to a script's question: no echo */
		fflush(stdout);
		return lineedit_read_secret(sh->prompt_answers ? prompt : "", sh->cli.intr, intr);
	}
	if (sh->prompt_answers) {
		fputs(prompt, stdout);
		fflush(stdout);
	}
	fflush(stdout);
	if (sh->idle > 0)
		return timed_readline(sh);
	n = getline(&line, &cap, sh->in);
	if (n < 0) {
		free(line);
		return NULL;
	}
	/* C strings end at a NUL: the CLI refuses the line rather than run a prefix */
	if (memchr(line, '\0', (size_t)n) != NULL)
		sh->cli.nul_in_line = 1;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* batch_write - cli_io.write for scripts: stdout, errors to stderr */
static int
batch_write(void *arg, const char *s, size_t n, int is_error)
{
	(void)arg;
	if (is_error) {
		fflush(stdout);
		fwrite(s, 1, n, stderr);
		fflush(stderr);
	} else {
		fwrite(s, 1, n, stdout);
	}
	return 0;
}

/*
 * batch_wait - cli_io.wait for scripts: stop following when the input
 * stream has a line or has ended (a file, /dev/null, a closed pipe), so
 * `grep -t` in a script prints what it found and goes on; with input
 * that stays open and silent (ssh without a terminal) it follows until
 * the line, the end of input or a signal.
 */
static int
batch_wait(void *arg, int ms)
{
	struct shell *sh = arg;
	struct pollfd p = { .fd = fileno(sh->in), .events = POLLIN };

	fflush(stdout);
	return poll(&p, 1, ms) != 0;	/* ready, hung up, invalid, or EINTR */
}

/* tty_wait - cli_io.wait at a terminal: until Ctrl-C */
static int
tty_wait(void *arg, int ms)
{
	struct shell *sh = arg;

	fflush(stdout);
	poll(NULL, 0, ms);	/* Ctrl-C ends it early with EINTR */
	return *sh->cli.intr != 0;
}

/*
 * tty_readline - cli_io.readline at a terminal: a command line, or the
 * answer to a dialogue's question (cli.prompt), where TAB and `?` offer
 * that question's choices and a secret is not echoed
 */
static char *
tty_readline(void *arg, const char *prompt, int *intr)
{
	struct shell *sh = arg;

	if (sh->cli.prompt)
		return lineedit_read_answer(sh->le, prompt, sh->cli.prompt, intr);
	return lineedit_read(sh->le, prompt, intr);
}

/* tty_write - cli_io.write at a terminal (paged) */
static int
tty_write(void *arg, const char *s, size_t n, int is_error)
{
	struct shell *sh = arg;

	if (sh->cli.nopager && !is_error) {
		fwrite(s, 1, n, stdout);
		fflush(stdout);
		return *sh->cli.intr ? -1 : 0;
	}
	return lineedit_write(sh->le, s, n, is_error);
}

/*
 * open_file - cli_io.open_file: as root through the opener once mxsh
 * changed user, else here, as the opener does: without blocking (a FIFO
 * nobody writes to would hang the command for good), a regular file
 * only (ENXIO otherwise: no FIFO, device or directory), then blocking
 * again for the reads
 */
static int
open_file(void *arg, const char *path)
{
	struct shell *sh = arg;
	struct stat st;
	int fd, fl, err;

	if (sh->opener >= 0)
		return opener_open(sh->opener, path);
	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		err = errno;
	} else if (!S_ISREG(st.st_mode)) {
		err = ENXIO;
	} else if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		err = errno;
	} else {
		return fd;
	}
	close(fd);
	errno = err;
	return -1;
}

static const struct cli_io batch_io = { batch_readline, batch_write, batch_wait, open_file };
static const struct cli_io tty_io = { tty_readline, tty_write, tty_wait, open_file };

/*
 * make_prompt - in a cluster the session's level, "(Cluster NAME)> ",
 * "(Group NAME)> " or "(Machine NAME)> " (AsyncOS); else "hostname> "
 * from the committed hostname, else the machine's. Made before each
 * command line, so it follows clustermode and clusterconfig at once.
 */
static char *
make_prompt(struct store *st)
{
	char *v = NULL, *cause = NULL, host[256];
	struct cluster_member m;

	if (cluster_member_get(st, &m, &cause) == 0) {
		const char *level = cluster_session_current(st);
		char *p;

		if (strcmp(level, "cluster") == 0)
			p = str_printf("(Cluster %s)> ", m.cluster);
		else if (strncmp(level, "group:", 6) == 0)
			p = str_printf("(Group %s)> ", level + 6);
		else
			p = str_printf("(Machine %s)> ", m.machine);
		cluster_member_free(&m);
		return p;
	}
	free(cause);
	cause = NULL;

	if (config_get_running(st, SETTINGS_SECTION, "system.hostname", &v, &cause) < 0)
		free(cause);
	if (v && *v) {
		char *p = str_printf("%s> ", v);

		free(v);
		return p;
	}
	free(v);
	if (gethostname(host, sizeof(host)) < 0)
		str_copy(host, "mxgate", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	return str_printf("%s> ", host);
}

/*
 * start_level - a session of a machine in a cluster starts at the
 * cluster level (AsyncOS); if that cannot be, at the machine level with
 * a warning
 */
static void
start_level(struct shell *sh)
{
	struct cluster_member m;
	char *cause = NULL;
	int rc = cluster_member_get(sh->cli.st, &m, &cause);

	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "Warning: cannot read the cluster membership (%s); this "
					"session works at the machine level.\n", cause);
		free(cause);
		return;
	}
	cluster_member_free(&m);
	if (cluster_session_level(sh->cli.st, "cluster", &cause) < 0) {
		fprintf(stderr, "Warning: cannot work at the cluster level (%s); this session "
				"works at the machine level.\n", cause);
		free(cause);
	}
}

/* is_quit - did this line ask to leave? */
static int
is_quit(const char *line)
{
	char word[32];
	const struct cmd_entry *e;
	int amb;

	if (sscanf(line, " %31s", word) != 1)
		return 0;
	e = cmd_find(word, &amb);
	return e && strcmp(e->name, "quit") == 0;
}

/*
 * follow_logs - open the cli_logs-type log subscriptions of the running
 * configuration (mail/logsub.c): at the start, and after a command once a
 * commit has changed them. Not while changes are pending: this session's
 * reads include its candidate, which is not running configuration yet.
 */
static void
follow_logs(struct shell *sh, int first)
{
	struct cli *c = &sh->cli;
	struct logsub *subs;
	char *cause = NULL;
	int64_t v = config_version(c->st);
	int n;

	if (!first && (v == sh->logs_version || config_pending(c->st) != 0))
		return;
	sh->logs_version = v;
	if (logsub_load(c->st, &subs, &n, &cause) < 0) {
		fprintf(stderr, "mxsh: warning: %s\n", cause);
		free(cause);
		cause = NULL;
		if (!first)
			return;	/* keep what is open */
		/* cli_logs at least, with its defaults */
		n = 1;
		subs = xcalloc(1, sizeof(*subs));
		logsub_defaults(&subs[0], "cli_logs", LOGSUB_CLI);
	}
	if (logsub_out_apply(c->clilogs, subs, n, &cause) < 0) {
		fprintf(stderr, "mxsh: warning: %s; commands are not logged there\n", cause);
		free(cause);
	}
	free(subs);
	c->clilog = logsub_out_get(c->clilogs, "cli_logs");
}

/*
 * ended - must the session end now (idle timeout, SIGHUP/SIGTERM, the
 * account deleted or locked meanwhile)? Says why; *detail for the logout
 * line. Also touches the sessions row.
 */
static int
ended(struct shell *sh, const char **detail)
{
	char *cause = NULL;

	*detail = NULL;
	if (lineedit_idle_expired() || sh->timed_out) {
		printf("Session timed out after %d seconds of inactivity.\n", sh->idle);
		fflush(stdout);
		*detail = "idle timeout";
		return 1;
	}
	if (session_stop)
		return 1;
	if (session_check(&sh->sess, &cause) == 1) {
		fflush(stdout);
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return 1;
	}
	return 0;
}

/*
 * tty_gone - has the terminal hung up (the SSH connection dropped)? Its
 * reads then end at once, and a quit that asks a question would never
 * get its answer.
 */
static int
tty_gone(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/*
 * change_expired - an interactive session whose password expired must
 * choose a new one first (the passwd dialogue); 0 done, -1 the session ends
 */
static int
change_expired(struct shell *sh, const char **detail)
{
	struct cli *c = &sh->cli;

	if (!session_password_expired(&sh->sess))
		return 0;
	printf("Your password has expired; choose a new one.\n");
	for (int tries = 0; tries < 3; tries++) {
		enum cmd_ret r;

		c->eof = 0;
		*c->intr = 0;
		r = cmd_run_line(c, "passwd");
		if (ended(sh, detail))
			return -1;
		if (!session_password_expired(&sh->sess))
			return 0;
		if (r == CMD_ABORTED || c->eof)
			break;
	}
	fprintf(stderr, "Your password has expired; log in again to change it.\n");
	return -1;
}

/* run_interactive - the prompt loop; returns the exit status */
static int
run_interactive(struct shell *sh)
{
	struct cli *c = &sh->cli;
	const char *detail = NULL;

	session_banner(&sh->sess);
	if (change_expired(sh, &detail) < 0) {
		session_end(&sh->sess, detail);
		return 1;
	}
	printf("\nmxgate shell. Type 'help' for commands, '?' at any point for what may come "
	       "next.\n\n");
	displayalerts_banner(c);	/* alerts raised since this user last looked */
	for (;;) {
		char *prompt = make_prompt(c->st), *line;
		int intr = 0;

		line = lineedit_read(sh->le, prompt, &intr);
		free(prompt);
		if (line == NULL) {
			if (ended(sh, &detail) || tty_gone())
				break;
			if (intr)
				continue;	/* Ctrl-C at the prompt: a fresh line */
			/* Ctrl-D leaves, as quit does */
			printf("\n");
			c->eof = 0;
			if (cmd_run_line(c, "quit") == CMD_OK)
				break;
			if (ended(sh, &detail))
				break;
			continue;
		}
		if (*str_trim(line) != '\0') {
			/* the history file is on disk too: secrets masked as in cli_logs */
			char *masked = cmd_mask_line(line);

			lineedit_history_add(sh->le, masked);
			free(masked);
		}
		c->eof = 0;
		*c->intr = 0;
		if (cmd_run_line(c, line) == CMD_OK && is_quit(line)) {
			free(line);
			break;
		}
		follow_logs(sh, 0);
		free(line);
		if (ended(sh, &detail))
			break;
	}
	session_end(&sh->sess, detail);
	return 0;
}

/* run_line - one batch command; updates *failed, and *detail when the session ends */
static int
run_line(struct shell *sh, const char *line, int stop_on_error, int *failed,
    const char **detail)
{
	enum cmd_ret r = cmd_run_line(&sh->cli, line);

	follow_logs(sh, 0);
	if (ended(sh, detail)) {
		*failed = 1;
		return -1;
	}
	if (r != CMD_OK) {
		*failed = 1;
		if (stop_on_error)
			return -1;
	} else if (is_quit(line)) {
		return -1;
	}
	return 0;
}

/* free_lines - the copies of the -c lines, wiped (one may hold a password) */
static void
free_lines(char **lines, int nlines)
{
	for (int i = 0; i < nlines; i++) {
		explicit_bzero(lines[i], strlen(lines[i]));
		free(lines[i]);
	}
	free(lines);
}

/* refuse - a session refused before it began: one line, exit status */
static int
refuse(struct shell *sh, char *cause, int status, char **lines, int nlines)
{
	fflush(stdout);
	fprintf(stderr, "%s\n", cause);
	free(cause);
	free_lines(lines, nlines);
	if (sh->cli.st) {
		queue_close(sh->cli.q);
		logsub_out_free(sh->cli.clilogs);
		store_close(sh->cli.st);
	}
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pam-auth", no_argument, NULL, 'P' },
		{ "authorized-keys", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	struct shell sh;
	const char *dir = getenv("MXGATE_HOME"), *as_user = NULL, *keys_for = NULL;
	char **lines = NULL, *cause = NULL, *histfile;
	const char *detail = NULL;
	int nlines = 0, stop_on_error = 0, failed = 0, opt, n, dir_given = 1, pam = 0,
	    interactive, rc;

	memset(&sh, 0, sizeof(sh));
	if (dir == NULL || *dir == '\0') {
		dir = MXSH_DEFAULT_DIR;
		dir_given = 0;
	}
	while ((opt = getopt_long(argc, argv, "D:c:eu:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'D':
			dir = optarg;
			dir_given = 1;
			break;
		case 'c':
			lines = xrealloc(lines, sizeof(char *) * (size_t)(nlines + 1));
			lines[nlines++] = optarg;
			break;
		case 'e':
			stop_on_error = 1;
			break;
		case 'u':
			as_user = optarg;
			break;
		case 'P':
			pam = 1;
			break;
		case 'K':
			keys_for = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (pam && keys_for) || ((pam || keys_for) && (nlines || as_user)))
		usage();
	/*
	 * `ssh gw LINE` runs "mxsh -c LINE", which any local user reads in
	 * /proc/PID/cmdline while it runs: keep a copy, wipe the original
	 */
	for (int i = 0; i < nlines; i++) {
		char *copy = str_dup(lines[i]);

		explicit_bzero(lines[i], strlen(lines[i]));
		lines[i] = copy;
	}
	umask(077);
	if (pam) {
		/* the data directory of a name that is no operator account: where it is logged */
		return auth_pam(dir_given ? dir : NULL);
	}
	if (keys_for)
		return auth_keys(keys_for);

	/* who asked (cli_logs, commits), then, if root, the data directory's owner */
	if ((rc = session_identify(&sh.sess, as_user, &dir, dir_given, &cause)) < 0)
		return refuse(&sh, cause, rc == -2 ? 2 : 1, lines, nlines);
	sh.opener = -1;
	if (session_become_owner(dir, &sh.opener, &cause) < 0) {
		char *line = str_printf("mxsh: %s", cause);

		free(cause);
		return refuse(&sh, line, 1, lines, nlines);
	}

	if (store_open(dir, STORE_SESSION, &sh.cli.st, &cause) < 0) {
		char *line = str_printf("mxsh: %s", cause);

		free(cause);
		return refuse(&sh, line, 1, lines, nlines);
	}
	sh.cli.clilogs = logsub_out_new(dir, LOGSUB_CLI);
	follow_logs(&sh, 1);
	start_level(&sh);
	sh.cli.intr = &interrupted;
	sh.in = stdin;
	session_signals(&interrupted);

	interactive = nlines == 0 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (session_start(&sh.sess, &sh.cli, interactive, &cause) < 0)
		return refuse(&sh, cause, 1, lines, nlines);

	if (interactive) {
		histfile = str_printf("%s/.mxsh_history.%s", dir, sh.cli.user);
		sh.le = lineedit_open("mxsh", histfile,
		    (int)settings_get_int(sh.cli.st, "cli.history_size"), &interrupted);
		free(histfile);
		sh.idle = (int)settings_get_int(sh.cli.st, "adminaccess.timeout");
		lineedit_set_idle(sh.idle, &session_stop);
		sh.cli.io = &tty_io;
		sh.cli.io_arg = &sh;
		sh.cli.interactive = 1;
		failed = run_interactive(&sh);
		lineedit_close(sh.le);
	} else if (session_password_expired(&sh.sess)) {
		session_end(&sh.sess, NULL);
		return refuse(&sh,
		    str_dup("Your password has expired; log in interactively to change it."), 1,
		    lines, nlines);
	} else {
		sh.cli.io = &batch_io;
		sh.cli.io_arg = &sh;
		sh.prompt_answers = isatty(STDIN_FILENO) && nlines > 0;
		if (nlines > 0) {
			for (int i = 0; i < nlines; i++) {
				int stop;

				sh.cli.line_from_args = 1;
				stop = run_line(&sh, lines[i], stop_on_error, &failed, &detail);
				sh.cli.line_from_args = 0;
				if (stop < 0)
					break;
			}
		} else {
			char *line;
			int intr;

			/* over SSH without a terminal: timed as the prompt is (api.md) */
			if (sh.sess.ssh)
				sh.idle = (int)settings_get_int(sh.cli.st, "adminaccess.timeout");
			while (!session_stop) {
				int stop;

				if ((line = batch_readline(&sh, "", &intr)) == NULL) {
					if (sh.timed_out)
						ended(&sh, &detail);
					break;
				}
				stop = run_line(&sh, line, stop_on_error, &failed, &detail);
				free(line);
				if (stop < 0)
					break;
			}
		}
		n = config_pending(sh.cli.st);
		/* the last command's output first: with -c nothing flushed it yet */
		fflush(stdout);
		if (n > 0)
			fprintf(stderr, "Warning: %d uncommitted change%s discarded.\n", n,
			    n == 1 ? "" : "s");
		session_end(&sh.sess, detail);
	}
	free_lines(lines, nlines);
	queue_close(sh.cli.q);
	logsub_out_free(sh.cli.clilogs);
	store_close(sh.cli.st);
	return failed ? 1 : 0;
}
