/*
 * tdcconfig.c - the shell's side of the Threat Defense Connector
 * settings, for `tdcconfig` and for policyconfig's per-policy tdc=
 * setting: reading them as the session sees them, printing the causes of
 * mail/tdcrules.c as error lines, staging.
 *
 * A change is worked out on a full copy of the values: the keys given
 * are checked one by one (tdcconfig_value), the cascade of what was
 * turned off is applied (tdcrules_cascade), the rules are checked on the
 * result (tdcconfig_check), and only then is anything staged, all in one
 * candidate group (tdcconfig_save). So a refused line stages nothing, and
 * a rule holds for the values as they will be, whichever of them the line
 * gave and whichever were already set. Commit checks the same rules again
 * on the merged configuration (mail/confcheck.c).
 *
 * DIAGNOSTICS: one error line per refusal, naming the key and what is
 * allowed; the caller then returns CMD_ERROR. No error line shows the
 * value of a secret.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_util.h"
#include "commands/tdcconfig.h"
#include "mail/policy.h"
#include "store/config.h"
#include "store/remed.h"
#include "store/settings.h"
#include "util/buf.h"
#include "util/str.h"

/* said - print a lower layer's cause as the error line; -1 */
static int
said(struct cli *c, char *cause)
{
	cli_error(c, "%s", cause);
	free(cause);
	return -1;
}

