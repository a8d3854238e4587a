/*
 * test_complete.c - TAB completion and `?` help (shell/complete.c), and
 * the command table they walk (commands/cmd_table.c): lookup by name,
 * alias and unique prefix, sub-command matching, and the masking of
 * secrets in logged command lines. Inside a dialogue, TAB and `?` offer
 * only the question's choices (complete_answer; cli.c registers them in
 * cli.prompt while it reads), and a secret is asked for with no echo.
 */
#include <strings.h>

#include "commands/cli.h"
#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "shell/complete.h"
#include "store/settings.h"
#include "util/argv.h"
#include "util/buf.h"
#include "util/str.h"
#include "tests/unit/unit.h"

#define MAXC 8

/* ------------------------------------------------------------ completion */

struct complete_case {
	const char *line;
	const char *partial;		/* the word being completed */
	int n;				/* candidates */
	const char *words[MAXC];	/* in table order */
	int literal[MAXC];		/* 1: completes; 0: placeholder */
	const char *common;		/* complete_common, NULL for none */
};

static const struct complete_case complete_cases[] = {
	/* smtptest is offered but never abbreviated: "smtp" runs smtproutes */
	{ "smtp", "smtp", 2, { "smtproutes", "smtptest" }, { 1, 1 }, "smtp" },
	{ "SMTP", "SMTP", 2, { "smtproutes", "smtptest" }, { 1, 1 }, "smtp" },
	{ "  smtpro", "smtpro", 1, { "smtproutes" }, { 1 }, "smtproutes" },
	{ "smtproutes", "smtproutes", 1, { "smtproutes" }, { 1 }, "smtproutes" },
	{ "smtproutes ", "", 5, { "new", "edit", "delete", "print", "clear" }, { 1, 1, 1, 1, 1 },
	    "" },
	{ "smtproutes n", "n", 1, { "new" }, { 1 }, "new" },
	{ "smtproutes N", "N", 1, { "new" }, { 1 }, "new" },
	{ "smtproutes e", "e", 1, { "edit" }, { 1 }, "edit" },
	{ "smtproutes de", "de", 1, { "delete" }, { 1 }, "delete" },
	{ "smtproutes   p", "p", 1, { "print" }, { 1 }, "print" },
	{ "SmtpRoutes c", "c", 1, { "clear" }, { 1 }, "clear" },
	{ "smtproutes zz", "zz", 0, { NULL }, { 0 }, NULL },
	/* placeholders are offered whatever is typed, and never complete */
	{ "smtproutes new ", "", 1, { "<DOMAIN>" }, { 0 }, NULL },
	{ "smtproutes new ex", "ex", 1, { "<DOMAIN>" }, { 0 }, NULL },
	{ "smtproutes edit ", "", 1, { "<DOMAIN>" }, { 0 }, NULL },
	{ "smtproutes delete ", "", 1, { "<DOMAIN>" }, { 0 }, NULL },
	{ "smtproutes new example.com ", "", 1, { "<DEST>" }, { 0 }, NULL },
	{ "smtproutes new example.com mx", "mx", 1, { "<DEST>" }, { 0 }, NULL },
	{ "smtproutes new example.com mx.example.com ", "", 0, { NULL }, { 0 }, NULL },
	{ "smtproutes delete example.com ", "", 0, { NULL }, { 0 }, NULL },
	{ "smtproutes print ", "", 0, { NULL }, { 0 }, NULL },
	{ "smtproutes bogus ", "", 0, { NULL }, { 0 }, NULL },
	/* unique prefixes are followed, as execution accepts them */
	{ "smtpr new ", "", 1, { "<DOMAIN>" }, { 0 }, NULL },
	{ "smtproutes n ", "", 1, { "<DOMAIN>" }, { 0 }, NULL },
	{ "smtproutes \"new\" ", "", 1, { "<DOMAIN>" }, { 0 }, NULL },
	/* unknown or ambiguous commands have no arguments to offer */
	{ "nosuchcommand", "nosuchcommand", 0, { NULL }, { 0 }, NULL },
	{ "nosuchcommand ", "", 0, { NULL }, { 0 }, NULL },
	{ "nosuchcommand n", "n", 0, { NULL }, { 0 }, NULL },
	{ "zz", "zz", 0, { NULL }, { 0 }, NULL },
	{ "c ", "", 0, { NULL }, { 0 }, NULL },
	/* the alias completes like a name */
	{ "exi", "exi", 1, { "exit" }, { 1 }, "exit" },
	{ "qui", "qui", 1, { "quit" }, { 1 }, "quit" },
	{ "quit ", "", 0, { NULL }, { 0 }, NULL },
	{ "exit ", "", 0, { NULL }, { 0 }, NULL },
	/* other commands' placeholders */
	{ "help ", "", 1, { "<COMMAND>" }, { 0 }, NULL },
	{ "commit ", "", 1, { "<COMMENT>" }, { 0 }, NULL },
	{ "commit \"half a comm", "half a comm", 1, { "<COMMENT>" }, { 0 }, NULL },
};

