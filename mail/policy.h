/*
 * policy.h - incoming and outgoing mail policies (policyconfig).
 *
 * Policies are evaluated top-down; DEFAULT is always last, always exists
 * and cannot be deleted. Storage: one item per policy,
 * ("policy.incoming" | "policy.outgoing", NAME) -> JSON
 * {"recipients":[...], "senders":[...], "tdc":"...", "content_filters":[...]}
 * and the order as
 * ("policy.incoming.order" | "policy.outgoing.order", "order") -> "a,b,c"
 * (DEFAULT not listed). Members: "user@domain", "user@", "@domain",
 * "@.domain" (subdomains), matched case-insensitively.
 *
 * Incoming policies match recipients (and, when senders are listed,
 * also the sender); outgoing policies match senders (and, when recipients
 * are listed, also the recipient).
 */
#ifndef MAIL_POLICY_H
#define MAIL_POLICY_H

#include <stddef.h>

#include "store/store.h"

#define POLICY_DEFAULT "DEFAULT"
#define POLICY_NAME_MAX 63
#define POLICY_MAX_MEMBERS 1000
#define POLICY_MAX 500
#define POLICY_MAX_CFILTERS 100	/* content filters named by one policy */

enum policy_dir { POLICY_INCOMING = 0, POLICY_OUTGOING = 1 };

struct policy {
	char name[POLICY_NAME_MAX + 1];
	int nrcpts;		/* recipient members */
	char **rcpts;		/* normalised (lower case) */
	int nsenders;		/* sender members */
	char **senders;
	char tdc[320];		/* TDC setting: "", "global" (DEFAULT), "default", "no", "custom:ADDR" */
	int ncfilters;		/* content filters (incoming policies; DEFAULT too) */
	char **cfilters;	/* their names, in the order they apply */
};

struct policy_table {
	enum policy_dir dir;
	int n;			/* policies, DEFAULT last */
	struct policy *p;
};

/* policy_section, policy_order_section - the store sections for a direction */
const char *policy_section(enum policy_dir dir);
const char *policy_order_section(enum policy_dir dir);

/* policy_dir_name - "incoming" / "outgoing"; policy_table_name - "inbound" / "outbound" (mail_logs) */
const char *policy_dir_name(enum policy_dir dir);
const char *policy_table_name(enum policy_dir dir);

/* policy_member_parse - validate and normalise one member entry */
int policy_member_parse(const char *in, char *out, size_t size, char **cause);

/* policy_name_valid - letters, digits, '_', '-', '.'; not empty; DEFAULT reserved for creation */
int policy_name_valid(const char *name, char **cause);

/* policy_load - the table as this store handle sees it (session: with candidate) */
int policy_load(struct store *st, enum policy_dir dir, struct policy_table *t, char **cause);

/* policy_save - stage the whole table (items changed only where they differ) */
int policy_save(struct store *st, const struct policy_table *t, char **cause);

/* policy_table_free - release a loaded table */
void policy_table_free(struct policy_table *t);

/* policy_find - index of a policy by name (case-insensitive), or -1 */
int policy_find(const struct policy_table *t, const char *name);

/* policy_member_match - does addr (local@domain) match member? */
int policy_member_match(const char *member, const char *addr);

/*
 * policy_match - the first policy matching this recipient and sender (see
 * the header comment for which side each direction matches); always
 * returns an index (DEFAULT at worst).
 */
int policy_match(const struct policy_table *t, const char *rcpt, const char *sender);

/*
 * policy_tdc_address - the intake address a policy journals to, into out;
 * 0 if it journals nothing. Only incoming policies journal, and only while
 * the connector is enabled with a global address. DEFAULT: "global" uses
 * the global address, "custom:ADDR" uses ADDR (seed 002), anything else
 * ("" or "no") journals nothing. Other policies: "" or "default" inherit
 * DEFAULT's outcome (its custom address included), "custom:ADDR" uses
 * ADDR, "no" journals nothing.
 */
int policy_tdc_address(const struct policy_table *t, int i, int enabled, const char *global,
    char *out, size_t size);

/* policy_decode - the stored JSON of policy name into p (p zeroed by the caller) */
int policy_decode(const char *name, const char *json, struct policy *p, char **cause);

/* policy_clear - free one policy's members and content filter names (decoded by policy_decode) */
void policy_clear(struct policy *p);

#endif
