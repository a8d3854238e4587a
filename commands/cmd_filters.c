/*
 * cmd_filters.c - `filters`: the message filters (AsyncOS `filters`).
 *
 *   filters                                   the dialogue
 *   filters new [NUM|NAME|last]               then the script, ended by "."
 *   filters delete NAME|NUM|all
 *   filters move NAME|NUM POSITION
 *   filters set NAME|NUM active|inactive
 *   filters list
 *   filters detail NAME|NUM
 *   filters import FILE                       replaces every filter
 *   filters export FILE [force]               DIR/configuration/FILE
 *
 * Message filters run in order on every message, before the policies'
 * content filters (mail/filter.h has the language). Everything is pending
 * until commit. Each operation loads the filters as this session sees
 * them, changes its copy and stages the whole set at the end
 * (filterconf_save, inside one candidate group), so a refused operation
 * stages nothing. A syntax error stages nothing; a filter that names an
 * address list or quarantine that does not exist is staged all the same,
 * marked invalid (and not run) until it does.
 *
 * NEW takes AsyncOS's position (`NEW [seqnum|filtname|last]`): the new
 * filters go in at number NUM (1 to one past the last), before the
 * filter NAME, or at the end (last, the default). "last" is always the
 * keyword, even when a filter has that name (its number places before it).
 *
 * DIAGNOSTICS: one error line per refusal ("Invalid filter syntax: line
 * L, column C: ...", "Duplicate filter name", "Invalid filter name",
 * "Invalid filter range"); a batch form then fails, and so does a
 * dialogue in which an operation was refused.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/filtercmd.h"
#include "mail/filterconf.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_filters_entry;

/* ---------------------------------------------------------- operations */

/* load - the message filters as this session sees them; error printed */
static int
load(struct cli *c, struct filter_set *s)
{
	return filtercmd_load(c, FILTER_SECTION, "message filters", s);
}

/* stage - stage the whole set, all or nothing (the set is kept); CMD_OK or CMD_ERROR */
static enum cmd_ret
stage(struct cli *c, const struct filter_set *s)
{
	return filtercmd_stage(c, FILTER_SECTION, s);
}

/* fail - free the set, report failure */
static enum cmd_ret
fail(struct filter_set *s)
{
	filterconf_free(s);
	return CMD_ERROR;
}

/* add_script - append the filters of a parsed script to s; error printed */
static int
add_script(struct cli *c, struct filter_set *s, const struct filtercmd_script *sc)
{
	char *cause = NULL;

	for (int i = 0; i < sc->n; i++) {
		const char *name = filter_name(sc->f[i]);

		if (filterconf_index(s, name) >= 0) {
			cli_error(c, "Duplicate filter name \"%s\": a filter of that name exists.", name);
			return -1;
		}
	}
	if (s->n + sc->n > FILTERCONF_MAX) {
		cli_error(c, "There can be at most %d message filters.", FILTERCONF_MAX);
		return -1;
	}
	for (int i = 0; i < sc->n; i++) {
		if (filterconf_add(c->st, s, filter_name(sc->f[i]), filter_text(sc->f[i]), NULL,
		    sc->active[i], &cause) < 0) {
			cli_error(c, "Cannot read the configuration: %s", cause);
			free(cause);
			return -1;
		}
	}
	return 0;
}

/* report_added - one line per new filter (n from from), and why it is invalid when it is */
static void
report_added(struct cli *c, const struct filter_set *s, int from, int n, const char *verb)
{
	for (int i = from; i < from + n; i++) {
		cli_printf(c, "Filter \"%s\" %s at position %d%s.\n", s->e[i].name, verb, i + 1,
		    s->e[i].active ? "" : " (inactive)");
		filtercmd_note_invalid(c, &s->e[i]);
	}
}

/*
 * new_position - the index where NEW's filters go in s: word NULL or
 * "last" (any case) the end, a number 1 to s->n + 1, or the name of the
 * filter they go before; -1 with the error printed
 */
static int
new_position(struct cli *c, const struct filter_set *s, const char *word)
{
	long num;
	int i;

	if (word == NULL || strcasecmp(word, "last") == 0)
		return s->n;
	if (isdigit((unsigned char)word[0])) {
		if (str_to_long(word, 1, s->n + 1, &num) == 0)
			return (int)num - 1;
		cli_error(c, "Invalid filter range: %.20s (the position of a new filter is a number "
			     "from 1 to %d, a filter's name or last).",
		    word, s->n + 1);
		return -1;
	}
	if ((i = filterconf_index(s, word)) < 0)
		cli_error(c, "Invalid filter name '%.64s': there is no message filter of that name "
			     "(the position of a new filter is a number from 1 to %d, a filter's name "
			     "or last).",
		    word, s->n + 1);
	return i;
}