static void
test_complete_table(void)
{
	for (size_t i = 0; i < sizeof(complete_cases) / sizeof(complete_cases[0]); i++) {
		const struct complete_case *t = &complete_cases[i];
		struct complete_result r;
		char *common;

		complete_line(t->line, &r);
		CHECK(r.partial != NULL);
		if (strcmp(r.partial, t->partial) != 0)
			UNIT_FAIL("'%s': partial '%s', expected '%s'", t->line, r.partial, t->partial);
		if (r.n != t->n) {
			for (int k = 0; k < r.n; k++)
				fprintf(stderr, "  candidate %s\n", r.items[k].word);
			UNIT_FAIL("'%s': %d candidates, expected %d", t->line, r.n, t->n);
		}
		for (int k = 0; k < r.n; k++) {
			if (strcmp(r.items[k].word, t->words[k]) != 0)
				UNIT_FAIL("'%s': candidate %d is '%s', expected '%s'", t->line, k,
				    r.items[k].word, t->words[k]);
			if (r.items[k].literal != t->literal[k])
				UNIT_FAIL("'%s': candidate %s literal %d", t->line, r.items[k].word,
				    r.items[k].literal);
			CHECK(r.items[k].help != NULL && *r.items[k].help != '\0');
		}
		common = complete_common(&r);
		if ((common == NULL) != (t->common == NULL) ||
		    (common && strcmp(common, t->common) != 0))
			UNIT_FAIL("'%s': common '%s', expected '%s'", t->line,
			    common ? common : "(null)", t->common ? t->common : "(null)");
		free(common);
		complete_free(&r);
		CHECK_INT(r.n, 0);
		CHECK(r.items == NULL);
		CHECK(r.partial == NULL);
	}
}

/* an empty line lists every visible command and alias, in table order */
static void
test_complete_empty(void)
{
	static const char *const lines[] = { "", " ", "\t  " };

	for (size_t l = 0; l < sizeof(lines) / sizeof(lines[0]); l++) {
		struct complete_result r;
		int k = 0, have_smtproutes = 0, have_exit = 0;

		complete_line(lines[l], &r);
		CHECK_STR(r.partial, "");
		for (int i = 0; cmd_table[i]; i++) {
			const struct cmd_entry *e = cmd_table[i];

			if (e->flags & CMD_F_HIDDEN)
				continue;
			CHECK(k < r.n);
			CHECK_STR(r.items[k].word, e->name);
			CHECK(r.items[k].help == e->help);
			CHECK_INT(r.items[k].literal, 1);
			k++;
			if (e->alias) {
				CHECK(k < r.n);
				CHECK_STR(r.items[k].word, e->alias);
				k++;
			}
		}
		CHECK_INT(r.n, k);
		for (int i = 0; i < r.n; i++) {
			have_smtproutes |= strcmp(r.items[i].word, "smtproutes") == 0;
			have_exit |= strcmp(r.items[i].word, "exit") == 0;
		}
		CHECK(have_smtproutes && have_exit);
		CHECK(r.n > 5);
		complete_free(&r);
	}
}

/* a first-word prefix lists exactly the commands it starts (NOABBREV ones too) */
static void
test_complete_prefix_lists(void)
{
	static const char *const prefixes[] = { "c", "comm", "de", "s", "S", "re" };

	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		struct complete_result r;
		int want = 0;
		char *common;

		complete_line(prefixes[p], &r);
		for (int i = 0; cmd_table[i]; i++) {
			const struct cmd_entry *e = cmd_table[i];

			if (e->flags & CMD_F_HIDDEN)
				continue;
			if (strncasecmp(prefixes[p], e->name, strlen(prefixes[p])) == 0) {
				CHECK(want < r.n);
				CHECK_STR(r.items[want].word, e->name);
				want++;
			}
			/* an alias is offered right after its command (delivernow) */
			if (e->alias && strncasecmp(prefixes[p], e->alias, strlen(prefixes[p])) == 0) {
				CHECK(want < r.n);
				CHECK_STR(r.items[want].word, e->alias);
				want++;
			}
		}
		CHECK_INT(r.n, want);
		/* the common part starts with what was typed */
		common = complete_common(&r);
		if (want > 0) {
			CHECK(common != NULL);
			CHECK(strncasecmp(common, prefixes[p], strlen(prefixes[p])) == 0);
		} else {
			CHECK(common == NULL);
		}
		free(common);
		complete_free(&r);
	}

	/* the ones the brief names */
	{
		struct complete_result r;
		char *common;

		complete_line("comm", &r);
		CHECK(r.n >= 2);
		common = complete_common(&r);
		CHECK_STR(common, "commit");
		free(common);
		complete_free(&r);
	}
}

