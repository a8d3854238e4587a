/*
 * tdcconfig.h - the Threat Defense Connector settings and their rules
 * (tdcconfig.c), shared by `tdcconfig` (cmd_tdcconfig.c) and the
 * per-policy TDC setting of `policyconfig` (policyconfig.c).
 *
 * The settings are the tdc.* rows of store/settings_table.c; the rules
 * that tie them together live here, so that every front end refuses the
 * same things with the same words:
 *
 *   - the connector needs a message intake address;
 *   - the Email Threat Defense API needs the connector and all three
 *     credentials (client ID, client secret, API key);
 *   - the forward actions need a forward-to address;
 *   - API polling needs the API;
 *   - an incoming policy's custom intake address is in the domain of the
 *     global one (so the global address cannot move to another domain
 *     while a policy has a custom address).
 *
 * Disabling cascades down that chain: the connector takes the API and
 * polling with it, the API takes polling.
 */
#ifndef COMMANDS_TDCCONFIG_H
#define COMMANDS_TDCCONFIG_H

#include "commands/cmd.h"

/* The settings, in the order print shows them. */
enum tdcconfig_key {
	TDCCONFIG_ENABLE = 0,	/* tdc.enabled */
	TDCCONFIG_INTAKE,	/* tdc.intake_address */
	TDCCONFIG_HEADER,	/* tdc.remote_ip_header */
	TDCCONFIG_API,		/* tdc.api */
	TDCCONFIG_CLIENT_ID,	/* tdc.client_id */
	TDCCONFIG_SECRET,	/* tdc.client_secret (SECRET) */
	TDCCONFIG_API_KEY,	/* tdc.api_key (SECRET) */
	TDCCONFIG_REGION,	/* tdc.api_region */
	TDCCONFIG_ACTION,	/* tdc.action */
	TDCCONFIG_FORWARD_TO,	/* tdc.forward_to */
	TDCCONFIG_POLLING,	/* tdc.polling */
	TDCCONFIG_NKEYS
};

/* Longest value of any of them (the secrets' row max). */
#define TDCCONFIG_VALUE_MAX 512

/* A full set of values, as text (what settings_get returns). */
struct tdcconfig_vals {
	char v[TDCCONFIG_NKEYS][TDCCONFIG_VALUE_MAX + 1];
};

/* tdcconfig_key_name - the batch key of a setting ("intake_address") */
const char *tdcconfig_key_name(enum tdcconfig_key k);

/* tdcconfig_key_find - the setting a batch key names (exact, case-insensitive), or -1 */
int tdcconfig_key_find(const char *key);

/* tdcconfig_keys_text - "enable, intake_address, ... or polling" for error lines */
const char *tdcconfig_keys_text(void);

/* tdcconfig_load - the values as this session sees them (pending changes included) */
void tdcconfig_load(struct cli *c, struct tdcconfig_vals *v);

/* tdcconfig_on - is a yes/no value yes? */
int tdcconfig_on(const struct tdcconfig_vals *v, enum tdcconfig_key k);

/*
 * tdcconfig_value - check and normalise the value in for key k into out
 * (TDCCONFIG_VALUE_MAX + 1 bytes). For a secret, "*****" (what print
 * shows) keeps the current value cur. Error printed; an error about a
 * secret never shows the value.
 */
int tdcconfig_value(struct cli *c, const struct tdcconfig_vals *cur, enum tdcconfig_key k,
    const char *in, char *out);

/*
 * tdcconfig_cascade - for each of enable/api/polling that given (a bit
 * per key) turns off, turn off what depends on it, unless given sets that
 * too. Returns the bits of the keys it turned off that were on in cur.
 */
unsigned tdcconfig_cascade(const struct tdcconfig_vals *cur, struct tdcconfig_vals *v,
    unsigned given);

/*
 * tdcconfig_check - do the values v (a change of cur) follow every rule?
 * error printed
 */
int tdcconfig_check(struct cli *c, const struct tdcconfig_vals *cur,
    const struct tdcconfig_vals *v);

/*
 * tdcconfig_stage - stage the values of v that differ from this session's
 * view (a value back at an unstored default drops the pending edit).
 * Callers group it with config_begin/config_end. Error printed.
 */
int tdcconfig_stage(struct cli *c, const struct tdcconfig_vals *v);

/* tdcconfig_save - tdcconfig_stage, all or nothing */
enum cmd_ret tdcconfig_save(struct cli *c, const struct tdcconfig_vals *v);

/* tdcconfig_also_off - "Also disabled: ..." for the bits tdcconfig_cascade returned */
void tdcconfig_also_off(struct cli *c, unsigned off);

/*
 * tdcconfig_policy_value - an incoming policy's tdc= value, checked and in
 * its stored form, into out (320 bytes): DEFAULT takes global or no,
 * other policies default, no or custom:ADDRESS (in the domain of the
 * global intake address). The default of each (no for DEFAULT, default for
 * the others) is stored as "". Error printed.
 */
int tdcconfig_policy_value(struct cli *c, int is_default, const char *in, char *out,
    size_t size);

/* tdcconfig_need_global - is a global intake address set (custom ones need it)? error printed */
int tdcconfig_need_global(struct cli *c);

/* tdcconfig_check_custom - is a custom intake address valid and in the global domain? */
int tdcconfig_check_custom(struct cli *c, const char *addr);

/* tdcconfig_domain - the domain of the global intake address as this session sees it, or "" */
void tdcconfig_domain(struct cli *c, char *out, size_t size);

#endif
