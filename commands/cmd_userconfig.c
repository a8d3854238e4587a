/*
 * cmd_userconfig.c - `userconfig`: the operator accounts (AsyncOS
 * userconfig), their roles, passwords, SSH keys, and the password rules.
 *
 *   userconfig                   the dialogue (NEW, EDIT, DELETE, POLICY, PASSWORD, STATUS, KEY)
 *   userconfig new NAME role=ROLE fullname="..." [password=PW] [key="ssh-ed25519 ..."]
 *   userconfig edit NAME [role=ROLE] [fullname="..."]
 *   userconfig delete NAME
 *   userconfig password NAME password=PW
 *   userconfig status NAME active|locked
 *   userconfig key NAME add LINE | delete N | print
 *   userconfig policy [min_length=N] [min_classes=N] [history=N] [max_age_days=N] [lockout=N]
 *   userconfig print
 *
 * Accounts are not configuration: a change to one takes effect at once
 * (store/users.h) and cannot be rolled back, like passwd(1). The password
 * rules are settings (users.*), pending until commit like every setting;
 * passwords are checked against the rules as committed. After an account
 * is made or deleted, mxgated's keeper is asked to make or remove its
 * system account for SSH logins; a problem it reports is a warning, the
 * account change stands.
 *
 * The built-in account admin is always there and always an administrator.
 * Nobody deletes or locks the account they are using, or changes its
 * role. A new account cannot take the name of a system account that
 * mxgated's keeper did not make (root, sshd, mxgate...).
 *
 * DIAGNOSTICS: one error line per refusal; nothing is changed then. A
 * password is never printed, echoed in an error, or logged (cmd_table.c
 * masks password= in cli_logs).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "commands/usercmd.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"

extern const struct cmd_entry cmd_userconfig_entry;

static const char *const role_values[] = { "admin", "operator", "readonly", "guest",
	"technician", NULL };

/* ---------------------------------------------------------- the accounts */

struct ulist {
	struct user *u;		/* every account, by name */
	int n;
};

/* list_cb - users_list callback: append */
static int
list_cb(const struct user *u, void *arg)
{
	struct ulist *l = arg;

	l->u = xrealloc(l->u, ((size_t)l->n + 1) * sizeof(*l->u));
	l->u[l->n++] = *u;
	return 0;
}

/* load - every account; error printed */
static int
load(struct cli *c, struct ulist *l)
{
	char *cause = NULL;

	l->u = NULL;
	l->n = 0;
	if (users_list(c->st, list_cb, l, &cause) < 0) {
		cli_error(c, "Cannot read the accounts: %s", cause);
		free(cause);
		free(l->u);
		l->u = NULL;
		return -1;
	}
	return 0;
}

/* print_list - `1. admin - "Administrator" (admin)` lines */
static void
print_list(struct cli *c, const struct ulist *l)
{
	cli_printf(c, "\nUsers:\n");
	for (int i = 0; i < l->n && !c->stopped; i++)
		cli_printf(c, "%d. %s - \"%s\" (%s)%s\n", i + 1, l->u[i].name, l->u[i].fullname,
		    users_role_name(l->u[i].role), l->u[i].locked ? " (locked)" : "");
}

/* get - one account: 0 found, 1 not found (error printed), -1 error printed */
static int
get(struct cli *c, const char *name, struct user *u)
{
	char *cause = NULL;
	int r = users_get(c->st, name, u, &cause);

	if (r < 0) {
		cli_error(c, "Cannot read the account %.40s: %s", name, cause);
		free(cause);
	} else if (r == 1) {
		cli_error(c, "There is no user named '%.40s'.", name);
	}
	return r;
}

/* fullname_ok - a full name: at most USER_FULL_MAX bytes, no control character */
static int
fullname_ok(const char *s, char **cause)
{
	if (strlen(s) > USER_FULL_MAX) {
		*cause = str_printf("The full name is too long (at most %d characters).",
		    USER_FULL_MAX);
		return -1;
	}
	if (cli_bad_char(s) >= 0 || strchr(s, '\t')) {
		*cause = str_dup("The full name cannot contain control characters.");
		return -1;
	}
	return 0;
}

/* fail - print *cause, free it; CMD_ERROR */
static enum cmd_ret
fail(struct cli *c, char *cause)
{
	cli_error(c, "%s", cause ? cause : "The store failed.");
	free(cause);
	return CMD_ERROR;
}

/* ---------------------------------------------------------- operations */

/* What a new or edited account gets; empty / -1: not given. */
struct uvals {
	char fullname[USER_FULL_MAX + 1];
	int has_fullname;
	int role;
	char pw[PASSWORD_MAX + 1];
	int has_pw;
	char *key;		/* malloc'd, checked */
};

