/*
 * pipeline.c - the acceptance pipeline: an ordered list of named stages
 * over one message, between the SMTP dialogue and the durable queue.
 *
 * Each stage is a function of the message being accepted (struct pipe);
 * it may pass it on, change it (the receive stage adds our Received:
 * line, filters edit headers), split it (one part per matching policy),
 * decide a part's fate (deliver, drop, bounce, quarantine), refuse the
 * whole message with an SMTP reply (the hop limit), add generated
 * messages to the batch (journal copies, bounces, bcc and notify copies),
 * or wait: the reputation stage asks its lookups asynchronously and the
 * pipeline goes on from the next stage when the last answer (or the
 * time limit) has come. The client waits for its reply meanwhile; the
 * listener and other messages do not.
 *
 * The last stage hands the batch to the queue writer: the parts to
 * deliver, what was generated, and the quarantined parts, in one durable
 * transaction; the reply to the client follows once it is durable, so a
 * 250 is never answered for mail that is neither queued nor quarantined
 * (a dropped message is answered 250 too: it was accepted, then dropped
 * by the operator's filter, as AsyncOS does).
 *
 * Order (issue 10, seed 003): receive -> sdr -> message filters ->
 * policy -> content filters -> journal -> queue. Message filters see the
 * whole message once; content filters run per policy part. Only parts
 * still to be delivered are journaled (seed 000: "after every scanning
 * stage has passed").
 *
 * Loop protection: a message that has passed smtp.hop_limit hosts (50
 * Received: headers by default, Postfix's hopcount_limit) is refused with
 * 554 5.4.6, and a journal copy of ours coming back is never journaled again
 * (tdc_own_copy).
 *
 * The configuration snapshot is held (conf_ref) from the first stage to
 * the last, so a commit landing while a message waits for its lookups
 * changes nothing under it.
 *
 * DIAGNOSTICS: mail_logs (Message-ID, Subject, SDR: ..., ready, Custom Log
 * Entry, split, matched, Dropped / Bounced / quarantined by filters,
 * TDC: ..., queued for delivery); a failed queue write is a Warning and
 * a 451 to the client.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/delivery.h"
#include "daemon/msg.h"
#include "daemon/pipeline.h"
#include "daemon/qwriter.h"
#include "daemon/sdrd.h"
#include "daemon/tdc.h"
#include "mail/dsn.h"
#include "mail/filter.h"
#include "mail/header.h"
#include "mail/mailfmt.h"
#include "mail/policy.h"
#include "mail/sdr.h"
#include "util/buf.h"
#include "util/str.h"

enum disp { DISP_DELIVER = 0, DISP_DROP, DISP_BOUNCE, DISP_QUARANTINE };

/* One recipient as the pipeline sees it (alt-rcpt-to may change it). */
struct prcpt {
	char *addr;
	char *dest;			/* destination queue: its domain, or alt-mailhost */
};

/* One policy's share of the message. */
struct part {
	int policy;			/* index in the policy table */
	struct msg *m;			/* its message (the first part keeps the MID) */
	struct rcpt **rcpts;		/* its recipients */
	int nrcpts;
	enum disp disp;			/* what the filters decided */
	char qname[64];			/* DISP_QUARANTINE: where */
	char reason[160];		/* which filter decided */
};

/* A quarantine entry of the batch (by batch index). */
struct qmark {
	int index;			/* in p->batch */
	char qname[64];
	char reason[160];
	int nojournal;			/* never journaled on release */
};

/* The message going through the stages. */
struct pipe {
	struct gw *gw;
	struct conf *conf;		/* held for the whole run (conf_ref) */
	struct pipeline_in *in;		/* the caller's, during the first (synchronous) stages */
	int64_t mid;			/* the message's MID, for the reply */
	int64_t icid;
	char *client_ip, *helo, *sender, *listener;
	char *rdns;			/* the client's verified reverse DNS host, NULL if none */
	int nrcpts;			/* recipients received */
	struct prcpt *r;		/* the recipients (copies) */
	int nr;
	const struct policy_table *pt;	/* incoming or outgoing, by listener */
	int incoming;			/* from a public listener */
	struct header_info hi;
	int own_copy;			/* a journal copy of ours, come back */
	struct body *body;		/* the message with our Received: line */
	/* reputation and DNS lists */
	struct sdr_inputs sin;
	struct sdr_result *sres;	/* NULL: no verdict (off, outgoing, exception) */
	int *dnsl;			/* per conf->dnslists: 1 listed */
	int waiting;			/* lookups outstanding */
	size_t next;			/* the stage to run when they are in */
	int async;			/* a stage has waited: the reply goes by callback */
	/* message filters */
	struct filter_outcome *mf;	/* NULL until run */
	enum disp mdisp;		/* the message filters' decision for the whole message */
	char mqname[64], mreason[160];
	struct part *parts;
	int nparts;
	struct msg_batch gen;		/* generated (bcc, notify, bounces) */
	struct msg_batch copies;	/* journal copies */
	struct msg_batch batch;		/* what the queue writer stores, in order */
	struct qmark *qmarks;		/* batch entries that go to a quarantine */
	int nqmarks;
	pipeline_cb cb;
	void *arg;
	int (*gone)(void *arg);		/* has the client left? (pipeline_in) */
	char refusal[512];		/* a refusal */
};

enum stage_ret {
	STAGE_NEXT,	/* on to the next stage */
	STAGE_REFUSE,	/* refused: p->refusal is the SMTP reply */
	STAGE_HANDED,	/* with the queue writer: the reply comes by callback */
	STAGE_WAIT,	/* lookups outstanding: pipe_resume follows */
};

static enum stage_ret stage_receive(struct pipe *p);
static enum stage_ret stage_sdr(struct pipe *p);
static enum stage_ret stage_msgfilter(struct pipe *p);
static enum stage_ret stage_policy(struct pipe *p);
static enum stage_ret stage_cfilter(struct pipe *p);
static enum stage_ret stage_journal(struct pipe *p);
static enum stage_ret stage_queue(struct pipe *p);

