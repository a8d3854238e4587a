/*
 * cmd_table.c - the list of commands, lookup by name or unique prefix, and
 * running one command line.
 *
 * Every line run (interactive or batch) goes to cli_logs first, with the
 * values of secret keys masked, so the audit trail never holds a secret.
 *
 * DIAGNOSTICS: "Unknown command: 'x'. Type 'help' for a list of commands."
 * and "Ambiguous command: 'x' could be: a b" as one error line each.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands/cmd.h"
#include "store/settings.h"
#include "util/argv.h"
#include "util/buf.h"
#include "util/logfile.h"
#include "util/str.h"

extern const struct cmd_entry cmd_clear_entry;
extern const struct cmd_entry cmd_commit_entry;
extern const struct cmd_entry cmd_commitdetail_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_quit_entry;
extern const struct cmd_entry cmd_rollbackconfig_entry;
extern const struct cmd_entry cmd_sethostname_entry;
extern const struct cmd_entry cmd_showchanges_entry;
extern const struct cmd_entry cmd_smtproutes_entry;
extern const struct cmd_entry cmd_version_entry;

/* Alphabetical: help lists them in this order. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_clear_entry,
	&cmd_commit_entry,
	&cmd_commitdetail_entry,
	&cmd_help_entry,
	&cmd_quit_entry,
	&cmd_rollbackconfig_entry,
	&cmd_sethostname_entry,
	&cmd_showchanges_entry,
	&cmd_smtproutes_entry,
	&cmd_version_entry,
	NULL,
};

const struct cmd_entry *
cmd_find(const char *name, int *ambiguous)
{
	const struct cmd_entry *found = NULL;
	int n = 0;

	if (ambiguous)
		*ambiguous = 0;
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (strcasecmp(e->name, name) == 0 || (e->alias && strcasecmp(e->alias, name) == 0))
			return e;
	}
	for (int i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (e->flags & CMD_F_NOABBREV)
			continue;
		if (str_casecmp_prefix(name, e->name) ||
		    (e->alias && str_casecmp_prefix(name, e->alias))) {
			found = e;
			n++;
		}
	}
	if (n == 1)
		return found;
	if (ambiguous)
		*ambiguous = n;
	return NULL;
}

const char *
cmd_word_match(const struct cmd_word *list, const char *t)
{
	const char *found = NULL;
	int n = 0;

	if (*t == '\0')
		return NULL;
	for (const struct cmd_word *w = list; w && w->word; w++) {
		if (w->word[0] == '<' || strchr(w->word, '='))
			continue;
		if (strcasecmp(w->word, t) == 0)
			return w->word;
		if (str_casecmp_prefix(t, w->word)) {
			found = w->word;
			n++;
		}
	}
	return n == 1 ? found : NULL;
}

char *
cmd_mask_line(const char *line)
{
	struct buf b;
	const char *p = line;

	buf_init(&b, 0);
	while (*p) {
		const char *w = p;
		size_t len;

		/* at the start of a word: a key= whose key is secret? */
		if (*w == '"' || *w == '\'')
			w++;
		len = 0;
		while (isalnum((unsigned char)w[len]) || w[len] == '_' || w[len] == '-' ||
		    w[len] == '.')
			len++;
		if (len > 0 && w[len] == '=' && settings_is_secret_word(w, len)) {
			char quote = 0;

			buf_add(&b, p, (size_t)(w - p) + len + 1);
			buf_addstr(&b, SETTINGS_MASK);
			for (p = w + len + 1; *p; p++) {
				if (quote) {
					if (*p == quote)
						quote = 0;
				} else if (*p == '"' || *p == '\'') {
					quote = *p;
				} else if (*p == ' ' || *p == '\t') {
					break;
				}
			}
		} else {
			/* copy the word through, then the blanks after it */
			char quote = 0;

			for (; *p; p++) {
				if (quote) {
					if (*p == quote)
						quote = 0;
				} else if (*p == '"' || *p == '\'') {
					quote = *p;
				} else if (*p == ' ' || *p == '\t') {
					break;
				}
				buf_addch(&b, *p);
			}
		}
		while (*p == ' ' || *p == '\t')
			buf_addch(&b, *p++);
	}
	return buf_steal(&b);
}

/* log_line - record the command line in cli_logs (AsyncOS cli_logs shape) */
static void
log_line(struct cli *c, const char *line)
{
	char *masked;

	if (c->clilog == NULL)
		return;
	masked = cmd_mask_line(line);
	logfile_write(c->clilog, LOGFILE_INFO, "PID %ld: User %s entered '%.2000s'",
	    (long)getpid(), c->user, masked);
	free(masked);
}

enum cmd_ret
cmd_usage_error(struct cli *c, const struct cmd_entry *e, const char *detail)
{
	char *usage = str_dup(e->usage);

	for (char *p = usage; *p; p++)
		if (*p == '\n')
			*p = ';';
	if (detail)
		cli_error(c, "Invalid arguments when processing: %s. Usage: %s", detail, usage);
	else
		cli_error(c, "Invalid arguments when processing: %s. Usage: %s", e->name, usage);
	free(usage);
	return CMD_ERROR;
}

enum cmd_ret
cmd_run_line(struct cli *c, const char *line)
{
	struct argv a;
	char *cause = NULL;
	const struct cmd_entry *e;
	enum cmd_ret r;
	int amb;

	c->stopped = 0;
	if (argv_split(line, &a, &cause) < 0) {
		log_line(c, line);
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (a.argc == 0 || a.argv[0][0] == '#') {
		argv_free(&a);
		return CMD_OK;
	}
	log_line(c, line);
	e = cmd_find(a.argv[0], &amb);
	if (e == NULL) {
		if (amb > 1) {
			struct buf b;

			buf_init(&b, 0);
			for (int i = 0; cmd_table[i]; i++)
				if (!(cmd_table[i]->flags & CMD_F_NOABBREV) &&
				    str_casecmp_prefix(a.argv[0], cmd_table[i]->name))
					buf_printf(&b, " %s", cmd_table[i]->name);
			cli_error(c, "Ambiguous command: '%.100s' could be:%s", a.argv[0], b.data);
			buf_free(&b);
		} else {
			cli_error(c, "Unknown command: '%.100s'. Type 'help' for a list of commands.",
			    a.argv[0]);
		}
		argv_free(&a);
		return CMD_ERROR;
	}
	r = e->exec(c, a.argc - 1, a.argv + 1);
	if (r == CMD_ABORTED)
		cli_error(c, "-- Changes not recorded");
	argv_free(&a);
	return r;
}
