/*
 * sdr.c - Sender Domain Reputation on open signals: the pure part.
 *
 * What a message claims to come from, the one verdict made of what the
 * sources said, the mail_logs lines of seed 003 and the tracker token;
 * the parsers of the sources' formats are in sdr_parse.c. No I/O: the
 * daemon (daemon/sdrd.c) asks the sources and hands the answers here.
 * Every input is hostile (headers, DNS answers, RDAP and TAXII bodies,
 * tokens pasted by an operator) and bounded: header values by
 * mail/header.c, JSON documents by SDR_JSON_MAX (sdr_parse.c), tokens by
 * TRACKER_TEXT_MAX.
 *
 * CONSOLIDATION (man/man1/sdrconfig.1 copies this block)
 *   Each answer is what one source said about one domain: listed (a
 *   verdict and maybe a threat category), clean (asked, and it knows
 *   nothing against the domain), a registration date or none (RDAP), or
 *   no answer (timeout, server error, a refused or unknown blocklist
 *   return code).
 *   1. Per domain: when the local reputation table has the domain, its
 *      entry is that domain's verdict, better or worse than what any
 *      other source said, Good included. Otherwise the domain's verdict
 *      is the worst one a blocklist or a threat feed listed it with. A
 *      domain no source listed has no verdict.
 *   2. Per message: the worst domain verdict is the message's verdict,
 *      and the answer that gave it names the threat category (N/A when
 *      it gave none, or when the verdict is Neutral or Good). Between
 *      equal verdicts the local table comes before blocklists, blocklists
 *      before feeds, then the answer added first (the daemon adds them in
 *      the order of the domains: reverse DNS host, HELO, envelope sender,
 *      From, Reply-To).
 *   3. When no domain has a verdict, the message is Neutral if at least
 *      one source answered (clean, listed, or an RDAP answer with or
 *      without a date), Unknown if none did. A domain the local table
 *      does not hold is no answer: the table is read, not asked.
 *   4. Unscannable: at least one lookup was made and every one gave no
 *      answer (timed out or failed). The verdict is then Unknown, with no
 *      category and no suspected domains.
 *   5. Suspected domains: every domain whose verdict is worse than
 *      Neutral (Awful, Poor, Tainted, Weak, Unknown), worst first (ties
 *      as in 2); N/A when there is none.
 *   6. Youngest domain age: the most recent RDAP registration date of
 *      any domain, in whole days up to the time of the verdict; a date in
 *      the future counts as 0 days. Unknown when no RDAP answer had a
 *      date. The age never changes the verdict: filters test it with
 *      sdr-age.
 *   Threat feeds (STIX 2.1 indicators) map to verdicts so:
 *   indicator_types (or labels) containing "malicious-activity": Awful
 *   when confidence is 80 or more or absent, Poor from 50 to 79, Tainted
 *   below 50; otherwise "anomalous-activity" or "compromised": Weak
 *   (Tainted at confidence 80 or more); otherwise "benign": Good;
 *   anything else: Tainted. The category is Malware, Phishing or Spam
 *   when a type or label mentions one of them (in that order), Threat
 *   Feed otherwise.
 *
 * DIAGNOSTICS: parsers return -1 with a malloc'd one-line *cause (when
 * cause is not NULL); nothing here logs, exits or keeps state.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/header.h"
#include "mail/sdr.h"
#include "mail/sdr_int.h"
#include "util/str.h"

#define TRACKER_RAW_MAX 3000		/* token bytes before base64url: 4000 characters */
#define TRACKER_TEXT_MAX 8192		/* longest token text decode looks at */
#define TRACKER_MAGIC0 'S'
#define TRACKER_MAGIC1 'D'
#define TRACKER_VERSION 1

/* sdr_set_cause - *cause = a malloc'd message, when the caller wants one */
void
sdr_set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	*cause = str_vprintf(fmt, ap);
	va_end(ap);
}

/* sdr_safe_text - s[0..n) with anything but printable ASCII as '?', cut to fit out[size] */
const char *
sdr_safe_text(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return out;
	for (size_t i = 0; i < n && s[i] != '\0' && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[o] = '\0';
	return out;
}

/* ================================================================ names */

static const char *const verdict_names[SDR_NVERDICTS] = {
	"Awful", "Poor", "Tainted", "Weak", "Unknown", "Neutral", "Good",
};

static const char *const input_names[SDR_NINPUTS] = {
	"reverse DNS host", "helo", "env-from", "header-from", "reply-to",
};

/* sdr_verdict_name - "Awful" ... "Good" */
const char *
sdr_verdict_name(enum sdr_verdict v)
{
	if ((int)v < 0 || (int)v >= SDR_NVERDICTS)
		return "Unknown";
	return verdict_names[v];
}

/* sdr_verdict_parse - a verdict by name, case-insensitively; -1 if none */
int
sdr_verdict_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int v = 0; v < SDR_NVERDICTS; v++)
		if (strcasecmp(name, verdict_names[v]) == 0)
			return v;
	/* seed 003 writes "bad" for Awful and "Intained" for Tainted */
	if (strcasecmp(name, "bad") == 0)
		return SDR_AWFUL;
	if (strcasecmp(name, "intained") == 0)
		return SDR_TAINTED;
	return -1;
}

/* sdr_input_name - the log line's name of an input */
const char *
sdr_input_name(enum sdr_input i)
{
	if ((int)i < 0 || (int)i >= SDR_NINPUTS)
		return "?";
	return input_names[i];
}

/* verdict_ok - is v one of the scale's values? */
static int
verdict_ok(int v)
{
	return v >= 0 && v < SDR_NVERDICTS;
}

/* ================================================================ domains */

