/*
 * cmd_releasequarantine.c - `releasequarantine NAME MID [MID...]`: send
 * quarantined messages on to delivery.
 *
 * The shell never moves a message itself: for each MID in the quarantine
 * it posts the request "release" ("NAME MID") in queue.db, and mxgated
 * moves the message from the quarantine into the delivery queue in one
 * transaction (its policy's journaling included), so a message is never
 * both quarantined and queued, nor neither. With mxgated running the
 * command waits until the message has left the quarantine (at most
 * RELEASE_WAIT_MS); without it the request stays and is carried out when
 * mxgated starts.
 *
 * DIAGNOSTICS: a line per MID; a MID not in the quarantine, or one that
 * mxgated did not release in time, makes the command fail (exit 1), the
 * other MIDs are released all the same. A MID that is not a number, or
 * an unknown quarantine, fails the command before anything is asked.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/quarcmd.h"
#include "store/quarantine.h"
#include "store/queue.h"
#include "util/str.h"

/* How long one release may take: mxgated takes requests once a second. */
#define RELEASE_WAIT_MS 15000
/* How often the quarantine is looked at while waiting. */
#define RELEASE_POLL_MS 20

extern const struct cmd_entry cmd_releasequarantine_entry;

/* ms_now - a monotonic clock in milliseconds */
static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* still_there - is mid in quarantine name? 1 yes, 0 no, -1 error (printed) */
static int
still_there(struct cli *c, struct queue *q, const char *name, int64_t mid)
{
	struct quarantine_entry e;
	char *cause = NULL;
	int r = quarantine_get(q, name, mid, 0, &e, &cause);

	if (r < 0) {
		cli_error(c, "Cannot read the quarantine %s: %s", name, cause);
		free(cause);
		return -1;
	}
	if (r == 0)
		quarantine_entry_free(&e);
	return r == 0;
}

/*
 * release_one - post the request for one MID and follow it; 0 released
 * (or queued for mxgated's start), -1 failed (error printed)
 */
static int
release_one(struct cli *c, struct queue *q, const char *name, int64_t mid)
{
	char *arg, *cause = NULL;
	int64_t id;
	long long deadline;
	int r;

	if ((r = still_there(c, q, name, mid)) <= 0) {
		if (r == 0)
			cli_error(c, "MID %lld is not in quarantine \"%s\"", (long long)mid, name);
		return -1;
	}
	arg = str_printf("%s %lld", name, (long long)mid);
	r = queue_request_add_id(q, "release", arg, &id, &cause);
	free(arg);
	if (r < 0) {
		cli_error(c, "Cannot ask mxgated to release MID %lld: %s", (long long)mid, cause);
		free(cause);
		return -1;
	}
	if (!cmd_daemon_running(c)) {
		cli_printf(c, "mxgated is not running: MID %lld will be released when it starts "
			      "(queued)\n",
		    (long long)mid);
		return 0;
	}
	deadline = ms_now() + RELEASE_WAIT_MS;
	r = queue_request_wait(q, id, RELEASE_WAIT_MS, &cause);
	if (r < 0) {
		cli_error(c, "Cannot follow the request to mxgated: %s", cause);
		free(cause);
		return -1;
	}
	/* taken: the message leaves the quarantine in mxgated's next write */
	while (r == 0 && (r = still_there(c, q, name, mid)) == 1 && ms_now() < deadline &&
	    !cli_interrupted(c)) {
		struct timespec ts = { 0, RELEASE_POLL_MS * 1000000L };

		nanosleep(&ts, NULL);
		r = 0;
	}
	if (r < 0)
		return -1;
	if (r == 1) {
		cli_error(c, "mxgated has not released MID %lld from quarantine \"%s\" within %d "
			     "seconds: it will as soon as it can (see displayalerts and mail_logs).",
		    (long long)mid, name, RELEASE_WAIT_MS / 1000);
		return -1;
	}
	if (still_there(c, q, name, mid) != 0)
		return -1;
	cli_printf(c, "MID %lld released from quarantine \"%s\"\n", (long long)mid, name);
	return 0;
}

static enum cmd_ret
releasequarantine_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	char name[64];
	int64_t *mids;
	int failed = 0;

	if (argc < 2)
		return cmd_usage_error(c, &cmd_releasequarantine_entry, "releasequarantine");
	mids = xcalloc((size_t)argc, sizeof(*mids));
	for (int i = 1; i < argc; i++) {
		if (quarcmd_mid(c, argv[i], &mids[i]) < 0) {
			free(mids);
			return CMD_ERROR;
		}
	}
	if ((q = cmd_queue(c)) == NULL ||
	    quarcmd_resolve(c, q, argv[0], name, sizeof(name), NULL) < 0) {
		free(mids);
		return CMD_ERROR;
	}
	for (int i = 1; i < argc && !cli_interrupted(c); i++)
		if (release_one(c, q, name, mids[i]) < 0)
			failed = 1;
	free(mids);
	return failed || cli_interrupted(c) ? CMD_ERROR : CMD_OK;
}

static const struct cmd_word mid_words[] = {
	{ "<MID>", "a message ID in the quarantine (more may follow)", mid_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word releasequarantine_words[] = {
	{ "<NAME>", "the quarantine", mid_words },
	{ NULL, NULL, NULL },
};

/* NOABBREV: it sends mail on at once, not pending until commit */
const struct cmd_entry cmd_releasequarantine_entry = {
	.name = "releasequarantine",
	.usage = "releasequarantine NAME MID [MID...]",
	.help = "Release messages from a quarantine to delivery.",
	.flags = CMD_F_ADMIN | CMD_F_NOABBREV,
	.words = releasequarantine_words,
	.exec = releasequarantine_exec,
};
