/*
 * policyconfig.c - the operations behind `policyconfig`, shared by its
 * batch forms and its dialogue (both in cmd_policyconfig.c).
 *
 * Each operation loads the table as this session sees it, checks
 * everything, changes its copy and stages it with policy_save() at the
 * very end, so a refused operation stages nothing. Printing (the summary
 * table, one policy in full, search results) lives here too, so both
 * front ends show the same thing.
 *
 * Incoming policies are chosen by recipient, outgoing ones by sender (the
 * "primary" side, which a policy cannot be without); the other side is an
 * optional extra condition.
 *
 * Per-policy settings plug in here with a row in edit_keys[] (what a
 * batch key does), a row in columns[] (the summary table) and a line in
 * policyconfig_print_details(); cmd_policyconfig.c adds the key word and
 * the EDIT submenu entry. The one so far is the Threat Defense
 * Connector of incoming policies: tdc= (checked by tdcconfig.c, stored
 * in the policy's "tdc") and, on DEFAULT only, tdc_polling=, which stages
 * the global setting tdc.polling in the same candidate group as the
 * policy, so the line is staged all or nothing. Incoming policies (DEFAULT
 * too) also name their content filters, in the order they apply:
 * content_filters= takes names of existing content filters
 * (mail/filterconf.h), stored in the configured spelling.
 *
 * DIAGNOSTICS: one error line per refusal, in AsyncOS wording where it
 * is known ("There is already a policy with the new name", "... is
 * already a member of this policy", "There is only one member in the
 * policy"); the operation then returns CMD_ERROR.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/policyconfig.h"
#include "commands/tdcconfig.h"
#include "mail/filterconf.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

/* Longest member or address text accepted (see mail/policy.c). */
#define MEMBER_MAX 320

/* policyconfig_primary - the side a direction's policies are chosen by */
enum policyconfig_side
policyconfig_primary(enum policy_dir dir)
{
	return dir == POLICY_INCOMING ? POLICYCONFIG_RCPT : POLICYCONFIG_SENDER;
}

/* policyconfig_side_key - "recipients" / "senders" (the batch key without '=') */
const char *
policyconfig_side_key(enum policyconfig_side s)
{
	return s == POLICYCONFIG_RCPT ? "recipients" : "senders";
}

/* policyconfig_side_one - "recipient" / "sender" */
const char *
policyconfig_side_one(enum policyconfig_side s)
{
	return s == POLICYCONFIG_RCPT ? "recipient" : "sender";
}

/* policyconfig_members - a policy's member list on one side */
char *const *
policyconfig_members(const struct policy *p, enum policyconfig_side s, int *n)
{
	*n = s == POLICYCONFIG_RCPT ? p->nrcpts : p->nsenders;
	return s == POLICYCONFIG_RCPT ? p->rcpts : p->senders;
}

/* A list of normalised members being built. */
struct mlist {
	int n;		/* members */
	char **v;	/* malloc'd strings */
};

/* mlist_free - release a member list */
static void
mlist_free(struct mlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* mlist_has - is m (normalised) in the list? */
static int
mlist_has(char *const *v, int n, const char *m)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i], m) == 0)
			return 1;
	return 0;
}

/*
 * parse_members - "m1, m2,..." into normalised members; blank text gives
 * an empty list. Error printed.
 */
static int
parse_members(struct cli *c, const char *text, struct mlist *l)
{
	char **v, m[MEMBER_MAX + 1], *cause = NULL;
	int n;

	memset(l, 0, sizeof(*l));
	v = str_split(text, ',', &n);
	if (n == 1 && *str_trim(v[0]) == '\0')
		n = 0;
	for (int i = 0; i < n; i++) {
		if (*str_trim(v[i]) == '\0') {
			cli_error(c, "Empty entry in the member list: separate members with single "
				     "commas.");
			goto fail;
		}
		if (policy_member_parse(v[i], m, sizeof(m), &cause) < 0) {
			cli_error(c, "%s", cause);
			free(cause);
			goto fail;
		}
		if (mlist_has(l->v, l->n, m)) {
			cli_error(c, "%s is already a member of this policy.", m);
			goto fail;
		}
		if (l->n >= POLICY_MAX_MEMBERS) {
			cli_error(c, "A policy can have at most %d members.", POLICY_MAX_MEMBERS);
			goto fail;
		}
		l->v = xrealloc(l->v, sizeof(char *) * (size_t)(l->n + 1));
		l->v[l->n++] = str_dup(m);
	}
	str_split_free(v);
	return 0;
fail:
	str_split_free(v);
	mlist_free(l);
	return -1;
}

/* policyconfig_check_members - is text a valid member list? error printed */
int
policyconfig_check_members(struct cli *c, const char *text)
{
	struct mlist l;

	if (parse_members(c, text, &l) < 0)
		return -1;
	mlist_free(&l);
	return 0;
}

