/*
 * filter.c - the message filter language (AsyncOS message and content
 * filters): lexer and recursive-descent parser. See filter.h for the
 * language and the contract; filter_eval.c evaluates, filter_edit.c
 * applies the header actions.
 *
 * Parsing: one token of look-ahead. A condition is a tree kept in one
 * array per filter; AND and OR are n-ary nodes (a chain of a thousand
 * ANDs is one node with a thousand children), so the tree is only as
 * deep as the parentheses and NOTs, which the parser bounds by
 * FILTER_DEPTH_MAX; evaluation recurses no deeper than that. Regular
 * expressions are compiled once, when the filter is parsed (PCRE2,
 * caseless, UTF-8 with invalid input allowed, multi-line).
 *
 * Strings are '...' or "..." on one line; \\, \' and \" are escapes and
 * any other backslash stays as written, so "\d" and "\\d" are the same
 * regex (AsyncOS guides write both).
 *
 * DIAGNOSTICS: filter_parse returns -1 with the line and column (1-based,
 * counted in characters) of the offending token and a one-line message;
 * nothing is returned then. Allocation failure aborts (util/str.c).
 * Nothing here prints.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/filter.h"
#include "mail/filter_int.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

#define LIST_NAME_MAX 63		/* an address list's name (addrlist.h) */
#define QNAME_MAX 63			/* a quarantine's name (filterconf.h) */
#define NUMBER_MAX 1000000		/* sdr-age's N */

/* ================================================================ lexer */

enum tok {
	T_EOF, T_IDENT, T_STRING, T_NUMBER, T_COLON, T_LPAREN, T_RPAREN, T_LBRACE,
	T_RBRACE, T_LBRACK, T_RBRACK, T_COMMA, T_SEMI, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
};

struct token {
	enum tok t;
	size_t start, end;		/* source bytes */
	int line, col;			/* 1-based, of the first byte */
	long num;			/* T_NUMBER */
};

struct parser {
	const char *s;			/* the script */
	size_t len;
	size_t pos;			/* next byte to lex */
	int line, col;			/* of pos */
	struct token tok;		/* the current token */
	struct token prev;		/* the one before (block ends) */
	struct buf sval;		/* a T_STRING's value, NUL-terminated */
	struct filter_error *err;
	int failed;
	struct filter *f;		/* the filter being built */
	int depth;			/* NOT and parentheses open */
	int nitems;			/* nodes and actions of this filter */
	size_t resize;			/* compiled size of this filter's regexes */
};

/* perr - record the first error, at token t; always -1 */
static int __attribute__((format(printf, 3, 4)))
perr(struct parser *p, const struct token *t, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = 1;
	p->err->line = t->line;
	p->err->col = t->col;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* advance - step over one byte, counting lines and characters */
static void
advance(struct parser *p)
{
	unsigned char c = (unsigned char)p->s[p->pos++];

	if (c == '\n') {
		p->line++;
		p->col = 1;
	} else if ((c & 0xC0) != 0x80) {
		p->col++;
	}
}

static int
is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* lex_string - a '...' or "..." literal; \\, \' and \" are escapes, other backslashes stay */
static int
lex_string(struct parser *p)
{
	char q = p->s[p->pos];

	buf_reset(&p->sval);
	buf_addstr(&p->sval, "");
	advance(p);
	for (;;) {
		char c;

		if (p->pos >= p->len || p->s[p->pos] == '\n')
			return perr(p, &p->tok, "unterminated string");
		c = p->s[p->pos];
		if (c == '\0')
			return perr(p, &p->tok, "NUL byte in a string");
		if (c == q) {
			advance(p);
			return 0;
		}
		if (c == '\\' && p->pos + 1 < p->len &&
		    (p->s[p->pos + 1] == '\\' || p->s[p->pos + 1] == '\'' ||
		    p->s[p->pos + 1] == '"')) {
			advance(p);
			c = p->s[p->pos];
		}
		buf_addch(&p->sval, c);
		advance(p);
	}
}

/* next - lex the next token into p->tok; -1 on a lexical error */
static int
next(struct parser *p)
{
	unsigned char c;

	if (p->failed)
		return -1;
	p->prev = p->tok;
	for (;;) {
		if (p->pos >= p->len)
			break;
		c = (unsigned char)p->s[p->pos];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
			advance(p);
		else if (p->pos == 0 && p->len >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
			p->pos = 3;	/* a UTF-8 byte order mark, as editors write */
		else
			break;
	}
	p->tok.start = p->pos;
	p->tok.line = p->line;
	p->tok.col = p->col;
	p->tok.num = 0;
	if (p->pos >= p->len) {
		p->tok.t = T_EOF;
		p->tok.end = p->pos;
		return 0;
	}
	c = (unsigned char)p->s[p->pos];
	if (is_ident_start(c)) {
		while (p->pos < p->len && is_ident_char((unsigned char)p->s[p->pos]))
			advance(p);
		p->tok.t = T_IDENT;
	} else if (isdigit(c)) {
		long v = 0;

		while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos])) {
			if (v <= NUMBER_MAX)
				v = v * 10 + (p->s[p->pos] - '0');
			advance(p);
		}
		if (v > NUMBER_MAX)
			return perr(p, &p->tok, "number too large (at most %d)", NUMBER_MAX);
		p->tok.t = T_NUMBER;
		p->tok.num = v;
	} else if (c == '\'' || c == '"') {
		p->tok.t = T_STRING;
		if (lex_string(p) < 0)
			return -1;
	} else {
		static const struct {
			const char *s;
			enum tok t;
		} punct[] = {
			{ "==", T_EQ }, { "!=", T_NE }, { "<=", T_LE }, { ">=", T_GE },
			{ "<", T_LT }, { ">", T_GT }, { ":", T_COLON }, { "(", T_LPAREN },
			{ ")", T_RPAREN }, { "{", T_LBRACE }, { "}", T_RBRACE }, { "[", T_LBRACK },
			{ "]", T_RBRACK }, { ",", T_COMMA }, { ";", T_SEMI },
		};
		size_t i;

		for (i = 0; i < sizeof(punct) / sizeof(punct[0]); i++) {
			size_t n = strlen(punct[i].s);

			if (p->len - p->pos >= n && memcmp(p->s + p->pos, punct[i].s, n) == 0)
				break;
		}
		if (i == sizeof(punct) / sizeof(punct[0])) {
			if (c == '=')
				return perr(p, &p->tok, "unexpected '=' (comparisons are == and !=)");
			if (c == '\0')
				return perr(p, &p->tok, "unexpected NUL byte");
			if (c > 32 && c < 127)
				return perr(p, &p->tok, "unexpected character '%c'", c);
			return perr(p, &p->tok, "unexpected byte 0x%02X", c);
		}
		for (size_t k = strlen(punct[i].s); k > 0; k--)
			advance(p);
		p->tok.t = punct[i].t;
	}
	p->tok.end = p->pos;
	return 0;
}

