/*
 * cmd_contentfilters.c - `contentfilters`: named content filters, which
 * incoming mail policies apply to their part of a message
 * (policyconfig incoming edit NAME content_filters=a,b). AsyncOS sets
 * them up in its web interface; here they have a command of their own,
 * with the operations of `filters` that make sense for them.
 *
 *   contentfilters                             the dialogue
 *   contentfilters new [description="TEXT"]    then the script, ended by "."
 *   contentfilters delete NAME|NUM             refused while a policy uses it
 *   contentfilters list
 *   contentfilters detail NAME|NUM
 *   contentfilters import FILE                 adds or replaces the file's filters
 *   contentfilters export FILE [force]         DIR/configuration/FILE
 *
 * A content filter is written in the language of message filters
 * (mail/filter.h); its name is the filter's name. They are kept by name:
 * the order they run in is each policy's. Everything is pending until
 * commit; a refused operation stages nothing; a filter naming a missing
 * address list or quarantine is staged, marked invalid.
 *
 * DIAGNOSTICS: one error line per refusal, worded as for `filters`.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/filtercmd.h"
#include "mail/filterconf.h"
#include "mail/policy.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_contentfilters_entry;

/* Longest description shown in the LIST table; DETAIL shows it whole. */
#define LIST_DESC_MAX 40

/* ---------------------------------------------------------- operations */

/* load - the content filters as this session sees them; error printed */
static int
load(struct cli *c, struct filter_set *s)
{
	return filtercmd_load(c, CFILTER_SECTION, "content filters", s);
}

/* stage - stage the whole set, all or nothing (the set is kept); CMD_OK or CMD_ERROR */
static enum cmd_ret
stage(struct cli *c, const struct filter_set *s)
{
	return filtercmd_stage(c, CFILTER_SECTION, s);
}

/* fail - free the set, report failure */
static enum cmd_ret
fail(struct filter_set *s)
{
	filterconf_free(s);
	return CMD_ERROR;
}

/*
 * users - the incoming policies naming content filter `name`, joined by
 * ", " (malloc'd, "" for none); NULL with the error printed
 */
static char *
users(struct cli *c, const char *name)
{
	struct policy_table t;
	struct buf b;
	char *cause = NULL;

	if (policy_load(c->st, POLICY_INCOMING, &t, &cause) < 0) {
		cli_error(c, "Cannot read the incoming mail policies: %s", cause);
		free(cause);
		return NULL;
	}
	buf_init(&b, 0);
	buf_addstr(&b, "");
	for (int i = 0; i < t.n; i++)
		for (int k = 0; k < t.p[i].ncfilters; k++)
			if (strcasecmp(t.p[i].cfilters[k], name) == 0)
				buf_printf(&b, "%s%s", b.len ? ", " : "", t.p[i].name);
	policy_table_free(&t);
	return buf_steal(&b);
}

/*
 * add_script - the script's filters into s: new ones appended, one of
 * an existing name replaced when replace (import), refused otherwise
 * (new). desc: the description of filters without their own "#
 * description:" line (NULL: a replaced one keeps its own). *added and
 * *replaced count them. Error printed.
 */
static int
add_script(struct cli *c, struct filter_set *s, const struct filtercmd_script *sc, int replace,
    const char *desc, int *added, int *replaced)
{
	char *cause = NULL;

	*added = *replaced = 0;
	for (int i = 0; i < sc->n; i++) {
		if (!replace && filterconf_index(s, filter_name(sc->f[i])) >= 0) {
			cli_error(c, "Duplicate filter name \"%s\": a content filter of that name "
				     "exists.",
			    filter_name(sc->f[i]));
			return -1;
		}
		if (sc->desc[i] && !filtercmd_desc_ok(c, sc->desc[i]))
			return -1;
	}
	for (int i = 0; i < sc->n; i++) {
		const char *name = filter_name(sc->f[i]), *d = sc->desc[i] ? sc->desc[i] : desc;
		int k = filterconf_index(s, name);
		char *keep = NULL;

		if (k >= 0) {
			/* replaced where it was, under the stored spelling of its name */
			keep = str_dup(s->e[k].description);
			filterconf_remove(s, k);
			(*replaced)++;
		} else {
			(*added)++;
		}
		if (s->n >= FILTERCONF_MAX) {
			cli_error(c, "There can be at most %d content filters.", FILTERCONF_MAX);
			free(keep);
			return -1;
		}
		if (filterconf_add(c->st, s, name, filter_text(sc->f[i]), d ? d : keep ? keep : "",
		    1, &cause) < 0) {
			cli_error(c, "Cannot read the configuration: %s", cause);
			free(cause);
			free(keep);
			return -1;
		}
		free(keep);
	}
	return 0;
}

