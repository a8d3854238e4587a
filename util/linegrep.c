/*
 * linegrep.c - find the lines of a stream that match a PCRE2 expression.
 *
 * Speed comes from not running the expression per line (GNU grep does
 * the same with its "must" strings): compile time extracts the longest
 * run of literal bytes that every match must contain; a scan finds that
 * literal in the buffer (two-byte SIMD filter on the literal's rarest
 * bytes, then a compare), finds the bounds of the line around it and
 * runs the JIT-compiled expression on that line only. A pattern that is
 * nothing but the literal needs no expression at all. Without a usable
 * literal the expression runs over the whole buffer in PCRE2_MULTILINE
 * mode; a match that spans a newline is checked again on its line alone.
 * Expressions whose meaning depends on what lies outside the line
 * (lookaround, \A, \z, \G, verbs) run line by line.
 *
 * The buffer holds whole lines: the unfinished last line (and, for
 * context, the lines before it) move to its front before the next read;
 * it grows only while one line does not fit, up to line_max.
 *
 * Positions: everything inside the buffer is an index into buf; `base`
 * is the stream offset of buf[0], so marks that must survive a refill
 * (the end of the last line printed) are stream offsets.
 *
 * DIAGNOSTICS: see linegrep.h. Allocation failure is fatal (util/str.c).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <pcre2.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LINEGREP_X86 1
#else
#define LINEGREP_X86 0
#endif

#include "util/linegrep.h"
#include "util/str.h"

#define LIT_MAX 255		/* longest literal kept (a prefix of a required literal is required) */
#define MATCH_LIMIT 10000000	/* PCRE2 steps per line before giving up */

enum mode {
	MODE_LITERAL,	/* find the literal, confirm the line (or not, if pure) */
	MODE_BUFFER,	/* the expression over the buffer, multi-line */
	MODE_LINE,	/* the expression on each line */
};

struct linegrep {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *stack;
	int jit;			/* JIT compiled: use pcre2_jit_match */
	enum mode mode;
	int pure;			/* the pattern is the literal, nothing else */
	int caseless;
	unsigned char lit[LIT_MAX + 1];	/* the required literal (lower case if caseless) */
	size_t litlen;
	size_t i1, i2;			/* positions of the two filter bytes in lit */
	int avx2;			/* the CPU has AVX2 */
};

struct linegrep_scan {
	struct linegrep *g;
	int context;
	size_t line_max;
	linegrep_emit emit;
	void *arg;
	char *buf;
	size_t cap, len, pos;		/* size; bytes held; start of the unscanned lines */
	long long base;			/* stream offset of buf[0] */
	long long printed_end;		/* stream offset after the last line emitted (-1 none) */
	long long file_start;		/* stream offset where the current stream began */
	int after_left;			/* context lines still to print after a match */
	int any_printed;		/* a group was emitted: later gaps get a break */
	long long count;
	const volatile sig_atomic_t *stop;	/* set by Ctrl-C: end the scan early */
	int stopped;			/* emit or *stop ended the scan */
	char *err;			/* a match error, reported by the caller */
};

/* ---------------------------------------------------------- literals */

/*
 * How often a byte turns up in log text, roughly (0 rare .. 255 common):
 * the filter bytes are the rarest two of the literal, so that candidate
 * positions are few.
 */
static unsigned char
freq(unsigned char c)
{
	static const char common[] = " etaoinsrhldcumfpgwybvkxjqz0123456789:.";

	if (c >= 'A' && c <= 'Z')
		return 90;
	if (c == '<' || c == '>' || c == '@' || c == '\'' || c == '[' || c == ']' || c == '-')
		return 120;
	for (size_t i = 0; common[i]; i++)
		if (common[i] == c)
			return (unsigned char)(250 - i * 3);
	if (c < 32 || c >= 127)
		return 5;
	return 60;
}

