/*
 * qact.c - the operators' queue actions (qact.h): delete, bounce or
 * redirect the queued recipients a selection names.
 *
 * Two passes: the matching recipients are first taken off their lists
 * (ready, waiting, the paused work queue), then acted on. Acting can add
 * recipients — a bounce's DSN, a redirected recipient in its new
 * destination — and a single pass would meet them again and act on them
 * too. Recipients in a delivery transaction belong to their connection
 * and are only counted: the operator is told they were left alone.
 *
 * Every change goes through the outcome paths the delivery engine uses
 * (trouble.c) and the queue writer, and the answer is handed to the same
 * writer after them: when mxsh sees it, queue.db already says so.
 *
 * DIAGNOSTICS: mail_logs, one line per recipient acted on (`MID 12 RID
 * [0] deleted by deleterecipients (admin)`, `... redirected to
 * [127.0.0.1]:2526 by redirectrecipients (admin)`, the Bounced: line of
 * any hard bounce) and one summary line; a malformed request is answered
 * "error=..." and changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/dest.h"
#include "daemon/mta.h"
#include "daemon/qact.h"
#include "daemon/qwriter.h"
#include "daemon/tdc.h"
#include "daemon/trouble.h"
#include "mail/qsel.h"
#include "util/str.h"
#include "util/syntax.h"

enum qact_kind { QACT_DELETE, QACT_BOUNCE, QACT_REDIRECT };

static const char *const act_names[] = { "delete", "bounce", "redirect" };
static const char *const act_done[] = { "deleted", "bounced", "redirected" };
static const char *const act_cmds[] = { "deleterecipients", "bouncerecipients",
	"redirectrecipients" };

/* A parsed request. */
struct qact {
	char token[24];			/* names the answer's state row */
	enum qact_kind kind;
	struct qsel sel;
	char who[64];			/* the operator, for the log */
	char extra[QACT_REASON_MAX + 1];	/* bounce reason, or the new destination */
	int n, inflight, skipped;	/* acted on, in flight, journal copies skipped */
	int nosender;			/* bounced without a notification: sender <> */
};

/* The recipients taken off their lists in the first pass. */
struct picked {
	struct rcpt **v;
	int n, cap;
};

/* word - the next blank-separated word of *p into buf; -1 if none or too long */
static int
word(const char **p, char *buf, size_t size)
{
	const char *s = *p, *e;

	while (*s == ' ')
		s++;
	for (e = s; *e && *e != ' '; e++)
		;
	if (e == s || (size_t)(e - s) >= size)
		return -1;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	*p = *e ? e + 1 : e;
	return 0;
}

/* token_ok - digits only: the shell's random number */
static int
token_ok(const char *t)
{
	if (*t == '\0')
		return 0;
	for (; *t; t++)
		if (*t < '0' || *t > '9')
			return 0;
	return 1;
}

/* who_ok - an account name as the log may show it */
static int
who_ok(const char *w)
{
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') ||
			(*w >= '0' && *w <= '9') || strchr("._@-", *w)))
			return 0;
	return 1;
}

/* new_dest_ok - "[HOST]:PORT" naming a host name or an address literal */
static int
new_dest_ok(const char *name)
{
	char host[256];
	int port;

	if (dest_direct(name, host, sizeof(host), &port) < 0)
		return 0;
	return syntax_ipv4(host) || syntax_ipv6(host) || syntax_hostname(host);
}

/* parse - the request argument; NULL, or what is wrong */
static const char *
parse(const char *arg, struct qact *a)
{
	char act[16], sel[400];
	const char *p = arg;
	int i;

	if (word(&p, act, sizeof(act)) < 0 || word(&p, sel, sizeof(sel)) < 0 ||
	    word(&p, a->who, sizeof(a->who)) < 0)
		return "malformed request";
	for (i = 0; i < 3 && strcmp(act, act_names[i]) != 0; i++)
		;
	if (i == 3)
		return "unknown action";
	a->kind = (enum qact_kind)i;
	if (qsel_from_arg(sel, &a->sel) < 0)
		return "malformed selection";
	if (!who_ok(a->who))
		return "malformed user name";
	while (*p == ' ')
		p++;
	if (a->kind == QACT_DELETE && *p)
		return "malformed request";
	if (a->kind != QACT_DELETE && a->sel.kind == QSEL_HOST && tdc_is_queue(a->sel.value))
		return a->kind == QACT_BOUNCE ?
		    "copies for the.tdc.queue are never bounced" :
		    "copies for the.tdc.queue are never redirected";
	if (a->kind == QACT_BOUNCE) {
		char t[QACT_REASON_MAX + 1];

		gw_safe(*p ? p : "Bounced by administrator", t, sizeof(t));
		str_copy(a->extra, t, sizeof(a->extra));
	} else if (a->kind == QACT_REDIRECT) {
		if (str_copy(a->extra, p, sizeof(a->extra)) < 0 || !new_dest_ok(a->extra))
			return "malformed destination";
	}
	return NULL;
}

/* skipped - journal copies are deleted, never bounced or redirected */
static int
skipped(const struct qact *a, const struct rcpt *r)
{
	return a->kind != QACT_DELETE && r->msg->kind == QUEUE_KIND_JOURNAL;
}

/* matches - the selection names r */
static int
matches(const struct qact *a, const struct rcpt *r)
{
	return qsel_match(&a->sel, r->dest, r->msg->sender);
}

