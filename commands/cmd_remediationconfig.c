/*
 * cmd_remediationconfig.c - `remediationconfig`: the remediation
 * profiles, which say which mailbox server holds the mailboxes of which
 * recipient domains and how the gateway logs in to act on them (issue
 * 12: delete or forward a message an ETD verdict, an API user or an
 * operator names).
 *
 *   remediationconfig                     the dialogue
 *   remediationconfig print
 *   remediationconfig new NAME backend=imap server=imaps://HOST[:PORT] auth=master|user
 *                     [user=LOGIN] [password=SECRET] domains=D,... [folder=F] [verify=yes|no]
 *   remediationconfig new NAME backend=graph user=CLIENT-ID tenant=ID|token_url=URL
 *                     password=SECRET domains=D,... [server=URL] [folder=F] [verify=yes|no]
 *   remediationconfig edit NAME key=value...
 *   remediationconfig delete NAME
 *   remediationconfig password NAME password=SECRET
 *   remediationconfig userpassword NAME MAILBOX password=SECRET (empty: remove)
 *
 * The values are mail/remedconf.c's to check (the same check the daemon
 * makes on load); like every configuration command the changes are
 * pending until commit. Passwords are items of remediation.secret,
 * sealed at rest; they are read without echo in the dialogue, masked in
 * cli_logs (password= is a secret key everywhere, CMD_F_SECRET_ARGS for
 * stray words) and never printed: print says "*****" or "not set".
 *
 * DIAGNOSTICS: one error line per refusal; a refused line stages nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/cmd.h"
#include "commands/cmd_keys.h"
#include "mail/remedconf.h"
#include "store/config.h"
#include "store/secret.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

extern const struct cmd_entry cmd_remediationconfig_entry;

#define GRAPH_DEFAULT "https://graph.microsoft.com/v1.0"
#define PASSWORD_MAX 1024

/* A profile being made or changed, with room for its domains and password. */
struct prof_edit {
	struct remed_profile p;
	char domains[REMEDCONF_MAX_DOMAINS][256];
	char password[PASSWORD_MAX + 1];
	int pw_given;		/* password= was given */
	char *why;		/* a set() refusal's cause, for the dialogue */
};

/* edit_init - an empty profile named name (IMAP, master, verify) */
static void
edit_init(struct prof_edit *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	str_copy(e->p.name, name, sizeof(e->p.name));
	e->p.backend = REMED_IMAP;
	e->p.auth = REMED_AUTH_MASTER;
	e->p.verify = 1;
	e->p.domains = e->domains;
}

/* edit_from - e as a copy of the loaded profile p (its password not given) */
static void
edit_from(struct prof_edit *e, const struct remed_profile *p)
{
	edit_init(e, p->name);
	e->p = *p;
	e->p.password = NULL;
	e->p.domains = e->domains;
	for (int i = 0; i < p->ndomains && i < REMEDCONF_MAX_DOMAINS; i++)
		str_copy(e->domains[i], p->domains[i], sizeof(e->domains[i]));
}

/* edit_wipe - forget a typed password */
static void
edit_wipe(struct prof_edit *e)
{
	explicit_bzero(e->password, sizeof(e->password));
	free(e->why);
	e->why = NULL;
}

/* set_domains - a comma list into e; -1 with *cause */
static int
set_domains(struct prof_edit *e, const char *value, char **cause)
{
	char **v;
	int n;

	v = str_split(value, ',', &n);
	e->p.ndomains = 0;
	for (int i = 0; i < n; i++) {
		char *d = str_trim(v[i]);

		if (*d == '\0')
			continue;
		/* as mail/remedconf.c checks it, so that the dialogue asks again */
		if (!syntax_hostname(d) || strchr(d, '.') == NULL) {
			*cause = str_printf("Invalid domain '%.100s': a domain name such as "
					    "example.com.",
			    d);
			str_split_free(v);
			return -1;
		}
		if (e->p.ndomains >= REMEDCONF_MAX_DOMAINS ||
		    str_copy(e->domains[e->p.ndomains], d, sizeof(e->domains[0])) < 0) {
			*cause = str_printf("A profile serves at most %d domains of at most 255 "
					    "characters.",
			    REMEDCONF_MAX_DOMAINS);
			str_split_free(v);
			return -1;
		}
		str_lower(e->domains[e->p.ndomains++]);
	}
	str_split_free(v);
	return 0;
}

