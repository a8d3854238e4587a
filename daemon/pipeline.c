/*
 * pipeline.c - the acceptance pipeline: an ordered list of named stages
 * over one message, between the SMTP dialogue and the durable queue.
 *
 * Each stage is a function of the message being accepted (struct pipe);
 * it may pass it on, change it (the receive stage adds our Received:
 * line), split it (one part per matching policy), drop parts, refuse the
 * whole message with an SMTP reply (the hop limit), or add generated
 * messages to the batch (journal copies). The last stage hands the batch
 * to the queue writer; the reply to the client follows once it is
 * durable. New stages (reputation, message and content filters,
 * quarantine) go into the table below, between "policy" and "journal",
 * without touching the SMTP server or delivery.
 *
 * Loop protection: a message that has passed smtp.hop_limit hosts (50
 * Received: headers by default, Postfix's hopcount_limit) is refused with
 * 554 5.4.6, and a journal copy of ours coming back is never journaled again
 * (tdc_own_copy).
 *
 * DIAGNOSTICS: mail_logs (Message-ID, Subject, ready, split, matched,
 * TDC: ..., queued for delivery); a failed queue write is a Warning and a
 * 451 to the client.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/delivery.h"
#include "daemon/msg.h"
#include "daemon/pipeline.h"
#include "daemon/qwriter.h"
#include "daemon/tdc.h"
#include "mail/header.h"
#include "mail/mailfmt.h"
#include "mail/policy.h"
#include "util/str.h"


/* One policy's share of the message. */
struct part {
	int policy;			/* index in the policy table */
	struct msg *m;			/* its message (the first part keeps the MID) */
	struct rcpt **rcpts;		/* its recipients */
	int nrcpts;
	int dropped;			/* a stage dropped this part */
};

/* The message going through the stages. */
struct pipe {
	struct gw *gw;
	struct pipeline_in *in;		/* the caller's, while the stages run */
	int64_t mid;			/* the message's MID, for the reply */
	int nrcpts;			/* recipients received */
	const struct policy_table *pt;	/* incoming or outgoing, by listener */
	int incoming;			/* from a public listener */
	struct header_info hi;
	int own_copy;			/* a journal copy of ours, come back */
	struct body *body;		/* the message with our Received: line */
	struct part *parts;
	int nparts;
	struct msg_batch copies;	/* generated messages (journal copies) */
	struct msg_batch batch;		/* what the queue writer stores, in order */
	pipeline_cb cb;
	void *arg;
	char *reply;			/* a refusal, for pipeline_run's caller */
	size_t rsize;
};

enum stage_ret {
	STAGE_NEXT,	/* on to the next stage */
	STAGE_REFUSE,	/* refused: p->reply is the SMTP reply */
	STAGE_HANDED,	/* with the queue writer: the reply comes by callback */
};

static enum stage_ret stage_receive(struct pipe *p);
static enum stage_ret stage_policy(struct pipe *p);
static enum stage_ret stage_journal(struct pipe *p);
static enum stage_ret stage_queue(struct pipe *p);

/* The stages, in the order every message passes them. */
static const struct stage {
	const char *name;
	enum stage_ret (*run)(struct pipe *p);
} stages[] = {
	{ "receive", stage_receive },	/* headers, hop limit, Received:, logs */
	{ "policy", stage_policy },	/* one part per matching mail policy */
	/* reputation, message filters, content filters, quarantine: here */
	{ "journal", stage_journal },	/* TDC copies of incoming parts to be delivered */
	{ "queue", stage_queue },	/* durable, then delivery */
};

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
	msg_batch_free(&p->copies, free_rcpts);
	msg_batch_free(&p->batch, free_rcpts);
	body_unref(p->body);
	free(p);
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
	if (p->hi.nreceived >= gw->conf->hop_limit) {
		gw_log(gw, "MID %lld ICID %lld rejected: too many hops (%d Received: headers, "
			   "limit %d): a mail loop",
		    (long long)in->mid, (long long)in->icid, p->hi.nreceived, gw->conf->hop_limit);
		str_fmt(p->reply, p->rsize, "554 5.4.6 Error: too many hops");
		return STAGE_REFUSE;
	}
	/* copies have the null sender: only those need the mark checked */
	p->own_copy = in->sender[0] == '\0' && tdc_own_copy(gw, in->data ? in->data : "", in->len);

	/* our trace header first (RFC 5321 4.4) */
	mailfmt_date(time(NULL), date, sizeof(date));
	hdr = str_printf("Received: from %s ([%s])\r\n by %s with ESMTP%s id %lld%s%s%s;\r\n %s\r\n",
	    in->helo, in->client_ip, gw->conf->hostname, in->tls ? "S" : "", (long long)in->mid,
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
	gw_log(gw, "MID %lld ready %zu bytes from <%s>", (long long)in->mid, total,
	    gw_safe(in->sender, t, sizeof(t)));
	return STAGE_NEXT;
}

