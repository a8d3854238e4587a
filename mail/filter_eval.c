/*
 * filter_eval.c - evaluate parsed filters (filter.c) over one message.
 *
 * The message is looked at lazily: the header section is walked and
 * unfolded once, the MIME structure (attachment names, the decoded text
 * of base64 and quoted-printable text parts) is walked once, and only
 * when a rule asks. The MIME walk is bounded in depth and parts, the
 * decoded text by FILTER_BODY_MAX. Header values with RFC 2047
 * encoded-words are kept decoded too, and a rule matches either form;
 * attachment names come in every form a mail client may read (filename=,
 * name=, RFC 2231 extended and continued, RFC 2047 words), and attached
 * messages (message/rfc822) are walked like multiparts. Every regex runs
 * under one budget for the whole evaluation (filter_rx_match), PCRE2's
 * match limit and, JIT-compiled, a bounded JIT stack (interpreted: depth
 * and heap limits); one that hits a limit, or runs when the budget is
 * spent, counts as no match, and the outcome says the budget ran out. AND and OR are loops; recursion follows only
 * NOT and parentheses, which the parser bounds.
 *
 * DIAGNOSTICS: none; allocation failure aborts (util/str.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/filter.h"
#include "mail/filter_int.h"
#include "mail/header.h"
#include "mail/rfc2047.h"
#include "util/buf.h"
#include "util/str.h"

#define MIME_DEPTH_MAX 8		/* nested multiparts looked into */
#define MIME_PARTS_MAX 256		/* parts looked at per message */

/* One header of the message, unfolded. */
struct hdr {
	const char *name;
	size_t nlen;
	const char *val;		/* into eval.hbuf, NUL-terminated */
	size_t vlen;
	char *dec;			/* RFC 2047 decoded, malloc'd; NULL: no encoded-word */
	size_t dlen;
};

/* What evaluation has learnt about the message so far. */
struct eval {
	const struct filter_msg *m;
	const char *data;		/* the message ("" when m->data is NULL) */
	size_t len;
	struct filter_rx rx;		/* match data and limits */
	int hdr_done;			/* headers walked */
	int partial;			/* header_walk stopped at a bound */
	struct hdr *hdrs;
	int nhdrs;
	char *hbuf;			/* their unfolded values */
	size_t body_off;
	int mime_done;			/* MIME structure walked */
	int nparts;			/* parts looked at */
	char **names;			/* attachment names */
	int nnames, capnames;
	struct buf text;		/* decoded base64 / quoted-printable text parts */
	int ip_done;
	struct filter_ipnet client;		/* family 0: none */
};

/* re_match - does re match s[0..n)? Errors and limits count as no match. */
static int
re_match(struct eval *e, const pcre2_code *re, const char *s, size_t n)
{
	return filter_rx_match(&e->rx, re, s, n, 0) >= 0;
}

struct hwalk {
	struct eval *e;
	size_t used;
	struct buf tmp;			/* a value being decoded */
};

/* hdr_cb - header_walk callback: keep and unfold each header */
static int
hdr_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct hwalk *w = arg;
	struct eval *e = w->e;
	struct hdr *h = &e->hdrs[e->nhdrs++];

	h->name = name;
	h->nlen = nlen;
	h->val = e->hbuf + w->used;
	h->vlen = header_unfold(value, vlen, e->hbuf + w->used, vlen + 1);
	h->dec = NULL;
	if (memmem(h->val, h->vlen, "=?", 2) != NULL &&
	    rfc2047_decode(h->val, h->vlen, &w->tmp)) {
		h->dlen = w->tmp.len;
		h->dec = buf_steal(&w->tmp);
	}
	w->used += h->vlen + 1;
	return 0;
}

/* headers - walk the header section once */
static void
headers(struct eval *e)
{
	struct hwalk w = { e, 0, { 0 } };
	size_t off;

	if (e->hdr_done)
		return;
	e->hdr_done = 1;
	/* values are never longer unfolded, plus a NUL each */
	header_walk(e->data, e->len, NULL, NULL, &off);
	e->hdrs = xcalloc(HEADER_MAX_COUNT + 1, sizeof(*e->hdrs));
	e->hbuf = xmalloc(off + HEADER_MAX_COUNT + 1);
	buf_init(&w.tmp, 0);
	/* -1: more headers than HEADER_MAX_COUNT, or one too long; the rest is not read */
	if (header_walk(e->data, e->len, hdr_cb, &w, &e->body_off) < 0)
		e->partial = 1;
	buf_free(&w.tmp);
}

