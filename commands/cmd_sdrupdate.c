/*
 * cmd_sdrupdate.c - `sdrupdate [force]`: have mxgated poll the external
 * threat feeds (TAXII 2.1 collections) now rather than at the next
 * sdr.feed_interval; force polls each collection from its start, so that
 * indicators it no longer holds are dropped.
 *
 * The request ("sdrupdate", arg "" or "force") is a row in queue.db that
 * mxgated takes within a second; the command waits until it is taken,
 * then shows the feeds' state as it is at that moment (the polls run on
 * in the background: sdrstatus shows their outcome).
 *
 * DIAGNOSTICS: one error line, exit status 1: mxgated not running (the
 * feeds are polled when it starts), queue.db that cannot be written,
 * mxgated not taking the request in time.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/sdrconfig.h"
#include "store/queue.h"
#include "util/str.h"

extern const struct cmd_entry cmd_sdrupdate_entry;

/* How long the command waits for mxgated to take the request (it looks every second). */
#define SDRUPDATE_WAIT_MS 10000

static enum cmd_ret
sdrupdate_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	char *cause = NULL;
	int64_t id;
	int force = argc == 1, r;

	if (argc > 1 || (argc == 1 && !str_casecmp_prefix(argv[0], "force")))
		return cmd_usage_error(c, &cmd_sdrupdate_entry, "sdrupdate");
	if (!cmd_daemon_running(c)) {
		cli_error(c, "mxgated is not running: the external threat feeds are polled when it "
			     "starts.");
		return CMD_ERROR;
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (queue_request_add_id(q, "sdrupdate", force ? "force" : "", &id, &cause) < 0) {
		cli_error(c, "Cannot ask mxgated: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	r = queue_request_wait(q, id, SDRUPDATE_WAIT_MS, &cause);
	if (r < 0) {
		cli_error(c, "Cannot follow the request to mxgated: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (r == 1) {
		cli_error(c, "mxgated has not taken the request within %d seconds; it polls the "
			     "feeds as soon as it does.",
		    SDRUPDATE_WAIT_MS / 1000);
		return CMD_ERROR;
	}
	cli_printf(c, "Requesting update of the external threat feeds.\n");
	return sdrstatus_feeds(c);
}

static const struct cmd_word sdrupdate_words[] = {
	{ "force", "Poll each collection from its start (indicators it no longer holds go).",
	    NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_sdrupdate_entry = {
	.name = "sdrupdate",
	.usage = "sdrupdate [force]",
	.help = "Poll the Sender Domain Reputation external threat feeds now.",
	.words = sdrupdate_words,
	.exec = sdrupdate_exec,
};
