/*
 * cmd_remediationreport.c - `remediationreport [since=DURATION] [mid=N]
 * [limit=N]`: what mailbox remediation did (issue 12), newest first, one
 * row per mailbox acted on, and one row for each request that matched
 * nothing (an ETD verdict for a message not journaled here) or is still
 * pending: time, remediation id, MID, Message-ID, mailbox, action,
 * trigger (ETD verdict X, API user U, operator U), result and reason.
 *
 * Read from queue.db (store/remed.h remed_report); the daemon need not
 * run. Rows and headings only go to the output; errors are error lines.
 * Every text that came from mail or from ETD (Message-ID, mailbox,
 * verdict, who, note, result, reason) is printed through printable_copy:
 * a sender's Message-ID with an escape sequence reaches the operator's
 * terminal only as \033, and no row spans two lines.
 *
 * DIAGNOSTICS: one error line for a bad argument or a store failure.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/cmd_util.h"
#include "store/remed.h"
#include "util/printable.h"
#include "util/str.h"

extern const struct cmd_entry cmd_remediationreport_entry;

#define REPORT_LIMIT_DEFAULT 100
#define MSGID_COL 32
/* printable_copy writes at most 4 bytes (\ooo) per input byte */
#define SAFE_SIZE(n) (4 * (n) + 1)

/* The arguments. */
struct report_args {
	time_t since;		/* 0: all */
	int64_t mid;		/* 0: every message */
	int limit;
};

/* duration_parse - "90", "90s", "30m", "2h", "7d", "2w" into seconds; -1 */
static long
duration_parse(const char *s)
{
	long n, mult = 1;
	char num[24];
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(num))
		return -1;
	str_copy(num, s, sizeof(num));
	switch (tolower((unsigned char)num[len - 1])) {
	case 's': mult = 1; num[len - 1] = '\0'; break;
	case 'm': mult = 60; num[len - 1] = '\0'; break;
	case 'h': mult = 3600; num[len - 1] = '\0'; break;
	case 'd': mult = 86400; num[len - 1] = '\0'; break;
	case 'w': mult = 604800; num[len - 1] = '\0'; break;
	default: break;
	}
	if (str_to_long(num, 1, 3650L * 86400 / mult, &n) < 0)
		return -1;
	return n * mult;
}

/* set - cmd_keyset.set */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct report_args *a = obj;
	long n;

	if (strcmp(k->name, "since") == 0) {
		if ((n = duration_parse(value)) < 0) {
			*cause = str_printf("Invalid since '%.40s': a duration such as 30m, 2h or "
					    "7d.",
			    value);
			return -1;
		}
		a->since = time(NULL) - n;
		return 0;
	}
	if (strcmp(k->name, "mid") == 0) {
		if (str_to_long(value, 1, 9007199254740991L, &n) < 0) {
			*cause = str_printf("Invalid mid '%.40s': a message number such as 12.",
			    value);
			return -1;
		}
		a->mid = n;
		return 0;
	}
	if (str_to_long(value, 1, 100000, &n) < 0) {
		*cause = str_printf("Invalid limit '%.40s': 1 to 100000 remediations.", value);
		return -1;
	}
	a->limit = (int)n;
	return 0;
}

static const struct cmd_key keys[] = {
	{ .name = "since", .type = CMD_KEY_TEXT,
	    .help = "only remediations of the last DURATION (30m, 2h, 7d)" },
	{ .name = "mid", .type = CMD_KEY_TEXT, .help = "only the remediations of this message" },
	{ .name = "limit", .type = CMD_KEY_TEXT,
	    .help = "at most this many remediations (default 100)" },
	{ .name = NULL },
};

static const struct cmd_keyset keyset = { .keys = keys, .set = set };

/* What row prints. */
struct rows_ctx {
	struct cli *c;
	int n;		/* rows printed */
};

/* safe - s with control and non-ASCII bytes as \ooo, into buf[size] */
static const char *
safe(const char *s, char *buf, size_t size)
{
	printable_copy(buf, size, s, strlen(s), 0);
	return buf;
}

/* trigger_text - "ETD verdict phishing", "API user u", "operator u" (printable) */
static void
trigger_text(const struct remed_request *r, char *out, size_t size)
{
	char who[SAFE_SIZE(sizeof(r->who))], verdict[SAFE_SIZE(sizeof(r->verdict))];

	switch (r->trigger) {
	case REMED_BY_ETD:
		str_fmt(out, size, "ETD verdict %s", safe(r->verdict, verdict, sizeof(verdict)));
		break;
	case REMED_BY_API:
		str_fmt(out, size, "API user %s", safe(r->who, who, sizeof(who)));
		break;
	case REMED_BY_TR:
		str_fmt(out, size, "threat response %s", safe(r->who, who, sizeof(who)));
		break;
	default:
		str_fmt(out, size, "operator %s", safe(r->who, who, sizeof(who)));
		break;
	}
}

