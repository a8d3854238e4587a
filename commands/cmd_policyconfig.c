/*
 * cmd_policyconfig.c - `policyconfig`: incoming and outgoing mail policies.
 *
 * The two front ends of one set of operations (policyconfig.c): the
 * AsyncOS dialogue (NEW, EDIT, DELETE, PRINT, SEARCH, MOVE, CLEAR; an
 * empty answer goes back) and the batch forms, so both validate the same
 * way and print the same errors. A dialogue operation gathers all its
 * answers before it calls the operation, which stages everything or
 * nothing: Ctrl-C in the middle of a dialogue changes nothing.
 *
 *   policyconfig [incoming|outgoing]                  the dialogue
 *   policyconfig DIR new NAME recipients=M[,M...] [senders=M,...]
 *                                                     (incoming: tdc= content_filters=)
 *   policyconfig DIR edit NAME key=value...           name= recipients= senders=
 *                                                     (incoming: tdc= tdc_polling=
 *                                                     content_filters=)
 *   policyconfig DIR delete NAME
 *   policyconfig DIR move NAME POSITION
 *   policyconfig DIR print [NAME]
 *   policyconfig DIR search ADDRESS [sender=A | recipient=A]
 *   policyconfig DIR clear
 *
 * The batch forms are declared once (commands/cmd_keys.h): incoming and
 * outgoing are sub-commands whose own sub-commands (in_subs, out_subs)
 * share one handler per operation, which finds its direction from the
 * level above; their key tables drive the parsing, the errors, TAB
 * completion, `?` and the man page check.
 *
 * Adding a per-policy setting: its key in in_edit_keys[] here (batch
 * edit, TAB completion, the "Unknown key" list) and a row in edit_ops[]
 * (the EDIT submenu); policyconfig.c says what the key does and prints
 * it. The Threat Defense Connector (incoming only) is tdc= and, on
 * DEFAULT, tdc_polling=, and the EDIT submenu's TDC; on an outgoing
 * policy they are refused by name rather than as unknown keys. The
 * content filters of incoming policies are content_filters= (names of
 * existing content filters, in order; empty for none) and the EDIT
 * submenu's CONTENTFILTERS, which picks them from a numbered list.
 *
 * DIAGNOSTICS: one error line per refusal (see policyconfig.c); a batch
 * form then fails, and so does a dialogue in which an operation was
 * refused (batch exit status 1).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/policyconfig.h"
#include "commands/tdcconfig.h"
#include "mail/filterconf.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_policyconfig_entry;

/* Longest address answer (an RFC 5321 path is at most 256 octets). */
#define ADDRESS_MAX 320
/* Longest answer in the dialogue: one line of member entries. */
#define ANSWER_MAX 8192
/* Invalid picks before a dialogue gives up. */
#define PICK_RETRIES 20

/* ---------------------------------------------------------- dialogue */

/* A dialogue in progress. */
struct dlg {
	struct cli *c;
	enum policy_dir dir;
	int failed;		/* an operation was refused */
};

/* note - remember a refused operation (the command then fails) */
static void
note(struct dlg *d, enum cmd_ret r)
{
	if (r != CMD_OK)
		d->failed = 1;
}

/* dlg_find - the policy being edited, in a fresh table; refused if it is gone */
static int
dlg_find(struct dlg *d, const struct policy_table *t, const char *name)
{
	int i = policy_find(t, name);

	if (i < 0) {
		cli_error(d->c, "There is no %s mail policy named '%.64s'.",
		    policy_dir_name(d->dir), name);
		d->failed = 1;
	}
	return i;
}

/*
 * pick_policy - the first count policies as a numbered list; accepts the
 * number, the name, or a unique beginning of a name. TAB completes the
 * numbers and the names, and `?` lists them (cli_ask_offered).
 */
static enum ask_ret
pick_policy(struct cli *c, const struct policy_table *t, int count, const char *question,
    int *idx)
{
	struct cli_choice *offers = xcalloc((size_t)(2 * count) + 1, sizeof(*offers));
	char **nums = xcalloc((size_t)count + 1, sizeof(char *)), ans[128];
	enum ask_ret a = ASK_ABORT;

	for (int i = 0; i < count; i++) {
		nums[i] = str_printf("%d", i + 1);
		offers[i].name = nums[i];
		offers[i].help = t->p[i].name;
		offers[count + i].name = t->p[i].name;
		offers[count + i].help = nums[i];
	}
	for (int tries = 0; tries < PICK_RETRIES; tries++) {
		long v;
		int match = -1, n = 0;

		cli_printf(c, "\n%s\n", question);
		for (int i = 0; i < count; i++)
			cli_printf(c, "%d. %s\n", i + 1, t->p[i].name);
		a = cli_ask_offered(c, NULL, NULL, offers, 2 * count, ans, sizeof(ans));
		if (a != ASK_OK)
			goto out;
		if (str_to_long(ans, 1, count, &v) == 0) {
			*idx = (int)v - 1;
			goto out;
		}
		for (int i = 0; i < count; i++) {
			if (strcasecmp(t->p[i].name, ans) == 0) {
				match = i;	/* the exact name wins over longer ones */
				n = 1;
				break;
			}
			if (str_casecmp_prefix(ans, t->p[i].name)) {
				match = i;
				n++;
			}
		}
		if (n == 1) {
			*idx = match;
			goto out;
		}
		cli_error(c, "That value is not valid. Enter a number between 1 and %d or a policy "
			     "name.",
		    count);
	}
	a = ASK_ABORT;
out:
	for (int i = 0; i < count; i++)
		free(nums[i]);
	free(nums);
	free(offers);
	return a;
}

