/*
 * cmd_showmessage.c - `showmessage MID`: a queued message's envelope,
 * its header section and the first lines of its body, as AsyncOS's
 * showmessage shows them, for a role allowed to see mail (roles.c).
 *
 * The envelope comes first (sender, time received with year and zone,
 * size, policy, the subject RFC 2047-decoded), then at most
 * SHOW_RCPTS recipients, each with its queue, attempts, next attempt and
 * last error (a message to 10,000 recipients must not push its headers
 * off the screen: "... and N more" names showrecipients), then the
 * message. Read from queue.db; only the first SHOW_BYTES of the message
 * are read, however large it is, and the recipient rows never read it.
 * Everything from the message is escaped (util/printable.h: control and
 * non-ASCII bytes as \ooo, a NUL too), so no byte of mail reaches the
 * operator's terminal raw; a cut line ends in " [...]". The decoded
 * subject is shown as showquarantine shows text (UTF-8 kept, control
 * characters as '?'). Output stopped at the pager ('q') or by Ctrl-C
 * ends the command there.
 *
 * DIAGNOSTICS: "MID 12 is not in the queue." (also once it has been
 * delivered); "showmessage: 'x' is not a message ID."; "Cannot read the
 * delivery queue: ..." when queue.db cannot be read.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/cmd.h"
#include "commands/cmd_util.h"
#include "mail/header.h"
#include "mail/rfc2047.h"
#include "store/queue_list.h"
#include "util/buf.h"
#include "util/printable.h"
#include "util/str.h"
#include "util/timefmt.h"

extern const struct cmd_entry cmd_showmessage_entry;

#define SHOW_BODY_LINES 20		/* body lines shown */
#define SHOW_RCPTS 20			/* recipients shown */
#define SHOW_BYTES (256 * 1024)		/* of the message read at most */
#define SHOW_LINE_MAX 998		/* characters of one line shown (RFC 5322 2.1.1) */
#define SHOW_ERROR_MAX 300		/* characters of a last error shown */

/* A recipient as shown. */
struct shown_rcpt {
	int rid;
	int attempts;
	time_t next_try;
	char addr[330];		/* escaped */
	char dest[330];		/* escaped */
	char error[SHOW_ERROR_MAX * 4 + 1];	/* escaped last error, "" if none */
	int error_cut;		/* the error was longer */
};

struct envelope {
	struct cli *c;
	long long n;		/* recipients */
	char sender[330];	/* escaped envelope sender, from the first row */
	char policy[100];	/* escaped policy */
	time_t received;
	int64_t size;
	int kind;
	struct shown_rcpt *r;	/* the first SHOW_RCPTS */
};

/* rcpt - queue_list_cb: the envelope, and the first SHOW_RCPTS recipients */
static int
rcpt(const struct queue_list_row *r, void *arg)
{
	struct envelope *e = arg;

	if (cli_interrupted(e->c))
		return 1;
	if (e->n == 0) {
		const char *s = r->sender[0] ? r->sender : "<>";

		printable_copy(e->sender, sizeof(e->sender), s, PRINTABLE_STR, 320);
		printable_copy(e->policy, sizeof(e->policy), r->policy, PRINTABLE_STR, 60);
		e->received = r->received;
		e->size = r->size;
		e->kind = (int)r->kind;
	}
	if (e->n < SHOW_RCPTS) {
		struct shown_rcpt *p = &e->r[e->n];

		p->rid = r->rid;
		p->attempts = r->attempts;
		p->next_try = r->next_try;
		printable_copy(p->addr, sizeof(p->addr), r->rcpt, PRINTABLE_STR, 320);
		printable_copy(p->dest, sizeof(p->dest), r->dest, PRINTABLE_STR, 320);
		p->error_cut = printable_copy(p->error, sizeof(p->error), r->last_error,
		    PRINTABLE_STR, SHOW_ERROR_MAX);
	}
	e->n++;
	return 0;
}

/* show_rcpts - the recipients kept, then how many more there are */
static void
show_rcpts(struct cli *c, const struct envelope *e, time_t now)
{
	char when[64];

	cli_printf(c, "Recipients:\n");
	for (long long i = 0; i < e->n && i < SHOW_RCPTS && !c->stopped; i++) {
		const struct shown_rcpt *p = &e->r[i];

		cli_printf(c, "  [%d] %s (%s, %d attempt%s)\n", p->rid, p->addr, p->dest,
		    p->attempts, p->attempts == 1 ? "" : "s");
		if (p->next_try > now) {
			timefmt_ctime_zone(p->next_try, when, sizeof(when));
			cli_printf(c, "      Next attempt: %s\n", when);
		}
		if (p->error[0] != '\0')
			cli_printf(c, "      Last error: %s%s\n", p->error,
			    p->error_cut ? " [...]" : "");
	}
	if (e->n > SHOW_RCPTS && !c->stopped)
		cli_printf(c, "  ... and %lld more (showrecipients sender=%s%s%s lists them)\n",
		    e->n - SHOW_RCPTS, e->sender[0] == '<' ? "" : "<", e->sender,
		    e->sender[0] == '<' ? "" : ">");
}