/* complete_common on hand-made results */
static void
test_complete_common(void)
{
	static struct complete_item two[] = {
		{ "commit", "h", 1, 0 }, { "commitdetail", "h", 1, 0 },
	};
	static struct complete_item mixed_case[] = {
		{ "Abc", "h", 1, 0 }, { "abd", "h", 1, 0 }, { "ABX", "h", 1, 0 },
	};
	static struct complete_item with_placeholder[] = {
		{ "<DOMAIN>", "h", 0, 0 }, { "delete", "h", 1, 0 }, { "default", "h", 1, 0 },
	};
	static struct complete_item placeholder_only[] = {
		{ "<DOMAIN>", "h", 0, 0 },
	};
	static struct complete_item disjoint[] = {
		{ "new", "h", 1, 0 }, { "edit", "h", 1, 0 },
	};
	static struct complete_item prefix_of_other[] = {
		{ "commitdetail", "h", 1, 0 }, { "commit", "h", 1, 0 },
	};
	static const struct {
		struct complete_item *items;
		int n;
		const char *want;
	} cases[] = {
		{ two, 2, "commit" },
		{ two, 1, "commit" },
		{ mixed_case, 3, "Ab" },
		{ with_placeholder, 3, "de" },
		{ placeholder_only, 1, NULL },
		{ disjoint, 2, "" },
		{ prefix_of_other, 2, "commit" },
		{ NULL, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct complete_result r = { cases[i].n, cases[i].items, NULL };
		char *c = complete_common(&r);

		if ((c == NULL) != (cases[i].want == NULL) || (c && strcmp(c, cases[i].want) != 0))
			UNIT_FAIL("case %zu: common '%s', expected '%s'", i, c ? c : "(null)",
			    cases[i].want ? cases[i].want : "(null)");
		free(c);
	}
}

/* odd lines: completion never fails, whatever is typed */
static void
test_complete_odd_lines(void)
{
	char *huge = xmalloc(ARGV_LINE_MAX + 10);
	static const char *const lines[] = {
		"\"", "'", "\\", "smtproutes \"", "smtproutes '", "\"smtproutes\" ",
		"smtproutes new \"example.com", "smtproutes\\ ", "#", "?",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct complete_result r;

		complete_line(lines[i], &r);
		CHECK(r.partial != NULL);
		for (int k = 0; k < r.n; k++)
			CHECK(r.items[k].word != NULL);
		complete_free(&r);
	}
	/* a quoted command name works like a plain one */
	{
		struct complete_result r;

		complete_line("\"smtproutes\" ", &r);
		CHECK_INT(r.n, 5);
		complete_free(&r);
		/* an escaped blank is part of the word, so nothing follows "smtproutes " */
		complete_line("smtproutes\\ ", &r);
		CHECK_STR(r.partial, "smtproutes ");
		CHECK_INT(r.n, 0);
		complete_free(&r);
	}
	memset(huge, 'x', ARGV_LINE_MAX + 9);
	huge[ARGV_LINE_MAX + 9] = '\0';
	{
		struct complete_result r;

		complete_line(huge, &r);
		CHECK(r.partial != NULL);
		complete_free(&r);
	}
	free(huge);
}

/* ------------------------------------------------------------ the command table */

static const struct cmd_entry *
entry(const char *name)
{
	for (int i = 0; cmd_table[i]; i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	UNIT_FAIL("no command %s in the table", name);
}

/* count_prefix - non-NOABBREV commands whose name or alias starts with p */
static int
count_prefix(const char *p)
{
	int n = 0;

	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (e->flags & CMD_F_NOABBREV)
			continue;
		if (strncasecmp(p, e->name, strlen(p)) == 0 ||
		    (e->alias && strncasecmp(p, e->alias, strlen(p)) == 0))
			n++;
	}
	return n;
}

struct find_case {
	const char *name;
	const char *want;	/* the entry's name, or NULL */
};

static const struct find_case find_cases[] = {
	{ "smtproutes", "smtproutes" },
	{ "SMTPROUTES", "smtproutes" },
	{ "smtp", "smtproutes" },
	{ "smtproute", "smtproutes" },
	{ "quit", "quit" },
	{ "exit", "quit" },
	{ "EXIT", "quit" },
	{ "exi", "quit" },
	{ "q", "quit" },
	{ "commit", "commit" },
	{ "COMMIT", "commit" },
	{ "clear", "clear" },
	{ "commitdetail", "commitdetail" },
	{ "commi", "commitdetail" },	/* commit must be typed in full */
	{ "cle", NULL },
	{ "clea", NULL },
	{ "smtproutesx", NULL },
	{ "nosuchcommand", NULL },
	{ "exitx", NULL },
	{ "smtproutes ", NULL },
};

static void
test_cmd_find(void)
{
	for (size_t i = 0; i < sizeof(find_cases) / sizeof(find_cases[0]); i++) {
		const struct find_case *t = &find_cases[i];
		const struct cmd_entry *e;
		int amb = -7;

		e = cmd_find(t->name, &amb);
		if (t->want == NULL) {
			if (e != NULL)
				UNIT_FAIL("cmd_find(%s) found %s", t->name, e->name);
			CHECK_INT(amb, count_prefix(t->name) > 1 ? count_prefix(t->name) : 0);
			continue;
		}
		if (e == NULL)
			UNIT_FAIL("cmd_find(%s) found nothing (ambiguous %d)", t->name, amb);
		if (e != entry(t->want))
			UNIT_FAIL("cmd_find(%s) found %s, expected %s", t->name, e->name, t->want);
		CHECK_INT(amb, 0);
		CHECK(cmd_find(t->name, NULL) == e);
	}
}

/* every entry is found by its own name and alias, in any case */
static void
test_cmd_find_every_entry(void)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		char upper[64];
		int amb;

		CHECK(cmd_find(e->name, &amb) == e);
		CHECK_INT(amb, 0);
		CHECK(str_copy(upper, e->name, sizeof(upper)) == 0);
		for (char *p = upper; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		CHECK(cmd_find(upper, &amb) == e);
		if (e->alias)
			CHECK(cmd_find(e->alias, &amb) == e);

		/* a NOABBREV command is never reached through a proper prefix */
		if (e->flags & CMD_F_NOABBREV) {
			for (size_t len = 1; len < strlen(e->name); len++) {
				char *p = str_ndup(e->name, len);

				CHECK(cmd_find(p, &amb) != e);
				free(p);
			}
		}
	}
	/* the ones the brief names */
	CHECK(entry("commit")->flags & CMD_F_NOABBREV);
	CHECK(entry("clear")->flags & CMD_F_NOABBREV);
	CHECK(entry("quit")->alias != NULL);
	CHECK_STR(entry("quit")->alias, "exit");
}

