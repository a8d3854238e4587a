/*
 * test_linegrep.c - the grep engine (util/linegrep.c): which literal it
 * searches for, and that its buffered scan gives exactly what a plain
 * line-by-line PCRE2 loop gives, whatever the buffer size and however
 * the bytes arrive: lines split across reads, context at the edges of a
 * stream and between streams, caseless matching, counting, lines longer
 * than the buffer, a last line without newline, a growing file.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <fcntl.h>
#include <pcre2.h>

#include "util/buf.h"
#include "util/linegrep.h"
#include "util/str.h"
#include "tests/unit/unit.h"

/* S - a buf's text, "" while it is empty */
#define S(b) ((b).data ? (b).data : "")

/* ---------------------------------------------------------- reference */

/* ref_match - does one line match, by PCRE2 without JIT? */
static int
ref_match(const char *pattern, int caseless, const char *line, size_t len)
{
	int err, rc;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    caseless ? PCRE2_CASELESS : 0, &err, &off, NULL);
	pcre2_match_data *md;

	if (code == NULL)
		UNIT_FAIL("reference cannot compile %s", pattern);
	md = pcre2_match_data_create(1, NULL);
	rc = pcre2_match(code, (PCRE2_SPTR)line, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return rc >= 0;
}

/*
 * reference - the expected output for streams (each a string) with
 * context lines: "M:line" / "C:line" / "--" lines, groups not crossing
 * streams; *count the matching lines
 */
static void
reference(const char *pattern, int caseless, int context, const char *const *streams, int ns,
    struct buf *out, long long *count)
{
	int printed_any = 0;

	*count = 0;
	for (int k = 0; k < ns; k++) {
		const char *s = streams[k];
		size_t n = strlen(s);
		int nl = 0, last_printed = -2;
		const char **ls;
		size_t *ll;
		int *m;

		/* split into lines */
		ls = xcalloc(n + 2, sizeof(*ls));
		ll = xcalloc(n + 2, sizeof(*ll));
		for (size_t i = 0; i < n;) {
			const char *e = memchr(s + i, '\n', n - i);
			size_t len = e ? (size_t)(e - s) - i : n - i;

			ls[nl] = s + i;
			ll[nl++] = len;
			i += len + 1;
		}
		m = xcalloc((size_t)nl + 1, sizeof(*m));
		for (int i = 0; i < nl; i++) {
			m[i] = ref_match(pattern, caseless, ls[i], ll[i]);
			*count += m[i];
		}
		for (int i = 0; i < nl; i++) {
			int show = 0;

			for (int j = i - context; j <= i + context; j++)
				if (j >= 0 && j < nl && m[j])
					show = 1;
			if (!show)
				continue;
			if (context > 0 && printed_any && last_printed != i - 1)
				buf_addstr(out, "--\n");
			buf_addstr(out, m[i] ? "M:" : "C:");
			buf_add(out, ls[i], ll[i]);
			buf_addch(out, '\n');
			printed_any = 1;
			last_printed = i;
		}
		free(ls);
		free(ll);
		free(m);
	}
}

/* collect - linegrep_emit into a buf, in the reference's form */
static int
collect(void *arg, enum linegrep_kind kind, const char *line, size_t len)
{
	struct buf *b = arg;

	if (kind == LINEGREP_BREAK) {
		buf_addstr(b, "--\n");
		return 0;
	}
	buf_addstr(b, kind == LINEGREP_MATCH ? "M:" : "C:");
	buf_add(b, line, len);
	buf_addch(b, '\n');
	return 0;
}

/*
 * engine - the scan's output for the same streams, fed in chunks of
 * `chunk` bytes (0: all at once) through a buffer of bufsize
 */
static void
engine(const char *pattern, int caseless, int context, const char *const *streams, int ns,
    size_t bufsize, size_t line_max, size_t chunk, struct buf *out, long long *count)
{
	char *cause = NULL;
	struct linegrep *g = linegrep_compile(pattern, caseless ? LINEGREP_CASELESS : 0, &cause);
	struct linegrep_opts o = { .context = context, .bufsize = bufsize, .line_max = line_max,
		.emit = collect, .arg = out };
	struct linegrep_scan *s;

	if (g == NULL)
		UNIT_FAIL("cannot compile %s: %s", pattern, cause);
	s = linegrep_scan_new(g, &o);
	for (int k = 0; k < ns; k++) {
		const char *p = streams[k];
		size_t n = strlen(p);

		while (n > 0) {
			size_t take = chunk && chunk < n ? chunk : n;

			if (linegrep_scan_feed(s, p, take, &cause) != 0)
				UNIT_FAIL("feed: %s", cause ? cause : "stopped");
			p += take;
			n -= take;
		}
		if (linegrep_scan_end(s, &cause) != 0)
			UNIT_FAIL("end: %s", cause ? cause : "stopped");
	}
	*count = linegrep_scan_count(s);
	linegrep_scan_free(s);
	linegrep_free(g);
}