/* lit_push - append a byte to a run */
static void
lit_push(unsigned char *run, size_t *n, unsigned char c)
{
	if (*n < LIT_MAX)
		run[(*n)++] = c;
}

/* lit_commit - keep the run if it is the longest so far */
static void
lit_commit(struct linegrep *g, const unsigned char *run, size_t n)
{
	if (n > g->litlen) {
		memcpy(g->lit, run, n);
		g->litlen = n;
	}
}

/* skip_escape - index after the escape at p[j] == '\\' (\Q...\E quotes a whole run) */
static size_t
skip_escape(const char *p, size_t j, size_t n)
{
	if (j + 1 < n && p[j + 1] == 'Q') {
		const char *e = strstr(p + j + 2, "\\E");

		return e ? (size_t)(e - p) + 2 : n;
	}
	return j + 2;
}

/* skip_class - index after the ']' closing the class opened at p[i] == '[', or 0 */
static size_t
skip_class(const char *p, size_t i, size_t n)
{
	size_t j = i + 1;

	if (j < n && p[j] == '^')
		j++;
	if (j < n && p[j] == ']')
		j++;
	while (j < n) {
		if (p[j] == '\\')
			j = skip_escape(p, j, n);
		else if (p[j] == '[' && j + 1 < n && p[j + 1] == ':') {
			const char *e = strstr(p + j + 2, ":]");

			if (e == NULL)
				return 0;
			j = (size_t)(e - p) + 2;
		} else if (p[j] == ']')
			return j + 1;
		else
			j++;
	}
	return 0;
}

/* quantifier - at p[i]: its length (0: none), *min its minimum; -1: unsure */
static int
quantifier(const char *p, size_t i, size_t n, long *min)
{
	size_t j;

	if (i >= n)
		return 0;
	if (p[i] == '*' || p[i] == '?') {
		*min = 0;
		j = i + 1;
	} else if (p[i] == '+') {
		*min = 1;
		j = i + 1;
	} else if (p[i] == '{') {
		long v = 0;

		j = i + 1;
		if (j >= n || p[j] < '0' || p[j] > '9')
			return -1;	/* a literal '{' or a form PCRE2 versions read differently */
		while (j < n && p[j] >= '0' && p[j] <= '9' && v < 100000)
			v = v * 10 + (p[j++] - '0');
		if (j < n && p[j] == ',') {
			j++;
			while (j < n && p[j] >= '0' && p[j] <= '9')
				j++;
		}
		if (j >= n || p[j] != '}')
			return -1;
		j++;
		*min = v;
	} else {
		return 0;
	}
	if (j < n && (p[j] == '?' || p[j] == '+'))
		j++;	/* lazy or possessive */
	return (int)(j - i);
}

/*
 * extract - the longest literal run every match of p must contain, and
 * whether p is that literal alone. Conservative: anything not understood
 * ends the run, or gives up on literals altogether (mode buffer).
 */