/* uvals_free - wipe the password, free the key */
static void
uvals_free(struct uvals *v)
{
	explicit_bzero(v->pw, sizeof(v->pw));
	free(v->key);
	v->key = NULL;
}

/* do_new - a new account with what v gives; nothing made unless all of it is right */
static enum cmd_ret
do_new(struct cli *c, const char *name, const struct uvals *v)
{
	struct user u;
	char hash[PWHASH_MAX], *cause = NULL;
	int r;

	if (users_name_ok(name, &cause) < 0 || usercmd_name_free(name, &cause) < 0)
		return fail(c, cause);
	if ((r = users_get(c->st, name, &u, &cause)) < 0)
		return fail(c, cause);
	if (r == 0) {
		cli_error(c, "User %s already exists.", name);
		return CMD_ERROR;
	}
	if (v->has_fullname && fullname_ok(v->fullname, &cause) < 0)
		return fail(c, cause);
	if (v->has_pw && usercmd_new_password(c, name, v->pw, 0) < 0)
		return CMD_ERROR;
	if (v->has_pw) {
		if (pwhash_init() < 0)
			return fail(c, str_dup("Cannot hash the password: libsodium does not "
					       "start."));
		if (pwhash_make(v->pw, hash, &cause) < 0)
			return fail(c, cause);
	}
	r = users_add(c->st, name, v->fullname, (enum user_role)v->role, v->has_pw ? hash : NULL,
	    &cause);
	explicit_bzero(hash, sizeof(hash));
	if (r < 0)
		return fail(c, cause);
	if (v->key && users_key_add(c->st, name, v->key, &cause) < 0) {
		char *undo = NULL;

		/* all or nothing: the account goes again */
		cli_error(c, "Cannot add the key of %s: %s", name, cause);
		free(cause);
		if (users_delete(c->st, name, &undo) < 0) {
			cli_error(c, "User %s was created without its key: %s", name, undo);
			free(undo);
		}
		return CMD_ERROR;
	}
	cli_printf(c, "User %s created.\n", name);
	usercmd_sync_accounts(c, name, 0);
	return CMD_OK;
}

/* do_edit - full name and role */
static enum cmd_ret
do_edit(struct cli *c, const char *name, const struct uvals *v)
{
	struct user u;
	char *cause = NULL;

	if (get(c, name, &u) != 0)
		return CMD_ERROR;
	if (v->has_fullname && fullname_ok(v->fullname, &cause) < 0)
		return fail(c, cause);
	if (v->role >= 0 && v->role != ROLE_ADMIN && strcmp(u.name, USER_BUILTIN) == 0) {
		cli_error(c, "The %s account is built in; its role stays admin.", USER_BUILTIN);
		return CMD_ERROR;
	}
	/* as with locking or deleting it: nobody demotes the account they are using */
	if (v->role >= 0 && v->role != (int)u.role && strcmp(u.name, c->user) == 0) {
		cli_error(c, "You cannot change the role of the account you are logged in with.");
		return CMD_ERROR;
	}
	if (users_update(c->st, u.name, v->has_fullname ? v->fullname : u.fullname,
	    v->role >= 0 ? (enum user_role)v->role : u.role, &cause) < 0)
		return fail(c, cause);
	cli_printf(c, "User %s changed.\n", u.name);
	return CMD_OK;
}

/* do_delete - an account that is not admin nor the caller's */
static enum cmd_ret
do_delete(struct cli *c, const char *name)
{
	struct user u;
	char *cause = NULL;

	if (get(c, name, &u) != 0)
		return CMD_ERROR;
	if (strcmp(u.name, USER_BUILTIN) == 0) {
		cli_error(c, "The %s account is built in and cannot be deleted.", USER_BUILTIN);
		return CMD_ERROR;
	}
	if (strcmp(u.name, c->user) == 0) {
		cli_error(c, "You cannot delete the account you are logged in with.");
		return CMD_ERROR;
	}
	if (users_delete(c->st, u.name, &cause) < 0)
		return fail(c, cause);
	cli_printf(c, "User %s deleted.\n", u.name);
	usercmd_sync_accounts(c, u.name, 1);
	return CMD_OK;
}

/* do_password - a new password (checked against the rules and the history) */
static enum cmd_ret
do_password(struct cli *c, const char *name, const char *pw)
{
	struct user u;

	if (get(c, name, &u) != 0)
		return CMD_ERROR;
	if (usercmd_new_password(c, u.name, pw, 1) < 0 || usercmd_set_password(c, u.name, pw) < 0)
		return CMD_ERROR;
	cli_printf(c, "The password of %s was changed.\n", u.name);
	return CMD_OK;
}

