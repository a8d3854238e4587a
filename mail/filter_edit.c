/*
 * filter_edit.c - the header actions of a filter outcome: insert-header
 * (the new header goes first, as AsyncOS puts it), strip-header (every
 * occurrence, folded lines included), edit-header-text (a regex
 * substitution on each occurrence's unfolded value, written back as one
 * header).
 *
 * Only the header section is rebuilt, once per action; the body is
 * copied once at the end. Values written are kept on lines of at most
 * 998 bytes (RFC 5322 2.1.1: folded at white space, or at a character
 * boundary with a space added when a line has none) and CR or LF in a
 * value becomes a space, so a value never starts a header of its own.
 * An edited value is bounded by EDIT_VALUE_MAX, the growth of the header
 * section by EDIT_GROWTH_MAX: an action past that changes nothing.
 *
 * All regex matches of one filter_edit_headers call share one budget
 * (FILTER_RE_BUDGET, filter_rx_match): once it is spent, edits change
 * nothing.
 *
 * DIAGNOSTICS: none; an action that cannot apply (bad header name, a
 * regex that no longer compiles) is skipped. Allocation failure aborts.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/filter.h"
#include "mail/filter_int.h"
#include "mail/header.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

#define LINE_MAX_OUT 998		/* RFC 5322 2.1.1, without CRLF */
#define EDIT_VALUE_MAX (HEADER_MAX_LEN / 2)	/* an edited value */
#define EDIT_GROWTH_MAX (4 * 1024 * 1024)	/* header section growth by edits */

/* The header section being edited. */
struct hedit {
	struct buf w;			/* the current header section */
	const char *eol;		/* "\r\n", or "\n" for a bare-LF message */
	size_t max;			/* w's size limit */
};

/* add_folded - "Name: value" with eol, folded at white space so no line passes 998 bytes */
static int
add_folded(struct buf *b, const char *name, size_t nlen, const char *value, const char *eol)
{
	struct buf line;
	size_t pos = 0, n;
	int pre = 0, rc = 0;

	buf_init(&line, 0);
	buf_add(&line, name, nlen);
	buf_addstr(&line, ": ");
	for (const char *v = value; *v; v++)
		buf_addch(&line, *v == '\r' || *v == '\n' ? ' ' : *v);
	n = line.len;
	while (rc == 0 && n - pos + (size_t)pre > LINE_MAX_OUT) {
		size_t lim = LINE_MAX_OUT - (size_t)pre, cut = 0, i;

		for (i = pos + lim; i > pos; i--) {
			if (line.data[i] == ' ' || line.data[i] == '\t') {
				cut = i;
				break;
			}
		}
		/* a line of white space alone would not carry the fold */
		if (cut > 0) {
			for (i = pos; i < cut && (line.data[i] == ' ' || line.data[i] == '\t'); i++)
				;
			if (i == cut)
				cut = 0;
		}
		if (pre)
			rc |= buf_addch(b, ' ');
		if (cut > 0) {
			rc |= buf_add(b, line.data + pos, cut - pos);
			pre = 0;
		} else {
			/* no white space to fold at: break at a character boundary, add one */
			cut = pos + lim;
			while (cut > pos + 1 && ((unsigned char)line.data[cut] & 0xC0) == 0x80)
				cut--;
			rc |= buf_add(b, line.data + pos, cut - pos);
			pre = 1;
		}
		rc |= buf_addstr(b, eol);
		pos = cut;
	}
	if (pre)
		rc |= buf_addch(b, ' ');
	rc |= buf_add(b, line.data + pos, n - pos);
	rc |= buf_addstr(b, eol);
	buf_free(&line);
	return rc ? -1 : 0;
}

/*
 * expand - append the replacement r for the match whose ovector is ov:
 * \N and $N (one digit) and ${N} are group N, \\ and $$ a backslash and
 * a dollar; anything else is itself
 */
