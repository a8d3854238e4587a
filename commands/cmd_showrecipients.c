/*
 * cmd_showrecipients.c - `showrecipients [host=HOST|sender=ADDRESS|all]`:
 * the recipients waiting in the delivery queue, in AsyncOS's layout.
 *
 * As AsyncOS prints it: one line per message (MID, bytes, sender, then
 * its mail policy) and under it one [RID] line per recipient (attempts,
 * recipient, next attempt with year and zone, util/timefmt.h); the
 * subject, RFC 2047-decoded, has a line of its own under the message's,
 * so every line fits 80 columns with room for a useful subject. Read from
 * queue.db, where mxgated records every attempt: a delivery in flight
 * shows its last recorded attempt. Journal copies (the.tdc.queue) are
 * listed like any recipient, their sender <>.
 *
 * The rows are collected (short strings) and the statement finished
 * before anything is printed, so a pager waiting on the operator never
 * holds queue.db's read snapshot (the daemon's checkpoints wait for it).
 * Text from mail is shown as showquarantine shows it (printable_utf8:
 * UTF-8 kept, control characters as '?').
 *
 * Without an argument it asks AsyncOS's questions (qsel_dialogue). At a
 * terminal the listing goes through the pager; a batch run never pages.
 *
 * DIAGNOSTICS: qsel_parse's one line for a bad word; "Cannot read the
 * delivery queue: ..." when queue.db cannot be read.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "commands/qselcmd.h"
#include "mail/header.h"
#include "mail/rfc2047.h"
#include "store/queue_list.h"
#include "util/buf.h"
#include "util/printable.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_showrecipients_entry;

#define SUBJECT_SHOWN 62	/* bytes of a subject after "Subject: ", so a line fits 80 columns */
#define ADDR_SHOWN 320		/* bytes of an address (RFC 5321 4.5.3.1.3: a path is 256) */
#define POLICY_SHOWN 60

/* A message, as its line shows it. */
struct smsg {
	int64_t mid;
	int64_t size;
	char *sender;		/* printable */
	char *policy;		/* printable */
	char *subject;		/* decoded, printable */
};

/* A recipient, as its line shows it. */
struct srcpt {
	int msg;		/* index into show.msgs */
	int rid;
	int attempts;
	time_t next_try;
	char *rcpt;		/* printable */
};

/* The collected listing. */
struct show {
	struct cli *c;
	struct smsg *msgs;
	int nmsgs, capmsgs;
	struct srcpt *rcpts;
	long long nrcpts, caprcpts;
	struct buf tmp;		/* a subject being decoded */
};

/* subject - the Subject of a header section, decoded and printable, malloc'd */
static char *
subject(struct show *sh, const char *head, size_t len)
{
	char raw[1000];

	if (header_find(head, len, "Subject", raw, sizeof(raw)) != 1)
		return str_dup("");
	rfc2047_decode(raw, strlen(raw), &sh->tmp);
	return printable_utf8(sh->tmp.data != NULL ? sh->tmp.data : "", SUBJECT_SHOWN);
}

/* collect - queue_list_cb: keep a recipient (and its message, once) */
static int
collect(const struct queue_list_row *r, void *arg)
{
	struct show *sh = arg;
	struct srcpt *p;

	if (cli_interrupted(sh->c))
		return 1;
	if (sh->nmsgs == 0 || sh->msgs[sh->nmsgs - 1].mid != r->mid) {
		struct smsg *m;

		if (sh->nmsgs == sh->capmsgs) {
			sh->capmsgs = sh->capmsgs ? sh->capmsgs * 2 : 64;
			sh->msgs = xrealloc(sh->msgs, (size_t)sh->capmsgs * sizeof(*sh->msgs));
		}
		m = &sh->msgs[sh->nmsgs++];
		m->mid = r->mid;
		m->size = r->size;
		m->sender = printable_utf8(r->sender[0] ? r->sender : "<>", ADDR_SHOWN);
		m->policy = printable_utf8(r->policy[0] ? r->policy : "-", POLICY_SHOWN);
		m->subject = subject(sh, r->head, r->head_len);
	}
	if (sh->nrcpts == sh->caprcpts) {
		sh->caprcpts = sh->caprcpts ? sh->caprcpts * 2 : 256;
		sh->rcpts = xrealloc(sh->rcpts, (size_t)sh->caprcpts * sizeof(*sh->rcpts));
	}
	p = &sh->rcpts[sh->nrcpts++];
	p->msg = sh->nmsgs - 1;
	p->rid = r->rid;
	p->attempts = r->attempts;
	p->next_try = r->next_try;
	p->rcpt = printable_utf8(r->rcpt, ADDR_SHOWN);
	return 0;
}

