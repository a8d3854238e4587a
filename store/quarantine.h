/*
 * quarantine.h - quarantined messages in DIR/queue.db (table quarantine,
 * migration 3 of queue.c).
 *
 * A quarantined message is not in the delivery queue: it waits here,
 * whole (envelope, recipients, body), until an operator releases or
 * deletes it or its quarantine's retention ends. The daemon stores one
 * in the same durable transaction as the rest of its message (qwriter),
 * so a 250 is never answered for mail that is neither queued nor
 * quarantined; a release moves it back into messages/recipients in one
 * transaction too (queue_release_begin ... the daemon's batch).
 *
 * Same thread rules as struct queue.
 */
#ifndef STORE_QUARANTINE_H
#define STORE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/queue.h"

struct quarantine_entry {
	char qname[64];
	int64_t mid, parent_mid, icid;
	enum queue_kind kind;
	time_t received;		/* accepted */
	time_t quarantined;		/* entered the quarantine */
	char *sender;
	char *rcpts;			/* "addr\tdest\n..." */
	char *subject;
	char *reason;			/* "filter NAME: quarantine(\"Policy\")" */
	char *policy;
	int direction;
	char *client_ip, *listener, *message_id;
	int64_t size;
	int journal;			/* journaled on release, if its policy says so */
	char *body;			/* NULL unless asked for */
	size_t body_len;
};

/*
 * quarantine_insert - one message into quarantine qname (in the caller's
 * batch: queue_begin/queue_commit); rcpts as in struct quarantine_entry
 */
int quarantine_insert(struct queue *q, const char *qname, const struct queue_msg *m,
    const char *rcpts, const char *subject, const char *reason, time_t now, char **cause);

/* quarantine_get - one entry, with its body when want_body; 0 found, 1 not there, -1 error */
int quarantine_get(struct queue *q, const char *qname, int64_t mid, int want_body,
    struct quarantine_entry *e, char **cause);

/* quarantine_entry_free - the strings of an entry */
void quarantine_entry_free(struct quarantine_entry *e);

/* quarantine_list - entries of qname (all quarantines when NULL), oldest first, no bodies */
typedef int (*quarantine_cb)(const struct quarantine_entry *e, void *arg);
int quarantine_list(struct queue *q, const char *qname, quarantine_cb cb, void *arg,
    char **cause);

/* quarantine_delete - remove one entry; 0 removed, 1 not there, -1 error */
int quarantine_delete(struct queue *q, const char *qname, int64_t mid, char **cause);

/* quarantine_usage - messages and bytes held in qname (all when NULL) */
int quarantine_usage(struct queue *q, const char *qname, int64_t *msgs, int64_t *bytes,
    char **cause);

/* quarantine_expired - entries of qname that entered before `before`, oldest first */
int quarantine_expired(struct queue *q, const char *qname, time_t before, quarantine_cb cb,
    void *arg, char **cause);

#endif
