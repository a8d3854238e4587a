/*
 * cmd_bouncerecipients.c - `bouncerecipients host=HOST|sender=ADDRESS|all
 * [reason=TEXT]`: hard-bounce queued recipients, so that their senders
 * get a delivery status notification, as AsyncOS does. Journal copies
 * (the.tdc.queue) have no sender and are never bounced: a selection that
 * holds some skips them and says how many. Without an argument, AsyncOS's
 * dialogue and a confirmation; the batch form acts at once. mxgated does
 * the bouncing (commands/qactcmd.h).
 *
 * DIAGNOSTICS: one error line for a bad selection or reason, mxgated not
 * running, or a store failure; nothing is changed then.
 */
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/qactcmd.h"
#include "commands/qselcmd.h"

extern const struct cmd_entry cmd_bouncerecipients_entry;

#define REASON_MAX 200	/* as mxgated keeps it (daemon/qact.h) */

/* reason_ok - printable text of at most REASON_MAX bytes */
static int
reason_ok(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > REASON_MAX)
		return 0;
	for (const unsigned char *p = (const unsigned char *)r; *p; p++)
		if (*p < ' ' || *p > '~')	/* ASCII only: it goes into a DSN and mail_logs */
			return 0;
	return 1;
}

static enum cmd_ret
bouncerecipients_exec(struct cli *c, int argc, char **argv)
{
	const char *reason = NULL;
	struct qsel s;
	int yes = 0;

	if (argc > 2)
		return cmd_usage_error(c, &cmd_bouncerecipients_entry, "bouncerecipients");
	if (argc == 2) {
		if (strncasecmp(argv[1], "reason=", 7) != 0)
			return cmd_usage_error(c, &cmd_bouncerecipients_entry, "bouncerecipients");
		reason = argv[1] + 7;
		if (!reason_ok(reason)) {
			cli_error(c, "bouncerecipients: the reason must be 1 to %d printable "
				     "characters; nothing was changed.",
			    REASON_MAX);
			return CMD_ERROR;
		}
	}
	if (argc >= 1) {
		if (qsel_parse(c, "bouncerecipients", argv[0], &s) < 0 ||
		    qactcmd_tdc_refused(c, QACTCMD_BOUNCE, &s))
			return CMD_ERROR;
		return qactcmd_run(c, QACTCMD_BOUNCE, &s, reason);
	}
	switch (qsel_ask(c, "bounce", &s)) {
	case ASK_OK:
		break;
	case ASK_BACK:
		return CMD_OK;
	case ASK_ABORT:
		return CMD_ABORTED;
	}
	if (qactcmd_tdc_refused(c, QACTCMD_BOUNCE, &s))
		return CMD_ERROR;
	if (qactcmd_confirm(c, QACTCMD_BOUNCE, &s, NULL, &yes) != ASK_OK)
		return CMD_ABORTED;
	if (!yes)
		return CMD_OK;
	return qactcmd_run(c, QACTCMD_BOUNCE, &s, NULL);
}

static const struct cmd_word reason_word[] = {
	{ "reason=", "what the notification tells the sender (default: Bounced by "
		     "administrator)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word bouncerecipients_words[] = {
	{ "host=", "recipients queued for a host (a domain or [IP]:PORT)", reason_word },
	{ "sender=", "recipients of messages from an envelope sender (<> for none)",
	    reason_word },
	{ "all", "every queued recipient (journal copies are skipped)", reason_word },
	{ NULL, NULL, NULL },
};

/* NOABBREV: it bounces mail at once, not pending until commit */
const struct cmd_entry cmd_bouncerecipients_entry = {
	.name = "bouncerecipients",
	.usage = "bouncerecipients host=HOST|sender=ADDRESS|all [reason=TEXT]",
	.help = "Bounce queued recipients back to their senders.",
	.flags = CMD_F_ADMIN | CMD_F_NOABBREV,
	.words = bouncerecipients_words,
	.exec = bouncerecipients_exec,
};
