/*
 * remedconf.c - the remediation profiles (remediationconfig): load them
 * whole, check them, and stage changes (see remedconf.h for the storage).
 *
 * A profile is checked by one function, profile_check, both when it is
 * staged and when it is loaded, so the daemon never acts on a profile the
 * shell would refuse: a damaged item fails the load with a cause naming
 * it. The stored JSON is decoded defensively: every member is optional
 * in the parser, of the right type or the profile is damaged, and the
 * check decides what is required.
 *
 * Secrets: a profile's password is the item NAME of remediation.secret,
 * a mailbox's own password NAME/MAILBOX (mailbox in lower case); the
 * config layer seals them (store/secret.c secret_item says the whole
 * section is secret), so nothing here handles a stored form. Clear
 * passwords are wiped (secret_drop) when released.
 *
 * One domain is served by one profile: staging a profile that names a
 * domain another profile serves is refused, so remedconf_for never has
 * to choose.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause; nothing prints or exits.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mail/remedconf.h"
#include "store/config.h"
#include "store/secret.h"
#include "util/str.h"
#include "util/syntax.h"

#define GRAPH_DEFAULT "https://graph.microsoft.com/v1.0"

/* ---------------------------------------------------------- checks */

/* name_valid - a letter, then letters, digits, '_', '-', '.' (as sdrconf_feed_name_valid) */
static int
name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > REMEDCONF_NAME_MAX || !isalpha((unsigned char)name[0]))
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return 0;
	return 1;
}

/* imap_url_valid - imaps://HOST[:PORT] or imap://HOST[:PORT], nothing after but "/" */
static int
imap_url_valid(const char *s)
{
	const char *rest;
	char *as_https;
	int ok;

	if (strncasecmp(s, "imaps://", 8) == 0)
		rest = s + 8;
	else if (strncasecmp(s, "imap://", 7) == 0)
		rest = s + 7;
	else
		return 0;
	/* a path would be a mailbox name in RFC 5092; the profile's folder says that */
	{
		const char *slash = strchr(rest, '/');

		if (slash && slash[1] != '\0')
			return 0;
	}
	as_https = str_printf("https://%s", rest);
	ok = strlen(s) < 1024 && syntax_https_url(as_https);
	free(as_https);
	return ok;
}

/* domain_valid - a host name with at least one dot, no trailing dot */
static int
domain_valid(const char *d)
{
	return strlen(d) < 256 && strchr(d, '.') != NULL && syntax_hostname(d) &&
	    d[strlen(d) - 1] != '.';
}

/* folder_valid - printable, no control characters, at most 255 */
static int
folder_valid(const char *f)
{
	for (const char *p = f; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p == 127)
			return 0;
	return strlen(f) < 256;
}

