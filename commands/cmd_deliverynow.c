/*
 * cmd_deliverynow.c - `deliverynow [DOMAIN|ALL]`: retry deferred mail now
 * instead of waiting for its next scheduled attempt.
 *
 * Suspended delivery (suspenddel) is not overridden: for a held domain
 * (or ALL while all is held) it says that the messages stay queued;
 * for ALL it names the domains that stay held.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/suspendcmd.h"
#include "store/queue.h"
#include "util/str.h"
#include "util/syntax.h"

extern const struct cmd_entry cmd_deliverynow_entry;

static enum cmd_ret
deliverynow_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	char dom[256], *cause = NULL, *held = NULL;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_deliverynow_entry, "deliverynow");
	if (argc == 1) {
		str_copy(dom, argv[0], sizeof(dom));
	} else {
		switch (cli_ask(c, "Please choose the domain to deliver now (ALL for every "
				   "domain).", "ALL", dom, sizeof(dom))) {
		case ASK_OK:
			break;
		case ASK_BACK:
			return CMD_OK;
		case ASK_ABORT:
			return CMD_ABORTED;
		}
	}
	if (strcasecmp(dom, "ALL") == 0) {
		str_copy(dom, "ALL", sizeof(dom));
	} else {
		str_lower(dom);
		if (!syntax_hostname(dom)) {
			cli_error(c, "Invalid domain '%.100s': enter a domain or ALL.", dom);
			return CMD_ERROR;
		}
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (suspendcmd_held_delivery(q, &held, &cause) < 0) {
		cli_error(c, "Cannot request delivery: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (queue_request_add(q, "deliverynow", dom, &cause) < 0) {
		cli_error(c, "Cannot request delivery: %s", cause);
		free(cause);
		free(held);
		return CMD_ERROR;
	}
	if (held && (strcmp(held, "*") == 0 || strcmp(dom, "ALL") != 0) &&
	    suspendcmd_held_has(held, dom)) {
		/* the request stands (retry times reset), but nothing is sent */
		cli_printf(c, "Delivery to %s is suspended (resumedel): messages stay queued.\n",
		    strcmp(held, "*") == 0 ? "ALL" : dom);
	} else {
		if (!cmd_daemon_running(c))
			cli_printf(c, "mxgated is not running; delivery starts when it does.\n");
		else
			cli_printf(c, "Rescheduling messages for %s for immediate delivery.\n", dom);
		if (held && strcmp(dom, "ALL") == 0) {
			int n;
			char **v = str_split(held, ',', &n);

			cli_printf(c, "Delivery stays suspended for ");
			for (int i = 0; i < n; i++)
				cli_printf(c, "%s%s", i ? ", " : "", v[i]);
			cli_printf(c, " (resumedel).\n");
			str_split_free(v);
		}
	}
	free(held);
	return CMD_OK;
}

static const struct cmd_word deliverynow_words[] = {
	{ "ALL", "every destination", NULL },
	{ "<DOMAIN>", "one destination domain", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_deliverynow_entry = {
	.name = "deliverynow",
	.alias = "delivernow",	/* AsyncOS's name */
	.usage = "deliverynow [DOMAIN|ALL]",
	.help = "Reschedule messages for immediate delivery.",
	.flags = CMD_F_ADMIN,
	.words = deliverynow_words,
	.exec = deliverynow_exec,
};