static void
test_cmd_find_ambiguous(void)
{
	static const char *const prefixes[] = { "c", "de", "s", "" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		int amb = -7, want = count_prefix(prefixes[i]);

		CHECK(want >= 2);
		CHECK(cmd_find(prefixes[i], &amb) == NULL);
		CHECK_INT(amb, want);
		CHECK(cmd_find(prefixes[i], NULL) == NULL);
	}
	/* "c": certconfig and commitdetail (clear and commit are NOABBREV) */
	{
		int amb;

		CHECK(cmd_find("c", &amb) == NULL);
		CHECK(amb >= 2);
		CHECK_INT(amb, count_prefix("c"));
	}
}

/* every declaration is complete, and the table is in help order */
static int
check_words(const struct cmd_word *list, int depth)
{
	int n = 0;

	if (list == NULL || depth > 6)
		return 0;
	for (const struct cmd_word *w = list; w->word; w++, n++) {
		CHECK(*w->word != '\0');
		if (w->help == NULL || *w->help == '\0')
			UNIT_FAIL("word '%s' has no help", w->word);
		if (w->word[0] == '<')
			CHECK(w->word[strlen(w->word) - 1] == '>');
		if (w->next != list)
			n += check_words(w->next, depth + 1);
	}
	return n;
}

static void
test_cmd_table_sane(void)
{
	int n = 0;

	for (int i = 0; cmd_table[i]; i++, n++) {
		const struct cmd_entry *e = cmd_table[i];

		CHECK(e->name && *e->name);
		CHECK(e->usage && *e->usage);
		CHECK(e->help && *e->help);
		CHECK(e->exec != NULL);
		if (strncmp(e->usage, e->name, strlen(e->name)) != 0)
			UNIT_FAIL("usage of %s does not start with its name: %s", e->name, e->usage);
		if (i > 0 && strcmp(cmd_table[i - 1]->name, e->name) >= 0)
			UNIT_FAIL("table not alphabetical: %s before %s", cmd_table[i - 1]->name,
			    e->name);
		for (int j = 0; cmd_table[j]; j++) {
			if (j == i)
				continue;
			CHECK(strcasecmp(cmd_table[j]->name, e->name) != 0);
			if (e->alias) {
				CHECK(strcasecmp(cmd_table[j]->name, e->alias) != 0);
				CHECK(cmd_table[j]->alias == NULL ||
				    strcasecmp(cmd_table[j]->alias, e->alias) != 0);
			}
		}
		check_words(e->words, 0);
	}
	CHECK(n >= 5);
}

