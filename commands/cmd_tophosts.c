/*
 * cmd_tophosts.c - `tophosts [SORT]`: the top 20 destinations of the
 * delivery queue, in exactly the AsyncOS shape.
 *
 * SORT is active_rcpts (1, default), conn_out (2), deliv_rcpts (3),
 * hard_bounced (4) or soft_bounced (5). Without an argument at a terminal
 * (or in batch, from the input stream) it asks which.
 *
 * Destinations whose delivery is suspended (suspenddel) are named in a
 * note line under the table ("Delivery suspended: ..."), so the AsyncOS
 * columns stay as they are.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/suspendcmd.h"
#include "store/queue.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/timefmt.h"

#define TOPHOSTS_ROWS 20

extern const struct cmd_entry cmd_tophosts_entry;

static const char *const sort_keys[] = {
	"active_rcpts", "conn_out", "deliv_rcpts", "hard_bounced", "soft_bounced",
};
static const char *const sort_names[] = {
	"Active Recipients", "Connections Out", "Delivered Recipients",
	"Hard Bounced Recipients", "Soft Bounced Events",
};

struct hosts {
	int n;
	struct queue_host *h;
};

/* collect - queue_host_cb */
static int
collect(const struct queue_host *h, void *arg)
{
	struct hosts *hs = arg;

	hs->h = xrealloc(hs->h, sizeof(*hs->h) * (size_t)(hs->n + 1));
	hs->h[hs->n++] = *h;
	return 0;
}

static int sort_by;

/* value - the sort column of a host */
static long long
value(const struct queue_host *h)
{
	switch (sort_by) {
	case 1:
		return h->conn_out;
	case 2:
		return h->deliv;
	case 3:
		return h->hard;
	case 4:
		return h->soft;
	default:
		return h->active;
	}
}

/* cmp - larger values first, then by name */
static int
cmp(const void *a, const void *b)
{
	const struct queue_host *x = a, *y = b;
	long long vx = value(x), vy = value(y);

	if (vx != vy)
		return vx > vy ? -1 : 1;
	return strcmp(x->host, y->host);
}

static enum cmd_ret
tophosts_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;
	struct hosts hs = { 0, NULL };
	char when[64], n1[32], n2[32], n3[32], n4[32], n5[32], *cause = NULL, *held = NULL;
	int running;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_tophosts_entry, "tophosts");
	sort_by = -1;
	if (argc == 1) {
		for (int i = 0; i < 5; i++)
			if (strcasecmp(argv[0], sort_keys[i]) == 0 ||
			    (argv[0][0] == '1' + i && argv[0][1] == '\0'))
				sort_by = i;
		if (sort_by < 0) {
			cli_error(c, "Unknown sort '%.40s': use active_rcpts, conn_out, deliv_rcpts, "
				     "hard_bounced or soft_bounced.",
			    argv[0]);
			return CMD_ERROR;
		}
	} else {
		switch (cli_ask_list(c, "Sort results by:", sort_names, 5, 1, &sort_by)) {
		case ASK_OK:
			break;
		case ASK_BACK:
			return CMD_OK;
		case ASK_ABORT:
			return CMD_ABORTED;
		}
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (queue_hosts(q, collect, &hs, &cause) < 0) {
		cli_error(c, "Cannot read the delivery queue: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (suspendcmd_held_delivery(q, &held, &cause) < 0) {
		cli_error(c, "Cannot read the suspensions: %s", cause);
		free(cause);
		free(hs.h);
		return CMD_ERROR;
	}
	running = cmd_daemon_running(c);
	/* qsort's first argument must not be NULL, even for no elements (C11 7.22.5) */
	if (hs.n > 1)
		qsort(hs.h, (size_t)hs.n, sizeof(*hs.h), cmp);
	timefmt_ctime_zone(time(NULL), when, sizeof(when));
	cli_printf(c, "\nStatus as of:                   %s\n", when);
	cli_printf(c, "Hosts marked with '*' were down as of the last delivery attempt.\n\n");
	cli_printf(c, "%32s%7s%6s%8s%8s%8s\n", "", "Active", "Conn.", "Deliv.", "Soft", "Hard");
	cli_printf(c, "  #  %-27s%7s%6s%8s%8s%8s\n", "Recipient Host", "Recip.", "Out", "Recip.",
	    "Bounced", "Bounced");
	for (int i = 0; i < hs.n && i < TOPHOSTS_ROWS; i++) {
		const struct queue_host *h = &hs.h[i];

		cli_printf(c, "%3d%c %-27s%7s%6s%8s%8s%8s\n", i + 1, h->down ? '*' : ' ', h->host,
		    cmd_num(h->active, n1, sizeof(n1)),
		    cmd_num(running ? h->conn_out : 0, n2, sizeof(n2)),
		    cmd_num(h->deliv, n3, sizeof(n3)), cmd_num(h->soft, n4, sizeof(n4)),
		    cmd_num(h->hard, n5, sizeof(n5)));
	}
	if (held) {
		struct buf b;

		/* the held ones among the rows shown, or ALL */
		buf_init(&b, 0);
		for (int i = 0; i < hs.n && i < TOPHOSTS_ROWS; i++)
			if (strcmp(held, "*") != 0 && suspendcmd_held_has(held, hs.h[i].host))
				buf_printf(&b, "%s%s", b.len ? ", " : "", hs.h[i].host);
		if (strcmp(held, "*") == 0)
			cli_printf(c, "\nDelivery suspended: ALL (resumedel)\n");
		else if (b.len)
			cli_printf(c, "\nDelivery suspended: %s (resumedel)\n", b.data);
		buf_free(&b);
		free(held);
	}
	free(hs.h);
	return CMD_OK;
}

static const struct cmd_word tophosts_words[] = {
	{ "active_rcpts", "sort by recipients waiting in the queue (default)", NULL },
	{ "conn_out", "sort by open outbound connections", NULL },
	{ "deliv_rcpts", "sort by recipients delivered", NULL },
	{ "hard_bounced", "sort by recipients hard-bounced", NULL },
	{ "soft_bounced", "sort by soft-bounce events", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_tophosts_entry = {
	.name = "tophosts",
	.usage = "tophosts [active_rcpts|conn_out|deliv_rcpts|hard_bounced|soft_bounced]",
	.help = "Display the top hosts by queue size.",
	.words = tophosts_words,
	.exec = tophosts_exec,
};
