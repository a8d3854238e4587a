/*
 * qactcmd.c - the shell's half of the queue actions (qactcmd.h).
 *
 * Only mxgated holds the queue in memory, so the shell asks it: a
 * "qaction" request "TOKEN ACTION SEL USER [EXTRA]" and the answer in
 * queue state "qaction.TOKEN", which mxgated writes after every change
 * it made. The wait polls queue.db; while the request row is still there
 * nothing has been done, so Ctrl-C, mxgated stopping and the time limit
 * withdraw it (queue_request_cancel) and say nothing changed. Once mxgated
 * has taken it, the action runs to its end and its answer is awaited.
 *
 * DIAGNOSTICS: one error line per refusal, store failure or wait cut
 * short; the answer's counts as AsyncOS words them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "commands/cmd_util.h"
#include "commands/qactcmd.h"
#include "store/queue.h"
#include "util/str.h"
#include "util/syntax.h"

#define QACTCMD_WAIT_MS 60000	/* mxgated takes a request within 100 ms when it runs */
#define QACTCMD_POLL_MS 50

static const char *const verbs[] = { "delete", "bounce", "redirect" };
static const char *const done_words[] = { "deleted", "bounced", "redirected" };

static const char not_running[] =
    "mxgated is not running: the queue can be changed only while it runs.";

int
qactcmd_new_host(struct cli *c, const char *cmd, const char *in, char *out, size_t size)
{
	char host[300], *port_text = NULL;
	const char *close;
	int port = 25;
	size_t n;

	if (in[0] == '[') {
		if ((close = strchr(in, ']')) == NULL || (n = (size_t)(close - in - 1)) == 0 ||
		    n >= sizeof(host))
			goto bad_host;
		memcpy(host, in + 1, n);
		host[n] = '\0';
		if (close[1] == ':')
			port_text = (char *)close + 2;
		else if (close[1] != '\0')
			goto bad_host;
		if (strncasecmp(host, "IPv6:", 5) == 0)
			memmove(host, host + 5, strlen(host + 5) + 1);
	} else {
		char *colon;

		if (str_copy(host, in, sizeof(host)) < 0)
			goto bad_host;
		/* one colon: HOST:PORT; more: a bare IPv6 address */
		if ((colon = strchr(host, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
			*colon = '\0';
			port_text = (char *)in + (colon - host) + 1;
		}
	}
	if (!syntax_ipv4(host) && !syntax_ipv6(host) && !syntax_hostname(host))
		goto bad_host;
	if (port_text && !syntax_port(port_text, &port)) {
		cli_error(c, "%s: '%.20s' is not a port number (1-65535); nothing was changed.", cmd,
		    port_text);
		return -1;
	}
	str_lower(host);
	if (str_fmt(out, size, "[%s]:%d", host, port) < 0)
		goto bad_host;
	return 0;
bad_host:
	cli_error(c, "%s: '%.100s' is not a host name or IP address (HOST or HOST:PORT); "
		     "nothing was changed.",
	    cmd, in);
	return -1;
}

int
qactcmd_tdc_refused(struct cli *c, enum qactcmd_action a, const struct qsel *s)
{
	if (a == QACTCMD_DELETE || s->kind != QSEL_HOST ||
	    strcasecmp(s->value, QACTCMD_TDC_QUEUE) != 0)
		return 0;
	cli_error(c, "%srecipients: copies for %s are never %s; nothing was changed.", verbs[a],
	    QACTCMD_TDC_QUEUE, done_words[a]);
	return 1;
}

enum ask_ret
qactcmd_confirm(struct cli *c, enum qactcmd_action a, const struct qsel *s,
    const char *new_dest, int *yes)
{
	char q[800];
	const char *what = a == QACTCMD_REDIRECT ? "mail" : "messages";

	if (a == QACTCMD_REDIRECT)
		cli_printf(c, "WARNING: redirecting recipients to a host or IP address that is not "
			      "prepared to accept large volumes of SMTP mail from this host will "
			      "cause messages to bounce and possibly result in the loss of mail.\n");
	switch (s->kind) {
	case QSEL_HOST:
		str_fmt(q, sizeof(q), "Are you sure you want to %s all %s being delivered to \"%s\"",
		    verbs[a], what, s->value);
		break;
	case QSEL_SENDER:
		str_fmt(q, sizeof(q), "Are you sure you want to %s all %s with the Envelope From "
				      "address \"%s\"",
		    verbs[a], what, s->value[0] ? s->value : "<>");
		break;
	case QSEL_ALL:
		str_fmt(q, sizeof(q), "Are you sure you want to %s all %s in the %s", verbs[a],
		    what, a == QACTCMD_REDIRECT ? "queue" : "delivery queue (all active recipients)");
		break;
	}
	if (a == QACTCMD_REDIRECT) {
		size_t n = strlen(q);

		str_fmt(q + n, sizeof(q) - n, " to \"%s\"", new_dest);
	}
	{
		size_t n = strlen(q);

		str_fmt(q + n, sizeof(q) - n, "?");
	}
	return cli_ask_yesno(c, q, 0, yes);
}

/* token - a random positive number naming the answer's state row */
static long long
token(void)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned long long)time(NULL) << 20 ^ (unsigned long long)getpid();
	return (long long)(r >> 2) + 1;
}