static void
extract(struct linegrep *g, const char *p)
{
	size_t n = strlen(p), i = 0, rn = 0, total = 0;
	unsigned char run[LIT_MAX + 1];
	int pure = 1;

	g->litlen = 0;
	g->pure = 0;
	if (strstr(p, "(?") || strstr(p, "(*"))
		goto giveup;	/* inline options, lookaround, verbs: no literals */
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		int lit = 0, q;
		long min = 1;

		if (c == '\\') {
			unsigned char d;

			if (i + 1 >= n)
				goto giveup;
			d = (unsigned char)p[i + 1];
			if (d == 'Q') {
				const char *e = strstr(p + i + 2, "\\E");
				size_t end = e ? (size_t)(e - p) : n;

				for (size_t j = i + 2; j < end; j++, total++) {
					if (p[j] == '\n') {
						pure = 0;	/* never within one line */
						lit_commit(g, run, rn);
						rn = 0;
						continue;
					}
					lit_push(run, &rn, (unsigned char)p[j]);
				}
				i = e ? end + 2 : n;
				/* a quantifier after \E repeats the last byte only */
				q = quantifier(p, i, n, &min);
				if (q < 0)
					goto giveup;
				if (q > 0) {
					pure = 0;
					if (min == 0 && rn > 0)
						rn--;
					lit_commit(g, run, rn);
					rn = 0;
					i += (size_t)q;
				}
				continue;
			}
			if ((d >= '0' && d <= '9') || (d >= 'A' && d <= 'Z') || (d >= 'a' && d <= 'z')) {
				static const char single[] = "dDwWsShHvVRXbBKCn";

				if (d == 't' || d == 'r' || d == 'f' || d == 'a' || d == 'e') {
					c = d == 't' ? '\t' : d == 'r' ? '\r' : d == 'f' ? '\f' :
					    d == 'a' ? '\a' : 0x1b;
					lit = 1;
				} else if (strchr(single, d) != NULL) {
					lit = 0;
				} else {
					goto giveup;	/* \x \o \p \g \k \c \N digits \A \z ...: give up */
				}
			} else {
				c = d;
				lit = 1;
			}
			i += 2;
		} else if (c == '[') {
			size_t j = skip_class(p, i, n);

			if (j == 0)
				goto giveup;
			i = j;
		} else if (c == '(') {
			size_t j = i + 1;
			int depth = 1;

			while (j < n && depth > 0) {
				if (p[j] == '\\') {
					j = skip_escape(p, j, n);
					continue;
				}
				if (p[j] == '[') {
					size_t k = skip_class(p, j, n);

					if (k == 0)
						goto giveup;
					j = k;
					continue;
				}
				if (p[j] == '(')
					depth++;
				else if (p[j] == ')')
					depth--;
				j++;
			}
			if (depth != 0)
				goto giveup;
			i = j;
		} else if (c == '|' || c == ')' || c == '*' || c == '+' || c == '?' || c == '{') {
			goto giveup;	/* alternatives at the top, or odd syntax */
		} else if (c == '.' || c == '^' || c == '$' || c == '\n') {
			i++;	/* a newline in the pattern: never within one line */
		} else {
			lit = 1;
			i++;
		}
		if (lit && c == '\n')
			lit = 0;	/* an escaped newline: never within one line either */
		q = quantifier(p, i, n, &min);
		if (q < 0)
			goto giveup;
		if (lit && q == 0) {
			lit_push(run, &rn, c);
			total++;
			continue;
		}
		pure = 0;
		if (lit && min > 0) {
			/* the byte is there at least once: it ends this run and starts the next */
			lit_push(run, &rn, c);
			lit_commit(g, run, rn);
			rn = 0;
			lit_push(run, &rn, c);
		} else {
			lit_commit(g, run, rn);
			rn = 0;
		}
		i += (size_t)q;
	}
	lit_commit(g, run, rn);
	g->pure = pure && total == g->litlen;
	return;
giveup:
	g->litlen = 0;
	g->pure = 0;
}

/* fold - ASCII lower case, as PCRE2's default tables fold */
static inline unsigned char
fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* is_alpha - an ASCII letter (its case bit may be ignored) */
static inline int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* prepare_literal - fold the literal and choose the two filter bytes */
static void
prepare_literal(struct linegrep *g)
{
	size_t best1 = 0, best2 = 0;

	if (g->caseless)
		for (size_t i = 0; i < g->litlen; i++)
			g->lit[i] = fold(g->lit[i]);
	for (size_t i = 1; i < g->litlen; i++)
		if (freq(g->lit[i]) < freq(g->lit[best1]))
			best1 = i;
	best2 = best1 == 0 ? (g->litlen > 1 ? 1 : 0) : 0;
	for (size_t i = 0; i < g->litlen; i++)
		if (i != best1 && freq(g->lit[i]) < freq(g->lit[best2]))
			best2 = i;
	g->i1 = best1 < best2 ? best1 : best2;
	g->i2 = best1 < best2 ? best2 : best1;
}