/* sdr_domain_valid - an LDH domain name, normalised to lower case in place */
int
sdr_domain_valid(char *domain)
{
	size_t len, i, lab = 0;
	int alldigit = 1;

	if (domain == NULL)
		return 0;
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--;		/* the root's dot: "a.test." is "a.test" */
	/* RFC 1035 2.3.4: 253 characters without the final dot */
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)domain[i] : '.';

		if (c == '.') {
			/* RFC 1123 2.1: 1..63 characters, no hyphen at either end */
			if (lab == 0 || lab > 63 || domain[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (lab == 0) {
			if (c == '-')
				return 0;
			alldigit = 1;
		}
		if (!isalnum(c) && c != '-')
			return 0;
		if (!isdigit(c))
			alldigit = 0;
		lab++;
	}
	/* an all-numeric last label is an IPv4 address, not a name (RFC 3696 2) */
	if (alldigit)
		return 0;
	domain[len] = '\0';
	for (i = 0; i < len; i++)
		domain[i] = (char)tolower((unsigned char)domain[i]);
	return 1;
}

/* sdr_domain_norm - s[0..n) as a valid lower-case domain into out, "" if it is not one */
void
sdr_domain_norm(const char *s, size_t n, char out[SDR_DOMAIN_MAX + 1])
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	out[0] = '\0';
	if (n == 0 || n > SDR_DOMAIN_MAX || memchr(s, '\0', n) != NULL)
		return;
	memcpy(out, s, n);
	out[n] = '\0';
	if (!sdr_domain_valid(out))
		out[0] = '\0';
}

/* sdr_registered_domain - the name a registry knows; NULL if domain is not valid or out too small */
const char *
sdr_registered_domain(const char *domain, char *out, size_t size)
{
	static const char *const sld[] = { "co", "com", "net", "org", "ac", "gov", "edu", "ne", "or" };
	char d[SDR_DOMAIN_MAX + 1];
	const char *dots[3] = { NULL, NULL, NULL };	/* the last three dots, last first */
	const char *start = d, *tld;
	size_t n;

	if (size > 0)
		out[0] = '\0';		/* for callers that ignore a refusal */
	if (domain == NULL)
		return NULL;
	sdr_domain_norm(domain, strlen(domain), d);
	if (d[0] == '\0')
		return NULL;
	for (const char *p = d + strlen(d); p > d; p--)
		if (p[-1] == '.') {
			if (dots[0] == NULL)
				dots[0] = p - 1;
			else if (dots[1] == NULL)
				dots[1] = p - 1;
			else {
				dots[2] = p - 1;
				break;
			}
		}
	if (dots[1] != NULL) {
		start = dots[1] + 1;
		tld = dots[0] + 1;
		n = (size_t)(dots[0] - start);
		if (strlen(tld) == 2 && isalpha((unsigned char)tld[0]) &&
		    isalpha((unsigned char)tld[1])) {
			for (size_t i = 0; i < sizeof(sld) / sizeof(sld[0]); i++)
				if (strlen(sld[i]) == n && strncmp(start, sld[i], n) == 0) {
					start = dots[2] != NULL ? dots[2] + 1 : d;
					break;
				}
		}
	}
	if (str_copy(out, start, size) < 0) {
		if (size > 0)
			out[0] = '\0';
		return NULL;
	}
	return out;
}

/* ================================================================ inputs */