/* ask_name - a new policy name, free in t (except == the policy being renamed) */
static enum ask_ret
ask_name(struct cli *c, const struct policy_table *t, const char *question, int except,
    char *out, size_t size)
{
	for (;;) {
		enum ask_ret a = cli_ask_required(c, question, out, size);
		char *cause = NULL;
		int j;

		if (a != ASK_OK)
			return a;
		if (policy_name_valid(out, &cause) < 0) {
			cli_error(c, "%s", cause);
			free(cause);
			continue;
		}
		j = policy_find(t, out);
		if (j >= 0 && j != except) {
			cli_error(c, "There is already a policy with the new name %s.", out);
			continue;
		}
		return ASK_OK;
	}
}

static const char MEMBER_FORMS[] =
    "A member is user@example.com, user@ (that user at any domain), @example.com or "
    "@.example.com (its subdomains).";

/* ask_members - a comma-separated member list, asked again until valid */
static enum ask_ret
ask_members(struct cli *c, const char *question, char *out, size_t size)
{
	char *q = str_printf("%s, separated by commas.\n%s", question, MEMBER_FORMS);
	enum ask_ret a;

	for (;;) {
		a = cli_ask_required(c, q, out, size);
		if (a != ASK_OK || policyconfig_check_members(c, out) == 0)
			break;
	}
	free(q);
	return a;
}

/* enter_question - "Enter the receivers for this policy" (AsyncOS words) */
static const char *
enter_question(enum policyconfig_side s)
{
	return s == POLICYCONFIG_RCPT ? "Enter the receivers for this policy" :
				"Enter the senders for this policy";
}

/* dlg_new - NEW: name, primary members, optionally the other side */
static enum ask_ret
dlg_new(struct dlg *d, const struct policy_table *t)
{
	enum policyconfig_side ps = policyconfig_primary(d->dir);
	char name[128], *first = xmalloc(ANSWER_MAX), *second = xmalloc(ANSWER_MAX);
	enum ask_ret a;
	int more = 0;

	second[0] = '\0';
	a = ask_name(d->c, t, "Enter the name for this policy:", -1, name, sizeof(name));
	if (a == ASK_OK)
		a = ask_members(d->c, enter_question(ps), first, ANSWER_MAX);
	if (a == ASK_OK)
		a = cli_ask_yesno(d->c, ps == POLICYCONFIG_RCPT ? "Add senders for this policy?" :
							  "Add receivers for this policy?",
		    0, &more);
	if (a == ASK_OK && more)
		a = ask_members(d->c, enter_question(!ps), second, ANSWER_MAX);
	if (a == ASK_OK && ps == POLICYCONFIG_RCPT)
		note(d, policyconfig_new(d->c, d->dir, name, first, second, NULL, NULL));
	else if (a == ASK_OK)
		note(d, policyconfig_new(d->c, d->dir, name, second, first, NULL, NULL));
	free(first);
	free(second);
	return a;
}

/* eop_name - EDIT > NAME */
static enum ask_ret
eop_name(struct dlg *d, char *name, size_t size)
{
	struct policy_table t;
	char *keys[] = { "name" }, newname[128], *vals[] = { newname };
	enum ask_ret a;
	enum cmd_ret r;

	if (policyconfig_load(d->c, d->dir, &t) < 0) {
		d->failed = 1;
		return ASK_BACK;
	}
	a = ask_name(d->c, &t, "Enter the new name for this policy:", policy_find(&t, name),
	    newname, sizeof(newname));
	policy_table_free(&t);
	if (a != ASK_OK)
		return a;
	r = policyconfig_edit(d->c, d->dir, name, 1, keys, vals);
	note(d, r);
	if (r == CMD_OK)
		str_copy(name, newname, size);
	return ASK_OK;
}

/* eop_new - EDIT > NEW: add members to either side */
static enum ask_ret
eop_new(struct dlg *d, char *name, size_t size)
{
	enum policyconfig_side ps = policyconfig_primary(d->dir), s;
	const char *items[2];
	char q[128], *text;
	enum ask_ret a;
	int k;

	(void)size;
	items[0] = ps == POLICYCONFIG_RCPT ? "Recipients" : "Senders";
	items[1] = ps == POLICYCONFIG_RCPT ? "Senders" : "Recipients";
	a = cli_ask_list(d->c, "Which members do you want to add?", items, 2, 1, &k);
	if (a != ASK_OK)
		return a;
	s = k == 0 ? ps : !ps;
	str_fmt(q, sizeof(q), "Enter the %s to add to this policy", policyconfig_side_key(s));
	text = xmalloc(ANSWER_MAX);
	a = ask_members(d->c, q, text, ANSWER_MAX);
	if (a == ASK_OK)
		note(d, policyconfig_add_members(d->c, d->dir, name, s, text));
	free(text);
	return a;
}

