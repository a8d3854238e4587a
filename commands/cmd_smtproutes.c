/*
 * cmd_smtproutes.c - `smtproutes`: permanent routes for destination domains.
 *
 * The model for every menu command: the interactive menu (NEW, EDIT,
 * DELETE, PRINT, CLEAR; an empty answer goes back) and the batch forms
 * share one set of operations below (route_new, route_edit, ...), so both
 * validate the same way and print the same errors. Every operation
 * gathers its answers first and stages one change at the end: Ctrl-C in
 * the middle of a dialogue changes nothing.
 *
 *   smtproutes new DOMAIN DEST[,DEST...]
 *   smtproutes edit DOMAIN DEST[,DEST...]
 *   smtproutes delete DOMAIN
 *   smtproutes print
 *   smtproutes clear
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "mail/route.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_smtproutes_entry;

/* The routing table as this session sees it. */
struct routes {
	int n;			/* routes */
	char **domain;		/* keys, ALL last */
	char **dests;		/* normalised destination lists */
};

/* collect - config_item_cb adding one route */
static int
collect(const char *section, const char *key, const char *value, void *arg)
{
	struct routes *r = arg;

	r->domain = xrealloc(r->domain, sizeof(char *) * (size_t)(r->n + 1));
	r->dests = xrealloc(r->dests, sizeof(char *) * (size_t)(r->n + 1));
	r->domain[r->n] = str_dup(key);
	r->dests[r->n] = str_dup(value);
	r->n++;
	return 0;
}

static void
routes_free(struct routes *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->domain[i]);
		free(r->dests[i]);
	}
	free(r->domain);
	free(r->dests);
	memset(r, 0, sizeof(*r));
}

/* routes_load - read the table, moving the default route last as AsyncOS lists it */
static int
routes_load(struct cli *c, struct routes *r)
{
	char *cause = NULL;

	memset(r, 0, sizeof(*r));
	if (config_list(c->st, ROUTE_SECTION, collect, r, &cause) < 0) {
		cli_error(c, "Cannot read routes: %s", cause);
		free(cause);
		routes_free(r);
		return -1;
	}
	for (int i = 0; i < r->n - 1; i++) {
		if (strcmp(r->domain[i], ROUTE_DEFAULT) == 0) {
			char *d = r->domain[i], *v = r->dests[i];

			memmove(r->domain + i, r->domain + i + 1, sizeof(char *) * (size_t)(r->n - i - 1));
			memmove(r->dests + i, r->dests + i + 1, sizeof(char *) * (size_t)(r->n - i - 1));
			r->domain[r->n - 1] = d;
			r->dests[r->n - 1] = v;
			break;
		}
	}
	return 0;
}

/* routes_find - index of a (normalised) domain, or -1 */
static int
routes_find(const struct routes *r, const char *domain)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->domain[i], domain) == 0)
			return i;
	return -1;
}

/* stage - write one route change to the candidate */
static int
stage(struct cli *c, const char *domain, const char *dests)
{
	char *cause = NULL;
	int rc = dests ? config_set(c->st, ROUTE_SECTION, domain, dests, &cause) :
			 config_delete(c->st, ROUTE_SECTION, domain, &cause);

	if (rc < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
	}
	return rc;
}