/* tok_is - is the current token the identifier word (ignoring case)? */
static int
tok_is(const struct parser *p, const char *word)
{
	size_t n = p->tok.end - p->tok.start;

	return p->tok.t == T_IDENT && strlen(word) == n &&
	    strncasecmp(p->s + p->tok.start, word, n) == 0;
}

/* tok_text - the current token's text, quoted for a message, into buf */
static const char *
tok_text(const struct parser *p, char *buf, size_t size)
{
	if (p->tok.t == T_EOF)
		return "the end of the script";
	snprintf(buf, size, "'%.*s'", (int)(p->tok.end - p->tok.start > 40 ? 40 :
	    p->tok.end - p->tok.start), p->s + p->tok.start);
	return buf;
}

/* expect - the current token must be t: else an error "expected WHAT, found X" */
static int
expect(struct parser *p, enum tok t, const char *what)
{
	char b[64];

	if (p->failed)
		return -1;
	if (p->tok.t != t)
		return perr(p, &p->tok, "expected %s, found %s", what, tok_text(p, b, sizeof(b)));
	return 0;
}

/* expect_next - expect, then step over it */
static int
expect_next(struct parser *p, enum tok t, const char *what)
{
	if (expect(p, t, what) < 0)
		return -1;
	return next(p);
}

/* ================================================================ building */

/* count_item - one more node or action for this filter */
static int
count_item(struct parser *p)
{
	if (++p->nitems > FILTER_MAX_NODES)
		return perr(p, &p->tok, "filter too large: more than %d rules and actions",
		    FILTER_MAX_NODES);
	return 0;
}

/* add_node - a new node of kind in the filter being built; its index */
static int
add_node(struct parser *p, enum filter_node_kind kind)
{
	struct filter *f = p->f;
	struct filter_node *n;

	if (count_item(p) < 0)
		return -1;
	if (f->nnodes == f->capnodes) {
		f->capnodes = f->capnodes ? f->capnodes * 2 : 8;
		f->nodes = xrealloc(f->nodes, (size_t)f->capnodes * sizeof(*f->nodes));
	}
	n = &f->nodes[f->nnodes];
	*n = (struct filter_node){ 0 };
	n->kind = kind;
	n->first = n->next = -1;
	return f->nnodes++;
}

/* filter_re_compile - a regex as every filter rule and action compiles it */
pcre2_code *
filter_re_compile(const char *pat, char *msg, size_t size)
{
	pcre2_compile_context *cc;
	pcre2_code *re;
	int ecode;
	PCRE2_SIZE eoff;
	PCRE2_UCHAR pmsg[160];
	size_t csize = 0, jsize = 0;

	cc = pcre2_compile_context_create(NULL);
	if (cc == NULL) {
		snprintf(msg, size, "cannot allocate a PCRE2 compile context");
		return NULL;
	}
	pcre2_set_newline(cc, PCRE2_NEWLINE_ANYCRLF);
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
	    PCRE2_NEVER_BACKSLASH_C, &ecode, &eoff, cc);
	pcre2_compile_context_free(cc);
	if (re == NULL) {
		if (pcre2_get_error_message(ecode, pmsg, sizeof(pmsg)) < 0)
			str_copy((char *)pmsg, "unknown error", sizeof(pmsg));
		snprintf(msg, size, "%s at offset %zu", (const char *)pmsg, (size_t)eoff);
		return NULL;
	}
	/*
	 * A short pattern can compile to a lot of code ("(?:ab){6000}" is
	 * 14 bytes of source, ~50 KB of code) and JIT compiling it costs
	 * time and memory in proportion: refuse it before JIT sees it.
	 */
	if (pcre2_pattern_info(re, PCRE2_INFO_SIZE, &csize) != 0 || csize > FILTER_RE_SIZE_MAX)
		goto toobig;
	/*
	 * JIT where the platform has it: besides speed, the interpreter
	 * finds the end of the valid UTF-8 run from the start offset at
	 * every call (PCRE2_MATCH_INVALID_UTF), which makes repeated
	 * matches over one subject quadratic; JIT code does not.
	 */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	if (pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &jsize) == 0 && jsize > FILTER_RE_SIZE_MAX)
		goto toobig;
	return re;