struct word_case {
	const char *typed;
	const char *want;	/* NULL: no match */
};

static const struct word_case word_cases[] = {
	{ "new", "new" },
	{ "NEW", "new" },
	{ "n", "new" },
	{ "e", "edit" },
	{ "ed", "edit" },
	{ "d", "delete" },
	{ "p", "print" },
	{ "c", "clear" },
	{ "print", "print" },
	{ "newx", NULL },
	{ "x", NULL },
	{ "", NULL },
	{ "<DOMAIN>", NULL },
};

static void
test_cmd_word_match(void)
{
	/* smtproutes' sub-commands as a word list (smtproutes itself is a cmd_sub table) */
	static const struct cmd_word words[] = {
		{ "new", "h", NULL },
		{ "edit", "h", NULL },
		{ "delete", "h", NULL },
		{ "print", "h", NULL },
		{ "clear", "h", NULL },
		{ NULL, NULL, NULL },
	};
	const struct cmd_sub *subs = entry("smtproutes")->subs;
	static const struct cmd_word ambiguous[] = {
		{ "delete", "h", NULL },
		{ "default", "h", NULL },
		{ "del", "h", NULL },
		{ "ip=", "h", NULL },
		{ "<NAME>", "h", NULL },
		{ NULL, NULL, NULL },
	};

	CHECK(subs != NULL);
	for (size_t i = 0; i < sizeof(word_cases) / sizeof(word_cases[0]); i++) {
		const char *got = cmd_word_match(words, word_cases[i].typed);
		const struct cmd_sub *sub = cmd_keys_find(subs, word_cases[i].typed);

		/* the real table's lookup agrees with cmd_word_match */
		if ((sub == NULL) != (got == NULL) || (sub && strcmp(sub->name, got) != 0))
			UNIT_FAIL("cmd_keys_find(smtproutes, %s) = %s, cmd_word_match = %s",
			    word_cases[i].typed, sub ? sub->name : "(null)", got ? got : "(null)");

		if ((got == NULL) != (word_cases[i].want == NULL) ||
		    (got && strcmp(got, word_cases[i].want) != 0))
			UNIT_FAIL("cmd_word_match(%s) = %s, expected %s", word_cases[i].typed,
			    got ? got : "(null)", word_cases[i].want ? word_cases[i].want : "(null)");
	}
	CHECK(cmd_word_match(ambiguous, "de") == NULL);		/* three candidates */
	CHECK_STR(cmd_word_match(ambiguous, "del"), "del");	/* exact beats prefixes */
	CHECK_STR(cmd_word_match(ambiguous, "dele"), "delete");
	CHECK_STR(cmd_word_match(ambiguous, "def"), "default");
	CHECK(cmd_word_match(ambiguous, "ip") == NULL);		/* keys are not sub-commands */
	CHECK(cmd_word_match(ambiguous, "ip=") == NULL);
	CHECK(cmd_word_match(ambiguous, "<NAME>") == NULL);
	CHECK(cmd_word_match(NULL, "x") == NULL);
}

/* ------------------------------------------------------------ masking */

struct mask_case {
	const char *in;
	const char *out;
};