/* utf8_len - length of the valid UTF-8 sequence at s[0..n), 0 if not one */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t want;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		want = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		want = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		want = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < want)
		return 0;
	for (size_t i = 1; i < want; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates and code points past U+10FFFF */
	if ((want == 3 && cp < 0x800) || (want == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return want;
}

/*
 * name_printable - a display name as the logs and filters may show it:
 * valid UTF-8 kept, control characters and broken bytes as '?', runs of
 * white space as one space, cut at a character boundary to fit out[size]
 */
static void
name_printable(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0, i = 0;
	int space = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = o > 0;
			i++;
			continue;
		}
		k = utf8_len((const unsigned char *)s + i, n - i);
		if (space) {
			if (o + 2 > size)
				break;
			out[o++] = ' ';
			space = 0;
		}
		if (k == 0 || c < 0x20 || c == 0x7f) {
			if (o + 2 > size)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + k + 1 > size)
			break;
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
}

/* a bounded text being built; overflow remembers that something did not fit */
struct acc {
	char *p;		/* the buffer */
	size_t size;		/* its size */
	size_t n;		/* bytes used */
	int overflow;		/* something was cut */
};

/* acc_add - append one byte */
static void
acc_add(struct acc *a, char c)
{
	if (a->n + 1 < a->size)
		a->p[a->n++] = c;
	else
		a->overflow = 1;
	a->p[a->n] = '\0';
}

/* acc_reset - empty again */
static void
acc_reset(struct acc *a)
{
	a->n = 0;
	a->overflow = 0;
	a->p[0] = '\0';
}

/*
 * first_mailbox - the display name and domain of the first mailbox of an
 * unfolded RFC 5322 address list (3.4), as a mail client reads it:
 * "Name" <a@b>, Name <a@b>, a@b (Name), groups "team: a@b, c@d;", empty
 * groups skipped, quoted local parts, nested comments. One pass, no
 * recursion: the cost is linear in the value whatever it holds.
 */
static void
first_mailbox(const char *s, char *name, size_t nsize, char dom[SDR_DOMAIN_MAX + 1])
{
	char pb[512], cb[512], ab[1024], bb[1024];
	struct acc phrase = { pb, sizeof(pb), 0, 0 }, comment = { cb, sizeof(cb), 0, 0 };
	struct acc angle = { ab, sizeof(ab), 0, 0 }, bare = { bb, sizeof(bb), 0, 0 };
	int in_angle = 0, seen_angle = 0, angle_done = 0, gap = 0, group = 0, have_comment = 0;
	const char *p = s;
	const struct acc *addr;
	const char *at;

	name[0] = '\0';
	dom[0] = '\0';
	acc_reset(&phrase);
	acc_reset(&comment);
	acc_reset(&angle);
	acc_reset(&bare);
	for (;;) {
		char c = *p;

		if (c == '\0' || ((c == ',' || c == ';') && !in_angle)) {
			if (seen_angle || bare.n > 0)
				break;		/* the first mailbox */
			if (c == '\0')
				return;		/* none at all */
			/* an empty element: ",," or the end of an empty group */
			if (c == ';')
				group = 0;
			acc_reset(&phrase);
			acc_reset(&comment);
			have_comment = 0;
			gap = 0;
			p++;
			continue;
		}
		if (c == '(') {
			/* a comment, nested (RFC 5322 3.2.2); white space to the address */
			int depth = 1;
			struct acc *into = have_comment ? NULL : &comment;

			for (p++; *p != '\0'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
				if (into != NULL)
					acc_add(into, *p);
			}
			have_comment = 1;
			gap = 1;
			continue;
		}
		if (c == '"') {
			/* a quoted string: a display-name word or a local part */
			if (!in_angle && !angle_done && gap && phrase.n > 0)
				acc_add(&phrase, ' ');
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (!in_angle && !angle_done)
					acc_add(&phrase, *p);
			}
			if (*p == '"')
				p++;
			/* only the domain of the address matters: the local part is a token */
			acc_add(in_angle ? &angle : &bare, 'q');
			gap = 0;
			continue;
		}
		if (c == '<' && !in_angle && !angle_done) {
			in_angle = seen_angle = 1;
			acc_reset(&angle);
			p++;
			continue;
		}
		if (c == '>' && in_angle) {
			in_angle = 0;
			angle_done = 1;
			p++;
			continue;
		}
		if (c == ':' && !in_angle && !group && !seen_angle) {
			/* "display-name:" opens a group (3.4): its mailboxes follow */
			group = 1;
			acc_reset(&phrase);
			acc_reset(&comment);
			acc_reset(&bare);
			have_comment = 0;
			gap = 0;
			p++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			gap = 1;
			p++;
			continue;
		}
		if (in_angle)
			acc_add(&angle, c);
		else if (!angle_done) {
			if (gap && phrase.n > 0)
				acc_add(&phrase, ' ');
			acc_add(&phrase, c);
			acc_add(&bare, c);
		}
		gap = 0;
		p++;
	}
	addr = seen_angle ? &angle : &bare;
	at = addr->overflow ? NULL : strrchr(addr->p, '@');
	if (at != NULL)
		sdr_domain_norm(at + 1, strlen(at + 1), dom);
	if (seen_angle && phrase.n > 0)
		name_printable(phrase.p, phrase.n, name, nsize);
	else if (have_comment)
		name_printable(comment.p, comment.n, name, nsize);
}

/* the From: and Reply-To: values of a message, first of each */
struct grab {
	const char *v[2];	/* raw values: From, Reply-To */
	size_t len[2];		/* their lengths */
	int have[2];		/* found */
};

/* grab_cb - header_walk callback: remember the first From and Reply-To */
static int
grab_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	static const char *const want[2] = { "From", "Reply-To" };
	struct grab *g = arg;

	for (int i = 0; i < 2; i++)
		if (!g->have[i] && strlen(want[i]) == nlen && strncasecmp(name, want[i], nlen) == 0) {
			g->v[i] = value;
			g->len[i] = vlen;
			g->have[i] = 1;
		}
	return g->have[0] && g->have[1];
}

/* header_mailbox - the first mailbox of a raw header value */
static void
header_mailbox(const char *v, size_t vlen, char *name, size_t nsize,
    char dom[SDR_DOMAIN_MAX + 1])
{
	char *s = xmalloc(vlen + 1);

	header_unfold(v, vlen, s, vlen + 1);
	first_mailbox(s, name, nsize, dom);
	free(s);
}

/* sdr_inputs_fill - the inputs of one message */
void
sdr_inputs_fill(struct sdr_inputs *in, const char *rdns, const char *helo,
    const char *client_ip, const char *sender, const char *msg, size_t len)
{
	struct grab g = { { NULL, NULL }, { 0, 0 }, { 0, 0 } };
	size_t body_off;

	memset(in, 0, sizeof(*in));
	if (rdns != NULL)
		sdr_domain_norm(rdns, strlen(rdns), in->dom[SDR_IN_RDNS]);
	/* an address literal [1.2.3.4] or a bare address is no domain (RFC 5321 4.1.3) */
	if (helo != NULL && helo[0] != '[') {
		unsigned char a6[16];

		if (inet_pton(AF_INET6, helo, a6) != 1)
			sdr_domain_norm(helo, strlen(helo), in->dom[SDR_IN_HELO]);
	}
	if (sender != NULL) {
		size_t n = strlen(sender);
		const char *at;

		if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>') {
			sender++;
			n -= 2;
		}
		at = memrchr(sender, '@', n);
		if (at != NULL)
			sdr_domain_norm(at + 1, n - (size_t)(at + 1 - sender),
			    in->dom[SDR_IN_ENVFROM]);
	}
	if (client_ip != NULL)
		sdr_safe_text(client_ip, strlen(client_ip), in->client_ip, sizeof(in->client_ip));
	if (msg == NULL)
		return;
	header_walk(msg, len, grab_cb, &g, &body_off);
	if (g.have[0])
		header_mailbox(g.v[0], g.len[0], in->from_name, sizeof(in->from_name),
		    in->dom[SDR_IN_HFROM]);
	if (g.have[1])
		header_mailbox(g.v[1], g.len[1], in->replyto_name, sizeof(in->replyto_name),
		    in->dom[SDR_IN_REPLYTO]);
}

