/*
 * cmd_status.c - `status [detail]`: the appliance's counters, gauges and
 * current IDs, in the AsyncOS layout.
 *
 * Counters come from queue.db (since the last resetcounters and since
 * install); gauges are published by mxgated every second while it runs.
 * The system status says what suspend, suspendlistener and suspenddel
 * hold (queue.db state, commands/suspendcmd.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/suspendcmd.h"
#include "store/quarantine.h"
#include "store/queue.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_status_entry;

/* counter - one "name  reset  lifetime" row */
static void
counter(struct cli *c, struct queue *q, const char *label, const char *name)
{
	int64_t reset, life;
	char a[32], b[32];

	queue_global_get(q, name, &reset, &life);
	cli_printf(c, "%-32s%12s%14s\n", label, cmd_num(reset, a, sizeof(a)),
	    cmd_num(life, b, sizeof(b)));
}

/* gauge - a value the running daemon publishes (0 while it is stopped) */
static long long
gauge(struct queue *q, int running, const char *key)
{
	return running ? queue_gauge_get(q, key) : 0;
}

/*
 * last_ids - the last ICID, MID and DCID handed out. mxgated reserves IDs
 * in blocks (queue_id_reserve), so the reserved counters run ahead of
 * what was used; it publishes the last ones used as state "ids.last"
 * ("icid mid dcid"). Without that (an older daemon), the reserved ones.
 */
static void
last_ids(struct queue *q, long long *icid, long long *mid, long long *dcid)
{
	char *v = queue_state_get(q, "ids.last"), *save = NULL, *w[3];
	long n[3];
	int i = 0;

	for (char *t = v ? strtok_r(v, " ", &save) : NULL; t && i < 3; t = strtok_r(NULL, " ", &save))
		w[i++] = t;
	if (i == 3 && str_to_long(w[0], 0, 0x7fffffffffffffffL, &n[0]) == 0 &&
	    str_to_long(w[1], 0, 0x7fffffffffffffffL, &n[1]) == 0 &&
	    str_to_long(w[2], 0, 0x7fffffffffffffffL, &n[2]) == 0) {
		*icid = n[0];
		*mid = n[1];
		*dcid = n[2];
	} else {
		*icid = queue_id_current(q, "icid");
		*mid = queue_id_current(q, "mid");
		*dcid = queue_id_current(q, "dcid");
	}
	free(v);
}