static const struct mask_case mask_cases[] = {
	{ "", "" },
	{ "password=abc", "password=*****" },
	{ "cmd password=abc", "cmd password=*****" },
	{ "cmd password=abc other=1", "cmd password=***** other=1" },
	{ "cmd PassWord=abc", "cmd PassWord=*****" },
	{ "cmd secret=s3cr3t passphrase=pp", "cmd secret=***** passphrase=*****" },
	{ "cmd password=", "cmd password=*****" },
	{ "cmd password=\"a b c\" x=1", "cmd password=***** x=1" },
	{ "cmd password='a b' x", "cmd password=***** x" },
	{ "cmd password=a\"b c\"d tail", "cmd password=***** tail" },
	{ "cmd \"password=a b\" x", "cmd \"password=*****\" x" },
	{ "cmd 'password=a b' x", "cmd 'password=*****' x" },
	{ "cmd \"password=abc\"", "cmd \"password=*****\"" },
	{ "cmd  password=abc\t\tx=1  ", "cmd  password=*****\t\tx=1  " },
	{ "cmd password=\"unterminated secret", "cmd password=*****" },
	/* the key as the command will see it once split */
	{ "cmd \"password\"=x y", "cmd \"password\"=***** y" },
	{ "cmd pass\"word=x y\" z", "cmd pass\"word=*****\" z" },
	{ "cmd password\\=x y", "cmd password\\=***** y" },
	{ "cmd a\\\"b password=x", "cmd a\\\"b password=*****" },
	{ "cmd \"a\\\"b\" password=x", "cmd \"a\\\"b\" password=*****" },
	/* not secret keys */
	{ "sethostname gw.example.com", "sethostname gw.example.com" },
	{ "cmd passwords=abc", "cmd passwords=abc" },
	{ "cmd mypassword=abc", "cmd mypassword=abc" },
	{ "cmd x=password=abc", "cmd x=password=abc" },
	{ "cmd password", "cmd password" },
	{ "cmd name=\"password=abc\"", "cmd name=\"password=abc\"" },
	{ "cmd \"a password=abc\"", "cmd \"a password=abc\"" },
	{ "commit \"changed the password\"", "commit \"changed the password\"" },
	{ "cmd =password", "cmd =password" },
	/* a quoted earlier word does not hide a later secret */
	{ "cmd \"quoted word\" password=abc", "cmd \"quoted word\" password=*****" },
	{ "cmd 'it''s' secret=x", "cmd 'it''s' secret=*****" },
};

static void
test_mask_line(void)
{
	for (size_t i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
		char *m = cmd_mask_line(mask_cases[i].in);

		if (strcmp(m, mask_cases[i].out) != 0)
			UNIT_FAIL("mask [%s] = [%s], expected [%s]", mask_cases[i].in, m,
			    mask_cases[i].out);
		free(m);
	}
}

/* every SECRET setting's key is masked under its short name */
static void
test_mask_secret_settings(void)
{
	for (const struct setting_def *d = settings_table; d->name; d++) {
		const char *base = strrchr(d->name, '.');
		char *line, *m, *want;

		base = base ? base + 1 : d->name;
		line = str_printf("cmd %s=TOPSECRET", base);
		m = cmd_mask_line(line);
		if (d->flags & SETTING_SECRET) {
			want = str_printf("cmd %s=%s", base, SETTINGS_MASK);
			CHECK_STR(m, want);
			CHECK(strstr(m, "TOPSECRET") == NULL);
			free(want);
		} else if (!settings_is_secret_word(base, strlen(base))) {
			CHECK_STR(m, line);
		}
		free(m);
		free(line);
	}
}

/* whatever the quoting, the secret itself never survives */
static void
test_mask_never_leaks(void)
{
	static const char *const forms[] = {
		"password=%s", "password=\"%s\"", "password='%s'", "\"password=%s\"",
		"'password=%s'", "password=\"x %s\"", "\"password=x %s\"", "'password=x %s'",
		"password=x\\ %s",
	};
	static const char *const secrets[] = { "TOPSECRET", "TOP SECRET", "a b TOPSECRET" };

	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		for (size_t s = 0; s < sizeof(secrets) / sizeof(secrets[0]); s++) {
			char *value, *line, *m;

			/* a blank inside an unquoted value needs the quotes of the form */
			if (strchr(secrets[s], ' ') && strchr(forms[f], '"') == NULL &&
			    strchr(forms[f], '\'') == NULL)
				continue;
			value = str_printf(forms[f], secrets[s]);
			line = str_printf("tdcconfig %s next=1", value);
			m = cmd_mask_line(line);
			if (strstr(m, "SECRET") != NULL)
				UNIT_FAIL("secret leaks: [%s] -> [%s]", line, m);
			if (strstr(m, " next=1") == NULL)
				UNIT_FAIL("following word lost: [%s] -> [%s]", line, m);
			free(m);
			free(line);
			free(value);
		}
	}
}

/* ------------------------------------------------------------ dialogues */

static const struct cli_choice menu_ch[] = {
	{ "NEW", "Create a new route." },
	{ "EDIT", "Edit a route." },
	{ "SETUP", "Set up." },
	{ "SERVERS", "Servers." },
};
static const struct cli_prompt menu_p = { menu_ch, 4, 0, NULL, 0 };
static const struct cli_choice list_ch[] = {
	{ "1", "Active Recipients" },
	{ "2", "Delivered Recipients" },
	{ "Active Recipients", "1" },
	{ "Delivered Recipients", "2" },
};
static const struct cli_prompt list_p = { list_ch, 4, 2, NULL, 0 };
static const struct cli_prompt number_p = { NULL, 0, 0, "<1-65535>", 0 };
static const struct cli_prompt text_p = { NULL, 0, 0, NULL, 0 };