/* The stages, in the order every message passes them. */
static const struct stage {
	const char *name;
	enum stage_ret (*run)(struct pipe *p);
} stages[] = {
	{ "receive", stage_receive },	/* headers, hop limit, Received:, logs */
	{ "sdr", stage_sdr },		/* sender domain reputation, DNS lists (waits) */
	{ "msgfilter", stage_msgfilter },	/* message filters, on the whole message */
	{ "policy", stage_policy },	/* one part per matching mail policy */
	{ "cfilter", stage_cfilter },	/* each part's policy's content filters */
	{ "journal", stage_journal },	/* TDC copies of incoming parts to be delivered */
	{ "queue", stage_queue },	/* durable (or quarantined), then delivery */
};
#define NSTAGES (sizeof(stages) / sizeof(stages[0]))

static void pipe_go(struct pipe *p, size_t from);

/* pipe_free - release what the pipe still holds (free_rcpts: the recipients too) */
static void
pipe_free(struct pipe *p, int free_rcpts)
{
	for (int i = 0; i < p->nparts; i++) {
		struct part *pa = &p->parts[i];

		if (pa->m != NULL) {	/* not yet in the batch */
			for (int j = 0; j < pa->nrcpts; j++)
				rcpt_free(pa->rcpts[j]);
			msg_unref(pa->m);
		}
		free(pa->rcpts);
	}
	free(p->parts);
	for (int i = 0; i < p->nr; i++) {
		free(p->r[i].addr);
		free(p->r[i].dest);
	}
	free(p->r);
	msg_batch_free(&p->gen, free_rcpts);
	msg_batch_free(&p->copies, free_rcpts);
	msg_batch_free(&p->batch, free_rcpts);
	body_unref(p->body);
	free(p->sres);
	free(p->dnsl);
	free(p->mf);
	free(p->qmarks);
	free(p->client_ip);
	free(p->helo);
	free(p->rdns);
	free(p->sender);
	free(p->listener);
	conf_unref(p->conf);
	free(p);
}

/* ---------------------------------------------------------- helpers */

/* domain_of - the domain part of an address ("" if none) */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* exception - do the message's SDR domains match address list `list`? (filters, global list) */
static int
exception(const char *list, void *arg)
{
	struct pipe *p = arg;
	const struct addrlist *l = addrlist_find(&p->conf->lists, list);

	if (l == NULL)
		return 0;
	if (p->conf->sdr.envfrom_only)
		return p->sin.dom[SDR_IN_ENVFROM][0] &&
		    addrlist_match_domain(l, p->sin.dom[SDR_IN_ENVFROM]);
	for (int i = 0; i < SDR_NINPUTS; i++)
		if (p->sin.dom[i][0] && addrlist_match_domain(l, p->sin.dom[i]))
			return 1;
	return 0;
}

/* dnslist - the answer for a zone, looked up in the sdr stage */
static int
dnslist(const char *zone, void *arg)
{
	struct pipe *p = arg;

	for (int i = 0; i < p->conf->ndnslists; i++)
		if (strcasecmp(p->conf->dnslists[i], zone) == 0)
			return p->dnsl ? p->dnsl[i] : 0;
	return 0;
}

/* generated - a new message made from this one (bcc, notify): logged as AsyncOS does */
static struct msg *
generated(struct pipe *p, const char *sender, struct body *b, const char *to, const char *how,
    const char *filter)
{
	struct gw *gw = p->gw;
	struct msg *m = msg_new(gw_id(gw, GW_MID), p->mid, 0, QUEUE_KIND_NORMAL,
	    p->incoming ? 0 : 1, sender, POLICY_DEFAULT, "", p->client_ip, p->listener);
	struct rcpt *r;
	char t[400];

	msg_set_body(m, b);
	r = rcpt_new(m, 0, to, domain_of(to));
	gw_log(gw, "MID %lld was generated based on MID %lld by %s filter '%s'",
	    (long long)m->mid, (long long)p->mid, how, filter);
	gw_log(gw, "Start MID %lld ICID 0", (long long)m->mid);
	gw_log(gw, "MID %lld ICID 0 From: <%s>", (long long)m->mid, gw_safe(sender, t, sizeof(t)));
	gw_log(gw, "MID %lld ICID 0 RID 0 To: <%s>", (long long)m->mid, gw_safe(to, t, sizeof(t)));
	gw_log(gw, "MID %lld ready %zu bytes from <%s>", (long long)m->mid, b->len,
	    gw_safe(sender, t, sizeof(t)));
	msg_batch_add(&p->gen, m, &r, 1);
	return m;
}

/* notification - the text of notify(): who sent what, and which filter matched */
static struct body *
notification(struct pipe *p, const char *to, const char *filter)
{
	char date[64], *text, subj[400];
	struct buf rc;

	buf_init(&rc, 8192);
	for (int i = 0; i < p->nr; i++)
		buf_printf(&rc, "%s%s", i ? ", " : "", p->r[i].addr);
	mailfmt_date(time(NULL), date, sizeof(date));
	gw_safe(p->hi.subject, subj, sizeof(subj));
	text = str_printf("From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
			  "To: <%s>\r\n"
			  "Subject: Message filter notification: %s\r\n"
			  "Date: %s\r\n"
			  "Auto-Submitted: auto-generated\r\n"
			  "MIME-Version: 1.0\r\n"
			  "Content-Type: text/plain; charset=utf-8\r\n"
			  "\r\n"
			  "Filter '%s' on %s matched a message.\r\n"
			  "\r\n"
			  "MID: %lld\r\n"
			  "Sender: <%s>\r\n"
			  "Recipients: %s\r\n"
			  "Subject: %s\r\n"
			  "Message-ID: %s\r\n",
	    p->conf->hostname, to, subj, date, filter, p->conf->hostname, (long long)p->mid,
	    p->sender, rc.data ? rc.data : "", subj, p->hi.message_id);
	buf_free(&rc);
	return body_new(text, strlen(text));
}

