/*
 * remed.h - what mailbox remediation keeps in queue.db (issue 12):
 *
 *   journaled        one row per recipient of each journal copy made:
 *                    the original's MID, its Message-ID, the recipient,
 *                    when; written by the queue writer in the same
 *                    transaction as the copy (qwriter_journaled), so an
 *                    accepted copy always has its rows.
 *   etd_seen         the ETD message ids already taken from a search,
 *                    so that a restart neither repeats nor skips one.
 *   remed_request    one per remediation asked for: by an ETD verdict,
 *                    an API call or an operator; what, on which message,
 *                    its state (pending -> done).
 *   remed_action     one per mailbox acted on for a request: the backend
 *                    profile, the result, and why a failure failed.
 *
 * The polling window's end is the queue_state "etd.window_end" (UTC
 * seconds), the machine's serial number "serial" (remed_serial).
 *
 * Written by mxgated (the remediation thread, the API thread, the writer
 * thread) and by mxsh (remediate adds a request); read by
 * remediationreport and the API. Every function is one short
 * transaction on its own.
 *
 * DIAGNOSTICS: -1 with a malloc'd one-line *cause.
 */
#ifndef STORE_REMED_H
#define STORE_REMED_H

#include <stdint.h>
#include <time.h>

#include "store/queue.h"

#define REMED_MSGID_MAX 998		/* a Message-ID kept, with its <> */
#define REMED_ADDR_MAX 320

enum remed_trigger { REMED_BY_ETD = 1, REMED_BY_API, REMED_BY_OPERATOR, REMED_BY_TR };
enum remed_action_kind { REMED_DELETE = 1, REMED_FORWARD, REMED_FORWARD_DELETE };
enum remed_state {
	REMED_PENDING = 1,	/* request: not yet taken by the engine */
	REMED_DONE,		/* request: every mailbox handled (see its actions) */
	REMED_UNMATCHED,	/* request: no message or no mailbox of ours matched */
	REMED_OK,		/* action: done */
	REMED_FAILED,		/* action: failed, reason says why */
	REMED_NOT_FOUND,	/* action: the mailbox does not hold the message */
	REMED_HELD,		/* request: an ETD verdict kept until the cluster's claim settles it */
};

struct remed_request {
	int64_t id;
	time_t created, finished;	/* finished 0 while pending */
	enum remed_trigger trigger;
	char who[256];			/* operator or API user; ETD: the verdict's ETD id */
	int64_t mid;			/* 0 when asked by Message-ID only */
	char message_id[REMED_MSGID_MAX + 1];	/* "" when asked by MID only */
	char verdict[32];		/* ETD verdict ("phishing"), "" otherwise */
	enum remed_action_kind action;
	char forward_to[REMED_ADDR_MAX + 1];	/* "" for delete */
	char rcpts[4096];		/* ETD's mailboxes, comma-separated; "" = ours */
	enum remed_state state;
	char note[256];			/* why unmatched, or a summary */
};

struct remed_action {
	int64_t id, request;
	time_t when;
	int64_t mid;
	char message_id[REMED_MSGID_MAX + 1];
	char mailbox[REMED_ADDR_MAX + 1];
	enum remed_action_kind action;
	char forward_to[REMED_ADDR_MAX + 1];
	char profile[64];		/* remediationconfig profile used, "" if none served it */
	enum remed_state state;		/* REMED_OK, REMED_FAILED, REMED_NOT_FOUND */
	char result[256];		/* what was done ("deleted", "forwarded as MID 12") */
	char reason[512];		/* why a failure failed, "" otherwise */
	enum remed_trigger trigger;	/* copied from the request */
	char who[256];
};

/* names used in logs, reports and the API */
const char *remed_trigger_name(enum remed_trigger t);	/* "ETD verdict", "API", "operator", "threat response" */
const char *remed_action_name(enum remed_action_kind a);	/* "delete", "forward", "forward_delete" */
const char *remed_state_name(enum remed_state s);	/* "pending", "done", "unmatched", "ok", "failed", "not found", "held" */
int remed_action_parse(const char *s, enum remed_action_kind *a);	/* 0 or -1 */

/*
 * remed_msgid_ok - a Message-ID as an API caller gives it (with or
 * without its <>): printable ASCII, no blanks, short enough to keep with
 * its <> (REMED_MSGID_MAX)
 */
int remed_msgid_ok(const char *s);

/* ---------------------------------------------------------- journaled */

/* remed_journaled_add - rows for one journal copy (inside the caller's transaction: qwriter) */
int remed_journaled_add(struct queue *q, int64_t orig_mid, const char *message_id,
    const char *const *rcpts, int nrcpts, time_t when, char **cause);

/*
 * remed_journaled_by_msgid - the recipients of journaled messages with this
 * Message-ID (exact, with its <>): fn(arg, mid, rcpt) for each; the number
 * of rows, or -1
 */
int remed_journaled_by_msgid(struct queue *q, const char *message_id,
    void (*fn)(void *arg, int64_t mid, const char *rcpt), void *arg, char **cause);