/* show_free - the collected listing */
static void
show_free(struct show *sh)
{
	for (int i = 0; i < sh->nmsgs; i++) {
		free(sh->msgs[i].sender);
		free(sh->msgs[i].policy);
		free(sh->msgs[i].subject);
	}
	for (long long i = 0; i < sh->nrcpts; i++)
		free(sh->rcpts[i].rcpt);
	free(sh->msgs);
	free(sh->rcpts);
	buf_free(&sh->tmp);
}

/* print - the listing: a heading, then each message and its recipients */
static void
print(struct show *sh, time_t now)
{
	struct cli *c = sh->c;
	char mid[32], rid[32], size[32], att[32], next[64];
	int last = -1;

	cli_printf(c, "\n%-9s%-10s%-31s %s\n", "MID/", "Bytes/", "Sender/", "Policy");
	cli_printf(c, "%-9s%-10s%-31s %s\n", "[RID]", "[Atmps]", "Recipient", "Next attempt");
	for (long long i = 0; i < sh->nrcpts && !c->stopped && !cli_interrupted(c); i++) {
		const struct srcpt *p = &sh->rcpts[i];

		if (p->msg != last) {
			const struct smsg *m = &sh->msgs[p->msg];

			last = p->msg;
			str_fmt(mid, sizeof(mid), "%lld", (long long)m->mid);
			cmd_num(m->size, size, sizeof(size));
			cli_printf(c, "%-9s%-10s%-31s %s\n", mid, size, m->sender, m->policy);
			if (m->subject[0] != '\0')
				cli_printf(c, "%-9sSubject: %s\n", "", m->subject);
		}
		str_fmt(rid, sizeof(rid), "[%d]", p->rid);
		str_fmt(att, sizeof(att), "[%d]", p->attempts);
		if (p->next_try <= now)
			str_copy(next, "now", sizeof(next));
		else
			timefmt_ctime_zone(p->next_try, next, sizeof(next));
		cli_printf(c, "%-9s%-10s%-31s %s\n", rid, att, p->rcpt, next);
	}
}

static enum cmd_ret
showrecipients_exec(struct cli *c, int argc, char **argv)
{
	static const enum queue_list_by by[] = {
		[QSEL_HOST] = QUEUE_LIST_HOST, [QSEL_SENDER] = QUEUE_LIST_SENDER,
		[QSEL_ALL] = QUEUE_LIST_ALL,
	};
	struct qsel sel;
	struct show sh = { .c = c };
	struct queue *q;
	enum cmd_ret ret;
	char *cause = NULL;
	long long n;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_showrecipients_entry, "showrecipients");
	if (argc == 1) {
		if (qsel_parse(c, "showrecipients", argv[0], &sel) < 0)
			return CMD_ERROR;
	} else if (!qsel_dialogue(c, "show", &sel, &ret)) {
		return ret;
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	cli_printf(c, "\nShowing messages, please wait.\n");
	buf_init(&sh.tmp, 0);
	/* every row read and the statement done before the first line is paged */
	if (queue_list_rcpts(q, by[sel.kind], sel.value, collect, &sh, &cause) < 0) {
		cli_error(c, "Cannot read the delivery queue: %s", cause);
		free(cause);
		show_free(&sh);
		return CMD_ERROR;
	}
	if (cli_interrupted(c)) {
		show_free(&sh);
		return CMD_ABORTED;
	}
	n = sh.nrcpts;
	if (n > 0)
		print(&sh, time(NULL));
	show_free(&sh);
	if (cli_interrupted(c))
		return CMD_ABORTED;
	if (c->stopped)
		return CMD_OK;
	if (n == 0)
		cli_printf(c, "\nThere are no messages matching your request.\n");
	else
		cli_printf(c, "\n%lld recipient%s shown.\n", n, n == 1 ? "" : "s");
	return CMD_OK;
}

const struct cmd_entry cmd_showrecipients_entry = {
	.name = "showrecipients",
	.usage = "showrecipients host=HOST|sender=ADDRESS|all",
	.help = "Show messages in the queue by recipient host, sender, or all.",
	.words = qsel_words,
	.exec = showrecipients_exec,
};