/* sdr_domains - the distinct domains of in, in input order */
int
sdr_domains(const struct sdr_inputs *in, const char *out[], int max)
{
	int n = 0;

	for (int i = 0; i < SDR_NINPUTS && n < max; i++) {
		int dup = 0;

		if (in->dom[i][0] == '\0')
			continue;
		for (int j = 0; j < n && !dup; j++)
			dup = strcmp(out[j], in->dom[i]) == 0;
		if (!dup)
			out[n++] = in->dom[i];
	}
	return n;
}

/* ================================================================ consolidation */

/* sdr_result_add - append an answer (ignored past SDR_MAX_ANSWERS) */
void
sdr_result_add(struct sdr_result *r, const struct sdr_answer *a)
{
	if (r->nanswers < 0)
		r->nanswers = 0;
	if (r->nanswers >= SDR_MAX_ANSWERS)
		return;
	r->answers[r->nanswers++] = *a;
}

/* kind_rank - tie order between sources: local, blocklist, feed, then the rest */
static int
kind_rank(enum sdr_source_kind k)
{
	switch (k) {
	case SDR_SRC_LOCAL:
		return 0;
	case SDR_SRC_BLOCKLIST:
		return 1;
	case SDR_SRC_FEED:
		return 2;
	default:
		return 3;
	}
}

/* a domain's verdict and the answer that decided it */
struct decided {
	int n;				/* domains with a verdict */
	int ans[SDR_MAX_ANSWERS];	/* per domain: the deciding answer */
};

/* nanswers - r's answer count, whatever the caller left in it */
static int
nanswers(const struct sdr_result *r)
{
	if (r->nanswers < 0)
		return 0;
	return r->nanswers > SDR_MAX_ANSWERS ? SDR_MAX_ANSWERS : r->nanswers;
}

/* listed - is answer i a usable listing? */
static int
listed(const struct sdr_answer *a)
{
	return a->status == SDR_ANS_LISTED && verdict_ok((int)a->verdict);
}

/* worse - does answer i decide before answer j (verdict, kind, order)? */
static int
worse(const struct sdr_result *r, int i, int j)
{
	const struct sdr_answer *a = &r->answers[i], *b = &r->answers[j];

	if (a->verdict != b->verdict)
		return a->verdict < b->verdict;
	if (kind_rank(a->kind) != kind_rank(b->kind))
		return kind_rank(a->kind) < kind_rank(b->kind);
	return i < j;
}

/* decide - rule 1: each domain's verdict; d->ans sorted worst first (rules 2 and 5) */
static void
decide(const struct sdr_result *r, struct decided *d)
{
	int n = nanswers(r);

	d->n = 0;
	for (int i = 0; i < n; i++) {
		const struct sdr_answer *a = &r->answers[i];
		int k;

		if (!listed(a))
			continue;
		for (k = 0; k < d->n; k++)
			if (strncmp(r->answers[d->ans[k]].domain, a->domain, sizeof(a->domain)) == 0)
				break;
		if (k == d->n) {
			d->ans[d->n++] = i;
			continue;
		}
		{
			const struct sdr_answer *cur = &r->answers[d->ans[k]];
			int a_local = a->kind == SDR_SRC_LOCAL, c_local = cur->kind == SDR_SRC_LOCAL;

			/* the local table overrides every other source for its domain */
			if (a_local != c_local) {
				if (a_local)
					d->ans[k] = i;
			} else if (worse(r, i, d->ans[k]))
				d->ans[k] = i;
		}
	}
	/* insertion sort, at most SDR_MAX_ANSWERS entries */
	for (int i = 1; i < d->n; i++) {
		int v = d->ans[i], j = i;

		while (j > 0 && worse(r, v, d->ans[j - 1])) {
			d->ans[j] = d->ans[j - 1];
			j--;
		}
		d->ans[j] = v;
	}
}

/* days_since - whole days from reg to now, 0 when reg is later; no overflow whatever they hold */
static long
days_since(int64_t reg, int64_t now)
{
	uint64_t d;

	if (reg >= now)
		return 0;
	d = ((uint64_t)now - (uint64_t)reg) / 86400;
	return d > (uint64_t)LONG_MAX ? LONG_MAX : (long)d;
}

/* youngest - index of the most recent RDAP registration, -1 if none */
static int
youngest(const struct sdr_result *r)
{
	int n = nanswers(r), best = -1;

	for (int i = 0; i < n; i++)
		if (r->answers[i].status == SDR_ANS_AGE &&
		    (best < 0 || r->answers[i].registered > r->answers[best].registered))
			best = i;
	return best;
}