/* hdr_match - does re match a header's value, as written or decoded? */
static int
hdr_match(struct eval *e, const pcre2_code *re, const struct hdr *h)
{
	return re_match(e, re, h->val, h->vlen) ||
	    (h->dec != NULL && re_match(e, re, h->dec, h->dlen));
}

/* filter_hname_eq - is the n-byte name equal to want, ignoring case? */
int
filter_hname_eq(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* ---------------------------------------------------------------- MIME */

/* bstr - a buffer's text ("" before anything was added) */
static const char *
bstr(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

/*
 * param_iter - the next "; name=value" parameter of a Content-* value
 * from *pp on: its name in nm[nsize] ("" when longer), its value without
 * quotes and escapes in val; 0 at the end
 */
static int
param_iter(const char **pp, char *nm, size_t nsize, struct buf *val)
{
	const char *p = *pp;

	while (p != NULL && (p = strchr(p, ';')) != NULL) {
		const char *a, *ae;

		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		a = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		ae = p;
		while (ae > a && (ae[-1] == ' ' || ae[-1] == '\t'))
			ae--;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		buf_reset(val);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_addch(val, *p);
			}
		} else {
			for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++)
				buf_addch(val, *p);
		}
		buf_addstr(val, "");
		if ((size_t)(ae - a) < nsize) {
			memcpy(nm, a, (size_t)(ae - a));
			nm[ae - a] = '\0';
		} else {
			nm[0] = '\0';
		}
		*pp = p;
		return 1;
	}
	*pp = NULL;
	return 0;
}

/* param - the plain value of parameter attr (attr=value) into out; 1 found */
static int
param(const char *v, const char *attr, struct buf *out)
{
	char nm[64];

	while (param_iter(&v, nm, sizeof(nm), out))
		if (strcasecmp(nm, attr) == 0)
			return 1;
	return 0;
}

#define PARAM_SECTIONS 64		/* RFC 2231 continuations kept (attr*0 .. attr*63) */

/* pct_decode - append s with %XX decoded */
static void
pct_decode(struct buf *o, const char *s)
{
	int h, l;

	for (; *s; s++) {
		if (*s == '%' && (h = rfc2047_hexval((unsigned char)s[1])) >= 0 &&
		    (l = rfc2047_hexval((unsigned char)s[2])) >= 0) {
			buf_addch(o, (char)(h * 16 + l));
			s += 2;
		} else {
			buf_addch(o, *s);
		}
	}
}

/*
 * param_2231 - parameter attr in RFC 2231's forms: attr*=charset'lang'%XX
 * or the continuations attr*0=, attr*1*= ... (joined in order, the
 * charset of section 0), decoded to UTF-8 into out; 1 found
 */
