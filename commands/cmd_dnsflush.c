/*
 * cmd_dnsflush.c - `dnsflush`: mxgated forgets the next hops it resolved
 * (MX hosts and addresses, reused for five minutes), so the next
 * delivery to each destination asks the DNS again (daemon/dnsflush.c).
 *
 * The shell leaves a request (verb "dnsflush", argument the user) and
 * waits until mxgated has taken it: then the flush is done.
 *
 * DIAGNOSTICS: one line: mxgated not running (no request is left), the
 * queue cannot be written, and cmd_wait_request's: mxgated did not take
 * the request in time, Ctrl-C while waiting, mxgated stopped while the
 * shell waited (the request stays: mxgated carries it out when it takes
 * it; a daemon that starts again has no resolved hops anyway).
 */
#include <stdlib.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/queue.h"
#include "util/str.h"

extern const struct cmd_entry cmd_dnsflush_entry;

#define DNSFLUSH_WAIT_MS 10000	/* mxgated polls requests every second */
/* what stands when the wait ends without an answer (cmd_wait_request) */
#define DNSFLUSH_PENDING "mxgated flushes its DNS cache when it takes the request"

static enum cmd_ret
dnsflush_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	char *cause = NULL;
	int64_t id;
	int r;

	(void)argv;
	if (argc > 0)
		return cmd_usage_error(c, &cmd_dnsflush_entry, "dnsflush");
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (!cmd_daemon_running(c)) {
		cli_error(c, "mxgated is not running: it has no DNS cache to flush.");
		return CMD_ERROR;
	}
	if (queue_request_add_id(q, "dnsflush", c->user, &id, &cause) < 0) {
		cli_error(c, "Cannot ask mxgated to flush its DNS cache: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	r = cmd_wait_request(c, q, id, DNSFLUSH_WAIT_MS, DNSFLUSH_PENDING);
	if (r < 0)
		return CMD_ERROR;
	if (r == 1) {
		cli_error(c, "mxgated stopped before it flushed its DNS cache: it starts again with "
			     "none.");
		return CMD_ERROR;
	}
	cli_printf(c, "DNS cache flushed.\n");
	return CMD_OK;
}

const struct cmd_entry cmd_dnsflush_entry = {
	.name = "dnsflush",
	.usage = "dnsflush",
	.help = "Flush the gateway's DNS cache (resolved next hops).",
	.exec = dnsflush_exec,
};