/* place - move the last n entries of s (just added) to index at */
static void
place(struct filter_set *s, int at, int n)
{
	int from = s->n - n;
	struct filter_entry *tmp;

	if (at >= from || n == 0)
		return;
	tmp = xmalloc(sizeof(*tmp) * (size_t)n);
	memcpy(tmp, s->e + from, sizeof(*tmp) * (size_t)n);
	memmove(s->e + at + n, s->e + at, sizeof(*s->e) * (size_t)(from - at));
	memcpy(s->e + at, tmp, sizeof(*tmp) * (size_t)n);
	free(tmp);
}

/* do_new_text - NEW with the script already read; pos: its position word, or NULL (the end) */
static enum cmd_ret
do_new_text(struct cli *c, const char *text, const char *pos)
{
	struct filtercmd_script sc;
	struct filter_set s;
	int at, n;

	if (filtercmd_parse(c, text, strlen(text), &sc) < 0)
		return CMD_ERROR;
	if (load(c, &s) < 0) {
		filtercmd_script_free(&sc);
		return CMD_ERROR;
	}
	if ((at = new_position(c, &s, pos)) < 0 || add_script(c, &s, &sc) < 0) {
		filtercmd_script_free(&sc);
		return fail(&s);
	}
	n = sc.n;
	filtercmd_script_free(&sc);
	place(&s, at, n);
	if (stage(c, &s) != CMD_OK)
		return fail(&s);
	report_added(c, &s, at, n, "added");
	filterconf_free(&s);
	return CMD_OK;
}

/* do_new - NEW [POSITION]: read the script, then add its filters there */
static enum cmd_ret
do_new(struct cli *c, const char *pos)
{
	enum cmd_ret r;
	char *text = filtercmd_read_script(c, &r);

	if (text == NULL)
		return r;
	r = do_new_text(c, text, pos);
	free(text);
	return r;
}

/* do_delete - DELETE NAME|NUM|all (a filter named "all" is that filter) */
static enum cmd_ret
do_delete(struct cli *c, const char *word)
{
	struct filter_set s;
	char name[FILTER_NAME_MAX + 1];
	int i;

	if (load(c, &s) < 0)
		return CMD_ERROR;
	if (strcasecmp(word, "all") == 0 && filterconf_index(&s, word) < 0) {
		int n = s.n;

		if (n == 0) {
			cli_printf(c, "There are no message filters to delete.\n");
			filterconf_free(&s);
			return CMD_OK;
		}
		while (s.n > 0)
			filterconf_remove(&s, 0);
		if (stage(c, &s) != CMD_OK)
			return fail(&s);
		cli_printf(c, "%d filter%s deleted.\n", n, n == 1 ? "" : "s");
		filterconf_free(&s);
		return CMD_OK;
	}
	if ((i = filtercmd_pick(c, &s, word, "message filter")) < 0)
		return fail(&s);
	str_copy(name, s.e[i].name, sizeof(name));
	filterconf_remove(&s, i);
	if (stage(c, &s) != CMD_OK)
		return fail(&s);
	cli_printf(c, "Filter \"%s\" deleted.\n", name);
	filterconf_free(&s);
	return CMD_OK;
}

/* do_move - MOVE NAME|NUM POSITION */
static enum cmd_ret
do_move(struct cli *c, const char *word, const char *pos_text)
{
	struct filter_set s;
	struct filter_entry e;
	long pos;
	int i;

	if (load(c, &s) < 0)
		return CMD_ERROR;
	if ((i = filtercmd_pick(c, &s, word, "message filter")) < 0)
		return fail(&s);
	if (str_to_long(pos_text, 1, s.n, &pos) < 0) {
		cli_error(c, "Invalid filter range: %.20s (the position is a number from 1 to %d).",
		    pos_text, s.n);
		return fail(&s);
	}
	e = s.e[i];
	memmove(s.e + i, s.e + i + 1, sizeof(*s.e) * (size_t)(s.n - i - 1));
	memmove(s.e + pos, s.e + pos - 1, sizeof(*s.e) * (size_t)(s.n - pos));
	s.e[pos - 1] = e;
	if (stage(c, &s) != CMD_OK)
		return fail(&s);
	cli_printf(c, "Filter \"%s\" moved to position %ld.\n", e.name, pos);
	filterconf_free(&s);
	return CMD_OK;
}