static int
param_2231(const char *v, const char *attr, struct buf *out)
{
	char *sec[PARAM_SECTIONS] = { 0 };
	int ext[PARAM_SECTIONS] = { 0 }, found = 0, kind = 0;
	size_t alen = strlen(attr);
	char nm[80];
	struct buf val, raw;

	buf_init(&val, 0);
	buf_init(&raw, 0);
	while (param_iter(&v, nm, sizeof(nm), &val)) {
		const char *r = nm + alen;
		char *end;
		long k;

		if (strncasecmp(nm, attr, alen) != 0 || r[0] != '*')
			continue;
		if (r[1] == '\0') {
			k = 0;
			end = (char *)r;	/* attr*= : one extended section */
		} else {
			if (r[1] < '0' || r[1] > '9')
				continue;
			k = strtol(r + 1, &end, 10);
			if (k < 0 || k >= PARAM_SECTIONS || (*end != '\0' &&
			    (end[0] != '*' || end[1] != '\0')))
				continue;
		}
		if (sec[k] != NULL)
			continue;	/* the first of two that claim one section */
		sec[k] = str_dup(bstr(&val));
		ext[k] = *end == '*';
		found = 1;
	}
	for (int k = 0; k < PARAM_SECTIONS; k++) {
		const char *s = sec[k];

		if (s == NULL)
			continue;
		if (k == 0 && ext[0]) {
			const char *q1 = strchr(s, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;

			if (q2 != NULL) {
				kind = rfc2047_charset(s, (size_t)(q1 - s));
				s = q2 + 1;
			}
		}
		if (ext[k])
			pct_decode(&raw, s);
		else
			buf_addstr(&raw, s);
		free(sec[k]);
	}
	buf_reset(out);
	rfc2047_to_utf8(out, bstr(&raw), raw.len, kind);
	buf_addstr(out, "");
	buf_free(&raw);
	buf_free(&val);
	return found;
}

/* A part's Content-* headers, whole (up to HEADER_MAX_LEN, header_walk's bound). */
struct part_hdrs {
	char *type;			/* Content-Type, unfolded (NULL: none) */
	char *disp;			/* Content-Disposition */
	char cte[64];			/* Content-Transfer-Encoding */
};

/* part_cb - header_walk callback for a part */
static int
part_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct part_hdrs *h = arg;
	char **dst = NULL;

	if (filter_hname_eq(name, nlen, "Content-Type"))
		dst = &h->type;
	else if (filter_hname_eq(name, nlen, "Content-Disposition"))
		dst = &h->disp;
	else if (filter_hname_eq(name, nlen, "Content-Transfer-Encoding") && h->cte[0] == '\0')
		header_unfold(value, vlen, h->cte, sizeof(h->cte));
	if (dst != NULL && *dst == NULL) {
		*dst = xmalloc(vlen + 1);
		header_unfold(value, vlen, *dst, vlen + 1);
	}
	return 0;
}

/* add_name - keep one attachment name (once) */
static void
add_name(struct eval *e, const char *name)
{
	if (name[0] == '\0')
		return;
	for (int i = 0; i < e->nnames; i++)
		if (strcmp(e->names[i], name) == 0)
			return;
	if (e->nnames == e->capnames) {
		e->capnames = e->capnames ? e->capnames * 2 : 4;
		e->names = xrealloc(e->names, (size_t)e->capnames * sizeof(*e->names));
	}
	e->names[e->nnames++] = str_dup(name);
}

/* add_names - a name as written and RFC 2047-decoded */
static void
add_names(struct eval *e, const struct buf *name, struct buf *tmp)
{
	add_name(e, bstr(name));
	if (rfc2047_decode(bstr(name), name->len, tmp))
		add_name(e, bstr(tmp));
}

/*
 * part_names - every name a part gives its attachment: filename and
 * name, plain and RFC 2231 (mail clients disagree on which one counts)
 */
static void
part_names(struct eval *e, const struct part_hdrs *h)
{
	struct buf v, tmp;

	buf_init(&v, 0);
	buf_init(&tmp, 0);
	if (h->disp != NULL) {
		if (param(h->disp, "filename", &v))
			add_names(e, &v, &tmp);
		if (param_2231(h->disp, "filename", &v))
			add_names(e, &v, &tmp);
	}
	if (h->type != NULL) {
		if (param(h->type, "name", &v))
			add_names(e, &v, &tmp);
		if (param_2231(h->type, "name", &v))
			add_names(e, &v, &tmp);
	}
	buf_free(&v);
	buf_free(&tmp);
}

/* decode_b64 - append the base64 text s[0..n) decoded (bounded by e->text's limit) */
static void
decode_b64(struct eval *e, const char *s, size_t n)
{
	unsigned int acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v = rfc2047_b64val((unsigned char)s[i]);

		if (v == -2)
			break;
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (buf_addch(&e->text, (char)((acc >> bits) & 0xFF)) < 0)
				return;
		}
	}
}