/* bounce - a DSN for recipients rcpts[0..n) refused by a filter (none for <>) */
static void
bounce(struct pipe *p, const char *const *rcpts, const int *rids, int n, const char *kind,
    const char *filter, struct body *orig)
{
	struct gw *gw = p->gw;
	struct dsn_rcpt *dr = xcalloc((size_t)n, sizeof(*dr));
	char diag[200], t[400], *data;
	struct msg *b;
	struct rcpt *r;
	size_t len;

	str_fmt(diag, sizeof(diag), "filter; message bounced by %s filter '%s'", kind, filter);
	for (int i = 0; i < n; i++) {
		dr[i] = (struct dsn_rcpt){ rcpts[i], "5.7.1", diag };
		gw_log(gw, "Bounced: DCID 0 MID %lld to RID %d - 5.7.1 - Bounced by %s filter '%s' "
			   "('000', ['%s']) []",
		    (long long)p->mid, rids[i], kind, filter, gw_safe(diag, t, sizeof(t)));
	}
	qwriter_global(gw->qw, "filter_bounced", n);
	if (p->sender[0] == '\0' || !p->conf->bounces) {
		free(dr);
		return;
	}
	data = dsn_build(p->conf->hostname, p->sender, (long long)p->mid, time(NULL), dr, n,
	    orig->data, orig->len, &len);
	free(dr);
	b = msg_new(gw_id(gw, GW_MID), p->mid, 0, QUEUE_KIND_BOUNCE, 1, "", POLICY_DEFAULT, "",
	    "", "");
	msg_set_body(b, body_new(data, len));
	r = rcpt_new(b, 0, p->sender, domain_of(p->sender));
	qwriter_global(gw->qw, "bounce_rcpts", 1);
	gw_log(gw, "MID %lld was generated for bounce of MID %lld", (long long)b->mid,
	    (long long)p->mid);
	gw_log(gw, "Start MID %lld ICID 0", (long long)b->mid);
	gw_log(gw, "MID %lld ICID 0 From: <>", (long long)b->mid);
	gw_log(gw, "MID %lld ICID 0 RID 0 To: <%s>", (long long)b->mid, gw_safe(r->addr, t,
	    sizeof(t)));
	gw_log(gw, "MID %lld ready %zu bytes from <>", (long long)b->mid, len);
	msg_batch_add(&p->gen, b, &r, 1);
}

/* quarantine_name - the quarantine a filter named, as configured (Policy if it has gone) */
static const char *
quarantine_name(const struct pipe *p, const char *name)
{
	const struct quarantine_conf *q = quarconf_find(p->conf->quar, p->conf->nquar, name);

	return q ? q->name : QUARANTINE_POLICY;
}

/* dup_quarantine - a copy (its own MID) of the message as it is now into a quarantine */
static void
dup_quarantine(struct pipe *p, struct body *b, struct prcpt *r, int nr, const char *qname,
    const char *kind, const char *filter)
{
	struct gw *gw = p->gw;
	struct msg *m = msg_new(gw_id(gw, GW_MID), p->mid, p->icid, QUEUE_KIND_NORMAL,
	    p->incoming ? 0 : 1, p->sender, "", p->hi.message_id, p->client_ip, p->listener);
	struct rcpt **rc = xcalloc((size_t)nr, sizeof(*rc));
	struct qmark *qm;

	msg_set_body(m, body_ref(b));
	for (int i = 0; i < nr; i++)
		rc[i] = rcpt_new(m, i, r[i].addr, r[i].dest);
	msg_batch_add(&p->gen, m, rc, nr);
	free(rc);
	p->qmarks = xrealloc(p->qmarks, sizeof(*p->qmarks) * (size_t)(p->nqmarks + 1));
	qm = &p->qmarks[p->nqmarks++];
	qm->index = -(p->gen.n);	/* resolved when the batch is assembled (gen entry n-1) */
	str_copy(qm->qname, quarantine_name(p, qname), sizeof(qm->qname));
	str_fmt(qm->reason, sizeof(qm->reason), "%s filter:%s", kind, filter);
	qm->nojournal = 1;	/* the original goes on, and is journaled if it is to be */
	gw_log(gw, "MID %lld was generated based on MID %lld by duplicate-quarantine %s filter "
		   "'%s'",
	    (long long)m->mid, (long long)p->mid, kind, filter);
	gw_log(gw, "MID %lld quarantined to \"%s\" (%s)", (long long)m->mid, qm->qname,
	    qm->reason);
}

/*
 * run_actions - carry out the non-final actions of an outcome from index
 * `from`, over a body and recipients; kind is "message" or "content".
 * Header edits make a new body (*b replaced). Returns the final action,
 * or -1 when none.
 */