struct answer_case {
	const struct cli_prompt *p;
	const char *line;
	int n;				/* candidates */
	const char *words[MAXC];
	int quiet[MAXC];
	const char *common;
};

static const struct answer_case answer_cases[] = {
	/* a menu offers its words, whatever the case typed; never commands */
	{ &menu_p, "", 4, { "NEW", "EDIT", "SETUP", "SERVERS" }, { 0 }, "" },
	{ &menu_p, "se", 2, { "SETUP", "SERVERS" }, { 0 }, "SE" },
	{ &menu_p, "  set", 1, { "SETUP" }, { 0 }, "SETUP" },
	{ &menu_p, "sethost", 0, { NULL }, { 0 }, NULL },
	{ &menu_p, "smtp", 0, { NULL }, { 0 }, NULL },
	/* a list: numbers for `?`, the items' text for TAB too */
	{ &list_p, "", 4, { "1", "2", "Active Recipients", "Delivered Recipients" },
	    { 0, 0, 1, 1 }, "" },
	{ &list_p, "2", 1, { "2" }, { 0 }, "2" },
	{ &list_p, "deliv", 1, { "Delivered Recipients" }, { 1 }, "Delivered Recipients" },
	/* free text offers nothing; a number question describes its range */
	{ &text_p, "", 0, { NULL }, { 0 }, NULL },
	{ &text_p, "se", 0, { NULL }, { 0 }, NULL },
	{ NULL, "se", 0, { NULL }, { 0 }, NULL },
	{ &number_p, "", 1, { "<1-65535>" }, { 0 }, NULL },
};

/* test_complete_answer - TAB and `?` inside a dialogue */
static void
test_complete_answer(void)
{
	for (size_t i = 0; i < sizeof(answer_cases) / sizeof(answer_cases[0]); i++) {
		const struct answer_case *t = &answer_cases[i];
		struct complete_result r;
		char *common;

		complete_answer(t->line, t->p, &r);
		if (r.n != t->n)
			UNIT_FAIL("case %zu '%s': %d candidates, expected %d", i, t->line, r.n, t->n);
		for (int k = 0; k < r.n; k++) {
			if (strcmp(r.items[k].word, t->words[k]) != 0)
				UNIT_FAIL("case %zu '%s': candidate %d is '%s', expected '%s'", i,
				    t->line, k, r.items[k].word, t->words[k]);
			if (r.items[k].quiet != t->quiet[k])
				UNIT_FAIL("case %zu: %s quiet %d", i, r.items[k].word,
				    r.items[k].quiet);
		}
		common = complete_common(&r);
		if ((common == NULL) != (t->common == NULL) ||
		    (common && strcasecmp(common, t->common) != 0))
			UNIT_FAIL("case %zu: common '%s', expected '%s'", i, common ? common : "(null)",
			    t->common ? t->common : "(null)");
		free(common);
		complete_free(&r);
	}
}

/* A scripted terminal that records what each question offered. */
struct script {
	const char *const *answers;	/* NULL-terminated */
	int next;
	struct cli *c;
	struct buf seen;		/* "prompt|secret|choice,choice;" per read */
	struct buf out;			/* everything written */
};

/* script_readline - cli_io.readline: note cli.prompt, give the next answer */
static char *
script_readline(void *arg, const char *prompt, int *intr)
{
	struct script *s = arg;
	const struct cli_prompt *p = s->c->prompt;

	*intr = 0;
	if (p == NULL)
		UNIT_FAIL("a question was read without cli.prompt set");
	buf_printf(&s->seen, "%s|%d|", prompt, p->secret);
	for (int i = 0; i < p->n - p->nquiet; i++)
		buf_printf(&s->seen, "%s%s", i ? "," : "", p->choices[i].name);
	if (p->placeholder)
		buf_addstr(&s->seen, p->placeholder);
	buf_addstr(&s->seen, ";");
	if (s->answers[s->next] == NULL)
		return NULL;
	return str_dup(s->answers[s->next++]);
}

/* script_write - cli_io.write into the buffer */
static int
script_write(void *arg, const char *p, size_t n, int is_error)
{
	struct script *s = arg;

	(void)is_error;
	buf_add(&s->out, p, n);
	return 0;
}

static const struct cli_io script_io = { script_readline, script_write, NULL, NULL };

/* script_cli - a cli (no store) answering from answers */
static void
script_cli(struct cli *c, struct script *s, const char *const *answers)
{
	static volatile sig_atomic_t intr;

	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	buf_init(&s->seen, 0);
	buf_init(&s->out, 0);
	buf_addstr(&s->seen, "");
	buf_addstr(&s->out, "");
	s->answers = answers;
	s->c = c;
	c->io = &script_io;
	c->io_arg = s;
	c->interactive = 1;
	c->intr = &intr;
}

