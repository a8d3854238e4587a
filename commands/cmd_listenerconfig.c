/*
 * cmd_listenerconfig.c - `listenerconfig`: the SMTP listeners of mxgated.
 *
 * Built like smtproutes: the interactive menu (NEW, EDIT, DELETE, PRINT;
 * an empty answer goes back) and the batch forms share the checks below,
 * and every operation gathers all its answers before it stages one
 * change, so Ctrl-C in the middle of a dialogue changes nothing.
 *
 *   listenerconfig new NAME ip=IP port=N type=public|private [key=value...]
 *   listenerconfig edit NAME key=value...
 *   listenerconfig delete NAME
 *   listenerconfig print [NAME]
 *
 * The model (mail/listener.c) parses and normalises each value; this file
 * adds what needs the whole table: unique names (case-insensitive) and no
 * two listeners on the same address and port (a wildcard 0.0.0.0 or ::
 * collides with every address of its family on that port, since the
 * daemon could not bind both).
 *
 * DIAGNOSTICS: one error line per refused command, saying what was wrong
 * and what is allowed; nothing is staged then.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/cmd_listenerconfig.h"
#include "mail/listener.h"
#include "store/config.h"
#include "util/buf.h"
#include "util/str.h"

extern const struct cmd_entry cmd_listenerconfig_entry;

/* The listeners as this session sees them, ordered by name (any case). */
struct listeners {
	int n;
	struct listener_conf *v;
	char *cause;		/* first decoding error */
};

/* collect - config_item_cb adding one listener */
static int
collect(const char *section, const char *key, const char *value, void *arg)
{
	struct listeners *ls = arg;
	char *cause = NULL;

	ls->v = xrealloc(ls->v, sizeof(*ls->v) * (size_t)(ls->n + 1));
	if (listener_decode(key, value, &ls->v[ls->n], &cause) < 0) {
		ls->cause = str_printf("listener %s: %s", key, cause);
		free(cause);
		return 1;
	}
	ls->n++;
	return 0;
}

/* by_name - qsort order: names without regard to case */
static int
by_name(const void *a, const void *b)
{
	const struct listener_conf *x = a, *y = b;

	return strcasecmp(x->name, y->name);
}

/* listeners_load - read every listener, ordered by name; error printed */
static int
listeners_load(struct cli *c, struct listeners *ls)
{
	char *cause = NULL;

	memset(ls, 0, sizeof(*ls));
	if (config_list(c->st, LISTENER_SECTION, collect, ls, &cause) < 0 || ls->cause) {
		cli_error(c, "Cannot read the listeners: %s", cause ? cause : ls->cause);
		free(cause);
		free(ls->cause);
		free(ls->v);
		memset(ls, 0, sizeof(*ls));
		return -1;
	}
	if (ls->n > 1)
		qsort(ls->v, (size_t)ls->n, sizeof(*ls->v), by_name);
	return 0;
}

/* listeners_free - release a loaded table */
static void
listeners_free(struct listeners *ls)
{
	free(ls->v);
	free(ls->cause);
	memset(ls, 0, sizeof(*ls));
}

/* listeners_find - index by name (case-insensitive), or -1 */
static int
listeners_find(const struct listeners *ls, const char *name)
{
	for (int i = 0; i < ls->n; i++)
		if (strcasecmp(ls->v[i].name, name) == 0)
			return i;
	return -1;
}

/* check_name - 1..63 letters, digits, '_', '-', '.'; error printed */
static int
check_name(struct cli *c, const char *name)
{
	size_t n = strlen(name);
	const char *p = name;

	if (n > 0 && n <= LISTENER_NAME_MAX)
		for (; *p; p++)
			if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
			    !(*p >= '0' && *p <= '9') && *p != '_' && *p != '-' && *p != '.')
				break;
	if (n == 0 || n > LISTENER_NAME_MAX || *p) {
		cli_error(c, "Invalid listener name '%.100s': use 1 to %d letters, digits, '_', "
			     "'-' or '.'.",
		    name, LISTENER_NAME_MAX);
		return -1;
	}
	return 0;
}

/*
 * check_clash - another listener (not index self) with l's name, or on
 * l's address and port (mail/listener.h listener_clash); error printed
 */
static int
check_clash(struct cli *c, const struct listeners *ls, const struct listener_conf *l, int self)
{
	int by_name, i = listener_clash(ls->v, ls->n, l, self, &by_name);

	if (i < 0)
		return 0;
	if (by_name)
		cli_error(c, "A listener named %s already exists; choose another name or use "
			     "listenerconfig edit.",
		    ls->v[i].name);
	else
		cli_error(c, "The listener %s already listens on %s port %d; choose another "
			     "IP address or port.",
		    ls->v[i].name, ls->v[i].ip, ls->v[i].port);
	return -1;
}