static int
run_actions(struct pipe *p, const struct filter_outcome *o, struct body **b, struct prcpt **r,
    int *nr, const char *kind)
{
	struct gw *gw = p->gw;
	char t[1000];
	int final = -1;
	char *edited;
	size_t elen;

	for (int i = 0; i < o->nactions; i++) {
		const struct filter_action *a = &o->actions[i];

		switch (a->kind) {
		case FA_DELIVER:
		case FA_DROP:
		case FA_BOUNCE:
		case FA_QUARANTINE:
			final = i;
			break;
		case FA_LOG:
			gw_log(gw, "MID %lld Custom Log Entry: %s", (long long)p->mid,
			    gw_safe(a->a, t, sizeof(t)));
			break;
		case FA_ALT_RCPT:
			for (int j = 0; j < *nr; j++) {
				gw_log(gw, "MID %lld RID %d To: <%s> changed to <%s> by %s filter '%s'",
				    (long long)p->mid, j, (*r)[j].addr, a->a, kind, a->filter);
				free((*r)[j].addr);
				free((*r)[j].dest);
				(*r)[j].addr = str_dup(a->a);
				(*r)[j].dest = str_dup(domain_of(a->a));
			}
			/* the same address once is enough */
			for (int j = 1; j < *nr; j++) {
				free((*r)[j].addr);
				free((*r)[j].dest);
			}
			if (*nr > 1)
				*nr = 1;
			break;
		case FA_ALT_MAILHOST:
			for (int j = 0; j < *nr; j++) {
				free((*r)[j].dest);
				(*r)[j].dest = str_dup(a->a);
			}
			gw_log(gw, "MID %lld mail host changed to %s by %s filter '%s'",
			    (long long)p->mid, gw_safe(a->a, t, sizeof(t)), kind, a->filter);
			break;
		case FA_BCC:
			generated(p, p->sender, body_ref(*b), a->a, "bcc", a->filter);
			break;
		case FA_NOTIFY:
			generated(p, "", notification(p, a->a, a->filter), a->a, "notify",
			    a->filter);
			break;
		case FA_DUP_QUARANTINE:
			dup_quarantine(p, *b, *r, *nr, a->a, kind, a->filter);
			break;
		case FA_INSERT_HEADER:
		case FA_STRIP_HEADER:
		case FA_EDIT_HEADER:
		case FA_SKIP:
			break;
		}
	}
	if (filter_edit_headers(o, (*b)->data, (*b)->len, &edited, &elen) > 0) {
		body_unref(*b);
		*b = body_new(edited, elen);
	}
	return final;
}

/* decide - a final action into a disposition (qname, reason) */
static enum disp
decide(struct pipe *p, const struct filter_action *a, const char *kind, char *qname,
    size_t qsize, char *reason, size_t rsize)
{
	str_fmt(reason, rsize, "%s filter:%s", kind, a->filter);	/* as AsyncOS logs it */
	switch (a->kind) {
	case FA_DROP:
		return DISP_DROP;
	case FA_BOUNCE:
		return DISP_BOUNCE;
	case FA_QUARANTINE:
		str_copy(qname, quarantine_name(p, a->a), qsize);
		return DISP_QUARANTINE;
	default:
		return DISP_DELIVER;
	}
}

/* ---------------------------------------------------------- stages */

/* stage_receive - read the headers, apply the hop limit, add our trace header */
static enum stage_ret
stage_receive(struct pipe *p)
{
	struct gw *gw = p->gw;
	struct pipeline_in *in = p->in;
	char date[64], t[400], *hdr, *all;
	size_t hlen, total;

	header_scan(in->data ? in->data : "", in->len, &p->hi);
	if (p->hi.message_id[0])
		gw_log(gw, "MID %lld Message-ID '%s'", (long long)in->mid,
		    gw_safe(p->hi.message_id, t, sizeof(t)));
	gw_safe(p->hi.subject, t, sizeof(t));
	/* AsyncOS quotes with ' unless the subject holds one */
	if (strchr(t, '\''))
		gw_log(gw, "MID %lld Subject \"%s\"", (long long)in->mid, t);
	else
		gw_log(gw, "MID %lld Subject '%s'", (long long)in->mid, t);
	if (p->hi.nreceived >= p->conf->hop_limit) {
		gw_log(gw, "MID %lld ICID %lld rejected: too many hops (%d Received: headers, "
			   "limit %d): a mail loop",
		    (long long)in->mid, (long long)in->icid, p->hi.nreceived, p->conf->hop_limit);
		str_fmt(p->refusal, sizeof(p->refusal), "554 5.4.6 Error: too many hops");
		return STAGE_REFUSE;
	}
	/* copies have the null sender: only those need the mark checked */
	p->own_copy = in->sender[0] == '\0' && tdc_own_copy(gw, in->data ? in->data : "", in->len);

	/* our trace header first (RFC 5321 4.4) */
	mailfmt_date(time(NULL), date, sizeof(date));
	hdr = str_printf("Received: from %s ([%s])\r\n by %s with ESMTP%s id %lld%s%s%s;\r\n %s\r\n",
	    in->helo, in->client_ip, p->conf->hostname, in->tls ? "S" : "", (long long)in->mid,
	    in->nrcpts == 1 ? "\r\n for <" : "", in->nrcpts == 1 ? in->rcpts[0].addr : "",
	    in->nrcpts == 1 ? ">" : "", date);
	hlen = strlen(hdr);
	total = hlen + in->len;
	all = xmalloc(total + 1);
	memcpy(all, hdr, hlen);
	if (in->len)
		memcpy(all + hlen, in->data, in->len);
	all[total] = '\0';
	free(hdr);
	free(in->data);
	in->data = NULL;
	p->body = body_new(all, total);
	return STAGE_NEXT;
}

/* ready - the line that ends reception (after the SDR lines, as seed 003 shows) */
static void
ready(struct pipe *p)
{
	char t[400];

	gw_log(p->gw, "MID %lld ready %zu bytes from <%s>", (long long)p->mid, p->body->len,
	    gw_safe(p->sender, t, sizeof(t)));
}

/* lookup_done - one lookup less; the last one sends the message on */
static void
lookup_done(struct pipe *p)
{
	if (--p->waiting > 0)
		return;
	if (p->gone != NULL && p->gone(p->arg)) {
		/* no 250 was seen: queued now, the client's retry would be a duplicate */
		gw_log(p->gw, "Message aborted MID %lld Receiving aborted: the client left while "
			      "its reputation was looked up",
		    (long long)p->mid);
		p->cb(p->arg, "421 4.4.2 Error: the connection closed before the message was "
			      "accepted");
		pipe_free(p, 1);
		return;
	}
	ready(p);
	pipe_go(p, p->next);
}