/* eop_delete - EDIT > DELETE: remove one member */
static enum ask_ret
eop_delete(struct dlg *d, char *name, size_t size)
{
	struct policy_table t;
	enum policyconfig_side side[POLICY_MAX_MEMBERS], ps = policyconfig_primary(d->dir);
	char **items, member[ADDRESS_MAX + 1];
	int i, n = 0, k;
	enum ask_ret a;

	(void)size;
	if (policyconfig_load(d->c, d->dir, &t) < 0) {
		d->failed = 1;
		return ASK_BACK;
	}
	if ((i = dlg_find(d, &t, name)) < 0) {
		policy_table_free(&t);
		return ASK_BACK;
	}
	items = xcalloc(POLICY_MAX_MEMBERS + 1, sizeof(char *));
	for (int s = 0; s < 2; s++) {
		enum policyconfig_side sd = s == 0 ? ps : !ps;
		int m;
		char *const *v = policyconfig_members(&t.p[i], sd, &m);

		for (int j = 0; j < m && n < POLICY_MAX_MEMBERS; j++) {
			side[n] = sd;
			items[n++] = str_printf("%s %s", policyconfig_side_one(sd), v[j]);
		}
	}
	if (n <= 1) {
		cli_error(d->c, "There is only one member in the policy: delete the policy "
				"instead.");
		d->failed = 1;
		a = ASK_BACK;
	} else {
		a = cli_ask_list(d->c, "Enter the number of the member you wish to delete.",
		    (const char *const *)items, n, 0, &k);
		if (a == ASK_OK) {
			str_copy(member, strchr(items[k], ' ') + 1, sizeof(member));
			note(d, policyconfig_remove_member(d->c, d->dir, name, side[k], member));
		}
	}
	for (int j = 0; j < n; j++)
		free(items[j]);
	free(items);
	policy_table_free(&t);
	return a;
}

/* eop_print - EDIT > PRINT */
static enum ask_ret
eop_print(struct dlg *d, char *name, size_t size)
{
	(void)size;
	note(d, policyconfig_print(d->c, d->dir, name));
	return ASK_OK;
}

/* eop_tdc - EDIT > TDC (incoming): the Threat Defense Connector, and polling on DEFAULT */
static enum ask_ret
eop_tdc(struct dlg *d, char *name, size_t size)
{
	/* the same three choices on every policy; only the first differs on DEFAULT */
	static const char *const def_items[] = { "Use the global settings",
		"Use a custom message intake address", "No" };
	static const char *const items[] = { "Use the DEFAULT policy's setting",
		"Use a custom message intake address", "No" };
	struct policy_table t;
	char tdc[sizeof(t.p[0].tdc)], val[sizeof(t.p[0].tdc) + 8], addr[ADDRESS_MAX + 1];
	char dom[256], *keys[2], *vals[2], *api, *q;
	int i, k, n = 0, is_def, poll, custom, pick;
	enum ask_ret a;

	(void)size;
	if (policyconfig_load(d->c, d->dir, &t) < 0) {
		d->failed = 1;
		return ASK_BACK;
	}
	if ((i = dlg_find(d, &t, name)) < 0) {
		policy_table_free(&t);
		return ASK_BACK;
	}
	is_def = i == t.n - 1;
	str_copy(tdc, t.p[i].tdc, sizeof(tdc));
	policy_table_free(&t);
	custom = strncasecmp(tdc, "custom:", 7) == 0;
	if (custom)
		pick = 2;
	else if (is_def)
		pick = strcasecmp(tdc, "global") == 0 ? 1 : 3;
	else
		pick = strcasecmp(tdc, "no") == 0 ? 3 : 1;
	a = cli_ask_list(d->c, "Threat Defense Connector for this policy:",
	    is_def ? def_items : items, 3, pick, &k);
	if (a != ASK_OK)
		return a;
	if (k == 1) {
		if (tdcconfig_need_global(d->c) < 0) {
			d->failed = 1;
			return ASK_OK;
		}
		tdcconfig_domain(d->c, dom, sizeof(dom));
		q = str_printf("Enter the custom message intake address (in the domain %s).", dom);
		for (;;) {
			a = cli_ask(d->c, q, custom ? tdc + 7 : NULL, addr, sizeof(addr));
			if (a != ASK_OK || tdcconfig_check_custom(d->c, addr) == 0)
				break;
		}
		free(q);
		if (a != ASK_OK)
			return a;
		str_fmt(val, sizeof(val), "custom:%s", addr);
	} else if (k == 0) {
		str_copy(val, is_def ? "global" : "default", sizeof(val));
	} else {
		str_copy(val, "no", sizeof(val));
	}
	keys[n] = "tdc";
	vals[n++] = val;
	/* polling is a question only where it can be turned on: DEFAULT, with the API */
	api = settings_get(d->c->st, "tdc.api");
	if (is_def && strcmp(api, "yes") == 0) {
		char *cur = settings_get(d->c->st, "tdc.polling");

		a = cli_ask_yesno(d->c, "Would you like to enable Email Threat Defense API "
					"polling?",
		    strcmp(cur, "yes") == 0, &poll);
		free(cur);
		if (a != ASK_OK) {
			free(api);
			return a;
		}
		keys[n] = "tdc_polling";
		vals[n++] = poll ? "yes" : "no";
	}
	free(api);
	note(d, policyconfig_edit(d->c, d->dir, name, n, keys, vals));
	return ASK_OK;
}

/*
 * cf_pick - the answer to the CONTENTFILTERS question: numbers or names
 * of s's entries, comma-separated, or NONE, into the names joined by
 * commas (out); error printed when an item names no content filter
 */
static int
cf_pick(struct cli *c, const struct filter_set *s, const char *ans, char *out, size_t size)
{
	char **v;
	int n, rc = 0;
	size_t len = 0;

	out[0] = '\0';
	if (strcasecmp(ans, "none") == 0)
		return 0;
	v = str_split(ans, ',', &n);
	for (int i = 0; i < n && rc == 0; i++) {
		const char *w = str_trim(v[i]);
		const struct filter_entry *e = NULL;
		long num;

		if (str_to_long(w, 1, s->n, &num) == 0)
			e = &s->e[num - 1];
		else
			e = filterconf_find(s, w);
		if (e == NULL) {
			cli_error(c, "That value is not valid: '%.64s' is neither a number from 1 to "
				     "%d nor a content filter's name.",
			    w, s->n);
			rc = -1;
		} else if (str_fmt(out + len, size - len, "%s%s", len ? "," : "", e->name) < 0) {
			cli_error(c, "Too many content filters.");
			rc = -1;
		} else {
			len = strlen(out);
		}
	}
	str_split_free(v);
	return rc;
}

