/*
 * cmd_destconfig.c - `destconfig`: TLS and connection limit per
 * destination domain, with a default row for every other domain.
 *
 *   destconfig new DOMAIN tls=no|preferred|required|required_verify [max_conns=N]
 *   destconfig edit DOMAIN|default key=value...
 *   destconfig delete DOMAIN
 *   destconfig print
 *
 * Built like smtproutes: the menu (NEW, EDIT, DELETE, PRINT) and the
 * batch forms share the operations below, and each stages one change
 * after the last answer. The default row is always there (built-in values
 * until edited) and cannot be deleted. Domains match exactly, lower-case;
 * a row for example.com does not cover its subdomains.
 *
 * DIAGNOSTICS: one error line per refused command; nothing is staged.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "mail/destconf.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"
#include "util/syntax.h"

extern const struct cmd_entry cmd_destconfig_entry;

/* The rows as this session sees them: default first, then by domain. */
struct rows {
	int n;
	struct destconf *v;
	char *cause;		/* first decoding error */
};

/* collect - config_item_cb adding one stored row */
static int
collect(const char *section, const char *key, const char *value, void *arg)
{
	struct rows *r = arg;
	struct destconf d;
	char *cause = NULL;

	if (destconf_decode(key, value, &d, &cause) < 0) {
		r->cause = str_printf("destconfig %s: %s", key, cause);
		free(cause);
		return 1;
	}
	if (strcmp(key, DESTCONF_DEFAULT) == 0) {
		r->v[0] = d;
		return 0;
	}
	r->v = xrealloc(r->v, sizeof(*r->v) * (size_t)(r->n + 1));
	r->v[r->n++] = d;
	return 0;
}

/* rows_load - the table with the default row at [0]; error printed */
static int
rows_load(struct cli *c, struct rows *r)
{
	char *cause = NULL;

	memset(r, 0, sizeof(*r));
	r->v = xcalloc(1, sizeof(*r->v));
	r->n = 1;
	destconf_defaults(&r->v[0], DESTCONF_DEFAULT);
	if (config_list(c->st, DESTCONF_SECTION, collect, r, &cause) < 0 || r->cause) {
		cli_error(c, "Cannot read the destination controls: %s", cause ? cause : r->cause);
		free(cause);
		free(r->cause);
		free(r->v);
		memset(r, 0, sizeof(*r));
		return -1;
	}
	return 0;
}

/* rows_free - release a loaded table */
static void
rows_free(struct rows *r)
{
	free(r->v);
	free(r->cause);
	memset(r, 0, sizeof(*r));
}

/* rows_find - index of a normalised domain, or -1 */
static int
rows_find(const struct rows *r, const char *domain)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->v[i].domain, domain) == 0)
			return i;
	return -1;
}

/* check_domain - a domain name or "default", lower-cased into out; error printed */
static int
check_domain(struct cli *c, const char *in, char *out, size_t size)
{
	char d[256];
	size_t n;

	if (str_copy(d, in, sizeof(d)) == 0) {
		n = strlen(d);
		if (n > 1 && d[n - 1] == '.')
			d[n - 1] = '\0';
		if (strcasecmp(d, DESTCONF_DEFAULT) == 0 || syntax_hostname(d)) {
			str_lower(d);
			return str_copy(out, d, size);
		}
	}
	cli_error(c, "Invalid domain '%.100s': enter a domain name such as example.com, or "
		     "default.",
	    in);
	return -1;
}

/* stage - write one row (or its removal, d NULL) to the candidate */
static int
stage(struct cli *c, const char *domain, const struct destconf *d)
{
	char *cause = NULL, *json = d ? destconf_encode(d) : NULL;
	int rc = d ? config_set(c->st, DESTCONF_SECTION, domain, json, &cause) :
		     config_delete(c->st, DESTCONF_SECTION, domain, &cause);

	free(json);
	if (rc < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
	}
	return rc;
}