/* stage - write one listener (or its removal, l NULL) to the candidate */
static int
stage(struct cli *c, const char *name, const struct listener_conf *l)
{
	char *cause = NULL, *json = l ? listener_encode(l) : NULL;
	int rc = l ? config_set(c->st, LISTENER_SECTION, name, json, &cause) :
		     config_delete(c->st, LISTENER_SECTION, name, &cause);

	free(json);
	if (rc < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
	}
	return rc;
}

/* not_found - the error for a missing listener */
static enum cmd_ret
not_found(struct cli *c, const char *name)
{
	cli_error(c, "There is no listener named %.100s; see listenerconfig print.", name);
	return CMD_ERROR;
}

/* set - cmd_keyset.set: one key=value onto a listener (listener_set checks it) */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	return listener_set(obj, k->name, value, cause);
}

static const char *const type_values[] = { "public", "private", NULL };
static const char *const tls_values[] = { "no", "preferred", "required", NULL };

/* The batch keys, in the order the dialogue asks and print shows them. */
static const struct cmd_key lkeys[] = {
	{ .name = "ip", .type = CMD_KEY_TEXT,
	    .help = "IPv4 or IPv6 address to listen on (0.0.0.0 or :: for all)" },
	{ .name = "port", .type = CMD_KEY_INT, .help = "TCP port, 1-65535" },
	{ .name = "type", .type = CMD_KEY_ENUM, .values = type_values,
	    .help = "public (incoming mail for domains=) or private (relay for relay=)" },
	{ .name = "domains", .type = CMD_KEY_LIST,
	    .help = "public: accepted domains @example.com,@.example.com (subdomains)" },
	{ .name = "relay", .type = CMD_KEY_LIST,
	    .help = "private: clients allowed to relay, IP or NETWORK/PREFIX, comma-separated" },
	{ .name = "tls", .type = CMD_KEY_ENUM, .values = tls_values,
	    .help = "STARTTLS: no (default), preferred or required" },
	{ .name = "max_size", .type = CMD_KEY_TEXT,
	    .help = "maximum message size in bytes, 1024-1G (default 10485760)" },
	{ .name = "max_rcpts", .type = CMD_KEY_INT,
	    .help = "maximum recipients per message, 1-100000 (default 1000)" },
	{ .name = "max_conns", .type = CMD_KEY_INT,
	    .help = "maximum concurrent connections, 1-100000 (default 1000)" },
	{ .name = NULL },
};

static const struct cmd_keyset keyset = { .keys = lkeys, .set = set };

