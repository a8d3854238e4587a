/*
 * cmd_workqueue.c - `workqueue status|rate [SECONDS]|pause [REASON]|resume`.
 *
 * Pausing holds newly accepted messages before delivery (they are still
 * accepted and durable); messages already queued keep being delivered.
 * The state survives a restart of mxgated. A pause or resume is a request
 * row in queue.db that mxgated takes once a second: with mxgated running
 * the command waits until it has taken it, so the new state holds when
 * the command returns; without mxgated it says the state applies when
 * mxgated starts.
 *
 * `rate` samples queue.db: messages received (counter rcvd_msgs) came
 * into the work queue, the daemon's "workq" gauge is what waits in it,
 * and what left is what came in less what waits (see do_rate).
 *
 * DIAGNOSTICS: one error line, the command fails: an unknown operation,
 * queue.db that cannot be written, mxgated not taking the request.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/queue.h"
#include "util/buf.h"
#include "util/str.h"

/* How long a pause or resume waits for mxgated to take it (it looks every second). */
#define WORKQUEUE_APPLY_MS 10000
/* `workqueue rate` without SECONDS, and its limits */
#define WORKQUEUE_RATE_DEFAULT 10
#define WORKQUEUE_RATE_MAX 3600

extern const struct cmd_entry cmd_workqueue_entry;

