/*
 * runtool.c - see runtool.h.
 *
 * The child runs in its own process group, so a Ctrl-C at the terminal
 * reaches mxsh alone, which passes SIGINT on (ping then prints its
 * summary) and, if the tool does not end within RUNTOOL_KILL_MS, kills
 * it. Nothing of mxsh leaks into the tool: descriptors above 2 are
 * closed, the environment is PATH and LC_ALL=C only, standard input is
 * /dev/null (in batch mode the rest of the input belongs to mxsh).
 *
 * DIAGNOSTICS: one error line, CMD_ERROR (see runtool.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands/runtool.h"
#include "net/smtpprobe.h"
#include "util/str.h"
#include "util/printable.h"
#include "util/str.h"

/* How long a tool has to end after SIGINT before SIGKILL. */
#define RUNTOOL_KILL_MS 3000
/* How often the output wait looks at Ctrl-C. */
#define RUNTOOL_SLICE_MS 200

/* mono_ms - monotonic milliseconds */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct relay {
	char buf[RUNTOOL_LINE_MAX];	/* a line being read */
	size_t len;			/* bytes in buf */
};

/* emit - one line of the tool's output, printable */
static void
emit(struct cli *c, const char *s, size_t n)
{
	char out[RUNTOOL_LINE_MAX * 4 + 1];

	printable_copy(out, sizeof(out), s, n, RUNTOOL_LINE_MAX);
	cli_printf(c, "%s\n", out);
}

/* feed - bytes read from the tool: whole lines printed, a long one cut */
static void
feed(struct cli *c, struct relay *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			emit(c, r->buf, r->len);
			r->len = 0;
		} else if (r->len < sizeof(r->buf)) {
			r->buf[r->len++] = s[i];
		}
	}
}

/* child - the tool's side of the fork; never returns */
static void
child(int out, char *const argv[])
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	closefrom(3);
	execve(argv[0], argv, envp);
	_exit(127);
}

enum cmd_ret
runtool_run(struct cli *c, const char *name, char *const argv[])
{
	struct relay r = { .len = 0 };
	int fds[2], status = 0, stopping = 0, open_out = 1, nopager;
	long long kill_at = 0;
	pid_t pid;

	if (access(argv[0], X_OK) < 0) {
		cli_error(c, "%s is not installed (%s).", name, argv[0]);
		return CMD_ERROR;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		cli_error(c, "Cannot run %s: %s.", name, strerror(errno));
		return CMD_ERROR;
	}
	if ((pid = fork()) < 0) {
		cli_error(c, "Cannot run %s: %s.", name, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return CMD_ERROR;
	}
	if (pid == 0)
		child(fds[1], argv);
	setpgid(pid, pid);	/* both sides: no race with a Ctrl-C */
	close(fds[1]);
	nopager = c->nopager;
	c->nopager = 1;	/* the tool's lines show as they come: a pager would hold them */
	while (open_out) {
		struct pollfd pf = { .fd = fds[0], .events = POLLIN };
		char chunk[4096];
		ssize_t n;

		if (!stopping && cli_interrupted(c)) {
			kill(-pid, SIGINT);
			stopping = 1;
			kill_at = mono_ms() + RUNTOOL_KILL_MS;	/* however much it writes */
		}
		if (stopping && mono_ms() >= kill_at) {
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&pf, 1, RUNTOOL_SLICE_MS) <= 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			open_out = 0;
		else
			feed(c, &r, chunk, (size_t)n);
	}
	if (r.len > 0)
		emit(c, r.buf, r.len);
	close(fds[0]);
	c->nopager = nopager;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (stopping) {
		cli_error(c, "%s stopped by Ctrl-C.", name);
		return CMD_ERROR;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CMD_OK;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		cli_error(c, "Cannot run %s (%s).", name, argv[0]);
		return CMD_ERROR;
	}
	if (WIFEXITED(status))
		cli_error(c, "%s ended with status %d.", name, WEXITSTATUS(status));
	else
		cli_error(c, "%s ended by signal %d.", name, WTERMSIG(status));
	return CMD_ERROR;
}

int
runtool_host(struct cli *c, const char *question, const char *given, char *host, size_t size,
    enum cmd_ret *ret)
{
	if (given == NULL) {
		switch (cli_ask_required(c, question, host, size)) {
		case ASK_OK:
			break;
		case ASK_BACK:
			*ret = CMD_OK;
			return -1;
		case ASK_ABORT:
			*ret = CMD_ABORTED;
			return -1;
		}
	} else {
		str_copy(host, given, size);
	}
	if (strlen(host) >= size - 1 || !smtpprobe_host_ok(host)) {
		cli_error(c, "'%.100s' is not a host name or IP address.", given ? given : host);
		*ret = CMD_ERROR;
		return -1;
	}
	return 0;
}