static int
expand(struct buf *o, const char *r, const char *s, const PCRE2_SIZE *ov, int ngroups)
{
	int rc = 0;

	for (size_t i = 0; r[i] && rc == 0; i++) {
		int g = -1;

		if ((r[i] == '\\' || r[i] == '$') && isdigit((unsigned char)r[i + 1])) {
			g = r[i + 1] - '0';
			i++;
		} else if (r[i] == '$' && r[i + 1] == '{' && isdigit((unsigned char)r[i + 2])) {
			size_t j = i + 2;
			int v = 0;

			while (isdigit((unsigned char)r[j]) && v < 100)
				v = v * 10 + (r[j++] - '0');
			if (r[j] == '}') {
				g = v;
				i = j;
			} else {
				rc = buf_addch(o, r[i]);
				continue;
			}
		} else if ((r[i] == '\\' && r[i + 1] == '\\') || (r[i] == '$' && r[i + 1] == '$')) {
			rc = buf_addch(o, r[++i]);
			continue;
		} else {
			rc = buf_addch(o, r[i]);
			continue;
		}
		if (g < ngroups && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] >= ov[2 * g])
			rc = buf_add(o, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
	return rc;
}

/*
 * substitute - every match of re in s replaced: 1 with the result in o, 0
 * no match, or a result longer than o's limit (EDIT_VALUE_MAX), or the
 * regex budget ran out part way: then nothing changes, since a value
 * cut short would erase what followed (a Subject, say). As sed does, an empty match right where the previous match
 * ended is not a match: '(.*)' -> '[TAG] \1' tags a subject once, not
 * once more at its end (AsyncOS's own edit-header-text example).
 */
static int
substitute(const pcre2_code *re, const char *s, size_t n, const char *repl, struct buf *o,
    struct filter_rx *rx)
{
	size_t start = 0, last = 0;
	int matches = 0;

	while (start <= n) {
		int rc = filter_rx_match(rx, re, s, n, start);
		PCRE2_SIZE *ov;

		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(rx->md);
		if (ov[0] < last || ov[1] < ov[0])
			break;		/* \K games: stop rather than loop */
		if (ov[0] == ov[1] && matches > 0 && ov[0] == last) {
			/* empty, just after the previous match: step over one character */
			if (ov[1] >= n)
				break;
			start = ov[1] + 1;
			while (start < n && ((unsigned char)s[start] & 0xC0) == 0x80)
				start++;
			continue;
		}
		matches++;
		buf_add(o, s + last, ov[0] - last);
		expand(o, repl, s, ov, rc == 0 ? FILTER_RE_GROUPS : rc);
		last = ov[1];
		if (o->toobig)
			break;
		if (ov[1] > ov[0]) {
			start = ov[1];
		} else {
			/* an empty match: step over one character */
			if (ov[1] >= n)
				break;
			start = ov[1] + 1;
			while (start < n && ((unsigned char)s[start] & 0xC0) == 0x80)
				start++;
		}
	}
	if (matches == 0 || o->toobig || rx->exhausted)
		return 0;
	if (last < n)
		buf_add(o, s + last, n - last);
	return o->toobig ? 0 : 1;
}

struct hspan {
	size_t start, end;		/* the whole header, its line ends included */
	const char *name;
	size_t nlen;
	const char *value;
	size_t vlen;
};

struct hspans {
	const char *base;
	size_t len;
	struct hspan *v;
	int n;
};

/* span_cb - header_walk callback: where each header lies */
static int
span_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct hspans *hs = arg;
	struct hspan *s = &hs->v[hs->n++];
	size_t end = (size_t)(value + vlen - hs->base);

	if (end < hs->len && hs->base[end] == '\r')
		end++;
	if (end < hs->len && hs->base[end] == '\n')
		end++;
	s->start = (size_t)(name - hs->base);
	s->end = end;
	s->name = name;
	s->nlen = nlen;
	s->value = value;
	s->vlen = vlen;
	return 0;
}

/* valid_name - a usable header name (actions may come from anywhere) */
static int
valid_name(const char *name)
{
	return name != NULL && syntax_field_name(name);
}

/*
 * edit_one - strip (repl == NULL, re == NULL) or edit every header named
 * name in h->w; the number of headers changed (0: h->w untouched)
 */
static int
edit_one(struct hedit *h, const char *name, const pcre2_code *re, const char *repl,
    struct filter_rx *rx)
{
	struct hspans hs = { h->w.data, h->w.len, NULL, 0 };
	struct buf nw, out;
	size_t off, last = 0;
	int changed = 0;