/* same - engine and reference agree for every buffer size and chunk size */
static void
same(const char *pattern, int caseless, int context, const char *const *streams, int ns)
{
	static const size_t bufsizes[] = { 64, 100, 257, 4096, 0 };
	static const size_t chunks[] = { 1, 7, 64, 1000, 0 };
	struct buf want, got;
	long long wc, gc;

	buf_init(&want, 0);
	reference(pattern, caseless, context, streams, ns, &want, &wc);
	for (size_t i = 0; i < sizeof(bufsizes) / sizeof(bufsizes[0]); i++)
		for (size_t j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
			buf_init(&got, 0);
			engine(pattern, caseless, context, streams, ns, bufsizes[i], 0, chunks[j], &got,
			    &gc);
			if (gc != wc || strcmp(S(got), S(want)) != 0)
				UNIT_FAIL("pattern '%s'%s -C %d, buffer %zu, chunks %zu: got %lld\n%s\n"
					  "expected %lld\n%s", pattern, caseless ? " -i" : "", context,
				    bufsizes[i], chunks[j], gc, S(got), wc, S(want));
			buf_free(&got);
		}
	buf_free(&want);
}

/* ---------------------------------------------------------- cases */

struct lit_case {
	const char *pattern;
	const char *literal;	/* "" none */
	int pure;
};

static const struct lit_case lit_cases[] = {
	{ "TDC:", "TDC:", 1 },
	{ "example\\.test", "example.test", 1 },
	{ "\\Qa.b*c\\E", "a.b*c", 1 },
	{ "MID [0-9]+ ICID [0-9]+ From: <[a-z]+@example\\.test>", "@example.test>", 0 },
	{ "^Sun.*close$", "close", 0 },
	{ "abc?de", "ab", 0 },	/* runs "ab" and "de": the first of the longest */
	{ "ab+cdef", "bcdef", 0 },
	{ "x{2}yz", "xyz", 0 },
	{ "colou?r", "colo", 0 },
	{ "a|b", "", 0 },
	{ "(foo|bar)baz", "baz", 0 },
	{ "(?i)abc", "", 0 },
	{ "(?=x)abc", "", 0 },
	{ "\\d+ bytes", " bytes", 0 },
	{ "\\x41BC", "", 0 },
	{ "a{,3}bc", "", 0 },	/* read differently by PCRE2 versions: no literal */
	{ "[abc]def", "def", 0 },
	{ "[]x]yz", "yz", 0 },
	{ "", "", 0 },
	{ "Message-ID", "Message-ID", 1 },
	{ "\\.", ".", 1 },
	{ NULL, NULL, 0 },
};

static void
test_literals(void)
{
	for (const struct lit_case *t = lit_cases; t->pattern; t++) {
		char *cause = NULL;
		struct linegrep *g = linegrep_compile(t->pattern, 0, &cause);
		size_t len;
		int pure;
		const char *l;

		if (g == NULL)
			UNIT_FAIL("cannot compile '%s': %s", t->pattern, cause);
		l = linegrep_literal(g, &len, &pure);
		if (len != strlen(t->literal) || memcmp(l, t->literal, len) != 0 || pure != t->pure)
			UNIT_FAIL("'%s': literal '%.*s' pure %d, expected '%s' pure %d", t->pattern,
			    (int)len, l, pure, t->literal, t->pure);
		linegrep_free(g);
	}
}

