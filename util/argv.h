/*
 * argv.h - split a command line into words, shell-style.
 *
 * Words are separated by blanks; "double" and 'single' quotes group, a
 * backslash escapes the next character outside single quotes. The line
 * and the word count are bounded (sqlite's MAX_INPUT_NESTING idea): a
 * line over ARGV_LINE_MAX or ARGV_MAX_WORDS is refused, not truncated.
 */
#ifndef UTIL_ARGV_H
#define UTIL_ARGV_H

#include <stddef.h>

#define ARGV_LINE_MAX 8192
#define ARGV_MAX_WORDS 256

struct argv {
	int argc;	/* number of words */
	char **argv;	/* malloc'd words, argv[argc] == NULL */
	int trailing;	/* the line ended in blanks (completion starts a new word) */
	int open_quote;	/* the line ended inside a quote (completion only) */
};

/* argv_split - tokenize; -1 with a one-line cause on bad input */
int argv_split(const char *line, struct argv *out, char **cause);

/* argv_split_partial - tokenize a line being typed: an open quote is not an error */
int argv_split_partial(const char *line, struct argv *out);

/* argv_free - release the words */
void argv_free(struct argv *a);

/* argv_quote - quote a word so argv_split gives it back (malloc'd) */
char *argv_quote(const char *word);

#endif
