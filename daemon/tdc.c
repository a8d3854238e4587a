/*
 * tdc.c - journal copies for the Threat Defense Connector.
 *
 * A copy is made by the pipeline's journal stage when an incoming message
 * has passed every stage and is going to be delivered, one per policy
 * part whose effective TDC setting is an intake address
 * (policy_tdc_address). It is stored in the same durable batch as the
 * original, so a crash loses neither or both. Its envelope sender is <>,
 * so nothing about the copy can bounce back to the original's sender.
 *
 * Every copy carries TDC_MARK_HEADER: an HMAC-SHA256, under a random key
 * kept in queue.db, of the bytes after that header. A copy routed back to
 * this gateway (an intake domain routed to our own listener, say) is
 * recognised by it and never journaled again — without the mark, each
 * copy would make another one, without end.
 *
 * Each copy also records, in queue.db's journaled table, the original's
 * MID, its Message-ID and the recipients the copy names (qwriter_journaled):
 * mailbox remediation finds the mailboxes holding a message there. The rows
 * are written in the copy's own transaction.
 *
 * DIAGNOSTICS: "TDC:" lines in mail_logs; tdc_init returns -1 with a cause.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "daemon/qwriter.h"
#include "daemon/tdc.h"
#include "mail/header.h"
#include "mail/journal.h"
#include "store/queue.h"
#include "util/str.h"

#define TDC_KEY_STATE "tdc.journal_key"
#define TDC_MAC_HEX 64

/* hex - bytes as lower-case hex into out (2n + 1 bytes) */
static void
hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
tdc_init(struct gw *gw, char **cause)
{
	char *v = queue_state_get(gw->q, TDC_KEY_STATE);
	char text[2 * sizeof(gw->journal_key) + 1];

	if (v && strlen(v) == 2 * sizeof(gw->journal_key)) {
		for (size_t i = 0; i < sizeof(gw->journal_key); i++) {
			char pair[3] = { v[2 * i], v[2 * i + 1], '\0' };

			gw->journal_key[i] = (unsigned char)strtoul(pair, NULL, 16);
		}
		free(v);
		return 0;
	}
	free(v);
	if (RAND_bytes(gw->journal_key, (int)sizeof(gw->journal_key)) != 1) {
		*cause = str_dup("cannot make the journal key: no random bytes");
		return -1;
	}
	hex(gw->journal_key, sizeof(gw->journal_key), text);
	return queue_state_set(gw->q, TDC_KEY_STATE, text, cause);
}

/* mac - the mark of data[0..len): HMAC-SHA256 under the gateway's key, in hex */
static void
mac(const struct gw *gw, const char *data, size_t len, char out[TDC_MAC_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), gw->journal_key, (int)sizeof(gw->journal_key),
	    (const unsigned char *)data, len, md, &mdlen);
	hex(md, 32, out);
}

struct msg *
tdc_journal(struct gw *gw, const struct msg *orig, const char *intake,
    struct rcpt *const *rcpts, int nrcpts, const char *subject, struct rcpt **rcpt)
{
	const struct conf *c = gw->conf;
	struct msg *m;
	const char **addrs = xcalloc((size_t)nrcpts + 1, sizeof(char *));
	struct journal_in in;
	char *data, *all, mark[TDC_MAC_HEX + 1];
	size_t len, hlen;

	for (int i = 0; i < nrcpts; i++)
		addrs[i] = rcpts[i]->addr;
	/* generated: outgoing, so never journaled again on this pass either */
	m = msg_new(gw_id(gw, GW_MID), orig->mid, orig->icid, QUEUE_KIND_JOURNAL, 1, "",
	    orig->policy, orig->message_id, orig->client_ip, orig->listener);
	in = (struct journal_in){ .hostname = c->hostname, .intake = intake,
		.ip_header = c->tdc_ip_header, .client_ip = orig->client_ip,
		.sender = orig->sender, .rcpts = addrs, .nrcpts = nrcpts,
		.orig_mid = orig->mid, .copy_mid = m->mid, .policy = orig->policy,
		.message_id = orig->message_id, .subject = subject,
		.orig = orig->body->data, .orig_len = orig->body->len, .now = m->received };
	data = journal_build(&in, &len);
	/*
	 * who received what, for mailbox remediation (issue 12): stored with
	 * the copy's accept, which the caller hands over next
	 */
	qwriter_journaled(gw->qw, orig->mid, orig->message_id, addrs, nrcpts);
	free(addrs);
	mac(gw, data, len, mark);
	hlen = strlen(TDC_MARK_HEADER) + 2 + TDC_MAC_HEX + 2;
	all = xmalloc(hlen + len + 1);
	str_fmt(all, hlen + 1, "%s: %s\r\n", TDC_MARK_HEADER, mark);
	memcpy(all + hlen, data, len);
	all[hlen + len] = '\0';
	free(data);
	msg_set_body(m, body_new(all, hlen + len));
	*rcpt = rcpt_new(m, 0, intake, TDC_QUEUE);
	gw_log(gw, "TDC: MID %lld was generated based on MID %lld for policy %s", (long long)m->mid,
	    (long long)orig->mid, orig->policy);
	return m;
}

struct markfind {
	char value[TDC_MAC_HEX + 1];
	int found;
};

/* find_mark - header_walk callback: stop at the mark */
static int
find_mark(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct markfind *mf = arg;

	if (nlen != strlen(TDC_MARK_HEADER) || strncasecmp(name, TDC_MARK_HEADER, nlen) != 0)
		return 0;
	header_unfold(value, vlen, mf->value, sizeof(mf->value));
	mf->found = 1;
	return 1;
}

int
tdc_own_copy(const struct gw *gw, const char *msg, size_t len)
{
	struct markfind mf = { .found = 0 };
	size_t after = 0;
	char want[TDC_MAC_HEX + 1];

	if (header_walk(msg, len, find_mark, &mf, &after) < 0 || !mf.found ||
	    strlen(mf.value) != TDC_MAC_HEX)
		return 0;
	mac(gw, msg + after, len - after, want);
	return CRYPTO_memcmp(want, mf.value, TDC_MAC_HEX) == 0;
}

int
tdc_is_queue(const char *dest)
{
	return strcmp(dest, TDC_QUEUE) == 0;
}
