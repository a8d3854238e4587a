/*
 * fuzz_cmdline.c - libFuzzer harness for what the shell does with a
 * command line before any command runs: cmd_mask_line (commands/
 * cmd_table.c, the cli_logs form of a line), cmd_find / cmd_word_match /
 * cmd_keys_find (every level of sub-commands), and complete_line
 * (shell/complete.c, TAB and `?`).
 *
 * Beyond "no crash, no leak" it abort()s when a secret could reach the
 * log:
 *   - "password=" followed by the input's bytes (blanks and quotes
 *     removed) must be logged as "password=*****", alone or after a word;
 *   - for any line the tokenizer accepts, the masked line must split into
 *     the same words, except that each secret "key=value" word becomes
 *     "key=*****" (the value as the command would see it never appears),
 *     and that a command that takes secrets as free words (userconfig,
 *     passwd: CMD_F_SECRET_ARGS) may have any word but its name masked
 *     whole as "*****";
 * when completion offers a literal that does not extend the word being
 * typed, and when a command or sub-command lookup returns a word the
 * text does not abbreviate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "shell/complete.h"
#include "store/settings.h"
#include "util/argv.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fail - report an invariant that does not hold, and crash for libFuzzer */
static void
fail(const char *what, const char *line, const char *out)
{
	fprintf(stderr, "fuzz_cmdline: %s\n  line:   \"%s\"\n  masked: \"%s\"\n", what, line,
	    out ? out : "(none)");
	abort();
}

/* secret_word - is this word "key=value" with a secret key? */
static int
secret_word(const char *w)
{
	const char *eq = strchr(w, '=');

	return eq && eq > w && settings_is_secret_word(w, (size_t)(eq - w));
}

/* check_literal_secret - "PREFIXpassword=V" must log as "PREFIXpassword=*****" */
static void
check_literal_secret(const char *prefix, const char *v)
{
	char *line = str_printf("%spassword=%s", prefix, v);
	char *want = str_printf("%spassword=%s", prefix, SETTINGS_MASK);
	char *got = cmd_mask_line(line);

	if (strcmp(got, want) != 0)
		fail("secret value not masked", line, got);
	free(got);
	free(want);
	free(line);
}

/* check_mask_words - the masked line splits like the line, secrets masked */
static void
check_mask_words(const char *line, const char *masked)
{
	struct argv a, m;
	char *cause = NULL;
	int secret_args = 0;

	if (argv_split(line, &a, &cause) < 0) {
		free(cause);
		return;
	}
	if (argv_split(masked, &m, &cause) < 0) {
		free(cause);
		fail("masked line no longer splits", line, masked);
	}
	if (m.argc != a.argc)
		fail("masked line has another number of words", line, masked);
	/* userconfig and passwd (CMD_F_SECRET_ARGS) may mask any word after the first whole */
	if (a.argc > 0) {
		int amb;
		const struct cmd_entry *e = cmd_find(a.argv[0], &amb);

		secret_args = e != NULL && (e->flags & CMD_F_SECRET_ARGS);
	}
	for (int i = 0; i < a.argc; i++) {
		if (i > 0 && secret_args && strcmp(m.argv[i], SETTINGS_MASK) == 0)
			continue;
		if (secret_word(a.argv[i])) {
			size_t k = (size_t)(strchr(a.argv[i], '=') - a.argv[i]);

			if (strncmp(m.argv[i], a.argv[i], k + 1) != 0 ||
			    strcmp(m.argv[i] + k + 1, SETTINGS_MASK) != 0)
				fail("a secret word is not masked", line, masked);
		} else if (strcmp(m.argv[i], a.argv[i]) != 0) {
			fail("masking changed a word that holds no secret", line, masked);
		}
	}
	argv_free(&m);
	argv_free(&a);
}

/* check_complete - completion candidates extend the word being typed */
static void
check_complete(const char *line)
{
	struct complete_result r;
	char *common;

	complete_line(line, &r);
	if (r.partial == NULL || (r.n > 0 && r.items == NULL))
		fail("complete_line result incomplete", line, NULL);
	for (int i = 0; i < r.n; i++) {
		if (r.items[i].word == NULL)
			fail("completion candidate without a word", line, NULL);
		if (r.items[i].literal && !str_casecmp_prefix(r.partial, r.items[i].word))
			fail("completion candidate does not extend the word", line,
			    r.items[i].word);
	}
	common = complete_common(&r);
	if (common && !str_casecmp_prefix(r.partial, common) && *r.partial)
		fail("common prefix does not extend the word", line, common);
	free(common);
	complete_free(&r);
}

/* check_lookup - command and sub-command lookup on the first two words */
static void
check_lookup(const char *line)
{
	struct argv a;
	const struct cmd_entry *e;
	int amb, i = 1;

	if (argv_split_partial(line, &a) < 0 || a.argc == 0) {
		argv_free(&a);
		return;
	}
	e = cmd_find(a.argv[0], &amb);
	if (e && amb != 0)
		fail("cmd_find found a command and an ambiguity", line, NULL);
	if (e && a.argc > 1) {
		const char *w = cmd_word_match(e->words, a.argv[1]);

		if (w && !str_casecmp_prefix(a.argv[1], w))
			fail("cmd_word_match returned a word the text does not abbreviate", line,
			    w);
	}
	/* sub-commands at every level (policyconfig incoming new): each word abbreviates its find */
	for (const struct cmd_sub *subs = e ? e->subs : NULL; subs && i < a.argc; i++) {
		const struct cmd_sub *s = cmd_keys_find(subs, a.argv[i]);

		if (s && (s->name == NULL || !str_casecmp_prefix(a.argv[i], s->name)))
			fail("cmd_keys_find returned a sub-command the text does not abbreviate",
			    line, s->name);
		subs = s ? s->subs : NULL;
	}
	argv_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), *v = malloc(size + 1), *masked;
	size_t n = 0;

	if (line == NULL || v == NULL) {
		free(line);
		free(v);
		return 0;
	}
	memcpy(line, data, size);
	line[size] = '\0';

	masked = cmd_mask_line(line);
	if (masked == NULL)
		fail("cmd_mask_line returned NULL", line, NULL);
	check_mask_words(line, masked);
	free(masked);

	/* the bytes without blanks, quotes and NUL: one unquoted value */
	for (size_t i = 0; i < size; i++)
		if (!strchr(" \t\r\n\"'", (char)data[i]) && data[i] != '\0')
			v[n++] = (char)data[i];
	v[n] = '\0';
	check_literal_secret("", v);
	check_literal_secret("x ", v);
	check_literal_secret("sethostname a.example ", v);

	check_lookup(line);
	check_complete(line);
	free(line);
	free(v);
	return 0;
}