/* field - copy value into a field of size, or say it is too long */
static int
field(const char *key, const char *value, char *out, size_t size, char **cause)
{
	if (str_copy(out, value, size) == 0)
		return 0;
	*cause = str_printf("The value of %s is too long (at most %zu characters).", key, size - 1);
	return -1;
}

/* set - cmd_keyset.set: one value into the profile (remedconf checks the whole) */
static int
set(void *obj, const struct cmd_key *k, const char *value, char **cause)
{
	struct prof_edit *e = obj;
	const char *n = k->name;

	if (strcmp(n, "backend") == 0) {
		e->p.backend = strcmp(value, "graph") == 0 ? REMED_GRAPH : REMED_IMAP;
		return 0;
	}
	if (strcmp(n, "auth") == 0) {
		e->p.auth = strcmp(value, "user") == 0 ? REMED_AUTH_USER : REMED_AUTH_MASTER;
		return 0;
	}
	if (strcmp(n, "verify") == 0) {
		e->p.verify = strcmp(value, "yes") == 0;
		return 0;
	}
	if (strcmp(n, "domains") == 0)
		return set_domains(e, value, cause);
	if (strcmp(n, "password") == 0) {
		e->pw_given = 1;
		if (str_copy(e->password, value, sizeof(e->password)) == 0)
			return 0;
		*cause = str_printf("The password is too long (at most %d characters).",
		    PASSWORD_MAX);
		return -1;
	}
	if (strcmp(n, "server") == 0)
		return field(n, value, e->p.server, sizeof(e->p.server), cause);
	if (strcmp(n, "user") == 0)
		return field(n, value, e->p.user, sizeof(e->p.user), cause);
	if (strcmp(n, "folder") == 0)
		return field(n, value, e->p.folder, sizeof(e->p.folder), cause);
	if (strcmp(n, "tenant") == 0)
		return field(n, value, e->p.tenant, sizeof(e->p.tenant), cause);
	if (strcmp(n, "token_url") == 0)
		return field(n, value, e->p.token_url, sizeof(e->p.token_url), cause);
	*cause = str_printf("The key %s is not a profile's.", n);
	return -1;
}

static const char *const backend_values[] = { "imap", "graph", NULL };
static const char *const auth_values[] = { "master", "user", NULL };

static const struct cmd_key prof_keys[] = {
	{ .name = "backend", .type = CMD_KEY_ENUM, .values = backend_values,
	    .check = cmd_keys_enum, .help = "imap (Dovecot, any IMAP server) or graph (Microsoft 365)" },
	{ .name = "server", .type = CMD_KEY_TEXT,
	    .help = "imaps://HOST[:PORT] or imap://HOST[:PORT]; graph: the Graph https:// URL" },
	{ .name = "auth", .type = CMD_KEY_ENUM, .values = auth_values, .check = cmd_keys_enum,
	    .help = "IMAP login: master (MAILBOX*USER with the profile's password) or user" },
	{ .name = "user", .type = CMD_KEY_TEXT,
	    .help = "IMAP master user, or the Graph application's client id" },
	{ .name = "password", .type = CMD_KEY_TEXT,
	    .help = "the master user's password or the Graph client secret (never shown)" },
	{ .name = "folder", .type = CMD_KEY_TEXT,
	    .help = "move messages to this folder (empty: delete them)" },
	{ .name = "domains", .type = CMD_KEY_LIST,
	    .help = "the recipient domains whose mailboxes this server holds, comma-separated" },
	{ .name = "tenant", .type = CMD_KEY_TEXT, .help = "Graph: the directory (tenant) id" },
	{ .name = "token_url", .type = CMD_KEY_TEXT,
	    .help = "Graph: the token endpoint (default from the tenant)" },
	{ .name = "verify", .type = CMD_KEY_YESNO, .check = cmd_keys_yesno,
	    .help = "verify the server's certificate (default yes)" },
	{ .name = NULL },
};

/* a stray word is never echoed: it may be the rest of a password typed with a blank */
static const struct cmd_keyset prof_keyset = { .keys = prof_keys, .set = set,
	.flags = CMD_KEYS_NO_ECHO | CMD_KEYS_JOIN_COMMA };

static const struct cmd_key pw_keys[] = {
	{ .name = "password", .type = CMD_KEY_TEXT, .help = "the password (never shown)" },
	{ .name = NULL },
};