/* stage_policy - one part per matching policy, in order of first appearance */
static enum stage_ret
stage_policy(struct pipe *p)
{
	struct gw *gw = p->gw;
	struct pipeline_in *in = p->in;
	const struct policy_table *pt = p->pt;
	int *which = xcalloc((size_t)in->nrcpts, sizeof(int));

	p->parts = xcalloc((size_t)in->nrcpts, sizeof(*p->parts));
	for (int i = 0; i < in->nrcpts; i++) {
		int pol = policy_match(pt, in->rcpts[i].addr, in->sender), g;

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
		struct msg *m = msg_new(g == 0 ? in->mid : gw_id(gw, GW_MID), g == 0 ? 0 : in->mid,
		    in->icid, QUEUE_KIND_NORMAL, p->incoming ? 0 : 1, in->sender, pname,
		    p->hi.message_id, in->client_ip, in->listener->name);

		msg_set_body(m, body_ref(p->body));
		pa->m = m;
		if (g > 0)
			gw_log(gw, "MID %lld was split creating MID %lld due to a per-recipient "
				   "policy %s in the %s table",
			    (long long)in->mid, (long long)m->mid, pname,
			    policy_table_name(pt->dir));
		pa->rcpts = xcalloc((size_t)in->nrcpts, sizeof(struct rcpt *));
		for (int i = 0; i < in->nrcpts; i++)
			if (which[i] == g)
				pa->rcpts[pa->nrcpts] = rcpt_new(m, pa->nrcpts, in->rcpts[i].addr,
				    in->rcpts[i].domain), pa->nrcpts++;
		gw_log(gw, "MID %lld matched all recipients for per-recipient policy %s in the %s "
			   "table",
		    (long long)m->mid, pname, policy_table_name(pt->dir));
	}
	free(which);
	return STAGE_NEXT;
}

/*
 * stage_journal - every stage has passed and the incoming parts still to
 * be delivered are journaled by the Threat Defense Connector, in the same
 * durable batch. Never a copy of a copy.
 */
static enum stage_ret
stage_journal(struct pipe *p)
{
	struct gw *gw = p->gw;
	const struct conf *c = gw->conf;

	if (!p->incoming)
		return STAGE_NEXT;
	if (p->own_copy) {
		gw_log(gw, "TDC: MID %lld is a journal copy made by this gateway: not journaled "
			   "again",
		    (long long)p->in->mid);
		return STAGE_NEXT;
	}
	for (int g = 0, n = p->nparts; g < n; g++) {
		struct part *pa = &p->parts[g];
		char intake[320];
		struct rcpt *r;
		struct msg *copy;

		if (pa->dropped || !policy_tdc_address(p->pt, pa->policy, c->tdc_enabled,
				       c->tdc_intake, intake, sizeof(intake)))
			continue;
		copy = tdc_journal(gw, pa->m, intake, pa->rcpts, pa->nrcpts, p->hi.subject, &r);
		msg_batch_add(&p->copies, copy, &r, 1);
	}
	return STAGE_NEXT;
}

/* stored - the queue writer made the batch durable (or failed) */
static void
stored(void *arg, int ok)
{
	struct pipe *p = arg;
	struct gw *gw = p->gw;
	char reply[128];

	if (!ok) {
		gw_logl(gw, LOGFILE_WARNING, "MID %lld not queued: the queue could not be written",
		    (long long)p->mid);
		p->cb(p->arg, "451 4.3.0 Error: queue write failed; try again later");
		pipe_free(p, 1);
		return;
	}
	for (int i = 0; i < p->batch.n; i++) {
		const struct msg *m = p->batch.msgs[i];
		char t[400];

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

/* stage_queue - the parts still to be delivered, then what was generated, to the writer */
static enum stage_ret
stage_queue(struct pipe *p)
{
	struct queue_msg *qm;
	struct queue_rcpt *qr;
	int nqr;

	/* the originals first: a copy is stored after what it copies */
	for (int g = 0; g < p->nparts; g++) {
		struct part *pa = &p->parts[g];

		if (pa->dropped) {
			for (int i = 0; i < pa->nrcpts; i++)
				rcpt_free(pa->rcpts[i]);
			msg_unref(pa->m);
		} else {
			msg_batch_add(&p->batch, pa->m, pa->rcpts, pa->nrcpts);
		}
		pa->m = NULL;
	}
	msg_batch_move(&p->batch, &p->copies);
	msg_batch_records(&p->batch, &qm, &qr, &nqr);
	qwriter_accept(p->gw->qw, qm, p->batch.n, qr, nqr, stored, p);	/* copies them */
	free(qm);
	free(qr);
	p->in = NULL;	/* the caller's: gone once we return */
	return STAGE_HANDED;
}

/* ---------------------------------------------------------- entry */

int
pipeline_run(struct gw *gw, struct pipeline_in *in, pipeline_cb cb, void *arg, char *reply,
    size_t size)
{
	struct pipe *p = xcalloc(1, sizeof(*p));

	p->gw = gw;
	p->in = in;
	p->mid = in->mid;
	p->nrcpts = in->nrcpts;
	p->incoming = in->listener->type == LISTENER_PUBLIC;
	p->pt = p->incoming ? &gw->conf->in : &gw->conf->out;
	p->cb = cb;
	p->arg = arg;
	p->reply = reply;
	p->rsize = size;
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		switch (stages[i].run(p)) {
		case STAGE_NEXT:
			continue;
		case STAGE_HANDED:
			return 0;
		case STAGE_REFUSE:
			free(in->data);
			in->data = NULL;
			pipe_free(p, 1);
			return -1;
		}
	}
	/* the queue stage always hands over: not reached */
	pipe_free(p, 1);
	str_fmt(reply, size, "451 4.3.0 Error: internal error");
	return -1;
}
