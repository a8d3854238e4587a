/*
 * cmd_displayalerts.c - `displayalerts [N]`: the newest alerts mxgated
 * raised (AsyncOS displayalerts), and the login banner that shows a
 * person at a terminal the alerts raised since they last looked.
 *
 * Alerts live in DIR/queue.db (store/alert.c), so both work whether or
 * not the daemon runs. "Seen" is kept per user and moves only when a
 * person at a terminal was shown the alerts (the banner, or displayalerts
 * in an interactive session); scripts never move it.
 *
 * DIAGNOSTICS: one error line for a bad N or a second argument; "Cannot
 * read the alerts: REASON" when queue.db cannot be read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_displayalerts.h"
#include "commands/cmd_util.h"
#include "store/alert.h"
#include "util/str.h"

extern const struct cmd_entry cmd_displayalerts_entry;

/* How many alerts displayalerts shows without N, and the banner at most. */
#define DISPLAYALERTS_DEFAULT 10
#define DISPLAYALERTS_BANNER_MAX 10

/* A copy of the alerts to show: listings end before printing starts. */
struct alert_rows {
	struct alert *v;	/* rows, texts malloc'd */
	int n;			/* in use */
	int cap;		/* allocated */
};

/* rows_add - alert_cb: keep a copy */
static int
rows_add(const struct alert *a, void *arg)
{
	struct alert_rows *r = arg;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = xrealloc(r->v, sizeof(*r->v) * (size_t)r->cap);
	}
	r->v[r->n] = *a;
	r->v[r->n].aclass = str_dup(a->aclass);
	r->v[r->n].text = str_dup(a->text);
	r->n++;
	return 0;
}

/* rows_free - the copies */
static void
rows_free(struct alert_rows *r)
{
	for (int i = 0; i < r->n; i++) {
		free((char *)r->v[i].aclass);
		free((char *)r->v[i].text);
	}
	free(r->v);
}

/* heading - the column titles (AsyncOS: Date and Time Stamp, then the rest) */
static void
heading(struct cli *c)
{
	cli_printf(c, "%-26s  %-8s  %-24s  %s\n", "Date and Time Stamp", "Severity", "Class",
	    "Message");
	cli_printf(c, "%-26s  %-8s  %-24s  %s\n", "--------------------------", "--------",
	    "------------------------", "--------------------------------");
}

/* row - one alert: "22 Nov 2026 10:15:02 +0000  Critical  Listener  text (commit 4)" */
static void
row(struct cli *c, const struct alert *a)
{
	char when[64];
	struct tm tm;

	if (localtime_r(&a->raised, &tm) == NULL ||
	    strftime(when, sizeof(when), "%d %b %Y %H:%M:%S %z", &tm) == 0)
		str_copy(when, "?", sizeof(when));
	if (a->commit > 0)
		cli_printf(c, "%-26s  %-8s  %-24s  %s (commit %lld)\n", when,
		    alert_severity_name(a->severity), a->aclass, a->text, (long long)a->commit);
	else
		cli_printf(c, "%-26s  %-8s  %-24s  %s\n", when, alert_severity_name(a->severity),
		    a->aclass, a->text);
}

/* mark_seen - a person was shown every alert up to id */
static void
mark_seen(struct cli *c, struct queue *q, int64_t id)
{
	char *cause = NULL;

	if (alert_seen_set(q, c->user, id, &cause) < 0) {
		/* not worth failing the command: the alerts were shown */
		cli_error(c, "Warning: cannot remember that the alerts were shown: %s", cause);
		free(cause);
	}
}

static enum cmd_ret
displayalerts_exec(struct cli *c, int argc, char **argv)
{
	struct alert_rows r = { 0 };
	struct queue *q;
	char *cause = NULL;
	long n = DISPLAYALERTS_DEFAULT;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_displayalerts_entry, NULL);
	if (argc == 1 && str_to_long(argv[0], 1, ALERT_KEEP, &n) < 0) {
		cli_error(c, "Invalid number of alerts '%.100s': enter a whole number from 1 to %d.",
		    argv[0], ALERT_KEEP);
		return CMD_ERROR;
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (alert_latest(q, (int)n, rows_add, &r, &cause) < 0) {
		cli_error(c, "Cannot read the alerts: %s", cause);
		free(cause);
		rows_free(&r);
		return CMD_ERROR;
	}
	cli_printf(c, "\n");
	if (r.n == 0) {
		cli_printf(c, "No alerts have been raised.\n\n");
		rows_free(&r);
		return CMD_OK;
	}
	heading(c);
	for (int i = 0; i < r.n; i++)
		row(c, &r.v[i]);
	cli_printf(c, "\n");
	/* the newest come first: a person who saw this list has seen them all */
	if (c->interactive && !c->stopped)
		mark_seen(c, q, r.v[0].id);
	rows_free(&r);
	return CMD_OK;
}

void
displayalerts_banner(struct cli *c)
{
	struct alert_rows r = { 0 };
	struct queue *q;
	char *cause = NULL;
	int64_t seen;
	int shown;

	if ((q = cmd_queue(c)) == NULL)
		return;
	seen = alert_seen_get(q, c->user);
	if (alert_list(q, seen, rows_add, &r, &cause) < 0) {
		cli_error(c, "Cannot read the alerts: %s", cause);
		free(cause);
		rows_free(&r);
		return;
	}
	if (r.n == 0) {
		rows_free(&r);
		return;
	}
	shown = r.n < DISPLAYALERTS_BANNER_MAX ? r.n : DISPLAYALERTS_BANNER_MAX;
	cli_printf(c, "%d new alert%s since you last looked:\n", r.n, r.n == 1 ? "" : "s");
	heading(c);
	for (int i = r.n - 1; i >= r.n - shown; i--)	/* newest first, as displayalerts */
		row(c, &r.v[i]);
	if (shown < r.n)
		cli_printf(c, "(%d older; 'displayalerts %d' lists them)\n", r.n - shown, r.n);
	cli_printf(c, "\n");
	mark_seen(c, q, r.v[r.n - 1].id);
	rows_free(&r);
}

static const struct cmd_word displayalerts_words[] = {
	{ "<N>", "how many of the newest alerts to show (1-1000, default 10)", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_displayalerts_entry = {
	.name = "displayalerts",
	.usage = "displayalerts [N]",
	.help = "Display the newest alerts the appliance raised.",
	.words = displayalerts_words,
	.exec = displayalerts_exec,
};
