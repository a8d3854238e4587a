/*
 * test_smtpprobe.c - net/smtpprobe.c: reply-line parsing, EHLO keywords,
 * HOST[:PORT] and host checks (no word starting with '-' passes), and
 * whole sessions against a forked loopback server that says scripted
 * things: long lines are cut, endless replies refused, a refused port,
 * a silent server within its time limit, a stop request.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "net/smtpprobe.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* ------------------------------------------------------------ pure parts */

static void
test_reply_line(void)
{
	static const struct {
		const char *line;
		int ok, code, more;
	} cases[] = {
		{ "220 mx.example ESMTP", 1, 220, 0 },
		{ "250-PIPELINING", 1, 250, 1 },
		{ "250", 1, 250, 0 },
		{ "554 5.7.1 no", 1, 554, 0 },
		{ "25", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ "abc def", 0, 0, 0 },
		{ "2500 x", 0, 0, 0 },
		{ "650 x", 0, 0, 0 },
		{ "150 x", 0, 0, 0 },
		{ "2a0 x", 0, 0, 0 },
		{ "250_x", 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = -1, more = -1;
		int r = smtpprobe_reply_line(cases[i].line, strlen(cases[i].line), &code, &more);

		if ((r == 0) != cases[i].ok)
			UNIT_FAIL("'%s': %d", cases[i].line, r);
		if (r == 0 && (code != cases[i].code || more != cases[i].more))
			UNIT_FAIL("'%s': code %d more %d", cases[i].line, code, more);
	}
}

static void
test_ehlo_has(void)
{
	CHECK(smtpprobe_ehlo_has("STARTTLS", "STARTTLS"));
	CHECK(smtpprobe_ehlo_has("starttls", "STARTTLS"));
	CHECK(smtpprobe_ehlo_has("SIZE 1000", "SIZE"));
	CHECK(!smtpprobe_ehlo_has("STARTTLSX", "STARTTLS"));
	CHECK(!smtpprobe_ehlo_has("START", "STARTTLS"));
	CHECK(!smtpprobe_ehlo_has("X-STARTTLS", "STARTTLS"));
}

static void
test_target(void)
{
	static const struct {
		const char *in;
		int ok;
		const char *host;
		int port;
	} cases[] = {
		{ "mx.example.com", 1, "mx.example.com", 25 },
		{ "mx.example.com:2525", 1, "mx.example.com", 2525 },
		{ "127.0.0.1:587", 1, "127.0.0.1", 587 },
		{ "[::1]:2525", 1, "::1", 2525 },
		{ "[::1]", 1, "::1", 25 },
		{ "::1", 1, "::1", 25 },
		{ "mx:0", 0, NULL, 0 },
		{ "mx:65536", 0, NULL, 0 },
		{ "mx:", 0, NULL, 0 },
		{ "mx:25x", 0, NULL, 0 },
		{ ":25", 0, NULL, 0 },
		{ "-c", 0, NULL, 0 },
		{ "-c:25", 0, NULL, 0 },
		{ "bad_host!", 0, NULL, 0 },
		{ "a..b", 0, NULL, 0 },
		{ "[::1", 0, NULL, 0 },
		{ "[::1]x", 0, NULL, 0 },
		{ "[-x]:25", 0, NULL, 0 },
		{ "host with space", 0, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[256], *cause = NULL;
		int port = -1;
		int r = smtpprobe_target(cases[i].in, 25, host, sizeof(host), &port, &cause);

		if ((r == 0) != cases[i].ok)
			UNIT_FAIL("'%s': %d (%s)", cases[i].in, r, cause ? cause : "");
		if (r == 0) {
			CHECK_STR(host, cases[i].host);
			CHECK_INT(port, cases[i].port);
		} else {
			CHECK(cause != NULL && strchr(cause, '\n') == NULL);
		}
		free(cause);
	}
	CHECK(!smtpprobe_host_ok("-"));
	CHECK(!smtpprobe_host_ok("--help"));
	CHECK(!smtpprobe_host_ok(""));
	CHECK(smtpprobe_host_ok("localhost"));
	CHECK(smtpprobe_host_ok("2001:db8::1"));
}

/* ------------------------------------------------------------ sessions */

struct seen {
	char text[65536];	/* every reported line, "K line\n" */
	size_t len;
	int stop_after;		/* stop when this many lines were reported (0: never) */
	int lines;
};

static void
on_report(void *arg, enum smtpprobe_kind kind, const char *line)
{
	struct seen *s = arg;
	int n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "%d %s\n", (int)kind, line);

	if (n > 0 && (size_t)n < sizeof(s->text) - s->len)
		s->len += (size_t)n;
	s->lines++;
	CHECK(strchr(line, '\n') == NULL && strchr(line, '\r') == NULL);
}

static int
on_stop(void *arg)
{
	struct seen *s = arg;

	return s->stop_after > 0 && s->lines >= s->stop_after;
}

/*
 * server - a loopback listener whose child answers one connection with
 * script (then reads until the client closes); returns the port
 */
static int
server(const char *script, size_t len, pid_t *pid)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), c;
	char buf[4096];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s, 1) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&a, &sl) == 0);
	if ((*pid = fork()) == 0) {
		if ((c = accept(s, NULL, NULL)) < 0)
			_exit(1);
		if (len > 0 && send(c, script, len, MSG_NOSIGNAL) < 0)
			_exit(0);
		while (read(c, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(s);
	return ntohs(a.sin_port);
}

static int
probe(int port, int timeout_ms, struct seen *s, struct smtpprobe_result *res, char **cause)
{
	struct smtpprobe p = { .host = "127.0.0.1", .port = port, .tls = SMTPPROBE_TLS_OFFERED,
		.helo = "unit.test", .timeout_ms = timeout_ms, .stop = on_stop,
		.report = on_report, .arg = s };

	return smtpprobe_run(&p, res, cause);
}

static void
reap(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void
test_session_plain(void)
{
	static const char script[] = "220 fake ESMTP\r\n250-fake\r\n250 SIZE 100\r\n221 bye\r\n";
	static struct seen s;
	struct smtpprobe_result res;
	char *cause = NULL;
	pid_t pid;
	int port = server(script, sizeof(script) - 1, &pid);

	if (probe(port, 5000, &s, &res, &cause) < 0)
		UNIT_FAIL("probe: %s", cause);
	reap(pid);
	CHECK(res.connected && !res.tls);
	CHECK(strstr(s.text, "2 220 fake ESMTP\n") != NULL);
	CHECK(strstr(s.text, "1 EHLO unit.test\n") != NULL);
	CHECK(strstr(s.text, "0 The server does not offer STARTTLS.\n") != NULL);
	CHECK(strstr(s.text, "1 QUIT\n") != NULL);
}

/* a line of 10000 bytes is cut, the rest skipped; its reply still parses */
static void
test_session_long_line(void)
{
	static struct seen s;
	struct smtpprobe_result res;
	char *script = xmalloc(20000), *cause = NULL;
	size_t n = 0;
	pid_t pid;
	int port;

	memcpy(script, "220 ", 4);
	n = 4;
	memset(script + n, 'x', 10000);
	n += 10000;
	memcpy(script + n, "\x1b[2J\r\n250 ok\r\n221 bye\r\n", 22);
	n += 22;
	port = server(script, n, &pid);
	if (probe(port, 5000, &s, &res, &cause) < 0)
		UNIT_FAIL("probe: %s", cause);
	reap(pid);
	CHECK(strchr(s.text, '\x1b') == NULL);
	CHECK(strstr(s.text, "2 250 ok\n") != NULL);
	free(script);
}

static void
test_session_endless_reply(void)
{
	static struct seen s;
	struct smtpprobe_result res;
	struct buf_like { char d[8000]; size_t n; } *b = xcalloc(1, sizeof(*b));
	char *cause = NULL;
	pid_t pid;
	int port;

	for (int i = 0; i < 150; i++)
		b->n += (size_t)snprintf(b->d + b->n, sizeof(b->d) - b->n, "220-line %d\r\n", i);
	port = server(b->d, b->n, &pid);
	CHECK(probe(port, 5000, &s, &res, &cause) < 0);
	reap(pid);
	CHECK_STR(cause, "The server's reply is longer than 100 lines.");
	free(cause);
	free(b);
}

static void
test_session_not_smtp(void)
{
	static const char script[] = "SSH-2.0-OpenSSH_9.2\r\n";
	static struct seen s;
	struct smtpprobe_result res;
	char *cause = NULL;
	pid_t pid;
	int port = server(script, sizeof(script) - 1, &pid);

	CHECK(probe(port, 5000, &s, &res, &cause) < 0);
	reap(pid);
	CHECK_STR(cause, "The server's reply is not SMTP: SSH-2.0-OpenSSH_9.2");
	free(cause);
}

static void
test_session_silent(void)
{
	static struct seen s;
	struct smtpprobe_result res;
	char *cause = NULL;
	pid_t pid;
	int port = server("", 0, &pid);
	time_t t0 = time(NULL);

	CHECK(probe(port, 1000, &s, &res, &cause) < 0);
	reap(pid);
	CHECK_STR(cause, "Timed out after 1 second waiting for the server's reply.");
	CHECK(time(NULL) - t0 <= 5);
	free(cause);
}

static void
test_session_stop(void)
{
	static struct seen s;
	struct smtpprobe_result res;
	char *cause = NULL;
	pid_t pid;
	int port = server("", 0, &pid);
	time_t t0 = time(NULL);

	s.stop_after = 2;	/* "Connecting", "Connected": then Ctrl-C */
	CHECK(probe(port, 60000, &s, &res, &cause) < 0);
	reap(pid);
	CHECK_STR(cause, "Stopped by Ctrl-C.");
	CHECK(time(NULL) - t0 <= 5);
	free(cause);
}

static void
test_session_refused(void)
{
	static struct seen s;
	struct smtpprobe_result res;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;
	char *cause = NULL, want[128];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &sl) == 0);
	port = ntohs(a.sin_port);
	close(fd);	/* bound, never listened: nobody there */
	CHECK(probe(port, 5000, &s, &res, &cause) < 0);
	snprintf(want, sizeof(want), "Cannot connect to 127.0.0.1 port %d: connection refused.", port);
	CHECK_STR(cause, want);
	CHECK(!res.connected);
	free(cause);
}

static const struct unit_case cases[] = {
	{ "reply_line", test_reply_line },
	{ "ehlo_has", test_ehlo_has },
	{ "target", test_target },
	{ "session_plain", test_session_plain },
	{ "session_long_line", test_session_long_line },
	{ "session_endless_reply", test_session_endless_reply },
	{ "session_not_smtp", test_session_not_smtp },
	{ "session_silent", test_session_silent },
	{ "session_stop", test_session_stop },
	{ "session_refused", test_session_refused },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("smtpprobe", cases, argc, argv);
}