/* do_set - SET NAME|NUM active|inactive */
static enum cmd_ret
do_set(struct cli *c, const char *word, const char *state)
{
	struct filter_set s;
	int i, active;

	if (strcasecmp(state, "active") == 0) {
		active = 1;
	} else if (strcasecmp(state, "inactive") == 0) {
		active = 0;
	} else {
		cli_error(c, "Unknown option '%.40s' for filters set: use active or inactive.",
		    state);
		return CMD_ERROR;
	}
	if (load(c, &s) < 0)
		return CMD_ERROR;
	if ((i = filtercmd_pick(c, &s, word, "message filter")) < 0)
		return fail(&s);
	s.e[i].active = active;
	if (stage(c, &s) != CMD_OK)
		return fail(&s);
	cli_printf(c, "Filter \"%s\" is %s.\n", s.e[i].name, active ? "active" : "inactive");
	if (active)
		filtercmd_note_invalid(c, &s.e[i]);
	filterconf_free(&s);
	return CMD_OK;
}

/* print_list - the LIST table */
static void
print_list(struct cli *c, const struct filter_set *s)
{
	if (s->n == 0) {
		cli_printf(c, "There are no message filters.\n");
		return;
	}
	cli_printf(c, "Num Active Valid Name\n");
	for (int i = 0; i < s->n && !c->stopped; i++)
		cli_printf(c, "%-3d %-6s %-5s %s\n", i + 1, s->e[i].active ? "Y" : "N",
		    s->e[i].valid ? "Y" : "N", s->e[i].name);
}

/* do_list - LIST */
static enum cmd_ret
do_list(struct cli *c)
{
	struct filter_set s;

	if (load(c, &s) < 0)
		return CMD_ERROR;
	print_list(c, &s);
	filterconf_free(&s);
	return CMD_OK;
}

/* print_detail - one filter: attributes, then its script */
static void
print_detail(struct cli *c, const struct filter_set *s, int i)
{
	const struct filter_entry *e = &s->e[i];

	cli_printf(c, "Filter: %s\n", e->name);
	cli_printf(c, "Position: %d of %d\n", i + 1, s->n);
	cli_printf(c, "Active: %s\n", e->active ? "Yes" : "No");
	if (e->valid)
		cli_printf(c, "Valid: Yes\n");
	else
		cli_printf(c, "Valid: No (%s)\n", e->why);
	cli_printf(c, "\n%s\n", e->text);
}

/* do_detail - DETAIL NAME|NUM */
static enum cmd_ret
do_detail(struct cli *c, const char *word)
{
	struct filter_set s;
	int i;

	if (load(c, &s) < 0)
		return CMD_ERROR;
	if ((i = filtercmd_pick(c, &s, word, "message filter")) < 0)
		return fail(&s);
	print_detail(c, &s, i);
	filterconf_free(&s);
	return CMD_OK;
}

/* do_import - IMPORT FILE: the file's filters replace all, after a check of the whole file */
static enum cmd_ret
do_import(struct cli *c, const char *path)
{
	struct filtercmd_script sc;
	struct filter_set s;
	size_t len;
	char *text = filtercmd_read_file(c, path, &len);
	int old;

	if (text == NULL)
		return CMD_ERROR;
	if (filtercmd_parse(c, text, len, &sc) < 0) {
		free(text);
		return CMD_ERROR;
	}
	free(text);
	if (load(c, &s) < 0) {
		filtercmd_script_free(&sc);
		return CMD_ERROR;
	}
	old = s.n;
	while (s.n > 0)
		filterconf_remove(&s, 0);
	if (add_script(c, &s, &sc) < 0) {
		filtercmd_script_free(&sc);
		return fail(&s);
	}
	filtercmd_script_free(&sc);
	if (stage(c, &s) != CMD_OK)
		return fail(&s);
	cli_printf(c, "%d filter%s imported from %s", s.n, s.n == 1 ? "" : "s", path);
	if (old)
		cli_printf(c, " (replacing %d)", old);
	cli_printf(c, ".\n");
	for (int i = 0; i < s.n; i++)
		filtercmd_note_invalid(c, &s.e[i]);
	filterconf_free(&s);
	return CMD_OK;
}

