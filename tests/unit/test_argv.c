/*
 * test_argv.c - the command-line tokenizer (util/argv.c): blanks, quotes,
 * escapes, bounds, the partial form used by completion, and argv_quote.
 */
#include "util/argv.h"
#include "util/str.h"
#include "tests/unit/unit.h"

#define MAXW 8

struct split_case {
	const char *line;
	int argc;		/* -1: refused */
	const char *words[MAXW];
	const char *cause;	/* for refusals: a piece of the cause */
};

static const struct split_case split_cases[] = {
	{ "", 0, { NULL }, NULL },
	{ "   ", 0, { NULL }, NULL },
	{ " \t \r\n", 0, { NULL }, NULL },
	{ "status", 1, { "status" }, NULL },
	{ "  smtproutes   new\texample.com  ", 3, { "smtproutes", "new", "example.com" }, NULL },
	{ "a\nb\rc", 3, { "a", "b", "c" }, NULL },

	/* quotes group and disappear */
	{ "commit \"first change\"", 2, { "commit", "first change" }, NULL },
	{ "commit 'first change'", 2, { "commit", "first change" }, NULL },
	{ "a\"b c\"d", 1, { "ab cd" }, NULL },
	{ "'a'\"b\"c", 1, { "abc" }, NULL },
	{ "\"it's\"", 1, { "it's" }, NULL },
	{ "'say \"hi\"'", 1, { "say \"hi\"" }, NULL },
	{ "\"  lead and trail  \"", 1, { "  lead and trail  " }, NULL },
	{ "\"a\tb\nc\"", 1, { "a\tb\nc" }, NULL },
	{ "key=\"v 1\" k2='v 2'", 2, { "key=v 1", "k2=v 2" }, NULL },

	/* empty quoted words are words */
	{ "\"\"", 1, { "" }, NULL },
	{ "''", 1, { "" }, NULL },
	{ "a \"\" b", 3, { "a", "", "b" }, NULL },
	{ "a '' ''", 3, { "a", "", "" }, NULL },
	{ "x=\"\"", 1, { "x=" }, NULL },

	/* escapes: outside quotes any character, in double quotes " and \ only */
	{ "a\\ b", 1, { "a b" }, NULL },
	{ "a\\\\b", 1, { "a\\b" }, NULL },
	{ "\\\"quoted\\\"", 1, { "\"quoted\"" }, NULL },
	{ "\\'", 1, { "'" }, NULL },
	{ "\\a\\b", 1, { "ab" }, NULL },
	{ "\"a\\\"b\"", 1, { "a\"b" }, NULL },
	{ "\"a\\\\b\"", 1, { "a\\b" }, NULL },
	{ "\"a\\nb\"", 1, { "a\\nb" }, NULL },
	{ "'a\\b'", 1, { "a\\b" }, NULL },
	{ "'a\\'", 1, { "a\\" }, NULL },
	{ "end\\", 1, { "end\\" }, NULL },
	{ "\\", 1, { "\\" }, NULL },
	{ "a\\ ", 1, { "a " }, NULL },

	/* unterminated quotes */
	{ "\"abc", -1, { NULL }, "Unterminated quote" },
	{ "a 'bc", -1, { NULL }, "Unterminated quote" },
	{ "\"", -1, { NULL }, "Unterminated quote" },
	{ "'", -1, { NULL }, "Unterminated quote" },
	{ "\"a\\\"", -1, { NULL }, "Unterminated quote" },
	{ "ok \"x\" '", -1, { NULL }, "Unterminated quote" },
};

static void
test_split_table(void)
{
	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *t = &split_cases[i];
		struct argv a;
		char *cause = NULL;
		int r;

		memset(&a, 0x5a, sizeof(a));
		r = argv_split(t->line, &a, &cause);
		if (t->argc < 0) {
			if (r != -1)
				UNIT_FAIL("case %zu: '%s' accepted", i, t->line);
			CHECK(cause != NULL);
			if (strstr(cause, t->cause) == NULL)
				UNIT_FAIL("case %zu: cause '%s' lacks '%s'", i, cause, t->cause);
			free(cause);
			/* nothing half-built is left behind */
			CHECK(a.argv == NULL);
			CHECK_INT(a.argc, 0);
			argv_free(&a);
			continue;
		}
		if (r != 0)
			UNIT_FAIL("case %zu: '%s' refused: %s", i, t->line, cause);
		CHECK(cause == NULL);
		if (a.argc != t->argc)
			UNIT_FAIL("case %zu: '%s' gave %d words, expected %d", i, t->line, a.argc,
			    t->argc);
		CHECK(a.argv != NULL);
		for (int w = 0; w < a.argc; w++)
			if (strcmp(a.argv[w], t->words[w]) != 0)
				UNIT_FAIL("case %zu: word %d is '%s', expected '%s'", i, w, a.argv[w],
				    t->words[w]);
		CHECK(a.argv[a.argc] == NULL);
		CHECK_INT(a.open_quote, 0);
		argv_free(&a);
		CHECK(a.argv == NULL);
		CHECK_INT(a.argc, 0);
	}
}

