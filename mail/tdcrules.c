/*
 * tdcrules.c - the Threat Defense Connector settings and the rules that
 * tie them together (see tdcrules.h for the rules), below the shell: the
 * commands stage with them, and commit checks the whole configuration
 * with them (confcheck.c), so a rule holds whichever session staged which
 * part.
 *
 * A change is worked out by the caller on a full copy of the values: the
 * keys given checked one by one (tdcrules_value), the cascade of what was
 * turned off applied (tdcrules_cascade), then the rules checked on the
 * result (tdcrules_check, tdcrules_check_policies).
 *
 * Secrets: no cause written here shows the value of client_secret or
 * api_key, and "*****" (the mask print shows) given as a secret keeps the
 * stored one, so a command line recalled from the (masked) history still
 * works.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause naming the key or the
 * policy and what is allowed. Nothing here prints.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/tdcrules.h"
#include "store/secret.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

/* The batch keys and their settings, in enum tdcrules_key order. */
static const struct tkey {
	const char *key;	/* batch key */
	const char *setting;	/* settings_table row */
	int secret;		/* never shown */
} tkeys[TDCRULES_NKEYS] = {
	{ "enable", "tdc.enabled", 0 },
	{ "intake_address", "tdc.intake_address", 0 },
	{ "remote_ip_header", "tdc.remote_ip_header", 0 },
	{ "api", "tdc.api", 0 },
	{ "client_id", "tdc.client_id", 0 },
	{ "client_secret", "tdc.client_secret", 1 },
	{ "api_key", "tdc.api_key", 1 },
	{ "api_region", "tdc.api_region", 0 },
	{ "action", "tdc.action", 0 },
	{ "forward_to", "tdc.forward_to", 0 },
	{ "polling", "tdc.polling", 0 },
};

/*
 * Header fields the journal copy writes itself (mail/journal.c) or that
 * mean something to every MTA on the way: naming the remote-IP header
 * after one of them would give the copy two of it.
 */
static const char *const reserved_headers[] = {
	"From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "Sender", "Reply-To",
	"Auto-Submitted", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Content-Disposition", "Received", "Return-Path", NULL,
};

/* tdcrules_key_name - the batch key of a setting */
const char *
tdcrules_key_name(enum tdcrules_key k)
{
	return tkeys[k].key;
}

/* tdcrules_setting - the settings_table row of a setting */
const char *
tdcrules_setting(enum tdcrules_key k)
{
	return tkeys[k].setting;
}

/* tdcrules_is_secret - is the value of k never shown? */
int
tdcrules_is_secret(enum tdcrules_key k)
{
	return tkeys[k].secret;
}

/* tdcrules_key_find - the setting a batch key names, or -1 */
int
tdcrules_key_find(const char *key)
{
	for (int k = 0; k < TDCRULES_NKEYS; k++)
		if (strcasecmp(tkeys[k].key, key) == 0)
			return k;
	return -1;
}