static const char *const log1[] = {
	"Sun Nov 22 10:00:00 2026 Info: New SMTP ICID 1 interface x\n"
	"Sun Nov 22 10:00:00 2026 Info: Start MID 1 ICID 1\n"
	"Sun Nov 22 10:00:01 2026 Info: MID 1 ICID 1 From: <alice@example.test>\n"
	"Sun Nov 22 10:00:01 2026 Info: TDC: MID 2 was generated based on MID 1 for policy DEFAULT\n"
	"Sun Nov 22 10:00:02 2026 Info: MID 1 queued for delivery\n"
	"Sun Nov 22 10:00:02 2026 Info: tdc: lower case\n"
	"Sun Nov 22 10:00:03 2026 Info: ICID 1 close\n"
	"Sun Nov 22 10:00:03 2026 Info: TDC: Delivery start DCID 2 MID 2\n"
	"a\tb\n"
	"\n"
	"Sun Nov 22 10:00:04 2026 Info: Message finished MID 2 done",
};

static const char *const patterns[] = {
	"TDC:", "MID [0-9]+ ICID", "^Sun", "done$", "^$", "", "a\\sb", "b$", "x*", "close",
	"(?<=Info: )MID", "\\AS", "MID \\d+ (queued|was)", "a\\nb", "[[:digit:]]{2}:00:0[13]",
	NULL,
};

static void
test_patterns(void)
{
	for (int i = 0; patterns[i]; i++)
		same(patterns[i], 0, 0, log1, 1);
}

static void
test_caseless(void)
{
	same("tdc:", 1, 0, log1, 1);
	same("TDC: MID", 1, 0, log1, 1);
	same("message FINISHED", 1, 1, log1, 1);
	same("[a-z]+@EXAMPLE\\.test", 1, 0, log1, 1);
	same("ß", 1, 0, log1, 1);	/* bytes beyond ASCII: exact */
}

static void
test_context_edges(void)
{
	/* matches on the first and the last line, overlapping and separate groups */
	for (int c = 1; c <= 4; c++) {
		same("New SMTP", 0, c, log1, 1);
		same("done", 0, c, log1, 1);
		same("TDC:", 0, c, log1, 1);
		same("^$", 0, c, log1, 1);
		same("MID 1 ", 0, c, log1, 1);
	}
	same("close", 0, 100, log1, 1);
}

static void
test_streams(void)
{
	/* context stays in its stream; a break separates groups of two streams */
	static const char *const two[] = {
		"one\ntwo\nhit a\nthree\n",
		"hit b\nfour\nfive\nsix\nhit c",
		"",
		"seven\nhit d\n",
	};

	for (int c = 0; c <= 3; c++)
		same("hit", 0, c, two, 4);
	same("^", 0, 2, two, 4);
}

static void
test_count(void)
{
	char *cause = NULL;
	struct linegrep *g = linegrep_compile("MID", 0, &cause);
	struct linegrep_opts o = { .bufsize = 64 };
	struct linegrep_scan *s = linegrep_scan_new(g, &o);

	CHECK_INT(linegrep_scan_feed(s, log1[0], strlen(log1[0]), &cause), 0);
	CHECK_INT(linegrep_scan_end(s, &cause), 0);
	CHECK_INT(linegrep_scan_count(s), 6);
	linegrep_scan_free(s);
	linegrep_free(g);
}

static void
test_long_lines(void)
{
	struct buf b, got;
	const char *one[1];
	long long n;
	char *cause = NULL;

	/* lines of 10,000 bytes through a 64-byte buffer: it grows, lines come whole */
	buf_init(&b, 0);
	for (int i = 0; i < 5; i++) {
		for (int j = 0; j < 10000; j++)
			buf_addch(&b, (char)('a' + (i * 7 + j) % 26));
		if (i == 2)
			buf_addstr(&b, "NEEDLE");
		buf_addch(&b, '\n');
	}
	one[0] = b.data;
	same("NEEDLE", 0, 1, one, 1);
	same("NEEDLE", 1, 0, one, 1);
	same("^a.*NEEDLE$", 0, 0, one, 1);

	/* past line_max a line is matched in pieces: the needle's piece is reported */
	buf_init(&got, 0);
	engine("NEEDLE", 0, 0, one, 1, 64, 1024, 100, &got, &n);
	CHECK_INT(n, 1);
	CHECK(strstr(S(got), "NEEDLE") != NULL);
	CHECK(strlen(S(got)) <= 1024 + 3);
	buf_free(&got);

	/* a literal longer than the buffer */
	{
		struct buf pat;

		buf_init(&pat, 0);
		for (int j = 0; j < 300; j++)
			buf_addch(&pat, (char)('a' + (2 * 7 + j) % 26));
		same(pat.data, 0, 0, one, 1);
		buf_free(&pat);
	}
	(void)cause;
	buf_free(&b);
}