/* do_status - lock or unlock */
static enum cmd_ret
do_status(struct cli *c, const char *name, int locked)
{
	struct user u;
	char *cause = NULL;

	if (get(c, name, &u) != 0)
		return CMD_ERROR;
	if (locked && strcmp(u.name, c->user) == 0) {
		cli_error(c, "You cannot lock the account you are logged in with.");
		return CMD_ERROR;
	}
	if (users_set_locked(c->st, u.name, locked, &cause) < 0)
		return fail(c, cause);
	cli_printf(c, locked ? "User %s locked.\n" : "User %s unlocked.\n", u.name);
	return CMD_OK;
}

/* key_line_cb - users_keys callback: "1. ssh-ed25519 AAAA...XYZ comment" */
static int
key_line_cb(int index, const char *key, void *arg)
{
	struct cli *c = arg;
	const char *sp = strchr(key, ' ');
	const char *blob = sp ? sp + 1 : "";
	size_t blen = strcspn(blob, " ");
	const char *comment = blob + blen;

	/* the blob shortened to its ends: enough to tell keys apart, one line on a terminal */
	if (blen > 24)
		cli_printf(c, "%d. %.*s %.12s...%.12s%s\n", index, (int)(sp ? sp - key : 0), key,
		    blob, blob + blen - 12, comment);
	else
		cli_printf(c, "%d. %s\n", index, key);
	return 0;
}

/* do_key_print - the keys of an account, numbered */
static enum cmd_ret
do_key_print(struct cli *c, const struct user *u)
{
	char *cause = NULL;

	if (u->nkeys == 0) {
		cli_printf(c, "User %s has no SSH keys.\n", u->name);
		return CMD_OK;
	}
	cli_printf(c, "SSH keys of %s:\n", u->name);
	if (users_keys(c->st, u->name, key_line_cb, c, &cause) < 0)
		return fail(c, cause);
	return CMD_OK;
}

/* do_key_add - one checked key line (normalised in place) */
static enum cmd_ret
do_key_add(struct cli *c, const struct user *u, char *line)
{
	char *cause = NULL;

	if (usercmd_key_check(line, &cause) < 0 || users_key_add(c->st, u->name, line, &cause) < 0)
		return fail(c, cause);
	cli_printf(c, "Key added to %s.\n", u->name);
	/* its first way in: the system account is made now (daemon/acctd.c) */
	if (!u->has_password && u->nkeys == 0)
		usercmd_sync_accounts(c, u->name, 0);
	return CMD_OK;
}

/* do_key_delete - key number idx (1-based) */
static enum cmd_ret
do_key_delete(struct cli *c, const struct user *u, long idx)
{
	char *cause = NULL;

	if (idx < 1 || idx > u->nkeys) {
		if (u->nkeys == 0)
			cli_error(c, "User %s has no SSH keys.", u->name);
		else
			cli_error(c, "User %s has %d SSH key%s: give a number from 1 to %d.",
			    u->name, u->nkeys, u->nkeys == 1 ? "" : "s", u->nkeys);
		return CMD_ERROR;
	}
	if (users_key_delete(c->st, u->name, (int)idx, &cause) < 0)
		return fail(c, cause);
	cli_printf(c, "Key %ld of %s deleted.\n", idx, u->name);
	/* its last way in: the system account goes */
	if (!u->has_password && u->nkeys == 1)
		usercmd_sync_accounts(c, u->name, 1);
	return CMD_OK;
}

/* ---------------------------------------------------------- the password rules */

static const char *const policy_names[5] = { "users.min_length", "users.min_classes",
	"users.history", "users.max_age_days", "users.lockout" };

/* print_policy - the rules as this session sees them (pending changes included) */
static void
print_policy(struct cli *c)
{
	long v[5];

	for (int i = 0; i < 5; i++)
		v[i] = settings_get_int(c->st, policy_names[i]);
	cli_printf(c, "\nPassword rules:\n");
	cli_printf(c, "%-34s %ld characters\n", "Minimum length:", v[0]);
	cli_printf(c, "%-34s %ld of 4 (lower case, upper case, digits, others)\n",
	    "Character classes required:", v[1]);
	cli_printf(c, "%-34s %ld\n", "Previous passwords refused:", v[2]);
	if (v[3] == 0)
		cli_printf(c, "%-34s never\n", "Passwords expire:");
	else
		cli_printf(c, "%-34s after %ld days\n", "Passwords expire:", v[3]);
	if (v[4] == 0)
		cli_printf(c, "%-34s never\n", "Lock an account:");
	else
		cli_printf(c, "%-34s after %ld failed logins\n", "Lock an account:", v[4]);
}

