/*
 * cmd_tdcstatus.c - `tdcstatus`: the Threat Defense Connector's journal
 * copies: queued, delivered and failed (by reason), what waits in
 * the.tdc.queue now, the last success and the last error.
 *
 * It reads DIR/queue.db, where mxgated keeps the counters (daemon/tdc.c,
 * daemon/delivery.c), so it works whether or not the daemon runs and
 * changes nothing. In a cluster it also says which member is the ETD
 * polling primary (from etcd; "unknown (CAUSE)" when it cannot be reached).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_clustercheck.h"
#include "commands/cmd_util.h"
#include "store/queue.h"
#include "store/settings.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_tdcstatus_entry;

/* The counters shown, in order: label, counter name (daemon/delivery.c, daemon/smtpd.c). */
static const struct {
	const char *label;
	const char *name;
} counters[] = {
	{ "  Queued", "tdc_queued" },
	{ "    Hard bounce", "tdc_failed_hard" },
	{ "    TLS error", "tdc_failed_tls" },
	{ "    Retries spent", "tdc_failed_retries" },
	{ "    Expired", "tdc_failed_expired" },
};
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

/* row - one counter line, reset and lifetime columns */
static void
row(struct cli *c, const char *label, int64_t reset, int64_t life)
{
	char a[32], b[32];

	cli_printf(c, "%-28s%14s%14s\n", label, cmd_num(reset, a, sizeof(a)),
	    cmd_num(life, b, sizeof(b)));
}

/* when - a state value "EPOCH[ rest]" as local time (and the rest), or "none" */
static void
when(const char *v, char *out, size_t size)
{
	char stamp[64], *end;
	long long t;

	if (v == NULL || *v == '\0') {
		str_copy(out, "none", size);
		return;
	}
	t = strtoll(v, &end, 10);
	if (end == v || t <= 0) {
		str_copy(out, "none", size);
		return;
	}
	timefmt_ctime_zone((time_t)t, stamp, sizeof(stamp));
	while (*end == ' ')
		end++;
	str_fmt(out, size, "%s%s%s", stamp, *end ? " - " : "", end);
}

static enum cmd_ret
tdcstatus_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	struct queue_host h;
	int64_t reset[NCOUNTERS], life[NCOUNTERS], fr = 0, fl = 0;
	char now[64], line[1024], n[32], *v, *cause = NULL;
	int r;

	(void)argv;
	if (argc > 0)
		return cmd_usage_error(c, &cmd_tdcstatus_entry, "tdcstatus");
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	r = queue_host_get(q, "the.tdc.queue", &h, &cause);
	if (r < 0) {
		cli_error(c, "Cannot read the delivery queue: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (r == 1)
		memset(&h, 0, sizeof(h));
	if (!cmd_daemon_running(c))
		h.conn_out = 0;
	for (size_t i = 0; i < NCOUNTERS; i++) {
		queue_global_get(q, counters[i].name, &reset[i], &life[i]);
		if (i > 0) {
			fr += reset[i];
			fl += life[i];
		}
	}
	timefmt_ctime_zone(time(NULL), now, sizeof(now));
	cli_printf(c, "\nThreat Defense Connector status as of: %s\n", now);
	v = settings_get(c->st, "tdc.enabled");
	if (strcmp(v, "yes") == 0) {
		char *a = settings_get(c->st, "tdc.intake_address");

		cli_printf(c, "Connector:             Enabled (%s)\n", a);
		free(a);
	} else {
		cli_printf(c, "Connector:             Disabled\n");
	}
	free(v);
	/* in a cluster one member polls the ETD API: which (issue 15) */
	clustercheck_primary(c);
	cli_printf(c, "\nJournal copies:                      Reset      Lifetime\n");
	row(c, counters[0].label, reset[0], life[0]);
	row(c, "  Delivered", h.deliv, h.l_deliv);
	row(c, "  Failed", fr, fl);
	for (size_t i = 1; i < NCOUNTERS; i++)
		row(c, counters[i].label, reset[i], life[i]);
	cli_printf(c, "\nIn the.tdc.queue now:  %s\n", cmd_num(h.active, n, sizeof(n)));
	cli_printf(c, "Open connections:      %s\n", cmd_num(h.conn_out, n, sizeof(n)));
	v = queue_state_get(q, "tdc.last_success");
	when(v, line, sizeof(line));
	free(v);
	cli_printf(c, "Last success:          %s\n", line);
	v = queue_state_get(q, "tdc.last_error");
	when(v, line, sizeof(line));
	free(v);
	cli_printf(c, "Last error:            %s\n\n", line);
	return CMD_OK;
}

const struct cmd_entry cmd_tdcstatus_entry = {
	.name = "tdcstatus",
	.usage = "tdcstatus",
	.help = "Show the Threat Defense Connector's journal copies and their delivery.",
	.exec = tdcstatus_exec,
};
