/*
 * cmd_addresslistconfig.c - `addresslistconfig`: named lists of email
 * addresses, domains and IP addresses, for message and content filters
 * and for Sender Domain Reputation's exception lists (AsyncOS's Mail
 * Policies > Address Lists).
 *
 *   addresslistconfig                         the dialogue: NEW, EDIT, DELETE, PRINT
 *   addresslistconfig new NAME domains=@a.test,@.b.test [description="..."]
 *   addresslistconfig new NAME addresses=user@a.test,@x.test | ips=10.0.0.0/8,...
 *   addresslistconfig edit NAME [description=...] [domains=|addresses=|ips=...]
 *   addresslistconfig delete NAME
 *   addresslistconfig print [NAME]
 *
 * domains= takes domains only (@example.com, @.example.com for its
 * subdomains, or example.com), addresses= email addresses and domains
 * (user@example.com, user@), ips= addresses and networks; a line may
 * give several of them, and edit replaces the entries with those it
 * gives. The model and the matching rules are mail/addrlist.c's. A list
 * named by a message filter, a content filter or the SDR exception list
 * cannot be deleted (the error names them), and such a list, an SDR
 * exception list, cannot be given entries other than domains.
 *
 * DIAGNOSTICS: one error line per refusal; nothing is staged by a
 * refused line. A dialogue in which an operation was refused fails.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "mail/addrlist.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_addresslistconfig_entry;

/* Longest answer in the dialogue: a line of entries. */
#define ANSWER_MAX (256 * 1024)

/* The kinds of entry a key (or a dialogue type) takes. */
#define TAKES_ADDRESS (1u << ADDRLIST_ADDRESS)
#define TAKES_DOMAIN (1u << ADDRLIST_DOMAIN)
#define TAKES_IP (1u << ADDRLIST_IP)

/* The types of the dialogue, AsyncOS's words, and what each takes. */
static const char *const type_names[] = {
	"Full Email Addresses only", "Domains only", "IP Addresses only", "All of the above",
};
static const unsigned type_takes[] = {
	TAKES_ADDRESS, TAKES_DOMAIN, TAKES_IP, TAKES_ADDRESS | TAKES_DOMAIN | TAKES_IP,
};
#define NTYPES 4

/* The usage lines of new (the command's, and its usage errors'). */
#define USAGE_NEW \
	"addresslistconfig new NAME domains=@DOMAIN,@.DOMAIN,... [description=TEXT]\n" \
	"addresslistconfig new NAME addresses=USER@DOMAIN,USER@,@DOMAIN,... " \
	"[description=TEXT]\n" \
	"addresslistconfig new NAME ips=IP,NETWORK/LEN,... [description=TEXT]"
#define USAGE_EDIT \
	"addresslistconfig edit NAME [description=TEXT] [domains=...|addresses=...|ips=...]"

/* said - print a lower layer's cause; CMD_ERROR */
static enum cmd_ret
said(struct cli *c, char *cause)
{
	cli_error(c, "%s", cause ? cause : "The operation failed.");
	free(cause);
	return CMD_ERROR;
}