/* profile_check - what any profile must be, staged or loaded */
static int
profile_check(const struct remed_profile *p, char **cause)
{
	if (!name_valid(p->name)) {
		*cause = str_printf("Invalid profile name '%.100s': a name is a letter followed "
				    "by at most %d letters, digits, '_', '-' and '.'.",
		    p->name, REMEDCONF_NAME_MAX - 1);
		return -1;
	}
	if (p->backend == REMED_IMAP) {
		if (!imap_url_valid(p->server)) {
			*cause = str_printf("Invalid server '%.100s' in profile %s: an IMAP server "
					    "is imaps://HOST[:PORT] or imap://HOST[:PORT].",
			    p->server, p->name);
			return -1;
		}
		if (p->auth != REMED_AUTH_MASTER && p->auth != REMED_AUTH_USER) {
			*cause = str_printf("Profile %s has no valid auth: master or user.", p->name);
			return -1;
		}
		if (p->auth == REMED_AUTH_MASTER && p->user[0] == '\0') {
			*cause = str_printf("Profile %s: auth master needs the master user "
					    "(user=LOGIN).",
			    p->name);
			return -1;
		}
	} else if (p->backend == REMED_GRAPH) {
		if (!syntax_https_url(p->server)) {
			*cause = str_printf("Invalid server '%.100s' in profile %s: a Graph server "
					    "is an https:// URL.",
			    p->server, p->name);
			return -1;
		}
		if (p->user[0] == '\0') {
			*cause = str_printf("Profile %s: graph needs the application's client id "
					    "(user=CLIENT-ID).",
			    p->name);
			return -1;
		}
		if (p->tenant[0] == '\0' && p->token_url[0] == '\0') {
			*cause = str_printf("Profile %s: graph needs tenant=ID or token_url=URL.",
			    p->name);
			return -1;
		}
		if (p->token_url[0] != '\0' && !syntax_https_url(p->token_url)) {
			*cause = str_printf("Invalid token_url '%.100s' in profile %s: the value "
					    "must be an https:// URL.",
			    p->token_url, p->name);
			return -1;
		}
		for (const char *t = p->tenant; *t; t++)
			if (!isalnum((unsigned char)*t) && *t != '-' && *t != '.' && *t != '_') {
				*cause = str_printf("Invalid tenant '%.100s' in profile %s: a tenant "
						    "is a directory id or domain name.",
				    p->tenant, p->name);
				return -1;
			}
	} else {
		*cause = str_printf("Profile %s has no valid backend: imap or graph.", p->name);
		return -1;
	}
	for (const char *u = p->user; *u; u++)
		if ((unsigned char)*u <= 32 || (unsigned char)*u == 127) {
			*cause = str_printf("Invalid user in profile %s: no spaces or control "
					    "characters.",
			    p->name);
			return -1;
		}
	if (!folder_valid(p->folder)) {
		*cause = str_printf("Invalid folder in profile %s: no control characters, at "
				    "most 255 characters.",
		    p->name);
		return -1;
	}
	if (p->ndomains < 1 || p->ndomains > REMEDCONF_MAX_DOMAINS) {
		*cause = str_printf("Profile %s must serve 1 to %d domains (domains=a.example,"
				    "b.example).",
		    p->name, REMEDCONF_MAX_DOMAINS);
		return -1;
	}
	for (int i = 0; i < p->ndomains; i++) {
		if (!domain_valid(p->domains[i])) {
			*cause = str_printf("Invalid domain '%.100s' in profile %s: a domain name "
					    "such as example.com.",
			    p->domains[i], p->name);
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (strcasecmp(p->domains[i], p->domains[j]) == 0) {
				*cause = str_printf("Profile %s names the domain %s twice.", p->name,
				    p->domains[i]);
				return -1;
			}
	}
	return 0;
}

/* ---------------------------------------------------------- JSON */

/* get_text - member name of o into out: absent is "", not a string or too long fails */
static int
get_text(const cJSON *o, const char *name, char *out, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	out[0] = '\0';
	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return -1;
	return str_copy(out, v->valuestring, size);
}

/* decode - a stored profile into p (password not set); -1 with *cause naming it */
static int
decode(const char *key, const char *value, struct remed_profile *p, char **cause)
{
	cJSON *o = cJSON_Parse(value);
	const cJSON *d, *v;
	char backend[16], auth[16];
	char *why = NULL;
	int bad = 0;

	memset(p, 0, sizeof(*p));
	p->verify = 1;
	if (!cJSON_IsObject(o) || str_copy(p->name, key, sizeof(p->name)) < 0 ||
	    get_text(o, "backend", backend, sizeof(backend)) < 0 ||
	    get_text(o, "server", p->server, sizeof(p->server)) < 0 ||
	    get_text(o, "auth", auth, sizeof(auth)) < 0 ||
	    get_text(o, "user", p->user, sizeof(p->user)) < 0 ||
	    get_text(o, "folder", p->folder, sizeof(p->folder)) < 0 ||
	    get_text(o, "tenant", p->tenant, sizeof(p->tenant)) < 0 ||
	    get_text(o, "token_url", p->token_url, sizeof(p->token_url)) < 0)
		bad = 1;
	if (!bad) {
		p->backend = strcmp(backend, "imap") == 0 ? REMED_IMAP :
		    strcmp(backend, "graph") == 0 ? REMED_GRAPH : 0;
		p->auth = strcmp(auth, "master") == 0 ? REMED_AUTH_MASTER :
		    strcmp(auth, "user") == 0 ? REMED_AUTH_USER : 0;
		v = cJSON_GetObjectItemCaseSensitive(o, "verify");
		if (v != NULL && !cJSON_IsBool(v))
			bad = 1;
		else if (v != NULL)
			p->verify = cJSON_IsTrue(v);
		d = cJSON_GetObjectItemCaseSensitive(o, "domains");
		if (!cJSON_IsArray(d) || cJSON_GetArraySize(d) > REMEDCONF_MAX_DOMAINS) {
			bad = 1;
		} else {
			int n = cJSON_GetArraySize(d);

			p->domains = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*p->domains));
			cJSON_ArrayForEach(v, d) {
				if (!cJSON_IsString(v) || str_copy(p->domains[p->ndomains],
				    v->valuestring, sizeof(*p->domains)) < 0) {
					bad = 1;
					break;
				}
				str_lower(p->domains[p->ndomains++]);
			}
		}
	}
	cJSON_Delete(o);
	if (!bad && profile_check(p, &why) == 0)
		return 0;
	*cause = str_printf("The remediation profile %.100s is damaged: %s", key,
	    why ? why : "it is not a profile's JSON.");
	free(why);
	free(p->domains);
	p->domains = NULL;
	return -1;
}