toobig:
	pcre2_code_free(re);
	snprintf(msg, size, FILTER_RE_TOOBIG);
	return NULL;
}

/* filter_re_size - a compiled regex's code and JIT code, bytes */
size_t
filter_re_size(const pcre2_code *re)
{
	size_t csize = 0, jsize = 0;

	if (pcre2_pattern_info(re, PCRE2_INFO_SIZE, &csize) != 0)
		csize = 0;
	if (pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &jsize) != 0)
		jsize = 0;
	return csize + jsize;
}

/* filter_rx_init - match data, context and JIT stack with the limits filter regexes run under */
void
filter_rx_init(struct filter_rx *rx)
{
	rx->md = pcre2_match_data_create(FILTER_RE_GROUPS, NULL);
	rx->mc = pcre2_match_context_create(NULL);
	if (rx->md == NULL || rx->mc == NULL) {
		fprintf(stderr, "filter: out of memory\n");
		abort();
	}
	pcre2_set_match_limit(rx->mc, FILTER_RE_MATCH_LIMIT);
	pcre2_set_depth_limit(rx->mc, FILTER_RE_DEPTH_LIMIT);
	pcre2_set_heap_limit(rx->mc, FILTER_RE_HEAP_LIMIT);
	rx->js = NULL;
	rx->budget = FILTER_RE_BUDGET;
	rx->charged = 0;
	rx->calls = 0;
	rx->exhausted = 0;
}

/* filter_rx_free - release what filter_rx_init made */
void
filter_rx_free(struct filter_rx *rx)
{
	pcre2_match_data_free(rx->md);
	pcre2_match_context_free(rx->mc);
	pcre2_jit_stack_free(rx->js);
	rx->md = NULL;
	rx->mc = NULL;
	rx->js = NULL;
}

/* rx_call - one pcre2_match under match limit lim, charged to the budget */
static int
rx_call(struct filter_rx *rx, const pcre2_code *re, const char *s, size_t n, size_t start,
    long lim)
{
	rx->calls++;
	rx->budget -= lim;
	rx->charged += lim;
	pcre2_set_match_limit(rx->mc, (uint32_t)lim);
	return pcre2_match(re, (PCRE2_SPTR)s, n, start, 0, rx->md, rx->mc);
}

/*
 * filter_rx_match - one match under the shared budget (filter_int.h):
 * small limit first, larger ones while the limit is what stopped it;
 * the JIT stack is made the first time JIT code runs out of its own
 */
int
filter_rx_match(struct filter_rx *rx, const pcre2_code *re, const char *s, size_t n,
    size_t start)
{
	long lim, cap = FILTER_RE_MATCH_LIMIT;
	int rc;

	if (start > n)
		return PCRE2_ERROR_BADOFFSET;
	lim = FILTER_RE_STEP0 + (long)((n - start) > (size_t)cap ? (size_t)cap : n - start);
	for (;;) {
		if (lim > cap)
			lim = cap;
		if (lim > rx->budget)
			lim = rx->budget;
		if (lim <= 0) {
			rx->exhausted = 1;
			return PCRE2_ERROR_MATCHLIMIT;
		}
		rc = rx_call(rx, re, s, n, start, lim);
		if (rc == PCRE2_ERROR_JIT_STACKLIMIT && rx->js == NULL) {
			rx->js = pcre2_jit_stack_create(32 * 1024, FILTER_RE_JIT_STACK, NULL);
			if (rx->js == NULL)
				return rc;
			pcre2_jit_stack_assign(rx->mc, NULL, rx->js);
			rc = rx_call(rx, re, s, n, start, lim);
		}
		if (rc != PCRE2_ERROR_MATCHLIMIT || lim >= cap)
			return rc;
		if (rx->budget <= 0) {
			rx->exhausted = 1;
			return rc;
		}
		lim *= FILTER_RE_GROW;
	}
}

/* re_compile_tok - pat as a regex: NULL with an error at the string token at */
static pcre2_code *
re_compile_tok(struct parser *p, const struct token *at, const char *pat)
{
	char msg[160];
	pcre2_code *re = filter_re_compile(pat, msg, sizeof(msg));

	if (re == NULL) {
		if (strcmp(msg, FILTER_RE_TOOBIG) == 0)
			perr(p, at, "%s (compiled, more than %d bytes)", FILTER_RE_TOOBIG,
			    FILTER_RE_SIZE_MAX);
		else
			perr(p, at, "invalid regular expression: %s", msg);
		return NULL;
	}
	/* the filter keeps them all (edit-header-text's twice: here and when applied) */
	p->resize += filter_re_size(re);
	if (p->resize > FILTER_RE_TOTAL_MAX) {
		pcre2_code_free(re);
		perr(p, at, "%s: this filter's regular expressions compile to more than %d "
		    "bytes", FILTER_RE_TOOBIG, FILTER_RE_TOTAL_MAX);
		return NULL;
	}
	return re;
}

/* string_arg - the current token must be a string: a copy of its value, and step over it */
static char *
string_arg(struct parser *p, const char *what)
{
	char *s;

	if (expect(p, T_STRING, what) < 0)
		return NULL;
	s = str_dup(p->sval.data);
	if (next(p) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* has_ctl - does s hold a control character? */
static int
has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || *s == 127)
			return 1;
	return 0;
}

/*
 * list_arg - an exception list argument: a string ("" = none) or a bare
 * name (seed 003 writes sdr-age("days", <, 5, domain_exception_list))
 */