/* not_found - the error for a domain without a row */
static enum cmd_ret
not_found(struct cli *c, const char *domain)
{
	cli_error(c, "There is no entry for %s; use destconfig new to add one.", domain);
	return CMD_ERROR;
}

/* set - cmd_keyset.set: one checked key=value onto a row (destconf_set checks it) */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	return destconf_set(obj, k->name, value, cause);
}

static const char *const tls_values[] = { "no", "preferred", "required", "required_verify",
	NULL };

/* The keys of new and edit, in the order print shows them. */
static const struct cmd_key dkeys[] = {
	{ .name = "tls", .type = CMD_KEY_ENUM, .values = tls_values,
	    .help = "no, preferred (default), required or required_verify" },
	{ .name = "max_conns", .type = CMD_KEY_INT,
	    .help = "concurrent connections, 0-1000 (0: the deliveryconfig limit)" },
	{ .name = NULL },
};

static const struct cmd_keyset keyset = { .keys = dkeys, .set = set };

/* ---------------------------------------------------------- operations */

/* dc_new - a row for a domain that has none */
static enum cmd_ret
dc_new(struct cli *c, const struct cmd_call *call)
{
	const char *domain_in = call->argv[0];
	char domain[256];
	struct destconf d;
	struct rows r;
	enum cmd_ret ret = CMD_ERROR;

	if (check_domain(c, domain_in, domain, sizeof(domain)) < 0)
		return CMD_ERROR;
	if (strcmp(domain, DESTCONF_DEFAULT) == 0) {
		cli_error(c, "The default entry always exists; use destconfig edit default.");
		return CMD_ERROR;
	}
	destconf_defaults(&d, domain);
	if (cmd_keys_apply(c, call, &d, NULL) < 0)
		return CMD_ERROR;
	if (rows_load(c, &r) < 0)
		return CMD_ERROR;
	if (rows_find(&r, domain) >= 0)
		cli_error(c, "There is already an entry for %s; use destconfig edit.", domain);
	else if (stage(c, domain, &d) == 0)
		ret = CMD_OK;
	rows_free(&r);
	return ret;
}

/* dc_edit - change an existing row (default included) */
static enum cmd_ret
dc_edit(struct cli *c, const struct cmd_call *call)
{
	const char *domain_in = call->argv[0];
	char domain[256];
	struct destconf d;
	struct rows r;
	int i;
	enum cmd_ret ret = CMD_ERROR;

	if (check_domain(c, domain_in, domain, sizeof(domain)) < 0 || rows_load(c, &r) < 0)
		return CMD_ERROR;
	i = rows_find(&r, domain);
	if (i < 0) {
		rows_free(&r);
		return not_found(c, domain);
	}
	d = r.v[i];
	if (cmd_keys_apply(c, call, &d, NULL) == 0 && stage(c, domain, &d) == 0)
		ret = CMD_OK;
	rows_free(&r);
	return ret;
}

/* dc_delete - remove a row; never the default */
static enum cmd_ret
dc_delete(struct cli *c, const struct cmd_call *call)
{
	const char *domain_in = call->argv[0];
	char domain[256];
	struct rows r;
	enum cmd_ret ret = CMD_ERROR;

	if (check_domain(c, domain_in, domain, sizeof(domain)) < 0)
		return CMD_ERROR;
	if (strcmp(domain, DESTCONF_DEFAULT) == 0) {
		cli_error(c, "The default entry cannot be deleted.");
		return CMD_ERROR;
	}
	if (rows_load(c, &r) < 0)
		return CMD_ERROR;
	if (rows_find(&r, domain) < 0)
		ret = not_found(c, domain);
	else if (stage(c, domain, NULL) == 0)
		ret = CMD_OK;
	rows_free(&r);
	return ret;
}