/* load - every list as this session sees it; error printed */
static int
load(struct cli *c, struct addrlist_table *t)
{
	char *cause = NULL;

	if (addrlist_load(c->st, t, &cause) < 0) {
		cli_error(c, "Cannot read the address lists: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* list_type - the dialogue type a list's entries make (index into type_names) */
static int
list_type(const struct addrlist *l)
{
	unsigned kinds = 0;

	for (int i = 0; i < l->n; i++)
		kinds |= 1u << addrlist_entry_kind(l->entries[i]);
	for (int t = 0; t < NTYPES - 1; t++)
		if (kinds == type_takes[t])
			return t;
	return NTYPES - 1;
}

/* ---------------------------------------------------------- entries */

/* A list of entries being gathered from keys or answers. */
struct entries {
	int n;
	char **v;		/* malloc'd, normalised, no duplicates */
};

static void
entries_free(struct entries *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->n = 0;
	e->v = NULL;
}

/* kind_rule - what a key (or type) takes, for its error line */
static const char *
kind_rule(unsigned takes)
{
	switch (takes) {
	case TAKES_DOMAIN:
		return "a domain is @example.com, @.example.com (its subdomains) or example.com";
	case TAKES_IP:
		return "an IP entry is an address or a network such as 10.0.0.0/8 or "
		       "2001:db8::/32";
	case TAKES_ADDRESS:
		return "a full email address is user@example.com (or user@ for that user at any "
		       "domain)";
	case TAKES_ADDRESS | TAKES_DOMAIN:
		return "an entry is user@example.com, user@, @example.com or @.example.com; give "
		       "IP addresses with ips=";
	default:
		return "an entry is user@example.com, user@, @example.com, @.example.com, an IP "
		       "address or a network";
	}
}

/*
 * entries_add - the comma-separated items of text, each of a kind takes
 * allows, onto e; what names the key or answer in errors. -1 with *cause.
 */
static int
entries_add(struct entries *e, const char *text, unsigned takes, const char *what, char **cause)
{
	char **items = str_split(text, ',', NULL), out[ADDRLIST_ENTRY_MAX + 1];
	int rc = 0;

	for (int i = 0; items[i] && rc == 0; i++) {
		char *t = str_trim(items[i]), *why = NULL;
		int dup = 0;

		if (*t == '\0')
			continue;
		if (addrlist_entry_parse(t, out, sizeof(out), &why) < 0 ||
		    !(takes & (1u << addrlist_entry_kind(out)))) {
			free(why);
			*cause = str_printf("Invalid entry '%.100s'%s%s: %s.", t,
			    what ? " in " : "", what ? what : "", kind_rule(takes));
			rc = -1;
		} else if (e->n >= ADDRLIST_MAX_ENTRIES) {
			*cause = str_printf("An address list holds at most %d entries.",
			    ADDRLIST_MAX_ENTRIES);
			rc = -1;
		} else {
			for (int j = 0; j < e->n && !dup; j++)
				dup = strcmp(e->v[j], out) == 0;
			if (!dup) {
				e->v = xrealloc(e->v, ((size_t)e->n + 1) * sizeof(char *));
				e->v[e->n++] = str_dup(out);
			}
		}
	}
	str_split_free(items);
	return rc;
}

/* ---------------------------------------------------------- operations */

/* desc_ok - a description: at most ADDRLIST_DESC_MAX characters; error printed */
static int
desc_ok(struct cli *c, const char *d)
{
	if (strlen(d) > ADDRLIST_DESC_MAX) {
		cli_error(c, "Invalid description: at most %d characters.", ADDRLIST_DESC_MAX);
		return -1;
	}
	return 0;
}

/* is_exception_list - is name the SDR exception list (as this session sees it)? */
static int
is_exception_list(struct cli *c, const char *name)
{
	char *v = settings_get(c->st, "sdr.exception_list");
	int r = strcasecmp(v, name) == 0;

	free(v);
	return r;
}

/*
 * exception_list_refused - 1 (error printed) when list name serves as an
 * SDR exception list, which holds only domains, and so cannot take
 * entry: the global one (sdr.exception_list), or the list of a message
 * or content filter's sdr-* rule (a filter would be marked invalid by
 * it). The users are those this session sees; what another session
 * commits meanwhile is checked at commit (mail/confcheck.c) or makes the
 * filter invalid (mail/filterconf.c).
 */
static int
exception_list_refused(struct cli *c, const char *name, const char *entry)
{
	char *who = NULL, *cause = NULL;

	if (is_exception_list(c, name)) {
		cli_error(c, "The address list %s is the SDR exception list "
			     "(sdr.exception_list), which holds only domains: '%s' is not one.",
		    name, entry);
		return 1;
	}
	if (addrlist_users(c->st, name, &who, &cause) < 0) {
		cli_error(c, "Cannot tell what uses the address list %s: %s", name, cause);
		free(cause);
		return 1;
	}
	if (*who) {
		cli_error(c, "The address list %s is the SDR exception list of %s, which holds "
			     "only domains: '%s' is not one.",
		    name, who, entry);
		free(who);
		return 1;
	}
	free(who);
	return 0;
}

/*
 * put - stage list name: new (it must not exist) or an edit (it must);
 * desc NULL keeps the description, e NULL keeps the entries
 */
static enum cmd_ret
put(struct cli *c, const char *name, int is_new, const char *desc, const struct entries *e)
{
	struct addrlist_table t;
	const struct addrlist *old;
	struct addrlist l;
	char *cause = NULL;
	enum cmd_ret r = CMD_ERROR;

	if (is_new && addrlist_name_valid(name, &cause) < 0)
		return said(c, cause);
	if ((desc && desc_ok(c, desc) < 0) || load(c, &t) < 0)
		return CMD_ERROR;
	old = addrlist_find(&t, name);
	memset(&l, 0, sizeof(l));
	if (is_new && old) {
		cli_error(c, "There is already an address list named %s.", old->name);
		goto out;
	}
	if (!is_new && old == NULL) {
		cli_error(c, "There is no address list named %.100s.", name);
		goto out;
	}
	if (is_new && t.n >= ADDRLIST_MAX) {
		cli_error(c, "There are already %d address lists, the most allowed.", ADDRLIST_MAX);
		goto out;
	}
	if ((e && e->n == 0) || (is_new && e == NULL)) {
		cli_error(c, "An address list needs at least one entry: give domains=, "
			     "addresses= or ips=.");
		goto out;
	}
	str_copy(l.name, old ? old->name : name, sizeof(l.name));
	l.description = (char *)(desc ? desc : old ? old->description : "");
	l.n = e ? e->n : old->n;
	l.entries = e ? e->v : old->entries;
	/* the first entry that is not a domain, if the list is an exception list */
	for (int i = 0; i < l.n; i++) {
		if (addrlist_entry_kind(l.entries[i]) == ADDRLIST_DOMAIN)
			continue;
		if (exception_list_refused(c, l.name, l.entries[i]))
			goto out;
		break;
	}
	if (addrlist_save(c->st, &l, &cause) < 0) {
		cli_error(c, "Cannot stage the address list %s: %s", l.name, cause);
		free(cause);
		goto out;
	}
	r = CMD_OK;
out:
	addrlist_table_free(&t);
	return r;
}

/* del - stage the removal of a list nothing names; error printed */
static enum cmd_ret
del(struct cli *c, const char *name)
{
	struct addrlist_table t;
	const struct addrlist *l;
	char *cause = NULL, *who = NULL, stored[ADDRLIST_NAME_MAX + 1];
	enum cmd_ret r = CMD_ERROR;

	if (load(c, &t) < 0)
		return CMD_ERROR;
	l = addrlist_find(&t, name);
	if (l == NULL) {
		cli_error(c, "There is no address list named %.100s.", name);
		addrlist_table_free(&t);
		return CMD_ERROR;
	}
	str_copy(stored, l->name, sizeof(stored));
	addrlist_table_free(&t);
	if (addrlist_users(c->st, stored, &who, &cause) < 0) {
		cli_error(c, "Cannot tell what uses the address list %s: %s", stored, cause);
		free(cause);
		return CMD_ERROR;
	}
	if (*who)
		cli_error(c, "The address list %s is in use by %s: change or remove %s first.",
		    stored, who, strchr(who, ',') ? "them" : "it");
	else if (addrlist_delete(c->st, stored, &cause) < 0) {
		cli_error(c, "Cannot stage the removal of %s: %s", stored, cause);
		free(cause);
	} else {
		r = CMD_OK;
	}
	free(who);
	return r;
}

/* print_one - one list, AsyncOS-like */
static void
print_one(struct cli *c, const struct addrlist *l)
{
	char *who = NULL, *cause = NULL;

	cli_printf(c, "Name:         %s\n", l->name);
	cli_printf(c, "Description:  %s\n", l->description[0] ? l->description : "none");
	cli_printf(c, "Type:         %s\n", type_names[list_type(l)]);
	cli_printf(c, "Entries:      ");
	for (int i = 0; i < l->n; i++)
		cli_printf(c, "%s%s", i ? ", " : "", l->entries[i]);
	cli_printf(c, "\n");
	if (addrlist_users(c->st, l->name, &who, &cause) < 0) {
		cli_printf(c, "Used by:      (cannot tell: %s)\n", cause);
		free(cause);
	} else if (*who) {
		cli_printf(c, "Used by:      %s\n", who);
	}
	free(who);
}

/* print - every list, or the one named; error printed */
static enum cmd_ret
print(struct cli *c, const char *name)
{
	struct addrlist_table t;
	const struct addrlist *l;
	enum cmd_ret r = CMD_OK;

	if (load(c, &t) < 0)
		return CMD_ERROR;
	if (name) {
		l = addrlist_find(&t, name);
		if (l)
			print_one(c, l);
		else {
			cli_error(c, "There is no address list named %.100s.", name);
			r = CMD_ERROR;
		}
	} else if (t.n == 0) {
		cli_printf(c, "No address lists are configured.\n");
	}
	for (int i = 0; name == NULL && i < t.n; i++) {
		if (i)
			cli_printf(c, "\n");
		print_one(c, &t.l[i]);
	}
	addrlist_table_free(&t);
	return r;
}

/* ---------------------------------------------------------- batch */

/* The values of a new or edit line. */
struct vals {
	char *desc;		/* description=, or NULL */
	struct entries e;	/* from domains=, addresses=, ips= */
	int has_entries;	/* one of them was given */
};

/* vals_set - cmd_keyset.set: description kept, entries checked by their key's kind */
static int
vals_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct vals *v = obj;
	unsigned takes;
	char what[32];

	if (strcmp(k->name, "description") == 0) {
		free(v->desc);
		v->desc = str_dup(value);
		return 0;
	}
	takes = strcmp(k->name, "domains") == 0 ? TAKES_DOMAIN :
	    strcmp(k->name, "ips") == 0 ? TAKES_IP : TAKES_ADDRESS | TAKES_DOMAIN;
	str_fmt(what, sizeof(what), "%s=", k->name);
	v->has_entries = 1;
	return entries_add(&v->e, value, takes, what, cause);
}

static const struct cmd_key list_keys[] = {
	{ .name = "description", .type = CMD_KEY_TEXT,
	    .help = "what the list is for (quote it when it holds blanks)" },
	{ .name = "domains", .type = CMD_KEY_LIST,
	    .help = "domains: @example.com, @.example.com (its subdomains), separated by commas" },
	{ .name = "addresses", .type = CMD_KEY_LIST,
	    .help = "email addresses and domains: user@example.com, user@, @example.com, ..." },
	{ .name = "ips", .type = CMD_KEY_LIST,
	    .help = "IP addresses and networks: 192.0.2.1, 10.0.0.0/8, 2001:db8::/32, ..." },
	{ .name = NULL },
};

static const struct cmd_keyset list_keyset = { .keys = list_keys, .set = vals_set,
	.flags = CMD_KEYS_JOIN_COMMA };

/* b_put - new NAME key=value... / edit NAME key=value... */
static enum cmd_ret
b_put(struct cli *c, const struct cmd_call *call)
{
	struct vals v = { NULL, { 0, NULL }, 0 };
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &v, NULL) == 0)
		r = put(c, call->argv[0], strcmp(call->sub->name, "new") == 0, v.desc,
		    v.has_entries ? &v.e : NULL);
	free(v.desc);
	entries_free(&v.e);
	return r;
}

