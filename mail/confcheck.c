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
 * confcheck_items, for configuration files: every section mxgated reads,
 * parsed as daemon/conf.c conf_load parses it (sections[] lists them).
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line cause: the first rule that
 * breaks, then that nothing was committed and the changes are kept.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/addrlist.h"
#include "mail/alertconf.h"
#include "mail/confcheck.h"
#include "mail/destconf.h"
#include "mail/filterconf.h"
#include "mail/listener.h"
#include "mail/logsub.h"
#include "mail/policy.h"
#include "mail/remedconf.h"
#include "mail/route.h"
#include "mail/sdrconf.h"
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

/* confcheck_rules - every cross-item rule, the first that breaks as its own cause */
int
confcheck_rules(struct store *st, char **cause)
{
	for (int i = 0; i < NCHECKS; i++)
		if (checks[i](st, cause) < 0)
			return -1;
	return 0;
}

/* confcheck_commit - every cross-item rule, on the merged configuration */
int
confcheck_commit(struct store *st, void *arg, char **cause)
{
	char *why = NULL;

	(void)arg;
	if (confcheck_rules(st, &why) < 0) {
		*cause = str_printf("%s Nothing was committed; your changes are kept: "
				    "review them with showchanges.",
		    why);
		free(why);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- items as mxgated reads them */

/* An item walk that stops at the first item its parser refuses. */
struct itemwalk {
	struct confcheck_where *w;
	char *cause;		/* the parser's, malloc'd; NULL while all parse */
};

/* blame - note the item at fault; the walk stops */
static int
blame(struct itemwalk *iw, const char *section, const char *key, char *cause)
{
	str_copy(iw->w->section, section, sizeof(iw->w->section));
	str_copy(iw->w->key, key, sizeof(iw->w->key));
	iw->cause = cause;
	return 1;
}

/* The listeners walk: each one decoded, and checked against those before it. */
struct listenerwalk {
	struct itemwalk iw;		/* first: blame takes it */
	struct listener_conf *v;	/* the listeners read so far */
	int n, cap;
};

/*
 * listener_item - config_item_cb: a listener as mxgated decodes it
 * (add_listener), and one that could not bind beside an earlier one (the
 * same address and port: listenerconfig's own check, listener_clash)
 */
static int
listener_item(const char *section, const char *key, const char *value, void *arg)
{
	struct listenerwalk *lw = arg;
	struct listener_conf l;
	char *why = NULL;
	int by_name, i;

	if (listener_decode(key, value, &l, &why) < 0)
		return blame(&lw->iw, section, key, why);
	if ((i = listener_clash(lw->v, lw->n, &l, -1, &by_name)) >= 0)
		return blame(&lw->iw, section, key, by_name ?
		    str_printf("the listener %s has the same name (names are compared "
			"without case).", lw->v[i].name) :
		    str_printf("the listener %s already listens on %s port %d.", lw->v[i].name,
			lw->v[i].ip, lw->v[i].port));
	if (lw->n == lw->cap) {
		lw->cap = lw->cap ? lw->cap * 2 : 8;
		lw->v = xrealloc(lw->v, (size_t)lw->cap * sizeof(*lw->v));
	}
	lw->v[lw->n++] = l;
	return 0;
}

/*
 * route_item - config_item_cb: a route as smtproutes writes it. mxgated
 * takes routes as stored and drops a destination it cannot read when it
 * delivers (route_dests), and matches "ALL" and domains as written: an
 * item not in smtproutes' normal form would route mail other than the
 * file says, so it is refused with the form to write.
 */
static int
route_item(const char *section, const char *key, const char *value, void *arg)
{
	char domain[256], *dests, *why = NULL;
	size_t size = strlen(value) * 2 + 64;	/* the normal form is never much longer */
	int rc = 0;

	if (route_parse_domain(key, domain, sizeof(domain), &why) < 0)
		return blame(arg, section, key, why);
	if (strcmp(domain, key) != 0)
		return blame(arg, section, key,
		    str_printf("the route's domain must be written %s.", domain));
	dests = xcalloc(1, size);
	if (route_parse_dests(value, dests, size, &why) < 0)
		rc = blame(arg, section, key, why);
	else if (strcmp(dests, value) != 0)
		rc = blame(arg, section, key,
		    str_printf("the destinations must be written '%.300s'.", dests));
	free(dests);
	return rc;
}

/* dest_item - config_item_cb: destination controls as mxgated decodes them (add_dest) */
static int
dest_item(const char *section, const char *key, const char *value, void *arg)
{
	struct destconf d;
	char *why = NULL;

	if (destconf_decode(key, value, &d, &why) < 0)
		return blame(arg, section, key, why);
	return 0;
}

/* walk - every item of section through cb; -1 with *cause and w at the first refused */
static int
walk(struct store *st, const char *section, config_item_cb cb, struct confcheck_where *w,
    char **cause)
{
	struct itemwalk iw = { w, NULL };

	if (config_list(st, section, cb, &iw, cause) < 0)
		return -1;
	if (iw.cause) {
		*cause = iw.cause;
		return -1;
	}
	return 0;
}

static int
check_listeners(struct store *st, struct confcheck_where *w, char **cause)
{
	struct listenerwalk lw = { { w, NULL }, NULL, 0, 0 };
	int rc = config_list(st, LISTENER_SECTION, listener_item, &lw, cause);

	free(lw.v);
	if (rc < 0)
		return -1;
	if (lw.iw.cause) {
		*cause = lw.iw.cause;
		return -1;
	}
	return 0;
}

static int
check_routes(struct store *st, struct confcheck_where *w, char **cause)
{
	return walk(st, ROUTE_SECTION, route_item, w, cause);
}

static int
check_dests(struct store *st, struct confcheck_where *w, char **cause)
{
	return walk(st, DESTCONF_SECTION, dest_item, w, cause);
}

/* check_policies - both directions, as policy_load reads them */
static int
check_policies(struct store *st, struct confcheck_where *w, char **cause)
{
	static const enum policy_dir dirs[] = { POLICY_INCOMING, POLICY_OUTGOING };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct policy_table t = { 0 };
		int rc = policy_load(st, dirs[i], &t, cause);

		policy_table_free(&t);
		if (rc < 0) {
			str_copy(w->section, policy_section(dirs[i]), sizeof(w->section));
			return -1;
		}
	}
	return 0;
}

/* check_filters - message and content filters: each must parse as one filter of its name */
static int
check_filters(struct store *st, struct confcheck_where *w, char **cause)
{
	static const char *const sections[] = { FILTER_SECTION, CFILTER_SECTION };

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		struct filter_set s = { 0, NULL };
		int rc = filterconf_load(st, sections[i], &s, cause);

		for (int k = 0; rc == 0 && k < s.n; k++) {
			if (s.e[k].f != NULL)
				continue;
			str_copy(w->key, s.e[k].name, sizeof(w->key));
			*cause = str_printf("the filter does not compile: %s", s.e[k].why);
			rc = -1;
		}
		filterconf_free(&s);
		if (rc < 0) {
			str_copy(w->section, sections[i], sizeof(w->section));
			return -1;
		}
	}
	return 0;
}