/* lit_at - does the literal start at p (n bytes or more available)? */
static inline int
lit_at(const struct linegrep *g, const unsigned char *p)
{
	if (!g->caseless)
		return memcmp(p, g->lit, g->litlen) == 0;
	for (size_t k = 0; k < g->litlen; k++)
		if (fold(p[k]) != g->lit[k])
			return 0;
	return 1;
}

/* find_scalar - the first occurrence of the literal in [p, p + n), or NULL */
static const unsigned char *
find_scalar(const struct linegrep *g, const unsigned char *p, size_t n)
{
	const unsigned char *end;
	unsigned char b = g->lit[g->i1];

	if (n < g->litlen)
		return NULL;
	end = p + n - g->litlen + 1;	/* candidate starts are below end */
	if (!g->caseless || !is_alpha(b)) {
		const unsigned char *q = p + g->i1;

		for (;;) {
			q = memchr(q, b, (size_t)(end + g->i1 - q));
			if (q == NULL)
				return NULL;
			if (lit_at(g, q - g->i1))
				return q - g->i1;
			q++;
		}
	}
	for (; p < end; p++)
		if (fold(p[g->i1]) == b && lit_at(g, p))
			return p;
	return NULL;
}

#if LINEGREP_X86
/* find_sse2 - the literal in [p, p + n): 16 positions at a time on two bytes */
static const unsigned char *
find_sse2(const struct linegrep *g, const unsigned char *p, size_t n)
{
	const unsigned char *end, *s = p;
	unsigned char b1 = g->lit[g->i1], b2 = g->lit[g->i2];
	__m128i v1 = _mm_set1_epi8((char)b1), v2 = _mm_set1_epi8((char)b2);
	__m128i m1 = _mm_set1_epi8(g->caseless && is_alpha(b1) ? 0x20 : 0);
	__m128i m2 = _mm_set1_epi8(g->caseless && is_alpha(b2) ? 0x20 : 0);

	if (n < g->litlen)
		return NULL;
	end = p + n - g->litlen + 1;
	/* a load at s + i2 reads s + i2 .. s + i2 + 15, below end + litlen - 1 = p + n */
	while (s + 16 <= end) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + g->i1));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + g->i2));
		__m128i e = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, m1), v1),
		    _mm_cmpeq_epi8(_mm_or_si128(b, m2), v2));
		unsigned mask = (unsigned)_mm_movemask_epi8(e);

		while (mask) {
			const unsigned char *c = s + __builtin_ctz(mask);

			if (lit_at(g, c))
				return c;
			mask &= mask - 1;
		}
		s += 16;
	}
	return find_scalar(g, s, (size_t)(p + n - s));
}

/* find_avx2 - the same, 32 positions at a time */
__attribute__((target("avx2"))) static const unsigned char *
find_avx2(const struct linegrep *g, const unsigned char *p, size_t n)
{
	const unsigned char *end, *s = p;
	unsigned char b1 = g->lit[g->i1], b2 = g->lit[g->i2];
	__m256i v1 = _mm256_set1_epi8((char)b1), v2 = _mm256_set1_epi8((char)b2);
	__m256i m1 = _mm256_set1_epi8(g->caseless && is_alpha(b1) ? 0x20 : 0);
	__m256i m2 = _mm256_set1_epi8(g->caseless && is_alpha(b2) ? 0x20 : 0);

	if (n < g->litlen)
		return NULL;
	end = p + n - g->litlen + 1;
	while (s + 32 <= end) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(s + g->i1));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(s + g->i2));
		__m256i e = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a, m1), v1),
		    _mm256_cmpeq_epi8(_mm256_or_si256(b, m2), v2));
		unsigned mask = (unsigned)_mm256_movemask_epi8(e);

		while (mask) {
			const unsigned char *c = s + __builtin_ctz(mask);

			if (lit_at(g, c))
				return c;
			mask &= mask - 1;
		}
		s += 32;
	}
	return find_sse2(g, s, (size_t)(p + n - s));
}
#endif