static enum cmd_ret
b_delete(struct cli *c, const struct cmd_call *call)
{
	return del(c, call->argv[0]);
}

static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	return print(c, call->argc ? call->argv[0] : NULL);
}

/* ---------------------------------------------------------- dialogue */

/* A dialogue in progress. */
struct dlg {
	struct cli *c;
	int failed;		/* an operation was refused */
};

static void
note(struct dlg *d, enum cmd_ret r)
{
	if (r != CMD_OK)
		d->failed = 1;
}

/* pick - a list by number or name; ASK_BACK when there is none */
static enum ask_ret
pick(struct cli *c, const struct addrlist_table *t, const char *question, int *k)
{
	const char **names;
	enum ask_ret a;

	if (t->n == 0) {
		cli_printf(c, "No address lists are configured.\n");
		return ASK_BACK;
	}
	names = xcalloc((size_t)t->n, sizeof(char *));
	for (int i = 0; i < t->n; i++)
		names[i] = t->l[i].name;
	a = cli_ask_list(c, question, names, t->n, 0, k);
	free(names);
	return a;
}

/* ask_entries - a comma-separated line of entries of the kinds type takes, until valid */
static enum ask_ret
ask_entries(struct cli *c, int type, const char *def, struct entries *e)
{
	char *in = xmalloc(ANSWER_MAX), *cause = NULL;
	const char *q = "Enter the entries, separated by commas";
	enum ask_ret a;

	for (;;) {
		a = cli_ask(c, q, def, in, ANSWER_MAX);
		if (a != ASK_OK)
			break;
		entries_free(e);
		if (entries_add(e, in, type_takes[type], NULL, &cause) == 0 && e->n > 0)
			break;
		if (cause == NULL)
			cause = str_dup("An address list needs at least one entry.");
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
		q = NULL;
	}
	free(in);
	return a;
}