/* sdr_consolidate - the verdict of r->answers (rules at the top of this file) */
void
sdr_consolidate(struct sdr_result *r, time_t now)
{
	struct decided d;
	int n = nanswers(r), lookups = 0, errors = 0, y;
	size_t off = 0;

	r->unscannable = 0;
	r->verdict = SDR_UNKNOWN;
	str_copy(r->category, "N/A", sizeof(r->category));
	str_copy(r->suspected, "N/A", sizeof(r->suspected));
	for (int i = 0; i < n; i++) {
		const struct sdr_answer *a = &r->answers[i];

		/* rule 3: a domain missing from the local table is no answer */
		if (a->kind == SDR_SRC_LOCAL && a->status != SDR_ANS_LISTED)
			continue;
		lookups++;
		errors += a->status == SDR_ANS_ERROR;
	}
	/* rule 6; age_domain is left alone when no age is known (the caller's fallback) */
	y = youngest(r);
	r->age_days = -1;
	if (y >= 0) {
		time_t reg = r->answers[y].registered;

		r->age_days = days_since((int64_t)reg, (int64_t)now);
		str_copy(r->age_domain, r->answers[y].domain, sizeof(r->age_domain));
	}
	/* rule 4 */
	if (lookups > 0 && errors == lookups) {
		r->unscannable = 1;
		return;
	}
	decide(r, &d);
	if (d.n == 0) {
		r->verdict = lookups > errors ? SDR_NEUTRAL : SDR_UNKNOWN;
		return;
	}
	/* rule 2 */
	{
		const struct sdr_answer *a = &r->answers[d.ans[0]];

		r->verdict = a->verdict;
		if (a->verdict < SDR_NEUTRAL && a->category[0] != '\0')
			sdr_safe_text(a->category, sizeof(a->category), r->category,
			    sizeof(r->category));
	}
	/* rule 5: worst first; a list that would not fit ends with "..." */
	for (int k = 0; k < d.n; k++) {
		const struct sdr_answer *a = &r->answers[d.ans[k]];
		size_t len = strnlen(a->domain, sizeof(a->domain));

		if (a->verdict >= SDR_NEUTRAL)
			break;
		if (off + 2 + len + 6 > sizeof(r->suspected)) {
			str_copy(r->suspected + off, off ? ", ..." : "...", sizeof(r->suspected) - off);
			break;
		}
		if (off > 0) {
			memcpy(r->suspected + off, ", ", 2);
			off += 2;
		}
		sdr_safe_text(a->domain, len, r->suspected + off, len + 1);
		off += strlen(r->suspected + off);
	}
}

/* ================================================================ log lines */

/* sdr_age_text - "1 day", "21 days", "6 months 29 days", "2 years 3 months", "unknown" */
const char *
sdr_age_text(long days, char *buf, size_t size)
{
	long part[3];
	static const char *const unit[3] = { "year", "month", "day" };
	size_t off = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (days < 0) {
		str_copy(buf, "unknown", size);
		return buf;
	}
	if (days == 0) {
		str_copy(buf, "0 days", size);
		return buf;
	}
	/* months of 30 days and years of 365, as seed 003 counts "6 months 29 days" */
	part[0] = days / 365;
	part[1] = days % 365 / 30;
	part[2] = days % 365 % 30;
	for (int i = 0; i < 3; i++) {
		int w;

		if (part[i] == 0)
			continue;
		w = snprintf(buf + off, size - off, "%s%ld %s%s", off ? " " : "", part[i], unit[i],
		    part[i] == 1 ? "" : "s");
		if (w < 0 || (size_t)w >= size - off) {
			buf[off] = '\0';	/* whole parts only */
			break;
		}
		off += (size_t)w;
	}
	return buf;
}

/* sdr_log_domains - "SDR: Domains for which SDR is requested: ..." */
const char *
sdr_log_domains(const struct sdr_inputs *in, char *buf, size_t size)
{
	char d[SDR_NINPUTS][SDR_DOMAIN_MAX + 1];

	for (int i = 0; i < SDR_NINPUTS; i++)
		sdr_safe_text(in->dom[i][0] ? in->dom[i] : "Not Present", SDR_DOMAIN_MAX + 1, d[i],
		    sizeof(d[i]));
	snprintf(buf, size, "SDR: Domains for which SDR is requested: %s: %s, %s: %s, %s: %s, "
	    "%s: %s, %s: %s", input_names[0], d[0], input_names[1], d[1], input_names[2], d[2],
	    input_names[3], d[3], input_names[4], d[4]);
	return buf;
}

/* sdr_log_verdict - "SDR: Consolidated Sender Reputation: ..." */
const char *
sdr_log_verdict(const struct sdr_result *r, char *buf, size_t size)
{
	char age[64], dom[SDR_DOMAIN_MAX + 1], cat[SDR_CATEGORY_MAX + 1], sus[sizeof(r->suspected)];
	int unsc = r->unscannable;

	/* seed 003 always names a domain: "unknown for domain: owner@xxx.ca" */
	sdr_safe_text(r->age_domain[0] ? r->age_domain : "Not Present", sizeof(r->age_domain), dom,
	    sizeof(dom));
	sdr_safe_text(!unsc && r->category[0] ? r->category : "N/A", sizeof(r->category), cat,
	    sizeof(cat));
	sdr_safe_text(!unsc && r->suspected[0] ? r->suspected : "N/A", sizeof(r->suspected), sus,
	    sizeof(sus));
	sdr_age_text(r->age_days, age, sizeof(age));
	snprintf(buf, size, "SDR: Consolidated Sender Reputation: %s, Threat Category: %s, "
	    "Suspected Domain(s) : %s. Youngest Domain Age: %s for domain: %s",
	    unsc ? "Unscannable" : sdr_verdict_name(r->verdict), cat, sus, age, dom);
	return buf;
}

/* ================================================================ tracker token */

/*
 * The token (version 1), before base64url without padding:
 *   'S' 'D' version(1) time(8, big endian, signed) total(1)
 *   ndomains(1) { len(1) bytes }...
 *   nsources(1) { kind(1) len(1) bytes }...
 *   nrecords(1) { domain(1) source(1) status(1) verdict(1)
 *                 len(1) category  len(1) detail  [registered(8) if AGE] }...
 *   crc32(4, big endian, IEEE 802.3, of everything before)
 * total is how many answers the message had; records are the ones that
 * fit in TRACKER_RAW_MAX, chosen by what mattered to the verdict.
 */

/* crc32 - IEEE 802.3 CRC (as zlib's crc32), bit by bit: no table, no state */
static uint32_t
crc32_ieee(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
	}
	return c ^ 0xFFFFFFFFu;
}