/* find - the first occurrence of the literal in [p, p + n), or NULL */
static const unsigned char *
find(const struct linegrep *g, const unsigned char *p, size_t n)
{
#if LINEGREP_X86
	if (g->litlen >= 2 || (g->caseless && is_alpha(g->lit[0])))
		return g->avx2 ? find_avx2(g, p, n) : find_sse2(g, p, n);
#endif
	return find_scalar(g, p, n);
}

/* ---------------------------------------------------------- expression */

/* linegrep_compile - compile a pattern, choose how scans search for it */
struct linegrep *
linegrep_compile(const char *pattern, int flags, char **cause)
{
	struct linegrep *g;
	pcre2_compile_context *cc;
	int err;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_MULTILINE;

	if (flags & LINEGREP_CASELESS)
		opts |= PCRE2_CASELESS;
	cc = pcre2_compile_context_create(NULL);
	if (cc == NULL) {
		*cause = str_dup("cannot allocate a PCRE2 compile context");
		return NULL;
	}
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	g = xcalloc(1, sizeof(*g));
	g->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &err, &off, cc);
	pcre2_compile_context_free(cc);
	if (g->code == NULL) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
			str_copy((char *)msg, "unknown error", sizeof(msg));
		*cause = str_printf("Invalid regular expression '%.200s': %s at offset %zu", pattern,
		    (const char *)msg, (size_t)off);
		free(g);
		return NULL;
	}
	g->jit = pcre2_jit_compile(g->code, PCRE2_JIT_COMPLETE) == 0;
	g->md = pcre2_match_data_create(1, NULL);
	g->mctx = pcre2_match_context_create(NULL);
	if (g->md == NULL || g->mctx == NULL) {
		linegrep_free(g);
		*cause = str_dup("cannot allocate PCRE2 match data");
		return NULL;
	}
	pcre2_set_match_limit(g->mctx, MATCH_LIMIT);
	if (g->jit) {
		g->stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, NULL);
		if (g->stack)
			pcre2_jit_stack_assign(g->mctx, NULL, g->stack);
	}
	g->caseless = (flags & LINEGREP_CASELESS) != 0;
	extract(g, pattern);
	if (g->litlen > 0) {
		g->mode = MODE_LITERAL;
		prepare_literal(g);
	} else if (strstr(pattern, "(?=") || strstr(pattern, "(?!") || strstr(pattern, "(?<") ||
	    strstr(pattern, "(*") || strstr(pattern, "\\A") || strstr(pattern, "\\z") ||
	    strstr(pattern, "\\Z") || strstr(pattern, "\\G")) {
		/* their answer may depend on the bytes around the line */
		g->mode = MODE_LINE;
	} else {
		g->mode = MODE_BUFFER;
	}
#if LINEGREP_X86
	__builtin_cpu_init();
	g->avx2 = __builtin_cpu_supports("avx2");
#endif
	return g;
}

/* linegrep_free - release a compiled expression */
void
linegrep_free(struct linegrep *g)
{
	if (g == NULL)
		return;
	pcre2_match_data_free(g->md);
	pcre2_match_context_free(g->mctx);
	pcre2_jit_stack_free(g->stack);
	pcre2_code_free(g->code);
	free(g);
}

/* linegrep_literal - the literal scans look for */
const char *
linegrep_literal(const struct linegrep *g, size_t *len, int *pure)
{
	*len = g->mode == MODE_LITERAL ? g->litlen : 0;
	*pure = g->mode == MODE_LITERAL && g->pure;
	return (const char *)g->lit;
}