static char *
list_arg(struct parser *p)
{
	char *s;
	struct token at = p->tok;

	if (p->tok.t == T_IDENT) {
		s = str_ndup(p->s + p->tok.start, p->tok.end - p->tok.start);
		if (next(p) < 0) {
			free(s);
			return NULL;
		}
	} else {
		s = string_arg(p, "an exception list name");
		if (s == NULL)
			return NULL;
	}
	if (strlen(s) > LIST_NAME_MAX || has_ctl(s)) {
		perr(p, &at, "invalid address list name (at most %d printable characters)",
		    LIST_NAME_MAX);
		free(s);
		return NULL;
	}
	return s;
}

/* ================================================================ rules */

static int parse_or(struct parser *p);

/* optional_list - [',' list] before ')': into n->str ("" when absent) */
static int
optional_list(struct parser *p, int idx)
{
	char *s;

	if (p->tok.t == T_COMMA) {
		if (next(p) < 0)
			return -1;
		if ((s = list_arg(p)) == NULL)
			return -1;
	} else {
		s = str_dup("");
	}
	p->f->nodes[idx].str = s;
	return 0;
}

/* rule_sdr_reputation - sdr-reputation(['v', ...] [, list]) */
static int
rule_sdr_reputation(struct parser *p, int idx)
{
	if (expect_next(p, T_LPAREN, "'(' after sdr-reputation") < 0 ||
	    expect_next(p, T_LBRACK, "'[' and a list of verdicts") < 0)
		return -1;
	for (;;) {
		int v;
		struct token at = p->tok;

		if (expect(p, T_STRING, "a verdict in quotes") < 0)
			return -1;
		v = sdr_verdict_parse(p->sval.data);
		if (v < 0 || v >= SDR_NVERDICTS)
			return perr(p, &at, "unknown verdict '%.40s' (awful or bad, poor, tainted, "
			    "weak, unknown, neutral, good)", p->sval.data);
		p->f->nodes[idx].verdicts |= 1u << v;
		if (next(p) < 0)
			return -1;
		if (p->tok.t == T_RBRACK)
			break;
		if (expect_next(p, T_COMMA, "',' or ']' in the verdict list") < 0)
			return -1;
	}
	if (next(p) < 0 || optional_list(p, idx) < 0)
		return -1;
	return expect_next(p, T_RPAREN, "')' after the arguments of sdr-reputation");
}

