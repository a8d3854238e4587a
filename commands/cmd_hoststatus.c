/*
 * cmd_hoststatus.c - `hoststatus DOMAIN`: one destination's counters,
 * connections, last activity and last error, and whether its delivery
 * is suspended (suspenddel).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/suspendcmd.h"
#include "store/queue.h"
#include "util/str.h"
#include "util/syntax.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_hoststatus_entry;

/* Every row is label, then columns right-aligned at fixed ends: headings and numbers line up. */
#define HOSTSTATUS_LABEL 29	/* the longest label, "      Hard Bounced Recipients" */
#define HOSTSTATUS_COL 14	/* each value column */

/* row - a label and one or two right-aligned columns */
static void
row(struct cli *c, const char *label, const char *a, const char *b)
{
	cli_printf(c, "%-*s%*s", HOSTSTATUS_LABEL, label, HOSTSTATUS_COL, a);
	if (b)
		cli_printf(c, "%*s", HOSTSTATUS_COL, b);
	cli_printf(c, "\n");
}

/* counter - "label  reset  lifetime" */
static void
counter(struct cli *c, const char *label, long long reset, long long life)
{
	char a[32], b[32];

	row(c, label, cmd_num(reset, a, sizeof(a)), cmd_num(life, b, sizeof(b)));
}

static enum cmd_ret
hoststatus_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	struct queue_host h;
	char host[256], when[64], last[64], n[32], *cause = NULL, *held = NULL;
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
	if (suspendcmd_held_delivery(q, &held, &cause) < 0) {
		cli_error(c, "Cannot read the suspensions: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (!cmd_daemon_running(c))
		h.conn_out = 0;
	timefmt_ctime_zone(time(NULL), when, sizeof(when));
	cli_printf(c, "\nHost mail status for: '%s'\n", host);
	cli_printf(c, "Status as of:          %s\n", when);
	cli_printf(c, "Host up/down:          %s\n",
	    r == 1 ? "unknown" : h.down ? "down" : "up");
	if (held && suspendcmd_held_has(held, host))
		cli_printf(c, "Delivery:              suspended (resumedel)\n");
	free(held);
	cli_printf(c, "\n");
	row(c, "Counters:", "Reset", "Lifetime");
	cli_printf(c, "  Queue\n");
	counter(c, "    Soft Bounced Events", h.soft, h.l_soft);
	cli_printf(c, "  Completion\n");
	counter(c, "    Completed Recipients", h.deliv + h.hard, h.l_deliv + h.l_hard);
	counter(c, "      Hard Bounced Recipients", h.hard, h.l_hard);
	counter(c, "      Delivered Recipients", h.deliv, h.l_deliv);
	cli_printf(c, "\n");
	row(c, "Gauges:", "Current", NULL);
	cli_printf(c, "  Queue\n");
	row(c, "    Active Recipients", cmd_num(h.active, n, sizeof(n)), NULL);
	cli_printf(c, "  Connections\n");
	row(c, "    Current Outbound Conn.", cmd_num(h.conn_out, n, sizeof(n)), NULL);
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