/* sdr_done - the verdict: seed 003's lines */
static void
sdr_done(const struct sdr_result *r, void *arg)
{
	struct pipe *p = arg;
	struct gw *gw = p->gw;
	char line[2048], token[6000];

	p->sres = xmalloc(sizeof(*p->sres));
	*p->sres = *r;
	/* no age known: the line still names the sender's domain (seed 003) */
	if (p->sres->age_domain[0] == '\0')
		str_copy(p->sres->age_domain, p->sin.dom[SDR_IN_ENVFROM][0] ?
		    p->sin.dom[SDR_IN_ENVFROM] : p->sin.dom[SDR_IN_HFROM], sizeof(p->sres->age_domain));
	if (r->unscannable) {
		int timeouts = 0;

		for (int i = 0; i < r->nanswers; i++)
			if (strncmp(r->answers[i].detail, "timeout", 7) == 0)
				timeouts++;
		gw_log(gw, "MID %lld SDR: Unscannable: %d of %d lookups timed out, the others "
			   "failed",
		    (long long)p->mid, timeouts, r->nanswers);
		qwriter_global(gw->qw, "sdr_unscannable", 1);
	}
	gw_log(gw, "MID %lld %s", (long long)p->mid, sdr_log_verdict(p->sres, line,
	    sizeof(line)));
	gw_log(gw, "MID %lld SDR: Tracker Header : %s", (long long)p->mid,
	    sdr_tracker_encode(p->sres, time(NULL), token, sizeof(token)));
	lookup_done(p);
}

/* One dnslist() zone being asked. */
struct dnsl_ask {
	struct pipe *p;
	int i;
};

static void
dnsl_done(int listed, void *arg)
{
	struct dnsl_ask *a = arg;
	struct pipe *p = a->p;

	p->dnsl[a->i] = listed;
	free(a);
	lookup_done(p);
}

/*
 * stage_sdr - the reputation of the domains an incoming message claims
 * (when SDR is on), and the client's DNS list answers the filters ask
 * for, all at once; the next stage runs when they are in
 */
static enum stage_ret
stage_sdr(struct pipe *p)
{
	struct gw *gw = p->gw;
	const struct conf *c = p->conf;
	char line[2048];
	int want = p->incoming && c->sdr.enabled && gw->sdrd && !p->own_copy;

	p->next = 2;	/* the stage after this one */
	if (want) {
		sdr_inputs_fill(&p->sin, p->rdns, p->helo, p->client_ip, p->sender, p->body->data,
		    p->body->len);
		gw_log(gw, "MID %lld %s", (long long)p->mid, sdr_log_domains(&p->sin, line,
		    sizeof(line)));
		if (c->sdr.exception_list[0] && exception(c->sdr.exception_list, p)) {
			gw_log(gw, "MID %lld SDR: skipped: a domain of the message is on the domain "
				   "exception list %s",
			    (long long)p->mid, c->sdr.exception_list);
			want = 0;
		}
	}
	if (c->ndnslists > 0 && gw->sdrd)
		p->dnsl = xcalloc((size_t)c->ndnslists, sizeof(int));
	p->waiting = 1;		/* ourselves, until every lookup has been asked */
	if (want) {
		p->waiting++;
		qwriter_global(gw->qw, "sdr_lookups", 1);
		sdrd_lookup(gw->sdrd, &p->sin, sdr_done, p);
	}
	for (int i = 0; p->dnsl && i < c->ndnslists; i++) {
		struct dnsl_ask *a = xmalloc(sizeof(*a));

		*a = (struct dnsl_ask){ p, i };
		p->waiting++;
		sdrd_dnslist(gw->sdrd, p->client_ip, c->dnslists[i], dnsl_done, a);
	}
	if (--p->waiting > 0)
		return STAGE_WAIT;	/* callbacks never run inside the calls (sdrd.h) */
	ready(p);
	return STAGE_NEXT;
}

/*
 * active - the filters of a set to run, in order: with names NULL every
 * active, valid filter of the set (message filters); else the valid ones
 * named (a policy's content filters)
 */
static struct filter **
active(const struct filter_set *s, const char *const *names, int nnames, int *n)
{
	struct filter **fs = xcalloc((size_t)(names ? nnames : s->n) + 1, sizeof(*fs));

	*n = 0;
	if (names == NULL) {
		for (int i = 0; i < s->n; i++)
			if (s->e[i].active && s->e[i].valid && s->e[i].f)
				fs[(*n)++] = s->e[i].f;
		return fs;
	}
	for (int i = 0; i < nnames; i++) {
		const struct filter_entry *e = filterconf_find(s, names[i]);

		if (e && e->valid && e->f)
			fs[(*n)++] = e->f;
	}
	return fs;
}

/* limits - say when filters could not read all of a message or ran out of matching budget */
static void
limits(struct pipe *p, const struct filter_outcome *o, const char *kind)
{
	if (o->partial)
		gw_logl(p->gw, LOGFILE_WARNING, "MID %lld %s filters: the header section is too "
						 "large: they read only the first %d headers",
		    (long long)p->mid, kind, HEADER_MAX_COUNT);
	if (o->exhausted)
		gw_logl(p->gw, LOGFILE_WARNING, "MID %lld %s filters: matching budget spent: the "
						 "rules left counted as not matching",
		    (long long)p->mid, kind);
}

/* filter_view - what a filter sees of the message (or of one part) */
static void
filter_view(struct pipe *p, struct filter_msg *fm, const char **addrs, const struct body *b)
{
	*fm = (struct filter_msg){ .sender = p->sender, .rcpts = addrs, .client_ip = p->client_ip,
		.listener = p->listener, .data = b->data, .len = b->len, .sdr = p->sres,
		.dnslist = dnslist, .exception = exception, .arg = p };
}

