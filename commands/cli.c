/*
 * cli.c - output and AsyncOS-style questions for commands.
 *
 * Invalid answers say why and ask again; Ctrl-C or the end of the input
 * stream abandons the dialogue (ASK_ABORT), and commands then change
 * nothing because they stage changes only after the last answer.
 *
 * DIAGNOSTICS: none of its own; write errors of the terminal are ignored.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cli.h"
#include "util/buf.h"
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
	struct buf b;
	char *s;

	va_start(ap, fmt);
	s = str_vprintf(fmt, ap);
	va_end(ap);
	/*
	 * one line: a newline inside would let input text forge output, and
	 * the user's control characters (an escape sequence) reach the
	 * terminal only as \ooo
	 */
	buf_init(&b, 0);
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '\n' || ch == '\r') {
			buf_add(&b, " ", 1);
		} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			buf_printf(&b, "\\%03o", ch);
		} else if (ch == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f) {
			/* U+0080-U+009F in UTF-8: C1 controls (0xc2 0x9b is CSI) */
			buf_printf(&b, "\\%03o\\%03o", ch, (unsigned char)p[1]);
			p++;
		} else {
			buf_add(&b, p, 1);
		}
	}
	buf_add(&b, "\n", 1);
	emit(c, b.data, b.len, 1);
	buf_free(&b);
	free(s);
}

int
cli_open_file(struct cli *c, const char *path)
{
	if (c->io && c->io->open_file)
		return c->io->open_file(c->io_arg, path);
	return open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
}

int
cli_bad_char(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return ch;
		/* the C1 controls U+0080-U+009F, as UTF-8: the code point */
		if (ch == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f)
			return (unsigned char)s[1];
	}
	return -1;
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

/*
 * read_answer - print question, read at "[def]> " with p's choices
 * offered to TAB and `?` (NULL: free text); NULL on abort
 */
static char *
read_answer(struct cli *c, const char *question, const char *def, const struct cli_prompt *p)
{
	static const struct cli_prompt free_text = { NULL, 0, 0, NULL, 0 };
	char *prompt, *line;
	int intr = 0, refused = 0;

	if (c->eof)
		return NULL;
	if (question && *question)
		cli_printf(c, "\n%s\n", question);
	prompt = str_printf("[%s]> ", def ? def : "");
	c->prompt = p ? p : &free_text;
	for (int tries = 0;; tries++) {
		const char *again = c->interactive ? "Please answer again." :
						     "The command is abandoned.";
		int bad;

		c->nul_in_line = 0;
		line = c->io->readline(c->io_arg, prompt, &intr);
		if (line == NULL || intr || cli_interrupted(c))
			break;
		if (c->nul_in_line)
			cli_error(c, "The answer contains a NUL byte. %s", again);
		else if ((bad = cli_bad_char(line)) >= 0)
			cli_error(c, "The answer contains a control character (\\%03o). %s", bad,
			    again);
		else
			break;
		free(line);
		line = NULL;
		/*
		 * a script's next line was meant for the next question: taking
		 * it for this one would shift every answer after it
		 */
		if (!c->interactive || tries + 1 >= CLI_MAX_RETRIES) {
			refused = 1;
			break;
		}
	}
	c->nul_in_line = 0;
	c->prompt = NULL;
	free(prompt);
	if (line == NULL) {
		if (!intr && !refused)
			c->eof = 1;
		return NULL;
	}
	if (intr || cli_interrupted(c)) {
		free(line);
		return NULL;
	}
	return line;
}

