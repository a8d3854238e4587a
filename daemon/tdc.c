/*
 * tdc.c - journal copies for the Threat Defense Connector and the
 * classification of their failures.
 *
 * A copy is made when an incoming message has passed every stage and is
 * queued for delivery, one per policy part whose effective TDC setting is
 * an intake address (policy_tdc_address). It is stored in the same
 * durable batch as the original, so a crash loses neither or both. Its
 * envelope sender is <>, so nothing about the copy can bounce back to the
 * original's sender (delivery.c also never writes a notification for a
 * copy), and its own delivery never touches the original's recipients.
 *
 * DIAGNOSTICS: "TDC:" lines in mail_logs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/delivery.h"
#include "daemon/tdc.h"
#include "mail/journal.h"
#include "util/str.h"

/* tdc_journal - see tdc.h */
struct msg *
tdc_journal(struct gw *gw, const struct msg *orig, const char *intake,
    struct rcpt *const *rcpts, int nrcpts, const char *subject, struct queue_msg *qm,
    struct queue_rcpt *qr, struct rcpt **rcpt)
{
	const struct conf *c = gw->conf;
	struct msg *m = msg_new();
	const char **addrs = xcalloc((size_t)nrcpts + 1, sizeof(char *));
	struct journal_in in;
	char *data;
	size_t len;

	for (int i = 0; i < nrcpts; i++)
		addrs[i] = rcpts[i]->addr;
	m->mid = gw_id(gw, GW_MID);
	m->parent_mid = orig->mid;
	m->icid = orig->icid;
	m->kind = QUEUE_KIND_JOURNAL;
	m->direction = 1;		/* generated: never journaled again */
	m->received = time(NULL);
	m->sender = str_dup("");
	m->policy = str_dup(orig->policy);
	m->message_id = str_dup(orig->message_id);
	str_copy(m->client_ip, orig->client_ip, sizeof(m->client_ip));
	m->listener = str_dup(orig->listener);
	in = (struct journal_in){ .hostname = c->hostname, .intake = intake,
		.ip_header = c->tdc_ip_header, .client_ip = orig->client_ip,
		.sender = orig->sender, .rcpts = addrs, .nrcpts = nrcpts,
		.orig_mid = orig->mid, .copy_mid = m->mid, .policy = orig->policy,
		.message_id = orig->message_id, .subject = subject,
		.orig = orig->body->data, .orig_len = orig->body->len, .now = m->received };
	data = journal_build(&in, &len);
	free(addrs);
	m->body = body_new(data, len);
	m->body_len = len;
	*rcpt = rcpt_new(m, 0, intake, TDC_QUEUE);
	*qm = (struct queue_msg){ .mid = m->mid, .parent_mid = orig->mid,
		.icid = orig->icid, .kind = QUEUE_KIND_JOURNAL, .received = m->received,
		.sender = m->sender, .policy = m->policy, .direction = m->direction,
		.client_ip = m->client_ip, .listener = m->listener,
		.message_id = m->message_id, .body = data, .body_len = len };
	*qr = (struct queue_rcpt){ .mid = m->mid, .rid = 0, .addr = (*rcpt)->addr,
		.dest = (*rcpt)->dest };
	gw_log(gw, "TDC: MID %lld was generated based on MID %lld for policy %s", (long long)m->mid,
	    (long long)orig->mid, orig->policy);
	return m;
}

/* tdc_classify - see tdc.h */
enum tdc_class
tdc_classify(const char *status, const char *code)
{
	/* ours for TLS trouble, also when a server refused STARTTLS with its code */
	if (strncmp(status, "4.7.4", 5) == 0 || strncmp(status, "4.7.5", 5) == 0)
		return TDC_TLS;
	if (strcmp(code, "000") != 0) {
		int n = (int)strtol(code, NULL, 10);

		/* 503 and 552 are retried once (seed 002; RFC 5321 4.5.3.1.10 for 552) */
		return n >= 500 && n != 503 && n != 552 ? TDC_HARD : TDC_RETRY;
	}
	if (status[0] == '5')
		return TDC_HARD;
	return TDC_RETRY;
}

/* tdc_is_queue - see tdc.h */
int
tdc_is_queue(const char *dest)
{
	return strcmp(dest, TDC_QUEUE) == 0;
}