static enum cmd_ret
status_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	char when[64], up[64], dur[64], a[32], *started, *reset, *path;
	long long icid, mid, dcid;
	int64_t msgs, rcpts, qmsgs, qbytes;
	time_t oldest, now = time(NULL);
	int running, detail = 0;
	long v;
	struct stat sb;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "detail") != 0))
		return cmd_usage_error(c, &cmd_status_entry, "status");
	detail = argc == 1;
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	running = cmd_daemon_running(c);
	started = queue_state_get(q, "started");
	reset = queue_state_get(q, "counters_reset");
	queue_stats(q, &msgs, &rcpts, &oldest);

	timefmt_ctime_zone(now, when, sizeof(when));
	cli_printf(c, "\nStatus as of:                  %s\n", when);
	if (running && started && str_to_long(started, 0, 0x7fffffffffffL, &v) == 0) {
		timefmt_ctime_zone((time_t)v, up, sizeof(up));
		cli_printf(c, "Up since:                      %s (%s)\n", up,
		    cmd_duration(now - v, dur, sizeof(dur)));
	} else {
		cli_printf(c, "Up since:                      mxgated is not running\n");
	}
	if (reset && str_to_long(reset, 0, 0x7fffffffffffL, &v) == 0) {
		timefmt_ctime_zone((time_t)v, up, sizeof(up));
		cli_printf(c, "Last counter reset:            %s\n", up);
	} else {
		cli_printf(c, "Last counter reset:            Never\n");
	}
	/* Online, or what is suspended (AsyncOS's words), and which listeners and domains */
	suspendcmd_status(c, q, running, gauge(q, running, "paused") != 0);
	cli_printf(c, "Oldest Message:                %s\n",
	    oldest ? cmd_duration(now - oldest, dur, sizeof(dur)) : "No Messages");

	cli_printf(c, "\nCounters:                              Reset      Lifetime\n");
	cli_printf(c, "  Receiving\n");
	counter(c, q, "    Messages Received", "rcvd_msgs");
	counter(c, q, "    Recipients Received", "rcvd_rcpts");
	counter(c, q, "    Gen. Bounce Recipients", "bounce_rcpts");
	cli_printf(c, "  Queue\n");
	counter(c, q, "    Soft Bounced Events", "soft_bounced");
	cli_printf(c, "  Completion\n");
	counter(c, q, "      Hard Bounced Recipients", "hard_bounced");
	counter(c, q, "      Delivered Recipients", "delivered");
	counter(c, q, "      Deleted Recipients", "deleted_rcpts");
	/* journal copies are counted apart, as AsyncOS counts the.tdc.queue */
	cli_printf(c, "  Threat Defense Connector\n");
	counter(c, q, "    Journal Copies Queued", "tdc_queued");
	counter(c, q, "    Journal Copies Soft Bounced", "tdc_soft_bounced");
	counter(c, q, "    Journal Copies Failed", "tdc_hard_bounced");
	counter(c, q, "    Journal Copies Delivered", "tdc_delivered");
	counter(c, q, "    Journal Copies Deleted", "tdc_deleted");
	cli_printf(c, "  Filters and Quarantines\n");
	counter(c, q, "    Dropped by Filters", "filter_dropped");
	counter(c, q, "    Bounced by Filters", "filter_bounced");
	counter(c, q, "    Quarantined", "quarantined");
	cli_printf(c, "  Sender Domain Reputation\n");
	counter(c, q, "    SDR Verdicts Requested", "sdr_lookups");
	counter(c, q, "    SDR Unscannable", "sdr_unscannable");

	last_ids(q, &icid, &mid, &dcid);
	cli_printf(c, "\nCurrent IDs:\n");
	cli_printf(c, "  Message ID (MID)              %s\n", cmd_num(mid, a, sizeof(a)));
	cli_printf(c, "  Injection Conn. ID (ICID)     %s\n", cmd_num(icid, a, sizeof(a)));
	cli_printf(c, "  Delivery Conn. ID (DCID)      %s\n", cmd_num(dcid, a, sizeof(a)));

	cli_printf(c, "\nGauges:                               Current\n");
	cli_printf(c, "  Connections\n");
	cli_printf(c, "    Current Inbound Conn.       %12s\n",
	    cmd_num(gauge(q, running, "inbound"), a, sizeof(a)));
	cli_printf(c, "    Current Outbound Conn.      %12s\n",
	    cmd_num(gauge(q, running, "outbound"), a, sizeof(a)));
	cli_printf(c, "  Queue\n");
	cli_printf(c, "    Active Recipients           %12s\n", cmd_num(rcpts, a, sizeof(a)));
	cli_printf(c, "    Messages In Queue           %12s\n", cmd_num(msgs, a, sizeof(a)));
	cli_printf(c, "    Messages In Work Queue      %12s\n",
	    cmd_num(gauge(q, running, "workq"), a, sizeof(a)));
	if (quarantine_usage(q, NULL, &qmsgs, &qbytes, NULL) < 0)
		qmsgs = qbytes = 0;
	cli_printf(c, "    Messages In Quarantine      %12s\n", cmd_num(qmsgs, a, sizeof(a)));
	cli_printf(c, "    Quarantine Kilobytes Used   %12s\n",
	    cmd_num(qbytes / 1024, a, sizeof(a)));
	path = str_printf("%s/queue.db", store_dir(c->st));
	cli_printf(c, "    Kilobytes Used              %12s\n",
	    cmd_num(stat(path, &sb) == 0 ? (long long)sb.st_size / 1024 : 0, a, sizeof(a)));
	free(path);
	if (detail && running) {
		cli_printf(c, "\nDetail:\n");
		cli_printf(c, "  Queue batches written         %12s\n",
		    cmd_num(gauge(q, running, "batches"), a, sizeof(a)));
		cli_printf(c, "  Durable batches (fsync)       %12s\n",
		    cmd_num(gauge(q, running, "fsyncs"), a, sizeof(a)));
		cli_printf(c, "  Destinations In Memory        %12s\n",
		    cmd_num(gauge(q, running, "dests"), a, sizeof(a)));
	}
	cli_printf(c, "\n");
	free(started);
	free(reset);
	return CMD_OK;
}

static const struct cmd_word status_words[] = {
	{ "detail", "also show writer and destination details", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "status [detail]",
	.help = "System status: counters, gauges and current IDs.",
	.words = status_words,
	.exec = status_exec,
};