/* decode_qp - append the quoted-printable text s[0..n) decoded */
static void
decode_qp(struct eval *e, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int h, l;

		if (c == '=' && i + 2 < n && (h = rfc2047_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = rfc2047_hexval((unsigned char)s[i + 2])) >= 0) {
			c = (char)(h * 16 + l);
			i += 2;
		} else if (c == '=' && i + 1 < n && (s[i + 1] == '\n' ||
		    (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n'))) {
			i += s[i + 1] == '\r' ? 2 : 1;	/* a soft line break */
			continue;
		}
		if (buf_addch(&e->text, c) < 0)
			return;
	}
}

/*
 * find_delim - the next line of d[off..len) that starts with "--" b: its
 * offset, or len; *close set when it is the closing "--b--"
 */
static size_t
find_delim(const char *d, size_t off, size_t len, const char *b, size_t blen, int *close)
{
	while (off < len) {
		const char *nl;

		if (len - off >= blen + 2 && d[off] == '-' && d[off + 1] == '-' &&
		    memcmp(d + off + 2, b, blen) == 0) {
			*close = len - off >= blen + 4 && d[off + blen + 2] == '-' &&
			    d[off + blen + 3] == '-';
			return off;
		}
		nl = memchr(d + off, '\n', len - off);
		if (nl == NULL)
			break;
		off = (size_t)(nl - d) + 1;
	}
	*close = 1;
	return len;
}

/* mime_entity - one entity d[0..len): its names, its text, its parts */
static void
mime_entity(struct eval *e, const char *d, size_t len, int depth)
{
	struct part_hdrs h = { 0 };
	struct buf bb;
	const char *type;
	const char *b;
	size_t body, blen;

	if (e->nparts >= MIME_PARTS_MAX)
		return;
	e->nparts++;
	buf_init(&bb, 0);
	header_walk(d, len, part_cb, &h, &body);
	type = h.type != NULL ? h.type : "";
	part_names(e, &h);
	if (strncasecmp(type, "multipart/", 10) == 0) {
		int close = 0;
		size_t off;

		if (depth >= MIME_DEPTH_MAX || !param(type, "boundary", &bb) ||
		    (blen = bb.len) == 0 || blen > 200)
			goto done;
		b = bstr(&bb);
		off = find_delim(d, body, len, b, blen, &close);
		while (!close && off < len) {
			const char *nl = memchr(d + off, '\n', len - off);
			size_t start, end;

			if (nl == NULL)
				break;
			start = (size_t)(nl - d) + 1;
			off = find_delim(d, start, len, b, blen, &close);
			/* the line break before the delimiter belongs to it */
			end = off;
			if (end > start && d[end - 1] == '\n')
				end--;
			if (end > start && d[end - 1] == '\r')
				end--;
			mime_entity(e, d + start, end - start, depth + 1);
		}
	} else if (strncasecmp(type, "message/rfc822", 14) == 0 &&
	    (type[14] == '\0' || type[14] == ';' || type[14] == ' ' || type[14] == '\t')) {
		/* an attached message: its own attachments count (RFC 2046 5.2.1: 7bit, 8bit or binary) */
		if (depth < MIME_DEPTH_MAX && body < len)
			mime_entity(e, d + body, len - body, depth + 1);
	} else if (type[0] == '\0' || strncasecmp(type, "text/", 5) == 0) {
		if (strncasecmp(h.cte, "base64", 6) == 0)
			decode_b64(e, d + body, len - body);
		else if (strncasecmp(h.cte, "quoted-printable", 16) == 0)
			decode_qp(e, d + body, len - body);
		else
			goto done;
		buf_addch(&e->text, '\n');
	}
done:
	buf_free(&bb);
	free(h.type);
	free(h.disp);
}

/* mime - walk the MIME structure once */
static void
mime(struct eval *e)
{
	if (e->mime_done)
		return;
	e->mime_done = 1;
	mime_entity(e, e->data, e->len, 0);
}

/* ---------------------------------------------------------------- rules */

/* ip_in - is a inside network n? */
static int
ip_in(const struct filter_ipnet *a, const struct filter_ipnet *n)
{
	int full = n->bits / 8, rest = n->bits % 8;

	if (a->family != n->family)
		return 0;
	if (memcmp(a->addr, n->addr, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a->addr[full] ^ n->addr[full]) & (0xFF << (8 - rest)) & 0xFF) == 0;
}

/* client_ip - the client's address (an IPv4-mapped IPv6 address as IPv4) */
static const struct filter_ipnet *
client_ip(struct eval *e)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
	char a[64];
	const char *s = e->m->client_ip;
	size_t n;

	if (e->ip_done)
		return &e->client;
	e->ip_done = 1;
	if (s == NULL)
		return &e->client;
	n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(a))
		return &e->client;
	memcpy(a, s, n);
	a[n] = '\0';
	if (filter_ipnet_parse(a, &e->client) < 0 || strchr(a, '/') != NULL) {
		e->client = (struct filter_ipnet){ 0 };
		return &e->client;
	}
	if (e->client.family == AF_INET6 && memcmp(e->client.addr, mapped, 12) == 0) {
		memmove(e->client.addr, e->client.addr + 12, 4);
		e->client.family = AF_INET;
		e->client.bits = 32;
	}
	return &e->client;
}

