/*
 * cmd_deletequarantine.c - `deletequarantine NAME MID [MID...]` and
 * `deletequarantine NAME all`: delete quarantined messages.
 *
 * As in AsyncOS this acts at once (nothing is pending until commit): the
 * messages are deleted from queue.db directly, each in its own statement,
 * and the command line itself is in cli_logs like every other. Each
 * deletion is also told to mxgated (request qdeleted), which logs it in
 * mail_logs as AsyncOS does (`MID n deleted from quarantine "Q" (manual
 * delete)`), at once or when it next starts. A delete
 * racing mxgated's release or expiry of the same message is safe: the
 * row goes once, and the loser finds it gone.
 *
 * DIAGNOSTICS: a line per MID; a MID not in the quarantine makes the
 * command fail (exit 1), the other MIDs are deleted all the same. A MID
 * that is not a number, or an unknown quarantine, fails the command
 * before anything is deleted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/quarcmd.h"
#include "store/quarantine.h"
#include "store/queue.h"
#include "util/str.h"

extern const struct cmd_entry cmd_deletequarantine_entry;

/* The MIDs of a quarantine, for "all". */
struct mids {
	int n;
	int64_t *v;
};

/* add_mid - quarantine_cb collecting MIDs */
static int
add_mid(const struct quarantine_entry *e, void *arg)
{
	struct mids *m = arg;

	m->v = xrealloc(m->v, sizeof(*m->v) * (size_t)(m->n + 1));
	m->v[m->n++] = e->mid;
	return 0;
}

/* delete_one - 0 deleted, -1 not there or failed (error printed) */
static int
delete_one(struct cli *c, struct queue *q, const char *name, int64_t mid)
{
	char *cause = NULL, *arg;
	int r = quarantine_delete(q, name, mid, &cause);

	if (r < 0) {
		cli_error(c, "Cannot delete MID %lld: %s", (long long)mid, cause);
		free(cause);
		return -1;
	}
	if (r == 1) {
		cli_error(c, "MID %lld is not in quarantine \"%s\"", (long long)mid, name);
		return -1;
	}
	cli_printf(c, "MID %lld deleted from quarantine \"%s\"\n", (long long)mid, name);
	/* mxgated writes it into mail_logs, where the message's life is told */
	arg = str_printf("%s %lld", name, (long long)mid);
	if (queue_request_add(q, "qdeleted", arg, &cause) < 0) {
		cli_error(c, "MID %lld was deleted, but mail_logs will not say so: %s",
		    (long long)mid, cause);
		free(cause);
	}
	free(arg);
	return 0;
}

static enum cmd_ret
deletequarantine_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	struct mids m = { 0, NULL };
	char name[64], *cause = NULL;
	int failed = 0, deleted = 0, all;

	if (argc < 2)
		return cmd_usage_error(c, &cmd_deletequarantine_entry, "deletequarantine");
	all = argc == 2 && strcasecmp(argv[1], "all") == 0;
	if (!all) {
		m.v = xcalloc((size_t)argc, sizeof(*m.v));
		for (int i = 1; i < argc; i++, m.n++) {
			if (quarcmd_mid(c, argv[i], &m.v[m.n]) < 0) {
				free(m.v);
				return CMD_ERROR;
			}
		}
	}
	if ((q = cmd_queue(c)) == NULL ||
	    quarcmd_resolve(c, q, argv[0], name, sizeof(name), NULL) < 0) {
		free(m.v);
		return CMD_ERROR;
	}
	if (all && quarantine_list(q, name, add_mid, &m, &cause) < 0) {
		cli_error(c, "Cannot read the quarantine %s: %s", name, cause);
		free(cause);
		free(m.v);
		return CMD_ERROR;
	}
	if (all && m.n == 0)
		cli_printf(c, "Quarantine \"%s\" is empty.\n", name);
	for (int i = 0; i < m.n; i++) {
		if (delete_one(c, q, name, m.v[i]) < 0)
			failed = 1;
		else
			deleted++;
	}
	if (all && m.n > 0)
		cli_printf(c, "%d message%s deleted from quarantine \"%s\"\n", deleted,
		    deleted == 1 ? "" : "s", name);
	free(m.v);
	return failed ? CMD_ERROR : CMD_OK;
}

static const struct cmd_word mid_words[] = {
	{ "<MID>", "a message ID in the quarantine (more may follow)", mid_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word first_words[] = {
	{ "all", "every message of the quarantine", NULL },
	{ "<MID>", "a message ID in the quarantine (more may follow)", mid_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word deletequarantine_words[] = {
	{ "<NAME>", "the quarantine", first_words },
	{ NULL, NULL, NULL },
};

/* NOABBREV: it deletes mail at once, not pending until commit */
const struct cmd_entry cmd_deletequarantine_entry = {
	.name = "deletequarantine",
	.usage = "deletequarantine NAME MID [MID...]\ndeletequarantine NAME all",
	.help = "Delete messages from a quarantine.",
	.flags = CMD_F_ADMIN | CMD_F_NOABBREV,
	.words = deletequarantine_words,
	.exec = deletequarantine_exec,
};