/* stage_policy - stage the values given (NULL: leave), all or none */
static enum cmd_ret
stage_policy(struct cli *c, char *const vals[5])
{
	char *cause = NULL;
	int rc = 0;

	if (config_begin(c->st, &cause) < 0)
		return fail(c, cause);
	for (int i = 0; i < 5 && rc == 0; i++)
		if (vals[i])
			rc = settings_stage(c->st, policy_names[i], vals[i], &cause);
	if (config_end(c->st, rc == 0, rc == 0 ? &cause : NULL) < 0 && rc == 0)
		rc = -1;
	if (rc < 0)
		return fail(c, cause);
	cli_printf(c, "The password rules are pending until you commit them.\n");
	return CMD_OK;
}

/* ---------------------------------------------------------- dialogue */

/* pick - an account by number or name; first skips the first accounts (none) */
static enum ask_ret
pick(struct cli *c, const struct ulist *l, const char *question, int *idx)
{
	const char **items = xcalloc((size_t)l->n + 1, sizeof(char *));
	enum ask_ret a;

	for (int i = 0; i < l->n; i++)
		items[i] = l->u[i].name;
	a = cli_ask_list(c, question, items, l->n, 0, idx);
	free(items);
	return a;
}

/* ask_role - the role list; def is the current role (or -1: none) */
static enum ask_ret
ask_role(struct cli *c, const char *name, int def, int *role)
{
	static const char *const items[] = {
		"admin - every command, the accounts included",
		"operator - everything but the accounts and the audit trail's settings",
		"readonly - looks at everything, changes nothing",
		"guest - status and logs only",
		"technician - status, logs, the queue and the quarantines",
	};
	char *q = str_printf("Assign a role to \"%s\":", name);
	enum ask_ret a = cli_ask_list(c, q, items, ROLE_COUNT, def + 1, role);

	free(q);
	return a;
}

