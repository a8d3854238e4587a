/*
 * cli.c - output and AsyncOS-style questions for commands.
 *
 * Invalid answers say why and ask again; Ctrl-C or the end of the input
 * stream abandons the dialogue (ASK_ABORT), and commands then change
 * nothing because they stage changes only after the last answer.
 *
 * DIAGNOSTICS: none of its own; write errors of the terminal are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cli.h"
#include "util/str.h"

/* After this many invalid answers in a row, a dialogue gives up. */
#define CLI_MAX_RETRIES 20

/* emit - write through the shell unless the user stopped the output */
static void
emit(struct cli *c, const char *s, size_t n, int is_error)
{
	if (c->stopped && !is_error)
		return;
	if (c->io->write(c->io_arg, s, n, is_error) < 0)
		c->stopped = 1;
}

void
cli_printf(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = str_vprintf(fmt, ap);
	va_end(ap);
	emit(c, s, strlen(s), 0);
	free(s);
}

void
cli_error(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	char *s, *line;

	va_start(ap, fmt);
	s = str_vprintf(fmt, ap);
	va_end(ap);
	/* one line: a newline inside would let input text forge output */
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	line = str_printf("%s\n", s);
	emit(c, line, strlen(line), 1);
	free(line);
	free(s);
}

int
cli_interrupted(struct cli *c)
{
	return c->intr && *c->intr;
}

/* cli_wait - pause while a command follows a log; 1 to stop */
int
cli_wait(struct cli *c, int ms)
{
	if (cli_interrupted(c) || c->io->wait == NULL)
		return 1;
	return c->io->wait(c->io_arg, ms) || cli_interrupted(c);
}

/* read_answer - print question, read at "[def]> "; NULL on abort */
static char *
read_answer(struct cli *c, const char *question, const char *def)
{
	char *prompt, *line;
	int intr = 0;

	if (c->eof)
		return NULL;
	if (question && *question)
		cli_printf(c, "\n%s\n", question);
	prompt = str_printf("[%s]> ", def ? def : "");
	line = c->io->readline(c->io_arg, prompt, &intr);
	free(prompt);
	if (line == NULL) {
		if (!intr)
			c->eof = 1;
		return NULL;
	}
	if (intr || cli_interrupted(c)) {
		free(line);
		return NULL;
	}
	return line;
}

enum ask_ret
cli_ask(struct cli *c, const char *question, const char *def, char *out, size_t size)
{
	char *line = read_answer(c, question, def);
	char *t;

	if (line == NULL)
		return ASK_ABORT;
	t = str_trim(line);
	if (*t == '\0' && def)
		t = (char *)def;
	if (str_copy(out, t, size) < 0) {
		free(line);
		cli_error(c, "The value is too long (at most %zu characters).", size - 1);
		return ASK_BACK;
	}
	free(line);
	return (*out == '\0' && (def == NULL || *def == '\0')) ? ASK_BACK : ASK_OK;
}

enum ask_ret
cli_ask_required(struct cli *c, const char *question, char *out, size_t size)
{
	return cli_ask(c, question, NULL, out, size);
}

enum ask_ret
cli_ask_yesno(struct cli *c, const char *question, int def, int *out)
{
	for (int tries = 0; tries < CLI_MAX_RETRIES; tries++) {
		char *line = read_answer(c, tries ? NULL : question, def ? "Y" : "N");
		char *t;

		if (line == NULL)
			return ASK_ABORT;
		t = str_trim(line);
		if (*t == '\0') {
			*out = def;
		} else if (strcasecmp(t, "y") == 0 || strcasecmp(t, "yes") == 0) {
			*out = 1;
		} else if (strcasecmp(t, "n") == 0 || strcasecmp(t, "no") == 0) {
			*out = 0;
		} else {
			free(line);
			cli_error(c, "Please answer Y or N.");
			continue;
		}
		free(line);
		return ASK_OK;
	}
	return ASK_ABORT;
}

enum ask_ret
cli_ask_menu(struct cli *c, const char *heading, const struct cli_choice *items, int n, int *out)
{
	for (int tries = 0; tries < CLI_MAX_RETRIES; tries++) {
		char *line, *t;
		int match = -1, nmatch = 0;

		cli_printf(c, "\n%s\n", heading ? heading : "Choose the operation you want to perform:");
		for (int i = 0; i < n; i++)
			cli_printf(c, "- %s - %s\n", items[i].name, items[i].help);
		line = read_answer(c, NULL, NULL);
		if (line == NULL)
			return ASK_ABORT;
		t = str_trim(line);
		if (*t == '\0') {
			free(line);
			return ASK_BACK;
		}
		for (int i = 0; i < n; i++) {
			if (strcasecmp(t, items[i].name) == 0) {
				match = i;
				nmatch = 1;
				break;
			}
			if (str_casecmp_prefix(t, items[i].name)) {
				match = i;
				nmatch++;
			}
		}
		if (nmatch == 1) {
			free(line);
			*out = match;
			return ASK_OK;
		}
		cli_error(c, "%s '%.100s'. Choose one of the operations listed.",
		    nmatch ? "Ambiguous choice" : "Unknown option", t);
		free(line);
	}
	return ASK_ABORT;
}

enum ask_ret
cli_ask_list(struct cli *c, const char *question, const char *const *items, int n, int def,
    int *out)
{
	char defs[16];

	for (int tries = 0; tries < CLI_MAX_RETRIES; tries++) {
		char *line, *t;
		long v;
		int match = -1, nmatch = 0;

		if (question)
			cli_printf(c, "\n%s\n", question);
		for (int i = 0; i < n; i++)
			cli_printf(c, "%d. %s\n", i + 1, items[i]);
		snprintf(defs, sizeof(defs), "%d", def);
		line = read_answer(c, NULL, def > 0 ? defs : "");
		if (line == NULL)
			return ASK_ABORT;
		t = str_trim(line);
		if (*t == '\0') {
			free(line);
			if (def > 0) {
				*out = def - 1;
				return ASK_OK;
			}
			return ASK_BACK;
		}
		if (str_to_long(t, 1, n, &v) == 0) {
			free(line);
			*out = (int)v - 1;
			return ASK_OK;
		}
		/* a unique piece of the item's text also picks it (AsyncOS does) */
		for (int i = 0; i < n; i++)
			if (strcasestr(items[i], t)) {
				match = i;
				nmatch++;
			}
		if (nmatch == 1) {
			free(line);
			*out = match;
			return ASK_OK;
		}
		cli_error(c, "That value is not valid. Enter a number between 1 and %d.", n);
		free(line);
	}
	return ASK_ABORT;
}

enum ask_ret
cli_ask_number(struct cli *c, const char *question, long def, long min, long max, long *out)
{
	char defs[32];

	snprintf(defs, sizeof(defs), "%ld", def);
	for (int tries = 0; tries < CLI_MAX_RETRIES; tries++) {
		char *line = read_answer(c, tries ? NULL : question, defs);
		char *t;

		if (line == NULL)
			return ASK_ABORT;
		t = str_trim(line);
		if (*t == '\0') {
			*out = def;
			free(line);
			return ASK_OK;
		}
		if (str_to_long(t, min, max, out) == 0) {
			free(line);
			return ASK_OK;
		}
		free(line);
		cli_error(c, "The value must be a number between %ld and %ld.", min, max);
	}
	return ASK_ABORT;
}