/* stage_msgfilter - the message filters, once, over the whole message */
static enum stage_ret
stage_msgfilter(struct pipe *p)
{
	struct gw *gw = p->gw;
	struct filter **fs;
	struct filter_msg fm;
	const char **addrs;
	int n, final;

	fs = active(&p->conf->mfilters, NULL, 0, &n);
	if (n == 0) {
		free(fs);
		return STAGE_NEXT;
	}
	addrs = xcalloc((size_t)p->nr + 1, sizeof(*addrs));
	for (int i = 0; i < p->nr; i++)
		addrs[i] = p->r[i].addr;
	filter_view(p, &fm, addrs, p->body);
	fm.nrcpts = p->nr;
	p->mf = xcalloc(1, sizeof(*p->mf));
	filter_eval(fs, n, &fm, p->mf);
	free(fs);
	free(addrs);
	limits(p, p->mf, "message");
	final = run_actions(p, p->mf, &p->body, &p->r, &p->nr, "message");
	if (final >= 0) {
		const struct filter_action *a = &p->mf->actions[final];

		p->mdisp = decide(p, a, "message", p->mqname, sizeof(p->mqname), p->mreason,
		    sizeof(p->mreason));
		switch (p->mdisp) {
		case DISP_DROP:
			gw_log(gw, "MID %lld Dropped by filter '%s'", (long long)p->mid, a->filter);
			qwriter_global(gw->qw, "filter_dropped", 1);
			break;
		case DISP_BOUNCE: {
			const char **rc = xcalloc((size_t)p->nr + 1, sizeof(*rc));
			int *rids = xcalloc((size_t)p->nr + 1, sizeof(int));

			for (int i = 0; i < p->nr; i++) {
				rc[i] = p->r[i].addr;
				rids[i] = i;
			}
			bounce(p, rc, rids, p->nr, "message", a->filter, p->body);
			free(rc);
			free(rids);
			break;
		}
		case DISP_QUARANTINE:
		case DISP_DELIVER:
			break;
		}
	}
	return STAGE_NEXT;
}

/* stage_policy - one part per matching policy, in order of first appearance */
static enum stage_ret
stage_policy(struct pipe *p)
{
	struct gw *gw = p->gw;
	const struct policy_table *pt = p->pt;
	int *which;

	if (p->mdisp == DISP_DROP || p->mdisp == DISP_BOUNCE || p->nr == 0)
		return STAGE_NEXT;	/* nothing left to split */
	which = xcalloc((size_t)p->nr, sizeof(int));
	p->parts = xcalloc((size_t)p->nr, sizeof(*p->parts));
	for (int i = 0; i < p->nr; i++) {
		int pol = policy_match(pt, p->r[i].addr, p->sender), g;

		for (g = 0; g < p->nparts; g++)
			if (p->parts[g].policy == pol)
				break;
		if (g == p->nparts)
			p->parts[p->nparts++].policy = pol;
		which[i] = g;
	}
	for (int g = 0; g < p->nparts; g++) {
		struct part *pa = &p->parts[g];
		const char *pname = pt->p[pa->policy].name;
		struct msg *m = msg_new(g == 0 ? p->mid : gw_id(gw, GW_MID), g == 0 ? 0 : p->mid,
		    p->icid, QUEUE_KIND_NORMAL, p->incoming ? 0 : 1, p->sender, pname,
		    p->hi.message_id, p->client_ip, p->listener);

		msg_set_body(m, body_ref(p->body));
		pa->m = m;
		if (g > 0)
			gw_log(gw, "MID %lld was split creating MID %lld due to a per-recipient "
				   "policy %s in the %s table",
			    (long long)p->mid, (long long)m->mid, pname,
			    policy_table_name(pt->dir));
		pa->rcpts = xcalloc((size_t)p->nr, sizeof(struct rcpt *));
		for (int i = 0; i < p->nr; i++)
			if (which[i] == g)
				pa->rcpts[pa->nrcpts] = rcpt_new(m, pa->nrcpts, p->r[i].addr,
				    p->r[i].dest), pa->nrcpts++;
		gw_log(gw, "MID %lld matched all recipients for per-recipient policy %s in the %s "
			   "table",
		    (long long)m->mid, pname, policy_table_name(pt->dir));
		if (p->mdisp == DISP_QUARANTINE) {
			pa->disp = DISP_QUARANTINE;
			str_copy(pa->qname, p->mqname, sizeof(pa->qname));
			str_copy(pa->reason, p->mreason, sizeof(pa->reason));
		}
	}
	free(which);
	return STAGE_NEXT;
}