/* a NULL cause pointer is allowed */
static void
test_split_null_cause(void)
{
	struct argv a;

	CHECK(argv_split("\"open", &a, NULL) == -1);
	CHECK(a.argv == NULL);
	CHECK(argv_split("ok line", &a, NULL) == 0);
	CHECK_INT(a.argc, 2);
	argv_free(&a);
	argv_free(&a);	/* twice is harmless */
}

/* the line limit: ARGV_LINE_MAX characters pass, one more is refused */
static void
test_line_limit(void)
{
	char *line = xmalloc(ARGV_LINE_MAX + 2), *cause = NULL;
	struct argv a;

	memset(line, 'x', ARGV_LINE_MAX);
	line[ARGV_LINE_MAX] = '\0';
	CHECK(argv_split(line, &a, &cause) == 0);
	CHECK_INT(a.argc, 1);
	CHECK_INT(strlen(a.argv[0]), ARGV_LINE_MAX);
	argv_free(&a);

	line[ARGV_LINE_MAX] = 'x';
	line[ARGV_LINE_MAX + 1] = '\0';
	CHECK(argv_split(line, &a, &cause) == -1);
	CHECK(cause && strstr(cause, "Line too long"));
	free(cause);
	cause = NULL;
	CHECK(a.argv == NULL);

	/* blanks count too */
	memset(line, ' ', ARGV_LINE_MAX + 1);
	CHECK(argv_split(line, &a, &cause) == -1);
	free(cause);
	CHECK(argv_split_partial(line, &a) == -1);
	CHECK(a.argv == NULL);
	CHECK_INT(a.argc, 0);
	free(line);
}

/* the word limit: ARGV_MAX_WORDS words pass, one more is refused */
static void
test_word_limit(void)
{
	size_t size = (ARGV_MAX_WORDS + 2) * 4;
	char *line = xmalloc(size), *cause = NULL;
	struct argv a;
	size_t n = 0;

	line[0] = '\0';
	for (int i = 0; i < ARGV_MAX_WORDS; i++) {
		CHECK(str_fmt(line + n, size - n, "%s%d", i ? " " : "", i % 100) == 0);
		n = strlen(line);
	}
	CHECK(argv_split(line, &a, &cause) == 0);
	CHECK_INT(a.argc, ARGV_MAX_WORDS);
	CHECK_STR(a.argv[0], "0");
	CHECK_STR(a.argv[ARGV_MAX_WORDS - 1], "55");
	CHECK(a.argv[ARGV_MAX_WORDS] == NULL);
	argv_free(&a);

	/* trailing blanks are not a word */
	CHECK(str_fmt(line + n, size - n, "   ") == 0);
	CHECK(argv_split(line, &a, &cause) == 0);
	CHECK_INT(a.argc, ARGV_MAX_WORDS);
	argv_free(&a);

	/* one more word, even an empty quoted one */
	CHECK(str_fmt(line + n, size - n, " \"\"") == 0);
	CHECK(argv_split(line, &a, &cause) == -1);
	CHECK(cause && strstr(cause, "Too many words"));
	free(cause);
	cause = NULL;
	CHECK(a.argv == NULL);
	CHECK_INT(a.argc, 0);
	CHECK(argv_split_partial(line, &a) == -1);
	CHECK(a.argv == NULL);
	free(line);
}

