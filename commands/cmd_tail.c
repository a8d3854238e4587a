/*
 * cmd_tail.c - `tail [-n N] [-f] [LOG]`: the last lines of a log, then the
 * lines written to it, until Ctrl-C.
 *
 * The current file of the log (DIR/logs/NAME/PREFIX.current, through
 * mail/logsub.c) is read from the start of its last N lines (10 by
 * default), found by reading backwards from the end (util/tailf.c), so
 * the size of the log does not matter. Following survives rollovers: the
 * rolled file is read to its end and the new current file followed.
 *
 * At a terminal tail always follows, until Ctrl-C. In batch mode
 * `tail -n N LOG` prints and returns; `tail LOG` and `tail -f ...` follow
 * as `grep -t` does (cli_wait): until Ctrl-C or a signal, or until the
 * input stream has a line or ends, so a script never waits forever.
 * Output is never paged. Without LOG, the "Currently configured logs:"
 * list asks for one.
 *
 * DIAGNOSTICS: one error line and failure for an unknown log, a bad -n
 * value, an unknown option or an unreadable file ("Unable to tail ...").
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "mail/logsub.h"
#include "util/str.h"
#include "util/tailf.h"

extern const struct cmd_entry cmd_tail_entry;

#define TAIL_DEFAULT_LINES 10
#define TAIL_MAX_LINES 1000000L
#define TAIL_POLL_MS 250	/* how often a followed file is looked at */

/* parse_lines - the value of -n; error printed */
static int
parse_lines(struct cli *c, const char *v, long *n)
{
	if (*v < '0' || *v > '9' || str_to_long(v, 0, TAIL_MAX_LINES, n) < 0) {
		cli_error(c, "Invalid number of lines '%.40s' for -n: enter a number between 0 and "
			     "%ld.",
		    v, TAIL_MAX_LINES);
		return -1;
	}
	return 0;
}

/* choose - the dialogue: pick a log from the list; name filled */
static enum ask_ret
choose(struct cli *c, char *name, size_t size)
{
	struct logsub *subs;
	char **items, *cause = NULL;
	enum ask_ret a;
	int n, k;

	if (logsub_load(c->st, &subs, &n, &cause) < 0) {
		cli_error(c, "Unable to tail: %s", cause);
		free(cause);
		return ASK_ABORT;
	}
	items = xcalloc((size_t)n, sizeof(char *));
	for (int i = 0; i < n; i++)
		items[i] = str_printf("\"%s\" Type: \"%s\"", subs[i].name,
		    logsub_type_label(subs[i].type));
	a = cli_ask_list(c, "Currently configured logs:", (const char *const *)items, n, 0, &k);
	if (a == ASK_OK)
		str_copy(name, subs[k].name, size);
	for (int i = 0; i < n; i++)
		free(items[i]);
	free(items);
	free(subs);
	return a;
}

/* run - print the last n lines of a log, then follow it if asked */
static enum cmd_ret
run(struct cli *c, const char *name, long n, int follow)
{
	char dir[4096], prefix[64], *cause = NULL, *path;
	struct tailf *t;
	const char *p;
	size_t len;
	int nopager = c->nopager;

	if (logsub_resolve(c->st, name, dir, sizeof(dir), prefix, sizeof(prefix), &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	path = str_printf("%s/%s.current", dir, prefix);
	t = tailf_open(path, n, &cause);
	free(path);
	if (t == NULL) {
		cli_error(c, "Unable to tail %s: %s", name, cause);
		free(cause);
		return CMD_ERROR;
	}
	/* a pager would stop a log that keeps coming: never page tail */
	c->nopager = 1;
	for (;;) {
		while (!c->stopped && (p = tailf_next(t, &len)) != NULL)
			cli_printf(c, "%.*s", (int)len, p);
		if (!follow || c->stopped || cli_wait(c, TAIL_POLL_MS))
			break;
	}
	if (!follow && !c->stopped) {
		p = tailf_rest(t, &len);
		if (len > 0)
			cli_printf(c, "%.*s\n", (int)len, p);
	}
	if (follow && c->interactive && cli_interrupted(c))
		cli_printf(c, "\n");	/* the prompt after the terminal's ^C, not beside it */
	c->nopager = nopager;
	tailf_close(t);
	return CMD_OK;
}

static enum cmd_ret
tail_exec(struct cli *c, int argc, char **argv)
{
	char name[LOGSUB_NAME_MAX + 1];
	const char *log = NULL;
	long n = TAIL_DEFAULT_LINES;
	int nflag = 0, fflag = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-f") == 0) {
			fflag = 1;
		} else if (strncmp(a, "-n", 2) == 0) {
			const char *v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (v == NULL)
				return cmd_usage_error(c, &cmd_tail_entry, "tail -n");
			if (parse_lines(c, v, &n) < 0)
				return CMD_ERROR;
			nflag = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			cli_error(c, "Unknown option '%.40s' for tail: use -n N or -f.", a);
			return CMD_ERROR;
		} else if (log == NULL) {
			log = a;
		} else {
			return cmd_usage_error(c, &cmd_tail_entry, "tail");
		}
	}
	if (log == NULL) {
		switch (choose(c, name, sizeof(name))) {
		case ASK_OK:
			log = name;
			break;
		case ASK_BACK:
			return CMD_OK;
		case ASK_ABORT:
			return c->eof || cli_interrupted(c) ? CMD_ABORTED : CMD_ERROR;
		}
	}
	return run(c, log, n, c->interactive || !nflag || fflag);
}

/* what may follow tail (and follow -n N, -f): a tentative definition, completed below */
static const struct cmd_word tail_words[6];

static const struct cmd_word tail_n_words[] = {
	{ "<N>", "number of lines shown first, 0-1000000 (default 10)", tail_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word tail_words[6] = {
	{ "-n", "how many of the last lines to show first", tail_n_words },
	{ "-f", "keep following in batch mode (as at a terminal)", tail_words },
	{ "mail_logs", "the mail log of mxgated", NULL },
	{ "cli_logs", "the log of shell commands", NULL },
	{ "<LOG>", "a log listed by logconfig print", NULL },
	{ NULL, NULL, NULL },
};

const struct cmd_entry cmd_tail_entry = {
	.name = "tail",
	.usage = "tail [-n N] [-f] [LOG]",
	.help = "Show the end of a log and follow it.",
	.flags = 0,
	.words = tail_words,
	.exec = tail_exec,
};