static void
test_growing_fd(void)
{
	char *dir = unit_tmpdir(), path[512], *cause = NULL;
	struct buf got;
	struct linegrep *g = linegrep_compile("hit", 0, &cause);
	struct linegrep_opts o = { .emit = collect, .arg = &got, .bufsize = 64 };
	struct linegrep_scan *s;
	int w, r;

	buf_init(&got, 0);
	snprintf(path, sizeof(path), "%s/f", dir);
	w = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	r = open(path, O_RDONLY);
	CHECK(w >= 0 && r >= 0);
	s = linegrep_scan_new(g, &o);
	CHECK_INT(write(w, "a hit\nhalf a h", 14), 14);
	CHECK_INT(linegrep_scan_fd(s, r, &cause), 0);
	CHECK_STR(S(got), "M:a hit\n");	/* the unfinished line waits */
	CHECK_INT(write(w, "it line\nno\n", 11), 11);
	CHECK_INT(linegrep_scan_fd(s, r, &cause), 0);
	CHECK_STR(S(got), "M:a hit\nM:half a hit line\n");
	CHECK_INT(write(w, "last hit", 8), 8);
	CHECK_INT(linegrep_scan_fd(s, r, &cause), 0);
	CHECK_STR(S(got), "M:a hit\nM:half a hit line\n");
	CHECK_INT(linegrep_scan_end(s, &cause), 0);
	CHECK_STR(S(got), "M:a hit\nM:half a hit line\nM:last hit\n");
	CHECK_INT(linegrep_scan_count(s), 3);
	close(w);
	close(r);
	linegrep_scan_free(s);
	linegrep_free(g);
	buf_free(&got);
}

/* stop_after_one - emit that ends the scan at the first line */
static int
stop_after_one(void *arg, enum linegrep_kind kind, const char *line, size_t len)
{
	(void)kind;
	(void)line;
	(void)len;
	(*(int *)arg)++;
	return -1;
}

static void
test_stop(void)
{
	char *cause = NULL;
	int calls = 0;
	struct linegrep *g = linegrep_compile("MID", 0, &cause);
	struct linegrep_opts o = { .emit = stop_after_one, .arg = &calls };
	struct linegrep_scan *s = linegrep_scan_new(g, &o);

	CHECK_INT(linegrep_scan_feed(s, log1[0], strlen(log1[0]), &cause), 1);
	CHECK_INT(calls, 1);
	linegrep_scan_free(s);
	linegrep_free(g);
}

static void
test_errors(void)
{
	char *cause = NULL;
	struct linegrep *g;

	CHECK(linegrep_compile("a(b", 0, &cause) == NULL);
	CHECK_STR(cause, "Invalid regular expression 'a(b': missing closing parenthesis at offset 3");
	free(cause);
	cause = NULL;
	CHECK(linegrep_compile("[z-a]", 0, &cause) == NULL);
	CHECK(strstr(cause, "Invalid regular expression '[z-a]': range out of order") == cause);
	free(cause);
	cause = NULL;
	/* catastrophic backtracking is an error, not a hang or a silent miss */
	g = linegrep_compile("(a+)+$", 0, &cause);
	CHECK(g != NULL);
	{
		char line[80];
		int r;

		memset(line, 'a', sizeof(line) - 1);
		line[sizeof(line) - 2] = 'b';
		line[sizeof(line) - 1] = '\0';
		r = linegrep_match(g, line, strlen(line), &cause);
		if (r == -1) {
			CHECK(strstr(cause, "cannot be matched") != NULL);
			free(cause);
		} else {
			CHECK_INT(r, 0);	/* JIT may prove it quickly */
		}
	}
	linegrep_free(g);
}

static const struct unit_case cases[] = {
	{ "literals", test_literals },
	{ "patterns", test_patterns },
	{ "caseless", test_caseless },
	{ "context_edges", test_context_edges },
	{ "streams", test_streams },
	{ "count", test_count },
	{ "long_lines", test_long_lines },
	{ "growing_fd", test_growing_fd },
	{ "stop", test_stop },
	{ "errors", test_errors },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("linegrep", cases, argc, argv);
}
