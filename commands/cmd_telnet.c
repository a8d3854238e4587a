/*
 * cmd_telnet.c - `telnet HOST PORT`: a raw line session with a TCP
 * server (AsyncOS telnet), for talking SMTP by hand.
 *
 * At a terminal: what is typed is sent a line at a time (CRLF), what the
 * server sends is shown as it comes, until the server closes, Ctrl-]
 * (made a line delimiter for the time of the session, so it acts at
 * once), Ctrl-D at the start of a line or Ctrl-C.
 * In batch mode: the rest of the input is sent, then what the server
 * sends is shown until it closes or is silent for TELNET_IDLE_MS.
 *
 * Server text is untrusted: control characters are escaped
 * (util/printable.h) and lines are cut at TELNET_LINE_MAX.
 *
 * DIAGNOSTICS: one error line: a bad host or port, refused, timed out.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "net/smtpprobe.h"
#include "util/printable.h"
#include "util/str.h"

extern const struct cmd_entry cmd_telnet_entry;

#define TELNET_TIMEOUT_MS 10000	/* connecting; and the batch idle limit */
#define TELNET_LINE_MAX 2048	/* longest server line shown */
#define TELNET_SLICE_MS 200	/* how often waits look at Ctrl-C */
#define TELNET_ESCAPE 0x1d	/* Ctrl-] */

struct peer {
	struct cli *c;			/* where lines go */
	int fd;				/* the connection */
	char buf[TELNET_LINE_MAX];	/* a server line being read */
	size_t len;			/* bytes in buf */
	int closed;			/* the server closed (or failed) */
};

/* on_step - the connection steps */
static void
on_step(void *arg, enum smtpprobe_kind kind, const char *line)
{
	(void)kind;
	cli_printf(arg, "%s\n", line);
}

static int
on_stop(void *arg)
{
	return cli_interrupted(arg);
}

/* flush - the partial line, printable */
static void
flush(struct peer *p, int newline)
{
	char out[TELNET_LINE_MAX * 4 + 1];
	size_t n = p->len;

	if (n > 0 && p->buf[n - 1] == '\r')
		n--;
	printable_copy(out, sizeof(out), p->buf, n, TELNET_LINE_MAX);
	if (p->len > 0 || newline)
		cli_printf(p->c, "%s%s", out, newline ? "\n" : "");
	p->len = 0;
}

/* pull - what the server sent now: shown by lines */
static void
pull(struct peer *p)
{
	char chunk[4096];
	ssize_t n = read(p->fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		p->closed = 1;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (chunk[i] == '\n')
			flush(p, 1);
		else if (p->len < sizeof(p->buf))
			p->buf[p->len++] = chunk[i];
	}
}

/* push - a line to the server with CRLF; -1 when it cannot take it */
static int
push(struct peer *p, const char *s, size_t n)
{
	char *line = xmalloc(n + 2);
	size_t off = 0;
	int r = 0;

	memcpy(line, s, n);
	memcpy(line + n, "\r\n", 2);
	while (off < n + 2) {
		struct pollfd pf = { .fd = p->fd, .events = POLLOUT };
		ssize_t w = send(p->fd, line + off, n + 2 - off, MSG_NOSIGNAL);

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			r = -1;
			break;
		}
		if (cli_interrupted(p->c) || poll(&pf, 1, TELNET_TIMEOUT_MS) == 0) {
			r = -1;
			break;
		}
	}
	free(line);
	return r;
}

/* batch - the rest of the input, then the replies until close or idle */
static void
batch(struct peer *p)
{
	long long idle = 0;
	char *line;
	int intr = 0;

	while (!p->closed && (line = p->c->io->readline(p->c->io_arg, "", &intr)) != NULL) {
		int r = push(p, line, strlen(line));

		free(line);
		if (r < 0)
			break;	/* what the server sent before it left is still shown */
	}
	while (!p->closed && !cli_interrupted(p->c) && idle < TELNET_TIMEOUT_MS) {
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };

		if (poll(&pf, 1, TELNET_SLICE_MS) > 0) {
			pull(p);
			idle = 0;
		} else {
			idle += TELNET_SLICE_MS;
		}
	}
	flush(p, 0);
}

