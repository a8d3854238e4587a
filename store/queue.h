/*
 * queue.h - DIR/queue.db: queued messages and recipients, delivery
 * counters, persistent IDs, runtime state and requests from the shell.
 *
 * Writes are grouped: queue_begin(durable) ... queue_commit() is one
 * SQLite transaction, fsynced (synchronous=FULL) when durable, so the
 * daemon's writer thread can make many accepted messages durable with
 * one fsync (group commit) before their 250 replies are sent. Status
 * updates that may be replayed after a crash (a delivery recorded twice
 * is at worst a duplicate, never a loss) use non-durable batches.
 *
 * One struct queue is one connection: use each from one thread only.
 */
#ifndef STORE_QUEUE_H
#define STORE_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct queue;

enum queue_kind {
	QUEUE_KIND_NORMAL = 0,	/* received over SMTP */
	QUEUE_KIND_BOUNCE,	/* a delivery status notification we generated */
	QUEUE_KIND_JOURNAL,	/* a Threat Defense Connector journal copy */
};

struct queue_msg {
	int64_t mid;		/* message ID */
	int64_t parent_mid;	/* split / bounce / journal origin, 0 if none */
	int64_t icid;		/* injection connection, 0 if generated */
	enum queue_kind kind;
	time_t received;	/* acceptance time */
	const char *sender;	/* envelope sender, "" for <> */
	const char *policy;	/* matched mail policy */
	int direction;		/* 0 incoming, 1 outgoing */
	const char *client_ip;	/* connecting client */
	const char *listener;	/* listener name */
	const char *message_id;	/* Message-ID header, for logs */
	const void *body;	/* the message as it will be delivered */
	size_t body_len;
	/* set (non-NULL, not "") for a message to quarantine instead of queue (store/quarantine.h) */
	const char *quarantine;	/* the quarantine's name */
	const char *qreason;	/* the filter that put it there */
	const char *subject;	/* for showquarantine */
	int qnojournal;		/* never journaled on release (a duplicate, a copy of ours) */
};

struct queue_rcpt {
	int64_t mid;
	int rid;		/* recipient index within the message */
	const char *addr;	/* envelope recipient */
	const char *dest;	/* destination queue: recipient domain or a pseudo-host */
	int attempts;		/* delivery attempts so far */
	time_t next_try;	/* not before this time (0: now) */
	const char *last_error;	/* last soft-bounce reason, or NULL */
	/* loaded only: a hard bounce waiting for its message's DSN (NULL: queued) */
	const char *bounce_status;	/* the DSN's status, "5.0.0" */
	const char *bounce_diag;	/* its diagnostic, "smtp; 000 ..." */
};

struct queue_host {
	char host[256];		/* destination */
	int64_t active;		/* recipients queued */
	int64_t conn_out;	/* open connections (daemon gauge) */
	int64_t deliv, soft, hard;		/* since the last resetcounters */
	int64_t l_deliv, l_soft, l_hard;	/* since install */
	int down;		/* last attempt failed to connect */
	time_t last_activity;	/* last delivery attempt */
	char last_error[300];	/* last failure, as logged */
};

/* queue_open - open (create, migrate) DIR/queue.db */
int queue_open(const char *dir, struct queue **out, char **cause);

/*
 * queue_check - at the daemon's start, before any delivery: queue.db
 * passes PRAGMA quick_check, and every ID sequence (icid, mid, dcid)
 * exists and is ahead of the highest ID the queued messages hold; -1
 * with a one-line cause (the file, the fault, the remedy) if not
 */
int queue_check(struct queue *q, char **cause);

/*
 * queue_id_check - the sequence name is ahead of an ID seen elsewhere
 * (where: "mxgated's last run", ...); -1 with such a cause if it is
 * behind or missing: handing out IDs already used makes every new
 * message fail (UNIQUE constraint) or two messages share a MID in the logs
 */
int queue_id_check(struct queue *q, const char *name, int64_t seen, const char *where,
    char **cause);

/* queue_close - close the connection */
void queue_close(struct queue *q);

/* queue_id_reserve - reserve count IDs of a sequence ("icid", "mid", "dcid"); *first gets the first */
int queue_id_reserve(struct queue *q, const char *name, int64_t count, int64_t *first,
    char **cause);

/* queue_id_current - the last ID handed out (for status); -1 on error */
int64_t queue_id_current(struct queue *q, const char *name);

/* queue_begin - start a batch; durable: fsync at commit */
int queue_begin(struct queue *q, int durable, char **cause);

/* queue_commit - end a batch */
int queue_commit(struct queue *q, char **cause);

/* queue_rollback - abandon a batch */
void queue_rollback(struct queue *q);

/* queue_insert_msg, queue_insert_rcpt - a newly accepted message and its recipients */
int queue_insert_msg(struct queue *q, const struct queue_msg *m, char **cause);
int queue_insert_rcpt(struct queue *q, const struct queue_rcpt *r, char **cause);

/* queue_rcpt_done - a recipient was delivered or bounced: forget it, and its message when last */
int queue_rcpt_done(struct queue *q, int64_t mid, int rid, char **cause);

/* queue_rcpt_defer - a recipient soft-bounced: remember the attempt and the next try */
int queue_rcpt_defer(struct queue *q, int64_t mid, int rid, int attempts, time_t next_try,
    const char *error, char **cause);

