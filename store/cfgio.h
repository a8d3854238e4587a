/*
 * cfgio.h - the whole running configuration at once, for the
 * configuration files (saveconfig, showconfig, loadconfig, resetconfig;
 * issue 13): read every item, replay the schema migrations over the items
 * of a file saved at an older schema, stage a whole file as the session's
 * candidate, stage the factory configuration.
 *
 * The factory configuration is what a fresh data directory has: no item
 * at all (every setting at its default, no listener, policy, route or
 * filter). Accounts are not items (store/users.h) and are kept.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause; staging is all or
 * nothing (config_begin/config_end): on failure the candidate is as it
 * was.
 */
#ifndef STORE_CFGIO_H
#define STORE_CFGIO_H

#include <stddef.h>
#include <stdint.h>

#include "store/config.h"
#include "store/store.h"

/* One item handed to or from the functions below. */
struct cfgio_item {
	const char *section;	/* configuration section */
	const char *key;	/* item key */
	const char *value;	/* clear value (a secret opened) */
};

/* cfgio_item_cb - one item: secret tells a secret item (store/secret.h); non-zero stops */
typedef int (*cfgio_item_cb)(const char *section, const char *key, const char *value,
    int secret, void *arg);

/* How cfgio_running hands over secret items. */
enum cfgio_secrets {
	CFGIO_OPEN = 0,		/* opened: the clear value */
	CFGIO_SEALED,		/* left sealed: "" if not set, else SETTINGS_MASK */
};

/*
 * cfgio_running - every committed item, ordered by section and key, all
 * from one snapshot; secrets opened or left sealed (a file that masks them
 * needs no key: DIR/secret.key is neither read nor needed); *commit (if
 * not NULL) the commit number they are at
 */
int cfgio_running(struct store *st, enum cfgio_secrets how, cfgio_item_cb cb, void *arg,
    int64_t *commit, char **cause);

/*
 * cfgio_migrate - the items of a file saved at config.db schema version
 * schema, as this build's schema has them, in order through cb. At the
 * current schema they are handed over as they are; at an older one they
 * are put in an in-memory database at that version and config.db's own
 * migrations are run over them (store/db.c). A secret's value never goes
 * into that database (a stand-in does, the value is handed back in its
 * place): cb gets the caller's own value pointer for every secret item.
 */
int cfgio_migrate(int schema, const struct cfgio_item *items, size_t n, cfgio_item_cb cb,
    void *arg, char **cause);

/*
 * cfgio_stage - make items (no (section, key) twice) the session's
 * candidate: every running item they do not hold is deleted, the others
 * set (settings validated as settingsconfig does), then check (if not
 * NULL) run with arg on the result, inside the same group: the store
 * knows no rules, the caller supplies them (commands/cmd_loadconfig.c
 * passes mail/confcheck.c's). Refused with pending changes. On failure
 * *bad (if not NULL) is the index of the item refused, or -1 when none
 * is to blame (the check failed), and nothing is staged.
 */
int cfgio_stage(struct store *st, const struct cfgio_item *items, size_t n,
    config_check_cb check, void *arg, long *bad, char **cause);

/* cfgio_stage_reset - stage the factory configuration (every running item deleted) */
int cfgio_stage_reset(struct store *st, char **cause);

#endif