/* part_cfilter - one part through its policy's content filters */
static void
part_cfilter(struct pipe *p, struct part *pa)
{
	struct gw *gw = p->gw;
	const struct policy *pol = &p->pt->p[pa->policy];
	struct filter_outcome *o;
	struct filter **fs;
	struct filter_msg fm;
	struct prcpt *r;
	struct body *b;
	const char **addrs;
	int n, nr, final;

	if (pol->ncfilters == 0)
		return;		/* the policy enables none */
	fs = active(&p->conf->cfilters, (const char *const *)pol->cfilters, pol->ncfilters, &n);
	if (n == 0) {
		free(fs);
		return;
	}
	addrs = xcalloc((size_t)pa->nrcpts + 1, sizeof(*addrs));
	r = xcalloc((size_t)pa->nrcpts + 1, sizeof(*r));
	for (int i = 0; i < pa->nrcpts; i++) {
		addrs[i] = pa->rcpts[i]->addr;
		r[i].addr = str_dup(pa->rcpts[i]->addr);
		r[i].dest = str_dup(pa->rcpts[i]->dest);
	}
	nr = pa->nrcpts;
	b = body_ref(pa->m->body);
	filter_view(p, &fm, addrs, b);
	fm.nrcpts = nr;
	o = xcalloc(1, sizeof(*o));
	filter_eval(fs, n, &fm, o);
	free(fs);
	free(addrs);
	limits(p, o, "content");
	/* the part's own id in its log lines */
	{
		int64_t mid = p->mid;

		p->mid = pa->m->mid;
		final = run_actions(p, o, &b, &r, &nr, "content");
		p->mid = mid;
	}
	if (b != pa->m->body)
		msg_set_body(pa->m, b);
	else
		body_unref(b);
	/* recipients changed (alt-rcpt-to, alt-mailhost): the part gets them */
	for (int i = 0; i < pa->nrcpts; i++) {
		if (i < nr && strcmp(r[i].addr, pa->rcpts[i]->addr) == 0 &&
		    strcmp(r[i].dest, pa->rcpts[i]->dest) == 0)
			continue;
		if (i < nr) {
			struct rcpt *nrc = rcpt_new(pa->m, i, r[i].addr, r[i].dest);

			rcpt_free(pa->rcpts[i]);
			pa->rcpts[i] = nrc;
		} else {
			rcpt_free(pa->rcpts[i]);
			pa->rcpts[i] = NULL;
		}
	}
	if (nr < pa->nrcpts)
		pa->nrcpts = nr;
	for (int i = 0; i < nr; i++) {
		free(r[i].addr);
		free(r[i].dest);
	}
	free(r);
	if (final >= 0) {
		const struct filter_action *a = &o->actions[final];

		pa->disp = decide(p, a, "content", pa->qname, sizeof(pa->qname), pa->reason,
		    sizeof(pa->reason));
		if (pa->disp == DISP_DROP) {
			gw_log(gw, "MID %lld Dropped by content filter '%s' in the %s table",
			    (long long)pa->m->mid, a->filter, policy_table_name(p->pt->dir));
			qwriter_global(gw->qw, "filter_dropped", 1);
		} else if (pa->disp == DISP_BOUNCE) {
			const char **rc = xcalloc((size_t)pa->nrcpts + 1, sizeof(*rc));
			int *rids = xcalloc((size_t)pa->nrcpts + 1, sizeof(int));
			int64_t mid = p->mid;

			for (int i = 0; i < pa->nrcpts; i++) {
				rc[i] = pa->rcpts[i]->addr;
				rids[i] = pa->rcpts[i]->rid;
			}
			p->mid = pa->m->mid;
			bounce(p, rc, rids, pa->nrcpts, "content", a->filter, pa->m->body);
			p->mid = mid;
			free(rc);
			free(rids);
		}
	}
	free(o);
}

/* stage_cfilter - each part through the content filters its policy enables */
static enum stage_ret
stage_cfilter(struct pipe *p)
{
	for (int g = 0; g < p->nparts; g++)
		if (p->parts[g].disp == DISP_DELIVER && p->parts[g].nrcpts > 0)
			part_cfilter(p, &p->parts[g]);
	return STAGE_NEXT;
}

/*
 * stage_journal - every stage has passed and the incoming parts still to
 * be delivered are journaled by the Threat Defense Connector, in the same
 * durable batch. Never a copy of a copy; never a part that was dropped,
 * bounced or quarantined.
 */
static enum stage_ret
stage_journal(struct pipe *p)
{
	struct gw *gw = p->gw;
	const struct conf *c = p->conf;

	if (!p->incoming)
		return STAGE_NEXT;
	if (p->own_copy) {
		gw_log(gw, "TDC: MID %lld is a journal copy made by this gateway: not journaled "
			   "again",
		    (long long)p->mid);
		return STAGE_NEXT;
	}
	for (int g = 0, n = p->nparts; g < n; g++) {
		struct part *pa = &p->parts[g];
		char intake[320];
		struct rcpt *r;
		struct msg *copy;

		if (pa->disp != DISP_DELIVER || pa->nrcpts == 0 ||
		    !policy_tdc_address(p->pt, pa->policy, c->tdc_enabled, c->tdc_intake, intake,
			sizeof(intake)))
			continue;
		copy = tdc_journal(gw, pa->m, intake, pa->rcpts, pa->nrcpts, p->hi.subject, &r);
		msg_batch_add(&p->copies, copy, &r, 1);
	}
	return STAGE_NEXT;
}

/* is_quarantined - the quarantine mark of batch entry i, or NULL */
static const struct qmark *
is_quarantined(const struct pipe *p, int i)
{
	for (int k = 0; k < p->nqmarks; k++)
		if (p->qmarks[k].index == i)
			return &p->qmarks[k];
	return NULL;
}

/* stored - the queue writer made the batch durable (or failed) */
static void
stored(void *arg, int ok)
{
	struct pipe *p = arg;
	struct gw *gw = p->gw;
	char reply[128];

	if (ok != 1) {
		gw_logl(gw, LOGFILE_WARNING, "MID %lld not queued: the queue could not be written",
		    (long long)p->mid);
		p->cb(p->arg, "451 4.3.0 Error: queue write failed; try again later");
		pipe_free(p, 1);
		return;
	}
	for (int i = 0; i < p->batch.n; i++) {
		const struct msg *m = p->batch.msgs[i];
		char t[400];

		if (is_quarantined(p, i)) {
			/* not the delivery engine's: they wait in queue.db */
			for (int j = 0; j < p->batch.nrcpts[i]; j++)
				rcpt_free(p->batch.rcpts[i][j]);
			p->batch.nrcpts[i] = 0;
			qwriter_global(gw->qw, "quarantined", 1);
			continue;
		}
		if (m->kind == QUEUE_KIND_JOURNAL) {
			if (m->message_id[0])
				gw_log(gw, "TDC: MID %lld with Message-ID '%s' enqueued for delivery to "
					   "Message Intake Address %s",
				    (long long)m->mid, gw_safe(m->message_id, t, sizeof(t)),
				    p->batch.rcpts[i][0]->addr);
			else
				gw_log(gw, "TDC: MID %lld enqueued for delivery to Message Intake "
					   "Address %s",
				    (long long)m->mid, p->batch.rcpts[i][0]->addr);
			qwriter_global(gw->qw, "tdc_queued", 1);
		} else {
			gw_log(gw, "MID %lld queued for delivery", (long long)m->mid);
		}
		delivery_enqueue(gw->dl, p->batch.rcpts[i], p->batch.nrcpts[i]);
	}
	qwriter_global(gw->qw, "rcvd_msgs", 1);
	qwriter_global(gw->qw, "rcvd_rcpts", p->nrcpts);
	str_fmt(reply, sizeof(reply), "250 2.0.0 Ok: Message %lld accepted", (long long)p->mid);
	p->cb(p->arg, reply);
	pipe_free(p, 0);	/* the recipients are the delivery engine's now */
}

