/*
 * tracking.h - message tracking for the gateway's API (AsyncOS
 * /esa/api/v2.0/message-tracking, spec/external-apis.md §2.3), answered
 * from a mail log through findevent (mail/findevent.h): the same index,
 * the same lines as `findevent -m`.
 *
 * A search lists the messages received (those with an envelope sender
 * line, ICID != 0), newest first, each with the documented attributes
 * (mid[], icid, messageID{mid: id}, sender, recipient[], subject,
 * senderIp, mailPolicy[], messageStatus{mid: status}, timestamp,
 * serialNumber, hostName). Filters: envelope sender, recipient and
 * Subject with is | begins_with | contains (case-insensitive, the value
 * taken literally), the sender's IP, the Message-ID header, a date range.
 *
 * Bounds: only the log's files whose lines can fall in the date range
 * are read (their first and last lines' times; the next file too, for
 * the message's later lines); more than TRACKING_CAND_MAX messages in
 * range refuse the search; a time budget ends it; a cancel flag (a
 * reconfiguration, a stop) ends it.
 *
 * DIAGNOSTICS: NULL with a malloc'd one-line *cause and *err saying why:
 * the log cannot be read, too many messages, out of time, cancelled;
 * nothing found is an empty list.
 */
#ifndef MAIL_TRACKING_H
#define MAIL_TRACKING_H

#include <stdatomic.h>
#include <time.h>

#include <cjson/cJSON.h>

#define TRACKING_LIMIT_DEFAULT 20
#define TRACKING_LIMIT_MAX 1000
#define TRACKING_CAND_MAX 100000	/* messages in range a search may consider */

enum tracking_err {
	TRACKING_ERR_LOG = 0,		/* the log cannot be read */
	TRACKING_ERR_TOO_MANY,		/* more than the cap match: narrow the search */
	TRACKING_ERR_TIME,		/* the time budget ran out */
	TRACKING_ERR_CANCEL,		/* given up: *cancel was raised */
};

/* what a search may cost */
struct tracking_limits {
	int budget;			/* seconds (0: no limit) */
	const atomic_int *cancel;	/* non-zero: give up (NULL: never) */
	long cand_max;			/* messages in range (0: TRACKING_CAND_MAX) */
};

enum tracking_op { TRACKING_ANY = 0, TRACKING_IS, TRACKING_BEGINS, TRACKING_CONTAINS };

struct tracking_filter {
	enum tracking_op op;		/* TRACKING_ANY: no filter */
	const char *value;		/* matched literally */
};

struct tracking_query {
	time_t start, end;		/* received in [start, end] */
	long offset, limit;		/* the page */
	struct tracking_filter sender, rcpt, subject;
	const char *sender_ip;		/* NULL: any */
	const char *message_id;		/* NULL: any; with or without its <> */
};

struct tracking_host {
	const char *hostname;		/* hostName */
	const char *serial;		/* serialNumber */
};

/* what a caller adds to each message's attributes (remediation) */
typedef void (*tracking_extra_fn)(void *arg, long long mid, cJSON *attrs);

/* tracking_op_parse - "is", "begins_with", "contains"; 0 or -1 */
int tracking_op_parse(const char *s, enum tracking_op *op);

/*
 * tracking_date_parse - ISO 8601 as AsyncOS clients send it:
 * 2023-08-01T11:00:00.000Z, 2017-02-14T09:51:46.000-0600, +00:00, or no
 * fraction; 0 with *t (UTC seconds), -1
 */
int tracking_date_parse(const char *s, time_t *t);

/*
 * tracking_search - {"meta":{"totalCount":N},"data":[{"attributes":
 * {...}}, ...]} for the log PREFIX in logdir; NULL with *cause
 */
cJSON *tracking_search(const char *logdir, const char *prefix, const struct tracking_query *q,
    const struct tracking_limits *lim, const struct tracking_host *h, tracking_extra_fn extra,
    void *arg, enum tracking_err *err, char **cause);

/*
 * tracking_details - {"data":{"messages":{attributes..., "summary":
 * [{"timestamp","description"}, ...]}}} for one MID; start/end (0: open)
 * choose the files read, as for a search; *found 0 (and an empty object)
 * when those files do not name it
 */
cJSON *tracking_details(const char *logdir, const char *prefix, long long mid, time_t start,
    time_t end, const struct tracking_limits *lim, const struct tracking_host *h,
    tracking_extra_fn extra, void *arg, int *found, enum tracking_err *err, char **cause);

#endif