/* rule_sdr_age - sdr-age("unit", op, N [, list]) or sdr-age("unknown" [, list]) */
static int
rule_sdr_age(struct parser *p, int idx)
{
	static const struct {
		const char *name;
		enum filter_age_unit unit;
	} units[] = {
		{ "days", FAGE_DAYS }, { "day", FAGE_DAYS }, { "weeks", FAGE_WEEKS },
		{ "week", FAGE_WEEKS }, { "months", FAGE_MONTHS }, { "month", FAGE_MONTHS },
		{ "years", FAGE_YEARS }, { "year", FAGE_YEARS }, { "unknown", FAGE_UNKNOWN },
	};
	struct token at;
	size_t i;

	if (expect_next(p, T_LPAREN, "'(' after sdr-age") < 0)
		return -1;
	at = p->tok;
	if (expect(p, T_STRING, "a unit: \"days\", \"weeks\", \"months\", \"years\" or "
	    "\"unknown\"") < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(p->sval.data, units[i].name) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return perr(p, &at, "unknown unit '%.40s' (days, weeks, months, years, unknown)",
		    p->sval.data);
	p->f->nodes[idx].unit = units[i].unit;
	if (next(p) < 0)
		return -1;
	if (units[i].unit != FAGE_UNKNOWN) {
		static const struct {
			const char *s;
			enum tok t;
			enum filter_cmp_op op;
		} ops[] = {
			{ "<", T_LT, FOP_LT }, { "<=", T_LE, FOP_LE }, { ">", T_GT, FOP_GT },
			{ ">=", T_GE, FOP_GE }, { "==", T_EQ, FOP_EQ }, { "!=", T_NE, FOP_NE },
		};
		size_t k;

		if (expect_next(p, T_COMMA, "',' and an operator after the unit") < 0)
			return -1;
		at = p->tok;
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (p->tok.t == ops[k].t ||
			    (p->tok.t == T_STRING && strcmp(p->sval.data, ops[k].s) == 0))
				break;
		if (k == sizeof(ops) / sizeof(ops[0]))
			return perr(p, &at, "expected an operator (<, <=, >, >=, ==, !=)");
		p->f->nodes[idx].op = ops[k].op;
		if (next(p) < 0 || expect_next(p, T_COMMA, "',' and a number after the operator") < 0)
			return -1;
		if (expect(p, T_NUMBER, "a number") < 0)
			return -1;
		p->f->nodes[idx].n = p->tok.num;
		if (next(p) < 0)
			return -1;
	}
	if (optional_list(p, idx) < 0)
		return -1;
	return expect_next(p, T_RPAREN, "')' after the arguments of sdr-age");
}

/* rule_sdr_unscannable - sdr-unscannable([list]) */
static int
rule_sdr_unscannable(struct parser *p, int idx)
{
	char *s;

	if (expect_next(p, T_LPAREN, "'(' after sdr-unscannable") < 0)
		return -1;
	if (p->tok.t == T_RPAREN) {
		s = str_dup("");
	} else if ((s = list_arg(p)) == NULL) {
		return -1;
	}
	p->f->nodes[idx].str = s;
	return expect_next(p, T_RPAREN, "')' after the argument of sdr-unscannable");
}

/* filter_ipnet_parse - "a.b.c.d", "a.b.c.d/n", IPv6 and IPv6/n */
int
filter_ipnet_parse(const char *s, struct filter_ipnet *ip)
{
	char a[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long bits;

	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = '\0';
	*ip = (struct filter_ipnet){ 0 };
	if (inet_pton(AF_INET, a, ip->addr) == 1) {
		ip->family = AF_INET;
		ip->bits = 32;
	} else if (inet_pton(AF_INET6, a, ip->addr) == 1) {
		ip->family = AF_INET6;
		ip->bits = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		if (str_to_long(slash + 1, 0, ip->bits, &bits) < 0)
			return -1;
		ip->bits = (int)bits;
	}
	return 0;
}

/* comparison - == or != "string" after a comparison rule */
static int
comparison(struct parser *p, int idx, const char *rule, char **val, struct token *at)
{
	char what[64];

	if (p->tok.t != T_EQ && p->tok.t != T_NE) {
		snprintf(what, sizeof(what), "'==' or '!=' after %s", rule);
		return expect(p, T_EQ, what);
	}
	p->f->nodes[idx].neg = p->tok.t == T_NE;
	if (next(p) < 0)
		return -1;
	*at = p->tok;
	*val = string_arg(p, "a string to compare with");
	return *val ? 0 : -1;
}

/* header_name_arg - '(' 'Name' ')' of header() into n->str */
static int
header_name_arg(struct parser *p, int idx)
{
	struct token at;

	if (expect_next(p, T_LPAREN, "'(' after header") < 0)
		return -1;
	at = p->tok;
	if ((p->f->nodes[idx].str = string_arg(p, "a header name in quotes")) == NULL)
		return -1;
	if (!syntax_field_name(p->f->nodes[idx].str))
		return perr(p, &at, "invalid header name");
	return expect_next(p, T_RPAREN, "')' after the header name");
}

/* zone_ok - a DNS zone name: letters, digits, '-', '_', '.'; no empty label */
static int
zone_ok(const char *z)
{
	size_t n = strlen(z), lab = 0;

	if (n == 0 || n > 253 || z[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)z[i];

		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++lab > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

/* The rules: their names and kinds. */
static const struct {
	const char *name;
	enum filter_node_kind kind;
} rules[] = {
	{ "sdr-reputation", FN_SDR_REP }, { "sdr-age", FN_SDR_AGE },
	{ "sdr-unscannable", FN_SDR_UNSCAN }, { "mail-from", FN_MAIL_FROM },
	{ "rcpt-to", FN_RCPT_TO }, { "subject", FN_SUBJECT }, { "header", FN_HEADER },
	{ "remote-ip", FN_REMOTE_IP }, { "recv-listener", FN_LISTENER },
	{ "body-contains", FN_BODY }, { "attachment-filename", FN_ATTACH },
	{ "dnslist", FN_DNSLIST },
};

/* parse_rule - one rule at the current identifier; its node index */
static int
parse_rule(struct parser *p)
{
	struct token at = p->tok, sat;
	char b[64], *val = NULL;
	size_t i;
	int idx;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (tok_is(p, rules[i].name))
			break;
	if (i == sizeof(rules) / sizeof(rules[0]))
		return perr(p, &at, "unknown rule %s", tok_text(p, b, sizeof(b)));
	if ((idx = add_node(p, rules[i].kind)) < 0 || next(p) < 0)
		return -1;
	switch (rules[i].kind) {
	case FN_SDR_REP:
		if (rule_sdr_reputation(p, idx) < 0)
			return -1;
		break;
	case FN_SDR_AGE:
		if (rule_sdr_age(p, idx) < 0)
			return -1;
		break;
	case FN_SDR_UNSCAN:
		if (rule_sdr_unscannable(p, idx) < 0)
			return -1;
		break;
	case FN_HEADER:
		if (header_name_arg(p, idx) < 0)
			return -1;
		if (p->tok.t != T_EQ && p->tok.t != T_NE) {
			p->f->nodes[idx].kind = FN_HEADER_PRESENT;
			break;
		}
		/* FALLTHROUGH */
	case FN_MAIL_FROM:
	case FN_RCPT_TO:
	case FN_SUBJECT:
	case FN_ATTACH:
		if (comparison(p, idx, rules[i].name, &val, &sat) < 0)
			return -1;
		p->f->nodes[idx].re = re_compile_tok(p, &sat, val);
		free(val);
		if (p->f->nodes[idx].re == NULL)
			return -1;
		break;
	case FN_REMOTE_IP:
		if (comparison(p, idx, rules[i].name, &val, &sat) < 0)
			return -1;
		if (filter_ipnet_parse(val, &p->f->nodes[idx].ip) < 0) {
			free(val);
			return perr(p, &sat, "invalid IP address or network (1.2.3.4, 10.0.0.0/8, "
			    "2001:db8::/32)");
		}
		free(val);
		break;
	case FN_LISTENER:
		if (comparison(p, idx, rules[i].name, &val, &sat) < 0)
			return -1;
		p->f->nodes[idx].str = val;
		break;
	case FN_BODY:
		if (expect_next(p, T_LPAREN, "'(' after body-contains") < 0)
			return -1;
		sat = p->tok;
		if ((val = string_arg(p, "a regular expression in quotes")) == NULL)
			return -1;
		p->f->nodes[idx].re = re_compile_tok(p, &sat, val);
		free(val);
		if (p->f->nodes[idx].re == NULL)
			return -1;
		if (expect_next(p, T_RPAREN, "')' after the argument of body-contains") < 0)
			return -1;
		break;
	case FN_DNSLIST:
		if (expect_next(p, T_LPAREN, "'(' after dnslist") < 0)
			return -1;
		sat = p->tok;
		if ((p->f->nodes[idx].str = string_arg(p, "a DNS zone in quotes")) == NULL)
			return -1;
		if (!zone_ok(p->f->nodes[idx].str))
			return perr(p, &sat, "invalid DNS zone");
		if (expect_next(p, T_RPAREN, "')' after the zone") < 0)
			return -1;
		break;
	default:
		return perr(p, &at, "unknown rule %s", tok_text(p, b, sizeof(b)));
	}
	return idx;
}

/* parse_unary - NOT c, (c), true, or a rule */
static int
parse_unary(struct parser *p)
{
	struct token at = p->tok;
	char b[64];
	int idx, c;

	if (p->tok.t == T_LPAREN || tok_is(p, "not")) {
		int is_not = p->tok.t != T_LPAREN;

		if (++p->depth > FILTER_DEPTH_MAX)
			return perr(p, &at, "conditions nested deeper than %d levels",
			    FILTER_DEPTH_MAX);
		if (next(p) < 0)
			return -1;
		if (is_not) {
			if ((idx = add_node(p, FN_NOT)) < 0 || (c = parse_unary(p)) < 0)
				return -1;
			p->f->nodes[idx].first = c;
		} else {
			if ((idx = parse_or(p)) < 0 ||
			    expect_next(p, T_RPAREN, "')' or AND/OR in the condition") < 0)
				return -1;
		}
		p->depth--;
		return idx;
	}
	if (tok_is(p, "true")) {
		if ((idx = add_node(p, FN_TRUE)) < 0 || next(p) < 0)
			return -1;
		return idx;
	}
	if (p->tok.t == T_IDENT)
		return parse_rule(p);
	return perr(p, &at, "expected a rule, NOT, '(' or true, found %s",
	    tok_text(p, b, sizeof(b)));
}

/* parse_chain - first (WORD next)*: one n-ary node of kind, or first alone */
static int
parse_chain(struct parser *p, const char *word, enum filter_node_kind kind, int (*sub)(struct parser *))
{
	int first, idx, last, c;

	if ((first = sub(p)) < 0)
		return -1;
	if (!tok_is(p, word))
		return first;
	if ((idx = add_node(p, kind)) < 0)
		return -1;
	p->f->nodes[idx].first = last = first;
	while (tok_is(p, word)) {
		if (next(p) < 0 || (c = sub(p)) < 0)
			return -1;
		p->f->nodes[last].next = c;
		last = c;
	}
	return idx;
}

static int
parse_and(struct parser *p)
{
	return parse_chain(p, "and", FN_AND, parse_unary);
}

/* parse_or - a whole condition: AND binds tighter than OR */
static int
parse_or(struct parser *p)
{
	return parse_chain(p, "or", FN_OR, parse_and);
}

/* ================================================================ actions */

static const struct {
	const char *name;
	enum filter_action_kind kind;
	int nargs;
} actions[] = {
	{ "deliver", FA_DELIVER, 0 }, { "drop", FA_DROP, 0 }, { "bounce", FA_BOUNCE, 0 },
	{ "quarantine", FA_QUARANTINE, 1 }, { "duplicate-quarantine", FA_DUP_QUARANTINE, 1 },
	{ "log-entry", FA_LOG, 1 }, { "insert-header", FA_INSERT_HEADER, 2 },
	{ "strip-header", FA_STRIP_HEADER, 1 }, { "edit-header-text", FA_EDIT_HEADER, 3 },
	{ "alt-rcpt-to", FA_ALT_RCPT, 1 }, { "alt-mailhost", FA_ALT_MAILHOST, 1 },
	{ "bcc", FA_BCC, 1 }, { "notify", FA_NOTIFY, 1 }, { "skip-filters", FA_SKIP, 0 },
};

/* filter_action_final - an action that ends the processing of the message */
int
filter_action_final(enum filter_action_kind k)
{
	return k == FA_DELIVER || k == FA_DROP || k == FA_BOUNCE || k == FA_QUARANTINE;
}

/* action_name - the language's name of an action kind */
static const char *
action_name(enum filter_action_kind k)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].kind == k)
			return actions[i].name;
	return "?";
}

/*
 * replacement_max_group - the highest group a replacement refers to (\N, $N,
 * ${N}); see expand()
 */
static int
replacement_max_group(const char *r)
{
	int max = 0;

	for (size_t i = 0; r[i]; i++) {
		int g = -1;

		if ((r[i] == '\\' || r[i] == '$') && isdigit((unsigned char)r[i + 1])) {
			g = r[i + 1] - '0';
			i++;
		} else if (r[i] == '$' && r[i + 1] == '{' && isdigit((unsigned char)r[i + 2])) {
			size_t j = i + 2;

			g = 0;
			while (isdigit((unsigned char)r[j]) && g < 100)
				g = g * 10 + (r[j++] - '0');
			if (r[j] != '}')
				g = -1;
			else
				i = j;
		} else if ((r[i] == '\\' && r[i + 1] == '\\') || (r[i] == '$' && r[i + 1] == '$')) {
			i++;
		}
		if (g > max)
			max = g;
	}
	return max;
}

/* host_ok - alt-mailhost: a host name, an IPv4 address or an [address] literal */
static int
host_ok(const char *h)
{
	size_t n = strlen(h);
	char a[64];

	if (syntax_hostname(h) || syntax_ipv4(h))
		return 1;
	if (n > 2 && n < sizeof(a) && h[0] == '[' && h[n - 1] == ']') {
		memcpy(a, h + 1, n - 2);
		a[n - 2] = '\0';
		if (strncasecmp(a, "IPv6:", 5) == 0)
			return syntax_ipv6(a + 5);
		return syntax_ipv4(a) || syntax_ipv6(a);
	}
	return 0;
}

/* check_args - what an action's arguments must be; -1 with an error at the argument */
static int
check_args(struct parser *p, struct filter_act *a, const struct token *at)
{
	pcre2_code *re;
	uint32_t ncap = 0;
	int g;

	switch (a->kind) {
	case FA_QUARANTINE:
	case FA_DUP_QUARANTINE:
		if (a->arg[0][0] == '\0' || strlen(a->arg[0]) > QNAME_MAX || has_ctl(a->arg[0]))
			return perr(p, &at[0], "invalid quarantine name");
		break;
	case FA_INSERT_HEADER:
	case FA_STRIP_HEADER:
	case FA_EDIT_HEADER:
		if (!syntax_field_name(a->arg[0]))
			return perr(p, &at[0], "invalid header name");
		if (a->kind != FA_EDIT_HEADER)
			break;
		if ((re = re_compile_tok(p, &at[1], a->arg[1])) == NULL)
			return -1;
		pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ncap);
		pcre2_code_free(re);
		g = replacement_max_group(a->arg[2]);
		if (g > FILTER_RE_GROUPS - 1 || (uint32_t)g > ncap)
			return perr(p, &at[2], "the replacement refers to group %d; the regular "
			    "expression has %u", g, (unsigned int)ncap);
		break;
	case FA_ALT_RCPT:
	case FA_BCC:
	case FA_NOTIFY:
		if (!syntax_email(a->arg[0]))
			return perr(p, &at[0], "invalid e-mail address");
		break;
	case FA_ALT_MAILHOST:
		if (!host_ok(a->arg[0]))
			return perr(p, &at[0], "invalid host name");
		break;
	default:
		break;
	}
	return 0;
}