/* test_dialogue_prompts - each cli_ask* registers its question's choices, and only while reading */
static void
test_dialogue_prompts(void)
{
	static const char *const answers[] = { "y", "pr", "2", "7", "x", NULL };
	static const struct cli_choice ch[] = { { "NEW", "n" }, { "PRINT", "p" } };
	static const char *const items[] = { "Active", "Delivered" };
	struct cli c;
	struct script s;
	char out[32];
	int yes = 0, k = -1;
	long v = 0;

	script_cli(&c, &s, answers);
	CHECK(c.prompt == NULL);
	CHECK_INT(cli_ask_yesno(&c, "Sure?", 0, &yes), ASK_OK);
	CHECK_INT(yes, 1);
	CHECK_INT(cli_ask_menu(&c, NULL, ch, 2, &k), ASK_OK);
	CHECK_INT(k, 1);
	CHECK_INT(cli_ask_list(&c, "Which?", items, 2, 1, &k), ASK_OK);
	CHECK_INT(k, 1);
	CHECK_INT(cli_ask_number(&c, "How many?", 5, 1, 10, &v), ASK_OK);
	CHECK_INT(v, 7);
	CHECK_INT(cli_ask(&c, "Name?", NULL, out, sizeof(out)), ASK_OK);
	CHECK(c.prompt == NULL);
	CHECK_STR(s.seen.data, "[N]> |0|Y,N;[]> |0|NEW,PRINT;[1]> |0|1,2;[5]> |0|<1-10>;[]> |0|;");
	buf_free(&s.seen);
	buf_free(&s.out);
}

/* test_ask_secret - no echo asked for; an empty answer keeps a stored value only when there is one */
static void
test_ask_secret(void)
{
	static const char *const answers[] = { "  s3cret ", "", "", NULL };
	struct cli c;
	struct script s;
	char out[16];

	script_cli(&c, &s, answers);
	CHECK_INT(cli_ask_secret(&c, "Client secret:", 0, out, sizeof(out)), ASK_OK);
	CHECK_STR(out, "s3cret");
	CHECK_INT(cli_ask_secret(&c, "Client secret:", 1, out, sizeof(out)), ASK_OK);
	CHECK_STR(out, "");
	CHECK_INT(cli_ask_secret(&c, "Client secret:", 0, out, sizeof(out)), ASK_BACK);
	CHECK_INT(cli_ask_secret(&c, "Client secret:", 0, out, sizeof(out)), ASK_ABORT);
	CHECK(c.prompt == NULL);
	CHECK_STR(s.seen.data, "[]> |1|;[*****]> |1|;[]> |1|;[]> |1|;");
	/* the answer is never written back */
	CHECK(strstr(s.out.data, "s3cret") == NULL);
	CHECK(strstr(s.out.data, "Client secret:") != NULL);
	buf_free(&s.seen);
	buf_free(&s.out);
}

/* test_ask_secret_too_long - refused, nothing kept */
static void
test_ask_secret_too_long(void)
{
	static const char *const answers[] = { "0123456789abcdefXYZ", NULL };
	struct cli c;
	struct script s;
	char out[8];

	script_cli(&c, &s, answers);
	CHECK_INT(cli_ask_secret(&c, "Key:", 1, out, sizeof(out)), ASK_BACK);
	CHECK_STR(out, "");
	CHECK(strstr(s.out.data, "0123") == NULL);
	buf_free(&s.seen);
	buf_free(&s.out);
}

static const struct unit_case cases[] = {
	{ "complete_answer", test_complete_answer },
	{ "dialogue_prompts", test_dialogue_prompts },
	{ "ask_secret", test_ask_secret },
	{ "ask_secret_too_long", test_ask_secret_too_long },
	{ "complete_table", test_complete_table },
	{ "complete_empty", test_complete_empty },
	{ "complete_prefix_lists", test_complete_prefix_lists },
	{ "complete_common", test_complete_common },
	{ "complete_odd_lines", test_complete_odd_lines },
	{ "cmd_find", test_cmd_find },
	{ "cmd_find_every_entry", test_cmd_find_every_entry },
	{ "cmd_find_ambiguous", test_cmd_find_ambiguous },
	{ "cmd_table_sane", test_cmd_table_sane },
	{ "cmd_word_match", test_cmd_word_match },
	{ "mask_line", test_mask_line },
	{ "mask_secret_settings", test_mask_secret_settings },
	{ "mask_never_leaks", test_mask_never_leaks },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	return unit_main("complete", cases, argc, argv);
}