/* ask_key - "Paste the public key" until one checks or the answer is empty */
static enum ask_ret
ask_key(struct cli *c, char **key)
{
	char *line = xmalloc(USER_KEY_MAX + 2), *cause = NULL;
	enum ask_ret a;

	for (;;) {
		a = cli_ask(c, "Paste the SSH public key (one line, as in id_ed25519.pub):", NULL,
		    line, USER_KEY_MAX + 2);
		if (a != ASK_OK || *line == '\0') {
			free(line);
			return a == ASK_OK ? ASK_BACK : a;
		}
		if (usercmd_key_check(line, &cause) == 0)
			break;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
	*key = line;
	return ASK_OK;
}

/* dlg_new - NEW */
static enum ask_ret
dlg_new(struct cli *c, int *failed)
{
	struct uvals v = { .role = -1 };
	struct user u;
	char name[USER_NAME_MAX + 2], *q, *cause = NULL;
	enum ask_ret a;
	int yes, r;

	for (;;) {
		a = cli_ask_required(c, "Enter the new username.", name, sizeof(name));
		if (a != ASK_OK)
			return a;
		if (users_name_ok(name, &cause) < 0 || usercmd_name_free(name, &cause) < 0) {
			cli_error(c, "%s", cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if ((r = users_get(c->st, name, &u, &cause)) < 0) {
			*failed = 1;
			fail(c, cause);
			return ASK_BACK;
		}
		if (r == 0) {
			cli_error(c, "User %s already exists.", name);
			continue;
		}
		break;
	}
	q = str_printf("Enter the full name for %s.", name);
	for (;;) {
		a = cli_ask_required(c, q, v.fullname, sizeof(v.fullname));
		if (a != ASK_OK || fullname_ok(v.fullname, &cause) == 0)
			break;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
	free(q);
	v.has_fullname = 1;
	if (a == ASK_OK)
		a = ask_role(c, name, -1, &v.role);
	if (a == ASK_OK)
		a = cli_ask_yesno(c, "Do you want to set a password for this user?", 1, &yes);
	if (a == ASK_OK && yes) {
		a = usercmd_ask_new_password(c, name, NULL, 0, v.pw, sizeof(v.pw));
		v.has_pw = a == ASK_OK;
		if (a == ASK_BACK)
			*failed = 1;	/* no account without the password asked for */
	}
	if (a == ASK_OK)
		a = cli_ask_yesno(c, "Do you want to add an SSH public key for this user?", 0,
		    &yes);
	if (a == ASK_OK && yes)
		a = ask_key(c, &v.key);
	if (a == ASK_OK && do_new(c, name, &v) != CMD_OK)
		*failed = 1;
	uvals_free(&v);
	return a;
}

/* dlg_edit - EDIT */
static enum ask_ret
dlg_edit(struct cli *c, const struct ulist *l, int *failed)
{
	struct uvals v = { .role = -1, .has_fullname = 1 };
	const struct user *u;
	char *q, *cause = NULL;
	enum ask_ret a;
	int idx;

	a = pick(c, l, "Enter the user name or number to edit.", &idx);
	if (a != ASK_OK)
		return a;
	u = &l->u[idx];
	q = str_printf("Enter the full name for %s.", u->name);
	for (;;) {
		a = cli_ask(c, q, u->fullname, v.fullname, sizeof(v.fullname));
		if (a != ASK_OK || fullname_ok(v.fullname, &cause) == 0)
			break;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
	free(q);
	if (a == ASK_OK && strcmp(u->name, USER_BUILTIN) != 0)
		a = ask_role(c, u->name, (int)u->role, &v.role);
	if (a == ASK_OK && do_edit(c, u->name, &v) != CMD_OK)
		*failed = 1;
	return a;
}

/* dlg_delete - DELETE, confirmed */
static enum ask_ret
dlg_delete(struct cli *c, const struct ulist *l, int *failed)
{
	char *q;
	enum ask_ret a;
	int idx, yes = 0;

	a = pick(c, l, "Enter the user name or number to delete.", &idx);
	if (a != ASK_OK)
		return a;
	q = str_printf("Are you sure you want to delete \"%s\"?", l->u[idx].name);
	a = cli_ask_yesno(c, q, 0, &yes);
	free(q);
	if (a == ASK_OK && yes && do_delete(c, l->u[idx].name) != CMD_OK)
		*failed = 1;
	return a;
}

/* dlg_policy - POLICY: each rule with its current value as default */
static enum ask_ret
dlg_policy(struct cli *c, int *failed)
{
	static const char *const qs[5] = {
		"Enter the minimum length of a password.",
		"How many character classes (lower case, upper case, digits, others) must a "
		"password use?",
		"How many previous passwords may not be used again?",
		"After how many days does a password expire? (0: never)",
		"After how many failed logins is an account locked? (0: never)",
	};
	char *vals[5] = { NULL };
	enum ask_ret a = ASK_OK;

	print_policy(c);
	for (int i = 0; i < 5 && a == ASK_OK; i++) {
		const struct setting_def *d = settings_find(policy_names[i]);
		long n;

		if (d == NULL) {
			cli_error(c, "The setting %s is missing.", policy_names[i]);
			*failed = 1;
			a = ASK_BACK;
			break;
		}
		a = cli_ask_number(c, qs[i], settings_get_int(c->st, policy_names[i]), d->min,
		    d->max, &n);
		if (a == ASK_OK)
			vals[i] = str_printf("%ld", n);
	}
	if (a == ASK_OK && stage_policy(c, vals) != CMD_OK)
		*failed = 1;
	for (int i = 0; i < 5; i++)
		free(vals[i]);
	return a;
}

/* dlg_password - PASSWORD */
static enum ask_ret
dlg_password(struct cli *c, const struct ulist *l, int *failed)
{
	char pw[PASSWORD_MAX + 2];
	enum ask_ret a;
	int idx;

	a = pick(c, l, "Enter the user name or number whose password to change.", &idx);
	if (a != ASK_OK)
		return a;
	a = usercmd_ask_new_password(c, l->u[idx].name, NULL, 1, pw, sizeof(pw));
	if (a == ASK_BACK)
		*failed = 1;	/* the tries ran out */
	if (a == ASK_OK) {
		if (usercmd_set_password(c, l->u[idx].name, pw) < 0)
			*failed = 1;
		else
			cli_printf(c, "The password of %s was changed.\n", l->u[idx].name);
	}
	explicit_bzero(pw, sizeof(pw));
	return a;
}

/* dlg_status - STATUS: lock an active account, unlock a locked one */
static enum ask_ret
dlg_status(struct cli *c, const struct ulist *l, int *failed)
{
	const struct user *u;
	char *q;
	enum ask_ret a;
	int idx, yes = 0;

	a = pick(c, l, "Enter the user name or number to lock or unlock.", &idx);
	if (a != ASK_OK)
		return a;
	u = &l->u[idx];
	q = str_printf(u->locked ? "User %s is locked. Do you want to unlock it?" :
				   "User %s is active. Do you want to lock it?", u->name);
	a = cli_ask_yesno(c, q, 0, &yes);
	free(q);
	if (a == ASK_OK && yes && do_status(c, u->name, !u->locked) != CMD_OK)
		*failed = 1;
	return a;
}

/* dlg_key - KEY: the keys of one account, NEW and DELETE until an empty answer */
static enum ask_ret
dlg_key(struct cli *c, const struct ulist *l, int *failed)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Add an SSH public key." },
		{ "DELETE", "Remove an SSH public key." },
	};
	struct user u;
	char name[USER_NAME_MAX + 1];
	enum ask_ret a;
	int idx, op;
	long n;

	a = pick(c, l, "Enter the user name or number whose SSH keys to manage.", &idx);
	if (a != ASK_OK)
		return a;
	str_copy(name, l->u[idx].name, sizeof(name));
	for (;;) {
		char *key = NULL;

		if (get(c, name, &u) != 0) {
			*failed = 1;
			return ASK_BACK;
		}
		cli_printf(c, "\n");
		if (do_key_print(c, &u) != CMD_OK)
			*failed = 1;
		a = cli_ask_menu(c, NULL, ops, 2, &op);
		if (a != ASK_OK)
			return a;
		if (op == 0) {
			a = ask_key(c, &key);
			if (a == ASK_OK && do_key_add(c, &u, key) != CMD_OK)
				*failed = 1;
			free(key);
		} else if (u.nkeys == 0) {
			cli_printf(c, "There are no keys to delete.\n");
			continue;
		} else {
			a = cli_ask_number(c, "Enter the number of the key to delete (0: none).",
			    0, 0, u.nkeys, &n);
			if (a == ASK_OK && n > 0 && do_key_delete(c, &u, n) != CMD_OK)
				*failed = 1;
		}
		if (a == ASK_ABORT)
			return a;
	}
}

/* dialog - the account list and the menu until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Create a new account." },
		{ "EDIT", "Modify an account." },
		{ "DELETE", "Remove an account." },
		{ "POLICY", "Change the password rules." },
		{ "PASSWORD", "Change the password of an account." },
		{ "STATUS", "Lock or unlock an account." },
		{ "KEY", "Manage the SSH public keys of an account." },
	};
	struct ulist l;
	enum ask_ret a;
	int op, failed = 0;

	for (;;) {
		if (load(c, &l) < 0)
			return CMD_ERROR;
		print_list(c, &l);
		a = cli_ask_menu(c, NULL, ops, 7, &op);
		if (a == ASK_OK) {
			switch (op) {
			case 0:
				a = dlg_new(c, &failed);
				break;
			case 1:
				a = dlg_edit(c, &l, &failed);
				break;
			case 2:
				a = dlg_delete(c, &l, &failed);
				break;
			case 3:
				a = dlg_policy(c, &failed);
				break;
			case 4:
				a = dlg_password(c, &l, &failed);
				break;
			case 5:
				a = dlg_status(c, &l, &failed);
				break;
			case 6:
				a = dlg_key(c, &l, &failed);
				break;
			}
			if (a == ASK_BACK)
				a = ASK_OK;
		}
		free(l.u);
		if (a == ASK_ABORT)
			return CMD_ABORTED;
		if (a == ASK_BACK)
			return failed ? CMD_ERROR : CMD_OK;
	}
}

/* ---------------------------------------------------------- batch */

/* uvals_set - cmd_keyset.set */
static int
uvals_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct uvals *v = obj;

	if (strcmp(k->name, "role") == 0) {
		v->role = users_role_parse(value);
		if (v->role < 0) {
			*cause = str_printf("Unknown role '%.40s'.", value);
			return -1;
		}
	} else if (strcmp(k->name, "fullname") == 0) {
		if (fullname_ok(value, cause) < 0)
			return -1;
		str_copy(v->fullname, value, sizeof(v->fullname));
		v->has_fullname = 1;
	} else if (strcmp(k->name, "password") == 0) {
		/* never echoed: the value is a secret */
		if (*value == '\0') {
			*cause = str_dup("The password is empty.");
			return -1;
		}
		if (str_copy(v->pw, value, sizeof(v->pw)) < 0) {
			*cause = str_printf("The password is too long (at most %d characters).",
			    PASSWORD_MAX);
			return -1;
		}
		v->has_pw = 1;
	} else if (strcmp(k->name, "key") == 0) {
		char *line = str_dup(value);

		if (usercmd_key_check(line, cause) < 0) {
			free(line);
			return -1;
		}
		free(v->key);
		v->key = line;
	}
	return 0;
}

static const struct cmd_key new_keys[] = {
	{ .name = "role", .type = CMD_KEY_ENUM, .values = role_values, .check = cmd_keys_enum,
	    .help = "admin, operator, readonly, guest or technician" },
	{ .name = "fullname", .type = CMD_KEY_TEXT, .help = "the person's name, quoted" },
	{ .name = "password", .type = CMD_KEY_TEXT,
	    .help = "the password (checked against the committed password rules)" },
	{ .name = "key", .type = CMD_KEY_TEXT,
	    .help = "an SSH public key line, quoted: \"ssh-ed25519 AAAA... comment\"" },
	{ .name = NULL },
};

static const struct cmd_keyset new_set = { .keys = new_keys, .set = uvals_set,
	.flags = CMD_KEYS_NO_ECHO };

static const struct cmd_key edit_keys[] = {
	{ .name = "role", .type = CMD_KEY_ENUM, .values = role_values, .check = cmd_keys_enum,
	    .help = "admin, operator, readonly, guest or technician" },
	{ .name = "fullname", .type = CMD_KEY_TEXT, .help = "the person's name, quoted" },
	{ .name = NULL },
};

static const struct cmd_keyset edit_set = { .keys = edit_keys, .set = uvals_set };

static const struct cmd_key pw_keys[] = {
	{ .name = "password", .type = CMD_KEY_TEXT,
	    .help = "the new password (checked against the committed rules and the history)" },
	{ .name = NULL },
};

static const struct cmd_keyset pw_set = { .keys = pw_keys, .set = uvals_set,
	.flags = CMD_KEYS_NO_ECHO };

/* policy_set - cmd_keyset.set: keep the checked value for its setting */
static int
policy_set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	char **vals = obj;

	(void)cause;
	for (int i = 0; i < 5; i++)
		if (strcmp(k->setting, policy_names[i]) == 0) {
			free(vals[i]);
			vals[i] = str_dup(value);
		}
	return 0;
}

static const struct cmd_key policy_keys[] = {
	{ .name = "min_length", .type = CMD_KEY_INT, .setting = "users.min_length",
	    .check = cmd_keys_setting, .help = "the shortest password, 6 to 128 characters" },
	{ .name = "min_classes", .type = CMD_KEY_INT, .setting = "users.min_classes",
	    .check = cmd_keys_setting,
	    .help = "character classes a password uses (lower, upper, digits, others), 0 to 4" },
	{ .name = "history", .type = CMD_KEY_INT, .setting = "users.history",
	    .check = cmd_keys_setting,
	    .help = "previous passwords that may not be reused, 0 to 20" },
	{ .name = "max_age_days", .type = CMD_KEY_INT, .setting = "users.max_age_days",
	    .check = cmd_keys_setting,
	    .help = "days before a password expires, 0 (never) to 3650" },
	{ .name = "lockout", .type = CMD_KEY_INT, .setting = "users.lockout",
	    .check = cmd_keys_setting,
	    .help = "failed password logins that lock an account, 0 (never) to 100" },
	{ .name = NULL },
};

static const struct cmd_keyset policy_set_keys = { .keys = policy_keys, .set = policy_set };

static enum cmd_ret
b_new(struct cli *c, const struct cmd_call *call)
{
	struct uvals v = { .role = -1 };
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &v, NULL) == 0)
		r = do_new(c, call->argv[0], &v);
	uvals_free(&v);
	return r;
}