/* do_export - EXPORT FILE [force]: every filter with its state line */
static enum cmd_ret
do_export(struct cli *c, const char *name, int force)
{
	struct filter_set s;
	struct buf b;
	char *path = NULL;
	enum cmd_ret r = CMD_ERROR;

	if (!filtercmd_export_name_ok(c, name))
		return CMD_ERROR;
	if (load(c, &s) < 0)
		return CMD_ERROR;
	buf_init(&b, 0);
	buf_addstr(&b, "");
	for (int i = 0; i < s.n; i++) {
		size_t n = strlen(s.e[i].text);

		buf_printf(&b, "%s# %s\n%s%s", i ? "\n" : "", s.e[i].active ? "active" : "inactive",
		    s.e[i].text, n && s.e[i].text[n - 1] == '\n' ? "" : "\n");
	}
	if (filtercmd_export(c, name, force, b.data, b.len, &path) == 0) {
		cli_printf(c, "%d filter%s exported to %s.\n", s.n, s.n == 1 ? "" : "s", path);
		r = CMD_OK;
	}
	free(path);
	buf_free(&b);
	filterconf_free(&s);
	return r;
}

/* ---------------------------------------------------------- dialogue */

/* A dialogue in progress. */
struct dlg {
	struct cli *c;
	int failed;		/* an operation was refused */
};

/* note - remember a refused operation (the command then fails) */
static void
note(struct dlg *d, enum cmd_ret r)
{
	if (r == CMD_ERROR)
		d->failed = 1;
}

/* count - how many message filters there are now (-1: error printed) */
static int
count(struct dlg *d)
{
	struct filter_set s;
	int n;

	if (load(d->c, &s) < 0) {
		d->failed = 1;
		return -1;
	}
	n = s.n;
	filterconf_free(&s);
	if (n == 0)
		cli_printf(d->c, "There are no message filters.\n");
	return n;
}

/* ask_filter - a filter's name or number (free text; the operation checks it) */
static enum ask_ret
ask_filter(struct dlg *d, const char *question, char *out, size_t size)
{
	return cli_ask_required(d->c, question, out, size);
}

/*
 * dlg_new - NEW: where the new filters go (when there are filters), asked
 * again until it names a position, then the script
 */
static enum ask_ret
dlg_new(struct dlg *d)
{
	struct filter_set s;
	char q[160], pos[128] = "last";
	enum ask_ret a;
	enum cmd_ret r;
	int n;

	if (load(d->c, &s) < 0) {
		d->failed = 1;
		return ASK_BACK;
	}
	n = s.n;
	while (n > 0) {
		str_fmt(q, sizeof(q), "Enter the position of the new filter (a number from 1 to %d, "
				      "the name of the filter it goes before, or last):",
		    n + 1);
		a = cli_ask(d->c, q, "last", pos, sizeof(pos));
		if (a != ASK_OK) {
			filterconf_free(&s);
			return a;
		}
		if (new_position(d->c, &s, pos) >= 0)
			break;
	}
	filterconf_free(&s);
	r = do_new(d->c, pos);

	if (r == CMD_ABORTED)
		return ASK_ABORT;
	note(d, r);
	return ASK_OK;
}

/* dlg_delete - DELETE */
static enum ask_ret
dlg_delete(struct dlg *d)
{
	char w[128];
	enum ask_ret a;

	if (count(d) <= 0)
		return ASK_BACK;
	a = ask_filter(d, "Enter the filter name, number, or all:", w, sizeof(w));
	if (a == ASK_OK)
		note(d, do_delete(d->c, w));
	return a;
}

/* dlg_import - IMPORT */
static enum ask_ret
dlg_import(struct dlg *d)
{
	char path[4096];
	enum ask_ret a;

	a = cli_ask_required(d->c, "Enter the name of the file to import (its filters replace "
				   "all the message filters):",
	    path, sizeof(path));
	if (a == ASK_OK)
		note(d, do_import(d->c, path));
	return a;
}

