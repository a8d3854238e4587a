/*
 * etd.h - the Email Threat Defense API client of the remediation thread
 * (spec/external-apis.md §1): the access token and one page of a message
 * search, within the API's rate limits.
 *
 * Blocking (net/hreq.h); used by one thread only. The token is cached for
 * its lifetime less a margin and asked again once when a call answers 401.
 * Requests go through a token bucket (2 a second, bursts of 4) and a daily
 * count (10,000 a UTC day) kept in queue.db's queue_state "etd.day", so
 * that a restart does not reset it, or in a cluster shared by its members
 * (etd_set_counter); a 429 or 5xx answer sets a back-off
 * (Retry-After when given, else 5 s doubling up to 5 min).
 *
 * DIAGNOSTICS: -1 with a malloc'd *cause that completes the log line
 * "TDC: Email Threat Defense API ..." ("search failed: HTTP 503 (retrying
 * in 30 seconds)", "token request failed: HTTP 401: check the client ID,
 * password and API key") and *retry_in, the seconds before trying again.
 */
#ifndef DAEMON_ETD_H
#define DAEMON_ETD_H

#include <time.h>

#include "mail/etdjson.h"
#include "store/queue.h"

#define ETD_DAILY_QUOTA 10000
#define ETD_RATE 2		/* requests a second */
#define ETD_BURST 4
#define ETD_BACKOFF_MIN 5
#define ETD_BACKOFF_MAX 300
#define ETD_PAGE_SIZE 100

struct etd;

/* etd_new - a client counting its requests in q (the caller's connection) */
struct etd *etd_new(struct queue *q);

/* etd_free - forget the token (wiped) and free */
void etd_free(struct etd *e);

/*
 * etd_configure - where and as whom (copied); a change of any of them
 * drops the cached token. ca_pem: the CA bundle, NULL/"" the system's.
 */
void etd_configure(struct etd *e, const char *base, const char *client_id,
    const char *client_secret, const char *api_key, const char *ca_pem);

/*
 * etd_search - one page of POST {base}/v1/messages/search over [start,
 * end] for these verdicts (comma-separated), page_token NULL for the
 * first; 0 with *pg, or -1 with *cause and *retry_in
 */
int etd_search(struct etd *e, time_t start, time_t end, const char *verdicts,
    const char *page_token, struct etdjson_page *pg, int *retry_in, char **cause);

/*
 * etd_set_abort - a flag (NULL none) that, once set by another thread,
 * ends a request in progress and the pacing waits within about a second
 * (the daemon stopping); etd_search then fails with *retry_in 0
 */
void etd_set_abort(struct etd *e, volatile int *abort);

/*
 * etd_counter_fn - take one request of the UTC day (YYYY-MM-DD) from a
 * count shared with other pollers if it is below quota: 1 taken, 0 the
 * quota is used, -1 with *cause when the count cannot be kept (the
 * request is then not made); *count the day's count (after the take)
 */
typedef int (*etd_counter_fn)(void *arg, const char *day, int quota, int *count, char **cause);

/*
 * etd_set_counter - count requests with fn instead of queue.db (a
 * cluster's members share the API's daily quota), NULL back to queue.db
 */
void etd_set_counter(struct etd *e, etd_counter_fn fn, void *arg);

/* etd_requests_today - requests counted this UTC day (tests, status) */
int etd_requests_today(struct etd *e);

#endif