/* terminal - both ways until close, Ctrl-], Ctrl-D or Ctrl-C */
static void
terminal(struct peer *p)
{
	struct termios saved, t;
	int have_tty = tcgetattr(STDIN_FILENO, &saved) == 0, done = 0;
	char in[4096];
	size_t inlen = 0;

	if (have_tty) {
		t = saved;
		t.c_lflag |= ICANON | ECHO;
		t.c_cc[VEOL] = TELNET_ESCAPE;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	while (!p->closed && !done && !cli_interrupted(p->c)) {
		struct pollfd pf[2] = {
			{ .fd = p->fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		int n = poll(pf, 2, TELNET_SLICE_MS);

		if (n <= 0) {
			flush(p, 0);	/* a prompt without newline shows too */
			continue;
		}
		if (pf[0].revents)
			pull(p);
		if (pf[1].revents) {
			ssize_t r = read(STDIN_FILENO, in + inlen, sizeof(in) - inlen);
			char *nl;

			if (r <= 0) {
				done = 1;	/* Ctrl-D */
				continue;
			}
			inlen += (size_t)r;
			if (memchr(in, TELNET_ESCAPE, inlen) != NULL) {
				done = 1;
				continue;
			}
			while ((nl = memchr(in, '\n', inlen)) != NULL) {
				size_t k = (size_t)(nl - in);

				if (push(p, in, k) < 0)
					p->closed = 1;
				memmove(in, nl + 1, inlen - k - 1);
				inlen -= k + 1;
			}
			if (inlen == sizeof(in)) {	/* an endless line: send what there is */
				if (push(p, in, inlen) < 0)
					p->closed = 1;
				inlen = 0;
			}
		}
	}
	flush(p, 0);
	if (have_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

static enum cmd_ret
telnet_exec(struct cli *c, int argc, char **argv)
{
	struct smtpprobe sp = { .timeout_ms = TELNET_TIMEOUT_MS, .stop = on_stop,
		.report = on_step, .arg = c };
	struct peer p = { .c = c };
	char host[256], *cause = NULL;
	long port;
	int nopager;

	if (argc != 2)
		return cmd_usage_error(c, &cmd_telnet_entry, "telnet");
	str_copy(host, argv[0], sizeof(host));
	if (strlen(argv[0]) >= sizeof(host) || !smtpprobe_host_ok(host)) {
		cli_error(c, "'%.100s' is not a host name or IP address.", argv[0]);
		return CMD_ERROR;
	}
	if (str_to_long(argv[1], 1, 65535, &port) < 0) {
		cli_error(c, "'%.100s' is not a port (1-65535).", argv[1]);
		return CMD_ERROR;
	}
	sp.host = host;
	sp.port = (int)port;
	if ((p.fd = smtpprobe_connect(&sp, &cause)) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	nopager = c->nopager;
	c->nopager = 1;	/* a session, not a listing: never paged */
	if (c->interactive) {
		cli_printf(c, "Escape character is '^]'.\n");
		terminal(&p);
	} else {
		batch(&p);
	}
	c->nopager = nopager;
	close(p.fd);
	if (p.closed)
		cli_printf(c, "Connection closed by foreign host.\n");
	else
		cli_printf(c, "Connection closed.\n");
	return CMD_OK;
}

static const struct cmd_word telnet_port[] = {
	{ "<PORT>", "the TCP port (1-65535)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word telnet_words[] = {
	{ "<HOST>", "a host name or IP address", telnet_port },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_telnet_entry = {
	.name = "telnet",
	.usage = "telnet HOST PORT",
	.help = "Connect to a remote host's TCP port and type to it.",
	.words = telnet_words,
	.exec = telnet_exec,
};