/* dlg_export - EXPORT, asking before it replaces a file */
static enum ask_ret
dlg_export(struct dlg *d)
{
	char name[256];
	enum ask_ret a;
	int force = 0;

	for (;;) {
		a = cli_ask_required(d->c, "Enter the name of the file to export to (in the "
					   "directory " FILTERCMD_EXPORT_DIR " of the data directory):",
		    name, sizeof(name));
		if (a != ASK_OK)
			return a;
		if (filtercmd_export_name_ok(d->c, name))
			break;
	}
	if (filtercmd_export_exists(d->c, name)) {
		a = cli_ask_yesno(d->c, "The file exists. Do you want to replace it?", 0, &force);
		if (a != ASK_OK || !force)
			return a;
	}
	note(d, do_export(d->c, name, force));
	return ASK_OK;
}

/* dlg_move - MOVE */
static enum ask_ret
dlg_move(struct dlg *d)
{
	char w[128], q[128], pos[32];
	enum ask_ret a;
	long v;
	int n = count(d);

	if (n <= 0)
		return ASK_BACK;
	a = ask_filter(d, "Enter the name or number of the filter you wish to move:", w,
	    sizeof(w));
	if (a != ASK_OK)
		return a;
	str_fmt(q, sizeof(q), "Enter the new position of the filter (1 to %d):", n);
	a = cli_ask_number(d->c, q, n, 1, n, &v);
	if (a != ASK_OK)
		return a;
	str_fmt(pos, sizeof(pos), "%ld", v);
	note(d, do_move(d->c, w, pos));
	return ASK_OK;
}

/* dlg_set - SET: active or inactive */
static enum ask_ret
dlg_set(struct dlg *d)
{
	static const char *const states[] = { "active", "inactive" };
	char w[128];
	enum ask_ret a;
	int k;

	if (count(d) <= 0)
		return ASK_BACK;
	a = ask_filter(d, "Enter the name or number of the filter you wish to set:", w, sizeof(w));
	if (a != ASK_OK)
		return a;
	a = cli_ask_list(d->c, "Set the filter to:", states, 2, 1, &k);
	if (a == ASK_OK)
		note(d, do_set(d->c, w, states[k]));
	return a;
}

/* dlg_detail - DETAIL */
static enum ask_ret
dlg_detail(struct dlg *d)
{
	char w[128];
	enum ask_ret a;

	if (count(d) <= 0)
		return ASK_BACK;
	a = ask_filter(d, "Enter the name or number of the filter:", w, sizeof(w));
	if (a == ASK_OK)
		note(d, do_detail(d->c, w));
	return a;
}

/* dialog - the operation menu until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new filter." },
		{ "DELETE", "Remove a filter." },
		{ "IMPORT", "Import a filter script from a file." },
		{ "EXPORT", "Export filters to a file" },
		{ "MOVE", "Move a filter to a different position." },
		{ "SET", "Set a filter attribute." },
		{ "LIST", "List the filters." },
		{ "DETAIL", "Get detailed information on the filters." },
	};
	struct dlg d = { c, 0 };
	enum ask_ret a;
	int op;

	for (;;) {
		a = cli_ask_menu(c, NULL, ops, 8, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dlg_new(&d);
				break;
			case 1:
				a = dlg_delete(&d);
				break;
			case 2:
				a = dlg_import(&d);
				break;
			case 3:
				a = dlg_export(&d);
				break;
			case 4:
				a = dlg_move(&d);
				break;
			case 5:
				a = dlg_set(&d);
				break;
			case 6:
				note(&d, do_list(c));
				break;
			case 7:
				a = dlg_detail(&d);
				break;
			}
			/* an empty answer inside an operation returns to the menu */
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return d.failed ? CMD_ERROR : CMD_OK;
	}
}

/* ---------------------------------------------------------- batch */

/*
 * b_new - new [POSITION], then the script. More words are refused only
 * once the script is read, so that its lines never run as commands.
 */
static enum cmd_ret
b_new(struct cli *c, const struct cmd_call *call)
{
	enum cmd_ret r;
	char *text;

	if (call->argc <= 1)
		return do_new(c, call->argc ? call->argv[0] : NULL);
	text = filtercmd_read_script(c, &r);
	free(text);
	if (r == CMD_ABORTED)
		return r;
	cli_error(c, "Invalid arguments when processing: filters new. Usage: filters new "
		     "[NUM|NAME|last] (the script follows on the next lines, ended by a line "
		     "holding only '.'); nothing was changed.");
	return CMD_ERROR;
}

static enum cmd_ret
b_delete(struct cli *c, const struct cmd_call *call)
{
	return do_delete(c, call->argv[0]);
}