/* conns_text - a row's connection limit as shown */
static void
conns_text(struct cli *c, const struct destconf *d, char *out, size_t size)
{
	if (d->max_conns > 0)
		str_fmt(out, size, "%d", d->max_conns);
	else
		str_fmt(out, size, "%ld (deliveryconfig)",
		    settings_get_int(c->st, "delivery.max_conns_per_dest"));
}

/* dc_print - the table */
static enum cmd_ret
dc_print(struct cli *c, const struct cmd_call *call)
{
	struct rows r;
	int w = 7;

	if (rows_load(c, &r) < 0)
		return CMD_ERROR;
	for (int i = 0; i < r.n; i++)
		if ((int)strlen(r.v[i].domain) > w)
			w = (int)strlen(r.v[i].domain);
	cli_printf(c, "%-*s  %-15s  %s\n", w, "Domain", "TLS", "Max. connections");
	for (int i = 0; i < r.n && !c->stopped; i++) {
		char conns[64];

		conns_text(c, &r.v[i], conns, sizeof(conns));
		cli_printf(c, "%-*s  %-15s  %s\n", w, r.v[i].domain,
		    destconf_tls_name(r.v[i].tls), conns);
	}
	rows_free(&r);
	return CMD_OK;
}

/* ---------------------------------------------------------- dialogue */

/* ask_row - TLS and connection limit, current values as defaults */
static enum ask_ret
ask_row(struct cli *c, struct destconf *d)
{
	static const char *const tlss[] = {
		"no: never use STARTTLS",
		"preferred: STARTTLS when offered, plain text if it fails",
		"required: STARTTLS or defer; the certificate is not verified",
		"required_verify: STARTTLS with a verified certificate and host name, or defer",
	};
	enum ask_ret a;
	long v;
	int idx;

	a = cli_ask_list(c, "Choose the TLS setting for delivery to this domain:", tlss, 4,
	    (int)d->tls + 1, &idx);
	if (a != ASK_OK)
		return a;
	d->tls = (enum destconf_tls)idx;
	a = cli_ask_number(c, "Enter the maximum number of concurrent connections to this "
			      "domain (0: the deliveryconfig limit).",
	    d->max_conns, 0, 1000, &v);
	if (a != ASK_OK)
		return a;
	d->max_conns = (int)v;
	return ASK_OK;
}

/* dialog_new - NEW */
static enum ask_ret
dialog_new(struct cli *c, const struct rows *r)
{
	char in[256], domain[256];
	struct destconf d;
	enum ask_ret a;

	for (;;) {
		a = cli_ask_required(c, "Enter the domain you wish to configure.", in, sizeof(in));
		if (a != ASK_OK)
			return a;
		if (check_domain(c, in, domain, sizeof(domain)) < 0)
			continue;
		if (rows_find(r, domain) >= 0) {
			cli_error(c, "There is already an entry for %s; use EDIT.", domain);
			continue;
		}
		break;
	}
	destconf_defaults(&d, domain);
	a = ask_row(c, &d);
	if (a == ASK_OK)
		stage(c, domain, &d);
	return a;
}

/* pick - numbered list of rows from first; *idx chosen (index into r) */
static enum ask_ret
pick(struct cli *c, const struct rows *r, int first, const char *question, int *idx)
{
	int n = r->n - first;
	char **items = xcalloc((size_t)n, sizeof(char *));
	enum ask_ret a;

	for (int i = 0; i < n; i++)
		items[i] = str_printf("%s: tls %s, max_conns %d", r->v[first + i].domain,
		    destconf_tls_name(r->v[first + i].tls), r->v[first + i].max_conns);
	a = cli_ask_list(c, question, (const char *const *)items, n, 0, idx);
	for (int i = 0; i < n; i++)
		free(items[i]);
	free(items);
	if (a == ASK_OK)
		*idx += first;
	return a;
}

