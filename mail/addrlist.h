/*
 * addrlist.h - address lists (addresslistconfig): named lists of email
 * addresses, domains and IP addresses that message and content filters
 * and Sender Domain Reputation name, as AsyncOS's address lists.
 *
 * Storage: one item per list, (ADDRLIST_SECTION, NAME) -> JSON
 * {"description":"...","domains_only":true,"entries":["@a.test",...]}.
 * Entries are kept normalised (lower case, canonical IP text):
 *   user@domain   that address
 *   user@         that local part at any domain
 *   @domain       that domain exactly
 *   @.domain      its subdomains only (a.domain, b.a.domain; not domain)
 *   IP, IP/LEN    an IPv4 or IPv6 address or network (CIDR)
 * A list whose entries are all domains (@...) is domain-only: only those
 * serve as SDR exception lists.
 *
 * DIAGNOSTICS: lower-layer style; -1 with a malloc'd one-line *cause
 * naming the list or the entry. Nothing here prints or exits.
 */
#ifndef MAIL_ADDRLIST_H
#define MAIL_ADDRLIST_H

#include <stddef.h>

#include "store/store.h"

#define ADDRLIST_SECTION "addresslist"
#define ADDRLIST_NAME_MAX 63
#define ADDRLIST_ENTRY_MAX 320		/* longest entry text: 64 + '@' + '.' + 253, IPv6/128 */
#define ADDRLIST_MAX_ENTRIES 10000	/* entries in one list */
#define ADDRLIST_DESC_MAX 500		/* description length */
#define ADDRLIST_MAX 1000		/* lists */

struct addrlist {
	char name[ADDRLIST_NAME_MAX + 1];	/* as created (lookups ignore case) */
	char *description;			/* "" when none */
	int domains_only;			/* every entry is @domain or @.domain */
	int n;					/* entries */
	char **entries;				/* normalised, in the operator's order */
};

struct addrlist_table {
	int n;				/* lists, ordered by name */
	struct addrlist *l;
};

/* What an entry is (addrlist_entry_kind). */
enum addrlist_kind {
	ADDRLIST_ADDRESS = 0,		/* user@domain or user@ */
	ADDRLIST_DOMAIN,		/* @domain or @.domain */
	ADDRLIST_IP,			/* address or CIDR network */
};

/* addrlist_load - every list as this handle sees it (session: running + candidate) */
int addrlist_load(struct store *st, struct addrlist_table *t, char **cause);

/* addrlist_table_free - release a loaded table */
void addrlist_table_free(struct addrlist_table *t);

/* addrlist_find - a list by name, case-insensitively, or NULL */
const struct addrlist *addrlist_find(const struct addrlist_table *t, const char *name);

/*
 * addrlist_entry_parse - validate and normalise one entry into out[size]
 * (lower case; "10.1.2.3/8" -> "10.0.0.0/8"; IPv6 in RFC 5952 form).
 * 0, or -1 with *cause (may be NULL).
 */
int addrlist_entry_parse(const char *in, char *out, size_t size, char **cause);

/* addrlist_entry_kind - what a normalised entry is */
enum addrlist_kind addrlist_entry_kind(const char *entry);

/* addrlist_match_domain - @d exactly, @.d strict subdomains (any case, root dot ignored); 1/0 */
int addrlist_match_domain(const struct addrlist *l, const char *domain);

/* addrlist_match_addr - user@d, user@, @d, @.d against an address; 1/0 */
int addrlist_match_addr(const struct addrlist *l, const char *addr);

/* addrlist_match_ip - address or CIDR entries against an IPv4 or IPv6 address; 1/0 */
int addrlist_match_ip(const struct addrlist *l, const char *ip);

/* addrlist_name_valid - letters, digits, '_', '-', '.', a letter first, at most 63 */
int addrlist_name_valid(const char *name, char **cause);

/*
 * addrlist_decode - the stored JSON of list name into l (zeroed by the
 * caller; free with addrlist_clear); entries normalised again
 */
int addrlist_decode(const char *name, const char *json, struct addrlist *l, char **cause);

/* addrlist_clear - free what addrlist_decode put into l */
void addrlist_clear(struct addrlist *l);

/*
 * addrlist_save - stage list l (new or replacing the one of that name,
 * whatever the case of the name); domains_only is recomputed; nothing is
 * staged when the stored form is the same
 */
int addrlist_save(struct store *st, const struct addrlist *l, char **cause);

/* addrlist_delete - stage the removal of list name (any case); 1 if there is none */
int addrlist_delete(struct store *st, const char *name, char **cause);

/*
 * addrlist_users - what names list `name` as this handle sees it: "message
 * filter X", "content filter Y", "the SDR exception list
 * (sdr.exception_list)", joined by ", " into *who (malloc'd, "" when
 * nothing). -1 with *cause when the configuration cannot be read.
 */
int addrlist_users(struct store *st, const char *name, char **who, char **cause);

#endif