/* pick - keep r for the second pass */
static void
pick(struct picked *p, struct rcpt *r)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = xrealloc(p->v, sizeof(*p->v) * (size_t)p->cap);
	}
	p->v[p->n++] = r;
}

/* count_inflight - mta_inflight callback */
static void
count_inflight(struct rcpt *r, void *arg)
{
	struct qact *a = arg;

	if (!matches(a, r))
		return;
	if (skipped(a, r))
		a->skipped++;
	else
		a->inflight++;
}

/* redirect_one - r goes to the new destination, tried at once, in memory and queue.db */
static void
redirect_one(struct gw *gw, const struct qact *a, struct rcpt *r)
{
	gw_log(gw, "MID %lld RID [%d] redirected to %s by %s (%s)", (long long)r->msg->mid,
	    r->rid, a->extra, act_cmds[a->kind], a->who);
	free(r->dest);
	r->dest = str_dup(a->extra);
	r->attempts = 0;
	r->next_try = 0;
	free(r->last_error);
	r->last_error = NULL;
	qwriter_redirect(gw->qw, r->msg->mid, r->rid, a->extra);
}

/* take_list - the first pass over one list of d (NULL: the work queue) */
static void
take_list(struct gw *gw, struct qact *a, struct picked *p, struct rcpt_list *list, int *count)
{
	struct rcpt *r, *next;

	for (r = TAILQ_FIRST(list); r; r = next) {
		next = TAILQ_NEXT(r, link);
		if (!matches(a, r))
			continue;
		if (skipped(a, r)) {
			a->skipped++;
			continue;
		}
		if (a->kind == QACT_REDIRECT && count == &gw->dl->nworkq) {
			/* held by a paused work queue: it stays held, bound elsewhere */
			redirect_one(gw, a, r);
			a->n++;
			continue;
		}
		TAILQ_REMOVE(list, r, link);
		(*count)--;
		pick(p, r);
	}
}

/* act - the second pass: one recipient */
static void
act(struct gw *gw, struct qact *a, struct rcpt *r)
{
	struct delivery *dl = gw->dl;

	switch (a->kind) {
	case QACT_DELETE:
		trouble_deleted(dl, r, act_cmds[a->kind], a->who);
		break;
	case QACT_BOUNCE:
		gw_log(gw, "MID %lld RID [%d] bounced by %s (%s)", (long long)r->msg->mid, r->rid,
		    act_cmds[a->kind], a->who);
		/*
		 * No notification can go to the null sender (a DSN, an alert):
		 * the operator is told apart, whatever the bounce setting says.
		 */
		if (r->msg->sender[0] == '\0') {
			a->nosender++;
			a->n--;
		}
		/* the hard-bounce path: counters, Bounced: line, the DSN once the message is done */
		trouble_bounce(dl, r, 0, "5.0.0", "Bounced by administrator", "000", a->extra);
		break;
	case QACT_REDIRECT:
		redirect_one(gw, a, r);
		dest_place(dl, r);
		break;
	}
	a->n++;
}

/* answer - the reply for mxsh, after every change (same writer, in order) */
static void
answer(struct gw *gw, const char *token, const char *text)
{
	char name[64];

	str_fmt(name, sizeof(name), "qaction.%s", token);
	qwriter_state(gw->qw, name, text);
}

void
qact_request(struct gw *gw, const char *arg)
{
	struct qact a = { 0 };
	struct picked p = { 0 };
	struct delivery *dl = gw->dl;
	const char *p_arg = arg, *bad;
	char text[400], seltext[400];
	struct dest *d;

	if (word(&p_arg, a.token, sizeof(a.token)) < 0 || !token_ok(a.token)) {
		gw_logl(gw, LOGFILE_WARNING, "queue action request without a valid token ignored");
		return;
	}
	if ((bad = parse(p_arg, &a)) != NULL) {
		gw_logl(gw, LOGFILE_WARNING, "queue action request refused: %s", bad);
		str_fmt(text, sizeof(text), "error=%s", bad);
		answer(gw, a.token, text);
		return;
	}
	if (dl == NULL) {
		answer(gw, a.token, "error=the delivery engine is not running");
		return;
	}
	TAILQ_FOREACH(d, &dl->dests, link) {
		take_list(gw, &a, &p, &d->ready, &d->nready);
		take_list(gw, &a, &p, &d->waiting, &d->nwaiting);
		mta_inflight(d, count_inflight, &a);
	}
	take_list(gw, &a, &p, &dl->workq, &dl->nworkq);
	for (int i = 0; i < p.n; i++)
		act(gw, &a, p.v[i]);
	free(p.v);
	if (a.kind == QACT_REDIRECT && a.n > 0) {
		/* the operator wants it tried now: no earlier failure holds it back */
		d = dest_get(dl, a.extra);
		if (d->down)	/* as deliverynow: tophosts stops showing it down */
			qwriter_host(gw->qw, d->name, 0, time(NULL), NULL);
		d->down = 0;
		d->retry_at = 0;
		dest_wakeup(d);
	}
	gw_log(gw, "%s (%s) %s: %d recipients %s, %d without a sender removed, %d in flight "
		   "left alone, %d journal copies skipped",
	    act_cmds[a.kind], a.who, qsel_text(&a.sel, seltext, sizeof(seltext)), a.n,
	    act_done[a.kind], a.nosender, a.inflight, a.skipped);
	str_fmt(text, sizeof(text), "%s=%d inflight=%d skipped=%d nosender=%d", act_done[a.kind],
	    a.n, a.inflight, a.skipped, a.nosender);
	answer(gw, a.token, text);
}
