/*
 * fuzz_grep.c - libFuzzer harness for util/linegrep (the grep engine).
 *
 * Input: a flags byte (bit 0 caseless, bits 1-3 context 0..7, bits 4-7
 * buffer size), the pattern up to the first NUL byte, then the text.
 * A pattern PCRE2 refuses must be refused with a cause. Otherwise the
 * buffered scan (text fed in chunks of a size from the flags) must count
 * exactly the lines that linegrep_match accepts one by one, report the
 * matching lines themselves in order, and never report a line that is
 * not in the text. Failed invariants abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/linegrep.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	const char *text;	/* the input text */
	size_t len;
	size_t next;		/* where the next matching line must start (scan order) */
	struct linegrep *g;
	long long matches;	/* LINEGREP_MATCH lines seen */
	int bad;		/* a matching line that does not match on its own */
};

/* check - abort (a libFuzzer crash) when an invariant fails */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* emit - every reported line is a line of the text; matches match */
static int
emit(void *arg, enum linegrep_kind kind, const char *line, size_t len)
{
	struct fuzz_ctx *f = arg;
	char *cause = NULL;

	if (kind == LINEGREP_BREAK)
		return 0;
	check(memchr(line, '\n', len) == NULL);
	if (kind == LINEGREP_MATCH) {
		int r = linegrep_match(f->g, line, len, &cause);

		if (r < 0)
			free(cause);
		else if (r == 0)
			f->bad = 1;
		f->matches++;
	}
	/* the line occurs in the text at or after the previous one */
	if (len > 0) {
		const char *p = memmem(f->text + f->next, f->len - f->next, line, len);

		check(p != NULL);
		f->next = (size_t)(p - f->text);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t bufsizes[] = { 64, 65, 100, 128, 200, 256, 511, 1024,
		4096, 0, 64, 70, 90, 300, 2000, 0 };
	struct fuzz_ctx f = { 0 };
	struct linegrep_opts o = { 0 };
	struct linegrep_scan *s;
	const uint8_t *nul;
	char *pattern, *cause = NULL;
	int flags, err = 0;
	size_t chunk;
	long long want = 0;

	if (size < 2 || size > 4096)
		return 0;
	flags = data[0];
	data++;
	size--;
	nul = memchr(data, 0, size);
	if (nul == NULL || nul - data > 200)
		return 0;
	pattern = str_ndup((const char *)data, (size_t)(nul - data));
	f.text = (const char *)nul + 1;
	f.len = size - (size_t)(nul - data) - 1;
	f.g = linegrep_compile(pattern, (flags & 1) ? LINEGREP_CASELESS : 0, &cause);
	if (f.g == NULL) {
		check(cause != NULL && strncmp(cause, "Invalid regular expression '", 28) == 0);
		free(cause);
		free(pattern);
		return 0;
	}
	/* the expected count: each line on its own */
	for (size_t i = 0; i <= f.len && !err;) {
		const char *e = memchr(f.text + i, '\n', f.len - i);
		size_t l = e ? (size_t)(e - f.text) - i : f.len - i;
		int r;

		if (e == NULL && l == 0)
			break;	/* no last line after a final newline */
		r = linegrep_match(f.g, f.text + i, l, &cause);
		if (r < 0) {
			free(cause);
			err = 1;
		}
		want += r > 0;
		i += l + 1;
	}
	o.context = (flags >> 1) & 7;
	o.bufsize = bufsizes[(flags >> 4) & 15];
	o.emit = emit;
	o.arg = &f;
	s = linegrep_scan_new(f.g, &o);
	chunk = 1 + (size_t)(flags * 37 % 200);
	for (size_t i = 0; i < f.len && !err; i += chunk) {
		size_t n = f.len - i < chunk ? f.len - i : chunk;

		if (linegrep_scan_feed(s, f.text + i, n, &cause) < 0) {
			free(cause);
			err = 1;
		}
	}
	if (!err && linegrep_scan_end(s, &cause) < 0) {
		free(cause);
		err = 1;
	}
	if (!err) {
		check(linegrep_scan_count(s) == want);
		check(f.matches == want);
		check(!f.bad);
	}
	linegrep_scan_free(s);
	linegrep_free(f.g);
	free(pattern);
	return 0;
}