/* ask_new_name - a valid name no list has yet */
static enum ask_ret
ask_new_name(struct cli *c, const struct addrlist_table *t, char *out, size_t size)
{
	char *cause = NULL;
	enum ask_ret a;

	for (;;) {
		a = cli_ask(c, "Enter a name for the address list", NULL, out, size);
		if (a != ASK_OK)
			return a;
		if (addrlist_name_valid(out, &cause) < 0) {
			cli_error(c, "%s", cause);
			free(cause);
			cause = NULL;
		} else if (addrlist_find(t, out)) {
			cli_error(c, "There is already an address list named %s.",
			    addrlist_find(t, out)->name);
		} else {
			return ASK_OK;
		}
	}
}

/* dlg_new - NEW: name, description, type, entries */
static enum ask_ret
dlg_new(struct dlg *d, const struct addrlist_table *t)
{
	char name[ADDRLIST_NAME_MAX + 2], desc[ADDRLIST_DESC_MAX + 2];
	struct entries e = { 0, NULL };
	enum ask_ret a;
	int type;

	a = ask_new_name(d->c, t, name, sizeof(name));
	if (a == ASK_OK) {
		a = cli_ask(d->c, "Enter a description for the address list (empty for none)",
		    NULL, desc, sizeof(desc));
		if (a == ASK_BACK) {
			desc[0] = '\0';
			a = ASK_OK;
		}
	}
	if (a == ASK_OK)
		a = cli_ask_list(d->c, "Select the type of the address list:", type_names, NTYPES,
		    1, &type);
	if (a == ASK_OK)
		a = ask_entries(d->c, type, NULL, &e);
	if (a == ASK_OK)
		note(d, put(d->c, name, 1, desc, &e));
	entries_free(&e);
	return a;
}