/* sdr_excepted - does the rule's exception list cover this message? */
static int
sdr_excepted(const struct eval *e, const struct filter_node *n)
{
	return n->str != NULL && n->str[0] != '\0' && e->m->exception != NULL &&
	    e->m->exception(n->str, e->m->arg) == 1;
}

/* age_rule - sdr-age */
static int
age_rule(const struct sdr_result *r, const struct filter_node *n)
{
	long v;

	if (r->unscannable)
		return 0;
	if (n->unit == FAGE_UNKNOWN)
		return r->age_days < 0;
	if (r->age_days < 0)
		return 0;
	switch (n->unit) {
	case FAGE_WEEKS:
		v = r->age_days / 7;
		break;
	case FAGE_MONTHS:
		v = r->age_days / 30;
		break;
	case FAGE_YEARS:
		v = r->age_days / 365;
		break;
	default:
		v = r->age_days;
		break;
	}
	switch (n->op) {
	case FOP_LT:
		return v < n->n;
	case FOP_LE:
		return v <= n->n;
	case FOP_GT:
		return v > n->n;
	case FOP_GE:
		return v >= n->n;
	case FOP_EQ:
		return v == n->n;
	default:
		return v != n->n;
	}
}

/* rule - the truth of one rule (before != is applied) */
static int
rule(struct eval *e, const struct filter_node *n)
{
	const struct filter_msg *m = e->m;
	const struct sdr_result *r = m->sdr;
	const char *s;
	int i;

	switch (n->kind) {
	case FN_SDR_REP:
		return r != NULL && !sdr_excepted(e, n) && !r->unscannable &&
		    (int)r->verdict >= 0 && r->verdict < SDR_NVERDICTS &&
		    (n->verdicts & (1u << r->verdict)) != 0;
	case FN_SDR_AGE:
		return r != NULL && !sdr_excepted(e, n) && age_rule(r, n);
	case FN_SDR_UNSCAN:
		return r != NULL && !sdr_excepted(e, n) && r->unscannable;
	case FN_MAIL_FROM:
		s = m->sender ? m->sender : "";
		return re_match(e, n->re, s, strlen(s));
	case FN_RCPT_TO:
		for (i = 0; i < m->nrcpts; i++)
			if (m->rcpts[i] != NULL && re_match(e, n->re, m->rcpts[i],
			    strlen(m->rcpts[i])))
				return 1;
		return 0;
	case FN_SUBJECT:
		headers(e);
		for (i = 0; i < e->nhdrs; i++)
			if (filter_hname_eq(e->hdrs[i].name, e->hdrs[i].nlen, "Subject"))
				return hdr_match(e, n->re, &e->hdrs[i]);
		return re_match(e, n->re, "", 0);
	case FN_HEADER:
	case FN_HEADER_PRESENT:
		headers(e);
		for (i = 0; i < e->nhdrs; i++)
			if (filter_hname_eq(e->hdrs[i].name, e->hdrs[i].nlen, n->str) &&
			    (n->kind == FN_HEADER_PRESENT ||
			    hdr_match(e, n->re, &e->hdrs[i])))
				return 1;
		return 0;
	case FN_REMOTE_IP:
		return ip_in(client_ip(e), &n->ip);
	case FN_LISTENER:
		return m->listener != NULL && strcasecmp(m->listener, n->str) == 0;
	case FN_BODY:
		headers(e);
		if (e->body_off < e->len && re_match(e, n->re, e->data + e->body_off,
		    e->len - e->body_off > FILTER_BODY_MAX ? FILTER_BODY_MAX :
		    e->len - e->body_off))
			return 1;
		mime(e);
		return e->text.len > 0 && re_match(e, n->re, e->text.data, e->text.len);
	case FN_ATTACH:
		mime(e);
		for (i = 0; i < e->nnames; i++)
			if (re_match(e, n->re, e->names[i], strlen(e->names[i])))
				return 1;
		return 0;
	case FN_DNSLIST:
		return m->dnslist != NULL && m->dnslist(n->str, m->arg) == 1;
	default:
		return 0;
	}
}