/* report - a line per filter of the script, and why one is invalid */
static void
report(struct cli *c, const struct filter_set *s, const struct filtercmd_script *sc,
    const char *verb)
{
	for (int i = 0; i < sc->n; i++) {
		const struct filter_entry *e = filterconf_find(s, filter_name(sc->f[i]));

		if (e == NULL)
			continue;
		cli_printf(c, "Content filter \"%s\" %s.\n", e->name, verb);
		filtercmd_note_invalid(c, e);
	}
}

/* do_new_text - NEW with the script read */
static enum cmd_ret
do_new_text(struct cli *c, const char *text, const char *desc)
{
	struct filtercmd_script sc;
	struct filter_set s;
	int added, replaced;

	if (filtercmd_parse(c, text, strlen(text), &sc) < 0)
		return CMD_ERROR;
	if (load(c, &s) < 0) {
		filtercmd_script_free(&sc);
		return CMD_ERROR;
	}
	if (add_script(c, &s, &sc, 0, desc ? desc : "", &added, &replaced) < 0 ||
	    stage(c, &s) != CMD_OK) {
		filtercmd_script_free(&sc);
		return fail(&s);
	}
	report(c, &s, &sc, "added");
	filtercmd_script_free(&sc);
	filterconf_free(&s);
	return CMD_OK;
}

/* do_new - NEW: the description checked first, then the script read and added */
static enum cmd_ret
do_new(struct cli *c, const char *desc)
{
	enum cmd_ret r;
	char *text;

	if (desc && !filtercmd_desc_ok(c, desc)) {
		/* the script lines follow all the same: read them, never run them */
		text = filtercmd_read_script(c, &r);
		free(text);
		return r == CMD_ABORTED ? r : CMD_ERROR;
	}
	text = filtercmd_read_script(c, &r);
	if (text == NULL)
		return r;
	r = do_new_text(c, text, desc);
	free(text);
	return r;
}

/* do_delete - DELETE NAME|NUM, refused while a policy names it */
static enum cmd_ret
do_delete(struct cli *c, const char *word)
{
	struct filter_set s;
	char name[FILTER_NAME_MAX + 1], *who;
	int i;

	if (load(c, &s) < 0)
		return CMD_ERROR;
	if ((i = filtercmd_pick(c, &s, word, "content filter")) < 0)
		return fail(&s);
	if ((who = users(c, s.e[i].name)) == NULL)
		return fail(&s);
	if (*who) {
		int many = strchr(who, ',') != NULL;

		cli_error(c, "Content filter \"%s\" is used by the incoming %s %s: remove it from "
			     "%s first (policyconfig incoming edit NAME content_filters=...).",
		    s.e[i].name, many ? "policies" : "policy", who, many ? "them" : "it");
		free(who);
		return fail(&s);
	}
	free(who);
	str_copy(name, s.e[i].name, sizeof(name));
	filterconf_remove(&s, i);
	if (stage(c, &s) != CMD_OK)
		return fail(&s);
	cli_printf(c, "Content filter \"%s\" deleted.\n", name);
	filterconf_free(&s);
	return CMD_OK;
}

/* cut - text for a table cell: at most max bytes, "..." marking a cut (never mid UTF-8) */
static void
cut(const char *text, size_t max, char *out, size_t size)
{
	size_t n = strlen(text);

	if (n <= max) {
		str_copy(out, text, size);
		return;
	}
	n = max - 3;
	while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	str_fmt(out, size, "%.*s...", (int)n, text);
}

/* do_list - LIST: Num Valid Name Policies Description */
static enum cmd_ret
do_list(struct cli *c)
{
	struct filter_set s;
	char **who, desc[LIST_DESC_MAX + 8];
	int wn = 4, wp = 8;

	if (load(c, &s) < 0)
		return CMD_ERROR;
	if (s.n == 0) {
		cli_printf(c, "There are no content filters.\n");
		filterconf_free(&s);
		return CMD_OK;
	}
	who = xcalloc((size_t)s.n, sizeof(char *));
	for (int i = 0; i < s.n; i++) {
		if ((who[i] = users(c, s.e[i].name)) == NULL) {
			for (int k = 0; k < i; k++)
				free(who[k]);
			free(who);
			return fail(&s);
		}
		if (*who[i] == '\0') {
			free(who[i]);
			who[i] = str_dup("-");
		}
		if ((int)strlen(s.e[i].name) > wn)
			wn = (int)strlen(s.e[i].name);
		if ((int)strlen(who[i]) > wp)
			wp = (int)strlen(who[i]);
	}
	cli_printf(c, "Num Valid %-*s %-*s Description\n", wn, "Name", wp, "Policies");
	for (int i = 0; i < s.n && !c->stopped; i++) {
		cut(s.e[i].description, LIST_DESC_MAX, desc, sizeof(desc));
		/* no blanks at the end of a line without a description */
		cli_printf(c, "%-3d %-5s %-*s %-*s%s%s\n", i + 1, s.e[i].valid ? "Y" : "N", wn,
		    s.e[i].name, desc[0] ? wp : 0, who[i], desc[0] ? " " : "", desc);
	}
	for (int i = 0; i < s.n; i++)
		free(who[i]);
	free(who);
	filterconf_free(&s);
	return CMD_OK;
}