/* set_side - replace one side of p with l (l is emptied) */
static void
set_side(struct policy *p, enum policyconfig_side s, struct mlist *l)
{
	char ***v = s == POLICYCONFIG_RCPT ? &p->rcpts : &p->senders;
	int *n = s == POLICYCONFIG_RCPT ? &p->nrcpts : &p->nsenders;

	for (int i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = l->v;
	*n = l->n;
	l->v = NULL;
	l->n = 0;
}

/* check_count - members on both sides within the limit; error printed */
static int
check_count(struct cli *c, int n)
{
	if (n > POLICY_MAX_MEMBERS) {
		cli_error(c, "A policy can have at most %d members.", POLICY_MAX_MEMBERS);
		return -1;
	}
	return 0;
}

/* need_primary - refuse an empty primary side; error printed */
static int
need_primary(struct cli *c, enum policy_dir dir, int n)
{
	enum policyconfig_side ps = policyconfig_primary(dir);

	if (n > 0)
		return 0;
	cli_error(c, "An %s policy needs at least one %s: give %s=MEMBER[,MEMBER...].",
	    policy_dir_name(dir), policyconfig_side_one(ps), policyconfig_side_key(ps));
	return -1;
}

/* policyconfig_check_address - a full address to search for; error printed */
int
policyconfig_check_address(struct cli *c, const char *addr)
{
	const char *at = strrchr(addr, '@');
	char dom[MEMBER_MAX + 1];

	if (at && at != addr && strlen(addr) <= MEMBER_MAX &&
	    str_copy(dom, at + 1, sizeof(dom)) == 0 && syntax_hostname(dom))
		return 0;
	cli_error(c, "Invalid address '%.100s': enter a full address such as user@example.com.",
	    addr);
	return -1;
}

/* ---------------------------------------------------------- the table */

/* policyconfig_load - the table as this session sees it; error printed */
int
policyconfig_load(struct cli *c, enum policy_dir dir, struct policy_table *t)
{
	char *cause = NULL;

	if (policy_load(c->st, dir, t, &cause) < 0) {
		cli_error(c, "Cannot read the %s mail policies: %s", policy_dir_name(dir), cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* save - stage the changed table, then free it; CMD_OK or CMD_ERROR */
static enum cmd_ret
save(struct cli *c, struct policy_table *t)
{
	char *cause = NULL;
	enum cmd_ret r = CMD_OK;

	if (policy_save(c->st, t, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		r = CMD_ERROR;
	}
	policy_table_free(t);
	return r;
}

/* fail - free the table, report failure */
static enum cmd_ret
fail(struct policy_table *t)
{
	policy_table_free(t);
	return CMD_ERROR;
}

/* find_named - index of a policy; error printed when there is none */
static int
find_named(struct cli *c, const struct policy_table *t, const char *name)
{
	int i = policy_find(t, name);

	if (i < 0)
		cli_error(c, "There is no %s mail policy named '%.64s'.", policy_dir_name(t->dir),
		    name);
	return i;
}

/* is_default - the last row */
static int
is_default(const struct policy_table *t, int i)
{
	return i == t->n - 1;
}

/* remove_at - drop policy i from the table (members and content filter names freed) */
static void
remove_at(struct policy_table *t, int i)
{
	policy_clear(&t->p[i]);
	memmove(t->p + i, t->p + i + 1, sizeof(*t->p) * (size_t)(t->n - i - 1));
	t->n--;
}

/* ---------------------------------------------------------- printing */

/* side_summary - one side of a row: "Any", or the first member and how many more */
static void
side_summary(const struct policy_table *t, int i, enum policyconfig_side s, char *out, size_t size)
{
	int n;
	char *const *v = policyconfig_members(&t->p[i], s, &n);

	if (is_default(t, i))
		str_copy(out, s == policyconfig_primary(t->dir) ? "All others" : "Any", size);
	else if (n == 0)
		str_copy(out, "Any", size);
	else if (n == 1)
		str_copy(out, v[0], size);
	else
		str_fmt(out, size, "%s and %d more", v[0], n - 1);
}

/* col_name - summary column: the policy's name */
static void
col_name(const struct policy_table *t, int i, char *out, size_t size)
{
	str_copy(out, t->p[i].name, size);
}

/* col_primary - summary column: the side the table is chosen by */
static void
col_primary(const struct policy_table *t, int i, char *out, size_t size)
{
	side_summary(t, i, policyconfig_primary(t->dir), out, size);
}

/* col_other - summary column: the optional other side */
static void
col_other(const struct policy_table *t, int i, char *out, size_t size)
{
	side_summary(t, i, !policyconfig_primary(t->dir), out, size);
}

/*
 * tdc_kind - what an incoming policy's stored tdc value means: 'g' the
 * global settings (DEFAULT only), 'd' DEFAULT's setting (the others
 * only), 'c' a custom address (any policy, DEFAULT included), 'n' no.
 * The default of each ("" for both) is no on DEFAULT, DEFAULT's setting on
 * the others; values are compared without regard to case, as
 * policy_tdc_address does.
 */
static int
tdc_kind(const struct policy_table *t, int i)
{
	const char *v = t->p[i].tdc;

	if (strncasecmp(v, "custom:", 7) == 0)
		return 'c';
	if (is_default(t, i))
		return strcasecmp(v, "global") == 0 ? 'g' : 'n';
	return strcasecmp(v, "no") == 0 ? 'n' : 'd';
}

/* col_tdc - summary column (incoming): the Threat Defense Connector setting */
static void
col_tdc(const struct policy_table *t, int i, char *out, size_t size)
{
	switch (tdc_kind(t, i)) {
	case 'g':
		str_copy(out, "Global", size);
		break;
	case 'd':
		str_copy(out, "Default", size);
		break;
	case 'c':
		str_fmt(out, size, "Custom (%s)", t->p[i].tdc + 7);
		break;
	default:
		str_copy(out, "No", size);
		break;
	}
}

/* The summary table's columns; a NULL heading leaves the column out for that direction. */
static const struct column {
	const char *heading[2];	/* [POLICY_INCOMING], [POLICY_OUTGOING] */
	void (*text)(const struct policy_table *t, int i, char *out, size_t size);
} columns[] = {
	{ { "Name:", "Name:" }, col_name },
	{ { "Recipients:", "Senders:" }, col_primary },
	{ { "Senders:", "Recipients:" }, col_other },
	{ { "Threat Defense:", NULL }, col_tdc },
};
#define NCOLUMNS (int)(sizeof(columns) / sizeof(columns[0]))

/* policyconfig_print_table - the heading, then a row per policy, DEFAULT last */
void
policyconfig_print_table(struct cli *c, const struct policy_table *t)
{
	size_t w[NCOLUMNS];
	char cell[512];
	int last = -1;

	for (int k = 0; k < NCOLUMNS; k++) {
		w[k] = columns[k].heading[t->dir] ? strlen(columns[k].heading[t->dir]) : 0;
		if (columns[k].heading[t->dir])
			last = k;
		for (int i = 0; i < t->n && w[k]; i++) {
			columns[k].text(t, i, cell, sizeof(cell));
			if (strlen(cell) > w[k])
				w[k] = strlen(cell);
		}
	}
	cli_printf(c, "\n%s Mail Policy Configuration\n\n",
	    t->dir == POLICY_INCOMING ? "Incoming" : "Outgoing");
	for (int row = -2; row < t->n && !c->stopped; row++) {
		for (int k = 0; k < NCOLUMNS; k++) {
			const char *h = columns[k].heading[t->dir];
			char dashes[sizeof(cell)];

			if (h == NULL)
				continue;
			if (row == -2) {
				str_copy(cell, h, sizeof(cell));
			} else if (row == -1) {
				memset(dashes, '-', w[k]);
				dashes[w[k] < sizeof(dashes) ? w[k] : sizeof(dashes) - 1] = '\0';
				str_copy(cell, dashes, sizeof(cell));
			} else {
				columns[k].text(t, row, cell, sizeof(cell));
			}
			if (k == last)
				cli_printf(c, "%s\n", cell);
			else
				cli_printf(c, "%-*s  ", (int)w[k], cell);
		}
	}
}

/* print_side - a heading and one member per line */
static void
print_side(struct cli *c, const struct policy_table *t, int i, enum policyconfig_side s)
{
	int n;
	char *const *v = policyconfig_members(&t->p[i], s, &n);

	cli_printf(c, "%s:\n", s == POLICYCONFIG_RCPT ? "Recipients" : "Senders");
	if (is_default(t, i) && s == policyconfig_primary(t->dir))
		cli_printf(c, "    All %ss that no other policy matches\n",
		    policyconfig_side_one(s));
	else if (n == 0)
		cli_printf(c, "    Any %s\n", policyconfig_side_one(s));
	for (int k = 0; k < n && !c->stopped; k++)
		cli_printf(c, "    %s\n", v[k]);
}

/* print_tdc - an incoming policy's TDC setting and where its journal copies go */
static void
print_tdc(struct cli *c, const struct policy_table *t, int i)
{
	char *enabled = settings_get(c->st, "tdc.enabled");
	char *global = settings_get(c->st, "tdc.intake_address");
	char *polling = settings_get(c->st, "tdc.polling");
	char addr[320];
	const char *what;

	switch (tdc_kind(t, i)) {
	case 'g':
		what = "Use the global settings";
		break;
	case 'd':
		what = "Use the DEFAULT policy's setting";
		break;
	case 'c':
		what = "Use a custom message intake address";
		break;
	default:
		what = "No";
		break;
	}
	cli_printf(c, "Threat Defense Connector: %s\n", what);
	if (policy_tdc_address(t, i, strcmp(enabled, "yes") == 0, global, addr, sizeof(addr)))
		cli_printf(c, "    Journal copies to: %s\n", addr);
	else if (tdc_kind(t, i) != 'n' && strcmp(enabled, "yes") != 0)
		cli_printf(c, "    No journal copies: the Threat Defense Connector is disabled\n");
	else if (tdc_kind(t, i) != 'n' && global[0] == '\0')
		cli_printf(c, "    No journal copies: no global message intake address is set\n");
	else if (tdc_kind(t, i) == 'd')
		cli_printf(c, "    No journal copies: DEFAULT's setting is No\n");
	if (is_default(t, i))
		cli_printf(c, "Email Threat Defense API polling: %s\n",
		    strcmp(polling, "yes") == 0 ? "Enabled" : "Disabled");
	free(enabled);
	free(global);
	free(polling);
}

/* print_cfilters - an incoming policy's content filters, in order, or Disabled */
static void
print_cfilters(struct cli *c, const struct policy *p)
{
	struct buf b;

	if (p->ncfilters == 0) {
		cli_printf(c, "Content Filters: Disabled\n");
		return;
	}
	buf_init(&b, 0);
	for (int k = 0; k < p->ncfilters; k++)
		buf_printf(&b, "%s%s", k ? ", " : "", p->cfilters[k]);
	cli_printf(c, "Content Filters: %s\n", b.data);
	buf_free(&b);
}

/* policyconfig_print_details - one policy, as PRINT shows it */
void
policyconfig_print_details(struct cli *c, const struct policy_table *t, int i)
{
	if (is_default(t, i))
		cli_printf(c, "\nPolicy: %s (%s, always last)\n", t->p[i].name,
		    policy_dir_name(t->dir));
	else
		cli_printf(c, "\nPolicy: %s (%s, position %d of %d)\n", t->p[i].name,
		    policy_dir_name(t->dir), i + 1, t->n - 1);
	print_side(c, t, i, policyconfig_primary(t->dir));
	print_side(c, t, i, !policyconfig_primary(t->dir));
	if (t->dir == POLICY_INCOMING) {
		print_tdc(c, t, i);
		print_cfilters(c, &t->p[i]);
	}
}

/* ---------------------------------------------------------- content filters */

/*
 * parse_cfilters - "a, b" into the names of existing content filters, in
 * the configured spelling and the order given; blank text gives none.
 * Error printed.
 */
static int
parse_cfilters(struct cli *c, const char *text, struct mlist *l)
{
	struct filter_set s;
	char **v, *cause = NULL;
	int n, rc = -1;

	memset(l, 0, sizeof(*l));
	if (filterconf_load(c->st, CFILTER_SECTION, &s, &cause) < 0) {
		cli_error(c, "Cannot read the content filters: %s", cause);
		free(cause);
		return -1;
	}
	v = str_split(text, ',', &n);
	if (n == 1 && *str_trim(v[0]) == '\0')
		n = 0;
	for (int i = 0; i < n; i++) {
		const char *name = str_trim(v[i]);
		const struct filter_entry *e = filterconf_find(&s, name);

		if (*name == '\0') {
			cli_error(c, "Empty entry in the content filter list: separate names with "
				     "single commas.");
			goto out;
		}
		if (e == NULL) {
			cli_error(c, "There is no content filter named '%.64s': create it with "
				     "'contentfilters new' first.",
			    name);
			goto out;
		}
		for (int k = 0; k < l->n; k++) {
			if (strcmp(l->v[k], e->name) == 0) {
				cli_error(c, "The content filter %s is listed twice.", e->name);
				goto out;
			}
		}
		if (l->n >= POLICY_MAX_CFILTERS) {
			cli_error(c, "A policy can name at most %d content filters.",
			    POLICY_MAX_CFILTERS);
			goto out;
		}
		l->v = xrealloc(l->v, sizeof(char *) * (size_t)(l->n + 1));
		l->v[l->n++] = str_dup(e->name);
	}
	rc = 0;
out:
	if (rc < 0)
		mlist_free(l);
	str_split_free(v);
	filterconf_free(&s);
	return rc;
}

/* set_cfilters - replace a policy's content filters with l (l is emptied) */
static void
set_cfilters(struct policy *p, struct mlist *l)
{
	for (int i = 0; i < p->ncfilters; i++)
		free(p->cfilters[i]);
	free(p->cfilters);
	p->cfilters = l->v;
	p->ncfilters = l->n;
	l->v = NULL;
	l->n = 0;
}

/* ---------------------------------------------------------- operations */

/* policyconfig_new - a new policy, just above DEFAULT */
enum cmd_ret
policyconfig_new(struct cli *c, enum policy_dir dir, const char *name, const char *rcpts,
    const char *senders, const char *tdc, const char *cfilters)
{
	struct policy_table t;
	struct policy np;
	struct mlist r, s, cf = { 0, NULL };
	char *cause = NULL, tdcv[sizeof(np.tdc)] = "";

	if (policy_name_valid(name, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (tdc && dir != POLICY_INCOMING) {
		cli_error(c, "%s", POLICYCONFIG_NO_OUTGOING_TDC);
		return CMD_ERROR;
	}
	if (cfilters && dir != POLICY_INCOMING) {
		cli_error(c, "%s", POLICYCONFIG_NO_OUTGOING_CFILTERS);
		return CMD_ERROR;
	}
	if (tdc && tdcconfig_policy_value(c, 0, tdc, tdcv, sizeof(tdcv)) < 0)
		return CMD_ERROR;
	if (parse_members(c, rcpts ? rcpts : "", &r) < 0)
		return CMD_ERROR;
	if (parse_members(c, senders ? senders : "", &s) < 0) {
		mlist_free(&r);
		return CMD_ERROR;
	}
	if (need_primary(c, dir, dir == POLICY_INCOMING ? r.n : s.n) < 0 ||
	    check_count(c, r.n + s.n) < 0 ||
	    (cfilters && parse_cfilters(c, cfilters, &cf) < 0) ||
	    policyconfig_load(c, dir, &t) < 0) {
		mlist_free(&r);
		mlist_free(&s);
		mlist_free(&cf);
		return CMD_ERROR;
	}
	if (policy_find(&t, name) >= 0) {
		cli_error(c, "There is already a policy with the new name %s.", name);
	} else if (t.n >= POLICY_MAX) {
		cli_error(c, "There can be at most %d %s mail policies, DEFAULT included.",
		    POLICY_MAX, policy_dir_name(dir));
	} else {
		memset(&np, 0, sizeof(np));
		str_copy(np.name, name, sizeof(np.name));
		str_copy(np.tdc, tdcv, sizeof(np.tdc));
		set_side(&np, POLICYCONFIG_RCPT, &r);
		set_side(&np, POLICYCONFIG_SENDER, &s);
		set_cfilters(&np, &cf);
		t.p = xrealloc(t.p, sizeof(*t.p) * (size_t)(t.n + 1));
		t.p[t.n] = t.p[t.n - 1];
		t.p[t.n - 1] = np;
		t.n++;
		return save(c, &t);
	}
	mlist_free(&r);
	mlist_free(&s);
	mlist_free(&cf);
	return fail(&t);
}

/* What an edit changes besides the table (the global API polling setting). */
struct edit_ctx {
	int polling;		/* tdc_polling=: -1 not given, 0 no, 1 yes */
};

/* edit_name - name=: rename */
static int
edit_name(struct cli *c, struct policy_table *t, int i, const char *value, struct edit_ctx *x)
{
	char *cause = NULL;
	int j;

	(void)x;
	if (policy_name_valid(value, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return -1;
	}
	j = policy_find(t, value);
	if (j >= 0 && j != i) {
		cli_error(c, "There is already a policy with the new name %s.", value);
		return -1;
	}
	str_copy(t->p[i].name, value, sizeof(t->p[i].name));
	return 0;
}

/* edit_side - replace one side's members */
static int
edit_side(struct cli *c, struct policy_table *t, int i, enum policyconfig_side s, const char *value)
{
	struct mlist l;
	int other;

	if (parse_members(c, value, &l) < 0)
		return -1;
	policyconfig_members(&t->p[i], !s, &other);
	if ((s == policyconfig_primary(t->dir) && need_primary(c, t->dir, l.n) < 0) ||
	    check_count(c, l.n + other) < 0) {
		mlist_free(&l);
		return -1;
	}
	set_side(&t->p[i], s, &l);
	return 0;
}

/* edit_recipients - recipients=: replace the recipient members */
static int
edit_recipients(struct cli *c, struct policy_table *t, int i, const char *value,
    struct edit_ctx *x)
{
	(void)x;
	return edit_side(c, t, i, POLICYCONFIG_RCPT, value);
}

/* edit_senders - senders=: replace the sender members */
static int
edit_senders(struct cli *c, struct policy_table *t, int i, const char *value, struct edit_ctx *x)
{
	(void)x;
	return edit_side(c, t, i, POLICYCONFIG_SENDER, value);
}

/* edit_tdc - tdc=: the policy's Threat Defense Connector setting (incoming only) */
static int
edit_tdc(struct cli *c, struct policy_table *t, int i, const char *value, struct edit_ctx *x)
{
	char v[sizeof(t->p[i].tdc)];

	(void)x;
	if (t->dir != POLICY_INCOMING) {
		cli_error(c, "%s", POLICYCONFIG_NO_OUTGOING_TDC);
		return -1;
	}
	if (tdcconfig_policy_value(c, is_default(t, i), value, v, sizeof(v)) < 0)
		return -1;
	str_copy(t->p[i].tdc, v, sizeof(t->p[i].tdc));
	return 0;
}

/*
 * edit_tdc_polling - tdc_polling= (DEFAULT only): Email Threat Defense API
 * polling, which is one global setting (tdc.polling): AsyncOS sets it
 * globally or on the DEFAULT policy, never on another policy
 */
static int
edit_tdc_polling(struct cli *c, struct policy_table *t, int i, const char *value,
    struct edit_ctx *x)
{
	char v[8], *api;
	int on;

	if (t->dir != POLICY_INCOMING) {
		cli_error(c, "%s", POLICYCONFIG_NO_OUTGOING_TDC);
		return -1;
	}
	if (str_copy(v, value, sizeof(v)) < 0 || (strcasecmp(v, "yes") != 0 &&
	    strcasecmp(v, "no") != 0)) {
		cli_error(c, "Invalid tdc_polling '%.100s': the value must be yes or no.", value);
		return -1;
	}
	on = strcasecmp(v, "yes") == 0;
	api = settings_get(c->st, "tdc.api");
	if (on && strcmp(api, "yes") != 0) {
		cli_error(c, "Email Threat Defense API polling needs the Email Threat Defense API: "
			     "set it up first with 'tdcconfig setup api=yes ...'.");
		free(api);
		return -1;
	}
	free(api);
	x->polling = on;
	return 0;
}

/* edit_cfilters - content_filters=: the content filters, in order (incoming only; empty: none) */
static int
edit_cfilters(struct cli *c, struct policy_table *t, int i, const char *value, struct edit_ctx *x)
{
	struct mlist l;

	(void)x;
	if (t->dir != POLICY_INCOMING) {
		cli_error(c, "%s", POLICYCONFIG_NO_OUTGOING_CFILTERS);
		return -1;
	}
	if (parse_cfilters(c, value, &l) < 0)
		return -1;
	set_cfilters(&t->p[i], &l);
	return 0;
}

static const char NO_DEFAULT_MEMBERS[] =
    "The DEFAULT policy has no members: it applies to all mail that no other policy matches.";

/*
 * The keys of `policyconfig DIR edit NAME key=value...`. Which keys a
 * direction accepts is its key table in cmd_policyconfig.c (in_edit_keys,
 * out_edit_keys: parsing, TAB completion, `?`, the man page check); this
 * table says what each key does.
 */
static const struct edit_key {
	const char *key;		/* without '=' */
	const char *on_default;		/* refusal on DEFAULT; NULL: allowed there */
	const char *off_default;	/* refusal on the others; NULL: allowed there */
	int (*apply)(struct cli *c, struct policy_table *t, int i, const char *value,
	    struct edit_ctx *x);
} edit_keys[] = {
	{ "name", "The DEFAULT policy cannot be renamed.", NULL, edit_name },
	{ "recipients", NO_DEFAULT_MEMBERS, NULL, edit_recipients },
	{ "senders", NO_DEFAULT_MEMBERS, NULL, edit_senders },
	{ "tdc", NULL, NULL, edit_tdc },
	{ "tdc_polling", NULL,
	    "API polling is set only globally or on the DEFAULT policy: use 'policyconfig "
	    "incoming edit DEFAULT tdc_polling=yes' or 'tdcconfig setup polling=yes'.",
	    edit_tdc_polling },
	{ "content_filters", NULL, NULL, edit_cfilters },
	{ NULL, NULL, NULL, NULL },
};

/* save_edit - stage the table and the polling setting together; frees the table */
static enum cmd_ret
save_edit(struct cli *c, struct policy_table *t, const struct edit_ctx *x)
{
	struct tdcrules_vals *v;
	char *cause = NULL;
	int ok;

	if (x->polling < 0)
		return save(c, t);
	if (config_begin(c->st, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return fail(t);
	}
	ok = save(c, t) == CMD_OK;
	if (ok) {
		v = xmalloc(sizeof(*v));
		ok = tdcconfig_load(c, v) == 0;
		if (ok) {
			str_copy(v->v[TDCRULES_POLLING], x->polling ? "yes" : "no",
			    sizeof(v->v[TDCRULES_POLLING]));
			ok = tdcconfig_stage(c, v) == 0;
		}
		free(v);
	}
	if (config_end(c->st, ok, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return ok ? CMD_OK : CMD_ERROR;
}

/* policyconfig_edit - apply key=value changes to one policy, all or none */
enum cmd_ret
policyconfig_edit(struct cli *c, enum policy_dir dir, const char *name, int n,
    char *const *keys, char *const *vals)
{
	struct policy_table t;
	struct edit_ctx x = { -1 };
	int i;

	if (policyconfig_load(c, dir, &t) < 0)
		return CMD_ERROR;
	if ((i = find_named(c, &t, name)) < 0)
		return fail(&t);
	for (int k = 0; k < n; k++) {
		const struct edit_key *e = edit_keys;

		while (e->key && strcasecmp(e->key, keys[k]) != 0)
			e++;
		if (e->key == NULL) {
			cli_error(c, "The key %s= is not available.", keys[k]);
			return fail(&t);
		}
		if (is_default(&t, i) && e->on_default) {
			cli_error(c, "%s", e->on_default);
			return fail(&t);
		}
		if (!is_default(&t, i) && e->off_default) {
			cli_error(c, "%s", e->off_default);
			return fail(&t);
		}
		if (e->apply(c, &t, i, vals[k], &x) < 0)
			return fail(&t);
	}
	return save_edit(c, &t, &x);
}

/* policyconfig_add_members - append members to one side (EDIT, NEW) */
enum cmd_ret
policyconfig_add_members(struct cli *c, enum policy_dir dir, const char *name,
    enum policyconfig_side s, const char *text)
{
	struct policy_table t;
	struct mlist l;
	char **v;
	int i, n, other;

	if (policyconfig_load(c, dir, &t) < 0)
		return CMD_ERROR;
	if ((i = find_named(c, &t, name)) < 0)
		return fail(&t);
	if (is_default(&t, i)) {
		cli_error(c, "%s", NO_DEFAULT_MEMBERS);
		return fail(&t);
	}
	if (parse_members(c, text, &l) < 0)
		return fail(&t);
	v = (char **)policyconfig_members(&t.p[i], s, &n);
	policyconfig_members(&t.p[i], !s, &other);
	for (int k = 0; k < l.n; k++) {
		if (mlist_has(v, n, l.v[k])) {
			cli_error(c, "%s is already a member of this policy.", l.v[k]);
			mlist_free(&l);
			return fail(&t);
		}
	}
	if (check_count(c, n + l.n + other) < 0) {
		mlist_free(&l);
		return fail(&t);
	}
	{
		struct mlist all = { n + l.n, xcalloc((size_t)(n + l.n), sizeof(char *)) };

		for (int k = 0; k < n; k++)
			all.v[k] = str_dup(v[k]);
		for (int k = 0; k < l.n; k++)
			all.v[n + k] = l.v[k];
		free(l.v);
		set_side(&t.p[i], s, &all);
	}
	return save(c, &t);
}

/* policyconfig_remove_member - drop one member (EDIT, DELETE) */
enum cmd_ret
policyconfig_remove_member(struct cli *c, enum policy_dir dir, const char *name,
    enum policyconfig_side s, const char *member)
{
	struct policy_table t;
	struct mlist rest = { 0, NULL };
	char *const *v;
	int i, n, other, k;

	if (policyconfig_load(c, dir, &t) < 0)
		return CMD_ERROR;
	if ((i = find_named(c, &t, name)) < 0)
		return fail(&t);
	v = policyconfig_members(&t.p[i], s, &n);
	policyconfig_members(&t.p[i], !s, &other);
	for (k = 0; k < n && strcmp(v[k], member) != 0; k++)
		;
	if (k == n) {
		cli_error(c, "%s is not a member of this policy.", member);
		return fail(&t);
	}
	if (n == 1 && s == policyconfig_primary(dir)) {
		if (other == 0)
			cli_error(c, "There is only one member in the policy: delete the policy "
				     "instead.");
		else
			cli_error(c, "%s is the only %s of this policy: an %s policy needs "
				     "at least one.",
			    member, policyconfig_side_one(s), policy_dir_name(dir));
		return fail(&t);
	}
	rest.v = xcalloc((size_t)n, sizeof(char *));
	for (int j = 0; j < n; j++)
		if (j != k)
			rest.v[rest.n++] = str_dup(v[j]);
	set_side(&t.p[i], s, &rest);
	return save(c, &t);
}

/* policyconfig_delete - remove a policy */
enum cmd_ret
policyconfig_delete(struct cli *c, enum policy_dir dir, const char *name)
{
	struct policy_table t;
	int i;

	if (policyconfig_load(c, dir, &t) < 0)
		return CMD_ERROR;
	if ((i = find_named(c, &t, name)) < 0)
		return fail(&t);
	if (is_default(&t, i)) {
		cli_error(c, "The DEFAULT policy cannot be deleted.");
		return fail(&t);
	}
	remove_at(&t, i);
	return save(c, &t);
}

/* policyconfig_move - put a policy at a 1-based position above DEFAULT */
enum cmd_ret
policyconfig_move(struct cli *c, enum policy_dir dir, const char *name, const char *pos_text)
{
	struct policy_table t;
	struct policy p;
	long pos;
	int i, last;

	if (policyconfig_load(c, dir, &t) < 0)
		return CMD_ERROR;
	if ((i = find_named(c, &t, name)) < 0)
		return fail(&t);
	if (is_default(&t, i)) {
		cli_error(c, "The DEFAULT policy is always last and cannot be moved.");
		return fail(&t);
	}
	last = t.n - 1;
	if (str_to_long(pos_text, 1, 1000000, &pos) < 0) {
		cli_error(c, "The position must be a number from 1 to %d.", last);
		return fail(&t);
	}
	if (pos > last) {
		cli_error(c, "Position %ld cannot be at or after the position of default entry: "
			     "choose a position from 1 to %d.",
		    pos, last);
		return fail(&t);
	}
	p = t.p[i];
	memmove(t.p + i, t.p + i + 1, sizeof(*t.p) * (size_t)(t.n - i - 1));
	memmove(t.p + pos, t.p + pos - 1, sizeof(*t.p) * (size_t)(t.n - pos));
	t.p[pos - 1] = p;
	return save(c, &t);
}

/* policyconfig_clear - remove every policy but DEFAULT */
enum cmd_ret
policyconfig_clear(struct cli *c, enum policy_dir dir)
{
	struct policy_table t;

	if (policyconfig_load(c, dir, &t) < 0)
		return CMD_ERROR;
	while (t.n > 1)
		remove_at(&t, 0);
	return save(c, &t);
}

/* policyconfig_print - the summary table, or one policy */
enum cmd_ret
policyconfig_print(struct cli *c, enum policy_dir dir, const char *name)
{
	struct policy_table t;
	int i;

	if (policyconfig_load(c, dir, &t) < 0)
		return CMD_ERROR;
	if (name == NULL) {
		policyconfig_print_table(c, &t);
	} else {
		if ((i = find_named(c, &t, name)) < 0)
			return fail(&t);
		policyconfig_print_details(c, &t, i);
	}
	policy_table_free(&t);
	return CMD_OK;
}

/*
 * policyconfig_search - the policies with a member matching addr (either side),
 * then the first match for mail to (incoming) or from (outgoing) addr.
 * Without the other address, policies that also need it are named as
 * conditional matches.
 */
enum cmd_ret
policyconfig_search(struct cli *c, enum policy_dir dir, const char *addr, const char *other)
{
	struct policy_table t;
	enum policyconfig_side ps = policyconfig_primary(dir);
	int found = 0, w = 4, hit;
	const char *to = dir == POLICY_INCOMING ? "to" : "from";

	if (policyconfig_check_address(c, addr) < 0 ||
	    (other && policyconfig_check_address(c, other) < 0))
		return CMD_ERROR;
	if (policyconfig_load(c, dir, &t) < 0)
		return CMD_ERROR;
	for (int i = 0; i < t.n - 1; i++)
		if ((int)strlen(t.p[i].name) > w)
			w = (int)strlen(t.p[i].name);
	for (int i = 0; i < t.n - 1; i++) {
		for (int s = 0; s < 2; s++) {
			enum policyconfig_side side = s == 0 ? ps : !ps;
			int n;
			char *const *v = policyconfig_members(&t.p[i], side, &n);

			for (int k = 0; k < n; k++) {
				if (!policy_member_match(v[k], addr))
					continue;
				if (!found++)
					cli_printf(c, "Policies with a member matching %s:\n",
					    addr);
				cli_printf(c, "    %-*s  %s %s\n", w, t.p[i].name,
				    policyconfig_side_one(side), v[k]);
			}
		}
	}
	if (!found)
		cli_printf(c, "No %s mail policy has a member matching %s.\n",
		    policy_dir_name(dir), addr);

	if (other) {
		hit = dir == POLICY_INCOMING ? policy_match(&t, addr, other) :
					       policy_match(&t, other, addr);
		cli_printf(c, "First match for mail %s %s %s %s: %s\n", to, addr,
		    dir == POLICY_INCOMING ? "from" : "to", other, t.p[hit].name);
	} else {
		struct buf cond;
		int n;

		/* the address alone: a policy that needs the other side too may or may not apply */
		buf_init(&cond, 0);
		for (hit = 0; hit < t.n - 1; hit++) {
			char *const *v = policyconfig_members(&t.p[hit], ps, &n);
			int m = 0;

			for (int k = 0; k < n && !m; k++)
				m = policy_member_match(v[k], addr);
			if (!m)
				continue;
			policyconfig_members(&t.p[hit], !ps, &n);
			if (n == 0)
				break;
			buf_printf(&cond, "    (%s comes first when the %s is one of its %ss)\n",
			    t.p[hit].name, policyconfig_side_one(!ps), policyconfig_side_one(!ps));
		}
		cli_printf(c, "First match for mail %s %s: %s\n", to, addr, t.p[hit].name);
		if (cond.len)
			cli_printf(c, "%s", cond.data);
		buf_free(&cond);
	}
	policy_table_free(&t);
	return CMD_OK;
}