/* eop_cfilters - EDIT > CONTENTFILTERS (incoming): which content filters apply, in order */
static enum ask_ret
eop_cfilters(struct dlg *d, char *name, size_t size)
{
	struct policy_table t;
	struct filter_set s;
	char cur[ANSWER_MAX], ans[ANSWER_MAX], *val = xmalloc(ANSWER_MAX), *keys[1], *vals[1];
	char *cause = NULL;
	enum ask_ret a = ASK_OK;
	size_t len = 0;
	int i;

	(void)size;
	if (filterconf_load(d->c->st, CFILTER_SECTION, &s, &cause) < 0) {
		cli_error(d->c, "Cannot read the content filters: %s", cause);
		free(cause);
		free(val);
		d->failed = 1;
		return ASK_BACK;
	}
	if (policyconfig_load(d->c, d->dir, &t) < 0) {
		filterconf_free(&s);
		free(val);
		d->failed = 1;
		return ASK_BACK;
	}
	if ((i = dlg_find(d, &t, name)) < 0) {
		policy_table_free(&t);
		filterconf_free(&s);
		free(val);
		return ASK_BACK;
	}
	/* the current choice as numbers, the default answer ("NONE" when none) */
	str_copy(cur, "NONE", sizeof(cur));
	for (int k = 0; k < t.p[i].ncfilters; k++) {
		int j = -1;

		for (int m = 0; m < s.n && j < 0; m++)
			if (strcasecmp(s.e[m].name, t.p[i].cfilters[k]) == 0)
				j = m;
		if (j < 0)
			continue;	/* deleted since: dropped by the next answer */
		str_fmt(cur + len, sizeof(cur) - len, "%s%d", len ? "," : "", j + 1);
		len = strlen(cur);
	}
	policy_table_free(&t);
	if (s.n == 0 && strcmp(cur, "NONE") == 0) {
		cli_printf(d->c, "There are no content filters: create one with 'contentfilters "
				 "new'.\n");
		filterconf_free(&s);
		free(val);
		return ASK_BACK;
	}
	for (;;) {
		cli_printf(d->c, "\nContent filters:\n");
		for (int k = 0; k < s.n; k++)
			cli_printf(d->c, "%d. %s%s\n", k + 1, s.e[k].name,
			    s.e[k].valid ? "" : " (invalid: not applied)");
		a = cli_ask(d->c, "Enter the numbers or names of the content filters for this "
				  "policy, separated by commas, in the order they apply (NONE: no "
				  "content filters):",
		    cur, ans, sizeof(ans));
		if (a != ASK_OK)
			break;
		if (cf_pick(d->c, &s, ans, val, ANSWER_MAX) == 0)
			break;
	}
	filterconf_free(&s);
	if (a == ASK_OK) {
		keys[0] = "content_filters";
		vals[0] = val;
		note(d, policyconfig_edit(d->c, d->dir, name, 1, keys, vals));
	}
	free(val);
	return a;
}

#define DIR_IN	0x1
#define DIR_OUT	0x2

/* The EDIT submenu: rows shown for a direction, and for DEFAULT only when default_ok. */
static const struct edit_op {
	const char *name;	/* menu word */
	const char *help;	/* menu line */
	int dirs;		/* DIR_IN | DIR_OUT */
	int default_ok;		/* offered for DEFAULT */
	enum ask_ret (*run)(struct dlg *d, char *name, size_t size);
} edit_ops[] = {
	{ "NAME", "Change the name of this policy.", DIR_IN | DIR_OUT, 0, eop_name },
	{ "NEW", "Add new members.", DIR_IN | DIR_OUT, 0, eop_new },
	{ "DELETE", "Remove a member.", DIR_IN | DIR_OUT, 0, eop_delete },
	{ "PRINT", "Print the members of this policy.", DIR_IN | DIR_OUT, 1, eop_print },
	{ "TDC", "Threat Defense Connector settings.", DIR_IN, 1, eop_tdc },
	{ "CONTENTFILTERS", "Choose the content filters of this policy.", DIR_IN, 1,
	    eop_cfilters },
};
#define NEDIT_OPS (int)(sizeof(edit_ops) / sizeof(edit_ops[0]))

