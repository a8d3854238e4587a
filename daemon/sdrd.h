/*
 * sdrd.h - Sender Domain Reputation in mxgated: the asynchronous engine
 * that asks every source about the domains a message claims to come from
 * (the local table, DNS domain blocklists, RDAP for the domain's age, the
 * indicators of STIX/TAXII feeds), caches the answers, and polls the
 * feeds. mail/sdr.h is the pure part it uses (consolidation, parsers).
 *
 * Everything runs on the daemon's event loop and never blocks it: DNS
 * through gw->dns (c-ares), HTTP through net/http.h (libcurl multi).
 * Every callback runs exactly once, from the loop, never inside the call
 * that started it.
 *
 * DIAGNOSTICS: sdrd_new returns NULL with a malloc'd *cause; a source that
 * fails is an ERROR answer (it shows in sdrstatus -d and the tracker); a
 * feed poll that fails is a Warning line in mail_logs and its state in
 * queue.db (sdrstatus).
 */
#ifndef DAEMON_SDRD_H
#define DAEMON_SDRD_H

#include <stdint.h>

#include "mail/sdr.h"

struct gw;
struct sdr_conf;
struct sdrd;

/* sdrd_new - the engine of gw (gw->dns and gw->qw must exist), with gw->conf->sdr applied */
struct sdrd *sdrd_new(struct gw *gw, char **cause);

/* sdrd_free - pending callbacks run once (missing answers are errors: unscannable), then free */
void sdrd_free(struct sdrd *s);

/*
 * sdrd_conf - after each configuration load; copies what it keeps.
 * Cached answers go when the sources change; a feed removed from the
 * configuration loses its stored indicators; a feed added is polled
 * shortly.
 */
void sdrd_conf(struct sdrd *s, const struct sdr_conf *c);

typedef void (*sdrd_cb)(const struct sdr_result *r, void *arg);

/*
 * sdrd_lookup - every source for every domain of in, in parallel,
 * cached; cb exactly once, from the loop, never inside the call, at the
 * latest sdr.timeout seconds after the call (what has not answered by
 * then is an ERROR answer "timeout")
 */
void sdrd_lookup(struct sdrd *s, const struct sdr_inputs *in, sdrd_cb cb, void *arg);

/*
 * sdrd_dnslist - dnslist('zone') of message filters: is ip (IPv4 or IPv6)
 * listed in zone (reversed octets or nibbles + zone, A; any 127.0.0.0/8
 * answer but the error codes)? Cached; same callback rules (an unanswered
 * query is "not listed")
 */
void sdrd_dnslist(struct sdrd *s, const char *ip, const char *zone,
    void (*cb)(int listed, void *arg), void *arg);

/* sdrd_update - poll the TAXII feeds now (force: from the start of each collection) */
void sdrd_update(struct sdrd *s, int force);

/*
 * sdrd_explain - sdrstatus -d: what every source says about domain (the
 * cache allowed, and said), one line per source and the consolidated
 * verdict, as text into queue state "sdr.explain.<req_id>"
 */
void sdrd_explain(struct sdrd *s, const char *domain, int64_t req_id);

#endif