/* parse_action - one action at the current token, appended to the filter */
static int
parse_action(struct parser *p)
{
	struct token at = p->tok, argat[3];
	struct filter_act a = { 0 };
	struct filter *f = p->f;
	char b[64];
	size_t i;
	int n = 0;

	if (p->tok.t != T_IDENT)
		return perr(p, &at, "expected an action, found %s", tok_text(p, b, sizeof(b)));
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (tok_is(p, actions[i].name))
			break;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return perr(p, &at, "unknown action %s", tok_text(p, b, sizeof(b)));
	a.kind = actions[i].kind;
	if (count_item(p) < 0 || next(p) < 0)
		return -1;
	snprintf(b, sizeof(b), "'(' after %s", actions[i].name);
	if (expect_next(p, T_LPAREN, b) < 0)
		goto fail;
	while (p->tok.t != T_RPAREN) {
		if (n > 0 && expect_next(p, T_COMMA, "',' or ')' after an argument") < 0)
			goto fail;
		if (n == 3) {
			perr(p, &at, "%s() takes %d argument%s", actions[i].name,
			    actions[i].nargs, actions[i].nargs == 1 ? "" : "s");
			goto fail;
		}
		argat[n] = p->tok;
		if ((a.arg[n] = string_arg(p, "a string argument in quotes")) == NULL)
			goto fail;
		n++;
	}
	if (n != actions[i].nargs) {
		perr(p, &at, "%s() takes %d argument%s", actions[i].name, actions[i].nargs,
		    actions[i].nargs == 1 ? "" : "s");
		goto fail;
	}
	if (check_args(p, &a, argat) < 0 || next(p) < 0)
		goto fail;
	if (f->nthen + f->nelse == f->capacts) {
		f->capacts = f->capacts ? f->capacts * 2 : 4;
		f->acts = xrealloc(f->acts, (size_t)f->capacts * sizeof(*f->acts));
	}
	f->acts[f->nthen + f->nelse] = a;
	return 0;
fail:
	for (int k = 0; k < 3; k++)
		free(a.arg[k]);
	return -1;
}