/* remed_journaled_by_mid - the same for one original MID; *message_id filled (size REMED_MSGID_MAX+1) */
int remed_journaled_by_mid(struct queue *q, int64_t mid, char *message_id,
    void (*fn)(void *arg, int64_t mid, const char *rcpt), void *arg, char **cause);

/* remed_journaled_expire - drop rows older than before; how many, or -1 */
int64_t remed_journaled_expire(struct queue *q, time_t before, char **cause);

/* ---------------------------------------------------------- ETD polling */

/*
 * remed_etd_take - record an ETD verdict once: if etd_id is new, mark it
 * seen and add its request (r->trigger REMED_BY_ETD) in one transaction;
 * 1 when added (r->id set), 0 when it was seen before, -1 on error. The
 * request is pending, or held when r->state is REMED_HELD on entry: a
 * cluster member keeps it so until its claim in etcd settles it
 * (remed_held_settle), so that a crash between the two neither acts on a
 * verdict another machine took nor loses one it claimed.
 */
int remed_etd_take(struct queue *q, const char *etd_id, struct remed_request *r, char **cause);

/* remed_held_next - the oldest held request with an id above after into r: 1, 0 when none, -1 */
int remed_held_next(struct queue *q, int64_t after, struct remed_request *r, char **cause);

/*
 * remed_held_settle - a held request's claim settled: keep makes it
 * pending (the engine acts on it), else it is deleted (another machine
 * took the verdict; its id stays seen); 1 done, 0 when id is not held, -1
 */
int remed_held_settle(struct queue *q, int64_t id, int keep, char **cause);

/* remed_etd_seen_expire - forget ids seen before this time (older than any window) */
int64_t remed_etd_seen_expire(struct queue *q, time_t before, char **cause);

/* ---------------------------------------------------------- requests and actions */

/* remed_request_add - a new pending request; r->id and r->created set */
int remed_request_add(struct queue *q, struct remed_request *r, char **cause);

/* remed_request_next - the oldest pending request into r: 1, 0 when none, -1 */
int remed_request_next(struct queue *q, struct remed_request *r, char **cause);

/*
 * remed_request_next_due - the oldest pending request whose next try
 * (remed_request_defer) is due by now into r: 1, 0 when none, -1
 */
int remed_request_next_due(struct queue *q, time_t now, struct remed_request *r, char **cause);

/* remed_request_next_try - *when the earliest next try after now of a pending request: 1, 0 none, -1 */
int remed_request_next_try(struct queue *q, time_t now, time_t *when, char **cause);

/*
 * remed_request_defer - a pending request failed for a passing cause: it
 * stays pending, not tried before next_try, one more attempt counted,
 * the time of its first failure kept; note says why. 0 or -1 (also when
 * the request is not pending).
 */
int remed_request_defer(struct queue *q, int64_t id, time_t now, time_t next_try, const char *note,
    char **cause);

/* remed_request_attempts - a request's failed attempts and first failure (0 none): 1, 0 no such, -1 */
int remed_request_attempts(struct queue *q, int64_t id, int *attempts, time_t *first_fail,
    char **cause);

/* remed_request_get - request id into r: 1, 0 when there is none, -1 */
int remed_request_get(struct queue *q, int64_t id, struct remed_request *r, char **cause);

/* remed_request_finish - set the final state (REMED_DONE or REMED_UNMATCHED) and note */
int remed_request_finish(struct queue *q, int64_t id, enum remed_state state, const char *note,
    char **cause);

/* remed_action_add - one mailbox's outcome; a->id and a->when set */
int remed_action_add(struct queue *q, struct remed_action *a, char **cause);

/* remed_action_done - was (request, mailbox, action) already done (REMED_OK)? 1, 0, -1 (restart) */
int remed_action_done(struct queue *q, int64_t request, const char *mailbox, char **cause);

/*
 * remed_forward_done - was the forward part done (an ok row with action
 * REMED_FORWARD) for (request, mailbox)? 1, 0, -1. A forward_delete
 * records its forward as soon as it is durable, before deleting.
 */
int remed_forward_done(struct queue *q, int64_t request, const char *mailbox, char **cause);

/*
 * remed_report - for remediationreport and the API: requests finished or
 * not, newest first, since (0: all), at most limit (0: all); mid > 0 only
 * that message. fn gets each request and its actions (n may be 0).
 */
int remed_report(struct queue *q, time_t since, int64_t mid, int limit,
    void (*fn)(void *arg, const struct remed_request *r, const struct remed_action *a, int n),
    void *arg, char **cause);

/* ---------------------------------------------------------- machine */

/*
 * remed_serial - this machine's serial number (12 upper-case hex digits,
 * a dash, 7 more: "4A2F0C9B11D3-8C0E6F1"), made once and kept in
 * queue_state "serial"; it names the polling primary (tdc.polling_primary)
 */
int remed_serial(struct queue *q, char *out, size_t size, char **cause);

#endif