/* check_domain - parse a domain; error printed */
static int
check_domain(struct cli *c, const char *in, char *out, size_t size)
{
	char *cause = NULL;

	if (route_parse_domain(in, out, size, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* check_dests - parse a destination list; error printed */
static int
check_dests(struct cli *c, const char *in, char *out, size_t size)
{
	char *cause = NULL;

	if (route_parse_dests(in, out, size, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* not_found - the AsyncOS wording for a missing route */
static enum cmd_ret
not_found(struct cli *c, const char *domain)
{
	cli_error(c, "The domain %s entry does not appear to be in the routing table.", domain);
	return CMD_ERROR;
}

/* check_absent - refuse a domain that already has a route; error printed */
static int
check_absent(struct cli *c, const struct routes *r, const char *domain)
{
	if (routes_find(r, domain) < 0)
		return 0;
	if (strcmp(domain, ROUTE_DEFAULT) == 0)
		cli_error(c, "There is already a default route set.");
	else
		cli_error(c, "The value %s is already in the routing table.", domain);
	return -1;
}

/* ---------------------------------------------------------- operations */

/* route_new - add a route for a domain that has none */
static enum cmd_ret
route_new(struct cli *c, const char *domain_in, const char *dests_in)
{
	char domain[256], dests[4096], *cause = NULL, *have = NULL;
	int full = 0;

	if (check_domain(c, domain_in, domain, sizeof(domain)) < 0 ||
	    check_dests(c, dests_in, dests, sizeof(dests)) < 0)
		return CMD_ERROR;
	/*
	 * one item and a count, not the whole table: a script of thousands
	 * of routes must not read the table once a line (issue 9)
	 */
	if (config_get(c->st, ROUTE_SECTION, domain, &have, &cause) < 0 ||
	    config_count_atleast(c->st, ROUTE_SECTION, ROUTE_MAX_ROUTES, &full, &cause) < 0) {
		cli_error(c, "Cannot read routes: %s", cause);
		free(cause);
		free(have);
		return CMD_ERROR;
	}
	if (have != NULL) {
		free(have);
		if (strcmp(domain, ROUTE_DEFAULT) == 0)
			cli_error(c, "There is already a default route set.");
		else
			cli_error(c, "The value %s is already in the routing table.", domain);
		return CMD_ERROR;
	}
	if (full) {
		cli_error(c, "There is a maximum of %d routes.", ROUTE_MAX_ROUTES);
		return CMD_ERROR;
	}
	return stage(c, domain, dests) == 0 ? CMD_OK : CMD_ERROR;
}

/* route_edit - replace the destinations of an existing route */
static enum cmd_ret
route_edit(struct cli *c, const char *domain_in, const char *dests_in)
{
	char domain[256], dests[4096];
	struct routes r;
	enum cmd_ret ret = CMD_ERROR;

	if (check_domain(c, domain_in, domain, sizeof(domain)) < 0 ||
	    check_dests(c, dests_in, dests, sizeof(dests)) < 0)
		return CMD_ERROR;
	if (routes_load(c, &r) < 0)
		return CMD_ERROR;
	if (routes_find(&r, domain) < 0)
		ret = not_found(c, domain);
	else if (stage(c, domain, dests) == 0)
		ret = CMD_OK;
	routes_free(&r);
	return ret;
}

/* route_delete - remove a route */
static enum cmd_ret
route_delete(struct cli *c, const char *domain_in)
{
	char domain[256];
	struct routes r;
	enum cmd_ret ret = CMD_ERROR;

	if (check_domain(c, domain_in, domain, sizeof(domain)) < 0)
		return CMD_ERROR;
	if (routes_load(c, &r) < 0)
		return CMD_ERROR;
	if (routes_find(&r, domain) < 0)
		ret = not_found(c, domain);
	else if (stage(c, domain, NULL) == 0)
		ret = CMD_OK;
	routes_free(&r);
	return ret;
}

/* route_print - the table */
static enum cmd_ret
route_print(struct cli *c)
{
	struct routes r;
	size_t w = 6;

	if (routes_load(c, &r) < 0)
		return CMD_ERROR;
	if (r.n == 0) {
		cli_printf(c, "There are no routes configured.\n");
		routes_free(&r);
		return CMD_OK;
	}
	for (int i = 0; i < r.n; i++)
		if (strlen(r.domain[i]) > w)
			w = strlen(r.domain[i]);
	cli_printf(c, "%-*s  %s\n", (int)w, "Domain", "Destination and Port");
	for (int i = 0; i < r.n && !c->stopped; i++) {
		/* one destination per line keeps long lists readable */
		char **v = str_split(r.dests[i], ',', NULL);

		for (int j = 0; v[j]; j++)
			cli_printf(c, "%-*s  %s\n", (int)w, j ? "" : r.domain[i], v[j]);
		str_split_free(v);
	}
	routes_free(&r);
	return CMD_OK;
}

/* route_clear - remove every route */
static enum cmd_ret
route_clear(struct cli *c)
{
	struct routes r;
	enum cmd_ret ret = CMD_OK;

	if (routes_load(c, &r) < 0)
		return CMD_ERROR;
	for (int i = 0; i < r.n && ret == CMD_OK; i++)
		if (stage(c, r.domain[i], NULL) < 0)
			ret = CMD_ERROR;
	routes_free(&r);
	return ret;
}

/* ---------------------------------------------------------- dialogue */

/* join_dests - the words after DOMAIN as one comma list ("a, b" and "a,b" alike) */
static char *
join_dests(int argc, char **argv)
{
	struct buf b;

	buf_init(&b, 0);
	for (int i = 0; i < argc; i++) {
		if (b.len && b.data[b.len - 1] != ',' && argv[i][0] != ',')
			buf_addch(&b, ',');
		buf_addstr(&b, argv[i]);
	}
	return buf_steal(&b);
}

/* pick_route - numbered list of routes; *idx chosen */
static enum ask_ret
pick_route(struct cli *c, const struct routes *r, const char *question, int *idx)
{
	char **items = xcalloc((size_t)r->n, sizeof(char *));
	enum ask_ret a;

	for (int i = 0; i < r->n; i++)
		items[i] = str_printf("%s: %s", r->domain[i], r->dests[i]);
	a = cli_ask_list(c, question, (const char *const *)items, r->n, 0, idx);
	for (int i = 0; i < r->n; i++)
		free(items[i]);
	free(items);
	return a;
}

static const char DEST_QUESTION[] =
    "Enter the destination hosts, separated by commas, which you want mail for %s "
    "to be delivered.\n"
    "Enter USEDNS by itself to use normal DNS resolution for this route.\n"
    "Enter /dev/null by itself if you wish to discard the mail.\n"
    "Enclose in square brackets to force resolution via address (A) records, ignoring any "
    "MX records.";

/* ask_dests - destination list for a domain, re-asked until valid */
static enum ask_ret
ask_dests(struct cli *c, const char *domain, const char *def, char *out, size_t size)
{
	char *q = str_printf(DEST_QUESTION, domain);
	char norm[4096];
	enum ask_ret a;

	for (;;) {
		a = cli_ask(c, q, def, out, size);
		if (a != ASK_OK)
			break;
		if (check_dests(c, out, norm, sizeof(norm)) == 0) {
			str_copy(out, norm, size);
			break;
		}
	}
	free(q);
	return a;
}

/* dialog_new - NEW; a domain that already has a route is refused at once */
static enum ask_ret
dialog_new(struct cli *c, const struct routes *r)
{
	char in[256], domain[256], dests[4096];
	enum ask_ret a;

	for (;;) {
		a = cli_ask_required(c, "Enter the domain for which you want to set up a permanent "
					"route.\nPartial hostnames such as \".example.com\" are "
					"allowed.\nUse \"ALL\" for the default route.",
		    in, sizeof(in));
		if (a != ASK_OK)
			return a;
		if (check_domain(c, in, domain, sizeof(domain)) == 0 &&
		    check_absent(c, r, domain) == 0)
			break;
	}
	a = ask_dests(c, domain, NULL, dests, sizeof(dests));
	if (a != ASK_OK)
		return a;
	route_new(c, domain, dests);
	return ASK_OK;
}

/* dialog_edit - EDIT: pick a route, then ADD / REPLACE / REMOVE destinations */
static enum ask_ret
dialog_edit(struct cli *c, struct routes *r)
{
	static const struct cli_choice ops[] = {
		{ "ADD", "Add new destination hosts." },
		{ "REPLACE", "Specify a new destination or set of destinations." },
		{ "REMOVE", "Remove a destination host." },
	};
	char dests[4096], joined[8192];
	enum ask_ret a;
	int idx, op;

	if (r->n == 0) {
		cli_printf(c, "There are no routes configured.\n");
		return ASK_BACK;
	}
	a = pick_route(c, r, "Enter the number of the route you wish to edit.", &idx);
	if (a != ASK_OK)
		return a;
	a = cli_ask_menu(c, NULL, ops, 3, &op);
	if (a != ASK_OK)
		return a;
	if (op == 0) {
		a = ask_dests(c, r->domain[idx], NULL, dests, sizeof(dests));
		if (a != ASK_OK)
			return a;
		if (str_fmt(joined, sizeof(joined), "%s,%s", r->dests[idx], dests) < 0) {
			cli_error(c, "The list of destinations is too long.");
			return ASK_OK;
		}
		route_edit(c, r->domain[idx], joined);
	} else if (op == 1) {
		a = ask_dests(c, r->domain[idx], r->dests[idx], dests, sizeof(dests));
		if (a != ASK_OK)
			return a;
		route_edit(c, r->domain[idx], dests);
	} else {
		char **v;
		int n, k;
		struct buf b;

		v = str_split(r->dests[idx], ',', &n);
		if (n == 1) {
			cli_error(c, "There is only one destination; use DELETE to remove the "
				     "route or REPLACE to change it.");
			str_split_free(v);
			return ASK_OK;
		}
		a = cli_ask_list(c, "Enter the number of the destination to remove.",
		    (const char *const *)v, n, 0, &k);
		if (a == ASK_OK) {
			buf_init(&b, 0);
			for (int i = 0; i < n; i++)
				if (i != k)
					buf_printf(&b, "%s%s", b.len ? "," : "", v[i]);
			route_edit(c, r->domain[idx], b.data);
			buf_free(&b);
		}
		str_split_free(v);
	}
	return a;
}

/* dialog_delete - DELETE with confirmation */
static enum ask_ret
dialog_delete(struct cli *c, struct routes *r)
{
	enum ask_ret a;
	int idx, yes = 0;

	if (r->n == 0) {
		cli_printf(c, "There are no routes configured.\n");
		return ASK_BACK;
	}
	a = pick_route(c, r, "Enter the number of the route you wish to delete.", &idx);
	if (a != ASK_OK)
		return a;
	a = cli_ask_yesno(c, strcmp(r->domain[idx], ROUTE_DEFAULT) == 0 ?
		"Are you sure you want to reset the default route?" :
		"Are you sure you want to delete this route?", 0, &yes);
	if (a == ASK_OK && yes)
		route_delete(c, r->domain[idx]);
	return a;
}

/* dialog_clear - CLEAR with confirmation */
static enum ask_ret
dialog_clear(struct cli *c)
{
	enum ask_ret a;
	int yes = 0;

	a = cli_ask_yesno(c, "Are you sure you want to delete all of the configured routes?", 0,
	    &yes);
	if (a == ASK_OK && yes)
		route_clear(c);
	return a;
}

/* dialog - the top menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new route." },
		{ "EDIT", "Edit destinations of an existing route." },
		{ "DELETE", "Remove a route." },
		{ "PRINT", "Display all routes." },
		{ "CLEAR", "Remove all routes." },
	};
	struct routes r;
	enum ask_ret a;
	int op;

	for (;;) {
		if (routes_load(c, &r) < 0)
			return CMD_ERROR;
		cli_printf(c, "\n");
		if (r.n == 0)
			cli_printf(c, "There are no routes configured.\n");
		else
			cli_printf(c, "There %s currently %d route%s configured.\n",
			    r.n == 1 ? "is" : "are", r.n, r.n == 1 ? "" : "s");
		a = cli_ask_menu(c, NULL, ops, 5, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dialog_new(c, &r);
				break;
			case 1:
				a = dialog_edit(c, &r);
				break;
			case 2:
				a = dialog_delete(c, &r);
				break;
			case 3:
				route_print(c);
				break;
			case 4:
				a = dialog_clear(c);
				break;
			}
			/* an empty answer inside an operation returns to this menu */
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		routes_free(&r);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return CMD_OK;
	}
}

/* ---------------------------------------------------------- table entry */

/* sub_route - new and edit: DOMAIN and the destination words joined into one list */
static enum cmd_ret
sub_route(struct cli *c, const struct cmd_call *call)
{
	char *dests = join_dests(call->argc - 1, call->argv + 1);
	enum cmd_ret r = strcmp(call->sub->name, "new") == 0 ?
	    route_new(c, call->argv[0], dests) : route_edit(c, call->argv[0], dests);

	free(dests);
	return r;
}

static enum cmd_ret
sub_delete(struct cli *c, const struct cmd_call *call)
{
	return route_delete(c, call->argv[0]);
}

static enum cmd_ret
sub_print(struct cli *c, const struct cmd_call *call)
{
	return route_print(c);
}

static enum cmd_ret
sub_clear(struct cli *c, const struct cmd_call *call)
{
	return route_clear(c);
}

static const struct cmd_word dest_words[] = {
	{ "<DEST>", "host[:port], [IP]:port, USEDNS or /dev/null; several separated by commas",
	    NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word domain_dest_words[] = {
	{ "<DOMAIN>", "example.com, .example.com (subdomains) or ALL (default route)",
	    dest_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word domain_words[] = {
	{ "<DOMAIN>", "the route's domain", NULL },
	{ NULL, NULL, NULL },
};

/* Usage errors name the command alone, as AsyncOS does. */
static const struct cmd_sub smtproutes_subs[] = {
	{ .name = "new", .help = "Create a new route.", .args = domain_dest_words,
	    .min_args = 2, .max_args = CMD_ARGS_MANY, .flags = CMD_SUB_USAGE_CMD,
	    .exec = sub_route },
	{ .name = "edit", .help = "Replace the destinations of a route.",
	    .args = domain_dest_words, .min_args = 2, .max_args = CMD_ARGS_MANY,
	    .flags = CMD_SUB_USAGE_CMD, .exec = sub_route },
	{ .name = "delete", .help = "Remove a route.", .args = domain_words, .min_args = 1,
	    .max_args = 1, .flags = CMD_SUB_USAGE_CMD, .exec = sub_delete },
	{ .name = "print", .help = "Display all routes.", .flags = CMD_SUB_USAGE_CMD,
	    .exec = sub_print },
	{ .name = "clear", .help = "Remove all routes.", .flags = CMD_SUB_USAGE_CMD,
	    .exec = sub_clear },
	{ .exec = NULL },
};

/* smtproutes_exec - the menu, or one batch operation */
static enum cmd_ret
smtproutes_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_smtproutes_entry, argc, argv);
}

const struct cmd_entry cmd_smtproutes_entry = {
	.name = "smtproutes",
	.usage = "smtproutes new DOMAIN DEST[,DEST...]\n"
		 "smtproutes edit DOMAIN DEST[,DEST...]\n"
		 "smtproutes delete DOMAIN\n"
		 "smtproutes print\n"
		 "smtproutes clear",
	.help = "Set up permanent domain redirections.",
	.flags = CMD_F_CONFIG,
	.subs = smtproutes_subs,
	.exec = smtproutes_exec,
};