/* do_detail - DETAIL NAME|NUM */
static enum cmd_ret
do_detail(struct cli *c, const char *word)
{
	struct filter_set s;
	const struct filter_entry *e;
	char *who;
	int i;

	if (load(c, &s) < 0)
		return CMD_ERROR;
	if ((i = filtercmd_pick(c, &s, word, "content filter")) < 0)
		return fail(&s);
	e = &s.e[i];
	if ((who = users(c, e->name)) == NULL)
		return fail(&s);
	cli_printf(c, "Content filter: %s\n", e->name);
	cli_printf(c, "Description: %s\n", e->description[0] ? e->description : "(none)");
	if (e->valid)
		cli_printf(c, "Valid: Yes\n");
	else
		cli_printf(c, "Valid: No (%s)\n", e->why);
	cli_printf(c, "Policies: %s\n", *who ? who : "(none)");
	cli_printf(c, "\n%s\n", e->text);
	free(who);
	filterconf_free(&s);
	return CMD_OK;
}

/* do_import - IMPORT FILE: the file's filters added, or replacing those of their names */
static enum cmd_ret
do_import(struct cli *c, const char *path)
{
	struct filtercmd_script sc;
	struct filter_set s;
	size_t len;
	char *text = filtercmd_read_file(c, path, &len);
	int added, replaced;

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
	if (add_script(c, &s, &sc, 1, NULL, &added, &replaced) < 0 ||
	    stage(c, &s) != CMD_OK) {
		filtercmd_script_free(&sc);
		return fail(&s);
	}
	cli_printf(c, "%d content filter%s imported from %s (%d new, %d replaced).\n", sc.n,
	    sc.n == 1 ? "" : "s", path, added, replaced);
	for (int i = 0; i < sc.n; i++) {
		const struct filter_entry *e = filterconf_find(&s, filter_name(sc.f[i]));

		if (e)
			filtercmd_note_invalid(c, e);
	}
	filtercmd_script_free(&sc);
	filterconf_free(&s);
	return CMD_OK;
}