/* a byte writer with a hard end */
struct wbuf {
	unsigned char *p;	/* the bytes */
	size_t n;		/* used */
	size_t max;		/* capacity */
	int overflow;		/* something did not fit */
};

/* put - append n bytes */
static void
put(struct wbuf *w, const void *s, size_t n)
{
	if (w->overflow || n > w->max - w->n) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->n, s, n);
	w->n += n;
}

/* put_u8 - append one byte */
static void
put_u8(struct wbuf *w, unsigned int v)
{
	unsigned char b = (unsigned char)v;

	put(w, &b, 1);
}

/* put_i64 - append a signed 64-bit number, big endian */
static void
put_i64(struct wbuf *w, int64_t v)
{
	unsigned char b[8];
	uint64_t u = (uint64_t)v;

	for (int i = 7; i >= 0; i--) {
		b[i] = (unsigned char)(u & 0xFF);
		u >>= 8;
	}
	put(w, b, 8);
}

/* put_str - a length byte and the string, cut at max bytes */
static void
put_str(struct wbuf *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put_u8(w, (unsigned int)n);
	put(w, s, n);
}

/* source_is - same kind and name? */
static int
source_is(const struct sdr_answer *a, const struct sdr_answer *b)
{
	return a->kind == b->kind && strncmp(a->source, b->source, sizeof(a->source)) == 0;
}

