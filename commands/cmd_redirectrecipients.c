/*
 * cmd_redirectrecipients.c - `redirectrecipients host=NEWHOST[:PORT]
 * [for=HOST|sender=ADDRESS|all]`: send queued recipients to another host
 * instead of their own (AsyncOS redirects the whole queue; for= or
 * sender= narrows it). They go to the destination "[NEWHOST]:PORT",
 * which mxgated resolves by its address records only (no MX, no route)
 * and keeps in queue.db across restarts; they are tried at once. Journal
 * copies (the.tdc.queue) go only to the intake and are never redirected.
 * Without an argument, AsyncOS's dialogue, its WARNING and a
 * confirmation; the batch form acts at once (commands/qactcmd.h).
 *
 * DIAGNOSTICS: one error line for a bad host, port or selection, mxgated
 * not running, or a store failure; nothing is changed then.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/qactcmd.h"
#include "commands/qselcmd.h"
#include "util/str.h"

extern const struct cmd_entry cmd_redirectrecipients_entry;

static const char cmd_name[] = "redirectrecipients";

/* batch - the one-line form */
static enum cmd_ret
batch(struct cli *c, int argc, char **argv)
{
	struct qsel s = { QSEL_ALL, "" };
	char dest[300], word[400];

	if (argc > 2 || strncasecmp(argv[0], "host=", 5) != 0)
		return cmd_usage_error(c, &cmd_redirectrecipients_entry, cmd_name);
	if (qactcmd_new_host(c, cmd_name, argv[0] + 5, dest, sizeof(dest)) < 0)
		return CMD_ERROR;
	if (argc == 2) {
		/* for=HOST is the selection's host=HOST */
		if (strncasecmp(argv[1], "for=", 4) == 0)
			str_fmt(word, sizeof(word), "host=%s", argv[1] + 4);
		else if (strncasecmp(argv[1], "host=", 5) == 0)
			return cmd_usage_error(c, &cmd_redirectrecipients_entry, cmd_name);
		else
			str_copy(word, argv[1], sizeof(word));
		if (qsel_parse(c, cmd_name, word, &s) < 0)
			return CMD_ERROR;
	}
	if (qactcmd_tdc_refused(c, QACTCMD_REDIRECT, &s))
		return CMD_ERROR;
	return qactcmd_run(c, QACTCMD_REDIRECT, &s, dest);
}

static enum cmd_ret
redirectrecipients_exec(struct cli *c, int argc, char **argv)
{
	struct qsel s;
	char answer[300], dest[300];
	int yes = 0;

	if (argc > 0)
		return batch(c, argc, argv);
	switch (qsel_ask(c, "redirect", &s)) {
	case ASK_OK:
		break;
	case ASK_BACK:
		return CMD_OK;
	case ASK_ABORT:
		return CMD_ABORTED;
	}
	if (qactcmd_tdc_refused(c, QACTCMD_REDIRECT, &s))
		return CMD_ERROR;
	for (;;) {
		switch (cli_ask_required(c, "Please enter the hostname or IP address of the machine "
					    "you want to send all mail to.",
		    answer, sizeof(answer))) {
		case ASK_OK:
			break;
		case ASK_BACK:
			return CMD_OK;
		case ASK_ABORT:
			return CMD_ABORTED;
		}
		if (qactcmd_new_host(c, cmd_name, answer, dest, sizeof(dest)) == 0)
			break;
		/* a script's next line was meant for the next question */
		if (!c->interactive)
			return CMD_ABORTED;
	}
	if (qactcmd_confirm(c, QACTCMD_REDIRECT, &s, dest, &yes) != ASK_OK)
		return CMD_ABORTED;
	if (!yes)
		return CMD_OK;
	return qactcmd_run(c, QACTCMD_REDIRECT, &s, dest);
}

static const struct cmd_word select_word[] = {
	{ "for=", "only recipients queued for this host (a domain or [IP]:PORT)", NULL },
	{ "sender=", "only recipients of messages from an envelope sender (<> for none)", NULL },
	{ "all", "every queued recipient (the default; journal copies are skipped)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word redirectrecipients_words[] = {
	{ "host=", "the host or IP address to send the mail to, with :PORT (default 25)",
	    select_word },
	{ NULL, NULL, NULL },
};

/* NOABBREV: it re-routes mail at once, not pending until commit */
const struct cmd_entry cmd_redirectrecipients_entry = {
	.name = "redirectrecipients",
	.usage = "redirectrecipients host=NEWHOST[:PORT] [for=HOST|sender=ADDRESS|all]",
	.help = "Send queued recipients to another host.",
	.flags = CMD_F_ADMIN | CMD_F_NOABBREV,
	.words = redirectrecipients_words,
	.exec = redirectrecipients_exec,
};