static enum cmd_ret
b_edit(struct cli *c, const struct cmd_call *call)
{
	struct uvals v = { .role = -1 };

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
b_password(struct cli *c, const struct cmd_call *call)
{
	struct uvals v = { .role = -1 };
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, &v, NULL) == 0)
		r = do_password(c, call->argv[0], v.pw);
	uvals_free(&v);
	return r;
}

static enum cmd_ret
b_status(struct cli *c, const struct cmd_call *call)
{
	return do_status(c, call->argv[0], strcasecmp(call->argv[1], "locked") == 0);
}

static enum cmd_ret
b_key(struct cli *c, const struct cmd_call *call)
{
	const char *op = call->argv[1];
	struct user u;
	char *line;
	enum cmd_ret r;
	long n;

	if (get(c, call->argv[0], &u) != 0)
		return CMD_ERROR;
	if (str_casecmp_prefix(op, "print")) {
		if (call->argc != 2)
			return cmd_usage_error(c, call->entry, "userconfig key");
		return do_key_print(c, &u);
	}
	if (str_casecmp_prefix(op, "delete")) {
		if (call->argc != 3)
			return cmd_usage_error(c, call->entry, "userconfig key");
		if (str_to_long(call->argv[2], 1, USER_KEYS_MAX, &n) < 0) {
			cli_error(c, "Invalid key number '%.20s': give the number key print shows.",
			    call->argv[2]);
			return CMD_ERROR;
		}
		return do_key_delete(c, &u, n);
	}
	/* add: the rest of the line, quoted or not, is the key */
	if (call->argc < 3)
		return cmd_usage_error(c, call->entry, "userconfig key");
	line = str_dup(call->argv[2]);
	for (int i = 3; i < call->argc; i++) {
		char *t = str_printf("%s %s", line, call->argv[i]);

		free(line);
		line = t;
	}
	r = do_key_add(c, &u, line);
	free(line);
	return r;
}

