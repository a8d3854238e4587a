/*
 * tdcrules.h - the Threat Defense Connector settings and the rules that
 * tie them together and to the incoming mail policies (tdcrules.c).
 *
 * The settings are the tdc.* rows of store/settings_table.c. The rules,
 * checked when a command stages a change (commands/tdcconfig.c,
 * commands/policyconfig.c) and again on the whole configuration inside
 * commit (mail/confcheck.c), so that two sessions cannot together commit
 * what neither could alone:
 *
 *   - the connector needs a message intake address;
 *   - the Email Threat Defense API needs the connector and all three
 *     credentials (client ID, client secret, API key);
 *   - the forward actions need a forward-to address;
 *   - API polling needs the API;
 *   - an incoming policy's custom intake address (DEFAULT's included) is
 *     in the domain of the global one.
 *
 * Disabling cascades down the chain polling ⊂ API ⊂ connector: the
 * connector takes the API and polling with it, the API takes polling
 * (tdcrules_cascade).
 *
 * DIAGNOSTICS: lower-layer style; -1 with a malloc'd one-line *cause, a
 * sentence an operator can act on, which never contains the value of a
 * secret. Nothing here prints.
 */
#ifndef MAIL_TDCRULES_H
#define MAIL_TDCRULES_H

#include <stddef.h>

#include "mail/policy.h"
#include "store/store.h"

/* The settings, in the order tdcconfig print shows them. */
enum tdcrules_key {
	TDCRULES_ENABLE = 0,	/* tdc.enabled */
	TDCRULES_INTAKE,	/* tdc.intake_address */
	TDCRULES_HEADER,	/* tdc.remote_ip_header */
	TDCRULES_API,		/* tdc.api */
	TDCRULES_CLIENT_ID,	/* tdc.client_id */
	TDCRULES_SECRET,	/* tdc.client_secret (SECRET) */
	TDCRULES_API_KEY,	/* tdc.api_key (SECRET) */
	TDCRULES_REGION,	/* tdc.api_region */
	TDCRULES_ACTION,	/* tdc.action */
	TDCRULES_FORWARD_TO,	/* tdc.forward_to */
	TDCRULES_POLLING,	/* tdc.polling */
	TDCRULES_NKEYS
};

/* Longest value of any of them (the secrets' row max). */
#define TDCRULES_VALUE_MAX 512

/* Longest custom intake address (an RFC 5321 path is at most 256 octets). */
#define TDCRULES_ADDRESS_MAX 254

/*
 * What a secret that cannot be decrypted (secret.key lost) loads as: set,
 * for the rules, and kept unless the operator gives a value or clears it;
 * it holds a control character, which no value entered at the CLI can.
 */
#define TDCRULES_LOST "\001lost"

/* A full set of values, as text (as the store holds them). */
struct tdcrules_vals {
	char v[TDCRULES_NKEYS][TDCRULES_VALUE_MAX + 1];
	unsigned lost;			/* bit k: the stored secret k cannot be decrypted */
	char lost_why[300];		/* why, for the first of them */
};

/* tdcrules_key_name - the batch key of a setting ("intake_address") */
const char *tdcrules_key_name(enum tdcrules_key k);

/* tdcrules_setting - the settings_table row of a setting ("tdc.intake_address") */
const char *tdcrules_setting(enum tdcrules_key k);

/* tdcrules_is_secret - is the value of k never shown? */
int tdcrules_is_secret(enum tdcrules_key k);

/* tdcrules_key_find - the setting a batch key names (exact, case-insensitive), or -1 */
int tdcrules_key_find(const char *key);

/* tdcrules_load - the values as this store handle sees them (defaults where unset) */
int tdcrules_load(struct store *st, struct tdcrules_vals *v, char **cause);

/* tdcrules_on - is a yes/no value yes? */
int tdcrules_on(const struct tdcrules_vals *v, enum tdcrules_key k);

/* tdcrules_domain - the domain of an address (after the last '@'), or "" */
const char *tdcrules_domain(const char *addr);

/*
 * tdcrules_value - check and normalise the value in for key k into out
 * (TDCRULES_VALUE_MAX + 1 bytes). For a secret, "*****" (what print
 * shows) keeps the current value cur. A cause about a secret never shows
 * the value.
 */
int tdcrules_value(const struct tdcrules_vals *cur, enum tdcrules_key k, const char *in,
    char *out, char **cause);

/*
 * tdcrules_cascade - for each of enable/api that given (a bit per key)
 * turns off, turn off what depends on it, unless given sets that too.
 * Returns the bits of the keys it turned off that were on in cur.
 */
unsigned tdcrules_cascade(const struct tdcrules_vals *cur, struct tdcrules_vals *v,
    unsigned given);

/* tdcrules_check - do the settings v follow the rules among themselves? */
int tdcrules_check(const struct tdcrules_vals *v, char **cause);

/*
 * tdcrules_check_policies - is every custom intake address of the
 * incoming policies t in the domain of the global intake address of v?
 * (Nothing to check while no global address is set: nothing is journaled.)
 */
int tdcrules_check_policies(const struct tdcrules_vals *v, const struct policy_table *t,
    char **cause);

/* tdcrules_need_global - is a global intake address (global) set, as custom ones need? */
int tdcrules_need_global(const char *global, char **cause);

/*
 * tdcrules_check_custom - is addr a valid custom intake address in the
 * domain of the global address global ("" when none is set)?
 */
int tdcrules_check_custom(const char *addr, const char *global, char **cause);

/*
 * tdcrules_policy_value - an incoming policy's tdc= value, checked and in
 * its stored form, into out: DEFAULT takes global, no or custom:ADDRESS,
 * other policies default, no or custom:ADDRESS (ADDRESS in the domain of
 * global). The default of each (no for DEFAULT, default for the others)
 * is stored as "".
 */
int tdcrules_policy_value(int is_default, const char *in, const char *global, char *out,
    size_t size, char **cause);

/*
 * tdcrules_check_store - every rule above on the configuration as st
 * sees it (a session: the running configuration with its candidate over
 * it; inside commit, the merged result about to become running)
 */
int tdcrules_check_store(struct store *st, char **cause);

#endif
