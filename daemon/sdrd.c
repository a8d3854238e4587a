/*
 * sdrd.c - Sender Domain Reputation in mxgated: asking the sources,
 * caching their answers, polling the TAXII feeds.
 *
 * A lookup (struct lk: one message, one dnslist() rule, or one
 * sdrstatus -d) has slots, one per question: local table and feed
 * answers are known at once (both are in memory); blocklist zones and
 * RDAP are cache entries (struct centry), keyed by (kind, source,
 * domain). An entry is either pending - its one DNS query or HTTP request
 * is in flight, and the lookups waiting for it are listed on it, so that
 * any number of messages naming one domain cause one query - or holds an
 * answer until it expires: min(DNS TTL, sdr.cache_ttl) for blocklists,
 * sdr.cache_ttl for RDAP, a few seconds for errors (so a dead server is
 * not asked once per message, nor trusted long). A lookup ends when its
 * last slot is answered or at sdr.timeout, whichever comes first; the
 * slots still waiting then are ERROR answers "timeout" (their queries go
 * on and fill the cache for the next message). Finished lookups are
 * delivered from one event, never from inside sdrd_lookup.
 *
 * Feeds (polling, the in-memory copy of their indicators) are
 * sdrd_feed.c's; here they are only read.
 *
 * Ownership: DNS lookups cannot be cancelled (net/dns.h), so each carries
 * a small struct dq that sdrd_free orphans (dq->s = NULL) rather than
 * frees; dns_free, which runs after, delivers and frees them. HTTP
 * requests run on our own struct http, which sdrd_free frees first.
 *
 * DIAGNOSTICS: see sdrd.h; what a source said (errors included, made
 * printable and cut) is in the answer's detail.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/gw.h"
#include "daemon/qwriter.h"
#include "daemon/sdrd.h"
#include "daemon/sdrd_int.h"
#include "mail/sdrconf.h"
#include "net/dns.h"
#include "net/http.h"
#include "util/buf.h"
#include "util/str.h"

#define SDRD_BUCKETS 65536		/* cache hash buckets (a power of two) */
#define SDRD_CACHE_MAX 200000		/* answers kept; past that, answers are not cached */
#define SDRD_SWEEP_BUCKETS 4096		/* buckets looked at for expired answers per second */
#define SDRD_ERROR_TTL 5		/* seconds an error answer is kept */
#define SDRD_NEG_TTL 300		/* NXDOMAIN without an SOA: kept this long (at most) */
#define SDRD_RDAP_TIMEOUT_MS 10000	/* one RDAP request (the lookup may end sooner) */
#define SDRD_RDAP_MAX_BODY (1024 * 1024)	/* an RDAP domain object is a few KB */
#define SDRD_RDAP_INFLIGHT 64		/* RDAP requests at once; past that, an error answer */
#define SDRD_RDAP_ACCEPT "application/rdap+json"
#define SDRD_EXPLAIN_MAX 16384		/* the explanation text */

/*
 * Every answer of a message fits: per domain (SDR_NINPUTS of them) the
 * local table, each zone and each feed, and RDAP once per domain; one
 * slot more is kept for the error of a lookup that found no room anyway.
 */
_Static_assert(SDR_NINPUTS * (SDRCONF_MAX_BLOCKLISTS + SDRCONF_MAX_FEEDS + 1) + SDR_NINPUTS <
    SDR_MAX_ANSWERS, "SDR_MAX_ANSWERS is too small for the configurable zones and feeds");

/* ---------------------------------------------------------------- types */

enum ckind {
	CK_BLOCKLIST,			/* <domain>.<zone> A */
	CK_RDAP,			/* {base}domain/<registered domain> */
	CK_DNSLIST,			/* <reversed ip>.<zone> A */
};

struct waiter {
	struct lk *lk;			/* a lookup waiting */
	int slot;			/* for this slot of it */
};

/* a cached answer, or a question in flight */
struct centry {
	struct centry *next;		/* hash chain */
	unsigned int hash;		/* of the key */
	enum ckind kind;		/* with source and domain: the key */
	char source[SDR_SOURCE_MAX + 1];	/* zone, or "rdap" */
	char domain[SDR_DOMAIN_MAX + 1];	/* domain, or the address for CK_DNSLIST */
	int pending;			/* asked, not answered yet */
	time_t expires;			/* monotonic seconds: the answer is good until then */
	struct sdr_answer ans;		/* the answer */
	int nwait, capwait;		/* waiters */
	struct waiter *wait;
};

/* context of one DNS query (outlives sdrd_free: see the header comment) */
struct dq {
	struct sdrd *s;			/* NULL: orphaned, just free */
	struct centry *e;		/* the entry it answers */
	TAILQ_ENTRY(dq) entry;		/* on s->dqs */
};

/* context of one RDAP request */
struct rq {
	struct sdrd *s;
	struct centry *e;
};

enum lk_kind {
	LK_MSG,				/* sdrd_lookup */
	LK_DNSLIST,			/* sdrd_dnslist */
	LK_EXPLAIN,			/* sdrd_explain */
};

struct slot {
	struct centry *e;		/* waited for; NULL once answered */
	int have;			/* ans is filled */
	int cached;			/* it came from the cache */
	struct sdr_answer ans;
};

struct lk {
	struct sdrd *s;
	enum lk_kind kind;
	sdrd_cb cb;			/* LK_MSG */
	void (*dl_cb)(int listed, void *arg);	/* LK_DNSLIST */
	void *arg;
	int64_t req_id;			/* LK_EXPLAIN */
	char domain[SDR_DOMAIN_MAX + 1];	/* LK_EXPLAIN */
	char note[4][1024];		/* LK_EXPLAIN: lines of sources that did not answer, by kind */
	int timed_out;			/* sdr.timeout came first */
	int overflow;			/* a question found no slot: an ERROR answer at the end */
	char overflow_domain[SDR_DOMAIN_MAX + 1];	/* about the first such question */
	int outstanding;		/* slots waiting */
	int nslots;
	struct slot slot[SDR_MAX_ANSWERS];
	struct event *timer;		/* sdr.timeout */
	TAILQ_ENTRY(lk) entry;		/* on s->active or s->finished */
};