/* cut - s shortened to width characters with "..." */
static const char *
cut(const char *s, char *buf, size_t width)
{
	if (strlen(s) <= width)
		return s;
	str_copy(buf, s, width - 2);
	str_copy(buf + width - 3, "...", 4);
	return buf;
}

/*
 * row - one line of the table; msgid, mailbox and reason come from mail
 * or ETD and are made printable here (trigger already is)
 */
static void
row(struct cli *c, time_t when, long long id, long long mid, const char *msgid,
    const char *mailbox, const char *action, const char *trigger, const char *result,
    const char *reason)
{
	char t[32], m[24], mb[MSGID_COL + 1], mbx[40];
	char smsgid[SAFE_SIZE(REMED_MSGID_MAX)], smailbox[SAFE_SIZE(REMED_ADDR_MAX)];
	char sreason[SAFE_SIZE(512)];
	struct tm tm;

	if (localtime_r(&when, &tm) == NULL || strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S",
	    &tm) == 0)
		str_copy(t, "-", sizeof(t));
	if (mid > 0)
		str_fmt(m, sizeof(m), "%lld", mid);
	else
		str_copy(m, "-", sizeof(m));
	safe(msgid[0] ? msgid : "-", smsgid, sizeof(smsgid));
	safe(mailbox, smailbox, sizeof(smailbox));
	safe(reason, sreason, sizeof(sreason));
	cli_printf(c, "%-19s %6lld %7s %-*s %-32s %-14s %-22s %-9s %s\n", t, id, m, MSGID_COL,
	    cut(smsgid, mb, MSGID_COL), cut(smailbox, mbx, 32), action, trigger, result,
	    sreason);
}

/* one - remed_report callback */
static void
one(void *arg, const struct remed_request *r, const struct remed_action *a, int n)
{
	struct rows_ctx *x = arg;
	char trig[SAFE_SIZE(256) + 32];

	trigger_text(r, trig, sizeof(trig));
	if (x->n++ == 0)
		cli_printf(x->c, "%-19s %6s %7s %-*s %-32s %-14s %-22s %-9s %s\n", "Time", "ID",
		    "MID", MSGID_COL, "Message-ID", "Mailbox", "Action", "Trigger", "Result",
		    "Reason");
	if (n == 0) {
		row(x->c, r->finished ? r->finished : r->created, (long long)r->id,
		    (long long)r->mid, r->message_id, "-", remed_action_name(r->action), trig,
		    remed_state_name(r->state), r->note);
		return;
	}
	for (int i = 0; i < n; i++)
		row(x->c, a[i].when, (long long)r->id, (long long)a[i].mid, a[i].message_id,
		    a[i].mailbox, remed_action_name(a[i].action), trig,
		    remed_state_name(a[i].state),
		    a[i].state == REMED_OK ? a[i].result : (a[i].reason[0] ? a[i].reason :
		    a[i].result));
}

static enum cmd_ret
remediationreport_exec(struct cli *c, int argc, char **argv)
{
	struct report_args a = { 0, 0, REPORT_LIMIT_DEFAULT };
	struct rows_ctx x = { c, 0 };
	struct queue *q;
	char *cause = NULL;

	if (cmd_keys_parse(c, &keyset, argc, argv, &a, NULL) < 0)
		return CMD_ERROR;
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	if (remed_report(q, a.since, a.mid, a.limit, one, &x, &cause) < 0) {
		cli_error(c, "Cannot read the remediations: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (x.n == 0)
		cli_printf(c, "No remediations%s.\n", a.mid || a.since ? " match" : " yet");
	return CMD_OK;
}

static const struct cmd_word report_words[] = {
	{ "since=", "only remediations of the last DURATION (30m, 2h, 7d)", report_words },
	{ "mid=", "only the remediations of this MID", report_words },
	{ "limit=", "at most this many remediations (default 100)", report_words },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_remediationreport_entry = {
	.name = "remediationreport",
	.usage = "remediationreport [since=DURATION] [mid=MID] [limit=N]",
	.help = "Show what mailbox remediation did: per mailbox, newest first.",
	.flags = 0,
	.words = report_words,
	.exec = remediationreport_exec,
};