/* eval_node - the truth of a condition; recursion only through NOT and parentheses */
static int
eval_node(struct eval *e, const struct filter *f, int i)
{
	const struct filter_node *n = &f->nodes[i];
	int c;

	switch (n->kind) {
	case FN_TRUE:
		return 1;
	case FN_AND:
		for (c = n->first; c >= 0; c = f->nodes[c].next)
			if (!eval_node(e, f, c))
				return 0;
		return 1;
	case FN_OR:
		for (c = n->first; c >= 0; c = f->nodes[c].next)
			if (eval_node(e, f, c))
				return 1;
		return 0;
	case FN_NOT:
		return !eval_node(e, f, n->first);
	default:
		return n->neg ? !rule(e, n) : rule(e, n);
	}
}

/* add_action - append one action; the last slot is kept for a final action */
static void
add_action(struct filter_outcome *out, const struct filter *f, const struct filter_act *a)
{
	struct filter_action *fa;

	if (out->nactions >= FILTER_MAX_ACTIONS ||
	    (out->nactions == FILTER_MAX_ACTIONS - 1 && !filter_action_final(a->kind) && a->kind != FA_SKIP))
		return;
	fa = &out->actions[out->nactions++];
	fa->kind = a->kind;
	fa->filter = f->name;
	fa->a = a->arg[0];
	fa->b = a->arg[1];
	fa->c = a->arg[2];
}

/* filter_eval - run filters over a message */
int
filter_eval(struct filter *const *fs, int n, const struct filter_msg *m,
    struct filter_outcome *out)
{
	struct eval e = { 0 };
	int held = 0;

	if (out->final)
		return 0;
	e.m = m;
	e.data = m->data ? m->data : "";
	e.len = m->data ? m->len : 0;
	buf_init(&e.text, FILTER_BODY_MAX);
	filter_rx_init(&e.rx);
	for (int i = 0; i < n && !out->final; i++) {
		const struct filter *f = fs[i];
		int cond, from, to;

		if (f == NULL || f->root < 0)
			continue;
		cond = eval_node(&e, f, f->root);
		held += cond;
		from = cond ? 0 : f->nthen;
		to = cond ? f->nthen : f->nthen + f->nelse;
		for (int k = from; k < to; k++) {
			add_action(out, f, &f->acts[k]);
			/* skip-filters lets the rest of its own block run */
			if (filter_action_final(f->acts[k].kind) || f->acts[k].kind == FA_SKIP)
				out->final = 1;
		}
	}
	/* the daemon needs to know whether the headers were all read, asked or not */
	if (!e.hdr_done && header_walk(e.data, e.len, NULL, NULL, &e.body_off) < 0)
		e.partial = 1;
	out->partial |= e.partial;
	out->exhausted |= e.rx.exhausted;
	out->re_steps += e.rx.charged;
	filter_rx_free(&e.rx);
	for (int i = 0; i < e.nhdrs; i++)
		free(e.hdrs[i].dec);
	free(e.hdrs);
	free(e.hbuf);
	for (int i = 0; i < e.nnames; i++)
		free(e.names[i]);
	free(e.names);
	buf_free(&e.text);
	return held;
}