/* encode - the stored JSON of a profile (malloc'd) */
static char *
encode(const struct remed_profile *p)
{
	cJSON *o = cJSON_CreateObject(), *d = cJSON_CreateArray();
	char *json, *s;

	cJSON_AddStringToObject(o, "backend", p->backend == REMED_GRAPH ? "graph" : "imap");
	cJSON_AddStringToObject(o, "server", p->server);
	if (p->backend == REMED_IMAP)
		cJSON_AddStringToObject(o, "auth", p->auth == REMED_AUTH_USER ? "user" : "master");
	cJSON_AddStringToObject(o, "user", p->user);
	cJSON_AddStringToObject(o, "folder", p->folder);
	for (int i = 0; i < p->ndomains; i++)
		cJSON_AddItemToArray(d, cJSON_CreateString(p->domains[i]));
	cJSON_AddItemToObject(o, "domains", d);
	if (p->backend == REMED_GRAPH) {
		cJSON_AddStringToObject(o, "tenant", p->tenant);
		cJSON_AddStringToObject(o, "token_url", p->token_url);
	}
	cJSON_AddBoolToObject(o, "verify", p->verify != 0);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (json == NULL)
		abort();	/* allocation failure, as xmalloc */
	s = str_dup(json);
	cJSON_free(json);
	return s;
}

/* ---------------------------------------------------------- loading */

/* What load_one fills. */
struct load_ctx {
	struct remed_conf *c;
	char **cause;
	int failed;
};

/* load_one - config_list callback for remediation.profile */
static int
load_one(const char *section, const char *key, const char *value, void *arg)
{
	struct load_ctx *x = arg;
	struct remed_profile p;

	(void)section;
	if (x->c->nprofiles >= REMEDCONF_MAX_PROFILES) {
		*x->cause = str_printf("More than %d remediation profiles are configured.",
		    REMEDCONF_MAX_PROFILES);
		x->failed = 1;
		return 1;
	}
	if (decode(key, value, &p, x->cause) < 0) {
		x->failed = 1;
		return 1;
	}
	x->c->profiles = xrealloc(x->c->profiles, ((size_t)x->c->nprofiles + 1) * sizeof(p));
	x->c->profiles[x->c->nprofiles++] = p;
	return 0;
}

int
remedconf_load(struct store *st, struct remed_conf *c, char **cause)
{
	struct load_ctx x = { c, cause, 0 };

	memset(c, 0, sizeof(*c));
	/* config_list walks in key order: the profiles come ordered by name */
	if (config_list(st, REMEDCONF_PROFILE_SECTION, load_one, &x, cause) < 0 || x.failed)
		goto fail;
	for (int i = 0; i < c->nprofiles; i++) {
		struct remed_profile *p = &c->profiles[i];

		if (config_get(st, REMEDCONF_SECRET_SECTION, p->name, &p->password, cause) < 0)
			goto fail;
		if (p->password == NULL)
			p->password = str_dup("");
	}
	return 0;
fail:
	remedconf_free(c);
	return -1;
}

void
remedconf_free(struct remed_conf *c)
{
	for (int i = 0; i < c->nprofiles; i++) {
		secret_drop(c->profiles[i].password);
		free(c->profiles[i].domains);
	}
	free(c->profiles);
	memset(c, 0, sizeof(*c));
}

const struct remed_profile *
remedconf_for(const struct remed_conf *c, const char *mailbox)
{
	const char *at;

	if (c == NULL || mailbox == NULL || (at = strrchr(mailbox, '@')) == NULL || at[1] == '\0')
		return NULL;
	for (int i = 0; i < c->nprofiles; i++)
		for (int j = 0; j < c->profiles[i].ndomains; j++)
			if (strcasecmp(c->profiles[i].domains[j], at + 1) == 0)
				return &c->profiles[i];
	return NULL;
}

/* user_key - "NAME/mailbox" (lower case) into out; -1 if it does not fit or is not a mailbox */
static int
user_key(const char *profile, const char *mailbox, char *out, size_t size)
{
	if (!syntax_email(mailbox) || strlen(mailbox) > 320 ||
	    str_fmt(out, size, "%s/%s", profile, mailbox) < 0)
		return -1;
	str_lower(out + strlen(profile) + 1);
	return 0;
}

char *
remedconf_user_password(struct store *st, const struct remed_profile *p, const char *mailbox,
    char **cause)
{
	char key[REMEDCONF_NAME_MAX + 2 + 321];
	char *v = NULL;

	if (user_key(p->name, mailbox, key, sizeof(key)) < 0) {
		*cause = str_printf("'%.100s' is not a mailbox address.", mailbox);
		return NULL;
	}
	if (config_get(st, REMEDCONF_SECRET_SECTION, key, &v, cause) < 0)
		return NULL;
	if (v == NULL || v[0] == '\0') {
		secret_drop(v);
		*cause = str_printf("no password is set for mailbox %.100s in profile %s "
				    "(remediationconfig userpassword)",
		    mailbox, p->name);
		return NULL;
	}
	return v;
}