/* show_subject - the Subject decoded (RFC 2047), as showquarantine shows text */
static void
show_subject(struct cli *c, const char *b, size_t len)
{
	char raw[1000], *shown;
	struct buf dec;

	if (header_find(b, len, "Subject", raw, sizeof(raw)) != 1)
		return;
	buf_init(&dec, 0);
	rfc2047_decode(raw, strlen(raw), &dec);
	shown = printable_utf8(dec.data != NULL ? dec.data : "", SHOW_LINE_MAX);
	cli_printf(c, "Subject: %s\n", shown);
	free(shown);
	buf_free(&dec);
}

/* show_line - one line of the message, CR dropped, escaped; " [...]" when cut */
static void
show_line(struct cli *c, const char *p, size_t n)
{
	char out[SHOW_LINE_MAX * 4 + 1];
	int cut;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	cut = printable_copy(out, sizeof(out), p, n, SHOW_LINE_MAX);
	cli_printf(c, "%s%s\n", out, cut ? " [...]" : "");
}

/* show_text - the header section, then up to SHOW_BODY_LINES lines of the body */
static void
show_text(struct cli *c, const char *b, size_t len, int64_t total)
{
	size_t off = 0;
	int in_body = 0, body_lines = 0;

	while (off < len && !c->stopped && !cli_interrupted(c)) {
		const char *nl = memchr(b + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (b + off)) : len - off;

		if (in_body && body_lines == SHOW_BODY_LINES) {
			cli_printf(c, "[... the rest of the message is not shown]\n");
			return;
		}
		if (!in_body && (n == 0 || (n == 1 && b[off] == '\r'))) {
			in_body = 1;
			cli_printf(c, "\n");
		} else {
			show_line(c, b + off, n);
			if (in_body)
				body_lines++;
		}
		off += n + (nl ? 1 : 0);
	}
	if ((int64_t)len < total && !c->stopped && !cli_interrupted(c))
		cli_printf(c, "[... the rest of the message is not shown]\n");
}

static enum cmd_ret
showmessage_exec(struct cli *c, int argc, char **argv)
{
	struct envelope env = { .c = c };
	struct queue *q;
	char answer[64], when[64], size[32], *body = NULL, *cause = NULL;
	const char *word;
	size_t len;
	int64_t total;
	long mid;
	int r;

	if (argc > 1)
		return cmd_usage_error(c, &cmd_showmessage_entry, "showmessage");
	if (argc == 1) {
		word = argv[0];
	} else {
		switch (cli_ask_required(c, "Enter the MID to show.", answer, sizeof(answer))) {
		case ASK_OK:
			break;
		case ASK_BACK:
			return CMD_OK;
		case ASK_ABORT:
			return CMD_ABORTED;
		}
		word = answer;
	}
	if (str_to_long(word, 1, LONG_MAX, &mid) < 0) {
		cli_error(c, "showmessage: '%.40s' is not a message ID.", word);
		return CMD_ERROR;
	}
	if ((q = cmd_queue(c)) == NULL)
		return CMD_ERROR;
	r = queue_list_body(q, mid, SHOW_BYTES, &body, &len, &total, &cause);
	if (r == 1) {
		cli_error(c, "MID %ld is not in the queue.", mid);
		return CMD_ERROR;
	}
	if (r < 0)
		goto fail;
	env.r = xcalloc(SHOW_RCPTS, sizeof(*env.r));
	if (queue_list_msg(q, mid, rcpt, &env, &cause) < 0)
		goto fail;
	if (cli_interrupted(c)) {
		free(env.r);
		free(body);
		return CMD_ABORTED;
	}
	if (env.n == 0) {
		/* delivered between the two reads */
		free(env.r);
		free(body);
		cli_error(c, "MID %ld is not in the queue.", mid);
		return CMD_ERROR;
	}
	/* the envelope first: sender, then the recipients, then the message */
	timefmt_ctime_zone(env.received, when, sizeof(when));
	cli_printf(c, "\nMID %ld\n", mid);
	cli_printf(c, "Sender: %s\n", env.sender);
	cli_printf(c, "Received: %s\n", when);
	cli_printf(c, "Size: %s bytes\n", cmd_num(env.size, size, sizeof(size)));
	cli_printf(c, "Policy: %s\n", env.policy[0] ? env.policy : "-");
	if (env.kind == QUEUE_KIND_JOURNAL)
		cli_printf(c, "Type: journal copy for the Threat Defense Connector\n");
	else if (env.kind == QUEUE_KIND_BOUNCE)
		cli_printf(c, "Type: delivery status notification\n");
	show_subject(c, body, len);
	show_rcpts(c, &env, time(NULL));
	free(env.r);
	env.r = NULL;
	if (!c->stopped)
		cli_printf(c, "\n");
	show_text(c, body, len, total);
	free(body);
	return cli_interrupted(c) ? CMD_ABORTED : CMD_OK;
fail:
	free(env.r);
	free(body);
	cli_error(c, "Cannot read the delivery queue: %s", cause);
	free(cause);
	return CMD_ERROR;
}

static const struct cmd_word showmessage_words[] = {
	{ "<MID>", "the message ID (showrecipients lists them)", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_showmessage_entry = {
	.name = "showmessage",
	.usage = "showmessage MID",
	.help = "Show the headers and the first lines of a message in the queue.",
	.words = showmessage_words,
	.exec = showmessage_exec,
};
