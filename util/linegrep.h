/*
 * linegrep.h - find the lines of a stream that match a regular
 * expression: the engine of mxsh's grep. Knows nothing of mail or of the
 * shell.
 *
 * Expressions are PCRE2 (Perl-compatible), compiled once with JIT, on
 * bytes (no UTF mode: any byte is a character, `.` is any byte but
 * newline, caseless matching folds ASCII letters only). A line is the
 * bytes up to a newline; the newline is not part of it, and a last line
 * without one still counts.
 *
 * A scan reads through a fixed-size buffer, so memory stays flat whatever
 * the size of the stream: LINEGREP_BUFSIZE bytes, grown only for a line
 * longer than that, up to line_max; a longer line is matched and reported
 * in pieces of line_max bytes. It does not run the expression line by
 * line: it looks for a literal that every match must contain (memchr,
 * SSE2/AVX2 where the CPU has them) and runs the expression only on the
 * lines where it occurs, or, with no such literal, runs the expression
 * over the whole buffer in multi-line mode and checks a match that spans
 * lines against its line alone.
 *
 * DIAGNOSTICS: compile errors name the PCRE2 message and offset; a scan
 * fails on a read error and when an expression needs more than PCRE2's
 * match limit on one line (catastrophic backtracking), with a cause.
 */
#ifndef UTIL_LINEGREP_H
#define UTIL_LINEGREP_H

#include <signal.h>
#include <stddef.h>

#define LINEGREP_CASELESS	0x01	/* ignore ASCII case */

#define LINEGREP_BUFSIZE	(256 * 1024)		/* the read buffer */
#define LINEGREP_LINE_MAX	(8 * 1024 * 1024)	/* longer lines come in pieces */

struct linegrep;
struct linegrep_scan;

/* What a scan hands to its output function. */
enum linegrep_kind {
	LINEGREP_MATCH = 0,	/* a matching line */
	LINEGREP_CONTEXT,	/* a line before or after a match (context > 0) */
	LINEGREP_BREAK,		/* a gap between groups of lines ("--" in grep -C) */
};

/* linegrep_emit - one line (without its newline); return -1 to stop the scan */
typedef int (*linegrep_emit)(void *arg, enum linegrep_kind kind, const char *line, size_t len);

struct linegrep_opts {
	int context;		/* lines shown before and after each match */
	size_t bufsize;		/* read buffer (0: LINEGREP_BUFSIZE) */
	size_t line_max;	/* longest line matched whole (0: LINEGREP_LINE_MAX) */
	linegrep_emit emit;	/* NULL: only count matching lines */
	void *arg;		/* passed to emit */
	const volatile sig_atomic_t *stop;	/* non-zero (Ctrl-C): end the scan early; or NULL */
};

/*
 * linegrep_compile - compile pattern (LINEGREP_* flags); NULL with *cause
 * "Invalid regular expression 'x': MESSAGE at offset N"
 */
struct linegrep *linegrep_compile(const char *pattern, int flags, char **cause);

/* linegrep_free - release a compiled expression (NULL is fine) */
void linegrep_free(struct linegrep *g);

/* linegrep_match - does one line match? 1, 0, or -1 with *cause */
int linegrep_match(struct linegrep *g, const char *line, size_t len, char **cause);

/*
 * linegrep_literal - the literal every match contains, as the scan uses
 * it (len 0: none); *pure set when the expression is that literal alone
 */
const char *linegrep_literal(const struct linegrep *g, size_t *len, int *pure);

/* linegrep_scan_new - a scan of one or more streams with g (which must outlive it) */
struct linegrep_scan *linegrep_scan_new(struct linegrep *g, const struct linegrep_opts *o);

/* linegrep_scan_free - release a scan (NULL is fine) */
void linegrep_scan_free(struct linegrep_scan *s);

/*
 * linegrep_scan_fd - read fd to its current end, reporting the lines
 * completed so far; an unfinished last line waits for more data or for
 * linegrep_scan_end, so the same call serves a file that grows (grep -t).
 * 0 at the end of the data, 1 when emit or *stop ended the scan, -1 with
 * *cause.
 */
int linegrep_scan_fd(struct linegrep_scan *s, int fd, char **cause);

/* linegrep_scan_feed - the same for bytes in memory (tests, fuzzing) */
int linegrep_scan_feed(struct linegrep_scan *s, const char *data, size_t n, char **cause);

/*
 * linegrep_scan_end - the stream is finished: its last line counts even
 * without a newline, and context does not carry into the next stream
 * (the next group is preceded by a break). 0, 1 or -1 as above.
 */
int linegrep_scan_end(struct linegrep_scan *s, char **cause);

/* linegrep_scan_count - matching lines reported so far */
long long linegrep_scan_count(const struct linegrep_scan *s);

#endif
