/*
 * cmd_logconfig.c - `logconfig`: the log subscriptions - which logs are
 * written, at which level, and how they roll over.
 *
 *   logconfig new NAME type=mail_logs|cli_logs [level=L] [max_size=BYTES]
 *                 [max_age=SECONDS] [keep=N]
 *   logconfig edit NAME key=value...
 *   logconfig delete NAME
 *   logconfig print
 *
 * Built like destconfig: the AsyncOS menu (the "Currently configured
 * logs:" list, then NEW, EDIT, DELETE) and the batch forms share the
 * checks of mail/logsub.c, and each operation stages one change after
 * its last answer, so Ctrl-C half-way changes nothing. mail_logs and
 * cli_logs always exist: they can be edited, not deleted, and their type
 * is fixed; no subscription changes type (its files would change name).
 * Changes are pending until commit; mxgated then opens or closes the
 * mail_logs-type files, and every mxsh started afterwards (and this one,
 * once nothing is pending) writes the cli_logs-type ones.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "mail/logsub.h"
#include "util/str.h"

extern const struct cmd_entry cmd_logconfig_entry;

/* Retries of one invalid free-text answer before the dialogue gives up. */
#define LC_MAX_RETRIES 20

/* load - the subscriptions as this session sees them; error printed */
static int
load(struct cli *c, struct logsub **subs, int *n)
{
	char *cause = NULL;

	if (logsub_load(c->st, subs, n, &cause) < 0) {
		cli_error(c, "Cannot read the log subscriptions: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* stage - one subscription as it is now (or its removal, s NULL); error printed */
static int
stage(struct cli *c, const char *name, const struct logsub *s)
{
	char *cause = NULL;
	int rc = s ? logsub_stage(c->st, s, &cause) : logsub_unstage(c->st, name, &cause);

	if (rc < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
	}
	return rc;
}

/* clash - the existing log whose name equals name ignoring case, or -1 */
static int
clash(const struct logsub *subs, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcasecmp(subs[i].name, name) == 0)
			return i;
	return -1;
}

/* not_found - the error for a name that is no log */
static enum cmd_ret
not_found(struct cli *c, const char *name)
{
	cli_error(c, "There is no log named '%.60s'; 'logconfig print' lists them.", name);
	return CMD_ERROR;
}

/* What the keys of a batch line are applied to. */
struct lc_target {
	struct logsub *s;	/* the subscription being built or edited */
	int allow_type;		/* new: type= may be given; edit: never changes */
};

/* set - cmd_keyset.set: one key=value onto the subscription (logsub_set checks it) */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct lc_target *t = obj;

	if (strcmp(k->name, "type") == 0 && !t->allow_type) {
		*cause = str_dup("The type of a log cannot be changed; delete the log and create "
				 "it anew.");
		return -1;
	}
	return logsub_set(t->s, k->name, value, cause);
}

static const char *const type_values[] = { "mail_logs", "cli_logs", NULL };
static const char *const level_values[] = { "Critical", "Warning", "Info", "Debug", "Trace",
	NULL };

/* type first: the ranges of the others depend on it */
static const struct cmd_key lkeys[] = {
	{ .name = "type", .type = CMD_KEY_ENUM, .values = type_values, .flags = CMD_KEY_FIRST,
	    .help = "mail_logs (written by mxgated) or cli_logs (written by mxsh)" },
	{ .name = "level", .type = CMD_KEY_ENUM, .values = level_values,
	    .help = "Critical, Warning, Info (default), Debug or Trace" },
	{ .name = "max_size", .type = CMD_KEY_TEXT,
	    .help = "roll over past this many bytes (K, M, G suffix; 0: never)" },
	{ .name = "max_age", .type = CMD_KEY_TEXT,
	    .help = "roll over after this many seconds (m, h, d suffix; 0: never)" },
	{ .name = "keep", .type = CMD_KEY_INT, .help = "rolled files kept, 0-10000 (0: all)" },
	{ .name = NULL },
};

static const struct cmd_keyset keyset = { .keys = lkeys, .set = set };

/* ---------------------------------------------------------- operations */

/* lc_new - a subscription that does not exist yet */
static enum cmd_ret
lc_new(struct cli *c, const struct cmd_call *call)
{
	const char *name = call->argv[0];
	struct logsub *subs, s;
	struct lc_target t = { &s, 1 };
	char *cause = NULL;
	enum cmd_ret ret = CMD_ERROR;
	int n, k;

	if (logsub_name_valid(name, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	logsub_defaults(&s, name, LOGSUB_MAIL);
	if (cmd_keys_apply(c, call, &t, NULL) < 0)
		return CMD_ERROR;
	if (load(c, &subs, &n) < 0)
		return CMD_ERROR;
	if ((k = clash(subs, n, name)) >= 0)
		cli_error(c, "There is already a log named %s; use logconfig edit %s.",
		    subs[k].name, subs[k].name);
	else if (n - LOGSUB_NTYPES >= LOGSUB_MAX)
		cli_error(c, "There is a maximum of %d logs besides mail_logs and cli_logs.",
		    LOGSUB_MAX);
	else if (stage(c, name, &s) == 0)
		ret = CMD_OK;
	free(subs);
	return ret;
}

/* lc_edit - change an existing subscription (built-ins included) */
static enum cmd_ret
lc_edit(struct cli *c, const struct cmd_call *call)
{
	const char *name = call->argv[0];
	struct logsub *subs, s;
	struct lc_target t = { &s, 0 };
	enum cmd_ret ret = CMD_ERROR;
	int n, i;

	if (load(c, &subs, &n) < 0)
		return CMD_ERROR;
	i = logsub_find(subs, n, name);
	if (i < 0) {
		free(subs);
		return not_found(c, name);
	}
	s = subs[i];
	free(subs);
	if (cmd_keys_apply(c, call, &t, NULL) == 0 && stage(c, s.name, &s) == 0)
		ret = CMD_OK;
	return ret;
}

/* lc_delete - remove a subscription; never a built-in */
static enum cmd_ret
lc_delete(struct cli *c, const struct cmd_call *call)
{
	const char *name = call->argv[0];
	struct logsub *subs;
	enum cmd_ret ret = CMD_ERROR;
	int n;

	if (logsub_is_builtin(name)) {
		cli_error(c, "The log %s is built in and cannot be deleted.", name);
		return CMD_ERROR;
	}
	if (load(c, &subs, &n) < 0)
		return CMD_ERROR;
	if (logsub_find(subs, n, name) < 0)
		ret = not_found(c, name);
	else if (stage(c, name, NULL) == 0)
		ret = CMD_OK;
	free(subs);
	return ret;
}

/* lc_print - the table */
static enum cmd_ret
lc_print(struct cli *c, const struct cmd_call *call)
{
	struct logsub *subs;
	int n, w = 4;

	if (load(c, &subs, &n) < 0)
		return CMD_ERROR;
	for (int i = 0; i < n; i++)
		if ((int)strlen(subs[i].name) > w)
			w = (int)strlen(subs[i].name);
	cli_printf(c, "%-*s  %-9s  %-8s  %10s  %8s  %5s\n", w, "Name", "Type", "Level",
	    "Max. size", "Max. age", "Keep");
	for (int i = 0; i < n && !c->stopped; i++)
		cli_printf(c, "%-*s  %-9s  %-8s  %10lld  %8lld  %5d\n", w, subs[i].name,
		    logsub_type_name(subs[i].type), logfile_level_name(subs[i].level),
		    subs[i].max_size, subs[i].max_age, subs[i].keep);
	free(subs);
	return CMD_OK;
}

/* ---------------------------------------------------------- dialogue */

/* item - one line of the "Currently configured logs:" list (malloc'd) */
static char *
item(const struct logsub *s)
{
	return str_printf("\"%s\" Type: \"%s\" Level: %s", s->name, logsub_type_label(s->type),
	    logfile_level_name(s->level));
}

/* ask_value - a free-text answer checked by logsub_set(key), asked again until valid */
static enum ask_ret
ask_value(struct cli *c, const char *question, const char *key, const char *def,
    struct logsub *s)
{
	char in[64], *cause = NULL;
	enum ask_ret a;

	for (int tries = 0; tries < LC_MAX_RETRIES; tries++) {
		a = cli_ask(c, tries ? NULL : question, def, in, sizeof(in));
		if (a == ASK_ABORT)
			return a;
		if (a == ASK_OK && logsub_set(s, key, in, &cause) == 0)
			return ASK_OK;
		if (cause) {
			cli_error(c, "%s", cause);
			free(cause);
			cause = NULL;
		}
	}
	return ASK_ABORT;
}

/* ask_settings - level, size, time and files kept; current values as defaults */
static enum ask_ret
ask_settings(struct cli *c, struct logsub *s)
{
	static const char *const levels[] = { "Critical", "Warning", "Info", "Debug", "Trace" };
	char def[32];
	enum ask_ret a;
	int idx, timed;
	long keep;

	a = cli_ask_list(c, "Please choose the level of logging for this log:", levels, 5,
	    (int)s->level + 1, &idx);
	if (a != ASK_OK)
		return a;
	s->level = (enum logfile_level)idx;
	str_fmt(def, sizeof(def), "%lld", s->max_size);
	a = ask_value(c, "Please enter the maximum file size in bytes before the log is rolled "
			 "over (K, M or G suffix allowed; 0: no size limit):",
	    "max_size", def, s);
	if (a != ASK_OK)
		return a;
	a = cli_ask_yesno(c, "Do you want to configure time-based log files rollover?",
	    s->max_age > 0, &timed);
	if (a != ASK_OK)
		return a;
	if (timed) {
		str_fmt(def, sizeof(def), "%lld", s->max_age > 0 ? s->max_age : 86400);
		a = ask_value(c, "Please enter the time in seconds after which the log is rolled "
				 "over (m, h or d suffix allowed):",
		    "max_age", def, s);
		if (a != ASK_OK)
			return a;
	} else {
		s->max_age = 0;
	}
	a = cli_ask_number(c, "Please enter the maximum number of rolled files to keep (0: "
			      "keep all):",
	    s->keep, 0, 10000, &keep);
	if (a != ASK_OK)
		return a;
	s->keep = (int)keep;
	return ASK_OK;
}

/* dialog_new - NEW: type, name, then the settings */
static enum ask_ret
dialog_new(struct cli *c, const struct logsub *subs, int n)
{
	static const char *const labels[LOGSUB_NTYPES] = { "IronPort Text Mail Logs",
		"CLI Audit Logs" };
	char name[LOGSUB_NAME_MAX + 2], *cause = NULL;
	struct logsub s;
	enum ask_ret a;
	int t, k;

	if (n - LOGSUB_NTYPES >= LOGSUB_MAX) {
		cli_error(c, "There is a maximum of %d logs besides mail_logs and cli_logs.",
		    LOGSUB_MAX);
		return ASK_BACK;
	}
	a = cli_ask_list(c, "Choose the log file type for this subscription:", labels,
	    LOGSUB_NTYPES, 1, &t);
	if (a != ASK_OK)
		return a;
	for (int tries = 0;; tries++) {
		if (tries >= LC_MAX_RETRIES)
			return ASK_ABORT;
		a = cli_ask_required(c, "Please enter the name for the log:", name, sizeof(name));
		if (a != ASK_OK)
			return a;
		if (logsub_name_valid(name, &cause) < 0) {
			cli_error(c, "%s", cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if ((k = clash(subs, n, name)) >= 0) {
			cli_error(c, "There is already a log named %s; choose another name.",
			    subs[k].name);
			continue;
		}
		break;
	}
	logsub_defaults(&s, name, (enum logsub_type)t);
	a = ask_settings(c, &s);
	if (a == ASK_OK)
		stage(c, s.name, &s);
	return a;
}

/* pick - a numbered list of the logs from first; *idx chosen (index into subs) */
static enum ask_ret
pick(struct cli *c, const struct logsub *subs, int n, int first, const char *question,
    int *idx)
{
	int m = n - first;
	char **items = xcalloc((size_t)m, sizeof(char *));
	enum ask_ret a;

	for (int i = 0; i < m; i++)
		items[i] = item(&subs[first + i]);
	a = cli_ask_list(c, question, (const char *const *)items, m, 0, idx);
	for (int i = 0; i < m; i++)
		free(items[i]);
	free(items);
	if (a == ASK_OK)
		*idx += first;
	return a;
}

/* dialog_edit - EDIT */
static enum ask_ret
dialog_edit(struct cli *c, const struct logsub *subs, int n)
{
	struct logsub s;
	enum ask_ret a;
	int idx;

	a = pick(c, subs, n, 0, "Enter the number of the log you wish to edit.", &idx);
	if (a != ASK_OK)
		return a;
	s = subs[idx];
	a = ask_settings(c, &s);
	if (a == ASK_OK)
		stage(c, s.name, &s);
	return a;
}

/* dialog_delete - DELETE with confirmation; built-ins are not offered */
static enum ask_ret
dialog_delete(struct cli *c, const struct logsub *subs, int n)
{
	enum ask_ret a;
	char *q;
	int idx, yes = 0;

	if (n <= LOGSUB_NTYPES) {
		cli_printf(c, "There are no logs that can be deleted: mail_logs and cli_logs "
			      "always exist.\n");
		return ASK_BACK;
	}
	a = pick(c, subs, n, LOGSUB_NTYPES, "Enter the number of the log you wish to delete.",
	    &idx);
	if (a != ASK_OK)
		return a;
	q = str_printf("Are you sure you want to delete the log %s?", subs[idx].name);
	a = cli_ask_yesno(c, q, 0, &yes);
	free(q);
	if (a == ASK_OK && yes)
		stage(c, subs[idx].name, NULL);
	return a;
}

/* dialog - the list and the menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new log." },
		{ "EDIT", "Modify a log subscription." },
		{ "DELETE", "Remove a log subscription." },
	};
	struct logsub *subs;
	enum ask_ret a;
	int n, op;

	for (;;) {
		if (load(c, &subs, &n) < 0)
			return CMD_ERROR;
		cli_printf(c, "\nCurrently configured logs:\n");
		for (int i = 0; i < n; i++) {
			char *t = item(&subs[i]);

			cli_printf(c, "%d. %s\n", i + 1, t);
			free(t);
		}
		a = cli_ask_menu(c, NULL, ops, 3, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dialog_new(c, subs, n);
				break;
			case 1:
				a = dialog_edit(c, subs, n);
				break;
			default:
				a = dialog_delete(c, subs, n);
				break;
			}
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		free(subs);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return CMD_OK;
	}
}

/* ---------------------------------------------------------- table entry */

static const struct cmd_word new_words[] = {
	{ "<NAME>", "name of the new log (letters, digits, '_', '-', '.')", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word edit_words[] = {
	{ "mail_logs", "the mail log of mxgated", NULL },
	{ "cli_logs", "the log of shell commands", NULL },
	{ "<NAME>", "a log listed by logconfig print", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word delete_words[] = {
	{ "<NAME>", "a log listed by logconfig print (not mail_logs nor cli_logs)", NULL },
	{ NULL, NULL, NULL },
};

static const char *const new_required[] = { "type", NULL };

/* new NAME alone reaches lc_new, which names the missing type= */
static const struct cmd_sub logconfig_subs[] = {
	{ .name = "new", .help = "Create a new log.", .args = new_words, .min_args = 1,
	    .keys = &keyset, .required = new_required,
	    .needs = "a new log needs type=mail_logs or type=cli_logs",
	    .flags = CMD_SUB_KV_OPTIONAL, .exec = lc_new },
	{ .name = "edit", .help = "Modify a log subscription.", .args = edit_words,
	    .min_args = 1, .keys = &keyset, .exec = lc_edit },
	{ .name = "delete", .help = "Remove a log subscription.", .args = delete_words,
	    .min_args = 1, .max_args = 1, .exec = lc_delete },
	{ .name = "print", .help = "Display the log subscriptions.", .exec = lc_print },
	{ .exec = NULL },
};

/* logconfig_exec - the menu, or one batch operation */
static enum cmd_ret
logconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_logconfig_entry, argc, argv);
}

const struct cmd_entry cmd_logconfig_entry = {
	.name = "logconfig",
	.usage = "logconfig new NAME type=mail_logs|cli_logs [level=LEVEL] [max_size=BYTES] "
		 "[max_age=SECONDS] [keep=N]\n"
		 "logconfig edit NAME key=value...\n"
		 "logconfig delete NAME\n"
		 "logconfig print",
	.help = "Configure the log subscriptions: level, rollover and files kept.",
	.flags = CMD_F_CONFIG,
	.subs = logconfig_subs,
	.exec = logconfig_exec,
};