static int
check_logsubs(struct store *st, struct confcheck_where *w, char **cause)
{
	struct logsub *subs = NULL;
	int n = 0, rc = logsub_load(st, &subs, &n, cause);

	(void)w;
	free(subs);
	return rc;
}

static int
check_sdr(struct store *st, struct confcheck_where *w, char **cause)
{
	struct sdr_conf c;
	int rc;

	(void)w;
	memset(&c, 0, sizeof(c));
	rc = sdrconf_load(st, &c, cause);
	sdrconf_free(&c);
	return rc;
}

static int
check_addrlists(struct store *st, struct confcheck_where *w, char **cause)
{
	struct addrlist_table t;
	int rc;

	(void)w;
	memset(&t, 0, sizeof(t));
	rc = addrlist_load(st, &t, cause);
	addrlist_table_free(&t);
	return rc;
}

static int
check_quarantines(struct store *st, struct confcheck_where *w, char **cause)
{
	struct quarantine_conf *q = NULL;
	int n = 0, rc = quarconf_load(st, &q, &n, cause);

	(void)w;
	free(q);
	return rc;
}

static int
check_remediation(struct store *st, struct confcheck_where *w, char **cause)
{
	struct remed_conf c;
	int rc;

	(void)w;
	memset(&c, 0, sizeof(c));
	rc = remedconf_load(st, &c, cause);
	remedconf_free(&c);
	return rc;
}

static int
check_alerts(struct store *st, struct confcheck_where *w, char **cause)
{
	struct alert_conf ac;
	int rc;

	(void)w;
	memset(&ac, 0, sizeof(ac));
	rc = alertconf_load(st, &ac, cause);
	alertconf_free(&ac);
	return rc;
}

/*
 * The sections mxgated reads (daemon/conf.c conf_load), each with the
 * check that reads it as mxgated does; a check that reads several
 * sections is on its first row only. Settings have no check here: the
 * store checks each against its declaration as it is written.
 */
static const struct {
	const char *section;
	int (*check)(struct store *st, struct confcheck_where *w, char **cause);
} sections[] = {
	{ SETTINGS_SECTION, NULL },
	{ LISTENER_SECTION, check_listeners },
	{ ROUTE_SECTION, check_routes },
	{ DESTCONF_SECTION, check_dests },
	{ NULL, check_policies },	/* its sections: confcheck_section_known */
	{ ADDRLIST_SECTION, check_addrlists },	/* before the filters and SDR that name lists */
	{ QUARANTINE_SECTION, check_quarantines },
	{ FILTER_SECTION, check_filters },
	{ FILTER_ORDER_SECTION, NULL },
	{ CFILTER_SECTION, NULL },
	{ LOGSUB_SECTION, check_logsubs },
	{ SDRCONF_BLOCKLIST_SECTION, check_sdr },
	{ SDRCONF_LOCAL_SECTION, NULL },
	{ SDRCONF_FEED_SECTION, NULL },
	{ REMEDCONF_PROFILE_SECTION, check_remediation },
	{ REMEDCONF_SECRET_SECTION, NULL },
	{ ALERTCONF_SECTION, check_alerts },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* confcheck_section_known - does mxgated read section? */
int
confcheck_section_known(const char *section)
{
	for (size_t i = 0; i < NSECTIONS; i++)
		if (sections[i].section && strcmp(sections[i].section, section) == 0)
			return 1;
	for (int d = POLICY_INCOMING; d <= POLICY_OUTGOING; d++)
		if (strcmp(policy_section((enum policy_dir)d), section) == 0 ||
		    strcmp(policy_order_section((enum policy_dir)d), section) == 0)
			return 1;
	return 0;
}

/* confcheck_items - every known section, read with mxgated's parsers */
int
confcheck_items(struct store *st, struct confcheck_where *w, char **cause)
{
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < NSECTIONS; i++) {
		if (sections[i].check == NULL)
			continue;
		if (sections[i].check(st, w, cause) < 0) {
			if (w->section[0] == '\0' && sections[i].section)
				str_copy(w->section, sections[i].section, sizeof(w->section));
			return -1;
		}
	}
	return 0;
}
