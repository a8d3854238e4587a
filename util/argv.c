/*
 * argv.c - split a command line into words, shell-style.
 *
 * DIAGNOSTICS: argv_split fails with "Unterminated quote", "Line too
 * long" or "Too many words"; nothing is returned half-built.
 */
#include <stdlib.h>
#include <string.h>

#include "util/argv.h"
#include "util/buf.h"
#include "util/str.h"

/* split - the tokenizer; partial: tolerate an open quote at the end */
static int
split(const char *line, struct argv *out, int partial, char **cause)
{
	struct buf w;
	int inword = 0, cap = 8;
	char quote = 0;
	const char *p, *blank = NULL;	/* blank: the last separator outside quotes */

	memset(out, 0, sizeof(*out));
	if (strlen(line) > ARGV_LINE_MAX) {
		if (cause)
			*cause = str_printf("Line too long (more than %d characters)", ARGV_LINE_MAX);
		return -1;
	}
	out->argv = xcalloc((size_t)cap + 1, sizeof(char *));
	buf_init(&w, 0);
	for (p = line;; p++) {
		char c = *p;

		if (c == '\0' || (!quote && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))) {
			if (quote && c == '\0') {
				if (!partial) {
					if (cause)
						*cause = str_printf("Unterminated quote (%c)", quote);
					goto fail;
				}
				out->open_quote = 1;
			}
			if (inword) {
				if (out->argc >= ARGV_MAX_WORDS) {
					if (cause)
						*cause = str_printf("Too many words (more than %d)",
						    ARGV_MAX_WORDS);
					goto fail;
				}
				if (out->argc == cap) {
					cap *= 2;
					out->argv = xrealloc(out->argv, ((size_t)cap + 1) * sizeof(char *));
				}
				out->argv[out->argc++] = buf_steal(&w);
				out->argv[out->argc] = NULL;
				inword = 0;
			}
			if (c == '\0')
				break;
			blank = p;
			continue;
		}
		inword = 1;
		if (quote) {
			if (c == quote) {
				quote = 0;
			} else if (c == '\\' && quote == '"' && (p[1] == '"' || p[1] == '\\')) {
				buf_addch(&w, *++p);
			} else {
				buf_addch(&w, c);
			}
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '\\' && p[1] != '\0') {
			buf_addch(&w, *++p);
		} else {
			buf_addch(&w, c);
		}
	}
	buf_free(&w);
	/* an escaped or quoted blank at the end belongs to the last word */
	out->trailing = blank != NULL && blank == p - 1 && (*blank == ' ' || *blank == '\t');
	return 0;
fail:
	buf_free(&w);
	argv_free(out);
	return -1;
}

int
argv_split(const char *line, struct argv *out, char **cause)
{
	return split(line, out, 0, cause);
}

int
argv_split_partial(const char *line, struct argv *out)
{
	return split(line, out, 1, NULL);
}

void
argv_free(struct argv *a)
{
	if (a->argv) {
		for (int i = 0; i < a->argc; i++)
			free(a->argv[i]);
		free(a->argv);
	}
	memset(a, 0, sizeof(*a));
}

char *
argv_quote(const char *word)
{
	struct buf b;
	int plain = *word != '\0';

	/* every byte split() treats as a separator or escape forces quotes */
	for (const char *p = word; *p; p++)
		if (strchr(" \t\r\n\"'\\", *p))
			plain = 0;
	if (plain)
		return str_dup(word);
	buf_init(&b, 0);
	buf_addch(&b, '"');
	for (const char *p = word; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addch(&b, '\\');
		buf_addch(&b, *p);
	}
	buf_addch(&b, '"');
	return buf_steal(&b);
}