/* argv_quote gives back a word argv_split turns into the same word */
static void
test_quote_roundtrip(void)
{
	static const char *const words[] = {
		"plain", "", " ", "two words", "tab\there", "new\nline", "cr\rhere",
		"\"", "'", "\\", "\\\\", "a\"b'c\\d", "end\\", "\\\"", "''", "\"\"",
		"key=value", "key=\"quoted\"", "#comment", "  lead", "trail  ",
		"semi;colon|pipe&amp", "$HOME `cmd` *?[]", "\xc3\xa4\xc3\xb6 utf-8",
		"=", "x=", "-", "--opt",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char *q = argv_quote(words[i]), *line, *cause = NULL;
		struct argv a;

		/* alone */
		if (argv_split(q, &a, &cause) < 0)
			UNIT_FAIL("quote of word %zu is '%s', refused: %s", i, q, cause);
		if (a.argc != 1 || strcmp(a.argv[0], words[i]) != 0)
			UNIT_FAIL("word %zu: quoted as [%s], split into %d words, first [%s]", i, q,
			    a.argc, a.argc ? a.argv[0] : "");
		argv_free(&a);

		/* among others */
		line = str_printf("cmd %s %s last", q, q);
		CHECK(argv_split(line, &a, &cause) == 0);
		CHECK_INT(a.argc, 4);
		CHECK_STR(a.argv[0], "cmd");
		CHECK_STR(a.argv[1], words[i]);
		CHECK_STR(a.argv[2], words[i]);
		CHECK_STR(a.argv[3], "last");
		argv_free(&a);
		free(line);
		free(q);
	}
}

/* argv_quote leaves plain words alone and quotes only when it must */
static void
test_quote_form(void)
{
	static const struct {
		const char *in, *out;
	} forms[] = {
		{ "plain", "plain" },
		{ "key=value", "key=value" },
		{ "", "\"\"" },
		{ "a b", "\"a b\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "a\\b", "\"a\\\\b\"" },
		{ "it's", "\"it's\"" },
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *q = argv_quote(forms[i].in);

		CHECK_STR(q, forms[i].out);
		free(q);
	}
}

/* argv_split_partial: a line being typed */
struct partial_case {
	const char *line;
	int argc;
	const char *last;	/* the last word, or NULL when argc is 0 */
	int trailing;
	int open_quote;
};

static const struct partial_case partial_cases[] = {
	{ "", 0, NULL, 0, 0 },
	{ " ", 0, NULL, 1, 0 },
	{ "smtp", 1, "smtp", 0, 0 },
	{ "smtproutes ", 1, "smtproutes", 1, 0 },
	{ "smtproutes\t", 1, "smtproutes", 1, 0 },
	{ "smtproutes n", 2, "n", 0, 0 },
	{ "smtproutes new  ", 2, "new", 1, 0 },
	{ "commit \"my comm", 2, "my comm", 0, 1 },
	{ "commit \"my comm ", 2, "my comm ", 0, 1 },
	{ "commit '", 2, "", 0, 1 },
	{ "commit \"done\"", 2, "done", 0, 0 },
	{ "commit \"done\" ", 2, "done", 1, 0 },
	{ "commit \"\"", 2, "", 0, 0 },
	{ "a\\ ", 1, "a ", 0, 0 },		/* an escaped blank belongs to the word */
	{ "a \\ ", 2, " ", 0, 0 },
	{ "a\\", 1, "a\\", 0, 0 },
};

static void
test_partial(void)
{
	for (size_t i = 0; i < sizeof(partial_cases) / sizeof(partial_cases[0]); i++) {
		const struct partial_case *t = &partial_cases[i];
		struct argv a;

		memset(&a, 0x5a, sizeof(a));
		if (argv_split_partial(t->line, &a) < 0)
			UNIT_FAIL("case %zu: '%s' refused", i, t->line);
		if (a.argc != t->argc || a.trailing != t->trailing || a.open_quote != t->open_quote)
			UNIT_FAIL("case %zu: '%s' -> argc %d trailing %d open_quote %d, expected %d %d %d",
			    i, t->line, a.argc, a.trailing, a.open_quote, t->argc, t->trailing,
			    t->open_quote);
		if (t->last)
			CHECK_STR(a.argv[a.argc - 1], t->last);
		argv_free(&a);
	}

	/* the full form refuses what the partial form tolerates, and sets neither flag */
	{
		struct argv a;
		char *cause = NULL;

		CHECK(argv_split("commit \"x", &a, &cause) == -1);
		free(cause);
		CHECK(argv_split("status ", &a, &cause) == 0);
		CHECK_INT(a.trailing, 1);
		CHECK_INT(a.open_quote, 0);
		argv_free(&a);
	}
}

static const struct unit_case cases[] = {
	{ "split_table", test_split_table },
	{ "split_null_cause", test_split_null_cause },
	{ "line_limit", test_line_limit },
	{ "word_limit", test_word_limit },
	{ "quote_roundtrip", test_quote_roundtrip },
	{ "quote_form", test_quote_form },
	{ "partial", test_partial },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("argv", cases, argc, argv);
}