/* check_whole - listener_validate; error printed */
static int
check_whole(struct cli *c, const struct listener_conf *l)
{
	char *cause = NULL;

	if (listener_validate(l, &cause) < 0) {
		cli_error(c, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- operations */

/* lst_new - batch NEW: every required key given, whole object valid, no clash */
static enum cmd_ret
lst_new(struct cli *c, const struct cmd_call *call)
{
	const char *name = call->argv[0];
	struct listener_conf l;
	struct listeners ls;
	unsigned given;
	enum cmd_ret ret = CMD_ERROR;

	if (check_name(c, name) < 0)
		return CMD_ERROR;
	listener_defaults(&l, name);
	if (cmd_keys_apply(c, call, &l, &given) < 0)
		return CMD_ERROR;
	if (check_whole(c, &l) < 0 || listeners_load(c, &ls) < 0)
		return CMD_ERROR;
	if (check_clash(c, &ls, &l, -1) == 0 && stage(c, l.name, &l) == 0)
		ret = CMD_OK;
	listeners_free(&ls);
	return ret;
}

/*
 * lst_edit - batch EDIT. Changing the type drops the list the new type
 * does not use (domains of a public listener, relay of a private one)
 * unless this same line sets it, so "type=private relay=10.0.0.0/8" works.
 */
static enum cmd_ret
lst_edit(struct cli *c, const struct cmd_call *call)
{
	const char *name = call->argv[0];
	struct listener_conf l;
	struct listeners ls;
	unsigned given;
	int i;
	enum cmd_ret ret = CMD_ERROR;

	if (listeners_load(c, &ls) < 0)
		return CMD_ERROR;
	i = listeners_find(&ls, name);
	if (i < 0) {
		listeners_free(&ls);
		return not_found(c, name);
	}
	l = ls.v[i];
	if (cmd_keys_apply(c, call, &l, &given) == 0) {
		if (l.type != ls.v[i].type) {
			if (l.type == LISTENER_PRIVATE && !cmd_keys_given(&keyset, given, "domains"))
				l.domains[0] = '\0';
			if (l.type == LISTENER_PUBLIC && !cmd_keys_given(&keyset, given, "relay"))
				l.relay[0] = '\0';
		}
		if (check_whole(c, &l) == 0 && check_clash(c, &ls, &l, i) == 0 &&
		    stage(c, l.name, &l) == 0)
			ret = CMD_OK;
	}
	listeners_free(&ls);
	return ret;
}

/* lst_delete - remove a listener */
static enum cmd_ret
lst_delete(struct cli *c, const struct cmd_call *call)
{
	const char *name = call->argv[0];
	struct listeners ls;
	int i;
	enum cmd_ret ret = CMD_ERROR;

	if (listeners_load(c, &ls) < 0)
		return CMD_ERROR;
	i = listeners_find(&ls, name);
	if (i < 0)
		ret = not_found(c, name);
	else if (stage(c, ls.v[i].name, NULL) == 0)
		ret = CMD_OK;
	listeners_free(&ls);
	return ret;
}

/* summary - "NAME (on IP) SMTP TCP Port N Public" (AsyncOS list form) */
static char *
summary(const struct listener_conf *l)
{
	return str_printf("%s (on %s) SMTP TCP Port %d %s", l->name, l->ip, l->port,
	    l->type == LISTENER_PUBLIC ? "Public" : "Private");
}

/* list_text - a stored comma list shown with a blank after each comma */
static char *
list_text(const char *list)
{
	struct buf b;

	buf_init(&b, 0);
	buf_addstr(&b, "");
	for (const char *p = list; *p; p++) {
		buf_addch(&b, *p);
		if (*p == ',')
			buf_addch(&b, ' ');
	}
	return buf_steal(&b);
}

void
listenerconfig_print_one(struct cli *c, const struct listener_conf *l)
{
	char *s = summary(l), *list;

	cli_printf(c, "%s\n", s);
	free(s);
	if (l->type == LISTENER_PUBLIC) {
		list = list_text(l->domains);
		cli_printf(c, "    Accepted domains:           %s\n", list);
	} else {
		list = list_text(l->relay);
		cli_printf(c, "    Clients allowed to relay:   %s\n", list);
	}
	free(list);
	cli_printf(c, "    Maximum message size:       %lld bytes\n", l->max_size);
	cli_printf(c, "    Maximum recipients:         %d per message\n", l->max_rcpts);
	cli_printf(c, "    Maximum connections:        %d\n", l->max_conns);
	cli_printf(c, "    TLS:                        %s\n", listener_tls_name(l->tls));
}

/* print - every listener, or the one named */
static enum cmd_ret
print(struct cli *c, const char *name)
{
	struct listeners ls;
	int i;

	if (listeners_load(c, &ls) < 0)
		return CMD_ERROR;
	if (name) {
		i = listeners_find(&ls, name);
		if (i < 0) {
			listeners_free(&ls);
			return not_found(c, name);
		}
		listenerconfig_print_one(c, &ls.v[i]);
	} else if (ls.n == 0) {
		cli_printf(c, "There are no listeners configured.\n");
	} else {
		for (i = 0; i < ls.n && !c->stopped; i++) {
			if (i)
				cli_printf(c, "\n");
			listenerconfig_print_one(c, &ls.v[i]);
		}
	}
	listeners_free(&ls);
	return CMD_OK;
}

/* ---------------------------------------------------------- dialogue */

/* ask_key - a text field, re-asked until listener_set takes it */
static enum ask_ret
ask_key(struct cli *c, struct listener_conf *l, const char *question, const char *key,
    const char *def)
{
	char in[LISTENER_LIST_MAX], *cause = NULL;
	enum ask_ret a;

	for (;;) {
		a = cli_ask(c, question, def, in, sizeof(in));
		if (a != ASK_OK)
			return a;
		if (listener_set(l, key, in, &cause) == 0)
			return ASK_OK;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
}

/* ask_choice - a numbered list answer for type or tls */
static enum ask_ret
ask_choice(struct cli *c, struct listener_conf *l, const char *question, const char *key,
    const char *const *items, int n, int cur)
{
	enum ask_ret a;
	char *cause = NULL;
	int idx;

	a = cli_ask_list(c, question, items, n, cur + 1, &idx);
	if (a != ASK_OK)
		return a;
	if (listener_set(l, key, items[idx], &cause) < 0) {
		free(cause);	/* the items are valid values */
		return ASK_ABORT;
	}
	return ASK_OK;
}

/*
 * ask_fields - every field after the name, the current values as
 * defaults; self is the listener's index when editing, else -1
 */
static enum ask_ret
ask_fields(struct cli *c, const struct listeners *ls, struct listener_conf *l, int self)
{
	static const char *const types[] = { "Public", "Private" };
	static const char *const tlss[] = { "No", "Preferred", "Required" };
	char num[32];
	enum listener_type old_type = l->type;
	enum ask_ret a;

	for (;;) {
		char port[16];

		a = ask_key(c, l, "Enter the IP address to listen on (0.0.0.0 or :: for all "
				  "addresses).",
		    "ip", l->ip[0] ? l->ip : NULL);
		if (a != ASK_OK)
			return a;
		str_fmt(port, sizeof(port), "%d", l->port);
		a = ask_key(c, l, "Enter the TCP port to listen on.", "port", port);
		if (a != ASK_OK)
			return a;
		if (check_clash(c, ls, l, self) == 0)
			break;
	}
	a = ask_choice(c, l, "Choose the type of listener:\n(Public: incoming mail for the "
			     "accepted domains; Private: outgoing mail from the listed clients)",
	    "type", types, 2, (int)l->type);
	if (a != ASK_OK)
		return a;
	if (l->type == LISTENER_PUBLIC) {
		if (old_type != LISTENER_PUBLIC)
			l->domains[0] = '\0';
		l->relay[0] = '\0';
		a = ask_key(c, l, "Enter the domains this listener accepts mail for, separated "
				  "by commas.\nUse @example.com for a domain and @.example.com for "
				  "its subdomains.",
		    "domains", l->domains[0] ? l->domains : NULL);
	} else {
		if (old_type != LISTENER_PRIVATE)
			l->relay[0] = '\0';
		l->domains[0] = '\0';
		a = ask_key(c, l, "Enter the client IP addresses or networks allowed to relay "
				  "through this listener, separated by commas\n(e.g. 192.168.1.5, "
				  "10.0.0.0/8, 2001:db8::/32).",
		    "relay", l->relay[0] ? l->relay : NULL);
	}
	if (a != ASK_OK)
		return a;
	str_fmt(num, sizeof(num), "%lld", l->max_size);
	a = ask_key(c, l, "Enter the maximum message size in bytes (K, M or G suffix allowed).",
	    "max_size", num);
	if (a != ASK_OK)
		return a;
	str_fmt(num, sizeof(num), "%d", l->max_rcpts);
	a = ask_key(c, l, "Enter the maximum number of recipients per message.", "max_rcpts", num);
	if (a != ASK_OK)
		return a;
	str_fmt(num, sizeof(num), "%d", l->max_conns);
	a = ask_key(c, l, "Enter the maximum number of concurrent connections.", "max_conns", num);
	if (a != ASK_OK)
		return a;
	return ask_choice(c, l, "Choose the TLS setting for incoming connections:", "tls", tlss,
	    3, (int)l->tls);
}

/* dialog_new - NEW */
static enum ask_ret
dialog_new(struct cli *c, const struct listeners *ls)
{
	struct listener_conf l;
	char name[128];
	enum ask_ret a;

	for (;;) {
		a = cli_ask_required(c, "Please create a name for this listener (Ex: "
					"\"InboundMail\"):",
		    name, sizeof(name));
		if (a != ASK_OK)
			return a;
		if (check_name(c, name) < 0)
			continue;
		if (listeners_find(ls, name) >= 0) {
			cli_error(c, "A listener named %s already exists; choose another name.",
			    name);
			continue;
		}
		break;
	}
	listener_defaults(&l, name);
	a = ask_fields(c, ls, &l, -1);
	if (a != ASK_OK)
		return a;
	if (check_whole(c, &l) == 0)
		stage(c, l.name, &l);
	return ASK_OK;
}

/* pick - numbered list of listeners; *idx chosen */
static enum ask_ret
pick(struct cli *c, const struct listeners *ls, const char *question, int *idx)
{
	char **items = xcalloc((size_t)ls->n, sizeof(char *));
	enum ask_ret a;

	for (int i = 0; i < ls->n; i++)
		items[i] = summary(&ls->v[i]);
	a = cli_ask_list(c, question, (const char *const *)items, ls->n, 0, idx);
	for (int i = 0; i < ls->n; i++)
		free(items[i]);
	free(items);
	return a;
}

/* dialog_edit - EDIT: pick a listener, then every field with its current value */
static enum ask_ret
dialog_edit(struct cli *c, const struct listeners *ls)
{
	struct listener_conf l;
	enum ask_ret a;
	int idx;

	if (ls->n == 0) {
		cli_printf(c, "There are no listeners configured.\n");
		return ASK_BACK;
	}
	a = pick(c, ls, "Enter the number of the listener you wish to edit.", &idx);
	if (a != ASK_OK)
		return a;
	l = ls->v[idx];
	a = ask_fields(c, ls, &l, idx);
	if (a != ASK_OK)
		return a;
	if (check_whole(c, &l) == 0)
		stage(c, l.name, &l);
	return ASK_OK;
}

/* dialog_delete - DELETE with confirmation */
static enum ask_ret
dialog_delete(struct cli *c, const struct listeners *ls)
{
	enum ask_ret a;
	char *q;
	int idx, yes = 0;

	if (ls->n == 0) {
		cli_printf(c, "There are no listeners configured.\n");
		return ASK_BACK;
	}
	a = pick(c, ls, "Enter the number of the listener you wish to delete.", &idx);
	if (a != ASK_OK)
		return a;
	q = str_printf("Are you sure you want to delete the listener %s?", ls->v[idx].name);
	a = cli_ask_yesno(c, q, 0, &yes);
	free(q);
	if (a == ASK_OK && yes)
		stage(c, ls->v[idx].name, NULL);
	return a;
}

/* dialog - the top menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new listener." },
		{ "EDIT", "Modify a listener." },
		{ "DELETE", "Remove a listener." },
		{ "PRINT", "Display the settings of every listener." },
	};
	struct listeners ls;
	enum ask_ret a;
	int op;

	for (;;) {
		if (listeners_load(c, &ls) < 0)
			return CMD_ERROR;
		cli_printf(c, "\n");
		if (ls.n == 0) {
			cli_printf(c, "There are no listeners configured.\n");
		} else {
			cli_printf(c, "Currently configured listeners:\n");
			for (int i = 0; i < ls.n; i++) {
				char *s = summary(&ls.v[i]);

				cli_printf(c, "%d. %s\n", i + 1, s);
				free(s);
			}
		}
		a = cli_ask_menu(c, NULL, ops, 4, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dialog_new(c, &ls);
				break;
			case 1:
				a = dialog_edit(c, &ls);
				break;
			case 2:
				a = dialog_delete(c, &ls);
				break;
			case 3:
				cli_printf(c, "\n");
				print(c, NULL);
				break;
			}
			/* an empty answer inside an operation returns to this menu */
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		listeners_free(&ls);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return CMD_OK;
	}
}

/* ---------------------------------------------------------- table entry */

/* lst_print - print [NAME] */
static enum cmd_ret
lst_print(struct cli *c, const struct cmd_call *call)
{
	return print(c, call->argc == 1 ? call->argv[0] : NULL);
}

static const struct cmd_word name_key_words[] = {
	{ "<NAME>", "listener name: letters, digits, '_', '-', '.'", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word name_words[] = {
	{ "<NAME>", "listener name", NULL },
	{ NULL, NULL, NULL },
};

static const char *const new_required[] = { "ip", "port", "type", NULL };

static const struct cmd_sub listenerconfig_subs[] = {
	{ .name = "new", .help = "Create a new listener.", .args = name_key_words, .min_args = 1,
	    .keys = &keyset, .required = new_required,
	    .needs = "a new listener needs ip=IP, port=N and type=public|private",
	    .exec = lst_new },
	{ .name = "edit", .help = "Modify a listener.", .args = name_key_words, .min_args = 1,
	    .keys = &keyset, .exec = lst_edit },
	{ .name = "delete", .help = "Remove a listener.", .args = name_words, .min_args = 1,
	    .max_args = 1, .exec = lst_delete },
	{ .name = "print", .help = "Display the settings of every listener, or of one.",
	    .args = name_words, .max_args = 1, .exec = lst_print },
	{ .exec = NULL },
};

/* listenerconfig_exec - the menu, or one batch operation */
static enum cmd_ret
listenerconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_listenerconfig_entry, argc, argv);
}

const struct cmd_entry cmd_listenerconfig_entry = {
	.name = "listenerconfig",
	.usage = "listenerconfig new NAME ip=IP port=N type=public|private [domains=@D,@.D...] "
		 "[relay=IP[/PREFIX],...] [tls=no|preferred|required] [max_size=BYTES] "
		 "[max_rcpts=N] [max_conns=N]\n"
		 "listenerconfig edit NAME key=value...\n"
		 "listenerconfig delete NAME\n"
		 "listenerconfig print [NAME]",
	.help = "Configure the SMTP listeners (interfaces and ports mail arrives on).",
	.flags = CMD_F_CONFIG,
	.subs = listenerconfig_subs,
	.exec = listenerconfig_exec,
};