/* do_export - EXPORT FILE [force]: every content filter after its description line */
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

		buf_printf(&b, "%s# description:%s%s\n%s%s", i ? "\n" : "",
		    s.e[i].description[0] ? " " : "", s.e[i].description,
		    s.e[i].text, n && s.e[i].text[n - 1] == '\n' ? "" : "\n");
	}
	if (filtercmd_export(c, name, force, b.data, b.len, &path) == 0) {
		cli_printf(c, "%d content filter%s exported to %s.\n", s.n, s.n == 1 ? "" : "s",
		    path);
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

/* any - are there content filters? (says so when not) */
static int
any(struct dlg *d)
{
	struct filter_set s;
	int n;

	if (load(d->c, &s) < 0) {
		d->failed = 1;
		return 0;
	}
	n = s.n;
	filterconf_free(&s);
	if (n == 0)
		cli_printf(d->c, "There are no content filters.\n");
	return n > 0;
}

/* dlg_new - NEW: a description (may be empty), then the script */
static enum ask_ret
dlg_new(struct dlg *d)
{
	char desc[FILTERCONF_DESC_MAX + 1];
	enum ask_ret a;
	enum cmd_ret r;

	for (;;) {
		a = cli_ask(d->c, "Enter a description for the content filter (optional):", "",
		    desc, sizeof(desc));
		if (a == ASK_ABORT)
			return a;
		if (a == ASK_BACK)
			desc[0] = '\0';
		if (filtercmd_desc_ok(d->c, desc))
			break;
	}
	r = do_new(d->c, desc);
	if (r == CMD_ABORTED)
		return ASK_ABORT;
	note(d, r);
	return ASK_OK;
}

/* dlg_pick - ask for a content filter and run op on the answer */
static enum ask_ret
dlg_pick(struct dlg *d, const char *question, enum cmd_ret (*op)(struct cli *, const char *))
{
	char w[128];
	enum ask_ret a;

	if (!any(d))
		return ASK_BACK;
	a = cli_ask_required(d->c, question, w, sizeof(w));
	if (a == ASK_OK)
		note(d, op(d->c, w));
	return a;
}

/* dlg_import - IMPORT */
static enum ask_ret
dlg_import(struct dlg *d)
{
	char path[4096];
	enum ask_ret a;

	a = cli_ask_required(d->c, "Enter the name of the file to import:", path, sizeof(path));
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

/* dialog - the operation menu until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new content filter." },
		{ "DELETE", "Remove a content filter." },
		{ "IMPORT", "Import content filters from a file." },
		{ "EXPORT", "Export the content filters to a file." },
		{ "LIST", "List the content filters." },
		{ "DETAIL", "Get detailed information on a content filter." },
	};
	struct dlg d = { c, 0 };
	enum ask_ret a;
	int op;

	for (;;) {
		a = cli_ask_menu(c, NULL, ops, 6, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dlg_new(&d);
				break;
			case 1:
				a = dlg_pick(&d, "Enter the name or number of the content filter you "
						 "wish to delete:",
				    do_delete);
				break;
			case 2:
				a = dlg_import(&d);
				break;
			case 3:
				a = dlg_export(&d);
				break;
			case 4:
				note(&d, do_list(c));
				break;
			case 5:
				a = dlg_pick(&d, "Enter the name or number of the content filter:",
				    do_detail);
				break;
			}
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

/* desc_set - cmd_keyset.set for new: the description (checked by do_new) */
static int
desc_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	char **desc = obj;

	(void)k;
	(void)cause;
	free(*desc);
	*desc = str_dup(value);
	return 0;
}

static enum cmd_ret
b_new(struct cli *c, const struct cmd_call *call)
{
	char *desc = NULL;
	enum cmd_ret r;

	if (cmd_keys_apply(c, call, &desc, NULL) < 0) {
		/* the script lines follow all the same: read them, never run them */
		char *text = filtercmd_read_script(c, &r);

		free(text);
		return r == CMD_ABORTED ? r : CMD_ERROR;
	}
	r = do_new(c, desc);
	free(desc);
	return r;
}

static enum cmd_ret
b_delete(struct cli *c, const struct cmd_call *call)
{
	return do_delete(c, call->argv[0]);
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

static const struct cmd_key new_keys[] = {
	{ .name = "description", .type = CMD_KEY_TEXT,
	    .help = "what the content filter is for (optional; quote it when it has blanks)" },
	{ .name = NULL },
};

static const struct cmd_keyset new_set = { .keys = new_keys, .set = desc_set };

static const struct cmd_word name_word[] = {
	{ "<NAME>", "the content filter's name or number", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word import_file[] = {
	{ "<FILE>", "a text file of content filters (added, or replacing those of their names)",
	    NULL },
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

#define USAGE(op) "contentfilters " op
static const struct cmd_sub cf_subs[] = {
	{ .name = "new", .help = "Create a content filter (the script follows, ended by '.').",
	    .keys = &new_set, .flags = CMD_SUB_KV_OPTIONAL,
	    .usage = USAGE("new [description=TEXT]"), .exec = b_new },
	{ .name = "delete", .help = "Remove a content filter no policy uses.", .args = name_word,
	    .min_args = 1, .max_args = 1, .usage = USAGE("delete NAME|NUM"), .exec = b_delete },
	{ .name = "import", .help = "Import content filters from a file.", .args = import_file,
	    .min_args = 1, .max_args = 1, .usage = USAGE("import FILE"), .exec = b_import },
	{ .name = "export", .help = "Export the content filters to a file.", .args = export_file,
	    .min_args = 1, .max_args = 2, .usage = USAGE("export FILE [force]"),
	    .exec = b_export },
	{ .name = "list", .help = "List the content filters.", .usage = USAGE("list"),
	    .exec = b_list },
	{ .name = "detail", .help = "Get detailed information on a content filter.",
	    .args = name_word, .min_args = 1, .max_args = 1, .usage = USAGE("detail NAME|NUM"),
	    .exec = b_detail },
	{ .exec = NULL },
};

/* contentfilters_exec - the dialogue, or one batch operation */
static enum cmd_ret
contentfilters_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_contentfilters_entry, argc, argv);
}

const struct cmd_entry cmd_contentfilters_entry = {
	.name = "contentfilters",
	.usage = "contentfilters\n"
		 "contentfilters new [description=TEXT]\n"
		 "contentfilters delete NAME|NUM\n"
		 "contentfilters list\n"
		 "contentfilters detail NAME|NUM\n"
		 "contentfilters import FILE\n"
		 "contentfilters export FILE [force]",
	.help = "Configure the content filters that incoming mail policies apply.",
	.flags = CMD_F_CONFIG,
	.subs = cf_subs,
	.exec = contentfilters_exec,
};
