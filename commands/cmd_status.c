/*
 * cmd_status.c - `status [detail]`: the appliance's counters, gauges and
 * current IDs, in the AsyncOS layout.
 *
 * Counters come from queue.db (since the last resetcounters and since
 * install); gauges are published by mxgated every second while it runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
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

/* gauge - a value from the daemon's published gauges ("k=v k=v") */
static long long
gauge(const char *gauges, const char *key)
{
	char pat[64];
	const char *p;
	long v = 0;
	char num[32];
	size_t n = 0;

	if (gauges == NULL)
		return 0;
	str_fmt(pat, sizeof(pat), "%s=", key);
	p = strstr(gauges, pat);
	if (p == NULL)
		return 0;
	p += strlen(pat);
	while (p[n] >= '0' && p[n] <= '9' && n < sizeof(num) - 1) {
		num[n] = p[n];
		n++;
	}
	num[n] = '\0';
	if (str_to_long(num, 0, 0x7fffffffL, &v) < 0)
		return 0;
	return v;
}

static enum cmd_ret
status_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	char when[64], up[64], dur[64], a[32], *started, *reset, *gauges, *path;
	int64_t msgs, rcpts;
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
	gauges = running ? queue_state_get(q, "gauges") : NULL;
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
	cli_printf(c, "System status:                 %s\n",
	    !running ? "Offline (mxgated is not running)" :
	    gauge(gauges, "paused") ? "Online (work queue paused)" : "Online");
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

	cli_printf(c, "\nCurrent IDs:\n");
	cli_printf(c, "  Message ID (MID)              %s\n",
	    cmd_num(queue_id_current(q, "mid"), a, sizeof(a)));
	cli_printf(c, "  Injection Conn. ID (ICID)     %s\n",
	    cmd_num(queue_id_current(q, "icid"), a, sizeof(a)));
	cli_printf(c, "  Delivery Conn. ID (DCID)      %s\n",
	    cmd_num(queue_id_current(q, "dcid"), a, sizeof(a)));

	cli_printf(c, "\nGauges:                               Current\n");
	cli_printf(c, "  Connections\n");
	cli_printf(c, "    Current Inbound Conn.       %12s\n",
	    cmd_num(gauge(gauges, "inbound"), a, sizeof(a)));
	cli_printf(c, "    Current Outbound Conn.      %12s\n",
	    cmd_num(gauge(gauges, "outbound"), a, sizeof(a)));
	cli_printf(c, "  Queue\n");
	cli_printf(c, "    Active Recipients           %12s\n", cmd_num(rcpts, a, sizeof(a)));
	cli_printf(c, "    Messages In Queue           %12s\n", cmd_num(msgs, a, sizeof(a)));
	cli_printf(c, "    Messages In Work Queue      %12s\n",
	    cmd_num(gauge(gauges, "workq"), a, sizeof(a)));
	path = str_printf("%s/queue.db", store_dir(c->st));
	cli_printf(c, "    Kilobytes Used              %12s\n",
	    cmd_num(stat(path, &sb) == 0 ? (long long)sb.st_size / 1024 : 0, a, sizeof(a)));
	free(path);
	if (detail && gauges) {
		cli_printf(c, "\nDetail:\n");
		cli_printf(c, "  Queue batches written         %12s\n",
		    cmd_num(gauge(gauges, "batches"), a, sizeof(a)));
		cli_printf(c, "  Durable batches (fsync)       %12s\n",
		    cmd_num(gauge(gauges, "fsyncs"), a, sizeof(a)));
		cli_printf(c, "  Destinations In Memory        %12s\n",
		    cmd_num(gauge(gauges, "dests"), a, sizeof(a)));
	}
	cli_printf(c, "\n");
	free(started);
	free(reset);
	free(gauges);
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
