/*
 * cmd_quarantineconfig.c - `quarantineconfig`: the quarantines that
 * message and content filters put mail in (quarantine("NAME")).
 *
 *   quarantineconfig                          the dialogue (NEW, EDIT, DELETE, PRINT)
 *   quarantineconfig new NAME [size_mb=N] [retention_hours=N] [expire=delete|release]
 *   quarantineconfig edit NAME key=value...
 *   quarantineconfig delete NAME
 *   quarantineconfig print
 *
 * A quarantine holds messages up to its size (1 to 1048576 MB) for its
 * retention period (1 to 87600 hours); when the period ends mxgated
 * deletes or releases each message (expire). The quarantine Policy is
 * built in: its settings can be changed, it cannot be deleted. A
 * quarantine cannot be deleted either while a message or content filter
 * names it or while it holds messages (queue.db). Everything is pending
 * until commit.
 *
 * DIAGNOSTICS: one error line per refusal; nothing is staged then.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/cmd_util.h"
#include "mail/filterconf.h"
#include "store/quarantine.h"
#include "util/str.h"

extern const struct cmd_entry cmd_quarantineconfig_entry;

/* ---------------------------------------------------------- operations */

/* load - every quarantine as this session sees it; error printed */
static int
load(struct cli *c, struct quarantine_conf **q, int *n)
{
	char *cause = NULL;

	if (quarconf_load(c->st, q, n, &cause) < 0) {
		cli_error(c, "Cannot read the quarantines: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* retention_text - "240 hours (10 days)" */
static void
retention_text(long h, char *out, size_t size)
{
	if (h >= 48 && h % 24 == 0)
		str_fmt(out, size, "%ld hours (%ld days)", h, h / 24);
	else
		str_fmt(out, size, "%ld hour%s", h, h == 1 ? "" : "s");
}

/* print_table - every quarantine and its settings */
static void
print_table(struct cli *c, const struct quarantine_conf *q, int n)
{
	int w = 4;
	char ret[64], size[32];

	for (int i = 0; i < n; i++)
		if ((int)strlen(q[i].name) > w)
			w = (int)strlen(q[i].name);
	cli_printf(c, "\nQuarantines\n\n");
	cli_printf(c, "%-*s  %-10s  %-20s  %s\n", w, "Name", "Size", "Retention", "At expiry");
	for (int i = 0; i < n && !c->stopped; i++) {
		str_fmt(size, sizeof(size), "%ld MB", q[i].size_mb);
		retention_text(q[i].retention_hours, ret, sizeof(ret));
		cli_printf(c, "%-*s  %-10s  %-20s  %s\n", w, q[i].name, size, ret,
		    q[i].expire_release ? "Release" : "Delete");
	}
}

/* The settings of a new or edited quarantine; -1 / NULL: not given. */
struct qvals {
	long size_mb;
	long retention_hours;
	int expire_release;
};

/* stage_one - stage q; error printed */
static enum cmd_ret
stage_one(struct cli *c, const struct quarantine_conf *q)
{
	char *cause = NULL;

	if (quarconf_save(c->st, q, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return CMD_OK;
}

/* apply_vals - the given settings onto q */
static void
apply_vals(struct quarantine_conf *q, const struct qvals *v)
{
	if (v->size_mb >= 0)
		q->size_mb = v->size_mb;
	if (v->retention_hours >= 0)
		q->retention_hours = v->retention_hours;
	if (v->expire_release >= 0)
		q->expire_release = v->expire_release;
}

/* do_new - a new quarantine with the defaults and the settings given */
static enum cmd_ret
do_new(struct cli *c, const char *name, const struct qvals *v)
{
	struct quarantine_conf *all, nq;
	char *cause = NULL;
	enum cmd_ret r = CMD_ERROR;
	int n;

	if (quarconf_name_valid(name, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (load(c, &all, &n) < 0)
		return CMD_ERROR;
	if (quarconf_find(all, n, name)) {
		cli_error(c, "There is already a quarantine named %s.", quarconf_find(all, n, name)->name);
	} else if (n >= QUARANTINE_MAX) {
		cli_error(c, "There can be at most %d quarantines, %s included.", QUARANTINE_MAX,
		    QUARANTINE_POLICY);
	} else {
		memset(&nq, 0, sizeof(nq));
		str_copy(nq.name, name, sizeof(nq.name));
		nq.size_mb = QUARANTINE_SIZE_DEFAULT;
		nq.retention_hours = QUARANTINE_RETENTION_DEFAULT;
		apply_vals(&nq, v);
		r = stage_one(c, &nq);
		if (r == CMD_OK)
			cli_printf(c, "Quarantine \"%s\" created.\n", nq.name);
	}
	free(all);
	return r;
}

/* do_edit - change the settings given */
static enum cmd_ret
do_edit(struct cli *c, const char *name, const struct qvals *v)
{
	struct quarantine_conf *all, q;
	const struct quarantine_conf *f;
	enum cmd_ret r = CMD_ERROR;
	int n;

	if (load(c, &all, &n) < 0)
		return CMD_ERROR;
	if ((f = quarconf_find(all, n, name)) == NULL) {
		cli_error(c, "There is no quarantine named '%.64s'.", name);
	} else {
		q = *f;
		apply_vals(&q, v);
		r = stage_one(c, &q);
		if (r == CMD_OK)
			cli_printf(c, "Quarantine \"%s\" changed.\n", q.name);
	}
	free(all);
	return r;
}

/*
 * in_use - why quarantine name cannot go: the filters naming it, or the
 * messages it holds; 1 refused (error printed), 0 free, -1 error printed
 */
static int
in_use(struct cli *c, const char *name)
{
	char *msg = NULL, *cont = NULL, *cause = NULL;
	struct queue *q;
	int64_t msgs, bytes;
	int rc = 0;

	if (filterconf_users(c->st, FILTER_SECTION, "quarantine", name, &msg, &cause) < 0 ||
	    filterconf_users(c->st, CFILTER_SECTION, "quarantine", name, &cont, &cause) < 0) {
		cli_error(c, "Cannot read the filters: %s", cause);
		free(cause);
		free(msg);
		return -1;
	}
	if (*msg || *cont) {
		cli_error(c, "Quarantine \"%s\" is named by %s%s%s%s%s; change or delete those "
			     "filters first.",
		    name, *msg ? "the message filters " : "", msg, *msg && *cont ? " and " : "",
		    *cont ? "the content filters " : "", cont);
		rc = 1;
	}
	free(msg);
	free(cont);
	if (rc)
		return rc;
	if ((q = cmd_queue(c)) == NULL)
		return -1;
	if (quarantine_usage(q, name, &msgs, &bytes, &cause) < 0) {
		cli_error(c, "Cannot read the quarantine: %s", cause);
		free(cause);
		return -1;
	}
	if (msgs > 0) {
		cli_error(c, "Quarantine \"%s\" holds %lld message%s: release or delete %s first "
			     "(releasequarantine, deletequarantine).",
		    name, (long long)msgs, msgs == 1 ? "" : "s", msgs == 1 ? "it" : "them");
		return 1;
	}
	return 0;
}

/* do_delete - remove a quarantine nothing uses */
static enum cmd_ret
do_delete(struct cli *c, const char *name)
{
	struct quarantine_conf *all;
	const struct quarantine_conf *f;
	char qn[sizeof(all->name)], *cause = NULL;
	int n;

	if (load(c, &all, &n) < 0)
		return CMD_ERROR;
	f = quarconf_find(all, n, name);
	if (f)
		str_copy(qn, f->name, sizeof(qn));
	free(all);
	if (f == NULL) {
		cli_error(c, "There is no quarantine named '%.64s'.", name);
		return CMD_ERROR;
	}
	if (strcasecmp(qn, QUARANTINE_POLICY) == 0) {
		cli_error(c, "The %s quarantine is built in and cannot be deleted.",
		    QUARANTINE_POLICY);
		return CMD_ERROR;
	}
	if (in_use(c, qn) != 0)
		return CMD_ERROR;
	if (quarconf_delete(c->st, qn, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	cli_printf(c, "Quarantine \"%s\" deleted.\n", qn);
	return CMD_OK;
}

/* do_print - the table */
static enum cmd_ret
do_print(struct cli *c)
{
	struct quarantine_conf *all;
	int n;

	if (load(c, &all, &n) < 0)
		return CMD_ERROR;
	print_table(c, all, n);
	free(all);
	return CMD_OK;
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

/* ask_settings - size, retention and expiry, each with its current value as default */
static enum ask_ret
ask_settings(struct dlg *d, const struct quarantine_conf *cur, struct qvals *v)
{
	static const char *const acts[] = { "Delete", "Release" };
	enum ask_ret a;
	int k;

	a = cli_ask_number(d->c, "Enter the maximum size of the quarantine in megabytes:",
	    cur->size_mb, QUARANTINE_SIZE_MIN, QUARANTINE_SIZE_MAX, &v->size_mb);
	if (a == ASK_OK)
		a = cli_ask_number(d->c, "Enter the number of hours messages stay in the "
					 "quarantine:",
		    cur->retention_hours, QUARANTINE_RETENTION_MIN, QUARANTINE_RETENTION_MAX,
		    &v->retention_hours);
	if (a == ASK_OK)
		a = cli_ask_list(d->c, "What should happen to messages when their retention "
				       "period ends?",
		    acts, 2, cur->expire_release ? 2 : 1, &k);
	if (a == ASK_OK)
		v->expire_release = k;
	return a;
}

/* pick - a quarantine of the table (from first) by number or name; -1 on back/abort */
static enum ask_ret
pick(struct dlg *d, const struct quarantine_conf *q, int n, int first, const char *question,
    int *idx)
{
	const char **items = xcalloc((size_t)n + 1, sizeof(char *));
	enum ask_ret a;

	for (int i = first; i < n; i++)
		items[i - first] = q[i].name;
	a = cli_ask_list(d->c, question, items, n - first, 0, idx);
	*idx += first;
	free(items);
	return a;
}

/* dlg_new - NEW */
static enum ask_ret
dlg_new(struct dlg *d, const struct quarantine_conf *q, int n)
{
	struct quarantine_conf def;
	struct qvals v;
	char name[128], *cause = NULL;
	enum ask_ret a;

	for (;;) {
		a = cli_ask_required(d->c, "Enter the name of the new quarantine:", name,
		    sizeof(name));
		if (a != ASK_OK)
			return a;
		if (quarconf_name_valid(name, &cause) < 0) {
			cli_error(d->c, "%s", cause);
			free(cause);
			cause = NULL;
		} else if (quarconf_find(q, n, name)) {
			cli_error(d->c, "There is already a quarantine named %s.",
			    quarconf_find(q, n, name)->name);
		} else {
			break;
		}
	}
	memset(&def, 0, sizeof(def));
	def.size_mb = QUARANTINE_SIZE_DEFAULT;
	def.retention_hours = QUARANTINE_RETENTION_DEFAULT;
	a = ask_settings(d, &def, &v);
	if (a == ASK_OK)
		note(d, do_new(d->c, name, &v));
	return a;
}

/* dlg_edit - EDIT */
static enum ask_ret
dlg_edit(struct dlg *d, const struct quarantine_conf *q, int n)
{
	struct qvals v;
	enum ask_ret a;
	int idx;

	a = pick(d, q, n, 0, "Enter the name or number of the quarantine you wish to edit.", &idx);
	if (a == ASK_OK)
		a = ask_settings(d, &q[idx], &v);
	if (a == ASK_OK)
		note(d, do_edit(d->c, q[idx].name, &v));
	return a;
}

/* dlg_delete - DELETE (not Policy, which comes first), with confirmation */
static enum ask_ret
dlg_delete(struct dlg *d, const struct quarantine_conf *q, int n)
{
	char *question;
	enum ask_ret a;
	int idx, yes = 0;

	if (n <= 1) {
		cli_printf(d->c, "There are no quarantines to delete; %s cannot be deleted.\n",
		    QUARANTINE_POLICY);
		return ASK_BACK;
	}
	a = pick(d, q, n, 1, "Enter the name or number of the quarantine you wish to delete.",
	    &idx);
	if (a != ASK_OK)
		return a;
	question = str_printf("Are you sure you want to delete the quarantine %s?", q[idx].name);
	a = cli_ask_yesno(d->c, question, 0, &yes);
	free(question);
	if (a == ASK_OK && yes)
		note(d, do_delete(d->c, q[idx].name));
	return a;
}

/* dialog - the table and menu until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new quarantine." },
		{ "EDIT", "Edit a quarantine's settings." },
		{ "DELETE", "Remove a quarantine." },
		{ "PRINT", "Print the quarantines." },
	};
	struct dlg d = { c, 0 };
	struct quarantine_conf *q;
	enum ask_ret a;
	int n, op;

	for (;;) {
		if (load(c, &q, &n) < 0)
			return CMD_ERROR;
		print_table(c, q, n);
		a = cli_ask_menu(c, NULL, ops, 4, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dlg_new(&d, q, n);
				break;
			case 1:
				a = dlg_edit(&d, q, n);
				break;
			case 2:
				a = dlg_delete(&d, q, n);
				break;
			case 3:
				/* the table is printed again above the menu */
				break;
			}
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		free(q);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return d.failed ? CMD_ERROR : CMD_OK;
	}
}

/* ---------------------------------------------------------- batch */

/* qvals_set - cmd_keyset.set: one checked setting */
static int
qvals_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct qvals *v = obj;
	long n;

	if (strcmp(k->name, "expire") == 0) {
		v->expire_release = strcasecmp(value, "release") == 0;
		return 0;
	}
	if (str_to_long(value, k->min, k->max, &n) < 0) {
		*cause = str_printf("Invalid %s '%.40s': the value must be a number from %ld to %ld.",
		    k->name, value, k->min, k->max);
		return -1;
	}
	if (strcmp(k->name, "size_mb") == 0)
		v->size_mb = n;
	else
		v->retention_hours = n;
	return 0;
}

static const char *const expire_values[] = { "delete", "release", NULL };

static const struct cmd_key q_keys[] = {
	{ .name = "size_mb", .type = CMD_KEY_INT, .min = QUARANTINE_SIZE_MIN,
	    .max = QUARANTINE_SIZE_MAX, .check = cmd_keys_int,
	    .help = "the space for its messages, 1 to 1048576 megabytes (default 1024)" },
	{ .name = "retention_hours", .type = CMD_KEY_INT, .min = QUARANTINE_RETENTION_MIN,
	    .max = QUARANTINE_RETENTION_MAX, .check = cmd_keys_int,
	    .help = "how long a message stays, 1 to 87600 hours (default 240)" },
	{ .name = "expire", .type = CMD_KEY_ENUM, .values = expire_values, .check = cmd_keys_enum,
	    .help = "what happens to a message when its time is up: delete (default) or release" },
	{ .name = NULL },
};

static const struct cmd_keyset q_set = { .keys = q_keys, .set = qvals_set };

static enum cmd_ret
b_new(struct cli *c, const struct cmd_call *call)
{
	struct qvals v = { -1, -1, -1 };

	if (cmd_keys_apply(c, call, &v, NULL) < 0)
		return CMD_ERROR;
	return do_new(c, call->argv[0], &v);
}

static enum cmd_ret
b_edit(struct cli *c, const struct cmd_call *call)
{
	struct qvals v = { -1, -1, -1 };

	if (cmd_keys_apply(c, call, &v, NULL) < 0)
		return CMD_ERROR;
	return do_edit(c, call->argv[0], &v);
}

static enum cmd_ret
b_delete(struct cli *c, const struct cmd_call *call)
{
	return do_delete(c, call->argv[0]);
}

static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return do_print(c);
}

static const struct cmd_word new_name[] = {
	{ "<NAME>", "the new quarantine's name: a letter, then letters, digits, '_', '-', '.'",
	    NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word name_word[] = {
	{ "<NAME>", "a quarantine's name", NULL },
	{ NULL, NULL, NULL },
};

#define USAGE(op) "quarantineconfig " op
static const struct cmd_sub q_subs[] = {
	{ .name = "new", .help = "Create a new quarantine.", .args = new_name, .min_args = 1,
	    .keys = &q_set, .flags = CMD_SUB_KV_OPTIONAL,
	    .usage = USAGE("new NAME [size_mb=N] [retention_hours=N] [expire=delete|release]"),
	    .exec = b_new },
	{ .name = "edit", .help = "Change a quarantine: size_mb=, retention_hours=, expire=.",
	    .args = name_word, .min_args = 1, .keys = &q_set,
	    .usage = USAGE("edit NAME key=value... (keys: size_mb=, retention_hours= or "
			   "expire=)"),
	    .exec = b_edit },
	{ .name = "delete", .help = "Remove a quarantine that nothing uses.", .args = name_word,
	    .min_args = 1, .max_args = 1, .usage = USAGE("delete NAME"), .exec = b_delete },
	{ .name = "print", .help = "Print the quarantines.", .usage = USAGE("print"),
	    .exec = b_print },
	{ .exec = NULL },
};

/* quarantineconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
quarantineconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_quarantineconfig_entry, argc, argv);
}

/* NOABBREV: "q" stays quit */
const struct cmd_entry cmd_quarantineconfig_entry = {
	.name = "quarantineconfig",
	.usage = "quarantineconfig\n"
		 "quarantineconfig new NAME [size_mb=N] [retention_hours=N] "
		 "[expire=delete|release]\n"
		 "quarantineconfig edit NAME key=value... (size_mb=, retention_hours=, expire=)\n"
		 "quarantineconfig delete NAME\n"
		 "quarantineconfig print",
	.help = "Configure the quarantines: size, retention and what happens at expiry.",
	.flags = CMD_F_CONFIG | CMD_F_NOABBREV,
	.subs = q_subs,
	.exec = quarantineconfig_exec,
};