static enum cmd_ret
b_move(struct cli *c, const struct cmd_call *call)
{
	return do_move(c, call->argv[0], call->argv[1]);
}

static enum cmd_ret
b_set(struct cli *c, const struct cmd_call *call)
{
	return do_set(c, call->argv[0], call->argv[1]);
}

static enum cmd_ret
b_list(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return do_list(c);
}

static enum cmd_ret
b_detail(struct cli *c, const struct cmd_call *call)
{
	return do_detail(c, call->argv[0]);
}

static enum cmd_ret
b_import(struct cli *c, const struct cmd_call *call)
{
	return do_import(c, call->argv[0]);
}

static enum cmd_ret
b_export(struct cli *c, const struct cmd_call *call)
{
	return do_export(c, call->argv[0], call->argc > 1);
}

static const struct cmd_word state_word[] = {
	{ "active", "run the filter", NULL },
	{ "inactive", "keep the filter without running it", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word set_name[] = {
	{ "<NAME>", "the filter's name or number", state_word },
	{ NULL, NULL, NULL },
};

static const struct cmd_word position_word[] = {
	{ "<POSITION>", "the new position: 1 runs first", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word move_name[] = {
	{ "<NAME>", "the filter's name or number", position_word },
	{ NULL, NULL, NULL },
};

static const struct cmd_word new_position_word[] = {
	{ "<POSITION>", "where the new filters go: a number (1 runs first), the name of the "
			"filter they go before, or last (the default)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word delete_name[] = {
	{ "<NAME>", "the filter's name or number, or all", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word detail_name[] = {
	{ "<NAME>", "the filter's name or number", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word import_file[] = {
	{ "<FILE>", "a text file of filters (its filters replace all)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word force_word[] = {
	{ "force", "replace the file if it exists", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word export_file[] = {
	{ "<FILE>", "a file name in the directory configuration of the data directory",
	    force_word },
	{ NULL, NULL, NULL },
};

#define USAGE(op) "filters " op
static const struct cmd_sub filters_subs[] = {
	{ .name = "new", .help = "Create a new filter (the script follows, ended by '.').",
	    .args = new_position_word, .max_args = CMD_ARGS_MANY,
	    .usage = USAGE("new [NUM|NAME|last]"), .exec = b_new },
	{ .name = "delete", .help = "Remove a filter, or all.", .args = delete_name,
	    .min_args = 1, .max_args = 1, .usage = USAGE("delete NAME|NUM|all"),
	    .exec = b_delete },
	{ .name = "import", .help = "Import a filter script from a file.", .args = import_file,
	    .min_args = 1, .max_args = 1, .usage = USAGE("import FILE"), .exec = b_import },
	{ .name = "export", .help = "Export filters to a file.", .args = export_file,
	    .min_args = 1, .max_args = 2, .usage = USAGE("export FILE [force]"),
	    .exec = b_export },
	{ .name = "move", .help = "Move a filter to a different position.", .args = move_name,
	    .min_args = 2, .max_args = 2, .usage = USAGE("move NAME|NUM POSITION"),
	    .exec = b_move },
	{ .name = "set", .help = "Set a filter active or inactive.", .args = set_name,
	    .min_args = 2, .max_args = 2, .usage = USAGE("set NAME|NUM active|inactive"),
	    .exec = b_set },
	{ .name = "list", .help = "List the filters.", .usage = USAGE("list"), .exec = b_list },
	{ .name = "detail", .help = "Get detailed information on a filter.", .args = detail_name,
	    .min_args = 1, .max_args = 1, .usage = USAGE("detail NAME|NUM"), .exec = b_detail },
	{ .exec = NULL },
};

/* filters_exec - the dialogue, or one batch operation */
static enum cmd_ret
filters_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_filters_entry, argc, argv);
}

const struct cmd_entry cmd_filters_entry = {
	.name = "filters",
	.usage = "filters\n"
		 "filters new [NUM|NAME|last]\n"
		 "filters delete NAME|NUM|all\n"
		 "filters move NAME|NUM POSITION\n"
		 "filters set NAME|NUM active|inactive\n"
		 "filters list\n"
		 "filters detail NAME|NUM\n"
		 "filters import FILE\n"
		 "filters export FILE [force]",
	.help = "Configure message filters.",
	.flags = CMD_F_CONFIG,
	.subs = filters_subs,
	.exec = filters_exec,
};