/* dlg_edit - EDIT: pick a policy, then its submenu until an empty answer */
static enum ask_ret
dlg_edit(struct dlg *d, const struct policy_table *t0)
{
	char name[POLICY_NAME_MAX + 1];
	enum ask_ret a;
	int idx;

	a = pick_policy(d->c, t0, t0->n, "Enter the name or number of the policy you wish to edit.",
	    &idx);
	if (a != ASK_OK)
		return a;
	str_copy(name, t0->p[idx].name, sizeof(name));
	for (int show = 1;;) {
		struct policy_table t;
		struct cli_choice ch[NEDIT_OPS];
		const struct edit_op *op[NEDIT_OPS];
		int i, n = 0, k;

		if (policyconfig_load(d->c, d->dir, &t) < 0) {
			d->failed = 1;
			return ASK_BACK;
		}
		if ((i = dlg_find(d, &t, name)) < 0) {
			policy_table_free(&t);
			return ASK_BACK;
		}
		/* the policy as it now is, unless PRINT has just shown it */
		if (show)
			policyconfig_print_details(d->c, &t, i);
		for (int j = 0; j < NEDIT_OPS; j++) {
			if (!(edit_ops[j].dirs & (d->dir == POLICY_INCOMING ? DIR_IN : DIR_OUT)) ||
			    (i == t.n - 1 && !edit_ops[j].default_ok))
				continue;
			ch[n].name = edit_ops[j].name;
			ch[n].help = edit_ops[j].help;
			op[n++] = &edit_ops[j];
		}
		policy_table_free(&t);
		a = cli_ask_menu(d->c, NULL, ch, n, &k);
		if (a == ASK_BACK)
			return ASK_OK;	/* back to the policy table */
		if (a == ASK_OK)
			a = op[k]->run(d, name, sizeof(name));
		/* an empty answer inside an operation returns to this submenu */
		if (a == ASK_ABORT)
			return a;
		show = op[k]->run != eop_print;
	}
}

/* dlg_delete - DELETE with confirmation */
static enum ask_ret
dlg_delete(struct dlg *d, const struct policy_table *t)
{
	char *q;
	enum ask_ret a;
	int idx, yes = 0;

	if (t->n == 1) {
		cli_printf(d->c, "There are no policies to delete; DEFAULT cannot be deleted.\n");
		return ASK_BACK;
	}
	a = pick_policy(d->c, t, t->n - 1,
	    "Enter the name or number of the policy you wish to delete.", &idx);
	if (a != ASK_OK)
		return a;
	q = str_printf("Are you sure you want to delete the policy %s?", t->p[idx].name);
	a = cli_ask_yesno(d->c, q, 0, &yes);
	free(q);
	if (a == ASK_OK && yes)
		note(d, policyconfig_delete(d->c, d->dir, t->p[idx].name));
	return a;
}

/* dlg_print - PRINT one policy */
static enum ask_ret
dlg_print(struct dlg *d, const struct policy_table *t)
{
	enum ask_ret a;
	int idx;

	a = pick_policy(d->c, t, t->n, "Enter the name or number of the policy you wish to print.",
	    &idx);
	if (a == ASK_OK)
		policyconfig_print_details(d->c, t, idx);
	return a;
}

/* dlg_search - SEARCH by address */
static enum ask_ret
dlg_search(struct dlg *d)
{
	char addr[ADDRESS_MAX + 1];
	enum ask_ret a;

	for (;;) {
		a = cli_ask_required(d->c, "Enter the email address to search for:", addr,
		    sizeof(addr));
		if (a != ASK_OK)
			return a;
		if (policyconfig_check_address(d->c, addr) == 0)
			break;
	}
	note(d, policyconfig_search(d->c, d->dir, addr, NULL));
	return ASK_OK;
}

/* dlg_move - MOVE: pick a policy and its new position */
static enum ask_ret
dlg_move(struct dlg *d, const struct policy_table *t)
{
	char q[128], pos[32];
	enum ask_ret a;
	long v;
	int idx;

	if (t->n < 3) {
		cli_printf(d->c, "There is nothing to move: DEFAULT is always last and there is "
				 "at most one other policy.\n");
		return ASK_BACK;
	}
	a = pick_policy(d->c, t, t->n - 1,
	    "Enter the name or number of the policy you wish to move.", &idx);
	if (a != ASK_OK)
		return a;
	str_fmt(q, sizeof(q), "Enter the new position of the policy (1 to %d):", t->n - 1);
	a = cli_ask_number(d->c, q, idx + 1, 1, t->n - 1, &v);
	if (a != ASK_OK)
		return a;
	str_fmt(pos, sizeof(pos), "%ld", v);
	note(d, policyconfig_move(d->c, d->dir, t->p[idx].name, pos));
	return ASK_OK;
}

/* dlg_clear - CLEAR with confirmation */
static enum ask_ret
dlg_clear(struct dlg *d, const struct policy_table *t)
{
	char *q;
	enum ask_ret a;
	int yes = 0;

	if (t->n == 1) {
		cli_printf(d->c, "There are no policies to clear; DEFAULT always remains.\n");
		return ASK_BACK;
	}
	q = str_printf("Are you sure you want to remove all %s mail policies except DEFAULT?",
	    policy_dir_name(d->dir));
	a = cli_ask_yesno(d->c, q, 0, &yes);
	free(q);
	if (a == ASK_OK && yes)
		note(d, policyconfig_clear(d->c, d->dir));
	return a;
}

/* dialog - the summary table and top menu of one direction, until an empty answer */
static enum cmd_ret
dialog(struct cli *c, enum policy_dir dir)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new policy." },
		{ "EDIT", "Edit an existing policy." },
		{ "DELETE", "Remove a policy." },
		{ "PRINT", "Print a policy." },
		{ "SEARCH", "Search for a policy by member." },
		{ "MOVE", "Move the position of a policy." },
		{ "CLEAR", "Remove all policies except DEFAULT." },
	};
	struct dlg d = { c, dir, 0 };
	struct policy_table t;
	enum ask_ret a;
	int op;

	for (;;) {
		if (policyconfig_load(c, dir, &t) < 0)
			return CMD_ERROR;
		policyconfig_print_table(c, &t);
		a = cli_ask_menu(c, NULL, ops, 7, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dlg_new(&d, &t);
				break;
			case 1:
				a = dlg_edit(&d, &t);
				break;
			case 2:
				a = dlg_delete(&d, &t);
				break;
			case 3:
				a = dlg_print(&d, &t);
				break;
			case 4:
				a = dlg_search(&d);
				break;
			case 5:
				a = dlg_move(&d, &t);
				break;
			case 6:
				a = dlg_clear(&d, &t);
				break;
			}
			/* an empty answer inside an operation returns to this menu */
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		policy_table_free(&t);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return d.failed ? CMD_ERROR : CMD_OK;
	}
}

