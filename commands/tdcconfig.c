/*
 * tdcconfig.c - the Threat Defense Connector settings and the rules that
 * tie them together, for `tdcconfig` and for policyconfig's per-policy
 * tdc= setting (see tdcconfig.h for the rules).
 *
 * A change is worked out on a full copy of the values: the keys given
 * are checked one by one (tdcconfig_value), the cascade of what was
 * turned off is applied (tdcconfig_cascade), the rules are checked on the
 * result (tdcconfig_check), and only then is anything staged, all in one
 * candidate group (tdcconfig_save). So a refused line stages nothing, and
 * a rule holds for the values as they will be, whichever of them the line
 * gave and whichever were already set.
 *
 * Secrets: the error lines of this file never show the value of
 * client_secret or api_key, and "*****" (the mask print shows) given as a
 * secret keeps the stored one, so a command line recalled from the
 * (masked) history still works.
 *
 * DIAGNOSTICS: one error line per refusal, naming the key and what is
 * allowed; the caller then returns CMD_ERROR.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands/tdcconfig.h"
#include "mail/policy.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"
#include "util/syntax.h"

/* The batch keys and their settings, in enum tdcconfig_key order. */
static const struct tkey {
	const char *key;	/* batch key */
	const char *setting;	/* settings_table row */
	int secret;		/* never shown */
} tkeys[TDCCONFIG_NKEYS] = {
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

/* tdcconfig_key_name - the batch key of a setting */
const char *
tdcconfig_key_name(enum tdcconfig_key k)
{
	return tkeys[k].key;
}

/* tdcconfig_key_find - the setting a batch key names, or -1 */
int
tdcconfig_key_find(const char *key)
{
	for (int k = 0; k < TDCCONFIG_NKEYS; k++)
		if (strcasecmp(tkeys[k].key, key) == 0)
			return k;
	return -1;
}

/* tdcconfig_keys_text - every key, for error lines */
const char *
tdcconfig_keys_text(void)
{
	return "enable, intake_address, remote_ip_header, api, client_id, client_secret, "
	       "api_key, api_region, action, forward_to or polling";
}

/* tdcconfig_load - the values as this session sees them */
void
tdcconfig_load(struct cli *c, struct tdcconfig_vals *v)
{
	for (int k = 0; k < TDCCONFIG_NKEYS; k++) {
		char *s = settings_get(c->st, tkeys[k].setting);

		str_copy(v->v[k], s, sizeof(v->v[k]));
		free(s);
	}
}

/* tdcconfig_on - is a yes/no value yes? */
int
tdcconfig_on(const struct tdcconfig_vals *v, enum tdcconfig_key k)
{
	return strcmp(v->v[k], "yes") == 0;
}

/* domain_of - the part after the last '@', or "" */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* tdcconfig_value - check and normalise one value; error printed */
int
tdcconfig_value(struct cli *c, const struct tdcconfig_vals *cur, enum tdcconfig_key k,
    const char *in, char *out)
{
	const struct setting_def *d = settings_find(tkeys[k].setting);
	const char *key = tkeys[k].key;
	char *cause = NULL;

	if (tkeys[k].secret && strcmp(in, SETTINGS_MASK) == 0) {
		if (cur->v[k][0] == '\0') {
			cli_error(c, "Invalid %s: %s stands for the stored value, and none is "
				     "stored; give the value itself.",
			    key, SETTINGS_MASK);
			return -1;
		}
		str_copy(out, cur->v[k], TDCCONFIG_VALUE_MAX + 1);
		return 0;
	}
	if (str_copy(out, in, TDCCONFIG_VALUE_MAX + 1) < 0) {
		if (tkeys[k].secret)
			cli_error(c, "Invalid %s: the value cannot be longer than %ld characters.",
			    key, d->max);
		else
			cli_error(c, "Invalid %s '%.40s...': the value cannot be longer than %ld "
				     "characters.",
			    key, in, d->max > 0 ? d->max : (long)TDCCONFIG_VALUE_MAX);
		return -1;
	}
	if (d->type == SETTING_EMAIL && *out != '\0' && !syntax_email(out)) {
		cli_error(c, "Invalid %s '%.100s': an email address is a localname, '@' and a "
			     "domain, like user@example.com.",
		    key, in);
		return -1;
	}
	if (settings_validate(d, out, TDCCONFIG_VALUE_MAX + 1, &cause) < 0) {
		cause[0] = (char)tolower((unsigned char)cause[0]);
		if (tkeys[k].secret)
			cli_error(c, "Invalid %s: %s", key, cause);
		else
			cli_error(c, "Invalid %s '%.100s': %s", key, in, cause);
		free(cause);
		return -1;
	}
	if (k == TDCCONFIG_HEADER) {
		for (int i = 0; reserved_headers[i]; i++) {
			if (strcasecmp(out, reserved_headers[i]) == 0) {
				cli_error(c, "Invalid remote_ip_header '%.100s': the journal copy "
					     "has its own %s: header; choose another name, like "
					     "%s.",
				    in, reserved_headers[i], d->def);
				return -1;
			}
		}
	}
	return 0;
}

/* tdcconfig_cascade - what turning off enable or api takes with it */
unsigned
tdcconfig_cascade(const struct tdcconfig_vals *cur, struct tdcconfig_vals *v, unsigned given)
{
	static const enum tdcconfig_key chain[] = { TDCCONFIG_ENABLE, TDCCONFIG_API,
		TDCCONFIG_POLLING };
	unsigned off = 0;

	for (int i = 0; i < 2; i++) {
		if (!(given & (1u << chain[i])) || tdcconfig_on(v, chain[i]))
			continue;
		for (int j = i + 1; j < 3; j++) {
			if (given & (1u << chain[j]))
				continue;
			if (tdcconfig_on(cur, chain[j]))
				off |= 1u << chain[j];
			str_copy(v->v[chain[j]], "no", sizeof(v->v[chain[j]]));
		}
	}
	return off;
}

/* check_policies - custom policy addresses stay in the global address's domain */
static int
check_policies(struct cli *c, const struct tdcconfig_vals *v)
{
	struct policy_table t;
	char *cause = NULL;
	const char *dom = domain_of(v->v[TDCCONFIG_INTAKE]);
	int ret = 0;

	if (v->v[TDCCONFIG_INTAKE][0] == '\0')
		return 0;
	if (policy_load(c->st, POLICY_INCOMING, &t, &cause) < 0) {
		cli_error(c, "Cannot read the incoming mail policies: %s", cause);
		free(cause);
		return -1;
	}
	for (int i = 0; i < t.n - 1 && ret == 0; i++) {
		const char *p = t.p[i].tdc;

		if (strncasecmp(p, "custom:", 7) != 0 || strcasecmp(domain_of(p + 7), dom) == 0)
			continue;
		cli_error(c, "The incoming policy %s has the custom intake address %s: the global "
			     "intake address must be in its domain %s (change the policy's tdc= "
			     "first).",
		    t.p[i].name, p + 7, domain_of(p + 7));
		ret = -1;
	}
	policy_table_free(&t);
	return ret;
}

/* tdcconfig_check - every rule, on the values as they will be */
int
tdcconfig_check(struct cli *c, const struct tdcconfig_vals *cur, const struct tdcconfig_vals *v)
{
	const char *action = v->v[TDCCONFIG_ACTION];

	if (tdcconfig_on(v, TDCCONFIG_ENABLE) && v->v[TDCCONFIG_INTAKE][0] == '\0') {
		cli_error(c, "The Threat Defense Connector needs a message intake address: give "
			     "intake_address=ADDRESS.");
		return -1;
	}
	if (tdcconfig_on(v, TDCCONFIG_API)) {
		static const enum tdcconfig_key creds[] = { TDCCONFIG_CLIENT_ID, TDCCONFIG_SECRET,
			TDCCONFIG_API_KEY };
		struct buf missing;
		int n = 0;

		if (!tdcconfig_on(v, TDCCONFIG_ENABLE)) {
			cli_error(c, "The Email Threat Defense API needs the Threat Defense "
				     "Connector: give enable=yes with intake_address=ADDRESS "
				     "first, or on the same line.");
			return -1;
		}
		buf_init(&missing, 0);
		for (int i = 0; i < 3; i++)
			if (v->v[creds[i]][0] == '\0')
				buf_printf(&missing, "%s%s", n++ ? ", " : "", tkeys[creds[i]].key);
		if (n > 0) {
			cli_error(c, "The Email Threat Defense API needs all three credentials "
				     "client_id=, client_secret= and api_key= (missing: %s).",
			    missing.data);
			buf_free(&missing);
			return -1;
		}
		buf_free(&missing);
	}
	if (strncmp(action, "forward", 7) == 0 && v->v[TDCCONFIG_FORWARD_TO][0] == '\0') {
		cli_error(c, "The action %s needs the address to forward to: give "
			     "forward_to=ADDRESS.",
		    action);
		return -1;
	}
	if (tdcconfig_on(v, TDCCONFIG_POLLING) && !tdcconfig_on(v, TDCCONFIG_API)) {
		cli_error(c, "Email Threat Defense API polling needs the Email Threat Defense API: "
			     "give api=yes with its credentials first, or on the same line.");
		return -1;
	}
	/* only a new address can leave a custom policy address outside its domain */
	if (strcmp(cur->v[TDCCONFIG_INTAKE], v->v[TDCCONFIG_INTAKE]) == 0)
		return 0;
	return check_policies(c, v);
}

/* tdcconfig_stage - stage what differs; error printed */
int
tdcconfig_stage(struct cli *c, const struct tdcconfig_vals *v)
{
	struct tdcconfig_vals *cur = xmalloc(sizeof(*cur));
	char *cause = NULL;
	int ret = 0;

	tdcconfig_load(c, cur);
	for (int k = 0; k < TDCCONFIG_NKEYS && ret == 0; k++) {
		if (strcmp(cur->v[k], v->v[k]) == 0)
			continue;
		if (settings_stage(c->st, tkeys[k].setting, v->v[k], &cause) < 0) {
			/* the store's cause names the item, never its value */
			cli_error(c, "Cannot stage %s: %s", tkeys[k].key, cause);
			free(cause);
			ret = -1;
		}
	}
	free(cur);
	return ret;
}

/* tdcconfig_save - stage, all or nothing */
enum cmd_ret
tdcconfig_save(struct cli *c, const struct tdcconfig_vals *v)
{
	char *cause = NULL;
	int ok;

	if (config_begin(c->st, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	ok = tdcconfig_stage(c, v) == 0;
	if (config_end(c->st, ok, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	return ok ? CMD_OK : CMD_ERROR;
}

/* tdcconfig_also_off - say what a cascade turned off */
void
tdcconfig_also_off(struct cli *c, unsigned off)
{
	if ((off & (1u << TDCCONFIG_API)) && (off & (1u << TDCCONFIG_POLLING)))
		cli_printf(c, "Also disabled: the Email Threat Defense API and API polling.\n");
	else if (off & (1u << TDCCONFIG_API))
		cli_printf(c, "Also disabled: the Email Threat Defense API.\n");
	else if (off & (1u << TDCCONFIG_POLLING))
		cli_printf(c, "Also disabled: Email Threat Defense API polling.\n");
}

/* tdcconfig_domain - the global intake address's domain, or "" */
void
tdcconfig_domain(struct cli *c, char *out, size_t size)
{
	char *g = settings_get(c->st, "tdc.intake_address");

	str_copy(out, domain_of(g), size);
	free(g);
}

/* tdcconfig_need_global - is a global intake address set? error printed */
int
tdcconfig_need_global(struct cli *c)
{
	char dom[256];

	tdcconfig_domain(c, dom, sizeof(dom));
	if (dom[0] != '\0')
		return 0;
	cli_error(c, "A custom intake address must be in the domain of the global message intake "
		     "address, and none is set: set it first with 'tdcconfig setup "
		     "intake_address=ADDRESS'.");
	return -1;
}

/* tdcconfig_check_custom - valid, and in the global address's domain; error printed */
int
tdcconfig_check_custom(struct cli *c, const char *addr)
{
	char dom[256];

	if (strlen(addr) > 254 || !syntax_email(addr)) {
		cli_error(c, "Invalid custom intake address '%.100s': an email address is a "
			     "localname, '@' and a domain, like user@example.com.",
		    addr);
		return -1;
	}
	if (tdcconfig_need_global(c) < 0)
		return -1;
	tdcconfig_domain(c, dom, sizeof(dom));
	if (strcasecmp(domain_of(addr), dom) != 0) {
		cli_error(c, "The custom intake address %.100s must be in the domain of the global "
			     "message intake address (%s).",
		    addr, dom);
		return -1;
	}
	return 0;
}

/* tdcconfig_policy_value - a policy's tdc= value in its stored form; error printed */
int
tdcconfig_policy_value(struct cli *c, int is_default, const char *in, char *out, size_t size)
{
	if (is_default) {
		if (strcasecmp(in, "global") == 0)
			return str_copy(out, "global", size);
		if (strcasecmp(in, "no") == 0)
			return str_copy(out, "", size);
		cli_error(c, "Invalid tdc '%.100s' for the DEFAULT policy: use tdc=global (the "
			     "global message intake address) or tdc=no.",
		    in);
		return -1;
	}
	if (strcasecmp(in, "default") == 0)
		return str_copy(out, "", size);
	if (strcasecmp(in, "no") == 0)
		return str_copy(out, "no", size);
	if (strncasecmp(in, "custom:", 7) == 0) {
		if (tdcconfig_check_custom(c, in + 7) < 0 ||
		    str_fmt(out, size, "custom:%s", in + 7) < 0)
			return -1;
		str_lower(strrchr(out, '@') + 1);	/* as settings.c stores addresses */
		return 0;
	}
	cli_error(c, "Invalid tdc '%.100s': use tdc=default (the DEFAULT policy's setting), "
		     "tdc=custom:ADDRESS or tdc=no; only DEFAULT takes tdc=global.",
	    in);
	return -1;
}