/*
 * queue_rcpt_bounce - a recipient hard-bounced: it stays, marked with
 * the DSN's status and diagnostic, until its message is finished and
 * queue_rcpt_done removes it. Listings, tophosts and queue_stats leave
 * such a row out; loading hands them over in bounce_status/bounce_diag.
 */
int queue_rcpt_bounce(struct queue *q, int64_t mid, int rid, const char *status,
    const char *diag, char **cause);

/*
 * queue_rcpt_redirect - recipient (mid, rid) now goes to dest, tried now:
 * attempts and next try reset, the last error forgotten. A recipient no
 * longer queued is no error (it was done meanwhile).
 */
int queue_rcpt_redirect(struct queue *q, int64_t mid, int rid, const char *dest, char **cause);

/* queue_host_count - add to a destination's counters (delivered, soft, hard) */
int queue_host_count(struct queue *q, const char *host, int deliv, int soft, int hard,
    char **cause);

/* queue_host_status - a destination's down flag, last activity and last error (NULL: keep) */
int queue_host_status(struct queue *q, const char *host, int down, time_t when,
    const char *error, char **cause);

/* queue_host_conns - publish the open-connection gauge of a destination */
int queue_host_conns(struct queue *q, const char *host, int conns, char **cause);

/* queue_reset_conns - the daemon starts: no connection is open */
int queue_reset_conns(struct queue *q, char **cause);

/* queue_global_add - add n to a global counter ("rcvd_msgs", "rcvd_rcpts", ...) */
int queue_global_add(struct queue *q, const char *name, int64_t n, char **cause);

/* queue_state_set, queue_state_get - small runtime state ("paused", "started", ...) */
int queue_state_set(struct queue *q, const char *name, const char *value, char **cause);
char *queue_state_get(struct queue *q, const char *name);

/* queue_state_set_if_absent - add a state row unless name has one (one statement) */
int queue_state_set_if_absent(struct queue *q, const char *name, const char *value, char **cause);

/*
 * queue_state_read - a state row that must not be mistaken for an absent
 * one: 1 and *value (malloc'd) when it is there, 0 and *value NULL when it
 * is not, -1 and *cause when queue.db cannot be read
 */
int queue_state_read(struct queue *q, const char *name, char **value, char **cause);

/* queue_state_delete - remove a state row (absent: nothing to do) */
int queue_state_delete(struct queue *q, const char *name, char **cause);

/* loading at start-up: every message (body not read) and every queued recipient */
typedef int (*queue_msg_cb)(const struct queue_msg *m, void *arg);
typedef int (*queue_rcpt_cb)(const struct queue_rcpt *r, void *arg);
int queue_load_msgs(struct queue *q, queue_msg_cb cb, void *arg, char **cause);
int queue_load_rcpts(struct queue *q, queue_rcpt_cb cb, void *arg, char **cause);

/* queue_load_body - a message's body (malloc'd) */
int queue_load_body(struct queue *q, int64_t mid, char **body, size_t *len, char **cause);

/* reading for the shell: every destination known, with counters and queue size */
typedef int (*queue_host_cb)(const struct queue_host *h, void *arg);
int queue_hosts(struct queue *q, queue_host_cb cb, void *arg, char **cause);

/* queue_host_get - one destination; 0 found, 1 unknown, -1 error */
int queue_host_get(struct queue *q, const char *host, struct queue_host *h, char **cause);

/* queue_global_get - a global counter since reset and since install */
int queue_global_get(struct queue *q, const char *name, int64_t *reset, int64_t *lifetime);

/* queue_reset_counters - zero the "since reset" counters; remember when */
int queue_reset_counters(struct queue *q, char **cause);

/* queue_stats - messages and recipients queued, oldest message time (0: none) */
int queue_stats(struct queue *q, int64_t *msgs, int64_t *rcpts, time_t *oldest);

/* requests from the shell to the daemon (deliverynow, rollovernow, ...) */
int queue_request_add(struct queue *q, const char *verb, const char *arg, char **cause);
typedef void (*queue_request_cb)(const char *verb, const char *arg, void *ctx);
int queue_request_take(struct queue *q, queue_request_cb cb, void *ctx, char **cause);

/* queue_request_add_id - queue_request_add, and *id gets the request's id */
int queue_request_add_id(struct queue *q, const char *verb, const char *arg, int64_t *id,
    char **cause);

/*
 * queue_request_wait - until the daemon has taken request id
 * (queue_request_take deletes it once its callback has run), polling
 * every 20 ms for up to timeout_ms: 0 taken, 1 not yet, -1 error
 */
int queue_request_wait(struct queue *q, int64_t id, int timeout_ms, char **cause);

/*
 * queue_request_cancel - delete request id if the daemon has not taken
 * it: 1 deleted (nothing will be done), 0 it was already taken (or
 * queue.db stayed locked: mxgated is taking it), -1 error
 */
int queue_request_cancel(struct queue *q, int64_t id, char **cause);

/* queue_gauge_get - one "key=N" of the daemon's published gauges (state "gauges"); 0 if absent */
long long queue_gauge_get(struct queue *q, const char *key);

#endif
