/*
 * cmd_workqueue.c - `workqueue status|pause [REASON]|resume`.
 *
 * Pausing holds newly accepted messages before delivery (they are still
 * accepted and durable); messages already queued keep being delivered.
 * The state survives a restart of mxgated.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/queue.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_workqueue_entry;

static const struct cmd_word reason_words[] = {
	{ "<REASON>", "why the work queue is paused (logged)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word workqueue_words[] = {
	{ "status", "Show whether the work queue is running and how many messages wait.", NULL },
	{ "pause", "Hold newly accepted messages before delivery.", reason_words },
	{ "resume", "Deliver held messages and continue.", NULL },
	{ NULL, NULL, NULL },
};

/* set_paused - persist the state and tell the daemon */
static enum cmd_ret
set_paused(struct cli *c, struct queue *q, int paused, const char *reason)
{
	char *cause = NULL;

	if (queue_state_set(q, "paused", paused ? "yes" : "no", &cause) < 0 ||
	    queue_state_set(q, "paused_reason", reason ? reason : "", &cause) < 0 ||
	    queue_request_add(q, paused ? "pause" : "resume", reason ? reason : "", &cause) < 0) {
		cli_error(c, "Cannot change the work queue: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

static enum cmd_ret
workqueue_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	const char *op;
	char *paused, *reason;
	enum cmd_ret r;

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
			cli_error(c, "Unknown option '%.40s' for workqueue: use status, pause or "
				     "resume.",
			    argv[0]);
			return CMD_ERROR;
		}
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	paused = queue_state_get(q, "paused");
	reason = queue_state_get(q, "paused_reason");
	if (strcmp(op, "status") == 0) {
		if (argc > 1) {
			r = cmd_usage_error(c, &cmd_workqueue_entry, "workqueue status");
		} else {
			int64_t msgs, rcpts;
			time_t oldest;

			queue_stats(q, &msgs, &rcpts, &oldest);
			if (paused && strcmp(paused, "yes") == 0)
				cli_printf(c, "Status: Paused by admin: %s\n",
				    reason && *reason ? reason : "(no reason given)");
			else
				cli_printf(c, "Status: Operational\n");
			cli_printf(c, "Messages: %lld\n", (long long)msgs);
			r = CMD_OK;
		}
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
		r = set_paused(c, q, 1, b.data ? b.data : "");
		if (r == CMD_OK)
			cli_printf(c, "Work queue paused.\n");
		buf_free(&b);
	} else {
		if (argc > 1)
			r = cmd_usage_error(c, &cmd_workqueue_entry, "workqueue resume");
		else if ((r = set_paused(c, q, 0, "")) == CMD_OK)
			cli_printf(c, "Work queue resumed.\n");
	}
	free(paused);
	free(reason);
	return r;
}

const struct cmd_entry cmd_workqueue_entry = {
	.name = "workqueue",
	.usage = "workqueue status\nworkqueue pause [REASON...]\nworkqueue resume",
	.help = "Display and/or alter work queue pause status.",
	.flags = CMD_F_ADMIN,
	.words = workqueue_words,
	.exec = workqueue_exec,
};