/* sleep_ms - a short pause (a signal cuts it short: Ctrl-C is seen sooner) */
static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* who - this session's account as the daemon's log shows it */
static const char *
who(const struct cli *c)
{
	const char *w = c->user;

	if (*w == '\0')
		return "unknown";
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') ||
			(*w >= '0' && *w <= '9') || strchr("._@-", *w)))
			return "unknown";
	return c->user;
}

/* count - "key=N" in the answer; -1 if absent */
static long
count(const char *answer, const char *key)
{
	size_t klen = strlen(key);
	long v = -1;

	for (const char *p = answer; (p = strstr(p, key)) != NULL; p += klen)
		if ((p == answer || p[-1] == ' ') && p[klen] == '=') {
			v = strtol(p + klen + 1, NULL, 10);
			break;
		}
	return v;
}

/* print - the answer as AsyncOS words it */
static enum cmd_ret
print(struct cli *c, enum qactcmd_action a, const char *answer)
{
	long n, inflight, skipped, nosender;

	if (strncmp(answer, "error=", 6) == 0) {
		cli_error(c, "mxgated refused: %.200s; nothing was changed.", answer + 6);
		return CMD_ERROR;
	}
	n = count(answer, done_words[a]);
	inflight = count(answer, "inflight");
	skipped = count(answer, "skipped");
	nosender = count(answer, "nosender");	/* absent from a delete or redirect */
	if (n < 0 || inflight < 0 || skipped < 0) {
		cli_error(c, "mxgated answered something unexpected: '%.100s'.", answer);
		return CMD_ERROR;
	}
	cli_printf(c, "%ld recipient%s %s.\n", n, n == 1 ? "" : "s", done_words[a]);
	if (nosender > 0)
		cli_printf(c, "%ld recipient%s no sender (<>): removed without a notification.\n",
		    nosender, nosender == 1 ? " had" : "s had");
	if (inflight > 0)
		cli_printf(c, "%ld recipient%s being delivered and %s left alone.\n", inflight,
		    inflight == 1 ? " was" : "s were", inflight == 1 ? "was" : "were");
	if (skipped > 0)
		cli_printf(c, "%ld journal cop%s skipped: copies for %s are never %s.\n", skipped,
		    skipped == 1 ? "y" : "ies", QACTCMD_TDC_QUEUE, done_words[a]);
	return CMD_OK;
}

/*
 * withdraw - take the request back: 1 done (nothing changed), 0 mxgated
 * has already taken it, -1 an error (printed)
 */
static int
withdraw(struct cli *c, struct queue *q, int64_t id)
{
	char *cause = NULL;
	int r = queue_request_cancel(q, id, &cause);

	if (r < 0) {
		cli_error(c, "Cannot withdraw the request: %s", cause);
		free(cause);
	}
	return r;
}

enum cmd_ret
qactcmd_run(struct cli *c, enum qactcmd_action a, const struct qsel *s, const char *extra)
{
	struct queue *q;
	char sel[400], name[64], *arg, *cause = NULL, *answer = NULL;
	long long tok = token();
	int64_t id;
	int taken = 0, waited;
	enum cmd_ret ret;

	if (!cmd_daemon_running(c)) {
		cli_error(c, "%s", not_running);
		return CMD_ERROR;
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	arg = str_printf("%lld %s %s %s%s%s", tok, verbs[a], qsel_arg(s, sel, sizeof(sel)), who(c),
	    extra ? " " : "", extra ? extra : "");
	if (queue_request_add_id(q, "qaction", arg, &id, &cause) < 0) {
		free(arg);
		cli_error(c, "Cannot ask mxgated: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	free(arg);
	str_fmt(name, sizeof(name), "qaction.%lld", tok);
	for (waited = 0;; waited += QACTCMD_POLL_MS) {
		if ((answer = queue_state_get(q, name)) != NULL)
			break;
		if (!taken && (cli_interrupted(c) || !cmd_daemon_running(c) ||
				  waited >= QACTCMD_WAIT_MS)) {
			int r = withdraw(c, q, id);

			if (r < 0)
				return CMD_ERROR;
			if (r == 1) {
				if (cli_interrupted(c)) {
					cli_error(c, "Interrupted: nothing was changed.");
					return CMD_ABORTED;
				}
				if (!cmd_daemon_running(c))
					cli_error(c, "%s", not_running);
				else
					cli_error(c, "mxgated did not take the request within %d "
						     "seconds; nothing was changed.",
					    QACTCMD_WAIT_MS / 1000);
				return CMD_ERROR;
			}
			taken = 1;	/* it runs to its end now: wait for its answer */
			waited = 0;
			continue;
		}
		if (taken && waited >= QACTCMD_WAIT_MS) {
			cli_error(c, "mxgated did not answer within %d seconds: see mail_logs for "
				     "what it did.",
			    QACTCMD_WAIT_MS / 1000);
			return CMD_ERROR;
		}
		if (taken && !cmd_daemon_running(c)) {
			/* it stopped: its queue writer had written all it had, answer included */
			if ((answer = queue_state_get(q, name)) != NULL)
				break;
			cli_error(c, "mxgated stopped before it answered: see mail_logs for what "
				     "it did.");
			return CMD_ERROR;
		}
		sleep_ms(QACTCMD_POLL_MS);
	}
	ret = print(c, a, answer);
	free(answer);
	if (queue_state_delete(q, name, &cause) < 0)
		free(cause);	/* the answer is printed; a row left behind is only clutter */
	return ret;
}