/* parse_block - '{' action (';' action)* [';'] '}': the number of actions */
static int
parse_block(struct parser *p, int *count)
{
	if (expect_next(p, T_LBRACE, "'{' and the actions") < 0)
		return -1;
	for (;;) {
		struct token at = p->tok;
		enum filter_action_kind k;

		if (parse_action(p) < 0)
			return -1;
		k = p->f->acts[p->f->nthen + p->f->nelse].kind;
		(*count)++;
		if (p->tok.t == T_SEMI && next(p) < 0)
			return -1;
		if (p->tok.t == T_RBRACE)
			break;
		if (p->tok.t == T_EOF)
			return perr(p, &p->tok, "missing '}' at the end of the script");
		if (filter_action_final(k))
			return perr(p, &at, "final action %s() must be the last action",
			    action_name(k));
		if (p->prev.t != T_SEMI)
			return expect(p, T_SEMI, "';' or '}' after the action");
	}
	return next(p);
}

/* ================================================================ filters */

/* filter_free - release one filter */
void
filter_free(struct filter *f)
{
	if (f == NULL)
		return;
	for (int i = 0; i < f->nnodes; i++) {
		free(f->nodes[i].str);
		pcre2_code_free(f->nodes[i].re);
	}
	free(f->nodes);
	for (int i = 0; i < f->nthen + f->nelse; i++)
		for (int k = 0; k < 3; k++)
			free(f->acts[i].arg[k]);
	free(f->acts);
	free(f->text);
	free(f);
}