/* ask_text - cli_ask with what the question offers (p) */
static enum ask_ret
ask_text(struct cli *c, const char *question, const char *def, const struct cli_prompt *p,
    char *out, size_t size)
{
	char *line = read_answer(c, question, def, p);
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
cli_ask(struct cli *c, const char *question, const char *def, char *out, size_t size)
{
	return ask_text(c, question, def, NULL, out, size);
}

enum ask_ret
cli_ask_offered(struct cli *c, const char *question, const char *def,
    const struct cli_choice *offers, int n, char *out, size_t size)
{
	struct cli_prompt p = { offers, n, 0, NULL, 0 };

	return ask_text(c, question, def, &p, out, size);
}

enum ask_ret
cli_ask_secret(struct cli *c, const char *question, int keep, char *out, size_t size)
{
	struct cli_prompt p = { NULL, 0, 0, NULL, 1 };
	char *line = read_answer(c, question, keep ? "*****" : NULL, &p);
	enum ask_ret r = ASK_OK;
	size_t n;

	if (line == NULL)
		return ASK_ABORT;
	n = strlen(line);
	if (str_copy(out, str_trim(line), size) < 0) {
		cli_error(c, "The value is too long (at most %zu characters).", size - 1);
		*out = '\0';
		r = ASK_BACK;
	} else if (*out == '\0' && !keep) {
		r = ASK_BACK;
	}
	/* the answer leaves no copy in freed memory */
	explicit_bzero(line, n);
	free(line);
	return r;
}

enum ask_ret
cli_ask_required(struct cli *c, const char *question, char *out, size_t size)
{
	return cli_ask(c, question, NULL, out, size);
}

enum ask_ret
cli_ask_yesno(struct cli *c, const char *question, int def, int *out)
{
	static const struct cli_choice yn[] = { { "Y", "yes" }, { "N", "no" } };
	static const struct cli_prompt p = { yn, 2, 0, NULL, 0 };

	for (int tries = 0; tries < CLI_MAX_RETRIES; tries++) {
		char *line = read_answer(c, tries ? NULL : question, def ? "Y" : "N", &p);
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
	const struct cli_prompt p = { items, n, 0, NULL, 0 };

	for (int tries = 0; tries < CLI_MAX_RETRIES; tries++) {
		char *line, *t;
		int match = -1, nmatch = 0;

		cli_printf(c, "\n%s\n", heading ? heading : "Choose the operation you want to perform:");
		for (int i = 0; i < n; i++)
			cli_printf(c, "- %s - %s\n", items[i].name, items[i].help);
		line = read_answer(c, NULL, NULL, &p);
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

/*
 * list_prompt - what a numbered list offers: the numbers, with the items
 * as their help, then the items' text for TAB only (a unique piece of
 * it picks the item too)
 */
static void
list_prompt(struct cli_prompt *p, const char *const *items, int n)
{
	struct cli_choice *ch = xcalloc((size_t)(2 * n) + 1, sizeof(*ch));

	for (int i = 0; i < n; i++) {
		ch[i].name = str_printf("%d", i + 1);
		ch[i].help = items[i];
		ch[n + i].name = items[i];
		ch[n + i].help = ch[i].name;
	}
	p->choices = ch;
	p->n = 2 * n;
	p->nquiet = n;
}

/* list_prompt_free - release list_prompt's choices */
static void
list_prompt_free(struct cli_prompt *p)
{
	struct cli_choice *ch = (struct cli_choice *)p->choices;

	for (int i = 0; i < p->n - p->nquiet; i++)
		free((char *)ch[i].name);
	free(ch);
}

enum ask_ret
cli_ask_list(struct cli *c, const char *question, const char *const *items, int n, int def,
    int *out)
{
	char defs[16];
	struct cli_prompt p = { NULL, 0, 0, NULL, 0 };
	enum ask_ret r = ASK_ABORT;

	list_prompt(&p, items, n);
	for (int tries = 0; tries < CLI_MAX_RETRIES; tries++) {
		char *line, *t;
		long v;
		int match = -1, nmatch = 0;

		if (question)
			cli_printf(c, "\n%s\n", question);
		for (int i = 0; i < n; i++)
			cli_printf(c, "%d. %s\n", i + 1, items[i]);
		snprintf(defs, sizeof(defs), "%d", def);
		line = read_answer(c, NULL, def > 0 ? defs : "", &p);
		if (line == NULL)
			break;
		t = str_trim(line);
		if (*t == '\0') {
			free(line);
			if (def > 0) {
				*out = def - 1;
				r = ASK_OK;
			} else {
				r = ASK_BACK;
			}
			break;
		}
		if (str_to_long(t, 1, n, &v) == 0) {
			free(line);
			*out = (int)v - 1;
			r = ASK_OK;
			break;
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
			r = ASK_OK;
			break;
		}
		cli_error(c, "That value is not valid. Enter a number between 1 and %d.", n);
		free(line);
	}
	list_prompt_free(&p);
	return r;
}

enum ask_ret
cli_ask_number(struct cli *c, const char *question, long def, long min, long max, long *out)
{
	char defs[32], range[64];
	struct cli_prompt p = { NULL, 0, 0, range, 0 };

	snprintf(defs, sizeof(defs), "%ld", def);
	snprintf(range, sizeof(range), "<%ld-%ld>", min, max);
	for (int tries = 0; tries < CLI_MAX_RETRIES; tries++) {
		char *line = read_answer(c, tries ? NULL : question, defs, &p);
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