/* ---------------------------------------------------------------- helpers */

/* xevent_new - event_new, which fails only for want of memory */
static struct event *
xevent_new(struct event_base *base, evutil_socket_t fd, short what,
    event_callback_fn cb, void *arg)
{
	struct event *ev = event_new(base, fd, what, cb, arg);

	if (ev == NULL) {
		fprintf(stderr, "fatal: out of memory creating an event\n");
		abort();
	}
	return ev;
}

/* mono - monotonic seconds, for cache expiry */
static time_t
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* answer_init - an answer of kind from source about domain */
static void
answer_init(struct sdr_answer *a, enum sdr_source_kind kind, const char *source,
    const char *domain)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	str_copy(a->source, source, sizeof(a->source));
	str_copy(a->domain, domain, sizeof(a->domain));
	a->status = SDR_ANS_ERROR;
	a->verdict = SDR_UNKNOWN;
}

/* answer_error - set a to ERROR with a (printable, cut) reason */
static void
answer_error(struct sdr_answer *a, const char *why)
{
	char safe[256];

	a->status = SDR_ANS_ERROR;
	str_copy(a->detail, gw_safe(why, safe, sizeof(safe)), sizeof(a->detail));
}

/* ip_text - a host order IPv4 address as text */
static const char *
ip_text(unsigned int a, char *buf, size_t size)
{
	str_fmt(buf, size, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	return buf;
}

/* ---------------------------------------------------------------- the cache */

/* key_hash - FNV-1a of the key */
static unsigned int
key_hash(enum ckind kind, const char *source, const char *domain)
{
	unsigned int h = 2166136261u ^ (unsigned int)kind;

	h *= 16777619u;
	for (const char *p = source; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;
	for (const char *p = domain; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static struct centry *
cache_find(struct sdrd *s, enum ckind kind, const char *source, const char *domain)
{
	unsigned int h = key_hash(kind, source, domain);

	for (struct centry *e = s->bucket[h & (SDRD_BUCKETS - 1)]; e != NULL; e = e->next)
		if (e->hash == h && e->kind == kind && strcmp(e->domain, domain) == 0 &&
		    strcmp(e->source, source) == 0)
			return e;
	return NULL;
}

static struct centry *
cache_add(struct sdrd *s, enum ckind kind, const char *source, const char *domain)
{
	struct centry *e = xcalloc(1, sizeof(*e));
	unsigned int b;

	e->hash = key_hash(kind, source, domain);
	e->kind = kind;
	str_copy(e->source, source, sizeof(e->source));
	str_copy(e->domain, domain, sizeof(e->domain));
	e->pending = 1;
	b = e->hash & (SDRD_BUCKETS - 1);
	e->next = s->bucket[b];
	s->bucket[b] = e;
	s->ncache++;
	return e;
}

/* cache_remove - unlink and free an entry nobody waits for */
static void
cache_remove(struct sdrd *s, struct centry *e)
{
	struct centry **pp = &s->bucket[e->hash & (SDRD_BUCKETS - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->next;
	if (*pp == e)
		*pp = e->next;
	free(e->wait);
	free(e);
	s->ncache--;
}

/* cache_flush - forget every answer (the sources changed); questions in flight stay */
static void
cache_flush(struct sdrd *s)
{
	for (unsigned int b = 0; b < SDRD_BUCKETS; b++) {
		struct centry *e = s->bucket[b], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			if (!e->pending)
				cache_remove(s, e);
		}
	}
}

/* cache_sweep - drop expired answers from some buckets */
static void
cache_sweep(struct sdrd *s)
{
	time_t now = mono();

	for (int i = 0; i < SDRD_SWEEP_BUCKETS; i++) {
		struct centry *e = s->bucket[s->sweep], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			if (!e->pending && e->expires <= now)
				cache_remove(s, e);
		}
		s->sweep = (s->sweep + 1) & (SDRD_BUCKETS - 1);
	}
}

/* ---------------------------------------------------------------- lookups */

static void lk_finish(struct lk *lk);

/*
 * slot_new - the next slot of lk, or NULL when full (the last slot is kept
 * for the ERROR answer lk_start adds then: a question never goes unasked
 * silently)
 */
static struct slot *
slot_new(struct lk *lk, const char *domain)
{
	if (lk->nslots >= SDR_MAX_ANSWERS - 1) {
		if (!lk->overflow)
			str_copy(lk->overflow_domain, domain, sizeof(lk->overflow_domain));
		lk->overflow = 1;
		return NULL;
	}
	return &lk->slot[lk->nslots++];
}

/* slot_answer - an immediate answer */
static void
slot_answer(struct lk *lk, const struct sdr_answer *a)
{
	struct slot *sl = slot_new(lk, a->domain);

	if (sl == NULL)
		return;
	sl->ans = *a;
	sl->have = 1;
}

/* wait_add - lk's slot waits for e */
static void
wait_add(struct centry *e, struct lk *lk, int slot)
{
	if (e->nwait == e->capwait) {
		e->capwait = e->capwait ? e->capwait * 2 : 4;
		e->wait = xrealloc(e->wait, (size_t)e->capwait * sizeof(*e->wait));
	}
	e->wait[e->nwait].lk = lk;
	e->wait[e->nwait].slot = slot;
	e->nwait++;
	lk->slot[slot].e = e;
	lk->outstanding++;
}

/* wait_drop - lk waits no more for e */
static void
wait_drop(struct centry *e, struct lk *lk)
{
	int j = 0;

	for (int i = 0; i < e->nwait; i++)
		if (e->wait[i].lk != lk)
			e->wait[j++] = e->wait[i];
	e->nwait = j;
}

/*
 * entry_answer - e's question is answered: every waiting slot gets the
 * answer; kept for ttl seconds (0: not kept)
 */
static void
entry_answer(struct sdrd *s, struct centry *e, const struct sdr_answer *a, int ttl)
{
	int n = e->nwait;
	struct waiter *w = e->wait;

	e->pending = 0;
	e->ans = *a;
	e->expires = mono() + ttl;
	e->wait = NULL;
	e->nwait = e->capwait = 0;
	for (int i = 0; i < n; i++) {
		struct lk *lk = w[i].lk;
		struct slot *sl = &lk->slot[w[i].slot];

		sl->ans = *a;
		sl->have = 1;
		sl->e = NULL;
		if (--lk->outstanding == 0)
			lk_finish(lk);
	}
	free(w);
	if (ttl <= 0 || s->ncache > SDRD_CACHE_MAX)
		cache_remove(s, e);
}

/* lk_new - a lookup of kind, on s->active */
static struct lk *
lk_new(struct sdrd *s, enum lk_kind kind)
{
	struct lk *lk = xcalloc(1, sizeof(*lk));

	lk->s = s;
	lk->kind = kind;
	TAILQ_INSERT_TAIL(&s->active, lk, entry);
	return lk;
}

/* lk_finish - lk is complete (or given up): queue its delivery */
static void
lk_finish(struct lk *lk)
{
	struct sdrd *s = lk->s;

	for (int i = 0; i < lk->nslots; i++)
		if (lk->slot[i].e != NULL) {
			wait_drop(lk->slot[i].e, lk);
			lk->slot[i].e = NULL;
		}
	if (lk->timer != NULL)
		evtimer_del(lk->timer);
	TAILQ_REMOVE(&s->active, lk, entry);
	TAILQ_INSERT_TAIL(&s->finished, lk, entry);
	s->nfinished++;
	event_active(s->done_ev, EV_TIMEOUT, 0);
}

/* lk_give_up - the slots still waiting are errors (why); finish */
static void
lk_give_up(struct lk *lk, const char *why)
{
	for (int i = 0; i < lk->nslots; i++) {
		struct slot *sl = &lk->slot[i];

		if (sl->have)
			continue;
		if (sl->e != NULL) {
			wait_drop(sl->e, lk);
			sl->e = NULL;
		}
		answer_error(&sl->ans, why);
		sl->have = 1;
	}
	lk->outstanding = 0;
	lk_finish(lk);
}

/* lk_timeout - sdr.timeout: what has not answered is an error */
static void
lk_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct lk *lk = arg;

	lk->timed_out = 1;
	lk_give_up(lk, "timeout");
}

/* lk_start - all questions asked: finish now, or wait at most sdr.timeout */
static void
lk_start(struct lk *lk)
{
	struct sdrd *s = lk->s;

	if (lk->overflow) {
		struct slot *sl = &lk->slot[lk->nslots++];	/* the one kept */

		answer_init(&sl->ans, SDR_SRC_BLOCKLIST, "sdr", lk->overflow_domain);
		answer_error(&sl->ans, "too many questions for one message: not all were asked");
		sl->have = 1;
	}
	if (lk->outstanding == 0 || s->freeing) {
		lk_give_up(lk, "shutting down");	/* the reason only for slots still waiting */
		return;
	}
	struct timeval tv = { s->timeout > 0 ? s->timeout : 2, 0 };

	lk->timer = xevent_new(s->gw->base, -1, 0, lk_timeout, lk);
	evtimer_add(lk->timer, &tv);
}

/* ---------------------------------------------------------------- DNS */

/* blocklist_find - the configured zone, or NULL */
static const struct sdr_blocklist *
blocklist_find(const struct sdrd *s, const char *zone)
{
	for (int i = 0; i < s->nbl; i++)
		if (strcmp(s->bl[i].zone, zone) == 0)
			return &s->bl[i];
	return NULL;
}

/* dns_ttl - how long a DNS answer is kept: min(its TTL, sdr.cache_ttl) */
static int
dns_ttl(const struct sdrd *s, int ttl, int negative)
{
	if (ttl < 0)
		ttl = negative ? SDRD_NEG_TTL : 0;
	return ttl < s->cache_ttl ? ttl : s->cache_ttl;
}

/*
 * blocklist_answer - a blocklist's DNS answer as an SDR answer; returns
 * how long it may be kept
 */
static int
blocklist_answer(struct sdrd *s, struct centry *e, enum dns_status st, const unsigned int *addrs,
    int naddr, int ttl, struct sdr_answer *a)
{
	const struct sdr_blocklist *bl = blocklist_find(s, e->source);
	char ip[16], refused[16] = "", unmapped[16] = "";
	int best = -1;

	answer_init(a, SDR_SRC_BLOCKLIST, e->source, e->domain);
	if (e->kind == CK_DNSLIST) {
		/* dnslist(): any 127.0.0.0/8 answer but the error codes */
		if (st == DNS_OK) {
			a->status = SDR_ANS_CLEAN;
			for (int i = 0; i < naddr; i++)
				if ((addrs[i] >> 24) == 127 && !sdr_code_is_error(addrs[i])) {
					a->status = SDR_ANS_LISTED;
					ip_text(addrs[i], a->detail, sizeof(a->detail));
					break;
				}
			return dns_ttl(s, ttl, 0);
		}
	}
	switch (st) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		a->status = SDR_ANS_CLEAN;
		str_copy(a->detail, st == DNS_NXDOMAIN ? "NXDOMAIN" : "no A record",
		    sizeof(a->detail));
		return dns_ttl(s, ttl, 1);
	case DNS_BADNAME:
		answer_error(a, "the query name is not a valid domain");
		return SDRD_ERROR_TTL;
	default:
		answer_error(a, dns_status_str(st));
		return 0;	/* a timeout: ask again next time */
	}
	if (bl == NULL) {
		answer_error(a, "the zone is no longer configured");
		return 0;
	}
	/* the worst mapped code decides; error codes and unmapped ones are no answer */
	for (int i = 0; i < naddr; i++) {
		int k;

		if (sdr_code_is_error(addrs[i])) {
			ip_text(addrs[i], refused, sizeof(refused));
			continue;
		}
		if ((k = sdr_codes_find(&bl->codes, addrs[i])) < 0) {
			ip_text(addrs[i], unmapped, sizeof(unmapped));
			continue;
		}
		if (best < 0 || bl->codes.verdict[k] < bl->codes.verdict[best])
			best = k;
	}
	if (best >= 0) {
		a->status = SDR_ANS_LISTED;
		a->verdict = bl->codes.verdict[best];
		str_copy(a->category, bl->codes.category[best], sizeof(a->category));
		str_copy(a->detail, ip_text(bl->codes.addr[best], ip, sizeof(ip)), sizeof(a->detail));
		return dns_ttl(s, ttl, 0);
	}
	if (refused[0] != '\0')
		str_fmt(a->detail, sizeof(a->detail), "error code %s (query refused)", refused);
	else
		str_fmt(a->detail, sizeof(a->detail), "answer %s is not in the zone's codes", unmapped);
	return SDRD_ERROR_TTL;
}

/* dns_done - a blocklist or dnslist query answered */
static void
dns_done(enum dns_status st, const unsigned int *addrs, int naddr, int ttl, void *arg)
{
	struct dq *q = arg;
	struct sdrd *s = q->s;
	struct centry *e = q->e;
	struct sdr_answer a;
	int keep;

	if (s == NULL) {	/* sdrd_free orphaned it */
		free(q);
		return;
	}
	TAILQ_REMOVE(&s->dqs, q, entry);
	free(q);
	keep = blocklist_answer(s, e, st, addrs, naddr, ttl, &a);
	entry_answer(s, e, &a, keep);
}

/* dns_ask - start e's DNS query for name */
static void
dns_ask(struct sdrd *s, struct centry *e, const char *name)
{
	struct dq *q = xcalloc(1, sizeof(*q));

	q->s = s;
	q->e = e;
	TAILQ_INSERT_TAIL(&s->dqs, q, entry);
	dns_query_a(s->gw->dns, name, dns_done, q);
}

/* ---------------------------------------------------------------- RDAP */

/* rdap_base - the RDAP base URL for domain into url: 1, or 0 with why */
static int
rdap_base(const struct sdrd *s, const char *domain, char *url, size_t size, const char **why)
{
	char *cause = NULL;
	int rc;

	if (s->rdap_url[0] != '\0') {
		size_t n = strlen(s->rdap_url);

		return str_fmt(url, size, "%s%s", s->rdap_url,
		    s->rdap_url[n - 1] == '/' ? "" : "/") == 0;
	}
	if (s->rdap_bootstrap[0] == '\0') {
		*why = "not configured (no RDAP URL, no bootstrap file)";
		return 0;
	}
	if (!s->boot_ok) {
		*why = "the bootstrap file cannot be read";
		return 0;
	}
	rc = sdr_bootstrap_find(&s->boot, domain, url, size, &cause);
	free(cause);
	if (rc == 1)
		return 1;
	*why = rc == 0 ? "the bootstrap file names no RDAP service for this domain" :
	    "the bootstrap file cannot be read";
	return 0;
}

/* rdap_done - an RDAP answer */
static void
rdap_done(const struct http_response *r, void *arg)
{
	struct rq *q = arg;
	struct sdrd *s = q->s;
	struct centry *e = q->e;
	struct sdr_answer a;
	char *cause = NULL;
	time_t when;
	int rc, keep = s->cache_ttl;

	free(q);
	if (s->freeing)
		return;	/* sdrd_free is freeing our client; the entries go with it */
	s->nrdap--;
	answer_init(&a, SDR_SRC_RDAP, "rdap", e->domain);
	if (r->error != NULL) {
		answer_error(&a, r->error);
		keep = SDRD_ERROR_TTL;
	} else if (r->status == 404) {
		/* RFC 7480 5.3: the registry does not know it; no age, not an error */
		a.status = SDR_ANS_NOAGE;
		str_copy(a.detail, "HTTP 404", sizeof(a.detail));
	} else if (r->status != 200) {
		char why[32];

		str_fmt(why, sizeof(why), "HTTP %d", r->status);
		answer_error(&a, why);
		keep = SDRD_ERROR_TTL;
	} else if ((rc = sdr_rdap_registration(r->body, r->len, &when, &cause)) == 1) {
		a.status = SDR_ANS_AGE;
		a.registered = when;
		str_copy(a.detail, "registration event", sizeof(a.detail));
	} else if (rc == 0) {
		a.status = SDR_ANS_NOAGE;
		str_copy(a.detail, "no registration event", sizeof(a.detail));
	} else {
		answer_error(&a, cause ? cause : "not an RDAP domain object");
		keep = SDRD_ERROR_TTL;
	}
	free(cause);
	entry_answer(s, e, &a, keep);
}

/* rdap_ask - start e's RDAP request at base */
static void
rdap_ask(struct sdrd *s, struct centry *e, const char *base)
{
	struct http_request hr;
	struct rq *q = xcalloc(1, sizeof(*q));
	char url[1400];

	str_fmt(url, sizeof(url), "%sdomain/%s", base, e->domain);
	memset(&hr, 0, sizeof(hr));
	hr.url = url;
	hr.accept = SDRD_RDAP_ACCEPT;
	hr.timeout_ms = SDRD_RDAP_TIMEOUT_MS;
	hr.max_body = SDRD_RDAP_MAX_BODY;
	hr.verify = s->verify_peer;
	hr.ca_pem = s->gw->conf != NULL ? s->gw->conf->ca_pem : NULL;
	q->s = s;
	q->e = e;
	s->nrdap++;
	http_get(s->http, &hr, rdap_done, q);
}

/* ---------------------------------------------------------------- asking */

/*
 * ask - slot of lk for (kind, source, domain): from the cache, by
 * waiting for the question in flight, or by asking (name: the DNS name,
 * or the RDAP base URL)
 */
static void
ask(struct lk *lk, enum ckind kind, const char *source, const char *domain, const char *name)
{
	struct sdrd *s = lk->s;
	struct centry *e = cache_find(s, kind, source, domain);
	struct slot *sl;
	int slot;

	if ((sl = slot_new(lk, domain)) == NULL)
		return;
	slot = (int)(sl - lk->slot);
	answer_init(&sl->ans, kind == CK_RDAP ? SDR_SRC_RDAP : SDR_SRC_BLOCKLIST, source, domain);
	if (e != NULL && !e->pending && e->expires > mono()) {
		sl->ans = e->ans;
		sl->have = 1;
		sl->cached = 1;
		return;
	}
	if (e != NULL && !e->pending) {
		cache_remove(s, e);
		e = NULL;
	}
	if (e == NULL) {
		if (kind == CK_RDAP && s->nrdap >= SDRD_RDAP_INFLIGHT) {
			answer_error(&sl->ans, "too many RDAP queries in flight");
			sl->have = 1;
			return;
		}
		e = cache_add(s, kind, source, domain);
		wait_add(e, lk, slot);
		if (kind == CK_RDAP)
			rdap_ask(s, e, name);
		else
			dns_ask(s, e, name);
		return;
	}
	wait_add(e, lk, slot);
}

/* local_answer - the local table's entry for domain, if any; 1 if there was one */
static int
local_answer(struct lk *lk, const char *domain)
{
	const struct sdr_local *l = sdrconf_local_find(&lk->s->lconf, domain);
	struct sdr_answer a;

	if (l == NULL)
		return 0;
	answer_init(&a, SDR_SRC_LOCAL, "local", domain);
	a.status = SDR_ANS_LISTED;
	a.verdict = l->verdict;
	str_copy(a.category, l->category, sizeof(a.category));
	str_copy(a.detail, "local table", sizeof(a.detail));
	slot_answer(lk, &a);
	return 1;
}

/* mind_first - index of the first in-memory indicator of domain, or -1 */
static int
mind_first(const struct sdrd *s, const char *domain)
{
	int lo = 0, hi = s->nmind;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (strcmp(s->mind[mid].domain, domain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nmind && strcmp(s->mind[lo].domain, domain) == 0 ? lo : -1;
}

/*
 * feed_answer - the worst indicator of feed for domain valid at now
 * (valid_from <= now < valid_until, STIX 2.1 4.7) into a; 1 if any.
 * *pending (when not NULL): the earliest valid_from still to come of the
 * others, 0 when none waits.
 */
static int
feed_answer(const struct sdrd *s, const char *feed, const char *domain, time_t now,
    struct sdr_answer *a, time_t *pending)
{
	const struct mind *best = NULL;
	int i = mind_first(s, domain);

	if (pending != NULL)
		*pending = 0;
	for (; i >= 0 && i < s->nmind && strcmp(s->mind[i].domain, domain) == 0; i++) {
		const struct mind *m = &s->mind[i];

		if (strcmp(m->feed, feed) != 0 || (m->valid_until != 0 && m->valid_until <= now))
			continue;
		if (m->valid_from > now) {
			/* not valid yet: counts from then, kept until then */
			if (pending != NULL && (*pending == 0 || m->valid_from < *pending))
				*pending = m->valid_from;
			continue;
		}
		if (best == NULL || m->verdict < best->verdict)
			best = m;
	}
	if (best == NULL)
		return 0;
	answer_init(a, SDR_SRC_FEED, feed, domain);
	a->status = SDR_ANS_LISTED;
	a->verdict = best->verdict;
	str_copy(a->category, best->category, sizeof(a->category));
	str_copy(a->detail, best->id, sizeof(a->detail));
	return 1;
}

/* ask_domain - every source for one domain (RDAP apart) */
static void
ask_domain(struct lk *lk, const char *domain)
{
	struct sdrd *s = lk->s;
	struct feed *f;
	struct sdr_answer a;
	time_t now = time(NULL);
	char name[300];

	local_answer(lk, domain);
	for (int i = 0; i < s->nbl; i++) {
		if (str_fmt(name, sizeof(name), "%s.%s", domain, s->bl[i].zone) < 0 ||
		    strlen(name) > 253) {
			struct slot *sl = slot_new(lk, domain);

			if (sl != NULL) {
				answer_init(&sl->ans, SDR_SRC_BLOCKLIST, s->bl[i].zone, domain);
				answer_error(&sl->ans, "the query name is longer than 253 characters");
				sl->have = 1;
			}
			continue;
		}
		ask(lk, CK_BLOCKLIST, s->bl[i].zone, domain, name);
	}
	TAILQ_FOREACH(f, &s->feeds, entry)
		if (!f->removed && feed_answer(s, f->name, domain, now, &a, NULL))
			slot_answer(lk, &a);
}

/* ask_rdap - the age of domain's registered domain, once per registered domain */
static void
ask_rdap(struct lk *lk, const char *domain)
{
	char reg[SDR_DOMAIN_MAX + 1], base[1100];
	const char *why = NULL;

	sdr_registered_domain(domain, reg, sizeof(reg));
	for (int i = 0; i < lk->nslots; i++)
		if (lk->slot[i].ans.kind == SDR_SRC_RDAP && strcmp(lk->slot[i].ans.domain, reg) == 0)
			return;
	if (!rdap_base(lk->s, reg, base, sizeof(base), &why))
		return;	/* no RDAP for it: not a question asked */
	ask(lk, CK_RDAP, "rdap", reg, base);
}

/* sdrd_lookup - every source for every domain of in */
void
sdrd_lookup(struct sdrd *s, const struct sdr_inputs *in, sdrd_cb cb, void *arg)
{
	struct lk *lk = lk_new(s, LK_MSG);
	const char *doms[SDR_NINPUTS];
	int n = sdr_domains(in, doms, SDR_NINPUTS);

	lk->cb = cb;
	lk->arg = arg;
	if (!s->freeing) {
		for (int i = 0; i < n; i++)
			ask_domain(lk, doms[i]);
		for (int i = 0; i < n; i++)
			ask_rdap(lk, doms[i]);
	}
	lk_start(lk);
}

/* dnslist_name - the query name of ip in zone (RFC 5782 2.1, 2.4); -1 if ip is not one */
static int
dnslist_name(const char *ip, const char *zone, char *out, size_t size)
{
	unsigned char a[16];
	size_t len = 0;

	if (inet_pton(AF_INET, ip, a) == 1)
		return str_fmt(out, size, "%u.%u.%u.%u.%s", a[3], a[2], a[1], a[0], zone);
	if (inet_pton(AF_INET6, ip, a) != 1)
		return -1;
	out[0] = '\0';
	for (int i = 15; i >= 0; i--) {
		if (str_fmt(out + len, size - len, "%x.%x.", a[i] & 15, a[i] >> 4) < 0)
			return -1;
		len += 4;
	}
	return str_fmt(out + len, size - len, "%s", zone);
}

/* sdrd_dnslist - is ip listed in zone? */
void
sdrd_dnslist(struct sdrd *s, const char *ip, const char *zone,
    void (*cb)(int listed, void *arg), void *arg)
{
	struct lk *lk = lk_new(s, LK_DNSLIST);
	char name[512], z[256], canon[64];
	unsigned char a[16];
	size_t zl;

	lk->dl_cb = cb;
	lk->arg = arg;
	/* the cache key: the address in its canonical form, the zone in lower case */
	if (str_copy(z, zone ? zone : "", sizeof(z)) == 0) {
		zl = strlen(z);
		if (zl > 0 && z[zl - 1] == '.')
			z[--zl] = '\0';
		str_lower(z);
	} else {
		z[0] = '\0';
	}
	if (inet_pton(AF_INET, ip ? ip : "", a) == 1)
		inet_ntop(AF_INET, a, canon, sizeof(canon));
	else if (inet_pton(AF_INET6, ip ? ip : "", a) == 1)
		inet_ntop(AF_INET6, a, canon, sizeof(canon));
	else
		canon[0] = '\0';
	if (!s->freeing && canon[0] != '\0' && z[0] != '\0' &&
	    dnslist_name(canon, z, name, sizeof(name)) == 0 && strlen(name) <= 253)
		ask(lk, CK_DNSLIST, z, canon, name);
	lk_start(lk);
}

/* ---------------------------------------------------------------- explaining */

/* answer_text - what one answer says, in words */
static const char *
answer_text(const struct sdr_answer *a, time_t now, char *buf, size_t size)
{
	char age[64], day[32];
	struct tm tm;

	switch (a->status) {
	case SDR_ANS_LISTED:
		str_fmt(buf, size, "%s, Threat Category: %s (%s)", sdr_verdict_name(a->verdict),
		    a->category[0] ? a->category : "N/A", a->detail);
		break;
	case SDR_ANS_CLEAN:
		str_fmt(buf, size, "not listed (%s)", a->detail);
		break;
	case SDR_ANS_AGE:
		gmtime_r(&a->registered, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		str_fmt(buf, size, "registered %s, %s old", day,
		    sdr_age_text(now > a->registered ? (long)((now - a->registered) / 86400) : 0,
			age, sizeof(age)));
		break;
	case SDR_ANS_NOAGE:
		str_fmt(buf, size, "no registration date known (%s)", a->detail);
		break;
	default:
		str_fmt(buf, size, "no answer: %s", a->detail);
		break;
	}
	return buf;
}

/* note - an explanation line for a source that gave no answer */
static void
note(struct lk *lk, enum sdr_source_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
note(struct lk *lk, enum sdr_source_kind kind, const char *fmt, ...)
{
	char *n = lk->note[kind];
	size_t len = strlen(n);
	va_list ap;

	va_start(ap, fmt);
	if (len < sizeof(lk->note[kind]))
		vsnprintf(n + len, sizeof(lk->note[kind]) - len, fmt, ap);
	va_end(ap);
}

/* sdrd_explain - sdrstatus -d DOMAIN */
void
sdrd_explain(struct sdrd *s, const char *domain, int64_t req_id)
{
	struct lk *lk = lk_new(s, LK_EXPLAIN);
	char d[SDR_DOMAIN_MAX + 1], reg[SDR_DOMAIN_MAX + 1], base[1100], safe[128];
	const char *why = NULL;
	struct feed *f;
	struct sdr_answer a;
	time_t now = time(NULL), pending;
	struct tm tm;
	char from[32];

	lk->req_id = req_id;
	if (str_copy(d, domain ? domain : "", sizeof(d)) < 0 || !sdr_domain_valid(d)) {
		note(lk, SDR_SRC_LOCAL, "Invalid domain name: %s\n",
		    gw_safe(domain ? domain : "", safe, sizeof(safe)));
		lk_start(lk);
		return;
	}
	str_copy(lk->domain, d, sizeof(lk->domain));
	sdr_registered_domain(d, reg, sizeof(reg));
	if (!local_answer(lk, d))
		note(lk, SDR_SRC_LOCAL, "local table: no entry\n");
	if (s->nbl == 0)
		note(lk, SDR_SRC_BLOCKLIST, "blocklists: none configured\n");
	TAILQ_FOREACH(f, &s->feeds, entry) {
		if (f->removed)
			continue;
		if (feed_answer(s, f->name, d, now, &a, &pending))
			slot_answer(lk, &a);
		else if (pending != 0 && gmtime_r(&pending, &tm) != NULL &&
		    strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
			note(lk, SDR_SRC_FEED, "feed %s: not listed (an indicator counts from "
			    "%s)\n", f->name, from);
		else
			note(lk, SDR_SRC_FEED, "feed %s: not listed\n", f->name);
	}
	if (TAILQ_EMPTY(&s->feeds))
		note(lk, SDR_SRC_FEED, "feeds: none configured\n");
	if (!s->freeing) {
		for (int i = 0; i < s->nbl; i++) {
			char name[300];

			if (str_fmt(name, sizeof(name), "%s.%s", d, s->bl[i].zone) == 0 &&
			    strlen(name) <= 253)
				ask(lk, CK_BLOCKLIST, s->bl[i].zone, d, name);
			else
				note(lk, SDR_SRC_BLOCKLIST, "blocklist %s: not asked (the query name "
				    "would be longer than 253 characters)\n", s->bl[i].zone);
		}
		if (rdap_base(s, reg, base, sizeof(base), &why))
			ask(lk, CK_RDAP, "rdap", reg, base);
		else
			note(lk, SDR_SRC_RDAP, "rdap %s: %s\n", reg, why);
	}
	lk_start(lk);
}

/* explain_text - the explanation of a finished LK_EXPLAIN lookup: by source, then the verdict */
static char *
explain_text(struct lk *lk)
{
	static const enum sdr_source_kind order[] = {
		SDR_SRC_LOCAL, SDR_SRC_BLOCKLIST, SDR_SRC_RDAP, SDR_SRC_FEED,
	};
	static const char *const label[] = {
		[SDR_SRC_LOCAL] = "local table", [SDR_SRC_BLOCKLIST] = "blocklist",
		[SDR_SRC_RDAP] = "rdap", [SDR_SRC_FEED] = "feed",
	};
	struct sdr_result *r = xcalloc(1, sizeof(*r));
	char what[512], verdict[1024];
	struct buf b;
	time_t now = time(NULL);

	buf_init(&b, SDRD_EXPLAIN_MAX);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (int i = 0; i < lk->nslots; i++) {
			const struct slot *sl = &lk->slot[i];
			const struct sdr_answer *a = &sl->ans;

			if (a->kind != order[k])
				continue;
			sdr_result_add(r, a);
			/* "local table: ...", "blocklist ZONE: ...", "rdap DOMAIN: ...", "feed NAME: ..." */
			buf_printf(&b, "%s%s%s: %s%s\n", label[a->kind],
			    a->kind == SDR_SRC_LOCAL ? "" : " ",
			    a->kind == SDR_SRC_LOCAL ? "" :
			    a->kind == SDR_SRC_RDAP ? a->domain : a->source,
			    answer_text(a, now, what, sizeof(what)),
			    sl->cached ? " (from the cache)" : "");
		}
		buf_addstr(&b, lk->note[order[k]]);
	}
	if (lk->domain[0] != '\0') {
		sdr_consolidate(r, now);
		buf_printf(&b, "%s%s\n", sdr_log_verdict(r, verdict, sizeof(verdict)),
		    r->unscannable ? " (unscannable: no source answered)" : "");
	}
	free(r);
	return buf_steal(&b);
}

/* ---------------------------------------------------------------- delivery */

/* deliver - call a finished lookup's callback (or write its explanation) */
static void
deliver(struct sdrd *s, struct lk *lk)
{
	if (lk->kind == LK_MSG) {
		struct sdr_result *r = xcalloc(1, sizeof(*r));

		for (int i = 0; i < lk->nslots; i++)
			sdr_result_add(r, &lk->slot[i].ans);
		sdr_consolidate(r, time(NULL));
		s->lookups++;
		s->unscannable += r->unscannable != 0;
		s->timeouts += lk->timed_out != 0;
		lk->cb(r, lk->arg);
		free(r);
	} else if (lk->kind == LK_DNSLIST) {
		lk->dl_cb(lk->nslots > 0 && lk->slot[0].ans.status == SDR_ANS_LISTED, lk->arg);
	} else {
		char name[64], *text = explain_text(lk);

		str_fmt(name, sizeof(name), "sdr.explain.%lld", (long long)lk->req_id);
		if (s->gw->qw != NULL)
			qwriter_state(s->gw->qw, name, text);
		free(text);
	}
}

static void
lk_free(struct lk *lk)
{
	if (lk->timer != NULL)
		event_free(lk->timer);
	free(lk);
}

static void release(struct sdrd *s);

/* done_cb - deliver finished lookups */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sdrd *s = arg;
	struct lk *lk;
	int n = s->nfinished;	/* not more: a callback's new lookups wait a turn */

	s->delivering = 1;
	while (n-- > 0 && !s->dead && (lk = TAILQ_FIRST(&s->finished)) != NULL) {
		TAILQ_REMOVE(&s->finished, lk, entry);
		s->nfinished--;
		deliver(s, lk);
		lk_free(lk);
	}
	s->delivering = 0;
	if (s->dead)
		release(s);
}

/* ---------------------------------------------------------------- the engine */

/* publish - the gauges sdrstatus shows, when they changed */
static void
publish(struct sdrd *s)
{
	char g[128];

	str_fmt(g, sizeof(g), "lookups=%lld unscannable=%lld cache=%d timeouts=%lld reloads=%lld",
	    s->lookups, s->unscannable, s->ncache, s->timeouts, s->reloads);
	if (strcmp(g, s->gauges) == 0 || s->gw->qw == NULL)
		return;
	qwriter_state(s->gw->qw, "sdr", g);
	str_copy(s->gauges, g, sizeof(s->gauges));
}

/* tick - once a second */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct sdrd *s = arg;

	cache_sweep(s);
	sdrd_feeds_due(s);
	publish(s);
}

/* bl_same - the same zones with the same codes? */
static int
bl_same(const struct sdrd *s, const struct sdr_conf *c)
{
	if (s->nbl != c->nblocklists)
		return 0;
	for (int i = 0; i < s->nbl; i++) {
		const struct sdr_blocklist *a = &s->bl[i], *b = &c->blocklists[i];

		if (strcmp(a->zone, b->zone) != 0 || a->codes.n != b->codes.n)
			return 0;
		for (int k = 0; k < a->codes.n; k++)
			if (a->codes.addr[k] != b->codes.addr[k] ||
			    a->codes.verdict[k] != b->codes.verdict[k] ||
			    strcmp(a->codes.category[k], b->codes.category[k]) != 0)
				return 0;
	}
	return 1;
}

/* sdrd_conf - follow a new configuration */
void
sdrd_conf(struct sdrd *s, const struct sdr_conf *c)
{
	int flush;

	/* answers are kept as the sources gave them under the old settings */
	flush = s->cache_ttl != c->cache_ttl || !bl_same(s, c) ||
	    strcmp(s->rdap_url, c->rdap_url) != 0 ||
	    strcmp(s->rdap_bootstrap, c->rdap_bootstrap ? c->rdap_bootstrap : "") != 0;
	s->timeout = c->timeout;
	s->cache_ttl = c->cache_ttl > 0 ? c->cache_ttl : 1;
	s->feed_interval = c->feed_interval > 0 ? c->feed_interval : 3600;
	s->verify_peer = c->verify_peer;
	str_copy(s->rdap_url, c->rdap_url, sizeof(s->rdap_url));
	if (strcmp(s->rdap_bootstrap, c->rdap_bootstrap ? c->rdap_bootstrap : "") != 0) {
		char *cause = NULL;

		/* parsed once here, not for every message */
		free(s->rdap_bootstrap);
		s->rdap_bootstrap = str_dup(c->rdap_bootstrap ? c->rdap_bootstrap : "");
		sdr_bootstrap_free(&s->boot);
		s->boot_ok = 0;
		if (s->rdap_bootstrap[0] != '\0') {
			s->boot_ok = sdr_bootstrap_build(s->rdap_bootstrap,
			    strlen(s->rdap_bootstrap), &s->boot, &cause) == 0;
			if (!s->boot_ok)
				gw_logl(s->gw, LOGFILE_WARNING, "SDR: the RDAP bootstrap file "
				    "cannot be read: %s", cause ? cause : "");
			free(cause);
		}
	}
	free(s->bl);
	s->nbl = c->nblocklists;
	s->bl = xcalloc((size_t)(s->nbl ? s->nbl : 1), sizeof(*s->bl));
	if (s->nbl > 0)
		memcpy(s->bl, c->blocklists, (size_t)s->nbl * sizeof(*s->bl));
	free(s->local);
	s->nlocal = c->nlocal;
	s->local = xcalloc((size_t)(s->nlocal ? s->nlocal : 1), sizeof(*s->local));
	if (s->nlocal > 0)
		memcpy(s->local, c->local, (size_t)s->nlocal * sizeof(*s->local));
	/* sdrconf_local_find reads a struct sdr_conf: a view of our copy */
	memset(&s->lconf, 0, sizeof(s->lconf));
	s->lconf.nlocal = s->nlocal;
	s->lconf.local = s->local;
	s->lconf.rdap_bootstrap = s->rdap_bootstrap;
	if (flush)
		cache_flush(s);
	sdrd_feeds_conf(s, c);
}

/* sdrd_new - the engine */
struct sdrd *
sdrd_new(struct gw *gw, char **cause)
{
	struct timeval one = { 1, 0 };
	struct sdrd *s;
	struct http *h;

	if (gw->dns == NULL || gw->q == NULL || gw->conf == NULL) {
		*cause = str_dup("SDR needs the resolver, the queue and a configuration");
		return NULL;
	}
	if ((h = http_new(gw->base, cause)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->gw = gw;
	s->http = h;
	s->rdap_bootstrap = str_dup("");
	s->bucket = xcalloc(SDRD_BUCKETS, sizeof(*s->bucket));
	TAILQ_INIT(&s->feeds);
	TAILQ_INIT(&s->dqs);
	TAILQ_INIT(&s->active);
	TAILQ_INIT(&s->finished);
	s->done_ev = xevent_new(gw->base, -1, 0, done_cb, s);
	s->tick = xevent_new(gw->base, -1, EV_PERSIST, tick, s);
	evtimer_add(s->tick, &one);
	s->cache_ttl = -1;	/* so the first sdrd_conf sees a change */
	sdrd_conf(s, &gw->conf->sdr);
	return s;
}

/* release - free s itself, once nothing can refer to it */
static void
release(struct sdrd *s)
{
	event_free(s->done_ev);
	free(s);
}

/* sdrd_free - every pending callback once, then free */
void
sdrd_free(struct sdrd *s)
{
	struct lk *lk;
	struct dq *q;

	if (s == NULL || s->freeing)
		return;
	s->freeing = 1;
	evtimer_del(s->tick);
	/* every lookup gives up; callbacks may start more, which end at once */
	for (;;) {
		while ((lk = TAILQ_FIRST(&s->active)) != NULL)
			lk_give_up(lk, "shutting down");
		if ((lk = TAILQ_FIRST(&s->finished)) == NULL)
			break;
		TAILQ_REMOVE(&s->finished, lk, entry);
		s->nfinished--;
		deliver(s, lk);
		lk_free(lk);
	}
	/* RDAP and TAXII requests report "cancelled" to callbacks that ignore it */
	http_free(s->http);
	while ((q = TAILQ_FIRST(&s->dqs)) != NULL) {
		TAILQ_REMOVE(&s->dqs, q, entry);
		q->s = NULL;	/* dns_free frees it */
	}
	for (unsigned int b = 0; b < SDRD_BUCKETS; b++) {
		struct centry *e, *next;

		for (e = s->bucket[b]; e != NULL; e = next) {
			next = e->next;
			free(e->wait);
			free(e);
		}
	}
	free(s->bucket);
	sdrd_feeds_free(s);
	event_free(s->tick);
	free(s->bl);
	free(s->local);
	free(s->rdap_bootstrap);
	sdr_bootstrap_free(&s->boot);
	if (s->delivering)
		s->dead = 1;	/* done_cb is on the stack: it releases s */
	else
		release(s);
}
