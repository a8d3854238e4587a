/*
 * sdrfeed.h - the indicators of Sender Domain Reputation's external
 * threat feeds (STIX 2.1 over TAXII 2.1) and each feed's polling state,
 * in DIR/queue.db (tables sdr_indicators and sdr_feeds, created by
 * queue.c's migration 3; this module owns them).
 *
 * mxgated writes (daemon/sdrd.c: one transaction per successful poll,
 * the failure of a failed one, a feed's rows dropped when the feed leaves
 * the configuration) and keeps its own copy in memory; mxsh reads
 * (sdrstatus). Indicators are keyed by (feed, STIX id): a new version of
 * an indicator replaces the old one, a revoked one removes it. An
 * indicator counts from valid_from (inclusive) to valid_until (exclusive);
 * one not valid yet is kept and counts once its time comes, without a poll.
 *
 * DIAGNOSTICS: -1 with a malloc'd cause "sdr feeds: WHAT: SQLite message";
 * a failed write changes nothing (rolled back).
 */
#ifndef STORE_SDRFEED_H
#define STORE_SDRFEED_H

#include <stdint.h>
#include <time.h>

#include "mail/sdr.h"

struct queue;

struct sdrfeed_state {
	char feed[64];			/* the feed's name */
	char added_after[64];		/* X-TAXII-Date-Added-Last of the last poll ("" none) */
	time_t last_poll, last_ok;	/* last attempt, last success (0 never) */
	char last_error[256];		/* of the last attempt, "" when it succeeded */
	int64_t indicators;		/* indicators stored */
};

/* sdrfeed_list - every feed with a state, by name */
int sdrfeed_list(struct queue *q, int (*cb)(const struct sdrfeed_state *st, void *arg), void *arg,
    char **cause);

/* sdrfeed_get - one feed's state: 1 found, 0 none (st zeroed, name set), -1 */
int sdrfeed_get(struct queue *q, const char *feed, struct sdrfeed_state *st, char **cause);

/*
 * sdrfeed_lookup - indicators stored for a domain (exactly; any feed),
 * valid at now (valid_from not after now; no valid_until, or a later
 * one): cb per indicator, worst verdict first
 */
int sdrfeed_lookup(struct queue *q, const char *domain, time_t now,
    void (*cb)(const struct sdr_indicator *ind, const char *feed, void *arg), void *arg,
    char **cause);

/*
 * sdrfeed_all - every indicator not expired at now, by domain (the
 * daemon's copy in memory): those not valid yet too, with their
 * valid_from, so the copy counts them when their time comes (the reader
 * compares valid_from and valid_until with the time of each question)
 */
int sdrfeed_all(struct queue *q, time_t now,
    void (*cb)(const struct sdr_indicator *ind, const char *feed, void *arg), void *arg,
    char **cause);

/* sdrfeed_poll.part: a poll stored in several transactions (0: all of it in one) */
#define SDRFEED_PART_CONT 1		/* not the first part: a forced poll's marking is done */
#define SDRFEED_PART_MORE 2		/* not the last part: no cleanup, the state stays */

/* sdrfeed_poll.applied[i] */
#define SDRFEED_KEPT 1			/* stored (new, or a new version) */
#define SDRFEED_GONE 2			/* revoked: removed (or was not stored) */
#define SDRFEED_REFUSED 3		/* new, past cap: not stored */

/* one successful poll of a feed */
struct sdrfeed_poll {
	const char *feed;		/* its name */
	int force;			/* a poll from the start: what it did not bring goes */
	const struct sdr_indicator *ind;	/* in the order received; revoked ones remove */
	int nind;
	const char *added_after;	/* the X-TAXII-Date-Added-Last to keep ("" keeps the old) */
	time_t now;			/* when; indicators whose valid_until has passed go */
};

/* how sdrfeed_store_part stores (all zero: as sdrfeed_store) */
struct sdrfeed_part {
	int part;			/* SDRFEED_PART_* (0: the whole poll) */
	int64_t cap;			/* > 0: at most this many stored for the feed; new ones past it are refused */
	int refused;			/* out: new indicators refused for the cap */
	unsigned char *applied;		/* when not NULL, [nind]: what became of each (0: a later version follows) */
};

/*
 * sdrfeed_store - a poll in one transaction: indicators stored (a new
 * version replaces an old one), revoked and expired ones removed, the
 * feed's state updated (last_ok = last_poll = now, no error). *added:
 * indicators that were not stored before; *removed: stored ones that are
 * gone now (revoked, expired, or, forced, not in the poll). A poll stored
 * in parts (p->part) is one transaction per part: the first part of a
 * forced poll marks the feed's rows, the last one removes what is still
 * marked and the expired ones and records the state (added_after), so a
 * poll cut short is asked again from the old added_after: nothing skipped.
 */
int sdrfeed_store(struct queue *q, const struct sdrfeed_poll *p, int *added, int *removed,
    char **cause);

/* sdrfeed_store_part - the same, one part of a poll (x->part), with a cap (x->cap) */
int sdrfeed_store_part(struct queue *q, const struct sdrfeed_poll *p, struct sdrfeed_part *x,
    int *added, int *removed, char **cause);

/* sdrfeed_failed - a poll that failed: last_poll = now and the error (its indicators stay) */
int sdrfeed_failed(struct queue *q, const char *feed, time_t now, const char *error,
    char **cause);

/* sdrfeed_drop - forget a feed: its indicators and its state (the feed was removed) */
int sdrfeed_drop(struct queue *q, const char *feed, char **cause);

#endif