/* running_lost - is setting among the running secrets that cannot be decrypted? */
static int
running_lost(struct store *st, const char *setting)
{
	char *why = NULL, *names = secret_lost(st, &why);
	size_t n = strlen(setting);
	int found = 0;

	for (const char *p = names; p && (p = strstr(p, setting)) != NULL; p += n)
		if ((p == names || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
			found = 1;
	free(names);
	free(why);
	return found;
}

/* tdcrules_load - the values as this store handle sees them */
int
tdcrules_load(struct store *st, struct tdcrules_vals *v, char **cause)
{
	v->lost = 0;
	v->lost_why[0] = '\0';
	for (int k = 0; k < TDCRULES_NKEYS; k++) {
		const struct setting_def *d = settings_find(tkeys[k].setting);
		char *s = NULL, *why = NULL;
		int rc = settings_read(st, tkeys[k].setting, &s, &why);

		if (rc < 0 && tkeys[k].secret && running_lost(st, tkeys[k].setting)) {
			/* the key is lost: clearing or entering it again must still be possible */
			v->lost |= 1u << k;
			if (v->lost_why[0] == '\0')
				str_copy(v->lost_why, why, sizeof(v->lost_why));
			free(why);
			str_copy(v->v[k], TDCRULES_LOST, sizeof(v->v[k]));
			continue;
		}
		if (rc < 0) {
			*cause = str_printf("cannot read %s: %s", tkeys[k].setting, why ? why : "?");
			free(why);
			return -1;
		}
		/* a stored value longer than the row allows reads as its default */
		if (str_copy(v->v[k], s, sizeof(v->v[k])) < 0)
			str_copy(v->v[k], d && d->def ? d->def : "", sizeof(v->v[k]));
		free(s);
	}
	return 0;
}

/* tdcrules_on - is a yes/no value yes? */
int
tdcrules_on(const struct tdcrules_vals *v, enum tdcrules_key k)
{
	return strcmp(v->v[k], "yes") == 0;
}

/* tdcrules_domain - the part after the last '@', or "" */
const char *
tdcrules_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* tdcrules_value - check and normalise one value */
int
tdcrules_value(const struct tdcrules_vals *cur, enum tdcrules_key k, const char *in, char *out,
    char **cause)
{
	const struct setting_def *d = settings_find(tkeys[k].setting);
	const char *key = tkeys[k].key;
	char *why = NULL;

	if (tkeys[k].secret && strcmp(in, SETTINGS_MASK) == 0) {
		if (cur->lost & (1u << k)) {
			*cause = str_printf("Invalid %s: the stored value cannot be read (%s); give "
					    "the value itself, or clear it.",
			    key, cur->lost_why);
			return -1;
		}
		if (cur->v[k][0] == '\0') {
			*cause = str_printf("Invalid %s: %s stands for the stored value, and none "
					    "is stored; give the value itself.",
			    key, SETTINGS_MASK);
			return -1;
		}
		str_copy(out, cur->v[k], TDCRULES_VALUE_MAX + 1);
		return 0;
	}
	if (str_copy(out, in, TDCRULES_VALUE_MAX + 1) < 0) {
		if (tkeys[k].secret)
			*cause = str_printf("Invalid %s: the value cannot be longer than %ld "
					    "characters.",
			    key, d->max);
		else
			*cause = str_printf("Invalid %s '%.40s...': the value cannot be longer "
					    "than %ld characters.",
			    key, in, d->max > 0 ? d->max : (long)TDCRULES_VALUE_MAX);
		return -1;
	}
	if (d->type == SETTING_EMAIL && *out != '\0' && !syntax_email(out)) {
		*cause = str_printf("Invalid %s '%.100s': an email address is a localname, '@' "
				    "and a domain, like user@example.com.",
		    key, in);
		return -1;
	}
	if (settings_validate(d, out, TDCRULES_VALUE_MAX + 1, &why) < 0) {
		why[0] = (char)tolower((unsigned char)why[0]);
		if (tkeys[k].secret)
			*cause = str_printf("Invalid %s: %s", key, why);
		else
			*cause = str_printf("Invalid %s '%.100s': %s", key, in, why);
		free(why);
		return -1;
	}
	if (k == TDCRULES_HEADER) {
		for (int i = 0; reserved_headers[i]; i++) {
			if (strcasecmp(out, reserved_headers[i]) == 0) {
				*cause = str_printf("Invalid remote_ip_header '%.100s': the journal "
						    "copy has its own %s: header; choose another "
						    "name, like %s.",
				    in, reserved_headers[i], d->def);
				return -1;
			}
		}
	}
	return 0;
}

/* tdcrules_cascade - what turning off enable or api takes with it */
unsigned
tdcrules_cascade(const struct tdcrules_vals *cur, struct tdcrules_vals *v, unsigned given)
{
	static const enum tdcrules_key chain[] = { TDCRULES_ENABLE, TDCRULES_API,
		TDCRULES_POLLING };
	unsigned off = 0;

	for (int i = 0; i < 2; i++) {
		if (!(given & (1u << chain[i])) || tdcrules_on(v, chain[i]))
			continue;
		for (int j = i + 1; j < 3; j++) {
			if (given & (1u << chain[j]))
				continue;
			if (tdcrules_on(cur, chain[j]))
				off |= 1u << chain[j];
			str_copy(v->v[chain[j]], "no", sizeof(v->v[chain[j]]));
		}
	}
	return off;
}

/* tdcrules_check - the rules among the settings */
int
tdcrules_check(const struct tdcrules_vals *v, char **cause)
{
	const char *action = v->v[TDCRULES_ACTION];

	if (tdcrules_on(v, TDCRULES_ENABLE) && v->v[TDCRULES_INTAKE][0] == '\0') {
		*cause = str_dup("The Threat Defense Connector needs a message intake address: "
				 "give intake_address=ADDRESS.");
		return -1;
	}
	if (tdcrules_on(v, TDCRULES_API)) {
		static const enum tdcrules_key creds[] = { TDCRULES_CLIENT_ID, TDCRULES_SECRET,
			TDCRULES_API_KEY };
		struct buf missing;
		int n = 0;

		if (!tdcrules_on(v, TDCRULES_ENABLE)) {
			*cause = str_dup("The Email Threat Defense API needs the Threat Defense "
					 "Connector: give enable=yes with intake_address=ADDRESS "
					 "first, or on the same line.");
			return -1;
		}
		buf_init(&missing, 0);
		for (int i = 0; i < 3; i++)
			if (v->v[creds[i]][0] == '\0')
				buf_printf(&missing, "%s%s", n++ ? ", " : "", tkeys[creds[i]].key);
		if (n > 0) {
			*cause = str_printf("The Email Threat Defense API needs all three "
					    "credentials client_id=, client_secret= and api_key= "
					    "(missing: %s).",
			    missing.data);
			buf_free(&missing);
			return -1;
		}
		buf_free(&missing);
	}
	if (strncmp(action, "forward", 7) == 0 && v->v[TDCRULES_FORWARD_TO][0] == '\0') {
		*cause = str_printf("The action %s needs the address to forward to: give "
				    "forward_to=ADDRESS.",
		    action);
		return -1;
	}
	if (tdcrules_on(v, TDCRULES_POLLING) && !tdcrules_on(v, TDCRULES_API)) {
		*cause = str_dup("Email Threat Defense API polling needs the Email Threat Defense "
				 "API: give api=yes with its credentials first, or on the same "
				 "line.");
		return -1;
	}
	return 0;
}

/* tdcrules_check_policies - custom policy addresses stay in the global address's domain */
int
tdcrules_check_policies(const struct tdcrules_vals *v, const struct policy_table *t,
    char **cause)
{
	const char *global = v->v[TDCRULES_INTAKE];
	const char *dom = tdcrules_domain(global);

	if (global[0] == '\0' || t->dir != POLICY_INCOMING)
		return 0;
	for (int i = 0; i < t->n; i++) {
		const char *p = t->p[i].tdc;

		if (strncasecmp(p, "custom:", 7) != 0 ||
		    strcasecmp(tdcrules_domain(p + 7), dom) == 0)
			continue;
		*cause = str_printf("The incoming policy %s has the custom intake address %s, "
				    "which is not in the domain of the global message intake "
				    "address %s: a custom intake address must be in that domain "
				    "(change the policy's tdc= or the global intake_address=).",
		    t->p[i].name, p + 7, global);
		return -1;
	}
	return 0;
}

/* tdcrules_need_global - is a global intake address set, for custom ones? */
int
tdcrules_need_global(const char *global, char **cause)
{
	if (tdcrules_domain(global)[0] != '\0')
		return 0;
	*cause = str_dup("A custom intake address must be in the domain of the global message "
			 "intake address, and none is set: set it first with 'tdcconfig setup "
			 "intake_address=ADDRESS'.");
	return -1;
}

/* tdcrules_check_custom - valid, and in the global address's domain */
int
tdcrules_check_custom(const char *addr, const char *global, char **cause)
{
	const char *dom = tdcrules_domain(global);

	if (strlen(addr) > TDCRULES_ADDRESS_MAX || !syntax_email(addr)) {
		*cause = str_printf("Invalid custom intake address '%.100s': an email address is "
				    "a localname, '@' and a domain, like user@example.com.",
		    addr);
		return -1;
	}
	if (tdcrules_need_global(global, cause) < 0)
		return -1;
	if (strcasecmp(tdcrules_domain(addr), dom) != 0) {
		*cause = str_printf("The custom intake address %.100s must be in the domain of "
				    "the global message intake address (%s).",
		    addr, dom);
		return -1;
	}
	return 0;
}

/* put - a fixed stored form into out */
static int
put(char *out, size_t size, const char *s, char **cause)
{
	if (str_copy(out, s, size) == 0)
		return 0;
	*cause = str_dup("The tdc value does not fit.");
	return -1;
}

/* tdcrules_policy_value - a policy's tdc= value in its stored form */
int
tdcrules_policy_value(int is_default, const char *in, const char *global, char *out,
    size_t size, char **cause)
{
	if (strncasecmp(in, "custom:", 7) == 0) {
		if (tdcrules_check_custom(in + 7, global, cause) < 0)
			return -1;
		if (str_fmt(out, size, "custom:%s", in + 7) < 0) {
			*cause = str_dup("The custom intake address is too long.");
			return -1;
		}
		str_lower(strrchr(out, '@') + 1);	/* as settings.c stores addresses */
		return 0;
	}
	if (is_default) {
		if (strcasecmp(in, "global") == 0)
			return put(out, size, "global", cause);
		if (strcasecmp(in, "no") == 0)
			return put(out, size, "", cause);
		*cause = str_printf("Invalid tdc '%.100s' for the DEFAULT policy: use tdc=global "
				    "(the global message intake address), tdc=custom:ADDRESS or "
				    "tdc=no.",
		    in);
		return -1;
	}
	if (strcasecmp(in, "default") == 0)
		return put(out, size, "", cause);
	if (strcasecmp(in, "no") == 0)
		return put(out, size, "no", cause);
	*cause = str_printf("Invalid tdc '%.100s': use tdc=default (the DEFAULT policy's "
			    "setting), tdc=custom:ADDRESS or tdc=no; only DEFAULT takes "
			    "tdc=global.",
	    in);
	return -1;
}

/* tdcrules_check_store - every rule, on the configuration as st sees it */
int
tdcrules_check_store(struct store *st, char **cause)
{
	struct tdcrules_vals *v = xmalloc(sizeof(*v));
	struct policy_table t;
	int rc = -1;

	if (tdcrules_load(st, v, cause) < 0)
		goto out;
	if (tdcrules_check(v, cause) < 0)
		goto out;
	if (policy_load(st, POLICY_INCOMING, &t, cause) < 0)
		goto out;
	rc = tdcrules_check_policies(v, &t, cause);
	policy_table_free(&t);
out:
	free(v);
	return rc;
}
