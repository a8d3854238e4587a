/*
 * sdrconf.h - the Sender Domain Reputation configuration as one struct:
 * the sdr.* settings (store/settings_table.c) and the sources kept as
 * items of three sections:
 *
 *   sdr.blocklist  ZONE -> return codes in sdr_codes_format's normal form,
 *                  "127.0.1.2:Awful/Spam,127.0.1.3:Poor/Malware"
 *   sdr.local      DOMAIN (lower case) -> "Verdict" or "Verdict,Category"
 *   sdr.feed       NAME -> {"url":"http(s)://HOST/ROOT/collections/ID/objects/"}
 *
 * Read by the daemon (daemon/conf.c, after each commit) and by the shell
 * (sdrconfig, sdradvancedconfig, sdrstatus), which also stages changes
 * through the helpers below so that every front end checks values the
 * same way. The value parsers are mail/sdr.c's (codes, local lines,
 * verdicts, domain names); this file only stores and loads.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause naming the item or the
 * value; nothing here prints or exits.
 */
#ifndef MAIL_SDRCONF_H
#define MAIL_SDRCONF_H

#include <stddef.h>

#include "mail/sdr.h"
#include "store/store.h"

#define SDRCONF_BLOCKLIST_SECTION "sdr.blocklist"
#define SDRCONF_LOCAL_SECTION "sdr.local"
#define SDRCONF_FEED_SECTION "sdr.feed"

/*
 * Every domain of a message (at most 5) is asked of the local table, each
 * zone and each feed, plus RDAP once: 5 x (zones + feeds + 1) + 5 answers
 * must fit in SDR_MAX_ANSWERS (checked in daemon/sdrd.c).
 */
#define SDRCONF_MAX_BLOCKLISTS 16	/* zones asked for every domain */
#define SDRCONF_MAX_LOCAL 100000	/* local table entries */
#define SDRCONF_MAX_FEEDS 8		/* TAXII collections */
#define SDRCONF_FEED_NAME_MAX 63
#define SDRCONF_URL_MAX 1000

struct sdr_blocklist {
	char zone[256];			/* lower case, no trailing dot */
	struct sdr_codes codes;		/* its return codes */
};

struct sdr_local {
	char domain[SDR_DOMAIN_MAX + 1];	/* lower case */
	enum sdr_verdict verdict;
	char category[SDR_CATEGORY_MAX + 1];	/* "" when none */
};

struct sdr_feed_conf {
	char name[64];			/* as sdradvancedconfig feed new named it */
	char url[1024];			/* the collection's objects URL */
};

struct sdr_conf {
	int enabled;			/* sdr.enabled */
	int share_extended;		/* sdr.share_extended_info */
	int timeout;			/* sdr.timeout, seconds */
	int envfrom_only;		/* sdr.exception_envfrom_only */
	int verify_peer;		/* sdr.verify_peer */
	int cache_ttl;			/* sdr.cache_ttl, seconds */
	int feed_interval;		/* sdr.feed_interval, seconds */
	char exception_list[64];	/* sdr.exception_list, "" none */
	char rdap_url[1024];		/* sdr.rdap_url, "" none */
	char *rdap_bootstrap;		/* sdr.rdap_bootstrap: "" when none (malloc'd) */
	int nblocklists;
	struct sdr_blocklist *blocklists;	/* ordered by zone */
	int nlocal;
	struct sdr_local *local;		/* sorted by domain */
	int nfeeds;
	struct sdr_feed_conf *feeds;		/* ordered by name */
};

/* sdrconf_load - the whole configuration as this handle sees it (session: with candidate) */
int sdrconf_load(struct store *st, struct sdr_conf *c, char **cause);

/* sdrconf_free - release what sdrconf_load filled in */
void sdrconf_free(struct sdr_conf *c);

/* sdrconf_local_find - the entry for domain (any case, root dot ignored), or NULL */
const struct sdr_local *sdrconf_local_find(const struct sdr_conf *c, const char *domain);

/* ---------------------------------------------------------- values */

/* sdrconf_zone_parse - a blocklist zone: a domain name, normalised (lower case) into out */
int sdrconf_zone_parse(const char *in, char *out, size_t size, char **cause);

/*
 * sdrconf_url_check - an http:// or https:// URL (host name, IPv4 or
 * [IPv6], optional port and path) of at most SDRCONF_URL_MAX characters;
 * what names the key in the cause ("rdap_url")
 */
int sdrconf_url_check(const char *what, const char *url, char **cause);

/* sdrconf_feed_url_check - sdrconf_url_check, and a path ending in /collections/ID/objects/ */
int sdrconf_feed_url_check(const char *url, char **cause);

/* sdrconf_feed_name_valid - letters, digits, '_', '-', '.', a letter first, at most 63 */
int sdrconf_feed_name_valid(const char *name, char **cause);

/*
 * sdrconf_local_parse - one local table entry from "DOMAIN" and "VERDICT"
 * or "VERDICT/CATEGORY" (mail/sdr.c's rules for a CSV line); the domain
 * is normalised into e
 */
int sdrconf_local_parse(const char *domain, const char *spec, struct sdr_local *e, char **cause);

/* sdrconf_local_text - "Poor,Spam" / "Awful": the stored value of an entry, into buf */
const char *sdrconf_local_text(const struct sdr_local *e, char *buf, size_t size);

/* ---------------------------------------------------------- staging */

/* sdrconf_blocklist_set - stage zone's codes (normal form); nothing when unchanged */
int sdrconf_blocklist_set(struct store *st, const char *zone, const struct sdr_codes *codes,
    char **cause);

/* sdrconf_blocklist_delete - stage the removal of a zone; 1 if it is not configured */
int sdrconf_blocklist_delete(struct store *st, const char *zone, char **cause);

/* sdrconf_local_set - stage one entry (replacing the domain's); nothing when unchanged */
int sdrconf_local_set(struct store *st, const struct sdr_local *e, char **cause);

/* sdrconf_local_delete - stage the removal of a domain's entry; 1 if there is none */
int sdrconf_local_delete(struct store *st, const char *domain, char **cause);

/* sdrconf_feed_set - stage feed name with its objects URL; nothing when unchanged */
int sdrconf_feed_set(struct store *st, const char *name, const char *url, char **cause);

/* sdrconf_feed_delete - stage the removal of a feed (name any case); 1 if there is none */
int sdrconf_feed_delete(struct store *st, const char *name, char **cause);

#endif