/* top_dialog - which table, then its dialogue */
static enum cmd_ret
top_dialog(struct cli *c)
{
	static const char *const dirs[] = { "Incoming", "Outgoing" };
	int k;

	switch (cli_ask_list(c, "Would you like to configure Incoming Mail Policy or Outgoing "
				"Mail Policies?",
	    dirs, 2, 1, &k)) {
	case ASK_ABORT:
		return CMD_ABORTED;
	case ASK_BACK:
		return CMD_OK;
	case ASK_OK:
		break;
	}
	return dialog(c, k == 0 ? POLICY_INCOMING : POLICY_OUTGOING);
}

/* ---------------------------------------------------------- batch */

/*
 * dir_of - the direction of a batch operation: the sub-command one level
 * up is incoming or outgoing (policyconfig_subs), so one handler serves
 * both tables
 */
static enum policy_dir
dir_of(const struct cmd_call *call)
{
	const struct cmd_sub *s = call->parent ? call->parent->sub : call->sub;

	return strcmp(s->name, "incoming") == 0 ? POLICY_INCOMING : POLICY_OUTGOING;
}

/* The values of a batch "new" line. */
struct new_vals {
	const char *rcpts;	/* recipients= (into argv or the joined words), or NULL */
	const char *senders;	/* senders=, or NULL */
	const char *tdc;	/* tdc= (incoming), or NULL */
	const char *cfilters;	/* content_filters= (incoming), or NULL */
	char *joined[4];	/* the copies the four point to (malloc'd) */
};

/* new_set - cmd_keyset.set for new: policyconfig_new checks the values */
static int
new_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct new_vals *v = obj;
	int i = strcmp(k->name, "recipients") == 0 ? 0 : strcmp(k->name, "senders") == 0 ? 1 :
	    strcmp(k->name, "tdc") == 0 ? 2 : 3;

	(void)cause;
	free(v->joined[i]);
	v->joined[i] = str_dup(value);
	if (i == 0)
		v->rcpts = v->joined[i];
	else if (i == 1)
		v->senders = v->joined[i];
	else if (i == 2)
		v->tdc = v->joined[i];
	else
		v->cfilters = v->joined[i];
	return 0;
}

/* b_new - DIR new NAME key=value... */
static enum cmd_ret
b_new(struct cli *c, const struct cmd_call *call)
{
	struct new_vals v = { NULL, NULL, NULL, NULL, { NULL, NULL, NULL, NULL } };
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &v, NULL) == 0)
		r = policyconfig_new(c, dir_of(call), call->argv[0], v.rcpts, v.senders, v.tdc,
		    v.cfilters);
	for (int i = 0; i < 4; i++)
		free(v.joined[i]);
	return r;
}

/* The changes of a batch "edit" line, in the order typed. */
struct edit_vals {
	int n;			/* pairs */
	char *keys[32];		/* key names (the table's strings) */
	char *vals[32];		/* values (malloc'd) */
};

/* edit_set - cmd_keyset.set for edit: policyconfig_edit applies the pairs in order */
static int
edit_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct edit_vals *v = obj;

	if (v->n >= 32) {
		*cause = str_dup("Too many settings on one line.");
		return -1;
	}
	v->keys[v->n] = (char *)k->name;
	v->vals[v->n++] = str_dup(value);
	return 0;
}

/* b_edit - DIR edit NAME key=value... */
static enum cmd_ret
b_edit(struct cli *c, const struct cmd_call *call)
{
	struct edit_vals v = {};
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &v, NULL) == 0)
		r = policyconfig_edit(c, dir_of(call), call->argv[0], v.n, v.keys, v.vals);
	for (int i = 0; i < v.n; i++)
		free(v.vals[i]);
	return r;
}

/* search_set - cmd_keyset.set for search: the address on the other side */
static int
search_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	char **other = obj;

	(void)k;
	(void)cause;
	free(*other);
	*other = str_dup(value);
	return 0;
}

/* b_search - DIR search ADDRESS [sender=|recipient=ADDRESS] */
static enum cmd_ret
b_search(struct cli *c, const struct cmd_call *call)
{
	char *other = NULL;
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &other, NULL) == 0)
		r = policyconfig_search(c, dir_of(call), call->argv[0], other);
	free(other);
	return r;
}

/* b_delete - DIR delete NAME */
static enum cmd_ret
b_delete(struct cli *c, const struct cmd_call *call)
{
	return policyconfig_delete(c, dir_of(call), call->argv[0]);
}

/* b_move - DIR move NAME POSITION */
static enum cmd_ret
b_move(struct cli *c, const struct cmd_call *call)
{
	return policyconfig_move(c, dir_of(call), call->argv[0], call->argv[1]);
}

/* b_print - DIR print [NAME] */
static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	return policyconfig_print(c, dir_of(call), call->argc ? call->argv[0] : NULL);
}

/* b_clear - DIR clear */
static enum cmd_ret
b_clear(struct cli *c, const struct cmd_call *call)
{
	return policyconfig_clear(c, dir_of(call));
}