/* dialog_edit - EDIT */
static enum ask_ret
dialog_edit(struct cli *c, const struct rows *r)
{
	struct destconf d;
	enum ask_ret a;
	int idx;

	a = pick(c, r, 0, "Enter the number of the entry you wish to edit.", &idx);
	if (a != ASK_OK)
		return a;
	d = r->v[idx];
	a = ask_row(c, &d);
	if (a == ASK_OK)
		stage(c, d.domain, &d);
	return a;
}

/* dialog_delete - DELETE with confirmation */
static enum ask_ret
dialog_delete(struct cli *c, const struct rows *r)
{
	enum ask_ret a;
	char *q;
	int idx, yes = 0;

	if (r->n < 2) {
		cli_printf(c, "There are no domain entries; the default entry cannot be "
			      "deleted.\n");
		return ASK_BACK;
	}
	a = pick(c, r, 1, "Enter the number of the entry you wish to delete.", &idx);
	if (a != ASK_OK)
		return a;
	q = str_printf("Are you sure you want to delete the entry for %s?", r->v[idx].domain);
	a = cli_ask_yesno(c, q, 0, &yes);
	free(q);
	if (a == ASK_OK && yes)
		stage(c, r->v[idx].domain, NULL);
	return a;
}

/* dialog - the top menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create an entry for a destination domain." },
		{ "EDIT", "Modify an entry (or the default)." },
		{ "DELETE", "Remove an entry." },
		{ "PRINT", "Display all entries." },
	};
	struct rows r;
	enum ask_ret a;
	int op;

	for (;;) {
		if (rows_load(c, &r) < 0)
			return CMD_ERROR;
		cli_printf(c, "\n");
		if (r.n == 1)
			cli_printf(c, "There are no destination domain entries; the default "
				      "applies to every domain.\n");
		else
			cli_printf(c, "There %s currently %d destination domain entr%s besides "
				      "the default.\n",
			    r.n == 2 ? "is" : "are", r.n - 1, r.n == 2 ? "y" : "ies");
		a = cli_ask_menu(c, NULL, ops, 4, &op);
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
				cli_printf(c, "\n");
				dc_print(c, NULL);
				break;
			}
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		rows_free(&r);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return CMD_OK;
	}
}

/* ---------------------------------------------------------- table entry */

static const struct cmd_word new_words[] = {
	{ "<DOMAIN>", "destination domain, e.g. example.com", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word edit_words[] = {
	{ "default", "the entry for every other domain", NULL },
	{ "<DOMAIN>", "destination domain with an entry", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word delete_words[] = {
	{ "<DOMAIN>", "destination domain with an entry", NULL },
	{ NULL, NULL, NULL },
};

static const char *const new_required[] = { "tls", NULL };

static const struct cmd_sub destconfig_subs[] = {
	{ .name = "new", .help = "Create an entry for a destination domain.", .args = new_words,
	    .min_args = 1, .keys = &keyset, .required = new_required,
	    .needs = "a new entry needs tls=no|preferred|required|required_verify",
	    .exec = dc_new },
	{ .name = "edit", .help = "Modify an entry (or the default).", .args = edit_words,
	    .min_args = 1, .keys = &keyset, .exec = dc_edit },
	{ .name = "delete", .help = "Remove an entry.", .args = delete_words, .min_args = 1,
	    .max_args = 1, .exec = dc_delete },
	{ .name = "print", .help = "Display all entries.", .exec = dc_print },
	{ .exec = NULL },
};

/* destconfig_exec - the menu, or one batch operation */
static enum cmd_ret
destconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_destconfig_entry, argc, argv);
}

const struct cmd_entry cmd_destconfig_entry = {
	.name = "destconfig",
	.usage = "destconfig new DOMAIN tls=no|preferred|required|required_verify [max_conns=N]\n"
		 "destconfig edit DOMAIN|default key=value...\n"
		 "destconfig delete DOMAIN\n"
		 "destconfig print",
	.help = "Configure TLS and connection limits per destination domain.",
	.flags = CMD_F_CONFIG,
	.subs = destconfig_subs,
	.exec = destconfig_exec,
};