/* run - the expression on subject[0..n); the match rc (>= 0), PCRE2_ERROR_NOMATCH or an error */
static int
run(struct linegrep *g, const char *subject, size_t n)
{
	if (g->jit)
		return pcre2_jit_match(g->code, (PCRE2_SPTR)subject, n, 0, 0, g->md, g->mctx);
	return pcre2_match(g->code, (PCRE2_SPTR)subject, n, 0, 0, g->md, g->mctx);
}

/* match_error - the cause for a failed match */
static char *
match_error(int rc)
{
	PCRE2_UCHAR msg[256];

	if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
		str_copy((char *)msg, "unknown error", sizeof(msg));
	return str_printf("The regular expression cannot be matched on a line: %s",
	    (const char *)msg);
}

/* linegrep_match - does one line match? */
int
linegrep_match(struct linegrep *g, const char *line, size_t len, char **cause)
{
	int rc;

	if (g->mode == MODE_LITERAL && g->pure)
		return find(g, (const unsigned char *)line, len) != NULL;
	rc = run(g, line, len);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	*cause = match_error(rc);
	return -1;
}

/* ---------------------------------------------------------- scan */

/* linegrep_scan_new - a scan with its buffer */
struct linegrep_scan *
linegrep_scan_new(struct linegrep *g, const struct linegrep_opts *o)
{
	struct linegrep_scan *s = xcalloc(1, sizeof(*s));

	s->g = g;
	s->context = o->emit ? (o->context > 0 ? o->context : 0) : 0;
	s->emit = o->emit;
	s->arg = o->arg;
	s->stop = o->stop;
	s->cap = o->bufsize ? o->bufsize : LINEGREP_BUFSIZE;
	if (s->cap < 64)
		s->cap = 64;
	s->line_max = o->line_max ? o->line_max : LINEGREP_LINE_MAX;
	if (s->line_max < s->cap)
		s->line_max = s->cap;
	s->buf = xmalloc(s->cap);
	s->printed_end = -1;
	return s;
}

/* linegrep_scan_free - release a scan */
void
linegrep_scan_free(struct linegrep_scan *s)
{
	if (s == NULL)
		return;
	free(s->buf);
	free(s->err);
	free(s);
}

/* linegrep_scan_count - matching lines so far */
long long
linegrep_scan_count(const struct linegrep_scan *s)
{
	return s->count;
}

/* put - emit one line at buf[a..b) */
static void
put(struct linegrep_scan *s, enum linegrep_kind kind, size_t a, size_t b, size_t next)
{
	if (s->stopped)
		return;
	if (s->context > 0 && s->any_printed && s->base + (long long)a != s->printed_end &&
	    s->emit(s->arg, LINEGREP_BREAK, "--", 2) < 0) {
		s->stopped = 1;
		return;
	}
	s->any_printed = 1;
	s->printed_end = s->base + (long long)next;
	if (s->emit(s->arg, kind, s->buf + a, b - a) < 0)
		s->stopped = 1;
}

/* line_end - index of the newline ending the line at a (or lim), and after it */
static size_t
line_end(struct linegrep_scan *s, size_t a, size_t lim, size_t *next)
{
	char *nl = memchr(s->buf + a, '\n', lim - a);
	size_t e = nl ? (size_t)(nl - s->buf) : lim;

	*next = nl ? e + 1 : lim;
	return e;
}

/* flush_after - the context lines owed after the last match, up to index upto */
static void
flush_after(struct linegrep_scan *s, size_t upto)
{
	while (s->after_left > 0 && !s->stopped) {
		long long a = s->printed_end - s->base;
		size_t e, next;

		if (a < 0)
			a = 0;	/* not reached: owed lines are never moved out */
		if (a >= (long long)upto)
			return;
		e = line_end(s, (size_t)a, upto, &next);
		put(s, LINEGREP_CONTEXT, (size_t)a, e, next);
		s->after_left--;
	}
}