/* tdcconfig_load - the values as this session sees them; error printed */
int
tdcconfig_load(struct cli *c, struct tdcrules_vals *v)
{
	char *cause = NULL;

	if (tdcrules_load(c->st, v, &cause) < 0) {
		cli_error(c, "Cannot read the Threat Defense Connector settings: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* tdcconfig_value - check and normalise one value; error printed */
int
tdcconfig_value(struct cli *c, const struct tdcrules_vals *cur, enum tdcrules_key k,
    const char *in, char *out)
{
	char *cause = NULL;

	if (tdcrules_value(cur, k, in, out, &cause) < 0)
		return said(c, cause);
	return 0;
}

/* tdcconfig_check - every rule, on the values as they will be; error printed */
int
tdcconfig_check(struct cli *c, const struct tdcrules_vals *cur, const struct tdcrules_vals *v)
{
	struct policy_table t;
	char *cause = NULL;
	int rc;

	if (tdcrules_check(v, &cause) < 0)
		return said(c, cause);
	/* only a new address can leave a custom policy address outside its domain */
	if (strcmp(cur->v[TDCRULES_INTAKE], v->v[TDCRULES_INTAKE]) == 0)
		return 0;
	if (policy_load(c->st, POLICY_INCOMING, &t, &cause) < 0) {
		cli_error(c, "Cannot read the incoming mail policies: %s", cause);
		free(cause);
		return -1;
	}
	rc = tdcrules_check_policies(v, &t, &cause);
	policy_table_free(&t);
	return rc < 0 ? said(c, cause) : 0;
}

/* stage_if - stage setting name = value unless it has it already; error printed */
static int
stage_if(struct cli *c, const char *name, const char *value, int *changed)
{
	char *cur = settings_get(c->st, name), *cause = NULL;
	int same = cur && strcmp(cur, value) == 0;

	free(cur);
	if (changed)
		*changed = !same;
	if (same)
		return 0;
	if (settings_stage(c->st, name, value, &cause) < 0) {
		cli_error(c, "Cannot stage %s: %s", name, cause);
		free(cause);
		return -1;
	}
	return 0;
}

/*
 * polling_turns_on - do the values v turn polling on, or keep it on with
 * no primary (set before there was one)?
 */
static int
polling_turns_on(struct cli *c, const struct tdcrules_vals *cur, const struct tdcrules_vals *v)
{
	char *primary;
	int on;

	if (!tdcrules_on(v, TDCRULES_POLLING))
		return 0;
	if (!tdcrules_on(cur, TDCRULES_POLLING))
		return 1;
	primary = settings_get(c->st, "tdc.polling_primary");
	on = primary == NULL || primary[0] == '\0';
	free(primary);
	return on;
}

/* tdcconfig_stage - stage what differs; error printed */
int
tdcconfig_stage(struct cli *c, const struct tdcrules_vals *v)
{
	struct tdcrules_vals *cur = xmalloc(sizeof(*cur));
	char *cause = NULL;
	int ret = 0;

	if (tdcconfig_load(c, cur) < 0) {
		free(cur);
		return -1;
	}
	for (int k = 0; k < TDCRULES_NKEYS && ret == 0; k++) {
		if (strcmp(cur->v[k], v->v[k]) == 0)
			continue;
		if (settings_stage(c->st, tdcrules_setting(k), v->v[k], &cause) < 0) {
			/* the store's cause names the item, never its value */
			cli_error(c, "Cannot stage %s: %s", tdcrules_key_name(k), cause);
			free(cause);
			ret = -1;
		}
	}
	/*
	 * issue 12: whoever turns polling on (tdcconfig, policyconfig's
	 * tdc_polling=) makes this gateway the one that polls
	 */
	if (ret == 0 && polling_turns_on(c, cur, v)) {
		char me[64];

		ret = cmd_serial(c, me, sizeof(me)) < 0 ? -1 :
		    stage_if(c, "tdc.polling_primary", me, NULL);
	}
	free(cur);
	return ret;
}

/* tdcconfig_save - stage, all or nothing */
enum cmd_ret
tdcconfig_save(struct cli *c, const struct tdcrules_vals *v)
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

/* The verdicts ETD gives a message, as its API spells them. */
static const char *const verdict_names[] = { "spam", "malicious", "phishing", "graymail",
	"neutral", "bec", "scam", "noVerdict", NULL };

/* tdcconfig_verdicts - check and normalise a verdict list */
int
tdcconfig_verdicts(const char *in, char *out, size_t size, char **cause)
{
	unsigned seen = 0;
	char **w;
	int n, bad = -1;
	struct buf b;

	w = str_split(in, ',', &n);
	for (int i = 0; i < n && bad < 0; i++) {
		char *t = str_trim(w[i]);
		int k;

		if (*t == '\0')
			continue;
		for (k = 0; verdict_names[k]; k++)
			if (strcasecmp(t, verdict_names[k]) == 0)
				break;
		if (verdict_names[k] == NULL)
			bad = i;
		else
			seen |= 1u << k;
	}
	if (bad >= 0 || seen == 0) {
		*cause = str_printf("Invalid verdicts '%.100s': one or more of spam, malicious, "
				    "phishing, graymail, neutral, bec, scam, noVerdict, separated "
				    "by commas.",
		    bad >= 0 ? str_trim(w[bad]) : in);
		str_split_free(w);
		return -1;
	}
	str_split_free(w);
	buf_init(&b, 0);
	for (int k = 0; verdict_names[k]; k++)
		if (seen & (1u << k)) {
			if (b.len)
				buf_addch(&b, ',');
			buf_addstr(&b, verdict_names[k]);
		}
	buf_addch(&b, '\0');
	n = str_copy(out, b.data, size);
	buf_free(&b);
	if (n < 0)
		*cause = str_dup("The verdict list is too long.");
	return n;
}

/* tdcconfig_primary - the polling primary as print shows it */
void
tdcconfig_primary(struct cli *c, char *out, size_t size)
{
	char *p = settings_get(c->st, "tdc.polling_primary"), me[64];

	if (p == NULL || p[0] == '\0')
		str_copy(out, "no polling primary: turn polling off and on again", size);
	else if (cmd_serial(c, me, sizeof(me)) == 0 && strcmp(me, p) == 0)
		str_copy(out, "this gateway is the polling primary", size);
	else
		str_fmt(out, size, "polling primary: %s", p);
	free(p);
}

/* tdcconfig_save_api - stage v and what goes with it, all or nothing; error printed */
enum cmd_ret
tdcconfig_save_api(struct cli *c, const struct tdcrules_vals *cur, const struct tdcrules_vals *v,
    const char *verdicts)
{
	int api_on = !tdcrules_on(cur, TDCRULES_API) && tdcrules_on(v, TDCRULES_API);
	int poll_on = polling_turns_on(c, cur, v), http = 0, https = 0, ok, has_cert;
	char *cause = NULL, *cert;

	if (config_begin(c->st, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	/* HTTPS needs certconfig's certificate, as interfaceconfig insists */
	cert = settings_get(c->st, "tls.server_cert");
	has_cert = cert != NULL && cert[0] != '\0';
	free(cert);
	ok = tdcconfig_stage(c, v) == 0;
	if (ok && verdicts)
		ok = stage_if(c, "tdc.verdicts", verdicts, NULL) == 0;
	if (ok && api_on)
		ok = stage_if(c, "api.http", "yes", &http) == 0 &&
		    (!has_cert || stage_if(c, "api.https", "yes", &https) == 0);
	if (config_end(c->st, ok, &cause) < 0) {
		cli_error(c, "Cannot stage the change: %s", cause);
		free(cause);
		return CMD_ERROR;
	}
	if (!ok)
		return CMD_ERROR;
	if (http || https) {
		long hp = settings_get_int(c->st, "api.http_port");
		long sp = settings_get_int(c->st, "api.https_port");

		char what[128];

		if (http && https)
			str_fmt(what, sizeof(what), "HTTP (port %ld) and HTTPS (port %ld)", hp, sp);
		else if (http)
			str_fmt(what, sizeof(what), "HTTP (port %ld)", hp);
		else
			str_fmt(what, sizeof(what), "HTTPS (port %ld)", sp);
		cli_printf(c, "Also enabled: the AsyncOS API over %s, which the Email Threat "
			      "Defense API needs (interfaceconfig).\n", what);
	}
	if (api_on && !has_cert)
		cli_printf(c, "The AsyncOS API over HTTPS is not enabled: there is no certificate "
			      "(certconfig, then interfaceconfig api https=yes).\n");
	if (poll_on)
		cli_printf(c, "This gateway is now the Email Threat Defense API polling primary.\n");
	return CMD_OK;
}

/* tdcconfig_also_off - say what a cascade turned off */
void
tdcconfig_also_off(struct cli *c, unsigned off)
{
	if ((off & (1u << TDCRULES_API)) && (off & (1u << TDCRULES_POLLING)))
		cli_printf(c, "Also disabled: the Email Threat Defense API and API polling.\n");
	else if (off & (1u << TDCRULES_API))
		cli_printf(c, "Also disabled: the Email Threat Defense API.\n");
	else if (off & (1u << TDCRULES_POLLING))
		cli_printf(c, "Also disabled: Email Threat Defense API polling.\n");
}

/* global - the global intake address as this session sees it (malloc'd) */
static char *
global(struct cli *c)
{
	return settings_get(c->st, tdcrules_setting(TDCRULES_INTAKE));
}

/* tdcconfig_domain - the global intake address's domain, or "" */
void
tdcconfig_domain(struct cli *c, char *out, size_t size)
{
	char *g = global(c);

	str_copy(out, tdcrules_domain(g), size);
	free(g);
}

/* tdcconfig_need_global - is a global intake address set? error printed */
int
tdcconfig_need_global(struct cli *c)
{
	char *g = global(c), *cause = NULL;
	int rc = tdcrules_need_global(g, &cause);

	free(g);
	return rc < 0 ? said(c, cause) : 0;
}

/* tdcconfig_check_custom - valid, and in the global address's domain; error printed */
int
tdcconfig_check_custom(struct cli *c, const char *addr)
{
	char *g = global(c), *cause = NULL;
	int rc = tdcrules_check_custom(addr, g, &cause);

	free(g);
	return rc < 0 ? said(c, cause) : 0;
}

/* tdcconfig_policy_value - a policy's tdc= value in its stored form; error printed */
int
tdcconfig_policy_value(struct cli *c, int is_default, const char *in, char *out, size_t size)
{
	char *g = global(c), *cause = NULL;
	int rc = tdcrules_policy_value(is_default, in, g, out, size, &cause);

	free(g);
	return rc < 0 ? said(c, cause) : 0;
}