static const struct cmd_keyset pw_keyset = { .keys = pw_keys, .set = set,
	.flags = CMD_KEYS_NO_ECHO };

/* ---------------------------------------------------------- operations */

/* said - print a cause as the error line */
static enum cmd_ret
said(struct cli *c, char *cause)
{
	cli_error(c, "%s", cause);
	free(cause);
	return CMD_ERROR;
}

/* load - the profiles as this session sees them; error printed */
static int
load(struct cli *c, struct remed_conf *rc)
{
	char *cause = NULL;

	if (remedconf_load(c->st, rc, &cause) < 0) {
		cli_error(c, "Cannot read the remediation profiles: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* find - the profile named name (any case) in rc, or NULL */
static const struct remed_profile *
find(const struct remed_conf *rc, const char *name)
{
	for (int i = 0; i < rc->nprofiles; i++)
		if (strcasecmp(rc->profiles[i].name, name) == 0)
			return &rc->profiles[i];
	return NULL;
}

/*
 * save - stage e (and its password when given), all or nothing; new
 * profiles that log in with the profile's password must have one
 */
static enum cmd_ret
save(struct cli *c, struct prof_edit *e, int is_new, const char *had_password)
{
	char *cause = NULL;
	int ok;

	if (e->p.backend == REMED_GRAPH && e->p.server[0] == '\0')
		str_copy(e->p.server, GRAPH_DEFAULT, sizeof(e->p.server));
	if (e->p.backend == REMED_GRAPH)
		e->p.auth = REMED_AUTH_MASTER;	/* not used by Graph; kept valid */
	if (e->p.backend == REMED_IMAP && e->p.server[0] == '\0') {
		cli_error(c, "Missing server=: an IMAP profile needs its server, "
			     "imaps://HOST[:PORT].");
		return CMD_ERROR;
	}
	e->p.password = e->pw_given ? e->password : NULL;
	if ((e->p.backend == REMED_GRAPH || e->p.auth == REMED_AUTH_MASTER) &&
	    (e->pw_given ? e->password[0] == '\0' : (is_new || had_password == NULL ||
	    had_password[0] == '\0'))) {
		cli_error(c, "Missing password=: profile %s logs in with %s.", e->p.name,
		    e->p.backend == REMED_GRAPH ? "the application's client secret" :
		    "the master user's password");
		return CMD_ERROR;
	}
	if (config_begin(c->st, &cause) < 0)
		return said(c, cause);
	ok = remedconf_profile_set(c->st, &e->p, &cause) == 0;
	if (!ok)
		cli_error(c, "%s", cause);
	free(cause);
	cause = NULL;
	if (config_end(c->st, ok, &cause) < 0)
		return said(c, cause);
	if (!ok)
		return CMD_ERROR;
	cli_printf(c, "Profile %s %s.\n", e->p.name, is_new ? "added" : "changed");
	return CMD_OK;
}

/* mailboxes - config_list callback: the mailboxes with a password under a profile */
struct mbx_ctx {
	const char *name;
	struct buf *b;
	int n;
};

static int
mailboxes(const char *section, const char *key, const char *value, void *arg)
{
	struct mbx_ctx *m = arg;
	size_t n = strlen(m->name);

	(void)section;
	(void)value;
	if (strncmp(key, m->name, n) == 0 && key[n] == '/') {
		if (m->n++)
			buf_addstr(m->b, ", ");
		buf_addstr(m->b, key + n + 1);
	}
	return 0;
}

/* print_profile - one profile, no secret */
static void
print_profile(struct cli *c, const struct remed_profile *p)
{
	struct buf b;

	cli_printf(c, "Profile: %s\n", p->name);
	cli_printf(c, "  %-22s %s\n", "Backend:", p->backend == REMED_GRAPH ?
	    "Microsoft Graph" : "IMAP");
	cli_printf(c, "  %-22s %s\n", "Server:", p->server);
	if (p->backend == REMED_IMAP && p->auth == REMED_AUTH_MASTER) {
		cli_printf(c, "  %-22s master user %s\n", "Login:", p->user);
		cli_printf(c, "  %-22s %s\n", "Password:", p->password && p->password[0] ?
		    SETTINGS_MASK : "not set");
	} else if (p->backend == REMED_IMAP) {
		struct mbx_ctx m = { p->name, &b, 0 };
		char *cause = NULL;

		cli_printf(c, "  %-22s %s\n", "Login:", "each mailbox with its own password");
		buf_init(&b, 0);
		if (config_list(c->st, REMEDCONF_SECRET_SECTION, mailboxes, &m, &cause) < 0) {
			cli_printf(c, "  %-22s (cannot read: %s)\n", "Mailbox passwords:", cause);
			free(cause);
		} else {
			buf_addch(&b, '\0');
			cli_printf(c, "  %-22s %s\n", "Mailbox passwords:", m.n ? b.data : "none");
		}
		buf_free(&b);
	} else {
		cli_printf(c, "  %-22s %s\n", "Client ID:", p->user);
		cli_printf(c, "  %-22s %s\n", "Client secret:", p->password && p->password[0] ?
		    SETTINGS_MASK : "not set");
		if (p->tenant[0])
			cli_printf(c, "  %-22s %s\n", "Tenant:", p->tenant);
		if (p->token_url[0])
			cli_printf(c, "  %-22s %s\n", "Token URL:", p->token_url);
	}
	if (p->folder[0])
		cli_printf(c, "  %-22s move to %s\n", "Action:", p->folder);
	else
		cli_printf(c, "  %-22s delete\n", "Action:");
	buf_init(&b, 0);
	for (int i = 0; i < p->ndomains; i++) {
		if (i)
			buf_addstr(&b, ", ");
		buf_addstr(&b, p->domains[i]);
	}
	buf_addch(&b, '\0');
	cli_printf(c, "  %-22s %s\n", "Domains:", b.data);
	buf_free(&b);
	cli_printf(c, "  %-22s %s\n", "Verify certificate:", p->verify ? "yes" : "no");
}

/* print - every profile */
static enum cmd_ret
print(struct cli *c)
{
	struct remed_conf rc;

	if (load(c, &rc) < 0)
		return CMD_ERROR;
	if (rc.nprofiles == 0)
		cli_printf(c, "There are no remediation profiles.\n");
	for (int i = 0; i < rc.nprofiles; i++)
		print_profile(c, &rc.profiles[i]);
	remedconf_free(&rc);
	return CMD_OK;
}

/* delete - remove a profile with its passwords */
static enum cmd_ret
delete(struct cli *c, const char *name)
{
	struct remed_conf rc;
	const struct remed_profile *p;
	char *cause = NULL, real[REMEDCONF_NAME_MAX + 1];
	int r;

	if (load(c, &rc) < 0)
		return CMD_ERROR;
	p = find(&rc, name);
	if (p)
		str_copy(real, p->name, sizeof(real));
	remedconf_free(&rc);
	if (p == NULL) {
		cli_error(c, "There is no remediation profile %.100s.", name);
		return CMD_ERROR;
	}
	if (config_begin(c->st, &cause) < 0)
		return said(c, cause);
	r = remedconf_profile_delete(c->st, real, &cause);
	if (r < 0)
		cli_error(c, "%s", cause);
	free(cause);
	cause = NULL;
	if (config_end(c->st, r == 0, &cause) < 0)
		return said(c, cause);
	if (r != 0)
		return CMD_ERROR;
	cli_printf(c, "Profile %s deleted.\n", real);
	return CMD_OK;
}

/* set_password - the profile's own password (empty refused: a profile needs it) */
static enum cmd_ret
set_password(struct cli *c, const char *name, const char *password)
{
	struct remed_conf rc;
	const struct remed_profile *p;
	struct prof_edit *e;
	enum cmd_ret r;

	if (load(c, &rc) < 0)
		return CMD_ERROR;
	if ((p = find(&rc, name)) == NULL) {
		remedconf_free(&rc);
		cli_error(c, "There is no remediation profile %.100s.", name);
		return CMD_ERROR;
	}
	e = xmalloc(sizeof(*e));
	edit_from(e, p);
	remedconf_free(&rc);
	e->pw_given = 1;
	str_copy(e->password, password, sizeof(e->password));
	r = save(c, e, 0, NULL);
	edit_wipe(e);
	free(e);
	return r;
}

/* set_user_password - a mailbox's own password under a profile ("" removes it) */
static enum cmd_ret
set_user_password(struct cli *c, const char *name, const char *mailbox, const char *password)
{
	struct remed_conf rc;
	const struct remed_profile *p;
	char *cause = NULL, real[REMEDCONF_NAME_MAX + 1];
	int ok;

	if (load(c, &rc) < 0)
		return CMD_ERROR;
	p = find(&rc, name);
	if (p)
		str_copy(real, p->name, sizeof(real));
	if (p && (p->backend != REMED_IMAP || p->auth != REMED_AUTH_USER)) {
		remedconf_free(&rc);
		cli_error(c, "Profile %s does not log in as each mailbox (auth=user): it needs no "
			     "mailbox passwords.",
		    real);
		return CMD_ERROR;
	}
	if (p && remedconf_for(&rc, mailbox) != p) {
		remedconf_free(&rc);
		cli_error(c, "Profile %s does not serve the domain of %.100s.", real, mailbox);
		return CMD_ERROR;
	}
	remedconf_free(&rc);
	if (p == NULL) {
		cli_error(c, "There is no remediation profile %.100s.", name);
		return CMD_ERROR;
	}
	if (config_begin(c->st, &cause) < 0)
		return said(c, cause);
	ok = remedconf_user_password_set(c->st, real, mailbox, password, &cause) == 0;
	if (!ok)
		cli_error(c, "%s", cause);
	free(cause);
	cause = NULL;
	if (config_end(c->st, ok, &cause) < 0)
		return said(c, cause);
	if (!ok)
		return CMD_ERROR;
	cli_printf(c, "%s for mailbox %s in profile %s.\n", password[0] ? "Password set" :
	    "Password removed", mailbox, real);
	return CMD_OK;
}

/* ---------------------------------------------------------- batch */

static enum cmd_ret
b_print(struct cli *c, const struct cmd_call *call)
{
	(void)call;
	return print(c);
}

static enum cmd_ret
b_new(struct cli *c, const struct cmd_call *call)
{
	struct remed_conf rc;
	struct prof_edit *e;
	enum cmd_ret r = CMD_ERROR;

	if (load(c, &rc) < 0)
		return CMD_ERROR;
	if (find(&rc, call->argv[0])) {
		cli_error(c, "A remediation profile named %.100s already exists: use edit.",
		    call->argv[0]);
		remedconf_free(&rc);
		return CMD_ERROR;
	}
	if (rc.nprofiles >= REMEDCONF_MAX_PROFILES) {
		cli_error(c, "There are already %d remediation profiles, the most allowed.",
		    REMEDCONF_MAX_PROFILES);
		remedconf_free(&rc);
		return CMD_ERROR;
	}
	remedconf_free(&rc);
	e = xmalloc(sizeof(*e));
	edit_init(e, call->argv[0]);
	if (strlen(call->argv[0]) > REMEDCONF_NAME_MAX)
		e->p.name[0] = '\0';	/* refused by the check, not cut short */
	if (cmd_keys_apply(c, call, e, NULL) == 0)
		r = save(c, e, 1, NULL);
	edit_wipe(e);
	free(e);
	return r;
}

static enum cmd_ret
b_edit(struct cli *c, const struct cmd_call *call)
{
	struct remed_conf rc;
	const struct remed_profile *p;
	struct prof_edit *e;
	char *had;
	enum cmd_ret r = CMD_ERROR;

	if (load(c, &rc) < 0)
		return CMD_ERROR;
	if ((p = find(&rc, call->argv[0])) == NULL) {
		cli_error(c, "There is no remediation profile %.100s.", call->argv[0]);
		remedconf_free(&rc);
		return CMD_ERROR;
	}
	e = xmalloc(sizeof(*e));
	edit_from(e, p);
	had = str_dup(p->password ? p->password : "");
	remedconf_free(&rc);
	if (cmd_keys_apply(c, call, e, NULL) == 0)
		r = save(c, e, 0, had);
	secret_drop(had);
	edit_wipe(e);
	free(e);
	return r;
}

static enum cmd_ret
b_delete(struct cli *c, const struct cmd_call *call)
{
	return delete(c, call->argv[0]);
}

static enum cmd_ret
b_password(struct cli *c, const struct cmd_call *call)
{
	struct prof_edit *e = xmalloc(sizeof(*e));
	enum cmd_ret r = CMD_ERROR;

	edit_init(e, "");
	if (cmd_keys_apply(c, call, e, NULL) == 0) {
		if (e->password[0] == '\0')
			cli_error(c, "Missing password=: a profile's password cannot be empty.");
		else
			r = set_password(c, call->argv[0], e->password);
	}
	edit_wipe(e);
	free(e);
	return r;
}

static enum cmd_ret
b_userpassword(struct cli *c, const struct cmd_call *call)
{
	struct prof_edit *e = xmalloc(sizeof(*e));
	enum cmd_ret r = CMD_ERROR;

	edit_init(e, "");
	if (cmd_keys_apply(c, call, e, NULL) == 0)
		r = set_user_password(c, call->argv[0], call->argv[1], e->password);
	edit_wipe(e);
	free(e);
	return r;
}

/* ---------------------------------------------------------- dialogue */

/* ask_text - a free-text answer into out; def shown; ASK_* */
static enum ask_ret
ask_text(struct cli *c, const char *q, const char *def, char *out, size_t size)
{
	return cli_ask(c, q, def && def[0] ? def : NULL, out, size);
}

/*
 * ask_profile - the questions of NEW (is_new) and EDIT, answers into e;
 * the password is asked without echo (an empty answer keeps a stored one)
 */
static enum ask_ret
ask_profile(struct cli *c, struct prof_edit *e, int is_new, int has_password)
{
	static const char *const backends[] = { "IMAP (Dovecot or any IMAP server)",
		"Microsoft Graph (Microsoft 365)" };
	static const char *const auths[] = { "a master user (MAILBOX*USER)",
		"each mailbox's own password" };
	char buf[1024], big[REMEDCONF_MAX_DOMAINS * 256];
	struct buf doms;
	enum ask_ret a;
	int k, verify;
	char *cause = NULL;

	a = cli_ask_list(c, "Choose the mailbox server type:", backends, 2,
	    e->p.backend == REMED_GRAPH ? 2 : 1, &k);
	if (a != ASK_OK)
		return a;
	e->p.backend = k == 1 ? REMED_GRAPH : REMED_IMAP;
	if (e->p.backend == REMED_IMAP) {
		if ((a = ask_text(c, "Enter the IMAP server, imaps://HOST[:PORT] or "
				     "imap://HOST[:PORT] (STARTTLS).",
		    e->p.server, buf, sizeof(buf))) != ASK_OK)
			return a;
		str_copy(e->p.server, buf, sizeof(e->p.server));
		if ((a = cli_ask_list(c, "How does the gateway log in to the mailboxes?", auths, 2,
		    e->p.auth == REMED_AUTH_USER ? 2 : 1, &k)) != ASK_OK)
			return a;
		e->p.auth = k == 1 ? REMED_AUTH_USER : REMED_AUTH_MASTER;
		if (e->p.auth == REMED_AUTH_MASTER &&
		    (a = ask_text(c, "Enter the master user's login.", e->p.user, buf,
		    sizeof(buf))) != ASK_OK)
			return a;
		if (e->p.auth == REMED_AUTH_MASTER)
			str_copy(e->p.user, buf, sizeof(e->p.user));
	} else {
		if ((a = ask_text(c, "Enter the Microsoft Graph base URL.", e->p.server[0] ?
		    e->p.server : GRAPH_DEFAULT, buf, sizeof(buf))) != ASK_OK)
			return a;
		str_copy(e->p.server, buf, sizeof(e->p.server));
		if ((a = ask_text(c, "Enter the application's client ID.", e->p.user, buf,
		    sizeof(buf))) != ASK_OK)
			return a;
		str_copy(e->p.user, buf, sizeof(e->p.user));
		if ((a = ask_text(c, "Enter the directory (tenant) ID.", e->p.tenant, buf,
		    sizeof(buf))) != ASK_OK)
			return a;
		str_copy(e->p.tenant, buf, sizeof(e->p.tenant));
	}
	if (e->p.backend == REMED_GRAPH || e->p.auth == REMED_AUTH_MASTER) {
		a = cli_ask_secret(c, e->p.backend == REMED_GRAPH ?
		    "Enter the application's client secret." : "Enter the master user's password.",
		    has_password && !is_new, e->password, sizeof(e->password));
		if (a != ASK_OK)
			return a;
		e->pw_given = e->password[0] != '\0';
	}
	if ((a = cli_ask(c, "Enter the folder to move messages to (NONE: delete them).",
	    e->p.folder[0] ? e->p.folder : "NONE", buf, sizeof(buf))) != ASK_OK)
		return a;
	str_copy(e->p.folder, strcasecmp(buf, "NONE") == 0 ? "" : buf, sizeof(e->p.folder));
	buf_init(&doms, 0);
	for (int i = 0; i < e->p.ndomains; i++) {
		if (i)
			buf_addch(&doms, ',');
		buf_addstr(&doms, e->p.domains[i]);
	}
	buf_addch(&doms, '\0');
	for (;;) {
		a = cli_ask(c, "Enter the recipient domains this server holds mailboxes of, "
			       "separated by commas.",
		    doms.data[0] ? doms.data : NULL, big, sizeof(big));
		if (a != ASK_OK) {
			buf_free(&doms);
			return a;
		}
		if (set_domains(e, big, &cause) == 0)
			break;
		cli_error(c, "%s", cause);
		free(cause);
		cause = NULL;
	}
	buf_free(&doms);
	if ((a = cli_ask_yesno(c, "Verify the server's certificate?", e->p.verify, &verify)) !=
	    ASK_OK)
		return a;
	e->p.verify = verify;
	return ASK_OK;
}

/* ask_name - an existing profile's name; NULL answer printed */
static enum ask_ret
ask_name(struct cli *c, const struct remed_conf *rc, const char *q, char *out, size_t size)
{
	const char **names;
	enum ask_ret a;
	int k;

	if (rc->nprofiles == 0) {
		cli_error(c, "There are no remediation profiles.");
		return ASK_BACK;
	}
	names = xcalloc((size_t)rc->nprofiles, sizeof(*names));
	for (int i = 0; i < rc->nprofiles; i++)
		names[i] = rc->profiles[i].name;
	a = cli_ask_list(c, q, names, rc->nprofiles, 0, &k);
	if (a == ASK_OK)
		str_copy(out, names[k], size);
	free(names);
	return a;
}

/* dialog - the profiles and the menu, until an empty answer */
static enum cmd_ret
dialog(struct cli *c)
{
	static const struct cli_choice ops[] = {
		{ "NEW", "Add a remediation profile." },
		{ "EDIT", "Change a remediation profile." },
		{ "DELETE", "Remove a remediation profile." },
		{ "PASSWORD", "Set a profile's password or client secret." },
		{ "USERPASSWORD", "Set or remove a mailbox's own password (auth user)." },
	};
	int failed = 0, op;
	enum ask_ret a;

	for (;;) {
		struct remed_conf rc;
		struct prof_edit *e;
		char name[REMEDCONF_NAME_MAX + 2], mbx[400];
		const struct remed_profile *p;
		enum cmd_ret r = CMD_OK;

		cli_printf(c, "\n");
		if (print(c) != CMD_OK || load(c, &rc) < 0)
			return CMD_ERROR;
		a = cli_ask_menu(c, NULL, ops, 5, &op);
		if (a != ASK_OK) {
			remedconf_free(&rc);
			if (a == ASK_ABORT)
				return CMD_ABORTED;
			return failed ? CMD_ERROR : CMD_OK;
		}
		e = xcalloc(1, sizeof(*e));
		if (op == 0) {
			a = cli_ask(c, "Enter a name for the profile.", NULL, name, sizeof(name));
			if (a == ASK_OK && find(&rc, name)) {
				cli_error(c, "A remediation profile named %.100s already exists.",
				    name);
				r = CMD_ERROR;
			} else if (a == ASK_OK) {
				edit_init(e, name);
				if ((a = ask_profile(c, e, 1, 0)) == ASK_OK)
					r = save(c, e, 1, NULL);
			}
		} else if (op == 1) {
			a = ask_name(c, &rc, "Choose the profile to edit:", name, sizeof(name));
			if (a == ASK_OK && (p = find(&rc, name)) != NULL) {
				edit_from(e, p);
				if ((a = ask_profile(c, e, 0, p->password && p->password[0])) ==
				    ASK_OK)
					r = save(c, e, 0, p->password);
			}
		} else if (op == 2) {
			a = ask_name(c, &rc, "Choose the profile to delete:", name, sizeof(name));
			if (a == ASK_OK)
				r = delete(c, name);
		} else if (op == 3) {
			a = ask_name(c, &rc, "Choose the profile:", name, sizeof(name));
			if (a == ASK_OK)
				a = cli_ask_secret(c, "Enter the password.", 0, e->password,
				    sizeof(e->password));
			if (a == ASK_OK)
				r = set_password(c, name, e->password);
		} else if (op == 4) {
			a = ask_name(c, &rc, "Choose the profile:", name, sizeof(name));
			if (a == ASK_OK)
				a = cli_ask(c, "Enter the mailbox address.", NULL, mbx, sizeof(mbx));
			if (a == ASK_OK)
				a = cli_ask_secret(c, "Enter the mailbox's password (NONE removes it).",
				    0, e->password, sizeof(e->password));
			if (a == ASK_OK)
				r = set_user_password(c, name, mbx,
				    strcmp(e->password, "NONE") == 0 ? "" : e->password);
		}
		edit_wipe(e);
		free(e);
		remedconf_free(&rc);
		if (r != CMD_OK)
			failed = 1;
		/* an empty answer inside an operation returns to the menu */
		if (a == ASK_ABORT)
			return CMD_ABORTED;
	}
}

/* ---------------------------------------------------------- table entry */

static const struct cmd_word name_word[] = {
	{ "<NAME>", "the profile's name: a letter, then letters, digits, '_', '-', '.'", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word mailbox_word[] = {
	{ "<MAILBOX>", "the mailbox's address", NULL },
	{ NULL, NULL, NULL },
};

static const struct cmd_word name_mailbox[] = {
	{ "<NAME>", "the profile's name", mailbox_word },
	{ NULL, NULL, NULL },
};

static const char *const new_required[] = { "backend", "domains", NULL };
static const char *const pw_required[] = { "password", NULL };

static const struct cmd_sub remediationconfig_subs[] = {
	{ .name = "print", .help = "Display the remediation profiles (no password).",
	    .exec = b_print },
	{ .name = "new", .help = "Add a profile: key=value...", .args = name_word, .min_args = 1,
	    .keys = &prof_keyset, .required = new_required,
	    .needs = "a profile needs backend=imap|graph and the domains it serves",
	    .usage = "remediationconfig new NAME backend=imap|graph key=value...",
	    .exec = b_new },
	{ .name = "edit", .help = "Change a profile: key=value...", .args = name_word,
	    .min_args = 1, .keys = &prof_keyset,
	    .usage = "remediationconfig edit NAME key=value...", .exec = b_edit },
	{ .name = "delete", .help = "Remove a profile and its passwords.", .args = name_word,
	    .min_args = 1, .max_args = 1, .usage = "remediationconfig delete NAME",
	    .exec = b_delete },
	{ .name = "password", .help = "Set a profile's password or client secret.",
	    .args = name_word, .min_args = 1, .keys = &pw_keyset, .required = pw_required,
	    .needs = "give the password", .usage = "remediationconfig password NAME "
						   "password=SECRET",
	    .exec = b_password },
	{ .name = "userpassword", .help = "Set (or with password= remove) a mailbox's password.",
	    .args = name_mailbox, .min_args = 2, .keys = &pw_keyset,
	    .usage = "remediationconfig userpassword NAME MAILBOX password=[SECRET]",
	    .exec = b_userpassword },
	{ .exec = NULL },
};

/* remediationconfig_exec - the dialogue, or one batch operation */
static enum cmd_ret
remediationconfig_exec(struct cli *c, int argc, char **argv)
{
	if (argc == 0)
		return dialog(c);
	return cmd_keys_run(c, &cmd_remediationconfig_entry, argc, argv);
}

const struct cmd_entry cmd_remediationconfig_entry = {
	.name = "remediationconfig",
	.usage = "remediationconfig\n"
		 "remediationconfig print\n"
		 "remediationconfig new NAME backend=imap server=imaps://HOST[:PORT] "
		 "auth=master|user [user=LOGIN] [password=SECRET] domains=DOMAIN,... [folder=FOLDER] "
		 "[verify=yes|no]\n"
		 "remediationconfig new NAME backend=graph user=CLIENT-ID tenant=ID|token_url=URL "
		 "password=SECRET domains=DOMAIN,... [server=URL] [folder=FOLDER] [verify=yes|no]\n"
		 "remediationconfig edit NAME key=value...\n"
		 "remediationconfig delete NAME\n"
		 "remediationconfig password NAME password=SECRET\n"
		 "remediationconfig userpassword NAME MAILBOX password=[SECRET]",
	.help = "Configure the mailbox servers used to remediate delivered messages.",
	.flags = CMD_F_CONFIG | CMD_F_SECRET_ARGS,
	.subs = remediationconfig_subs,
	.exec = remediationconfig_exec,
};