/* b_dialog - "policyconfig incoming" alone: that table's dialogue */
static enum cmd_ret
b_dialog(struct cli *c, const struct cmd_call *call)
{
	return dialog(c, dir_of(call));
}

/* ---------------------------------------------------------- keys and sub-commands */

#define MEMBER_FORMS_SHORT "user@example.com, user@, @example.com or @.example.com"

static const struct cmd_key in_new_keys[] = {
	{ .name = "recipients", .type = CMD_KEY_LIST,
	    .help = "the recipients, required: " MEMBER_FORMS_SHORT ", separated by commas" },
	{ .name = "senders", .type = CMD_KEY_LIST,
	    .help = "also require one of these senders (optional; same forms)" },
	{ .name = "tdc", .type = CMD_KEY_TEXT,
	    .help = "Threat Defense Connector: default (the default), custom:ADDRESS or no" },
	{ .name = "content_filters", .type = CMD_KEY_LIST,
	    .help = "the content filters, in the order they apply (optional)" },
	{ .name = NULL },
};

static const struct cmd_key out_new_keys[] = {
	{ .name = "senders", .type = CMD_KEY_LIST,
	    .help = "the senders, required: " MEMBER_FORMS_SHORT ", separated by commas" },
	{ .name = "recipients", .type = CMD_KEY_LIST,
	    .help = "also require one of these recipients (optional; same forms)" },
	{ .name = NULL },
};

/* edit keys for incoming policies; each has a row in edit_keys[] (policyconfig.c) */
static const struct cmd_key in_edit_keys[] = {
	{ .name = "name", .type = CMD_KEY_TEXT, .help = "rename the policy" },
	{ .name = "recipients", .type = CMD_KEY_LIST,
	    .help = "replace the recipients (at least one)" },
	{ .name = "senders", .type = CMD_KEY_LIST,
	    .help = "replace the senders (empty: any sender)" },
	{ .name = "tdc", .type = CMD_KEY_TEXT,
	    .help = "Threat Defense Connector: DEFAULT global|custom:ADDRESS|no, others "
		    "default|custom:ADDRESS|no" },
	{ .name = "tdc_polling", .type = CMD_KEY_YESNO,
	    .help = "DEFAULT only: Email Threat Defense API polling, yes or no" },
	{ .name = "content_filters", .type = CMD_KEY_LIST,
	    .help = "replace the content filters, in the order they apply (empty: none)" },
	{ .name = NULL },
};

/* edit keys for outgoing policies; each has a row in edit_keys[] (policyconfig.c) */
static const struct cmd_key out_edit_keys[] = {
	{ .name = "name", .type = CMD_KEY_TEXT, .help = "rename the policy" },
	{ .name = "senders", .type = CMD_KEY_LIST, .help = "replace the senders (at least one)" },
	{ .name = "recipients", .type = CMD_KEY_LIST,
	    .help = "replace the recipients (empty: any recipient)" },
	{ .name = NULL },
};

static const struct cmd_key in_search_keys[] = {
	{ .name = "sender", .type = CMD_KEY_TEXT,
	    .help = "the message's sender, for the first match" },
	{ .name = NULL },
};

static const struct cmd_key out_search_keys[] = {
	{ .name = "recipient", .type = CMD_KEY_TEXT,
	    .help = "the message's recipient, for the first match" },
	{ .name = NULL },
};

/* only incoming mail is journaled: say so rather than "Unknown key" */
static const char *const no_tdc_keys[] = { "tdc", "tdc_polling", NULL };

static const struct cmd_keyset in_new_set = { .keys = in_new_keys, .set = new_set,
	.flags = CMD_KEYS_JOIN_COMMA };
static const struct cmd_keyset out_new_set = { .keys = out_new_keys, .set = new_set,
	.refused = no_tdc_keys, .refused_why = POLICYCONFIG_NO_OUTGOING_TDC,
	.flags = CMD_KEYS_JOIN_COMMA };
static const struct cmd_keyset in_edit_set = { .keys = in_edit_keys, .set = edit_set,
	.flags = CMD_KEYS_JOIN_COMMA };
static const struct cmd_keyset out_edit_set = { .keys = out_edit_keys, .set = edit_set,
	.refused = no_tdc_keys, .refused_why = POLICYCONFIG_NO_OUTGOING_TDC,
	.flags = CMD_KEYS_JOIN_COMMA };
static const struct cmd_keyset in_search_set = { .keys = in_search_keys, .set = search_set };
static const struct cmd_keyset out_search_set = { .keys = out_search_keys, .set = search_set };