/* dlg_edit - EDIT: the list, its description, type and entries (current ones as defaults) */
static enum ask_ret
dlg_edit(struct dlg *d, const struct addrlist_table *t)
{
	char desc[ADDRLIST_DESC_MAX + 2];
	struct entries e = { 0, NULL };
	const struct addrlist *l;
	struct buf cur;
	enum ask_ret a;
	int k, type;

	a = pick(d->c, t, "Choose the address list to edit:", &k);
	if (a != ASK_OK)
		return a;
	l = &t->l[k];
	a = cli_ask(d->c, "Enter a description for the address list (NONE for none)",
	    l->description[0] ? l->description : "none", desc, sizeof(desc));
	if (a == ASK_OK && strcasecmp(desc, "none") == 0)
		desc[0] = '\0';
	if (a == ASK_OK)
		a = cli_ask_list(d->c, "Select the type of the address list:", type_names, NTYPES,
		    list_type(l) + 1, &type);
	if (a != ASK_OK)
		return a;
	buf_init(&cur, 0);
	for (int i = 0; i < l->n; i++)
		buf_printf(&cur, "%s%s", i ? ", " : "", l->entries[i]);
	a = ask_entries(d->c, type, cur.len ? cur.data : NULL, &e);
	buf_free(&cur);
	if (a == ASK_OK)
		note(d, put(d->c, l->name, 0, desc, &e));
	entries_free(&e);
	return a;
}