/* tracker_priority - 0 decided the verdict or the age, then listings, ages, clean, errors */
static int
tracker_priority(const struct sdr_result *r, const struct decided *d, int y, int i)
{
	const struct sdr_answer *a = &r->answers[i];

	if (i == y)
		return 0;
	for (int k = 0; k < d->n; k++)
		if (d->ans[k] == i)
			return 0;
	switch (a->status) {
	case SDR_ANS_LISTED:
		return 1;
	case SDR_ANS_AGE:
	case SDR_ANS_NOAGE:
		return 2;
	case SDR_ANS_CLEAN:
		return 3;
	default:
		return 4;
	}
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* sdr_tracker_encode - every answer of r as a base64url token; NULL if buf is too small */
const char *
sdr_tracker_encode(const struct sdr_result *r, time_t when, char *buf, size_t size)
{
	unsigned char raw[TRACKER_RAW_MAX];
	struct wbuf w = { raw, 0, sizeof(raw), 0 };
	struct decided d;
	int n = nanswers(r), y, order[SDR_MAX_ANSWERS], keep[SDR_MAX_ANSWERS] = { 0 };
	int dom_of[SDR_MAX_ANSWERS], src_of[SDR_MAX_ANSWERS], ndom = 0, nsrc = 0, nrec = 0;
	int dom_first[SDR_MAX_ANSWERS], src_first[SDR_MAX_ANSWERS];
	size_t budget, used, o = 0;
	uint32_t crc;

	if (size < 2)
		return NULL;
	/* n bytes take ceil(4n/3) characters */
	budget = size - 1 > TRACKER_RAW_MAX * 4 / 3 ? TRACKER_RAW_MAX : (size - 1) * 3 / 4;
	/* magic, version, time, total, three counts, crc */
	used = 2 + 1 + 8 + 1 + 3 + 4;
	if (used > budget)
		return NULL;
	decide(r, &d);
	y = youngest(r);
	/* answers by what they meant to the verdict, stable */
	for (int i = 0; i < n; i++) {
		int j = i, pi = tracker_priority(r, &d, y, i);

		while (j > 0 && tracker_priority(r, &d, y, order[j - 1]) > pi) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (int k = 0; k < n; k++) {
		int i = order[k], di = -1, si = -1;
		const struct sdr_answer *a = &r->answers[i];
		size_t cost = 4 + 1 + strnlen(a->category, sizeof(a->category)) + 1 +
		    strnlen(a->detail, sizeof(a->detail)) + (a->status == SDR_ANS_AGE ? 8 : 0);

		for (int t = 0; t < ndom; t++)
			if (strncmp(r->answers[dom_first[t]].domain, a->domain, sizeof(a->domain)) == 0)
				di = t;
		for (int t = 0; t < nsrc; t++)
			if (source_is(&r->answers[src_first[t]], a))
				si = t;
		if (di < 0)
			cost += 1 + strnlen(a->domain, sizeof(a->domain));
		if (si < 0)
			cost += 2 + strnlen(a->source, sizeof(a->source));
		if ((int)a->status < SDR_ANS_LISTED || a->status > SDR_ANS_ERROR ||
		    (int)a->kind < SDR_SRC_LOCAL || a->kind > SDR_SRC_FEED || used + cost > budget)
			continue;
		used += cost;
		if (di < 0) {
			di = ndom;
			dom_first[ndom++] = i;
		}
		if (si < 0) {
			si = nsrc;
			src_first[nsrc++] = i;
		}
		dom_of[i] = di;
		src_of[i] = si;
		keep[i] = 1;
		nrec++;
	}
	put_u8(&w, TRACKER_MAGIC0);
	put_u8(&w, TRACKER_MAGIC1);
	put_u8(&w, TRACKER_VERSION);
	put_i64(&w, (int64_t)when);
	put_u8(&w, (unsigned int)n);
	put_u8(&w, (unsigned int)ndom);
	for (int t = 0; t < ndom; t++)
		put_str(&w, r->answers[dom_first[t]].domain, SDR_DOMAIN_MAX);
	put_u8(&w, (unsigned int)nsrc);
	for (int t = 0; t < nsrc; t++) {
		put_u8(&w, (unsigned int)r->answers[src_first[t]].kind);
		put_str(&w, r->answers[src_first[t]].source, SDR_SOURCE_MAX);
	}
	put_u8(&w, (unsigned int)nrec);
	for (int i = 0; i < n; i++) {
		const struct sdr_answer *a = &r->answers[i];

		if (!keep[i])
			continue;
		put_u8(&w, (unsigned int)dom_of[i]);
		put_u8(&w, (unsigned int)src_of[i]);
		put_u8(&w, (unsigned int)a->status);
		put_u8(&w, verdict_ok((int)a->verdict) ? (unsigned int)a->verdict : SDR_UNKNOWN);
		put_str(&w, a->category, SDR_CATEGORY_MAX);
		put_str(&w, a->detail, sizeof(a->detail) - 1);
		if (a->status == SDR_ANS_AGE)
			put_i64(&w, (int64_t)a->registered);
	}
	crc = crc32_ieee(raw, w.n);
	for (int s = 24; s >= 0; s -= 8)
		put_u8(&w, (crc >> s) & 0xFF);
	if (w.overflow)
		return NULL;	/* the budget above makes this impossible */
	/* base64url, no padding (RFC 4648 5) */
	for (size_t i = 0; i < w.n; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16;
		size_t left = w.n - i;

		if (left > 1)
			v |= (uint32_t)raw[i + 1] << 8;
		if (left > 2)
			v |= raw[i + 2];
		buf[o++] = b64url[v >> 18 & 63];
		buf[o++] = b64url[v >> 12 & 63];
		if (left > 1)
			buf[o++] = b64url[v >> 6 & 63];
		if (left > 2)
			buf[o++] = b64url[v & 63];
	}
	buf[o] = '\0';
	return buf;
}

/* a byte reader; any read past the end sets bad */
struct rbuf {
	const unsigned char *p;	/* the bytes */
	size_t n;		/* how many */
	size_t off;		/* read so far */
	int bad;		/* a read went past the end */
};

/* get - n bytes, or NULL past the end */
static const unsigned char *
get(struct rbuf *b, size_t n)
{
	const unsigned char *p;

	if (b->bad || n > b->n - b->off) {
		b->bad = 1;
		return NULL;
	}
	p = b->p + b->off;
	b->off += n;
	return p;
}

/* get_u8 - one byte, 0 past the end */
static unsigned int
get_u8(struct rbuf *b)
{
	const unsigned char *p = get(b, 1);

	return p ? *p : 0;
}

/* get_i64 - a signed big-endian 64-bit number */
static int64_t
get_i64(struct rbuf *b)
{
	const unsigned char *p = get(b, 8);
	uint64_t u = 0;

	if (p == NULL)
		return 0;
	for (int i = 0; i < 8; i++)
		u = u << 8 | p[i];
	return (int64_t)u;
}

/* get_str - a length-prefixed string of at most max bytes, made printable into out[max+1] */
static int
get_str(struct rbuf *b, char *out, size_t max)
{
	unsigned int n = get_u8(b);
	const unsigned char *p;

	out[0] = '\0';
	if (b->bad || n > max)
		return -1;
	p = get(b, n);
	if (p == NULL)
		return -1;
	sdr_safe_text((const char *)p, n, out, max + 1);
	/* a NUL inside would cut the text: refuse it, it is not ours */
	return memchr(p, '\0', n) == NULL ? 0 : -1;
}

/*
 * b64url_decode - strict base64url without padding: -1 on a byte outside
 * its alphabet, -2 on a length or spare bits no encoder makes (a cut)
 */
static int
b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (strspn(s, b64url) < n)
		return -1;
	if (n % 4 == 1)
		return -2;
	for (size_t i = 0; i < n; i++) {
		const char *q = s[i] != '\0' ? strchr(b64url, s[i]) : NULL;

		if (q == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(q - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits & 0xFF);
		}
	}
	/* the bits past the last byte must be zero, or two texts would mean one token */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -2;
	*outlen = o;
	return 0;
}

/* a text being written line by line into the caller's buffer */
struct out {
	char *p;		/* buffer */
	size_t size;		/* its size */
	size_t n;		/* used */
	int full;		/* a line did not fit: nothing more is written */
};

/* out_line - append one line, whole or not at all */
static void out_line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
out_line(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (o->full || o->size == 0)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->p + o->n, o->size - o->n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w + 1 >= o->size - o->n) {
		o->p[o->n] = '\0';
		o->full = 1;
		return;
	}
	o->n += (size_t)w;
	o->p[o->n++] = '\n';
	o->p[o->n] = '\0';
}

/* source_label - "local", "blocklist dbl.test", "rdap", "feed NAME" (a source that names its kind already stays) */
static void
source_label(enum sdr_source_kind kind, const char *src, char *out, size_t size)
{
	static const char *const word[] = { "local", "blocklist", "rdap", "feed" };
	const char *w = word[kind];
	size_t wl = strlen(w);

	if (src[0] == '\0' || strcmp(src, w) == 0)
		snprintf(out, size, "%s", w);
	else if (strncmp(src, w, wl) == 0 && src[wl] == ' ')
		snprintf(out, size, "%s", src);
	else
		snprintf(out, size, "%s %s", w, src);
}