static const struct cmd_word reason_words[] = {
	{ "<REASON>", "why the work queue is paused (logged)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word seconds_words[] = {
	{ "<SECONDS>", "the interval between lines (default 10)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word workqueue_words[] = {
	{ "status", "Show whether the work queue is running and how many messages wait.", NULL },
	{ "rate", "Show messages into and out of the work queue per interval.", seconds_words },
	{ "pause", "Hold newly accepted messages before delivery.", reason_words },
	{ "resume", "Deliver held messages and continue.", NULL },
	{ NULL, NULL, NULL },
};

/*
 * set_paused - persist the state and tell the daemon; with mxgated
 * running, wait until it has taken the request (*applied 1), else
 * *applied 0: the daemon reads the state when it starts
 */
static enum cmd_ret
set_paused(struct cli *c, struct queue *q, int paused, const char *reason, int *applied)
{
	char *cause = NULL, *logged = NULL;
	int64_t id;
	int r;

	*applied = 0;
	/*
	 * mxgated logs "Work queue paused: ARG": say who paused when no
	 * reason was given rather than log nothing after the colon
	 */
	if (paused && (reason == NULL || *reason == '\0'))
		logged = str_printf("no reason given (by %s)", c->user);
	if (queue_state_set(q, "paused", paused ? "yes" : "no", &cause) < 0 ||
	    queue_state_set(q, "paused_reason", reason ? reason : "", &cause) < 0 ||
	    queue_request_add_id(q, paused ? "pause" : "resume",
		logged ? logged : reason ? reason : "", &id, &cause) < 0) {
		free(logged);
		cli_error(c, "Cannot change the work queue: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	free(logged);
	if (!cmd_daemon_running(c))
		return CMD_OK;
	r = queue_request_wait(q, id, WORKQUEUE_APPLY_MS, &cause);
	if (r < 0) {
		cli_error(c, "Cannot follow the request to mxgated: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (r == 1) {
		cli_error(c, "mxgated has not taken the request within %d seconds; the work queue is "
			     "%s as soon as it does.",
		    WORKQUEUE_APPLY_MS / 1000, paused ? "paused" : "resumed");
		return CMD_ERROR;
	}
	*applied = 1;
	return CMD_OK;
}

/* report - what a pause or resume did */
static void
report(struct cli *c, int paused, int applied)
{
	cli_printf(c, "Work queue %s.\n", paused ? "paused" : "resumed");
	if (!applied)
		cli_printf(c, "mxgated is not running: the state is saved and takes effect when "
			      "mxgated starts.\n");
}

/* do_status - "Status: ..." and the number of messages */
static enum cmd_ret
do_status(struct cli *c, struct queue *q, const char *paused, const char *reason)
{
	int64_t msgs, rcpts;
	time_t oldest;
	int is_paused = paused && strcmp(paused, "yes") == 0;
	const char *why = reason && *reason ? reason : "(no reason given)";

	queue_stats(q, &msgs, &rcpts, &oldest);
	if (!cmd_daemon_running(c)) {
		cli_printf(c, "Status: Offline (mxgated is not running)\n");
		if (is_paused)
			cli_printf(c, "Paused by admin when mxgated starts: %s\n", why);
	} else if (is_paused) {
		cli_printf(c, "Status: Paused by admin: %s\n", why);
	} else {
		cli_printf(c, "Status: Operational\n");
	}
	cli_printf(c, "Messages: %lld\n", (long long)msgs);
	return CMD_OK;
}

/* One reading of the work queue. */
struct sample {
	long long in;		/* messages received since install */
	long long pending;	/* waiting in the work queue (0 when mxgated is stopped) */
};

/* take_sample - read the counter and the gauge */
static void
take_sample(struct cli *c, struct queue *q, struct sample *s)
{
	int64_t reset, life;

	queue_global_get(q, "rcvd_msgs", &reset, &life);
	s->in = life;
	s->pending = cmd_daemon_running(c) ? queue_gauge_get(q, "workq") : 0;
}

/*
 * do_rate - a line per interval: time, pending, in, out (AsyncOS
 * `workqueue rate`) until Ctrl-C; in batch mode until the input has a
 * line or ends, but always one line.
 *
 * What left the queue is what came in less what still waits. The
 * counter is written as each message is accepted, the gauge only once a
 * second, so "in" is taken from the previous sample: a message counted
 * in but not yet in the gauge must not show as gone out. Out therefore
 * trails In by a line, and is never more than really left.
 */
static enum cmd_ret
do_rate(struct cli *c, struct queue *q, int argc, char **argv)
{
	struct sample start, prev, cur;
	long secs = WORKQUEUE_RATE_DEFAULT;
	long long reported = 0;
	int lines = 0, nopager = c->nopager;

	if (argc > 2)
		return cmd_usage_error(c, &cmd_workqueue_entry, "workqueue rate");
	if (argc == 2 && str_to_long(argv[1], 1, WORKQUEUE_RATE_MAX, &secs) < 0) {
		cli_error(c, "Invalid interval '%.40s': give a number of seconds from 1 to %d.",
		    argv[1], WORKQUEUE_RATE_MAX);
		return CMD_ERROR;
	}
	c->nopager = 1;	/* a live display, like grep -t */
	cli_printf(c, "Type Ctrl-C to stop displaying the rate.\n");
	cli_printf(c, "%-10s%10s%10s%10s\n", "Time", "Pending", "In", "Out");
	take_sample(c, q, &start);
	prev = start;
	for (;;) {
		char when[16];
		long long in, out;
		time_t now;
		struct tm tm;
		int stop;

		/* cli_wait returns early when the user wants to stop */
		stop = cli_wait(c, (int)secs * 1000);
		if (stop && (lines > 0 || cli_interrupted(c)))
			break;
		if (stop) {
			/* a script asked for the rate: one whole interval all the same */
			struct timespec ts = { secs, 0 };

			while (nanosleep(&ts, &ts) < 0 && !cli_interrupted(c))
				;
		}
		take_sample(c, q, &cur);
		in = cur.in - prev.in;
		/* left since the start, as far as can be known yet */
		out = (prev.in - cur.pending) - (start.in - start.pending) - reported;
		if (in < 0)
			in = 0;
		if (out < 0)
			out = 0;
		reported += out;
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		cli_printf(c, "%-10s%10lld%10lld%10lld\n", when, cur.pending, in, out);
		lines++;
		prev = cur;
		if (stop || c->stopped)
			break;
	}
	c->nopager = nopager;
	return CMD_OK;
}

static enum cmd_ret
workqueue_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	const char *op;
	char *paused, *reason;
	enum cmd_ret r;
	int applied = 0;

	if (argc == 0) {
		static const char *const ops[] = { "Status", "Pause", "Resume" };
		int k;

		switch (cli_ask_list(c, "Choose the operation:", ops, 3, 1, &k)) {
		case ASK_OK:
			break;
		case ASK_BACK:
			return CMD_OK;
		case ASK_ABORT:
			return CMD_ABORTED;
		}
		op = k == 0 ? "status" : k == 1 ? "pause" : "resume";
	} else {
		op = cmd_word_match(workqueue_words, argv[0]);
		if (op == NULL) {
			cli_error(c, "Unknown option '%.40s' for workqueue: use status, rate, pause or "
				     "resume.",
			    argv[0]);
			return CMD_ERROR;
		}
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (strcmp(op, "rate") == 0)
		return do_rate(c, q, argc, argv);
	paused = queue_state_get(q, "paused");
	reason = queue_state_get(q, "paused_reason");
	if (strcmp(op, "status") == 0) {
		if (argc > 1)
			r = cmd_usage_error(c, &cmd_workqueue_entry, "workqueue status");
		else
			r = do_status(c, q, paused, reason);
	} else if (strcmp(op, "pause") == 0) {
		struct buf b;
		char ans[256];
		int yes = 1;

		buf_init(&b, 255);
		for (int i = 1; i < argc; i++)
			buf_printf(&b, "%s%s", i > 1 ? " " : "", argv[i]);
		if (argc == 1 && c->interactive) {
			if (cli_ask_yesno(c, "Pausing the work queue holds new mail before delivery. "
					     "Continue?", 1, &yes) != ASK_OK || !yes) {
				buf_free(&b);
				free(paused);
				free(reason);
				return yes ? CMD_ABORTED : CMD_OK;
			}
			if (cli_ask(c, "Enter a reason for pausing the work queue:", "", ans,
				sizeof(ans)) == ASK_ABORT) {
				buf_free(&b);
				free(paused);
				free(reason);
				return CMD_ABORTED;
			}
			buf_addstr(&b, ans);
		}
		r = set_paused(c, q, 1, b.data ? b.data : "", &applied);
		if (r == CMD_OK)
			report(c, 1, applied);
		buf_free(&b);
	} else {
		if (argc > 1)
			r = cmd_usage_error(c, &cmd_workqueue_entry, "workqueue resume");
		else if ((r = set_paused(c, q, 0, "", &applied)) == CMD_OK)
			report(c, 0, applied);
	}
	free(paused);
	free(reason);
	return r;
}

const struct cmd_entry cmd_workqueue_entry = {
	.name = "workqueue",
	.usage = "workqueue status\nworkqueue rate [SECONDS]\nworkqueue pause [REASON...]\n"
		 "workqueue resume",
	.help = "Display and/or alter work queue pause status.",
	.flags = CMD_F_ADMIN,
	.words = workqueue_words,
	.exec = workqueue_exec,
};
