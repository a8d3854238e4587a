/*
 * cmd_deleterecipients.c - `deleterecipients host=HOST|sender=ADDRESS|all`:
 * remove queued recipients from the delivery queue, as AsyncOS does.
 * Without an argument, AsyncOS's dialogue and a confirmation; the batch
 * form acts at once. mxgated does the deleting (commands/qactcmd.h).
 *
 * DIAGNOSTICS: one error line for a bad selection, mxgated not running,
 * or a store failure; nothing is changed then.
 */
#include "commands/cmd.h"
#include "commands/qactcmd.h"
#include "commands/qselcmd.h"

extern const struct cmd_entry cmd_deleterecipients_entry;

static enum cmd_ret
deleterecipients_exec(struct cli *c, int argc, char **argv)
{
	struct qsel s;
	int yes = 0;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_deleterecipients_entry, "deleterecipients");
	if (argc == 1) {
		if (qsel_parse(c, "deleterecipients", argv[0], &s) < 0)
			return CMD_ERROR;
		return qactcmd_run(c, QACTCMD_DELETE, &s, NULL);
	}
	switch (qsel_ask(c, "delete", &s)) {
	case ASK_OK:
		break;
	case ASK_BACK:
		return CMD_OK;
	case ASK_ABORT:
		return CMD_ABORTED;
	}
	if (qactcmd_confirm(c, QACTCMD_DELETE, &s, NULL, &yes) != ASK_OK)
		return CMD_ABORTED;
	if (!yes)
		return CMD_OK;
	return qactcmd_run(c, QACTCMD_DELETE, &s, NULL);
}

static const struct cmd_word deleterecipients_words[] = {
	{ "host=", "recipients queued for a host (a domain, [IP]:PORT or the.tdc.queue)", NULL },
	{ "sender=", "recipients of messages from an envelope sender (<> for none)", NULL },
	{ "all", "every queued recipient", NULL },
	{ NULL, NULL, NULL },
};

/* NOABBREV: it deletes mail at once, not pending until commit */
const struct cmd_entry cmd_deleterecipients_entry = {
	.name = "deleterecipients",
	.usage = "deleterecipients host=HOST|sender=ADDRESS|all",
	.help = "Delete queued recipients from the delivery queue.",
	.flags = CMD_F_ADMIN | CMD_F_NOABBREV,
	.words = deleterecipients_words,
	.exec = deleterecipients_exec,
};
