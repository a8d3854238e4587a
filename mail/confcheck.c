/*
 * confcheck.c - the cross-item rules checked on the whole configuration
 * inside commit (see confcheck.h for why).
 *
 * The rules are in the modules that own them (the Threat Defense
 * Connector's in tdcrules.c); this file lists them, in the order they are
 * checked, and holds the short ones that tie two modules together:
 *   - an incoming policy names only content filters that exist (policy.c
 *     keeps a name whose filter is gone rather than drop it, and
 *     contentfilters refuses to delete a filter a policy names, but only
 *     as its own session sees the policies);
 *   - the SDR exception list (sdr.exception_list) is an address list that
 *     exists and holds only domains (sdradvancedconfig checks it, and
 *     addresslistconfig refuses to delete it or give it other entries,
 *     again only as its own session sees it).
 * A filter whose exception list is missing or not domain-only is not a
 * commit error: as in AsyncOS it is kept and marked invalid
 * (filterconf.c), so a commit cannot be blocked by a filter nobody in
 * this session touched.
 * A later feature whose settings tie into others adds a row to checks[].
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause: the first rule that
 * breaks, then that nothing was committed and the changes are kept.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/addrlist.h"
#include "mail/confcheck.h"
#include "mail/filterconf.h"
#include "mail/policy.h"
#include "mail/tdcrules.h"
#include "store/config.h"
#include "store/settings.h"
#include "util/str.h"

/* ---------------------------------------------------------- items by name */

/* A section item looked up by name, ignoring case, in one walk. */
struct lookup {
	const char *name;	/* wanted */
	char *key;		/* the stored key (malloc'd), NULL when none */
	char *value;		/* its value (malloc'd) */
};

/* lookup_one - config_item_cb: stop at the key equal to the name ignoring case */
static int
lookup_one(const char *section, const char *key, const char *value, void *arg)
{
	struct lookup *l = arg;

	(void)section;
	if (strcasecmp(key, l->name) != 0)
		return 0;
	l->key = str_dup(key);
	l->value = str_dup(value);
	return 1;
}

/* lookup - item name of section (any case) into l; -1 with *cause on a store error */
static int
lookup(struct store *st, const char *section, const char *name, struct lookup *l, char **cause)
{
	l->name = name;
	l->key = l->value = NULL;
	return config_list(st, section, lookup_one, l, cause);
}

static void
lookup_free(struct lookup *l)
{
	free(l->key);
	free(l->value);
	l->key = l->value = NULL;
}

/* ---------------------------------------------------------- the rules */

/* The keys of a section. */
struct keys {
	int n;
	char **k;
};

/* key_add - config_item_cb: collect one key */
static int
key_add(const char *section, const char *key, const char *value, void *arg)
{
	struct keys *ks = arg;

	(void)section;
	(void)value;
	ks->k = xrealloc(ks->k, sizeof(char *) * (size_t)(ks->n + 1));
	ks->k[ks->n++] = str_dup(key);
	return 0;
}

static void
keys_free(struct keys *ks)
{
	for (int i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
	ks->k = NULL;
	ks->n = 0;
}

/* keys_has - is name one of the keys, ignoring case? */
static int
keys_has(const struct keys *ks, const char *name)
{
	for (int i = 0; i < ks->n; i++)
		if (strcasecmp(ks->k[i], name) == 0)
			return 1;
	return 0;
}

/* check_cfilters - every content filter an incoming policy names exists */
static int
check_cfilters(struct store *st, char **cause)
{
	struct policy_table t;
	struct keys cf = { 0, NULL };
	int rc = 0;

	if (config_list(st, CFILTER_SECTION, key_add, &cf, cause) < 0) {
		keys_free(&cf);
		return -1;
	}
	if (policy_load(st, POLICY_INCOMING, &t, cause) < 0) {
		keys_free(&cf);
		return -1;
	}
	for (int i = 0; i < t.n && rc == 0; i++) {
		for (int k = 0; k < t.p[i].ncfilters && rc == 0; k++) {
			if (keys_has(&cf, t.p[i].cfilters[k]))
				continue;
			*cause = str_printf("The incoming policy %s uses the content filter %.64s, "
					    "which does not exist: create it again or change the "
					    "policy's content_filters=.",
			    t.p[i].name, t.p[i].cfilters[k]);
			rc = -1;
		}
	}
	policy_table_free(&t);
	keys_free(&cf);
	return rc;
}

/* check_exception_list - sdr.exception_list is "" or a domain-only address list */
static int
check_exception_list(struct store *st, char **cause)
{
	struct addrlist al;
	struct lookup l;
	char *name = NULL, *why = NULL;
	int rc = -1;

	if (settings_read(st, "sdr.exception_list", &name, cause) < 0)
		return -1;
	if (name[0] == '\0') {
		free(name);
		return 0;
	}
	if (lookup(st, ADDRLIST_SECTION, name, &l, cause) < 0)
		goto out;
	if (l.key == NULL) {
		*cause = str_printf("The SDR exception list (sdr.exception_list) is the address "
				    "list %.64s, which does not exist: create it again or change "
				    "sdradvancedconfig exception_list=.",
		    name);
		goto out;
	}
	memset(&al, 0, sizeof(al));
	if (addrlist_decode(l.key, l.value, &al, &why) < 0) {
		*cause = str_printf("The SDR exception list (sdr.exception_list) cannot be read: %s",
		    why);
		free(why);
		goto out;
	}
	for (int i = 0; i < al.n; i++) {
		if (addrlist_entry_kind(al.entries[i]) == ADDRLIST_DOMAIN)
			continue;
		*cause = str_printf("The SDR exception list (sdr.exception_list) is the address "
				    "list %s, which holds '%.100s', not a domain: an exception list "
				    "holds only domains (change the list or sdradvancedconfig "
				    "exception_list=).",
		    l.key, al.entries[i]);
		addrlist_clear(&al);
		goto out;
	}
	addrlist_clear(&al);
	rc = 0;
out:
	lookup_free(&l);
	free(name);
	return rc;
}

/* The checks, each on the configuration as the store handle sees it. */
static int (*const checks[])(struct store *st, char **cause) = {
	tdcrules_check_store,
	check_cfilters,
	check_exception_list,
};
#define NCHECKS (int)(sizeof(checks) / sizeof(checks[0]))

/* confcheck_commit - every cross-item rule, on the merged configuration */
int
confcheck_commit(struct store *st, void *arg, char **cause)
{
	char *why = NULL;

	(void)arg;
	for (int i = 0; i < NCHECKS; i++) {
		if (checks[i](st, &why) < 0) {
			*cause = str_printf("%s Nothing was committed; your changes are kept: "
					    "review them with showchanges.",
			    why);
			free(why);
			return -1;
		}
	}
	return 0;
}