/* mark - batch entry i goes to quarantine qname */
static void
mark(struct pipe *p, int i, const char *qname, const char *reason)
{
	struct qmark *qm;

	p->qmarks = xrealloc(p->qmarks, sizeof(*p->qmarks) * (size_t)(p->nqmarks + 1));
	qm = &p->qmarks[p->nqmarks++];
	qm->index = i;
	str_copy(qm->qname, qname, sizeof(qm->qname));
	str_copy(qm->reason, reason, sizeof(qm->reason));
	/* released later, it is journaled then: unless it is a copy of ours come back */
	qm->nojournal = p->own_copy || !p->incoming;
}

/*
 * stage_queue - the parts still to be delivered and the quarantined ones,
 * then what was generated, to the writer
 */
static enum stage_ret
stage_queue(struct pipe *p)
{
	struct gw *gw = p->gw;
	struct queue_msg *qm;
	struct queue_rcpt *qr;
	int nqr, gen0;

	/* the originals first: a copy is stored after what it copies */
	for (int g = 0; g < p->nparts; g++) {
		struct part *pa = &p->parts[g];
		int n = 0;

		for (int i = 0; i < pa->nrcpts; i++)	/* alt-rcpt-to may have left holes */
			if (pa->rcpts[i])
				pa->rcpts[n++] = pa->rcpts[i];
		pa->nrcpts = n;
		if (pa->disp == DISP_DROP || pa->disp == DISP_BOUNCE || n == 0) {
			for (int i = 0; i < pa->nrcpts; i++)
				rcpt_free(pa->rcpts[i]);
			msg_unref(pa->m);
		} else {
			if (pa->disp == DISP_QUARANTINE) {
				gw_log(gw, "MID %lld quarantined to \"%s\" (%s)", (long long)pa->m->mid,
				    pa->qname, pa->reason);
				mark(p, p->batch.n, pa->qname, pa->reason);
			}
			msg_batch_add(&p->batch, pa->m, pa->rcpts, pa->nrcpts);
		}
		pa->m = NULL;
	}
	/* generated messages; a duplicate-quarantine mark named its gen entry */
	gen0 = p->batch.n;
	for (int k = 0; k < p->nqmarks; k++)
		if (p->qmarks[k].index < 0)
			p->qmarks[k].index = gen0 + (-p->qmarks[k].index - 1);
	msg_batch_move(&p->batch, &p->gen);
	msg_batch_move(&p->batch, &p->copies);
	msg_batch_records(&p->batch, &qm, &qr, &nqr);
	for (int k = 0; k < p->nqmarks; k++) {
		struct queue_msg *q = &qm[p->qmarks[k].index];

		q->quarantine = p->qmarks[k].qname;
		q->qreason = p->qmarks[k].reason;
		q->subject = p->hi.subject;
		q->qnojournal = p->qmarks[k].nojournal;
	}
	qwriter_accept(gw->qw, qm, p->batch.n, qr, nqr, stored, p);	/* copies them */
	free(qm);
	free(qr);
	return STAGE_HANDED;
}

/* ---------------------------------------------------------- running */

/* pipe_go - run the stages from `from`; a refusal after a wait is sent by callback */
static void
pipe_go(struct pipe *p, size_t from)
{
	for (size_t i = from; i < NSTAGES; i++) {
		switch (stages[i].run(p)) {
		case STAGE_NEXT:
			continue;
		case STAGE_WAIT:
			p->async = 1;
			return;
		case STAGE_HANDED:
			p->in = NULL;	/* the caller's: gone once we return */
			return;
		case STAGE_REFUSE:
			if (p->async) {
				p->cb(p->arg, p->refusal);
				pipe_free(p, 1);
			}
			/* synchronous: pipeline_run copies the reply */
			return;
		}
	}
}

int
pipeline_run(struct gw *gw, struct pipeline_in *in, pipeline_cb cb, void *arg, char *reply,
    size_t size)
{
	struct pipe *p = xcalloc(1, sizeof(*p));
	enum stage_ret ret;

	p->gw = gw;
	p->conf = conf_ref(gw->conf);
	p->in = in;
	p->mid = in->mid;
	p->icid = in->icid;
	p->client_ip = str_dup(in->client_ip);
	p->helo = str_dup(in->helo);
	p->rdns = in->rdns != NULL && in->rdns[0] != '\0' ? str_dup(in->rdns) : NULL;
	p->sender = str_dup(in->sender);
	p->listener = str_dup(in->listener->name);
	p->nrcpts = in->nrcpts;
	p->r = xcalloc((size_t)in->nrcpts + 1, sizeof(*p->r));
	p->nr = in->nrcpts;
	for (int i = 0; i < in->nrcpts; i++) {
		p->r[i].addr = str_dup(in->rcpts[i].addr);
		p->r[i].dest = str_dup(in->rcpts[i].domain);
	}
	p->incoming = in->listener->type == LISTENER_PUBLIC;
	p->pt = p->incoming ? &p->conf->in : &p->conf->out;
	p->cb = cb;
	p->arg = arg;
	p->gone = in->gone;
	/* the first stage may refuse at once: the only synchronous refusal */
	ret = stage_receive(p);
	if (ret == STAGE_REFUSE) {
		str_copy(reply, p->refusal, size);
		free(in->data);
		in->data = NULL;
		pipe_free(p, 1);
		return -1;
	}
	p->in = NULL;	/* everything needed is copied */
	pipe_go(p, 1);
	return 0;
}