/* low_mark - the first index context may reach back to */
static size_t
low_mark(struct linegrep_scan *s)
{
	long long lo = s->printed_end > s->file_start ? s->printed_end : s->file_start;

	lo -= s->base;
	return lo < 0 ? 0 : (size_t)lo;
}

/* before_start - start of the (up to) n lines that end at index a, not below lo */
static size_t
before_start(struct linegrep_scan *s, size_t a, size_t lo, int n)
{
	while (n-- > 0 && a > lo) {
		char *nl = a - 1 > lo ? memrchr(s->buf + lo, '\n', a - 1 - lo) : NULL;

		a = nl ? (size_t)(nl - s->buf) + 1 : lo;
	}
	return a;
}

/* on_match - the line buf[a..e) matched; next is the index after it */
static void
on_match(struct linegrep_scan *s, size_t a, size_t e, size_t next)
{
	s->count++;
	if (s->emit == NULL || s->stopped)
		return;
	flush_after(s, a);
	if (s->context > 0) {
		size_t b = before_start(s, a, low_mark(s), s->context);

		while (b < a && !s->stopped) {
			size_t ne, nn;

			ne = line_end(s, b, a, &nn);
			put(s, LINEGREP_CONTEXT, b, ne, nn);
			b = nn;
		}
	}
	put(s, LINEGREP_MATCH, a, e, next);
	s->after_left = s->context;
}

/* confirm - does the line buf[a..e) match? 1, 0, -1 (s->err set) */
static int
confirm(struct linegrep_scan *s, size_t a, size_t e)
{
	int rc = run(s->g, s->buf + a, e - a);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	free(s->err);
	s->err = match_error(rc);
	return -1;
}

/* line_start - index of the start of the line holding index i, not below lo */
static size_t
line_start(struct linegrep_scan *s, size_t lo, size_t i)
{
	char *nl = i > lo ? memrchr(s->buf + lo, '\n', i - lo) : NULL;

	return nl ? (size_t)(nl - s->buf) + 1 : lo;
}

/*
 * region - the whole lines in buf[pos..end): end is just after a newline,
 * or the end of the data for a last line without one. -1 on a match error.
 */
static int
region(struct linegrep_scan *s, size_t end)
{
	struct linegrep *g = s->g;
	size_t p = s->pos;

	while (p < end && !s->stopped) {
		size_t a, e, next;
		int ok;

		if (g->mode == MODE_LITERAL) {
			const unsigned char *hit = find(g, (const unsigned char *)s->buf + p, end - p);

			if (hit == NULL)
				break;
			a = line_start(s, p, (size_t)((const char *)hit - s->buf));
			e = line_end(s, (size_t)((const char *)hit - s->buf), end, &next);
			ok = g->pure ? 1 : confirm(s, a, e);
		} else if (g->mode == MODE_BUFFER) {
			PCRE2_SIZE *ov;
			int rc = run(g, s->buf + p, end - p);
			size_t ms, me;

			if (rc == PCRE2_ERROR_NOMATCH)
				break;
			if (rc < 0) {
				free(s->err);
				s->err = match_error(rc);
				return -1;
			}
			ov = pcre2_get_ovector_pointer(g->md);
			ms = p + ov[0];
			me = p + ov[1];
			if (ms > end || (ms == end && s->buf[end - 1] == '\n'))
				break;	/* an empty match after the last newline: no line there */
			a = line_start(s, p, ms);
			e = line_end(s, ms, end, &next);
			ok = me <= e ? 1 : confirm(s, a, e);
		} else {
			a = p;
			e = line_end(s, p, end, &next);
			ok = confirm(s, a, e);
		}
		if (ok < 0)
			return -1;
		if (ok)
			on_match(s, a, e, next);
		p = next;
	}
	s->pos = end;
	flush_after(s, end);
	return 0;
}

