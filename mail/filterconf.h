/*
 * filterconf.h - message filters, content filters and quarantines as the
 * configuration stores them (filters, contentfilters, quarantineconfig;
 * the daemon's conf.c loads the same).
 *
 * Storage (config.db items, pending until commit like the rest):
 *   (FILTER_SECTION, NAME)  -> {"text":"<the filter's source>","active":true}
 *   (FILTER_ORDER_SECTION, "order") -> "a,b,c"   the order of application
 *   (CFILTER_SECTION, NAME) -> {"text":"<source>","description":"..."}
 *   (QUARANTINE_SECTION, NAME) -> {"size_mb":N,"retention_hours":N,"expire":"delete"|"release"}
 * The quarantine QUARANTINE_POLICY always exists (built in, with the
 * defaults below unless an item stores other settings) and cannot be
 * deleted.
 *
 * Validity is worked out at every load, never stored: a filter is valid
 * when its text parses as exactly one filter of the item's name and
 * every address list (ADDRLIST_SECTION) and quarantine it names exists
 * (names compared without regard to case). An invalid filter is kept,
 * with why it is invalid, and never run.
 *
 * DIAGNOSTICS: lower-layer style; -1 with a malloc'd one-line *cause.
 * Nothing here prints or exits.
 */
#ifndef MAIL_FILTERCONF_H
#define MAIL_FILTERCONF_H

#include "mail/filter.h"
#include "store/store.h"

#define FILTER_SECTION "filter"
#define FILTER_ORDER_SECTION "filter.order"
#define CFILTER_SECTION "contentfilter"
#define QUARANTINE_SECTION "quarantine"
#define QUARANTINE_POLICY "Policy"

#define FILTERCONF_MAX 1000		/* message filters, or content filters */
#define FILTERCONF_DESC_MAX 500		/* a content filter's description */
#define QUARANTINE_NAME_MAX 63
#define QUARANTINE_MAX 100		/* quarantines, Policy included */
#define QUARANTINE_SIZE_DEFAULT 1024	/* MB */
#define QUARANTINE_SIZE_MIN 1
#define QUARANTINE_SIZE_MAX 1048576
#define QUARANTINE_RETENTION_DEFAULT 240	/* hours (ten days) */
#define QUARANTINE_RETENTION_MIN 1
#define QUARANTINE_RETENTION_MAX 87600		/* ten years */

struct filter_entry {
	char name[FILTER_NAME_MAX + 1];	/* the item's key */
	char *text;			/* its source, as stored */
	char *description;		/* content filters; "" otherwise */
	int active;			/* message filters: 1 active; content filters: always 1 */
	int valid;			/* parses, and everything it names exists */
	char why[200];			/* what makes it invalid; "" when valid */
	struct filter *f;		/* the parsed filter, NULL when the text does not parse */
};

struct filter_set {
	int n;				/* entries: message filters in order, content filters by name */
	struct filter_entry *e;
};

/*
 * filterconf_load - message filters (section FILTER_SECTION, in the order
 * of FILTER_ORDER_SECTION, then any the order item does not name) or
 * content filters (CFILTER_SECTION, by name) as st sees them, each
 * parsed and checked (valid, why)
 */
int filterconf_load(struct store *st, const char *section, struct filter_set *s, char **cause);

/* filterconf_free - release a loaded set */
void filterconf_free(struct filter_set *s);

/* filterconf_find - an entry by name, case-insensitively, or NULL */
const struct filter_entry *filterconf_find(const struct filter_set *s, const char *name);

/* filterconf_index - the index of an entry by name, case-insensitively, or -1 */
int filterconf_index(const struct filter_set *s, const char *name);

/*
 * filterconf_check - what makes parsed filter f invalid as st sees the
 * address lists and quarantines: 0 valid (why ""), 1 invalid with why
 * (`quarantine "Spam" does not exist`), -1 with *cause when the
 * configuration cannot be read
 */
int filterconf_check(struct store *st, const struct filter *f, char *why, size_t size,
    char **cause);

/*
 * filterconf_add - append a copy of a filter (text, description may be
 * NULL) to s, parsed again and checked as filterconf_load does
 */
int filterconf_add(struct store *st, struct filter_set *s, const char *name, const char *text,
    const char *description, int active, char **cause);

/* filterconf_remove - drop entry i of s */
void filterconf_remove(struct filter_set *s, int i);

/*
 * filterconf_save - stage set s as the whole content of section
 * (FILTER_SECTION: also its order): items that are gone are deleted, only
 * those whose stored form differs are written, so an unchanged set
 * stages nothing. Call inside config_begin/config_end for all or nothing.
 */
int filterconf_save(struct store *st, const char *section, const struct filter_set *s,
    char **cause);

/*
 * filterconf_users - the message filters (section FILTER_SECTION) or
 * content filters naming quarantine `qname` (kind "quarantine") or
 * address list `list` (kind "list"), joined by ", " into *who (malloc'd,
 * "" when none)
 */
int filterconf_users(struct store *st, const char *section, const char *kind, const char *name,
    char **who, char **cause);

struct quarantine_conf {
	char name[64];			/* as created (lookups ignore case) */
	long size_mb;			/* space for its messages */
	long retention_hours;		/* how long a message stays */
	int expire_release;		/* at the end of retention: 1 release, 0 delete */
};

/* quarconf_load - every quarantine as st sees it, Policy first, then by name */
int quarconf_load(struct store *st, struct quarantine_conf **q, int *n, char **cause);

/* quarconf_find - a quarantine by name, case-insensitively, or NULL */
const struct quarantine_conf *quarconf_find(const struct quarantine_conf *q, int n,
    const char *name);

/* quarconf_name_valid - a letter first, then letters, digits, '_', '-', '.'; at most 63 */
int quarconf_name_valid(const char *name, char **cause);

/* quarconf_save - stage one quarantine (new or changed); nothing when the stored form is the same */
int quarconf_save(struct store *st, const struct quarantine_conf *q, char **cause);

/* quarconf_delete - stage the removal of a quarantine (never Policy: -1) */
int quarconf_delete(struct store *st, const char *name, char **cause);

#endif
