/*
 * route.h - SMTP routes: which hosts receive mail for a domain.
 *
 * A route's domain is a domain ("example.com"), a partial domain
 * (".example.com": every subdomain) or ALL (the default route). Its
 * destinations are host[:port], [IP]:port (address records only, no MX),
 * USEDNS (normal MX resolution) or /dev/null (discard). Stored as the
 * configuration item ("smtproutes", DOMAIN) -> "dest,dest".
 */
#ifndef MAIL_ROUTE_H
#define MAIL_ROUTE_H

#include <stddef.h>

#define ROUTE_SECTION "smtproutes"
#define ROUTE_MAX_DESTS 32	/* destinations in one route */
#define ROUTE_MAX_ROUTES 10000	/* routes in the table */
#define ROUTE_DEFAULT "ALL"

enum route_kind {
	ROUTE_HOST,	/* a host name (MX lookup unless port given... see route_dest) */
	ROUTE_ADDR,	/* [1.2.3.4] or bare IP: connect to the address */
	ROUTE_USEDNS,	/* resolve the recipient domain by MX */
	ROUTE_DEVNULL,	/* discard */
};

struct route_dest {
	enum route_kind kind;
	char host[256];		/* host name or IP text (no brackets) */
	int port;		/* 0: default (25) */
};

/* route_parse_domain - validate and normalise (lower case, ALL upper) a route domain */
int route_parse_domain(const char *in, char *out, size_t size, char **cause);

/* route_parse_dests - validate "d1,d2,..." and normalise it into out */
int route_parse_dests(const char *in, char *out, size_t size, char **cause);

/* route_parse_dest - one destination */
int route_parse_dest(const char *in, struct route_dest *d, char **cause);

/* route_dests - split a normalised list; returns count or -1 */
int route_dests(const char *list, struct route_dest *v, int max);

/* route_format_dest - the normal written form of one destination */
void route_format_dest(const struct route_dest *d, char *out, size_t size);

/*
 * route_match - the best route domain for a recipient domain among keys:
 * the exact domain, else the longest matching partial domain, else ALL.
 * Returns the index into keys, or -1.
 */
int route_match(const char *domain, const char *const *keys, int nkeys);

#endif
