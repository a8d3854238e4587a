/*
 * cmd_hoststatus.c - `hoststatus DOMAIN`: one destination's counters,
 * connections, last activity and last error.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "store/queue.h"
#include "util/str.h"
#include "util/syntax.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_hoststatus_entry;

static enum cmd_ret
hoststatus_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	struct queue_host h;
	char host[256], when[64], last[64], n[32], *cause = NULL;
	int r;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_hoststatus_entry, "hoststatus");
	if (argc == 1) {
		str_copy(host, argv[0], sizeof(host));
	} else {
		switch (cli_ask(c, "Recipient host:", NULL, host, sizeof(host))) {
		case ASK_OK:
			break;
		case ASK_BACK:
			return CMD_OK;
		case ASK_ABORT:
			return CMD_ABORTED;
		}
	}
	str_lower(host);
	if (!syntax_hostname(host)) {
		cli_error(c, "Invalid host '%.100s': enter a domain such as example.com.", host);
		return CMD_ERROR;
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	r = queue_host_get(q, host, &h, &cause);
	if (r < 0) {
		cli_error(c, "Cannot read the delivery queue: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (r == 1) {
		memset(&h, 0, sizeof(h));
		str_copy(h.host, host, sizeof(h.host));
	}
	if (!cmd_daemon_running(c))
		h.conn_out = 0;
	timefmt_ctime_zone(time(NULL), when, sizeof(when));
	cli_printf(c, "\nHost mail status for: '%s'\n", host);
	cli_printf(c, "Status as of:          %s\n", when);
	cli_printf(c, "Host up/down:          %s\n",
	    r == 1 ? "unknown" : h.down ? "down" : "up");
	cli_printf(c, "\nCounters:                          Reset      Lifetime\n");
	cli_printf(c, "  Queue\n");
	cli_printf(c, "    Soft Bounced Events    %14s", cmd_num(h.soft, n, sizeof(n)));
	cli_printf(c, "%14s\n", cmd_num(h.l_soft, n, sizeof(n)));
	cli_printf(c, "  Completion\n");
	cli_printf(c, "    Completed Recipients   %14s", cmd_num(h.deliv + h.hard, n, sizeof(n)));
	cli_printf(c, "%14s\n", cmd_num(h.l_deliv + h.l_hard, n, sizeof(n)));
	cli_printf(c, "      Hard Bounced Recipients%12s", cmd_num(h.hard, n, sizeof(n)));
	cli_printf(c, "%14s\n", cmd_num(h.l_hard, n, sizeof(n)));
	cli_printf(c, "      Delivered Recipients %12s", cmd_num(h.deliv, n, sizeof(n)));
	cli_printf(c, "%14s\n", cmd_num(h.l_deliv, n, sizeof(n)));
	cli_printf(c, "\nGauges:                          Current\n");
	cli_printf(c, "  Queue\n");
	cli_printf(c, "    Active Recipients      %14s\n", cmd_num(h.active, n, sizeof(n)));
	cli_printf(c, "  Connections\n");
	cli_printf(c, "    Current Outbound Conn. %14s\n", cmd_num(h.conn_out, n, sizeof(n)));
	if (h.last_activity)
		timefmt_ctime_zone(h.last_activity, last, sizeof(last));
	else
		str_copy(last, "none", sizeof(last));
	cli_printf(c, "\nLast Activity:         %s\n", last);
	cli_printf(c, "Last Error:            %s\n\n", h.last_error[0] ? h.last_error : "none");
	return CMD_OK;
}

static const struct cmd_word hoststatus_words[] = {
	{ "<DOMAIN>", "the destination domain (or the.tdc.queue)", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_hoststatus_entry = {
	.name = "hoststatus",
	.usage = "hoststatus DOMAIN",
	.help = "Get the status of the given hostname.",
	.words = hoststatus_words,
	.exec = hoststatus_exec,
};