static const struct cmd_word new_name[] = {
	{ "<NAME>", "the new policy's name: letters, digits, '_', '-', '.'", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word edit_name[] = {
	{ "<NAME>", "the policy to change (DEFAULT included)", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word in_search_addr[] = {
	{ "<ADDRESS>", "a recipient address, e.g. user@example.com", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word out_search_addr[] = {
	{ "<ADDRESS>", "a sender address, e.g. user@example.com", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word name_word[] = {
	{ "<NAME>", "a policy's name", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word position_word[] = {
	{ "<POSITION>", "1 is first; DEFAULT always stays last", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word move_name[] = {
	{ "<NAME>", "the policy to move", position_word },
	{ NULL, NULL, NULL },
};

/*
 * The operations of one direction. Each row's usage is that operation's
 * alone (the whole list would bury it); delete, print, move and clear
 * differ between the directions only in the word of their usage.
 */
#define USAGE(dir, op) "policyconfig " dir " " op
#define SUBS_DELETE_PRINT(dir) \
	{ .name = "delete", .help = "Remove a policy.", .args = name_word, .min_args = 1, \
	    .max_args = 1, .usage = USAGE(dir, "delete NAME"), .exec = b_delete }, \
	{ .name = "print", .help = "Print all policies, or one.", .args = name_word, \
	    .max_args = 1, .usage = USAGE(dir, "print [NAME]"), .exec = b_print }
#define SUBS_MOVE_CLEAR(dir) \
	{ .name = "move", .help = "Move a policy to another position.", .args = move_name, \
	    .min_args = 2, .max_args = 2, .usage = USAGE(dir, "move NAME POSITION"), \
	    .exec = b_move }, \
	{ .name = "clear", .help = "Remove all policies except DEFAULT.", \
	    .usage = USAGE(dir, "clear"), .exec = b_clear }

/* The operations on incoming policies (chosen by recipient). */
static const struct cmd_sub in_subs[] = {
	{ .name = "new", .help = "Create a new policy.", .args = new_name, .min_args = 1,
	    .keys = &in_new_set, .flags = CMD_SUB_KV_OPTIONAL,
	    .usage = USAGE("incoming", "new NAME recipients=MEMBER[,MEMBER...] "
				       "[senders=MEMBER,...] [tdc=default|custom:ADDRESS|no] "
				       "[content_filters=NAME,...]"),
	    .exec = b_new },
	{ .name = "edit",
	    .help = "Change a policy: name=, recipients=, senders=, tdc=, tdc_polling=, "
		    "content_filters=.",
	    .args = edit_name, .min_args = 1, .keys = &in_edit_set,
	    .usage = USAGE("incoming", "edit NAME key=value... (keys: name=, recipients=, "
				       "senders=, tdc=, tdc_polling= or content_filters=)"),
	    .exec = b_edit },
	SUBS_DELETE_PRINT("incoming"),
	{ .name = "search", .help = "Find the policies matching an address.",
	    .args = in_search_addr, .min_args = 1, .keys = &in_search_set,
	    .flags = CMD_SUB_KV_OPTIONAL,
	    .usage = USAGE("incoming", "search ADDRESS [sender=ADDRESS]"), .exec = b_search },
	SUBS_MOVE_CLEAR("incoming"),
	{ .exec = NULL },
};

/* The operations on outgoing policies (chosen by sender): the same handlers. */
static const struct cmd_sub out_subs[] = {
	{ .name = "new", .help = "Create a new policy.", .args = new_name, .min_args = 1,
	    .keys = &out_new_set, .flags = CMD_SUB_KV_OPTIONAL,
	    .usage = USAGE("outgoing", "new NAME senders=MEMBER[,MEMBER...] "
				       "[recipients=MEMBER,...]"),
	    .exec = b_new },
	{ .name = "edit", .help = "Change a policy: name=, senders=, recipients=.",
	    .args = edit_name, .min_args = 1, .keys = &out_edit_set,
	    .usage = USAGE("outgoing", "edit NAME key=value... (keys: name=, senders= or "
				       "recipients=)"),
	    .exec = b_edit },
	SUBS_DELETE_PRINT("outgoing"),
	{ .name = "search", .help = "Find the policies matching an address.",
	    .args = out_search_addr, .min_args = 1, .keys = &out_search_set,
	    .flags = CMD_SUB_KV_OPTIONAL,
	    .usage = USAGE("outgoing", "search ADDRESS [recipient=ADDRESS]"), .exec = b_search },
	SUBS_MOVE_CLEAR("outgoing"),
	{ .exec = NULL },
};

/* incoming|outgoing: a further level, or that table's dialogue alone */
static const struct cmd_sub policyconfig_subs[] = {
	{ .name = "incoming", .help = "Incoming mail policies (chosen by recipient).",
	    .subs = in_subs, .exec = b_dialog },
	{ .name = "outgoing", .help = "Outgoing mail policies (chosen by sender).",
	    .subs = out_subs, .exec = b_dialog },
	{ .exec = NULL },
};

/* policyconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
policyconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return top_dialog(c);
	return cmd_keys_run(c, &cmd_policyconfig_entry, argc, argv);
}

const struct cmd_entry cmd_policyconfig_entry = {
	.name = "policyconfig",
	.usage = "policyconfig [incoming|outgoing]\n"
		 "policyconfig incoming new NAME recipients=MEMBER[,MEMBER...] "
		 "[senders=MEMBER,...] [tdc=default|custom:ADDRESS|no] "
		 "[content_filters=NAME,...]\n"
		 "policyconfig outgoing new NAME senders=MEMBER[,MEMBER...] "
		 "[recipients=MEMBER,...]\n"
		 "policyconfig incoming|outgoing edit NAME key=value... "
		 "(name=, recipients=, senders=)\n"
		 "policyconfig incoming edit NAME tdc=global|default|no|custom:ADDRESS "
		 "[tdc_polling=yes|no]\n"
		 "policyconfig incoming edit NAME content_filters=[NAME,...]\n"
		 "policyconfig incoming|outgoing delete NAME\n"
		 "policyconfig incoming|outgoing move NAME POSITION\n"
		 "policyconfig incoming|outgoing print [NAME]\n"
		 "policyconfig incoming search ADDRESS [sender=ADDRESS]\n"
		 "policyconfig outgoing search ADDRESS [recipient=ADDRESS]\n"
		 "policyconfig incoming|outgoing clear",
	.help = "Configure the incoming and outgoing mail policies.",
	.flags = CMD_F_CONFIG,
	.subs = policyconfig_subs,
	.exec = policyconfig_exec,
};

