/*
 * cmd_showquarantine.c - `showquarantine [NAME]`: what the quarantines
 * hold (DIR/queue.db, store/quarantine.h).
 *
 * Without NAME: every quarantine with its message count, the space its
 * messages use of its limit, its retention and what happens at expiry.
 * With NAME: its messages, oldest first, one row each: MID, when it was
 * quarantined, sender, recipients, subject and the reason (the filter
 * that put it there). Long text is cut with "..."; the sender's text is
 * shown with control characters as '?', since it comes from the mail.
 *
 * DIAGNOSTICS: one error line: an unknown quarantine, queue.db that
 * cannot be read.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/quarcmd.h"
#include "store/quarantine.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_showquarantine_entry;

/* Widest text of each free-text column (the reason, last, gets more). */
#define COL_ADDR_MAX 32
#define COL_SUBJECT_MAX 40
#define COL_REASON_MAX 60

/* ---------------------------------------------------------- all quarantines */

/* show_all - one row per quarantine */
static enum cmd_ret
show_all(struct cli *c, struct queue *q)
{
	struct quarantine_conf *all;
	char *cause = NULL, used[96], a[32], ret[48];
	int n, w = 10;

	if (quarconf_load(c->st, &all, &n, &cause) < 0) {
		cli_error(c, "Cannot read the quarantines: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	for (int i = 0; i < n; i++)
		if ((int)strlen(all[i].name) > w)
			w = (int)strlen(all[i].name);
	cli_printf(c, "%-*s  %8s  %-24s  %-12s  %s\n", w, "Quarantine", "Messages", "Used",
	    "Retention", "At expiry");
	for (int i = 0; i < n && !c->stopped; i++) {
		int64_t msgs, bytes;

		if (quarantine_usage(q, all[i].name, &msgs, &bytes, &cause) < 0) {
			cli_error(c, "Cannot read the quarantine %s: %s", all[i].name, cause);
			free(cause);
			free(all);
			return CMD_ERROR;
		}
		str_fmt(used, sizeof(used), "%s of %ld MB", quarcmd_bytes(bytes, a, sizeof(a)),
		    all[i].size_mb);
		str_fmt(ret, sizeof(ret), "%ld hour%s", all[i].retention_hours,
		    all[i].retention_hours == 1 ? "" : "s");
		cli_printf(c, "%-*s  %8lld  %-24s  %-12s  %s\n", w, all[i].name, (long long)msgs,
		    used, ret, all[i].expire_release ? "Release" : "Delete");
	}
	free(all);
	return CMD_OK;
}

/* ---------------------------------------------------------- one quarantine */

/* One row, its cells ready to print. */
struct row {
	char *cell[6];
};

struct rows {
	int n;
	struct row *r;
};

/* rcpt_list - "a@x, b@y" from the stored "addr\tdest\n..." */
static char *
rcpt_list(const char *rcpts)
{
	struct buf b;

	buf_init(&b, 0);
	buf_addstr(&b, "");
	for (const char *p = rcpts; *p;) {
		const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
		const char *end = tab && (nl == NULL || tab < nl) ? tab : nl ? nl : p + strlen(p);

		if (end > p)
			buf_printf(&b, "%s%.*s", b.len ? ", " : "", (int)(end - p), p);
		p = nl ? nl + 1 : p + strlen(p);
	}
	return buf_steal(&b);
}

/* add_row - quarantine_cb: one entry as cells */
static int
add_row(const struct quarantine_entry *e, void *arg)
{
	struct rows *rs = arg;
	struct row *r;
	char when[64], *rc;

	rs->r = xrealloc(rs->r, sizeof(*rs->r) * (size_t)(rs->n + 1));
	r = &rs->r[rs->n++];
	timefmt_ctime(e->quarantined, when, sizeof(when));
	rc = rcpt_list(e->rcpts);
	r->cell[0] = str_printf("%lld", (long long)e->mid);
	r->cell[1] = str_dup(when);
	r->cell[2] = quarcmd_printable(e->sender[0] ? e->sender : "<>", COL_ADDR_MAX);
	r->cell[3] = quarcmd_printable(rc, COL_ADDR_MAX);
	r->cell[4] = quarcmd_printable(e->subject, COL_SUBJECT_MAX);
	r->cell[5] = quarcmd_printable(e->reason, COL_REASON_MAX);
	free(rc);
	return 0;
}

/* rows_free - release the cells */
static void
rows_free(struct rows *rs)
{
	for (int i = 0; i < rs->n; i++)
		for (int k = 0; k < 6; k++)
			free(rs->r[i].cell[k]);
	free(rs->r);
}

/* show_one - the messages of one quarantine, oldest first */
static enum cmd_ret
show_one(struct cli *c, struct queue *q, const char *arg)
{
	static const char *const heads[6] = { "MID", "Quarantined", "Sender", "Recipients",
		"Subject", "Reason" };
	struct quarantine_conf conf;
	struct rows rs = { 0, NULL };
	char name[sizeof(conf.name)], *cause = NULL, a[32];
	int64_t msgs, bytes;
	size_t w[6];

	if (quarcmd_resolve(c, q, arg, name, sizeof(name), &conf) < 0)
		return CMD_ERROR;
	if (quarantine_usage(q, name, &msgs, &bytes, &cause) < 0 ||
	    quarantine_list(q, name, add_row, &rs, &cause) < 0) {
		cli_error(c, "Cannot read the quarantine %s: %s", name, cause);
		free(cause);
		rows_free(&rs);
		return CMD_ERROR;
	}
	if (conf.name[0])
		cli_printf(c, "Quarantine \"%s\": %d message%s, %s of %ld MB\n", name, rs.n,
		    rs.n == 1 ? "" : "s", quarcmd_bytes(bytes, a, sizeof(a)), conf.size_mb);
	else
		cli_printf(c, "Quarantine \"%s\" (no longer configured): %d message%s, %s\n", name,
		    rs.n, rs.n == 1 ? "" : "s", quarcmd_bytes(bytes, a, sizeof(a)));
	if (rs.n == 0) {
		rows_free(&rs);
		return CMD_OK;
	}
	for (int k = 0; k < 6; k++) {
		w[k] = strlen(heads[k]);
		for (int i = 0; i < rs.n; i++)
			if (strlen(rs.r[i].cell[k]) > w[k])
				w[k] = strlen(rs.r[i].cell[k]);
	}
	cli_printf(c, "\n");
	for (int i = -1; i < rs.n && !c->stopped; i++) {
		for (int k = 0; k < 6; k++) {
			const char *t = i < 0 ? heads[k] : rs.r[i].cell[k];

			if (k == 5)
				cli_printf(c, "%s\n", t);
			else
				cli_printf(c, "%-*s  ", (int)w[k], t);
		}
	}
	rows_free(&rs);
	return CMD_OK;
}

static enum cmd_ret
showquarantine_exec(struct cli *c, int argc, char **argv)
{
	struct queue *q;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_showquarantine_entry, "showquarantine");
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	return argc == 0 ? show_all(c, q) : show_one(c, q, argv[0]);
}

static const struct cmd_word showquarantine_words[] = {
	{ "<NAME>", "the quarantine whose messages to list (none: every quarantine)", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_showquarantine_entry = {
	.name = "showquarantine",
	.usage = "showquarantine [NAME]",
	.help = "Show the quarantines, or the messages of one.",
	.words = showquarantine_words,
	.exec = showquarantine_exec,
};
