/*
 * fuzz_argv.c - libFuzzer harness for the command-line tokenizer
 * (util/argv.c).
 *
 * Arbitrary bytes (cut at the first NUL, as a C string) go through
 * argv_split and argv_split_partial. Beyond "no crash, no leak" it checks
 * what the shell relies on, and abort()s when one fails:
 *   - a split line has 0..ARGV_MAX_WORDS words and argv[argc] == NULL;
 *   - argv_split_partial accepts whatever argv_split accepts, with the
 *     same words;
 *   - argv_quote round-trips: argv_split(argv_quote(w)) is exactly { w }
 *     for every word w produced (completion and logs quote words this way).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fail - report an invariant that does not hold, and crash for libFuzzer */
static void
fail(const char *what, const char *line, const char *word)
{
	fprintf(stderr, "fuzz_argv: %s\n  line: \"%s\"\n  word: \"%s\"\n", what, line,
	    word ? word : "(none)");
	abort();
}

/* check_shape - the invariants of a successful split */
static void
check_shape(const struct argv *a, const char *line)
{
	if (a->argc < 0 || a->argc > ARGV_MAX_WORDS)
		fail("word count out of range", line, NULL);
	if (a->argc > 0 && a->argv == NULL)
		fail("words missing", line, NULL);
	if (a->argv && a->argv[a->argc] != NULL)
		fail("argv[argc] is not NULL", line, NULL);
	for (int i = 0; i < a->argc; i++)
		if (a->argv[i] == NULL)
			fail("a word is NULL", line, NULL);
}

/* check_quote - argv_split(argv_quote(word)) gives back exactly word */
static void
check_quote(const char *word, const char *line)
{
	char *q = argv_quote(word), *cause = NULL;
	struct argv b;

	/* a quoted word may double; past the line limit a refusal is right */
	if (strlen(q) <= ARGV_LINE_MAX) {
		if (argv_split(q, &b, &cause) < 0)
			fail("argv_quote output does not split", line, word);
		if (b.argc != 1 || strcmp(b.argv[0], word) != 0)
			fail("argv_quote does not round-trip", line, word);
		argv_free(&b);
	}
	free(cause);
	free(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), *cause = NULL;
	struct argv a, p;
	int rc, prc;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';

	rc = argv_split(line, &a, &cause);
	prc = argv_split_partial(line, &p);
	if (rc == 0) {
		if (cause != NULL)
			fail("cause set on success", line, NULL);
		check_shape(&a, line);
		if (prc != 0)
			fail("argv_split_partial refuses a line argv_split accepts", line, NULL);
		if (p.argc != a.argc || p.open_quote)
			fail("argv_split_partial splits differently", line, NULL);
		for (int i = 0; i < a.argc; i++) {
			if (strcmp(p.argv[i], a.argv[i]) != 0)
				fail("argv_split_partial gives another word", line, a.argv[i]);
			check_quote(a.argv[i], line);
		}
		argv_free(&a);
	} else {
		if (cause == NULL || *cause == '\0')
			fail("failure without a cause", line, NULL);
		free(cause);
		if (a.argv != NULL || a.argc != 0)
			fail("failure leaves words behind", line, NULL);
	}
	if (prc == 0) {
		check_shape(&p, line);
		for (int i = 0; i < p.argc; i++)
			check_quote(p.argv[i], line);
		argv_free(&p);
	}
	free(line);
	return 0;
}