/* filter_free_all - release an array from filter_parse */
void
filter_free_all(struct filter **fs, int n)
{
	if (fs == NULL)
		return;
	for (int i = 0; i < n; i++)
		filter_free(fs[i]);
	free(fs);
}

/* parse_filter - name: if cond { ... } [else { ... }] into p->f */
static int
parse_filter(struct parser *p)
{
	struct filter *f = p->f;
	struct token at = p->tok;
	size_t start = p->tok.start, n;
	char b[64];

	if (p->tok.t != T_IDENT) {
		/* the whole word, not just its first token ("9lives", not "9") */
		n = p->tok.start;
		while (n < p->len && n - p->tok.start < 40 && is_ident_char((unsigned char)p->s[n]))
			n++;
		if (n == p->tok.start)
			return perr(p, &at, "Invalid filter name %s: must start with a letter or "
			    "an underscore", tok_text(p, b, sizeof(b)));
		return perr(p, &at, "Invalid filter name '%.*s': must start with a letter or an "
		    "underscore", (int)(n - p->tok.start), p->s + p->tok.start);
	}
	n = p->tok.end - p->tok.start;
	if (n > FILTER_NAME_MAX)
		return perr(p, &at, "Invalid filter name: longer than %d characters",
		    FILTER_NAME_MAX);
	memcpy(f->name, p->s + p->tok.start, n);
	f->name[n] = '\0';
	if (next(p) < 0 || expect_next(p, T_COLON, "':' after the filter name") < 0)
		return -1;
	if (!tok_is(p, "if"))
		return perr(p, &p->tok, "expected 'if' after the filter name, found %s",
		    tok_text(p, b, sizeof(b)));
	if (next(p) < 0)
		return -1;
	p->depth = 0;
	if ((f->root = parse_or(p)) < 0)
		return -1;
	if (p->tok.t != T_LBRACE)
		return expect(p, T_LBRACE, "'{' or AND/OR after the condition");
	if (parse_block(p, &f->nthen) < 0)
		return -1;
	if (tok_is(p, "else")) {
		if (next(p) < 0 || parse_block(p, &f->nelse) < 0)
			return -1;
	}
	f->text = str_ndup(p->s + start, p->prev.end - start);
	return 0;
}

/* filter_parse - every filter of a script */
int
filter_parse(const char *text, size_t len, struct filter ***out, int *n,
    struct filter_error *err)
{
	struct parser p = { 0 };
	struct filter **fs = NULL;
	int nf = 0, cap = 0;

	*out = NULL;
	*n = 0;
	*err = (struct filter_error){ 0 };
	p.err = err;
	p.s = text;
	p.len = len;
	p.line = p.col = 1;
	buf_init(&p.sval, 0);
	if (len > FILTER_SCRIPT_MAX) {
		p.tok.line = p.tok.col = 1;
		perr(&p, &p.tok, "script too long: more than %d bytes", FILTER_SCRIPT_MAX);
		goto fail;
	}
	if (next(&p) < 0)
		goto fail;
	if (p.tok.t == T_EOF) {
		perr(&p, &p.tok, "no filter in the script");
		goto fail;
	}
	while (p.tok.t != T_EOF) {
		struct token at = p.tok;

		if (nf == cap) {
			cap = cap ? cap * 2 : 4;
			fs = xrealloc(fs, (size_t)cap * sizeof(*fs));
		}
		fs[nf++] = p.f = xcalloc(1, sizeof(*p.f));
		p.f->root = -1;
		p.nitems = 0;
		p.resize = 0;
		if (parse_filter(&p) < 0)
			goto fail;
		for (int i = 0; i < nf - 1; i++) {
			if (strcasecmp(fs[i]->name, p.f->name) == 0) {
				perr(&p, &at, "Duplicate filter name '%s'", p.f->name);
				goto fail;
			}
		}
	}
	buf_free(&p.sval);
	*out = fs;
	*n = nf;
	return 0;
fail:
	buf_free(&p.sval);
	filter_free_all(fs, nf);
	return -1;
}

/* filter_name - its name */
const char *
filter_name(const struct filter *f)
{
	return f->name;
}

/* filter_text - its source, name to closing brace */
const char *
filter_text(const struct filter *f)
{
	return f->text;
}

/* filter_refs - the lists and quarantines a filter names */
int
filter_refs(const struct filter *f, int (*cb)(const char *kind, const char *name, void *arg),
    void *arg)
{
	int r;

	for (int i = 0; i < f->nnodes; i++) {
		const struct filter_node *nd = &f->nodes[i];

		if ((nd->kind == FN_SDR_REP || nd->kind == FN_SDR_AGE || nd->kind == FN_SDR_UNSCAN) &&
		    nd->str != NULL && nd->str[0] != '\0' && (r = cb("list", nd->str, arg)) != 0)
			return r;
	}
	for (int i = 0; i < f->nthen + f->nelse; i++) {
		const struct filter_act *a = &f->acts[i];

		if ((a->kind == FA_QUARANTINE || a->kind == FA_DUP_QUARANTINE) &&
		    (r = cb("quarantine", a->arg[0], arg)) != 0)
			return r;
	}
	return 0;
}

/* filter_dnslists - the zones of a filter's dnslist() rules */
void
filter_dnslists(const struct filter *f, void (*cb)(const char *zone, void *arg), void *arg)
{
	for (int i = 0; i < f->nnodes; i++)
		if (f->nodes[i].kind == FN_DNSLIST)
			cb(f->nodes[i].str, arg);
}

