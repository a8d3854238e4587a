/*
 * queue_list.h - reading the queued recipients of DIR/queue.db for the
 * shell (showrecipients, showmessage): each recipient with what its
 * message says about it, by recipient host, by envelope sender, or all.
 *
 * Read-only: the daemon keeps the queue in memory but records every
 * attempt here, so a recipient being delivered right now shows its last
 * recorded attempt. The subject is for the caller to take from the
 * header section (head): header parsing is mail/'s, not the store's.
 */
#ifndef STORE_QUEUE_LIST_H
#define STORE_QUEUE_LIST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/queue.h"

#define QUEUE_LIST_HEAD_MAX (64 * 1024)	/* bytes of a body handed over as its header section */

enum queue_list_by {
	QUEUE_LIST_ALL = 0,	/* every queued recipient */
	QUEUE_LIST_HOST,	/* queued for a destination (value), case-insensitive */
	QUEUE_LIST_SENDER,	/* of messages from an envelope sender (value, "" for <>) */
};

struct queue_list_row {
	int64_t mid;		/* message ID */
	int rid;		/* recipient index within the message */
	const char *rcpt;	/* envelope recipient */
	const char *dest;	/* destination queue (domain, [ip]:port, the.tdc.queue) */
	int attempts;		/* delivery attempts recorded */
	time_t next_try;	/* not before this time (0: at once) */
	const char *last_error;	/* last soft-bounce reason, "" if none */
	const char *sender;	/* envelope sender, "" for <> */
	int64_t size;		/* message size in bytes */
	const char *policy;	/* matched mail policy */
	time_t received;	/* acceptance time */
	enum queue_kind kind;	/* received, bounce or journal copy */
	const char *head;	/* the first bytes of the body (header section), not NUL-terminated */
	size_t head_len;	/* at most QUEUE_LIST_HEAD_MAX */
};

/* cb returns non-zero to stop the listing early */
typedef int (*queue_list_cb)(const struct queue_list_row *r, void *arg);

/*
 * queue_list_rcpts - every recipient that by/value selects, by MID then
 * RID; 0, or -1 with *cause ("queue: cannot list recipients: ...")
 */
int queue_list_rcpts(struct queue *q, enum queue_list_by by, const char *value,
    queue_list_cb cb, void *arg, char **cause);

/*
 * queue_list_msg - the recipients of message mid (rows as above, none:
 * not queued); 0, or -1 with *cause
 */
int queue_list_msg(struct queue *q, int64_t mid, queue_list_cb cb, void *arg, char **cause);

/*
 * queue_list_body - the first max bytes of message mid's body into a
 * malloc'd *body (NUL-terminated; *len bytes of *total): 0, 1 if mid is
 * not queued, -1 with *cause
 */
int queue_list_body(struct queue *q, int64_t mid, size_t max, char **body, size_t *len,
    int64_t *total, char **cause);

#endif