/* ---------------------------------------------------------- staging */

/* What other_domains looks for. */
struct dom_ctx {
	const struct remed_profile *p;	/* being staged */
	char **cause;
	int clash;			/* a domain of p is another profile's */
};

/* other_domains - config_list callback: does another profile serve a domain of p? */
static int
other_domains(const char *section, const char *key, const char *value, void *arg)
{
	struct dom_ctx *x = arg;
	struct remed_profile o;
	char *why = NULL;

	(void)section;
	if (strcmp(key, x->p->name) == 0)
		return 0;
	if (decode(key, value, &o, &why) < 0) {
		free(why);	/* a damaged profile is reported by remedconf_load */
		return 0;
	}
	for (int i = 0; i < x->p->ndomains && !x->clash; i++)
		for (int j = 0; j < o.ndomains; j++)
			if (strcasecmp(x->p->domains[i], o.domains[j]) == 0) {
				*x->cause = str_printf("The domain %s is already served by profile "
						       "%s.",
				    x->p->domains[i], o.name);
				x->clash = 1;
				break;
			}
	free(o.domains);
	return x->clash;
}

int
remedconf_profile_set(struct store *st, const struct remed_profile *p, char **cause)
{
	struct dom_ctx x = { p, cause, 0 };
	char *json;
	int rc;

	if (profile_check(p, cause) < 0)
		return -1;
	if (config_list(st, REMEDCONF_PROFILE_SECTION, other_domains, &x, cause) < 0 || x.clash)
		return -1;
	json = encode(p);
	rc = config_set_if(st, REMEDCONF_PROFILE_SECTION, p->name, json, cause);
	free(json);
	if (rc < 0 || p->password == NULL)
		return rc;
	if (p->password[0] == '\0') {
		rc = config_delete_if(st, REMEDCONF_SECRET_SECTION, p->name, cause);
		return rc < 0 ? -1 : 0;
	}
	return config_set_if(st, REMEDCONF_SECRET_SECTION, p->name, p->password, cause);
}

/* What secrets_of collects. */
struct sec_ctx {
	const char *name;	/* profile */
	char **keys;		/* its items of remediation.secret */
	int n;
};

/* secrets_of - config_list callback: NAME and NAME/... */
static int
secrets_of(const char *section, const char *key, const char *value, void *arg)
{
	struct sec_ctx *x = arg;
	size_t n = strlen(x->name);

	(void)section;
	(void)value;
	if (strncmp(key, x->name, n) == 0 && (key[n] == '\0' || key[n] == '/')) {
		x->keys = xrealloc(x->keys, ((size_t)x->n + 1) * sizeof(*x->keys));
		x->keys[x->n++] = str_dup(key);
	}
	return 0;
}

int
remedconf_profile_delete(struct store *st, const char *name, char **cause)
{
	struct sec_ctx x = { name, NULL, 0 };
	int rc;

	if (!name_valid(name))
		return 1;
	rc = config_delete_if(st, REMEDCONF_PROFILE_SECTION, name, cause);
	if (rc != 0)
		return rc;
	/* its passwords go with it: a new profile of that name starts without them */
	if (config_list(st, REMEDCONF_SECRET_SECTION, secrets_of, &x, cause) < 0)
		rc = -1;
	for (int i = 0; i < x.n; i++) {
		if (rc == 0 && config_delete(st, REMEDCONF_SECRET_SECTION, x.keys[i], cause) < 0)
			rc = -1;
		free(x.keys[i]);
	}
	free(x.keys);
	return rc;
}

int
remedconf_user_password_set(struct store *st, const char *profile, const char *mailbox,
    const char *password, char **cause)
{
	char key[REMEDCONF_NAME_MAX + 2 + 321];
	char *cur = NULL;
	int rc;

	if (user_key(profile, mailbox, key, sizeof(key)) < 0) {
		*cause = str_printf("Invalid mailbox '%.100s': an address such as "
				    "alice@example.com.",
		    mailbox);
		return -1;
	}
	if (config_get(st, REMEDCONF_PROFILE_SECTION, profile, &cur, cause) < 0)
		return -1;
	if (cur == NULL) {
		*cause = str_printf("There is no remediation profile %.100s.", profile);
		return -1;
	}
	free(cur);
	if (password == NULL || password[0] == '\0') {
		rc = config_delete_if(st, REMEDCONF_SECRET_SECTION, key, cause);
		return rc < 0 ? -1 : 0;
	}
	return config_set_if(st, REMEDCONF_SECRET_SECTION, key, password, cause);
}