/* summary - the lists, numbered, before the menu */
static void
summary(struct cli *c, const struct addrlist_table *t)
{
	cli_printf(c, "\n");
	if (t->n == 0)
		cli_printf(c, "No address lists are configured.\n");
	else
		cli_printf(c, "Address lists:\n");
	for (int i = 0; i < t->n; i++)
		cli_printf(c, "%d. %s (%s, %d entr%s)\n", i + 1, t->l[i].name,
		    type_names[list_type(&t->l[i])], t->l[i].n, t->l[i].n == 1 ? "y" : "ies");
}

/* dialog - the lists and the menu until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new address list." },
		{ "EDIT", "Modify an address list." },
		{ "DELETE", "Remove an address list." },
		{ "PRINT", "Display the contents of an address list." },
	};
	struct dlg d = { c, 0 };
	enum ask_ret a;
	int op, k;

	for (;;) {
		struct addrlist_table t;

		if (load(c, &t) < 0)
			return CMD_ERROR;
		summary(c, &t);
		a = cli_ask_menu(c, NULL, ops, 4, &op);
		if (a == ASK_OK) {
			if (op == 0)
				a = dlg_new(&d, &t);
			else if (op == 1)
				a = dlg_edit(&d, &t);
			else if ((a = pick(c, &t, op == 2 ? "Choose the address list to delete:" :
							    "Choose the address list to print:",
				      &k)) == ASK_OK)
				note(&d, op == 2 ? del(c, t.l[k].name) : print(c, t.l[k].name));
			/* an empty answer inside an operation returns to this menu */
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		addrlist_table_free(&t);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return d.failed ? CMD_ERROR : CMD_OK;
	}
}

/* ---------------------------------------------------------- the table */

static const struct cmd_word new_name[] = {
	{ "<NAME>", "the new list's name: a letter, then letters, digits, '_', '-', '.'", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word name_word[] = {
	{ "<NAME>", "an address list's name", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_sub addresslistconfig_subs[] = {
	{ .name = "new", .help = "Create an address list.", .args = new_name, .min_args = 1,
	    .keys = &list_keyset, .usage = USAGE_NEW, .exec = b_put },
	{ .name = "edit", .help = "Change the description or replace the entries of a list.",
	    .args = name_word, .min_args = 1, .keys = &list_keyset, .usage = USAGE_EDIT,
	    .exec = b_put },
	{ .name = "delete", .help = "Remove an address list nothing uses.", .args = name_word,
	    .min_args = 1, .max_args = 1, .usage = "addresslistconfig delete NAME",
	    .exec = b_delete },
	{ .name = "print", .help = "Display every address list, or one.", .args = name_word,
	    .max_args = 1, .usage = "addresslistconfig print [NAME]", .exec = b_print },
	{ .exec = NULL },
};

/* addresslistconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
addresslistconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_addresslistconfig_entry, argc, argv);
}

const struct cmd_entry cmd_addresslistconfig_entry = {
	.name = "addresslistconfig",
	.usage = "addresslistconfig\n" USAGE_NEW "\n" USAGE_EDIT "\n"
		 "addresslistconfig delete NAME\n"
		 "addresslistconfig print [NAME]",
	.help = "Configure address lists (addresses, domains, IP addresses).",
	.flags = CMD_F_CONFIG,
	.subs = addresslistconfig_subs,
	.exec = addresslistconfig_exec,
};