static enum cmd_ret
b_policy(struct cli *c, const struct cmd_call *call)
{
	char *vals[5] = { NULL };
	unsigned given = 0;
	enum cmd_ret r = CMD_ERROR;

	if (cmd_keys_apply(c, call, vals, &given) < 0)
		goto out;
	if (given == 0) {
		print_policy(c);
		r = CMD_OK;
		goto out;
	}
	r = stage_policy(c, vals);
out:
	for (int i = 0; i < 5; i++)
		free(vals[i]);
	return r;
}

static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	struct ulist l;

	(void)call;
	if (load(c, &l) < 0)
		return CMD_ERROR;
	print_list(c, &l);
	free(l.u);
	print_policy(c);
	return CMD_OK;
}

static const struct cmd_word new_name[] = {
	{ "<NAME>", "the new user name: a lower-case letter, then a-z, 0-9, '_', '.', '-'",
	    NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word name_word[] = {
	{ "<NAME>", "an existing user name", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word status_words[] = {
	{ "active", "unlock the account (its failed logins forgotten)", NULL },
	{ "locked", "lock the account: no login by any means", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word status_args[] = {
	{ "<NAME>", "an existing user name", status_words },
	{ NULL, NULL, NULL },
};

static const struct cmd_word key_line[] = {
	{ "<LINE>", "the public key: \"ssh-ed25519 AAAA... comment\"", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word key_number[] = {
	{ "<N>", "the key's number, as key print shows it", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word key_ops[] = {
	{ "add", "add an SSH public key", key_line },
	{ "delete", "remove the key of this number", key_number },
	{ "print", "list the account's keys", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word key_args[] = {
	{ "<NAME>", "an existing user name", key_ops },
	{ NULL, NULL, NULL },
};

static const char *const new_required[] = { "role", "fullname", NULL };
static const char *const pw_required[] = { "password", NULL };

#define USAGE(op) "userconfig " op
static const struct cmd_sub u_subs[] = {
	{ .name = "new", .help = "Create an account.", .args = new_name, .min_args = 1,
	    .keys = &new_set, .required = new_required,
	    .needs = "a new account needs role= and fullname=",
	    .usage = USAGE("new NAME role=ROLE fullname=\"...\" [password=PW] "
			   "[key=\"ssh-ed25519 ...\"]"),
	    .exec = b_new },
	{ .name = "edit", .help = "Change an account's full name or role.", .args = name_word,
	    .min_args = 1, .keys = &edit_set,
	    .usage = USAGE("edit NAME [role=ROLE] [fullname=\"...\"]"), .exec = b_edit },
	{ .name = "delete", .help = "Remove an account with its keys.", .args = name_word,
	    .min_args = 1, .max_args = 1, .usage = USAGE("delete NAME"), .exec = b_delete },
	{ .name = "password", .help = "Set an account's password.", .args = name_word,
	    .min_args = 1, .keys = &pw_set, .required = pw_required,
	    .needs = "give the new password", .usage = USAGE("password NAME password=PW"),
	    .exec = b_password },
	{ .name = "status", .help = "Lock or unlock an account.", .args = status_args,
	    .min_args = 2, .max_args = 2, .usage = USAGE("status NAME active|locked"),
	    .exec = b_status },
	{ .name = "key", .help = "Add, delete or list an account's SSH public keys.",
	    .args = key_args, .min_args = 2, .max_args = CMD_ARGS_MANY,
	    .usage = USAGE("key NAME add \"LINE\"\nuserconfig key NAME delete N\n"
			   "userconfig key NAME print"),
	    .exec = b_key },
	{ .name = "policy", .help = "Print or change the password rules (pending until commit).",
	    .keys = &policy_set_keys, .flags = CMD_SUB_KV_OPTIONAL,
	    .usage = USAGE("policy [min_length=N] [min_classes=N] [history=N] [max_age_days=N] "
			   "[lockout=N]"),
	    .exec = b_policy },
	{ .name = "print", .help = "Print the accounts and the password rules.",
	    .usage = USAGE("print"), .exec = b_print },
	{ .exec = NULL },
};

/* userconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
userconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_userconfig_entry, argc, argv);
}

/* NOABBREV: it deletes accounts; SECRET_ARGS: a password typed without password= is not logged */
const struct cmd_entry cmd_userconfig_entry = {
	.name = "userconfig",
	.usage = "userconfig\n"
		 "userconfig new NAME role=ROLE fullname=\"...\" [password=PW] "
		 "[key=\"ssh-ed25519 ...\"]\n"
		 "userconfig edit NAME [role=ROLE] [fullname=\"...\"]\n"
		 "userconfig delete NAME\n"
		 "userconfig password NAME password=PW\n"
		 "userconfig status NAME active|locked\n"
		 "userconfig key NAME add \"LINE\"\n"
		 "userconfig key NAME delete N\n"
		 "userconfig key NAME print\n"
		 "userconfig policy [min_length=N] [min_classes=N] [history=N] [max_age_days=N] "
		 "[lockout=N]\n"
		 "userconfig print",
	.help = "Manage the operator accounts, their roles, passwords and SSH keys.",
	.flags = CMD_F_NOABBREV | CMD_F_SECRET_ARGS,
	.subs = u_subs,
	.exec = userconfig_exec,
};
