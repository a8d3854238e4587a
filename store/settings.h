/*
 * settings.h - scalar settings, declared once in settings_table.c.
 *
 * Every write is validated against the table (type, range, choices);
 * SECRET values are never printed back nor logged, and config.db keeps
 * them encrypted (store/secret.h): read them with settings_read, which
 * fails when one cannot be decrypted, not with settings_get, which
 * falls back to the default on any error. Settings are
 * configuration items in section "setting", so they share the candidate,
 * commit and rollback of every other item.
 */
#ifndef STORE_SETTINGS_H
#define STORE_SETTINGS_H

#include "store/store.h"

#define SETTINGS_SECTION "setting"
#define SETTINGS_MASK "*****"

enum setting_type {
	SETTING_STRING,		/* free text, max = longest length */
	SETTING_INT,		/* decimal within [min, max] */
	SETTING_BOOL,		/* yes / no */
	SETTING_HOSTNAME,	/* RFC 1123 host name, or empty when min = 0 */
	SETTING_EMAIL,		/* local@domain, or empty when min = 0 */
	SETTING_ENUM,		/* one of the '|'-separated choices */
	SETTING_FIELDNAME,	/* an RFC 5322 header field name (max = longest length) */
	SETTING_ENDPOINT,	/* one of the choices (a region), or an https:// URL */
};

#define SETTING_SECRET 0x01	/* never shown nor logged; encrypted at rest */
#define SETTING_HIDDEN 0x02	/* not listed; for tests and support */

struct setting_def {
	const char *name;	/* "tdc.intake_address" */
	enum setting_type type;
	const char *def;	/* default value as text */
	long min, max;		/* INT range; STRING max length; min 1 = required */
	int flags;		/* SETTING_* */
	const char *choices;	/* ENUM, ENDPOINT: "us|de|au" */
	const char *help;	/* one line */
};

/* settings_table - all settings, ended by a row with name NULL */
extern const struct setting_def settings_table[];

/* settings_find - the declaration of a setting, or NULL */
const struct setting_def *settings_find(const char *name);

/* settings_validate - check (and normalise in place, e.g. bool case) a value */
int settings_validate(const struct setting_def *d, char *value, size_t size, char **cause);

/* settings_get - current value as this session sees it (default if unset); malloc'd */
char *settings_get(struct store *st, const char *name);

/* settings_read - like settings_get, but a store error is an error (-1, *cause), not the default */
int settings_read(struct store *st, const char *name, char **value, char **cause);

/* settings_get_int - INT or BOOL value as a number */
long settings_get_int(struct store *st, const char *name);

/* settings_get_running - the committed value, what mxgated runs with (default if unset); malloc'd */
char *settings_get_running(struct store *st, const char *name);

/* settings_running_int - settings_get_running as a number (INT or BOOL) */
long settings_running_int(struct store *st, const char *name);

/* settings_set - validate and stage a value */
int settings_set(struct store *st, const char *name, const char *value, char **cause);

/*
 * settings_stage - settings_set, except that going back to the default of
 * a setting that is not stored drops the pending edit instead of storing
 * the default (so "set it back" leaves nothing to commit); in a cluster
 * the default is stored, for it overrides the levels above
 */
int settings_stage(struct store *st, const char *name, const char *value, char **cause);

/* settings_is_secret - is this configuration item a SECRET setting? */
int settings_is_secret(const char *section, const char *key);

/* settings_is_secret_word - is NAME (e.g. from "client_secret=x") a secret key? */
int settings_is_secret_word(const char *name, size_t len);

#endif