/* scan_complete - the lines completed in the buffer */
static int
scan_complete(struct linegrep_scan *s)
{
	char *nl;

	if (s->pos >= s->len)
		return 0;
	nl = memrchr(s->buf + s->pos, '\n', s->len - s->pos);
	if (nl == NULL)
		return 0;
	return region(s, (size_t)(nl - s->buf) + 1);
}

/* shift - drop the first k bytes of the buffer */
static void
shift(struct linegrep_scan *s, size_t k)
{
	if (k == 0)
		return;
	memmove(s->buf, s->buf + k, s->len - k);
	s->base += (long long)k;
	s->pos -= k;
	s->len -= k;
}

/*
 * make_room - free space at the end of the buffer before a read: once it
 * is half full, move the unscanned line and the context lines before it
 * to the front; if they still fill most of it, grow it, up to line_max.
 * At line_max, context is dropped first, and a line that alone fills the
 * buffer is matched as a piece; the scan goes on with the rest.
 */
static int
make_room(struct linegrep_scan *s)
{
	size_t keep;

	if (s->cap - s->len >= s->cap / 2)
		return 0;
	keep = s->pos;
	if (s->context > 0 && s->emit) {
		size_t lo = low_mark(s);

		keep = before_start(s, s->pos, lo < s->pos ? lo : s->pos, s->context);
	}
	shift(s, keep);
	if (s->cap - s->len >= s->cap / 4)
		return 0;
	if (s->cap < s->line_max) {
		size_t ncap = s->cap * 2 > s->line_max ? s->line_max : s->cap * 2;

		s->buf = xrealloc(s->buf, ncap);
		s->cap = ncap;
		return 0;
	}
	if (s->len < s->cap)
		return 0;
	shift(s, s->pos);	/* at line_max: context that crowds out the line goes */
	if (s->len < s->cap)
		return 0;
	if (region(s, s->len) < 0)
		return -1;
	shift(s, s->len);
	return 0;
}

/* finish - the verdict of a feed/read call */
static int
finish(struct linegrep_scan *s, char **cause)
{
	if (s->err) {
		*cause = s->err;
		s->err = NULL;
		return -1;
	}
	return s->stopped ? 1 : 0;
}

/* linegrep_scan_feed - scan bytes from memory */
int
linegrep_scan_feed(struct linegrep_scan *s, const char *data, size_t n, char **cause)
{
	while (n > 0 && !s->stopped) {
		size_t k;

		if (make_room(s) < 0)
			return finish(s, cause);
		k = s->cap - s->len < n ? s->cap - s->len : n;
		memcpy(s->buf + s->len, data, k);
		s->len += k;
		data += k;
		n -= k;
		if (scan_complete(s) < 0)
			return finish(s, cause);
	}
	return finish(s, cause);
}

/* linegrep_scan_fd - scan a descriptor to its current end */
int
linegrep_scan_fd(struct linegrep_scan *s, int fd, char **cause)
{
	while (!s->stopped) {
		ssize_t r;

		if (make_room(s) < 0)
			return finish(s, cause);
		r = read(fd, s->buf + s->len, s->cap - s->len);
		if (r < 0 && errno == EINTR && !(s->stop && *s->stop))
			continue;
		if (s->stop && *s->stop) {
			s->stopped = 1;
			break;
		}
		if (r < 0) {
			*cause = str_printf("read error: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		s->len += (size_t)r;
		if (scan_complete(s) < 0)
			return finish(s, cause);
	}
	return finish(s, cause);
}

/* linegrep_scan_end - finish a stream */
int
linegrep_scan_end(struct linegrep_scan *s, char **cause)
{
	if (!s->stopped && s->pos < s->len && region(s, s->len) < 0)
		return finish(s, cause);
	/* the next stream starts afresh: no context carried over, a break before its first group */
	s->base += (long long)s->len;
	s->pos = s->len = 0;
	s->after_left = 0;
	s->file_start = s->base;
	s->printed_end = -1;
	return finish(s, cause);
}