	hs.v = xcalloc(HEADER_MAX_COUNT + 1, sizeof(*hs.v));
	header_walk(h->w.data, h->w.len, span_cb, &hs, &off);
	buf_init(&nw, h->max);
	buf_init(&out, EDIT_VALUE_MAX);
	for (int i = 0; i < hs.n; i++) {
		struct hspan *s = &hs.v[i];

		if (!filter_hname_eq(s->name, s->nlen, name))
			continue;
		if (re != NULL) {
			char *v = xmalloc(s->vlen + 1);
			size_t vn = header_unfold(s->value, s->vlen, v, s->vlen + 1);
			int hit;

			buf_reset(&out);
			buf_addstr(&out, "");
			hit = substitute(re, v, vn, repl, &out, rx);
			free(v);
			if (!hit)
				continue;
		}
		buf_add(&nw, h->w.data + last, s->start - last);
		if (re != NULL)
			add_folded(&nw, s->name, s->nlen, out.data, h->eol);
		last = s->end;
		changed++;
	}
	if (changed > 0) {
		buf_add(&nw, h->w.data + last, h->w.len - last);
		if (nw.toobig) {
			changed = 0;	/* too big: this action changes nothing */
		} else {
			buf_free(&h->w);
			h->w = nw;
			buf_init(&nw, 0);
		}
	}
	buf_free(&nw);
	buf_free(&out);
	free(hs.v);
	return changed;
}

/* insert_one - insert-header: "Name: value" first */
static int
insert_one(struct hedit *h, const char *name, const char *value)
{
	struct buf nw;

	buf_init(&nw, h->max);
	if (add_folded(&nw, name, strlen(name), value ? value : "", h->eol) < 0 ||
	    buf_add(&nw, h->w.data, h->w.len) < 0) {
		buf_free(&nw);
		return 0;
	}
	buf_free(&h->w);
	h->w = nw;
	return 1;
}

/* edit_regex - compile an edit-header-text regex as filter_parse does; NULL if it does not */
static pcre2_code *
edit_regex(const char *pat)
{
	char msg[160];

	return filter_re_compile(pat, msg, sizeof(msg));
}

/*
 * blank_before - did the header section msg[0..body) end with the empty
 * line? Not when header_walk stopped at a line that is no header (a body
 * without the empty line, Postfix-style, or one that starts with white
 * space): a header put first would then take that line for its own
 * continuation, or for a header, and the message would change shape.
 */
static int
blank_before(const char *msg, size_t body)
{
	size_t k;

	if (body == 0 || msg[body - 1] != '\n')
		return 0;
	k = body - 1;
	if (k > 0 && msg[k - 1] == '\r')
		k--;
	return k == 0 || msg[k - 1] == '\n';
}

/* filter_edit_headers - apply the header actions of an outcome */
int
filter_edit_headers(const struct filter_outcome *out, const char *msg, size_t len,
    char **res, size_t *rlen)
{
	struct hedit h;
	struct filter_rx rx;
	const char *nl;
	size_t body;
	int changes = 0, walked;

	*res = NULL;
	*rlen = 0;
	if (msg == NULL)
		msg = "";
	walked = header_walk(msg, len, NULL, NULL, &body);
	nl = memchr(msg, '\n', body);
	h.eol = nl != NULL && (nl == msg || nl[-1] != '\r') ? "\n" : "\r\n";
	h.max = body + EDIT_GROWTH_MAX;
	buf_init(&h.w, 0);
	buf_add(&h.w, msg, body);
	filter_rx_init(&rx);
	for (int i = 0; i < out->nactions && i < FILTER_MAX_ACTIONS; i++) {
		const struct filter_action *a = &out->actions[i];
		pcre2_code *re;

		if (!valid_name(a->a))
			continue;
		switch (a->kind) {
		case FA_INSERT_HEADER:
			changes += insert_one(&h, a->a, a->b);
			break;
		case FA_STRIP_HEADER:
			changes += edit_one(&h, a->a, NULL, NULL, &rx);
			break;
		case FA_EDIT_HEADER:
			if (a->b == NULL || a->c == NULL || (re = edit_regex(a->b)) == NULL)
				break;
			changes += edit_one(&h, a->a, re, a->c, &rx);
			pcre2_code_free(re);
			break;
		default:
			break;
		}
	}
	filter_rx_free(&rx);
	if (changes > 0) {
		/* the body kept as it was, after the empty line it lacked */
		if (walked >= 0 && body < len && !blank_before(msg, body))
			buf_addstr(&h.w, h.eol);
		buf_add(&h.w, msg + body, len - body);
		*rlen = h.w.len;
		*res = buf_steal(&h.w);
	}
	buf_free(&h.w);
	return changes;
}

