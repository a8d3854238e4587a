/*
 * sdrd_int.h - what the two files of the SDR engine share (sdrd.c:
 * lookups, the cache, the engine; sdrd_feed.c: polling the TAXII feeds
 * and the in-memory copy of their indicators). Not for other modules:
 * daemon/sdrd.h is the interface.
 */
#ifndef DAEMON_SDRD_INT_H
#define DAEMON_SDRD_INT_H

#include <sys/queue.h>
#include <time.h>

#include "daemon/sdrd.h"
#include "mail/sdrconf.h"

struct centry;
struct dq;
struct lk;

/* one feed indicator in memory (the copy lookups read) */
struct mind {
	char domain[SDR_DOMAIN_MAX + 1];
	char feed[64];
	char id[128];
	enum sdr_verdict verdict;
	char category[SDR_CATEGORY_MAX + 1];
	time_t valid_from;		/* counts from then (0: always): checked at each lookup */
	time_t valid_until;		/* 0: no end */
};

/* one configured TAXII collection and its poll in flight */
struct feed {
	struct sdrd *s;
	char name[64];
	char url[1024];			/* the collection's objects URL */
	time_t next;			/* wall clock: the next scheduled poll */
	int polling;			/* a poll is in flight */
	int again, again_force;		/* sdrd_update during a poll: another after it */
	int removed;			/* no longer configured: freed when its poll ends */
	/* the poll in flight */
	int force, pages;
	char added_after[64];		/* sent */
	char last_added[64];		/* X-TAXII-Date-Added-Last received */
	struct sdr_indicator *ind;	/* collected over the pages */
	int nind, capind;
	int toomany;			/* more than the indicators a poll may bring */
	/* storing it, SDRD_FEED_CHUNK rows per transaction, one per loop turn */
	struct event *store_ev;		/* the next part */
	int storing, partial, off;	/* partial: cut short, the rest at a poll soon after */
	int nadded, nremoved, nrefused;	/* so far */
	unsigned char *applied;		/* [nind]: what became of each (store/sdrfeed.h) */
	TAILQ_ENTRY(feed) entry;	/* on s->feeds */
};

/* the engine */
struct sdrd {
	struct gw *gw;
	struct http *http;		/* RDAP and TAXII */
	/* a copy of the configuration */
	int timeout, cache_ttl, feed_interval, verify_peer;
	char rdap_url[1024];
	char *rdap_bootstrap;		/* "" when none */
	struct sdr_bootstrap boot;	/* rdap_bootstrap parsed (when boot_ok) */
	int boot_ok;
	int nbl;
	struct sdr_blocklist *bl;
	int nlocal;
	struct sdr_local *local;	/* sorted by domain */
	struct sdr_conf lconf;		/* views bl/local for sdrconf_local_find */
	TAILQ_HEAD(, feed) feeds;	/* configured (and removed ones still polling) */
	/* the feeds' indicators, by domain */
	int nmind, capmind;
	struct mind *mind;
	/* the cache */
	struct centry **bucket;
	int ncache;			/* entries (pending ones too) */
	int nrdap;			/* RDAP requests in flight */
	unsigned int sweep;		/* next bucket to sweep */
	TAILQ_HEAD(, dq) dqs;		/* DNS queries in flight */
	/* lookups */
	TAILQ_HEAD(, lk) active, finished;
	int nfinished;
	struct event *done_ev;		/* delivers finished lookups */
	struct event *tick;		/* gauges, feed schedule, cache sweep */
	int freeing, delivering, dead;
	/* gauges */
	long long lookups, unscannable, timeouts;
	long long reloads;		/* of the feeds' copy from queue.db (gauge "reloads") */
	int feeds_changed;		/* sdrd_feeds_conf: the set of feeds changed */
	char gauges[128];		/* last published */
};

/* sdrd_feeds_conf - follow the configured feeds (a removed one loses its stored indicators) */
void sdrd_feeds_conf(struct sdrd *s, const struct sdr_conf *c);

/* sdrd_feeds_due - start the polls whose time has come (once a second) */
void sdrd_feeds_due(struct sdrd *s);

/* sdrd_feeds_free - release every feed (the HTTP client is already freed) */
void sdrd_feeds_free(struct sdrd *s);

#endif