/* sdr_tracker_decode - the answers of a token as lines into buf; count, or -1 with *cause */
int
sdr_tracker_decode(const char *token, char *buf, size_t size, char **cause)
{
	unsigned char raw[TRACKER_TEXT_MAX];
	char dom[SDR_MAX_ANSWERS][SDR_DOMAIN_MAX + 1], src[SDR_MAX_ANSWERS][SDR_SOURCE_MAX + 1];
	int kind[SDR_MAX_ANSWERS];
	struct rbuf b = { raw, 0, 0, 0 };
	struct out o = { buf, size, 0, 0 };
	const char *s = token;
	size_t n, rawlen;
	unsigned int total, ndom, nsrc, nrec;
	int64_t when;
	uint32_t crc;

	if (size > 0)
		buf[0] = '\0';
	if (s == NULL)
		s = "";
	while (*s == ' ' || *s == '\t')
		s++;
	n = strnlen(s, TRACKER_TEXT_MAX + 1);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0) {
		sdr_set_cause(cause, "no tracker token given");
		return -1;
	}
	if (n > TRACKER_TEXT_MAX) {
		sdr_set_cause(cause, "not a tracker token of this gateway: longer than %d "
		    "characters", TRACKER_TEXT_MAX);
		return -1;
	}
	switch (b64url_decode(s, n, raw, &rawlen)) {
	case -1:
		sdr_set_cause(cause, "not a tracker token of this gateway: it holds characters "
		    "other than A-Z a-z 0-9 - _ (damaged, or from another product)");
		return -1;
	case -2:
		sdr_set_cause(cause, "tracker token damaged or cut (%zu characters is not a whole "
		    "token): copy the whole token from the Tracker Header line", n);
		return -1;
	}
	b.n = rawlen;
	if (rawlen < 2 || raw[0] != TRACKER_MAGIC0 || raw[1] != TRACKER_MAGIC1) {
		sdr_set_cause(cause, "not a tracker token of this gateway (damaged, or from "
		    "another product)");
		return -1;
	}
	if (rawlen >= 3 && raw[2] != TRACKER_VERSION) {
		sdr_set_cause(cause, "tracker token version %u is not one this gateway reads "
		    "(it reads version %d)", raw[2], TRACKER_VERSION);
		return -1;
	}
	if (rawlen < 2 + 1 + 8 + 1 + 3 + 4) {
		sdr_set_cause(cause, "tracker token cut short: only %zu bytes", rawlen);
		return -1;
	}
	crc = (uint32_t)raw[rawlen - 4] << 24 | (uint32_t)raw[rawlen - 3] << 16 |
	    (uint32_t)raw[rawlen - 2] << 8 | raw[rawlen - 1];
	if (crc32_ieee(raw, rawlen - 4) != crc) {
		sdr_set_cause(cause, "tracker token damaged or cut (checksum mismatch): copy the "
		    "whole token from the Tracker Header line");
		return -1;
	}
	b.n = rawlen - 4;
	b.off = 3;
	when = get_i64(&b);
	total = get_u8(&b);
	ndom = get_u8(&b);
	if (ndom > SDR_MAX_ANSWERS)
		goto bad;
	for (unsigned int t = 0; t < ndom; t++)
		if (get_str(&b, dom[t], SDR_DOMAIN_MAX) < 0)
			goto bad;
	nsrc = get_u8(&b);
	if (nsrc > SDR_MAX_ANSWERS)
		goto bad;
	for (unsigned int t = 0; t < nsrc; t++) {
		kind[t] = (int)get_u8(&b);
		if (kind[t] > SDR_SRC_FEED || get_str(&b, src[t], SDR_SOURCE_MAX) < 0)
			goto bad;
	}
	nrec = get_u8(&b);
	if (b.bad || nrec > SDR_MAX_ANSWERS || nrec > total)
		goto bad;
	for (unsigned int k = 0; k < nrec; k++) {
		unsigned int di = get_u8(&b), si = get_u8(&b), st = get_u8(&b), v = get_u8(&b);
		char cat[SDR_CATEGORY_MAX + 1], det[128], label[SDR_SOURCE_MAX + 16], age[64];
		char day[32];

		if (get_str(&b, cat, SDR_CATEGORY_MAX) < 0 || get_str(&b, det, sizeof(det) - 1) < 0 ||
		    di >= ndom || si >= nsrc || st > SDR_ANS_ERROR || v >= SDR_NVERDICTS)
			goto bad;
		source_label((enum sdr_source_kind)kind[si], src[si], label, sizeof(label));
		switch (st) {
		case SDR_ANS_LISTED:
			out_line(&o, "%s  %s: %s%s%s%s%s%s", dom[di], label, det, det[0] ? " -> " : "",
			    verdict_names[v], cat[0] ? " (" : "", cat, cat[0] ? ")" : "");
			break;
		case SDR_ANS_CLEAN:
			out_line(&o, "%s  %s: not listed%s%s%s", dom[di], label, det[0] ? " (" : "",
			    det, det[0] ? ")" : "");
			break;
		case SDR_ANS_AGE: {
			int64_t reg = get_i64(&b);
			time_t t = (time_t)reg;
			struct tm tm;

			if (b.bad)
				goto bad;
			if (gmtime_r(&t, &tm) == NULL ||
			    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
				str_copy(day, "?", sizeof(day));
			sdr_age_text(days_since(reg, when), age, sizeof(age));
			out_line(&o, "%s  %s: registered %s (%s)", dom[di], label, day, age);
			break;
		}
		case SDR_ANS_NOAGE:
			out_line(&o, "%s  %s: no registration date%s%s%s", dom[di], label,
			    det[0] ? " (" : "", det, det[0] ? ")" : "");
			break;
		default:
			out_line(&o, "%s  %s: no answer%s%s%s", dom[di], label, det[0] ? " (" : "",
			    det, det[0] ? ")" : "");
			break;
		}
	}
	if (b.bad || b.off != b.n)
		goto bad;
	if (total > nrec)
		out_line(&o, "%u more answer%s not recorded", total - nrec,
		    total - nrec == 1 ? "" : "s");
	return (int)nrec;
bad:
	if (size > 0)
		buf[0] = '\0';
	sdr_set_cause(cause, "tracker token damaged: its checksum matches but its records do not "
	    "parse (not made by this gateway)");
	return -1;
}
