/*
 * destconf.h - per-destination-domain delivery controls (destconfig).
 *
 * Item ("destconfig", DOMAIN | "default") -> JSON {"tls":..., "max_conns":N}.
 * The "default" row always exists in effect (defaults below) and applies
 * to every domain without a row of its own.
 */
#ifndef MAIL_DESTCONF_H
#define MAIL_DESTCONF_H

#include <stddef.h>

#include "store/store.h"

#define DESTCONF_SECTION "destconfig"
#define DESTCONF_DEFAULT "default"

enum destconf_tls {
	DESTCONF_TLS_NO = 0,		/* never STARTTLS */
	DESTCONF_TLS_PREFERRED,		/* STARTTLS when offered, fall back to plain on failure */
	DESTCONF_TLS_REQUIRED,		/* STARTTLS or defer; certificate not verified */
	DESTCONF_TLS_REQUIRED_VERIFY,	/* STARTTLS with verified certificate and host name */
};

struct destconf {
	char domain[256];		/* domain or "default" */
	enum destconf_tls tls;		/* default preferred */
	int max_conns;			/* default 0 = deliveryconfig's per-destination limit */
};

/* destconf_defaults - the built-in default row */
void destconf_defaults(struct destconf *d, const char *domain);

/* destconf_set - one field from its batch key (tls, max_conns) */
int destconf_set(struct destconf *d, const char *key, const char *value, char **cause);

/* destconf_encode / destconf_decode - JSON for the store */
char *destconf_encode(const struct destconf *d);
int destconf_decode(const char *domain, const char *json, struct destconf *d, char **cause);

/* destconf_lookup - the row that applies to a domain (exact, else default) */
int destconf_lookup(struct store *st, const char *domain, struct destconf *d);

/* destconf_tls_name - "no", "preferred", "required", "required_verify" */
const char *destconf_tls_name(enum destconf_tls t);

#endif
